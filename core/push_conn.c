/*
 * push_conn.c - the push port (docs/protocol.md §6): newline-delimited JSON lines from
 * the backend, one reply line each, in order, pipelining allowed.
 *
 * A reply is sent once the push is as durable as the fsync policy promises:
 * each accepted push carries the store's ticket, and replies wait in a FIFO
 * per connection until the store says the ticket is durable. Delivery to
 * WebSocket clients does not wait for that.
 */
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "server_internal.h"
#include "push_line.h"
#include "auth_sig.h"

static const char R_OK[] = "ok\n", R_QUEUED[] = "queued\n", R_FAIL[] = "fail\n";

static void push_free(wsp_pushconn *p)
{
    wsp_server *srv = p->srv;
    if (p->prev) p->prev->next = p->next; else srv->push_conns = p->next;
    if (p->next) p->next->prev = p->prev;
    bufferevent_free(p->bev);
    free(p->pending);
    free(p);
}

static uint64_t durable_now(wsp_server *srv)
{
    return atomic_load_explicit(&srv->durable_upto, memory_order_acquire);
}

static const char *reply_text(wsp_server *srv, const wsp_reply *r)
{
    if (r->ticket && r->ticket <= srv->tickets_failed_upto) return R_FAIL;
    return r->text;
}

static void reply(wsp_pushconn *p, uint64_t ticket, const char *text)
{
    wsp_server *srv = p->srv;
    if (p->pend_len == 0 && (ticket == 0 || ticket <= durable_now(srv))) {
        wsp_reply r = { ticket, text };
        const char *t = reply_text(srv, &r);
        bufferevent_write(p->bev, t, strlen(t));
        return;
    }
    if (p->pend_len == p->pend_cap) {
        size_t cap = p->pend_cap ? p->pend_cap * 2 : 64;
        wsp_reply *n = malloc(cap * sizeof(*n));
        if (!n) { bufferevent_write(p->bev, R_FAIL, 5); return; }
        for (size_t i = 0; i < p->pend_len; i++)
            n[i] = p->pending[(p->pend_head + i) % p->pend_cap];
        free(p->pending);
        p->pending = n;
        p->pend_cap = cap;
        p->pend_head = 0;
    }
    p->pending[(p->pend_head + p->pend_len) % p->pend_cap] = (wsp_reply){ ticket, text };
    p->pend_len++;
}

static void release(wsp_pushconn *p, uint64_t durable)
{
    while (p->pend_len) {
        wsp_reply *r = &p->pending[p->pend_head];
        if (r->ticket && r->ticket > durable) break;
        const char *t = reply_text(p->srv, r);
        bufferevent_write(p->bev, t, strlen(t));
        p->pend_head = (p->pend_head + 1) % p->pend_cap;
        p->pend_len--;
    }
}

void wsp_push_release_replies(wsp_server *srv)
{
    uint64_t d = durable_now(srv);
    for (wsp_pushconn *p = srv->push_conns; p; p = p->next) release(p, d);
}

/* One line -> "ok" / "queued" / "fail" (text) and the store ticket. */
const char *wsp_push_handle_line(wsp_server *srv, const char *line, size_t len,
                                 uint64_t *ticket)
{
    *ticket = 0;
    srv->st.push_lines++;
    wsp_push_msg m;
    wsp_push_fail f = wsp_push_line_parse(line, len, &m);
    if (f != WSP_PUSH_OK) {
        srv->st.push_fail++;
        if (srv->log && wsp_log_enabled(srv->log, WSP_LOG_WARN)) {
            /* result=fail like every push line; the reason leads the content. */
            char buf[256];
            int n = snprintf(buf, sizeof(buf), "%s: %.*s", wsp_push_fail_str(f),
                             (int)(len > 200 ? 200 : len), line);
            wsp_log_ev(srv, WSP_LOG_WARN, "push", 0, NULL, 0, 0, "fail", buf,
                       n < 0 ? 0 : (size_t)n >= sizeof(buf) ? sizeof(buf) - 1 : (size_t)n);
        }
        return R_FAIL;
    }
    int written = 0;
    int rc = wsp_outbox_push(srv, &m.key, m.payload, m.payload_len, &written, ticket);
    wsp_push_msg_free(&m);
    if (rc != WSP_OK) {
        srv->st.push_fail++;
        return R_FAIL;
    }
    if (written) srv->st.push_ok++; else srv->st.push_queued++;
    return written ? R_OK : R_QUEUED;
}

/* The first line of a connection when push_token is set must be
 * "AUTH <token>" (docs/protocol.md §6). Returns 1 when the line was an AUTH line and
 * was answered "ok", 0 when it is an ordinary line to handle (no token
 * required), -1 when the connection was refused ("fail", then a close).
 * Without a token an AUTH line is answered "ok" too, so backends can be
 * given the token before the server requires it. */
static int push_auth(wsp_pushconn *p, const char *line, size_t len)
{
    wsp_server *srv = p->srv;
    const char *tok = srv->cfg.push_token;
    int is_auth = len >= 5 && memcmp(line, "AUTH ", 5) == 0;

    if (is_auth && (!tok || wsp_secret_equal(line + 5, len - 5, tok, strlen(tok)))) {
        p->authed = 1;
        reply(p, 0, R_OK);
        return 1;
    }
    if (!tok) {
        p->authed = 1;
        return 0;
    }
    srv->st.push_auth_failed++;
    wsp_log_ev(srv, WSP_LOG_WARN, "auth", 0, NULL, 0, 0, "fail",
               is_auth ? "wrong push token" : "no AUTH line first (push_token is set)",
               is_auth ? 16 : 38);
    reply(p, 0, R_FAIL);
    p->close_after_flush = 1;
    bufferevent_disable(p->bev, EV_READ);
    return -1;
}

