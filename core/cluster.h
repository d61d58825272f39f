/*
 * cluster.h - cluster mode (store = redis://..., docs/cluster.md): the loop
 * thread's side of Redis. Redis holds every key's outbox, its sequence and
 * its presence; each node mirrors, in the ordinary outbox structures of
 * outbox.c, the keys it holds connections of.
 *
 * Threading: wsp_cluster_open and wsp_cluster_close run on the thread that
 * starts/stops the server while the loop thread is not running; everything
 * else runs on the loop thread. No call here blocks the loop: Redis is
 * spoken to through hiredis' asynchronous API and its libevent adapter.
 */
#ifndef WSP_CLUSTER_H
#define WSP_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

struct wsp_server;
struct wsp_keyrec;
struct wsp_cmd;
struct wsp_key;
typedef struct wsp_cluster wsp_cluster;

/* A push reply whose text Redis decides. Two references: the waiter (a
 * push connection's reply queue, or a PHP call) and the Redis request.
 * text is NULL until Redis answered (or failed): then "ok\n", "queued\n"
 * or "fail\n", and the server's durable event is activated so waiters are
 * released in order. */
typedef struct wsp_pending {
    int refs;
    const char *text;
    struct wsp_cmd *cmd;     /* the PHP call waiting for it, or NULL */
} wsp_pending;
void wsp_pending_put(wsp_pending *p);

/* A parsed store URL: redis://[:PASSWORD@]HOST[:PORT][/DB][?prefix=P&timeout=S]
 * (cluster_url.c). password may be NULL; prefix defaults to "wsp:". */
typedef struct wsp_redis_url {
    char host[256];
    int port, db;                  /* 6379, 0 */
    char *password, *prefix;       /* malloc'd: wsp_redis_url_free */
    int64_t timeout_ms;            /* 2000 */
} wsp_redis_url;
/* Returns 0 and fills *u, or -1 with a message (nothing to free then). */
int  wsp_redis_url_parse(const char *url, wsp_redis_url *u, char *errbuf, size_t errlen);
void wsp_redis_url_free(wsp_redis_url *u);
/* Check a redis:// store URL's syntax (config.c, when the option is set).
 * Returns 0, or -1 with a message. */
int  wsp_cluster_check_url(const char *url, char *errbuf, size_t errlen);
/* Parse and check the URL, connect once synchronously (from the starting
 * thread) to check address, password, database, Redis version and scripts,
 * then set up the asynchronous connections on srv->base. Returns 0, or -1
 * with a message (also when the build has no hiredis). */
int  wsp_cluster_open(struct wsp_server *srv, char *errbuf, size_t errlen);
/* After the loop stopped: close the connections (waiters still pending are
 * answered "fail") and tell Redis this node is gone. NULL-safe. */
void wsp_cluster_close(struct wsp_server *srv);
/* No Redis command outstanding (graceful stop waits for confirmations). */
int  wsp_cluster_idle(struct wsp_server *srv);

/* Push payload to key. Returns a pending reply (one reference is the
 * caller's), or NULL when Redis is unreachable (answer "fail" now). */
wsp_pending *wsp_cluster_push(struct wsp_server *srv, const struct wsp_key *key,
                              const char *payload, size_t len);
/* First connection of k on this node: join the key's presence and load its
 * backlog into the mirror (k->cl_loading until it is in). */
void wsp_cluster_attach(struct wsp_server *srv, struct wsp_keyrec *k);
/* Whether k has a live connection here (not over its output cap): a push
 * is "ok" only when some node has one. */
void wsp_cluster_set_live(struct wsp_server *srv, struct wsp_keyrec *k, int live);
/* Last connection of k on this node went: leave the key's presence. */
void wsp_cluster_detach(struct wsp_server *srv, struct wsp_keyrec *k);
/* A connection confirmed k's messages up to upto (already dropped from the
 * mirror): remove them from Redis and tell the other nodes. */
void wsp_cluster_confirm(struct wsp_server *srv, struct wsp_keyrec *k, uint64_t upto);
/* A connection of k broke with messages from..to written, unconfirmed:
 * count a try for each; those out of tries are dropped (logged, counted). */
void wsp_cluster_retry(struct wsp_server *srv, struct wsp_keyrec *k, uint64_t from,
                       uint64_t to);
/* Server::isOnline / stats: answer c later (wsp_cmd_finish) from Redis.
 * Return 1 when deferred, 0 when c was answered from local state (Redis
 * down: online from this node only; stats without cluster totals). */
int  wsp_cluster_online(struct wsp_server *srv, struct wsp_cmd *c, const char *id, size_t id_len);
int  wsp_cluster_stats(struct wsp_server *srv, struct wsp_cmd *c);
/* Put the cluster figures last read from Redis (every second, and at each
 * wsp_cluster_stats) into s: outbox depth, oldest age, keys, cluster_*.
 * No-op outside cluster mode. */
struct wsp_stats;
void wsp_cluster_stats_cached(struct wsp_server *srv, struct wsp_stats *s);

#endif
