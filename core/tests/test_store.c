/*
 * test_store.c - the outbox stores (store.h): the memory store keeps nothing;
 * the file store (LMDB) round-trips appends, removes and tries across
 * close + reopen, hands out increasing tickets and reports them durable in
 * order under every fsync policy, and refuses a locked, unwritable or
 * corrupted data_dir with a clear message.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"
#include "server_internal.h"
#include "wsp.h"
#include "testutil.h"

/* ---------- helpers ------------------------------------------------------ */

static char tmp_root[256];
static void rids_reset(void);

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static void rm_tmp_root(void)
{
    if (tmp_root[0]) nftw(tmp_root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh directory per test (tests may run in one process: CK_FORK=no). */
static const char *fresh_dir(const char *name)
{
    static char path[512];
    if (!tmp_root[0]) {
        strcpy(tmp_root, "/tmp/wsp_test_store_XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(tmp_root));
        atexit(rm_tmp_root);
    }
    snprintf(path, sizeof path, "%s/%s", tmp_root, name);
    rids_reset();
    return path;
}

static wsp_store *st_open(const wsp_store_ops *ops, const char *dir, int fsync,
                          wsp_store_durable_cb cb, void *arg, char *err, size_t errlen)
{
    wsp_store_conf conf = { ops->name, dir, fsync };
    return ops->open(&conf, cb, arg, err, errlen);
}

/* The outbox keeps each record's rid (store.h); the tests keep them here,
 * by (key id, seq), so removes and tries can name records as the outbox
 * does. */
typedef struct ridrec {
    char    *key;
    size_t   key_len;
    uint64_t seq, rid;
} ridrec;
static ridrec *rid_tab;
static size_t  rid_n, rid_cap;

static wsp_store_ref ref_of(const char *key, size_t key_len, uint64_t seq)
{
    for (size_t i = rid_n; i-- > 0;)
        if (rid_tab[i].key_len == key_len && memcmp(rid_tab[i].key, key, key_len) == 0 &&
            rid_tab[i].seq == seq)
            return (wsp_store_ref){ seq, rid_tab[i].rid };
    return (wsp_store_ref){ seq, 0 };
}

static uint64_t app(wsp_store *s, const char *key, size_t key_len, uint64_t seq,
                    int64_t push_ms, const char *payload, size_t payload_len)
{
    uint64_t rid = 0, t = 0;
    ck_assert_int_eq(wsp_store_file_ops.append(s, key, key_len, seq, push_ms, payload,
                                               payload_len, &rid, &t), 0);
    ck_assert_uint_gt(t, 0);
    ck_assert_uint_gt(rid, 0);
    if (rid_n == rid_cap) {
        rid_cap = rid_cap ? rid_cap * 2 : 256;
        rid_tab = realloc(rid_tab, rid_cap * sizeof *rid_tab);
    }
    ridrec *r = &rid_tab[rid_n++];
    r->key = malloc(key_len ? key_len : 1);
    memcpy(r->key, key, key_len);
    r->key_len = key_len;
    r->seq = seq;
    r->rid = rid;
    return t;
}

/* Remove the records of key with seq in [from, to] (inclusive). */
static uint64_t rem(wsp_store *s, const char *key, size_t key_len, uint64_t from, uint64_t to)
{
    wsp_store_ref *refs = malloc((rid_n + 1) * sizeof *refs);
    size_t n = 0;
    for (size_t i = 0; i < rid_n; i++)
        if (rid_tab[i].key_len == key_len && memcmp(rid_tab[i].key, key, key_len) == 0 &&
            rid_tab[i].seq >= from && rid_tab[i].seq <= to)
            refs[n++] = (wsp_store_ref){ rid_tab[i].seq, rid_tab[i].rid };
    uint64_t t = 0;
    ck_assert_int_eq(wsp_store_file_ops.remove(s, key, key_len, refs, n, &t), 0);
    ck_assert_uint_gt(t, 0);
    free(refs);
    return t;
}

static uint64_t tries(wsp_store *s, const char *key, size_t key_len, uint64_t seq,
                      uint32_t n)
{
    uint64_t t = 0;
    ck_assert_int_eq(wsp_store_file_ops.set_tries(s, key, key_len, ref_of(key, key_len, seq), n,
                                                  &t), 0);
    ck_assert_uint_gt(t, 0);
    return t;
}

static void rids_reset(void)
{
    for (size_t i = 0; i < rid_n; i++) free(rid_tab[i].key);
    rid_n = 0;
}

/* Durable callback recorder: every (upto, err) in call order. */
typedef struct durable_log {
    pthread_mutex_t mu;
    pthread_cond_t  cv;
    uint64_t *upto;
    int      *err;
    size_t    n, cap;
} durable_log;

static void dlog_init(durable_log *d)
{
    memset(d, 0, sizeof *d);
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, NULL);
}

static void dlog_free(durable_log *d)
{
    free(d->upto);
    free(d->err);
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->cv);
}

static void on_durable(void *arg, uint64_t upto, int err)
{
    durable_log *d = arg;
    pthread_mutex_lock(&d->mu);
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 64;
        d->upto = realloc(d->upto, d->cap * sizeof *d->upto);
        d->err = realloc(d->err, d->cap * sizeof *d->err);
    }
    d->upto[d->n] = upto;
    d->err[d->n] = err;
    d->n++;
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
}

/* Wait until ticket t has been reported (no sleeping: condvar). */
static void dlog_wait(durable_log *d, uint64_t t)
{
    pthread_mutex_lock(&d->mu);
    while (d->n == 0 || d->upto[d->n - 1] < t) pthread_cond_wait(&d->cv, &d->mu);
    pthread_mutex_unlock(&d->mu);
}

/* A loaded record, copied out of the callback. */
typedef struct rec {
    char    *key;  size_t key_len;
    uint64_t seq, rid;
    int64_t  push_ms;
    uint32_t tries;
    char    *payload; size_t payload_len;
} rec;

typedef struct recs {
    rec   *r;
    size_t n, cap;
    int    stop_after;   /* >0: return 7 after this many records */
} recs;

static int collect(void *arg, const char *key_id, size_t key_len, wsp_store_ref ref,
                   int64_t push_ms, uint32_t tries, const char *payload, size_t payload_len)
{
    recs *rs = arg;
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? rs->cap * 2 : 64;
        rs->r = realloc(rs->r, rs->cap * sizeof *rs->r);
    }
    rec *r = &rs->r[rs->n++];
    r->key = malloc(key_len + 1);
    memcpy(r->key, key_id, key_len);
    r->key_len = key_len;
    r->seq = ref.seq;
    r->rid = ref.rid;
    r->push_ms = push_ms;
    r->tries = tries;
    r->payload = malloc(payload_len + 1);
    memcpy(r->payload, payload, payload_len);
    r->payload_len = payload_len;
    if (rs->stop_after && (int)rs->n >= rs->stop_after) return 7;
    return 0;
}

