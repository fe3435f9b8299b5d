/* pmodel.c — the distributed deep linear network: BLACS grid, block-cyclic
 * layout, scatter/gather against the serial flat vector, loss, gradient,
 * GD step and exact HVP by PDGEMM.  The algebra is model.c's line by line
 * (see pmodel_impl.h for the notation): forward P_l = W_l P_{l-1}; backward
 * G_l = B_l P_{l-1}^T, B_{l-1} = W_l^T B_l; tangents dP_l = W_l dP_{l-1} +
 * V_l P_{l-1}, dB_{l-1} = V_l^T B_l + W_l^T dB_l,
 * (Hv)_l = dB_l P_{l-1}^T + B_l dP_{l-1}^T. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include "dlnsweep/lanczos.h"
#include "dlnsweep/model.h"
#include "dlnsweep/pmodel.h"
#include "pmodel_impl.h"
#include "scalapack_proto.h"

static const int ione = 1, izero = 0;
static const double one = 1.0, zero = 0.0;

size_t dln_pmodel_nparams(const dln_pmodel *m) { return m->n; }
size_t dln_pmodel_nlocal(const dln_pmodel *m) { return m->nloc; }
MPI_Comm dln_pmodel_comm(const dln_pmodel *m) { return m->comm; }
const double *dln_pmodel_params(const dln_pmodel *m) { return m->x; }

void dln_pmodel_grid(const dln_pmodel *m, int *nprow, int *npcol, int *nb)
{
    *nprow = m->nprow;
    *npcol = m->npcol;
    *nb = m->nb;
}

void dln_pmodel_set_params(dln_pmodel *m, const double *xloc)
{
    memcpy(m->x, xloc, sizeof(double) * m->nloc);
    m->fresh = 0;
}

int dln_pmodel_locr(const dln_pmodel *m, int rows)
{
    return numroc_(&rows, &m->nb, &m->myrow, &izero, &m->nprow);
}

int dln_pmodel_locc(const dln_pmodel *m, int cols)
{
    return numroc_(&cols, &m->nb, &m->mycol, &izero, &m->npcol);
}

size_t dln_pmodel_describe(const dln_pmodel *m, int rows, int cols,
                           int *desc)
{
    int lr = dln_pmodel_locr(m, rows), lc = dln_pmodel_locc(m, cols);
    int lld = lr > 1 ? lr : 1, info = 0;
    descinit_(desc, &rows, &cols, &m->nb, &m->nb, &izero, &izero, &m->ctxt,
              &lld, &info);
    return (size_t)lr * (size_t)lc;
}

double dln_pmodel_local_sumsq(const double *a, const int *desc, int locr,
                              int locc)
{
    double s = 0.0;
    for (int j = 0; j < locc; j++) {
        const double *col = a + (size_t)j * desc[DLN_LLD_];
        for (int i = 0; i < locr; i++)
            s += col[i] * col[i];
    }
    return s;
}

/* Most square grid: the largest divisor of size not above sqrt(size). */
static void grid_shape(int size, int *nprow, int *npcol)
{
    int r = (int)sqrt((double)size);
    while (r > 1 && size % r)
        r--;
    *nprow = r < 1 ? 1 : r;
    *npcol = size / *nprow;
}

/* Default block: 64, halved (down to 8) until the widest dimension spans
 * at least two blocks per process of the longer grid side. */
static int default_block(int dmax, int nprow, int npcol)
{
    int g = nprow > npcol ? nprow : npcol, nb = 64;
    while (nb > 8 && 2 * nb * g > dmax)
        nb /= 2;
    return nb;
}

/* Descriptor of a rows x cols column-major array held whole by rank 0
 * (context -1 on the other ranks, as PDGEMR2D expects). */
static void root_desc(const dln_pmodel *m, int rows, int cols, int *desc)
{
    desc[DLN_DTYPE_] = 1;
    desc[DLN_CTXT_] = m->rank == 0 ? m->ctxt_root : -1;
    desc[DLN_M_] = rows;
    desc[DLN_N_] = cols;
    desc[DLN_MB_] = m->nb;
    desc[DLN_NB_] = m->nb;
    desc[DLN_RSRC_] = 0;
    desc[DLN_CSRC_] = 0;
    desc[DLN_LLD_] = rows;
}

