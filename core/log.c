/*
 * log.c - the event log (README, "Logs"): producers format a line and queue it, a
 * writer thread writes the queue out in batches with write(2).
 *
 * Why a thread: the event loop must never wait on a disk. Producers only
 * format into a stack buffer, copy into a malloc'd node and link it under a
 * mutex; the writer takes the whole list at once and writes it through a
 * 64 KiB buffer per file, so one write(2) carries many lines. The queue is
 * capped in bytes; a line that would go over the cap is dropped and counted,
 * so a stuck disk costs log lines, never delivery.
 *
 * Reopen (logrotate) is a marker node in the same queue, so lines queued
 * before the request land in the old file and later ones in the new file.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* pthread_setname_np */
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "bg_thread.h"
#include "mkdir.h"
#include "utf8.h"
#include "errbuf.h"

#define WSP_LOG_DEFAULT_CAP ((size_t)8 << 20)
#define WSP_LOG_OUTBUF      (64 * 1024)
#define WSP_LOG_KEY_MAX     120   /* bytes of key kept (README, "Logs") */
#define WSP_LOG_CONTENT_MAX 200   /* bytes of content kept (README, "Logs") */
#define WSP_LOG_WORD_MAX    32    /* event and result names */
#define WSP_LOG_MSG_MAX     1024  /* free text of wsp_log_msg */
#define LOG_BATCH_BYTES     (64 * 1024)  /* write at once past this much */
#define LOG_LINGER_MS       20           /* else gather lines this long */
#define LOG_CHUNK           (16 * 1024)  /* main-log lines share chunks this big */
/* Worst case of one formatted line: every kept byte escaped as \xHH. */
#define WSP_LOG_LINE_MAX    (256 + 4 * (WSP_LOG_MSG_MAX + 2 * WSP_LOG_WORD_MAX + \
                                     WSP_LOG_KEY_MAX))
/* JSON escapes a byte as \u00HH at worst. */
#define WSP_LOG_JSON_LINE_MAX (256 + 6 * (WSP_LOG_MSG_MAX + 2 * WSP_LOG_WORD_MAX + \
                                         WSP_LOG_KEY_MAX))
#define WSP_LOG_BUF_MAX     (WSP_LOG_JSON_LINE_MAX > WSP_LOG_LINE_MAX ? \
                             WSP_LOG_JSON_LINE_MAX : WSP_LOG_LINE_MAX)
#define WSP_LOG_OFF         (WSP_LOG_ERROR + 1)   /* level when no file is open */

enum wsp_log_node_kind {
    WSP_LOG_NODE_MAIN,    /* main log only */
    WSP_LOG_NODE_BOTH,    /* main log and close log */
    WSP_LOG_NODE_REOPEN,  /* marker: reopen both files here */
};

typedef struct wsp_log_node {
    STAILQ_ENTRY(wsp_log_node) link;   /* wsp_log.queue, then the writer's batch */
    size_t cap;              /* room in text (a main-log chunk takes many lines) */
    size_t len;
    int    kind;
    char   text[];
} wsp_log_node;

/* One output file, touched only by the writer thread after open. */
typedef struct wsp_log_out {
    char  *path;          /* NULL = disabled */
    int    fd;
    size_t len, lines;    /* buffered bytes and how many lines they hold */
    char   buf[WSP_LOG_OUTBUF];
} wsp_log_out;

struct wsp_log {
    int level;            /* fixed at open: read without the lock */
    pthread_mutex_t mu;
    pthread_cond_t  wake;     /* producers -> writer */
    pthread_cond_t  done;     /* writer -> wsp_log_flush */
    STAILQ_HEAD(, wsp_log_node) queue;   /* FIFO: written in this order */
    wsp_log_node   *stage;    /* the tail chunk still taking main-log lines */
    size_t   pending;         /* bytes queued, not yet taken by the writer */
    size_t   cap;
    uint64_t queued_gen;      /* nodes linked so far */
    uint64_t done_gen;        /* nodes written so far */
    int      stop;
    int      writer_idle;     /* writer blocked waiting for the first line */
    int      flush_req;       /* a wsp_log_flush is waiting: write now */
    int      reopen_lost;     /* a reopen whose marker could not be allocated */
    uint64_t dropped;         /* atomic (__atomic builtins) */
    uint64_t dropped_reported;/* writer thread: drops already told in a line */
    int      format;          /* wsp_log_format, set before the first line */
    pthread_t thread;
    wsp_log_out main, close;
};


