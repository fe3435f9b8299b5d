/* lyapunov.c — top-k Lyapunov exponents with batch-means error bars on a
 * continuation of the orbit (method and settings in lyapunov.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include <lapacke.h>
#include "dlnsweep/lyapunov.h"
#include "dlnsweep/orbit.h"
#include "dlnsweep/rng.h"

#define LYAP_NPROJ 2   /* random projections in a period fingerprint */

struct dln_lyap {
    size_t n;
    int kmax;
    double *x, *x0;         /* continuation state; the caller's (made at the
                               first run that restores it)               */
    double *q, *hv;         /* tangent basis n x kmax; HVP scratch, which
                               then takes the step's gradient            */
    double *tau, *work;     /* QR                                          */
    lapack_int lwork;
    double *proj;           /* LYAP_NPROJ x n fingerprint projections      */
};

void dln_lyap_defaults(dln_lyap_settings *s)
{
    memset(s, 0, sizeof *s);
    s->k = 2;
    s->period = 0;
    s->max_period = 64;
    s->period_tol = 1e-9;
    s->warmup = 1000;
    s->batch = 500;
    s->min_batches = 8;
    s->max_steps = 200000;
    s->tol_abs = 1e-3;
    s->tol_rel = 0.0;
    s->block = DLN_BLOCK_FULL;
    s->quotient = 0;
    s->quotient_every = 8;
    s->tol_count = 0;
    s->diverge_bound = 1e12;
    s->seed = 1;
}

void dln_lyap_destroy(dln_lyap **pw)
{
    if (!pw || !*pw)
        return;
    dln_lyap *w = *pw;
    free(w->x);
    free(w->x0);
    free(w->q);
    free(w->hv);
    free(w->tau);
    free(w->work);
    free(w->proj);
    free(w);
    *pw = NULL;
}

int dln_lyap_create(const dln_model *m, int kmax, dln_lyap **out)
{
    int rc = 2;
    dln_lyap *w = NULL;
    *out = NULL;
    if (kmax < 1 || kmax > DLN_LYAP_MAX_K)
        goto cleanup;
    rc = 1;
    if (!(w = calloc(1, sizeof *w)))
        goto cleanup;
    w->n = dln_model_nparams(m);
    w->kmax = kmax;
    size_t n = w->n;
    w->x = malloc(sizeof(double) * n);
    w->q = malloc(sizeof(double) * n * (size_t)kmax);
    w->hv = malloc(sizeof(double) * n);
    w->tau = malloc(sizeof(double) * (size_t)kmax);
    w->proj = malloc(sizeof(double) * n * LYAP_NPROJ);
    if (!w->x || !w->q || !w->hv || !w->tau || !w->proj)
        goto cleanup;
    double q1, q2;
    lapack_int nn = (lapack_int)n, kk = kmax < (int)n ? kmax : (lapack_int)n;
    if (LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, nn, kk, w->q, nn, w->tau, &q1,
                            -1) != 0 ||
        LAPACKE_dorgqr_work(LAPACK_COL_MAJOR, nn, kk, kk, w->q, nn, w->tau,
                            &q2, -1) != 0)
        goto cleanup;
    w->lwork = (lapack_int)fmax(q1, q2) + 1;
    if (!(w->work = malloc(sizeof(double) * (size_t)w->lwork)))
        goto cleanup;
    dln_rng_normal(0x5eed, DLN_STREAM_PROJECTION, w->proj, n * LYAP_NPROJ);
    *out = w;
    w = NULL;
    rc = 0;
cleanup:
    dln_lyap_destroy(&w);
    return rc;
}

/* Orthonormalise the k tangent vectors by LAPACK QR; lg[i] = log|R_ii|
 * when lg is non-NULL. Returns 0, 1 on LAPACK failure, 3 when a growth is
 * not finite or a vector vanished. */
static int orthonormalise(dln_lyap *w, int k, double *lg)
{
    lapack_int n = (lapack_int)w->n;
    if (LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, n, k, w->q, n, w->tau, w->work,
                            w->lwork) != 0)
        return 1;
    for (int i = 0; i < k; i++) {
        double r = fabs(w->q[i + (size_t)i * w->n]);
        if (!isfinite(r) || r == 0.0)
            return 3;
        if (lg)
            lg[i] = log(r);
    }
    if (LAPACKE_dorgqr_work(LAPACK_COL_MAJOR, n, k, k, w->q, n, w->tau,
                            w->work, w->lwork) != 0)
        return 1;
    return 0;
}

/* Keep the k vectors in the run's block, and out of the neutral
 * directions of the state w->x when `quotient` (lyapunov.h: projecting
 * them out only now and then is exact). Returns 0 or 1. */
static int restrict_block(dln_lyap *w, dln_svs *svs,
                          const dln_lyap_settings *s, int k, int quotient)
{
    if (!svs)
        return 0;
    if (quotient && dln_svs_set_point(svs, w->x) < 0)
        return 1;
    for (int j = 0; j < k; j++)
        if (dln_svs_project(svs, s->block, quotient,
                            w->q + (size_t)j * w->n))
            return 1;
    return 0;
}

