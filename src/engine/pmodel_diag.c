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

/* 1 if every local entry of a (desc, locr x locc) is finite on every rank.
 * Collective. */
static int all_finite(const dln_pmodel *m, const double *a, const int *desc,
                      int rows, int cols)
{
    int lr = dln_pmodel_locr(m, rows), lc = dln_pmodel_locc(m, cols), ok = 1;
    for (int j = 0; j < lc && ok; j++)
        for (int i = 0; i < lr && ok; i++)
            ok = isfinite(a[i + (size_t)j * desc[DLN_LLD_]]);
    MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, m->comm);
    return ok;
}

/* Top min(DLN_MAX_SV, rows, cols) singular values of the rows x cols matrix
 * a (desc, nloc local doubles), descending, into out (NaN when a is not
 * finite or PDGESVD fails); returns how many. Collective. */
static int top_sv(dln_pmodel *m, const double *a, size_t nloc, int rows,
                  int cols, const int *desc, double *out)
{
    int info = 0, mn = rows < cols ? rows : cols;
    int cnt = mn < DLN_MAX_SV ? mn : DLN_MAX_SV;
    if (all_finite(m, a, desc, rows, cols)) {
        memcpy(m->svd_a, a, sizeof(double) * nloc);
        pdgesvd_("N", "N", &rows, &cols, m->svd_a, &ione, &ione, desc,
                 m->svd_s, NULL, &ione, &ione, desc, NULL, &ione, &ione, desc,
                 m->svd_work, &m->svd_lwork, &info);
    } else
        info = -1;
    for (int i = 0; i < cnt; i++)
        out[i] = info == 0 ? m->svd_s[i] : NAN;
    return cnt;
}

int dln_pmodel_product_sv(dln_pmodel *m, double *sv)
{
    int L = m->L;
    if (!m->fresh)
        dln_pmodel_forward(m);
    return top_sv(m, m->prefix + m->lpoff[L], m->lpoff[L + 1] - m->lpoff[L],
                  m->dims[L], m->dims[0], m->descp[L], sv);
}

int dln_pmodel_layer_sv(dln_pmodel *m, double *sv_layers)
{
    for (int l = 1; l <= m->L; l++) {
        double *row = sv_layers + (size_t)(l - 1) * DLN_MAX_SV;
        int cnt = top_sv(m, m->x + m->loff[l], m->loff[l + 1] - m->loff[l],
                         m->dims[l], m->dims[l - 1], m->descw[l], row);
        for (int i = cnt; i < DLN_MAX_SV; i++)
            row[i] = 0.0;
    }
    return 0;
}

double dln_pmodel_balance_gap(dln_pmodel *m, double *gaps)
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
        double s = dln_pmodel_local_sumsq(m->gram, m->descg,
                                          dln_pmodel_locr(m, dw),
                                          dln_pmodel_locc(m, dw));
        dln_pmodel_sum(m, &s, 1);
        double gap = sqrt(s);
        if (gaps)
            gaps[l - 1] = gap;
        if (gap > worst || isnan(gap))
            worst = gap;
    }
    return worst;
}

int dln_pmodel_target_modes(dln_pmodel *m, double *modes)
{
    static const double one = 1.0, zero = 0.0;
    int L = m->L, r = m->rank_target;
    if (!m->fresh)
        dln_pmodel_forward(m);
    /* R = U^T W_{L:1} V (r x r); its diagonal collected by one Allreduce. */
    pdgemm_("N", "N", &m->dims[L], &r, &m->dims[0], &one,
            m->prefix + m->lpoff[L], &ione, &ione, m->descp[L], m->v, &ione,
            &ione, m->descv, &zero, m->tv, &ione, &ione, m->desct);
    pdgemm_("T", "N", &r, &r, &m->dims[L], &one, m->u, &ione, &ione, m->descu,
            m->tv, &ione, &ione, m->desct, &zero, m->rr, &ione, &ione,
            m->descrr);
    memset(modes, 0, sizeof(double) * (size_t)r);
    int lr = dln_pmodel_locr(m, r), lc = dln_pmodel_locc(m, r);
    for (int j = 0; j < lc; j++) {
        int lj = j + 1;
        int gj = indxl2g_(&lj, &m->nb, &m->mycol, &izero, &m->npcol);
        for (int i = 0; i < lr; i++) {
            int li = i + 1;
            if (indxl2g_(&li, &m->nb, &m->myrow, &izero, &m->nprow) == gj)
                modes[gj - 1] = m->rr[i + (size_t)j * m->descrr[DLN_LLD_]];
        }
    }
    dln_pmodel_sum(m, modes, r);
    return r;
}

