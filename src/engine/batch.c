/* batch.c — lock-step GD of same-shape networks on the lane kernels.
 *
 * The lanes are stored structure-of-arrays: entry e of lane j's parameters
 * at x[e * stride + j] (its target likewise), so that a tile of
 * DLN_LANES_TILE neighbouring lanes is one vector per entry.  Lanes
 * 0..nlanes-1 are the tasks not yet compacted away; the lanes past them up
 * to the tile edge are padding.  A lane that is not live (padding, or its
 * task finished) holds zeros and eta 0, so it stays at zero, costs no
 * special arithmetic and never stops a tile; its task's last state is kept
 * in saved[] from the moment it finished. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "dlnsweep/batch.h"
#include "dlnsweep/lanes.h"
#include "lanes_internal.h"

struct dln_batch {
    dln_lanes_shape shape;
    const dln_lanes_isa *isa;
    size_t n, nt;              /* parameters and target entries per lane */
    int ntasks, nlanes, nactive;
    size_t stride;             /* lanes allocated, a multiple of the tile */
    double *x, *target;        /* n x stride, nt x stride                */
    double *eta, *bound, *loss;        /* per lane                       */
    unsigned char *live;               /* per lane: its task is active   */
    int *task_of;                      /* per lane                       */
    int *lane_of;                      /* per task; -1 once compacted    */
    dln_lane_status *status;           /* per task                       */
    long *t;                           /* per task: current state index  */
    double *task_loss;                 /* per task: f(x_t)               */
    double *saved;                     /* n per task: a finished state   */
    double *ws;                        /* one tile's workspace           */
    double *one;                       /* one lane's prefix, resid, x    */
};

/* Lanes to allocate for n tasks: whole tiles, an odd number of them, so
 * that the entries of one lane (stride apart) spread over the cache sets. */
static size_t stride_for(int n)
{
    size_t tiles = ((size_t)n + DLN_LANES_TILE - 1) / DLN_LANES_TILE;
    return (tiles | 1) * DLN_LANES_TILE;
}

/* Zeroed doubles on a 64-byte boundary (tiles are whole cache lines: a
 * vector load that straddles two lines cannot take a store's value
 * forwarded, and the step stalls on every one); NULL on failure. */
static double *lane_array(size_t cnt)
{
    size_t bytes = (sizeof(double) * cnt + 63) / 64 * 64;
    double *a = aligned_alloc(64, bytes ? bytes : 64);
    if (a)
        memset(a, 0, bytes);
    return a;
}

static int same_shape(const dln_params *a, const dln_params *b)
{
    return a->depth == b->depth && a->width == b->width &&
           dln_params_d_in(a) == dln_params_d_in(b) &&
           dln_params_d_out(a) == dln_params_d_out(b) && a->rank == b->rank;
}

/* Lane j's parameters: out[e] = x[e * stride + j]. */
static void gather(const dln_batch *b, int j, double *out)
{
    for (size_t e = 0; e < b->n; e++)
        out[e] = b->x[e * b->stride + (size_t)j];
}

/* Lane j becomes dead: zero parameters and target, eta 0, not live. */
static void clear_lane(dln_batch *b, int j)
{
    for (size_t e = 0; e < b->n; e++)
        b->x[e * b->stride + (size_t)j] = 0.0;
    for (size_t e = 0; e < b->nt; e++)
        b->target[e * b->stride + (size_t)j] = 0.0;
    b->eta[j] = 0.0;
    b->loss[j] = 0.0;
    b->live[j] = 0;
}

/* Task i (on lane j) stops with status st: its state goes to saved[]. */
static void retire(dln_batch *b, int i, int j, dln_lane_status st)
{
    gather(b, j, b->saved + (size_t)i * b->n);
    b->status[i] = st;
    b->nactive--;
    clear_lane(b, j);
}

/* Lane j from model m (its current parameters and target) of task p. */
static void fill_lane(dln_batch *b, int j, const dln_params *p,
                      const dln_model *m)
{
    const double *x = dln_model_params(m), *tg = dln_model_target(m);
    for (size_t e = 0; e < b->n; e++)
        b->x[e * b->stride + (size_t)j] = x[e];
    for (size_t e = 0; e < b->nt; e++)
        b->target[e * b->stride + (size_t)j] = tg[e];
    b->eta[j] = p->eta;
    b->bound[j] = p->diverge_bound;
    b->live[j] = 1;
}

