/*
 * metrics.c - what an operator asks a running server: GET /metrics
 * (Prometheus text format 0.0.4) and GET /healthz, the stats behind them
 * (wsp_stats_collect, also Server::stats()), the store commit latency
 * histogram and the loop lag. Everything here runs on the loop thread.
 *
 * Where the routes answer (docs/operations.md): /healthz on the WebSocket
 * port for anyone (load balancers), /metrics on the WebSocket port only to
 * loopback peers, or, when metrics_listen is set, on that listener only
 * (plain HTTP, any peer that can reach it).
 *
 * Adding a counter: add the field to wsp_stats (wsp.h), count it where it
 * happens, and add one M_U64 row to wsp_metric_rows below.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "server_internal.h"
#include "metrics.h"
#include "errbuf.h"

#define HTTP_HEAD_MAX   8192    /* a scrape request is a few hundred bytes */
#define HTTP_TIMEOUT_S  10
#define LAG_WINDOW_US   (10 * 1000000LL)

/* ---- the registry: one row per exported sample ---- */

typedef enum { M_COUNTER, M_GAUGE } wsp_mtype;
typedef enum { M_U64, M_DBL, M_INT } wsp_mval;

typedef struct wsp_metric_row {
    const char *name;      /* rows of one family are consecutive */
    const char *labels;    /* "" or label pairs without braces */
    wsp_mtype   type;
    wsp_mval    val;
    size_t      off;       /* field in wsp_stats */
    const char *help;      /* printed once per family (first row) */
} wsp_metric_row;

#define ROW(name, labels, type, val, field, help) \
    { name, labels, type, val, offsetof(wsp_stats, field), help }
#define CONNS "WebSocket connections by state and key kind (web page or add-in client)"
#define PUSHES "Push lines and Server::push calls by their reply"
#define DROPS "Messages dropped from an outbox by rule before confirmation"
#define REFUSED "Connections refused by access control (push_token, auth_secret, allowed_origins)"
#define LIMITS "Hostile-client limits that bit: connections closed or refused, reads paused (max_output)"

