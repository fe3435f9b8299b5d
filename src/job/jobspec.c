/* jobspec.c — job spec lifecycle: load, cross-key checks (duplicates, size,
 * every cell through dln_params_validate), expansion of task i, and the
 * canonical text whose hash identifies the task set.  The YAML itself is
 * read by jobspec_yaml.c. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dlnsweep/file.h"
#include "dlnsweep/refine.h"
#include "dlnsweep/strbuf.h"
#include "dlnsweep/theory.h"
#include "jobspec_internal.h"

int js_fail(const dln_jobspec *j, char *err, size_t errlen, int line,
            const char *key, const char *fmt, ...)
{
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    if (errlen)
        snprintf(err, errlen, "%s:%d: key '%.60s': %s", j->path, line, key,
                 reason);
    return 2;
}

char *js_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    return c ? memcpy(c, s, n) : NULL;
}

/* splitmix64 finaliser over FNV-1a (as dln_params_cell_hash does). */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* ---- expansion ------------------------------------------------------ */

int js_naxes(void) { return dln_param_axis_count(); }
const dln_param_def *js_axis_def(int k) { return dln_param_axis(k); }

/* Value k of axis ax into p. */
static void apply_value(const dln_jobspec *j, int ax, long k, dln_params *p)
{
    const js_axis *a = &j->ax[ax];
    if (a->pv)
        dln_param_copy(p, &a->pv[k], js_axis_def(ax));
    else
        dln_param_set(p, js_axis_def(ax), a->v[k]);
}

/* 1 if axis ax is a dimension of the product of its own or leads its zip
 * group (the group's slowest axis), else 0. */
static int leads(const dln_jobspec *j, int ax)
{
    int g = j->zip_of[ax];
    if (g < 0)
        return 1;
    for (int b = 0; b < ax; b++)
        if (j->zip_of[b] == g)
            return 0;
    return 1;
}

/* Value k of every axis of ax's dimension (ax itself or its zip group). */
static void apply_dim(const dln_jobspec *j, int ax, long k, dln_params *p)
{
    if (j->zip_of[ax] < 0) {
        apply_value(j, ax, k, p);
        return;
    }
    for (int b = ax; b < js_naxes(); b++)
        if (j->zip_of[b] == j->zip_of[ax])
            apply_value(j, b, k, p);
}

/* Index on axis want (its dimension's index) of raw cell c. */
static long raw_index(const dln_jobspec *j, long c, int want)
{
    for (int ax = js_naxes() - 1; ax >= 0; ax--) {
        if (!leads(j, ax))
            continue;
        long n = j->ax[ax].n;
        if (ax == want || (j->zip_of[want] >= 0 &&
                           j->zip_of[want] == j->zip_of[ax]))
            return c % n;
        c /= n;
    }
    return 0;
}

/* The edge of stability of p's top mode, 2/(L s_1^(2-2/L)). */
static double edge_eta(const dln_params *p)
{
    return 2.0 / dln_theory_mode_sharpness(p->depth, p->spectrum[0]);
}

/* Parameters of raw cell c of the product: the last dimension varies
 * fastest; eta given as times_edge becomes c * the cell's edge. */
static void fill_raw(const dln_jobspec *j, long c, dln_params *p)
{
    *p = j->base;
    for (int ax = js_naxes() - 1; ax >= 0; ax--) {
        if (!leads(j, ax))
            continue;
        long n = j->ax[ax].n;
        apply_dim(j, ax, c % n, p);
        c /= n;
    }
    if (j->eta_edge)
        p->eta *= edge_eta(p);
}

/* Raw cell of kept cell c (all cells are kept without exclude:). */
static long raw_cell(const dln_jobspec *j, long c)
{
    if (!j->kept)
        return c;
    long lo = 0, hi = (j->nraw + 63) / 64 - 1;
    while (lo < hi) {          /* the last word with kept_before <= c */
        long mid = (lo + hi + 1) / 2;
        if (j->kept_before[mid] <= c)
            lo = mid;
        else
            hi = mid - 1;
    }
    uint64_t w = j->kept[lo];
    for (long r = c - j->kept_before[lo]; r > 0; r--)
        w &= w - 1;            /* drop the lowest set bits before ours */
    return lo * 64 + __builtin_ctzll(w);
}

/* Parameters of (kept) cell c. */
static void fill_cell(const dln_jobspec *j, long c, dln_params *p)
{
    fill_raw(j, raw_cell(j, c), p);
}

/* 1 if raw cell c matches an exclude: condition. */
static int excluded(const dln_jobspec *j, long c)
{
    for (int e = 0; e < j->nexcl; e++) {
        int all = 1;
        for (int ax = 0; ax < js_naxes() && all; ax++)
            if (j->excl[e].sel[ax])
                all = j->excl[e].sel[ax][raw_index(j, c, ax)];
        if (all)
            return 1;
    }
    return 0;
}

/* With exclude: conditions, the bitmap of the kept raw cells; ncells
 * becomes their number.  0 or 1 (memory). */