static void wsp_log_count_drop(wsp_log *lg, uint64_t n)
{
    __atomic_add_fetch(&lg->dropped, n, __ATOMIC_RELAXED);
}

/* mkdir -p of the directory part of path. Returns 0, or -1 with errno set
 * and the failing directory in dir_out. */
static int wsp_mkdir_parents(const char *path, char *dir_out, size_t dir_len)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path) return 0;   /* no directory, or "/" */
    char *dir = strndup(path, (size_t)(slash - path));
    if (!dir) { errno = ENOMEM; snprintf(dir_out, dir_len, "%s", path); return -1; }
    int rc = wsp_mkdir_p(dir, dir_out, dir_len);
    int e = errno;
    free(dir);
    errno = e;
    return rc;
}

static int wsp_log_open_file(const char *path, char *errbuf, size_t errlen)
{
    char dir[512];
    int fd;

    if (wsp_mkdir_parents(path, dir, sizeof(dir)) != 0) {
        wsp_errf(errbuf, errlen, "cannot create directory %s for log file %s: %s",
                    dir, path, strerror(errno));
        return -1;
    }
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        wsp_errf(errbuf, errlen, "cannot open log file %s: %s", path,
                    strerror(errno));
    return fd;
}

/* Write the buffered lines of one file. Lines that do not reach the file
 * count as dropped: the operator asks "was anything lost", not "why". */
static void wsp_log_out_flush(wsp_log *lg, wsp_log_out *o)
{
    size_t off = 0;

    while (off < o->len) {
        ssize_t w = write(o->fd, o->buf + off, o->len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            wsp_log_count_drop(lg, o->lines);
            break;
        }
        off += (size_t)w;
    }
    o->len = 0;
    o->lines = 0;
}

static void wsp_log_out_add(wsp_log *lg, wsp_log_out *o, const char *s, size_t n)
{
    if (o->fd < 0)
        return;
    if (o->len + n > sizeof(o->buf))
        wsp_log_out_flush(lg, o);
    memcpy(o->buf + o->len, s, n);   /* n <= WSP_LOG_LINE_MAX < buffer */
    o->len += n;
    o->lines++;
}

/* Writer thread only. A file that cannot be reopened keeps its old
 * descriptor: writing to a renamed file beats losing lines. */
static void wsp_log_out_reopen(wsp_log *lg, wsp_log_out *o)
{
    int fd;

    if (!o->path)
        return;
    wsp_log_out_flush(lg, o);
    fd = wsp_log_open_file(o->path, NULL, 0);
    if (fd < 0)
        return;
    if (o->fd >= 0)
        close(o->fd);
    o->fd = fd;
}

static size_t wsp_log_format_line(const wsp_log *lg, char *buf, const char *event,
                                  uint64_t conn_id, const char *key, size_t key_len,
                                  uint64_t seq_from, uint64_t seq_to, const char *result,
                                  const char *content, size_t content_len, size_t content_max,
                                  int free_text);

/* Writer thread: lines lost since the last report get a line of their own
 * (event log_dropped, result = how many), so a gap in the log is visible in
 * the log itself, not only in /metrics. */
