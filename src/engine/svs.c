/* svs.c — target-aligned bases of the SVS set, the in-set / transverse
 * projections and the neutral (symmetry) directions per index pair
 * (definitions and assumptions in svs.h).
 *
 * Vectors are projected in rotated coordinates: layer l of v becomes
 * R_l^T V_l R_{l-1} (two GEMMs, skipped when every basis is the identity),
 * where the in-set block is the diagonals, the transverse block the rest,
 * and the pair {i<j} owns the entries (i,j) and (j,i) of every layer. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include <lapacke.h>
#include "dlnsweep/svs.h"

#define SVS_DETERMINED_TOL 1e-8   /* |W r| / |W|_F below: mode undetermined */
#define SVS_NEUTRAL_TOL 1e-10     /* generator singular value / scale: zero */
#define SVS_TARGET_TOL 1e-13      /* relative: equal or zero target values  */
#define SVS_STATIONARY_TOL 1e-9   /* mode Hessian eigenvalue / top: neutral */

struct dln_svs {
    int L, dmax, rank, identity;
    int *dims;              /* d_0..d_L                                   */
    size_t *off;            /* layer l (1-based) offset in x; off[L+1] = n */
    size_t n;
    double *R;              /* R_0..R_L, d_l x d_l each at roff[l]        */
    size_t *roff;
    unsigned char *known;   /* per basis column, at koff[l]               */
    size_t *koff;
    double *tdiag;          /* target diagonal in (R_L, R_0), dmax, 0 past */
    size_t nblock[3];       /* block dimensions (full, in-set, transverse) */
    size_t *idx_in, *idx_tr;/* rotated flat index of each block coordinate */
    size_t npairs;          /* index pairs i < j < dmax                   */
    int *pair_i, *pair_j;
    size_t *pstart;         /* coordinates of pair p: pstart[p]..[p+1]-1  */
    size_t *pidx;           /* rotated flat index of each pair coordinate */
    int *pslot;             /* [p][l-1][o]: local coordinate or -1        */
    int gmax;               /* generators per pair: L - 1 inner + 2 outer */
    double *pbasis;         /* pair p's neutral basis at pstart[p] * gmax */
    int *prank;
    double *gen, *gs, *gu, *gwork; /* SVD scratch                         */
    lapack_int glwork;
    double *rot, *tmp;      /* scratch: n, dmax * dmax                    */
    /* In-set neutral directions of stationary modes (dln_svs_balance):
     * mode k's are the columns 0..fneutral[k]-1 of the L x L block at
     * fbasis + k L^2, over its chain's diagonal entries (layers 1..L). */
    int *fneutral;
    double *fbasis;
};

static double *basis(const dln_svs *s, int l) { return s->R + s->roff[l]; }

void dln_svs_destroy(dln_svs **ps)
{
    if (!ps || !*ps)
        return;
    dln_svs *s = *ps;
    free(s->dims);
    free(s->off);
    free(s->R);
    free(s->roff);
    free(s->known);
    free(s->koff);
    free(s->tdiag);
    free(s->idx_in);
    free(s->idx_tr);
    free(s->pair_i);
    free(s->pair_j);
    free(s->pstart);
    free(s->pidx);
    free(s->pslot);
    free(s->pbasis);
    free(s->prank);
    free(s->gen);
    free(s->gs);
    free(s->gu);
    free(s->gwork);
    free(s->rot);
    free(s->tmp);
    free(s->fneutral);
    free(s->fbasis);
    free(s);
    *ps = NULL;
}

/* Rotated flat index of entry (a, b) of layer l. */
static size_t entry(const dln_svs *s, int l, int a, int b)
{
    return s->off[l] + (size_t)a + (size_t)b * s->dims[l];
}

