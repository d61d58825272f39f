/*
 * json_php_diff.c - the C side of the differential check against PHP
 * (tests/json_php_diff.php, `make json-diff`). Reads push lines from stdin,
 * separated by newlines, or by NUL bytes with -0, and prints one result
 * line each:
 *   ok <function_type> <hex key id> <hex payload>
 *   fail <NOT_OBJECT|NO_UID|BAD_UID|UNENCODABLE|NOMEM>
 * Hex keeps bytes exact whatever the payload holds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "push_line.h"

static const char *fail_code(wsp_push_fail f)
{
    switch (f) {
    case WSP_PUSH_NOT_OBJECT: return "NOT_OBJECT";
    case WSP_PUSH_NO_UID: return "NO_UID";
    case WSP_PUSH_BAD_UID: return "BAD_UID";
    case WSP_PUSH_UNENCODABLE: return "UNENCODABLE";
    case WSP_PUSH_NOMEM: return "NOMEM";
    case WSP_PUSH_OK: break;
    }
    return "?";
}

static void put_hex(const char *s, size_t n)
{
    static const char hexd[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        putchar(hexd[c >> 4]);
        putchar(hexd[c & 15]);
    }
}

static void one(const char *line, size_t len)
{
    wsp_push_msg m;
    wsp_push_fail f = wsp_push_line_parse(line, len, &m);
    if (f != WSP_PUSH_OK) {
        printf("fail %s\n", fail_code(f));
        return;
    }
    printf("ok %d ", m.function_type);
    put_hex(m.key.id, m.key.id_len);
    putchar(' ');
    put_hex(m.payload, m.payload_len);
    putchar('\n');
    wsp_push_msg_free(&m);
}

int main(int argc, char **argv)
{
    int sep = (argc > 1 && strcmp(argv[1], "-0") == 0) ? '\0' : '\n';
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getdelim(&line, &cap, sep, stdin)) >= 0) {
        if (n > 0 && line[n - 1] == (char)sep)
            n--;
        one(line, (size_t)n);
    }
    free(line);
    return 0;
}
