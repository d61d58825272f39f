/*
 * wsp.h - the public API of the WsPush core.
 *
 * The core is plain C (libevent, json-c, pthreads): it never includes PHP
 * headers, so it can be unit-tested, fuzzed and benchmarked on its own.
 * A wsp_server owns one background thread running a libevent loop with the
 * WebSocket listener and the push (line) listener. Every function here is
 * safe to call from any thread other than the loop thread; they hand work
 * to the loop through a locked queue and a wakeup, and wait for the answer.
 *
 * Errors: functions return WSP_OK (0) or a negative wsp_err; a message is
 * written into the caller's errbuf (when given) or kept on the server
 * (wsp_server_errstr).
 */
#ifndef WSP_H
#define WSP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WSP_VERSION "0.1.0"

typedef enum wsp_err {
    WSP_OK = 0,
    WSP_ERR_OPTION = -1,   /* unknown option or bad value */
    WSP_ERR_LISTEN = -2,   /* bind/listen failed */
    WSP_ERR_STORE = -3,    /* store could not be opened / written */
    WSP_ERR_STATE = -4,    /* not started, already started, stopping */
    WSP_ERR_NOMEM = -5,
    WSP_ERR_IO = -6,       /* socket error, timeout (client) */
    WSP_ERR_FAIL = -7,     /* push refused ("fail"): bad key or payload */
    WSP_ERR_THREAD = -8,
    WSP_ERR_AUTH = -9,     /* push token refused (client) */
} wsp_err;

typedef enum wsp_fsync_policy {
    WSP_FSYNC_BATCH = 0,   /* reply after the group commit (write+fsync) holding the push */
    WSP_FSYNC_ALWAYS,      /* one fsync per push, no grouping */
    WSP_FSYNC_EVERYSEC,    /* reply at once; fsync about once a second */
    WSP_FSYNC_OFF,         /* reply at once; the OS decides */
} wsp_fsync_policy;

typedef enum wsp_log_level {
    WSP_LOG_DEBUG = 0, WSP_LOG_INFO, WSP_LOG_WARN, WSP_LOG_ERROR,
} wsp_log_level;

typedef enum wsp_log_format {
    WSP_LOG_TEXT = 0,      /* "time event conn= key= seq= result= content=" */
    WSP_LOG_JSON,          /* one JSON object per line (docs/logs.md) */
} wsp_log_format;

/* io_uring for the flush pass's socket writes (send_batch.h): auto uses it
 * when the build and the kernel allow, on makes its absence a start error,
 * off sends with plain send()s. */
typedef enum wsp_uring_mode {
    WSP_URING_AUTO = 0, WSP_URING_ON, WSP_URING_OFF
} wsp_uring_mode;

/* Options (README, "Options"). Strings are owned by the config (strdup'd by
 * wsp_config_set, freed by wsp_config_free). */
