/*
 * outbox.c - keys and their outboxes (docs/delivery.md), on the loop thread.
 *
 * Each key has an ordered outbox of pushed messages with a per-key sequence.
 * A message stays until a connection it was written to confirms it (Pong
 * carrying a sequence >= its own, or the TCP fallback), or a limit drops it
 * (retry_max, ttl, queue_limit), each logged and counted.
 *
 * Every bound connection has a cursor (the next sequence to write). A
 * connection that binds starts at the head of the outbox, so what it has
 * been written is always a prefix of the outbox: a Pong carrying N on that
 * connection confirms every held message with seq <= N. Writing stops at the
 * connection's output cap and resumes when its output drains, so one slow
 * reader never holds memory without bound and never blocks the others.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server_internal.h"
#include "siphash.h"

/* Keys are chosen by remote clients: the table's hash is keyed with a
 * random seed per table (siphash.h). */
static uint32_t key_hash(const wsp_keytab *t, const char *s, size_t n)
{
    return wsp_siphash13(t->seed, s, n);
}

int wsp_keytab_init(wsp_keytab *t)
{
    wsp_siphash_seed(t->seed);
    t->nbuckets = 1024;
    t->count = 0;
    TAILQ_INIT(&t->ghosts);
    TAILQ_INIT(&t->msgs);
    t->nghosts = 0;
    t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
    return t->buckets ? 0 : -1;
}

static void keytab_grow(wsp_keytab *t)
{
    size_t nb = t->nbuckets * 2;
    struct wsp_keychain *b = calloc(nb, sizeof(*b));   /* zeroed: empty chains */
    if (!b) return;  /* keep the old table: slower chains, still correct */
    for (size_t i = 0; i < t->nbuckets; i++) {
        wsp_keyrec *k;
        while ((k = SLIST_FIRST(&t->buckets[i])) != NULL) {
            SLIST_REMOVE_HEAD(&t->buckets[i], hlink);
            SLIST_INSERT_HEAD(&b[k->hash & (nb - 1)], k, hlink);
        }
    }
    free(t->buckets);
    t->buckets = b;
    t->nbuckets = nb;
}

wsp_keyrec *wsp_key_find(wsp_server *srv, const char *id, size_t id_len)
{
    uint32_t h = key_hash(&srv->ob.keys, id, id_len);
    wsp_keyrec *k;
    SLIST_FOREACH(k, &srv->ob.keys.buckets[h & (srv->ob.keys.nbuckets - 1)], hlink)
        if (k->hash == h && k->id_len == id_len && memcmp(k->id, id, id_len) == 0)
            return k;
    return NULL;
}

static void ghost_unlink(wsp_keytab *t, wsp_keyrec *k)
{
    TAILQ_REMOVE(&t->ghosts, k, ghost_link);
    k->ghost = 0;
    t->nghosts--;
}

static void key_free(wsp_keytab *t, wsp_keyrec *k)
{
    SLIST_REMOVE(&t->buckets[k->hash & (t->nbuckets - 1)], k, wsp_keyrec, hlink);
    free(k->id);
    free(k);
}

/* Every remove the store has applied: the ghosts whose removes are all
 * applied can go (oldest first; one still waiting holds the younger ones
 * back a little, which is harmless). */
static void ghosts_reap(wsp_server *srv)
{
    wsp_keytab *t = &srv->ob.keys;
    if (TAILQ_EMPTY(&t->ghosts)) return;
    uint64_t applied = srv->store_ops && srv->store_ops->removed_upto
                       ? srv->store_ops->removed_upto(srv->store) : UINT64_MAX;
    wsp_keyrec *k;
    while ((k = TAILQ_FIRST(&t->ghosts)) != NULL && k->rm_ticket <= applied) {
        ghost_unlink(t, k);
        key_free(t, k);
    }
}

