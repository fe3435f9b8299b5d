/* model.h — a deep linear network W_L ... W_1 fitted to a target M* with
 * f = 1/2 ||W_{L:1} - M*||_F^2, trained by full-batch gradient descent.
 *
 * Parameters live in one flat vector x (layer 1 first, each layer a
 * d_l x d_{l-1} column-major block) so that Hessian-vector products, Lanczos
 * and Lyapunov vectors are plain arrays of length dln_model_nparams().
 * All workspaces are allocated by _create: step, loss, gradient and HVP never
 * allocate.  Numerics only: no I/O, no MPI.  Not thread-safe per model. */
#ifndef DLNSWEEP_MODEL_H
#define DLNSWEEP_MODEL_H

#include <stddef.h>
#include "dlnsweep/params.h"

typedef struct dln_model dln_model;

/* Build target and initial weights from p (seeded); returns 0, 1 on
 * allocation failure, 2 on invalid p. Not collective; caller owns *out. */
int dln_model_create(const dln_params *p, dln_model **out);

/* Free m and set *m = NULL; accepts NULL and *m == NULL. */
void dln_model_destroy(dln_model **m);

/* Number of scalar parameters, sum_l d_l d_{l-1} (pure). */
size_t dln_model_nparams(const dln_model *m);

int dln_model_depth(const dln_model *m);
/* Rows/cols of layer l (1-based): d_l x d_{l-1} (pure). */
int dln_model_rows(const dln_model *m, int l);
int dln_model_cols(const dln_model *m, int l);

/* Current flat parameters (borrowed; valid until destroy). */
const double *dln_model_params(const dln_model *m);
/* Offset of layer l (1-based) inside the flat vector (pure). */
size_t dln_model_layer_offset(const dln_model *m, int l);

/* Overwrite the parameters with x (length nparams); returns 0. */
int dln_model_set_params(dln_model *m, const double *x);

/* Target M* (d_out x d_in, column-major) and its singular factors:
 * M* = U diag(s) V^T with U d_out x r, V d_in x r (borrowed pointers). */
const double *dln_model_target(const dln_model *m);
const double *dln_model_target_u(const dln_model *m);
const double *dln_model_target_v(const dln_model *m);
/* Number r of target singular values (columns of U and V) (pure). */
int dln_model_rank(const dln_model *m);

/* Loss at the current parameters (also refreshes the cached end-to-end
 * product and residual); NaN/Inf are returned, never trapped. */
double dln_model_loss(dln_model *m);

/* End-to-end product W_{L:1} (d_out x d_in) as of the last loss/step call. */
const double *dln_model_product(const dln_model *m);

/* Gradient at the current parameters into g (length nparams); returns the
 * loss. g_l = W_{L:l+1}^T (W_{L:1} - M*) W_{l-1:1}^T. */
double dln_model_gradient(dln_model *m, double *g);

/* One GD step x <- x - eta grad f(x); returns the loss before the step.
 * If g is non-NULL the gradient used is copied there. */
double dln_model_step(dln_model *m, double *g);

/* Exact Hessian-vector product hv = H(x) v at the current parameters
 * (analytic second-order terms, no finite differences); returns 0. */
int dln_model_hvp(dln_model *m, const double *v, double *hv);

/* Dense Hessian (nparams x nparams, column-major) by nparams HVPs; for tests
 * and small full-spectrum runs. Returns 0, 1 on allocation failure. */
int dln_model_hessian(dln_model *m, double *h);

#endif
