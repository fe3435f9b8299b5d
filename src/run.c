/* run.c — one training run: GD with trajectory diagnostics, late-orbit
 * fingerprints, the largest Lyapunov exponent and the regime
 * classification (definitions and tolerances in run.h).
 *
 * Every workspace is allocated before the loop; inside it only the
 * diagnostics of a sharpness point (Lanczos keeps its own Krylov basis)
 * allocate, never the GD step itself. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cblas.h>
#include <lapacke.h>
#include "dlnsweep/diagnostics.h"
#include "dlnsweep/lanczos.h"
#include "dlnsweep/model.h"
#include "dlnsweep/orbit.h"
#include "dlnsweep/rng.h"
#include "dlnsweep/run.h"
#include "dlnsweep/stability.h"

#define PROJ_TERMS 32   /* parameters read by one sparse random projection */

typedef struct run_ws {
    const dln_params *p;
    dln_model *m;
    dln_diag *diag;
    dln_orbit *orbit;
    dln_transient *transient; /* slow-transient samples (NULL: off)      */
    long twin;                /* its window in steps                     */
    size_t n;                 /* parameters                              */
    int rank, d_in, d_out;
    int nsv;                  /* singular values per fingerprint         */
    int dim;                  /* fingerprint length                      */
    double *fp;               /* fingerprint scratch                     */
    double *pv;               /* W_{L:1} V, d_out x rank                 */
    double *mode_prev;        /* diag(U^T W V) at state t-1              */
    double *mode_now;         /* ... at state t                          */
    size_t proj_idx[DLN_RUN_NPROJ][PROJ_TERMS];
    double proj_w[DLN_RUN_NPROJ][PROJ_TERMS];
    int proj_terms;
    double *tan, *htan;       /* Lyapunov tangent vector and H v         */
} run_ws;

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) +
           1e-9 * (double)(t1.tv_nsec - t0->tv_nsec);
}

static void ws_free(run_ws *w)
{
    dln_orbit_destroy(&w->orbit);
    dln_transient_destroy(&w->transient);
    dln_diag_destroy(&w->diag);
    dln_model_destroy(&w->m);
    free(w->fp);
    free(w->pv);
    free(w->mode_prev);
    free(w->mode_now);
    free(w->tan);
    free(w->htan);
    memset(w, 0, sizeof *w);
}

/* Sparse random projections: PROJ_TERMS (or n) seeded coordinates with
 * weights uniform in (-1, 1) each, fixed per seed. */
static void make_projections(run_ws *w)
{
    int terms = w->n < PROJ_TERMS ? (int)w->n : PROJ_TERMS;
    double u[2 * DLN_RUN_NPROJ * PROJ_TERMS];
    dln_rng_uniform(w->p->seed, DLN_STREAM_PROJECTION, u,
                    2 * (size_t)DLN_RUN_NPROJ * terms);
    for (int j = 0; j < DLN_RUN_NPROJ; j++)
        for (int k = 0; k < terms; k++) {
            const double *uk = u + 2 * (j * terms + k);
            size_t idx = (size_t)(uk[0] * (double)w->n);
            w->proj_idx[j][k] = idx < w->n ? idx : w->n - 1;
            w->proj_w[j][k] = 2.0 * uk[1] - 1.0;
        }
    w->proj_terms = terms;
}