/* Block coordinate tables: diagonals (in-set) and the rest (transverse). */
static void block_tables(dln_svs *s)
{
    size_t ni = 0, nt = 0;
    for (int l = 1; l <= s->L; l++)
        for (int b = 0; b < s->dims[l - 1]; b++)
            for (int a = 0; a < s->dims[l]; a++) {
                if (a == b)
                    s->idx_in[ni++] = entry(s, l, a, b);
                else
                    s->idx_tr[nt++] = entry(s, l, a, b);
            }
    s->nblock[DLN_BLOCK_FULL] = s->n;
    s->nblock[DLN_BLOCK_INSET] = ni;
    s->nblock[DLN_BLOCK_TRANSVERSE] = nt;
}

/* Pair tables: every off-diagonal entry (a, b) belongs to pair {a, b}. */
static int pair_tables(dln_svs *s)
{
    int L = s->L, d = s->dmax;
    s->npairs = (size_t)d * (size_t)(d - 1) / 2;
    size_t np = s->npairs;
    s->pair_i = malloc(sizeof(int) * (np + 1));
    s->pair_j = malloc(sizeof(int) * (np + 1));
    s->pstart = malloc(sizeof(size_t) * (np + 1));
    s->pidx = malloc(sizeof(size_t) * (np * 2 * (size_t)L + 1));
    s->pslot = malloc(sizeof(int) * (np * 2 * (size_t)L + 1));
    s->pbasis = malloc(sizeof(double) * (np * 2 * (size_t)L * s->gmax + 1));
    s->prank = calloc(np + 1, sizeof(int));
    if (!s->pair_i || !s->pair_j || !s->pstart || !s->pidx || !s->pslot ||
        !s->pbasis || !s->prank)
        return 1;
    size_t p = 0, c = 0;
    for (int j = 1; j < d; j++)
        for (int i = 0; i < j; i++, p++) {
            s->pair_i[p] = i;
            s->pair_j[p] = j;
            s->pstart[p] = c;
            for (int l = 1; l <= L; l++)
                for (int o = 0; o < 2; o++) {
                    int a = o ? j : i, b = o ? i : j;
                    int *slot = &s->pslot[(p * L + (size_t)(l - 1)) * 2 + o];
                    *slot = -1;
                    if (a < s->dims[l] && b < s->dims[l - 1]) {
                        *slot = (int)(c - s->pstart[p]);
                        s->pidx[c++] = entry(s, l, a, b);
                    }
                }
        }
    s->pstart[np] = c;
    return 0;
}