/* The batch of the n tasks p[0..n-1], lane i from m[i] when m is given,
 * else from a model made from p[i] (dln_batch_create's init). */
static int create(const dln_params *p, dln_model *const *m, int n,
                  dln_batch **out)
{
    char err[160];
    int rc = 2;
    dln_batch *b = NULL;
    dln_model *own = NULL;
    *out = NULL;
    if (n < 1)
        goto cleanup;
    for (int i = 0; i < n; i++)
        if (dln_params_validate(&p[i], err, sizeof err) ||
            !same_shape(&p[0], &p[i]) || !dln_lanes_fits(&p[i]) ||
            (m && dln_model_nparams(m[i]) !=
                      dln_lanes_nparams(dln_lanes_shape_of(&p[i]))))
            goto cleanup;
    rc = 1;
    b = calloc(1, sizeof *b);
    if (!b)
        goto cleanup;
    b->shape = dln_lanes_shape_of(&p[0]);
    b->isa = dln_lanes_isa_current();
    b->n = dln_lanes_nparams(b->shape);
    b->nt = dln_lanes_ntarget(b->shape);
    b->ntasks = b->nlanes = b->nactive = n;
    b->stride = stride_for(n);
    size_t s = b->stride;
    b->x = lane_array(b->n * s);
    b->target = lane_array(b->nt * s);
    b->eta = lane_array(s);
    b->bound = lane_array(s);
    b->loss = lane_array(s);
    b->live = calloc(s, 1);
    b->task_of = calloc(s, sizeof(int));
    b->lane_of = malloc(sizeof(int) * (size_t)n);
    b->status = calloc((size_t)n, sizeof(dln_lane_status));
    b->t = calloc((size_t)n, sizeof(long));
    b->task_loss = calloc((size_t)n, sizeof(double));
    b->saved = malloc(sizeof(double) * b->n * (size_t)n);
    b->ws = lane_array(dln_lanes_tile_ws(b->shape));
    b->one = malloc(sizeof(double) *
                    (dln_lanes_nprefix(b->shape) + b->nt + b->n));
    if (!b->x || !b->target || !b->eta || !b->bound || !b->loss ||
        !b->live || !b->task_of || !b->lane_of || !b->status || !b->t ||
        !b->task_loss || !b->saved || !b->ws || !b->one)
        goto cleanup;
    for (int i = 0; i < n; i++) {
        if (!m && (rc = dln_model_create(&p[i], &own)) != 0)
            goto cleanup;
        fill_lane(b, i, &p[i], m ? m[i] : own);
        dln_model_destroy(&own);
        b->task_of[i] = b->lane_of[i] = i;
    }
    dln_batch_step(b, 0);   /* f(x_0), and tasks diverged from the start */
    *out = b;
    b = NULL;
    rc = 0;
cleanup:
    dln_batch_destroy(&b);
    return rc;
}

int dln_batch_create(const dln_params *p, int n, dln_batch **out)
{
    return create(p, NULL, n, out);
}

int dln_batch_create_models(const dln_params *p, dln_model *const *m, int n,
                            dln_batch **out)
{
    return create(p, m, n, out);
}

void dln_batch_destroy(dln_batch **pb)
{
    if (!pb || !*pb)
        return;
    dln_batch *b = *pb;
    free(b->x);
    free(b->target);
    free(b->eta);
    free(b->bound);
    free(b->loss);
    free(b->live);
    free(b->task_of);
    free(b->lane_of);
    free(b->status);
    free(b->t);
    free(b->task_loss);
    free(b->saved);
    free(b->ws);
    free(b->one);
    free(b);
    *pb = NULL;
}

int dln_batch_ntasks(const dln_batch *b) { return b->ntasks; }
int dln_batch_nlanes(const dln_batch *b) { return b->nlanes; }
int dln_batch_nactive(const dln_batch *b) { return b->nactive; }
size_t dln_batch_nparams(const dln_batch *b) { return b->n; }

/* The loss that stops a task (as the kernels' test). */
static int bad_loss(double loss, double bound)
{
    return !(fabs(loss) <= DBL_MAX && loss <= bound);
}

