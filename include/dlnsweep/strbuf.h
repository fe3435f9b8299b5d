/* strbuf.h — the program's one growable string: append text and formatted
 * text, then take the result or free it.  A failed allocation is sticky
 * (every later append is a no-op and dln_strbuf_take returns NULL), so a
 * builder checks once at the end. */
#ifndef DLNSWEEP_STRBUF_H
#define DLNSWEEP_STRBUF_H

#include <stddef.h>

typedef struct dln_strbuf {
    char *p;        /* NUL-terminated text (NULL while nothing appended) */
    size_t n, cap;  /* bytes of text (NUL not counted); bytes allocated   */
    int oom;        /* an allocation failed                              */
} dln_strbuf;

#define DLN_STRBUF_INIT {NULL, 0, 0, 0}

/* An empty buffer (same as DLN_STRBUF_INIT).  Cannot fail. */
void dln_strbuf_init(dln_strbuf *b);

/* Room for extra more bytes (and the NUL) without another allocation;
 * 0, or 1 when out of memory (now or before). */
int dln_strbuf_reserve(dln_strbuf *b, size_t extra);

/* Append text / its first len bytes / printf of fmt; 0, or 1 when out of
 * memory (now or before). */
int dln_strbuf_append(dln_strbuf *b, const char *text);
int dln_strbuf_appendn(dln_strbuf *b, const char *text, size_t len);
int dln_strbuf_appendf(dln_strbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The text so far ("" when empty, NULL after an allocation failure);
 * owned by b. */
const char *dln_strbuf_text(const dln_strbuf *b);

/* The text into buf (len bytes, NUL-terminated; cut to fit; "" after an
 * allocation failure) for functions that fill a caller's buffer. */
void dln_strbuf_copy(const dln_strbuf *b, char *buf, size_t len);

/* The text as a malloc'ed string the caller frees (*len its length when
 * len is not NULL), b left empty; NULL when out of memory (b freed). */
char *dln_strbuf_take(dln_strbuf *b, size_t *len);

/* Free b's text and leave it empty; accepts an empty buffer. */
void dln_strbuf_free(dln_strbuf *b);

#endif
