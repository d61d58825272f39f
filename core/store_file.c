/*
 * store_file.c - the embedded durable outbox store (`store = file`, the
 * default), on LMDB. Why LMDB and how it was measured: docs/storage.md.
 *
 * Threads: the loop thread only queues changes (a mutex-guarded list and a
 * condvar, never disk I/O) and gets back a ticket per change. One writer
 * thread owns the database: it takes everything queued, applies it in one
 * write transaction, commits as the fsync policy says and calls the durable
 * callback with the highest ticket applied. load() runs a read transaction
 * on the caller's thread before the loop starts.
 *
 * On disk (data_dir): data.mdb + lock.mdb (LMDB) and wspush.lock (our
 * exclusive flock, holding the owner's pid). Named databases:
 *   msgs  key   = be64 rid (record id: grows with every append, across
 *                 restarts too, so the database is in push order)
 *         value = be64 push_ms, be32 tries, be32 crc, be64 seq,
 *                 be32 key id length, key id bytes, payload
 *         crc   = CRC-32C over the record key and the value with crc = 0,
 *                 so a damaged record is reported at load, not delivered
 *   meta  "format" -> "wspush-outbox-2"
 * Push order is what makes the store cheap: appends all land on the last
 * page (MDB_APPEND), and a confirmation removes records pushed at about the
 * same time, on a few neighbouring pages, so a group commit rewrites a
 * handful of pages instead of one page per key it touched (format 1 was
 * ordered by key, and wrote ~10x more per message). The key id travels in
 * the value, so any key id length works (LMDB keys stop at 511 bytes).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <lmdb.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store.h"
#include "bg_thread.h"
#include "mkdir.h"
#include "wsp.h"

#define WSP_FILE_MAP_SIZE   ((size_t)8 << 30)     /* virtual; the file stays sparse */
#define WSP_FILE_MAP_MAX    ((size_t)1 << 40)     /* growth cap on MDB_MAP_FULL */
#define WSP_FILE_VAL_HDR    28      /* push_ms, tries, crc, seq, key id length */
#define WSP_FILE_FORMAT     "wspush-outbox-2"
#define STORE_BATCH_MAX     4096     /* commit at once past this many changes */
/* Under a stream (fsync batch) the gap before a commit is at most this
 * (see wsp_file_writer). */
#define STORE_STREAM_GAP_MAX_S 0.005
#define STORE_CHUNK         (64 * 1024)  /* queued changes share chunks this big */

enum { WSP_CH_APPEND, WSP_CH_REMOVE, WSP_CH_TRIES };

/* One queued change, inside a chunk. data[] holds, for an append, the key
 * id then the payload; for a remove, n_rids record ids (uint64_t, copied in
 * and out with memcpy). */
typedef struct wsp_change {
    STAILQ_ENTRY(wsp_change) link;   /* the queue, then one of the writer's lists */
    int      kind;
    uint64_t ticket;
    uint64_t rid, seq;
    int64_t  push_ms;
    uint32_t tries;
    size_t   key_len, payload_len, n_rids;
    char     data[];
} wsp_change;
STAILQ_HEAD(wsp_change_list, wsp_change);

/* Queued changes are bump-allocated in chunks the writer takes whole and
 * frees after the commit: no malloc per change on the loop thread and no
 * free of another thread's memory per change on the writer. */
typedef struct wsp_chunk {
    TAILQ_ENTRY(wsp_chunk) link;     /* TAILQ: changes are reserved in the last one */
    size_t cap, used;
    _Alignas(8) unsigned char mem[];
} wsp_chunk;
TAILQ_HEAD(wsp_chunk_list, wsp_chunk);

struct wsp_store {
    char  *dir;
    int    fsync;
    _Atomic int pipelined;          /* the loop's hint (store.h): a writer pipelines */
    wsp_store_durable_cb cb;
    void  *cb_arg;
    int    lock_fd;

    MDB_env *env;
    MDB_dbi  msgs, meta;
    uint64_t next_rid;           /* loop thread (and open/load before it) */
    size_t   map_size;
    unsigned psize;

    pthread_mutex_t mu;          /* guards everything below it */
    pthread_cond_t  cv;          /* wakes the writer */
    struct wsp_change_list queue;   /* queued, in ticket order */
    struct wsp_chunk_list chunks;   /* where the queued changes live */
    wsp_chunk  *spare;           /* one emptied chunk kept for reuse */
    size_t   queued;
    uint64_t last_ticket;
    int      stop;
    int      writer_idle;        /* writer blocked waiting for the first change */
    uint64_t disk_bytes;
    char     err[320];
    _Atomic uint64_t removed_upto;   /* store.h; written by the writer */

    /* Held by load's read transaction and by the writer while it resizes
     * the map: mdb_env_set_mapsize needs no live transaction in the process. */
    pthread_mutex_t txn_mu;
    pthread_t writer;
    int       writer_started;
    int       sync_inited;
};

/* ---------- small helpers ---------------------------------------------- */

static void wsp_put_be64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) { p[i] = (unsigned char)v; v >>= 8; }
}

static uint64_t wsp_get_be64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
    return v;
}

static void wsp_put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24); p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);  p[3] = (unsigned char)v;
}

static uint32_t wsp_get_be32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | p[3];
}

/* ---------- CRC-32C (Castagnoli) for record checksums -------------------
 * LMDB checks page structure, not content: without a checksum a flipped
 * payload byte would be delivered as a message. SSE4.2 has a CRC-32C
 * instruction; elsewhere a table-driven loop does it. */

static uint32_t wsp_crc_table[256];
static int wsp_crc_hw_ok;
static pthread_once_t wsp_crc_once = PTHREAD_ONCE_INIT;
static int wsp_crc_has_hw(void);

static void wsp_crc_init(void)
{
    wsp_crc_hw_ok = wsp_crc_has_hw();
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        wsp_crc_table[i] = c;
    }
}

