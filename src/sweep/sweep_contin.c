/* sweep_contin.c — refine: {method: continuation}: which continuations a
 * line needs once its grid is done (the coordinator's round, rebuilt from
 * the database, so a resumed sweep continues), and running one (a worker).
 *
 * A line (cells equal but for eta, one seed) gets one continuation from its
 * first grid point (the period-doubling cascade, followed up in eta), and
 * one from each grid point that lands in a periodic window on its basic
 * cycle (an odd period > 1 whose left neighbour has another label),
 * followed down to the window's fold, then up through its doublings. Each
 * is a task of its own (a code of dln_jobspec_contin_code), so the lines'
 * continuations run in parallel across ranks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dlnsweep/continuation.h"
#include "dlnsweep/jobspec.h"
#include "dlnsweep/store.h"
#include "sweep_refine.h"

int dln_sweep_is_continuation(const dln_jobspec *j, long index)
{
    return index < 0 &&
           dln_jobspec_refine_method(j) == DLN_REFINE_CONTINUATION;
}

/* Where a continuation starts: 1 if grid point k (label regime/period,
 * previous label prev_*) starts one, with its period. */
static int starts_here(long k, dln_regime regime, int period,
                       dln_regime prev_regime, int prev_period,
                       int max_period)
{
    if (k == 0)
        return (regime == DLN_REGIME_CONVERGED ||
                regime == DLN_REGIME_PERIODIC) && period <= max_period;
    return regime == DLN_REGIME_PERIODIC && period > 1 && period % 2 == 1 &&
           period <= max_period &&
           !(prev_regime == regime && prev_period == period);
}

/* One line's continuation codes not yet in db (appended to *codes). 0, or
 * 1 on a database/allocation failure. */
static int contin_line(const dln_jobspec *j, dln_store *db, long first,
                       long g, long **codes, long *n, long *cap)
{
    dln_regime prev_regime = DLN_REGIME_ERROR, regime;
    int prev_period = 0, period;
    for (long k = 0; k < g; k++) {
        long code = dln_jobspec_contin_code(j, first, k, 1), t, kk;
        int p;
        dln_task task;
        if (code == 0 || dln_jobspec_contin_decode(j, code, &t, &kk, &p) ||
            dln_jobspec_task(j, t, &task))
            return 1;
        int found = dln_store_label(db, task.cell_hash, task.seed_index,
                                    &regime, &period);
        if (found < 0)
            return 1;
        if (found == 0)
            return 0;   /* the grid line is not complete yet */
        if (regime == DLN_REGIME_CONVERGED)
            period = 1;
        if (starts_here(k, regime, period, prev_regime, prev_period,
                        dln_jobspec_refine_max_period(j))) {
            int done = dln_store_has_continuation(db, task.cell_hash,
                                                  task.seed_index);
            if (done < 0)
                return 1;
            if (!done) {
                if (*n == *cap) {
                    long nc = *cap ? 2 * *cap : 16;
                    long *v = realloc(*codes, (size_t)nc * sizeof *v);
                    if (!v)
                        return 1;
                    *codes = v;
                    *cap = nc;
                }
                (*codes)[(*n)++] = dln_jobspec_contin_code(j, first, k,
                                                           period);
            }
        }
        prev_regime = regime;
        prev_period = period;
    }
    return 0;
}

/* One continuation round's state for dln_sweep_each_line. */
typedef struct contin_ctx {
    const dln_jobspec *j;
    dln_store *db;
    long g;
    long **codes, *n, *cap;
} contin_ctx;

static int contin_each(void *arg, long first)
{
    contin_ctx *c = arg;
    return contin_line(c->j, c->db, first, c->g, c->codes, c->n, c->cap);
}

int dln_sweep_contin_round(const dln_jobspec *j, dln_store *db,
                           int shard_index, int shard_count, long **codes,
                           long *ncodes)
{
    double lo, hi;
    long g, cap = 0;
    *codes = NULL;
    *ncodes = 0;
    if (dln_jobspec_refine_grid(j, &lo, &hi, &g))
        return 0;
    contin_ctx ctx = {j, db, g, codes, ncodes, &cap};
    if (dln_sweep_each_line(j, shard_index, shard_count, contin_each, &ctx)) {
        free(*codes);
        *codes = NULL;
        *ncodes = 0;
        return 1;
    }
    return 0;
}

int dln_sweep_contin_info(const dln_jobspec *j, long code,
                          dln_store_contin_info *info)
{
    long t, k, g;
    double lo, hi;
    memset(info, 0, sizeof *info);
    if (dln_jobspec_contin_decode(j, code, &t, &k, &info->period) ||
        dln_jobspec_refine_grid(j, &lo, &hi, &g))
        return 2;
    info->direction = k == 0 ? 1 : -1;
    info->eta_lo = lo;
    info->eta_hi = hi;
    info->max_period = dln_jobspec_refine_max_period(j);
    return 0;
}

int dln_sweep_run_continuation(const dln_jobspec *j, long code,
                               dln_result *r)
{
    dln_store_contin_info info;
    dln_task t;
    if (dln_sweep_contin_info(j, code, &info) ||
        dln_jobspec_task(j, code, &t)) {
        snprintf(r->error, sizeof r->error, "continuation task %ld: cannot "
                 "expand the job file", code);
        return 2;
    }
    return dln_contin_line(&t.params, info.period, info.direction,
                           info.eta_lo, info.eta_hi, info.max_period, r);
}