static void push_read_cb(struct bufferevent *bev, void *arg)
{
    wsp_pushconn *p = arg;
    wsp_server *srv = p->srv;
    struct evbuffer *in = bufferevent_get_input(bev);
    if (p->close_after_flush) { evbuffer_drain(in, evbuffer_get_length(in)); return; }
    /* libevent reads at most 4 KiB per callback (EVBUFFER_MAX_READ), about
     * 60 lines: take what else the socket holds now, so one loop pass
     * carries many pushes per key and each WebSocket gets one write for
     * several messages. */
    for (int i = 0; i < 16; i++) {
        struct evbuffer_iovec v;
        if (evbuffer_reserve_space(in, 64 * 1024, &v, 1) < 1) break;
        ssize_t n = recv(bufferevent_getfd(bev), v.iov_base, v.iov_len, MSG_DONTWAIT);
        if (n <= 0) { v.iov_len = 0; evbuffer_commit_space(in, &v, 1); break; }
        v.iov_len = (size_t)n;
        evbuffer_commit_space(in, &v, 1);
        if ((size_t)n < 64 * 1024) break;
    }
    for (;;) {
        size_t avail = evbuffer_get_length(in);
        if (avail == 0) break;
        struct evbuffer_ptr eol = evbuffer_search(in, "\n", 1, NULL);
        if (eol.pos < 0) {
            if (avail > srv->cfg.max_line) goto too_long;
            break;
        }
        size_t len = (size_t)eol.pos;
        if (len > srv->cfg.max_line + 1) goto too_long;
        const char *line = (const char *)evbuffer_pullup(in, (ev_ssize_t)len + 1);
        size_t ll = len;
        if (ll && line[ll - 1] == '\r') ll--;
        if (ll > srv->cfg.max_line) goto too_long;
        if (!p->authed) {
            int a = push_auth(p, line, ll);
            if (a < 0) {   /* "fail" goes out, then push_write_cb frees */
                evbuffer_drain(in, evbuffer_get_length(in));
                return;
            }
            if (a > 0) { evbuffer_drain(in, len + 1); continue; }
        }
        uint64_t ticket;
        const char *r = wsp_push_handle_line(srv, line, ll, &ticket);
        reply(p, ticket, r);
        evbuffer_drain(in, len + 1);
    }
    /* Send the replies now rather than on the next loop pass: the backend
     * pipelines, and an earlier reply lets its next lines arrive sooner, so
     * each pass carries more pushes per WebSocket write. */
    struct evbuffer *out = bufferevent_get_output(bev);
    if (evbuffer_get_length(out))
        evbuffer_write(out, bufferevent_getfd(bev));
    return;
too_long:
    srv->st.push_lines++;
    srv->st.push_fail++;
    wsp_log_ev(srv, WSP_LOG_WARN, "push", 0, NULL, 0, 0, "fail", "line too long", 13);
    reply(p, 0, R_FAIL);
    p->close_after_flush = 1;
    evbuffer_drain(in, evbuffer_get_length(in));
    bufferevent_disable(bev, EV_READ);
    if (p->pend_len == 0 && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
        push_free(p);
}

static void push_write_cb(struct bufferevent *bev, void *arg)
{
    wsp_pushconn *p = arg;
    if (p->close_after_flush && p->pend_len == 0) push_free(p);
}

static void push_event_cb(struct bufferevent *bev, short what, void *arg)
{
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) push_free(arg);
}

void wsp_push_accept(wsp_server *srv, evutil_socket_t fd)
{
    wsp_pushconn *p = calloc(1, sizeof(*p));
    if (!p) { evutil_closesocket(fd); return; }
    p->srv = srv;
    /* Replies are small and pipelined: Nagle + delayed ACK would hold them. */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    p->bev = bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!p->bev) { free(p); evutil_closesocket(fd); return; }
    p->next = srv->push_conns;
    if (srv->push_conns) srv->push_conns->prev = p;
    srv->push_conns = p;
    /* Read big: every line read in one pass is delivered in the same flush
     * pass, so more lines per read means fewer writes per message on the
     * WebSocket side (libevent's default single read is 4 KiB). */
    bufferevent_set_max_single_read(p->bev, 256 * 1024);
    bufferevent_setcb(p->bev, push_read_cb, push_write_cb, push_event_cb, p);
    bufferevent_enable(p->bev, EV_READ | EV_WRITE);
}

void wsp_push_close_all(wsp_server *srv)
{
    while (srv->push_conns) {
        wsp_pushconn *p = srv->push_conns;
        release(p, UINT64_MAX);
        push_free(p);
    }
}

int wsp_push_idle(wsp_server *srv)
{
    for (wsp_pushconn *p = srv->push_conns; p; p = p->next)
        if (p->pend_len || evbuffer_get_length(bufferevent_get_output(p->bev)))
            return 0;
    return 1;
}

void wsp_push_stop_reading(wsp_server *srv)
{
    for (wsp_pushconn *p = srv->push_conns; p; p = p->next)
        bufferevent_disable(p->bev, EV_READ);
}