static uint32_t wsp_crc_sw(uint32_t crc, const unsigned char *p, size_t n)
{
    while (n--) crc = wsp_crc_table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return crc;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>
__attribute__((target("sse4.2")))
static uint32_t wsp_crc_hw(uint32_t crc, const unsigned char *p, size_t n)
{
    uint64_t c = crc;
    for (; n >= 8; n -= 8, p += 8) {
        uint64_t w;
        memcpy(&w, p, 8);   /* unaligned-safe load */
        c = _mm_crc32_u64(c, w);
    }
    crc = (uint32_t)c;
    while (n--) crc = _mm_crc32_u8(crc, *p++);
    return crc;
}
static int wsp_crc_has_hw(void)
{
    return __builtin_cpu_supports("sse4.2") ? 1 : 0;
}
#else
static uint32_t wsp_crc_hw(uint32_t crc, const unsigned char *p, size_t n)
{
    return wsp_crc_sw(crc, p, n);
}
static int wsp_crc_has_hw(void) { return 0; }
#endif

/* Continue a CRC-32C (start with 0) over n bytes. */
static uint32_t wsp_crc32c(uint32_t crc, const void *data, size_t n)
{
    crc = ~crc;
    if (wsp_crc_hw_ok) crc = wsp_crc_hw(crc, data, n);
    else crc = wsp_crc_sw(crc, data, n);
    return ~crc;
}

/* The record checksum: key bytes, then the value with its crc field zero. */
static uint32_t wsp_file_record_crc(const void *rk, size_t rk_len, const unsigned char *val,
                                    size_t val_len)
{
    static const unsigned char zero[4] = { 0, 0, 0, 0 };
    uint32_t c = wsp_crc32c(0, rk, rk_len);
    c = wsp_crc32c(c, val, 12);
    c = wsp_crc32c(c, zero, 4);
    return wsp_crc32c(c, val + 16, val_len - 16);
}

/* Record the latest error for last_error(); the writer and load both write. */
static void wsp_file_set_error(wsp_store *s, const char *msg)
{
    pthread_mutex_lock(&s->mu);
    snprintf(s->err, sizeof s->err, "%s", msg);
    pthread_mutex_unlock(&s->mu);
}

static void wsp_file_rid_key(uint64_t rid, unsigned char out[8])
{
    wsp_put_be64(out, rid);
}

static int wsp_file_is_corruption(int rc)
{
    return rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH || rc == MDB_CORRUPTED ||
           rc == MDB_PAGE_NOTFOUND || rc == MDB_INCOMPATIBLE || rc == MDB_BAD_VALSIZE;
}

/* One sentence per failure class, so start-up errors read the same way. */
static void wsp_file_explain(const char *dir, int rc, char *buf, size_t len)
{
    if (rc == EACCES || rc == EROFS || rc == EPERM || rc == ENOTDIR)
        snprintf(buf, len, "data_dir %s is not writable: %s", dir, mdb_strerror(rc));
    else if (rc == ENOSPC || rc == EDQUOT)
        snprintf(buf, len, "data_dir %s is full: %s", dir, mdb_strerror(rc));
    else if (rc == MDB_MAP_FULL)
        snprintf(buf, len, "data_dir %s: the store reached its size limit: %s", dir,
                 mdb_strerror(rc));
    else if (wsp_file_is_corruption(rc))
        snprintf(buf, len, "data_dir %s holds a corrupted store (data.mdb): %s", dir,
                 mdb_strerror(rc));
    else
        snprintf(buf, len, "data_dir %s: store error: %s", dir, mdb_strerror(rc));
}

/* ---------- applying changes (writer thread, inside a write txn) ------- */

static int wsp_file_apply_append(wsp_store *s, MDB_txn *txn, const wsp_change *ch)
{
    unsigned char rk[8];
    wsp_file_rid_key(ch->rid, rk);
    MDB_val k = { 8, rk }, v = { WSP_FILE_VAL_HDR + ch->key_len + ch->payload_len, NULL };
    /* rids only grow: MDB_APPEND puts the record on the last page without
     * a search; MDB_RESERVE builds the value in place, no extra copy. */
    int rc = mdb_put(txn, s->msgs, &k, &v, MDB_APPEND | MDB_RESERVE);
    if (rc) return rc;
    unsigned char *d = v.mv_data;
    wsp_put_be64(d, (uint64_t)ch->push_ms);
    wsp_put_be32(d + 8, 0);
    wsp_put_be32(d + 12, 0);
    wsp_put_be64(d + 16, ch->seq);
    wsp_put_be32(d + 24, (uint32_t)ch->key_len);
    if (ch->key_len + ch->payload_len)
        memcpy(d + WSP_FILE_VAL_HDR, ch->data, ch->key_len + ch->payload_len);
    wsp_put_be32(d + 12, wsp_file_record_crc(rk, 8, d, v.mv_size));
    return 0;
}

/* Delete records by id (sorted: the cursor walks the pages in order). */
static int wsp_file_apply_removes(wsp_store *s, MDB_txn *txn, const uint64_t *rids, size_t n)
{
    MDB_cursor *c = NULL;
    int rc = mdb_cursor_open(txn, s->msgs, &c);
    if (rc) return rc;
    for (size_t i = 0; i < n && rc == 0; i++) {
        unsigned char rk[8];
        wsp_file_rid_key(rids[i], rk);
        MDB_val k = { 8, rk }, v;
        rc = mdb_cursor_get(c, &k, &v, MDB_SET);
        if (rc == MDB_NOTFOUND) { rc = 0; continue; }   /* already gone */
        if (rc == 0) rc = mdb_cursor_del(c, 0);
    }
    mdb_cursor_close(c);
    return rc;
}

static int wsp_file_apply_tries(wsp_store *s, MDB_txn *txn, const wsp_change *ch)
{
    unsigned char rk[8];
    wsp_file_rid_key(ch->rid, rk);
    MDB_val k = { 8, rk }, v;
    int rc = mdb_get(txn, s->msgs, &k, &v);
    if (rc == MDB_NOTFOUND) return 0;   /* already confirmed or dropped */
    if (rc) return rc;
    if (v.mv_size < WSP_FILE_VAL_HDR) return MDB_CORRUPTED;
    /* v points into the read-only map: copy, patch, put back. */
    unsigned char *copy = malloc(v.mv_size);
    if (!copy) return ENOMEM;
    memcpy(copy, v.mv_data, v.mv_size);
    wsp_put_be32(copy + 8, ch->tries);
    wsp_put_be32(copy + 12, wsp_file_record_crc(rk, 8, copy, v.mv_size));
    MDB_val nv = { v.mv_size, copy };
    rc = mdb_put(txn, s->msgs, &k, &nv, 0);
    free(copy);
    return rc;
}

/* Double the map (up to the cap). Returns 0 if it grew. */
static int wsp_file_grow_map(wsp_store *s)
{
    if (s->map_size >= WSP_FILE_MAP_MAX) return -1;
    size_t want = s->map_size * 2;
    pthread_mutex_lock(&s->txn_mu);
    int rc = mdb_env_set_mapsize(s->env, want);
    pthread_mutex_unlock(&s->txn_mu);
    if (rc) return -1;
    s->map_size = want;
    return 0;
}

/* Apply the removes rm (sorted record ids) or n changes from first in one
 * transaction and commit it. With the batch/always policies the env syncs
 * inside mdb_txn_commit (LMDB's own two-step durable commit); with
 * everysec/off it is opened MDB_NOSYNC. A failed commit leaves the store as
 * it was (LMDB never writes over live pages), so the next one may succeed
 * (a disk that was full and has room again). */
static int wsp_file_commit_txn(wsp_store *s, wsp_change *first, size_t n,
                               const uint64_t *rm, size_t nrm)
{
    for (;;) {
        MDB_txn *txn = NULL;
        wsp_change *ch = first;
        int rc = mdb_txn_begin(s->env, NULL, 0, &txn);
        if (rc) return rc;
        if (nrm) rc = wsp_file_apply_removes(s, txn, rm, nrm);
        for (size_t i = 0; i < n && rc == 0; i++, ch = STAILQ_NEXT(ch, link)) {
            switch (ch->kind) {
            case WSP_CH_APPEND: rc = wsp_file_apply_append(s, txn, ch); break;
            case WSP_CH_TRIES:  rc = wsp_file_apply_tries(s, txn, ch); break;
            default:            rc = EINVAL; break;   /* removes come as rm */
            }
        }
        if (rc) mdb_txn_abort(txn);
        else rc = mdb_txn_commit(txn);
        if (rc == MDB_MAP_FULL && wsp_file_grow_map(s) == 0)
            continue;   /* retry the whole range in the bigger map */
        return rc;
    }
}

static void wsp_file_update_bytes(wsp_store *s)
{
    MDB_envinfo info;
    if (mdb_env_info(s->env, &info) != 0) return;
    pthread_mutex_lock(&s->mu);
    s->disk_bytes = (uint64_t)(info.me_last_pgno + 1) * s->psize;
    pthread_mutex_unlock(&s->mu);
}

/* After a commit: keep its error for last_error, or note what it wrote. */
static void wsp_file_committed(wsp_store *s, int rc, int *unsynced)
{
    if (rc) {
        char msg[320];
        wsp_file_explain(s->dir, rc, msg, sizeof msg);
        wsp_file_set_error(s, msg);
        return;
    }
    if (s->fsync == WSP_FSYNC_EVERYSEC || s->fsync == WSP_FSYNC_OFF) *unsynced = 1;
    wsp_file_update_bytes(s);
}

/* Commit n changes from first and report them: every ticket once, with the
 * result of the commit that held it (store.h). upto (>= the last change's
 * ticket) is reported when the range is done: removes queued among the
 * changes are reported with them, they are applied later. A range too big
 * for one transaction (MDB_TXN_FULL, a huge backlog) goes in halves, each
 * reported with its own result. *reported is the last ticket reported. */
static void wsp_file_commit_report(wsp_store *s, wsp_change *first, size_t n, uint64_t upto,
                                   int *unsynced, uint64_t *reported)
{
    int rc = n ? wsp_file_commit_txn(s, first, n, NULL, 0) : 0;
    if (rc == MDB_TXN_FULL && n > 1) {
        size_t half = n / 2;
        wsp_change *last = first;
        for (size_t i = 1; i < half; i++) last = STAILQ_NEXT(last, link);
        wsp_change *mid = STAILQ_NEXT(last, link);
        wsp_file_commit_report(s, first, half, last->ticket, unsynced, reported);
        wsp_file_commit_report(s, mid, n - half, upto, unsynced, reported);
        return;
    }
    if (n) wsp_file_committed(s, rc, unsynced);
    if (s->cb && upto > *reported) {
        *reported = upto;
        s->cb(s->cb_arg, upto, rc);
    }
}

static double wsp_mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void wsp_file_sync(wsp_store *s, int *unsynced, double *last_sync)
{
    int rc = mdb_env_sync(s->env, 1);
    if (rc) {
        /* The callback already answered these changes (everysec promises
         * nothing more); keep the reason for stats and logs. */
        char msg[320];
        wsp_file_explain(s->dir, rc, msg, sizeof msg);
        wsp_file_set_error(s, msg);
    }
    *unsynced = 0;
    *last_sync = wsp_mono_now();
}

/* Removes wait on the writer for up to STORE_REMOVE_DEFER_S (or until
 * STORE_REMOVE_MAX records wait) and then go in one commit of their own,
 * after the changes that came with them (a record appended and confirmed
 * within one batch is appended first, then removed). A confirmation removes
 * records pushed over the last ~100 ms, spread over many pages; taken
 * together, a page is rewritten once for all its removes instead of once
 * per group commit. Nothing waits for a remove (no reply does), and a crash
 * before it is applied only delivers the message again (at least once);
 * removed_upto says how far they are applied (the outbox keeps a released
 * key's sequence until then), and close() applies every waiting remove. */
#define STORE_REMOVE_DEFER_S 0.25
#define STORE_REMOVE_MAX     65536

/* Record ids waiting to be removed (writer thread only). */
typedef struct wsp_rid_set {
    uint64_t *v;
    size_t n, cap;
    double since;            /* when the oldest of them came (or the last try) */
    uint64_t hi_ticket;      /* the latest remove among them */
} wsp_rid_set;

static int wsp_rid_set_add(wsp_rid_set *r, const wsp_change *ch, double now)
{
    if (r->n + ch->n_rids > r->cap) {
        size_t cap = r->cap ? r->cap : 1024;
        while (cap < r->n + ch->n_rids) cap *= 2;
        uint64_t *v = realloc(r->v, cap * sizeof *v);
        if (!v) return -1;
        r->v = v;
        r->cap = cap;
    }
    if (!r->n) r->since = now;
    memcpy(r->v + r->n, ch->data, ch->n_rids * sizeof *r->v);
    r->n += ch->n_rids;
    r->hi_ticket = ch->ticket;
    return 0;
}

static int wsp_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Apply the waiting removes in one commit. On failure (a full disk: a
 * delete rewrites pages too) they keep waiting and are tried again after
 * another STORE_REMOVE_DEFER_S. */
static void wsp_file_commit_removes(wsp_store *s, wsp_rid_set *r, int *unsynced)
{
    qsort(r->v, r->n, sizeof *r->v, wsp_cmp_u64);
    int rc = wsp_file_commit_txn(s, NULL, 0, r->v, r->n);
    wsp_file_committed(s, rc, unsynced);
    if (rc) {
        r->since = wsp_mono_now();
        return;
    }
    atomic_store(&s->removed_upto, r->hi_ticket);
    r->n = 0;
}

/* Return the chunks of a taken batch: one is kept for the next batch. */
static void wsp_file_chunks_done(wsp_store *s, struct wsp_chunk_list *l)
{
    wsp_chunk *c = TAILQ_FIRST(l);
    if (c && c->cap == STORE_CHUNK) {
        TAILQ_REMOVE(l, c, link);
        pthread_mutex_lock(&s->mu);
        if (!s->spare) { s->spare = c; c = NULL; }
        pthread_mutex_unlock(&s->mu);
        free(c);
    }
    while ((c = TAILQ_FIRST(l)) != NULL) {
        TAILQ_REMOVE(l, c, link);
        free(c);
    }
}

static void *wsp_file_writer(void *arg)
{
    wsp_store *s = arg;
    wsp_bg_thread_init("wsp-store");   /* named, and below the loop's priority */
    int unsynced = 0;
    double last_sync = wsp_mono_now();
    uint64_t reported = 0;           /* last ticket given to the callback */
    wsp_rid_set removes = { 0 };
    /* the last commit of pushes: its changes, when it ended, how long it took */
    size_t last_n = 0;
    double last_end = 0, last_len = 0;

    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (STAILQ_EMPTY(&s->queue) && !s->stop) {
            s->writer_idle = 1;
            /* Wake for the next once-a-second sync (everysec) or for the
             * waiting removes, even when nothing else comes. */
            double due = 0;
            if (s->fsync == WSP_FSYNC_EVERYSEC && unsynced) due = last_sync + 1.0;
            if (removes.n && (!due || removes.since + STORE_REMOVE_DEFER_S < due))
                due = removes.since + STORE_REMOVE_DEFER_S;
            if (due) {
                struct timespec ts = { (time_t)due, (long)((due - (time_t)due) * 1e9) };
                if (pthread_cond_timedwait(&s->cv, &s->mu, &ts) == ETIMEDOUT) break;
            } else {
                pthread_cond_wait(&s->cv, &s->mu);
            }
        }
        s->writer_idle = 0;
        /* Group commit without a fixed wait: a commit starts as soon as
         * the previous one ended, and takes everything queued meanwhile.
         * Under a stream the batch is what arrived during the last commit
         * (its fsync under "batch"), so batches grow with the load by
         * themselves while a lone push, or one line in flight per pusher,
         * waits for one commit only (issue 18: a fixed 5 ms window made
         * every reply of a one-in-flight pusher wait ~7 ms).
         *
         * One adaptation, in the spirit of PostgreSQL's commit_delay with
         * commit_siblings: when the last commit carried several pushes (a
         * stream), the next one starts no sooner than half the last one's
         * duration after it ended (at most STORE_STREAM_GAP_MAX_S). Back to
         * back, a steady 20k pushes/s made ~1,300 commits/s, each two
         * fdatasyncs whose block-layer work ran on the server's core, and
         * the p99 push -> receipt was 4.8-5.5 ms; with the gap 0.57-0.67 ms
         * (issue 18). A lone push still waits for one commit only; under a
         * stream a reply waits at most half a commit longer than before.
         * Only while a writer pipelines (store.h, pipelined): backends that
         * each wait for their reply (one line in flight per PHP worker)
         * cannot add to the next commit before this one ends, so there the
         * gap was a pure delay (the one-in-flight pattern: 21.6-22.2k ->
         * 25.7-28.0k pushes/s with the gap off). */
        if (s->fsync == WSP_FSYNC_BATCH && last_n >= 2
            && atomic_load_explicit(&s->pipelined, memory_order_relaxed)) {
            double gap = last_len / 2 < STORE_STREAM_GAP_MAX_S ? last_len / 2 : STORE_STREAM_GAP_MAX_S;
            double until = last_end + gap;
            while (!s->stop && s->queued < STORE_BATCH_MAX && wsp_mono_now() < until) {
                struct timespec ts = { (time_t)until, (long)((until - (time_t)until) * 1e9) };
                if (pthread_cond_timedwait(&s->cv, &s->mu, &ts) == ETIMEDOUT) break;
            }
        }
        /* Take everything queued, chunks and all; the loop thread starts
         * a new chunk meanwhile. */
        struct wsp_change_list batch = STAILQ_HEAD_INITIALIZER(batch);
        struct wsp_chunk_list chunks = TAILQ_HEAD_INITIALIZER(chunks);
        STAILQ_CONCAT(&batch, &s->queue);          /* empties the queue */
        TAILQ_CONCAT(&chunks, &s->chunks, link);   /* and the chunks */
        uint64_t upto = s->last_ticket;
        int stopping = s->stop;
        s->queued = 0;
        pthread_mutex_unlock(&s->mu);

        /* Removes join the waiting ones; the rest is committed now. */
        struct wsp_change_list now_q = STAILQ_HEAD_INITIALIZER(now_q);
        struct wsp_change_list late = STAILQ_HEAD_INITIALIZER(late);
        size_t now_n = 0;
        double now = wsp_mono_now();
        wsp_change *ch;
        while ((ch = STAILQ_FIRST(&batch)) != NULL) {
            STAILQ_REMOVE_HEAD(&batch, link);
            if (ch->kind == WSP_CH_REMOVE && wsp_rid_set_add(&removes, ch, now) == 0)
                continue;
            if (ch->kind == WSP_CH_REMOVE) {
                /* No memory to make it wait: applied on its own after
                 * the changes (it may remove one of their appends). */
                STAILQ_INSERT_TAIL(&late, ch, link);
                continue;
            }
            STAILQ_INSERT_TAIL(&now_q, ch, link);
            now_n++;
        }

        if (s->fsync == WSP_FSYNC_ALWAYS && !STAILQ_EMPTY(&now_q)) {
            /* One commit (and its sync) per append; a tries change rides
             * with the next append's commit, or a final one. */
            wsp_change *seg = STAILQ_FIRST(&now_q);
            size_t seg_n = 0;
            STAILQ_FOREACH(ch, &now_q, link) {
                wsp_change *next = STAILQ_NEXT(ch, link);
                seg_n++;
                if (ch->kind == WSP_CH_APPEND || !next) {
                    wsp_file_commit_report(s, seg, seg_n,
                                           next ? ch->ticket : upto, &unsynced, &reported);
                    seg = next;
                    seg_n = 0;
                }
            }
        } else {
            double t0 = wsp_mono_now();
            wsp_file_commit_report(s, STAILQ_FIRST(&now_q), now_n, upto, &unsynced, &reported);
            if (now_n) {
                last_end = wsp_mono_now();
                last_len = last_end - t0;
            }
        }
        last_n = now_n;
        STAILQ_FOREACH(ch, &late, link) {
            /* (data[] is 8-aligned and was filled from uint64_t.) */
            int rc = wsp_file_commit_txn(s, NULL, 0, (const uint64_t *)(void *)ch->data,
                                         ch->n_rids);
            wsp_file_committed(s, rc, &unsynced);
        }
        if (removes.n && (stopping || now - removes.since >= STORE_REMOVE_DEFER_S
                          || removes.n >= STORE_REMOVE_MAX))
            wsp_file_commit_removes(s, &removes, &unsynced);
        wsp_file_chunks_done(s, &chunks);
        if (unsynced && s->fsync == WSP_FSYNC_EVERYSEC && wsp_mono_now() - last_sync >= 1.0)
            wsp_file_sync(s, &unsynced, &last_sync);

        pthread_mutex_lock(&s->mu);
        /* At stop, removes that failed once more are given up: their
         * records come back at the next start (at least once). */
        if (stopping && STAILQ_EMPTY(&s->queue)) break;
    }
    pthread_mutex_unlock(&s->mu);
    free(removes.v);
    /* A graceful stop loses nothing, whatever the policy. */
    wsp_file_sync(s, &unsynced, &last_sync);
    return NULL;
}