static void wsp_log_report_drops(wsp_log *lg)
{
    uint64_t d = __atomic_load_n(&lg->dropped, __ATOMIC_RELAXED);
    char buf[WSP_LOG_BUF_MAX], num[24];
    size_t n;

    if (d == lg->dropped_reported || lg->main.fd < 0)
        return;
    snprintf(num, sizeof(num), "%llu", (unsigned long long)(d - lg->dropped_reported));
    lg->dropped_reported = d;
    n = wsp_log_format_line(lg, buf, "log_dropped", 0, NULL, 0, 0, 0, num,
                            "log lines lost (queue over its cap, or a failed write)",
                            54, WSP_LOG_CONTENT_MAX, 1);
    wsp_log_out_add(lg, &lg->main, buf, n);
    wsp_log_out_flush(lg, &lg->main);
}

static void *wsp_log_writer(void *arg)
{
    wsp_log *lg = arg;
    wsp_bg_thread_init("wsp-log");   /* named, and below the loop's priority */

    pthread_mutex_lock(&lg->mu);
    for (;;) {
        STAILQ_HEAD(, wsp_log_node) batch = STAILQ_HEAD_INITIALIZER(batch);
        wsp_log_node *n;
        uint64_t gen;
        int reopen;

        while (STAILQ_EMPTY(&lg->queue) && !lg->stop && !lg->reopen_lost) {
            lg->writer_idle = 1;
            pthread_cond_wait(&lg->wake, &lg->mu);
            lg->writer_idle = 0;
        }
        /* Linger a little so lines are written in batches: one wakeup (and,
         * on a loop pinned to one core, one context switch) per batch, not
         * per line. Producers cut it short past LOG_BATCH_BYTES. */
        if (!STAILQ_EMPTY(&lg->queue) && !lg->stop && !lg->flush_req && lg->pending < LOG_BATCH_BYTES) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += LOG_LINGER_MS * 1000000L;
            if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
            while (!lg->stop && !lg->flush_req && lg->pending < LOG_BATCH_BYTES)
                if (pthread_cond_timedwait(&lg->wake, &lg->mu, &ts) == ETIMEDOUT) break;
        }
        if (STAILQ_EMPTY(&lg->queue) && !lg->reopen_lost && lg->stop)
            break;
        STAILQ_CONCAT(&batch, &lg->queue);   /* takes it all, empties the queue */
        lg->stage = NULL;      /* taken: producers start a new chunk */
        lg->pending = 0;
        gen = lg->queued_gen;
        reopen = lg->reopen_lost;
        lg->reopen_lost = 0;
        pthread_mutex_unlock(&lg->mu);

        if (reopen) {
            wsp_log_out_reopen(lg, &lg->main);
            wsp_log_out_reopen(lg, &lg->close);
        }
        while ((n = STAILQ_FIRST(&batch)) != NULL) {
            STAILQ_REMOVE_HEAD(&batch, link);
            if (n->kind == WSP_LOG_NODE_REOPEN) {
                wsp_log_out_reopen(lg, &lg->main);
                wsp_log_out_reopen(lg, &lg->close);
            } else {
                wsp_log_out_add(lg, &lg->main, n->text, n->len);
                if (n->kind == WSP_LOG_NODE_BOTH)
                    wsp_log_out_add(lg, &lg->close, n->text, n->len);
            }
            free(n);
        }
        if (lg->main.fd >= 0)
            wsp_log_out_flush(lg, &lg->main);
        if (lg->close.fd >= 0)
            wsp_log_out_flush(lg, &lg->close);
        wsp_log_report_drops(lg);

        pthread_mutex_lock(&lg->mu);
        lg->done_gen = gen;
        pthread_cond_broadcast(&lg->done);
    }
    pthread_mutex_unlock(&lg->mu);
    wsp_log_report_drops(lg);   /* what the last batch did not tell */
    return NULL;
}

static void wsp_log_out_init(wsp_log_out *o)
{
    o->path = NULL;
    o->fd = -1;
    o->len = o->lines = 0;
}

