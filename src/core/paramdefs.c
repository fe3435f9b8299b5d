/* paramdefs.c — the table of run parameters (paramdefs.h) and the
 * accessors that read, write, print, parse and range-check a parameter of
 * a dln_params through its row. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dlnsweep/number.h"
#include "dlnsweep/npy.h"
#include "dlnsweep/paramdefs.h"

#define FIELD(f) offsetof(dln_params, f), sizeof(((dln_params *)0)->f)
#define GRID(k) DLN_PS_GRID, k
#define DIAG DLN_PS_DIAG, -1
/* A list row's count field and capacity (after its doc); NOLIST for the
 * other rows. */
#define NOLIST 0, 0
#define COUNT(n, f) offsetof(dln_params, n), \
    (int)(sizeof(((dln_params *)0)->f) / sizeof(double))

/* The rows.  Read paramdefs.h's rules before touching this table: its
 * order is the order of the cell-hash text, and a new row goes at the end
 * with DLN_PARAM_NEW. */
static const dln_param_def defs[] = {
    {"eta", DLN_PT_REAL, FIELD(eta), 0, INFINITY, DLN_PARAM_LO_OPEN, 0.05,
     NULL, GRID(12), "eta", "GD step size", NOLIST},
    {"depth", DLN_PT_INT, FIELD(depth), 1, 1000, 0, 3, NULL, GRID(0), "L",
     "number of layers L", NOLIST},
    {"width", DLN_PT_INT, FIELD(width), 1, 1000000, 0, 3, NULL, GRID(1), "d",
     "hidden width d", NOLIST},
    {"d_in", DLN_PT_INT, FIELD(d_in), 0, 1000000, DLN_PARAM_ZERO_IS_WIDTH, 0,
     NULL, GRID(2), "din", "input dimension; 0 means = width", NOLIST},
    {"d_out", DLN_PT_INT, FIELD(d_out), 0, 1000000, DLN_PARAM_ZERO_IS_WIDTH,
     0, NULL, GRID(3), "dout", "output dimension; 0 means = width", NOLIST},
    {"spectrum", DLN_PT_LIST, FIELD(spectrum), 0, INFINITY,
     DLN_PARAM_NONEMPTY | DLN_PARAM_DESCENDING | DLN_PARAM_FAMILIES, 0,
     "10,9.5,9", GRID(4), "s", "singular values s of the target M*, at most "
     "min(d_in, d_out) of them", COUNT(rank, spectrum)},
    {"rotate", DLN_PT_BOOL, FIELD(rotate), 0, 1, 0, 0, NULL, GRID(5), "rot",
     "M* = U diag(s) V^T with random (seeded) U, V instead of diag(s)",
     NOLIST},
    {"init", DLN_PT_INIT, FIELD(init), 0, DLN_INIT_FILE, 0,
     DLN_INIT_IDENTITY, NULL, GRID(6), "init", "identity: W_L = 0, other "
     "layers alpha I; balanced: every layer alpha I; orthogonal, gaussian: "
     "seeded random; diagonal: the values of init_diag; file: the weights "
     "of init_file", NOLIST},
    {"alpha", DLN_PT_REAL, FIELD(alpha), 0, INFINITY, 0, 1.0, NULL, GRID(7),
     "alpha", "init scale", NOLIST},
    {"steps", DLN_PT_LONG, FIELD(steps), 1, 1e12, 0, 5000, NULL, GRID(11),
     "steps", "GD steps", NOLIST},
    {"record_every", DLN_PT_INT, FIELD(record_every), 0, 1e9, 0, 10, NULL,
     DIAG, "rec", "trajectory point every k steps; 0 = none", NOLIST},
    {"sharpness_every", DLN_PT_INT, FIELD(sharpness_every), 0, 1e9, 0, 0,
     NULL, DIAG, "sh", "Lanczos sharpness every k steps; 0 = at the end "
     "only", NOLIST},
    {"lanczos_iters", DLN_PT_INT, FIELD(lanczos_iters), 1, 10000, 0, 40, NULL,
     DIAG, "lz", "Krylov dimension of the Lanczos eigensolver", NOLIST},
    {"top_k", DLN_PT_INT, FIELD(top_k), 1, 16, 0, 4, NULL, DIAG, "k",
     "top Hessian eigenvalues kept (at most lanczos_iters); also the "
     "singular values of W_{L:1} kept per late-orbit step", NOLIST},
    {"max_period", DLN_PT_INT, FIELD(max_period), 1, 4096, 0, 64, NULL, DIAG,
     "maxp", "longest orbit period detected", NOLIST},
    {"tail", DLN_PT_INT, FIELD(tail), 0, 100000, 0, 128, NULL, DIAG, "tail",
     "late-orbit points stored (bifurcation diagrams)", NOLIST},
    {"period_tol", DLN_PT_REAL, FIELD(period_tol), 0, 1,
     DLN_PARAM_LO_OPEN | DLN_PARAM_HI_OPEN, 1e-7, NULL, DIAG, "ptol",
     "relative tolerance of the period test", NOLIST},
    {"diverge_bound", DLN_PT_REAL, FIELD(diverge_bound), 0, INFINITY,
     DLN_PARAM_LO_OPEN, 1e12, NULL, DIAG, "div",
     "a loss above this (or not finite) is divergence", NOLIST},
    {"lyapunov_steps", DLN_PT_INT, FIELD(lyapunov_steps), -1, 1e9,
     DLN_PARAM_NEG_IS_AUTO, -1, NULL, DIAG, "lyap", "end-of-run dynamics: "
     "GD steps that settle the orbit before its period is read, and the "
     "least measured steps of the Lyapunov exponents (after a warm-up of a "
     "quarter of it); -1 = auto (min(1000, max(64, steps/5)), hashed as that "
     "value), 0 = off", NOLIST},
    {"full_spectrum", DLN_PT_BOOL, FIELD(full_spectrum), 0, 1,
     DLN_PARAM_HASH_IF_SET, 0, NULL, DIAG, "fs",
     "dense Hessian spectrum at the end (small models only)", NOLIST},
    {"transient_window", DLN_PT_LONG, FIELD(transient_window), -1, 1e9,
     DLN_PARAM_NEW, -1, NULL, DIAG, "tw", "steps of the slow-transient fit "
     "near period doublings; -1 = auto (min(steps/4, 4096)), 0 = off, at "
     "most steps", NOLIST},
    {"lyapunov_k", DLN_PT_INT, FIELD(lyapunov_k), 1, 16, DLN_PARAM_NEW, 2,
     NULL, DIAG, "lk", "Lyapunov exponents computed (the top k, QR order)",
     NOLIST},
    {"lyapunov_tol", DLN_PT_REAL, FIELD(lyapunov_tol), 0, INFINITY,
     DLN_PARAM_NEW | DLN_PARAM_LO_OPEN, 1e-3, NULL, DIAG, "ltol",
     "the tangent run is extended until the top exponent's standard error "
     "is below this (or 2% of the exponent)", NOLIST},
    {"lyapunov_max_steps", DLN_PT_LONG, FIELD(lyapunov_max_steps), 0, 1e12,
     DLN_PARAM_NEW, 20000, NULL, DIAG, "lmax", "cap on the measured tangent "
     "steps (at least lyapunov_steps are measured)", NOLIST},
    {"transverse_max", DLN_PT_LONG, FIELD(transverse_max), 0, 1e12,
     DLN_PARAM_NEW, 4096, NULL, DIAG, "tmax", "most parameters for which "
     "the exponents and multipliers across the SVS set are computed (above, "
     "a run in the set has no full exponent); 0 = never", NOLIST},
    {"alpha_layers", DLN_PT_LIST, FIELD(alpha_layers), 0, INFINITY,
     DLN_PARAM_NEW, 0, "", GRID(8), "alphal", "per-layer factors of alpha "
     "(one per layer, layer 1 first): layer l starts at alpha times its "
     "factor; empty = 1 for every layer", COUNT(n_alpha_layers,
                                              alpha_layers)},
    {"init_diag", DLN_PT_LIST, FIELD(init_diag), -INFINITY, INFINITY,
     DLN_PARAM_NEW, 0, "", GRID(9), "diag", "init diagonal: the diagonal of "
     "every layer, layer 1 first, min(rows, cols) values each (scaled by "
     "alpha and alpha_layers)", COUNT(n_init_diag, init_diag)},
    {"init_file", DLN_PT_FILE, FIELD(init_file), 0, 0, DLN_PARAM_NEW, 0,
     NULL, GRID(10), "initf", "init file: a .npy float64 vector of every "
     "weight in the flat layout (layer 1 first, each column-major); "
     "identified by its content", NOLIST},
    {"orbit_hessian", DLN_PT_BOOL, FIELD(orbit_hessian), 0, 1,
     DLN_PARAM_NEW, 0, NULL, DIAG, "oh", "top_k Hessian eigenvalues at every "
     "late-orbit step and detailed trajectory point (Lanczos warm-started "
     "from the previous step)", NOLIST},
    {"record_from", DLN_PT_LONG, FIELD(record_from), 0, 1e12, DLN_PARAM_NEW,
     0, NULL, DIAG, "rfrom", "first step with a trajectory point (then every "
     "record_every steps; the last step always)", NOLIST},
    {"record_detail", DLN_PT_BOOL, FIELD(record_detail), 0, 1,
     DLN_PARAM_NEW, 0, NULL, DIAG, "rdet", "trajectory points also carry "
     "the late orbit's per-step values: target modes, singular values, "
     "layers, every balancing gap, Hessian (orbit_hessian)", NOLIST},
    {"lanczos_basis", DLN_PT_INT, FIELD(lanczos_basis), 0, 10000,
     DLN_PARAM_NEW, 0, NULL, DIAG, "lzb", "most parameter-sized vectors in "
     "the sharpness's Lanczos basis (a memory cap): below "
     "min(lanczos_iters, parameters), Lanczos restarts thickly on the same "
     "lanczos_iters HVPs; at least top_k + 2; 0 = no cap", NOLIST},
};

