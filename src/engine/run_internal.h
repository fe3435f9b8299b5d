/* run_internal.h — what the serial run (run.c) and the distributed run
 * (pmodel_run.c) share: the per-run bookkeeping that does not depend on
 * how the model is stored.  The drivers compute the numbers (loss, modes,
 * singular values, tangent norms) with their own model; this module decides
 * when each is needed, keeps the orbit ring and the slow-transient sampler,
 * fills the result arrays and classifies the run (definitions in run.h).
 *
 * dln_track_train runs the GD loop: divergence test, trajectory points on
 * the record schedule (dln_traj_point fields, sharpness every
 * sharpness_every steps, n_oscillating from the target modes of states t-1
 * and t; from record_from on), fingerprints of the late states into the
 * ring, the slow-transient sampler and the tail arrays, the per-step
 * detail (result.h) of every tail state and, with record_detail, of every
 * trajectory point, the Lyapunov tangent over the last lyapunov_steps
 * steps; the driver supplies the numerics (dln_run_ops) and
 * fills the fingerprint (dln_track_fp_head, dln_track_fp_modes,
 * dln_track_fp_proj).  After it, the driver takes the final diagnostics
 * and the rank that keeps the ring calls dln_track_conclude.
 * No I/O, no MPI of its own (dln_track_train is as collective as the
 * driver's ops); allocates only in dln_track_create and
 * dln_track_result_arrays. */
#ifndef DLNSWEEP_RUN_INTERNAL_H
#define DLNSWEEP_RUN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "dlnsweep/label.h"
#include "dlnsweep/model.h"
#include "dlnsweep/orbit.h"
#include "dlnsweep/params.h"
#include "dlnsweep/result.h"
#include "dlnsweep/stability.h"

#define DLN_RUN_PROJ_TERMS 32   /* parameters read by one sparse projection */

typedef struct dln_run_track {
    const dln_params *p;
    dln_orbit *orbit;          /* NULL where no ring is kept              */
    dln_transient *transient;  /* slow-transient samples (NULL: off/none) */
    long twin;                 /* slow-transient window in steps (0: off) */
    int rank, nsv, dim;        /* target rank, sv per fingerprint, length */
    double *fp;                /* fingerprint scratch                     */
    double *mode_prev;         /* diag(U^T W V) at the previous state     */
    double *mode_now;          /* ... at the current state                */
    int prev_ok;               /* mode_prev holds state t-1               */
    long fp_from, tail_from;   /* first fingerprinted / tail state        */
    long lyap_steps;           /* lyapunov_steps resolved (params.h)     */
    long tr_from, lyap_from;   /* first transient-window / tangent step   */
    double lyap_sum;           /* sum of log tangent growths              */
    long lyap_n;
    int lyap_bad;              /* tangent norm went non-finite            */
    int keep;                  /* this rank keeps the ring and the result */
    dln_detail_layout lay;     /* the per-step detail (result.h)          */
    double *row;               /* one detail row                          */
} dln_run_track;

/* The numerics a driver plugs into dln_track_train, on its own model
 * (ctx). Each may be collective; none allocates. */
typedef struct dln_run_ops {
    void *ctx;
    double (*loss)(void *ctx);   /* f(x_t); caches W_{L:1} of x_t        */
    /* dln_diag_point's loss, sv1, sv2, balance_gap, offdiag_mass of x_t */
    void (*point)(void *ctx, long t, double loss, dln_traj_point *pt);
    /* top Hessian eigenvalues into top; returns how many, 0 on failure */
    int (*hessian_top)(void *ctx, uint64_t seed, double *top);
    /* target modes of x_t; fresh: recompute W_{L:1} first (after point) */
    void (*modes)(void *ctx, double *modes, int fresh);
    void (*fingerprint)(void *ctx, double loss);  /* into the track's fp */
    /* result.h's detail row of x_t (layout lay) into row, the Hessian
     * part by the warm-started tracker (ritz.h) */
    void (*detail)(void *ctx, const dln_detail_layout *lay, double *row);
    double (*tangent)(void *ctx);   /* v <- (I - eta H) v; returns |v|   */
    void (*rescale)(void *ctx, double nrm);       /* v <- v / nrm        */
    void (*step)(void *ctx);        /* one GD step                       */
} dln_run_ops;

