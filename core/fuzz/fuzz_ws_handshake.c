/*
 * fuzz_ws_handshake.c - libFuzzer target for the upgrade request parser:
 * any bytes must give a sane verdict, and a prefix of an accepted head must
 * never be accepted with a different length (the connection re-parses as
 * bytes arrive).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ws_handshake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    wsp_ws_request req;
    char out[512];

    int rc = wsp_ws_handshake_parse(buf, size, &req);
    if (rc > 0) {
        if ((size_t)rc > size || rc > WSP_WS_HANDSHAKE_MAX)
            abort();
        if (strlen(req.path) >= sizeof(req.path) || strlen(req.accept) != 28)
            abort();
        if (strlen(req.origin) >= sizeof(req.origin))
            abort();
        /* the whole request target lies inside the head (auth_secret reads
         * its query from there) */
        if (req.target_len == 0 || req.target_off + req.target_len > (size_t)rc
            || buf[req.target_off + req.target_len] != ' ')
            abort();
        if (!req.has_origin && !wsp_ws_origin_allowed("https://a.example", &req))
            abort();
        (void)wsp_ws_origin_allowed("https://a.example, http://127.0.0.1:8080 ,null", &req);
        /* Everything up to the end of the head decides; trailing bytes
         * (frame data) must not change the verdict. */
        wsp_ws_request again;
        if (wsp_ws_handshake_parse(buf, (size_t)rc, &again) != rc)
            abort();
        if (strcmp(again.accept, req.accept) != 0)
            abort();
        size_t n = wsp_ws_handshake_response(&req, out, sizeof(out));
        if (n == 0 || n != strlen(out))
            abort();
        /* A strict prefix is never complete. */
        if (wsp_ws_handshake_parse(buf, (size_t)rc - 1, &again) > 0)
            abort();
    } else if (rc < 0) {
        if (rc != -400 && rc != -426 && rc != -500)
            abort();
        if (wsp_ws_handshake_error(-rc, out, sizeof(out)) == 0)
            abort();
    } else if (size >= WSP_WS_HANDSHAKE_MAX) {
        abort();                          /* must not wait forever */
    }
    return 0;
}
