/* bench_floquet.c — dense monodromy + dgeev against ARPACK Arnoldi for the
 * Floquet multipliers of a 2-cycle, by block size: where the default
 * dense_max (floquet.h) should sit.
 *
 * Target (10, 9.5, 9) padded with zero modes to width d, depth 3, identity
 * init alpha 0.01, eta 0.032: a 2-cycle in the SVS set. For each width the
 * transverse block (quotient) and the full space are timed both ways (CPU
 * seconds, best of 3) with the top 6 multipliers, and the largest
 * disagreement of the top 6 is printed; NCV=k in the environment sets
 * Arnoldi's basis size (default: floquet.h's). Run with
 * OPENBLAS_NUM_THREADS=1. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "dlnsweep/clock.h"
#include "dlnsweep/floquet.h"
#include "dlnsweep/model.h"
#include "dlnsweep/svs.h"

/* Best-of-3 CPU seconds of one Floquet run into *secs; the result in r. */
static int timed(dln_floquet *fw, dln_model *m, dln_svs *svs,
                 const dln_floquet_settings *s, dln_floquet_result *r,
                 double *secs)
{
    *secs = INFINITY;
    for (int k = 0; k < 3; k++) {
        double t0 = dln_clock_cpu();
        if (dln_floquet_run(fw, m, 0.032, 2, svs, s, r))
            return 1;
        *secs = fmin(*secs, dln_clock_cpu() - t0);
    }
    return 0;
}

int main(void)
{
    const int widths[] = {4, 6, 8, 10, 12, 14, 16, 20};
    printf("%5s %5s %-10s %8s %9s %9s %8s %9s\n", "width", "nb", "block",
           "dense_s", "arnoldi_s", "matvecs", "ratio", "max_diff");
    for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
        dln_params p;
        char err[64];
        dln_params_defaults(&p);
        p.depth = 3;
        p.width = widths[w];
        p.alpha = 0.01;
        p.eta = 0.032;
        dln_params_parse_spectrum(&p, "10,9.5,9", err, sizeof err);
        dln_model *m = NULL;
        dln_svs *svs = NULL;
        dln_floquet *fw = NULL;
        if (dln_model_create(&p, &m) || dln_svs_create(m, &svs) ||
            dln_floquet_create(m, &fw))
            return 1;
        for (int t = 0; t < 4000; t++)
            dln_model_step(m, NULL);
        if (dln_svs_fit(svs, m, NULL))
            return 1;
        for (int full = 0; full < 2; full++) {
            dln_floquet_settings s;
            dln_floquet_result rd, ra;
            double td, ta, diff = 0.0;
            dln_floquet_defaults(&s);
            s.block = full ? DLN_BLOCK_FULL : DLN_BLOCK_TRANSVERSE;
            s.quotient = !full;
            s.dense_max = 1 << 30;
            if (timed(fw, m, full ? NULL : svs, &s, &rd, &td))
                return 1;
            s.dense_max = 0;
            s.ncv = getenv("NCV") ? atoi(getenv("NCV")) : 0;   /* try others */
            if (timed(fw, m, full ? NULL : svs, &s, &ra, &ta))
                return 1;
            for (int i = 0; i < rd.n && i < ra.n; i++)
                diff = fmax(diff, fabs(rd.modulus[i] - ra.modulus[i]));
            printf("%5d %5ld %-10s %8.4f %9.4f %9ld %8.2f %9.1e%s\n",
                   widths[w], rd.matvecs, full ? "full" : "transverse", td,
                   ta, ra.matvecs, ta / td, diff,
                   ra.converged ? "" : " (Arnoldi not converged)");
        }
        dln_floquet_destroy(&fw);
        dln_svs_destroy(&svs);
        dln_model_destroy(&m);
    }
    return 0;
}
