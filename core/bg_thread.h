/*
 * bg_thread.h - set-up for the core's background threads (the store
 * writer, the log writer): a name for top -H / perf / /proc, and a lower
 * CPU priority than the event loop's.
 */
#ifndef WSP_BG_THREAD_H
#define WSP_BG_THREAD_H

/* How much nicer than the process a background thread runs (nice units). */
#define WSP_BG_THREAD_NICE 10

/* Call first thing in the thread. */
void wsp_bg_thread_init(const char *name);

#endif
