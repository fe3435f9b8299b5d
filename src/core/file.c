/* file.c — whole-file reads with a size cap. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dlnsweep/file.h"

int dln_file_read(const char *path, const char *what, size_t max_bytes,
                  char **text, size_t *len, char *err, size_t errlen)
{
    FILE *f = NULL;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    int rc = 2;
    *text = NULL;
    *len = 0;
    if (!(f = fopen(path, "rb"))) {
        snprintf(err, errlen, "%s: cannot read %s: %s", path, what,
                 strerror(errno));
        goto cleanup;
    }
    for (;;) {
        if (n == cap) {
            /* One byte beyond the cap tells a file of exactly max_bytes
             * from a longer one. */
            if (cap > max_bytes) {
                snprintf(err, errlen, "%s: %s larger than %zu bytes", path,
                         what, max_bytes);
                goto cleanup;
            }
            cap = cap ? 2 * cap : 4096;
            if (cap > max_bytes + 1)
                cap = max_bytes + 1;
            char *b = realloc(buf, cap + 1);
            if (!b) {
                snprintf(err, errlen, "%s: out of memory reading %s", path,
                         what);
                rc = 1;
                goto cleanup;
            }
            buf = b;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        snprintf(err, errlen, "%s: cannot read %s: %s", path, what,
                 strerror(errno));
        goto cleanup;
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    buf = NULL;
    rc = 0;
cleanup:
    if (f)
        fclose(f);
    free(buf);
    return rc;
}
