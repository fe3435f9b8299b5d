/* pmodel_spectrum.c — Hessian eigenvalues of the distributed model: top-k
 * by Lanczos on distributed HVPs, the full spectrum by PDSYEVD on a dense
 * Hessian assembled from HVPs of unit vectors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include <lapacke.h>
#include "dlnsweep/pmodel.h"
#include "dlnsweep/rng.h"
#include "pmodel_impl.h"
#include "scalapack_proto.h"

static const int ione = 1, izero = 0;

/* Relative size of a residual below which the Krylov space is invariant
 * (lanczos.c's DLN_LANCZOS_BREAKDOWN). */
#define PLANCZOS_BREAKDOWN 1e-12

/* w <- w - Q Q^T w twice (CGS2) over the first j basis vectors, one
 * Allreduce per pass; coef gets the summed coefficients (as lanczos.c). */
static void orthogonalise(dln_pmodel *m, int j, double *w, double *coef)
{
    int nl = (int)m->nloc;
    double *tmp = m->lz_coef;
    if (j == 0)
        return;
    memset(coef, 0, sizeof(double) * (size_t)j);
    for (int pass = 0; pass < 2; pass++) {
        if (nl > 0)
            cblas_dgemv(CblasColMajor, CblasTrans, nl, j, 1.0, m->krylov, nl,
                        w, 1, 0.0, tmp, 1);
        else
            memset(tmp, 0, sizeof(double) * (size_t)j);
        dln_pmodel_sum(m, tmp, j);
        if (nl > 0)
            cblas_dgemv(CblasColMajor, CblasNoTrans, nl, j, -1.0, m->krylov,
                        nl, tmp, 1, 1.0, w, 1);
        cblas_daxpy(j, 1.0, tmp, 1, coef, 1);
    }
}

static double norm(const dln_pmodel *m, const double *a)
{
    return sqrt(dln_pmodel_dot(m, a, a));
}

/* Basis vector j: the serial seeded normals of this restart, scattered and
 * orthogonalised against vectors 0..j-1. Returns 0, or 1 if nothing is
 * left outside the basis. */
static int fresh_direction(dln_pmodel *m, int j, uint64_t seed, int restart,
                           double *coef)
{
    double *w = m->krylov + (size_t)j * m->nloc;
    uint64_t stream = DLN_STREAM_LANCZOS + ((uint64_t)restart << 32);
    if (m->rank == 0)
        dln_rng_normal(seed, stream, m->full, m->n);
    dln_pmodel_scatter(m, m->full, w);
    double before = norm(m, w);
    orthogonalise(m, j, w, coef);
    double after = norm(m, w);
    if (!(after > 1e-8 * before))
        return 1;
    for (size_t i = 0; i < m->nloc; i++)
        w[i] /= after;
    return 0;
}

int dln_pmodel_lanczos_top(dln_pmodel *m, int iters, int k, uint64_t seed,
                           double *top)
{
    if (iters < 1 || k < 1 || k > iters || k > DLN_MAX_SV)
        return 2;
    size_t nl = m->nloc;
    int steps = iters < m->kmax ? iters : m->kmax;
    double *alpha = m->lz_tri, *beta = m->lz_tri + m->kmax + 1;
    double *coef = m->lz_coef + m->kmax + 1, *w = m->lz_w;
    for (int i = 0; i < k; i++)
        top[i] = NAN;
    int restart = 0, done = 0;
    fresh_direction(m, 0, seed, restart, coef);
    double hnorm = 0.0;   /* largest ||H q_j|| seen: the scale of H */
    for (int j = 0; j < steps; j++) {
        const double *qj = m->krylov + (size_t)j * nl;
        dln_pmodel_hvp(m, qj, w);
        double hq = norm(m, w);
        if (!isfinite(hq))   /* NaN/Inf parameters: no spectrum */
            return 0;
        if (hq > hnorm)
            hnorm = hq;
        orthogonalise(m, j + 1, w, coef);
        alpha[j] = coef[j];
        done = j + 1;
        if (j + 1 == steps)
            break;
        double b = norm(m, w);
        double *next = m->krylov + (size_t)(j + 1) * nl;
        if (b > PLANCZOS_BREAKDOWN * hnorm) {
            beta[j] = b;
            for (size_t i = 0; i < nl; i++)
                next[i] = w[i] / b;
        } else {   /* invariant subspace: restart orthogonally to the basis */
            beta[j] = 0.0;
            if (fresh_direction(m, j + 1, seed, ++restart, coef))
                break;
        }
    }
    /* Eigenvalues of the tridiagonal T, replicated on every rank. */
    if (LAPACKE_dstev(LAPACK_COL_MAJOR, 'N', done, alpha, beta, NULL, 1) != 0)
        return 1;
    for (int i = 0; i < k && i < done; i++)
        top[i] = alpha[done - 1 - i];
    return 0;
}

/* 1x1 BLACS context on comm rank q (-1 on every other rank). */
static int context_on(dln_pmodel *m, int q)
{
    int c = m->sys;
    Cblacs_gridmap(&c, &q, 1, 1, 1);
    return m->rank == q ? c : -1;
}

