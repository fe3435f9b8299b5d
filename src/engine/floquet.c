/* floquet.c — leading Floquet multipliers of a p-cycle: the monodromy
 * applied by exact HVPs along the stored orbit, then dense dgeev or
 * ARPACK-ng Arnoldi (choice and method in floquet.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <arpack.h>
#include <cblas.h>
#include <lapacke.h>
#include "dlnsweep/floquet.h"
#include "dlnsweep/rng.h"

struct dln_floquet {
    size_t n;
    double *v, *hv, *g;      /* tangent, HVP and gradient scratch       */
    double *states;          /* x_0..x_p of the recorded orbit          */
    size_t nstates;          /* states allocated                        */
    double eta;              /* step of the recorded orbit              */
    int period;              /* its length p (0: none recorded)         */
};

/* One run's operator: M restricted to a block, in its coordinates. */
typedef struct monodromy {
    dln_floquet *w;
    dln_model *m;
    dln_svs *svs;
    dln_block block;
    int quotient;
    long matvecs;
} monodromy;

void dln_floquet_defaults(dln_floquet_settings *s)
{
    memset(s, 0, sizeof *s);
    s->nev = 6;
    s->settle = 0;
    s->dense_max = 512;
    s->ncv = 0;
    s->max_iter = 300;
    s->arpack_tol = 0.0;
    s->block = DLN_BLOCK_FULL;
    s->quotient = 0;
    s->seed = 1;
}

void dln_floquet_destroy(dln_floquet **pw)
{
    if (!pw || !*pw)
        return;
    dln_floquet *w = *pw;
    free(w->v);
    free(w->hv);
    free(w->g);
    free(w->states);
    free(w);
    *pw = NULL;
}

int dln_floquet_create(const dln_model *m, dln_floquet **out)
{
    int rc = 1;
    dln_floquet *w = calloc(1, sizeof *w);
    *out = NULL;
    if (!w)
        goto cleanup;
    w->n = dln_model_nparams(m);
    w->v = malloc(sizeof(double) * w->n);
    w->hv = malloc(sizeof(double) * w->n);
    w->g = malloc(sizeof(double) * w->n);
    if (!w->v || !w->hv || !w->g)
        goto cleanup;
    *out = w;
    w = NULL;
    rc = 0;
cleanup:
    dln_floquet_destroy(&w);
    return rc;
}

/* The orbit: `settle` GD steps from x, then x_0..x_period into w->states
 * (m's parameters are left anywhere). Returns 0, 1 on allocation failure,
 * 3 on a non-finite state. */
static int record_orbit(dln_floquet *w, dln_model *m, const double *x0,
                        double eta, int period, long settle)
{
    size_t n = w->n, need = (size_t)period + 1;
    w->period = 0;
    if (need > w->nstates) {
        double *st = realloc(w->states, sizeof(double) * n * need);
        if (!st)
            return 1;
        w->states = st;
        w->nstates = need;
    }
    double *x = w->states;
    memmove(x, x0, sizeof(double) * n);
    for (long t = 0; t < settle + period; t++) {
        dln_model_set_params(m, x);
        if (!isfinite(dln_model_gradient(m, w->g)))
            return 3;
        double *next = t < settle ? x : x + n;
        if (next != x)
            memcpy(next, x, sizeof(double) * n);
        cblas_daxpy((int)n, -eta, w->g, 1, next, 1);
        x = next;
    }
    for (size_t j = 0; j < n * need; j++)
        if (!isfinite(w->states[j]))
            return 3;
    w->eta = eta;
    w->period = period;
    return 0;
}

int dln_floquet_record(dln_floquet *w, dln_model *m, const double *x,
                       double eta, int period)
{
    if (period < 1 || !(eta > 0.0) || dln_model_nparams(m) != w->n)
        return 2;
    return record_orbit(w, m, x ? x : dln_model_params(m), eta, period, 0);
}

const double *dln_floquet_state(const dln_floquet *w, int t)
{
    if (t < 0 || t > w->period || w->period == 0)
        return NULL;
    return w->states + (size_t)t * w->n;
}

/* v <- P_b M_q v + s dx_q/deta in place (v in block b): `steps` tangent steps along
 * the recorded orbit, block b (and the quotient) kept after every step;
 * dx/deta follows d <- (I - eta H(x_t)) d - g_t with g_t = (x_t - x_{t+1})
 * / eta, the gradient the recorded step used. */