#define NDEFS ((int)(sizeof defs / sizeof defs[0]))
_Static_assert(NDEFS <= DLN_PARAM_MAX, "raise DLN_PARAM_MAX");

int dln_param_count(void) { return NDEFS; }

const dln_param_def *dln_param_at(int i)
{
    return i >= 0 && i < NDEFS ? &defs[i] : NULL;
}

int dln_param_index(const dln_param_def *d) { return (int)(d - defs); }

const dln_param_def *dln_param_find(const char *name)
{
    for (int i = 0; i < NDEFS; i++)
        if (!strcmp(defs[i].name, name))
            return &defs[i];
    return NULL;
}

const dln_param_def *dln_param_of_field(size_t offset)
{
    for (int i = 0; i < NDEFS; i++)
        if (defs[i].offset == offset)
            return &defs[i];
    return NULL;
}

int dln_param_axis_count(void)
{
    int n = 0;
    for (int i = 0; i < NDEFS; i++)
        n += defs[i].section == DLN_PS_GRID;
    return n;
}

const dln_param_def *dln_param_axis(int k)
{
    for (int i = 0; i < NDEFS; i++)
        if (defs[i].section == DLN_PS_GRID && defs[i].axis == k)
            return &defs[i];
    return NULL;
}

/* ---- values ----------------------------------------------------------- */

