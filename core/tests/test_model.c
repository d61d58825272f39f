/*
 * test_model.c - seeded, model-based test of delivery: the real outbox
 * (outbox.c: keys, outboxes, binding, confirmation, replay, limits, load)
 * driven by random steps against a small model of the contract
 * (docs/delivery.md), with no sockets.
 *
 * outbox.c talks to connections through a few functions of ws_conn.c and
 * server.c (wsp_ws_add, wsp_ws_close, wsp_ws_out_full, wsp_ws_mark_dirty, wsp_ws_pushed,
 * wsp_now_ms, wsp_log_ev). This file defines fakes for them, so the linker
 * takes these instead of pulling ws_conn.o and server.o from the library
 * (the way wslay tests its event layer): a fake connection records every
 * frame written to it and holds it as unsent output until the simulated
 * client reads it; its close does what wsp_ws_close does for the outbox
 * (unbind, broken unless the server is stopping). The store is a fake too:
 * it keeps its records across a simulated restart, so a graceful stop and
 * a load are part of the run.
 *
 * Steps: pushes (to a few hot keys with several tabs, and to thousands of
 * keys, so more than 1,024 are alive and keys are forgotten and re-created),
 * binds, client reads (partial), Pongs (latest, partial, stale), TCP-level
 * confirmation, breaks (RST / FIN / Close / write error, all "broken"), a
 * failed write, time passing (ttl), graceful stop and restart. queue_limit,
 * retry_max, ttl and max_output are drawn per seed.
 *
 * After every step: the counters equal the model's exactly; the keys the
 * step touched hold exactly the model's messages (order, tries, push time)
 * in the outbox and in the store; every connection was written a gapless,
 * in-order run of its key's pushes (checked at each write); an open
 * connection under its output cap has been written every push of its key
 * since it bound (at least once, nothing skipped); a connection closed as
 * fallen behind (4001) really had a gap; `ok` means some connection took
 * the push. Every 200 steps and after a restart every key is checked.
 *
 *   build/test_model                      4 seeds x 3000 steps (CI, seconds)
 *   WSP_MODEL_SEED=7 build/test_model     one seed (reproduce a failure)
 *   WSP_MODEL_STEPS=200000 WSP_MODEL_SEEDS=50 build/test_model   a longer run
 *
 * On failure it prints the seed, the step and the command that repeats it.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_internal.h"

#define NKEYS      3000      /* key space: well past the table's first 1,024 buckets */
#define NHOT       6         /* keys that get tabs */
#define MAX_OPEN   24        /* open connections at once */

/* ------------------------------------------------------------ failures */

static uint64_t g_seed;
static long g_step, g_steps;
static const char *g_op = "setup";

static void failf(int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "test_model: FAILED seed=%" PRIu64 " step=%ld op=%s (test_model.c:%d): ",
            g_seed, g_step, g_op, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n  repeat: WSP_MODEL_SEED=%" PRIu64 " WSP_MODEL_STEPS=%ld build/test_model\n",
            g_seed, g_steps);
    exit(1);
}
#define FAIL(...) failf(__LINE__, __VA_ARGS__)
#define CHECK(c, ...) do { if (!(c)) FAIL(__VA_ARGS__); } while (0)

static uint64_t rng_state;
static uint64_t rnd(void)
{
    uint64_t x = rng_state;   /* xorshift64* */
    x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
    rng_state = x;
    return x * 2685821657736338717ull;
}
static uint32_t rn(uint32_t n) { return (uint32_t)(rnd() % n); }

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p) { fprintf(stderr, "out of memory\n"); exit(2); }
    return p;
}
#define GROW(arr, n, cap) do { if ((n) == (cap)) { (cap) = (cap) ? 2 * (cap) : 16; \
    (arr) = xrealloc((arr), (cap) * sizeof(*(arr))); } } while (0)

/* ------------------------------------------------------------ the model */

/* Per message id (ids count from 1 over the whole run). */
typedef struct mmsg {
    int key;
    size_t hist;       /* index in its key's push history */
    uint64_t seq;      /* the outbox's sequence (read back after push/load) */
    uint64_t rid;      /* the fake store's record */
    uint32_t tries;
    int64_t push_ms;
    size_t len;        /* payload bytes */
} mmsg;

typedef struct mkey {
    uint64_t *hist; size_t nhist, chist;   /* every id pushed, in order */
    uint64_t *held; size_t nheld, cheld;   /* what the outbox must hold, in order */
    int nopen;                             /* open connections bound to it */
    int dirty;
} mkey;

