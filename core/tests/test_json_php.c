/*
 * test_json_php.c - json_php.c against PHP 8.2: what json_decode($s, true)
 * accepts, what json_encode(..., JSON_UNESCAPED_UNICODE) prints, PHP's
 * (string) and (int) casts, and the canonical key form. Every expected
 * value below was produced by running php 8.2 on the same input.
 */
#include "testutil.h"
#include "json_php.h"

#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct { const char *in, *out; } str_case;
typedef struct { const char *in; int64_t out; } int_case;

/* PHP 8.2: json_encode(json_decode(IN, true), JSON_UNESCAPED_UNICODE) */
static const str_case encode_cases[] = {
    { "-0.0", "-0" },
    { "-0", "0" },
    { "0.0", "0" },
    { "1.0", "1" },
    { "1e2", "100" },
    { "1E+2", "100" },
    { "1e25", "1.0e+25" },
    { "0.1", "0.1" },
    { "1e16", "10000000000000000" },
    { "1e17", "1.0e+17" },
    { "1e-5", "1.0e-5" },
    { "0.0001", "0.0001" },
    { "123456789012345678901234", "1.2345678901234569e+23" },
    { "-123456789012345678901234", "-1.2345678901234569e+23" },
    { "9223372036854775807", "9223372036854775807" },
    { "9223372036854775808", "9.223372036854776e+18" },
    { "-9223372036854775808", "-9223372036854775808" },
    { "-9223372036854775809", "-9.223372036854776e+18" },
    { "18446744073709551616", "1.8446744073709552e+19" },
    { "5e-324", "5.0e-324" },
    { "1.7976931348623157e308", "1.7976931348623157e+308" },
    { "0.30000000000000004", "0.30000000000000004" },
    { "100.0e-2", "1" },
    { "2.5e-7", "2.5e-7" },
    { "4.35", "4.35" },
    { "1e15", "1000000000000000" },
    { "123456789012345", "123456789012345" },
    { "-1.5e-10", "-1.5e-10" },
    { "\"\\u00e9\\ud83d\\ude00\"", "\"\xc3""\xa9""\xf0""\x9f""\x98""\x80""\"" },
    { "\"\\uD83D\\uDE00\"", "\"\xf0""\x9f""\x98""\x80""\"" },
    { "\"/\\\\\\\"\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f\"", "\"\\/\\\\\\\"\\b\\f\\n\\r\\t\\u0001\\u001f\x7f""\"" },
    { "\"\\u2028\\u2029\"", "\"\\u2028\\u2029\"" },
    { "\"\xe2""\x80""\xa8""\"", "\"\\u2028\"" },
    { "\"\\u0000\"", "\"\\u0000\"" },
    { "{\"a\\u0000b\":1}", "{\"a\\u0000b\":1}" },
    { "{}", "[]" },
    { "[]", "[]" },
    { "{\"0\":1,\"1\":2}", "[1,2]" },
    { "{\"1\":1,\"0\":2}", "{\"1\":1,\"0\":2}" },
    { "{\"0\":1,\"2\":2}", "{\"0\":1,\"2\":2}" },
    { "{\"00\":1}", "{\"00\":1}" },
    { "{\"a\":1,\"b\":2,\"a\":3}", "{\"a\":3,\"b\":2}" },
    { "{\"a\":1,\"a\":2,\"b\":3}", "{\"a\":2,\"b\":3}" },
    { "{\"0\":\"x\",\"1\":\"y\",\"0\":\"z\"}", "[\"z\",\"y\"]" },
    { "{\"\":{\"0\":{}}}", "{\"\":[[]]}" },
    { " [ 1 , {\"k\" : [ ] } ] ", "[1,{\"k\":[]}]" },
    { "\"\\u00E9\"", "\"\xc3""\xa9""\"" },
    { "true", "true" },
    { "null", "null" },
    { "\"\xc3""\xa9""\xe4""\xb8""\xad""\xf0""\x9f""\x98""\x80""\"", "\"\xc3""\xa9""\xe4""\xb8""\xad""\xf0""\x9f""\x98""\x80""\"" },
    { "{\"0\":[],\"1\":{\"0\":null}}", "[[],[null]]" },
};