/* Model, diagnostics, orbit ring and scratch for p. Returns 0, 1 or 2. */
static int ws_create(run_ws *w, const dln_params *p)
{
    int rc;
    memset(w, 0, sizeof *w);
    w->p = p;
    if ((rc = dln_model_create(p, &w->m)) != 0)
        return rc;
    if (dln_diag_create(w->m, &w->diag))
        return 1;
    w->n = dln_model_nparams(w->m);
    w->rank = p->rank;
    w->d_in = dln_params_d_in(p);
    w->d_out = dln_params_d_out(p);
    w->nsv = p->rank < DLN_MAX_SV ? p->rank : DLN_MAX_SV;
    w->dim = 1 + w->nsv + w->rank + DLN_RUN_NPROJ;
    if (dln_orbit_create(w->dim, p->max_period, &w->orbit))
        return 1;
    w->twin = p->transient_window;
    if (w->twin < 0)
        w->twin = p->steps / 4 < 4096 ? p->steps / 4 : 4096;
    if (w->twin > p->steps - 2L * p->max_period)   /* ring must be full */
        w->twin = 0;
    if (w->twin > 0 &&
        dln_transient_create(p->max_period, w->twin, &w->transient))
        return 1;
    w->fp = malloc(sizeof(double) * (size_t)w->dim);
    w->pv = malloc(sizeof(double) * (size_t)w->d_out * w->rank);
    w->mode_prev = malloc(sizeof(double) * (size_t)w->rank);
    w->mode_now = malloc(sizeof(double) * (size_t)w->rank);
    if (!w->fp || !w->pv || !w->mode_prev || !w->mode_now)
        return 1;
    if (p->lyapunov_steps > 0) {
        w->tan = malloc(sizeof(double) * w->n);
        w->htan = malloc(sizeof(double) * w->n);
        if (!w->tan || !w->htan)
            return 1;
    }
    make_projections(w);
    return 0;
}

/* modes[i] = u_i^T W_{L:1} v_i from the model's cached product. */
static void diag_modes(run_ws *w, double *modes)
{
    const double *prod = dln_model_product(w->m);
    const double *u = dln_model_target_u(w->m), *v = dln_model_target_v(w->m);
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, w->d_out, w->rank,
                w->d_in, 1.0, prod, w->d_out, v, w->d_in, 0.0, w->pv,
                w->d_out);
    for (int i = 0; i < w->rank; i++)
        modes[i] = cblas_ddot(w->d_out, u + (size_t)i * w->d_out, 1,
                              w->pv + (size_t)i * w->d_out, 1);
}

/* Fingerprint of the current state (loss already computed): layout
 * [loss, sv_1..sv_nsv, modes_1..modes_rank, proj_1..proj_NPROJ]. */
static void fingerprint(run_ws *w, double loss, double *fp)
{
    double sv[DLN_MAX_SV];
    int k = dln_diag_product_sv(w->diag, w->m, sv);
    fp[0] = loss;
    for (int i = 0; i < w->nsv; i++)
        fp[1 + i] = i < k ? sv[i] : 0.0;
    diag_modes(w, fp + 1 + w->nsv);
    const double *x = dln_model_params(w->m);
    double *proj = fp + 1 + w->nsv + w->rank;
    for (int j = 0; j < DLN_RUN_NPROJ; j++) {
        double s = 0.0;
        for (int k2 = 0; k2 < w->proj_terms; k2++)
            s += w->proj_w[j][k2] * x[w->proj_idx[j][k2]];
        proj[j] = s;
    }
}

/* Modes whose entry moved by more than the oscillation tolerance between
 * two states. */
static int count_moved(const run_ws *w, const double *a, const double *b)
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

/* Modes whose entry spans more than the oscillation tolerance over the
 * states held in the orbit ring. */
static int count_oscillating(const run_ws *w)
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

/* Top eigenvalues of the Hessian at the current state into top (k of
 * them, k <= top_k); returns k, 0 when Lanczos failed. */
static int hessian_top(run_ws *w, uint64_t seed, double *top)
{
    int iters = w->p->lanczos_iters;
    if ((size_t)iters > w->n)
        iters = (int)w->n;
    int k = w->p->top_k < iters ? w->p->top_k : iters;
    if (dln_lanczos_top(w->m, iters, k, seed, top) != 0)
        return 0;
    return k;
}

/* Full Hessian spectrum (ascending) into r when asked and small enough.
 * Returns 0, or 1 on allocation failure. */