static void recs_free(recs *rs)
{
    for (size_t i = 0; i < rs->n; i++) {
        free(rs->r[i].key);
        free(rs->r[i].payload);
    }
    free(rs->r);
    memset(rs, 0, sizeof *rs);
}

static wsp_store *open_ok(const char *dir, int fsync, durable_log *d)
{
    char err[512] = "";
    wsp_store *s = st_open(&wsp_store_file_ops, dir, fsync, d ? on_durable : NULL, d, err, sizeof err);
    ck_assert_msg(s != NULL, "open %s: %s", dir, err);
    return s;
}

static void load_all(const char *dir, recs *out)
{
    wsp_store *s = open_ok(dir, WSP_FSYNC_BATCH, NULL);
    ck_assert_int_eq(wsp_store_file_ops.load(s, collect, out), 0);
    wsp_store_file_ops.close(s);
}

static int find_rec(const recs *rs, const char *key, size_t key_len, uint64_t seq)
{
    for (size_t i = 0; i < rs->n; i++)
        if (rs->r[i].key_len == key_len && memcmp(rs->r[i].key, key, key_len) == 0 &&
            rs->r[i].seq == seq)
            return (int)i;
    return -1;
}

/* Count records of one key and check they come in increasing seq order. */
static size_t key_count_ordered(const recs *rs, const char *key, size_t key_len)
{
    size_t n = 0;
    uint64_t last = 0;
    for (size_t i = 0; i < rs->n; i++) {
        if (rs->r[i].key_len != key_len || memcmp(rs->r[i].key, key, key_len) != 0) continue;
        ck_assert_uint_gt(rs->r[i].seq, last);
        last = rs->r[i].seq;
        n++;
    }
    return n;
}

static void write_file(const char *path, const void *data, size_t len, off_t at)
{
    int fd = open(path, O_WRONLY | O_CREAT, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pwrite(fd, data, len, at), (ssize_t)len);
    close(fd);
}

/* ---------- memory store ------------------------------------------------- */

static int count_cb(void *arg, const char *k, size_t kl, wsp_store_ref ref, int64_t ms,
                    uint32_t tries, const char *p, size_t pl)
{
    (*(int *)arg)++;
    return 0;
}

START_TEST(memory_keeps_nothing)
{
    char err[128];
    const wsp_store_ops *ops = &wsp_store_memory_ops;
    wsp_store *s = st_open(ops, "/nonexistent/never/created", WSP_FSYNC_BATCH, on_durable, NULL,
                             err, sizeof err);
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(ops->name, "memory");
    uint64_t rid = 99, t = 99;
    ck_assert_int_eq(ops->append(s, "w5", 2, 1, 1000, "hi", 2, &rid, &t), 0);
    ck_assert_uint_eq(rid, 0);
    ck_assert_uint_eq(t, 0);   /* nothing to wait for */
    wsp_store_ref ref = { 1, 0 };
    t = 99;
    ck_assert_int_eq(ops->remove(s, "w5", 2, &ref, 1, &t), 0);
    ck_assert_uint_eq(t, 0);
    t = 99;
    ck_assert_int_eq(ops->set_tries(s, "w5", 2, ref, 3, &t), 0);
    ck_assert_uint_eq(t, 0);
    int n = 0;
    ck_assert_int_eq(ops->load(s, count_cb, &n), 0);
    ck_assert_int_eq(n, 0);
    ck_assert_uint_eq(ops->disk_bytes(s), 0);
    ops->last_error(s, err, sizeof err);
    ck_assert_str_eq(err, "");
    ops->close(s);
    struct stat st;
    ck_assert_int_ne(stat("/nonexistent/never/created", &st), 0);
}
END_TEST

/* One table selects a store by name or URL scheme (store.c). */
START_TEST(store_find)
{
    char names[128];
    ck_assert_ptr_eq(wsp_store_find("file"), &wsp_store_file_ops);
    ck_assert_ptr_eq(wsp_store_find("memory"), &wsp_store_memory_ops);
#ifdef WSP_HAVE_HIREDIS
    ck_assert_ptr_eq(wsp_store_find("redis://127.0.0.1:6379/0"), &wsp_store_redis_ops);
    ck_assert_ptr_null(wsp_store_find("redis://"));   /* no host */
#else
    ck_assert_ptr_null(wsp_store_find("redis://127.0.0.1:6379/0"));   /* not in this build */
#endif
    ck_assert_ptr_null(wsp_store_find("files"));
    ck_assert_ptr_null(wsp_store_find(""));
    ck_assert_ptr_null(wsp_store_find(NULL));
    wsp_store_names(names, sizeof names);
#ifdef WSP_HAVE_HIREDIS
    ck_assert_str_eq(names, "file, memory, redis://HOST[:PORT]");
#else
    ck_assert_str_eq(names, "file, memory");
#endif
}
END_TEST

/* ---------- file store: round trips ------------------------------------- */

