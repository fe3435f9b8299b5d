/* test_sweep_parts.c — the sweep's pieces that need no MPI job: the cost
 * model recovers known coefficients, the tally and its ETA, the progress
 * line is exact, stop signals only set a flag, and attempts count per task
 * in the store. */
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
#include "../src/sweep/sweep_progress.h"

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
    /* more done than the total (a total that shrank): never above 100% */
    dln_progress_format(buf, sizeof buf, "x", 9, 7, 1.0, 99, none);
    assert_string_equal(buf, "[sweep x] 9/7 (100%) 1.0 tasks/s ETA 0s |");
    dln_progress_format(buf, 16, "x", 7, 7, 1.0, 99, reg);  /* truncates */
    assert_int_equal(strlen(buf), 15);
}

/* The tally counts results by regime, keeps errors out of the cost model,
 * and scales the elapsed time by predicted work left over work done: with
 * small tasks at 1 s per 1e6 of cost and wide ones at 2 s, 8 s of work
 * done in 16 s of wall time and 4.5 s left predict 9 s more. */
static void tally_counts_and_eta(void **state)
{
    dln_tally t;
    memset(&t, 0, sizeof t);
    t.total = 10;
    t.done_before = 2;
    const double none[2] = {0, 0};
    assert_true(isnan(dln_tally_eta(&t, 5.0, none, none)));
    assert_int_equal(dln_tally_remaining(&t), 8);
    /* small: 1 s per 1e6 (steps fixed at 0); wide: 2 s per 1e6 */
    dln_tally_add(&t, DLN_REGIME_CONVERGED, 0, 1e6, 0, 1.0, 0.25);
    dln_tally_add(&t, DLN_REGIME_PERIODIC, 0, 1e6, 0, 1.0, 0.0);
    dln_tally_add(&t, DLN_REGIME_ERROR, 0, 5e6, 0, 0.001, 0.0);
    dln_tally_add(&t, DLN_REGIME_CHAOTIC, 1, 5e5, 0, 1.0, 0.5);
    assert_int_equal(t.done_now, 4);
    assert_int_equal(t.errors_now, 1);
    assert_int_equal(t.per_regime[DLN_REGIME_CONVERGED], 1);
    assert_int_equal(t.per_regime[DLN_REGIME_PERIODIC], 1);
    assert_int_equal(t.per_regime[DLN_REGIME_CHAOTIC], 1);
    assert_int_equal(t.per_regime[DLN_REGIME_ERROR], 1);
    assert_int_equal(dln_tally_remaining(&t), 4);
    assert_true(fabs(t.busy_s - 3.001) < 1e-12 && t.wait_s == 0.75);
    /* the error's 0.001 s did not pull the small fit down */
    assert_true(t.fit[0].n == 2 && t.fit[1].n == 1);
    assert_true(fabs(dln_costfit_predict(&t.fit[0], 1e6, 0) - 1.0) < 1e-12);
    assert_true(fabs(dln_costfit_predict(&t.fit[1], 1e6, 0) - 2.0) < 1e-12);
    /* done: small 7e6 of cost (errors included) = 7 s, wide 1 s: 8 s;
     * left: small 2.5e6 = 2.5 s, wide 1e6 = 2 s: 4.5 s */
    const double cost_left[2] = {2.5e6, 1e6}, steps_left[2] = {0, 0};
    assert_true(fabs(dln_tally_eta(&t, 16.0, cost_left, steps_left) - 9.0)
                < 1e-9);
    /* nothing predicted yet (errors only): by counts */
    dln_tally u;
    memset(&u, 0, sizeof u);
    u.total = 5;
    dln_tally_add(&u, DLN_REGIME_ERROR, 0, 1e6, 0, 1.0, 0);
    assert_true(fabs(dln_tally_eta(&u, 2.0, none, none) - 8.0) < 1e-12);
}

/* The handlers record the first stop signal and the process goes on; a
 * second install keeps the handlers and the signal already caught (one
 * that came before the sweep started still drains it). */
static void stop_signals_set_a_flag(void **state)
{
    struct sigaction now;
    dln_sweep_catch_stop_signals();
    assert_int_equal(dln_stop_signal(), 0);
    raise(SIGUSR1);
    assert_int_equal(dln_stop_signal(), SIGUSR1);
    raise(SIGTERM);
    assert_int_equal(dln_stop_signal(), SIGUSR1);
    assert_string_equal(dln_stop_signal_name(SIGTERM), "SIGTERM");
    assert_string_equal(dln_stop_signal_name(SIGINT), "SIGINT");
    dln_sweep_catch_stop_signals();
    assert_int_equal(dln_stop_signal(), SIGUSR1);
    sigaction(SIGTERM, NULL, &now);
    assert_true(now.sa_handler != SIG_DFL && now.sa_handler != SIG_IGN);
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
        cmocka_unit_test(tally_counts_and_eta),
        cmocka_unit_test(stop_signals_set_a_flag),
        cmocka_unit_test(attempts_count_per_task),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
