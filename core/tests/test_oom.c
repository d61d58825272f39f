/*
 * test_oom.c - out of memory on the loop thread, over real sockets: the
 * server runs its own loop thread, and failalloc.h makes chosen
 * allocations of that thread fail (the core's own malloc/calloc/realloc
 * and libevent's). What must hold whatever fails (issue 13, defects 3 and
 * 7): every push line read gets exactly one reply, in order; a connection
 * that cannot be written is closed without taking others down with it; a
 * message or key still in use is never freed; the server goes on once
 * memory is back. Run plain, under ASan and under valgrind (a freed
 * message or event read afterwards shows there).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "failalloc.h"
#include "wsclient.h"
#include "server_internal.h"

static wsp_server *srv;
static int ws_port, push_port;
static char data_dir[64];

/* Options as name/value pairs, NULL-terminated; memory store unless set. */
static void start_server(const char *name, ...)
{
    failalloc_init();
    failalloc_off();
    failalloc_only_thread(NULL);
    failalloc_only_source(FA_CORE | FA_LIBEVENT);
    failalloc_only(NULL, NULL);
    wsp_config cfg;
    test_config_base(&cfg);
    char err[256];
    ck_assert_int_eq(wsp_config_set(&cfg, "heartbeat_timeout", "60", err, sizeof err), 0);
    va_list ap;
    va_start(ap, name);
    for (const char *n = name; n; n = va_arg(ap, const char *)) {
        const char *v = va_arg(ap, const char *);
        ck_assert_msg(wsp_config_set(&cfg, n, v, err, sizeof err) == 0, "%s: %s", n, err);
    }
    va_end(ap);
    srv = test_server_start(&cfg, &ws_port, &push_port);
}

static void stop_server(void)
{
    failalloc_off();
    failalloc_only_thread(NULL);
    failalloc_only_source(FA_CORE | FA_LIBEVENT);
    failalloc_only(NULL, NULL);
    wsp_server_stop(srv, 0);
    wsp_server_free(srv);
    srv = NULL;
}

