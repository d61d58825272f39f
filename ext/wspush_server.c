/*
 * wspush_server.c - WsPush\Server: a PHP object owning one wsp_server (the
 * core and its background loop thread). Thin: every method converts its
 * arguments, calls one core function and converts the result; core errors
 * go through wspush_throw. No Zend memory reaches the core: the core API
 * copies what it is given (keys, payloads, config strings) with malloc.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "php.h"
#include "SAPI.h"
#include "zend_exceptions.h"
#include "php_wspush.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    wsp_server *srv;      /* NULL until the constructor ran */
    pid_t owner_pid;      /* process that started the thread (fork safety) */
    bool started;
    zend_object std;      /* last: the Zend object follows our fields */
} wspush_server_obj;

static zend_object_handlers wspush_server_handlers;

static inline wspush_server_obj *wspush_server_from_obj(zend_object *obj)
{
    return (wspush_server_obj *)((char *)obj - XtOffsetOf(wspush_server_obj, std));
}
#define Z_WSPUSH_SERVER_P(zv) wspush_server_from_obj(Z_OBJ_P(zv))

static zend_object *wspush_server_create(zend_class_entry *ce)
{
    wspush_server_obj *o = zend_object_alloc(sizeof(wspush_server_obj), ce);

    zend_object_std_init(&o->std, ce);
    object_properties_init(&o->std, ce);
    o->std.handlers = &wspush_server_handlers;
    return &o->std;
}

static void wspush_server_free_obj(zend_object *obj)
{
    wspush_server_obj *o = wspush_server_from_obj(obj);

    if (o->srv) {
        /* In a forked child the loop thread does not exist: joining it would
         * be undefined, so the child leaves the parent's server alone. */
        if (!o->started || o->owner_pid == getpid()) {
            wsp_server_free(o->srv);   /* stops (graceful) and joins */
        }
        o->srv = NULL;
    }
    zend_object_std_dtor(&o->std);
}

void wspush_server_minit(zend_class_entry *ce)
{
    ce->create_object = wspush_server_create;
    memcpy(&wspush_server_handlers, zend_get_std_object_handlers(), sizeof(zend_object_handlers));
    wspush_server_handlers.offset = XtOffsetOf(wspush_server_obj, std);
    wspush_server_handlers.free_obj = wspush_server_free_obj;
    wspush_server_handlers.clone_obj = NULL;
}

/* Started in the parent of this (forked) process: the core closed its
 * copies of the sockets and store lock at the fork (core/fork.c); only
 * stop() (which does nothing here) and the destructor may be called. */
static bool wspush_server_is_parents(const wspush_server_obj *o)
{
    return o->started && o->owner_pid != getpid();
}

/* The object's server, or NULL with an Error thrown (constructor not run)
 * or a WsPush\Exception (a forked child's copy of the parent's server). */
static wsp_server *wspush_server_get(zval *zobj)
{
    wspush_server_obj *o = Z_WSPUSH_SERVER_P(zobj);

    if (!o->srv) {
        zend_throw_error(NULL, "WsPush\\Server object is not initialized");
        return NULL;
    }
    if (wspush_server_is_parents(o)) {
        wspush_throw(WSP_ERR_STATE, "this WsPush\\Server runs in process %ld, the parent of this "
                     "forked process: a child cannot use it (push with WsPush\\Client, or create "
                     "and start a server of its own)", (long)o->owner_pid);
        return NULL;
    }
    return o->srv;
}

/* Set one option from a PHP value (string form; true/false as "1"/"0",
 * null as ""). Returns SUCCESS, or FAILURE with a ValueError/TypeError. */