static const wsp_metric_row wsp_metric_rows[] = {
    ROW("wspush_connections", "state=\"handshake\",kind=\"none\"", M_GAUGE, M_U64, conns_handshake, CONNS),
    ROW("wspush_connections", "state=\"open\",kind=\"none\"", M_GAUGE, M_U64, conns_unbound, CONNS),
    ROW("wspush_connections", "state=\"open\",kind=\"web\"", M_GAUGE, M_U64, conns_web, CONNS),
    ROW("wspush_connections", "state=\"open\",kind=\"client\"", M_GAUGE, M_U64, conns_client, CONNS),
    ROW("wspush_connections", "state=\"closing\",kind=\"none\"", M_GAUGE, M_U64, conns_closing, CONNS),
    ROW("wspush_keys", "", M_GAUGE, M_U64, keys,
        "Keys with a bound connection or held messages"),
    ROW("wspush_outbox_messages", "", M_GAUGE, M_U64, outbox_depth,
        "Messages held (pushed, not yet confirmed), all keys"),
    ROW("wspush_outbox_bytes", "", M_GAUGE, M_U64, outbox_bytes,
        "Payload bytes held in memory"),
    ROW("wspush_outbox_oldest_age_seconds", "", M_GAUGE, M_DBL, oldest_age,
        "Age of the oldest held message"),
    ROW("wspush_store_bytes", "", M_GAUGE, M_U64, store_bytes,
        "Bytes the store uses on disk (0 for the memory store)"),
    ROW("wspush_push_lines_total", "", M_COUNTER, M_U64, push_lines,
        "Push lines read (push port) and Server::push calls"),
    ROW("wspush_pushes_total", "result=\"ok\"", M_COUNTER, M_U64, push_ok, PUSHES),
    ROW("wspush_pushes_total", "result=\"queued\"", M_COUNTER, M_U64, push_queued, PUSHES),
    ROW("wspush_pushes_total", "result=\"fail\"", M_COUNTER, M_U64, push_fail, PUSHES),
    ROW("wspush_deliveries_total", "", M_COUNTER, M_U64, delivered_writes,
        "Message frames written to WebSocket connections (replays included)"),
    ROW("wspush_replays_total", "", M_COUNTER, M_U64, replayed,
        "Message frames written as a replay of held messages"),
    ROW("wspush_confirmations_total", "", M_COUNTER, M_U64, confirmed,
        "Messages confirmed by the client (Pong) or at TCP level (fallback)"),
    ROW("wspush_retries_total", "", M_COUNTER, M_U64, retried,
        "Unconfirmed messages kept for another delivery after a broken connection"),
    ROW("wspush_dropped_messages_total", "reason=\"retry_max\"", M_COUNTER, M_U64, dropped_retry, DROPS),
    ROW("wspush_dropped_messages_total", "reason=\"queue_limit\"", M_COUNTER, M_U64, dropped_queue_limit, DROPS),
    ROW("wspush_expired_messages_total", "", M_COUNTER, M_U64, expired,
        "Messages dropped because they outlived ttl"),
    /* stats' fallback_connections is the current number (wsp_stats_collect) */
    ROW("wspush_fallback_connections", "", M_GAUGE, M_U64, fallback_connections,
        "Open connections confirmed at TCP level (they never answer Pings)"),
    ROW("wspush_log_lines_dropped_total", "", M_COUNTER, M_U64, log_dropped,
        "Log lines lost: writer queue over its cap, or a failed write"),
    ROW("wspush_output_held_total", "", M_COUNTER, M_U64, output_held,
        "Times a busy pass held a connection's small output so its next pushes share a write"),
    ROW("wspush_socket_writes_total", "", M_COUNTER, M_U64, socket_writes,
        "Socket writes of the flush pass (push replies, WebSocket output)"),
    ROW("wspush_socket_write_calls_total", "", M_COUNTER, M_U64, write_calls,
        "System calls those writes took (one per batch with io_uring)"),
    ROW("wspush_log_reopens_total", "", M_COUNTER, M_U64, log_reopens,
        "Log file reopens (SIGUSR1, SIGHUP)"),
    ROW("wspush_poll_events_dropped_total", "", M_COUNTER, M_U64, events_dropped,
        "Events for Server::poll dropped because nobody polled"),
    ROW("wspush_store_errors_total", "", M_COUNTER, M_U64, store_errors,
        "Pushes refused because the store could not take them"),
    ROW("wspush_store_load_renumbered_total", "", M_COUNTER, M_U64, load_renumbered,
        "Records loaded at start whose sequence was not above their key's previous one"),
    ROW("wspush_auth_refused_total", "what=\"push_token\"", M_COUNTER, M_U64, push_auth_failed, REFUSED),
    ROW("wspush_auth_refused_total", "what=\"ws_signature\"", M_COUNTER, M_U64, ws_auth_refused, REFUSED),
    ROW("wspush_auth_refused_total", "what=\"origin\"", M_COUNTER, M_U64, origin_refused, REFUSED),
    ROW("wspush_limit_hits_total", "limit=\"handshake_timeout\"", M_COUNTER, M_U64, closed_handshake_timeout, LIMITS),
    ROW("wspush_limit_hits_total", "limit=\"message_timeout\"", M_COUNTER, M_U64, closed_message_timeout, LIMITS),
    ROW("wspush_limit_hits_total", "limit=\"max_output\"", M_COUNTER, M_U64, output_paused, LIMITS),
    ROW("wspush_limit_hits_total", "limit=\"max_connections\"", M_COUNTER, M_U64, rejected_max_connections, LIMITS),
    ROW("wspush_limit_hits_total", "limit=\"max_connections_per_ip\"", M_COUNTER, M_U64, rejected_per_ip, LIMITS),
    ROW("wspush_limit_hits_total", "limit=\"descriptors\"", M_COUNTER, M_U64, rejected_fd_limit, LIMITS),
    ROW("wspush_limit_hits_total", "limit=\"push_idle_timeout\"", M_COUNTER, M_U64, closed_push_idle, LIMITS),
    ROW("wspush_loop_lag_seconds", "", M_GAUGE, M_DBL, loop_lag_seconds,
        "Worst lateness of the loop's periodic timer over the last 10-20 s"),
    ROW("wspush_up", "", M_GAUGE, M_INT, healthy,
        "1 while serving; 0 while stopping or while the store fails (/healthz 503)"),
    ROW("wspush_stopping", "", M_GAUGE, M_INT, stopping, "1 during a graceful stop"),
    ROW("wspush_store_failing", "", M_GAUGE, M_INT, store_failing,
        "1 when the store's last commit failed"),
    /* cluster mode (store = redis://, docs/cluster.md); 0 otherwise */
    ROW("wspush_redis_up", "", M_GAUGE, M_U64, redis_up,
        "1 while this node is connected to Redis (cluster mode)"),
    ROW("wspush_redis_disconnects_total", "", M_COUNTER, M_U64, redis_disconnects,
        "Times Redis became unreachable (pushes answer fail until it is back)"),
    ROW("wspush_redis_errors_total", "", M_COUNTER, M_U64, redis_errors,
        "Error replies from Redis"),
    ROW("wspush_cluster_nodes", "", M_GAUGE, M_U64, cluster_nodes,
        "Live nodes on this node's Redis, this one included"),
};
#undef ROW

