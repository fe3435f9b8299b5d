/* bench_step.c — per-step efficiency of training against the machine's own
 * single-thread DGEMM peak, and reference trajectories for the framework
 * comparison (bench/compare_frameworks.py).
 *
 *   bench_step                         table of GFLOP/s and % of DGEMM peak
 *   bench_step --dump DIR D L STEPS K  write init, target and C timings for
 *                                      one size (Lanczos every K steps)
 *
 * Run with OPENBLAS_NUM_THREADS=1: the peak and the steps are single-thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cblas.h>
#include "dlnsweep/lanczos.h"
#include "dlnsweep/model.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Best single-thread DGEMM rate over a few square sizes, in GFLOP/s. */
static double dgemm_peak(void)
{
    static const int sizes[] = {256, 512, 1024};
    double best = 0.0;
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        int n = sizes[k];
        double *a = malloc(sizeof(double) * (size_t)n * n);
        double *b = malloc(sizeof(double) * (size_t)n * n);
        double *c = malloc(sizeof(double) * (size_t)n * n);
        for (size_t i = 0; i < (size_t)n * n; i++) {
            a[i] = 1.0 / (1.0 + (double)(i % 97));
            b[i] = 1.0 / (2.0 + (double)(i % 89));
            c[i] = 0.0;
        }
        int reps = 0;
        double t0 = now(), t;
        do {
            cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, n, n, n,
                        1.0, a, n, b, n, 0.0, c, n);
            reps++;
            t = now() - t0;
        } while (t < 0.4);
        double gf = 2.0 * n * (double)n * n * reps / t * 1e-9;
        if (gf > best)
            best = gf;
        free(a);
        free(b);
        free(c);
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
 * GEMMs, each 2 d^3 (square layers). */
static double step_flops(int d, int L)
{
    return 6.0 * (L - 1) * (double)d * d * d;
}

static int table(void)
{
    static const int widths[] = {8, 32, 128, 512, 1024};
    static const int depths[] = {3, 6};
    double peak = dgemm_peak();
    printf("single-thread DGEMM peak: %.2f GFLOP/s\n", peak);
    printf("%6s %3s %14s %10s %9s\n", "d", "L", "us/step", "GFLOP/s",
           "of peak");
    for (size_t i = 0; i < sizeof widths / sizeof widths[0]; i++)
        for (size_t j = 0; j < sizeof depths / sizeof depths[0]; j++) {
            int d = widths[i], L = depths[j];
            dln_params p = bench_params(d, L);
            dln_model *m = NULL;
            if (dln_model_create(&p, &m))
                return 1;
            dln_model_step(m, NULL);   /* warm caches */
            long steps = 0;
            double t0 = now(), t;
            do {
                dln_model_step(m, NULL);
                steps++;
                t = now() - t0;
            } while (t < 0.5 || steps < 3);
            double per = t / (double)steps;
            double gf = step_flops(d, L) / per * 1e-9;
            printf("%6d %3d %14.2f %10.2f %8.1f%%\n", d, L, per * 1e6, gf,
                   100.0 * gf / peak);
            dln_model_destroy(&m);
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
    return fclose(f) != 0 || w != n;
}

/* Reference run for the framework comparison: same init, eta, steps and
 * sharpness cadence as bench/compare_frameworks.py uses. */
static int dump(const char *dir, int d, int L, long steps, int every)
{
    dln_params p = bench_params(d, L);
    p.eta = 1e-3;
    dln_model *m = NULL;
    int rc = 1;
    double *losses = malloc(sizeof(double) * (size_t)steps);
    double *sharp = malloc(sizeof(double) * (size_t)steps);
    if (!losses || !sharp || dln_model_create(&p, &m))
        goto cleanup;
    size_t n = dln_model_nparams(m);
    if (write_doubles(dir, "init.bin", dln_model_params(m), n) ||
        write_doubles(dir, "target.bin", dln_model_target(m),
                      (size_t)d * d))
        goto cleanup;
    double t0 = now();
    for (long t = 0; t < steps; t++) {
        sharp[t] = 0.0;
        if (every > 0 && t % every == 0) {
            dln_model_loss(m);
            dln_lanczos_top(m, 20, 1, 1, &sharp[t]);
        }
        losses[t] = dln_model_step(m, NULL);
    }
    double secs = now() - t0;
    if (write_doubles(dir, "loss.bin", losses, (size_t)steps) ||
        write_doubles(dir, "sharpness.bin", sharp, (size_t)steps))
        goto cleanup;
    printf("{\"d\": %d, \"L\": %d, \"steps\": %ld, \"every\": %d, "
           "\"eta\": %.17g, \"seconds\": %.9g}\n",
           d, L, steps, every, p.eta, secs);
    rc = 0;
cleanup:
    dln_model_destroy(&m);
    free(losses);
    free(sharp);
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