/* dln_svs_create, with the pair tables when pairs. */
static int svs_create(const dln_model *m, int pairs, dln_svs **out)
{
    int rc = 1;
    dln_svs *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s)
        goto cleanup;
    s->L = dln_model_depth(m);
    s->n = dln_model_nparams(m);
    s->rank = dln_model_rank(m);
    s->gmax = s->L + 1;
    s->dims = malloc(sizeof(int) * (size_t)(s->L + 1));
    s->off = malloc(sizeof(size_t) * (size_t)(s->L + 2));
    s->roff = malloc(sizeof(size_t) * (size_t)(s->L + 2));
    s->koff = malloc(sizeof(size_t) * (size_t)(s->L + 2));
    if (!s->dims || !s->off || !s->roff || !s->koff)
        goto cleanup;
    s->dims[0] = dln_model_cols(m, 1);
    s->dmax = s->dims[0];
    s->roff[0] = s->koff[0] = 0;
    for (int l = 1; l <= s->L; l++) {
        s->dims[l] = dln_model_rows(m, l);
        s->off[l] = dln_model_layer_offset(m, l);
        if (s->dims[l] > s->dmax)
            s->dmax = s->dims[l];
    }
    s->off[s->L + 1] = s->n;
    for (int l = 0; l <= s->L; l++) {
        s->roff[l + 1] = s->roff[l] + (size_t)s->dims[l] * s->dims[l];
        s->koff[l + 1] = s->koff[l] + (size_t)s->dims[l];
    }
    size_t g2 = 2 * (size_t)s->L * s->gmax;
    s->R = malloc(sizeof(double) * s->roff[s->L + 1]);
    s->known = malloc(s->koff[s->L + 1]);
    s->tdiag = calloc((size_t)s->dmax, sizeof(double));
    s->idx_in = malloc(sizeof(size_t) * (s->n + 1));
    s->idx_tr = malloc(sizeof(size_t) * (s->n + 1));
    s->gen = malloc(sizeof(double) * g2);
    s->gs = malloc(sizeof(double) * (size_t)s->gmax);
    s->gu = malloc(sizeof(double) * g2);
    s->rot = malloc(sizeof(double) * s->n);
    s->tmp = malloc(sizeof(double) * (size_t)s->dmax * s->dmax);
    s->fneutral = calloc((size_t)s->dmax, sizeof(int));
    s->fbasis = malloc(sizeof(double) * (size_t)s->dmax * s->L * s->L);
    if (!s->fneutral || !s->fbasis || !s->R || !s->known || !s->tdiag || !s->idx_in || !s->idx_tr ||
        !s->gen || !s->gs || !s->gu || !s->rot || !s->tmp)
        goto cleanup;
    block_tables(s);
    if (pairs && pair_tables(s))
        goto cleanup;
    /* SVD workspace for the largest pair (2L coordinates x gmax). */
    double q;
    if (LAPACKE_dgesvd_work(LAPACK_COL_MAJOR, 'S', 'N', 2 * s->L, s->gmax,
                            s->gen, 2 * s->L, s->gs, s->gu, 2 * s->L, NULL, 1,
                            &q, -1) != 0)
        goto cleanup;
    s->glwork = (lapack_int)q + 1;
    s->gwork = malloc(sizeof(double) * (size_t)s->glwork);
    if (!s->gwork)
        goto cleanup;
    /* Until fitted: identity bases. */
    memset(s->R, 0, sizeof(double) * s->roff[s->L + 1]);
    for (int l = 0; l <= s->L; l++)
        for (int i = 0; i < s->dims[l]; i++)
            basis(s, l)[i + (size_t)i * s->dims[l]] = 1.0;
    s->identity = 1;
    *out = s;
    s = NULL;
    rc = 0;
cleanup:
    dln_svs_destroy(&s);
    return rc;
}

int dln_svs_create(const dln_model *m, dln_svs **out)
{
    return svs_create(m, 1, out);
}

int dln_svs_create_lean(const dln_model *m, dln_svs **out)
{
    return svs_create(m, 0, out);
}

int dln_svs_identity_bases(const dln_svs *s) { return s->identity; }

size_t dln_svs_block_dim(const dln_svs *s, dln_block b)
{
    return (int)b >= 0 && b <= DLN_BLOCK_TRANSVERSE ? s->nblock[b] : 0;
}

/* out_l = R_l^T v_l R_{l-1} for every layer (out may not alias v). */
static void to_rot(dln_svs *s, const double *v, double *out)
{
    if (s->identity) {
        memcpy(out, v, sizeof(double) * s->n);
        return;
    }
    for (int l = 1; l <= s->L; l++) {
        int r = s->dims[l], c = s->dims[l - 1];
        cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, r, c, r, 1.0,
                    basis(s, l), r, v + s->off[l], r, 0.0, s->tmp, r);
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, r, c, c, 1.0,
                    s->tmp, r, basis(s, l - 1), c, 0.0, out + s->off[l], r);
    }
}

/* v_l = R_l rot_l R_{l-1}^T for every layer (v may not alias rot). */
static void from_rot(dln_svs *s, const double *rot, double *v)
{
    if (s->identity) {
        memcpy(v, rot, sizeof(double) * s->n);
        return;
    }
    for (int l = 1; l <= s->L; l++) {
        int r = s->dims[l], c = s->dims[l - 1];
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, r, c, r, 1.0,
                    basis(s, l), r, rot + s->off[l], r, 0.0, s->tmp, r);
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, r, c, c, 1.0,
                    s->tmp, r, basis(s, l - 1), c, 0.0, v + s->off[l], r);
    }
}

/* Flip column a (length d) so that its largest-magnitude entry is positive:
 * a diagonal state then yields exact unit vectors. */
