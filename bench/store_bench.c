/*
 * store_bench.c - throwaway micro-benchmark that chose the embedded outbox
 * store (docs/storage.md): LMDB vs SQLite in WAL mode, measured the way the
 * server uses them.
 *
 *   cd core && make store-bench && ./build/store_bench [dir]
 *
 * What it measures, for each engine:
 *   1. group commit: CLIENTS pushing threads, each waiting for its push to be
 *      durable before sending the next (the "batch" policy); a writer thread
 *      takes everything queued, applies it in one transaction, commits and
 *      fsyncs. 100k messages of 200 bytes over 1000 keys.
 *   2. one fsync per append (the "always" policy), on fewer messages.
 *   3. remove throughput: confirmations as range removes of 10 seqs, queued
 *      all at once, one commit+fsync per writer batch.
 *   4. load time for 1,000,000 stored messages: bulk-fill, close, evict the
 *      files from the page cache (posix_fadvise DONTNEED; no root needed),
 *      reopen and iterate every record in (key, seq) order. Also warm.
 *
 * The record layout is the one core/store_file.c ships for the winner (and
 * the obvious one for the loser), so the figures are representative.
 * Finally the shipped store itself (core/store_file.c, compiled in) is run
 * through its wsp_store_ops API for each fsync policy and for a 1M load,
 * which adds its record checksums and queue to the raw LMDB figures.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store.h"
#include "wsp.h"

#define NKEYS       1000
#define PAYLOAD_LEN 200
#define CLIENTS     100

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "store_bench: %s: %s\n", what, detail);
    exit(1);
}

/* ---------- engine interface ------------------------------------------- */

typedef struct engine {
    const char *name;
    void *(*open)(const char *dir, int sync);
    void  (*begin)(void *h);
    void  (*put)(void *h, const char *key, size_t klen, uint64_t seq,
                 const char *payload, size_t plen);
    void  (*del_range)(void *h, const char *key, size_t klen, uint64_t from,
                       uint64_t to);
    void  (*commit)(void *h, int sync);
    long  (*load)(void *h, uint64_t *checksum);
    void  (*close)(void *h);
    const char *files[3];   /* data files under dir, for eviction and size */
} engine;

static void put_be64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) { p[i] = (unsigned char)v; v >>= 8; }
}
static uint64_t get_be64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
    return v;
}

/* ---------- LMDB: key = be16 len + key id + be64 seq ------------------- */

typedef struct lm {
    MDB_env *env;
    MDB_dbi dbi;
    MDB_txn *txn;
} lm;

static void *lm_open(const char *dir, int sync)
{
    lm *h = calloc(1, sizeof *h);
    int rc;
    if ((rc = mdb_env_create(&h->env))) die("mdb_env_create", mdb_strerror(rc));
    mdb_env_set_mapsize(h->env, (size_t)8 << 30);
    /* Synced runs use LMDB's own durable commit (fsync data, write meta,
     * fsync meta): what store_file.c ships for fsync=batch/always, since
     * MDB_NOSYNC + mdb_env_sync can leave a meta page pointing at unwritten
     * pages after a power loss. Unsynced runs use MDB_NOSYNC. */
    if ((rc = mdb_env_open(h->env, dir, (sync ? 0 : MDB_NOSYNC) | MDB_NOTLS, 0644)))
        die("mdb_env_open", mdb_strerror(rc));
    MDB_txn *t;
    mdb_txn_begin(h->env, NULL, 0, &t);
    if ((rc = mdb_dbi_open(t, NULL, 0, &h->dbi))) die("mdb_dbi_open", mdb_strerror(rc));
    mdb_txn_commit(t);
    return h;
}

static size_t lm_key(unsigned char *buf, const char *key, size_t klen, uint64_t seq)
{
    buf[0] = (unsigned char)(klen >> 8);
    buf[1] = (unsigned char)klen;
    memcpy(buf + 2, key, klen);
    put_be64(buf + 2 + klen, seq);
    return klen + 10;
}

