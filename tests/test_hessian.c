/* test_hessian.c — exact HVP, dense Hessian and Lanczos against finite
 * differences, LAPACK dsyev and the balanced-minimum theory of the DLN.
 *
 * Theory (checked here, not assumed).  At a global minimum the residual is
 * zero, so H = J^T J with J the Jacobian of the product map
 * x -> W_{L:1}; its nonzero eigenvalues are those of
 * J J^T (X) = sum_l (W_{L:l+1} W_{L:l+1}^T) X (W_{l-1:1}^T W_{l-1:1}).
 * At the balanced minimum with W_l = diag(s^(1/L)) (square d x d, s padded
 * with zeros to length d) both factors are diagonal, so every matrix unit
 * E_ij is an eigenvector:
 *     lambda_ij = sum_{l=1..L} s_i^(2(L-l)/L) s_j^(2(l-1)/L),  0^0 = 1,
 * over ALL ORDERED pairs (i, j) in {1..d} x {1..d} — i indexes the output
 * (row) side, j the input side.  lambda_ij = lambda_ji, so off-diagonal
 * pairs come twice (e.g. L = 2: lambda_12 = s_1 + s_2 has multiplicity 2);
 * pairs with one padded index (s_i = 0 < s_j) are NOT zero but
 * s_j^(2(L-1)/L) (only the l = L, resp. l = 1, term survives); pairs with
 * both indices padded are zero for L >= 2.  The remaining
 * L d^2 - d^2 eigenvalues are zero (the flat directions of the balanced
 * manifold and the gauge W_{l+1} A^{-1}, A W_l).  L = 1 gives H = I.  A
 * rotated target is an orthogonal change of coordinates (W_1 V^T, U W_L),
 * so the spectrum is the same.  The full_spectrum test below confirms this
 * index set against dsyev of dln_model_hessian on d = 2, 3, L = 1..4; the
 * top eigenvalue is lambda_11 = L s_1^(2-2/L), the balanced sharpness. */
#include "engine_testutil.h"
#include "dlnsweep/lanczos.h"
#include "dlnsweep/diagnostics.h"
#include "dlnsweep/rng.h"
#include "dlnsweep/theory.h"

/* lambda_ij of the header comment (pow(0, 0) = 1 as C99 guarantees). */
static double pair_eigenvalue(int L, double si, double sj)
{
    double sum = 0.0;
    for (int l = 1; l <= L; l++)
        sum += pow(si, 2.0 * (L - l) / L) * pow(sj, 2.0 * (l - 1) / L);
    return sum;
}

/* Central differences of the gradient along e_j, column by column, equal
 * the dense Hessian built from exact HVPs. */
static void hessian_matches_finite_differences(void **state)
{
    (void)state;
    dln_params p = engine_params(3, 2, 3, 2, "3,1", 1, DLN_INIT_GAUSSIAN);
    p.alpha = 1.3;
    dln_model *m = engine_model(&p);
    size_t n = dln_model_nparams(m);   /* 6 + 9 + 6 = 21 */
    assert_int_equal(n, 21);
    double *x = malloc(n * sizeof *x), *h = malloc(n * n * sizeof *h);
    double *gp = malloc(n * sizeof *gp), *gm = malloc(n * sizeof *gm);
    memcpy(x, dln_model_params(m), n * sizeof *x);
    assert_int_equal(dln_model_hessian(m, h), 0);
    double hmax = engine_maxabs(h, n * n), worst = 0.0;
    const double step = 1e-5;
    for (size_t j = 0; j < n; j++) {
        double xj = x[j];
        x[j] = xj + step;
        dln_model_set_params(m, x);
        dln_model_gradient(m, gp);
        x[j] = xj - step;
        dln_model_set_params(m, x);
        dln_model_gradient(m, gm);
        x[j] = xj;
        for (size_t i = 0; i < n; i++) {
            double fd = (gp[i] - gm[i]) / (2 * step);
            double err = fabs(fd - h[i + j * n]);
            if (err > worst)
                worst = err;
        }
    }
    assert_true(hmax > 1.0);            /* a real, non-trivial Hessian */
    assert_true(worst <= 1e-7 * hmax);
    /* symmetric by construction */
    for (size_t j = 0; j < n; j++)
        for (size_t i = 0; i < n; i++)
            assert_true(h[i + j * n] == h[j + i * n]);
    free(x); free(h); free(gp); free(gm);
    dln_model_destroy(&m);
}

