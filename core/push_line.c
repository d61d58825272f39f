/*
 * push_line.c - one line of the push protocol (docs/protocol.md §6-§8), as the seed's
 * port-5002 handler treated it: the line must decode (json_decode($l, true))
 * to an object with a usable uid; the uid names the key; FunctionType 1 and
 * 2 rewrite the message, anything else is forwarded byte for byte.
 *
 * Most lines are forwarded verbatim, so the line is first only validated
 * (wsp_json_scan_object builds just uid and FunctionType); the full tree is
 * built only for the FunctionType 1/2 rewrite.
 */
#include "push_line.h"
#include "json_php.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The seed's ErrMsg texts (UTF-8). */
#define WSP_MSG_OK1   "\xe8\x8e\xb7\xe5\x8f\x96\xe5\x8f\x98\xe9\x87\x8f\xe6\x88\x90\xe5\x8a\x9f"                 /* 获取变量成功 */
#define WSP_MSG_OK2   "\xe5\x90\x8c\xe6\xad\xa5\xe5\xba\x95\xe7\xa8\xbf\xe5\x8f\x98\xe9\x87\x8f\xe6\x88\x90\xe5\x8a\x9f" /* 同步底稿变量成功 */
#define WSP_MSG_FAIL1 "\xe8\x8e\xb7\xe5\x8f\x96\xe5\x8f\x98\xe9\x87\x8f\xe5\xa4\xb1\xe8\xb4\xa5"                 /* 获取变量失败 */
#define WSP_MSG_FAIL2 "\xe5\x90\x8c\xe6\xad\xa5\xe5\xba\x95\xe7\xa8\xbf\xe5\x8f\x98\xe9\x87\x8f\xe5\xa4\xb1\xe8\xb4\xa5" /* 同步底稿变量失败 */

const char *wsp_push_fail_str(wsp_push_fail f)
{
    switch (f) {
    case WSP_PUSH_OK: return "ok";
    case WSP_PUSH_NOT_OBJECT: return "not a JSON object";
    case WSP_PUSH_NO_UID: return "no uid";
    case WSP_PUSH_BAD_UID: return "uid not a string or number";
    case WSP_PUSH_NOMEM: return "out of memory";
    case WSP_PUSH_UNENCODABLE: return "not encodable as JSON";
    }
    return "unknown";
}

void wsp_push_msg_free(wsp_push_msg *m)
{
    if (!m)
        return;
    wsp_key_free(&m->key);
    free(m->owned);
    m->owned = NULL;
    m->payload = NULL;
    m->payload_len = 0;
    m->function_type = 0;
}

/* isset($a[$name]): present and not null. */
static struct json_object *isset_get(struct json_object *obj, const char *name)
{
    struct json_object *v = NULL;
    if (!json_object_object_get_ex(obj, name, &v))
        return NULL;
    return v;
}

/* The seed's (string) of $data['msg'] ?? '' appended to prefix. */
static struct json_object *fail_message(const char *prefix, struct json_object *msg)
{
    char num[64];
    const char *s = "";
    size_t n = 0, plen = strlen(prefix);
    switch (json_object_get_type(msg)) {
    case json_type_null:
        break;
    case json_type_boolean:
        s = json_object_get_boolean(msg) ? "1" : "";
        n = strlen(s);
        break;
    case json_type_int:
    case json_type_double:
        n = wsp_json_number_string(msg, num, sizeof num);
        s = num;
        break;
    case json_type_string:
        s = json_object_get_string(msg);
        n = (size_t)json_object_get_string_len(msg);
        break;
    case json_type_array:
    case json_type_object:
        s = "Array"; /* PHP 8: a warning, then the word "Array" */
        n = 5;
        break;
    }
    char *buf = malloc(plen + n + 1);
    if (!buf)
        return NULL;
    memcpy(buf, prefix, plen);
    memcpy(buf + plen, s, n);
    struct json_object *r = json_object_new_string_len(buf, (int)(plen + n));
    free(buf);
    return r;
}

/* Set a member the way PHP's $data[$name] = $v does: replaced in place
 * when the key exists (even with null), appended otherwise. json-c's add
 * does exactly that. Takes ownership of v. */
static int set_member(struct json_object *obj, const char *name, struct json_object *v)
{
    if (!v || json_object_object_add(obj, name, v) < 0) {
        json_object_put(v);
        return -1;
    }
    return 0;
}

