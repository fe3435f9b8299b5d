/* sweep_progress.c — the sweep's refined cost model (measured wall time
 * against predicted cost and step count) and its progress line. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "dlnsweep/strbuf.h"
#include "sweep_progress.h"

/* Feature scales keep the 2x2 normal equations well conditioned. */
#define COST_UNIT 1e6
#define STEP_UNIT 1e3

double dln_task_steps(const dln_params *p)
{
    return (double)p->steps + (double)dln_params_lyapunov_steps(p) + 1.0;
}

/* Least squares wall = a*x1 + b*x2 without intercept, a, b >= 0: the full
 * fit when it is non-negative and well posed, else the better one-feature
 * fit. */
static void refit(dln_costfit *f)
{
    double det = f->s11 * f->s22 - f->s12 * f->s12;
    double a = 0, b = 0;
    if (det > 1e-9 * f->s11 * f->s22) {
        a = (f->s1y * f->s22 - f->s2y * f->s12) / det;
        b = (f->s2y * f->s11 - f->s1y * f->s12) / det;
    }
    if (!(a >= 0 && b >= 0 && (a > 0 || b > 0))) {
        /* residual sum of squares of each one-feature fit */
        double a1 = f->s11 > 0 ? f->s1y / f->s11 : 0;
        double b1 = f->s22 > 0 ? f->s2y / f->s22 : 0;
        double r1 = f->sy - a1 * f->s1y, r2 = f->sy - b1 * f->s2y;
        if (f->s11 > 0 && (r1 <= r2 || f->s22 <= 0))
            a = a1, b = 0;
        else
            a = 0, b = b1;
    }
    f->a = a;
    f->b = b;
}

void dln_costfit_add(dln_costfit *f, double cost, double steps, double wall)
{
    double x1 = cost / COST_UNIT, x2 = steps / STEP_UNIT;
    if (!isfinite(x1) || !isfinite(x2) || !isfinite(wall) || wall < 0)
        return;
    f->n += 1;
    f->s11 += x1 * x1;
    f->s12 += x1 * x2;
    f->s22 += x2 * x2;
    f->s1y += x1 * wall;
    f->s2y += x2 * wall;
    f->sy += wall * wall;
    refit(f);
}

double dln_costfit_predict(const dln_costfit *f, double cost, double steps)
{
    return f->a * (cost / COST_UNIT) + f->b * (steps / STEP_UNIT);
}

void dln_tally_add(dln_tally *t, int regime, int wide, double cost,
                   double steps, double wall_s, double wait_s)
{
    wide = wide != 0;
    t->done_now++;
    t->busy_s += wall_s;
    t->wait_s += wait_s;
    if (regime >= DLN_REGIME_CONVERGED && regime <= DLN_REGIME_ERROR)
        t->per_regime[regime]++;
    if (regime == DLN_REGIME_ERROR)
        t->errors_now++;
    else
        dln_costfit_add(&t->fit[wide], cost, steps, wall_s);
    t->done_cost[wide] += cost;
    t->done_steps[wide] += steps;
}

long dln_tally_remaining(const dln_tally *t)
{
    return t->total - t->done_before - t->done_now;
}

double dln_tally_eta(const dln_tally *t, double elapsed,
                     const double cost_left[2], const double steps_left[2])
{
    double left = 0, done = 0;
    for (int k = 0; k < 2; k++) {
        left += dln_costfit_predict(&t->fit[k], cost_left[k], steps_left[k]);
        done += dln_costfit_predict(&t->fit[k], t->done_cost[k],
                                    t->done_steps[k]);
    }
    if (done > 0)
        return elapsed * left / done;
    if (t->done_now > 0)
        return elapsed * (double)dln_tally_remaining(t) / (double)t->done_now;
    return NAN;
}

static void format_duration(char *buf, size_t len, double s)
{
    if (!isfinite(s) || s < 0)
        snprintf(buf, len, "?");
    else if (s < 120)
        snprintf(buf, len, "%.0fs", s);
    else if (s < 7200)
        snprintf(buf, len, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
    else
        snprintf(buf, len, "%ldh%02dm", (long)(s / 3600),
                 (int)fmod(s / 60, 60));
}

void dln_progress_format(char *buf, size_t len, const char *name, long done,
                         long total, double rate, double eta_s,
                         const long per_regime[DLN_REGIME_ERROR + 1])
{
    char eta[32];
    dln_strbuf b = DLN_STRBUF_INIT;
    int pct = total > 0 && done < total
                  ? (int)(100.0 * (double)done / (double)total) : 100;
    format_duration(eta, sizeof eta, done >= total ? 0.0 : eta_s);
    dln_strbuf_appendf(&b, "[sweep %s] %ld/%ld (%d%%) %.*f tasks/s ETA %s |",
                       name, done, total, pct, rate < 10 ? 1 : 0, rate, eta);
    for (int g = DLN_REGIME_CONVERGED; g <= DLN_REGIME_ERROR; g++)
        if (per_regime[g] > 0)
            dln_strbuf_appendf(&b, " %s %ld", dln_regime_name((dln_regime)g),
                               per_regime[g]);
    dln_strbuf_copy(&b, buf, len);
    dln_strbuf_free(&b);
}
