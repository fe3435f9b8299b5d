/* continuation.h — follow a periodic orbit of the GD map along eta and
 * locate its bifurcations exactly.
 *
 * From a state on (or near) a p-cycle at eta0 (the late orbit of a run):
 * converge it (orbitsolve.h), then follow the branch by pseudo-arclength
 * continuation in (x, eta / eta0), computing the Floquet multipliers of
 * every accepted point (floquet.h). Between two points:
 *  - a real multiplier crossing -1 is a flip: located by the Illinois
 *    regula falsi on mu(s) + 1 along the arclength s (each evaluation a
 *    corrected branch point), then the continuation switches to the
 *    2p-cycle along the flip eigenvector (predictor x_c + h v at eta_c,
 *    the branch's tangent there);
 *  - a real multiplier crossing +1 where the branch turns back in eta is a
 *    fold (the end of a periodic window's stable cycle): located on
 *    mu(s) - 1 the same way; the continuation then resumes from the stable
 *    side in the other direction (a window found from inside is followed
 *    down to its fold, then up through its doublings);
 *  - a real multiplier of M_p crossing +1 while M_q, q = p/2^k, has one at
 *    -1 is the flip of a sub-orbit of period q (one mode of a decoupled
 *    network doubling while the others keep their period): located as a
 *    flip of M_q; the branch switches along its eigenvector, the period
 *    stays p.
 * Multipliers within neutral_tol of 1 are neutral (symmetries, families of
 * fixed points) and never counted. With an SVS state (svs.h: the diagonal
 * target's and the identity init's set) everything runs on the in-set
 * block, where the dynamics stays and the symmetries are not, and the
 * modes sitting on a fixed point are balanced first (dln_svs_balance): the
 * flip of a family of minima happens at its flattest point, the balanced
 * one (eta_1 = 2 / (L s^(2-2/L))).
 * Numerics only: no I/O. Not thread-safe (ARPACK). */
#ifndef DLNSWEEP_CONTINUATION_H
#define DLNSWEEP_CONTINUATION_H

#include "dlnsweep/floquet.h"
#include "dlnsweep/model.h"
#include "dlnsweep/orbitsolve.h"
#include "dlnsweep/refine.h"
#include "dlnsweep/result.h"

typedef struct dln_contin_settings {
    double eta_lo, eta_hi;    /* follow while eta stays inside              */
    int direction;            /* +1 towards eta_hi first, -1 towards eta_lo */
    int max_period;           /* no cycle longer is followed                 */
    int max_steps;            /* accepted continuation steps in all         */
    double step0;             /* first arclength step (scaled units)        */
    double step_min, step_max;
    double growth;            /* |d eta| <= growth * distance from the birth */
    double locate_tol;        /* stop locating at |mu -+ 1| below           */
    double neutral_tol;       /* |mu - 1| below: neutral                    */
    double stationary_tol;    /* dln_svs_balance's tol                      */
    double svs_tol;           /* fit defect up to which the state is SVS     */
    int use_svs;              /* 1: in-set block for SVS states             */
    dln_orbitsolve_settings solve;
    dln_floquet_settings floquet;
} dln_contin_settings;

typedef struct dln_contin_stats {
    int steps;                /* accepted branch points                     */
    int rejected;             /* halved steps                               */
    int evaluations;          /* corrected points while locating            */
    long hvps;                /* Hessian-vector products (Newton + Floquet)  */
    int svs;                  /* 1 if the in-set block was used             */
    int balanced;             /* modes balanced at the start                */
    double start_residual;    /* of the converged starting orbit            */
    int final_period;         /* period followed when it stopped             */
    double final_eta;
    int status;               /* DLN_CONTIN_*                               */
} dln_contin_stats;

#define DLN_CONTIN_MAX_LOCATED 64   /* points one dln_contin_line keeps */

enum {
    DLN_CONTIN_DONE = 0,      /* left [eta_lo, eta_hi]                      */
    DLN_CONTIN_MAX_PERIOD,    /* the next cycle would exceed max_period     */
    DLN_CONTIN_LOST,          /* the corrector failed at step_min           */
    DLN_CONTIN_MAX_STEPS,
    DLN_CONTIN_FULL,          /* maxout points located                       */
    DLN_CONTIN_NO_START       /* the start did not converge to a cycle      */
};

/* Defaults: eta range [0, Inf), direction +1, max_period 256, 4000 steps,
 * step0 1e-3, step_min 1e-13, step_max 0.05, growth 0.3, locate_tol 1e-14,
 * neutral_tol 1e-8, stationary_tol 1e-9, svs_tol 1e-10, use_svs 1, solver
 * and Floquet defaults (nev 16). */
void dln_contin_defaults(dln_contin_settings *s);

typedef struct dln_contin dln_contin;

/* Workspace for models shaped like m. Returns 0, 1; caller owns *out. */
int dln_contin_create(const dln_model *m, dln_contin **out);

/* Free w and set *w = NULL; accepts NULL and *w == NULL. */
void dln_contin_destroy(dln_contin **w);

/* Follow the period-`period` orbit through x0 (NULL: m's parameters) from
 * eta0, writing up to maxout located points in order into out (*nout).
 * m's parameters are restored on return. Returns 0 (how it ended in
 * st->status), 1 on allocation/LAPACK failure, 2 on bad arguments. Not
 * collective. */
int dln_contin_run(dln_contin *w, dln_model *m, const double *x0, double eta0,
                   int period, const dln_contin_settings *s,
                   dln_located *out, int maxout, int *nout,
                   dln_contin_stats *st);

/* "done", "max-period", "lost", "max-steps", "full", "no-start" (pure). */
const char *dln_contin_status_name(int status);

/* One line of a sweep: train p from its init for p->steps GD steps (the
 * run's last state), then follow its period-`period` orbit from p->eta
 * in `direction` inside [eta_lo, eta_hi], locating up to
 * DLN_CONTIN_MAX_LOCATED points (cycles up to max_period) into r->located
 * (malloc'ed; r inited by the caller): r->regime / r->period describe the
 * start, r->contin_status / contin_steps how it ended. Returns 0, 1 on
 * allocation failure, 2 on bad p or arguments (r->error set). */
int dln_contin_line(const dln_params *p, int period, int direction,
                    double eta_lo, double eta_hi, int max_period,
                    dln_result *r);

#endif