/* H v = (g(x + t v) - g(x - t v)) / 2t + O(t^2) at random Gaussian points,
 * for several depths and rectangular shapes. */
static void hvp_matches_finite_differences(void **state)
{
    (void)state;
    static const struct { int L, din, d, dout; const char *s; int rot; } c[] = {
        {1, 3, 3, 2, "2,1", 1},     {2, 4, 3, 2, "3,1", 1},
        {3, 2, 5, 4, "10,9.5", 0},  {4, 3, 4, 5, "10,9.5,9", 1},
        {6, 2, 3, 3, "1.5", 0}};
    for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
        dln_params p = engine_params(c[k].L, c[k].din, c[k].d, c[k].dout,
                                     c[k].s, c[k].rot, DLN_INIT_GAUSSIAN);
        p.alpha = 1.2;
        p.seed += k;
        dln_model *m = engine_model(&p);
        size_t n = dln_model_nparams(m);
        double *x = malloc(n * sizeof *x), *v = malloc(n * sizeof *v);
        double *hv = malloc(n * sizeof *hv), *gp = malloc(n * sizeof *gp);
        double *gm = malloc(n * sizeof *gm), *xs = malloc(n * sizeof *xs);
        memcpy(x, dln_model_params(m), n * sizeof *x);
        dln_rng_normal(99 + k, 7, v, n);
        assert_int_equal(dln_model_hvp(m, v, hv), 0);
        const double t = 1e-5;
        for (size_t i = 0; i < n; i++)
            xs[i] = x[i] + t * v[i];
        dln_model_set_params(m, xs);
        dln_model_gradient(m, gp);
        for (size_t i = 0; i < n; i++)
            xs[i] = x[i] - t * v[i];
        dln_model_set_params(m, xs);
        dln_model_gradient(m, gm);
        double scale = engine_maxabs(hv, n);
        assert_true(scale > 0.1);
        for (size_t i = 0; i < n; i++) {
            double fd = (gp[i] - gm[i]) / (2 * t);
            assert_true(fabs(fd - hv[i]) <= 1e-7 * scale);
        }
        free(x); free(v); free(hv); free(gp); free(gm); free(xs);
        dln_model_destroy(&m);
    }
}

/* Spectrum cases at balanced minima: square d, so d_in = d_out = width. */
static const struct { int d; const char *s; } spectra[] = {
    {3, "10,9.5,9"}, {2, "10,6"}, {3, "10,6"}, {2, "2,0.5"}};

/* dsyev of the dense Hessian at the balanced minimum equals the multiset
 * { lambda_ij : all ordered (i, j) in [d] x [d] } plus (L-1) d^2 zeros. */
