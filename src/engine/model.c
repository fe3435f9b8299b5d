/* model.c — deep linear network: target, initialisation, loss, gradient,
 * GD step and exact Hessian-vector products, by BLAS (or the lane kernels,
 * below) on workspaces allocated once in dln_model_create.
 *
 * Notation: d_0 = d_in, d_1..d_{L-1} = width, d_L = d_out; layer l is
 * W_l (d_l x d_{l-1}).  Prefix products P_l = W_l ... W_1 (d_l x d_0),
 * residual E = P_L - M*, back-propagated B_L = E, B_{l-1} = W_l^T B_l, so the
 * gradient is G_l = B_l P_{l-1}^T (P_0 = I).  Tangents along a direction V:
 * dP_l = W_l dP_{l-1} + V_l P_{l-1}, dB_L = dP_L,
 * dB_{l-1} = V_l^T B_l + W_l^T dB_l, and (Hv)_l = dB_l P_{l-1}^T + B_l dP_{l-1}^T.
 * B_1..B_{L-1} are kept per layer: the gradient fills them as it goes, and
 * the HVPs of a Lanczos run (many at one point) reuse them.
 *
 * Networks small enough for the lane kernels (lanes.h) take the loss,
 * gradient and step through them with one lane (the same arithmetic as
 * every lane of a dln_batch); the HVP stays on BLAS for every size. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include <lapacke.h>
#include "dlnsweep/model.h"
#include "dlnsweep/rng.h"
#include "lanes_internal.h"

struct dln_model {
    dln_params p;
    int L;
    int *dims;          /* d_0..d_L                                  */
    size_t *off;        /* offset of layer l in x, l = 1..L+1        */
    size_t *poff;       /* offset of P_l in prefix buffers, l = 1..L */
    size_t n;           /* number of parameters                      */
    int rank;
    double *x;          /* parameters                                */
    double *target;     /* M*, d_L x d_0                             */
    double *u, *v;      /* singular factors of M*: d_L x r, d_0 x r  */
    double *prefix;     /* P_1..P_L                                  */
    double *dprefix;    /* dP_1..dP_L (HVP)                          */
    double *resid;      /* E                                         */
    double *back;       /* B_1..B_{L-1} at offsets poff (B_L = E)    */
    double *dback[2];   /* dB_l ping-pong, dmax x d0                 */
    double *grad;       /* gradient scratch for step                 */
    const dln_lanes_isa *lanes;   /* one-lane kernels, NULL: BLAS     */
    dln_lanes_shape shape;
    int fresh;          /* prefix/resid match x                      */
    int back_fresh;     /* back matches x                            */
    double loss;
};

size_t dln_model_nparams(const dln_model *m) { return m->n; }
int dln_model_depth(const dln_model *m) { return m->L; }
int dln_model_rows(const dln_model *m, int l) { return m->dims[l]; }
int dln_model_cols(const dln_model *m, int l) { return m->dims[l - 1]; }
const double *dln_model_params(const dln_model *m) { return m->x; }
size_t dln_model_layer_offset(const dln_model *m, int l) { return m->off[l]; }
const double *dln_model_target(const dln_model *m) { return m->target; }
const double *dln_model_target_u(const dln_model *m) { return m->u; }
const double *dln_model_target_v(const dln_model *m) { return m->v; }
int dln_model_rank(const dln_model *m) { return m->rank; }
const double *dln_model_product(const dln_model *m)
{
    return m->prefix + m->poff[m->L];
}

/* W_l as a pointer into x. */
static double *layer(const dln_model *m, const double *x, int l)
{
    return (double *)x + m->off[l];
}

/* rows x cols matrix with alpha on the main diagonal (rectangular identity). */
static void fill_identity(double *a, int rows, int cols, double alpha)
{
    memset(a, 0, sizeof(double) * (size_t)rows * cols);
    for (int i = 0; i < rows && i < cols; i++)
        a[i + (size_t)i * rows] = alpha;
}

/* rows x cols matrix with orthonormal columns (rows >= cols) or rows
 * (rows < cols), scaled by alpha, from a seeded Gaussian via LAPACK QR.
 * Returns 0 or 1 on allocation/LAPACK failure. */
