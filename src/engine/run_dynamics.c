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
    dln_floquet *fw;          /* made when multipliers are first computed */
    dln_orbit *ring, *early;  /* last and first states of the settle      */
    double *x_steps;       /* x_steps, restored on return                 */
    double *x_far;         /* the furthest state reached (analyses start) */
    double *modes;         /* target modes scratch (rank)                 */
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
    free(d->modes);
}

/* Tangent-run settings of the run's parameters: k exponents, the period
 * (> 0 known, 0 detect) and block.  The run starts from the settled
 * state, so its warm-up only aligns the vectors: a quarter of
 * lyapunov_steps (resolved: params.h).  The
 * transverse block, which does not decide the label, is measured over
 * lyapunov_steps steps without extension. */
static void lyap_settings(const dln_params *p, int k, int period,
                          dln_block block, dln_lyap_settings *s)
{
    long len = dln_params_lyapunov_steps(p);
    dln_lyap_defaults(s);
    s->k = k;
    s->period = period;
    s->max_period = p->max_period;
    s->period_tol = p->period_tol;
    s->warmup = len / 4;
    s->batch = len / 8 > 0 ? len / 8 : 1;
    s->min_batches = 8;
    s->max_steps = p->lyapunov_max_steps > len &&
                           block != DLN_BLOCK_TRANSVERSE
                       ? p->lyapunov_max_steps
                       : len;
    s->tol_abs = p->lyapunov_tol;
    s->tol_rel = DLN_RUN_LYAP_REL_TOL;
    s->tol_count = 1;
    s->block = block;
    s->quotient = block == DLN_BLOCK_TRANSVERSE;
    s->quotient_every = DLN_RUN_QUOTIENT_EVERY;
    s->diverge_bound = p->diverge_bound;
    s->seed = p->seed;
    s->leave_params = 1;   /* every analysis sets the state it starts from */
}

/* GD from x_steps for max(lyapunov_steps, 2 max_period + 1) steps, the
 * last 2 max_period + 1 states fingerprinted into d->ring (and the first
 * ones' target modes into d->early when the two do not overlap: no
 * singular values needed there). Returns 0, or 4 when the loss went above
 * diverge_bound. *loss: the last state's. */
static int settle(dyn *d, double *loss)
{
    long need = 2L * d->p->max_period + 1;
    long len = dln_params_lyapunov_steps(d->p);
    if (len < need)
        len = need;
    for (long t = 1; t <= len; t++) {
        d->ops->step(d->ops->ctx);
        *loss = d->ops->loss(d->ops->ctx);
        if (!(*loss <= d->p->diverge_bound))
            return 4;
        if (t > len - need) {
            d->ops->fingerprint(d->ops->ctx, *loss);
            dln_orbit_push(d->ring, d->k->fp);
        } else if (len >= 2 * need && t <= need) {
            d->ops->modes(d->ops->ctx, d->modes, 0);
            dln_orbit_push(d->early, d->modes);
        }
    }
    return 0;
}

/* Exponents gathered from the SVS blocks of an orbit in the set: the full
 * tangent map is block diagonal there, so its spectrum is their union,
 * with the symmetry directions (removed from the transverse block) at 0. */
typedef struct spectrum {
    int n;
    double lam[4 * DLN_LYAP_MAX_K], err[4 * DLN_LYAP_MAX_K];
    long steps;             /* tangent steps measured over the blocks */
} spectrum;

static void spectrum_add(spectrum *s, double lam, double err)
{
    if (s->n < 4 * DLN_LYAP_MAX_K && !isnan(lam)) {
        s->lam[s->n] = lam;
        s->err[s->n++] = err;
    }
}

/* n exponents and their errors (at most DLN_MAX_LYAP kept) as the run's
 * full spectrum; lyapunov is the first. */
static void put_exponents(const double *lam, const double *err, int n,
                          dln_result *r)
{
    r->n_lyap = n < DLN_MAX_LYAP ? n : DLN_MAX_LYAP;
    memcpy(r->lyap, lam, sizeof(double) * (size_t)r->n_lyap);
    memcpy(r->lyap_err, err, sizeof(double) * (size_t)r->n_lyap);
    r->lyapunov = r->n_lyap > 0 ? lam[0] : NAN;
    r->lyapunov_err = r->n_lyap > 0 ? err[0] : NAN;
}

