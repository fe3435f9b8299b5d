/* test_svs.c — the SVS set's fitted bases, the in-set / transverse
 * projections, the Hessian's block structure on the set, the symmetry
 * quotient, and the transverse verdict on constructed cases. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include "engine_testutil.h"
#include "dlnsweep/rng.h"
#include "dlnsweep/svs.h"
#include "dlnsweep/transverse.h"

static double norm(const double *v, size_t n)
{
    return cblas_dnrm2((int)n, v, 1);
}

/* A rotated-target network (L = 3, width 4, spectrum 3,2,1) at its
 * balanced minimum, moved along a random in-set direction: in the set, off
 * any minimum (non-zero residual), with non-identity bases. */
static dln_model *rotated_in_set(dln_svs **svs, double *x)
{
    dln_params p = engine_params(3, 0, 4, 0, "3,2,1", 1, DLN_INIT_BALANCED);
    dln_model *m = engine_model(&p);
    size_t n = dln_model_nparams(m);
    double *v = malloc(n * sizeof *v);
    engine_set_balanced_min(m, &p, x);
    assert_int_equal(dln_svs_create(m, svs), 0);
    double defect = 1.0;
    assert_int_equal(dln_svs_fit(*svs, m, &defect), 0);
    assert_true(defect < 1e-13);
    dln_rng_normal(42, 1, v, n);
    assert_int_equal(dln_svs_project(*svs, DLN_BLOCK_INSET, 0, v), 0);
    cblas_daxpy((int)n, 0.3, v, 1, x, 1);
    dln_model_set_params(m, x);
    assert_int_equal(dln_svs_fit(*svs, m, &defect), 0);
    assert_true(defect < 1e-13);
    assert_false(dln_svs_identity_bases(*svs));
    free(v);
    return m;
}

/* In-set + transverse = identity, both idempotent and orthogonal. */
static void projections_split_tangent_space(void **state)
{
    (void)state;
    dln_svs *svs = NULL;
    double x[48], v[48], a[48], b[48], c[48];
    dln_model *m = rotated_in_set(&svs, x);
    size_t n = dln_model_nparams(m);
    assert_int_equal(n, 48);
    assert_int_equal(dln_svs_block_dim(svs, DLN_BLOCK_INSET), 12);
    assert_int_equal(dln_svs_block_dim(svs, DLN_BLOCK_TRANSVERSE), 36);
    dln_rng_normal(7, 1, v, n);
    memcpy(a, v, sizeof v);
    memcpy(b, v, sizeof v);
    dln_svs_project(svs, DLN_BLOCK_INSET, 0, a);
    dln_svs_project(svs, DLN_BLOCK_TRANSVERSE, 0, b);
    for (size_t i = 0; i < n; i++)
        assert_true(fabs(a[i] + b[i] - v[i]) < 1e-13);
    assert_true(fabs(cblas_ddot((int)n, a, 1, b, 1)) < 1e-13);
    memcpy(c, a, sizeof c);
    dln_svs_project(svs, DLN_BLOCK_INSET, 0, c);
    for (size_t i = 0; i < n; i++)
        assert_true(fabs(c[i] - a[i]) < 1e-13);
    /* Coordinates round-trip through the block's orthonormal vectors. */
    double co[36];
    dln_svs_block_coords(svs, DLN_BLOCK_TRANSVERSE, b, co);
    assert_true(fabs(norm(co, 36) - norm(b, n)) < 1e-13);
    dln_svs_block_expand(svs, DLN_BLOCK_TRANSVERSE, co, c);
    for (size_t i = 0; i < n; i++)
        assert_true(fabs(c[i] - b[i]) < 1e-13);
    dln_svs_destroy(&svs);
    dln_svs_destroy(&svs);   /* NULL-safe */
    dln_model_destroy(&m);
}

/* On the set H maps in-set to in-set and transverse to transverse: the
 * fitted bases are the set's (a wrong basis mixes the blocks). */
static void hessian_is_block_diagonal_on_the_set(void **state)
{
    (void)state;
    dln_svs *svs = NULL;
    double x[48], v[48], hv[48];
    dln_model *m = rotated_in_set(&svs, x);
    size_t n = dln_model_nparams(m);
    assert_true(dln_model_loss(m) > 1e-2);   /* not a minimum */
    for (int blk = DLN_BLOCK_INSET; blk <= DLN_BLOCK_TRANSVERSE; blk++) {
        dln_rng_normal(100 + blk, 1, v, n);
        dln_svs_project(svs, (dln_block)blk, 0, v);
        dln_model_hvp(m, v, hv);
        double before = norm(hv, n);
        dln_svs_project(svs, blk == DLN_BLOCK_INSET ? DLN_BLOCK_TRANSVERSE
                                                    : DLN_BLOCK_INSET, 0, hv);
        assert_true(before > 1e-2);
        assert_true(norm(hv, n) < 1e-12 * before);
    }
    dln_svs_destroy(&svs);
    dln_model_destroy(&m);
}

/* The quotient removes every inner-rotation generator A W_l - W_{l+1} A
 * (built here in the original coordinates), and only a 12-dimensional
 * space (2 hidden spaces x 6 rotations) of transverse directions. */
