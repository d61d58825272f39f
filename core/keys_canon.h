/*
 * keys_canon.h - what a key is (docs/protocol.md §2, §7). A key is either a web key
 * (any trimmed text that is not a JSON object, usually digits) or a client
 * key (a JSON object, held in canonical form). The two kinds never compare
 * equal: the kind byte is part of the identity.
 */
#ifndef WSP_KEYS_CANON_H
#define WSP_KEYS_CANON_H

#include <stddef.h>

enum { WSP_KEY_WEB = 'w', WSP_KEY_CLIENT = 'c' };

typedef struct wsp_key {
    char  *id;      /* kind byte + text (web text, or canonical JSON); malloc'd, NUL-terminated */
    size_t id_len;  /* including the kind byte */
} wsp_key;

/* Classify trimmed text as a key. Trims ASCII whitespace like PHP trim()
 * (" \t\n\r\0\x0B"). Returns 0 and fills *k (free with wsp_key_free), or -1
 * when the trimmed text is empty (binds nothing) or on OOM. */
int  wsp_key_from_text(const char *text, size_t len, wsp_key *k);
/* As wsp_key_from_text; for a client key *obj_out (when not NULL) receives
 * the parsed object (new reference, caller puts it), else NULL. Saves the
 * push path a second parse of a JSON uid. */
struct json_object;
int  wsp_key_from_text_ex(const char *text, size_t len, wsp_key *k,
                          struct json_object **obj_out);
/* A web key from text whatever it looks like (trimmed; -1 when empty or on
 * OOM): a number uid's string cast is a web key even in the unlikely case
 * it would parse as an object. */
int  wsp_key_web_from_text(const char *text, size_t len, wsp_key *k);
/* Frees k->id and clears *k; safe on a cleared key and on NULL. */
void wsp_key_free(wsp_key *k);
static inline int wsp_key_is_web(const wsp_key *k) { return k->id && k->id[0] == WSP_KEY_WEB; }
/* Display form: the text without the kind byte. */
static inline const char *wsp_key_text(const wsp_key *k) { return k->id + 1; }

/* PHP trim() bounds of text: sets *start and *n (no copy). */
void wsp_php_trim(const char *text, size_t len, const char **start, size_t *n);

#endif