static void canonical_sign(double *a, int d)
{
    int k = (int)cblas_idamax(d, a, 1);
    if (a[k] < 0.0)
        cblas_dscal(d, -1.0, a, 1);
}

/* Try to determine column i of space `to` as W r / |W r| (W = W_l, or W_l^T
 * when going down) from the known column i of space `from`; 1 if done. */
static int chain_column(dln_svs *s, const double *x, int l, int down, int i)
{
    int from = down ? l : l - 1, to = down ? l - 1 : l;
    int r = s->dims[l], c = s->dims[l - 1];
    const double *w = x + s->off[l];
    double *dst = basis(s, to) + (size_t)i * s->dims[to];
    const double *src = basis(s, from) + (size_t)i * s->dims[from];
    cblas_dgemv(CblasColMajor, down ? CblasTrans : CblasNoTrans, r, c, 1.0, w,
                r, src, 1, 0.0, dst, 1);
    double nw = cblas_dnrm2((int)((size_t)r * c), w, 1);
    double nc = cblas_dnrm2(s->dims[to], dst, 1);
    if (!(nc > SVS_DETERMINED_TOL * nw))
        return 0;
    cblas_dscal(s->dims[to], 1.0 / nc, dst, 1);
    canonical_sign(dst, s->dims[to]);
    s->known[s->koff[to] + (size_t)i] = 1;
    return 1;
}

/* Propagate known columns along the chain of layers until nothing new. */
static void chain(dln_svs *s, const double *x)
{
    for (int changed = 1; changed;) {
        changed = 0;
        for (int pass = 0; pass < 2; pass++)
            for (int k = 1; k <= s->L; k++) {
                int l = pass ? s->L + 1 - k : k;   /* up, then down */
                int from = pass ? l : l - 1, to = pass ? l - 1 : l;
                int mn = s->dims[l] < s->dims[l - 1] ? s->dims[l]
                                                     : s->dims[l - 1];
                for (int i = 0; i < mn; i++)
                    if (s->known[s->koff[from] + i] &&
                        !s->known[s->koff[to] + i])
                        changed |= chain_column(s, x, l, pass, i);
            }
    }
}

/* Orthonormalise space l by LAPACK QR: its known columns (in index order)
 * keep their directions, the unknown ones get the orthonormal complement
 * in index order. Marks every column known. Returns 0 or 1. */
static int complete_space(dln_svs *s, int l)
{
    int d = s->dims[l], k = 0, rc = 1;
    double *R = basis(s, l);
    unsigned char *kn = s->known + s->koff[l];
    double *a = calloc((size_t)d * d + 2 * (size_t)d, sizeof(double));
    if (!a)
        return 1;
    double *tau = a + (size_t)d * d, *sign = tau + d;
    for (int i = 0; i < d; i++)
        if (kn[i])
            memcpy(a + (size_t)(k++) * d, R + (size_t)i * d,
                   sizeof(double) * (size_t)d);
    if (k > 0 &&
        LAPACKE_dgeqrf(LAPACK_COL_MAJOR, d, k, a, d, tau) != 0)
        goto cleanup;
    for (int j = 0; j < k; j++)
        sign[j] = a[j + (size_t)j * d] < 0.0 ? -1.0 : 1.0;
    if (LAPACKE_dorgqr(LAPACK_COL_MAJOR, d, d, k, a, d, tau) != 0)
        goto cleanup;
    for (int i = 0, kk = 0, uu = k; i < d; i++) {
        const double *q = a + (size_t)(kn[i] ? kk : uu) * d;
        double sg = kn[i] ? sign[kk] : 1.0;
        for (int r = 0; r < d; r++)
            R[r + (size_t)i * d] = sg * q[r];
        if (!kn[i])
            canonical_sign(R + (size_t)i * d, d);
        kn[i] ? kk++ : uu++;
        kn[i] = 1;
    }
    rc = 0;
cleanup:
    free(a);
    return rc;
}

