/*
 * ws_frame.c - RFC 6455 frame parser and server frame builders, no I/O.
 *
 * Every check is ordered by the bytes it needs (first header byte, second
 * byte, extended length, payload), so the verdict depends only on which
 * bytes have arrived, never on how the reads were split: feeding a stream
 * byte by byte yields the same events and the same close code as feeding it
 * at once. The fuzz target asserts exactly that.
 */
#include <stdlib.h>
#include <string.h>
#include "ws_frame.h"

/* Assembly buffers above this size are released once their message has been
 * delivered, so an idle connection does not keep a 1 MiB peak allocation. */
#define WSP_WS_KEEP_BUF (64u * 1024u)

/* Close code for our own failure (out of memory); not in ws_frame.h's enum
 * because only this file produces it. */
enum { WSP_WS_CLOSE_INTERNAL = 1011 };

/* A decoded frame header. */
typedef struct wsp_ws_hdr {
    int      fin;
    int      opcode;
    size_t   hdr_len;     /* 2..14 bytes */
    uint64_t payload_len;
    uint8_t  mask[4];
} wsp_ws_hdr;

void wsp_ws_parser_init(wsp_ws_parser *p, size_t max_frame)
{
    memset(p, 0, sizeof(*p));
    p->max_frame = max_frame;
    wsp_utf8_init(&p->utf8);
    wsp_utf8_init(&p->part_utf8);
}

void wsp_ws_parser_free(wsp_ws_parser *p)
{
    free(p->msg_buf);
    p->msg_buf = NULL;
    p->msg_len = p->msg_cap = 0;
    p->msg_opcode = 0;
    p->part_hdr_len = 0;
}

int wsp_ws_close_code_valid(uint16_t code)
{
    if (code >= 1000 && code <= 1003)
        return 1;
    if (code >= 1007 && code <= 1011)
        return 1;
    return code >= 3000 && code <= 4999;
}

static int wsp_ws_is_control(int opcode)
{
    return (opcode & 0x8) != 0;
}

/*
 * Decode and check a frame header at b[0..n).
 * Returns the header length (>0), 0 when more bytes are needed, or
 * -(close code). Checks on the first byte run before checks on the second,
 * and both before the extended length, so that a partial header is judged
 * exactly as the complete one would be.
 */
static int wsp_ws_read_header(const wsp_ws_parser *p, const uint8_t *b,
                              size_t n, wsp_ws_hdr *h)
{
    if (n < 1)
        return 0;
    h->fin = (b[0] & 0x80) != 0;
    h->opcode = b[0] & 0x0F;
    if (b[0] & 0x70)                      /* RSV1-3: no extension negotiated */
        return -WSP_WS_CLOSE_PROTOCOL;
    switch (h->opcode) {
    case WSP_WS_OP_CONT:
        if (p->msg_opcode == 0)           /* nothing to continue */
            return -WSP_WS_CLOSE_PROTOCOL;
        break;
    case WSP_WS_OP_TEXT:
    case WSP_WS_OP_BINARY:
        if (p->msg_opcode != 0)           /* previous message unfinished */
            return -WSP_WS_CLOSE_PROTOCOL;
        break;
    case WSP_WS_OP_CLOSE:
    case WSP_WS_OP_PING:
    case WSP_WS_OP_PONG:
        if (!h->fin)                      /* control frames never fragment */
            return -WSP_WS_CLOSE_PROTOCOL;
        break;
    default:                              /* reserved opcodes 3-7, B-F */
        return -WSP_WS_CLOSE_PROTOCOL;
    }

    if (n < 2)
        return 0;
    if (!(b[1] & 0x80))                   /* client frames must be masked */
        return -WSP_WS_CLOSE_PROTOCOL;
    uint8_t len7 = b[1] & 0x7F;
    if (wsp_ws_is_control(h->opcode)) {
        if (len7 > 125)
            return -WSP_WS_CLOSE_PROTOCOL;
        if (h->opcode == WSP_WS_OP_CLOSE && len7 == 1)  /* half a code */
            return -WSP_WS_CLOSE_PROTOCOL;
    }

    size_t ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
    if (n < 2 + ext)
        return 0;
    uint64_t len = len7;
    if (ext > 0) {
        len = 0;
        for (size_t i = 0; i < ext; i++)
            len = (len << 8) | b[2 + i];
        if (ext == 8 && (len >> 63))      /* RFC 6455 5.2: MSB must be 0 */
            return -WSP_WS_CLOSE_PROTOCOL;
    }
    /* Refuse at once what could never fit, before its payload arrives. */
    if (len > (uint64_t)p->max_frame)
        return -WSP_WS_CLOSE_TOO_BIG;
    if (h->opcode == WSP_WS_OP_CONT && len > (uint64_t)(p->max_frame - p->msg_len))
        return -WSP_WS_CLOSE_TOO_BIG;
    h->payload_len = len;

    h->hdr_len = 2 + ext + 4;
    if (n < h->hdr_len)
        return 0;
    memcpy(h->mask, b + 2 + ext, 4);
    return (int)h->hdr_len;
}