typedef struct fconn {
    wsp_wsconn c;            /* what outbox.c sees (first member) */
    int key;
    int open;                /* the model's view */
    int close_code;          /* set by the fake wsp_ws_close; -1 while open */
    uint64_t *w; size_t nw, cw;   /* ids written, in order */
    size_t nrecv;            /* the first nrecv of w read by the client */
    size_t out_bytes;        /* written, not yet read */
    long last_hist;          /* hist index of the last written (start - 1 at bind) */
    long conf_hist;          /* hist index confirmed by this connection */
} fconn;

static struct {
    mmsg *msg; size_t nmsg, cmsg;          /* index = id */
    mkey key[NKEYS];
    int *dirty; size_t ndirty, cdirty;
    fconn **conn; size_t nconn, cconn;
    uint64_t confirmed, dropped_retry, dropped_ql, expired, closed_behind, writes;
    uint64_t depth, bytes, live_keys, max_live_keys;
    uint64_t n_conns_total, n_behind_total, n_restarts, n_retry_total, n_ql_total, n_exp_total;
    int64_t now;
    int queue_limit, retry_max, ttl_ms;
    size_t max_output;
    int fail_adds;           /* the next wsp_ws_add calls that fail */
} M;

static void mark(int k)
{
    if (M.key[k].dirty) return;
    M.key[k].dirty = 1;
    GROW(M.dirty, M.ndirty, M.cdirty);
    M.dirty[M.ndirty++] = k;
}

static int key_live(int k) { return M.key[k].nheld || M.key[k].nopen; }

/* Before and after a change of nheld/nopen: keeps live_keys. */
static void live_before(int k, int *was) { *was = key_live(k); }
static void live_after(int k, int was)
{
    int is = key_live(k);
    if (is && !was) M.live_keys++;
    if (!is && was) M.live_keys--;
    if (M.live_keys > M.max_live_keys) M.max_live_keys = M.live_keys;
    mark(k);
}

/* Remove held[i] of key k (the caller counts why). */
static void held_remove(int k, size_t i)
{
    mkey *mk = &M.key[k];
    mmsg *m = &M.msg[mk->held[i]];
    int was; live_before(k, &was);
    M.depth--;
    M.bytes -= m->len;
    memmove(&mk->held[i], &mk->held[i + 1], (mk->nheld - i - 1) * sizeof(uint64_t));
    mk->nheld--;
    live_after(k, was);
}

static long held_index(int k, uint64_t id)
{
    mkey *mk = &M.key[k];
    for (size_t i = 0; i < mk->nheld; i++) if (mk->held[i] == id) return (long)i;
    return -1;
}

/* A connection's delivery ended while it was bound: in the model, each
 * message it was written and did not confirm, still held, spends a try;
 * out of tries it is dropped (retry_max). */
static void model_broken(fconn *f)
{
    mkey *mk = &M.key[f->key];
    for (size_t i = 0; i < mk->nheld; ) {
        mmsg *m = &M.msg[mk->held[i]];
        if ((long)m->hist > f->conf_hist && (long)m->hist <= f->last_hist) {
            m->tries++;
            if ((int)m->tries >= M.retry_max) {
                held_remove(f->key, i);
                M.dropped_retry++;
                M.n_retry_total++;
                continue;
            }
        }
        i++;
    }
    mark(f->key);
}

static void model_closed(fconn *f)
{
    int was; live_before(f->key, &was);
    f->open = 0;
    M.key[f->key].nopen--;
    live_after(f->key, was);
}

/* Confirm through f up to the message written at index wi. */
static void model_confirm(fconn *f, size_t wi)
{
    uint64_t id = f->w[wi];
    long h = (long)M.msg[id].hist;
    if (h <= f->conf_hist) return;               /* stale: confirms nothing */
    f->conf_hist = h;
    mkey *mk = &M.key[f->key];
    while (mk->nheld && (long)M.msg[mk->held[0]].hist <= h) {
        held_remove(f->key, 0);
        M.confirmed++;
    }
}

/* ------------------------------------------------- fakes for outbox.c */

static wsp_server *srv;

int64_t wsp_now_ms(wsp_server *s) { (void)s; return M.now; }

void wsp_log_ev(wsp_server *s, wsp_log_level lvl, const char *event, uint64_t conn,
                const wsp_keyrec *key, uint64_t seq_from, uint64_t seq_to,
                const char *result, const char *content, size_t content_len)
{
    (void)s; (void)lvl; (void)event; (void)conn; (void)key; (void)seq_from; (void)seq_to;
    (void)result; (void)content; (void)content_len;
}

void wsp_ws_mark_dirty(wsp_wsconn *c) { (void)c; }
void wsp_ws_pushed(wsp_wsconn *c) { (void)c; }

int wsp_ws_out_full(const wsp_wsconn *c)
{
    return ((const fconn *)c)->out_bytes >= c->srv->cfg.max_output;
}

static uint64_t payload_id(const uint8_t *p, size_t n)
{
    uint64_t id = 0;
    for (size_t i = 0; i < n && p[i] >= '0' && p[i] <= '9'; i++) id = id * 10 + (p[i] - '0');
    return id;
}

