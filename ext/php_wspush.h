/*
 * php_wspush.h - shared declarations of the WsPush PHP binding (ext/).
 *
 * ext/ is the only place Zend APIs appear; it is a thin layer over the core
 * API in core/wsp.h. One concern per file:
 *   wspush.c            module entry, MINIT/MSHUTDOWN/MINFO, class registration
 *   wspush_exception.c  WsPush\Exception and the one helper that throws it
 *   wspush_server.c     WsPush\Server (owns a wsp_server and its thread)
 *   wspush_client.c     WsPush\Client (push-port client, per-process cache)
 */
#ifndef PHP_WSPUSH_H
#define PHP_WSPUSH_H

#include "wsp.h"

extern zend_module_entry wspush_module_entry;
#define phpext_wspush_ptr &wspush_module_entry

#define PHP_WSPUSH_VERSION WSP_VERSION

#if defined(ZTS) && defined(COMPILE_DL_WSPUSH)
ZEND_TSRMLS_CACHE_EXTERN()
#endif

/* Per-process (per-thread under ZTS) state: the persistent push-client
 * connections, keyed by "timeout|address". The table and the clients are
 * malloc'd (never Zend request memory) so they survive requests under
 * PHP-FPM; they are freed in GSHUTDOWN (called at MSHUTDOWN). */
ZEND_BEGIN_MODULE_GLOBALS(wspush)
    HashTable *clients;
ZEND_END_MODULE_GLOBALS(wspush)

ZEND_EXTERN_MODULE_GLOBALS(wspush)
#define WSPUSH_G(v) ZEND_MODULE_GLOBALS_ACCESSOR(wspush, v)

extern zend_class_entry *wspush_ce_server;
extern zend_class_entry *wspush_ce_client;
extern zend_class_entry *wspush_ce_exception;

/* Set up the object handlers of a registered class (called once, MINIT). */
void wspush_server_minit(zend_class_entry *ce);
void wspush_client_minit(zend_class_entry *ce);

/* Persistent client cache (wspush_client.c). */
void wspush_client_cache_init(HashTable **table);
void wspush_client_cache_free(HashTable **table);

/* Throw WsPush\Exception with a printf-style message; the exception code is
 * the core's error number made positive (-WSP_ERR_*), 0 when rc >= 0.
 * The single place where core errors become PHP exceptions. */
void wspush_throw(int rc, const char *fmt, ...) ZEND_ATTRIBUTE_FORMAT(printf, 2, 3);

#endif /* PHP_WSPUSH_H */
