/*
 * store_memory.c - the store that keeps nothing (`store = memory`).
 *
 * The loop thread already holds every outbox in memory (outbox.c), so this
 * store only has to say "durable" to everything: each change succeeds with
 * ticket 0, which store.h defines as "nothing to wait for", and the durable
 * callback is never called. A restart loses the backlog; that is the documented price,
 * accepted for tests and by users who ask for it.
 */
#include <stdio.h>
#include <stdlib.h>

#include "store.h"

struct wsp_store {
    int unused;   /* a handle must be non-NULL; there is no state to keep */
};

static wsp_store *wsp_store_memory_open(const wsp_store_conf *conf,
                                        wsp_store_durable_cb cb, void *cb_arg,
                                        char *errbuf, size_t errlen)
{
    wsp_store *s = calloc(1, sizeof *s);
    if (!s && errbuf && errlen)
        snprintf(errbuf, errlen, "out of memory opening the memory store");
    return s;
}

static int wsp_store_memory_load(wsp_store *s, wsp_store_load_cb cb, void *arg)
{
    return 0;   /* nothing survives a restart */
}

static int wsp_store_memory_append(wsp_store *s, const char *key_id, size_t key_len,
                                   uint64_t seq, int64_t push_ms, const char *payload,
                                   size_t payload_len, uint64_t *rid, uint64_t *ticket)
{
    *rid = 0;
    *ticket = 0;
    return 0;
}

static int wsp_store_memory_remove(wsp_store *s, const char *key_id, size_t key_len,
                                   const wsp_store_ref *refs, size_t n, uint64_t *ticket)
{
    *ticket = 0;
    return 0;
}

static int wsp_store_memory_set_tries(wsp_store *s, const char *key_id, size_t key_len,
                                      wsp_store_ref ref, uint32_t tries, uint64_t *ticket)
{
    *ticket = 0;
    return 0;
}

static void wsp_store_memory_close(wsp_store *s)
{
    free(s);
}

static uint64_t wsp_store_memory_disk_bytes(wsp_store *s)
{
    return 0;
}

static void wsp_store_memory_last_error(wsp_store *s, char *buf, size_t len)
{
    if (buf && len) buf[0] = '\0';
}

const wsp_store_ops wsp_store_memory_ops = {
    .name = "memory",
    .open = wsp_store_memory_open,
    .load = wsp_store_memory_load,
    .append = wsp_store_memory_append,
    .remove = wsp_store_memory_remove,
    .set_tries = wsp_store_memory_set_tries,
    .close = wsp_store_memory_close,
    .disk_bytes = wsp_store_memory_disk_bytes,
    .last_error = wsp_store_memory_last_error,
};