wsp_keyrec *wsp_key_get(wsp_server *srv, const char *id, size_t id_len)
{
    wsp_keyrec *k = wsp_key_find(srv, id, id_len);
    if (k && k->ghost) {
        /* Back before its removes were applied: it goes on with its
         * sequence, never reusing one a stored record may still have. */
        ghost_unlink(&srv->ob.keys, k);
        srv->ob.keys.count++;
    }
    if (k) return k;
    k = calloc(1, sizeof(*k));
    if (!k) return NULL;
    k->id = malloc(id_len + 1);
    if (!k->id) { free(k); return NULL; }
    memcpy(k->id, id, id_len);
    k->id[id_len] = 0;
    k->id_len = id_len;
    k->hash = key_hash(&srv->ob.keys, id, id_len);
    k->next_seq = 1;
    TAILQ_INIT(&k->msgs);
    LIST_INIT(&k->conns);
    wsp_keytab *t = &srv->ob.keys;
    if (t->count + t->nghosts >= t->nbuckets) keytab_grow(t);
    SLIST_INSERT_HEAD(&t->buckets[k->hash & (t->nbuckets - 1)], k, hlink);
    t->count++;
    return k;
}

/* A key with no connection and no message is forgotten. Its sequence then
 * restarts at 1, which is safe once no connection refers to it and no
 * stored record of it is left: until the store has applied its removes,
 * the key stays as a ghost that keeps its sequence (store.h, defect 1 of
 * issue 13: a re-created key's seq 1 loaded after an older record's seq 5
 * was dropped at load). In cluster mode the mirror goes with the key's last
 * connection here: Redis keeps the outbox and the sequence. */
static void msg_unlink(wsp_server *srv, wsp_msg *m);
static void msg_free(wsp_server *srv, wsp_msg *m);

void wsp_key_maybe_release(wsp_server *srv, wsp_keyrec *k)
{
    if (!LIST_EMPTY(&k->conns) || k->ghost || k->holds) return;
    if (srv->cluster) {
        wsp_msg *m;
        while ((m = TAILQ_FIRST(&k->msgs)) != NULL) {
            msg_unlink(srv, m);
            msg_free(srv, m);
        }
    }
    if (!TAILQ_EMPTY(&k->msgs)) return;
    wsp_keytab *t = &srv->ob.keys;
    t->count--;
    ghosts_reap(srv);
    uint64_t applied = srv->store_ops && srv->store_ops->removed_upto
                       ? srv->store_ops->removed_upto(srv->store) : UINT64_MAX;
    if (k->rm_ticket > applied) {
        k->ghost = 1;
        TAILQ_INSERT_TAIL(&t->ghosts, k, ghost_link);
        t->nghosts++;
        return;
    }
    key_free(t, k);
}

static void msg_unlink(wsp_server *srv, wsp_msg *m)
{
    wsp_keyrec *k = m->key;
    TAILQ_REMOVE(&k->msgs, m, link);
    TAILQ_REMOVE(&srv->ob.keys.msgs, m, g_link);
    k->count--;
    k->bytes -= m->frame_len - m->hdr_len;
    srv->ob.outbox_depth--;
    srv->ob.outbox_bytes -= m->frame_len - m->hdr_len;
}

static void store_remove(wsp_server *srv, wsp_keyrec *k, const wsp_store_ref *refs, size_t n)
{
    uint64_t ticket = 0;
    if (!srv->store || !n) return;
    if (srv->store_ops->remove(srv->store, k->id, k->id_len, refs, n, &ticket) != 0)
        srv->st.store_errors++;   /* the records stay: delivered again after a restart */
    else if (ticket > k->rm_ticket)
        k->rm_ticket = ticket;
}

static wsp_store_ref msg_ref(const wsp_msg *m)
{
    return (wsp_store_ref){ m->seq, m->rid };
}

/* Outbox entries are allocated per push and freed at confirmation about
 * 100 ms later, with tens of thousands alive in between, which makes
 * malloc/free search and coalesce bins (~5% of the loop at full rate).
 * Freed entries up to 1 KiB are kept on per-size lists and reused, up to
 * MSG_FREE_MAX bytes in all. The class of an entry follows from its
 * payload length, so a freed entry knows where it goes. */
#define MSG_CLASS_SIZE 64
#if defined(__SANITIZE_ADDRESS__)
#define MSG_FREE_MAX   0   /* under ASan every entry is freed: use-after-free stays visible */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MSG_FREE_MAX   0
#endif
#endif
#ifndef MSG_FREE_MAX
#define MSG_FREE_MAX   ((size_t)8 << 20)
#endif

static size_t msg_size(size_t payload_len)
{
    return sizeof(wsp_msg) + 10 + payload_len;   /* 10: the longest frame header */
}

static size_t msg_class(size_t size)
{
    return (size - 1) / MSG_CLASS_SIZE;   /* >= WSP_MSG_CLASSES: not recycled */
}

