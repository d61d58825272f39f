/*
 * cluster.c - cluster mode (store = redis://..., docs/cluster.md): the
 * connection to Redis, the scripts that push, attach, confirm, retry and
 * expire, the notices other nodes send on this node's channel, and the
 * outage handling (fail pushes, reconnect with backoff, resync mirrors).
 *
 * Two hiredis asynchronous connections on the loop's event base: `cmd`
 * carries every command (in order, so a key's attach, confirm and detach
 * apply in the order the loop issued them) and `sub` is subscribed to this
 * node's channel. Either failing, or a command unanswered for `timeout`,
 * takes both down; a timer reconnects with backoff. hiredis calls every
 * outstanding callback with a NULL reply when a connection is freed, which
 * is how pushes in flight get "fail".
 */
#include <stdlib.h>
#include <string.h>

#include "server_internal.h"
#include "cluster.h"
#include "errbuf.h"

/* The store table's entry for "redis://" (store.h): selects cluster mode.
 * Listed in store.c only when the build has hiredis. */
const wsp_store_ops wsp_store_redis_ops = { .name = "redis://" };

void wsp_pending_put(wsp_pending *p)
{
    if (p && --p->refs == 0) free(p);
}

#ifndef WSP_HAVE_HIREDIS

int wsp_cluster_open(wsp_server *srv, char *errbuf, size_t errlen)
{
    wsp_errf(errbuf, errlen, "store \"%s\": this build has no Redis support "
             "(built without hiredis; install libhiredis-dev and rebuild)", srv->cfg.store);
    return -1;
}
void wsp_cluster_close(wsp_server *srv) {}
int  wsp_cluster_idle(wsp_server *srv) { return 1; }
wsp_pending *wsp_cluster_push(wsp_server *srv, const wsp_key *key, const char *payload,
                              size_t len) { return NULL; }
void wsp_cluster_attach(wsp_server *srv, wsp_keyrec *k) {}
void wsp_cluster_detach(wsp_server *srv, wsp_keyrec *k) {}
void wsp_cluster_set_live(wsp_server *srv, wsp_keyrec *k, int live) {}
void wsp_cluster_confirm(wsp_server *srv, wsp_keyrec *k, uint64_t upto) {}
void wsp_cluster_retry(wsp_server *srv, wsp_keyrec *k, uint64_t from, uint64_t to) {}
int  wsp_cluster_online(wsp_server *srv, wsp_cmd *c, const char *id, size_t id_len) { return 0; }
int  wsp_cluster_stats(wsp_server *srv, wsp_cmd *c) { return 0; }
void wsp_cluster_stats_cached(wsp_server *srv, wsp_stats *s) {}

#else

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>
#include <openssl/sha.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>

#include "cluster_scripts.h"

#define ALIVE_MS        5000   /* a node's liveness key lives this long... */
#define BEAT_MS         1000   /* ...and is refreshed this often */
#define EXPIRE_EVERY_MS 250
#define EXPIRE_BUDGET   1000   /* messages one expiry run deletes at most */
#define BACKOFF_MIN_MS  100
#define BACKOFF_MAX_MS  5000

enum { S_PUSH, S_ATTACH, S_CONFIRM, S_RETRY, S_EXPIRE, S_ONLINE, S_STATE, S_COUNT };
static const char *const scripts[S_COUNT] = {
    WSP_LUA_PUSH, WSP_LUA_ATTACH, WSP_LUA_CONFIRM, WSP_LUA_RETRY, WSP_LUA_EXPIRE,
    WSP_LUA_ONLINE, WSP_LUA_STATE,
};

enum cl_state { CL_DOWN = 0, CL_CONNECTING, CL_UP };

struct wsp_cluster {
    wsp_server *srv;
    /* from the URL */
    char addr[64];                   /* numeric, resolved at start */
    int port, db;
    char *password;
    char *prefix; size_t prefix_len;
    int64_t timeout_ms;
    char node[24];                   /* this node's id: random hex, new per connection */
    char old_node[24];               /* the id before a reconnection, to remove */
    char sha[S_COUNT][41];

    redisAsyncContext *cmd, *sub;
    enum cl_state state;
    int cmd_ready, sub_ready;
    int64_t state_since_ms;
    int64_t backoff_ms;
    unsigned pending;                /* commands outstanding on cmd */
    int64_t busy_since_ms;           /* last reply (or first send) while pending */
    int64_t last_heard_ms;           /* last notice on sub (our heartbeat at least) */
    int64_t last_beat_ms, last_expire_ms;
    int expire_running, state_running;
    int closing;
    struct event *tick_ev, *reset_ev, *reconnect_ev;

    /* cached from the last STATE reply */
    int have_state;
    uint64_t nodes, conns, bound, depth, with_msgs;
    int64_t oldest_seen_ms;          /* when it was read (our clock) */
    double oldest_age;
};

/* ---- small helpers ---- */

static wsp_cluster *CL(wsp_server *srv) { return srv->cluster; }

static char *kname(wsp_cluster *cl, const char *tag, const char *id, size_t id_len, size_t *len)
{
    size_t tl = strlen(tag);
    char *s = malloc(cl->prefix_len + tl + id_len + 1);
    if (!s) return NULL;
    memcpy(s, cl->prefix, cl->prefix_len);
    memcpy(s + cl->prefix_len, tag, tl);
    memcpy(s + cl->prefix_len + tl, id, id_len);
    s[cl->prefix_len + tl + id_len] = 0;
    *len = cl->prefix_len + tl + id_len;
    return s;
}

/* A key record for log lines about a key this node may hold no record of. */
static wsp_keyrec log_key(const char *id, size_t id_len)
{
    wsp_keyrec k;
    memset(&k, 0, sizeof(k));
    k.id = (char *)id;
    k.id_len = id_len;
    return k;
}

static void cl_fail(wsp_cluster *cl, const char *why);
static void cluster_ready(wsp_cluster *cl);
static int send_state(wsp_cluster *cl, int beat, wsp_cmd *c);

/* ---- commands on the cmd connection ---- */

