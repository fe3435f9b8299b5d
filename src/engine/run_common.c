/* run_common.c — the model-independent part of a training run, shared by
 * dln_run (run.c) and dln_prun (pmodel_run.c): windows, record schedule,
 * orbit ring, slow-transient sampler, Lyapunov accounting and the regime
 * classification (definitions in run.h, protocol in run_internal.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "dlnsweep/rng.h"
#include "dlnsweep/run.h"
#include "run_internal.h"

int dln_track_create(dln_run_track *k, const dln_params *p, int keep_ring)
{
    long steps = p->steps, fwin;
    memset(k, 0, sizeof *k);
    k->p = p;
    k->rank = p->rank;
    k->nsv = p->rank < DLN_MAX_SV ? p->rank : DLN_MAX_SV;
    k->dim = 1 + k->nsv + k->rank + DLN_RUN_NPROJ;
    k->twin = p->transient_window;
    if (k->twin < 0)
        k->twin = steps / 4 < 4096 ? steps / 4 : 4096;
    if (k->twin > steps - 2L * p->max_period)   /* ring must be full */
        k->twin = 0;
    fwin = 2L * p->max_period + 1 > p->tail ? 2L * p->max_period + 1
                                            : p->tail;
    k->fp_from = steps - fwin + 1;
    k->tail_from = steps - p->tail + 1;
    k->tr_from = steps - k->twin + 1;   /* first step of the fit window */
    if (k->twin > 0 && k->tr_from - 2L * p->max_period < k->fp_from)
        k->fp_from = k->tr_from - 2L * p->max_period;
    k->lyap_steps = dln_params_lyapunov_steps(p);
    k->lyap_from = steps - k->lyap_steps;
    k->keep = keep_ring;
    if (keep_ring && dln_orbit_create(k->dim, p->max_period, &k->orbit))
        return 1;
    if (keep_ring && k->twin > 0 &&
        dln_transient_create(p->max_period, k->twin, &k->transient))
        return 1;
    dln_detail_layout_of(p, &k->lay);
    k->fp = malloc(sizeof(double) * (size_t)k->dim);
    k->mode_prev = malloc(sizeof(double) * (size_t)k->rank);
    k->mode_now = malloc(sizeof(double) * (size_t)k->rank);
    k->row = malloc(sizeof(double) * (size_t)k->lay.stride);
    if (!k->fp || !k->mode_prev || !k->mode_now || !k->row)
        return 1;
    return 0;
}

void dln_track_free(dln_run_track *k)
{
    dln_transient_destroy(&k->transient);
    dln_orbit_destroy(&k->orbit);
    free(k->fp);
    free(k->mode_prev);
    free(k->mode_now);
    free(k->row);
    memset(k, 0, sizeof *k);
}

/* Trajectory points of p: states t >= record_from that are multiples of
 * record_every, and the last state. Pure. */
static long record_count(const dln_params *p)
{
    long from = p->record_from, every = p->record_every;
    if (every <= 0)
        return 0;
    if (from > p->steps)
        return 1;
    return p->steps / every - (from + every - 1) / every + 2;
}

int dln_track_result_arrays(const dln_params *p, dln_result *r)
{
    size_t npts = (size_t)record_count(p);
    dln_detail_layout_of(p, &r->detail);
    size_t stride = (size_t)r->detail.stride;
    if (npts > 0) {
        r->traj = calloc(npts, sizeof *r->traj);
        if (!r->traj)
            return 1;
        if (p->record_detail &&
            !(r->traj_detail = malloc(sizeof(double) * npts * stride)))
            return 1;
    }
    if (p->tail > 0) {
        r->orbit_sv1 = malloc(sizeof(double) * (size_t)p->tail);
        r->orbit_loss = malloc(sizeof(double) * (size_t)p->tail);
        r->orbit_detail = malloc(sizeof(double) * (size_t)p->tail * stride);
        if (!r->orbit_sv1 || !r->orbit_loss || !r->orbit_detail)
            return 1;
        r->orbit_step0 = p->steps - p->tail + 1;
    }
    return 0;
}

/* 1 if state t gets a trajectory point. Pure. */
static int is_record(const dln_params *p, long t)
{
    return p->record_every > 0 && t <= p->steps &&
           (t == p->steps ||
            (t >= p->record_from && t % p->record_every == 0));
}

