/* test_ws_frame.c - the RFC 6455 frame codec: scripted byte streams in,
 * events and close codes out; every stream is also fed in small chunks and
 * byte by byte, which must give the same events. */
#include <stdio.h>
#include <string.h>
#include "testutil.h"
#include "../ws_frame.h"

#define FIN 0x80
#define MAX_EVENTS 32

/* ---- building client frames ------------------------------------------ */

static uint8_t mask_seed = 1;

/* Write a client frame with first byte b0; masked unless told otherwise. */
static size_t frame_ex(uint8_t *out, uint8_t b0, const void *payload, size_t n,
                       int masked)
{
    const uint8_t *pl = payload;
    uint8_t key[4] = { 0x37, mask_seed, 0x21, (uint8_t)(mask_seed * 7) };
    size_t o = 0;

    mask_seed++;
    out[o++] = b0;
    uint8_t mbit = masked ? 0x80 : 0;
    if (n < 126) {
        out[o++] = mbit | (uint8_t)n;
    } else if (n <= 0xFFFF) {
        out[o++] = mbit | 126;
        out[o++] = (uint8_t)(n >> 8);
        out[o++] = (uint8_t)n;
    } else {
        out[o++] = mbit | 127;
        for (int i = 7; i >= 0; i--)
            out[o++] = (uint8_t)((uint64_t)n >> (8 * i));
    }
    if (masked) {
        memcpy(out + o, key, 4);
        o += 4;
    }
    for (size_t i = 0; i < n; i++)
        out[o + i] = masked ? pl[i] ^ key[i % 4] : pl[i];
    return o + n;
}

static size_t frame(uint8_t *out, uint8_t b0, const void *payload, size_t n)
{
    return frame_ex(out, b0, payload, n, 1);
}

static size_t frame_s(uint8_t *out, uint8_t b0, const char *s)
{
    return frame(out, b0, s, strlen(s));
}

/* ---- feeding like a connection does ----------------------------------- */

typedef struct rec {
    int type, opcode, code;
    size_t len;
    uint8_t *data;
} rec;

typedef struct result {
    int rc;            /* last return: 0 or -(close code) */
    size_t left;       /* bytes kept for later at the end */
    int n;
    rec ev[MAX_EVENTS];
} result;

static void result_free(result *r)
{
    for (int i = 0; i < r->n; i++)
        free(r->ev[i].data);
    r->n = 0;
}

/* Feed stream in chunks of chunk bytes (0: all at once), keeping the
 * unconsumed rest and appending to it, as the connection code will. */
static void run(const uint8_t *stream, size_t n, size_t chunk, size_t max_frame,
                result *r)
{
    wsp_ws_parser p;
    uint8_t *pending = malloc(n + 1);
    size_t plen = 0, pos = 0;

    memset(r, 0, sizeof(*r));
    wsp_ws_parser_init(&p, max_frame);
    while (pos < n && r->rc == 0) {
        size_t k = chunk == 0 || chunk > n - pos ? n - pos : chunk;
        memcpy(pending + plen, stream + pos, k);
        plen += k;
        pos += k;
        for (;;) {
            size_t used = 0;
            wsp_ws_event ev;
            int rc = wsp_ws_parse(&p, pending, plen, &used, &ev);
            ck_assert(used <= plen);
            if (rc < 0) {
                r->rc = rc;
                break;
            }
            if (rc == 1) {
                ck_assert_int_lt(r->n, MAX_EVENTS);
                rec *e = &r->ev[r->n++];
                e->type = ev.type;
                e->opcode = ev.opcode;
                e->code = ev.close_code;
                e->len = ev.len;
                e->data = malloc(ev.len + 1);
                if (ev.len)
                    memcpy(e->data, ev.data, ev.len);
            }
            if (used > 0) {
                memmove(pending, pending + used, plen - used);
                plen -= used;
            }
            if (rc == 0)
                break;
        }
    }
    r->left = plen;
    wsp_ws_parser_free(&p);
    free(pending);
}

