/*
 * test_keys_canon.c - keys_canon.c: PHP trim() bounds (checked against
 * php 8.2: trim() strips " \t\n\r\0\x0B" but not \f or U+00A0), web and
 * client keys (docs/protocol.md §2, §7), and that the two kinds never meet.
 */
#include "testutil.h"
#include "keys_canon.h"
#include "json_php.h"

#include <string.h>

typedef struct { const char *in; size_t len; const char *out; size_t out_len; } trim_case;
#define T(s, o) { s, sizeof(s) - 1, o, sizeof(o) - 1 }

START_TEST(test_trim)
{
    static const trim_case cases[] = {
        T("5", "5"), T("", ""), T("   ", ""), T("\0\x0b 5 \t\n\r", "5"),
        T("\f5\f", "\f5\f"), T("\xc2\xa0" "5", "\xc2\xa0" "5"), T(" a b ", "a b"),
        T("\0", ""), T("x\0", "x"),
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *s;
        size_t n;
        wsp_php_trim(cases[i].in, cases[i].len, &s, &n);
        ck_assert_uint_eq(n, cases[i].out_len);
        ck_assert(memcmp(s, cases[i].out, n) == 0);
    }
}
END_TEST

typedef struct { const char *in; size_t len; int rc; const char *id; size_t id_len; } key_case;
#define K(s, rc, id) { s, sizeof(s) - 1, rc, id, sizeof(id) - 1 }

START_TEST(test_key_from_text)
{
    static const key_case cases[] = {
        K("5", 0, "w5"),
        K(" 5\r\n", 0, "w5"),
        K("", -1, ""),
        K(" \t\0\x0b", -1, ""),
        K("\f5", 0, "w\f5"),
        K("abc def", 0, "wabc def"),
        K("[1,2]", 0, "w[1,2]"),          /* JSON, but not an object */
        K("\"{}\"", 0, "w\"{}\""),
        K("{bad", 0, "w{bad"),
        K("{\"a\":1}x", 0, "w{\"a\":1}x"),
        K("{\"a\":1}\f", 0, "w{\"a\":1}\f"), /* \f is not trimmed, not JSON ws */
        K("{}", 0, "c{}"),
        K("{\"uid\":\"12\",\"FunctionType\":4}", 0, "c{\"FunctionType\":4,\"uid\":\"12\"}"),
        K(" {\"FunctionType\" : 4,\n \"uid\":\"12\"}\x0b", 0, "c{\"FunctionType\":4,\"uid\":\"12\"}"),
        K("{\"uid\":\"12\",\"uid\":\"13\"}", 0, "c{\"uid\":\"13\"}"),
        K("{\"b\":[{\"y\":1,\"x\":2}],\"a\":\"\\u00e9\"}", 0, "c{\"a\":\"\xc3\xa9\",\"b\":[{\"x\":2,\"y\":1}]}"),
        K("{\"a\":\"x\0y\"}", 0, "w{\"a\":\"x\0y\"}"), /* raw NUL: not JSON */
        K("12\0", 0, "w12"),
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        wsp_key k;
        int rc = wsp_key_from_text(cases[i].in, cases[i].len, &k);
        ck_assert_msg(rc == cases[i].rc, "case %zu: rc %d", i, rc);
        if (rc < 0) {
            ck_assert_ptr_null(k.id);
            continue;
        }
        ck_assert_msg(k.id_len == cases[i].id_len && memcmp(k.id, cases[i].id, k.id_len) == 0,
                      "case %zu: got '%s', want '%s'", i, k.id, cases[i].id);
        ck_assert_int_eq(k.id[k.id_len], '\0');
        ck_assert_int_eq(wsp_key_is_web(&k), cases[i].id[0] == 'w');
        ck_assert(memcmp(wsp_key_text(&k), cases[i].id + 1, k.id_len - 1) == 0);
        wsp_key_free(&k);
        ck_assert_ptr_null(k.id);
        wsp_key_free(&k); /* safe twice */
    }
}
END_TEST