int dln_track_diverged(const dln_run_track *k, long t, double loss,
                       dln_result *r)
{
    if (loss <= k->p->diverge_bound)   /* false for NaN too */
        return 0;
    r->regime = DLN_REGIME_DIVERGENT;
    r->reason = DLN_REASON_DIVERGED;
    r->diverge_step = r->steps_done = t;
    r->final_loss = loss;
    r->sharpness = r->balance_gap = r->offdiag_mass = NAN;
    r->period = 0;
    return 1;
}

/* Buffer for the target modes of state t, or NULL when state t needs none
 * (neither t nor t+1 is recorded). Pure. */
static double *modes_slot(const dln_run_track *k, long t)
{
    if (is_record(k->p, t))
        return k->mode_now;
    if (is_record(k->p, t + 1))
        return k->mode_prev;
    return NULL;
}

/* Modes whose entry moved by more than the oscillation tolerance between
 * states a and b. Pure. */
static int count_moved(const dln_run_track *k, const double *a,
                       const double *b)
{
    int cnt = 0;
    double s1 = k->p->spectrum[0];
    for (int i = 0; i < k->rank; i++) {
        double scale = fmax(s1, fmax(fabs(a[i]), fabs(b[i])));
        if (fabs(a[i] - b[i]) > DLN_RUN_OSC_TOL * scale)
            cnt++;
    }
    return cnt;
}

/* After the slot of state t was filled: the n_oscillating of state t's
 * trajectory point (0 when t is not recorded or has no predecessor). */
static int modes_done(dln_run_track *k, long t)
{
    int moved = 0;
    if (is_record(k->p, t)) {
        moved = k->prev_ok ? count_moved(k, k->mode_prev, k->mode_now) : 0;
        k->prev_ok = 0;
        if (is_record(k->p, t + 1)) {
            double *tmp = k->mode_prev;
            k->mode_prev = k->mode_now;
            k->mode_now = tmp;
            k->prev_ok = 1;
        }
    } else if (is_record(k->p, t + 1))
        k->prev_ok = 1;
    return moved;
}

/* 1 if state t is fingerprinted. Pure. */
static int wants_fp(const dln_run_track *k, long t)
{
    return t >= k->fp_from;
}

void dln_track_fp_head(dln_run_track *k, double loss, const double *sv,
                       int nsv_got)
{
    k->fp[0] = loss;
    for (int i = 0; i < k->nsv; i++)
        k->fp[1 + i] = i < nsv_got ? sv[i] : 0.0;
}

double *dln_track_fp_modes(const dln_run_track *k)
{
    return k->fp + 1 + k->nsv;
}

double *dln_track_fp_proj(const dln_run_track *k)
{
    return k->fp + 1 + k->nsv + k->rank;
}

/* Push k->fp (state t, loss) into the ring, the transient sampler and the
 * tail arrays of r; does nothing where no ring is kept. */
static void push(dln_run_track *k, long t, double loss, dln_result *r)
{
    if (!k->orbit)
        return;
    dln_orbit_push(k->orbit, k->fp);
    if (k->transient && t >= k->tr_from)
        dln_transient_push(k->transient, k->orbit, t - k->tr_from);
    if (t >= k->tail_from) {
        r->orbit_sv1[r->n_orbit] = k->fp[1];
        r->orbit_loss[r->n_orbit] = loss;
        memcpy(r->orbit_detail + (size_t)r->n_orbit * k->lay.stride, k->row,
               sizeof(double) * (size_t)k->lay.stride);
        r->n_orbit++;
    }
}

/* 1 if the tangent is propagated over step t -> t+1. Pure. */
static int lyap_due(const dln_run_track *k, long t)
{
    return k->lyap_steps > 0 && t >= k->lyap_from && !k->lyap_bad;
}

/* Account the tangent norm after one propagation: returns 1 with *nrm
 * floored (rescale by it), or 0 when it went non-finite (the exponent is
 * then NaN and no more steps are due). */
static int lyap_growth(dln_run_track *k, double *nrm)
{
    if (!isfinite(*nrm)) {
        k->lyap_bad = 1;
        return 0;
    }
    *nrm = fmax(*nrm, 1e-300);
    k->lyap_sum += log(*nrm);
    k->lyap_n++;
    return 1;
}

