/*
 * auth_sig.h - proofs of access, no I/O: the push token comparison and the
 * signed WebSocket URL (auth_secret, WsPush\Client::sign).
 *
 * The backend, which knows auth_secret, signs a key and an expiry; the page
 * appends the result to its WebSocket URL:
 *
 *     ws://host:5001/?wsp_key=5&wsp_exp=1767225600&wsp_sig=<64 hex>
 *
 * wsp_sig = lowercase hex HMAC-SHA256(auth_secret, "wspush-sig-v1\n" EXP
 * "\n" KEY), KEY being the key text exactly as given to sign() (the server
 * compares it with the connection's first frame by key identity, so an
 * add-in's JSON key may differ in key order and whitespace). EXP is unix
 * seconds; the signature is good while now <= EXP.
 */
#ifndef WSP_AUTH_SIG_H
#define WSP_AUTH_SIG_H

#include <stddef.h>
#include <stdint.h>

typedef enum wsp_sig_result {
    WSP_SIG_OK = 0,
    WSP_SIG_MISSING,     /* no wsp_sig / wsp_key / wsp_exp in the query */
    WSP_SIG_MALFORMED,   /* a parameter twice, bad escape, exp not a number, sig not 64 hex */
    WSP_SIG_FORGED,      /* the HMAC does not match */
    WSP_SIG_EXPIRED,     /* authentic, but now > exp */
    WSP_SIG_NOMEM,
} wsp_sig_result;

/* Short reason, also the close reason sent to the client ("signature
 * expired"...). */
const char *wsp_sig_result_str(wsp_sig_result r);

/* The query (no leading '?') for key[0..key_len) valid until exp (unix
 * seconds): "wsp_key=...&wsp_exp=...&wsp_sig=...", the key percent-encoded
 * as PHP's rawurlencode does. Returns a malloc'd NUL-terminated string (the
 * caller frees it) and its length in *out_len, or NULL when out of memory
 * or libcrypto fails. */
char *wsp_sig_make_query(const char *secret, size_t secret_len, const char *key,
                         size_t key_len, int64_t exp, size_t *out_len);

/* Check the signature in a request target ("/path?query" or "?query";
 * anything before the first '?' is ignored, as is a "#fragment"; a target
 * without '?' has no query; other parameters are allowed). On WSP_SIG_OK *key_out receives the decoded key
 * (malloc'd, NUL-terminated, the caller frees it) and *key_len its length;
 * on any other result *key_out is NULL. The comparison of the signature is
 * constant-time. */
wsp_sig_result wsp_sig_check(const char *secret, size_t secret_len, const char *target,
                             size_t target_len, int64_t now, char **key_out,
                             size_t *key_len);

/* Constant-time equality of two secrets of any lengths (compares their
 * SHA-256 digests with CRYPTO_memcmp, so neither the content nor the
 * position of the first difference shows in the timing). 1 equal, 0 not
 * (also when libcrypto fails). */
int wsp_secret_equal(const char *a, size_t an, const char *b, size_t bn);

#endif