double dln_pmodel_offdiag_mass(dln_pmodel *m)
{
    static const double one = 1.0, mone = -1.0;
    int L = m->L, r = m->rank_target, dl = m->dims[L], d0 = m->dims[0];
    if (!m->fresh)
        dln_pmodel_forward(m);
    const double *prod = m->prefix + m->lpoff[L];
    int lr = dln_pmodel_locr(m, dl), lc = dln_pmodel_locc(m, d0);
    double pn = dln_pmodel_local_sumsq(prod, m->descp[L], lr, lc);
    dln_pmodel_sum(m, &pn, 1);
    if (!isfinite(pn))
        return NAN;
    if (pn == 0.0)
        return 0.0;
    /* P - U diag(modes) V^T, formed explicitly as diagnostics.c does. */
    dln_pmodel_target_modes(m, m->modes);
    int ur = dln_pmodel_locr(m, dl), uc = dln_pmodel_locc(m, r);
    for (int j = 0; j < uc; j++) {
        int lj = j + 1;
        double dj = m->modes[indxl2g_(&lj, &m->nb, &m->mycol, &izero,
                                      &m->npcol) - 1];
        for (int i = 0; i < ur; i++) {
            size_t at = i + (size_t)j * m->descu[DLN_LLD_];
            m->tv[at] = dj * m->u[at];   /* desct and descu coincide */
        }
    }
    memcpy(m->svd_a, prod, sizeof(double) * (m->lpoff[L + 1] - m->lpoff[L]));
    pdgemm_("N", "T", &dl, &d0, &r, &mone, m->tv, &ione, &ione, m->desct,
            m->v, &ione, &ione, m->descv, &one, m->svd_a, &ione, &ione,
            m->descp[L]);
    double rn = dln_pmodel_local_sumsq(m->svd_a, m->descp[L], lr, lc);
    dln_pmodel_sum(m, &rn, 1);
    return sqrt(rn) / sqrt(pn);
}

int dln_pmodel_mode_gaps(dln_pmodel *m, int rank, double *out)
{
    int L = m->L, n = (L - 1) * rank;
    if (n <= 0)
        return 0;
    memset(out, 0, sizeof(double) * (size_t)n);
    for (int l = 1; l < L; l++) {
        double *o = out + (size_t)(l - 1) * rank;
        /* + ||column i of W_{l+1}||^2 */
        const double *wn = m->x + m->loff[l + 1];
        int lr = dln_pmodel_locr(m, m->dims[l + 1]);
        int lc = dln_pmodel_locc(m, m->dims[l]);
        for (int j = 0; j < lc; j++) {
            int lj = j + 1;
            int gj = indxl2g_(&lj, &m->nb, &m->mycol, &izero, &m->npcol) - 1;
            if (gj >= rank)
                continue;
            for (int i = 0; i < lr; i++) {
                double a = wn[i + (size_t)j * m->descw[l + 1][DLN_LLD_]];
                o[gj] += a * a;
            }
        }
        /* - ||row i of W_l||^2 */
        const double *wl = m->x + m->loff[l];
        lr = dln_pmodel_locr(m, m->dims[l]);
        lc = dln_pmodel_locc(m, m->dims[l - 1]);
        for (int i = 0; i < lr; i++) {
            int li = i + 1;
            int gi = indxl2g_(&li, &m->nb, &m->myrow, &izero, &m->nprow) - 1;
            if (gi >= rank)
                continue;
            for (int j = 0; j < lc; j++) {
                double a = wl[i + (size_t)j * m->descw[l][DLN_LLD_]];
                o[gi] -= a * a;
            }
        }
    }
    dln_pmodel_sum(m, out, n);
    for (int l = 1; l < L; l++)
        for (int i = m->dims[l]; i < rank; i++)
            out[(size_t)(l - 1) * rank + i] = NAN;
    return n;
}
