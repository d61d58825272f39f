/*
 * metrics.h - operations state of a server (loop thread unless a field says
 * otherwise): the numbers behind /metrics that are not plain counters, the
 * optional metrics_listen listener, and the HTTP routes /metrics and
 * /healthz (core/metrics.c).
 */
#ifndef WSP_METRICS_H
#define WSP_METRICS_H

#include <stdint.h>
#include <sys/queue.h>
#include <stdatomic.h>
#include <time.h>
#include <event2/listener.h>
#include "wsp.h"

struct wsp_server;
struct wsp_wsconn;
typedef struct wsp_http_conn wsp_http_conn;

typedef struct wsp_ops {
    struct evconnlistener *metrics_lis;   /* metrics_listen, NULL when "" */
    int metrics_port;
    LIST_HEAD(, wsp_http_conn) http_conns;   /* open metrics_listen connections (zeroed: empty) */
    atomic_int events_off;                /* wsp_server_set_events(0): any thread */
    atomic_int store_failing;             /* written by the store thread */
    _Atomic uint64_t log_reopens;         /* any thread */
    int64_t  final_deadline_ms;           /* replies and closes flush until then */
    int      loop_done;                   /* under cmd_mu: the loop thread ended */
    /* store commit latency: one sample per commit, the first push it holds */
    uint64_t commit_ticket;
    int64_t  commit_start_us;
    /* loop lag: how late the periodic sweep runs */
    int64_t  sweep_iv_us, sweep_expect_us;
    int64_t  lag_window_us;
    double   lag_cur, lag_prev;
    double   start_time;                  /* unix seconds */
} wsp_ops;

/* Monotonic microseconds. */
static inline int64_t wsp_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
/* A push took store ticket t (0 = none): time its commit, unless one is
 * timed already (one sample per commit). Inline so outbox.c needs nothing
 * else of this file (core/tests/test_model links outbox.c alone). */
static inline void wsp_metrics_commit_begin(wsp_ops *o, uint64_t ticket)
{
    if (ticket && !o->commit_ticket) {
        o->commit_ticket = ticket;
        o->commit_start_us = wsp_mono_us();
    }
}
/* Start: remember the sweep interval; bind metrics_listen when set.
 * Returns WSP_OK or WSP_ERR_LISTEN with a message. */
int  wsp_metrics_start(struct wsp_server *srv, double sweep_iv, char *errbuf, size_t errlen);
/* Close the listener and its connections (teardown). */
void wsp_metrics_close(struct wsp_server *srv);
/* Called at every sweep: measures the loop lag. */
void wsp_metrics_tick(struct wsp_server *srv);
/* The store reported durability: observe the timed commit if it is done. */
void wsp_metrics_commit_done(struct wsp_server *srv);
/* Fill *s with every counter and gauge (CMD_STATS, /metrics). */
void wsp_stats_collect(struct wsp_server *srv, wsp_stats *s);
/* Classify a close for closed_by_reason. */
int  wsp_close_reason_class(uint16_t code, const char *reason);
/* Answer GET /metrics or GET /healthz on a WebSocket connection still in
 * its handshake (in[0..len) is what it sent so far). 1 when it was such a
 * request and was answered (the connection is closing), 0 otherwise
 * (also when the request head is not complete yet). */
int  wsp_metrics_ws_http(struct wsp_wsconn *c, const char *in, size_t len);

#endif
