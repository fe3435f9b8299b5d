/* test_diagnostics.c — singular values, balancing gaps, off-diagonal mass
 * and the theory helpers against constructed matrices with known answers
 * and against the exact one-step balancing identity of GD. */
#include "engine_testutil.h"
#include <cblas.h>
#include "dlnsweep/diagnostics.h"
#include "dlnsweep/theory.h"

/* D = W_{l+1}^T W_{l+1} - W_l W_l^T (k x k) of layers a = W_l (k x c),
 * b = W_{l+1} (r x k), by plain loops (independent of the library). */
static void balance_diff(const double *a, int c, const double *b, int r,
                         int k, double *out)
{
    for (int i = 0; i < k; i++)
        for (int j = 0; j < k; j++) {
            double s = 0.0;
            for (int t = 0; t < r; t++)
                s += b[t + (size_t)i * r] * b[t + (size_t)j * r];
            for (int t = 0; t < c; t++)
                s -= a[i + (size_t)t * k] * a[j + (size_t)t * k];
            out[i + (size_t)j * k] = s;
        }
}

static double frob(const double *a, size_t n)
{
    return cblas_dnrm2((int)n, a, 1);
}

/* One GD step changes D_l = W_{l+1}^T W_{l+1} - W_l W_l^T by exactly
 * eta^2 (G_{l+1}^T G_{l+1} - G_l G_l^T): the first-order terms cancel
 * because W_{l+1}^T G_{l+1} = G_l W_l^T.  Checked to rounding from a random
 * point, and dln_diag_balance_gap agrees with the direct norms. */
static void balancing_gap_identity_one_step(void **state)
{
    (void)state;
    static const struct { int L, din, d, dout; double eta; } c[] = {
        {2, 3, 4, 2, 0.05}, {4, 3, 4, 5, 0.02}, {3, 2, 3, 2, 0.1}};
    for (size_t q = 0; q < sizeof c / sizeof c[0]; q++) {
        dln_params p = engine_params(c[q].L, c[q].din, c[q].d, c[q].dout,
                                     "3,1", 1, DLN_INIT_GAUSSIAN);
        p.alpha = 1.4;
        p.eta = c[q].eta;
        dln_model *m = engine_model(&p);
        dln_diag *dg = NULL;
        assert_int_equal(dln_diag_create(m, &dg), 0);
        size_t n = dln_model_nparams(m);
        int L = p.depth, d = p.width;
        double *x0 = malloc(n * sizeof *x0), *g = malloc(n * sizeof *g);
        double *before = malloc(sizeof(double) * (size_t)d * d);
        double *after = malloc(sizeof(double) * (size_t)d * d);
        double *gg = malloc(sizeof(double) * (size_t)d * d);
        double gaps[8], direct_max = 0.0;
        memcpy(x0, dln_model_params(m), n * sizeof *x0);
        double worst = dln_diag_balance_gap(dg, m, gaps);
        dln_model_step(m, g);
        const double *x1 = dln_model_params(m);
        for (int l = 1; l < L; l++) {
            int din_l = dln_model_cols(m, l), dout_n = dln_model_rows(m, l + 1);
            size_t ol = dln_model_layer_offset(m, l), on = dln_model_layer_offset(m, l + 1);
            balance_diff(x0 + ol, din_l, x0 + on, dout_n, d, before);
            balance_diff(x1 + ol, din_l, x1 + on, dout_n, d, after);
            balance_diff(g + ol, din_l, g + on, dout_n, d, gg);
            double nb = frob(before, (size_t)d * d);
            assert_float_equal(gaps[l - 1], nb, 1e-12 * nb);
            if (nb > direct_max)
                direct_max = nb;
            double wscale = frob(x0 + ol, (size_t)d * din_l) * frob(x0 + ol, (size_t)d * din_l)
                          + frob(x0 + on, (size_t)dout_n * d) * frob(x0 + on, (size_t)dout_n * d);
            double rhs_norm = p.eta * p.eta * frob(gg, (size_t)d * d);
            assert_true(rhs_norm > 1e-4 * wscale);   /* a visible change */
            double err = 0.0;
            for (int i = 0; i < d * d; i++) {
                double e = fabs((after[i] - before[i]) - p.eta * p.eta * gg[i]);
                if (e > err)
                    err = e;
            }
            assert_true(err <= 1e-13 * wscale);
        }
        assert_float_equal(worst, direct_max, 1e-12 * direct_max);
        free(x0); free(g); free(before); free(after); free(gg);
        dln_diag_destroy(&dg);
        assert_null(dg);
        dln_model_destroy(&m);
    }
}

/* Constructed gaps: W_1 = diag(2,1), W_2 = diag(1,3), W_3 = [[1,1],[0,1]]:
 * D_1 = diag(-3, 8), ||D_1|| = sqrt(73); D_2 = [[0,1],[1,-7]], sqrt(51).
 * A balanced minimum has zero gap; L = 1 has none. */
