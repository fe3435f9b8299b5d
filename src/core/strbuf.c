/* strbuf.c — the growable string (strbuf.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dlnsweep/strbuf.h"

void dln_strbuf_init(dln_strbuf *b)
{
    memset(b, 0, sizeof *b);
}

int dln_strbuf_reserve(dln_strbuf *b, size_t extra)
{
    if (b->oom)
        return 1;
    if (b->n + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? 2 * b->cap : 256;
    while (cap < b->n + extra + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = 1;
        return 1;
    }
    if (!b->p)
        p[0] = '\0';
    b->p = p;
    b->cap = cap;
    return 0;
}

int dln_strbuf_appendn(dln_strbuf *b, const char *text, size_t len)
{
    if (dln_strbuf_reserve(b, len))
        return 1;
    memcpy(b->p + b->n, text, len);
    b->n += len;
    b->p[b->n] = '\0';
    return 0;
}

int dln_strbuf_append(dln_strbuf *b, const char *text)
{
    return dln_strbuf_appendn(b, text, strlen(text));
}

int dln_strbuf_appendf(dln_strbuf *b, const char *fmt, ...)
{
    va_list ap;
    if (dln_strbuf_reserve(b, 0))
        return 1;
    va_start(ap, fmt);
    int k = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
    va_end(ap);
    if (k < 0) {
        b->p[b->n] = '\0';
        b->oom = 1;
        return 1;
    }
    if ((size_t)k >= b->cap - b->n) {   /* did not fit: grow, print again */
        if (dln_strbuf_reserve(b, (size_t)k))
            return 1;
        va_start(ap, fmt);
        vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
        va_end(ap);
    }
    b->n += (size_t)k;
    return 0;
}

const char *dln_strbuf_text(const dln_strbuf *b)
{
    return b->oom ? NULL : b->p ? b->p : "";
}

void dln_strbuf_copy(const dln_strbuf *b, char *buf, size_t len)
{
    const char *t = dln_strbuf_text(b);
    if (len > 0)
        snprintf(buf, len, "%s", t ? t : "");
}

char *dln_strbuf_take(dln_strbuf *b, size_t *len)
{
    if (dln_strbuf_reserve(b, 0)) {
        dln_strbuf_free(b);
        return NULL;
    }
    char *p = b->p;
    if (len)
        *len = b->n;
    dln_strbuf_init(b);
    return p;
}

void dln_strbuf_free(dln_strbuf *b)
{
    free(b->p);
    dln_strbuf_init(b);
}
