/*
 * config.c - the server options (README, "Options"): defaults, strict parsing of each
 * option from its text form, deep copy and free.
 *
 * Every option arrives as text (from PHP's options array, the CLI or a
 * test), so there is exactly one parser per option kind and one message
 * shape: `<name>: expected <what>, got "<value>"`. A bad value never
 * changes the config: we parse into locals first and commit at the end.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wsp.h"
#include "store.h"
#include "cluster.h"
#include "errbuf.h"

/* Upper bound for the byte-size options. A frame, a push line or an output
 * buffer larger than this is a misconfiguration, not a need: each such
 * buffer is held in memory per connection. */
#define WSP_CFG_SIZE_MAX ((size_t)1 << 30)

typedef enum wsp_opt_kind {
    WSP_OPT_LISTEN,     /* HOST:PORT */
    WSP_OPT_SECONDS,    /* positive, fractions allowed */
    WSP_OPT_COUNT,      /* positive integer that fits an int */
    WSP_OPT_SIZE,       /* positive bytes, optional K / M suffix */
    WSP_OPT_STORE,      /* a store this build has (store.c) */
    WSP_OPT_DIR,        /* non-empty path */
    WSP_OPT_LOGPATH,    /* path, "" disables */
    WSP_OPT_FSYNC,
    WSP_OPT_LEVEL,
    WSP_OPT_SECRET,     /* a token or secret: 1-1024 bytes, no CR/LF */
    WSP_OPT_ORIGINS,    /* comma-separated Origins */
    WSP_OPT_PATH,       /* non-empty file path */
    WSP_OPT_BOOL,       /* 1/0, true/false, yes/no, on/off */
    WSP_OPT_LOGFMT,     /* text | json */
    WSP_OPT_LISTEN_OFF, /* HOST:PORT, "" disables */
    WSP_OPT_URING,      /* auto | on | off */
} wsp_opt_kind;

typedef struct wsp_opt {
    const char   *name;
    wsp_opt_kind  kind;
    size_t        off;  /* offset of the field in wsp_config */
} wsp_opt;

#define WSP_OPT(n, k) { #n, k, offsetof(wsp_config, n) }
static const wsp_opt wsp_opts[] = {
    WSP_OPT(ws_listen, WSP_OPT_LISTEN),
    WSP_OPT(push_listen, WSP_OPT_LISTEN),
    WSP_OPT(heartbeat_timeout, WSP_OPT_SECONDS),
    WSP_OPT(retry_max, WSP_OPT_COUNT),
    WSP_OPT(ttl, WSP_OPT_SECONDS),
    WSP_OPT(queue_limit, WSP_OPT_COUNT),
    WSP_OPT(max_frame, WSP_OPT_SIZE),
    WSP_OPT(max_line, WSP_OPT_SIZE),
    WSP_OPT(max_output, WSP_OPT_SIZE),
    WSP_OPT(store, WSP_OPT_STORE),
    WSP_OPT(data_dir, WSP_OPT_DIR),
    WSP_OPT(fsync, WSP_OPT_FSYNC),
    WSP_OPT(log_file, WSP_OPT_LOGPATH),
    WSP_OPT(close_log_file, WSP_OPT_LOGPATH),
    WSP_OPT(log_level, WSP_OPT_LEVEL),
    WSP_OPT(ping_fallback_after, WSP_OPT_SECONDS),
    WSP_OPT(handshake_timeout, WSP_OPT_SECONDS),
    WSP_OPT(message_timeout, WSP_OPT_SECONDS),
    WSP_OPT(max_connections, WSP_OPT_COUNT),
    WSP_OPT(max_connections_per_ip, WSP_OPT_COUNT),
    WSP_OPT(poll_queue_bytes, WSP_OPT_SIZE),
    WSP_OPT(push_idle_timeout, WSP_OPT_SECONDS),
    WSP_OPT(push_token, WSP_OPT_SECRET),
    WSP_OPT(push_insecure, WSP_OPT_BOOL),
    WSP_OPT(auth_secret, WSP_OPT_SECRET),
    WSP_OPT(allowed_origins, WSP_OPT_ORIGINS),
    WSP_OPT(ws_tls_cert, WSP_OPT_PATH),
    WSP_OPT(ws_tls_key, WSP_OPT_PATH),
    WSP_OPT(drain_seconds, WSP_OPT_SECONDS),
    WSP_OPT(log_format, WSP_OPT_LOGFMT),
    WSP_OPT(metrics_listen, WSP_OPT_LISTEN_OFF),
    WSP_OPT(io_uring, WSP_OPT_URING),
};
#undef WSP_OPT
#define WSP_NOPTS (sizeof(wsp_opts) / sizeof(wsp_opts[0]))