/* Whole rows x cols array a on rank 0 -> block-cyclic b (desc), or back. */
static void root_to_grid(dln_pmodel *m, int rows, int cols, const double *a,
                         double *b, const int *desc)
{
    dln_desc rd;
    root_desc(m, rows, cols, rd);
    pdgemr2d_(&rows, &cols, m->rank == 0 ? a : b, &ione, &ione, rd, b, &ione,
              &ione, desc, &m->ctxt);
}

static void grid_to_root(dln_pmodel *m, int rows, int cols, const double *b,
                         const int *desc, double *a)
{
    dln_desc rd;
    root_desc(m, rows, cols, rd);
    pdgemr2d_(&rows, &cols, b, &ione, &ione, desc, m->rank == 0 ? a : m->lz_w,
              &ione, &ione, rd, &m->ctxt);
}

int dln_pmodel_scatter(dln_pmodel *m, const double *x, double *xloc)
{
    for (int l = 1; l <= m->L; l++)
        root_to_grid(m, m->dims[l], m->dims[l - 1],
                     m->rank == 0 ? x + m->off[l] : NULL, xloc + m->loff[l],
                     m->descw[l]);
    return 0;
}

int dln_pmodel_gather(dln_pmodel *m, const double *xloc, double *x)
{
    for (int l = 1; l <= m->L; l++)
        grid_to_root(m, m->dims[l], m->dims[l - 1], xloc + m->loff[l],
                     m->descw[l], m->rank == 0 ? x + m->off[l] : NULL);
    return 0;
}

void dln_pmodel_sum(const dln_pmodel *m, double *buf, int count)
{
    if (m->rank == 0)
        MPI_Reduce(MPI_IN_PLACE, buf, count, MPI_DOUBLE, MPI_SUM, 0, m->comm);
    else
        MPI_Reduce(buf, NULL, count, MPI_DOUBLE, MPI_SUM, 0, m->comm);
    MPI_Bcast(buf, count, MPI_DOUBLE, 0, m->comm);
}

long dln_pmodel_local_index(const dln_pmodel *m, size_t g)
{
    int l = 1;
    while (g >= m->off[l + 1])
        l++;
    size_t within = g - m->off[l];
    int gi = (int)(within % (size_t)m->dims[l]) + 1;
    int gj = (int)(within / (size_t)m->dims[l]) + 1;
    if (indxg2p_(&gi, &m->nb, &izero, &izero, &m->nprow) != m->myrow ||
        indxg2p_(&gj, &m->nb, &izero, &izero, &m->npcol) != m->mycol)
        return -1;
    int li = indxg2l_(&gi, &m->nb, &izero, &izero, &m->nprow);
    int lj = indxg2l_(&gj, &m->nb, &izero, &izero, &m->npcol);
    return (long)(m->loff[l] + (size_t)(li - 1) +
                  (size_t)(lj - 1) * (size_t)m->descw[l][DLN_LLD_]);
}

double dln_pmodel_dot(const dln_pmodel *m, const double *a, const double *b)
{
    double s = m->nloc ? cblas_ddot((int)m->nloc, a, 1, b, 1) : 0.0;
    dln_pmodel_sum(m, &s, 1);
    return s;
}

/* Workspace sizes of PDGESVD (values only) for the product and each layer. */
static int svd_query(dln_pmodel *m)
{
    int lwork = -1, info = 0, need = 1;
    double w = 0.0;
    for (int l = 0; l <= m->L; l++) {
        int rows = l ? m->dims[l] : m->dims[m->L];
        int cols = l ? m->dims[l - 1] : m->dims[0];
        const int *desc = l ? m->descw[l] : m->descp[m->L];
        pdgesvd_("N", "N", &rows, &cols, m->svd_a, &ione, &ione, desc,
                 m->svd_s, NULL, &ione, &ione, desc, NULL, &ione, &ione, desc,
                 &w, &lwork, &info);
        if (info != 0)
            return 1;
        if ((int)w > need)
            need = (int)w;
    }
    /* Generous slack: some ScaLAPACK releases under-report this query. */
    m->svd_lwork = need + need / 2 + 1024;
    return 0;
}

/* Every rank's rc combined: the worst (largest) wins. */
static int agree(MPI_Comm comm, int rc)
{
    int all = rc;
    MPI_Allreduce(&rc, &all, 1, MPI_INT, MPI_MAX, comm);
    return all;
}

