/* continuation.c — pseudo-arclength continuation of p-cycles along eta with
 * exact location of flips, folds and sub-orbit flips (method in
 * continuation.h). */
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <cblas.h>
#include "dlnsweep/continuation.h"

#define CONTIN_LOCATE_ITERS 80     /* regula falsi evaluations per point   */
#define CONTIN_SUBPERIOD_GAP 1e-7  /* |x_q - x_0| / |x| below: shorter     */
#define CONTIN_REAL_TOL 1e-12      /* |im| / |mu| below: a real multiplier */

struct dln_contin {
    size_t n;
    dln_orbitsolve *os;
    dln_floquet *fw;
    dln_svs *svs;
    double *x, *tx, *xn, *txn, *xs, *v, *caller, *scratch, *hold;
};

/* One branch point: cycle point, eta, unit tangent, counts. */
typedef struct point {
    double *x, *tx;
    double eta, te;
    int below, above;        /* real multipliers < -1, > 1 + neutral     */
    double lowest;           /* the smallest real multiplier (NaN: none) */
} point;

/* Everything one run carries. */
typedef struct run {
    dln_contin *w;
    dln_model *m;
    const dln_contin_settings *s;
    dln_svs *svs;            /* NULL: full block                          */
    dln_orbitsolve_settings os;
    dln_floquet_settings fs;
    double scale;            /* eta unit of the arclength                 */
    int period;
    dln_contin_stats *st;
    dln_located *out;
    int maxout, *nout;
} run;

const char *dln_contin_status_name(int status)
{
    static const char *const names[] = {"done", "max-period", "lost",
                                        "max-steps", "full", "no-start"};
    if (status < 0 || status > DLN_CONTIN_NO_START)
        return "unknown";
    return names[status];
}

void dln_contin_defaults(dln_contin_settings *s)
{
    memset(s, 0, sizeof *s);
    s->eta_lo = 0.0;
    s->eta_hi = INFINITY;
    s->direction = 1;
    s->max_period = 256;
    s->max_steps = 4000;
    s->step0 = 1e-3;
    s->step_min = 1e-13;
    s->step_max = 0.05;
    s->growth = 0.3;
    s->locate_tol = 1e-14;
    s->neutral_tol = 1e-8;
    s->stationary_tol = 1e-9;
    s->svs_tol = 1e-10;
    s->use_svs = 1;
    dln_orbitsolve_defaults(&s->solve);
    dln_floquet_defaults(&s->floquet);
    s->floquet.nev = DLN_FLOQUET_MAX_NEV;
}

void dln_contin_destroy(dln_contin **pw)
{
    if (!pw || !*pw)
        return;
    dln_contin *w = *pw;
    dln_orbitsolve_destroy(&w->os);
    dln_floquet_destroy(&w->fw);
    dln_svs_destroy(&w->svs);
    free(w->x);
    free(w->tx);
    free(w->xn);
    free(w->txn);
    free(w->xs);
    free(w->v);
    free(w->caller);
    free(w->scratch);
    free(w->hold);
    free(w);
    *pw = NULL;
}

int dln_contin_create(const dln_model *m, dln_contin **out)
{
    int rc = 1;
    dln_contin *w = calloc(1, sizeof *w);
    *out = NULL;
    if (!w)
        goto cleanup;
    w->n = dln_model_nparams(m);
    size_t b = sizeof(double) * w->n;
    w->x = malloc(b);
    w->tx = malloc(b);
    w->xn = malloc(b);
    w->txn = malloc(b);
    w->xs = malloc(b);
    w->v = malloc(b);
    w->caller = malloc(b);
    w->scratch = malloc(b);
    w->hold = malloc(b);
    if (!w->hold || !w->scratch || !w->x || !w->tx || !w->xn || !w->txn || !w->xs || !w->v ||
        !w->caller || dln_orbitsolve_create(m, &w->os) ||
        dln_floquet_create(m, &w->fw) || dln_svs_create(m, &w->svs))
        goto cleanup;
    *out = w;
    w = NULL;
    rc = 0;
cleanup:
    dln_contin_destroy(&w);
    return rc;
}

static int is_real(const dln_floquet_result *f, int i)
{
    return fabs(f->im[i]) <= CONTIN_REAL_TOL * f->modulus[i];
}