START_TEST(file_round_trip)
{
    const wsp_store_ops *ops = &wsp_store_file_ops;
    const char *dir = fresh_dir("roundtrip/nested/dirs");
    durable_log d;
    dlog_init(&d);
    wsp_store *s = open_ok(dir, WSP_FSYNC_BATCH, &d);
    ck_assert_str_eq(ops->name, "file");
    /* Keys that are prefixes of each other, with NUL bytes, and empty payload. */
    static const char k1[] = "w12", k2[] = "w1", k3[] = "w1\0002", k4[] = "c{\"uid\":\"12\"}";
    uint64_t t = 0, t2;
    t2 = app(s, k1, 3, 1, 1000, "a", 1);     ck_assert_uint_gt(t2, t); t = t2;
    t2 = app(s, k2, 2, 1, 1001, "b", 1);     ck_assert_uint_gt(t2, t); t = t2;
    t2 = app(s, k3, 4, 1, 1002, "c\0d", 3);  ck_assert_uint_gt(t2, t); t = t2;
    t2 = app(s, k4, sizeof k4 - 1, 1, -5, "", 0); ck_assert_uint_gt(t2, t); t = t2;
    t2 = app(s, k2, 2, 2, 1003, "e", 1);     ck_assert_uint_gt(t2, t); t = t2;
    t2 = tries(s, k2, 2, 2, 4);             ck_assert_uint_gt(t2, t); t = t2;
    t2 = tries(s, k2, 2, 99, 4);            ck_assert_uint_gt(t2, t); t = t2; /* absent */
    t2 = rem(s, k1, 3, 1, 1);                ck_assert_uint_gt(t2, t); t = t2;
    dlog_wait(&d, t);
    ck_assert_uint_gt(ops->disk_bytes(s), 0);
    ops->close(s);
    for (size_t i = 0; i < d.n; i++) ck_assert_int_eq(d.err[i], 0);

    recs rs = { 0 };
    load_all(dir, &rs);
    ck_assert_uint_eq(rs.n, 4);
    ck_assert_int_lt(find_rec(&rs, k1, 3, 1), 0);
    int i = find_rec(&rs, k2, 2, 1);
    ck_assert_int_ge(i, 0);
    ck_assert_int_eq(rs.r[i].push_ms, 1001);
    ck_assert_uint_eq(rs.r[i].tries, 0);
    ck_assert_mem_eq(rs.r[i].payload, "b", 1);
    i = find_rec(&rs, k2, 2, 2);
    ck_assert_int_ge(i, 0);
    ck_assert_uint_eq(rs.r[i].tries, 4);
    i = find_rec(&rs, k3, 4, 1);
    ck_assert_int_ge(i, 0);
    ck_assert_uint_eq(rs.r[i].payload_len, 3);
    ck_assert_mem_eq(rs.r[i].payload, "c\0d", 3);
    i = find_rec(&rs, k4, sizeof k4 - 1, 1);
    ck_assert_int_ge(i, 0);
    ck_assert_int_eq(rs.r[i].push_ms, -5);
    ck_assert_uint_eq(rs.r[i].payload_len, 0);
    recs_free(&rs);
    dlog_free(&d);
}
END_TEST

START_TEST(file_range_remove)
{
    const wsp_store_ops *ops = &wsp_store_file_ops;
    const char *dir = fresh_dir("ranges");
    durable_log d;
    dlog_init(&d);
    wsp_store *s = open_ok(dir, WSP_FSYNC_BATCH, &d);
    char payload[32];
    for (uint64_t q = 1; q <= 20; q++) {
        int n = snprintf(payload, sizeof payload, "m%llu", (unsigned long long)q);
        app(s, "wA", 2, q, 0, payload, (size_t)n);
        app(s, "wAB", 3, q, 0, payload, (size_t)n);   /* "wA" + "B": must not mix */
        app(s, "wB", 2, q, 0, payload, (size_t)n);
    }
    rem(s, "wA", 2, 5, 9);
    rem(s, "wA", 2, 15, 1000);
    rem(s, "wA", 2, 12, 11);        /* empty range: no-op */
    rem(s, "wB", 2, 1, 20);
    uint64_t t = rem(s, "wZ", 2, 1, 5);   /* unknown key */
    dlog_wait(&d, t);
    ops->close(s);

    recs rs = { 0 };
    load_all(dir, &rs);
    ck_assert_uint_eq(key_count_ordered(&rs, "wA", 2), 4 + 5);
    ck_assert_uint_eq(key_count_ordered(&rs, "wAB", 3), 20);
    ck_assert_uint_eq(key_count_ordered(&rs, "wB", 2), 0);
    for (uint64_t q = 1; q <= 20; q++) {
        int want = q <= 4 || (q >= 10 && q <= 14);
        ck_assert_int_eq(find_rec(&rs, "wA", 2, q) >= 0, want);
    }
    int i = find_rec(&rs, "wA", 2, 12);
    ck_assert_mem_eq(rs.r[i].payload, "m12", 3);
    recs_free(&rs);
    dlog_free(&d);
}
END_TEST

START_TEST(file_push_order)
{
    /* Records load in push order across keys (so ttl sees them as pushed),
     * record ids only grow, and go on growing after a reopen. */
    const wsp_store_ops *ops = &wsp_store_file_ops;
    const char *dir = fresh_dir("pushorder");
    durable_log d;
    dlog_init(&d);
    wsp_store *s = open_ok(dir, WSP_FSYNC_BATCH, &d);
    static const char *keys[] = { "w1", "w2", "w1", "c{}", "w2", "w1" };
    static const uint64_t seqs[] = { 1, 1, 2, 1, 2, 3 };
    uint64_t t = 0;
    for (int i = 0; i < 6; i++) t = app(s, keys[i], strlen(keys[i]), seqs[i], i, "x", 1);
    for (size_t i = 1; i < rid_n; i++) ck_assert_uint_gt(rid_tab[i].rid, rid_tab[i - 1].rid);
    t = rem(s, "w1", 2, 2, 2);
    dlog_wait(&d, t);
    ops->close(s);
    uint64_t last_rid = rid_tab[rid_n - 1].rid;

    s = open_ok(dir, WSP_FSYNC_BATCH, &d);
    recs rs = { 0 };
    ck_assert_int_eq(ops->load(s, collect, &rs), 0);
    ck_assert_uint_eq(rs.n, 5);
    static const int want[] = { 0, 1, 3, 4, 5 };   /* push order, w1/2 removed */
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(rs.r[i].push_ms, want[i]);
        ck_assert_uint_eq(rs.r[i].seq, seqs[want[i]]);
        ck_assert_uint_eq(rs.r[i].key_len, strlen(keys[want[i]]));
        ck_assert_uint_eq(rs.r[i].rid, ref_of(keys[want[i]], strlen(keys[want[i]]),
                                             seqs[want[i]]).rid);
    }
    t = app(s, "w2", 2, 3, 9, "y", 1);
    ck_assert_uint_gt(rid_tab[rid_n - 1].rid, last_rid);
    /* a removed record's id is gone for good: removing it again is a no-op */
    wsp_store_ref gone = { 2, rid_tab[2].rid };
    ck_assert_int_eq(ops->remove(s, "w1", 2, &gone, 1, &t), 0);
    dlog_wait(&d, t);
    ops->close(s);
    for (size_t i = 0; i < d.n; i++) ck_assert_int_eq(d.err[i], 0);
    recs_free(&rs);
    load_all(dir, &rs);
    ck_assert_uint_eq(rs.n, 6);
    ck_assert_int_eq(rs.r[5].push_ms, 9);
    recs_free(&rs);
    dlog_free(&d);
}
END_TEST

