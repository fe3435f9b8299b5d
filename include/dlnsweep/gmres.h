/* gmres.h — restarted GMRES for A x = b with A given only as an operator
 * (Saad & Schultz 1986: Arnoldi with modified Gram-Schmidt, applied twice;
 * Givens rotations on the Hessenberg matrix; the true residual recomputed
 * at every restart).
 *
 * Written here rather than taken from a library: the Debian package that
 * ships a matrix-free GMRES for C (libsundials-dev's SPGMR) pulls in 105
 * packages, PETSc and Trilinos among them, for these ~150 lines.
 *
 * A singular but consistent system (b in the range of A, the eigenvalue 0
 * semisimple: the neutral directions of a monodromy M - I) is solved too:
 * the Krylov space from x_0 = 0 lies in the range of A, and a negligible
 * pivot of the triangular factor ends the basis instead of dividing by it.
 * Numerics only: no I/O. */
#ifndef DLNSWEEP_GMRES_H
#define DLNSWEEP_GMRES_H

#include <stddef.h>

/* y = A x (both length n); returns 0, nonzero to abort the solve. */
typedef int (*dln_gmres_op)(void *ctx, const double *x, double *y);

typedef struct dln_gmres_info {
    int iters;            /* operator applications                       */
    double residual;      /* |b - A x| / |b| at return (0 when b = 0)    */
    int converged;        /* residual <= rtol                             */
} dln_gmres_info;

typedef struct dln_gmres dln_gmres;

/* Workspace for systems of size n with restart length m (basis of m + 1
 * vectors). Returns 0, 1 on allocation failure, 2 for n or m < 1; caller
 * owns *out. Not collective. */
int dln_gmres_create(size_t n, int m, dln_gmres **out);

/* Free g and set *g = NULL; accepts NULL and *g == NULL. */
void dln_gmres_destroy(dln_gmres **g);

/* Solve A x = b to |b - A x| <= rtol |b| within maxit applications of A;
 * x holds the initial guess on entry and the iterate on return (also when
 * not converged). Returns 0 (see info->converged), 1 when op fails, 2 on
 * bad arguments. Not collective; not thread-safe per workspace. */
int dln_gmres_solve(dln_gmres *g, dln_gmres_op op, void *ctx,
                    const double *b, double *x, double rtol, int maxit,
                    dln_gmres_info *info);

#endif