/* ---------- queueing (loop thread) ------------------------------------- */

/* Room for a change with extra data bytes at the tail of the queue (mu
 * held). NULL when memory ran out. */
static wsp_change *wsp_file_reserve(wsp_store *s, int kind, size_t extra)
{
    if (extra > SIZE_MAX / 2) return NULL;
    size_t need = (sizeof(wsp_change) + extra + 7) & ~(size_t)7;
    wsp_chunk *c = TAILQ_LAST(&s->chunks, wsp_chunk_list);
    if (!c || c->cap - c->used < need) {
        if (s->spare && need <= s->spare->cap) {
            c = s->spare;
            s->spare = NULL;
        } else {
            size_t cap = need > STORE_CHUNK ? need : STORE_CHUNK;
            c = malloc(sizeof *c + cap);
            if (!c) return NULL;
            c->cap = cap;
        }
        c->used = 0;
        TAILQ_INSERT_TAIL(&s->chunks, c, link);
    }
    wsp_change *ch = (wsp_change *)(c->mem + c->used);
    c->used += need;
    memset(ch, 0, sizeof *ch);
    ch->kind = kind;
    return ch;
}

/* Link a change filled under mu into the queue; returns its ticket. */
static uint64_t wsp_file_link(wsp_store *s, wsp_change *ch)
{
    ch->ticket = ++s->last_ticket;
    STAILQ_INSERT_TAIL(&s->queue, ch, link);
    s->queued++;
    if (s->writer_idle || s->queued == STORE_BATCH_MAX)
        pthread_cond_signal(&s->cv);
    return ch->ticket;
}

