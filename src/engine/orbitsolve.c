/* orbitsolve.c — Newton-Krylov for p-cycles of the GD map, pseudo-arclength
 * corrector and branch tangent (method in orbitsolve.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include "dlnsweep/floquet.h"
#include "dlnsweep/gmres.h"
#include "dlnsweep/orbitsolve.h"

#define ORBIT_BACKTRACK 6    /* step halvings when the residual grows */

struct dln_orbitsolve {
    size_t n;
    dln_floquet *fw;         /* recorded orbit and tangent map            */
    dln_gmres *gm;           /* bordered systems, n + 1                   */
    int restart;
    double *f, *dx, *rhs, *ge, *trial, *zero, *qx;   /* n + 1 each        */
};

/* The linear operator of one solve. */
typedef struct solve_op {
    dln_orbitsolve *w;
    dln_model *m;
    dln_svs *svs;
    dln_block block;
    int period;
    int bordered;            /* 0: (M - I) dx; 1: [[M - I, ge], [tx, te]] */
    const double *hold;      /* direction removed from domain and range   */
    const double *tx;
    double te;
    long applications;
} solve_op;

void dln_orbitsolve_defaults(dln_orbitsolve_settings *s)
{
    memset(s, 0, sizeof *s);
    s->tol = 1e-14;
    s->accept = 1e-10;
    s->max_newton = 40;
    s->restart = 60;
    s->max_krylov = 600;
    s->krylov_rtol = 1e-12;
    s->block = DLN_BLOCK_FULL;
    s->eta_scale = 1.0;
    s->hold = NULL;
}

void dln_orbitsolve_destroy(dln_orbitsolve **pw)
{
    if (!pw || !*pw)
        return;
    dln_orbitsolve *w = *pw;
    dln_floquet_destroy(&w->fw);
    dln_gmres_destroy(&w->gm);
    free(w->f);
    free(w->dx);
    free(w->rhs);
    free(w->ge);
    free(w->trial);
    free(w->zero);
    free(w->qx);
    free(w);
    *pw = NULL;
}

int dln_orbitsolve_create(const dln_model *m, dln_orbitsolve **out)
{
    int rc = 1;
    dln_orbitsolve *w = calloc(1, sizeof *w);
    *out = NULL;
    if (!w)
        goto cleanup;
    w->n = dln_model_nparams(m);
    size_t n1 = w->n + 1;
    w->f = calloc(n1, sizeof(double));
    w->dx = calloc(n1, sizeof(double));
    w->rhs = calloc(n1, sizeof(double));
    w->ge = calloc(n1, sizeof(double));
    w->trial = calloc(n1, sizeof(double));
    w->zero = calloc(n1, sizeof(double));
    w->qx = calloc(n1, sizeof(double));
    if (!w->qx || !w->f || !w->dx || !w->rhs || !w->ge || !w->trial || !w->zero ||
        dln_floquet_create(m, &w->fw))
        goto cleanup;
    *out = w;
    w = NULL;
    rc = 0;
cleanup:
    dln_orbitsolve_destroy(&w);
    return rc;
}

/* GMRES workspace for the settings' restart length (re-made on change). */
static int gmres_ready(dln_orbitsolve *w, int restart)
{
    if (w->gm && w->restart == restart)
        return 0;
    dln_gmres_destroy(&w->gm);
    w->restart = restart;
    return dln_gmres_create(w->n + 1, restart, &w->gm);
}

static int bad_settings(const dln_model *m, const dln_svs *svs,
                        const dln_orbitsolve_settings *s, int period)
{
    return period < 1 || !s || s->max_newton < 1 || s->restart < 1 ||
           s->max_krylov < 1 || !(s->tol > 0.0) ||
           (s->block != DLN_BLOCK_FULL && s->block != DLN_BLOCK_INSET) ||
           (!svs && s->block != DLN_BLOCK_FULL);
}

/* v <- Q v: the block less its neutral directions (svs) and less hold. */
static void quotient(dln_svs *svs, dln_block b, const double *hold,
                     size_t n, double *v)
{
    if (svs)
        dln_svs_project(svs, b, 1, v);
    if (hold)
        cblas_daxpy((int)n, -cblas_ddot((int)n, hold, 1, v, 1), hold, 1, v,
                    1);
}

/* y = A x for the solve (vectors of length n + 1; the last entry is the
 * scaled eta of a bordered system, 0 otherwise). */
