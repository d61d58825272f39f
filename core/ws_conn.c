/*
 * ws_conn.c - one WebSocket connection on the loop thread: socket I/O,
 * handshake, frames, binding to a key, heartbeats (docs/protocol.md §1-§5) and the
 * confirmation Pings of docs/delivery.md §2.
 *
 * Memory per idle connection is kept small on purpose (tens of thousands
 * are held): a raw socket with two events and one output evbuffer; input is
 * read into one shared buffer and only a partial frame is copied out.
 * Output is written once per loop pass (the flush pass), not once per push.
 * A connection is never freed inside its own callback: it is queued and
 * freed at the flush pass (as redis' freeClientAsync).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>
#include <json-c/json.h>

#include "server_internal.h"
#include "ws_handshake.h"
#include "ws_tls.h"
#include "heartbeat.h"

#define CLOSE_LINGER_MS 2000   /* how long a closing connection may flush */
/* At most one confirmation Ping per connection per PING_MIN_MS: under load a
 * connection gets a message every few ms, and a Ping (and its Pong, a read,
 * a confirm, a store remove, a log line) per message would double the work.
 * Delivery never waits for this; only confirmation does, by at most this.
 * While a connection keeps receiving (each Ping goes as soon as its interval
 * allows), the interval doubles up to PING_MAX_MS: a stream's Pongs cost
 * both ends a read each, which with one line in flight per pusher was the
 * work the floor does not do (issue 18). The first Ping after a quiet
 * spell is back at PING_MIN_MS. */
#define PING_MIN_MS 100
#define PING_MAX_MS 400
#define PING_TICK_MS 5     /* how often deferred Pings are looked at */
/* Under load (a pass writing to BUSY_PASS_CONNS connections or more), a
 * connection with only a little output waits up to HOLD_MS, so its next
 * pushes share the write: at 1,000 keys nearly every message otherwise costs
 * its own send(). Light traffic (the latency case) is never held, and
 * neither is a connection whose pushes come further apart than the hold:
 * its next push would not come in time, and holding would only delay this
 * one (a burst to many quiet keys). The gap is an average (1/4 of each new
 * gap), capped at HOLD_GAP_CAP_MS so a quiet key turns into a stream within
 * a few pushes. */
#define BUSY_PASS_CONNS 256
#define HOLD_BYTES      512
#define HOLD_MS         8      /* the longest a busy server holds output */
#define HOLD_GAP_CAP_MS (4 * HOLD_MS)

static void ws_event_cb(evutil_socket_t fd, short what, void *arg);

/* One embedded event per connection (not two event_new()s): it waits for
 * reading while open, and for writing only while output is blocked. */
static void set_events(wsp_wsconn *c, short flags)
{
    if (flags == c->ev_flags) return;
    if (c->ev_flags) event_del(&c->ev);
    c->ev_flags = flags;
    if (!flags) return;
    event_assign(&c->ev, c->srv->base, c->fd, flags | EV_PERSIST, ws_event_cb, c);
    event_add(&c->ev, NULL);
}

static void idle_unlink(wsp_wsconn *c)
{
    if (!c->idle_listed) return;
    TAILQ_REMOVE(&c->srv->ws.idle, c, idle_link);
    c->idle_listed = 0;
}

static void idle_touch(wsp_wsconn *c)
{
    wsp_server *srv = c->srv;
    c->last_active_ms = wsp_now_ms(srv);
    if (c->idle_listed && !TAILQ_NEXT(c, idle_link)) return;   /* already last */
    idle_unlink(c);
    TAILQ_INSERT_TAIL(&srv->ws.idle, c, idle_link);
    c->idle_listed = 1;
}

/* The output buffer exists only while there is output: an idle connection
 * holds none (memory per held connection is a target). */
struct evbuffer *wsp_ws_out(wsp_wsconn *c)
{
    if (!c->out) c->out = evbuffer_new();
    return c->out;
}

/* Append to the output; -1 only when memory ran out (the caller decides
 * whether the connection can go on). */
int wsp_ws_add(wsp_wsconn *c, const void *data, size_t len)
{
    struct evbuffer *o = wsp_ws_out(c);
    return o && evbuffer_add(o, data, len) == 0 ? 0 : -1;
}

static size_t out_len(const wsp_wsconn *c)
{
    return c->out ? evbuffer_get_length(c->out) : 0;
}

int wsp_ws_out_full(const wsp_wsconn *c)
{
    return out_len(c) >= c->srv->cfg.max_output;
}

wsp_wsconn *wsp_ws_accept(wsp_server *srv, evutil_socket_t fd)
{
    wsp_wsconn *c = calloc(1, sizeof(*c));
    if (!c) { evutil_closesocket(fd); return NULL; }
    evutil_make_socket_nonblocking(fd);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (srv->tls_ctx && !(c->ssl = wsp_tls_new(srv->tls_ctx, fd))) {
        evutil_closesocket(fd);
        free(c);
        return NULL;
    }
    c->srv = srv;
    c->fd = fd;
    c->push_gap16 = HOLD_GAP_CAP_MS * 16;   /* no stream until its pushes show one */
    c->id = ++srv->ws.next_conn_id;
    set_events(c, EV_READ);
    wsp_ws_parser_init(&c->parser, srv->cfg.max_frame);
    LIST_INSERT_HEAD(&srv->ws.all_conns, c, all_link);
    srv->ws.nconns++;
    idle_touch(c);   /* the accept time: the handshake deadline counts from it */
    wsp_log_ev(srv, WSP_LOG_DEBUG, "connect", c->id, NULL, 0, 0, NULL, NULL, 0);
    return c;
}