/* Layout: dims, offsets, descriptors; returns 1 on allocation failure. */
static int layout(dln_pmodel *m, size_t *nprefix, size_t *nback,
                  size_t *ntarget)
{
    int L = m->L;
    m->dims = malloc(sizeof(int) * (size_t)(L + 1));
    m->off = malloc(sizeof(size_t) * (size_t)(L + 2));
    m->loff = malloc(sizeof(size_t) * (size_t)(L + 2));
    m->lpoff = malloc(sizeof(size_t) * (size_t)(L + 2));
    m->descw = calloc((size_t)L + 1, sizeof(dln_desc));
    m->descp = calloc((size_t)L + 1, sizeof(dln_desc));
    if (!m->dims || !m->off || !m->loff || !m->lpoff || !m->descw ||
        !m->descp)
        return 1;
    for (int l = 0; l <= L; l++)
        m->dims[l] = m->p.width;
    m->dims[0] = dln_params_d_in(&m->p);
    m->dims[L] = dln_params_d_out(&m->p);
    m->off[1] = m->loff[1] = m->lpoff[1] = 0;
    *nback = 1;
    for (int l = 1; l <= L; l++) {
        size_t w = dln_pmodel_describe(m, m->dims[l], m->dims[l - 1],
                                       m->descw[l]);
        size_t pl = dln_pmodel_describe(m, m->dims[l], m->dims[0],
                                        m->descp[l]);
        m->off[l + 1] = m->off[l] + (size_t)m->dims[l] * m->dims[l - 1];
        m->loff[l + 1] = m->loff[l] + w;
        m->lpoff[l + 1] = m->lpoff[l] + pl;
        if (pl > *nback)
            *nback = pl;
    }
    m->n = m->off[L + 1];
    m->nloc = m->loff[L + 1];
    *nprefix = m->lpoff[L + 1] ? m->lpoff[L + 1] : 1;
    *ntarget = m->lpoff[L + 1] - m->lpoff[L];
    if (*ntarget == 0)
        *ntarget = 1;
    return 0;
}

