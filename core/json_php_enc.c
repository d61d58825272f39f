/*
 * json_php_enc.c - the output half of json_php.h: numbers printed as PHP
 * prints them, json_encode(..., JSON_UNESCAPED_UNICODE) byte for byte, the
 * canonical key serialization, and PHP's (int) cast of decoded values.
 * Split from json_php.c (the parser) to keep each file to one job.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "json_php.h"
#include "json_php_int.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* json_encode's default depth: 512 nested arrays encode, 513 do not. */
#define WSP_JSON_ENC_MAX_DEPTH 512

/* ---- numbers as PHP prints them ---------------------------------------- */

/* Decimal digits of |d| (finite, non-zero) correctly rounded to prec
 * significant digits, with dtoa's decpt (value = 0.DIGITS * 10^decpt).
 * printf is exact in glibc; its decimal point may be a locale's, so only
 * the ASCII digits and the exponent are read back. Returns the count. */
static int digits_e(double d, int prec, char *dig, int *decpt)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.*e", prec - 1, fabs(d));
    int nd = 0;
    const char *q = buf;
    for (; *q && *q != 'e' && *q != 'E'; q++)
        if (*q >= '0' && *q <= '9')
            dig[nd++] = *q;
    *decpt = (int)strtol(*q ? q + 1 : q, NULL, 10) + 1;
    return nd;
}

static double digits_value(const char *dig, int nd, int decpt)
{
    char buf[64];
    memcpy(buf, dig, (size_t)nd);
    snprintf(buf + nd, sizeof buf - (size_t)nd, "e%d", decpt - nd);
    return wsp_json_strtod_c(buf);
}

static int strip_zeros(const char *dig, int nd)
{
    while (nd > 1 && dig[nd - 1] == '0')
        nd--;
    return nd;
}

/* Shortest digits that read back as |d| (zend_dtoa mode 0, what
 * serialize_precision -1 uses). At each length the only candidates are the
 * two neighbours of d; the correctly rounded one is tried first, so ties
 * between two shortest strings go to the closer, as dtoa does. */
static int digits_shortest(double d, char *dig, int *decpt)
{
    double a = fabs(d);
    for (int p = 1; p <= 17; p++) {
        int nd = digits_e(a, p, dig, decpt);
        double v = digits_value(dig, nd, *decpt);
        if (v == a)
            return strip_zeros(dig, nd);
        char alt[24];
        int an = nd, adp = *decpt, i;
        memcpy(alt, dig, (size_t)nd);
        if (v < a) {
            for (i = an - 1; i >= 0 && alt[i] == '9'; i--)
                alt[i] = '0';
            if (i < 0) { /* 99..9 -> 100..0 */
                alt[0] = '1';
                adp++;
            } else {
                alt[i]++;
            }
        } else {
            for (i = an - 1; i >= 0 && alt[i] == '0'; i--)
                alt[i] = '9';
            alt[i]--; /* i >= 0: the leading digit is never 0 */
            if (alt[0] == '0') { /* 100..0 -> 99..9, one digit less */
                memmove(alt, alt + 1, (size_t)--an);
                adp--;
            }
        }
        if (an > 0 && digits_value(alt, an, adp) == a) {
            memcpy(dig, alt, (size_t)an);
            *decpt = adp;
            return strip_zeros(dig, an);
        }
    }
    return strip_zeros(dig, digits_e(a, 17, dig, decpt));
}

/* zend_gcvt's layout: exponential when decpt < -3 or decpt > precision. */
static size_t gcvt_layout(char *out, int neg, const char *dig, int nd,
                          int decpt, int precision, char echar)
{
    char *o = out;
    if (neg)
        *o++ = '-';
    if (decpt < 0 ? decpt < -3 : decpt > precision) {
        int e = decpt - 1;
        *o++ = dig[0];
        *o++ = '.';
        if (nd == 1) {
            *o++ = '0';
        } else {
            memcpy(o, dig + 1, (size_t)nd - 1);
            o += nd - 1;
        }
        *o++ = echar;
        *o++ = e < 0 ? '-' : '+';
        o += sprintf(o, "%d", e < 0 ? -e : e);
    } else if (decpt <= 0) {
        *o++ = '0';
        *o++ = '.';
        for (int i = decpt; i < 0; i++)
            *o++ = '0';
        memcpy(o, dig, (size_t)nd);
        o += nd;
    } else {
        for (int i = 0; i < decpt; i++)
            *o++ = i < nd ? dig[i] : '0';
        if (nd > decpt) {
            *o++ = '.';
            memcpy(o, dig + decpt, (size_t)(nd - decpt));
            o += nd - decpt;
        }
    }
    *o = '\0';
    return (size_t)(o - out);
}