static const char *const wsp_close_names[WSP_CLOSE_NREASONS] = {
    [WSP_CLOSE_R_CLIENT] = "client", [WSP_CLOSE_R_PEER] = "peer",
    [WSP_CLOSE_R_TIMEOUT] = "timeout", [WSP_CLOSE_R_PROTOCOL] = "protocol",
    [WSP_CLOSE_R_HANDSHAKE] = "handshake", [WSP_CLOSE_R_SHUTDOWN] = "shutdown",
    [WSP_CLOSE_R_WRITE_ERROR] = "write_error", [WSP_CLOSE_R_OOM] = "out_of_memory",
    [WSP_CLOSE_R_HTTP] = "http", [WSP_CLOSE_R_BEHIND] = "behind",
    [WSP_CLOSE_R_AUTH] = "auth", [WSP_CLOSE_R_TLS] = "tls",
    [WSP_CLOSE_R_OTHER] = "other",
};

/* Close reasons as ws_conn.c words them; the first prefix that matches
 * wins. A new reason lands in "other" until it gets a row here. */
static const struct { const char *prefix; int cls; } wsp_close_map[] = {
    { "client close", WSP_CLOSE_R_CLIENT },
    { "peer closed", WSP_CLOSE_R_PEER },
    { "reset", WSP_CLOSE_R_PEER },
    { "heartbeat timeout", WSP_CLOSE_R_TIMEOUT },
    { "handshake timeout", WSP_CLOSE_R_TIMEOUT },
    { "message timeout", WSP_CLOSE_R_TIMEOUT },
    { "bad handshake", WSP_CLOSE_R_HANDSHAKE },
    { "origin not allowed", WSP_CLOSE_R_HANDSHAKE },
    { "server stop", WSP_CLOSE_R_SHUTDOWN },
    { "write error", WSP_CLOSE_R_WRITE_ERROR },
    { "oom", WSP_CLOSE_R_OOM },
    { "out of memory", WSP_CLOSE_R_OOM },
    { "invalid utf-8", WSP_CLOSE_R_PROTOCOL },
    { "frame too big", WSP_CLOSE_R_PROTOCOL },
    { "protocol error", WSP_CLOSE_R_PROTOCOL },
    { "fell behind", WSP_CLOSE_R_BEHIND },
    { "tls error", WSP_CLOSE_R_TLS },
    /* ws_auth.c's refusals: wsp_sig_result_str() and the key check */
    { "signature ", WSP_CLOSE_R_AUTH },
    { "key mismatch", WSP_CLOSE_R_AUTH },
};

const char *wsp_close_reason_name(int reason)
{
    return reason >= 0 && reason < WSP_CLOSE_NREASONS ? wsp_close_names[reason] : "other";
}