static wsp_msg *msg_alloc(wsp_server *srv, size_t payload_len)
{
    size_t size = msg_size(payload_len), cls = msg_class(size);
    if (cls >= WSP_MSG_CLASSES) return malloc(size);
    wsp_msg *m = SLIST_FIRST(&srv->ob.msg_free[cls]);
    if (m) {
        SLIST_REMOVE_HEAD(&srv->ob.msg_free[cls], free_link);
        srv->ob.msg_free_bytes -= (cls + 1) * MSG_CLASS_SIZE;
        return m;
    }
    return malloc((cls + 1) * MSG_CLASS_SIZE);
}

static void msg_free(wsp_server *srv, wsp_msg *m)
{
    size_t cls = msg_class(msg_size(m->frame_len - m->hdr_len));
    size_t bytes = (cls + 1) * MSG_CLASS_SIZE;
    if (cls >= WSP_MSG_CLASSES || srv->ob.msg_free_bytes + bytes > MSG_FREE_MAX) {
        free(m);
        return;
    }
    SLIST_INSERT_HEAD(&srv->ob.msg_free[cls], m, free_link);
    srv->ob.msg_free_bytes += bytes;
}

/* Drop one message by rule; logged, counted, removed from the store. */
static void msg_drop(wsp_server *srv, wsp_msg *m, const char *reason, uint64_t *counter)
{
    wsp_keyrec *k = m->key;
    wsp_log_ev(srv, WSP_LOG_WARN, strcmp(reason, "ttl") == 0 ? "expire" : "drop", 0, k,
               m->seq, m->seq, reason, (const char *)m->frame + m->hdr_len,
               m->frame_len - m->hdr_len);
    (*counter)++;
    wsp_store_ref ref = msg_ref(m);
    store_remove(srv, k, &ref, 1);
    msg_unlink(srv, m);
    msg_free(srv, m);
}

static wsp_msg *msg_new(wsp_server *srv, wsp_keyrec *k, uint64_t seq, int64_t push_ms,
                        uint32_t tries, const char *payload, size_t len)
{
    wsp_msg *m = msg_alloc(srv, len);
    if (!m) return NULL;
    memset(m, 0, sizeof(*m));
    m->key = k;
    m->seq = seq;
    m->push_ms = push_ms;
    m->tries = tries;
    m->hdr_len = (uint32_t)wsp_ws_frame_header(m->frame, WSP_WS_OP_TEXT, len);
    memcpy(m->frame + m->hdr_len, payload, len);
    m->frame_len = m->hdr_len + len;
    return m;
}

static void msg_append(wsp_server *srv, wsp_keyrec *k, wsp_msg *m)
{
    TAILQ_INSERT_TAIL(&k->msgs, m, link);
    /* Global push order; loaded messages are inserted as they come (the
     * store yields per key, so ttl may be checked a little late for them). */
    TAILQ_INSERT_TAIL(&srv->ob.keys.msgs, m, g_link);
    k->count++;
    k->bytes += m->frame_len - m->hdr_len;
    srv->ob.outbox_depth++;
    srv->ob.outbox_bytes += m->frame_len - m->hdr_len;
}

static int conn_live(const wsp_wsconn *c)
{
    return c->state == WS_OPEN && !wsp_ws_out_full(c);
}

int wsp_outbox_key_live(const wsp_keyrec *k, size_t extra)
{
    const wsp_wsconn *c;
    LIST_FOREACH(c, &k->conns, key_link)
        if (c->state == WS_OPEN
            && (c->out ? evbuffer_get_length(c->out) : 0) + extra < c->srv->cfg.max_output)
            return 1;
    return 0;
}

/* A writer (fan-out, replay) holds the key while it walks its messages and
 * connections: a connection it closes for want of memory may be the key's
 * last, and the key's release -- which in cluster mode drops the mirror's
 * messages too -- waits until no writer uses the key or a message of it
 * (issue 13, defect 7). The last writer out releases it if nothing else
 * holds it then. */
static void key_hold(wsp_keyrec *k)
{
    k->holds++;
}

static void key_unhold(wsp_server *srv, wsp_keyrec *k)
{
    if (--k->holds == 0) wsp_key_maybe_release(srv, k);
}

