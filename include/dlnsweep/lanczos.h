/* lanczos.h — top eigenvalues of the Hessian by Lanczos on exact HVPs. */
#ifndef DLNSWEEP_LANCZOS_H
#define DLNSWEEP_LANCZOS_H

#include <stdint.h>
#include "dlnsweep/model.h"

/* Top k eigenvalues (descending) of H at m's current parameters into top[k],
 * using at most min(iters, nparams) Krylov steps with full
 * reorthogonalisation and a start vector drawn from seed (deterministic:
 * same model, iters and seed give bit-identical output).  Invariant
 * subspaces restart from fresh seeded vectors, so repeated eigenvalues are
 * found with their multiplicity; with iters >= nparams the result is exact.
 * Entries that cannot be filled (k > nparams) and all entries at non-finite
 * parameters are NaN.  Returns 0, 1 on allocation/LAPACK failure, 2 on bad
 * args (k < 1, k > iters).  Not collective; allocates its Krylov basis
 * (min(iters, nparams) x nparams). */
int dln_lanczos_top(dln_model *m, int iters, int k, uint64_t seed,
                    double *top);

/* A Lanczos workspace for models of nparams parameters and at most iters
 * Krylov steps: the basis and scratch, and the seeded start vector of the
 * last seed used (a run computes the sharpness every few steps from one
 * seed; drawing the normals took ~20% of a Lanczos run at d = 16).
 * Returns 0, 1 on allocation failure, 2 on bad args.  Not collective;
 * caller owns *out. */
typedef struct dln_lanczos dln_lanczos;
int dln_lanczos_create(size_t nparams, int iters, dln_lanczos **out);

/* As dln_lanczos_create with the basis bounded to `basis` vectors (0: no
 * bound; at least DLN_LANCZOS_MIN_BASIS otherwise): a run of more steps
 * than that is thick-restarted Lanczos on the same number of HVPs (its
 * top k Ritz values converge to H's, k + 2 <= basis; lanczos.c), fewer
 * steps are bit-identical to the unbounded workspace.  Memory: basis + 2
 * parameter vectors.  Returns 0, 1 on allocation failure, 2 on bad args.
 * Not collective; caller owns *out. */
#define DLN_LANCZOS_MIN_BASIS 3
int dln_lanczos_create_bounded(size_t nparams, int iters, int basis,
                               dln_lanczos **out);

/* Free l and set *l = NULL; accepts NULL. */
void dln_lanczos_destroy(dln_lanczos **l);

/* dln_lanczos_top in l's workspace, bit-identical to it; m must have l's
 * nparams and iters be at most l's.  Allocates nothing.  Returns as
 * dln_lanczos_top (2 also for a model or iters that do not fit l, or a
 * bounded basis below k + 2 vectors). */
int dln_lanczos_run(dln_lanczos *l, dln_model *m, int iters, int k,
                    uint64_t seed, double *top);

/* The top k Ritz values (descending) of a Lanczos run of `done` steps
 * from its tridiagonal T (diagonal alpha[done], couplings beta[done-1];
 * both overwritten) into top[0..min(k, done)-1], by LAPACK dstev.
 * Returns 0, or 1 if dstev fails.  Not collective (the distributed
 * Lanczos calls it on every rank with the same T). */
int dln_lanczos_ritz_top(int done, double *alpha, double *beta, int k,
                         double *top);

/* Rows of Q updated at once by a thick restart (Q <- Q Y): the size of the
 * restart's block scratch, DLN_LANCZOS_ROW_BLOCK x basis doubles. */
#define DLN_LANCZOS_ROW_BLOCK 256

/* Eigenvalues (ascending into theta[dim]) and, when vectors, eigenvectors
 * (into y, dim x dim) of the leading dim x dim block of the projected
 * matrix t (leading dimension ldt; work holds 3 ldt doubles) by LAPACK
 * dsyev.  Returns 0, or 1 if dsyev fails.  Not collective (the
 * distributed Lanczos calls it on every rank with the same t). */
int dln_lanczos_projected_eig(const double *t, int ldt, int dim, int vectors,
                              double *y, double *theta, double *work);

/* Thick restart of a full basis q (rows x ldt, leading dimension rows:
 * all of it, or one rank's rows): q[:, 0..keep) <- q y_top (the top keep
 * eigenvectors of dln_lanczos_projected_eig(..., ldt, 1, ...)), and t
 * (ldt x ldt) <- diag of their eigenvalues.  blk: DLN_LANCZOS_ROW_BLOCK x
 * ldt scratch.  Not collective. */
void dln_lanczos_compress(double *q, int rows, int ldt, int keep,
                          const double *y, const double *theta, double *t,
                          double *blk);

#endif
