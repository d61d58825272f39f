/*
 * ws_tls.c - OpenSSL over a WebSocket connection's socket (ws_tls.h says
 * why this design). No libevent calls except reading an evbuffer.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <event2/buffer.h>

#include "ws_tls.h"
#include "errbuf.h"

#ifdef WSP_HAVE_TLS
#include <openssl/err.h>
#include <openssl/ssl.h>

#define TLS_RECORD 16384   /* the most one SSL_write puts in one record */

int wsp_tls_available(void) { return 1; }

/* OpenSSL's reason for the last failure, and clear its error queue (it is
 * per thread: a stale entry would be blamed on the next connection). */
static const char *tls_reason(char *buf, size_t len)
{
    unsigned long e = ERR_peek_last_error();
    if (e)
        ERR_error_string_n(e, buf, len);
    else
        snprintf(buf, len, "%s", strerror(errno ? errno : EINVAL));
    ERR_clear_error();
    return buf;
}

struct ssl_ctx_st *wsp_tls_ctx_new(const char *cert_file, const char *key_file,
                                   char *errbuf, size_t errlen)
{
    char why[256];
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        wsp_errf(errbuf, errlen, "ws_tls: cannot create a TLS context: %s",
                 tls_reason(why, sizeof(why)));
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    /* Idle connections give their buffers back (tens of thousands are
     * held); writes may be partial and retried from a moved buffer (the
     * evbuffer may be rearranged between retries). */
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE
                          | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    /* A peer that just closes the socket (no close_notify; browsers do
     * it) reads as a clean EOF, not as an error. */
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE
                             | SSL_OP_IGNORE_UNEXPECTED_EOF);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
        wsp_errf(errbuf, errlen, "ws_tls_cert: cannot load %s: %s", cert_file,
                 tls_reason(why, sizeof(why)));
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1) {
        wsp_errf(errbuf, errlen, "ws_tls_key: cannot load %s: %s", key_file,
                 tls_reason(why, sizeof(why)));
        goto fail;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        wsp_errf(errbuf, errlen, "ws_tls_key: %s does not match the certificate in %s: %s",
                 key_file, cert_file, tls_reason(why, sizeof(why)));
        goto fail;
    }
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

void wsp_tls_ctx_free(struct ssl_ctx_st *ctx)
{
    SSL_CTX_free(ctx);
}

struct ssl_st *wsp_tls_new(struct ssl_ctx_st *ctx, int fd)
{
    SSL *ssl = SSL_new(ctx);
    if (!ssl)
        return NULL;
    if (SSL_set_fd(ssl, fd) != 1) {
        SSL_free(ssl);
        return NULL;
    }
    SSL_set_accept_state(ssl);
    return ssl;
}

void wsp_tls_free(struct ssl_st *ssl)
{
    SSL_free(ssl);
}

ssize_t wsp_tls_read(struct ssl_st *ssl, void *buf, size_t cap, int *want_write)
{
    *want_write = 0;
    ERR_clear_error();
    int n = SSL_read(ssl, buf, cap > INT32_MAX ? INT32_MAX : (int)cap);
    if (n > 0)
        return n;
    switch (SSL_get_error(ssl, n)) {
    case SSL_ERROR_WANT_READ:
        return WSP_TLS_AGAIN;
    case SSL_ERROR_WANT_WRITE:
        *want_write = 1;
        return WSP_TLS_AGAIN;
    case SSL_ERROR_ZERO_RETURN:
        return 0;
    case SSL_ERROR_SYSCALL:
        ERR_clear_error();
        return errno == EAGAIN || errno == EINTR ? WSP_TLS_AGAIN : -1;
    default:
        ERR_clear_error();
        return WSP_TLS_FAILED;
    }
}

int wsp_tls_pending(struct ssl_st *ssl)
{
    return SSL_pending(ssl) > 0;
}

int wsp_tls_write(struct ssl_st *ssl, struct evbuffer *out)
{
    size_t len = evbuffer_get_length(out);
    if (len > TLS_RECORD)
        len = TLS_RECORD;
    /* One contiguous run per record: a retry after WANT_WRITE passes the
     * same bytes (the buffer's front is only drained after success). */
    unsigned char *p = evbuffer_pullup(out, (ev_ssize_t)len);
    if (!p) {
        errno = ENOMEM;
        return -1;
    }
    ERR_clear_error();
    int n = SSL_write(ssl, p, (int)len);
    if (n > 0) {
        evbuffer_drain(out, (size_t)n);
        return n;
    }
    int e = SSL_get_error(ssl, n);
    ERR_clear_error();
    errno = e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ ? EAGAIN : EPIPE;
    return -1;
}

void wsp_tls_shutdown(struct ssl_st *ssl)
{
    ERR_clear_error();
    if (SSL_is_init_finished(ssl))
        SSL_shutdown(ssl);   /* sends close_notify; we never wait for the peer's */
    ERR_clear_error();
}

#else /* !WSP_HAVE_TLS */

int wsp_tls_available(void) { return 0; }

struct ssl_ctx_st *wsp_tls_ctx_new(const char *cert_file, const char *key_file,
                                   char *errbuf, size_t errlen)
{
    (void)cert_file; (void)key_file;
    wsp_errf(errbuf, errlen, "ws_tls_cert/ws_tls_key: this build has no TLS support "
             "(configure --enable-wspush-tls, which needs libssl)");
    return NULL;
}
void wsp_tls_ctx_free(struct ssl_ctx_st *ctx) { (void)ctx; }
struct ssl_st *wsp_tls_new(struct ssl_ctx_st *ctx, int fd) { (void)ctx; (void)fd; return NULL; }
void wsp_tls_free(struct ssl_st *ssl) { (void)ssl; }
ssize_t wsp_tls_read(struct ssl_st *ssl, void *buf, size_t cap, int *want_write)
{
    (void)ssl; (void)buf; (void)cap; *want_write = 0;
    return WSP_TLS_FAILED;
}
int wsp_tls_pending(struct ssl_st *ssl) { (void)ssl; return 0; }
int wsp_tls_write(struct ssl_st *ssl, struct evbuffer *out)
{
    (void)ssl; (void)out;
    errno = EPIPE;
    return -1;
}
void wsp_tls_shutdown(struct ssl_st *ssl) { (void)ssl; }

#endif
