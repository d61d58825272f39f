/*
 * utf8.h - incremental UTF-8 validation (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF), so a text message split across
 * fragments fails as soon as its bytes prove it invalid.
 */
#ifndef WSP_UTF8_H
#define WSP_UTF8_H

#include <stddef.h>
#include <stdint.h>

typedef struct wsp_utf8_state { uint32_t state; } wsp_utf8_state;

#define WSP_UTF8_ACCEPT 0u
#define WSP_UTF8_REJECT 1u

static inline void wsp_utf8_init(wsp_utf8_state *s) { s->state = WSP_UTF8_ACCEPT; }
/* Feed bytes. Returns 0 while still valid (maybe mid-sequence), -1 once
 * invalid (sticky). */
int wsp_utf8_feed(wsp_utf8_state *s, const uint8_t *p, size_t n);
/* 1 when the input so far ends on a character boundary. */
static inline int wsp_utf8_complete(const wsp_utf8_state *s) { return s->state == WSP_UTF8_ACCEPT; }
/* Length of the valid UTF-8 sequence at p[0..avail) whose lead byte is
 * >= 0x80 (2-4), or 0 when it is not one (RFC 3629 as above). The one
 * per-character check: the JSON decoder and encoder and the JSON log use it. */
size_t wsp_utf8_seq(const uint8_t *p, size_t avail);
/* Whole-buffer convenience: 1 valid and complete, 0 not. */
int wsp_utf8_valid(const uint8_t *p, size_t n);

#endif