/* A message frame written to a connection: it must be the next push of
 * the connection's key after the last one it was written (in order, no
 * gap, nothing twice), and the connection must be open. */
int wsp_ws_add(wsp_wsconn *c, const void *data, size_t len)
{
    fconn *f = (fconn *)c;
    if (M.fail_adds > 0) { M.fail_adds--; return -1; }
    const uint8_t *d = data;
    CHECK(len >= 2 && d[0] == 0x81, "conn %" PRIu64 ": not one text frame", c->id);
    size_t pl = d[1] & 0x7f, hl = 2;
    if (pl == 126) { pl = ((size_t)d[2] << 8) | d[3]; hl = 4; }
    CHECK(hl + pl == len, "conn %" PRIu64 ": frame length %zu != %zu", c->id, hl + pl, len);
    uint64_t id = payload_id(d + hl, pl);
    CHECK(id > 0 && id < M.nmsg, "conn %" PRIu64 ": unknown payload", c->id);
    CHECK(f->open && c->state == WS_OPEN, "conn %" PRIu64 ": written after its close", c->id);
    mmsg *m = &M.msg[id];
    CHECK(m->key == f->key, "conn %" PRIu64 " (key %d) written message %" PRIu64 " of key %d",
          c->id, f->key, id, m->key);
    CHECK((long)m->hist == f->last_hist + 1,
          "conn %" PRIu64 " key %d: written push #%zu after #%ld (%s)", c->id, f->key, m->hist,
          f->last_hist, (long)m->hist <= f->last_hist ? "twice or out of order" : "a gap");
    CHECK(pl == m->len, "message %" PRIu64 ": payload length %zu != %zu", id, pl, m->len);
    f->last_hist = (long)m->hist;
    GROW(f->w, f->nw, f->cw);
    f->w[f->nw++] = id;
    f->out_bytes += len;
    M.writes++;
    return 0;
}

/* outbox.c's cluster-mode hooks (cluster.c): never called here (srv->cluster
 * is NULL); defined so the link does not pull in cluster.c and server.c. */
void wsp_cluster_attach(wsp_server *s, wsp_keyrec *k) { (void)s; (void)k; abort(); }
void wsp_cluster_detach(wsp_server *s, wsp_keyrec *k) { (void)s; (void)k; abort(); }
void wsp_cluster_set_live(wsp_server *s, wsp_keyrec *k, int l) { (void)s; (void)k; (void)l; abort(); }
void wsp_cluster_confirm(wsp_server *s, wsp_keyrec *k, uint64_t u) { (void)s; (void)k; (void)u; abort(); }
void wsp_cluster_retry(wsp_server *s, wsp_keyrec *k, uint64_t f, uint64_t t)
{ (void)s; (void)k; (void)f; (void)t; abort(); }

/* What wsp_ws_close does for the outbox: the connection leaves WS_OPEN and
 * is unbound, as a broken delivery unless the server is stopping. */
void wsp_ws_close(wsp_wsconn *c, uint16_t code, const char *reason)
{
    (void)reason;
    fconn *f = (fconn *)c;
    if (c->state == WS_CLOSING || c->state == WS_DEAD) return;
    c->state = WS_CLOSING;
    f->close_code = code;
    if (code == WSP_WS_CLOSE_FELL_BEHIND) {
        /* Only a connection that really missed a push the outbox let go. */
        mkey *mk = &M.key[f->key];
        size_t next = (size_t)(f->last_hist + 1);
        CHECK(next < mk->nhist, "conn %" PRIu64 " closed 4001 while up to date", c->id);
        CHECK(held_index(f->key, mk->hist[next]) < 0,
              "conn %" PRIu64 " closed 4001 but its next push is still held", c->id);
    }
    wsp_outbox_unbind(c, !c->srv->stopping);
}

/* ------------------------------------------------------- the fake store */

struct wsp_store { int unused; };
static struct wsp_store the_store;

typedef struct srec {
    uint64_t id, seq;
    int64_t push_ms;
    uint32_t tries;
    int live;
    char key_id[16]; size_t key_len;
    char *payload; size_t len;
} srec;
static srec *recs; static size_t nrecs, crecs;
static size_t store_live[NKEYS];

static int key_index(const char *key_id, size_t key_len)
{
    CHECK(key_len > 2 && key_id[0] == WSP_KEY_WEB && key_id[1] == 'k', "store: odd key id");
    int k = 0;
    for (size_t i = 2; i < key_len; i++) k = k * 10 + (key_id[i] - '0');
    CHECK(k >= 0 && k < NKEYS, "store: key out of range");
    return k;
}

