/* test_pmodel.c — the distributed model against the serial one and against
 * theory, on whatever number of ranks it is launched with (ctest runs it on
 * 1, 2 and 4 ranks: grids 1x1, 1x2, 2x2), with block sizes that divide no
 * dimension.  Every metric is computed on rank 0 and broadcast before any
 * assertion, so all ranks pass or fail together (no rank leaves a
 * collective behind). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <mpi.h>
#include <cblas.h>
#include <lapacke.h>
#include "dlnsweep/diagnostics.h"
#include "dlnsweep/lanczos.h"
#include "dlnsweep/model.h"
#include "dlnsweep/pmodel.h"
#include "dlnsweep/rng.h"
#include "engine_testutil.h"
#include "mpi_testutil.h"

static int world_rank;

/* rank 0's value on every rank (printed with DLN_TEST_VERBOSE set) */
static double shared_named(double v, const char *name)
{
    MPI_Bcast(&v, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    if (world_rank == 0 && getenv("DLN_TEST_VERBOSE"))
        printf("    %s = %.3g\n", name, v);
    return v;
}
#define shared(v) shared_named((v), #v)

static dln_params cell(int L, int din, int d, int dout, const char *spec,
                       int rotate, dln_init_kind init, double alpha,
                       double eta)
{
    dln_params p = engine_params(L, din, d, dout, spec, rotate, init);
    p.alpha = alpha;
    p.eta = eta;
    p.seed = 0x5eed1234abcdULL;
    p.lanczos_iters = 60;
    return p;
}

/* ||a - b|| / ||b|| */
static double rel_diff(const double *a, const double *b, size_t n)
{
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < n; i++) {
        num += (a[i] - b[i]) * (a[i] - b[i]);
        den += b[i] * b[i];
    }
    return sqrt(num) / (den > 0.0 ? sqrt(den) : 1.0);
}

/* The rotated, rectangular, Gaussian cell used by the trajectory tests. */
static dln_params wide_cell(void)
{
    return cell(3, 26, 31, 23, "3,2,1.5,1", 1, DLN_INIT_GAUSSIAN, 1.0, 0.05);
}

/* 100 GD steps: losses and final weights agree with the serial model to
 * 1e-10 relative; so do the gradient and an HVP at the end. */
static void trajectory_matches_serial(void **state)
{
    (void)state;
    dln_params p = wide_cell();
    dln_pmodel *pm = NULL;
    dln_model *sm = NULL;
    assert_int_equal(dln_pmodel_create(&p, MPI_COMM_WORLD, 5, &pm), 0);
    size_t n = dln_pmodel_nparams(pm), nl = dln_pmodel_nlocal(pm);
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    double *vloc = malloc((nl + 1) * sizeof *vloc);
    double *wloc = malloc((nl + 1) * sizeof *wloc);
    assert_non_null(x);
    assert_non_null(y);
    if (world_rank == 0)
        assert_int_equal(dln_model_create(&p, &sm), 0);
    double worst_loss = 0.0, first = 0.0, last = 0.0;
    for (int t = 0; t < 100; t++) {
        double lp = dln_pmodel_step(pm);
        if (world_rank == 0) {
            double ls = dln_model_step(sm, NULL);
            double e = fabs(lp - ls) / fabs(ls);
            worst_loss = e > worst_loss ? e : worst_loss;
            if (t == 0)
                first = ls;
            last = ls;
        }
    }
    dln_pmodel_gather(pm, dln_pmodel_params(pm), x);
    double werr = world_rank == 0 ? rel_diff(x, dln_model_params(sm), n) : 0;
    /* gradient and HVP along a seeded direction at the final iterate */
    dln_pmodel_gradient(pm, wloc);
    dln_pmodel_gather(pm, wloc, x);
    double gerr = 0.0, herr = 0.0;
    if (world_rank == 0) {
        dln_model_gradient(sm, y);
        gerr = rel_diff(x, y, n);
        dln_rng_normal(7, 7, y, n);
    }
    dln_pmodel_scatter(pm, y, vloc);
    dln_pmodel_hvp(pm, vloc, wloc);
    dln_pmodel_gather(pm, wloc, x);
    if (world_rank == 0) {
        double *hs = malloc(n * sizeof *hs);
        dln_model_hvp(sm, y, hs);
        herr = rel_diff(x, hs, n);
        free(hs);
    }
    worst_loss = shared(worst_loss);
    werr = shared(werr);
    gerr = shared(gerr);
    herr = shared(herr);
    first = shared(first);
    last = shared(last);
    dln_model_destroy(&sm);
    dln_pmodel_destroy(&pm);
    free(x);
    free(y);
    free(vloc);
    free(wloc);
    assert_true(last < 0.5 * first);      /* the run really trains */
    assert_true(worst_loss < 1e-10);
    assert_true(werr < 1e-10);
    assert_true(gerr < 1e-10);
    assert_true(herr < 1e-10);
}