static int build_kept(dln_jobspec *j)
{
    if (j->nexcl == 0)
        return 0;
    long words = (j->nraw + 63) / 64, kept = 0;
    if (!(j->kept = calloc((size_t)words, sizeof *j->kept)) ||
        !(j->kept_before = malloc((size_t)words * sizeof *j->kept_before)))
        return 1;
    for (long w = 0; w < words; w++) {
        j->kept_before[w] = kept;
        for (long b = 0; b < 64 && w * 64 + b < j->nraw; b++)
            if (!excluded(j, w * 64 + b)) {
                j->kept[w] |= 1ULL << b;
                kept++;
            }
    }
    j->ncells = kept;
    j->ntasks = kept * j->seeds;
    return 0;
}

double dln_jobspec_times_edge(const dln_jobspec *j, const dln_task *t)
{
    if (!j->eta_edge || t->index < 0 || t->index >= j->ntasks)
        return NAN;
    long raw = raw_cell(j, t->index / j->seeds);
    int ax = DLN_PARAM_OF(eta)->axis;
    return j->ax[ax].v[raw_index(j, raw, ax)];
}


/* ---- checks --------------------------------------------------------- */

static void value_text(const dln_jobspec *j, int ax, long k, char *buf,
                       size_t len);

typedef struct keyed {
    const dln_params *pv;   /* list and file axes: the value's holder */
    const dln_param_def *d;
    double v;
    long idx;
} keyed;