static zend_result wspush_server_set_option(wsp_config *cfg, zend_string *name, zval *value)
{
    char errbuf[512] = "";
    zend_string *str;
    int rc;

    ZVAL_DEREF(value);
    switch (Z_TYPE_P(value)) {
    case IS_NULL:   str = ZSTR_EMPTY_ALLOC(); break;
    case IS_FALSE:  str = ZSTR_CHAR('0'); break;
    case IS_TRUE:   str = ZSTR_CHAR('1'); break;
    case IS_LONG:
    case IS_DOUBLE:
    case IS_STRING:
        str = zval_get_string(value);
        break;
    case IS_OBJECT:
        str = zval_try_get_string(value);   /* __toString, or TypeError */
        if (!str) {
            return FAILURE;
        }
        break;
    default:
        zend_argument_value_error(1, "option \"%s\" must be a string, int, float or bool, %s given",
                                  ZSTR_VAL(name), zend_zval_type_name(value));
        return FAILURE;
    }
    if (memchr(ZSTR_VAL(str), '\0', ZSTR_LEN(str)) || memchr(ZSTR_VAL(name), '\0', ZSTR_LEN(name))) {
        zend_argument_value_error(1, "option \"%s\" must not contain NUL bytes", ZSTR_VAL(name));
        zend_string_release(str);
        return FAILURE;
    }
    rc = wsp_config_set(cfg, ZSTR_VAL(name), ZSTR_VAL(str), errbuf, sizeof errbuf);
    zend_string_release(str);
    if (rc != WSP_OK) {
        zend_argument_value_error(1, "%s", errbuf[0] ? errbuf : "invalid option");
        return FAILURE;
    }
    return SUCCESS;
}

ZEND_METHOD(WsPush_Server, __construct)
{
    wspush_server_obj *o = Z_WSPUSH_SERVER_P(ZEND_THIS);
    HashTable *options = NULL;
    zend_string *name;
    zend_ulong idx;
    zval *value;
    wsp_config cfg;

    ZEND_PARSE_PARAMETERS_START(0, 1)
        Z_PARAM_OPTIONAL
        Z_PARAM_ARRAY_HT(options)
    ZEND_PARSE_PARAMETERS_END();

    if (o->srv) {
        zend_throw_error(NULL, "WsPush\\Server::__construct() cannot be called twice");
        RETURN_THROWS();
    }

    wsp_config_init(&cfg);
    if (options) {
        ZEND_HASH_FOREACH_KEY_VAL(options, idx, name, value) {
            if (!name) {
                zend_argument_value_error(1, "must be an array keyed by option name, "
                                          "integer key " ZEND_ULONG_FMT " given", idx);
                wsp_config_free(&cfg);
                RETURN_THROWS();
            }
            if (wspush_server_set_option(&cfg, name, value) == FAILURE) {
                wsp_config_free(&cfg);
                RETURN_THROWS();
            }
        } ZEND_HASH_FOREACH_END();
    }

    o->srv = wsp_server_new(&cfg);   /* copies cfg */
    wsp_config_free(&cfg);
    if (!o->srv) {
        wspush_throw(WSP_ERR_NOMEM, "cannot create the push server: out of memory");
        RETURN_THROWS();
    }
}

/* Server::start() and the first half of Server::run(). */
static zend_result wspush_server_do_start(wspush_server_obj *o)
{
    char errbuf[256] = "";
    int rc;

    if (strcmp(sapi_module.name, "cli") != 0 && strcmp(sapi_module.name, "phpdbg") != 0) {
        wspush_throw(WSP_ERR_STATE, "WsPush\\Server runs only under the CLI SAPI (this is \"%s\"): "
                     "start it from a console command or bin/wspush serve", sapi_module.name);
        return FAILURE;
    }
    if (o->started) {
        wspush_throw(WSP_ERR_STATE, "the server is already started");
        return FAILURE;
    }
    rc = wsp_server_start(o->srv, errbuf, sizeof errbuf);
    if (rc != WSP_OK) {
        wspush_throw(rc, "cannot start the push server: %s",
                     errbuf[0] ? errbuf : wsp_server_errstr(o->srv));
        return FAILURE;
    }
    o->started = true;
    o->owner_pid = getpid();
    return SUCCESS;
}

static zend_result wspush_server_do_stop(wspush_server_obj *o, double drain)
{
    int rc = wsp_server_stop(o->srv, drain);

    if (rc != WSP_OK) {
        wspush_throw(rc, "stopping the push server failed: %s", wsp_server_errstr(o->srv));
        return FAILURE;
    }
    o->started = false;   /* start() may run it again (same options, same data) */
    return SUCCESS;
}

