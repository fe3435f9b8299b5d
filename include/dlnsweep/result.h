/* result.h — what one run produces: summary, trajectory, late orbit.
 *
 * A dln_result owns its arrays; dln_result_clear frees them.  Results travel
 * between ranks packed into one flat byte buffer (dln_result_pack/unpack). */
#ifndef DLNSWEEP_RESULT_H
#define DLNSWEEP_RESULT_H

#include <stddef.h>
#include "dlnsweep/params.h"

struct dln_located;   /* refine.h */

/* Regimes (definitions in run.h and README "What a run computes").
 * ERROR stays last: loops over every regime run up to it. */
typedef enum dln_regime {
    DLN_REGIME_CONVERGED = 0, /* fixed point at a global minimum             */
    DLN_REGIME_PERIODIC,      /* period p in 2..max_period                   */
    DLN_REGIME_CHAOTIC,       /* aperiodic, top exponent > 0 beyond its error */
    DLN_REGIME_DIVERGENT,     /* non-finite or loss > diverge_bound          */
    DLN_REGIME_COLLAPSED,     /* stuck at the zero saddle (W_{L:1} ~ 0)      */
    DLN_REGIME_UNRESOLVED,    /* no label the evidence supports (see reason) */
    DLN_REGIME_SADDLE,        /* fixed point with loss left (modes collapsed) */
    DLN_REGIME_QUASIPERIODIC, /* bounded, aperiodic, top exponent 0          */
    DLN_REGIME_ERROR          /* the run itself failed (see error)           */
} dln_regime;

/* What decided a run's label (runs.reason; dln_reason_name). */
typedef enum dln_reason {
    DLN_REASON_NONE = 0,       /* not classified (error)                     */
    DLN_REASON_PERIOD,         /* period found on the late orbit of the run  */
    DLN_REASON_SETTLED,        /* period found after the continuation        */
    DLN_REASON_TRANSIENT,      /* slow-transient fit: settling to the period */
    DLN_REASON_COLLAPSE,       /* W_{L:1} ~ 0 with the whole loss left       */
    DLN_REASON_EXPONENT_POSITIVE, /* top exponent > 0 beyond its error bar   */
    DLN_REASON_EXPONENT_ZERO,  /* top exponent 0 within its error bar        */
    DLN_REASON_DIVERGED,       /* loss above diverge_bound during the run    */
    DLN_REASON_DIVERGED_LATER, /* ... during the continuation after it       */
    DLN_REASON_NOT_MOVED,      /* the weights did not change (eta below
                                  rounding) although the gradient is not 0  */
    DLN_REASON_NO_EXPONENT,    /* aperiodic, no exponent (lyapunov_steps 0,
                                  or a non-finite tangent)                  */
    DLN_REASON_EXPONENT_UNDECIDED, /* aperiodic, exponent neither 0 nor > 0
                                  within the tolerance and the cap          */
    DLN_REASON_STABLE_APERIODIC, /* top exponent < 0 but no period <=
                                  max_period (longer period or a transient) */
    DLN_REASON_CONVERGING,     /* settling to a fixed point that is neither
                                  a minimum nor a saddle yet                */
    DLN_REASON_HELD,           /* a fixed point, cycle or the zero saddle
                                  the orbit sits on although its exponent
                                  says it is unstable: held by an exact
                                  symmetry of the orbit or by underflow    */
    DLN_REASON_INTERMITTENT,   /* exponent 0, but the orbit bursts away from
                                  the zero saddle and back                 */
    DLN_REASON_COUNT
} dln_reason;

#define DLN_MAX_LYAP 16           /* Lyapunov exponents kept per run      */
#define DLN_MAX_FLOQUET 8         /* Floquet multipliers kept per run     */

/* Per-mode state (mode_regimes): each target mode's own late orbit. */
typedef enum dln_mode_state {
    DLN_MODE_UNKNOWN = 0,   /* not measured                                  */
    DLN_MODE_FITTED,        /* period 1 at s_i                               */
    DLN_MODE_COLLAPSED,     /* period 1 at 0 (s_i > 0)                       */
    DLN_MODE_FIXED,         /* period 1 elsewhere (still settling)           */
    DLN_MODE_PERIODIC,      /* period >= 2                                   */
    DLN_MODE_APERIODIC      /* no period <= max_period                       */
} dln_mode_state;

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