/* PHP 8.2: (string)json_decode(IN) */
static const str_case string_cases[] = {
    { "1e25", "1.0E+25" },
    { "12.0", "12" },
    { "0.1", "0.1" },
    { "1e15", "1.0E+15" },
    { "123456789012345", "123456789012345" },
    { "1e16", "1.0E+16" },
    { "123456789012345678901234", "1.2345678901235E+23" },
    { "-0.0", "-0" },
    { "0.30000000000000004", "0.3" },
    { "5e-324", "4.9406564584125E-324" },
    { "1e999", "INF" },
    { "-1e999", "-INF" },
    { "1.0", "1" },
    { "100.0e-2", "1" },
    { "0.0001", "0.0001" },
    { "1e-5", "1.0E-5" },
    { "12", "12" },
    { "-7", "-7" },
    { "9223372036854775808", "9.2233720368548E+18" },
    { "1.5", "1.5" },
    { "99999999999999.5", "1.0E+14" },
    { "0.00012345678901234567", "0.00012345678901235" },
};

/* PHP 8.2: (int)json_decode(IN, true) */
static const int_case int_cases[] = {
    { "\"4\"", INT64_C(4) },
    { "\" 4\"", INT64_C(4) },
    { "\"4 \"", INT64_C(4) },
    { "\"\\n4\"", INT64_C(4) },
    { "\"\\u000b2\"", INT64_C(2) },
    { "\"\\f2\"", INT64_C(2) },
    { "\"1abc\"", INT64_C(1) },
    { "\"abc\"", INT64_C(0) },
    { "\"1e3\"", INT64_C(1000) },
    { "\"1.9e0\"", INT64_C(1) },
    { "\"0x1\"", INT64_C(0) },
    { "\"2.9\"", INT64_C(2) },
    { "\"-1\"", INT64_C(-1) },
    { "\"1e-5\"", INT64_C(0) },
    { "\"9999999999999999999\"", INT64_C(9223372036854775807) },
    { "\"-9999999999999999999\"", INT64_MIN },
    { "\"1e30\"", INT64_C(9223372036854775807) },
    { "\"1e999\"", INT64_C(0) },
    { "\" \"", INT64_C(0) },
    { "\"\"", INT64_C(0) },
    { "\"+2\"", INT64_C(2) },
    { "\".5\"", INT64_C(0) },
    { "\".5e1\"", INT64_C(5) },
    { "\"5.\"", INT64_C(5) },
    { "\"1.e5\"", INT64_C(100000) },
    { "\"1e\"", INT64_C(1) },
    { "\"1e+\"", INT64_C(1) },
    { "\"- 1\"", INT64_C(0) },
    { "\"+.e1\"", INT64_C(0) },
    { "\"1.99999999999999999999\"", INT64_C(2) },
    { "\"0009\"", INT64_C(9) },
    { "1.9", INT64_C(1) },
    { "-1.9", INT64_C(-1) },
    { "1e19", INT64_C(-8446744073709551616) },
    { "-1e19", INT64_C(8446744073709551616) },
    { "1e30", INT64_C(5076964154930102272) },
    { "1e999", INT64_C(0) },
    { "-1e999", INT64_C(0) },
    { "9223372036854775808", INT64_MIN },
    { "18446744073709551617", INT64_C(0) },
    { "true", INT64_C(1) },
    { "false", INT64_C(0) },
    { "[]", INT64_C(0) },
    { "[0]", INT64_C(1) },
    { "{}", INT64_C(0) },
    { "{\"a\":1}", INT64_C(1) },
    { "null", INT64_C(0) },
    { "100", INT64_C(100) },
    { "100.7", INT64_C(100) },
};

