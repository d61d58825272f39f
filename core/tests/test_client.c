/* test_client.c - the push client against a small scripted line server on
 * 127.0.0.1 (port 0) run in a thread: pipelining, reply order, connection
 * reuse and reconnects, errors, the close after a fail for a long line. */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testutil.h"
#include "wsp.h"

/* The scripted server. Reply by the line's first bytes:
 *   "ok"..  -> ok          "q"..   -> queued        "f".. -> fail
 *   "bye"   -> ok, then a graceful close
 *   "?"     -> a reply that is not in the protocol
 *   "mute"  -> no reply at all
 *   longer than SRV_MAX_LINE -> fail, then half-close and discard (as a
 *   server does for a line over max_line) */
#define SRV_MAX_LINE 100

typedef struct srv {
    int lfd, port;
    int stop;               /* atomic */
    int accepted;           /* connections accepted */
    int closed;             /* connections closed */
    int lines;              /* lines read */
    pthread_t th;
} srv;

static srv S;

static int write_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Serve one connection until the client closes it. */
static void serve_conn(int fd)
{
    static char buf[1 << 16];
    size_t len = 0;

    for (;;) {
        ssize_t r = read(fd, buf + len, sizeof(buf) - len);
        if (r <= 0)
            break;
        len += (size_t)r;
        size_t start = 0;
        char *nl;
        while ((nl = memchr(buf + start, '\n', len - start))) {
            const char *line = buf + start;
            size_t ll = (size_t)(nl - line);
            start += ll + 1;
            __atomic_add_fetch(&S.lines, 1, __ATOMIC_SEQ_CST);
            if (ll > SRV_MAX_LINE) {
                write_all(fd, "fail\n", 5);
                /* Lingering close: our FIN goes out after the reply, and
                 * what the client still sends is read and thrown away. */
                shutdown(fd, SHUT_WR);
                while (read(fd, buf, sizeof(buf)) > 0)
                    ;
                return;
            }
            if (ll >= 2 && !memcmp(line, "ok", 2))
                write_all(fd, "ok\n", 3);
            else if (ll >= 1 && line[0] == 'q')
                write_all(fd, "queued\r\n", 8);
            else if (ll >= 1 && line[0] == 'f')
                write_all(fd, "fail\n", 5);
            else if (ll == 3 && !memcmp(line, "bye", 3)) {
                write_all(fd, "ok\n", 3);
                return;
            } else if (ll >= 1 && line[0] == '?')
                write_all(fd, "what?\n", 6);
            else if (ll == 4 && !memcmp(line, "mute", 4))
                ;
            else
                write_all(fd, "fail\n", 5);
        }
        memmove(buf, buf + start, len - start);
        len -= start;
        if (len == sizeof(buf))
            break;
    }
}

static void *srv_main(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&S.stop, __ATOMIC_SEQ_CST)) {
        struct pollfd p = { .fd = S.lfd, .events = POLLIN };
        if (poll(&p, 1, 20) <= 0)
            continue;
        int fd = accept(S.lfd, NULL, NULL);
        if (fd < 0)
            continue;
        __atomic_add_fetch(&S.accepted, 1, __ATOMIC_SEQ_CST);
        serve_conn(fd);
        close(fd);
        __atomic_add_fetch(&S.closed, 1, __ATOMIC_SEQ_CST);
    }
    return NULL;
}

static int listen_any(int *port)
{
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t al = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

    ck_assert_int_ge(fd, 0);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(fd, 16), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &al), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static void setup(void)
{
    memset(&S, 0, sizeof(S));
    S.lfd = listen_any(&S.port);
    ck_assert_int_eq(pthread_create(&S.th, NULL, srv_main, NULL), 0);
}

static void teardown(void)
{
    __atomic_store_n(&S.stop, 1, __ATOMIC_SEQ_CST);
    pthread_join(S.th, NULL);
    close(S.lfd);
}

static wsp_client *client(double timeout)
{
    char addr[64];
    snprintf(addr, sizeof(addr), "tcp://127.0.0.1:%d", S.port);
    wsp_client *c = wsp_client_new(addr, timeout);
    ck_assert_ptr_nonnull(c);
    return c;
}

static int send1(wsp_client *c, const char *line, const char **reply)
{
    size_t len = strlen(line);
    return wsp_client_send_lines(c, &line, &len, 1, reply);
}

