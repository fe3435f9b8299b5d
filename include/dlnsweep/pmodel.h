/* pmodel.h — the wide-network engine: one run spread over a group of ranks,
 * weights 2D block-cyclic on a BLACS grid, products by PDGEMM, singular
 * values by PDGESVD, sharpness by Lanczos on distributed HVPs, the full
 * Hessian spectrum by PDSYEVD.
 *
 * A dln_pmodel is the distributed twin of dln_model (model.h): the same
 * parameters, target and algebra, with every matrix (layers W_l, prefix
 * products, residual) block-cyclic on an nprow x npcol grid made from a
 * duplicate of the caller's communicator.  A "distributed vector" (weights,
 * gradient, HVP direction, Lanczos vector) is each rank's local blocks of
 * every layer, layer 1 first, dln_pmodel_nlocal() doubles per rank; the
 * element-wise algebra of such vectors is local and dot products need one
 * Allreduce (dln_pmodel_dot).  Rank 0 builds the initial weights and target
 * with the serial model and scatters them, so a distributed run starts from
 * bit-identical numbers.  All functions marked collective must be called by
 * every rank of the communicator in the same order.  Workspaces are
 * allocated by _create: loss, gradient, step, HVP and the diagnostics never
 * allocate (the full spectrum does, once). */
#ifndef DLNSWEEP_PMODEL_H
#define DLNSWEEP_PMODEL_H

#include <stddef.h>
#include <stdint.h>
#include <mpi.h>
#include "dlnsweep/params.h"
#include "dlnsweep/result.h"

/* Most parameters for which dln_prun assembles the dense Hessian when
 * full_spectrum = 1 (the serial run stops at DLN_RUN_FULL_SPECTRUM_MAX). */
#define DLN_PRUN_FULL_SPECTRUM_MAX 12000

/* Same contract and same numbers (to rounding) as dln_run, computed by all
 * ranks of comm together. Collective over comm (duplicated internally);
 * the full result is valid on rank 0 of comm, others get regime/period only
 * (and r->error on failure). Returns 0, 2 for invalid p, 1 on failure (same
 * value on every rank). */
int dln_prun(const dln_params *p, MPI_Comm comm, dln_result *r);

/* dln_prun from the initial weights x0 (model.h's flat layout, read on
 * rank 0 of comm only; NULL elsewhere) instead of p's init, as
 * dln_run_from; needed for init file. Collective over comm. */
int dln_prun_from(const dln_params *p, const double *x0, MPI_Comm comm,
                  dln_result *r);

typedef struct dln_pmodel dln_pmodel;

/* Distribute p's model over comm (duplicated) with square blocks of nb
 * (nb <= 0: a default from the width and grid). Collective; returns 0,
 * 2 for invalid p, 1 on allocation/BLACS failure, the same on every rank. */
int dln_pmodel_create(const dln_params *p, MPI_Comm comm, int nb,
                      dln_pmodel **out);

/* Free m and set *m = NULL; collective when *m != NULL (frees the BLACS
 * contexts and the duplicated communicator); accepts NULL. */
void dln_pmodel_destroy(dln_pmodel **m);

/* Release BLACS's own state; call once after the last dln_pmodel use and
 * before MPI_Finalize (collective over MPI_COMM_WORLD; never finalises MPI). */
void dln_pmodel_finalize(void);

/* Sizes and layout (pure): global parameter count sum_l d_l d_{l-1},
 * local length of distributed vectors, grid shape and block size. */
size_t dln_pmodel_nparams(const dln_pmodel *m);
size_t dln_pmodel_nlocal(const dln_pmodel *m);
void dln_pmodel_grid(const dln_pmodel *m, int *nprow, int *npcol, int *nb);
MPI_Comm dln_pmodel_comm(const dln_pmodel *m);

/* This rank's part of the current parameters (borrowed, length nlocal). */
const double *dln_pmodel_params(const dln_pmodel *m);

/* Overwrite the parameters with the distributed vector xloc (not
 * collective; every rank must do it before the next collective call). */
void dln_pmodel_set_params(dln_pmodel *m, const double *xloc);

/* Serial flat vector x (model.h layout, length nparams, read on rank 0
 * only) -> distributed vector xloc on every rank. Collective; returns 0. */
