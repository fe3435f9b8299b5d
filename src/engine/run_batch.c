/* run_batch.c — dln_run of many small cells at once: their GD steps in
 * lock step on the lane kernels (batch.h), everything else on each cell's
 * own serial workspace (run.c's dln_run_cell), with the same functions
 * dln_run uses.
 *
 * Why a cell's result does not depend on its batch: its lane follows
 * bitwise the trajectory of its dln_model (batch.h), and every state the
 * run observes (trajectory points, fingerprints, the transient window, the
 * late orbit: dln_track_next_state) is loaded from the lane into the
 * cell's model and handed to dln_track_state, the very code dln_run's
 * loop runs on that state; the states in between need only the step and
 * the divergence test, which the lane kernels do with dln_run's test.  A
 * cell that diverges leaves the batch there (dln_track_diverged on the
 * lane's loss); at x_steps each cell takes its final diagnostics and
 * end-of-run dynamics alone (dln_run_cell_finish). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "dlnsweep/batch.h"
#include "dlnsweep/clock.h"
#include "dlnsweep/lanes.h"
#include "dlnsweep/run.h"
#include "run_internal.h"

int dln_run_batchable(const dln_params *p)
{
    char err[160];
    /* An infinite bound would let a lane stop at an infinite loss that
     * dln_run steps on from. */
    return dln_params_validate(p, err, sizeof err) == 0 &&
           dln_lanes_fits(p) && isfinite(p->diverge_bound);
}

int dln_run_same_batch(const dln_params *a, const dln_params *b)
{
    return a->depth == b->depth && a->width == b->width &&
           dln_params_d_in(a) == dln_params_d_in(b) &&
           dln_params_d_out(a) == dln_params_d_out(b) &&
           a->rank == b->rank && a->steps == b->steps &&
           a->record_every == b->record_every &&
           a->record_from == b->record_from && a->tail == b->tail &&
           a->max_period == b->max_period &&
           a->transient_window == b->transient_window;
}

/* The cells of one batch: the run's workspace of each task that has one. */
typedef struct lanes {
    int n;                    /* lanes (tasks with a workspace)           */
    int *task;                /* lane -> task                             */
    dln_run_cell **cell;      /* per lane                                 */
    dln_params *p;            /* per lane (the batch's copy)              */
    dln_model **m;            /* per lane: the cell's model               */
    unsigned char *out;       /* per lane: left the batch (result made)   */
} lanes;

static void lanes_free(lanes *l)
{
    for (int j = 0; l->cell && j < l->n; j++)
        dln_run_cell_destroy(&l->cell[j]);
    free(l->task);
    free(l->cell);
    free(l->p);
    free(l->m);
    free(l->out);
    memset(l, 0, sizeof *l);
}

/* A workspace and result arrays per task; a task that cannot have them
 * gets its error result (rc[i]) and no lane.  Returns 0 or 1. */
static int lanes_make(lanes *l, const dln_params *p, const double *const *x0,
                      int n, dln_result *r, int *rc)
{
    memset(l, 0, sizeof *l);
    l->task = malloc(sizeof(int) * (size_t)n);
    l->cell = calloc((size_t)n, sizeof *l->cell);
    l->p = malloc(sizeof *l->p * (size_t)n);
    l->m = malloc(sizeof *l->m * (size_t)n);
    l->out = calloc((size_t)n, 1);
    if (!l->task || !l->cell || !l->p || !l->m || !l->out)
        return 1;
    for (int i = 0; i < n; i++) {
        int j = l->n;
        rc[i] = dln_run_cell_create(&p[i], x0 ? x0[i] : NULL, &l->cell[j]);
        if (rc[i] == 0)
            rc[i] = dln_track_result_arrays(&p[i], &r[i]);
        if (rc[i]) {
            dln_run_cell_destroy(&l->cell[j]);
            dln_run_cell_failed(rc[i], &r[i]);
            continue;
        }
        l->task[j] = i;
        l->p[j] = p[i];
        l->m[j] = dln_run_cell_model(l->cell[j]);
        dln_track_begin(dln_run_cell_track(l->cell[j]), &r[i]);
        l->n++;
    }
    return 0;
}

/* Lanes that diverged in the last steps leave with their divergent
 * result (the lane's loss at its diverge step).  Returns how many left. */
static int take_diverged(lanes *l, const dln_batch *b, dln_result *r)
{
    int left = 0;
    for (int j = 0; j < l->n; j++) {
        if (l->out[j] || dln_batch_status(b, j) != DLN_LANE_DIVERGED)
            continue;
        dln_track_diverged(dln_run_cell_track(l->cell[j]), dln_batch_t(b, j),
                           dln_batch_loss(b, j), &r[l->task[j]]);
        l->out[j] = 1;
        left++;
    }
    return left;
}

/* Observed states per pass over the cells.  The batch steps through a
 * chunk of the schedule keeping every lane's observed states (at most
 * CHUNK_BYTES of them), then each cell takes its states of the chunk in a
 * row: its workspace (model, track, orbit ring) stays in cache for the
 * chunk instead of being fetched again for every state, which cost a
 * cell more than its GD (a cell's states and what it does with them, in
 * their order, are those of one pass per state). */
#define CHUNK_MAX 64
#define CHUNK_BYTES ((size_t)1 << 20)