/* PHP 8.2: json_decode(IN, true) === null with an error (0) or not (1). */
typedef struct { const char *in; size_t len; int ok; } accept_case;
#define A(s, ok) { s, sizeof(s) - 1, ok }
static const accept_case accept_cases[] = {
    A(" 1 ", 1), A("\"\"", 1), A("{\"\":1}", 1), A("[]", 1), A("{}", 1),
    A("\"\\ud83d\\ude00\"", 1), A("\"\x7f\"", 1), A("\"\\u0000\"", 1),
    A(" \t\r\n{\"a\":[1,{\"b\":null}]}\n", 1), A("-0", 1), A("1E5", 1),
    A("TRUE", 0), A("True", 0), A("NULL", 0), A("tru", 0),
    A("1\x0b", 0), A("\x0b" "1", 0), A("1\0", 0), A("01", 0), A("1.", 0),
    A(".1", 0), A("-", 0), A("+1", 0), A("1.e5", 0), A("1e", 0), A("-01", 0),
    A("[1,]", 0), A("{\"a\":1,}", 0), A("{'a':1}", 0), A("NaN", 0),
    A("Infinity", 0), A("[1]//c", 0), A("/*c*/1", 0), A("[1 2]", 0),
    A("{\"a\" 1}", 0), A(" ", 0), A("", 0), A("\xef\xbb\xbf" "1", 0),
    A("\"\\ud800\"", 0), A("\"\\udc00\"", 0), A("\"\\ud800\\u0041\"", 0),
    A("\"\\ud83d\\ude0\"", 0), A("\"\xff\"", 0), A("\"\xc0\x80\"", 0),
    A("\"\xed\xa0\x80\"", 0), A("\"\xf4\x90\x80\x80\"", 0), A("\"\xe0\x80\xaf\"", 0),
    A("\"a\tb\"", 0), A("\"\\a\"", 0), A("\"\\u12\"", 0), A("{\"a\":1}x", 0),
    A("{\"a\":1}}", 0), A("[", 0), A("\"abc", 0), A("{\"a\"}", 0), A("{1:2}", 0),
};

START_TEST(test_accept)
{
    for (size_t i = 0; i < sizeof accept_cases / sizeof *accept_cases; i++) {
        const accept_case *c = &accept_cases[i];
        struct json_object *v = NULL;
        int rc = wsp_json_decode(c->in, c->len, &v);
        ck_assert_msg((rc == 0) == c->ok, "case %zu '%s': rc %d, PHP %s", i, c->in,
                      rc, c->ok ? "accepts" : "rejects");
        json_object_put(v);
    }
}
END_TEST

static char *nest(const char *open, const char *mid, const char *close, int n)
{
    size_t lo = strlen(open), lm = strlen(mid), lc = strlen(close);
    char *s = malloc(n * (lo + lc) + lm + 1), *p = s;
    for (int i = 0; i < n; i++, p += lo)
        memcpy(p, open, lo);
    memcpy(p, mid, lm);
    p += lm;
    for (int i = 0; i < n; i++, p += lc)
        memcpy(p, close, lc);
    *p = '\0';
    return s;
}

/* PHP: 511 nested arrays or objects decode, 512 do not (default depth). */
START_TEST(test_depth)
{
    static const struct { const char *o, *m, *c; } kinds[] = {
        { "[", "", "]" }, { "[", "1", "]" }, { "{\"a\":", "1", "}" },
    };
    for (size_t k = 0; k < 3; k++) {
        for (int n = 510; n <= 513; n++) {
            char *s = nest(kinds[k].o, kinds[k].m, kinds[k].c, n);
            struct json_object *v = NULL;
            int rc = wsp_json_decode(s, strlen(s), &v);
            ck_assert_int_eq(rc == 0, n <= 511);
            if (v) { /* and what decodes, encodes (PHP encodes up to 512) */
                size_t len;
                char *e = wsp_json_php_encode(v, &len);
                ck_assert_ptr_nonnull(e);
                free(e);
            }
            json_object_put(v);
            free(s);
        }
    }
}
END_TEST

