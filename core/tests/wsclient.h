/*
 * wsclient.h - the raw TCP and WebSocket client the loop-level C tests
 * (test_server.c, test_oom.c) talk to the server with: real sockets, a
 * masked client frame, one frame read at a time. Each test file keeps its
 * own policy on top (answer Pings or not, what a reply looks like). Also
 * the server configuration they start from.
 */
#ifndef WSP_TEST_WSCLIENT_H
#define WSP_TEST_WSCLIENT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <check.h>

#include "wsp.h"

/* The loop-level tests' server: both ports on 127.0.0.1, chosen by the
 * kernel; the memory store; no log files. Options after this override. */
static inline void test_config_base(wsp_config *cfg)
{
    char err[256];
    wsp_config_init(cfg);
    ck_assert_int_eq(wsp_config_set(cfg, "ws_listen", "127.0.0.1:0", err, sizeof err), 0);
    ck_assert_int_eq(wsp_config_set(cfg, "push_listen", "127.0.0.1:0", err, sizeof err), 0);
    ck_assert_int_eq(wsp_config_set(cfg, "store", "memory", err, sizeof err), 0);
    ck_assert_int_eq(wsp_config_set(cfg, "log_file", "", err, sizeof err), 0);
    ck_assert_int_eq(wsp_config_set(cfg, "close_log_file", "", err, sizeof err), 0);
}

/* A started server from cfg (freed here), and its two ports. */
static inline wsp_server *test_server_start(wsp_config *cfg, int *ws_port, int *push_port)
{
    char err[256];
    wsp_server *srv = wsp_server_new(cfg);
    wsp_config_free(cfg);
    ck_assert_ptr_nonnull(srv);
    int rc = wsp_server_start(srv, err, sizeof err);
    ck_assert_msg(rc == 0, "start: %s", err);
    *ws_port = wsp_server_ws_port(srv);
    *push_port = wsp_server_push_port(srv);
    return srv;
}

/* A TCP connection to 127.0.0.1:port; rcvbuf > 0 shrinks its receive buffer. */
static inline int tcp_connect(int port, int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (rcvbuf) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

static inline void write_all(int fd, const void *buf, size_t n)
{
    ck_assert_int_eq(write(fd, buf, n), (ssize_t)n);
}

/* Exactly n bytes; -1 on timeout or EOF. */
static inline int read_full(int fd, void *buf, size_t n, int timeout_ms)
{
    size_t got = 0;
    while (got < n) {
        struct pollfd p = { fd, POLLIN, 0 };
        if (poll(&p, 1, timeout_ms) <= 0) return -1;
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r <= 0) return -1;
        got += (size_t)r;
    }
    return 0;
}

/* One line without its newline; -1 on timeout or EOF. */
static inline int read_line(int fd, char *out, size_t cap, int timeout_ms)
{
    size_t n = 0;
    for (;;) {
        if (read_full(fd, out + n, 1, timeout_ms) < 0) return -1;
        if (out[n] == '\n') break;
        if (++n == cap - 1) break;
    }
    out[n] = 0;
    return (int)n;
}

/* A masked client frame of len < 65536 bytes into f; returns its size. */
static inline size_t ws_frame(uint8_t *f, int opcode, const void *data, size_t len)
{
    size_t h = 0;
    f[h++] = 0x80 | opcode;
    if (len < 126) f[h++] = 0x80 | len;
    else { f[h++] = 0x80 | 126; f[h++] = len >> 8; f[h++] = len & 0xff; }
    static const uint8_t mask[4] = { 0x12, 0x34, 0x56, 0x78 };
    memcpy(f + h, mask, 4); h += 4;
    for (size_t i = 0; i < len; i++) f[h + i] = ((const uint8_t *)data)[i] ^ mask[i % 4];
    return h + len;
}

static inline void ws_send(int fd, int opcode, const void *data, size_t len)
{
    uint8_t f[16 + 1024];
    ck_assert_uint_le(len, 1024);
    write_all(fd, f, ws_frame(f, opcode, data, len));
}

/* A WebSocket on port after a checked 101, then key sent as the bind
 * message (none when NULL). */
static inline int ws_open(int port, const char *key, int rcvbuf)
{
    int fd = tcp_connect(port, rcvbuf);
    const char *req = "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    write_all(fd, req, strlen(req));
    char buf[1024];
    size_t n = 0;
    while (n < 4 || memcmp(buf + n - 4, "\r\n\r\n", 4) != 0) {
        ck_assert_uint_lt(n, sizeof buf - 1);
        ck_assert_int_eq(read_full(fd, buf + n, 1, 3000), 0);
        n++;
    }
    buf[n] = 0;
    ck_assert_ptr_nonnull(strstr(buf, " 101 "));
    ck_assert_ptr_nonnull(strstr(buf, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
    if (key) ws_send(fd, 1, key, strlen(key));
    return fd;
}

/* One server frame into out (NUL-terminated): its opcode, or -1 on
 * timeout or EOF. */
static inline int ws_recv(int fd, char *out, size_t cap, size_t *len, int timeout_ms)
{
    uint8_t h[2];
    if (read_full(fd, h, 2, timeout_ms) < 0) return -1;
    uint64_t n = h[1] & 0x7f;
    if (n == 126) {
        uint8_t e[2];
        if (read_full(fd, e, 2, timeout_ms) < 0) return -1;
        n = (e[0] << 8) | e[1];
    } else if (n == 127) {
        uint8_t e[8];
        if (read_full(fd, e, 8, timeout_ms) < 0) return -1;
        n = 0;
        for (int i = 0; i < 8; i++) n = (n << 8) | e[i];
    }
    ck_assert_uint_lt(n, cap);
    if (n && read_full(fd, out, n, timeout_ms) < 0) return -1;
    out[n] = 0;
    *len = n;
    return h[0] & 0x0f;
}

#endif
