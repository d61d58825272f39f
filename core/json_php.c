/*
 * json_php.c - parse JSON exactly as PHP 8's json_decode($s, true) does
 * (docs/protocol.md §7, §8); the encoders live in json_php_enc.c.
 *
 * The parser is our own recursive descent over the bytes rather than
 * json_tokener: json-c's tokener accepts things PHP's json_decode refuses
 * (and the other way round: object keys with U+0000, integers past 64 bits),
 * so matching PHP with it would need a second validating pass anyway. It
 * still builds ordinary json-c values, so callers use the json-c API.
 *
 * What "as PHP" means, each rule checked against php 8.2 in the tests:
 *  - grammar of RFC 8259 only; whitespace is space, \t, \n, \r; strings must
 *    be valid UTF-8 without raw control characters; a lone UTF-16 surrogate
 *    escape is an error; at most 511 nested arrays/objects (json_decode's
 *    default depth 512 counts one more level than there are containers);
 *  - integers that do not fit in int64 become doubles (correctly rounded);
 *  - duplicate object keys: the last value, in the first key's place.
 *
 * json-c keys are C strings, so a key containing U+0000 is stored with the
 * NUL written as the overlong pair C0 80 (which valid UTF-8 never contains);
 * the encoders (json_php_enc.c) turn C0 80 back into \u0000.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "json_php.h"
#include "json_php_int.h"

#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* json_decode($s, true) with the default depth 512 refuses the 512th
 * nested container (measured with php 8.2). */
#define WSP_JSON_MAX_NESTING 511

/* ---- locale-independent strtod --------------------------------------- */

/* The host PHP process may call setlocale(LC_NUMERIC, ...); numbers on the
 * wire always use '.', so parse in a private "C" locale. */
static locale_t wsp_c_locale;
static pthread_once_t wsp_c_locale_once = PTHREAD_ONCE_INIT;

