/*
 * test_push_line.c - push_line.c against the seed's port-5002 handler run
 * by php 8.2: which lines fail and why, the key each line routes to, the
 * FunctionType as the seed computed it, and the payload byte for byte
 * (FunctionType 1/2 rewrites as PHP's json_encode prints them, anything
 * else the line unchanged). The expected values were produced by running
 * the seed's handler code in php 8.2 on the same lines.
 */
#include "testutil.h"
#include "push_line.h"

#include <string.h>

typedef struct { const char *line; int ft; const char *key, *payload; } line_case;

static const line_case ok_cases[] = {
    { "{\"uid\":\"5\",\"FunctionType\":1}",
      1, "w5",
      "{\"uid\":\"5\",\"FunctionType\":1,\"ErrMsg\":\"\xe8\x8e\xb7\xe5\x8f\x96\xe5\x8f\x98\xe9\x87\x8f\xe6\x88\x90\xe5\x8a\x9f\",\"IsSuccess\":1,\"Data\":\"\"}" },
    { "{\"uid\":\"5\",\"FunctionType\":2}",
      2, "w5",
      "{\"uid\":\"5\",\"FunctionType\":2,\"ErrMsg\":\"\xe5\x90\x8c\xe6\xad\xa5\xe5\xba\x95\xe7\xa8\xbf\xe5\x8f\x98\xe9\x87\x8f\xe6\x88\x90\xe5\x8a\x9f\",\"IsSuccess\":1,\"Data\":true}" },
    { "{\"uid\":\"5\",\"FunctionType\":\"2\",\"ratio\":99,\"msg\":\"\xe7\xbd\x91\xe7\xbb\x9c\xe9\x94\x99\xe8\xaf\xaf\",\"code\":500,\"x\":1}",
      2, "w5",
      "{\"uid\":\"5\",\"FunctionType\":2,\"x\":1,\"ErrMsg\":\"\xe5\x90\x8c\xe6\xad\xa5\xe5\xba\x95\xe7\xa8\xbf\xe5\x8f\x98\xe9\x87\x8f\xe5\xa4\xb1\xe8\xb4\xa5\xe7\xbd\x91\xe7\xbb\x9c\xe9\x94\x99\xe8\xaf\xaf\",\"IsSuccess\":0,\"Data\":false}" },
    { "{\"uid\":\"5\",\"FunctionType\":1,\"ratio\":\"100\",\"msg\":\"m\",\"Data\":{\"0\":\"a\",\"1\":\"b\"},\"ErrMsg\":null,\"IsSuccess\":null}",
      1, "w5",
      "{\"uid\":\"5\",\"FunctionType\":1,\"Data\":[\"a\",\"b\"],\"ErrMsg\":\"\xe8\x8e\xb7\xe5\x8f\x96\xe5\x8f\x98\xe9\x87\x8f\xe6\x88\x90\xe5\x8a\x9f\",\"IsSuccess\":1}" },
    { "{\"ErrMsg\":\"keep\",\"uid\":\"5\",\"IsSuccess\":\"1\",\"FunctionType\":1,\"Data\":null,\"ratio\":50,\"msg\":12.5}",
      1, "w5",
      "{\"ErrMsg\":\"keep\",\"uid\":\"5\",\"IsSuccess\":\"1\",\"FunctionType\":1,\"Data\":\"\"}" },
    { "{\"uid\":\"5\",\"FunctionType\":2,\"ratio\":0,\"msg\":[1,2],\"Data\":\"ignored\"}",
      2, "w5",
      "{\"uid\":\"5\",\"FunctionType\":2,\"Data\":false,\"ErrMsg\":\"\xe5\x90\x8c\xe6\xad\xa5\xe5\xba\x95\xe7\xa8\xbf\xe5\x8f\x98\xe9\x87\x8f\xe5\xa4\xb1\xe8\xb4\xa5""Array\",\"IsSuccess\":0}" },
    { "{\"uid\":\"5\",\"FunctionType\":2,\"ratio\":1e2}",
      2, "w5",
      "{\"uid\":\"5\",\"FunctionType\":2,\"ErrMsg\":\"\xe5\x90\x8c\xe6\xad\xa5\xe5\xba\x95\xe7\xa8\xbf\xe5\x8f\x98\xe9\x87\x8f\xe6\x88\x90\xe5\x8a\x9f\",\"IsSuccess\":1,\"Data\":true}" },
    { "{\"uid\":\"5\",\"FunctionType\":1,\"ratio\":\"abc\",\"msg\":true}",
      1, "w5",
      "{\"uid\":\"5\",\"FunctionType\":1,\"ErrMsg\":\"\xe8\x8e\xb7\xe5\x8f\x96\xe5\x8f\x98\xe9\x87\x8f\xe5\xa4\xb1\xe8\xb4\xa5""1\",\"IsSuccess\":0,\"Data\":\"\"}" },
    { "{\"uid\":\"5\",\"FunctionType\":1,\"ratio\":100.9,\"msg\":false}",
      1, "w5",
      "{\"uid\":\"5\",\"FunctionType\":1,\"ErrMsg\":\"\xe8\x8e\xb7\xe5\x8f\x96\xe5\x8f\x98\xe9\x87\x8f\xe6\x88\x90\xe5\x8a\x9f\",\"IsSuccess\":1,\"Data\":\"\"}" },
    { "{\"uid\":\"5\",\"FunctionType\":1.9,\"ratio\":null,\"msg\":\"x\"}",
      1, "w5",
      "{\"uid\":\"5\",\"FunctionType\":1,\"ErrMsg\":\"\xe8\x8e\xb7\xe5\x8f\x96\xe5\x8f\x98\xe9\x87\x8f\xe6\x88\x90\xe5\x8a\x9f\",\"IsSuccess\":1,\"Data\":\"\"}" },
    { "{\"uid\":\"5\",\"FunctionType\":\"1abc\",\"a\":\"\\u00e9/\\ud83d\\ude00\",\"b\":{},\"c\":1.0,\"d\":1e25,\"e\":-0.0}",
      1, "w5",
      "{\"uid\":\"5\",\"FunctionType\":1,\"a\":\"\xc3\xa9\\/\xf0\x9f\x98\x80\",\"b\":[],\"c\":1,\"d\":1.0e+25,\"e\":-0,\"ErrMsg\":\"\xe8\x8e\xb7\xe5\x8f\x96\xe5\x8f\x98\xe9\x87\x8f\xe6\x88\x90\xe5\x8a\x9f\",\"IsSuccess\":1,\"Data\":\"\"}" },
    { "{\"uid\":\"5\",\"FunctionType\":true}",
      1, "w5",
      "{\"uid\":\"5\",\"FunctionType\":1,\"ErrMsg\":\"\xe8\x8e\xb7\xe5\x8f\x96\xe5\x8f\x98\xe9\x87\x8f\xe6\x88\x90\xe5\x8a\x9f\",\"IsSuccess\":1,\"Data\":\"\"}" },
    { "{\"uid\":\"5\",\"FunctionType\":[0]}",
      1, "w5",
      "{\"uid\":\"5\",\"FunctionType\":1,\"ErrMsg\":\"\xe8\x8e\xb7\xe5\x8f\x96\xe5\x8f\x98\xe9\x87\x8f\xe6\x88\x90\xe5\x8a\x9f\",\"IsSuccess\":1,\"Data\":\"\"}" },
    { "{\"uid\":\"5\",\"FunctionType\":4,\"ratio\":1}",
      4, "w5",
      "{\"uid\":\"5\",\"FunctionType\":4,\"ratio\":1}" },
    { "{\"uid\":\"5\",\"FunctionType\":null}",
      0, "w5",
      "{\"uid\":\"5\",\"FunctionType\":null}" },
    { "{\"uid\":\"{\\\"uid\\\":\\\"12\\\",\\\"FunctionType\\\":1}\",\"ratio\":1,\"msg\":\"!\"}",
      1, "c{\"FunctionType\":1,\"uid\":\"12\"}",
      "{\"uid\":\"{\\\"uid\\\":\\\"12\\\",\\\"FunctionType\\\":1}\",\"ErrMsg\":\"\xe8\x8e\xb7\xe5\x8f\x96\xe5\x8f\x98\xe9\x87\x8f\xe5\xa4\xb1\xe8\xb4\xa5!\",\"IsSuccess\":0,\"FunctionType\":1,\"Data\":\"\"}" },
    { "{\"uid\":\"{\\\"uid\\\":\\\"12\\\",\\\"FunctionType\\\":2}\",\"FunctionType\":4}",
      4, "c{\"FunctionType\":2,\"uid\":\"12\"}",
      "{\"uid\":\"{\\\"uid\\\":\\\"12\\\",\\\"FunctionType\\\":2}\",\"FunctionType\":4}" },
    { "{\"uid\":\"{\\\"uid\\\":\\\"12\\\",\\\"FunctionType\\\":2}\",\"FunctionType\":null}",
      2, "c{\"FunctionType\":2,\"uid\":\"12\"}",
      "{\"uid\":\"{\\\"uid\\\":\\\"12\\\",\\\"FunctionType\\\":2}\",\"FunctionType\":2,\"ErrMsg\":\"\xe5\x90\x8c\xe6\xad\xa5\xe5\xba\x95\xe7\xa8\xbf\xe5\x8f\x98\xe9\x87\x8f\xe6\x88\x90\xe5\x8a\x9f\",\"IsSuccess\":1,\"Data\":true}" },
    { "{\"uid\":\" {\\\"FunctionType\\\":1}\"}",
      0, "c{\"FunctionType\":1}",
      "{\"uid\":\" {\\\"FunctionType\\\":1}\"}" },
    { "{\"uid\":\"{\\\"FunctionType\\\":1}\\u000b\"}",
      0, "c{\"FunctionType\":1}",
      "{\"uid\":\"{\\\"FunctionType\\\":1}\\u000b\"}" },
    { "{\"uid\":\"{\\\"FunctionType\\\":1}\\n \"}",
      1, "c{\"FunctionType\":1}",
      "{\"uid\":\"{\\\"FunctionType\\\":1}\\n \",\"ErrMsg\":\"\xe8\x8e\xb7\xe5\x8f\x96\xe5\x8f\x98\xe9\x87\x8f\xe6\x88\x90\xe5\x8a\x9f\",\"IsSuccess\":1,\"FunctionType\":1,\"Data\":\"\"}" },
    { "{\"uid\" : \"12\" , \"FunctionType\" : 4 , \"Data\" : \"\" }",
      4, "w12",
      "{\"uid\" : \"12\" , \"FunctionType\" : 4 , \"Data\" : \"\" }" },
    { "{\"uid\":12}",
      0, "w12",
      "{\"uid\":12}" },
    { "{\"uid\":12.0}",
      0, "w12",
      "{\"uid\":12.0}" },
    { "{\"uid\":1e25}",
      0, "w1.0E+25",
      "{\"uid\":1e25}" },
    { "{\"uid\":-0.0}",
      0, "w-0",
      "{\"uid\":-0.0}" },
    { "{\"uid\":123456789012345678901234}",
      0, "w1.2345678901235E+23",
      "{\"uid\":123456789012345678901234}" },
    { "{\"uid\":\"a\",\"uid\":\"b\"}",
      0, "wb",
      "{\"uid\":\"a\",\"uid\":\"b\"}" },
};

