/* npy.c — the strict .npy reader of npy.h: magic and version, the header
 * dictionary ({'descr': '<f8', 'fortran_order': False, 'shape': (n,), }),
 * the data, and the content hash of an init file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dlnsweep/file.h"
#include "dlnsweep/npy.h"

#define NPY_MAX_DIMS 32
#define NPY_MAX_HEADER 65536L
#define NPY_MAX_BYTES ((size_t)1 << 32)   /* 512 M weights */

#define BAD(...) do { snprintf(err, errlen, __VA_ARGS__); rc = 2; \
                      goto cleanup; } while (0)

typedef struct npy_header {
    int have_descr, have_order, have_shape;
    int fortran;
    int ndim;
    long shape[NPY_MAX_DIMS];
} npy_header;

/* Skip spaces in the header text. */
static const char *skip(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    return s;
}

/* A quoted Python string literal ('...' or "...", no escapes) into buf;
 * returns the text after it, or NULL. */
static const char *quoted(const char *s, char *buf, size_t len)
{
    char q = *s;
    if (q != '\'' && q != '"')
        return NULL;
    const char *end = strchr(s + 1, q);
    size_t n = end ? (size_t)(end - s - 1) : 0;
    if (!end || n >= len || memchr(s + 1, '\\', n))
        return NULL;
    memcpy(buf, s + 1, n);
    buf[n] = '\0';
    return end + 1;
}

/* The shape tuple "(3, 4)", "(3,)" or "()"; returns the text after it or
 * NULL. */
static const char *shape_tuple(const char *s, npy_header *h)
{
    if (*s != '(')
        return NULL;
    s = skip(s + 1);
    h->ndim = 0;
    while (*s != ')') {
        char *end;
        if (h->ndim == NPY_MAX_DIMS || *s < '0' || *s > '9')
            return NULL;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno == ERANGE)
            return NULL;
        h->shape[h->ndim++] = v;
        s = skip(end);
        if (*s == ',')
            s = skip(s + 1);
        else if (*s != ')')
            return NULL;
    }
    return s + 1;
}

/* Parse the header dictionary text; 0, or 2 with the reason in why. */
static int parse_header(const char *s, npy_header *h, char *why, size_t len)
{
    char key[32], val[32];
    memset(h, 0, sizeof *h);
    s = skip(s);
    if (*s != '{')
        return snprintf(why, len, "header is not a dictionary"), 2;
    s = skip(s + 1);
    while (*s != '}') {
        if (!(s = quoted(s, key, sizeof key)))
            return snprintf(why, len, "header: expected a quoted key"), 2;
        s = skip(s);
        if (*s != ':')
            return snprintf(why, len, "header: expected ':' after '%s'",
                            key), 2;
        s = skip(s + 1);
        if (!strcmp(key, "descr")) {
            if (!(s = quoted(s, val, sizeof val)))
                return snprintf(why, len, "header: 'descr' is not a simple "
                                "type string (structured arrays are not "
                                "supported)"), 2;
            if (strcmp(val, "<f8"))
                return snprintf(why, len, "holds '%s' values; an init file "
                                "holds little-endian float64 ('<f8': "
                                "np.save of a float64 array)", val), 2;
            h->have_descr = 1;
        } else if (!strcmp(key, "fortran_order")) {
            if (!strncmp(s, "True", 4))
                h->fortran = 1, s += 4;
            else if (!strncmp(s, "False", 5))
                h->fortran = 0, s += 5;
            else
                return snprintf(why, len, "header: 'fortran_order' is not "
                                "True or False"), 2;
            h->have_order = 1;
        } else if (!strcmp(key, "shape")) {
            if (!(s = shape_tuple(s, h)))
                return snprintf(why, len, "header: 'shape' is not a tuple "
                                "of non-negative integers"), 2;
            h->have_shape = 1;
        } else
            return snprintf(why, len, "header: unknown key '%s'", key), 2;
        s = skip(s);
        if (*s == ',')
            s = skip(s + 1);
        else if (*s != '}')
            return snprintf(why, len, "header: expected ',' or '}'"), 2;
    }
    s = skip(s + 1);
    if (*s)
        return snprintf(why, len, "header: text after the dictionary"), 2;
    if (!h->have_descr || !h->have_order || !h->have_shape)
        return snprintf(why, len, "header lacks '%s'",
                        !h->have_descr ? "descr"
                        : !h->have_order ? "fortran_order" : "shape"), 2;
    return 0;
}

/* Little-endian unsigned integer of k bytes. */
static unsigned long le_uint(const unsigned char *b, int k)
{
    unsigned long v = 0;
    for (int i = k - 1; i >= 0; i--)
        v = (v << 8) | b[i];
    return v;
}

/* A double from 8 little-endian bytes. */
static double le_double(const unsigned char *b)
{
    uint64_t u = 0;
    double d;
    for (int i = 7; i >= 0; i--)
        u = (u << 8) | b[i];
    memcpy(&d, &u, sizeof d);
    return d;
}

