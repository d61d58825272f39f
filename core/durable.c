/*
 * durable.c - the store's answers, carried to the loop (store.h "The
 * durable callback"): which pushes are durable, and exactly which failed.
 *
 * The store thread reports (upto, err) with growing upto; a failure covers
 * exactly the tickets after the previous report and up to upto. Failed
 * ranges are collected under durable_mu together with durable_upto, so the
 * loop always sees a durable_upto and every failure at or below it in one
 * take. The loop then drops the failed pushes from the outbox (they were
 * answered "fail", so they must not be delivered later either), answers
 * the waiting replies by durable_seen and wsp_ticket_failed, and forgets
 * the ranges: every reply at or below durable_seen has been answered, and
 * every later ticket is above it.
 */
#include <stdlib.h>
#include <string.h>

#include "server_internal.h"

#define FAILED_MIN 16   /* slots kept ready, so a failure is never lost to malloc */

int wsp_durable_init(wsp_server *srv)
{
    srv->durable_reported = 0;
    srv->durable_seen = 0;
    srv->nfailed_new = srv->nfailed = 0;
    atomic_store(&srv->durable_upto, 0);
    if (!srv->failed_new) {
        srv->failed_new = malloc(FAILED_MIN * sizeof(*srv->failed_new));
        srv->failed_new_cap = srv->failed_new ? FAILED_MIN : 0;
    }
    if (!srv->failed) {
        srv->failed = malloc(FAILED_MIN * sizeof(*srv->failed));
        srv->failed_cap = srv->failed ? FAILED_MIN : 0;
    }
    return srv->failed_new && srv->failed ? 0 : -1;
}

void wsp_durable_free(wsp_server *srv)
{
    free(srv->failed_new);
    free(srv->failed);
    srv->failed_new = srv->failed = NULL;
    srv->failed_new_cap = srv->failed_cap = srv->nfailed_new = srv->nfailed = 0;
}

/* Store thread. */
void wsp_durable_report(wsp_server *srv, uint64_t upto, int err)
{
    pthread_mutex_lock(&srv->durable_mu);
    uint64_t from = srv->durable_reported;
    if (upto > from) {
        if (err) {
            wsp_ticket_range *last = srv->nfailed_new ? &srv->failed_new[srv->nfailed_new - 1] : NULL;
            if (last && last->upto == from) {
                last->upto = upto;             /* consecutive failures: one range */
            } else if (srv->nfailed_new < srv->failed_new_cap) {
                srv->failed_new[srv->nfailed_new++] = (wsp_ticket_range){ from, upto };
            } else {
                size_t cap = srv->failed_new_cap * 2;
                wsp_ticket_range *n = realloc(srv->failed_new, cap * sizeof(*n));
                if (n) {
                    srv->failed_new = n;
                    srv->failed_new_cap = cap;
                    n[srv->nfailed_new++] = (wsp_ticket_range){ from, upto };
                } else {
                    /* No memory: widen the last range over the successes
                     * between (a stored push answered "fail" is delivered
                     * later; one answered "ok" that was not stored would
                     * be lost). */
                    last->upto = upto;
                }
            }
        }
        srv->durable_reported = upto;
        atomic_store(&srv->durable_upto, upto);
    }
    pthread_mutex_unlock(&srv->durable_mu);
}

/* Loop thread: take what the store reported (the loop's ranges are empty:
 * wsp_durable_answered emptied them). */
void wsp_durable_take(wsp_server *srv)
{
    pthread_mutex_lock(&srv->durable_mu);
    wsp_ticket_range *t = srv->failed;
    size_t cap = srv->failed_cap;
    srv->failed = srv->failed_new;
    srv->failed_cap = srv->failed_new_cap;
    srv->nfailed = srv->nfailed_new;
    srv->failed_new = t;
    srv->failed_new_cap = cap;
    srv->nfailed_new = 0;
    uint64_t d = atomic_load(&srv->durable_upto);
    pthread_mutex_unlock(&srv->durable_mu);
    if (srv->nfailed && srv->store && srv->store_ops->last_error) {
        /* Once per take, not per push: a full disk fails many commits. */
        char why[320];
        srv->store_ops->last_error(srv->store, why, sizeof why);
        wsp_log_ev(srv, WSP_LOG_ERROR, "store", 0, NULL, 0, 0, "commit_failed", why,
                   strlen(why));
    }
    for (size_t i = 0; i < srv->nfailed; i++)
        wsp_outbox_fail(srv, srv->failed[i].from, srv->failed[i].upto);
    srv->durable_seen = d;
}

int wsp_ticket_failed(const wsp_server *srv, uint64_t ticket)
{
    for (size_t i = 0; i < srv->nfailed; i++)
        if (ticket > srv->failed[i].from && ticket <= srv->failed[i].upto) return 1;
    return 0;
}

void wsp_durable_answered(wsp_server *srv)
{
    srv->nfailed = 0;
}