static void lm_begin(void *vh)
{
    lm *h = vh;
    int rc = mdb_txn_begin(h->env, NULL, 0, &h->txn);
    if (rc) die("mdb_txn_begin", mdb_strerror(rc));
}

static void lm_put(void *vh, const char *key, size_t klen, uint64_t seq,
                   const char *payload, size_t plen)
{
    lm *h = vh;
    unsigned char kb[512];
    MDB_val k = { lm_key(kb, key, klen, seq), kb }, v;
    v.mv_size = 12 + plen;
    /* MDB_RESERVE: write the value in place, no intermediate buffer. */
    int rc = mdb_put(h->txn, h->dbi, &k, &v, MDB_RESERVE);
    if (rc) die("mdb_put", mdb_strerror(rc));
    unsigned char *d = v.mv_data;
    put_be64(d, 1700000000000ull);
    memset(d + 8, 0, 4);
    memcpy(d + 12, payload, plen);
}

static void lm_del_range(void *vh, const char *key, size_t klen, uint64_t from,
                         uint64_t to)
{
    lm *h = vh;
    unsigned char kb[512];
    MDB_val k = { lm_key(kb, key, klen, from), kb }, v;
    MDB_cursor *c;
    mdb_cursor_open(h->txn, h->dbi, &c);
    /* Re-seek after each delete: simple and immune to cursor-after-delete
     * corner cases; records of a key are contiguous so this stays local. */
    while (mdb_cursor_get(c, &k, &v, MDB_SET_RANGE) == 0) {
        if (k.mv_size != klen + 10 || memcmp(k.mv_data, kb, klen + 2) != 0) break;
        if (get_be64((unsigned char *)k.mv_data + 2 + klen) > to) break;
        mdb_cursor_del(c, 0);
        k.mv_size = klen + 10;
        k.mv_data = kb;
    }
    mdb_cursor_close(c);
}

static void lm_commit(void *vh, int sync)
{
    lm *h = vh;
    int rc = mdb_txn_commit(h->txn);
    if (rc) die("mdb_txn_commit", mdb_strerror(rc));
    h->txn = NULL;
    (void)sync;   /* decided at open: MDB_NOSYNC or not */
}

static long lm_load(void *vh, uint64_t *sum)
{
    lm *h = vh;
    MDB_txn *t;
    MDB_cursor *c;
    MDB_val k, v;
    long n = 0;
    mdb_txn_begin(h->env, NULL, MDB_RDONLY, &t);
    mdb_cursor_open(t, h->dbi, &c);
    while (mdb_cursor_get(c, &k, &v, MDB_NEXT) == 0) {
        const unsigned char *kp = k.mv_data, *vp = v.mv_data;
        size_t klen = ((size_t)kp[0] << 8) | kp[1];
        /* Touch what the server would copy: seq, push_ms, payload. */
        *sum += get_be64(kp + 2 + klen) + get_be64(vp) + vp[v.mv_size - 1];
        n++;
    }
    mdb_cursor_close(c);
    mdb_txn_abort(t);
    return n;
}

static void lm_close(void *vh)
{
    lm *h = vh;
    mdb_env_sync(h->env, 1);
    mdb_env_close(h->env);
    free(h);
}

/* ---------- SQLite WAL: one WITHOUT ROWID table keyed (key, seq) ------- */

typedef struct sq {
    sqlite3 *db;
    sqlite3_stmt *ins, *del, *begin, *commit;
} sq;

static void sq_exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) die(sql, err);
}

