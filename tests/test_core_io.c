/* test_core_io.c — the core's monotonic clock (never goes back; measures
 * a known sleep). */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dlnsweep/clock.h"

static void clock_is_monotonic(void **state)
{
    double t0 = dln_clock_now(), prev = t0;
    for (int i = 0; i < 100000; i++) {
        double t = dln_clock_now();
        assert_true(t >= prev);
        prev = t;
    }
    struct timespec ts = {0, 20 * 1000 * 1000};   /* 20 ms */
    double a = dln_clock_now();
    nanosleep(&ts, NULL);
    double slept = dln_clock_now() - a;
    assert_true(slept >= 0.0199 && slept < 5.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(clock_is_monotonic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