static const char *const wsp_fsync_names[] = {
    [WSP_FSYNC_BATCH] = "batch", [WSP_FSYNC_ALWAYS] = "always",
    [WSP_FSYNC_EVERYSEC] = "everysec", [WSP_FSYNC_OFF] = "off",
};
static const char *const wsp_level_names[] = {
    [WSP_LOG_DEBUG] = "debug", [WSP_LOG_INFO] = "info",
    [WSP_LOG_WARN] = "warn", [WSP_LOG_ERROR] = "error",
};


/* The string fields, for free and copy: one list so a new string option
 * cannot be forgotten in one of them. */
static const size_t wsp_str_fields[] = {
    offsetof(wsp_config, ws_listen), offsetof(wsp_config, push_listen),
    offsetof(wsp_config, store), offsetof(wsp_config, data_dir),
    offsetof(wsp_config, log_file), offsetof(wsp_config, close_log_file),
    offsetof(wsp_config, push_token), offsetof(wsp_config, auth_secret),
    offsetof(wsp_config, allowed_origins), offsetof(wsp_config, ws_tls_cert),
    offsetof(wsp_config, ws_tls_key), offsetof(wsp_config, metrics_listen),
};
/* Of those, the ones that always have a value (the first six). */
#define WSP_REQUIRED_STRS 6

static char **wsp_str_at(wsp_config *cfg, size_t off)
{
    return (char **)(void *)((char *)cfg + off);
}

void wsp_config_init(wsp_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    /* strdup failures leave NULL; wsp_config_copy turns that into NOMEM. */
    cfg->ws_listen = strdup("0.0.0.0:5001");
    cfg->push_listen = strdup("127.0.0.1:5002");
    cfg->heartbeat_timeout = 12;
    cfg->retry_max = 5;
    cfg->ttl = 3600;
    cfg->queue_limit = 2000;
    cfg->max_frame = 1u << 20;
    cfg->max_line = 1u << 20;
    cfg->max_output = 4u << 20;
    cfg->store = strdup("file");
    cfg->data_dir = strdup("runtime/wspush");
    cfg->fsync = WSP_FSYNC_BATCH;
    cfg->log_file = strdup("runtime/logs/workman.log");
    cfg->close_log_file = strdup("runtime/logs/workman_close.log");
    cfg->log_level = WSP_LOG_INFO;
    cfg->ping_fallback_after = 30;
    cfg->drain_seconds = 5;
    cfg->log_format = WSP_LOG_TEXT;
    /* Limits against hostile clients: generous for real use (a slow link
     * still sends a 1 MiB message in 30 s; a NAT'd office shares one
     * address), small enough that one client cannot take the server. */
    cfg->handshake_timeout = 5;
    cfg->message_timeout = 30;
    cfg->max_connections = 100000;
    cfg->max_connections_per_ip = 1000;
    cfg->poll_queue_bytes = 16u << 20;
    cfg->push_idle_timeout = 300;
}

void wsp_config_free(wsp_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < sizeof(wsp_str_fields) / sizeof(wsp_str_fields[0]); i++) {
        char **p = wsp_str_at(cfg, wsp_str_fields[i]);
        free(*p);
        *p = NULL;
    }
}

int wsp_config_copy(wsp_config *dst, const wsp_config *src)
{
    size_t i;

    *dst = *src;
    /* Null the strings first so the cleanup path frees only our copies. */
    for (i = 0; i < sizeof(wsp_str_fields) / sizeof(wsp_str_fields[0]); i++)
        *wsp_str_at(dst, wsp_str_fields[i]) = NULL;
    for (i = 0; i < sizeof(wsp_str_fields) / sizeof(wsp_str_fields[0]); i++) {
        const char *s = *wsp_str_at((wsp_config *)src, wsp_str_fields[i]);
        if (!s) {
            if (i < WSP_REQUIRED_STRS)
                goto fail;   /* wsp_config_init ran out of memory */
            continue;
        }
        if (!(*wsp_str_at(dst, wsp_str_fields[i]) = strdup(s)))
            goto fail;
    }
    return WSP_OK;
fail:
    wsp_config_free(dst);
    memset(dst, 0, sizeof(*dst));
    return WSP_ERR_NOMEM;
}

