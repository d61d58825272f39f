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

static PHP_MINFO_FUNCTION(wspush)
{
    php_info_print_table_start();
    php_info_print_table_row(2, "WsPush support", "enabled");
    php_info_print_table_row(2, "Version", PHP_WSPUSH_VERSION);
    php_info_print_table_row(2, "libevent", event_get_version());
    php_info_print_table_row(2, "json-c", json_c_version());
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
