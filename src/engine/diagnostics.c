/* diagnostics.c — geometry of the current iterate by BLAS/LAPACK on
 * workspaces sized once in dln_diag_create: singular values (dgesdd),
 * balancing gaps (dsyrk), off-diagonal mass in the target's singular basis,
 * and the balanced-minimum theory of the edge of stability. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include <lapacke.h>
#include "dlnsweep/diagnostics.h"

/* LAPACK's unblocked bidiagonalisation (no LAPACKE wrapper ships). */
void dgebd2_(const int *m, const int *n, double *a, const int *lda,
             double *d, double *e, double *tauq, double *taup, double *work,
             int *info);

/* Largest min(rows, cols) decomposed by dgebd2 + dbdsqr instead of
 * dgesdd: below LAPACK's blocking crossover (128) dgesdd's own
 * bidiagonalisation is dgebd2 and its singular values dbdsqr's, but its
 * workspace queries and tuning look-ups (ilaenv) cost ten times the
 * arithmetic of a matrix of a few rows, and the run takes one at every
 * fingerprinted state. */
#define SMALL_SVD_MAX 64

/* Largest dimension whose Gram sums and mode gaps are plain loops. */
#define SMALL_LOOP_MAX 16

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
    double *bidiag;     /* d, e, tauq, taup, dgebd2 and dbdsqr workspace  */
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
        if (mn <= SMALL_SVD_MAX)
            continue;   /* all_sv never calls dgesdd on it */
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
    int maxdim = 0;
    for (int l = 0; l <= d->L; l++)
        maxdim = d->dims[l] > maxdim ? d->dims[l] : maxdim;
    d->bidiag = malloc(sizeof(double) * (8 * (size_t)maxmin + maxdim + 4));
    if (!d->mat || !d->sv || !d->work || !d->iwork || !d->gram || !d->col ||
        !d->bidiag)
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
    free(d->bidiag);
    free(d);
    *pd = NULL;
}

/* All min(r, c) singular values of the r x c matrix at d->mat (finite,
 * overwritten) into d->sv, descending. 0, or 1 on a LAPACK failure. */
static int all_sv(dln_diag *d, int r, int c)
{
    int mn = r < c ? r : c, info = 0;
    if (mn == 1) {   /* a vector: its norm (a 1 x 1 matrix: |a|) */
        size_t sz = (size_t)r * c;
        double ss = 0.0;
        for (size_t i = 0; i < sz; i++)
            ss += d->mat[i] * d->mat[i];
        d->sv[0] = sz == 1 ? fabs(d->mat[0])
                   : ss >= DBL_MIN && ss <= DBL_MAX
                       ? sqrt(ss)
                       : cblas_dnrm2((int)sz, d->mat, 1);   /* scaled */
        return 0;
    }
    if (mn <= SMALL_SVD_MAX) {
        double *e = d->bidiag + mn, *tq = e + mn, *tp = tq + mn;
        double *work = tp + mn;
        dgebd2_(&r, &c, d->mat, &r, d->sv, e, tq, tp, work, &info);
        if (info == 0)
            info = LAPACKE_dbdsqr_work(LAPACK_COL_MAJOR, r >= c ? 'U' : 'L',
                                       mn, 0, 0, 0, d->sv, e, NULL, 1, NULL,
                                       1, NULL, 1, work);
        return info != 0;
    }
    return LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, 'N', r, c, d->mat, r,
                               d->sv, NULL, 1, NULL, 1, d->work, d->lwork,
                               d->iwork) != 0;
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
    if (!finite || all_sv(d, r, c)) {
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

/* ||D||_F of the symmetric k x k D = W_{l+1}^T W_{l+1} - W_l W_l^T of a
 * small pair (every dimension at most SMALL_LOOP_MAX) by plain loops:
 * BLAS and LAPACK calls cost more than their arithmetic there, and the run
 * takes one per pair at every late-orbit state.  NaN when the sum of
 * squares leaves the normal range (the caller then asks LAPACK). */
static double small_gap(const double *wl, const double *wn, int k, int rows,
                        int cols)
{
    double ss = 0.0;
    for (int j = 0; j < k; j++)
        for (int i = 0; i <= j; i++) {
            double g = 0.0, h = 0.0;
            for (int r = 0; r < rows; r++)   /* (W_{l+1}^T W_{l+1})_{ij} */
                g += wn[r + (size_t)i * rows] * wn[r + (size_t)j * rows];
            for (int c = 0; c < cols; c++)   /* (W_l W_l^T)_{ij}         */
                h += wl[i + (size_t)c * k] * wl[j + (size_t)c * k];
            double dij = g - h;
            ss += (i == j ? 1.0 : 2.0) * (dij * dij);
        }
    return ss == 0.0 ? 0.0 : ss >= DBL_MIN && ss <= DBL_MAX ? sqrt(ss) : NAN;
}

double dln_diag_balance_gap(dln_diag *d, const dln_model *m, double *gaps)
{
    const double *x = dln_model_params(m);
    double worst = 0.0;
    for (int l = 1; l < d->L; l++) {
        int k = d->dims[l];   /* D_l is d_l x d_l */
        const double *wl = x + dln_model_layer_offset(m, l);
        const double *wn = x + dln_model_layer_offset(m, l + 1);
        double gap = NAN;
        if (k <= SMALL_LOOP_MAX && d->dims[l + 1] <= SMALL_LOOP_MAX &&
            d->dims[l - 1] <= SMALL_LOOP_MAX)
            gap = small_gap(wl, wn, k, d->dims[l + 1], d->dims[l - 1]);
        if (isnan(gap)) {
            /* D_l = W_{l+1}^T W_{l+1} - W_l W_l^T, upper triangle */
            cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, k,
                        d->dims[l + 1], 1.0, wn, d->dims[l + 1], 0.0,
                        d->gram, k);
            cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, k,
                        d->dims[l - 1], -1.0, wl, k, 1.0, d->gram, k);
            gap = LAPACKE_dlansy_work(LAPACK_COL_MAJOR, 'F', 'U', k,
                                      d->gram, k, NULL);
        }
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

/* Sum of squares of the n entries a[0], a[inc], ... in order. */
static double sum_sq(int n, const double *a, int inc)
{
    double s = 0.0;
    for (int i = 0; i < n; i++)
        s += a[(size_t)i * inc] * a[(size_t)i * inc];
    return s;
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
        int small = next <= SMALL_LOOP_MAX && cols <= SMALL_LOOP_MAX;
        /* column i of W_{l+1}, row i of W_l */
        for (int i = 0; i < rank; i++)
            o[i] = i >= k ? NAN
                   : small ? sum_sq(next, wn + (size_t)i * next, 1) -
                                 sum_sq(cols, wl + i, k)
                           : cblas_ddot(next, wn + (size_t)i * next, 1,
                                        wn + (size_t)i * next, 1) -
                                 cblas_ddot(cols, wl + i, k, wl + i, k);
    }
}
