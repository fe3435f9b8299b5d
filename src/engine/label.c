/* label.c — the regime of a finished run from its evidence (order and
 * thresholds in label.h). */
#include <math.h>
#include "dlnsweep/label.h"

void dln_label_evidence_init(dln_label_evidence *e)
{
    *e = (dln_label_evidence){.moved = -1, .loss_rel = NAN, .lambda = NAN,
                              .lambda_err = NAN};
}

/* A fixed point: a global minimum when (almost) no loss is left. */
static dln_regime fixed_point(const dln_label_evidence *e, int *period)
{
    *period = 1;
    if (e->loss_rel <= DLN_LABEL_MINIMUM_TOL)
        return DLN_REGIME_CONVERGED;
    *period = 0;
    return DLN_REGIME_SADDLE;
}

/* Step 5: the exponent decides an aperiodic orbit. */
static dln_regime by_exponent(const dln_label_evidence *e, dln_reason *why)
{
    double lam = e->lambda, err = e->lambda_err;
    if (isnan(lam)) {
        *why = DLN_REASON_NO_EXPONENT;
        return DLN_REGIME_UNRESOLVED;
    }
    if (isnan(err)) {   /* no error bar: the fixed threshold */
        *why = lam > DLN_LABEL_CHAOS_NO_ERROR ? DLN_REASON_EXPONENT_POSITIVE
                                              : DLN_REASON_EXPONENT_UNDECIDED;
        return lam > DLN_LABEL_CHAOS_NO_ERROR ? DLN_REGIME_CHAOTIC
                                              : DLN_REGIME_UNRESOLVED;
    }
    double bar = DLN_LABEL_SIGMAS * err;
    if (lam - bar > DLN_LABEL_LYAP_FLOOR) {
        *why = DLN_REASON_EXPONENT_POSITIVE;
        return DLN_REGIME_CHAOTIC;
    }
    if (fabs(lam) <= bar + DLN_LABEL_LYAP_FLOOR && e->lambda_converged &&
        bar <= DLN_LABEL_ZERO_RESOLUTION) {
        *why = e->saddle_visits ? DLN_REASON_INTERMITTENT
                                : DLN_REASON_EXPONENT_ZERO;
        return e->saddle_visits ? DLN_REGIME_UNRESOLVED
                                : DLN_REGIME_QUASIPERIODIC;
    }
    *why = lam + bar < -DLN_LABEL_LYAP_FLOOR ? DLN_REASON_STABLE_APERIODIC
                                             : DLN_REASON_EXPONENT_UNDECIDED;
    return DLN_REGIME_UNRESOLVED;
}

dln_regime dln_label_decide(const dln_label_evidence *e, int *period,
                            dln_reason *why)
{
    *period = 0;
    if (e->moved == 0) {
        *why = DLN_REASON_NOT_MOVED;
        return DLN_REGIME_UNRESOLVED;
    }
    if (e->diverged_later) {
        *why = DLN_REASON_DIVERGED_LATER;
        return DLN_REGIME_DIVERGENT;
    }
    *why = e->from_continuation ? DLN_REASON_SETTLED : DLN_REASON_PERIOD;
    int positive = !isnan(e->lambda) &&
                   (isnan(e->lambda_err)
                        ? e->lambda > DLN_LABEL_CHAOS_NO_ERROR
                        : e->lambda - DLN_LABEL_SIGMAS * e->lambda_err >
                              DLN_LABEL_LYAP_FLOOR);
    if (e->collapsed) {
        *why = positive ? DLN_REASON_HELD : DLN_REASON_COLLAPSE;
        return DLN_REGIME_COLLAPSED;
    }
    if (e->period >= 1 && positive)   /* it sits there all the same */
        *why = DLN_REASON_HELD;
    if (e->period == 1)
        return fixed_point(e, period);
    if (e->period > 1) {
        *period = e->period;
        return DLN_REGIME_PERIODIC;
    }
    if (e->period_fit > 0 && !positive) {
        *why = DLN_REASON_TRANSIENT;
        if (e->period_fit > 1) {
            *period = e->period_fit;
            return DLN_REGIME_PERIODIC;
        }
        if (e->loss_rel <= DLN_LABEL_MINIMUM_TOL || e->modes_settled)
            return fixed_point(e, period);
        *why = DLN_REASON_CONVERGING;
        return DLN_REGIME_UNRESOLVED;
    }
    return by_exponent(e, why);
}
