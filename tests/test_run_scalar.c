/* test_run_scalar.c — dln_run on width-1 networks against the scalar
 * theory: the balanced map u <- u - eta (u^L - s) u^(L-1) with s = 1.
 *
 * L = 2: converged below eta = 1, 2-cycle above 1 with end-to-end values
 * [(1+eta) +- sqrt((1+eta)^2 - 4)] / (2 eta), 4-cycle above sqrt(5) - 1,
 * divergent above 2.  L = 3: 2-cycle on (2/3, 0.8297), 4-cycle on
 * (0.8297, 0.8669), chaos at 0.88, a period-6 window at 0.9, collapse to
 * the zero saddle at 1.3.  3000 steps settle every case below to well under
 * the period tolerance 1e-7 (checked against an independent float64
 * iteration of the scalar map: the orbits are reached within ~500 steps). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include "run_testutil.h"
#include "dlnsweep/label.h"
#include "dlnsweep/run.h"


static dln_params scalar(int L, double eta, dln_init_kind init, double alpha)
{
    dln_params p;
    dln_params_defaults(&p);
    p.depth = L;
    p.width = 1;
    p.rank = 1;
    p.spectrum[0] = 1.0;
    p.spectrum[1] = p.spectrum[2] = 0.0;
    p.init = init;
    p.alpha = alpha;
    p.eta = eta;
    p.steps = 3000;
    p.record_every = 100;
    p.seed = 7;
    return p;
}

static void expect_regime(int L, double eta, dln_init_kind init,
                          double alpha, dln_regime regime, int period)
{
    dln_params p = scalar(L, eta, init, alpha);
    dln_result r;
    run_ok(&p, &r);
    if (r.regime != regime || r.period != period)
        fail_msg("L=%d eta=%g init=%s: got %s/%d, expected %s/%d (lyap %g)",
                 L, eta, dln_init_name(init), dln_regime_name(r.regime),
                 r.period, dln_regime_name(regime), period, r.lyapunov);
    if (regime == DLN_REGIME_PERIODIC || regime == DLN_REGIME_CONVERGED) {
        /* Regular orbits: no positive Lyapunov exponent. */
        assert_true(r.lyapunov - DLN_LABEL_SIGMAS * r.lyapunov_err <=
                    DLN_LABEL_LYAP_FLOOR);
        assert_int_equal(r.diverge_step, -1);
        assert_int_equal(r.steps_done, p.steps);
    }
    dln_result_clear(&r);
}

/* L = 2, both the standard init (W_2 = 0, W_1 = 1) and balanced 0.5. */
static void test_l2_regimes(void **state)
{
    (void)state;
    static const dln_init_kind inits[] = {DLN_INIT_IDENTITY,
                                          DLN_INIT_BALANCED};
    static const double alphas[] = {1.0, 0.5};
    for (int k = 0; k < 2; k++) {
        expect_regime(2, 0.9, inits[k], alphas[k], DLN_REGIME_CONVERGED, 1);
        expect_regime(2, 1.05, inits[k], alphas[k], DLN_REGIME_PERIODIC, 2);
        expect_regime(2, 1.2, inits[k], alphas[k], DLN_REGIME_PERIODIC, 2);
        /* just above sqrt(5) - 1 = 1.2360680 */
        expect_regime(2, 1.25, inits[k], alphas[k], DLN_REGIME_PERIODIC, 4);
    }
}

