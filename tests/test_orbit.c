/* test_orbit.c — period detection on synthetic sequences: the logistic map's
 * period-doubling cascade and its period-3/5/6/7 windows, hand-made cycles,
 * tolerance, too-short and non-finite windows. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "run_testutil.h"
#include "dlnsweep/orbit.h"


/* Period of the logistic map x <- r x (1-x) after a transient, observed
 * through the 2-entry fingerprint (x, x^2). */
static int logistic_period(double r, long steps, int max_period, double tol)
{
    dln_orbit *o = NULL;
    assert_int_equal(dln_orbit_create(2, max_period, &o), 0);
    double x = 0.3;
    for (long t = 0; t < steps; t++) {
        x = r * x * (1.0 - x);
        double f[2] = {x, x * x};
        dln_orbit_push(o, f);
    }
    int p = dln_orbit_period(o, tol);
    dln_orbit_destroy(&o);
    assert_null(o);
    return p;
}

static void test_logistic_cascade(void **state)
{
    (void)state;
    assert_int_equal(logistic_period(2.8, 3000, 64, 1e-9), 1);
    assert_int_equal(logistic_period(3.2, 3000, 64, 1e-9), 2);
    assert_int_equal(logistic_period(3.5, 3000, 64, 1e-9), 4);
    assert_int_equal(logistic_period(3.55, 3000, 64, 1e-9), 8);
    assert_int_equal(logistic_period(3.5666, 5000, 64, 1e-9), 16);
}

static void test_logistic_windows(void **state)
{
    (void)state;
    /* Odd and non-power-of-two periods inside the chaotic band. */
    assert_int_equal(logistic_period(3.835, 3000, 64, 1e-9), 3);
    assert_int_equal(logistic_period(3.739, 3000, 64, 1e-9), 5);
    assert_int_equal(logistic_period(3.63, 3000, 64, 1e-9), 6);
    assert_int_equal(logistic_period(3.702, 3000, 64, 1e-9), 7);
    /* Chaos: no period up to 64. */
    assert_int_equal(logistic_period(4.0, 3000, 64, 1e-9), 0);
    assert_int_equal(logistic_period(3.7, 3000, 64, 1e-9), 0);
    /* Period 8 is not seen when max_period is 4. */
    assert_int_equal(logistic_period(3.55, 3000, 4, 1e-9), 0);
}

/* A hand-made p-cycle with noise of relative size eps on top. */
static int noisy_cycle_period(int p, double eps, double tol)
{
    dln_orbit *o = NULL;
    assert_int_equal(dln_orbit_create(3, 16, &o), 0);
    for (int t = 0; t < 100; t++) {
        int ph = t % p;
        double noise = eps * sin(1.0 + 0.37 * t * t);   /* aperiodic, |.| <= eps */
        double f[3] = {10.0 + ph + noise, -3.0 * ph, 0.0};
        dln_orbit_push(o, f);
    }
    int got = dln_orbit_period(o, tol);
    dln_orbit_destroy(&o);
    return got;
}

static void test_tolerance(void **state)
{
    (void)state;
    for (int p = 1; p <= 9; p++) {
        /* Noise 1e-9 relative to the largest entry passes tol 1e-7 ... */
        assert_int_equal(noisy_cycle_period(p, 1e-9 * 10, 1e-7), p);
        /* ... noise 1e-5 does not. */
        assert_int_equal(noisy_cycle_period(p, 1e-5 * 30, 1e-7), 0);
    }
}

static void test_defect_and_window(void **state)
{
    (void)state;
    dln_orbit *o = NULL;
    assert_int_equal(dln_orbit_create(1, 3, &o), 0);
    /* Nothing pushed: no period, NaN defect, no fingerprint. */
    assert_int_equal(dln_orbit_period(o, 1e-7), 0);
    assert_true(isnan(dln_orbit_defect(o, 1)));
    assert_null(dln_orbit_get(o, 0));
    double seq[] = {1, 2, 1, 2, 1};
    for (int i = 0; i < 4; i++)
        dln_orbit_push(o, &seq[i]);
    /* 4 samples: period 1 fails (defect 1/2), period 2 needs 5 samples. */
    assert_close(dln_orbit_defect(o, 1), 0.5, 1e-15);
    assert_int_equal(dln_orbit_period(o, 1e-7), 0);
    dln_orbit_push(o, &seq[4]);
    assert_int_equal(dln_orbit_period(o, 1e-7), 2);
    assert_close(dln_orbit_defect(o, 2), 0.0, 0.0);
    assert_int_equal(dln_orbit_count(o), 5);
    assert_close(*dln_orbit_get(o, 0), 1.0, 0.0);
    assert_close(*dln_orbit_get(o, 1), 2.0, 0.0);
    /* Wrap the ring (capacity 7) many times; the latest stays at lag 0. */
    for (int t = 0; t < 50; t++) {
        double v = (double)(t % 3);
        dln_orbit_push(o, &v);
    }
    assert_close(*dln_orbit_get(o, 0), 49 % 3, 0.0);
    assert_close(*dln_orbit_get(o, 6), 43 % 3, 0.0);
    assert_null(dln_orbit_get(o, 7));
    assert_int_equal(dln_orbit_period(o, 1e-7), 3);
    /* All-zero window: converged (period 1), defect exactly 0. */
    dln_orbit_reset(o);
    assert_int_equal(dln_orbit_count(o), 0);
    double zero = 0.0;
    for (int t = 0; t < 7; t++)
        dln_orbit_push(o, &zero);
    assert_int_equal(dln_orbit_period(o, 1e-7), 1);
    /* Only the latest pair repeats: 9 5 1 7 1 is not 2-periodic (7 != 5). */
    dln_orbit_reset(o);
    double part[] = {9, 5, 1, 7, 1};
    for (int t = 0; t < 5; t++)
        dln_orbit_push(o, &part[t]);
    assert_int_equal(dln_orbit_period(o, 1e-7), 0);
    assert_close(dln_orbit_defect(o, 2), 8.0 / 9.0, 1e-15);   /* 1 vs 9 */
    dln_orbit_destroy(&o);
    dln_orbit_destroy(&o);   /* NULL-safe */
}

static void test_nonfinite(void **state)
{
    (void)state;
    dln_orbit *o = NULL;
    assert_int_equal(dln_orbit_create(2, 4, &o), 0);
    for (int t = 0; t < 20; t++) {
        double f[2] = {1.0, t == 17 ? NAN : 2.0};
        dln_orbit_push(o, f);
    }
    assert_int_equal(dln_orbit_period(o, 1e-7), 0);
    assert_true(isnan(dln_orbit_defect(o, 1)));
    for (int t = 0; t < 20; t++) {
        double f[2] = {INFINITY, 2.0};
        dln_orbit_push(o, f);
    }
    assert_int_equal(dln_orbit_period(o, 1e-7), 0);
    dln_orbit_destroy(&o);
}

static void test_bad_args(void **state)
{
    (void)state;
    dln_orbit *o = (dln_orbit *)&o;
    assert_int_equal(dln_orbit_create(0, 4, &o), 2);
    assert_null(o);
    assert_int_equal(dln_orbit_create(2, 0, &o), 2);
    assert_null(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logistic_cascade),
        cmocka_unit_test(test_logistic_windows),
        cmocka_unit_test(test_tolerance),
        cmocka_unit_test(test_defect_and_window),
        cmocka_unit_test(test_nonfinite),
        cmocka_unit_test(test_bad_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