static void balance_gap_constructed(void **state)
{
    (void)state;
    dln_params p = engine_params(3, 2, 2, 2, "1", 0, DLN_INIT_IDENTITY);
    dln_model *m = engine_model(&p);
    dln_diag *dg = NULL;
    assert_int_equal(dln_diag_create(m, &dg), 0);
    const double x[12] = {2, 0, 0, 1, 1, 0, 0, 3, 1, 0, 1, 1};
    dln_model_set_params(m, x);
    double gaps[2];
    double worst = dln_diag_balance_gap(dg, m, gaps);
    assert_float_equal(gaps[0], sqrt(73.0), 1e-14);
    assert_float_equal(gaps[1], sqrt(51.0), 1e-14);
    assert_float_equal(worst, sqrt(73.0), 1e-14);
    assert_float_equal(dln_diag_balance_gap(dg, m, NULL), sqrt(73.0), 1e-14);
    dln_diag_destroy(&dg);
    dln_model_destroy(&m);

    p = engine_params(4, 3, 3, 3, "10,9.5,9", 1, DLN_INIT_GAUSSIAN);
    m = engine_model(&p);
    double xb[36];
    engine_set_balanced_min(m, &p, xb);
    assert_int_equal(dln_diag_create(m, &dg), 0);
    assert_true(dln_diag_balance_gap(dg, m, NULL) <= 1e-13 * 10.0);
    dln_diag_destroy(&dg);
    dln_model_destroy(&m);

    p = engine_params(1, 3, 3, 2, "1", 0, DLN_INIT_GAUSSIAN);
    m = engine_model(&p);
    assert_int_equal(dln_diag_create(m, &dg), 0);
    assert_float_equal(dln_diag_balance_gap(dg, m, NULL), 0.0, 0.0);
    dln_diag_destroy(&dg);
    dln_diag_destroy(&dg);   /* accepts NULL */
    dln_model_destroy(&m);
}

/* Off-diagonal mass: 0 for a product diagonal in the target basis (rotated
 * or not, at a minimum or not); 0.8 for P = diag(3, 4) against a rank-1
 * target (the part outside span(u_1), span(v_1) counts); sqrt(5/30) for
 * P = U [[3,1],[2,4]] V^T; 0 for P = 0. */
static void offdiag_mass_constructed(void **state)
{
    (void)state;
    dln_diag *dg = NULL;
    for (int rot = 0; rot <= 1; rot++) {
        dln_params p = engine_params(3, 3, 3, 3, "10,9.5,9", rot, DLN_INIT_GAUSSIAN);
        dln_model *m = engine_model(&p);
        double x[27];
        engine_set_balanced_min(m, &p, x);
        assert_int_equal(dln_diag_create(m, &dg), 0);
        dln_model_loss(m);
        assert_true(dln_diag_offdiag_mass(dg, m) <= 1e-14);
        /* scale the middle layer's diagonal: still diagonal, not a minimum */
        x[9] *= 0.5; x[13] *= 1.7; x[17] *= 0.1;
        dln_model_set_params(m, x);
        assert_true(dln_model_loss(m) > 1.0);
        assert_true(dln_diag_offdiag_mass(dg, m) <= 1e-14);
        /* a generic point is far from diagonal */
        memcpy(x, dln_model_params(m), sizeof x);
        x[10] = 3.0;   /* W_2[1,0] */
        dln_model_set_params(m, x);
        dln_model_loss(m);
        assert_true(dln_diag_offdiag_mass(dg, m) > 0.01);
        dln_diag_destroy(&dg);
        dln_model_destroy(&m);
    }

    /* rank-1 target e_1 e_1^T, P = diag(3, 4): sqrt(25 - 9)/5 = 0.8 */
    dln_params p = engine_params(1, 2, 2, 2, "1", 0, DLN_INIT_IDENTITY);
    dln_model *m = engine_model(&p);
    assert_int_equal(dln_diag_create(m, &dg), 0);
    const double diag34[4] = {3, 0, 0, 4};
    dln_model_set_params(m, diag34);
    dln_model_loss(m);
    assert_float_equal(dln_diag_offdiag_mass(dg, m), 0.8, 1e-15);
    const double zero[4] = {0, 0, 0, 0};
    dln_model_set_params(m, zero);
    dln_model_loss(m);
    assert_float_equal(dln_diag_offdiag_mass(dg, m), 0.0, 0.0);
    dln_diag_destroy(&dg);
    dln_model_destroy(&m);

    /* rotated rank-2 target, L = 2: W_1 = C V^T, W_2 = U, C = [[3,1],[2,4]]:
     * U^T P V = C, offdiag mass = sqrt(1 + 4) / sqrt(9 + 1 + 4 + 16). */
    p = engine_params(2, 2, 2, 2, "5,2", 1, DLN_INIT_IDENTITY);
    m = engine_model(&p);
    assert_int_equal(dln_diag_create(m, &dg), 0);
    const double *u = dln_model_target_u(m), *v = dln_model_target_v(m);
    const double cm[4] = {3, 2, 1, 4};   /* column-major [[3,1],[2,4]] */
    double x[8];
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, 2, 2, 2, 1.0, cm, 2,
                v, 2, 0.0, x, 2);
    memcpy(x + 4, u, 4 * sizeof(double));
    dln_model_set_params(m, x);
    dln_model_loss(m);
    assert_float_equal(dln_diag_offdiag_mass(dg, m), sqrt(5.0 / 30.0), 1e-14);
    dln_diag_destroy(&dg);
    dln_model_destroy(&m);
}

