/*
 * server_internal.h - the structures shared by the loop-thread files of the
 * server (server.c, ws_conn.c, push_conn.c, outbox.c). Nothing here is
 * touched from any thread but the loop thread, except where a field says so.
 */
#ifndef WSP_SERVER_INTERNAL_H
#define WSP_SERVER_INTERNAL_H

#include <pthread.h>
#include <sys/queue.h>
#include <stdatomic.h>
#include <stdint.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "send_batch.h"
#include "wsp.h"
#include "keys_canon.h"
#include "log.h"
#include "metrics.h"
#include "store.h"
#include "ws_frame.h"
#include "cluster.h"

struct ssl_st;
struct ssl_ctx_st;
/* A limit that bites is logged at most once per this interval (with the
 * count so far); every occurrence is counted in wsp_stats. */
#define WSP_LIMIT_LOG_MS 10000

typedef struct wsp_keyrec wsp_keyrec;
typedef struct wsp_wsconn wsp_wsconn;
typedef struct wsp_pushconn wsp_pushconn;

/* One pushed message in a key's outbox. The server frame (header + payload)
 * is built once and appended to every connection of the key (fan-out
 * encodes once). */
/* Outbox entries up to WSP_MSG_CLASSES * 64 bytes are recycled per size class. */
#define WSP_MSG_CLASSES 16

/* Tickets after from and up to upto (store.h). */
typedef struct wsp_ticket_range { uint64_t from, upto; } wsp_ticket_range;

typedef struct wsp_msg {
    union {   /* a freed entry is on no outbox: its free-list link takes the place */
        TAILQ_ENTRY(wsp_msg) link;        /* its key's msgs, ascending seq */
        SLIST_ENTRY(wsp_msg) free_link;   /* ob.msg_free[class], once freed */
    };
    TAILQ_ENTRY(wsp_msg) g_link;       /* keys.msgs: every message, push order (ttl) */
    wsp_keyrec *key;
    uint64_t seq;
    uint64_t rid;                      /* the store's record id (store.h) */
    uint64_t ticket;                   /* its append's store ticket (0: loaded) */
    int64_t  push_ms;
    uint32_t tries;                    /* deliveries ended by a broken connection */
    uint32_t hdr_len;
    size_t   frame_len;                /* header + payload */
    uint8_t  frame[];
} wsp_msg;
TAILQ_HEAD(wsp_msg_list, wsp_msg);

struct wsp_keyrec {
    SLIST_ENTRY(wsp_keyrec) hlink;     /* hash chain */
    uint32_t hash;
    char    *id; size_t id_len;        /* kind byte + text */
    struct wsp_msg_list msgs;          /* the outbox, ascending seq */
    size_t   count, bytes;
    uint64_t next_seq;
    LIST_HEAD(, wsp_wsconn) conns;     /* bound live connections */
    uint32_t nconns;
    uint32_t holds;                    /* writers under way: not released (outbox.c) */
    /* A released key whose store removes may not be applied yet stays in
     * the table as a ghost (outbox.c), so its sequence goes on if it comes
     * back: the store's latest remove for it, and the ghost FIFO links. */
    uint64_t rm_ticket;
    TAILQ_ENTRY(wsp_keyrec) ghost_link;   /* keys.ghosts, while ghost */
    int ghost;
    /* cluster mode (cluster.c): the outbox above mirrors Redis */
    uint8_t  cl_attached;              /* this node joined the key's presence */
    uint8_t  cl_loading;               /* backlog on its way: buffer, write nothing */
    uint8_t  cl_unlive;                /* told Redis: no live connection here (caps) */
    size_t   cl_inflight;              /* frame bytes pushed here, not back from Redis yet */
    uint32_t cl_gen;                   /* attach generation (stale replies ignored) */
    uint64_t cl_floor;                 /* everything <= this is gone from Redis */
};

typedef struct wsp_keytab {
    SLIST_HEAD(wsp_keychain, wsp_keyrec) *buckets;
    size_t nbuckets, count;            /* count: live keys (not ghosts) */
    TAILQ_HEAD(, wsp_keyrec) ghosts;   /* released, oldest first */
    /* Every held message of every key, push order (ttl, failed commits).
     * Here rather than in ob so that wsp_keytab_init readies it. */
    struct wsp_msg_list msgs;
    size_t nghosts;
    uint64_t seed[2];                  /* the hash's random key (outbox.c) */
} wsp_keytab;

