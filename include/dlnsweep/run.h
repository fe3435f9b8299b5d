/* run.h — one complete training run: GD for p->steps steps, diagnostics
 * every record_every steps, the final diagnostics, the end-of-run
 * dynamics, then the regime (label.h).
 * Numerics only: no I/O, no MPI; NaN/Inf never crash it.
 *
 * States x_0..x_steps (x_0 the init, x_steps the final iterate).
 * - Divergence: the first t with f(x_t) non-finite or > diverge_bound stops
 *   the run: regime divergent, diverge_step = steps_done = t.
 * - Fingerprints of the last max(2*max_period+1, tail) states go into the
 *   orbit ring: loss, top singular values of W_{L:1}, the diagonal of
 *   U^T W_{L:1} V (target basis), and 3 fixed sparse random projections of
 *   the flat parameters.  The last `tail` states give orbit_sv1/orbit_loss.
 * - Period: dln_orbit_period with tol = period_tol (default 1e-7) over the
 *   last 2p+1 states; each target mode's own period from its entry alone
 *   (mode_period; scale max(s_1, |entry|)), its state fitted / collapsed /
 *   fixed (period 1 within DLN_RUN_COLLAPSE_TOL s_1 of s_i, of 0, or
 *   elsewhere), periodic or aperiodic; after the continuation, a mode's
 *   even period p is halved while its deviation from p/2-periodicity has
 *   at least halved (DLN_RUN_MODE_DYING) over the settle (a flip still
 *   dying out).
 * - Slow transients (stability.h): over the last transient_window steps
 *   the deviation from q-periodicity is sampled for every q <= max_period;
 *   a detected period p is halved while the deviation from p/2-periodicity
 *   is still dying out (amplitude-equation fit, mu < 0), and a run with no
 *   period yet gets the smallest q whose deviation dies out (period_fit).
 * - Not moved: ||x_steps - x_0|| <= 4 eps ||x_0|| while ||grad f(x_steps)||
 *   > DLN_RUN_STILL_GRAD (1 + sqrt(2 f)): eta is below rounding.
 * - End-of-run dynamics (run_dynamics.c; lyapunov_steps > 0, serial runs
 *   only): max(lyapunov_steps, 2 max_period + 1) more GD steps settle the
 *   orbit; their last states give the late orbit after the settle (period,
 *   modes, collapse: the label's evidence, label.h; a mode's even period
 *   is halved while its deviation from the shorter cycle has at least
 *   halved since the settle's first states, DLN_RUN_MODE_DYING).  Then,
 *   if the run is in the SVS set (svs.h: off-set mass of the layers <=
 *   DLN_RUN_SET_TOL at x_steps and after the settle), its in-set and
 *   transverse (symmetry-quotiented) blocks are measured: the dense
 *   Floquet multipliers of a periodic orbit (floquet.h; exponents
 *   log|mu| / p, error DLN_RUN_CLOSURE_MULT closure / p, where closure =
 *   |x_p - x_0| / |x_0| says how far the orbit reached is from the cycle;
 *   the same margin decides transverse_stable), else (aperiodic, or a
 *   block of more than DLN_RUN_FLOQUET_DENSE_MAX coordinates) the top
 *   exponents on a tangent run (lyapunov.h: warm-up lyapunov_steps / 4,
 *   batches of lyapunov_steps / 8 rounded to whole periods, at least 8,
 *   until the top error is <= lyapunov_tol + DLN_RUN_LYAP_REL_TOL
 *   |lambda| or lyapunov_max_steps are measured; the transverse block:
 *   one vector, lyapunov_steps).  The full map is block diagonal in the
 *   set, so the full spectrum is the blocks' union (0 for the symmetry
 *   directions); the in-set exponent is the label's.  The run stays in
 *   the set when its state is exactly diagonal with a diagonal target, or
 *   the set attracts it; otherwise a full tangent run says whether it
 *   leaves (then a fresh late orbit after it is the label's evidence).
 *   Off the set the full tangent run's exponent is the label's, and a
 *   periodic orbit of at most DLN_RUN_FLOQUET_DENSE_MAX parameters gets
 *   the full monodromy's multipliers (symmetry directions included,
 *   modulus 1).  Multipliers are always dense (dgeev): ARPACK's restarts
 *   draw from a process-wide seed, which would make a run's numbers
 *   depend on the runs before it on its rank.  Above transverse_max
 *   parameters the transverse block is skipped and a run in the set has
 *   no full spectrum.  A LAPACK failure in these diagnostics leaves their
 *   quantities NaN; it does not fail the run.
 * - Per-step detail (result.h's dln_detail_layout): for each of the last
 *   `tail` states, and every trajectory point when record_detail, the
 *   target modes, top_k singular values of W_{L:1}, with orbit_hessian the
 *   top_k Hessian eigenvalues (ritz.h: warm-started from the previous such
 *   state, cold at the first), each layer's top singular value, every
 *   adjacent pair's balancing gap and each mode's gap.  Trajectory points
 *   start at record_from.
 * - Order of classification: label.h. */
