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
    LIST_REMOVE(p, link);
    bufferevent_free(p->bev);
    for (size_t i = 0; i < p->pend_len; i++)   /* cluster replies nobody will read */
        wsp_pending_put(p->pending[(p->pend_head + i) % p->pend_cap].pend);
    if (p->pending != p->pend_inline) free(p->pending);
    free(p->part);
    free(p);
}

/* What the loop has taken from the store (durable.c): a reply goes by
 * this, never by the store's newer news, whose failures are not taken yet. */
static uint64_t durable_now(wsp_server *srv)
{
    return srv->durable_seen;
}

static const char *reply_text(wsp_server *srv, const wsp_reply *r)
{
    if (r->pend) return r->pend->text;
    if (r->ticket && wsp_ticket_failed(srv, r->ticket)) return R_FAIL;
    return r->text;
}

/* Room for one more waiting reply. Checked before a line is handled, so a
 * reply never has to be dropped or sent out of order when memory runs out:
 * the line waits in the input instead (-1: pause). */
static int reply_reserve(wsp_pushconn *p)
{
    if (p->pend_len < p->pend_cap) return 0;
    size_t cap = p->pend_cap * 2;
    wsp_reply *n = malloc(cap * sizeof(*n));
    if (!n) return -1;
    for (size_t i = 0; i < p->pend_len; i++)
        n[i] = p->pending[(p->pend_head + i) % p->pend_cap];
    if (p->pending != p->pend_inline) free(p->pending);
    p->pending = n;
    p->pend_cap = cap;
    p->pend_head = 0;
    return 0;
}

/* Needs a slot reserved by reply_reserve. pend (cluster mode): the reply
 * Redis decides; its reference moves here. */
static void reply(wsp_pushconn *p, uint64_t ticket, const char *text, wsp_pending *pend)
{
    wsp_server *srv = p->srv;
    if (p->pend_len == 0 && !pend && (ticket == 0 || ticket <= durable_now(srv))) {
        wsp_reply r = { ticket, text, NULL };
        const char *t = reply_text(srv, &r);
        bufferevent_write(p->bev, t, strlen(t));
        return;
    }
    p->pending[(p->pend_head + p->pend_len) % p->pend_cap] = (wsp_reply){ ticket, text, pend };
    p->pend_len++;
}

static size_t out_len(wsp_pushconn *p)
{
    return evbuffer_get_length(bufferevent_get_output(p->bev));
}

/* Close once no more input will be handled and every reply went out.
 * Returns 1 when p was freed. */
static int maybe_close(wsp_pushconn *p)
{
    if ((p->eof || p->closing) && !p->paused && p->pend_len == 0 && out_len(p) == 0) {
        push_free(p);
        return 1;
    }
    return 0;
}

static int handle_input(wsp_pushconn *p);

/* Send the replies whose tickets are durable, in order. Returns 1 when p
 * was freed (a paused connection resumed and closed). */
static int release(wsp_pushconn *p, uint64_t durable)
{
    while (p->pend_len) {
        wsp_reply *r = &p->pending[p->pend_head];
        if (r->ticket && r->ticket > durable) break;
        if (r->pend && !r->pend->text) break;   /* Redis has not answered yet */
        const char *t = reply_text(p->srv, r);
        bufferevent_write(p->bev, t, strlen(t));
        wsp_pending_put(r->pend);
        p->pend_head = (p->pend_head + 1) % p->pend_cap;
        p->pend_len--;
    }
    if (p->paused && p->pend_len < p->pend_cap) {
        p->paused = 0;     /* room again: the lines that waited go on */
        if (!p->eof && !p->closing && !p->srv->stopping) bufferevent_enable(p->bev, EV_READ);
        return handle_input(p);
    }
    return 0;
}

void wsp_push_release_replies(wsp_server *srv)
{
    uint64_t d = durable_now(srv);
    for (wsp_pushconn *p = LIST_FIRST(&srv->push.conns), *n; p; p = n) {
        n = LIST_NEXT(p, link);
        release(p, d);
    }
}