/* The top k of s, descending, as the run's full spectrum. */
static void put_union(spectrum *s, int k, dln_result *r)
{
    for (int i = 0; i < s->n; i++)   /* selection of the largest first */
        for (int j = i + 1; j < s->n; j++)
            if (s->lam[j] > s->lam[i]) {
                double t = s->lam[i], u = s->err[i];
                s->lam[i] = s->lam[j];
                s->err[i] = s->err[j];
                s->lam[j] = t;
                s->err[j] = u;
            }
    put_exponents(s->lam, s->err, s->n < k ? s->n : k, r);
}

/* A full-block tangent run as the run's spectrum (QR order). */
static void put_spectrum(const dln_lyap_result *lr, dln_result *r)
{
    put_exponents(lr->exponent, lr->error, lr->k, r);
    r->lyapunov_steps_done += lr->steps;
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
    if (!d->fw && dln_floquet_create(d->m, &d->fw))
        return 1;
    dln_model_set_params(d->m, d->x_far);
    return dln_floquet_run(d->fw, d->m, d->p->eta, period,
                           b == DLN_BLOCK_FULL ? NULL : d->svs, &fs, fr);
}

/* One SVS block of an orbit in the set. */
typedef struct part {
    int ok;                 /* measured                                   */
    int floquet;            /* by multipliers (f), else by exponents (l)  */
    dln_floquet_result f;
    dln_lyap_result l;
    double lam, err;        /* top exponent per step and its error        */
    int converged;          /* the error met its tolerance                */
} part;

/* Block b of an orbit in the set: the dense Floquet multipliers of a
 * periodic orbit whose block has at most DLN_RUN_FLOQUET_DENSE_MAX
 * coordinates (their exponents log|mu| / p, error DLN_RUN_CLOSURE_MULT
 * closure / p: multipliers at a state a relative distance `closure` from
 * the cycle are off by O(closure)), else the top k exponents (the
 * transverse block: its top one) on a tangent run from d->x_far (whole
 * periods). ARPACK's Arnoldi is not used: its
 * restarts draw from a process-wide seed, which would make a run's
 * numbers depend on the runs before it on its rank. The block's exponents
 * (and the neutral directions' 0) go into sp. */
static void measure(dyn *d, int period, dln_block b, spectrum *sp, part *o)
{
    int neutral;
    memset(o, 0, sizeof *o);
    o->lam = o->err = NAN;
    o->floquet = period > 0 &&
                 dln_svs_block_dim(d->svs, b) <= DLN_RUN_FLOQUET_DENSE_MAX;
    if (o->floquet) {
        if (multipliers(d, period, b, &o->f) || o->f.n == 0)
            return;
        double err = isfinite(o->f.closure)
                         ? DLN_RUN_CLOSURE_MULT * o->f.closure / period
                         : NAN;
        for (int i = 0; i < o->f.n; i++)
            spectrum_add(sp, log(o->f.modulus[i]) / period, err);
        o->lam = log(o->f.modulus[0]) / period;
        o->err = err;
        o->converged = o->f.converged;
        neutral = o->f.neutral;
    } else {
        dln_lyap_settings ls;
        lyap_settings(d->p, b == DLN_BLOCK_TRANSVERSE ? 1 : d->p->lyapunov_k,
                      period, b, &ls);
        dln_model_set_params(d->m, d->x_far);
        if (dln_lyap_run(d->lw, d->m, d->p->eta, d->svs, &ls, &o->l) ||
            o->l.status != DLN_LYAP_OK)
            return;
        for (int i = 0; i < o->l.k; i++)
            spectrum_add(sp, o->l.exponent[i], o->l.error[i]);
        sp->steps += o->l.steps;
        o->lam = o->l.exponent[0];
        o->err = o->l.error[0];
        o->converged = o->l.converged;
        neutral = b == DLN_BLOCK_TRANSVERSE
                      ? dln_svs_set_point(d->svs, d->x_far) : 0;
    }
    for (int i = 0; i < neutral && i < d->p->lyapunov_k; i++)
        spectrum_add(sp, 0.0, 0.0);
    o->ok = 1;
}

