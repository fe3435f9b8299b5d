/* test_continuation.c — GMRES, the Newton-Krylov orbit solver, balancing of
 * stationary modes and the continuation's located bifurcations, against
 * independent values: LAPACK's dgesv, the depth-2 2-cycle's closed form,
 * and the Newton + Floquet reference of the balanced scalar map
 * (tests/ref_cascade.py, mpmath, 40 digits; test_cascade_reference checks
 * that REF below is what it computes). */
#define _POSIX_C_SOURCE 200809L   /* clock_gettime */
#include <time.h>
#include "engine_testutil.h"
#include "dlnsweep/continuation.h"
#include "dlnsweep/gmres.h"
#include "dlnsweep/orbitsolve.h"
#include "dlnsweep/svs.h"

/* ref_cascade.py: eta_1..eta_8 of the scalar map (s = 1), the fold that
 * opens the period-3 window and its first two flips (3 -> 6, 6 -> 12). */
static const struct cascade_ref {
    int depth;
    double flips[8];
    double fold;
    double window[2];
} REF[] = {
    {2, {1, 1.2360679774997898, 1.2880317544828428, 1.299227939650204, 1.3016289140370811, 1.302143271581458, 1.3022534377421287, 1.3022770322596418},
     1.4504409644878751, {1.4608286738785798, 1.465709057932284}},
    {3, {0.66666666666666663, 0.82973826189287825, 0.86694431650486703, 0.87498776126905831, 0.87671448800611151, 0.87708446979185906, 0.87716371678450777, 0.87718068942920746},
     0.98724212401218603, {0.99719168131043823, 1.001914060378996}},
    {4, {0.5, 0.62358463621817206, 0.65207499201787122, 0.65823913859947902, 0.65956284409954069, 0.65984648522656564, 0.65990723954583785, 0.65992025157252987},
     0.74496174759782297, {0.75315777074676649, 0.75705962193217824}},
};

static double rel(double got, double want)
{
    return fabs(got - want) / fabs(want);
}

/* ---- GMRES ---------------------------------------------------------- */

typedef struct dense_op { int n; const double *a; } dense_op;

static int dense_apply(void *ctx, const double *x, double *y)
{
    const dense_op *op = ctx;
    for (int i = 0; i < op->n; i++) {
        y[i] = 0.0;
        for (int j = 0; j < op->n; j++)
            y[i] += op->a[i + (size_t)j * op->n] * x[j];
    }
    return 0;
}

/* A nonsymmetric 40 x 40 system (restart 4, so restarts happen):
 * GMRES agrees with LAPACK's dgesv. */
static void gmres_matches_dgesv(void **state)
{
    (void)state;
    enum { N = 40 };
    double a[N * N], lu[N * N], b[N], x[N] = {0}, ref[N];
    lapack_int piv[N];
    for (int j = 0; j < N; j++)
        for (int i = 0; i < N; i++)
            a[i + j * N] = (i == j ? 4.0 : 0.0) + sin(1.0 + i * 7.0 + j * 3.0);
    for (int i = 0; i < N; i++)
        b[i] = ref[i] = cos(0.3 * i);
    memcpy(lu, a, sizeof a);
    assert_int_equal(LAPACKE_dgesv(LAPACK_COL_MAJOR, N, 1, lu, N, piv, ref, N),
                     0);
    dln_gmres *g = NULL;
    dln_gmres_info info;
    dense_op op = {N, a};
    assert_int_equal(dln_gmres_create(N, 4, &g), 0);
    assert_int_equal(dln_gmres_solve(g, dense_apply, &op, b, x, 1e-13, 2000,
                                     &info), 0);
    assert_true(info.converged);
    assert_true(info.iters > 4);
    for (int i = 0; i < N; i++)
        assert_true(fabs(x[i] - ref[i]) < 1e-11);
    assert_int_equal(dln_gmres_solve(g, NULL, &op, b, x, 1e-13, 10, &info),
                     2);
    dln_gmres_destroy(&g);
    dln_gmres_destroy(&g);
    assert_null(g);
}

/* A singular consistent system (the shape of M - I with neutral
 * directions): A = Q diag(0, 0, 1, ..) Q^T, b = A y. GMRES returns a
 * solution (residual at rounding) without dividing by the zero pivots. */