static int wsp_file_append(wsp_store *s, const char *key_id, size_t key_len, uint64_t seq,
                           int64_t push_ms, const char *payload, size_t payload_len,
                           uint64_t *rid, uint64_t *ticket)
{
    *rid = 0;
    *ticket = 0;
    if (!s || (key_len && !key_id) || (payload_len && !payload)) return -1;
    if (key_len > UINT32_MAX || payload_len > SIZE_MAX / 2 - key_len) return -1;
    pthread_mutex_lock(&s->mu);
    wsp_change *ch = s->stop ? NULL : wsp_file_reserve(s, WSP_CH_APPEND, key_len + payload_len);
    if (ch) {
        ch->rid = s->next_rid;
        ch->seq = seq;
        ch->push_ms = push_ms;
        ch->key_len = key_len;
        ch->payload_len = payload_len;
        if (key_len) memcpy(ch->data, key_id, key_len);
        if (payload_len) memcpy(ch->data + key_len, payload, payload_len);
        *ticket = wsp_file_link(s, ch);
        *rid = s->next_rid++;
    }
    pthread_mutex_unlock(&s->mu);
    return ch ? 0 : -1;
}

static int wsp_file_remove(wsp_store *s, const char *key_id, size_t key_len,
                           const wsp_store_ref *refs, size_t n, uint64_t *ticket)
{
    *ticket = 0;
    if (!s || (n && !refs) || n > SIZE_MAX / 16) return -1;
    pthread_mutex_lock(&s->mu);
    wsp_change *ch = s->stop ? NULL : wsp_file_reserve(s, WSP_CH_REMOVE, n * sizeof(uint64_t));
    if (ch) {
        ch->n_rids = n;
        for (size_t i = 0; i < n; i++)
            memcpy(ch->data + i * sizeof refs[i].rid, &refs[i].rid, sizeof refs[i].rid);
        *ticket = wsp_file_link(s, ch);
    }
    pthread_mutex_unlock(&s->mu);
    return ch ? 0 : -1;
}

