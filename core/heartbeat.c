/*
 * heartbeat.c - the add-in heartbeat test of docs/protocol.md §3, mirroring the seed:
 * json_decode($msg, true) is an array with isset($arr['uid']) and
 * (int)($arr['FunctionType'] ?? 0) !== 0.
 */
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include "heartbeat.h"
#include "json_php.h"

/* PHP's (int) cast of a decoded JSON value, as far as "is it 0" goes. */
static int php_int_nonzero(struct json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_null:    return 0;
    case json_type_boolean: return json_object_get_boolean(v);
    case json_type_int:     return json_object_get_int64(v) != 0;
    case json_type_double: {
        double d = json_object_get_double(v);
        return isfinite(d) && (d >= 1.0 || d <= -1.0);
    }
    case json_type_string: {
        /* Leading whitespace, then a numeric prefix (PHP 8 rules): "4" -> 4,
         * "0.5" -> 0, "1e3" -> 1000, "abc" -> 0. */
        const char *s = json_object_get_string(v);
        double d = strtod(s, NULL);
        return isfinite(d) && (d >= 1.0 || d <= -1.0);
    }
    case json_type_array:   return json_object_array_length(v) > 0;
    case json_type_object:  return json_object_object_length(v) > 0;
    }
    return 0;
}

int wsp_addin_heartbeat(const char *text, size_t len)
{
    if (len == 0 || text[0] != '{') return 0;
    struct json_object *o = wsp_json_parse(text, len);
    if (!o) return 0;
    int yes = 0;
    struct json_object *uid, *ft;
    if (json_object_is_type(o, json_type_object)
        && json_object_object_get_ex(o, "uid", &uid) && uid != NULL
        && json_object_object_get_ex(o, "FunctionType", &ft) && ft != NULL)
        yes = php_int_nonzero(ft);
    json_object_put(o);
    return yes;
}
