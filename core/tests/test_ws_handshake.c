/* test_ws_handshake.c - the opening handshake: RFC 6455 example key, header
 * rules, incomplete and oversized heads, responses. */
#include <stdio.h>
#include <string.h>
#include "testutil.h"
#include "../ws_handshake.h"

static const char *good_req =
    "GET /chat?x=1 HTTP/1.1\r\n"
    "Host: server.example.com\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Origin: http://example.com\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "\r\n";

static int parse_str(const char *s, wsp_ws_request *req)
{
    return wsp_ws_handshake_parse(s, strlen(s), req);
}

/* Build a request from the good one with one header line replaced (or
 * dropped when repl is ""). */
static void with_header(char *out, size_t cap, const char *name, const char *repl)
{
    const char *p = good_req;
    size_t o = 0;
    while (*p) {
        const char *eol = strstr(p, "\r\n");
        size_t n = (size_t)(eol - p) + 2;
        if (strncmp(p, name, strlen(name)) == 0 && p[strlen(name)] == ':') {
            if (*repl)
                o += (size_t)snprintf(out + o, cap - o, "%s\r\n", repl);
        } else {
            o += (size_t)snprintf(out + o, cap - o, "%.*s", (int)n, p);
        }
        p += n;
    }
}

START_TEST(test_rfc_example_key)
{
    char out[29];
    const char *key = "dGhlIHNhbXBsZSBub25jZQ==";
    wsp_ws_accept_key(key, strlen(key), out);
    ck_assert_str_eq(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}
END_TEST

START_TEST(test_good_request)
{
    wsp_ws_request req;
    int rc = parse_str(good_req, &req);
    ck_assert_int_eq(rc, (int)strlen(good_req));
    ck_assert_str_eq(req.path, "/chat?x=1");
    ck_assert_str_eq(req.origin, "http://example.com");
    ck_assert_str_eq(req.accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");

    char resp[256];
    size_t n = wsp_ws_handshake_response(&req, resp, sizeof(resp));
    const char *expect =
        "HTTP/1.1 101 Switching Protocols\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
        "\r\n";
    ck_assert_uint_eq(n, strlen(expect));
    ck_assert_str_eq(resp, expect);
    ck_assert_uint_eq(wsp_ws_handshake_response(&req, resp, 20), 0);
}
END_TEST

START_TEST(test_trailing_frame_bytes)
{
    char buf[1024];
    size_t n = strlen(good_req);
    memcpy(buf, good_req, n);
    memcpy(buf + n, "\x81\x85\x37\xfa", 4);
    wsp_ws_request req;
    ck_assert_int_eq(wsp_ws_handshake_parse(buf, n + 4, &req), (int)n);
}
END_TEST

START_TEST(test_incomplete)
{
    wsp_ws_request req;
    size_t n = strlen(good_req);
    /* Every proper prefix needs more bytes. */
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(wsp_ws_handshake_parse(good_req, i, &req), 0);
}
END_TEST

START_TEST(test_case_insensitive_and_lists)
{
    const char *r =
        "GET / HTTP/1.1\r\n"
        "hOsT: a\r\n"
        "UPGRADE:   WebSocket  \r\n"
        "connection: keep-alive, UPGRADE\r\n"
        "sec-websocket-key:dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "SEC-WEBSOCKET-VERSION: 13\r\n"
        "\r\n";
    wsp_ws_request req;
    ck_assert_int_gt(parse_str(r, &req), 0);
    ck_assert_str_eq(req.accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    ck_assert_str_eq(req.origin, "");

    /* Bare LF line ends and a leading empty line are tolerated. */
    const char *lf =
        "\r\nGET /lf HTTP/1.1\n"
        "Upgrade: websocket\n"
        "Connection: Upgrade\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\n"
        "Sec-WebSocket-Version: 13\n"
        "\n";
    ck_assert_int_eq(parse_str(lf, &req), (int)strlen(lf));
    ck_assert_str_eq(req.path, "/lf");
}
END_TEST

START_TEST(test_bad_requests)
{
    char buf[2048];
    wsp_ws_request req;

    static const char *lines[] = {
        "POST /chat HTTP/1.1", "get /chat HTTP/1.1", "GET /chat HTTP/1.0",
        "GET /chat HTTP/0.9", "GET /chat", "GET  HTTP/1.1", "GET /a b HTTP/1.1",
        "GET /chat HTTP/1.1 x", "GET /chat HTTX/1.1",
    };
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        snprintf(buf, sizeof(buf), "%s\r\n%s", lines[i], strstr(good_req, "\r\n") + 2);
        ck_assert_int_eq(parse_str(buf, &req), -400);
    }
    /* HTTP/2.0 in the request line is "later than 1.1". */
    snprintf(buf, sizeof(buf), "GET / HTTP/2.0\r\n%s", strstr(good_req, "\r\n") + 2);
    ck_assert_int_gt(parse_str(buf, &req), 0);

    struct { const char *name, *repl; int rc; } cases[] = {
        { "Upgrade", "", -400 },
        { "Upgrade", "Upgrade: h2c", -400 },
        { "Upgrade", "Upgrade: websocketx", -400 },
        { "Connection", "", -400 },
        { "Connection", "Connection: keep-alive", -400 },
        { "Connection", "Connection: upgraded", -400 },
        { "Sec-WebSocket-Key", "", -400 },
        { "Sec-WebSocket-Key", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=", -400 },
        { "Sec-WebSocket-Key", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ", -400 },
        { "Sec-WebSocket-Key", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25j*Q==", -400 },
        { "Sec-WebSocket-Key", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", -400 },
        { "Sec-WebSocket-Version", "", -426 },
        { "Sec-WebSocket-Version", "Sec-WebSocket-Version: 8", -426 },
        { "Sec-WebSocket-Version", "Sec-WebSocket-Version: 13, 8", -426 },
        { "Host", "Host : x", -400 },          /* space before the colon */
        { "Host", " folded", -400 },           /* obsolete line folding */
        { "Host", "no colon here", -400 },
        { "Host", ": empty name", -400 },
        { "Host", "Host: a\rb", -400 },        /* stray CR */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        with_header(buf, sizeof(buf), cases[i].name, cases[i].repl);
        ck_assert_msg(parse_str(buf, &req) == cases[i].rc, "case %zu", i);
    }

    /* A NUL inside a header line. */
    char nul[512];
    size_t n = strlen(good_req);
    memcpy(nul, good_req, n);
    nul[20] = '\0';
    ck_assert_int_eq(wsp_ws_handshake_parse(nul, n, &req), -400);
}
END_TEST

START_TEST(test_size_limit)
{
    wsp_ws_request req;
    size_t cap = WSP_WS_HANDSHAKE_MAX * 2;
    char *buf = malloc(cap);
    size_t o = (size_t)snprintf(buf, cap, "%.*s", (int)(strstr(good_req, "\r\n\r\n") - good_req + 2), good_req);

    /* Pad with a long header until the head would exceed the limit. */
    o += (size_t)snprintf(buf + o, cap - o, "X-Pad: ");
    while (o < WSP_WS_HANDSHAKE_MAX + 100)
        buf[o++] = 'a';
    /* No end yet, but already too large: refuse instead of waiting. */
    ck_assert_int_eq(wsp_ws_handshake_parse(buf, WSP_WS_HANDSHAKE_MAX - 1, &req), 0);
    ck_assert_int_eq(wsp_ws_handshake_parse(buf, WSP_WS_HANDSHAKE_MAX, &req), -400);
    memcpy(buf + o, "\r\n\r\n", 4);
    ck_assert_int_eq(wsp_ws_handshake_parse(buf, o + 4, &req), -400);

    /* A head of exactly the limit is accepted. */
    o = (size_t)snprintf(buf, cap, "%.*s", (int)(strstr(good_req, "\r\n\r\n") - good_req + 2), good_req);
    o += (size_t)snprintf(buf + o, cap - o, "X-Pad: ");
    while (o < WSP_WS_HANDSHAKE_MAX - 4)
        buf[o++] = 'a';
    memcpy(buf + o, "\r\n\r\n", 4);
    ck_assert_int_eq(wsp_ws_handshake_parse(buf, o + 4, &req), WSP_WS_HANDSHAKE_MAX);

    /* An endless stream of empty lines is refused too. */
    memset(buf, '\n', WSP_WS_HANDSHAKE_MAX);
    ck_assert_int_eq(wsp_ws_handshake_parse(buf, WSP_WS_HANDSHAKE_MAX, &req), -400);
    free(buf);
}
END_TEST

START_TEST(test_long_fields_truncated)
{
    char buf[4096], path[1200], origin[600];
    memset(path, 'p', sizeof(path) - 1);
    path[0] = '/';
    path[sizeof(path) - 1] = '\0';
    memset(origin, 'o', sizeof(origin) - 1);
    origin[sizeof(origin) - 1] = '\0';
    snprintf(buf, sizeof(buf),
             "GET %s HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: %s\r\n"
             "Sec-WebSocket-Version: 13\r\n\r\n", path, origin);
    wsp_ws_request req;
    ck_assert_int_gt(parse_str(buf, &req), 0);
    ck_assert_uint_eq(strlen(req.path), sizeof(req.path) - 1);
    ck_assert_uint_eq(strlen(req.origin), sizeof(req.origin) - 1);
}
END_TEST

START_TEST(test_error_responses)
{
    char out[512];
    size_t n = wsp_ws_handshake_error(400, out, sizeof(out));
    ck_assert_uint_eq(n, strlen(out));
    ck_assert(strncmp(out, "HTTP/1.1 400 Bad Request\r\n", 26) == 0);
    ck_assert(strstr(out, "\r\n\r\n") == out + n - 4);

    n = wsp_ws_handshake_error(-426, out, sizeof(out));
    ck_assert(strncmp(out, "HTTP/1.1 426 Upgrade Required\r\n", 31) == 0);
    ck_assert(strstr(out, "Sec-WebSocket-Version: 13\r\n") != NULL);
    ck_assert_uint_eq(n, strlen(out));

    n = wsp_ws_handshake_error(500, out, sizeof(out));
    ck_assert(strncmp(out, "HTTP/1.1 500 ", 13) == 0);
    ck_assert_uint_eq(wsp_ws_handshake_error(400, out, 10), 0);
}
END_TEST

/* The whole request target, however long (the signed query of
 * auth_secret), and the Origin checks of allowed_origins. */
START_TEST(test_target_and_origin)
{
    wsp_ws_request req;
    char buf[6000];
    char target[3000];
    memset(target, 'a', sizeof(target) - 1);
    target[0] = '/';
    target[1] = '?';
    target[sizeof(target) - 1] = '\0';
    snprintf(buf, sizeof(buf), "\r\nGET %s HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
             "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
             "Sec-WebSocket-Version: 13\r\n\r\n", target);
    ck_assert_int_gt(parse_str(buf, &req), 0);
    ck_assert_uint_eq(req.target_len, strlen(target));
    ck_assert(memcmp(buf + req.target_off, target, req.target_len) == 0);
    ck_assert_int_eq(req.has_origin, 0);
    ck_assert_int_eq(wsp_ws_origin_allowed("https://a.example", &req), 1);   /* no Origin */

    ck_assert_int_gt(parse_str(good_req, &req), 0);
    ck_assert(memcmp(good_req + req.target_off, "/chat?x=1", 9) == 0 && req.target_len == 9);
    ck_assert_int_eq(wsp_ws_origin_allowed("http://example.com", &req), 1);
    ck_assert_int_eq(wsp_ws_origin_allowed("https://x.example , HTTP://EXAMPLE.COM", &req), 1);
    ck_assert_int_eq(wsp_ws_origin_allowed("http://example.co", &req), 0);
    ck_assert_int_eq(wsp_ws_origin_allowed("http://example.com:80", &req), 0);
    ck_assert_int_eq(wsp_ws_origin_allowed("http://example.comx,https://example.com", &req), 0);

    /* two Origin headers match nothing, not even the first */
    char two[1024];
    with_header(two, sizeof(two), "Origin",
                "Origin: http://example.com\r\nOrigin: http://example.com");
    ck_assert_int_gt(parse_str(two, &req), 0);
    ck_assert_int_eq(wsp_ws_origin_allowed("http://example.com", &req), 0);

    char out[256];
    size_t n = wsp_ws_handshake_error(403, out, sizeof(out));
    ck_assert_uint_gt(n, 0);
    ck_assert(strncmp(out, "HTTP/1.1 403 Forbidden\r\n", 24) == 0);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("ws_handshake");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_rfc_example_key);
    tcase_add_test(tc, test_good_request);
    tcase_add_test(tc, test_trailing_frame_bytes);
    tcase_add_test(tc, test_incomplete);
    tcase_add_test(tc, test_case_insensitive_and_lists);
    tcase_add_test(tc, test_bad_requests);
    tcase_add_test(tc, test_size_limit);
    tcase_add_test(tc, test_long_fields_truncated);
    tcase_add_test(tc, test_error_responses);
    tcase_add_test(tc, test_target_and_origin);
    suite_add_tcase(s, tc);
    return s;
}