static void assert_same(const result *a, const result *b)
{
    ck_assert_int_eq(a->rc, b->rc);
    ck_assert_int_eq(a->n, b->n);
    if (a->rc == 0)
        ck_assert_uint_eq(a->left, b->left);
    for (int i = 0; i < a->n; i++) {
        ck_assert_int_eq(a->ev[i].type, b->ev[i].type);
        ck_assert_int_eq(a->ev[i].opcode, b->ev[i].opcode);
        ck_assert_int_eq(a->ev[i].code, b->ev[i].code);
        ck_assert_uint_eq(a->ev[i].len, b->ev[i].len);
        ck_assert(memcmp(a->ev[i].data, b->ev[i].data, a->ev[i].len) == 0);
    }
}

/* Run whole, then in chunks of 1, 2, 3, 7 and 100 bytes; all must agree.
 * The whole-feed result is left in r. */
static void run_all(const uint8_t *stream, size_t n, size_t max_frame, result *r)
{
    static const size_t chunks[] = { 1, 2, 3, 7, 100, 4093 };
    run(stream, n, 0, max_frame, r);
    for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
        result o;
        run(stream, n, chunks[i], max_frame, &o);
        assert_same(r, &o);
        result_free(&o);
    }
}

/* Expect a stream to give this many events, then close code (0: none). */
static void expect(const uint8_t *stream, size_t n, size_t max_frame,
                        int events, int code)
{
    result r;
    run_all(stream, n, max_frame, &r);
    ck_assert_int_eq(r.rc, -code);
    ck_assert_int_eq(r.n, events);
    result_free(&r);
}

/* One masked frame alone in the stream: events, then close code. */
static void expect_frame(uint8_t b0, const void *payload, size_t len,
                         size_t max_frame, int events, int code)
{
    uint8_t *buf = malloc(len + 14);
    expect(buf, frame(buf, b0, payload, len), max_frame, events, code);
    free(buf);
}

static void expect_frame_s(uint8_t b0, const char *s, int events, int code)
{
    expect_frame(b0, s, strlen(s), 1024, events, code);
}

/* ---- tests -------------------------------------------------------------- */

START_TEST(test_single_text_zero_copy)
{
    uint8_t buf[64];
    size_t n = frame_s(buf, FIN | WSP_WS_OP_TEXT, "Hello");
    wsp_ws_parser p;
    wsp_ws_event ev;
    size_t used;

    wsp_ws_parser_init(&p, 1024);
    ck_assert_int_eq(wsp_ws_parse(&p, buf, n, &used, &ev), 1);
    ck_assert_uint_eq(used, n);
    ck_assert_int_eq(ev.type, WSP_WS_EV_MESSAGE);
    ck_assert_int_eq(ev.opcode, WSP_WS_OP_TEXT);
    ck_assert_uint_eq(ev.len, 5);
    ck_assert(ev.data == buf + 6);             /* no copy: points into buf */
    ck_assert(memcmp(ev.data, "Hello", 5) == 0);
    /* Nothing left: need more, nothing consumed. */
    ck_assert_int_eq(wsp_ws_parse(&p, buf + used, 0, &used, &ev), 0);
    ck_assert_uint_eq(used, 0);
    wsp_ws_parser_free(&p);
}
END_TEST

START_TEST(test_rfc_examples_and_lengths)
{
    /* RFC 6455 5.7: masked "Hello". */
    uint8_t hello[] = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 };
    result r;
    run_all(hello, sizeof(hello), 1024, &r);
    ck_assert_int_eq(r.rc, 0);
    ck_assert_int_eq(r.n, 1);
    ck_assert(memcmp(r.ev[0].data, "Hello", 5) == 0);
    result_free(&r);

    /* Empty, 125, 126 (16-bit), 65535 and 70000 (64-bit) byte payloads. */
    static const size_t sizes[] = { 0, 125, 126, 65535, 65536, 70000 };
    size_t total = 0;
    uint8_t *stream = malloc(300000);
    uint8_t *pl = malloc(70000);
    for (size_t i = 0; i < 70000; i++)
        pl[i] = (uint8_t)(i * 31 + 7);
    for (size_t i = 0; i < 6; i++)
        total += frame(stream + total, FIN | WSP_WS_OP_BINARY, pl, sizes[i]);
    run_all(stream, total, 100000, &r);
    ck_assert_int_eq(r.rc, 0);
    ck_assert_int_eq(r.n, 6);
    for (size_t i = 0; i < 6; i++) {
        ck_assert_int_eq(r.ev[i].opcode, WSP_WS_OP_BINARY);
        ck_assert_uint_eq(r.ev[i].len, sizes[i]);
        ck_assert(memcmp(r.ev[i].data, pl, sizes[i]) == 0);
    }
    result_free(&r);
    free(stream);
    free(pl);
}
END_TEST