ZEND_METHOD(WsPush_Server, start)
{
    ZEND_PARSE_PARAMETERS_NONE();
    if (!wspush_server_get(ZEND_THIS)) {
        RETURN_THROWS();
    }
    if (wspush_server_do_start(Z_WSPUSH_SERVER_P(ZEND_THIS)) == FAILURE) {
        RETURN_THROWS();
    }
}

/* Server::run(): start, serve until SIGTERM/SIGINT, stop gracefully. No
 * pcntl needed: the signals below are blocked in this thread BEFORE the
 * core thread is created (it inherits the mask; the core's threads block
 * every signal themselves anyway, so start(); run(); works too) and are
 * taken with sigwaitinfo() here, never by a handler:
 *   SIGUSR1, SIGHUP   reopen both log files (logrotate), keep serving
 *   SIGTERM, SIGINT   graceful stop (drain_seconds), then return
 *   the same again    the drain ends now; replies and closes get up to 2 s
 * The old mask is restored before the final store commit, so a third signal
 * gets its default action there (the process ends at once). */
static void wspush_run_signal_set(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGUSR1);
    sigaddset(set, SIGHUP);
}

static bool wspush_is_stop_signal(int sig)
{
    return sig == SIGINT || sig == SIGTERM;
}

ZEND_METHOD(WsPush_Server, run)
{
    wspush_server_obj *o;
    sigset_t wait_set, old_set;
    siginfo_t info;
    int sig, stops = 0;

    ZEND_PARSE_PARAMETERS_NONE();
    if (!wspush_server_get(ZEND_THIS)) {
        RETURN_THROWS();
    }
    o = Z_WSPUSH_SERVER_P(ZEND_THIS);

    wspush_run_signal_set(&wait_set);
    if (pthread_sigmask(SIG_BLOCK, &wait_set, &old_set) != 0) {
        wspush_throw(WSP_ERR_THREAD, "cannot block SIGINT/SIGTERM/SIGUSR1/SIGHUP: %s", strerror(errno));
        RETURN_THROWS();
    }
    if (!o->started && wspush_server_do_start(o) == FAILURE) {
        pthread_sigmask(SIG_SETMASK, &old_set, NULL);
        RETURN_THROWS();
    }
    /* Nobody can poll() while run() blocks: events would only pile up. */
    wsp_server_set_events(o->srv, 0);

    for (;;) {
        sig = sigwaitinfo(&wait_set, &info);
        if (sig < 0) {
            if (errno == EINTR) {
                continue;
            }
            pthread_sigmask(SIG_SETMASK, &old_set, NULL);
            wsp_server_set_events(o->srv, 1);
            wspush_throw(WSP_ERR_THREAD, "waiting for signals failed: %s", strerror(errno));
            RETURN_THROWS();
        }
        if (wspush_is_stop_signal(sig)) {
            break;
        }
        wsp_server_reopen_logs(o->srv);   /* SIGUSR1, SIGHUP */
    }

    /* Graceful stop while still answering signals. */
    wsp_server_stop_request(o->srv, -1.0);
    stops = 1;
    while (!wsp_server_wait_stopped(o->srv, 0.05)) {
        struct timespec now = { 0, 0 };
        sig = sigtimedwait(&wait_set, &info, &now);
        if (sig < 0) {
            continue;
        }
        if (!wspush_is_stop_signal(sig)) {
            wsp_server_reopen_logs(o->srv);
        } else if (stops++ == 1) {
            wsp_server_stop_request(o->srv, 0.0);   /* second signal: now */
        }
    }
    pthread_sigmask(SIG_SETMASK, &old_set, NULL);
    wsp_server_set_events(o->srv, 1);
    if (wspush_server_do_stop(o, 0.0) == FAILURE) {   /* join, commit the store */
        RETURN_THROWS();
    }
}

