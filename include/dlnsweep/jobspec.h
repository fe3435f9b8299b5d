/* jobspec.h — sweep job files (YAML, parsed with libyaml) and their
 * expansion into tasks (Cartesian product of the axes x seeds).
 *
 * Errors are one line: "FILE:LINE: key 'K': reason" (K is "(yaml)" for a
 * YAML syntax error, "(document)" for a file that is not one mapping).
 * The format is documented in docs/job-files.md and the files in jobs/.
 *
 * Expansion order (stable, documented): the grid axes of the parameter
 * table (paramdefs.h) in the order dln_param_axis gives, slowest first
 * (depth ... eta); the seed index varies fastest of all.  Task i is cell i / nseeds with seed
 * index i % nseeds.  Nothing here does MPI; a loaded spec is read-only and
 * may be shared between threads. */
#ifndef DLNSWEEP_JOBSPEC_H
#define DLNSWEEP_JOBSPEC_H

#include <stddef.h>
#include <stdint.h>
#include "dlnsweep/params.h"

typedef struct dln_jobspec dln_jobspec;

/* Parse and validate path. Returns 0, or 2 with a one-line message in err
 * (file, line and key named); 1 on allocation failure. Not collective. */
int dln_jobspec_load(const char *path, dln_jobspec **out, char *err,
                     size_t errlen);

/* Same from an in-memory YAML text; name is used in messages. */
int dln_jobspec_parse(const char *name, const char *text, size_t len,
                      dln_jobspec **out, char *err, size_t errlen);

/* Free j and set *j = NULL; accepts NULL. */
void dln_jobspec_destroy(dln_jobspec **j);

/* Sweep name (the job file's `name:`, else its basename). Borrowed. */
const char *dln_jobspec_name(const dln_jobspec *j);

/* Canonical text of the expanded spec and its hash: equal iff the set of
 * tasks is equal (used to refuse resuming with a changed file). Borrowed.
 * Key order, formatting, comments, name:, parallel: and the order of values
 * inside an axis do not count; refine: does.  Two specs with equal hashes
 * may number their tasks differently: identify a task by (cell_hash,
 * seed_index), not by its index. */
const char *dln_jobspec_canonical(const dln_jobspec *j);
uint64_t dln_jobspec_hash(const dln_jobspec *j);

/* Number of tasks (cells x seeds). */
long dln_jobspec_ntasks(const dln_jobspec *j);

/* Task i (0 <= i < ntasks) with derived seed, cell hash and cost; or, for
 * i < 0, the refined task whose code dln_jobspec_refine_code returned.
 * out->index = i. 0 or 2. */
int dln_jobspec_task(const dln_jobspec *j, long i, dln_task *out);

/* The multiplier c of task t's eta = c * 2/(L s_1^(2-2/L)) when the job
 * gives eta as {times_edge: ...}, else NAN. Pure. */
double dln_jobspec_times_edge(const dln_jobspec *j, const dln_task *t);

/* Number of cells (product of the axis lengths, zip groups counting
 * once, less the excluded cells) and seeds per cell. */
long dln_jobspec_ncells(const dln_jobspec *j);
int dln_jobspec_nseeds(const dln_jobspec *j);

/* The global `seed:` every task seed is derived from. */
uint64_t dln_jobspec_global_seed(const dln_jobspec *j);

/* Path the spec was loaded from (the name given to _parse). Borrowed. */
const char *dln_jobspec_path(const dln_jobspec *j);

/* Parameters of cell c (0 <= c < ncells) with seed = 0; 0 or 2 (pure). */
int dln_jobspec_cell(const dln_jobspec *j, long c, dln_params *out);

/* Grid axes in expansion order, slowest first (pure): their count, names
 * ("depth", ..., "eta") and the number of values of axis k in j. */
int dln_jobspec_axis_count(void);
const char *dln_jobspec_axis_name(int k);
long dln_jobspec_axis_len(const dln_jobspec *j, int k);

/* Sum of dln_params_cost over all tasks (loops over cells; pure). */
double dln_jobspec_total_cost(const dln_jobspec *j);

/* parallel: section.  wide_width: cells whose largest dimension (width,
 * d_in or d_out) is >= it run on a group of group_size ranks; 0 when the
 * job has no parallel: section (then group_size is 1).  Defaults inside
 * the section: wide_width 512, group_size 4. */
int dln_jobspec_wide_width(const dln_jobspec *j);
int dln_jobspec_group_size(const dln_jobspec *j);
/* 1 if p (a task's params) is wide under j's parallel: section, else 0. */
int dln_jobspec_is_wide(const dln_jobspec *j, const dln_params *p);

/* refine: section (adaptive bisection of regime boundaries along one real
 * axis, or their exact location by continuation along eta).  has_refine is
 * 0 or 1; axis is "eta" or "alpha" (NULL if none); defaults tol 1e-6,
 * max_points 200, method bisection. */
int dln_jobspec_has_refine(const dln_jobspec *j);
const char *dln_jobspec_refine_axis(const dln_jobspec *j);
double dln_jobspec_refine_tol(const dln_jobspec *j);
int dln_jobspec_refine_max_points(const dln_jobspec *j);

enum { DLN_REFINE_BISECTION = 0, DLN_REFINE_CONTINUATION = 1 };
#define DLN_REFINE_MAX_PERIOD 4096   /* longest cycle a continuation follows */

/* refine: method (DLN_REFINE_BISECTION without a refine: section) and, for
 * continuation, the longest cycle followed (max_period; default the
 * diagnostics' max_period). Pure. */
int dln_jobspec_refine_method(const dln_jobspec *j);
int dln_jobspec_refine_max_period(const dln_jobspec *j);

/* Continuation tasks (refine: {method: continuation}): code (< 0) of the
 * task that starts a continuation at the k-th value of the line of grid
 * task `first` (as dln_jobspec_refine_line gives it), from an orbit of
 * period `period`; 0 if out of range. dln_jobspec_task decodes such a code
 * into that grid task (its index set to the code); contin_decode gives the
 * grid task's index, k and period. 0, or 2 for a code that is none. */
long dln_jobspec_contin_code(const dln_jobspec *j, long first, long k,
                             int period);
int dln_jobspec_contin_decode(const dln_jobspec *j, long code, long *task,
                              long *k, int *period);
/* The refine axis's grid: n >= 2 values lo < ... < hi, value k being
 * exactly dln_refine_coord(lo, hi, n - 1, k) (checked at load, so the
 * initial points lie on the refine lattice).  0, or 2 without refine:. */
int dln_jobspec_refine_grid(const dln_jobspec *j, double *lo, double *hi,
                            long *n);

/* Size n of the refine lattice (refine.h): the grid refined down to a
 * spacing <= tol; 0 without refine:. Pure. */
long dln_jobspec_refine_lattice(const dln_jobspec *j);
/* Line of grid task t: the grid task of the same line and seed at the
 * axis's first value (*first) and t's position on the axis (*k, so its
 * lattice index is k * lattice / (n - 1)). 0, or 2 without refine:. */
int dln_jobspec_refine_line(const dln_jobspec *j, long t, long *first,
                            long *k);
/* Code (< 0) of the task equal to grid task `first` but with the refine
 * axis at lattice index i; -1 - ... so that dln_jobspec_task decodes it.
 * 0 (not a code) if first/i are out of range or the code would overflow. */
long dln_jobspec_refine_code(const dln_jobspec *j, long first, long i);

#endif
