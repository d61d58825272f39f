/*
 * store.h - where outboxes persist (docs/delivery.md). The loop thread keeps every
 * outbox in memory (outbox.c) and tells the store what changed; the store
 * makes it durable off the loop thread and says when.
 *
 * Threading: every wsp_store_* call is made from the loop thread only and
 * must not block on disk I/O (a writer thread does the I/O). The durable
 * callback runs on the store's writer thread; the server turns it into a
 * loop wakeup.
 *
 * Records belong to a key id (the wsp_key id bytes: kind byte + text) and
 * carry its per-key sequence number (from 1, never reused for a key while
 * the store holds any of its records) and the store's record id.
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

/* Called once per stored record by wsp_store_load, in push order (so in seq
 * order per key). key_id and payload are borrowed (valid during the call
 * only, not NUL-terminated). Return 0 to go on; anything else stops the
 * load. */
typedef int (*wsp_store_load_cb)(void *arg, const char *key_id, size_t key_len,
                                 wsp_store_ref ref, int64_t push_ms, uint32_t tries,
                                 const char *payload, size_t payload_len);
/* Called from the writer thread when every change with ticket <= upto is as
 * durable as the fsync policy promises, or failed (err != 0: the changes up
 * to upto were not stored; pushes waiting on them must be answered "fail"). */
typedef void (*wsp_store_durable_cb)(void *arg, uint64_t upto, int err);

typedef struct wsp_store_ops {
    const char *name;
    /* Open/create under dir. fsync is a wsp_fsync_policy. Returns NULL and a
     * message in errbuf on failure (unwritable, locked by another server,
     * corrupted). */
    wsp_store *(*open)(const char *dir, int fsync, wsp_store_durable_cb cb,
                       void *cb_arg, char *errbuf, size_t errlen);
    /* Load everything (at start, before the loop runs and before the first
     * append). Returns 0, the callback's non-zero return if it stopped the
     * load, or -1 when the store holds invalid records or cannot be read
     * (message from last_error). */
    int (*load)(wsp_store *s, wsp_store_load_cb cb, void *arg);
    /* Queue changes; each returns the change's ticket (>0), 0 on error.
     * append sets *rid to the new record's id (0 for a store without ids);
     * remove takes n records of one key, in ascending seq. */
    uint64_t (*append)(wsp_store *s, const char *key_id, size_t key_len,
                       uint64_t seq, int64_t push_ms, const char *payload,
                       size_t payload_len, uint64_t *rid);
    uint64_t (*remove)(wsp_store *s, const char *key_id, size_t key_len,
                       const wsp_store_ref *refs, size_t n);
    uint64_t (*set_tries)(wsp_store *s, const char *key_id, size_t key_len,
                          wsp_store_ref ref, uint32_t tries);
    /* Make everything queued so far durable, wait for it, and close. */
    void (*close)(wsp_store *s);
    /* Stored bytes on disk (for stats), best effort. */
    uint64_t (*disk_bytes)(wsp_store *s);
    /* Added with the durable outbox: copy the latest error message (a failed
     * load, or the batch a durable callback reported with err != 0) into
     * buf; "" when none. Thread-safe (any thread). */
    void (*last_error)(wsp_store *s, char *buf, size_t len);
} wsp_store_ops;

/* The store that keeps nothing: every change is durable at once (ticket 0
 * means "already durable"; the durable callback is never called). */
extern const wsp_store_ops wsp_store_memory_ops;
/* The embedded on-disk store (durable outbox issue). */
extern const wsp_store_ops wsp_store_file_ops;

#endif