static void *sq_open(const char *dir, int sync)
{
    sq *h = calloc(1, sizeof *h);
    char path[1024];
    snprintf(path, sizeof path, "%s/outbox.sqlite", dir);
    if (sqlite3_open(path, &h->db) != SQLITE_OK) die("sqlite3_open", path);
    sq_exec(h->db, "PRAGMA journal_mode=WAL");
    /* In WAL mode synchronous=FULL fsyncs the WAL at every commit: exactly
     * one fsync per group commit. OFF never syncs. */
    sq_exec(h->db, sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=OFF");
    sq_exec(h->db, "CREATE TABLE IF NOT EXISTS outbox(k BLOB NOT NULL, seq INTEGER NOT NULL,"
                   " push_ms INTEGER NOT NULL, tries INTEGER NOT NULL, payload BLOB NOT NULL,"
                   " PRIMARY KEY(k, seq)) WITHOUT ROWID");
    sqlite3_prepare_v2(h->db, "INSERT INTO outbox VALUES(?,?,?,0,?)", -1, &h->ins, NULL);
    sqlite3_prepare_v2(h->db, "DELETE FROM outbox WHERE k=? AND seq BETWEEN ? AND ?", -1, &h->del, NULL);
    sqlite3_prepare_v2(h->db, "BEGIN", -1, &h->begin, NULL);
    sqlite3_prepare_v2(h->db, "COMMIT", -1, &h->commit, NULL);
    return h;
}

static void sq_begin(void *vh)
{
    sq *h = vh;
    sqlite3_step(h->begin);
    sqlite3_reset(h->begin);
}

static void sq_put(void *vh, const char *key, size_t klen, uint64_t seq,
                   const char *payload, size_t plen)
{
    sq *h = vh;
    sqlite3_bind_blob(h->ins, 1, key, (int)klen, SQLITE_STATIC);
    sqlite3_bind_int64(h->ins, 2, (sqlite3_int64)seq);
    sqlite3_bind_int64(h->ins, 3, 1700000000000ll);
    sqlite3_bind_blob(h->ins, 4, payload, (int)plen, SQLITE_STATIC);
    if (sqlite3_step(h->ins) != SQLITE_DONE) die("insert", sqlite3_errmsg(h->db));
    sqlite3_reset(h->ins);
}

static void sq_del_range(void *vh, const char *key, size_t klen, uint64_t from,
                         uint64_t to)
{
    sq *h = vh;
    sqlite3_bind_blob(h->del, 1, key, (int)klen, SQLITE_STATIC);
    sqlite3_bind_int64(h->del, 2, (sqlite3_int64)from);
    sqlite3_bind_int64(h->del, 3, (sqlite3_int64)to);
    if (sqlite3_step(h->del) != SQLITE_DONE) die("delete", sqlite3_errmsg(h->db));
    sqlite3_reset(h->del);
}

static void sq_commit(void *vh, int sync)
{
    sq *h = vh;
    (void)sync;   /* decided at open by PRAGMA synchronous */
    if (sqlite3_step(h->commit) != SQLITE_DONE) die("commit", sqlite3_errmsg(h->db));
    sqlite3_reset(h->commit);
}

static long sq_load(void *vh, uint64_t *sum)
{
    sq *h = vh;
    sqlite3_stmt *st;
    long n = 0;
    sqlite3_prepare_v2(h->db, "SELECT k, seq, push_ms, tries, payload FROM outbox ORDER BY k, seq",
                       -1, &st, NULL);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *p = sqlite3_column_blob(st, 4);
        int plen = sqlite3_column_bytes(st, 4);
        (void)sqlite3_column_blob(st, 0);
        *sum += (uint64_t)sqlite3_column_int64(st, 1) + (uint64_t)sqlite3_column_int64(st, 2)
                + p[plen - 1];
        n++;
    }
    sqlite3_finalize(st);
    return n;
}

static void sq_close(void *vh)
{
    sq *h = vh;
    sqlite3_finalize(h->ins);
    sqlite3_finalize(h->del);
    sqlite3_finalize(h->begin);
    sqlite3_finalize(h->commit);
    sqlite3_close(h->db);
    free(h);
}

