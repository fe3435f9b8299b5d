/* test_ritz.c — the warm-started Hessian tracker (ritz.h) against the
 * dense spectrum (dln_model_hessian + LAPACK dsyev) at every step of a
 * 2-cycle, of a chaotic orbit and at a balanced minimum with repeated
 * eigenvalues, and what a warm step costs in HVPs. */
#include "engine_testutil.h"
#include "dlnsweep/rng.h"
#include "dlnsweep/ritz.h"

#define K 4

static void hvp(void *ctx, const double *v, double *hv)
{
    dln_model_hvp(ctx, v, hv);
}

static void start(void *ctx, int j, double *v)
{
    dln_rng_normal(7, DLN_STREAM_RITZ + ((uint64_t)j << 32), v,
                   dln_model_nparams(ctx));
}

/* The top K eigenvalues of the dense Hessian at m's parameters. */
static void dense_top(dln_model *m, double *top)
{
    int n = (int)dln_model_nparams(m);
    double *h = malloc(sizeof(double) * (size_t)n * n);
    double *ev = malloc(sizeof(double) * (size_t)n);
    assert_non_null(h);
    assert_non_null(ev);
    assert_int_equal(dln_model_hessian(m, h), 0);
    engine_eigvals(h, n, ev);
    for (int i = 0; i < K; i++)
        top[i] = ev[n - 1 - i];
    free(h);
    free(ev);
}

/* The Figure-2 network: depth 3, width 5, target diag(10, 9.5, 9), the
 * identity init of scale alpha 0.01, trained `steps` GD steps at eta. */
static dln_model *trained(double eta, long steps)
{
    dln_params p = engine_params(3, 5, 5, 5, "10,9.5,9", 0,
                                 DLN_INIT_IDENTITY);
    p.alpha = 0.01;
    p.eta = eta;
    dln_model *m = engine_model(&p);
    for (long t = 0; t < steps; t++)
        dln_model_step(m, NULL);
    return m;
}

/* Track `steps` GD steps of m, each against the dense spectrum; returns
 * the mean HVPs of the warm steps (every step after the first). */
static double follow(dln_model *m, int steps, double tol)
{
    dln_ritz *t = NULL;
    size_t n = dln_model_nparams(m);
    const dln_ritz_ops ops = {m, hvp, NULL, start};
    double got[K], want[K], worst = 0.0;
    long first = 0;
    assert_int_equal(dln_ritz_create(n, n, K, 40, &t), 0);
    for (int s = 0; s < steps; s++) {
        dln_model_loss(m);
        assert_int_equal(dln_ritz_update(t, &ops, got), 0);
        if (s == 0)
            first = dln_ritz_hvps(t);
        dense_top(m, want);
        for (int i = 0; i < K; i++) {
            double err = fabs(got[i] - want[i]) / fabs(want[0]);
            if (err > worst)
                worst = err;
            if (err > tol)
                fail_msg("step %d eigenvalue %d: tracked %.15g, dense %.15g "
                         "(relative error %.2e)", s, i + 1, got[i], want[i],
                         err);
        }
        dln_model_step(m, NULL);
    }
    double mean = (double)(dln_ritz_hvps(t) - first) / (steps - 1);
    print_message("  worst relative error %.2e; %ld HVPs cold, %.1f per warm "
                  "step\n", worst, first, mean);
    dln_ritz_destroy(&t);
    return mean;
}

/* Along the 2-cycle of eta 0.0315 (mode 1 swings between 8.89 and 10.96)
 * the Hessian's top eigenvalues alternate between two sets 20% apart: each
 * step must match the dense spectrum, warm steps costing about two blocks
 * of b = K + 2 HVPs and the probe's 3 (the Lanczos sharpness takes 40). */
static void two_cycle(void **state)
{
    (void)state;
    dln_model *m = trained(0.0315, 1500);
    double mean = follow(m, 40, 1e-8);
    assert_true(mean <= 2.0 * (K + DLN_RITZ_GUARD) + DLN_RITZ_PROBE + 1.0);
    dln_model_destroy(&m);
}

/* Far beyond the edge (every mode past its onset, mode 1 in the chaotic
 * band) the Hessian changes every step, and degenerate pairs split and
 * cross: without the probe vector lambda_2 was lost at eta 0.041. */
static void chaotic(void **state)
{
    (void)state;
    static const double etas[] = {0.041, 0.0425, 0.044, 0.0455};
    for (int e = 0; e < 4; e++) {
        dln_model *m = trained(etas[e], 1500 + 37 * e);
        follow(m, 80, 1e-8);
        dln_model_destroy(&m);
    }
}

/* Near a fixed point the history repeats itself: warm steps cost about one
 * block and the probe. */
static void fixed_point(void **state)
{
    (void)state;
    dln_model *m = trained(0.02, 3000);
    double mean = follow(m, 20, 1e-8);
    assert_true(mean <= K + DLN_RITZ_GUARD + DLN_RITZ_PROBE + 1.0);
    dln_model_destroy(&m);
}

/* At the balanced minimum of M* = 2 I (depth 2, width 3) the top
 * eigenvalue L s^(2-2/L) = 4 has multiplicity d^2 = 9: the tracker must
 * report it K times, cold and warm. */
static void repeated(void **state)
{
    (void)state;
    dln_params p = engine_params(2, 3, 3, 3, "2,2,2", 0, DLN_INIT_BALANCED);
    dln_model *m = engine_model(&p);
    double *x = malloc(sizeof(double) * dln_model_nparams(m)), top[K];
    dln_ritz *t = NULL;
    const dln_ritz_ops ops = {m, hvp, NULL, start};
    engine_set_balanced_min(m, &p, x);
    assert_int_equal(dln_ritz_create(dln_model_nparams(m),
                                     dln_model_nparams(m), K, 40, &t), 0);
    for (int s = 0; s < 3; s++) {
        assert_int_equal(dln_ritz_update(t, &ops, top), 0);
        for (int i = 0; i < K; i++)
            assert_true(fabs(top[i] - 4.0) < 1e-10);
    }
    dln_ritz_destroy(&t);
    dln_model_destroy(&m);
    free(x);
}

/* Non-finite parameters: NaN, and a cold start next time. */
static void not_finite(void **state)
{
    (void)state;
    dln_model *m = trained(0.02, 10);
    size_t n = dln_model_nparams(m);
    double *x = malloc(sizeof(double) * n), top[K];
    dln_ritz *t = NULL;
    const dln_ritz_ops ops = {m, hvp, NULL, start};
    memcpy(x, dln_model_params(m), sizeof(double) * n);
    x[0] = NAN;
    dln_model_set_params(m, x);
    assert_int_equal(dln_ritz_create(n, n, K, 40, &t), 0);
    assert_int_equal(dln_ritz_update(t, &ops, top), 1);
    for (int i = 0; i < K; i++)
        assert_true(isnan(top[i]));
    assert_int_equal(dln_ritz_create(n, n, 0, 40, &(dln_ritz *){NULL}), 2);
    dln_ritz_destroy(&t);
    dln_ritz_destroy(&t);   /* accepts NULL */
    dln_model_destroy(&m);
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(two_cycle),
        cmocka_unit_test(chaotic),
        cmocka_unit_test(fixed_point),
        cmocka_unit_test(repeated),
        cmocka_unit_test(not_finite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