START_TEST(file_long_keys)
{
    /* Key ids longer than an LMDB key (511 bytes) travel in the value:
     * two long ids that differ only in their last byte, and a long id equal
     * to a shorter one plus padding, stay apart and come back whole. */
    const wsp_store_ops *ops = &wsp_store_file_ops;
    const char *dir = fresh_dir("longkeys");
    size_t L = 5000;
    char *a = malloc(L), *b = malloc(L);
    memset(a, 'x', L);
    a[0] = 'c';
    a[100] = '\0';
    memcpy(b, a, L);
    b[L - 1] = 'y';
    durable_log d;
    dlog_init(&d);
    wsp_store *s = open_ok(dir, WSP_FSYNC_BATCH, &d);
    for (uint64_t q = 1; q <= 3; q++) {
        app(s, a, L, q, 1, "A", 1);
        app(s, b, L, q, 2, "B", 1);
        app(s, a, 400, q, 3, "S", 1);   /* inline prefix of a */
    }
    rem(s, b, L, 2, 2);
    uint64_t t = rem(s, a, L, 1, 3);     /* all of a's records */
    dlog_wait(&d, t);
    ops->close(s);
    for (size_t i = 0; i < d.n; i++) ck_assert_int_eq(d.err[i], 0);

    recs rs = { 0 };
    load_all(dir, &rs);
    ck_assert_uint_eq(key_count_ordered(&rs, a, L), 0);
    ck_assert_uint_eq(key_count_ordered(&rs, b, L), 2);
    ck_assert_uint_eq(key_count_ordered(&rs, a, 400), 3);
    int i = find_rec(&rs, b, L, 3);
    ck_assert_int_ge(i, 0);
    ck_assert_mem_eq(rs.r[i].payload, "B", 1);
    recs_free(&rs);

    /* a comes back after all its records were removed */
    s = open_ok(dir, WSP_FSYNC_BATCH, &d);
    t = app(s, a, L, 9, 1, "A9", 2);
    dlog_wait(&d, t);
    ops->close(s);
    load_all(dir, &rs);
    ck_assert_int_ge(find_rec(&rs, a, L, 9), 0);
    recs_free(&rs);
    dlog_free(&d);
    free(a);
    free(b);
}
END_TEST

/* ---------- tickets and the durable callback, per policy ---------------- */

static void check_policy(int policy, const char *name)
{
    const wsp_store_ops *ops = &wsp_store_file_ops;
    const char *dir = fresh_dir(name);
    durable_log d;
    dlog_init(&d);
    wsp_store *s = open_ok(dir, policy, &d);
    uint64_t last = 0, t = 0;
    int appends = 0;
    for (int round = 0; round < 5; round++) {
        for (int i = 0; i < 40; i++) {
            uint64_t seq = (uint64_t)(round * 40 + i + 1);
            t = app(s, "w7", 2, seq, 1, "p", 1);
            appends++;
            ck_assert_uint_gt(t, last);
            last = t;
            if (i % 10 == 9) {
                t = rem(s, "w7", 2, seq - 9, seq - 5);
                ck_assert_uint_gt(t, last);
                last = t;
            }
        }
        /* wait between rounds so several batches happen */
        dlog_wait(&d, last);
    }
    ops->close(s);

    /* Reported tickets only grow, never exceed what was handed out, and
     * the last one covers everything. */
    ck_assert_uint_gt(d.n, 0);
    for (size_t i = 0; i < d.n; i++) {
        ck_assert_int_eq(d.err[i], 0);
        ck_assert_uint_le(d.upto[i], last);
        if (i) ck_assert_uint_gt(d.upto[i], d.upto[i - 1]);
    }
    ck_assert_uint_eq(d.upto[d.n - 1], last);
    if (policy == WSP_FSYNC_ALWAYS)   /* one commit + sync per append */
        ck_assert_uint_ge(d.n, (size_t)appends);
    else                              /* grouped: fewer commits than changes */
        ck_assert_uint_le(d.n, last);

    recs rs = { 0 };
    load_all(dir, &rs);
    ck_assert_uint_eq(key_count_ordered(&rs, "w7", 2), 200 - 20 * 5);
    recs_free(&rs);
    dlog_free(&d);
}

START_TEST(file_policy_batch)    { check_policy(WSP_FSYNC_BATCH, "pol_batch"); }
END_TEST
START_TEST(file_policy_always)   { check_policy(WSP_FSYNC_ALWAYS, "pol_always"); }
END_TEST
START_TEST(file_policy_everysec) { check_policy(WSP_FSYNC_EVERYSEC, "pol_everysec"); }
END_TEST
START_TEST(file_policy_off)      { check_policy(WSP_FSYNC_OFF, "pol_off"); }
END_TEST

START_TEST(file_close_drains_queue)
{
    /* close() right after queueing: nothing queued is lost, even with off. */
    const wsp_store_ops *ops = &wsp_store_file_ops;
    const char *dir = fresh_dir("drain");
    wsp_store *s = open_ok(dir, WSP_FSYNC_OFF, NULL);
    for (uint64_t q = 1; q <= 1000; q++) app(s, "w9", 2, q, 0, "z", 1);
    ops->close(s);
    recs rs = { 0 };
    load_all(dir, &rs);
    ck_assert_uint_eq(key_count_ordered(&rs, "w9", 2), 1000);
    recs_free(&rs);
}
END_TEST

START_TEST(file_load_stops_on_callback)
{
    const wsp_store_ops *ops = &wsp_store_file_ops;
    const char *dir = fresh_dir("loadstop");
    wsp_store *s = open_ok(dir, WSP_FSYNC_BATCH, NULL);
    for (uint64_t q = 1; q <= 10; q++) app(s, "w1", 2, q, 0, "z", 1);
    ops->close(s);
    s = open_ok(dir, WSP_FSYNC_BATCH, NULL);
    recs rs = { .stop_after = 3 };
    ck_assert_int_eq(ops->load(s, collect, &rs), 7);
    ck_assert_uint_eq(rs.n, 3);
    ops->close(s);
    recs_free(&rs);
}
END_TEST

/* ---------- start-up errors --------------------------------------------- */

START_TEST(file_lock_held)
{
    const wsp_store_ops *ops = &wsp_store_file_ops;
    const char *dir = fresh_dir("locked");
    char err[512] = "", want[512];
    wsp_store *s = open_ok(dir, WSP_FSYNC_BATCH, NULL);
    wsp_store *s2 = st_open(ops, dir, WSP_FSYNC_BATCH, NULL, NULL, err, sizeof err);
    ck_assert_ptr_null(s2);
    snprintf(want, sizeof want, "data_dir %s is in use by another WsPush server (pid %ld)",
             dir, (long)getpid());
    ck_assert_str_eq(err, want);
    ops->close(s);
    /* released on close */
    s = open_ok(dir, WSP_FSYNC_BATCH, NULL);
    ops->close(s);
}
END_TEST

