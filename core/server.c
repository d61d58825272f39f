/*
 * server.c - the server object: its loop thread, listeners, the hand-off of
 * work from other threads (PHP) to the loop, events back to PHP, the flush
 * and sweep passes, and the graceful stop.
 *
 * Threads: the caller's thread only queues commands (mutex + event_active,
 * which libevent makes thread-safe after evthread_use_pthreads) and waits on
 * a condition variable; everything else runs on the loop thread. The store's
 * writer thread reports durability through an atomic and a wakeup.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* pthread_setname_np */
#endif
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netdb.h>
#include <event2/thread.h>

#include "server_internal.h"
#include "push_line.h"
#include "errbuf.h"
#include "ws_tls.h"

#define EVENT_QUEUE_MAX 65536   /* events kept for poll(); beyond, dropped and counted */
#define READ_BUF_SIZE   65536
#define SEND_BATCH_MAX  256     /* sends per system call at the flush pass */


int64_t wsp_now_ms(wsp_server *srv)
{
    struct timeval tv;
    if (srv->base && event_base_gettimeofday_cached(srv->base, &tv) == 0)
        return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
    evutil_gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

void wsp_schedule_flush(wsp_server *srv)
{
    if (srv->flush_scheduled) return;
    srv->flush_scheduled = 1;
    /* Activated events run after those already active in this pass, so the
     * flush sees every push of the iteration. */
    event_active(srv->flush_ev, EV_TIMEOUT, 0);
}

void wsp_log_ev(wsp_server *srv, wsp_log_level lvl, const char *event, uint64_t conn,
                const wsp_keyrec *key, uint64_t seq_from, uint64_t seq_to,
                const char *result, const char *content, size_t content_len)
{
    if (!srv->log || !wsp_log_enabled(srv->log, lvl)) return;
    wsp_log_rec r = {
        .level = lvl, .event = event, .conn_id = conn,
        .key = key ? key->id + 1 : NULL, .key_len = key ? key->id_len - 1 : 0,
        .seq_from = seq_from, .seq_to = seq_to, .result = result,
        .content = content, .content_len = content_len,
    };
    wsp_log_write(srv->log, &r);
}

static char *dup_bytes(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p) return NULL;
    if (n) memcpy(p, s, n);
    p[n] = 0;
    return p;
}

/* What one queued event holds in memory, for the poll_queue_bytes bound. */
static size_t evnode_bytes(const wsp_event *ev)
{
    return sizeof(wsp_evnode) + ev->key_len + ev->data_len + 2;
}

void wsp_emit_event(wsp_server *srv, wsp_event_type type, uint64_t conn_id,
                    const wsp_keyrec *key, const char *data, size_t data_len)
{
    if (atomic_load_explicit(&srv->ops.events_off, memory_order_relaxed)) return;
    wsp_evnode *n = calloc(1, sizeof(*n));
    if (!n) return;
    n->ev.type = type;
    n->ev.conn_id = conn_id;
    if (key) {
        n->ev.key = dup_bytes(key->id + 1, key->id_len - 1);
        n->ev.key_len = key->id_len - 1;
        n->ev.is_web = key->id[0] == WSP_KEY_WEB;
    }
    n->ev.data = dup_bytes(data ? data : "", data ? data_len : 0);
    n->ev.data_len = data ? data_len : 0;
    size_t nb = evnode_bytes(&n->ev);
    uint64_t dropped = 0;
    pthread_mutex_lock(&srv->evq.ev_mu);
    /* Nobody polls: the oldest events go, counted, until the new one fits
     * both bounds (count and poll_queue_bytes). Delivery never depends on
     * these events: they are copies for PHP. */
    wsp_evnode *old;
    while ((old = STAILQ_FIRST(&srv->evq.evs)) != NULL
           && (srv->evq.ev_count >= EVENT_QUEUE_MAX
               || srv->evq.ev_bytes + nb > srv->cfg.poll_queue_bytes)) {
        STAILQ_REMOVE_HEAD(&srv->evq.evs, link);
        srv->evq.ev_count--;
        srv->evq.ev_bytes -= evnode_bytes(&old->ev);
        srv->evq.ev_dropped++;
        wsp_event_clear(&old->ev);
        free(old);
    }
    if (nb > srv->cfg.poll_queue_bytes) {   /* alone over the bound */
        srv->evq.ev_dropped++;
        wsp_event_clear(&n->ev);
        free(n);
        n = NULL;
    } else {
        STAILQ_INSERT_TAIL(&srv->evq.evs, n, link);
        srv->evq.ev_count++;
        srv->evq.ev_bytes += nb;
        pthread_cond_signal(&srv->evq.ev_cv);
    }
    dropped = srv->evq.ev_dropped;
    pthread_mutex_unlock(&srv->evq.ev_mu);
    if (dropped != srv->evq.ev_dropped_logged) {
        int64_t now = wsp_now_ms(srv);
        if (!srv->evq.ev_drop_log_ms || now - srv->evq.ev_drop_log_ms >= WSP_LIMIT_LOG_MS) {
            srv->evq.ev_drop_log_ms = now;
            srv->evq.ev_dropped_logged = dropped;
            wsp_log_msg(srv->log, WSP_LOG_WARN, "limit",
                        "poll() queue full (%zu events, poll_queue_bytes %zu): "
                        "%llu events dropped so far", (size_t)EVENT_QUEUE_MAX,
                        srv->cfg.poll_queue_bytes, (unsigned long long)dropped);
        }
    }
}