/* Target diagonal t_k = r_{L,k}^T M* r_{0,k}, 0 past min(d_0, d_L). */
static void target_diagonal(dln_svs *s, const dln_model *m)
{
    int d0 = s->dims[0], dl = s->dims[s->L], mn = d0 < dl ? d0 : dl;
    const double *t = dln_model_target(m);
    memset(s->tdiag, 0, sizeof(double) * (size_t)s->dmax);
    for (int k = 0; k < mn; k++) {
        cblas_dgemv(CblasColMajor, CblasNoTrans, dl, d0, 1.0, t, dl,
                    basis(s, 0) + (size_t)k * d0, 1, 0.0, s->tmp, 1);
        s->tdiag[k] = cblas_ddot(dl, basis(s, s->L) + (size_t)k * dl, 1,
                                 s->tmp, 1);
    }
}

double dln_svs_defect(dln_svs *s, const double *x)
{
    double off = 0.0, tot = 0.0;
    to_rot(s, x, s->rot);
    for (size_t j = 0; j < s->nblock[DLN_BLOCK_TRANSVERSE]; j++)
        off += s->rot[s->idx_tr[j]] * s->rot[s->idx_tr[j]];
    for (size_t j = 0; j < s->n; j++)
        tot += x[j] * x[j];
    if (!isfinite(off) || !isfinite(tot))
        return NAN;
    return tot > 0.0 ? sqrt(off / tot) : 0.0;
}

int dln_svs_fit(dln_svs *s, const dln_model *m, double *defect)
{
    int L = s->L, r = s->rank;
    const double *x = dln_model_params(m);
    if (dln_model_depth(m) != L || dln_model_nparams(m) != s->n)
        return 2;
    memset(s->known, 0, s->koff[L + 1]);
    memcpy(basis(s, 0), dln_model_target_v(m),
           sizeof(double) * (size_t)s->dims[0] * r);
    memcpy(basis(s, L), dln_model_target_u(m),
           sizeof(double) * (size_t)s->dims[L] * r);
    for (int i = 0; i < r; i++)
        s->known[s->koff[0] + i] = s->known[s->koff[L] + i] = 1;
    /* Chain, then complete the first space with unknown columns, and again
     * until every column is known. */
    for (;;) {
        chain(s, x);
        int l = 0;
        while (l <= L && memchr(s->known + s->koff[l], 0,
                                (size_t)s->dims[l]) == NULL)
            l++;
        if (l > L)
            break;
        if (complete_space(s, l))
            return 1;
    }
    for (int l = 0; l <= L; l++)   /* clean-up QR, in index order */
        if (complete_space(s, l))
            return 1;
    s->identity = 1;
    for (int l = 0; l <= L && s->identity; l++)
        for (int j = 0; j < s->dims[l] && s->identity; j++)
            for (int i = 0; i < s->dims[l]; i++)
                if (basis(s, l)[i + (size_t)j * s->dims[l]] != (i == j)) {
                    s->identity = 0;
                    break;
                }
    target_diagonal(s, m);
    if (defect)
        *defect = dln_svs_defect(s, x);
    return dln_svs_set_point(s, x) < 0 ? 1 : 0;
}

/* Diagonal entry k of layer l in the rotated coordinates rot, or 0 past
 * the layer's shape. */
static double rot_diag(const dln_svs *s, const double *rot, int l, int k)
{
    if (k >= s->dims[l] || k >= s->dims[l - 1])
        return 0.0;
    return rot[entry(s, l, k, k)];
}

/* Diagonal entry k of rotated layer l (0 past its diagonal). */
static double diag_entry(const dln_svs *s, int l, int k)
{
    return rot_diag(s, s->rot, l, k);
}

/* Add val at pair p's coordinate (layer l, o = 0: (i,j), 1: (j,i)) of the
 * generator column g (nc long), if that entry exists. */
static void gen_add(const dln_svs *s, size_t p, int l, int o, double val,
                    double *g)
{
    int c = s->pslot[(p * s->L + (size_t)(l - 1)) * 2 + o];
    if (c >= 0)
        g[c] += val;
}