typedef void (*cl_fn)(wsp_cluster *cl, redisReply *r, void *arg);
typedef struct cl_req { wsp_cluster *cl; cl_fn fn; void *arg; } cl_req;

static int is_error(const redisReply *r) { return !r || r->type == REDIS_REPLY_ERROR; }

static void cl_reply_cb(redisAsyncContext *ac, void *reply, void *priv)
{
    cl_req *q = priv;
    wsp_cluster *cl = q->cl;
    redisReply *r = reply;
    if (cl->pending) cl->pending--;
    cl->busy_since_ms = wsp_now_ms(cl->srv);
    if (r && r->type == REDIS_REPLY_ERROR && !cl->closing) {
        cl->srv->st.redis_errors++;
        wsp_log_msg(cl->srv->log, WSP_LOG_ERROR, "redis", "error reply: %.*s",
                    (int)(r->len > 200 ? 200 : r->len), r->str);
        /* A Redis that lost our scripts (SCRIPT FLUSH, failover to a replica
         * that never loaded them) or is still loading its data: reconnecting
         * loads the scripts again and waits for the data. */
        if (strncmp(r->str, "NOSCRIPT", 8) == 0 || strncmp(r->str, "LOADING", 7) == 0
            || strncmp(r->str, "READONLY", 8) == 0 || strncmp(r->str, "MASTERDOWN", 10) == 0)
            cl_fail(cl, r->str);
    }
    q->fn(cl, cl->closing ? NULL : r, q->arg);
    free(q);
}

/* Send argv on cmd. 0 sent (fn will be called exactly once), -1 not sent
 * (Redis down; fn is not called). */
static int cl_send(wsp_cluster *cl, cl_fn fn, void *arg, int argc, const char **argv,
                   const size_t *lens)
{
    if (!cl->cmd || cl->state == CL_DOWN || cl->closing) return -1;
    cl_req *q = malloc(sizeof(*q));
    if (!q) return -1;
    *q = (cl_req){ cl, fn, arg };
    if (redisAsyncCommandArgv(cl->cmd, cl_reply_cb, q, argc, argv, lens) != REDIS_OK) {
        free(q);
        return -1;
    }
    if (cl->pending++ == 0) cl->busy_since_ms = wsp_now_ms(cl->srv);
    return 0;
}

static void ignore_reply(wsp_cluster *cl, redisReply *r, void *arg) {}

/* EVALSHA script with nkeys keys then args (all as byte strings). */
static int cl_eval(wsp_cluster *cl, int script, cl_fn fn, void *arg, int nkeys, int nargs,
                   const char **v, const size_t *vl)
{
    const char *argv[16];
    size_t lens[16];
    char nk[8];
    int n = 0;
    argv[n] = "EVALSHA"; lens[n++] = 7;
    argv[n] = cl->sha[script]; lens[n++] = 40;
    snprintf(nk, sizeof(nk), "%d", nkeys);
    argv[n] = nk; lens[n++] = strlen(nk);
    for (int i = 0; i < nkeys + nargs && n < 16; i++) { argv[n] = v[i]; lens[n++] = vl[i]; }
    return cl_send(cl, fn, arg, n, argv, lens);
}

/* ---- notices on this node's channel ---- */

static int parse_u64(const char **p, const char *end, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    if (s >= end || *s < '0' || *s > '9') return -1;
    while (s < end && *s >= '0' && *s <= '9') v = v * 10 + (uint64_t)(*s++ - '0');
    *out = v;
    *p = s;
    return 0;
}

static void on_notice(wsp_cluster *cl, const char *s, size_t len)
{
    wsp_server *srv = cl->srv;
    const char *p = s, *end = s + len;
    cl->last_heard_ms = wsp_now_ms(srv);
    if (len < 1 || s[0] == 'h') return;
    char type = s[0];
    uint64_t a, b, c, idlen;
    p += 2;
    if (len < 2 || parse_u64(&p, end, &a) || p >= end || *p++ != ' '
        || parse_u64(&p, end, &b) || p >= end || *p++ != ' '
        || parse_u64(&p, end, &c) || p >= end || *p++ != ' '
        || parse_u64(&p, end, &idlen) || p >= end || *p++ != ':' || idlen > (uint64_t)(end - p)) {
        srv->st.redis_errors++;
        return;
    }
    wsp_keyrec *k = wsp_key_find(srv, p, (size_t)idlen);
    if (!k) return;   /* no connection of the key here (any more) */
    const char *payload = p + idlen;
    switch (type) {
    case 'm':
        if (c) wsp_outbox_mirror_trim(srv, k, c);
        wsp_outbox_mirror_add(srv, k, a, (int64_t)b, payload, (size_t)(end - payload));
        break;
    case 't':
        wsp_outbox_mirror_trim(srv, k, a);
        break;
    case 'x':
        wsp_outbox_mirror_remove(srv, k, a);
        break;
    }
}

static void sub_cb(redisAsyncContext *ac, void *reply, void *priv)
{
    wsp_cluster *cl = priv;
    redisReply *r = reply;
    if (!r || cl->closing || ac != cl->sub) return;
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 3) {
        if (r->type == REDIS_REPLY_ERROR) cl_fail(cl, r->str);
        return;
    }
    redisReply *kind = r->element[0], *data = r->element[2];
    if (kind->type != REDIS_REPLY_STRING) return;
    if (strcmp(kind->str, "subscribe") == 0) {
        cl->sub_ready = 1;
        cl->last_heard_ms = wsp_now_ms(cl->srv);
        cluster_ready(cl);
    } else if (strcmp(kind->str, "message") == 0 && data->type == REDIS_REPLY_STRING) {
        on_notice(cl, data->str, data->len);
    }
}

/* ---- connection state ---- */

static void resync_all(wsp_cluster *cl);

