/* bench_step.c — per-step efficiency of training against the machine's own
 * single-thread DGEMM peak, and reference trajectories for the framework
 * comparison (bench/compare_frameworks.py).
 *
 *   bench_step                         table of GFLOP/s and % of DGEMM peak
 *   bench_step --dump DIR D L STEPS K  write init, target, Lanczos start,
 *                                      losses, sharpness and the best-of-
 *                                      repeats seconds of one run (Lanczos
 *                                      every K steps)
 *
 * Run with OPENBLAS_NUM_THREADS=1: the peak and the steps are single-thread.
 * The machine is shared, so every figure is the best of several trials of
 * the CPU time of this process (wall time counts other programs' slices). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include "dlnsweep/clock.h"
#include "dlnsweep/json.h"
#include "dlnsweep/lanczos.h"
#include "dlnsweep/model.h"
#include "dlnsweep/rng.h"

#define BENCH_LANCZOS_ITERS 20   /* Krylov steps per sharpness estimate */
#define BENCH_LANCZOS_SEED 1
#define BENCH_TRIAL_S 0.05       /* shortest trial                      */
#define BENCH_BUDGET_S 1.0       /* CPU seconds spent per measurement   */
#define BENCH_MIN_TRIALS 3

/* Best seconds per call of fn(ctx): trials of >= BENCH_TRIAL_S (the call
 * count per trial is calibrated on the first), at least BENCH_MIN_TRIALS and
 * until BENCH_BUDGET_S is spent; the minimum over trials is reported. */
static double best_per_call(void (*fn)(void *), void *ctx)
{
    fn(ctx);   /* warm caches and page in workspaces */
    long reps = 1;
    double best = 1e300, spent = 0.0;
    for (int trial = 0; trial < BENCH_MIN_TRIALS || spent < BENCH_BUDGET_S;
         trial++) {
        double t0 = dln_clock_cpu();
        for (long r = 0; r < reps; r++)
            fn(ctx);
        double t = dln_clock_cpu() - t0;
        spent += t;
        if (t / (double)reps < best)
            best = t / (double)reps;
        if (trial == 0 && t < BENCH_TRIAL_S)   /* calibrate, restart */
            reps = (long)(BENCH_TRIAL_S / (t / (double)reps + 1e-9)) + 1;
    }
    return best;
}

typedef struct {
    int n;
    double *a, *b, *c;
} gemm_ctx;

static void run_gemm(void *p)
{
    gemm_ctx *g = p;
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, g->n, g->n, g->n,
                1.0, g->a, g->n, g->b, g->n, 0.0, g->c, g->n);
}

/* Single-thread DGEMM rate for square n x n x n, in GFLOP/s (0 on OOM). */
static double dgemm_rate(int n)
{
    size_t nn = (size_t)n * n;
    gemm_ctx g = {n, malloc(sizeof(double) * nn), malloc(sizeof(double) * nn),
                  malloc(sizeof(double) * nn)};
    double rate = 0.0;
    if (g.a && g.b && g.c) {
        for (size_t i = 0; i < nn; i++) {
            g.a[i] = 1.0 / (1.0 + (double)(i % 97));
            g.b[i] = 1.0 / (2.0 + (double)(i % 89));
            g.c[i] = 0.0;
        }
        rate = 2.0 * n * (double)n * n / best_per_call(run_gemm, &g) * 1e-9;
    }
    free(g.a);
    free(g.b);
    free(g.c);
    return rate;
}

/* The peak: best single-thread DGEMM rate over large square sizes. */
static double dgemm_peak(void)
{
    static const int sizes[] = {256, 512, 1024, 2048};
    double best = 0.0;
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        double r = dgemm_rate(sizes[k]);
        if (r > best)
            best = r;
    }
    return best;
}

static dln_params bench_params(int d, int L)
{
    dln_params p;
    dln_params_defaults(&p);
    p.depth = L;
    p.width = d;
    p.rank = 1;
    p.spectrum[0] = 1.0;
    p.rotate = 1;
    p.init = DLN_INIT_GAUSSIAN;
    p.alpha = 1.0;
    p.eta = 1e-4;
    p.seed = 7;
    return p;
}

/* Flops of one GD step: L-1 forward GEMMs, L-1 gradient and L-1 backward
 * GEMMs, each 2 d^3 (square layers; the O(d^2) residual and update are not
 * counted). */
static double step_flops(int d, int L)
{
    return 6.0 * (L - 1) * (double)d * d * d;
}

static void run_step(void *m)
{
    dln_model_step(m, NULL);
}

#define NW 6
#define ND 2