static const engine engines[] = {
    { "lmdb", lm_open, lm_begin, lm_put, lm_del_range, lm_commit, lm_load, lm_close,
      { "data.mdb", NULL, NULL } },
    { "sqlite-wal", sq_open, sq_begin, sq_put, sq_del_range, sq_commit, sq_load, sq_close,
      { "outbox.sqlite", "outbox.sqlite-wal", NULL } },
};

/* ---------- the writer thread and its queue ---------------------------- */

typedef struct op {
    int      is_del;
    int      key;
    uint64_t seq, to;
} op;

typedef struct bench {
    const engine *e;
    void *h;
    pthread_mutex_t mu;
    pthread_cond_t  cv_work, cv_done;
    op      *q;
    size_t   qn, qcap;
    uint64_t queued, durable;     /* tickets */
    int      sync, stop;
    long     batches;
    char     keys[NKEYS][16];
    size_t   klen[NKEYS];
    char     payload[PAYLOAD_LEN];
} bench;

static uint64_t enqueue(bench *b, op o)
{
    pthread_mutex_lock(&b->mu);
    if (b->qn == b->qcap) {
        b->qcap = b->qcap ? b->qcap * 2 : 1024;
        b->q = realloc(b->q, b->qcap * sizeof *b->q);
    }
    b->q[b->qn++] = o;
    uint64_t t = ++b->queued;
    pthread_cond_signal(&b->cv_work);
    pthread_mutex_unlock(&b->mu);
    return t;
}

static void wait_durable(bench *b, uint64_t t)
{
    pthread_mutex_lock(&b->mu);
    while (b->durable < t) pthread_cond_wait(&b->cv_done, &b->mu);
    pthread_mutex_unlock(&b->mu);
}

static void *writer(void *arg)
{
    bench *b = arg;
    op *mine = NULL;
    size_t cap = 0;
    pthread_mutex_lock(&b->mu);
    for (;;) {
        while (b->qn == 0 && !b->stop) pthread_cond_wait(&b->cv_work, &b->mu);
        if (b->qn == 0 && b->stop) break;
        /* Swap buffers: take everything queued, release the lock for I/O. */
        op *taken = b->q;
        size_t n = b->qn;
        size_t taken_cap = b->qcap;
        uint64_t upto = b->queued;
        b->q = mine; b->qcap = cap; b->qn = 0;
        pthread_mutex_unlock(&b->mu);

        b->e->begin(b->h);
        for (size_t i = 0; i < n; i++) {
            op *o = &taken[i];
            if (o->is_del)
                b->e->del_range(b->h, b->keys[o->key], b->klen[o->key], o->seq, o->to);
            else
                b->e->put(b->h, b->keys[o->key], b->klen[o->key], o->seq, b->payload, PAYLOAD_LEN);
        }
        b->e->commit(b->h, b->sync);
        mine = taken;
        cap = taken_cap;
        pthread_mutex_lock(&b->mu);
        b->batches++;
        b->durable = upto;
        pthread_cond_broadcast(&b->cv_done);
    }
    pthread_mutex_unlock(&b->mu);
    free(mine);
    return NULL;
}

typedef struct client_arg {
    bench *b;
    int id, count;
    uint64_t *next_seq;     /* per key, shared: guarded by seq_mu */
    pthread_mutex_t *seq_mu;
} client_arg;

static void *client(void *arg)
{
    client_arg *ca = arg;
    for (int i = 0; i < ca->count; i++) {
        /* A push goes to a key; the server assigns seq on the loop thread,
         * here under a lock standing in for it. */
        op o = { 0, (ca->id * 7919 + i) % NKEYS, 0, 0 };
        pthread_mutex_lock(ca->seq_mu);
        o.seq = ++ca->next_seq[o.key];
        uint64_t t = enqueue(ca->b, o);
        pthread_mutex_unlock(ca->seq_mu);
        wait_durable(ca->b, t);
    }
    return NULL;
}