START_TEST(file_unwritable)
{
    /* Tests run as root, where chmod does not bite: a path under a regular
     * file fails for everyone. */
    const wsp_store_ops *ops = &wsp_store_file_ops;
    char file[512], dir[600], err[1024] = "", want[1024];
    snprintf(file, sizeof file, "%s", fresh_dir("plainfile"));
    write_file(file, "x", 1, 0);
    snprintf(dir, sizeof dir, "%s/sub", file);
    wsp_store *s = st_open(ops, dir, WSP_FSYNC_BATCH, NULL, NULL, err, sizeof err);
    ck_assert_ptr_null(s);
    snprintf(want, sizeof want, "data_dir %s is not writable: Not a directory", dir);
    ck_assert_str_eq(err, want);
    s = st_open(ops, "", WSP_FSYNC_BATCH, NULL, NULL, err, sizeof err);
    ck_assert_ptr_null(s);
}
END_TEST

static void make_store(const char *dir, int n)
{
    wsp_store *s = open_ok(dir, WSP_FSYNC_BATCH, NULL);
    for (int q = 1; q <= n; q++) app(s, "w3", 2, (uint64_t)q, 0, "hello", 5);
    wsp_store_file_ops.close(s);
}

START_TEST(file_corrupted_garbage)
{
    const wsp_store_ops *ops = &wsp_store_file_ops;
    char path[600], err[1024] = "";
    static unsigned char junk[65536];
    srand(42);
    for (size_t i = 0; i < sizeof junk; i++) junk[i] = (unsigned char)rand();

    /* Garbage over the whole data file. */
    const char *dir = fresh_dir("garbage_all");
    make_store(dir, 50);
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    for (off_t at = 0; at < st.st_size; at += (off_t)sizeof junk)
        write_file(path, junk, sizeof junk, at);
    wsp_store *s = st_open(ops, dir, WSP_FSYNC_BATCH, NULL, NULL, err, sizeof err);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(err, "holds a corrupted store") != NULL, "got: %s", err);

    /* Garbage over the header (meta pages) only. */
    dir = fresh_dir("garbage_head");
    make_store(dir, 50);
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    write_file(path, junk, 8192, 0);
    err[0] = '\0';
    s = st_open(ops, dir, WSP_FSYNC_BATCH, NULL, NULL, err, sizeof err);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(err, "holds a corrupted store") != NULL, "got: %s", err);

    /* A data file that is plain text. */
    dir = fresh_dir("garbage_text");
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    write_file(path, "this is not a database\n", 23, 0);
    err[0] = '\0';
    s = st_open(ops, dir, WSP_FSYNC_BATCH, NULL, NULL, err, sizeof err);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(err, "holds a corrupted store") != NULL, "got: %s", err);
}
END_TEST

/* Open the env behind the store's back (it must be closed) and put raw
 * records, as a bug or a foreign tool could. */
static void raw_put(const char *dir, const char *db, const void *k, size_t kl,
                    const void *v, size_t vl)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    ck_assert_int_eq(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 4);
    mdb_env_set_mapsize(env, (size_t)8 << 30);
    ck_assert_int_eq(mdb_env_open(env, dir, 0, 0644), 0);
    ck_assert_int_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
    ck_assert_int_eq(mdb_dbi_open(txn, db, MDB_CREATE, &dbi), 0);
    MDB_val mk = { kl, (void *)k }, mv = { vl, (void *)v };
    ck_assert_int_eq(mdb_put(txn, dbi, &mk, &mv, 0), 0);
    ck_assert_int_eq(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

START_TEST(file_corrupted_records)
{
    const wsp_store_ops *ops = &wsp_store_file_ops;
    char err[1024] = "";
    recs rs = { 0 };

    /* A record key that is not a record id: load fails cleanly. */
    const char *dir = fresh_dir("badrec");
    make_store(dir, 5);
    static const unsigned char badkey[] = { 0, 9, 'w', '3', 0, 0, 0, 0, 0, 0, 0, 1 };
    raw_put(dir, "msgs", badkey, sizeof badkey, "0123456789abcdef0123456789ab", 28);
    /* It sorts last, so open (which reads the last record id) refuses it. */
    wsp_store *s = st_open(ops, dir, WSP_FSYNC_BATCH, NULL, NULL, err, sizeof err);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(err, "holds a corrupted store (data.mdb): bad record key") != NULL,
                  "got: %s", err);
    /* Sorting first, it is met by load. */
    dir = fresh_dir("badrec_first");
    make_store(dir, 5);
    static const unsigned char badfirst[] = { 0, 0, 0, 0 };
    raw_put(dir, "msgs", badfirst, sizeof badfirst, "0123456789abcdef0123456789ab", 28);
    s = open_ok(dir, WSP_FSYNC_BATCH, NULL);
    ck_assert_int_eq(ops->load(s, collect, &rs), -1);
    ops->last_error(s, err, sizeof err);
    ck_assert_msg(strstr(err, "holds a corrupted store (data.mdb): bad record key") != NULL,
                  "got: %s", err);
    ops->close(s);
    recs_free(&rs);

    /* A value too short to hold the record header. */
    dir = fresh_dir("shortval");
    make_store(dir, 5);
    static const unsigned char key[] = { 0, 0, 0, 0, 0, 0, 0x10, 0 };
    raw_put(dir, "msgs", key, sizeof key, "abc", 3);
    s = open_ok(dir, WSP_FSYNC_BATCH, NULL);
    ck_assert_int_eq(ops->load(s, collect, &rs), -1);
    ops->close(s);
    recs_free(&rs);

    /* A record whose checksum does not match (a flipped payload byte). */
    dir = fresh_dir("badcrc");
    make_store(dir, 3);
    {
        MDB_env *env;
        MDB_txn *txn;
        MDB_dbi dbi;
        MDB_cursor *c;
        MDB_val k, v;
        ck_assert_int_eq(mdb_env_create(&env), 0);
        mdb_env_set_maxdbs(env, 4);
        ck_assert_int_eq(mdb_env_open(env, dir, 0, 0644), 0);
        ck_assert_int_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
        ck_assert_int_eq(mdb_dbi_open(txn, "msgs", 0, &dbi), 0);
        ck_assert_int_eq(mdb_cursor_open(txn, dbi, &c), 0);
        ck_assert_int_eq(mdb_cursor_get(c, &k, &v, MDB_LAST), 0);
        unsigned char *copy = malloc(v.mv_size);
        memcpy(copy, v.mv_data, v.mv_size);
        copy[v.mv_size - 1] ^= 1;
        MDB_val nv = { v.mv_size, copy };
        ck_assert_int_eq(mdb_cursor_put(c, &k, &nv, MDB_CURRENT), 0);
        mdb_cursor_close(c);
        ck_assert_int_eq(mdb_txn_commit(txn), 0);
        mdb_env_close(env);
        free(copy);
    }
    s = open_ok(dir, WSP_FSYNC_BATCH, NULL);
    ck_assert_int_eq(ops->load(s, collect, &rs), -1);
    ops->last_error(s, err, sizeof err);
    ck_assert_msg(strstr(err, "record checksum mismatch") != NULL, "got: %s", err);
    ops->close(s);
    recs_free(&rs);

    /* A record whose key id length runs past its value. */
    dir = fresh_dir("badkeylen");
    make_store(dir, 1);
    unsigned char lk[8] = { 0, 0, 0, 0, 0, 0, 0x10, 0 };
    unsigned char lv[28 + 4];
    memset(lv, 0, sizeof lv);
    lv[23] = 1;           /* seq 1 */
    lv[26] = 0x10;        /* key id length 4096 */
    raw_put(dir, "msgs", lk, sizeof lk, lv, sizeof lv);
    s = open_ok(dir, WSP_FSYNC_BATCH, NULL);
    ck_assert_int_eq(ops->load(s, collect, &rs), -1);
    ops->last_error(s, err, sizeof err);
    ck_assert_msg(strstr(err, "bad key id length") != NULL, "got: %s", err);
    ops->close(s);
    recs_free(&rs);

    /* A store of another format version refuses to open. */
    dir = fresh_dir("otherformat");
    make_store(dir, 1);
    raw_put(dir, "meta", "format", 6, "wspush-outbox-999", 17);
    err[0] = '\0';
    s = st_open(ops, dir, WSP_FSYNC_BATCH, NULL, NULL, err, sizeof err);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(err, "unknown format (wspush-outbox-999)") != NULL, "got: %s", err);
}
END_TEST

