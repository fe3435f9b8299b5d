/* jobspec_yaml.c — read a job file's YAML (libyaml document API) into a
 * dln_jobspec: sections, keys, typed scalars, axis values and generators.
 * Every error names the file, the 1-based line of the offending node and
 * the key.  Cross-key checks and expansion live in jobspec.c. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "dlnsweep/number.h"
#include "dlnsweep/refine.h"
#include "dlnsweep/strbuf.h"
#include "jobspec_internal.h"

enum { SEC_TOP, SEC_GRID, SEC_DIAG, SEC_PARALLEL, SEC_REFINE, SEC_COUNT };

struct section {
    const char *name;               /* as written in hints ("grid")        */
    const char *const *keys;
    int nkeys;
};

/* What reading one document needs: the job, the document, the error
 * buffer, and the key sets of every section (grid: and diagnostics: from
 * the parameter table: the axes in expansion order, the settings in table
 * order). */
typedef struct reader {
    dln_jobspec *j;
    yaml_document_t *doc;
    char *err;
    size_t errlen;
    const char *grid_keys[DLN_PARAM_MAX + 2];   /* axes, zip, exclude */
    yaml_node_t *exclude;                       /* grid: exclude:, if any */
    const char *diag_keys[DLN_PARAM_MAX];
    const dln_param_def *diag_defs[DLN_PARAM_MAX];
    struct section sections[SEC_COUNT];
    char grid_what[96], diag_what[96];  /* "axes (eta, depth, ...)"     */
} reader;

#define FAIL(r, line, key, ...) js_fail((r)->j, (r)->err, (r)->errlen, line, key, __VA_ARGS__)

/* ---- sections and their keys ---------------------------------------- */

static const char *const top_keys[] = {"name", "seed", "seeds", "grid",
                                       "diagnostics", "parallel", "refine"};
enum { TOP_NAME, TOP_SEED, TOP_SEEDS, TOP_GRID, TOP_DIAG, TOP_PARALLEL,
       TOP_REFINE };
static const char *const parallel_keys[] = {"wide_width", "group_size"};
static const char *const refine_keys[] = {"axis", "tol", "max_points",
                                           "method", "max_period"};

static void reader_init(reader *r, dln_jobspec *j, yaml_document_t *doc,
                        char *err, size_t errlen)
{
    int ndiag = 0, ngrid = 0;
    const char *grid_first[2] = {"", ""};
    memset(r, 0, sizeof *r);
    r->j = j;
    r->doc = doc;
    r->err = err;
    r->errlen = errlen;
    for (int k = 0; k < js_naxes(); k++)
        r->grid_keys[k] = js_axis_def(k)->name;
    r->grid_keys[js_naxes()] = "zip";        /* docs/job-files.md */
    r->grid_keys[js_naxes() + 1] = "exclude";
    for (int i = 0; i < dln_param_count(); i++) {
        const dln_param_def *d = dln_param_at(i);
        if (d->section == DLN_PS_DIAG) {
            r->diag_defs[ndiag] = d;
            r->diag_keys[ndiag++] = d->name;
        } else if (ngrid < 2)
            grid_first[ngrid++] = d->name;
    }
    snprintf(r->grid_what, sizeof r->grid_what, "axes (%s, %s, ...)",
             grid_first[0], grid_first[1]);
    snprintf(r->diag_what, sizeof r->diag_what, "settings (%s, ...)",
             ndiag ? r->diag_keys[0] : "");
    r->sections[SEC_TOP] = (struct section){"the top level", top_keys, 7};
    r->sections[SEC_GRID] = (struct section){"grid", r->grid_keys,
                                             js_naxes() + 2};
    r->sections[SEC_DIAG] = (struct section){"diagnostics", r->diag_keys,
                                             ndiag};
    r->sections[SEC_PARALLEL] = (struct section){"parallel", parallel_keys,
                                                 2};
    r->sections[SEC_REFINE] = (struct section){"refine", refine_keys, 5};
}

/* ---- small helpers -------------------------------------------------- */

static int line_of(const yaml_node_t *n)
{
    return (int)n->start_mark.line + 1;
}