void dln_track_begin(const dln_run_track *k, dln_result *r)
{
    (void)k;
    r->lyapunov = NAN;
}

void dln_track_reached(const dln_run_track *k, dln_result *r)
{
    r->steps_done = k->p->steps;
    if (k->lyap_n > 0 && !k->lyap_bad)
        r->lyapunov = k->lyap_sum / (double)k->lyap_n;
}

long dln_track_next_state(const dln_run_track *k, long t)
{
    const dln_params *p = k->p;
    long first = k->fp_from < k->tail_from ? k->fp_from : k->tail_from;
    if (t >= first || t >= p->steps)
        return t;
    long next = first < p->steps ? first : p->steps;
    if (p->record_every > 0) {
        if (is_record(p, t) || is_record(p, t + 1))
            return t;
        /* the state before the next recorded one (its modes are needed) */
        long from = t + 1 > p->record_from ? t + 1 : p->record_from;
        long rec = (from + p->record_every - 1) / p->record_every *
                   p->record_every;
        long before = rec - 1 < p->steps - 1 ? rec - 1 : p->steps - 1;
        if (before < next)
            next = before;
    }
    return next;
}

int dln_track_state(dln_run_track *k, const dln_run_ops *ops, long t,
                    dln_result *r)
{
    const dln_params *p = k->p;
    double top[DLN_MAX_SV];
    dln_traj_point pt;
    double loss = ops->loss(ops->ctx);
    if (dln_track_diverged(k, t, loss, r))
        return 0;
    double *modes = modes_slot(k, t);
    int record = is_record(p, t);
    if ((p->tail > 0 && t >= k->tail_from) || (record && p->record_detail))
        ops->detail(ops->ctx, &k->lay, k->row);
    if (record) {
        memset(&pt, 0, sizeof pt);
        ops->point(ops->ctx, t, loss, &pt);
        pt.step = t;
        pt.sharpness = NAN;
        /* Every estimate starts Lanczos from the run's seeded vector
         * (drawn once and kept by the Lanczos workspace). */
        if (p->sharpness_every > 0 && t % p->sharpness_every == 0 &&
            t != p->steps && ops->hessian_top(ops->ctx, p->seed, top) > 0)
            pt.sharpness = top[0];
        ops->modes(ops->ctx, modes, 1);
        pt.n_oscillating = modes_done(k, t);
        if (k->keep && p->record_detail)
            memcpy(r->traj_detail + (size_t)r->n_traj * k->lay.stride,
                   k->row, sizeof(double) * (size_t)k->lay.stride);
        if (k->keep)
            r->traj[r->n_traj++] = pt;
    } else if (modes) {
        ops->modes(ops->ctx, modes, 0);
        modes_done(k, t);
    }
    if (wants_fp(k, t)) {
        ops->fingerprint(ops->ctx, loss);
        push(k, t, loss, r);
    }
    return 1;
}

int dln_track_train(dln_run_track *k, const dln_run_ops *ops, int tangent,
                    dln_result *r)
{
    dln_track_begin(k, r);
    for (long t = 0;; t++) {
        if (!dln_track_state(k, ops, t, r))
            return 0;
        if (t == k->p->steps)
            break;
        if (tangent && lyap_due(k, t)) {
            double nrm = ops->tangent(ops->ctx);
            if (lyap_growth(k, &nrm))
                ops->rescale(ops->ctx, nrm);
        }
        ops->step(ops->ctx);
    }
    dln_track_reached(k, r);
    return 1;
}

/* Modes whose entry spans more than the oscillation tolerance over the
 * states held in the ring. Pure. */
static int count_oscillating(const dln_run_track *k)
{
    int cnt = 0, off = 1 + k->nsv;
    for (int i = 0; i < k->rank; i++) {
        double lo = INFINITY, hi = -INFINITY, big = k->p->spectrum[0];
        const double *f;
        for (int lag = 0; (f = dln_orbit_get(k->orbit, lag)) != NULL; lag++) {
            lo = fmin(lo, f[off + i]);
            hi = fmax(hi, f[off + i]);
            big = fmax(big, fabs(f[off + i]));
        }
        if (hi - lo > DLN_RUN_OSC_TOL * big)
            cnt++;
    }
    return cnt;
}

