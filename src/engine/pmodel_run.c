/* pmodel_run.c — dln_prun: one complete training run of a distributed
 * model, the same run as dln_run (run.c/run.h) step for step: the same
 * trajectory points, fingerprints (loss, product singular values, target
 * modes, the same sparse random projections), Lyapunov tangent map, final
 * diagnostics and classification (run.h's tolerances), computed with the
 * distributed twins of the serial routines.  Every fingerprint entry is
 * rank-identical (sums by dln_pmodel_sum, singular values replicated by
 * PDGESVD), so all ranks take the same branches; rank 0 keeps the orbit
 * ring and fills the result.  What does not depend on the model's storage
 * (windows, record schedule, ring, classification) is run_common.c's,
 * shared with run.c.
 *
 * Every workspace is allocated before the loop; the GD step never
 * allocates (the final full spectrum does, once). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dlnsweep/clock.h"
#include "dlnsweep/diagnostics.h"
#include "dlnsweep/pmodel.h"
#include "dlnsweep/rng.h"
#include "dlnsweep/ritz.h"
#include "dlnsweep/run.h"
#include "pmodel_impl.h"
#include "run_internal.h"

typedef struct prun_ws {
    const dln_params *p;
    dln_pmodel *m;
    dln_run_track k;          /* windows, modes, Lyapunov sums; the ring
                                 and transient sampler on rank 0 only    */
    size_t n;
    int root;
    int n_own;                /* projection terms held by this rank      */
    long own_at[DLN_RUN_NPROJ * DLN_RUN_PROJ_TERMS];
    int own_proj[DLN_RUN_NPROJ * DLN_RUN_PROJ_TERMS];
    double own_w[DLN_RUN_NPROJ * DLN_RUN_PROJ_TERMS];
    double *tan, *htan;       /* Lyapunov tangent (distributed)          */
    dln_ritz *ritz;           /* per-step Hessian tracker (orbit_hessian) */
    double *full;             /* rank 0: n doubles, the tracker's starts  */
    double *svl;              /* depth x DLN_MAX_SV layer singular values */
} prun_ws;

static void ws_free(prun_ws *w)
{
    dln_track_free(&w->k);
    dln_ritz_destroy(&w->ritz);
    dln_pmodel_destroy(&w->m);
    free(w->tan);
    free(w->htan);
    free(w->full);
    free(w->svl);
    memset(w, 0, sizeof *w);
}

/* run.c's projections (same seeded coordinates and weights); this rank
 * keeps the terms whose coordinate it holds, in the serial order. */
static void make_projections(prun_ws *w)
{
    size_t idx[DLN_RUN_NPROJ * DLN_RUN_PROJ_TERMS];
    double wt[DLN_RUN_NPROJ * DLN_RUN_PROJ_TERMS];
    int terms = dln_run_projections(w->p, w->n, idx, wt);
    w->n_own = 0;
    for (int j = 0; j < DLN_RUN_NPROJ; j++)
        for (int k = 0; k < terms; k++) {
            long at = dln_pmodel_local_index(w->m, idx[j * terms + k]);
            if (at < 0)
                continue;
            w->own_at[w->n_own] = at;
            w->own_proj[w->n_own] = j;
            w->own_w[w->n_own] = wt[j * terms + k];
            w->n_own++;
        }
}

/* Rank 0's x0 (init file: required) scattered into the model. Collective;
 * returns 0, 1 or 2 (no weights given), the same on every rank. */
static int start_from(prun_ws *w, const double *x0)
{
    int have = w->root && x0 != NULL, bad = 0;
    MPI_Bcast(&have, 1, MPI_INT, 0, dln_pmodel_comm(w->m));
    if (!have)
        return w->p->init == DLN_INIT_FILE ? 2 : 0;
    double *loc = malloc(sizeof(double) * (dln_pmodel_nlocal(w->m) + 1));
    bad = loc == NULL;
    MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX,
                  dln_pmodel_comm(w->m));
    if (!bad) {
        dln_pmodel_scatter(w->m, x0, loc);
        dln_pmodel_set_params(w->m, loc);
    }
    free(loc);
    return bad;
}

/* Model, orbit ring and scratch for p. Collective; returns 0, 1 or 2,
 * the same on every rank. */
