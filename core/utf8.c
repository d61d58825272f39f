/*
 * utf8.c - incremental UTF-8 validator (RFC 3629) as a small deterministic
 * automaton: bytes are mapped to classes, classes drive state transitions.
 * The state survives between calls, so a text message can be checked one
 * fragment (or one partial read) at a time and rejected at the first byte
 * that makes it invalid.
 */
#include <string.h>
#include "utf8.h"

/*
 * Byte classes. The ranges that matter are those where RFC 3629 narrows the
 * second byte of a sequence: E0 (no overlong 3-byte), ED (no surrogates),
 * F0 (no overlong 4-byte) and F4 (nothing above U+10FFFF).
 */
enum {
    C_ASCII,    /* 00..7F */
    C_CONT_LO,  /* 80..8F */
    C_CONT_MID, /* 90..9F */
    C_CONT_HI,  /* A0..BF */
    C_BAD,      /* C0, C1 (overlong 2-byte), F5..FF (beyond U+10FFFF) */
    C_LEAD2,    /* C2..DF */
    C_E0,
    C_LEAD3,    /* E1..EC, EE, EF */
    C_ED,
    C_F0,
    C_LEAD4,    /* F1..F3 */
    C_F4,
    C_COUNT
};

/* Ranged designators keep the table readable; the build is gnu11. */
static const uint8_t wsp_utf8_class[256] = {
    [0x00 ... 0x7F] = C_ASCII,
    [0x80 ... 0x8F] = C_CONT_LO,
    [0x90 ... 0x9F] = C_CONT_MID,
    [0xA0 ... 0xBF] = C_CONT_HI,
    [0xC0 ... 0xC1] = C_BAD,
    [0xC2 ... 0xDF] = C_LEAD2,
    [0xE0]          = C_E0,
    [0xE1 ... 0xEC] = C_LEAD3,
    [0xED]          = C_ED,
    [0xEE ... 0xEF] = C_LEAD3,
    [0xF0]          = C_F0,
    [0xF1 ... 0xF3] = C_LEAD4,
    [0xF4]          = C_F4,
    [0xF5 ... 0xFF] = C_BAD,
};

/* States 0 and 1 are fixed by utf8.h (ACCEPT, REJECT). */
enum {
    S_OK = WSP_UTF8_ACCEPT,
    S_BAD = WSP_UTF8_REJECT,
    S_NEED1,     /* one continuation byte left (80..BF) */
    S_NEED2,     /* two left, no restriction on the next one */
    S_NEED3,     /* three left, no restriction on the next one */
    S_E0,        /* after E0: next must be A0..BF */
    S_ED,        /* after ED: next must be 80..9F */
    S_F0,        /* after F0: next must be 90..BF */
    S_F4,        /* after F4: next must be 80..8F */
    S_COUNT
};

static const uint8_t wsp_utf8_next[S_COUNT][C_COUNT] = {
    /*            ASCII  LO      MID     HI      BAD    LEAD2   E0    LEAD3   ED    F0    LEAD4   F4 */
    [S_OK]    = { S_OK,  S_BAD,  S_BAD,  S_BAD,  S_BAD, S_NEED1, S_E0, S_NEED2, S_ED, S_F0, S_NEED3, S_F4 },
    [S_BAD]   = { S_BAD, S_BAD,  S_BAD,  S_BAD,  S_BAD, S_BAD,  S_BAD, S_BAD,  S_BAD, S_BAD, S_BAD,  S_BAD },
    [S_NEED1] = { S_BAD, S_OK,   S_OK,   S_OK,   S_BAD, S_BAD,  S_BAD, S_BAD,  S_BAD, S_BAD, S_BAD,  S_BAD },
    [S_NEED2] = { S_BAD, S_NEED1, S_NEED1, S_NEED1, S_BAD, S_BAD, S_BAD, S_BAD, S_BAD, S_BAD, S_BAD, S_BAD },
    [S_NEED3] = { S_BAD, S_NEED2, S_NEED2, S_NEED2, S_BAD, S_BAD, S_BAD, S_BAD, S_BAD, S_BAD, S_BAD, S_BAD },
    [S_E0]    = { S_BAD, S_BAD,  S_BAD,  S_NEED1, S_BAD, S_BAD, S_BAD, S_BAD,  S_BAD, S_BAD, S_BAD,  S_BAD },
    [S_ED]    = { S_BAD, S_NEED1, S_NEED1, S_BAD, S_BAD, S_BAD, S_BAD, S_BAD,  S_BAD, S_BAD, S_BAD,  S_BAD },
    [S_F0]    = { S_BAD, S_BAD,  S_NEED2, S_NEED2, S_BAD, S_BAD, S_BAD, S_BAD, S_BAD, S_BAD, S_BAD,  S_BAD },
    [S_F4]    = { S_BAD, S_NEED2, S_BAD, S_BAD,  S_BAD, S_BAD,  S_BAD, S_BAD,  S_BAD, S_BAD, S_BAD,  S_BAD },
};

int wsp_utf8_feed(wsp_utf8_state *s, const uint8_t *p, size_t n)
{
    uint32_t st = s->state;
    size_t i = 0;

    /* A state outside the table can only come from a corrupted struct;
     * treat it as invalid rather than index out of bounds. */
    if (st >= S_COUNT)
        st = S_BAD;
    while (i < n && st != S_BAD) {
        /* Chat traffic is mostly ASCII: skip 8 plain bytes at a time while
         * on a character boundary. */
        if (st == S_OK) {
            while (n - i >= 8) {
                uint64_t w;
                memcpy(&w, p + i, 8);
                if (w & UINT64_C(0x8080808080808080))
                    break;
                i += 8;
            }
            if (i == n)
                break;
        }
        st = wsp_utf8_next[st][wsp_utf8_class[p[i]]];
        i++;
    }
    s->state = st;
    return st == S_BAD ? -1 : 0;
}

int wsp_utf8_valid(const uint8_t *p, size_t n)
{
    wsp_utf8_state s;

    wsp_utf8_init(&s);
    if (wsp_utf8_feed(&s, p, n) < 0)
        return 0;
    return wsp_utf8_complete(&s);
}

size_t wsp_utf8_seq(const uint8_t *p, size_t avail)
{
    unsigned c = p[0];
    size_t len;

    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) len = 3;
    else if (c >= 0xF0 && c <= 0xF4) len = 4;
    else return 0;
    if (len > avail)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    /* overlongs, UTF-16 surrogates, above U+10FFFF */
    if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F)
        || (c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] > 0x8F))
        return 0;
    return len;
}
