/*
 * loadgen.c - WsPush load generator (issue 10). One thread, epoll, no library.
 *
 * Speaks the seed protocol (docs/protocol.md) as many browsers plus a Yii backend:
 *   - WebSocket clients connect to the WS port, send their key (digits) as the first
 *     masked text frame, repeat it as a heartbeat every --hb seconds ("biubiubiu"
 *     replies are counted, not checked), and answer every Ping with a masked Pong
 *     carrying the same payload (the Pongs of one read are written together).
 *   - push connections write newline-delimited JSON lines to the push port and read
 *     one reply line each (ok / queued / fail), many lines in flight.
 *
 * Every pushed line is {"uid":"KEY","seq":N,"ts":T,"r":RUN} (no FunctionType, so the
 * server delivers it byte for byte); seq counts per key, ts is CLOCK_MONOTONIC ns at
 * write, RUN tells this run's messages from leftovers of earlier runs. Each key is
 * pushed through one push connection only, so its lines have a defined order.
 * Checks: lost (answered ok/queued, never received), duplicated, misrouted (received
 * on another key's connection), out of order (seq going back on one connection).
 *
 * Modes: hold, push, reconnect, churn (see usage()). Output: one "RESULT k=v ..." line
 * and a small human table. Exit status 0, 1 when lost/misrouted/bad (or out of order
 * in push and reconnect mode) are non-zero, 2 on usage or setup errors.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ options */

enum { M_HOLD, M_PUSH, M_RECONNECT, M_CHURN };
static const char *mode_names[] = {"hold", "push", "reconnect", "churn"};

static struct {
    int mode;
    const char *host;
    int ws_port, push_port;
    int nkeys;            /* N */
    int npush;            /* K push connections */
    int inflight;         /* W lines in flight per push connection */
    double rate;          /* pushes/s, 0 = as fast as replies allow */
    double duration;      /* measured window, s */
    double drain_timeout; /* wait for outstanding messages, s */
    double hb;            /* heartbeat period, s */
    int queued_per_key;   /* M (reconnect) */
    double connect_rate;  /* connections/s (reconnect storm; 0 = unlimited) */
    int max_pending;      /* connections in handshake at once */
    double churn_rate;    /* churn events/s */
    double rst_share;     /* share of churn closes done with RST */
    int prebind;          /* reconnect: bind then close before queueing */
    int pad;              /* extra payload bytes */
    int read_batch_us;    /* pause after a busy pass so reads carry several frames */
    int refill;           /* refill a push connection once this many slots are free (0 = min(W/8, 64)) */
    int conn_per_push;    /* every push on a new TCP connection, closed after its reply (fsockopen) */
    unsigned long long key_base;
    const char *label;
    int pids[16];
    int npids;
    int quiet;
} opt = {
    .mode = M_PUSH, .host = "127.0.0.1", .ws_port = 5001, .push_port = 5002,
    .nkeys = 1000, .npush = 4, .inflight = 1000, .rate = 0, .duration = 10,
    .drain_timeout = 10, .hb = 5, .queued_per_key = 10, .connect_rate = 0,
    .max_pending = 1000, .churn_rate = 100, .rst_share = 0.5, .prebind = 1,
    .pad = 0, .key_base = 0, .label = "server",
};

/* ------------------------------------------------------------------ utils */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "loadgen: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(2);
}

static void note(const char *fmt, ...)
{
    if (opt.quiet) return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "loadgen[%s %s]: ", opt.label, mode_names[opt.mode]);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p && n) die("out of memory");
    return p;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    return rng_state = x;
}

static char *u64toa(char *p, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (n) *p++ = tmp[--n];
    return p;
}

typedef struct { uint8_t *b; size_t len, cap; } buf_t;

static void buf_reserve(buf_t *b, size_t extra)
{
    if (b->len + extra <= b->cap) return;
    size_t nc = b->cap ? b->cap : 256;
    while (nc < b->len + extra) nc *= 2;
    b->b = xrealloc(b->b, nc);
    b->cap = nc;
}
static void buf_append(buf_t *b, const void *p, size_t n)
{
    buf_reserve(b, n);
    memcpy(b->b + b->len, p, n);
    b->len += n;
}
static void buf_consume(buf_t *b, size_t n)
{
    if (n >= b->len) { b->len = 0; return; }
    memmove(b->b, b->b + n, b->len - n);
    b->len -= n;
}
static void buf_free(buf_t *b) { free(b->b); b->b = NULL; b->len = b->cap = 0; }

/* growable bitmap */
typedef struct { uint64_t *w; uint32_t nwords; } bits_t;
static inline int bit_get(const bits_t *bm, uint32_t i)
{
    uint32_t w = i >> 6;
    return w < bm->nwords && (bm->w[w] >> (i & 63) & 1);
}
static inline void bit_set(bits_t *bm, uint32_t i)
{
    uint32_t w = i >> 6;
    if (w >= bm->nwords) {
        uint32_t n = bm->nwords ? bm->nwords : 2;
        while (n <= w) n *= 2;
        bm->w = xrealloc(bm->w, n * sizeof(uint64_t));
        memset(bm->w + bm->nwords, 0, (n - bm->nwords) * sizeof(uint64_t));
        bm->nwords = n;
    }
    bm->w[w] |= 1ull << (i & 63);
}

/* latency histogram: log-linear, 64 sub-buckets per power of two (< 1.6% error) */
#define H_SUB 64
#define H_BUCKETS (64 * H_SUB)
typedef struct { uint64_t c[H_BUCKETS]; uint64_t n, max; } hist_t;
static inline int h_index(uint64_t v)
{
    if (v < H_SUB) return (int)v;
    int e = 63 - __builtin_clzll(v);          /* >= 6 */
    int shift = e - 6;                         /* keep 6 bits below the top bit */
    return (int)((e - 5) * H_SUB + ((v >> shift) & (H_SUB - 1)));
}
static inline uint64_t h_value(int idx)
{
    if (idx < H_SUB) return (uint64_t)idx;
    int e = idx / H_SUB + 5, sub = idx % H_SUB;
    int shift = e - 6;
    return ((uint64_t)(H_SUB + sub) << shift) + ((1ull << shift) >> 1);
}
static void h_add(hist_t *h, uint64_t v)
{
    int i = h_index(v);
    if (i >= H_BUCKETS) i = H_BUCKETS - 1;
    h->c[i]++;
    h->n++;
    if (v > h->max) h->max = v;
}
static uint64_t h_pct(const hist_t *h, double p)
{
    if (!h->n) return 0;
    uint64_t want = (uint64_t)ceil(p / 100.0 * (double)h->n), acc = 0;
    if (want < 1) want = 1;
    for (int i = 0; i < H_BUCKETS; i++) {
        acc += h->c[i];
        if (acc >= want) { uint64_t v = h_value(i); return v > h->max ? h->max : v; }
    }
    return h->max;
}

/* ------------------------------------------------------------------ state */

enum { T_WS = 1, T_PUSH = 2 };
enum { C_CONNECTING, C_HANDSHAKE, C_OPEN, C_CLOSING };

typedef struct wsconn {
    int type;             /* T_WS */
    int fd;
    int state;
    int key;
    int we_closed;        /* a Close was sent: data frames are discarded */
    int we_initiated;     /* we started the close (churn, prebind) */
    int bound;            /* "biubiubiu" seen */
    int epout;            /* EPOLLOUT registered */
    uint32_t last_seq;
    int has_last;
    uint64_t t_start, close_deadline;
    buf_t in, out, frag;
    int frag_op;
} wsconn;