/* FunctionType 1/2 (docs/protocol.md §8), statement by statement as the seed. */
static wsp_push_fail transform(const char *line, size_t len, int ft, wsp_push_msg *out)
{
    struct json_object *data = NULL, *ratio;
    int rc = wsp_json_decode(line, len, &data);
    if (rc < 0)
        return rc == WSP_JSON_NOMEM ? WSP_PUSH_NOMEM : WSP_PUSH_NOT_OBJECT;
    wsp_push_fail res = WSP_PUSH_NOMEM;
    int ok = 1;
    struct json_object *errmsg = NULL;
    ratio = isset_get(data, "ratio");
    if (ratio && wsp_php_intval(ratio) != 100) {
        ok = 0;
        errmsg = fail_message(ft == 1 ? WSP_MSG_FAIL1 : WSP_MSG_FAIL2,
                              isset_get(data, "msg"));
    } else {
        errmsg = json_object_new_string(ft == 1 ? WSP_MSG_OK1 : WSP_MSG_OK2);
    }
    if (!errmsg)
        goto done;
    json_object_object_del(data, "msg");
    json_object_object_del(data, "code");
    json_object_object_del(data, "ratio");
    /* $data['ErrMsg'] = $data['ErrMsg'] ?? $errMsg: a present value stays
     * (re-assigning it changes nothing). */
    if (isset_get(data, "ErrMsg"))
        json_object_put(errmsg);
    else if (set_member(data, "ErrMsg", errmsg) < 0)
        goto done;
    if (!isset_get(data, "IsSuccess") &&
        set_member(data, "IsSuccess", json_object_new_int(ok)) < 0)
        goto done;
    if (set_member(data, "FunctionType", json_object_new_int(ft)) < 0)
        goto done;
    if (ft == 1) {
        if (!isset_get(data, "Data") &&
            set_member(data, "Data", json_object_new_string("")) < 0)
            goto done;
    } else if (set_member(data, "Data", json_object_new_boolean(ok)) < 0) {
        goto done;
    }
    rc = wsp_json_php_encode_ex(data, &out->owned, &out->payload_len);
    out->payload = out->owned;
    res = rc == 0 ? WSP_PUSH_OK
        : rc == WSP_JSON_INVALID ? WSP_PUSH_UNENCODABLE : WSP_PUSH_NOMEM;
done:
    json_object_put(data);
    return res;
}

/* json_decode() of the untrimmed uid succeeds where the trimmed one did
 * only if what trim() removed at the end is JSON whitespace (trim() also
 * strips \0 and \v, which json_decode refuses). */
static int json_ws_only(const char *s, const char *end)
{
    for (; s < end; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return 0;
    return 1;
}

wsp_push_fail wsp_push_line_parse(const char *line, size_t len, wsp_push_msg *out)
{
    static const char *const names[2] = { "uid", "FunctionType" };
    struct json_object *top[2], *uid_obj = NULL, *f;
    wsp_push_fail res = WSP_PUSH_OK;
    int64_t ft = 0;

    memset(out, 0, sizeof *out);
    int r = wsp_json_scan_object(line, len, names, 2, top);
    if (r == WSP_JSON_NOMEM)
        return WSP_PUSH_NOMEM;
    if (r <= 0)
        return WSP_PUSH_NOT_OBJECT;

    struct json_object *uid = top[0];
    switch (json_object_get_type(uid)) {
    case json_type_null:
        res = WSP_PUSH_NO_UID;
        goto done;
    case json_type_string: {
        const char *s = json_object_get_string(uid), *t;
        size_t n = (size_t)json_object_get_string_len(uid), tn;
        wsp_php_trim(s, n, &t, &tn);
        if (tn == 0) {
            res = WSP_PUSH_NO_UID;
            goto done;
        }
        if (wsp_key_from_text_ex(s, n, &out->key, &uid_obj) < 0) {
            res = WSP_PUSH_NOMEM;
            goto done;
        }
        /* The seed looked inside the uid only when the line has no
         * FunctionType and the *untrimmed* uid starts with '{'. */
        if (!top[1] && s[0] == '{' && uid_obj && json_ws_only(t + tn, s + n) &&
            (f = isset_get(uid_obj, "FunctionType")))
            ft = wsp_php_intval(f);
        break;
    }
    case json_type_int:
    case json_type_double: {
        char num[64];
        size_t n = wsp_json_number_string(uid, num, sizeof num);
        if (wsp_key_web_from_text(num, n, &out->key) < 0) {
            res = WSP_PUSH_NOMEM;
            goto done;
        }
        break;
    }
    default: /* bool, array, object: the seed cast them to "1", "", "Array" */
        res = WSP_PUSH_BAD_UID;
        goto done;
    }
    if (top[1])
        ft = wsp_php_intval(top[1]);
    out->function_type = ft > INT_MAX ? INT_MAX : ft < INT_MIN ? INT_MIN : (int)ft;

    if (ft == 1 || ft == 2) {
        res = transform(line, len, (int)ft, out);
    } else {
        out->payload = line;      /* byte for byte: borrowed, no copy */
        out->payload_len = len;
    }
done:
    json_object_put(uid_obj);
    json_object_put(top[0]);
    json_object_put(top[1]);
    if (res != WSP_PUSH_OK) {
        wsp_push_msg_free(out);
        memset(out, 0, sizeof *out);
    }
    return res;
}