static void rm_rf(const char *dir)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) die("rm -rf", dir);
}

static void bench_start(bench *b, const engine *e, const char *dir, int sync)
{
    memset(b, 0, sizeof *b);
    b->e = e;
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->cv_work, NULL);
    pthread_cond_init(&b->cv_done, NULL);
    for (int k = 0; k < NKEYS; k++)
        b->klen[k] = (size_t)snprintf(b->keys[k], sizeof b->keys[k], "w%d", 100000 + k);
    memset(b->payload, 'x', PAYLOAD_LEN);
    b->sync = sync;
    b->h = e->open(dir, sync);
}

static void bench_stop(bench *b, pthread_t th)
{
    pthread_mutex_lock(&b->mu);
    b->stop = 1;
    pthread_cond_signal(&b->cv_work);
    pthread_mutex_unlock(&b->mu);
    pthread_join(th, NULL);
    b->e->close(b->h);
    free(b->q);
}

/* Push `total` messages from `clients` threads, each waiting for durability. */
static void run_pushes(const engine *e, const char *dir, int total, int clients,
                       int sync, const char *label)
{
    bench b;
    pthread_t th;
    uint64_t next_seq[NKEYS] = { 0 };
    pthread_mutex_t seq_mu = PTHREAD_MUTEX_INITIALIZER;
    rm_rf(dir);
    mkdir(dir, 0755);
    bench_start(&b, e, dir, sync);
    pthread_create(&th, NULL, writer, &b);
    client_arg *ca = calloc((size_t)clients, sizeof *ca);
    pthread_t *ct = calloc((size_t)clients, sizeof *ct);
    double t0 = now_s();
    for (int i = 0; i < clients; i++) {
        ca[i] = (client_arg){ &b, i, total / clients, next_seq, &seq_mu };
        pthread_create(&ct[i], NULL, client, &ca[i]);
    }
    for (int i = 0; i < clients; i++) pthread_join(ct[i], NULL);
    double dt = now_s() - t0;
    printf("%-10s %-38s %8d msgs %8.2f s %10.0f appends/s  (%ld commits, avg batch %.1f)\n",
           e->name, label, total, dt, total / dt, b.batches,
           b.batches ? (double)total / b.batches : 0.0);

    if (total >= 100000) {
        /* Removes, the way confirmations arrive: ranges of 10 per key,
         * everything queued at once, one commit+fsync per writer batch. */
        long removed = 0;
        t0 = now_s();
        uint64_t last = 0;
        for (int k = 0; k < NKEYS; k++)
            for (uint64_t s = 1; s <= next_seq[k]; s += 10) {
                op o = { 1, k, s, s + 9 };
                last = enqueue(&b, o);
            }
        wait_durable(&b, last);
        dt = now_s() - t0;
        for (int k = 0; k < NKEYS; k++) removed += (long)next_seq[k];
        printf("%-10s %-38s %8ld msgs %8.2f s %10.0f removed/s  (%llu range removes)\n",
               e->name, "remove, ranges of 10, fsync per batch", removed, dt,
               removed / dt, (unsigned long long)last - (unsigned long long)total);
    }
    bench_stop(&b, th);
    free(ca);
    free(ct);
}

static uint64_t dir_bytes(const engine *e, const char *dir)
{
    uint64_t total = 0;
    for (int i = 0; e->files[i]; i++) {
        char p[1200];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", dir, e->files[i]);
        if (stat(p, &st) == 0) total += (uint64_t)st.st_blocks * 512;
    }
    return total;
}

static void evict(const engine *e, const char *dir)
{
    for (int i = 0; e->files[i]; i++) {
        char p[1200];
        snprintf(p, sizeof p, "%s/%s", dir, e->files[i]);
        int fd = open(p, O_RDONLY);
        if (fd < 0) continue;
        fdatasync(fd);
        posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        close(fd);
    }
}

