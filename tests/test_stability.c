/* test_stability.c — the amplitude-equation fit decides which side of the
 * scalar L=2, s=1 flip bifurcations (eta = 1 and sqrt(5) - 1) a run is on,
 * a distance 1e-6 away, from 3e5 steps, where brute force needs ~1e7. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>
#include "dlnsweep/run.h"
#include "dlnsweep/stability.h"

/* Balanced scalar map u <- u - eta (u^2 - 1) u; samples of |x_t - x_{t-p}|
 * every 2p steps over the last `window` of `steps` steps. */
static int sample(double eta, int p, long steps, long window, double *a)
{
    double *x = malloc(sizeof(double) * (size_t)steps), u = 0.5;
    int n = 0;
    for (long t = 0; t < steps; t++) {
        u = u - eta * (u * u - 1.0) * u;
        x[t] = u;
    }
    for (long t = steps - window; t < steps; t += 2 * p)
        a[n++] = fabs(x[t] - x[t - p]);
    free(x);
    return n;
}

static void side_of(double eta, int p, int expect_sign)
{
    long steps = 300000, window = 100000;
    double *a = malloc(sizeof(double) * (size_t)window), mu = 0.0, c = 0.0;
    int n = sample(eta, p, steps, window, a);
    assert_int_equal(dln_stability_growth_rate(a, n, 0.0, &mu, &c), 0);
    assert_true(mu * expect_sign > 0.0);
    assert_true(c > 0.0);   /* supercritical flip: the cycle is born stable */
    free(a);
}

static void first_flip_at_one(void **state)
{
    (void)state;
    side_of(1.0 - 1e-6, 1, -1);
    side_of(1.0 + 1e-6, 1, +1);
    side_of(1.0 - 2e-7, 1, -1);
    side_of(1.0 + 2e-7, 1, +1);
}

static void second_flip_at_sqrt5_minus_1(void **state)
{
    (void)state;
    double b = sqrt(5.0) - 1.0;
    side_of(b - 1e-6, 2, -1);
    side_of(b + 1e-6, 2, +1);
}

/* mu grows linearly with the distance: 4 (eta - 1) per two steps at eta=1. */
static void rate_is_linear_in_distance(void **state)
{
    (void)state;
    long window = 100000;
    double *a = malloc(sizeof(double) * (size_t)window), mu;
    int n = sample(1.0 + 1e-5, 1, 300000, window, a);
    assert_int_equal(dln_stability_growth_rate(a, n, 0.0, &mu, NULL), 0);
    assert_float_equal(mu, 4e-5, 4e-7);
    free(a);
}

/* A settled cycle and too few samples are not fits. */
static void degenerate_inputs(void **state)
{
    (void)state;
    double flat[20], mu;
    for (int i = 0; i < 20; i++)
        flat[i] = 0.25;
    assert_int_equal(dln_stability_growth_rate(flat, 20, 0.0, &mu, NULL), 2);
    assert_int_equal(dln_stability_growth_rate(flat, 5, 0.0, &mu, NULL), 2);
    flat[3] = NAN;
    assert_int_equal(dln_stability_growth_rate(flat, 20, 0.0, &mu, NULL), 2);
}

/* dln_run, scalar L=2 s=1 balanced: the label a distance 1e-6 from each
 * flip is decided from 3e5 steps; with the fit switched off the same runs
 * are misread (the dying oscillation still exceeds period_tol). */
static dln_result run_scalar(double eta, long window)
{
    dln_params p;
    dln_result r;
    char err[128];
    dln_params_defaults(&p);
    p.depth = 2;
    p.width = 1;
    assert_int_equal(dln_params_parse_spectrum(&p, "1", err, sizeof err), 0);
    p.init = DLN_INIT_BALANCED;
    p.alpha = 0.5;
    p.eta = eta;
    p.steps = 300000;
    p.record_every = 0;
    p.lyapunov_steps = 200;
    p.transient_window = window;
    dln_result_init(&r);
    assert_int_equal(dln_run(&p, &r), 0);
    return r;
}

static void run_labels_near_flips(void **state)
{
    (void)state;
    static const struct { double eta; int period; } cases[] = {
        {1.0 - 1e-6, 1}, {1.0 + 1e-6, 2},
        {1.2360679774997896 - 1e-6, 2}, {1.2360679774997896 + 1e-6, 4}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        dln_result r = run_scalar(cases[k].eta, 100000);
        assert_int_equal(r.period, cases[k].period);
        assert_int_equal(r.regime, cases[k].period == 1
                                       ? DLN_REGIME_CONVERGED
                                       : DLN_REGIME_PERIODIC);
        dln_result_clear(&r);
    }
    dln_result r = run_scalar(1.0 - 1e-6, 0);   /* fit off: misread */
    assert_int_equal(r.period, 2);
    dln_result_clear(&r);
}

/* Target (10, 9.5, 9), L=3: 0.14% below mode 1's threshold 0.030945 the
 * oscillation dies out (converged, no oscillating mode); above it, a 2-cycle
 * with one oscillating mode, both from 3000 steps with the default window. */
static void run_labels_below_mode_threshold(void **state)
{
    (void)state;
    dln_params p;
    dln_result r;
    char err[128];
    dln_params_defaults(&p);
    assert_int_equal(dln_params_parse_spectrum(&p, "10,9.5,9", err, sizeof err), 0);
    p.steps = 3000;
    p.eta = 0.0309;
    dln_result_init(&r);
    assert_int_equal(dln_run(&p, &r), 0);
    assert_int_equal(r.regime, DLN_REGIME_CONVERGED);
    assert_int_equal(r.n_oscillating, 0);
    dln_result_clear(&r);
    p.eta = 0.0311;
    assert_int_equal(dln_run(&p, &r), 0);
    assert_int_equal(r.regime, DLN_REGIME_PERIODIC);
    assert_int_equal(r.period, 2);
    assert_int_equal(r.n_oscillating, 1);
    dln_result_clear(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(first_flip_at_one),
        cmocka_unit_test(second_flip_at_sqrt5_minus_1),
        cmocka_unit_test(rate_is_linear_in_distance),
        cmocka_unit_test(degenerate_inputs),
        cmocka_unit_test(run_labels_near_flips),
        cmocka_unit_test(run_labels_below_mode_threshold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
