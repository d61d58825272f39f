/*
 * push_conn.c - the push port (docs/protocol.md §6): newline-delimited JSON lines from
 * the backend, one reply line each, in order, pipelining allowed.
 *
 * A reply is sent once the push is as durable as the fsync policy promises:
 * each accepted push carries the store's ticket, and replies wait in a FIFO
 * per connection until the store says the ticket is durable. Delivery to
 * WebSocket clients does not wait for that.
 *
 * The socket is read with recv() into one read buffer shared by every
 * push connection: complete lines are handled where they lie, and only a
 * line's start (or, while paused, the lines that wait) is kept per
 * connection. Replies collect in a small output buffer and leave at the
 * loop pass's flush, with the pass's other writes in one system call
 * (send_batch.h); the write event is added only when a send comes up short.
 * (A bufferevent cost an ioctl(FIONREAD), two epoll_ctl() calls and an
 * extra read per line for a backend with one line in flight, issue 18.)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "server_internal.h"
#include "push_line.h"
#include "auth_sig.h"

static const char R_OK[] = "ok\n", R_QUEUED[] = "queued\n", R_FAIL[] = "fail\n";

/* The shared read buffer; a line longer than half of it is gathered in the
 * connection's own part buffer instead. */
#define PUSH_RBUF (128 * 1024)
/* Reads per readable event: what else the socket holds is taken now, so
 * one loop pass carries many pushes per key (and each WebSocket gets one
 * write for several messages). */
#define PUSH_READS 16
/* An output buffer over this is given back once it is empty. Large enough
 * that a pipelining backend's replies to one read (7 bytes x a few
 * thousand lines) do not regrow it from 256 bytes on every read. */
#define OUT_KEEP (64 * 1024)

static void stop_reading(wsp_pushconn *p)
{
    if (p->reading) { event_del(&p->rev); p->reading = 0; }
}

static void start_reading(wsp_pushconn *p)
{
    if (!p->reading && event_add(&p->rev, p->srv->push.idle_tv) == 0) p->reading = 1;
}

static void part_reset(wsp_pushconn *p)
{
    free(p->part);   /* a long line is rare: hold no memory for the next */
    p->part = NULL;
    p->part_len = p->part_cap = 0;
}

/* Room for n more bytes in p->part. */
static int part_room(wsp_pushconn *p, size_t n)
{
    if (p->part_cap - p->part_len >= n) return 0;
    size_t cap = p->part_cap ? p->part_cap : 4096;
    while (cap - p->part_len < n) cap *= 2;
    char *np = realloc(p->part, cap);
    if (!np) return -1;
    p->part = np;
    p->part_cap = cap;
    return 0;
}

/* The store's pipelined hint (store.h): on as soon as a connection is owed
 * two replies, off only after a whole sweep interval with none (a stream's
 * owed replies dip at each commit). */
static void hint_pipelined(wsp_server *srv, int on)
{
    if (srv->push.pipelined_hint == on) return;
    srv->push.pipelined_hint = on;
    if (srv->store && srv->store_ops->pipelined) srv->store_ops->pipelined(srv->store, on);
}

/* p->pend_len changed from before. */
static void owed_changed(wsp_pushconn *p, size_t before)
{
    wsp_server *srv = p->srv;
    int was = before >= 2, is = p->pend_len >= 2;
    if (was == is) return;
    if (is) {
        srv->push.pipelining++;
        srv->push.pipelined_seen = 1;
        hint_pipelined(srv, 1);
    } else {
        srv->push.pipelining--;
    }
}

static void push_free(wsp_pushconn *p)
{
    LIST_REMOVE(p, link);
    if (p->send_queued) STAILQ_REMOVE(&p->srv->push.to_send, p, wsp_pushconn, send_link);
    event_del(&p->rev);
    event_del(&p->wev);
    evutil_closesocket(p->fd);
    for (size_t i = 0; i < p->pend_len; i++)   /* cluster replies nobody will read */
        wsp_pending_put(p->pending[(p->pend_head + i) % p->pend_cap].pend);
    size_t owed = p->pend_len;
    p->pend_len = 0;
    owed_changed(p, owed);
    if (p->pending != p->pend_inline) free(p->pending);
    free(p->part);
    free(p->out);
    free(p);
}

