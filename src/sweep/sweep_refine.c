/* sweep_refine.c — the coordinator's refinement rounds: for every line of
 * the grid (cells equal but for the refine axis, one seed), bisect between
 * neighbours whose labels differ, until the lattice spacing (<= tol) or
 * max_points. Everything is rebuilt from the database at each round, so a
 * resumed sweep continues where it stopped. */
#include <stdio.h>
#include <stdlib.h>
#include "dlnsweep/jobspec.h"
#include "dlnsweep/refine.h"
#include "dlnsweep/store.h"
#include "sweep_refine.h"

/* Growable array of longs. */
typedef struct longs {
    long *v;
    long n, cap;
} longs;

static int longs_push(longs *a, long x)
{
    if (a->n == a->cap) {
        long cap = a->cap ? 2 * a->cap : 64;
        long *v = realloc(a->v, (size_t)cap * sizeof *v);
        if (!v)
            return 1;
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = x;
    return 0;
}

/* Label of lattice point i of the line starting at grid task `first`:
 * 1 found (in pt), 0 not run yet, 2 run but failed (regime error: no
 * label to bisect on, and not run again by the rounds, which would fail
 * the same way forever; `forget` it to retry), <0 error.  A point found
 * belongs to sweep sweep_id (> 0; table sweep_tasks), whoever ran it:
 * after --force, the points the new spec's bisection reaches are claimed
 * back this way. */
static int lookup(const dln_jobspec *j, dln_store *db, long sweep_id,
                  long first, long i, dln_refine_point *pt)
{
    dln_task t;
    dln_claim got;
    long code = dln_jobspec_refine_code(j, first, i);
    if (code == 0 || dln_jobspec_task(j, code, &t))
        return -1;
    pt->index = i;
    if (sweep_id > 0 && dln_store_claim(db, sweep_id, &t, 0, 0, &got))
        return -1;
    int found = dln_store_label(db, t.cell_hash, t.seed_index, &pt->regime,
                                &pt->period);
    if (found == 1 && pt->regime == DLN_REGIME_ERROR)
        return 2;
    return found;
}

/* One line: its evaluated points from the DB, bisected until every
 * proposal is a task not yet run (appended to todo) or one that failed
 * (that pair is not refined further). 0, or 1 on a database or allocation
 * failure. */
static int refine_line(const dln_jobspec *j, dln_store *db, long sweep_id,
                       long first, long lattice, long g, longs *todo)
{
    int maxp = dln_jobspec_refine_max_points(j), n = 0, rc = 1;
    dln_refine_point *pts = malloc(sizeof *pts * (size_t)maxp);
    long *mid = malloc(sizeof *mid * (size_t)maxp);
    if (!pts || !mid)
        goto cleanup;
    rc = 0;
    for (long k = 0; k < g && n < maxp; k++) {
        int f = lookup(j, db, sweep_id, first, k * (lattice / (g - 1)),
                       &pts[n]);
        if (f < 0) {
            rc = 1;
            goto cleanup;
        }
        if (f != 1)
            goto cleanup;   /* the grid line is not complete (or failed) */
        n++;
    }
    for (;;) {
        int found_any = 0, m = dln_refine_propose(pts, n, mid, maxp - n);
        long queued_before = todo->n;
        for (int q = 0; q < m; q++) {
            dln_refine_point pt;
            int f = lookup(j, db, sweep_id, first, mid[q], &pt);
            if (f < 0 || (f == 0 && longs_push(todo, dln_jobspec_refine_code(
                                                     j, first, mid[q])))) {
                rc = 1;
                goto cleanup;
            }
            if (f == 1) {
                pts[n++] = pt;
                found_any = 1;
            }
        }
        if (!found_any)
            break;              /* every proposal is still to run: queued */
        todo->n = queued_before;   /* new labels: propose again from all */
    }
cleanup:
    free(pts);
    free(mid);
    return rc;
}

/* One bisection round's state for dln_sweep_each_line. */
typedef struct bisect_ctx {
    const dln_jobspec *j;
    dln_store *db;
    long sweep_id, lattice, g;
    longs *todo;
} bisect_ctx;

static int bisect_line(void *arg, long first)
{
    bisect_ctx *c = arg;
    return refine_line(c->j, c->db, c->sweep_id, first, c->lattice, c->g,
                       c->todo);
}

int dln_sweep_refine_round(const dln_jobspec *j, dln_store *db,
                           long sweep_id, int shard_index, int shard_count,
                           long **codes, long *ncodes)
{
    longs todo = {0};
    double lo, hi;
    long g, lattice = dln_jobspec_refine_lattice(j);
    if (dln_jobspec_refine_method(j) == DLN_REFINE_CONTINUATION)
        return dln_sweep_contin_round(j, db, shard_index, shard_count, codes,
                                      ncodes);
    *codes = NULL;
    *ncodes = 0;
    if (lattice <= 0 || dln_jobspec_refine_grid(j, &lo, &hi, &g))
        return 0;
    bisect_ctx ctx = {j, db, sweep_id, lattice, g, &todo};
    if (dln_sweep_each_line(j, shard_index, shard_count, bisect_line,
                            &ctx)) {
        free(todo.v);
        return 1;
    }
    *codes = todo.v;
    *ncodes = todo.n;
    return 0;
}

int dln_sweep_each_line(const dln_jobspec *j, int shard_index,
                        int shard_count, int (*fn)(void *ctx, long first),
                        void *ctx)
{
    long ntasks = dln_jobspec_ntasks(j);
    int shards = shard_count > 1 ? shard_count : 1;
    for (long t = 0; t < ntasks; t++) {
        long first, k;
        if (t % shards != (shards > 1 ? shard_index : 0))
            continue;
        if (dln_jobspec_refine_line(j, t, &first, &k) || k != 0)
            continue;   /* one visit per line: at its first grid point */
        if (fn(ctx, first))
            return 1;
    }
    return 0;
}

int dln_sweep_refine_queue(const dln_jobspec *j, dln_store *db,
                           int shard_index, int shard_count, long sweep_id,
                           dln_queue *q, long *added, long *in_db)
{
    long *codes = NULL, n = 0, id;
    dln_store_counts counts;
    char msg[512];
    int rc = 1;
    *added = *in_db = 0;
    /* one transaction for the memberships the round records */
    if (dln_store_begin(db) ||
        dln_sweep_refine_round(j, db, sweep_id, shard_index, shard_count,
                               &codes, &n) ||
        dln_store_commit(db)) {
        fprintf(stderr, "dlnsweep run: refinement: %s\n",
                dln_store_errmsg(db));
        dln_store_commit(db);
        goto cleanup;
    }
    if (dln_queue_add_codes(q, j, codes, n))
        goto cleanup;
    *added = n;
    /* The sweep's size grows by each round: what is done plus what is
     * queued, in the progress line and in sweeps.ntasks for `status`. */
    if (dln_store_counts_get(db, sweep_id, &counts) != 0)
        goto cleanup;
    *in_db = counts.done;
    if (dln_store_register_sweep(db, dln_jobspec_name(j),
                                 dln_jobspec_canonical(j), dln_jobspec_hash(j),
                                 counts.done + n, 0, &id, msg,
                                 sizeof msg) != 0) {
        fprintf(stderr, "dlnsweep run: %s\n", msg);
        goto cleanup;
    }
    rc = 0;
cleanup:
    free(codes);
    return rc;
}
