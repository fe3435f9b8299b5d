/* run.c — one training run: GD with trajectory diagnostics, late-orbit
 * fingerprints, the final diagnostics, the end-of-run dynamics
 * (run_dynamics.c) and the regime (definitions and tolerances in run.h).
 *
 * Every workspace is allocated before the loop; inside it only the
 * diagnostics of a sharpness point (Lanczos keeps its own Krylov basis)
 * allocate, never the GD step itself. */
#define _POSIX_C_SOURCE 200809L
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include <lapacke.h>
#include "dlnsweep/clock.h"
#include "dlnsweep/diagnostics.h"
#include "dlnsweep/lanes.h"
#include "dlnsweep/lanczos.h"
#include "dlnsweep/model.h"
#include "dlnsweep/rng.h"
#include "dlnsweep/ritz.h"
#include "dlnsweep/run.h"
#include "run_internal.h"

struct dln_run_cell {
    const dln_params *p;
    dln_model *m;
    dln_diag *diag;
    dln_run_track k;          /* windows, ring, modes, Lyapunov sums     */
    size_t n;                 /* parameters                              */
    int rank, d_in, d_out;
    double *pv;               /* W_{L:1} V, d_out x rank                 */
    size_t proj_idx[DLN_RUN_NPROJ * DLN_RUN_PROJ_TERMS];
    double proj_w[DLN_RUN_NPROJ * DLN_RUN_PROJ_TERMS];
    int proj_terms;
    double *x0;               /* the initial state                       */
    dln_lanczos *lz;          /* the sharpness's Lanczos workspace: made
                                 at its first use, freed after the last
                                 (the final sharpness)                   */
    dln_ritz *ritz;           /* per-step Hessian tracker (orbit_hessian) */
    double *svl;              /* depth x DLN_MAX_SV layer singular values */
    dln_run_ops ops;          /* the numerics below, on this cell        */
};
typedef struct dln_run_cell run_ws;

static void ws_free(run_ws *w)
{
    dln_track_free(&w->k);
    dln_diag_destroy(&w->diag);
    dln_lanczos_destroy(&w->lz);
    dln_ritz_destroy(&w->ritz);
    dln_model_destroy(&w->m);
    free(w->svl);
    free(w->pv);
    free(w->x0);
    memset(w, 0, sizeof *w);
}

/* Model (from x0 when given), diagnostics, orbit ring and scratch for p.
 * Returns 0, 1 or 2. */
static int ws_create(run_ws *w, const dln_params *p, const double *x0)
{
    int rc;
    memset(w, 0, sizeof *w);
    w->p = p;
    if ((rc = dln_model_create(p, &w->m)) != 0)
        return rc;
    if (x0)
        dln_model_set_params(w->m, x0);
    if (dln_diag_create(w->m, &w->diag))
        return 1;
    w->n = dln_model_nparams(w->m);
    w->rank = p->rank;
    w->d_in = dln_params_d_in(p);
    w->d_out = dln_params_d_out(p);
    if (dln_track_create(&w->k, p, 1))
        return 1;
    w->pv = malloc(sizeof(double) * (size_t)w->d_out * w->rank);
    if (!w->pv)
        return 1;
    w->x0 = malloc(sizeof(double) * w->n);
    if (!w->x0)
        return 1;
    memcpy(w->x0, dln_model_params(w->m), sizeof(double) * w->n);
    w->proj_terms = dln_run_projections(p, w->n, w->proj_idx, w->proj_w);
    if (!(w->svl = malloc(sizeof(double) * (size_t)p->depth * DLN_MAX_SV)))
        return 1;
    if (p->orbit_hessian &&
        dln_ritz_create(w->n, w->n, p->top_k, p->lanczos_iters, &w->ritz))
        return 1;
    return 0;
}

/* modes[i] = u_i^T W_{L:1} v_i from the model's cached product (plain
 * loops for small products, where a BLAS call costs more than its
 * arithmetic). */
static void diag_modes(run_ws *w, double *modes)
{
    const double *prod = dln_model_product(w->m);
    const double *u = dln_model_target_u(w->m), *v = dln_model_target_v(w->m);
    int dout = w->d_out, din = w->d_in;
    if (dout <= DLN_LANES_MAX_DIM && din <= DLN_LANES_MAX_DIM) {
        for (int i = 0; i < w->rank; i++) {
            const double *ui = u + (size_t)i * dout, *vi = v + (size_t)i * din;
            double m = 0.0;
            for (int a = 0; a < dout; a++) {
                double pv = 0.0;   /* (P v_i)_a */
                for (int b = 0; b < din; b++)
                    pv += prod[a + (size_t)b * dout] * vi[b];
                m += ui[a] * pv;
            }
            modes[i] = m;
        }
        return;
    }
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, dout, w->rank,
                din, 1.0, prod, dout, v, din, 0.0, w->pv, dout);
    for (int i = 0; i < w->rank; i++)
        modes[i] = cblas_ddot(dout, u + (size_t)i * dout, 1,
                              w->pv + (size_t)i * dout, 1);
}

