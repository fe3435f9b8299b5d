/* result.h — what one run produces: summary, trajectory, late orbit.
 *
 * A dln_result owns its arrays; dln_result_clear frees them.  Results travel
 * between ranks packed into one flat byte buffer (dln_result_pack/unpack). */
#ifndef DLNSWEEP_RESULT_H
#define DLNSWEEP_RESULT_H

#include <stddef.h>
#include "dlnsweep/params.h"

struct dln_located;   /* refine.h */

typedef enum dln_regime {
    DLN_REGIME_CONVERGED = 0, /* period 1                                    */
    DLN_REGIME_PERIODIC,      /* period p in 2..max_period                   */
    DLN_REGIME_CHAOTIC,       /* no period, largest Lyapunov exponent > 0    */
    DLN_REGIME_DIVERGENT,     /* non-finite or loss > diverge_bound          */
    DLN_REGIME_COLLAPSED,     /* stuck at the zero saddle                    */
    DLN_REGIME_UNRESOLVED,    /* no period found and Lyapunov <= 0           */
    DLN_REGIME_ERROR          /* the run itself failed (see error)           */
} dln_regime;

#define DLN_MAX_SV 16             /* singular values kept per matrix */

/* One recorded point of the trajectory (every record_every steps). */
typedef struct dln_traj_point {
    long step;
    double loss;
    double sharpness;        /* NaN where not computed at this step */
    double sv1, sv2;         /* top singular values of W_{L:1}      */
    double balance_gap;      /* max_l ||W_{l+1}^T W_{l+1} - W_l W_l^T||_F */
    double offdiag_mass;     /* ||offdiag(U^T W_{L:1} V)||_F / ||W_{L:1}||_F */
    int n_oscillating;       /* modes with eta > 2/(L s_i^(2-2/L)) that oscillate */
} dln_traj_point;

typedef struct dln_result {
    dln_regime regime;
    int period;              /* 1 converged, p periodic, 0 otherwise        */
    long diverge_step;       /* first divergent step, -1 if none            */
    long steps_done;
    double final_loss;
    double sharpness;        /* lambda_max of the Hessian at the end        */
    double hessian_top[DLN_MAX_SV]; int n_hessian_top; /* top-k, descending */
    double lyapunov;         /* largest Lyapunov exponent (per step)        */
    double balance_gap;      /* final max balancing gap                     */
    double offdiag_mass;     /* final off-diagonal mass                     */
    int n_oscillating;       /* final number of oscillating modes           */
    double sv_product[DLN_MAX_SV]; int n_sv_product; /* W_{L:1}, descending */
    double *sv_layers;       /* depth x DLN_MAX_SV, row l = layer l+1       */
    int n_sv_layers;         /* = depth when filled                         */
    dln_traj_point *traj; int n_traj;
    double *orbit_sv1;       /* last `tail` values of sv1(W_{L:1})          */
    double *orbit_loss;      /* last `tail` losses                          */
    int n_orbit;
    double *balance_gaps;       /* ||W_{l+1}^T W_{l+1} - W_l W_l^T||_F at the
                                   end, l = 1..depth-1                     */
    int n_balance_gaps;
    double *hessian_spectrum;   /* full spectrum, ascending (full_spectrum=1) */
    int n_hessian_spectrum;
    int n_hessian_above_eos;    /* eigenvalues > 2/eta; -1 if not computed  */
    double eos_ratio;        /* sharpness * eta / 2: above 1 is beyond the
                                edge of stability; NaN until derived       */
    int n_oscillating_theory; /* modes with eta > 2/(L s_i^(2-2/L)) (theory.h);
                                 -1 until derived                          */
    struct dln_located *located; /* continuation tasks: located points (refine.h) */
    int n_located;
    int contin_status;       /* continuation: how it ended (continuation.h)  */
    long contin_steps;       /* continuation: accepted branch points         */
    double wall_s;           /* filled by the caller that timed the run     */
    char error[256];         /* non-empty iff regime == DLN_REGIME_ERROR    */
} dln_result;

/* Zero r so it can be filled or cleared (not collective, cannot fail). */
void dln_result_init(dln_result *r);

/* Free r's arrays and re-init it; accepts an inited or cleared r. */
void dln_result_clear(dln_result *r);

/* Fill r's quantities derived from its measurements and the cell p:
 * eos_ratio and n_oscillating_theory (pure; the engine calls it at the end
 * of every run). */
void dln_result_derive(dln_result *r, const dln_params *p);

/* Database text of a regime: 'converged', 'periodic', ... (pure). */
const char *dln_regime_name(dln_regime g);

/* Pack r into a malloc'ed buffer *buf of *len bytes (caller frees);
 * returns 0, or 1 on allocation failure (not collective). */
int dln_result_pack(const dln_result *r, void **buf, size_t *len);

/* Unpack a buffer made by dln_result_pack into an inited r; returns 0, or 2
 * if the buffer is malformed (r is then cleared). Not collective. */
int dln_result_unpack(const void *buf, size_t len, dln_result *r);

#endif