static void cluster_ready(wsp_cluster *cl)
{
    if (!cl->cmd_ready || !cl->sub_ready || cl->state != CL_CONNECTING) return;
    wsp_server *srv = cl->srv;
    cl->state = CL_UP;
    cl->state_since_ms = wsp_now_ms(srv);
    cl->backoff_ms = BACKOFF_MIN_MS;
    srv->st.redis_up = 1;
    wsp_log_msg(srv->log, WSP_LOG_INFO, "redis", "up: %s:%d db %d, node %s",
                cl->addr, cl->port, cl->db, cl->node);
    resync_all(cl);
}

static void cl_fail(wsp_cluster *cl, const char *why)
{
    if (cl->state == CL_DOWN || cl->closing) return;
    wsp_server *srv = cl->srv;
    int was_up = cl->state == CL_UP;
    cl->state = CL_DOWN;
    cl->state_since_ms = wsp_now_ms(srv);
    srv->st.redis_up = 0;
    if (was_up) srv->st.redis_disconnects++;
    wsp_log_msg(srv->log, WSP_LOG_WARN, "redis", "down (%s): pushes answer fail until it is back; "
                "retrying in %lld ms", why ? why : "connection lost", (long long)cl->backoff_ms);
    /* Tear down outside hiredis callbacks (we may be inside one). */
    event_active(cl->reset_ev, EV_TIMEOUT, 0);
}

static void free_contexts(wsp_cluster *cl)
{
    redisAsyncContext *c = cl->cmd, *s = cl->sub;
    cl->cmd = cl->sub = NULL;
    cl->cmd_ready = cl->sub_ready = 0;
    /* Outstanding callbacks run now with a NULL reply: pushes answer fail. */
    if (c) redisAsyncFree(c);
    if (s) redisAsyncFree(s);
}

static void connect_cb(const redisAsyncContext *ac, int status)
{
    wsp_cluster *cl = ac->data;
    if (status == REDIS_OK) return;
    /* hiredis frees the context after this callback. */
    if (ac == cl->cmd) cl->cmd = NULL;
    if (ac == cl->sub) cl->sub = NULL;
    cl_fail(cl, ac->errstr[0] ? ac->errstr : "connect failed");
}

static void disconnect_cb(const redisAsyncContext *ac, int status)
{
    wsp_cluster *cl = ac->data;
    if (ac != cl->cmd && ac != cl->sub) return;   /* one we freed ourselves */
    if (ac == cl->cmd) cl->cmd = NULL;
    if (ac == cl->sub) cl->sub = NULL;
    cl_fail(cl, ac->errstr[0] ? ac->errstr : "connection closed");
}

static void handshake_cb(wsp_cluster *cl, redisReply *r, void *arg)
{
    /* AUTH / SELECT / SCRIPT LOAD: any failure is a failed connection; the
     * last SCRIPT LOAD makes the command connection ready. */
    if (is_error(r)) { cl_fail(cl, r ? r->str : NULL); return; }
    if (arg == (void *)1) {
        cl->cmd_ready = 1;
        cluster_ready(cl);
    }
}

static void sub_auth_cb(redisAsyncContext *ac, void *reply, void *priv)
{
    wsp_cluster *cl = priv;
    redisReply *r = reply;
    if (cl->closing || ac != cl->sub) return;
    if (is_error(r)) cl_fail(cl, r ? r->str : NULL);
}

static redisAsyncContext *open_ctx(wsp_cluster *cl)
{
    redisAsyncContext *ac = redisAsyncConnect(cl->addr, cl->port);
    if (!ac) return NULL;
    if (ac->err) { redisAsyncFree(ac); return NULL; }
    ac->data = cl;
    if (redisLibeventAttach(ac, cl->srv->base) != REDIS_OK) { redisAsyncFree(ac); return NULL; }
    redisAsyncSetConnectCallback(ac, connect_cb);
    redisAsyncSetDisconnectCallback(ac, disconnect_cb);
    return ac;
}

/* A node id: random hex. A node takes a new one on every (re)connection, so
 * presence entries it could not remove while Redis was away belong to an
 * id whose channel nobody listens to: the next push to such a key drops
 * them (PUBLISH reaches nobody), and they never make a push "ok". */
static void new_node_id(wsp_cluster *cl)
{
    unsigned char rnd[8];
    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
        uint64_t x = (uint64_t)wsp_now_ms(cl->srv) ^ ((uint64_t)getpid() << 32) ^ (uintptr_t)cl
                     ^ (uint64_t)cl->backoff_ms;
        memcpy(rnd, &x, sizeof(rnd));
    }
    for (int i = 0; i < 8; i++) snprintf(cl->node + 2 * i, 3, "%02x", rnd[i]);
}

/* Commands queued on a connecting context are written once it connects:
 * AUTH and SELECT go first, so everything after runs authenticated in db. */
static void cl_connect(wsp_cluster *cl)
{
    cl->state = CL_CONNECTING;
    cl->state_since_ms = wsp_now_ms(cl->srv);
    cl->pending = 0;
    cl->cmd = open_ctx(cl);
    cl->sub = open_ctx(cl);
    if (!cl->cmd || !cl->sub) { cl_fail(cl, "cannot create a connection"); return; }
    char db[16];
    snprintf(db, sizeof(db), "%d", cl->db);
    if (cl->password) {
        const char *a[] = { "AUTH", cl->password };
        size_t al[] = { 4, strlen(cl->password) };
        cl_send(cl, handshake_cb, NULL, 2, a, al);
        redisAsyncCommandArgv(cl->sub, sub_auth_cb, cl, 2, a, al);
    }
    if (cl->db) {
        const char *a[] = { "SELECT", db };
        size_t al[] = { 6, strlen(db) };
        cl_send(cl, handshake_cb, NULL, 2, a, al);
        redisAsyncCommandArgv(cl->sub, sub_auth_cb, cl, 2, a, al);
    }
    for (int i = 0; i < S_COUNT; i++) {
        const char *a[] = { "SCRIPT", "LOAD", scripts[i] };
        size_t al[] = { 6, 4, strlen(scripts[i]) };
        cl_send(cl, handshake_cb, i == S_COUNT - 1 ? (void *)1 : NULL, 3, a, al);
    }
    if (cl->old_node[0]) {
        /* The previous id's liveness goes (its presence entries clean
         * themselves, see new_node_id). */
        char k[160];
        int kl = snprintf(k, sizeof(k), "%snode:%s", cl->prefix, cl->old_node);
        const char *a[] = { "DEL", k };
        size_t al[] = { 3, (size_t)kl };
        cl_send(cl, ignore_reply, NULL, 2, a, al);
        kl = snprintf(k, sizeof(k), "%snodes", cl->prefix);
        const char *b[] = { "SREM", k, cl->old_node };
        size_t bl[] = { 4, (size_t)kl, strlen(cl->old_node) };
        cl_send(cl, ignore_reply, NULL, 3, b, bl);
        cl->old_node[0] = 0;
    }
    /* Liveness first: pushes queued behind it count this node as live. */
    cl->last_beat_ms = wsp_now_ms(cl->srv);
    if (send_state(cl, 1, NULL) == 0) cl->state_running = 1;
    size_t chl;
    char *ch = kname(cl, "ch:", cl->node, strlen(cl->node), &chl);
    if (!ch) { cl_fail(cl, "out of memory"); return; }
    const char *a[] = { "SUBSCRIBE", ch };
    size_t al[] = { 9, chl };
    redisAsyncCommandArgv(cl->sub, sub_cb, cl, 2, a, al);
    free(ch);
}