static int solve_apply(void *ctx, const double *x, double *y)
{
    solve_op *op = ctx;
    dln_orbitsolve *w = op->w;
    size_t n = w->n;
    const double *in = x;
    if (op->svs || op->hold) {   /* Q x */
        memcpy(w->qx, x, sizeof(double) * n);
        quotient(op->svs, op->block, op->hold, n, w->qx);
        in = w->qx;
    }
    if (dln_floquet_apply(w->fw, op->m, op->svs, op->block, op->period, in,
                          0.0, y))
        return 1;
    cblas_daxpy((int)n, -1.0, in, 1, y, 1);
    quotient(op->svs, op->block, op->hold, n, y);
    if (op->bordered) {
        cblas_daxpy((int)n, x[n], w->ge, 1, y, 1);
        y[n] = cblas_ddot((int)n, op->tx, 1, x, 1) + op->te * x[n];
    } else
        y[n] = x[n];
    op->applications++;
    return 0;
}

/* Record the orbit of x at eta and set w->f = Q (x_p - x_0); returns
 * |f| / |x|, Inf for a non-finite orbit, NaN on failure. */
static double evaluate(dln_orbitsolve *w, dln_model *m, dln_svs *svs,
                       dln_block b, const double *hold, double eta,
                       int period, const double *x)
{
    int rc = dln_floquet_record(w->fw, m, x, eta, period);
    if (rc == 3)
        return INFINITY;
    if (rc)
        return NAN;
    const double *xp = dln_floquet_state(w->fw, period);
    for (size_t j = 0; j < w->n; j++)
        w->f[j] = xp[j] - x[j];
    quotient(svs, b, hold, w->n, w->f);
    double nx = cblas_dnrm2((int)w->n, x, 1);
    return cblas_dnrm2((int)w->n, w->f, 1) / (nx > 0.0 ? nx : 1.0);
}

/* Newton on F(x, eta) = 0, with the arclength row when tx != NULL. */
static int newton(dln_orbitsolve *w, dln_model *m, dln_svs *svs, int period,
                  double *x, double *eta, const double *tx, double te,
                  const dln_orbitsolve_settings *s, dln_orbitsolve_result *res)
{
    size_t n = w->n;
    double scale = s->eta_scale > 0.0 ? s->eta_scale : 1.0;
    double xpred_e = *eta / scale;
    double *xpred = NULL;
    int rc = 1, stalls = 0;
    memset(res, 0, sizeof *res);
    if (gmres_ready(w, s->restart))
        return 1;
    if (tx && !(xpred = malloc(sizeof(double) * n)))
        return 1;
    if (tx)
        memcpy(xpred, x, sizeof(double) * n);
    if (svs)
        dln_svs_project(svs, s->block, 0, x);   /* back onto the set */
    double r = evaluate(w, m, svs, s->block, s->hold, *eta, period, x);
    for (;;) {
        res->residual = r;
        if (isnan(r))
            goto cleanup;
        if (!isfinite(r)) {
            rc = 0;
            goto cleanup;
        }
        double arc = 0.0;
        if (tx) {
            double d = 0.0;
            for (size_t j = 0; j < n; j++)
                d += tx[j] * (x[j] - xpred[j]);
            arc = d + te * (*eta / scale - xpred_e);
        }
        if ((r <= s->tol && fabs(arc) <= s->tol) ||
            res->newton >= s->max_newton || stalls >= 2) {
            res->converged = r <= s->tol ||
                             (r <= s->accept && (stalls >= 2 ||
                                                 res->newton >= s->max_newton));
            rc = 0;
            goto cleanup;
        }
        /* Linear system: A dx = -F (and -arc). */
        solve_op op = {w, m, svs, s->block, period, tx != NULL, s->hold, tx,
                       te, 0};
        if (tx && dln_floquet_apply(w->fw, m, svs, s->block, period, w->zero,
                                    scale, w->ge))
            goto cleanup;
        if (tx)
            quotient(svs, s->block, s->hold, n, w->ge);
        for (size_t j = 0; j < n; j++)
            w->rhs[j] = -w->f[j];
        w->rhs[n] = tx ? -arc : 0.0;
        memset(w->dx, 0, sizeof(double) * (n + 1));
        dln_gmres_info gi;
        if (dln_gmres_solve(w->gm, solve_apply, &op, w->rhs, w->dx,
                            s->krylov_rtol, s->max_krylov, &gi))
            goto cleanup;
        res->krylov += op.applications;
        /* rounding of the basis must not push x off the set */
        quotient(svs, s->block, s->hold, n, w->dx);
        res->hvps += op.applications * period;
        res->newton++;
        /* Backtrack while the residual grows. */
        double step = 1.0, rn = INFINITY, e0 = *eta;
        for (int k = 0; k <= ORBIT_BACKTRACK; k++, step *= 0.5) {
            for (size_t j = 0; j < n; j++)
                w->trial[j] = x[j] + step * w->dx[j];
            double et = tx ? e0 + step * scale * w->dx[n] : e0;
            rn = evaluate(w, m, svs, s->block, s->hold, et, period, w->trial);
            if (rn < r || (r < s->accept && rn < 2.0 * r) ||
                k == ORBIT_BACKTRACK) {
                memcpy(x, w->trial, sizeof(double) * n);
                *eta = et;
                break;
            }
        }
        stalls = rn > 0.5 * r && rn < s->accept ? stalls + 1 : 0;
        if (isnan(rn))
            goto cleanup;
        r = rn;
    }
cleanup:
    free(xpred);
    res->hvps += (long)res->newton * period;
    return rc;
}

