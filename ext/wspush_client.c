/*
 * wspush_client.c - WsPush\Client: the push-port client PHP code (Yii
 * controllers, queue jobs) uses instead of fsockopen + fwrite + fgets.
 *
 * Message forms (documented in stubs/wspush.stub.php):
 *   array  -> the fields of the line; "uid" is set to the key (in place if
 *             present, else first); JSON-encoded with JSON_UNESCAPED_UNICODE.
 *   string -> a JSON object text. Without "uid", "uid":KEY is inserted after
 *             the opening brace and the rest is kept byte for byte; with a
 *             "uid", it must equal the key and the text is sent unchanged.
 *
 * Connections: a wsp_client (core/client.c, blocking socket, malloc'd) per
 * "timeout|address" is cached in the module globals, so under PHP-FPM one
 * worker reuses its connection across requests. After an I/O error the
 * cached client is freed, never reused: replies still in flight from the
 * failed exchange must not be read as the replies of the next push.
 * The client runs on the calling thread; no Zend memory crosses threads.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "php.h"
#include "zend_exceptions.h"
#include "zend_smart_str.h"
#include "ext/json/php_json.h"
#include "ext/standard/php_string.h"
#include "php_wspush.h"

#include <string.h>
#include <time.h>

#include "auth_sig.h"
#include "keys_canon.h"

/* Longest validity sign() makes: ten years (a signature cannot be revoked
 * except by changing auth_secret). */
#define WSPUSH_SIGN_TTL_MAX (10 * 366 * 86400)

/* Lines per pipelined batch: bounds what sits unread in either direction. */
#define WSPUSH_BATCH 256

typedef struct {
    zend_string *address;   /* as given (for messages) */
    zend_string *cache_key; /* "timeout|address"; NULL when not persistent */
    wsp_client *own;        /* non-persistent: this object's own client */
    zend_string *token;     /* push_token ("token" option), or NULL */
    double timeout;
    bool persistent;
    zend_object std;        /* last */
} wspush_client_obj;

static zend_object_handlers wspush_client_handlers;

static inline wspush_client_obj *wspush_client_from_obj(zend_object *obj)
{
    return (wspush_client_obj *)((char *)obj - XtOffsetOf(wspush_client_obj, std));
}
#define Z_WSPUSH_CLIENT_P(zv) wspush_client_from_obj(Z_OBJ_P(zv))

/* ---- per-process connection cache ---- */

static void wspush_client_cache_dtor(zval *zv)
{
    wsp_client_free((wsp_client *)Z_PTR_P(zv));
}

void wspush_client_cache_init(HashTable **table)
{
    *table = pemalloc(sizeof(HashTable), 1);
    zend_hash_init(*table, 4, NULL, wspush_client_cache_dtor, 1);
}

void wspush_client_cache_free(HashTable **table)
{
    if (*table) {
        zend_hash_destroy(*table);
        pefree(*table, 1);
        *table = NULL;
    }
}

/* The core address for "tcp://host:port" or "host:port". */
static const char *wspush_client_core_address(const zend_string *address)
{
    const char *a = ZSTR_VAL(address);
    return strncasecmp(a, "tcp://", 6) == 0 ? a + 6 : a;
}

/* A new core client for o, with its token; NULL when out of memory. */
static wsp_client *wspush_client_new_core(wspush_client_obj *o)
{
    wsp_client *c = wsp_client_new(wspush_client_core_address(o->address), o->timeout);

    if (c && o->token
        && wsp_client_set_token(c, ZSTR_VAL(o->token), ZSTR_LEN(o->token)) != WSP_OK) {
        wsp_client_free(c);   /* the token was checked in __construct: only OOM gets here */
        c = NULL;
    }
    return c;
}

/* The client to use for o, connecting lazily; NULL with an exception. */
static wsp_client *wspush_client_acquire(wspush_client_obj *o)
{
    wsp_client *c;

    if (!o->persistent) {
        if (!o->own) {
            o->own = wspush_client_new_core(o);
        }
        c = o->own;
    } else {
        c = zend_hash_find_ptr(WSPUSH_G(clients), o->cache_key);
        if (!c) {
            c = wspush_client_new_core(o);
            if (c) {
                zend_hash_str_add_ptr(WSPUSH_G(clients), ZSTR_VAL(o->cache_key),
                                      ZSTR_LEN(o->cache_key), c);
            }
        }
    }
    if (!c) {
        wspush_throw(WSP_ERR_NOMEM, "cannot create a push client for %s", ZSTR_VAL(o->address));
    }
    return c;
}