int wsp_close_reason_class(uint16_t code, const char *reason)
{
    for (size_t i = 0; reason && i < sizeof(wsp_close_map) / sizeof(wsp_close_map[0]); i++)
        if (strncmp(reason, wsp_close_map[i].prefix, strlen(wsp_close_map[i].prefix)) == 0)
            return wsp_close_map[i].cls;
    if (code == 1002 || code == 1007 || code == 1009)
        return WSP_CLOSE_R_PROTOCOL;
    return WSP_CLOSE_R_OTHER;
}

/* ---- measurements ---- */

void wsp_metrics_tick(wsp_server *srv)
{
    wsp_ops *o = &srv->ops;
    int64_t now = wsp_mono_us();

    if (o->sweep_expect_us && now > o->sweep_expect_us) {
        double lag = (now - o->sweep_expect_us) / 1e6;
        if (lag > o->lag_cur) o->lag_cur = lag;
    }
    if (now - o->lag_window_us >= LAG_WINDOW_US) {
        o->lag_prev = o->lag_cur;
        o->lag_cur = 0;
        o->lag_window_us = now;
    }
    o->sweep_expect_us = now + o->sweep_iv_us;
}

void wsp_metrics_commit_done(wsp_server *srv)
{
    static const double bounds[] = { WSP_COMMIT_BOUNDS };
    wsp_ops *o = &srv->ops;
    size_t b = 0;

    if (!o->commit_ticket || atomic_load(&srv->durable_upto) < o->commit_ticket)
        return;
    double secs = (wsp_mono_us() - o->commit_start_us) / 1e6;
    while (b < sizeof(bounds) / sizeof(bounds[0]) && secs > bounds[b]) b++;
    srv->st.commit_buckets[b]++;
    srv->st.commit_count++;
    srv->st.commit_seconds_sum += secs;
    o->commit_ticket = 0;
}

void wsp_stats_collect(wsp_server *srv, wsp_stats *s)
{
    *s = srv->st;
    s->connections = srv->ws.nconns;
    s->bound = srv->ws.nbound;
    s->keys = srv->ob.keys.count;
    s->outbox_depth = srv->ob.outbox_depth;
    s->outbox_bytes = srv->ob.outbox_bytes;
    s->store_bytes = srv->store && srv->store_ops->disk_bytes
                     ? srv->store_ops->disk_bytes(srv->store) : 0;
    const wsp_msg *oldest = TAILQ_FIRST(&srv->ob.keys.msgs);
    s->oldest_age = oldest ? (wsp_now_ms(srv) - oldest->push_ms) / 1000.0 : 0;
    if (s->oldest_age < 0) s->oldest_age = 0;
    s->fallback_connections = srv->ws.nfallback;
    if (srv->sendq) {
        unsigned long long calls, sends;
        wsp_send_batch_counts(srv->sendq, &calls, &sends);
        s->write_calls = calls;
        s->socket_writes = sends;
        s->io_uring = wsp_send_batch_uring(srv->sendq);
    }
    s->log_dropped = wsp_log_dropped(srv->log);
    pthread_mutex_lock(&srv->evq.ev_mu);
    s->events_dropped = srv->evq.ev_dropped;
    pthread_mutex_unlock(&srv->evq.ev_mu);
    /* By state: one walk; a scrape every few seconds over 100k connections
     * costs well under a millisecond, cheaper than keeping five counters
     * right on every transition. */
    s->conns_handshake = s->conns_unbound = s->conns_web = s->conns_client = 0;
    s->conns_closing = 0;
    wsp_wsconn *c;
    LIST_FOREACH(c, &srv->ws.all_conns, all_link) {
        if (c->state == WS_HANDSHAKE) s->conns_handshake++;
        else if (c->state != WS_OPEN) s->conns_closing++;
        else if (!c->key) s->conns_unbound++;
        else if (c->key->id[0] == WSP_KEY_WEB) s->conns_web++;
        else s->conns_client++;
    }
    s->loop_lag_seconds = srv->ops.lag_cur > srv->ops.lag_prev ? srv->ops.lag_cur
                                                               : srv->ops.lag_prev;
    s->log_reopens = atomic_load(&srv->ops.log_reopens);
    s->stopping = srv->stopping != 0;
    s->store_failing = atomic_load(&srv->ops.store_failing) != 0;
    s->healthy = !s->stopping && !s->store_failing;
    /* Cluster mode: the outbox lives in Redis; its figures as last seen. */
    wsp_cluster_stats_cached(srv, s);
}