static void gmres_singular_consistent(void **state)
{
    (void)state;
    enum { N = 12 };
    double q[N * N], tau[N], a[N * N] = {0}, y[N], b[N], x[N] = {0}, r[N];
    for (int i = 0; i < N * N; i++)
        q[i] = sin(0.7 * i + 0.1);
    assert_int_equal(LAPACKE_dgeqrf(LAPACK_COL_MAJOR, N, N, q, N, tau), 0);
    assert_int_equal(LAPACKE_dorgqr(LAPACK_COL_MAJOR, N, N, N, q, N, tau), 0);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            for (int k = 2; k < N; k++)
                a[i + j * N] += q[i + k * N] * (1.0 + k) * q[j + k * N];
    for (int i = 0; i < N; i++)
        y[i] = cos(1.3 * i);
    dense_op op = {N, a};
    dense_apply(&op, y, b);
    dln_gmres *g = NULL;
    dln_gmres_info info;
    assert_int_equal(dln_gmres_create(N, 30, &g), 0);
    assert_int_equal(dln_gmres_solve(g, dense_apply, &op, b, x, 1e-12, 200,
                                     &info), 0);
    assert_true(info.converged);
    dense_apply(&op, x, r);
    for (int i = 0; i < N; i++)
        assert_true(fabs(r[i] - b[i]) < 1e-11);
    dln_gmres_destroy(&g);
}

/* ---- orbit solver and balancing -------------------------------------- */

/* The width-1 model of depth L (s = 1) after `steps` GD steps. */
static dln_model *scalar_model(int L, double eta, dln_init_kind init,
                               double alpha, long steps)
{
    return engine_trained(L, 1, "1", init, alpha, eta, steps);
}

/* The depth-2 scalar 2-cycle from 30 unconverged GD steps: Newton-Krylov
 * reaches a residual at rounding, and the end-to-end values are
 * [(1 + eta) +- sqrt((1 + eta)^2 - 4)] / (2 eta). */
static void orbit_two_cycle_closed_form(void **state)
{
    (void)state;
    double eta = 1.1;
    dln_model *m = scalar_model(2, eta, DLN_INIT_BALANCED, 0.8, 30);
    dln_orbitsolve *w = NULL;
    dln_orbitsolve_settings s;
    dln_orbitsolve_result res;
    double x[2];
    memcpy(x, dln_model_params(m), sizeof x);
    x[0] *= 1.1;   /* a guess off the cycle and off the balanced line */
    x[1] *= 0.95;
    dln_orbitsolve_defaults(&s);
    assert_int_equal(dln_orbitsolve_create(m, &w), 0);
    assert_int_equal(dln_orbitsolve_cycle(w, m, NULL, eta, 2, x, &s, &res),
                     0);
    assert_true(res.converged);
    assert_true(res.residual < 1e-14);
    assert_true(res.newton >= 2 && res.newton < 15);
    double root = sqrt((1 + eta) * (1 + eta) - 4.0);
    double hi = (1 + eta + root) / (2 * eta), lo = (1 + eta - root) / (2 * eta);
    double prod = x[0] * x[1];
    assert_true(fabs(prod - hi) < 1e-13 || fabs(prod - lo) < 1e-13);
    assert_true(dln_orbitsolve_subperiod_gap(w, m, eta, 2, x) > 0.1);
    assert_int_equal(dln_orbitsolve_cycle(w, m, NULL, eta, 0, x, &s, &res),
                     2);
    dln_orbitsolve_destroy(&w);
    dln_orbitsolve_destroy(&w);
    assert_null(w);
    dln_model_destroy(&m);
}

/* An identity init (W_3 = 0) converges to an unbalanced minimum; balancing
 * moves it to |w_l| = s^(1/3) with the product kept, and records the two
 * directions along the minima as neutral. */
static void balance_moves_to_flattest_minimum(void **state)
{
    (void)state;
    dln_model *m = scalar_model(3, 0.1, DLN_INIT_IDENTITY, 1.3, 4000);
    dln_svs *svs = NULL;
    dln_floquet *fw = NULL;
    double x[3], defect;
    memcpy(x, dln_model_params(m), sizeof x);
    assert_true(fabs(x[0] * x[1] * x[2] - 1.0) < 1e-12);
    assert_true(fabs(x[0] - x[2]) > 0.1);   /* not balanced */
    assert_int_equal(dln_svs_create(m, &svs), 0);
    assert_int_equal(dln_svs_fit(svs, m, &defect), 0);
    assert_int_equal(dln_floquet_create(m, &fw), 0);
    assert_int_equal(dln_floquet_record(fw, m, x, 0.1, 1), 0);
    assert_int_equal(dln_svs_balance(svs, dln_floquet_state(fw, 0), 2, 1e-9,
                                     x), 1);
    for (int l = 0; l < 3; l++)
        assert_true(fabs(fabs(x[l]) - 1.0) < 1e-12);
    assert_true(fabs(x[0] * x[1] * x[2] - 1.0) < 1e-12);
    assert_int_equal(dln_svs_stationary_neutral(svs), 2);
    /* the quotient removes the directions along the minima: (1,-1,0) */
    double v[3] = {1.0, -1.0, 0.0};
    assert_int_equal(dln_svs_project(svs, DLN_BLOCK_INSET, 1, v), 0);
    assert_true(engine_maxabs(v, 3) < 1e-12);
    dln_floquet_destroy(&fw);
    dln_svs_destroy(&svs);
    dln_model_destroy(&m);
}

