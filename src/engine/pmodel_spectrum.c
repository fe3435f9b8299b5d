/* pmodel_spectrum.c — Hessian eigenvalues of the distributed model: top-k
 * by Lanczos on distributed HVPs, the full spectrum by PDSYEVD on a dense
 * Hessian assembled from HVPs of unit vectors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include <lapacke.h>
#include "dlnsweep/lanczos.h"
#include "dlnsweep/model.h"
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
 * orthogonalised against vectors 0..j-1 (restart 0's local part is kept
 * for the next run with the same seed, as dln_lanczos does: drawing and
 * scattering nparams normals on rank 0 would otherwise come with every
 * sharpness estimate).  Returns 0, or 1 if nothing is left outside the
 * basis.  Collective. */
static int fresh_direction(dln_pmodel *m, int j, uint64_t seed, int restart,
                           double *coef)
{
    double *w = m->krylov + (size_t)j * m->nloc;
    uint64_t stream = DLN_STREAM_LANCZOS + ((uint64_t)restart << 32);
    if (restart == 0 && m->lz_have_start && m->lz_start_seed == seed) {
        memcpy(w, m->lz_start, sizeof(double) * m->nloc);
    } else {
        if (m->rank == 0)
            dln_rng_normal(seed, stream, m->full, m->n);
        dln_pmodel_scatter(m, m->full, w);
        if (restart == 0) {
            memcpy(m->lz_start, w, sizeof(double) * m->nloc);
            m->lz_start_seed = seed;
            m->lz_have_start = 1;
        }
    }
    double before = norm(m, w);
    orthogonalise(m, j, w, coef);
    double after = norm(m, w);
    if (!(after > 1e-8 * before))
        return 1;
    for (size_t i = 0; i < m->nloc; i++)
        w[i] /= after;
    return 0;
}

/* dln_pmodel_lanczos_top on a bounded basis (kcols < steps): thick
 * restart as lanczos.c's run_restarted.  Collective. */
static int lanczos_restarted(dln_pmodel *m, int steps, int k, uint64_t seed,
                             double *top)
{
    size_t nl = m->nloc;
    int mb = m->kcols, restart = 0, cur = 1, done = 0, keep = (mb + k) / 2;
    double *coef = m->lz_coef + m->kmax + 1, *w = m->lz_w, hnorm = 0.0;
    if (k + 2 > mb)
        return 2;
    if (keep > mb - 1)
        keep = mb - 1;
    memset(m->lz_t, 0, sizeof(double) * (size_t)mb * mb);
    fresh_direction(m, 0, seed, restart, coef);
    for (int hv = 0; hv < steps; hv++) {
        int j = cur - 1;
        dln_pmodel_hvp(m, m->krylov + (size_t)j * nl, w);
        double hq = norm(m, w);
        if (!isfinite(hq))
            return 0;
        if (hq > hnorm)
            hnorm = hq;
        orthogonalise(m, cur, w, coef);
        for (int i = 0; i <= j; i++)
            m->lz_t[i + (size_t)j * mb] = m->lz_t[j + (size_t)i * mb] =
                coef[i];
        done = cur;
        if (hv + 1 == steps)
            break;
        double b = norm(m, w);
        if (cur == mb) {
            if (dln_lanczos_projected_eig(m->lz_t, mb, mb, 1, m->lz_y,
                                          m->lz_theta, m->lz_work))
                return 1;
            dln_lanczos_compress(m->krylov, (int)nl, mb, keep, m->lz_y,
                                 m->lz_theta, m->lz_t, m->lz_blk);
            cur = done = keep;
        }
        if (b > PLANCZOS_BREAKDOWN * hnorm) {
            double *next = m->krylov + (size_t)cur * nl;
            for (size_t i = 0; i < nl; i++)
                next[i] = w[i] / b;
        } else if (fresh_direction(m, cur, seed, ++restart, coef))
            break;
        cur++;
    }
    if (dln_lanczos_projected_eig(m->lz_t, mb, done, 0, m->lz_y,
                                  m->lz_theta, m->lz_work))
        return 1;
    for (int i = 0; i < k && i < done; i++)
        top[i] = m->lz_theta[done - 1 - i];
    return 0;
}

int dln_pmodel_lanczos_top(dln_pmodel *m, int iters, int k, uint64_t seed,
                           double *top)
{
    if (iters < 1 || k < 1 || k > iters || k > DLN_MAX_SV)
        return 2;
    size_t nl = m->nloc;
    int steps = iters < m->kmax ? iters : m->kmax;
    if (m->kcols < steps) {
        for (int i = 0; i < k; i++)
            top[i] = NAN;
        return lanczos_restarted(m, steps, k, seed, top);
    }
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
    /* T is replicated on every rank, and so are its Ritz values. */
    return dln_lanczos_ritz_top(done, alpha, beta, k, top);
}

/* The dense Hessian has n = sum_l d_l d_{l-1} <= DLN_PRUN_FULL_SPECTRUM_MAX
 * rows, so every layer is at most ~100 wide and a distributed HVP would be
 * nothing but latency (some 5L PDGEMMs of tiny blocks per column).  Each
 * rank therefore computes the columns of its own block-cyclic share with
 * the serial model at the gathered parameters (dln_model_hvp of unit
 * vectors, no communication) and keeps its rows; PDSYEVD does the O(n^3)
 * part and holds the O(n^2) memory distributed. */
int dln_pmodel_hessian_spectrum(dln_pmodel *m, double *eig)
{
    int rc = 1, n = (int)m->n, info = 0, bad;
    int *grow = NULL, *iwork = NULL;
    double *h = NULL, *z = NULL, *work = NULL, *x = NULL, *e = NULL;
    double *col = NULL;
    dln_model *sm = NULL;
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
    h = malloc(sizeof(double) * nh);
    z = malloc(sizeof(double) * nh);
    x = malloc(sizeof(double) * (size_t)n);
    e = calloc((size_t)n, sizeof(double));
    col = malloc(sizeof(double) * (size_t)n);
    grow = malloc(sizeof(int) * (size_t)(lr > 0 ? lr : 1));
    bad = !h || !z || !x || !e || !col || !grow ||
          dln_model_create(&m->p, &sm) != 0;
    MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX, m->comm);
    if (bad)
        goto cleanup;
    /* The serial model at the current parameters, on every rank. */
    dln_pmodel_gather(m, m->x, x);
    MPI_Bcast(x, n, MPI_DOUBLE, 0, m->comm);
    dln_model_set_params(sm, x);
    dln_model_loss(sm);
    for (int i = 0; i < lr; i++) {
        int li = i + 1;
        grow[i] = indxl2g_(&li, &nbh, &m->myrow, &izero, &m->nprow) - 1;
    }
    for (int j = 0; j < lc; j++) {
        int lj = j + 1;
        int gj = indxl2g_(&lj, &nbh, &m->mycol, &izero, &m->npcol) - 1;
        e[gj] = 1.0;
        dln_model_hvp(sm, e, col);   /* column gj of H */
        e[gj] = 0.0;
        for (int i = 0; i < lr; i++)
            h[i + (size_t)j * lld] = col[grow[i]];
    }
    /* Workspace query, then the divide-and-conquer eigensolver (it reads
     * the lower triangle, i.e. the HVP of the column index). */
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
    dln_model_destroy(&sm);
    free(h);
    free(z);
    free(work);
    free(iwork);
    free(x);
    free(e);
    free(col);
    free(grow);
    return rc;
}
