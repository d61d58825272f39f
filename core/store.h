/*
 * store.h - where outboxes persist (docs/delivery.md). The loop thread keeps every
 * outbox in memory (outbox.c) and tells the store what changed; the store
 * makes it durable off the loop thread and says when.
 *
 * The contract every store keeps (file, memory, and any later one):
 *
 * Threads. open, load and close run on the thread that starts or stops the
 * server, while no loop runs. append, remove and set_tries run on the loop
 * thread only and never block on disk or network I/O (a store thread does
 * that). disk_bytes and last_error may be called from any thread. The
 * durable callback runs on the store's own thread.
 *
 * Changes and tickets. append, remove and set_tries queue one change each
 * and return 0, or -1 when it could not be queued (no memory, the store is
 * closing, bad arguments): then nothing was queued and nothing will be
 * reported for it. On success *ticket says when the change is durable:
 *   0   already as durable as this store ever makes it (nothing to wait for;
 *       the memory store always answers 0);
 *   >0  wait for the durable callback. Tickets grow by one per change.
 *
 * The durable callback. cb(arg, upto, err) reports, with growing upto,
 * every change whose ticket is after the previous call's upto and at most
 * upto: all of them are stored as the fsync policy promises (err == 0), or
 * none of them is (err != 0, an errno or store error code; the message is
 * in last_error). A store reports each ticket exactly once, in order, and
 * may split a batch into several calls to say which part failed. After a
 * failure the store goes on: later changes are tried again as usual.
 *
 * Records belong to a key id (the wsp_key id bytes: kind byte + text) and
 * carry its per-key sequence number and the store's record id. The outbox
 * gives a key's records growing sequences and must never reuse one while
 * any record of that key may still be stored. load yields records in push
 * order.
 *
 * Ownership. Every pointer argument is borrowed for the call only: a store
 * copies what it keeps. A store handle belongs to the caller of open until
 * close, which frees it.
 */
#ifndef WSP_STORE_H
#define WSP_STORE_H

#include <stddef.h>
#include <stdint.h>

typedef struct wsp_store wsp_store;

/* A stored record as the outbox knows it: its per-key sequence and the
 * store's own record id (rid, from append or load; 0 for a store that has
 * none). A store identifies records by whichever it needs: the file store
 * by rid (records are kept in push order), a per-key store by seq. */
typedef struct wsp_store_ref {
    uint64_t seq, rid;
} wsp_store_ref;

/* What open gets: the `store` option as the user wrote it ("file",
 * "memory", "redis://host:port/db"), the data_dir option and the fsync
 * option (a wsp_fsync_policy). Borrowed for the call. */
typedef struct wsp_store_conf {
    const char *spec;
    const char *data_dir;
    int fsync;
} wsp_store_conf;

/* Called once per stored record by load, in push order (so in seq order
 * per key). key_id and payload are borrowed (valid during the call only,
 * not NUL-terminated). Return 0 to go on; anything else stops the load. */
typedef int (*wsp_store_load_cb)(void *arg, const char *key_id, size_t key_len,
                                 wsp_store_ref ref, int64_t push_ms, uint32_t tries,
                                 const char *payload, size_t payload_len);
/* See "The durable callback" above. Runs on the store's thread: it must
 * only hand the news to the loop (and must not call back into the store). */
typedef void (*wsp_store_durable_cb)(void *arg, uint64_t upto, int err);

typedef struct wsp_store_ops {
    /* The `store` option value that selects this store, or, ending in
     * "://", the URL scheme that does ("redis://"). */
    const char *name;
    /* Open/create as conf says. Returns NULL and a message in errbuf on
     * failure (unwritable, locked by another server, corrupted,
     * unreachable). cb may be NULL (nothing is reported then). */
    wsp_store *(*open)(const wsp_store_conf *conf, wsp_store_durable_cb cb,
                       void *cb_arg, char *errbuf, size_t errlen);
    /* Load everything, once, after open and before the first change.
     * Returns 0, the callback's non-zero return if it stopped the load, or
     * -1 when the store holds invalid records or cannot be read (message
     * from last_error). */
    int (*load)(wsp_store *s, wsp_store_load_cb cb, void *arg);
    /* Queue changes (see "Changes and tickets"). append sets *rid to the
     * new record's id (0 for a store without ids); remove takes n records
     * of one key, in ascending seq; set_tries records a delivery count. */
    int (*append)(wsp_store *s, const char *key_id, size_t key_len, uint64_t seq,
                  int64_t push_ms, const char *payload, size_t payload_len,
                  uint64_t *rid, uint64_t *ticket);
    int (*remove)(wsp_store *s, const char *key_id, size_t key_len,
                  const wsp_store_ref *refs, size_t n, uint64_t *ticket);
    int (*set_tries)(wsp_store *s, const char *key_id, size_t key_len,
                     wsp_store_ref ref, uint32_t tries, uint64_t *ticket);
    /* Optional (NULL: a remove takes effect when its ticket is reported).
     * Every remove with a ticket <= the value returned is applied: those
     * records are no longer stored. A store may apply removes later than
     * it reports their tickets (the file store defers them); the outbox
     * keeps a released key's sequence until its removes are applied, so a
     * re-created key never reuses a stored sequence. Any thread. */
    uint64_t (*removed_upto)(wsp_store *s);
    /* Make everything queued so far durable (reporting it through the
     * callback), stop the store's thread and free the handle. */
    void (*close)(wsp_store *s);
    /* Optional. In a child process after fork(): close the store's copies
     * of its descriptors (the lock above all: the parent's restart must be
     * able to open the data dir) and nothing else -- the child has none of
     * the store's threads and may not touch its locks or free it. */
    void (*forked)(wsp_store *s);
    /* Stored bytes on disk (for stats), best effort; any thread. */
    uint64_t (*disk_bytes)(wsp_store *s);
    /* Copy the latest error message (a failed load, or the batch a durable
     * callback reported with err != 0) into buf; "" when none. Any thread. */
    void (*last_error)(wsp_store *s, char *buf, size_t len);
    /* Optional. Whether some writer pipelines (sends pushes while earlier
     * ones still wait for their commit): a store may then wait a little
     * before a commit so more changes share it; with none (every writer
     * waits for its reply before it sends again) nothing more can come
     * before the commit, and waiting only delays every reply. Loop thread;
     * called when it changes. */
    void (*pipelined)(wsp_store *s, int on);
} wsp_store_ops;

/* The store that keeps nothing: every change answers ticket 0 and the
 * durable callback is never called. */
extern const wsp_store_ops wsp_store_memory_ops;
/* The embedded on-disk store (LMDB). */
extern const wsp_store_ops wsp_store_file_ops;
/* "redis://" (cluster.c, builds with hiredis): a table entry only. The
 * server finding it runs in cluster mode (cluster.h): Redis holds every
 * outbox, shared by several nodes, and none of the ops above is called
 * (they are NULL). */
extern const wsp_store_ops wsp_store_redis_ops;

/* The store this build opens for a `store` option value (an exact name,
 * or a URL whose scheme a store names), or NULL when this build has none:
 * every store is listed in one table (store.c). */
const wsp_store_ops *wsp_store_find(const char *spec);
/* The `store` values this build accepts, for messages ("file, memory"). */
void wsp_store_names(char *buf, size_t len);

#endif
