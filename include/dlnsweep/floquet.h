/* floquet.h — Floquet multipliers of a periodic orbit of the GD map.
 *
 * For a p-cycle x_0, ..., x_{p-1} the monodromy is
 * M = (I - eta H(x_{p-1})) ... (I - eta H(x_0)); its eigenvalues (the
 * multipliers) decide stability: |mu| > 1 unstable, mu near -1 an
 * approaching flip (period doubling), mu near +1 a fold or a neutral
 * (symmetry) direction. M is not symmetric.  x_0 is the model's current
 * state after `settle` further GD steps on a private copy (the caller's
 * model keeps its parameters); `closure` reports how periodic it is.
 *
 * M is applied to a vector by p exact HVPs (the orbit's states are kept).
 * A block of dimension nb <= dense_max gets the dense nb x nb matrix of M
 * in the block's coordinates (nb applications) and LAPACK dgeev; a larger
 * one gets ARPACK-ng's implicitly restarted Arnoldi (dnaupd/dneupd reverse
 * communication, which = "LM") on the same operator.  Default dense_max
 * = 512 and ncv = 60, from bench/bench_floquet.c (Figure-2-like 2-cycles,
 * widths 4..20, one core): below ~500 the dense route costs at most ~1.5x
 * Arnoldi's time and is exact with no convergence risk; above, Arnoldi
 * wins (9x at nb = 1140) and dgeev grows as nb^3.  ncv = 20 left Arnoldi
 * unconverged after 300 restarts on most of those cases (many multipliers
 * of modulus 1: symmetries and flat directions); ncv = 60 converged on
 * all, to 1e-14 of dgeev.
 *
 * Blocks (svs.h): with an SVS workspace, M is restricted to the in-set or
 * transverse block, and `quotient` removes the neutral directions of x_0
 * (their multipliers are exactly 1; M maps N(x_0) to itself, so
 * P_perp M P_perp carries the others). Numerics only: no I/O. ARPACK keeps
 * state in Fortran SAVE variables: not thread-safe, one run at a time per
 * process. */
#ifndef DLNSWEEP_FLOQUET_H
#define DLNSWEEP_FLOQUET_H

#include <stdint.h>
#include "dlnsweep/model.h"
#include "dlnsweep/svs.h"

#define DLN_FLOQUET_MAX_NEV 16   /* most multipliers per run */

typedef struct dln_floquet_settings {
    int nev;              /* multipliers wanted, 1..DLN_FLOQUET_MAX_NEV      */
    long settle;          /* GD steps from the model's state to x_0          */
    int dense_max;        /* block dimension up to which dense + dgeev       */
    int ncv;              /* Arnoldi basis size (0: max(2 nev + 1, 60))      */
    int max_iter;         /* Arnoldi restarts                                */
    double arpack_tol;    /* ARPACK's relative tolerance (0: machine eps)    */
    dln_block block;      /* FULL, or INSET/TRANSVERSE with an SVS workspace  */
    int quotient;         /* 1: remove the neutral directions of x_0         */
    uint64_t seed;        /* Arnoldi start vector                            */
} dln_floquet_settings;

typedef enum dln_floquet_method {
    DLN_FLOQUET_NONE = 0, DLN_FLOQUET_DENSE, DLN_FLOQUET_ARNOLDI
} dln_floquet_method;

typedef struct dln_floquet_result {
    int n;                /* multipliers returned (<= nev, <= block dim)     */
    double re[DLN_FLOQUET_MAX_NEV], im[DLN_FLOQUET_MAX_NEV];
    double modulus[DLN_FLOQUET_MAX_NEV];   /* descending                     */
    double argument[DLN_FLOQUET_MAX_NEV];  /* in (-pi, pi]; pi: mu < 0       */
    double exponent[DLN_FLOQUET_MAX_NEV];  /* log(modulus) / period, per step */
    dln_floquet_method method;
    int period;
    int neutral;          /* neutral directions removed (quotient)           */
    long matvecs;         /* applications of M                               */
    long hvps;            /* Hessian-vector products                         */
    int converged;        /* Arnoldi: every returned value converged         */
    double closure;       /* |x_p - x_0| / |x_0|: 0 on an exact p-cycle      */
} dln_floquet_result;