/* Generators of pair p into s->gen (nc x count, column-major); returns
 * the count. Space k rotation A = E_ij - E_ji: layer k gets A D_k, layer
 * k+1 gets -D_{k+1} A; outer spaces only where they fix the target. */
static int pair_generators(dln_svs *s, size_t p, int nc, double tscale)
{
    int i = s->pair_i[p], j = s->pair_j[p], L = s->L, cnt = 0;
    double ti = s->tdiag[i], tj = s->tdiag[j];
    int zero = fabs(ti) <= SVS_TARGET_TOL * tscale &&
               fabs(tj) <= SVS_TARGET_TOL * tscale;
    int equal = !zero && fabs(ti - tj) <= SVS_TARGET_TOL * tscale;
    for (int k = 0; k <= L; k++) {   /* a rotation of space k */
        int inner = k > 0 && k < L;
        int joint = k == L && equal && j < s->dims[0];
        if (j >= s->dims[k] || (!inner && !zero && !joint))
            continue;
        double *g = s->gen + (size_t)cnt * nc;
        memset(g, 0, sizeof(double) * (size_t)nc);
        if (k >= 1) {          /* layer k: A D_k */
            gen_add(s, p, k, 0, diag_entry(s, k, j), g);
            gen_add(s, p, k, 1, -diag_entry(s, k, i), g);
        }
        if (k < L || joint) {  /* layer k+1 (layer 1 if joint): -D A */
            int l = k < L ? k + 1 : 1;
            gen_add(s, p, l, 0, -diag_entry(s, l, i), g);
            gen_add(s, p, l, 1, diag_entry(s, l, j), g);
        }
        cnt++;
    }
    return cnt;
}

int dln_svs_set_point(dln_svs *s, const double *x)
{
    int total = 0;
    double scale = 0.0, tscale = 0.0;
    to_rot(s, x, s->rot);
    for (size_t j = 0; j < s->nblock[DLN_BLOCK_INSET]; j++)
        scale = fmax(scale, fabs(s->rot[s->idx_in[j]]));
    for (int k = 0; k < s->dmax; k++)
        tscale = fmax(tscale, fabs(s->tdiag[k]));
    for (size_t p = 0; p < s->npairs; p++) {
        int nc = (int)(s->pstart[p + 1] - s->pstart[p]);
        s->prank[p] = 0;
        if (nc == 0 || !(scale > 0.0))
            continue;
        int g = pair_generators(s, p, nc, tscale);
        if (g == 0)
            continue;
        int mn = nc < g ? nc : g;
        if (LAPACKE_dgesvd_work(LAPACK_COL_MAJOR, 'S', 'N', nc, g, s->gen, nc,
                                s->gs, s->gu, nc, NULL, 1, s->gwork,
                                s->glwork) != 0)
            return -1;
        int rk = 0;
        while (rk < mn && s->gs[rk] > SVS_NEUTRAL_TOL * scale)
            rk++;
        memcpy(s->pbasis + s->pstart[p] * s->gmax, s->gu,
               sizeof(double) * (size_t)nc * rk);
        s->prank[p] = rk;
        total += rk;
    }
    return total;
}

/* Remove every pair's neutral component from the rotated vector s->rot. */
static void remove_neutral(dln_svs *s)
{
    double *c = s->gs, *vp = s->gen;   /* gmax and 2L long scratch */
    for (size_t p = 0; p < s->npairs; p++) {
        int rk = s->prank[p], nc = (int)(s->pstart[p + 1] - s->pstart[p]);
        if (rk == 0)
            continue;
        const size_t *ix = s->pidx + s->pstart[p];
        const double *u = s->pbasis + s->pstart[p] * s->gmax;
        for (int k = 0; k < nc; k++)
            vp[k] = s->rot[ix[k]];
        cblas_dgemv(CblasColMajor, CblasTrans, nc, rk, 1.0, u, nc, vp, 1, 0.0,
                    c, 1);
        cblas_dgemv(CblasColMajor, CblasNoTrans, nc, rk, -1.0, u, nc, c, 1,
                    1.0, vp, 1);
        for (int k = 0; k < nc; k++)
            s->rot[ix[k]] = vp[k];
    }
}

