/* jobspec_internal.h — the parsed job shared by jobspec_yaml.c (reading the
 * YAML) and jobspec.c (checking, expanding, canonical text).  Private. */
#ifndef DLNSWEEP_JOBSPEC_INTERNAL_H
#define DLNSWEEP_JOBSPEC_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>
#include "dlnsweep/jobspec.h"
#include "dlnsweep/paramdefs.h"

#define JS_MAX_TASKS 100000000L   /* cells x seeds refused above this       */
#define JS_MAX_AXIS 1000000L      /* values one generator may produce       */
#define JS_MAX_FILE (16L << 20)   /* bytes of YAML read                     */

/* One grid axis (a DLN_PS_GRID row of the parameter table; axes are kept
 * in expansion order, ax[k] being dln_param_axis(k)): n >= 1 values in
 * file order.  Scalar values (numbers, booleans, init kinds) live in v (as
 * doubles: every integer here is < 2^53); a list or file value k lives in
 * its row's field of pv[k] (dln_param_copy applies it). */
typedef struct js_axis {
    long n;
    double *v;           /* scalar rows; NULL otherwise                     */
    dln_params *pv;      /* list and file rows; NULL otherwise              */
    int *line;           /* 1-based line of each value                      */
    int key_line;        /* line of the grid key; 0 = not given (default)   */
} js_axis;

/* One exclude: condition: sel[ax] (NULL: any value) marks the values of
 * axis ax it names; a cell matching every named axis is left out. */
typedef struct js_exclude {
    unsigned char *sel[DLN_PARAM_MAX];
    int line;
} js_exclude;

struct dln_jobspec {
    char *path;                  /* as given, used in messages              */
    char *name;
    int name_line;
    uint64_t seed;               /* global seed                             */
    int seeds;                   /* seed indices per cell                   */
    int seeds_line, grid_line;
    js_axis ax[DLN_PARAM_MAX];   /* by expansion position (dln_param_axis)  */
    dln_params base;             /* defaults + diagnostics                  */
    int diag_line[DLN_PARAM_MAX]; /* by parameter index; 0 = not given      */
    long ncells, ntasks;
    int has_parallel, wide_width, group_size;
    int has_refine, refine_axis, refine_max_points, refine_line;
                                 /* refine_axis: expansion position         */
    double refine_tol;
    int refine_method;           /* DLN_REFINE_BISECTION / _CONTINUATION    */
    int refine_max_period;       /* continuation: longest cycle followed    */
    int refine_method_line;
    char *canonical;
    uint64_t hash;
    /* grid: zip: groups: zip_of[ax] is axis ax's group or -1; the axes of
     * a group advance together as one dimension of the product, at the
     * place of its slowest axis (docs/job-files.md) */
    int zip_of[DLN_PARAM_MAX];
    int nzip, zip_line[DLN_PARAM_MAX];
    /* eta: {times_edge: ...}: the eta axis holds multipliers c, a cell's
     * eta being c * 2/(L s_1^(2-2/L)) */
    int eta_edge, eta_edge_line;
    /* grid: exclude: conditions; with any, the cells kept are the set
     * bits of kept over the raw product (nraw cells), kept_before[w] the
     * set bits before word w */
    js_exclude *excl;
    int nexcl;
    long nraw;
    uint64_t *kept;
    long *kept_before;
    /* each cell's hash once dln_jobspec_task has made it (NULL above
     * JS_HASH_MEMO_CELLS cells): the canonical text behind a hash costs
     * ~8 us, and a sweep expands each task three times (queue, worker,
     * writer).  hash_state[c]: JS_MEMO_EMPTY, _WRITING (one thread fills
     * it; the others make their own) or _READY (release/acquire), so a
     * loaded spec stays safe to share between threads. */
    char (*hash_memo)[DLN_HASH_HEX];
    _Atomic unsigned char *hash_state;
};

enum { JS_MEMO_EMPTY, JS_MEMO_WRITING, JS_MEMO_READY };

#define JS_HASH_MEMO_CELLS (1L << 20)

/* Number of grid axes, and the parameter row of axis k (expansion
 * position, 0 slowest). */
int js_naxes(void);
const dln_param_def *js_axis_def(int k);

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

#endif