/* ---- continuation ---------------------------------------------------- */

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Run the continuation from m's state; returns the number of points. */
static int follow(dln_model *m, double eta0, int period,
                  const dln_contin_settings *s, dln_located *out,
                  int maxout, dln_contin_stats *st)
{
    dln_contin *w = NULL;
    int nout = -1;
    assert_int_equal(dln_contin_create(m, &w), 0);
    assert_int_equal(dln_contin_run(w, m, NULL, eta0, period, s, out, maxout,
                                    &nout, st),
                     0);
    dln_contin_destroy(&w);
    dln_contin_destroy(&w);
    assert_null(w);
    return nout;
}

/* Depth 2, 3, 4 (width 1, s = 1): from a converged run at 0.9 eta_1 the
 * continuation locates eta_1..eta_8 to 1e-10 relative (the 128-cycle's
 * flip included) and the interval ratios delta_2..delta_7 within 1e-5,
 * each depth in well under a minute. */
static void scalar_cascade(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof REF / sizeof REF[0]; c++) {
        const struct cascade_ref *ref = &REF[c];
        double eta0 = 0.9 * ref->flips[0];
        dln_model *m = scalar_model(ref->depth, eta0, DLN_INIT_BALANCED, 0.5,
                                    3000);
        dln_contin_settings s;
        dln_contin_stats st;
        dln_located pts[16];
        dln_contin_defaults(&s);
        s.eta_hi = ref->flips[7] + 0.2 * (ref->flips[7] - ref->flips[6]);
        s.max_period = 128;
        double t0 = seconds();
        int n = follow(m, eta0, 1, &s, pts, 16, &st);
        double dt = seconds() - t0;
        assert_int_equal(st.status, DLN_CONTIN_MAX_PERIOD);
        assert_int_equal(n, 8);
        assert_true(st.svs);
        for (int i = 0; i < 8; i++) {
            assert_int_equal(pts[i].kind, DLN_LOCATED_FLIP);
            assert_int_equal(pts[i].period, 1 << i);
            assert_int_equal(pts[i].period_after, 2 << i);
            assert_true(rel(pts[i].eta, ref->flips[i]) < 1e-10);
            assert_true(pts[i].residual < 1e-13);
            assert_true(fabs(pts[i].multiplier + 1.0) < 1e-8);
        }
        for (int i = 2; i < 8; i++) {
            double got = (pts[i - 1].eta - pts[i - 2].eta) /
                         (pts[i].eta - pts[i - 1].eta);
            double want = (ref->flips[i - 1] - ref->flips[i - 2]) /
                          (ref->flips[i] - ref->flips[i - 1]);
            assert_true(fabs(got - want) < 1e-5);
        }
        assert_true(dt < 30.0);
        dln_model_destroy(&m);
    }
}

/* The period-3 window, found from a run inside it: followed down to its
 * fold (to 1e-9), then up through 3 -> 6 and 6 -> 12. */
static void scalar_window_fold(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof REF / sizeof REF[0]; c++) {
        const struct cascade_ref *ref = &REF[c];
        double eta0 = ref->fold + 0.3 * (ref->window[0] - ref->fold);
        dln_model *m = scalar_model(ref->depth, eta0, DLN_INIT_BALANCED, 0.5,
                                    20000);
        dln_contin_settings s;
        dln_contin_stats st;
        dln_located pts[8];
        dln_contin_defaults(&s);
        s.direction = -1;
        s.eta_lo = ref->fold - 0.05;
        s.eta_hi = ref->window[1] + 0.5 * (ref->window[1] - ref->window[0]);
        s.max_period = 6;   /* the 6-cycle's flip is the last located */
        int n = follow(m, eta0, 3, &s, pts, 8, &st);
        assert_int_equal(st.status, DLN_CONTIN_MAX_PERIOD);
        assert_int_equal(n, 3);
        assert_int_equal(pts[0].kind, DLN_LOCATED_FOLD);
        assert_int_equal(pts[0].period, 3);
        assert_true(rel(pts[0].eta, ref->fold) < 1e-9);
        assert_true(pts[0].residual < 1e-13);
        for (int i = 0; i < 2; i++) {
            assert_int_equal(pts[1 + i].kind, DLN_LOCATED_FLIP);
            assert_int_equal(pts[1 + i].period, 3 << i);
            assert_true(rel(pts[1 + i].eta, ref->window[i]) < 1e-10);
        }
        dln_model_destroy(&m);
    }
}