/* What the loop has taken from the store (durable.c): a reply goes by
 * this, never by the store's newer news, whose failures are not taken yet. */
static uint64_t durable_now(wsp_server *srv)
{
    return srv->durable_seen;
}

void wsp_push_sweep(wsp_server *srv)
{
    if (srv->push.pipelining == 0 && !srv->push.pipelined_seen) hint_pipelined(srv, 0);
    srv->push.pipelined_seen = srv->push.pipelining > 0;
}

static const char *reply_text(wsp_server *srv, const wsp_reply *r)
{
    if (r->pend) return r->pend->text;
    if (r->ticket && wsp_ticket_failed(srv, r->ticket)) return R_FAIL;
    return r->text;
}

static size_t out_len(const wsp_pushconn *p)
{
    return p->out_len - p->out_off;
}

/* Append reply bytes to the unsent output; -1 when memory ran out (the
 * caller keeps the reply queued). */
static int out_add(wsp_pushconn *p, const char *t, size_t n)
{
    if (p->out_cap - p->out_len < n && p->out_off) {
        memmove(p->out, p->out + p->out_off, p->out_len - p->out_off);
        p->out_len -= p->out_off;
        p->out_off = 0;
    }
    if (p->out_cap - p->out_len < n) {
        size_t cap = p->out_cap ? p->out_cap * 2 : 256;
        while (cap - p->out_len < n) cap *= 2;
        char *o = realloc(p->out, cap);
        if (!o) return -1;
        p->out = o;
        p->out_cap = cap;
    }
    memcpy(p->out + p->out_len, t, n);
    p->out_len += n;
    return 0;
}

/* What a send of the unsent replies did (res: bytes, or -errno); after a
 * short send the write event finishes the job. -1: the connection is
 * broken (nobody is left to answer). */
static int out_sent(wsp_pushconn *p, ssize_t res)
{
    if (res < 0 && res != -EAGAIN && res != -EWOULDBLOCK && res != -EINTR) return -1;
    if (res > 0) p->out_off += (size_t)res;
    if (p->out_off < p->out_len) {
        if (!p->writing && event_add(&p->wev, NULL) == 0) p->writing = 1;
        return 0;
    }
    p->out_off = p->out_len = 0;
    if (p->out_cap > OUT_KEEP) { free(p->out); p->out = NULL; p->out_cap = 0; }
    if (p->writing) { event_del(&p->wev); p->writing = 0; }
    return 0;
}

/* Send now (the write event: the socket has room again). */
static int out_flush(wsp_pushconn *p)
{
    for (;;) {
        ssize_t w = send(p->fd, p->out + p->out_off, p->out_len - p->out_off,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && errno == EINTR) continue;
        if (out_sent(p, w < 0 ? -errno : w) < 0) return -1;
        if (w <= 0 || p->out_off == 0) return 0;   /* would block, or all sent */
    }
}

/* The replies leave with the pass's other writes, in one system call
 * (send_batch.h): queued here, handed to the batch by the flush pass. */
static void queue_send(wsp_pushconn *p)
{
    if (p->send_queued) return;
    p->send_queued = 1;
    STAILQ_INSERT_TAIL(&p->srv->push.to_send, p, send_link);
    wsp_schedule_flush(p->srv);
}

static int release(wsp_pushconn *p, uint64_t durable);

static void push_sent(void *arg, ssize_t res)
{
    wsp_pushconn *p = arg;
    if (out_sent(p, res) < 0) { push_free(p); return; }
    release(p, durable_now(p->srv));   /* replies that waited for memory; a close due */
}

/* At the flush pass: every queued connection's replies into the batch (its
 * out buffer is not touched again until the batch has run). */
void wsp_push_queue_sends(wsp_server *srv)
{
    wsp_pushconn *p;
    while ((p = STAILQ_FIRST(&srv->push.to_send)) != NULL) {
        STAILQ_REMOVE_HEAD(&srv->push.to_send, send_link);
        p->send_queued = 0;
        if (!out_len(p) || p->writing) continue;   /* the write event has it */
        struct iovec iov = { p->out + p->out_off, out_len(p) };
        wsp_send_batch_add(srv->sendq, p->fd, &iov, 1, push_sent, p);
    }
}