START_TEST(test_ok_lines)
{
    for (size_t i = 0; i < sizeof ok_cases / sizeof *ok_cases; i++) {
        const line_case *c = &ok_cases[i];
        wsp_push_msg m;
        wsp_push_fail f = wsp_push_line_parse(c->line, strlen(c->line), &m);
        ck_assert_msg(f == WSP_PUSH_OK, "case %zu: %s", i, wsp_push_fail_str(f));
        ck_assert_int_eq(m.function_type, c->ft);
        ck_assert_uint_eq(m.key.id_len, strlen(c->key));
        ck_assert_msg(memcmp(m.key.id, c->key, m.key.id_len) == 0,
                      "case %zu key: got '%s', want '%s'", i, m.key.id, c->key);
        ck_assert_msg(m.payload_len == strlen(c->payload) && strcmp(m.payload, c->payload) == 0,
                      "case %zu payload: got '%s', want '%s'", i, m.payload, c->payload);
        wsp_push_msg_free(&m);
    }
}
END_TEST

typedef struct { const char *line; size_t len; wsp_push_fail f; } fail_case;
#define F(s, f) { s, sizeof(s) - 1, f }
static const fail_case fail_cases[] = {
    F("", WSP_PUSH_NOT_OBJECT), F("x", WSP_PUSH_NOT_OBJECT), F("5", WSP_PUSH_NOT_OBJECT),
    F("\"{\\\"uid\\\":5}\"", WSP_PUSH_NOT_OBJECT), F("[{\"uid\":\"5\"}]", WSP_PUSH_NOT_OBJECT),
    F("null", WSP_PUSH_NOT_OBJECT), F("{\"uid\":\"5\"}x", WSP_PUSH_NOT_OBJECT),
    F("{\"uid\":\"5\",}", WSP_PUSH_NOT_OBJECT), F("{'uid':'5'}", WSP_PUSH_NOT_OBJECT),
    F("{\"uid\":\"5\"} //", WSP_PUSH_NOT_OBJECT), F("{\"uid\":NaN}", WSP_PUSH_NOT_OBJECT),
    F("{\"uid\":\"\\ud800\"}", WSP_PUSH_NOT_OBJECT), F("{\"uid\":\"\xff\"}", WSP_PUSH_NOT_OBJECT),
    F("{\"uid\":\"5\"}\0", WSP_PUSH_NOT_OBJECT), F("{\"uid\":\"5\"}\x0b", WSP_PUSH_NOT_OBJECT),
    F("{}", WSP_PUSH_NO_UID), F("{\"a\":1}", WSP_PUSH_NO_UID), F("{\"uid\":null}", WSP_PUSH_NO_UID),
    F("{\"uid\":\"\"}", WSP_PUSH_NO_UID), F("{\"uid\":\" \\t\\n\\r\\u0000\\u000b\"}", WSP_PUSH_NO_UID),
    F("{\"uid\":\"5\",\"uid\":null}", WSP_PUSH_NO_UID), F("{\"UID\":\"5\"}", WSP_PUSH_NO_UID),
    F("{\"uid\":true}", WSP_PUSH_BAD_UID), F("{\"uid\":false}", WSP_PUSH_BAD_UID),
    F("{\"uid\":[\"5\"]}", WSP_PUSH_BAD_UID), F("{\"uid\":{\"uid\":\"5\"}}", WSP_PUSH_BAD_UID),
    F("{\"uid\":[]}", WSP_PUSH_BAD_UID),
    /* PHP decodes 1e999 as INF and json_encode then returns false; the seed
     * sent an empty message, WsPush refuses the line. */
    F("{\"uid\":\"5\",\"FunctionType\":1,\"x\":1e999}", WSP_PUSH_UNENCODABLE),
    F("{\"uid\":\"5\",\"FunctionType\":1,\"Data\":[-1e400]}", WSP_PUSH_UNENCODABLE),
};