/* Width 5, depth 3, target (10, 9.5, 9), identity init: the modes flip at
 * 2 / (3 s_i^(4/3)) (the first a flip of the whole orbit, the others flips
 * of a fixed mode while mode 1 oscillates: the period stays 2), then mode
 * 1's cascade runs at eta_n(3, 1) / 10^(4/3). A rotated target gives the
 * same points (its orbit lies on the SVS set of its own bases). */
static void matrix_modes_and_cascade(void **state)
{
    (void)state;
    const double spec[3] = {10.0, 9.5, 9.0};
    const struct cascade_ref *l3 = &REF[1];
    for (int rotate = 0; rotate < 2; rotate++) {
        dln_params p = engine_params(3, 0, 5, 0, "10,9.5,9", rotate,
                                     DLN_INIT_IDENTITY);
        p.alpha = 0.01;
        p.eta = 0.03;
        dln_model *m = engine_model(&p);
        for (int t = 0; t < 8000; t++)
            dln_model_step(m, NULL);
        dln_contin_settings s;
        dln_contin_stats st;
        dln_located pts[16];
        dln_contin_defaults(&s);
        s.eta_hi = 0.0408;
        s.max_period = 32;
        int n = follow(m, 0.03, 1, &s, pts, 16, &st);
        assert_int_equal(st.status, DLN_CONTIN_MAX_PERIOD);
        assert_true(st.svs);
        assert_int_equal(n, 8);   /* 3 modes, then 2 -> 4 .. 32 -> 64 */
        for (int i = 0; i < 3; i++) {
            double want = 2.0 / (3.0 * pow(spec[i], 4.0 / 3.0));
            assert_int_equal(pts[i].kind,
                             i == 0 ? DLN_LOCATED_FLIP : DLN_LOCATED_MODE_FLIP);
            assert_int_equal(pts[i].subperiod, 1);
            assert_int_equal(pts[i].period_after, 2);
            assert_true(rel(pts[i].eta, want) < 1e-12);
        }
        for (int k = 1; k < 6; k++) {   /* eta_2..eta_6 of mode 1 */
            const dln_located *pt = &pts[2 + k];
            assert_int_equal(pt->kind, DLN_LOCATED_FLIP);
            assert_int_equal(pt->period, 1 << k);
            assert_true(rel(pt->eta, l3->flips[k] / pow(10.0, 4.0 / 3.0)) <
                        1e-10);
        }
        dln_model_destroy(&m);
    }
}

/* Bad arguments are refused; a start that is no cycle says so. */
static void bad_input_and_no_start(void **state)
{
    (void)state;
    dln_model *m = scalar_model(2, 1.1, DLN_INIT_BALANCED, 0.8, 5);
    dln_contin *w = NULL;
    dln_contin_settings s;
    dln_contin_stats st;
    dln_located pts[4];
    int n;
    dln_contin_defaults(&s);
    assert_int_equal(dln_contin_create(m, &w), 0);
    assert_int_equal(dln_contin_run(w, m, NULL, -1.0, 1, &s, pts, 4, &n, &st),
                     2);
    assert_int_equal(dln_contin_run(w, m, NULL, 1.1, 0, &s, pts, 4, &n, &st),
                     2);
    /* a start whose orbit overflows */
    double x[2] = {1e200, 1e200};
    assert_int_equal(dln_contin_run(w, m, x, 1.1, 1, &s, pts, 4, &n, &st), 0);
    assert_int_equal(st.status, DLN_CONTIN_NO_START);
    assert_int_equal(n, 0);
    dln_contin_destroy(&w);
    dln_model_destroy(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gmres_matches_dgesv),
        cmocka_unit_test(gmres_singular_consistent),
        cmocka_unit_test(orbit_two_cycle_closed_form),
        cmocka_unit_test(balance_moves_to_flattest_minimum),
        cmocka_unit_test(scalar_cascade),
        cmocka_unit_test(scalar_window_fold),
        cmocka_unit_test(matrix_modes_and_cascade),
        cmocka_unit_test(bad_input_and_no_start),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
