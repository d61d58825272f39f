/*
 * failalloc.c - the allocation fault injector of failalloc.h (test only).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <event2/event.h>

#include "failalloc.h"

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int armed;                /* fast path: nothing to decide */
static uint64_t nth, from, seen, failed; /* under mu */
static int have_thread;
static pthread_t only_thread;
static int (*only_pred)(size_t, void *);
static void *only_ctx;

static int sources = FA_CORE | FA_LIBEVENT;

static _Thread_local size_t *rec_out;
static _Thread_local size_t rec_cap, rec_len;

/* 1: this allocation fails. */
static int should_fail(size_t size, int source)
{
    if (rec_out && rec_len < rec_cap) rec_out[rec_len++] = size;
    if (!atomic_load_explicit(&armed, memory_order_relaxed)) return 0;
    int fail = 0;
    pthread_mutex_lock(&mu);
    if ((sources & source) && (!have_thread || pthread_equal(pthread_self(), only_thread))
        && (!only_pred || only_pred(size, only_ctx))) {
        seen++;
        if ((nth && seen == nth) || (from && seen >= from)) {
            fail = 1;
            failed++;
        }
    }
    pthread_mutex_unlock(&mu);
    if (fail) errno = ENOMEM;
    return fail;
}

void *__wrap_malloc(size_t size)
{
    return should_fail(size, FA_CORE) ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return should_fail(n * size, FA_CORE) ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
    return should_fail(size, FA_CORE) ? NULL : __real_realloc(p, size);
}

/* libevent's (its calloc is its malloc + memset) */
static void *ev_malloc(size_t size)
{
    return should_fail(size, FA_LIBEVENT) ? NULL : __real_malloc(size);
}

static void *ev_realloc(void *p, size_t size)
{
    return should_fail(size, FA_LIBEVENT) ? NULL : __real_realloc(p, size);
}

static void ev_free(void *p)
{
    free(p);
}

void failalloc_init(void)
{
    static int done;
    if (done) return;
    done = 1;
    event_set_mem_functions(ev_malloc, ev_realloc, ev_free);
}

static void arm(uint64_t n, uint64_t f)
{
    pthread_mutex_lock(&mu);
    nth = n;
    from = f;
    seen = failed = 0;
    atomic_store(&armed, 1);   /* counting also goes on while off */
    pthread_mutex_unlock(&mu);
}

void failalloc_fail_nth(uint64_t n) { arm(n, 0); }
void failalloc_fail_from(uint64_t n) { arm(0, n); }

void failalloc_off(void)
{
    pthread_mutex_lock(&mu);
    nth = from = 0;
    pthread_mutex_unlock(&mu);
}

void failalloc_only_thread(const pthread_t *t)
{
    pthread_mutex_lock(&mu);
    have_thread = t != NULL;
    if (t) only_thread = *t;
    pthread_mutex_unlock(&mu);
}

void failalloc_only_source(int which)
{
    pthread_mutex_lock(&mu);
    sources = which;
    pthread_mutex_unlock(&mu);
}

void failalloc_only(int (*pred)(size_t, void *), void *ctx)
{
    pthread_mutex_lock(&mu);
    only_pred = pred;
    only_ctx = ctx;
    pthread_mutex_unlock(&mu);
}

uint64_t failalloc_seen(void)
{
    pthread_mutex_lock(&mu);
    uint64_t v = seen;
    pthread_mutex_unlock(&mu);
    return v;
}

uint64_t failalloc_failed(void)
{
    pthread_mutex_lock(&mu);
    uint64_t v = failed;
    pthread_mutex_unlock(&mu);
    return v;
}

void failalloc_record(size_t *out, size_t n)
{
    rec_len = 0;
    rec_cap = n;
    rec_out = out;
}

size_t failalloc_record_stop(void)
{
    rec_out = NULL;
    return rec_len;
}
