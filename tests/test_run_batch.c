/* test_run_batch.c — dln_run_batch (run.h): every result of a batched run
 * is bitwise the result of dln_run_from of the same task alone (every
 * field but wall_s, every array: trajectory, detail, late orbit, layers,
 * gaps, spectrum), whatever the batch: alone in a batch of one, with all
 * the other cells, in reverse order, in batches of three, beside fillers
 * that diverge at different steps, from explicit initial weights; for
 * square and rectangular shapes, with trajectory points (record_from,
 * record_detail, sharpness_every), the slow-transient window and the
 * end-of-run dynamics on; and dln_run_batch refuses tasks that cannot
 * share a batch. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "dlnsweep/model.h"
#include "dlnsweep/run.h"

#define NCELL 12       /* cells compared per shape                */
#define NFILL 9        /* fillers (some diverging) per shape      */

typedef struct shape {
    int L, din, d, dout, rank;
    long steps, record_every, record_from;
    int record_detail, transient_window, lyapunov_steps;
} shape;

/* Cell c of shape sh: c < NCELL the compared cells (inits, rotation,
 * eta from converging to chaotic), else fillers, some diverging. */
static dln_params cell(const shape *sh, int c)
{
    dln_params p;
    dln_params_defaults(&p);
    p.depth = sh->L;
    p.d_in = sh->din;
    p.width = sh->d;
    p.d_out = sh->dout;
    p.rank = sh->rank;
    for (int i = 0; i < p.rank; i++)
        p.spectrum[i] = 1.0 / (1.0 + 0.1 * i);
    p.rotate = c % 3 == 2;
    p.init = c % 4 == 0   ? DLN_INIT_BALANCED
             : c % 4 == 1 ? DLN_INIT_IDENTITY
             : c % 4 == 2 ? DLN_INIT_ORTHOGONAL
                          : DLN_INIT_GAUSSIAN;
    p.alpha = 0.5 + 0.05 * (c % 5);
    p.seed = 7000 + (uint64_t)c * 31;
    p.steps = sh->steps;
    p.record_every = sh->record_every;
    p.record_from = sh->record_from;
    p.record_detail = sh->record_detail;
    p.sharpness_every = sh->record_every > 0 ? 3 * sh->record_every : 0;
    p.tail = 24;
    p.max_period = 16;
    p.transient_window = sh->transient_window;
    p.lyapunov_steps = sh->lyapunov_steps;
    p.lyapunov_max_steps = 2 * sh->lyapunov_steps;
    p.diverge_bound = 1e8;
    /* edge 2/(L s^(2-2/L)) ~ 0.67 at L = 3, 1 at L = 2 */
    double edge = 2.0 / (sh->L * 1.0);
    p.eta = c < NCELL ? edge * (0.3 + 0.12 * c)
                      : edge * (1.0 + 0.4 * (c - NCELL));
    return p;
}

/* Copies of a and b with their pointers and wall_s cleared compare
 * equal, and so do their arrays (byte for byte). */
