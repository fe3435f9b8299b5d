/* sweep_signals.c — stop signals for draining a sweep: SIGTERM, SIGINT and
 * SIGUSR1 only set a flag, from the moment they are caught (`dlnsweep run`:
 * before MPI_Init) to the end of the process; the sweep loops poll it. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "sweep_internal.h"

static const int stop_signals[] = {SIGTERM, SIGINT, SIGUSR1};
#define N_STOP_SIGNALS ((int)(sizeof stop_signals / sizeof stop_signals[0]))

static volatile sig_atomic_t caught;

static void on_stop_signal(int signo)
{
    if (!caught)
        caught = signo;
}

void dln_sweep_catch_stop_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (int i = 0; i < N_STOP_SIGNALS; i++)
        sigaction(stop_signals[i], &sa, NULL);
}

int dln_stop_signal(void)
{
    return (int)caught;
}

const char *dln_stop_signal_name(int signo)
{
    static char other[32];
    switch (signo) {
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGUSR1: return "SIGUSR1";
    default:
        snprintf(other, sizeof other, "signal %d", signo);
        return other;
    }
}
