/*
 * keys_canon.c - turn the text that names a key (a WebSocket client's first
 * frame, or a push line's uid) into its identity bytes (docs/protocol.md §2, §7):
 * 'w' + trimmed text for a web key, 'c' + canonical JSON for a client key.
 * The kind byte keeps web "12" and any client key apart for ever.
 */
#include "keys_canon.h"
#include "json_php.h"

#include <stdlib.h>
#include <string.h>

/* PHP trim()'s default set: " \t\n\r\0\x0B" (not \f). */
static int is_trim_char(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\0' || c == 0x0B;
}

void wsp_php_trim(const char *text, size_t len, const char **start, size_t *n)
{
    const unsigned char *s = (const unsigned char *)text, *e = s + len;
    while (s < e && is_trim_char(*s))
        s++;
    while (e > s && is_trim_char(e[-1]))
        e--;
    *start = (const char *)s;
    *n = (size_t)(e - s);
}

static int key_web(const char *t, size_t n, wsp_key *k)
{
    char *id = malloc(n + 2);
    if (!id)
        return -1;
    id[0] = WSP_KEY_WEB;
    memcpy(id + 1, t, n);
    id[n + 1] = '\0';
    k->id = id;
    k->id_len = n + 1;
    return 0;
}

int wsp_key_from_text_ex(const char *text, size_t len, wsp_key *k,
                         struct json_object **obj_out)
{
    const char *t;
    size_t n;
    k->id = NULL;
    k->id_len = 0;
    if (obj_out)
        *obj_out = NULL;
    wsp_php_trim(text, len, &t, &n);
    if (n == 0)
        return -1;
    /* After trim() the text starts with no JSON whitespace, so only text
     * starting with '{' can be an object: web keys skip the parser. */
    if (t[0] == '{') {
        struct json_object *obj = NULL;
        int rc = wsp_json_decode(t, n, &obj);
        if (rc == WSP_JSON_NOMEM)
            return -1; /* never misfile a client key as a web key */
        if (rc == WSP_JSON_OK && json_object_is_type(obj, json_type_object)) {
            k->id = wsp_json_canonical_value(obj, WSP_KEY_CLIENT, &k->id_len);
            if (!k->id) {
                json_object_put(obj);
                return -1;
            }
            if (obj_out)
                *obj_out = obj;
            else
                json_object_put(obj);
            return 0;
        }
        json_object_put(obj);
    }
    return key_web(t, n, k);
}

int wsp_key_from_text(const char *text, size_t len, wsp_key *k)
{
    return wsp_key_from_text_ex(text, len, k, NULL);
}

int wsp_key_web_from_text(const char *text, size_t len, wsp_key *k)
{
    const char *t;
    size_t n;
    k->id = NULL;
    k->id_len = 0;
    wsp_php_trim(text, len, &t, &n);
    if (n == 0)
        return -1;
    return key_web(t, n, k);
}

void wsp_key_free(wsp_key *k)
{
    if (!k)
        return;
    free(k->id);
    k->id = NULL;
    k->id_len = 0;
}