static void propagate(dln_floquet *w, dln_model *m, dln_svs *svs,
                      dln_block b, int quotient, int steps, double s,
                      double *v)
{
    size_t n = w->n;
    if (svs && quotient)
        dln_svs_project(svs, b, 1, v);
    for (int t = 0; t < steps; t++) {
        const double *xt = w->states + (size_t)t * n;
        dln_model_set_params(m, xt);
        dln_model_hvp(m, v, w->hv);
        cblas_daxpy((int)n, -w->eta, w->hv, 1, v, 1);
        if (s != 0.0)
            for (size_t j = 0; j < n; j++)
                v[j] -= s * (xt[j] - xt[j + n]) / w->eta;
        if (svs)
            dln_svs_project(svs, b, quotient && t + 1 == steps, v);
    }
}

int dln_floquet_apply(dln_floquet *w, dln_model *m, dln_svs *svs,
                      dln_block b, int steps, const double *v, double s,
                      double *y)
{
    if (steps < 0 || steps > w->period || (!svs && b != DLN_BLOCK_FULL) ||
        (int)b < 0 || b > DLN_BLOCK_TRANSVERSE)
        return 2;
    memmove(y, v, sizeof(double) * w->n);
    if (svs)
        dln_svs_project(svs, b, 0, y);
    propagate(w, m, svs, b, 0, steps, s, y);
    return 0;
}

/* y = (block coordinates of) P M P E c, M applied by HVPs along the
 * stored orbit, the block kept after every step. */
static void apply(monodromy *op, const double *c, double *y)
{
    dln_floquet *w = op->w;
    double *v = w->v;
    if (op->svs)
        dln_svs_block_expand(op->svs, op->block, c, v);
    else
        memcpy(v, c, sizeof(double) * w->n);
    propagate(w, op->m, op->svs, op->block, op->quotient, w->period, 0.0,
              v);
    if (op->svs)
        dln_svs_block_coords(op->svs, op->block, v, y);
    else
        memcpy(y, v, sizeof(double) * w->n);
    op->matvecs++;
}

/* Every eigenvalue of the dense nb x nb monodromy into wr/wi (nb long),
 * and with vr (nb x nb) the right eigenvectors in dgeev's layout. Returns 0
 * or 1. */
static int dense_eigs(monodromy *op, int nb, double *wr, double *wi,
                      double *vr)
{
    int rc = 1;
    double *a = malloc(sizeof(double) * ((size_t)nb * nb + nb));
    if (!a)
        return 1;
    double *e = a + (size_t)nb * nb;
    memset(e, 0, sizeof(double) * (size_t)nb);
    for (int j = 0; j < nb; j++) {
        e[j] = 1.0;
        apply(op, e, a + (size_t)j * nb);
        e[j] = 0.0;
    }
    if (LAPACKE_dgeev(LAPACK_COL_MAJOR, 'N', vr ? 'V' : 'N', nb, a, nb, wr,
                      wi, NULL, 1, vr, vr ? nb : 1) == 0)
        rc = 0;
    free(a);
    return rc;
}

/* The nev largest-modulus eigenvalues by ARPACK's dnaupd/dneupd into wr/wi
 * (nev + 1 long), and with vr (nb x (nev + 1)) the Ritz vectors in dgeev's
 * layout; *nconv: how many converged. Returns 0 or 1. */
static int arnoldi_eigs(monodromy *op, int nb, const dln_floquet_settings *s,
                        double *wr, double *wi, double *vr, int *nconv)
{
    int nev = s->nev, rc = 1;
    int ncv = s->ncv > 0 ? s->ncv : (2 * nev + 1 > 60 ? 2 * nev + 1 : 60);
    if (ncv > nb)
        ncv = nb;
    if (ncv < nev + 2)
        return 1;
    a_int ido = 0, info = 1, iparam[11] = {0}, ipntr[14] = {0};
    a_int lworkl = 3 * ncv * ncv + 6 * ncv;
    size_t nn = (size_t)nb;
    double *resid = malloc(sizeof(double) * nn);
    double *vb = malloc(sizeof(double) * nn * (size_t)ncv);
    double *workd = malloc(sizeof(double) * 3 * nn);
    double *workl = malloc(sizeof(double) * (size_t)lworkl);
    double *workev = malloc(sizeof(double) * 3 * (size_t)ncv);
    double *z = malloc(sizeof(double) * nn * (size_t)(nev + 1));
    a_int *select = calloc((size_t)ncv, sizeof(a_int));
    if (!resid || !vb || !workd || !workl || !workev || !z || !select)
        goto cleanup;
    dln_rng_normal(s->seed, DLN_STREAM_LYAPUNOV, resid, nn);   /* seeded */
    iparam[0] = 1;                 /* exact shifts */
    iparam[2] = s->max_iter;
    iparam[6] = 1;                 /* mode 1: A x = lambda x */
    for (;;) {
        dnaupd_c(&ido, "I", nb, "LM", nev, s->arpack_tol, resid, ncv, vb, nb,
                 iparam, ipntr, workd, workl, lworkl, &info);
        if (ido != -1 && ido != 1)
            break;
        apply(op, workd + ipntr[0] - 1, workd + ipntr[1] - 1);
    }
    if (info < 0)
        goto cleanup;
    dneupd_c(vr != NULL, "A", select, wr, wi, z, nb, 0.0, 0.0, workev, "I", nb, "LM",
             nev, s->arpack_tol, resid, ncv, vb, nb, iparam, ipntr, workd,
             workl, lworkl, &info);
    if (info != 0)
        goto cleanup;
    *nconv = iparam[4];
    if (vr)
        memcpy(vr, z, sizeof(double) * nn * (size_t)(nev + 1));
    rc = 0;
cleanup:
    free(resid);
    free(vb);
    free(workd);
    free(workl);
    free(workev);
    free(z);
    free(select);
    return rc;
}