/* Write one message to a connection (the caller checked order and cap). */
static void conn_write_msg(wsp_wsconn *c, const wsp_msg *m, int replay)
{
    if (wsp_ws_add(c, m->frame, m->frame_len) < 0) {
        /* Not written: the connection goes (its Pongs must never cover a
         * message it did not get); the message stays for replay. */
        c->oom = 1;
        wsp_ws_close(c, 1011, "out of memory");
        return;
    }
    c->cursor = m->seq + 1;
    c->written_upto = m->seq;
    c->ping_due = 1;
    c->srv->st.delivered_writes++;
    if (replay) c->srv->st.replayed++;
    wsp_ws_pushed(c);
    wsp_ws_mark_dirty(c);
}

/* A connection fell behind: messages it was never written have left the
 * outbox (another tab confirmed them, or a limit dropped them). It cannot be
 * given every push any more, and a silent gap is worse than a reconnect:
 * it is closed with WSP_WS_CLOSE_FELL_BEHIND so the page reconnects and
 * refetches; logged (the missed range) and counted. The server ends this
 * delivery, the client did nothing wrong: what it was written counts as
 * confirmed for retry_max (no try is spent; unconfirmed messages stay). */
static void conn_fell_behind(wsp_wsconn *c, uint64_t missed_to)
{
    wsp_server *srv = c->srv;
    wsp_log_ev(srv, WSP_LOG_WARN, "behind", c->id, c->key, c->cursor, missed_to,
               "closed code=4001", NULL, 0);
    srv->st.closed_behind++;
    c->confirmed_upto = c->written_upto;
    wsp_ws_close(c, WSP_WS_CLOSE_FELL_BEHIND, "fell behind");
}

void wsp_outbox_pump(wsp_wsconn *c)
{
    wsp_keyrec *k = c->key;
    wsp_server *srv = c->srv;
    if (!k || c->state != WS_OPEN || k->cl_loading) return;
    key_hold(k);
    wsp_msg *m = TAILQ_FIRST(&k->msgs);
    while (m && m->seq < c->cursor) m = TAILQ_NEXT(m, link);
    uint64_t next = m ? m->seq : k->next_seq;   /* the next it can be written */
    if (next > c->cursor) {
        conn_fell_behind(c, next - 1);
        key_unhold(srv, k);
        return;
    }
    uint64_t first = 0, last = 0;
    for (; m && c->state == WS_OPEN && !wsp_ws_out_full(c); m = TAILQ_NEXT(m, link)) {
        conn_write_msg(c, m, 1);
        if (c->state != WS_OPEN) break;
        if (!first) first = m->seq;
        last = m->seq;
    }
    if (first)
        wsp_log_ev(c->srv, WSP_LOG_INFO, "replay", c->id, k, first, last, "written", NULL, 0);
    if (k->cl_unlive && conn_live(c)) {
        k->cl_unlive = 0;   /* drained: pushes to the key are "ok" again */
        wsp_cluster_set_live(c->srv, k, 1);
    }
    key_unhold(srv, k);   /* k may be gone from here on */
}

/* Write a message just appended to every live connection of its key.
 * Returns 1 when at least one took it. */
static int deliver_new(wsp_keyrec *k, const wsp_msg *m)
{
    int written = 0;
    /* A write may close c (out of memory, fell behind), which unbinds it:
     * its successor is taken first. */
    for (wsp_wsconn *c = LIST_FIRST(&k->conns), *n; c; c = n) {
        n = LIST_NEXT(c, key_link);
        if (!conn_live(c)) continue;
        if (c->cursor == m->seq) conn_write_msg(c, m, 0);
        else wsp_outbox_pump(c);   /* behind: replay first, in order */
        if (c->written_upto >= m->seq) written = 1;
    }
    return written;
}

