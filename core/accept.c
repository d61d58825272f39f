/*
 * accept.c - admission of new connections on both listeners: the limits on
 * WebSocket connections (max_connections in total, max_connections_per_ip
 * per client address, and what the descriptor limit leaves), and what to do
 * when accept() itself fails for want of descriptors (EMFILE / ENFILE).
 *
 * Over a limit, a new WebSocket connection is accepted and closed at once
 * (the client learns quickly and backs off; a connection left in the
 * kernel's queue would only time out). Existing connections never notice.
 *
 * Descriptors: WebSocket connections may use the descriptor limit
 * (RLIMIT_NOFILE, read again on every accept, so `prlimit` on a running
 * server is honoured) minus what the process had open at start and a
 * reserve kept for the push port, the store and the logs. If accept() still
 * fails with EMFILE (another part of the process took descriptors), one
 * spare descriptor is given up to accept and close the waiting connection
 * (or, on the push port, to serve it), and that listener pauses briefly:
 * libevent's listener is level-triggered and would otherwise call accept()
 * again at once, forever, at 100% CPU.
 *
 * Every limit that bites is counted in wsp_stats and logged at most once
 * per WSP_LIMIT_LOG_MS with the count so far.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "server_internal.h"
#include "siphash.h"

#define FD_PAUSE_MS   100   /* a listener that hit EMFILE rests this long */
/* Descriptors WebSocket connections leave free for the push port, the
 * store and the logs: an eighth of the limit, within these bounds. */
#define FD_RESERVE_MIN 16
#define FD_RESERVE_MAX 128

/* One client address and its open WebSocket connections. */
struct wsp_ipent {
    SLIST_ENTRY(wsp_ipent) link;   /* its hash chain */
    uint32_t hash;
    uint32_t count;
    uint8_t  len;            /* 4 (IPv4) or 16 */
    uint8_t  addr[16];
};

enum { LIM_TOTAL, LIM_PER_IP, LIM_FD, LIM_ACCEPT_ERR };

static const char *const lim_what[] = {
    [LIM_TOTAL] = "max_connections reached: new WebSocket connections refused",
    [LIM_PER_IP] = "max_connections_per_ip reached: new WebSocket connections refused",
    [LIM_FD] = "descriptor limit reached: new connections shed",
    [LIM_ACCEPT_ERR] = "accept() failed",
};

static void limit_log(wsp_server *srv, int which, uint64_t count, const char *detail)
{
    wsp_accept_state *a = &srv->acc;
    int64_t now = wsp_now_ms(srv);
    if (a->log_ms[which] && now - a->log_ms[which] < WSP_LIMIT_LOG_MS) return;
    a->log_ms[which] = now;
    wsp_log_msg(srv->log, WSP_LOG_WARN, "limit", "%s (%llu so far)%s%s", lim_what[which],
                (unsigned long long)count, detail ? ": " : "", detail ? detail : "");
}

/* ---- per-address table ---- */