/* ---- loop-thread callbacks ---- */

static void flush_cb(evutil_socket_t fd, short what, void *arg)
{
    wsp_server *srv = arg;
    srv->flush_scheduled = 0;
    wsp_ws_flush_all(srv);
    wsp_ws_free_pending(srv);
}

void wsp_cmd_finish(wsp_server *srv, wsp_cmd *c)
{
    pthread_mutex_lock(&srv->cmdq.cmd_mu);
    c->done = 1;
    pthread_cond_broadcast(&srv->cmdq.cmd_cv);
    pthread_mutex_unlock(&srv->cmdq.cmd_mu);
}

/* Answer the pushes from other threads whose tickets are durable; final
 * (teardown, after the store closed): all of them, "fail" for a push the
 * store never made durable. */
static void release_waiting_cmds(wsp_server *srv, int final)
{
    uint64_t d = srv->durable_seen;
    /* The successor is taken first: an answered command is gone (its
     * caller's stack frame) once wsp_cmd_finish returns. */
    for (wsp_cmd *c = LIST_FIRST(&srv->cmdq.waiting), *n; c; c = n) {
        n = LIST_NEXT(c, wait_link);
        if (c->pend && (c->pend->text || final)) {
            /* Cluster mode: Redis decided (or the server stops first). */
            LIST_REMOVE(c, wait_link);
            const char *t = c->pend->text ? c->pend->text : "fail\n";
            c->pend->cmd = NULL;
            wsp_pending_put(c->pend);
            c->pend = NULL;
            if (t[0] == 'f') {
                c->rc = c->type == CMD_PUSH ? WSP_ERR_STORE : WSP_OK;
                c->reply = "fail";
                wsp_errf(c->err, c->errlen, "push not stored: Redis did not take it");
            } else {
                c->rc = WSP_OK;
                c->queued = t[0] == 'q';
                c->reply = t[0] == 'q' ? "queued" : "ok";
            }
            wsp_cmd_finish(srv, c);
        } else if (!c->pend && (c->ticket <= d || final)) {
            LIST_REMOVE(c, wait_link);
            if (c->ticket && (wsp_ticket_failed(srv, c->ticket) || c->ticket > d)) {
                c->rc = WSP_ERR_STORE;
                c->reply = "fail";
                wsp_errf(c->err, c->errlen, "push not stored: the store reported an error");
            }
            wsp_cmd_finish(srv, c);
        }
    }
}

static void durable_ev_cb(evutil_socket_t fd, short what, void *arg)
{
    wsp_server *srv = arg;
    uint64_t n;
    if (fd >= 0 && read(fd, &n, sizeof n) < 0) { /* EAGAIN: woken by the loop itself */ }
    wsp_durable_take(srv);
    wsp_push_release_replies(srv);
    release_waiting_cmds(srv, 0);
    wsp_durable_answered(srv);
    wsp_metrics_commit_done(srv);
}

static void store_durable(void *arg, uint64_t upto, int err)
{
    wsp_server *srv = arg;   /* store writer thread */
    atomic_store(&srv->ops.store_failing, err != 0);   /* /healthz */
    wsp_durable_report(srv, upto, err);
    /* An eventfd, not event_active(): that takes libevent's base lock,
     * which the loop holds whenever it is not waiting, so every commit
     * made the two threads contend; and a writer preempted while holding
     * it (by the block layer's worker its own fsync woke, on a busy core)
     * stalled delivery for milliseconds (issue 18, p99 at 20k/s). */
    uint64_t one = 1;
    if (write(srv->durable_fd, &one, sizeof one) < 0) { /* the counter is full: already due */ }
}

