/*
 * json_php.h - serialise json-c values exactly as PHP does with
 * json_encode(json_decode($text, true), JSON_UNESCAPED_UNICODE), and the
 * canonical form used to match client keys (SPEC 2.7, 2.8).
 */
#ifndef WSP_JSON_PHP_H
#define WSP_JSON_PHP_H

#include <stddef.h>
#include <json-c/json.h>

/* Parse text the way PHP's json_decode($text, true) would accept it (depth
 * 512, whole input, surrounding whitespace allowed; objects keep key order,
 * duplicate keys: the last value wins in the first key's place).
 * Returns a new reference or NULL when PHP would return null on error. */
struct json_object *wsp_json_parse(const char *text, size_t len);

/* Append the PHP-compatible encoding of v to a malloc'd buffer.
 * Returns a malloc'd NUL-terminated string (caller frees) and its length in
 * *out_len, or NULL on OOM/unencodable input. Rules: key order kept, "/"
 * escaped as "\/", UTF-8 unescaped, control characters as \b \f \n \r \t or
 * \u00XX (lowercase hex), {} -> [], an object whose keys are "0".."n-1" in
 * order -> a list, doubles as PHP with serialize_precision -1 (shortest
 * round trip, no ".0": 1.0 -> 1, 1e25 -> 1.0e+25), integers beyond 64 bits
 * as doubles. The tests check every rule against PHP itself. */
char *wsp_json_php_encode(struct json_object *v, size_t *out_len);

/* Canonical key form of a JSON object text: parse; object keys sorted
 * bytewise at every depth; duplicate keys: last wins; no whitespace; one
 * fixed serialization. Returns malloc'd string or NULL when text is not a
 * JSON object. */
char *wsp_json_canonical(const char *text, size_t len, size_t *out_len);

/* PHP's (string) cast of a JSON number as json_decode produced it
 * (integers as decimal; doubles with precision 14, "1.0E+25" style).
 * Writes into out (cap >= 64); returns length. */
size_t wsp_json_number_string(struct json_object *num, char *out, size_t cap);

#endif