/* Files, paths, locks and the struct: what open made and close undoes. */
static void wsp_log_release(wsp_log *lg, int sync_ready)
{
    if (lg->main.fd >= 0)
        close(lg->main.fd);
    if (lg->close.fd >= 0)
        close(lg->close.fd);
    free(lg->main.path);
    free(lg->close.path);
    if (sync_ready) {
        pthread_cond_destroy(&lg->done);
        pthread_cond_destroy(&lg->wake);
        pthread_mutex_destroy(&lg->mu);
    }
    free(lg);
}

wsp_log *wsp_log_open(const char *path, const char *close_path,
                      wsp_log_level level, char *errbuf, size_t errlen)
{
    wsp_log *lg = calloc(1, sizeof(*lg));
    sigset_t all, old;
    int sync_ready = 0, rc;

    if (!lg) {
        wsp_errf(errbuf, errlen, "out of memory");
        return NULL;
    }
    wsp_log_out_init(&lg->main);
    wsp_log_out_init(&lg->close);
    STAILQ_INIT(&lg->queue);
    lg->cap = WSP_LOG_DEFAULT_CAP;
    lg->level = level;
    if (pthread_mutex_init(&lg->mu, NULL) != 0)
        goto fail_nosync;
    if (pthread_cond_init(&lg->wake, NULL) != 0) {
        pthread_mutex_destroy(&lg->mu);
        goto fail_nosync;
    }
    if (pthread_cond_init(&lg->done, NULL) != 0) {
        pthread_cond_destroy(&lg->wake);
        pthread_mutex_destroy(&lg->mu);
        goto fail_nosync;
    }
    sync_ready = 1;

    if (path && *path) {
        if (!(lg->main.path = strdup(path)))
            goto fail_nomem;
        if ((lg->main.fd = wsp_log_open_file(path, errbuf, errlen)) < 0)
            goto fail;
    }
    if (close_path && *close_path) {
        if (!(lg->close.path = strdup(close_path)))
            goto fail_nomem;
        if ((lg->close.fd = wsp_log_open_file(close_path, errbuf, errlen)) < 0)
            goto fail;
    }
    if (lg->main.fd < 0 && lg->close.fd < 0)
        lg->level = WSP_LOG_OFF;   /* nothing to write: format nothing */

    /* The writer must never be the thread that receives SIGTERM / SIGUSR1
     * meant for the process; it inherits this mask. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&lg->thread, NULL, wsp_log_writer, lg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        wsp_errf(errbuf, errlen, "cannot start the log writer thread: %s",
                    strerror(rc));
        goto fail;
    }
    return lg;

fail_nosync:
    wsp_errf(errbuf, errlen, "cannot initialise log locks");
    goto fail;
fail_nomem:
    wsp_errf(errbuf, errlen, "out of memory");
fail:
    wsp_log_release(lg, sync_ready);
    return NULL;
}

void wsp_log_close(wsp_log *lg)
{
    if (!lg)
        return;
    pthread_mutex_lock(&lg->mu);
    lg->stop = 1;
    pthread_cond_signal(&lg->wake);
    pthread_mutex_unlock(&lg->mu);
    /* The writer drains the whole queue before it sees stop. */
    pthread_join(lg->thread, NULL);
    wsp_log_release(lg, 1);
}

/* Link a node, or drop it when the queue is over its cap. Takes n. */
/* Wake the writer when it sleeps, or when the queue crosses a batch. Under mu. */
static void wsp_log_poke(wsp_log *lg, size_t before, int force)
{
    if (lg->writer_idle || force
        || (before < LOG_BATCH_BYTES && lg->pending >= LOG_BATCH_BYTES))
        pthread_cond_signal(&lg->wake);
}

/* Main-log lines are copied into the open tail chunk when it has room: one
 * malloc per LOG_CHUNK bytes instead of one per line. 1 when taken (or
 * dropped), 0 when the caller must start a new chunk. */