#define AT(p, d, T) ((T *)((char *)(p) + (d)->offset))
#define CAT(p, d, T) ((const T *)((const char *)(p) + (d)->offset))
#define COUNT_AT(p, d) ((int *)((char *)(p) + (d)->count_offset))
#define CCOUNT_AT(p, d) ((const int *)((const char *)(p) + (d)->count_offset))

int dln_param_is_scalar(const dln_param_def *d)
{
    return d->type != DLN_PT_LIST && d->type != DLN_PT_FILE;
}

double dln_param_get(const dln_params *p, const dln_param_def *d)
{
    switch (d->type) {
    case DLN_PT_REAL: return *CAT(p, d, double);
    case DLN_PT_INT:
    case DLN_PT_BOOL: return (double)*CAT(p, d, int);
    case DLN_PT_LONG: return (double)*CAT(p, d, long);
    case DLN_PT_INIT: return (double)*CAT(p, d, dln_init_kind);
    default: return NAN;
    }
}

double dln_param_resolved(const dln_params *p, const dln_param_def *d)
{
    double v = dln_param_get(p, d);
    if ((d->flags & DLN_PARAM_ZERO_IS_WIDTH) && v == 0.0)
        return (double)p->width;
    if ((d->flags & DLN_PARAM_NEG_IS_AUTO) && v < 0.0)
        return (double)dln_params_lyapunov_steps(p);
    return v;
}