static void wsp_c_locale_init(void)
{
    wsp_c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

double wsp_json_strtod_c(const char *s)
{
    pthread_once(&wsp_c_locale_once, wsp_c_locale_init);
    if (wsp_c_locale)
        return strtod_l(s, NULL, wsp_c_locale);
    return strtod(s, NULL);
}

/* Parse exactly s[0..n) as a C-locale double (s need not be terminated). */
double wsp_json_strtod_n(const char *s, size_t n)
{
    char small[64];
    if (n < sizeof small) {
        memcpy(small, s, n);
        small[n] = '\0';
        return wsp_json_strtod_c(small);
    }
    char *big = malloc(n + 1);
    if (!big)
        return 0.0; /* only a pathological 64+ char number can get here */
    memcpy(big, s, n);
    big[n] = '\0';
    double d = wsp_json_strtod_c(big);
    free(big);
    return d;
}

/* ---- parser ------------------------------------------------------------ */

typedef struct wsp_jp {
    const unsigned char *p, *end;
    int depth;
    int err;            /* WSP_JSON_INVALID or WSP_JSON_NOMEM once failed */
    char *sbuf;         /* scratch stack for decoded strings (keys, escapes) */
    size_t slen, scap;
} wsp_jp;

static int jp_fail(wsp_jp *jp, int err)
{
    if (!jp->err)
        jp->err = err;
    return -1;
}

static void jp_ws(wsp_jp *jp)
{
    while (jp->p < jp->end && (*jp->p == ' ' || *jp->p == '\t' ||
                               *jp->p == '\n' || *jp->p == '\r'))
        jp->p++;
}

static int jp_reserve(wsp_jp *jp, size_t more)
{
    if (jp->scap - jp->slen >= more)
        return 0;
    size_t cap = jp->scap ? jp->scap : 256;
    while (cap - jp->slen < more)
        cap *= 2;
    char *n = realloc(jp->sbuf, cap);
    if (!n)
        return jp_fail(jp, WSP_JSON_NOMEM);
    jp->sbuf = n;
    jp->scap = cap;
    return 0;
}

static int hex4(const unsigned char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = p[i], d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
        else return -1;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

/* Parse a string at jp->p (on the opening quote). When the string has no
 * escapes and a copy is not required, *s points into the input (no copy);
 * otherwise it is decoded onto the scratch stack and *s points there (valid
 * until the scratch grows: callers use it at once, or keep the offset).
 * For keys (is_key) the result is always on the scratch stack,
 * NUL-terminated, with U+0000 stored as C0 80. *off gets the scratch offset
 * or (size_t)-1 when *s points into the input. */
static int jp_string(wsp_jp *jp, int is_key, const char **s, size_t *n, size_t *off)
{
    const unsigned char *start = ++jp->p, *q = start;
    /* Fast scan: the common string has no escapes. */
    while (q < jp->end) {
        unsigned c = *q;
        if (c == '"' || c == '\\')
            break;
        if (c < 0x20)
            return jp_fail(jp, WSP_JSON_INVALID);
        if (c < 0x80) {
            q++;
            continue;
        }
        size_t k = wsp_utf8_seq(q, (size_t)(jp->end - q));
        if (!k)
            return jp_fail(jp, WSP_JSON_INVALID);
        q += k;
    }
    if (q >= jp->end)
        return jp_fail(jp, WSP_JSON_INVALID);
    if (*q == '"' && !is_key) {
        *s = (const char *)start;
        *n = (size_t)(q - start);
        *off = (size_t)-1;
        jp->p = q + 1;
        return 0;
    }
    /* Slow path: decode onto the scratch stack. Decoded text is never
     * longer than its source (+1 for the NUL), except that a key's U+0000
     * takes 2 bytes for its 6-byte escape. */
    size_t base = jp->slen;
    const unsigned char *e = q;
    while (e < jp->end && *e != '"') /* find the end: reserve this string only */
        e += *e == '\\' ? 2 : 1;
    if (e > jp->end)
        e = jp->end;
    if (jp_reserve(jp, (size_t)(e - start) + 1) < 0)
        return -1;
    char *o = jp->sbuf + base;
    memcpy(o, start, (size_t)(q - start));
    o += q - start;
    while (q < jp->end) {
        unsigned c = *q;
        if (c == '"')
            break;
        if (c < 0x20)
            return jp_fail(jp, WSP_JSON_INVALID);
        if (c >= 0x80) {
            size_t k = wsp_utf8_seq(q, (size_t)(jp->end - q));
            if (!k)
                return jp_fail(jp, WSP_JSON_INVALID);
            memcpy(o, q, k);
            o += k;
            q += k;
            continue;
        }
        if (c != '\\') {
            *o++ = (char)c;
            q++;
            continue;
        }
        if (q + 1 >= jp->end)
            return jp_fail(jp, WSP_JSON_INVALID);
        switch (q[1]) {
        case '"': *o++ = '"'; q += 2; continue;
        case '\\': *o++ = '\\'; q += 2; continue;
        case '/': *o++ = '/'; q += 2; continue;
        case 'b': *o++ = '\b'; q += 2; continue;
        case 'f': *o++ = '\f'; q += 2; continue;
        case 'n': *o++ = '\n'; q += 2; continue;
        case 'r': *o++ = '\r'; q += 2; continue;
        case 't': *o++ = '\t'; q += 2; continue;
        case 'u': break;
        default: return jp_fail(jp, WSP_JSON_INVALID);
        }
        unsigned cp, lo;
        if (jp->end - q < 6 || hex4(q + 2, &cp) < 0)
            return jp_fail(jp, WSP_JSON_INVALID);
        q += 6;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            /* PHP joins a high surrogate only with an escaped low one;
             * anything else is JSON_ERROR_UTF16. */
            if (jp->end - q < 6 || q[0] != '\\' || q[1] != 'u' ||
                hex4(q + 2, &lo) < 0 || lo < 0xDC00 || lo > 0xDFFF)
                return jp_fail(jp, WSP_JSON_INVALID);
            q += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return jp_fail(jp, WSP_JSON_INVALID);
        }
        if (cp == 0 && is_key) {
            *o++ = (char)0xC0;
            *o++ = (char)0x80;
        } else if (cp < 0x80) {
            *o++ = (char)cp;
        } else if (cp < 0x800) {
            *o++ = (char)(0xC0 | cp >> 6);
            *o++ = (char)(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            *o++ = (char)(0xE0 | cp >> 12);
            *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
            *o++ = (char)(0x80 | (cp & 0x3F));
        } else {
            *o++ = (char)(0xF0 | cp >> 18);
            *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
            *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
            *o++ = (char)(0x80 | (cp & 0x3F));
        }
    }
    if (q >= jp->end)
        return jp_fail(jp, WSP_JSON_INVALID);
    jp->p = q + 1;
    *n = (size_t)(o - (jp->sbuf + base));
    *o++ = '\0';
    jp->slen = (size_t)(o - jp->sbuf);
    *s = jp->sbuf + base;
    *off = base;
    return 0;
}



/* Number per RFC 8259; integer vs double exactly as PHP's json scanner. */
static int jp_number(wsp_jp *jp, struct json_object **out)
{
    const unsigned char *s = jp->p, *q = s;
    int neg = 0, is_double = 0;
    if (*q == '-') {
        neg = 1;
        q++;
    }
    if (q >= jp->end || !wsp_json_is_digit(*q))
        return jp_fail(jp, WSP_JSON_INVALID);
    if (*q == '0')
        q++;
    else
        while (q < jp->end && wsp_json_is_digit(*q))
            q++;
    size_t int_digits = (size_t)(q - s) - (size_t)neg;
    if (q < jp->end && *q == '.') {
        q++;
        if (q >= jp->end || !wsp_json_is_digit(*q))
            return jp_fail(jp, WSP_JSON_INVALID);
        while (q < jp->end && wsp_json_is_digit(*q))
            q++;
        is_double = 1;
    }
    if (q < jp->end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < jp->end && (*q == '+' || *q == '-'))
            q++;
        if (q >= jp->end || !wsp_json_is_digit(*q))
            return jp_fail(jp, WSP_JSON_INVALID);
        while (q < jp->end && wsp_json_is_digit(*q))
            q++;
        is_double = 1;
    }
    jp->p = q;
    if (!out)
        return 0;
    if (!is_double) {
        /* PHP: up to 18 digits always fit; 19 digits fit when below
         * 9223372036854775808 (or equal to it when negative); longer ones
         * are "bigints" and become doubles. */
        const char *d = (const char *)s + neg;
        int fits = int_digits < 19 ||
                   (int_digits == 19 &&
                    (memcmp(d, "9223372036854775808", 19) < 0 ||
                     (neg && memcmp(d, "9223372036854775808", 19) == 0)));
        if (fits) {
            uint64_t u = 0;
            for (size_t i = 0; i < int_digits; i++)
                u = u * 10 + (uint64_t)(d[i] - '0');
            int64_t v = neg ? (int64_t)(0 - u) : (int64_t)u;
            *out = json_object_new_int64(v);
            return *out ? 0 : jp_fail(jp, WSP_JSON_NOMEM);
        }
    }
    *out = json_object_new_double(wsp_json_strtod_n((const char *)s, (size_t)(q - s)));
    return *out ? 0 : jp_fail(jp, WSP_JSON_NOMEM);
}

static int jp_value(wsp_jp *jp, struct json_object **out);

/* Enter the object or array at jp->p: one level deeper, and its json-c
 * container (from make) in *out when out is given. 1 when it is empty and
 * already closed by `close`, 0 when members follow, -1 on error. */
static int jp_open(wsp_jp *jp, struct json_object **out,
                   struct json_object *(*make)(void), char close)
{
    if (++jp->depth > WSP_JSON_MAX_NESTING)
        return jp_fail(jp, WSP_JSON_INVALID);
    jp->p++;
    if (out && !(*out = make()))
        return jp_fail(jp, WSP_JSON_NOMEM);
    jp_ws(jp);
    if (jp->p < jp->end && *jp->p == close) {
        jp->p++;
        jp->depth--;
        return 1;
    }
    return 0;
}

/* After a member: 0 when a ',' announces another, 1 when `close` ended the
 * container, -1 on anything else. */
static int jp_next(wsp_jp *jp, char close)
{
    jp_ws(jp);
    if (jp->p < jp->end && *jp->p == ',') {
        jp->p++;
        return 0;
    }
    if (jp->p < jp->end && *jp->p == close) {
        jp->p++;
        jp->depth--;
        return 1;
    }
    return jp_fail(jp, WSP_JSON_INVALID);
}

/* Object at jp->p ('{'). out NULL: validate only. names/vals: when given
 * (top level of a scan), keep new references to the last values of the
 * named members even when not building the whole object. */
static int jp_object(wsp_jp *jp, struct json_object **out,
                     const char *const *names, size_t nnames,
                     struct json_object **vals)
{
    int r = jp_open(jp, out, json_object_new_object, '}');
    if (r)
        return r < 0 ? -1 : 0;
    struct json_object *obj = out ? *out : NULL;
    for (;;) {
        jp_ws(jp);
        if (jp->p >= jp->end || *jp->p != '"')
            return jp_fail(jp, WSP_JSON_INVALID);
        const char *key;
        size_t klen, koff;
        size_t mark = jp->slen;
        int need_key = obj != NULL || names != NULL;
        if (jp_string(jp, need_key, &key, &klen, &koff) < 0)
            return -1;
        jp_ws(jp);
        if (jp->p >= jp->end || *jp->p != ':')
            return jp_fail(jp, WSP_JSON_INVALID);
        jp->p++;
        jp_ws(jp);
        size_t which = nnames;
        for (size_t i = 0; need_key && i < nnames; i++)
            if (strlen(names[i]) == klen && memcmp(names[i], key, klen) == 0)
                which = i;
        struct json_object *val = NULL;
        int build = obj != NULL || which < nnames;
        if (jp_value(jp, build ? &val : NULL) < 0) {
            json_object_put(val);
            return -1;
        }
        if (which < nnames) {
            json_object_put(vals[which]);
            vals[which] = obj ? json_object_get(val) : val;
            if (!obj)
                val = NULL;
        }
        if (obj) {
            /* The scratch may have moved while parsing the value. */
            key = jp->sbuf + koff;
            /* json-c replaces an existing key's value in place, which is
             * exactly PHP's duplicate-key behaviour. */
            if (json_object_object_add(obj, key, val) < 0) {
                json_object_put(val);
                return jp_fail(jp, WSP_JSON_NOMEM);
            }
        }
        jp->slen = mark;
        if ((r = jp_next(jp, '}')) != 0)
            return r < 0 ? -1 : 0;
    }
}

static int jp_array(wsp_jp *jp, struct json_object **out)
{
    int r = jp_open(jp, out, json_object_new_array, ']');
    if (r)
        return r < 0 ? -1 : 0;
    struct json_object *arr = out ? *out : NULL;
    for (;;) {
        jp_ws(jp);
        struct json_object *val = NULL;
        if (jp_value(jp, arr ? &val : NULL) < 0) {
            json_object_put(val);
            return -1;
        }
        if (arr && json_object_array_add(arr, val) < 0) {
            json_object_put(val);
            return jp_fail(jp, WSP_JSON_NOMEM);
        }
        if ((r = jp_next(jp, ']')) != 0)
            return r < 0 ? -1 : 0;
    }
}

static int jp_literal(wsp_jp *jp, const char *lit, size_t n)
{
    if ((size_t)(jp->end - jp->p) < n || memcmp(jp->p, lit, n) != 0)
        return jp_fail(jp, WSP_JSON_INVALID);
    jp->p += n;
    return 0;
}

/* One value at jp->p (whitespace already skipped). out NULL: validate
 * only. On error *out may hold a partial value for the caller to put. */
static int jp_value(wsp_jp *jp, struct json_object **out)
{
    if (jp->p >= jp->end)
        return jp_fail(jp, WSP_JSON_INVALID);
    switch (*jp->p) {
    case '{':
        return jp_object(jp, out, NULL, 0, NULL);
    case '[':
        return jp_array(jp, out);
    case '"': {
        const char *s;
        size_t n, off, mark = jp->slen;
        if (jp_string(jp, 0, &s, &n, &off) < 0)
            return -1;
        if (out) {
            *out = json_object_new_string_len(s, (int)n);
            if (!*out)
                return jp_fail(jp, WSP_JSON_NOMEM);
        }
        jp->slen = mark;
        return 0;
    }
    case 't':
        if (jp_literal(jp, "true", 4) < 0)
            return -1;
        if (out && !(*out = json_object_new_boolean(1)))
            return jp_fail(jp, WSP_JSON_NOMEM);
        return 0;
    case 'f':
        if (jp_literal(jp, "false", 5) < 0)
            return -1;
        if (out && !(*out = json_object_new_boolean(0)))
            return jp_fail(jp, WSP_JSON_NOMEM);
        return 0;
    case 'n':
        return jp_literal(jp, "null", 4); /* json-c's null is NULL */
    default:
        return jp_number(jp, out);
    }
}

/* Shared driver: whole input, one value, surrounding whitespace. */
static int jp_run(const char *text, size_t len, struct json_object **out,
                  const char *const *names, size_t nnames,
                  struct json_object **vals, int *is_object)
{
    wsp_jp jp = { (const unsigned char *)text, (const unsigned char *)text + len,
                  0, 0, NULL, 0, 0 };
    struct json_object *v = NULL;
    int rc;
    if (len > (size_t)INT32_MAX) { /* json-c string lengths are int */
        rc = WSP_JSON_INVALID;
        goto out;
    }
    jp_ws(&jp);
    *is_object = jp.p < jp.end && *jp.p == '{';
    if (*is_object && names)
        rc = jp_object(&jp, out ? &v : NULL, names, nnames, vals);
    else
        rc = jp_value(&jp, out ? &v : NULL);
    if (rc == 0) {
        jp_ws(&jp);
        if (jp.p != jp.end)
            rc = jp_fail(&jp, WSP_JSON_INVALID);
    }
    rc = rc < 0 ? jp.err : 0;
out:
    free(jp.sbuf);
    if (rc < 0) {
        json_object_put(v);
        for (size_t i = 0; vals && i < nnames; i++) {
            json_object_put(vals[i]);
            vals[i] = NULL;
        }
        if (out)
            *out = NULL;
        return rc;
    }
    if (out)
        *out = v;
    return 0;
}

int wsp_json_decode(const char *text, size_t len, struct json_object **out)
{
    int is_object;
    return jp_run(text, len, out, NULL, 0, NULL, &is_object);
}

struct json_object *wsp_json_parse(const char *text, size_t len)
{
    struct json_object *v = NULL;
    wsp_json_decode(text, len, &v);
    return v;
}

int wsp_json_scan_object(const char *text, size_t len,
                         const char *const *names, size_t nnames,
                         struct json_object **vals)
{
    int is_object;
    for (size_t i = 0; i < nnames; i++)
        vals[i] = NULL;
    int rc = jp_run(text, len, NULL, names, nnames, vals, &is_object);
    if (rc < 0)
        return rc;
    return is_object;
}

