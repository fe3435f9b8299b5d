/* diagnostics.c — geometry of the current iterate by BLAS/LAPACK on
 * workspaces sized once in dln_diag_create: singular values (dgesdd),
 * balancing gaps (dsyrk), off-diagonal mass in the target's singular basis,
 * and the balanced-minimum theory of the edge of stability. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include <lapacke.h>
#include "dlnsweep/diagnostics.h"

struct dln_diag {
    int L, rank;
    int *dims;          /* d_0..d_L                                       */
    double *mat;        /* copy of the matrix being decomposed / residual */
    double *sv;         /* all singular values of one matrix              */
    double *work;       /* dgesdd workspace                               */
    lapack_int lwork;
    lapack_int *iwork;  /* dgesdd integer workspace, 8 min(m, n)          */
    double *gram;       /* one balancing difference D_l, dmax x dmax      */
    double *col;        /* P v_i, d_L                                     */
};

/* Optimal dgesdd(jobz='N') workspace for an r x c matrix; -1 on failure. */
static lapack_int svd_lwork(int r, int c)
{
    double q = 0.0, a = 0.0, s = 0.0;
    lapack_int iw = 0;
    if (LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, 'N', r, c, &a, r, &s, NULL, 1,
                            NULL, 1, &q, -1, &iw) != 0)
        return -1;
    return (lapack_int)q + 1;
}

int dln_diag_create(const dln_model *m, dln_diag **out)
{
    int rc = 1;
    dln_diag *d = calloc(1, sizeof *d);
    *out = NULL;
    if (!d)
        goto cleanup;
    d->L = dln_model_depth(m);
    d->rank = dln_model_rank(m);
    d->dims = malloc(sizeof(int) * (size_t)(d->L + 1));
    if (!d->dims)
        goto cleanup;
    d->dims[0] = dln_model_cols(m, 1);
    for (int l = 1; l <= d->L; l++)
        d->dims[l] = dln_model_rows(m, l);
    /* Matrices decomposed: the product (d_L x d_0, l = 0) and each layer. */
    size_t maxmat = 0;
    int maxmin = 0, dmax = 0;
    d->lwork = 1;
    for (int l = 0; l <= d->L; l++) {
        int r = l ? d->dims[l] : d->dims[d->L];
        int c = l ? d->dims[l - 1] : d->dims[0];
        int mn = r < c ? r : c;
        if ((size_t)r * c > maxmat)
            maxmat = (size_t)r * c;
        if (mn > maxmin)
            maxmin = mn;
        if (d->dims[l] > dmax)
            dmax = d->dims[l];
        lapack_int lw = svd_lwork(r, c);
        if (lw < 0)
            goto cleanup;
        if (lw > d->lwork)
            d->lwork = lw;
    }
    d->mat = malloc(sizeof(double) * maxmat);
    d->sv = malloc(sizeof(double) * (size_t)maxmin);
    d->work = malloc(sizeof(double) * (size_t)d->lwork);
    d->iwork = malloc(sizeof(lapack_int) * 8 * (size_t)maxmin);
    d->gram = malloc(sizeof(double) * (size_t)dmax * dmax);
    d->col = malloc(sizeof(double) * (size_t)d->dims[d->L]);
    if (!d->mat || !d->sv || !d->work || !d->iwork || !d->gram || !d->col)
        goto cleanup;
    *out = d;
    d = NULL;
    rc = 0;
cleanup:
    dln_diag_destroy(&d);
    return rc;
}

void dln_diag_destroy(dln_diag **pd)
{
    if (!pd || !*pd)
        return;
    dln_diag *d = *pd;
    free(d->dims);
    free(d->mat);
    free(d->sv);
    free(d->work);
    free(d->iwork);
    free(d->gram);
    free(d->col);
    free(d);
    *pd = NULL;
}

/* Top min(DLN_MAX_SV, min(r, c)) singular values of the r x c matrix a into
 * out (descending, NaN if a has non-finite entries); returns how many. */
static int top_sv(dln_diag *d, const double *a, int r, int c, double *out)
{
    size_t sz = (size_t)r * c;
    int mn = r < c ? r : c, cnt = mn < DLN_MAX_SV ? mn : DLN_MAX_SV;
    int finite = 1;
    for (size_t i = 0; i < sz && finite; i++)
        finite = isfinite(a[i]);
    memcpy(d->mat, a, sizeof(double) * sz);
    if (!finite || LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, 'N', r, c, d->mat,
                                       r, d->sv, NULL, 1, NULL, 1, d->work,
                                       d->lwork, d->iwork) != 0) {
        for (int i = 0; i < cnt; i++)
            out[i] = NAN;
        return cnt;
    }
    memcpy(out, d->sv, sizeof(double) * (size_t)cnt);
    return cnt;
}

