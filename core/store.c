/*
 * store.c - the stores this build has, in one table: the `store` option
 * selects one by name ("file", "memory") or by URL scheme ("redis://...").
 * config.c refuses a value no store here takes, so a server never starts
 * on an option it cannot honour.
 */
#include <stdio.h>
#include <string.h>

#include "store.h"

static const wsp_store_ops *const wsp_stores[] = {
    &wsp_store_file_ops,
    &wsp_store_memory_ops,
#ifdef WSP_HAVE_HIREDIS
    &wsp_store_redis_ops,   /* cluster mode (cluster.c) */
#endif
};

const wsp_store_ops *wsp_store_find(const char *spec)
{
    if (!spec) return NULL;
    for (size_t i = 0; i < sizeof wsp_stores / sizeof wsp_stores[0]; i++) {
        const char *name = wsp_stores[i]->name;
        size_t n = strlen(name);
        if (n > 3 && strcmp(name + n - 3, "://") == 0) {
            /* A URL store: the scheme and something after it. */
            if (strncmp(spec, name, n) == 0 && spec[n] != '\0') return wsp_stores[i];
        } else if (strcmp(spec, name) == 0) {
            return wsp_stores[i];
        }
    }
    return NULL;
}

void wsp_store_names(char *buf, size_t len)
{
    size_t used = 0;
    if (!buf || !len) return;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof wsp_stores / sizeof wsp_stores[0]; i++) {
        const char *name = wsp_stores[i]->name;
        size_t n = strlen(name);
        int url = n > 3 && strcmp(name + n - 3, "://") == 0;
        int w = snprintf(buf + used, len - used, "%s%s%s", i ? ", " : "", name,
                         url ? "HOST[:PORT]" : "");
        if (w < 0 || (size_t)w >= len - used) break;
        used += (size_t)w;
    }
}