/* Multipliers of the q-step map M_q along the orbit of x at eta (q = the
 * period: the monodromy). Returns 0 or 1. */
static int multipliers(run *r, const double *x, double eta, int q,
                       dln_floquet_result *fr)
{
    if (dln_floquet_record(r->w->fw, r->m, x, eta, q) ||
        dln_floquet_multipliers(r->w->fw, r->m, r->svs, &r->fs, fr))
        return 1;
    r->st->hvps += fr->hvps + q;
    return 0;
}

static void count(const run *r, const dln_floquet_result *f, int *below,
                  int *above)
{
    *below = *above = 0;
    for (int i = 0; i < f->n; i++)
        if (is_real(f, i)) {
            *below += f->re[i] < -1.0;
            *above += f->re[i] > 1.0 + r->s->neutral_tol;
        }
}

/* The real multiplier nearest target (neutral ones skipped for +1); NaN if
 * none. */
static double critical(const run *r, const dln_floquet_result *f,
                       double target)
{
    double best = NAN;
    for (int i = 0; i < f->n; i++) {
        if (!is_real(f, i) ||
            (target > 0.0 && fabs(f->re[i] - 1.0) < r->s->neutral_tol))
            continue;
        if (isnan(best) || fabs(f->re[i] - target) < fabs(best - target))
            best = f->re[i];
    }
    return best;
}

/* Corrected branch point at arclength s from a (into x, *eta); 1 if it
 * converged. */
static int corrected(run *r, const point *a, double s, double *x,
                     double *eta, dln_orbitsolve_result *res)
{
    size_t n = r->w->n;
    for (size_t j = 0; j < n; j++)
        x[j] = a->x[j] + s * a->tx[j];
    *eta = a->eta + s * r->scale * a->te;
    if (!(*eta > 0.0))
        return 0;
    int rc = dln_orbitsolve_arclength(r->w->os, r->m, r->svs, r->period, x,
                                      eta, a->tx, a->te, &r->os, res);
    r->st->hvps += res->hvps;
    return rc == 0 && res->converged;
}

/* Counts of point p from its multipliers. Returns 0 or 1. */
static int classify(run *r, point *p)
{
    dln_floquet_result fr;
    if (multipliers(r, p->x, p->eta, r->period, &fr))
        return 1;
    count(r, &fr, &p->below, &p->above);
    p->lowest = NAN;
    for (int i = 0; i < fr.n; i++)
        if (is_real(&fr, i) && !(p->lowest <= fr.re[i]))
            p->lowest = fr.re[i];
    return 0;
}

/* Locate mu(s) = target between a (s = 0) and b (s = sb) by the Illinois
 * regula falsi, mu the critical multiplier of M_q; the point ends in
 * (w->xs, *eta). Returns 0, 1 on failure. */
static int locate(run *r, const point *a, double sb, int q, double target,
                  double *eta, dln_located *pt)
{
    dln_floquet_result fr;
    dln_orbitsolve_result res = {0};
    double lo = 0.0, hi = sb, flo, fhi, s = 0.0, phi = NAN;
    int side = 0;
    if (multipliers(r, a->x, a->eta, q, &fr))
        return 1;
    flo = critical(r, &fr, target) - target;
    if (!corrected(r, a, sb, r->w->xs, eta, &res) ||
        multipliers(r, r->w->xs, *eta, q, &fr))
        return 1;
    fhi = critical(r, &fr, target) - target;
    if (!(flo * fhi < 0.0))
        return 1;
    /* Near +1 the critical multiplier cannot be told from the neutral
     * ones: stop a little away and finish by one secant step. */
    double enough = target > 0.0 ? 10.0 * r->s->neutral_tol : r->s->locate_tol;
    for (int it = 0; it < CONTIN_LOCATE_ITERS; it++) {
        s = (lo * fhi - hi * flo) / (fhi - flo);
        if (!(s > fmin(lo, hi) && s < fmax(lo, hi)))
            s = 0.5 * (lo + hi);
        r->st->evaluations++;
        if (!corrected(r, a, s, r->w->xs, eta, &res))
            return 1;
        if (fabs(fhi - flo) == 0.0 || fabs(hi - lo) <= 1e-16 * fabs(sb))
            break;
        if (multipliers(r, r->w->xs, *eta, q, &fr))
            return 1;
        phi = critical(r, &fr, target) - target;
        if (isnan(phi))
            return 1;
        if (fabs(phi) <= enough)
            break;
        if ((phi < 0.0) == (flo < 0.0)) {
            lo = s;
            flo = phi;
            if (side == -1)
                fhi *= 0.5;
            side = -1;
        } else {
            hi = s;
            fhi = phi;
            if (side == 1)
                flo *= 0.5;
            side = 1;
        }
    }
    if (target > 0.0 && fabs(phi) > r->s->locate_tol) {
        /* secant between the last two values, then one more correction */
        double s2 = (lo * fhi - hi * flo) / (fhi - flo);
        if (s2 > fmin(lo, hi) && s2 < fmax(lo, hi) &&
            corrected(r, a, s2, r->w->xs, eta, &res)) {
            double d1 = fabs(s2 - lo), d2 = fabs(s2 - hi);
            phi = (d1 < d2 ? flo : fhi) * fmin(d1, d2) /
                  fmax(fabs(hi - lo), 1e-300);
        }
    }
    pt->eta = *eta;
    pt->multiplier = target + phi;
    pt->test = fabs(phi);
    pt->residual = res.residual;
    return 0;
}