/* Remove the stationary modes' in-set neutral directions from s->rot. */
static void remove_stationary(dln_svs *s)
{
    int L = s->L;
    for (int k = 0; k < s->dmax; k++)
        for (int c = 0; c < s->fneutral[k]; c++) {
            const double *u = s->fbasis + ((size_t)k * L + c) * L;
            double dot = 0.0;
            for (int l = 1; l <= L; l++)
                if (k < s->dims[l] && k < s->dims[l - 1])
                    dot += u[l - 1] * s->rot[entry(s, l, k, k)];
            for (int l = 1; l <= L; l++)
                if (k < s->dims[l] && k < s->dims[l - 1])
                    s->rot[entry(s, l, k, k)] -= dot * u[l - 1];
        }
}

int dln_svs_project(dln_svs *s, dln_block b, int quotient, double *v)
{
    if ((int)b < 0 || b > DLN_BLOCK_TRANSVERSE)
        return 2;
    if (b == DLN_BLOCK_FULL && !quotient)
        return 0;
    to_rot(s, v, s->rot);
    if (b != DLN_BLOCK_FULL) {
        const size_t *zero = b == DLN_BLOCK_INSET ? s->idx_tr : s->idx_in;
        size_t nz = s->nblock[b == DLN_BLOCK_INSET ? DLN_BLOCK_TRANSVERSE
                                                    : DLN_BLOCK_INSET];
        for (size_t j = 0; j < nz; j++)
            s->rot[zero[j]] = 0.0;
    }
    if (quotient && b != DLN_BLOCK_INSET)
        remove_neutral(s);
    if (quotient && b != DLN_BLOCK_TRANSVERSE)
        remove_stationary(s);
    from_rot(s, s->rot, v);
    return 0;
}

/* Rotated flat index of coordinate j of block b. */
static size_t block_index(const dln_svs *s, dln_block b, size_t j)
{
    if (b == DLN_BLOCK_INSET)
        return s->idx_in[j];
    if (b == DLN_BLOCK_TRANSVERSE)
        return s->idx_tr[j];
    return j;
}

int dln_svs_block_expand(dln_svs *s, dln_block b, const double *c, double *v)
{
    if ((int)b < 0 || b > DLN_BLOCK_TRANSVERSE)
        return 2;
    if (b == DLN_BLOCK_FULL) {
        memcpy(v, c, sizeof(double) * s->n);
        return 0;
    }
    memset(s->rot, 0, sizeof(double) * s->n);
    for (size_t j = 0; j < s->nblock[b]; j++)
        s->rot[block_index(s, b, j)] = c[j];
    from_rot(s, s->rot, v);
    return 0;
}

int dln_svs_block_coords(dln_svs *s, dln_block b, const double *v, double *c)
{
    if ((int)b < 0 || b > DLN_BLOCK_TRANSVERSE)
        return 2;
    if (b == DLN_BLOCK_FULL) {
        memcpy(c, v, sizeof(double) * s->n);
        return 0;
    }
    to_rot(s, v, s->rot);
    for (size_t j = 0; j < s->nblock[b]; j++)
        c[j] = s->rot[block_index(s, b, j)];
    return 0;
}

/* 1 if mode k's chain is the same (within tol of its scale) at every one of
 * the count states (rotated coordinates, n apart). */
static int mode_stationary(const dln_svs *s, const double *rots, int count,
                           int k, double tol)
{
    double scale = 1.0;
    for (int l = 1; l <= s->L; l++)
        scale = fmax(scale, fabs(rot_diag(s, rots, l, k)));
    for (int t = 1; t < count; t++)
        for (int l = 1; l <= s->L; l++)
            if (fabs(rot_diag(s, rots + (size_t)t * s->n, l, k) -
                     rot_diag(s, rots, l, k)) > tol * scale)
                return 0;
    return 1;
}

