/* test_config.c - option defaults, parsing of every option, and the error
 * messages for bad values (README, "Options"). */
#include <string.h>

#include "testutil.h"
#include "wsp.h"

static wsp_config cfg;
static char err[512];

static void setup(void) { wsp_config_init(&cfg); err[0] = '\0'; }
static void teardown(void) { wsp_config_free(&cfg); }

static int set(const char *name, const char *value)
{
    return wsp_config_set(&cfg, name, value, err, sizeof(err));
}

START_TEST(defaults)
{
    ck_assert_str_eq(cfg.ws_listen, "0.0.0.0:5001");
    ck_assert_str_eq(cfg.push_listen, "127.0.0.1:5002");
    ck_assert(cfg.heartbeat_timeout == 12);
    ck_assert_int_eq(cfg.retry_max, 5);
    ck_assert(cfg.ttl == 3600);
    ck_assert_int_eq(cfg.queue_limit, 2000);
    ck_assert_uint_eq(cfg.max_frame, 1048576);
    ck_assert_uint_eq(cfg.max_line, 1048576);
    ck_assert_uint_eq(cfg.max_output, 4194304);
    ck_assert_str_eq(cfg.store, "file");
    ck_assert_str_eq(cfg.data_dir, "runtime/wspush");
    ck_assert_int_eq(cfg.fsync, WSP_FSYNC_BATCH);
    ck_assert_str_eq(cfg.log_file, "runtime/logs/workman.log");
    ck_assert_str_eq(cfg.close_log_file, "runtime/logs/workman_close.log");
    ck_assert_int_eq(cfg.log_level, WSP_LOG_INFO);
    ck_assert(cfg.ping_fallback_after == 30);
    ck_assert(cfg.handshake_timeout == 5);
    ck_assert(cfg.message_timeout == 30);
    ck_assert_int_eq(cfg.max_connections, 100000);
    ck_assert_int_eq(cfg.max_connections_per_ip, 1000);
    ck_assert_uint_eq(cfg.poll_queue_bytes, 16777216);
    ck_assert(cfg.push_idle_timeout == 300);
    ck_assert_ptr_null(cfg.push_token);
    ck_assert_ptr_null(cfg.auth_secret);
    ck_assert_ptr_null(cfg.allowed_origins);
    ck_assert_int_eq(cfg.io_uring, WSP_URING_AUTO);
}
END_TEST

