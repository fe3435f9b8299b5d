/* test_run_modes.c — dln_run on a width-3, depth-3 network with target
 * spectrum (10, 9.5, 9): which modes oscillate, the balancing gap beyond the
 * edge of stability, the sharpness of a converged run, the full Hessian
 * spectrum, rotated targets, bad and extreme inputs.
 *
 * Mode i starts oscillating at eta_i = 2/(L s_i^(2-2/L)):
 * 0.030943 (s=10), 0.033135 (9.5), 0.035612 (9); mode 1 leaves its 2-cycle
 * at 0.8297 / 10^(4/3) = 0.03851. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include "run_testutil.h"
#include "dlnsweep/diagnostics.h"
#include "dlnsweep/label.h"
#include "dlnsweep/run.h"
#include "dlnsweep/theory.h"


static dln_params net(double eta, dln_init_kind init, int rotate)
{
    dln_params p;
    dln_params_defaults(&p);   /* L = 3, width 3, spectrum 10, 9.5, 9 */
    p.eta = eta;
    p.init = init;
    p.alpha = 1.0;
    p.rotate = rotate;
    p.steps = 3000;
    p.record_every = 500;
    p.seed = 11;
    return p;
}

/* n_oscillating (measured on the orbit) equals the theory's count between
 * consecutive thresholds.  Balanced init keeps every mode on its scalar
 * balanced map. */
static void test_oscillating_modes(void **state)
{
    (void)state;
    static const double etas[] = {0.029, 0.0320, 0.0345, 0.0372};
    for (int k = 0; k < 4; k++) {
        dln_params p = net(etas[k], DLN_INIT_BALANCED, 0);
        dln_result r;
        run_ok(&p, &r);
        int want = dln_theory_oscillating_modes(&p);
        assert_int_equal(want, k);
        if (r.n_oscillating != want)
            fail_msg("eta=%g: %d modes oscillate, theory %d", p.eta,
                     r.n_oscillating, want);
        assert_int_equal(r.regime, k ? DLN_REGIME_PERIODIC
                                     : DLN_REGIME_CONVERGED);
        assert_int_equal(r.period, k ? 2 : 1);
        /* modes below their threshold sit at s_i exactly */
        for (int i = k; i < 3; i++) {
            int found = 0;
            for (int j = 0; j < r.n_sv_product; j++)
                found |= fabs(r.sv_product[j] - p.spectrum[i]) < 1e-9;
            assert_true(found);
        }
        dln_result_clear(&r);
    }
    /* Close to mode 1's threshold 0.030943: 0.09% above, its 2-cycle spans
     * ~0.45 (4.5% of s_1) and counts; 0.5% below it has died out. */
    static const double near[] = {0.0308, 0.03097};
    for (int k = 0; k < 2; k++) {
        dln_params p = net(near[k], DLN_INIT_BALANCED, 0);
        dln_result r;
        run_ok(&p, &r);
        assert_int_equal(dln_theory_oscillating_modes(&p), k);
        assert_int_equal(r.n_oscillating, k);
        assert_int_equal(r.period, k ? 2 : 1);
        dln_result_clear(&r);
    }
}

/* The same counts hold for a rotated target while the orbit is periodic
 * (here: one mode oscillating); the oscillation is measured in the
 * target's singular bases. */
static void test_rotated_periodic(void **state)
{
    (void)state;
    for (int seed = 1; seed <= 2; seed++) {
        dln_params p = net(0.0315, DLN_INIT_BALANCED, 1);
        p.seed = (uint64_t)seed;
        dln_result r;
        run_ok(&p, &r);
        assert_int_equal(r.regime, DLN_REGIME_PERIODIC);
        assert_int_equal(r.period, 2);
        assert_int_equal(r.n_oscillating, 1);
        dln_result_clear(&r);
    }
}

/* Above the cross thresholds 2/lambda_12 (~0.032-0.034) a rotated target
 * mixes modes: where the diagonal target is a clean 2-cycle (previous
 * test), the rotated one is not periodic (chaotic, or divergent). */
static void test_rotated_mixing(void **state)
{
    (void)state;
    dln_params p = net(0.0345, DLN_INIT_BALANCED, 1);
    p.seed = 1;
    dln_result r;
    run_ok(&p, &r);
    assert_true(r.regime == DLN_REGIME_CHAOTIC ||
                r.regime == DLN_REGIME_DIVERGENT);
    if (r.regime == DLN_REGIME_CHAOTIC)
        assert_true(r.lyapunov - DLN_LABEL_SIGMAS * r.lyapunov_err >
                    DLN_LABEL_LYAP_FLOOR);
    dln_result_clear(&r);
}

/* Beyond the EOS the balancing gap decays: standard init (W_3 = 0,
 * W_1 = W_2 = I: gap sqrt(3) at step 0), every mode oscillating. */