static void reset_cb(evutil_socket_t fd, short what, void *arg)
{
    wsp_cluster *cl = arg;
    free_contexts(cl);
    if (cl->closing) return;
    struct timeval tv = { cl->backoff_ms / 1000, (cl->backoff_ms % 1000) * 1000 };
    event_add(cl->reconnect_ev, &tv);
    cl->backoff_ms = cl->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : cl->backoff_ms * 2;
}

static void reconnect_cb(evutil_socket_t fd, short what, void *arg)
{
    wsp_cluster *cl = arg;
    if (cl->closing || cl->state != CL_DOWN) return;
    if (!cl->old_node[0]) memcpy(cl->old_node, cl->node, sizeof(cl->node));
    new_node_id(cl);
    cl_connect(cl);
}

/* ---- pushes ---- */

typedef struct push_req {
    wsp_pending *pend;
    size_t id_len;
    size_t content_len;              /* kept for the log line, cut to 200 */
    char data[];                     /* id, then content */
} push_req;

static const char TXT_OK[] = "ok\n", TXT_QUEUED[] = "queued\n", TXT_FAIL[] = "fail\n";

static void log_drops(wsp_cluster *cl, const char *id, size_t id_len, const redisReply *arr,
                      size_t from, size_t step, const char *event, const char *reason,
                      uint64_t *counter, int drop_local)
{
    /* arr: [.. eid, payload ..] pairs (step 2) or [id, eid, payload] (step 3). */
    wsp_server *srv = cl->srv;
    for (size_t i = from; i + step - 1 < arr->elements; i += step) {
        const redisReply *kid = step == 3 ? arr->element[i] : NULL;
        const redisReply *eid = arr->element[i + step - 2], *pl = arr->element[i + step - 1];
        if (eid->type != REDIS_REPLY_STRING || pl->type != REDIS_REPLY_STRING) continue;
        const char *kidp = kid ? kid->str : id;
        size_t kidl = kid ? kid->len : id_len;
        uint64_t seq = strtoull(eid->str, NULL, 10);
        wsp_keyrec lk = log_key(kidp, kidl);
        wsp_log_ev(srv, WSP_LOG_WARN, event, 0, &lk, seq, seq, reason, pl->str, pl->len);
        (*counter)++;
        if (drop_local) {
            wsp_keyrec *k = wsp_key_find(srv, kidp, kidl);
            if (k) wsp_outbox_mirror_remove(srv, k, seq);
        }
    }
}

static void push_cb(wsp_cluster *cl, redisReply *r, void *arg)
{
    push_req *q = arg;
    wsp_server *srv = cl->srv;
    const char *text = TXT_FAIL;
    uint64_t seq = 0;
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 3
        && r->element[0]->type == REDIS_REPLY_INTEGER && r->element[1]->type == REDIS_REPLY_INTEGER) {
        seq = (uint64_t)r->element[0]->integer;
        text = r->element[1]->integer > 0 ? TXT_OK : TXT_QUEUED;
        if (r->element[2]->type == REDIS_REPLY_ARRAY && r->element[2]->elements)
            log_drops(cl, q->data, q->id_len, r->element[2], 0, 2, "drop", "queue_limit",
                      &srv->st.dropped_queue_limit, 0);
    }
    if (text == TXT_OK) srv->st.push_ok++;
    else if (text == TXT_QUEUED) srv->st.push_queued++;
    else srv->st.push_fail++;
    wsp_keyrec lk = log_key(q->data, q->id_len);
    wsp_log_ev(srv, text == TXT_FAIL ? WSP_LOG_WARN : WSP_LOG_INFO, "push", 0, &lk, seq, seq,
               text == TXT_OK ? "ok" : text == TXT_QUEUED ? "queued" : "fail (redis)",
               q->data + q->id_len, q->content_len);
    q->pend->text = text;
    wsp_pending_put(q->pend);
    free(q);
    if (srv->durable_ev) event_active(srv->durable_ev, EV_TIMEOUT, 0);
}