START_TEST(every_option)
{
    ck_assert_int_eq(set("ws_listen", "127.0.0.1:0"), WSP_OK);
    ck_assert_str_eq(cfg.ws_listen, "127.0.0.1:0");
    ck_assert_int_eq(set("push_listen", "[::1]:65535"), WSP_OK);
    ck_assert_str_eq(cfg.push_listen, "[::1]:65535");
    ck_assert_int_eq(set("push_listen", "localhost:5002"), WSP_OK);
    ck_assert_int_eq(set("heartbeat_timeout", "0.25"), WSP_OK);
    ck_assert(cfg.heartbeat_timeout == 0.25);
    ck_assert_int_eq(set("retry_max", "7"), WSP_OK);
    ck_assert_int_eq(cfg.retry_max, 7);
    ck_assert_int_eq(set("ttl", "60"), WSP_OK);
    ck_assert(cfg.ttl == 60);
    ck_assert_int_eq(set("queue_limit", "10"), WSP_OK);
    ck_assert_int_eq(cfg.queue_limit, 10);
    ck_assert_int_eq(set("max_frame", "64K"), WSP_OK);
    ck_assert_uint_eq(cfg.max_frame, 65536);
    ck_assert_int_eq(set("max_line", "2m"), WSP_OK);
    ck_assert_uint_eq(cfg.max_line, 2097152);
    ck_assert_int_eq(set("max_output", "1000"), WSP_OK);
    ck_assert_uint_eq(cfg.max_output, 1000);
    ck_assert_int_eq(set("handshake_timeout", "2.5"), WSP_OK);
    ck_assert(cfg.handshake_timeout == 2.5);
    ck_assert_int_eq(set("message_timeout", "7"), WSP_OK);
    ck_assert(cfg.message_timeout == 7);
    ck_assert_int_eq(set("max_connections", "30"), WSP_OK);
    ck_assert_int_eq(cfg.max_connections, 30);
    ck_assert_int_eq(set("max_connections_per_ip", "3"), WSP_OK);
    ck_assert_int_eq(cfg.max_connections_per_ip, 3);
    ck_assert_int_eq(set("poll_queue_bytes", "1M"), WSP_OK);
    ck_assert_uint_eq(cfg.poll_queue_bytes, 1048576);
    ck_assert_int_eq(set("push_idle_timeout", "60"), WSP_OK);
    ck_assert(cfg.push_idle_timeout == 60);
    ck_assert_int_eq(set("max_connections_per_ip", "0"), WSP_ERR_OPTION);
    ck_assert_int_eq(set("handshake_timeout", "-1"), WSP_ERR_OPTION);
    ck_assert_int_eq(set("store", "memory"), WSP_OK);
    ck_assert_str_eq(cfg.store, "memory");
    ck_assert_int_eq(set("store", "file"), WSP_OK);
    ck_assert_int_eq(set("data_dir", "/tmp/x"), WSP_OK);
    ck_assert_str_eq(cfg.data_dir, "/tmp/x");
    ck_assert_int_eq(set("fsync", "always"), WSP_OK);
    ck_assert_int_eq(cfg.fsync, WSP_FSYNC_ALWAYS);
    ck_assert_int_eq(set("fsync", "everysec"), WSP_OK);
    ck_assert_int_eq(cfg.fsync, WSP_FSYNC_EVERYSEC);
    ck_assert_int_eq(set("fsync", "off"), WSP_OK);
    ck_assert_int_eq(cfg.fsync, WSP_FSYNC_OFF);
    ck_assert_int_eq(set("fsync", "batch"), WSP_OK);
    ck_assert_int_eq(cfg.fsync, WSP_FSYNC_BATCH);
    ck_assert_int_eq(set("log_file", ""), WSP_OK);
    ck_assert_str_eq(cfg.log_file, "");
    ck_assert_int_eq(set("close_log_file", "/tmp/c.log"), WSP_OK);
    ck_assert_str_eq(cfg.close_log_file, "/tmp/c.log");
    ck_assert_int_eq(set("log_level", "debug"), WSP_OK);
    ck_assert_int_eq(cfg.log_level, WSP_LOG_DEBUG);
    ck_assert_int_eq(set("log_level", "error"), WSP_OK);
    ck_assert_int_eq(cfg.log_level, WSP_LOG_ERROR);
    ck_assert_int_eq(set("ping_fallback_after", "1.5"), WSP_OK);
    ck_assert(cfg.ping_fallback_after == 1.5);
    ck_assert_int_eq(set("push_token", "s3cret"), WSP_OK);
    ck_assert_str_eq(cfg.push_token, "s3cret");
    ck_assert_int_eq(set("auth_secret", "k"), WSP_ERR_OPTION);   /* under 16 bytes */
    ck_assert_int_eq(set("auth_secret", "0123456789abcdef"), WSP_OK);
    ck_assert_int_eq(set("allowed_origins", "https://a.example"), WSP_OK);
    ck_assert_int_eq(set("io_uring", "off"), WSP_OK);
    ck_assert_int_eq(cfg.io_uring, WSP_URING_OFF);
    ck_assert_int_eq(set("io_uring", "on"), WSP_OK);
    ck_assert_int_eq(cfg.io_uring, WSP_URING_ON);
    ck_assert_int_eq(set("io_uring", "auto"), WSP_OK);
    ck_assert_int_eq(cfg.io_uring, WSP_URING_AUTO);
    ck_assert_str_eq(err, "");
    ck_assert_int_eq(set("io_uring", "yes"), WSP_ERR_OPTION);
    ck_assert_str_eq(err, "io_uring: expected auto, on or off, got \"yes\"");
    ck_assert_int_eq(cfg.io_uring, WSP_URING_AUTO);   /* unchanged */
}
END_TEST

