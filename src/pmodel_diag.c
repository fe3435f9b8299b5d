/* pmodel_diag.c — geometry of the distributed iterate: singular values by
 * PDGESVD, balancing gaps and off-diagonal mass by PDGEMM, each the
 * distributed twin of a diagnostics.h quantity. */
#include <math.h>
#include <string.h>
#include "dlnsweep/pmodel.h"
#include "dlnsweep/result.h"
#include "pmodel_impl.h"
#include "scalapack_proto.h"

static const int ione = 1, izero = 0;

/* Singular values (descending) of the rows x cols matrix a (desc, nloc
 * local doubles) into m->svd_s; returns min(rows, cols) or -1. */
static int singular_values(dln_pmodel *m, const double *a, size_t nloc,
                           int rows, int cols, const int *desc)
{
    int info = 0;
    memcpy(m->svd_a, a, sizeof(double) * nloc);
    pdgesvd_("N", "N", &rows, &cols, m->svd_a, &ione, &ione, desc, m->svd_s,
             NULL, &ione, &ione, desc, NULL, &ione, &ione, desc, m->svd_work,
             &m->svd_lwork, &info);
    return info == 0 ? (rows < cols ? rows : cols) : -1;
}

int dln_pmodel_product_sv(dln_pmodel *m, double *sv, int nmax)
{
    int L = m->L;
    if (!m->fresh)
        dln_pmodel_forward(m);
    int k = singular_values(m, m->prefix + m->lpoff[L],
                            m->lpoff[L + 1] - m->lpoff[L], m->dims[L],
                            m->dims[0], m->descp[L]);
    if (k > nmax)
        k = nmax;
    for (int i = 0; i < k; i++)
        sv[i] = m->svd_s[i];
    return k < 0 ? 0 : k;
}

int dln_pmodel_layer_sv(dln_pmodel *m, double *sv_layers)
{
    for (int l = 1; l <= m->L; l++) {
        double *row = sv_layers + (size_t)(l - 1) * DLN_MAX_SV;
        int k = singular_values(m, m->x + m->loff[l], m->loff[l + 1] - m->loff[l],
                                m->dims[l], m->dims[l - 1], m->descw[l]);
        for (int i = 0; i < DLN_MAX_SV; i++)
            row[i] = i < k ? m->svd_s[i] : 0.0;
    }
    return 0;
}

double dln_pmodel_balance_gap(dln_pmodel *m)
{
    static const double one = 1.0, zero = 0.0, mone = -1.0;
    int dw = m->p.width;
    double worst = 0.0;
    /* Layers 1..L-1 end in the hidden width: every gap is width x width. */
    for (int l = 1; l < m->L; l++) {
        const double *wn = m->x + m->loff[l + 1], *wl = m->x + m->loff[l];
        pdgemm_("T", "N", &dw, &dw, &m->dims[l + 1], &one, wn, &ione, &ione,
                m->descw[l + 1], wn, &ione, &ione, m->descw[l + 1], &zero,
                m->gram, &ione, &ione, m->descg);
        pdgemm_("N", "T", &dw, &dw, &m->dims[l - 1], &mone, wl, &ione, &ione,
                m->descw[l], wl, &ione, &ione, m->descw[l], &one, m->gram,
                &ione, &ione, m->descg);
        double loc = dln_pmodel_local_sumsq(m->gram, m->descg,
                                            dln_pmodel_locr(m, dw),
                                            dln_pmodel_locc(m, dw)), s = 0.0;
        MPI_Allreduce(&loc, &s, 1, MPI_DOUBLE, MPI_SUM, m->comm);
        double gap = sqrt(s);
        if (gap > worst || isnan(gap))
            worst = gap;
    }
    return worst;
}

double dln_pmodel_offdiag_mass(dln_pmodel *m)
{
    static const double one = 1.0, zero = 0.0;
    int L = m->L, r = m->rank_target;
    if (!m->fresh)
        dln_pmodel_forward(m);
    const double *prod = m->prefix + m->lpoff[L];
    /* R = U^T W_{L:1} V (r x r), then its off-diagonal and total mass. */
    pdgemm_("N", "N", &m->dims[L], &r, &m->dims[0], &one, prod, &ione, &ione,
            m->descp[L], m->v, &ione, &ione, m->descv, &zero, m->tv, &ione,
            &ione, m->desct);
    pdgemm_("T", "N", &r, &r, &m->dims[L], &one, m->u, &ione, &ione, m->descu,
            m->tv, &ione, &ione, m->desct, &zero, m->rr, &ione, &ione,
            m->descrr);
    int lr = dln_pmodel_locr(m, r), lc = dln_pmodel_locc(m, r);
    double loc[2] = {0.0, 0.0}, sum[2];
    for (int j = 0; j < lc; j++) {
        int lj = j + 1;
        int gj = indxl2g_(&lj, &m->nb, &m->mycol, &izero, &m->npcol);
        for (int i = 0; i < lr; i++) {
            int li = i + 1;
            int gi = indxl2g_(&li, &m->nb, &m->myrow, &izero, &m->nprow);
            double a = m->rr[i + (size_t)j * m->descrr[DLN_LLD_]];
            if (gi != gj)
                loc[0] += a * a;
        }
    }
    loc[1] = dln_pmodel_local_sumsq(prod, m->descp[L],
                                    dln_pmodel_locr(m, m->dims[L]),
                                    dln_pmodel_locc(m, m->dims[0]));
    MPI_Allreduce(loc, sum, 2, MPI_DOUBLE, MPI_SUM, m->comm);
    return sum[1] > 0.0 ? sqrt(sum[0]) / sqrt(sum[1]) : 0.0;
}