/* Drop the connection after an I/O error (frees c). */
static void wspush_client_discard(wspush_client_obj *o)
{
    if (!o->persistent) {
        if (o->own) {
            wsp_client_free(o->own);
            o->own = NULL;
        }
    } else {
        zend_hash_del(WSPUSH_G(clients), o->cache_key);
    }
}

/* ---- object ---- */

static zend_object *wspush_client_create(zend_class_entry *ce)
{
    wspush_client_obj *o = zend_object_alloc(sizeof(wspush_client_obj), ce);

    zend_object_std_init(&o->std, ce);
    object_properties_init(&o->std, ce);
    o->std.handlers = &wspush_client_handlers;
    return &o->std;
}

static void wspush_client_free_obj(zend_object *obj)
{
    wspush_client_obj *o = wspush_client_from_obj(obj);

    if (o->own) {
        wsp_client_free(o->own);
    }
    if (o->address) {
        zend_string_release(o->address);
    }
    if (o->cache_key) {
        zend_string_release(o->cache_key);
    }
    if (o->token) {
        zend_string_release(o->token);
    }
    zend_object_std_dtor(&o->std);
}

void wspush_client_minit(zend_class_entry *ce)
{
    ce->create_object = wspush_client_create;
    memcpy(&wspush_client_handlers, zend_get_std_object_handlers(), sizeof(zend_object_handlers));
    wspush_client_handlers.offset = XtOffsetOf(wspush_client_obj, std);
    wspush_client_handlers.free_obj = wspush_client_free_obj;
    wspush_client_handlers.clone_obj = NULL;
}

static wspush_client_obj *wspush_client_get(zval *zobj)
{
    wspush_client_obj *o = Z_WSPUSH_CLIENT_P(zobj);

    if (!o->address) {
        zend_throw_error(NULL, "WsPush\\Client object is not initialized");
        return NULL;
    }
    return o;
}

ZEND_METHOD(WsPush_Client, __construct)
{
    wspush_client_obj *o = Z_WSPUSH_CLIENT_P(ZEND_THIS);
    zend_string *address = NULL;
    double timeout = 1.0;
    HashTable *options = NULL;
    bool persistent = true;
    zend_string *token = NULL;
    char errbuf[256] = "";
    zend_string *name;
    zval *value;

    ZEND_PARSE_PARAMETERS_START(0, 3)
        Z_PARAM_OPTIONAL
        Z_PARAM_STR(address)
        Z_PARAM_DOUBLE(timeout)
        Z_PARAM_ARRAY_HT(options)
    ZEND_PARSE_PARAMETERS_END();

    if (o->address) {
        zend_throw_error(NULL, "WsPush\\Client::__construct() cannot be called twice");
        RETURN_THROWS();
    }
    if (!address) {
        address = ZSTR_INIT_LITERAL("tcp://127.0.0.1:5002", 0);
    } else {
        zend_string_addref(address);
    }
    if (ZSTR_LEN(address) != strlen(ZSTR_VAL(address))) {
        zend_argument_value_error(1, "must not contain any null bytes");
        goto fail;
    }
    if (wsp_addr_split(wspush_client_core_address(address), NULL, 256, NULL,
                       errbuf, sizeof errbuf) != WSP_OK) {
        zend_argument_value_error(1, "%s", errbuf);
        goto fail;
    }
    if (!(timeout > 0.0) || timeout > 86400.0) {   /* also rejects NAN */
        zend_argument_value_error(2, "must be greater than 0 and at most 86400 seconds");
        goto fail;
    }
    if (options) {
        ZEND_HASH_FOREACH_STR_KEY_VAL(options, name, value) {
            if (name && zend_string_equals_literal(name, "persistent")) {
                persistent = zend_is_true(value);
            } else if (name && zend_string_equals_literal(name, "token")) {
                ZVAL_DEREF(value);
                if (Z_TYPE_P(value) == IS_NULL) {
                    continue;   /* no token, as when the option is absent */
                }
                if (Z_TYPE_P(value) != IS_STRING || Z_STRLEN_P(value) == 0
                    || memchr(Z_STRVAL_P(value), '\0', Z_STRLEN_P(value))
                    || memchr(Z_STRVAL_P(value), '\n', Z_STRLEN_P(value))
                    || memchr(Z_STRVAL_P(value), '\r', Z_STRLEN_P(value))) {
                    zend_argument_value_error(3, "option \"token\" must be a non-empty string "
                                              "without line breaks or NUL bytes, or null");
                    goto fail;
                }
                if (token) {
                    zend_string_release(token);
                }
                token = zend_string_copy(Z_STR_P(value));
            } else {
                zend_argument_value_error(3, "unknown option \"%s\" (known: persistent, token)",
                                          name ? ZSTR_VAL(name) : "(integer key)");
                goto fail;
            }
        } ZEND_HASH_FOREACH_END();
    }

    o->address = address;
    o->timeout = timeout;
    o->persistent = persistent;
    o->token = token;
    if (persistent) {
        /* Connections authenticated with different tokens are not shared.
         * The token goes last: the address cannot contain a NUL byte, so
         * the key is unambiguous. */
        o->cache_key = token
            ? zend_strpprintf(0, "%.17g|%s%c%s", timeout, ZSTR_VAL(address), 0, ZSTR_VAL(token))
            : zend_strpprintf(0, "%.17g|%s", timeout, ZSTR_VAL(address));
    }
    return;

fail:
    zend_string_release(address);
    if (token) {
        zend_string_release(token);
    }
    RETURN_THROWS();
}

