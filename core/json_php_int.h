/*
 * json_php_int.h - helpers shared by json_php.c (parser) and json_php_enc.c
 * (encoders, PHP casts). Not part of the core's API.
 */
#ifndef WSP_JSON_PHP_INT_H
#define WSP_JSON_PHP_INT_H

#include <stddef.h>

/* strtod in the "C" locale whatever the process locale is (the host PHP
 * may have called setlocale). _n parses exactly s[0..n). */
double wsp_json_strtod_c(const char *s);
double wsp_json_strtod_n(const char *s, size_t n);

#include "utf8.h"   /* wsp_utf8_seq */

static inline int wsp_json_is_digit(unsigned c) { return c >= '0' && c <= '9'; }

#endif