/* Zero k, then set windows and allocate scratch for p (validated); the ring
 * and transient sampler only when keep_ring. Returns 0, or 1 on allocation
 * failure (k then holds what was made: dln_track_free it). Not collective. */
int dln_track_create(dln_run_track *k, const dln_params *p, int keep_ring);
/* Free what k owns and zero it; accepts a zeroed k. */
void dln_track_free(dln_run_track *k);

/* Trajectory, tail and detail arrays of r for p. Returns 0, or 1 on
 * allocation failure (r keeps what was made; dln_result_clear frees it). */
int dln_track_result_arrays(const dln_params *p, dln_result *r);

/* Fill k->fp's loss and singular-value entries from sv[0..nsv_got-1]. */
void dln_track_fp_head(dln_run_track *k, double loss, const double *sv,
                       int nsv_got);
/* Where the driver writes the rank target modes / DLN_RUN_NPROJ
 * projections of k->fp. Pure. */
double *dln_track_fp_modes(const dln_run_track *k);
double *dln_track_fp_proj(const dln_run_track *k);
/* Label evidence of ring o (fingerprints laid out as k's; loss: its
 * newest loss): zero-saddle test, period (a 2q-period halved while k's
 * slow-transient fit says the q-deviation dies out), loss left, and each
 * mode's period and state into r (mode_*, n_modes, n_collapsed; early, a
 * ring of earlier states' target modes (rank values each) or NULL, halves
 * a mode's period whose shorter cycle it is still settling onto). Pure
 * apart from r and e. */
void dln_track_ring_evidence(const dln_run_track *k, const dln_orbit *o,
                             const dln_orbit *early, double loss,
                             dln_result *r, dln_label_evidence *e);
/* Each target mode's own period and state over ring o into r (mode_*,
 * n_modes, n_collapsed): its entry's period at period_tol; with a ring
 * of earlier states (early, else NULL) an even period is halved while
 * the mode is still settling onto the shorter cycle, and an aperiodic
 * mode of a run of period hint (> 0) that is settling onto a divisor q
 * of it gets q (DLN_RUN_MODE_DYING). Returns 1 if every mode is fitted
 * or collapsed. Pure apart from r. */
int dln_track_modes(const dln_run_track *k, const dln_orbit *o,
                    const dln_orbit *early, int hint, dln_result *r);
/* The evidence of the run itself (its ring, slow-transient fit, r's
 * lyapunov and lyapunov_err) into e. Needs the ring. */
void dln_track_evidence(const dln_run_track *k, dln_result *r,
                        dln_label_evidence *e);
/* Ring-held n_oscillating, the last point's sharpness, and the regime,
 * period and reason of r from e (NULL: dln_track_evidence's). Needs the
 * ring. */
void dln_track_conclude(const dln_run_track *k, dln_result *r,
                        const dln_label_evidence *e);

/* The serial run's end-of-run dynamics (run_dynamics.c, run.h): the
 * Lyapunov spectrum on a continuation of m's state x_steps, the late orbit
 * after it, the SVS in-set / transverse split and Floquet multipliers,
 * into r and e (e holds the run's own evidence on entry). ops drive the
 * continuation's fingerprints through k. m's parameters are x_steps again
 * on return. Returns 0, or 1 on allocation or LAPACK failure. */
int dln_run_dynamics(dln_run_track *k, const dln_run_ops *ops, dln_model *m,
                     dln_result *r, dln_label_evidence *e);

