/*
 * heartbeat.c - the add-in heartbeat test of docs/protocol.md §3, mirroring the seed:
 * json_decode($msg, true) is an array with isset($arr['uid']) and
 * (int)($arr['FunctionType'] ?? 0) !== 0.
 */
#include <stdlib.h>
#include <string.h>

#include "heartbeat.h"
#include "json_php.h"

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
        yes = wsp_php_intval(ft) != 0;   /* PHP's (int) cast, json_php_enc.c */
    json_object_put(o);
    return yes;
}
