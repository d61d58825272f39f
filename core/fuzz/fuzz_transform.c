/*
 * fuzz_transform.c - libFuzzer target for the FunctionType 1/2 rewrite
 * (docs/protocol.md §8, push_line.c). The first byte steers: bit 0 set ->
 * the rest follows '{"FunctionType":1,' (2 with bit 1), so most inputs
 * reach the rewrite; clear -> the rest is the line itself. Checks, beyond
 * "no crash, no leak":
 *  - the rewritten payload is a JSON object with FunctionType == ft,
 *    ErrMsg and IsSuccess set (not null), Data set (a boolean for ft 2),
 *    and no msg, code or ratio;
 *  - the rewrite is deterministic, and for ft 1 a fixed point: rewriting
 *    its own output (as a push line) gives the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "json_php.h"
#include "push_line.h"

static struct json_object *member(struct json_object *o, const char *k)
{
    struct json_object *v = NULL;
    return json_object_object_get_ex(o, k, &v) ? v : NULL;
}

static int has(struct json_object *o, const char *k)
{
    return json_object_object_get_ex(o, k, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char *line = malloc(size + 32);
    size_t len = 0;
    if (!line)
        return 0;
    if (data[0] & 1) {
        const char *head = (data[0] & 2) ? "{\"FunctionType\":2," : "{\"FunctionType\":1,";
        len = strlen(head);
        memcpy(line, head, len);
    }
    memcpy(line + len, data + 1, size - 1);
    len += size - 1;

    wsp_push_msg m;
    if (wsp_push_line_parse(line, len, &m) == WSP_PUSH_OK) {
        int ft = m.function_type;
        if (ft == 1 || ft == 2) {
            struct json_object *o = NULL;
            if (wsp_json_decode(m.payload, m.payload_len, &o) != WSP_JSON_OK || !o
                || !json_object_is_type(o, json_type_object))
                abort();
            struct json_object *f = member(o, "FunctionType");
            if (!f || !json_object_is_type(f, json_type_int) || json_object_get_int(f) != ft)
                abort();
            if (!member(o, "ErrMsg") || !member(o, "IsSuccess") || !has(o, "Data"))
                abort();
            if (ft == 2 && !json_object_is_type(member(o, "Data"), json_type_boolean))
                abort();
            if (has(o, "msg") || has(o, "code") || has(o, "ratio"))
                abort();
            json_object_put(o);

            wsp_push_msg again;
            if (wsp_push_line_parse(line, len, &again) != WSP_PUSH_OK
                || again.payload_len != m.payload_len
                || memcmp(again.payload, m.payload, m.payload_len) != 0)
                abort();
            wsp_push_msg_free(&again);
            if (ft == 1) {
                /* Stable from the second pass on, not the first: like PHP,
                 * a float -0.0 (e.g. -0e25) is written "-0", which reads
                 * back as the integer 0 and is then written "0" (PHP:
                 * json_encode(json_decode("[-0e25]")) is "[-0]", and of
                 * that "[0]"). */
                wsp_push_msg twice, thrice;
                if (wsp_push_line_parse(m.payload, m.payload_len, &twice) != WSP_PUSH_OK)
                    abort();
                if (wsp_push_line_parse(twice.payload, twice.payload_len, &thrice) != WSP_PUSH_OK
                    || thrice.payload_len != twice.payload_len
                    || memcmp(thrice.payload, twice.payload, twice.payload_len) != 0)
                    abort();
                wsp_push_msg_free(&thrice);
                wsp_push_msg_free(&twice);
            }
        }
        wsp_push_msg_free(&m);
    }
    free(line);
    return 0;
}
