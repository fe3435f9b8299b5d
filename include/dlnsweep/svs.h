/* svs.h — the singular-vector-stationary (SVS) set of a deep linear network
 * and the split of tangent space into in-set and transverse directions.
 *
 * The set: every layer in the target-aligned form W_l = R_l D_l R_{l-1}^T
 * with D_l rectangular diagonal, R_0 = V and R_L = U (the target's singular
 * bases, padded to orthonormal bases of R^{d_0}, R^{d_L}) and fixed inner
 * orthonormal bases R_1..R_{L-1}.  With fixed bases it is a linear subspace
 * that GD leaves invariant, so its tangent space (the "in-set" block: the
 * diagonals of R_l^T V_l R_{l-1}) and, H being symmetric, its orthogonal
 * complement (the "transverse" block: their off-diagonal entries) are both
 * invariant under the GD Jacobian I - eta H at every point of the set.
 *
 * Bases (dln_svs_fit): R_0[:, :r] = V and R_L[:, :r] = U; every other
 * column r_{l,i} is read off the state along the chain of layers,
 * r_{l,i} = W_l r_{l-1,i} / |.| (forward) or r_{l-1,i} = W_l^T r_{l,i} / |.|
 * (backward), repeated until nothing new is found; columns no layer
 * determines (a mode that is zero in a layer on both sides, padding beyond
 * the widths) complete the basis orthonormally in index order (LAPACK QR).
 * Assumption: the state is on the set, with mode i carried by index i in
 * every layer (identity, balanced and target-aligned inits keep this); the
 * fit reports the relative off-diagonal mass left in the rotated layers, and
 * the split means nothing when that is not at rounding level.  A fully
 * collapsed mode leaves its r_{l,i} arbitrary; any completion gives an
 * equivalent split (a symmetry maps one to another).
 *
 * Neutral directions: the loss is invariant under W_l -> Q_l W_l Q_{l-1}^T
 * with inner Q_l orthogonal (and under output/input rotations that fix the
 * target), so the generators xi_A(x) = (A_l W_l - W_l A_{l-1})_l are carried
 * along an orbit by the Jacobian (multiplier 1, exponent 0).  At a point of
 * the set they are transverse and live in the 2L coordinates {(i,j), (j,i)}
 * of one index pair; dln_svs_set_point builds an orthonormal basis of them
 * per pair (LAPACK SVD), and a "quotient" projection removes them, so the
 * transverse block's spectrum is that of the dynamics across the set
 * modulo symmetry (the map P_perp(x_{t+1}) J P_perp(x_t) has exactly the
 * non-neutral exponents, J being block triangular in N(x) + N(x)^perp).
 *
 * Numerics only: no I/O; not thread-safe per workspace. */
#ifndef DLNSWEEP_SVS_H
#define DLNSWEEP_SVS_H

#include <stddef.h>
#include "dlnsweep/model.h"

/* A block of tangent space. */
typedef enum dln_block {
    DLN_BLOCK_FULL = 0,      /* every direction                            */
    DLN_BLOCK_INSET,         /* tangent space of the SVS set               */
    DLN_BLOCK_TRANSVERSE     /* its orthogonal complement                  */
} dln_block;

typedef struct dln_svs dln_svs;

/* Workspace for models shaped like m (bases, pair tables, scratch; memory
 * O(n + L^2 max_l d_l^2)). Returns 0, 1 on allocation failure; caller owns
 * *out. Not collective. */
int dln_svs_create(const dln_model *m, dln_svs **out);

/* As dln_svs_create without the pair tables (~5.5 parameter vectors at
 * depth 3: d^2/2 pairs x 2L coordinates x L + 1 generators): no neutral
 * directions are ever found (dln_svs_set_point returns 0) and quotient
 * projections remove none, so it serves only runs that measure no
 * transverse block.  Returns as dln_svs_create. */
int dln_svs_create_lean(const dln_model *m, dln_svs **out);

/* Free s and set *s = NULL; accepts NULL and *s == NULL. */
void dln_svs_destroy(dln_svs **s);

/* Derive R_0..R_L from m's current parameters (see above); *defect (if
 * non-NULL) = ||offdiag(R_l^T W_l R_{l-1})||_F / ||W||_F over all layers (0
 * for an exactly diagonal state, NaN for non-finite parameters). Also sets
 * the neutral basis at m's parameters (dln_svs_set_point). Returns 0, 1 on
 * LAPACK failure, 2 for a model not shaped like s. Reads m only. */
int dln_svs_fit(dln_svs *s, const dln_model *m, double *defect);

/* 1 if every fitted basis is exactly the identity (diagonal target and
 * identity/balanced init): projections are then plain masks (pure). */
int dln_svs_identity_bases(const dln_svs *s);

/* Dimension of block b: in-set sum_l min(d_l, d_{l-1}), transverse the
 * rest, full n (pure). */
size_t dln_svs_block_dim(const dln_svs *s, dln_block b);

/* Neutral directions at the flat parameters x (length n): builds their
 * per-pair orthonormal basis from the diagonals of R_l^T W_l R_{l-1}.
 * Returns their number (>= 0), or -1 on LAPACK failure. Not collective. */
int dln_svs_set_point(dln_svs *s, const double *x);

/* Project v (length n) in place onto block b; quotient = 1 also removes
 * neutral directions: in the transverse block the symmetry directions of
 * the last dln_svs_set_point, in the in-set block those along the families
 * of fixed points of the modes the last dln_svs_balance found stationary,
 * in the full block both. Returns 0, 2 for a bad block. */
int dln_svs_project(dln_svs *s, dln_block b, int quotient, double *v);

/* v = sum_j c[j] e_j over block b's orthonormal coordinate vectors e_j
 * (each a rotated unit matrix r_{l,a} r_{l-1,c}^T in one layer; the inverse
 * of dln_svs_block_coords on the block). Returns 0, 2 for a bad block. */
int dln_svs_block_expand(dln_svs *s, dln_block b, const double *c, double *v);

/* Coordinates c[j] = <e_j, v> of v in block b's coordinate vectors (c of
 * length block_dim). Returns 0. */
int dln_svs_block_coords(dln_svs *s, dln_block b, const double *v, double *c);

/* Relative off-diagonal mass of the flat parameters x in the fitted bases
 * (as dln_svs_fit's defect, for another state, e.g. the end of a
 * continuation). Pure apart from scratch. */
double dln_svs_defect(dln_svs *s, const double *x);

/* Balance every stationary mode of x: a mode k whose chain of diagonal
 * entries (d_{1,k}, ..., d_{L,k}) in the fitted bases is the same, within
 * tol of its scale, at each of the count states (flat, nparams apart: an
 * orbit) sits on its manifold of fixed points; it is replaced in x by the
 * balanced chain with the same product c, |d_{l,k}| = |c|^(1/L) (signs
 * kept; all 0 when c = 0), the flattest point of that manifold, where a
 * mode's own flip happens at eta = 2 / (L |c|^(2-2/L)). Other modes and
 * off-diagonal entries are untouched. Also records, for the in-set
 * quotient (dln_svs_project), each balanced mode's neutral directions: the
 * null space of its own L x L Hessian at the balanced chain (L - 1
 * directions along a family of minima, all L for a zero chain of a zero
 * target). Returns the number of modes balanced, or -1 on allocation or
 * LAPACK failure / count < 1. Not collective. */
int dln_svs_balance(dln_svs *s, const double *states, int count, double tol,
                    double *x);

/* Number of in-set neutral directions the last dln_svs_balance recorded
 * (pure). */
int dln_svs_stationary_neutral(const dln_svs *s);

#endif
