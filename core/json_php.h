/*
 * json_php.h - serialise json-c values exactly as PHP does with
 * json_encode(json_decode($text, true), JSON_UNESCAPED_UNICODE), and the
 * canonical form used to match client keys (docs/protocol.md §7, §8).
 */
#ifndef WSP_JSON_PHP_H
#define WSP_JSON_PHP_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

/* Error codes of the _ex style functions below. */
enum { WSP_JSON_OK = 0, WSP_JSON_INVALID = -1, WSP_JSON_NOMEM = -2 };

/* Parse text the way PHP's json_decode($text, true) would accept it (depth
 * 512, i.e. at most 511 nested arrays/objects; whole input, surrounding
 * whitespace allowed; strict RFC 8259 grammar; valid UTF-8 only; a lone
 * surrogate escape fails; objects keep key order, duplicate keys: the last
 * value wins in the first key's place; integers beyond int64 become
 * doubles). An object key containing U+0000 is stored with the NUL as the
 * bytes C0 80 (json-c keys are C strings); the encoders write it back as
 * \u0000.
 * Returns a new reference or NULL when PHP would return null (on error,
 * and for the text "null"; use wsp_json_decode to tell them apart). */
struct json_object *wsp_json_parse(const char *text, size_t len);

/* As wsp_json_parse; returns WSP_JSON_OK and *out (new reference, NULL for
 * JSON null), WSP_JSON_INVALID or WSP_JSON_NOMEM (then *out = NULL). */
int wsp_json_decode(const char *text, size_t len, struct json_object **out);

/* Validate text exactly as wsp_json_decode but without building the whole
 * value: only the top-level members named in names[0..n) are built, and
 * vals[i] receives a new reference to the last value of names[i] (NULL when
 * absent or null). Returns 1 when text is an object, 0 when it is valid
 * JSON but not an object (vals all NULL), or WSP_JSON_INVALID /
 * WSP_JSON_NOMEM (vals all NULL). The push hot path uses this: most lines
 * are forwarded verbatim and need only their uid and FunctionType. */
int wsp_json_scan_object(const char *text, size_t len,
                         const char *const *names, size_t n,
                         struct json_object **vals);

/* Append the PHP-compatible encoding of v to a malloc'd buffer.
 * Returns a malloc'd NUL-terminated string (caller frees) and its length in
 * *out_len, or NULL on OOM/unencodable input. Rules: key order kept, "/"
 * escaped as "\/", UTF-8 unescaped, control characters as \b \f \n \r \t or
 * \u00XX (lowercase hex), {} -> [], an object whose keys are "0".."n-1" in
 * order -> a list, doubles as PHP with serialize_precision -1 (shortest
 * round trip, no ".0": 1.0 -> 1, 1e25 -> 1.0e+25), integers beyond 64 bits
 * as doubles. The tests check every rule against PHP itself. */
char *wsp_json_php_encode(struct json_object *v, size_t *out_len);

/* As wsp_json_php_encode; returns WSP_JSON_OK with *out (malloc'd), or
 * WSP_JSON_INVALID when PHP's json_encode would return false (an infinite
 * double, e.g. from 1e999; invalid UTF-8; nesting over 512), or
 * WSP_JSON_NOMEM. -0.0 is "-0", as PHP prints it. */
int wsp_json_php_encode_ex(struct json_object *v, char **out, size_t *out_len);

/* Canonical key form of a JSON object text: parse; object keys sorted
 * bytewise at every depth; duplicate keys: last wins; no whitespace; one
 * fixed serialization. Returns malloc'd string or NULL when text is not a
 * JSON object. */
char *wsp_json_canonical(const char *text, size_t len, size_t *out_len);

/* Canonical form of an already parsed value (strings escaped as in
 * wsp_json_php_encode, numbers as PHP prints them except -0.0 stays "-0.0"
 * so the form re-parses to itself; objects stay objects, even {} and
 * {"0":..}). When prefix is not 0 it is written as the first byte (lets
 * keys_canon.c build its kind-tagged id without another copy); *out_len
 * counts it. Returns malloc'd NUL-terminated text, NULL on OOM. */
char *wsp_json_canonical_value(struct json_object *v, char prefix, size_t *out_len);

/* PHP's (string) cast of a JSON number as json_decode produced it
 * (integers as decimal; doubles with precision 14, "1.0E+25" style).
 * Writes into out (cap >= 64); returns length. */
size_t wsp_json_number_string(struct json_object *num, char *out, size_t cap);

/* PHP's (int) cast of a decoded value: bool 0/1; int as is; double
 * truncated, NaN/INF -> 0, out of range wrapped modulo 2^64; string by its
 * numeric prefix after whitespace ("1abc" -> 1, "1e3" -> 1000, saturating);
 * array/object: 1 when non-empty; null 0. */
int64_t wsp_php_intval(struct json_object *v);

#endif
