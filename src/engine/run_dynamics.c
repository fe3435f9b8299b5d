/* run_dynamics.c — the serial run's end-of-run dynamics (run.h): the late
 * orbit after lyapunov_steps more GD steps, the Lyapunov spectrum with
 * error bars on a continuation from there, the SVS in-set / transverse
 * split, and the Floquet multipliers of a periodic orbit; the label's
 * evidence (label.h) from all of it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "dlnsweep/floquet.h"
#include "dlnsweep/lyapunov.h"
#include "dlnsweep/run.h"
#include "dlnsweep/svs.h"
#include "dlnsweep/transverse.h"
#include "run_internal.h"

typedef struct dyn {
    dln_run_track *k;
    const dln_run_ops *ops;
    dln_model *m;
    const dln_params *p;
    size_t n;
    dln_svs *svs;
    dln_lyap *lw;
    dln_floquet *fw;
    dln_orbit *ring, *early;  /* last and first states of the settle      */
    double *x_steps;       /* x_steps, restored on return                 */
    double *x_far;         /* the furthest state reached (analyses start) */
} dyn;

static void dyn_free(dyn *d)
{
    dln_svs_destroy(&d->svs);
    dln_lyap_destroy(&d->lw);
    dln_floquet_destroy(&d->fw);
    dln_orbit_destroy(&d->ring);
    dln_orbit_destroy(&d->early);
    free(d->x_steps);
    free(d->x_far);
}

/* Tangent-run settings of the run's parameters: k exponents, the period
 * (> 0 known, 0 detect) and block. */
static void lyap_settings(const dln_params *p, int k, int period,
                          dln_block block, dln_lyap_settings *s)
{
    dln_lyap_defaults(s);
    s->k = k;
    s->period = period;
    s->max_period = p->max_period;
    s->period_tol = p->period_tol;
    s->warmup = p->lyapunov_steps;
    s->batch = p->lyapunov_steps / 8 > 0 ? p->lyapunov_steps / 8 : 1;
    s->min_batches = 8;
    s->max_steps = p->lyapunov_max_steps > p->lyapunov_steps
                       ? p->lyapunov_max_steps
                       : p->lyapunov_steps;
    s->tol_abs = p->lyapunov_tol;
    s->tol_rel = DLN_RUN_LYAP_REL_TOL;
    s->tol_count = 1;
    s->block = block;
    s->quotient = block == DLN_BLOCK_TRANSVERSE;
    s->diverge_bound = p->diverge_bound;
    s->seed = p->seed;
}

/* GD from x_steps for max(lyapunov_steps, 2 max_period + 1) steps, the
 * last 2 max_period + 1 states fingerprinted into d->ring (and the first
 * ones into d->early when the two do not overlap). Returns 0, or 4 when
 * the loss went above diverge_bound. *loss: the last state's. */
static int settle(dyn *d, double *loss)
{
    long need = 2L * d->p->max_period + 1, len = d->p->lyapunov_steps;
    if (len < need)
        len = need;
    for (long t = 1; t <= len; t++) {
        d->ops->step(d->ops->ctx);
        *loss = d->ops->loss(d->ops->ctx);
        if (!(*loss <= d->p->diverge_bound))
            return 4;
        int late = t > len - need, first = len >= 2 * need && t <= need;
        if (late || first)
            d->ops->fingerprint(d->ops->ctx, *loss);
        if (late)
            dln_orbit_push(d->ring, d->k->fp);
        if (first)
            dln_orbit_push(d->early, d->k->fp);
    }
    return 0;
}

/* Lyapunov result i into the result's spectrum. */
static void put_spectrum(const dln_lyap_result *lr, dln_result *r)
{
    r->n_lyap = lr->k < DLN_MAX_LYAP ? lr->k : DLN_MAX_LYAP;
    for (int i = 0; i < r->n_lyap; i++) {
        r->lyap[i] = lr->exponent[i];
        r->lyap_err[i] = lr->error[i];
    }
    r->lyapunov = lr->k > 0 ? lr->exponent[0] : NAN;
    r->lyapunov_err = lr->k > 0 ? lr->error[0] : NAN;
    r->lyapunov_steps_done = lr->steps;
}

typedef struct mu { double re, im, mod; } mu;

static int by_modulus(const void *a, const void *b)
{
    const mu *x = a, *y = b;
    if (x->mod != y->mod)
        return x->mod < y->mod ? 1 : -1;
    return (x->im < y->im) - (x->im > y->im);
}

/* The top multipliers of up to two Floquet results (merged by modulus)
 * into r->floquet_*. */
static void put_multipliers(const dln_floquet_result *a,
                            const dln_floquet_result *b, dln_result *r)
{
    mu all[2 * DLN_FLOQUET_MAX_NEV];
    int n = 0;
    for (int pass = 0; pass < 2; pass++) {
        const dln_floquet_result *f = pass ? b : a;
        for (int i = 0; f && i < f->n; i++)
            all[n++] = (mu){f->re[i], f->im[i], f->modulus[i]};
    }
    qsort(all, (size_t)n, sizeof *all, by_modulus);
    r->n_floquet = n < DLN_RUN_FLOQUET_NEV ? n : DLN_RUN_FLOQUET_NEV;
    for (int i = 0; i < r->n_floquet; i++) {
        r->floquet_re[i] = all[i].re;
        r->floquet_im[i] = all[i].im;
    }
    r->floquet_max = n > 0 ? all[0].mod : NAN;
}