/* locate() for the flip of a period-q sub-orbit (q < p): there M_p has a
 * multiplier mu_q^(p/q) -> +1, so the cycle is nearly non-isolated along
 * that eigenvector and rounding would move it along it, and mu_q with it;
 * Newton holds that direction (taken at a, where it is well determined)
 * fixed instead. */
static int locate_subperiod(run *r, const point *a, double sb, int q,
                            double *eta, dln_located *pt)
{
    double mu;
    if (dln_floquet_record(r->w->fw, r->m, a->x, a->eta, q) ||
        dln_floquet_vector(r->w->fw, r->m, r->svs, &r->fs, -1.0, &mu,
                           r->w->hold))
        return 1;
    r->os.hold = r->w->hold;
    int rc = locate(r, a, sb, q, -1.0, eta, pt);
    r->os.hold = NULL;
    return rc;
}

static int emit(run *r, const dln_located *pt)
{
    if (*r->nout >= r->maxout)
        return 1;
    r->out[(*r->nout)++] = *pt;
    return 0;
}

static double dist(size_t n, const double *a, const double *b)
{
    double d = 0.0;
    for (size_t j = 0; j < n; j++)
        d += (a[j] - b[j]) * (a[j] - b[j]);
    return sqrt(d);
}

/* The stationary modes of the orbit of x (and their neutral directions,
 * quotiented out of the in-set Newton systems and multipliers); balances a
 * copy of x only. Returns 0, 1. */
static int refresh_stationary(run *r, const double *x, double eta,
                              int period)
{
    if (!r->svs)
        return 0;
    memcpy(r->w->scratch, x, sizeof(double) * r->w->n);
    if (dln_floquet_record(r->w->fw, r->m, x, eta, period))
        return 1;
    return dln_svs_balance(r->svs, dln_floquet_state(r->w->fw, 0),
                           period + 1, r->s->stationary_tol,
                           r->w->scratch) < 0;
}

/* Switch at the located point (w->xs, eta_c) onto the branch along the
 * eigenvector of M_q at -1, with period `period_after`, its first point
 * within `limit` of eta_c and with no more multipliers below -1 than the
 * old branch had (below_before); on success the new branch's first point
 * and tangent are in c. Returns 0, 1 on failure. */