void dln_param_set(dln_params *p, const dln_param_def *d, double v)
{
    switch (d->type) {
    case DLN_PT_REAL: *AT(p, d, double) = v; break;
    case DLN_PT_INT:
    case DLN_PT_BOOL: *AT(p, d, int) = (int)v; break;
    case DLN_PT_LONG: *AT(p, d, long) = (long)v; break;
    case DLN_PT_INIT: *AT(p, d, dln_init_kind) = (dln_init_kind)(int)v; break;
    default: break;
    }
}

int dln_param_list_len(const dln_params *p, const dln_param_def *d)
{
    return d->type == DLN_PT_LIST ? *CCOUNT_AT(p, d) : 0;
}

const double *dln_param_list(const dln_params *p, const dln_param_def *d)
{
    return CAT(p, d, double);
}

void dln_param_set_list(dln_params *p, const dln_param_def *d,
                        const double *v, int n)
{
    double *x = AT(p, d, double);
    if (n > d->max_n)
        n = d->max_n;
    memset(x, 0, d->size);
    if (n > 0)
        memcpy(x, v, sizeof(double) * (size_t)n);
    *COUNT_AT(p, d) = n;
}

void dln_param_copy(dln_params *p, const dln_params *src,
                    const dln_param_def *d)
{
    memcpy((char *)p + d->offset, (const char *)src + d->offset, d->size);
    if (d->type == DLN_PT_LIST)
        *COUNT_AT(p, d) = *CCOUNT_AT(src, d);
}

int dln_param_compare(const dln_params *p, const dln_params *q,
                      const dln_param_def *d)
{
    if (d->type == DLN_PT_LIST) {
        int n = dln_param_list_len(p, d), m = dln_param_list_len(q, d);
        const double *x = dln_param_list(p, d), *y = dln_param_list(q, d);
        if (n != m)
            return n < m ? -1 : 1;
        for (int i = 0; i < n; i++)
            if (x[i] != y[i])
                return x[i] < y[i] ? -1 : 1;
        return 0;
    }
    if (d->type == DLN_PT_FILE) {
        const dln_file_ref *a = CAT(p, d, dln_file_ref);
        const dln_file_ref *b = CAT(q, d, dln_file_ref);
        if (!a->path[0] || !b->path[0])
            return (a->path[0] != 0) - (b->path[0] != 0);
        if (a->hash != b->hash)
            return a->hash < b->hash ? -1 : 1;
        return (a->n > b->n) - (a->n < b->n);
    }
    double x = dln_param_get(p, d), y = dln_param_get(q, d);
    return (x > y) - (x < y);
}

/* Parse a comma list "10,9.5,9" (spaces allowed; "" is no value) of at
 * most max values into v, *n. 0, or 2 with "name: reason" in err. */
static int parse_list(const char *name, const char *text, double *v, int max,
                      int *n, char *err, size_t errlen)
{
    const char *s = text;
    *n = 0;
    if (!strcmp(text, "none"))   /* as the tables print an empty list */
        return 0;
    int comma = 0;
    while (isspace((unsigned char)*s))
        s++;
    while (*s) {
        char item[64];
        size_t k = 0;
        double x;
        while (*s && *s != ',' && !isspace((unsigned char)*s))
            if (k + 1 < sizeof item)
                item[k++] = *s++;
            else
                s++;
        item[k] = '\0';
        /* Each item a decimal literal as in job files (number.h). */
        if (dln_parse_real(item, &x) || !isfinite(x)) {
            snprintf(err, errlen, "%s: '%s' is not a comma-separated list "
                     "of numbers", name, text);
            return 2;
        }
        if (*n == max) {
            snprintf(err, errlen, "%s: more than %d values", name, max);
            return 2;
        }
        v[(*n)++] = x;
        while (isspace((unsigned char)*s))
            s++;
        if ((comma = *s == ','))
            s++;
        else if (*s) {
            snprintf(err, errlen, "%s: unexpected '%c' in '%s'", name, *s,
                     text);
            return 2;
        }
        while (isspace((unsigned char)*s))
            s++;
    }
    if (comma) {
        snprintf(err, errlen, "%s: '%s' ends with a comma", name, text);
        return 2;
    }
    return 0;
}