static void run_cmd(wsp_server *srv, wsp_cmd *c)
{
    switch (c->type) {
    case CMD_PUSH: {
        wsp_key key;
        srv->st.push_lines++;   /* counted like a push port line, refused or not */
        if (wsp_key_from_text(c->a, c->a_len, &key) != 0) {
            c->rc = WSP_ERR_FAIL;
            wsp_errf(c->err, c->errlen, "push refused: empty key");
            srv->st.push_fail++;
            break;
        }
        int written = 0;
        /* A payload that is a push line with FunctionType 1/2 gets the same
         * transform as on the push port; anything else goes verbatim. The
         * route is always the given key. */
        wsp_push_msg pm;
        const char *body = c->b;
        size_t body_len = c->b_len;
        int have_pm = 0;
        if (c->b_len && memchr(c->b, '{', c->b_len < 8 ? c->b_len : 8)
            && wsp_push_line_parse(c->b, c->b_len, &pm) == WSP_PUSH_OK) {
            have_pm = 1;
            if (pm.function_type == 1 || pm.function_type == 2) {
                body = pm.payload;
                body_len = pm.payload_len;
            }
        }
        c->rc = wsp_push_do(srv, &key, body, body_len, &written, &c->ticket, &c->pend);
        if (c->pend) c->pend->cmd = c;
        if (have_pm) wsp_push_msg_free(&pm);
        wsp_key_free(&key);
        if (c->rc != WSP_OK) {
            wsp_errf(c->err, c->errlen, srv->cluster ? "push not stored: Redis is unreachable"
                                                     : "push not stored: store error");
            break;
        }
        if (c->pend) break;   /* counted and answered when Redis is */
        c->queued = !written;
        c->reply = written ? "ok" : "queued";
        break;
    }
    case CMD_PUSH_LINE: {
        const char *r = wsp_push_handle_line(srv, c->a, c->a_len, &c->ticket, &c->pend);
        c->rc = WSP_OK;
        if (c->pend) { c->pend->cmd = c; break; }
        c->reply = r[0] == 'o' ? "ok" : r[0] == 'q' ? "queued" : "fail";
        break;
    }
    case CMD_ONLINE: {
        wsp_key key;
        c->rc = 0;
        if (wsp_key_from_text(c->a, c->a_len, &key) == 0) {
            wsp_keyrec *k = wsp_key_find(srv, key.id, key.id_len);
            for (wsp_wsconn *w = k ? LIST_FIRST(&k->conns) : NULL; w; w = LIST_NEXT(w, key_link))
                if (w->state == WS_OPEN) { c->rc = 1; break; }
            /* Cluster: any live node (answered when Redis is; this node's
             * answer stands if Redis is unreachable). */
            int deferred = !c->rc && srv->cluster
                           && wsp_cluster_online(srv, c, key.id, key.id_len);
            wsp_key_free(&key);
            if (deferred) return;
        }
        break;
    }
    case CMD_STATS:
        wsp_stats_collect(srv, c->stats);   /* metrics.c: the same numbers as /metrics */
        c->rc = WSP_OK;
        /* Cluster: outbox and totals from Redis, answered when it is. */
        if (srv->cluster && wsp_cluster_stats(srv, c)) return;
        break;
    }
    if ((c->type == CMD_PUSH || c->type == CMD_PUSH_LINE)
        && (c->pend || (c->ticket && c->ticket > srv->durable_seen))) {
        LIST_INSERT_HEAD(&srv->cmdq.waiting, c, wait_link);   /* answered when the store commits */
        return;
    }
    wsp_cmd_finish(srv, c);
}

static void cmd_cb(evutil_socket_t fd, short what, void *arg)
{
    wsp_server *srv = arg;
    STAILQ_HEAD(, wsp_cmd) q = STAILQ_HEAD_INITIALIZER(q);
    pthread_mutex_lock(&srv->cmdq.cmd_mu);
    STAILQ_CONCAT(&q, &srv->cmdq.cmds);   /* takes them all, empties cmds */
    pthread_mutex_unlock(&srv->cmdq.cmd_mu);
    wsp_cmd *c;
    while ((c = STAILQ_FIRST(&q)) != NULL) {
        STAILQ_REMOVE_HEAD(&q, q_link);
        run_cmd(srv, c);
    }
}

/* Drained when every bound connection confirmed what it was written and
 * every push reply went out. */
static int drained(wsp_server *srv)
{
    wsp_wsconn *c;
    LIST_FOREACH(c, &srv->ws.all_conns, all_link)
        if (c->state == WS_OPEN && c->key && c->written_upto > c->confirmed_upto
            && !c->fallback)
            return 0;
    return wsp_push_idle(srv) && LIST_EMPTY(&srv->cmdq.waiting) && wsp_cluster_idle(srv);
}

/* How long, after the drain, the 1001 closes and the replies to push lines
 * already read may take to go out (replies wait for the store's commit). */
#define STOP_FLUSH_MS 2000

static int64_t drain_deadline(wsp_server *srv)
{
    return __atomic_load_n(&srv->drain_deadline_ms, __ATOMIC_ACQUIRE);
}

/* Stop phase 3: everything that could go out went out (or ran out of time). */
static void end_loop(wsp_server *srv)
{
    srv->stopping = 3;
    /* Push replies still waiting are sent at teardown, once the store's
     * close made every queued change durable (or failed it). */
    event_base_loopbreak(srv->base);
}

/* Stop phase 2: the drain is over; close WebSockets with 1001 and let them
 * and the pending push replies flush. */
static void finish_stop(wsp_server *srv)
{
    srv->stopping = 2;
    srv->ops.final_deadline_ms = wsp_now_ms(srv) + STOP_FLUSH_MS;
    wsp_ws_close_all(srv, WSP_WS_CLOSE_GOING_AWAY);
    wsp_ws_flush_all(srv);
    release_waiting_cmds(srv, 0);
}

/* Called at every sweep and stop request while stopping. */
static void stop_progress(wsp_server *srv)
{
    int64_t now = wsp_now_ms(srv);
    if (srv->stopping == 1 && (drained(srv) || now >= drain_deadline(srv)))
        finish_stop(srv);
    if (srv->stopping == 2 && ((wsp_push_idle(srv) && LIST_EMPTY(&srv->ws.all_conns))
                               || now >= srv->ops.final_deadline_ms))
        end_loop(srv);
}

