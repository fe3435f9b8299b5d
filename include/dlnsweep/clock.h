/* clock.h — the program's one monotonic clock (and the process's CPU
 * clock for benchmarks), for wall times, deadlines
 * and cadences (never for time stamps: those are wall-clock UTC, see
 * dln_store_iso_time). */
#ifndef DLNSWEEP_CLOCK_H
#define DLNSWEEP_CLOCK_H

/* Seconds on CLOCK_MONOTONIC (the clock pthread condition variables can
 * be told to use); only differences mean anything. Not collective,
 * thread-safe, cannot fail. */
double dln_clock_now(void);

/* CPU seconds of the whole process (CLOCK_PROCESS_CPUTIME_ID), what the
 * benchmarks report; only differences mean anything. Not collective,
 * thread-safe, cannot fail. */
double dln_clock_cpu(void);

#endif