/* Product and layer singular values of a constructed rectangular network:
 * W_1 = diag(3, 1) [first two rows of a rotation R in the (x1, x3) plane]
 * (2 x 3), W_2 = Q diag(2, 5) (4 x 2, Q orthonormal columns), so
 * W_{2:1} = Q diag(6, 5) R_{1:2,:} has singular values 6, 5, 0 and the
 * layers (3, 1) and (5, 2). */
static void singular_values_constructed(void **state)
{
    (void)state;
    dln_params p = engine_params(2, 3, 2, 4, "1", 0, DLN_INIT_IDENTITY);
    dln_model *m = engine_model(&p);
    dln_diag *dg = NULL;
    assert_int_equal(dln_diag_create(m, &dg), 0);
    double cs = cos(0.3), sn = sin(0.3);
    /* R = [[c,0,-s],[0,1,0],[s,0,c]]; W_1 rows: 3*(c,0,-s), 1*(0,1,0) */
    double x[14] = {3 * cs, 0, 0, 1, -3 * sn, 0};
    const double q[8] = {0.5, 0.5, 0.5, 0.5, 0.5, -0.5, 0.5, -0.5};
    for (int i = 0; i < 4; i++) {
        x[6 + i] = 2 * q[i];
        x[10 + i] = 5 * q[4 + i];
    }
    dln_model_set_params(m, x);
    dln_model_loss(m);
    double sv[DLN_MAX_SV], layers[2 * DLN_MAX_SV];
    assert_int_equal(dln_diag_product_sv(dg, m, sv), 3);
    assert_float_equal(sv[0], 6.0, 1e-14);
    assert_float_equal(sv[1], 5.0, 1e-14);
    assert_float_equal(sv[2], 0.0, 1e-14);
    assert_int_equal(dln_diag_layer_sv(dg, m, layers), 0);
    assert_float_equal(layers[0], 3.0, 1e-14);
    assert_float_equal(layers[1], 1.0, 1e-14);
    assert_float_equal(layers[DLN_MAX_SV], 5.0, 1e-14);
    assert_float_equal(layers[DLN_MAX_SV + 1], 2.0, 1e-14);
    for (int i = 2; i < DLN_MAX_SV; i++) {
        assert_float_equal(layers[i], 0.0, 0.0);
        assert_float_equal(layers[DLN_MAX_SV + i], 0.0, 0.0);
    }
    /* non-finite: NaN out, no crash */
    x[2] = INFINITY;
    dln_model_set_params(m, x);
    dln_model_loss(m);
    assert_int_equal(dln_diag_product_sv(dg, m, sv), 3);
    assert_true(isnan(sv[0]));
    assert_int_equal(dln_diag_layer_sv(dg, m, layers), 0);
    assert_true(isnan(layers[0]));
    assert_float_equal(layers[DLN_MAX_SV], 5.0, 1e-14);
    assert_true(isnan(dln_diag_offdiag_mass(dg, m)));
    x[2] = NAN;
    dln_model_set_params(m, x);
    assert_true(isnan(dln_diag_balance_gap(dg, m, NULL)));
    dln_diag_destroy(&dg);
    dln_model_destroy(&m);

    /* More singular values than DLN_MAX_SV: 20 x 20 product 1.1^2 I. */
    p = engine_params(2, 20, 20, 20, "1", 0, DLN_INIT_BALANCED);
    p.alpha = 1.1;
    m = engine_model(&p);
    assert_int_equal(dln_diag_create(m, &dg), 0);
    dln_model_loss(m);
    assert_int_equal(dln_diag_product_sv(dg, m, sv), DLN_MAX_SV);
    for (int i = 0; i < DLN_MAX_SV; i++)
        assert_float_equal(sv[i], 1.21, 1e-14);
    dln_diag_destroy(&dg);
    dln_model_destroy(&m);
}