/* Allocate every workspace; returns 1 on failure (this rank only). */
static int allocate(dln_pmodel *m, size_t nprefix, size_t nback,
                    size_t ntarget)
{
    int r = m->rank_target, dw = m->p.width, L = m->L;
    size_t nl = m->nloc ? m->nloc : 1;
    size_t nu = dln_pmodel_describe(m, m->dims[L], r, m->descu);
    size_t nv = dln_pmodel_describe(m, m->dims[0], r, m->descv);
    size_t nt = dln_pmodel_describe(m, m->dims[L], r, m->desct);
    size_t nr = dln_pmodel_describe(m, r, r, m->descrr);
    size_t ng = dln_pmodel_describe(m, dw, dw, m->descg);
    size_t nsvd = ntarget;
    for (int l = 1; l <= L; l++) {
        size_t w = m->loff[l + 1] - m->loff[l];
        if (w > nsvd)
            nsvd = w;
    }
    int dmax = 0;
    for (int l = 0; l <= L; l++)
        if (m->dims[l] > dmax)
            dmax = m->dims[l];
    m->kmax = m->p.lanczos_iters;
    if ((size_t)m->kmax > m->n)
        m->kmax = (int)m->n;
    m->x = malloc(sizeof(double) * nl);
    m->grad = malloc(sizeof(double) * nl);
    m->target = malloc(sizeof(double) * ntarget);
    m->resid = malloc(sizeof(double) * ntarget);
    m->prefix = malloc(sizeof(double) * nprefix);
    m->dprefix = malloc(sizeof(double) * nprefix);
    for (int i = 0; i < 2; i++) {
        m->back[i] = malloc(sizeof(double) * nback);
        m->dback[i] = malloc(sizeof(double) * nback);
        if (!m->back[i] || !m->dback[i])
            return 1;
    }
    m->u = calloc(nu + 1, sizeof(double));
    m->v = calloc(nv + 1, sizeof(double));
    m->tv = calloc(nt + 1, sizeof(double));
    m->rr = calloc(nr + 1, sizeof(double));
    m->gram = calloc(ng + 1, sizeof(double));
    m->modes = calloc((size_t)r, sizeof(double));
    m->svd_a = malloc(sizeof(double) * nsvd);
    m->svd_s = malloc(sizeof(double) * (size_t)dmax);
    m->kcols = m->p.lanczos_basis > 0 && m->p.lanczos_basis < m->kmax
                   ? m->p.lanczos_basis
                   : m->kmax;
    if (m->kcols < m->kmax) {
        size_t mb = (size_t)m->kcols;
        m->lz_t = malloc(sizeof(double) * mb * mb);
        m->lz_y = malloc(sizeof(double) * mb * mb);
        m->lz_theta = malloc(sizeof(double) * mb);
        m->lz_blk = malloc(sizeof(double) * DLN_LANCZOS_ROW_BLOCK * mb);
        m->lz_work = malloc(sizeof(double) * 3 * mb);
        if (!m->lz_t || !m->lz_y || !m->lz_theta || !m->lz_blk ||
            !m->lz_work)
            return 1;
    }
    m->krylov = malloc(sizeof(double) * nl * (size_t)m->kcols);
    m->lz_w = malloc(sizeof(double) * nl);
    m->lz_coef = malloc(sizeof(double) * 2 * (size_t)(m->kmax + 1));
    m->lz_tri = malloc(sizeof(double) * 2 * (size_t)(m->kmax + 1));
    m->lz_start = malloc(sizeof(double) * nl);
    if (m->rank == 0) {
        size_t nfull = m->n, nt0 = (size_t)m->dims[L] * m->dims[0];
        m->full = malloc(sizeof(double) * (nfull > nt0 ? nfull : nt0));
        if (!m->full)
            return 1;
    }
    if (!m->x || !m->grad || !m->target || !m->resid || !m->prefix ||
        !m->dprefix || !m->u || !m->v || !m->tv || !m->rr || !m->gram ||
        !m->modes || !m->svd_a || !m->svd_s || !m->krylov || !m->lz_w ||
        !m->lz_coef || !m->lz_tri || !m->lz_start)
        return 1;
    if (svd_query(m))
        return 1;
    m->svd_work = malloc(sizeof(double) * (size_t)m->svd_lwork);
    return m->svd_work ? 0 : 1;
}

/* Rank 0 builds the serial model (target, seeded init) and scatters it. */
static int distribute_initial(dln_pmodel *m)
{
    dln_model *s = NULL;
    int rc = 0, L = m->L, r = m->rank_target;
    if (m->rank == 0)
        rc = dln_model_create(&m->p, &s);
    rc = agree(m->comm, rc);
    if (rc)
        goto cleanup;
    dln_pmodel_scatter(m, m->rank == 0 ? dln_model_params(s) : NULL, m->x);
    root_to_grid(m, m->dims[L], m->dims[0],
                 m->rank == 0 ? dln_model_target(s) : NULL, m->target,
                 m->descp[L]);
    root_to_grid(m, m->dims[L], r, m->rank == 0 ? dln_model_target_u(s) : NULL,
                 m->u, m->descu);
    root_to_grid(m, m->dims[0], r, m->rank == 0 ? dln_model_target_v(s) : NULL,
                 m->v, m->descv);
cleanup:
    dln_model_destroy(&s);
    return rc;
}