static int wsp_file_set_tries(wsp_store *s, const char *key_id, size_t key_len,
                              wsp_store_ref ref, uint32_t tries, uint64_t *ticket)
{
    *ticket = 0;
    if (!s) return -1;
    pthread_mutex_lock(&s->mu);
    wsp_change *ch = s->stop ? NULL : wsp_file_reserve(s, WSP_CH_TRIES, 0);
    if (ch) {
        ch->rid = ref.rid;
        ch->seq = ref.seq;
        ch->tries = tries;
        *ticket = wsp_file_link(s, ch);
    }
    pthread_mutex_unlock(&s->mu);
    return ch ? 0 : -1;
}

/* ---------- open / load / close ---------------------------------------- */

/* LMDB asserts (and aborts) on some structural damage it meets while
 * walking pages. load() walks every record first thing at start-up, so it
 * is where a damaged file shows: while it runs, the hook jumps back into
 * load(), which reports a corrupted store instead of taking the process
 * down. Elsewhere (writer thread) the hook returns and LMDB aborts as
 * usual; pages the writer touches were walked by load() already. */
static __thread sigjmp_buf *wsp_file_load_jmp;

static void wsp_file_assert_hook(MDB_env *env, const char *msg)
{
    if (wsp_file_load_jmp) siglongjmp(*wsp_file_load_jmp, 1);
}