/* Fingerprint of the current state (loss already computed) into w->k.fp
 * (layout in run_internal.h). */
static void fingerprint(run_ws *w, double loss)
{
    double sv[DLN_MAX_SV];
    int k = dln_diag_product_sv(w->diag, w->m, sv);
    dln_track_fp_head(&w->k, loss, sv, k);
    diag_modes(w, dln_track_fp_modes(&w->k));
    const double *x = dln_model_params(w->m);
    double *proj = dln_track_fp_proj(&w->k);
    for (int j = 0; j < DLN_RUN_NPROJ; j++) {
        const size_t *idx = w->proj_idx + j * w->proj_terms;
        const double *wt = w->proj_w + j * w->proj_terms;
        double s = 0.0;
        for (int k2 = 0; k2 < w->proj_terms; k2++)
            s += wt[k2] * x[idx[k2]];
        proj[j] = s;
    }
}

/* Top eigenvalues of the Hessian at the current state into top (k of
 * them, k <= top_k); returns k, 0 when Lanczos failed. */
static int hessian_top(run_ws *w, uint64_t seed, double *top)
{
    int k, iters = dln_run_lanczos_size(w->p, w->n, &k);
    if (!w->lz && dln_lanczos_create_bounded(w->n, iters,
                                             w->p->lanczos_basis, &w->lz))
        return 0;
    if (dln_lanczos_run(w->lz, w->m, iters, k, seed, top) != 0)
        return 0;
    return k;
}

/* The tracker's view of the model (ritz.h): exact HVPs at the current
 * parameters, serial vectors, the seeded start vectors. */
static void ritz_hvp(void *ctx, const double *v, double *hv)
{
    dln_model_hvp(((run_ws *)ctx)->m, v, hv);
}

static void ritz_start(void *ctx, int j, double *v)
{
    run_ws *w = ctx;
    dln_rng_normal(w->p->seed, DLN_STREAM_RITZ + ((uint64_t)j << 32), v,
                   w->n);
}

/* The detail row of the current state (result.h; product fresh). */
static void detail(run_ws *w, const dln_detail_layout *lay, double *row)
{
    const dln_ritz_ops ops = {w, ritz_hvp, NULL, ritz_start};
    double sv[DLN_MAX_SV];
    diag_modes(w, row);
    row += lay->modes;
    dln_diag_product_sv(w->diag, w->m, sv);
    memcpy(row, sv, sizeof(double) * (size_t)lay->sv);
    row += lay->sv;
    if (lay->hessian)
        dln_ritz_update(w->ritz, &ops, row);
    row += lay->hessian;
    dln_diag_layer_sv(w->diag, w->m, w->svl);
    for (int l = 0; l < lay->layers; l++)
        row[l] = w->svl[(size_t)l * DLN_MAX_SV];
    row += lay->layers;
    dln_diag_balance_gap(w->diag, w->m, row);
    row += lay->gaps;
    dln_diag_mode_gaps(w->m, lay->modes, row);
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
    r->n_hessian_above_eos =
        dln_run_count_above_eos(r->hessian_spectrum, n, w->p->eta);
cleanup:
    free(h);
    return rc;
}

/* 0 if the weights changed by less than rounding since x_0 although the
 * gradient at x_steps is not negligible (eta below rounding: README,
 * regime unresolved), else 1. The gradient leaves the model's cached
 * products at x_steps. */
static int moved(run_ws *w)
{
    const double *x = dln_model_params(w->m);
    double dx = 0.0, nx = 0.0;
    for (size_t j = 0; j < w->n; j++) {
        dx += (x[j] - w->x0[j]) * (x[j] - w->x0[j]);
        nx += w->x0[j] * w->x0[j];
    }
    if (!(sqrt(dx) <= 4.0 * DBL_EPSILON * sqrt(nx)))
        return 1;
    double *grad = malloc(sizeof(double) * w->n);
    if (!grad)
        return 1;   /* out of memory: treated as moved */
    double loss = dln_model_gradient(w->m, grad);
    double g = cblas_dnrm2((int)w->n, grad, 1);
    free(grad);
    return !(g > DLN_RUN_STILL_GRAD * (1.0 + sqrt(2.0 * loss)));
}

/* Final diagnostics of a run that reached x_steps, then its end-of-run
 * dynamics and regime. Returns 0 or 1. */