int dln_pmodel_create(const dln_params *p, MPI_Comm comm, int nb,
                      dln_pmodel **out)
{
    char err[160];
    int rc = 2;
    dln_pmodel *m = NULL;
    size_t nprefix = 0, nback = 0, ntarget = 0;
    *out = NULL;
    if (dln_params_validate(p, err, sizeof err))
        return 2;
    rc = agree(comm, (m = calloc(1, sizeof *m)) ? 0 : 1);
    if (rc)
        goto cleanup;
    m->p = *p;
    m->L = p->depth;
    m->rank_target = p->rank;
    m->ctxt = m->ctxt_root = -1;
    MPI_Comm_dup(comm, &m->comm);
    MPI_Comm_rank(m->comm, &m->rank);
    MPI_Comm_size(m->comm, &m->size);
    grid_shape(m->size, &m->nprow, &m->npcol);
    m->sys = Csys2blacs_handle(m->comm);
    m->ctxt = m->sys;
    Cblacs_gridinit(&m->ctxt, "Row", m->nprow, m->npcol);
    Cblacs_gridinfo(m->ctxt, &m->nprow, &m->npcol, &m->myrow, &m->mycol);
    int root = 0;
    m->ctxt_root = m->sys;
    Cblacs_gridmap(&m->ctxt_root, &root, 1, 1, 1);
    if (m->rank != 0)
        m->ctxt_root = -1;
    int dmax = p->width;
    if (dln_params_d_in(p) > dmax)
        dmax = dln_params_d_in(p);
    if (dln_params_d_out(p) > dmax)
        dmax = dln_params_d_out(p);
    m->nb = nb > 0 ? nb : default_block(dmax, m->nprow, m->npcol);
    rc = agree(m->comm, m->myrow < 0 ? 1 : layout(m, &nprefix, &nback,
                                                   &ntarget));
    if (rc)
        goto cleanup;
    rc = agree(m->comm, allocate(m, nprefix, nback, ntarget));
    if (rc)
        goto cleanup;
    rc = distribute_initial(m);
    if (rc)
        goto cleanup;
    *out = m;
    m = NULL;
cleanup:
    if (m && m->comm != MPI_COMM_NULL && m->size > 0)
        dln_pmodel_destroy(&m);
    free(m);
    return rc;
}

void dln_pmodel_destroy(dln_pmodel **pm)
{
    if (!pm || !*pm)
        return;
    dln_pmodel *m = *pm;
    free(m->dims);
    free(m->off);
    free(m->loff);
    free(m->lpoff);
    free(m->descw);
    free(m->descp);
    free(m->x);
    free(m->grad);
    free(m->target);
    free(m->resid);
    free(m->prefix);
    free(m->dprefix);
    for (int i = 0; i < 2; i++) {
        free(m->back[i]);
        free(m->dback[i]);
    }
    free(m->u);
    free(m->v);
    free(m->tv);
    free(m->rr);
    free(m->gram);
    free(m->modes);
    free(m->svd_a);
    free(m->svd_s);
    free(m->svd_work);
    free(m->krylov);
    free(m->lz_w);
    free(m->lz_coef);
    free(m->lz_tri);
    free(m->lz_start);
    free(m->lz_t);
    free(m->lz_y);
    free(m->lz_theta);
    free(m->lz_blk);
    free(m->lz_work);
    free(m->full);
    if (m->ctxt_root >= 0)
        Cblacs_gridexit(m->ctxt_root);
    if (m->ctxt >= 0)
        Cblacs_gridexit(m->ctxt);
    if (m->size > 0) {
        Cfree_blacs_system_handle(m->sys);
        MPI_Comm_free(&m->comm);
    }
    free(m);
    *pm = NULL;
}

void dln_pmodel_finalize(void)
{
    Cblacs_exit(1);
}

/* C = op(A) op(B) (+ beta C) on whole distributed matrices. */
static void gemm(const char *ta, const char *tb, int mr, int nc, int kk,
                 double alpha, const double *a, const int *da, const double *b,
                 const int *db, double beta, double *c, const int *dc)
{
    pdgemm_(ta, tb, &mr, &nc, &kk, &alpha, a, &ione, &ione, da, b, &ione,
            &ione, db, &beta, c, &ione, &ione, dc);
}

void dln_pmodel_forward(dln_pmodel *m)
{
    int d0 = m->dims[0], L = m->L;
    /* P_1 = W_1: descp[1] and descw[1] describe the same d_1 x d_0 layout. */
    memcpy(m->prefix, m->x, sizeof(double) * (m->loff[2] - m->loff[1]));
    for (int l = 2; l <= L; l++)
        gemm("N", "N", m->dims[l], d0, m->dims[l - 1], one, m->x + m->loff[l],
             m->descw[l], m->prefix + m->lpoff[l - 1], m->descp[l - 1], zero,
             m->prefix + m->lpoff[l], m->descp[l]);
    size_t nt = m->lpoff[L + 1] - m->lpoff[L];
    const double *prod = m->prefix + m->lpoff[L];
    for (size_t i = 0; i < nt; i++)
        m->resid[i] = prod[i] - m->target[i];
    double s = dln_pmodel_local_sumsq(m->resid, m->descp[L],
                                      dln_pmodel_locr(m, m->dims[L]),
                                      dln_pmodel_locc(m, d0));
    dln_pmodel_sum(m, &s, 1);
    m->loss = 0.5 * s;
    m->fresh = 1;
}