typedef struct wsp_config {
    char   *ws_listen;          /* "0.0.0.0:5001" */
    char   *push_listen;        /* "127.0.0.1:5002" */
    double  heartbeat_timeout;  /* seconds, 12 */
    int     retry_max;          /* 5 */
    double  ttl;                /* seconds, 3600 */
    int     queue_limit;        /* 2000 per key */
    size_t  max_frame;          /* 1 MiB: frame and message limit */
    size_t  max_line;           /* 1 MiB: push line limit */
    size_t  max_output;         /* per WebSocket connection output cap, 4 MiB */
    char   *store;              /* "file" | "memory" | "redis://..." */
    char   *data_dir;           /* "runtime/wspush" */
    wsp_fsync_policy fsync;
    char   *log_file;           /* "runtime/logs/workman.log"; "" disables */
    char   *close_log_file;     /* "runtime/logs/workman_close.log"; "" disables */
    wsp_log_level log_level;
    double  ping_fallback_after;/* seconds of unanswered pings before TCP fallback, 30 */
    /* Hostile-client limits (each logged and counted in wsp_stats when it bites). */
    double  handshake_timeout;  /* seconds for the whole HTTP upgrade request, 5 */
    double  message_timeout;    /* seconds a fragmented/partial message may take, 30 */
    int     max_connections;    /* WebSocket connections in total, 100000 */
    int     max_connections_per_ip; /* WebSocket connections per client address, 1000 */
    size_t  poll_queue_bytes;   /* bytes of events held for poll(), 16 MiB */
    double  push_idle_timeout;  /* seconds a push connection may stay silent, 300 */
    char   *push_token;         /* NULL, or a push connection must send "AUTH <token>" first */
    int     push_insecure;      /* 1: push_listen may be non-loopback without push_token */
    char   *auth_secret;        /* NULL, or WebSocket clients prove their key (auth_sig.h) */
    char   *allowed_origins;    /* NULL, or comma-separated Origins; any other gets 403 */
    char   *ws_tls_cert;        /* PEM certificate chain: ws_listen speaks wss:// */
    char   *ws_tls_key;         /* PEM private key for ws_tls_cert */
    /* operations (docs/operations.md) */
    double  drain_seconds;      /* graceful stop on SIGTERM/SIGINT (Server::run), 5 */
    wsp_log_format log_format;  /* text */
    char   *metrics_listen;     /* "" = /metrics on the WS port, loopback peers only */
    wsp_uring_mode io_uring;    /* auto: the flush pass's writes in one io_uring_enter() when it can */
} wsp_config;

/* Fill *cfg with the defaults. Strings are malloc'd (free with
 * wsp_config_free). If an allocation fails that string stays NULL, and
 * wsp_config_copy (so wsp_server_new) fails with WSP_ERR_NOMEM on a config
 * whose required strings (listens, store, data_dir, log files) are NULL. */
void wsp_config_init(wsp_config *cfg);
/* Set one option by its name in README "Options" ("ws_listen", "heartbeat_timeout", ...)
 * from its text form. Returns WSP_OK or WSP_ERR_OPTION with a message. */
int  wsp_config_set(wsp_config *cfg, const char *name, const char *value,
                    char *errbuf, size_t errlen);
/* Free the strings (the struct itself is the caller's); leaves every
 * pointer NULL, so calling it twice is harmless. NULL-safe. */
void wsp_config_free(wsp_config *cfg);
/* Deep copy src into dst (dst is overwritten, not freed first). Returns
 * WSP_OK, or WSP_ERR_NOMEM (also for a src missing a required string, see
 * wsp_config_init) with dst left zeroed (nothing to free). */
int  wsp_config_copy(wsp_config *dst, const wsp_config *src);
/* Split a listen address "HOST:PORT" ("[::1]:5002" for IPv6) into host
 * (copied into host[hostlen], brackets removed) and port (0-65535, 0 = any
 * free port). Returns WSP_OK or WSP_ERR_OPTION with a message. Shared by
 * the config validation, the listeners and the push client. */
int  wsp_addr_split(const char *addr, char *host, size_t hostlen, int *port,
                    char *errbuf, size_t errlen);

typedef struct wsp_server wsp_server;

/* Create a server from cfg (copied; the caller keeps cfg). NULL on OOM. */
wsp_server *wsp_server_new(const wsp_config *cfg);
/* Open the store, bind both listeners, start the loop thread. Returns once
 * listening, or an error (message in errbuf). */
int  wsp_server_start(wsp_server *srv, char *errbuf, size_t errlen);
/* Graceful stop: stop accepting, give connections up to drain_seconds to
 * receive what is buffered and confirm, flush the store, join the thread.
 * Idempotent. */
int  wsp_server_stop(wsp_server *srv, double drain_seconds);
/* Stop if running and free everything.
 * fork(): in a child of the process running the server, the server is not
 * running (its threads stayed in the parent): every call returns
 * WSP_ERR_STATE, stop does nothing and free frees nothing. The child has
 * closed its copies of the server's sockets and store lock at the fork, so
 * the parent can stop, restart and close connections as if it had not
 * forked. */
