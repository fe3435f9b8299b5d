/* lanczos.c — top Hessian eigenvalues by Lanczos with full
 * reorthogonalisation on exact Hessian-vector products.
 *
 * The basis Q = [q_0 .. q_{j}] stays orthonormal to rounding by two passes
 * of classical Gram-Schmidt against all of Q after every HVP (CGS2), so
 * T = Q^T H Q is tridiagonal to rounding and its eigenvalues (LAPACK dstev)
 * are Ritz values of H.  When the Krylov space becomes invariant
 * (beta ~ 0, e.g. at a balanced minimum whose Hessian has few distinct
 * eigenvalues) the iteration restarts from a fresh seeded random vector
 * orthogonal to Q with a zero coupling in T; that is what lets repeated
 * eigenvalues show up with their multiplicity.  At most min(iters, nparams)
 * steps are taken; with iters >= nparams T is the full Hessian in the basis
 * Q and its eigenvalues are exactly H's.
 *
 * A workspace with a bounded basis (dln_lanczos_create_bounded: cols <
 * min(iters, nparams) vectors) runs thick-restart Lanczos (Wu and Simon,
 * SIAM J. Matrix Anal. Appl. 22, 2000) on the same HVP budget: the
 * projected matrix T = Q^T H Q is kept dense (its columns are the CGS2
 * coefficients), and when Q is full its top `keep` Ritz vectors replace it
 * (Q <- Q Y in place, row block by row block) and the residual continues
 * the space.  Everything is seeded and serial BLAS, so it is as
 * deterministic as the unbounded run (ARPACK is not used: its restarts
 * draw from a process-wide seed). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include <lapacke.h>
#include "dlnsweep/lanczos.h"
#include "dlnsweep/rng.h"

/* Relative size of a residual below which the Krylov space is invariant. */
#define DLN_LANCZOS_BREAKDOWN 1e-12

/* ||x||_2: sqrt of ddot (vectorised), or the scaled dnrm2 (several times
 * slower) where the sum of squares over- or underflows. */
static double norm2(int n, const double *x)
{
    double ss = cblas_ddot(n, x, 1, x, 1);
    if (ss > 1e-280 && ss < 1e280)
        return sqrt(ss);
    return cblas_dnrm2(n, x, 1);
}

/* w <- w - Q Q^T w twice (CGS2) for Q = n x j; coef (length j) gets the
 * summed projection coefficients Q^T w of the original w. */
static void orthogonalise(const double *q, int n, int j, double *w,
                          double *coef, double *tmp)
{
    if (j == 0)
        return;
    memset(coef, 0, sizeof(double) * (size_t)j);
    for (int pass = 0; pass < 2; pass++) {
        cblas_dgemv(CblasColMajor, CblasTrans, n, j, 1.0, q, n, w, 1, 0.0,
                    tmp, 1);
        cblas_dgemv(CblasColMajor, CblasNoTrans, n, j, -1.0, q, n, tmp, 1,
                    1.0, w, 1);
        cblas_daxpy(j, 1.0, tmp, 1, coef, 1);
    }
}

struct dln_lanczos {
    int n;                    /* parameters                                */
    int steps;                /* Krylov steps it has room for              */
    int cols;                 /* basis vectors held (< steps: restarted)   */
    double *q, *w, *alpha, *beta, *coef, *tmp;
    double *t, *y, *theta;    /* restarted: T, its eigenvectors, values    */
    double *blk, *work;       /* restarted: a row block of Q Y, dsyev's    */
    double *start;            /* the seeded normals of restart 0 ...       */
    uint64_t start_seed;      /* ... for this seed                         */
    int have_start;
};

/* A fresh unit vector for column j of Q: seeded normals (stream depends on
 * the restart count; restart 0's are kept for the next run with the same
 * seed) orthogonalised against columns 0..j-1.  Returns 0, or 1 if nothing
 * is left outside span(Q) (j == n in exact arithmetic). */
static int fresh_direction(dln_lanczos *l, int j, uint64_t seed, int restart)
{
    int n = l->n;
    double *w = l->q + (size_t)j * n;
    uint64_t stream = DLN_STREAM_LANCZOS + ((uint64_t)restart << 32);
    if (restart == 0 && l->have_start && l->start_seed == seed) {
        memcpy(w, l->start, sizeof(double) * (size_t)n);
    } else {
        dln_rng_normal(seed, stream, w, (size_t)n);
        if (restart == 0) {
            memcpy(l->start, w, sizeof(double) * (size_t)n);
            l->start_seed = seed;
            l->have_start = 1;
        }
    }
    double before = norm2(n, w);
    orthogonalise(l->q, n, j, w, l->coef, l->tmp);
    double after = norm2(n, w);
    if (!(after > 1e-8 * before))
        return 1;
    cblas_dscal(n, 1.0 / after, w, 1);
    return 0;
}