static const char *text_of(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

static int is_plain(const yaml_node_t *n)
{
    return n->type == YAML_SCALAR_NODE &&
           n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static int is_null(const yaml_node_t *n)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
    if (!is_plain(n))
        return 0;
    for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
        if (!strcmp(text_of(n), nulls[i]))
            return 1;
    return 0;
}

/* What a node is, for messages: "a list", "the string 'abc'", ... */
static const char *describe(const yaml_node_t *n, char *buf, size_t len)
{
    if (n->type == YAML_SEQUENCE_NODE)
        return "a list";
    if (n->type == YAML_MAPPING_NODE)
        return "a mapping";
    if (is_null(n))
        return "nothing";
    snprintf(buf, len, "%s'%.40s%s'", is_plain(n) ? "" : "the quoted string ",
             text_of(n), strlen(text_of(n)) > 40 ? "..." : "");
    return buf;
}

/* Levenshtein distance, capped: enough to suggest a near miss. */
static int edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    int row[64];
    if (la > 60 || lb > 60)
        return 99;
    for (size_t j = 0; j <= lb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int up = row[j];
            int best = diag + (tolower((unsigned char)a[i - 1]) !=
                               tolower((unsigned char)b[j - 1]));
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* The closest of names[0..n) to key within distance 2, or NULL. */
static const char *closest(const char *key, const char *const *names, int n)
{
    const char *best = NULL;
    int bestd = 3;
    for (int i = 0; i < n; i++) {
        int d = edit_distance(key, names[i]);
        if (d < bestd) {
            bestd = d;
            best = names[i];
        }
    }
    return best;
}

/* "unknown grid key; did you mean 'width'?" and friends. */
static int fail_unknown(reader *r, const yaml_node_t *keynode, int sec,
                        const char *const *names, int nnames,
                        const char *what)
{
    const char *key = text_of(keynode);
    const char *near = closest(key, names, nnames);
    if (near)
        return FAIL(r, line_of(keynode), key, "unknown %s; did you mean '%s'?",
                    what, near);
    if (sec >= 0)
        for (int s = 0; s < SEC_COUNT; s++)
            for (int k = 0; s != sec && k < r->sections[s].nkeys; k++)
                if (!strcmp(key, r->sections[s].keys[k]))
                    return FAIL(r, line_of(keynode), key,
                                "unknown %s; it belongs under %s%s", what,
                                r->sections[s].name, s == SEC_TOP ? "" : ":");
    char list[256];
    dln_strbuf b = DLN_STRBUF_INIT;
    for (int i = 0; i < nnames; i++)
        dln_strbuf_appendf(&b, "%s%s", i ? ", " : "", names[i]);
    dln_strbuf_copy(&b, list, sizeof list);
    dln_strbuf_free(&b);
    return FAIL(r, line_of(keynode), key, "unknown %s (known: %s)", what,
                list);
}

/* Walk a mapping's pairs: keys must be scalars, known, and not repeated.
 * For each pair calls fn(r, index-of-key-in-names, keynode, valnode, arg). */
typedef int (*pair_fn)(reader *r, int idx, yaml_node_t *key, yaml_node_t *val,
                       void *arg);

static int walk_mapping(reader *r, yaml_node_t *map, int sec,
                        const char *const *names, int nnames,
                        const char *what, pair_fn fn, void *arg)
{
    yaml_node_pair_t *p0 = map->data.mapping.pairs.start;
    yaml_node_pair_t *top = map->data.mapping.pairs.top;
    for (yaml_node_pair_t *p = p0; p < top; p++) {
        yaml_node_t *k = yaml_document_get_node(r->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(r->doc, p->value);
        char buf[64];
        if (k->type != YAML_SCALAR_NODE)
            return FAIL(r, line_of(k), "(key)",
                        "keys must be names, got %s", describe(k, buf,
                                                              sizeof buf));
        for (yaml_node_pair_t *q = p0; q < p; q++) {
            yaml_node_t *kq = yaml_document_get_node(r->doc, q->key);
            if (kq->type == YAML_SCALAR_NODE &&
                !strcmp(text_of(kq), text_of(k)))
                return FAIL(r, line_of(k), text_of(k),
                            "duplicate key (first given at line %d)",
                            line_of(kq));
        }
        int idx = -1;
        for (int i = 0; i < nnames; i++)
            if (!strcmp(text_of(k), names[i]))
                idx = i;
        if (idx < 0)
            return fail_unknown(r, k, sec, names, nnames, what);
        int rc = fn(r, idx, k, v, arg);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- typed scalars -------------------------------------------------- */

static int int_text(const char *s, long *out)
{
    const char *c = s + (*s == '+' || *s == '-');
    if (!*c)
        return 2;
    for (; *c; c++)
        if (!isdigit((unsigned char)*c))
            return 2;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*end)
        return 2;
    if (errno == ERANGE)
        return 3;                             /* an integer, but too large */
    *out = v;
    return 0;
}

static int get_real(reader *r, yaml_node_t *n, const char *key, double *out)
{
    char buf[80];
    if (!is_plain(n) || is_null(n))
        return FAIL(r, line_of(n), key, "expected a number, got %s",
                    describe(n, buf, sizeof buf));
    if (dln_parse_real(text_of(n), out))
        return FAIL(r, line_of(n), key, "expected a number, got %s",
                    describe(n, buf, sizeof buf));
    if (!isfinite(*out))
        return FAIL(r, line_of(n), key, "number out of range (got %s)",
                    text_of(n));
    return 0;
}

/* An integer in the text of a plain scalar (any range: the caller checks
 * it), with the messages of a near miss. */
static int integer_value(reader *r, const char *key, yaml_node_t *n,
                         long *out)
{
    char buf[80];
    double dummy;
    int bad = !is_plain(n) || is_null(n) ? 2 : int_text(text_of(n), out);
    if (bad == 3)
        return FAIL(r, line_of(n), key, "integer out of range (got %s)",
                    text_of(n));
    if (bad) {
        if (is_plain(n) && !dln_parse_real(text_of(n), &dummy))
            return FAIL(r, line_of(n), key, "expected an integer, got %s "
                        "(write it without a decimal point or exponent)",
                        text_of(n));
        return FAIL(r, line_of(n), key, "expected an integer, got %s",
                    describe(n, buf, sizeof buf));
    }
    return 0;
}

static int get_int(reader *r, yaml_node_t *n, const char *key, long lo,
                   long hi, long *out)
{
    int rc = integer_value(r, key, n, out);
    if (!rc && (*out < lo || *out > hi))
        return FAIL(r, line_of(n), key, "must be an integer in %ld..%ld "
                    "(got %ld)", lo, hi, *out);
    return rc;
}

static int get_int32(reader *r, yaml_node_t *n, const char *key, long lo,
                     long hi, int *out)
{
    long v;
    int rc = get_int(r, n, key, lo, hi, &v);
    if (!rc)
        *out = (int)v;
    return rc;
}

static int get_bool(reader *r, yaml_node_t *n, const char *key, int *out)
{
    static const char *const t[] = {"true", "True", "TRUE"};
    static const char *const f[] = {"false", "False", "FALSE"};
    char buf[80];
    if (is_plain(n))
        for (int i = 0; i < 3; i++) {
            if (!strcmp(text_of(n), t[i])) {
                *out = 1;
                return 0;
            }
            if (!strcmp(text_of(n), f[i])) {
                *out = 0;
                return 0;
            }
        }
    return FAIL(r, line_of(n), key, "expected true or false, got %s",
                describe(n, buf, sizeof buf));
}

static int get_string(reader *r, yaml_node_t *n, const char *key,
                      const char **out)
{
    char buf[80];
    if (n->type != YAML_SCALAR_NODE || is_null(n))
        return FAIL(r, line_of(n), key, "expected a name, got %s",
                    describe(n, buf, sizeof buf));
    *out = text_of(n);
    return 0;
}

static int need_mapping(reader *r, yaml_node_t *n, const char *key,
                        const char *what)
{
    char buf[80];
    if (n->type == YAML_MAPPING_NODE)
        return 0;
    return FAIL(r, line_of(n), key, "expected a mapping of %s, got %s", what,
                describe(n, buf, sizeof buf));
}

/* ---- axes ----------------------------------------------------------- */

/* Integer-valued rows (their values and generator outputs are integers). */
static int is_integer(const dln_param_def *d)
{
    return d->type == DLN_PT_INT || d->type == DLN_PT_LONG;
}

/* Room for one more value in a (scalars in v, else compound values in
 * pv). 0 or 1. */
static int axis_grow(js_axis *a, int compound)
{
    long cap;
    if (a->n == 0)
        cap = 4;
    else if (a->n >= 4 && (a->n & (a->n - 1)) == 0)
        cap = 2 * a->n;                     /* full: capacity is a power of 2 */
    else
        return 0;
    int *line = realloc(a->line, (size_t)cap * sizeof *line);
    if (!line)
        return 1;
    a->line = line;
    if (compound) {
        dln_params *pv = realloc(a->pv, (size_t)cap * sizeof *pv);
        if (!pv)
            return 1;
        a->pv = pv;
    } else {
        double *v = realloc(a->v, (size_t)cap * sizeof *v);
        if (!v)
            return 1;
        a->v = v;
    }
    return 0;
}

static int axis_push(js_axis *a, double v, int line)
{
    if (axis_grow(a, 0))
        return 1;
    a->v[a->n] = v;
    a->line[a->n++] = line;
    return 0;
}

/* Range check of one value against row d (NULL: a spectrum family's
 * parameter, checked by the family). */
static int check_value(reader *r, const dln_param_def *d, double v, int line)
{
    char got[32], range[128];
    if (!d || (d->type != DLN_PT_REAL && !is_integer(d)) ||
        dln_param_in_range(d, v))
        return 0;
    dln_format_real(v, got, sizeof got);
    if (is_integer(d))
        return FAIL(r, line, d->name, "values must be integers in "
                    "%.0f..%.0f (got %s)", d->lo, d->hi, got);
    dln_param_range_text(d, range, sizeof range);
    return FAIL(r, line, d->name, "values must be %s (got %s)", range, got);
}

/* An init kind by name (row d), with a hint for a near miss. */
static int init_value(reader *r, const dln_param_def *d, yaml_node_t *n,
                      double *out)
{
    const char *names[16], *name = NULL;
    char range[128], hint[64] = "";
    dln_init_kind kind;
    int nnames = 0, rc = get_string(r, n, d->name, &name);
    if (rc)
        return rc;
    if (!dln_init_parse(name, &kind)) {
        *out = (double)kind;
        return 0;
    }
    for (int k = (int)d->lo; k <= (int)d->hi && nnames < 16; k++)
        names[nnames++] = dln_init_name((dln_init_kind)k);
    const char *near = closest(name, names, nnames);
    if (near)
        snprintf(hint, sizeof hint, "; did you mean '%s'?", near);
    dln_param_range_text(d, range, sizeof range);
    return FAIL(r, line_of(n), d->name, "unknown %s '%.40s' (expected %s)%s",
                d->name, name, range, hint);
}

/* One scalar of row d's type (not a list or file) as a double; the range is
 * the caller's to check. */
static int typed_value(reader *r, const dln_param_def *d, yaml_node_t *n,
                       double *out)
{
    long i = 0;
    int rc, b = 0;
    switch (d->type) {
    case DLN_PT_REAL:
        return get_real(r, n, d->name, out);
    case DLN_PT_INT:
    case DLN_PT_LONG:
        rc = integer_value(r, d->name, n, &i);
        *out = (double)i;
        return rc;
    case DLN_PT_BOOL:
        rc = get_bool(r, n, d->name, &b);
        *out = b;
        return rc;
    case DLN_PT_INIT:
        return init_value(r, d, n, out);
    default:
        return FAIL(r, line_of(n), d->name, "internal: a list or file is "
                    "not a single value");
    }
}

/* One scalar axis value of any scalar kind. */
static int scalar_value(reader *r, int ax, yaml_node_t *n, double *out)
{
    int rc = typed_value(r, js_axis_def(ax), n, out);
    return rc ? rc : check_value(r, js_axis_def(ax), *out, line_of(n));
}

/* {linspace: [lo, hi, n]}, {logspace: [lo, hi, n]}, {arange: [lo, hi,
 * step]} of row d's values (d NULL: real values named key, unchecked). */
static int generator(reader *r, const dln_param_def *d, const char *key,
                     yaml_node_t *map, js_axis *a)
{
    static const char *const gens[] = {"linspace", "logspace", "arange"};
    char buf[80];
    if (d && d->type != DLN_PT_REAL && !is_integer(d))
        return FAIL(r, line_of(map), key, "expected a value or a list of "
                    "values, got a mapping");
    yaml_node_pair_t *p = map->data.mapping.pairs.start;
    if (map->data.mapping.pairs.top - p != 1)
        return FAIL(r, line_of(map), key, "a range is a mapping with one key: "
                    "linspace, logspace or arange");
    yaml_node_t *k = yaml_document_get_node(r->doc, p->key);
    yaml_node_t *v = yaml_document_get_node(r->doc, p->value);
    int g = -1;
    for (int i = 0; i < 3; i++)
        if (k->type == YAML_SCALAR_NODE && !strcmp(text_of(k), gens[i]))
            g = i;
    if (g < 0) {
        const char *near = k->type == YAML_SCALAR_NODE
                               ? closest(text_of(k), gens, 3) : NULL;
        char hint[64] = "";
        if (near)
            snprintf(hint, sizeof hint, "; did you mean '%s'?", near);
        return FAIL(r, line_of(k), key, "unknown range %s (expected "
                    "linspace, logspace or arange)%s",
                    describe(k, buf, sizeof buf), hint);
    }
    const char *form = g == 2 ? "[lo, hi, step]" : "[lo, hi, n]";
    if (v->type != YAML_SEQUENCE_NODE ||
        v->data.sequence.items.top - v->data.sequence.items.start != 3)
        return FAIL(r, line_of(v), key, "%s expects %s, got %s", gens[g],
                    form, describe(v, buf, sizeof buf));
    yaml_node_item_t *it = v->data.sequence.items.start;
    yaml_node_t *nlo = yaml_document_get_node(r->doc, it[0]);
    yaml_node_t *nhi = yaml_document_get_node(r->doc, it[1]);
    yaml_node_t *n3 = yaml_document_get_node(r->doc, it[2]);
    double lo, hi, step = 0.0;
    long n = 0;
    int rc = get_real(r, nlo, key, &lo);
    if (!rc)
        rc = get_real(r, nhi, key, &hi);
    if (rc)
        return rc;
    int line = line_of(v);
    if (g == 2) {
        if ((rc = get_real(r, n3, key, &step)))
            return rc;
        if (!(step > 0.0))
            return FAIL(r, line, key, "arange step must be > 0 (got %s)",
                        text_of(n3));
        if (hi < lo)
            return FAIL(r, line, key, "arange needs lo <= hi (got %s > %s)",
                        text_of(nlo), text_of(nhi));
        double count = floor((hi - lo) / step + 1e-9) + 1.0;
        if (count > (double)JS_MAX_AXIS)
            return FAIL(r, line, key, "arange makes %.0f values (at most "
                        "%ld)", count, JS_MAX_AXIS);
        n = (long)count;
    } else {
        char nbuf[80];
        if (!is_plain(n3) || int_text(text_of(n3), &n))
            return FAIL(r, line_of(n3), key, "%s needs an integer n, got %s",
                        gens[g], describe(n3, nbuf, sizeof nbuf));
        if (n < 1 || n > JS_MAX_AXIS)
            return FAIL(r, line_of(n3), key, "%s needs n in 1..%ld (got %ld)",
                        gens[g], JS_MAX_AXIS, n);
        if (g == 1 && !(lo > 0.0 && hi > 0.0))
            return FAIL(r, line, key, "logspace needs lo > 0 and hi > 0 "
                        "(values, not exponents)");
    }
    for (long i = 0; i < n; i++) {
        double x, di = (double)i;
        if (g == 0)        /* the refine lattice's formula, bit for bit */
            x = n == 1 ? lo : dln_refine_coord(lo, hi, n - 1, i);
        else if (g == 1)
            x = n == 1 ? lo : pow(10.0, log10(lo) + di * (log10(hi) -
                                        log10(lo)) / (double)(n - 1));
        else
            x = lo + di * step;
        if (i == 0)
            x = lo;
        else if (g != 2 && i == n - 1)
            x = hi;                                  /* snap the end exactly */
        else if (g == 2 && fabs(x - hi) <= 1e-9 * step)
            x = hi;
        if (d && is_integer(d)) {
            double rx = nearbyint(x);
            if (fabs(x - rx) > 1e-9 * fmax(1.0, fabs(rx))) {
                char got[32];
                dln_format_real(x, got, sizeof got);
                return FAIL(r, line, key, "%s makes the non-integer value %s",
                            gens[g], got);
            }
            x = rx;
        }
        if (x == 0.0)
            x = 0.0;
        if ((rc = check_value(r, d, x, line)))
            return rc;
        if (axis_push(a, x, line))
            return 1;
    }
    return 0;
}

/* ---- lists and files ------------------------------------------------ */

/* A list of numbers: one value of list row d (its range and order),
 * into q's field. */
static int list_value(reader *r, const dln_param_def *d, yaml_node_t *seq,
                      dln_params *q, int whole_axis)
{
    double v[DLN_MAX_INIT_DIAG];
    yaml_node_item_t *it = seq->data.sequence.items.start;
    long n = seq->data.sequence.items.top - it;
    char range[128];
    if (n == 0 && (d->flags & DLN_PARAM_NONEMPTY))
        return FAIL(r, line_of(seq), d->name, "empty list: a value needs at "
                    "least one number");
    if (n > d->max_n)
        return FAIL(r, line_of(seq), d->name, "%ld values (at most %d)", n,
                    d->max_n);
    dln_param_range_text(d, range, sizeof range);
    for (long i = 0; i < n; i++) {
        yaml_node_t *x = yaml_document_get_node(r->doc, it[i]);
        int rc = get_real(r, x, d->name, &v[i]);
        if (rc)
            return rc;
        if (!dln_param_in_range(d, v[i]))
            return FAIL(r, line_of(x), d->name, "values must be in range: %s "
                        "(got %s)", range, text_of(x));
        if ((d->flags & DLN_PARAM_DESCENDING) && i && v[i] > v[i - 1])
            return FAIL(r, line_of(x), d->name, "values must be in "
                        "descending order (got %s after %s)%s", text_of(x),
                        text_of(yaml_document_get_node(r->doc, it[i - 1])),
                        whole_axis ? "; an axis of one-value lists is "
                                     "written [[a], [b], ...]" : "");
    }
    dln_param_set_list(q, d, v, (int)n);
    return 0;
}

/* Append q (a value of axis a's compound row) with its line. 0 or 1. */
static int compound_push_value(js_axis *a, const dln_params *q, int line)
{
    if (axis_grow(a, 1))
        return 1;
    a->pv[a->n] = *q;
    a->line[a->n++] = line;
    return 0;
}

struct family_args {
    int family;             /* 0 geometric, 1 linear, 2 flat               */
    js_axis x[3];           /* values of s1|from|s, ratio|to, rank          */
    int seen[3];
    int line[3];
};

static const char *const family_names[] = {"geometric", "linear", "flat"};
static const char *const family_keys[3][3] = {{"s1", "ratio", "rank"},
                                              {"from", "to", "rank"},
                                              {"s", "rank", NULL}};

/* One family parameter: a number, a list of numbers or a range (an axis
 * of targets), each value checked. */
static int family_pair(reader *r, int idx, yaml_node_t *k, yaml_node_t *v,
                       void *arg)
{
    struct family_args *f = arg;
    const char *key = text_of(k);
    int nk = f->family == 2 ? 2 : 3, rc = 0;
    js_axis *a = &f->x[idx == nk - 1 ? 2 : idx];
    f->seen[idx] = 1;
    f->line[idx] = line_of(v);
    if (v->type == YAML_MAPPING_NODE)
        rc = generator(r, NULL, key, v, a);
    else if (v->type == YAML_SEQUENCE_NODE) {
        yaml_node_item_t *it = v->data.sequence.items.start;
        if (v->data.sequence.items.top == it)
            return FAIL(r, line_of(v), key, "empty list");
        for (; it < v->data.sequence.items.top && !rc; it++) {
            yaml_node_t *x = yaml_document_get_node(r->doc, *it);
            double val;
            if (!(rc = get_real(r, x, key, &val)) &&
                axis_push(a, val, line_of(x)))
                rc = 1;
        }
    } else {
        double val;
        if (!(rc = get_real(r, v, key, &val)) &&
            axis_push(a, val, line_of(v)))
            rc = 1;
    }
    for (long i = 0; i < a->n && !rc; i++) {
        double x = a->v[i];
        char got[32];
        dln_format_real(x, got, sizeof got);
        if (idx == nk - 1 && (x != nearbyint(x) || x < 1 ||
                              x > DLN_MAX_SPECTRUM))
            rc = FAIL(r, a->line[i], key, "must be an integer in 1..%d "
                      "(got %s)", DLN_MAX_SPECTRUM, got);
        else if (f->family == 0 && idx == 1 && !(x > 0.0 && x <= 1.0))
            rc = FAIL(r, a->line[i], key, "must be in (0, 1] (got %s)", got);
        else if (idx != nk - 1 && !(f->family == 0 && idx == 1) &&
                 !(x >= 0.0))
            rc = FAIL(r, a->line[i], key, "must be >= 0 (got %s)", got);
    }
    return rc;
}

/* Target (i0, i1, i2) of family f's parameter values into list row d of
 * q. */
static int family_target(reader *r, const struct family_args *f, long i0,
                         long i1, long i2, const dln_param_def *d,
                         dln_params *q)
{
    double x0 = f->x[0].v[i0], x1 = f->family == 2 ? 0.0 : f->x[1].v[i1];
    double sv[DLN_MAX_SPECTRUM];
    int rank = (int)f->x[2].v[i2];
    for (int i = 0; i < rank; i++) {
        double di = (double)i;
        if (f->family == 0)
            sv[i] = i ? x0 * pow(x1, di) : x0;
        else if (f->family == 1)
            sv[i] = rank == 1 ? x0
                    : i == rank - 1 ? x1
                    : x0 + di * (x1 - x0) / (double)(rank - 1);
        else
            sv[i] = x0;
    }
    if (f->family == 1 && x1 > x0)
        return FAIL(r, f->line[1], "to", "linear spectrum must descend "
                    "(from >= to)");
    dln_param_set_list(q, d, sv, rank);
    return 0;
}

/* {geometric: {s1, ratio, rank}}, {linear: {from, to, rank}}, {flat: {s,
 * rank}}: one target, or with lists or ranges as parameters the targets of
 * every combination (parameters in that order, the last fastest), pushed
 * onto axis a of list row d (DLN_PARAM_FAMILIES). */
static int spectrum_family(reader *r, const dln_param_def *d,
                           yaml_node_t *map, js_axis *a)
{
    char buf[80];
    yaml_node_pair_t *p = map->data.mapping.pairs.start;
    if (map->data.mapping.pairs.top - p != 1)
        return FAIL(r, line_of(map), d->name, "a spectrum family is a "
                    "mapping with one key: geometric, linear or flat");
    yaml_node_t *k = yaml_document_get_node(r->doc, p->key);
    yaml_node_t *v = yaml_document_get_node(r->doc, p->value);
    struct family_args f;
    memset(&f, 0, sizeof f);
    f.family = -1;
    for (int i = 0; i < 3; i++)
        if (k->type == YAML_SCALAR_NODE && !strcmp(text_of(k),
                                                   family_names[i]))
            f.family = i;
    if (f.family < 0) {
        const char *near = k->type == YAML_SCALAR_NODE
                               ? closest(text_of(k), family_names, 3) : NULL;
        char hint[64] = "";
        if (near)
            snprintf(hint, sizeof hint, "; did you mean '%s'?", near);
        return FAIL(r, line_of(k), d->name, "unknown family %s (expected "
                    "geometric, linear or flat)%s",
                    describe(k, buf, sizeof buf), hint);
    }
    const char *fname = family_names[f.family];
    int nk = f.family == 2 ? 2 : 3;
    int rc = need_mapping(r, v, fname, "parameters");
    char what[48];
    snprintf(what, sizeof what, "key of %s", fname);
    if (!rc)
        rc = walk_mapping(r, v, -1, family_keys[f.family], nk, what,
                          family_pair, &f);
    for (int i = 0; i < nk && !rc; i++)
        if (!f.seen[i])
            rc = FAIL(r, line_of(v), family_keys[f.family][i],
                      "missing in %s (needs %s, %s%s%s)", fname,
                      family_keys[f.family][0], family_keys[f.family][1],
                      nk == 3 ? ", " : "", nk == 3 ? "rank" : "");
    long n1 = f.family == 2 ? 1 : f.x[1].n;
    for (long i0 = 0; !rc && i0 < f.x[0].n; i0++)
        for (long i1 = 0; !rc && i1 < n1; i1++)
            for (long i2 = 0; !rc && i2 < f.x[2].n; i2++) {
                dln_params q = r->j->base;
                if (a->n >= JS_MAX_AXIS)
                    rc = FAIL(r, line_of(map), d->name, "the family makes "
                              "more than %ld targets", JS_MAX_AXIS);
                else if (!(rc = family_target(r, &f, i0, i1, i2, d, &q)))
                    rc = compound_push_value(a, &q, line_of(map));
            }
    for (int i = 0; i < 3; i++) {
        free(f.x[i].v);
        free(f.x[i].line);
    }
    return rc;
}

/* One value of the list or file row of axis ax, appended to a: a list
 * row takes a number (one value), a list of numbers, or (families) a
 * spectrum family, which may stand for several; a file row a path. */
static int compound_push(reader *r, int ax, js_axis *a, yaml_node_t *n,
                         int whole_axis)
{
    const dln_param_def *d = js_axis_def(ax);
    dln_params q = r->j->base;
    char buf[80], err[600];
    int rc;
    if (d->type == DLN_PT_FILE) {
        if (n->type != YAML_SCALAR_NODE)
            return FAIL(r, line_of(n), d->name, "expected a file name, got "
                        "%s", describe(n, buf, sizeof buf));
        rc = dln_param_parse(&q, d, text_of(n), err, sizeof err);
        if (rc == 2)
            return FAIL(r, line_of(n), d->name, "%s", strchr(err, ':')
                        ? strchr(err, ':') + 2 : err);
    } else if (n->type == YAML_SEQUENCE_NODE)
        rc = list_value(r, d, n, &q, whole_axis);
    else if (n->type == YAML_MAPPING_NODE) {
        if (!(d->flags & DLN_PARAM_FAMILIES))
            return FAIL(r, line_of(n), d->name, "expected a number or a list "
                        "of numbers, got a mapping");
        return spectrum_family(r, d, n, a);
    } else {
        double x;
        rc = get_real(r, n, d->name, &x);
        if (!rc && !dln_param_in_range(d, x)) {
            dln_param_range_text(d, buf, sizeof buf);
            rc = FAIL(r, line_of(n), d->name, "values must be in range: %s "
                      "(got %s)", buf, text_of(n));
        }
        if (!rc)
            dln_param_set_list(&q, d, &x, 1);
    }
    return rc ? rc : compound_push_value(a, &q, line_of(n));
}

/* A list row: 1 | [10, 9] | {family} -> one value (a family: or several);
 * [[10, 9], [10, 6], {family}] -> an axis of values.  A file row: path ->
 * one value; [path, path] -> an axis. */
static int compound_axis(reader *r, int ax, yaml_node_t *v, js_axis *a)
{
    const dln_param_def *d = js_axis_def(ax);
    if (v->type != YAML_SEQUENCE_NODE)
        return compound_push(r, ax, a, v, 0);
    yaml_node_item_t *it = v->data.sequence.items.start;
    long n = v->data.sequence.items.top - it;
    if (n == 0 && (d->type == DLN_PT_FILE || (d->flags & DLN_PARAM_NONEMPTY)))
        return FAIL(r, line_of(v), d->name, "empty list: an axis needs at "
                    "least one value");
    int nested = d->type == DLN_PT_FILE ||
                 (n > 0 && yaml_document_get_node(r->doc, it[0])->type !=
                           YAML_SCALAR_NODE);
    for (long i = 1; i < n && d->type == DLN_PT_LIST; i++) {
        yaml_node_t *x = yaml_document_get_node(r->doc, it[i]);
        if ((x->type != YAML_SCALAR_NODE) != nested)
            return FAIL(r, line_of(x), d->name, "mixes numbers and lists: "
                        "write one value [10, 9] or a list of values "
                        "[[10, 9], [10, 6]]");
    }
    if (!nested)
        return compound_push(r, ax, a, v, 1);
    for (long i = 0; i < n; i++) {
        int rc = compound_push(r, ax, a, yaml_document_get_node(r->doc,
                                                                it[i]), 0);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- sections ------------------------------------------------------- */

/* Values of axis ax from v (a value, a list or a range; for eta also
 * {times_edge: RANGE}, setting *edge) appended to a. */
static int axis_values(reader *r, int ax, yaml_node_t *v, js_axis *a,
                       int *edge)
{
    const char *key = js_axis_def(ax)->name;
    *edge = 0;
    if (!dln_param_is_scalar(js_axis_def(ax)))
        return compound_axis(r, ax, v, a);
    if (v->type == YAML_MAPPING_NODE &&
        js_axis_def(ax) == DLN_PARAM_OF(eta) &&
        v->data.mapping.pairs.top - v->data.mapping.pairs.start == 1) {
        yaml_node_pair_t *p = v->data.mapping.pairs.start;
        yaml_node_t *k = yaml_document_get_node(r->doc, p->key);
        if (k->type == YAML_SCALAR_NODE && !strcmp(text_of(k),
                                                   "times_edge")) {
            int inner;
            yaml_node_t *c = yaml_document_get_node(r->doc, p->value);
            if (c->type == YAML_MAPPING_NODE &&
                c->data.mapping.pairs.top - c->data.mapping.pairs.start == 1 &&
                !strcmp(text_of(yaml_document_get_node(
                            r->doc, c->data.mapping.pairs.start->key)),
                        "times_edge"))
                return FAIL(r, line_of(c), key, "times_edge inside "
                            "times_edge");
            *edge = 1;
            return axis_values(r, ax, c, a, &inner);
        }
    }
    if (v->type == YAML_MAPPING_NODE)
        return generator(r, js_axis_def(ax), key, v, a);
    if (v->type == YAML_SEQUENCE_NODE) {
        yaml_node_item_t *it = v->data.sequence.items.start;
        long n = v->data.sequence.items.top - it;
        if (n == 0)
            return FAIL(r, line_of(v), key, "empty list: an axis needs at "
                        "least one value");
        for (long i = 0; i < n; i++) {
            yaml_node_t *x = yaml_document_get_node(r->doc, it[i]);
            double val;
            int rc;
            if (x->type != YAML_SCALAR_NODE) {
                char buf[80];
                return FAIL(r, line_of(x), key, "list items must be single "
                            "values, got %s", describe(x, buf, sizeof buf));
            }
            if ((rc = scalar_value(r, ax, x, &val)))
                return rc;
            if (axis_push(a, val, line_of(x)))
                return 1;
        }
        return 0;
    }
    double val;
    int rc = scalar_value(r, ax, v, &val);
    if (rc)
        return rc;
    return axis_push(a, val, line_of(v));
}

/* Grid axis ax given at key k (at the top of grid: or in a zip group). */
static int grid_axis(reader *r, int ax, yaml_node_t *k, yaml_node_t *v)
{
    dln_jobspec *j = r->j;
    js_axis *a = &j->ax[ax];
    int edge = 0, rc;
    if (a->key_line)
        return FAIL(r, line_of(k), text_of(k), "axis given twice (first at "
                    "line %d)", a->key_line);
    a->key_line = line_of(k);
    if ((rc = axis_values(r, ax, v, a, &edge)))
        return rc;
    if (edge) {
        j->eta_edge = 1;
        j->eta_edge_line = line_of(v);
    }
    return 0;
}

/* One zip group: a mapping of >= 2 axes with equal numbers of values. */
static int zip_pair(reader *r, int ax, yaml_node_t *k, yaml_node_t *v,
                    void *arg)
{
    int *group = arg;
    r->j->zip_of[ax] = *group;
    return grid_axis(r, ax, k, v);
}

static int zip_group(reader *r, yaml_node_t *g)
{
    dln_jobspec *j = r->j;
    int group = j->nzip, rc, first = -1;
    if ((rc = need_mapping(r, g, "zip", "axes advancing together")))
        return rc;
    j->zip_line[group] = line_of(g);
    j->nzip++;
    if ((rc = walk_mapping(r, g, SEC_GRID, r->grid_keys, js_naxes(),
                           "grid key", zip_pair, &group)))
        return rc;
    for (int ax = 0; ax < js_naxes(); ax++) {
        if (j->zip_of[ax] != group)
            continue;
        if (first < 0)
            first = ax;
        else if (j->ax[ax].n != j->ax[first].n)
            return FAIL(r, j->ax[ax].key_line, js_axis_def(ax)->name,
                        "zip: %ld values, but %s has %ld (axes of one zip "
                        "group advance together)", j->ax[ax].n,
                        js_axis_def(first)->name, j->ax[first].n);
    }
    int members = 0;
    for (int ax = 0; ax < js_naxes(); ax++)
        members += j->zip_of[ax] == group;
    if (members < 2)
        return FAIL(r, line_of(g), "zip", "a zip group needs at least two "
                    "axes");
    return 0;
}

static int grid_zip(reader *r, yaml_node_t *v)
{
    if (v->type != YAML_SEQUENCE_NODE)
        return zip_group(r, v);
    for (yaml_node_item_t *it = v->data.sequence.items.start;
         it < v->data.sequence.items.top; it++) {
        int rc;
        if (r->j->nzip >= DLN_PARAM_MAX / 2)
            return FAIL(r, line_of(v), "zip", "too many zip groups");
        if ((rc = zip_group(r, yaml_document_get_node(r->doc, *it))))
            return rc;
    }
    return 0;
}

/* One exclude condition: axis -> value(s); it matches a cell whose value
 * on every named axis is one of those listed (values of the grid's axes:
 * for eta given as times_edge, the multipliers). */
static int exclude_pair(reader *r, int ax, yaml_node_t *k, yaml_node_t *v,
                        void *arg)
{
    js_exclude *e = arg;
    const js_axis *a = &r->j->ax[ax];
    js_axis vals = {0};
    int edge, rc;
    if (!a->key_line)
        return FAIL(r, line_of(k), text_of(k), "exclude names an axis the "
                    "grid does not set");
    if (!(e->sel[ax] = calloc((size_t)a->n, 1)))
        return 1;
    rc = axis_values(r, ax, v, &vals, &edge);
    for (long i = 0; i < vals.n && !rc; i++) {
        long hit = -1;
        for (long q = 0; q < a->n && hit < 0; q++)
            if (vals.pv ? !dln_param_compare(&vals.pv[i], &a->pv[q],
                                             js_axis_def(ax))
                        : vals.v[i] == a->v[q])
                hit = q;
        if (hit < 0)
            rc = FAIL(r, vals.line[i], text_of(k), "exclude: value %ld is "
                      "not on the grid's %s axis", i + 1, text_of(k));
        else
            e->sel[ax][hit] = 1;
    }
    free(vals.v);
    free(vals.pv);
    free(vals.line);
    return rc;
}

/* exclude: a condition or a list of them; read after the whole grid. */
static int grid_exclude(reader *r, yaml_node_t *v)
{
    dln_jobspec *j = r->j;
    yaml_node_item_t *it = NULL, *top = NULL;
    yaml_node_t *one = v;
    if (v->type == YAML_SEQUENCE_NODE) {
        it = v->data.sequence.items.start;
        top = v->data.sequence.items.top;
    }
    for (;;) {
        int rc;
        if (it) {
            if (it == top)
                return 0;
            one = yaml_document_get_node(r->doc, *it++);
        }
        if ((rc = need_mapping(r, one, "exclude", "axes and values")))
            return rc;
        js_exclude *e = realloc(j->excl, (size_t)(j->nexcl + 1) * sizeof *e);
        if (!e)
            return 1;
        j->excl = e;
        memset(&e[j->nexcl], 0, sizeof *e);
        e[j->nexcl].line = line_of(one);
        j->nexcl++;
        if ((rc = walk_mapping(r, one, SEC_GRID, r->grid_keys, js_naxes(),
                               "grid key", exclude_pair,
                               &e[j->nexcl - 1])))
            return rc;
        if (!it)
            return 0;
    }
}

static int grid_pair(reader *r, int ax, yaml_node_t *k, yaml_node_t *v,
                     void *arg)
{
    if (ax == js_naxes())
        return grid_zip(r, v);
    if (ax == js_naxes() + 1) {
        r->exclude = v;   /* read once every axis is known */
        return 0;
    }
    return grid_axis(r, ax, k, v);
}

/* One diagnostics setting: a single value of its row's type and range. */
static int diag_pair(reader *r, int idx, yaml_node_t *k, yaml_node_t *v,
                     void *arg)
{
    const dln_param_def *d = r->diag_defs[idx];
    char buf[80], range[128];
    double x = 0.0;
    int rc;
    r->j->diag_line[dln_param_index(d)] = line_of(v);
    if (v->type != YAML_SCALAR_NODE)
        return FAIL(r, line_of(v), d->name, "diagnostics are single values, "
                    "not axes (got %s)", describe(v, buf, sizeof buf));
    if ((rc = typed_value(r, d, v, &x)))
        return rc;
    if (!dln_param_in_range(d, x)) {
        dln_param_range_text(d, range, sizeof range);
        if (is_integer(d))
            snprintf(buf, sizeof buf, "%.0f", x);
        else
            snprintf(buf, sizeof buf, "%.60s", text_of(v));
        return FAIL(r, line_of(v), d->name, "must be %s (got %s)", range,
                    buf);
    }
    dln_param_set(&r->j->base, d, x);
    return 0;
}

static int parallel_pair(reader *r, int idx, yaml_node_t *k, yaml_node_t *v,
                         void *arg)
{
    if (idx == 0)
        return get_int32(r, v, "wide_width", 1, 1000000, &r->j->wide_width);
    return get_int32(r, v, "group_size", 1, 4096, &r->j->group_size);
}

/* The axes refine: may bisect (the real-valued grid axes, in table
 * order) into names; returns their count. */
static int refinable_axes(const dln_param_def **defs)
{
    int n = 0;
    for (int i = 0; i < dln_param_count(); i++) {
        const dln_param_def *d = dln_param_at(i);
        if (d->section == DLN_PS_GRID && d->type == DLN_PT_REAL)
            defs[n++] = d;
    }
    return n;
}

/* "a, b" (last = ", ") or "a or b" (last = " or ") of the refinable axes. */
static void refinable_list(const char *last, char *buf, size_t len)
{
    const dln_param_def *defs[DLN_PARAM_MAX];
    int n = refinable_axes(defs);
    dln_strbuf b = DLN_STRBUF_INIT;
    for (int i = 0; i < n; i++)
        dln_strbuf_appendf(&b, "%s%s", i == 0 ? "" : i == n - 1 ? last : ", ",
                           defs[i]->name);
    dln_strbuf_copy(&b, buf, len);
    dln_strbuf_free(&b);
}

static int refine_pair(reader *r, int idx, yaml_node_t *k, yaml_node_t *v,
                       void *arg)
{
    dln_jobspec *j = r->j;
    int *seen = arg;
    seen[idx] = 1;
    if (idx == 0) {
        const dln_param_def *defs[DLN_PARAM_MAX];
        const char *names[DLN_PARAM_MAX], *name = NULL;
        int n = refinable_axes(defs), rc = get_string(r, v, "axis", &name);
        if (rc)
            return rc;
        for (int i = 0; i < n; i++) {
            names[i] = defs[i]->name;
            if (!strcmp(name, names[i])) {
                j->refine_axis = defs[i]->axis;
                j->refine_line = line_of(v);
                return 0;
            }
        }
        const char *near = closest(name, names, n);
        char hint[64] = "", list[256];
        if (near)
            snprintf(hint, sizeof hint, "; did you mean '%s'?", near);
        refinable_list(", ", list, sizeof list);
        return FAIL(r, line_of(v), "axis", "cannot refine '%.40s' "
                    "(refinable axes: %s)%s", name, list, hint);
    }
    if (idx == 1) {
        int rc = get_real(r, v, "tol", &j->refine_tol);
        if (!rc && !(j->refine_tol > 0.0))
            rc = FAIL(r, line_of(v), "tol", "must be > 0 (got %s)",
                      text_of(v));
        return rc;
    }
    if (idx == 2)
        return get_int32(r, v, "max_points", 1, (int)JS_MAX_AXIS,
                         &j->refine_max_points);
    if (idx == 4)
        return get_int32(r, v, "max_period", 1, DLN_REFINE_MAX_PERIOD,
                         &j->refine_max_period);
    static const char *const methods[] = {"bisection", "continuation"};
    const char *name;
    int rc = get_string(r, v, "method", &name);
    if (rc)
        return rc;
    j->refine_method_line = line_of(v);
    for (int m = 0; m < 2; m++)
        if (!strcmp(name, methods[m])) {
            j->refine_method = m == 0 ? DLN_REFINE_BISECTION
                                      : DLN_REFINE_CONTINUATION;
            return 0;
        }
    const char *near = closest(name, methods, 2);
    char hint[64] = "";
    if (near)
        snprintf(hint, sizeof hint, "; did you mean '%s'?", near);
    return FAIL(r, line_of(v), "method", "unknown refine method '%.40s' "
                "(bisection or continuation)%s", name, hint);
}

static int name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 64)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
            return 0;
    return 1;
}

static int top_pair(reader *r, int idx, yaml_node_t *k, yaml_node_t *v,
                    void *arg)
{
    dln_jobspec *j = r->j;
    const char *key = top_keys[idx];
    int rc;
    switch (idx) {
    case TOP_NAME: {
        const char *name = NULL;
        if ((rc = get_string(r, v, key, &name)))
            return rc;
        if (!name_ok(name))
            return FAIL(r, line_of(v), key, "must be 1..64 characters from "
                        "A-Z a-z 0-9 . _ - (got '%.40s')", name);
        char *copy = js_strdup(name);
        if (!copy)
            return 1;
        free(j->name);
        j->name = copy;
        j->name_line = line_of(v);
        return 0;
    }
    case TOP_SEED: {
        long s;
        if ((rc = get_int(r, v, key, 0, LONG_MAX, &s)))
            return rc;
        j->seed = (uint64_t)s;
        return 0;
    }
    case TOP_SEEDS:
        j->seeds_line = line_of(v);
        return get_int32(r, v, key, 1, 1000000, &j->seeds);
    case TOP_GRID:
        j->grid_line = line_of(k);
        if ((rc = need_mapping(r, v, key, r->grid_what)))
            return rc;
        return walk_mapping(r, v, SEC_GRID, r->grid_keys, js_naxes() + 2,
                            "grid key", grid_pair, NULL);
    case TOP_DIAG:
        if ((rc = need_mapping(r, v, key, r->diag_what)))
            return rc;
        return walk_mapping(r, v, SEC_DIAG, r->diag_keys,
                            r->sections[SEC_DIAG].nkeys, "diagnostics key",
                            diag_pair, NULL);
    case TOP_PARALLEL:
        j->has_parallel = 1;
        if ((rc = need_mapping(r, v, key, "wide_width, group_size")))
            return rc;
        return walk_mapping(r, v, SEC_PARALLEL, parallel_keys, 2,
                            "parallel key", parallel_pair, NULL);
    default: {  /* TOP_REFINE */
        int seen[5] = {0, 0, 0, 0, 0};
        j->has_refine = 1;
        j->refine_line = line_of(k);
        if ((rc = need_mapping(r, v, key, "axis, tol, max_points, method, "
                               "max_period")))
            return rc;
        if ((rc = walk_mapping(r, v, SEC_REFINE, refine_keys, 5,
                               "refine key", refine_pair, seen)))
            return rc;
        if (!seen[0]) {
            char list[256];
            refinable_list(" or ", list, sizeof list);
            return FAIL(r, line_of(k), "axis", "refine needs an axis (%s)",
                        list);
        }
        return 0;
    }
    }
}

/* ---- the document --------------------------------------------------- */

static int syntax_error(reader *r, yaml_parser_t *ps, const char *text,
                        size_t len)
{
    size_t line;
    int tab = 0;
    if (ps->error == YAML_READER_ERROR) {
        line = 1;
        for (size_t i = 0; i < ps->problem_offset && i < len; i++)
            line += text[i] == '\n';
    } else {
        line = ps->problem_mark.line + 1;
        size_t at = ps->problem_mark.index;
        tab = at < len && text[at] == '\t';
    }
    if (ps->error == YAML_MEMORY_ERROR)
        return 1;
    return FAIL(r, (int)line, "(yaml)", "YAML syntax error: %s%s%s%s%s",
                ps->problem ? ps->problem : "unknown problem",
                ps->context ? " (" : "", ps->context ? ps->context : "",
                ps->context ? ")" : "",
                tab ? "; tabs cannot indent YAML: use spaces" : "");
}

/* Far deeper than any job file (a family spectrum in a list is 5 levels):
 * libyaml's scanner is quadratic in the flow nesting depth (100k '[' in a
 * 200 KB file took minutes), so deeper files are refused by a first pass
 * over the events that stops at this depth, before the loader runs. */
#define JS_MAX_DEPTH 32

static int check_depth(reader *r, const char *text, size_t len)
{
    yaml_parser_t ps;
    yaml_event_t ev;
    int depth = 0, rc = 0;
    if (!yaml_parser_initialize(&ps))
        return 1;
    yaml_parser_set_input_string(&ps, (const unsigned char *)text, len);
    while (rc == 0 && yaml_parser_parse(&ps, &ev)) {   /* errors: the loader */
        yaml_event_type_t type = ev.type;
        size_t line = ev.start_mark.line + 1;
        yaml_event_delete(&ev);
        if (type == YAML_STREAM_END_EVENT)
            break;
        if (type == YAML_SEQUENCE_START_EVENT ||
            type == YAML_MAPPING_START_EVENT)
            depth++;
        else if (type == YAML_SEQUENCE_END_EVENT ||
                 type == YAML_MAPPING_END_EVENT)
            depth--;
        if (depth > JS_MAX_DEPTH)
            rc = FAIL(r, line, "(yaml)", "nested deeper than %d levels",
                      JS_MAX_DEPTH);
    }
    yaml_parser_delete(&ps);
    return rc;
}

int js_read_yaml(dln_jobspec *j, const char *text, size_t len, char *err,
                 size_t errlen)
{
    yaml_parser_t ps;
    yaml_document_t doc, extra;
    int have_doc = 0, have_extra = 0, rc;
    reader r;
    char buf[80];

    reader_init(&r, j, &doc, err, errlen);
    if ((rc = check_depth(&r, text, len)) != 0)
        return rc;
    if (!yaml_parser_initialize(&ps))
        return 1;
    yaml_parser_set_input_string(&ps, (const unsigned char *)text, len);
    if (!yaml_parser_load(&ps, &doc)) {
        rc = syntax_error(&r, &ps, text, len);
        goto done;
    }
    have_doc = 1;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root) {
        rc = FAIL(&r, 1, "(document)", "empty job file (expected a mapping "
                  "with name, seeds, grid, diagnostics, ...)");
        goto done;
    }
    if (root->type != YAML_MAPPING_NODE) {
        rc = FAIL(&r, line_of(root), "(document)", "a job file is a mapping "
                  "of keys (name, seeds, grid, ...), got %s",
                  describe(root, buf, sizeof buf));
        goto done;
    }
    if (!yaml_parser_load(&ps, &extra)) {
        rc = syntax_error(&r, &ps, text, len);
        goto done;
    }
    have_extra = 1;
    yaml_node_t *second = yaml_document_get_root_node(&extra);
    if (second) {
        rc = FAIL(&r, line_of(second), "(document)", "a job file holds one "
                  "YAML document (found a second after '---')");
        goto done;
    }
    rc = walk_mapping(&r, root, SEC_TOP, top_keys, 7, "top-level key",
                      top_pair, NULL);
    if (!rc && r.exclude)
        rc = grid_exclude(&r, r.exclude);
done:
    if (have_extra)
        yaml_document_delete(&extra);
    if (have_doc)
        yaml_document_delete(&doc);
    yaml_parser_delete(&ps);
    return rc;
}
