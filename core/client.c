/*
 * client.c - the push client (WsPush\Client): a plain blocking-style TCP
 * client for the push port. Sends n lines pipelined, reads n reply lines.
 *
 * The socket is non-blocking underneath and every wait is a poll(2) with
 * the client's timeout, for two reasons: a dead server must not hang a
 * PHP-FPM worker, and a large pipelined batch must read replies while it
 * is still writing (the server stops reading when its replies back up, so
 * write-everything-then-read could deadlock).
 *
 * The connection is kept for reuse (PHP-FPM keeps the object across
 * requests). Any doubt about its state (timeout, protocol error, a "fail"
 * that the server may follow with a close) closes it; the next call
 * reconnects.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "wsp.h"

#define WSP_CLIENT_RBUF   4096
#define WSP_CLIENT_IOV    64     /* iovecs per sendmsg: line + "\n" pairs */
#define WSP_CLIENT_HOST   256

struct wsp_client {
    char   host[WSP_CLIENT_HOST];
    char   port[8];
    char  *display;        /* "host:port" for messages */
    int    addr_ok;        /* 0: address invalid, err says why */
    int    timeout_ms;     /* -1 = wait forever */
    int    fd;             /* -1 = not connected */
    pid_t  pid;            /* process that opened fd (fork under FPM) */
    char   err[256];
    char  *token;          /* push_token, sent as "AUTH <token>" on connect */
    size_t token_len;
    int    fresh;          /* connected, no line exchanged yet */
    int    first_failed;   /* last send: a new tokenless connection's first line got fail */
    size_t rlen;           /* bytes in rbuf: a reply line not yet complete */
    char   rbuf[WSP_CLIENT_RBUF];
};

static void wsp_client_seterr(wsp_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void wsp_client_seterr(wsp_client *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof(c->err), fmt, ap);
    va_end(ap);
}

static void wsp_client_disconnect(wsp_client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->rlen = 0;
}

wsp_client *wsp_client_new(const char *address, double timeout)
{
    wsp_client *c = calloc(1, sizeof(*c));
    const char *a = address ? address : "";
    char why[200];
    int port;

    if (!c)
        return NULL;
    c->fd = -1;
    if (isnan(timeout))
        timeout = 1.0;
    /* timeout <= 0: no timeout, as PHP streams treat a negative one. */
    c->timeout_ms = timeout <= 0 ? -1
                  : timeout > 86400 ? 86400000 : (int)ceil(timeout * 1000);
    if (strncasecmp(a, "tcp://", 6) == 0)   /* as the ext accepts TCP:// */
        a += 6;
    if (!(c->display = strdup(a))) {
        free(c);
        return NULL;
    }
    /* A bad address is reported by every send (the header's contract is a
     * client object or NULL for out of memory), see wsp_client_new_ex. */
    if (wsp_addr_split(a, c->host, sizeof(c->host), &port, why,
                       sizeof(why)) != WSP_OK) {
        wsp_client_seterr(c, "invalid push address: %s", why);
    } else if (port == 0) {
        wsp_client_seterr(c, "invalid push address: port 0 in \"%s\"", a);
    } else {
        snprintf(c->port, sizeof(c->port), "%d", port);
        c->addr_ok = 1;
    }
    return c;
}

int wsp_client_new_ex(const char *address, double timeout, wsp_client **out,
                      char *errbuf, size_t errlen)
{
    wsp_client *c = wsp_client_new(address, timeout);

    *out = NULL;
    if (!c) {
        if (errbuf && errlen)
            snprintf(errbuf, errlen, "out of memory");
        return WSP_ERR_NOMEM;
    }
    if (!c->addr_ok) {
        if (errbuf && errlen)
            snprintf(errbuf, errlen, "%s", c->err);
        wsp_client_free(c);
        return WSP_ERR_OPTION;
    }
    *out = c;
    return WSP_OK;
}

void wsp_client_free(wsp_client *c)
{
    if (!c)
        return;
    wsp_client_disconnect(c);
    free(c->display);
    if (c->token)
        OPENSSL_cleanse(c->token, c->token_len);
    free(c->token);
    free(c);
}

int wsp_client_set_token(wsp_client *c, const char *token, size_t len)
{
    char *t = NULL;

    if (token) {
        if (len == 0 || memchr(token, '\n', len) || memchr(token, '\r', len))
            return WSP_ERR_OPTION;
        if (!(t = malloc(len + 6)))
            return WSP_ERR_NOMEM;
        memcpy(t, "AUTH ", 5);
        memcpy(t + 5, token, len);
        t[len + 5] = '\0';
    }
    if (c->token)
        OPENSSL_cleanse(c->token, c->token_len);
    free(c->token);
    c->token = t;
    c->token_len = t ? len + 5 : 0;
    wsp_client_disconnect(c);   /* the next connection authenticates anew */
    return WSP_OK;
}

