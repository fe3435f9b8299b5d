/* pmodel_impl.h — the distributed model's state, shared by src/pmodel*.c.
 *
 * Notation as in model.c: d_0 = d_in, d_L = d_out, layer W_l is d_l x d_{l-1},
 * prefix P_l = W_l...W_1 (d_l x d_0), residual E = P_L - M*, back-propagated
 * B_l (d_l x d_0).  Every matrix is block-cyclic with nb x nb blocks on the
 * grid ctxt, source process (0, 0); a layer-shaped matrix uses descw[l], a
 * prefix-shaped one descp[l]. */
#ifndef DLNSWEEP_PMODEL_IMPL_H
#define DLNSWEEP_PMODEL_IMPL_H

#include <stddef.h>
#include <mpi.h>
#include "dlnsweep/params.h"

typedef int dln_desc[9];

struct dln_pmodel {
    dln_params p;
    MPI_Comm comm;
    int rank, size;
    int sys;                /* BLACS system handle of comm               */
    int ctxt;               /* the nprow x npcol grid                    */
    int ctxt_root;          /* 1x1 grid on rank 0 (-1 elsewhere)         */
    int nprow, npcol, myrow, mycol, nb;
    int L, rank_target;
    int *dims;              /* d_0..d_L                                  */
    size_t *off;            /* global offset of layer l, l = 1..L+1      */
    size_t *loff;           /* local offset of layer l, l = 1..L+1       */
    size_t *lpoff;          /* local offset of P_l, l = 1..L+1           */
    dln_desc *descw;        /* W_l, l = 1..L                             */
    dln_desc *descp;        /* P_l, B_l, l = 1..L                        */
    dln_desc descu, descv;  /* target factors U (d_L x r), V (d_0 x r)   */
    dln_desc desct;         /* W_{L:1} V, d_L x r                        */
    dln_desc descrr;        /* U^T W_{L:1} V, r x r                      */
    dln_desc descg;         /* Gram scratch, width x width               */
    size_t n, nloc;
    double *x, *grad;       /* distributed vectors                       */
    double *target, *resid; /* M*, E (descp[L])                          */
    double *prefix, *dprefix;
    double *back[2], *dback[2];
    double *u, *v, *tv, *rr, *gram;
    double *modes;          /* r: diagonal of U^T W_{L:1} V               */
    double *svd_a, *svd_s, *svd_work;
    int svd_lwork;
    double *krylov, *lz_w;  /* kmax x nloc Krylov basis, scratch vector    */
    double *lz_coef;        /* 2(kmax+1): Gram-Schmidt scratch, sums      */
    double *lz_tri;         /* 2(kmax+1): tridiagonal alpha, beta         */
    double *lz_start;       /* nloc: the local part of restart 0's normals */
    uint64_t lz_start_seed; /* ... drawn from this seed                   */
    int lz_have_start;
    int kmax;
    int kcols;              /* basis vectors held (< kmax: thick restart)  */
    double *lz_t, *lz_y;    /* kcols^2: T = Q^T H Q, its eigenvectors      */
    double *lz_theta, *lz_blk, *lz_work; /* Ritz values, a row block of
                                            Q Y, dsyev's workspace        */
    double *full;           /* rank 0: nparams doubles (scatter staging)  */
    double loss;
    int fresh;              /* prefix/resid match x                      */
};

/* Local rows/cols of an M x N block-cyclic matrix of m on this rank. */
int dln_pmodel_locr(const struct dln_pmodel *m, int rows);
int dln_pmodel_locc(const struct dln_pmodel *m, int cols);

/* Describe an M x N matrix with this rank's layout on m's grid (nb blocks);
 * returns the local element count. */
size_t dln_pmodel_describe(const struct dln_pmodel *m, int rows, int cols,
                           int *desc);

/* Sum of squares of the local part of a matrix with descriptor desc. */
double dln_pmodel_local_sumsq(const double *a, const int *desc, int locr,
                              int locc);

/* Sum count doubles over the ranks into buf on every rank, bit-identical
 * everywhere (reduce to rank 0, then broadcast), so control flow that
 * depends on it agrees across ranks. Collective. */
void dln_pmodel_sum(const struct dln_pmodel *m, double *buf, int count);

/* Local index of global parameter g (flat serial layout) in a distributed
 * vector, or -1 if another rank holds it (pure). */
long dln_pmodel_local_index(const struct dln_pmodel *m, size_t g);

/* Refresh prefix products and residual if stale. Collective. */
void dln_pmodel_forward(struct dln_pmodel *m);

#endif