static int full_spectrum(run_ws *w, dln_result *r)
{
    size_t n = w->n;
    int rc = 1;
    double *h = NULL;
    if (!w->p->full_spectrum || n > DLN_RUN_FULL_SPECTRUM_MAX)
        return 0;
    h = malloc(sizeof(double) * n * n);
    r->hessian_spectrum = malloc(sizeof(double) * n);
    if (!h || !r->hessian_spectrum)
        goto cleanup;
    if (dln_model_hessian(w->m, h))
        goto cleanup;
    rc = 0;
    if (LAPACKE_dsyev(LAPACK_COL_MAJOR, 'N', 'U', (lapack_int)n, h,
                      (lapack_int)n, r->hessian_spectrum) != 0) {
        free(r->hessian_spectrum);   /* no spectrum, not a failure of memory */
        r->hessian_spectrum = NULL;
        goto cleanup;
    }
    r->n_hessian_spectrum = (int)n;
    r->n_hessian_above_eos = 0;
    for (size_t i = 0; i < n; i++)
        if (r->hessian_spectrum[i] > 2.0 / w->p->eta)
            r->n_hessian_above_eos++;
cleanup:
    free(h);
    return rc;
}

/* Label the finished (non-divergent) run from its orbit, Lyapunov exponent
 * and final loss. */
static void classify(const run_ws *w, dln_result *r)
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

/* Final diagnostics of a run that reached x_steps. Returns 0 or 1. */
static int finish(run_ws *w, dln_result *r)
{
    const dln_params *p = w->p;
    double top[DLN_MAX_SV];
    r->final_loss = dln_model_loss(w->m);
    r->n_sv_product = dln_diag_product_sv(w->diag, w->m, r->sv_product);
    r->sv_layers = calloc((size_t)p->depth * DLN_MAX_SV, sizeof(double));
    if (!r->sv_layers)
        return 1;
    dln_diag_layer_sv(w->diag, w->m, r->sv_layers);
    r->n_sv_layers = p->depth;
    r->balance_gap = dln_diag_balance_gap(w->diag, w->m, NULL);
    r->offdiag_mass = dln_diag_offdiag_mass(w->diag, w->m);
    r->n_hessian_top = hessian_top(w, p->seed, top);
    memcpy(r->hessian_top, top, sizeof(double) * (size_t)r->n_hessian_top);
    r->sharpness = r->n_hessian_top > 0 ? top[0] : NAN;
    if (full_spectrum(w, r))
        return 1;
    r->n_oscillating = count_oscillating(w);
    if (r->n_traj > 0 && r->traj[r->n_traj - 1].step == p->steps) {
        r->traj[r->n_traj - 1].sharpness = r->sharpness;
    }
    classify(w, r);
    return 0;
}

/* 1 if state t gets a trajectory point. */
static int is_record(const dln_params *p, long t)
{
    return p->record_every > 0 && t <= p->steps &&
           (t % p->record_every == 0 || t == p->steps);
}

/* GD from x_0 to x_steps (or divergence) with every per-step diagnostic.
 * Returns 0, or 1 on allocation failure. */