/* Period of target mode i alone over ring o: the smallest p whose last
 * 2p+1 entries repeat to period_tol * max(s_1, max |entry|) (the scale
 * of count_oscillating, so a mode at 0 is not rounding noise); 0 if none.
 * Pure. */
static int mode_period(const dln_run_track *k, const dln_orbit *o, int i)
{
    int off = 1 + k->nsv + i;
    for (int p = 1; p <= k->p->max_period; p++) {
        double big = k->p->spectrum[0], worst = 0.0;
        const double *a, *b;
        int lag = 0;
        for (; lag <= p; lag++) {
            if (!(a = dln_orbit_get(o, lag)) || !(b = dln_orbit_get(o, lag + p)))
                return 0;
            big = fmax(big, fmax(fabs(a[off]), fabs(b[off])));
            worst = fmax(worst, fabs(a[off] - b[off]));
        }
        if (worst <= k->p->period_tol * big)   /* false for NaN */
            return p;
    }
    return 0;
}

/* Largest |change| of entry `off` over q steps among the last q+1 states
 * of ring o (NaN when o holds too few). Pure. */
static double entry_defect(const dln_orbit *o, int off, int q)
{
    double worst = 0.0;
    for (int lag = 0; lag <= q; lag++) {
        const double *a = dln_orbit_get(o, lag), *b = dln_orbit_get(o, lag + q);
        if (!a || !b)
            return NAN;
        worst = fmax(worst, fabs(a[off] - b[off]));
    }
    return worst;
}

/* 1 if mode i's deviation from q-periodicity over ring o (fingerprints)
 * is at most DLN_RUN_MODE_DYING of that over `early` (mode values, entry
 * i): it is dying out. Pure. */
static int mode_dying(const dln_run_track *k, const dln_orbit *o,
                      const dln_orbit *early, int i, int q)
{
    double before = entry_defect(early, i, q);
    return before > 0.0 &&
           entry_defect(o, 1 + k->nsv + i, q) <= DLN_RUN_MODE_DYING * before;
}

/* Mode i's period p halved while its deviation from p/2-periodicity has
 * at least halved since the earlier ring (the mode is still settling
 * onto the shorter cycle, e.g. a flip dying out). Pure. */
static int mode_settling(const dln_run_track *k, const dln_orbit *o,
                         const dln_orbit *early, int i, int p)
{
    while (early && p > 1 && p % 2 == 0 && mode_dying(k, o, early, i, p / 2))
        p /= 2;
    return p;
}

/* An aperiodic mode that is settling onto a cycle of the run's period
 * (hint > 0): the smallest divisor q of hint whose deviation from
 * q-periodicity has at least halved since the earlier ring; else 0. */
static int mode_heading(const dln_run_track *k, const dln_orbit *o,
                        const dln_orbit *early, int i, int hint)
{
    for (int q = 1; early && q <= hint; q++)
        if (hint % q == 0 && mode_dying(k, o, early, i, q))
            return q;
    return 0;
}

int dln_track_modes(const dln_run_track *k, const dln_orbit *o,
                    const dln_orbit *early, int hint, dln_result *r)
{
    const double *f = dln_orbit_get(o, 0);
    int settled = f != NULL;
    r->n_modes = f ? k->rank : 0;
    r->n_collapsed = f ? 0 : -1;
    for (int i = 0; i < r->n_modes; i++) {
        double s = k->p->spectrum[i], m = f[1 + k->nsv + i];
        double tol = DLN_RUN_COLLAPSE_TOL * k->p->spectrum[0];
        int per = mode_settling(k, o, early, i, mode_period(k, o, i));
        if (per == 0)
            per = mode_heading(k, o, early, i, hint);
        dln_mode_state st = per > 1   ? DLN_MODE_PERIODIC
                            : per == 0 ? DLN_MODE_APERIODIC
                            : fabs(m - s) <= tol ? DLN_MODE_FITTED
                            : s > 0.0 && fabs(m) <= tol ? DLN_MODE_COLLAPSED
                                                        : DLN_MODE_FIXED;
        r->mode_period[i] = per;
        r->mode_state[i] = st;
        r->n_collapsed += st == DLN_MODE_COLLAPSED;
        settled &= st == DLN_MODE_FITTED || st == DLN_MODE_COLLAPSED;
    }
    return settled;
}