START_TEST(bad_values)
{
    ck_assert_int_eq(set("heartbeat_timeout", "abc"), WSP_ERR_OPTION);
    ck_assert_str_eq(err, "heartbeat_timeout: expected a positive number of seconds, got \"abc\"");
    ck_assert(cfg.heartbeat_timeout == 12);   /* unchanged */

    static const char *const bad_seconds[] = { "", "0", "-1", "nan", "inf", "1e999",
                                                " 1", "1s", "0x10" };
    for (size_t i = 0; i < sizeof(bad_seconds) / sizeof(*bad_seconds); i++)
        ck_assert_msg(set("ttl", bad_seconds[i]) == WSP_ERR_OPTION, "ttl %s", bad_seconds[i]);

    /* Issue 13, defect 7: seconds are bounded (ms arithmetic must not
     * overflow: ttl 1e300 expired everything at once). */
    static const char *const out_of_range[] = { "1e300", "1e20", "31536001", "0.001", "1e-300" };
    for (size_t i = 0; i < sizeof(out_of_range) / sizeof(*out_of_range); i++) {
        ck_assert_msg(set("ttl", out_of_range[i]) == WSP_ERR_OPTION, "ttl %s", out_of_range[i]);
        ck_assert_msg(strstr(err, "expected between 0.01 and 31536000 seconds") != NULL, "%s", err);
    }
    ck_assert_int_eq(set("heartbeat_timeout", "1e16"), WSP_ERR_OPTION);
    ck_assert_int_eq(set("ttl", "31536000"), WSP_OK);
    ck_assert(cfg.ttl == 31536000);
    ck_assert_int_eq(set("ping_fallback_after", "0.01"), WSP_OK);

    static const char *const bad_counts[] = { "", "0", "-3", "1.5", "2147483648", "5x" };
    for (size_t i = 0; i < sizeof(bad_counts) / sizeof(*bad_counts); i++)
        ck_assert_msg(set("queue_limit", bad_counts[i]) == WSP_ERR_OPTION, "%s", bad_counts[i]);
    ck_assert_str_eq(err, "queue_limit: expected a positive integer, got \"5x\"");
    ck_assert_int_eq(set("retry_max", "x"), WSP_ERR_OPTION);

    static const char *const bad_sizes[] = { "", "0", "K", "1G", "1KB", "-1", "1.5M",
                                             "1025M", "99999999999999" };
    for (size_t i = 0; i < sizeof(bad_sizes) / sizeof(*bad_sizes); i++)
        ck_assert_msg(set("max_frame", bad_sizes[i]) == WSP_ERR_OPTION, "%s", bad_sizes[i]);
    ck_assert_uint_eq(cfg.max_frame, 1048576);
    ck_assert_int_eq(set("max_line", "1024M"), WSP_OK);

    static const char *const bad_listen[] = { "", "5001", ":5001", "host:", "host:65536",
                                              "host:-1", "host:50a", "::1:5002",
                                              "[::1]5002", "[]:1", "a b:1" };
    for (size_t i = 0; i < sizeof(bad_listen) / sizeof(*bad_listen); i++)
        ck_assert_msg(set("ws_listen", bad_listen[i]) == WSP_ERR_OPTION, "%s", bad_listen[i]);
    ck_assert_str_eq(cfg.ws_listen, "0.0.0.0:5001");
    ck_assert_int_eq(set("push_listen", "127.0.0.1:70000"), WSP_ERR_OPTION);
    ck_assert_ptr_nonnull(strstr(err, "push_listen:"));
    ck_assert_ptr_nonnull(strstr(err, "0-65535"));

    ck_assert_int_eq(set("store", "sqlite"), WSP_ERR_OPTION);
#ifdef WSP_HAVE_HIREDIS
    ck_assert_str_eq(err, "store: expected one of file, memory, redis://HOST[:PORT], got \"sqlite\"");
    ck_assert_int_eq(set("store", "redis://"), WSP_ERR_OPTION);
    /* A Redis URL is checked when set (cluster.c parses it). */
    ck_assert_int_eq(set("store", "redis://127.0.0.1:6379/0?prefix=a:&timeout=0.5"), WSP_OK);
    ck_assert_int_eq(set("store", "redis://:pw@[::1]/2"), WSP_OK);
    ck_assert_int_eq(set("store", "redis://127.0.0.1:99999/0"), WSP_ERR_OPTION);
    ck_assert_int_eq(set("store", "redis://127.0.0.1/x"), WSP_ERR_OPTION);
    ck_assert_int_eq(set("store", "redis://127.0.0.1/0?colour=red"), WSP_ERR_OPTION);
    ck_assert_ptr_nonnull(strstr(err, "colour"));
    ck_assert_int_eq(set("store", "redis://127.0.0.1/0?timeout=0"), WSP_ERR_OPTION);
    ck_assert_int_eq(set("store", "file"), WSP_OK);
#else
    ck_assert_str_eq(err, "store: expected one of file, memory, got \"sqlite\"");
    ck_assert_int_eq(set("store", "redis://"), WSP_ERR_OPTION);
    /* A store this build does not have is refused when set, not at start. */
    ck_assert_int_eq(set("store", "redis://127.0.0.1:6379/0"), WSP_ERR_OPTION);
    ck_assert_str_eq(err, "store: \"redis://127.0.0.1:6379/0\" is not available in this "
                          "build (it has: file, memory)");
#endif
    ck_assert_str_eq(cfg.store, "file");
    ck_assert_int_eq(set("fsync", "sometimes"), WSP_ERR_OPTION);
    ck_assert_str_eq(err, "fsync: expected always, batch, everysec or off, got \"sometimes\"");
    ck_assert_int_eq(set("log_level", "INFO"), WSP_ERR_OPTION);
    ck_assert_int_eq(set("log_level", "verbose"), WSP_ERR_OPTION);
    ck_assert_str_eq(err, "log_level: expected debug, info, warn or error, got \"verbose\"");
    ck_assert_int_eq(set("data_dir", ""), WSP_ERR_OPTION);
    ck_assert_int_eq(set("ttl", NULL), WSP_ERR_OPTION);
    ck_assert_str_eq(err, "ttl: missing value");
}
END_TEST