/* Mode k's neutral in-set directions at the chain in rot: the null space of
 * its own L x L Hessian g g^T + r D2 (g_l = prod_{j != l} c_j, D2_lm =
 * prod_{j != l, m} c_j, r = prod - s_k; a chain cut by a missing diagonal
 * has none: every direction is neutral), by LAPACK dsyev. Returns 0, 1. */
static int stationary_neutral(dln_svs *s, const double *rot, int k)
{
    int L = s->L, cut = 0, rc = 1;
    double *h = calloc((size_t)L * L + L, sizeof(double));
    if (!h)
        return 1;
    double *ev = h + (size_t)L * L, *u = s->fbasis + (size_t)k * L * L;
    for (int l = 1; l <= L; l++)
        cut |= !(k < s->dims[l] && k < s->dims[l - 1]);
    if (!cut) {
        double prod = 1.0;
        for (int l = 1; l <= L; l++)
            prod *= rot_diag(s, rot, l, k);
        double r = prod - s->tdiag[k];
        for (int a = 0; a < L; a++)
            for (int b = 0; b < L; b++) {
                double ga = 1.0, gb = 1.0, d2 = 1.0;
                for (int j = 0; j < L; j++) {
                    double c = rot_diag(s, rot, j + 1, k);
                    ga *= j == a ? 1.0 : c;
                    gb *= j == b ? 1.0 : c;
                    d2 *= (j == a || j == b) ? 1.0 : c;
                }
                h[a + (size_t)b * L] = ga * gb + (a == b ? 0.0 : r * d2);
            }
        if (LAPACKE_dsyev(LAPACK_COL_MAJOR, 'V', 'U', L, h, L, ev) != 0)
            goto cleanup;
    }
    double top = 1.0;
    for (int i = 0; i < L; i++)
        top = fmax(top, fabs(ev[i]));
    int nn = 0;
    for (int i = 0; i < L; i++)
        if (cut || fabs(ev[i]) <= SVS_STATIONARY_TOL * top) {
            for (int l = 0; l < L; l++)
                u[(size_t)nn * L + l] = cut ? (l == i) : h[l + (size_t)i * L];
            nn++;
        }
    s->fneutral[k] = nn;
    rc = 0;
cleanup:
    free(h);
    return rc;
}

int dln_svs_balance(dln_svs *s, const double *states, int count, double tol,
                    double *x)
{
    int balanced = 0;
    if (count < 1)
        return -1;
    double *rots = malloc(sizeof(double) * s->n * ((size_t)count + 1));
    if (!rots)
        return -1;
    memset(s->fneutral, 0, sizeof(int) * (size_t)s->dmax);
    for (int t = 0; t < count; t++)
        to_rot(s, states + (size_t)t * s->n, rots + (size_t)t * s->n);
    double *rx = rots + (size_t)count * s->n;
    to_rot(s, x, rx);
    for (int k = 0; k < s->dmax; k++) {
        if (!mode_stationary(s, rots, count, k, tol))
            continue;
        double c = 1.0;
        for (int l = 1; l <= s->L; l++)
            c *= rot_diag(s, rx, l, k);
        double mag = pow(fabs(c), 1.0 / s->L);
        for (int l = 1; l <= s->L; l++)
            if (k < s->dims[l] && k < s->dims[l - 1]) {
                double *d = &rx[entry(s, l, k, k)];
                *d = c == 0.0 ? 0.0 : copysign(mag, *d);
            }
        if (stationary_neutral(s, rx, k)) {
            balanced = -1;
            goto cleanup;
        }
        balanced++;
    }
    from_rot(s, rx, x);
cleanup:
    free(rots);
    return balanced;
}

int dln_svs_stationary_neutral(const dln_svs *s)
{
    int total = 0;
    for (int k = 0; k < s->dmax; k++)
        total += s->fneutral[k];
    return total;
}