/* One GD step of the continuation with the tangent map applied to the k
 * vectors, the block kept (the neutral directions removed when quotient),
 * then QR (growths into lg, if non-NULL). *loss: f(x_t).
 * Returns 0, 1 on failure, 3 on a non-finite tangent, 4 on divergence. */
static int tangent_step(dln_lyap *w, dln_model *m, double eta, dln_svs *svs,
                        const dln_lyap_settings *s, int k, int quotient,
                        double *lg, double *loss)
{
    size_t n = w->n;
    dln_model_set_params(m, w->x);
    for (int j = 0; j < k; j++) {
        double *v = w->q + (size_t)j * n;
        dln_model_hvp(m, v, w->hv);
        cblas_daxpy((int)n, -eta, w->hv, 1, v, 1);
    }
    /* same forward pass as the HVPs; hv is free again */
    *loss = dln_model_gradient(m, w->hv);
    if (!(*loss <= s->diverge_bound))
        return 4;
    cblas_daxpy((int)n, -eta, w->hv, 1, w->x, 1);
    if (restrict_block(w, svs, s, k, quotient))
        return 1;
    return orthonormalise(w, k, lg);
}

/* 1 if step t of a stretch of len steps projects out the neutral
 * directions: every quotient_every steps and at the stretch's end. */
static int quotient_due(const dln_lyap_settings *s, long t, long len)
{
    long every = s->quotient_every > 1 ? s->quotient_every : 1;
    return s->quotient && ((t + 1) % every == 0 || t + 1 == len);
}

/* Period of the continuation from the fingerprints of its last states
 * (loss and fixed projections of x), pushed by warm_up. */
static void fingerprint(const dln_lyap *w, double loss, double *f)
{
    f[0] = loss;
    for (int j = 0; j < LYAP_NPROJ; j++)
        f[1 + j] = cblas_ddot((int)w->n, w->proj + (size_t)j * w->n, 1, w->x,
                              1);
}

/* Warm-up: s->warmup steps, recording fingerprints of the last 2*max_period
 * + 1 states when the period is to be detected into *period. Returns as
 * tangent_step. */
static int warm_up(dln_lyap *w, dln_model *m, double eta, dln_svs *svs,
                   const dln_lyap_settings *s, int k, int *period,
                   dln_lyap_result *out)
{
    dln_orbit *orbit = NULL;
    double f[1 + LYAP_NPROJ], loss;
    int rc = 0, detect = s->period == 0 && s->max_period > 0;
    long from = s->warmup - (2L * s->max_period + 1);
    *period = s->period > 0 ? s->period : 0;
    if (detect && dln_orbit_create(1 + LYAP_NPROJ, s->max_period, &orbit))
        return 1;
    for (long t = 0; t < s->warmup; t++) {
        if (detect && t >= from) {
            dln_model_set_params(m, w->x);
            fingerprint(w, dln_model_loss(m), f);
            dln_orbit_push(orbit, f);
        }
        if ((rc = tangent_step(w, m, eta, svs, s, k,
                               quotient_due(s, t, s->warmup), NULL,
                               &loss)) != 0)
            goto cleanup;
        out->warmup++;
        out->hvps += k;
    }
    if (detect)
        *period = dln_orbit_period(orbit, s->period_tol);
cleanup:
    dln_orbit_destroy(&orbit);
    return rc;
}

/* Length of batch b: the base length plus a scrambled whole number of
 * periods (0..base/2). Equal lengths alias with a rotation (a complex
 * multiplier pair, a quasi-periodic orbit): every batch would then end at
 * nearly the same phase, the batch means would agree and hide an O(1/T)
 * bias. Pure. */
static long batch_length(long base, int period, int b)
{
    long p = period > 1 ? period : 1, span = base / (2 * p);
    return base + p * (long)(((unsigned long)b * 2654435761u) %
                             (unsigned long)(span + 1));
}

/* Exponent i over nb batches (sums sum[b * k + i] over len[b] steps) and
 * its batch-means standard error (ratio estimator for unequal lengths). */
static void batch_stats(const double *sum, const long *len, int nb, int k,
                        int i, double *mean, double *err)
{
    double tot = 0.0, steps = 0.0, ss = 0.0;
    for (int b = 0; b < nb; b++) {
        tot += sum[(size_t)b * k + i];
        steps += (double)len[b];
    }
    *mean = tot / steps;
    for (int b = 0; b < nb; b++) {
        double e = sum[(size_t)b * k + i] - *mean * (double)len[b];
        ss += e * e;
    }
    *err = nb > 1 ? sqrt(ss * nb / (nb - 1)) / steps : INFINITY;
}

/* Accumulate batches until the errors meet the tolerance or the cap.
 * Returns as tangent_step. */
