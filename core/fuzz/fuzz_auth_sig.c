/*
 * fuzz_auth_sig.c - libFuzzer target for the signed WebSocket URL
 * (auth_sig.c). Input: byte 0 = secret length (0-31), then the secret,
 * then the rest. Checks, beyond "no crash, no leak":
 *  - any request target: a verdict from the enum, a key only with OK;
 *  - round trip: the query made for (secret, rest as key, exp from the
 *    secret bytes) checks OK with the same key until exp and EXPIRED after;
 *  - tampering: changing any one byte of the query's signature never
 *    checks OK; neither does the query under a longer secret.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth_sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t sl = data[0] % 32;
    if (1 + sl > size)
        return 0;
    const char *secret = (const char *)data + 1;
    const char *rest = secret + sl;
    size_t rn = size - 1 - sl;
    char *key = NULL;
    size_t kn = 0;

    wsp_sig_result r = wsp_sig_check(secret, sl, rest, rn, 1700000000, &key, &kn);
    if (r > WSP_SIG_NOMEM || (r == WSP_SIG_OK) != (key != NULL))
        abort();
    free(key);

    int64_t exp = 1;
    for (size_t i = 0; i < sl && i < 6; i++)
        exp = exp * 251 + (unsigned char)secret[i];
    size_t qn = 0;
    char *q = wsp_sig_make_query(secret, sl, rest, rn, exp, &qn);
    if (!q)
        return 0;
    if (qn != strlen(q) || qn < 64 || memchr(q, '?', qn) || memchr(q, '#', qn))
        abort();
    /* As the page sends it: the query follows a '?' (a target without one
     * has no query: signature missing). */
    if (wsp_sig_check(secret, sl, q, qn, exp, &key, &kn) != WSP_SIG_MISSING)
        abort();
    char *t = malloc(qn + 2);
    if (!t) { free(q); return 0; }
    t[0] = '?';
    memcpy(t + 1, q, qn + 1);
    free(q);
    q = t;
    qn++;
    if (wsp_sig_check(secret, sl, q, qn, exp, &key, &kn) != WSP_SIG_OK
        || kn != rn || (rn && memcmp(key, rest, rn) != 0))
        abort();
    free(key);
    if (wsp_sig_check(secret, sl, q, qn, exp + 1, &key, &kn) != WSP_SIG_EXPIRED || key)
        abort();
    /* one signature byte changed (the last 64 characters are the hex) */
    size_t at = qn - 1 - (rn % 64);
    char was = q[at];
    q[at] = was == '0' ? '1' : '0';
    if (wsp_sig_check(secret, sl, q, qn, exp, &key, &kn) == WSP_SIG_OK)
        abort();
    q[at] = was;
    /* Another secret: this one with a byte appended. (Not an arbitrary
     * one: HMAC pads a short key with zero bytes, so "x" and "x\0" are the
     * same key - found by this target; auth_secret cannot hold a NUL.) */
    char other[33];
    memcpy(other, secret, sl);
    other[sl] = 'y';
    if (wsp_sig_check(other, sl + 1, q, qn, exp, &key, &kn) == WSP_SIG_OK)
        abort();
    free(q);
    return 0;
}
