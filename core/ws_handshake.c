/*
 * ws_handshake.c - server side of the RFC 6455 opening handshake: parse the
 * HTTP/1.1 upgrade request head, compute Sec-WebSocket-Accept, and write the
 * 101 or error response. No I/O, no allocation; the input is treated as
 * bytes with a length (never as a NUL-terminated string).
 */
#include <stdio.h>
#include <string.h>
#include <openssl/evp.h>
#include "ws_handshake.h"

static const char wsp_ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/* A borrowed slice of the request buffer. */
typedef struct wsp_slice {
    const char *p;
    size_t n;
} wsp_slice;

static int wsp_lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

static int wsp_slice_ieq(wsp_slice s, const char *lit)
{
    size_t n = strlen(lit);
    if (s.n != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (wsp_lower((unsigned char)s.p[i]) != wsp_lower((unsigned char)lit[i]))
            return 0;
    return 1;
}

static int wsp_is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static wsp_slice wsp_trim(wsp_slice s)
{
    while (s.n > 0 && wsp_is_ows(s.p[0])) {
        s.p++;
        s.n--;
    }
    while (s.n > 0 && wsp_is_ows(s.p[s.n - 1]))
        s.n--;
    return s;
}

/* RFC 7230 tchar: what a header name may contain. */
static int wsp_is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return 1;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Does a comma-separated header value hold token (case-insensitive)? */
static int wsp_list_has(wsp_slice v, const char *token)
{
    size_t start = 0;

    for (size_t i = 0; i <= v.n; i++) {
        if (i == v.n || v.p[i] == ',') {
            wsp_slice item = { v.p + start, i - start };
            if (wsp_slice_ieq(wsp_trim(item), token))
                return 1;
            start = i + 1;
        }
    }
    return 0;
}

static int wsp_is_b64(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
        || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* 16 bytes in base64 is exactly 22 alphabet characters and "==". */
static int wsp_key_ok(wsp_slice k)
{
    if (k.n != 24 || k.p[22] != '=' || k.p[23] != '=')
        return 0;
    for (size_t i = 0; i < 22; i++)
        if (!wsp_is_b64((unsigned char)k.p[i]))
            return 0;
    return 1;
}

static void wsp_copy_trunc(char *dst, size_t cap, wsp_slice s)
{
    size_t n = s.n < cap - 1 ? s.n : cap - 1;
    memcpy(dst, s.p, n);
    dst[n] = '\0';
}

/*
 * Find the end of the request head in buf[0..len): the offset just past
 * the empty line. Lines end in CRLF or a bare LF (RFC 7230 3.5 lets a
 * recipient accept the latter). Returns 0 when no empty line is present.
 */
static size_t wsp_head_end(const char *buf, size_t len, size_t start)
{
    size_t line = start;

    for (size_t i = start; i < len; i++) {
        if (buf[i] != '\n')
            continue;
        size_t n = i - line;
        if (n == 0 || (n == 1 && buf[line] == '\r'))
            return i + 1;
        line = i + 1;
    }
    return 0;
}

/* Parse "GET <target> HTTP/x.y". Returns 0 or -400. */
static int wsp_request_line(wsp_slice l, wsp_ws_request *req)
{
    const char *sp1 = memchr(l.p, ' ', l.n);
    if (sp1 == NULL || sp1 - l.p != 3 || memcmp(l.p, "GET", 3) != 0)
        return -400;
    const char *t = sp1 + 1;
    size_t rest = l.n - 4;
    const char *sp2 = memchr(t, ' ', rest);
    if (sp2 == NULL || sp2 == t)
        return -400;
    wsp_slice target = { t, (size_t)(sp2 - t) };
    wsp_slice ver = { sp2 + 1, rest - target.n - 1 };

    /* HTTP/<digit>.<digit>, at least 1.1. */
    if (ver.n != 8 || memcmp(ver.p, "HTTP/", 5) != 0 || ver.p[6] != '.'
        || ver.p[5] < '0' || ver.p[5] > '9' || ver.p[7] < '0' || ver.p[7] > '9')
        return -400;
    int major = ver.p[5] - '0', minor = ver.p[7] - '0';
    if (major < 1 || (major == 1 && minor < 1))
        return -400;
    wsp_copy_trunc(req->path, sizeof(req->path), target);
    req->target_off = (size_t)(t - l.p);   /* from the line start; made absolute by the caller */
    req->target_len = target.n;
    return 0;
}

int wsp_ws_handshake_parse(const char *buf, size_t len, wsp_ws_request *req)
{
    size_t start = 0;

    memset(req, 0, sizeof(*req));
    /* RFC 7230 3.5: ignore empty lines before the request line. */
    while (start < len && (buf[start] == '\r' || buf[start] == '\n'))
        start++;

    size_t scan = len < WSP_WS_HANDSHAKE_MAX ? len : WSP_WS_HANDSHAKE_MAX;
    size_t end = wsp_head_end(buf, scan, start);
    if (end == 0)
        return len >= WSP_WS_HANDSHAKE_MAX ? -400 : 0;

    int have_upgrade = 0, have_conn = 0, key_count = 0, version_ok = 0;
    wsp_slice key = { NULL, 0 };
    size_t pos = start;
    int first = 1;

    while (pos < end) {
        const char *nl = memchr(buf + pos, '\n', end - pos);
        /* nl is never NULL: the head ends with a newline. */
        wsp_slice l = { buf + pos, (size_t)(nl - (buf + pos)) };
        pos = (size_t)(nl - buf) + 1;
        if (l.n > 0 && l.p[l.n - 1] == '\r')
            l.n--;
        if (l.n == 0)
            break;                        /* the empty line ending the head */
        for (size_t i = 0; i < l.n; i++) {
            unsigned char c = (unsigned char)l.p[i];
            if ((c < 0x20 && c != '\t') || c == 0x7F)
                return -400;              /* stray CR, NUL, controls */
        }
        if (first) {
            first = 0;
            if (wsp_request_line(l, req) < 0)
                return -400;
            req->target_off += (size_t)(l.p - buf);
            continue;
        }
        /* Obsolete line folding (RFC 7230 3.2.4) is refused. */
        if (wsp_is_ows(l.p[0]))
            return -400;
        const char *colon = memchr(l.p, ':', l.n);
        if (colon == NULL || colon == l.p)
            return -400;
        wsp_slice name = { l.p, (size_t)(colon - l.p) };
        for (size_t i = 0; i < name.n; i++)
            if (!wsp_is_tchar((unsigned char)name.p[i]))
                return -400;              /* includes "Name :" */
        wsp_slice val = { colon + 1, l.n - name.n - 1 };
        val = wsp_trim(val);

        if (wsp_slice_ieq(name, "Upgrade")) {
            have_upgrade |= wsp_list_has(val, "websocket");
        } else if (wsp_slice_ieq(name, "Connection")) {
            have_conn |= wsp_list_has(val, "upgrade");
        } else if (wsp_slice_ieq(name, "Sec-WebSocket-Key")) {
            key = val;
            key_count++;
        } else if (wsp_slice_ieq(name, "Sec-WebSocket-Version")) {
            version_ok = val.n == 2 && memcmp(val.p, "13", 2) == 0;
        } else if (wsp_slice_ieq(name, "Origin")) {
            if (req->has_origin) {
                req->origin_len = sizeof(req->origin);   /* two: ambiguous, matches nothing */
            } else {
                wsp_copy_trunc(req->origin, sizeof(req->origin), val);
                req->origin_len = val.n;
            }
            req->has_origin = 1;
        }
    }
    if (first)
        return -400;                      /* no request line at all */
    if (!have_upgrade || !have_conn)
        return -400;
    if (!version_ok)
        return -426;
    if (key_count != 1 || !wsp_key_ok(key))
        return -400;
    wsp_ws_accept_key(key.p, key.n, req->accept);
    if (req->accept[0] == '\0')
        return -500;                      /* libcrypto failed (out of memory) */
    return (int)end;
}

int wsp_ws_origin_allowed(const char *list, const wsp_ws_request *req)
{
    if (!req->has_origin)
        return 1;
    if (req->origin_len >= sizeof(req->origin))
        return 0;                         /* truncated: cannot be compared */
    wsp_slice origin = { req->origin, req->origin_len };
    wsp_slice all = { list, strlen(list) };
    size_t start = 0;

    for (size_t i = 0; i <= all.n; i++) {
        if (i == all.n || all.p[i] == ',') {
            wsp_slice item = wsp_trim((wsp_slice){ all.p + start, i - start });
            if (item.n == origin.n && item.n > 0) {
                size_t j = 0;
                while (j < item.n && wsp_lower((unsigned char)item.p[j])
                                     == wsp_lower((unsigned char)origin.p[j]))
                    j++;
                if (j == item.n)
                    return 1;
            }
            start = i + 1;
        }
    }
    return 0;
}

void wsp_ws_accept_key(const char *key, size_t key_len, char out[29])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx != NULL
        && EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1
        && EVP_DigestUpdate(ctx, key, key_len) == 1
        && EVP_DigestUpdate(ctx, wsp_ws_guid, sizeof(wsp_ws_guid) - 1) == 1
        && EVP_DigestFinal_ex(ctx, md, &md_len) == 1
        && md_len == 20;

    EVP_MD_CTX_free(ctx);
    if (!ok) {
        out[0] = '\0';
        return;
    }
    /* 20 bytes -> 28 characters plus the NUL EVP_EncodeBlock writes. */
    EVP_EncodeBlock((unsigned char *)out, md, 20);
}

/* snprintf into out, returning the length, or 0 when it did not fit. */
static size_t wsp_fit(int n, size_t cap)
{
    if (n < 0 || (size_t)n >= cap)
        return 0;
    return (size_t)n;
}

size_t wsp_ws_handshake_response(const wsp_ws_request *req, char *out, size_t cap)
{
    int n = snprintf(out, cap,
                     "HTTP/1.1 101 Switching Protocols\r\n"
                     "Upgrade: websocket\r\n"
                     "Connection: Upgrade\r\n"
                     "Sec-WebSocket-Accept: %s\r\n"
                     "\r\n", req->accept);
    return wsp_fit(n, cap);
}

size_t wsp_ws_handshake_error(int status, char *out, size_t cap)
{
    const char *line = "400 Bad Request", *extra = "";

    /* Accept the negative parse result as well as the status itself. */
    if (status < 0)
        status = -status;
    if (status == 426) {
        line = "426 Upgrade Required";
        extra = "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n";
    } else if (status == 403) {
        line = "403 Forbidden";
    } else if (status == 500) {
        line = "500 Internal Server Error";
    }
    return wsp_fit(snprintf(out, cap, "HTTP/1.1 %s\r\n%sConnection: close\r\n"
                                      "Content-Length: 0\r\n\r\n", line, extra), cap);
}