/* LMDB does not checksum its pages: garbage in a b-tree page can also make
 * it read through a wild pointer (SIGSEGV) or past the end of the file
 * (SIGBUS). For the duration of load() only, a handler turns such a fault
 * on the loading thread into the same jump; a fault on any other thread
 * puts the previous handler back and re-faults into it. Loads serialize on
 * a process-wide mutex so the saved handlers nest correctly. */
static pthread_mutex_t wsp_file_fault_mu = PTHREAD_MUTEX_INITIALIZER;
static struct sigaction wsp_file_old_segv, wsp_file_old_bus;

static void wsp_file_fault(int sig, siginfo_t *si, void *uc)
{
    if (wsp_file_load_jmp) siglongjmp(*wsp_file_load_jmp, 1);
    sigaction(sig, sig == SIGSEGV ? &wsp_file_old_segv : &wsp_file_old_bus, NULL);
}

static void wsp_file_fault_guard(int on)
{
    if (on) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = wsp_file_fault;
        sa.sa_flags = SA_SIGINFO;
        sigemptyset(&sa.sa_mask);
        pthread_mutex_lock(&wsp_file_fault_mu);
        sigaction(SIGSEGV, &sa, &wsp_file_old_segv);
        sigaction(SIGBUS, &sa, &wsp_file_old_bus);
    } else {
        sigaction(SIGSEGV, &wsp_file_old_segv, NULL);
        sigaction(SIGBUS, &wsp_file_old_bus, NULL);
        pthread_mutex_unlock(&wsp_file_fault_mu);
    }
}

/* Take the exclusive lock on dir/wspush.lock and write our pid into it. */
static int wsp_file_lock(wsp_store *s, char *errbuf, size_t errlen)
{
    char path[4096], pidtxt[32];
    if ((size_t)snprintf(path, sizeof path, "%s/wspush.lock", s->dir) >= sizeof path) {
        snprintf(errbuf, errlen, "data_dir %s: path too long", s->dir);
        return -1;
    }
    s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (s->lock_fd < 0) {
        snprintf(errbuf, errlen, "data_dir %s is not writable: %s", s->dir, strerror(errno));
        return -1;
    }
    if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) {
            ssize_t n = pread(s->lock_fd, pidtxt, sizeof pidtxt - 1, 0);
            long pid = 0;
            if (n > 0) { pidtxt[n] = '\0'; pid = strtol(pidtxt, NULL, 10); }
            if (pid > 0)
                snprintf(errbuf, errlen,
                         "data_dir %s is in use by another WsPush server (pid %ld)", s->dir, pid);
            else
                snprintf(errbuf, errlen, "data_dir %s is in use by another WsPush server",
                         s->dir);
        } else {
            snprintf(errbuf, errlen, "data_dir %s: cannot lock %s: %s", s->dir, path,
                     strerror(errno));
        }
        return -1;
    }
    int len = snprintf(pidtxt, sizeof pidtxt, "%ld\n", (long)getpid());
    if (ftruncate(s->lock_fd, 0) != 0 || pwrite(s->lock_fd, pidtxt, (size_t)len, 0) != len) {
        snprintf(errbuf, errlen, "data_dir %s is not writable: %s", s->dir, strerror(errno));
        return -1;
    }
    return 0;
}

/* Open the named databases and check (or write) the format marker. */
static int wsp_file_init_dbs(wsp_store *s, char *errbuf, size_t errlen)
{
    MDB_txn *txn = NULL;
    MDB_val fk = { 6, "format" }, fv;
    MDB_stat st;
    int rc = mdb_txn_begin(s->env, NULL, 0, &txn);
    if (rc) goto fail;
    if ((rc = mdb_dbi_open(txn, "msgs", MDB_CREATE, &s->msgs)) ||
        (rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &s->meta)))
        goto fail;
    rc = mdb_get(txn, s->meta, &fk, &fv);
    if (rc == MDB_NOTFOUND) {
        /* A fresh store, unless records exist without their marker. */
        if ((rc = mdb_stat(txn, s->msgs, &st))) goto fail;
        if (st.ms_entries) {
            snprintf(errbuf, errlen,
                     "data_dir %s holds a corrupted store (data.mdb): records without a format marker",
                     s->dir);
            goto fail_msg;
        }
        fv.mv_size = strlen(WSP_FILE_FORMAT);
        fv.mv_data = WSP_FILE_FORMAT;
        if ((rc = mdb_put(txn, s->meta, &fk, &fv, 0))) goto fail;
    } else if (rc) {
        goto fail;
    } else if (fv.mv_size != strlen(WSP_FILE_FORMAT) ||
               memcmp(fv.mv_data, WSP_FILE_FORMAT, fv.mv_size) != 0) {
        snprintf(errbuf, errlen, "data_dir %s holds a store of an unknown format (%.*s)",
                 s->dir, (int)(fv.mv_size > 40 ? 40 : fv.mv_size), (const char *)fv.mv_data);
        goto fail_msg;
    }
    {
        /* New records go after the last one, whatever earlier runs did. */
        MDB_cursor *c = NULL;
        MDB_val k, v;
        if ((rc = mdb_cursor_open(txn, s->msgs, &c))) goto fail;
        rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
        mdb_cursor_close(c);
        if (rc == MDB_NOTFOUND) s->next_rid = 1;
        else if (rc) goto fail;
        else if (k.mv_size != 8) {
            snprintf(errbuf, errlen,
                     "data_dir %s holds a corrupted store (data.mdb): bad record key", s->dir);
            goto fail_msg;
        } else s->next_rid = wsp_get_be64(k.mv_data) + 1;
    }
    rc = mdb_txn_commit(txn);
    txn = NULL;
    if (rc) goto fail;
    return 0;
