/* bench_lanes.c — the lane kernels' speed (lanes.h, batch.h).
 *
 *   bench_lanes peak               one core's double-precision add+mul
 *                                  peak (GFLOP/s, best instruction set)
 *   bench_lanes batch D L B STEPS  CPU seconds of STEPS lock-step GD steps
 *                                  of B lanes (width D, depth L, balanced
 *                                  init alpha 0.5, target I, eta evenly
 *                                  spaced in [0.3, 0.88]), one JSON line
 *   bench_lanes model              one-cell dln_model_step time at widths
 *                                  1..32 (depth 3) on BLAS and on lanes
 *   bench_lanes isa D L B STEPS    the batch on every instruction set
 *
 * bench/bench_lanes.py runs `batch` A/B interleaved with the same loop in
 * NumPy and prints the ratios.  CPU time of this process throughout (the
 * machine is shared); every figure is the best of a few trials. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dlnsweep/clock.h"
#include "dlnsweep/batch.h"
#include "dlnsweep/json.h"
#include "dlnsweep/lanes.h"
#include "dlnsweep/model.h"

#define TRIALS 3

/* Flops of one lane step of lanes_kernel.h, square width d, depth L:
 * forward, B's and G's (L-1 products each, d^2 entries of d products and
 * d-1 sums), residual, loss (square, sum, half), update (product, sum). */
static double step_flops(int d, int L)
{
    double d2 = (double)d * d;
    return 3.0 * (L - 1) * d2 * (2.0 * d - 1.0) + d2 + 2.0 * d2 + 2.0 * L * d2;
}

/* ---- peak: independent add and multiply chains in vector registers ---- */

#if defined(__x86_64__) && defined(__GNUC__)
typedef double v8d __attribute__((vector_size(64)));
typedef double v4d __attribute__((vector_size(32)));

/* 16 independent chains x <- x * a + b (a multiply and an add, rounded
 * separately: the file is compiled with -ffp-contract=off) of vector type
 * V, reps times; returns flops. */
#define PEAK_BODY(V)                                                      \
    V x[16], a, c;                                                         \
    for (int i = 0; i < 16; i++) x[i] = (V){0} + 0.5 + 0.01 * i;          \
    a = (V){0} + 0.999999;                                                \
    c = (V){0} + 1e-7;                                                    \
    for (long r = 0; r < reps; r++)                                       \
        for (int i = 0; i < 16; i++)                                      \
            x[i] = x[i] * a + c;                                          \
    double s = 0;                                                         \
    for (int i = 0; i < 16; i++)                                          \
        for (size_t j = 0; j < sizeof(V) / sizeof(double); j++)           \
            s += x[i][j];                                                 \
    *sink = s;                                                            \
    return 2.0 * 16 * (double)reps * (double)(sizeof(V) / sizeof(double))

__attribute__((target("avx512f"))) static double peak512(long reps,
                                                         double *sink)
{
    PEAK_BODY(v8d);
}

__attribute__((target("avx2"))) static double peak256(long reps, double *sink)
{
    PEAK_BODY(v4d);
}

static double peak(void)
{
    double best = 0.0, sink = 0.0;
    __builtin_cpu_init();
    for (int trial = 0; trial < 5; trial++) {
        long reps = 20000000;
        double t0 = dln_clock_cpu(), fl = 0.0;
        if (__builtin_cpu_supports("avx512f"))
            fl = peak512(reps, &sink);
        else if (__builtin_cpu_supports("avx2"))
            fl = peak256(reps, &sink);
        double t = dln_clock_cpu() - t0;
        if (fl > 0.0 && fl / t > best)
            best = fl / t;
    }
    if (sink == 12345.0)
        puts("");
    return best * 1e-9;
}
#else
static double peak(void)
{
    return 0.0;
}
#endif

/* ---- the batch ---- */

static dln_params lane_params(int d, int L, double eta)
{
    dln_params p;
    dln_params_defaults(&p);
    p.depth = L;
    p.width = d;
    p.rank = d;
    for (int i = 0; i < d; i++)
        p.spectrum[i] = 1.0;
    p.init = DLN_INIT_BALANCED;
    p.alpha = 0.5;
    p.eta = eta;
    p.seed = 1;
    return p;
}

/* CPU seconds of `steps` steps of a b-lane batch (one trial: the caller
 * repeats, interleaved with its reference); *active gets the lanes still
 * active at the end. Returns -1 on failure. */