static void test_balancing_gap_decays(void **state)
{
    (void)state;
    dln_params p = net(0.0372, DLN_INIT_IDENTITY, 0);
    dln_result r;
    run_ok(&p, &r);
    assert_int_equal(r.regime, DLN_REGIME_PERIODIC);
    assert_int_equal(r.n_oscillating, 3);
    assert_close(r.traj[0].balance_gap, sqrt(3.0), 1e-12);
    assert_true(r.balance_gap < 1e-8 * r.traj[0].balance_gap);
    dln_result_clear(&r);
    /* Below the EOS nothing shrinks it to 0: the gap stays O(1). */
    p = net(0.02, DLN_INIT_IDENTITY, 0);
    run_ok(&p, &r);
    assert_int_equal(r.regime, DLN_REGIME_CONVERGED);
    assert_true(r.balance_gap > 0.1);
    dln_result_clear(&r);
}

/* Converged below the EOS from a balanced init: sharpness L s_1^(2-2/L),
 * and the dense spectrum agrees with Lanczos and has nothing above 2/eta. */
static void test_converged_sharpness_and_spectrum(void **state)
{
    (void)state;
    dln_params p = net(0.02, DLN_INIT_BALANCED, 0);
    p.full_spectrum = 1;
    dln_result r;
    run_ok(&p, &r);
    assert_int_equal(r.regime, DLN_REGIME_CONVERGED);
    double want = dln_theory_sharpness(&p);          /* 3 * 10^(4/3) */
    assert_close(want, 3.0 * pow(10.0, 4.0 / 3.0), 1e-12);
    assert_close(r.sharpness, want, 1e-8 * want);
    assert_int_equal(r.n_hessian_spectrum, 27);
    for (int i = 1; i < 27; i++)
        assert_true(r.hessian_spectrum[i] >= r.hessian_spectrum[i - 1]);
    assert_close(r.hessian_spectrum[26], r.sharpness, 1e-8 * want);
    assert_int_equal(r.n_hessian_above_eos, 0);
    assert_int_equal(r.n_sv_layers, 3);
    /* each balanced layer ends at s_i^(1/3) */
    assert_close(r.sv_layers[0], cbrt(10.0), 1e-9);
    dln_result_clear(&r);
    /* Above the EOS a 2-cycle point can sit above 2/eta; the count matches
     * the spectrum it came from. */
    p = net(0.0372, DLN_INIT_BALANCED, 0);
    p.full_spectrum = 1;
    run_ok(&p, &r);
    int above = 0;
    for (int i = 0; i < r.n_hessian_spectrum; i++)
        above += r.hessian_spectrum[i] > 2.0 / p.eta;
    assert_int_equal(r.n_hessian_above_eos, above);
    dln_result_clear(&r);
}

/* Huge steps or scales diverge (non-finite losses included) without
 * crashing; NaN/Inf parameters are rejected before anything runs. */
static void test_extremes(void **state)
{
    (void)state;
    static const double etas[] = {1e6, 1e300};
    for (int k = 0; k < 2; k++) {
        dln_params p = net(etas[k], DLN_INIT_GAUSSIAN, 1);
        dln_result r;
        run_ok(&p, &r);
        assert_int_equal(r.regime, DLN_REGIME_DIVERGENT);
        assert_true(r.diverge_step >= 1 && r.diverge_step <= 5);
        dln_result_clear(&r);
    }
    dln_params p = net(0.01, DLN_INIT_BALANCED, 0);
    p.alpha = 1e200;   /* product overflows at step 0 */
    dln_result r;
    run_ok(&p, &r);
    assert_int_equal(r.regime, DLN_REGIME_DIVERGENT);
    assert_int_equal(r.diverge_step, 0);
    dln_result_clear(&r);

    dln_params bad[4];
    for (int k = 0; k < 4; k++)
        bad[k] = net(0.01, DLN_INIT_BALANCED, 0);
    bad[0].eta = NAN;
    bad[1].eta = INFINITY;
    bad[2].spectrum[1] = NAN;
    bad[3].alpha = -INFINITY;
    for (int k = 0; k < 4; k++) {
        dln_result_init(&r);
        assert_int_equal(dln_run(&bad[k], &r), 2);
        assert_int_equal(r.regime, DLN_REGIME_ERROR);
        assert_true(r.error[0] != '\0');
        dln_result_clear(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oscillating_modes),
        cmocka_unit_test(test_rotated_periodic),
        cmocka_unit_test(test_rotated_mixing),
        cmocka_unit_test(test_balancing_gap_decays),
        cmocka_unit_test(test_converged_sharpness_and_spectrum),
        cmocka_unit_test(test_extremes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
