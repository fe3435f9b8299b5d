/* diagnostics.h — geometry of the current iterate: singular values,
 * balancing gaps, off-diagonal mass in the target basis, oscillating modes. */
#ifndef DLNSWEEP_DIAGNOSTICS_H
#define DLNSWEEP_DIAGNOSTICS_H

#include "dlnsweep/model.h"
#include "dlnsweep/result.h"

typedef struct dln_diag dln_diag;   /* owns the LAPACK workspaces */

/* Workspaces sized for m (all later calls allocate nothing); returns 0 or
 * 1 on allocation failure. Not collective; caller owns *out. */
int dln_diag_create(const dln_model *m, dln_diag **out);
/* Free d and set *d = NULL; accepts NULL. */
void dln_diag_destroy(dln_diag **d);

/* Top min(DLN_MAX_SV, min(d_out, d_in)) singular values of W_{L:1}
 * (descending) into sv; returns how many (all NaN if the product is not
 * finite). Uses m's cached product (call dln_model_loss first). */
int dln_diag_product_sv(dln_diag *d, const dln_model *m, double *sv);

/* Top singular values of every layer into sv_layers[depth][DLN_MAX_SV]
 * (row l-1 = layer l, zero padded, NaN for a non-finite layer); returns 0. */
int dln_diag_layer_sv(dln_diag *d, const dln_model *m, double *sv_layers);

/* max over l of ||W_{l+1}^T W_{l+1} - W_l W_l^T||_F; gaps[L-1] per pair if
 * gaps is non-NULL (pure apart from workspace). */
double dln_diag_balance_gap(dln_diag *d, const dln_model *m, double *gaps);

/* The balancing gap of every mode across every adjacent pair: out[(l-1) *
 * rank + i] = (D_l)_{ii} = ||W_{l+1} e_i||^2 - ||e_i^T W_l||^2 for l =
 * 1..L-1, i = 0..rank-1 (NaN where i >= d_l): per mode exactly when the
 * network is diagonal, as GD keeps it from a diagonal start and target.
 * Pure. */
void dln_diag_mode_gaps(const dln_model *m, int rank, double *out);

/* ||offdiag(U^T W_{L:1} V)||_F / ||W_{L:1}||_F with U, V the target's r
 * singular vectors, where the part of W_{L:1} outside span(U), span(V)
 * counts as off-diagonal too: ||P - sum_i (u_i^T P v_i) u_i v_i^T||_F / ||P||_F
 * = sqrt(||P||^2 - sum_i (u_i^T P v_i)^2) / ||P||, in [0, 1]; 0 when the
 * product is 0, NaN when it is not finite. Uses m's cached product. */
double dln_diag_offdiag_mass(dln_diag *d, const dln_model *m);

/* Fill a trajectory point at step from m (loss, sv1, sv2 (0 if the product
 * has one singular value), gap, offdiag; refreshes m's cached product;
 * sharpness left NaN; n_oscillating left 0: from the measured orbit it is
 * the caller's). Returns 0. */
int dln_diag_point(dln_diag *d, dln_model *m, long step, dln_traj_point *pt);

#endif
