/*
 * test_accept.c - accept.c's per-address connection table over real
 * sockets: a real server thread, TCP clients bound to different loopback
 * addresses (all of 127.0.0.0/8 reaches 127.0.0.1 on Linux).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "wsp.h"

static wsp_server *srv;
static int ws_port;

static void start_server(const char *per_ip)
{
    wsp_config cfg;
    char err[256];
    wsp_config_init(&cfg);
    ck_assert_int_eq(wsp_config_set(&cfg, "ws_listen", "127.0.0.1:0", err, sizeof err), 0);
    ck_assert_int_eq(wsp_config_set(&cfg, "push_listen", "127.0.0.1:0", err, sizeof err), 0);
    ck_assert_int_eq(wsp_config_set(&cfg, "store", "memory", err, sizeof err), 0);
    ck_assert_int_eq(wsp_config_set(&cfg, "log_file", "", err, sizeof err), 0);
    ck_assert_int_eq(wsp_config_set(&cfg, "close_log_file", "", err, sizeof err), 0);
    ck_assert_int_eq(wsp_config_set(&cfg, "max_connections_per_ip", per_ip, err, sizeof err), 0);
    srv = wsp_server_new(&cfg);
    wsp_config_free(&cfg);
    ck_assert_ptr_nonnull(srv);
    ck_assert_msg(wsp_server_start(srv, err, sizeof err) == 0, "start: %s", err);
    ws_port = wsp_server_ws_port(srv);
}

static void stop_server(void)
{
    wsp_server_stop(srv, 0);
    wsp_server_free(srv);
    srv = NULL;
}

static wsp_stats stats(void)
{
    wsp_stats s;
    ck_assert_int_eq(wsp_server_stats(srv, &s), 0);
    return s;
}

/* Wait (up to 5 s) until the server counts n open WebSocket connections. */
static void wait_connections(uint64_t n)
{
    struct timespec t0, t, nap = { 0, 2 * 1000 * 1000 };
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        if (stats().connections == n) return;
        clock_gettime(CLOCK_MONOTONIC, &t);
        ck_assert_msg(t.tv_sec - t0.tv_sec < 5, "connections %llu, want %llu",
                      (unsigned long long)stats().connections, (unsigned long long)n);
        nanosleep(&nap, NULL);
    }
}

/* A TCP connection to the WebSocket port from 127.a.b.c. */
static int connect_from(int a, int b, int c)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in me = { .sin_family = AF_INET }, to = { .sin_family = AF_INET };
    ck_assert_int_ge(fd, 0);
    me.sin_addr.s_addr = htonl((127u << 24) | ((unsigned)a << 16) | ((unsigned)b << 8) | (unsigned)c);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&me, sizeof me), 0);
    to.sin_port = htons(ws_port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&to, sizeof to), 0);
    return fd;
}

/* 1 when the server closed fd (EOF or reset) within 3 s, 0 if still open. */
static int closed_by_server(int fd)
{
    struct pollfd p = { fd, POLLIN, 0 };
    char b;
    if (poll(&p, 1, 3000) <= 0) return 0;
    ssize_t r = recv(fd, &b, 1, 0);
    return r == 0 || (r < 0 && errno == ECONNRESET);
}

START_TEST(per_address_limit_counts_and_releases)
{
    start_server("2");
    int a1 = connect_from(0, 0, 2), a2 = connect_from(0, 0, 2);
    wait_connections(2);
    int a3 = connect_from(0, 0, 2);   /* third from the same address: refused */
    ck_assert(closed_by_server(a3));
    ck_assert_uint_eq(stats().rejected_per_ip, 1);
    int b1 = connect_from(0, 0, 3);   /* another address has its own count */
    wait_connections(3);
    close(a1);                        /* a slot of 127.0.0.2 is released ... */
    wait_connections(2);
    int a4 = connect_from(0, 0, 2);   /* ... and can be used again */
    wait_connections(3);
    ck_assert_uint_eq(stats().rejected_per_ip, 1);
    int a5 = connect_from(0, 0, 2);
    ck_assert(closed_by_server(a5));
    ck_assert_uint_eq(stats().rejected_per_ip, 2);
    close(a2); close(a3); close(a4); close(a5); close(b1);
    wait_connections(0);
    stop_server();
}
END_TEST

/* More addresses than the table's first 256 buckets: it grows and rehashes,
 * and every address is still found (limited), then freed when it closes. */
#define NADDR 300
START_TEST(table_grows_and_entries_are_freed)
{
    static int fds[NADDR];
    start_server("1");
    for (int i = 0; i < NADDR; i++) fds[i] = connect_from(1, i / 200, 1 + i % 200);
    wait_connections(NADDR);
    ck_assert_uint_eq(stats().rejected_per_ip, 0);
    const int again[] = { 0, 137, 255, NADDR - 1 };
    for (size_t k = 0; k < sizeof again / sizeof again[0]; k++) {
        int i = again[k], fd = connect_from(1, i / 200, 1 + i % 200);
        ck_assert_msg(closed_by_server(fd), "second connection from address %d accepted", i);
        close(fd);
    }
    ck_assert_uint_eq(stats().rejected_per_ip, 4);
    for (int i = 0; i < NADDR; i++) close(fds[i]);
    wait_connections(0);
    /* every entry was dropped with its last connection: each address starts at 0 */
    for (size_t k = 0; k < sizeof again / sizeof again[0]; k++) {
        int i = again[k];
        fds[k] = connect_from(1, i / 200, 1 + i % 200);
    }
    wait_connections(4);
    ck_assert_uint_eq(stats().rejected_per_ip, 4);
    for (size_t k = 0; k < sizeof again / sizeof again[0]; k++) close(fds[k]);
    wait_connections(0);
    stop_server();
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("accept");
    TCase *tc = tcase_create("per_address");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, per_address_limit_counts_and_releases);
    tcase_add_test(tc, table_grows_and_entries_are_freed);
    suite_add_tcase(s, tc);
    return s;
}