/* Room for one more waiting reply. Checked before a line is handled, so a
 * reply never has to be dropped or sent out of order when memory runs out:
 * the line waits instead (-1: pause). */
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
        if (out_add(p, t, strlen(t)) == 0) return;
        /* no memory for its bytes: it waits its turn in the ring */
    }
    p->pending[(p->pend_head + p->pend_len) % p->pend_cap] = (wsp_reply){ ticket, text, pend };
    p->pend_len++;
    owed_changed(p, p->pend_len - 1);
}

/* Queue what is due for sending, or close once no more input will be
 * handled and every reply went out. Returns 1 when p was freed. */
static int settle(wsp_pushconn *p)
{
    if (out_len(p)) {
        if (!p->writing) queue_send(p);
        return 0;
    }
    if ((p->eof || p->closing) && !p->paused && p->pend_len == 0) {
        push_free(p);
        return 1;
    }
    return 0;
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
    stop_reading(p);
    return -1;
}

/* Out of room for replies: read and handle nothing more until the waiting
 * replies go (release), rather than answer out of order. */
static void pause_input(wsp_pushconn *p)
{
    p->paused = 1;
    stop_reading(p);
}

/* A line over max_line: "fail", then the connection closes (no more input
 * is handled). Returns -1 when even that reply must wait (paused). */
static int too_long(wsp_pushconn *p)
{
    wsp_server *srv = p->srv;
    if (reply_reserve(p) < 0) { pause_input(p); return -1; }
    srv->st.push_lines++;
    srv->st.push_fail++;
    wsp_log_ev(srv, WSP_LOG_WARN, "push", 0, NULL, 0, 0, "fail", "line too long", 13);
    reply(p, 0, R_FAIL, NULL);
    p->closing = 1;
    stop_reading(p);
    return 0;
}

/* Handle the complete lines of buf[0..len); there is no newline before
 * scan (the part already searched). Returns how many bytes were used: all
 * of them once the connection is closing, else up to the first line not
 * handled (incomplete, or waiting while paused). */
static size_t consume(wsp_pushconn *p, const char *buf, size_t len, size_t scan)
{
    wsp_server *srv = p->srv;
    size_t pos = 0, max = srv->cfg.max_line;
    while (!p->closing && !p->paused) {
        const char *nl = scan < len ? memchr(buf + scan, '\n', len - scan) : NULL;
        if (!nl) {
            if (len - pos > max + 1 && too_long(p) < 0) return pos;
            break;
        }
        size_t end = (size_t)(nl - buf), ll = end - pos;
        if (ll > max + 1) {
            if (too_long(p) < 0) return pos;
            break;
        }
        if (reply_reserve(p) < 0) { pause_input(p); return pos; }
        const char *line = buf + pos;
        if (ll && line[ll - 1] == '\r') ll--;
        if (ll > max) {
            if (too_long(p) < 0) return pos;
            break;
        }
        pos = scan = end + 1;
        if (!p->authed) {
            int a = push_auth(p, line, ll);
            if (a < 0) break;            /* "fail" goes out, then the connection closes */
            if (a > 0) continue;
        }
        uint64_t ticket;
        wsp_pending *pend;
        const char *r = wsp_push_handle_line(srv, line, ll, &ticket, &pend);
        reply(p, ticket, r, pend);
    }
    return p->closing ? len : pos;
}

/* Keep buf[used..len) as the connection's unhandled input. -1: no memory
 * (handled as a line too long: the backend is told "fail"). */
static int keep_rest(wsp_pushconn *p, const char *buf, size_t len, size_t used)
{
    size_t rest = len - used;
    if (buf == p->part) {
        memmove(p->part, p->part + used, rest);
        p->part_len = rest;
        return 0;
    }
    p->part_len = 0;
    if (!rest) {
        if (p->part_cap > PUSH_RBUF / 2) part_reset(p);
        return 0;
    }
    if (part_room(p, rest) < 0) return -1;
    memcpy(p->part, buf + used, rest);
    p->part_len = rest;
    return 0;
}

/* The rest of a read could not be kept (no memory even for that, after the
 * reply ring could not grow): its lines get no reply, so the connection
 * closes once the replies before them went out -- the backend sees the
 * close instead of answers, never a wrong answer. */