/* k steps of the tile at lane j0, restarted after every stop at a
 * diverging lane (which retires there). */
static void step_tile(dln_batch *b, int j0, long k)
{
    dln_lanes_tile tile = {b->x + j0, b->target + j0, b->stride, b->eta + j0,
                           b->bound + j0, b->live + j0, b->loss + j0, b->ws};
    for (;;) {
        long done = b->isa->tile_steps(b->shape, &tile, k);
        for (int j = j0; j < j0 + DLN_LANES_TILE; j++) {
            if (!b->live[j])
                continue;
            int i = b->task_of[j];
            b->t[i] += done;
            b->task_loss[i] = b->loss[j];
            if (bad_loss(b->loss[j], b->bound[j]))
                retire(b, i, j, DLN_LANE_DIVERGED);
        }
        k -= done;
        if (k == 0)
            return;
    }
}

int dln_batch_step(dln_batch *b, long k)
{
    if (k < 0)
        return 2;
    for (int j0 = 0; j0 < b->nlanes; j0 += DLN_LANES_TILE) {
        int any = 0;
        for (int j = j0; j < j0 + DLN_LANES_TILE; j++)
            any |= b->live[j];
        if (any)
            step_tile(b, j0, k);
    }
    return 0;
}

static int in_range(const dln_batch *b, int i)
{
    return i >= 0 && i < b->ntasks;
}

dln_lane_status dln_batch_status(const dln_batch *b, int i)
{
    return in_range(b, i) ? b->status[i] : DLN_LANE_DONE;
}

long dln_batch_t(const dln_batch *b, int i)
{
    return in_range(b, i) ? b->t[i] : -1;
}

double dln_batch_loss(const dln_batch *b, int i)
{
    return in_range(b, i) ? b->task_loss[i] : NAN;
}

int dln_batch_params(const dln_batch *b, int i, double *x)
{
    if (!in_range(b, i))
        return 2;
    if (b->status[i] == DLN_LANE_ACTIVE)
        gather(b, b->lane_of[i], x);
    else
        memcpy(x, b->saved + (size_t)i * b->n, sizeof(double) * b->n);
    return 0;
}

int dln_batch_product(const dln_batch *b, int i, double *prod)
{
    if (!in_range(b, i))
        return 2;
    size_t np = dln_lanes_nprefix(b->shape);
    double *prefix = b->one, *resid = prefix + np, *x = resid + b->nt;
    double loss;
    dln_batch_params(b, i, x);
    /* The product does not depend on the target: a zero one will do. */
    memset(resid, 0, sizeof(double) * b->nt);
    b->isa->forward_one(b->shape, x, resid, prefix, resid, &loss);
    memcpy(prod, prefix + (np - b->nt), sizeof(double) * b->nt);
    return 0;
}

int dln_batch_load(const dln_batch *b, int i, dln_model *m)
{
    if (!in_range(b, i) || dln_model_nparams(m) != b->n)
        return 2;
    double *x = b->one + dln_lanes_nprefix(b->shape) + b->nt;
    dln_batch_params(b, i, x);
    return dln_model_set_params(m, x);
}

int dln_batch_finish(dln_batch *b, int i)
{
    if (!in_range(b, i))
        return 2;
    if (b->status[i] == DLN_LANE_ACTIVE)
        retire(b, i, b->lane_of[i], DLN_LANE_DONE);
    return 0;
}

void dln_batch_compact(dln_batch *b)
{
    int to = 0;
    for (int j = 0; j < b->nlanes; j++) {
        int i = b->task_of[j];
        if (!b->live[j]) {
            b->lane_of[i] = -1;
            continue;
        }
        if (to != j) {
            for (size_t e = 0; e < b->n; e++)
                b->x[e * b->stride + (size_t)to] =
                    b->x[e * b->stride + (size_t)j];
            for (size_t e = 0; e < b->nt; e++)
                b->target[e * b->stride + (size_t)to] =
                    b->target[e * b->stride + (size_t)j];
            b->eta[to] = b->eta[j];
            b->bound[to] = b->bound[j];
            b->loss[to] = b->loss[j];
            b->live[to] = 1;
            b->task_of[to] = i;
            b->lane_of[i] = to;
            clear_lane(b, j);
        }
        to++;
    }
    b->nlanes = to;
}
