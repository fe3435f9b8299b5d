/* test_stability.c — the amplitude-equation fit decides which side of the
 * scalar L=2, s=1 flip bifurcations (eta = 1 and sqrt(5) - 1) a run is on,
 * a distance 1e-6 away, from 3e5 steps, where brute force needs ~1e7. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>
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
    assert_int_equal(dln_stability_growth_rate(a, n, &mu, &c), 0);
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
    assert_int_equal(dln_stability_growth_rate(a, n, &mu, NULL), 0);
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
    assert_int_equal(dln_stability_growth_rate(flat, 20, &mu, NULL), 2);
    assert_int_equal(dln_stability_growth_rate(flat, 5, &mu, NULL), 2);
    flat[3] = NAN;
    assert_int_equal(dln_stability_growth_rate(flat, 20, &mu, NULL), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(first_flip_at_one),
        cmocka_unit_test(second_flip_at_sqrt5_minus_1),
        cmocka_unit_test(rate_is_linear_in_distance),
        cmocka_unit_test(degenerate_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
