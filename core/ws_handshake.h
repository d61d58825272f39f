/*
 * ws_handshake.h - the server side of the RFC 6455 opening handshake, no I/O.
 */
#ifndef WSP_WS_HANDSHAKE_H
#define WSP_WS_HANDSHAKE_H

#include <stddef.h>

#define WSP_WS_HANDSHAKE_MAX 8192   /* request head limit (bytes) */

typedef struct wsp_ws_request {
    char path[512];        /* request target, truncated */
    size_t target_off;     /* the whole request target: buf[target_off..+target_len) */
    size_t target_len;     /*   (the signed query of auth_secret may be long) */
    char origin[256];      /* Origin header or "" (truncated; origin_len is the real length) */
    size_t origin_len;
    int  has_origin;       /* an Origin header was present */
    char accept[32];       /* computed Sec-WebSocket-Accept (base64, NUL-terminated) */
} wsp_ws_request;

/*
 * Parse an HTTP/1.1 upgrade request from buf[0..len).
 * Returns:
 *   >0  the request head is complete and valid: that many bytes were used
 *       (anything after them is frame data); req is filled.
 *    0  incomplete, need more bytes (len < WSP_WS_HANDSHAKE_MAX).
 *   <0  invalid request, or head larger than WSP_WS_HANDSHAKE_MAX: the caller
 *       answers with wsp_ws_handshake_error(-rc, ...) and closes. -426
 *       when the version is not 13 (or missing), -500 when libcrypto fails
 *       (out of memory), -400 otherwise.
 * Requirements: method GET, HTTP/1.1 or later, Upgrade contains "websocket"
 * (case-insensitive token), Connection contains the "upgrade" token,
 * Sec-WebSocket-Key is 16 bytes of base64, Sec-WebSocket-Version: 13.
 */
int wsp_ws_handshake_parse(const char *buf, size_t len, wsp_ws_request *req);

/* Write the 101 response for req into out (cap bytes). Returns its length. */
size_t wsp_ws_handshake_response(const wsp_ws_request *req, char *out, size_t cap);

/* Write an error response (400, 403, 500, or 426 with Sec-WebSocket-Version:
 * 13; a negative status is taken as the parse result). Returns its length,
 * 0 when cap is too small (the same holds for the 101 response). */
size_t wsp_ws_handshake_error(int status, char *out, size_t cap);

/* allowed_origins: is the request's Origin one of the comma-separated
 * origins in list (each trimmed, compared ASCII case-insensitively)? A
 * request without an Origin header is allowed: only browsers send one, and
 * Origin is what stops another site's page from opening a connection in
 * the user's name; a non-browser client can claim any Origin anyway.
 * Returns 1 allowed, 0 refused (answer 403). */
int wsp_ws_origin_allowed(const char *list, const wsp_ws_request *req);

/* base64(SHA-1(key + GUID)) into out (at least 29 bytes). */
void wsp_ws_accept_key(const char *key, size_t key_len, char out[29]);

#endif