enum wsp_ws_state { WS_HANDSHAKE = 0, WS_OPEN, WS_CLOSING, WS_DEAD };

struct wsp_wsconn {
    struct wsp_server *srv;
    evutil_socket_t fd;
    struct ssl_st *ssl;              /* wss:// (ws_tls.c), NULL for ws:// */
    struct event ev;                 /* embedded: one event, read and/or write */
    short    ev_flags;               /* what ev is registered for (0 = none) */
    struct evbuffer *out;
    uint8_t *in; size_t in_len, in_cap;   /* unparsed bytes kept between reads */
    wsp_ws_parser parser;
    uint64_t id;
    uint8_t  state;
    uint8_t  dirty;                  /* to flush: on ws.dirty, or on ws.held if held */
    uint8_t  ping_due;               /* wrote pushes since the last ping */
    uint8_t  fallback;               /* never answers pings: confirm at TCP level */
    uint8_t  answered_ping;          /* ever answered a ping */
    uint8_t  free_queued;
    uint8_t  ping_waiting;           /* on the deferred-ping list */
    uint8_t  held;                   /* output held back by busy passes */
    uint8_t  oom;                    /* closed because we ran out of memory */
    uint8_t  tls_rw;                 /* wss: a TLS read waits for the socket to be writable */
    uint8_t  rd_paused;              /* output over max_output: not read until it drains */
    uint8_t  paused_logged;          /* the pause was logged once for this connection */
    uint8_t  linger_close;           /* closed with 4001: wait for the client's EOF (after_write) */
    uint8_t  linger_read;            /* closing: after our Close, read (and drop) until EOF */
    uint8_t  idle_listed;            /* on ws.idle */
    uint8_t  sending;                /* its output is in srv->sendq: not to be touched */
    TAILQ_ENTRY(wsp_wsconn) idle_link;   /* ws.idle: least recently active first */
    int64_t  last_active_ms;
    int64_t  close_deadline_ms;
    int64_t  msg_start_ms;           /* first byte of a message still incomplete, 0 if none */
    struct wsp_ipent *ip;            /* this client's address in srv->ips (accept.c) */
    /* key binding */
    wsp_key  auth_key;               /* auth_secret: the key the URL was signed for, until bound */
    wsp_keyrec *key;
    LIST_ENTRY(wsp_wsconn) key_link;   /* key->conns, while bound */
    /* delivery */
    uint64_t cursor;                 /* next seq to write */
    uint64_t written_upto;           /* highest seq written */
    uint64_t confirmed_upto;
    uint64_t pinged_upto;            /* payload of the latest ping */
    uint32_t pings_unanswered;
    uint32_t ping_iv_ms;             /* this connection's Ping interval now (ws_conn.c) */
    int64_t  first_unanswered_ping_ms;
    int64_t  last_ping_ms;
    int64_t  held_since_ms;
    int64_t  last_push_ms;           /* when a push was last written to it */
    uint32_t push_gap16;             /* its pushes' average gap, ms x 16 (ws_conn.c) */
    int64_t  last_frame_ms;
    /* One link per list: a connection moves between dirty and held, and a
     * shared link once cut a list (issue 13, defect 7). */
    STAILQ_ENTRY(wsp_wsconn) dirty_link;   /* ws.dirty, while dirty && !held */
    STAILQ_ENTRY(wsp_wsconn) held_link;    /* ws.held, while held */
    STAILQ_ENTRY(wsp_wsconn) ping_link;    /* ws.ping_wait, while ping_waiting */
    LIST_ENTRY(wsp_wsconn) all_link;    /* ws.all_conns, while not freed */
    SLIST_ENTRY(wsp_wsconn) free_link;  /* ws.free_conns, once queued to free */
};

/* A pending reply on a push connection waits for its store ticket. */
typedef struct wsp_reply {
    uint64_t ticket;
    const char *text;                /* "ok\n" / "queued\n" / "fail\n" */
    wsp_pending *pend;               /* cluster: text decided by Redis, or NULL */
} wsp_reply;

#define WSP_PUSH_INLINE_REPLIES 8

