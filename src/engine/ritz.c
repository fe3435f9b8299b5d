/* ritz.c — top eigenvalues tracked by Rayleigh-Ritz on a block Krylov
 * space warm-started from the previous Ritz vectors (ritz.h).
 *
 * The basis V (n x m, orthonormal by CGS2 against all of V) and HV = H V
 * grow together; the projected matrix G = V^T H V (summed over ranks,
 * symmetrised) is diagonalised by LAPACK dsyev, its top b eigenpairs give
 * Ritz vectors X = V Z, H X = HV Z and residuals R = HX - X diag(theta).
 * Unconverged residuals are appended to V (one HVP each); a full V
 * restarts from X, HX (no HVP).  Every reduction goes through the
 * driver's sum, so distributed ranks agree bit for bit. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include <lapacke.h>
#include "dlnsweep/ritz.h"

#define RITZ_MAX_RESTARTS 12   /* thick restarts per attempt              */
#define RITZ_DROP 1e-10        /* a vector left with less of its norm after
                                  orthogonalisation adds nothing          */

struct dln_ritz {
    size_t n, ng;            /* local and global length                   */
    int k, b, mmax;          /* wanted, carried, basis capacity           */
    int m;                   /* basis vectors now                         */
    double *v, *hv;          /* n x mmax basis and H times it             */
    double *y;               /* n x b Ritz vectors of the last step, then
                                n x b of the step before (history 2)      */
    double *x, *hx, *r;      /* n x b Ritz vectors, H x, residuals        */
    double *g;               /* mmax x mmax projected matrix / eigvecs    */
    double *theta;           /* mmax eigenvalues of g, ascending          */
    double *coef;            /* mmax + b reduction scratch                */
    double *col;             /* n: one vector being appended              */
    double *work;
    lapack_int lwork;
    int nb;                  /* Ritz pairs of the last Rayleigh-Ritz      */
    int have_y;              /* steps of Ritz vectors held: 0, 1 or 2     */
    long hvps;
    long updates;            /* dln_ritz_update calls: the probe's stream */
};

int dln_ritz_create(size_t nlocal, size_t nglobal, int k, int max_basis,
                    dln_ritz **out)
{
    dln_ritz *t;
    *out = NULL;
    if (nglobal < 1 || nlocal > nglobal || k < 1 || k > 16 || max_basis < 1)
        return 2;
    if (!(t = calloc(1, sizeof *t)))
        return 1;
    t->n = nlocal;
    t->ng = nglobal;
    t->k = k;
    t->b = k + DLN_RITZ_GUARD;
    if ((size_t)t->b > nglobal)
        t->b = (int)nglobal;
    int least = 3 * t->b + DLN_RITZ_PROBE;
    t->mmax = max_basis > least ? max_basis : least;
    if ((size_t)t->mmax > nglobal)
        t->mmax = (int)nglobal;
    size_t n = nlocal ? nlocal : 1, mm = (size_t)t->mmax, b = (size_t)t->b;
    double q = 0.0, dummy = 0.0;
    if (LAPACKE_dsyev_work(LAPACK_COL_MAJOR, 'V', 'U', t->mmax, &dummy,
                           t->mmax, &dummy, &q, -1) != 0) {
        free(t);
        return 1;
    }
    t->lwork = (lapack_int)q + 1;
    t->v = malloc(sizeof(double) * n * mm);
    t->hv = malloc(sizeof(double) * n * mm);
    t->y = malloc(sizeof(double) * n * b * 2);
    t->x = malloc(sizeof(double) * n * b);
    t->hx = malloc(sizeof(double) * n * b);
    t->r = malloc(sizeof(double) * n * b);
    t->g = malloc(sizeof(double) * mm * mm);
    t->theta = malloc(sizeof(double) * mm);
    t->coef = malloc(sizeof(double) * (mm + b + 1));
    t->col = malloc(sizeof(double) * n);
    t->work = malloc(sizeof(double) * (size_t)t->lwork);
    if (!t->v || !t->hv || !t->y || !t->x || !t->hx || !t->r || !t->g ||
        !t->theta || !t->coef || !t->col || !t->work) {
        dln_ritz_destroy(&t);
        return 1;
    }
    *out = t;
    return 0;
}

void dln_ritz_destroy(dln_ritz **tp)
{
    dln_ritz *t = tp ? *tp : NULL;
    if (!t)
        return;
    free(t->v);
    free(t->hv);
    free(t->y);
    free(t->x);
    free(t->hx);
    free(t->r);
    free(t->g);
    free(t->theta);
    free(t->coef);
    free(t->col);
    free(t->work);
    free(t);
    *tp = NULL;
}

