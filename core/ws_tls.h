/*
 * ws_tls.h - wss:// for the WebSocket listener (ws_tls_cert / ws_tls_key):
 * OpenSSL over the connection's own non-blocking socket.
 *
 * Why not bufferevent_openssl: a WebSocket connection here is a raw fd, one
 * embedded event and an output evbuffer created only while there is output
 * (ws_conn.c; memory per held connection is a target). Putting an SSL
 * object on that fd and calling SSL_read / SSL_write where recv() and
 * evbuffer_write() were keeps that design and one code path for ws:// and
 * wss://; a bufferevent pair per connection would add two evbuffers and a
 * second I/O model. Compiled only with WSP_HAVE_TLS (configure
 * --enable-wspush-tls, the default; core/Makefile TLS=1); without it every
 * function fails and a server with ws_tls_cert refuses to start.
 */
#ifndef WSP_WS_TLS_H
#define WSP_WS_TLS_H

#include <stddef.h>
#include <sys/types.h>

struct ssl_ctx_st;
struct ssl_st;
struct evbuffer;

#define WSP_TLS_AGAIN  (-2)   /* nothing now: wait for the socket */
#define WSP_TLS_FAILED (-3)   /* TLS protocol error (a plain ws:// request, a bad handshake) */

/* 1 when this build speaks TLS. */
int wsp_tls_available(void);

/* A server context from PEM files (certificate chain, private key), TLS
 * 1.2 or later. Returns NULL with a message naming the file and OpenSSL's
 * reason. Free with wsp_tls_ctx_free (NULL-safe). */
struct ssl_ctx_st *wsp_tls_ctx_new(const char *cert_file, const char *key_file,
                                   char *errbuf, size_t errlen);
void wsp_tls_ctx_free(struct ssl_ctx_st *ctx);

/* The TLS state of one accepted connection on fd (server side; the
 * handshake runs inside the first reads). NULL when out of memory. */
struct ssl_st *wsp_tls_new(struct ssl_ctx_st *ctx, int fd);
void wsp_tls_free(struct ssl_st *ssl);

/* Read decrypted bytes into buf. Returns >0 bytes, 0 when the peer closed
 * (close_notify or EOF), -1 on a socket error, WSP_TLS_AGAIN, or
 * WSP_TLS_FAILED. *want_write is set to 1 when the read can only go on once
 * the socket is writable (handshake output that did not fit), else 0. */
ssize_t wsp_tls_read(struct ssl_st *ssl, void *buf, size_t cap, int *want_write);
/* Bytes already decrypted and waiting (no socket event will announce them). */
int wsp_tls_pending(struct ssl_st *ssl);

/* Encrypt and send from the front of out (at most one record, 16 KiB),
 * draining what was sent. Returns the bytes sent, or -1 with errno EAGAIN
 * (would block: call again with the same buffer) or EPIPE (broken). */
int wsp_tls_write(struct ssl_st *ssl, struct evbuffer *out);

/* Send close_notify (best effort, never blocks). */
void wsp_tls_shutdown(struct ssl_st *ssl);

#endif