#ifndef DLNSWEEP_RUN_H
#define DLNSWEEP_RUN_H

#include "dlnsweep/params.h"
#include "dlnsweep/result.h"

#define DLN_RUN_OSC_TOL 1e-4          /* relative span of an oscillating mode */
#define DLN_RUN_COLLAPSE_TOL 1e-3     /* |W_{L:1}| / s_1 at the zero saddle   */
#define DLN_RUN_FULL_SPECTRUM_MAX 3000 /* most parameters for a dense Hessian */
#define DLN_RUN_NPROJ 3               /* random projections per fingerprint   */
#define DLN_RUN_TRANSIENT_FLOOR 1e-12 /* relative deviation = rounding noise  */
#define DLN_RUN_STILL_GRAD 1e-8       /* gradient that should have moved x    */
#define DLN_RUN_SET_TOL 1e-10         /* off-set mass of a state in the set   */
#define DLN_RUN_LYAP_REL_TOL 0.02     /* relative part of the tangent stop    */
#define DLN_RUN_MULT_TOL 1e-6         /* |mu| - 1 read as neutral             */
#define DLN_RUN_CLOSURE_MULT 10.0     /* multiplier error per unit closure    */
#define DLN_RUN_FLOQUET_NEV 6         /* multipliers kept per block           */
#define DLN_RUN_FLOQUET_DENSE_MAX 512 /* largest block given multipliers      */
#define DLN_RUN_QUOTIENT_EVERY 32     /* steps between symmetry projections   */
#define DLN_RUN_MODE_DYING 0.5        /* a mode's q-deviation shrunk this much
                                         over the settle: still settling    */

/* Train and diagnose p into the inited result r (caller clears it).
 * Returns 0 when a result (divergent included) was produced; 2 for invalid
 * p and 1 for allocation failure, with r->error set and regime ERROR.
 * Not collective; r->wall_s is filled. */
int dln_run(const dln_params *p, dln_result *r);

/* dln_run from the initial weights x0 (the flat layout of model.h,
 * dln_params_nweights(p) values) instead of p's init; x0 may be NULL
 * except for init file, whose weights the caller loads
 * (dln_npy_load_init). */
int dln_run_from(const dln_params *p, const double *x0, dln_result *r);

/* 1 when p can run in a lock-step batch (dln_run_batch): valid, small
 * enough for the lane kernels (lanes.h: every dimension at most
 * dln_lanes_max_dim()) and with a finite diverge_bound. Pure. */
int dln_run_batchable(const dln_params *p);

/* 1 when a and b can share a batch: the same shape (depth, d_in, width,
 * d_out, rank) and the same schedule of observed states (steps,
 * record_every, record_from, tail, max_period, transient_window).  Eta,
 * target, init, seed and the other diagnostics may differ. Pure. */
int dln_run_same_batch(const dln_params *a, const dln_params *b);

/* dln_run_from of the n tasks p[0..n-1] (each dln_run_batchable, all
 * dln_run_same_batch with p[0]; x0[i] the initial weights as
 * dln_run_from's, x0 or x0[i] NULL for p[i]'s init) at once: their GD
 * steps in lock step on the lane kernels, vectorised across tasks, their
 * observations and end-of-run diagnostics each on its own.  r[i] (inited
 * by the caller) and rc[i] get what dln_run_from(&p[i], x0[i], &r[i])
 * gives and returns, bitwise, but for wall_s: the batch's wall time
 * shared out evenly.  Returns 0, or 2 when the tasks cannot share a
 * batch (nothing is run). Not collective. */
int dln_run_batch(const dln_params *p, const double *const *x0, int n,
                  dln_result *r, int *rc);

#endif