static int cmp_keyed(const void *pa, const void *pb)
{
    const keyed *a = pa, *b = pb;
    if (a->pv) {
        int c = dln_param_compare(a->pv, b->pv, a->d);
        if (c)
            return c;
    } else if (a->v != b->v)
        return a->v < b->v ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static int axis_has(const js_axis *a, double v)
{
    for (long k = 0; k < a->n; k++)
        if (a->v[k] == v)
            return 1;
    return 0;
}

/* No axis may repeat a value: the cells would collide in the database. */
static int check_duplicates(const dln_jobspec *j, char *err, size_t errlen)
{
    for (int ax = 0; ax < js_naxes(); ax++) {
        const js_axis *a = &j->ax[ax];
        if (a->n < 2 || j->zip_of[ax] >= 0)
            continue;
        keyed *k = malloc((size_t)a->n * sizeof *k);
        if (!k)
            return 1;
        for (long i = 0; i < a->n; i++) {
            k[i].pv = a->pv ? &a->pv[i] : NULL;
            k[i].d = js_axis_def(ax);
            k[i].v = a->v ? a->v[i] : 0.0;
            k[i].idx = i;
        }
        qsort(k, (size_t)a->n, sizeof *k, cmp_keyed);
        for (long i = 1; i < a->n; i++) {
            keyed x = k[i - 1], y = k[i];
            y.idx = x.idx;
            if (cmp_keyed(&x, &y) == 0) {
                long later = k[i].idx > k[i - 1].idx ? k[i].idx
                                                        : k[i - 1].idx;
                long first = k[i].idx + k[i - 1].idx - later;
                char val[DLN_MAX_INIT_DIAG * 26];
                if (a->pv)
                    value_text(j, ax, later, val, sizeof val);
                else
                    dln_format_real(a->v[later], val, sizeof val);
                char where[64] = "";
                if (a->line[first] != a->line[later])
                    snprintf(where, sizeof where, ", lines %d and %d",
                             a->line[first], a->line[later]);
                int rc = js_fail(j, err, errlen, a->line[later],
                                 js_axis_def(ax)->name, "value %.200s appears "
                                 "twice (values %ld and %ld%s): cells must "
                                 "be distinct", val, first + 1, later + 1,
                                 where);
                free(k);
                return rc;
            }
        }
        free(k);
    }
    /* 0 means "= width" (d_in, d_out): 0 next to a width value is a
     * repeat. */
    const js_axis *width = &j->ax[DLN_PARAM_OF(width)->axis];
    for (int ax = 0; ax < js_naxes(); ax++) {
        const js_axis *a = &j->ax[ax];
        const char *name = js_axis_def(ax)->name;
        if (!(js_axis_def(ax)->flags & DLN_PARAM_ZERO_IS_WIDTH) || a->n < 2 ||
            !axis_has(a, 0.0) || j->zip_of[ax] >= 0 ||
            j->zip_of[DLN_PARAM_OF(width)->axis] >= 0)
            continue;
        for (long k = 0; k < a->n; k++)
            if (a->v[k] != 0.0 && axis_has(width, a->v[k]))
                return js_fail(j, err, errlen, a->line[k], name,
                               "value %.0f repeats %s: 0 (0 means = width) "
                               "in the cells with width %.0f", a->v[k],
                               name, a->v[k]);
    }
    return 0;
}

/* No zip group may repeat a tuple (its cells would collide). */
static int check_zip_duplicates(const dln_jobspec *j, char *err,
                                size_t errlen)
{
    char num[DLN_MAX_INIT_DIAG * 26];
    for (int ax = 0; ax < js_naxes(); ax++) {
        if (j->zip_of[ax] < 0 || !leads(j, ax))
            continue;
        long n = j->ax[ax].n;
        for (long p = 0; p < n; p++)
            for (long q = p + 1; q < n; q++) {
                int same = 1;
                for (int m = ax; m < js_naxes() && same; m++)
                    if (j->zip_of[m] == j->zip_of[ax])
                        same = j->ax[m].pv
                                   ? !dln_param_compare(&j->ax[m].pv[p],
                                                        &j->ax[m].pv[q],
                                                        js_axis_def(m))
                                   : j->ax[m].v[p] == j->ax[m].v[q];
                if (same) {
                    value_text(j, ax, q, num, sizeof num);
                    return js_fail(j, err, errlen, j->ax[ax].line[q],
                                   js_axis_def(ax)->name, "zip: tuples %ld "
                                   "and %ld are the same (%.200s, ...): cells "
                                   "must be distinct", p + 1, q + 1, num);
                }
            }
    }
    return 0;
}

static int check_size(dln_jobspec *j, char *err, size_t errlen)
{
    long cells = 1;
    if (j->has_refine && (j->nzip || j->nexcl || j->eta_edge))
        return js_fail(j, err, errlen, j->refine_line, "refine", "refine: "
                       "needs a plain grid (no zip, exclude or times_edge)");
    for (int ax = 0; ax < js_naxes(); ax++) {
        if (!leads(j, ax))
            continue;
        if (j->ax[ax].n > JS_MAX_TASKS / cells)
            return js_fail(j, err, errlen, j->grid_line ? j->grid_line : 1,
                           "grid", "expands to more than %ld cells",
                           JS_MAX_TASKS);
        cells *= j->ax[ax].n;
    }
    if (j->seeds > JS_MAX_TASKS / cells)
        return js_fail(j, err, errlen, j->seeds_line ? j->seeds_line : 1,
                       "seeds", "%ld cells x %d seeds is more than %ld tasks",
                       cells, j->seeds, JS_MAX_TASKS);
    j->ncells = j->nraw = cells;
    j->ntasks = cells * j->seeds;
    if (j->has_refine) {
        /* bisection works on a lattice through an evenly spaced grid */
        const js_axis *a = &j->ax[j->refine_axis];
        const char *name = js_axis_def(j->refine_axis)->name;
        if (a->n < 2)
            return js_fail(j, err, errlen, j->refine_line, "axis", "refine "
                           "needs grid axis '%s' to have at least 2 values "
                           "(it has 1)", name);
        double lo = a->v[0], hi = a->v[a->n - 1];
        for (long k = 0; k < a->n; k++)
            if (!(lo < hi) ||
                a->v[k] != dln_refine_coord(lo, hi, a->n - 1, k))
                return js_fail(j, err, errlen, j->refine_line, "axis",
                               "refine needs '%s' to be an ascending, evenly "
                               "spaced grid: write %s: {linspace: [lo, hi, "
                               "n]}", name, name);
        if (j->refine_method == DLN_REFINE_CONTINUATION &&
            strcmp(js_axis_def(j->refine_axis)->name, "eta") != 0)
            return js_fail(j, err, errlen, j->refine_method_line, "method",
                           "continuation follows orbits along eta: it needs "
                           "axis: eta");
    }
    return 0;
}

/* Line of parameter d in the file (its first value), 0 if not given. */
static int key_line(const dln_jobspec *j, const dln_param_def *d)
{
    if (d->section == DLN_PS_GRID)
        return j->ax[d->axis].key_line ? j->ax[d->axis].line[0] : 0;
    return j->diag_line[dln_param_index(d)];
}

/* dln_params_check p; on failure name the line of the value varied
 * (axis ax, value k) or, for the base cell (ax < 0), of the parameter at
 * fault, else of one the file sets that it clashes with. */
static int validate_at(const dln_jobspec *j, const dln_params *p, int ax,
                       long k, char *err, size_t errlen)
{
    dln_param_problem why;
    char msg[sizeof why.reason + 64];
    int line;
    if (!dln_params_check(p, &why))
        return 0;
    snprintf(msg, sizeof msg, "%s: %s", why.key->name, why.reason);
    if (ax >= 0) {
        const dln_param_def *d = js_axis_def(ax);
        return js_fail(j, err, errlen, j->ax[ax].line[k], d->name, "%s",
                       why.key == d ? why.reason : msg);
    }
    if ((line = key_line(j, why.key)))
        return js_fail(j, err, errlen, line, why.key->name, "%s", why.reason);
    /* The parameter keeps its default: blame one it clashes with. */
    for (int w = 0; w < 3 && why.with[w]; w++)
        if ((line = key_line(j, why.with[w])))
            return js_fail(j, err, errlen, line, why.with[w]->name,
                           "%s (%s is not set: default value)", msg,
                           why.key->name);
    return js_fail(j, err, errlen, j->grid_line ? j->grid_line : 1,
                   why.key->name, "%s (default value: set it in the job "
                   "file)", why.reason);
}

/* Every cell is valid iff the first cell is, each axis value is with the
 * others at their first value, and the largest target rank fits the
 * smallest min(d_in, d_out) of any cell (the only coupling across axes). */
static int check_cells(const dln_jobspec *j, char *err, size_t errlen)
{
    dln_params base, p;
    int rc;
    /* Zip groups, exclusions and eta in units of the edge couple the
     * axes: check every cell kept. */
    if (j->nzip || j->nexcl || j->eta_edge) {
        for (long c = 0; c < j->ncells; c++) {
            fill_cell(j, c, &p);
            if (j->eta_edge && !(p.spectrum[0] > 0.0))
                return js_fail(j, err, errlen, j->eta_edge_line, "eta",
                               "times_edge needs s_1 > 0 (a cell has "
                               "spectrum s_1 = 0)");
            if ((rc = validate_at(j, &p, -1, 0, err, errlen)))
                return rc;
        }
        return 0;
    }
    fill_cell(j, 0, &base);
    if ((rc = validate_at(j, &base, -1, 0, err, errlen)))
        return rc;
    for (int ax = 0; ax < js_naxes(); ax++)
        for (long k = 1; k < j->ax[ax].n; k++) {
            p = base;
            apply_value(j, ax, k, &p);
            if ((rc = validate_at(j, &p, ax, k, err, errlen)))
                return rc;
        }
    const int wax = DLN_PARAM_OF(width)->axis;
    const int dims[2] = {DLN_PARAM_OF(d_in)->axis, DLN_PARAM_OF(d_out)->axis};
    const js_axis *w = &j->ax[wax];
    const js_axis *sp = &j->ax[DLN_PARAM_OF(spectrum)->axis];
    double wmin = w->v[0], dmin = INFINITY;
    int dax = wax;
    for (long k = 1; k < w->n; k++)
        wmin = fmin(wmin, w->v[k]);
    for (int i = 0; i < 2; i++)
        for (long k = 0; k < j->ax[dims[i]].n; k++) {
            double v = j->ax[dims[i]].v[k], d = v > 0.0 ? v : wmin;
            if (d < dmin)
                dmin = d, dax = v > 0.0 ? dims[i] : wax;
        }
    for (long k = 0; k < sp->n; k++)
        if (sp->pv[k].rank > dmin)
            return js_fail(j, err, errlen, sp->key_line ? sp->line[k]
                           : j->ax[dax].key_line ? j->ax[dax].line[0]
                           : j->grid_line ? j->grid_line : 1,
                           DLN_PARAM_OF(spectrum)->name, "%d singular values "
                           "exceed min(d_in, d_out) = %.0f of the cells with "
                           "%s %.0f", sp->pv[k].rank, dmin,
                           js_axis_def(dax)->name, dmin);
    return 0;
}

/* ---- canonical text ------------------------------------------------- */

static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return a < b ? -1 : a > b;
}