/* ---- exposition ---- */

static void put_value(struct evbuffer *b, const wsp_metric_row *r, const wsp_stats *s)
{
    const char *p = (const char *)s + r->off;
    if (r->val == M_U64)
        evbuffer_add_printf(b, "%llu\n", (unsigned long long)*(const uint64_t *)(const void *)p);
    else if (r->val == M_INT)
        evbuffer_add_printf(b, "%d\n", *(const int *)(const void *)p);
    else
        evbuffer_add_printf(b, "%.6f\n", *(const double *)(const void *)p);
}

static void put_family(struct evbuffer *b, const char *name, const char *type, const char *help)
{
    evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* self_handshake: the scrape came on the WebSocket port, so the scraper is
 * itself a connection in its handshake; it is not counted. */
static void metrics_text(wsp_server *srv, struct evbuffer *b, int self_handshake)
{
    static const double bounds[] = { WSP_COMMIT_BOUNDS };
    wsp_stats s;
    const char *prev = "";

    wsp_stats_collect(srv, &s);
    if (self_handshake && s.conns_handshake > 0) {
        s.conns_handshake--;
        s.connections--;
    }
    put_family(b, "wspush_info", "gauge", "Version and store of this server");
    evbuffer_add_printf(b, "wspush_info{version=\"%s\",store=\"%s\"} 1\n", WSP_VERSION,
                        strncmp(srv->cfg.store, "redis", 5) == 0 ? "redis" : srv->cfg.store);
    put_family(b, "wspush_start_time_seconds", "gauge", "Unix time the server started");
    evbuffer_add_printf(b, "wspush_start_time_seconds %.3f\n", srv->ops.start_time);
    for (size_t i = 0; i < sizeof(wsp_metric_rows) / sizeof(wsp_metric_rows[0]); i++) {
        const wsp_metric_row *r = &wsp_metric_rows[i];
        if (strcmp(r->name, prev) != 0)
            put_family(b, r->name, r->type == M_COUNTER ? "counter" : "gauge", r->help);
        prev = r->name;
        evbuffer_add_printf(b, r->labels[0] ? "%s{%s} " : "%s ", r->name, r->labels);
        put_value(b, r, &s);
    }
    put_family(b, "wspush_closes_total", "counter", "WebSocket connections closed, by reason");
    for (int i = 0; i < WSP_CLOSE_NREASONS; i++)
        evbuffer_add_printf(b, "wspush_closes_total{reason=\"%s\"} %llu\n",
                            wsp_close_names[i], (unsigned long long)s.closed_by_reason[i]);
    put_family(b, "wspush_store_commit_seconds", "histogram",
               "Time from a push to the store commit that holds it (one sample per commit)");
    uint64_t cum = 0;
    for (size_t i = 0; i < WSP_COMMIT_NBUCKETS; i++) {
        cum += s.commit_buckets[i];
        if (i < sizeof(bounds) / sizeof(bounds[0]))
            evbuffer_add_printf(b, "wspush_store_commit_seconds_bucket{le=\"%g\"} %llu\n",
                                bounds[i], (unsigned long long)cum);
        else
            evbuffer_add_printf(b, "wspush_store_commit_seconds_bucket{le=\"+Inf\"} %llu\n",
                                (unsigned long long)cum);
    }
    evbuffer_add_printf(b, "wspush_store_commit_seconds_sum %.6f\n", s.commit_seconds_sum);
    evbuffer_add_printf(b, "wspush_store_commit_seconds_count %llu\n",
                        (unsigned long long)s.commit_count);
}

/* ---- HTTP ---- */

/* End of the request head in buf[0..len) (just past the empty line), 0 if
 * not there yet. */
static size_t head_end(const char *buf, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (buf[i] != '\n') continue;
        if (buf[i + 1] == '\n') return i + 2;
        if (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n') return i + 3;
    }
    return 0;
}

enum { ROUTE_NONE = 0, ROUTE_METRICS, ROUTE_HEALTHZ };

/* "GET /metrics[?...] HTTP/x" -> the route. */
static int route_of(const char *buf, size_t len, int *is_get)
{
    const char *sp = memchr(buf, ' ', len < 16 ? len : 16);
    if (!sp) return ROUTE_NONE;
    size_t mlen = (size_t)(sp - buf);
    *is_get = (mlen == 3 && memcmp(buf, "GET", 3) == 0) || (mlen == 4 && memcmp(buf, "HEAD", 4) == 0);
    const char *p = sp + 1;
    size_t rest = len - mlen - 1;
    size_t n = 0;
    while (n < rest && p[n] != ' ' && p[n] != '?' && p[n] != '\r' && p[n] != '\n') n++;
    if (n == 8 && memcmp(p, "/metrics", 8) == 0) return ROUTE_METRICS;
    if (n == 8 && memcmp(p, "/healthz", 8) == 0) return ROUTE_HEALTHZ;
    return ROUTE_NONE;
}

static void respond(struct evbuffer *out, int status, const char *ctype, struct evbuffer *body,
                    int head_only)
{
    const char *why = status == 200 ? "OK" : status == 403 ? "Forbidden"
                    : status == 404 ? "Not Found" : status == 405 ? "Method Not Allowed"
                    : status == 400 ? "Bad Request" : "Service Unavailable";
    size_t blen = body ? evbuffer_get_length(body) : 0;
    evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                        "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
                        status, why, ctype, blen);
    if (body && !head_only) evbuffer_add_buffer(out, body);
}