START_TEST(test_rsv_bits)
{
    uint8_t buf[32];
    for (int rsv = 1; rsv <= 7; rsv++)
        expect_frame_s((uint8_t)(FIN | (rsv << 4) | WSP_WS_OP_TEXT), "x", 0, 1002);
    /* On a control frame too, and the first byte alone is enough. */
    size_t n = frame_s(buf, FIN | 0x40 | WSP_WS_OP_PING, "");
    expect(buf, 1, 1024, 0, 1002);             /* known from 1 byte */
    expect(buf, n, 1024, 0, 1002);
}
END_TEST

START_TEST(test_reserved_opcodes)
{
    static const int ops[] = { 3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF };
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        expect_frame_s((uint8_t)(FIN | ops[i]), "", 0, 1002);
        expect_frame_s((uint8_t)ops[i], "abc", 0, 1002);
    }
}
END_TEST

START_TEST(test_unmasked)
{
    uint8_t buf[32];
    size_t n = frame_ex(buf, FIN | WSP_WS_OP_TEXT, "hi", 2, 0);
    expect(buf, n, 1024, 0, 1002);
    n = frame_ex(buf, FIN | WSP_WS_OP_PING, "", 0, 0);
    expect(buf, n, 1024, 0, 1002);
}
END_TEST

START_TEST(test_control_rules)
{
    uint8_t buf[400], pl[200];
    memset(pl, 'p', sizeof(pl));

    /* 125 is the largest control payload. */
    size_t n = frame(buf, FIN | WSP_WS_OP_PING, pl, 125);
    result r;
    run_all(buf, n, 1024, &r);
    ck_assert_int_eq(r.rc, 0);
    ck_assert_int_eq(r.n, 1);
    ck_assert_int_eq(r.ev[0].type, WSP_WS_EV_PING);
    ck_assert_uint_eq(r.ev[0].len, 125);
    result_free(&r);

    n = frame(buf, FIN | WSP_WS_OP_PING, pl, 126);
    expect(buf, n, 1024, 0, 1002);
    expect(buf, 2, 1024, 0, 1002);             /* known from 2 bytes */
    expect_frame(FIN | WSP_WS_OP_PONG, pl, 200, 1024, 0, 1002);
    expect_frame(FIN | WSP_WS_OP_CLOSE, pl, 126, 1024, 0, 1002);

    /* Fragmented control frames. */
    expect_frame(WSP_WS_OP_PING, pl, 3, 1024, 0, 1002);
    expect_frame(WSP_WS_OP_PONG, pl, 0, 1024, 0, 1002);
    expect_frame(WSP_WS_OP_CLOSE, pl, 0, 1024, 0, 1002);

    /* A pong is reported with its payload. */
    n = frame_s(buf, FIN | WSP_WS_OP_PONG, "pong!");
    run_all(buf, n, 1024, &r);
    ck_assert_int_eq(r.n, 1);
    ck_assert_int_eq(r.ev[0].type, WSP_WS_EV_PONG);
    ck_assert(memcmp(r.ev[0].data, "pong!", 5) == 0);
    result_free(&r);
}
END_TEST

START_TEST(test_continuation_rules)
{
    uint8_t buf[128];
    size_t n;

    /* Continuation with nothing to continue, final or not. */
    expect_frame_s(FIN | WSP_WS_OP_CONT, "x", 0, 1002);
    expect_frame_s(WSP_WS_OP_CONT, "x", 0, 1002);

    /* After a complete message, a continuation is again orphaned. */
    n = frame_s(buf, WSP_WS_OP_TEXT, "a");
    n += frame_s(buf + n, FIN | WSP_WS_OP_CONT, "b");
    n += frame_s(buf + n, FIN | WSP_WS_OP_CONT, "c");
    expect(buf, n, 1024, 1, 1002);

    /* A new data frame inside a fragmented message. */
    n = frame_s(buf, WSP_WS_OP_TEXT, "a");
    n += frame_s(buf + n, FIN | WSP_WS_OP_TEXT, "b");
    expect(buf, n, 1024, 0, 1002);
    n = frame_s(buf, WSP_WS_OP_BINARY, "a");
    n += frame_s(buf + n, WSP_WS_OP_BINARY, "b");
    expect(buf, n, 1024, 0, 1002);
}
END_TEST

