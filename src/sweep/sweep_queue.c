/* sweep_queue.c — pending tasks in hand-out order, batch sizes, and each
 * worker's handed-out tasks.  See sweep_queue.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sweep_queue.h"

int dln_queue_push(dln_queue *q, const dln_task *t)
{
    if (q->n == q->cap) {
        long cap = q->cap ? 2 * q->cap : 256;
        dln_pending *v = realloc(q->v, (size_t)cap * sizeof *v);
        if (!v)
            return 1;
        q->v = v;
        q->cap = cap;
    }
    dln_pending *p = &q->v[q->n++];
    p->index = t->index;
    p->cost = t->cost;
    p->steps = dln_task_steps(&t->params);
    memcpy(p->cell_hash, t->cell_hash, sizeof p->cell_hash);
    p->seed_index = t->seed_index;
    p->replace = 0;
    q->cost_left += p->cost;
    q->steps_left += p->steps;
    return 0;
}

/* Longest predicted first; the index breaks ties, so the order is fixed. */
static int by_cost_desc(const void *a, const void *b)
{
    const dln_pending *x = a, *y = b;
    if (x->cost != y->cost)
        return x->cost > y->cost ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

void dln_queue_sort(dln_queue *q)
{
    if (q->n - q->head > 1)   /* never qsort(NULL, 0, ...) */
        qsort(q->v + q->head, (size_t)(q->n - q->head), sizeof *q->v,
              by_cost_desc);
}

long dln_queue_left(const dln_queue *q)
{
    return q->n - q->head;
}

const dln_pending *dln_queue_next(const dln_queue *q)
{
    return q->head < q->n ? &q->v[q->head] : NULL;
}

int dln_queue_take(dln_queue *q, dln_pending *out)
{
    if (q->head >= q->n)
        return 1;
    *out = q->v[q->head++];
    q->cost_left -= out->cost;
    q->steps_left -= out->steps;
    return 0;
}

void dln_queue_clear(dln_queue *q)
{
    free(q->v);
    memset(q, 0, sizeof *q);
}

long dln_queue_batch(const dln_queue *q, const dln_costfit *fit, int workers,
                     long limit)
{
    long avail = dln_queue_left(q), n = 0;
    double target, sum = 0;
    if (avail > limit)
        avail = limit;
    if (fit->n < 1 || avail <= 1)
        return avail < 1 ? 0 : 1;
    target = dln_costfit_predict(fit, q->cost_left, q->steps_left) /
             (workers > 0 ? workers : 1) / 4.0;
    if (target > DLN_BATCH_TARGET_S)
        target = DLN_BATCH_TARGET_S;
    while (n < avail) {
        const dln_pending *p = &q->v[q->head + n];
        double t = dln_costfit_predict(fit, p->cost, p->steps);
        if (n > 0 && sum + t > target)
            break;
        sum += t;
        n++;
    }
    return n;
}

int dln_queue_prefetch(const dln_queue *q, const dln_costfit *fit)
{
    const dln_pending *p = dln_queue_next(q);
    if (fit->n < 1 || !p)
        return 1;
    return dln_costfit_predict(fit, p->cost, p->steps) < DLN_BATCH_TARGET_S
               ? 2 : 1;
}

int dln_queue_fill(dln_queue *small, dln_queue *wide, const dln_jobspec *j,
                   dln_store *db, int shard_index, int shard_count,
                   int wide_group, dln_fill_claims *claims, long *total,
                   long *done, char *msg, size_t len)
{
    dln_fill_claims none = {0};
    dln_fill_claims *cl = claims ? claims : &none;
    long ntasks = dln_jobspec_ntasks(j);
    int shards = shard_count > 1 ? shard_count : 1, rc = 0;
    *total = *done = 0;
    cl->retried = cl->exhausted = 0;
    if (cl->sweep_id > 0 && dln_store_begin(db)) {
        snprintf(msg, len, "%s", dln_store_errmsg(db));
        return 1;
    }
    for (long i = 0; i < ntasks && rc == 0; i++) {
        dln_task t;
        dln_claim got;
        if (i % shards != (shards > 1 ? shard_index : 0))
            continue;
        if (dln_jobspec_task(j, i, &t)) {
            snprintf(msg, len, "%s: cannot expand task %ld",
                     dln_jobspec_name(j), i);
            rc = 2;
            break;
        }
        ++*total;
        if ((rc = dln_store_claim(db, cl->sweep_id, &t, cl->retry,
                                  cl->max_attempts, &got))) {
            snprintf(msg, len, "%s", dln_store_errmsg(db));
            break;
        }
        if (got == DLN_CLAIM_DONE) {
            ++*done;
            continue;
        }
        if (got == DLN_CLAIM_EXHAUSTED) {
            cl->exhausted++;
            continue;
        }
        cl->retried += got == DLN_CLAIM_RETRY;
        int is_wide = wide_group && dln_jobspec_is_wide(j, &t.params);
        dln_queue *q = is_wide ? wide : small;
        if (dln_queue_push(q, &t)) {
            snprintf(msg, len, "out of memory listing tasks");
            rc = 1;
            break;
        }
        q->v[q->n - 1].replace = got == DLN_CLAIM_RETRY;
    }
    if (cl->sweep_id > 0 && dln_store_commit(db) && rc == 0) {
        snprintf(msg, len, "%s", dln_store_errmsg(db));
        rc = 1;
    }
    dln_queue_sort(small);
    dln_queue_sort(wide);
    return rc;
}

int dln_queue_add_codes(dln_queue *q, const dln_jobspec *j,
                        const long *codes, long n)
{
    int rc = 0;
    for (long k = 0; k < n && rc == 0; k++) {
        dln_task t;
        rc = dln_jobspec_task(j, codes[k], &t) || dln_queue_push(q, &t);
    }
    dln_queue_sort(q);
    return rc;
}

int dln_inflight_push(dln_inflight_fifo *f, const dln_pending *p)
{
    if (f->n == f->cap) {
        int cap = f->cap ? 2 * f->cap : 16;
        dln_inflight *v = malloc((size_t)cap * sizeof *v);
        if (!v)
            return 1;
        for (int k = 0; k < f->n; k++)
            v[k] = f->v[(f->head + k) % f->cap];
        free(f->v);
        f->v = v;
        f->cap = cap;
        f->head = 0;
    }
    dln_inflight *e = &f->v[(f->head + f->n) % f->cap];
    e->index = p->index;
    e->cost = p->cost;
    e->steps = p->steps;
    e->replace = p->replace;
    f->n++;
    return 0;
}

const dln_inflight *dln_inflight_front(const dln_inflight_fifo *f)
{
    return f->n > 0 ? &f->v[f->head] : NULL;
}

int dln_inflight_pop(dln_inflight_fifo *f, dln_inflight *out)
{
    if (f->n == 0)
        return 1;
    *out = f->v[f->head];
    f->head = (f->head + 1) % f->cap;
    f->n--;
    return 0;
}

void dln_inflight_clear(dln_inflight_fifo *f)
{
    free(f->v);
    memset(f, 0, sizeof *f);
}