static void run_load(const engine *e, const char *dir, long nmsgs)
{
    bench b;
    rm_rf(dir);
    mkdir(dir, 0755);
    bench_start(&b, e, dir, 0);
    double t0 = now_s();
    long per_key = nmsgs / NKEYS, n = 0;
    /* Fill in push order (round-robin over keys), 10k per transaction. */
    for (long s = 1; s <= per_key; s++) {
        if ((s - 1) % 10 == 0) e->begin(b.h);
        for (int k = 0; k < NKEYS; k++, n++)
            e->put(b.h, b.keys[k], b.klen[k], (uint64_t)s, b.payload, PAYLOAD_LEN);
        if (s % 10 == 0 || s == per_key) e->commit(b.h, 0);
    }
    e->close(b.h);
    double fill = now_s() - t0;

    for (int round = 0; round < 2; round++) {
        if (round == 0) evict(e, dir);
        uint64_t sum = 0;
        t0 = now_s();
        void *h = e->open(dir, 0);
        long got = e->load(h, &sum);
        double dt = now_s() - t0;
        e->close(h);
        if (got != n) die("load", "count mismatch");
        printf("%-10s load %ld msgs (%s cache) %8.2f s %10.0f msgs/s  (db %.0f MiB, fill %.1f s)\n",
               e->name, got, round == 0 ? "cold" : "warm", dt, got / dt,
               dir_bytes(e, dir) / 1048576.0, fill);
    }
}

/* ---------- the shipped store, through wsp_store_ops ------------------- */

typedef struct shipped {
    pthread_mutex_t mu;
    pthread_cond_t  cv;
    uint64_t durable;
    pthread_mutex_t seq_mu;
    uint64_t next_seq[NKEYS];
    wsp_store *st;
    int per_client;
    int id_base;
} shipped;

static void shipped_durable(void *arg, uint64_t upto, int err)
{
    shipped *sh = arg;
    if (err) die("durable callback", "error");
    pthread_mutex_lock(&sh->mu);
    sh->durable = upto;
    pthread_cond_broadcast(&sh->cv);
    pthread_mutex_unlock(&sh->mu);
}

static void *shipped_client(void *arg)
{
    shipped *sh = arg;
    char payload[PAYLOAD_LEN], key[16];
    memset(payload, 'x', sizeof payload);
    pthread_mutex_lock(&sh->seq_mu);
    int id = sh->id_base++;
    pthread_mutex_unlock(&sh->seq_mu);
    for (int i = 0; i < sh->per_client; i++) {
        int k = (id * 7919 + i) % NKEYS;
        int kl = snprintf(key, sizeof key, "w%d", 100000 + k);
        /* The loop thread is single: one lock stands in for it. */
        pthread_mutex_lock(&sh->seq_mu);
        uint64_t rid, t = 0;
        int rc = wsp_store_file_ops.append(sh->st, key, (size_t)kl, ++sh->next_seq[k],
                                           1700000000000ll, payload, sizeof payload, &rid, &t);
        pthread_mutex_unlock(&sh->seq_mu);
        if (rc || !t) die("append", "not queued");
        pthread_mutex_lock(&sh->mu);
        while (sh->durable < t) pthread_cond_wait(&sh->cv, &sh->mu);
        pthread_mutex_unlock(&sh->mu);
    }
    return NULL;
}

static int shipped_count(void *arg, const char *k, size_t kl, wsp_store_ref ref, int64_t ms,
                         uint32_t tries, const char *p, size_t pl)
{
    (*(long *)arg)++;
    return 0;
}