START_TEST(test_fragments_with_control)
{
    uint8_t buf[256];
    size_t n = 0;

    n += frame_s(buf + n, WSP_WS_OP_TEXT, "frag1 ");
    n += frame_s(buf + n, FIN | WSP_WS_OP_PING, "ping-1");
    n += frame_s(buf + n, WSP_WS_OP_CONT, "frag2 ");
    n += frame_s(buf + n, FIN | WSP_WS_OP_PONG, "");
    n += frame_s(buf + n, WSP_WS_OP_CONT, "");   /* empty fragments are fine */
    n += frame_s(buf + n, FIN | WSP_WS_OP_CONT, "frag3");
    n += frame(buf + n, FIN | WSP_WS_OP_BINARY, "\xff\x00", 2);

    result r;
    run_all(buf, n, 1024, &r);
    ck_assert_int_eq(r.rc, 0);
    ck_assert_uint_eq(r.left, 0);
    ck_assert_int_eq(r.n, 4);
    ck_assert_int_eq(r.ev[0].type, WSP_WS_EV_PING);
    ck_assert_uint_eq(r.ev[0].len, 6);
    ck_assert(memcmp(r.ev[0].data, "ping-1", 6) == 0);
    ck_assert_int_eq(r.ev[1].type, WSP_WS_EV_PONG);
    ck_assert_int_eq(r.ev[2].type, WSP_WS_EV_MESSAGE);
    ck_assert_int_eq(r.ev[2].opcode, WSP_WS_OP_TEXT);
    ck_assert_uint_eq(r.ev[2].len, 17);
    ck_assert(memcmp(r.ev[2].data, "frag1 frag2 frag3", 17) == 0);
    ck_assert_int_eq(r.ev[3].opcode, WSP_WS_OP_BINARY);
    ck_assert_uint_eq(r.ev[3].len, 2);
    result_free(&r);
}
END_TEST

START_TEST(test_absorbed_fragment_consumes)
{
    uint8_t buf[64];
    size_t n1 = frame_s(buf, WSP_WS_OP_BINARY, "abc");
    size_t n2 = frame_s(buf + n1, FIN | WSP_WS_OP_CONT, "def");
    wsp_ws_parser p;
    wsp_ws_event ev;
    size_t used;

    wsp_ws_parser_init(&p, 1024);
    /* The first fragment and half of the second: 0 with the fragment used. */
    ck_assert_int_eq(wsp_ws_parse(&p, buf, n1 + 3, &used, &ev), 0);
    ck_assert_uint_eq(used, n1);
    ck_assert_int_eq(wsp_ws_parse(&p, buf + n1, n2, &used, &ev), 1);
    ck_assert_uint_eq(used, n2);
    ck_assert_uint_eq(ev.len, 6);
    ck_assert(memcmp(ev.data, "abcdef", 6) == 0);
    wsp_ws_parser_free(&p);
}
END_TEST