static int wsp_log_stage_append(wsp_log *lg, const char *s, size_t len)
{
    pthread_mutex_lock(&lg->mu);
    wsp_log_node *st = lg->stage;
    /* Only the last node takes lines: one added to an earlier node would
     * overtake the nodes after it. */
    if (!st || STAILQ_NEXT(st, link) || st->len + len > st->cap) {
        pthread_mutex_unlock(&lg->mu);
        return 0;
    }
    if (lg->pending + len > lg->cap) {
        pthread_mutex_unlock(&lg->mu);
        wsp_log_count_drop(lg, 1);
        return 1;
    }
    memcpy(st->text + st->len, s, len);
    st->len += len;
    size_t before = lg->pending;
    lg->pending += len;
    lg->queued_gen++;
    wsp_log_poke(lg, before, 0);
    pthread_mutex_unlock(&lg->mu);
    return 1;
}

static void wsp_log_enqueue(wsp_log *lg, wsp_log_node *n)
{
    pthread_mutex_lock(&lg->mu);
    if (n->kind != WSP_LOG_NODE_REOPEN && lg->pending + n->len > lg->cap) {
        pthread_mutex_unlock(&lg->mu);
        free(n);
        wsp_log_count_drop(lg, 1);
        return;
    }
    STAILQ_INSERT_TAIL(&lg->queue, n, link);
    size_t before = lg->pending;
    lg->pending += n->len;
    lg->queued_gen++;
    lg->stage = n->kind == WSP_LOG_NODE_MAIN ? n : NULL;
    wsp_log_poke(lg, before, n->kind == WSP_LOG_NODE_REOPEN);
    pthread_mutex_unlock(&lg->mu);
}

static void wsp_log_queue_text(wsp_log *lg, const char *s, size_t len, int kind)
{
    if (kind == WSP_LOG_NODE_MAIN && wsp_log_stage_append(lg, s, len))
        return;
    size_t cap = kind == WSP_LOG_NODE_MAIN && len < LOG_CHUNK ? LOG_CHUNK : len;
    wsp_log_node *n = malloc(sizeof(*n) + cap);

    if (!n) {
        wsp_log_count_drop(lg, 1);
        return;
    }
    n->cap = cap;
    n->len = len;
    n->kind = kind;
    memcpy(n->text, s, len);
    wsp_log_enqueue(lg, n);
}

void wsp_log_reopen(wsp_log *lg)
{
    wsp_log_node *n;

    if (!lg)
        return;
    n = malloc(sizeof(*n));
    if (!n) {
        /* Out of memory: still reopen, just not at an exact position. */
        pthread_mutex_lock(&lg->mu);
        lg->reopen_lost = 1;
        pthread_cond_signal(&lg->wake);
        pthread_mutex_unlock(&lg->mu);
        return;
    }
    n->cap = n->len = 0;
    n->kind = WSP_LOG_NODE_REOPEN;
    wsp_log_enqueue(lg, n);
}

void wsp_log_flush(wsp_log *lg)
{
    uint64_t target;

    if (!lg)
        return;
    pthread_mutex_lock(&lg->mu);
    target = lg->queued_gen;
    lg->flush_req++;
    pthread_cond_signal(&lg->wake);
    while (lg->done_gen < target)
        pthread_cond_wait(&lg->done, &lg->mu);
    lg->flush_req--;
    pthread_mutex_unlock(&lg->mu);
}

int wsp_log_enabled(const wsp_log *lg, wsp_log_level level)
{
    return lg && (int)level >= lg->level;
}

uint64_t wsp_log_dropped(const wsp_log *lg)
{
    return lg ? __atomic_load_n(&lg->dropped, __ATOMIC_RELAXED) : 0;
}

void wsp_log_set_format(wsp_log *lg, wsp_log_format format)
{
    if (lg)
        lg->format = (int)format;
}

void wsp_log_set_queue_cap(wsp_log *lg, size_t bytes)
{
    if (!lg)
        return;
    pthread_mutex_lock(&lg->mu);
    lg->cap = bytes;
    pthread_mutex_unlock(&lg->mu);
}

/* ---- formatting ---- */