wsp_pending *wsp_cluster_push(wsp_server *srv, const wsp_key *key, const char *payload,
                              size_t len)
{
    wsp_cluster *cl = CL(srv);
    if (!cl || cl->state == CL_DOWN) return NULL;
    size_t content = len > 200 ? 200 : len;
    push_req *q = malloc(sizeof(*q) + key->id_len + content);
    wsp_pending *p = calloc(1, sizeof(*p));
    size_t kl[4];
    char *keys[4] = {
        kname(cl, "n:", key->id, key->id_len, &kl[0]), kname(cl, "o:", key->id, key->id_len, &kl[1]),
        kname(cl, "r:", key->id, key->id_len, &kl[2]), kname(cl, "p:", key->id, key->id_len, &kl[3]),
    };
    char exp[128], depth[128], ql[24];
    int el = snprintf(exp, sizeof(exp), "%sexp", cl->prefix);
    int dl = snprintf(depth, sizeof(depth), "%sdepth", cl->prefix);
    snprintf(ql, sizeof(ql), "%d", srv->cfg.queue_limit);
    wsp_pending *ret = NULL;
    if (!q || !p || !keys[0] || !keys[1] || !keys[2] || !keys[3]) goto out;
    q->pend = p;
    q->id_len = key->id_len;
    q->content_len = content;
    memcpy(q->data, key->id, key->id_len);
    memcpy(q->data + key->id_len, payload, content);
    p->refs = 2;
    wsp_keyrec *k = wsp_key_find(srv, key->id, key->id_len);
    /* Exact here, as on a single node: a connection whose output, with the
     * pushes still on their way through Redis, would reach its cap is not
     * live (the pushes are written in order when they arrive). */
    const char *self_live = k && wsp_outbox_key_live(k, k->cl_inflight) ? "1" : "0";
    if (k) k->cl_inflight += wsp_ws_frame_header_len(len) + len;
    const char *v[] = { keys[0], keys[1], keys[2], keys[3], exp, depth,
                        payload, key->id, ql, cl->prefix, cl->node, self_live };
    size_t vl[] = { kl[0], kl[1], kl[2], kl[3], (size_t)el, (size_t)dl,
                    len, key->id_len, strlen(ql), cl->prefix_len, strlen(cl->node), 1 };
    if (cl_eval(cl, S_PUSH, push_cb, q, 6, 6, v, vl) == 0) {
        ret = p;
        q = NULL;
        p = NULL;
    }
out:
    for (int i = 0; i < 4; i++) free(keys[i]);
    free(q);
    free(p);
    return ret;
}

/* ---- attach / detach / confirm / retry ---- */

typedef struct key_req {
    uint32_t gen;
    size_t id_len;
    char id[];
} key_req;

static key_req *key_req_new(const wsp_keyrec *k)
{
    key_req *q = malloc(sizeof(*q) + k->id_len);
    if (!q) return NULL;
    q->gen = k->cl_gen;
    q->id_len = k->id_len;
    memcpy(q->id, k->id, k->id_len);
    return q;
}

static void attach_cb(wsp_cluster *cl, redisReply *r, void *arg)
{
    key_req *q = arg;
    wsp_server *srv = cl->srv;
    wsp_keyrec *k = wsp_key_find(srv, q->id, q->id_len);
    if (!k || k->cl_gen != q->gen || !k->cl_loading) { free(q); return; }
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2
        || r->element[0]->type != REDIS_REPLY_INTEGER || r->element[1]->type != REDIS_REPLY_ARRAY) {
        /* Redis went away: the resync when it is back attaches again. */
        if (r) { srv->st.redis_errors++; cl_fail(cl, "unexpected attach reply"); }
        free(q);
        return;
    }
    redisReply *es = r->element[1];
    size_t n = 0;
    wsp_mirror_entry *ents = calloc(es->elements ? es->elements : 1, sizeof(*ents));
    if (!ents) { cl_fail(cl, "out of memory loading a backlog"); free(q); return; }
    for (size_t i = 0; i < es->elements; i++) {
        redisReply *e = es->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements != 2
            || e->element[0]->type != REDIS_REPLY_STRING
            || e->element[1]->type != REDIS_REPLY_ARRAY || e->element[1]->elements != 4)
            continue;
        redisReply *f = e->element[1];
        ents[n].seq = strtoull(e->element[0]->str, NULL, 10);
        ents[n].push_ms = f->element[1]->type == REDIS_REPLY_STRING
                          ? strtoll(f->element[1]->str, NULL, 10) : 0;
        ents[n].payload = f->element[3]->str;
        ents[n].len = f->element[3]->len;
        n++;
    }
    wsp_outbox_mirror_loaded(srv, k, ents, n, (uint64_t)r->element[0]->integer + 1);
    free(ents);
    free(q);
}

void wsp_cluster_attach(wsp_server *srv, wsp_keyrec *k)
{
    wsp_cluster *cl = CL(srv);
    wsp_outbox_mirror_begin(srv, k);   /* k->cl_loading, new generation */
    /* Not up yet: the resync when it is up attaches every key. */
    if (!cl || cl->state != CL_UP) return;
    key_req *q = key_req_new(k);
    size_t kl[3];
    char *keys[3] = {
        kname(cl, "n:", k->id, k->id_len, &kl[0]), kname(cl, "o:", k->id, k->id_len, &kl[1]),
        kname(cl, "p:", k->id, k->id_len, &kl[2]),
    };
    if (q && keys[0] && keys[1] && keys[2]) {
        const char *v[] = { keys[0], keys[1], keys[2], cl->node };
        size_t vl[] = { kl[0], kl[1], kl[2], strlen(cl->node) };
        if (cl_eval(cl, S_ATTACH, attach_cb, q, 3, 1, v, vl) == 0) q = NULL;
    }
    if (q) cl_fail(cl, "cannot send attach");
    free(q);
    for (int i = 0; i < 3; i++) free(keys[i]);
}

static void resync_all(wsp_cluster *cl)
{
    wsp_keytab *t = &cl->srv->ob.keys;
    wsp_keyrec *k;
    for (size_t i = 0; i < t->nbuckets; i++)
        SLIST_FOREACH(k, &t->buckets[i], hlink)
            if (!LIST_EMPTY(&k->conns)) wsp_cluster_attach(cl->srv, k);
}

void wsp_cluster_detach(wsp_server *srv, wsp_keyrec *k)
{
    wsp_cluster *cl = CL(srv);
    if (!cl) return;
    size_t pl;
    char *pres = kname(cl, "p:", k->id, k->id_len, &pl);
    if (!pres) return;
    const char *a[] = { "HDEL", pres, cl->node };
    size_t al[] = { 4, pl, strlen(cl->node) };
    cl_send(cl, ignore_reply, NULL, 3, a, al);   /* down: stale entries clean themselves */
    free(pres);
}

