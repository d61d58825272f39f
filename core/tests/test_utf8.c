/* test_utf8.c - the incremental UTF-8 validator against RFC 3629 edge cases,
 * whole-buffer and split at every position. */
#include <string.h>
#include "testutil.h"
#include "../utf8.h"

static int valid_str(const char *s, size_t n)
{
    return wsp_utf8_valid((const uint8_t *)s, n);
}

/* Feeding in two parts, split anywhere, must agree with the whole feed. */
static int valid_split_everywhere(const char *s, size_t n)
{
    int whole = valid_str(s, n);
    for (size_t cut = 0; cut <= n; cut++) {
        wsp_utf8_state st;
        wsp_utf8_init(&st);
        int bad = wsp_utf8_feed(&st, (const uint8_t *)s, cut) < 0;
        bad |= wsp_utf8_feed(&st, (const uint8_t *)s + cut, n - cut) < 0;
        int v = !bad && wsp_utf8_complete(&st);
        ck_assert_int_eq(v, whole);
    }
    return whole;
}

#define V(lit) valid_split_everywhere(lit, sizeof(lit) - 1)

START_TEST(test_valid)
{
    ck_assert(V(""));
    ck_assert(V("hello, world"));
    ck_assert(V("\x7f"));
    ck_assert(V("\xc2\x80"));                 /* U+0080 */
    ck_assert(V("\xdf\xbf"));                 /* U+07FF */
    ck_assert(V("\xe0\xa0\x80"));             /* U+0800 */
    ck_assert(V("\xed\x9f\xbf"));             /* U+D7FF */
    ck_assert(V("\xee\x80\x80"));             /* U+E000 */
    ck_assert(V("\xef\xbf\xbf"));             /* U+FFFF */
    ck_assert(V("\xf0\x90\x80\x80"));         /* U+10000 */
    ck_assert(V("\xf4\x8f\xbf\xbf"));         /* U+10FFFF */
    ck_assert(V("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5")); /* kosme */
    ck_assert(V("获取变量成功 and some ASCII to cross the 8-byte fast path"));
    ck_assert(V("\xf0\x9f\x98\x80 emoji"));
}
END_TEST

START_TEST(test_overlong)
{
    ck_assert(!V("\xc0\xaf"));
    ck_assert(!V("\xc1\xbf"));
    ck_assert(!V("\xe0\x80\xaf"));
    ck_assert(!V("\xe0\x9f\xbf"));
    ck_assert(!V("\xf0\x80\x80\xaf"));
    ck_assert(!V("\xf0\x8f\xbf\xbf"));
}
END_TEST

START_TEST(test_surrogates_and_range)
{
    ck_assert(!V("\xed\xa0\x80"));            /* U+D800 */
    ck_assert(!V("\xed\xbf\xbf"));            /* U+DFFF */
    ck_assert(!V("\xed\xa0\x80\xed\xb0\x80")); /* encoded pair */
    ck_assert(!V("\xf4\x90\x80\x80"));        /* U+110000 */
    ck_assert(!V("\xf5\x80\x80\x80"));
    ck_assert(!V("\xff"));
    ck_assert(!V("\xfe"));
}
END_TEST

START_TEST(test_bad_sequences)
{
    ck_assert(!V("\x80"));                    /* lone continuation */
    ck_assert(!V("a\xbf" "b"));
    ck_assert(!V("\xc2"));                    /* truncated at end */
    ck_assert(!V("\xe1\x80"));
    ck_assert(!V("\xf1\x80\x80"));
    ck_assert(!V("\xc2" "a"));                /* continuation missing */
    ck_assert(!V("\xe1\x80" "a"));
    ck_assert(!V("\xf1\x80\x80" "a"));
    ck_assert(!V("\xc2\x80\x80"));            /* one too many */
}
END_TEST

START_TEST(test_incremental_states)
{
    wsp_utf8_state st;
    const uint8_t e[] = { 0xe2, 0x82, 0xac };  /* euro sign */

    wsp_utf8_init(&st);
    ck_assert_int_eq(wsp_utf8_feed(&st, e, 1), 0);
    ck_assert(!wsp_utf8_complete(&st));
    ck_assert_int_eq(wsp_utf8_feed(&st, e + 1, 1), 0);
    ck_assert(!wsp_utf8_complete(&st));
    ck_assert_int_eq(wsp_utf8_feed(&st, e + 2, 1), 0);
    ck_assert(wsp_utf8_complete(&st));

    /* The failure is reported by the byte that proves it, and sticks. */
    const uint8_t bad[] = { 'a', 0xf4, 0x90 };
    wsp_utf8_init(&st);
    ck_assert_int_eq(wsp_utf8_feed(&st, bad, 2), 0);
    ck_assert_int_eq(wsp_utf8_feed(&st, bad + 2, 1), -1);
    ck_assert_int_eq(wsp_utf8_feed(&st, (const uint8_t *)"abc", 3), -1);
    ck_assert(!wsp_utf8_complete(&st));
}
END_TEST

/* Every byte value as a lead byte followed by valid continuations: only
 * C2..F4 can start a sequence. */
START_TEST(test_all_lead_bytes)
{
    for (int b = 0; b < 256; b++) {
        uint8_t s[4] = { (uint8_t)b, 0xa0, 0x90, 0x90 };
        int expect_start = b < 0x80 || (b >= 0xc2 && b <= 0xf4);
        wsp_utf8_state st;
        wsp_utf8_init(&st);
        int rc = wsp_utf8_feed(&st, s, 1);
        ck_assert_int_eq(rc == 0, expect_start);
    }
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("utf8");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_valid);
    tcase_add_test(tc, test_overlong);
    tcase_add_test(tc, test_surrogates_and_range);
    tcase_add_test(tc, test_bad_sequences);
    tcase_add_test(tc, test_incremental_states);
    tcase_add_test(tc, test_all_lead_bytes);
    suite_add_tcase(s, tc);
    return s;
}