/* Every line read gets exactly one reply, in order, before the connection
 * closes (push_conn.c). A plain socket with its own events, not a
 * bufferevent: a line and its reply cost one recv() and one send(), with
 * no event changes unless a send() comes up short (issue 18). */
struct wsp_pushconn {
    struct wsp_server *srv;
    evutil_socket_t fd;
    struct event rev;     /* readable, or push_idle_timeout without input */
    struct event wev;     /* writable: added only while replies wait in out */
    /* replies waiting for their tickets, a ring: the inline slots, or a
     * malloc'd ring once more are waiting */
    wsp_reply *pending; size_t pend_head, pend_len, pend_cap;
    wsp_reply pend_inline[WSP_PUSH_INLINE_REPLIES];
    uint8_t authed;       /* past the AUTH line (or none required) */
    uint8_t eof;          /* the backend finished sending (half-close) */
    uint8_t closing;      /* a line over max_line or a refused AUTH: no more input */
    uint8_t paused;       /* the ring could not grow: input waits for replies to go */
    uint8_t reading;      /* rev is added */
    uint8_t writing;      /* wev is added */
    /* input not handled yet: a line's start, or lines that wait while paused */
    char  *part; size_t part_len, part_cap;
    /* reply bytes not sent yet */
    char  *out; size_t out_off, out_len, out_cap;
    uint8_t send_queued;  /* on push.to_send: its replies go in this pass's send batch */
    LIST_ENTRY(wsp_pushconn) link;   /* push.conns */
    STAILQ_ENTRY(wsp_pushconn) send_link;   /* push.to_send, while send_queued */
};

/* Admission state (accept.c): per-address counts, descriptor room. */
typedef struct wsp_accept_state {
    SLIST_HEAD(wsp_ipchain, wsp_ipent) *buckets; size_t nbuckets, count;
    uint64_t seed[2];                 /* the address hash's random key (siphash.h) */
    int      base_fds;               /* descriptors open when the server started */
    uint64_t fd_room;                /* WebSocket connections the descriptor limit allows */
    int      reserve_fd;             /* spare descriptor for EMFILE, -1 if none */
    struct event *resume_ev;         /* re-enables listeners paused on EMFILE */
    uint64_t accept_errors;
    int64_t  log_ms[4];              /* last log per limit kind */
} wsp_accept_state;

/* Work handed from another thread to the loop. */
typedef enum { CMD_PUSH = 1, CMD_PUSH_LINE, CMD_ONLINE, CMD_STATS } wsp_cmd_type;
typedef struct wsp_cmd {
    wsp_cmd_type type;
    const char *a; size_t a_len;     /* key or line */
    const char *b; size_t b_len;     /* payload */
    /* results */
    int rc; int queued; const char *reply; uint64_t ticket;
    wsp_pending *pend;               /* cluster push: answered when Redis is */
    wsp_stats *stats;
    char *err; size_t errlen;
    int done;
    STAILQ_ENTRY(wsp_cmd) q_link;    /* cmdq.cmds, until the loop takes it */
    LIST_ENTRY(wsp_cmd) wait_link;   /* cmdq.waiting, until the store commits */
} wsp_cmd;

typedef struct wsp_evnode { wsp_event ev; STAILQ_ENTRY(wsp_evnode) link; } wsp_evnode;

/* The server's state, grouped by owner: each group names the file that
 * writes it (others only read), and teardown() (server.c) frees each
 * group through its owner. Loop thread only unless a field says so. */
struct wsp_server {
    /* lifecycle, listeners, loop (server.c) */
    wsp_config cfg;
    struct event_base *base;
    pthread_t thread;
    int thread_started;
    int running;                      /* start() succeeded, stop() not yet */
    char errstr[256];
    struct evconnlistener *ws_lis, *push_lis;
    struct ssl_ctx_st *tls_ctx;       /* ws_tls_cert: the WebSocket listener speaks wss:// */
    int ws_port, push_port;
    struct event *flush_ev, *sweep_ev, *stop_ev;
    int flush_scheduled;
    /* the flush pass's socket writes, in one system call where io_uring
     * allows (send_batch.h); created by start(), used by ws_conn.c and
     * push_conn.c at the flush pass */
    struct wsp_send_batch *sendq;
    int stopping;                     /* 1 draining, 2 closing/flushing, 3 done */
    int stop_requested;               /* under cmdq.cmd_mu */
    int64_t drain_deadline_ms;
    wsp_log *log;

