/*
 * cluster_url.c - the `store = redis://...` URL (docs/cluster.md): parsed when
 * the option is set (config.c) and when a node starts (cluster.c).
 */
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "errbuf.h"

void wsp_redis_url_free(wsp_redis_url *u)
{
    free(u->password);
    free(u->prefix);
    u->password = u->prefix = NULL;
}

/* redis://[:PASSWORD@]HOST[:PORT][/DB][?prefix=P&timeout=S] */
int wsp_redis_url_parse(const char *url, wsp_redis_url *u, char *errbuf, size_t errlen)
{
    const char *p = url + 8, *q;
    memset(u, 0, sizeof(*u));
    u->port = 6379;
    u->db = 0;
    u->timeout_ms = 2000;
    u->prefix = strdup("wsp:");
    if (!u->prefix) goto nomem;
    const char *at = strchr(p, '@'), *slash_or_q = p + strcspn(p, "/?");
    if (at && at < slash_or_q) {
        const char *pw = p;
        if (*pw == ':') pw++;
        else if ((q = memchr(p, ':', (size_t)(at - p)))) pw = q + 1;   /* user:password */
        u->password = strndup(pw, (size_t)(at - pw));
        if (!u->password) goto nomem;
        p = at + 1;
    }
    size_t hl;
    if (*p == '[') {
        q = strchr(p, ']');
        if (!q) goto bad;
        hl = (size_t)(q - p - 1);
        if (hl == 0 || hl >= sizeof(u->host)) goto bad;
        memcpy(u->host, p + 1, hl);
        p = q + 1;
    } else {
        hl = strcspn(p, ":/?");
        if (hl == 0 || hl >= sizeof(u->host)) goto bad;
        memcpy(u->host, p, hl);
        p += hl;
    }
    u->host[hl] = 0;
    if (*p == ':') {
        char *e;
        long v = strtol(p + 1, &e, 10);
        if (e == p + 1 || v < 1 || v > 65535) goto bad;
        u->port = (int)v;
        p = e;
    }
    if (*p == '/') {
        p++;
        if (*p && *p != '?') {
            char *e;
            long v = strtol(p, &e, 10);
            if (e == p || v < 0 || v > 1000000) goto bad;
            u->db = (int)v;
            p = e;
        }
    }
    if (*p == '?') {
        p++;
        while (*p) {
            size_t n = strcspn(p, "&");
            if (strncmp(p, "prefix=", 7) == 0) {
                free(u->prefix);
                u->prefix = strndup(p + 7, n - 7);
                if (!u->prefix) goto nomem;
                if (n - 7 > 64) goto bad;
            } else if (strncmp(p, "timeout=", 8) == 0) {
                char *e;
                double t = strtod(p + 8, &e);
                if (e != p + n || !(t >= 0.05 && t <= 3600)) goto bad;
                u->timeout_ms = (int64_t)(t * 1000);
            } else {
                wsp_redis_url_free(u);
                wsp_errf(errbuf, errlen, "store: unknown parameter \"%.*s\" in the Redis URL "
                         "(known: prefix, timeout)", (int)n, p);
                return -1;
            }
            p += n;
            if (*p == '&') p++;
        }
    }
    if (*p) goto bad;
    return 0;
bad:
    wsp_redis_url_free(u);
    wsp_errf(errbuf, errlen, "store: bad Redis URL; expected "
             "redis://[:PASSWORD@]HOST[:PORT][/DB][?prefix=P&timeout=SECONDS]");
    return -1;
nomem:
    wsp_redis_url_free(u);
    wsp_errf(errbuf, errlen, "out of memory");
    return -1;
}

int wsp_cluster_check_url(const char *url, char *errbuf, size_t errlen)
{
    wsp_redis_url u;
    if (wsp_redis_url_parse(url, &u, errbuf, errlen) != 0) return -1;
    wsp_redis_url_free(&u);
    return 0;
}