START_TEST(file_corrupted_pages)
{
    /* Garbage inside b-tree pages (LMDB keeps no page checksums): load
     * either finds nothing wrong (the bytes hit free pages), or refuses the
     * store with a message; the process never crashes (LMDB asserts and
     * faults during load are turned into the error). */
    const wsp_store_ops *ops = &wsp_store_file_ops;
    char path[600], err[1024], name[32];
    unsigned char junk[512];
    int refused = 0;
    srand(7);
    for (int round = 0; round < 12; round++) {
        snprintf(name, sizeof name, "pages%d", round);
        const char *dir = fresh_dir(name);
        durable_log d;
        dlog_init(&d);
        wsp_store *s = open_ok(dir, WSP_FSYNC_OFF, &d);
        char key[16];
        uint64_t t = 0;
        for (int i = 1; i <= 3000; i++) {
            int kl = snprintf(key, sizeof key, "w%d", i % 50);
            t = app(s, key, (size_t)kl, (uint64_t)i, 0,
                            "0123456789012345678901234567890123456789012345678901234567890123456789", 70);
            if (i % 500 == 0) dlog_wait(&d, t);   /* several transactions */
        }
        ops->close(s);
        dlog_free(&d);
        snprintf(path, sizeof path, "%s/data.mdb", dir);
        struct stat st;
        ck_assert_int_eq(stat(path, &st), 0);
        for (size_t i = 0; i < sizeof junk; i++) junk[i] = (unsigned char)rand();
        off_t at = 8192 + rand() % (st.st_size - 8192 - (off_t)sizeof junk);
        write_file(path, junk, sizeof junk, at);

        err[0] = '\0';
        s = st_open(ops, dir, WSP_FSYNC_BATCH, NULL, NULL, err, sizeof err);
        if (!s) {
            ck_assert_msg(strstr(err, "holds a corrupted store") != NULL, "got: %s", err);
            refused++;
            continue;
        }
        recs rs = { 0 };
        int r = ops->load(s, collect, &rs);
        ck_assert_msg(r == 0 || r == -1, "load returned %d", r);
        if (r == -1) {
            ops->last_error(s, err, sizeof err);
            ck_assert_msg(strstr(err, "holds a corrupted store") != NULL, "got: %s", err);
            refused++;
        }
        ops->close(s);
        recs_free(&rs);
    }
    ck_assert_int_gt(refused, 0);
}
END_TEST

START_TEST(file_100k_then_load)
{
    const wsp_store_ops *ops = &wsp_store_file_ops;
    const char *dir = fresh_dir("100k");
    char payload[200], key[16];
    memset(payload, 'p', sizeof payload);
    durable_log d;
    dlog_init(&d);
    wsp_store *s = open_ok(dir, WSP_FSYNC_BATCH, &d);
    uint64_t t = 0;
    for (int i = 0; i < 100000; i++) {
        int kl = snprintf(key, sizeof key, "w%d", i % 1000);
        snprintf(payload, sizeof payload, "%d", i);
        t = app(s, key, (size_t)kl, (uint64_t)(i / 1000 + 1), i, payload, sizeof payload);
    }
    dlog_wait(&d, t);
    ops->close(s);
    for (size_t i = 0; i < d.n; i++) ck_assert_int_eq(d.err[i], 0);

    recs rs = { 0 };
    load_all(dir, &rs);
    ck_assert_uint_eq(rs.n, 100000);
    /* Per key, in seq order; payload and push_ms as appended. */
    for (size_t i = 1; i < rs.n; i++) {
        if (rs.r[i].key_len == rs.r[i - 1].key_len &&
            memcmp(rs.r[i].key, rs.r[i - 1].key, rs.r[i].key_len) == 0)
            ck_assert_uint_eq(rs.r[i].seq, rs.r[i - 1].seq + 1);
        ck_assert_int_eq(atoi(rs.r[i].payload), (int)rs.r[i].push_ms);
    }
    recs_free(&rs);
    dlog_free(&d);
}
END_TEST

/* ---------- outbox over the file store (issue 13, defect 1) ------------ */

static wsp_server *outbox_server(const char *dir, durable_log *d)
{
    wsp_server *srv = calloc(1, sizeof *srv);
    ck_assert_ptr_nonnull(srv);
    ck_assert_int_eq(wsp_keytab_init(&srv->ob.keys), 0);
    srv->cfg.queue_limit = 100;
    srv->cfg.retry_max = 5;
    srv->cfg.ttl = 3600;
    srv->cfg.fsync = WSP_FSYNC_BATCH;
    srv->store_ops = &wsp_store_file_ops;
    srv->store = open_ok(dir, WSP_FSYNC_BATCH, d);
    return srv;
}

static void outbox_server_free(wsp_server *srv)
{
    srv->store_ops->close(srv->store);
    wsp_keytab_free(srv);
    free(srv);
}

