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
 * Q and its eigenvalues are exactly H's. */
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

/* A fresh unit vector for column j of Q: seeded normals (stream depends on
 * the restart count) orthogonalised against columns 0..j-1.  Returns 0, or
 * 1 if nothing is left outside span(Q) (j == n in exact arithmetic). */
static int fresh_direction(double *q, int n, int j, uint64_t seed,
                           int restart, double *coef, double *tmp)
{
    double *w = q + (size_t)j * n;
    uint64_t stream = DLN_STREAM_LANCZOS + ((uint64_t)restart << 32);
    dln_rng_normal(seed, stream, w, (size_t)n);
    double before = norm2(n, w);
    orthogonalise(q, n, j, w, coef, tmp);
    double after = norm2(n, w);
    if (!(after > 1e-8 * before))
        return 1;
    cblas_dscal(n, 1.0 / after, w, 1);
    return 0;
}

int dln_lanczos_top(dln_model *m, int iters, int k, uint64_t seed,
                    double *top)
{
    int rc = 2;
    double *q = NULL, *w = NULL, *alpha = NULL, *beta = NULL, *coef = NULL;
    double *tmp = NULL;
    if (!m || !top || iters < 1 || k < 1 || k > iters)
        goto cleanup;
    size_t nparams = dln_model_nparams(m);
    if (nparams < 1 || nparams > (size_t)INT32_MAX)
        goto cleanup;
    int n = (int)nparams;
    int steps = iters < n ? iters : n;
    rc = 1;
    q = malloc(sizeof(double) * (size_t)n * steps);
    w = malloc(sizeof(double) * (size_t)n);
    alpha = malloc(sizeof(double) * (size_t)steps);
    beta = malloc(sizeof(double) * (size_t)steps);
    coef = malloc(sizeof(double) * (size_t)steps);
    tmp = malloc(sizeof(double) * (size_t)steps);
    if (!q || !w || !alpha || !beta || !coef || !tmp)
        goto cleanup;
    for (int i = 0; i < k; i++)
        top[i] = NAN;
    int restart = 0, done = 0;
    fresh_direction(q, n, 0, seed, restart, coef, tmp);
    double hnorm = 0.0;   /* largest ||H q_j|| seen: the scale of H */
    for (int j = 0; j < steps; j++) {
        const double *qj = q + (size_t)j * n;
        dln_model_hvp(m, qj, w);
        double hq = norm2(n, w);
        if (!isfinite(hq)) {   /* NaN/Inf parameters: no spectrum */
            rc = 0;
            goto cleanup;
        }
        if (hq > hnorm)
            hnorm = hq;
        orthogonalise(q, n, j + 1, w, coef, tmp);
        alpha[j] = coef[j];
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
            if (fresh_direction(q, n, j + 1, seed, ++restart, coef, tmp))
                break;
        }
    }
    /* Eigenvalues of the tridiagonal T (ascending; alpha, beta overwritten). */
    if (LAPACKE_dstev(LAPACK_COL_MAJOR, 'N', done, alpha, beta, NULL, 1) != 0)
        goto cleanup;
    for (int i = 0; i < k && i < done; i++)
        top[i] = alpha[done - 1 - i];
    rc = 0;
cleanup:
    free(q);
    free(w);
    free(alpha);
    free(beta);
    free(coef);
    free(tmp);
    return rc;
}