static void sweep_cb(evutil_socket_t fd, short what, void *arg)
{
    wsp_server *srv = arg;
    wsp_metrics_tick(srv);
    wsp_ws_sweep(srv);
    wsp_accept_sweep(srv);
    /* A reply that found no memory for its bytes waits in its ring; with
     * no store answer and no send pending nothing else would retry it. */
    wsp_push_release_replies(srv);
    wsp_push_sweep(srv);
    wsp_outbox_expire(srv);
    if (srv->stopping) stop_progress(srv);
}

static void stop_cb(evutil_socket_t fd, short what, void *arg)
{
    wsp_server *srv = arg;
    if (!srv->stopping) {
        srv->stopping = 1;
        /* Stop accepting and reading push lines; existing connections get
         * the drain time, lines already read get their replies. */
        if (srv->ws_lis) { evconnlistener_free(srv->ws_lis); srv->ws_lis = NULL; }
        if (srv->push_lis) { evconnlistener_free(srv->push_lis); srv->push_lis = NULL; }
        wsp_push_stop_reading(srv);
        wsp_log_msg(srv->log, WSP_LOG_INFO, "stopping", "drain until all is confirmed, "
                    "at most %.1f s", (drain_deadline(srv) - wsp_now_ms(srv)) / 1000.0);
    } else if (srv->stopping == 2 && drain_deadline(srv) <= wsp_now_ms(srv)) {
        srv->ops.final_deadline_ms = wsp_now_ms(srv);   /* asked again: now */
    }
    stop_progress(srv);
}

static void ws_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
                         struct sockaddr *sa, int socklen, void *arg)
{
    wsp_accept_ws(arg, fd, sa);   /* limits first (accept.c) */
}

static void push_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
                           struct sockaddr *sa, int socklen, void *arg)
{
    wsp_push_accept(arg, fd);
}

static void *loop_main(void *arg)
{
    wsp_server *srv = arg;
    pthread_setname_np(pthread_self(), "wsp-loop");   /* top -H, perf, /proc */
    /* Signals belong to the PHP thread (Server::run waits for them). */
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    event_base_loop(srv->base, EVLOOP_NO_EXIT_ON_EMPTY);
    pthread_mutex_lock(&srv->cmdq.cmd_mu);
    srv->ops.loop_done = 1;            /* wsp_server_wait_stopped */
    pthread_cond_broadcast(&srv->cmdq.cmd_cv);
    pthread_mutex_unlock(&srv->cmdq.cmd_mu);
    return NULL;
}

static int is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(a)) return 1;
        return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
    }
    return 0;
}

/* loopback_only: refuse (before binding) an address that is not loopback,
 * with why_loopback saying which option allows it. */
static struct evconnlistener *listen_on(wsp_server *srv, const char *addr,
                                        evconnlistener_cb cb, int *port,
                                        const char *why_loopback,
                                        char *errbuf, size_t errlen)
{
    char host[256];
    int port_num;
    if (wsp_addr_split(addr, host, sizeof(host), &port_num, errbuf, errlen) != 0)
        return NULL;
    char portstr[16];
    snprintf(portstr, sizeof(portstr), "%d", port_num);
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE }, *ai = NULL;
    int gai = getaddrinfo(host[0] ? host : NULL, portstr, &hints, &ai);
    if (gai != 0 || !ai) {
        wsp_errf(errbuf, errlen, "cannot resolve listen address %s: %s", addr, gai_strerror(gai));
        return NULL;
    }
    struct sockaddr_storage ss;
    socklen_t sl = ai->ai_addrlen;
    memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);
    if (why_loopback && !is_loopback((struct sockaddr *)&ss)) {
        wsp_errf(errbuf, errlen, "%s is not a loopback address: %s", addr, why_loopback);
        return NULL;
    }
    /* 4096: the accept queue must absorb a reconnect storm. */
    struct evconnlistener *l = evconnlistener_new_bind(srv->base, cb, srv,
        LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 4096,
        (struct sockaddr *)&ss, (int)sl);
    if (!l) {
        wsp_errf(errbuf, errlen, "cannot listen on %s: %s", addr, strerror(errno));
        return NULL;
    }
    evconnlistener_set_error_cb(l, wsp_accept_error);   /* EMFILE: never spin */
    struct sockaddr_storage got;
    socklen_t gl = sizeof(got);
    getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&got, &gl);
    *port = got.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&got)->sin6_port)
                                      : ntohs(((struct sockaddr_in *)&got)->sin_port);
    return l;
}

/* Access-control options this build cannot honour are a start error,
 * never ignored (README, "Options"). */
static int access_check(wsp_server *srv, char *errbuf, size_t errlen)
{
    const wsp_config *c = &srv->cfg;
    if (!c->ws_tls_cert != !c->ws_tls_key) {
        wsp_errf(errbuf, errlen, "%s is set but %s is not: wss:// needs both",
                 c->ws_tls_cert ? "ws_tls_cert" : "ws_tls_key",
                 c->ws_tls_cert ? "ws_tls_key" : "ws_tls_cert");
        return -1;
    }
    if (c->ws_tls_cert
        && !(srv->tls_ctx = wsp_tls_ctx_new(c->ws_tls_cert, c->ws_tls_key, errbuf, errlen)))
        return -1;
    return 0;
}

struct evconnlistener *wsp_listen_on(wsp_server *srv, const char *addr,
                                     evconnlistener_cb cb, int *port,
                                     char *errbuf, size_t errlen)
{
    return listen_on(srv, addr, cb, port, NULL, errbuf, errlen);
}