static int switch_branch(run *r, double eta_c, int q, int period_after,
                         double limit, int below_before, point *c)
{
    dln_contin *w = r->w;
    size_t n = w->n;
    double mu;
    if (dln_floquet_record(w->fw, r->m, w->xs, eta_c, q) ||
        dln_floquet_vector(w->fw, r->m, r->svs, &r->fs, -1.0, &mu, w->v))
        return 1;
    int old_period = r->period;
    r->period = period_after;
    double xnorm = cblas_dnrm2((int)n, w->xs, 1);
    double h = 1e-3 * (xnorm > 0.0 ? xnorm : 1.0);
    point base = {w->xs, w->v, eta_c, 0.0, 0, 0, NAN};
    for (int tries = 0; tries < 40; tries++, h *= 0.5) {
        dln_orbitsolve_result res;
        for (size_t j = 0; j < n; j++)
            c->x[j] = w->xs[j] + h * w->v[j];
        if (refresh_stationary(r, c->x, eta_c, period_after))
            return 1;
        if (!corrected(r, &base, h, c->x, &c->eta, &res) ||
            fabs(c->eta - eta_c) > limit)
            continue;
        if (period_after > 1 &&
            dln_orbitsolve_subperiod_gap(w->os, r->m, c->eta, period_after,
                                         c->x) < CONTIN_SUBPERIOD_GAP)
            continue;   /* fell back onto the old cycle */
        memcpy(c->tx, w->v, sizeof(double) * n);
        c->te = 0.0;
        if (dln_orbitsolve_tangent(w->os, r->m, r->svs, r->period, c->x,
                                   c->eta, c->tx, &c->te, &r->os) ||
            classify(r, c))
            continue;
        /* A first point already past the next flip would hide it. */
        if (c->below > below_before)
            continue;
        return 0;
    }
    r->period = old_period;
    refresh_stationary(r, w->xs, eta_c, old_period);
    return 1;
}

/* Sub-period q (p / 2^k) whose M_q gained or lost a multiplier below -1
 * between a and b, or 0. */
static int subperiod_flip(run *r, const point *a, const point *b)
{
    for (int q = r->period / 2; q >= 1 && r->period % (2 * q) == 0;
         q /= 2) {
        dln_floquet_result fa, fb;
        int ba, bb, ua, ub;
        if (multipliers(r, a->x, a->eta, q, &fa) ||
            multipliers(r, b->x, b->eta, q, &fb))
            return 0;
        count(r, &fa, &ba, &ua);
        count(r, &fb, &bb, &ub);
        if (ba != bb)
            return q;
        if (q == 1 || (q % 2))
            break;
    }
    return 0;
}

static int inside(const run *r, double eta)
{
    return eta >= r->s->eta_lo && eta <= r->s->eta_hi;
}

/* Converge the start, fit the SVS split, balance stationary modes. */
static int start(run *r, point *a, const double *x0, double eta0)
{
    dln_contin *w = r->w;
    size_t n = w->n;
    dln_orbitsolve_result res;
    memcpy(a->x, x0, sizeof(double) * n);
    a->eta = eta0;
    r->svs = NULL;
    if (r->s->use_svs) {
        double defect = INFINITY;
        dln_model_set_params(r->m, a->x);
        if (dln_svs_fit(w->svs, r->m, &defect))
            return 1;
        if (defect <= r->s->svs_tol)
            r->svs = w->svs;
    }
    r->st->svs = r->svs != NULL;
    r->os.block = r->fs.block = r->svs ? DLN_BLOCK_INSET : DLN_BLOCK_FULL;
    r->fs.quotient = r->svs != NULL;
    if (dln_orbitsolve_cycle(w->os, r->m, r->svs, eta0, r->period, a->x,
                             &r->os, &res))
        return 1;
    r->st->hvps += res.hvps;
    if (!res.converged)
        return 2;
    /* the shortest period the converged orbit has */
    for (int q = 1; q < r->period; q++)
        if (r->period % q == 0 && dln_floquet_record(w->fw, r->m, a->x, eta0,
                                                     q) == 0 &&
            dist(n, dln_floquet_state(w->fw, q), a->x) <=
                CONTIN_SUBPERIOD_GAP * cblas_dnrm2((int)n, a->x, 1)) {
            r->period = q;
            break;
        }
    if (r->svs) {
        if (dln_floquet_record(w->fw, r->m, a->x, eta0, r->period))
            return 1;
        int k = dln_svs_balance(r->svs, dln_floquet_state(w->fw, 0),
                                r->period + 1, r->s->stationary_tol, a->x);
        if (k < 0)
            return 1;
        r->st->balanced = k;
        if (k > 0) {
            if (dln_orbitsolve_cycle(w->os, r->m, r->svs, eta0, r->period,
                                     a->x, &r->os, &res))
                return 1;
            r->st->hvps += res.hvps;
            if (!res.converged)
                return 2;
        }
    }
    r->st->start_residual = res.residual;
    memset(a->tx, 0, sizeof(double) * n);
    a->te = r->s->direction < 0 ? -1.0 : 1.0;
    if (dln_orbitsolve_tangent(w->os, r->m, r->svs, r->period, a->x, a->eta,
                               a->tx, &a->te, &r->os))
        return 1;
    return classify(r, a);
}