/* One line -> "ok" / "queued" / "fail" (text) and the store ticket; in
 * cluster mode NULL and *pend. */
const char *wsp_push_handle_line(wsp_server *srv, const char *line, size_t len,
                                 uint64_t *ticket, wsp_pending **pend)
{
    *ticket = 0;
    *pend = NULL;
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
    int rc = wsp_push_do(srv, &m.key, m.payload, m.payload_len, &written, ticket, pend);
    if (rc != WSP_OK && srv->cluster)
        wsp_log_ev(srv, WSP_LOG_WARN, "push", 0, NULL, 0, 0, "fail (redis unreachable)",
                   line, len > 200 ? 200 : len);
    wsp_push_msg_free(&m);
    if (rc != WSP_OK) return R_FAIL;
    if (*pend) return NULL;
    return written ? R_OK : R_QUEUED;
}

/* The one push path, after the caller counted the push (push_lines) and
 * found its key: the outbox takes it (live connections get it now, the
 * store a record) and the reply is counted. Push port lines and
 * Server::push() come here alike. In cluster mode Redis decides ok /
 * queued: *pend is the push waiting for it (cluster.c counts and logs the
 * reply), WSP_ERR_STORE when Redis cannot take it. */
int wsp_push_do(wsp_server *srv, const wsp_key *key, const char *payload, size_t len,
                int *written, uint64_t *ticket, wsp_pending **pend)
{
    *pend = NULL;
    if (srv->cluster) {
        *pend = wsp_cluster_push(srv, key, payload, len);
        if (!*pend) {
            srv->st.push_fail++;
            return WSP_ERR_STORE;
        }
        return WSP_OK;
    }
    int rc = wsp_outbox_push(srv, key, payload, len, written, ticket);
    if (rc != WSP_OK) {
        srv->st.push_fail++;
        return rc;
    }
    if (*written) srv->st.push_ok++; else srv->st.push_queued++;
    return WSP_OK;
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
        reply(p, 0, R_OK, NULL);
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
    reply(p, 0, R_FAIL, NULL);
    p->closing = 1;
    bufferevent_disable(p->bev, EV_READ);
    return -1;
}

/* A line still incomplete after this many bytes moves out of the input
 * buffer into p->part (below it, searching it again on the next read costs
 * little). */
#define PART_MIN (64 * 1024)

/* Move n bytes from the input buffer to the end of p->part. */
static int part_take(wsp_pushconn *p, struct evbuffer *in, size_t n)
{
    if (p->part_cap - p->part_len < n) {
        size_t cap = p->part_cap ? p->part_cap : PART_MIN;
        while (cap - p->part_len < n) cap *= 2;
        char *np = realloc(p->part, cap);
        if (!np) return -1;
        p->part = np;
        p->part_cap = cap;
    }
    evbuffer_remove(in, p->part + p->part_len, n);
    p->part_len += n;
    return 0;
}

static void part_reset(wsp_pushconn *p)
{
    free(p->part);   /* a long line is rare: hold no memory for the next */
    p->part = NULL;
    p->part_len = p->part_cap = 0;
}

/* Consume the line just handled (len bytes and its newline). */
static void line_done(wsp_pushconn *p, struct evbuffer *in, size_t len)
{
    if (p->part_len) part_reset(p);
    else evbuffer_drain(in, len + 1);
}

