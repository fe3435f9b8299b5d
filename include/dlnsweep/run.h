/* run.h — one complete training run: GD for p->steps steps, diagnostics
 * every record_every steps, then the late-orbit classification
 * (converged / periodic(p) / chaotic / divergent / collapsed).
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
 *   last 2p+1 states.  The tests pick transients (steps) long enough for
 *   the orbit to settle to well below that tolerance.
 * - Lyapunov: a tangent vector propagated by v <- v - eta H(x_t) v over the
 *   last lyapunov_steps GD steps (exact HVPs), renormalised every step; the
 *   exponent is the mean log growth per step (NaN when lyapunov_steps = 0).
 *   Continuous symmetries of the loss give a neutral direction, so regular
 *   orbits read ~0 (a few 1e-3 at most over 1000 steps): hence the
 *   threshold DLN_RUN_CHAOS_LYAPUNOV.
 * - Oscillating mode i: its diagonal entry (U^T W_{L:1} V)_ii spans more
 *   than DLN_RUN_OSC_TOL * max(s_1, max |entry|) over the ring's states.
 *   A trajectory point's n_oscillating compares states t-1 and t instead.
 * - Slow transients (stability.h): over the last transient_window steps
 *   the deviation from q-periodicity is sampled for every q <= max_period;
 *   a detected period p is halved while the deviation from p/2-periodicity
 *   is still dying out (amplitude-equation fit, mu < 0), and a run with no
 *   period yet (and no chaos) gets the smallest q whose deviation dies out.
 *   This decides runs a distance ~1e-6 from a flip bifurcation in ~1e5
 *   steps, where the plain test needs ~1e7.
 * - Order of classification: collapsed (largest singular value of W_{L:1}
 *   over the ring <= DLN_RUN_COLLAPSE_TOL * s_1 and final loss within that
 *   relative tolerance of 1/2 sum s_i^2, s_1 > 0), then period 1 converged,
 *   period p > 1 periodic, Lyapunov > DLN_RUN_CHAOS_LYAPUNOV chaotic, else
 *   unresolved. */
#ifndef DLNSWEEP_RUN_H
#define DLNSWEEP_RUN_H

#include "dlnsweep/params.h"
#include "dlnsweep/result.h"

#define DLN_RUN_OSC_TOL 1e-4          /* relative span of an oscillating mode */
#define DLN_RUN_CHAOS_LYAPUNOV 1e-2   /* per-step exponent above which: chaos */
#define DLN_RUN_COLLAPSE_TOL 1e-3     /* |W_{L:1}| / s_1 at the zero saddle   */
#define DLN_RUN_FULL_SPECTRUM_MAX 3000 /* most parameters for a dense Hessian */
#define DLN_RUN_NPROJ 3               /* random projections per fingerprint   */
#define DLN_RUN_TRANSIENT_FLOOR 1e-12 /* relative deviation = rounding noise  */

/* Train and diagnose p into the inited result r (caller clears it).
 * Returns 0 when a result (divergent included) was produced; 2 for invalid
 * p and 1 for allocation failure, with r->error set and regime ERROR.
 * Not collective; r->wall_s is filled. */
int dln_run(const dln_params *p, dln_result *r);

#endif