/* In-set and (up to transverse_max parameters) transverse parts of an
 * orbit that is in the set (period > 0: periodic) into r; the in-set
 * exponent becomes the label's (NaN, "no exponent", if it cannot be
 * measured: the full one would read the transverse instability). */
static void split(dyn *d, int period, int trans, dln_result *r,
                  dln_label_evidence *e, spectrum *sp)
{
    part in, tr;
    measure(d, period, DLN_BLOCK_INSET, sp, &in);
    r->lyapunov_inset = in.lam;
    r->lyapunov_inset_err = in.err;
    e->lambda = in.lam;
    e->lambda_err = in.err;
    e->lambda_converged = in.ok && in.converged;
    if (in.ok && in.floquet)
        r->floquet_inset_max = in.f.modulus[0];
    tr.ok = tr.floquet = 0;
    if (trans) {
        measure(d, period, DLN_BLOCK_TRANSVERSE, sp, &tr);
        r->lyapunov_transverse = tr.lam;
        r->lyapunov_transverse_err = tr.err;
    }
    if (tr.ok) {
        dln_transverse_settings ts;
        if (tr.floquet)
            r->floquet_transverse_max = tr.f.modulus[0];
        dln_transverse_defaults(&ts);
        ts.set_tol = DLN_RUN_SET_TOL;
        ts.mult_tol = fmax(DLN_RUN_MULT_TOL,
                           tr.floquet ? DLN_RUN_CLOSURE_MULT * tr.f.closure
                                      : 0.0);
        ts.lyap_tol = DLN_LABEL_LYAP_FLOOR;
        dln_transverse_verdict v = dln_transverse_decide(
            &ts, r->set_defect, tr.floquet ? NULL : &tr.l,
            tr.floquet ? &tr.f : NULL);
        r->transverse_stable = v == DLN_TRANSVERSE_STABLE     ? 1
                               : v == DLN_TRANSVERSE_UNSTABLE ? 0
                                                              : -1;
    }
    int fin = in.ok && in.floquet, ftr = tr.ok && tr.floquet;
    if (fin || ftr)
        put_multipliers(fin ? &in.f : NULL, ftr ? &tr.f : NULL, r);
}

/* The late orbit after a continuation that left the set (its earlier
 * period is void): 2 max_period + 1 GD steps from d->x_far into a fresh
 * ring, as the label's evidence. */
static void late_orbit(dyn *d, dln_result *r, dln_label_evidence *e)
{
    double loss = NAN;
    long need = 2L * d->p->max_period + 1;
    dln_orbit_reset(d->ring);
    dln_model_set_params(d->m, d->x_far);
    for (long t = 0; t < need; t++) {
        if (t)
            d->ops->step(d->ops->ctx);
        loss = d->ops->loss(d->ops->ctx);
        if (!(loss <= d->p->diverge_bound)) {
            e->diverged_later = 1;
            return;
        }
        d->ops->fingerprint(d->ops->ctx, loss);
        dln_orbit_push(d->ring, d->k->fp);
    }
    dln_track_ring_evidence(d->k, d->ring, NULL, loss, r, e);
    e->period_fit = 0;
}

/* 1 if the target is diagonal and every layer of x is exactly diagonal:
 * products of diagonal matrices have exact zeros off the diagonal, so GD
 * keeps the state in the SVS set bit for bit. Pure. */
static int exactly_diagonal(const dyn *d, const double *x)
{
    if (d->p->rotate)
        return 0;
    for (int l = 1; l <= d->p->depth; l++) {
        const double *w = x + dln_model_layer_offset(d->m, l);
        int rows = dln_model_rows(d->m, l), cols = dln_model_cols(d->m, l);
        for (int j = 0; j < cols; j++)
            for (int i = 0; i < rows; i++)
                if (i != j && w[i + (size_t)j * rows] != 0.0)
                    return 0;
    }
    return 1;
}

/* Everything after the settle (which left x_far at the settled state): the
 * SVS fit; in the set, the split, whose blocks give the full spectrum
 * (with the transverse part off, above transverse_max parameters, the
 * full spectrum stays unknown); else (or when the orbit may leave the
 * set) a full tangent run, and the full multipliers off the set.  A LAPACK
 * failure in one of them (e.g. on subnormal layers at the zero saddle)
 * leaves its quantities unset (NaN: NULL in the database) and the
 * evidence without them; it does not fail the run. */
