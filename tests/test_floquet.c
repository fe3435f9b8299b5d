/* test_floquet.c — Floquet multipliers and Lyapunov exponents of the GD map
 * against closed forms: the depth-2 scalar 2-cycle's multiplier
 * 9 - 2 (1 + eta)^2, dense dgeev against ARPACK Arnoldi, whole-period
 * batches, untouched caller state, divergence and bad arguments. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "engine_testutil.h"
#include "dlnsweep/floquet.h"
#include "dlnsweep/lyapunov.h"
#include "dlnsweep/svs.h"

/* The balanced scalar map u <- u - eta (u^2 - 1) u has a 2-cycle for
 * 1 < eta < sqrt(5) - 1 with multiplier 9 - 2 (1 + eta)^2 along the
 * balanced line: one of the two multipliers of the width-1 network, and
 * the matching Lyapunov exponent is log|mu| / 2. */
static void scalar_two_cycle_closed_form(void **state)
{
    (void)state;
    const double etas[] = {1.05, 1.1, 1.15, 1.2, 1.23};
    for (size_t e = 0; e < sizeof etas / sizeof etas[0]; e++) {
        double eta = etas[e], mu = 9.0 - 2.0 * (1.0 + eta) * (1.0 + eta);
        dln_model *m = engine_trained(2, 1, "1", DLN_INIT_BALANCED, 0.9, eta, 4000);
        dln_floquet *fw = NULL;
        dln_floquet_settings fs;
        dln_floquet_result fr;
        dln_floquet_defaults(&fs);
        fs.nev = 2;
        assert_int_equal(dln_floquet_create(m, &fw), 0);
        assert_int_equal(dln_floquet_run(fw, m, eta, 2, NULL, &fs, &fr), 0);
        assert_int_equal(fr.n, 2);
        assert_true(fr.closure < 1e-12);
        double best = INFINITY;
        for (int i = 0; i < fr.n; i++)
            best = fmin(best, hypot(fr.re[i] - mu, fr.im[i]));
        assert_true(best < 1e-9);

        dln_lyap *lw = NULL;
        dln_lyap_settings ls;
        dln_lyap_result lr;
        dln_lyap_defaults(&ls);
        assert_int_equal(dln_lyap_create(m, 2, &lw), 0);
        assert_int_equal(dln_lyap_run(lw, m, eta, NULL, &ls, &lr), 0);
        assert_int_equal(lr.status, DLN_LYAP_OK);
        assert_int_equal(lr.period, 2);
        assert_int_equal(lr.steps % 2, 0);
        assert_true(lr.converged);
        double want = log(fabs(mu)) / 2.0, got = INFINITY;
        for (int i = 0; i < lr.k; i++)
            got = fmin(got, fabs(lr.exponent[i] - want));
        assert_true(got < 1e-10);
        assert_true(lr.error[0] < 1e-10);
        dln_lyap_destroy(&lw);
        dln_floquet_destroy(&fw);
        dln_model_destroy(&m);
    }
}

/* The Figure-2 2-cycle's transverse block (60 coordinates): dense dgeev
 * and ARPACK Arnoldi give the same leading multipliers. */
static void dense_and_arnoldi_agree(void **state)
{
    (void)state;
    double eta = 0.0355;
    dln_model *m = engine_trained(3, 5, "10,9.5,9", DLN_INIT_IDENTITY, 0.01, eta,
                           3000);
    dln_svs *svs = NULL;
    dln_floquet *fw = NULL;
    dln_floquet_settings fs;
    dln_floquet_result dense, arn;
    assert_int_equal(dln_svs_create(m, &svs), 0);
    assert_int_equal(dln_svs_fit(svs, m, NULL), 0);
    assert_int_equal(dln_floquet_create(m, &fw), 0);
    dln_floquet_defaults(&fs);
    fs.block = DLN_BLOCK_TRANSVERSE;
    fs.quotient = 1;
    fs.nev = 4;
    assert_int_equal(dln_floquet_run(fw, m, eta, 2, svs, &fs, &dense), 0);
    fs.dense_max = 0;
    assert_int_equal(dln_floquet_run(fw, m, eta, 2, svs, &fs, &arn), 0);
    assert_int_equal(dense.method, DLN_FLOQUET_DENSE);
    assert_int_equal(arn.method, DLN_FLOQUET_ARNOLDI);
    assert_true(arn.converged);
    assert_int_equal(dense.n, 4);
    assert_int_equal(arn.n, 4);
    assert_int_equal(dense.neutral, 20);
    for (int i = 0; i < 4; i++)
        assert_true(hypot(dense.re[i] - arn.re[i], dense.im[i] - arn.im[i]) <
                    1e-8);
    assert_true(dense.modulus[0] > 1.3 && dense.modulus[0] < 1.33);
    /* The leading pair 0.70643726 +- 1.11163218i of tests/ref_floquet.py. */
    assert_true(fabs(fabs(dense.argument[0]) - atan2(1.1116321848847852,
                                                     0.70643726252651273)) <
                1e-8);
    assert_true(arn.matvecs < dense.matvecs * 10);
    dln_floquet_destroy(&fw);
    dln_svs_destroy(&svs);
    dln_model_destroy(&m);
}