static void out_of_memory(wsp_pushconn *p, size_t lost)
{
    wsp_server *srv = p->srv;
    char why[96];
    int n = snprintf(why, sizeof why, "out of memory: %zu bytes read get no reply; closing", lost);
    wsp_log_ev(srv, WSP_LOG_ERROR, "push", 0, NULL, 0, 0, "closed", why,
               n < 0 ? 0 : (size_t)n >= sizeof why ? sizeof why - 1 : (size_t)n);
    p->paused = 0;
    p->closing = 1;
    stop_reading(p);
    part_reset(p);
}

/* Handle the lines kept while paused; then go on reading. Returns 1 when
 * p was freed. */
static int resume(wsp_pushconn *p)
{
    p->paused = 0;
    if (p->part_len) {
        size_t used = consume(p, p->part, p->part_len, 0);
        keep_rest(p, p->part, p->part_len, used);
    }
    if (p->closing) part_reset(p);
    if (!p->paused) {
        if (p->eof) part_reset(p);   /* an unterminated rest is no line */
        else if (!p->closing && !p->srv->stopping) start_reading(p);
    }
    return settle(p);
}

/* Send the replies whose tickets are durable, in order. Returns 1 when p
 * was freed. */
static int release(wsp_pushconn *p, uint64_t durable)
{
    while (p->pend_len) {
        wsp_reply *r = &p->pending[p->pend_head];
        if (r->ticket && r->ticket > durable) break;
        if (r->pend && !r->pend->text) break;   /* Redis has not answered yet */
        const char *t = reply_text(p->srv, r);
        if (out_add(p, t, strlen(t)) < 0) break;   /* tried again after a send or at the sweep */
        wsp_pending_put(r->pend);
        p->pend_head = (p->pend_head + 1) % p->pend_cap;
        p->pend_len--;
        owed_changed(p, p->pend_len + 1);
    }
    if (p->paused && p->pend_len < p->pend_cap) return resume(p);   /* room again */
    return settle(p);
}

/* At each store answer, and at each sweep (a reply that found no memory
 * is tried again even when no answer and no send would come). */
void wsp_push_release_replies(wsp_server *srv)
{
    uint64_t d = durable_now(srv);
    for (wsp_pushconn *p = LIST_FIRST(&srv->push.conns), *n; p; p = n) {
        n = LIST_NEXT(p, link);
        if (p->pend_len) release(p, d);
    }
}