int dln_lanczos_create(size_t nparams, int iters, dln_lanczos **out)
{
    return dln_lanczos_create_bounded(nparams, iters, 0, out);
}

int dln_lanczos_create_bounded(size_t nparams, int iters, int basis,
                               dln_lanczos **out)
{
    dln_lanczos *l = NULL;
    *out = NULL;
    if (nparams < 1 || nparams > (size_t)INT32_MAX || iters < 1 ||
        basis < 0 || (basis > 0 && basis < DLN_LANCZOS_MIN_BASIS))
        return 2;
    if (!(l = calloc(1, sizeof *l)))
        return 1;
    l->n = (int)nparams;
    l->steps = iters < l->n ? iters : l->n;
    l->cols = basis > 0 && basis < l->steps ? basis : l->steps;
    size_t n = nparams, st = (size_t)l->steps, mb = (size_t)l->cols;
    if (l->cols < l->steps) {
        l->t = malloc(sizeof(double) * mb * mb);
        l->y = malloc(sizeof(double) * mb * mb);
        l->theta = malloc(sizeof(double) * mb);
        l->blk = malloc(sizeof(double) * DLN_LANCZOS_ROW_BLOCK * mb);
        l->work = malloc(sizeof(double) * 3 * mb);
        if (!l->t || !l->y || !l->theta || !l->blk || !l->work) {
            dln_lanczos_destroy(&l);
            return 1;
        }
    }
    l->q = malloc(sizeof(double) * n * mb);
    l->w = malloc(sizeof(double) * n);
    l->start = malloc(sizeof(double) * n);
    l->alpha = malloc(sizeof(double) * st);
    l->beta = malloc(sizeof(double) * st);
    l->coef = malloc(sizeof(double) * st);
    l->tmp = malloc(sizeof(double) * st);
    if (!l->q || !l->w || !l->start || !l->alpha || !l->beta || !l->coef ||
        !l->tmp) {
        dln_lanczos_destroy(&l);
        return 1;
    }
    *out = l;
    return 0;
}

void dln_lanczos_destroy(dln_lanczos **lp)
{
    dln_lanczos *l = lp ? *lp : NULL;
    if (!l)
        return;
    free(l->q);
    free(l->w);
    free(l->start);
    free(l->alpha);
    free(l->beta);
    free(l->coef);
    free(l->tmp);
    free(l->t);
    free(l->y);
    free(l->theta);
    free(l->blk);
    free(l->work);
    free(l);
    *lp = NULL;
}

int dln_lanczos_projected_eig(const double *t, int ldt, int dim, int vectors,
                              double *y, double *theta, double *work)
{
    for (int j = 0; j < dim; j++)
        memcpy(y + (size_t)j * dim, t + (size_t)j * ldt,
               sizeof(double) * (size_t)dim);
    return LAPACKE_dsyev_work(LAPACK_COL_MAJOR, vectors ? 'V' : 'N', 'U',
                              dim, y, dim, theta, work, 3 * ldt) != 0;
}

void dln_lanczos_compress(double *q, int rows, int ldt, int keep,
                          const double *y, const double *theta, double *t,
                          double *blk)
{
    const double *ysel = y + (size_t)(ldt - keep) * ldt;
    for (int r0 = 0; r0 < rows; r0 += DLN_LANCZOS_ROW_BLOCK) {
        int nr = rows - r0 < DLN_LANCZOS_ROW_BLOCK ? rows - r0
                                                   : DLN_LANCZOS_ROW_BLOCK;
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, nr, keep,
                    ldt, 1.0, q + r0, rows, ysel, ldt, 0.0, blk, nr);
        for (int j = 0; j < keep; j++)
            memcpy(q + r0 + (size_t)j * rows, blk + (size_t)j * nr,
                   sizeof(double) * (size_t)nr);
    }
    memset(t, 0, sizeof(double) * (size_t)ldt * ldt);
    for (int j = 0; j < keep; j++)
        t[j + (size_t)j * ldt] = theta[ldt - keep + j];
}