static int fs_append(wsp_store *s, const char *key_id, size_t key_len, uint64_t seq,
                     int64_t push_ms, const char *payload, size_t payload_len,
                     uint64_t *rid, uint64_t *ticket)
{
    (void)s;
    GROW(recs, nrecs, crecs);
    srec *r = &recs[nrecs++];
    memset(r, 0, sizeof(*r));
    memcpy(r->key_id, key_id, key_len);
    r->key_len = key_len;
    r->seq = seq;
    r->push_ms = push_ms;
    r->live = 1;
    r->id = payload_id((const uint8_t *)payload, payload_len);
    r->payload = xrealloc(NULL, payload_len ? payload_len : 1);
    memcpy(r->payload, payload, payload_len);
    r->len = payload_len;
    store_live[key_index(key_id, key_len)]++;
    *rid = nrecs;          /* record ids from 1 */
    *ticket = nrecs;
    return 0;
}

static srec *fs_find(const char *key_id, size_t key_len, wsp_store_ref ref, const char *what)
{
    CHECK(ref.rid >= 1 && ref.rid <= nrecs, "store %s: no record %" PRIu64, what, ref.rid);
    srec *r = &recs[ref.rid - 1];
    CHECK(r->live, "store %s: record %" PRIu64 " (message %" PRIu64 ") already removed",
          what, ref.rid, r->id);
    CHECK(r->key_len == key_len && memcmp(r->key_id, key_id, key_len) == 0 && r->seq == ref.seq,
          "store %s: record %" PRIu64 " is another key's or seq", what, ref.rid);
    return r;
}

static int fs_remove(wsp_store *s, const char *key_id, size_t key_len,
                     const wsp_store_ref *refs, size_t n, uint64_t *ticket)
{
    (void)s;
    for (size_t i = 0; i < n; i++) {
        CHECK(i == 0 || refs[i].seq > refs[i - 1].seq, "store remove: refs not ascending");
        srec *r = fs_find(key_id, key_len, refs[i], "remove");
        r->live = 0;
        free(r->payload);
        r->payload = NULL;
        store_live[key_index(key_id, key_len)]--;
    }
    *ticket = nrecs;
    return 0;
}

static int fs_set_tries(wsp_store *s, const char *key_id, size_t key_len,
                        wsp_store_ref ref, uint32_t tries, uint64_t *ticket)
{
    (void)s;
    fs_find(key_id, key_len, ref, "set_tries")->tries = tries;
    *ticket = nrecs;
    return 0;
}

static int fs_load(wsp_store *s, wsp_store_load_cb cb, void *arg)
{
    (void)s;
    for (size_t i = 0; i < nrecs; i++) {
        srec *r = &recs[i];
        if (!r->live) continue;
        int rc = cb(arg, r->key_id, r->key_len, (wsp_store_ref){ r->seq, i + 1 }, r->push_ms,
                    r->tries, r->payload, r->len);
        if (rc) return rc;
    }
    return 0;
}

static const wsp_store_ops fake_store_ops = {
    .name = "model", .load = fs_load, .append = fs_append, .remove = fs_remove,
    .set_tries = fs_set_tries,
};

/* ------------------------------------------------------------- harness */

static void key_text(int k, char *buf, size_t *len)
{
    *len = (size_t)snprintf(buf, 16, "%ck%d", WSP_KEY_WEB, k);
}

static wsp_keyrec *server_key(int k)
{
    char id[16]; size_t n;
    key_text(k, id, &n);
    return wsp_key_find(srv, id, n);
}

static void server_new(void)
{
    srv = calloc(1, sizeof(*srv));
    CHECK(srv && wsp_keytab_init(&srv->ob.keys) == 0, "server alloc");
    srv->cfg.queue_limit = M.queue_limit;
    srv->cfg.retry_max = M.retry_max;
    srv->cfg.ttl = M.ttl_ms / 1000.0;
    srv->cfg.max_output = M.max_output;
    srv->store_ops = &fake_store_ops;
    srv->store = &the_store;
}

/* Read back the sequence of every held message (after a push or a load). */
static void learn_seqs(int k)
{
    wsp_keyrec *kr = server_key(k);
    if (!kr) return;
    for (wsp_msg *m = TAILQ_FIRST(&kr->msgs); m; m = TAILQ_NEXT(m, link)) {
        uint64_t id = payload_id(m->frame + m->hdr_len, m->frame_len - m->hdr_len);
        if (id > 0 && id < M.nmsg) M.msg[id].seq = m->seq;
    }
}