int wsp_outbox_push(wsp_server *srv, const wsp_key *key, const char *payload,
                    size_t len, int *written, uint64_t *ticket)
{
    *written = 0;
    *ticket = 0;
    if (srv->cluster) return WSP_ERR_STORE;   /* cluster.c pushes through Redis */
    wsp_keyrec *k = wsp_key_get(srv, key->id, key->id_len);
    if (!k) return WSP_ERR_NOMEM;
    int64_t now = wsp_now_ms(srv);
    wsp_msg *m = msg_new(srv, k, k->next_seq, now, 0, payload, len);
    if (!m) { wsp_key_maybe_release(srv, k); return WSP_ERR_NOMEM; }
    k->next_seq++;
    msg_append(srv, k, m);
    uint64_t seq = m->seq;
    if (srv->store) {
        if (srv->store_ops->append(srv->store, k->id, k->id_len, seq, now, payload, len,
                                   &m->rid, ticket) != 0) {
            srv->st.store_errors++;
            msg_unlink(srv, m);
            msg_free(srv, m);
            k->next_seq--;
            wsp_key_maybe_release(srv, k);
            return WSP_ERR_STORE;
        }
        m->ticket = *ticket;   /* a failed commit names it (wsp_outbox_fail) */
        /* everysec / off promise no durability before the reply. */
        if (srv->cfg.fsync == WSP_FSYNC_EVERYSEC || srv->cfg.fsync == WSP_FSYNC_OFF)
            *ticket = 0;
    }
    wsp_metrics_commit_begin(&srv->ops, *ticket);
    /* Delivery never waits on the store: write now, reply after commit. */
    key_hold(k);
    *written = deliver_new(k, m);
    /* queue_limit: the oldest goes (it may be this very message's elder
     * that some connection is still reading: it was written, so not lost to
     * that connection, but no longer replayable). */
    wsp_log_ev(srv, WSP_LOG_INFO, "push", 0, k, seq, seq, *written ? "ok" : "queued",
               payload, len);
    while (k->count > (size_t)srv->cfg.queue_limit && !TAILQ_EMPTY(&k->msgs))
        msg_drop(srv, TAILQ_FIRST(&k->msgs), "queue_limit", &srv->st.dropped_queue_limit);
    key_unhold(srv, k);
    return WSP_OK;
}

void wsp_outbox_fail(wsp_server *srv, uint64_t from, uint64_t upto)
{
    if (srv->cfg.fsync == WSP_FSYNC_EVERYSEC || srv->cfg.fsync == WSP_FSYNC_OFF) {
        /* Answered before the commit (those policies promise nothing
         * more): the pushes stay and are delivered, they are only not on
         * disk. Counted; the store's message is in its last_error. */
        srv->st.store_errors += upto - from;
        return;
    }
    /* Tickets grow along the push-order list, so the failed pushes are at
     * its end: walk back until a ticket at or below from (loaded messages
     * have 0). Each was (or will be) answered "fail": it leaves the outbox,
     * logged and counted, and is never replayed. A connection already
     * written it keeps it (delivery does not wait for the commit). */
    wsp_msg *m = TAILQ_LAST(&srv->ob.keys.msgs, wsp_msg_list);
    while (m && m->ticket > from) {
        wsp_msg *prev = TAILQ_PREV(m, wsp_msg_list, g_link);
        if (m->ticket <= upto) {
            wsp_keyrec *k = m->key;
            wsp_msg *next = TAILQ_NEXT(m, link);
            uint64_t after = next ? next->seq : k->next_seq;
            /* A connection about to be written this one goes on with the
             * next, not into a gap it would take for falling behind. */
            wsp_wsconn *c;
            LIST_FOREACH(c, &k->conns, key_link)
                if (c->cursor == m->seq) c->cursor = after;
            wsp_log_ev(srv, WSP_LOG_ERROR, "drop", 0, k, m->seq, m->seq, "store_failed",
                       (const char *)m->frame + m->hdr_len, m->frame_len - m->hdr_len);
            srv->st.store_errors++;
            msg_unlink(srv, m);
            msg_free(srv, m);
            wsp_key_maybe_release(srv, k);
        }
        m = prev;
    }
}