/* Floquet multipliers of the period-`period` orbit through d->x_far in
 * block b (NULL svs: full) by the dense route; *fr filled. Returns 0, 1
 * or 2. */
static int multipliers(dyn *d, int period, dln_block b,
                       dln_floquet_result *fr)
{
    dln_floquet_settings fs;
    dln_floquet_defaults(&fs);
    fs.nev = DLN_RUN_FLOQUET_NEV;
    fs.dense_max = DLN_RUN_FLOQUET_DENSE_MAX;
    fs.block = b;
    fs.quotient = b == DLN_BLOCK_TRANSVERSE;
    fs.seed = d->p->seed;
    dln_model_set_params(d->m, d->x_far);
    return dln_floquet_run(d->fw, d->m, d->p->eta, period,
                           b == DLN_BLOCK_FULL ? NULL : d->svs, &fs, fr);
}

/* Per-step exponent of a Floquet result's largest multiplier. */
static double floquet_exponent(const dln_floquet_result *f, int period)
{
    return f->n > 0 ? log(f->modulus[0]) / period : NAN;
}

/* Error of the per-step exponent of multipliers measured a relative
 * distance f->closure from the cycle: DLN_RUN_CLOSURE_MULT closure / p
 * (0 on an exact cycle). */
static double multiplier_error(const dln_floquet_result *f, int period)
{
    return isfinite(f->closure) ? DLN_RUN_CLOSURE_MULT * f->closure / period
                                : NAN;
}

/* One SVS block of an orbit in the set: the dense Floquet multipliers of
 * a periodic orbit whose block has at most DLN_RUN_FLOQUET_DENSE_MAX
 * coordinates (*has_f = 1, *f), else the top Lyapunov exponent (one
 * vector, whole periods) on a continuation of d->x_far (*l). ARPACK's
 * Arnoldi is not used: its restarts draw from a process-wide seed, which
 * would make a run's numbers depend on the runs before it on its rank.
 * *lam, *err: the block's top exponent per step. Returns 0, 1 or 2. */
static int block_part(dyn *d, int period, dln_block b, int *has_f,
                      dln_floquet_result *f, dln_lyap_result *l,
                      double *lam, double *err)
{
    int rc;
    *has_f = period > 0 &&
             dln_svs_block_dim(d->svs, b) <= DLN_RUN_FLOQUET_DENSE_MAX;
    if (*has_f) {
        if ((rc = multipliers(d, period, b, f)) != 0)
            return rc;
        *lam = floquet_exponent(f, period);
        *err = multiplier_error(f, period);
        return 0;
    }
    dln_lyap_settings ls;
    lyap_settings(d->p, 1, period, b, &ls);
    dln_model_set_params(d->m, d->x_far);
    if ((rc = dln_lyap_run(d->lw, d->m, d->p->eta, d->svs, &ls, l)) != 0)
        return rc;
    *lam = l->exponent[0];
    *err = l->error[0];
    return 0;
}

/* In-set and (up to transverse_max parameters) transverse parts of an
 * orbit that stays in the set (period > 0: periodic); the in-set exponent
 * becomes the label's. Returns 0, 1 or 2. */
static int split(dyn *d, int period, dln_result *r, dln_label_evidence *e)
{
    dln_transverse_settings ts;
    dln_floquet_result fin, ftr;
    dln_lyap_result lin, ltr;
    int rc, fl_in, fl_tr = 0, trans = d->n <= (size_t)d->p->transverse_max;
    if ((rc = block_part(d, period, DLN_BLOCK_INSET, &fl_in, &fin, &lin,
                         &r->lyapunov_inset, &r->lyapunov_inset_err)) != 0)
        return rc;
    e->lambda = r->lyapunov_inset;
    e->lambda_err = r->lyapunov_inset_err;
    e->lambda_converged = fl_in ? fin.n > 0 && fin.converged : lin.converged;
    if (fl_in)
        r->floquet_inset_max = fin.n > 0 ? fin.modulus[0] : NAN;
    if (trans) {
        if ((rc = block_part(d, period, DLN_BLOCK_TRANSVERSE, &fl_tr, &ftr,
                             &ltr, &r->lyapunov_transverse,
                             &r->lyapunov_transverse_err)) != 0)
            return rc;
        if (fl_tr)
            r->floquet_transverse_max = ftr.n > 0 ? ftr.modulus[0] : NAN;
        /* Multipliers at a state a distance `closure` from the cycle are
         * off by O(closure): the verdict's margin too. */
        dln_transverse_defaults(&ts);
        ts.set_tol = DLN_RUN_SET_TOL;
        ts.mult_tol = fmax(DLN_RUN_MULT_TOL,
                           fl_tr ? DLN_RUN_CLOSURE_MULT * ftr.closure : 0.0);
        ts.lyap_tol = DLN_LABEL_LYAP_FLOOR;
        dln_transverse_verdict v = dln_transverse_decide(
            &ts, r->set_defect, fl_tr ? NULL : &ltr, fl_tr ? &ftr : NULL);
        r->transverse_stable = v == DLN_TRANSVERSE_STABLE     ? 1
                               : v == DLN_TRANSVERSE_UNSTABLE ? 0
                                                              : -1;
    }
    if (fl_in || fl_tr)
        put_multipliers(fl_in ? &fin : NULL, fl_tr ? &ftr : NULL, r);
    return 0;
}