static void check_counters(void)
{
    wsp_stats *st = &srv->st;
    CHECK(st->confirmed == M.confirmed, "confirmed %" PRIu64 " != model %" PRIu64,
          st->confirmed, M.confirmed);
    CHECK(st->dropped_retry == M.dropped_retry, "dropped_retry %" PRIu64 " != model %" PRIu64,
          st->dropped_retry, M.dropped_retry);
    CHECK(st->dropped_queue_limit == M.dropped_ql, "dropped_queue_limit %" PRIu64
          " != model %" PRIu64, st->dropped_queue_limit, M.dropped_ql);
    CHECK(st->expired == M.expired, "expired %" PRIu64 " != model %" PRIu64,
          st->expired, M.expired);
    CHECK(st->closed_behind == M.closed_behind, "closed_behind %" PRIu64 " != model %" PRIu64,
          st->closed_behind, M.closed_behind);
    CHECK(st->delivered_writes == M.writes, "delivered_writes %" PRIu64 " != model %" PRIu64,
          st->delivered_writes, M.writes);
    CHECK(st->store_errors == 0, "store_errors %" PRIu64, st->store_errors);
    CHECK(srv->ob.outbox_depth == M.depth, "outbox_depth %" PRIu64 " != model %" PRIu64,
          srv->ob.outbox_depth, M.depth);
    CHECK(srv->ob.outbox_bytes == M.bytes, "outbox_bytes %" PRIu64 " != model %" PRIu64,
          srv->ob.outbox_bytes, M.bytes);
    CHECK(srv->ob.keys.count == M.live_keys, "keys %zu != model %" PRIu64,
          srv->ob.keys.count, M.live_keys);
}

/* The key holds exactly the model's messages, in the outbox and the store. */
static void check_key(int k)
{
    mkey *mk = &M.key[k];
    wsp_keyrec *kr = server_key(k);
    if (!key_live(k)) {
        CHECK(!kr, "key %d is kept with no connection and no message", k);
        CHECK(store_live[k] == 0, "key %d: %zu records left in the store", k, store_live[k]);
        return;
    }
    CHECK(kr, "key %d lost (the model holds %zu messages, %d connections)", k, mk->nheld,
          mk->nopen);
    CHECK(kr->nconns == (uint32_t)mk->nopen, "key %d: %u connections, model %d", k,
          kr->nconns, mk->nopen);
    size_t i = 0;
    uint64_t prev = 0;
    for (wsp_msg *m = TAILQ_FIRST(&kr->msgs); m; m = TAILQ_NEXT(m, link), i++) {
        uint64_t id = payload_id(m->frame + m->hdr_len, m->frame_len - m->hdr_len);
        CHECK(i < mk->nheld, "key %d holds message %" PRIu64 " the model let go", k, id);
        CHECK(id == mk->held[i], "key %d: held #%zu is message %" PRIu64 ", model %" PRIu64,
              k, i, id, mk->held[i]);
        mmsg *mm = &M.msg[id];
        CHECK(m->seq > prev, "key %d: sequence not ascending", k);
        prev = m->seq;
        CHECK(m->tries == mm->tries, "message %" PRIu64 ": tries %u, model %u", id, m->tries,
              mm->tries);
        CHECK(m->push_ms == mm->push_ms, "message %" PRIu64 ": push time changed", id);
        srec *r = m->rid >= 1 && m->rid <= nrecs ? &recs[m->rid - 1] : NULL;
        CHECK(r && r->live && r->id == id && r->seq == m->seq,
              "message %" PRIu64 ": its store record is missing", id);
        CHECK(r->tries == m->tries, "message %" PRIu64 ": stored tries %u, outbox %u", id,
              r->tries, m->tries);
    }
    CHECK(i == mk->nheld, "key %d holds %zu messages, model %zu (first missing: %" PRIu64 ")",
          k, i, mk->nheld, mk->held[i]);
    CHECK(store_live[k] == mk->nheld, "key %d: %zu store records, model %zu", k,
          store_live[k], mk->nheld);
}

static void check_conns(void)
{
    for (size_t i = 0; i < M.nconn; i++) {
        fconn *f = M.conn[i];
        if (!f->open) continue;
        CHECK(f->c.state == WS_OPEN, "conn %" PRIu64 " closed (code %d) unexpectedly",
              f->c.id, f->close_code);
        CHECK(f->c.key == server_key(f->key), "conn %" PRIu64 " bound to the wrong key record",
              f->c.id);
        mkey *mk = &M.key[f->key];
        if (!wsp_ws_out_full(&f->c))
            CHECK(f->last_hist == (long)mk->nhist - 1,
                  "conn %" PRIu64 " (key %d) under its output cap was written up to push #%ld"
                  " of %zu", f->c.id, f->key, f->last_hist, mk->nhist);
    }
}

/* Connections the fake closed during the step: the model's effect. */
static void settle_closes(void)
{
    for (size_t i = 0; i < M.nconn; i++) {
        fconn *f = M.conn[i];
        if (!f->open || f->close_code < 0) continue;
        if (f->close_code == WSP_WS_CLOSE_FELL_BEHIND) {
            M.closed_behind++;
            M.n_behind_total++;
        } else if (!srv->stopping) {
            model_broken(f);
        }
        model_closed(f);
    }
}