static void full_spectrum_at_balanced_minimum(void **state)
{
    (void)state;
    for (int L = 1; L <= 4; L++)
        for (size_t c = 0; c < sizeof spectra / sizeof spectra[0]; c++)
            for (int rot = 0; rot <= 1; rot++) {
                int d = spectra[c].d;
                dln_params p = engine_params(L, d, d, d, spectra[c].s, rot,
                                             DLN_INIT_GAUSSIAN);
                dln_model *m = engine_model(&p);
                size_t n = dln_model_nparams(m);
                assert_int_equal(n, (size_t)L * d * d);
                double *x = malloc(n * sizeof *x), *h = malloc(n * n * sizeof *h);
                double *ev = malloc(n * sizeof *ev), *want = calloc(n, sizeof *want);
                double *g = malloc(n * sizeof *g);
                engine_set_balanced_min(m, &p, x);
                /* it is a global minimum: zero loss and gradient */
                assert_true(dln_model_loss(m) <= 1e-26 * p.spectrum[0] * p.spectrum[0]);
                dln_model_gradient(m, g);
                assert_true(engine_maxabs(g, n) <= 1e-12 * p.spectrum[0]);
                assert_int_equal(dln_model_hessian(m, h), 0);
                engine_eigvals(h, (int)n, ev);
                double s[3] = {0, 0, 0};
                for (int i = 0; i < p.rank; i++)
                    s[i] = p.spectrum[i];
                size_t cnt = 0;
                for (int i = 0; i < d; i++)
                    for (int j = 0; j < d; j++)
                        want[cnt++] = pair_eigenvalue(L, s[i], s[j]);
                /* the other (L-1) d^2 entries of want stay 0 */
                qsort(want, n, sizeof *want, engine_cmp_double);
                double top = want[n - 1];
                assert_float_equal(top, L * pow(s[0], 2.0 - 2.0 / L), 1e-12 * top);
                for (size_t i = 0; i < n; i++)
                    assert_float_equal(ev[i], want[i], 1e-10 * top);
                free(x); free(h); free(ev); free(want); free(g);
                dln_model_destroy(&m);
            }
}

/* Lanczos at the balanced minimum finds the theory sharpness
 * L s_1^(2-2/L) = dln_theory_sharpness, for L = 1..5, rotated or not. */
static void sharpness_at_balanced_minimum(void **state)
{
    (void)state;
    for (int L = 1; L <= 5; L++)
        for (size_t c = 0; c < sizeof spectra / sizeof spectra[0]; c++)
            for (int rot = 0; rot <= 1; rot++) {
                int d = spectra[c].d;
                dln_params p = engine_params(L, d, d, d, spectra[c].s, rot,
                                             DLN_INIT_GAUSSIAN);
                dln_model *m = engine_model(&p);
                double *x = malloc(dln_model_nparams(m) * sizeof *x);
                engine_set_balanced_min(m, &p, x);
                double top[2];
                assert_int_equal(dln_lanczos_top(m, 40, 2, p.seed, top), 0);
                double want = dln_theory_sharpness(&p);
                assert_float_equal(want, L * pow(p.spectrum[0], 2.0 - 2.0 / L),
                                   1e-14 * want);
                assert_float_equal(top[0], want, 1e-10 * want);
                assert_true(top[1] <= top[0]);
                free(x);
                dln_model_destroy(&m);
            }
    /* Literal numbers: L = 3, s_1 = 10 gives 3 * 10^(4/3); L = 2 gives 2 s_1;
     * L = 4 gives 4 * 10^1.5; the second eigenvalue at L = 2 is the cross
     * eigenvalue lambda_12 = s_1 + s_2 = 19.5 (twice). */
    static const struct { int L; double top0, top1; } lit[] = {
        {2, 20.0, 19.5}, {3, 64.6330407009565, 0.0}, {4, 126.49110640673517, 0.0}};
    for (size_t c = 0; c < sizeof lit / sizeof lit[0]; c++) {
        dln_params p = engine_params(lit[c].L, 3, 3, 3, "10,9.5,9", 1,
                                     DLN_INIT_GAUSSIAN);
        dln_model *m = engine_model(&p);
        double *x = malloc(dln_model_nparams(m) * sizeof *x), top[3];
        engine_set_balanced_min(m, &p, x);
        assert_int_equal(dln_lanczos_top(m, 40, 3, 7, top), 0);
        assert_float_equal(top[0], lit[c].top0, 1e-10 * lit[c].top0);
        if (lit[c].top1 > 0) {
            assert_float_equal(top[1], lit[c].top1, 1e-10 * lit[c].top0);
            assert_float_equal(top[2], lit[c].top1, 1e-10 * lit[c].top0);
        }
        free(x);
        dln_model_destroy(&m);
    }
}

/* Lanczos top-k equals the top-k of dsyev on the dense Hessian: at random
 * points (exact with iters >= nparams, converged with iters < nparams) and
 * at a balanced minimum whose top eigenvalues are repeated. */