ZEND_METHOD(WsPush_Server, stop)
{
    double drain = 5.0;

    ZEND_PARSE_PARAMETERS_START(0, 1)
        Z_PARAM_OPTIONAL
        Z_PARAM_DOUBLE(drain)
    ZEND_PARSE_PARAMETERS_END();

    if (!(drain >= 0.0) || drain > 86400.0) {   /* also rejects NAN */
        zend_argument_value_error(1, "must be between 0 and 86400 seconds");
        RETURN_THROWS();
    }
    if (Z_WSPUSH_SERVER_P(ZEND_THIS)->srv && wspush_server_is_parents(Z_WSPUSH_SERVER_P(ZEND_THIS))) {
        return;   /* a forked child: the server is the parent's to stop */
    }
    if (!wspush_server_get(ZEND_THIS)) {
        RETURN_THROWS();
    }
    if (wspush_server_do_stop(Z_WSPUSH_SERVER_P(ZEND_THIS), drain) == FAILURE) {
        RETURN_THROWS();
    }
}

ZEND_METHOD(WsPush_Server, push)
{
    zend_string *key, *payload;
    wsp_server *srv;
    char errbuf[256] = "";
    int queued = 0, rc;

    ZEND_PARSE_PARAMETERS_START(2, 2)
        Z_PARAM_STR(key)
        Z_PARAM_STR(payload)
    ZEND_PARSE_PARAMETERS_END();

    if (!(srv = wspush_server_get(ZEND_THIS))) {
        RETURN_THROWS();
    }
    rc = wsp_server_push(srv, ZSTR_VAL(key), ZSTR_LEN(key), ZSTR_VAL(payload), ZSTR_LEN(payload),
                         &queued, errbuf, sizeof errbuf);
    if (rc == WSP_ERR_FAIL) {
        /* The core's message may already start with "push refused". */
        wspush_throw(rc, "%s%s", strncmp(errbuf, "push refused", 12) == 0 ? "" : "push refused: ",
                     errbuf[0] ? errbuf : "bad key or payload");
        RETURN_THROWS();
    }
    if (rc != WSP_OK) {
        wspush_throw(rc, "push failed: %s", errbuf[0] ? errbuf : wsp_server_errstr(srv));
        RETURN_THROWS();
    }
    RETURN_STRING(queued ? "queued" : "ok");
}

ZEND_METHOD(WsPush_Server, isOnline)
{
    zend_string *key;
    wsp_server *srv;
    int rc;

    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_STR(key)
    ZEND_PARSE_PARAMETERS_END();

    if (!(srv = wspush_server_get(ZEND_THIS))) {
        RETURN_THROWS();
    }
    rc = wsp_server_is_online(srv, ZSTR_VAL(key), ZSTR_LEN(key));
    if (rc < 0) {
        wspush_throw(rc, "isOnline failed: %s", wsp_server_errstr(srv));
        RETURN_THROWS();
    }
    RETURN_BOOL(rc > 0);
}

static void wspush_add_u64(zval *arr, const char *name, uint64_t v)
{
    add_assoc_long(arr, name, v > (uint64_t)ZEND_LONG_MAX ? ZEND_LONG_MAX : (zend_long)v);
}