START_TEST(test_fail_lines)
{
    for (size_t i = 0; i < sizeof fail_cases / sizeof *fail_cases; i++) {
        const fail_case *c = &fail_cases[i];
        wsp_push_msg m;
        memset(&m, 0x5a, sizeof m);
        wsp_push_fail f = wsp_push_line_parse(c->line, c->len, &m);
        ck_assert_msg(f == c->f, "case %zu: got %s, want %s", i, wsp_push_fail_str(f),
                      wsp_push_fail_str(c->f));
        ck_assert_ptr_null(m.payload); /* nothing allocated */
        ck_assert_ptr_null(m.key.id);
    }
}
END_TEST

/* Any FunctionType other than 1/2: the payload is the line itself, byte
 * for byte, whatever its spacing, escapes, numbers or duplicates. */
START_TEST(test_verbatim)
{
    static const char *lines[] = {
        " {\"uid\" : \"5\",\n\"FunctionType\":4, \"x\":1.0E+2, \"y\":\"\\u00e9\\/\",\"y\":{}}\t",
        "{\"FunctionType\":\"0\",\"uid\":\"5\",\"ratio\":1,\"msg\":\"x\"}",
        "{\"uid\":\"5\",\"FunctionType\":3,\"big\":123456789012345678901234}",
        "{\"uid\":\"5\",\"x\":1e999}", /* unencodable, but forwarded as is */
    };
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
        wsp_push_msg m;
        ck_assert_int_eq(wsp_push_line_parse(lines[i], strlen(lines[i]), &m), WSP_PUSH_OK);
        ck_assert_uint_eq(m.payload_len, strlen(lines[i]));
        ck_assert_str_eq(m.payload, lines[i]);
        ck_assert_str_eq(m.key.id, "w5");
        wsp_push_msg_free(&m);
    }
}
END_TEST

