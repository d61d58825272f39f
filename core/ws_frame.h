/*
 * ws_frame.h - RFC 6455 frame codec with no I/O: bytes in, events out.
 *
 * The parser works on a contiguous buffer holding whatever the connection has
 * received. It consumes whole frames only; a partial frame is left for the
 * caller to keep and offer again with more bytes. Client frames must be
 * masked; payloads are unmasked in place (the buffer is modified).
 *
 * Strictness (docs/protocol.md §1): RSV bits without an extension, reserved opcodes,
 * unmasked frames, control frames over 125 bytes or fragmented, a
 * continuation with nothing to continue, a new data frame inside a fragmented
 * message, an invalid close payload or code -> 1002; invalid UTF-8 in a text
 * message (detected as soon as the bytes prove it, across fragments) or in a
 * close reason -> 1007; a frame or message over max_frame -> 1009 (a frame
 * header announcing too much fails at once, before its payload arrives).
 * Control frames between fragments are returned at once; the message keeps
 * assembling.
 */
#ifndef WSP_WS_FRAME_H
#define WSP_WS_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include "utf8.h"

enum {
    WSP_WS_OP_CONT = 0x0, WSP_WS_OP_TEXT = 0x1, WSP_WS_OP_BINARY = 0x2,
    WSP_WS_OP_CLOSE = 0x8, WSP_WS_OP_PING = 0x9, WSP_WS_OP_PONG = 0xA,
};

enum {
    WSP_WS_CLOSE_NORMAL = 1000, WSP_WS_CLOSE_GOING_AWAY = 1001,
    WSP_WS_CLOSE_PROTOCOL = 1002, WSP_WS_CLOSE_NO_STATUS = 1005,
    WSP_WS_CLOSE_INVALID_DATA = 1007, WSP_WS_CLOSE_POLICY = 1008,
    WSP_WS_CLOSE_TOO_BIG = 1009,
};

typedef enum wsp_ws_event_type {
    WSP_WS_EV_MESSAGE = 1,  /* complete text or binary message */
    WSP_WS_EV_PING,
    WSP_WS_EV_PONG,
    WSP_WS_EV_CLOSE,        /* peer's close: code (1005 when empty), reason */
} wsp_ws_event_type;

typedef struct wsp_ws_event {
    wsp_ws_event_type type;
    int       opcode;        /* WSP_WS_OP_TEXT / BINARY for messages */
    const uint8_t *data;     /* payload (reason for CLOSE); valid until the
                                next call to wsp_ws_parse or reset */
    size_t    len;
    uint16_t  close_code;    /* for CLOSE */
} wsp_ws_event;

typedef struct wsp_ws_parser {
    size_t   max_frame;      /* limit for one frame's payload and for a message */
    uint8_t  msg_opcode;     /* opcode of the fragmented message in progress, 0 if none */
    uint8_t *msg_buf;        /* assembled fragments (malloc'd, owned) */
    size_t   msg_len, msg_cap;
    wsp_utf8_state utf8;     /* running validation of the text message */
    /* Internal: progress of the UTF-8 check on a text frame whose payload
     * has only partly arrived, so a slow large frame fails fast without
     * being rescanned on every call. Identified by its header bytes. */
    uint8_t  part_hdr[14];
    uint8_t  part_hdr_len;   /* 0: no partial frame checked */
    size_t   part_checked;   /* payload bytes already fed to part_utf8 */
    wsp_utf8_state part_utf8;
} wsp_ws_parser;

void wsp_ws_parser_init(wsp_ws_parser *p, size_t max_frame);
/* Free owned memory (the assembly buffer). */
void wsp_ws_parser_free(wsp_ws_parser *p);

/*
 * Parse from buf[0..len). On return *consumed is how many bytes were used.
 * Returns:
 *   1  an event was produced in *ev (call again with buf + *consumed);
 *   0  need more bytes (*consumed may be > 0 when a non-final fragment was
 *      absorbed; the caller keeps the rest);
 *  <0  protocol failure: -(close code), i.e. -1002, -1007 or -1009 (or
 *      -1011 when the assembly buffer cannot be allocated). The
 *      connection must send a Close with that code and stop reading.
 * A single data frame that is final and not fragmented is returned without a
 * copy (ev->data points into buf).
 */
int wsp_ws_parse(wsp_ws_parser *p, uint8_t *buf, size_t len,
                 size_t *consumed, wsp_ws_event *ev);

/* Write a server (unmasked) frame header for a final frame of opcode and
 * payload length into out (room for 10 bytes). Returns header length. */
size_t wsp_ws_frame_header(uint8_t out[10], int opcode, size_t payload_len);

/* Build a Close frame (header + 2-byte code, no reason) into out (4 bytes). */
size_t wsp_ws_close_frame(uint8_t out[4], uint16_t code);

/* 1 when a peer may send this close code (1000-1003, 1007-1011, 3000-4999). */
int wsp_ws_close_code_valid(uint16_t code);

#endif
