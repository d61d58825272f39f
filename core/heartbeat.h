/*
 * heartbeat.h - recognising an add-in heartbeat frame (docs/protocol.md §3).
 */
#ifndef WSP_HEARTBEAT_H
#define WSP_HEARTBEAT_H

#include <stddef.h>

/* 1 when text (already trimmed) is a JSON object with a non-null "uid" and a
 * FunctionType whose PHP (int) cast is not 0: the seed echoes such a frame
 * back verbatim. 0 otherwise. */
int wsp_addin_heartbeat(const char *text, size_t len);

#endif