int dln_param_is_default(const dln_params *p, const dln_param_def *d)
{
    if (d->type == DLN_PT_FILE)
        return CAT(p, d, dln_file_ref)->path[0] == '\0';
    if (d->type != DLN_PT_LIST)
        return dln_param_get(p, d) == d->def;
    double v[DLN_MAX_INIT_DIAG];
    char err[128];
    int n;
    if (parse_list(d->name, d->def_list, v, DLN_MAX_INIT_DIAG, &n, err,
                   sizeof err))
        return 0;
    if (n != dln_param_list_len(p, d))
        return 0;
    const double *x = dln_param_list(p, d);
    for (int i = 0; i < n; i++)
        if (v[i] != x[i])
            return 0;
    return 1;
}

/* ---- text ------------------------------------------------------------- */

void dln_format_real(double v, char *buf, size_t len)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

void dln_param_format_list(const double *v, int n, int exact, char *buf,
                           size_t len)
{
    size_t used = 0;
    if (len == 0)
        return;
    buf[0] = '\0';
    for (int i = 0; i < n && used < len; i++) {
        char num[32];
        if (exact)
            snprintf(num, sizeof num, "%.17g", v[i]);
        else
            dln_format_real(v[i], num, sizeof num);
        int k = snprintf(buf + used, len - used, "%s%s", i ? "," : "", num);
        if (k < 0)
            break;
        used += (size_t)k;
    }
}

void dln_param_format_value(const dln_param_def *d, double v,
                            dln_text_style style, char *buf, size_t len)
{
    switch (d->type) {
    case DLN_PT_REAL:
        if (style == DLN_TEXT_EXACT)
            snprintf(buf, len, "%.17g", v);
        else if (style == DLN_TEXT_HUMAN &&
                 snprintf(buf, len, "%g", v) > 0 && strtod(buf, NULL) == v)
            break;   /* "1e+12" rather than "1000000000000" */
        else
            dln_format_real(v, buf, len);
        break;
    case DLN_PT_BOOL:
        if (style == DLN_TEXT_HUMAN)
            snprintf(buf, len, "%s", v != 0.0 ? "true" : "false");
        else
            snprintf(buf, len, "%d", v != 0.0);
        break;
    case DLN_PT_INIT:
        snprintf(buf, len, "%s", dln_init_name((dln_init_kind)(int)v));
        break;
    default:   /* integers (lists and files have no scalar value) */
        snprintf(buf, len, "%ld", (long)v);
        break;
    }
}

void dln_param_format(const dln_params *p, const dln_param_def *d,
                      dln_text_style style, char *buf, size_t len)
{
    if (d->type == DLN_PT_LIST) {
        if (style == DLN_TEXT_HUMAN && dln_param_list_len(p, d) == 0)
            snprintf(buf, len, "none");
        else
            dln_param_format_list(dln_param_list(p, d),
                                  dln_param_list_len(p, d),
                                  style == DLN_TEXT_EXACT, buf, len);
    } else if (d->type == DLN_PT_FILE) {
        const dln_file_ref *f = CAT(p, d, dln_file_ref);
        if (style == DLN_TEXT_HUMAN)
            snprintf(buf, len, "%s", f->path[0] ? f->path : "none");
        else if (f->path[0])
            snprintf(buf, len, "%016llx", (unsigned long long)f->hash);
        else
            snprintf(buf, len, "%s", "");
    } else
        dln_param_format_value(d, style == DLN_TEXT_EXACT
                                      ? dln_param_resolved(p, d)
                                      : dln_param_get(p, d),
                               style, buf, len);
}

