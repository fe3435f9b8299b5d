/* test_model.c — the model's gradient, GD step and target against first
 * principles: finite differences of the loss, the scalar map, SVD of M*. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "engine_testutil.h"

/* The engine tests' parameter builder, with alpha = 0.8 (the values below
 * are worked out for it). */
static dln_params make(int L, int din, int d, int dout, const char *spec,
                       int rotate, dln_init_kind init)
{
    dln_params p = engine_params(L, din, d, dout, spec, rotate, init);
    p.alpha = 0.8;
    return p;
}

/* Central differences of the loss match the analytic gradient. */
static void gradient_matches_finite_differences(void **state)
{
    (void)state;
    static const struct { int L, din, d, dout; const char *s; int rot; } c[] = {
        {1, 3, 3, 3, "2,1", 0}, {2, 3, 4, 2, "3,1", 1}, {3, 4, 5, 3, "10,9.5,9", 1},
        {5, 2, 3, 2, "1.5", 0}};
    for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
        dln_params p = make(c[k].L, c[k].din, c[k].d, c[k].dout, c[k].s,
                            c[k].rot, DLN_INIT_GAUSSIAN);
        dln_model *m = NULL;
        assert_int_equal(dln_model_create(&p, &m), 0);
        size_t n = dln_model_nparams(m);
        double *x = malloc(n * sizeof *x), *g = malloc(n * sizeof *g);
        memcpy(x, dln_model_params(m), n * sizeof *x);
        dln_model_loss(m);
        dln_model_gradient(m, g);
        const double h = 1e-6;
        for (size_t i = 0; i < n; i++) {
            double xi = x[i];
            x[i] = xi + h;
            dln_model_set_params(m, x);
            double fp = dln_model_loss(m);
            x[i] = xi - h;
            dln_model_set_params(m, x);
            double fm = dln_model_loss(m);
            x[i] = xi;
            double fd = (fp - fm) / (2 * h);
            assert_true(fabs(fd - g[i]) <= 1e-6 * (1.0 + fabs(g[i])));
        }
        free(x);
        free(g);
        dln_model_destroy(&m);
        assert_null(m);
    }
}

/* H v equals the central difference of the gradient along v. */
static void hvp_matches_gradient_differences(void **state)
{
    (void)state;
    dln_params p = make(3, 3, 4, 2, "3,1", 1, DLN_INIT_GAUSSIAN);
    dln_model *m = NULL;
    assert_int_equal(dln_model_create(&p, &m), 0);
    size_t n = dln_model_nparams(m);
    double *x = malloc(n * sizeof *x), *v = malloc(n * sizeof *v);
    double *hv = malloc(n * sizeof *hv), *gp = malloc(n * sizeof *gp);
    double *gm = malloc(n * sizeof *gm), *xs = malloc(n * sizeof *xs);
    memcpy(x, dln_model_params(m), n * sizeof *x);
    for (size_t i = 0; i < n; i++)
        v[i] = sin(1.0 + 3.0 * (double)i);
    dln_model_hvp(m, v, hv);
    const double h = 1e-5;
    for (size_t i = 0; i < n; i++) xs[i] = x[i] + h * v[i];
    dln_model_set_params(m, xs);
    dln_model_gradient(m, gp);
    for (size_t i = 0; i < n; i++) xs[i] = x[i] - h * v[i];
    dln_model_set_params(m, xs);
    dln_model_gradient(m, gm);
    for (size_t i = 0; i < n; i++)
        assert_true(fabs((gp[i] - gm[i]) / (2 * h) - hv[i]) <= 1e-6 * (1 + fabs(hv[i])));
    free(x); free(v); free(hv); free(gp); free(gm); free(xs);
    dln_model_destroy(&m);
}

/* The back-propagated products the gradient and HVPs share are cached per
 * point: interleaving steps, set_params, gradients and HVPs gives exactly
 * what a fresh model at the same parameters gives. */
static void cached_products_follow_the_parameters(void **state)
{
    (void)state;
    dln_params p = make(4, 3, 5, 2, "3,1", 1, DLN_INIT_GAUSSIAN);
    p.eta = 0.01;
    dln_model *m = NULL, *ref = NULL;
    assert_int_equal(dln_model_create(&p, &m), 0);
    assert_int_equal(dln_model_create(&p, &ref), 0);
    size_t n = dln_model_nparams(m);
    double *v = malloc(n * sizeof *v), *a = malloc(n * sizeof *a);
    double *b = malloc(n * sizeof *b), *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++)
        v[i] = cos(0.5 + 2.0 * (double)i);
    for (int round = 0; round < 6; round++) {
        if (round == 3) {   /* jump elsewhere */
            for (size_t i = 0; i < n; i++)
                x[i] = dln_model_params(m)[i] * 0.9 + 0.01 * v[i];
            dln_model_set_params(m, x);
        }
        dln_model_hvp(m, v, a);            /* fills the cache */
        dln_model_set_params(ref, dln_model_params(m));
        dln_model_hvp(ref, v, b);
        assert_memory_equal(a, b, n * sizeof *a);
        dln_model_gradient(m, a);          /* reuses it */
        dln_model_set_params(ref, dln_model_params(m));
        dln_model_gradient(ref, b);
        assert_memory_equal(a, b, n * sizeof *a);
        dln_model_step(m, NULL);           /* moves: the cache is stale */
    }
    free(v); free(a); free(b); free(x);
    dln_model_destroy(&m);
    dln_model_destroy(&ref);
}