int dln_orbitsolve_cycle(dln_orbitsolve *w, dln_model *m, dln_svs *svs,
                         double eta, int period, double *x,
                         const dln_orbitsolve_settings *s,
                         dln_orbitsolve_result *res)
{
    memset(res, 0, sizeof *res);
    if (bad_settings(m, svs, s, period) || !(eta > 0.0) ||
        dln_model_nparams(m) != w->n)
        return 2;
    return newton(w, m, svs, period, x, &eta, NULL, 0.0, s, res);
}

int dln_orbitsolve_arclength(dln_orbitsolve *w, dln_model *m, dln_svs *svs,
                             int period, double *x, double *eta,
                             const double *tx, double te,
                             const dln_orbitsolve_settings *s,
                             dln_orbitsolve_result *res)
{
    memset(res, 0, sizeof *res);
    if (bad_settings(m, svs, s, period) || !(*eta > 0.0) || !tx ||
        dln_model_nparams(m) != w->n)
        return 2;
    return newton(w, m, svs, period, x, eta, tx, te, s, res);
}

int dln_orbitsolve_tangent(dln_orbitsolve *w, dln_model *m, dln_svs *svs,
                           int period, const double *x, double eta,
                           double *tx, double *te,
                           const dln_orbitsolve_settings *s)
{
    size_t n = w->n;
    double scale = s->eta_scale > 0.0 ? s->eta_scale : 1.0;
    if (bad_settings(m, svs, s, period) || !(eta > 0.0) ||
        dln_model_nparams(m) != w->n)
        return 2;
    if (gmres_ready(w, s->restart) ||
        !isfinite(evaluate(w, m, svs, s->block, s->hold, eta, period, x)) ||
        dln_floquet_apply(w->fw, m, svs, s->block, period, w->zero, scale,
                          w->ge))
        return 1;
    quotient(svs, s->block, s->hold, n, w->ge);
    /* Border with the previous tangent (or e_eta): [A; t^T] t' = e_{n+1}. */
    double *prev = w->trial;
    double pn = cblas_dnrm2((int)n, tx, 1);
    memcpy(prev, tx, sizeof(double) * n);
    double pe = *te;
    if (pn == 0.0 && pe == 0.0)
        pe = 1.0;
    solve_op op = {w, m, svs, s->block, period, 1, s->hold, prev, pe, 0};
    memset(w->rhs, 0, sizeof(double) * (n + 1));
    w->rhs[n] = 1.0;
    memset(w->dx, 0, sizeof(double) * (n + 1));
    dln_gmres_info gi;
    if (dln_gmres_solve(w->gm, solve_apply, &op, w->rhs, w->dx,
                        s->krylov_rtol, s->max_krylov, &gi) ||
        gi.residual > 1e-6)
        return 1;
    quotient(svs, s->block, s->hold, n, w->dx);
    double norm = cblas_dnrm2((int)(n + 1), w->dx, 1);
    if (!(norm > 0.0) || !isfinite(norm))
        return 1;
    double sign = cblas_ddot((int)n, w->dx, 1, prev, 1) + w->dx[n] * pe;
    double f = (sign < 0.0 ? -1.0 : 1.0) / norm;
    for (size_t j = 0; j < n; j++)
        tx[j] = f * w->dx[j];
    *te = f * w->dx[n];
    return 0;
}

double dln_orbitsolve_subperiod_gap(dln_orbitsolve *w, dln_model *m,
                                    double eta, int period, const double *x)
{
    double best = INFINITY;
    if (period < 2 || dln_floquet_record(w->fw, m, x, eta, period))
        return best;
    const double *x0 = dln_floquet_state(w->fw, 0);
    double nx = cblas_dnrm2((int)w->n, x0, 1);
    for (int q = 1; q < period; q++) {
        if (period % q)
            continue;
        const double *xq = dln_floquet_state(w->fw, q);
        double d = 0.0;
        for (size_t j = 0; j < w->n; j++)
            d += (xq[j] - x0[j]) * (xq[j] - x0[j]);
        best = fmin(best, sqrt(d) / (nx > 0.0 ? nx : 1.0));
    }
    return best;
}