/* ---- building lines ---- */

/* Encode zv as JSON into buf; on failure a ValueError for argument argn,
 * "<what>cannot be JSON-encoded: <reason>". */
static zend_result wspush_json_encode(smart_str *buf, zval *zv, uint32_t argn, const char *what)
{
    if (php_json_encode(buf, zv, PHP_JSON_UNESCAPED_UNICODE) == FAILURE) {
        const char *why;
        switch (JSON_G(error_code)) {
        case PHP_JSON_ERROR_UTF8:      why = "malformed UTF-8"; break;
        case PHP_JSON_ERROR_DEPTH:     why = "maximum depth exceeded"; break;
        case PHP_JSON_ERROR_RECURSION: why = "recursive reference"; break;
        case PHP_JSON_ERROR_INF_OR_NAN: why = "INF or NAN"; break;
        case PHP_JSON_ERROR_UNSUPPORTED_TYPE: why = "a type that cannot be encoded"; break;
        default:                       why = "encoding error"; break;
        }
        smart_str_free(buf);
        if (!EG(exception)) {   /* JsonSerializable may have thrown already */
            zend_argument_value_error(argn, "%scannot be JSON-encoded: %s", what, why);
        }
        return FAILURE;
    }
    return SUCCESS;
}

/* Array form: uid = key, in place when present, else first. */
static zend_result wspush_line_from_array(smart_str *out, zend_string *key, HashTable *msg, uint32_t argn)
{
    zval line, zkey;
    zend_result r;

    ZVAL_STR_COPY(&zkey, key);
    if (zend_hash_str_exists(msg, "uid", 3)) {
        ZVAL_ARR(&line, zend_array_dup(msg));
        zend_hash_str_update(Z_ARRVAL(line), "uid", 3, &zkey);
    } else {
        zend_string *k;
        zend_ulong idx;
        zval *v;

        array_init_size(&line, zend_hash_num_elements(msg) + 1);
        zend_hash_str_add_new(Z_ARRVAL(line), "uid", 3, &zkey);
        ZEND_HASH_FOREACH_KEY_VAL(msg, idx, k, v) {
            Z_TRY_ADDREF_P(v);
            if (k) {
                zend_hash_update(Z_ARRVAL(line), k, v);
            } else {
                zend_hash_index_update(Z_ARRVAL(line), idx, v);
            }
        } ZEND_HASH_FOREACH_END();
    }
    r = wspush_json_encode(out, &line, argn, argn == 2 ? "" : "contains a message that ");
    zval_ptr_dtor(&line);
    return r;
}