    /* the store and its answers (durable.c): the store thread reports
     * under durable_mu; the loop takes them and answers replies by
     * durable_seen and the failed ranges */
    const wsp_store_ops *store_ops;
    wsp_store *store;
    wsp_cluster *cluster;            /* store = redis://: cluster mode (store is NULL) */
    pthread_mutex_t durable_mu;
    _Atomic uint64_t durable_upto;      /* reported so far (under durable_mu) */
    uint64_t durable_reported;          /* store thread, under durable_mu */
    wsp_ticket_range *failed_new;       /* reported failures not taken yet (durable_mu) */
    size_t nfailed_new, failed_new_cap;
    wsp_ticket_range *failed;           /* loop: the failures being answered */
    size_t nfailed, failed_cap;
    uint64_t durable_seen;              /* loop: replies go by this */
    struct event *durable_ev;           /* reads durable_fd */
    int durable_fd;                     /* eventfd: the store thread wakes the loop */

    /* work from other threads (server.c): queued under cmd_mu */
    struct {
        struct event *cmd_ev;
        pthread_mutex_t cmd_mu; pthread_cond_t cmd_cv;
        STAILQ_HEAD(, wsp_cmd) cmds;  /* FIFO */
        LIST_HEAD(, wsp_cmd) waiting; /* loop thread: pushes from PHP waiting for the store */
    } cmdq;

    /* events for poll() (server.c): under ev_mu */
    struct {
        pthread_mutex_t ev_mu; pthread_cond_t ev_cv;
        STAILQ_HEAD(, wsp_evnode) evs;   /* FIFO: poll() takes the oldest */
        size_t ev_count, ev_bytes; uint64_t ev_dropped;
        uint64_t ev_dropped_logged;   /* loop thread: drops already logged */
        int64_t  ev_drop_log_ms;      /* loop thread: when they were */
    } evq;

    /* keys and outboxes (outbox.c; freed by wsp_keytab_free) */
    struct {
        wsp_keytab keys;
        SLIST_HEAD(, wsp_msg) msg_free[WSP_MSG_CLASSES];   /* freed entries kept for reuse */
        size_t   msg_free_bytes;
        uint64_t outbox_depth, outbox_bytes;
    } ob;

    /* WebSocket connections (ws_conn.c; freed by wsp_ws_free_pending) */
    struct {
        TAILQ_HEAD(, wsp_wsconn) idle;          /* idle timeouts, oldest first */
        STAILQ_HEAD(, wsp_wsconn) dirty;        /* output to write this pass */
        STAILQ_HEAD(, wsp_wsconn) held;         /* small outputs held back by a busy pass */
        STAILQ_HEAD(, wsp_wsconn) ping_wait;    /* deferred pings, FIFO */
        size_t ndirty, nheld;
        struct event *held_ev;
        struct event *ping_ev;
        SLIST_HEAD(, wsp_wsconn) free_conns;   /* to free at a safe point */
        LIST_HEAD(, wsp_wsconn) all_conns;     /* every other ws connection (sweeps) */
        uint64_t next_conn_id;
        uint64_t nconns, nbound, nfallback;
        uint8_t *rbuf; size_t rbuf_cap;   /* shared read buffer */
    } ws;
    wsp_accept_state acc;             /* admission limits (accept.c) */

    /* push port connections (push_conn.c; freed by wsp_push_close_all) */
    struct {
        LIST_HEAD(, wsp_pushconn) conns;
        char *rbuf;                   /* shared read buffer (push_conn.c) */
        STAILQ_HEAD(, wsp_pushconn) to_send;   /* replies to send at the flush pass */
        /* connections owed two or more replies (their backend pipelines),
         * and the store's hint (store.h, pipelined): on at once, off after
         * a sweep interval without any */
        size_t pipelining;
        int pipelined_hint, pipelined_seen;
        const struct timeval *idle_tv;   /* push_idle_timeout, a common timeout */
    } push;

    wsp_stats st;                     /* counters (every loop file; read by metrics.c) */
    wsp_ops ops;                      /* metrics, health, lifecycle (metrics.c) */