static void push_read_cb(evutil_socket_t fd, short what, void *arg)
{
    wsp_pushconn *p = arg;
    wsp_server *srv = p->srv;
    if (what & EV_TIMEOUT) {
        /* Nothing read for push_idle_timeout. A connection still owed a
         * reply (waiting for the store) is kept. */
        if (p->pend_len == 0 && out_len(p) == 0) {
            srv->st.closed_push_idle++;
            wsp_log_ev(srv, WSP_LOG_INFO, "push", 0, NULL, 0, 0, "closed",
                       "idle past push_idle_timeout", 27);
            push_free(p);
        }
        return;
    }
    for (int i = 0; i < PUSH_READS && p->reading; i++) {
        /* Lines read go where they lie in the shared buffer, after the
         * start of a line kept from the last read; a long line grows in
         * p->part instead. */
        char *buf;
        size_t have = p->part_len, cap;
        if (have <= PUSH_RBUF / 2) {
            buf = srv->push.rbuf;
            cap = PUSH_RBUF;
            if (have) memcpy(buf, p->part, have);
        } else {
            if (part_room(p, 64 * 1024) < 0) {   /* no memory to gather it: as too long */
                if (too_long(p) == 0) part_reset(p);
                break;
            }
            buf = p->part;
            cap = p->part_cap;
        }
        ssize_t n = recv(fd, buf + have, cap - have, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (n < 0) { push_free(p); return; }   /* reset: nobody is left to answer */
        if (n == 0) {
            /* Half-close: the backend sent all its lines and waits for
             * the replies (printf ... | nc -q1). Answer what was read,
             * then close. */
            p->eof = 1;
            stop_reading(p);
            break;
        }
        size_t len = have + (size_t)n;
        size_t used = consume(p, buf, len, have);
        if (p->closing) { part_reset(p); break; }
        if (keep_rest(p, buf, len, used) < 0) { out_of_memory(p, len - used); break; }
        if ((size_t)n < cap - have) break;   /* the socket had no more */
    }
    if (p->eof && !p->paused) part_reset(p);   /* an unterminated rest is no line */
    /* Replies leave in this loop pass (its flush), not the next: the
     * backend pipelines, and an earlier reply lets its next lines arrive
     * sooner. */
    settle(p);
}

static void push_write_cb(evutil_socket_t fd, short what, void *arg)
{
    wsp_pushconn *p = arg;
    if (out_flush(p) < 0) { push_free(p); return; }
    release(p, durable_now(p->srv));   /* replies that waited for memory */
}

void wsp_push_accept(wsp_server *srv, evutil_socket_t fd)
{
    if (!srv->push.rbuf && !(srv->push.rbuf = malloc(PUSH_RBUF))) {
        evutil_closesocket(fd);
        return;
    }
    if (!srv->push.idle_tv && srv->cfg.push_idle_timeout > 0) {
        /* one timeout for every push connection: libevent keeps them in a
         * queue instead of its heap */
        double t = srv->cfg.push_idle_timeout;
        struct timeval idle = { (time_t)t, (suseconds_t)((t - (double)(time_t)t) * 1e6) };
        srv->push.idle_tv = event_base_init_common_timeout(srv->base, &idle);
    }
    wsp_pushconn *p = calloc(1, sizeof(*p));
    if (!p) { evutil_closesocket(fd); return; }
    p->srv = srv;
    p->fd = fd;
    p->pending = p->pend_inline;
    p->pend_cap = WSP_PUSH_INLINE_REPLIES;
    evutil_make_socket_nonblocking(fd);
    /* Replies are small and pipelined: Nagle + delayed ACK would hold them. */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    event_assign(&p->rev, srv->base, fd, EV_READ | EV_PERSIST, push_read_cb, p);
    event_assign(&p->wev, srv->base, fd, EV_WRITE | EV_PERSIST, push_write_cb, p);
    LIST_INSERT_HEAD(&srv->push.conns, p, link);
    start_reading(p);
    if (!p->reading) push_free(p);
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
        stop_reading(p);
        size_t owed = p->pend_len;
        for (; p->pend_len; p->pend_len--) {
            wsp_reply *r = &p->pending[p->pend_head];
            int due = !(r->ticket && r->ticket > d) && !(r->pend && !r->pend->text);
            /* tickets the store never made durable: "fail" */
            const char *t = due ? reply_text(srv, r) : R_FAIL;
            out_add(p, t, strlen(t));
            wsp_pending_put(r->pend);
            p->pend_head = (p->pend_head + 1) % p->pend_cap;
        }
        owed_changed(p, owed);
        /* Written straight to the socket: the loop no longer runs. */
        while (out_len(p)) {
            ssize_t w = send(p->fd, p->out + p->out_off, out_len(p), MSG_DONTWAIT | MSG_NOSIGNAL);
            if (w <= 0) break;
            p->out_off += (size_t)w;
        }
        /* Lines sent after the stop began were not read and get no reply;
         * read them away so the close is a FIN, not a reset that would
         * destroy the replies in the backend's receive queue. */
        char junk[4096];
        for (int i = 0; i < 64; i++)
            if (recv(p->fd, junk, sizeof junk, MSG_DONTWAIT) <= 0) break;
        push_free(p);
    }
    free(srv->push.rbuf);
    srv->push.rbuf = NULL;
    srv->push.idle_tv = NULL;   /* belongs to the base, which goes next */
}

/* Stop reading push lines (stop: the lines already read are answered at
 * the end, wsp_push_close_all). */
void wsp_push_stop_reading(wsp_server *srv)
{
    wsp_pushconn *p;
    LIST_FOREACH(p, &srv->push.conns, link)
        stop_reading(p);
}

int wsp_push_idle(wsp_server *srv)
{
    wsp_pushconn *p;
    LIST_FOREACH(p, &srv->push.conns, link)
        if (p->pend_len || out_len(p))
            return 0;
    return 1;
}