/* String form; see the file comment. */
static zend_result wspush_line_from_string(smart_str *out, zend_string *key, zend_string *msg, uint32_t argn)
{
    zval decoded, *uid;
    const char *s = ZSTR_VAL(msg), *brace;
    size_t i, len = ZSTR_LEN(msg);
    bool has_uid;

    ZVAL_UNDEF(&decoded);
    if (php_json_decode_ex(&decoded, s, len, 0, PHP_JSON_PARSER_DEFAULT_DEPTH) == FAILURE
        || Z_TYPE(decoded) != IS_OBJECT) {
        if (Z_TYPE(decoded) != IS_UNDEF) {
            zval_ptr_dtor(&decoded);
        }
        zend_argument_value_error(argn, argn == 2 ? "must be an array or a JSON object string"
                                  : "must contain arrays or JSON object strings as messages");
        return FAILURE;
    }
    uid = zend_hash_str_find(Z_OBJPROP(decoded), "uid", 3);
    has_uid = uid != NULL;
    if (uid) {
        zend_string *u, *ut, *kt;
        bool same;

        if (Z_TYPE_P(uid) != IS_STRING && Z_TYPE_P(uid) != IS_LONG && Z_TYPE_P(uid) != IS_DOUBLE) {
            zval_ptr_dtor(&decoded);
            zend_argument_value_error(argn, "%s a \"uid\" that is not a string or a number",
                                      argn == 2 ? "has" : "contains a message with");
            return FAILURE;
        }
        u = zval_get_string(uid);
        ut = php_trim(u, NULL, 0, 3);
        kt = php_trim(key, NULL, 0, 3);
        same = zend_string_equals(ut, kt);
        if (!same) {
            zend_argument_value_error(argn, "%s \"uid\" \"%s\", which is not its key \"%s\"",
                                      argn == 2 ? "has" : "contains a message with",
                                      ZSTR_VAL(u), ZSTR_VAL(key));
        }
        zend_string_release(u);
        zend_string_release(ut);
        zend_string_release(kt);
        if (!same) {
            zval_ptr_dtor(&decoded);
            return FAILURE;
        }
    }
    zval_ptr_dtor(&decoded);

    /* A valid JSON object text starts, after whitespace, with '{'. */
    brace = memchr(s, '{', len);
    ZEND_ASSERT(brace);
    if (has_uid) {
        smart_str_appendl(out, s, len);
    } else {
        zval zkey;
        const char *rest = brace + 1;
        size_t restlen = len - (size_t)(rest - s);
        size_t j = 0;

        smart_str_appendl(out, s, (size_t)(rest - s));
        smart_str_appendl(out, "\"uid\":", 6);
        ZVAL_STR(&zkey, key);
        if (wspush_json_encode(out, &zkey, argn == 2 ? 1 : argn,
                               argn == 2 ? "" : "contains a key that ") == FAILURE) {
            return FAILURE;
        }
        while (j < restlen && strchr(" \t\r\n", rest[j])) {
            j++;
        }
        if (j < restlen && rest[j] != '}') {
            smart_str_appendc(out, ',');
        }
        smart_str_appendl(out, rest, restlen);
    }
    smart_str_0(out);
    /* Raw line breaks can only be JSON whitespace here; the line protocol
     * cannot carry them. */
    for (i = 0; i < ZSTR_LEN(out->s); i++) {
        if (ZSTR_VAL(out->s)[i] == '\n' || ZSTR_VAL(out->s)[i] == '\r') {
            ZSTR_VAL(out->s)[i] = ' ';
        }
    }
    return SUCCESS;
}

static zend_result wspush_build_line(smart_str *out, zend_string *key, zval *message, uint32_t argn)
{
    ZVAL_DEREF(message);
    if (Z_TYPE_P(message) == IS_ARRAY) {
        return wspush_line_from_array(out, key, Z_ARRVAL_P(message), argn);
    }
    if (Z_TYPE_P(message) == IS_STRING) {
        return wspush_line_from_string(out, key, Z_STR_P(message), argn);
    }
    zend_argument_type_error(argn, argn == 2 ? "must be of type array|string, %s given"
                             : "must contain messages of type array|string, %s given",
                             zend_zval_type_name(message));
    return FAILURE;
}

/* ---- sending ---- */