/* Longest prefix of s[0..len) of at most max bytes that does not end inside
 * a UTF-8 sequence. Invalid input (a run of continuation bytes longer than
 * a character) is cut at max rather than backed off further. */
static size_t wsp_utf8_cut(const char *s, size_t len, size_t max)
{
    size_t n, back = 0;

    if (len <= max)
        return len;
    n = max;
    while (n > 0 && back < 3 && ((unsigned char)s[n] & 0xC0) == 0x80) {
        n--;
        back++;
    }
    if (((unsigned char)s[n] & 0xC0) == 0x80)
        return max;   /* not UTF-8 here anyway */
    return n;
}

/* Copy s[0..n) escaping what would break the one-line format: \n \r \t
 * and other control bytes as \xHH, and (fields=1) the space as \x20, so a
 * key or content chosen by a client cannot forge other fields: every
 * field of an event line is one run of non-space bytes, and a line ends
 * only at its real end. Backslashes are kept as they are so a JSON payload
 * in the log greps like the payload itself. Needs 4n bytes. */
static size_t wsp_log_escape(char *out, const char *s, size_t n, int fields)
{
    static const char hex[] = "0123456789abcdef";
    char *o = out;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n') {
            *o++ = '\\'; *o++ = 'n';
        } else if (c == '\r') {
            *o++ = '\\'; *o++ = 'r';
        } else if (c == '\t') {
            *o++ = '\\'; *o++ = 't';
        } else if (c < 0x20 || c == 0x7f || (c == ' ' && fields)) {
            *o++ = '\\'; *o++ = 'x';
            *o++ = hex[c >> 4]; *o++ = hex[c & 15];
        } else {
            *o++ = (char)c;
        }
    }
    return (size_t)(o - out);
}

/* Append a field: "-" for NULL, else the cut and escaped text. fields=1
 * for what clients choose (key, content): spaces escaped too. Event and
 * result are the server's own words and keep theirs ("result=peer closed"). */
static size_t wsp_log_field(char *out, const char *s, size_t len, size_t max, int fields)
{
    if (!s) {
        out[0] = '-';
        return 1;
    }
    return wsp_log_escape(out, s, wsp_utf8_cut(s, len, max), fields);
}

/* "YYYY-MM-DD HH:MM:SS.mmm" in local time (23 bytes). localtime_r takes a
 * process-wide lock in glibc, so each thread keeps the last second. */
static size_t wsp_log_time(char *out)
{
    static __thread time_t last_sec = (time_t)-1;
    static __thread char last[24];
    struct timespec ts;
    struct tm tm;

    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != last_sec) {
        localtime_r(&ts.tv_sec, &tm);
        strftime(last, sizeof(last), "%Y-%m-%d %H:%M:%S", &tm);
        last_sec = ts.tv_sec;
    }
    memcpy(out, last, 19);
    {
        unsigned ms = (unsigned)(ts.tv_nsec / 1000000) % 1000;
        out[19] = '.';
        out[20] = (char)('0' + ms / 100);
        out[21] = (char)('0' + ms / 10 % 10);
        out[22] = (char)('0' + ms % 10);
    }
    return 23;
}

/* Decimal of v at out (no NUL); returns its length. Cheaper than sprintf on
 * the line-per-push path. */
