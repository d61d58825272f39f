/*
 * push_line.h - one line of the push protocol (docs/protocol.md §6-§8): validate it,
 * find the key, apply the FunctionType transform. No I/O.
 */
#ifndef WSP_PUSH_LINE_H
#define WSP_PUSH_LINE_H

#include <stddef.h>
#include "keys_canon.h"

typedef enum wsp_push_fail {
    WSP_PUSH_OK = 0,
    WSP_PUSH_NOT_OBJECT,   /* not a JSON object */
    WSP_PUSH_NO_UID,       /* no uid, null uid, or uid "" after trimming */
    WSP_PUSH_BAD_UID,      /* uid not a string or a number */
    WSP_PUSH_NOMEM,
    WSP_PUSH_UNENCODABLE,  /* ft 1/2 line PHP's json_encode refuses (a number
                            * like 1e999 decodes to INF): the seed sent an
                            * empty message, we answer fail instead */
} wsp_push_fail;

typedef struct wsp_push_msg {
    wsp_key  key;          /* routing key (owned) */
    const char *payload;   /* what the client receives: the line itself
                            * (borrowed: valid while the line is) unless
                            * payload_owned */
    size_t   payload_len;
    char    *owned;        /* the transformed payload (malloc'd), or NULL */
    int      function_type;/* ft as the seed computed it, 0 when none
                            * (clamped to int; 1 and 2 are exact) */
} wsp_push_msg;

/* Parse line[0..len) (no newline; a trailing '\r' already stripped).
 * On WSP_PUSH_OK fills *out (free with wsp_push_msg_free). For any other
 * return nothing is allocated in *out (its fields are cleared).
 * The key: a string uid is trimmed and classified by wsp_key_from_text (a
 * JSON-object string is a client key in canonical form); a number uid is
 * the web key of its PHP string cast (12 -> "12", 1e25 -> "1.0E+25").
 * The payload: for FunctionType 1 and 2 the seed's transform re-encoded as
 * PHP's json_encode does (owned); for anything else the line itself, byte
 * for byte, pointing into line (no copy on the hot path: the caller keeps
 * line alive while it uses the payload). */
wsp_push_fail wsp_push_line_parse(const char *line, size_t len, wsp_push_msg *out);
void wsp_push_msg_free(wsp_push_msg *m);
const char *wsp_push_fail_str(wsp_push_fail f);

#endif