void wsp_cluster_set_live(wsp_server *srv, wsp_keyrec *k, int live)
{
    wsp_cluster *cl = CL(srv);
    if (!cl || k->cl_loading) return;   /* the attach in flight sets 1 */
    size_t pl;
    char *pres = kname(cl, "p:", k->id, k->id_len, &pl);
    if (!pres) return;
    const char *a[] = { "HSET", pres, cl->node, live ? "1" : "0" };
    size_t al[] = { 4, pl, strlen(cl->node), 1 };
    cl_send(cl, ignore_reply, NULL, 4, a, al);
    free(pres);
}

/* stream tries presence exp depth, for confirm and retry */
static int key_keys(wsp_cluster *cl, const wsp_keyrec *k, char **keys, size_t *kl,
                    char *exp, char *depth)
{
    keys[0] = kname(cl, "o:", k->id, k->id_len, &kl[0]);
    keys[1] = kname(cl, "r:", k->id, k->id_len, &kl[1]);
    keys[2] = kname(cl, "p:", k->id, k->id_len, &kl[2]);
    kl[3] = (size_t)snprintf(exp, 128, "%sexp", cl->prefix);
    kl[4] = (size_t)snprintf(depth, 128, "%sdepth", cl->prefix);
    keys[3] = exp;
    keys[4] = depth;
    return keys[0] && keys[1] && keys[2] ? 0 : -1;
}

void wsp_cluster_confirm(wsp_server *srv, wsp_keyrec *k, uint64_t upto)
{
    wsp_cluster *cl = CL(srv);
    if (!cl || cl->state != CL_UP) return;   /* reloaded at resync: replayed, not lost */
    char *keys[5], exp[128], depth[128], u[24];
    size_t kl[5];
    if (key_keys(cl, k, keys, kl, exp, depth) == 0) {
        snprintf(u, sizeof(u), "%llu", (unsigned long long)upto);
        const char *v[] = { keys[0], keys[1], keys[2], keys[3], keys[4],
                            u, k->id, cl->node, cl->prefix };
        size_t vl[] = { kl[0], kl[1], kl[2], kl[3], kl[4],
                        strlen(u), k->id_len, strlen(cl->node), cl->prefix_len };
        cl_eval(cl, S_CONFIRM, ignore_reply, NULL, 5, 4, v, vl);
    }
    for (int i = 0; i < 3; i++) free(keys[i]);
}

static void retry_cb(wsp_cluster *cl, redisReply *r, void *arg)
{
    key_req *q = arg;
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements)
        log_drops(cl, q->id, q->id_len, r, 0, 2, "drop", "retry_max",
                  &cl->srv->st.dropped_retry, 1);
    free(q);
}

void wsp_cluster_retry(wsp_server *srv, wsp_keyrec *k, uint64_t from, uint64_t to)
{
    wsp_cluster *cl = CL(srv);
    if (!cl || cl->state != CL_UP) return;
    char *keys[5] = { NULL }, exp[128], depth[128], f[24], t[24], m[24];
    size_t kl[5];
    key_req *q = key_req_new(k);
    if (q && key_keys(cl, k, keys, kl, exp, depth) == 0) {
        snprintf(f, sizeof(f), "%llu", (unsigned long long)from);
        snprintf(t, sizeof(t), "%llu", (unsigned long long)to);
        snprintf(m, sizeof(m), "%d", srv->cfg.retry_max);
        const char *v[] = { keys[0], keys[1], keys[2], keys[3], keys[4],
                            f, t, m, k->id, cl->node, cl->prefix };
        size_t vl[] = { kl[0], kl[1], kl[2], kl[3], kl[4], strlen(f), strlen(t), strlen(m),
                        k->id_len, strlen(cl->node), cl->prefix_len };
        if (cl_eval(cl, S_RETRY, retry_cb, q, 5, 6, v, vl) == 0) q = NULL;
    }
    free(q);
    for (int i = 0; i < 3; i++) free(keys[i]);
}

/* ---- isOnline, stats, heartbeat, expiry ---- */

static void online_cb(wsp_cluster *cl, redisReply *r, void *arg)
{
    wsp_cmd *c = arg;
    if (r && r->type == REDIS_REPLY_INTEGER) c->rc = r->integer ? 1 : 0;
    /* else: keep the local answer set before sending */
    wsp_cmd_finish(cl->srv, c);
}

int wsp_cluster_online(wsp_server *srv, wsp_cmd *c, const char *id, size_t id_len)
{
    wsp_cluster *cl = CL(srv);
    if (!cl || cl->state != CL_UP) return 0;
    size_t pl;
    char *pres = kname(cl, "p:", id, id_len, &pl);
    if (!pres) return 0;
    const char *v[] = { pres, cl->prefix };
    size_t vl[] = { pl, cl->prefix_len };
    int sent = cl_eval(cl, S_ONLINE, online_cb, c, 1, 1, v, vl) == 0;
    free(pres);
    return sent;
}

static int64_t ival(const redisReply *r, size_t i)
{
    return i < r->elements && r->element[i]->type == REDIS_REPLY_INTEGER ? r->element[i]->integer : 0;
}

static void state_cb(wsp_cluster *cl, redisReply *r, void *arg)
{
    wsp_cmd *c = arg;
    if (!c) cl->state_running = 0;
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 7) {
        cl->have_state = 1;
        cl->nodes = (uint64_t)ival(r, 0);
        cl->conns = (uint64_t)ival(r, 1);
        cl->bound = (uint64_t)ival(r, 2);
        cl->depth = ival(r, 3) > 0 ? (uint64_t)ival(r, 3) : 0;
        int64_t oldest = ival(r, 4), now = ival(r, 6);
        cl->oldest_age = oldest > 0 && now > oldest ? (double)(now - oldest) / 1000.0 : 0;
        cl->oldest_seen_ms = wsp_now_ms(cl->srv);
        cl->with_msgs = (uint64_t)ival(r, 5);
    }
    if (c) {
        wsp_cluster_stats_cached(cl->srv, c->stats);
        wsp_cmd_finish(cl->srv, c);
    }
}