/* A push was written to c: its average gap (HOLD_GAP_CAP_MS for the first). */
void wsp_ws_pushed(wsp_wsconn *c)
{
    int64_t now = wsp_now_ms(c->srv);
    int64_t gap = c->last_push_ms ? now - c->last_push_ms : HOLD_GAP_CAP_MS;
    if (gap < 0) gap = 0;
    if (gap > HOLD_GAP_CAP_MS) gap = HOLD_GAP_CAP_MS;
    c->push_gap16 = (uint32_t)((int64_t)c->push_gap16 + (gap * 16 - (int64_t)c->push_gap16) / 4);
    c->last_push_ms = now;
}

void wsp_ws_mark_dirty(wsp_wsconn *c)
{
    if (c->dirty) return;
    c->dirty = 1;
    STAILQ_INSERT_TAIL(&c->srv->ws.dirty, c, dirty_link);
    c->srv->ws.ndirty++;
    wsp_schedule_flush(c->srv);
}

static void queue_free(wsp_wsconn *c)
{
    if (c->free_queued) return;
    c->free_queued = 1;
    c->state = WS_DEAD;
    /* It stays on the dirty, held and ping lists: the flush pass and the
     * ping timer drop a dead one, and wsp_ws_free_pending waits for that. */
    wsp_server *srv = c->srv;
    LIST_REMOVE(c, all_link);
    SLIST_INSERT_HEAD(&srv->ws.free_conns, c, free_link);
    set_events(c, 0);
    wsp_schedule_flush(srv);
}

void wsp_ws_free_pending(wsp_server *srv)
{
    SLIST_HEAD(, wsp_wsconn) keep = SLIST_HEAD_INITIALIZER(keep);
    wsp_wsconn *c;
    while ((c = SLIST_FIRST(&srv->ws.free_conns)) != NULL) {
        SLIST_REMOVE_HEAD(&srv->ws.free_conns, free_link);
        if (c->dirty || c->ping_waiting) {   /* still listed: freed after */
            SLIST_INSERT_HEAD(&keep, c, free_link);
            continue;
        }
        /* A connection torn down at stop may still wait for writing (a
         * closing one with unsent output): unregister before freeing, or
         * event_base_free() walks the freed event (issue 13, defect 2). */
        set_events(c, 0);
        if (c->out) evbuffer_free(c->out);
        evutil_closesocket(c->fd);
        wsp_accept_release(c);
        wsp_ws_parser_free(&c->parser);
        wsp_key_free(&c->auth_key);
        wsp_tls_free(c->ssl);
        free(c->in);
        srv->ws.nconns--;
        free(c);
    }
    while ((c = SLIST_FIRST(&keep)) != NULL) {
        SLIST_REMOVE_HEAD(&keep, free_link);
        SLIST_INSERT_HEAD(&srv->ws.free_conns, c, free_link);
    }
}

/* Teardown: free every connection still allocated after a stop, its
 * lists and the shared read buffer (the ws group of struct wsp_server). */
void wsp_ws_free_all(wsp_server *srv)
{
    wsp_wsconn *c;
    while ((c = LIST_FIRST(&srv->ws.all_conns)) != NULL) {
        LIST_REMOVE(c, all_link);
        SLIST_INSERT_HEAD(&srv->ws.free_conns, c, free_link);
    }
    SLIST_FOREACH(c, &srv->ws.free_conns, free_link)
        c->dirty = c->ping_waiting = c->held = 0;
    TAILQ_INIT(&srv->ws.idle);
    STAILQ_INIT(&srv->ws.dirty);
    STAILQ_INIT(&srv->ws.held);
    STAILQ_INIT(&srv->ws.ping_wait);
    srv->ws.ndirty = srv->ws.nheld = 0;
    wsp_ws_free_pending(srv);
    free(srv->ws.rbuf);
    srv->ws.rbuf = NULL;
}