void wsp_server_free(wsp_server *srv);
/* Actual bound ports (useful with port 0). 0 when not listening. */
int  wsp_server_ws_port(wsp_server *srv);
int  wsp_server_push_port(wsp_server *srv);

/* Push like one line on the push port, with key = uid (string form) and
 * payload = the line to deliver (the FunctionType transform is applied as
 * for a line {"uid":key,...} only when payload is such a JSON object line).
 * Returns WSP_OK and sets *queued (0 = "ok", 1 = "queued"), or
 * WSP_ERR_FAIL (bad key), WSP_ERR_STATE (not running), WSP_ERR_STORE. */
int  wsp_server_push(wsp_server *srv, const char *key, size_t key_len,
                     const char *payload, size_t payload_len, int *queued,
                     char *errbuf, size_t errlen);
/* Same as one line on the push port. *reply gets "ok"/"queued"/"fail". */
int  wsp_server_push_line(wsp_server *srv, const char *line, size_t len,
                          const char **reply);
/* 1 when the key has a live bound connection, 0 if not, <0 on error. */
int  wsp_server_is_online(wsp_server *srv, const char *key, size_t key_len);

/* Why WebSocket connections closed (wsp_stats.closed_by_reason). */
typedef enum wsp_close_reason {
    WSP_CLOSE_R_CLIENT = 0,     /* the client sent a Close */
    WSP_CLOSE_R_PEER,           /* TCP closed or reset by the peer */
    WSP_CLOSE_R_TIMEOUT,        /* heartbeat_timeout */
    WSP_CLOSE_R_PROTOCOL,       /* bad frame, bad UTF-8, frame too big */
    WSP_CLOSE_R_HANDSHAKE,      /* bad opening handshake */
    WSP_CLOSE_R_SHUTDOWN,       /* server stop (1001) */
    WSP_CLOSE_R_WRITE_ERROR,
    WSP_CLOSE_R_OOM,
    WSP_CLOSE_R_HTTP,           /* a /metrics or /healthz request answered */
    WSP_CLOSE_R_BEHIND,         /* 4001: fell behind what the outbox holds */
    WSP_CLOSE_R_AUTH,           /* 1008: auth_secret refused the signature or key */
    WSP_CLOSE_R_TLS,            /* the TLS handshake or a TLS record failed */
    WSP_CLOSE_R_OTHER,
    WSP_CLOSE_NREASONS
} wsp_close_reason;
/* "client", "peer", ... (the label of wspush_closes_total). */
const char *wsp_close_reason_name(int reason);
/* Upper bounds of the store commit latency histogram, seconds. */
#define WSP_COMMIT_BOUNDS 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10
#define WSP_COMMIT_NBUCKETS 14   /* the bounds above and +Inf */