static uint64_t outbox_push(wsp_server *srv, const char *uid, const char *payload,
                            durable_log *d)
{
    wsp_key key;
    int written;
    uint64_t ticket = 0;
    ck_assert_int_eq(wsp_key_from_text(uid, strlen(uid), &key), 0);
    ck_assert_int_eq(wsp_outbox_push(srv, &key, payload, strlen(payload), &written, &ticket),
                     WSP_OK);
    ck_assert_uint_gt(ticket, 0);
    dlog_wait(d, ticket);
    wsp_keyrec *k = wsp_key_find(srv, key.id, key.id_len);
    wsp_key_free(&key);
    ck_assert_ptr_nonnull(k);
    return TAILQ_LAST(&k->msgs, wsp_msg_list)->seq;
}

/* A key released while the removal of its last record is still deferred
 * stays a ghost and goes on with its sequence; once the store has applied
 * the removes it is forgotten, and a new key starts at 1 again. */
START_TEST(outbox_released_key_keeps_seq)
{
    durable_log d;
    dlog_init(&d);
    wsp_server *srv = outbox_server(fresh_dir("ghost"), &d);
    ck_assert_uint_eq(outbox_push(srv, "77123", "first", &d), 1);
    srv->cfg.ttl = 0;                    /* the message goes (a remove) ... */
    wsp_outbox_expire(srv);
    ck_assert_uint_eq(srv->ob.keys.count, 0);   /* ... and the key is released */
    ck_assert_uint_eq(srv->ob.keys.nghosts, 1);
    srv->cfg.ttl = 3600;
    /* back before the remove was applied: the sequence goes on */
    ck_assert_uint_eq(outbox_push(srv, "77123", "second", &d), 2);
    ck_assert_uint_eq(srv->ob.keys.count, 1);
    ck_assert_uint_eq(srv->ob.keys.nghosts, 0);
    srv->cfg.ttl = 0;
    wsp_outbox_expire(srv);
    ck_assert_uint_eq(srv->ob.keys.nghosts, 1);
    uint64_t rm = TAILQ_FIRST(&srv->ob.keys.ghosts)->rm_ticket;
    ck_assert_uint_gt(rm, 0);
    /* the store applies deferred removes within STORE_REMOVE_DEFER_S */
    for (int i = 0; i < 5000 && wsp_store_file_ops.removed_upto(srv->store) < rm; i++)
        usleep(1000);
    ck_assert_uint_ge(wsp_store_file_ops.removed_upto(srv->store), rm);
    wsp_outbox_expire(srv);              /* the periodic pass reaps the ghost */
    ck_assert_uint_eq(srv->ob.keys.nghosts, 0);
    srv->cfg.ttl = 3600;
    ck_assert_uint_eq(outbox_push(srv, "77123", "third", &d), 1);
    outbox_server_free(srv);
    dlog_free(&d);
}
END_TEST

/* A store holding a key's records with a sequence that went back (written
 * before the fix above) loads every record, in push order, renumbered. */
START_TEST(outbox_load_renumbers)
{
    const char *dir = fresh_dir("renumber");
    durable_log d;
    dlog_init(&d);
    wsp_store *s = open_ok(dir, WSP_FSYNC_BATCH, &d);
    wsp_key key;
    ck_assert_int_eq(wsp_key_from_text("77123", 5, &key), 0);
    app(s, key.id, key.id_len, 5, 1, "old", 3);
    uint64_t t = app(s, key.id, key.id_len, 1, 2, "new", 3);
    dlog_wait(&d, t);
    wsp_store_file_ops.close(s);

    wsp_server *srv = outbox_server(dir, &d);
    ck_assert_int_eq(wsp_store_file_ops.load(srv->store, wsp_outbox_load_cb, srv), 0);
    wsp_keyrec *k = wsp_key_find(srv, key.id, key.id_len);
    ck_assert_ptr_nonnull(k);
    ck_assert_uint_eq(k->count, 2);
    wsp_msg *last = TAILQ_LAST(&k->msgs, wsp_msg_list);
    ck_assert_uint_eq(TAILQ_FIRST(&k->msgs)->seq, 5);
    ck_assert_uint_eq(last->seq, 6);
    ck_assert_int_eq(memcmp(last->frame + last->hdr_len, "new", 3), 0);
    ck_assert_uint_eq(k->next_seq, 7);
    ck_assert_uint_eq(srv->st.load_renumbered, 1);
    wsp_key_free(&key);
    outbox_server_free(srv);
    dlog_free(&d);
}
END_TEST

/* ---------- a failed commit (issue 13, defect 4) ------------------------ */

/* The durable callback as the server wires it (durable.c), plus a log for
 * the test to wait on. */
typedef struct fail_ctx { wsp_server *srv; durable_log d; } fail_ctx;

static void on_durable_srv(void *arg, uint64_t upto, int err)
{
    fail_ctx *f = arg;
    wsp_durable_report(f->srv, upto, err);
    on_durable(&f->d, upto, err);
}

static uint64_t push_nowait(wsp_server *srv, const char *uid, const char *payload, size_t len)
{
    wsp_key key;
    int written;
    uint64_t ticket = 0;
    ck_assert_int_eq(wsp_key_from_text(uid, strlen(uid), &key), 0);
    ck_assert_int_eq(wsp_outbox_push(srv, &key, payload, len, &written, &ticket), WSP_OK);
    wsp_key_free(&key);
    ck_assert_uint_gt(ticket, 0);
    return ticket;
}

static void set_fsize(rlim_t lim)
{
    struct rlimit rl;
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &rl), 0);
    rl.rlim_cur = lim;
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

/* A commit that cannot be written (the data file may not grow: the same
 * write error as a full disk) fails exactly its own pushes: the earlier
 * ones stay answered, the failed ones leave the outbox (never delivered
 * later) and are not on disk, and the store takes pushes again once the
 * file can grow. */