int dln_diag_product_sv(dln_diag *d, const dln_model *m, double *sv)
{
    return top_sv(d, dln_model_product(m), d->dims[d->L], d->dims[0], sv);
}

int dln_diag_layer_sv(dln_diag *d, const dln_model *m, double *sv_layers)
{
    const double *x = dln_model_params(m);
    for (int l = 1; l <= d->L; l++) {
        double *row = sv_layers + (size_t)(l - 1) * DLN_MAX_SV;
        int cnt = top_sv(d, x + dln_model_layer_offset(m, l), d->dims[l],
                         d->dims[l - 1], row);
        for (int i = cnt; i < DLN_MAX_SV; i++)
            row[i] = 0.0;
    }
    return 0;
}

double dln_diag_balance_gap(dln_diag *d, const dln_model *m, double *gaps)
{
    const double *x = dln_model_params(m);
    double worst = 0.0;
    for (int l = 1; l < d->L; l++) {
        int k = d->dims[l];   /* D_l is d_l x d_l */
        const double *wl = x + dln_model_layer_offset(m, l);
        const double *wn = x + dln_model_layer_offset(m, l + 1);
        /* D_l = W_{l+1}^T W_{l+1} - W_l W_l^T, upper triangle */
        cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, k, d->dims[l + 1],
                    1.0, wn, d->dims[l + 1], 0.0, d->gram, k);
        cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, k,
                    d->dims[l - 1], -1.0, wl, k, 1.0, d->gram, k);
        double gap = LAPACKE_dlansy_work(LAPACK_COL_MAJOR, 'F', 'U', k,
                                         d->gram, k, NULL);
        if (gaps)
            gaps[l - 1] = gap;
        if (isnan(gap))
            worst = NAN;   /* stays NaN: NaN > x is false below */
        else if (gap > worst)
            worst = gap;
    }
    return worst;
}

double dln_diag_offdiag_mass(dln_diag *d, const dln_model *m)
{
    int dout = d->dims[d->L], din = d->dims[0];
    size_t sz = (size_t)dout * din;
    const double *p = dln_model_product(m);
    const double *u = dln_model_target_u(m), *v = dln_model_target_v(m);
    double pnorm = cblas_dnrm2((int)sz, p, 1);
    if (!isfinite(pnorm))
        return NAN;
    if (pnorm == 0.0)
        return 0.0;
    /* R = P - sum_i (u_i^T P v_i) u_i v_i^T: everything of P that is not on
     * the diagonal of U^T P V, including the part outside span(U), span(V).
     * Formed explicitly (not sqrt(||P||^2 - sum diag^2)) so a diagonal
     * product gives 0 to rounding rather than to sqrt(rounding). */
    memcpy(d->mat, p, sizeof(double) * sz);
    for (int i = 0; i < d->rank; i++) {
        const double *ui = u + (size_t)i * dout, *vi = v + (size_t)i * din;
        cblas_dgemv(CblasColMajor, CblasNoTrans, dout, din, 1.0, p, dout, vi,
                    1, 0.0, d->col, 1);
        double dii = cblas_ddot(dout, ui, 1, d->col, 1);
        cblas_dger(CblasColMajor, dout, din, -dii, ui, 1, vi, 1, d->mat, dout);
    }
    return cblas_dnrm2((int)sz, d->mat, 1) / pnorm;
}

int dln_diag_point(dln_diag *d, dln_model *m, long step, dln_traj_point *pt)
{
    double sv[DLN_MAX_SV];
    pt->step = step;
    pt->loss = dln_model_loss(m);   /* refreshes the cached product */
    int cnt = dln_diag_product_sv(d, m, sv);
    pt->sv1 = cnt > 0 ? sv[0] : 0.0;
    pt->sv2 = cnt > 1 ? sv[1] : 0.0;
    pt->balance_gap = dln_diag_balance_gap(d, m, NULL);
    pt->offdiag_mass = dln_diag_offdiag_mass(d, m);
    pt->sharpness = NAN;
    pt->n_oscillating = 0;
    return 0;
}

void dln_diag_mode_gaps(const dln_model *m, int rank, double *out)
{
    const double *x = dln_model_params(m);
    int L = dln_model_depth(m);
    for (int l = 1; l < L; l++) {
        int k = dln_model_rows(m, l), cols = dln_model_cols(m, l);
        int next = dln_model_rows(m, l + 1);
        const double *wl = x + dln_model_layer_offset(m, l);
        const double *wn = x + dln_model_layer_offset(m, l + 1);
        double *o = out + (size_t)(l - 1) * rank;
        /* column i of W_{l+1}, row i of W_l */
        for (int i = 0; i < rank; i++)
            o[i] = i < k ? cblas_ddot(next, wn + (size_t)i * next, 1,
                                      wn + (size_t)i * next, 1) -
                               cblas_ddot(cols, wl + i, k, wl + i, k)
                         : NAN;
    }
}