START_TEST(single_and_reuse)
{
    wsp_client *c = client(2.0);
    const char *rep;

    ck_assert_int_eq(send1(c, "ok {\"uid\":5}", &rep), WSP_OK);
    ck_assert_str_eq(rep, "ok");
    ck_assert_int_eq(send1(c, "q", &rep), WSP_OK);
    ck_assert_str_eq(rep, "queued");    /* "\r\n" tolerated */
    ck_assert_int_eq(__atomic_load_n(&S.accepted, __ATOMIC_SEQ_CST), 1);
    ck_assert_str_eq(wsp_client_errstr(c), "");
    wsp_client_free(c);
}
END_TEST

START_TEST(pipelined_in_order)
{
    enum { N = 20000 };   /* ~2 MB each way: must read while writing */
    static const char *lines[N];
    static size_t lens[N];
    static const char *reps[N];
    static char text[N][96];
    wsp_client *c = client(5.0);

    for (int i = 0; i < N; i++) {
        int n = snprintf(text[i], sizeof(text[i]), "%s {\"uid\":%d,\"pad\":\"%060d\"}",
                         i % 3 == 1 ? "q" : "ok", i, i);
        lines[i] = text[i];
        lens[i] = (size_t)n;
    }
    ck_assert_int_eq(wsp_client_send_lines(c, lines, lens, N, reps), WSP_OK);
    for (int i = 0; i < N; i++)
        ck_assert_str_eq(reps[i], i % 3 == 1 ? "queued" : "ok");
    ck_assert_int_eq(__atomic_load_n(&S.lines, __ATOMIC_SEQ_CST), N);
    wsp_client_free(c);
}
END_TEST

START_TEST(fail_and_newline)
{
    const char *lines[] = { "ok", "f bad", "two\nlines", "q" };
    size_t lens[] = { 2, 5, 9, 1 };
    const char *reps[4];
    wsp_client *c = client(2.0);

    ck_assert_int_eq(wsp_client_send_lines(c, lines, lens, 4, reps), WSP_OK);
    ck_assert_str_eq(reps[0], "ok");
    ck_assert_str_eq(reps[1], "fail");
    ck_assert_str_eq(reps[2], "fail");   /* answered locally, never sent */
    ck_assert_str_eq(reps[3], "queued");
    ck_assert_int_eq(__atomic_load_n(&S.lines, __ATOMIC_SEQ_CST), 3);
    wsp_client_free(c);
}
END_TEST

START_TEST(close_after_fail_for_long_line)
{
    char longline[300];
    const char *lines[] = { "ok", longline, "q", "ok" };
    size_t lens[4] = { 2, 0, 1, 2 };
    const char *reps[4];
    wsp_client *c = client(2.0);

    memset(longline, 'x', sizeof(longline));
    lens[1] = sizeof(longline);
    ck_assert_int_eq(wsp_client_send_lines(c, lines, lens, 4, reps), WSP_OK);
    ck_assert_str_eq(reps[0], "ok");
    ck_assert_str_eq(reps[1], "fail");
    /* The server never read these on the closed connection: sent again on
     * a new one and answered there. */
    ck_assert_str_eq(reps[2], "queued");
    ck_assert_str_eq(reps[3], "ok");
    ck_assert_int_eq(__atomic_load_n(&S.accepted, __ATOMIC_SEQ_CST), 2);
    /* Next call works (fresh connection after the fail). */
    ck_assert_int_eq(send1(c, "ok", &reps[0]), WSP_OK);
    ck_assert_str_eq(reps[0], "ok");
    /* A long line alone: fail, connection dropped, no error. */
    ck_assert_int_eq(wsp_client_send_lines(c, &lines[1], &lens[1], 1, reps), WSP_OK);
    ck_assert_str_eq(reps[0], "fail");
    ck_assert_int_eq(send1(c, "q", &reps[0]), WSP_OK);
    ck_assert_str_eq(reps[0], "queued");
    wsp_client_free(c);
}
END_TEST

START_TEST(reconnect_when_cached_dead)
{
    wsp_client *c = client(2.0);
    const char *rep;

    ck_assert_int_eq(send1(c, "bye", &rep), WSP_OK);   /* server closes after */
    ck_assert_str_eq(rep, "ok");
    /* Wait until the server has closed its end (a condition, not a fixed
     * sleep): the client must notice the dead socket and reconnect. */
    for (int i = 0; i < 2000 && !__atomic_load_n(&S.closed, __ATOMIC_SEQ_CST); i++)
        usleep(1000);
    ck_assert_int_eq(__atomic_load_n(&S.closed, __ATOMIC_SEQ_CST), 1);
    ck_assert_int_eq(send1(c, "ok", &rep), WSP_OK);
    ck_assert_str_eq(rep, "ok");
    ck_assert_int_eq(__atomic_load_n(&S.accepted, __ATOMIC_SEQ_CST), 2);
    wsp_client_free(c);
}
END_TEST

