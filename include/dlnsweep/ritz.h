/* ritz.h — the top Hessian eigenvalues followed along a trajectory, step
 * after step, at the price of a few Hessian-vector products per step.
 *
 * Rayleigh-Ritz on a block Krylov space warm-started from the previous
 * steps' Ritz vectors: the basis starts as the b = k + DLN_RITZ_GUARD Ritz
 * vectors of each of the last two steps (along a 2-cycle the step before
 * last is the same point) and a fresh seeded probe p, H p, H^2 p (at the
 * first step, or after a failure, b seeded random vectors alone), is
 * projected on H (one HVP a vector), and grows by the residuals
 * H x - theta x of the Ritz pairs not yet converged (one HVP each) until
 * every one of the top k has
 *     ||H x_i - theta_i x_i|| <= DLN_RITZ_TOL * |theta_1|,
 * which bounds each reported theta_i's distance to an eigenvalue of H by
 * that much (and typically, its square over the gap).  A full basis
 * restarts thickly from the current Ritz vectors.  A step usually takes
 * b to 2b + 3 HVPs where a cold Lanczos run takes lanczos_iters.  The
 * guard vectors let an eigenvalue that rises from below into the top k be
 * picked up as it passes them, and the probe one the warm vectors cannot
 * reach (a symmetry of H keeps their Krylov space apart from it).  This
 * is no proof against a miss: the tests compare every step of 2-cycles
 * and of chaotic orbits with the dense spectrum.
 *
 * The vectors may be distributed: the driver supplies the HVP, the sum
 * over ranks (NULL when serial) and the seeded start vectors, and every
 * rank then computes the same numbers and takes the same branches.
 * Numerics only: no I/O, no MPI of its own; allocates only in _create. */
#ifndef DLNSWEEP_RITZ_H
#define DLNSWEEP_RITZ_H

#include <stddef.h>
#include <stdint.h>

#define DLN_RITZ_GUARD 2       /* Ritz vectors carried beyond the k wanted */
#define DLN_RITZ_PROBE 3       /* p, H p, H^2 p of a fresh vector per step */
#define DLN_RITZ_TOL 1e-9      /* residual norm over |theta_1|: converged  */

/* What a tracker needs from the model (all may be collective). */
typedef struct dln_ritz_ops {
    void *ctx;
    /* hv = H v for vectors of the tracker's local length */
    void (*hvp)(void *ctx, const double *v, double *hv);
    /* sum buf[0..count-1] over the ranks, the same bits on every rank;
     * NULL when the vectors are not distributed */
    void (*sum)(void *ctx, double *buf, int count);
    /* v = seeded standard normals of start vector j (the same global
     * vector whatever the distribution) */
    void (*start)(void *ctx, int j, double *v);
} dln_ritz_ops;

typedef struct dln_ritz dln_ritz;

/* A tracker of the top k (1..16) eigenvalues of a symmetric operator of
 * nglobal coordinates, nlocal of them on this rank, with a basis of at most
 * max_basis vectors (raised to 3b, capped at nglobal).  Returns 0, 1 on
 * allocation failure, 2 on bad arguments.  Not collective; caller owns
 * *out. */
int dln_ritz_create(size_t nlocal, size_t nglobal, int k, int max_basis,
                    dln_ritz **out);

/* Free t and set *t = NULL; accepts NULL. */
void dln_ritz_destroy(dln_ritz **t);

/* Forget the Ritz vectors: the next update starts cold. Not collective. */
void dln_ritz_reset(dln_ritz *t);

/* The top k eigenvalues (descending) of the operator of ops, now, into
 * top[k]; NaN when they did not converge (or the operator is not finite),
 * and the next update then starts cold.  Returns 0 when converged, 1 when
 * not.  Collective when ops are. */
int dln_ritz_update(dln_ritz *t, const dln_ritz_ops *ops, double *top);

/* Hessian-vector products the tracker has asked for so far. Pure. */
long dln_ritz_hvps(const dln_ritz *t);

#endif