void wsp_ws_close(wsp_wsconn *c, uint16_t code, const char *reason)
{
    if (c->state == WS_CLOSING || c->state == WS_DEAD) return;
    wsp_server *srv = c->srv;
    int was_open = c->state == WS_OPEN;
    c->state = WS_CLOSING;
    set_events(c, 0);
    idle_unlink(c);
    if (c->fallback) { c->fallback = 0; srv->ws.nfallback--; }
    wsp_keyrec *k = c->key;
    srv->st.closed_by_reason[wsp_close_reason_class(code, reason)]++;
    wsp_emit_event(srv, WSP_EV_CLOSE, c->id, k, reason, strlen(reason));
    {
        char res[96];
        snprintf(res, sizeof(res), "%s code=%u", reason, code);
        if (srv->log && wsp_log_enabled(srv->log, WSP_LOG_INFO)) {
            wsp_log_rec r = { .level = WSP_LOG_INFO, .event = "close", .conn_id = c->id,
                              .key = k ? k->id + 1 : NULL, .key_len = k ? k->id_len - 1 : 0,
                              .result = res, .to_close_log = 1 };
            wsp_log_write(srv->log, &r);
        }
    }
    /* A stop is not a broken delivery, nor is our own allocation failure
     * (no message tries are spent, so none is dropped, and no key freed,
     * under a push or a replay still using them); anything else is. */
    wsp_outbox_unbind(c, !srv->stopping && !c->oom);
    if (was_open && code) {
        uint8_t f[4];
        wsp_ws_add(c, f, wsp_ws_close_frame(f, code));
    }
    if (out_len(c) > 0) {
        /* A tab closed for falling behind is one that stopped reading: it
         * reads its last frames and the Close only when it resumes. That
         * Close 4001 is what tells the page to refetch; discarded at a 2 s
         * linger the page would see a bare EOF, reconnect and never know
         * about the gap. So it may linger as long as an open connection may
         * go without reading (heartbeat_timeout); its output is bounded by
         * max_output like an open one's. */
        int64_t linger = CLOSE_LINGER_MS;
        if (code == WSP_WS_CLOSE_FELL_BEHIND) {
            int64_t hb = (int64_t)(srv->cfg.heartbeat_timeout * 1000.0);
            if (hb > linger) linger = hb;
            c->linger_close = 1;
        }
        c->close_deadline_ms = wsp_now_ms(srv) + linger;
        wsp_ws_mark_dirty(c);
    } else {
        queue_free(c);
    }
}

void wsp_ws_close_all(wsp_server *srv, uint16_t code)
{
    for (wsp_wsconn *c = LIST_FIRST(&srv->ws.all_conns), *n; c; c = n) {
        n = LIST_NEXT(c, all_link);
        wsp_ws_close(c, code, "server stop");
    }
}

static void send_frame(wsp_wsconn *c, int opcode, const void *data, size_t len)
{
    uint8_t h[10];
    size_t hl = wsp_ws_frame_header(h, opcode, len);
    wsp_ws_add(c, h, hl);
    if (len) wsp_ws_add(c, data, len);
    wsp_ws_mark_dirty(c);
}