fail:
    wsp_file_explain(s->dir, rc, errbuf, errlen);
fail_msg:
    if (txn) mdb_txn_abort(txn);
    return -1;
}

static void wsp_file_destroy(wsp_store *s)
{
    if (s->env) mdb_env_close(s->env);
    wsp_chunk *c;
    while ((c = TAILQ_FIRST(&s->chunks)) != NULL) {
        TAILQ_REMOVE(&s->chunks, c, link);
        free(c);
    }
    free(s->spare);
    if (s->lock_fd >= 0) close(s->lock_fd);   /* releases the flock */
    if (s->sync_inited) {
        pthread_cond_destroy(&s->cv);
        pthread_mutex_destroy(&s->mu);
        pthread_mutex_destroy(&s->txn_mu);
    }
    free(s->dir);
    free(s);
}

static wsp_store *wsp_file_open(const wsp_store_conf *conf, wsp_store_durable_cb cb,
                                void *cb_arg, char *errbuf, size_t errlen)
{
    const char *dir = conf ? conf->data_dir : NULL;
    int fsync = conf ? conf->fsync : -1;
    char scratch[8];
    wsp_store *s = NULL;
    pthread_condattr_t ca;
    sigset_t all, old;
    MDB_stat est;
    int rc;
    if (!errbuf || !errlen) { errbuf = scratch; errlen = sizeof scratch; }
    errbuf[0] = '\0';
    if (!dir || !*dir) {
        snprintf(errbuf, errlen, "data_dir is empty");
        return NULL;
    }
    if (fsync < WSP_FSYNC_BATCH || fsync > WSP_FSYNC_OFF) {
        snprintf(errbuf, errlen, "unknown fsync policy %d", fsync);
        return NULL;
    }
    s = calloc(1, sizeof *s);
    if (!s || !(s->dir = strdup(dir))) {
        free(s);
        snprintf(errbuf, errlen, "out of memory opening the store");
        return NULL;
    }
    s->lock_fd = -1;
    STAILQ_INIT(&s->queue);
    TAILQ_INIT(&s->chunks);
    s->fsync = fsync;
    s->cb = cb;
    s->cb_arg = cb_arg;
    s->map_size = WSP_FILE_MAP_SIZE;
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->txn_mu, NULL);
    /* Monotonic condvar clock: the everysec timer must not jump with NTP. */
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
    s->sync_inited = 1;
    pthread_once(&wsp_crc_once, wsp_crc_init);

    if (wsp_mkdir_p(dir, NULL, 0) != 0) {
        snprintf(errbuf, errlen, "data_dir %s is not writable: %s", dir, strerror(errno));
        goto fail;
    }
    /* Lock before LMDB touches anything: a second server must not even
     * open the environment (LMDB forbids two opens in one process too). */
    if (wsp_file_lock(s, errbuf, errlen) != 0) goto fail;

    if ((rc = mdb_env_create(&s->env))) goto fail_rc;
    mdb_env_set_assert(s->env, wsp_file_assert_hook);
    if ((rc = mdb_env_set_maxdbs(s->env, 4)) ||
        (rc = mdb_env_set_mapsize(s->env, s->map_size)))
        goto fail_rc;
    {
        unsigned flags = MDB_NOTLS;
        /* batch/always: LMDB's own durable commit (data fsync, then meta
         * fsync), safe against power loss. everysec/off: MDB_NOSYNC and our
         * own mdb_env_sync schedule. */
        if (fsync == WSP_FSYNC_EVERYSEC || fsync == WSP_FSYNC_OFF) flags |= MDB_NOSYNC;
        rc = mdb_env_open(s->env, dir, flags, 0644);
        if (rc) goto fail_rc;
    }
    {
        /* The map may have been grown by an earlier run. */
        MDB_envinfo info;
        if (mdb_env_info(s->env, &info) == 0 && info.me_mapsize > s->map_size)
            s->map_size = info.me_mapsize;
        /* A truncated data file: LMDB read only the meta pages so far; the
         * first touch of a missing page would be SIGBUS. Check the size the
         * meta pages promise before any page is read. */
        char fpath[PATH_MAX];
        struct stat fst;
        if (mdb_env_stat(s->env, &est) == 0
            && snprintf(fpath, sizeof fpath, "%s/data.mdb", dir) < (int)sizeof fpath
            && stat(fpath, &fst) == 0
            && (uint64_t)fst.st_size < ((uint64_t)info.me_last_pgno + 1) * est.ms_psize) {
            snprintf(errbuf, errlen, "data_dir %s holds a corrupted store (data.mdb): "
                     "file is %lld bytes, its pages need %llu", dir, (long long)fst.st_size,
                     (unsigned long long)(((uint64_t)info.me_last_pgno + 1) * est.ms_psize));
            goto fail;
        }
    }
    {
        int dead = 0;
        mdb_reader_check(s->env, &dead);   /* readers left by a kill -9 */
    }
    if (wsp_file_init_dbs(s, errbuf, errlen) != 0) goto fail;
    if ((rc = mdb_env_stat(s->env, &est))) goto fail_rc;
    s->psize = est.ms_psize;
    wsp_file_update_bytes(s);

    /* The writer must not take the process's signals (SIGTERM is for the
     * thread that runs the server). */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&s->writer, NULL, wsp_file_writer, s);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc) {
        snprintf(errbuf, errlen, "data_dir %s: cannot start the store writer: %s", dir,
                 strerror(rc));
        goto fail;
    }
    s->writer_started = 1;
    return s;