static void check_step(int full)
{
    check_counters();
    check_conns();
    if (full) {
        for (int k = 0; k < NKEYS; k++) check_key(k);
        size_t live = 0;
        for (size_t i = 0; i < nrecs; i++) live += recs[i].live;
        CHECK(live == M.depth, "store holds %zu records, model %" PRIu64, live, M.depth);
    } else {
        for (size_t i = 0; i < M.ndirty; i++) check_key(M.dirty[i]);
    }
    for (size_t i = 0; i < M.ndirty; i++) M.key[M.dirty[i]].dirty = 0;
    M.ndirty = 0;
    /* closed connections need no more checks: free them */
    size_t j = 0;
    for (size_t i = 0; i < M.nconn; i++) {
        if (M.conn[i]->open) M.conn[j++] = M.conn[i];
        else { free(M.conn[i]->w); free(M.conn[i]); }
    }
    M.nconn = j;
}

/* ---------------------------------------------------------------- steps */

static int pick_key(void)
{
    return rn(10) < 7 ? (int)rn(NHOT) : (int)rn(NKEYS);
}

static fconn *pick_open(int need_recv, int need_out)
{
    size_t n = 0;
    for (size_t i = 0; i < M.nconn; i++) {
        fconn *f = M.conn[i];
        if (f->open && (!need_recv || f->nrecv) && (!need_out || f->out_bytes)) n++;
    }
    if (!n) return NULL;
    size_t pick = rn((uint32_t)n);
    for (size_t i = 0; i < M.nconn; i++) {
        fconn *f = M.conn[i];
        if (f->open && (!need_recv || f->nrecv) && (!need_out || f->out_bytes) && !pick--)
            return f;
    }
    return NULL;
}

static size_t open_count(void)
{
    size_t n = 0;
    for (size_t i = 0; i < M.nconn; i++) n += M.conn[i]->open;
    return n;
}

static void do_push(int k)
{
    char id[16], payload[300];
    size_t idn;
    key_text(k, id, &idn);
    GROW(M.msg, M.nmsg, M.cmsg);
    uint64_t mid = M.nmsg++;
    mmsg *m = &M.msg[mid];
    memset(m, 0, sizeof(*m));
    size_t pad = rn(4) ? rn(40) : 100 + rn(150);   /* frames of 2- and 4-byte headers */
    int n = snprintf(payload, sizeof(payload), "%" PRIu64 ":", mid);
    memset(payload + n, 'x', pad);
    m->key = k;
    m->len = (size_t)n + pad;
    m->push_ms = M.now;
    mkey *mk = &M.key[k];
    int was; live_before(k, &was);
    m->hist = mk->nhist;
    GROW(mk->hist, mk->nhist, mk->chist);
    mk->hist[mk->nhist++] = mid;
    GROW(mk->held, mk->nheld, mk->cheld);
    mk->held[mk->nheld++] = mid;
    M.depth++;
    M.bytes += m->len;
    live_after(k, was);

    wsp_key key = { id, idn };
    int written = -1;
    uint64_t ticket = 0;
    int rc = wsp_outbox_push(srv, &key, payload, m->len, &written, &ticket);
    CHECK(rc == WSP_OK, "push rc %d", rc);
    learn_seqs(k);
    settle_closes();                      /* a failed write closed a connection */
    while (mk->nheld > (size_t)M.queue_limit) {
        held_remove(k, 0);
        M.dropped_ql++;
        M.n_ql_total++;
    }
    int any = 0;
    for (size_t i = 0; i < M.nconn; i++) {
        fconn *f = M.conn[i];
        if (f->open && f->key == k && f->nw && f->w[f->nw - 1] == mid) any = 1;
    }
    CHECK(written == any, "push of message %" PRIu64 " answered %s but %s connection took it",
          mid, written ? "ok" : "queued", any ? "a" : "no");
}

static void do_bind(int k)
{
    fconn *f = calloc(1, sizeof(*f));
    CHECK(f, "alloc");
    static uint64_t conn_ids;
    f->c.srv = srv;
    f->c.id = ++conn_ids;
    f->c.state = WS_OPEN;
    f->key = k;
    f->open = 1;
    f->close_code = -1;
    mkey *mk = &M.key[k];
    f->last_hist = mk->nheld ? (long)M.msg[mk->held[0]].hist - 1 : (long)mk->nhist - 1;
    f->conf_hist = f->last_hist;
    GROW(M.conn, M.nconn, M.cconn);
    M.conn[M.nconn++] = f;
    M.n_conns_total++;
    int was; live_before(k, &was);
    mk->nopen++;
    live_after(k, was);
    char id[16]; size_t n;
    key_text(k, id, &n);
    wsp_keyrec *kr = wsp_key_get(srv, id, n);
    CHECK(kr, "key_get");
    wsp_outbox_bind(&f->c, kr);
    settle_closes();
}