static double batch_seconds(int d, int L, int b, long steps, int *active)
{
    dln_params *p = malloc(sizeof *p * (size_t)b);
    double t = -1.0;
    dln_batch *bt = NULL;
    if (!p)
        return -1.0;
    for (int i = 0; i < b; i++)
        p[i] = lane_params(d, L, 0.3 + 0.58 * (b > 1 ? (double)i / (b - 1) : 0));
    if (dln_batch_create(p, b, &bt) == 0) {
        double t0 = dln_clock_cpu();
        dln_batch_step(bt, steps);
        t = dln_clock_cpu() - t0;
        *active = dln_batch_nactive(bt);
        dln_batch_destroy(&bt);
    }
    free(p);
    return t;
}

static int batch(int d, int L, int b, long steps)
{
    int active = 0;
    double s = batch_seconds(d, L, b, steps, &active);
    if (s < 0.0)
        return 1;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "isa",
                           json_object_new_string(dln_lanes_isa_name()));
    json_object_object_add(o, "d", json_object_new_int(d));
    json_object_object_add(o, "L", json_object_new_int(L));
    json_object_object_add(o, "lanes", json_object_new_int(b));
    json_object_object_add(o, "steps", json_object_new_int64(steps));
    json_object_object_add(o, "active", json_object_new_int(active));
    json_object_object_add(o, "seconds", dln_json_real(s));
    json_object_object_add(o, "ns_per_cell_step",
                           dln_json_real(s / ((double)b * steps) * 1e9));
    json_object_object_add(o, "flops_per_cell_step",
                           dln_json_real(step_flops(d, L)));
    int rc = dln_json_print(stdout, o);
    json_object_put(o);
    return rc;
}

static int isa_table(int d, int L, int b, long steps)
{
    static const char *const names[] = {"generic", "avx2", "avx512"};
    for (int k = 0; k < 3; k++) {
        if (!dln_lanes_isa_available(names[k]))
            continue;
        dln_lanes_isa_force(names[k]);
        if (batch(d, L, b, steps))
            return 1;
    }
    dln_lanes_isa_force(NULL);
    return 0;
}

/* ---- the one-cell engine ---- */

/* Best seconds per dln_model_step of width d, depth 3 (gaussian init,
 * rotated target, small eta: a generic dense network). */
static double model_step_seconds(int d)
{
    dln_params p = lane_params(d, 3, 1e-3);
    p.rank = 1;
    p.rotate = 1;
    p.init = DLN_INIT_GAUSSIAN;
    p.alpha = 1.0;
    dln_model *m = NULL;
    if (dln_model_create(&p, &m))
        return -1.0;
    long reps = 1;
    double best = 1e300;
    for (int trial = 0; trial < 2 * TRIALS; trial++) {
        double t0 = dln_clock_cpu();
        for (long r = 0; r < reps; r++)
            dln_model_step(m, NULL);
        double t = dln_clock_cpu() - t0;
        if (t / (double)reps < best)
            best = t / (double)reps;
        if (t < 0.05)
            reps = (long)(0.05 / (t / (double)reps + 1e-9)) + 1;
    }
    dln_model_destroy(&m);
    return best;
}

static int model_table(void)
{
    printf("one-cell dln_model_step, depth 3, instruction set %s\n",
           dln_lanes_isa_name());
    printf("%5s %12s %12s %8s\n", "width", "BLAS us", "lanes us", "speedup");
    for (int d = 1; d <= 32; d = d < 8 ? d + 1 : d < 16 ? d + 2 : d * 2) {
        char max[16];
        setenv("DLN_LANES_MAX_DIM", "0", 1);
        double blas = model_step_seconds(d);
        snprintf(max, sizeof max, "%d", d);
        setenv("DLN_LANES_MAX_DIM", max, 1);
        double lanes = model_step_seconds(d);
        unsetenv("DLN_LANES_MAX_DIM");
        if (blas < 0.0 || lanes < 0.0)
            return 1;
        printf("%5d %12.3f %12.3f %8.2f\n", d, blas * 1e6, lanes * 1e6,
               blas / lanes);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "peak")) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "peak_gflops", dln_json_real(peak()));
        int rc = dln_json_print(stdout, o);
        json_object_put(o);
        return rc;
    }
    if (argc == 2 && !strcmp(argv[1], "model"))
        return model_table();
    if (argc == 6 && !strcmp(argv[1], "batch"))
        return batch(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]),
                     atol(argv[5]));
    if (argc == 6 && !strcmp(argv[1], "isa"))
        return isa_table(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]),
                         atol(argv[5]));
    fputs("usage: bench_lanes peak | model | batch D L B STEPS | "
          "isa D L B STEPS\n", stderr);
    return 2;
}