void dln_param_range_text(const dln_param_def *d, char *buf, size_t len)
{
    char lo[32], hi[32];
    dln_format_real(d->lo, lo, sizeof lo);
    dln_format_real(d->hi, hi, sizeof hi);
    switch (d->type) {
    case DLN_PT_REAL:
        if (isinf(d->hi))
            snprintf(buf, len, "%s %s", d->flags & DLN_PARAM_LO_OPEN ? ">"
                                                                     : ">=",
                     lo);
        else
            snprintf(buf, len, "in %c%s, %s%c",
                     d->flags & DLN_PARAM_LO_OPEN ? '(' : '[', lo, hi,
                     d->flags & DLN_PARAM_HI_OPEN ? ')' : ']');
        break;
    case DLN_PT_INT:
    case DLN_PT_LONG:
        snprintf(buf, len, "an integer in %.0f..%.0f", d->lo, d->hi);
        break;
    case DLN_PT_BOOL:
        snprintf(buf, len, "true or false");
        break;
    case DLN_PT_INIT: {
        size_t used = 0;
        buf[0] = '\0';
        for (int k = (int)d->lo; k <= (int)d->hi && used < len; k++)
            used += (size_t)snprintf(buf + used, len - used, "%s%s",
                                     k == (int)d->lo ? ""
                                     : k == (int)d->hi ? " or " : ", ",
                                     dln_init_name((dln_init_kind)k));
        break;
    }
    case DLN_PT_FILE:
        snprintf(buf, len, "a .npy file");
        break;
    default: {
        char each[48] = "";
        if (isfinite(d->lo))
            snprintf(each, sizeof each, " %s %s",
                     d->flags & DLN_PARAM_LO_OPEN ? ">" : ">=", lo);
        snprintf(buf, len, "a %slist of %d..%d values%s",
                 d->flags & DLN_PARAM_DESCENDING ? "descending " : "",
                 d->flags & DLN_PARAM_NONEMPTY ? 1 : 0, d->max_n, each);
        break;
    }
    }
}

int dln_param_in_range(const dln_param_def *d, double v)
{
    if (!isfinite(v))
        return 0;
    if (v < d->lo || v > d->hi)
        return 0;
    if (d->type == DLN_PT_REAL || d->type == DLN_PT_LIST) {
        if ((d->flags & DLN_PARAM_LO_OPEN) && v == d->lo)
            return 0;
        if ((d->flags & DLN_PARAM_HI_OPEN) && v == d->hi)
            return 0;
    }
    return 1;
}

#define BAD(...) do { snprintf(err, errlen, __VA_ARGS__); return 2; } while (0)

/* A list's own rules: its count, each value in range, the order. */
static int check_list(const dln_params *p, const dln_param_def *d,
                      char *err, size_t errlen)
{
    int n = dln_param_list_len(p, d);
    const double *v = dln_param_list(p, d);
    int lo = d->flags & DLN_PARAM_NONEMPTY ? 1 : 0;
    char range[128];
    if (n < lo || n > d->max_n)
        BAD("%s: needs %d..%d values (got %d)", d->name, lo, d->max_n, n);
    for (int i = 0; i < n; i++) {
        if (!dln_param_in_range(d, v[i])) {
            dln_format_real(d->lo, range, sizeof range);
            BAD("%s: value %d must be finite%s%s", d->name, i + 1,
                isfinite(d->lo) ? d->flags & DLN_PARAM_LO_OPEN ? " and > "
                                                               : " and >= "
                                : "", isfinite(d->lo) ? range : "");
        }
        if ((d->flags & DLN_PARAM_DESCENDING) && i && v[i] > v[i - 1])
            BAD("%s: values must be in descending order", d->name);
    }
    return 0;
}

int dln_param_check(const dln_params *p, const dln_param_def *d, char *err,
                    size_t errlen)
{
    char range[128], got[32];
    if (d->type == DLN_PT_LIST)
        return check_list(p, d, err, errlen);
    if (d->type == DLN_PT_FILE) {
        const dln_file_ref *f = CAT(p, d, dln_file_ref);
        if (memchr(f->path, '\0', sizeof f->path) == NULL)
            BAD("%s: path not terminated", d->name);
        return 0;
    }
    double v = dln_param_get(p, d);
    if (dln_param_in_range(d, v))
        return 0;
    dln_param_range_text(d, range, sizeof range);
    if (d->type == DLN_PT_INIT)
        BAD("%s: unknown %s kind %d (expected %s)", d->name, d->name, (int)v,
            range);
    if (d->type == DLN_PT_REAL)
        snprintf(got, sizeof got, "%g", v);
    else
        snprintf(got, sizeof got, "%ld", (long)v);
    BAD("%s: must be %s (got %s)", d->name, range, got);
}

/* Read the .npy file at path into row d of q: its path, content hash and
 * size. 0, 1 or 2 with "name: reason" in err. */
