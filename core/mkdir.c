/*
 * mkdir.c - mkdir -p (see mkdir.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mkdir.h"

int wsp_mkdir_p(const char *dir, char *failed, size_t failed_len)
{
    char *p = strdup(dir);
    struct stat st;
    int rc = -1;

    if (!p) { errno = ENOMEM; return -1; }
    /* Start at 1 so an absolute path does not try mkdir(""). */
    for (char *c = p + 1; ; c++) {
        if (*c != '/' && *c != '\0') continue;
        char saved = *c;
        *c = '\0';
        if (mkdir(p, 0755) != 0) {
            if (errno != EEXIST) goto out;
            if (stat(p, &st) != 0) goto out;
            if (!S_ISDIR(st.st_mode)) { errno = ENOTDIR; goto out; }
        }
        *c = saved;
        if (saved == '\0') break;
    }
    rc = 0;
out:
    {
        int e = errno;
        if (rc != 0 && failed && failed_len) snprintf(failed, failed_len, "%s", p);
        free(p);
        errno = e;
    }
    return rc;
}