int wsp_outbox_load_cb(void *arg, const char *key_id, size_t key_len, wsp_store_ref ref,
                       int64_t push_ms, uint32_t tries, const char *payload, size_t len)
{
    wsp_server *srv = arg;
    wsp_keyrec *k = wsp_key_get(srv, key_id, key_len);
    if (!k) return -1;
    uint64_t seq = ref.seq;
    wsp_msg *tail = TAILQ_LAST(&k->msgs, wsp_msg_list);
    if (tail && seq <= tail->seq) {
        /* A key whose sequence restarted while an older record of it was
         * still stored (a store written before the ghost keys, or a remove
         * that failed). Records come in push order, so this one is newer:
         * it is kept, after the older ones, under the next sequence
         * (logged and counted). A store that names records by seq alone
         * (no rid) could not be told the new number: there the record is
         * dropped, logged and counted, never silently. */
        srv->st.load_renumbered++;
        if (!ref.rid) {
            wsp_log_ev(srv, WSP_LOG_ERROR, "drop", 0, k, ref.seq, ref.seq,
                       "load: sequence not above the previous record", payload, len);
            uint64_t ticket;
            if (srv->store) srv->store_ops->remove(srv->store, k->id, k->id_len, &ref, 1, &ticket);
            return 0;
        }
        seq = tail->seq + 1;
        wsp_log_ev(srv, WSP_LOG_WARN, "load", 0, k, ref.seq, seq,
                   "sequence not above the previous record: renumbered", NULL, 0);
    }
    wsp_msg *m = msg_new(srv, k, seq, push_ms, tries, payload, len);
    if (!m) return -1;
    m->rid = ref.rid;
    msg_append(srv, k, m);
    if (seq + 1 > k->next_seq) k->next_seq = seq + 1;
    return 0;
}

void wsp_outbox_bind(wsp_wsconn *c, wsp_keyrec *k)
{
    c->key = k;
    LIST_INSERT_HEAD(&k->conns, c, key_link);
    k->nconns++;
    c->srv->ws.nbound++;
    if (c->srv->cluster && !k->cl_attached) {
        /* First connection of the key here: load its outbox from Redis. */
        k->cl_attached = 1;
        wsp_cluster_attach(c->srv, k);
    }
    /* Loading: positions are set when the backlog is in (mirror_loaded). */
    if (k->cl_loading) return;
    /* Start at the head: every unconfirmed message, in order. */
    wsp_msg *first = TAILQ_FIRST(&k->msgs);
    c->cursor = first ? first->seq : k->next_seq;
    c->written_upto = c->confirmed_upto = c->pinged_upto = c->cursor - 1;
    wsp_outbox_pump(c);
}

void wsp_outbox_unbind(wsp_wsconn *c, int broken)
{
    wsp_keyrec *k = c->key;
    if (!k) return;
    wsp_server *srv = c->srv;
    LIST_REMOVE(c, key_link);
    k->nconns--;
    srv->ws.nbound--;
    c->key = NULL;
    if (srv->cluster) {
        /* Tries are counted in Redis, where every node sees them. */
        if (broken && c->written_upto > c->confirmed_upto && !k->cl_loading) {
            for (wsp_msg *m = TAILQ_FIRST(&k->msgs); m && m->seq <= c->written_upto;
                 m = TAILQ_NEXT(m, link))
                if (m->seq > c->confirmed_upto) srv->st.retried++;
            wsp_cluster_retry(srv, k, c->confirmed_upto + 1, c->written_upto);
            wsp_log_ev(srv, WSP_LOG_INFO, "retry", c->id, k, c->confirmed_upto + 1,
                       c->written_upto, "unconfirmed kept for replay", NULL, 0);
        }
        if (LIST_EMPTY(&k->conns)) wsp_cluster_detach(srv, k);
        wsp_key_maybe_release(srv, k);
        return;
    }
    if (broken && c->written_upto > c->confirmed_upto) {
        /* Everything written and not confirmed stays for replay; each such
         * delivery counts as a try, and a message out of tries is poison. */
        wsp_msg *m = TAILQ_FIRST(&k->msgs);
        uint64_t first = 0, last = 0;
        while (m && m->seq <= c->written_upto) {
            wsp_msg *n = TAILQ_NEXT(m, link);   /* m may be dropped */
            if (m->seq > c->confirmed_upto) {
                m->tries++;
                srv->st.retried++;
                if (!first) first = m->seq;
                last = m->seq;
                if ((int)m->tries >= srv->cfg.retry_max)
                    msg_drop(srv, m, "retry_max", &srv->st.dropped_retry);
                else if (srv->store) {
                    uint64_t ticket;
                    if (srv->store_ops->set_tries(srv->store, k->id, k->id_len, msg_ref(m),
                                                  m->tries, &ticket) != 0)
                        srv->st.store_errors++;
                }
            }
            m = n;
        }
        if (first)
            wsp_log_ev(srv, WSP_LOG_INFO, "retry", c->id, k, first, last,
                       "unconfirmed kept for replay", NULL, 0);
    }
    wsp_key_maybe_release(srv, k);
}