static void swap_points(point *a, point *b)
{
    point t = *a;
    *a = *b;
    *b = t;
}

/* After a flip located at eta_c: onto the new branch (switch_branch along
 * M_q's -1 eigenvector, period_after) as the new a, its first steps a
 * fraction of the old branch's length. Returns 0, 1 when the switch failed
 * (status LOST set). */
static int restart_after(run *r, point *a, point *b, double eta_c, int q,
                         int period_after, double *birth, double *first,
                         double *h)
{
    double span = fabs(eta_c - *birth);
    if (switch_branch(r, eta_c, q, period_after, 0.05 * span, a->below, b)) {
        r->st->status = DLN_CONTIN_LOST;
        return 1;
    }
    swap_points(a, b);
    *first = fmax(0.02 * span / r->scale, r->s->step_min);
    *birth = eta_c;
    *h = *first;
    r->st->steps++;
    return 0;
}

/* The continuation proper. Returns 0 (status in st), 1 on failure. */
static int follow(run *r, point *a, point *b)
{
    const dln_contin_settings *s = r->s;
    size_t n = r->w->n;
    double h = s->step0, birth = a->eta, first = s->step0;
    while (r->st->steps < s->max_steps) {
        if (!inside(r, a->eta)) {
            r->st->status = DLN_CONTIN_DONE;
            return 0;
        }
        /* Steps grow with the distance from the branch's birth. */
        double room = s->growth * fmax(fabs(a->eta - birth) / r->scale,
                                       first);
        if (fabs(h * a->te) > room)
            h = room / fabs(a->te);
        dln_orbitsolve_result res;
        int ok = corrected(r, a, h, b->x, &b->eta, &res);
        if (ok && r->period > 1 &&
            dln_orbitsolve_subperiod_gap(r->w->os, r->m, b->eta, r->period,
                                         b->x) < CONTIN_SUBPERIOD_GAP)
            ok = 0;
        /* The corrector must stay near the predictor (else it may have
         * jumped to another cycle of G^p). */
        if (ok) {
            double moved = 0.0;
            for (size_t j = 0; j < n; j++) {
                double d = b->x[j] - (a->x[j] + h * a->tx[j]);
                moved += d * d;
            }
            double de = (b->eta - (a->eta + h * r->scale * a->te)) / r->scale;
            ok = sqrt(moved + de * de) <= 0.5 * h;
        }
        if (ok) {
            memcpy(b->tx, a->tx, sizeof(double) * n);
            b->te = a->te;
            ok = dln_orbitsolve_tangent(r->w->os, r->m, r->svs, r->period,
                                        b->x, b->eta, b->tx, &b->te,
                                        &r->os) == 0;
        }
        if (!ok)
            goto halve;
        if (classify(r, b))
            return 1;
        if (fabs(b->lowest - a->lowest) > 0.5 && h > s->step_min) {
            r->st->rejected++;   /* too far for one step: two events? */
            h *= 0.5;
            continue;
        }
        dln_located pt;
        memset(&pt, 0, sizeof pt);
        pt.period = pt.period_after = pt.subperiod = r->period;
        double eta_c;
        if (a->te * b->te < 0.0) {                       /* fold */
            pt.kind = DLN_LOCATED_FOLD;
            if (locate(r, a, h, r->period, 1.0, &eta_c, &pt))
                goto halve;
            if (emit(r, &pt))
                goto full;
            /* Resume on the stable side, away from the fold. */
            if (a->above == 0) {
                for (size_t j = 0; j < n; j++)
                    a->tx[j] = -a->tx[j];
                a->te = -a->te;
            } else
                swap_points(a, b);
            first = fmax(0.05 * fabs(eta_c - birth) / r->scale, s->step_min);
            birth = eta_c;
            h = first;
            r->st->steps++;
            continue;
        }
        if (a->below != b->below) {                      /* flip */
            pt.kind = DLN_LOCATED_FLIP;
            pt.period_after = 2 * r->period;
            if (locate(r, a, h, r->period, -1.0, &eta_c, &pt))
                goto halve;
            if (emit(r, &pt))
                goto full;
            if (2 * r->period > s->max_period) {
                r->st->status = DLN_CONTIN_MAX_PERIOD;
                return 0;
            }
            if (restart_after(r, a, b, eta_c, r->period, 2 * r->period,
                              &birth, &first, &h))
                return 0;
            continue;
        }
        if (a->above != b->above) {                      /* +1 crossing */
            int q = subperiod_flip(r, a, b);
            if (q > 0) {
                pt.kind = DLN_LOCATED_MODE_FLIP;
                pt.subperiod = q;
                if (locate_subperiod(r, a, h, q, &eta_c, &pt))
                    goto halve;
                if (emit(r, &pt))
                    goto full;
                if (restart_after(r, a, b, eta_c, q, r->period, &birth,
                                  &first, &h))
                    return 0;
                continue;
            }
        }
        swap_points(a, b);
        r->st->steps++;
        h = fmin(res.newton <= 4 ? 1.5 * h : 0.7 * h, s->step_max);
        continue;
    halve:
        r->st->rejected++;
        h *= 0.5;
        if (h < s->step_min) {
            r->st->status = DLN_CONTIN_LOST;
            return 0;
        }
        continue;
    full:
        r->st->status = DLN_CONTIN_FULL;
        return 0;
    }
    r->st->status = DLN_CONTIN_MAX_STEPS;
    return 0;
}