static int train(run_ws *w, dln_result *r)
{
    const dln_params *p = w->p;
    long steps = p->steps;
    long fwin = 2L * p->max_period + 1 > p->tail ? 2L * p->max_period + 1
                                                 : p->tail;
    long fp_from = steps - fwin + 1, tail_from = steps - p->tail + 1;
    long tr_from = steps - w->twin + 1;   /* first step of the fit window */
    if (w->transient && tr_from - 2L * p->max_period < fp_from)
        fp_from = tr_from - 2L * p->max_period;
    long lyap_from = steps - p->lyapunov_steps;
    double lyap_sum = 0.0;
    long lyap_n = 0;
    int prev_ok = 0, lyap_bad = 0;
    double top[DLN_MAX_SV];

    if (p->record_every > 0) {
        long npts = steps / p->record_every + 2;
        r->traj = calloc((size_t)npts, sizeof *r->traj);
        if (!r->traj)
            return 1;
    }
    if (p->tail > 0) {
        r->orbit_sv1 = malloc(sizeof(double) * (size_t)p->tail);
        r->orbit_loss = malloc(sizeof(double) * (size_t)p->tail);
        if (!r->orbit_sv1 || !r->orbit_loss)
            return 1;
    }
    if (w->tan) {
        dln_rng_normal(p->seed, DLN_STREAM_LYAPUNOV, w->tan, w->n);
        double nrm = cblas_dnrm2((int)w->n, w->tan, 1);
        cblas_dscal((int)w->n, nrm > 0.0 ? 1.0 / nrm : 1.0, w->tan, 1);
    }
    r->lyapunov = NAN;
    for (long t = 0;; t++) {
        double loss = dln_model_loss(w->m);
        if (!(loss <= p->diverge_bound)) {   /* NaN, Inf or too large */
            r->regime = DLN_REGIME_DIVERGENT;
            r->diverge_step = r->steps_done = t;
            r->final_loss = loss;
            r->sharpness = r->balance_gap = r->offdiag_mass = NAN;
            r->period = 0;
            return 0;
        }
        if (is_record(p, t)) {
            dln_traj_point *pt = &r->traj[r->n_traj++];
            dln_diag_point(w->diag, w->m, t, pt);
            pt->step = t;
            pt->sharpness = NAN;
            if (p->sharpness_every > 0 && t % p->sharpness_every == 0 &&
                t != steps && hessian_top(w, p->seed + (uint64_t)t, top) > 0)
                pt->sharpness = top[0];
            dln_model_loss(w->m);   /* product of x_t for the modes */
            diag_modes(w, w->mode_now);
            pt->n_oscillating =
                prev_ok ? count_moved(w, w->mode_prev, w->mode_now) : 0;
            prev_ok = 0;
            if (is_record(p, t + 1)) {
                double *tmp = w->mode_prev;
                w->mode_prev = w->mode_now;
                w->mode_now = tmp;
                prev_ok = 1;
            }
        } else if (is_record(p, t + 1)) {
            diag_modes(w, w->mode_prev);
            prev_ok = 1;
        }
        if (t >= fp_from) {
            fingerprint(w, loss, w->fp);
            dln_orbit_push(w->orbit, w->fp);
            if (w->transient && t >= tr_from)
                dln_transient_push(w->transient, w->orbit, t - tr_from);
            if (t >= tail_from) {
                r->orbit_sv1[r->n_orbit] = w->fp[1];
                r->orbit_loss[r->n_orbit] = loss;
                r->n_orbit++;
            }
        }
        if (t == steps)
            break;
        if (w->tan && t >= lyap_from && !lyap_bad) {
            /* v <- (I - eta H(x_t)) v, renormalised. */
            dln_model_hvp(w->m, w->tan, w->htan);
            cblas_daxpy((int)w->n, -p->eta, w->htan, 1, w->tan, 1);
            double nrm = cblas_dnrm2((int)w->n, w->tan, 1);
            if (!isfinite(nrm)) {
                lyap_bad = 1;
            } else {
                nrm = fmax(nrm, 1e-300);
                lyap_sum += log(nrm);
                lyap_n++;
                cblas_dscal((int)w->n, 1.0 / nrm, w->tan, 1);
            }
        }
        dln_model_step(w->m, NULL);
    }
    r->steps_done = steps;
    if (lyap_n > 0 && !lyap_bad)
        r->lyapunov = lyap_sum / (double)lyap_n;
    return finish(w, r);
}

int dln_run(const dln_params *p, dln_result *r)
{
    struct timespec t0;
    run_ws w;
    int rc;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    memset(&w, 0, sizeof w);
    rc = dln_params_validate(p, r->error, sizeof r->error);
    if (rc)
        goto cleanup;
    rc = ws_create(&w, p);
    if (rc == 0)
        rc = train(&w, r);
    if (rc) {
        dln_result_clear(r);
        snprintf(r->error, sizeof r->error, "%s",
                 rc == 1 ? "out of memory (run workspaces)"
                         : "invalid parameters for the model");
    }
cleanup:
    if (rc) {
        r->regime = DLN_REGIME_ERROR;
        r->period = 0;
    }
    ws_free(&w);
    r->wall_s = seconds_since(&t0);
    return rc;
}
