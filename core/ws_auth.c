/*
 * ws_auth.c - access control of a WebSocket connection on the loop thread:
 * allowed_origins at the handshake, and auth_secret's signed URL checked at
 * the handshake and held against the key the first frame names. The
 * decisions themselves are pure functions (ws_handshake.c, auth_sig.c);
 * this file logs and counts them and closes the refused connection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_internal.h"
#include "auth_sig.h"
#include "ws_handshake.h"

#define CLOSE_POLICY 1008   /* RFC 6455 7.4.1: policy violation */

int wsp_ws_origin_ok(wsp_wsconn *c, const wsp_ws_request *req)
{
    wsp_server *srv = c->srv;
    if (wsp_ws_origin_allowed(srv->cfg.allowed_origins, req))
        return 1;
    srv->st.origin_refused++;
    wsp_log_ev(srv, WSP_LOG_WARN, "origin", c->id, NULL, 0, 0, "refused 403",
               req->origin, req->origin_len < sizeof(req->origin) ? req->origin_len
                                                                  : strlen(req->origin));
    return 0;
}

/* Close with code and a reason in the Close frame (RFC 6455 5.5.1: the
 * page's onclose sees both), then the usual close path. */
static void close_with_reason(wsp_wsconn *c, uint16_t code, const char *reason)
{
    size_t rn = strlen(reason);
    uint8_t f[2 + 2 + 123];
    if (rn > 123) rn = 123;
    f[0] = 0x88;
    f[1] = (uint8_t)(2 + rn);
    f[2] = (uint8_t)(code >> 8);
    f[3] = (uint8_t)(code & 0xff);
    memcpy(f + 4, reason, rn);
    wsp_ws_add(c, f, 4 + rn);
    c->state = WS_HANDSHAKE;   /* so wsp_ws_close adds no second Close; it logs the code */
    wsp_ws_close(c, code, reason);
}

static void refuse(wsp_wsconn *c, const char *reason, const char *content, size_t content_len)
{
    wsp_server *srv = c->srv;
    srv->st.ws_auth_refused++;
    wsp_log_ev(srv, WSP_LOG_WARN, "auth", c->id, NULL, 0, 0, reason, content, content_len);
    close_with_reason(c, CLOSE_POLICY, reason);
}

int wsp_ws_sig_ok(wsp_wsconn *c, const wsp_ws_request *req, const char *buf)
{
    wsp_server *srv = c->srv;
    const char *secret = srv->cfg.auth_secret;
    char *key = NULL;
    size_t kn = 0;
    wsp_sig_result r = wsp_sig_check(secret, strlen(secret), buf + req->target_off,
                                     req->target_len, wsp_now_ms(srv) / 1000, &key, &kn);
    if (r == WSP_SIG_OK) {
        int ok = wsp_key_from_text(key, kn, &c->auth_key) == 0;
        free(key);
        if (ok)
            return 1;
        r = WSP_SIG_MALFORMED;   /* signed, but names no key (empty after trimming) */
    }
    refuse(c, wsp_sig_result_str(r), buf + req->target_off,
           req->target_len > 200 ? 200 : req->target_len);
    return 0;
}

int wsp_ws_key_ok(wsp_wsconn *c, const wsp_key *key)
{
    /* Compared as keys: an add-in's JSON may differ in order and spaces. */
    int ok = c->auth_key.id && c->auth_key.id_len == key->id_len
             && memcmp(c->auth_key.id, key->id, key->id_len) == 0;
    if (!ok) {
        char got[160];
        size_t an = c->auth_key.id ? c->auth_key.id_len - 1 : 0, kn = key->id_len - 1;
        int n = snprintf(got, sizeof(got), "signed for %.*s, first frame %.*s",
                         (int)(an > 60 ? 60 : an), an ? c->auth_key.id + 1 : "",
                         (int)(kn > 60 ? 60 : kn), key->id + 1);
        refuse(c, "key mismatch", got, n < 0 ? 0 : (size_t)n >= sizeof(got) ? sizeof(got) - 1 : (size_t)n);
    }
    wsp_key_free(&c->auth_key);   /* checked once: a connection binds once */
    return ok;
}