static void lanczos_matches_dense_eigenvalues(void **state)
{
    (void)state;
    static const struct {
        int L, din, d, dout; const char *s; int rot, bal, iters;
    } c[] = {
        {2, 3, 3, 2, "3,1", 1, 0, 40},       /* n = 15 < iters   */
        {3, 4, 5, 3, "10,9.5,9", 1, 0, 100}, /* n = 60 < iters   */
        {3, 6, 6, 6, "10,9.5,9", 1, 0, 60},  /* n = 108 > iters  */
        {4, 5, 7, 4, "5,2", 0, 0, 80},       /* n = 118 > iters  */
        {2, 3, 3, 3, "10,9.5,9", 0, 1, 18},  /* balanced, repeated */
        {3, 3, 3, 3, "10,9.5,9", 1, 1, 27}};
    for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
        dln_params p = engine_params(c[k].L, c[k].din, c[k].d, c[k].dout,
                                     c[k].s, c[k].rot, DLN_INIT_GAUSSIAN);
        p.alpha = 1.5;
        dln_model *m = engine_model(&p);
        size_t n = dln_model_nparams(m);
        double *x = malloc(n * sizeof *x), *h = malloc(n * n * sizeof *h);
        double *ev = malloc(n * sizeof *ev), top[4];
        if (c[k].bal)
            engine_set_balanced_min(m, &p, x);
        assert_int_equal(dln_lanczos_top(m, c[k].iters, 4, 42 + k, top), 0);
        assert_int_equal(dln_model_hessian(m, h), 0);
        engine_eigvals(h, (int)n, ev);
        double scale = fabs(ev[n - 1]) > fabs(ev[0]) ? fabs(ev[n - 1]) : fabs(ev[0]);
        for (int i = 0; i < 4; i++)
            assert_float_equal(top[i], ev[n - 1 - i], 1e-9 * scale);
        if (c[k].bal && c[k].L == 2) {   /* 20, 19.5, 19.5, 19 */
            assert_float_equal(top[1], 19.5, 1e-9 * 20);
            assert_float_equal(top[2], 19.5, 1e-9 * 20);
            assert_float_equal(top[3], 19.0, 1e-9 * 20);
        }
        free(x); free(h); free(ev);
        dln_model_destroy(&m);
    }
}

/* A bounded basis (thick restart) with fewer vectors than steps: the top 4
 * still equal dsyev's on the dense Hessian (random points, and balanced
 * minima whose top eigenvalues repeat: 20, 19.5, 19.5, 19 at L = 2), the
 * run is deterministic, and a bound at or above the steps is bit-identical
 * to the unbounded workspace. */