/* Everything after the settle (which left the model at x_far): the SVS
 * fit, the full spectrum, then the split or the full multipliers.
 * Returns 0, 1 or 2. */
static int analyse(dyn *d, dln_result *r, dln_label_evidence *e)
{
    dln_lyap_settings ls;
    dln_lyap_result lr;
    double defect_steps, defect_settled, defect_far;
    int rc;
    const dln_params *p = d->p;
    /* The set's bases from x_steps; GD keeps a state of the set in it with
     * the same bases, so the later states are measured against them. */
    dln_model_set_params(d->m, d->x_steps);
    if (dln_svs_fit(d->svs, d->m, &defect_steps))
        return 1;
    defect_settled = dln_svs_defect(d->svs, d->x_far);
    /* Full spectrum from x_far: whole periods of the settled period. */
    lyap_settings(p, p->lyapunov_k, e->period > 0 ? e->period : 0,
                  DLN_BLOCK_FULL, &ls);
    dln_model_set_params(d->m, d->x_far);
    if ((rc = dln_lyap_run(d->lw, d->m, p->eta, NULL, &ls, &lr)) != 0)
        return rc;
    if (lr.status == DLN_LYAP_DIVERGED) {
        e->diverged_later = 1;
        return 0;
    }
    put_spectrum(&lr, r);
    e->lambda = r->lyapunov;
    e->lambda_err = r->lyapunov_err;
    e->lambda_converged = lr.converged;
    if (lr.status == DLN_LYAP_OK)   /* go on from the furthest state */
        memcpy(d->x_far, dln_lyap_last_state(d->lw), sizeof(double) * d->n);
    defect_far = dln_svs_defect(d->svs, d->x_far);
    r->set_defect = defect_far;
    r->in_set = defect_steps <= DLN_RUN_SET_TOL &&
                defect_settled <= DLN_RUN_SET_TOL &&
                defect_far <= DLN_RUN_SET_TOL;
    int period = e->period;
    if (period == 0 && e->period_fit > 0)   /* settling to it (label.h) */
        period = e->period_fit;
    if (r->in_set)
        return split(d, period, r, e);
    if (period > 0 && d->n <= DLN_RUN_FLOQUET_DENSE_MAX) {
        dln_floquet_result f;
        if ((rc = multipliers(d, period, DLN_BLOCK_FULL, &f)) != 0)
            return rc;
        put_multipliers(&f, NULL, r);
    }
    return 0;
}

int dln_run_dynamics(dln_run_track *k, const dln_run_ops *ops, dln_model *m,
                     dln_result *r, dln_label_evidence *e)
{
    const dln_params *p = k->p;
    dyn d = {k, ops, m, p, dln_model_nparams(m), NULL, NULL, NULL, NULL,
             NULL, NULL, NULL};
    double loss = NAN;
    int rc = 1;
    if (p->lyapunov_steps <= 0)
        return 0;
    d.x_steps = malloc(sizeof(double) * d.n);
    d.x_far = malloc(sizeof(double) * d.n);
    if (!d.x_steps || !d.x_far || dln_svs_create(m, &d.svs) ||
        dln_lyap_create(m, p->lyapunov_k, &d.lw) ||
        dln_floquet_create(m, &d.fw) ||
        dln_orbit_create(k->dim, p->max_period, &d.ring) ||
        dln_orbit_create(k->dim, p->max_period, &d.early))
        goto cleanup;
    memcpy(d.x_steps, dln_model_params(m), sizeof(double) * d.n);
    if (settle(&d, &loss)) {
        e->diverged_later = 1;
        rc = 0;
        goto cleanup;
    }
    memcpy(d.x_far, dln_model_params(m), sizeof(double) * d.n);
    int fit = e->period_fit;
    dln_track_ring_evidence(k, d.ring,
                            dln_orbit_count(d.early) > 0 ? d.early : NULL,
                            loss, r, e);
    e->from_continuation = 1;
    e->period_fit = e->period == 0 ? fit : 0;
    rc = analyse(&d, r, e);
    if (rc == 0 && !e->diverged_later) {   /* modes settling to its period */
        dln_regime g;
        dln_reason why;
        int per;
        g = dln_label_decide(e, &per, &why);
        if ((g == DLN_REGIME_PERIODIC || g == DLN_REGIME_CONVERGED) &&
            dln_orbit_count(d.early) > 0)
            dln_track_modes(k, d.ring, d.early, per, r);
    }
cleanup:
    if (d.x_steps)
        dln_model_set_params(m, d.x_steps);
    dyn_free(&d);
    return rc;
}