START_TEST(test_encode)
{
    for (size_t i = 0; i < sizeof encode_cases / sizeof *encode_cases; i++) {
        const str_case *c = &encode_cases[i];
        struct json_object *v = NULL;
        ck_assert_int_eq(wsp_json_decode(c->in, strlen(c->in), &v), 0);
        size_t len = 0;
        char *e = NULL;
        ck_assert_int_eq(wsp_json_php_encode_ex(v, &e, &len), 0);
        ck_assert_msg(len == strlen(c->out) && strcmp(e, c->out) == 0,
                      "encode '%s': got '%s', PHP '%s'", c->in, e, c->out);
        free(e);
        json_object_put(v);
    }
}
END_TEST

/* json_decode('1e999') is INF, which json_encode refuses. */
START_TEST(test_encode_inf)
{
    struct json_object *v = wsp_json_parse("{\"a\":[1e999]}", 13);
    ck_assert_ptr_nonnull(v);
    char *e = (char *)1;
    size_t len;
    ck_assert_int_eq(wsp_json_php_encode_ex(v, &e, &len), WSP_JSON_INVALID);
    ck_assert_ptr_null(e);
    ck_assert_ptr_null(wsp_json_php_encode(v, &len));
    json_object_put(v);
}
END_TEST

/* Values built with json-c directly (not parsed) follow the same rules;
 * invalid UTF-8 fails as in PHP; a uint64 above INT64_MAX prints as PHP
 * would print the double it decodes that literal to. */
START_TEST(test_encode_built)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "u", json_object_new_uint64(18446744073709551615ULL));
    json_object_object_add(o, "d", json_object_new_double(-0.0));
    size_t len;
    char *e = wsp_json_php_encode(o, &len);
    ck_assert_str_eq(e, "{\"u\":1.8446744073709552e+19,\"d\":-0}");
    free(e);
    json_object_object_add(o, "bad", json_object_new_string("\xff"));
    ck_assert_ptr_null(wsp_json_php_encode(o, &len));
    json_object_put(o);
}
END_TEST

START_TEST(test_number_string)
{
    for (size_t i = 0; i < sizeof string_cases / sizeof *string_cases; i++) {
        const str_case *c = &string_cases[i];
        struct json_object *v = wsp_json_parse(c->in, strlen(c->in));
        char out[64];
        size_t n = wsp_json_number_string(v, out, sizeof out);
        ck_assert_msg(n == strlen(c->out) && strcmp(out, c->out) == 0,
                      "(string)%s: got '%s', PHP '%s'", c->in, out, c->out);
        json_object_put(v);
    }
}
END_TEST

START_TEST(test_intval)
{
    for (size_t i = 0; i < sizeof int_cases / sizeof *int_cases; i++) {
        const int_case *c = &int_cases[i];
        struct json_object *v = NULL;
        ck_assert_int_eq(wsp_json_decode(c->in, strlen(c->in), &v), 0);
        int64_t got = wsp_php_intval(v);
        ck_assert_msg(got == c->out, "(int)%s: got %lld, PHP %lld", c->in,
                      (long long)got, (long long)c->out);
        json_object_put(v);
    }
}
END_TEST