/* The 2-cycle's end-to-end values are the roots of eta p^2 - (1+eta) p + 1. */
static void test_l2_two_cycle_values(void **state)
{
    (void)state;
    static const double etas[] = {1.05, 1.1, 1.2};
    for (int k = 0; k < 3; k++)
        for (int init = 0; init < 2; init++) {
            double eta = etas[k];
            dln_params p = scalar(2, eta, init ? DLN_INIT_BALANCED
                                               : DLN_INIT_IDENTITY,
                                  init ? 0.5 : 1.0);
            dln_result r;
            run_ok(&p, &r);
            assert_int_equal(r.period, 2);
            assert_true(r.n_orbit == p.tail);
            double a = r.orbit_sv1[r.n_orbit - 1], b = r.orbit_sv1[r.n_orbit - 2];
            double hi = fmax(a, b), lo = fmin(a, b);
            double disc = sqrt((1 + eta) * (1 + eta) - 4);
            double want_hi = (1 + eta + disc) / (2 * eta);
            double want_lo = (1 + eta - disc) / (2 * eta);
            assert_close(hi, want_hi, 1e-6 * want_hi);
            assert_close(lo, want_lo, 1e-6 * want_lo);
            /* Loss on the cycle is 1/2 (p - 1)^2 at each point. */
            double la = r.orbit_loss[r.n_orbit - 1];
            assert_close(la, 0.5 * (a - 1) * (a - 1), 1e-12);
            /* The orbit is balanced: the gap decayed (standard init starts
             * at |W_2^2 - W_1^2| = 1). */
            assert_true(r.balance_gap < 1e-10);
            assert_int_equal(r.n_oscillating, 1);
            /* past the only mode's threshold 2/(L s^(2-2/L)) = 1 */
            assert_int_equal(r.n_oscillating_theory, 1);
            assert_true(r.eos_ratio == r.sharpness * eta / 2.0);
            dln_result_clear(&r);
        }
}

/* Beyond eta = 2 the L = 2 map diverges; the step is recorded. */
static void test_l2_divergent(void **state)
{
    (void)state;
    for (int init = 0; init < 2; init++) {
        dln_params p = scalar(2, 2.05, init ? DLN_INIT_BALANCED
                                            : DLN_INIT_IDENTITY,
                              init ? 0.5 : 1.0);
        dln_result r;
        run_ok(&p, &r);
        assert_int_equal(r.regime, DLN_REGIME_DIVERGENT);
        assert_true(r.diverge_step > 0 && r.diverge_step < 200);
        assert_int_equal(r.steps_done, r.diverge_step);
        assert_true(!(r.final_loss <= p.diverge_bound));
        assert_true(isnan(r.sharpness) && isnan(r.balance_gap));
        assert_int_equal(r.period, 0);
        dln_result_clear(&r);
    }
    /* The bound, not only overflow, decides: loss 1/2 at step 0 > 0.4. */
    dln_params p = scalar(2, 1.05, DLN_INIT_IDENTITY, 1.0);
    p.diverge_bound = 0.4;
    dln_result r;
    run_ok(&p, &r);
    assert_int_equal(r.regime, DLN_REGIME_DIVERGENT);
    assert_int_equal(r.diverge_step, 0);
    assert_close(r.final_loss, 0.5, 0.0);
    dln_result_clear(&r);
    /* ... and at 2.05 a bound of 10 stops the run at a finite loss > 10. */
    p = scalar(2, 2.05, DLN_INIT_IDENTITY, 1.0);
    p.diverge_bound = 10.0;
    run_ok(&p, &r);
    assert_int_equal(r.regime, DLN_REGIME_DIVERGENT);
    assert_true(r.final_loss > 10.0 && isfinite(r.final_loss));
    dln_result_clear(&r);
}

/* L = 3 balanced: the period-doubling route to chaos of the scalar map. */
static void test_l3_cascade(void **state)
{
    (void)state;
    static const double two[] = {0.7, 0.75, 0.8};       /* (0.6667, 0.8297) */
    static const double four[] = {0.84, 0.85, 0.86};    /* (0.8297, 0.8669) */
    expect_regime(3, 0.6, DLN_INIT_BALANCED, 0.5, DLN_REGIME_CONVERGED, 1);
    for (int k = 0; k < 3; k++) {
        expect_regime(3, two[k], DLN_INIT_BALANCED, 0.5, DLN_REGIME_PERIODIC,
                      2);
        expect_regime(3, four[k], DLN_INIT_BALANCED, 0.5, DLN_REGIME_PERIODIC,
                      4);
    }
    /* A period-6 window inside the chaotic band. */
    expect_regime(3, 0.9, DLN_INIT_BALANCED, 0.5, DLN_REGIME_PERIODIC, 6);
}

/* Chaos at 0.88: positive Lyapunov exponent, near the scalar map's
 * 0.093 per step (20000-step average of log|f'(u)| of the 1-D map). */
static void test_l3_chaotic(void **state)
{
    (void)state;
    dln_params p = scalar(3, 0.88, DLN_INIT_BALANCED, 0.5);
    dln_result r;
    run_ok(&p, &r);
    assert_int_equal(r.regime, DLN_REGIME_CHAOTIC);
    assert_int_equal(r.period, 0);
    assert_true(r.lyapunov > 0.05 && r.lyapunov < 0.15);
    /* bounded: the loss stays O(1) */
    assert_true(r.final_loss < 1.0);
    dln_result_clear(&r);
}

