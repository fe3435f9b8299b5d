/* bench_ingest.c — SQLite ingest rate of the results store: runs and rows
 * per second through dln_store_put_run in batches of 1, 16 and 256 runs
 * (the sweep coordinator's default batch is 256 runs or 2 s).
 *
 *   bench_ingest [DIR [PAYLOAD...]]  databases are created (and removed)
 *                         in DIR (default: the current directory); only the
 *                         payloads named (default: all)
 *
 * Five payloads: "summary" (one runs row, its top-4 Hessian eigenvalues and
 * per-layer singular values as the row's JSON columns, no trajectory),
 * "full" (plus a 200-point trajectory and a 128-point orbit tail, as a
 * 2000-step cell with record_every 10 stores: 329 rows per run), "orbit"
 * (full, each late-orbit row with its per-step detail of a depth-3,
 * rank-3 cell with orbit_hessian: 3 modes, 3 singular values, 4 Hessian
 * eigenvalues, 3 layers, 2 gaps, 6 mode gaps as six JSON columns, on a
 * 2-cycle), "chaos" (the same, every orbit row different) and "detail"
 * (orbit, and the 200 trajectory points' detail too: record_detail, 200
 * more rows in point_details).  Every
 * trial writes into a fresh database; figures are the best of 3 trials,
 * per CPU second of the writer (user + system: the machine is shared) and
 * per wall second (WAL commits do not wait for the disk; checkpoints do). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dlnsweep/clock.h"
#include "dlnsweep/store.h"

#define BENCH_TRIALS 3

enum { SUMMARY, FULL, ORBIT, CHAOS, DETAIL, NPAYLOADS };
static const char *const payload_names[] = {"summary", "full", "orbit",
                                            "chaos", "detail"};

/* The per-step detail of n points (a depth-3, rank-3 cell, top_k 4,
 * orbit_hessian) into *rows: a 2-cycle (period 2) or every row new
 * (period 0). 0 or 1. */
static int fill_detail(dln_result *r, int n, int period, double **rows)
{
    dln_params p;
    dln_params_defaults(&p);
    p.orbit_hessian = 1;
    dln_detail_layout_of(&p, &r->detail);
    size_t w = (size_t)r->detail.stride, cnt = (size_t)n * w;
    if (!(*rows = malloc(sizeof(double) * cnt)))
        return 1;
    for (size_t i = 0; i < cnt; i++) {
        size_t row = i / w, at = period ? (row % (size_t)period) * w + i % w
                                        : i;
        (*rows)[i] = 9.0 + sin(0.37 * (double)at);
    }
    return 0;
}

/* A plausible result: depth-3 periodic run; traj/orbit points from FULL
 * on, their detail from ORBIT on. */
static int fill_result(dln_result *r, int payload, long k)
{
    int full = payload >= FULL;
    dln_result_init(r);
    r->regime = DLN_REGIME_PERIODIC;
    r->period = 2;
    r->diverge_step = -1;
    r->steps_done = 2000;
    r->final_loss = 0.125 + 1e-6 * (double)k;
    r->sharpness = 40.0 + 1e-3 * (double)k;
    r->n_hessian_top = 4;
    for (int i = 0; i < 4; i++)
        r->hessian_top[i] = r->sharpness / (1.0 + i);
    r->lyapunov = -0.01;
    r->balance_gap = 1e-9;
    r->offdiag_mass = 1e-12;
    r->n_oscillating = 1;
    r->n_sv_product = 3;
    for (int i = 0; i < 3; i++)
        r->sv_product[i] = 10.0 - i;
    r->n_hessian_above_eos = -1;
    r->wall_s = 0.001;
    r->sv_layers = calloc(3 * DLN_MAX_SV, sizeof(double));
    if (!r->sv_layers)
        return 1;
    r->n_sv_layers = 3;
    if (!full)
        return 0;
    r->n_traj = 200;
    r->n_orbit = 128;
    r->traj = calloc((size_t)r->n_traj, sizeof *r->traj);
    r->orbit_sv1 = calloc((size_t)r->n_orbit, sizeof(double));
    r->orbit_loss = calloc((size_t)r->n_orbit, sizeof(double));
    if (!r->traj || !r->orbit_sv1 || !r->orbit_loss)
        return 1;
    for (int i = 0; i < r->n_traj; i++) {
        dln_traj_point *p = &r->traj[i];
        p->step = 10L * i;
        p->loss = exp(-0.01 * i);
        p->sharpness = NAN;
        p->sv1 = 9.0 + sin(i);
        p->sv2 = 8.0 + cos(i);
        p->balance_gap = 1e-9 * i;
        p->offdiag_mass = 1e-12;
        p->n_oscillating = i % 2;
    }
    for (int i = 0; i < r->n_orbit; i++) {
        r->orbit_sv1[i] = 9.0 + (i % 2);
        r->orbit_loss[i] = 0.1 + 0.01 * (i % 2);
    }
    r->orbit_step0 = 2000 - r->n_orbit + 1;
    if (payload >= ORBIT && fill_detail(r, r->n_orbit, payload == CHAOS ? 0
                                                                 : 2,
                                        &r->orbit_detail))
        return 1;
    if (payload >= DETAIL && fill_detail(r, r->n_traj, 0, &r->traj_detail))
        return 1;
    return 0;
}