static size_t wsp_log_u64(char *out, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    for (size_t i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
    return n;
}

/* The line up to and including " content=": time, event, conn, key, seq,
 * result. Returns its length. */
static size_t wsp_log_head(char *buf, const char *event, uint64_t conn_id,
                           const char *key, size_t key_len, uint64_t seq_from,
                           uint64_t seq_to, const char *result)
{
    size_t n = wsp_log_time(buf);

    buf[n++] = ' ';
    n += wsp_log_field(buf + n, event, event ? strlen(event) : 0, WSP_LOG_WORD_MAX, 0);
    memcpy(buf + n, " conn=", 6);
    n += 6;
    if (conn_id)
        n += wsp_log_u64(buf + n, conn_id);
    else
        buf[n++] = '-';
    memcpy(buf + n, " key=", 5);
    n += 5;
    n += wsp_log_field(buf + n, key, key_len, WSP_LOG_KEY_MAX, 1);
    memcpy(buf + n, " seq=", 5);
    n += 5;
    if (seq_from == 0 && seq_to == 0) {
        buf[n++] = '-';
    } else {
        n += wsp_log_u64(buf + n, seq_from);
        if (seq_to > seq_from) {
            buf[n++] = '-';
            n += wsp_log_u64(buf + n, seq_to);
        }
    }
    memcpy(buf + n, " result=", 8);
    n += 8;
    n += wsp_log_field(buf + n, result, result ? strlen(result) : 0, WSP_LOG_WORD_MAX, 0);
    memcpy(buf + n, " content=", 9);
    n += 9;
    return n;
}

/* ---- JSON (log_format = json) ---- */

/* A JSON string of s[0..len) cut to max bytes, or null. Bytes that are not
 * UTF-8 are written as \u00HH so every line stays valid JSON. */
static size_t wsp_log_json_str(char *out, const char *s, size_t len, size_t max)
{
    static const char hex[] = "0123456789abcdef";
    char *o = out;
    size_t n;

    if (!s) {
        memcpy(out, "null", 4);
        return 4;
    }
    n = wsp_utf8_cut(s, len, max);
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        size_t sl;
        if (c == '"' || c == '\\') {
            *o++ = '\\'; *o++ = (char)c;
        } else if (c == '\n') {
            *o++ = '\\'; *o++ = 'n';
        } else if (c == '\r') {
            *o++ = '\\'; *o++ = 'r';
        } else if (c == '\t') {
            *o++ = '\\'; *o++ = 't';
        } else if (c < 0x20 || c == 0x7f) {
            memcpy(o, "\\u00", 4); o += 4;
            *o++ = hex[c >> 4]; *o++ = hex[c & 15];
        } else if (c < 0x80) {
            *o++ = (char)c;
        } else if ((sl = wsp_utf8_seq((const unsigned char *)s + i, n - i)) > 0) {
            memcpy(o, s + i, sl);
            o += sl;
            i += sl - 1;
        } else {
            memcpy(o, "\\u00", 4); o += 4;
            *o++ = hex[c >> 4]; *o++ = hex[c & 15];
        }
    }
    *o++ = '"';
    return (size_t)(o - out);
}

/* "YYYY-MM-DDTHH:MM:SS.mmm+hhmm" (ISO 8601, local time with its offset). */
static size_t wsp_log_time_iso(char *out)
{
    static __thread time_t last_sec = (time_t)-1;
    static __thread char last[40];
    static __thread size_t zlen;
    struct timespec ts;
    struct tm tm;
    unsigned ms;

    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != last_sec) {
        localtime_r(&ts.tv_sec, &tm);
        strftime(last, 20, "%Y-%m-%dT%H:%M:%S", &tm);
        zlen = strftime(last + 20, sizeof(last) - 20, "%z", &tm);
        last_sec = ts.tv_sec;
    }
    memcpy(out, last, 19);
    ms = (unsigned)(ts.tv_nsec / 1000000) % 1000;
    out[19] = '.';
    out[20] = (char)('0' + ms / 100);
    out[21] = (char)('0' + ms / 10 % 10);
    out[22] = (char)('0' + ms % 10);
    memcpy(out + 23, last + 20, zlen);
    return 23 + zlen;
}

#define LIT(lit) (memcpy(buf + n, lit, sizeof(lit) - 1), n += sizeof(lit) - 1)

