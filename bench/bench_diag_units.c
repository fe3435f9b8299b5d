/* bench_diag_units.c — unit costs of the diagnostics (issue 17,
 * docs/cost-of-diagnostics.md): per width, the CPU seconds of one
 * gradient, one HVP, one GD step, one GD step with a trajectory point, and
 * 20 Lanczos steps with a full basis and with lanczos_basis 6.
 *
 *   bench_diag_units REPEATS WIDTH...
 *
 * Depth 3, d_in = d_out = width, target s = 10, Gaussian init (the
 * defaults otherwise); each figure the mean of REPEATS calls (Lanczos: one
 * run).  One JSON object per width on stdout. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include "dlnsweep/clock.h"
#include "dlnsweep/diagnostics.h"
#include "dlnsweep/json.h"
#include "dlnsweep/lanczos.h"
#include "dlnsweep/model.h"
#include "dlnsweep/params.h"

/* CPU seconds of 20 Lanczos steps (top 2) with a basis of BASIS (0: all). */
static double lanczos_time(dln_model *m, size_t n, int basis)
{
    dln_lanczos *l = NULL;
    double top[2], t0 = dln_clock_cpu();
    if (dln_lanczos_create_bounded(n, 20, basis, &l) ||
        dln_lanczos_run(l, m, 20, 2, 1, top)) {
        dln_lanczos_destroy(&l);
        return -1.0;
    }
    dln_lanczos_destroy(&l);
    return dln_clock_cpu() - t0;
}

/* Measure one width; 0 on success, 1 on an allocation failure. */
static int measure(int width, int reps)
{
    dln_params p;
    dln_model *m = NULL;
    dln_diag *d = NULL;
    json_object *o = NULL;
    double *v = NULL, *hv = NULL, *g = NULL;
    int rc = 1;
    dln_params_defaults(&p);
    p.width = width;
    p.depth = 3;
    p.rank = 1;
    p.spectrum[0] = 10.0;
    p.init = DLN_INIT_GAUSSIAN;
    if (dln_model_create(&p, &m) || dln_diag_create(m, &d))
        goto cleanup;
    size_t n = dln_model_nparams(m);
    v = malloc(n * sizeof *v);
    hv = malloc(n * sizeof *hv);
    g = malloc(n * sizeof *g);
    if (!v || !hv || !g)
        goto cleanup;
    for (size_t i = 0; i < n; i++)
        v[i] = 1.0 / (double)(1 + i % 7);
    double t0 = dln_clock_cpu();
    for (int r = 0; r < reps; r++)
        dln_model_gradient(m, g);
    double t_grad = (dln_clock_cpu() - t0) / reps;
    t0 = dln_clock_cpu();
    for (int r = 0; r < reps; r++)
        dln_model_hvp(m, v, hv);
    double t_hvp = (dln_clock_cpu() - t0) / reps;
    double t_full = lanczos_time(m, n, 0), t_capped = lanczos_time(m, n, 6);
    t0 = dln_clock_cpu();
    for (int r = 0; r < reps; r++)
        dln_model_step(m, NULL);
    double t_step = (dln_clock_cpu() - t0) / reps;
    dln_traj_point pt;
    t0 = dln_clock_cpu();
    for (int r = 0; r < reps; r++) {
        dln_model_step(m, NULL);
        dln_diag_point(d, m, r, &pt);
    }
    double t_point = (dln_clock_cpu() - t0) / reps;
    if (!(o = json_object_new_object()))
        goto cleanup;
    json_object_object_add(o, "width", json_object_new_int(width));
    json_object_object_add(o, "nparams", json_object_new_int64((int64_t)n));
    json_object_object_add(o, "gradient_s", dln_json_real(t_grad));
    json_object_object_add(o, "hvp_s", dln_json_real(t_hvp));
    json_object_object_add(o, "gd_step_s", dln_json_real(t_step));
    json_object_object_add(o, "step_and_point_s", dln_json_real(t_point));
    json_object_object_add(o, "lanczos20_full_s", dln_json_real(t_full));
    json_object_object_add(o, "lanczos20_basis6_s", dln_json_real(t_capped));
    rc = dln_json_print(stdout, o);
cleanup:
    json_object_put(o);
    free(v);
    free(hv);
    free(g);
    dln_diag_destroy(&d);
    dln_model_destroy(&m);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_diag_units REPEATS WIDTH...\n");
        return 2;
    }
    int reps = atoi(argv[1]);
    if (reps < 1)
        reps = 1;
    for (int i = 2; i < argc; i++)
        if (measure(atoi(argv[i]), reps))
            return 1;
    return 0;
}