fail_rc:
    wsp_file_explain(dir, rc, errbuf, errlen);
fail:
    wsp_file_destroy(s);
    return NULL;
}

static void wsp_file_load_error(wsp_store *s, const char *what)
{
    char msg[320];
    snprintf(msg, sizeof msg, "data_dir %s holds a corrupted store (data.mdb): %s",
             s->dir, what);
    wsp_file_set_error(s, msg);
}

/* Walk msgs in order, check each record and hand it to cb. Locals that
 * live across the assert hook's siglongjmp are volatile. */
static int wsp_file_load(wsp_store *s, wsp_store_load_cb cb, void *arg)
{
    MDB_txn *volatile txn = NULL;
    MDB_cursor *volatile c = NULL;
    volatile int ret = -1;
    MDB_val k, v;
    int rc;
    sigjmp_buf jb;

    pthread_mutex_lock(&s->txn_mu);
    wsp_file_fault_guard(1);
    /* savemask = 1: a jump out of the fault handler must unblock SIGSEGV. */
    if (sigsetjmp(jb, 1)) {
        /* LMDB hit an assertion or faulted on a damaged page. Drop the
         * cursor and txn handles without touching the pages again; the
         * store is refused. */
        wsp_file_load_jmp = NULL;
        wsp_file_load_error(s, "damaged database pages");
        goto cleanup;
    }
    wsp_file_load_jmp = &jb;
    if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, (MDB_txn **)&txn))) goto fail_rc;
    if ((rc = mdb_cursor_open(txn, s->msgs, (MDB_cursor **)&c))) goto fail_rc;
    while ((rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) == 0) {
        const unsigned char *vp = v.mv_data;
        if (k.mv_size != 8) { wsp_file_load_error(s, "bad record key"); goto cleanup; }
        if (v.mv_size < WSP_FILE_VAL_HDR) {
            wsp_file_load_error(s, "short record value");
            goto cleanup;
        }
        uint64_t rid = wsp_get_be64(k.mv_data);
        uint64_t seq = wsp_get_be64(vp + 16);
        size_t key_len = wsp_get_be32(vp + 24);
        if (key_len > v.mv_size - WSP_FILE_VAL_HDR) {
            wsp_file_load_error(s, "bad key id length");
            goto cleanup;
        }
        if (wsp_get_be32(vp + 12) != wsp_file_record_crc(k.mv_data, 8, vp, v.mv_size)) {
            wsp_file_load_error(s, "record checksum mismatch");
            goto cleanup;
        }
        if (seq == 0) { wsp_file_load_error(s, "a record with sequence 0"); goto cleanup; }
        const char *key = (const char *)vp + WSP_FILE_VAL_HDR;
        wsp_store_ref ref = { seq, rid };
        int r = cb(arg, key, key_len, ref, (int64_t)wsp_get_be64(vp), wsp_get_be32(vp + 8),
                   key + key_len, v.mv_size - WSP_FILE_VAL_HDR - key_len);
        if (r) { ret = r; goto cleanup; }
    }
    if (rc != MDB_NOTFOUND) goto fail_rc;
    ret = 0;
    goto cleanup;

fail_rc:
    {
        char msg[320];
        wsp_file_explain(s->dir, rc, msg, sizeof msg);
        wsp_file_set_error(s, msg);
    }
cleanup:
    wsp_file_load_jmp = NULL;
    wsp_file_fault_guard(0);
    if (c) mdb_cursor_close(c);
    if (txn) mdb_txn_abort(txn);
    pthread_mutex_unlock(&s->txn_mu);
    return ret;
}

static void wsp_file_close(wsp_store *s)
{
    if (!s) return;
    if (s->writer_started) {
        /* The writer drains the queue, commits it and syncs before exiting. */
        pthread_mutex_lock(&s->mu);
        s->stop = 1;
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->writer, NULL);
    }
    wsp_file_destroy(s);
}

static uint64_t wsp_file_disk_bytes(wsp_store *s)
{
    pthread_mutex_lock(&s->mu);
    uint64_t b = s->disk_bytes;
    pthread_mutex_unlock(&s->mu);
    return b;
}

static uint64_t wsp_file_removed_upto(wsp_store *s)
{
    return atomic_load(&s->removed_upto);
}

static void wsp_file_last_error(wsp_store *s, char *buf, size_t len)
{
    if (!buf || !len) return;
    pthread_mutex_lock(&s->mu);
    snprintf(buf, len, "%s", s->err);
    pthread_mutex_unlock(&s->mu);
}

/* A child after fork(): drop its copy of the lock (flock belongs to the
 * open file, which fork shares, so the child would hold the data dir
 * locked after the parent stops) and of LMDB's data file. */
static void wsp_file_forked(wsp_store *s)
{
    mdb_filehandle_t fd;
    if (s->lock_fd >= 0) { close(s->lock_fd); s->lock_fd = -1; }
    if (s->env && mdb_env_get_fd(s->env, &fd) == 0 && fd >= 0) close(fd);
}

static void wsp_file_pipelined(wsp_store *s, int on)
{
    atomic_store_explicit(&s->pipelined, on, memory_order_relaxed);
}

const wsp_store_ops wsp_store_file_ops = {
    .name = "file",
    .open = wsp_file_open,
    .load = wsp_file_load,
    .append = wsp_file_append,
    .remove = wsp_file_remove,
    .set_tries = wsp_file_set_tries,
    .close = wsp_file_close,
    .forked = wsp_file_forked,
    .disk_bytes = wsp_file_disk_bytes,
    .removed_upto = wsp_file_removed_upto,
    .last_error = wsp_file_last_error,
    .pipelined = wsp_file_pipelined,
};