static int parse_file(dln_params *q, const dln_param_def *d, const char *path,
                      char *err, size_t errlen)
{
    dln_file_ref *f = AT(q, d, dln_file_ref);
    char why[512];
    double *v = NULL;
    long n = 0;
    if (strlen(path) >= sizeof f->path)
        BAD("%s: path longer than %zu characters", d->name,
            sizeof f->path - 1);
    memset(f, 0, sizeof *f);
    if (!path[0] || !strcmp(path, "none"))   /* none ("./none" is a file) */
        return 0;
    int rc = dln_npy_read(path, &v, &n, why, sizeof why);
    if (rc) {
        snprintf(err, errlen, "%s: %s", d->name, why);
        return rc;
    }
    memcpy(f->path, path, strlen(path) + 1);
    f->hash = dln_npy_hash(v, n);
    f->n = n;
    free(v);
    return 0;
}

int dln_param_parse(dln_params *p, const dln_param_def *d, const char *text,
                    char *err, size_t errlen)
{
    char range[128];
    char *end;
    double v = 0.0, list[DLN_MAX_INIT_DIAG];
    int n, rc;
    dln_params q = *p;
    dln_param_range_text(d, range, sizeof range);
    errno = 0;
    switch (d->type) {
    case DLN_PT_LIST:
        if ((rc = parse_list(d->name, text, list, d->max_n, &n, err,
                             errlen)))
            return rc;
        dln_param_set_list(&q, d, list, n);
        break;
    case DLN_PT_FILE:
        if ((rc = parse_file(&q, d, text, err, errlen)))
            return rc;
        break;
    case DLN_PT_INIT: {
        dln_init_kind k;
        if (dln_init_parse(text, &k))
            BAD("%s: unknown kind '%s' (%s)", d->name, text, range);
        v = (double)k;
        break;
    }
    case DLN_PT_BOOL:
        if (!strcmp(text, "true") || !strcmp(text, "1"))
            v = 1.0;
        else if (!strcmp(text, "false") || !strcmp(text, "0"))
            v = 0.0;
        else
            BAD("%s: '%s' is not true or false", d->name, text);
        break;
    case DLN_PT_REAL:   /* job files' grammar (number.h) */
        if (dln_parse_real(text, &v) || !isfinite(v))
            BAD("%s: '%s' is not a finite number", d->name, text);
        break;
    default: {   /* integers */
        long x = strtol(text, &end, 10);
        if (end == text || *end != '\0')
            BAD("%s: '%s' is not an integer", d->name, text);
        if (errno == ERANGE || x < d->lo || x > d->hi)
            BAD("%s: must be %s (got %s)", d->name, range, text);
        v = (double)x;
        break;
    }
    }
    if (dln_param_is_scalar(d))
        dln_param_set(&q, d, v);
    if (dln_param_check(&q, d, err, errlen))
        return 2;
    *p = q;
    return 0;
}

int dln_param_parse_list(const dln_param_def *d, const char *text,
                         double *v, int *n, char *err, size_t errlen)
{
    return parse_list(d->name, text, v, d->max_n, n, err, errlen);
}

/* ---- validation -------------------------------------------------------- */

static void problem(dln_param_problem *out, const dln_param_def *key,
                    const dln_param_def *w0, const dln_param_def *w1,
                    const dln_param_def *w2)
{
    out->key = key;
    out->with[0] = w0;
    out->with[1] = w1;
    out->with[2] = w2;
}

/* The explicit initialisations: alpha_layers one per layer, init_diag
 * with init diagonal and of the layers' size, init_file with init file,
 * holding every weight, and alpha left alone. */