static int all_digits(const char *s, size_t n)
{
    if (!n) return 0;
    for (size_t i = 0; i < n; i++) if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

static void bind_key(wsp_wsconn *c, const char *data, size_t len)
{
    wsp_key key;
    if (wsp_key_from_text(data, len, &key) != 0) return;   /* empty: binds nothing */
    if (c->srv->cfg.auth_secret && !wsp_ws_key_ok(c, &key)) {   /* closed 1008 */
        wsp_key_free(&key);
        return;
    }
    wsp_keyrec *k = wsp_key_get(c->srv, key.id, key.id_len);
    wsp_key_free(&key);
    if (!k) return;
    wsp_log_ev(c->srv, WSP_LOG_INFO, "bind", c->id, k, 0, 0,
               k->id[0] == WSP_KEY_WEB ? "web" : "client", NULL, 0);
    wsp_emit_event(c->srv, WSP_EV_BIND, c->id, k, NULL, 0);
    wsp_outbox_bind(c, k);
}

/* docs/protocol.md §3: replies exactly as the seed's code. */
static void on_message(wsp_wsconn *c, const uint8_t *data, size_t len)
{
    wsp_server *srv = c->srv;
    const char *t; size_t tn;
    wsp_php_trim((const char *)data, len, &t, &tn);
    if (tn == 0) return;
    if (!c->key) {
        bind_key(c, t, tn);
        if (c->state != WS_OPEN) return;
    }
    if (c->key && c->key->id[0] == WSP_KEY_WEB && all_digits(t, tn)
        && c->key->id_len - 1 == tn && memcmp(c->key->id + 1, t, tn) == 0) {
        send_frame(c, WSP_WS_OP_TEXT, "biubiubiu", 9);
        wsp_log_ev(srv, WSP_LOG_DEBUG, "heartbeat", c->id, c->key, 0, 0, "biubiubiu", NULL, 0);
        return;
    }
    if (t[0] == '{' && wsp_addin_heartbeat(t, tn)) {
        send_frame(c, WSP_WS_OP_TEXT, t, tn);
        wsp_log_ev(srv, WSP_LOG_DEBUG, "heartbeat", c->id, c->key, 0, 0, "echo", NULL, 0);
        return;
    }
    wsp_log_ev(srv, WSP_LOG_INFO, "recv", c->id, c->key, 0, 0, NULL, t, tn);
    wsp_emit_event(srv, WSP_EV_MESSAGE, c->id, c->key, t, tn);
}

static int parse_seq(const uint8_t *p, size_t n, uint64_t *out)
{
    if (n == 0 || n > 20) return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return -1;
        uint64_t d = (uint64_t)(p[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static void on_pong(wsp_wsconn *c, const uint8_t *data, size_t len)
{
    uint64_t n;
    /* Only a Pong carrying an outstanding Ping's sequence confirms: .NET's
     * unsolicited empty keep-alive Pongs confirm nothing. */
    if (parse_seq(data, len, &n) < 0 || n > c->pinged_upto || n <= c->confirmed_upto)
        return;
    c->answered_ping = 1;
    if (n == c->pinged_upto) { c->pings_unanswered = 0; c->first_unanswered_ping_ms = 0; }
    wsp_outbox_confirm(c, n, "pong");
    if (c->written_upto > c->pinged_upto && c->pinged_upto <= c->confirmed_upto) {
        c->ping_due = 1;           /* written meanwhile: ping for it now */
        wsp_ws_mark_dirty(c);
    }
}

/* TCP-level confirmation for a client stack that never answers Pings:
 * everything written is confirmed once our buffer and the kernel's send
 * queue are both empty (the peer's TCP acknowledged every byte). */
static void fallback_check(wsp_wsconn *c)
{
    if (c->written_upto <= c->confirmed_upto || out_len(c) > 0) return;
    int outq = 0;
    if (ioctl(c->fd, SIOCOUTQ, &outq) == 0 && outq == 0)
        wsp_outbox_confirm(c, c->written_upto, "tcp");
}

static void maybe_enter_fallback(wsp_wsconn *c)
{
    wsp_server *srv = c->srv;
    if (c->fallback || c->answered_ping || c->pings_unanswered < 3) return;
    int64_t now = wsp_now_ms(srv);
    if (now - c->first_unanswered_ping_ms < (int64_t)(srv->cfg.ping_fallback_after * 1000.0))
        return;
    c->fallback = 1;
    srv->ws.nfallback++;
    srv->st.fallback_connections++;
    wsp_log_ev(srv, WSP_LOG_WARN, "fallback", c->id, c->key, 0, 0,
               "pings unanswered while frames keep coming: confirming at TCP level", NULL, 0);
}

static int handle_frames(wsp_wsconn *c, uint8_t *buf, size_t len, size_t *used)
{
    size_t off = 0;
    wsp_server *srv = c->srv;
    while (c->state == WS_OPEN) {
        size_t consumed = 0;
        wsp_ws_event ev;
        int rc = wsp_ws_parse(&c->parser, buf + off, len - off, &consumed, &ev);
        off += consumed;
        if (rc == 0) {
            if (consumed) idle_touch(c);   /* absorbed fragments are frames too */
            break;
        }
        if (rc < 0) {
            srv->st.closed_protocol++;
            wsp_ws_close(c, (uint16_t)-rc, rc == -1007 ? "invalid utf-8" :
                         rc == -1009 ? "frame too big" : "protocol error");
            break;
        }
        c->last_frame_ms = wsp_now_ms(srv);
        idle_touch(c);
        switch (ev.type) {
        case WSP_WS_EV_MESSAGE:
            on_message(c, ev.data, ev.len);
            if (c->state == WS_OPEN && !c->answered_ping) maybe_enter_fallback(c);
            if (c->fallback) fallback_check(c);
            break;
        case WSP_WS_EV_PING:
            send_frame(c, WSP_WS_OP_PONG, ev.data, ev.len);
            break;
        case WSP_WS_EV_PONG:
            on_pong(c, ev.data, ev.len);
            break;
        case WSP_WS_EV_CLOSE: {
            uint16_t code = ev.close_code == WSP_WS_CLOSE_NO_STATUS ? 0 : ev.close_code;
            if (code == 0) {
                /* An empty Close is answered with an empty Close. */
                uint8_t h[2] = { 0x88, 0x00 };
                wsp_ws_add(c, h, 2);
                c->state = WS_HANDSHAKE;   /* so wsp_ws_close adds no frame */
            }
            wsp_ws_close(c, code, "client close");
            break;
        }
        }
    }
    *used = off;
    return 0;
}

static void do_handshake(wsp_wsconn *c)
{
    wsp_ws_request req;
    if (wsp_metrics_ws_http(c, (const char *)c->in, c->in_len)) return;   /* /metrics, /healthz */
    int rc = wsp_ws_handshake_parse((const char *)c->in, c->in_len, &req);
    if (rc == 0) return;
    char resp[512];
    if (rc > 0 && c->srv->cfg.allowed_origins && !wsp_ws_origin_ok(c, &req))
        rc = -403;
    if (rc < 0) {
        size_t n = wsp_ws_handshake_error(-rc, resp, sizeof(resp));
        wsp_ws_add(c, resp, n);
        c->state = WS_OPEN;    /* lets close() run its normal path */
        wsp_ws_close(c, 0, rc == -403 ? "origin not allowed" : "bad handshake");
        return;
    }
    size_t n = wsp_ws_handshake_response(&req, resp, sizeof(resp));
    wsp_ws_add(c, resp, n);
    wsp_ws_mark_dirty(c);
    c->state = WS_OPEN;
    idle_touch(c);   /* the idle clock starts with the open connection */
    /* After the 101: a refusal is a Close 1008 with a reason the page can read. */
    if (c->srv->cfg.auth_secret && !wsp_ws_sig_ok(c, &req, (const char *)c->in))
        return;
    size_t rest = c->in_len - (size_t)rc;
    memmove(c->in, c->in + rc, rest);
    c->in_len = rest;
    if (rest == 0) {          /* the usual case: give the head's buffer back */
        free(c->in);
        c->in = NULL;
        c->in_cap = 0;
    }
}

static int in_reserve(wsp_wsconn *c, size_t need)
{
    if (c->in_cap >= need) return 0;
    size_t cap = c->in_cap ? c->in_cap : 512;
    while (cap < need) cap *= 2;
    uint8_t *p = realloc(c->in, cap);
    if (!p) return -1;
    c->in = p;
    c->in_cap = cap;
    return 0;
}

/* One read into the shared buffer, through TLS on a wss:// listener.
 * Returns >0 bytes, 0 peer closed, -1 socket error, WSP_TLS_AGAIN (nothing
 * now) or WSP_TLS_FAILED. */
static ssize_t conn_recv(wsp_wsconn *c, evutil_socket_t fd)
{
    wsp_server *srv = c->srv;
    if (!c->ssl) {
        ssize_t n = recv(fd, srv->ws.rbuf, srv->ws.rbuf_cap, 0);
        return n >= 0 ? n : errno == EAGAIN || errno == EINTR ? WSP_TLS_AGAIN : -1;
    }
    int ww;
    ssize_t n = wsp_tls_read(c->ssl, srv->ws.rbuf, srv->ws.rbuf_cap, &ww);
    if (ww != c->tls_rw) {   /* the handshake's output did not fit: wait for writability */
        c->tls_rw = (uint8_t)ww;
        set_events(c, (short)((c->ev_flags & ~EV_WRITE) | EV_READ
                              | (ww || out_len(c) > 0 ? EV_WRITE : 0)));
    }
    return n;
}

/* The message_timeout clock: runs while a message is incomplete (a
 * fragmented message being assembled, or a frame only partly received), so
 * 1-byte continuations or a trickled frame cannot hold a connection and its
 * assembly buffer forever (each fragment refreshes the idle timer). */
static void track_message(wsp_wsconn *c)
{
    if (c->parser.msg_opcode == 0 && c->in_len == 0)
        c->msg_start_ms = 0;
    else if (!c->msg_start_ms)
        c->msg_start_ms = wsp_now_ms(c->srv);
}

/* Everything the server sends a connection (Pongs, heartbeat replies,
 * echoes, pushes) goes through its output buffer; once that holds
 * max_output the connection is not read until it drains to half, so a
 * client that sends and never reads cannot grow it further (the kernel's
 * buffers then push back on the client). Pushes stop at the cap by
 * themselves (wsp_outbox_pump) and stay in the outbox. */
static int read_wanted(wsp_wsconn *c)
{
    wsp_server *srv = c->srv;
    size_t n = out_len(c), cap = srv->cfg.max_output;
    if (!c->rd_paused && n >= cap) {
        c->rd_paused = 1;
        srv->st.output_paused++;
        if (!c->paused_logged) {   /* once per connection: a slow reader cycles */
            c->paused_logged = 1;
            char why[96];
            int wl = snprintf(why, sizeof(why), "output %zu bytes >= max_output %zu", n, cap);
            wsp_log_ev(srv, WSP_LOG_WARN, "limit", c->id, c->key, 0, 0, "reading paused",
                       why, wl > 0 ? (size_t)wl : 0);
        }
    } else if (c->rd_paused && n <= cap / 2) {
        c->rd_paused = 0;
    }
    return !c->rd_paused;
}

static void ws_read(evutil_socket_t fd, void *arg)
{
    wsp_wsconn *c = arg;
    wsp_server *srv = c->srv;
    ssize_t n = conn_recv(c, fd);
    if (n == 0 || n == -1 || n == WSP_TLS_FAILED) {
        if (n == WSP_TLS_FAILED) srv->st.closed_protocol++;
        wsp_ws_close(c, 0, n == 0 ? "peer closed" : n == -1 ? "reset"
                           : "tls error (a plain ws:// request on a wss:// port?)");
        return;
    }
    if (n < 0) return;
    if (c->state == WS_HANDSHAKE) {
        if (in_reserve(c, c->in_len + (size_t)n) < 0) { wsp_ws_close(c, 0, "oom"); return; }
        memcpy(c->in + c->in_len, srv->ws.rbuf, (size_t)n);
        c->in_len += (size_t)n;
        if (c->in_len > WSP_WS_HANDSHAKE_MAX + 4096) c->in_len = WSP_WS_HANDSHAKE_MAX + 4096;
        /* No idle_touch here: bytes trickling in do not extend the
         * handshake; it must complete within handshake_timeout of the
         * accept (checked by the sweep). */
        do_handshake(c);
        if (c->state != WS_OPEN || c->in_len == 0) return;
        size_t used = 0;
        handle_frames(c, c->in, c->in_len, &used);
        if (c->state != WS_OPEN) return;
        memmove(c->in, c->in + used, c->in_len - used);
        c->in_len -= used;
        track_message(c);
        return;
    }
    if (c->state != WS_OPEN) return;
    size_t used = 0;
    if (c->in_len == 0) {
        /* Common case: parse straight from the shared buffer. */
        handle_frames(c, srv->ws.rbuf, (size_t)n, &used);
        if (c->state != WS_OPEN) return;
        size_t rest = (size_t)n - used;
        if (rest) {
            if (in_reserve(c, rest) < 0) { c->oom = 1; wsp_ws_close(c, 1011, "oom"); return; }
            memcpy(c->in, srv->ws.rbuf + used, rest);
            c->in_len = rest;
        }
    } else {
        if (in_reserve(c, c->in_len + (size_t)n) < 0) { c->oom = 1; wsp_ws_close(c, 1011, "oom"); return; }
        memcpy(c->in + c->in_len, srv->ws.rbuf, (size_t)n);
        c->in_len += (size_t)n;
        handle_frames(c, c->in, c->in_len, &used);
        if (c->state != WS_OPEN) return;
        memmove(c->in, c->in + used, c->in_len - used);
        c->in_len -= used;
    }
    if (c->in_len == 0 && c->in) {
        /* Idle connections keep no input buffer: tens of thousands are held. */
        free(c->in);
        c->in = NULL;
        c->in_cap = 0;
    }
    track_message(c);
}

/* After a write: the idle clock of a paused connection, the events it
 * needs now, and no output buffer kept when there is nothing to send. */
static void wrote_out(wsp_wsconn *c, int wrote)
{
    /* A paused connection's frames are not read, so they cannot refresh
     * its idle timer: its reading our output does instead. One that reads
     * nothing times out (heartbeat_timeout) and is closed. */
    if (wrote && c->rd_paused && c->state == WS_OPEN) idle_touch(c);
    short want = c->state == WS_OPEN && read_wanted(c) ? EV_READ : 0;
    if (out_len(c) > 0 || c->tls_rw) want |= EV_WRITE;
    else if (c->out) { evbuffer_free(c->out); c->out = NULL; }
    set_events(c, want);
}

/* Write what is buffered; returns -1 when the connection broke. */
static int flush_out(wsp_wsconn *c)
{
    int wrote = 0;
    while (out_len(c) > 0) {
        int n = c->ssl ? wsp_tls_write(c->ssl, c->out) : evbuffer_write(c->out, c->fd);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) break;
            return -1;
        }
        if (n == 0) break;
        wrote = 1;
    }
    wrote_out(c, wrote);
    return 0;
}

static void after_write(wsp_wsconn *c);

/* What the flush pass's batched send of c's output did (send_batch.h). */
static void ws_sent(void *arg, ssize_t res)
{
    wsp_wsconn *c = arg;
    c->sending = 0;
    if (c->state == WS_DEAD) return;   /* queued to free meanwhile */
    if (res < 0 && res != -EAGAIN && res != -EWOULDBLOCK && res != -EINTR) {
        if (c->state == WS_CLOSING) queue_free(c);
        else wsp_ws_close(c, 0, "write error");
        return;
    }
    if (res > 0) evbuffer_drain(c->out, (size_t)res);
    wrote_out(c, res > 0);   /* what is left waits for the write event */
    after_write(c);
}

/* A plain connection's output into the pass's send batch: the frames are
 * sent from where they lie in c->out, which nothing touches until the
 * batch has run (c->sending). */
static void queue_out(wsp_wsconn *c)
{
    struct evbuffer_iovec v[WSP_SEND_BATCH_IOV];
    struct iovec iov[WSP_SEND_BATCH_IOV];
    int n = evbuffer_peek(c->out, -1, NULL, v, WSP_SEND_BATCH_IOV);
    if (n > WSP_SEND_BATCH_IOV) n = WSP_SEND_BATCH_IOV;   /* the rest goes next time */
    for (int i = 0; i < n; i++) {
        iov[i].iov_base = v[i].iov_base;
        iov[i].iov_len = v[i].iov_len;
    }
    c->sending = 1;
    wsp_send_batch_add(c->srv->sendq, c->fd, iov, n, ws_sent, c);
}

/* Closing a socket whose receive queue holds unread bytes sends a reset,
 * and a reset makes the peer's kernel drop what it had not read yet: our
 * last frames and the Close. A connection paused for its output cap has
 * such bytes, so they are read and dropped first (bounded: the kernel's
 * receive buffer). */
static int discard_input(wsp_wsconn *c)   /* 1: EOF or error (peer done) */
{
    wsp_server *srv = c->srv;
    for (int i = 0; i < 256; i++) {
        ssize_t n = recv(c->fd, srv->ws.rbuf, srv->ws.rbuf_cap, MSG_DONTWAIT);
        if (n == 0) return 1;
        if (n < 0) return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
    }
    return 0;
}

static void after_write(wsp_wsconn *c)
{
    if (c->state == WS_CLOSING) {
        if (c->linger_read) set_events(c, EV_READ);   /* a flush cleared it */
        else if (out_len(c) == 0) {
            if (c->ssl) wsp_tls_shutdown(c->ssl);
            shutdown(c->fd, SHUT_WR);
            /* A tab closed for falling behind was stalled: it reads our
             * last frames only now, and answers the Pings among them. Had we
             * closed the socket, those Pongs would draw a reset that makes
             * its kernel drop the rest, Close 4001 included. So the socket
             * stays open, read and dropped, until the client's EOF or the
             * close deadline (the sweep). */
            if (discard_input(c) || !c->linger_close) { queue_free(c); return; }
            c->linger_read = 1;
            set_events(c, EV_READ);
        }
        return;
    }
    /* Behind the key's sequence: replay, or (when what it missed has left
     * the outbox) the pump closes it as fallen behind. */
    if (c->state == WS_OPEN && c->key && !wsp_ws_out_full(c)
        && c->cursor < c->key->next_seq)
        wsp_outbox_pump(c);
}

static void ws_write(evutil_socket_t fd, void *arg)
{
    wsp_wsconn *c = arg;
    if (flush_out(c) < 0) {
        if (c->state == WS_CLOSING) queue_free(c);
        else wsp_ws_close(c, 0, "write error");
        return;
    }
    after_write(c);
}

static void ws_event_cb(evutil_socket_t fd, short what, void *arg)
{
    wsp_wsconn *c = arg;
    if (c->linger_read) {   /* closed, our output sent: drop input until EOF */
        if (discard_input(c)) queue_free(c);
        return;
    }
    if ((what & EV_WRITE) && c->tls_rw) {
        /* Writable again for a TLS read (handshake output): read now. */
        what |= EV_READ;
        if (out_len(c) == 0) what &= ~EV_WRITE;
    }
    if (what & EV_WRITE) {
        ws_write(fd, c);
        if (c->state != WS_OPEN) return;
    }
    if (what & EV_READ) {
        ws_read(fd, c);
        /* TLS may hold decrypted bytes that no socket event announces. */
        for (int i = 0; i < 16 && c->ssl && c->state <= WS_OPEN && wsp_tls_pending(c->ssl); i++)
            ws_read(fd, c);
    }
}

static int64_t ping_iv(const wsp_wsconn *c)
{
    return c->ping_iv_ms ? c->ping_iv_ms : PING_MIN_MS;
}

static void send_ping(wsp_wsconn *c)
{
    char p[24];
    int n = snprintf(p, sizeof(p), "%llu", (unsigned long long)c->written_upto);
    uint8_t h[10];
    size_t hl = wsp_ws_frame_header(h, WSP_WS_OP_PING, (size_t)n);
    wsp_ws_add(c, h, hl);
    wsp_ws_add(c, p, (size_t)n);
    int64_t now = wsp_now_ms(c->srv);
    if (c->ping_due != 2) {   /* a re-ping of unconfirmed output changes nothing */
        int64_t iv = ping_iv(c);
        if (c->last_ping_ms && now - c->last_ping_ms < 2 * iv)
            c->ping_iv_ms = (uint32_t)(2 * iv < PING_MAX_MS ? 2 * iv : PING_MAX_MS);
        else
            c->ping_iv_ms = PING_MIN_MS;
    }
    c->pinged_upto = c->written_upto;
    c->last_ping_ms = now;
    if (c->pings_unanswered == 0) c->first_unanswered_ping_ms = now;
    c->pings_unanswered++;
}

static void arm_ping_timer(wsp_server *srv)
{
    if (!event_pending(srv->ws.ping_ev, EV_TIMEOUT, NULL)) {
        struct timeval tv = { 0, PING_TICK_MS * 1000 };
        event_add(srv->ws.ping_ev, &tv);
    }
}

/* Queue a connection whose Ping must wait for PING_MIN_MS. FIFO, so the
 * waiting Pings leave in small groups as each comes due, never all at once
 * (a burst of a thousand Pings in one pass would delay that pass's pushes). */
static void defer_ping(wsp_wsconn *c)
{
    wsp_server *srv = c->srv;
    if (c->ping_waiting) return;
    c->ping_waiting = 1;
    STAILQ_INSERT_TAIL(&srv->ws.ping_wait, c, ping_link);
    arm_ping_timer(srv);
}

void wsp_ws_ping_timer(evutil_socket_t fd, short what, void *arg)
{
    wsp_server *srv = arg;
    int64_t now = wsp_now_ms(srv);
    wsp_wsconn *c;
    while ((c = STAILQ_FIRST(&srv->ws.ping_wait)) != NULL) {
        /* (FIFO: one whose interval grew may hold the ones behind it back,
         * by at most PING_MAX_MS - PING_MIN_MS; streams share an interval) */
        if (c->state == WS_OPEN && now - c->last_ping_ms < ping_iv(c)) break;
        STAILQ_REMOVE_HEAD(&srv->ws.ping_wait, ping_link);
        c->ping_waiting = 0;
        if (c->state == WS_OPEN) {
            c->ping_due = 1;
            wsp_ws_mark_dirty(c);
        }
    }
    if (!STAILQ_EMPTY(&srv->ws.ping_wait)) arm_ping_timer(srv);
    wsp_schedule_flush(srv);   /* also frees connections that waited here */
}

/* The flush pass: once per loop iteration, after every callback of the
 * iteration ran. One Ping per connection per pass, one write per pass. */
void wsp_ws_held_timer(evutil_socket_t fd, short what, void *arg)
{
    wsp_schedule_flush(arg);   /* the pass after a busy one, even if idle */
}

void wsp_ws_flush_all(wsp_server *srv)
{
    /* What the previous busy pass held goes out now (still marked dirty). */
    wsp_wsconn *c;
    while ((c = STAILQ_FIRST(&srv->ws.held)) != NULL) {
        STAILQ_REMOVE_HEAD(&srv->ws.held, held_link);
        STAILQ_INSERT_TAIL(&srv->ws.dirty, c, dirty_link);
    }
    int busy = srv->ws.ndirty + srv->ws.nheld >= BUSY_PASS_CONNS;
    int64_t now = wsp_now_ms(srv);
    srv->ws.ndirty = srv->ws.nheld = 0;
    /* Rounds: the push replies and every dirty connection's output go into
     * the send batch, which then runs (one system call with io_uring).
     * What its callbacks mark dirty (replays, closes) is the next round's. */
    for (;;) {
        wsp_push_queue_sends(srv);   /* the replies first: the backend's next lines come sooner */
        STAILQ_HEAD(, wsp_wsconn) again = STAILQ_HEAD_INITIALIZER(again);
        /* Taken from the head one at a time: connections marked dirty by
         * this pass (closes, replays) are appended and written in it too. */
        while ((c = STAILQ_FIRST(&srv->ws.dirty)) != NULL) {
            STAILQ_REMOVE_HEAD(&srv->ws.dirty, dirty_link);
            if (c->sending) {   /* in the batch already: its new output waits a round */
                STAILQ_INSERT_TAIL(&again, c, dirty_link);
                continue;
            }
            if (busy && c->state == WS_OPEN && out_len(c) > 0 && out_len(c) < HOLD_BYTES
                && c->push_gap16 < HOLD_MS * 16
                && (!c->held || now - c->held_since_ms < HOLD_MS)) {
                if (!c->held) {
                    c->held_since_ms = now;
                    srv->st.output_held++;
                }
                c->held = 1;                    /* stays dirty, on the held list */
                STAILQ_INSERT_TAIL(&srv->ws.held, c, held_link);
                srv->ws.nheld++;
                continue;
            }
            c->held = 0;
            c->dirty = 0;
            /* One Ping outstanding at a time: the next goes when its Pong comes
             * back (on_pong), which halves Pong traffic under load at no cost
             * to delivery. ping_due 2: a re-ping of unconfirmed output. */
            if (c->state == WS_OPEN && c->ping_due
                && ((c->written_upto > c->pinged_upto && c->pinged_upto <= c->confirmed_upto)
                    || c->ping_due == 2)) {
                if (c->ping_due == 2 || now - c->last_ping_ms >= ping_iv(c))
                    send_ping(c);
                else
                    defer_ping(c);
            }
            c->ping_due = 0;
            if (c->state == WS_DEAD) continue;
            if (!c->ssl && !c->linger_read && out_len(c) > 0 && !(c->ev_flags & EV_WRITE)) {
                queue_out(c);   /* written when the batch runs */
                continue;
            }
            if (flush_out(c) < 0) {
                if (c->state == WS_CLOSING) queue_free(c);
                else wsp_ws_close(c, 0, "write error");
            } else {
                after_write(c);
            }
        }
        STAILQ_CONCAT(&srv->ws.dirty, &again);
        if (wsp_send_batch_len(srv->sendq) == 0) break;
        wsp_send_batch_run(srv->sendq);
    }
    if (!STAILQ_EMPTY(&srv->ws.held) && !event_pending(srv->ws.held_ev, EV_TIMEOUT, NULL)) {
        struct timeval tv = { 0, 200 };
        event_add(srv->ws.held_ev, &tv);
    }
}

/* Periodic: idle timeouts, lingering closes, re-pings and the TCP fallback. */
void wsp_ws_sweep(wsp_server *srv)
{
    int64_t now = wsp_now_ms(srv);
    int64_t idle_ms = (int64_t)(srv->cfg.heartbeat_timeout * 1000.0);
    wsp_wsconn *old;
    while ((old = TAILQ_FIRST(&srv->ws.idle)) != NULL && now - old->last_active_ms > idle_ms) {
        srv->st.closed_timeout++;
        wsp_ws_close(old, WSP_WS_CLOSE_GOING_AWAY, "heartbeat timeout");   /* unlinks it */
    }
    int64_t reping_ms = (int64_t)(srv->cfg.ping_fallback_after * 1000.0 / 4);
    if (reping_ms < 50) reping_ms = 50;
    int64_t hs_ms = (int64_t)(srv->cfg.handshake_timeout * 1000.0);
    int64_t msg_ms = (int64_t)(srv->cfg.message_timeout * 1000.0);
    for (wsp_wsconn *c = LIST_FIRST(&srv->ws.all_conns), *n; c; c = n) {
        n = LIST_NEXT(c, all_link);
        if (c->state == WS_CLOSING && c->close_deadline_ms && now > c->close_deadline_ms) {
            queue_free(c);
        } else if (c->state == WS_HANDSHAKE && now - c->last_active_ms > hs_ms) {
            /* last_active_ms is the accept time until the handshake is done */
            srv->st.closed_handshake_timeout++;
            static const char r408[] = "HTTP/1.1 408 Request Timeout\r\n"
                                       "Connection: close\r\nContent-Length: 0\r\n\r\n";
            wsp_ws_add(c, r408, sizeof(r408) - 1);
            wsp_ws_close(c, 0, "handshake timeout");
        } else if (c->state == WS_OPEN && c->msg_start_ms && now - c->msg_start_ms > msg_ms) {
            srv->st.closed_message_timeout++;
            wsp_ws_close(c, WSP_WS_CLOSE_POLICY, "message timeout");
        } else if (c->state == WS_OPEN && c->written_upto > c->confirmed_upto) {
            if (c->fallback) fallback_check(c);
            else if (now - c->last_ping_ms >= reping_ms) {
                c->ping_due = 2;
                wsp_ws_mark_dirty(c);
            }
        }
    }
}

void wsp_ws_http_reply(wsp_wsconn *c, const char *data, size_t len)
{
    wsp_server *srv = c->srv;
    srv->st.closed_by_reason[WSP_CLOSE_R_HTTP]++;
    wsp_ws_add(c, data, len);
    c->state = WS_CLOSING;
    set_events(c, 0);
    idle_unlink(c);
    c->close_deadline_ms = wsp_now_ms(srv) + CLOSE_LINGER_MS;
    wsp_ws_mark_dirty(c);
}
