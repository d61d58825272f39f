/*
 * log.h - event log lines (README, "Logs") written by a writer thread, so the event
 * loop never blocks on a file. If the writer falls behind (queue over its
 * cap) lines are dropped and counted, never stalling delivery.
 *
 * Line format (one line per event, tab-free, fields space-separated):
 *   2026-11-25 10:03:51.123 <event> conn=<id> key=<key cut to 120> seq=<..>
 *   result=<..> content=<content cut to 200>
 * Fields that do not apply are written as "-". In key and content, control
 * bytes are escaped (\n \r \t, others \xHH) and so are spaces (\x20), so
 * what a client chooses cannot forge another field; backslashes are kept.
 * Close events go to the close log as well as the main log.
 */
#ifndef WSP_LOG_H
#define WSP_LOG_H

#include <stddef.h>
#include <stdint.h>
#include "wsp.h"

typedef struct wsp_log wsp_log;

/* Open both files (append, created with parent directories). Either path may
 * be NULL or "" to disable that file. Returns NULL with a message on error. */
wsp_log *wsp_log_open(const char *path, const char *close_path,
                      wsp_log_level level, char *errbuf, size_t errlen);
/* Flush what is queued, stop the writer thread, close files. NULL-safe. */
void wsp_log_close(wsp_log *lg);
/* Reopen files (SIGUSR1 / logrotate); done by the writer thread, in order:
 * lines queued before the call go to the old file, later ones to the new.
 * Thread-safe, but not async-signal-safe (it locks and allocates): call it
 * from a libevent signal event, not from a raw signal handler. */
void wsp_log_reopen(wsp_log *lg);
/* Is level enabled? Cheap; lets callers skip formatting. NULL-safe (0). */
int  wsp_log_enabled(const wsp_log *lg, wsp_log_level level);

typedef struct wsp_log_rec {
    wsp_log_level level;
    const char *event;      /* "push", "confirm", "bind", "close", ... */
    uint64_t    conn_id;    /* 0 = none */
    const char *key;  size_t key_len;        /* may be NULL */
    uint64_t    seq_from, seq_to;            /* 0 = none; from==to prints one */
    const char *result;                      /* may be NULL */
    const char *content; size_t content_len; /* may be NULL */
    int         to_close_log;                /* also write to the close log */
} wsp_log_rec;

/* Format and queue one line; thread-safe, never blocks on I/O. NULL-safe. */
void wsp_log_write(wsp_log *lg, const wsp_log_rec *r);
/* printf-style free text line at level (start-up, errors). NULL-safe. */
void wsp_log_msg(wsp_log *lg, wsp_log_level level, const char *event,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Lines lost: dropped because the queue was over its cap, or not written
 * because write(2) failed. NULL-safe (0). */
uint64_t wsp_log_dropped(const wsp_log *lg);
/* Line format (text by default). Call once, right after wsp_log_open and
 * before any line is written. NULL-safe. */
void wsp_log_set_format(wsp_log *lg, wsp_log_format format);
/* Cap on the bytes of text queued for the writer (default 8 MiB). A line
 * that would go over it is dropped and counted. Tests set a tiny cap. */
void wsp_log_set_queue_cap(wsp_log *lg, size_t bytes);
/* Block until every line (and reopen) queued before this call has been
 * written out. For tests and orderly shutdowns; never call it on the loop
 * thread in the hot path. NULL-safe. */
void wsp_log_flush(wsp_log *lg);

#endif