static int ws_create(prun_ws *w, const dln_params *p, const double *x0,
                     MPI_Comm comm)
{
    int rc, bad = 0;
    w->p = p;
    if ((rc = dln_pmodel_create(p, comm, 0, &w->m)) != 0)
        return rc;
    w->n = dln_pmodel_nparams(w->m);
    MPI_Comm_rank(dln_pmodel_comm(w->m), &w->root);
    w->root = w->root == 0;
    if ((rc = start_from(w, x0)) != 0)
        return rc;
    if (dln_track_create(&w->k, p, w->root))
        bad = 1;
    if (!(w->svl = malloc(sizeof(double) * (size_t)p->depth * DLN_MAX_SV)))
        bad = 1;
    if (p->orbit_hessian &&
        (dln_ritz_create(dln_pmodel_nlocal(w->m), w->n, p->top_k,
                         p->lanczos_iters, &w->ritz) ||
         (w->root && !(w->full = malloc(sizeof(double) * w->n)))))
        bad = 1;
    if (dln_params_lyapunov_steps(p) > 0) {
        size_t nl = dln_pmodel_nlocal(w->m) + 1;
        w->tan = malloc(sizeof(double) * nl);
        w->htan = malloc(sizeof(double) * nl);
        if (!w->tan || !w->htan)
            bad = 1;
    }
    MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX,
                  dln_pmodel_comm(w->m));
    if (bad)
        return 1;
    make_projections(w);
    return 0;
}

/* Fingerprint of the current state into w->k.fp (layout in
 * run_internal.h), rank-identical. Collective. */
static void fingerprint(prun_ws *w, double loss)
{
    double sv[DLN_MAX_SV];
    int k = dln_pmodel_product_sv(w->m, sv);
    dln_track_fp_head(&w->k, loss, sv, k);
    dln_pmodel_target_modes(w->m, dln_track_fp_modes(&w->k));
    const double *x = dln_pmodel_params(w->m);
    double *proj = dln_track_fp_proj(&w->k);
    for (int j = 0; j < DLN_RUN_NPROJ; j++)
        proj[j] = 0.0;
    for (int t = 0; t < w->n_own; t++)
        proj[w->own_proj[t]] += w->own_w[t] * x[w->own_at[t]];
    dln_pmodel_sum(w->m, proj, DLN_RUN_NPROJ);
}

/* Top Hessian eigenvalues (k <= top_k) into top; returns k, 0 on failure.
 * Collective. */
static int hessian_top(prun_ws *w, uint64_t seed, double *top)
{
    int k, iters = dln_run_lanczos_size(w->p, w->n, &k);
    if (dln_pmodel_lanczos_top(w->m, iters, k, seed, top) != 0)
        return 0;
    return k;
}

/* Full spectrum (ascending) into r on rank 0 when asked and small enough.
 * Collective; returns 0, or 1 on allocation failure (every rank). */
static int full_spectrum(prun_ws *w, dln_result *r)
{
    size_t n = w->n;
    int bad;
    double *eig = NULL;
    if (!w->p->full_spectrum || n > DLN_PRUN_FULL_SPECTRUM_MAX)
        return 0;
    eig = malloc(sizeof(double) * n);
    bad = eig == NULL;
    MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX,
                  dln_pmodel_comm(w->m));
    if (bad)
        return 1;
    if (dln_pmodel_hessian_spectrum(w->m, eig) != 0) {
        free(eig);   /* no spectrum (as run.c when dsyev fails) */
        return 0;
    }
    if (w->root) {
        r->hessian_spectrum = eig;
        r->n_hessian_spectrum = (int)n;
        r->n_hessian_above_eos = dln_run_count_above_eos(eig, n, w->p->eta);
    } else
        free(eig);
    return 0;
}

/* Final diagnostics of a run that reached x_steps. Collective; returns 0
 * or 1 (every rank). */
