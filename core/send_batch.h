/* send_batch.h - the socket writes of one loop pass, made together.
 *
 * A pass that answers 64 push lines writes 64 replies and 64 frames: 128
 * send() calls, each a trip into the kernel (about 1 us here, before the
 * TCP work). With io_uring the pass queues them and makes one
 * io_uring_enter() for all; without it (a kernel or a sandbox that refuses
 * io_uring, or a build without liburing) each is a plain send()/sendmsg(),
 * with the same results. Every send is non-blocking (MSG_DONTWAIT) and
 * completes inside wsp_send_batch_run(): a send that would block reports
 * -EAGAIN, a short send its count, exactly as send() does.
 *
 * Rules for the caller:
 * - the bytes an entry points at stay put until wsp_send_batch_run()
 *   returns (nothing may append to or drain the buffer they lie in);
 * - at most one entry per socket per run (two could interleave their bytes
 *   after a short send);
 * - a done callback must not add entries: it marks its connection for the
 *   pass's next round instead.
 */
#ifndef WSP_SEND_BATCH_H
#define WSP_SEND_BATCH_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

typedef struct wsp_send_batch wsp_send_batch;

/* res: bytes written, or -errno (-EAGAIN: the socket's send buffer is full) */
typedef void (*wsp_sent_fn)(void *arg, ssize_t res);

#define WSP_SEND_BATCH_IOV 16    /* iovecs one entry may carry */

/* A batch of up to max entries. use_uring 0 asks for plain sends. NULL only
 * without memory. When io_uring cannot be had, why says so (for the log)
 * and the batch sends with plain calls. */
wsp_send_batch *wsp_send_batch_new(unsigned max, int use_uring, char *why, size_t whylen);
void wsp_send_batch_free(wsp_send_batch *b);
int  wsp_send_batch_uring(const wsp_send_batch *b);   /* 1: io_uring in use */
int  wsp_send_batch_fd(const wsp_send_batch *b);      /* the ring's descriptor, or -1 */

/* Queue iov[0..n) (n <= WSP_SEND_BATCH_IOV) for fd. When the batch is full
 * it is run first, so adding never fails. */
void wsp_send_batch_add(wsp_send_batch *b, int fd, const struct iovec *iov, int n,
                        wsp_sent_fn done, void *arg);
/* Entries waiting for a run. */
unsigned wsp_send_batch_len(const wsp_send_batch *b);
/* Send everything queued, then call each entry's done, in the order added.
 * Returns the number of system calls made (for the tests). */
unsigned wsp_send_batch_run(wsp_send_batch *b);

/* The system calls runs made so far, and the sends they carried. */
void wsp_send_batch_counts(const wsp_send_batch *b, unsigned long long *calls,
                           unsigned long long *sends);

#endif