static int addr_key(const struct sockaddr *sa, uint8_t out[16], uint8_t *len)
{
    if (sa && sa->sa_family == AF_INET) {
        memcpy(out, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        *len = 4;
        return 0;
    }
    if (sa && sa->sa_family == AF_INET6) {
        const uint8_t *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
        static const uint8_t v4mapped[12] = { 0,0,0,0,0,0,0,0,0,0,0xff,0xff };
        if (memcmp(a, v4mapped, 12) == 0) {   /* same client as over IPv4 */
            memcpy(out, a + 12, 4);
            *len = 4;
        } else {
            memcpy(out, a, 16);
            *len = 16;
        }
        return 0;
    }
    return -1;   /* unix sockets etc.: not limited per address */
}

static uint32_t addr_hash(const wsp_accept_state *a, const uint8_t *k, uint8_t len)
{
    return wsp_siphash13(a->seed, k, len);   /* keyed: bucket collisions cannot be chosen */
}

static int iptab_grow(wsp_accept_state *a)
{
    size_t nb = a->nbuckets ? a->nbuckets * 2 : 256;
    struct wsp_ipchain *b = calloc(nb, sizeof(*b));   /* zeroed: empty chains */
    if (!b) return -1;
    for (size_t i = 0; i < a->nbuckets; i++) {
        struct wsp_ipent *e;
        while ((e = SLIST_FIRST(&a->buckets[i])) != NULL) {
            SLIST_REMOVE_HEAD(&a->buckets[i], link);
            SLIST_INSERT_HEAD(&b[e->hash & (nb - 1)], e, link);
        }
    }
    free(a->buckets);
    a->buckets = b;
    a->nbuckets = nb;
    return 0;
}

/* The entry for sa, created with count 0 when missing; NULL when sa has no
 * address or memory ran out (the connection is then not limited by address). */
static struct wsp_ipent *iptab_get(wsp_accept_state *a, const struct sockaddr *sa)
{
    uint8_t k[16], len;
    if (addr_key(sa, k, &len) < 0) return NULL;
    if (a->count >= a->nbuckets && iptab_grow(a) < 0 && !a->nbuckets) return NULL;
    uint32_t h = addr_hash(a, k, len);
    struct wsp_ipchain *chain = &a->buckets[h & (a->nbuckets - 1)];
    struct wsp_ipent *e;
    SLIST_FOREACH(e, chain, link)
        if (e->hash == h && e->len == len && memcmp(e->addr, k, len) == 0) return e;
    e = calloc(1, sizeof(*e));
    if (!e) return NULL;
    e->hash = h;
    e->len = len;
    memcpy(e->addr, k, len);
    SLIST_INSERT_HEAD(chain, e, link);
    a->count++;
    return e;
}

static void iptab_put(wsp_accept_state *a, struct wsp_ipent *e)
{
    if (!e || --e->count > 0) return;
    SLIST_REMOVE(&a->buckets[e->hash & (a->nbuckets - 1)], e, wsp_ipent, link);
    a->count--;
    free(e);
}

void wsp_accept_release(wsp_wsconn *c)
{
    iptab_put(&c->srv->acc, c->ip);
    c->ip = NULL;
}

/* ---- descriptors ---- */

static int count_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d) return 16;   /* a guess where /proc is missing */
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL; )
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n > 0 ? n - 1 : 0;   /* minus the directory's own descriptor */
}

/* How many WebSocket connections the descriptor limit leaves room for. */
static void update_fd_room(wsp_server *srv)
{
    wsp_accept_state *a = &srv->acc;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY
        || rl.rlim_cur > (rlim_t)1 << 40) {
        a->fd_room = UINT64_MAX;
        return;
    }
    uint64_t lim = (uint64_t)rl.rlim_cur;
    uint64_t reserve = lim / 8 < FD_RESERVE_MIN ? FD_RESERVE_MIN
                     : lim / 8 > FD_RESERVE_MAX ? FD_RESERVE_MAX : lim / 8;
    /* base_fds was counted before the listeners (up to three) and the
     * spare descriptor were opened */
    uint64_t used = (uint64_t)a->base_fds + 4 + reserve;
    a->fd_room = lim > used ? lim - used : 0;
}

