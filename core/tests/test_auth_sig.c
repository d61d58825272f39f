/*
 * test_auth_sig.c - auth_sig.c: the signed WebSocket URL (known answers
 * computed with PHP's hash_hmac and rawurlencode, so the format is pinned
 * independently of our code), every way a check fails, and the
 * constant-time secret comparison.
 */
#include "testutil.h"
#include "auth_sig.h"

#include <stdio.h>
#include <string.h>

#define SECRET "s3cret-s3cret-s3cret"
#define SL (sizeof(SECRET) - 1)
#define EXP 1700000000LL
/* php -r 'echo hash_hmac("sha256", "wspush-sig-v1\n1700000000\n5", "s3cret-s3cret-s3cret");' */
#define SIG5 "7df9bf3959b28e1225d79417652dd6d1af3d129def4862eb700908e0092abb43"
#define ADDIN "{\"uid\":\"12\", \"FunctionType\":4}"
#define SIG_ADDIN "3ea11d7d55bf652a9b9a970f51f75917a7f9c83851359abdd4bb4b8c8027c73a"
#define ADDIN_ENC "%7B%22uid%22%3A%2212%22%2C%20%22FunctionType%22%3A4%7D"

static wsp_sig_result check(const char *target, int64_t now, char **key, size_t *kn)
{
    return wsp_sig_check(SECRET, SL, target, strlen(target), now, key, kn);
}

START_TEST(make_query_known_answer)
{
    size_t n = 0;
    char *q = wsp_sig_make_query(SECRET, SL, "5", 1, EXP, &n);
    ck_assert_ptr_nonnull(q);
    ck_assert_str_eq(q, "wsp_key=5&wsp_exp=1700000000&wsp_sig=" SIG5);
    ck_assert_uint_eq(n, strlen(q));
    free(q);
    q = wsp_sig_make_query(SECRET, SL, ADDIN, sizeof(ADDIN) - 1, EXP, &n);
    ck_assert_str_eq(q, "wsp_key=" ADDIN_ENC "&wsp_exp=1700000000&wsp_sig=" SIG_ADDIN);
    free(q);
}
END_TEST

START_TEST(check_accepts_and_decodes)
{
    char *key;
    size_t kn;
    ck_assert_int_eq(check("/?wsp_key=5&wsp_exp=1700000000&wsp_sig=" SIG5, EXP, &key, &kn), WSP_SIG_OK);
    ck_assert_str_eq(key, "5");
    ck_assert_uint_eq(kn, 1);
    free(key);
    /* other parameters, another order, a path, a fragment, uppercase hex */
    const char *t = "/push/x?a=1&wsp_sig=7DF9BF3959B28E1225D79417652DD6D1AF3D129DEF4862EB700908E0092ABB43"
                    "&b&wsp_exp=1700000000&wsp_key=5#frag";
    ck_assert_int_eq(check(t, EXP - 100, &key, &kn), WSP_SIG_OK);
    free(key);
    /* '+' is a space in a form-encoded query (URLSearchParams writes it) */
    const char *addin = "/?wsp_key=%7B%22uid%22%3A%2212%22%2C+%22FunctionType%22%3A4%7D"
                        "&wsp_exp=1700000000&wsp_sig=" SIG_ADDIN;
    ck_assert_int_eq(check(addin, EXP, &key, &kn), WSP_SIG_OK);
    ck_assert_str_eq(key, ADDIN);
    free(key);
    /* "?query" without a path works too */
    ck_assert_int_eq(check("?wsp_key=5&wsp_exp=1700000000&wsp_sig=" SIG5, EXP, &key, &kn), WSP_SIG_OK);
    free(key);
}
END_TEST