/* Fortran-ordered values f (shape h) into C order c. */
static void to_c_order(const double *f, double *c, const npy_header *h,
                       long n)
{
    long idx[NPY_MAX_DIMS] = {0};
    for (long k = 0; k < n; k++) {   /* k walks f; idx its multi-index */
        long at = 0;
        for (int d = 0; d < h->ndim; d++)
            at = at * h->shape[d] + idx[d];
        c[at] = f[k];
        for (int d = 0; d < h->ndim; d++) {   /* first index fastest */
            if (++idx[d] < h->shape[d])
                break;
            idx[d] = 0;
        }
    }
}

int dln_npy_read(const char *path, double **data, long *n, char *err,
                 size_t errlen)
{
    static const unsigned char magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
    char *file = NULL, *text = NULL, why[160];
    double *v = NULL, *tmp = NULL;
    size_t len = 0;
    npy_header h;
    int rc;
    *data = NULL;
    *n = 0;
    if ((rc = dln_file_read(path, "init file", NPY_MAX_BYTES, &file, &len,
                            err, errlen)))
        return rc;
    rc = 1;
    const unsigned char *b = (const unsigned char *)file;
    if (len < 10 || memcmp(b, magic, 6))
        BAD("%s: not a NumPy .npy file (no \\x93NUMPY magic)", path);
    int major = b[6], lenbytes = major == 1 ? 2 : 4;
    if (major < 1 || major > 3 || b[7] != 0)
        BAD("%s: .npy format version %d.%d (this reader knows 1.0, 2.0 "
            "and 3.0)", path, b[6], b[7]);
    size_t at = 8 + (size_t)lenbytes;
    if (len < at)
        BAD("%s: truncated .npy header", path);
    size_t hlen = le_uint(b + 8, lenbytes);
    if (hlen < 1 || hlen > NPY_MAX_HEADER || len - at < hlen)
        BAD("%s: .npy header of %zu bytes in a file of %zu", path, hlen,
            len);
    if (!(text = malloc(hlen + 1)))
        goto cleanup;
    memcpy(text, b + at, hlen);
    text[hlen] = '\0';
    if (strlen(text) != hlen)
        BAD("%s: NUL byte in the .npy header", path);
    if (parse_header(text, &h, why, sizeof why))
        BAD("%s: %s", path, why);
    at += hlen;
    long count = 1;
    for (int d = 0; d < h.ndim; d++) {
        if (h.shape[d] > 0 && count > (1L << 40) / h.shape[d])
            BAD("%s: array too large", path);
        count *= h.shape[d];
    }
    if (len - at != (size_t)count * 8)
        BAD("%s: %zu bytes of data where the header announces %ld float64 "
            "values (%ld bytes)", path, len - at, count, count * 8);
    if (count > 0) {
        if (!(v = malloc((size_t)count * sizeof *v)))
            goto cleanup;
        for (long k = 0; k < count; k++)
            v[k] = le_double(b + at + 8 * (size_t)k);
    }
    if (h.fortran && h.ndim > 1 && count > 0) {
        if (!(tmp = malloc((size_t)count * sizeof *tmp)))
            goto cleanup;
        to_c_order(v, tmp, &h, count);
        free(v);
        v = tmp;
        tmp = NULL;
    }
    *data = v;
    *n = count;
    v = NULL;
    rc = 0;
cleanup:
    free(file);
    free(text);
    free(v);
    free(tmp);
    if (rc == 1 && errlen)
        snprintf(err, errlen, "%s: out of memory", path);
    return rc;
}

uint64_t dln_npy_hash(const double *v, long n)
{
    uint64_t h = dln_hash_bytes(0, "npy-f8", 6);
    for (long k = 0; k < n; k++) {
        unsigned char b[8];
        uint64_t u;
        memcpy(&u, &v[k], sizeof u);
        for (int i = 0; i < 8; i++)
            b[i] = (unsigned char)(u >> (8 * i));
        h = dln_hash_bytes(h, b, 8);
    }
    h ^= h >> 33;   /* fold FNV's weak high bits down */
    h *= 0xff51afd7ed558ccdULL;
    return h ^ (h >> 33);
}

int dln_npy_load_init(const dln_params *p, double **x, char *err,
                      size_t errlen)
{
    const char *path = p->init_file.path;
    long n = 0, want = dln_params_nweights(p);
    int rc = dln_npy_read(path, x, &n, err, errlen);
    if (rc)
        return rc;
    if (n != p->init_file.n || dln_npy_hash(*x, n) != p->init_file.hash)
        snprintf(err, errlen, "%s: init file changed since the job was "
                 "read (%ld values, content hash %016llx; the cell was "
                 "made with %ld values, %016llx)", path, n,
                 (unsigned long long)dln_npy_hash(*x, n), p->init_file.n,
                 (unsigned long long)p->init_file.hash), rc = 2;
    else if (n != want)
        snprintf(err, errlen, "%s: holds %ld values; the network has %ld "
                 "weights", path, n, want), rc = 2;
    if (rc) {
        free(*x);
        *x = NULL;
    }
    return rc;
}