/* Both runs step private copies: the caller's parameters stay bit for
 * bit, however long the continuation. */
static void caller_state_untouched(void **state)
{
    (void)state;
    double eta = 0.88;
    dln_model *m = engine_trained(3, 1, "1", DLN_INIT_BALANCED, 0.9, eta, 100);
    size_t n = dln_model_nparams(m);
    double x[3];
    memcpy(x, dln_model_params(m), n * sizeof *x);
    dln_lyap *lw = NULL;
    dln_floquet *fw = NULL;
    dln_lyap_settings ls;
    dln_lyap_result lr;
    dln_floquet_settings fs;
    dln_floquet_result fr;
    dln_lyap_defaults(&ls);
    ls.max_steps = 5000;
    dln_floquet_defaults(&fs);
    fs.settle = 777;
    fs.nev = 2;
    assert_int_equal(dln_lyap_create(m, 2, &lw), 0);
    assert_int_equal(dln_lyap_run(lw, m, eta, NULL, &ls, &lr), 0);
    assert_int_equal(dln_floquet_create(m, &fw), 0);
    assert_int_equal(dln_floquet_run(fw, m, eta, 3, NULL, &fs, &fr), 0);
    assert_memory_equal(x, dln_model_params(m), n * sizeof *x);
    assert_int_equal(lr.warmup, ls.warmup);
    assert_true(lr.steps >= 8 * ls.batch);
    dln_lyap_destroy(&lw);
    dln_floquet_destroy(&fw);
    dln_model_destroy(&m);
}

/* A continuation that diverges is a result (status, NaN exponents); a run
 * that never moves (eta 1e-300) has exponents 0 with zero error. */
static void divergence_and_standstill(void **state)
{
    (void)state;
    dln_model *m = engine_trained(2, 1, "1", DLN_INIT_BALANCED, 0.9, 2.5, 0);
    dln_lyap *lw = NULL;
    dln_lyap_settings ls;
    dln_lyap_result lr;
    dln_lyap_defaults(&ls);
    assert_int_equal(dln_lyap_create(m, 2, &lw), 0);
    assert_int_equal(dln_lyap_run(lw, m, 2.5, NULL, &ls, &lr), 0);
    assert_int_equal(lr.status, DLN_LYAP_DIVERGED);
    assert_true(isnan(lr.exponent[0]));
    assert_int_equal(dln_lyap_run(lw, m, 1e-300, NULL, &ls, &lr), 0);
    assert_int_equal(lr.status, DLN_LYAP_OK);
    assert_int_equal(lr.period, 1);
    assert_true(fabs(lr.exponent[0]) < 1e-15 && lr.error[0] < 1e-15);
    dln_lyap_destroy(&lw);
    dln_model_destroy(&m);
}

static void bad_arguments(void **state)
{
    (void)state;
    dln_model *m = engine_trained(2, 2, "1", DLN_INIT_BALANCED, 0.9, 0.5, 0);
    dln_lyap *lw = NULL;
    dln_floquet *fw = NULL;
    dln_lyap_settings ls;
    dln_lyap_result lr;
    dln_floquet_settings fs;
    dln_floquet_result fr;
    assert_int_equal(dln_lyap_create(m, 0, &lw), 2);
    assert_null(lw);
    assert_int_equal(dln_lyap_create(m, DLN_LYAP_MAX_K + 1, &lw), 2);
    assert_int_equal(dln_lyap_create(m, 2, &lw), 0);
    dln_lyap_defaults(&ls);
    ls.k = 3;                         /* more than the workspace holds */
    assert_int_equal(dln_lyap_run(lw, m, 0.5, NULL, &ls, &lr), 2);
    ls.k = 1;
    ls.block = DLN_BLOCK_INSET;       /* a block needs an SVS workspace */
    assert_int_equal(dln_lyap_run(lw, m, 0.5, NULL, &ls, &lr), 2);
    assert_int_equal(dln_floquet_create(m, &fw), 0);
    dln_floquet_defaults(&fs);
    assert_int_equal(dln_floquet_run(fw, m, 0.5, 0, NULL, &fs, &fr), 2);
    fs.nev = DLN_FLOQUET_MAX_NEV + 1;
    assert_int_equal(dln_floquet_run(fw, m, 0.5, 1, NULL, &fs, &fr), 2);
    dln_lyap_destroy(&lw);
    dln_lyap_destroy(&lw);            /* NULL-safe */
    dln_floquet_destroy(&fw);
    dln_floquet_destroy(NULL);
    dln_model_destroy(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scalar_two_cycle_closed_form),
        cmocka_unit_test(dense_and_arnoldi_agree),
        cmocka_unit_test(caller_state_untouched),
        cmocka_unit_test(divergence_and_standstill),
        cmocka_unit_test(bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