/* XOR data with the mask key; pos is the payload offset of data[0]. */
static void wsp_ws_unmask(uint8_t *data, size_t n, const uint8_t mask[4], size_t pos)
{
    size_t i = 0;

    /* Word at a time once aligned to the key phase; memcpy keeps it
     * alignment-safe. */
    if (pos % 4 == 0 && n >= 8) {
        uint8_t m8[8];
        uint64_t mw, w;
        for (int k = 0; k < 8; k++)
            m8[k] = mask[k % 4];
        memcpy(&mw, m8, 8);
        for (; n - i >= 8; i += 8) {
            memcpy(&w, data + i, 8);
            w ^= mw;
            memcpy(data + i, &w, 8);
        }
    }
    for (; i < n; i++)
        data[i] ^= mask[(pos + i) % 4];
}

/* Feed masked bytes to a UTF-8 state without touching the buffer (the
 * bytes belong to a frame the caller will offer again). */
static int wsp_ws_utf8_feed_masked(wsp_utf8_state *st, const uint8_t *data,
                                   size_t n, const uint8_t mask[4], size_t pos)
{
    uint8_t tmp[256];

    while (n > 0) {
        size_t k = n < sizeof(tmp) ? n : sizeof(tmp);
        for (size_t i = 0; i < k; i++)
            tmp[i] = data[i] ^ mask[(pos + i) % 4];
        if (wsp_utf8_feed(st, tmp, k) < 0)
            return -1;
        data += k;
        pos += k;
        n -= k;
    }
    return 0;
}

/* Is the frame at b the one whose partial check is cached? */
static int wsp_ws_part_matches(const wsp_ws_parser *p, const uint8_t *b,
                               const wsp_ws_hdr *h)
{
    return p->part_hdr_len == h->hdr_len
        && memcmp(p->part_hdr, b, h->hdr_len) == 0;
}

/*
 * UTF-8 state after the first h->payload_len bytes... or as many as have
 * arrived (avail). Starts from the cached progress when the same frame was
 * seen before, and caches the new progress when keep is set.
 */
static int wsp_ws_text_progress(wsp_ws_parser *p, const uint8_t *b,
                                const wsp_ws_hdr *h, size_t avail,
                                wsp_utf8_state *out)
{
    wsp_utf8_state st;
    size_t done = 0;

    if (wsp_ws_part_matches(p, b, h) && p->part_checked <= avail) {
        st = p->part_utf8;
        done = p->part_checked;
    } else if (h->opcode == WSP_WS_OP_CONT) {
        st = p->utf8;
    } else {
        wsp_utf8_init(&st);
    }
    int rc = wsp_ws_utf8_feed_masked(&st, b + h->hdr_len + done, avail - done,
                                     h->mask, done);
    *out = st;
    return rc;
}