int wsp_client_first_line_failed(const wsp_client *c)
{
    return c && c->first_failed;
}

const char *wsp_client_errstr(wsp_client *c)
{
    return c ? c->err : "out of memory";
}

/* Connect to one resolved address within the timeout. Returns the fd or -1
 * with errno set. */
static int wsp_client_try(const struct addrinfo *ai, int timeout_ms)
{
    int fd, one = 1, soerr = 0;
    socklen_t sl = sizeof(soerr);

    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                ai->ai_protocol);
    if (fd < 0)
        return -1;
    /* Pushes are small and the caller waits for the reply: don't let Nagle
     * hold a line back waiting for the server's delayed ACK. */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
        return fd;
    if (errno != EINPROGRESS)
        goto fail;
    for (;;) {
        struct pollfd p = { .fd = fd, .events = POLLOUT };
        int r = poll(&p, 1, timeout_ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0)
            errno = ETIMEDOUT;
        if (r <= 0)
            goto fail;
        break;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
        goto fail;
    if (soerr) {
        errno = soerr;
        goto fail;
    }
    return fd;
fail: {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
}

static int wsp_client_connect(wsp_client *c)
{
    struct addrinfo hints, *res = NULL, *ai;
    int rc, e = ECONNREFUSED;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    /* getaddrinfo has no timeout; a hostname costs whatever the resolver
     * takes. Use an IP address where that matters. */
    rc = getaddrinfo(c->host, c->port, &hints, &res);
    if (rc != 0) {
        wsp_client_seterr(c, "resolve %s failed: %s", c->display,
                          rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
        return WSP_ERR_IO;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        c->fd = wsp_client_try(ai, c->timeout_ms);
        if (c->fd >= 0)
            break;
        e = errno;
    }
    freeaddrinfo(res);
    if (c->fd < 0) {
        wsp_client_seterr(c, "connect to %s failed: %s", c->display, strerror(e));
        return WSP_ERR_IO;
    }
    c->pid = getpid();
    c->rlen = 0;
    c->fresh = 1;
    return WSP_OK;
}

/* Is the cached connection still usable? A server that closed it (idle
 * restart, max_line close) shows as readable with EOF; any unsolicited
 * bytes mean we lost track of the protocol. Either way: not usable. */
static int wsp_client_alive(wsp_client *c)
{
    char b;
    ssize_t r;

    if (c->fd < 0)
        return 0;
    if (c->pid != getpid()) {
        /* Forked child (FPM): the socket is shared with the parent. Drop
         * our copy of the descriptor; the parent keeps the connection. */
        close(c->fd);
        c->fd = -1;
        c->rlen = 0;
        return 0;
    }
    r = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return 1;
    return 0;
}

/* Take complete reply lines from rbuf into replies[*got..n). Returns 0, or
 * -1 with the error set on a reply that is not ok/queued/fail. */
static int wsp_client_parse(wsp_client *c, const char **replies, size_t n,
                            size_t *got, int *saw_fail)
{
    size_t start = 0;

    for (;;) {
        char *nl = memchr(c->rbuf + start, '\n', c->rlen - start);
        size_t len;
        const char *line = c->rbuf + start;

        if (!nl)
            break;
        len = (size_t)(nl - line);
        if (len && line[len - 1] == '\r')
            len--;
        if (*got >= n) {
            wsp_client_seterr(c, "unexpected extra reply from %s", c->display);
            return -1;
        }
        if (len == 2 && memcmp(line, "ok", 2) == 0)
            replies[*got] = "ok";
        else if (len == 6 && memcmp(line, "queued", 6) == 0)
            replies[*got] = "queued";
        else if (len == 4 && memcmp(line, "fail", 4) == 0) {
            replies[*got] = "fail";
            *saw_fail = 1;
        } else {
            wsp_client_seterr(c, "unexpected reply from %s: \"%.*s\"", c->display,
                              (int)(len > 64 ? 64 : len), line);
            return -1;
        }
        (*got)++;
        start = (size_t)(nl - c->rbuf) + 1;
    }
    memmove(c->rbuf, c->rbuf + start, c->rlen - start);
    c->rlen -= start;
    if (c->rlen == sizeof(c->rbuf)) {
        wsp_client_seterr(c, "unexpected reply from %s: a line over %zu bytes",
                          c->display, sizeof(c->rbuf));
        return -1;
    }
    return 0;
}

/* Send lines[idx[0..m)] and read m replies on the current connection.
 * Result: 0 done; 1 the server closed right after a "fail" (the over-long
 * line case) and the lines after it were never read; -1 I/O error (err
 * set); -2 the connection was dead before any byte was written. */
static int wsp_client_exchange(wsp_client *c, const char *const *lines,
                               const size_t *lens, const size_t *idx, size_t m,
                               const char **replies, size_t *got_out)
{
    size_t sent = 0;       /* lines fully written */
    size_t off = 0;        /* bytes of lines[idx[sent]] + "\n" already written */
    size_t got = 0;
    int wrote_any = 0, saw_fail = 0, write_broken = 0;
    const char **rep = calloc(m ? m : 1, sizeof(*rep));

    if (!rep) {
        wsp_client_seterr(c, "out of memory");
        return -1;
    }
    while (got < m) {
        struct pollfd p = { .fd = c->fd, .events = POLLIN };
        int r;

        if (sent < m && !write_broken)
            p.events |= POLLOUT;
        r = poll(&p, 1, c->timeout_ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            wsp_client_seterr(c, "poll on %s failed: %s", c->display, strerror(errno));
            goto io_fail;
        }
        if (r == 0) {
            wsp_client_seterr(c, "%s to %s timed out (%zu of %zu replies received)",
                              sent < m ? "write" : "read", c->display, got, m);
            goto io_fail;
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t rd = recv(c->fd, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen, 0);
            if (rd < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (rd < 0 && !wrote_any && (errno == ECONNRESET || errno == EPIPE))
                goto dead;
            if (rd <= 0) {
                int e = rd < 0 ? errno : 0;
                /* A fail followed by a close is the server refusing a line
                 * over max_line: it read nothing after that line. A reset
                 * counts too: closing with our later lines unread makes
                 * the server's kernel send RST instead of FIN. */
                if (rd == 0 && !wrote_any)
                    goto dead;
                if ((e == 0 || e == ECONNRESET) && got > 0 &&
                    strcmp(rep[got - 1], "fail") == 0 && c->rlen == 0) {
                    memcpy(replies, rep, got * sizeof(*rep));
                    *got_out = got;
                    free(rep);
                    wsp_client_disconnect(c);
                    return 1;
                }
                if (e)
                    wsp_client_seterr(c, "read from %s failed: %s (%zu of %zu "
                                      "replies received)", c->display, strerror(e),
                                      got, m);
                else
                    wsp_client_seterr(c, "connection closed by %s (%zu of %zu "
                                      "replies received)", c->display, got, m);
                goto io_fail;
            }
            c->rlen += (size_t)rd;
            if (wsp_client_parse(c, rep, m, &got, &saw_fail) != 0)
                goto io_fail;
            continue;
        }
        if (p.revents & POLLOUT) {
            struct iovec iov[WSP_CLIENT_IOV];
            struct msghdr msg;
            int k = 0;
            size_t o = off;
            ssize_t w;

            for (size_t i = sent; i < m && k + 2 <= WSP_CLIENT_IOV; i++) {
                size_t L = lens[idx[i]];
                if (o < L) {
                    iov[k].iov_base = (void *)(lines[idx[i]] + o);
                    iov[k++].iov_len = L - o;
                }
                iov[k].iov_base = (void *)"\n";
                iov[k++].iov_len = 1;
                o = 0;
            }
            memset(&msg, 0, sizeof(msg));
            msg.msg_iov = iov;
            msg.msg_iovlen = (size_t)k;
            /* MSG_NOSIGNAL: a closed peer must be an error, not SIGPIPE
             * killing the PHP process. */
            w = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
            if (w < 0) {
                if (errno == EINTR || errno == EAGAIN)
                    continue;
                if (!wrote_any && (errno == EPIPE || errno == ECONNRESET))
                    goto dead;
                if (errno == EPIPE || errno == ECONNRESET) {
                    /* The server closed mid-batch, maybe right after a
                     * fail we have not read yet: stop writing and let the
                     * read side see the replies and the close. */
                    write_broken = 1;
                    continue;
                }
                wsp_client_seterr(c, "write to %s failed: %s", c->display,
                                  strerror(errno));
                goto io_fail;
            }
            wrote_any = 1;
            /* Advance (sent, off) by w bytes. */
            while (w > 0 && sent < m) {
                size_t left = lens[idx[sent]] + 1 - off;
                if ((size_t)w >= left) {
                    w -= (ssize_t)left;
                    sent++;
                    off = 0;
                } else {
                    off += (size_t)w;
                    w = 0;
                }
            }
        }
    }
    memcpy(replies, rep, m * sizeof(*rep));
    *got_out = got;
    free(rep);
    /* After a fail the server may close (line over max_line) a moment
     * later; reusing the socket would race that close. Reconnect instead. */
    if (saw_fail)
        wsp_client_disconnect(c);
    return 0;
dead:
    free(rep);
    wsp_client_disconnect(c);
    *got_out = 0;
    return -2;
io_fail:
    memcpy(replies, rep, got * sizeof(*rep));
    *got_out = got;
    free(rep);
    wsp_client_disconnect(c);
    return -1;
}

/* "AUTH <token>" on a new connection; the server answers ok, or fail and
 * closes. Returns WSP_OK, WSP_ERR_AUTH or WSP_ERR_IO (err set). */
static int wsp_client_auth(wsp_client *c)
{
    const char *lines[1] = { c->token }, *rep[1] = { NULL };
    size_t lens[1] = { c->token_len }, idx[1] = { 0 }, got = 0;
    int r;

    if (!c->token)
        return WSP_OK;
    r = wsp_client_exchange(c, lines, lens, idx, 1, rep, &got);
    if (r >= 0 && got == 1 && strcmp(rep[0], "ok") == 0)
        return WSP_OK;
    wsp_client_disconnect(c);
    if (r >= 0 && got == 1) {
        wsp_client_seterr(c, "push token refused by %s", c->display);
        return WSP_ERR_AUTH;
    }
    if (r == -2)
        wsp_client_seterr(c, "connection closed by %s before AUTH was answered", c->display);
    return WSP_ERR_IO;
}

int wsp_client_send_lines(wsp_client *c, const char *const *lines,
                          const size_t *lens, size_t n, const char **replies)
{
    size_t *idx = NULL, m = 0, done = 0;
    const char **rep = NULL;
    int rc = WSP_ERR_IO, reconnected = 0;

    if (!c)
        return WSP_ERR_NOMEM;
    if (c->addr_ok)
        c->err[0] = '\0';   /* else it keeps the address problem */
    for (size_t i = 0; i < n; i++)
        replies[i] = NULL;
    c->first_failed = 0;
    if (!c->addr_ok)
        return WSP_ERR_IO;
    if (n == 0)
        return WSP_OK;
    idx = malloc(n * sizeof(*idx));
    rep = malloc(n * sizeof(*rep));
    if (!idx || !rep) {
        wsp_client_seterr(c, "out of memory");
        rc = WSP_ERR_NOMEM;
        goto out;
    }
    /* A raw newline would split a line in two on the wire and shift every
     * later reply; no JSON object line contains one, so the server would
     * say fail anyway. Answer it here and keep the stream in step. */
    for (size_t i = 0; i < n; i++) {
        if (memchr(lines[i], '\n', lens[i]))
            replies[i] = "fail";
        else
            idx[m++] = i;
    }

    while (done < m) {
        size_t got = 0;
        int r;

        if (!wsp_client_alive(c)) {
            wsp_client_disconnect(c);
            if ((rc = wsp_client_connect(c)) != WSP_OK || (rc = wsp_client_auth(c)) != WSP_OK)
                goto out;
        }
        int fresh = c->fresh;
        c->fresh = 0;
        r = wsp_client_exchange(c, lines, lens, idx + done, m - done, rep, &got);
        /* A push_token server answers a first line without AUTH with fail
         * and closes; on the wire that is the same fail as a bad line. */
        if (fresh && !c->token && got > 0 && strcmp(rep[0], "fail") == 0)
            c->first_failed = 1;
        for (size_t i = 0; i < got; i++)
            replies[idx[done + i]] = rep[i];
        done += got;
        if (r == 0)
            break;
        if (r == -2) {
            /* Cached connection found dead before we wrote: once only, so
             * a server that accepts and closes cannot loop us. */
            if (reconnected) {
                wsp_client_seterr(c, "connection closed by %s before the request "
                                  "was sent", c->display);
                rc = WSP_ERR_IO;
                goto out;
            }
            reconnected = 1;
            continue;
        }
        if (r == -1) {
            rc = WSP_ERR_IO;
            goto out;
        }
        /* r == 1: the server closed after a fail; what follows was never
         * read by it, so sending it again on a new connection cannot
         * duplicate a push. Each round answers at least one line. */
    }
    rc = WSP_OK;
out:
    free(idx);
    free(rep);
    return rc;
}