void dln_ritz_reset(dln_ritz *t) { t->have_y = 0; }

long dln_ritz_hvps(const dln_ritz *t) { return t->hvps; }

static void sum(const dln_ritz_ops *ops, double *buf, int count)
{
    if (ops->sum)
        ops->sum(ops->ctx, buf, count);
}

/* Orthogonalise c (t->col) against V's m columns twice (CGS2), normalise
 * it and append it with H c; returns 1 if appended, 0 if nothing of c is
 * left outside span(V) (or it is not finite). */
static int append(dln_ritz *t, const dln_ritz_ops *ops)
{
    int n = (int)t->n, m = t->m;
    double *c = t->col, *coef = t->coef;
    double before = n ? cblas_ddot(n, c, 1, c, 1) : 0.0;
    sum(ops, &before, 1);
    if (!(before > 0.0) || !isfinite(before))
        return 0;
    for (int pass = 0; pass < 2 && m > 0; pass++) {
        if (n)
            cblas_dgemv(CblasColMajor, CblasTrans, n, m, 1.0, t->v, n, c, 1,
                        0.0, coef, 1);
        else
            memset(coef, 0, sizeof(double) * (size_t)m);
        sum(ops, coef, m);
        if (n)
            cblas_dgemv(CblasColMajor, CblasNoTrans, n, m, -1.0, t->v, n,
                        coef, 1, 1.0, c, 1);
    }
    double after = n ? cblas_ddot(n, c, 1, c, 1) : 0.0;
    sum(ops, &after, 1);
    if (!(after > RITZ_DROP * RITZ_DROP * before) || m == t->mmax)
        return 0;
    double *dst = t->v + (size_t)m * t->n;
    double s = 1.0 / sqrt(after);
    for (int i = 0; i < n; i++)
        dst[i] = c[i] * s;
    ops->hvp(ops->ctx, dst, t->hv + (size_t)m * t->n);
    t->hvps++;
    t->m++;
    return 1;
}

/* Rayleigh-Ritz on V: the top nb = min(b, m) Ritz values into theta (the
 * first nb entries, descending), X, HX, residuals R and their norms into
 * rn.  Returns 0, or 1 if G is not finite or dsyev fails. */
static int rayleigh_ritz(dln_ritz *t, const dln_ritz_ops *ops, double *rn)
{
    int n = (int)t->n, m = t->m, nb = t->b < m ? t->b : m;
    double *g = t->g;
    if (n)
        cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, m, m, n, 1.0,
                    t->v, n, t->hv, n, 0.0, g, m);
    else
        memset(g, 0, sizeof(double) * (size_t)m * m);
    sum(ops, g, m * m);
    for (int i = 0; i < m; i++)
        for (int j = 0; j < i; j++) {
            double a = 0.5 * (g[i + (size_t)j * m] + g[j + (size_t)i * m]);
            if (!isfinite(a))
                return 1;
            g[i + (size_t)j * m] = g[j + (size_t)i * m] = a;
        }
    for (int i = 0; i < m; i++)
        if (!isfinite(g[i + (size_t)i * m]))
            return 1;
    if (LAPACKE_dsyev_work(LAPACK_COL_MAJOR, 'V', 'U', m, g, m, t->theta,
                           t->work, t->lwork) != 0)
        return 1;
    /* Top nb eigenvectors: columns m-1, m-2, ... of g, in that order. */
    for (int i = 0; i < nb; i++) {
        const double *z = g + (size_t)(m - 1 - i) * m;
        double *xi = t->x + (size_t)i * t->n, *hxi = t->hx + (size_t)i * t->n;
        double *ri = t->r + (size_t)i * t->n, th = t->theta[m - 1 - i];
        if (n) {
            cblas_dgemv(CblasColMajor, CblasNoTrans, n, m, 1.0, t->v, n, z, 1,
                        0.0, xi, 1);
            cblas_dgemv(CblasColMajor, CblasNoTrans, n, m, 1.0, t->hv, n, z,
                        1, 0.0, hxi, 1);
            for (int j = 0; j < n; j++)
                ri[j] = hxi[j] - th * xi[j];
            rn[i] = cblas_ddot(n, ri, 1, ri, 1);
        } else
            rn[i] = 0.0;
        t->coef[i] = th;   /* descending, before g's columns are reused */
    }
    sum(ops, rn, nb);
    for (int i = 0; i < nb; i++) {
        t->theta[i] = t->coef[i];
        rn[i] = sqrt(rn[i]);
    }
    t->nb = nb;
    return 0;
}

