/* pmodel_run.c — dln_prun: one complete training run of a distributed
 * model, the same run as dln_run (run.c/run.h) step for step: the same
 * trajectory points, fingerprints (loss, product singular values, target
 * modes, the same sparse random projections), Lyapunov tangent map, final
 * diagnostics and classification (run.h's tolerances), computed with the
 * distributed twins of the serial routines.  Every fingerprint entry is
 * rank-identical (sums by dln_pmodel_sum, singular values replicated by
 * PDGESVD), so all ranks take the same branches; rank 0 keeps the orbit
 * ring and fills the result.  Keep in step with run.c when it changes.
 *
 * Every workspace is allocated before the loop; the GD step never
 * allocates (the final full spectrum does, once). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dlnsweep/diagnostics.h"
#include "dlnsweep/orbit.h"
#include "dlnsweep/pmodel.h"
#include "dlnsweep/rng.h"
#include "dlnsweep/run.h"
#include "dlnsweep/stability.h"
#include "pmodel_impl.h"

#define PROJ_TERMS 32   /* parameters read by one projection (run.c) */

typedef struct prun_ws {
    const dln_params *p;
    dln_pmodel *m;
    dln_orbit *orbit;         /* rank 0 only                             */
    dln_transient *transient; /* rank 0 only; NULL: off                  */
    long twin;                /* slow-transient window in steps          */
    size_t n;
    int root, rank, nsv, dim;
    double *fp;               /* fingerprint                             */
    double *mode_prev, *mode_now;
    int n_own;                /* projection terms held by this rank      */
    long own_at[DLN_RUN_NPROJ * PROJ_TERMS];
    int own_proj[DLN_RUN_NPROJ * PROJ_TERMS];
    double own_w[DLN_RUN_NPROJ * PROJ_TERMS];
    double *tan, *htan;       /* Lyapunov tangent (distributed)          */
} prun_ws;

static void ws_free(prun_ws *w)
{
    dln_transient_destroy(&w->transient);
    dln_orbit_destroy(&w->orbit);
    dln_pmodel_destroy(&w->m);
    free(w->fp);
    free(w->mode_prev);
    free(w->mode_now);
    free(w->tan);
    free(w->htan);
    memset(w, 0, sizeof *w);
}

/* run.c's projections (same seeded coordinates and weights); this rank
 * keeps the terms whose coordinate it holds, in the serial order. */
static void make_projections(prun_ws *w)
{
    int terms = w->n < PROJ_TERMS ? (int)w->n : PROJ_TERMS;
    double u[2 * DLN_RUN_NPROJ * PROJ_TERMS];
    dln_rng_uniform(w->p->seed, DLN_STREAM_PROJECTION, u,
                    2 * (size_t)DLN_RUN_NPROJ * terms);
    w->n_own = 0;
    for (int j = 0; j < DLN_RUN_NPROJ; j++)
        for (int k = 0; k < terms; k++) {
            const double *uk = u + 2 * (j * terms + k);
            size_t idx = (size_t)(uk[0] * (double)w->n);
            long at = dln_pmodel_local_index(w->m, idx < w->n ? idx : w->n - 1);
            if (at < 0)
                continue;
            w->own_at[w->n_own] = at;
            w->own_proj[w->n_own] = j;
            w->own_w[w->n_own] = 2.0 * uk[1] - 1.0;
            w->n_own++;
        }
}

/* Model, orbit ring and scratch for p. Collective; returns 0, 1 or 2,
 * the same on every rank. */