/* "cannot listen on X: ..." -> "ws_listen: cannot listen on X: ...": a
 * start-up failure names the option to fix. */
static void name_option(char *errbuf, size_t errlen, const char *option)
{
    char tmp[256];
    snprintf(tmp, sizeof(tmp), "%s", errbuf);
    wsp_errf(errbuf, errlen, "%s: %s", option, tmp);
}

/* ---- public API ---- */

wsp_server *wsp_server_new(const wsp_config *cfg)
{
    wsp_server *srv = calloc(1, sizeof(*srv));
    if (!srv) return NULL;
    if (wsp_config_copy(&srv->cfg, cfg) != 0) { free(srv); return NULL; }
    srv->acc.reserve_fd = -1;   /* accept.c: none yet (0 is a real descriptor) */
    srv->durable_fd = -1;
    pthread_mutex_init(&srv->cmdq.cmd_mu, NULL);
    pthread_cond_init(&srv->cmdq.cmd_cv, NULL);
    pthread_mutex_init(&srv->evq.ev_mu, NULL);
    STAILQ_INIT(&srv->evq.evs);   /* kept across restarts, freed with the server */
    pthread_mutex_init(&srv->fork.park_mu, NULL);
    pthread_cond_init(&srv->fork.park_cv, NULL);
    pthread_cond_init(&srv->evq.ev_cv, NULL);
    pthread_mutex_init(&srv->durable_mu, NULL);
    return srv;
}

const char *wsp_server_errstr(wsp_server *srv) { return srv->errstr; }
int wsp_server_ws_port(wsp_server *srv) { return srv->running ? srv->ws_port : 0; }
int wsp_server_push_port(wsp_server *srv) { return srv->running ? srv->push_port : 0; }

static void teardown(wsp_server *srv)
{
    if (srv->fork.forked) return;   /* a child's copy: the threads and locks are the parent's */
    if (srv->ws_lis) { evconnlistener_free(srv->ws_lis); srv->ws_lis = NULL; }
    if (srv->push_lis) { evconnlistener_free(srv->push_lis); srv->push_lis = NULL; }
    wsp_metrics_close(srv);
    wsp_ws_free_all(srv);
    wsp_accept_free(srv);
    /* The store first: its close reports every queued change durable or
     * failed, so each waiting push reply and call gets its true answer. */
    if (srv->store) { srv->store_ops->close(srv->store); srv->store = NULL; }
    /* Cluster mode: closing Redis answers every push in flight ("fail" when
     * Redis never did); before the events and keys go, which its callbacks
     * may still touch. */
    wsp_cluster_close(srv);
    wsp_durable_take(srv);
    wsp_push_close_all(srv);
    release_waiting_cmds(srv, 1);
    wsp_durable_answered(srv);
    struct event **evs[] = { &srv->cmdq.cmd_ev, &srv->flush_ev, &srv->sweep_ev, &srv->stop_ev,
                             &srv->durable_ev, &srv->ws.ping_ev, &srv->ws.held_ev };
    for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
        if (*evs[i]) { event_free(*evs[i]); *evs[i] = NULL; }
    if (srv->durable_fd >= 0) { close(srv->durable_fd); srv->durable_fd = -1; }
    wsp_send_batch_free(srv->sendq);
    srv->sendq = NULL;
    wsp_keytab_free(srv);
    wsp_tls_ctx_free(srv->tls_ctx);
    srv->tls_ctx = NULL;
    if (srv->log) { wsp_log_close(srv->log); srv->log = NULL; }
    wsp_fork_unregister(srv);
    if (srv->base) { event_base_free(srv->base); srv->base = NULL; }
}

/* A start after a stop begins from what a new server has: the previous
 * run's loop state is gone with its loop (teardown freed what it held), so
 * nothing may point into it, and a flush left scheduled at the stop must
 * not keep the new loop from scheduling one (issue 13, defect 6). The
 * config, the event queue for poll() and the connection ids carry over. */
static void reset_loop_state(wsp_server *srv)
{
    memset(&srv->st, 0, sizeof(srv->st));
    srv->stopping = 0;
    srv->stop_requested = 0;
    srv->flush_scheduled = 0;
    STAILQ_INIT(&srv->cmdq.cmds);
    LIST_INIT(&srv->cmdq.waiting);
    srv->ob.outbox_depth = srv->ob.outbox_bytes = 0;
    TAILQ_INIT(&srv->ws.idle);
    STAILQ_INIT(&srv->ws.dirty);
    STAILQ_INIT(&srv->ws.held);
    STAILQ_INIT(&srv->ws.ping_wait);
    srv->ws.ndirty = srv->ws.nheld = 0;
    SLIST_INIT(&srv->ws.free_conns);
    LIST_INIT(&srv->ws.all_conns);
    LIST_INIT(&srv->push.conns);
    STAILQ_INIT(&srv->push.to_send);
    srv->push.pipelining = 0;
    srv->push.pipelined_hint = srv->push.pipelined_seen = 0;
    srv->ws.nconns = srv->ws.nbound = srv->ws.nfallback = 0;
    int events_off = atomic_load(&srv->ops.events_off);   /* the caller's choice */
    memset(&srv->ops, 0, sizeof(srv->ops));
    atomic_store(&srv->ops.events_off, events_off);
}

