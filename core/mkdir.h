/*
 * mkdir.h - mkdir -p, shared by the store (data_dir) and the log (the
 * directories of a log file).
 */
#ifndef WSP_MKDIR_H
#define WSP_MKDIR_H

#include <stddef.h>

/* Create dir and every missing parent (mode 0755). Returns 0, or -1 with
 * errno set (ENOTDIR when a component is a file) and, when failed is
 * given, the component that could not be created copied into it. */
int wsp_mkdir_p(const char *dir, char *failed, size_t failed_len);

#endif
