/*
 * test_ws_tls.c - ws_tls.c over a socketpair against an OpenSSL client, no
 * server loop: the handshake inside the first reads, data both ways, a
 * large output through a small socket buffer (would-block, then resumed
 * with the same front bytes while more was appended), a plain-text request
 * (TLS failure), close_notify, and the context's error messages. The
 * certificate is made here (P-256, self-signed) and written to temp files.
 */
#include "testutil.h"
#include "ws_tls.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <event2/buffer.h>

#ifdef WSP_HAVE_TLS
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

static char cert_path[64], key_path[64], other_key_path[64];

static void write_key(const char *path, EVP_PKEY *k)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
    fclose(f);
}

static void make_cert(void)
{
    EVP_PKEY *k = EVP_EC_gen("P-256"), *other = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    ck_assert_ptr_nonnull(k);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, k);
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1, 0);
    X509_set_issuer_name(x, n);
    ck_assert_int_gt(X509_sign(x, k, EVP_sha256()), 0);
    snprintf(cert_path, sizeof cert_path, "/tmp/wsp-tls-test-%d.crt", (int)getpid());
    snprintf(key_path, sizeof key_path, "/tmp/wsp-tls-test-%d.key", (int)getpid());
    snprintf(other_key_path, sizeof other_key_path, "/tmp/wsp-tls-test-%d.other", (int)getpid());
    FILE *f = fopen(cert_path, "w");
    PEM_write_X509(f, x);
    fclose(f);
    write_key(key_path, k);
    write_key(other_key_path, other);
    X509_free(x);
    EVP_PKEY_free(k);
    EVP_PKEY_free(other);
}

static void rm_cert(void)
{
    unlink(cert_path);
    unlink(key_path);
    unlink(other_key_path);
}

typedef struct { int sfd, cfd; SSL_CTX *cctx; SSL *c; struct ssl_ctx_st *sctx; struct ssl_st *s; } pair_t;

static void pair_open(pair_t *p, int sndbuf)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    if (sndbuf) {
        setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
        setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &sndbuf, sizeof sndbuf);
    }
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    p->sfd = sv[0];
    p->cfd = sv[1];
    char err[256] = "";
    p->sctx = wsp_tls_ctx_new(cert_path, key_path, err, sizeof err);
    ck_assert_msg(p->sctx != NULL, "%s", err);
    p->s = wsp_tls_new(p->sctx, p->sfd);
    p->cctx = SSL_CTX_new(TLS_client_method());
    p->c = SSL_new(p->cctx);
    SSL_set_fd(p->c, p->cfd);
    SSL_set_connect_state(p->c);
}

static void pair_close(pair_t *p)
{
    wsp_tls_free(p->s);
    wsp_tls_ctx_free(p->sctx);
    SSL_free(p->c);
    SSL_CTX_free(p->cctx);
    close(p->sfd);
    close(p->cfd);
}

START_TEST(handshake_and_data)
{
    pair_t p;
    pair_open(&p, 0);
    char buf[64];
    /* the handshake runs inside the server's reads; the client writes once
     * its side is done */
    size_t got = 0;
    int sent = 0;
    for (int i = 0; i < 1000 && got < 5; i++) {
        if (!sent && SSL_is_init_finished(p.c)) sent = SSL_write(p.c, "hello", 5) == 5;
        int ww;
        ssize_t n = wsp_tls_read(p.s, buf + got, sizeof buf - got, &ww);
        ck_assert_int_ne(n, WSP_TLS_FAILED);
        if (n > 0) got += (size_t)n;
        SSL_do_handshake(p.c);
    }
    ck_assert_uint_ge(got, 5);
    ck_assert(memcmp(buf, "hello", 5) == 0);
    /* server -> client through an evbuffer */
    struct evbuffer *out = evbuffer_new();
    evbuffer_add(out, "world", 5);
    ck_assert_int_eq(wsp_tls_write(p.s, out), 5);
    ck_assert_uint_eq(evbuffer_get_length(out), 0);
    char cb[16];
    int n = -1;
    for (int i = 0; i < 100 && n <= 0; i++) n = SSL_read(p.c, cb, sizeof cb);
    ck_assert_int_eq(n, 5);
    ck_assert(memcmp(cb, "world", 5) == 0);
    /* close_notify from the client reads as a clean close */
    SSL_shutdown(p.c);
    int ww;
    ssize_t r = WSP_TLS_AGAIN;
    for (int i = 0; i < 100 && r == WSP_TLS_AGAIN; i++) r = wsp_tls_read(p.s, buf, sizeof buf, &ww);
    ck_assert_int_eq(r, 0);
    evbuffer_free(out);
    pair_close(&p);
}
END_TEST