typedef struct wsp_stats {
    uint64_t connections;       /* open WebSocket connections */
    uint64_t bound;             /* of those, bound to a key */
    uint64_t keys;              /* keys with a connection or an outbox */
    uint64_t outbox_depth;      /* messages held, all keys */
    uint64_t outbox_bytes;      /* payload bytes held in memory */
    uint64_t store_bytes;       /* bytes the store uses on disk (0 for memory) */
    double   oldest_age;        /* seconds since the oldest held push, 0 if none */
    uint64_t push_lines, push_ok, push_queued, push_fail;
    uint64_t delivered_writes;  /* message frames written */
    uint64_t confirmed;         /* messages confirmed */
    uint64_t replayed;          /* message frames written as replay */
    uint64_t dropped_retry, dropped_queue_limit, expired;
    uint64_t fallback_connections;
    uint64_t closed_timeout, closed_protocol;
    uint64_t closed_behind;     /* closed 4001: fell behind what the outbox holds */
    uint64_t log_dropped;
    uint64_t events_dropped;    /* poll() events dropped: nobody polled */
    uint64_t store_errors;
    uint64_t load_renumbered;   /* loaded records whose seq was not above their key's previous one */
    /* limits that bit (issue 14) */
    uint64_t closed_handshake_timeout; /* request head not complete in handshake_timeout */
    uint64_t closed_message_timeout;   /* a message not complete in message_timeout */
    uint64_t output_paused;     /* times a connection stopped being read: output over max_output */
    uint64_t output_held;       /* times a busy pass held a connection's small output back (ws_conn.c) */
    uint64_t rejected_max_connections, rejected_per_ip;
    uint64_t rejected_fd_limit; /* connections shed at the descriptor limit (EMFILE/ENFILE) */
    uint64_t closed_push_idle;  /* push connections closed after push_idle_timeout */
    uint64_t push_auth_failed;  /* push connections refused: missing or wrong push_token */
    uint64_t ws_auth_refused;   /* WebSocket connections closed 1008: signature or key mismatch */
    uint64_t origin_refused;    /* handshakes answered 403: Origin not in allowed_origins */
    /* operations (core/metrics.c; /metrics shows every field) */
    uint64_t conns_handshake;   /* connections by state: before the 101 */
    uint64_t conns_unbound;     /* open, no key yet */
    uint64_t conns_web;         /* open, bound to a web key ("5") */
    uint64_t conns_client;      /* open, bound to an add-in (client) key */
    uint64_t conns_closing;     /* close sent, flushing */
    uint64_t retried;           /* unconfirmed messages kept for replay after a broken connection */
    uint64_t closed_by_reason[WSP_CLOSE_NREASONS];   /* names: wsp_close_reason_name */
    uint64_t commit_count;      /* store commits a push waited for */
    double   commit_seconds_sum;
    uint64_t commit_buckets[WSP_COMMIT_NBUCKETS];    /* per bucket, not cumulative */
    double   loop_lag_seconds;  /* worst timer lateness over the last 10-20 s */
    uint64_t log_reopens;       /* SIGUSR1 / SIGHUP / wsp_server_reopen_logs */
    uint64_t socket_writes;     /* socket writes made by the flush pass (replies, frames) */
    uint64_t write_calls;       /* the system calls they took (fewer with io_uring) */
    int      io_uring;          /* 1: the flush pass writes through io_uring */
    int      healthy;           /* 1 serving; 0 stopping or the store failing */
    int      stopping;
    int      store_failing;     /* the store's last commit failed */
    /* cluster mode (store = redis://), 0 otherwise */
    uint64_t redis_up;          /* 1 while connected to Redis */
    uint64_t redis_disconnects; /* times Redis became unreachable */
    uint64_t redis_errors;      /* error replies from Redis */
    uint64_t cluster_nodes;     /* live nodes, this one included */
    uint64_t cluster_connections, cluster_bound;   /* over all live nodes */
} wsp_stats;
int  wsp_server_stats(wsp_server *srv, wsp_stats *out);

/* ---- lifecycle for the process owner (Server::run, bin/wspush serve) ----
 * The core installs no signal handlers: the owner waits for signals (the
 * ext blocks them and uses sigwaitinfo) and calls these, from any thread
 * but the loop thread. */

/* Reopen both log files (logrotate's postrotate: SIGUSR1). Lines queued
 * before the call go to the old file, later ones to the new. Returns
 * WSP_OK or WSP_ERR_STATE when not running. */
int  wsp_server_reopen_logs(wsp_server *srv);
/* Begin a graceful stop and return at once: stop accepting connections and
 * reading push lines, give connections up to drain_seconds (< 0: the
 * drain_seconds option) to receive and confirm what they were written, then
 * close them with 1001, answer every push line already read once the store
 * committed it, and end the loop. Calling it again can only shorten the
 * drain (0 = now: what a second SIGTERM does). Follow with
 * wsp_server_wait_stopped and wsp_server_stop (which commits the store).
 * Returns WSP_OK, or WSP_ERR_STATE when not running. */
int  wsp_server_stop_request(wsp_server *srv, double drain_seconds);
/* Wait up to timeout seconds for the loop to end after a stop request.
 * 1 when it ended (or never ran), 0 on timeout. */