void dln_track_ring_evidence(const dln_run_track *k, const dln_orbit *o,
                             const dln_orbit *early, double loss,
                             dln_result *r, dln_label_evidence *e)
{
    const dln_params *p = k->p;
    double half = 0.0, sv_max = 0.0;
    const double *f;
    for (int i = 0; i < p->rank; i++)
        half += 0.5 * p->spectrum[i] * p->spectrum[i];
    double zero = DLN_RUN_COLLAPSE_TOL * p->spectrum[0];
    e->saddle_visits = 0;
    for (int lag = 0; (f = dln_orbit_get(o, lag)) != NULL; lag++) {
        sv_max = fmax(sv_max, f[1]);
        e->saddle_visits += f[1] <= zero &&
                            fabs(f[0] - half) <= DLN_RUN_COLLAPSE_TOL * half;
    }
    e->collapsed = p->spectrum[0] > 0.0 && dln_orbit_count(o) > 0 &&
                   sv_max <= zero &&
                   fabs(loss - half) <= DLN_RUN_COLLAPSE_TOL * half;
    e->period = dln_orbit_period(o, p->period_tol);
    if (k->transient && e->period > 1)   /* a 2q "cycle" still settling
                                            to its q-cycle (stability.h) */
        e->period = dln_transient_period(k->transient, e->period, 0,
                                         DLN_RUN_TRANSIENT_FLOOR);
    e->loss_rel = half > 0.0 ? loss / half : (loss > 0.0 ? INFINITY : 0.0);
    e->modes_settled = dln_track_modes(k, o, early, 0, r);
}

void dln_track_evidence(const dln_run_track *k, dln_result *r,
                        dln_label_evidence *e)
{
    dln_label_evidence_init(e);
    dln_track_ring_evidence(k, k->orbit, NULL, r->final_loss, r, e);
    if (k->transient && e->period == 0)   /* the period it is settling to */
        e->period_fit = dln_transient_period(k->transient, 0, 1,
                                             DLN_RUN_TRANSIENT_FLOOR);
    e->lambda = r->lyapunov;
    e->lambda_err = r->lyapunov_err;
}

void dln_track_conclude(const dln_run_track *k, dln_result *r,
                        const dln_label_evidence *given)
{
    dln_label_evidence own;
    r->n_oscillating = count_oscillating(k);
    if (r->n_traj > 0 && r->traj[r->n_traj - 1].step == k->p->steps)
        r->traj[r->n_traj - 1].sharpness = r->sharpness;
    if (!given) {
        dln_track_evidence(k, r, &own);
        given = &own;
    }
    r->regime = dln_label_decide(given, &r->period, &r->reason);
    if (r->regime == DLN_REGIME_CONVERGED)
        r->n_oscillating = 0;   /* what still swings is dying out */
    if (r->regime == DLN_REGIME_DIVERGENT)
        r->diverge_step = -1;   /* after x_steps: not a step of the run */
}

int dln_run_projections(const dln_params *p, size_t n, size_t *idx,
                        double *w)
{
    int terms = n < DLN_RUN_PROJ_TERMS ? (int)n : DLN_RUN_PROJ_TERMS;
    double u[2 * DLN_RUN_NPROJ * DLN_RUN_PROJ_TERMS];
    dln_rng_uniform(p->seed, DLN_STREAM_PROJECTION, u,
                    2 * (size_t)DLN_RUN_NPROJ * terms);
    for (int j = 0; j < DLN_RUN_NPROJ; j++)
        for (int t = 0; t < terms; t++) {
            const double *ut = u + 2 * (j * terms + t);
            size_t at = (size_t)(ut[0] * (double)n);
            idx[j * terms + t] = at < n ? at : n - 1;
            w[j * terms + t] = 2.0 * ut[1] - 1.0;
        }
    return terms;
}

int dln_run_lanczos_size(const dln_params *p, size_t n, int *k)
{
    int iters = p->lanczos_iters;
    if ((size_t)iters > n)
        iters = (int)n;
    *k = p->top_k < iters ? p->top_k : iters;
    return iters;
}

int dln_run_count_above_eos(const double *eig, size_t n, double eta)
{
    int cnt = 0;
    for (size_t i = 0; i < n; i++)
        if (eig[i] > 2.0 / eta)
            cnt++;
    return cnt;
}