int wsp_server_start(wsp_server *srv, char *errbuf, size_t errlen)
{
    char tmp[256];
    if (!errbuf) { errbuf = tmp; errlen = sizeof(tmp); }
    errbuf[0] = 0;
    if (srv->running || srv->base) {
        wsp_errf(errbuf, errlen, "server already started");
        return WSP_ERR_STATE;
    }
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, (void (*)(void))evthread_use_pthreads);
    /* A peer that resets while we write must not kill the process. */
    signal(SIGPIPE, SIG_IGN);
    int rc = WSP_ERR_NOMEM;
    reset_loop_state(srv);
    srv->ws.rbuf_cap = READ_BUF_SIZE;
    srv->ws.rbuf = malloc(srv->ws.rbuf_cap);
    srv->base = event_base_new();
    if (!srv->ws.rbuf || !srv->base || wsp_keytab_init(&srv->ob.keys) != 0) goto fail;
    srv->log = wsp_log_open(srv->cfg.log_file, srv->cfg.close_log_file,
                            srv->cfg.log_level, errbuf, errlen);
    if (!srv->log) { rc = WSP_ERR_OPTION; goto fail; }
    wsp_log_set_format(srv->log, srv->cfg.log_format);
    srv->durable_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (srv->durable_fd < 0) goto fail;
    srv->durable_ev = event_new(srv->base, srv->durable_fd, EV_READ | EV_PERSIST,
                                durable_ev_cb, srv);
    if (!srv->durable_ev || event_add(srv->durable_ev, NULL) != 0) goto fail;
    srv->store_ops = wsp_store_find(srv->cfg.store);   /* config.c checked it */
    if (!srv->store_ops) {
        wsp_errf(errbuf, errlen, "store \"%s\" is not available in this build", srv->cfg.store);
        rc = WSP_ERR_OPTION;
        goto fail;
    }
    if (wsp_durable_init(srv) != 0) goto fail;
    wsp_store_conf sconf = { srv->cfg.store, srv->cfg.data_dir, srv->cfg.fsync };
    if (srv->store_ops == &wsp_store_redis_ops) {
        /* Cluster mode: Redis holds the outboxes (cluster.c); no local store. */
        if (wsp_cluster_open(srv, errbuf, errlen) != 0) { rc = WSP_ERR_STORE; goto fail; }
    } else if (!(srv->store = srv->store_ops->open(&sconf, store_durable, srv, errbuf, errlen))) {
        rc = WSP_ERR_STORE;
        goto fail;
    } else if (srv->store_ops->load(srv->store, wsp_outbox_load_cb, srv) != 0) {
        char why[200] = "";
        if (srv->store_ops->last_error) srv->store_ops->last_error(srv->store, why, sizeof(why));
        wsp_errf(errbuf, errlen, "cannot load the store in %s: %s", srv->cfg.data_dir,
                why[0] ? why : "unreadable");
        rc = WSP_ERR_STORE;
        goto fail;
    }
    char sq_why[128];
    srv->sendq = wsp_send_batch_new(SEND_BATCH_MAX, srv->cfg.io_uring != WSP_URING_OFF,
                                    sq_why, sizeof(sq_why));
    if (!srv->sendq) goto fail;
    if (!wsp_send_batch_uring(srv->sendq)) {
        if (srv->cfg.io_uring == WSP_URING_ON) {
            wsp_errf(errbuf, errlen, "io_uring=on: %s", sq_why);
            rc = WSP_ERR_OPTION;
            goto fail;
        }
        if (srv->cfg.io_uring == WSP_URING_AUTO)
            wsp_log_msg(srv->log, WSP_LOG_INFO, "start",
                        "socket writes: one send() each (%s)", sq_why);
    }
    srv->cmdq.cmd_ev = event_new(srv->base, -1, 0, cmd_cb, srv);
    srv->flush_ev = event_new(srv->base, -1, 0, flush_cb, srv);
    srv->stop_ev = event_new(srv->base, -1, 0, stop_cb, srv);
    srv->sweep_ev = event_new(srv->base, -1, EV_PERSIST, sweep_cb, srv);
    srv->ws.ping_ev = event_new(srv->base, -1, 0, wsp_ws_ping_timer, srv);
    srv->ws.held_ev = event_new(srv->base, -1, 0, wsp_ws_held_timer, srv);
    if (!srv->cmdq.cmd_ev || !srv->flush_ev || !srv->stop_ev || !srv->sweep_ev || !srv->durable_ev
        || !srv->ws.ping_ev || !srv->ws.held_ev || wsp_fork_register(srv) != 0)
        goto fail;
    double iv = srv->cfg.heartbeat_timeout / 4;
    if (iv > 0.25) iv = 0.25;
    if (iv < 0.01) iv = 0.01;
    struct timeval tv = { (time_t)iv, (suseconds_t)((iv - (time_t)iv) * 1e6) };
    event_add(srv->sweep_ev, &tv);
    if (access_check(srv, errbuf, errlen) != 0) { rc = WSP_ERR_OPTION; goto fail; }
    if (wsp_accept_init(srv) != 0) goto fail;
    srv->ws_lis = listen_on(srv, srv->cfg.ws_listen, ws_accept_cb, &srv->ws_port, NULL,
                            errbuf, errlen);
    if (!srv->ws_lis) { rc = WSP_ERR_LISTEN; name_option(errbuf, errlen, "ws_listen"); goto fail; }
    /* Anyone who reaches the push port can push to anyone (docs/protocol.md, defect
     * 6): off loopback it needs a token, or an explicit push_insecure. */
    srv->push_lis = listen_on(srv, srv->cfg.push_listen, push_accept_cb, &srv->push_port,
                              srv->cfg.push_token || srv->cfg.push_insecure ? NULL
                              : "set push_token (backends then send AUTH <token>), "
                                "or push_insecure=1 to accept pushes from anyone who "
                                "can reach it", errbuf, errlen);
    if (!srv->push_lis) { rc = WSP_ERR_LISTEN; name_option(errbuf, errlen, "push_listen"); goto fail; }
    if ((rc = wsp_metrics_start(srv, iv, errbuf, errlen)) != WSP_OK) goto fail;
    srv->ops.loop_done = 0;
    char wh[256] = "", ph[256] = "";
    int unused_port;
    wsp_addr_split(srv->cfg.ws_listen, wh, sizeof(wh), &unused_port, NULL, 0);
    wsp_addr_split(srv->cfg.push_listen, ph, sizeof(ph), &unused_port, NULL, 0);
    wsp_log_msg(srv->log, WSP_LOG_INFO, "start",
                "ws=%s:%d push=%s:%d store=%s held=%llu writes=%s", wh, srv->ws_port, ph,
                srv->push_port, srv->cfg.store, (unsigned long long)srv->ob.outbox_depth,
                wsp_send_batch_uring(srv->sendq) ? "io_uring" : "send");
    if (pthread_create(&srv->thread, NULL, loop_main, srv) != 0) {
        wsp_errf(errbuf, errlen, "cannot start the loop thread: %s", strerror(errno));
        rc = WSP_ERR_THREAD;
        goto fail;
    }
    srv->thread_started = 1;
    srv->running = 1;
    return WSP_OK;