static int finish(run_ws *w, dln_result *r, const dln_run_ops *ops)
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
    if (p->depth > 1) {
        r->balance_gaps = malloc(sizeof(double) * (size_t)(p->depth - 1));
        if (!r->balance_gaps)
            return 1;
        r->n_balance_gaps = p->depth - 1;
    }
    r->balance_gap = dln_diag_balance_gap(w->diag, w->m, r->balance_gaps);
    r->offdiag_mass = dln_diag_offdiag_mass(w->diag, w->m);
    int k, iters = dln_run_lanczos_size(p, w->n, &k);
    if (iters >= 1 && !w->lz &&
        dln_lanczos_create_bounded(w->n, iters, p->lanczos_basis, &w->lz))
        return 1;   /* out of memory fails the run, as before the lazy
                       workspace: never a silently missing sharpness */
    r->n_hessian_top = hessian_top(w, p->seed, top);
    dln_lanczos_destroy(&w->lz);   /* its last use: not held by what follows */
    memcpy(r->hessian_top, top, sizeof(double) * (size_t)r->n_hessian_top);
    r->sharpness = r->n_hessian_top > 0 ? top[0] : NAN;
    if (full_spectrum(w, r))
        return 1;
    dln_label_evidence e;
    dln_track_evidence(&w->k, r, &e);
    e.moved = moved(w);
    if (e.moved && dln_run_dynamics(&w->k, ops, w->m, r, &e))
        return 1;
    dln_track_conclude(&w->k, r, &e);
    return 0;
}

/* The serial numerics of dln_track_train (run_internal.h's dln_run_ops;
 * ctx is the run_ws). */
static double op_loss(void *ctx)
{
    return dln_model_loss(((run_ws *)ctx)->m);
}

static void op_point(void *ctx, long t, double loss, dln_traj_point *pt)
{
    run_ws *w = ctx;
    (void)loss;   /* dln_diag_point evaluates it (and refreshes W_{L:1}) */
    dln_diag_point(w->diag, w->m, t, pt);
}

static int op_hessian_top(void *ctx, uint64_t seed, double *top)
{
    return hessian_top(ctx, seed, top);
}

static void op_modes(void *ctx, double *modes, int fresh)
{
    run_ws *w = ctx;
    if (fresh)
        dln_model_loss(w->m);   /* product of x_t for the modes */
    diag_modes(w, modes);
}

static void op_fingerprint(void *ctx, double loss)
{
    fingerprint(ctx, loss);
}

static void op_detail(void *ctx, const dln_detail_layout *lay, double *row)
{
    detail(ctx, lay, row);
}

static void op_step(void *ctx)
{
    dln_model_step(((run_ws *)ctx)->m, NULL);
}

int dln_run_cell_create(const dln_params *p, const double *x0,
                        dln_run_cell **out)
{
    int rc = 1;
    run_ws *w = calloc(1, sizeof *w);
    *out = NULL;
    if (!w)
        return 1;
    if ((rc = ws_create(w, p, x0)) != 0) {
        ws_free(w);
        free(w);
        return rc;
    }
    /* No tangent in the loop: the exponents are measured on a continuation
     * of x_steps (run_dynamics.c). */
    const dln_run_ops ops = {w, op_loss, op_point, op_hessian_top, op_modes,
                             op_fingerprint, op_detail, NULL, NULL, op_step};
    w->ops = ops;
    *out = w;
    return 0;
}

void dln_run_cell_destroy(dln_run_cell **c)
{
    if (!c || !*c)
        return;
    ws_free(*c);
    free(*c);
    *c = NULL;
}

dln_model *dln_run_cell_model(dln_run_cell *c) { return c->m; }
dln_run_track *dln_run_cell_track(dln_run_cell *c) { return &c->k; }
const dln_run_ops *dln_run_cell_ops(const dln_run_cell *c) { return &c->ops; }

int dln_run_cell_finish(dln_run_cell *c, dln_result *r)
{
    return finish(c, r, &c->ops);
}

void dln_run_cell_failed(int rc, dln_result *r)
{
    dln_result_clear(r);
    snprintf(r->error, sizeof r->error, "%s",
             rc == 1 ? "out of memory or LAPACK failure (run workspaces)"
                     : "invalid parameters for the model");
    r->regime = DLN_REGIME_ERROR;
    r->period = 0;
}

int dln_run(const dln_params *p, dln_result *r)
{
    return dln_run_from(p, NULL, r);
}

int dln_run_from(const dln_params *p, const double *x0, dln_result *r)
{
    double t0 = dln_clock_now();
    dln_run_cell *c = NULL;
    int rc = dln_params_validate(p, r->error, sizeof r->error);
    if (!rc && p->init == DLN_INIT_FILE && !x0) {
        snprintf(r->error, sizeof r->error, "init file %.180s: its weights "
                 "were not loaded (dln_npy_load_init)", p->init_file.path);
        rc = 2;
    }
    if (rc) {
        r->regime = DLN_REGIME_ERROR;
        r->period = 0;
        goto cleanup;
    }
    rc = dln_run_cell_create(p, x0, &c);
    if (rc == 0)
        rc = dln_track_result_arrays(p, r);
    if (rc == 0 && dln_track_train(&c->k, &c->ops, 0, r))
        rc = finish(c, r, &c->ops);
    if (rc)
        dln_run_cell_failed(rc, r);
cleanup:
    dln_result_derive(r, p);
    dln_run_cell_destroy(&c);
    r->wall_s = dln_clock_now() - t0;
    return rc;
}