static void bounded_lanczos_matches_dense_eigenvalues(void **state)
{
    (void)state;
    static const struct {
        int L, din, d, dout; const char *s; int rot, bal, iters, basis;
    } c[] = {
        {3, 6, 6, 6, "10,9.5,9", 1, 0, 200, 12},  /* n = 108 */
        {4, 5, 7, 4, "5,2", 0, 0, 240, 10},       /* n = 118 */
        {3, 8, 8, 8, "10,9.5,9", 1, 0, 300, 6},   /* n = 192, k + 2 */
        {2, 3, 3, 3, "10,9.5,9", 0, 1, 120, 8},   /* balanced, repeated */
        {3, 3, 3, 3, "10,9.5,9", 1, 1, 120, 8}};
    for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
        dln_params p = engine_params(c[k].L, c[k].din, c[k].d, c[k].dout,
                                     c[k].s, c[k].rot, DLN_INIT_GAUSSIAN);
        p.alpha = 1.5;
        dln_model *m = engine_model(&p);
        size_t n = dln_model_nparams(m);
        double *x = malloc(n * sizeof *x), *h = malloc(n * n * sizeof *h);
        double *ev = malloc(n * sizeof *ev), top[4], again[4];
        dln_lanczos *l = NULL;
        if (c[k].bal)
            engine_set_balanced_min(m, &p, x);
        assert_int_equal(dln_lanczos_create_bounded(n, c[k].iters,
                                                    c[k].basis, &l), 0);
        assert_int_equal(dln_lanczos_run(l, m, c[k].iters, 4, 42 + k, top),
                         0);
        assert_int_equal(dln_lanczos_run(l, m, c[k].iters, 4, 42 + k,
                                         again), 0);
        assert_memory_equal(top, again, sizeof top);
        assert_int_equal(dln_model_hessian(m, h), 0);
        engine_eigvals(h, (int)n, ev);
        double scale = fabs(ev[n - 1]) > fabs(ev[0]) ? fabs(ev[n - 1])
                                                     : fabs(ev[0]);
        for (int i = 0; i < 4; i++)
            assert_float_equal(top[i], ev[n - 1 - i], 1e-9 * scale);
        if (c[k].bal && c[k].L == 2) {
            assert_float_equal(top[1], 19.5, 1e-9 * 20);
            assert_float_equal(top[2], 19.5, 1e-9 * 20);
            assert_float_equal(top[3], 19.0, 1e-9 * 20);
        }
        dln_lanczos_destroy(&l);
        /* a bound that does not bind: the unbounded bits */
        assert_int_equal(dln_lanczos_create_bounded(n, 30, 30, &l), 0);
        assert_int_equal(dln_lanczos_run(l, m, 30, 4, 5, top), 0);
        assert_int_equal(dln_lanczos_top(m, 30, 4, 5, again), 0);
        assert_memory_equal(top, again, sizeof top);
        assert_int_equal(dln_lanczos_run(l, m, 30, 4, 5, again), 0);
        dln_lanczos_destroy(&l);
        free(x); free(h); free(ev);
        dln_model_destroy(&m);
    }
    /* too small a basis for k, and bad bounds */
    dln_params p = engine_params(3, 6, 6, 6, "10,9.5,9", 1,
                                 DLN_INIT_GAUSSIAN);
    dln_model *m = engine_model(&p);
    dln_lanczos *l = NULL;
    double top[4];
    assert_int_equal(dln_lanczos_create_bounded(108, 40, 5, &l), 0);
    assert_int_equal(dln_lanczos_run(l, m, 40, 4, 1, top), 2);
    assert_int_equal(dln_lanczos_run(l, m, 40, 3, 1, top), 0);
    dln_lanczos_destroy(&l);
    assert_int_equal(dln_lanczos_create_bounded(108, 40, 2, &l), 2);
    assert_int_equal(dln_lanczos_create_bounded(108, 40, -1, &l), 2);
    dln_model_destroy(&m);
}

/* iters > nparams, k > nparams, breakdown at the first step (H = I), bad
 * arguments, determinism and NaN parameters. */
static void lanczos_edge_cases(void **state)
{
    (void)state;
    dln_params p = engine_params(1, 2, 2, 2, "2,1", 1, DLN_INIT_GAUSSIAN);
    p.top_k = 1;
    dln_model *m = engine_model(&p);   /* L = 1: H = I on 4 parameters */
    double top[6];
    assert_int_equal(dln_lanczos_top(m, 10, 6, 1, top), 0);
    for (int i = 0; i < 4; i++)
        assert_float_equal(top[i], 1.0, 1e-14);
    assert_true(isnan(top[4]) && isnan(top[5]));
    assert_int_equal(dln_lanczos_top(m, 10, 0, 1, top), 2);
    assert_int_equal(dln_lanczos_top(m, 3, 4, 1, top), 2);
    assert_int_equal(dln_lanczos_top(m, 0, 1, 1, top), 2);
    assert_int_equal(dln_lanczos_top(NULL, 3, 1, 1, top), 2);
    dln_model_destroy(&m);

    /* Same seed: bit-identical; other seed: same eigenvalues. */
    p = engine_params(3, 4, 5, 3, "10,9.5,9", 1, DLN_INIT_GAUSSIAN);
    m = engine_model(&p);
    double a[4], b[4], c[4];
    assert_int_equal(dln_lanczos_top(m, 30, 4, 5, a), 0);
    assert_int_equal(dln_lanczos_top(m, 30, 4, 5, b), 0);
    assert_int_equal(dln_lanczos_top(m, 60, 4, 6, c), 0);
    assert_memory_equal(a, b, sizeof a);
    assert_float_equal(a[0], c[0], 1e-9 * fabs(c[0]));

    /* Non-finite parameters: NaN out, no crash, return 0. */
    size_t n = dln_model_nparams(m);
    double *x = malloc(n * sizeof *x);
    memcpy(x, dln_model_params(m), n * sizeof *x);
    x[3] = NAN;
    dln_model_set_params(m, x);
    assert_int_equal(dln_lanczos_top(m, 30, 4, 5, a), 0);
    for (int i = 0; i < 4; i++)
        assert_true(isnan(a[i]));
    free(x);
    dln_model_destroy(&m);
}

