/*
 * auth_sig.c - the signed WebSocket URL and the push token comparison
 * (auth_sig.h). Pure functions over bytes with a length; libcrypto for
 * HMAC-SHA256, SHA-256 and CRYPTO_memcmp.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth_sig.h"

#define SIG_DOMAIN "wspush-sig-v1\n"   /* versioned: a later format cannot be confused with this one */
#define SIG_BYTES  32

const char *wsp_sig_result_str(wsp_sig_result r)
{
    switch (r) {
    case WSP_SIG_OK:        return "ok";
    case WSP_SIG_MISSING:   return "signature missing";
    case WSP_SIG_MALFORMED: return "signature malformed";
    case WSP_SIG_FORGED:    return "signature invalid";
    case WSP_SIG_EXPIRED:   return "signature expired";
    case WSP_SIG_NOMEM:     return "out of memory";
    }
    return "signature invalid";
}

/* HMAC-SHA256(secret, SIG_DOMAIN exp "\n" key) into md. 0 or -1. */
static int sig_mac(const char *secret, size_t secret_len, const char *key, size_t key_len,
                   int64_t exp, unsigned char md[SIG_BYTES])
{
    char head[64];
    int hn = snprintf(head, sizeof(head), SIG_DOMAIN "%lld\n", (long long)exp);
    size_t n = (size_t)hn + key_len;
    unsigned char *msg = malloc(n ? n : 1);
    unsigned int mdlen = 0;
    int ok;

    if (!msg || hn < 0)
        return free(msg), -1;
    memcpy(msg, head, (size_t)hn);
    if (key_len)
        memcpy(msg + hn, key, key_len);
    /* HMAC() wants a non-NULL key pointer even for an empty secret. */
    ok = HMAC(EVP_sha256(), secret_len ? secret : "", (int)secret_len, msg, n, md, &mdlen) != NULL
         && mdlen == SIG_BYTES;
    free(msg);
    return ok ? 0 : -1;
}

static int is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
        || c == '-' || c == '.' || c == '_' || c == '~';
}

char *wsp_sig_make_query(const char *secret, size_t secret_len, const char *key,
                         size_t key_len, int64_t exp, size_t *out_len)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[SIG_BYTES];
    /* "wsp_key=" + 3 per key byte + "&wsp_exp=" + 20 + "&wsp_sig=" + 64 + NUL */
    size_t cap = 8 + key_len * 3 + 9 + 20 + 9 + 2 * SIG_BYTES + 1;
    char *out, *p;

    if (key_len > (SIZE_MAX - 200) / 3 || sig_mac(secret, secret_len, key, key_len, exp, md) != 0)
        return NULL;
    if (!(out = malloc(cap)))
        return NULL;
    p = out;
    memcpy(p, "wsp_key=", 8);
    p += 8;
    for (size_t i = 0; i < key_len; i++) {
        unsigned char c = (unsigned char)key[i];
        if (is_unreserved(c)) {
            *p++ = (char)c;
        } else {
            *p++ = '%';
            *p++ = "0123456789ABCDEF"[c >> 4];
            *p++ = "0123456789ABCDEF"[c & 15];
        }
    }
    p += snprintf(p, cap - (size_t)(p - out), "&wsp_exp=%lld&wsp_sig=", (long long)exp);
    for (size_t i = 0; i < SIG_BYTES; i++) {
        *p++ = hex[md[i] >> 4];
        *p++ = hex[md[i] & 15];
    }
    *p = '\0';
    if (out_len)
        *out_len = (size_t)(p - out);
    return out;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Form-decode v[0..n) ("%XX", '+' = space) into a new NUL-terminated
 * buffer. Returns NULL on a bad escape (*bad = 1) or out of memory. */
static char *form_decode(const char *v, size_t n, size_t *out_n, int *bad)
{
    char *o = malloc(n + 1);
    size_t j = 0;

    if (!o)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (v[i] == '%') {
            int hi, lo;
            if (i + 2 >= n || (hi = hexval((unsigned char)v[i + 1])) < 0
                || (lo = hexval((unsigned char)v[i + 2])) < 0) {
                free(o);
                *bad = 1;
                return NULL;
            }
            o[j++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            o[j++] = v[i] == '+' ? ' ' : v[i];
        }
    }
    o[j] = '\0';
    *out_n = j;
    return o;
}