/* What ws_conn.c's after_write does once output drained. */
static void after_drain(fconn *f)
{
    wsp_wsconn *c = &f->c;
    if (c->state == WS_OPEN && c->key && !wsp_ws_out_full(c) && c->cursor < c->key->next_seq)
        wsp_outbox_pump(c);
}

static void do_read(fconn *f)
{
    size_t budget = rn(3) ? (size_t)rn((uint32_t)M.max_output + 1) : (size_t)-1;
    size_t took = 0;
    while (f->nrecv < f->nw) {
        size_t fl = M.msg[f->w[f->nrecv]].len + (M.msg[f->w[f->nrecv]].len < 126 ? 2 : 4);
        if (took && took + fl > budget) break;
        took += fl;
        f->out_bytes -= fl;
        f->nrecv++;
    }
    after_drain(f);
    settle_closes();
}

static void do_pong(fconn *f)
{
    /* latest read, an earlier one (partial / stale), or the one before the latest */
    size_t wi = f->nrecv - 1;
    uint32_t r = rn(10);
    if (r >= 6) wi = rn((uint32_t)f->nrecv);
    else if (r == 5 && wi) wi--;
    uint64_t id = f->w[wi];
    CHECK(M.msg[id].seq, "message %" PRIu64 ": sequence unknown", id);
    wsp_outbox_confirm(&f->c, M.msg[id].seq, "pong");
    model_confirm(f, wi);
    settle_closes();
}

/* TCP-level confirmation (a fallback client): everything written was read. */
static void do_tcp_confirm(fconn *f)
{
    if (!f->nw || f->out_bytes) return;
    wsp_outbox_confirm(&f->c, f->c.written_upto, "tcp");
    model_confirm(f, f->nw - 1);
}

static void do_break(fconn *f)
{
    static const struct { uint16_t code; const char *why; } kinds[] = {
        { 0, "reset" }, { 0, "peer closed" }, { 1000, "client close" }, { 0, "write error" },
        { WSP_WS_CLOSE_GOING_AWAY, "heartbeat timeout" },
    };
    int i = (int)rn(sizeof(kinds) / sizeof(kinds[0]));
    wsp_ws_close(&f->c, kinds[i].code, kinds[i].why);
    settle_closes();
}

static void do_tick(void)
{
    M.now += rn((uint32_t)M.ttl_ms / 3 + 1);
    wsp_outbox_expire(srv);
    int64_t limit = M.now - M.ttl_ms;
    for (int k = 0; k < NKEYS; k++) {
        mkey *mk = &M.key[k];
        while (mk->nheld && M.msg[mk->held[0]].push_ms <= limit) {
            held_remove(k, 0);
            M.expired++;
            M.n_exp_total++;
        }
    }
}

/* Graceful stop (every connection closed, not as broken) and a restart
 * that loads the store: the held messages come back with their tries. */
static void do_restart(void)
{
    srv->stopping = 1;
    for (size_t i = 0; i < M.nconn; i++)
        if (M.conn[i]->open) wsp_ws_close(&M.conn[i]->c, WSP_WS_CLOSE_GOING_AWAY, "server stop");
    settle_closes();
    check_step(0);
    wsp_keytab_free(srv);
    free(srv);
    server_new();
    M.confirmed = M.dropped_retry = M.dropped_ql = M.expired = M.closed_behind = M.writes = 0;
    CHECK(fake_store_ops.load(&the_store, wsp_outbox_load_cb, srv) == 0, "load");
    for (int k = 0; k < NKEYS; k++) if (M.key[k].nheld) learn_seqs(k);
    M.n_restarts++;
}