START_TEST(large_output_through_small_buffer)
{
    pair_t p;
    pair_open(&p, 4096);
    char buf[8];
    for (int i = 0; i < 1000 && !SSL_is_init_finished(p.c); i++) {
        int ww;
        wsp_tls_read(p.s, buf, sizeof buf, &ww);
        SSL_do_handshake(p.c);
    }
    ck_assert(SSL_is_init_finished(p.c));
    /* 1 MiB of a known pattern: half is queued and written until the
     * socket blocks; then the rest is appended, so the retry passes more
     * bytes than the call that blocked (allowed: same front bytes) */
    enum { TOTAL = 1 << 20 };
    unsigned char *want = malloc(TOTAL), *got = malloc(TOTAL);
    for (size_t i = 0; i < TOTAL; i++) want[i] = (unsigned char)(i * 7 + i / 4096);
    struct evbuffer *out = evbuffer_new();
    size_t read_n = 0;
    int blocked = 0;
    evbuffer_add(out, want, TOTAL / 2);
    while (evbuffer_get_length(out) > 0 && wsp_tls_write(p.s, out) > 0) {}
    ck_assert_int_eq(errno, EAGAIN);
    ck_assert_uint_gt(evbuffer_get_length(out), 0);
    blocked++;
    evbuffer_add(out, want + TOTAL / 2, TOTAL - TOTAL / 2);
    for (int round = 0; read_n < TOTAL && round < 100000; round++) {
        int n;
        while ((n = SSL_read(p.c, got + read_n, (int)(TOTAL - read_n))) > 0) read_n += (size_t)n;
        while (evbuffer_get_length(out) > 0) {
            if (wsp_tls_write(p.s, out) < 0) {
                ck_assert_int_eq(errno, EAGAIN);
                blocked++;
                break;
            }
        }
    }
    ck_assert_uint_eq(read_n, TOTAL);
    ck_assert_int_gt(blocked, 0);   /* the would-block path really ran */
    ck_assert(memcmp(want, got, TOTAL) == 0);
    evbuffer_free(out);
    free(want);
    free(got);
    pair_close(&p);
}
END_TEST

START_TEST(plain_request_fails)
{
    pair_t p;
    pair_open(&p, 0);
    const char *req = "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n";
    ck_assert_int_eq(write(p.cfd, req, strlen(req)), (ssize_t)strlen(req));
    char buf[64];
    int ww;
    ck_assert_int_eq(wsp_tls_read(p.s, buf, sizeof buf, &ww), WSP_TLS_FAILED);
    pair_close(&p);
}
END_TEST

START_TEST(context_errors)
{
    char err[256];
    ck_assert_ptr_null(wsp_tls_ctx_new("/nonexistent.pem", key_path, err, sizeof err));
    ck_assert_msg(strstr(err, "ws_tls_cert: cannot load /nonexistent.pem") == err, "%s", err);
    ck_assert_ptr_null(wsp_tls_ctx_new(cert_path, "/nonexistent.key", err, sizeof err));
    ck_assert_msg(strstr(err, "ws_tls_key: cannot load /nonexistent.key") == err, "%s", err);
    ck_assert_ptr_null(wsp_tls_ctx_new(cert_path, other_key_path, err, sizeof err));
    ck_assert_msg(strstr(err, "ws_tls_key:") == err, "%s", err);
    ck_assert_ptr_null(wsp_tls_ctx_new(key_path, key_path, err, sizeof err));
    ck_assert_msg(strstr(err, "ws_tls_cert:") == err, "%s", err);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("ws_tls");
    TCase *tc = tcase_create("tls");
    tcase_add_unchecked_fixture(tc, make_cert, rm_cert);
    tcase_add_test(tc, handshake_and_data);
    tcase_add_test(tc, large_output_through_small_buffer);
    tcase_add_test(tc, plain_request_fails);
    tcase_add_test(tc, context_errors);
    suite_add_tcase(s, tc);
    return s;
}

#else

START_TEST(no_tls_build_refuses)
{
    char err[256] = "";
    ck_assert_int_eq(wsp_tls_available(), 0);
    ck_assert_ptr_null(wsp_tls_ctx_new("c.pem", "k.pem", err, sizeof err));
    ck_assert_msg(strstr(err, "no TLS support") != NULL, "%s", err);
}
END_TEST

Suite *make_suite(void)
{
    Suite *s = suite_create("ws_tls (built without TLS)");
    TCase *tc = tcase_create("notls");
    tcase_add_test(tc, no_tls_build_refuses);
    suite_add_tcase(s, tc);
    return s;
}
#endif