static int finish(prun_ws *w, dln_result *r)
{
    const dln_params *p = w->p;
    double top[DLN_MAX_SV], sv[DLN_MAX_SV];
    double *svl = malloc(sizeof(double) * (size_t)p->depth * DLN_MAX_SV);
    double *gaps = malloc(sizeof(double) * (size_t)p->depth);
    int bad = svl == NULL || gaps == NULL;
    MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX,
                  dln_pmodel_comm(w->m));
    if (bad) {
        free(svl);
        free(gaps);
        return 1;
    }
    double loss = dln_pmodel_loss(w->m);
    int nsv = dln_pmodel_product_sv(w->m, sv);
    dln_pmodel_layer_sv(w->m, svl);
    double gap = dln_pmodel_balance_gap(w->m, gaps);
    double off = dln_pmodel_offdiag_mass(w->m);
    int ntop = hessian_top(w, p->seed, top);
    if (w->root) {
        r->final_loss = loss;
        r->n_sv_product = nsv;
        memcpy(r->sv_product, sv, sizeof(double) * (size_t)nsv);
        r->sv_layers = svl;
        svl = NULL;
        r->n_sv_layers = p->depth;
        r->balance_gap = gap;
        if (p->depth > 1) {
            r->balance_gaps = gaps;
            r->n_balance_gaps = p->depth - 1;
            gaps = NULL;
        }
        r->offdiag_mass = off;
        r->n_hessian_top = ntop;
        memcpy(r->hessian_top, top, sizeof(double) * (size_t)ntop);
        r->sharpness = ntop > 0 ? top[0] : NAN;
    }
    free(svl);
    free(gaps);
    if (full_spectrum(w, r))
        return 1;
    if (w->root)
        dln_track_conclude(&w->k, r, NULL);
    return 0;
}

/* The tracker's view of the distributed model (ritz.h): distributed
 * HVPs, rank-identical sums, run.c's seeded start vectors scattered. */
static void ritz_hvp(void *ctx, const double *v, double *hv)
{
    dln_pmodel_hvp(((prun_ws *)ctx)->m, v, hv);
}

static void ritz_sum(void *ctx, double *buf, int count)
{
    dln_pmodel_sum(((prun_ws *)ctx)->m, buf, count);
}

static void ritz_start(void *ctx, int j, double *v)
{
    prun_ws *w = ctx;
    if (w->root)
        dln_rng_normal(w->p->seed, DLN_STREAM_RITZ + ((uint64_t)j << 32),
                       w->full, w->n);
    dln_pmodel_scatter(w->m, w->full, v);
}

/* run.c's detail row of the current state, rank-identical. Collective. */
static void detail(prun_ws *w, const dln_detail_layout *lay, double *row)
{
    const dln_ritz_ops ops = {w, ritz_hvp, ritz_sum, ritz_start};
    double sv[DLN_MAX_SV];
    dln_pmodel_target_modes(w->m, row);
    row += lay->modes;
    dln_pmodel_product_sv(w->m, sv);
    memcpy(row, sv, sizeof(double) * (size_t)lay->sv);
    row += lay->sv;
    if (lay->hessian)
        dln_ritz_update(w->ritz, &ops, row);
    row += lay->hessian;
    dln_pmodel_layer_sv(w->m, w->svl);
    for (int l = 0; l < lay->layers; l++)
        row[l] = w->svl[(size_t)l * DLN_MAX_SV];
    row += lay->layers;
    dln_pmodel_balance_gap(w->m, row);
    row += lay->gaps;
    dln_pmodel_mode_gaps(w->m, lay->modes, row);
}

/* dln_diag_point's quantities at the current state. Collective. */
static void diag_point(prun_ws *w, double loss, long t, dln_traj_point *pt)
{
    double sv[DLN_MAX_SV];
    int cnt = dln_pmodel_product_sv(w->m, sv);
    pt->step = t;
    pt->loss = loss;
    pt->sv1 = cnt > 0 ? sv[0] : 0.0;
    pt->sv2 = cnt > 1 ? sv[1] : 0.0;
    pt->balance_gap = dln_pmodel_balance_gap(w->m, NULL);
    pt->offdiag_mass = dln_pmodel_offdiag_mass(w->m);
    pt->sharpness = NAN;
    pt->n_oscillating = 0;
}

/* Result arrays on rank 0. Collective; returns 0 or 1 (every rank). */
static int result_arrays(prun_ws *w, dln_result *r)
{
    int bad = w->root ? dln_track_result_arrays(w->p, r) : 0;
    MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX,
                  dln_pmodel_comm(w->m));
    return bad;
}

/* Seeded unit tangent vector: run.c's normals, scattered. Collective;
 * returns 0 or 1 (every rank). */