/* Theory: 2/eta thresholds L s^(2-2/L) and the balanced sharpness. */
static void theory_helpers(void **state)
{
    (void)state;
    dln_params p = engine_params(3, 3, 3, 3, "10,9.5,9", 0, DLN_INIT_IDENTITY);
    /* 3 * 10^(4/3) = 64.6330407009565; thresholds 2/(3 s^(4/3)):
     * s = 10: 0.030943925557418532, 9.5: 0.03313425934797779,
     * 9: 0.0356111005014175 */
    assert_float_equal(dln_theory_sharpness(&p), 64.6330407009565, 1e-12);
    const double eta[] = {0.0309, 0.03095, 0.0332, 0.0357, 1.0};
    const int want[] = {0, 1, 2, 3, 3};
    for (int i = 0; i < 5; i++) {
        p.eta = eta[i];
        assert_int_equal(dln_theory_oscillating_modes(&p), want[i]);
    }
    /* L = 2, s = (10, 6): thresholds 2/(2 s) = 0.1 and 1/6 */
    p = engine_params(2, 2, 2, 2, "10,6", 0, DLN_INIT_IDENTITY);
    assert_float_equal(dln_theory_sharpness(&p), 20.0, 1e-13);
    p.eta = 0.0999; assert_int_equal(dln_theory_oscillating_modes(&p), 0);
    p.eta = 0.1001; assert_int_equal(dln_theory_oscillating_modes(&p), 1);
    p.eta = 0.1666; assert_int_equal(dln_theory_oscillating_modes(&p), 1);
    p.eta = 0.1667; assert_int_equal(dln_theory_oscillating_modes(&p), 2);
    /* L = 1: H = I, threshold eta = 2 for every mode */
    p.depth = 1;
    assert_float_equal(dln_theory_sharpness(&p), 1.0, 0.0);
    p.eta = 1.99; assert_int_equal(dln_theory_oscillating_modes(&p), 0);
    p.eta = 2.01; assert_int_equal(dln_theory_oscillating_modes(&p), 2);
    /* a zero singular value never oscillates */
    p = engine_params(2, 2, 2, 2, "1,0", 0, DLN_INIT_IDENTITY);
    p.eta = 100.0;
    assert_int_equal(dln_theory_oscillating_modes(&p), 1);
}

/* A trajectory point at a rotated balanced minimum: loss 0, sv (10, 9.5),
 * no gap, no off-diagonal mass; sharpness left NaN. */
static void diag_point_at_minimum(void **state)
{
    (void)state;
    dln_params p = engine_params(3, 3, 3, 3, "10,9.5,9", 1, DLN_INIT_GAUSSIAN);
    dln_model *m = engine_model(&p);
    dln_diag *dg = NULL;
    assert_int_equal(dln_diag_create(m, &dg), 0);
    double x[27];
    engine_set_balanced_min(m, &p, x);
    dln_traj_point pt;
    memset(&pt, 0, sizeof pt);
    assert_int_equal(dln_diag_point(dg, m, 1234, &pt), 0);
    assert_int_equal(pt.step, 1234);
    assert_true(pt.loss <= 1e-26);
    assert_float_equal(pt.sv1, 10.0, 1e-13);
    assert_float_equal(pt.sv2, 9.5, 1e-13);
    assert_true(pt.balance_gap <= 1e-13);
    assert_true(pt.offdiag_mass <= 1e-14);
    assert_true(isnan(pt.sharpness));
    assert_int_equal(pt.n_oscillating, 0);
    dln_diag_destroy(&dg);
    dln_model_destroy(&m);

    p = engine_params(2, 2, 2, 2, "1", 0, DLN_INIT_IDENTITY);
    m = engine_model(&p);
    assert_int_equal(dln_diag_create(m, &dg), 0);
    const double w[8] = {2, 0, 0, 1, 1, 0, 0, 3};   /* product diag(2, 3) */
    dln_model_set_params(m, w);
    assert_int_equal(dln_diag_point(dg, m, 7, &pt), 0);
    assert_float_equal(pt.loss, 0.5 * (1.0 + 9.0), 1e-14);  /* target e1e1^T */
    assert_float_equal(pt.sv1, 3.0, 1e-14);
    assert_float_equal(pt.sv2, 2.0, 1e-14);
    assert_float_equal(pt.balance_gap, sqrt(73.0), 1e-14);   /* diag(1-4, 9-1) */
    assert_float_equal(pt.offdiag_mass, 3.0 / sqrt(13.0), 1e-14);
    dln_diag_destroy(&dg);
    dln_model_destroy(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(balancing_gap_identity_one_step),
        cmocka_unit_test(balance_gap_constructed),
        cmocka_unit_test(offdiag_mass_constructed),
        cmocka_unit_test(singular_values_constructed),
        cmocka_unit_test(theory_helpers),
        cmocka_unit_test(diag_point_at_minimum),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