/* Web "12" and a client key whose uid is "12" are different keys. */
START_TEST(test_kinds_never_meet)
{
    wsp_key w, c;
    ck_assert_int_eq(wsp_key_from_text("12", 2, &w), 0);
    ck_assert_int_eq(wsp_key_from_text("{\"uid\":\"12\"}", 12, &c), 0);
    ck_assert(w.id_len != c.id_len || memcmp(w.id, c.id, w.id_len) != 0);
    ck_assert(wsp_key_is_web(&w) && !wsp_key_is_web(&c));
    wsp_key_free(&w);
    wsp_key_free(&c);
    /* Even a web key whose text is a canonical object stays a web key. */
    ck_assert_int_eq(wsp_key_web_from_text(" {} ", 4, &w), 0);
    ck_assert_str_eq(w.id, "w{}");
    wsp_key_free(&w);
    ck_assert_int_eq(wsp_key_web_from_text(" ", 1, &w), -1);
}
END_TEST

START_TEST(test_key_ex_object)
{
    wsp_key k;
    struct json_object *obj = (struct json_object *)1;
    ck_assert_int_eq(wsp_key_from_text_ex("{\"FunctionType\":2}", 18, &k, &obj), 0);
    ck_assert_ptr_nonnull(obj);
    ck_assert_int_eq(json_object_get_int(json_object_object_get(obj, "FunctionType")), 2);
    json_object_put(obj);
    wsp_key_free(&k);
    ck_assert_int_eq(wsp_key_from_text_ex("5", 1, &k, &obj), 0);
    ck_assert_ptr_null(obj);
    wsp_key_free(&k);
}
END_TEST

/* The canonical form of a client key is itself a client key with the same
 * id (what a reconnecting add-in sends may already be canonical). */
START_TEST(test_canonical_stable)
{
    static const char *texts[] = {
        "{\"z\":{\"b\":1,\"a\":[{},{\"0\":1}]},\"y\":-0.0,\"x\":1e25,\"w\":\"\\u2028/\\\"\"}",
        "{\"k\\u0000\":1,\"k\":2}",
    };
    for (size_t i = 0; i < 2; i++) {
        wsp_key a, b;
        ck_assert_int_eq(wsp_key_from_text(texts[i], strlen(texts[i]), &a), 0);
        ck_assert_int_eq(wsp_key_from_text(a.id + 1, a.id_len - 1, &b), 0);
        ck_assert_uint_eq(a.id_len, b.id_len);
        ck_assert(memcmp(a.id, b.id, a.id_len) == 0);
        wsp_key_free(&a);
        wsp_key_free(&b);
    }
}
END_TEST

/* Found by fuzz_canonical_key: a number beyond double range inside a
 * client key. json-c re-serializes it as Infinity (no JSON); the key keeps
 * one deterministic form, and that form is its own key. */
START_TEST(test_number_beyond_double)
{
    const char *in = "{\"e{\":{\"1e2\":1e1529}}";
    wsp_key k, k2;
    ck_assert_int_eq(wsp_key_from_text(in, strlen(in), &k), 0);
    ck_assert_str_eq(k.id, "c{\"e{\":{\"1e2\":1e999}}");
    ck_assert_int_eq(wsp_key_from_text(k.id + 1, k.id_len - 1, &k2), 0);
    ck_assert_str_eq(k2.id, k.id);
    wsp_key_free(&k);
    wsp_key_free(&k2);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("keys_canon");
    TCase *tc = tcase_create("keys");
    tcase_add_test(tc, test_trim);
    tcase_add_test(tc, test_key_from_text);
    tcase_add_test(tc, test_kinds_never_meet);
    tcase_add_test(tc, test_key_ex_object);
    tcase_add_test(tc, test_canonical_stable);
    tcase_add_test(tc, test_number_beyond_double);
    suite_add_tcase(s, tc);
    return s;
}