/* Send n built lines pipelined (in batches), replies into replies[];
 * *first_failed (may be NULL): see wsp_client_first_line_failed().
 * Returns SUCCESS, or FAILURE with a WsPush\Exception (I/O). */
static zend_result wspush_client_exchange(wspush_client_obj *o, smart_str *lines, size_t n,
                                          const char **replies, int *first_failed)
{
    const char *ptrs[WSPUSH_BATCH];
    size_t lens[WSPUSH_BATCH];
    size_t done = 0;

    while (done < n) {
        size_t i, m = n - done < WSPUSH_BATCH ? n - done : WSPUSH_BATCH;
        wsp_client *c = wspush_client_acquire(o);
        int rc;

        if (!c) {
            return FAILURE;
        }
        for (i = 0; i < m; i++) {
            ptrs[i] = ZSTR_VAL(lines[done + i].s);
            lens[i] = ZSTR_LEN(lines[done + i].s);
        }
        rc = wsp_client_send_lines(c, ptrs, lens, m, replies + done);
        if (rc != WSP_OK) {
            const char *err = wsp_client_errstr(c);
            for (i = 0; i < m && replies[done + i]; i++) {
                /* count the lines answered before the error */
            }
            done += i;
            if (rc == WSP_ERR_AUTH) {
                wspush_throw(rc, "push to %s failed: %s", ZSTR_VAL(o->address),
                             err && *err ? err : "push token refused");
            } else if (n == 1) {
                wspush_throw(rc, "push to %s failed: %s", ZSTR_VAL(o->address),
                             err && *err ? err : "I/O error");
            } else {
                wspush_throw(rc, "push to %s failed after %zu of %zu replies: %s",
                             ZSTR_VAL(o->address), done, n, err && *err ? err : "I/O error");
            }
            wspush_client_discard(o);   /* frees c: nothing stale is read later */
            return FAILURE;
        }
        if (first_failed) {
            *first_failed = wsp_client_first_line_failed(c);
        }
        done += m;
    }
    return SUCCESS;
}

ZEND_METHOD(WsPush_Client, send)
{
    wspush_client_obj *o;
    zend_string *key;
    zval *message;
    smart_str line = {0};
    const char *reply = NULL;
    int first_failed = 0;

    ZEND_PARSE_PARAMETERS_START(2, 2)
        Z_PARAM_STR(key)
        Z_PARAM_ZVAL(message)
    ZEND_PARSE_PARAMETERS_END();

    if (!(o = wspush_client_get(ZEND_THIS))) {
        RETURN_THROWS();
    }
    if (wspush_build_line(&line, key, message, 2) == FAILURE) {
        RETURN_THROWS();
    }
    if (wspush_client_exchange(o, &line, 1, &reply, &first_failed) == FAILURE) {
        smart_str_free(&line);
        RETURN_THROWS();
    }
    smart_str_free(&line);
    if (!reply || strcmp(reply, "fail") == 0) {
        /* the wire cannot tell these apart (docs/protocol.md): name both */
        wspush_throw(WSP_ERR_FAIL, "push refused by %s: fail (bad uid or line%s)", ZSTR_VAL(o->address),
                     first_failed ? "; or the push port requires AUTH: this client has no token and "
                                    "this was the first line on a new connection" : "");
        RETURN_THROWS();
    }
    RETURN_STRING(reply);
}

/* True when messages is a list of [key, message] pairs. */
static bool wspush_is_pair_list(HashTable *messages)
{
    zval *v;

    if (!zend_array_is_list(messages)) {
        return false;
    }
    ZEND_HASH_FOREACH_VAL(messages, v) {
        ZVAL_DEREF(v);
        if (Z_TYPE_P(v) != IS_ARRAY || zend_hash_num_elements(Z_ARRVAL_P(v)) != 2
            || !zend_array_is_list(Z_ARRVAL_P(v))) {
            return false;
        }
    } ZEND_HASH_FOREACH_END();
    return true;
}