static int cmp_str(const void *pa, const void *pb)
{
    return strcmp(*(char *const *)pa, *(char *const *)pb);
}

/* One "key=v1,v2,..." line: values sorted (a set), d_in/d_out equal to the
 * only width written as 0 (the same cells); none for a DLN_PARAM_SPEC_IF_SET
 * axis that is its default alone. */
static int canonical_axis(const dln_jobspec *j, int ax, dln_strbuf *b)
{
    const js_axis *a = &j->ax[ax];
    const dln_param_def *d = js_axis_def(ax);
    const js_axis *width = &j->ax[DLN_PARAM_OF(width)->axis];
    char num[DLN_MAX_INIT_DIAG * 26];
    if ((d->flags & DLN_PARAM_SPEC_IF_SET) && a->n == 1) {
        dln_params q = j->base;
        apply_value(j, ax, 0, &q);
        if (dln_param_is_default(&q, d))
            return 0;
    }
    dln_strbuf_append(b, d->name);
    dln_strbuf_append(b, "=");
    if (a->pv) {
        char **t = calloc((size_t)a->n, sizeof *t);
        if (!t)
            return 1;
        int rc = 0;
        for (long k = 0; k < a->n && !rc; k++) {
            value_text(j, ax, k, num, sizeof num);
            if (!(t[k] = js_strdup(num)))
                rc = 1;
        }
        if (!rc) {
            qsort(t, (size_t)a->n, sizeof *t, cmp_str);
            for (long k = 0; k < a->n; k++) {
                if (k)
                    dln_strbuf_append(b, ";");
                dln_strbuf_append(b, t[k]);
            }
        }
        for (long k = 0; k < a->n; k++)
            free(t[k]);
        free(t);
        dln_strbuf_append(b, "\n");
        return rc;
    }
    double *v = malloc((size_t)a->n * sizeof *v);
    if (!v)
        return 1;
    memcpy(v, a->v, (size_t)a->n * sizeof *v);
    if ((d->flags & DLN_PARAM_ZERO_IS_WIDTH) && width->n == 1)
        for (long k = 0; k < a->n; k++)
            if (v[k] == width->v[0])
                v[k] = 0.0;
    qsort(v, (size_t)a->n, sizeof *v, cmp_double);
    for (long k = 0; k < a->n; k++) {
        dln_param_format_value(d, v[k], DLN_TEXT_SHORT, num, sizeof num);
        if (k)
            dln_strbuf_append(b, ",");
        dln_strbuf_append(b, num);
    }
    free(v);
    dln_strbuf_append(b, "\n");
    return 0;
}

/* Text of value k of axis ax (canonical spelling) into buf. */
static void value_text(const dln_jobspec *j, int ax, long k, char *buf,
                       size_t len)
{
    if (j->ax[ax].pv)
        dln_param_format(&j->ax[ax].pv[k], js_axis_def(ax), DLN_TEXT_SHORT,
                         buf, len);
    else
        dln_param_format_value(js_axis_def(ax), j->ax[ax].v[k],
                               DLN_TEXT_SHORT, buf, len);
}