/* dln_lanczos_run on a bounded basis (l->cols < steps): thick restart. */
static int run_restarted(dln_lanczos *l, dln_model *m, int steps, int k,
                         uint64_t seed, double *top)
{
    int n = l->n, mb = l->cols, restart = 0, cur = 1, done = 0;
    int keep = (mb + k) / 2;
    double *q = l->q, *w = l->w, hnorm = 0.0;
    if (k + 2 > mb)
        return 2;
    if (keep > mb - 1)
        keep = mb - 1;
    memset(l->t, 0, sizeof(double) * (size_t)mb * mb);
    fresh_direction(l, 0, seed, restart);
    for (int hv = 0; hv < steps; hv++) {
        int j = cur - 1;
        dln_model_hvp(m, q + (size_t)j * n, w);
        double hq = norm2(n, w);
        if (!isfinite(hq))
            return 0;
        if (hq > hnorm)
            hnorm = hq;
        orthogonalise(q, n, cur, w, l->coef, l->tmp);
        for (int i = 0; i <= j; i++)
            l->t[i + (size_t)j * mb] = l->t[j + (size_t)i * mb] = l->coef[i];
        done = cur;
        if (hv + 1 == steps)
            break;
        double b = norm2(n, w);
        if (cur == mb) {
            if (dln_lanczos_projected_eig(l->t, mb, mb, 1, l->y, l->theta,
                                          l->work))
                return 1;
            dln_lanczos_compress(l->q, n, mb, keep, l->y, l->theta, l->t,
                                 l->blk);
            cur = done = keep;
        }
        if (b > DLN_LANCZOS_BREAKDOWN * hnorm) {
            double inv = 1.0 / b, *next = q + (size_t)cur * n;
            for (int i = 0; i < n; i++)
                next[i] = w[i] * inv;
        } else if (fresh_direction(l, cur, seed, ++restart))
            break;
        cur++;
    }
    if (dln_lanczos_projected_eig(l->t, mb, done, 0, l->y, l->theta,
                                  l->work))
        return 1;
    for (int i = 0; i < k && i < done; i++)
        top[i] = l->theta[done - 1 - i];
    return 0;
}

int dln_lanczos_run(dln_lanczos *l, dln_model *m, int iters, int k,
                    uint64_t seed, double *top)
{
    if (!l || !m || !top || iters < 1 || k < 1 || k > iters ||
        dln_model_nparams(m) != (size_t)l->n)
        return 2;
    int n = l->n;
    int steps = iters < n ? iters : n;
    if (steps > l->steps)
        return 2;
    if (l->cols < steps) {
        for (int i = 0; i < k; i++)
            top[i] = NAN;
        return run_restarted(l, m, steps, k, seed, top);
    }
    double *q = l->q, *w = l->w, *alpha = l->alpha, *beta = l->beta;
    for (int i = 0; i < k; i++)
        top[i] = NAN;
    int restart = 0, done = 0;
    fresh_direction(l, 0, seed, restart);
    double hnorm = 0.0;   /* largest ||H q_j|| seen: the scale of H */
    for (int j = 0; j < steps; j++) {
        const double *qj = q + (size_t)j * n;
        dln_model_hvp(m, qj, w);
        double hq = norm2(n, w);
        if (!isfinite(hq))     /* NaN/Inf parameters: no spectrum */
            return 0;
        if (hq > hnorm)
            hnorm = hq;
        orthogonalise(q, n, j + 1, w, l->coef, l->tmp);
        alpha[j] = l->coef[j];
        done = j + 1;
        if (j + 1 == steps)
            break;
        double b = norm2(n, w);
        double *next = q + (size_t)(j + 1) * n;
        if (b > DLN_LANCZOS_BREAKDOWN * hnorm) {
            beta[j] = b;
            double inv = 1.0 / b;   /* a multiply vectorises, a divide not */
            for (int i = 0; i < n; i++)
                next[i] = w[i] * inv;
        } else {   /* invariant subspace: restart orthogonally to Q */
            beta[j] = 0.0;
            if (fresh_direction(l, j + 1, seed, ++restart))
                break;
        }
    }
    return dln_lanczos_ritz_top(done, alpha, beta, k, top);
}

int dln_lanczos_ritz_top(int done, double *alpha, double *beta, int k,
                         double *top)
{
    /* Eigenvalues of T, ascending, into alpha. */
    if (LAPACKE_dstev(LAPACK_COL_MAJOR, 'N', done, alpha, beta, NULL, 1) != 0)
        return 1;
    for (int i = 0; i < k && i < done; i++)
        top[i] = alpha[done - 1 - i];
    return 0;
}

int dln_lanczos_top(dln_model *m, int iters, int k, uint64_t seed,
                    double *top)
{
    dln_lanczos *l = NULL;
    if (!m || !top || iters < 1 || k < 1 || k > iters)
        return 2;
    int rc = dln_lanczos_create(dln_model_nparams(m), iters, &l);
    if (rc == 0)
        rc = dln_lanczos_run(l, m, iters, k, seed, top);
    dln_lanczos_destroy(&l);
    return rc;
}
