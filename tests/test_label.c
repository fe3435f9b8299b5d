/* test_label.c — the regime decision of label.h on constructed evidence:
 * each rule, the order of the rules, and the thresholds at their edges. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "dlnsweep/label.h"

static dln_label_evidence moved(void)
{
    dln_label_evidence e;
    dln_label_evidence_init(&e);
    e.moved = 1;
    e.from_continuation = 1;
    e.loss_rel = 0.3;
    return e;
}

static void expect(const dln_label_evidence *e, dln_regime g, int period,
                   dln_reason why)
{
    int p = -1;
    dln_reason w = DLN_REASON_NONE;
    dln_regime got = dln_label_decide(e, &p, &w);
    if (got != g || p != period || w != why)
        fail_msg("got %s/%d (%s), expected %s/%d (%s)", dln_regime_name(got),
                 p, dln_reason_name(w), dln_regime_name(g), period,
                 dln_reason_name(why));
}

/* Fixed points: a minimum only with (almost) no loss left. */
static void fixed_points(void **state)
{
    (void)state;
    dln_label_evidence e = moved();
    e.period = 1;
    e.loss_rel = 0.5 * DLN_LABEL_MINIMUM_TOL;
    expect(&e, DLN_REGIME_CONVERGED, 1, DLN_REASON_SETTLED);
    e.loss_rel = 2.0 * DLN_LABEL_MINIMUM_TOL;
    expect(&e, DLN_REGIME_SADDLE, 0, DLN_REASON_SETTLED);
    e.collapsed = 1;   /* the zero saddle comes first */
    expect(&e, DLN_REGIME_COLLAPSED, 0, DLN_REASON_COLLAPSE);
    e.lambda = 0.14;   /* an unstable saddle, held there */
    e.lambda_err = 1e-6;
    expect(&e, DLN_REGIME_COLLAPSED, 0, DLN_REASON_HELD);
    e.collapsed = 0;
    expect(&e, DLN_REGIME_SADDLE, 0, DLN_REASON_HELD);
    e.period = 2;
    expect(&e, DLN_REGIME_PERIODIC, 2, DLN_REASON_HELD);
    e.period = 1;
    e.lambda = e.lambda_err = NAN;
    e.from_continuation = 0;
    e.loss_rel = 0.0;
    expect(&e, DLN_REGIME_CONVERGED, 1, DLN_REASON_PERIOD);
}

/* Not moved and a later divergence come before anything else. */
static void precedence(void **state)
{
    (void)state;
    dln_label_evidence e = moved();
    e.period = 2;
    e.moved = 0;
    expect(&e, DLN_REGIME_UNRESOLVED, 0, DLN_REASON_NOT_MOVED);
    e.moved = -1;   /* unknown: no verdict from it */
    expect(&e, DLN_REGIME_PERIODIC, 2, DLN_REASON_SETTLED);
    e.diverged_later = 1;
    expect(&e, DLN_REGIME_DIVERGENT, 0, DLN_REASON_DIVERGED_LATER);
}

/* A period the run is still settling onto counts unless the exponent is
 * positive beyond its error bar; a fixed point it settles onto must have
 * its modes at s_i or 0 to be named. */
static void slow_transients(void **state)
{
    (void)state;
    dln_label_evidence e = moved();
    e.period_fit = 2;
    e.lambda = -1e-3;
    e.lambda_err = 0.0;
    expect(&e, DLN_REGIME_PERIODIC, 2, DLN_REASON_TRANSIENT);
    e.lambda = 0.1;
    e.lambda_err = 1e-3;
    e.lambda_converged = 1;
    expect(&e, DLN_REGIME_CHAOTIC, 0, DLN_REASON_EXPONENT_POSITIVE);
    e.lambda = -1e-3;
    e.period_fit = 1;
    expect(&e, DLN_REGIME_UNRESOLVED, 0, DLN_REASON_CONVERGING);
    e.modes_settled = 1;
    expect(&e, DLN_REGIME_SADDLE, 0, DLN_REASON_TRANSIENT);
    e.loss_rel = 0.0;
    expect(&e, DLN_REGIME_CONVERGED, 1, DLN_REASON_TRANSIENT);
}

/* Aperiodic orbits by their exponent and its error bar. */
static void exponents(void **state)
{
    (void)state;
    double floor = DLN_LABEL_LYAP_FLOOR, z = DLN_LABEL_SIGMAS;
    dln_label_evidence e = moved();
    expect(&e, DLN_REGIME_UNRESOLVED, 0, DLN_REASON_NO_EXPONENT);
    e.lambda_converged = 1;
    e.lambda_err = 1e-3;
    e.lambda = floor + z * 1e-3 + 1e-9;   /* just beyond the bar */
    expect(&e, DLN_REGIME_CHAOTIC, 0, DLN_REASON_EXPONENT_POSITIVE);
    e.lambda = floor + z * 1e-3 - 1e-9;   /* 0 within the bar */
    expect(&e, DLN_REGIME_QUASIPERIODIC, 0, DLN_REASON_EXPONENT_ZERO);
    e.lambda = -(floor + z * 1e-3 - 1e-9);
    expect(&e, DLN_REGIME_QUASIPERIODIC, 0, DLN_REASON_EXPONENT_ZERO);
    e.saddle_visits = 3;   /* bursting at the zero saddle: not a circle */
    expect(&e, DLN_REGIME_UNRESOLVED, 0, DLN_REASON_INTERMITTENT);
    e.saddle_visits = 0;
    e.lambda_converged = 0;   /* the tolerance was not met: no verdict */
    expect(&e, DLN_REGIME_UNRESOLVED, 0, DLN_REASON_EXPONENT_UNDECIDED);
    e.lambda = -(floor + z * 1e-3 + 1e-9);
    expect(&e, DLN_REGIME_UNRESOLVED, 0, DLN_REASON_STABLE_APERIODIC);
    /* A large error bar: neither sign decided. */
    e.lambda_converged = 1;
    e.lambda = 0.05;
    e.lambda_err = 0.05;
    expect(&e, DLN_REGIME_UNRESOLVED, 0, DLN_REASON_EXPONENT_UNDECIDED);
    /* No error bar (the distributed engine): the fixed threshold. */
    e.lambda_err = NAN;
    e.lambda = 2.0 * DLN_LABEL_CHAOS_NO_ERROR;
    expect(&e, DLN_REGIME_CHAOTIC, 0, DLN_REASON_EXPONENT_POSITIVE);
    e.lambda = 0.5 * DLN_LABEL_CHAOS_NO_ERROR;
    expect(&e, DLN_REGIME_UNRESOLVED, 0, DLN_REASON_EXPONENT_UNDECIDED);
}

/* Every regime and reason has its database text. */
static void names(void **state)
{
    (void)state;
    assert_string_equal(dln_regime_name(DLN_REGIME_SADDLE), "saddle");
    assert_string_equal(dln_regime_name(DLN_REGIME_QUASIPERIODIC),
                        "quasiperiodic");
    assert_string_equal(dln_regime_name(DLN_REGIME_ERROR), "error");
    assert_null(dln_reason_name(DLN_REASON_NONE));
    for (int w = DLN_REASON_NONE + 1; w < DLN_REASON_COUNT; w++)
        assert_non_null(dln_reason_name((dln_reason)w));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fixed_points),
        cmocka_unit_test(precedence),
        cmocka_unit_test(slow_transients),
        cmocka_unit_test(exponents),
        cmocka_unit_test(names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