/* texts[0..n) sorted, repeats dropped, joined by sep onto b; frees them. */
static void add_sorted(dln_strbuf *b, char **texts, long n, const char *sep)
{
    qsort(texts, (size_t)n, sizeof *texts, cmp_str);
    for (long k = 0; k < n; k++) {
        if (!k || strcmp(texts[k], texts[k - 1])) {
            if (k)
                dln_strbuf_append(b, sep);
            dln_strbuf_append(b, texts[k]);
        }
    }
    for (long k = 0; k < n; k++)
        free(texts[k]);
}

/* "zip=a+b:va|vb;..." for the zip group led by axis ax: its tuples as a
 * sorted set. */
static int canonical_zip(const dln_jobspec *j, int ax, dln_strbuf *b)
{
    const js_axis *a = &j->ax[ax];
    char num[64 * 32 + 64];
    char **t = calloc((size_t)a->n, sizeof *t);
    int g = j->zip_of[ax], rc = 0;
    if (!t)
        return 1;
    dln_strbuf_append(b, "zip=");
    for (int m = ax, first = 1; m < js_naxes(); m++)
        if (j->zip_of[m] == g) {
            dln_strbuf_append(b, first ? "" : "+");
            dln_strbuf_append(b, js_axis_def(m)->name);
            first = 0;
        }
    dln_strbuf_append(b, ":");
    for (long k = 0; k < a->n && !rc; k++) {
        dln_strbuf tuple = DLN_STRBUF_INIT;
        for (int m = ax, first = 1; m < js_naxes(); m++)
            if (j->zip_of[m] == g) {
                value_text(j, m, k, num, sizeof num);
                dln_strbuf_append(&tuple, first ? "" : "|");
                dln_strbuf_append(&tuple, num);
                first = 0;
            }
        rc = tuple.oom;
        t[k] = tuple.p;
    }
    if (!rc)
        add_sorted(b, t, a->n, ";");
    else
        for (long k = 0; k < a->n; k++)
            free(t[k]);
    free(t);
    dln_strbuf_append(b, "\n");
    return rc;
}

/* One "exclude=ax:v|v&ax:v" line per distinct condition, sorted. */
static int canonical_excludes(const dln_jobspec *j, dln_strbuf *b)
{
    char num[64 * 32 + 64];
    char **lines = calloc((size_t)j->nexcl + 1, sizeof *lines);
    int rc = 0;
    if (!lines)
        return 1;
    for (int e = 0; e < j->nexcl && !rc; e++) {
        dln_strbuf line = DLN_STRBUF_INIT;
        dln_strbuf_append(&line, "exclude=");
        for (int ax = 0, first = 1; ax < js_naxes(); ax++) {
            const unsigned char *sel = j->excl[e].sel[ax];
            long n = 0;
            if (!sel)
                continue;
            char **v = calloc((size_t)j->ax[ax].n, sizeof *v);
            if (!v) {
                rc = 1;
                break;
            }
            for (long k = 0; k < j->ax[ax].n; k++)
                if (sel[k]) {
                    value_text(j, ax, k, num, sizeof num);
                    v[n++] = js_strdup(num);
                }
            dln_strbuf_append(&line, first ? "" : "&");
            dln_strbuf_append(&line, js_axis_def(ax)->name);
            dln_strbuf_append(&line, ":");
            add_sorted(&line, v, n, "|");
            free(v);
            first = 0;
        }
        rc = rc || line.oom;
        lines[e] = line.p;
    }
    if (!rc) {
        dln_strbuf all = DLN_STRBUF_INIT;
        add_sorted(&all, lines, j->nexcl, "\n");
        if (j->nexcl) {
            dln_strbuf_append(b, all.p);
            dln_strbuf_append(b, "\n");
        }
        rc = all.oom;
        free(all.p);
    } else
        for (int e = 0; e < j->nexcl; e++)
            free(lines[e]);
    free(lines);
    return rc;
}

/* Canonical text of diagnostics row d (DLN_PARAM_NEG_IS_AUTO) at auto:
 * the value it resolves to when that is the same for every value of the
 * steps axis (the one row it derives from), so a job whose cells are
 * those of an explicit value keeps that value's hash; else "-1". */
static void auto_text(const dln_jobspec *j, const dln_param_def *d,
                      char *buf, size_t len)
{
    const js_axis *a = &j->ax[DLN_PARAM_OF(steps)->axis];
    dln_params p = j->base;
    double first = 0.0;
    for (long k = 0; k < a->n; k++) {
        p.steps = (long)a->v[k];
        double v = dln_param_resolved(&p, d);
        if (k > 0 && v != first) {
            dln_param_format_value(d, -1.0, DLN_TEXT_SHORT, buf, len);
            return;
        }
        first = v;
    }
    dln_param_format_value(d, first, DLN_TEXT_SHORT, buf, len);
}

/* The canonical text: seeds, the eta unit when eta is times_edge, every
 * axis (a zip group as one set of tuples) in expansion order, the exclude:
 * conditions (sorted), then the diagnostics settings in table order (a
 * DLN_PARAM_SPEC_IF_SET one only when not default, so old job hashes
 * hold; an auto one as auto_text), then refine:.  A job without zip, exclude and times_edge has the
 * text it always had. */