void wsp_outbox_confirm(wsp_wsconn *c, uint64_t upto, const char *how)
{
    wsp_keyrec *k = c->key;
    /* Loading after a Redis outage: positions restart when it is in. */
    if (k && k->cl_loading) return;
    if (upto > c->written_upto) upto = c->written_upto;
    if (upto <= c->confirmed_upto) return;
    c->confirmed_upto = upto;
    if (!k) return;
    wsp_server *srv = c->srv;
    /* Store removes go in pieces of up to 256 records (no allocation). */
    wsp_store_ref refs[256];
    uint64_t first = 0, n = 0;
    size_t nrefs = 0;
    wsp_msg *m;
    while ((m = TAILQ_FIRST(&k->msgs)) != NULL && m->seq <= upto) {
        if (!first) first = m->seq;
        if (nrefs == sizeof(refs) / sizeof(refs[0])) {
            store_remove(srv, k, refs, nrefs);
            nrefs = 0;
        }
        refs[nrefs++] = msg_ref(m);
        msg_unlink(srv, m);
        msg_free(srv, m);
        n++;
    }
    if (!n) return;
    srv->st.confirmed += n;
    store_remove(srv, k, refs, nrefs);
    if (srv->cluster) wsp_cluster_confirm(srv, k, upto);
    wsp_log_ev(srv, WSP_LOG_INFO, "confirm", c->id, k, first, upto, how, NULL, 0);
}

/* ttl: the global list is in push order, so only expired messages are visited. */
void wsp_outbox_expire(wsp_server *srv)
{
    if (srv->cluster) return;   /* Redis' clock decides (cluster.c) */
    ghosts_reap(srv);
    int64_t limit = wsp_now_ms(srv) - (int64_t)(srv->cfg.ttl * 1000.0);
    wsp_msg *m;
    while ((m = TAILQ_FIRST(&srv->ob.keys.msgs)) != NULL && m->push_ms <= limit) {
        wsp_keyrec *k = m->key;
        msg_drop(srv, m, "ttl", &srv->st.expired);
        wsp_key_maybe_release(srv, k);
    }
}

/* ---- cluster mode: the mirror of a key's outbox in Redis ---- */

static void mirror_clear(wsp_server *srv, wsp_keyrec *k)
{
    wsp_msg *m;
    while ((m = TAILQ_FIRST(&k->msgs)) != NULL) {
        msg_unlink(srv, m);
        msg_free(srv, m);
    }
}

void wsp_outbox_mirror_begin(wsp_server *srv, wsp_keyrec *k)
{
    /* (Re)load from scratch: after an outage Redis is the only truth (it
     * may even have restarted without its data, sequences anew). */
    mirror_clear(srv, k);
    k->cl_loading = 1;
    k->cl_unlive = 0;   /* attach marks the node live */
    k->cl_inflight = 0;
    k->cl_gen++;
    k->cl_floor = 0;
    k->next_seq = 1;
}

void wsp_outbox_mirror_add(wsp_server *srv, wsp_keyrec *k, uint64_t seq, int64_t push_ms,
                           const char *payload, size_t len)
{
    /* One of the pushes counted in flight (wsp_cluster_push) has arrived. */
    size_t fl = wsp_ws_frame_header_len(len) + len;
    k->cl_inflight = k->cl_inflight > fl ? k->cl_inflight - fl : 0;
    wsp_msg *tail = TAILQ_LAST(&k->msgs, wsp_msg_list);
    if (seq <= k->cl_floor || (tail && seq <= tail->seq)) return;   /* seen */
    if (!k->cl_loading) {
        if (seq < k->next_seq) return;
        if (seq > k->next_seq) {
            /* A notice went missing: reload the key (this one is buffered). */
            wsp_cluster_attach(srv, k);
        }
    }
    wsp_msg *m = msg_new(srv, k, seq, push_ms, 0, payload, len);
    if (!m) { wsp_cluster_attach(srv, k); return; }   /* reload later, lose nothing */
    msg_append(srv, k, m);
    k->next_seq = seq + 1;
    key_hold(k);
    if (!k->cl_loading && !deliver_new(k, m) && !k->cl_unlive && !LIST_EMPTY(&k->conns)) {
        /* Every connection here is over its output cap: until one drains,
         * this node does not make a push to the key "ok". (None left: the
         * key was detached, and goes below.) */
        k->cl_unlive = 1;
        wsp_cluster_set_live(srv, k, 0);
    }
    key_unhold(srv, k);   /* k may be gone from here on */
}