int wsp_addr_split(const char *addr, char *host, size_t hostlen, int *port,
                   char *errbuf, size_t errlen)
{
    const char *h, *colon, *p;
    size_t hl;
    long v = 0;

    if (!addr || !*addr)
        goto bad;
    if (addr[0] == '[') {
        /* IPv6 literal: the brackets are what make the port unambiguous. */
        const char *close = strchr(addr, ']');
        if (!close || close[1] != ':')
            goto bad;
        h = addr + 1;
        hl = (size_t)(close - h);
        colon = close + 1;
        if (hl == 0 || strspn(h, "0123456789abcdefABCDEF:.") < hl)
            goto bad;
    } else {
        colon = strrchr(addr, ':');
        if (!colon)
            goto bad;
        h = addr;
        hl = (size_t)(colon - addr);
        /* Hostname or IPv4; an unbracketed IPv6 literal lands here and is
         * refused by the character set (':' is not in it). */
        if (hl == 0 || strspn(h, "abcdefghijklmnopqrstuvwxyz"
                                 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") < hl)
            goto bad;
    }
    p = colon + 1;
    if (!*p || strlen(p) > 5 || strspn(p, "0123456789") != strlen(p))
        goto bad_port;
    v = strtol(p, NULL, 10);
    if (v > 65535)
        goto bad_port;
    if (hl + 1 > hostlen) {
        wsp_errf(errbuf, errlen, "host name too long in \"%s\"", addr);
        return WSP_ERR_OPTION;
    }
    if (host) {
        memcpy(host, h, hl);
        host[hl] = '\0';
    }
    if (port)
        *port = (int)v;
    return WSP_OK;
bad_port:
    wsp_errf(errbuf, errlen,
                "expected a port 0-65535 after the last ':', got \"%s\"", addr);
    return WSP_ERR_OPTION;
bad:
    wsp_errf(errbuf, errlen,
                "expected HOST:PORT (IPv6 as [ADDR]:PORT), got \"%s\"",
                addr ? addr : "");
    return WSP_ERR_OPTION;
}

/* strtod accepts "nan", "inf", hex floats and leading blanks; none of them
 * is a sensible number of seconds, so only plain decimal text is taken. */
/* Seconds are turned into int64 milliseconds and timevals and added to
 * clock readings: 10 ms to a year keeps every such conversion and sum far
 * from overflow (ttl 1e300 made (int64_t)(ttl * 1000) undefined), and a
 * timer resolves nothing shorter. */
#define WSP_SECONDS_MIN 0.01
#define WSP_SECONDS_MAX 31536000.0   /* 365 days */

/* 0, -1 (not a positive number), -2 (out of range). */
static int wsp_parse_seconds(const char *v, double *out)
{
    char *end;
    double d;

    if (!*v || strspn(v, "0123456789.eE+-") != strlen(v))
        return -1;
    errno = 0;
    d = strtod(v, &end);
    if (*end || (errno && errno != ERANGE) || isnan(d) || d <= 0)
        return -1;
    if (errno == ERANGE || !isfinite(d) || d < WSP_SECONDS_MIN || d > WSP_SECONDS_MAX)
        return -2;
    *out = d;
    return 0;
}

static int wsp_parse_count(const char *v, int *out)
{
    char *end;
    long long n;

    if (!*v || strspn(v, "0123456789") != strlen(v))
        return -1;
    errno = 0;
    n = strtoll(v, &end, 10);
    if (*end || errno || n <= 0 || n > 2147483647LL)
        return -1;
    *out = (int)n;
    return 0;
}

/* Bytes, or a K / M suffix (binary: 1K = 1024), case-insensitive. */
static int wsp_parse_size(const char *v, size_t *out)
{
    size_t digits = strspn(v, "0123456789"), mul = 1;
    unsigned long long n;

    if (digits == 0 || digits > 12)
        return -1;
    if (v[digits] == 'k' || v[digits] == 'K')
        mul = 1024;
    else if (v[digits] == 'm' || v[digits] == 'M')
        mul = 1024 * 1024;
    else if (v[digits] != '\0')
        return -1;
    if (mul != 1 && v[digits + 1] != '\0')
        return -1;
    n = strtoull(v, NULL, 10);
    if (n == 0 || n > WSP_CFG_SIZE_MAX / mul)
        return -1;
    *out = (size_t)n * mul;
    return 0;
}

static int wsp_parse_enum(const char *v, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v, names[i]) == 0)
            return (int)i;
    return -1;
}

/* allowed_origins: each comma-separated item, trimmed, is
 * scheme://host[:port] with no path, no whitespace inside and no empty
 * item: a typo must fail at start, not lock every browser out. */