static int table(void)
{
    static const int widths[NW] = {8, 32, 128, 256, 512, 1024};
    static const int depths[ND] = {3, 6};
    double at_d[NW], per[NW][ND];
    /* The peak is measured before and after the steps and is the best DGEMM
     * rate seen anywhere in the run, so a load burst during one of its
     * measurements cannot inflate the ratios. */
    double peak = dgemm_peak();
    for (int i = 0; i < NW; i++) {
        int d = widths[i];
        at_d[i] = dgemm_rate(d);
        if (at_d[i] > peak)
            peak = at_d[i];
        for (int j = 0; j < ND; j++) {
            dln_params p = bench_params(d, depths[j]);
            dln_model *m = NULL;
            if (dln_model_create(&p, &m))
                return 1;
            per[i][j] = best_per_call(run_step, m);
            dln_model_destroy(&m);
        }
    }
    double again = dgemm_peak();
    if (again > peak)
        peak = again;
    printf("single-thread DGEMM peak: %.2f GFLOP/s (best square DGEMM of the "
           "run, n = 8..2048)\n", peak);
    printf("%6s %3s %12s %9s %8s %12s %9s\n", "d", "L", "us/step", "GFLOP/s",
           "of peak", "DGEMM(d) GF", "of DGEMM(d)");
    for (int i = 0; i < NW; i++)
        for (int j = 0; j < ND; j++) {
            int d = widths[i], L = depths[j];
            double gf = step_flops(d, L) / per[i][j] * 1e-9;
            printf("%6d %3d %12.2f %9.2f %7.1f%% %12.2f %8.1f%%\n", d, L,
                   per[i][j] * 1e6, gf, 100.0 * gf / peak, at_d[i],
                   100.0 * gf / at_d[i]);
        }
    return 0;
}

static int write_doubles(const char *dir, const char *name, const double *x,
                         size_t n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return 1;
    size_t w = fwrite(x, sizeof(double), n, f);
    return (fclose(f) != 0) | (w != n);
}

/* One training run from a fresh model: `steps` GD steps, the top Hessian
 * eigenvalue by Lanczos before every `every`-th step (in one workspace with
 * one seed, as dln_run does).  Losses (before each step) and sharpness (0
 * where not computed) go to losses/sharp. */
static int train(const dln_params *p, long steps, int every, double *losses,
                 double *sharp, double *seconds)
{
    dln_model *m = NULL;
    dln_lanczos *lz = NULL;
    int rc = 1;
    if (dln_model_create(p, &m) ||
        dln_lanczos_create(dln_model_nparams(m), BENCH_LANCZOS_ITERS, &lz))
        goto cleanup;
    rc = 0;
    double t0 = dln_clock_cpu();
    for (long t = 0; t < steps && !rc; t++) {
        sharp[t] = 0.0;
        if (every > 0 && t % every == 0)
            rc = dln_lanczos_run(lz, m, BENCH_LANCZOS_ITERS, 1,
                                 BENCH_LANCZOS_SEED, &sharp[t]);
        losses[t] = dln_model_step(m, NULL);
    }
    *seconds = dln_clock_cpu() - t0;
cleanup:
    dln_lanczos_destroy(&lz);
    dln_model_destroy(&m);
    return rc;
}

/* Reference run for the framework comparison: same init, eta, steps and
 * sharpness cadence as bench/compare_frameworks.py uses; repeated while
 * cheap (best of up to 5 runs within ~1 s). */
static int dump(const char *dir, int d, int L, long steps, int every)
{
    dln_params p = bench_params(d, L);
    p.eta = 1e-3;
    dln_model *m = NULL;
    int rc = 1;
    double *losses = malloc(sizeof(double) * (size_t)steps);
    double *sharp = malloc(sizeof(double) * (size_t)steps);
    double *start = NULL;
    if (!losses || !sharp || dln_model_create(&p, &m))
        goto cleanup;
    size_t n = dln_model_nparams(m);
    /* Lanczos's first start vector (its stream for restart 0), so that the
     * other implementations run the same Krylov sequence. */
    start = malloc(sizeof(double) * n);
    if (!start)
        goto cleanup;
    dln_rng_normal(BENCH_LANCZOS_SEED, DLN_STREAM_LANCZOS, start, n);
    if (write_doubles(dir, "init.bin", dln_model_params(m), n) ||
        write_doubles(dir, "target.bin", dln_model_target(m),
                      (size_t)d * d) ||
        write_doubles(dir, "lanczos_start.bin", start, n))
        goto cleanup;
    double best = 1e300, spent = 0.0, secs;
    for (int rep = 0; rep < 5 && (rep == 0 || spent < 1.0); rep++) {
        if (train(&p, steps, every, losses, sharp, &secs))
            goto cleanup;
        spent += secs;
        if (secs < best)
            best = secs;
    }
    if (write_doubles(dir, "loss.bin", losses, (size_t)steps) ||
        write_doubles(dir, "sharpness.bin", sharp, (size_t)steps))
        goto cleanup;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "d", json_object_new_int(d));
    json_object_object_add(o, "L", json_object_new_int(L));
    json_object_object_add(o, "steps", json_object_new_int64(steps));
    json_object_object_add(o, "every", json_object_new_int(every));
    json_object_object_add(o, "lanczos_iters",
                           json_object_new_int(BENCH_LANCZOS_ITERS));
    json_object_object_add(o, "eta", dln_json_exact(p.eta));
    json_object_object_add(o, "seconds", dln_json_real(best));
    rc = dln_json_print(stdout, o);
    json_object_put(o);
cleanup:
    dln_model_destroy(&m);
    free(losses);
    free(sharp);
    free(start);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 7 && !strcmp(argv[1], "--dump"))
        return dump(argv[2], atoi(argv[3]), atoi(argv[4]), atol(argv[5]),
                    atoi(argv[6]));
    if (argc != 1) {
        fputs("usage: bench_step [--dump DIR D L STEPS K]\n", stderr);
        return 2;
    }
    return table();
}