/* Scalar L=2, s=1 with W_2=0, W_1=a: one step is (a, 0) -> (a, eta*a). */
static void step_is_plain_gradient_descent(void **state)
{
    (void)state;
    dln_params p = make(2, 1, 1, 1, "1", 0, DLN_INIT_IDENTITY);
    p.eta = 0.3;
    dln_model *m = NULL;
    assert_int_equal(dln_model_create(&p, &m), 0);
    const double *x = dln_model_params(m);
    assert_float_equal(x[0], 0.8, 0);
    assert_float_equal(x[1], 0.0, 0);
    double loss = dln_model_step(m, NULL);
    assert_float_equal(loss, 0.5, 1e-15);
    assert_float_equal(x[0], 0.8, 1e-15);     /* g_1 = w2 (w2 w1 - 1) = 0 */
    assert_float_equal(x[1], 0.3 * 0.8, 1e-15); /* g_2 = w1 (0 - 1) */
    /* The balanced scalar map u <- u - eta (u^L - s) u^(L-1). */
    p.init = DLN_INIT_BALANCED;
    p.depth = 3;
    dln_model_destroy(&m);
    assert_int_equal(dln_model_create(&p, &m), 0);
    x = dln_model_params(m);
    double u = 0.8;
    for (int t = 0; t < 50; t++) {
        dln_model_step(m, NULL);
        u = u - 0.3 * (u * u * u - 1.0) * u * u;
        for (int l = 0; l < 3; l++)
            assert_float_equal(x[l], u, 1e-12);
    }
    dln_model_destroy(&m);
    dln_model_destroy(&m);   /* destroy accepts an already-NULL pointer */
}

/* The target's singular values are the spectrum, rotated or not, and the
 * orthogonal init has orthonormal columns scaled by alpha. */
static void target_and_orthogonal_init(void **state)
{
    (void)state;
    for (int rot = 0; rot <= 1; rot++) {
        dln_params p = make(2, 5, 4, 3, "10,6", rot, DLN_INIT_ORTHOGONAL);
        dln_model *m = NULL;
        assert_int_equal(dln_model_create(&p, &m), 0);
        double t[15], s[3], sup[3];
        memcpy(t, dln_model_target(m), sizeof t);
        assert_int_equal(LAPACKE_dgesvd(LAPACK_COL_MAJOR, 'N', 'N', 3, 5, t, 3,
                                        s, NULL, 1, NULL, 1, sup), 0);
        assert_float_equal(s[0], 10.0, 1e-12);
        assert_float_equal(s[1], 6.0, 1e-12);
        assert_float_equal(s[2], 0.0, 1e-12);
        const double *w1 = dln_model_params(m);   /* 4 x 5: orthonormal rows */
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) {
                double dot = 0;
                for (int k = 0; k < 5; k++)
                    dot += w1[i + 4 * k] * w1[j + 4 * k];
                assert_float_equal(dot, i == j ? 0.64 : 0.0, 1e-12);
            }
        dln_model_destroy(&m);
    }
}

/* Same seed, same weights; another seed, other weights. */
static void init_is_reproducible(void **state)
{
    (void)state;
    dln_params p = make(3, 4, 4, 4, "1", 1, DLN_INIT_GAUSSIAN);
    dln_model *a = NULL, *b = NULL;
    assert_int_equal(dln_model_create(&p, &a), 0);
    assert_int_equal(dln_model_create(&p, &b), 0);
    size_t n = dln_model_nparams(a);
    assert_memory_equal(dln_model_params(a), dln_model_params(b), n * sizeof(double));
    dln_model_destroy(&b);
    p.seed++;
    assert_int_equal(dln_model_create(&p, &b), 0);
    assert_memory_not_equal(dln_model_params(a), dln_model_params(b), n * sizeof(double));
    dln_model_destroy(&a);
    dln_model_destroy(&b);
    p.eta = -1;
    assert_int_equal(dln_model_create(&p, &a), 2);
    assert_null(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gradient_matches_finite_differences),
        cmocka_unit_test(hvp_matches_gradient_differences),
        cmocka_unit_test(cached_products_follow_the_parameters),
        cmocka_unit_test(step_is_plain_gradient_descent),
        cmocka_unit_test(target_and_orthogonal_init),
        cmocka_unit_test(init_is_reproducible),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
