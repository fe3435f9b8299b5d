/* label.h — the regime of a finished, bounded run from its evidence.
 *
 * The evidence is gathered by the run (run_common.c, run_dynamics.c): the
 * late orbit of the run itself, or, when the Lyapunov continuation ran
 * (run.h), the late orbit after it; the slow-transient fit of the run's
 * last steps (stability.h); the relevant top Lyapunov exponent with its
 * batch-means error (in-set while the run stays in the SVS set, else
 * full).  It is consulted in this order:
 *
 *  1. not moved (the weights changed by less than rounding although the
 *     gradient is not 0, e.g. eta = 1e-300): unresolved;
 *  2. the continuation diverged: divergent;
 *  3. the latest late orbit: W_{L:1} ~ 0 with the whole loss left:
 *     collapsed; period 1 (a fixed point): converged when the loss left is
 *     at most DLN_LABEL_MINIMUM_TOL of 1/2 sum s_i^2, else saddle; period
 *     p >= 2: periodic (in 3, reason "held on an unstable orbit" when the
 *     exponent is positive beyond its error bar: the run sits on an orbit
 *     that is unstable within the dynamics it follows, kept there by an
 *     exact symmetry of its state, e.g. W_1 = W_2 from the identity init,
 *     or by underflow at the zero saddle);
 *  4. aperiodic, but the run's deviation from q-periodicity dies out (fit)
 *     and the exponent is not positive beyond its error bar: periodic(q);
 *     for q = 1 converged or saddle as in 3 once every mode sits at s_i or
 *     0, else unresolved (converging);
 *  5. the exponent lambda +- err: lambda - 3 err > DLN_LABEL_LYAP_FLOOR
 *     chaotic; |lambda| <= 3 err + floor with err within the tolerance and
 *     3 err <= DLN_LABEL_ZERO_RESOLUTION quasiperiodic (bounded: the run
 *     did not diverge), unless the late orbit passes through the zero
 *     saddle (bursts away from it and back: the exponent's 0 is the time
 *     spent there, so unresolved, "intermittent at the zero saddle");
 *     lambda + 3 err <
 *     -floor unresolved (a stable orbit of period > max_period, or a
 *     transient); otherwise unresolved (undecided).  Without an error bar
 *     (the distributed engine's single exponent) lambda >
 *     DLN_LABEL_CHAOS_NO_ERROR is chaotic, anything else unresolved.
 *
 * The floor absorbs what a finite tangent run reads on a neutral
 * direction with polynomial growth (symmetry directions of the full
 * tangent space; shear along families of cycles): ~log(T)/T after a
 * warm-up of T steps.  Pure: no I/O, no allocation. */
#ifndef DLNSWEEP_LABEL_H
#define DLNSWEEP_LABEL_H

#include "dlnsweep/result.h"

#define DLN_LABEL_MINIMUM_TOL 1e-6     /* loss left / (1/2 sum s^2): minimum */
#define DLN_LABEL_LYAP_FLOOR 1e-3      /* |exponent| read as 0 (per step)    */
#define DLN_LABEL_CHAOS_NO_ERROR 1e-2  /* chaos without an error bar         */
#define DLN_LABEL_SIGMAS 3.0           /* error bars of a decided sign       */
#define DLN_LABEL_ZERO_RESOLUTION 1e-2 /* widest 3-error bar that reads 0    */

typedef struct dln_label_evidence {
    int moved;              /* 0 not moved (step 1), 1 moved, -1 unknown    */
    int diverged_later;     /* the continuation diverged                     */
    int from_continuation;  /* the late orbit below is after the continuation */
    int collapsed;          /* late orbit at the zero saddle                 */
    int saddle_visits;      /* late-orbit states at the zero saddle          */
    int period;             /* late orbit's period (0 none)                  */
    int period_fit;         /* slow-transient period of the run (0 none)     */
    int modes_settled;      /* every mode at s_i or 0 (period 1)             */
    double loss_rel;        /* loss left / (1/2 sum s_i^2)                   */
    double lambda;          /* relevant top exponent per step (NaN none)     */
    double lambda_err;      /* its standard error (NaN: no error bar)        */
    int lambda_converged;   /* the error met the run's tolerance             */
} dln_label_evidence;

/* Evidence with nothing known: moved -1, periods 0, NaN exponent. Pure. */
void dln_label_evidence_init(dln_label_evidence *e);

/* The regime from e (steps above); *period (1 converged, p periodic, else
 * 0) and *why are set. Pure. */
dln_regime dln_label_decide(const dln_label_evidence *e, int *period,
                            dln_reason *why);

#endif