/* Is this frame part of (or the whole of) a text message? */
static int wsp_ws_is_text(const wsp_ws_parser *p, const wsp_ws_hdr *h)
{
    if (h->opcode == WSP_WS_OP_TEXT)
        return 1;
    return h->opcode == WSP_WS_OP_CONT && p->msg_opcode == WSP_WS_OP_TEXT;
}

/* A text frame whose payload is still arriving: check what is there, so
 * invalid UTF-8 fails now rather than when the frame completes. */
static int wsp_ws_check_partial(wsp_ws_parser *p, const uint8_t *b,
                                const wsp_ws_hdr *h, size_t avail)
{
    wsp_utf8_state st;

    if (!wsp_ws_is_text(p, h) || avail == 0)
        return 0;
    if (wsp_ws_text_progress(p, b, h, avail, &st) < 0)
        return -WSP_WS_CLOSE_INVALID_DATA;
    memcpy(p->part_hdr, b, h->hdr_len);
    p->part_hdr_len = (uint8_t)h->hdr_len;
    p->part_checked = avail;
    p->part_utf8 = st;
    return 0;
}

/* Handle a complete control frame (payload already unmasked). */
static int wsp_ws_control(const wsp_ws_hdr *h, const uint8_t *pl, wsp_ws_event *ev)
{
    size_t n = (size_t)h->payload_len;

    ev->opcode = h->opcode;
    if (h->opcode == WSP_WS_OP_PING) {
        ev->type = WSP_WS_EV_PING;
        ev->data = pl;
        ev->len = n;
        return 1;
    }
    if (h->opcode == WSP_WS_OP_PONG) {
        ev->type = WSP_WS_EV_PONG;
        ev->data = pl;
        ev->len = n;
        return 1;
    }
    ev->type = WSP_WS_EV_CLOSE;
    if (n == 0) {
        ev->close_code = WSP_WS_CLOSE_NO_STATUS;
        ev->data = pl;
        ev->len = 0;
        return 1;
    }
    /* n == 1 was refused with the header. */
    uint16_t code = (uint16_t)((pl[0] << 8) | pl[1]);
    if (!wsp_ws_close_code_valid(code))
        return -WSP_WS_CLOSE_PROTOCOL;
    if (!wsp_utf8_valid(pl + 2, n - 2))
        return -WSP_WS_CLOSE_INVALID_DATA;
    ev->close_code = code;
    ev->data = pl + 2;
    ev->len = n - 2;
    return 1;
}

/* Append a fragment to the assembly buffer. The header check keeps
 * msg_len + n <= max_frame, so growth is bounded. */
static int wsp_ws_append(wsp_ws_parser *p, const uint8_t *data, size_t n)
{
    if (n == 0)
        return 0;
    if (p->msg_cap - p->msg_len < n) {
        size_t need = p->msg_len + n;
        size_t cap = p->msg_cap ? p->msg_cap : 4096;
        while (cap < need)
            cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        if (cap > p->max_frame && need <= p->max_frame)
            cap = p->max_frame;
        uint8_t *nb = realloc(p->msg_buf, cap);
        if (nb == NULL)
            return -1;
        p->msg_buf = nb;
        p->msg_cap = cap;
    }
    memcpy(p->msg_buf + p->msg_len, data, n);
    p->msg_len += n;
    return 0;
}

/*
 * Handle a complete data frame (payload already unmasked, its UTF-8
 * already verified when text). Returns 1 with a message event, 0 when the
 * fragment was absorbed, or -(close code).
 */