static int ws_create(prun_ws *w, const dln_params *p, MPI_Comm comm)
{
    int rc, bad = 0;
    w->p = p;
    if ((rc = dln_pmodel_create(p, comm, 0, &w->m)) != 0)
        return rc;
    w->n = dln_pmodel_nparams(w->m);
    w->rank = p->rank;
    MPI_Comm_rank(dln_pmodel_comm(w->m), &w->root);
    w->root = w->root == 0;
    w->nsv = p->rank < DLN_MAX_SV ? p->rank : DLN_MAX_SV;
    w->dim = 1 + w->nsv + w->rank + DLN_RUN_NPROJ;
    if (w->root && dln_orbit_create(w->dim, p->max_period, &w->orbit))
        bad = 1;
    w->twin = p->transient_window;
    if (w->twin < 0)
        w->twin = p->steps / 4 < 4096 ? p->steps / 4 : 4096;
    if (w->twin > p->steps - 2L * p->max_period)   /* ring must be full */
        w->twin = 0;
    if (w->root && w->twin > 0 &&
        dln_transient_create(p->max_period, w->twin, &w->transient))
        bad = 1;
    w->fp = malloc(sizeof(double) * (size_t)w->dim);
    w->mode_prev = malloc(sizeof(double) * (size_t)w->rank);
    w->mode_now = malloc(sizeof(double) * (size_t)w->rank);
    if (!w->fp || !w->mode_prev || !w->mode_now)
        bad = 1;
    if (p->lyapunov_steps > 0) {
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

/* Fingerprint of the current state: [loss, sv_1..sv_nsv, modes_1..modes_r,
 * proj_1..proj_NPROJ], rank-identical. Collective. */
static void fingerprint(prun_ws *w, double loss, double *fp)
{
    double sv[DLN_MAX_SV];
    int k = dln_pmodel_product_sv(w->m, sv);
    fp[0] = loss;
    for (int i = 0; i < w->nsv; i++)
        fp[1 + i] = i < k ? sv[i] : 0.0;
    dln_pmodel_target_modes(w->m, fp + 1 + w->nsv);
    const double *x = dln_pmodel_params(w->m);
    double *proj = fp + 1 + w->nsv + w->rank;
    for (int j = 0; j < DLN_RUN_NPROJ; j++)
        proj[j] = 0.0;
    for (int t = 0; t < w->n_own; t++)
        proj[w->own_proj[t]] += w->own_w[t] * x[w->own_at[t]];
    dln_pmodel_sum(w->m, proj, DLN_RUN_NPROJ);
}

/* Modes that moved by more than the oscillation tolerance (run.c). */
static int count_moved(const prun_ws *w, const double *a, const double *b)
{
    int cnt = 0;
    double s1 = w->p->spectrum[0];
    for (int i = 0; i < w->rank; i++) {
        double scale = fmax(s1, fmax(fabs(a[i]), fabs(b[i])));
        if (fabs(a[i] - b[i]) > DLN_RUN_OSC_TOL * scale)
            cnt++;
    }
    return cnt;
}

/* Modes spanning more than the tolerance over the ring (rank 0, run.c). */
static int count_oscillating(const prun_ws *w)
{
    int cnt = 0, off = 1 + w->nsv;
    for (int i = 0; i < w->rank; i++) {
        double lo = INFINITY, hi = -INFINITY, big = w->p->spectrum[0];
        const double *f;
        for (int lag = 0; (f = dln_orbit_get(w->orbit, lag)) != NULL; lag++) {
            lo = fmin(lo, f[off + i]);
            hi = fmax(hi, f[off + i]);
            big = fmax(big, fabs(f[off + i]));
        }
        if (hi - lo > DLN_RUN_OSC_TOL * big)
            cnt++;
    }
    return cnt;
}

/* Top Hessian eigenvalues (k <= top_k) into top; returns k, 0 on failure.
 * Collective. */
static int hessian_top(prun_ws *w, uint64_t seed, double *top)
{
    int iters = w->p->lanczos_iters;
    if ((size_t)iters > w->n)
        iters = (int)w->n;
    int k = w->p->top_k < iters ? w->p->top_k : iters;
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
        r->n_hessian_above_eos = 0;
        for (size_t i = 0; i < n; i++)
            if (eig[i] > 2.0 / w->p->eta)
                r->n_hessian_above_eos++;
    } else
        free(eig);
    return 0;
}

/* run.c's classification from the ring (rank 0). */
static void classify(const prun_ws *w, dln_result *r)
{
    const dln_params *p = w->p;
    double half = 0.0, sv_max = 0.0;
    const double *f;
    for (int i = 0; i < p->rank; i++)
        half += 0.5 * p->spectrum[i] * p->spectrum[i];
    for (int lag = 0; (f = dln_orbit_get(w->orbit, lag)) != NULL; lag++)
        sv_max = fmax(sv_max, f[1]);
    int period = dln_orbit_period(w->orbit, p->period_tol);
    if (w->transient)   /* settle slow transients near period doublings */
        period = dln_transient_period(w->transient, period,
                                      !(r->lyapunov > DLN_RUN_CHAOS_LYAPUNOV),
                                      DLN_RUN_TRANSIENT_FLOOR);
    r->period = 0;
    if (p->spectrum[0] > 0.0 && dln_orbit_count(w->orbit) > 0 &&
        sv_max <= DLN_RUN_COLLAPSE_TOL * p->spectrum[0] &&
        fabs(r->final_loss - half) <= DLN_RUN_COLLAPSE_TOL * half)
        r->regime = DLN_REGIME_COLLAPSED;
    else if (period == 1) {
        r->regime = DLN_REGIME_CONVERGED;
        r->period = 1;
        r->n_oscillating = 0;   /* what still swings is dying out */
    } else if (period > 1) {
        r->regime = DLN_REGIME_PERIODIC;
        r->period = period;
    } else if (r->lyapunov > DLN_RUN_CHAOS_LYAPUNOV)
        r->regime = DLN_REGIME_CHAOTIC;
    else
        r->regime = DLN_REGIME_UNRESOLVED;
}

/* Final diagnostics of a run that reached x_steps. Collective; returns 0
 * or 1 (every rank). */
static int finish(prun_ws *w, dln_result *r)
{
    const dln_params *p = w->p;
    double top[DLN_MAX_SV], sv[DLN_MAX_SV];
    double *svl = malloc(sizeof(double) * (size_t)p->depth * DLN_MAX_SV);
    int bad = svl == NULL;
    MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX,
                  dln_pmodel_comm(w->m));
    if (bad) {
        free(svl);
        return 1;
    }
    double loss = dln_pmodel_loss(w->m);
    int nsv = dln_pmodel_product_sv(w->m, sv);
    dln_pmodel_layer_sv(w->m, svl);
    double gap = dln_pmodel_balance_gap(w->m);
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
        r->offdiag_mass = off;
        r->n_hessian_top = ntop;
        memcpy(r->hessian_top, top, sizeof(double) * (size_t)ntop);
        r->sharpness = ntop > 0 ? top[0] : NAN;
    }
    free(svl);
    if (full_spectrum(w, r))
        return 1;
    if (w->root) {
        r->n_oscillating = count_oscillating(w);
        if (r->n_traj > 0 && r->traj[r->n_traj - 1].step == p->steps)
            r->traj[r->n_traj - 1].sharpness = r->sharpness;
        classify(w, r);
    }
    return 0;
}