START_TEST(outbox_failed_commit_fails_its_pushes)
{
    const char *dir = fresh_dir("failcommit");
    fail_ctx f;
    dlog_init(&f.d);
    f.srv = calloc(1, sizeof *f.srv);
    wsp_server *srv = f.srv;
    ck_assert_int_eq(wsp_keytab_init(&srv->ob.keys), 0);
    pthread_mutex_init(&srv->durable_mu, NULL);
    ck_assert_int_eq(wsp_durable_init(srv), 0);
    srv->cfg.queue_limit = 100;
    srv->cfg.retry_max = 5;
    srv->cfg.ttl = 3600;
    srv->cfg.fsync = WSP_FSYNC_BATCH;
    srv->store_ops = &wsp_store_file_ops;
    char err[256] = "";
    srv->store = st_open(&wsp_store_file_ops, dir, WSP_FSYNC_BATCH, on_durable_srv, &f, err,
                         sizeof err);
    ck_assert_msg(srv->store != NULL, "%s", err);

    static char big[256 * 1024];
    memset(big, 'b', sizeof big);
    uint64_t ta = push_nowait(srv, "5", "A", 1);
    dlog_wait(&f.d, ta);
    wsp_durable_take(srv);
    ck_assert(!wsp_ticket_failed(srv, ta));
    wsp_durable_answered(srv);

    /* the data file may not grow from here */
    char path[600];
    struct stat st;
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    ck_assert_int_eq(stat(path, &st), 0);
    signal(SIGXFSZ, SIG_IGN);
    set_fsize((rlim_t)st.st_size);
    uint64_t tb = push_nowait(srv, "5", big, sizeof big);
    uint64_t tc = push_nowait(srv, "6", big, sizeof big);
    dlog_wait(&f.d, tc);
    set_fsize(RLIM_INFINITY);
    wsp_durable_take(srv);
    ck_assert(!wsp_ticket_failed(srv, ta));
    ck_assert(wsp_ticket_failed(srv, tb));
    ck_assert(wsp_ticket_failed(srv, tc));
    wsp_durable_answered(srv);
    wsp_key key5;
    ck_assert_int_eq(wsp_key_from_text("5", 1, &key5), 0);
    wsp_keyrec *k = wsp_key_find(srv, key5.id, key5.id_len);
    ck_assert_ptr_nonnull(k);
    ck_assert_uint_eq(k->count, 1);                 /* A only */
    ck_assert_uint_eq(srv->ob.outbox_depth, 1);        /* key 6's push went too */
    ck_assert_uint_eq(srv->st.store_errors, 2);
    wsp_store_file_ops.last_error(srv->store, err, sizeof err);
    ck_assert_msg(strstr(err, "data_dir") != NULL, "%s", err);

    /* room again: the next push is stored, with the next sequence */
    uint64_t td = push_nowait(srv, "5", "D", 1);
    dlog_wait(&f.d, td);
    wsp_durable_take(srv);
    ck_assert(!wsp_ticket_failed(srv, td));
    wsp_durable_answered(srv);
    ck_assert_uint_eq(TAILQ_LAST(&k->msgs, wsp_msg_list)->seq, 3);
    srv->store_ops->close(srv->store);
    wsp_keytab_free(srv);
    wsp_durable_free(srv);
    pthread_mutex_destroy(&srv->durable_mu);
    free(srv);

    recs rs = { 0 };
    load_all(dir, &rs);
    ck_assert_uint_eq(rs.n, 2);
    ck_assert_uint_eq(rs.r[0].seq, 1);
    ck_assert_uint_eq(rs.r[1].seq, 3);
    ck_assert_int_eq(memcmp(rs.r[1].payload, "D", 1), 0);
    recs_free(&rs);
    wsp_key_free(&key5);
    dlog_free(&f.d);
}
END_TEST

/* ---------- the key table's hash is seeded (issue 13) ------------------ */

static uint32_t fnv1a(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) { h ^= (uint8_t)s[i]; h *= 16777619u; }
    return h;
}

/* 2,000 keys that the old unseeded FNV-1a put into one bucket of 1,024 (a
 * client can compute such keys offline) spread over the seeded table, and
 * every one of them is found again past the 1,024-bucket start size. */
START_TEST(keytab_seeded_against_flooding)
{
    wsp_server *srv = calloc(1, sizeof *srv);
    ck_assert_int_eq(wsp_keytab_init(&srv->ob.keys), 0);
    enum { N = 2000 };
    static char ids[N][24];
    static size_t lens[N];
    int found = 0;
    for (unsigned cand = 0; found < N; cand++) {
        char id[24];
        int n = snprintf(id, sizeof id, "%cu%u", 1, cand);
        if ((fnv1a(id, (size_t)n) & 1023) != 0) continue;
        memcpy(ids[found], id, (size_t)n);
        lens[found++] = (size_t)n;
    }
    for (int i = 0; i < N; i++) ck_assert_ptr_nonnull(wsp_key_get(srv, ids[i], lens[i]));
    ck_assert_uint_eq(srv->ob.keys.count, N);
    size_t longest = 0;
    for (size_t b = 0; b < srv->ob.keys.nbuckets; b++) {
        size_t len = 0;
        wsp_keyrec *k;
        SLIST_FOREACH(k, &srv->ob.keys.buckets[b], hlink) len++;
        if (len > longest) longest = len;
    }
    ck_assert_msg(longest <= 16, "longest chain %zu of %zu buckets", longest, srv->ob.keys.nbuckets);
    for (int i = 0; i < N; i++) {
        wsp_keyrec *k = wsp_key_find(srv, ids[i], lens[i]);
        ck_assert_ptr_nonnull(k);
        ck_assert_uint_eq(k->id_len, lens[i]);
        ck_assert_int_eq(memcmp(k->id, ids[i], lens[i]), 0);
    }
    /* another table gets another seed */
    wsp_keytab other;
    ck_assert_int_eq(wsp_keytab_init(&other), 0);
    ck_assert(other.seed[0] != srv->ob.keys.seed[0] || other.seed[1] != srv->ob.keys.seed[1]);
    free(other.buckets);
    wsp_keytab_free(srv);
    free(srv);
}
END_TEST

Suite *make_suite(void)
{
    Suite *su = suite_create("store");
    TCase *tc = tcase_create("store");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, memory_keeps_nothing);
    tcase_add_test(tc, file_round_trip);
    tcase_add_test(tc, file_range_remove);
    tcase_add_test(tc, store_find);
    tcase_add_test(tc, file_push_order);
    tcase_add_test(tc, file_long_keys);
    tcase_add_test(tc, file_policy_batch);
    tcase_add_test(tc, file_policy_always);
    tcase_add_test(tc, file_policy_everysec);
    tcase_add_test(tc, file_policy_off);
    tcase_add_test(tc, file_close_drains_queue);
    tcase_add_test(tc, file_load_stops_on_callback);
    tcase_add_test(tc, file_lock_held);
    tcase_add_test(tc, file_unwritable);
    tcase_add_test(tc, file_corrupted_garbage);
    tcase_add_test(tc, file_corrupted_records);
    tcase_add_test(tc, file_corrupted_pages);
    tcase_add_test(tc, file_100k_then_load);
    tcase_add_test(tc, outbox_released_key_keeps_seq);
    tcase_add_test(tc, outbox_load_renumbers);
    tcase_add_test(tc, outbox_failed_commit_fails_its_pushes);
    tcase_add_test(tc, keytab_seeded_against_flooding);
    suite_add_tcase(su, tc);
    return su;
}