static void make_data_dir(void)
{
    strcpy(data_dir, "/tmp/wsp-oom-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(data_dir));
}

static void remove_data_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", data_dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* Only the loop thread's allocations fail: the test's own never do. */
static void fail_on_loop(void)
{
    failalloc_only_thread(&srv->thread);
}

static wsp_stats stats(void)
{
    wsp_stats s;
    ck_assert_int_eq(wsp_server_stats(srv, &s), 0);
    return s;
}

/* Park the loop thread between two callbacks (fork.c's parking, without a
 * fork): bytes written to several sockets meanwhile are all read in the
 * loop's next pass, in the order written. */
static void loop_park(void)
{
    pthread_mutex_lock(&srv->fork.park_mu);
    srv->fork.park_hold = 1;
    event_active(srv->fork.park_ev, EV_TIMEOUT, 0);
    while (!srv->fork.parked) pthread_cond_wait(&srv->fork.park_cv, &srv->fork.park_mu);
    pthread_mutex_unlock(&srv->fork.park_mu);
}

static void loop_unpark(void)
{
    pthread_mutex_lock(&srv->fork.park_mu);
    srv->fork.park_hold = 0;
    pthread_cond_broadcast(&srv->fork.park_cv);
    pthread_mutex_unlock(&srv->fork.park_mu);
}

/* ---- sockets ---- */

/* 1 when the peer closed (EOF) within timeout_ms with nothing more to read. */
static int read_eof(int fd, int timeout_ms)
{
    struct pollfd p = { fd, POLLIN, 0 };
    if (poll(&p, 1, timeout_ms) <= 0) return 0;
    char c;
    return read(fd, &c, 1) == 0;
}

/* A WebSocket connection bound to key (a web key: its own digits). */
static int ws_connect(const char *key)
{
    return ws_open(ws_port, key, 0);
}

/* The next text frame, skipping Pings (never answered: nothing is
 * confirmed, so every message stays for replay); -1 on timeout/EOF,
 * -8 on a Close frame. */
static int recv_text(int fd, char *out, size_t cap, int timeout_ms)
{
    for (;;) {
        size_t n;
        int op = ws_recv(fd, out, cap, &n, timeout_ms);
        if (op < 0) return -1;
        if (op == 9 || op == 10) continue;
        if (op == 1) return (int)n;
        return -op;
    }
}

/* The next Ping's payload (text frames before it are skipped). */
static int recv_ping(int fd, char *out, size_t cap, int timeout_ms)
{
    for (;;) {
        size_t n;
        int op = ws_recv(fd, out, cap, &n, timeout_ms);
        if (op < 0) return -1;
        if (op == 9) return (int)n;
        if (op != 1) return -op;
    }
}

/* A bound reader: connected, its key bound (the heartbeat reply read). */
static int reader(const char *key)
{
    int fd = ws_connect(key);
    char buf[64];
    ck_assert_int_eq(recv_text(fd, buf, sizeof buf, 3000), 9);
    ck_assert_str_eq(buf, "biubiubiu");
    return fd;
}

static const char *push(int fd, const char *line)
{
    static char rep[64];
    char buf[1024];
    snprintf(buf, sizeof buf, "%s\n", line);
    write_all(fd, buf, strlen(buf));
    ck_assert_int_ge(read_line(fd, rep, sizeof rep, 3000), 0);
    return rep;
}

/* ---- what the allocations look like ---- */

/* The size libevent allocates for an evbuffer: a connection's output
 * buffer is created on demand (wsp_ws_out), so the first write to an idle
 * connection allocates exactly this. */
static size_t evbuffer_size(void)
{
    size_t sizes[4];
    failalloc_init();
    failalloc_record(sizes, 4);
    struct evbuffer *b = evbuffer_new();
    size_t n = failalloc_record_stop();
    ck_assert_ptr_nonnull(b);
    evbuffer_free(b);
    ck_assert_uint_eq(n, 1);
    return sizes[0];
}

static int size_is(size_t size, void *ctx)
{
    return size == *(size_t *)ctx;
}

/* A push connection's reply ring past its inline slots: 16, 32, ...
 * replies (push_conn.c reply_reserve doubles it). */
static int ring_size(size_t size, void *ctx)
{
    for (size_t cap = 16; cap <= 1u << 20; cap *= 2)
        if (size == cap * sizeof(wsp_reply)) return 1;
    return 0;
}

/* ---- defect 3: replies in order when the reply ring cannot grow ---- */

#define RING_LINES 40

/* Line i: a push to an offline key (queued once durable) or, every third,
 * a line that is not JSON (fail at once): a reply that overtook another
 * would show in the sequence. The padding keeps each outbox entry at 320
 * bytes, a size no reply ring has. */
static size_t ring_lines(char *buf, size_t cap, int base, const char **want)
{
    static const char pad[] = "................................................................"
                              "................................................................"
                              "............................................";
    size_t off = 0;
    for (int i = 0; i < RING_LINES; i++) {
        int n;
        if (i % 3 == 2) {
            n = snprintf(buf + off, cap - off, "not json %d\n", base + i);
            want[i] = "fail";
        } else {
            n = snprintf(buf + off, cap - off, "{\"uid\":\"%d\",\"n\":%d,\"pad\":\"%s\"}\n",
                         500 + i % 5, base + i, pad);
            want[i] = "queued";
        }
        off += (size_t)n;
    }
    return off;
}

#define RING_BAD (RING_LINES / 3)   /* lines that are not JSON */

/* Every reply of the RING_LINES lines sent (NONE when it never came). */
static void ring_replies(int p, char rep[RING_LINES][16])
{
    for (int i = 0; i < RING_LINES; i++)
        if (read_line(p, rep[i], 16, 5000) < 0) strcpy(rep[i], "NONE");
}

static void ring_oom(int half_close)
{
    make_data_dir();
    /* fsync batch: a reply waits for its commit, so pipelined replies
     * queue up past the 8 inline slots. */
    start_server("store", "file", "data_dir", data_dir, "fsync", "batch", NULL);
    fail_on_loop();
    failalloc_only_source(FA_CORE);   /* libevent's chains may have a ring's size */
    failalloc_only(ring_size, NULL);
    failalloc_fail_from(1);
    int p = tcp_connect(push_port, 0);
    static char buf[RING_LINES * 256];
    const char *want[RING_LINES];
    char rep[RING_LINES][16];
    size_t len = ring_lines(buf, sizeof buf, 0, want);
    write_all(p, buf, len);
    if (half_close) shutdown(p, SHUT_WR);
    ring_replies(p, rep);
    ck_assert_msg(failalloc_failed() >= 1, "the reply ring never tried to grow");
    /* Only the ring's allocations failed: every push was taken. */
    wsp_stats s = stats();
    ck_assert_uint_eq(s.push_lines, RING_LINES);
    ck_assert_uint_eq(s.push_fail, RING_BAD);
    for (int i = 0; i < RING_LINES; i++)
        ck_assert_msg(strcmp(rep[i], want[i]) == 0, "line %d: %s, want %s", i, rep[i], want[i]);
    if (half_close) {
        ck_assert_msg(read_eof(p, 3000), "no close after the last reply");
    } else {
        /* Memory is back: the same connection goes on, and the ring grows. */
        failalloc_off();
        len = ring_lines(buf, sizeof buf, RING_LINES, want);
        write_all(p, buf, len);
        ring_replies(p, rep);
        for (int i = 0; i < RING_LINES; i++)
            ck_assert_msg(strcmp(rep[i], want[i]) == 0, "again, line %d: %s, want %s", i, rep[i], want[i]);
    }
    close(p);
    stop_server();
    remove_data_dir();
}

START_TEST(push_replies_in_order_when_ring_cannot_grow)
{
    ring_oom(0);
}
END_TEST

START_TEST(push_half_close_replies_when_ring_cannot_grow)
{
    ring_oom(1);
}
END_TEST

/* The first reply of a connection finds no memory for the output buffer
 * (256 bytes, push_conn.c out_add): it waits in the ring and still goes
 * out, soon, with nothing else happening on the connection. */
static int out_first_size(size_t size, void *ctx)
{
    return size == 256;
}

START_TEST(push_reply_waits_for_output_memory)
{
    start_server(NULL);
    ck_assert_uint_ne(sizeof(wsp_pushconn), 256);
    fail_on_loop();
    failalloc_only_source(FA_CORE);
    failalloc_only(out_first_size, NULL);
    failalloc_fail_nth(1);
    int p = tcp_connect(push_port, 0);
    write_all(p, "AUTH x\n", 7);
    char rep[16];
    ck_assert_msg(read_line(p, rep, sizeof rep, 3000) >= 0, "the reply never came");
    ck_assert_str_eq(rep, "ok");
    ck_assert_uint_eq(failalloc_failed(), 1);
    failalloc_off();
    ck_assert_str_eq(push(p, "{\"uid\":\"5\"}"), "queued");
    close(p);
    stop_server();
}
END_TEST

/* ---- defect 7: a Close frame that cannot be allocated ---- */

/* Readers A, B and C each have message 1 pinged and message 2 written.
 * In one loop pass A and B answer Ping 1 (each goes on the dirty list for
 * Ping 2), then C answers too and sends a bad frame: its Close frame (the
 * first buffer it needs) cannot be allocated, so it is freed while on the
 * dirty list. A and B must still get Ping 2: a list cut at C would leave
 * them marked dirty and never written again. */
START_TEST(close_frame_oom_keeps_dirty_list)
{
    size_t evsize = evbuffer_size();
    start_server(NULL);
    const char *keys[3] = { "601", "602", "603" };
    int r[3];
    char buf[256];
    for (int i = 0; i < 3; i++) {
        r[i] = reader(keys[i]);
        int q;
        ck_assert_int_eq(wsp_server_push(srv, keys[i], 3, "m1", 2, &q, NULL, 0), 0);
        ck_assert_int_eq(q, 0);
        ck_assert_int_eq(recv_text(r[i], buf, sizeof buf, 3000), 2);
        ck_assert_int_eq(recv_ping(r[i], buf, sizeof buf, 3000), 1);
        ck_assert_str_eq(buf, "1");
        ck_assert_int_eq(wsp_server_push(srv, keys[i], 3, "m2", 2, &q, NULL, 0), 0);
        ck_assert_int_eq(recv_text(r[i], buf, sizeof buf, 3000), 2);
        ck_assert_str_eq(buf, "m2");
    }
    loop_park();
    uint8_t f[64];
    ws_send(r[0], 10, "1", 1);
    ws_send(r[1], 10, "1", 1);
    size_t n = ws_frame(f, 10, "1", 1);
    f[n++] = 0x81 | 0x40;   /* RSV1 without an extension: protocol error */
    f[n++] = 0x80;
    memset(f + n, 0, 4); n += 4;
    write_all(r[2], f, n);
    fail_on_loop();
    failalloc_only(size_is, &evsize);
    failalloc_fail_nth(1);
    loop_unpark();
    for (int i = 0; i < 2; i++) {
        ck_assert_msg(recv_ping(r[i], buf, sizeof buf, 3000) == 1 && strcmp(buf, "2") == 0,
                      "reader %d never got Ping 2: cut from the dirty list", i);
    }
    /* C's Close frame was the allocation that failed: a bare EOF. */
    ck_assert_int_eq(failalloc_failed(), 1);
    size_t len;
    ck_assert_int_eq(ws_recv(r[2], buf, sizeof buf, &len, 3000), -1);
    ck_assert_uint_eq(stats().closed_protocol, 1);
    failalloc_off();
    /* And the two go on. */
    for (int i = 0; i < 2; i++) {
        int q;
        ck_assert_int_eq(wsp_server_push(srv, keys[i], 3, "m3", 2, &q, NULL, 0), 0);
        ck_assert_int_eq(q, 0);
        ck_assert_int_eq(recv_text(r[i], buf, sizeof buf, 3000), 2);
        ck_assert_str_eq(buf, "m3");
    }
    for (int i = 0; i < 3; i++) close(r[i]);
    stop_server();
}
END_TEST

/* ---- defect 7: fan-out when a connection cannot be written ---- */

/* Three readers of one key hold message 1 unconfirmed; message 2 cannot
 * be written to the second one (its output buffer cannot be allocated).
 * That reader is closed (1011); the push is still "ok" for the other two.
 * Our own allocation failure is not a broken delivery: with retry_max 1 a
 * try spent on it would drop message 1 (and, had it been the last, free
 * the message and key in use). A new reader gets 1 and 2, then 3. */
START_TEST(fanout_oom_keeps_message_and_key)
{
    size_t evsize = evbuffer_size();
    start_server("retry_max", "1", NULL);
    int p = tcp_connect(push_port, 0);
    int r[3];
    char buf[256];
    for (int i = 0; i < 3; i++) r[i] = reader("701");
    ck_assert_str_eq(push(p, "{\"uid\":\"701\",\"n\":1}"), "ok");
    for (int i = 0; i < 3; i++) {
        ck_assert_int_gt(recv_text(r[i], buf, sizeof buf, 3000), 0);
        ck_assert_str_eq(buf, "{\"uid\":\"701\",\"n\":1}");
    }
    fail_on_loop();
    failalloc_only(size_is, &evsize);
    failalloc_fail_nth(2);   /* the second reader written */
    ck_assert_str_eq(push(p, "{\"uid\":\"701\",\"n\":2}"), "ok");
    failalloc_off();
    ck_assert_uint_eq(failalloc_failed(), 1);
    int closed = 0;
    for (int i = 0; i < 3; i++) {
        int n = recv_text(r[i], buf, sizeof buf, 3000);
        if (n == -8 || n == -1) { closed++; continue; }
        ck_assert_int_gt(n, 0);
        ck_assert_str_eq(buf, "{\"uid\":\"701\",\"n\":2}");
    }
    ck_assert_int_eq(closed, 1);
    wsp_stats s = stats();
    ck_assert_uint_eq(s.dropped_retry, 0);
    ck_assert_uint_eq(s.outbox_depth, 2);
    int r4 = ws_connect("701");   /* replayed first, then the heartbeat reply */
    for (int n = 1; n <= 2; n++) {
        char want[64];
        snprintf(want, sizeof want, "{\"uid\":\"701\",\"n\":%d}", n);
        ck_assert_int_gt(recv_text(r4, buf, sizeof buf, 3000), 0);
        ck_assert_msg(strcmp(buf, want) == 0, "new reader got %s, want %s", buf, want);
    }
    ck_assert_int_eq(recv_text(r4, buf, sizeof buf, 3000), 9);
    ck_assert_str_eq(push(p, "{\"uid\":\"701\",\"n\":3}"), "ok");
    ck_assert_int_gt(recv_text(r4, buf, sizeof buf, 3000), 0);
    ck_assert_str_eq(buf, "{\"uid\":\"701\",\"n\":3}");
    for (int i = 0; i < 3; i++) close(r[i]);
    close(r4);
    close(p);
    stop_server();
}
END_TEST

/* ---- cluster mode: the key's mirror under a fan-out that fails ---- */

static char redis_dir[64];
static pid_t redis_pid;

/* A private redis-server on a free port, in its own directory, killed with
 * the test even when the test crashes (PR_SET_PDEATHSIG); its port. */
static int redis_start(void)
{
    strcpy(redis_dir, "/tmp/wsp-oom-redis-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(redis_dir));
    srand((unsigned)getpid());
    for (int tries = 0; tries < 20; tries++) {
        int port = 20000 + rand() % 12000;
        char ps[16];
        snprintf(ps, sizeof ps, "%d", port);
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            int null = open("/dev/null", O_WRONLY);
            dup2(null, 1);
            dup2(null, 2);
            execlp("redis-server", "redis-server", "--port", ps, "--bind", "127.0.0.1",
                   "--dir", redis_dir, "--save", "", "--appendonly", "no", (char *)NULL);
            _exit(127);
        }
        for (int i = 0; i < 500; i++) {   /* ready once it accepts (polled) */
            int st;
            if (waitpid(pid, &st, WNOHANG) == pid) {
                ck_assert_msg(!WIFEXITED(st) || WEXITSTATUS(st) != 127,
                              "no redis-server (scripts/deps.sh installs it)");
                pid = 0;   /* the port was taken: another */
                break;
            }
            int fd = socket(AF_INET, SOCK_STREAM, 0);
            struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
            sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            int ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
            close(fd);
            if (ok) { redis_pid = pid; return port; }
            struct timespec ts = { 0, 10 * 1000 * 1000 };
            nanosleep(&ts, NULL);
        }
        if (pid) { kill(pid, SIGKILL); waitpid(pid, NULL, 0); }
    }
    ck_abort_msg("could not start redis-server");
    return 0;
}

static void redis_stop(void)
{
    kill(redis_pid, SIGTERM);
    waitpid(redis_pid, NULL, 0);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", redis_dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* In cluster mode a key's outbox here is a mirror of Redis', dropped with
 * the key's last connection. The only reader of a key cannot be written a
 * message that arrives from Redis (its output buffer cannot be allocated):
 * it is closed (1011) while the message is being fanned out. The message
 * and the key must outlive the fan-out that is using them (ASan and
 * valgrind see a use after free otherwise); the message stays in Redis
 * and reaches the next reader, and later pushes are delivered. */
START_TEST(cluster_fanout_oom_keeps_message_and_key)
{
    size_t evsize = evbuffer_size();
    int rport = redis_start();
    char url[128];
    snprintf(url, sizeof url, "redis://127.0.0.1:%d/0?prefix=oom%d:", rport, (int)getpid());
    start_server("store", url, NULL);
    int p = tcp_connect(push_port, 0);
    char buf[256];
    int r = reader("901");
    /* attached once a push is ok (the key's presence is in Redis) */
    const char *rep = "queued";
    for (int i = 0; i < 200 && strcmp(rep, "ok") != 0; i++) {
        rep = push(p, "{\"uid\":\"901\",\"n\":1}");
        if (strcmp(rep, "ok") != 0) {
            struct timespec ts = { 0, 10 * 1000 * 1000 };
            nanosleep(&ts, NULL);   /* polling a condition */
        }
    }
    ck_assert_str_eq(rep, "ok");
    int got1 = 0;
    while (recv_text(r, buf, sizeof buf, 3000) > 0)   /* the n=1 pushes, up to the ok one */
        if (strcmp(buf, "{\"uid\":\"901\",\"n\":1}") == 0 && ++got1 && stats().outbox_depth >= 1) break;
    ck_assert_int_ge(got1, 1);
    fail_on_loop();
    failalloc_only(size_is, &evsize);
    failalloc_fail_nth(1);
    ck_assert_str_eq(push(p, "{\"uid\":\"901\",\"n\":2}"), "ok");
    /* the reader is closed: a Close frame (1011) or a bare EOF */
    int n;
    while ((n = recv_text(r, buf, sizeof buf, 3000)) > 0)
        ;
    ck_assert_uint_eq(failalloc_failed(), 1);
    failalloc_off();
    close(r);
    r = ws_connect("901");
    int got2 = 0;
    while (!got2) {
        ck_assert_int_gt(recv_text(r, buf, sizeof buf, 3000), 0);
        if (strcmp(buf, "{\"uid\":\"901\",\"n\":2}") == 0) got2 = 1;
    }
    ck_assert_str_eq(push(p, "{\"uid\":\"901\",\"n\":3}"), "ok");
    for (;;) {
        ck_assert_int_gt(recv_text(r, buf, sizeof buf, 3000), 0);
        if (strcmp(buf, "{\"uid\":\"901\",\"n\":3}") == 0) break;
    }
    close(r);
    close(p);
    stop_server();
    redis_stop();
}
END_TEST

/* ---- every allocation of a workload step, one at a time ---- */

#define STEP_LINES 5

/* The connections of one step on one key: r1 stays bound, r2 hangs up
 * during the step, r4 binds during it (its handshake is done before), p
 * pushes (accepted before: its allocation is not the step's). */
typedef struct { int r1, r2, r4, p; char key[16]; } step_conns;

static step_conns step_setup(int keyno)
{
    step_conns sc;
    snprintf(sc.key, sizeof sc.key, "%d", keyno);
    sc.r1 = reader(sc.key);
    sc.r2 = reader(sc.key);
    sc.r4 = ws_connect(NULL);
    sc.p = tcp_connect(push_port, 0);
    ck_assert_str_eq(push(sc.p, "AUTH x"), "ok");   /* accepted: answered */
    return sc;
}

/* Five pipelined lines (the fourth not JSON) while r2 goes and r4 binds;
 * every reply into rep ("NONE" when it never came). */
static void sweep_step(step_conns *sc, char rep[STEP_LINES][16])
{
    char lines[STEP_LINES * 64];
    size_t off = 0;
    for (int i = 0; i < STEP_LINES; i++) {
        if (i == 3)
            off += (size_t)snprintf(lines + off, sizeof lines - off, "nope\n");
        else
            off += (size_t)snprintf(lines + off, sizeof lines - off,
                                    "{\"uid\":\"%s\",\"n\":%d}\n", sc->key, i);
    }
    close(sc->r2);
    ws_send(sc->r4, 1, sc->key, strlen(sc->key));
    write_all(sc->p, lines, off);
    for (int i = 0; i < STEP_LINES; i++)
        if (read_line(sc->p, rep[i], 16, 5000) < 0) strcpy(rep[i], "NONE");
}

/* For k = 1, 2, ...: the k-th allocation of the loop thread after the
 * step begins fails (the core's or libevent's, whatever it is for). Then,
 * with memory back: each line got one reply, in order (the bad line fail,
 * the others ok, queued, or fail when their push could not be taken);
 * what was answered ok/queued is held and replays, in order, to a new
 * reader (nothing was confirmed); a new push is delivered. Under ASan and
 * valgrind any use of freed memory on the way fails the run. */
static void sweep(const char *store)
{
    int cluster = strcmp(store, "cluster") == 0;
    if (strcmp(store, "file") == 0) {
        make_data_dir();
        start_server("store", "file", "data_dir", data_dir, "fsync", "batch", NULL);
    } else if (strcmp(store, "cluster") == 0) {
        char url[128];
        snprintf(url, sizeof url, "redis://127.0.0.1:%d/0?prefix=oom%d:", redis_start(), (int)getpid());
        start_server("store", url, NULL);
    } else {
        start_server(NULL);
    }
    fail_on_loop();
    char rep[STEP_LINES][16], buf[256];
    /* How many allocations the step makes: a few past them are tried. */
    step_conns sc = step_setup(800);
    failalloc_fail_nth(UINT64_MAX);   /* count only */
    sweep_step(&sc, rep);
    uint64_t total = failalloc_seen();
    failalloc_off();
    close(sc.r1); close(sc.r4); close(sc.p);
    ck_assert_uint_gt(total, 5);
    uint64_t upto = total + 5 < 200 ? total + 5 : 200;
    for (uint64_t k = 1; k <= upto; k++) {
        sc = step_setup(801 + (int)k);
        failalloc_fail_nth(k);
        sweep_step(&sc, rep);
        failalloc_off();
        int held[STEP_LINES], nheld = 0;
        for (int i = 0; i < STEP_LINES; i++) {
            ck_assert_msg(strcmp(rep[i], "NONE") != 0, "%s k=%llu: line %d got no reply",
                          store, (unsigned long long)k, i);
            if (i == 3) {
                ck_assert_msg(strcmp(rep[i], "fail") == 0, "%s k=%llu: the bad line got %s",
                              store, (unsigned long long)k, rep[i]);
                continue;
            }
            ck_assert_msg(strcmp(rep[i], "ok") == 0 || strcmp(rep[i], "queued") == 0
                          || strcmp(rep[i], "fail") == 0, "%s k=%llu: line %d got %s",
                          store, (unsigned long long)k, i, rep[i]);
            if (strcmp(rep[i], "fail") != 0) held[nheld++] = i;
        }
        /* The heartbeat reply comes after the replay, or (cluster mode:
         * the backlog is loaded from Redis) before it: skipped. */
        int r3 = ws_connect(sc.key);
        for (int j = 0; j < nheld; j++) {
            char want[64];
            snprintf(want, sizeof want, "{\"uid\":\"%s\",\"n\":%d}", sc.key, held[j]);
            do {
                ck_assert_msg(recv_text(r3, buf, sizeof buf, 3000) > 0, "%s k=%llu: message %d missing",
                              store, (unsigned long long)k, held[j]);
            } while (strcmp(buf, "biubiubiu") == 0);
            ck_assert_msg(strcmp(buf, want) == 0, "%s k=%llu: got %s, want %s",
                          store, (unsigned long long)k, buf, want);
        }
        /* ok: r3 is live; in cluster mode queued while its attach is on
         * its way (it then comes with the backlog) */
        char line[64];
        snprintf(line, sizeof line, "{\"uid\":\"%s\",\"n\":99}", sc.key);
        const char *mr = push(sc.p, line);
        ck_assert_msg(strcmp(mr, "ok") == 0 || (cluster && strcmp(mr, "queued") == 0),
                      "%s k=%llu: the next push got %s", store, (unsigned long long)k, mr);
        do {
            ck_assert_int_gt(recv_text(r3, buf, sizeof buf, 3000), 0);
        } while (strcmp(buf, "biubiubiu") == 0);
        ck_assert_str_eq(buf, line);
        close(sc.p); close(sc.r1); close(sc.r4); close(r3);
    }
    stop_server();
    if (strcmp(store, "file") == 0) remove_data_dir();
    if (strcmp(store, "cluster") == 0) redis_stop();
}

START_TEST(sweep_fail_each_allocation_memory_store)
{
    sweep("memory");
}
END_TEST

/* Cluster mode: replies wait for Redis, the outbox is Redis' mirror. */
START_TEST(sweep_fail_each_allocation_cluster)
{
    sweep("cluster");
}
END_TEST

/* The file store: replies wait for their commit in the reply ring. */
START_TEST(sweep_fail_each_allocation_file_store)
{
    sweep("file");
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("oom");
    TCase *tc = tcase_create("oom");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, push_replies_in_order_when_ring_cannot_grow);
    tcase_add_test(tc, push_half_close_replies_when_ring_cannot_grow);
    tcase_add_test(tc, push_reply_waits_for_output_memory);
    tcase_add_test(tc, close_frame_oom_keeps_dirty_list);
    tcase_add_test(tc, fanout_oom_keeps_message_and_key);
    tcase_add_test(tc, cluster_fanout_oom_keeps_message_and_key);
    tcase_add_test(tc, sweep_fail_each_allocation_memory_store);
    tcase_add_test(tc, sweep_fail_each_allocation_file_store);
    tcase_add_test(tc, sweep_fail_each_allocation_cluster);
    suite_add_tcase(s, tc);
    return s;
}
