/*
 * fuzz_canonical_key.c - libFuzzer target for the key identity (docs/protocol.md §2, §7;
 * keys_canon.c), which auth_secret's "key mismatch" check and every
 * routing decision rest on. Checks:
 *  - a key has a kind byte; a web key is 'w' + the trimmed text exactly;
 *  - surrounding whitespace never changes a key;
 *  - a client key's canonical text is a fixed point (it is its own key);
 *  - a client key does not depend on the form of its JSON: the object
 *    re-serialized by json-c (pretty-printed, top-level members in reverse
 *    order) is the same key;
 *  - wsp_key_web_from_text is 'w' + the trimmed text for any text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "json_php.h"
#include "keys_canon.h"

static void same_key(const char *text, size_t len, const wsp_key *k)
{
    wsp_key k2;
    if (wsp_key_from_text(text, len, &k2) != 0 || k2.id_len != k->id_len
        || memcmp(k2.id, k->id, k->id_len) != 0)
        abort();
    wsp_key_free(&k2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    const char *t;
    size_t tn;
    wsp_key k;

    wsp_php_trim(s, size, &t, &tn);
    if (wsp_key_web_from_text(s, size, &k) == 0) {
        if (tn == 0 || k.id[0] != WSP_KEY_WEB || k.id_len != tn + 1 || memcmp(k.id + 1, t, tn))
            abort();
        wsp_key_free(&k);
    } else if (tn != 0) {
        abort();
    }

    if (wsp_key_from_text(s, size, &k) != 0)
        return 0;
    if (tn == 0 || !k.id || (k.id[0] != WSP_KEY_WEB && k.id[0] != WSP_KEY_CLIENT))
        abort();
    if (k.id[0] == WSP_KEY_WEB && (k.id_len != tn + 1 || memcmp(k.id + 1, t, tn) != 0))
        abort();

    char *padded = malloc(size + 4);
    if (padded) {
        padded[0] = ' ';
        padded[1] = '\n';
        memcpy(padded + 2, s, size);
        padded[size + 2] = '\t';
        padded[size + 3] = '\r';
        same_key(padded, size + 4, &k);
        free(padded);
    }

    if (k.id[0] == WSP_KEY_CLIENT) {
        same_key(k.id + 1, k.id_len - 1, &k);   /* canonical text is a fixed point */
        struct json_object *o = NULL;
        if (wsp_json_decode(t, tn, &o) == WSP_JSON_OK && o
            && json_object_is_type(o, json_type_object)) {
            /* Same members, reversed top-level order (json-c keeps insertion
             * order; a duplicate name keeps its last value, as PHP does). */
            struct json_object *rev = json_object_new_object();
            int n = 0;
            json_object_object_foreach(o, name, val) { (void)name; (void)val; n++; }
            const char **names = malloc(sizeof(*names) * (size_t)(n ? n : 1));
            struct json_object **vals = malloc(sizeof(*vals) * (size_t)(n ? n : 1));
            if (rev && names && vals) {
                int i = 0;
                json_object_object_foreach(o, name2, val2) { names[i] = name2; vals[i++] = val2; }
                for (i = n - 1; i >= 0; i--)
                    json_object_object_add(rev, names[i], json_object_get(vals[i]));
                const char *pretty = json_object_to_json_string_ext(rev, JSON_C_TO_STRING_PRETTY);
                /* json-c writes a number beyond double range (1e999) as
                 * Infinity, which is no JSON: only valid JSON is compared. */
                struct json_object *check = NULL;
                if (pretty && wsp_json_decode(pretty, strlen(pretty), &check) == WSP_JSON_OK)
                    same_key(pretty, strlen(pretty), &k);
                json_object_put(check);
            }
            free(names);
            free(vals);
            json_object_put(rev);
        }
        json_object_put(o);
    }
    wsp_key_free(&k);
    return 0;
}