START_TEST(test_close_frames)
{
    uint8_t buf[256], pl[130];
    size_t n;
    result r;

    /* Empty close: 1005. Then code and reason. */
    n = frame(buf, FIN | WSP_WS_OP_CLOSE, "", 0);
    n += frame(buf + n, FIN | WSP_WS_OP_CLOSE, "\x03\xe8" "bye \xc3\xa9", 8);
    run_all(buf, n, 1024, &r);
    ck_assert_int_eq(r.n, 2);
    ck_assert_int_eq(r.ev[0].type, WSP_WS_EV_CLOSE);
    ck_assert_int_eq(r.ev[0].code, 1005);
    ck_assert_uint_eq(r.ev[0].len, 0);
    ck_assert_int_eq(r.ev[1].code, 1000);
    ck_assert_uint_eq(r.ev[1].len, 6);
    ck_assert(memcmp(r.ev[1].data, "bye \xc3\xa9", 6) == 0);
    result_free(&r);

    /* One byte of payload: no room for a code. */
    expect_frame(FIN | WSP_WS_OP_CLOSE, "\x03", 1, 1024, 0, 1002);

    static const int good[] = { 1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010,
                                1011, 3000, 3999, 4000, 4999 };
    static const int bad[] = { 0, 999, 1004, 1005, 1006, 1012, 1013, 1014, 1015,
                               1016, 1100, 2000, 2999, 5000, 65535 };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        pl[0] = (uint8_t)(good[i] >> 8);
        pl[1] = (uint8_t)good[i];
        n = frame(buf, FIN | WSP_WS_OP_CLOSE, pl, 2);
        run_all(buf, n, 1024, &r);
        ck_assert_int_eq(r.ev[0].code, good[i]);
        result_free(&r);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        pl[0] = (uint8_t)(bad[i] >> 8);
        pl[1] = (uint8_t)bad[i];
        expect_frame(FIN | WSP_WS_OP_CLOSE, pl, 2, 1024, 0, 1002);
    }

    /* Invalid UTF-8 in the reason: 1007. Also a reason cut mid-character. */
    expect_frame(FIN | WSP_WS_OP_CLOSE, "\x03\xe8\xce\xba\xed\xa0\x80", 7, 1024, 0, 1007);
    expect_frame(FIN | WSP_WS_OP_CLOSE, "\x03\xe8" "ab\xe2\x82", 6, 1024, 0, 1007);
    /* Control frames between fragments include the close. */
    n = frame_s(buf, WSP_WS_OP_TEXT, "part");
    n += frame(buf + n, FIN | WSP_WS_OP_CLOSE, "\x03\xe9", 2);
    run_all(buf, n, 1024, &r);
    ck_assert_int_eq(r.n, 1);
    ck_assert_int_eq(r.ev[0].code, 1001);
    result_free(&r);
}
END_TEST