START_TEST(bad_reply_and_timeout)
{
    /* The timeout also bounds the answers that must come ("?" and the last
     * "ok", from the scripted server's thread): 1 s, not a tight 0.2 s, so a
     * loaded machine does not turn them into timeouts; "mute" waits it out. */
    wsp_client *c = client(1.0);
    const char *rep = "x";

    ck_assert_int_eq(send1(c, "?", &rep), WSP_ERR_IO);
    ck_assert_ptr_null(rep);
    ck_assert_msg(strstr(wsp_client_errstr(c), "unexpected reply") &&
                  strstr(wsp_client_errstr(c), "what?"), "%s", wsp_client_errstr(c));
    ck_assert_int_eq(send1(c, "mute", &rep), WSP_ERR_IO);
    ck_assert_msg(strstr(wsp_client_errstr(c), "timed out") != NULL, "%s",
                  wsp_client_errstr(c));
    /* Recovers on a new connection. */
    ck_assert_int_eq(send1(c, "ok", &rep), WSP_OK);
    ck_assert_str_eq(rep, "ok");
    wsp_client_free(c);
}
END_TEST

START_TEST(connection_refused)
{
    int port, fd = listen_any(&port);
    char addr[64], want[96];
    const char *rep;

    close(fd);   /* nothing listens on port now */
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
    wsp_client *c = wsp_client_new(addr, 1.0);
    ck_assert_int_eq(send1(c, "ok", &rep), WSP_ERR_IO);
    snprintf(want, sizeof(want), "connect to 127.0.0.1:%d failed: Connection refused", port);
    ck_assert_str_eq(wsp_client_errstr(c), want);
    wsp_client_free(c);
}
END_TEST

START_TEST(bad_addresses)
{
    wsp_client *c;
    char err[256];
    const char *rep;

    c = wsp_client_new("nonsense", 1.0);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(send1(c, "ok", &rep), WSP_ERR_IO);
    ck_assert_msg(strstr(wsp_client_errstr(c), "invalid push address") != NULL, "%s",
                  wsp_client_errstr(c));
    wsp_client_free(c);
    ck_assert_int_eq(wsp_client_new_ex("udp://x:1", 1.0, &c, err, sizeof(err)),
                     WSP_ERR_OPTION);
    ck_assert_ptr_null(c);
    ck_assert_int_eq(wsp_client_new_ex("localhost:0", 1.0, &c, err, sizeof(err)),
                     WSP_ERR_OPTION);
    ck_assert_int_eq(wsp_client_new_ex("tcp://localhost:5002", 1.0, &c, err, sizeof(err)),
                     WSP_OK);
    wsp_client_free(c);
    c = wsp_client_new("no-such-host.invalid:5002", 1.0);
    ck_assert_int_eq(send1(c, "ok", &rep), WSP_ERR_IO);
    ck_assert_msg(strstr(wsp_client_errstr(c), "resolve no-such-host.invalid:5002 failed")
                  != NULL, "%s", wsp_client_errstr(c));
    wsp_client_free(c);
}
END_TEST

START_TEST(hostname_resolves)
{
    char addr[64];
    const char *rep;
    snprintf(addr, sizeof(addr), "localhost:%d", S.port);
    wsp_client *c = wsp_client_new(addr, 2.0);
    ck_assert_int_eq(send1(c, "ok", &rep), WSP_OK);
    ck_assert_str_eq(rep, "ok");
    wsp_client_free(c);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("client");
    TCase *tc = tcase_create("client");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, single_and_reuse);
    tcase_add_test(tc, pipelined_in_order);
    tcase_add_test(tc, fail_and_newline);
    tcase_add_test(tc, close_after_fail_for_long_line);
    tcase_add_test(tc, reconnect_when_cached_dead);
    tcase_add_test(tc, bad_reply_and_timeout);
    tcase_add_test(tc, connection_refused);
    tcase_add_test(tc, bad_addresses);
    tcase_add_test(tc, hostname_resolves);
    suite_add_tcase(s, tc);
    return s;
}
