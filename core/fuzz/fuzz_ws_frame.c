/*
 * fuzz_ws_frame.c - libFuzzer target for the frame parser. The input is fed
 * the way a connection feeds it (chunks of varying size appended to the kept
 * rest), and again byte by byte and all at once; the three event sequences
 * and verdicts must be identical, whatever the bytes.
 *
 * Input layout: byte 0 picks max_frame, byte 1 seeds the chunk sizes, the
 * rest is the stream.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ws_frame.h"

/* The digest of a run: events folded into a hash plus counts, so runs can
 * be compared without storing every payload. */
typedef struct wsp_fuzz_run {
    int      rc;
    size_t   events;
    size_t   left;
    uint64_t hash;
} wsp_fuzz_run;

static uint64_t wsp_fuzz_mix(uint64_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * UINT64_C(0x100000001b3);
    return h;
}

static uint64_t wsp_fuzz_mix_u(uint64_t h, uint64_t v)
{
    uint8_t b[8];
    memcpy(b, &v, 8);
    return wsp_fuzz_mix(h, b, 8);
}

/* chunk == 0: sizes from a small generator seeded by seed (1..64 bytes);
 * otherwise fixed-size chunks. */
static void wsp_fuzz_feed(const uint8_t *data, size_t n, size_t max_frame,
                          size_t chunk, uint32_t seed, wsp_fuzz_run *out)
{
    wsp_ws_parser p;
    uint8_t *pending = malloc(n + 1);
    size_t plen = 0, pos = 0;
    uint32_t rnd = seed * 2654435761u + 1;

    memset(out, 0, sizeof(*out));
    out->hash = UINT64_C(0xcbf29ce484222325);
    wsp_ws_parser_init(&p, max_frame);
    while (pos < n && out->rc == 0) {
        size_t k = chunk;
        if (k == 0) {
            rnd = rnd * 1103515245u + 12345u;
            k = 1 + (rnd >> 16) % 64;
        }
        if (k > n - pos)
            k = n - pos;
        memcpy(pending + plen, data + pos, k);
        plen += k;
        pos += k;
        for (;;) {
            size_t used = 0;
            wsp_ws_event ev;
            int rc = wsp_ws_parse(&p, pending, plen, &used, &ev);
            if (used > plen)
                abort();
            if (rc < 0) {
                if (rc != -1002 && rc != -1007 && rc != -1009)
                    abort();
                out->rc = rc;
                break;
            }
            if (rc == 1) {
                if (ev.len > max_frame || (ev.len > 0 && ev.data == NULL))
                    abort();
                out->events++;
                out->hash = wsp_fuzz_mix_u(out->hash, (uint64_t)ev.type);
                out->hash = wsp_fuzz_mix_u(out->hash, (uint64_t)ev.opcode);
                out->hash = wsp_fuzz_mix_u(out->hash, ev.close_code);
                out->hash = wsp_fuzz_mix_u(out->hash, ev.len);
                out->hash = wsp_fuzz_mix(out->hash, ev.data, ev.len);
            } else if (rc != 0) {
                abort();
            }
            memmove(pending, pending + used, plen - used);
            plen -= used;
            if (rc == 0)
                break;
        }
    }
    out->left = plen;
    wsp_ws_parser_free(&p);
    free(pending);
}

static void wsp_fuzz_same(const wsp_fuzz_run *a, const wsp_fuzz_run *b)
{
    if (a->rc != b->rc || a->events != b->events || a->hash != b->hash)
        abort();
    if (a->rc == 0 && a->left != b->left)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t limits[] = { 0, 1, 125, 126, 1000, 65536, SIZE_MAX };

    if (size < 2)
        return 0;
    size_t max_frame = limits[data[0] % (sizeof(limits) / sizeof(limits[0]))];
    uint32_t seed = data[1];
    data += 2;
    size -= 2;

    wsp_fuzz_run whole, chunks, bytes;
    wsp_fuzz_feed(data, size, max_frame, size ? size : 1, 0, &whole);
    wsp_fuzz_feed(data, size, max_frame, 0, seed, &chunks);
    wsp_fuzz_feed(data, size, max_frame, 1, 0, &bytes);
    wsp_fuzz_same(&whole, &chunks);
    wsp_fuzz_same(&whole, &bytes);
    return 0;
}