fail:
    if (!errbuf[0]) wsp_errf(errbuf, errlen, "out of memory");
    snprintf(srv->errstr, sizeof(srv->errstr), "%s", errbuf);
    teardown(srv);
    return rc;
}

int wsp_server_reopen_logs(wsp_server *srv)
{
    if (!srv->running) return WSP_ERR_STATE;
    wsp_log_reopen(srv->log);
    atomic_fetch_add(&srv->ops.log_reopens, 1);
    /* The first line of the new file says why it exists. */
    wsp_log_msg(srv->log, WSP_LOG_INFO, "reopen", "log files reopened");
    return WSP_OK;
}

int wsp_server_stop_request(wsp_server *srv, double drain_seconds)
{
    if (!srv->thread_started) return WSP_ERR_STATE;
    if (drain_seconds < 0) drain_seconds = srv->cfg.drain_seconds;
    struct timeval tv;
    evutil_gettimeofday(&tv, NULL);
    int64_t want = (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000
                   + (int64_t)(drain_seconds * 1000.0);
    /* Only ever shortened: the first request sets it, later ones cut it. */
    pthread_mutex_lock(&srv->cmdq.cmd_mu);
    if (!srv->stop_requested || want < drain_deadline(srv))
        __atomic_store_n(&srv->drain_deadline_ms, want, __ATOMIC_RELEASE);
    srv->stop_requested = 1;
    pthread_mutex_unlock(&srv->cmdq.cmd_mu);
    event_active(srv->stop_ev, EV_TIMEOUT, 0);
    return WSP_OK;
}

int wsp_server_wait_stopped(wsp_server *srv, double timeout)
{
    if (!srv->thread_started) return 1;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long ns = ts.tv_nsec + (long long)((timeout - (long long)timeout) * 1e9);
    ts.tv_sec += (time_t)timeout + ns / 1000000000LL;
    ts.tv_nsec = ns % 1000000000LL;
    pthread_mutex_lock(&srv->cmdq.cmd_mu);
    while (!srv->ops.loop_done)
        if (pthread_cond_timedwait(&srv->cmdq.cmd_cv, &srv->cmdq.cmd_mu, &ts) == ETIMEDOUT) break;
    int done = srv->ops.loop_done;
    pthread_mutex_unlock(&srv->cmdq.cmd_mu);
    return done;
}

void wsp_server_set_events(wsp_server *srv, int on)
{
    atomic_store(&srv->ops.events_off, !on);
}

int wsp_server_metrics_port(wsp_server *srv)
{
    return srv->running ? srv->ops.metrics_port : 0;
}

int wsp_server_stop(wsp_server *srv, double drain_seconds)
{
    if (!srv->thread_started) return WSP_OK;
    if (drain_seconds < 0) drain_seconds = 0;
    wsp_server_stop_request(srv, drain_seconds);
    pthread_join(srv->thread, NULL);
    srv->stop_requested = 0;
    srv->thread_started = 0;
    srv->running = 0;
    wsp_log_msg(srv->log, WSP_LOG_INFO, "stop", "held=%llu",
                (unsigned long long)srv->ob.outbox_depth);
    teardown(srv);
    /* Wake pollers so they notice. */
    pthread_mutex_lock(&srv->evq.ev_mu);
    pthread_cond_broadcast(&srv->evq.ev_cv);
    pthread_mutex_unlock(&srv->evq.ev_mu);
    return WSP_OK;
}

void wsp_server_free(wsp_server *srv)
{
    if (!srv) return;
    if (srv->fork.forked) return;   /* a child's copy after fork(): see fork.c */
    wsp_server_stop(srv, 0);
    teardown(srv);
    wsp_evnode *n;
    while ((n = STAILQ_FIRST(&srv->evq.evs)) != NULL) {
        STAILQ_REMOVE_HEAD(&srv->evq.evs, link);
        wsp_event_clear(&n->ev);
        free(n);
    }
    pthread_mutex_destroy(&srv->cmdq.cmd_mu);
    pthread_cond_destroy(&srv->cmdq.cmd_cv);
    pthread_mutex_destroy(&srv->evq.ev_mu);
    pthread_mutex_destroy(&srv->durable_mu);
    wsp_durable_free(srv);
    pthread_cond_destroy(&srv->evq.ev_cv);
    pthread_mutex_destroy(&srv->fork.park_mu);
    pthread_cond_destroy(&srv->fork.park_cv);
    wsp_config_free(&srv->cfg);
    free(srv);
}

/* Queue a command for the loop and wait for its answer. */
static int call_loop(wsp_server *srv, wsp_cmd *c)
{
    if (!srv->running) return WSP_ERR_STATE;
    pthread_mutex_lock(&srv->cmdq.cmd_mu);
    STAILQ_INSERT_TAIL(&srv->cmdq.cmds, c, q_link);
    pthread_mutex_unlock(&srv->cmdq.cmd_mu);
    event_active(srv->cmdq.cmd_ev, EV_TIMEOUT, 0);
    pthread_mutex_lock(&srv->cmdq.cmd_mu);
    while (!c->done) pthread_cond_wait(&srv->cmdq.cmd_cv, &srv->cmdq.cmd_mu);
    pthread_mutex_unlock(&srv->cmdq.cmd_mu);
    return WSP_OK;
}

int wsp_server_push(wsp_server *srv, const char *key, size_t key_len,
                    const char *payload, size_t payload_len, int *queued,
                    char *errbuf, size_t errlen)
{
    char tmp[160];
    wsp_cmd c = { .type = CMD_PUSH, .a = key, .a_len = key_len, .b = payload,
                  .b_len = payload_len, .err = errbuf ? errbuf : tmp,
                  .errlen = errbuf ? errlen : sizeof(tmp) };
    if (call_loop(srv, &c) != WSP_OK) {
        wsp_errf(c.err, c.errlen, srv->fork.forked ? "server runs in the parent process (this is a "
                 "child after fork)" : "server is not running");
        return WSP_ERR_STATE;
    }
    if (queued) *queued = c.queued;
    return c.rc;
}

int wsp_server_push_line(wsp_server *srv, const char *line, size_t len, const char **reply)
{
    wsp_cmd c = { .type = CMD_PUSH_LINE, .a = line, .a_len = len };
    if (call_loop(srv, &c) != WSP_OK) return WSP_ERR_STATE;
    *reply = c.reply;
    return c.rc;
}

int wsp_server_is_online(wsp_server *srv, const char *key, size_t key_len)
{
    wsp_cmd c = { .type = CMD_ONLINE, .a = key, .a_len = key_len };
    if (call_loop(srv, &c) != WSP_OK) return WSP_ERR_STATE;
    return c.rc;
}

int wsp_server_stats(wsp_server *srv, wsp_stats *out)
{
    wsp_cmd c = { .type = CMD_STATS, .stats = out };
    if (call_loop(srv, &c) != WSP_OK) return WSP_ERR_STATE;
    return c.rc;
}

int wsp_server_poll(wsp_server *srv, double timeout, wsp_event *ev)
{
    pthread_mutex_lock(&srv->evq.ev_mu);
    if (STAILQ_EMPTY(&srv->evq.evs) && timeout > 0 && srv->running) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        long long ns = ts.tv_nsec + (long long)((timeout - (long long)timeout) * 1e9);
        ts.tv_sec += (time_t)timeout + ns / 1000000000LL;
        ts.tv_nsec = ns % 1000000000LL;
        while (STAILQ_EMPTY(&srv->evq.evs) && srv->running)
            if (pthread_cond_timedwait(&srv->evq.ev_cv, &srv->evq.ev_mu, &ts) == ETIMEDOUT) break;
    }
    wsp_evnode *n = STAILQ_FIRST(&srv->evq.evs);
    if (n) {
        STAILQ_REMOVE_HEAD(&srv->evq.evs, link);
        srv->evq.ev_count--;
        srv->evq.ev_bytes -= evnode_bytes(&n->ev);
    }
    pthread_mutex_unlock(&srv->evq.ev_mu);
    if (!n) return 0;
    *ev = n->ev;
    free(n);
    return 1;
}

void wsp_event_clear(wsp_event *ev)
{
    free(ev->key);
    free(ev->data);
    ev->key = ev->data = NULL;
}