void wsp_outbox_mirror_trim(wsp_server *srv, wsp_keyrec *k, uint64_t upto)
{
    if (upto > k->cl_floor) k->cl_floor = upto;
    wsp_msg *m;
    while ((m = TAILQ_FIRST(&k->msgs)) != NULL && m->seq <= upto) {
        msg_unlink(srv, m);
        msg_free(srv, m);
    }
}

void wsp_outbox_mirror_remove(wsp_server *srv, wsp_keyrec *k, uint64_t seq)
{
    for (wsp_msg *m = TAILQ_FIRST(&k->msgs); m && m->seq <= seq; m = TAILQ_NEXT(m, link))
        if (m->seq == seq) { msg_unlink(srv, m); msg_free(srv, m); return; }
}

void wsp_outbox_mirror_loaded(wsp_server *srv, wsp_keyrec *k, const wsp_mirror_entry *e,
                              size_t n, uint64_t next_seq)
{
    /* Messages published while the backlog was on its way are buffered in
     * the mirror: take them out, put the backlog first, then those of them
     * the backlog did not already hold. */
    struct wsp_msg_list buf = TAILQ_HEAD_INITIALIZER(buf);
    wsp_msg *m, *tail;
    while ((m = TAILQ_FIRST(&k->msgs)) != NULL) {
        msg_unlink(srv, m);
        TAILQ_INSERT_TAIL(&buf, m, link);   /* off the outbox: its link is free */
    }
    for (size_t i = 0; i < n; i++) {
        tail = TAILQ_LAST(&k->msgs, wsp_msg_list);
        if (e[i].seq <= k->cl_floor || (tail && e[i].seq <= tail->seq)) continue;
        m = msg_new(srv, k, e[i].seq, e[i].push_ms, 0, e[i].payload, e[i].len);
        if (!m) break;   /* the rest is replayed by the next attach */
        msg_append(srv, k, m);
    }
    while ((m = TAILQ_FIRST(&buf)) != NULL) {
        TAILQ_REMOVE(&buf, m, link);
        tail = TAILQ_LAST(&k->msgs, wsp_msg_list);
        if (m->seq > k->cl_floor && (!tail || m->seq > tail->seq)) msg_append(srv, k, m);
        else msg_free(srv, m);
    }
    tail = TAILQ_LAST(&k->msgs, wsp_msg_list);
    k->next_seq = tail && tail->seq + 1 > next_seq ? tail->seq + 1 : next_seq;
    k->cl_loading = 0;
    /* Every connection of the key starts at the head, as on a bind (a pump
     * may close c, which unbinds it: its successor is taken first). */
    m = TAILQ_FIRST(&k->msgs);
    uint64_t start = m ? m->seq : k->next_seq;
    key_hold(k);
    for (wsp_wsconn *c = LIST_FIRST(&k->conns), *cn; c; c = cn) {
        cn = LIST_NEXT(c, key_link);
        c->cursor = start;
        c->written_upto = c->confirmed_upto = c->pinged_upto = start - 1;
        wsp_outbox_pump(c);
    }
    key_unhold(srv, k);   /* k may be gone from here on */
}

void wsp_keytab_free(wsp_server *srv)
{
    wsp_keytab *t = &srv->ob.keys;
    if (!t->buckets) return;
    wsp_keyrec *k;
    wsp_msg *m;
    for (size_t i = 0; i < t->nbuckets; i++) {
        while ((k = SLIST_FIRST(&t->buckets[i])) != NULL) {
            SLIST_REMOVE_HEAD(&t->buckets[i], hlink);
            while ((m = TAILQ_FIRST(&k->msgs)) != NULL) {
                TAILQ_REMOVE(&k->msgs, m, link);
                free(m);
            }
            free(k->id);
            free(k);
        }
    }
    free(t->buckets);
    t->buckets = NULL;
    t->count = t->nghosts = 0;
    TAILQ_INIT(&t->ghosts);
    TAILQ_INIT(&t->msgs);
    for (size_t c = 0; c < WSP_MSG_CLASSES; c++) {
        while ((m = SLIST_FIRST(&srv->ob.msg_free[c])) != NULL) {
            SLIST_REMOVE_HEAD(&srv->ob.msg_free[c], free_link);
            free(m);
        }
    }
    srv->ob.msg_free_bytes = 0;
}