    /* fork safety (fork.c) */
    struct {
        SLIST_ENTRY(wsp_server) reg_link;   /* fork.c's list of running servers */
        struct event *park_ev;        /* parks the loop while a fork copies it */
        pthread_mutex_t park_mu; pthread_cond_t park_cv;
        int park_hold, parked;        /* under park_mu */
        int forked;                   /* this is a child's copy: not ours to run or free */
    } fork;
};

/* fork.c: the loop parks during fork(); a child closes its copies of the
 * server's descriptors and marks it forked */
int  wsp_fork_register(wsp_server *srv);     /* start, once base exists */
void wsp_fork_unregister(wsp_server *srv);   /* teardown */

/* server.c */
int64_t wsp_now_ms(wsp_server *srv);
void wsp_schedule_flush(wsp_server *srv);
void wsp_cmd_finish(wsp_server *srv, wsp_cmd *c);   /* answer a PHP call */
void wsp_emit_event(wsp_server *srv, wsp_event_type type, uint64_t conn_id,
                    const wsp_keyrec *key, const char *data, size_t data_len);
void wsp_log_ev(wsp_server *srv, wsp_log_level lvl, const char *event, uint64_t conn,
                const wsp_keyrec *key, uint64_t seq_from, uint64_t seq_to,
                const char *result, const char *content, size_t content_len);

/* Bind a listener on addr ("HOST:PORT"); *port gets the bound port. */
struct evconnlistener *wsp_listen_on(wsp_server *srv, const char *addr,
                                     evconnlistener_cb cb, int *port,
                                     char *errbuf, size_t errlen);
/* accept.c */
int  wsp_accept_init(wsp_server *srv);      /* after the store is open, before listening */
void wsp_accept_free(wsp_server *srv);
void wsp_accept_ws(wsp_server *srv, evutil_socket_t fd, const struct sockaddr *sa);
void wsp_accept_error(struct evconnlistener *lis, void *arg);   /* listener error cb */
void wsp_accept_release(wsp_wsconn *c);     /* the connection's fd is closed */
void wsp_accept_sweep(wsp_server *srv);

/* ws_conn.c */
wsp_wsconn *wsp_ws_accept(wsp_server *srv, evutil_socket_t fd);   /* NULL: fd closed */
void wsp_ws_mark_dirty(wsp_wsconn *c);
void wsp_ws_pushed(wsp_wsconn *c);   /* a push was written to c (its gap, for the hold) */
void wsp_ws_flush_all(wsp_server *srv);
void wsp_ws_sweep(wsp_server *srv);
void wsp_ws_close(wsp_wsconn *c, uint16_t code, const char *reason);
void wsp_ws_free_pending(wsp_server *srv);
void wsp_ws_free_all(wsp_server *srv);     /* teardown */
int  wsp_ws_out_full(const wsp_wsconn *c);
struct evbuffer *wsp_ws_out(wsp_wsconn *c);   /* created on demand, NULL on OOM */
int  wsp_ws_add(wsp_wsconn *c, const void *data, size_t len);
void wsp_ws_close_all(wsp_server *srv, uint16_t code);
void wsp_ws_ping_timer(evutil_socket_t fd, short what, void *arg);
void wsp_ws_held_timer(evutil_socket_t fd, short what, void *arg);
/* Answer a plain HTTP request (/metrics, /healthz) on a connection still in
 * its handshake with data[0..len), then close it (no close event, no close
 * log line: a scrape is not a client). */
void wsp_ws_http_reply(wsp_wsconn *c, const char *data, size_t len);

/* ws_auth.c: access control (allowed_origins, auth_secret); each returns
 * 1 to go on, 0 when refused (logged and counted; the check that runs
 * after the 101 also closes the connection with 1008 and a reason). */
struct wsp_ws_request;
int  wsp_ws_origin_ok(wsp_wsconn *c, const struct wsp_ws_request *req);
int  wsp_ws_sig_ok(wsp_wsconn *c, const struct wsp_ws_request *req, const char *buf);
int  wsp_ws_key_ok(wsp_wsconn *c, const wsp_key *key);

/* push_conn.c */
void wsp_push_accept(wsp_server *srv, evutil_socket_t fd);
void wsp_push_release_replies(wsp_server *srv);
void wsp_push_queue_sends(wsp_server *srv);   /* flush pass: replies into srv->sendq */
void wsp_push_sweep(wsp_server *srv);         /* periodic: the store's pipelined hint */
void wsp_push_close_all(wsp_server *srv);      /* at teardown, after the store closed */
/* Graceful stop: read no more push lines (those read are still answered). */
void wsp_push_stop_reading(wsp_server *srv);
int  wsp_push_idle(wsp_server *srv);   /* no reply pending or unsent */
/* The one push path: outbox (or Redis in cluster mode: *pend) + counting
 * (push_lines is the caller's). */