typedef struct multiplier { double re, im, mod; } multiplier;

static int by_modulus(const void *a, const void *b)
{
    const multiplier *x = a, *y = b;
    if (x->mod != y->mod)
        return x->mod < y->mod ? 1 : -1;
    return (x->im < y->im) - (x->im > y->im);   /* +im first */
}

/* Sort the cnt eigenvalues wr/wi by modulus and keep the top nev. */
static int fill_result(const double *wr, const double *wi, int cnt, int nev,
                       int period, dln_floquet_result *out)
{
    multiplier *mu = malloc(sizeof *mu * (size_t)(cnt > 0 ? cnt : 1));
    if (!mu)
        return 1;
    for (int i = 0; i < cnt; i++)
        mu[i] = (multiplier){wr[i], wi[i], hypot(wr[i], wi[i])};
    qsort(mu, (size_t)cnt, sizeof *mu, by_modulus);
    out->n = cnt < nev ? cnt : nev;
    for (int i = 0; i < out->n; i++) {
        out->re[i] = mu[i].re;
        out->im[i] = mu[i].im;
        out->modulus[i] = mu[i].mod;
        out->argument[i] = atan2(mu[i].im, mu[i].re);
        out->exponent[i] = log(mu[i].mod) / period;
    }
    free(mu);
    return 0;
}

/* |x_p - x_0| / |x_0| of the stored orbit. */
static double closure(const dln_floquet *w, int period)
{
    size_t n = w->n;
    const double *x0 = w->states, *xp = w->states + (size_t)period * n;
    double d = 0.0, s = 0.0;
    for (size_t j = 0; j < n; j++) {
        d += (xp[j] - x0[j]) * (xp[j] - x0[j]);
        s += x0[j] * x0[j];
    }
    return s > 0.0 ? sqrt(d / s) : sqrt(d);
}

/* Eigenvalues of the recorded orbit's monodromy on block s->block into a
 * fresh wr/wi (and with want_vectors their vectors vr, block coordinates);
 * out gets method, counts and the top nev. Returns 0, 1. */
static int eigs(dln_floquet *w, dln_model *m, dln_svs *svs,
                const dln_floquet_settings *s, dln_floquet_result *out,
                int want_vectors, double **pwr, double **pwi, double **pvr,
                int *pcnt)
{
    int nb, cnt = 0;
    double *wr = NULL, *wi = NULL, *vr = NULL;
    monodromy op = {w, m, svs, s->block, s->quotient, 0};
    out->closure = closure(w, w->period);
    out->period = w->period;
    if (svs && s->quotient && s->block != DLN_BLOCK_INSET &&
        (out->neutral = dln_svs_set_point(svs, w->states)) < 0)
        return 1;
    if (svs && s->quotient && s->block != DLN_BLOCK_TRANSVERSE)
        out->neutral += dln_svs_stationary_neutral(svs);
    nb = svs ? (int)dln_svs_block_dim(svs, s->block) : (int)w->n;
    wr = malloc(sizeof(double) * (size_t)(nb + 1));
    wi = malloc(sizeof(double) * (size_t)(nb + 1));
    if (want_vectors)
        vr = malloc(sizeof(double) * (size_t)(nb + 1) * (size_t)(nb + 1));
    if (!wr || !wi || (want_vectors && !vr))
        goto fail;
    if (nb == 0) {   /* an empty block: nothing to find, nothing missed */
        out->converged = 1;
    } else if (nb <= s->dense_max || nb < s->nev + 3) {
        out->method = DLN_FLOQUET_DENSE;
        if (dense_eigs(&op, nb, wr, wi, vr))
            goto fail;
        cnt = nb;
        out->converged = 1;
    } else {
        out->method = DLN_FLOQUET_ARNOLDI;
        if (arnoldi_eigs(&op, nb, s, wr, wi, vr, &cnt))
            goto fail;
        out->converged = cnt >= s->nev;
    }
    out->matvecs = op.matvecs;
    out->hvps = op.matvecs * w->period;
    if (fill_result(wr, wi, cnt, s->nev, w->period, out))
        goto fail;
    *pwr = wr;
    *pwi = wi;
    *pvr = vr;
    *pcnt = cnt;
    return 0;
fail:
    free(wr);
    free(wi);
    free(vr);
    return 1;
}

