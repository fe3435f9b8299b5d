/* clock.c — the monotonic clock and the process's CPU clock. */
#define _POSIX_C_SOURCE 200809L   /* clock_gettime */
#include <time.h>
#include "dlnsweep/clock.h"

double dln_clock_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double dln_clock_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