void wsp_cluster_stats_cached(wsp_server *srv, wsp_stats *s)
{
    wsp_cluster *cl = CL(srv);
    if (!cl) return;
    s->redis_up = cl->state == CL_UP;
    if (!cl->have_state) return;
    s->cluster_nodes = cl->nodes;
    s->cluster_connections = cl->conns;
    s->cluster_bound = cl->bound;
    s->outbox_depth = cl->depth;
    /* Aged by our clock since it was read. */
    s->oldest_age = cl->depth ? cl->oldest_age
                                + (double)(wsp_now_ms(srv) - cl->oldest_seen_ms) / 1000.0 : 0;
    if (cl->with_msgs > s->keys) s->keys = cl->with_msgs;
}

static int send_state(wsp_cluster *cl, int beat, wsp_cmd *c)
{
    wsp_server *srv = cl->srv;
    char nodes[128], depth[128], exp[128], conns[24], bound[24], alive[24];
    size_t nl = (size_t)snprintf(nodes, sizeof(nodes), "%snodes", cl->prefix);
    size_t dl = (size_t)snprintf(depth, sizeof(depth), "%sdepth", cl->prefix);
    size_t el = (size_t)snprintf(exp, sizeof(exp), "%sexp", cl->prefix);
    snprintf(conns, sizeof(conns), "%llu", (unsigned long long)srv->ws.nconns);
    snprintf(bound, sizeof(bound), "%llu", (unsigned long long)srv->ws.nbound);
    snprintf(alive, sizeof(alive), "%d", ALIVE_MS);
    const char *v[] = { nodes, depth, exp, cl->prefix, cl->node, conns, bound,
                        beat ? "1" : "0", alive };
    size_t vl[] = { nl, dl, el, cl->prefix_len, strlen(cl->node), strlen(conns), strlen(bound),
                    1, strlen(alive) };
    return cl_eval(cl, S_STATE, state_cb, c, 3, 6, v, vl);
}

int wsp_cluster_stats(wsp_server *srv, wsp_cmd *c)
{
    wsp_cluster *cl = CL(srv);
    if (!cl || cl->state != CL_UP) return 0;
    return send_state(cl, 0, c) == 0;
}

static void expire_cb(wsp_cluster *cl, redisReply *r, void *arg)
{
    cl->expire_running = 0;
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements)
        log_drops(cl, NULL, 0, r, 0, 3, "expire", "ttl", &cl->srv->st.expired, 0);
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
    wsp_cluster *cl = arg;
    wsp_server *srv = cl->srv;
    int64_t now = wsp_now_ms(srv);
    if (cl->state == CL_CONNECTING && now - cl->state_since_ms > cl->timeout_ms) {
        cl_fail(cl, "connect timeout");
        return;
    }
    if (cl->pending && now - cl->busy_since_ms > cl->timeout_ms) {
        cl_fail(cl, "no reply within the timeout");
        return;
    }
    if (cl->state != CL_UP) return;
    if (now - cl->last_heard_ms > cl->timeout_ms + BEAT_MS) {
        cl_fail(cl, "subscription silent (own heartbeat not received)");
        return;
    }
    if (!cl->state_running && now - cl->last_beat_ms >= BEAT_MS) {
        cl->last_beat_ms = now;
        if (send_state(cl, 1, NULL) == 0) cl->state_running = 1;
    }
    if (!cl->expire_running && now - cl->last_expire_ms >= EXPIRE_EVERY_MS) {
        cl->last_expire_ms = now;
        char exp[128], depth[128], ttl[24], budget[16];
        size_t el = (size_t)snprintf(exp, sizeof(exp), "%sexp", cl->prefix);
        size_t dl = (size_t)snprintf(depth, sizeof(depth), "%sdepth", cl->prefix);
        snprintf(ttl, sizeof(ttl), "%lld", (long long)(srv->cfg.ttl * 1000.0));
        snprintf(budget, sizeof(budget), "%d", EXPIRE_BUDGET);
        const char *v[] = { exp, depth, ttl, cl->prefix, budget };
        size_t vl[] = { el, dl, strlen(ttl), cl->prefix_len, strlen(budget) };
        if (cl_eval(cl, S_EXPIRE, expire_cb, NULL, 2, 3, v, vl) == 0) cl->expire_running = 1;
    }
}

int wsp_cluster_idle(wsp_server *srv)
{
    wsp_cluster *cl = CL(srv);
    return !cl || cl->pending == 0 || cl->state != CL_UP;
}

/* ---- open / close ---- */