ZEND_METHOD(WsPush_Client, sendMany)
{
    wspush_client_obj *o;
    HashTable *messages;
    smart_str *lines;
    const char **replies;
    size_t n, i = 0;
    bool pairs;
    zend_string *k;
    zend_ulong idx;
    zval *v;

    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_ARRAY_HT(messages)
    ZEND_PARSE_PARAMETERS_END();

    if (!(o = wspush_client_get(ZEND_THIS))) {
        RETURN_THROWS();
    }
    n = zend_hash_num_elements(messages);
    if (n == 0) {
        RETURN_EMPTY_ARRAY();
    }
    pairs = wspush_is_pair_list(messages);
    lines = ecalloc(n, sizeof(smart_str));
    replies = ecalloc(n, sizeof(const char *));

    ZEND_HASH_FOREACH_KEY_VAL(messages, idx, k, v) {
        zend_string *key;
        zval *message;
        zend_result r;

        if (pairs) {
            zval *pair = v, *zk;
            ZVAL_DEREF(pair);
            zk = zend_hash_index_find(Z_ARRVAL_P(pair), 0);
            message = zend_hash_index_find(Z_ARRVAL_P(pair), 1);
            ZVAL_DEREF(zk);
            if (Z_TYPE_P(zk) != IS_STRING && Z_TYPE_P(zk) != IS_LONG) {
                zend_argument_type_error(1, "pair keys must be of type string|int, %s given",
                                         zend_zval_type_name(zk));
                goto fail;
            }
            key = zval_get_string(zk);
        } else {
            key = k ? zend_string_copy(k) : zend_ulong_to_str(idx);
            message = v;
        }
        r = wspush_build_line(&lines[i], key, message, 1);
        zend_string_release(key);
        if (r == FAILURE) {
            goto fail;
        }
        i++;
    } ZEND_HASH_FOREACH_END();

    if (wspush_client_exchange(o, lines, n, replies, NULL) == FAILURE) {
        goto fail;
    }

    array_init_size(return_value, (uint32_t)n);
    i = 0;
    ZEND_HASH_FOREACH_KEY(messages, idx, k) {
        zval r;
        ZVAL_STRING(&r, replies[i] ? replies[i] : "fail");
        if (k) {
            zend_hash_update(Z_ARRVAL_P(return_value), k, &r);
        } else {
            zend_hash_index_update(Z_ARRVAL_P(return_value), idx, &r);
        }
        i++;
    } ZEND_HASH_FOREACH_END();

    for (i = 0; i < n; i++) {
        smart_str_free(&lines[i]);
    }
    efree(lines);
    efree(replies);
    return;

fail:
    for (i = 0; i < n; i++) {
        smart_str_free(&lines[i]);
    }
    efree(lines);
    efree(replies);
    RETURN_THROWS();
}

/* Client::sign(): the query a page appends to its WebSocket URL when the
 * server has auth_secret (core/auth_sig.h has the format). */
ZEND_METHOD(WsPush_Client, sign)
{
    zend_string *key, *secret;
    zend_long ttl;
    wsp_key k;
    char *q;
    size_t qn = 0;

    ZEND_PARSE_PARAMETERS_START(3, 3)
        Z_PARAM_STR(key)
        Z_PARAM_LONG(ttl)
        Z_PARAM_STR(secret)
    ZEND_PARSE_PARAMETERS_END();

    /* A key that binds nothing (empty after trimming) can never match. */
    if (wsp_key_from_text(ZSTR_VAL(key), ZSTR_LEN(key), &k) != 0) {
        zend_argument_value_error(1, "must not be empty after trimming whitespace");
        RETURN_THROWS();
    }
    wsp_key_free(&k);
    if (ttl < 1 || ttl > WSPUSH_SIGN_TTL_MAX) {
        zend_argument_value_error(2, "must be between 1 and %d seconds", WSPUSH_SIGN_TTL_MAX);
        RETURN_THROWS();
    }
    if (ZSTR_LEN(secret) == 0) {
        zend_argument_value_error(3, "must not be empty");
        RETURN_THROWS();
    }
    q = wsp_sig_make_query(ZSTR_VAL(secret), ZSTR_LEN(secret), ZSTR_VAL(key), ZSTR_LEN(key),
                           (int64_t)time(NULL) + (int64_t)ttl, &qn);
    if (!q) {
        wspush_throw(WSP_ERR_NOMEM, "sign failed: out of memory");
        RETURN_THROWS();
    }
    RETVAL_STRINGL(q, qn);
    free(q);
}