/* docs/protocol.md §7: a JSON uid reaches the connection that bound with the same
 * object written another way; a web "12" never equals a client key. */
START_TEST(test_key_matching)
{
    const char *a = "{\"uid\":\"{\\\"uid\\\":\\\"12\\\",\\\"FunctionType\\\":4}\"}";
    const char *b = "{\"uid\":\" { \\\"FunctionType\\\" : 4 , \\\"uid\\\":\\\"12\\\" } \"}";
    const char *w = "{\"uid\":12}";
    wsp_push_msg ma, mb, mw;
    ck_assert_int_eq(wsp_push_line_parse(a, strlen(a), &ma), WSP_PUSH_OK);
    ck_assert_int_eq(wsp_push_line_parse(b, strlen(b), &mb), WSP_PUSH_OK);
    ck_assert_int_eq(wsp_push_line_parse(w, strlen(w), &mw), WSP_PUSH_OK);
    ck_assert_str_eq(ma.key.id, "c{\"FunctionType\":4,\"uid\":\"12\"}");
    ck_assert_str_eq(ma.key.id, mb.key.id);
    ck_assert_str_eq(mw.key.id, "w12");
    ck_assert_int_eq(ma.function_type, 4);
    ck_assert_int_eq(mb.function_type, 0); /* untrimmed uid starts with ' ' */
    wsp_push_msg_free(&ma);
    wsp_push_msg_free(&mb);
    wsp_push_msg_free(&mw);
}
END_TEST

/* (int) of a huge FunctionType is clamped into the int field; it is never
 * mistaken for 1 or 2. */
START_TEST(test_ft_range)
{
    const char *l = "{\"uid\":\"5\",\"FunctionType\":4294967297}";
    wsp_push_msg m;
    ck_assert_int_eq(wsp_push_line_parse(l, strlen(l), &m), WSP_PUSH_OK);
    ck_assert_int_eq(m.function_type, 2147483647);
    ck_assert_str_eq(m.payload, l);
    wsp_push_msg_free(&m);
    ck_assert_str_eq(wsp_push_fail_str(WSP_PUSH_NO_UID), "no uid");
    wsp_push_msg_free(NULL);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("push_line");
    TCase *tc = tcase_create("seed");
    tcase_add_test(tc, test_ok_lines);
    tcase_add_test(tc, test_fail_lines);
    tcase_add_test(tc, test_verbatim);
    tcase_add_test(tc, test_key_matching);
    tcase_add_test(tc, test_ft_range);
    suite_add_tcase(s, tc);
    return s;
}