/* json_encode of a finite double (serialize_precision -1). out >= 32. */
static size_t php_double_json(double d, char *out)
{
    char dig[24];
    int decpt, nd;
    if (d == 0.0)
        return gcvt_layout(out, signbit(d) != 0, "0", 1, 1, 17, 'e');
    nd = digits_shortest(d, dig, &decpt);
    return gcvt_layout(out, d < 0, dig, nd, decpt, 17, 'e');
}

/* (string)$double: precision 14, "E". out >= 32. */
static size_t php_double_string(double d, char *out)
{
    char dig[24];
    int decpt, nd;
    if (isnan(d))
        return (size_t)sprintf(out, "NAN");
    if (isinf(d))
        return (size_t)sprintf(out, d < 0 ? "-INF" : "INF");
    if (d == 0.0)
        return gcvt_layout(out, signbit(d) != 0, "0", 1, 1, 14, 'E');
    nd = strip_zeros(dig, digits_e(d, 14, dig, &decpt));
    return gcvt_layout(out, d < 0, dig, nd, decpt, 14, 'E');
}

static size_t int64_string(int64_t v, char *out)
{
    char tmp[24];
    int n = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    char *o = out;
    if (v < 0)
        *o++ = '-';
    while (n)
        *o++ = tmp[--n];
    *o = '\0';
    return (size_t)(o - out);
}

/* json-c keeps integers above INT64_MAX as uint64; PHP has no such ints
 * (its decoder makes them doubles), so treat them as doubles too. Our own
 * parser never produces them. */
static int int_as_double(struct json_object *v, double *d)
{
    int64_t i = json_object_get_int64(v);
    if (i == INT64_MAX) {
        uint64_t u = json_object_get_uint64(v);
        if (u > (uint64_t)INT64_MAX) {
            *d = (double)u;
            return 1;
        }
    }
    return 0;
}

size_t wsp_json_number_string(struct json_object *num, char *out, size_t cap)
{
    char buf[64];
    size_t n = 0;
    double d = 0.0;
    if (json_object_is_type(num, json_type_int)) {
        if (int_as_double(num, &d))
            n = php_double_string(d, buf);
        else
            n = int64_string(json_object_get_int64(num), buf);
    } else if (json_object_is_type(num, json_type_double)) {
        n = php_double_string(json_object_get_double(num), buf);
    }
    if (!cap)
        return 0;
    if (n >= cap)
        n = cap - 1;
    memcpy(out, buf, n);
    out[n] = '\0';
    return n;
}

/* ---- encoders ---------------------------------------------------------- */

typedef struct wsp_jbuf {
    char *p;
    size_t len, cap;
    int err; /* WSP_JSON_NOMEM, or WSP_JSON_INVALID when PHP would refuse */
} wsp_jbuf;

enum { WSP_ENC_PHP, WSP_ENC_CANON };

static int jb_reserve(wsp_jbuf *b, size_t more)
{
    if (b->cap - b->len > more)
        return 0;
    size_t cap = b->cap ? b->cap : 128;
    while (cap - b->len <= more)
        cap *= 2;
    char *n = realloc(b->p, cap);
    if (!n) {
        b->err = WSP_JSON_NOMEM;
        return -1;
    }
    b->p = n;
    b->cap = cap;
    return 0;
}

static int jb_put(wsp_jbuf *b, const char *s, size_t n)
{
    if (jb_reserve(b, n) < 0)
        return -1;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    return 0;
}

static int jb_putc(wsp_jbuf *b, char c)
{
    if (jb_reserve(b, 1) < 0)
        return -1;
    b->p[b->len++] = c;
    return 0;
}