static int build_canonical(dln_jobspec *j)
{
    dln_strbuf b = DLN_STRBUF_INIT;
    char line[256], x[32];
    const dln_params *p = &j->base;
    dln_strbuf_append(&b, "dlnsweep-job 1\n");
    snprintf(line, sizeof line, "seed=%llu\nseeds=%d\n",
             (unsigned long long)j->seed, j->seeds);
    dln_strbuf_append(&b, line);
    if (j->eta_edge)
        dln_strbuf_append(&b, "eta_unit=times_edge\n");
    for (int ax = 0; ax < js_naxes(); ax++)
        if (j->zip_of[ax] < 0 ? canonical_axis(j, ax, &b)
            : leads(j, ax) && canonical_zip(j, ax, &b)) {
            free(b.p);
            return 1;
        }
    if (canonical_excludes(j, &b)) {
        free(b.p);
        return 1;
    }
    for (int i = 0; i < dln_param_count(); i++) {
        const dln_param_def *d = dln_param_at(i);
        if (d->section != DLN_PS_DIAG ||
            ((d->flags & DLN_PARAM_SPEC_IF_SET) && dln_param_is_default(p, d)))
            continue;
        if ((d->flags & DLN_PARAM_NEG_IS_AUTO) && dln_param_get(p, d) < 0)
            auto_text(j, d, x, sizeof x);
        else
            dln_param_format(p, d, DLN_TEXT_SHORT, x, sizeof x);
        snprintf(line, sizeof line, "%s=%s\n", d->name, x);
        dln_strbuf_append(&b, line);
    }
    if (j->has_refine) {
        dln_format_real(j->refine_tol, x, sizeof x);
        if (j->refine_method == DLN_REFINE_CONTINUATION)  /* else as before */
            snprintf(line, sizeof line, "refine=%s,%s,%d,continuation,%d\n",
                     js_axis_def(j->refine_axis)->name, x,
                     j->refine_max_points, dln_jobspec_refine_max_period(j));
        else
            snprintf(line, sizeof line, "refine=%s,%s,%d\n",
                     js_axis_def(j->refine_axis)->name, x,
                     j->refine_max_points);
        dln_strbuf_append(&b, line);
    }
    if (b.oom) {
        free(b.p);
        return 1;
    }
    j->canonical = b.p;
    j->hash = mix64(dln_hash_bytes(0, b.p, b.n));
    return 0;
}

/* ---- lifecycle ------------------------------------------------------ */

/* Default name: the file's basename without .yaml/.yml, made name-safe. */
static char *default_name(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 5 && !strcmp(base + n - 5, ".yaml"))
        n -= 5;
    else if (n > 4 && !strcmp(base + n - 4, ".yml"))
        n -= 4;
    if (n > 64)
        n = 64;
    if (n == 0)
        return js_strdup("job");
    char *s = malloc(n + 1);
    if (!s)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        char c = base[i];
        s[i] = ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')
                   ? c : '-';
    }
    s[n] = '\0';
    return s;
}

/* Axes the file did not set get the default value (line 0). */
static int fill_defaults(dln_jobspec *j)
{
    const dln_params *d = &j->base;
    for (int ax = 0; ax < js_naxes(); ax++) {
        js_axis *a = &j->ax[ax];
        if (a->n)
            continue;
        a->line = calloc(1, sizeof *a->line);
        if (!a->line)
            return 1;
        if (!dln_param_is_scalar(js_axis_def(ax))) {
            if (!(a->pv = malloc(sizeof *a->pv)))
                return 1;
            a->pv[0] = *d;
        } else {
            if (!(a->v = malloc(sizeof *a->v)))
                return 1;
            a->v[0] = dln_param_get(d, js_axis_def(ax));
        }
        a->n = 1;
    }
    return 0;
}

int dln_jobspec_parse(const char *name, const char *text, size_t len,
                      dln_jobspec **out, char *err, size_t errlen)
{
    int rc = 1;
    dln_jobspec *j = calloc(1, sizeof *j);
    *out = NULL;
    if (errlen)
        err[0] = '\0';
    if (!j || !(j->path = js_strdup(name)))
        goto fail;
    dln_params_defaults(&j->base);
    for (int ax = 0; ax < DLN_PARAM_MAX; ax++)
        j->zip_of[ax] = -1;
    j->seeds = 1;
    j->refine_tol = 1e-6;
    j->refine_max_points = 200;
    if ((rc = js_read_yaml(j, text, len, err, errlen)))
        goto fail;
    if (j->has_parallel) {              /* 0: not set inside parallel: */
        if (!j->wide_width)
            j->wide_width = 512;
        if (!j->group_size)
            j->group_size = 4;
    } else
        j->group_size = 1;
    rc = 1;
    if (!j->name && !(j->name = default_name(name)))
        goto fail;
    if (fill_defaults(j))
        goto fail;
    if ((rc = check_duplicates(j, err, errlen)) ||
        (rc = check_zip_duplicates(j, err, errlen)) ||
        (rc = check_size(j, err, errlen)))
        goto fail;
    rc = 1;
    if (build_kept(j))
        goto fail;
    if (j->ntasks == 0) {
        rc = js_fail(j, err, errlen, j->excl[0].line, "exclude", "every "
                     "cell is excluded");
        goto fail;
    }
    if ((rc = check_cells(j, err, errlen)))
        goto fail;
    if ((rc = build_canonical(j)))
        goto fail;
    rc = 1;
    if (j->ncells <= JS_HASH_MEMO_CELLS &&
        (!(j->hash_memo = malloc((size_t)j->ncells * sizeof *j->hash_memo)) ||
         !(j->hash_state = malloc((size_t)j->ncells *
                                  sizeof *j->hash_state))))
        goto fail;
    for (long c = 0; j->hash_state && c < j->ncells; c++)
        atomic_init(&j->hash_state[c], JS_MEMO_EMPTY);
    rc = 0;
    *out = j;
    return 0;
fail:
    if (rc == 1 && errlen)
        snprintf(err, errlen, "%s: out of memory", name);
    dln_jobspec_destroy(&j);
    return rc;
}