typedef struct chunk {
    int cap, k;               /* states it holds at most, and now         */
    size_t n;                 /* parameters per task                      */
    long t[CHUNK_MAX];        /* state index of each                      */
    double *x;                /* lane j's state s at x[(j * cap + s) * n] */
} chunk;

static int chunk_make(chunk *c, int lanes, size_t n)
{
    size_t per = sizeof(double) * n * (size_t)lanes;
    size_t cap = per ? CHUNK_BYTES / per : CHUNK_MAX;
    c->cap = cap < 1 ? 1 : cap > CHUNK_MAX ? CHUNK_MAX : (int)cap;
    c->k = 0;
    c->n = n;
    c->x = malloc(sizeof(double) * n * (size_t)lanes * (size_t)c->cap + 1);
    return c->x == NULL;
}

/* Keep state t of every lane still stepping as the chunk's next state. */
static void keep(const lanes *l, const dln_batch *b, chunk *c, long t)
{
    for (int j = 0; j < l->n; j++)
        if (!l->out[j] && dln_batch_status(b, j) == DLN_LANE_ACTIVE)
            dln_batch_params(b, j, c->x + ((size_t)j * c->cap + c->k) * c->n);
    c->t[c->k++] = t;
}

/* Each cell still in the batch takes the chunk's states in order: up to
 * its divergence (dln_track_diverged on the lane's loss, as take_diverged)
 * or else each loaded into its model and observed (dln_track_state).
 * Returns how many left the batch. */
static int observe(lanes *l, dln_batch *b, const chunk *c, dln_result *r)
{
    int left = 0;
    for (int j = 0; j < l->n; j++) {
        if (l->out[j])
            continue;
        dln_run_cell *cell = l->cell[j];
        dln_run_track *k = dln_run_cell_track(cell);
        dln_result *rj = &r[l->task[j]];
        int div = dln_batch_status(b, j) == DLN_LANE_DIVERGED;
        long td = div ? dln_batch_t(b, j) : 0;
        for (int s = 0; s < c->k; s++) {
            if (div && td <= c->t[s]) {
                dln_track_diverged(k, td, dln_batch_loss(b, j), rj);
                l->out[j] = 1;
                left++;
                break;
            }
            dln_model_set_params(l->m[j],
                                 c->x + ((size_t)j * c->cap + s) * c->n);
            if (!dln_track_state(k, dln_run_cell_ops(cell), c->t[s], rj)) {
                l->out[j] = 1;   /* cannot happen: the lane's loss passed */
                dln_batch_finish(b, j);
                left++;
                break;
            }
        }
    }
    return left;
}

/* GD of every lane from x_0 to x_steps (or its divergence), each state
 * observed where dln_run observes it. */
static void train(lanes *l, dln_batch *b, chunk *c, dln_result *r)
{
    const dln_run_track *k0 = dln_run_cell_track(l->cell[0]);
    long steps = l->p[0].steps, t = 0, from = 0;
    int gone = take_diverged(l, b, r);   /* at x_0 */
    for (;;) {
        c->k = 0;
        do {
            /* Every lane shares the schedule (dln_run_same_batch). */
            long next = dln_track_next_state(k0, from);
            dln_batch_step(b, next - t);
            t = next;
            keep(l, b, c, t);
            from = t + 1;
        } while (c->k < c->cap && t < steps && dln_batch_nactive(b) > 0);
        gone += observe(l, b, c, r);
        if (dln_batch_nactive(b) == 0 || t == steps)
            return;
        /* Finished lanes still cost their tiles' time until dropped. */
        if (4 * gone >= dln_batch_nlanes(b)) {
            dln_batch_compact(b);
            gone = 0;
        }
    }
}

int dln_run_batch(const dln_params *p, const double *const *x0, int n,
                  dln_result *r, int *rc)
{
    double t0 = dln_clock_now();
    lanes l;
    chunk c = {0};
    dln_batch *b = NULL;
    int fail = 0;
    if (n < 1)
        return 2;
    for (int i = 0; i < n; i++)
        if (!dln_run_batchable(&p[i]) || !dln_run_same_batch(&p[0], &p[i]) ||
            (p[i].init == DLN_INIT_FILE && !(x0 && x0[i])))
            return 2;
    if (lanes_make(&l, p, x0, n, r, rc) ||
        (l.n > 0 && (dln_batch_create_models(l.p, l.m, l.n, &b) ||
                     chunk_make(&c, l.n, dln_batch_nparams(b)))))
        fail = 1;
    if (!fail && l.n > 0) {
        train(&l, b, &c, r);
        for (int j = 0; j < l.n; j++) {
            int i = l.task[j];
            if (l.out[j])
                continue;
            /* The cell's model holds x_steps since its last observation. */
            dln_track_reached(dln_run_cell_track(l.cell[j]), &r[i]);
            if ((rc[i] = dln_run_cell_finish(l.cell[j], &r[i])) != 0)
                dln_run_cell_failed(rc[i], &r[i]);
        }
    }
    for (int i = 0; fail && i < n; i++) {   /* out of memory: every task */
        rc[i] = 1;
        dln_run_cell_failed(1, &r[i]);
    }
    free(c.x);
    dln_batch_destroy(&b);
    lanes_free(&l);
    double share = (dln_clock_now() - t0) / n;
    for (int i = 0; i < n; i++) {
        dln_result_derive(&r[i], &p[i]);
        r[i].wall_s = share;
    }
    return 0;
}
