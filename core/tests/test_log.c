/* test_log.c - the writer-thread event log (README, "Logs"): line format, cuts on
 * UTF-8 boundaries, close log, reopen after rename, level filter, drops. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "log.h"

static char dir[256];
static char path[512], cpath[512];
static char err[512];

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/wsp_test_log.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    /* Nested, not yet existing: the log must create its parents. */
    snprintf(path, sizeof(path), "%s/a/b/main.log", dir);
    snprintf(cpath, sizeof(cpath), "%s/c/close.log", dir);
    err[0] = '\0';
}

static void teardown(void)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* Whole file as a NUL-terminated string (caller frees); "" if missing. */
static char *slurp(const char *p)
{
    FILE *f = fopen(p, "rb");
    char *buf;
    long n;

    if (!f)
        return strdup("");
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    ck_assert_int_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static wsp_log *open_log(wsp_log_level lvl)
{
    wsp_log *lg = wsp_log_open(path, cpath, lvl, err, sizeof(err));
    ck_assert_msg(lg != NULL, "open: %s", err);
    return lg;
}

START_TEST(line_format)
{
    wsp_log *lg = open_log(WSP_LOG_INFO);
    wsp_log_rec r = { .level = WSP_LOG_INFO, .event = "push", .conn_id = 7,
                      .key = "5", .key_len = 1, .seq_from = 3, .seq_to = 3,
                      .result = "ok", .content = "{\"uid\":5}", .content_len = 9 };
    wsp_log_write(lg, &r);
    wsp_log_rec c = { .level = WSP_LOG_INFO, .event = "confirm", .key = "5",
                      .key_len = 1, .seq_from = 1, .seq_to = 3 };
    wsp_log_write(lg, &c);
    wsp_log_close(lg);

    char *s = slurp(path);
    regex_t re;
    ck_assert_int_eq(regcomp(&re,
        "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3} "
        "push conn=7 key=5 seq=3 result=ok content=\\{\"uid\":5\\}\n"
        "[0-9-]{10} [0-9:.]{12} confirm conn=- key=5 seq=1-3 result=- content=-\n$",
        REG_EXTENDED), 0);
    ck_assert_msg(regexec(&re, s, 0, NULL, 0) == 0, "got: %s", s);
    regfree(&re);
    free(s);
    /* Not a close event: the close log stays empty. */
    s = slurp(cpath);
    ck_assert_str_eq(s, "");
    free(s);
}
END_TEST

START_TEST(close_goes_to_both)
{
    wsp_log *lg = open_log(WSP_LOG_INFO);
    wsp_log_rec r = { .level = WSP_LOG_INFO, .event = "close", .conn_id = 9,
                      .result = "timeout", .to_close_log = 1 };
    wsp_log_write(lg, &r);
    wsp_log_close(lg);
    char *a = slurp(path), *b = slurp(cpath);
    ck_assert_ptr_nonnull(strstr(a, " close conn=9 key=- seq=- result=timeout content=-\n"));
    ck_assert_str_eq(a, b);
    free(a);
    free(b);
}
END_TEST

START_TEST(cuts_and_escapes)
{
    char key[300], content[300], want[300];
    wsp_log *lg = open_log(WSP_LOG_DEBUG);

    /* Key: 119 ASCII bytes then "é" (2 bytes) straddling the 120 cut. */
    memset(key, 'k', 119);
    memcpy(key + 119, "\xc3\xa9zz", 4);
    /* Content: 198 bytes then "中" (3 bytes) straddling the 200 cut. */
    memset(content, 'c', 198);
    memcpy(content + 198, "\xe4\xb8\xadyy", 5);
    wsp_log_rec r = { .level = WSP_LOG_INFO, .event = "push", .key = key,
                      .key_len = 123, .content = content, .content_len = 203 };
    wsp_log_write(lg, &r);
    /* Exactly at the limit: kept whole. */
    memcpy(content + 197, "\xe4\xb8\xad", 3);
    r.content_len = 200;
    r.key_len = 121;   /* "k"*119 + "é" = 121 bytes: é cut off */
    wsp_log_write(lg, &r);
    wsp_log_rec e = { .level = WSP_LOG_INFO, .event = "recv",
                      .content = "a\nb\r\tc\x01\\n", .content_len = 9 };
    wsp_log_write(lg, &e);
    wsp_log_msg(lg, WSP_LOG_WARN, "start", "listening on %s\nnext", "x:1");
    wsp_log_close(lg);

    char *s = slurp(path);
    ck_assert_uint_eq(count_lines(s), 4);
    memset(want, 0, sizeof(want));
    strcpy(want, " key=");
    memset(want + 5, 'k', 119);
    strcat(want, " seq=");
    ck_assert_msg(strstr(s, want) != NULL, "key not cut at 119: %s", s);
    memset(want, 0, sizeof(want));
    strcpy(want, "content=");
    memset(want + 8, 'c', 198);
    strcat(want, "\n");
    ck_assert_msg(strstr(s, want) != NULL, "content not cut at 198");
    memset(want, 0, sizeof(want));
    strcpy(want, "content=");
    memset(want + 8, 'c', 197);
    strcat(want, "\xe4\xb8\xad\n");
    ck_assert_msg(strstr(s, want) != NULL, "200-byte content not kept whole");
    /* Backslashes kept as is (JSON greps like itself), control bytes escaped. */
    ck_assert_ptr_nonnull(strstr(s, " recv conn=- key=- seq=- result=- content=a\\nb\\r\\tc\\x01\\n\n"));
    ck_assert_ptr_nonnull(strstr(s, " start conn=- key=- seq=- result=- content=listening on x:1\\nnext\n"));
    free(s);
}
END_TEST

/* A client chooses its key and content: neither may forge a field. Every
 * field of an event line is one run of non-space bytes, so a logfmt or
 * "\\bkey=(\\S+)" parser reads the real key and result. */
START_TEST(key_and_content_cannot_forge_fields)
{
    wsp_log *lg = open_log(WSP_LOG_INFO);
    const char *key = "5 seq=9 result=ok";
    const char *content = "hi key=77 result=ok\x7f";
    wsp_log_rec r = { .level = WSP_LOG_INFO, .event = "push", .conn_id = 3,
                      .key = key, .key_len = strlen(key), .seq_from = 2, .seq_to = 2,
                      .result = "queued", .content = content, .content_len = strlen(content) };
    wsp_log_write(lg, &r);
    wsp_log_close(lg);
    char *s = slurp(path);
    ck_assert_msg(strstr(s, " push conn=3 key=5\\x20seq=9\\x20result=ok seq=2 result=queued "
                            "content=hi\\x20key=77\\x20result=ok\\x7f\n") != NULL, "got: %s", s);
    /* exactly the six fields after the time: no space inside any of them */
    int spaces = 0;
    for (const char *p = s; *p && *p != '\n'; p++) spaces += *p == ' ';
    ck_assert_int_eq(spaces, 7);   /* date time event conn key seq result content */
    free(s);
}
END_TEST

START_TEST(reopen_after_rename)
{
    char rotated[600];
    wsp_log *lg = open_log(WSP_LOG_INFO);
    wsp_log_rec r = { .level = WSP_LOG_INFO, .event = "push" };

    snprintf(rotated, sizeof(rotated), "%s.1", path);
    r.result = "before";
    wsp_log_write(lg, &r);
    wsp_log_flush(lg);
    ck_assert_int_eq(rename(path, rotated), 0);
    /* Queued before the reopen: still the old (renamed) file. */
    r.result = "between";
    wsp_log_write(lg, &r);
    wsp_log_reopen(lg);
    r.result = "after";
    wsp_log_write(lg, &r);
    wsp_log_close(lg);

    char *old = slurp(rotated), *cur = slurp(path);
    ck_assert_uint_eq(count_lines(old), 2);
    ck_assert_ptr_nonnull(strstr(old, "result=before "));
    ck_assert_ptr_nonnull(strstr(old, "result=between "));
    ck_assert_uint_eq(count_lines(cur), 1);
    ck_assert_ptr_nonnull(strstr(cur, "result=after "));
    free(old);
    free(cur);
}
END_TEST

START_TEST(level_filter)
{
    wsp_log *lg = open_log(WSP_LOG_WARN);
    ck_assert(!wsp_log_enabled(lg, WSP_LOG_DEBUG));
    ck_assert(!wsp_log_enabled(lg, WSP_LOG_INFO));
    ck_assert(wsp_log_enabled(lg, WSP_LOG_WARN));
    ck_assert(wsp_log_enabled(lg, WSP_LOG_ERROR));
    wsp_log_rec r = { .level = WSP_LOG_INFO, .event = "push" };
    wsp_log_write(lg, &r);
    wsp_log_msg(lg, WSP_LOG_DEBUG, "heartbeat", "x");
    r.level = WSP_LOG_ERROR;
    r.event = "drop";
    wsp_log_write(lg, &r);
    wsp_log_close(lg);
    char *s = slurp(path);
    ck_assert_uint_eq(count_lines(s), 1);
    ck_assert_ptr_nonnull(strstr(s, " drop conn=-"));
    free(s);
}
END_TEST

START_TEST(drops_counted)
{
    wsp_log *lg = open_log(WSP_LOG_INFO);
    wsp_log_rec r = { .level = WSP_LOG_INFO, .event = "push", .content = "x",
                      .content_len = 1 };

    /* Cap 0: nothing fits, every line is dropped and counted. */
    wsp_log_set_queue_cap(lg, 0);
    for (int i = 0; i < 5; i++)
        wsp_log_write(lg, &r);
    ck_assert_uint_eq(wsp_log_dropped(lg), 5);
    wsp_log_flush(lg);

    /* Small cap under a burst: whatever is not written is counted. */
    wsp_log_set_queue_cap(lg, 300);
    for (int i = 0; i < 5000; i++)
        wsp_log_write(lg, &r);
    wsp_log_flush(lg);
    uint64_t dropped = wsp_log_dropped(lg);
    wsp_log_close(lg);
    char *s = slurp(path);
    /* Each loss is told by a line of its own: event log_dropped, result = how
     * many since the previous one; together they account for every loss. */
    size_t reports = 0;
    uint64_t told = 0;
    for (const char *p = strstr(s, " log_dropped "); p; p = strstr(p + 1, " log_dropped ")) {
        const char *res = strstr(p, " result=");
        ck_assert_ptr_nonnull(res);
        told += strtoull(res + 8, NULL, 10);
        reports++;
    }
    ck_assert_uint_gt(reports, 0);
    ck_assert_uint_eq(told, dropped);
    ck_assert_uint_eq(count_lines(s) - reports + dropped, 5005);
    free(s);
}
END_TEST

/* log_format json: one object per line with every field, strings escaped so
 * a key or content cannot forge a field, bytes that are not UTF-8 as \u00HH. */
START_TEST(json_format)
{
    wsp_log *lg = open_log(WSP_LOG_INFO);
    wsp_log_set_format(lg, WSP_LOG_JSON);
    wsp_log_rec r = { .level = WSP_LOG_INFO, .event = "push", .key = "5\",\"x", .key_len = 5,
                      .seq_from = 3, .seq_to = 3, .result = "ok",
                      .content = "{\"m\":\"\xe4\xbd\xa0\n\xff\"}", .content_len = 13 };
    wsp_log_write(lg, &r);
    wsp_log_rec c = { .level = WSP_LOG_INFO, .event = "close", .conn_id = 9,
                      .result = "client close code=1000", .to_close_log = 1 };
    wsp_log_write(lg, &c);
    wsp_log_msg(lg, WSP_LOG_INFO, "start", "ws=%s", "0.0.0.0:1");
    wsp_log_close(lg);
    char *s = slurp(path);
    ck_assert_uint_eq(count_lines(s), 3);
    ck_assert_msg(strstr(s, "\"event\":\"push\",\"connId\":null,\"key\":\"5\\\",\\\"x\","
                            "\"seq\":3,\"seqTo\":3,\"result\":\"ok\","
                            "\"content\":\"{\\\"m\\\":\\\"\xe4\xbd\xa0\\n\\u00ff\\\"}\"}\n") != NULL,
                  "push line: %s", s);
    ck_assert_ptr_nonnull(strstr(s, "\"event\":\"close\",\"connId\":9,\"key\":null,\"seq\":null"));
    ck_assert_ptr_nonnull(strstr(s, "\"event\":\"start\",\"connId\":null"));
    ck_assert_ptr_nonnull(strstr(s, "\"content\":\"ws=0.0.0.0:1\"}"));
    /* time: ISO 8601 with milliseconds and the zone offset */
    ck_assert_msg(s[0] == '{' && strncmp(s, "{\"time\":\"", 9) == 0 && s[19] == 'T' && s[28] == '.',
                  "time: %.40s", s);
    free(s);
    s = slurp(cpath);
    ck_assert_uint_eq(count_lines(s), 1);
    ck_assert_ptr_nonnull(strstr(s, "\"event\":\"close\""));
    free(s);
}
END_TEST

START_TEST(open_errors_and_null)
{
    char bad[600];
    int fd;

    /* A regular file where a directory should be. */
    snprintf(bad, sizeof(bad), "%s/file", dir);
    fd = open(bad, O_CREAT | O_WRONLY, 0644);
    ck_assert_int_ge(fd, 0);
    close(fd);
    snprintf(bad, sizeof(bad), "%s/file/sub/x.log", dir);
    ck_assert_ptr_null(wsp_log_open(bad, NULL, WSP_LOG_INFO, err, sizeof(err)));
    ck_assert_msg(strstr(err, "Not a directory") != NULL, "%s", err);

    /* Both files disabled: a valid log that formats nothing. */
    wsp_log *lg = wsp_log_open("", NULL, WSP_LOG_DEBUG, err, sizeof(err));
    ck_assert_ptr_nonnull(lg);
    ck_assert(!wsp_log_enabled(lg, WSP_LOG_ERROR));
    wsp_log_msg(lg, WSP_LOG_ERROR, "x", "y");
    wsp_log_reopen(lg);
    wsp_log_close(lg);

    /* NULL-safe entry points. */
    wsp_log_rec r = { .level = WSP_LOG_ERROR, .event = "x" };
    wsp_log_write(NULL, &r);
    wsp_log_msg(NULL, WSP_LOG_ERROR, "x", "y");
    wsp_log_reopen(NULL);
    wsp_log_flush(NULL);
    wsp_log_close(NULL);
    ck_assert_uint_eq(wsp_log_dropped(NULL), 0);
    ck_assert(!wsp_log_enabled(NULL, WSP_LOG_ERROR));
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("log");
    TCase *tc = tcase_create("log");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, line_format);
    tcase_add_test(tc, close_goes_to_both);
    tcase_add_test(tc, cuts_and_escapes);
    tcase_add_test(tc, key_and_content_cannot_forge_fields);
    tcase_add_test(tc, reopen_after_rename);
    tcase_add_test(tc, level_filter);
    tcase_add_test(tc, drops_counted);
    tcase_add_test(tc, json_format);
    tcase_add_test(tc, open_errors_and_null);
    suite_add_tcase(s, tc);
    return s;
}