static int accumulate(dln_lyap *w, dln_model *m, double eta, dln_svs *svs,
                      const dln_lyap_settings *s, int k, dln_lyap_result *out)
{
    int rc = 0, nbmax;
    double lg[DLN_LYAP_MAX_K], loss;
    long bl = s->batch;
    if (out->period > 1)
        bl = (bl + out->period - 1) / out->period * out->period;
    out->batch = bl;
    nbmax = (int)fmin(fmax((double)(s->max_steps / bl), s->min_batches),
                      1e7);
    double *sum = calloc((size_t)nbmax * k, sizeof(double));
    long *len = malloc(sizeof(long) * (size_t)nbmax);
    if (!sum || !len) {
        rc = 1;
        goto cleanup;
    }
    for (int b = 0; b < nbmax; b++) {
        double *sb = sum + (size_t)b * k;
        len[b] = batch_length(bl, out->period, b);
        for (long t = 0; t < len[b]; t++) {
            if ((rc = tangent_step(w, m, eta, svs, s, k,
                                   quotient_due(s, t, len[b]), lg,
                                   &loss)) != 0)
                goto cleanup;
            for (int i = 0; i < k; i++)
                sb[i] += lg[i];
            out->hvps += k;
        }
        out->batches = b + 1;
        out->steps += len[b];
        int done = out->batches >= s->min_batches && out->batches >= 2;
        int held = s->tol_count > 0 && s->tol_count < k ? s->tol_count : k;
        for (int i = 0; i < k; i++) {
            batch_stats(sum, len, out->batches, k, i, &out->exponent[i],
                        &out->error[i]);
            if (i < held && !(out->error[i] <= s->tol_abs +
                              s->tol_rel * fabs(out->exponent[i])))
                done = 0;
        }
        if (done) {
            out->converged = 1;
            break;
        }
        if (out->steps >= s->max_steps)
            break;
    }
cleanup:
    free(sum);
    free(len);
    return rc;
}

/* Check settings against the workspace; returns 0 or 2. */
static int check_settings(const dln_lyap *w, const dln_model *m,
                          const dln_svs *svs, const dln_lyap_settings *s)
{
    if (dln_model_nparams(m) != w->n || s->k < 1 || s->k > w->kmax ||
        s->warmup < 0 || s->batch < 1 || s->min_batches < 1 ||
        s->max_steps < 1 || s->max_period < 0 || s->tol_count < 0 ||
        s->quotient_every < 1 || (int)s->block < 0 ||
        s->block > DLN_BLOCK_TRANSVERSE)
        return 2;
    if (!svs && (s->block != DLN_BLOCK_FULL || s->quotient))
        return 2;
    return 0;
}

int dln_lyap_run(dln_lyap *w, dln_model *m, double eta, dln_svs *svs,
                 const dln_lyap_settings *s, dln_lyap_result *out)
{
    int rc, k, neutral = 0;
    size_t n = w->n, dim;
    memset(out, 0, sizeof *out);
    out->set_defect = NAN;
    for (int i = 0; i < DLN_LYAP_MAX_K; i++)
        out->exponent[i] = out->error[i] = NAN;
    if ((rc = check_settings(w, m, svs, s)) != 0)
        return rc;
    if (!s->leave_params && !w->x0 &&
        !(w->x0 = malloc(sizeof(double) * n)))
        return 1;
    if (!s->leave_params)
        memcpy(w->x0, dln_model_params(m), sizeof(double) * n);
    memcpy(w->x, dln_model_params(m), sizeof(double) * n);
    if (svs && s->quotient && (neutral = dln_svs_set_point(svs, w->x)) < 0)
        return 1;
    dim = svs ? dln_svs_block_dim(svs, s->block) : n;
    dim = dim > (size_t)neutral ? dim - (size_t)neutral : 0;
    if (dim > n)
        dim = n;
    k = (size_t)s->k < dim ? s->k : (int)dim;
    out->k = k;
    if (k == 0)
        goto done;
    dln_rng_normal(s->seed, DLN_STREAM_LYAPUNOV, w->q, n * (size_t)k);
    rc = restrict_block(w, svs, s, k, s->quotient);
    if (rc == 0)
        rc = orthonormalise(w, k, NULL);
    if (rc == 0)
        rc = warm_up(w, m, eta, svs, s, k, &out->period, out);
    if (rc == 0)
        rc = accumulate(w, m, eta, svs, s, k, out);
    if (rc == 3 || rc == 4) {
        out->status = rc == 3 ? DLN_LYAP_NONFINITE : DLN_LYAP_DIVERGED;
        for (int i = 0; i < DLN_LYAP_MAX_K; i++)
            out->exponent[i] = out->error[i] = NAN;
        out->converged = 0;
        rc = 0;
    }
done:
    if (svs && rc == 0)
        out->set_defect = dln_svs_defect(svs, w->x);
    if (!s->leave_params)
        dln_model_set_params(m, w->x0);
    return rc;
}

const double *dln_lyap_last_state(const dln_lyap *w)
{
    return w->x;
}
