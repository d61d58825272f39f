/*
 * wspush_exception.c - WsPush\Exception and the one helper that maps core
 * errors to it (STYLE point 6: exceptions only at the ext boundary, mapped
 * in one place). Argument problems are not mapped here: they raise
 * ValueError/TypeError via zend_argument_value_error, as php-src does.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "php.h"
#include "zend_exceptions.h"
#include "php_wspush.h"

#include <stdarg.h>

zend_class_entry *wspush_ce_exception;

void wspush_throw(int rc, const char *fmt, ...)
{
    va_list ap;
    zend_string *msg;

    va_start(ap, fmt);
    msg = zend_vstrpprintf(0, fmt, ap);
    va_end(ap);
    zend_throw_exception(wspush_ce_exception, ZSTR_VAL(msg), rc < 0 ? -(zend_long)rc : 0);
    zend_string_release(msg);
}
