/* send_batch.c - the socket writes of one loop pass in one system call
 * (io_uring), or in plain send()s where io_uring is not to be had. See
 * send_batch.h for the rules. */
#include "send_batch.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#ifdef WSP_HAVE_URING
#include <liburing.h>
#endif

#define SEND_FLAGS (MSG_DONTWAIT | MSG_NOSIGNAL)

typedef struct entry {
    int fd;
    int niov;
    struct msghdr msg;             /* msg_iov points at iov */
    struct iovec iov[WSP_SEND_BATCH_IOV];
    wsp_sent_fn done;
    void *arg;
    ssize_t res;
} entry;

struct wsp_send_batch {
    entry *q;             /* queued for the next run */
    entry *fire;          /* the run whose callbacks are being called */
    unsigned len, max;
    int firing;
    unsigned long long calls, sends;
#ifdef WSP_HAVE_URING
    int uring;
    struct io_uring ring;
#endif
};

wsp_send_batch *wsp_send_batch_new(unsigned max, int use_uring, char *why, size_t whylen)
{
    if (why && whylen) why[0] = 0;
    wsp_send_batch *b = calloc(1, sizeof(*b));
    if (!b) return NULL;
    b->max = max ? max : 1;
    b->q = calloc(b->max, sizeof(entry));
    b->fire = calloc(b->max, sizeof(entry));
    if (!b->q || !b->fire) { wsp_send_batch_free(b); return NULL; }
#ifdef WSP_HAVE_URING
    if (use_uring) {
        /* SUBMIT_ALL: one bad entry does not stop the ones behind it
         * (kernel 5.18); older kernels take the ring without it. */
        int rc = io_uring_queue_init(b->max, &b->ring, IORING_SETUP_SUBMIT_ALL);
        if (rc == -EINVAL) rc = io_uring_queue_init(b->max, &b->ring, 0);
        if (rc == 0) {
            /* A kernel older than 5.6 takes the ring but not these
             * opcodes: every send would fail with -EINVAL. */
            struct io_uring_probe *pr = io_uring_get_probe_ring(&b->ring);
            int ok = pr && io_uring_opcode_supported(pr, IORING_OP_SEND)
                     && io_uring_opcode_supported(pr, IORING_OP_SENDMSG);
            if (pr) io_uring_free_probe(pr);
            if (ok) {
                b->uring = 1;
            } else {
                io_uring_queue_exit(&b->ring);
                if (why) snprintf(why, whylen, "io_uring has no send opcodes on this kernel");
            }
        } else if (why) {
            snprintf(why, whylen, "io_uring unavailable (%s)", strerror(-rc));
        }
    } else if (why) {
        snprintf(why, whylen, "io_uring off");
    }
#else
    (void)use_uring;
    if (why) snprintf(why, whylen, "built without liburing");
#endif
    return b;
}

void wsp_send_batch_free(wsp_send_batch *b)
{
    if (!b) return;
#ifdef WSP_HAVE_URING
    if (b->uring) io_uring_queue_exit(&b->ring);
#endif
    free(b->q);
    free(b->fire);
    free(b);
}

int wsp_send_batch_uring(const wsp_send_batch *b)
{
#ifdef WSP_HAVE_URING
    return b && b->uring;
#else
    (void)b;
    return 0;
#endif
}

int wsp_send_batch_fd(const wsp_send_batch *b)
{
#ifdef WSP_HAVE_URING
    return b && b->uring ? b->ring.ring_fd : -1;
#else
    (void)b;
    return -1;
#endif
}

unsigned wsp_send_batch_len(const wsp_send_batch *b) { return b->len; }

void wsp_send_batch_counts(const wsp_send_batch *b, unsigned long long *calls,
                           unsigned long long *sends)
{
    *calls = b->calls;
    *sends = b->sends;
}