static int lyapunov_start(prun_ws *w)
{
    double *full = NULL;
    int bad = 0;
    if (w->root) {
        full = malloc(sizeof(double) * w->n);
        bad = full == NULL;
    }
    MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX,
                  dln_pmodel_comm(w->m));
    if (!bad) {
        if (w->root)
            dln_rng_normal(w->p->seed, DLN_STREAM_LYAPUNOV, full, w->n);
        dln_pmodel_scatter(w->m, full, w->tan);
        double nrm = sqrt(dln_pmodel_dot(w->m, w->tan, w->tan));
        double s = nrm > 0.0 ? 1.0 / nrm : 1.0;
        for (size_t i = 0; i < dln_pmodel_nlocal(w->m); i++)
            w->tan[i] *= s;
    }
    free(full);
    return bad;
}

/* The distributed numerics of dln_track_train (run_internal.h's
 * dln_run_ops; ctx is the prun_ws). Each is collective. */
static double op_loss(void *ctx)
{
    return dln_pmodel_loss(((prun_ws *)ctx)->m);
}

static void op_point(void *ctx, long t, double loss, dln_traj_point *pt)
{
    diag_point(ctx, loss, t, pt);
}

static int op_hessian_top(void *ctx, uint64_t seed, double *top)
{
    return hessian_top(ctx, seed, top);
}

static void op_modes(void *ctx, double *modes, int fresh)
{
    (void)fresh;   /* dln_pmodel_target_modes forms W_{L:1} itself */
    dln_pmodel_target_modes(((prun_ws *)ctx)->m, modes);
}

static void op_fingerprint(void *ctx, double loss)
{
    fingerprint(ctx, loss);
}

static void op_detail(void *ctx, const dln_detail_layout *lay, double *row)
{
    detail(ctx, lay, row);
}

static double op_tangent(void *ctx)
{
    prun_ws *w = ctx;
    size_t nl = dln_pmodel_nlocal(w->m);
    dln_pmodel_hvp(w->m, w->tan, w->htan);
    for (size_t i = 0; i < nl; i++)
        w->tan[i] -= w->p->eta * w->htan[i];
    return sqrt(dln_pmodel_dot(w->m, w->tan, w->tan));
}

static void op_rescale(void *ctx, double nrm)
{
    prun_ws *w = ctx;
    size_t nl = dln_pmodel_nlocal(w->m);
    for (size_t i = 0; i < nl; i++)
        w->tan[i] /= nrm;
}

static void op_step(void *ctx)
{
    dln_pmodel_step(((prun_ws *)ctx)->m);
}

/* GD from x_0 to x_steps (or divergence) with every per-step diagnostic
 * (dln_track_train; every quantity it branches on is rank-identical), then
 * the final diagnostics. Collective; returns 0, or 1 (every rank). */
static int train(prun_ws *w, dln_result *r)
{
    const dln_run_ops ops = {w, op_loss, op_point, op_hessian_top, op_modes,
                             op_fingerprint, op_detail, op_tangent,
                             op_rescale, op_step};
    if (result_arrays(w, r) || (w->tan && lyapunov_start(w)))
        return 1;
    if (!dln_track_train(&w->k, &ops, w->tan != NULL, r))
        return 0;   /* diverged */
    return finish(w, r);
}

int dln_prun(const dln_params *p, MPI_Comm comm, dln_result *r)
{
    return dln_prun_from(p, NULL, comm, r);
}

int dln_prun_from(const dln_params *p, const double *x0, MPI_Comm comm,
                  dln_result *r)
{
    prun_ws w;
    int rc, rank, head[2];
    double t0 = dln_clock_now();
    memset(&w, 0, sizeof w);
    MPI_Comm_rank(comm, &rank);
    rc = dln_params_validate(p, r->error, sizeof r->error);
    if (rc)
        goto cleanup;
    rc = ws_create(&w, p, x0, comm);
    if (rc == 0)
        rc = train(&w, r);
    if (rc) {
        dln_result_clear(r);
        snprintf(r->error, sizeof r->error, "%s",
                 rc == 1 ? "out of memory (distributed run workspaces)"
                         : "invalid parameters for the model");
    }
    /* Only rank 0 classified: everyone learns the regime and period. */
    head[0] = (int)r->regime;
    head[1] = r->period;
    MPI_Bcast(head, 2, MPI_INT, 0, comm);
    r->regime = (dln_regime)head[0];
    r->period = head[1];
cleanup:
    if (rc) {
        r->regime = DLN_REGIME_ERROR;
        r->period = 0;
    }
    dln_result_derive(r, p);
    ws_free(&w);
    r->wall_s = dln_clock_now() - t0;
    return rc;
}