int dln_contin_run(dln_contin *w, dln_model *m, const double *x0, double eta0,
                   int period, const dln_contin_settings *s,
                   dln_located *out, int maxout, int *nout,
                   dln_contin_stats *st)
{
    int rc = 2;
    memset(st, 0, sizeof *st);
    *nout = 0;
    if (!s || period < 1 || !(eta0 > 0.0) || maxout < 0 ||
        dln_model_nparams(m) != w->n || s->max_period < 1 ||
        !(s->step0 > 0.0) || !(s->step_min > 0.0))
        return 2;
    memcpy(w->caller, dln_model_params(m), sizeof(double) * w->n);
    run r = {w, m, s, NULL, s->solve, s->floquet, eta0, period, st, out,
             maxout, nout};
    r.os.eta_scale = eta0;
    point a = {w->x, w->tx, 0, 0, 0, 0, NAN}, b = {w->xn, w->txn, 0, 0, 0, 0, NAN};
    rc = start(&r, &a, x0 ? x0 : w->caller, eta0);
    if (rc == 2) {
        st->status = DLN_CONTIN_NO_START;
        rc = 0;
    } else if (rc == 0)
        rc = follow(&r, &a, &b);
    st->final_period = r.period;
    st->final_eta = a.eta;
    dln_model_set_params(m, w->caller);
    return rc;
}

int dln_contin_line(const dln_params *p, int period, int direction,
                    double eta_lo, double eta_hi, int max_period,
                    dln_result *r)
{
    dln_model *m = NULL;
    dln_contin *w = NULL;
    dln_contin_settings s;
    dln_contin_stats st;
    int rc = dln_model_create(p, &m), n = 0;
    if (rc) {
        snprintf(r->error, sizeof r->error, "continuation: cannot build the "
                 "model (code %d)", rc);
        return rc;
    }
    rc = 1;
    r->located = malloc(sizeof *r->located * DLN_CONTIN_MAX_LOCATED);
    if (!r->located || dln_contin_create(m, &w))
        goto cleanup;
    for (long t = 0; t < p->steps; t++)
        if (!isfinite(dln_model_step(m, NULL)))
            break;
    dln_contin_defaults(&s);
    s.eta_lo = eta_lo;
    s.eta_hi = eta_hi;
    s.direction = direction < 0 ? -1 : 1;
    s.max_period = max_period;
    rc = dln_contin_run(w, m, NULL, p->eta, period, &s, r->located,
                        DLN_CONTIN_MAX_LOCATED, &n, &st);
    if (rc) {
        snprintf(r->error, sizeof r->error, "continuation failed (code %d)",
                 rc);
        goto cleanup;
    }
    r->n_located = n;
    r->regime = period == 1 ? DLN_REGIME_CONVERGED : DLN_REGIME_PERIODIC;
    r->period = period;
    r->steps_done = p->steps;
    r->contin_status = st.status;
    r->contin_steps = st.steps;
cleanup:
    dln_contin_destroy(&w);
    dln_model_destroy(&m);
    return rc;
}