/* 1 if state t gets a trajectory point (run.c). */
static int is_record(const dln_params *p, long t)
{
    return p->record_every > 0 && t <= p->steps &&
           (t % p->record_every == 0 || t == p->steps);
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
    pt->balance_gap = dln_pmodel_balance_gap(w->m);
    pt->offdiag_mass = dln_pmodel_offdiag_mass(w->m);
    pt->sharpness = NAN;
    pt->n_oscillating = 0;
}

/* Result arrays on rank 0. Collective; returns 0 or 1 (every rank). */
static int result_arrays(prun_ws *w, dln_result *r)
{
    const dln_params *p = w->p;
    int bad = 0;
    if (w->root && p->record_every > 0) {
        long npts = p->steps / p->record_every + 2;
        r->traj = calloc((size_t)npts, sizeof *r->traj);
        bad |= r->traj == NULL;
    }
    if (w->root && p->tail > 0) {
        r->orbit_sv1 = malloc(sizeof(double) * (size_t)p->tail);
        r->orbit_loss = malloc(sizeof(double) * (size_t)p->tail);
        bad |= !r->orbit_sv1 || !r->orbit_loss;
    }
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

/* GD from x_0 to x_steps (or divergence) with every per-step diagnostic,
 * as run.c's train. Collective; returns 0, or 1 (every rank). */
static int train(prun_ws *w, dln_result *r)
{
    const dln_params *p = w->p;
    long steps = p->steps;
    long fwin = 2L * p->max_period + 1 > p->tail ? 2L * p->max_period + 1
                                                 : p->tail;
    long fp_from = steps - fwin + 1, tail_from = steps - p->tail + 1;
    long lyap_from = steps - p->lyapunov_steps;
    long tr_from = steps - w->twin + 1;   /* first step of the fit window */
    if (w->twin > 0 && tr_from - 2L * p->max_period < fp_from)
        fp_from = tr_from - 2L * p->max_period;
    size_t nl = dln_pmodel_nlocal(w->m);
    double lyap_sum = 0.0;
    long lyap_n = 0;
    int prev_ok = 0, lyap_bad = 0;
    double top[DLN_MAX_SV];
    dln_traj_point pt;

    if (result_arrays(w, r) || (w->tan && lyapunov_start(w)))
        return 1;
    r->lyapunov = NAN;
    for (long t = 0;; t++) {
        double loss = dln_pmodel_loss(w->m);
        if (!(loss <= p->diverge_bound)) {   /* NaN, Inf or too large */
            r->regime = DLN_REGIME_DIVERGENT;
            r->diverge_step = r->steps_done = t;
            r->final_loss = loss;
            r->sharpness = r->balance_gap = r->offdiag_mass = NAN;
            r->period = 0;
            return 0;
        }
        if (is_record(p, t)) {
            diag_point(w, loss, t, &pt);
            if (p->sharpness_every > 0 && t % p->sharpness_every == 0 &&
                t != steps && hessian_top(w, p->seed + (uint64_t)t, top) > 0)
                pt.sharpness = top[0];
            dln_pmodel_target_modes(w->m, w->mode_now);
            pt.n_oscillating =
                prev_ok ? count_moved(w, w->mode_prev, w->mode_now) : 0;
            if (w->root)
                r->traj[r->n_traj++] = pt;
            prev_ok = 0;
            if (is_record(p, t + 1)) {
                double *tmp = w->mode_prev;
                w->mode_prev = w->mode_now;
                w->mode_now = tmp;
                prev_ok = 1;
            }
        } else if (is_record(p, t + 1)) {
            dln_pmodel_target_modes(w->m, w->mode_prev);
            prev_ok = 1;
        }
        if (t >= fp_from) {
            fingerprint(w, loss, w->fp);
            if (w->root) {
                dln_orbit_push(w->orbit, w->fp);
                if (w->transient && t >= tr_from)
                    dln_transient_push(w->transient, w->orbit, t - tr_from);
                if (t >= tail_from) {
                    r->orbit_sv1[r->n_orbit] = w->fp[1];
                    r->orbit_loss[r->n_orbit] = loss;
                    r->n_orbit++;
                }
            }
        }
        if (t == steps)
            break;
        if (w->tan && t >= lyap_from && !lyap_bad) {
            /* v <- (I - eta H(x_t)) v, renormalised. */
            dln_pmodel_hvp(w->m, w->tan, w->htan);
            for (size_t i = 0; i < nl; i++)
                w->tan[i] -= p->eta * w->htan[i];
            double nrm = sqrt(dln_pmodel_dot(w->m, w->tan, w->tan));
            if (!isfinite(nrm)) {
                lyap_bad = 1;
            } else {
                nrm = fmax(nrm, 1e-300);
                lyap_sum += log(nrm);
                lyap_n++;
                for (size_t i = 0; i < nl; i++)
                    w->tan[i] /= nrm;
            }
        }
        dln_pmodel_step(w->m);
    }
    r->steps_done = steps;
    if (lyap_n > 0 && !lyap_bad)
        r->lyapunov = lyap_sum / (double)lyap_n;
    return finish(w, r);
}

int dln_prun(const dln_params *p, MPI_Comm comm, dln_result *r)
{
    prun_ws w;
    int rc, rank, head[2];
    double t0 = MPI_Wtime();
    memset(&w, 0, sizeof w);
    MPI_Comm_rank(comm, &rank);
    rc = dln_params_validate(p, r->error, sizeof r->error);
    if (rc)
        goto cleanup;
    rc = ws_create(&w, p, comm);
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
    ws_free(&w);
    r->wall_s = MPI_Wtime() - t0;
    return rc;
}