/* A fresh seeded vector p (start vector b + the number of updates so far)
 * and H p, ..., H^(DLN_RITZ_PROBE - 1) p into the basis.  Warm vectors
 * span a space the Krylov expansions never leave when H keeps a symmetry
 * (the two partners of a degenerate pair of a diagonal network), so an
 * eigenvalue of the other kind that rises into the top k would be missed;
 * p has a part of every kind, and its powers raise the top eigenvectors'
 * parts (chaotic orbits of the Figure-1 network lost lambda_2 without
 * it). */
static void probe(dln_ritz *t, const dln_ritz_ops *ops)
{
    ops->start(ops->ctx, t->b + (int)(t->updates % 1000000), t->col);
    for (int d = 0; d < DLN_RITZ_PROBE && append(t, ops); d++) {
        if (t->n)   /* the next power: H of the vector just appended */
            memcpy(t->col, t->hv + (size_t)(t->m - 1) * t->n,
                   sizeof(double) * t->n);
    }
}

/* Basis from the start vectors (cold), or from the Ritz vectors of the
 * last two steps: along a 2-cycle the step before last is the same point,
 * whose vectors then need no expansion; near a fixed point they repeat
 * the last step's and drop out of the basis at no cost. */
static void first_block(dln_ritz *t, const dln_ritz_ops *ops, int cold)
{
    t->m = 0;
    for (int j = 0; j < (cold ? 1 : t->have_y) * t->b; j++) {
        if (cold)
            ops->start(ops->ctx, j, t->col);
        else if (t->n)
            memcpy(t->col, t->y + (size_t)j * t->n, sizeof(double) * t->n);
        append(t, ops);
    }
    if (!cold)
        probe(t, ops);
}

/* Iterate from the current basis to convergence: 0 converged (theta,
 * x filled), 1 not. */
static int iterate(dln_ritz *t, const dln_ritz_ops *ops)
{
    double rn[16 + DLN_RITZ_GUARD];
    int restarts = 0;
    size_t n = t->n;
    if (t->m == 0)
        return 1;
    for (;;) {
        if (rayleigh_ritz(t, ops, rn))
            return 1;
        double tol = DLN_RITZ_TOL * fmax(fabs(t->theta[0]), DBL_MIN);
        int open = 0, done = (size_t)t->m == t->ng;   /* all: exact */
        for (int i = 0; i < t->nb; i++)
            open += rn[i] > tol;
        if (!done && t->nb >= t->k) {
            done = 1;
            for (int i = 0; i < t->k; i++)
                done &= rn[i] <= tol;
        }
        if (done)
            return 0;
        if (t->m + open > t->mmax) {   /* thick restart from X, HX */
            if (restarts++ == RITZ_MAX_RESTARTS)
                return 1;
            if (n) {
                memcpy(t->v, t->x, sizeof(double) * n * (size_t)t->nb);
                memcpy(t->hv, t->hx, sizeof(double) * n * (size_t)t->nb);
            }
            t->m = t->nb;
        }
        int added = 0;
        for (int i = 0; i < t->nb; i++)
            if (rn[i] > tol) {
                if (n)
                    memcpy(t->col, t->r + (size_t)i * n, sizeof(double) * n);
                added += append(t, ops);
            }
        if (!added)
            return 1;
    }
}

int dln_ritz_update(dln_ritz *t, const dln_ritz_ops *ops, double *top)
{
    int cold = !t->have_y;
    t->updates++;
    for (int attempt = 0; attempt < 2; attempt++) {
        first_block(t, ops, cold);
        if (iterate(t, ops) == 0) {
            for (int i = 0; i < t->k; i++)
                top[i] = i < t->nb ? t->theta[i] : NAN;
            size_t blk = t->n * (size_t)t->b;
            if (t->nb < t->b)
                t->have_y = 0;   /* a space smaller than b: no history */
            else {
                if (t->n) {
                    memcpy(t->y + blk, t->y, sizeof(double) * blk);
                    memcpy(t->y, t->x, sizeof(double) * blk);
                }
                t->have_y = t->have_y ? 2 : 1;
            }
            return 0;
        }
        if (cold)
            break;
        cold = 1;   /* the warm start failed: once more from scratch */
    }
    for (int i = 0; i < t->k; i++)
        top[i] = NAN;
    t->have_y = 0;
    return 1;
}