/* Odd depth, large eta: the product flips sign and creeps to the zero
 * saddle, W_{L:1} ~ 0 with loss 1/2 s^2. */
static void test_l3_collapsed(void **state)
{
    (void)state;
    dln_params p = scalar(3, 1.3, DLN_INIT_BALANCED, 0.5);
    dln_result r;
    run_ok(&p, &r);
    assert_int_equal(r.regime, DLN_REGIME_COLLAPSED);
    assert_close(r.final_loss, 0.5, 1e-6);
    assert_true(r.sv_product[0] < 1e-6);
    dln_result_clear(&r);
    /* Even depth cannot collapse: L = 2 at the same eta is periodic. */
    p = scalar(2, 1.3, DLN_INIT_BALANCED, 0.5);
    run_ok(&p, &r);
    assert_true(r.regime != DLN_REGIME_COLLAPSED);
    dln_result_clear(&r);
}

/* Sharpness at a converged run is L s^(2-2/L) (balanced minimum). */
static void test_converged_sharpness(void **state)
{
    (void)state;
    dln_params p = scalar(2, 0.9, DLN_INIT_BALANCED, 0.5);
    dln_result r;
    run_ok(&p, &r);
    assert_int_equal(r.regime, DLN_REGIME_CONVERGED);
    assert_close(r.sharpness, 2.0, 1e-9);
    assert_close(r.final_loss, 0.0, 1e-20);
    /* sharpness L s^(2-2/L) = 2 at eta 0.9: 0.9 of the edge, no mode past
     * its 2/eta threshold (1 for s = 1) */
    assert_close(r.eos_ratio, 0.9, 1e-9);
    assert_true(r.eos_ratio == r.sharpness * p.eta / 2.0);
    assert_int_equal(r.n_oscillating_theory, 0);
    dln_result_clear(&r);
    p = scalar(3, 0.6, DLN_INIT_BALANCED, 0.5);
    run_ok(&p, &r);
    assert_close(r.sharpness, 3.0, 1e-9);
    dln_result_clear(&r);
}

/* Trajectory layout: points at 0, K, 2K, ..., steps; sharpness only where
 * asked and at the end; identical results from identical params. */
static void test_trajectory_and_determinism(void **state)
{
    (void)state;
    dln_params p = scalar(2, 1.05, DLN_INIT_IDENTITY, 1.0);
    p.steps = 1050;
    p.record_every = 100;
    p.sharpness_every = 200;
    dln_result r, r2;
    run_ok(&p, &r);
    assert_int_equal(r.n_traj, 12);   /* 0..1000 by 100, and 1050 */
    for (int i = 0; i < 11; i++) {
        assert_int_equal(r.traj[i].step, 100L * i);
        assert_int_equal(!!isnan(r.traj[i].sharpness), (i % 2) != 0);
    }
    assert_int_equal(r.traj[11].step, 1050);
    assert_close(r.traj[11].sharpness, r.sharpness, 0.0);
    assert_close(r.traj[0].loss, 0.5, 1e-15);   /* W_2 = 0: loss 1/2 */
    assert_close(r.traj[0].balance_gap, 1.0, 1e-15);
    /* on the 2-cycle the mode moves every step */
    assert_int_equal(r.traj[11].n_oscillating, 1);
    assert_int_equal(r.traj[0].n_oscillating, 0);
    run_ok(&p, &r2);
    assert_true(r.final_loss == r2.final_loss);
    assert_true(r.lyapunov == r2.lyapunov);
    assert_true(r.sharpness == r2.sharpness);
    dln_result_clear(&r);
    dln_result_clear(&r2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_l2_regimes),
        cmocka_unit_test(test_l2_two_cycle_values),
        cmocka_unit_test(test_l2_divergent),
        cmocka_unit_test(test_l3_cascade),
        cmocka_unit_test(test_l3_chaotic),
        cmocka_unit_test(test_l3_collapsed),
        cmocka_unit_test(test_converged_sharpness),
        cmocka_unit_test(test_trajectory_and_determinism),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