/* Depths 1, 2 and 5 (rectangular ends): 30 steps and an HVP agree with
 * the serial model. */
static void other_depths_match_serial(void **state)
{
    (void)state;
    static const int depth[] = {1, 2, 5};
    double worst = 0.0;
    for (int c = 0; c < 3; c++) {
        dln_params p = cell(depth[c], 13, 11, 9, "2,1.5,1", 1,
                            DLN_INIT_GAUSSIAN, 1.0, 0.02);
        dln_pmodel *pm = NULL;
        dln_model *sm = NULL;
        assert_int_equal(dln_pmodel_create(&p, MPI_COMM_WORLD, 4, &pm), 0);
        size_t n = dln_pmodel_nparams(pm), nl = dln_pmodel_nlocal(pm);
        double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
        double *hs = malloc(n * sizeof *hs);
        double *vloc = malloc((nl + 1) * sizeof *vloc);
        double *wloc = malloc((nl + 1) * sizeof *wloc);
        for (int t = 0; t < 30; t++)
            dln_pmodel_step(pm);
        dln_pmodel_gather(pm, dln_pmodel_params(pm), x);
        if (world_rank == 0) {
            assert_int_equal(dln_model_create(&p, &sm), 0);
            for (int t = 0; t < 30; t++)
                dln_model_step(sm, NULL);
            worst = fmax(worst, rel_diff(x, dln_model_params(sm), n));
            dln_rng_normal(5, 5, y, n);
            dln_model_hvp(sm, y, hs);
        }
        dln_pmodel_scatter(pm, y, vloc);
        dln_pmodel_hvp(pm, vloc, wloc);
        dln_pmodel_gather(pm, wloc, x);
        if (world_rank == 0)
            worst = fmax(worst, rel_diff(x, hs, n));
        dln_model_destroy(&sm);
        dln_pmodel_destroy(&pm);
        free(x);
        free(y);
        free(hs);
        free(vloc);
        free(wloc);
    }
    worst = shared(worst);
    assert_true(worst < 1e-12);
}

/* Dense serial Hessian spectrum (ascending) of sm's current point. */
static double *serial_spectrum(dln_model *sm)
{
    size_t n = dln_model_nparams(sm);
    double *h = malloc(n * n * sizeof *h), *w = malloc(n * sizeof *w);
    dln_model_loss(sm);
    dln_model_hessian(sm, h);
    assert_int_equal(LAPACKE_dsyev(LAPACK_COL_MAJOR, 'N', 'L', (int)n, h,
                                   (int)n, w), 0);
    free(h);
    return w;
}

/* PDSYEVD on the HVP-assembled Hessian = LAPACK on the serial one; the
 * Lanczos top-4 agrees with both. */
