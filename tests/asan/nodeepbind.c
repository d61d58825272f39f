/*
 * nodeepbind.c - an LD_PRELOAD shim for running PHP with the extension built
 * under AddressSanitizer: PHP dlopen()s extensions with RTLD_DEEPBIND, which
 * the sanitizer runtime refuses. This drops that one flag and changes
 * nothing else. Test-only; never part of the extension.
 */
#define _GNU_SOURCE
#include <dlfcn.h>

void *dlopen(const char *file, int flags)
{
    static void *(*real_dlopen)(const char *, int);
    if (!real_dlopen)
        real_dlopen = (void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen");
    return real_dlopen(file, flags & ~RTLD_DEEPBIND);
}