static void sha1_hex(const char *s, char out[41])
{
    unsigned char d[SHA_DIGEST_LENGTH];
    SHA1((const unsigned char *)s, strlen(s), d);
    for (int i = 0; i < SHA_DIGEST_LENGTH; i++) snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* The one blocking conversation, on the starting thread: a wrong address,
 * password, database or an old Redis is an error at start, not a loop of
 * reconnects. */
static int check_redis(wsp_cluster *cl, char *errbuf, size_t errlen)
{
    struct timeval tv = { cl->timeout_ms / 1000, (cl->timeout_ms % 1000) * 1000 };
    redisContext *c = redisConnectWithTimeout(cl->addr, cl->port, tv);
    redisReply *r = NULL;
    int rc = -1;
    if (!c || c->err) {
        wsp_errf(errbuf, errlen, "store: cannot connect to Redis at %s:%d: %s", cl->addr, cl->port,
                 c ? c->errstr : "out of memory");
        goto out;
    }
    redisSetTimeout(c, tv);
    if (cl->password) {
        r = redisCommand(c, "AUTH %s", cl->password);
        if (is_error(r)) {
            wsp_errf(errbuf, errlen, "store: Redis AUTH failed: %s", r ? r->str : c->errstr);
            goto out;
        }
        freeReplyObject(r);
    }
    r = redisCommand(c, "SELECT %d", cl->db);
    if (is_error(r)) {
        wsp_errf(errbuf, errlen, "store: Redis SELECT %d failed: %s", cl->db, r ? r->str : c->errstr);
        goto out;
    }
    freeReplyObject(r);
    r = redisCommand(c, "INFO server");
    if (is_error(r) || r->type != REDIS_REPLY_STRING) {
        wsp_errf(errbuf, errlen, "store: Redis INFO failed: %s", r && r->str ? r->str : c->errstr);
        goto out;
    }
    const char *v = strstr(r->str, "redis_version:");
    int major = 0, minor = 0;
    if (!v || sscanf(v + 14, "%d.%d", &major, &minor) != 2 || major < 6 || (major == 6 && minor < 2)) {
        wsp_errf(errbuf, errlen, "store: Redis 6.2 or later is needed (XTRIM MINID); found %.20s",
                 v ? v + 14 : "an unknown version");
        goto out;
    }
    freeReplyObject(r);
    for (int i = 0; i < S_COUNT; i++) {
        r = redisCommand(c, "SCRIPT LOAD %s", scripts[i]);
        if (is_error(r) || r->type != REDIS_REPLY_STRING || strcmp(r->str, cl->sha[i]) != 0) {
            wsp_errf(errbuf, errlen, "store: Redis refused a script: %s",
                     r && r->str ? r->str : c->errstr);
            goto out;
        }
        freeReplyObject(r);
    }
    r = NULL;
    rc = 0;
out:
    if (r) freeReplyObject(r);
    if (c) redisFree(c);
    return rc;
}

int wsp_cluster_open(wsp_server *srv, char *errbuf, size_t errlen)
{
    wsp_cluster *cl = calloc(1, sizeof(*cl));
    char host[256];
    if (!cl) { wsp_errf(errbuf, errlen, "out of memory"); return -1; }
    cl->srv = srv;
    srv->cluster = cl;
    wsp_redis_url u;
    if (wsp_redis_url_parse(srv->cfg.store, &u, errbuf, errlen) != 0) goto fail;
    /* the strings move into cl */
    snprintf(host, sizeof(host), "%s", u.host);
    cl->port = u.port;
    cl->db = u.db;
    cl->password = u.password;
    cl->prefix = u.prefix;
    cl->prefix_len = strlen(u.prefix);
    cl->timeout_ms = u.timeout_ms;
    /* Resolved here, once: hiredis would call getaddrinfo on the loop. */
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
    int gai = getaddrinfo(host, NULL, &hints, &ai);
    if (gai != 0 || !ai) {
        wsp_errf(errbuf, errlen, "store: cannot resolve Redis host %s: %s", host, gai_strerror(gai));
        goto fail;
    }
    getnameinfo(ai->ai_addr, ai->ai_addrlen, cl->addr, sizeof(cl->addr), NULL, 0, NI_NUMERICHOST);
    freeaddrinfo(ai);
    new_node_id(cl);
    for (int i = 0; i < S_COUNT; i++) sha1_hex(scripts[i], cl->sha[i]);
    if (check_redis(cl, errbuf, errlen) != 0) goto fail;
    cl->tick_ev = event_new(srv->base, -1, EV_PERSIST, tick_cb, cl);
    cl->reset_ev = event_new(srv->base, -1, 0, reset_cb, cl);
    cl->reconnect_ev = evtimer_new(srv->base, reconnect_cb, cl);
    if (!cl->tick_ev || !cl->reset_ev || !cl->reconnect_ev) {
        wsp_errf(errbuf, errlen, "out of memory");
        goto fail;
    }
    struct timeval tick = { 0, 100000 };
    event_add(cl->tick_ev, &tick);
    cl->backoff_ms = BACKOFF_MIN_MS;
    cl_connect(cl);
    /* Run the loop here, on the starting thread (no other thread uses the
     * base yet), until both connections are up: a started node is attached
     * to Redis, so a connection that binds right away is in the key's
     * presence before any push that follows it. */
    int64_t deadline = wsp_now_ms(srv) + cl->timeout_ms;
    while (cl->state == CL_CONNECTING && wsp_now_ms(srv) < deadline)
        event_base_loop(srv->base, EVLOOP_ONCE);
    if (cl->state != CL_UP) {
        wsp_errf(errbuf, errlen, "store: Redis at %s:%d did not accept the node's connections "
                 "within %lld ms", cl->addr, cl->port, (long long)cl->timeout_ms);
        goto fail;
    }
    return 0;
fail:
    wsp_cluster_close(srv);
    return -1;
}

void wsp_cluster_close(wsp_server *srv)
{
    wsp_cluster *cl = CL(srv);
    if (!cl) return;
    cl->closing = 1;
    free_contexts(cl);
    if (cl->tick_ev) event_free(cl->tick_ev);
    if (cl->reset_ev) event_free(cl->reset_ev);
    if (cl->reconnect_ev) event_free(cl->reconnect_ev);
    /* Goodbye, best effort and short: other nodes stop counting this one at
     * once instead of when its liveness key expires. */
    if (cl->addr[0] && cl->node[0]) {
        struct timeval tv = { 0, 300000 };
        redisContext *c = redisConnectWithTimeout(cl->addr, cl->port, tv);
        if (c && !c->err) {
            redisSetTimeout(c, tv);
            if (cl->password) redisAppendCommand(c, "AUTH %s", cl->password);
            redisAppendCommand(c, "SELECT %d", cl->db);
            redisAppendCommand(c, "DEL %snode:%s", cl->prefix, cl->node);
            redisAppendCommand(c, "SREM %snodes %s", cl->prefix, cl->node);
            int n = (cl->password ? 1 : 0) + 3;
            for (int i = 0; i < n; i++) {
                void *r = NULL;
                if (redisGetReply(c, &r) != REDIS_OK) break;
                freeReplyObject(r);
            }
        }
        if (c) redisFree(c);
    }
    free(cl->password);
    free(cl->prefix);
    free(cl);
    srv->cluster = NULL;
}

#endif /* WSP_HAVE_HIREDIS */