int dln_pmodel_scatter(dln_pmodel *m, const double *x, double *xloc);

/* Distributed vector xloc -> serial flat vector x on rank 0 (x ignored and
 * may be NULL elsewhere). Collective; returns 0. */
int dln_pmodel_gather(dln_pmodel *m, const double *xloc, double *x);

/* <a, b> of two distributed vectors, the same on every rank. Collective. */
double dln_pmodel_dot(const dln_pmodel *m, const double *a, const double *b);

/* Loss at the current parameters (refreshes prefix products and residual);
 * the same on every rank; NaN/Inf returned, never trapped. Collective. */
double dln_pmodel_loss(dln_pmodel *m);

/* Distributed gradient into gloc; returns the loss. Collective. */
double dln_pmodel_gradient(dln_pmodel *m, double *gloc);

/* One GD step x <- x - eta grad f(x); returns the loss before the step.
 * Collective; no allocation. */
double dln_pmodel_step(dln_pmodel *m);

/* Exact hv = H(x) v for distributed vectors v, hv (same algebra as
 * dln_model_hvp). Collective; returns 0. */
int dln_pmodel_hvp(dln_pmodel *m, const double *vloc, double *hvloc);

/* Top k (<= 16) Hessian eigenvalues, descending, by dln_lanczos_top's
 * algorithm on distributed vectors: the same seeded start and restart
 * vectors, CGS2 reorthogonalisation, breakdown test and restarts, at most
 * min(iters, lanczos_iters given at create, nparams) steps. NaN where
 * unfilled or at non-finite parameters. The same on every rank.
 * Collective; returns 0, 1 on LAPACK failure, 2 on bad k/iters. */
int dln_pmodel_lanczos_top(dln_pmodel *m, int iters, int k, uint64_t seed,
                           double *top);

/* Full Hessian spectrum at the current parameters, ascending, into eig
 * (nparams doubles, on every rank): each rank fills its block-cyclic share
 * of the dense Hessian with HVPs of unit vectors (dln_model_hvp on a serial
 * copy of the small model: no communication per column), then PDSYEVD.
 * Meant for nparams <= DLN_PRUN_FULL_SPECTRUM_MAX. Collective; allocates
 * O(nparams^2 / ranks); returns 0, or 1 (every rank). */
int dln_pmodel_hessian_spectrum(dln_pmodel *m, double *eig);

/* Top min(DLN_MAX_SV, d_out, d_in) singular values of W_{L:1} at the
 * current parameters, descending, by PDGESVD (all NaN if the product is not
 * finite); returns how many, the same on every rank. Collective. */
int dln_pmodel_product_sv(dln_pmodel *m, double *sv);

/* Top singular values of every layer into sv_layers[depth][DLN_MAX_SV]
 * (row l-1 = layer l, zero padded, NaN for a non-finite layer), by PDGESVD.
 * Collective; returns 0. */
int dln_pmodel_layer_sv(dln_pmodel *m, double *sv_layers);

/* max over l of ||W_{l+1}^T W_{l+1} - W_l W_l^T||_F, NaN if any gap is NaN
 * (every rank). Collective. */
double dln_pmodel_balance_gap(dln_pmodel *m, double *gaps);

/* The target's modes u_i^T W_{L:1} v_i, i = 1..rank, into modes (every
 * rank); returns rank. Collective. */
int dln_pmodel_target_modes(dln_pmodel *m, double *modes);

/* Every mode's balancing gap across every adjacent pair, as
 * dln_diag_mode_gaps: out[(l-1) * rank + i] = ||W_{l+1} e_i||^2 -
 * ||e_i^T W_l||^2 (NaN where i >= d_l), on every rank; returns (L-1) rank.
 * Collective. */
int dln_pmodel_mode_gaps(dln_pmodel *m, int rank, double *out);

/* ||P - sum_i (u_i^T P v_i) u_i v_i^T||_F / ||P||_F for P = W_{L:1}, as
 * dln_diag_offdiag_mass: 0 when P = 0, NaN when P is not finite (every
 * rank). Collective. */
double dln_pmodel_offdiag_mass(dln_pmodel *m);

#endif