static void full_spectrum_matches_serial(void **state)
{
    (void)state;
    dln_params p = cell(3, 5, 7, 4, "2,1", 1, DLN_INIT_GAUSSIAN, 1.2, 0.1);
    dln_pmodel *pm = NULL;
    dln_model *sm = NULL;
    assert_int_equal(dln_pmodel_create(&p, MPI_COMM_WORLD, 3, &pm), 0);
    for (int t = 0; t < 20; t++)
        dln_pmodel_step(pm);
    size_t n = dln_pmodel_nparams(pm);
    double *eig = malloc(n * sizeof *eig), top[4];
    dln_pmodel_loss(pm);
    assert_int_equal(dln_pmodel_hessian_spectrum(pm, eig), 0);
    assert_int_equal(dln_pmodel_lanczos_top(pm, (int)n, 4, 99, top), 0);
    double err = 0.0, lerr = 0.0, scale = 0.0;
    if (world_rank == 0) {
        assert_int_equal(dln_model_create(&p, &sm), 0);
        for (int t = 0; t < 20; t++)
            dln_model_step(sm, NULL);
        double *w = serial_spectrum(sm);
        scale = fabs(w[n - 1]) > fabs(w[0]) ? fabs(w[n - 1]) : fabs(w[0]);
        for (size_t i = 0; i < n; i++)
            err = fmax(err, fabs(eig[i] - w[i]) / scale);
        for (int i = 0; i < 4; i++)
            lerr = fmax(lerr, fabs(top[i] - w[n - 1 - i]) / scale);
        free(w);
        dln_model_destroy(&sm);
    }
    err = shared(err);
    lerr = shared(lerr);
    scale = shared(scale);
    dln_pmodel_destroy(&pm);
    free(eig);
    assert_true(scale > 1.0);
    assert_true(err < 1e-10);
    assert_true(lerr < 1e-9);
}

/* At the balanced minimum W_l = s^(1/L) I of M* = s I the Hessian is
 * J^T J with J = s^((L-1)/L) [I ... I]: eigenvalue L s^(2-2/L) d^2 times,
 * zero (L-1) d^2 times.  Checked on the full spectrum and by Lanczos,
 * whose seeded restarts at each invariant subspace find lam twice. */
static void balanced_minimum_spectrum(void **state)
{
    (void)state;
    const int L = 3, d = 6;
    const double s = 2.0;
    dln_params p = cell(L, 0, d, 0, "2,2,2,2,2,2", 0, DLN_INIT_BALANCED,
                        pow(s, 1.0 / L), 0.1);
    dln_pmodel *pm = NULL;
    assert_int_equal(dln_pmodel_create(&p, MPI_COMM_WORLD, 4, &pm), 0);
    size_t n = dln_pmodel_nparams(pm);
    double *eig = malloc(n * sizeof *eig), top[2];
    double loss = dln_pmodel_loss(pm);
    assert_int_equal(dln_pmodel_hessian_spectrum(pm, eig), 0);
    assert_int_equal(dln_pmodel_lanczos_top(pm, 30, 2, 3, top), 0);
    double lam = L * pow(s, 2.0 - 2.0 / L), err = 0.0;
    for (size_t i = 0; i < n; i++)
        err = fmax(err, fabs(eig[i] - (i < n - (size_t)d * d ? 0.0 : lam)));
    dln_pmodel_destroy(&pm);
    free(eig);
    assert_int_equal(n, (size_t)L * d * d);
    assert_true(loss < 1e-24);
    assert_true(err < 1e-10 * lam);
    assert_true(fabs(top[0] - lam) < 1e-10 * lam);
    assert_true(fabs(top[1] - lam) < 1e-10 * lam);
}

/* Singular values by PDGESVD, balance gap, off-diagonal mass and target
 * modes match the serial diagnostics (diagnostics.h) of the same iterate. */