static int fill_orthogonal(double *a, int rows, int cols, double alpha,
                           uint64_t seed, uint64_t stream)
{
    int tall = rows >= cols;
    int m = tall ? rows : cols, k = tall ? cols : rows;
    int rc = 1;
    double *q = malloc(sizeof(double) * ((size_t)m * k + 2 * (size_t)k));
    if (!q)
        goto cleanup;
    double *tau = q + (size_t)m * k, *sign = tau + k;
    dln_rng_normal(seed, stream, q, (size_t)m * k);
    if (LAPACKE_dgeqrf(LAPACK_COL_MAJOR, m, k, q, m, tau) != 0)
        goto cleanup;
    /* Signs of R's diagonal make Q Haar distributed (and deterministic). */
    for (int j = 0; j < k; j++)
        sign[j] = q[j + (size_t)j * m] < 0.0 ? -alpha : alpha;
    if (LAPACKE_dorgqr(LAPACK_COL_MAJOR, m, k, k, q, m, tau) != 0)
        goto cleanup;
    for (int j = 0; j < k; j++)
        for (int i = 0; i < m; i++) {
            double val = sign[j] * q[i + (size_t)j * m];
            if (tall)
                a[i + (size_t)j * rows] = val;
            else
                a[j + (size_t)i * rows] = val;   /* transpose: rows x cols */
        }
    rc = 0;
cleanup:
    free(q);
    return rc;
}

/* M* = U diag(s) V^T; U, V rectangular identities or seeded rotations. */
static int build_target(dln_model *m)
{
    int dout = m->dims[m->L], din = m->dims[0], r = m->rank;
    if (m->p.rotate) {
        if (fill_orthogonal(m->u, dout, r, 1.0, m->p.seed, DLN_STREAM_TARGET_U) ||
            fill_orthogonal(m->v, din, r, 1.0, m->p.seed, DLN_STREAM_TARGET_V))
            return 1;
    } else {
        fill_identity(m->u, dout, r, 1.0);
        fill_identity(m->v, din, r, 1.0);
    }
    memset(m->target, 0, sizeof(double) * (size_t)dout * din);
    for (int i = 0; i < r; i++)   /* rank-1 updates: M* += s_i u_i v_i^T */
        cblas_dger(CblasColMajor, dout, din, m->p.spectrum[i],
                   m->u + (size_t)i * dout, 1, m->v + (size_t)i * din, 1,
                   m->target, dout);
    return 0;
}

/* The initial weights of p's init kind, layer l scaled by
 * dln_params_layer_scale (init file: zero here; its weights are the
 * caller's, dln_model_set_params). */
static int init_weights(dln_model *m)
{
    const double *diag = m->p.init_diag;
    memset(m->x, 0, sizeof(double) * m->n);
    for (int l = 1; l <= m->L; l++) {
        int rows = m->dims[l], cols = m->dims[l - 1];
        double *w = layer(m, m->x, l);
        double a = dln_params_layer_scale(&m->p, l);
        uint64_t stream = DLN_STREAM_LAYER + (uint64_t)l;
        switch (m->p.init) {
        case DLN_INIT_IDENTITY:
            fill_identity(w, rows, cols, l == m->L ? 0.0 : a);
            break;
        case DLN_INIT_BALANCED:
            fill_identity(w, rows, cols, a);
            break;
        case DLN_INIT_ORTHOGONAL:
            if (fill_orthogonal(w, rows, cols, a, m->p.seed, stream))
                return 1;
            break;
        case DLN_INIT_GAUSSIAN: {
            size_t cnt = (size_t)rows * cols;
            dln_rng_normal(m->p.seed, stream, w, cnt);
            cblas_dscal((int)cnt, a / sqrt((double)cols), w, 1);
            break;
        }
        case DLN_INIT_DIAGONAL:   /* validated: min(rows, cols) values */
            for (int i = 0; i < rows && i < cols; i++)
                w[i + (size_t)i * rows] = a * *diag++;
            break;
        case DLN_INIT_FILE:
            break;
        }
    }
    return 0;
}