static void reserve_open(wsp_accept_state *a)
{
    if (a->reserve_fd < 0) a->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static void resume_cb(evutil_socket_t fd, short what, void *arg)
{
    wsp_server *srv = arg;
    /* The listeners may have been freed by a stop meanwhile. */
    if (srv->ws_lis) evconnlistener_enable(srv->ws_lis);
    if (srv->push_lis) evconnlistener_enable(srv->push_lis);
    reserve_open(&srv->acc);
}

void wsp_accept_error(struct evconnlistener *lis, void *arg)
{
    wsp_server *srv = arg;
    wsp_accept_state *a = &srv->acc;
    int err = EVUTIL_SOCKET_ERROR();
    int is_push = lis == srv->push_lis;
    if (err != EMFILE && err != ENFILE && err != ENOBUFS && err != ENOMEM) {
        a->accept_errors++;
        limit_log(srv, LIM_ACCEPT_ERR, a->accept_errors, strerror(err));
        return;   /* transient (e.g. a connection reset while queued) */
    }
    /* Give up the spare descriptor to take the waiting connection: the
     * push port serves it, the WebSocket port closes it. */
    int taken = 0;
    if (a->reserve_fd >= 0) {
        close(a->reserve_fd);
        a->reserve_fd = -1;
        evutil_socket_t fd = accept(evconnlistener_get_fd(lis), NULL, NULL);
        if (fd >= 0) {
            taken = 1;
            if (is_push) {
                evutil_make_socket_closeonexec(fd);
                evutil_make_socket_nonblocking(fd);
                wsp_push_accept(srv, fd);
            } else {
                evutil_closesocket(fd);
            }
        }
        reserve_open(a);
    }
    /* A shed connection, or one left waiting in the kernel's queue. */
    if (!is_push || !taken) srv->st.rejected_fd_limit++;
    char why[64];
    snprintf(why, sizeof(why), "%s on the %s port", strerror(err), is_push ? "push" : "WebSocket");
    limit_log(srv, LIM_FD, srv->st.rejected_fd_limit, why);
    evconnlistener_disable(lis);
    if (a->resume_ev && !event_pending(a->resume_ev, EV_TIMEOUT, NULL)) {
        struct timeval tv = { 0, FD_PAUSE_MS * 1000 };
        event_add(a->resume_ev, &tv);
    }
}

void wsp_accept_ws(wsp_server *srv, evutil_socket_t fd, const struct sockaddr *sa)
{
    wsp_accept_state *a = &srv->acc;
    update_fd_room(srv);   /* one getrlimit per accept: `prlimit` takes effect at once */
    if (srv->ws.nconns >= a->fd_room) {
        srv->st.rejected_fd_limit++;
        char why[96];
        snprintf(why, sizeof(why), "%llu WebSocket connections fill RLIMIT_NOFILE less its reserve",
                 (unsigned long long)srv->ws.nconns);
        limit_log(srv, LIM_FD, srv->st.rejected_fd_limit, why);
        evutil_closesocket(fd);
        return;
    }
    if (srv->ws.nconns >= (uint64_t)srv->cfg.max_connections) {
        srv->st.rejected_max_connections++;
        limit_log(srv, LIM_TOTAL, srv->st.rejected_max_connections, NULL);
        evutil_closesocket(fd);
        return;
    }
    struct wsp_ipent *e = iptab_get(a, sa);
    if (e && e->count >= (uint32_t)srv->cfg.max_connections_per_ip) {
        srv->st.rejected_per_ip++;
        char ip[64] = "";
        const char *who = NULL;
        if (sa->sa_family == AF_INET)
            who = evutil_inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, ip, sizeof(ip));
        else if (sa->sa_family == AF_INET6)
            who = evutil_inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, ip, sizeof(ip));
        limit_log(srv, LIM_PER_IP, srv->st.rejected_per_ip, who);
        evutil_closesocket(fd);
        return;
    }
    wsp_wsconn *c = wsp_ws_accept(srv, fd);
    if (c && e) {
        e->count++;
        c->ip = e;
    } else if (e && e->count == 0) {
        e->count = 1;
        iptab_put(a, e);   /* drop the entry made for this connection */
    }
}

void wsp_accept_sweep(wsp_server *srv)
{
    update_fd_room(srv);
    reserve_open(&srv->acc);
}

int wsp_accept_init(wsp_server *srv)
{
    wsp_accept_state *a = &srv->acc;
    memset(a, 0, sizeof(*a));
    a->reserve_fd = -1;
    wsp_siphash_seed(a->seed);
    a->base_fds = count_open_fds();
    update_fd_room(srv);
    reserve_open(a);
    a->resume_ev = event_new(srv->base, -1, 0, resume_cb, srv);
    return a->resume_ev && iptab_grow(a) == 0 ? 0 : -1;
}

void wsp_accept_free(wsp_server *srv)
{
    wsp_accept_state *a = &srv->acc;
    if (a->resume_ev) { event_free(a->resume_ev); a->resume_ev = NULL; }
    if (a->reserve_fd >= 0) { close(a->reserve_fd); a->reserve_fd = -1; }
    for (size_t i = 0; i < a->nbuckets; i++) {
        struct wsp_ipent *e;
        while ((e = SLIST_FIRST(&a->buckets[i])) != NULL) {
            SLIST_REMOVE_HEAD(&a->buckets[i], link);
            free(e);
        }
    }
    free(a->buckets);
    a->buckets = NULL;
    a->nbuckets = a->count = 0;
}
