/*
 * bg_thread.c - see bg_thread.h.
 *
 * Why a lower priority: when the loop and a writer share a core (a pinned
 * server, or a busy machine), the scheduler favours whichever thread used
 * less CPU, which is the writer. A loop woken by a push then waits for the
 * writer's slice to end (milliseconds: the p99 of push -> receipt at a
 * steady 20k/s was 5 ms on the defaults against 0.8 ms on the memory
 * store, issue 18). The writers' work is not urgent at that scale: a
 * commit that waits a little longer batches more. They still get their
 * share whenever the loop waits (a pusher waits for its reply, so the
 * loop cannot starve the writer for long), and the full share of an idle
 * core.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* pthread_setname_np */
#endif
#include <errno.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bg_thread.h"

void wsp_bg_thread_init(const char *name)
{
    pthread_setname_np(pthread_self(), name);
    /* On Linux the nice value is per thread: PRIO_PROCESS with a thread id
     * changes this thread only. Raising it needs no privilege. */
    pid_t tid = (pid_t)syscall(SYS_gettid);
    errno = 0;
    int cur = getpriority(PRIO_PROCESS, (id_t)tid);
    if (cur == -1 && errno) return;
    int want = cur + WSP_BG_THREAD_NICE;
    if (want > 19) want = 19;
    setpriority(PRIO_PROCESS, (id_t)tid, want);
}