/* Write nruns distinct runs in batches of `batch` into a fresh DB at path;
 * CPU and wall seconds into cpu/wall.  Returns 0 or 1. */
static int ingest(const char *path, int payload, long nruns, int batch,
                  double *cpu, double *wall)
{
    char err[512];
    dln_store *s = NULL;
    dln_result r;
    dln_task t;
    dln_provenance prov = {.git_hash = "bench", .host = "bench",
                           .attempt = 1};
    int rc = 1;
    long id;
    unlink(path);
    dln_result_init(&r);
    if (fill_result(&r, payload, 0))
        goto cleanup;
    if (dln_store_create(path, 0, &s, err, sizeof err)) {
        fprintf(stderr, "bench_ingest: %s\n", err);
        goto cleanup;
    }
    if (dln_store_register_sweep(s, "bench", "bench", 1, nruns, 0, &id, err,
                                 sizeof err))
        goto cleanup;
    prov.sweep_id = id;
    memset(&t, 0, sizeof t);
    dln_params_defaults(&t.params);
    double c0 = dln_clock_cpu();
    double w0 = dln_clock_now();
    for (long k = 0; k < nruns; k++) {
        if (k % batch == 0 && batch > 1 && dln_store_begin(s))
            goto cleanup;
        t.params.eta = 0.01 + 1e-6 * (double)k;   /* a distinct cell */
        t.index = k;
        dln_params_cell_hash(&t.params, t.cell_hash);
        r.final_loss = 0.125 + 1e-6 * (double)k;
        if (dln_store_put_run(s, &t, &r, &prov, 0))
            goto cleanup;
        if ((k + 1) % batch == 0 && batch > 1 && dln_store_commit(s))
            goto cleanup;
    }
    if (dln_store_commit(s))
        goto cleanup;
    *cpu = dln_clock_cpu() - c0;
    *wall = dln_clock_now() - w0;
    rc = 0;
cleanup:
    if (rc && s)
        fprintf(stderr, "bench_ingest: %s\n", dln_store_errmsg(s));
    dln_store_destroy(&s);
    dln_result_clear(&r);
    unlink(path);
    char side[1100];
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    return rc;
}

/* 1 if payload name is among argv[2..] (or none is named). */
static int wanted(int argc, char **argv, const char *name)
{
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], name))
            return 1;
    return argc <= 2;
}

int main(int argc, char **argv)
{
    static const int batches[] = {1, 16, 256};
    const char *dir = argc > 1 ? argv[1] : ".";
    char path[1024];
    snprintf(path, sizeof path, "%s/bench_ingest.db", dir);
    printf("store: WAL, synchronous=NORMAL; databases in %s\n", dir);
    printf("%8s %6s %6s %8s %12s %12s %13s %10s\n", "payload", "batch",
           "runs", "rows/run", "runs/cpu-s", "rows/cpu-s", "rows/wall-s",
           "us/run");
    for (int payload = 0; payload < NPAYLOADS; payload++)
        for (size_t b = 0; b < sizeof batches / sizeof batches[0] &&
                           wanted(argc, argv, payload_names[payload]); b++) {
            int batch = batches[b];
            long nruns = batch == 1 ? 500 : 4000;
            if (payload >= FULL)
                nruns /= 2;
            /* rows per run: runs (+ trajectories + orbits, + the
             * trajectory points' detail rows) */
            long rows = 1 + (payload >= FULL ? 200 + 128 : 0) +
                        (payload >= DETAIL ? 200 : 0);
            double best_cpu = 1e300, best_wall = 1e300, cpu, wall;
            for (int trial = 0; trial < BENCH_TRIALS; trial++) {
                if (ingest(path, payload, nruns, batch, &cpu, &wall))
                    return 1;
                if (cpu < best_cpu)
                    best_cpu = cpu;
                if (wall < best_wall)
                    best_wall = wall;
            }
            printf("%8s %6d %6ld %8ld %12.0f %12.0f %13.0f %10.1f\n",
                   payload_names[payload], batch, nruns, rows,
                   (double)nruns / best_cpu, (double)(nruns * rows) / best_cpu,
                   (double)(nruns * rows) / best_wall,
                   1e6 * best_cpu / (double)nruns);
            fflush(stdout);
        }
    return 0;
}