int dln_model_create(const dln_params *p, dln_model **out)
{
    char err[160];
    int rc = 2;
    dln_model *m = NULL;
    *out = NULL;
    if (dln_params_validate(p, err, sizeof err))
        goto cleanup;
    rc = 1;
    m = calloc(1, sizeof *m);
    if (!m)
        goto cleanup;
    m->p = *p;
    m->L = p->depth;
    m->rank = p->rank;
    m->dims = malloc(sizeof(int) * (size_t)(m->L + 1));
    m->off = malloc(sizeof(size_t) * (size_t)(m->L + 2));
    m->poff = malloc(sizeof(size_t) * (size_t)(m->L + 2));
    if (!m->dims || !m->off || !m->poff)
        goto cleanup;
    for (int l = 0; l <= m->L; l++)
        m->dims[l] = p->width;
    m->dims[0] = dln_params_d_in(p);
    m->dims[m->L] = dln_params_d_out(p);
    int dmax = 0, d0 = m->dims[0];
    size_t nprefix = 0;
    m->off[1] = 0;
    for (int l = 1; l <= m->L; l++) {
        m->off[l + 1] = m->off[l] + (size_t)m->dims[l] * m->dims[l - 1];
        m->poff[l] = nprefix;
        nprefix += (size_t)m->dims[l] * d0;
        if (m->dims[l] > dmax)
            dmax = m->dims[l];
    }
    m->n = m->off[m->L + 1];
    size_t nt = (size_t)m->dims[m->L] * d0;
    m->x = malloc(sizeof(double) * m->n);
    m->grad = malloc(sizeof(double) * m->n);
    m->target = malloc(sizeof(double) * nt);
    m->resid = malloc(sizeof(double) * nt);
    m->u = calloc((size_t)m->dims[m->L] * m->rank, sizeof(double));
    m->v = calloc((size_t)d0 * m->rank, sizeof(double));
    m->prefix = malloc(sizeof(double) * nprefix);
    m->dprefix = malloc(sizeof(double) * nprefix);
    m->back = malloc(sizeof(double) * nprefix);
    for (int i = 0; i < 2; i++) {
        m->dback[i] = malloc(sizeof(double) * (size_t)dmax * d0);
        if (!m->dback[i])
            goto cleanup;
    }
    if (!m->x || !m->grad || !m->target || !m->resid || !m->u || !m->v ||
        !m->prefix || !m->dprefix || !m->back)
        goto cleanup;
    if (build_target(m) || init_weights(m))
        goto cleanup;
    m->shape = dln_lanes_shape_of(p);
    if (dln_lanes_fits(p))
        m->lanes = dln_lanes_isa_current();
    *out = m;
    m = NULL;
    rc = 0;
cleanup:
    dln_model_destroy(&m);
    return rc;
}

void dln_model_destroy(dln_model **pm)
{
    if (!pm || !*pm)
        return;
    dln_model *m = *pm;
    free(m->dims);
    free(m->off);
    free(m->poff);
    free(m->x);
    free(m->grad);
    free(m->target);
    free(m->resid);
    free(m->u);
    free(m->v);
    free(m->prefix);
    free(m->dprefix);
    free(m->back);
    for (int i = 0; i < 2; i++)
        free(m->dback[i]);
    free(m);
    *pm = NULL;
}

int dln_model_set_params(dln_model *m, const double *x)
{
    memcpy(m->x, x, sizeof(double) * m->n);
    m->fresh = 0;
    m->back_fresh = 0;
    return 0;
}

/* C = A B (+ beta C), column-major, no transposes. */
static void gemm_nn(int mr, int nc, int kk, const double *a, const double *b,
                    double beta, double *c)
{
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, mr, nc, kk, 1.0, a,
                mr, b, kk, beta, c, mr);
}

/* Prefix products and residual at the current parameters. */
static void forward(dln_model *m)
{
    int d0 = m->dims[0];
    if (m->lanes) {
        m->lanes->forward_one(m->shape, m->x, m->target, m->prefix, m->resid,
                              &m->loss);
        m->fresh = 1;
        m->back_fresh = 0;
        return;
    }
    double *p1 = m->prefix + m->poff[1];
    memcpy(p1, layer(m, m->x, 1), sizeof(double) * (size_t)m->dims[1] * d0);
    for (int l = 2; l <= m->L; l++)
        gemm_nn(m->dims[l], d0, m->dims[l - 1], layer(m, m->x, l),
                m->prefix + m->poff[l - 1], 0.0, m->prefix + m->poff[l]);
    size_t nt = (size_t)m->dims[m->L] * d0;
    const double *prod = m->prefix + m->poff[m->L];
    for (size_t i = 0; i < nt; i++)
        m->resid[i] = prod[i] - m->target[i];
    /* 0.5 * dnrm2^2 would over/underflow exactly where this does. */
    m->loss = 0.5 * cblas_ddot((int)nt, m->resid, 1, m->resid, 1);
    m->fresh = 1;
    m->back_fresh = 0;
}

double dln_model_loss(dln_model *m)
{
    forward(m);
    return m->loss;
}

/* B_{l-1} = W_l^T B_l for l = L..2 into back (current forward pass); the
 * lane kernels take the gradient (into the step's scratch) on the way. */
static void back_products(dln_model *m)
{
    int d0 = m->dims[0];
    if (m->lanes) {
        m->lanes->gradient_one(m->shape, m->x, m->prefix, m->resid, m->back,
                               m->grad);
        m->back_fresh = 1;
        return;
    }
    const double *b = m->resid;
    for (int l = m->L; l > 1; l--) {
        int rows = m->dims[l], cols = m->dims[l - 1];
        double *next = m->back + m->poff[l - 1];
        cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, cols, d0, rows,
                    1.0, layer(m, m->x, l), rows, b, rows, 0.0, next, cols);
        b = next;
    }
    m->back_fresh = 1;
}

