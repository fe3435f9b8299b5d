/* run_internal.h — what the serial run (run.c) and the distributed run
 * (pmodel_run.c) share: the per-run bookkeeping that does not depend on
 * how the model is stored.  The drivers compute the numbers (loss, modes,
 * singular values, tangent norms) with their own model; this module decides
 * when each is needed, keeps the orbit ring and the slow-transient sampler,
 * fills the result arrays and classifies the run (definitions in run.h).
 *
 * A driver's step t, in order:
 *   dln_track_diverged(k, t, loss, r)            stop when it returns 1
 *   record point if dln_run_is_record(p, t); fill dln_track_modes_slot(k, t)
 *     when non-NULL, then dln_track_modes_done(k, t) = the point's
 *     n_oscillating
 *   if dln_track_wants_fp(k, t): fill k->fp (dln_track_fp_head + modes at
 *     dln_track_fp_modes + projections at dln_track_fp_proj), then
 *     dln_track_push(k, t, loss, r)
 *   stop at t == steps; else if dln_track_lyap_due(k, t): propagate the
 *     tangent, dln_track_lyap_growth(k, &nrm), rescale by nrm when it
 *     returns 1; then the GD step.
 * At the end dln_track_end(k, r), the final diagnostics, then
 * dln_track_conclude(k, r) on the rank that holds the ring.
 * Not collective, no I/O, no MPI; allocates only in dln_track_create and
 * dln_track_result_arrays. */
#ifndef DLNSWEEP_RUN_INTERNAL_H
#define DLNSWEEP_RUN_INTERNAL_H

#include <stddef.h>
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
    long tr_from, lyap_from;   /* first transient-window / tangent step   */
    double lyap_sum;           /* sum of log tangent growths              */
    long lyap_n;
    int lyap_bad;              /* tangent norm went non-finite            */
} dln_run_track;

/* Zero k, then set windows and allocate scratch for p (validated); the ring
 * and transient sampler only when keep_ring. Returns 0, or 1 on allocation
 * failure (k then holds what was made: dln_track_free it). Not collective. */
int dln_track_create(dln_run_track *k, const dln_params *p, int keep_ring);
/* Free what k owns and zero it; accepts a zeroed k. */
void dln_track_free(dln_run_track *k);

/* Trajectory and tail arrays of r for p. Returns 0, or 1 on allocation
 * failure (r keeps what was made; dln_result_clear frees it). */
int dln_track_result_arrays(const dln_params *p, dln_result *r);

/* 1 if state t gets a trajectory point. Pure. */
int dln_run_is_record(const dln_params *p, long t);

/* If loss (state t) is NaN, Inf or above diverge_bound, fill r as a
 * divergent run and return 1; else return 0. */
int dln_track_diverged(const dln_run_track *k, long t, double loss,
                       dln_result *r);

/* Buffer for the target modes of state t, or NULL when state t needs none
 * (neither t nor t+1 is recorded). Pure. */
double *dln_track_modes_slot(const dln_run_track *k, long t);
/* After the slot of state t was filled: the n_oscillating of state t's
 * trajectory point (0 when t is not recorded or has no predecessor). */
int dln_track_modes_done(dln_run_track *k, long t);

/* 1 if state t is fingerprinted. Pure. */
int dln_track_wants_fp(const dln_run_track *k, long t);
/* Fill k->fp's loss and singular-value entries from sv[0..nsv_got-1]. */
void dln_track_fp_head(dln_run_track *k, double loss, const double *sv,
                       int nsv_got);
/* Where the driver writes the rank target modes / DLN_RUN_NPROJ
 * projections of k->fp. Pure. */
double *dln_track_fp_modes(const dln_run_track *k);
double *dln_track_fp_proj(const dln_run_track *k);
/* Push k->fp (state t, loss) into the ring, the transient sampler and the
 * tail arrays of r; does nothing where no ring is kept. */
void dln_track_push(dln_run_track *k, long t, double loss, dln_result *r);

/* 1 if the tangent vector is propagated over step t -> t+1. Pure. */
int dln_track_lyap_due(const dln_run_track *k, long t);
/* Account the tangent norm after one propagation: returns 1 with *nrm
 * floored (rescale the tangent by it), or 0 when it went non-finite (the
 * exponent is then NaN and no more steps are due). */
int dln_track_lyap_growth(dln_run_track *k, double *nrm);
/* The run reached x_steps: steps_done and the Lyapunov exponent of r. */
void dln_track_end(const dln_run_track *k, dln_result *r);

/* Ring-held n_oscillating, the last point's sharpness and the regime of
 * r (final_loss, sharpness, lyapunov filled). Needs the ring. */
void dln_track_conclude(const dln_run_track *k, dln_result *r);

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