static void diagnostics_match_serial(void **state)
{
    (void)state;
    dln_params p = wide_cell();
    dln_pmodel *pm = NULL;
    dln_model *sm = NULL;
    dln_diag *dg = NULL;
    assert_int_equal(dln_pmodel_create(&p, MPI_COMM_WORLD, 7, &pm), 0);
    for (int t = 0; t < 30; t++)
        dln_pmodel_step(pm);
    dln_pmodel_loss(pm);
    double sv[DLN_MAX_SV], svl[3 * DLN_MAX_SV], modes[4];
    int k = dln_pmodel_product_sv(pm, sv);
    dln_pmodel_layer_sv(pm, svl);
    double gap = dln_pmodel_balance_gap(pm, NULL), off = dln_pmodel_offdiag_mass(pm);
    int nm = dln_pmodel_target_modes(pm, modes);
    double e_sv = 0.0, e_gap = 0.0, e_off = 0.0, e_layer = 0.0, e_mode = 0.0;
    if (world_rank == 0) {
        double s[DLN_MAX_SV], sl[3 * DLN_MAX_SV];
        assert_int_equal(dln_model_create(&p, &sm), 0);
        assert_int_equal(dln_diag_create(sm, &dg), 0);
        for (int t = 0; t < 30; t++)
            dln_model_step(sm, NULL);
        dln_model_loss(sm);
        int ks = dln_diag_product_sv(dg, sm, s);
        e_sv = ks == k && k == DLN_MAX_SV ? 0.0 : 1.0;
        for (int i = 0; i < k; i++)
            e_sv = fmax(e_sv, fabs(sv[i] - s[i]) / s[0]);
        dln_diag_layer_sv(dg, sm, sl);
        for (int i = 0; i < 3 * DLN_MAX_SV; i++)
            e_layer = fmax(e_layer, fabs(svl[i] - sl[i]) / sl[0]);
        double gs = dln_diag_balance_gap(dg, sm, NULL);
        e_gap = fabs(gap - gs) / gs;
        double os = dln_diag_offdiag_mass(dg, sm);
        e_off = fabs(off - os) / os;
        /* modes u_i^T P v_i against BLAS on the serial product */
        const double *u = dln_model_target_u(sm), *v = dln_model_target_v(sm);
        double t[23];
        for (int i = 0; i < 4; i++) {
            cblas_dgemv(CblasColMajor, CblasNoTrans, 23, 26, 1.0,
                        dln_model_product(sm), 23, v + 26 * i, 1, 0.0, t, 1);
            e_mode = fmax(e_mode, fabs(modes[i] - cblas_ddot(23, u + 23 * i,
                                                             1, t, 1)));
        }
        e_mode = nm == 4 ? e_mode / s[0] : 1.0;
        dln_diag_destroy(&dg);
        dln_model_destroy(&sm);
    }
    e_sv = shared(e_sv);
    e_layer = shared(e_layer);
    e_gap = shared(e_gap);
    e_off = shared(e_off);
    e_mode = shared(e_mode);
    dln_pmodel_destroy(&pm);
    assert_true(e_sv < 1e-12);
    assert_true(e_layer < 1e-12);
    assert_true(e_gap < 1e-12);
    assert_true(e_off < 1e-10);
    assert_true(e_mode < 1e-12);
}

/* Distributed Lanczos = dln_lanczos_top (same seeded start, same algorithm)
 * on the wide cell after 100 steps, where 40 steps do not resolve the whole
 * spectrum: the Ritz values agree, not just the converged ones. */
