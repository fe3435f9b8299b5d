/* orbitsolve.h — converge a periodic orbit of the GD map by Newton-Krylov.
 *
 * A p-cycle point x solves F(x) = G^p(x) - x = 0, G(x) = x - eta grad f(x).
 * Newton's step solves (M - I) dx = -F by GMRES (gmres.h), M the monodromy
 * applied through p exact HVPs along the orbit (floquet.h's recorded orbit
 * and tangent map: one implementation for the solver and the multipliers).
 * Continuous symmetries and families of fixed points (the minima of a mode
 * form a manifold) make M - I singular. In the in-set block of an SVS state
 * (svs.h) the symmetry directions are gone (they are transverse) and the
 * families' directions, recorded by dln_svs_balance for the stationary
 * modes, are quotiented out: Newton solves Q (M - I) Q dx = -Q F with Q
 * the projection on the block less those directions (a phase condition
 * dx _|_ N), a regular system. In the full block the neutral directions
 * stay: they are semisimple eigenvalues 1 of M, the Newton system is
 * consistent up to rounding and GMRES from 0 returns a least-squares
 * correction (gmres.h).
 *
 * The same workspace corrects a point of a branch (x, eta) by
 * pseudo-arclength (Keller): F(x, eta) = 0 and
 * <t_x, x - x_pred> + t_e (e - e_pred) = 0, with e = eta / eta_scale the
 * scaled step, solved by Newton on the bordered system
 * [[M - I, eta_scale dG^p/deta], [t_x^T, t_e]], and gives the branch's
 * tangent, the null vector of [M - I, eta_scale dG^p/deta].
 * Numerics only: no I/O. Not thread-safe per workspace. */
#ifndef DLNSWEEP_ORBITSOLVE_H
#define DLNSWEEP_ORBITSOLVE_H

#include "dlnsweep/model.h"
#include "dlnsweep/svs.h"

typedef struct dln_orbitsolve_settings {
    double tol;          /* stop at |F| <= tol |x|                           */
    double accept;       /* converged if Newton stalls below accept |x|     */
    int max_newton;      /* Newton iterations                                */
    int restart;         /* GMRES restart length                             */
    int max_krylov;      /* operator applications per linear solve          */
    double krylov_rtol;  /* GMRES relative residual                          */
    dln_block block;     /* FULL, or INSET with an SVS workspace            */
    double eta_scale;    /* unit of the arclength's eta (0: 1)              */
    const double *hold;  /* unit vector (nparams) Newton leaves alone: a
                            phase condition dx _|_ hold that removes an
                            (almost) +1 multiplier's direction (NULL: none) */
} dln_orbitsolve_settings;

typedef struct dln_orbitsolve_result {
    double residual;     /* |G^p(x) - x| / |x| at return                    */
    int newton;          /* Newton iterations                               */
    long krylov;         /* monodromy applications in GMRES                 */
    long hvps;           /* Hessian-vector products                         */
    int converged;
} dln_orbitsolve_result;

/* Defaults: tol 1e-14, accept 1e-10, 40 Newton steps, restart 60, 600
 * applications, GMRES rtol 1e-12, full block, eta_scale 1, no hold. */
void dln_orbitsolve_defaults(dln_orbitsolve_settings *s);

typedef struct dln_orbitsolve dln_orbitsolve;

/* Workspace for models shaped like m. Returns 0, 1 on allocation failure;
 * caller owns *out. Not collective. */
int dln_orbitsolve_create(const dln_model *m, dln_orbitsolve **out);

/* Free w and set *w = NULL; accepts NULL and *w == NULL. */
void dln_orbitsolve_destroy(dln_orbitsolve **w);

/* Newton at fixed eta: x (length nparams) is the guess on entry and the
 * cycle point on return (the last iterate if not converged). svs: NULL
 * (block FULL) or fitted to x (block INSET keeps x on the set). m's
 * parameters are left anywhere. Returns 0 (see res->converged), 1 on
 * allocation/solver failure, 2 on bad arguments; a non-finite orbit
 * returns 0 with converged = 0 and residual = Inf. */
int dln_orbitsolve_cycle(dln_orbitsolve *w, dln_model *m, dln_svs *svs,
                         double eta, int period, double *x,
                         const dln_orbitsolve_settings *s,
                         dln_orbitsolve_result *res);

/* Pseudo-arclength corrector: from the prediction (x, *eta) solve for the
 * branch point on the hyperplane through it normal to the unit tangent
 * (tx, te) (scaled units, see above); x and *eta are updated. Returns as
 * dln_orbitsolve_cycle. */
int dln_orbitsolve_arclength(dln_orbitsolve *w, dln_model *m, dln_svs *svs,
                             int period, double *x, double *eta,
                             const double *tx, double te,
                             const dln_orbitsolve_settings *s,
                             dln_orbitsolve_result *res);

/* Unit tangent (tx, *te) of the branch at the cycle point (x, eta),
 * oriented along the previous tangent given in (tx, *te) on entry (a zero
 * previous tangent means: towards increasing eta). Returns 0, 1 on
 * failure (singular bordered system), 2 on bad arguments. */
int dln_orbitsolve_tangent(dln_orbitsolve *w, dln_model *m, dln_svs *svs,
                           int period, const double *x, double eta,
                           double *tx, double *te,
                           const dln_orbitsolve_settings *s);

/* |x_q - x_0| / |x_0| along the orbit of x: the smallest over the proper
 * divisors q of period (Inf for period 1 or a non-finite orbit): near 0
 * when the cycle's minimal period is shorter. Returns it; not collective. */
double dln_orbitsolve_subperiod_gap(dln_orbitsolve *w, dln_model *m,
                                    double eta, int period, const double *x);

#endif