int dln_jobspec_load(const char *path, dln_jobspec **out, char *err,
                     size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    int rc;
    *out = NULL;
    rc = dln_file_read(path, "job file", (size_t)JS_MAX_FILE, &text, &len,
                       err, errlen);
    if (rc == 0)
        rc = dln_jobspec_parse(path, text, len, out, err, errlen);
    free(text);
    return rc;
}

void dln_jobspec_destroy(dln_jobspec **pj)
{
    if (!pj || !*pj)
        return;
    dln_jobspec *j = *pj;
    for (int ax = 0; ax < js_naxes(); ax++) {
        free(j->ax[ax].v);
        free(j->ax[ax].pv);
        free(j->ax[ax].line);
    }
    for (int e = 0; e < j->nexcl; e++)
        for (int ax = 0; ax < js_naxes(); ax++)
            free(j->excl[e].sel[ax]);
    free(j->excl);
    free(j->kept);
    free(j->kept_before);
    free(j->hash_memo);
    free((void *)j->hash_state);
    free(j->canonical);
    free(j->name);
    free(j->path);
    free(j);
    *pj = NULL;
}

/* ---- accessors ------------------------------------------------------ */

const char *dln_jobspec_name(const dln_jobspec *j) { return j->name; }
const char *dln_jobspec_path(const dln_jobspec *j) { return j->path; }
const char *dln_jobspec_canonical(const dln_jobspec *j) { return j->canonical; }
uint64_t dln_jobspec_hash(const dln_jobspec *j) { return j->hash; }
long dln_jobspec_ntasks(const dln_jobspec *j) { return j->ntasks; }
long dln_jobspec_ncells(const dln_jobspec *j) { return j->ncells; }
int dln_jobspec_nseeds(const dln_jobspec *j) { return j->seeds; }
uint64_t dln_jobspec_global_seed(const dln_jobspec *j) { return j->seed; }
int dln_jobspec_axis_count(void) { return js_naxes(); }
int dln_jobspec_wide_width(const dln_jobspec *j) { return j->wide_width; }
int dln_jobspec_group_size(const dln_jobspec *j) { return j->group_size; }
int dln_jobspec_has_refine(const dln_jobspec *j) { return j->has_refine; }
double dln_jobspec_refine_tol(const dln_jobspec *j) { return j->refine_tol; }

const char *dln_jobspec_axis_name(int k)
{
    return k >= 0 && k < js_naxes() ? js_axis_def(k)->name : NULL;
}

long dln_jobspec_axis_len(const dln_jobspec *j, int k)
{
    return k >= 0 && k < js_naxes() ? j->ax[k].n : 0;
}

const char *dln_jobspec_refine_axis(const dln_jobspec *j)
{
    return j->has_refine ? js_axis_def(j->refine_axis)->name : NULL;
}

int dln_jobspec_refine_max_points(const dln_jobspec *j)
{
    return j->refine_max_points;
}

int dln_jobspec_refine_method(const dln_jobspec *j)
{
    return j->has_refine ? j->refine_method : DLN_REFINE_BISECTION;
}

int dln_jobspec_refine_max_period(const dln_jobspec *j)
{
    return j->refine_max_period > 0 ? j->refine_max_period
                                    : j->base.max_period;
}

long dln_jobspec_contin_code(const dln_jobspec *j, long first, long k,
                             int period)
{
    long g = j->has_refine ? j->ax[j->refine_axis].n : 0;
    const long np = DLN_REFINE_MAX_PERIOD;
    if (dln_jobspec_refine_method(j) != DLN_REFINE_CONTINUATION ||
        first < 0 || first >= j->ntasks || k < 0 || k >= g || period < 1 ||
        period > np || first > (LONG_MAX / np - g) / g)
        return 0;
    return -1 - ((first * g + k) * np + (period - 1));
}

int dln_jobspec_contin_decode(const dln_jobspec *j, long code, long *task,
                              long *k, int *period)
{
    long g = j->has_refine ? j->ax[j->refine_axis].n : 0, first, kk;
    if (dln_jobspec_refine_method(j) != DLN_REFINE_CONTINUATION || code >= 0)
        return 2;
    long v = -(code + 1), line = v / DLN_REFINE_MAX_PERIOD;
    first = line / g;
    kk = line % g;
    if (first >= j->ntasks)
        return 2;
    /* the grid task of that line at position kk */
    long stride = 1;
    for (int ax = j->refine_axis + 1; ax < js_naxes(); ax++)
        stride *= j->ax[ax].n;
    *task = first + kk * stride * j->seeds;
    *k = kk;
    *period = (int)(v % DLN_REFINE_MAX_PERIOD) + 1;
    return *task < j->ntasks ? 0 : 2;
}