wsp_sig_result wsp_sig_check(const char *secret, size_t secret_len, const char *target,
                             size_t target_len, int64_t now, char **key_out,
                             size_t *key_len)
{
    const char *hash = memchr(target, '#', target_len);
    if (hash)
        target_len = (size_t)(hash - target);   /* a fragment is never part of the query */
    const char *q = memchr(target, '?', target_len);
    const char *kv = NULL, *ev = NULL, *sv = NULL;
    size_t kn = 0, en = 0, sn = 0;
    unsigned char want[SIG_BYTES], got[SIG_BYTES];
    int64_t exp = 0;
    char *key = NULL;
    size_t keyn = 0;
    int bad = 0;

    *key_out = NULL;
    *key_len = 0;
    if (!q)
        return WSP_SIG_MISSING;
    q++;
    size_t qn = target_len - (size_t)(q - target);

    /* Pick out the three parameters; each at most once (two values would
     * leave it to chance which one a proxy, a log or we believe). */
    for (size_t i = 0; i <= qn; ) {
        const char *amp = memchr(q + i, '&', qn - i);
        size_t end = amp ? (size_t)(amp - q) : qn;
        const char *item = q + i;
        size_t in = end - i;
        const char *eq = memchr(item, '=', in);
        size_t nn = eq ? (size_t)(eq - item) : in;
        const char *val = eq ? eq + 1 : item + in;
        size_t vn = eq ? in - nn - 1 : 0;
        const char **slot = NULL;
        size_t *slot_n = NULL;

        if (nn == 7 && memcmp(item, "wsp_key", 7) == 0) { slot = &kv; slot_n = &kn; }
        else if (nn == 7 && memcmp(item, "wsp_exp", 7) == 0) { slot = &ev; slot_n = &en; }
        else if (nn == 7 && memcmp(item, "wsp_sig", 7) == 0) { slot = &sv; slot_n = &sn; }
        if (slot) {
            if (*slot)
                return WSP_SIG_MALFORMED;
            *slot = val;
            *slot_n = vn;
        }
        if (!amp)
            break;
        i = end + 1;
    }
    if (!kv || !ev || !sv)
        return WSP_SIG_MISSING;

    /* exp: plain decimal unix seconds. */
    if (en == 0 || en > 18)
        return WSP_SIG_MALFORMED;
    for (size_t i = 0; i < en; i++) {
        if (ev[i] < '0' || ev[i] > '9')
            return WSP_SIG_MALFORMED;
        exp = exp * 10 + (ev[i] - '0');
    }
    if (sn != 2 * SIG_BYTES)
        return WSP_SIG_MALFORMED;
    for (size_t i = 0; i < SIG_BYTES; i++) {
        int hi = hexval((unsigned char)sv[2 * i]), lo = hexval((unsigned char)sv[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return WSP_SIG_MALFORMED;
        got[i] = (unsigned char)(hi << 4 | lo);
    }
    key = form_decode(kv, kn, &keyn, &bad);
    if (!key)
        return bad ? WSP_SIG_MALFORMED : WSP_SIG_NOMEM;
    if (sig_mac(secret, secret_len, key, keyn, exp, want) != 0) {
        free(key);
        return WSP_SIG_NOMEM;
    }
    /* Authenticity first: "expired" is only ever said of a genuine one. */
    if (CRYPTO_memcmp(want, got, SIG_BYTES) != 0) {
        free(key);
        return WSP_SIG_FORGED;
    }
    if (now > exp) {
        free(key);
        return WSP_SIG_EXPIRED;
    }
    *key_out = key;
    *key_len = keyn;
    return WSP_SIG_OK;
}

static int sha256(const char *p, size_t n, unsigned char md[32])
{
    unsigned int mdlen = 0;
    return EVP_Digest(n ? p : "", n, md, &mdlen, EVP_sha256(), NULL) == 1 && mdlen == 32;
}

int wsp_secret_equal(const char *a, size_t an, const char *b, size_t bn)
{
    unsigned char ma[32], mb[32];
    if (!sha256(a, an, ma) || !sha256(b, bn, mb))
        return 0;
    return CRYPTO_memcmp(ma, mb, 32) == 0;
}