ZEND_METHOD(WsPush_Server, stats)
{
    wsp_server *srv;
    wsp_stats st;
    int rc;

    ZEND_PARSE_PARAMETERS_NONE();
    if (!(srv = wspush_server_get(ZEND_THIS))) {
        RETURN_THROWS();
    }
    memset(&st, 0, sizeof st);
    rc = wsp_server_stats(srv, &st);
    if (rc != WSP_OK) {
        wspush_throw(rc, "stats failed: %s", wsp_server_errstr(srv));
        RETURN_THROWS();
    }

    array_init(return_value);
#define U64(f) wspush_add_u64(return_value, #f, st.f)
    U64(connections);
    U64(bound);
    U64(keys);
    U64(outbox_depth);
    U64(outbox_bytes);
    U64(store_bytes);
    add_assoc_double(return_value, "oldest_age", st.oldest_age);
    U64(push_lines);
    U64(push_ok);
    U64(push_queued);
    U64(push_fail);
    U64(delivered_writes);
    U64(confirmed);
    U64(replayed);
    U64(dropped_retry);
    U64(dropped_queue_limit);
    U64(expired);
    U64(fallback_connections);
    U64(closed_timeout);
    U64(closed_protocol);
    U64(closed_behind);
    U64(log_dropped);
    U64(events_dropped);
    U64(store_errors);
    U64(load_renumbered);
    U64(push_auth_failed);
    U64(ws_auth_refused);
    U64(origin_refused);
    U64(closed_handshake_timeout);
    U64(closed_message_timeout);
    U64(output_paused);
    U64(output_held);
    U64(rejected_max_connections);
    U64(rejected_per_ip);
    U64(rejected_fd_limit);
    U64(closed_push_idle);
    /* operations: the same numbers as /metrics (docs/operations.md) */
    U64(conns_handshake);
    U64(conns_unbound);
    U64(conns_web);
    U64(conns_client);
    U64(conns_closing);
    U64(retried);
    U64(commit_count);
    add_assoc_double(return_value, "commit_seconds_sum", st.commit_seconds_sum);
    add_assoc_double(return_value, "loop_lag_seconds", st.loop_lag_seconds);
    U64(log_reopens);
    U64(socket_writes);
    U64(write_calls);
    add_assoc_bool(return_value, "io_uring", st.io_uring != 0);
    add_assoc_bool(return_value, "healthy", st.healthy != 0);
    add_assoc_bool(return_value, "stopping", st.stopping != 0);
    add_assoc_bool(return_value, "store_failing", st.store_failing != 0);
    {
        zval closed;
        array_init_size(&closed, WSP_CLOSE_NREASONS);
        for (int i = 0; i < WSP_CLOSE_NREASONS; i++) {
            wspush_add_u64(&closed, wsp_close_reason_name(i), st.closed_by_reason[i]);
        }
        add_assoc_zval(return_value, "closed", &closed);
    }
    U64(redis_up);
    U64(redis_disconnects);
    U64(redis_errors);
    U64(cluster_nodes);
    U64(cluster_connections);
    U64(cluster_bound);
#undef U64
    add_assoc_long(return_value, "ws_port", wsp_server_ws_port(srv));
    add_assoc_long(return_value, "push_port", wsp_server_push_port(srv));
    add_assoc_long(return_value, "metrics_port", wsp_server_metrics_port(srv));
}

ZEND_METHOD(WsPush_Server, poll)
{
    double timeout = 0.0;
    wsp_server *srv;
    wsp_event ev;
    const char *type;
    int rc;

    ZEND_PARSE_PARAMETERS_START(0, 1)
        Z_PARAM_OPTIONAL
        Z_PARAM_DOUBLE(timeout)
    ZEND_PARSE_PARAMETERS_END();

    if (!(timeout >= 0.0) || timeout > 86400.0) {   /* also rejects NAN; the deadline
                                                       * is computed in integer ns */
        zend_argument_value_error(1, "must be between 0 and 86400 seconds");
        RETURN_THROWS();
    }
    if (!(srv = wspush_server_get(ZEND_THIS))) {
        RETURN_THROWS();
    }
    memset(&ev, 0, sizeof ev);
    rc = wsp_server_poll(srv, timeout, &ev);
    if (rc < 0) {
        wspush_throw(rc, "poll failed: %s", wsp_server_errstr(srv));
        RETURN_THROWS();
    }
    if (rc == 0) {
        RETURN_NULL();
    }

    switch (ev.type) {
    case WSP_EV_BIND:    type = "bind"; break;
    case WSP_EV_MESSAGE: type = "message"; break;
    case WSP_EV_CLOSE:   type = "close"; break;
    default:             type = "unknown"; break;
    }
    /* Copy out of the core's malloc'd event, then let the core free it. */
    array_init_size(return_value, 5);
    add_assoc_string(return_value, "type", type);
    wspush_add_u64(return_value, "conn", ev.conn_id);
    if (ev.key) {
        add_assoc_stringl(return_value, "key", ev.key, ev.key_len);
    } else {
        add_assoc_null(return_value, "key");
    }
    add_assoc_stringl(return_value, "data", ev.data ? ev.data : "", ev.data ? ev.data_len : 0);
    add_assoc_bool(return_value, "web", ev.is_web != 0);
    wsp_event_clear(&ev);
}