int  wsp_server_wait_stopped(wsp_server *srv, double timeout);
/* Keep (1, the default) or discard (0) events for wsp_server_poll. A
 * process that never polls (Server::run) turns them off so they do not
 * pile up. */
void wsp_server_set_events(wsp_server *srv, int on);
/* Port of the metrics_listen listener, 0 when there is none. */
int  wsp_server_metrics_port(wsp_server *srv);

/* Events offered to PHP (docs/protocol.md §4). */
typedef enum wsp_event_type {
    WSP_EV_BIND = 1, WSP_EV_MESSAGE = 2, WSP_EV_CLOSE = 3,
} wsp_event_type;
typedef struct wsp_event {
    wsp_event_type type;
    uint64_t conn_id;
    char    *key;    size_t key_len;    /* the bound key (display form), may be NULL */
    char    *data;   size_t data_len;   /* message text, or close reason */
    int      is_web;                    /* key kind */
} wsp_event;
/* Wait up to timeout seconds (0 = don't wait) for the next event.
 * Returns 1 and fills *ev (free with wsp_event_clear), 0 when none. */
int  wsp_server_poll(wsp_server *srv, double timeout, wsp_event *ev);
void wsp_event_clear(wsp_event *ev);

const char *wsp_server_errstr(wsp_server *srv);

/* ---- push client (used by WsPush\Client; plain blocking socket) ---- */
typedef struct wsp_client wsp_client;
/* address "tcp://host:port" or "host:port" ("[::1]:5002" for IPv6; host
 * names resolved with getaddrinfo, which has no timeout). timeout: seconds
 * for the connect and for each wait on the socket (not the whole call);
 * <= 0 waits forever. Connects lazily, on the first send. Returns NULL only
 * when out of memory; an invalid address makes every send fail with
 * WSP_ERR_IO and the reason in wsp_client_errstr. Free with wsp_client_free. */
wsp_client *wsp_client_new(const char *address, double timeout);
/* Same, but an invalid address is reported now: WSP_ERR_OPTION (message in
 * errbuf), WSP_ERR_NOMEM, or WSP_OK with *out set. */
int  wsp_client_new_ex(const char *address, double timeout, wsp_client **out,
                       char *errbuf, size_t errlen);
void wsp_client_free(wsp_client *c);
/* Authenticate every new connection with "AUTH <token>" (the server's
 * push_token) before its first line; token[0..len) is copied, NULL clears
 * it. Returns WSP_OK, WSP_ERR_OPTION (empty, or a line break inside) or
 * WSP_ERR_NOMEM. A refused token makes wsp_client_send_lines fail with
 * WSP_ERR_AUTH (nothing was pushed). */
int  wsp_client_set_token(wsp_client *c, const char *token, size_t len);
/* Send n lines (no newline inside) pipelined, read n replies into replies[i]
 * (static strings "ok" / "queued" / "fail"). Reconnects once if the cached
 * connection turns out dead before anything was written.
 * Returns WSP_OK or WSP_ERR_IO (WSP_ERR_NOMEM when out of memory; message
 * via wsp_client_errstr). Details: a line containing '\n' is answered "fail" without being sent.
 * When the server closes after a "fail" (a line over its max_line), the
 * lines after it, which it never read, are sent on a new connection. On
 * WSP_ERR_IO, replies[i] is set for the lines answered before the error and
 * NULL for the others (those may or may not have been pushed). After any
 * "fail" the connection is dropped and the next call reconnects.
 * Not thread-safe: one client per thread. */
int  wsp_client_send_lines(wsp_client *c, const char *const *lines,
                           const size_t *lens, size_t n, const char **replies);
const char *wsp_client_errstr(wsp_client *c);
/* 1 when the last wsp_client_send_lines() sent a first line on a new
 * connection without a token and it was answered "fail": a bad line, or a
 * server with push_token (it answers that way, then closes). */
int  wsp_client_first_line_failed(const wsp_client *c);

#ifdef __cplusplus
}
#endif
#endif