void wsp_send_batch_add(wsp_send_batch *b, int fd, const struct iovec *iov, int n,
                        wsp_sent_fn done, void *arg)
{
    /* a done callback that added would have its entry sent in a nested run
     * while the outer one still calls back from b->fire */
    assert(!b->firing);
    assert(n >= 1 && n <= WSP_SEND_BATCH_IOV);
    if (b->len == b->max) wsp_send_batch_run(b);
    entry *e = &b->q[b->len++];
    e->fd = fd;
    e->niov = n;
    memcpy(e->iov, iov, (size_t)n * sizeof(*iov));
    memset(&e->msg, 0, sizeof(e->msg));
    e->msg.msg_iov = e->iov;
    e->msg.msg_iovlen = (size_t)n;
    e->done = done;
    e->arg = arg;
    e->res = 0;
}

static ssize_t plain_send(entry *e)
{
    for (;;) {
        ssize_t r = e->niov == 1 ? send(e->fd, e->iov[0].iov_base, e->iov[0].iov_len, SEND_FLAGS)
                                 : sendmsg(e->fd, &e->msg, SEND_FLAGS);
        if (r >= 0) return r;
        if (errno != EINTR) return -errno;
    }
}

#ifdef WSP_HAVE_URING
/* The completions there are: each into its entry's res. */
static unsigned reap(wsp_send_batch *b, entry *q)
{
    struct io_uring_cqe *cqe;
    unsigned head, k = 0;
    io_uring_for_each_cqe(&b->ring, head, cqe) {
        q[io_uring_cqe_get_data64(cqe)].res = cqe->res;
        k++;
    }
    io_uring_cq_advance(&b->ring, k);
    return k;
}

/* Every entry is submitted and every completion reaped before this
 * returns: MSG_DONTWAIT makes the kernel answer -EAGAIN instead of waiting
 * for room, so no send outlives the call (and the caller's buffers are
 * free again). */
static void uring_run(wsp_send_batch *b, entry *q, unsigned n)
{
    unsigned want = 0;
    for (unsigned i = 0; i < n; i++) {
        struct io_uring_sqe *sqe = io_uring_get_sqe(&b->ring);
        if (!sqe) {   /* cannot happen: the ring has max slots, all free here */
            q[i].res = plain_send(&q[i]);
            b->calls++;
            continue;
        }
        if (q[i].niov == 1)
            io_uring_prep_send(sqe, q[i].fd, q[i].iov[0].iov_base, q[i].iov[0].iov_len, SEND_FLAGS);
        else
            io_uring_prep_sendmsg(sqe, q[i].fd, &q[i].msg, SEND_FLAGS);
        q[i].res = -EINPROGRESS;
        io_uring_sqe_set_data64(sqe, i);
        want++;
    }
    unsigned reaped = 0;
    while (reaped < want) {
        int rc = io_uring_submit_and_wait(&b->ring, want - reaped);
        b->calls++;
        reaped += reap(b, q);
        if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) {
            /* The ring is unusable (should not happen): what was not sent
             * goes with plain calls, and so does every later run. */
            io_uring_queue_exit(&b->ring);
            b->uring = 0;
            for (unsigned i = 0; i < n; i++)
                if (q[i].res == -EINPROGRESS) { q[i].res = plain_send(&q[i]); b->calls++; }
            return;
        }
    }
}
#endif

unsigned wsp_send_batch_run(wsp_send_batch *b)
{
    assert(!b->firing);
    unsigned n = b->len;
    if (!n) return 0;
    unsigned long long calls0 = b->calls;
    /* The callbacks are called from fire, so that what they queue (for the
     * next run) lands in an empty q. */
    entry *q = b->q;
    b->q = b->fire;
    b->fire = q;
    b->len = 0;
#ifdef WSP_HAVE_URING
    /* a lone send is cheaper as send() than as an io_uring_enter() */
    if (b->uring && n > 1) uring_run(b, q, n);
    else
#endif
    for (unsigned i = 0; i < n; i++) {
        q[i].res = plain_send(&q[i]);
        b->calls++;
    }
    b->sends += n;
    b->firing = 1;
    for (unsigned i = 0; i < n; i++) q[i].done(q[i].arg, q[i].res);
    b->firing = 0;
    return (unsigned)(b->calls - calls0);
}