/* php_json_escape_string with JSON_UNESCAPED_UNICODE: valid UTF-8 passes
 * through except U+2028/U+2029 (PHP escapes them unless
 * JSON_UNESCAPED_LINE_TERMINATORS); '/' is escaped; control characters
 * use the short escapes or \u00xx in lowercase hex; C0 80 is our stored
 * key NUL. Invalid UTF-8 fails, as json_encode does. */
static int enc_string(wsp_jbuf *b, const char *str, size_t n)
{
    static const char hexd[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str, *end = s + n, *run = s;
    if (jb_reserve(b, n + 2) < 0)
        return -1;
    b->p[b->len++] = '"';
    while (s < end) {
        unsigned c = *s;
        const char *esc = NULL;
        char ubuf[6];
        size_t adv = 1;
        if (c >= 0x80) {
            if (c == 0xC0 && s + 1 < end && s[1] == 0x80) {
                esc = "\\u0000";
                adv = 2;
            } else {
                adv = wsp_utf8_seq(s, (size_t)(end - s));
                if (!adv) {
                    b->err = WSP_JSON_INVALID;
                    return -1;
                }
                if (c == 0xE2 && s[1] == 0x80 && (s[2] == 0xA8 || s[2] == 0xA9))
                    esc = s[2] == 0xA8 ? "\\u2028" : "\\u2029";
            }
            if (!esc) {
                s += adv;
                continue;
            }
        } else if (c >= 0x20 && c != '"' && c != '\\' && c != '/') {
            s++;
            continue;
        } else {
            switch (c) {
            case '"': esc = "\\\""; break;
            case '\\': esc = "\\\\"; break;
            case '/': esc = "\\/"; break;
            case '\b': esc = "\\b"; break;
            case '\f': esc = "\\f"; break;
            case '\n': esc = "\\n"; break;
            case '\r': esc = "\\r"; break;
            case '\t': esc = "\\t"; break;
            default:
                memcpy(ubuf, "\\u00", 4);
                ubuf[4] = hexd[c >> 4];
                ubuf[5] = hexd[c & 15];
                break;
            }
        }
        if (jb_put(b, (const char *)run, (size_t)(s - run)) < 0 ||
            (esc ? jb_put(b, esc, strlen(esc)) : jb_put(b, ubuf, 6)) < 0)
            return -1;
        s += adv;
        run = s;
    }
    if (jb_put(b, (const char *)run, (size_t)(s - run)) < 0)
        return -1;
    return jb_putc(b, '"');
}

static int enc_double(wsp_jbuf *b, double d, int mode)
{
    char num[40];
    size_t n;
    if (!isfinite(d)) {
        if (mode == WSP_ENC_PHP) { /* "Inf and NaN cannot be JSON encoded" */
            b->err = WSP_JSON_INVALID;
            return -1;
        }
        /* Canonical form only has to be deterministic and re-parse to the
         * same value: 1e999 reads back as infinity. NaN cannot come out of
         * the parser. */
        return jb_put(b, isnan(d) ? "null" : d < 0 ? "-1e999" : "1e999",
                      isnan(d) ? 4 : d < 0 ? 6 : 5);
    }
    if (mode == WSP_ENC_CANON && d == 0.0 && signbit(d))
        return jb_put(b, "-0.0", 4); /* PHP's "-0" would re-parse as int 0 */
    n = php_double_json(d, num);
    return jb_put(b, num, n);
}

/* PHP turns an array whose keys are 0..n-1 in order into a JSON list; a
 * decoded object has such keys when its keys are "0", "1", ... exactly
 * (json_decode makes canonical decimal keys integers). */
static int object_is_list(struct json_object *obj)
{
    size_t i = 0;
    json_object_object_foreach(obj, k, v) {
        (void)v;
        char num[24];
        size_t n = int64_string((int64_t)i, num);
        if (strlen(k) != n || memcmp(k, num, n) != 0)
            return 0;
        i++;
    }
    return 1;
}

typedef struct wsp_kv {
    const char *k;
    struct json_object *v;
} wsp_kv;

static int kv_cmp(const void *a, const void *b)
{
    /* strcmp compares as unsigned char: bytewise order. */
    return strcmp(((const wsp_kv *)a)->k, ((const wsp_kv *)b)->k);
}

static int enc_value(wsp_jbuf *b, struct json_object *v, int depth, int mode);

static int enc_object(wsp_jbuf *b, struct json_object *obj, int depth, int mode)
{
    size_t n = (size_t)json_object_object_length(obj);
    if (mode == WSP_ENC_PHP) {
        if (object_is_list(obj)) { /* includes {} -> [] */
            if (jb_putc(b, '[') < 0)
                return -1;
            size_t i = 0;
            json_object_object_foreach(obj, k, v) {
                (void)k;
                if ((i++ && jb_putc(b, ',') < 0) || enc_value(b, v, depth, mode) < 0)
                    return -1;
            }
            return jb_putc(b, ']');
        }
        if (jb_putc(b, '{') < 0)
            return -1;
        size_t i = 0;
        json_object_object_foreach(obj, k, v) {
            if ((i++ && jb_putc(b, ',') < 0) || enc_string(b, k, strlen(k)) < 0 ||
                jb_putc(b, ':') < 0 || enc_value(b, v, depth, mode) < 0)
                return -1;
        }
        return jb_putc(b, '}');
    }
    /* Canonical: keys sorted bytewise; objects stay objects (so the result
     * is again a JSON object and canonical(canonical(x)) == canonical(x)). */
    wsp_kv small[16], *kv = small;
    if (n > 16 && !(kv = malloc(n * sizeof *kv))) {
        b->err = WSP_JSON_NOMEM;
        return -1;
    }
    size_t i = 0;
    json_object_object_foreach(obj, k, v) {
        kv[i].k = k;
        kv[i].v = v;
        i++;
    }
    qsort(kv, n, sizeof *kv, kv_cmp);
    int rc = jb_putc(b, '{');
    for (i = 0; rc == 0 && i < n; i++) {
        if ((i && jb_putc(b, ',') < 0) || enc_string(b, kv[i].k, strlen(kv[i].k)) < 0 ||
            jb_putc(b, ':') < 0 || enc_value(b, kv[i].v, depth, mode) < 0)
            rc = -1;
    }
    if (rc == 0)
        rc = jb_putc(b, '}');
    if (kv != small)
        free(kv);
    return rc;
}

static int enc_value(wsp_jbuf *b, struct json_object *v, int depth, int mode)
{
    char num[32];
    double d;
    switch (json_object_get_type(v)) {
    case json_type_null:
        return jb_put(b, "null", 4);
    case json_type_boolean:
        return json_object_get_boolean(v) ? jb_put(b, "true", 4) : jb_put(b, "false", 5);
    case json_type_int:
        if (int_as_double(v, &d))
            return enc_double(b, d, mode);
        return jb_put(b, num, int64_string(json_object_get_int64(v), num));
    case json_type_double:
        return enc_double(b, json_object_get_double(v), mode);
    case json_type_string:
        return enc_string(b, json_object_get_string(v), (size_t)json_object_get_string_len(v));
    case json_type_array: {
        if (depth + 1 > WSP_JSON_ENC_MAX_DEPTH) {
            b->err = WSP_JSON_INVALID;
            return -1;
        }
        size_t n = json_object_array_length(v);
        if (jb_putc(b, '[') < 0)
            return -1;
        for (size_t i = 0; i < n; i++)
            if ((i && jb_putc(b, ',') < 0) ||
                enc_value(b, json_object_array_get_idx(v, i), depth + 1, mode) < 0)
                return -1;
        return jb_putc(b, ']');
    }
    case json_type_object:
        if (depth + 1 > WSP_JSON_ENC_MAX_DEPTH) {
            b->err = WSP_JSON_INVALID;
            return -1;
        }
        return enc_object(b, v, depth + 1, mode);
    }
    b->err = WSP_JSON_INVALID;
    return -1;
}

static char *enc_run(struct json_object *v, int mode, char prefix, size_t *out_len,
                     int *err)
{
    wsp_jbuf b = { NULL, 0, 0, 0 };
    if ((prefix && jb_putc(&b, prefix) < 0) || enc_value(&b, v, 0, mode) < 0 ||
        jb_reserve(&b, 1) < 0) {
        if (err)
            *err = b.err ? b.err : WSP_JSON_NOMEM;
        free(b.p);
        return NULL;
    }
    b.p[b.len] = '\0';
    if (out_len)
        *out_len = b.len;
    return b.p;
}

char *wsp_json_php_encode(struct json_object *v, size_t *out_len)
{
    return enc_run(v, WSP_ENC_PHP, 0, out_len, NULL);
}

int wsp_json_php_encode_ex(struct json_object *v, char **out, size_t *out_len)
{
    int err = 0;
    *out = enc_run(v, WSP_ENC_PHP, 0, out_len, &err);
    return *out ? 0 : err;
}

char *wsp_json_canonical_value(struct json_object *v, char prefix, size_t *out_len)
{
    return enc_run(v, WSP_ENC_CANON, prefix, out_len, NULL);
}

char *wsp_json_canonical(const char *text, size_t len, size_t *out_len)
{
    struct json_object *v = NULL;
    if (wsp_json_decode(text, len, &v) < 0)
        return NULL;
    char *s = NULL;
    if (json_object_is_type(v, json_type_object))
        s = wsp_json_canonical_value(v, 0, out_len);
    json_object_put(v);
    return s;
}

/* ---- (int) casts ------------------------------------------------------- */

/* (int)$double in PHP 8 on 64-bit: NaN and infinities give 0; values out
 * of range wrap modulo 2^64 (zend_dval_to_lval), not saturate. */
static int64_t php_dval_to_lval(double d)
{
    const double two63 = 9223372036854775808.0, two64 = 18446744073709551616.0;
    if (!isfinite(d))
        return 0;
    if (d >= -two63 && d < two63)
        return (int64_t)d;
    double m = fmod(d, two64); /* exact: such doubles are multiples of 2^11 */
    if (m < 0)
        m += two64;
    if (m >= two63)
        m -= two64;
    return (int64_t)m;
}

static int is_php_ws(unsigned c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* (int)$string: the numeric prefix after leading whitespace ("1abc" -> 1,
 * " 4" -> 4, "1e3" -> 1000, "abc" -> 0). A prefix with '.' or an exponent
 * is read as a double and saturates (zend_dval_to_lval_cap); an integer
 * prefix saturates too, as its double would. */
static int64_t php_str_intval(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, start, ds;
    int neg = 0, is_double = 0;
    while (i < n && is_php_ws(s[i]))
        i++;
    start = i;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    ds = i;
    while (i < n && wsp_json_is_digit(s[i]))
        i++;
    size_t nd = i - ds;
    if (i < n && s[i] == '.' && (nd || (i + 1 < n && wsp_json_is_digit(s[i + 1])))) {
        i++;
        while (i < n && wsp_json_is_digit(s[i]))
            i++;
        is_double = 1;
    } else if (!nd) {
        return 0;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t j = i + 1;
        if (j < n && (s[j] == '+' || s[j] == '-'))
            j++;
        if (j < n && wsp_json_is_digit(s[j])) {
            while (j < n && wsp_json_is_digit(s[j]))
                j++;
            i = j;
            is_double = 1;
        }
    }
    if (!is_double) {
        uint64_t u = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
        for (size_t k = ds; k < ds + nd; k++) {
            unsigned dg = s[k] - '0';
            if (u > (lim - dg) / 10)
                return neg ? INT64_MIN : INT64_MAX;
            u = u * 10 + dg;
        }
        return neg ? (int64_t)(0 - u) : (int64_t)u;
    }
    double d = wsp_json_strtod_n(str + start, i - start);
    if (!isfinite(d))
        return 0;
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
        return d > 0 ? INT64_MAX : INT64_MIN;
    return (int64_t)d;
}

int64_t wsp_php_intval(struct json_object *v)
{
    double d;
    switch (json_object_get_type(v)) {
    case json_type_null:
        return 0;
    case json_type_boolean:
        return json_object_get_boolean(v) ? 1 : 0;
    case json_type_int:
        if (int_as_double(v, &d))
            return php_dval_to_lval(d);
        return json_object_get_int64(v);
    case json_type_double:
        return php_dval_to_lval(json_object_get_double(v));
    case json_type_string:
        return php_str_intval(json_object_get_string(v), (size_t)json_object_get_string_len(v));
    case json_type_array:
        return json_object_array_length(v) ? 1 : 0;
    case json_type_object:
        return json_object_object_length(v) ? 1 : 0;
    }
    return 0;
}