static int wsp_parse_origins(const char *v)
{
    const char *p = v;
    int items = 0;

    for (;;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        while (n && (*p == ' ' || *p == '\t')) { p++; n--; }
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t')) n--;
        const char *sep = n > 3 ? strstr(p, "://") : NULL;
        if (!n || !sep || sep == p || (size_t)(sep - p) + 3 >= n)
            return -1;
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)p[i] <= ' ' || p[i] == 0x7f
                || (p + i > sep + 2 && p[i] == '/'))
                return -1;
        items++;
        if (!end)
            break;
        p = end + 1;
    }
    return items ? 0 : -1;
}

/* Replace the string field at *slot with a copy of v. */
static int wsp_set_str(char **slot, const char *v, const char *name,
                       char *errbuf, size_t errlen)
{
    char *copy = strdup(v);
    if (!copy) {
        wsp_errf(errbuf, errlen, "%s: out of memory", name);
        return WSP_ERR_NOMEM;
    }
    free(*slot);
    *slot = copy;
    return WSP_OK;
}

int wsp_config_set(wsp_config *cfg, const char *name, const char *value,
                   char *errbuf, size_t errlen)
{
    const wsp_opt *o = NULL;
    void *field;
    char addr_err[160];

    if (errbuf && errlen)
        errbuf[0] = '\0';
    for (size_t i = 0; name && i < WSP_NOPTS; i++)
        if (strcmp(wsp_opts[i].name, name) == 0)
            o = &wsp_opts[i];
    if (!o) {
        /* Name the offender and the valid names: a typo should be a
         * one-glance fix. */
        char known[1024];
        size_t used = 0;
        known[0] = '\0';
        for (size_t i = 0; i < WSP_NOPTS && used < sizeof(known); i++)
            used += (size_t)snprintf(known + used, sizeof(known) - used, "%s%s",
                                     i ? ", " : "", wsp_opts[i].name);
        wsp_errf(errbuf, errlen, "unknown option \"%s\" (known options: %s)",
                    name ? name : "(null)", known);
        return WSP_ERR_OPTION;
    }
    if (!value) {
        wsp_errf(errbuf, errlen, "%s: missing value", o->name);
        return WSP_ERR_OPTION;
    }
    field = (char *)cfg + o->off;

    switch (o->kind) {
    case WSP_OPT_LISTEN_OFF:
        if (!*value)
            return wsp_set_str(field, value, o->name, errbuf, errlen);
        /* fall through */
    case WSP_OPT_LISTEN:
        if (wsp_addr_split(value, NULL, 256, NULL, addr_err, sizeof(addr_err)) != WSP_OK) {
            wsp_errf(errbuf, errlen, "%s: %s", o->name, addr_err);
            return WSP_ERR_OPTION;
        }
        return wsp_set_str(field, value, o->name, errbuf, errlen);
    case WSP_OPT_SECONDS:
        switch (wsp_parse_seconds(value, field)) {
        case -1:
            wsp_errf(errbuf, errlen,
                        "%s: expected a positive number of seconds, got \"%s\"",
                        o->name, value);
            return WSP_ERR_OPTION;
        case -2:
            wsp_errf(errbuf, errlen, "%s: expected between 0.01 and 31536000 seconds "
                     "(365 days), got \"%s\"", o->name, value);
            return WSP_ERR_OPTION;
        }
        return WSP_OK;
    case WSP_OPT_COUNT:
        if (wsp_parse_count(value, field) != 0) {
            wsp_errf(errbuf, errlen,
                        "%s: expected a positive integer, got \"%s\"", o->name, value);
            return WSP_ERR_OPTION;
        }
        return WSP_OK;
    case WSP_OPT_SIZE:
        if (wsp_parse_size(value, field) != 0) {
            wsp_errf(errbuf, errlen,
                        "%s: expected a positive size in bytes (suffix K or M "
                        "allowed, at most 1024M), got \"%s\"", o->name, value);
            return WSP_ERR_OPTION;
        }
        return WSP_OK;
    case WSP_OPT_STORE:
        /* Only a store this build can open (store.c lists them): an option
         * that cannot be honoured is an error here, not at start. */
        if (!wsp_store_find(value)) {
            char names[128];
            wsp_store_names(names, sizeof names);
            if (strstr(value, "://") && strstr(value, "://")[3] != '\0')
                wsp_errf(errbuf, errlen, "%s: \"%s\" is not available in this build "
                         "(it has: %s)", o->name, value, names);
            else
                wsp_errf(errbuf, errlen, "%s: expected one of %s, got \"%s\"", o->name,
                         names, value);
            return WSP_ERR_OPTION;
        }
        if (wsp_store_find(value) == &wsp_store_redis_ops
            && wsp_cluster_check_url(value, errbuf, errlen) != 0)
            return WSP_ERR_OPTION;
        return wsp_set_str(field, value, o->name, errbuf, errlen);
    case WSP_OPT_DIR:
        if (!*value) {
            wsp_errf(errbuf, errlen, "%s: expected a directory path, got \"\"",
                        o->name);
            return WSP_ERR_OPTION;
        }
        return wsp_set_str(field, value, o->name, errbuf, errlen);
    case WSP_OPT_LOGPATH:
        return wsp_set_str(field, value, o->name, errbuf, errlen);
    case WSP_OPT_SECRET:
        /* Empty would read as "set" but protect nothing; a line break
         * could not be sent on the push port's line protocol. */
        if (!*value || strlen(value) > 1024 || strpbrk(value, "\r\n")) {
            wsp_errf(errbuf, errlen, "%s: expected 1-1024 bytes without line breaks%s",
                     o->name, *value ? "" : ", got \"\"");
            return WSP_ERR_OPTION;
        }
        /* One signed URL lets anyone test guesses of auth_secret offline. */
        if (o->off == offsetof(wsp_config, auth_secret) && strlen(value) < 16) {
            wsp_errf(errbuf, errlen, "%s: expected at least 16 bytes (a random string: "
                     "a signed URL lets anyone test guesses offline)", o->name);
            return WSP_ERR_OPTION;
        }
        return wsp_set_str(field, value, o->name, errbuf, errlen);
    case WSP_OPT_ORIGINS:
        if (wsp_parse_origins(value) != 0) {
            wsp_errf(errbuf, errlen, "%s: expected a comma-separated list of origins "
                     "(scheme://host[:port]), got \"%s\"", o->name, value);
            return WSP_ERR_OPTION;
        }
        return wsp_set_str(field, value, o->name, errbuf, errlen);
    case WSP_OPT_PATH:
        if (!*value) {
            wsp_errf(errbuf, errlen, "%s: expected a file path, got \"\"", o->name);
            return WSP_ERR_OPTION;
        }
        return wsp_set_str(field, value, o->name, errbuf, errlen);
    case WSP_OPT_BOOL: {
        static const char *const yes[] = { "1", "true", "yes", "on" };
        static const char *const no[] = { "0", "false", "no", "off", "" };
        if (wsp_parse_enum(value, yes, 4) >= 0) {
            *(int *)field = 1;
        } else if (wsp_parse_enum(value, no, 5) >= 0) {
            *(int *)field = 0;
        } else {
            wsp_errf(errbuf, errlen, "%s: expected 1/0, true/false, yes/no or on/off, "
                     "got \"%s\"", o->name, value);
            return WSP_ERR_OPTION;
        }
        return WSP_OK;
    }
    case WSP_OPT_FSYNC: {
        int f = wsp_parse_enum(value, wsp_fsync_names, 4);
        if (f < 0) {
            wsp_errf(errbuf, errlen,
                        "%s: expected always, batch, everysec or off, got \"%s\"",
                        o->name, value);
            return WSP_ERR_OPTION;
        }
        cfg->fsync = (wsp_fsync_policy)f;
        return WSP_OK;
    }
    case WSP_OPT_URING: {
        static const char *const modes[] = { [WSP_URING_AUTO] = "auto", [WSP_URING_ON] = "on",
                                             [WSP_URING_OFF] = "off" };
        int m = wsp_parse_enum(value, modes, 3);
        if (m < 0) {
            wsp_errf(errbuf, errlen, "%s: expected auto, on or off, got \"%s\"", o->name, value);
            return WSP_ERR_OPTION;
        }
        cfg->io_uring = (wsp_uring_mode)m;
        return WSP_OK;
    }
    case WSP_OPT_LOGFMT:
        if (strcmp(value, "text") != 0 && strcmp(value, "json") != 0) {
            wsp_errf(errbuf, errlen, "%s: expected text or json, got \"%s\"",
                        o->name, value);
            return WSP_ERR_OPTION;
        }
        cfg->log_format = value[0] == 'j' ? WSP_LOG_JSON : WSP_LOG_TEXT;
        return WSP_OK;
    case WSP_OPT_LEVEL: {
        int l = wsp_parse_enum(value, wsp_level_names, 4);
        if (l < 0) {
            wsp_errf(errbuf, errlen,
                        "%s: expected debug, info, warn or error, got \"%s\"",
                        o->name, value);
            return WSP_ERR_OPTION;
        }
        cfg->log_level = (wsp_log_level)l;
        return WSP_OK;
    }
    }
    return WSP_ERR_OPTION;   /* not reached: every kind is handled above */
}