START_TEST(test_utf8_single_frame)
{
    /* Valid: one event, no close. */
    expect_frame_s(FIN | WSP_WS_OP_TEXT, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", 1, 0);
    static const char *bad[] = {
        "\xc0\xaf",                /* overlong '/' */
        "\xe0\x80\xaf",
        "\xf0\x80\x80\xaf",
        "\xed\xa0\x80",            /* surrogate */
        "\xf4\x90\x80\x80",        /* > U+10FFFF */
        "\xff",
        "abc\x80",
        "truncated \xe2\x82",      /* ends mid-character */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_frame_s(FIN | WSP_WS_OP_TEXT, bad[i], 0, 1007);
    /* The same bytes in a binary frame are fine. */
    expect_frame_s(FIN | WSP_WS_OP_BINARY, "\xc0\xaf\xff", 1, 0);
}
END_TEST

START_TEST(test_utf8_fragments)
{
    uint8_t buf[256];
    size_t n;

    /* A character split across fragments is valid. */
    n = frame(buf, WSP_WS_OP_TEXT, "\xf0\x9f", 2);
    n += frame(buf + n, WSP_WS_OP_CONT, "\x98", 1);
    n += frame(buf + n, FIN | WSP_WS_OP_CONT, "\x80", 1);
    result r;
    run_all(buf, n, 1024, &r);
    ck_assert_int_eq(r.rc, 0);
    ck_assert_int_eq(r.n, 1);
    ck_assert_uint_eq(r.ev[0].len, 4);
    result_free(&r);

    /* Fail fast: the second fragment proves it; the third never comes. */
    size_t n1 = frame_s(buf, WSP_WS_OP_TEXT, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5");
    size_t n2 = frame(buf + n1, WSP_WS_OP_CONT, "\xf4\x90", 2);
    expect(buf, n1, 1024, 0, 0);          /* first alone is fine */
    expect(buf, n1 + n2, 1024, 0, 1007);

    /* Fail fast inside the first fragment too. */
    expect_frame(WSP_WS_OP_TEXT, "ok\xed\xa0\x80", 5, 1024, 0, 1007);

    /* Truncated at the end of the message: fragments pass, the final one
     * fails. */
    n1 = frame_s(buf, WSP_WS_OP_TEXT, "abc");
    n2 = frame(buf + n1, WSP_WS_OP_CONT, "\xe2\x82", 2);
    expect(buf, n1 + n2, 1024, 0, 0);
    n = n1 + n2 + frame(buf + n1 + n2, FIN | WSP_WS_OP_CONT, "", 0);
    expect(buf, n, 1024, 0, 1007);

    /* A ping between the fragments is still delivered before the failure. */
    n = frame_s(buf, WSP_WS_OP_TEXT, "abc");
    n += frame_s(buf + n, FIN | WSP_WS_OP_PING, "p");
    n += frame(buf + n, FIN | WSP_WS_OP_CONT, "\xc3", 1);
    expect(buf, n, 1024, 1, 1007);
}
END_TEST

/* A single large text frame whose invalid bytes arrive before the rest of
 * it: 1007 must come now, not when the frame completes. */
START_TEST(test_utf8_partial_frame_fails_fast)
{
    uint8_t *pl = malloc(4000), *buf = malloc(4100);
    memset(pl, 'a', 4000);
    memcpy(pl + 100, "\xed\xa0\x80", 3);
    size_t n = frame(buf, FIN | WSP_WS_OP_TEXT, pl, 4000);
    size_t hdr = n - 4000;

    expect(buf, hdr + 100, 8192, 0, 0);   /* valid so far: wait */
    expect(buf, hdr + 102, 8192, 0, 1007);
    expect(buf, n, 8192, 0, 1007);

    /* Continuation frames too, and the same on a slow byte-by-byte feed
     * of a valid frame (no false alarm from the cached progress). */
    memcpy(pl + 100, "\xe2\x82\xac", 3);
    size_t m = frame(buf, WSP_WS_OP_TEXT, "x", 1);
    m += frame(buf + m, FIN | WSP_WS_OP_CONT, pl, 4000);
    result r;
    run_all(buf, m, 8192, &r);
    ck_assert_int_eq(r.rc, 0);
    ck_assert_int_eq(r.n, 1);
    ck_assert_uint_eq(r.ev[0].len, 4001);
    result_free(&r);
    free(pl);
    free(buf);
}
END_TEST

START_TEST(test_max_frame)
{
    uint8_t *pl = calloc(1, 2000), *buf = malloc(4200);
    size_t n;
    result r;

    expect_frame(FIN | WSP_WS_OP_BINARY, pl, 1000, 1000, 1, 0);  /* the limit */
    n = frame(buf, FIN | WSP_WS_OP_BINARY, pl, 1001);
    expect(buf, n, 1000, 0, 1009);
    expect(buf, 4, 1000, 0, 1009);             /* the header alone */
    /* 7-bit length over a tiny limit. */
    frame(buf, FIN | WSP_WS_OP_TEXT, pl, 20);
    expect(buf, 2, 10, 0, 1009);

    /* A message of fragments, each small, over the limit in total: fails
     * on the header of the fragment that crosses it. */
    n = frame(buf, WSP_WS_OP_TEXT, pl, 600);
    size_t h2 = frame(buf + n, FIN | WSP_WS_OP_CONT, pl, 401);
    expect(buf, n + 4, 1000, 0, 1009);
    expect(buf, n + h2, 1000, 0, 1009);
    n += frame(buf + n, WSP_WS_OP_CONT, pl, 400);
    n += frame(buf + n, FIN | WSP_WS_OP_CONT, "", 0);
    run_all(buf, n, 1000, &r);                 /* 1000 in total: fine */
    ck_assert_int_eq(r.n, 1);
    ck_assert_uint_eq(r.ev[0].len, 1000);
    result_free(&r);
    free(pl);
    free(buf);
}
END_TEST

START_TEST(test_64bit_lengths)
{
    /* MSB set: 1002 even though it is also over any limit. */
    uint8_t msb[] = { 0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4 };
    expect(msb, sizeof(msb), SIZE_MAX, 0, 1002);
    expect(msb, 10, 1 << 20, 0, 1002);

    /* Largest legal 64-bit length: 1009 against a finite limit, and a wait
     * (not a crash) with no limit at all. */
    uint8_t big[] = { 0x82, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                      1, 2, 3, 4, 'x' };
    expect(big, sizeof(big), 1 << 20, 0, 1009);
    expect(big, sizeof(big), SIZE_MAX, 0, 0);

    /* 2^32 + 1: would wrap if truncated to 32 bits. */
    uint8_t wrap[] = { 0x82, 0xFF, 0, 0, 0, 1, 0, 0, 0, 1, 1, 2, 3, 4, 'x' };
    expect(wrap, sizeof(wrap), 1 << 20, 0, 1009);

    /* A 64-bit encoding of a small length is accepted. */
    uint8_t small[] = { 0x82, 0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4, 'x' ^ 1 };
    result r;
    run_all(small, sizeof(small), 1024, &r);
    ck_assert_int_eq(r.n, 1);
    ck_assert_uint_eq(r.ev[0].len, 1);
    ck_assert_int_eq(r.ev[0].data[0], 'x');
    result_free(&r);
}
END_TEST

START_TEST(test_big_fragmented_message)
{
    /* Over the kept-buffer size, so the buffer is released afterwards; the
     * next message must still work. */
    size_t sz = 100000;
    uint8_t *pl = malloc(sz), *buf = malloc(3 * sz);
    for (size_t i = 0; i < sz; i++)
        pl[i] = (uint8_t)('a' + i % 26);
    size_t n = frame(buf, WSP_WS_OP_TEXT, pl, sz / 2);
    n += frame(buf + n, WSP_WS_OP_CONT, pl + sz / 2, sz / 4);
    n += frame(buf + n, FIN | WSP_WS_OP_CONT, pl + sz / 2 + sz / 4, sz - sz / 2 - sz / 4);
    n += frame_s(buf + n, WSP_WS_OP_TEXT, "next ");
    n += frame_s(buf + n, FIN | WSP_WS_OP_CONT, "one");
    result r;
    run_all(buf, n, sz, &r);
    ck_assert_int_eq(r.rc, 0);
    ck_assert_int_eq(r.n, 2);
    ck_assert_uint_eq(r.ev[0].len, sz);
    ck_assert(memcmp(r.ev[0].data, pl, sz) == 0);
    ck_assert(memcmp(r.ev[1].data, "next one", 8) == 0);
    result_free(&r);
    free(pl);
    free(buf);
}
END_TEST

START_TEST(test_builders)
{
    static const struct { int op; size_t len; size_t hl; uint8_t h[10]; } t[] = {
        { WSP_WS_OP_TEXT, 0, 2, { 0x81, 0 } },
        { WSP_WS_OP_BINARY, 125, 2, { 0x82, 125 } },
        { WSP_WS_OP_TEXT, 126, 4, { 0x81, 126, 0, 126 } },
        { WSP_WS_OP_TEXT, 65535, 4, { 0x81, 126, 0xFF, 0xFF } },
        { WSP_WS_OP_TEXT, 65536, 10, { 0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0 } },
        { WSP_WS_OP_PONG, 3, 2, { 0x8A, 3 } },
    };
    uint8_t h[10];
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        ck_assert_uint_eq(wsp_ws_frame_header(h, t[i].op, t[i].len), t[i].hl);
        ck_assert(memcmp(h, t[i].h, t[i].hl) == 0);
    }
    uint8_t c[4];
    static const uint8_t ec[4] = { 0x88, 2, 0x03, 0xF1 };
    ck_assert_uint_eq(wsp_ws_close_frame(c, 1009), 4);
    ck_assert(memcmp(c, ec, 4) == 0);
    ck_assert(wsp_ws_close_code_valid(1000) && wsp_ws_close_code_valid(4999));
    ck_assert(!wsp_ws_close_code_valid(1005) && !wsp_ws_close_code_valid(2999));
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("ws_frame");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_single_text_zero_copy);
    tcase_add_test(tc, test_rfc_examples_and_lengths);
    tcase_add_test(tc, test_rsv_bits);
    tcase_add_test(tc, test_reserved_opcodes);
    tcase_add_test(tc, test_unmasked);
    tcase_add_test(tc, test_control_rules);
    tcase_add_test(tc, test_continuation_rules);
    tcase_add_test(tc, test_fragments_with_control);
    tcase_add_test(tc, test_absorbed_fragment_consumes);
    tcase_add_test(tc, test_close_frames);
    tcase_add_test(tc, test_utf8_single_frame);
    tcase_add_test(tc, test_utf8_fragments);
    tcase_add_test(tc, test_utf8_partial_frame_fails_fast);
    tcase_add_test(tc, test_max_frame);
    tcase_add_test(tc, test_64bit_lengths);
    tcase_add_test(tc, test_big_fragmented_message);
    tcase_add_test(tc, test_builders);
    suite_add_tcase(s, tc);
    return s;
}
