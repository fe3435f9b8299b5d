/* lyapunov.h — the top k Lyapunov exponents of the GD map with error bars.
 *
 * The tangent map at x_t is exactly I - eta H(x_t) (exact HVPs,
 * dln_model_hvp).  k tangent vectors are propagated along a continuation of
 * the orbit from the model's current parameters (a private copy of the
 * state stepped further: the caller's model keeps its parameters) and
 * re-orthonormalised every step by LAPACK QR (dgeqrf/dorgqr); exponent i is
 * the mean of log|R_ii|.  The first `warmup` steps align the vectors and
 * are discarded; the rest is cut into batches of `batch` steps, rounded up
 * to a whole number of periods when the orbit is periodic (the period is
 * given, or found on the warm-up's last 2*max_period+1 states with the
 * orbit ring of orbit.h), so a p-cycle is never sampled over a fraction of
 * its period.  Batch b adds a scrambled 0..batch/2 whole periods to that
 * length: equal lengths alias with the rotation of a complex multiplier
 * pair or a quasi-periodic orbit (every batch ends at the same phase, the
 * batch means agree and hide an O(1/T) bias).  The standard error is the
 * batch-means one (ratio estimator for unequal lengths); batches are added
 * until the error of each of the leading tol_count exponents (every one
 * when 0) is at most tol_abs + tol_rel |lambda_i| (after min_batches) or
 * the accumulated steps reach max_steps.
 *
 * Blocks (svs.h): with an SVS workspace fitted to the state, the vectors
 * stay in the in-set or transverse block (projected after every step), and
 * `quotient` also removes the neutral symmetry directions of the current
 * point, so the transverse exponents are those across the set modulo the
 * orthogonal symmetries (a neutral direction reads 0 at best, and a
 * polynomial drift along it would read slightly positive over a finite
 * run).  The neutral space N(x) is carried into itself by the Jacobian
 * (J_t N(x_t) = N(x_{t+1})), so P_perp(x_{t+m}) J_{t+m-1} ... J_t P_perp(x_t)
 * is the product of the one-step quotient maps: the neutral basis (one
 * SVD per index pair, the dominant cost at width 32) is rebuilt and
 * projected out only every quotient_every steps and at every batch end,
 * which gives the same exponents (tests/test_svs_reference.py: the Figure-2
 * cycle's transverse exponent, quotient every 8 steps, matches the dense
 * reference's).
 * Numerics only: no I/O; not thread-safe per workspace. */
#ifndef DLNSWEEP_LYAPUNOV_H
#define DLNSWEEP_LYAPUNOV_H

#include <stdint.h>
#include "dlnsweep/model.h"
#include "dlnsweep/svs.h"

#define DLN_LYAP_MAX_K 16      /* most exponents per run */

typedef struct dln_lyap_settings {
    int k;                 /* exponents wanted, 1..DLN_LYAP_MAX_K           */
    int period;            /* > 0 known period; 0 detect; < 0 never periodic */
    int max_period;        /* periods detected up to this (period = 0)      */
    double period_tol;     /* relative tolerance of the detection (orbit.h)  */
    long warmup;           /* steps discarded before the first batch         */
    long batch;            /* steps per batch (rounded up to whole periods)  */
    int min_batches;       /* batches before the error may stop the run      */
    long max_steps;        /* cap on the accumulated (post-warm-up) steps    */
    double tol_abs, tol_rel; /* stop once error_i <= tol_abs + tol_rel|l_i|  */
    dln_block block;       /* FULL, or INSET/TRANSVERSE with an SVS workspace */
    int quotient;          /* 1: remove the neutral directions (svs.h)       */
    int quotient_every;    /* steps between quotient projections (>= 1)      */
    int tol_count;         /* leading exponents held to the tolerance; 0 all */
    double diverge_bound;  /* loss above this (or non-finite): diverged      */
    uint64_t seed;         /* start vectors                                  */
    int leave_params;      /* 1: m's parameters are left at a state of the
                              continuation (no restore copy: one parameter
                              vector less); 0 (default): restored         */
} dln_lyap_settings;

typedef enum dln_lyap_status {
    DLN_LYAP_OK = 0,        /* exponents and errors are set                 */
    DLN_LYAP_DIVERGED,      /* the continuation diverged: exponents NaN     */
    DLN_LYAP_NONFINITE      /* a tangent went non-finite: exponents NaN     */
} dln_lyap_status;

typedef struct dln_lyap_result {
    dln_lyap_status status;
    int k;                 /* exponents computed (k, capped by the block)   */
    double exponent[DLN_LYAP_MAX_K]; /* descending, per GD step              */
    double error[DLN_LYAP_MAX_K];    /* batch-means standard error           */
    int converged;         /* 1: every error met the tolerance               */
    int period;            /* period the batches span whole multiples of (0) */
    long batch;            /* base batch length used (whole periods)         */
    int batches;           /* batches accumulated                            */
    long steps;            /* accumulated steps (sum of the batch lengths)   */
    long warmup;           /* warm-up steps done                             */
    long hvps;             /* Hessian-vector products spent                  */
    double set_defect;     /* SVS blocks: off-set mass at the end (svs.h)    */
} dln_lyap_result;

/* Defaults: k 2, period 0 (detect up to 64, tol 1e-9), warm-up 1000,
 * batch 500, 8 batches at least, 200000 steps at most, tol_abs 1e-3,
 * tol_rel 0 on every exponent, full block, no quotient (every 8 steps when
 * set), diverge bound 1e12, seed 1. */
void dln_lyap_defaults(dln_lyap_settings *s);

typedef struct dln_lyap dln_lyap;

/* Workspace for models shaped like m and up to kmax exponents. Returns 0,
 * 1 on allocation failure, 2 for kmax outside 1..DLN_LYAP_MAX_K; caller
 * owns *out. Not collective. */
int dln_lyap_create(const dln_model *m, int kmax, dln_lyap **out);

/* Free w and set *w = NULL; accepts NULL and *w == NULL. */
void dln_lyap_destroy(dln_lyap **w);

/* Exponents of the GD map with step eta along a continuation of m's
 * current state (m's parameters are unchanged on return unless
 * s->leave_params; its cached products are not). svs: NULL for the full block, else a workspace fitted
 * to the state (dln_svs_fit) for the in-set/transverse blocks. A diverging
 * continuation is a result (status), not a failure. Returns 0, 1 on a
 * LAPACK or allocation failure, 2 on bad settings (k > kmax, a block
 * without svs, ...). Not collective; allocates O(max_steps / batch). */
int dln_lyap_run(dln_lyap *w, dln_model *m, double eta, dln_svs *svs,
                 const dln_lyap_settings *s, dln_lyap_result *out);

/* The last state of the latest dln_lyap_run's continuation (n parameters,
 * borrowed until the next run; meaningless before the first). Pure. */
const double *dln_lyap_last_state(const dln_lyap *w);

#endif
