/* test_send_batch.c - the flush pass's batched socket writes (send_batch.h)
 * over real loopback TCP sockets, each test with io_uring (_i == 1) and
 * with plain send()s (_i == 0): the same bytes arrive, a full socket and a
 * reset peer answer at once (never a wait), a full batch runs first. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "testutil.h"
#include "send_batch.h"

/* A connected loopback pair: *a is ours (non-blocking), *b the peer's. */
static void tcp_pair(int *a, int *b)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t sl = sizeof(sa);
    ck_assert_int_eq(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(listen(ls, 1), 0);
    ck_assert_int_eq(getsockname(ls, (struct sockaddr *)&sa, &sl), 0);
    *b = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(connect(*b, (struct sockaddr *)&sa, sizeof(sa)), 0);
    *a = accept(ls, NULL, NULL);
    ck_assert_int_ge(*a, 0);
    close(ls);
    fcntl(*a, F_SETFL, fcntl(*a, F_GETFL) | O_NONBLOCK);
}

/* The batch for this loop iteration: _i 1 must really use io_uring when the
 * build has it and the kernel allows it (else the test would pass on the
 * plain path twice and prove nothing). */
static wsp_send_batch *batch_for(int use_uring, unsigned max)
{
    char why[128];
    wsp_send_batch *b = wsp_send_batch_new(max, use_uring, why, sizeof(why));
    ck_assert_ptr_nonnull(b);
    if (!use_uring) {
        ck_assert_int_eq(wsp_send_batch_uring(b), 0);
        return b;
    }
    if (uring_expected()) ck_assert_msg(wsp_send_batch_uring(b), "io_uring: %s", why);
    return b;
}

typedef struct { int calls; ssize_t res; int order; } sent_rec;
static int next_order;

static void on_sent(void *arg, ssize_t res)
{
    sent_rec *r = arg;
    r->calls++;
    r->res = res;
    r->order = next_order++;
}

#define N 64

START_TEST(many_sockets_one_call)
{
    wsp_send_batch *b = batch_for(_i, 256);
    int a[N], p[N];
    sent_rec rec[N];
    char tail[N][8];
    memset(rec, 0, sizeof(rec));
    next_order = 0;
    for (int i = 0; i < N; i++) {
        tcp_pair(&a[i], &p[i]);
        snprintf(tail[i], sizeof(tail[i]), "%d", i);
        struct iovec iov[2] = { { "frame-", 6 }, { tail[i], strlen(tail[i]) } };
        wsp_send_batch_add(b, a[i], iov, 2, on_sent, &rec[i]);
    }
    ck_assert_uint_eq(wsp_send_batch_len(b), N);
    unsigned calls = wsp_send_batch_run(b);
    ck_assert_uint_eq(calls, wsp_send_batch_uring(b) ? 1 : N);
    ck_assert_uint_eq(wsp_send_batch_len(b), 0);
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(rec[i].calls, 1);
        ck_assert_int_eq(rec[i].order, i);   /* called back in the order added */
        ck_assert_int_eq(rec[i].res, (ssize_t)(6 + strlen(tail[i])));
        char got[32], want[32];
        snprintf(want, sizeof(want), "frame-%s", tail[i]);
        ssize_t n = recv(p[i], got, sizeof(got), 0);
        ck_assert_int_eq(n, (ssize_t)strlen(want));
        ck_assert(memcmp(got, want, (size_t)n) == 0);
        close(a[i]);
        close(p[i]);
    }
    unsigned long long c, s;
    wsp_send_batch_counts(b, &c, &s);
    ck_assert_uint_eq(s, N);
    ck_assert_uint_eq(c, calls);
    wsp_send_batch_free(b);
}
END_TEST

/* A client that stopped reading: its socket is full. The batch must not
 * wait for it (the loop would stall for everyone), and the other sockets
 * in the same run still get their bytes. */
START_TEST(full_socket_answers_at_once)
{
    wsp_send_batch *b = batch_for(_i, 16);
    int full, fullp, ok, okp;
    tcp_pair(&full, &fullp);
    tcp_pair(&ok, &okp);
    int small = 4096;
    setsockopt(full, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
    setsockopt(fullp, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    static char big[1 << 16];
    memset(big, 'x', sizeof(big));
    while (send(full, big, sizeof(big), MSG_DONTWAIT) > 0) {}
    ck_assert(errno == EAGAIN || errno == EWOULDBLOCK);
    sent_rec r1 = { 0 }, r2 = { 0 };
    struct iovec v1 = { big, sizeof(big) }, v2 = { "hello", 5 };
    wsp_send_batch_add(b, full, &v1, 1, on_sent, &r1);
    wsp_send_batch_add(b, ok, &v2, 1, on_sent, &r2);
    wsp_send_batch_run(b);
    ck_assert_int_eq(r1.calls, 1);
    ck_assert_int_eq(r1.res, -EAGAIN);
    ck_assert_int_eq(r2.res, 5);
    char got[8];
    ck_assert_int_eq(recv(okp, got, sizeof(got), 0), 5);
    close(full); close(fullp); close(ok); close(okp);
    wsp_send_batch_free(b);
}
END_TEST

/* A peer that reset: -ECONNRESET or -EPIPE, and no SIGPIPE (the test
 * process would die of it). */
START_TEST(reset_peer_is_an_error)
{
    wsp_send_batch *b = batch_for(_i, 16);
    int a, p;
    tcp_pair(&a, &p);
    struct linger lg = { 1, 0 };
    setsockopt(p, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(p);   /* RST */
    char buf[1];
    while (recv(a, buf, 1, 0) < 0 && errno == EAGAIN) usleep(1000);   /* the reset arrived */
    sent_rec r = { 0 };
    struct iovec v = { "late", 4 };
    wsp_send_batch_add(b, a, &v, 1, on_sent, &r);
    wsp_send_batch_run(b);
    ck_assert_int_eq(r.calls, 1);
    ck_assert_msg(r.res == -EPIPE || r.res == -ECONNRESET, "res %zd", r.res);
    close(a);
    wsp_send_batch_free(b);
}
END_TEST

/* More entries than the batch holds: adding the fifth runs the first four
 * (their callbacks come then), the rest go at the next run. */
START_TEST(full_batch_runs_first)
{
    wsp_send_batch *b = batch_for(_i, 4);
    int a[6], p[6];
    sent_rec rec[6];
    memset(rec, 0, sizeof(rec));
    next_order = 0;
    for (int i = 0; i < 6; i++) {
        tcp_pair(&a[i], &p[i]);
        struct iovec v = { "x", 1 };
        wsp_send_batch_add(b, a[i], &v, 1, on_sent, &rec[i]);
        ck_assert_int_eq(rec[0].calls, i >= 4);
    }
    ck_assert_uint_eq(wsp_send_batch_len(b), 2);
    wsp_send_batch_run(b);
    for (int i = 0; i < 6; i++) {
        ck_assert_int_eq(rec[i].calls, 1);
        ck_assert_int_eq(rec[i].order, i);
        ck_assert_int_eq(rec[i].res, 1);
        close(a[i]);
        close(p[i]);
    }
    wsp_send_batch_free(b);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("send_batch");
    TCase *tc = tcase_create("send_batch");
    tcase_set_timeout(tc, 10);
    tcase_add_loop_test(tc, many_sockets_one_call, 0, 2);
    tcase_add_loop_test(tc, full_socket_answers_at_once, 0, 2);
    tcase_add_loop_test(tc, reset_peer_is_an_error, 0, 2);
    tcase_add_loop_test(tc, full_batch_runs_first, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}
