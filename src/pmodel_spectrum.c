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

/* w <- w - Q c with c = Q^T w over the first k basis vectors (one
 * Allreduce); classical Gram-Schmidt, applied twice by the caller. */
static void orthogonalise(dln_pmodel *m, int k, double *w)
{
    int nl = (int)m->nloc;
    double *c = m->lz_coef;
    if (nl > 0)
        cblas_dgemv(CblasColMajor, CblasTrans, nl, k, 1.0, m->krylov, nl, w,
                    1, 0.0, c, 1);
    else
        memset(c, 0, sizeof(double) * (size_t)k);
    MPI_Allreduce(MPI_IN_PLACE, c, k, MPI_DOUBLE, MPI_SUM, m->comm);
    if (nl > 0)
        cblas_dgemv(CblasColMajor, CblasNoTrans, nl, k, -1.0, m->krylov, nl, c,
                    1, 1.0, w, 1);
}

int dln_pmodel_lanczos_top(dln_pmodel *m, int iters, int k, uint64_t seed,
                           double *top)
{
    if (k < 1 || k > DLN_MAX_SV || iters < 1 || iters > 10000)
        return 2;
    if (iters > m->kmax)
        iters = m->kmax;
    size_t nl = m->nloc;
    double *alpha = m->lz_tri, *beta = m->lz_tri + m->kmax + 1;
    /* The serial start vector, scattered: identical Krylov spaces. */
    if (m->rank == 0)
        dln_rng_normal(seed, DLN_STREAM_LANCZOS, m->full, m->n);
    dln_pmodel_scatter(m, m->full, m->krylov);
    double nrm = sqrt(dln_pmodel_dot(m, m->krylov, m->krylov));
    for (size_t i = 0; i < nl; i++)
        m->krylov[i] /= nrm;
    int steps = 0;
    for (int j = 0; j < iters; j++) {
        double *q = m->krylov + (size_t)j * nl, *w = m->lz_w;
        dln_pmodel_hvp(m, q, w);
        alpha[j] = dln_pmodel_dot(m, q, w);
        steps = j + 1;
        orthogonalise(m, j + 1, w);
        orthogonalise(m, j + 1, w);
        beta[j] = sqrt(dln_pmodel_dot(m, w, w));
        /* An invariant subspace: the Ritz values are exact. */
        if (j + 1 == iters || !(beta[j] > 1e-12 * (fabs(alpha[j]) + 1e-300)))
            break;
        double *qn = m->krylov + (size_t)(j + 1) * nl;
        for (size_t i = 0; i < nl; i++)
            qn[i] = w[i] / beta[j];
    }
    /* Eigenvalues of the tridiagonal T_steps (ascending, replicated). */
    if (LAPACKE_dsterf(steps, alpha, beta) != 0)
        return 1;
    for (int i = 0; i < k; i++)
        top[i] = i < steps ? alpha[steps - 1 - i] : NAN;
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
            int j = j0 + b, l = 1;
            while ((size_t)j >= m->off[l + 1])
                l++;
            int rows = m->dims[l], jj = j - (int)m->off[l];
            int gi = jj % rows + 1, gj = jj / rows + 1;
            int pr = indxg2p_(&gi, &m->nb, &izero, &izero, &m->nprow);
            int pc = indxg2p_(&gj, &m->nb, &izero, &izero, &m->npcol);
            size_t at = 0;
            if (pr == m->myrow && pc == m->mycol) {
                int li = indxg2l_(&gi, &m->nb, &izero, &izero, &m->nprow);
                int lj = indxg2l_(&gj, &m->nb, &izero, &izero, &m->npcol);
                at = m->loff[l] + (size_t)(li - 1) +
                     (size_t)(lj - 1) * (size_t)m->descw[l][DLN_LLD_];
                e[at] = 1.0;
            }
            dln_pmodel_hvp(m, e, hv);
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
