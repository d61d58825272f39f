/*
 * fuzz_push_line.c - libFuzzer target for the push-line parser (docs/protocol.md §6-§8)
 * and the key canonicalizer. Checks, beyond "no crash, no leak":
 *  - a successful parse yields a key with a kind byte and, for a verbatim
 *    FunctionType, the line itself as payload;
 *  - canonical(canonical(x)) == canonical(x), and a canonical form is a
 *    client key whose id is 'c' + that form;
 *  - what the parser accepts, the PHP encoder encodes or refuses cleanly.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_php.h"
#include "keys_canon.h"
#include "push_line.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    wsp_push_msg m;
    if (wsp_push_line_parse(s, size, &m) == WSP_PUSH_OK) {
        if (!m.key.id || m.key.id_len < 2 ||
            (m.key.id[0] != WSP_KEY_WEB && m.key.id[0] != WSP_KEY_CLIENT))
            abort();
        if (m.function_type != 1 && m.function_type != 2 &&
            (m.payload_len != size || memcmp(m.payload, s, size) != 0))
            abort();
        wsp_push_msg_free(&m);
    }

    size_t n1 = 0, n2 = 0;
    char *c1 = wsp_json_canonical(s, size, &n1);
    if (c1) {
        char *c2 = wsp_json_canonical(c1, n1, &n2);
        if (!c2 || n1 != n2 || memcmp(c1, c2, n1) != 0)
            abort();
        free(c2);
        wsp_key k;
        if (wsp_key_from_text(c1, n1, &k) != 0 || k.id[0] != WSP_KEY_CLIENT ||
            k.id_len != n1 + 1 || memcmp(k.id + 1, c1, n1) != 0)
            abort();
        wsp_key_free(&k);
        free(c1);
    }

    struct json_object *v = NULL;
    if (wsp_json_decode(s, size, &v) == WSP_JSON_OK) {
        char *e = NULL;
        size_t el = 0;
        if (wsp_json_php_encode_ex(v, &e, &el) == WSP_JSON_OK) {
            /* PHP's output re-decodes (it is valid JSON) */
            struct json_object *v2 = NULL;
            if (wsp_json_decode(e, el, &v2) != WSP_JSON_OK)
                abort();
            json_object_put(v2);
            free(e);
        }
        json_object_put(v);
    }
    return 0;
}