double dln_model_gradient(dln_model *m, double *g)
{
    int d0 = m->dims[0];
    if (!m->fresh)
        forward(m);
    if (m->lanes) {
        m->lanes->gradient_one(m->shape, m->x, m->prefix, m->resid, m->back,
                               g);
        m->back_fresh = 1;
        return m->loss;
    }
    if (!m->back_fresh)
        back_products(m);
    for (int l = m->L; l >= 1; l--) {
        int rows = m->dims[l], cols = m->dims[l - 1];
        const double *b = l == m->L ? m->resid : m->back + m->poff[l];
        double *gl = g + m->off[l];
        if (l == 1)
            memcpy(gl, b, sizeof(double) * (size_t)rows * cols);   /* P_0 = I */
        else
            cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, rows, cols,
                        d0, 1.0, b, rows, m->prefix + m->poff[l - 1], cols,
                        0.0, gl, rows);
    }
    return m->loss;
}

double dln_model_step(dln_model *m, double *g)
{
    double loss = dln_model_gradient(m, m->grad);
    if (m->lanes)
        m->lanes->descend_one(m->n, m->x, m->p.eta, m->grad);
    else
        cblas_daxpy((int)m->n, -m->p.eta, m->grad, 1, m->x, 1);
    if (g)
        memcpy(g, m->grad, sizeof(double) * m->n);
    m->fresh = 0;
    m->back_fresh = 0;
    return loss;
}

int dln_model_hvp(dln_model *m, const double *v, double *hv)
{
    int d0 = m->dims[0], L = m->L;
    if (!m->fresh)
        forward(m);
    if (!m->back_fresh)
        back_products(m);
    /* Tangent prefixes: dP_1 = V_1, dP_l = W_l dP_{l-1} + V_l P_{l-1}. */
    memcpy(m->dprefix + m->poff[1], layer(m, v, 1),
           sizeof(double) * (size_t)m->dims[1] * d0);
    for (int l = 2; l <= L; l++) {
        double *dp = m->dprefix + m->poff[l];
        gemm_nn(m->dims[l], d0, m->dims[l - 1], layer(m, m->x, l),
                m->dprefix + m->poff[l - 1], 0.0, dp);
        gemm_nn(m->dims[l], d0, m->dims[l - 1], layer(m, v, l),
                m->prefix + m->poff[l - 1], 1.0, dp);
    }
    /* Backward with tangents: B_L = E, dB_L = dP_L. */
    const double *b = m->resid, *db = m->dprefix + m->poff[L];
    int cur = 0;
    for (int l = L; l >= 1; l--) {
        int rows = m->dims[l], cols = m->dims[l - 1];
        double *hl = hv + m->off[l];
        if (l == 1) {
            memcpy(hl, db, sizeof(double) * (size_t)rows * cols);
            break;
        }
        /* (Hv)_l = dB_l P_{l-1}^T + B_l dP_{l-1}^T */
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, rows, cols, d0,
                    1.0, db, rows, m->prefix + m->poff[l - 1], cols, 0.0, hl,
                    rows);
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, rows, cols, d0,
                    1.0, b, rows, m->dprefix + m->poff[l - 1], cols, 1.0, hl,
                    rows);
        /* dB_{l-1} = V_l^T B_l + W_l^T dB_l (B_{l-1} is cached) */
        const double *wl = layer(m, m->x, l), *vl = layer(m, v, l);
        cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, cols, d0, rows,
                    1.0, vl, rows, b, rows, 0.0, m->dback[cur], cols);
        cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, cols, d0, rows,
                    1.0, wl, rows, db, rows, 1.0, m->dback[cur], cols);
        b = m->back + m->poff[l - 1];
        db = m->dback[cur];
        cur ^= 1;
    }
    return 0;
}

int dln_model_hessian(dln_model *m, double *h)
{
    size_t n = m->n;
    double *e = calloc(n, sizeof(double));
    if (!e)
        return 1;
    for (size_t j = 0; j < n; j++) {
        e[j] = 1.0;
        dln_model_hvp(m, e, h + j * n);
        e[j] = 0.0;
    }
    /* Symmetrise away rounding so LAPACK's symmetric solvers see one matrix. */
    for (size_t j = 0; j < n; j++)
        for (size_t i = j + 1; i < n; i++) {
            double s = 0.5 * (h[i + j * n] + h[j + i * n]);
            h[i + j * n] = h[j + i * n] = s;
        }
    free(e);
    return 0;
}