int dln_jobspec_refine_grid(const dln_jobspec *j, double *lo, double *hi,
                            long *n)
{
    if (!j->has_refine)
        return 2;
    const js_axis *a = &j->ax[j->refine_axis];
    *lo = a->v[0];
    *hi = a->v[a->n - 1];
    *n = a->n;
    return 0;
}

int dln_jobspec_is_wide(const dln_jobspec *j, const dln_params *p)
{
    int d = p->width;
    if (dln_params_d_in(p) > d)
        d = dln_params_d_in(p);
    if (dln_params_d_out(p) > d)
        d = dln_params_d_out(p);
    return j->wide_width > 0 && d >= j->wide_width;
}

int dln_jobspec_cell(const dln_jobspec *j, long c, dln_params *out)
{
    if (c < 0 || c >= j->ncells)
        return 2;
    fill_cell(j, c, out);
    return 0;
}

/* Decode a refined-task code into out (see dln_jobspec_refine_code). */
static int refine_task(const dln_jobspec *j, long code, dln_task *out)
{
    long n = dln_jobspec_refine_lattice(j);
    if (n <= 0 || code >= 0)
        return 2;
    long v = -(code + 1), first = v / (n + 1), i = v % (n + 1);
    double lo = 0.0, hi = 0.0, x;
    long g;
    if (dln_jobspec_task(j, first, out) ||
        dln_jobspec_refine_grid(j, &lo, &hi, &g))
        return 2;
    x = dln_refine_coord(lo, hi, n, i);
    dln_param_set(&out->params, js_axis_def(j->refine_axis), x);
    dln_params_cell_hash(&out->params, out->cell_hash);
    out->params.seed = dln_params_derive_seed(out->cell_hash, out->seed_index,
                                              j->seed);
    out->index = code;
    out->cost = dln_params_cost(&out->params);
    return 0;
}

long dln_jobspec_refine_lattice(const dln_jobspec *j)
{
    double lo, hi;
    long g;
    if (dln_jobspec_refine_grid(j, &lo, &hi, &g))
        return 0;
    return dln_refine_lattice(lo, hi, (int)g, j->refine_tol);
}

int dln_jobspec_refine_line(const dln_jobspec *j, long t, long *first,
                            long *k)
{
    if (!j->has_refine || t < 0 || t >= j->ntasks)
        return 2;
    long stride = 1, c = t / j->seeds;
    for (int ax = j->refine_axis + 1; ax < js_naxes(); ax++)
        stride *= j->ax[ax].n;
    *k = (c / stride) % j->ax[j->refine_axis].n;
    *first = (c - *k * stride) * j->seeds + t % j->seeds;
    return 0;
}

long dln_jobspec_refine_code(const dln_jobspec *j, long first, long i)
{
    long n = dln_jobspec_refine_lattice(j);
    if (n <= 0 || first < 0 || first >= j->ntasks || i < 0 || i > n ||
        first > (LONG_MAX - 1 - i) / (n + 1))
        return 0;
    return -1 - (first * (n + 1) + i);
}

/* Cell c's hash (p: its parameters), from the memo where it is made. */
static void cell_hash(const dln_jobspec *j, long c, const dln_params *p,
                      char out[DLN_HASH_HEX])
{
    unsigned char empty = JS_MEMO_EMPTY;
    if (!j->hash_state) {
        dln_params_cell_hash(p, out);
        return;
    }
    if (atomic_load_explicit(&j->hash_state[c], memory_order_acquire) ==
        JS_MEMO_READY) {
        memcpy(out, j->hash_memo[c], DLN_HASH_HEX);
        return;
    }
    dln_params_cell_hash(p, out);
    if (atomic_compare_exchange_strong(&j->hash_state[c], &empty,
                                       JS_MEMO_WRITING)) {
        memcpy(j->hash_memo[c], out, DLN_HASH_HEX);
        atomic_store_explicit(&j->hash_state[c], JS_MEMO_READY,
                              memory_order_release);
    }
}

int dln_jobspec_task(const dln_jobspec *j, long i, dln_task *out)
{
    if (i < 0 && dln_jobspec_refine_method(j) == DLN_REFINE_CONTINUATION) {
        long t, k;
        int period;
        if (dln_jobspec_contin_decode(j, i, &t, &k, &period) ||
            dln_jobspec_task(j, t, out))
            return 2;
        out->index = i;
        return 0;
    }
    if (i < 0)
        return refine_task(j, i, out);
    if (i >= j->ntasks)
        return 2;
    memset(out, 0, sizeof *out);
    long c = i / j->seeds;
    fill_cell(j, c, &out->params);
    cell_hash(j, c, &out->params, out->cell_hash);
    out->seed_index = (int)(i % j->seeds);
    out->params.seed = dln_params_derive_seed(out->cell_hash, out->seed_index,
                                              j->seed);
    out->index = i;
    out->cost = dln_params_cost(&out->params);
    return 0;
}

double dln_jobspec_total_cost(const dln_jobspec *j)
{
    dln_params p;
    double sum = 0.0;
    for (long c = 0; c < j->ncells; c++) {
        fill_cell(j, c, &p);
        sum += dln_params_cost(&p);
    }
    return sum * j->seeds;
}