static int bad_settings(const dln_floquet *w, const dln_model *m,
                        const dln_svs *svs, const dln_floquet_settings *s)
{
    return s->nev < 1 || s->nev > DLN_FLOQUET_MAX_NEV || s->settle < 0 ||
           dln_model_nparams(m) != w->n || (int)s->block < 0 ||
           s->block > DLN_BLOCK_TRANSVERSE ||
           (!svs && (s->block != DLN_BLOCK_FULL || s->quotient));
}

int dln_floquet_multipliers(dln_floquet *w, dln_model *m, dln_svs *svs,
                            const dln_floquet_settings *s,
                            dln_floquet_result *out)
{
    double *wr = NULL, *wi = NULL, *vr = NULL;
    int cnt, rc;
    memset(out, 0, sizeof *out);
    out->closure = NAN;
    if (w->period < 1 || bad_settings(w, m, svs, s))
        return 2;
    rc = eigs(w, m, svs, s, out, 0, &wr, &wi, &vr, &cnt);
    free(wr);
    free(wi);
    return rc;
}

int dln_floquet_vector(dln_floquet *w, dln_model *m, dln_svs *svs,
                       const dln_floquet_settings *s, double target,
                       double *mu, double *vec)
{
    dln_floquet_result out;
    double *wr = NULL, *wi = NULL, *vr = NULL;
    int cnt = 0, best = -1, rc = 2;
    memset(&out, 0, sizeof out);
    if (w->period < 1 || bad_settings(w, m, svs, s))
        return 2;
    rc = 1;
    if (eigs(w, m, svs, s, &out, 1, &wr, &wi, &vr, &cnt))
        goto cleanup;
    for (int i = 0; i < cnt; i++)
        if (wi[i] == 0.0 &&
            (best < 0 || fabs(wr[i] - target) < fabs(wr[best] - target)))
            best = i;
    rc = 2;
    if (best < 0)
        goto cleanup;   /* no real multiplier among those found */
    size_t nb = svs ? dln_svs_block_dim(svs, s->block) : w->n;
    const double *c = vr + (size_t)best * nb;
    if (svs)
        dln_svs_block_expand(svs, s->block, c, vec);
    else
        memcpy(vec, c, sizeof(double) * w->n);
    double norm = cblas_dnrm2((int)w->n, vec, 1);
    if (!(norm > 0.0))
        goto cleanup;
    cblas_dscal((int)w->n, 1.0 / norm, vec, 1);
    *mu = wr[best];
    rc = 0;
cleanup:
    free(wr);
    free(wi);
    free(vr);
    return rc;
}

int dln_floquet_run(dln_floquet *w, dln_model *m, double eta, int period,
                    dln_svs *svs, const dln_floquet_settings *s,
                    dln_floquet_result *out)
{
    int rc = 2;
    double *x_caller = NULL;
    memset(out, 0, sizeof *out);
    out->closure = NAN;
    out->period = period;
    if (period < 1 || bad_settings(w, m, svs, s))
        return 2;
    rc = 1;
    x_caller = malloc(sizeof(double) * w->n);
    if (!x_caller)
        goto cleanup;
    memcpy(x_caller, dln_model_params(m), sizeof(double) * w->n);
    int orc = record_orbit(w, m, x_caller, eta, period, s->settle);
    if (orc == 3) {   /* non-finite orbit: no multipliers */
        rc = 0;
        goto cleanup;
    }
    if (orc)
        goto cleanup;
    rc = dln_floquet_multipliers(w, m, svs, s, out);
cleanup:
    if (x_caller)
        dln_model_set_params(m, x_caller);
    free(x_caller);
    return rc;
}