/* Handle every complete line in the input. Returns 1 when p was freed. */
static int handle_input(wsp_pushconn *p)
{
    wsp_server *srv = p->srv;
    struct bufferevent *bev = p->bev;
    struct evbuffer *in = bufferevent_get_input(bev);
    if (p->closing) { evbuffer_drain(in, evbuffer_get_length(in)); return maybe_close(p); }
    for (;;) {
        size_t avail = evbuffer_get_length(in);
        if (avail == 0) break;
        /* While a long line is held in p->part, the input buffer holds only
         * bytes read since: searching it from its start never rescans the
         * line (quadratic), and never walks its chains (libevent's
         * evbuffer_ptr_set does that from the first chain). */
        struct evbuffer_ptr eol = evbuffer_search(in, "\n", 1, NULL);
        if (eol.pos < 0) {
            if (p->part_len + avail > srv->cfg.max_line + 1) goto too_long;
            if (p->part_len + avail >= PART_MIN && part_take(p, in, avail) < 0) goto too_long;
            break;
        }
        size_t len = p->part_len + (size_t)eol.pos;
        if (len > srv->cfg.max_line + 1) goto too_long;
        if (reply_reserve(p) < 0) goto pause;
        const char *line;
        if (p->part_len) {
            if (part_take(p, in, (size_t)eol.pos + 1) < 0) goto too_long;
            line = p->part;
        } else {
            line = (const char *)evbuffer_pullup(in, (ev_ssize_t)len + 1);
        }
        size_t ll = len;
        if (ll && line[ll - 1] == '\r') ll--;
        if (ll > srv->cfg.max_line) goto too_long;
        if (!p->authed) {
            int a = push_auth(p, line, ll);
            if (a < 0) {   /* "fail" goes out, then the connection closes */
                evbuffer_drain(in, evbuffer_get_length(in));
                return maybe_close(p);
            }
            if (a > 0) { line_done(p, in, len); continue; }
        }
        uint64_t ticket;
        wsp_pending *pend;
        const char *r = wsp_push_handle_line(srv, line, ll, &ticket, &pend);
        reply(p, ticket, r, pend);
        line_done(p, in, len);
    }
    /* Send the replies now rather than on the next loop pass: the backend
     * pipelines, and an earlier reply lets its next lines arrive sooner, so
     * each pass carries more pushes per WebSocket write. */
    struct evbuffer *out = bufferevent_get_output(bev);
    if (evbuffer_get_length(out))
        evbuffer_write(out, bufferevent_getfd(bev));
    if (p->eof) {
        /* what is left is a partial line: the backend ended without its
         * newline, so it is not a line and gets no reply */
        evbuffer_drain(in, evbuffer_get_length(in));
        part_reset(p);
    }
    return maybe_close(p);
pause:
    /* Out of memory for the reply queue: read nothing more until the
     * waiting replies go (release), rather than answer out of order. */
    p->paused = 1;
    bufferevent_disable(bev, EV_READ);
    return 0;
too_long:
    if (reply_reserve(p) < 0) goto pause;
    srv->st.push_lines++;
    srv->st.push_fail++;
    wsp_log_ev(srv, WSP_LOG_WARN, "push", 0, NULL, 0, 0, "fail", "line too long", 13);
    reply(p, 0, R_FAIL, NULL);
    p->closing = 1;
    part_reset(p);
    evbuffer_drain(in, evbuffer_get_length(in));
    bufferevent_disable(bev, EV_READ);
    return maybe_close(p);
}

static void push_read_cb(struct bufferevent *bev, void *arg)
{
    wsp_pushconn *p = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    if (p->closing || p->paused) return;
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
    handle_input(p);
}

static void push_write_cb(struct bufferevent *bev, void *arg)
{
    maybe_close(arg);
}

static void push_event_cb(struct bufferevent *bev, short what, void *arg)
{
    wsp_pushconn *p = arg;
    if ((what & BEV_EVENT_EOF) && (what & BEV_EVENT_READING) && !(what & BEV_EVENT_ERROR)) {
        /* Half-close: the backend sent all its lines and waits for the
         * replies (printf ... | nc -q1). Answer what was read, then close. */
        p->eof = 1;
        if (!p->paused) handle_input(p);
        return;
    }
    if ((what & BEV_EVENT_TIMEOUT) && !(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))) {
        /* Nothing read for push_idle_timeout. A connection still owed a
         * reply (waiting for the store) is kept; libevent disabled reading
         * on the timeout, so it is enabled again. */
        if (p->pend_len == 0 && out_len(p) == 0) {
            wsp_server *srv = p->srv;
            srv->st.closed_push_idle++;
            wsp_log_ev(srv, WSP_LOG_INFO, "push", 0, NULL, 0, 0, "closed",
                       "idle past push_idle_timeout", 27);
            push_free(p);
            return;
        }
        if (!p->paused && !p->closing && !p->eof) bufferevent_enable(bev, EV_READ);
        return;
    }
    push_free(p);   /* reset or write error: nobody is left to answer */
}