static size_t wsp_log_json_line(char *buf, const char *event, uint64_t conn_id,
                                const char *key, size_t key_len, uint64_t seq_from,
                                uint64_t seq_to, const char *result,
                                const char *content, size_t content_len, size_t content_max)
{
    size_t n = 0;

    LIT("{\"time\":\"");
    n += wsp_log_time_iso(buf + n);
    LIT("\",\"event\":");
    n += wsp_log_json_str(buf + n, event, event ? strlen(event) : 0, WSP_LOG_WORD_MAX);
    LIT(",\"connId\":");
    if (conn_id) n += wsp_log_u64(buf + n, conn_id); else LIT("null");
    LIT(",\"key\":");
    n += wsp_log_json_str(buf + n, key, key_len, WSP_LOG_KEY_MAX);
    LIT(",\"seq\":");
    if (seq_from || seq_to) n += wsp_log_u64(buf + n, seq_from); else LIT("null");
    LIT(",\"seqTo\":");
    if (seq_from || seq_to) n += wsp_log_u64(buf + n, seq_to > seq_from ? seq_to : seq_from);
    else LIT("null");
    LIT(",\"result\":");
    n += wsp_log_json_str(buf + n, result, result ? strlen(result) : 0, WSP_LOG_WORD_MAX);
    LIT(",\"content\":");
    n += wsp_log_json_str(buf + n, content, content_len, content_max);
    LIT("}\n");
    return n;
}
#undef LIT

/* The one place a line's format is chosen: text (README "Logs") or JSON. buf holds
 * WSP_LOG_BUF_MAX bytes; the line ends in '\n'. */
static size_t wsp_log_format_line(const wsp_log *lg, char *buf, const char *event,
                                  uint64_t conn_id, const char *key, size_t key_len,
                                  uint64_t seq_from, uint64_t seq_to, const char *result,
                                  const char *content, size_t content_len, size_t content_max,
                                  int free_text)
{
    size_t n;

    if (lg->format == WSP_LOG_JSON)
        return wsp_log_json_line(buf, event, conn_id, key, key_len, seq_from, seq_to,
                                 result, content, content_len, content_max);
    n = wsp_log_head(buf, event, conn_id, key, key_len, seq_from, seq_to, result);
    /* A client's content has its spaces escaped (it cannot forge a field);
     * the server's own free text (wsp_log_msg) keeps them. */
    n += wsp_log_field(buf + n, content, content_len, content_max, !free_text);
    buf[n++] = '\n';
    return n;
}

void wsp_log_write(wsp_log *lg, const wsp_log_rec *r)
{
    char buf[WSP_LOG_BUF_MAX];
    size_t n;
    int both;

    if (!r || !wsp_log_enabled(lg, r->level))
        return;
    both = r->to_close_log && lg->close.path;
    if (!lg->main.path && !both)
        return;   /* only the close log is open and this is not a close */
    n = wsp_log_format_line(lg, buf, r->event, r->conn_id, r->key, r->key_len,
                            r->seq_from, r->seq_to, r->result, r->content,
                            r->content_len, WSP_LOG_CONTENT_MAX, 0);
    wsp_log_queue_text(lg, buf, n, both ? WSP_LOG_NODE_BOTH : WSP_LOG_NODE_MAIN);
}

void wsp_log_msg(wsp_log *lg, wsp_log_level level, const char *event,
                 const char *fmt, ...)
{
    char text[WSP_LOG_MSG_MAX + 1];
    char buf[WSP_LOG_BUF_MAX];
    va_list ap;
    int tl;
    size_t n;

    if (!wsp_log_enabled(lg, level) || !lg->main.path)
        return;
    va_start(ap, fmt);
    tl = vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (tl < 0)
        tl = 0;
    /* Same shape as an event line, so one parser reads the whole file.
     * vsnprintf may have cut inside a character; cut one byte shorter on a
     * boundary (text[WSP_LOG_MSG_MAX] is the NUL, readable). */
    n = wsp_log_format_line(lg, buf, event, 0, NULL, 0, 0, 0, NULL, text, strlen(text),
                            WSP_LOG_MSG_MAX - 1, 1);
    wsp_log_queue_text(lg, buf, n, WSP_LOG_NODE_MAIN);
}