typedef struct pushconn {
    int type;             /* T_PUSH */
    int fd;
    int idx;
    int epout;
    buf_t in, out;
    uint32_t *rk, *rs;    /* FIFO of (key, seq) awaiting a reply */
    uint32_t head, count, cap;
    int *keys, nkeys, cursor;
} pushconn;

typedef struct key {
    char name[24];
    uint8_t nlen;
    uint32_t sent;        /* next seq */
    uint32_t acked_n, covered_n, recv_n;
    bits_t acked, recv;
    wsconn *conn;
    int want_conn;        /* in the connect queue */
    uint64_t t_bind, t_done;
    int done;
} key_t_;

static key_t_ *keys;
static pushconn *pcs;
static int ep;
static uint32_t run_id;
static uint64_t t_begin;

static struct {
    uint64_t sent, ok, queued, fail, badreply, noreply;
    uint64_t acked_total, covered_total;
    uint64_t delivered, delivered_first, dup, misrouted, ooo, bad, stale;
    uint64_t discarded_after_close, biu, pings, pongs, other_frames;
    uint64_t connects, connect_errors, disconnects, srv_closes;
    uint64_t churn_rst, churn_close, stalls;
    uint64_t win_delivered;  /* data frames received in the measured window */
    uint64_t reply_failed_but_delivered;
    uint64_t push_connects;  /* --conn-per-push: TCP connections opened */
} st;

static hist_t lat;
static int measuring;
static int open_conns, pending_conns, bound_conns, closing_count;
static int *cq; static int cq_head, cq_len, cq_cap;   /* connect queue (ring of keys) */
static uint64_t *cq_at;                               /* not before */
static int allow_reconnect = 1;
static int generating;                                /* pushes flowing */
static uint64_t gen_t0; static uint64_t gen_done;     /* rate pacing */
static int gcur;
static volatile sig_atomic_t interrupted;

static const char *WS_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/* ------------------------------------------------------------------ proc */

static long proc_rss_kb(void)
{
    long total = 0;
    for (int i = 0; i < opt.npids; i++) {
        char path[64], line[256];
        snprintf(path, sizeof path, "/proc/%d/status", opt.pids[i]);
        FILE *f = fopen(path, "r");
        if (!f) return -1;
        while (fgets(line, sizeof line, f))
            if (!strncmp(line, "VmRSS:", 6)) total += atol(line + 6);
        fclose(f);
    }
    return total;
}

/* utime+stime (all threads) in clock ticks, summed over --pid */
static long long proc_cpu_ticks(void)
{
    long long total = 0;
    for (int i = 0; i < opt.npids; i++) {
        char path[64], buf[2048];
        snprintf(path, sizeof path, "/proc/%d/stat", opt.pids[i]);
        FILE *f = fopen(path, "r");
        if (!f) return -1;
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = 0;
        char *p = strrchr(buf, ')');
        if (!p) return -1;
        unsigned long long ut = 0, stt = 0;
        /* after ")": state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15) */
        if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &stt) != 2) return -1;
        total += (long long)(ut + stt);
    }
    return total;
}

/* busy share of each cpu from /proc/stat (to see other load on a shared machine) */
#define MAXCPU 8
static int host_ncpu;
static unsigned long long host_busy[MAXCPU], host_total[MAXCPU];
static void host_cpu_sample(unsigned long long *busy, unsigned long long *total)
{
    FILE *f = fopen("/proc/stat", "r");
    char line[512];
    host_ncpu = 0;
    if (!f) return;
    while (fgets(line, sizeof line, f)) {
        int id;
        unsigned long long v[8] = {0};
        if (sscanf(line, "cpu%d %llu %llu %llu %llu %llu %llu %llu %llu", &id, &v[0], &v[1], &v[2], &v[3], &v[4],
                   &v[5], &v[6], &v[7]) == 9 && id >= 0 && id < MAXCPU) {
            unsigned long long t = 0;
            for (int i = 0; i < 8; i++) t += v[i];
            busy[id] = t - v[3] - v[4];
            total[id] = t;
            if (id + 1 > host_ncpu) host_ncpu = id + 1;
        }
    }
    fclose(f);
}

static double self_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* ------------------------------------------------------------------ epoll helpers */

static void ep_add(int fd, void *ptr, uint32_t ev)
{
    struct epoll_event e = {.events = ev, .data.ptr = ptr};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) < 0) die("epoll_ctl add: %s", strerror(errno));
}
static void ep_mod(int fd, void *ptr, uint32_t ev)
{
    struct epoll_event e = {.events = ev, .data.ptr = ptr};
    epoll_ctl(ep, EPOLL_CTL_MOD, fd, &e);
}

static struct sockaddr_in addr_for(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, opt.host, &a.sin_addr) != 1) die("bad host %s", opt.host);
    return a;
}

/* ------------------------------------------------------------------ WebSocket client */

static void cq_push(int k, uint64_t at)
{
    if (keys[k].want_conn) return;
    if (cq_len == cq_cap) {
        int nc = cq_cap ? cq_cap * 2 : 1024;
        int *n = xrealloc(NULL, nc * sizeof(int));
        uint64_t *na = xrealloc(NULL, nc * sizeof(uint64_t));
        for (int i = 0; i < cq_len; i++) {
            n[i] = cq[(cq_head + i) % cq_cap];
            na[i] = cq_at[(cq_head + i) % cq_cap];
        }
        free(cq); free(cq_at);
        cq = n; cq_at = na; cq_cap = nc; cq_head = 0;
    }
    cq[(cq_head + cq_len) % cq_cap] = k;
    cq_at[(cq_head + cq_len) % cq_cap] = at;
    cq_len++;
    keys[k].want_conn = 1;
}

static void ws_frame(buf_t *out, int op, const void *payload, size_t n)
{
    uint8_t h[14];
    size_t hl = 0;
    h[hl++] = (uint8_t)(0x80 | op);
    if (n < 126) h[hl++] = (uint8_t)(0x80 | n);
    else if (n < 65536) { h[hl++] = 0x80 | 126; h[hl++] = (uint8_t)(n >> 8); h[hl++] = (uint8_t)n; }
    else { h[hl++] = 0x80 | 127; for (int i = 7; i >= 0; i--) h[hl++] = (uint8_t)((uint64_t)n >> (8 * i)); }
    uint32_t m = (uint32_t)rnd();
    uint8_t mk[4] = {(uint8_t)m, (uint8_t)(m >> 8), (uint8_t)(m >> 16), (uint8_t)(m >> 24)};
    memcpy(h + hl, mk, 4);
    hl += 4;
    buf_reserve(out, hl + n);
    memcpy(out->b + out->len, h, hl);
    uint8_t *d = out->b + out->len + hl;
    const uint8_t *s = payload;
    for (size_t i = 0; i < n; i++) d[i] = s[i] ^ mk[i & 3];
    out->len += hl + n;
}

static void ws_destroy(wsconn *c, int rst);

static int ws_flush(wsconn *c)
{
    while (c->out.len) {
        ssize_t w = write(c->fd, c->out.b, c->out.len);
        if (w > 0) { buf_consume(&c->out, (size_t)w); continue; }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!c->epout) { c->epout = 1; ep_mod(c->fd, c, EPOLLIN | EPOLLOUT); }
            return 0;
        }
        return -1;
    }
    if (c->epout) { c->epout = 0; ep_mod(c->fd, c, EPOLLIN); }
    return 0;
}

