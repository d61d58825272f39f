/*
 * errbuf.h - the core's one way of writing an error message into a caller's
 * buffer (errbuf + errlen, as every public core function takes them).
 */
#ifndef WSP_ERRBUF_H
#define WSP_ERRBUF_H

#include <stddef.h>

/* printf into errbuf (cut to errlen); does nothing when errbuf is NULL or
 * errlen is 0. */
void wsp_errf(char *errbuf, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