static void quotient_removes_rotation_generators(void **state)
{
    (void)state;
    dln_svs *svs = NULL;
    double x[48], g[48], v[48];
    dln_model *m = rotated_in_set(&svs, x);
    size_t n = dln_model_nparams(m);
    int d = 4;
    assert_int_equal(dln_svs_set_point(svs, x), 12);
    dln_rng_normal(9, 1, v, n);
    dln_svs_project(svs, DLN_BLOCK_TRANSVERSE, 1, v);
    for (int l = 1; l <= 2; l++)
        for (int j = 0; j < d; j++)
            for (int i = 0; i < j; i++) {
                double a[16] = {0};
                a[i + j * d] = 1.0;
                a[j + i * d] = -1.0;
                memset(g, 0, sizeof g);
                const double *wl = x + dln_model_layer_offset(m, l);
                const double *wn = x + dln_model_layer_offset(m, l + 1);
                cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, d, d,
                            d, 1.0, a, d, wl, d, 0.0,
                            g + dln_model_layer_offset(m, l), d);
                cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, d, d,
                            d, -1.0, wn, d, a, d, 0.0,
                            g + dln_model_layer_offset(m, l + 1), d);
                double gn = norm(g, n);
                assert_true(gn > 1e-3);
                assert_true(fabs(cblas_ddot((int)n, g, 1, v, 1)) <
                            1e-12 * gn);
                dln_svs_project(svs, DLN_BLOCK_TRANSVERSE, 1, g);
                assert_true(norm(g, n) < 1e-12 * gn);
            }
    dln_svs_destroy(&svs);
    dln_model_destroy(&m);
}

/* A diagonal target with identity init stays exactly diagonal: identity
 * bases, zero defect. A rotated target with a Gaussian init is off the
 * set, and the split refuses to decide. */
static void on_and_off_the_set(void **state)
{
    (void)state;
    dln_params p = engine_params(3, 0, 5, 0, "10,9.5,9", 0, DLN_INIT_IDENTITY);
    p.alpha = 0.01;
    p.eta = 0.0355;
    dln_model *m = engine_model(&p);
    for (int t = 0; t < 200; t++)
        dln_model_step(m, NULL);
    dln_svs *svs = NULL;
    double defect = 1.0;
    assert_int_equal(dln_svs_create(m, &svs), 0);
    assert_int_equal(dln_svs_fit(svs, m, &defect), 0);
    assert_true(dln_svs_identity_bases(svs));
    assert_true(defect == 0.0);
    dln_svs_destroy(&svs);
    dln_model_destroy(&m);

    p = engine_params(3, 0, 4, 0, "3,2,1", 1, DLN_INIT_GAUSSIAN);
    m = engine_model(&p);
    dln_transverse_settings s;
    dln_transverse_result r;
    dln_transverse_defaults(&s);
    assert_int_equal(dln_transverse_run(m, 0.01, 0, &s, &r), 0);
    assert_int_equal(r.verdict, DLN_TRANSVERSE_OFF_SET);
    assert_true(r.set_defect > 1e-3);
    assert_true(isnan(r.transverse.exponent[0]));
    dln_model_destroy(&m);
}

/* Target (10, 9.5, 9), width 3, depth 3: the in-set 2-cycle is stable
 * across the set at eta = 0.032 and unstable at 0.034 (its transverse
 * multipliers cross the unit circle in between). */
static void transverse_verdict_of_two_cycles(void **state)
{
    (void)state;
    const double etas[] = {0.032, 0.034};
    const dln_transverse_verdict want[] = {DLN_TRANSVERSE_STABLE,
                                           DLN_TRANSVERSE_UNSTABLE};
    for (int e = 0; e < 2; e++) {
        dln_params p = engine_params(3, 0, 3, 0, "10,9.5,9", 0,
                                     DLN_INIT_IDENTITY);
        p.alpha = 0.01;
        p.eta = etas[e];
        dln_model *m = engine_model(&p);
        for (int t = 0; t < 4000; t++)
            dln_model_step(m, NULL);
        dln_transverse_settings s;
        dln_transverse_result r;
        dln_transverse_defaults(&s);
        assert_int_equal(dln_transverse_run(m, etas[e], 2, &s, &r), 0);
        assert_int_equal(r.verdict, want[e]);
        assert_true(r.has_floquet);
        assert_true(r.f_inset.modulus[0] <= 1.0 + 1e-9);
        assert_int_equal(r.inset.period, 2);
        if (want[e] == DLN_TRANSVERSE_STABLE)
            assert_true(r.f_transverse.modulus[0] <= 1.0 + 1e-9);
        else
            assert_true(r.transverse.exponent[0] -
                        3 * r.transverse.error[0] > 0.01);
        dln_model_destroy(&m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(projections_split_tangent_space),
        cmocka_unit_test(hessian_is_block_diagonal_on_the_set),
        cmocka_unit_test(quotient_removes_rotation_generators),
        cmocka_unit_test(on_and_off_the_set),
        cmocka_unit_test(transverse_verdict_of_two_cycles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