static void run_seed(uint64_t seed, long steps)
{
    memset(&M, 0, sizeof(M));
    g_seed = seed;
    g_steps = steps;
    rng_state = seed * 0x9E3779B97F4A7C15ull + 1;
    M.nmsg = 1;                          /* ids from 1 */
    M.cmsg = 1024;
    M.msg = xrealloc(NULL, M.cmsg * sizeof(*M.msg));
    M.now = 1000000;
    M.queue_limit = 2 + (int)rn(40);
    M.retry_max = 1 + (int)rn(4);
    M.ttl_ms = 2000 + (int)rn(20000);
    M.max_output = 60 + rn(1500);
    server_new();
    for (g_step = 1; g_step <= steps; g_step++) {
        uint32_t r = rn(1000);
        fconn *f;
        if (r < 300) { g_op = "push"; do_push(pick_key()); }
        else if (r < 330) {
            g_op = "push to many keys";
            int n = 200 + (int)rn(600);
            for (int i = 0; i < n; i++) do_push((int)rn(NKEYS));
        }
        else if (r < 420) {
            g_op = "bind";
            if (open_count() >= MAX_OPEN) { g_op = "break"; do_break(pick_open(0, 0)); }
            else do_bind(rn(8) ? (int)rn(NHOT) : (int)rn(NKEYS));
        }
        else if (r < 620) { g_op = "read"; if ((f = pick_open(0, 1))) do_read(f); }
        else if (r < 780) { g_op = "pong"; if ((f = pick_open(1, 0))) do_pong(f); }
        else if (r < 810) { g_op = "tcp confirm"; if ((f = pick_open(0, 0))) do_tcp_confirm(f); }
        else if (r < 900) { g_op = "break"; if ((f = pick_open(0, 0))) do_break(f); }
        else if (r < 915) {
            g_op = "failed write";
            M.fail_adds = 1;
            do_push((int)rn(NHOT));
            M.fail_adds = 0;
        }
        else if (r < 990) { g_op = "time passes"; do_tick(); }
        else if (r < 997) {
            g_op = "a stalled tab, another confirms";
            /* the falling-behind case: two tabs of a hot key, one never reads */
            int k = (int)rn(NHOT);
            if (open_count() + 2 > MAX_OPEN) continue;
            do_bind(k);
            fconn *stalled = M.conn[M.nconn - 1];
            do_bind(k);
            fconn *reader = M.conn[M.nconn - 1];
            for (int i = 0, n = 5 + (int)rn(60); i < n && reader->open; i++) {
                do_push(k);
                if (reader->open) { do_read(reader); if (reader->nrecv) do_pong(reader); }
            }
            if (stalled->open) do_read(stalled);
        }
        else { g_op = "graceful stop and restart"; do_restart(); check_step(1); continue; }
        check_step(g_step % 200 == 0 || g_step == steps);
    }
    g_op = "end";
    for (size_t i = 0; i < M.nconn; i++) {
        if (M.conn[i]->open) wsp_ws_close(&M.conn[i]->c, 1000, "end");
    }
    settle_closes();
    check_step(1);
    printf("seed %" PRIu64 ": %ld steps, %zu pushes, %" PRIu64 " connections, %" PRIu64 " restarts; "
           "most keys alive %" PRIu64 "; dropped retry_max %" PRIu64 ", queue_limit %" PRIu64
           ", expired %" PRIu64 ", closed 4001 %" PRIu64 " (queue_limit %d, retry_max %d, "
           "ttl %d ms, max_output %zu)\n", seed, steps, M.nmsg - 1, M.n_conns_total, M.n_restarts,
           M.max_live_keys, M.n_retry_total, M.n_ql_total, M.n_exp_total, M.n_behind_total,
           M.queue_limit, M.retry_max, M.ttl_ms, M.max_output);
    /* free everything (ASan's leak check runs on this binary too) */
    wsp_keytab_free(srv);
    free(srv);
    for (size_t i = 0; i < M.nconn; i++) { free(M.conn[i]->w); free(M.conn[i]); }
    free(M.conn);
    for (int k = 0; k < NKEYS; k++) { free(M.key[k].hist); free(M.key[k].held); }
    free(M.msg);
    free(M.dirty);
    for (size_t i = 0; i < nrecs; i++) free(recs[i].payload);
    free(recs);
    recs = NULL;
    nrecs = crecs = 0;
    memset(store_live, 0, sizeof(store_live));
}

int main(void)
{
    const char *s = getenv("WSP_MODEL_SEED"), *n = getenv("WSP_MODEL_STEPS"),
               *ns = getenv("WSP_MODEL_SEEDS");
    long steps = n ? atol(n) : 3000;
    uint64_t first = s ? strtoull(s, NULL, 10) : 1;
    long seeds = s ? 1 : (ns ? atol(ns) : 4);
    uint64_t behind = 0, max_keys = 0, restarts = 0, retry = 0;
    for (long i = 0; i < seeds; i++) {
        run_seed(first + (uint64_t)i, steps);
        behind += M.n_behind_total;
        restarts += M.n_restarts;
        retry += M.n_retry_total;
        if (M.max_live_keys > max_keys) max_keys = M.max_live_keys;
    }
    /* The default run must reach what it claims to test. */
    if (!s && !n && !ns && (behind == 0 || max_keys <= 1024 || restarts == 0 || retry == 0)) {
        fprintf(stderr, "test_model: the run did not reach every case (4001 closes %" PRIu64
                ", most keys %" PRIu64 ", restarts %" PRIu64 ", retry_max drops %" PRIu64 ")\n",
                behind, max_keys, restarts, retry);
        return 1;
    }
    printf("test_model: %ld seed(s) x %ld steps passed\n", seeds, steps);
    return 0;
}