void wsp_push_accept(wsp_server *srv, evutil_socket_t fd)
{
    wsp_pushconn *p = calloc(1, sizeof(*p));
    if (!p) { evutil_closesocket(fd); return; }
    p->srv = srv;
    p->pending = p->pend_inline;
    p->pend_cap = WSP_PUSH_INLINE_REPLIES;
    /* Replies are small and pipelined: Nagle + delayed ACK would hold them. */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    p->bev = bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!p->bev) { free(p); evutil_closesocket(fd); return; }
    LIST_INSERT_HEAD(&srv->push.conns, p, link);
    /* Read big: every line read in one pass is delivered in the same flush
     * pass, so more lines per read means fewer writes per message on the
     * WebSocket side (libevent's default single read is 4 KiB). */
    bufferevent_set_max_single_read(p->bev, 256 * 1024);
    bufferevent_setcb(p->bev, push_read_cb, push_write_cb, push_event_cb, p);
    double t = srv->cfg.push_idle_timeout;
    struct timeval idle = { (time_t)t, (suseconds_t)((t - (double)(time_t)t) * 1e6) };
    bufferevent_set_timeouts(p->bev, &idle, NULL);
    bufferevent_enable(p->bev, EV_READ | EV_WRITE);
}

/* At stop, after the store closed (so every ticket it will ever make
 * durable is reported): each connection gets the replies of every line it
 * sent -- "fail" for a push the store did not make durable -- written out
 * without waiting (a backend that does not read them loses them), then it
 * closes. */
void wsp_push_close_all(wsp_server *srv)
{
    uint64_t d = durable_now(srv);
    wsp_pushconn *p;
    while ((p = LIST_FIRST(&srv->push.conns)) != NULL) {
        p->closing = 1;     /* no more input, and no resume in release() */
        p->paused = 0;
        release(p, d);
        while (p->pend_len) {   /* tickets the store never made durable */
            bufferevent_write(p->bev, R_FAIL, 5);
            wsp_pending_put(p->pending[p->pend_head].pend);
            p->pend_head = (p->pend_head + 1) % p->pend_cap;
            p->pend_len--;
        }
        /* Written straight to the socket: the loop no longer runs, and
         * libevent keeps a socket bufferevent's output frozen outside its
         * own write callback. */
        struct evbuffer *out = bufferevent_get_output(p->bev);
        size_t len = evbuffer_get_length(out), off = 0;
        const char *data = len ? (const char *)evbuffer_pullup(out, -1) : NULL;
        while (data && off < len) {
            ssize_t w = send(bufferevent_getfd(p->bev), data + off, len - off,
                             MSG_DONTWAIT | MSG_NOSIGNAL);
            if (w <= 0) break;
            off += (size_t)w;
        }
        /* Lines sent after the stop began were not read and get no reply;
         * read them away so the close is a FIN, not a reset that would
         * destroy the replies in the backend's receive queue. */
        char junk[4096];
        for (int i = 0; i < 64; i++)
            if (recv(bufferevent_getfd(p->bev), junk, sizeof junk, MSG_DONTWAIT) <= 0) break;
        push_free(p);
    }
}

/* Stop reading push lines (stop: the lines already read are answered at
 * the end, wsp_push_close_all). */
void wsp_push_stop_reading(wsp_server *srv)
{
    wsp_pushconn *p;
    LIST_FOREACH(p, &srv->push.conns, link)
        bufferevent_disable(p->bev, EV_READ);
}

int wsp_push_idle(wsp_server *srv)
{
    wsp_pushconn *p;
    LIST_FOREACH(p, &srv->push.conns, link)
        if (p->pend_len || out_len(p))
            return 0;
    return 1;
}
