/* gmres.c — restarted GMRES(m) on an operator (method in gmres.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include "dlnsweep/gmres.h"

#define GMRES_PIVOT_TOL 1e-14   /* |R_jj| / max |R_ii| below: singular */
#define GMRES_BREAKDOWN_TOL 1e-13   /* |w| after / before orthogonalising */

struct dln_gmres {
    size_t n;
    int m;
    double *V;            /* basis, n x (m + 1)                        */
    double *H;            /* Hessenberg, (m + 1) x m, column-major     */
    double *cs, *sn, *g;  /* Givens rotations and rotated residual     */
    double *y, *r;        /* coefficients (m), residual (n)            */
};

void dln_gmres_destroy(dln_gmres **pg)
{
    if (!pg || !*pg)
        return;
    dln_gmres *g = *pg;
    free(g->V);
    free(g->H);
    free(g->cs);
    free(g->sn);
    free(g->g);
    free(g->y);
    free(g->r);
    free(g);
    *pg = NULL;
}

int dln_gmres_create(size_t n, int m, dln_gmres **out)
{
    int rc = 2;
    dln_gmres *g = NULL;
    *out = NULL;
    if (n < 1 || m < 1)
        return 2;
    rc = 1;
    g = calloc(1, sizeof *g);
    if (!g)
        goto cleanup;
    g->n = n;
    g->m = m;
    size_t m1 = (size_t)m + 1;
    g->V = malloc(sizeof(double) * n * m1);
    g->H = malloc(sizeof(double) * m1 * (size_t)m);
    g->cs = malloc(sizeof(double) * m1);
    g->sn = malloc(sizeof(double) * m1);
    g->g = malloc(sizeof(double) * m1);
    g->y = malloc(sizeof(double) * m1);
    g->r = malloc(sizeof(double) * n);
    if (!g->V || !g->H || !g->cs || !g->sn || !g->g || !g->y || !g->r)
        goto cleanup;
    *out = g;
    g = NULL;
    rc = 0;
cleanup:
    dln_gmres_destroy(&g);
    return rc;
}

/* r = b - A x; returns op's code. */
static int residual(dln_gmres *g, dln_gmres_op op, void *ctx,
                    const double *b, const double *x, int *iters)
{
    if (op(ctx, x, g->r))
        return 1;
    (*iters)++;
    for (size_t i = 0; i < g->n; i++)
        g->r[i] = b[i] - g->r[i];
    return 0;
}

/* One Arnoldi step: orthogonalise column j + 1 of V against 0..j (twice),
 * writing column j of H. Returns the norm left, 0 when only rounding is
 * left (the Krylov space is invariant: a lucky breakdown). */
static double orthogonalise(dln_gmres *g, int j)
{
    int n = (int)g->n;
    double *w = g->V + (size_t)(j + 1) * g->n, *h = g->H + (size_t)j *
                                                      (size_t)(g->m + 1);
    double before = cblas_dnrm2(n, w, 1);
    memset(h, 0, sizeof(double) * (size_t)(j + 2));
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i <= j; i++) {
            const double *vi = g->V + (size_t)i * g->n;
            double c = cblas_ddot(n, w, 1, vi, 1);
            cblas_daxpy(n, -c, vi, 1, w, 1);
            h[i] += c;
        }
    double left = cblas_dnrm2(n, w, 1);
    return left > GMRES_BREAKDOWN_TOL * before ? left : 0.0;
}

/* Apply the earlier rotations to column j of H, then a new one that zeroes
 * H[j+1][j]; returns |g[j+1]|, the residual norm after j + 1 steps. */
static double rotate(dln_gmres *g, int j)
{
    double *h = g->H + (size_t)j * (size_t)(g->m + 1);
    for (int i = 0; i < j; i++) {
        double a = g->cs[i] * h[i] + g->sn[i] * h[i + 1];
        h[i + 1] = -g->sn[i] * h[i] + g->cs[i] * h[i + 1];
        h[i] = a;
    }
    double rr = hypot(h[j], h[j + 1]);
    g->cs[j] = rr > 0.0 ? h[j] / rr : 1.0;
    g->sn[j] = rr > 0.0 ? h[j + 1] / rr : 0.0;
    h[j] = rr;
    h[j + 1] = 0.0;
    g->g[j + 1] = -g->sn[j] * g->g[j];
    g->g[j] = g->cs[j] * g->g[j];
    return fabs(g->g[j + 1]);
}

/* x += V y with R y = g over the first k columns, a negligible pivot (a
 * singular system's null direction) ending the solve there. */
static void update(dln_gmres *g, int k, double *x)
{
    size_t ld = (size_t)g->m + 1;
    double rmax = 0.0;
    for (int i = 0; i < k; i++)
        rmax = fmax(rmax, fabs(g->H[(size_t)i * ld + i]));
    int kk = 0;
    while (kk < k && fabs(g->H[(size_t)kk * ld + kk]) > GMRES_PIVOT_TOL *
                                                             rmax)
        kk++;
    for (int i = kk - 1; i >= 0; i--) {
        double s = g->g[i];
        for (int c = i + 1; c < kk; c++)
            s -= g->H[(size_t)c * ld + i] * g->y[c];
        g->y[i] = s / g->H[(size_t)i * ld + i];
    }
    for (int i = 0; i < kk; i++)
        cblas_daxpy((int)g->n, g->y[i], g->V + (size_t)i * g->n, 1, x, 1);
}

int dln_gmres_solve(dln_gmres *g, dln_gmres_op op, void *ctx,
                    const double *b, double *x, double rtol, int maxit,
                    dln_gmres_info *info)
{
    int n = (int)g->n;
    memset(info, 0, sizeof *info);
    if (!op || !b || !x || !(rtol >= 0.0) || maxit < 1)
        return 2;
    double bnorm = cblas_dnrm2(n, b, 1);
    if (bnorm == 0.0) {
        memset(x, 0, sizeof(double) * g->n);
        info->converged = 1;
        return 0;
    }
    if (residual(g, op, ctx, b, x, &info->iters))
        return 1;
    double beta = cblas_dnrm2(n, g->r, 1);
    while (beta > rtol * bnorm && info->iters < maxit) {
        memcpy(g->V, g->r, sizeof(double) * g->n);
        cblas_dscal(n, 1.0 / beta, g->V, 1);
        memset(g->g, 0, sizeof(double) * ((size_t)g->m + 1));
        g->g[0] = beta;
        int k = 0;
        while (k < g->m && info->iters < maxit) {
            double *w = g->V + (size_t)(k + 1) * g->n;
            if (op(ctx, g->V + (size_t)k * g->n, w))
                return 1;
            info->iters++;
            double hn = orthogonalise(g, k);
            g->H[(size_t)k * ((size_t)g->m + 1) + k + 1] = hn;
            double res = rotate(g, k++);
            if (res <= rtol * bnorm || !(hn > 0.0))
                break;
            cblas_dscal(n, 1.0 / hn, w, 1);
        }
        update(g, k, x);
        double before = beta;
        if (residual(g, op, ctx, b, x, &info->iters))
            return 1;
        beta = cblas_dnrm2(n, g->r, 1);
        if (!(beta < before))
            break;   /* stagnation (or an inconsistent singular system) */
    }
    info->residual = beta / bnorm;
    info->converged = beta <= rtol * bnorm;
    return 0;
}