static void ws_start(int k)
{
    wsconn *c = calloc(1, sizeof *c);
    if (!c) die("oom");
    c->type = T_WS;
    c->key = k;
    c->t_start = now_ns();
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        st.connect_errors++;
        free(c);
        cq_push(k, now_ns() + 100000000ull);
        return;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in a = addr_for(opt.ws_port);
    int r = connect(c->fd, (struct sockaddr *)&a, sizeof a);
    if (r < 0 && errno != EINPROGRESS) {
        st.connect_errors++;
        close(c->fd);
        free(c);
        cq_push(k, now_ns() + 100000000ull);
        return;
    }
    c->state = C_CONNECTING;
    keys[k].conn = c;
    pending_conns++;
    open_conns++;
    c->epout = 1;
    ep_add(c->fd, c, EPOLLOUT | EPOLLIN);
}

static void ws_send_key(wsconn *c)
{
    key_t_ *k = &keys[c->key];
    ws_frame(&c->out, 1, k->name, k->nlen);
}

/* end a connection; rst=1 aborts with RST (SO_LINGER 0) */
static void ws_destroy(wsconn *c, int rst)
{
    if (rst) {
        struct linger lg = {1, 0};
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    close(c->fd);  /* also removes it from epoll */
    if (c->state == C_CONNECTING || c->state == C_HANDSHAKE) pending_conns--;
    if (c->state == C_CLOSING) closing_count--;
    if (c->bound) bound_conns--;
    open_conns--;
    key_t_ *k = &keys[c->key];
    if (k->conn == c) k->conn = NULL;
    buf_free(&c->in); buf_free(&c->out); buf_free(&c->frag);
    c->fd = -1;
    c->type = 0;
    free(c);
}

/* connection ended (EOF, error, or after a close handshake); reconnect when allowed.
   expected=1: setup failures and closes we started are not counted as disconnects */
static void ws_lost(wsconn *c, int expected)
{
    int k = c->key, mine = c->we_initiated;
    if (!expected && !mine) st.disconnects++;
    ws_destroy(c, 0);
    if (allow_reconnect) cq_push(k, now_ns() + (mine ? 0 : 50000000ull));
}

/* our payload: {"uid":"KEY","seq":N,"ts":T,"r":RUN...} */
static int parse_field_u64(const uint8_t *p, size_t n, const char *name, uint64_t *out)
{
    size_t nl = strlen(name);
    const uint8_t *q = memmem(p, n, name, nl);
    if (!q) return -1;
    q += nl;
    const uint8_t *e = p + n;
    if (q >= e || *q < '0' || *q > '9') return -1;
    uint64_t v = 0;
    while (q < e && *q >= '0' && *q <= '9') v = v * 10 + (uint64_t)(*q++ - '0');
    *out = v;
    return 0;
}

static inline const uint8_t *scan_u64(const uint8_t *q, const uint8_t *e, uint64_t *out)
{
    if (q >= e || *q < '0' || *q > '9') return NULL;
    uint64_t v = 0;
    while (q < e && *q >= '0' && *q <= '9') v = v * 10 + (uint64_t)(*q++ - '0');
    *out = v;
    return q;
}

static void on_message(wsconn *c, const uint8_t *p, size_t n, uint64_t now)
{
    if (n == 9 && !memcmp(p, "biubiubiu", 9)) {
        st.biu++;
        if (!c->bound) {
            c->bound = 1;
            bound_conns++;
        }
        return;
    }
    if (c->we_closed) { st.discarded_after_close++; return; }
    const uint8_t *uid;
    size_t ulen;
    if (n > 9 && !memcmp(p, "{\"uid\":\"", 8)) {
        uid = p + 8;
        const uint8_t *q = memchr(uid, '"', n - 8);
        if (!q) { st.bad++; return; }
        ulen = (size_t)(q - uid);
    } else {
        const uint8_t *q = memmem(p, n, "\"uid\":\"", 7);
        if (!q) { st.other_frames++; return; }
        uid = q + 7;
        const uint8_t *e = memchr(uid, '"', (size_t)(p + n - uid));
        if (!e) { st.bad++; return; }
        ulen = (size_t)(e - uid);
    }
    uint64_t seq, ts, r;
    const uint8_t *q = uid + ulen, *e = p + n;
    /* fast path: the exact layout pc_line writes; anything else goes through memmem */
    if (e - q > 24 && !memcmp(q, "\",\"seq\":", 8) && (q = scan_u64(q + 8, e, &seq)) &&
        e - q > 6 && !memcmp(q, ",\"ts\":", 6) && (q = scan_u64(q + 6, e, &ts)) &&
        e - q > 5 && !memcmp(q, ",\"r\":", 5) && (q = scan_u64(q + 5, e, &r))) {
    } else if (parse_field_u64(p, n, "\"seq\":", &seq) || parse_field_u64(p, n, "\"ts\":", &ts) ||
               parse_field_u64(p, n, "\"r\":", &r)) {
        st.bad++;
        return;
    }
    if (r != run_id) { st.stale++; return; }
    key_t_ *k = &keys[c->key];
    if (ulen != k->nlen || memcmp(uid, k->name, ulen)) { st.misrouted++; return; }
    if (seq >= k->sent) { st.bad++; return; }
    st.delivered++;
    if (measuring) st.win_delivered++;
    if (c->has_last && (uint32_t)seq < c->last_seq) st.ooo++;
    c->last_seq = (uint32_t)seq;
    c->has_last = 1;
    if (bit_get(&k->recv, (uint32_t)seq)) { st.dup++; return; }
    bit_set(&k->recv, (uint32_t)seq);
    k->recv_n++;
    st.delivered_first++;
    if (now > ts) h_add(&lat, now - ts); else h_add(&lat, 0);
    if (bit_get(&k->acked, (uint32_t)seq)) {
        k->covered_n++;
        st.covered_total++;
        if (k->covered_n == k->acked_n && !k->done && k->t_bind) { k->done = 1; k->t_done = now; }
    }
}

/* parse frames from buf; returns bytes consumed, -1 on fatal (connection gone) */
static ssize_t ws_parse(wsconn *c, uint8_t *b, size_t n, uint64_t now)
{
    size_t pos = 0;
    while (n - pos >= 2) {
        uint8_t b0 = b[pos], b1 = b[pos + 1];
        int fin = b0 >> 7, op = b0 & 15, masked = b1 >> 7;
        uint64_t len = b1 & 127;
        size_t hl = 2;
        if (len == 126) {
            if (n - pos < 4) break;
            len = (uint64_t)b[pos + 2] << 8 | b[pos + 3];
            hl = 4;
        } else if (len == 127) {
            if (n - pos < 10) break;
            len = 0;
            for (int i = 0; i < 8; i++) len = len << 8 | b[pos + 2 + i];
            hl = 10;
        }
        uint8_t mk[4] = {0};
        if (masked) {
            if (n - pos < hl + 4) break;
            memcpy(mk, b + pos + hl, 4);
            hl += 4;
        }
        if (n - pos < hl + len) break;
        uint8_t *pl = b + pos + hl;
        if (masked) for (uint64_t i = 0; i < len; i++) pl[i] ^= mk[i & 3];
        pos += hl + len;
        switch (op) {
        case 0x9: /* ping -> pong, same payload (all pongs of this read go in one write) */
            st.pings++;
            if (!c->we_closed) { ws_frame(&c->out, 0xA, pl, len); st.pongs++; }
            break;
        case 0xA:
            break;
        case 0x8: /* server close: answer it, then the server closes TCP */
            if (!c->we_closed) {
                st.srv_closes++;
                ws_frame(&c->out, 0x8, pl, len >= 2 ? 2 : 0);
                c->we_closed = 1;
                c->state = C_CLOSING;
                closing_count++;
                c->close_deadline = now + 2000000000ull;
            }
            return (ssize_t)pos;
        case 0x1: case 0x2:
            if (fin) on_message(c, pl, len, now);
            else { c->frag.len = 0; buf_append(&c->frag, pl, len); c->frag_op = op; }
            break;
        case 0x0:
            buf_append(&c->frag, pl, len);
            if (fin) { on_message(c, c->frag.b, c->frag.len, now); c->frag.len = 0; }
            break;
        default:
            st.bad++;
            break;
        }
    }
    return (ssize_t)pos;
}

static uint8_t rbuf[1 << 18];

static void ws_on_event(wsconn *c, uint32_t ev, uint64_t now)
{
    if (c->state == C_CONNECTING) {
        if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
        int err = 0;
        socklen_t el = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
        if (err) { st.connect_errors++; ws_lost(c, 1); return; }
        c->state = C_HANDSHAKE;
        char req[256];
        int rl = snprintf(req, sizeof req,
                          "GET /bench HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                          opt.host, opt.ws_port);
        buf_append(&c->out, req, (size_t)rl);
        if (ws_flush(c) < 0) { st.connect_errors++; ws_lost(c, 1); return; }
        if (!c->epout) ep_mod(c->fd, c, EPOLLIN);
        return;
    }
    if (ev & EPOLLOUT) {
        if (ws_flush(c) < 0) { ws_lost(c, 0); return; }
    }
    if (!(ev & (EPOLLIN | EPOLLERR | EPOLLHUP))) return;
    size_t have = c->in.len;
    if (have > sizeof rbuf / 2) {   /* a huge frame in progress: grow in c->in */
        buf_reserve(&c->in, 65536);
        ssize_t r = read(c->fd, c->in.b + c->in.len, c->in.cap - c->in.len);
        if (r <= 0) { if (r < 0 && errno == EAGAIN) return; ws_lost(c, 0); return; }
        c->in.len += (size_t)r;
        ssize_t used = ws_parse(c, c->in.b, c->in.len, now);
        buf_consume(&c->in, (size_t)used);
    } else {
        if (have) memcpy(rbuf, c->in.b, have);
        ssize_t r = read(c->fd, rbuf + have, sizeof rbuf - have);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) { ws_lost(c, 0); return; }
        if (r < 0) return;
        size_t n = have + (size_t)r;
        size_t pos = 0;
        if (c->state == C_HANDSHAKE) {
            uint8_t *e = memmem(rbuf, n, "\r\n\r\n", 4);
            if (!e) {
                if (n > 8192) { st.connect_errors++; ws_lost(c, 1); return; }
                c->in.len = 0; buf_append(&c->in, rbuf, n);
                return;
            }
            size_t hlen = (size_t)(e - rbuf) + 4;
            if (n < 12 || memcmp(rbuf + 9, "101", 3) || !memmem(rbuf, hlen, WS_ACCEPT, strlen(WS_ACCEPT))) {
                st.connect_errors++;
                ws_lost(c, 1);
                return;
            }
            c->state = C_OPEN;
            pending_conns--;
            st.connects++;
            keys[c->key].t_bind = now;
            ws_send_key(c);
            pos = hlen;
        }
        ssize_t used = ws_parse(c, rbuf + pos, n - pos, now);
        pos += (size_t)used;
        c->in.len = 0;
        if (pos < n) buf_append(&c->in, rbuf + pos, n - pos);
    }
    if (c->out.len && ws_flush(c) < 0) { ws_lost(c, 0); return; }
}

/* ------------------------------------------------------------------ push connections */

static void pc_flush(pushconn *p)
{
    while (p->out.len) {
        ssize_t w = write(p->fd, p->out.b, p->out.len);
        if (w > 0) { buf_consume(&p->out, (size_t)w); continue; }
        if (w < 0 && errno == EINTR) continue;
        /* ENOTCONN: a --conn-per-push connect still in progress */
        if (w < 0 && (errno == EAGAIN || errno == ENOTCONN)) {
            if (!p->epout) { p->epout = 1; ep_mod(p->fd, p, EPOLLIN | EPOLLOUT); }
            return;
        }
        die("push connection %d: write: %s", p->idx, w < 0 ? strerror(errno) : "closed");
    }
    if (p->epout) { p->epout = 0; ep_mod(p->fd, p, EPOLLIN); }
}

static char padbuf[4096];

/* queue one line for key k on p */
static void pc_line(pushconn *p, int k, uint64_t ts)
{
    key_t_ *ky = &keys[k];
    uint32_t seq = ky->sent++;
    buf_reserve(&p->out, 128 + (size_t)opt.pad);
    char *s = (char *)p->out.b + p->out.len, *s0 = s;
    memcpy(s, "{\"uid\":\"", 8); s += 8;
    memcpy(s, ky->name, ky->nlen); s += ky->nlen;
    memcpy(s, "\",\"seq\":", 8); s += 8;
    s = u64toa(s, seq);
    memcpy(s, ",\"ts\":", 6); s += 6;
    s = u64toa(s, ts);
    memcpy(s, ",\"r\":", 5); s += 5;
    s = u64toa(s, run_id);
    if (opt.pad) {
        memcpy(s, ",\"pad\":\"", 8); s += 8;
        memcpy(s, padbuf, (size_t)opt.pad); s += opt.pad;
        *s++ = '"';
    }
    *s++ = '}';
    *s++ = '\n';
    p->out.len += (size_t)(s - s0);
    uint32_t slot = (p->head + p->count) % p->cap;
    p->rk[slot] = (uint32_t)k;
    p->rs[slot] = seq;
    p->count++;
    st.sent++;
}

static void on_reply(pushconn *p, const char *l, size_t n)
{
    if (!p->count) { st.badreply++; return; }
    uint32_t k = p->rk[p->head], seq = p->rs[p->head];
    p->head = (p->head + 1) % p->cap;
    p->count--;
    key_t_ *ky = &keys[k];
    int acked = 0;
    if (n == 2 && !memcmp(l, "ok", 2)) { st.ok++; acked = 1; }
    else if (n == 6 && !memcmp(l, "queued", 6)) { st.queued++; acked = 1; }
    else if (n == 4 && !memcmp(l, "fail", 4)) st.fail++;
    else st.badreply++;
    if (acked) {
        bit_set(&ky->acked, seq);
        ky->acked_n++;
        st.acked_total++;
        if (bit_get(&ky->recv, seq)) {
            ky->covered_n++;
            st.covered_total++;
        }
    } else if (bit_get(&ky->recv, seq)) {
        st.reply_failed_but_delivered++;
    }
}

/* fill a push connection up to its in-flight window (max mode) */
static void pc_fill(pushconn *p, uint64_t now)
{
    if (!p->nkeys) return;
    int room = opt.inflight - (int)p->count;
    if (opt.refill > 0) { if (room < opt.refill) return; }
    else if (room < opt.inflight / 8 && room < 64) return;   /* batch: refill in chunks */
    for (int i = 0; i < room; i++) {
        pc_line(p, p->keys[p->cursor], now);
        if (++p->cursor == p->nkeys) p->cursor = 0;
    }
}

/* --conn-per-push: the next line goes out on a new connection, as PHP code
 * that calls fsockopen() per request does; the old one is closed (FIN) once
 * its reply is in. Loopback connects complete at once or within the pass. */
static void pc_connect(pushconn *p)
{
    if (p->fd >= 0) close(p->fd);   /* close() also leaves the epoll set */
    p->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (p->fd < 0) die("push connection %d: socket: %s", p->idx, strerror(errno));
    int one = 1;
    setsockopt(p->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in a = addr_for(opt.push_port);
    if (connect(p->fd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS)
        die("connect push port %s:%d: %s", opt.host, opt.push_port, strerror(errno));
    p->in.len = 0;
    p->epout = 1;
    ep_add(p->fd, p, EPOLLIN | EPOLLOUT);
    st.push_connects++;
}

static void pc_on_event(pushconn *p, uint32_t ev, uint64_t now)
{
    if (ev & EPOLLOUT) pc_flush(p);
    if (!(ev & (EPOLLIN | EPOLLERR | EPOLLHUP))) return;
    ssize_t r = read(p->fd, rbuf, sizeof rbuf);
    if (r == 0) die("push connection %d closed by the server (%llu replies outstanding)", p->idx,
                    (unsigned long long)p->count);
    if (r < 0) {
        if (errno == EAGAIN || errno == EINTR) return;
        die("push connection %d: read: %s", p->idx, strerror(errno));
    }
    size_t pos = 0, n = (size_t)r;
    while (pos < n) {
        uint8_t *nl = memchr(rbuf + pos, '\n', n - pos);
        if (!nl) { buf_append(&p->in, rbuf + pos, n - pos); break; }
        size_t e = (size_t)(nl - rbuf);
        const char *l;
        size_t ln;
        if (p->in.len) {
            buf_append(&p->in, rbuf + pos, e - pos);
            l = (const char *)p->in.b; ln = p->in.len;
        } else { l = (const char *)rbuf + pos; ln = e - pos; }
        if (ln && l[ln - 1] == '\r') ln--;
        on_reply(p, l, ln);
        p->in.len = 0;
        pos = e + 1;
    }
    if (opt.conn_per_push && !p->count) pc_connect(p);
    if (generating && opt.rate <= 0) pc_fill(p, now);
    if (p->out.len && !p->epout) pc_flush(p);
}

static void pc_open_all(void)
{
    pcs = calloc((size_t)opt.npush, sizeof *pcs);
    for (int i = 0; i < opt.npush; i++) {
        pushconn *p = &pcs[i];
        p->type = T_PUSH;
        p->idx = i;
        p->cap = (uint32_t)opt.inflight + 1;
        p->rk = calloc(p->cap, sizeof(uint32_t));
        p->rs = calloc(p->cap, sizeof(uint32_t));
        p->keys = calloc((size_t)opt.nkeys / opt.npush + 2, sizeof(int));
        for (int k = i; k < opt.nkeys; k += opt.npush) p->keys[p->nkeys++] = k;
        if (opt.conn_per_push) { p->fd = -1; pc_connect(p); continue; }
        p->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = addr_for(opt.push_port);
        if (connect(p->fd, (struct sockaddr *)&a, sizeof a) < 0)
            die("connect push port %s:%d: %s", opt.host, opt.push_port, strerror(errno));
        int one = 1;
        setsockopt(p->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        fcntl(p->fd, F_SETFL, O_NONBLOCK);
        ep_add(p->fd, p, EPOLLIN);
    }
}

static uint64_t pcs_outstanding(void)
{
    uint64_t n = 0;
    for (int i = 0; i < opt.npush; i++) n += pcs[i].count;
    return n;
}

/* ------------------------------------------------------------------ the loop */

static uint64_t hb_last; static double hb_carry; static int hb_cursor;
static uint64_t churn_last; static double churn_carry;
static uint64_t conn_t0; static uint64_t conn_started;

static void tick(uint64_t now)
{
    /* connect queue: pending-handshake cap and optional rate */
    while (cq_len && pending_conns < opt.max_pending) {
        int k = cq[cq_head];
        if (cq_at[cq_head] > now) break;
        if (opt.connect_rate > 0 && conn_t0) {
            double allowed = opt.connect_rate * (double)(now - conn_t0) / 1e9;
            if ((double)conn_started >= allowed) break;
        }
        cq_head = (cq_head + 1) % cq_cap;
        cq_len--;
        keys[k].want_conn = 0;
        if (keys[k].conn) continue;
        conn_started++;
        ws_start(k);
    }
    /* heartbeats: every open connection once per opt.hb seconds, spread out */
    if (opt.hb > 0) {
        if (!hb_last) hb_last = now;
        hb_carry += (double)opt.nkeys * (double)(now - hb_last) / 1e9 / opt.hb;
        hb_last = now;
        while (hb_carry >= 1) {
            hb_carry -= 1;
            wsconn *c = keys[hb_cursor].conn;
            if (++hb_cursor == opt.nkeys) hb_cursor = 0;
            if (c && c->state == C_OPEN && !c->we_closed) {
                ws_send_key(c);
                if (!c->epout && ws_flush(c) < 0) ws_lost(c, 0);
            }
        }
    }
    /* fixed-rate pushes */
    if (generating && opt.rate > 0) {
        uint64_t due = (uint64_t)(opt.rate * (double)(now - gen_t0) / 1e9);
        int stalled = 0;
        while (gen_done < due) {
            int k = gcur;
            pushconn *p = &pcs[k % opt.npush];
            if ((int)p->count >= opt.inflight) { stalled = 1; break; }
            pc_line(p, k, now);
            if (++gcur == opt.nkeys) gcur = 0;
            gen_done++;
        }
        if (stalled) st.stalls++;
        for (int i = 0; i < opt.npush; i++)
            if (pcs[i].out.len && !pcs[i].epout) pc_flush(&pcs[i]);
    } else if (generating) {
        for (int i = 0; i < opt.npush; i++) {
            pc_fill(&pcs[i], now);
            if (pcs[i].out.len && !pcs[i].epout) pc_flush(&pcs[i]);
        }
    }
}

static void churn_tick(uint64_t now)
{
    if (!churn_last) churn_last = now;
    churn_carry += opt.churn_rate * (double)(now - churn_last) / 1e9;
    churn_last = now;
    int tries = 0;
    while (churn_carry >= 1 && tries < 64) {
        int k = (int)(rnd() % (uint64_t)opt.nkeys);
        wsconn *c = keys[k].conn;
        tries++;
        if (!c || c->state != C_OPEN || c->we_closed || !c->bound) continue;
        churn_carry -= 1;
        if ((double)(rnd() % 10000) < opt.rst_share * 10000) {
            st.churn_rst++;
            ws_destroy(c, 1);
            cq_push(k, now);
        } else {
            st.churn_close++;
            uint8_t code[2] = {0x03, 0xE8};   /* 1000 */
            ws_frame(&c->out, 0x8, code, 2);
            c->we_closed = 1;
            c->we_initiated = 1;
            c->state = C_CLOSING;
            c->close_deadline = now + 2000000000ull;
            closing_count++;
            if (!c->epout && ws_flush(c) < 0) ws_lost(c, 1);
        }
    }
    if (churn_carry > 64) churn_carry = 64;
}

/* abort connections stuck in closing (walks keys; called rarely) */
static void reap_closing(uint64_t now)
{
    for (int i = 0; i < opt.nkeys; i++) {
        wsconn *c = keys[i].conn;
        if (c && c->state == C_CLOSING && now > c->close_deadline) {
            ws_destroy(c, 1);
            if (allow_reconnect) cq_push(i, now);
        }
    }
}

static void run_loop_until(int (*cond)(uint64_t), uint64_t deadline, int tick_ms)
{
    struct epoll_event evs[1024];
    uint64_t last_reap = 0;
    for (;;) {
        uint64_t now = now_ns();
        if (cond && cond(now)) return;
        if (deadline && now >= deadline) return;
        if (interrupted) return;
        int n = epoll_wait(ep, evs, 1024, tick_ms);
        now = now_ns();
        for (int i = 0; i < n; i++) {
            int *type = evs[i].data.ptr;
            if (*type == T_WS) ws_on_event((wsconn *)type, evs[i].events, now);
            else if (*type == T_PUSH) pc_on_event((pushconn *)type, evs[i].events, now);
        }
        /* a destroyed wsconn can still appear later in this batch: guarded by type=0 only
           while not freed; we free immediately, so process each fd once per batch only
           (epoll never reports a closed fd again after close()) */
        tick(now);
        /* A server that sends one frame per message makes the generator pay
         * one wakeup and one read per message; pausing after a busy pass
         * lets each read carry several frames, so the generator is not what
         * limits a fast server (latency runs leave this off). */
        if (opt.read_batch_us > 0 && n >= 64) {
            struct timespec ts = { 0, (long)opt.read_batch_us * 1000 };
            nanosleep(&ts, NULL);
        }
        if (opt.mode == M_CHURN && generating) churn_tick(now);
        if (now - last_reap > 500000000ull) { last_reap = now; reap_closing(now); }
    }
}

/* conditions */
static int c_all_bound(uint64_t now)
{
    (void)now;
    return bound_conns == opt.nkeys && !cq_len && !closing_count && !pending_conns;
}
static int c_all_closed(uint64_t now) { (void)now; return open_conns == 0; }
static int c_replies_in(uint64_t now) { (void)now; return pcs_outstanding() == 0; }
static int c_drained(uint64_t now)
{
    (void)now;
    return pcs_outstanding() == 0 && st.covered_total == st.acked_total;
}
static int c_churn_drained(uint64_t now)
{
    return c_drained(now) && c_all_bound(now);
}

/* ------------------------------------------------------------------ modes & report */

static void connect_all(const char *why)
{
    uint64_t t0 = now_ns();
    for (int k = 0; k < opt.nkeys; k++) cq_push(k, 0);
    double to = 30 + opt.nkeys / 500.0;
    run_loop_until(c_all_bound, t0 + (uint64_t)(to * 1e9), 5);
    if (bound_conns != opt.nkeys)
        die("%s: only %d of %d connections bound after %.0f s (connect errors %llu, disconnects %llu)",
            why, bound_conns, opt.nkeys, to, (unsigned long long)st.connect_errors,
            (unsigned long long)st.disconnects);
    note("%d connections bound in %.2f s", opt.nkeys, (now_ns() - t0) / 1e9);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void usage(void)
{
    fprintf(stderr,
"usage: loadgen MODE [options]\n"
"  MODE: hold | push | reconnect | churn\n"
"  --ws PORT --push-port PORT [--host 127.0.0.1]\n"
"  --keys N            connections / keys (1000)\n"
"  --pid P[,P...]      server pid(s): RSS (VmRSS) and CPU (utime+stime, all threads)\n"
"  --duration S        measured window (10)         --drain-timeout S (10)\n"
"  --push-conns K (4)  --inflight W lines per push connection (1000)\n"
"  --rate R            pushes/s (0 = as fast as replies allow)\n"
"  --hb S              heartbeat period (5)         --pad B extra payload bytes (0)\n"
"  --queued M          reconnect: queued messages per key (10)\n"
"  --connect-rate R    connections/s (reconnect: 5000 by default; else unlimited)\n"
"  --max-pending P     handshakes in flight (1000)  --no-prebind (reconnect)\n"
"  --churn-rate R      churn: closes/s (100)        --rst-share F (0.5)\n"
"  --key-base B        keys are B+0..B+N-1 (default: random per run)\n"
"  --read-batch-us U   after a pass with >= 64 events, pause U us so each read\n"
"                      carries several frames (max-rate runs; 0 = off)\n"
"  --refill N          refill a push connection once N lines are answered\n"
"                      (default min(W/8, 64); 1 = one line per reply)\n"
"  --conn-per-push     each line on a new TCP connection, closed after its reply\n"
"                      (fsockopen per request; W is 1)\n"
"  --label NAME        server name for the report   --quiet\n");
    exit(2);
}

static void on_sigint(int s) { (void)s; interrupted = 1; }

int main(int argc, char **argv)
{
    if (argc < 2) usage();
    int mi = -1;
    for (int i = 0; i < 4; i++) if (!strcmp(argv[1], mode_names[i])) mi = i;
    if (mi < 0) usage();
    opt.mode = mi;
    int connect_rate_set = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define ARG(name) (!strcmp(a, name) && v && ++i)
        if (ARG("--ws")) opt.ws_port = atoi(v);
        else if (ARG("--push-port")) opt.push_port = atoi(v);
        else if (ARG("--host")) opt.host = v;
        else if (ARG("--keys")) opt.nkeys = atoi(v);
        else if (ARG("--push-conns")) opt.npush = atoi(v);
        else if (ARG("--inflight")) opt.inflight = atoi(v);
        else if (ARG("--rate")) opt.rate = atof(v);
        else if (ARG("--duration")) opt.duration = atof(v);
        else if (ARG("--drain-timeout")) opt.drain_timeout = atof(v);
        else if (ARG("--hb")) opt.hb = atof(v);
        else if (ARG("--queued")) opt.queued_per_key = atoi(v);
        else if (ARG("--connect-rate")) { opt.connect_rate = atof(v); connect_rate_set = 1; }
        else if (ARG("--max-pending")) opt.max_pending = atoi(v);
        else if (ARG("--churn-rate")) opt.churn_rate = atof(v);
        else if (ARG("--rst-share")) opt.rst_share = atof(v);
        else if (ARG("--pad")) opt.pad = atoi(v);
        else if (ARG("--read-batch-us")) opt.read_batch_us = atoi(v);
        else if (ARG("--refill")) opt.refill = atoi(v);
        else if (ARG("--key-base")) opt.key_base = strtoull(v, NULL, 10);
        else if (ARG("--label")) opt.label = v;
        else if (ARG("--pid")) {
            char *s = strdup(v), *save = NULL;
            for (char *t = strtok_r(s, ",", &save); t && opt.npids < 16; t = strtok_r(NULL, ",", &save))
                opt.pids[opt.npids++] = atoi(t);
            free(s);
        }
        else if (!strcmp(a, "--no-prebind")) opt.prebind = 0;
        else if (!strcmp(a, "--quiet")) opt.quiet = 1;
        else if (!strcmp(a, "--conn-per-push")) opt.conn_per_push = 1;
        else { fprintf(stderr, "loadgen: unknown or incomplete option %s\n", a); usage(); }
#undef ARG
    }
    if (opt.nkeys < 1 || opt.npush < 1 || opt.inflight < 1) usage();
    if (opt.npush > opt.nkeys) opt.npush = opt.nkeys;
    if (opt.pad < 0 || opt.pad > (int)sizeof padbuf) usage();
    memset(padbuf, 'x', sizeof padbuf);
    if (opt.mode == M_RECONNECT && !connect_rate_set) opt.connect_rate = 5000;
    if (opt.conn_per_push) opt.inflight = 1;

    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_sigint);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;   /* soft up to the hard limit (never above it) */
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    getrlimit(RLIMIT_NOFILE, &rl);
    if ((rlim_t)(opt.nkeys + opt.npush + 16) > rl.rlim_cur)
        die("%d keys need more descriptors than the limit %llu", opt.nkeys, (unsigned long long)rl.rlim_cur);

    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    rng_state ^= (uint64_t)rt.tv_nsec * 0x2545F4914F6CDD1Dull ^ (uint64_t)getpid() << 32;
    for (int i = 0; i < 8; i++) rnd();
    run_id = (uint32_t)(rnd() % 1000000000u);
    if (!opt.key_base) opt.key_base = (1 + rnd() % 899) * 1000000ull;   /* digits only */
    keys = calloc((size_t)opt.nkeys, sizeof *keys);
    for (int i = 0; i < opt.nkeys; i++) {
        char *e = u64toa(keys[i].name, opt.key_base + (uint64_t)i);
        keys[i].nlen = (uint8_t)(e - keys[i].name);
    }
    ep = epoll_create1(EPOLL_CLOEXEC);
    t_begin = now_ns();

    long rss_before = -1, rss_after = -1;
    long long srv0 = -1, srv1 = -1;
    double gen0 = 0, gen1 = 0;
    uint64_t w0 = 0, w1 = 0;
    uint64_t last_bind = 0, drain_end = 0;
    int drained = 1;
    long hz = sysconf(_SC_CLK_TCK);
    unsigned long long hb1[MAXCPU] = {0}, ht1[MAXCPU] = {0};

    if (opt.npids) { rss_before = proc_rss_kb(); if (rss_before < 0) die("cannot read /proc/%d/status", opt.pids[0]); }

    switch (opt.mode) {
    case M_HOLD: {
        srv0 = proc_cpu_ticks(); gen0 = self_cpu_s(); host_cpu_sample(host_busy, host_total); w0 = now_ns();
        connect_all("hold");
        uint64_t t = now_ns();
        run_loop_until(NULL, t + (uint64_t)(opt.duration * 1e9), 50);
        rss_after = opt.npids ? proc_rss_kb() : -1;
        w1 = now_ns(); srv1 = proc_cpu_ticks(); gen1 = self_cpu_s(); host_cpu_sample(hb1, ht1);
        break;
    }
    case M_PUSH: case M_CHURN: {
        connect_all(mode_names[opt.mode]);
        pc_open_all();
        if (opt.npids) rss_after = proc_rss_kb();
        measuring = 1;
        generating = 1;
        gen_t0 = now_ns();
        srv0 = proc_cpu_ticks(); gen0 = self_cpu_s(); host_cpu_sample(host_busy, host_total); w0 = gen_t0;
        run_loop_until(NULL, w0 + (uint64_t)(opt.duration * 1e9), 1);
        w1 = now_ns(); srv1 = proc_cpu_ticks(); gen1 = self_cpu_s(); host_cpu_sample(hb1, ht1);
        measuring = 0;
        generating = 0;
        uint64_t t = now_ns();
        if (opt.mode == M_CHURN) {
            /* finish closes in progress, let every key reconnect, then wait for every
               acknowledged message */
            run_loop_until(c_churn_drained, t + (uint64_t)(opt.drain_timeout * 1e9), 5);
            drained = c_churn_drained(now_ns());
        } else {
            run_loop_until(c_drained, t + (uint64_t)(opt.drain_timeout * 1e9), 5);
            drained = c_drained(now_ns());
        }
        drain_end = now_ns();
        if (!drained) note("drain timeout after %.1f s", (drain_end - t) / 1e9);
        break;
    }
    case M_RECONNECT: {
        uint64_t t;
        if (opt.prebind) {
            double cr = opt.connect_rate;
            opt.connect_rate = 0;
            connect_all("reconnect prebind");
            opt.connect_rate = cr;
            allow_reconnect = 0;
            uint8_t code[2] = {0x03, 0xE8};
            for (int k = 0; k < opt.nkeys; k++) {
                wsconn *c = keys[k].conn;
                if (!c) continue;
                ws_frame(&c->out, 0x8, code, 2);
                c->we_closed = 1;
                c->we_initiated = 1;
                c->state = C_CLOSING;
                closing_count++;
                c->close_deadline = now_ns() + 3000000000ull;
                if (!c->epout && ws_flush(c) < 0) ws_destroy(c, 1);
            }
            t = now_ns();
            run_loop_until(c_all_closed, t + 5000000000ull, 5);
            for (int k = 0; k < opt.nkeys; k++) if (keys[k].conn) ws_destroy(keys[k].conn, 1);
            note("prebind: %d keys bound and closed", opt.nkeys);
        }
        allow_reconnect = 1;
        pc_open_all();
        /* queue M per key: pipelined, window W per push connection */
        uint64_t want = (uint64_t)opt.nkeys * (uint64_t)opt.queued_per_key;
        t = now_ns();
        while (st.sent < want && !interrupted) {
            for (int i = 0; i < opt.npush; i++) {
                pushconn *p = &pcs[i];
                while ((int)p->count < opt.inflight && p->nkeys) {
                    int k = p->keys[p->cursor];
                    if (keys[k].sent >= (uint32_t)opt.queued_per_key) {
                        if (++p->cursor == p->nkeys) p->cursor = 0;
                        /* all of this connection's keys done? */
                        int left = 0;
                        for (int j = 0; j < p->nkeys; j++)
                            if (keys[p->keys[j]].sent < (uint32_t)opt.queued_per_key) { left = 1; break; }
                        if (!left) break;
                        continue;
                    }
                    pc_line(p, k, now_ns());
                    if (++p->cursor == p->nkeys) p->cursor = 0;
                }
                if (p->out.len && !p->epout) pc_flush(p);
            }
            run_loop_until(NULL, now_ns() + 2000000ull, 1);
        }
        run_loop_until(c_replies_in, now_ns() + 60000000000ull, 5);
        note("queued %llu messages (%llu queued, %llu ok, %llu fail) in %.2f s",
             (unsigned long long)st.sent, (unsigned long long)st.queued, (unsigned long long)st.ok,
             (unsigned long long)st.fail, (now_ns() - t) / 1e9);
        if (opt.npids) rss_after = proc_rss_kb();
        for (int k = 0; k < opt.nkeys; k++) { keys[k].t_bind = 0; keys[k].done = 0; }
        /* the storm */
        measuring = 1;
        srv0 = proc_cpu_ticks(); gen0 = self_cpu_s(); host_cpu_sample(host_busy, host_total); w0 = now_ns();
        conn_t0 = w0; conn_started = 0;
        for (int k = 0; k < opt.nkeys; k++) cq_push(k, 0);
        double to = opt.nkeys / (opt.connect_rate > 0 ? opt.connect_rate : 5000.0) + opt.drain_timeout;
        run_loop_until(c_churn_drained, w0 + (uint64_t)(to * 1e9), 1);
        drained = c_churn_drained(now_ns());
        w1 = now_ns(); srv1 = proc_cpu_ticks(); gen1 = self_cpu_s(); host_cpu_sample(hb1, ht1);
        drain_end = w1;
        measuring = 0;
        break;
    }
    }

    /* ---------------- results */
    uint64_t lost = 0, unanswered = pcs ? pcs_outstanding() : 0;
    for (int k = 0; k < opt.nkeys; k++) {
        key_t_ *ky = &keys[k];
        lost += ky->acked_n - ky->covered_n;
    }
    double win = (w1 - w0) / 1e9;
    double gen_cpu = gen1 - gen0;
    uint64_t msgs = opt.mode == M_HOLD ? 0 : st.win_delivered;
    double rate = win > 0 ? msgs / win : 0;
    double gen_share = win > 0 ? gen_cpu / win : 0;
    int gen_bound = gen_share > 0.90;
    double srv_cpu_s = (srv0 >= 0 && srv1 >= 0) ? (double)(srv1 - srv0) / (double)hz : -1;
    char srv_us[32] = "na", srv_pct[32] = "na", gen_us[32] = "na";
    if (srv_cpu_s >= 0) {
        snprintf(srv_pct, sizeof srv_pct, "%.1f", 100 * srv_cpu_s / win);
        if (msgs) snprintf(srv_us, sizeof srv_us, "%.2f", srv_cpu_s * 1e6 / msgs);
    }
    if (msgs) snprintf(gen_us, sizeof gen_us, "%.2f", gen_cpu * 1e6 / msgs);
    char rss_per[32] = "na";
    if (rss_before >= 0 && rss_after >= 0 && opt.mode != M_RECONNECT)   /* reconnect: RSS holds queues */
        snprintf(rss_per, sizeof rss_per, "%.0f", (double)(rss_after - rss_before) * 1024.0 / opt.nkeys);

    /* reconnect: bind -> last queued message per key */
    char rc_fields[256] = "";
    uint64_t rc_p50 = 0, rc_p99 = 0, rc_max = 0, rc_drain = 0;
    int rc_done = 0;
    if (opt.mode == M_RECONNECT) {
        uint64_t *d = calloc((size_t)opt.nkeys, sizeof *d);
        for (int k = 0; k < opt.nkeys; k++) {
            key_t_ *ky = &keys[k];
            if (ky->t_bind > last_bind) last_bind = ky->t_bind;
            if (ky->done) {
                d[rc_done++] = ky->t_done - ky->t_bind;
                if (ky->t_done > drain_end || !drained) {}
            }
        }
        uint64_t last_done = 0;
        for (int k = 0; k < opt.nkeys; k++) if (keys[k].done && keys[k].t_done > last_done) last_done = keys[k].t_done;
        qsort(d, (size_t)rc_done, sizeof *d, cmp_u64);
        if (rc_done) {
            rc_p50 = d[(size_t)((rc_done - 1) * 0.50)];
            rc_p99 = d[(size_t)ceil((rc_done - 1) * 0.99)];
            rc_max = d[rc_done - 1];
        }
        rc_drain = last_done > last_bind ? last_done - last_bind : 0;
        snprintf(rc_fields, sizeof rc_fields,
                 " queued_per_key=%d connect_rate=%.0f keys_drained=%d bind_to_last_p50_ms=%.2f"
                 " bind_to_last_p99_ms=%.2f bind_to_last_max_ms=%.2f drain_after_last_bind_ms=%.2f"
                 " bind_span_ms=%.1f",
                 opt.queued_per_key, opt.connect_rate, rc_done, rc_p50 / 1e6, rc_p99 / 1e6, rc_max / 1e6,
                 rc_drain / 1e6, last_bind > w0 ? (last_bind - w0) / 1e6 : 0.0);
        free(d);
    }
    char host_s[128] = "";
    for (int i = 0, o = 0; i < host_ncpu && o < 100; i++) {
        unsigned long long dt = ht1[i] - host_total[i];
        o += snprintf(host_s + o, sizeof host_s - (size_t)o, " cpu%d_busy_pct=%.0f", i,
                      dt ? 100.0 * (double)(hb1[i] - host_busy[i]) / (double)dt : 0.0);
    }
    char rate_s[32];
    if (opt.rate > 0) snprintf(rate_s, sizeof rate_s, "%.0f", opt.rate); else strcpy(rate_s, "max");

    printf("RESULT mode=%s label=%s keys=%d push_conns=%d inflight=%d rate=%s window_s=%.2f"
           " sent=%llu ok=%llu queued=%llu fail=%llu unanswered=%llu delivered=%llu msgs_per_s=%.0f"
           " p50_us=%.0f p90_us=%.0f p99_us=%.0f max_us=%.0f"
           " lost=%llu dup=%llu misrouted=%llu ooo=%llu bad=%llu stale=%llu"
           " disconnects=%llu connect_errors=%llu srv_closes=%llu pings=%llu pongs=%llu biu=%llu"
           " churn_rst=%llu churn_close=%llu discarded_after_close=%llu stalls=%llu push_connects=%llu"
           " drained=%d gen_cpu_pct=%.1f gen_us_per_msg=%s gen_bound=%d"
           " srv_cpu_pct=%s srv_cpu_us_per_msg=%s rss_before_kb=%ld rss_after_kb=%ld rss_per_conn_b=%s%s%s\n",
           mode_names[opt.mode], opt.label, opt.nkeys, opt.mode == M_HOLD ? 0 : opt.npush, opt.inflight, rate_s, win,
           (unsigned long long)st.sent, (unsigned long long)st.ok, (unsigned long long)st.queued,
           (unsigned long long)st.fail, (unsigned long long)unanswered, (unsigned long long)st.delivered_first,
           rate, h_pct(&lat, 50) / 1e3, h_pct(&lat, 90) / 1e3, h_pct(&lat, 99) / 1e3, lat.max / 1e3,
           (unsigned long long)lost, (unsigned long long)st.dup, (unsigned long long)st.misrouted,
           (unsigned long long)st.ooo, (unsigned long long)st.bad, (unsigned long long)st.stale,
           (unsigned long long)st.disconnects, (unsigned long long)st.connect_errors,
           (unsigned long long)st.srv_closes, (unsigned long long)st.pings, (unsigned long long)st.pongs,
           (unsigned long long)st.biu, (unsigned long long)st.churn_rst, (unsigned long long)st.churn_close,
           (unsigned long long)st.discarded_after_close, (unsigned long long)st.stalls,
           (unsigned long long)st.push_connects, drained,
           100 * gen_share, gen_us, gen_bound, srv_pct, srv_us, rss_before, rss_after, rss_per, rc_fields, host_s);

    if (!opt.quiet) {
        fprintf(stderr, "\n  %-10s %-9s  %s\n", opt.label, mode_names[opt.mode], gen_bound ? "GENERATOR-BOUND (>90% of a core): figures are a lower bound" : "");
        if (opt.mode != M_HOLD) {
            fprintf(stderr, "  delivered      %12llu in %.2f s window = %.0f msgs/s\n",
                    (unsigned long long)msgs, win, rate);
            fprintf(stderr, "  replies        ok %llu  queued %llu  fail %llu  unanswered %llu\n",
                    (unsigned long long)st.ok, (unsigned long long)st.queued, (unsigned long long)st.fail,
                    (unsigned long long)unanswered);
            fprintf(stderr, "  latency (us)   p50 %.0f  p90 %.0f  p99 %.0f  max %.0f\n",
                    h_pct(&lat, 50) / 1e3, h_pct(&lat, 90) / 1e3, h_pct(&lat, 99) / 1e3, lat.max / 1e3);
            fprintf(stderr, "  checks         lost %llu  dup %llu  misrouted %llu  out-of-order %llu  bad %llu\n",
                    (unsigned long long)lost, (unsigned long long)st.dup, (unsigned long long)st.misrouted,
                    (unsigned long long)st.ooo, (unsigned long long)st.bad);
        }
        if (opt.mode == M_RECONNECT)
            fprintf(stderr, "  reconnect      %d/%d keys drained; bind->last p50 %.2f ms p99 %.2f ms max %.2f ms;"
                            " drained %.2f ms after the last bind\n",
                    rc_done, opt.nkeys, rc_p50 / 1e6, rc_p99 / 1e6, rc_max / 1e6, rc_drain / 1e6);
        if (opt.mode == M_CHURN)
            fprintf(stderr, "  churn          %llu RST + %llu normal closes; dup %llu (allowed)\n",
                    (unsigned long long)st.churn_rst, (unsigned long long)st.churn_close,
                    (unsigned long long)st.dup);
        fprintf(stderr, "  connections    disconnects %llu  connect errors %llu  server closes %llu  pings %llu\n",
                (unsigned long long)st.disconnects, (unsigned long long)st.connect_errors,
                (unsigned long long)st.srv_closes, (unsigned long long)st.pings);
        fprintf(stderr, "  generator      %.1f%% of a core, %s us/msg\n", 100 * gen_share, gen_us);
        fprintf(stderr, "  server         %s%% of a core, %s us/msg, RSS %ld -> %ld KB (%s B/conn)\n",
                srv_pct, srv_us, rss_before, rss_after, rss_per);
        fprintf(stderr, "  host           %s (whole cpus, all processes, softirq included)\n\n", host_s);
    }
    int failed = lost || st.misrouted || st.bad || !drained ||
                 ((opt.mode == M_PUSH || opt.mode == M_RECONNECT) && st.ooo) ||
                 (opt.mode == M_HOLD && st.disconnects);
    return failed ? 1 : 0;
}
