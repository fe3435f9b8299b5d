/* batch.h — lock-step full-batch GD of many same-shape deep linear networks
 * (one lane each) on the lane kernels (lanes.h).
 *
 * Tasks are the dln_params given to dln_batch_create, numbered 0..n-1; they
 * share depth, d_in, width, d_out and rank, and may differ in everything
 * else (eta, target spectrum and rotation, init, alpha, seed, diverge_bound).
 * A task's lane starts bitwise at dln_model_create's init and follows
 * bitwise the trajectory dln_model_step gives the same params, whatever
 * the other tasks, their number, their order or the compactions: the lane
 * kernels do the same operations in the same order on every lane.
 *
 * States follow dln_run's convention (run.h): x_0 is the init and the loss
 * f(x_t) of a task's current state is always known.  A task whose f(x_t) is
 * non-finite or above its diverge_bound stops there (DLN_LANE_DIVERGED,
 * dln_batch_t = the diverge step); dln_batch_finish stops one for good
 * (DLN_LANE_DONE).  A finished task keeps its last state and loss; its lane
 * goes on costing time until dln_batch_compact drops it.
 * Numerics only: no I/O, no MPI.  Not thread-safe per batch. */
#ifndef DLNSWEEP_BATCH_H
#define DLNSWEEP_BATCH_H

#include <stddef.h>
#include "dlnsweep/model.h"
#include "dlnsweep/params.h"

typedef struct dln_batch dln_batch;

typedef enum dln_lane_status {
    DLN_LANE_ACTIVE = 0,   /* stepping                                */
    DLN_LANE_DIVERGED,     /* stopped at a non-finite or too large loss */
    DLN_LANE_DONE          /* stopped by dln_batch_finish             */
} dln_lane_status;

/* Batch of the n tasks p[0..n-1] at x_0 with f(x_0) evaluated (a task may
 * already be diverged).  Returns 0; 2 when n < 1, a task is invalid, the
 * shapes (depth, d_in, width, d_out, rank) differ or do not fit the lane
 * kernels (dln_lanes_fits); 1 on allocation failure.  Not collective;
 * caller owns *out. */
int dln_batch_create(const dln_params *p, int n, dln_batch **out);

/* dln_batch_create with lane i at model m[i]'s current parameters and
 * target (m[i] made from p[i]; e.g. loaded from an init file), so a cell
 * run alone from that model and its lane start from the same bits.  Same
 * returns, and 2 when a model's size is not its task's.  The models are
 * only read. */
int dln_batch_create_models(const dln_params *p, dln_model *const *m, int n,
                            dln_batch **out);

/* Free b and set *b = NULL; accepts NULL and *b == NULL. */
void dln_batch_destroy(dln_batch **b);

/* Number of tasks; of lanes the step still runs (active ones and finished
 * ones not yet compacted away); of active tasks (pure). */
int dln_batch_ntasks(const dln_batch *b);
int dln_batch_nlanes(const dln_batch *b);
int dln_batch_nactive(const dln_batch *b);

/* Parameters per task, as dln_model_nparams (pure). */
size_t dln_batch_nparams(const dln_batch *b);

/* Up to k GD steps of every active task: x_{t+1} = x_t - eta grad f(x_t)
 * and f(x_{t+1}); a task stops early at a state whose loss is non-finite or
 * above its bound (diverged).  Returns 0, or 2 when k < 0. */
int dln_batch_step(dln_batch *b, long k);

/* Status of task i, the index t of its current state, and f(x_t); NAN /
 * -1 / DLN_LANE_DONE for an i out of range (pure). */
dln_lane_status dln_batch_status(const dln_batch *b, int i);
long dln_batch_t(const dln_batch *b, int i);
double dln_batch_loss(const dln_batch *b, int i);

/* Task i's current flat parameters (dln_model's layout) into x; returns 0,
 * or 2 for an i out of range. */
int dln_batch_params(const dln_batch *b, int i, double *x);

/* End-to-end product W_{L:1} (d_out x d_in, column-major) of task i's
 * current state into prod, by the one-lane kernel dln_model uses; returns
 * 0, or 2 for an i out of range. */
int dln_batch_product(const dln_batch *b, int i, double *prod);

/* Set model m (created from task i's params) to task i's current state;
 * returns 0, or 2 for an i out of range or an m of another size. */
int dln_batch_load(const dln_batch *b, int i, dln_model *m);

/* Stop task i for good (DLN_LANE_DONE; a diverged or done task keeps its
 * status); returns 0, or 2 for an i out of range. */
int dln_batch_finish(dln_batch *b, int i);

/* Drop the lanes of finished tasks so they stop costing time; the active
 * lanes keep their order and their bits.  Cannot fail. */
void dln_batch_compact(dln_batch *b);

#endif