/* The per-step detail of a state, stored for every late-orbit step and
 * for trajectory points when record_detail is set: a row of `stride`
 * doubles holding, in this order,
 *   modes[modes]        m_i = u_i^T W_{L:1} v_i, i = 1..rank, in the
 *                       target's order (never sorted)
 *   sv[sv]              top min(top_k, d_in, d_out) singular values of
 *                       W_{L:1}, descending
 *   hessian[hessian]    top_k Hessian eigenvalues, descending (orbit_hessian;
 *                       0 entries otherwise; NaN where not converged)
 *   layer_sv[layers]    top singular value of W_1 .. W_L
 *   gaps[gaps]          ||W_{l+1}^T W_{l+1} - W_l W_l^T||_F, l = 1..L-1
 *   mode_gaps[mode_gaps] (L-1) x rank, pair-major: (D_l)_{ii} =
 *                       ||W_{l+1} e_i||^2 - ||e_i^T W_l||^2, the gap of
 *                       mode i across pair l (exact per mode when the
 *                       network is diagonal; NaN for i >= width)
 * dln_detail_layout_of gives the counts for a cell. */
typedef struct dln_detail_layout {
    int modes, sv, hessian, layers, gaps, mode_gaps;
    int stride;              /* their sum                                  */
} dln_detail_layout;

typedef struct dln_result {
    dln_regime regime;
    int period;              /* 1 converged, p periodic, 0 otherwise        */
    long diverge_step;       /* first divergent step, -1 if none            */
    long steps_done;
    double final_loss;
    double sharpness;        /* lambda_max of the Hessian at the end        */
    double hessian_top[DLN_MAX_SV]; int n_hessian_top; /* top-k, descending */
    double lyapunov;         /* largest Lyapunov exponent (per step), full
                                tangent space                               */
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
    long orbit_step0;        /* step of orbit point 0                       */
    dln_detail_layout detail; /* rows of orbit_detail and traj_detail       */
    double *orbit_detail;    /* n_orbit rows (NULL: none)                   */
    double *traj_detail;     /* n_traj rows when record_detail, else NULL   */
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
    /* End-of-run dynamics (run.h): NaN / -1 where not computed. */
    dln_reason reason;       /* what decided the regime                     */
    double lyapunov_err;     /* batch-means standard error of lyapunov      */
    double lyap[DLN_MAX_LYAP], lyap_err[DLN_MAX_LYAP]; /* top k, QR order   */
    int n_lyap;
    long lyapunov_steps_done; /* tangent steps measured (after warm-up)     */
    double lyapunov_inset, lyapunov_inset_err;   /* top in-set exponent     */
    double lyapunov_transverse, lyapunov_transverse_err; /* top transverse,
                                modulo the symmetry directions              */
    double floquet_re[DLN_MAX_FLOQUET], floquet_im[DLN_MAX_FLOQUET];
    int n_floquet;           /* top multipliers by modulus (periodic only)  */
    double floquet_max;      /* their largest modulus                       */
    double floquet_inset_max, floquet_transverse_max; /* per SVS block      */
    int transverse_stable;   /* 1 stable, 0 unstable across the set, -1 n/a */
    int in_set;              /* 1 the label used the in-set quantities, 0
                                the full ones, -1 not decided              */
    double set_defect;       /* off-set mass of the layers (svs.h), end     */
    int n_collapsed;         /* target modes at 0 (saddle/collapsed); -1    */
    int n_modes;             /* per-mode late orbits measured (<= rank)     */
    int mode_period[DLN_MAX_SPECTRUM];  /* 0 aperiodic                      */
    dln_mode_state mode_state[DLN_MAX_SPECTRUM];
    double wall_s;           /* filled by the caller that timed the run     */
    char error[256];         /* non-empty iff regime == DLN_REGIME_ERROR    */
} dln_result;

/* The detail layout of p's runs (counts and stride). Pure. */
void dln_detail_layout_of(const dln_params *p, dln_detail_layout *lay);

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

/* Text of a reason ("period", "exponent > 0", ...; NULL for NONE) and of a
 * mode state ("fitted", ...). Pure. */
const char *dln_reason_name(dln_reason why);
const char *dln_mode_state_name(dln_mode_state m);

/* r's end-of-run dynamics as JSON (json.h; stored numbers, non-finite
 * ones null); caller owns the object (json_object_put), NULL when out of
 * memory.  Pure.
 *   floquet:      [{"re":..,"im":..,"mod":..,"arg":..}, ...] (descending
 *                 modulus; arg in (-pi, pi], pi for a real negative one)
 *   mode_regimes: [{"mode":1,"s":10,"period":2,"state":"periodic"}, ...] */
struct json_object *dln_result_floquet_json(const dln_result *r);
struct json_object *dln_result_modes_json(const dln_result *r,
                                          const dln_params *p);

/* Pack r into a malloc'ed buffer *buf of *len bytes (caller frees);
 * returns 0, or 1 on allocation failure (not collective). */
int dln_result_pack(const dln_result *r, void **buf, size_t *len);

/* Unpack a buffer made by dln_result_pack into an inited r; returns 0, 2
 * if the buffer is malformed, 1 on allocation failure (r is then
 * cleared). Not collective. */
int dln_result_unpack(const void *buf, size_t len, dln_result *r);

#endif
