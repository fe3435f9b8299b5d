/* transverse.h — is an orbit that lives in the SVS set stable across it?
 *
 * One call fits the SVS bases to the model's state (svs.h), then measures
 * the in-set and the transverse (symmetry-quotiented) top Lyapunov
 * exponents with error bars (lyapunov.h) and, for a periodic orbit, the
 * in-set and transverse Floquet multipliers (floquet.h), and decides:
 *
 *   OFF_SET     the state is not in the set: its rotated layers keep an
 *               off-diagonal mass above set_tol, so the split is undefined
 *               (e.g. a rotated target after the alignment broke).
 *   UNSTABLE    period > 0: the largest transverse multiplier modulus
 *               exceeds 1 + mult_tol; else the transverse exponent minus
 *               3 error bars exceeds lyap_tol.
 *   STABLE      period > 0: every transverse multiplier has modulus
 *               <= 1 + mult_tol; else exponent + 3 error bars <= lyap_tol.
 *   UNDECIDED   the exponent's error bar straddles lyap_tol.
 * Neutral directions: the exact symmetry generators are removed before
 * anything is measured (quotient, svs.h); the remaining directions with
 * |mu| = 1 or exponent 0 up to the tolerances (flat directions of a
 * collapsed or unused mode) count as not unstable.
 *
 * Every computation runs on continuations of the state; the model's
 * parameters are unchanged on return. Numerics only: no I/O. */
#ifndef DLNSWEEP_TRANSVERSE_H
#define DLNSWEEP_TRANSVERSE_H

#include "dlnsweep/floquet.h"
#include "dlnsweep/lyapunov.h"
#include "dlnsweep/model.h"

typedef enum dln_transverse_verdict {
    DLN_TRANSVERSE_UNDECIDED = 0,
    DLN_TRANSVERSE_STABLE,
    DLN_TRANSVERSE_UNSTABLE,
    DLN_TRANSVERSE_OFF_SET
} dln_transverse_verdict;

typedef struct dln_transverse_settings {
    dln_lyap_settings lyap;      /* block/quotient are set per block        */
    dln_floquet_settings floquet;
    double set_tol;              /* off-diagonal mass of a state in the set */
    double mult_tol;             /* |mu| - 1 that counts as neutral         */
    double lyap_tol;             /* exponent that counts as neutral         */
} dln_transverse_settings;

typedef struct dln_transverse_result {
    dln_transverse_verdict verdict;
    double set_defect;           /* svs.h defect of the state               */
    int identity_bases;          /* the fitted bases are all the identity   */
    size_t dim_inset, dim_transverse;
    int neutral;                 /* symmetry directions removed at x_0      */
    dln_lyap_result inset, transverse;           /* exponents (per step)   */
    int has_floquet;             /* period > 0: the multipliers below       */
    dln_floquet_result f_inset, f_transverse;
} dln_transverse_result;

/* Defaults: dln_lyap_defaults, dln_floquet_defaults, set_tol 1e-10,
 * mult_tol 1e-6, lyap_tol 1e-4. */
void dln_transverse_defaults(dln_transverse_settings *s);

/* Split the dynamics at m's state (step eta) into in-set and transverse
 * parts and decide (above). period: the orbit's period (> 0 adds the
 * Floquet multipliers; 0 unknown, Lyapunov only). An OFF_SET state gets no
 * exponents (NaN) and returns 0. Returns 0, 1 on allocation or LAPACK/
 * ARPACK failure, 2 on bad settings. Not collective; allocates its
 * workspaces (svs, lyapunov, floquet) for the call. */
int dln_transverse_run(dln_model *m, double eta, int period,
                       const dln_transverse_settings *s,
                       dln_transverse_result *out);

/* The verdict from measured parts (pure): used by dln_transverse_run. */
dln_transverse_verdict dln_transverse_decide(const dln_transverse_settings *s,
                                             double set_defect,
                                             const dln_lyap_result *tr,
                                             const dln_floquet_result *ftr);

#endif