static int peer_is_loopback(evutil_socket_t fd)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (getpeername(fd, (struct sockaddr *)&ss, &sl) != 0) return 0;
    if (ss.ss_family == AF_INET) {
        const uint8_t *a = (const uint8_t *)&((struct sockaddr_in *)&ss)->sin_addr;
        return a[0] == 127;
    }
    if (ss.ss_family == AF_INET6) {
        const struct in6_addr *a = &((struct sockaddr_in6 *)&ss)->sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(a)) return 1;
        return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
    }
    return ss.ss_family == AF_UNIX;
}

/* Build the whole response for a request head into out. dedicated: on the
 * metrics_listen listener (every path ours, any peer). */
static void answer(wsp_server *srv, const char *head, size_t len, int dedicated,
                   evutil_socket_t fd, struct evbuffer *out)
{
    static const char plain[] = "text/plain; charset=utf-8";
    int is_get = 0, route = route_of(head, len, &is_get);
    int head_only = len >= 4 && memcmp(head, "HEAD", 4) == 0;
    struct evbuffer *body = evbuffer_new();
    int status;

    if (!body) return;
    if (route == ROUTE_NONE) {
        status = 404;
        evbuffer_add_printf(body, "not found: try /metrics or /healthz\n");
    } else if (!is_get) {
        status = 405;
        evbuffer_add_printf(body, "only GET\n");
    } else if (route == ROUTE_HEALTHZ) {
        int failing = atomic_load(&srv->ops.store_failing);
        status = srv->stopping || failing ? 503 : 200;
        evbuffer_add_printf(body, "%s\n", srv->stopping ? "stopping" : failing ? "store failing" : "ok");
    } else if (!dedicated && srv->ops.metrics_lis) {
        status = 404;
        evbuffer_add_printf(body, "metrics are served on metrics_listen (port %d)\n",
                            srv->ops.metrics_port);
    } else if (!dedicated && !peer_is_loopback(fd)) {
        status = 403;
        evbuffer_add_printf(body, "metrics are served to loopback peers only; set metrics_listen\n");
    } else {
        metrics_text(srv, body, !dedicated);
        respond(out, 200, "text/plain; version=0.0.4; charset=utf-8", body, head_only);
        evbuffer_free(body);
        return;
    }
    respond(out, status, plain, body, head_only);
    evbuffer_free(body);
}