START_TEST(check_refuses)
{
    static const struct { const char *t; int64_t now; wsp_sig_result want; } cases[] = {
        { "/", EXP, WSP_SIG_MISSING },
        /* found by fuzz_auth_sig: the query alone, without its '?', is a
         * path, not a query */
        { "wsp_key=5&wsp_exp=1700000000&wsp_sig=" SIG5, EXP, WSP_SIG_MISSING },
        { "/?", EXP, WSP_SIG_MISSING },
        { "/?wsp_key=5&wsp_exp=1700000000", EXP, WSP_SIG_MISSING },
        { "/?wsp_exp=1700000000&wsp_sig=" SIG5, EXP, WSP_SIG_MISSING },
        { "/?wsp_key=5&wsp_sig=" SIG5, EXP, WSP_SIG_MISSING },
        { "/#?wsp_key=5&wsp_exp=1700000000&wsp_sig=" SIG5, EXP, WSP_SIG_MISSING },
        /* expired: one second after exp */
        { "/?wsp_key=5&wsp_exp=1700000000&wsp_sig=" SIG5, EXP + 1, WSP_SIG_EXPIRED },
        /* forged: other key, other exp, one hex digit changed, another secret's */
        { "/?wsp_key=6&wsp_exp=1700000000&wsp_sig=" SIG5, EXP, WSP_SIG_FORGED },
        { "/?wsp_key=5&wsp_exp=1800000000&wsp_sig=" SIG5, EXP, WSP_SIG_FORGED },
        { "/?wsp_key=5&wsp_exp=1700000000&wsp_sig=8df9bf3959b28e1225d79417652dd6d1af3d129def4862eb700908e0092abb43", EXP, WSP_SIG_FORGED },
        { "/?wsp_key=5%20&wsp_exp=1700000000&wsp_sig=" SIG5, EXP, WSP_SIG_FORGED },
        /* an expired forgery is reported as forged, never as expired */
        { "/?wsp_key=6&wsp_exp=1700000000&wsp_sig=" SIG5, EXP + 10, WSP_SIG_FORGED },
        /* malformed */
        { "/?wsp_key=5&wsp_key=6&wsp_exp=1700000000&wsp_sig=" SIG5, EXP, WSP_SIG_MALFORMED },
        { "/?wsp_key=5&wsp_exp=1700000000&wsp_sig=" SIG5 "&wsp_sig=" SIG5, EXP, WSP_SIG_MALFORMED },
        { "/?wsp_key=5&wsp_exp=-1&wsp_sig=" SIG5, EXP, WSP_SIG_MALFORMED },
        { "/?wsp_key=5&wsp_exp=&wsp_sig=" SIG5, EXP, WSP_SIG_MALFORMED },
        { "/?wsp_key=5&wsp_exp=1e9&wsp_sig=" SIG5, EXP, WSP_SIG_MALFORMED },
        { "/?wsp_key=5&wsp_exp=9999999999999999999&wsp_sig=" SIG5, EXP, WSP_SIG_MALFORMED },
        { "/?wsp_key=5&wsp_exp=1700000000&wsp_sig=" SIG5 "0", EXP, WSP_SIG_MALFORMED },
        { "/?wsp_key=5&wsp_exp=1700000000&wsp_sig=zdf9bf3959b28e1225d79417652dd6d1af3d129def4862eb700908e0092abb43", EXP, WSP_SIG_MALFORMED },
        { "/?wsp_key=%7&wsp_exp=1700000000&wsp_sig=" SIG5, EXP, WSP_SIG_MALFORMED },
        { "/?wsp_key=%&wsp_exp=1700000000&wsp_sig=" SIG5, EXP, WSP_SIG_MALFORMED },
        { "/?wsp_key=%zz&wsp_exp=1700000000&wsp_sig=" SIG5, EXP, WSP_SIG_MALFORMED },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *key = (char *)1;
        size_t kn = 7;
        wsp_sig_result r = check(cases[i].t, cases[i].now, &key, &kn);
        if (r != cases[i].want)
            ck_abort_msg("case %zu (%s): got %s, want %s", i, cases[i].t,
                         wsp_sig_result_str(r), wsp_sig_result_str(cases[i].want));
        ck_assert_ptr_null(key);
        ck_assert_uint_eq(kn, 0);
    }
    /* found by fuzz_auth_sig: HMAC pads a short key with zero bytes, so a
     * secret and the same with trailing NULs sign alike (auth_secret is a C
     * string and cannot hold a NUL; sign() callers pass their own secret) */
    {
        char *k5 = NULL;
        size_t n5 = 0;
        const char *t5 = "/?wsp_key=5&wsp_exp=1700000000&wsp_sig=" SIG5;
        ck_assert_int_eq(wsp_sig_check(SECRET "\0", SL + 1, t5, strlen(t5), EXP, &k5, &n5), WSP_SIG_OK);
        free(k5);
        ck_assert_int_eq(wsp_sig_check(SECRET "y", SL + 1, t5, strlen(t5), EXP, &k5, &n5), WSP_SIG_FORGED);
    }
    /* another secret */
    char *key;
    size_t kn;
    const char *t = "/?wsp_key=5&wsp_exp=1700000000&wsp_sig=" SIG5;
    ck_assert_int_eq(wsp_sig_check("other", 5, t, strlen(t), EXP, &key, &kn), WSP_SIG_FORGED);
}
END_TEST

START_TEST(round_trip_binary_keys)
{
    /* every byte value in the key survives encoding and decoding */
    char k[256];
    for (int i = 0; i < 256; i++) k[i] = (char)i;
    size_t n;
    char *q = wsp_sig_make_query(SECRET, SL, k, sizeof k, EXP, &n);
    ck_assert_ptr_nonnull(q);
    char *t = malloc(n + 3);
    snprintf(t, n + 3, "/?%s", q);
    char *key;
    size_t kn;
    ck_assert_int_eq(check(t, EXP, &key, &kn), WSP_SIG_OK);
    ck_assert_uint_eq(kn, sizeof k);
    ck_assert(memcmp(key, k, kn) == 0);
    free(key);
    free(t);
    free(q);
}
END_TEST

START_TEST(secret_equal)
{
    ck_assert_int_eq(wsp_secret_equal("abc", 3, "abc", 3), 1);
    ck_assert_int_eq(wsp_secret_equal("abc", 3, "abd", 3), 0);
    ck_assert_int_eq(wsp_secret_equal("abc", 3, "abc", 2), 0);
    ck_assert_int_eq(wsp_secret_equal("abc", 3, "abcd", 4), 0);
    ck_assert_int_eq(wsp_secret_equal("", 0, "", 0), 1);
    ck_assert_int_eq(wsp_secret_equal("a\0b", 3, "a\0c", 3), 0);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("auth_sig");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, make_query_known_answer);
    tcase_add_test(tc, check_accepts_and_decodes);
    tcase_add_test(tc, check_refuses);
    tcase_add_test(tc, round_trip_binary_keys);
    tcase_add_test(tc, secret_equal);
    suite_add_tcase(s, tc);
    return s;
}
