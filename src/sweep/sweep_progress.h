/* sweep_progress.h — the sweep's cost model (predicted wall time of a
 * task, refined from measured runs), its tally of what is done, and its
 * progress line (private to the sweep_*.c files; no MPI). */
#ifndef DLNSWEEP_SWEEP_PROGRESS_H
#define DLNSWEEP_SWEEP_PROGRESS_H

#include <stddef.h>
#include "dlnsweep/params.h"
#include "dlnsweep/result.h"

/* Predicted-time model wall ~ a*cost + b*steps fitted to measured runs,
 * separately for small and wide tasks.  Zero-initialise before use. */
typedef struct dln_costfit {
    double n, s11, s12, s22, s1y, s2y, sy;  /* normal-equation sums       */
    double a, b;                            /* current fit (0 = unknown)   */
} dln_costfit;

/* The second feature of a task: GD + tangent steps (+1 overhead). Pure. */
double dln_task_steps(const dln_params *p);
/* Add one measured (cost, steps, wall) and refit (non-finite or negative
 * measurements are ignored). Cannot fail. */
void dln_costfit_add(dln_costfit *f, double cost, double steps, double wall);
/* Predicted seconds for (cost, steps); 0 when nothing measured yet. Pure. */
double dln_costfit_predict(const dln_costfit *f, double cost, double steps);

/* What a sweep has done: its counters and the cost model of its small
 * (index 0) and wide (1) tasks.  Zero-initialise. */
typedef struct dln_tally {
    long total;                        /* the sweep's (shard's) tasks      */
    long done_before, done_now;        /* in the DB before / done this run */
    long errors_now;                   /* this run's regime 'error' results */
    long per_regime[DLN_REGIME_ERROR + 1];  /* every result in the DB     */
    dln_costfit fit[2];                /* small, wide                      */
    double done_cost[2], done_steps[2];     /* this run's, small and wide */
    double busy_s, wait_s;             /* workers' run and wait-for-work   */
} dln_tally;

/* Count one result of this run: its regime, kind (wide != 0), predicted
 * features, wall time and the worker's wait for it; errors do not train
 * the cost model. Cannot fail. */
void dln_tally_add(dln_tally *t, int regime, int wide, double cost,
                   double steps, double wall_s, double wait_s);
/* Tasks neither in the DB before nor done this run. Pure. */
long dln_tally_remaining(const dln_tally *t);
/* Seconds left after `elapsed` seconds of this run, with the small and
 * wide tasks still to hand out summing to cost_left[k], steps_left[k]:
 * elapsed scaled by predicted work left over predicted work done (which
 * absorbs the parallelism); by task counts while nothing is predicted;
 * NAN before the first result.  Pure. */
double dln_tally_eta(const dln_tally *t, double elapsed,
                     const double cost_left[2], const double steps_left[2]);

/* "[sweep NAME] 24/40 (60%) 3.1 tasks/s ETA 5s | converged 10 ..." into
 * buf (pure). */
void dln_progress_format(char *buf, size_t len, const char *name, long done,
                         long total, double rate, double eta_s,
                         const long per_regime[DLN_REGIME_ERROR + 1]);

#endif