static void assert_same(const dln_result *a, const dln_result *b, int c)
{
    dln_result x, y;
    memcpy(&x, a, sizeof x);
    memcpy(&y, b, sizeof y);
    dln_result *z[2] = {&x, &y};
    for (int i = 0; i < 2; i++) {
        z[i]->traj = NULL;
        z[i]->orbit_sv1 = z[i]->orbit_loss = NULL;
        z[i]->orbit_detail = z[i]->traj_detail = NULL;
        z[i]->sv_layers = z[i]->balance_gaps = NULL;
        z[i]->hessian_spectrum = NULL;
        z[i]->located = NULL;
        z[i]->wall_s = 0.0;
    }
    if (memcmp(&x, &y, sizeof x) != 0)
        fail_msg("cell %d: result fields differ (regime %d/%d, loss "
                 "%.17g/%.17g, period %d/%d, steps %ld/%ld)", c, a->regime,
                 b->regime, a->final_loss, b->final_loss, a->period,
                 b->period, a->steps_done, b->steps_done);
    size_t stride = (size_t)a->detail.stride;
#define SAME(f, cnt)                                                        \
    do {                                                                    \
        assert_true((a->f == NULL) == (b->f == NULL));                      \
        if (a->f && memcmp(a->f, b->f, sizeof *a->f * (size_t)(cnt)))        \
            fail_msg("cell %d: %s differs", c, #f);                         \
    } while (0)
    SAME(traj, a->n_traj);
    SAME(orbit_sv1, a->n_orbit);
    SAME(orbit_loss, a->n_orbit);
    SAME(orbit_detail, (size_t)a->n_orbit * stride);
    SAME(traj_detail, (size_t)a->n_traj * stride);
    SAME(sv_layers, (size_t)a->n_sv_layers * DLN_MAX_SV);
    SAME(balance_gaps, a->n_balance_gaps);
    SAME(hessian_spectrum, a->n_hessian_spectrum);
#undef SAME
}

/* Run tasks ids[0..n-1] of ps as one batch into out (results by id). */
static void batch(const dln_params *ps, const int *ids, int n,
                  const double *const *x0, dln_result *out)
{
    dln_params p[NCELL + NFILL];
    const double *x[NCELL + NFILL];
    dln_result r[NCELL + NFILL];
    int rc[NCELL + NFILL];
    for (int k = 0; k < n; k++) {
        p[k] = ps[ids[k]];
        x[k] = x0 ? x0[ids[k]] : NULL;
        dln_result_init(&r[k]);
    }
    assert_int_equal(dln_run_batch(p, x0 ? x : NULL, n, r, rc), 0);
    for (int k = 0; k < n; k++) {
        assert_int_equal(rc[k], 0);
        out[ids[k]] = r[k];
    }
}

static void check_shape(const shape *sh, int with_x0)
{
    enum { N = NCELL + NFILL };
    dln_params ps[N];
    dln_result alone[N], got[N];
    double *x0[N];
    int ids[N], ndiv = 0, nreg[DLN_REGIME_ERROR + 1] = {0};
    for (int c = 0; c < N; c++) {
        ps[c] = cell(sh, c);
        assert_true(dln_run_batchable(&ps[c]));
        x0[c] = NULL;
        if (with_x0) {   /* explicit weights: a perturbed init */
            dln_model *m = NULL;
            assert_int_equal(dln_model_create(&ps[c], &m), 0);
            size_t n = dln_model_nparams(m);
            x0[c] = malloc(sizeof(double) * n);
            memcpy(x0[c], dln_model_params(m), sizeof(double) * n);
            for (size_t e = 0; e < n; e++)
                x0[c][e] += 1e-3 * (double)((e * 7 + (size_t)c) % 5);
            dln_model_destroy(&m);
        }
        dln_result_init(&alone[c]);
        assert_int_equal(dln_run_from(&ps[c], x0[c], &alone[c]), 0);
        ndiv += alone[c].regime == DLN_REGIME_DIVERGENT;
        nreg[alone[c].regime]++;
    }
    /* the cells cover converging, oscillating and diverging runs */
    assert_true(ndiv >= 2);
    assert_true(nreg[DLN_REGIME_CONVERGED] + nreg[DLN_REGIME_PERIODIC] >= 3);
    const double *const *xs = with_x0 ? (const double *const *)x0 : NULL;
    /* each alone in a batch of one */
    for (int c = 0; c < NCELL; c++) {
        batch(ps, &c, 1, xs, got);
        assert_same(&alone[c], &got[c], c);
        dln_result_clear(&got[c]);
    }
    /* all together, then in reverse order */
    for (int pass = 0; pass < 2; pass++) {
        for (int k = 0; k < N; k++)
            ids[k] = pass ? N - 1 - k : k;
        batch(ps, ids, N, xs, got);
        for (int c = 0; c < N; c++) {
            assert_same(&alone[c], &got[c], c);
            dln_result_clear(&got[c]);
        }
    }
    /* batches of three: a cell, a diverging filler and another cell */
    for (int c = 0; c < NCELL; c++) {
        int three[3] = {c, NCELL + c % NFILL, (c + 5) % NCELL};
        batch(ps, three, 3, xs, got);
        for (int k = 0; k < 3; k++) {
            assert_same(&alone[three[k]], &got[three[k]], three[k]);
            dln_result_clear(&got[three[k]]);
        }
    }
    for (int c = 0; c < N; c++) {
        dln_result_clear(&alone[c]);
        free(x0[c]);
    }
}

/* Scalar depth 3, the dense bifurcation job's shape: the late orbit and
 * the end-of-run dynamics only. */
static void test_scalar(void **state)
{
    (void)state;
    shape sh = {3, 1, 1, 1, 1, 700, 0, 0, 0, -1, 120};
    check_shape(&sh, 0);
}

/* Width 3 with trajectory points from step 55 every 9 steps, their
 * detail and sharpness, and the transient window. */
static void test_square_recorded(void **state)
{
    (void)state;
    shape sh = {3, 3, 3, 3, 3, 500, 9, 55, 1, 200, 80};
    check_shape(&sh, 0);
}

/* A rectangular depth-2 net (d_in 2, width 4, d_out 3) from explicit
 * initial weights, every state a trajectory point. */
static void test_rect_x0(void **state)
{
    (void)state;
    shape sh = {2, 2, 4, 3, 2, 300, 1, 0, 0, 0, 60};
    check_shape(&sh, 1);
}

static void test_refuses(void **state)
{
    (void)state;
    shape sh = {3, 1, 1, 1, 1, 100, 0, 0, 0, -1, 0};
    dln_params p[2] = {cell(&sh, 0), cell(&sh, 1)};
    dln_result r[2];
    int rc[2];
    dln_result_init(&r[0]);
    dln_result_init(&r[1]);
    p[1].steps = 101;   /* another schedule */
    assert_false(dln_run_same_batch(&p[0], &p[1]));
    assert_int_equal(dln_run_batch(p, NULL, 2, r, rc), 2);
    p[1] = cell(&sh, 1);
    p[1].width = 2;     /* another shape */
    assert_int_equal(dln_run_batch(p, NULL, 2, r, rc), 2);
    p[1] = cell(&sh, 1);
    p[1].diverge_bound = INFINITY;
    assert_false(dln_run_batchable(&p[1]));
    p[1] = cell(&sh, 1);
    p[1].width = 9;     /* beyond the lane kernels */
    assert_false(dln_run_batchable(&p[1]));
    assert_int_equal(dln_run_batch(p, NULL, 0, r, rc), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalar),
        cmocka_unit_test(test_square_recorded),
        cmocka_unit_test(test_rect_x0),
        cmocka_unit_test(test_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
