/* test_sweep_parts.c — the sweep's pieces that need no MPI job: the cost
 * model recovers known coefficients, the progress line is exact, stop
 * signals only set a flag, and attempts count per task in the store. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dlnsweep/store.h"
#include "../src/sweep/sweep_internal.h"

/* wall = 2e-9 s/flop * cost + 3e-6 s/step * steps exactly: both
 * coefficients come back, and so do predictions of unseen tasks. */
static void costfit_recovers_linear_model(void **state)
{
    dln_costfit f;
    memset(&f, 0, sizeof f);
    assert_true(dln_costfit_predict(&f, 1e9, 1e4) == 0.0);
    const double a = 2e-9, b = 3e-6;
    const double cost[] = {1e6, 5e8, 2e9, 3e7, 8e8};
    const double steps[] = {1e4, 2e3, 5e4, 1e5, 7e3};
    for (int i = 0; i < 5; i++)
        dln_costfit_add(&f, cost[i], steps[i], a * cost[i] + b * steps[i]);
    assert_true(fabs(dln_costfit_predict(&f, 1e9, 0) - 2.0) < 1e-9);
    assert_true(fabs(dln_costfit_predict(&f, 0, 1e6) - 3.0) < 1e-9);
    assert_true(fabs(dln_costfit_predict(&f, 4e9, 2e5) - 8.6) < 1e-8);
}

/* One task shape only (collinear features): proportional to cost; a
 * negative full fit falls back to one feature, never predicts < 0. */
static void costfit_degenerate_cases(void **state)
{
    dln_costfit f;
    memset(&f, 0, sizeof f);
    for (int i = 0; i < 10; i++)
        dln_costfit_add(&f, 1e6, 1e3, 0.004);
    assert_true(fabs(dln_costfit_predict(&f, 1e6, 1e3) - 0.004) < 1e-12);
    assert_true(fabs(dln_costfit_predict(&f, 3e6, 3e3) - 0.012) < 1e-12);
    memset(&f, 0, sizeof f);
    dln_costfit_add(&f, 1e6, 1e3, 1.0);
    dln_costfit_add(&f, 2e6, 1e3, 0.5);  /* more cost, less time */
    dln_costfit_add(&f, 1e6, 2e3, 2.0);
    assert_true(f.a >= 0 && f.b >= 0);
    assert_true(dln_costfit_predict(&f, 1e7, 1e2) >= 0);
    dln_costfit_add(&f, NAN, 1e3, 1.0);  /* ignored */
    assert_true(f.n == 3);
}

static void progress_line_format(void **state)
{
    char buf[256];
    long reg[DLN_REGIME_ERROR + 1] = {0};
    reg[DLN_REGIME_CONVERGED] = 10;
    reg[DLN_REGIME_PERIODIC] = 8;
    reg[DLN_REGIME_CHAOTIC] = 4;
    reg[DLN_REGIME_DIVERGENT] = 2;
    dln_progress_format(buf, sizeof buf, "smoke", 24, 40, 3.14, 5.2, reg);
    assert_string_equal(buf, "[sweep smoke] 24/40 (60%) 3.1 tasks/s ETA 5s | "
                             "converged 10 periodic 8 chaotic 4 divergent 2");
    reg[DLN_REGIME_ERROR] = 1;
    dln_progress_format(buf, sizeof buf, "big", 5, 1000, 250.0, 3725, reg);
    assert_string_equal(buf, "[sweep big] 5/1000 (0%) 250 tasks/s ETA 62m05s "
                             "| converged 10 periodic 8 chaotic 4 divergent 2 "
                             "error 1");
    long none[DLN_REGIME_ERROR + 1] = {0};
    dln_progress_format(buf, sizeof buf, "x", 0, 7, 0.0, NAN, none);
    assert_string_equal(buf, "[sweep x] 0/7 (0%) 0.0 tasks/s ETA ? |");
    dln_progress_format(buf, sizeof buf, "x", 7, 7, 1.0, 99, none);
    assert_string_equal(buf, "[sweep x] 7/7 (100%) 1.0 tasks/s ETA 0s |");
    dln_progress_format(buf, 16, "x", 7, 7, 1.0, 99, reg);  /* truncates */
    assert_int_equal(strlen(buf), 15);
}

/* The handlers record the first stop signal and the process goes on;
 * restore puts the default (terminating) action back. */
static void stop_signals_set_a_flag(void **state)
{
    struct sigaction old;
    dln_stop_signals_install();
    assert_int_equal(dln_stop_signal(), 0);
    raise(SIGUSR1);
    assert_int_equal(dln_stop_signal(), SIGUSR1);
    raise(SIGTERM);
    assert_int_equal(dln_stop_signal(), SIGUSR1);
    assert_string_equal(dln_stop_signal_name(SIGTERM), "SIGTERM");
    assert_string_equal(dln_stop_signal_name(SIGINT), "SIGINT");
    dln_stop_signals_restore();
    sigaction(SIGTERM, NULL, &old);
    assert_true(old.sa_handler == SIG_DFL);
    dln_stop_signals_install();
    assert_int_equal(dln_stop_signal(), 0);
    dln_stop_signals_restore();
}

static void attempts_count_per_task(void **state)
{
    char dir[] = "/tmp/test_sweep_parts.XXXXXX", path[64], err[512];
    dln_store *s = NULL;
    int a = 0;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/a.db", dir);
    assert_int_equal(dln_store_create(path, 0, &s, err, sizeof err), 0);
    assert_int_equal(dln_store_attempt_start(s, "00000000000000aa", 0, &a), 0);
    assert_int_equal(a, 1);
    assert_int_equal(dln_store_begin(s), 0);
    assert_int_equal(dln_store_attempt_start(s, "00000000000000aa", 0, &a), 0);
    assert_int_equal(a, 2);
    assert_int_equal(dln_store_attempt_start(s, "00000000000000aa", 1, &a), 0);
    assert_int_equal(a, 1);
    assert_int_equal(dln_store_commit(s), 0);
    dln_store_destroy(&s);
    /* The count survives reopening. */
    assert_int_equal(dln_store_create(path, 0, &s, err, sizeof err), 0);
    assert_int_equal(dln_store_attempt_start(s, "00000000000000aa", 0, &a), 0);
    assert_int_equal(a, 3);
    dln_store_destroy(&s);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(costfit_recovers_linear_model),
        cmocka_unit_test(costfit_degenerate_cases),
        cmocka_unit_test(progress_line_format),
        cmocka_unit_test(stop_signals_set_a_flag),
        cmocka_unit_test(attempts_count_per_task),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