static void whole_desc(int *desc, int ctxt, int rows, int cols, int nb,
                       int lld)
{
    desc[DLN_DTYPE_] = 1;
    desc[DLN_CTXT_] = ctxt;
    desc[DLN_M_] = rows;
    desc[DLN_N_] = cols;
    desc[DLN_MB_] = nb;
    desc[DLN_NB_] = nb;
    desc[DLN_RSRC_] = 0;
    desc[DLN_CSRC_] = 0;
    desc[DLN_LLD_] = lld;
}

int dln_pmodel_hessian_spectrum(dln_pmodel *m, double *eig)
{
    int rc = 1, n = (int)m->n, L = m->L, info = 0;
    int *ctxq = NULL, *iwork = NULL;
    double *h = NULL, *z = NULL, *work = NULL, *stage = NULL;
    double *e = NULL, *hv = NULL;
    /* Hessian blocks: like the model's default, at least two per process. */
    int g = m->nprow > m->npcol ? m->nprow : m->npcol, nbh = 64;
    while (nbh > 8 && 2 * nbh * g > n)
        nbh /= 2;
    int lr = numroc_(&n, &nbh, &m->myrow, &izero, &m->nprow);
    int lc = numroc_(&n, &nbh, &m->mycol, &izero, &m->npcol);
    int lld = lr > 1 ? lr : 1;
    dln_desc desch;
    descinit_(desch, &n, &n, &nbh, &nbh, &izero, &izero, &m->ctxt, &lld,
              &info);
    size_t nh = (size_t)lld * (size_t)(lc > 0 ? lc : 1);
    ctxq = malloc(sizeof(int) * (size_t)m->size);
    h = malloc(sizeof(double) * nh);
    z = malloc(sizeof(double) * nh);
    stage = malloc(sizeof(double) * (size_t)n * (size_t)nbh);
    e = calloc(m->nloc + 1, sizeof(double));
    hv = malloc(sizeof(double) * (m->nloc + 1));
    int bad = !ctxq || !h || !z || !stage || !e || !hv;
    MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX, m->comm);
    if (bad)
        goto cleanup;
    for (int q = 0; q < m->size; q++)
        ctxq[q] = context_on(m, q);
    if (!m->fresh)
        dln_pmodel_forward(m);
    /* Column block t of H (kb columns) is staged whole on rank t mod size:
     * each HVP result is copied layer by layer into its staging column
     * (vec of a d_l x d_{l-1} matrix = that matrix with leading dim d_l),
     * then the block moves to its block-cyclic place in one PDGEMR2D. */
    for (int j0 = 0, t = 0; j0 < n; j0 += nbh, t++) {
        int kb = n - j0 < nbh ? n - j0 : nbh, q = t % m->size;
        int cq = m->rank == q ? ctxq[q] : -1;
        for (int b = 0; b < kb; b++) {
            long at = dln_pmodel_local_index(m, (size_t)(j0 + b));
            if (at >= 0)
                e[at] = 1.0;   /* unit vector e_{j0+b} */
            dln_pmodel_hvp(m, e, hv);
            if (at >= 0)
                e[at] = 0.0;
            for (int k = 1; k <= L; k++) {
                dln_desc ds;
                int r = m->dims[k], c = m->dims[k - 1];
                whole_desc(ds, cq, r, c, m->nb, r);
                pdgemr2d_(&r, &c, hv + m->loff[k], &ione, &ione, m->descw[k],
                          stage + m->off[k] + (size_t)b * n, &ione, &ione, ds,
                          &m->ctxt);
            }
        }
        dln_desc ds;
        int jc = j0 + 1;
        whole_desc(ds, cq, n, kb, nbh, n);
        pdgemr2d_(&n, &kb, stage, &ione, &ione, ds, h, &ione, &jc, desch,
                  &m->ctxt);
    }
    /* Workspace query, then the divide-and-conquer eigensolver. */
    double wq = 0.0;
    int lwork = -1, liwork = -1, iwq = 0;
    pdsyevd_("V", "L", &n, h, &ione, &ione, desch, eig, z, &ione, &ione,
             desch, &wq, &lwork, &iwq, &liwork, &info);
    lwork = (int)wq + (int)(wq / 4) + 4096;
    liwork = iwq + 64;
    work = malloc(sizeof(double) * (size_t)lwork);
    iwork = malloc(sizeof(int) * (size_t)liwork);
    bad = info != 0 || !work || !iwork;
    MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX, m->comm);
    if (bad)
        goto cleanup;
    pdsyevd_("V", "L", &n, h, &ione, &ione, desch, eig, z, &ione, &ione,
             desch, work, &lwork, iwork, &liwork, &info);
    bad = info != 0;
    MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX, m->comm);
    rc = bad ? 1 : 0;
cleanup:
    if (ctxq)
        for (int q = 0; q < m->size; q++)
            if (ctxq[q] >= 0)
                Cblacs_gridexit(ctxq[q]);
    free(ctxq);
    free(h);
    free(z);
    free(work);
    free(iwork);
    free(stage);
    free(e);
    free(hv);
    return rc;
}