static void analyse(dyn *d, dln_result *r, dln_label_evidence *e)
{
    dln_lyap_settings ls;
    dln_lyap_result lr;
    spectrum sp = {0};
    double ds = NAN, dset = NAN;
    const dln_params *p = d->p;
    int trans = d->n <= (size_t)p->transverse_max;
    int period = e->period > 0 ? e->period : e->period_fit;
    /* The set's bases from x_steps; GD keeps a state of the set in it with
     * the same bases, so later states are measured against them. */
    dln_model_set_params(d->m, d->x_steps);
    int fitted = dln_svs_fit(d->svs, d->m, &ds) == 0;
    if (fitted)
        dset = dln_svs_defect(d->svs, d->x_far);
    r->set_defect = dset;
    int candidate = ds <= DLN_RUN_SET_TOL && dset <= DLN_RUN_SET_TOL;
    r->in_set = 0;
    if (candidate) {
        split(d, period, trans, r, e, &sp);
        /* Exact zeros off the set stay zero (a diagonal target): the run
         * never leaves; else it stays if the set attracts it. */
        r->in_set = (exactly_diagonal(d, d->x_steps) &&
                     exactly_diagonal(d, d->x_far)) ||
                    r->transverse_stable == 1;
        r->lyapunov_steps_done = sp.steps;
        if (r->in_set && trans)
            put_union(&sp, p->lyapunov_k, r);
        if (r->in_set)   /* without the transverse block the full
                            exponent stays unknown (NULL): no full run */
            return;
    }
    lyap_settings(p, p->lyapunov_k, period, DLN_BLOCK_FULL, &ls);
    dln_model_set_params(d->m, d->x_far);
    if (dln_lyap_run(d->lw, d->m, p->eta, NULL, &ls, &lr) == 0) {
        if (lr.status == DLN_LYAP_DIVERGED) {
            e->diverged_later = 1;
            return;
        }
        put_spectrum(&lr, r);
        if (candidate && !r->in_set && lr.status == DLN_LYAP_OK) {
            /* Does the orbit leave the set over the continuation? */
            const double *x = dln_lyap_last_state(d->lw);
            r->set_defect = dln_svs_defect(d->svs, x);
            r->in_set = r->set_defect <= DLN_RUN_SET_TOL;
            if (!r->in_set) {
                memcpy(d->x_far, x, sizeof(double) * d->n);
                late_orbit(d, r, e);
                period = e->period;
            }
        }
    }
    if (r->in_set)
        return;   /* labelled by the in-set exponent of split */
    e->lambda = r->lyapunov;
    e->lambda_err = r->lyapunov_err;
    e->lambda_converged = lr.converged;
    dln_floquet_result f;
    if (period > 0 && d->n <= DLN_RUN_FLOQUET_DENSE_MAX &&
        multipliers(d, period, DLN_BLOCK_FULL, &f) == 0)
        put_multipliers(&f, NULL, r);
}

int dln_run_dynamics(dln_run_track *k, const dln_run_ops *ops, dln_model *m,
                     dln_result *r, dln_label_evidence *e)
{
    const dln_params *p = k->p;
    dyn d = {k, ops, m, p, dln_model_nparams(m), NULL, NULL, NULL, NULL,
             NULL, NULL, NULL, NULL};
    double loss = NAN;
    int rc = 1;
    if (dln_params_lyapunov_steps(p) <= 0)
        return 0;
    d.x_steps = malloc(sizeof(double) * d.n);
    d.x_far = malloc(sizeof(double) * d.n);
    /* the pair tables serve only the transverse block (analyse) */
    if (!d.x_steps || !d.x_far ||
        (d.n <= (size_t)p->transverse_max ? dln_svs_create(m, &d.svs)
                                          : dln_svs_create_lean(m, &d.svs)) ||
        dln_lyap_create(m, p->lyapunov_k, &d.lw) ||
        dln_orbit_create(k->dim, p->max_period, &d.ring) ||
        dln_orbit_create(k->rank, p->max_period, &d.early) ||
        !(d.modes = malloc(sizeof(double) * (size_t)k->rank)))
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
    r->lyapunov_steps_done = 0;
    analyse(&d, r, e);
    rc = 0;
    if (!e->diverged_later) {   /* modes settling to its period */
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