int  wsp_push_do(wsp_server *srv, const wsp_key *key, const char *payload, size_t len,
                 int *written, uint64_t *ticket, wsp_pending **pend);
/* One push line -> static reply text ("ok\n"...) and the store ticket; in
 * cluster mode NULL and *pend (the reply Redis decides; the caller owns one
 * reference). */
const char *wsp_push_handle_line(wsp_server *srv, const char *line, size_t len,
                                 uint64_t *ticket, wsp_pending **pend);

/* outbox.c */
/* Close code for a connection that fell behind what the outbox still holds
 * (application range 4000-4999, RFC 6455 7.4.2): reconnect and refetch. */
#define WSP_WS_CLOSE_FELL_BEHIND 4001
int  wsp_keytab_init(wsp_keytab *t);
/* durable.c: the store's answers on the loop (see there). */
int  wsp_durable_init(wsp_server *srv);
void wsp_durable_free(wsp_server *srv);
void wsp_durable_report(wsp_server *srv, uint64_t upto, int err);   /* store thread */
void wsp_durable_take(wsp_server *srv);
int  wsp_ticket_failed(const wsp_server *srv, uint64_t ticket);
void wsp_durable_answered(wsp_server *srv);
/* The pushes with tickets in (from, upto] were not stored: with the
 * batch/always policies (answered "fail") they leave the outbox. */
void wsp_outbox_fail(wsp_server *srv, uint64_t from, uint64_t upto);
void wsp_keytab_free(wsp_server *srv);
wsp_keyrec *wsp_key_find(wsp_server *srv, const char *id, size_t id_len);
wsp_keyrec *wsp_key_get(wsp_server *srv, const char *id, size_t id_len);
void wsp_key_maybe_release(wsp_server *srv, wsp_keyrec *k);
/* Append a push for key; writes it to live connections. Returns 0 and sets
 * *written (1 when at least one live connection took it) and *ticket. */
int  wsp_outbox_push(wsp_server *srv, const wsp_key *key, const char *payload,
                     size_t len, int *written, uint64_t *ticket);
int  wsp_outbox_load_cb(void *arg, const char *key_id, size_t key_len, wsp_store_ref ref,
                        int64_t push_ms, uint32_t tries, const char *payload, size_t len);
void wsp_outbox_bind(wsp_wsconn *c, wsp_keyrec *k);
void wsp_outbox_unbind(wsp_wsconn *c, int broken);
void wsp_outbox_pump(wsp_wsconn *c);
/* Bytes of a server frame header for a payload of n bytes. */
static inline size_t wsp_ws_frame_header_len(size_t n)
{
    return n < 126 ? 2 : n <= 0xFFFF ? 4 : 10;
}
/* 1 when k has a live connection here: open, and its output plus extra
 * bytes (pushes on their way through Redis) under its cap. */
int  wsp_outbox_key_live(const wsp_keyrec *k, size_t extra);
void wsp_outbox_confirm(wsp_wsconn *c, uint64_t upto, const char *how);
void wsp_outbox_expire(wsp_server *srv);
/* Cluster mode: the mirror of a key's outbox in Redis (cluster.c feeds it). */
typedef struct wsp_mirror_entry {
    uint64_t seq; int64_t push_ms; const char *payload; size_t len;
} wsp_mirror_entry;
void wsp_outbox_mirror_begin(wsp_server *srv, wsp_keyrec *k);
void wsp_outbox_mirror_loaded(wsp_server *srv, wsp_keyrec *k, const wsp_mirror_entry *e,
                              size_t n, uint64_t next_seq);
void wsp_outbox_mirror_add(wsp_server *srv, wsp_keyrec *k, uint64_t seq, int64_t push_ms,
                           const char *payload, size_t len);
void wsp_outbox_mirror_trim(wsp_server *srv, wsp_keyrec *k, uint64_t upto);
void wsp_outbox_mirror_remove(wsp_server *srv, wsp_keyrec *k, uint64_t seq);

#endif