double dln_pmodel_loss(dln_pmodel *m)
{
    dln_pmodel_forward(m);
    return m->loss;
}

double dln_pmodel_gradient(dln_pmodel *m, double *g)
{
    int d0 = m->dims[0];
    if (!m->fresh)
        dln_pmodel_forward(m);
    const double *b = m->resid;     /* B_L = E */
    int cur = 0;
    for (int l = m->L; l >= 1; l--) {
        int rows = m->dims[l], cols = m->dims[l - 1];
        double *gl = g + m->loff[l];
        if (l == 1) {   /* P_0 = I: G_1 = B_1, same layout */
            memcpy(gl, b, sizeof(double) * (m->loff[2] - m->loff[1]));
            break;
        }
        gemm("N", "T", rows, cols, d0, one, b, m->descp[l],
             m->prefix + m->lpoff[l - 1], m->descp[l - 1], zero, gl,
             m->descw[l]);
        /* B_{l-1} = W_l^T B_l */
        gemm("T", "N", cols, d0, rows, one, m->x + m->loff[l], m->descw[l], b,
             m->descp[l], zero, m->back[cur], m->descp[l - 1]);
        b = m->back[cur];
        cur ^= 1;
    }
    return m->loss;
}

double dln_pmodel_step(dln_pmodel *m)
{
    double loss = dln_pmodel_gradient(m, m->grad);
    if (m->nloc)
        cblas_daxpy((int)m->nloc, -m->p.eta, m->grad, 1, m->x, 1);
    m->fresh = 0;
    return loss;
}

int dln_pmodel_hvp(dln_pmodel *m, const double *v, double *hv)
{
    int d0 = m->dims[0], L = m->L;
    if (!m->fresh)
        dln_pmodel_forward(m);
    /* dP_1 = V_1, dP_l = W_l dP_{l-1} + V_l P_{l-1} */
    memcpy(m->dprefix, v, sizeof(double) * (m->loff[2] - m->loff[1]));
    for (int l = 2; l <= L; l++) {
        double *dp = m->dprefix + m->lpoff[l];
        gemm("N", "N", m->dims[l], d0, m->dims[l - 1], one, m->x + m->loff[l],
             m->descw[l], m->dprefix + m->lpoff[l - 1], m->descp[l - 1], zero,
             dp, m->descp[l]);
        gemm("N", "N", m->dims[l], d0, m->dims[l - 1], one, v + m->loff[l],
             m->descw[l], m->prefix + m->lpoff[l - 1], m->descp[l - 1], one,
             dp, m->descp[l]);
    }
    /* Backward with tangents: B_L = E, dB_L = dP_L. */
    const double *b = m->resid, *db = m->dprefix + m->lpoff[L];
    int cur = 0;
    for (int l = L; l >= 1; l--) {
        int rows = m->dims[l], cols = m->dims[l - 1];
        double *hl = hv + m->loff[l];
        if (l == 1) {
            memcpy(hl, db, sizeof(double) * (m->loff[2] - m->loff[1]));
            break;
        }
        const double *pp = m->prefix + m->lpoff[l - 1];
        const double *dpp = m->dprefix + m->lpoff[l - 1];
        gemm("N", "T", rows, cols, d0, one, db, m->descp[l], pp,
             m->descp[l - 1], zero, hl, m->descw[l]);
        gemm("N", "T", rows, cols, d0, one, b, m->descp[l], dpp,
             m->descp[l - 1], one, hl, m->descw[l]);
        const double *wl = m->x + m->loff[l], *vl = v + m->loff[l];
        gemm("T", "N", cols, d0, rows, one, wl, m->descw[l], b, m->descp[l],
             zero, m->back[cur], m->descp[l - 1]);
        gemm("T", "N", cols, d0, rows, one, vl, m->descw[l], b, m->descp[l],
             zero, m->dback[cur], m->descp[l - 1]);
        gemm("T", "N", cols, d0, rows, one, wl, m->descw[l], db, m->descp[l],
             one, m->dback[cur], m->descp[l - 1]);
        b = m->back[cur];
        db = m->dback[cur];
        cur ^= 1;
    }
    return 0;
}
