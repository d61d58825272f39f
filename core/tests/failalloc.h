/*
 * failalloc.h - test-only allocation fault injection for the core's C tests.
 *
 * A test binary linked with
 *     -Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc
 * and failalloc.c sends every malloc/calloc/realloc called from its own
 * objects and from libwspcore.a through here; failalloc_init() also hands
 * libevent our functions (event_set_mem_functions), so its evbuffer chains,
 * bufferevents and events can fail too. Allocations made inside other
 * shared libraries (libc's strdup, json-c, OpenSSL, LMDB) are not seen.
 * Under ASan/valgrind __real_malloc is their malloc, so nothing is lost.
 *
 * Which allocations fail: those that pass the filter (a thread, and a
 * predicate on the size), counted from the last arm call:
 *   failalloc_fail_nth(n)    the n-th one fails, once (n >= 1)
 *   failalloc_fail_from(n)   the n-th one and every later one fail
 *   failalloc_off()          none fail (counting goes on)
 * failalloc_only_thread() restricts the filter to one thread (the server's
 * loop thread, so the test's own allocations never fail),
 * failalloc_only_source() to the core's or to libevent's allocations, and
 * failalloc_only() to sizes a predicate accepts (it runs under a lock: it
 * must not allocate).
 */
#ifndef WSP_FAILALLOC_H
#define WSP_FAILALLOC_H
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* Before anything of libevent is created (before wsp_server_start). */
void failalloc_init(void);

void failalloc_fail_nth(uint64_t n);
void failalloc_fail_from(uint64_t n);
void failalloc_off(void);
void failalloc_only_thread(const pthread_t *t);   /* NULL: every thread */
enum { FA_CORE = 1, FA_LIBEVENT = 2 };   /* who called: the test and libwspcore.a, or libevent */
void failalloc_only_source(int which);            /* FA_CORE | FA_LIBEVENT: both */
void failalloc_only(int (*pred)(size_t size, void *ctx), void *ctx);   /* NULL: every size */

/* Since the last arm call: allocations that passed the filter, and how
 * many of them were failed. */
uint64_t failalloc_seen(void);
uint64_t failalloc_failed(void);

/* Record sizes: the sizes of the next allocations of this thread go to
 * out[] (at most n), for finding what a library call allocates. */
void   failalloc_record(size_t *out, size_t n);
size_t failalloc_record_stop(void);   /* how many were recorded */

#endif