static int check_inits(const dln_params *p, dln_param_problem *out)
{
    const dln_param_def *kind = DLN_PARAM_OF(init);
    if (p->n_alpha_layers != 0 && p->n_alpha_layers != p->depth) {
        problem(out, DLN_PARAM_OF(alpha_layers), DLN_PARAM_OF(depth), NULL,
                NULL);
        snprintf(out->reason, sizeof out->reason, "needs one factor per "
                 "layer: %d values for depth %d (got %d)", p->depth,
                 p->depth, p->n_alpha_layers);
        return 2;
    }
    if ((p->init == DLN_INIT_DIAGONAL) != (p->n_init_diag > 0)) {
        problem(out, DLN_PARAM_OF(init_diag), kind, NULL, NULL);
        snprintf(out->reason, sizeof out->reason, "%s", p->n_init_diag
                 ? "is used by init: diagonal only" : "init diagonal needs "
                 "the diagonal values of its layers");
        return 2;
    }
    if (p->init == DLN_INIT_DIAGONAL &&
        p->n_init_diag != dln_params_diag_count(p)) {
        problem(out, DLN_PARAM_OF(init_diag), DLN_PARAM_OF(depth),
                DLN_PARAM_OF(width), DLN_PARAM_OF(d_in));
        snprintf(out->reason, sizeof out->reason, "needs min(rows, cols) "
                 "values per layer, %ld in all for depth %d, width %d, d_in "
                 "%d, d_out %d (got %d)", dln_params_diag_count(p), p->depth,
                 p->width, dln_params_d_in(p), dln_params_d_out(p),
                 p->n_init_diag);
        return 2;
    }
    if ((p->init == DLN_INIT_FILE) != (p->init_file.path[0] != '\0')) {
        problem(out, DLN_PARAM_OF(init_file), kind, NULL, NULL);
        snprintf(out->reason, sizeof out->reason, "%s", p->init_file.path[0]
                 ? "is used by init: file only" : "init file needs an "
                 "init_file");
        return 2;
    }
    if (p->init == DLN_INIT_FILE && p->init_file.n != dln_params_nweights(p)) {
        problem(out, DLN_PARAM_OF(init_file), DLN_PARAM_OF(depth),
                DLN_PARAM_OF(width), DLN_PARAM_OF(d_in));
        snprintf(out->reason, sizeof out->reason, "%.120s holds %ld values; "
                 "the network (depth %d, width %d, d_in %d, d_out %d) has "
                 "%ld weights", p->init_file.path, p->init_file.n, p->depth,
                 p->width, dln_params_d_in(p), dln_params_d_out(p),
                 dln_params_nweights(p));
        return 2;
    }
    if (p->init == DLN_INIT_FILE &&
        (p->alpha != 1.0 || p->n_alpha_layers != 0)) {
        problem(out, DLN_PARAM_OF(alpha), kind, DLN_PARAM_OF(alpha_layers),
                NULL);
        snprintf(out->reason, sizeof out->reason, "init file takes the "
                 "weights as stored: leave alpha at 1 and alpha_layers "
                 "empty");
        return 2;
    }
    return 0;
}

int dln_params_check(const dln_params *p, dln_param_problem *out)
{
    char msg[sizeof out->reason];
    memset(out, 0, sizeof *out);
    for (int i = 0; i < NDEFS; i++)
        if (dln_param_check(p, &defs[i], msg, sizeof msg)) {
            const char *colon = strchr(msg, ':');
            const char *why = colon ? colon + 2 : msg;   /* after "name: " */
            problem(out, &defs[i], NULL, NULL, NULL);
            memcpy(out->reason, why, strlen(why) + 1);
            return 2;
        }
    /* The checks across fields (each names the rows involved). */
    int dmin = dln_params_d_in(p) < dln_params_d_out(p) ? dln_params_d_in(p)
                                                        : dln_params_d_out(p);
    if (p->rank > dmin) {
        problem(out, DLN_PARAM_OF(spectrum), DLN_PARAM_OF(width),
                DLN_PARAM_OF(d_in), DLN_PARAM_OF(d_out));
        snprintf(out->reason, sizeof out->reason, "%d singular values exceed "
                 "min(d_in, d_out) = %d", p->rank, dmin);
        return 2;
    }
    if (p->lanczos_basis > 0 && p->lanczos_basis < p->top_k + 2) {
        problem(out, DLN_PARAM_OF(lanczos_basis), DLN_PARAM_OF(top_k), NULL,
                NULL);
        snprintf(out->reason, sizeof out->reason, "must be 0 or at least "
                 "top_k + 2 = %d (got %d)", p->top_k + 2, p->lanczos_basis);
        return 2;
    }
    if (p->top_k > p->lanczos_iters) {
        problem(out, DLN_PARAM_OF(top_k), DLN_PARAM_OF(lanczos_iters), NULL,
                NULL);
        snprintf(out->reason, sizeof out->reason, "must be in 1..min(%.0f, "
                 "lanczos_iters) (got %d)", DLN_PARAM_OF(top_k)->hi,
                 p->top_k);
        return 2;
    }
    if (p->transient_window > p->steps) {
        problem(out, DLN_PARAM_OF(transient_window), DLN_PARAM_OF(steps),
                NULL, NULL);
        snprintf(out->reason, sizeof out->reason, "must be -1 (auto), 0 "
                 "(off) or 1..steps (got %ld)", p->transient_window);
        return 2;
    }
    return check_inits(p, out);
}
