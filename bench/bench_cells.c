/* bench_cells.c — the engine's cost per cell of the dense bifurcation job
 * (issue 17): dln_run_batch over its cells in batches as a worker runs
 * them, no sweep, no database.
 *
 *   bench_cells [CELLS [TRIALS [STEPS]]]
 *
 * Cells: depth 3, width 1, target 1, balanced init 0.5, eta evenly spaced
 * in [0.3, 0.88] (default 1000 of them), STEPS steps (default 20000),
 * diagnostics off (record_every, lyapunov_steps, transient_window and
 * tail 0), in batches of DLN_SWEEP_LANES' default 256.  Prints the CPU
 * microseconds per cell (this process, best of TRIALS, default 5) and a
 * checksum of the sharpness column (the same bits whatever the build).
 * perf record on it splits a cell's time without the sweep around it
 * (docs/cost-of-cells.md). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include "dlnsweep/clock.h"
#include "dlnsweep/json.h"
#include "dlnsweep/run.h"

#define BATCH 256

static void dense_params(dln_params *p, int i, int n, long steps)
{
    dln_params_defaults(p);
    p->depth = 3;
    p->width = 1;
    p->rank = 1;
    p->spectrum[0] = 1.0;
    p->init = DLN_INIT_BALANCED;
    p->alpha = 0.5;
    p->eta = n > 1 ? 0.3 + 0.58 * i / (n - 1) : 0.3;
    p->seed = 1;
    p->steps = steps;
    p->record_every = 0;
    p->lyapunov_steps = 0;
    p->transient_window = 0;
    p->tail = 0;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    int trials = argc > 2 ? atoi(argv[2]) : 5;
    long steps = argc > 3 ? atol(argv[3]) : 20000;
    int rc[BATCH], status = 1;
    double best = -1.0, sum = 0.0;
    dln_params *p = malloc(sizeof *p * (size_t)(n > 0 ? n : 1));
    dln_result *r = malloc(sizeof *r * BATCH);
    if (n < 1 || trials < 1 || steps < 1 || !p || !r) {
        fprintf(stderr, "usage: bench_cells [CELLS [TRIALS [STEPS]]]\n");
        goto cleanup;
    }
    for (int i = 0; i < n; i++)
        dense_params(&p[i], i, n, steps);
    for (int t = 0; t < trials; t++) {
        double t0 = dln_clock_cpu();
        sum = 0.0;
        for (int k = 0; k < n; k += BATCH) {
            int m = n - k < BATCH ? n - k : BATCH;
            for (int q = 0; q < m; q++)
                dln_result_init(&r[q]);
            if (dln_run_batch(p + k, NULL, m, r, rc)) {
                fprintf(stderr, "bench_cells: dln_run_batch refused\n");
                goto cleanup;
            }
            for (int q = 0; q < m; q++) {
                sum += r[q].sharpness;
                dln_result_clear(&r[q]);
            }
        }
        double s = dln_clock_cpu() - t0;
        if (best < 0 || s < best)
            best = s;
    }
    json_object *o = json_object_new_object();
    json_object_object_add(o, "cells", json_object_new_int(n));
    json_object_object_add(o, "steps", json_object_new_int64(steps));
    json_object_object_add(o, "us_per_cell", dln_json_real(1e6 * best / n));
    json_object_object_add(o, "trials", json_object_new_int(trials));
    json_object_object_add(o, "sharpness_sum", dln_json_exact(sum));
    status = dln_json_print(stdout, o);
    json_object_put(o);
cleanup:
    free(p);
    free(r);
    return status;
}
