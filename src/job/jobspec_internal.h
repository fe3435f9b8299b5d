/* jobspec_internal.h — the parsed job shared by jobspec_yaml.c (reading the
 * YAML) and jobspec.c (checking, expanding, canonical text).  Private. */
#ifndef DLNSWEEP_JOBSPEC_INTERNAL_H
#define DLNSWEEP_JOBSPEC_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include "dlnsweep/jobspec.h"

/* Axes from slowest to fastest varying in the expansion (eta fastest; the
 * seed index varies faster still).  Documented in README "Job files". */
enum {
    JS_AX_DEPTH, JS_AX_WIDTH, JS_AX_D_IN, JS_AX_D_OUT, JS_AX_SPECTRUM,
    JS_AX_ROTATE, JS_AX_INIT, JS_AX_ALPHA, JS_AX_STEPS, JS_AX_ETA,
    JS_AX_COUNT
};

/* Diagnostics keys (scalars copied into every cell). */
enum {
    JS_DG_RECORD_EVERY, JS_DG_SHARPNESS_EVERY, JS_DG_LANCZOS_ITERS,
    JS_DG_TOP_K, JS_DG_MAX_PERIOD, JS_DG_TAIL, JS_DG_PERIOD_TOL,
    JS_DG_DIVERGE_BOUND, JS_DG_LYAPUNOV_STEPS, JS_DG_FULL_SPECTRUM,
    JS_DG_TRANSIENT_WINDOW,
    JS_DG_COUNT
};

#define JS_MAX_TASKS 100000000L   /* cells x seeds refused above this       */
#define JS_MAX_AXIS 1000000L      /* values one generator may produce       */
#define JS_MAX_FILE (16L << 20)   /* bytes of YAML read                     */

typedef struct js_spectrum {
    int rank;
    double s[DLN_MAX_SPECTRUM];
} js_spectrum;

/* One grid axis: n >= 1 values in file order.  Numeric, boolean and init
 * values live in v (as doubles: every integer here is < 2^53); spectra in s. */
typedef struct js_axis {
    long n;
    double *v;           /* NULL for the spectrum axis                      */
    js_spectrum *s;      /* spectrum axis only                              */
    int *line;           /* 1-based line of each value                      */
    int key_line;        /* line of the grid key; 0 = not given (default)   */
} js_axis;

struct dln_jobspec {
    char *path;                  /* as given, used in messages              */
    char *name;
    int name_line;
    uint64_t seed;               /* global seed                             */
    int seeds;                   /* seed indices per cell                   */
    int seeds_line, grid_line;
    js_axis ax[JS_AX_COUNT];
    dln_params base;             /* defaults + diagnostics                  */
    int diag_line[JS_DG_COUNT];  /* 0 = not given                           */
    long ncells, ntasks;
    int has_parallel, wide_width, group_size;
    int has_refine, refine_axis, refine_max_points, refine_line;
    double refine_tol;
    char *canonical;
    uint64_t hash;
};

/* Name of an axis / diagnostics key ("eta", "record_every"). */
const char *js_axis_name(int axis);
const char *js_diag_name(int key);

/* Write "FILE:LINE: key 'K': reason" into err; returns 2. */
int js_fail(const dln_jobspec *j, char *err, size_t errlen, int line,
            const char *key, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Read the YAML text into j (axes, diagnostics, sections); j->path set and
 * every axis empty on entry.  0, 1 (allocation) or 2 (with err). */
int js_read_yaml(dln_jobspec *j, const char *text, size_t len, char *err,
                 size_t errlen);

/* Copy of s (malloc) or NULL: strdup is not C17. */
char *js_strdup(const char *s);

/* Shortest "%.*g" text of v that reads back as v, into buf (>= 32 bytes). */
void js_format_double(double v, char *buf, size_t len);

#endif