START_TEST(unknown_option)
{
    ck_assert_int_eq(set("heartbeat", "12"), WSP_ERR_OPTION);
    ck_assert_ptr_nonnull(strstr(err, "unknown option \"heartbeat\""));
    ck_assert_ptr_nonnull(strstr(err, "heartbeat_timeout"));
    ck_assert_int_eq(set(NULL, "1"), WSP_ERR_OPTION);
    /* A NULL errbuf is allowed. */
    ck_assert_int_eq(wsp_config_set(&cfg, "nope", "1", NULL, 0), WSP_ERR_OPTION);
}
END_TEST

START_TEST(copy_is_deep)
{
    wsp_config c2;
    ck_assert_int_eq(set("push_token", "t"), WSP_OK);
    ck_assert_int_eq(wsp_config_copy(&c2, &cfg), WSP_OK);
    ck_assert_ptr_ne(c2.ws_listen, cfg.ws_listen);
    ck_assert_str_eq(c2.ws_listen, cfg.ws_listen);
    ck_assert_str_eq(c2.push_token, "t");
    ck_assert_ptr_null(c2.auth_secret);
    ck_assert_int_eq(c2.queue_limit, cfg.queue_limit);
    wsp_config_free(&cfg);          /* c2 must not depend on cfg */
    ck_assert_str_eq(c2.store, "file");
    wsp_config_free(&c2);
    wsp_config_free(&c2);           /* idempotent */
    wsp_config_init(&cfg);          /* for teardown */
}
END_TEST

START_TEST(copy_missing_required)
{
    wsp_config c2;
    free(cfg.store);
    cfg.store = NULL;   /* what an out-of-memory wsp_config_init leaves */
    ck_assert_int_eq(wsp_config_copy(&c2, &cfg), WSP_ERR_NOMEM);
    ck_assert_ptr_null(c2.ws_listen);
}
END_TEST

START_TEST(addr_split)
{
    char host[64];
    int port = -1;
    ck_assert_int_eq(wsp_addr_split("[::1]:5002", host, sizeof(host), &port, err, sizeof(err)), WSP_OK);
    ck_assert_str_eq(host, "::1");
    ck_assert_int_eq(port, 5002);
    ck_assert_int_eq(wsp_addr_split("0.0.0.0:0", host, sizeof(host), &port, err, sizeof(err)), WSP_OK);
    ck_assert_str_eq(host, "0.0.0.0");
    ck_assert_int_eq(port, 0);
    ck_assert_int_eq(wsp_addr_split("averyveryverylonghostname:1", host, 8, &port, err, sizeof(err)),
                     WSP_ERR_OPTION);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("config");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, defaults);
    tcase_add_test(tc, every_option);
    tcase_add_test(tc, bad_values);
    tcase_add_test(tc, unknown_option);
    tcase_add_test(tc, copy_is_deep);
    tcase_add_test(tc, copy_missing_required);
    tcase_add_test(tc, addr_split);
    suite_add_tcase(s, tc);
    return s;
}