START_TEST(test_canonical)
{
    static const str_case cases[] = {
        { "{\"uid\":\"12\",\"FunctionType\":4}", "{\"FunctionType\":4,\"uid\":\"12\"}" },
        { " { \"FunctionType\" : 4 , \"uid\" : \"12\" } ", "{\"FunctionType\":4,\"uid\":\"12\"}" },
        { "{\"b\":{\"d\":1,\"c\":[{\"z\":1,\"y\":2}]},\"a\":null}",
          "{\"a\":null,\"b\":{\"c\":[{\"y\":2,\"z\":1}],\"d\":1}}" },
        { "{\"a\":1,\"b\":2,\"a\":3}", "{\"a\":3,\"b\":2}" },      /* last wins */
        { "{}", "{}" },                                            /* stays an object */
        { "{\"1\":\"a\",\"0\":\"b\"}", "{\"0\":\"b\",\"1\":\"a\"}" },
        { "{\"B\":1,\"a\":2,\"\xc3\xa9\":3,\"\":4}", "{\"\":4,\"B\":1,\"a\":2,\"\xc3\xa9\":3}" },
        { "{\"x\":[1.0,1e2,-0.0,0.1,1e25,123456789012345678901234,1e999]}",
          "{\"x\":[1,100,-0.0,0.1,1.0e+25,1.2345678901234569e+23,1e999]}" },
        { "{\"s\":\"\\u00e9\\/\\u0001\",\"k\\u0000\":true}", "{\"k\\u0000\":true,\"s\":\"\xc3\xa9\\/\\u0001\"}" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t len = 0;
        char *c1 = wsp_json_canonical(cases[i].in, strlen(cases[i].in), &len);
        ck_assert_msg(c1 && strcmp(c1, cases[i].out) == 0, "canonical '%s': got '%s'",
                      cases[i].in, c1 ? c1 : "(null)");
        ck_assert_uint_eq(len, strlen(cases[i].out));
        size_t len2 = 0;
        char *c2 = wsp_json_canonical(c1, len, &len2);
        ck_assert_str_eq(c1, c2); /* idempotent */
        free(c1);
        free(c2);
    }
    static const char *not_objects[] = { "[1]", "5", "\"{}\"", "{", "{\"a\":1}x", "" };
    for (size_t i = 0; i < sizeof not_objects / sizeof *not_objects; i++) {
        size_t len;
        ck_assert_ptr_null(wsp_json_canonical(not_objects[i], strlen(not_objects[i]), &len));
    }
}
END_TEST

START_TEST(test_scan_object)
{
    static const char *const names[] = { "uid", "FunctionType" };
    struct json_object *vals[2];
    const char *s = "{\"uid\":\"a\",\"x\":[1,{\"uid\":9}],\"u\\u0069d\":\"b\",\"FunctionType\":null}";
    ck_assert_int_eq(wsp_json_scan_object(s, strlen(s), names, 2, vals), 1);
    ck_assert_str_eq(json_object_get_string(vals[0]), "b"); /* last, escaped key */
    ck_assert_ptr_null(vals[1]);
    json_object_put(vals[0]);
    ck_assert_int_eq(wsp_json_scan_object("[1]", 3, names, 2, vals), 0);
    ck_assert_ptr_null(vals[0]);
    ck_assert_int_eq(wsp_json_scan_object("{\"uid\":1,}", 10, names, 2, vals), WSP_JSON_INVALID);
    ck_assert_ptr_null(vals[0]);
}
END_TEST

/* The host PHP may switch LC_NUMERIC; numbers must not follow it. */
START_TEST(test_locale)
{
    static const char *locs[] = { "de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "ru_RU.UTF-8" };
    const char *set = NULL;
    for (size_t i = 0; i < 4 && !set; i++)
        set = setlocale(LC_NUMERIC, locs[i]);
    struct json_object *v = wsp_json_parse("[0.5,1.25e-7]", 13);
    size_t len;
    char *e = wsp_json_php_encode(v, &len);
    ck_assert_str_eq(e, "[0.5,1.25e-7]");
    char out[64];
    wsp_json_number_string(json_object_array_get_idx(v, 0), out, sizeof out);
    ck_assert_str_eq(out, "0.5");
    free(e);
    json_object_put(v);
    setlocale(LC_NUMERIC, "C");
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("json_php");
    TCase *tc = tcase_create("php");
    tcase_add_test(tc, test_accept);
    tcase_add_test(tc, test_depth);
    tcase_add_test(tc, test_encode);
    tcase_add_test(tc, test_encode_inf);
    tcase_add_test(tc, test_encode_built);
    tcase_add_test(tc, test_number_string);
    tcase_add_test(tc, test_intval);
    tcase_add_test(tc, test_canonical);
    tcase_add_test(tc, test_scan_object);
    tcase_add_test(tc, test_locale);
    suite_add_tcase(s, tc);
    return s;
}
