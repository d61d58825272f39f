/*
 * fork.c - a process that forks while a server runs (a Yii console command
 * calling pcntl_fork after start()).
 *
 * fork() copies only the calling thread: in the child the loop, store and
 * log threads do not exist, so every call that hands work to the loop would
 * wait forever, and the child holds copies of every descriptor of the
 * server: the listening sockets (a restarted server cannot bind), the
 * store's lock (it cannot open the data dir), and the clients' sockets (a
 * connection the parent closes is not closed for the client while the child
 * lives). Descriptors are inherited by fork whatever CLOEXEC says.
 *
 * So, around every fork (pthread_atfork):
 *   prepare  each running server's loop is parked at a safe point (between
 *            two callbacks, inside one of its own), so its lists are whole;
 *   parent   the loops go on;
 *   child    each server closes its copies of every descriptor it owns and
 *            is marked forked: it is not running there, its calls return
 *            WSP_ERR_STATE, stop() does nothing and free() frees nothing (the
 *            memory is a copy; its threads and locks are the parent's).
 * A loop that does not park within PARK_WAIT_MS (it is stopping) is not
 * waited for: the child still closes what it finds.
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "server_internal.h"

#define PARK_WAIT_MS 1000

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static SLIST_HEAD(, wsp_server) reg = SLIST_HEAD_INITIALIZER(reg);   /* running servers */

/* Loop thread: wait here while a fork is under way. */
static void park_cb(evutil_socket_t fd, short what, void *arg)
{
    wsp_server *srv = arg;
    pthread_mutex_lock(&srv->fork.park_mu);
    srv->fork.parked = 1;
    pthread_cond_broadcast(&srv->fork.park_cv);
    while (srv->fork.park_hold) pthread_cond_wait(&srv->fork.park_cv, &srv->fork.park_mu);
    srv->fork.parked = 0;
    pthread_mutex_unlock(&srv->fork.park_mu);
}

static void prepare(void)
{
    pthread_mutex_lock(&reg_mu);   /* held until parent/child: the list stays */
    wsp_server *srv;
    SLIST_FOREACH(srv, &reg, fork.reg_link) {
        pthread_mutex_lock(&srv->fork.park_mu);
        srv->fork.park_hold = 1;
        event_active(srv->fork.park_ev, EV_TIMEOUT, 0);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += PARK_WAIT_MS / 1000;
        ts.tv_nsec += (long)(PARK_WAIT_MS % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
        while (!srv->fork.parked)
            if (pthread_cond_timedwait(&srv->fork.park_cv, &srv->fork.park_mu, &ts) == ETIMEDOUT) break;
        pthread_mutex_unlock(&srv->fork.park_mu);
    }
}

static void parent(void)
{
    wsp_server *srv;
    SLIST_FOREACH(srv, &reg, fork.reg_link) {
        pthread_mutex_lock(&srv->fork.park_mu);
        srv->fork.park_hold = 0;
        pthread_cond_broadcast(&srv->fork.park_cv);
        pthread_mutex_unlock(&srv->fork.park_mu);
    }
    pthread_mutex_unlock(&reg_mu);
}

static void close_fd(evutil_socket_t fd)
{
    if (fd >= 0) close(fd);
}

/* The child's copy of srv: close every descriptor, touch no lock, no
 * thread and no libevent state (nothing here may block). */
static void forget(wsp_server *srv)
{
    if (srv->ws_lis) close_fd(evconnlistener_get_fd(srv->ws_lis));
    if (srv->push_lis) close_fd(evconnlistener_get_fd(srv->push_lis));
    if (srv->ops.metrics_lis) close_fd(evconnlistener_get_fd(srv->ops.metrics_lis));
    wsp_wsconn *c;
    LIST_FOREACH(c, &srv->ws.all_conns, all_link) close_fd(c->fd);
    SLIST_FOREACH(c, &srv->ws.free_conns, free_link) close_fd(c->fd);
    wsp_pushconn *p;
    LIST_FOREACH(p, &srv->push.conns, link) close_fd(p->fd);
    close_fd(srv->durable_fd);
    if (srv->sendq) close_fd(wsp_send_batch_fd(srv->sendq));   /* the io_uring */
    if (srv->store && srv->store_ops->forked) srv->store_ops->forked(srv->store);
    srv->fork.forked = 1;
    srv->running = 0;
    srv->thread_started = 0;
}

static void child(void)
{
    wsp_server *srv;
    SLIST_FOREACH(srv, &reg, fork.reg_link) {
        forget(srv);
        /* The parked loop's mutex and cond are the parent's: leave them. */
        pthread_mutex_init(&srv->fork.park_mu, NULL);
        pthread_cond_init(&srv->fork.park_cv, NULL);
        srv->fork.park_hold = srv->fork.parked = 0;
    }
    SLIST_INIT(&reg);   /* none of them runs here */
    pthread_mutex_unlock(&reg_mu);
}

static void install(void)
{
    pthread_atfork(prepare, parent, child);
}

int wsp_fork_register(wsp_server *srv)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, install);
    srv->fork.park_ev = event_new(srv->base, -1, 0, park_cb, srv);
    if (!srv->fork.park_ev) return -1;
    pthread_mutex_lock(&reg_mu);
    SLIST_INSERT_HEAD(&reg, srv, fork.reg_link);
    pthread_mutex_unlock(&reg_mu);
    return 0;
}

void wsp_fork_unregister(wsp_server *srv)
{
    pthread_mutex_lock(&reg_mu);
    wsp_server *s;
    SLIST_FOREACH(s, &reg, fork.reg_link)   /* a start that failed early never registered */
        if (s == srv) { SLIST_REMOVE(&reg, srv, wsp_server, fork.reg_link); break; }
    pthread_mutex_unlock(&reg_mu);
    if (srv->fork.park_ev) { event_free(srv->fork.park_ev); srv->fork.park_ev = NULL; }
}