/* Defaults: nev 6, settle 0, dense_max 512, ncv 0, max_iter 300, tol 0,
 * full block, no quotient, seed 1. */
void dln_floquet_defaults(dln_floquet_settings *s);

typedef struct dln_floquet dln_floquet;

/* Workspace for models shaped like m (the orbit's states are allocated
 * per run, O(period n)). Returns 0, 1 on allocation failure; caller owns
 * *out. Not collective. */
int dln_floquet_create(const dln_model *m, dln_floquet **out);

/* Free w and set *w = NULL; accepts NULL and *w == NULL. */
void dln_floquet_destroy(dln_floquet **w);

/* The top nev multipliers (by modulus) of the period-`period` monodromy at
 * the continuation of m's state (m's parameters are unchanged on return).
 * svs: NULL for the full block, else fitted to the state. Returns 0, 1 on
 * allocation/LAPACK/ARPACK failure, 2 on bad arguments (period < 1, a block
 * without svs, ...). A non-finite orbit gives n = 0 and returns 0. Not
 * collective; not thread-safe (ARPACK). */
int dln_floquet_run(dln_floquet *w, dln_model *m, double eta, int period,
                    dln_svs *svs, const dln_floquet_settings *s,
                    dln_floquet_result *out);

/* The pieces of dln_floquet_run, for callers that move the orbit
 * themselves (orbitsolve.h, continuation.h). */

/* Record the orbit x_0 = x (NULL: m's parameters), x_1, ..., x_period of
 * the GD map at step eta in w (m's parameters are left anywhere). Returns
 * 0, 1 on allocation failure, 2 on bad arguments, 3 when a state is not
 * finite (then nothing is recorded). Not collective. */
int dln_floquet_record(dln_floquet *w, dln_model *m, const double *x,
                       double eta, int period);

/* State x_t (0 <= t <= period) of the recorded orbit (borrowed until the
 * next record), or NULL. Pure. */
const double *dln_floquet_state(const dln_floquet *w, int t);

/* y = P M_q P v + s dx_q/deta along the recorded orbit: M_q the tangent
 * map (I - eta H(x_{q-1})) ... (I - eta H(x_0)) of the first q = steps
 * steps (q = period: the monodromy), P the projection on block b (svs
 * NULL: b must be FULL, no projection), dx_q/deta the derivative of x_q
 * along eta at fixed x_0. v and y have length nparams and may alias.
 * Returns 0, 2 on bad arguments (no orbit, steps > period, ...). */
int dln_floquet_apply(dln_floquet *w, dln_model *m, dln_svs *svs,
                      dln_block b, int steps, const double *v, double s,
                      double *y);

/* The multipliers of the recorded orbit (s->settle is ignored): as
 * dln_floquet_run without moving the orbit. Returns 0, 1, 2. */
int dln_floquet_multipliers(dln_floquet *w, dln_model *m, dln_svs *svs,
                            const dln_floquet_settings *s,
                            dln_floquet_result *out);

/* The real multiplier of the recorded orbit nearest `target` (*mu), among
 * all (dense) or the top nev (Arnoldi) of block s->block, and its right
 * eigenvector in full coordinates, unit norm, into vec (length nparams).
 * Returns 0, 1 on LAPACK/ARPACK/allocation failure, 2 on bad arguments or
 * when no real multiplier was found. */
int dln_floquet_vector(dln_floquet *w, dln_model *m, dln_svs *svs,
                       const dln_floquet_settings *s, double target,
                       double *mu, double *vec);

#endif