static void sharpness_matches_serial_lanczos(void **state)
{
    (void)state;
    dln_params p = wide_cell();
    dln_pmodel *pm = NULL;
    dln_model *sm = NULL;
    double top[4], ts[4], err = 0.0;
    p.lanczos_iters = 40;
    assert_int_equal(dln_pmodel_create(&p, MPI_COMM_WORLD, 6, &pm), 0);
    for (int t = 0; t < 100; t++)
        dln_pmodel_step(pm);
    assert_int_equal(dln_pmodel_lanczos_top(pm, 40, 4, p.seed + 100, top), 0);
    if (world_rank == 0) {
        assert_int_equal(dln_model_create(&p, &sm), 0);
        for (int t = 0; t < 100; t++)
            dln_model_step(sm, NULL);
        assert_int_equal(dln_lanczos_top(sm, 40, 4, p.seed + 100, ts), 0);
        for (int i = 0; i < 4; i++)
            err = fmax(err, fabs(top[i] - ts[i]) / ts[0]);
        dln_model_destroy(&sm);
    }
    err = shared(err);
    dln_pmodel_destroy(&pm);
    assert_true(err < 1e-9);
}

/* A bounded basis (lanczos_basis 8 < 120 steps: thick restart) gives the
 * serial bounded Lanczos's top 4 and the dense Hessian's, the same bits on
 * a second run. */
static void bounded_sharpness_matches_serial(void **state)
{
    (void)state;
    dln_params p = wide_cell();
    dln_pmodel *pm = NULL;
    dln_model *sm = NULL;
    dln_lanczos *l = NULL;
    double top[4], again[4], ts[4], err = 0.0, err_dense = 0.0;
    p.lanczos_iters = 120;
    p.lanczos_basis = 8;
    assert_int_equal(dln_pmodel_create(&p, MPI_COMM_WORLD, 6, &pm), 0);
    for (int t = 0; t < 100; t++)
        dln_pmodel_step(pm);
    assert_int_equal(dln_pmodel_lanczos_top(pm, 120, 4, p.seed + 7, top), 0);
    assert_int_equal(dln_pmodel_lanczos_top(pm, 120, 4, p.seed + 7, again),
                     0);
    assert_memory_equal(top, again, sizeof top);
    if (world_rank == 0) {
        assert_int_equal(dln_model_create(&p, &sm), 0);
        for (int t = 0; t < 100; t++)
            dln_model_step(sm, NULL);
        size_t n = dln_model_nparams(sm);
        assert_int_equal(dln_lanczos_create_bounded(n, 120, 8, &l), 0);
        assert_int_equal(dln_lanczos_run(l, sm, 120, 4, p.seed + 7, ts), 0);
        double *h = malloc(n * n * sizeof *h), *ev = malloc(n * sizeof *ev);
        assert_int_equal(dln_model_hessian(sm, h), 0);
        engine_eigvals(h, (int)n, ev);
        for (int i = 0; i < 4; i++) {
            err = fmax(err, fabs(top[i] - ts[i]) / ts[0]);
            err_dense = fmax(err_dense, fabs(top[i] - ev[n - 1 - i]) / ts[0]);
        }
        free(h);
        free(ev);
        dln_lanczos_destroy(&l);
        dln_model_destroy(&sm);
    }
    err = shared(err);
    err_dense = shared(err_dense);
    dln_pmodel_destroy(&pm);
    assert_true(err < 1e-9);
    assert_true(err_dense < 1e-8);
}

/* Bad parameters are refused with 2 on every rank before any collective. */
static void invalid_params_refused(void **state)
{
    (void)state;
    dln_params p = wide_cell();
    p.eta = -1.0;
    dln_pmodel *pm = NULL;
    assert_int_equal(dln_pmodel_create(&p, MPI_COMM_WORLD, 0, &pm), 2);
    assert_null(pm);
    dln_pmodel_destroy(&pm);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(trajectory_matches_serial),
        cmocka_unit_test(other_depths_match_serial),
        cmocka_unit_test(full_spectrum_matches_serial),
        cmocka_unit_test(balanced_minimum_spectrum),
        cmocka_unit_test(diagnostics_match_serial),
        cmocka_unit_test(sharpness_matches_serial_lanczos),
        cmocka_unit_test(bounded_sharpness_matches_serial),
        cmocka_unit_test(invalid_params_refused),
    };
    return dln_mpi_run_tests(argc, argv, tests, &world_rank,
                             dln_pmodel_finalize);
}