static int wsp_ws_data(wsp_ws_parser *p, const wsp_ws_hdr *h, const uint8_t *pl,
                       wsp_ws_event *ev)
{
    size_t n = (size_t)h->payload_len;

    if (h->opcode != WSP_WS_OP_CONT && h->fin) {
        /* The common case: one frame, one message, no copy. */
        ev->type = WSP_WS_EV_MESSAGE;
        ev->opcode = h->opcode;
        ev->data = pl;
        ev->len = n;
        return 1;
    }
    if (h->opcode != WSP_WS_OP_CONT) {
        p->msg_opcode = (uint8_t)h->opcode;
        p->msg_len = 0;
    }
    if (wsp_ws_append(p, pl, n) < 0)
        return -WSP_WS_CLOSE_INTERNAL;
    if (!h->fin)
        return 0;
    ev->type = WSP_WS_EV_MESSAGE;
    ev->opcode = p->msg_opcode;
    ev->data = p->msg_buf;
    ev->len = p->msg_len;
    /* The buffer stays intact until the next call, as promised. */
    p->msg_opcode = 0;
    p->msg_len = 0;
    return 1;
}

int wsp_ws_parse(wsp_ws_parser *p, uint8_t *buf, size_t len,
                 size_t *consumed, wsp_ws_event *ev)
{
    size_t off = 0;
    int rc;

    *consumed = 0;
    memset(ev, 0, sizeof(*ev));
    /* The previous call's message (if any) is no longer referenced. */
    if (p->msg_opcode == 0 && p->msg_cap > WSP_WS_KEEP_BUF) {
        free(p->msg_buf);
        p->msg_buf = NULL;
        p->msg_cap = 0;
    }

    for (;;) {
        wsp_ws_hdr h;
        uint8_t *b = buf + off;
        size_t n = len - off;

        rc = wsp_ws_read_header(p, b, n, &h);
        if (rc <= 0)
            break;
        size_t avail = n - h.hdr_len;
        if (h.payload_len > (uint64_t)avail) {
            rc = wsp_ws_check_partial(p, b, &h, avail);
            break;
        }
        size_t plen = (size_t)h.payload_len;
        uint8_t *pl = b + h.hdr_len;

        if (wsp_ws_is_text(p, &h)) {
            wsp_utf8_state st;
            if (wsp_ws_text_progress(p, b, &h, plen, &st) < 0) {
                rc = -WSP_WS_CLOSE_INVALID_DATA;
                break;
            }
            /* A message must end on a character boundary. */
            if (h.fin && !wsp_utf8_complete(&st)) {
                rc = -WSP_WS_CLOSE_INVALID_DATA;
                break;
            }
            p->utf8 = st;
        }
        p->part_hdr_len = 0;
        wsp_ws_unmask(pl, plen, h.mask, 0);

        if (wsp_ws_is_control(h.opcode))
            rc = wsp_ws_control(&h, pl, ev);
        else
            rc = wsp_ws_data(p, &h, pl, ev);
        if (rc < 0)
            break;
        off += h.hdr_len + plen;
        if (rc == 1)
            break;
        /* A non-final fragment was absorbed: go on with the next frame. */
    }
    *consumed = off;
    return rc;
}

size_t wsp_ws_frame_header(uint8_t out[10], int opcode, size_t payload_len)
{
    out[0] = (uint8_t)(0x80 | (opcode & 0x0F));
    if (payload_len < 126) {
        out[1] = (uint8_t)payload_len;
        return 2;
    }
    if (payload_len <= 0xFFFF) {
        out[1] = 126;
        out[2] = (uint8_t)(payload_len >> 8);
        out[3] = (uint8_t)payload_len;
        return 4;
    }
    uint64_t v = payload_len;
    out[1] = 127;
    for (int i = 0; i < 8; i++)
        out[2 + i] = (uint8_t)(v >> (56 - 8 * i));
    return 10;
}

size_t wsp_ws_close_frame(uint8_t out[4], uint16_t code)
{
    out[0] = 0x80 | WSP_WS_OP_CLOSE;
    out[1] = 2;
    out[2] = (uint8_t)(code >> 8);
    out[3] = (uint8_t)code;
    return 4;
}