static void run_shipped(const char *dir)
{
    static const char *names[] = { "batch", "always", "everysec", "off" };
    char err[512];
    for (int pol = WSP_FSYNC_BATCH; pol <= WSP_FSYNC_OFF; pol++) {
        shipped sh;
        memset(&sh, 0, sizeof sh);
        pthread_mutex_init(&sh.mu, NULL);
        pthread_cond_init(&sh.cv, NULL);
        pthread_mutex_init(&sh.seq_mu, NULL);
        rm_rf(dir);
        sh.st = wsp_store_file_ops.open(&(wsp_store_conf){ "file", dir, pol }, shipped_durable, &sh, err, sizeof err);
        if (!sh.st) die("open", err);
        int clients = CLIENTS, total = pol == WSP_FSYNC_ALWAYS ? 20000 : 100000;
        sh.per_client = total / clients;
        pthread_t ct[CLIENTS];
        double t0 = now_s();
        for (int i = 0; i < clients; i++) pthread_create(&ct[i], NULL, shipped_client, &sh);
        for (int i = 0; i < clients; i++) pthread_join(ct[i], NULL);
        double dt = now_s() - t0;
        printf("%-10s fsync=%-8s 100 waiting clients   %8d msgs %8.2f s %10.0f appends/s\n",
               "wsp-file", names[pol], total, dt, total / dt);
        wsp_store_file_ops.close(sh.st);
    }

    /* 1M stored messages, then a restart's load. */
    rm_rf(dir);
    wsp_store *st = wsp_store_file_ops.open(&(wsp_store_conf){ "file", dir, WSP_FSYNC_OFF }, NULL, NULL, err, sizeof err);
    if (!st) die("open", err);
    char payload[PAYLOAD_LEN], key[16];
    memset(payload, 'x', sizeof payload);
    for (long s = 1; s <= 1000; s++)
        for (int k = 0; k < NKEYS; k++) {
            int kl = snprintf(key, sizeof key, "w%d", 100000 + k);
            uint64_t rid, t;
            wsp_store_file_ops.append(st, key, (size_t)kl, (uint64_t)s, 1700000000000ll,
                                      payload, sizeof payload, &rid, &t);
        }
    wsp_store_file_ops.close(st);
    engine e = engines[0];   /* same files as raw lmdb */
    for (int round = 0; round < 2; round++) {
        if (round == 0) evict(&e, dir);
        long n = 0;
        double t0 = now_s();
        st = wsp_store_file_ops.open(&(wsp_store_conf){ "file", dir, WSP_FSYNC_BATCH }, NULL, NULL, err, sizeof err);
        if (!st) die("open", err);
        if (wsp_store_file_ops.load(st, shipped_count, &n) != 0) die("load", "failed");
        double dt = now_s() - t0;
        wsp_store_file_ops.close(st);
        printf("%-10s open+load %ld msgs (%s cache) %8.2f s %10.0f msgs/s  (db %.0f MiB)\n",
               "wsp-file", n, round == 0 ? "cold" : "warm", dt, n / dt,
               dir_bytes(&e, dir) / 1048576.0);
    }
    rm_rf(dir);
}

int main(int argc, char **argv)
{
    const char *base = argc > 1 ? argv[1] : "/tmp/wsp_store_bench";
    const char *only = getenv("ENGINE");
    char dir[1024];
    mkdir(base, 0755);
    for (size_t i = 0; i < sizeof engines / sizeof engines[0]; i++) {
        const engine *e = &engines[i];
        if (only && strcmp(only, e->name) != 0) continue;
        snprintf(dir, sizeof dir, "%s/%s", base, e->name);
        run_pushes(e, dir, 100000, CLIENTS, 1, "group commit, 100 waiting clients");
        run_pushes(e, dir, 100000, 1000, 1, "group commit, 1000 waiting clients");
        run_pushes(e, dir, 2000, 1, 1, "fsync per append (always)");
        run_pushes(e, dir, 100000, CLIENTS, 0, "no fsync (off), 100 waiting clients");
        run_load(e, dir, 1000000);
        rm_rf(dir);
    }
    if (!only || strcmp(only, "wsp-file") == 0) {
        snprintf(dir, sizeof dir, "%s/wsp-file", base);
        run_shipped(dir);
    }
    return 0;
}