/* GD from x_0 to x_steps (or divergence) with every per-step diagnostic,
 * into r (arrays from dln_track_result_arrays where k->keep). Returns 1
 * when x_steps was reached (steps_done and lyapunov set: the driver then
 * takes the final diagnostics), 0 when the run diverged (r filled).
 * Collective when the ops are.  It is dln_track_begin, then for t = 0..
 * dln_track_state and a GD step (with tangent, the Lyapunov tangent
 * first), then dln_track_reached: a driver that steps many cells at once
 * (run_batch.c) calls those pieces itself, with the same results. */
int dln_track_train(dln_run_track *k, const dln_run_ops *ops, int tangent,
                    dln_result *r);

/* Before state 0: r's Lyapunov exponent unset (NaN). */
void dln_track_begin(const dln_run_track *k, dln_result *r);
/* State t of the run, the model of ops at x_t: its loss (ops->loss), the
 * divergence test, and whatever state t is observed for (detail,
 * trajectory point, target modes, fingerprint into the ring, transient
 * sampler and tail arrays).  Returns 0 when x_t diverged (r filled as
 * divergent), else 1.  Collective when the ops are. */
int dln_track_state(dln_run_track *k, const dln_run_ops *ops, long t,
                    dln_result *r);
/* The first state t' >= t that dln_track_state observes beyond its loss
 * and divergence test (at most steps): the states in between need only
 * GD steps and the divergence test.  Pure. */
long dln_track_next_state(const dln_run_track *k, long t);
/* If loss (of state t) is non-finite or above diverge_bound, fill r as a
 * run that diverged at t and return 1; else 0. */
int dln_track_diverged(const dln_run_track *k, long t, double loss,
                       dln_result *r);
/* The run reached x_steps: steps_done and the in-loop Lyapunov exponent
 * of r. */
void dln_track_reached(const dln_run_track *k, dln_result *r);

/* ---- the serial run's workspace (run.c), one cell ---------------------
 * Model, diagnostics, track and scratch of one serial run, and the
 * numerics dln_track_train drives on it; run_batch.c keeps one per lane. */
typedef struct dln_run_cell dln_run_cell;

/* The cell of validated p, its model at x0 (NULL: p's init). Returns 0,
 * 1 (allocation) or 2 (the model refuses p); *out NULL on failure. */
int dln_run_cell_create(const dln_params *p, const double *x0,
                        dln_run_cell **out);
/* Free c and set *c = NULL; accepts NULL. */
void dln_run_cell_destroy(dln_run_cell **c);
/* The cell's model (borrowed), track, and ops on it. */
dln_model *dln_run_cell_model(dln_run_cell *c);
dln_run_track *dln_run_cell_track(dln_run_cell *c);
const dln_run_ops *dln_run_cell_ops(const dln_run_cell *c);
/* The final diagnostics of a cell whose model is at x_steps (after
 * dln_track_reached), its end-of-run dynamics and regime, into r.
 * Returns 0, or 1 on allocation or LAPACK failure. */
int dln_run_cell_finish(dln_run_cell *c, dln_result *r);
/* What dln_run_from makes of a failed cell (rc 1 or 2): r cleared, the
 * error said, regime ERROR. */
void dln_run_cell_failed(int rc, dln_result *r);

/* The seeded sparse projections of an n-parameter model: returns terms
 * per projection; term k of projection j reads coordinate idx[j*terms+k]
 * with weight w[j*terms+k]. Arrays hold DLN_RUN_NPROJ*DLN_RUN_PROJ_TERMS. */
int dln_run_projections(const dln_params *p, size_t n, size_t *idx,
                        double *w);

/* Lanczos size for the top Hessian eigenvalues of an n-parameter model:
 * returns the iterations, *k the eigenvalues wanted. Pure. */
int dln_run_lanczos_size(const dln_params *p, size_t n, int *k);

/* Eigenvalues among eig[0..n-1] above the edge of stability 2/eta. Pure. */
int dln_run_count_above_eos(const double *eig, size_t n, double eta);

#endif
