/*
 * wspush.c - the WsPush module: entry, MINIT/MSHUTDOWN/MINFO, globals, and
 * class registration from the generated arginfo (stubs/wspush.stub.php).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "php.h"
#include "ext/standard/info.h"
#include "ext/spl/spl_exceptions.h"
#include "php_wspush.h"
#include "wspush_arginfo.h"

#include <event2/event.h>
#include <json-c/json_c_version.h>
#include <lmdb.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>

ZEND_DECLARE_MODULE_GLOBALS(wspush)

zend_class_entry *wspush_ce_server;
zend_class_entry *wspush_ce_client;

static PHP_GINIT_FUNCTION(wspush)
{
#if defined(COMPILE_DL_WSPUSH) && defined(ZTS)
    ZEND_TSRMLS_CACHE_UPDATE();
#endif
    wspush_client_cache_init(&wspush_globals->clients);
}

/* Runs at module shutdown (NTS: from MSHUTDOWN's module destructor; ZTS:
 * when each thread ends): closes the cached push-client connections. */
static PHP_GSHUTDOWN_FUNCTION(wspush)
{
    wspush_client_cache_free(&wspush_globals->clients);
}

static PHP_MINIT_FUNCTION(wspush)
{
    wspush_ce_exception = register_class_WsPush_Exception(spl_ce_RuntimeException);
    wspush_ce_server = register_class_WsPush_Server();
    wspush_server_minit(wspush_ce_server);
    wspush_ce_client = register_class_WsPush_Client();
    wspush_client_minit(wspush_ce_client);
    return SUCCESS;
}

static PHP_MSHUTDOWN_FUNCTION(wspush)
{
    return SUCCESS;
}

/* Optional features for php --ri: one row each, on or off, and the configure
 * switch that controls it. A feature's switch in config.m4 adds
 * -DWSP_HAVE_<NAME> (see "Optional features" there); add its row here. */
#ifdef WSP_HAVE_HIREDIS
# define WSPUSH_FEATURE_REDIS 1
#else
# define WSPUSH_FEATURE_REDIS 0
#endif
#ifdef WSP_HAVE_TLS
# define WSPUSH_FEATURE_TLS 1
#else
# define WSPUSH_FEATURE_TLS 0
#endif
#ifdef WSP_HAVE_URING
# define WSPUSH_FEATURE_URING 1
#else
# define WSPUSH_FEATURE_URING 0
#endif

static const struct {
    const char *name;
    int on;
    const char *how;   /* how to get it when off */
} wspush_features[] = {
    { "Redis store (store = redis://)", WSPUSH_FEATURE_REDIS, "--with-wspush-redis; Debian: libhiredis-dev" },
    { "TLS listener (wss://)", WSPUSH_FEATURE_TLS, "--enable-wspush-tls; Debian: libssl-dev" },
    { "Batched socket writes (io_uring)", WSPUSH_FEATURE_URING, "--with-wspush-uring; Debian: liburing-dev" },
};

static PHP_MINFO_FUNCTION(wspush)
{
    char row[256];
    size_t i;

    php_info_print_table_start();
    php_info_print_table_row(2, "WsPush support", "enabled");
    php_info_print_table_row(2, "Version", PHP_WSPUSH_VERSION);
    php_info_print_table_end();

    /* Built with: the headers this module was compiled against; running
     * with: the shared library loaded now (they differ after a library
     * upgrade without a rebuild). */
    php_info_print_table_start();
    php_info_print_table_header(3, "Library", "Built with", "Running with");
    php_info_print_table_row(3, "libevent", EVENT__VERSION, event_get_version());
    php_info_print_table_row(3, "json-c", JSON_C_VERSION, json_c_version());
    php_info_print_table_row(3, "OpenSSL", OPENSSL_VERSION_TEXT, OpenSSL_version(OPENSSL_VERSION));
    php_info_print_table_row(3, "LMDB", MDB_VERSION_STRING, mdb_version(NULL, NULL, NULL));
    php_info_print_table_end();

    php_info_print_table_start();
    php_info_print_table_header(2, "Optional feature", "Available");
    for (i = 0; i < sizeof wspush_features / sizeof wspush_features[0]; i++) {
        if (wspush_features[i].on) {
            php_info_print_table_row(2, wspush_features[i].name, "yes");
        } else {
            snprintf(row, sizeof row, "no (rebuild with %s)", wspush_features[i].how);
            php_info_print_table_row(2, wspush_features[i].name, row);
        }
    }
    php_info_print_table_end();
}

static const zend_module_dep wspush_deps[] = {
    ZEND_MOD_REQUIRED("json")
    ZEND_MOD_REQUIRED("spl")
    ZEND_MOD_END
};

zend_module_entry wspush_module_entry = {
    STANDARD_MODULE_HEADER_EX,
    NULL,
    wspush_deps,
    "wspush",
    NULL,                       /* no functions: classes only */
    PHP_MINIT(wspush),
    PHP_MSHUTDOWN(wspush),
    NULL,                       /* RINIT */
    NULL,                       /* RSHUTDOWN */
    PHP_MINFO(wspush),
    PHP_WSPUSH_VERSION,
    PHP_MODULE_GLOBALS(wspush),
    PHP_GINIT(wspush),
    PHP_GSHUTDOWN(wspush),
    NULL,                       /* post-deactivate */
    STANDARD_MODULE_PROPERTIES_EX
};

#ifdef COMPILE_DL_WSPUSH
# ifdef ZTS
ZEND_TSRMLS_CACHE_DEFINE()
# endif
ZEND_GET_MODULE(wspush)
#endif