/* A kept workspace gives dln_lanczos_top's bits whatever seeds came
 * before (its kept start vector follows the seed), including restarts
 * (H = I breaks down at once); a model or iters that does not fit it is
 * refused. */
static void lanczos_workspace(void **state)
{
    (void)state;
    dln_params p = engine_params(3, 4, 5, 3, "10,9.5,9", 1,
                                 DLN_INIT_GAUSSIAN);
    dln_model *m = engine_model(&p);
    dln_lanczos *l = NULL;
    size_t n = dln_model_nparams(m);
    assert_int_equal(dln_lanczos_create(n, 30, &l), 0);
    const uint64_t seeds[] = {5, 5, 6, 5, 6, 6};
    for (int i = 0; i < 6; i++) {
        double want[4], got[4];
        assert_int_equal(dln_lanczos_top(m, 30, 4, seeds[i], want), 0);
        assert_int_equal(dln_lanczos_run(l, m, i % 2 ? 30 : 20, 4, seeds[i],
                                         got), 0);
        if (i % 2)
            assert_memory_equal(want, got, sizeof want);
        else   /* 20 steps: the top value has converged all the same */
            assert_float_equal(got[0], want[0], 1e-9 * fabs(want[0]));
        /* One GD step between estimates, as in a run. */
        dln_model_step(m, NULL);
    }
    double top[4];
    assert_int_equal(dln_lanczos_run(l, m, 31, 4, 5, top), 2);
    assert_int_equal(dln_lanczos_run(l, m, 30, 0, 5, top), 2);
    dln_params q = engine_params(1, 2, 2, 2, "2,1", 1, DLN_INIT_GAUSSIAN);
    dln_model *small = engine_model(&q);   /* H = I on 4 parameters */
    assert_int_equal(dln_lanczos_run(l, small, 4, 4, 5, top), 2);
    dln_lanczos *ls = NULL;
    assert_int_equal(dln_lanczos_create(4, 10, &ls), 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(dln_lanczos_run(ls, small, 10, 4, 1, top), 0);
        for (int k = 0; k < 4; k++)
            assert_float_equal(top[k], 1.0, 1e-14);
    }
    dln_lanczos_destroy(&ls);
    dln_lanczos_destroy(&ls);             /* accepts NULL */
    assert_int_equal(dln_lanczos_create(0, 10, &ls), 2);
    assert_null(ls);
    dln_lanczos_destroy(&l);
    assert_null(l);
    dln_model_destroy(&small);
    dln_model_destroy(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hessian_matches_finite_differences),
        cmocka_unit_test(hvp_matches_finite_differences),
        cmocka_unit_test(full_spectrum_at_balanced_minimum),
        cmocka_unit_test(sharpness_at_balanced_minimum),
        cmocka_unit_test(lanczos_matches_dense_eigenvalues),
        cmocka_unit_test(bounded_lanczos_matches_dense_eigenvalues),
        cmocka_unit_test(lanczos_edge_cases),
        cmocka_unit_test(lanczos_workspace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