int wsp_metrics_ws_http(wsp_wsconn *c, const char *in, size_t len)
{
    int is_get;
    size_t end = head_end(in, len < HTTP_HEAD_MAX ? len : HTTP_HEAD_MAX);
    if (!end || route_of(in, end, &is_get) == ROUTE_NONE) return 0;
    struct evbuffer *out = evbuffer_new();
    if (!out) return 0;
    answer(c->srv, in, end, 0, c->fd, out);
    size_t n = evbuffer_get_length(out);
    wsp_ws_http_reply(c, (const char *)evbuffer_pullup(out, -1), n);
    evbuffer_free(out);
    return 1;
}

/* ---- the metrics_listen listener ---- */

struct wsp_http_conn {
    wsp_server *srv;
    struct bufferevent *bev;
    int answered;
    LIST_ENTRY(wsp_http_conn) link;   /* ops.http_conns */
};

static void http_free(wsp_http_conn *h)
{
    LIST_REMOVE(h, link);
    bufferevent_free(h->bev);
    free(h);
}

static void http_read_cb(struct bufferevent *bev, void *arg)
{
    wsp_http_conn *h = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    size_t len = evbuffer_get_length(in);
    size_t scan = len < HTTP_HEAD_MAX ? len : HTTP_HEAD_MAX;
    const char *p = (const char *)evbuffer_pullup(in, (ev_ssize_t)scan);
    size_t end = p ? head_end(p, scan) : 0;

    if (!end && len < HTTP_HEAD_MAX) return;
    if (end) {
        answer(h->srv, p, end, 1, bufferevent_getfd(bev), bufferevent_get_output(bev));
    } else {
        struct evbuffer *body = evbuffer_new();
        if (body) evbuffer_add_printf(body, "request head too large\n");
        respond(bufferevent_get_output(bev), 400, "text/plain", body, 0);
        if (body) evbuffer_free(body);
    }
    h->answered = 1;
    evbuffer_drain(in, len);
    bufferevent_disable(bev, EV_READ);
}

static void http_write_cb(struct bufferevent *bev, void *arg)
{
    wsp_http_conn *h = arg;
    if (h->answered) http_free(h);
}

static void http_event_cb(struct bufferevent *bev, short what, void *arg)
{
    http_free(arg);   /* EOF, error or timeout */
}

static void http_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
                           struct sockaddr *sa, int socklen, void *arg)
{
    wsp_server *srv = arg;
    wsp_http_conn *h = calloc(1, sizeof(*h));
    if (!h) { evutil_closesocket(fd); return; }
    h->srv = srv;
    h->bev = bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!h->bev) { free(h); evutil_closesocket(fd); return; }
    LIST_INSERT_HEAD(&srv->ops.http_conns, h, link);
    struct timeval tv = { HTTP_TIMEOUT_S, 0 };
    bufferevent_set_timeouts(h->bev, &tv, &tv);
    bufferevent_setcb(h->bev, http_read_cb, http_write_cb, http_event_cb, h);
    bufferevent_enable(h->bev, EV_READ | EV_WRITE);
}

int wsp_metrics_start(wsp_server *srv, double sweep_iv, char *errbuf, size_t errlen)
{
    wsp_ops *o = &srv->ops;
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    o->start_time = ts.tv_sec + ts.tv_nsec / 1e9;
    o->sweep_iv_us = (int64_t)(sweep_iv * 1e6);
    o->sweep_expect_us = 0;
    o->lag_window_us = wsp_mono_us();
    o->lag_cur = o->lag_prev = 0;
    o->commit_ticket = 0;
    atomic_store(&o->store_failing, 0);
    if (!srv->cfg.metrics_listen || !srv->cfg.metrics_listen[0]) return WSP_OK;
    char why[200] = "";
    o->metrics_lis = wsp_listen_on(srv, srv->cfg.metrics_listen, http_accept_cb,
                                   &o->metrics_port, why, sizeof(why));
    if (!o->metrics_lis) {
        wsp_errf(errbuf, errlen, "metrics_listen: %s", why);
        return WSP_ERR_LISTEN;
    }
    return WSP_OK;
}

void wsp_metrics_close(wsp_server *srv)
{
    wsp_ops *o = &srv->ops;
    if (o->metrics_lis) { evconnlistener_free(o->metrics_lis); o->metrics_lis = NULL; }
    while (!LIST_EMPTY(&o->http_conns)) http_free(LIST_FIRST(&o->http_conns));
}
