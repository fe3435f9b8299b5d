/* test_sweep_queue.c — the coordinator's task queue without MPI
 * (src/sweep/sweep_queue.c): longest-predicted-first order with a fixed
 * tie-break, re-sorting only what is left, batch sizes and prefetch depth
 * against hand-computed predictions, the in-flight ring buffer through
 * wrap-around and growth, empty queues, and the pending list of a job
 * against a database that already holds one of its tasks (shards, wide
 * cells, refinement codes). */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dlnsweep/jobspec.h"
#include "dlnsweep/store.h"
#include "../src/sweep/sweep_queue.h"

/* A task of index i and predicted cost (steps = 99: 100 with overhead). */
static dln_task task(long i, double cost)
{
    dln_task t;
    memset(&t, 0, sizeof t);
    dln_params_defaults(&t.params);
    t.params.steps = 99;
    t.params.lyapunov_steps = 0;
    t.index = i;
    t.cost = cost;
    t.seed_index = (int)(i % 3);
    snprintf(t.cell_hash, sizeof t.cell_hash, "%016lx", (unsigned long)i);
    return t;
}

/* Predicts 1/64 s per 1e6 of cost, nothing per step (exact in binary). */
static dln_costfit per_cost_fit(void)
{
    dln_costfit f;
    memset(&f, 0, sizeof f);
    f.n = 1;
    f.a = 1.0 / 64;
    return f;
}

static void push_all(dln_queue *q, const long *idx, const double *cost,
                     int n)
{
    for (int k = 0; k < n; k++) {
        dln_task t = task(idx[k], cost[k]);
        assert_int_equal(dln_queue_push(q, &t), 0);
    }
}

/* A zeroed queue: nothing to take, batch 0, one WORK message, and sort /
 * clear are safe (sort must not call qsort(NULL, 0, ...)). */
static void empty_queue(void **state)
{
    dln_queue q;
    dln_pending p;
    dln_costfit none, fit = per_cost_fit();
    memset(&q, 0, sizeof q);
    memset(&none, 0, sizeof none);
    dln_queue_sort(&q);
    assert_null(q.v);
    assert_int_equal(dln_queue_left(&q), 0);
    assert_null(dln_queue_next(&q));
    assert_int_equal(dln_queue_take(&q, &p), 1);
    assert_int_equal(dln_queue_batch(&q, &none, 1, 1000), 0);
    assert_int_equal(dln_queue_batch(&q, &fit, 1, 1000), 0);
    assert_int_equal(dln_queue_prefetch(&q, &fit), 1);
    assert_int_equal(dln_queue_add_codes(&q, NULL, NULL, 0), 0);
    assert_null(q.v);
    dln_queue_clear(&q);
    dln_queue_clear(&q);
}

/* Longest first; equal costs by index; the sums of what is left follow
 * every take down to zero. */
static void longest_first_with_fixed_ties(void **state)
{
    const long idx[] = {4, 9, 2, 7, 5, 1};
    const double cost[] = {3e6, 1e6, 3e6, 5e6, 2e6, 3e6};
    const long want[] = {7, 1, 2, 4, 5, 9};
    dln_queue q;
    dln_pending p;
    memset(&q, 0, sizeof q);
    push_all(&q, idx, cost, 6);
    assert_true(q.cost_left == 17e6);
    assert_true(q.steps_left == 600);
    dln_queue_sort(&q);
    for (int k = 0; k < 6; k++) {
        assert_int_equal(dln_queue_left(&q), 6 - k);
        assert_int_equal(dln_queue_next(&q)->index, want[k]);
        assert_int_equal(dln_queue_take(&q, &p), 0);
        assert_int_equal(p.index, want[k]);
        assert_int_equal(p.seed_index, (int)(want[k] % 3));
        assert_true(p.steps == 100);
        char hex[DLN_HASH_HEX];
        snprintf(hex, sizeof hex, "%016lx", (unsigned long)want[k]);
        assert_string_equal(p.cell_hash, hex);
    }
    assert_true(q.cost_left == 0 && q.steps_left == 0);
    assert_int_equal(dln_queue_take(&q, &p), 1);
    dln_queue_clear(&q);
    assert_null(q.v);
    assert_int_equal(q.n, 0);
}

/* Tasks pushed after some were taken (a refinement round) are sorted in
 * among those left; the taken ones stay where they were.  Many pushes
 * grow the array past its first allocation. */
static void resort_only_what_is_left(void **state)
{
    dln_queue q;
    dln_pending p;
    memset(&q, 0, sizeof q);
    for (long i = 0; i < 1000; i++) {
        dln_task t = task(i, (double)(i % 10));
        assert_int_equal(dln_queue_push(&q, &t), 0);
    }
    dln_queue_sort(&q);
    for (int k = 0; k < 995; k++)
        assert_int_equal(dln_queue_take(&q, &p), 0);
    /* left: the five cheapest, cost 0: indices 950..990 step 10 */
    const long idx[] = {2000, 2001, 2002};
    const double cost[] = {0.0, 5.0, 0.5};
    push_all(&q, idx, cost, 3);
    dln_queue_sort(&q);
    assert_true(q.v[0].cost == 9.0 && q.v[0].index == 9);
    const long want[] = {2001, 2002, 950, 960, 970, 980, 990, 2000};
    assert_int_equal(dln_queue_left(&q), 8);
    for (int k = 0; k < 8; k++) {
        assert_int_equal(dln_queue_take(&q, &p), 0);
        assert_int_equal(p.index, want[k]);
    }
    dln_queue_clear(&q);
}

/* Batch sizes against predictions by hand (1/64 s per task of cost 1e6):
 * 0.25 s per WORK message is 16 tasks; a quarter of each worker's share
 * near the end; at least one task, however long; never over the limit. */
static void batch_sizes(void **state)
{
    dln_queue q;
    dln_costfit none, fit = per_cost_fit();
    dln_pending p;
    memset(&q, 0, sizeof q);
    memset(&none, 0, sizeof none);
    for (long i = 0; i < 200; i++) {
        dln_task t = task(i, 1e6);
        assert_int_equal(dln_queue_push(&q, &t), 0);
    }
    dln_queue_sort(&q);
    /* nothing measured yet: one task at a time */
    assert_int_equal(dln_queue_batch(&q, &none, 4, 1024), 1);
    assert_int_equal(dln_queue_prefetch(&q, &none), 1);
    /* 200 tasks = 3.125 s: a quarter of a worker's share caps nothing */
    assert_int_equal(dln_queue_batch(&q, &fit, 1, 1024), 16);
    assert_int_equal(dln_queue_batch(&q, &fit, 3, 1024), 16);
    assert_int_equal(dln_queue_batch(&q, &fit, 0, 1024), 16);
    /* --max-tasks left or the message size */
    assert_int_equal(dln_queue_batch(&q, &fit, 1, 5), 5);
    assert_int_equal(dln_queue_batch(&q, &fit, 1, 1), 1);
    assert_int_equal(dln_queue_batch(&q, &fit, 1, 0), 0);
    assert_int_equal(dln_queue_batch(&q, &fit, 1, -3), 0);
    /* short tasks: two WORK messages per worker */
    assert_int_equal(dln_queue_prefetch(&q, &fit), 2);
    /* 8 left = 0.125 s: 1 worker 0.03125 s (2 tasks), 2 workers 1 task */
    while (dln_queue_left(&q) > 8)
        assert_int_equal(dln_queue_take(&q, &p), 0);
    assert_int_equal(dln_queue_batch(&q, &fit, 1, 1024), 2);
    assert_int_equal(dln_queue_batch(&q, &fit, 2, 1024), 1);
    /* a long task first (1 s): a batch of it alone, one message held */
    dln_task t = task(500, 64e6);
    assert_int_equal(dln_queue_push(&q, &t), 0);
    dln_queue_sort(&q);
    assert_int_equal(dln_queue_next(&q)->index, 500);
    assert_int_equal(dln_queue_batch(&q, &fit, 1, 1024), 1);
    assert_int_equal(dln_queue_prefetch(&q, &fit), 1);
    /* exactly the target (16/64 s = 0.25 s) is not shorter than it */
    assert_int_equal(dln_queue_take(&q, &p), 0);
    t = task(501, 16e6);
    assert_int_equal(dln_queue_push(&q, &t), 0);
    dln_queue_sort(&q);
    assert_int_equal(dln_queue_prefetch(&q, &fit), 1);
    dln_queue_clear(&q);
}

/* Results come back in the order tasks went out, through wrap-around of
 * the ring and its growth with a wrapped head. */
static void inflight_order(void **state)
{
    dln_inflight_fifo f;
    dln_inflight out;
    long next_in = 0, next_out = 0;
    memset(&f, 0, sizeof f);
    assert_null(dln_inflight_front(&f));
    assert_int_equal(dln_inflight_pop(&f, &out), 1);
    /* fill 10, drain 8, fill 30 (wraps the 16-ring, then grows), drain */
    const int fill[] = {10, 0, 30, 0, 5};
    const int drain[] = {0, 8, 0, 30, 7};
    for (int round = 0; round < 5; round++) {
        for (int k = 0; k < fill[round]; k++, next_in++) {
            dln_pending p;
            memset(&p, 0, sizeof p);
            p.index = next_in;
            p.cost = 2.0 * (double)next_in;
            p.steps = 3.0 * (double)next_in;
            assert_int_equal(dln_inflight_push(&f, &p), 0);
        }
        for (int k = 0; k < drain[round]; k++, next_out++) {
            assert_non_null(dln_inflight_front(&f));
            assert_int_equal(dln_inflight_front(&f)->index, next_out);
            assert_int_equal(dln_inflight_pop(&f, &out), 0);
            assert_int_equal(out.index, next_out);
            assert_true(out.cost == 2.0 * (double)next_out);
            assert_true(out.steps == 3.0 * (double)next_out);
        }
        assert_int_equal(f.n, next_in - next_out);
    }
    assert_int_equal(next_out, next_in);
    assert_null(dln_inflight_front(&f));
    assert_int_equal(dln_inflight_pop(&f, &out), 1);
    dln_inflight_clear(&f);
    assert_null(f.v);
    dln_inflight_clear(&f);
}

/* ---- a job's pending tasks against a database ------------------------ */

static const char mixed_job[] =
    "name: queuemix\n"
    "seed: 3\n"
    "seeds: 2\n"
    "grid:\n"
    "  depth: 2\n"
    "  width: [4, 48]\n"
    "  init: identity\n"
    "  eta: [0.5, 1.1, 1.3]\n"
    "  steps: [300, 100]\n"
    "parallel:\n"
    "  wide_width: 48\n"
    "  group_size: 2\n";

static int is_sorted(const dln_queue *q)
{
    for (long k = q->head + 1; k < q->n; k++)
        if (q->v[k - 1].cost < q->v[k].cost ||
            (q->v[k - 1].cost == q->v[k].cost &&
             q->v[k - 1].index >= q->v[k].index))
            return 0;
    return 1;
}

/* 1 if index i is in q's tasks still to hand out. */
static int holds(const dln_queue *q, long i)
{
    for (long k = q->head; k < q->n; k++)
        if (q->v[k].index == i)
            return 1;
    return 0;
}

static void pending_tasks_of_a_job(void **state)
{
    char dir[] = "/tmp/test_sweep_queue.XXXXXX", path[64], err[512] = "";
    dln_jobspec *j = NULL;
    dln_store *db = NULL;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/q.db", dir);
    assert_int_equal(dln_jobspec_parse("queuemix.yaml", mixed_job,
                                       strlen(mixed_job), &j, err,
                                       sizeof err), 0);
    long ntasks = dln_jobspec_ntasks(j);
    assert_int_equal(ntasks, 24);   /* 2 widths x 3 eta x 2 steps x 2 seeds */
    assert_int_equal(dln_store_create(path, 0, &db, err, sizeof err), 0);

    /* Task 5 is in the database already. */
    dln_task done;
    dln_result r;
    dln_provenance prov;
    assert_int_equal(dln_jobspec_task(j, 5, &done), 0);
    dln_result_init(&r);
    r.regime = DLN_REGIME_CONVERGED;
    memset(&prov, 0, sizeof prov);
    assert_int_equal(dln_store_put_run(db, &done, &r, &prov, 0), 0);
    dln_result_clear(&r);

    /* All tasks, no wide group: 23 small ones, longest first. */
    dln_queue small, wide;
    long total = -1, in_db = -1;
    memset(&small, 0, sizeof small);
    memset(&wide, 0, sizeof wide);
    assert_int_equal(dln_queue_fill(&small, &wide, j, db, 0, 1, 0, NULL, &total,
                                    &in_db, err, sizeof err), 0);
    assert_int_equal(total, 24);
    assert_int_equal(in_db, 1);
    assert_int_equal(dln_queue_left(&small), 23);
    assert_int_equal(dln_queue_left(&wide), 0);
    assert_null(wide.v);
    assert_false(holds(&small, 5));
    assert_true(is_sorted(&small));
    double sum = 0;
    for (long i = 0; i < ntasks; i++) {
        dln_task t;
        assert_int_equal(dln_jobspec_task(j, i, &t), 0);
        sum += i == 5 ? 0.0 : t.cost;
    }
    assert_true(small.cost_left > 0.999999 * sum &&
                small.cost_left < 1.000001 * sum);
    dln_queue_clear(&small);

    /* With a wide group: the width-48 tasks go to the wide queue. */
    assert_int_equal(dln_queue_fill(&small, &wide, j, db, 0, 1, 1, NULL, &total,
                                    &in_db, err, sizeof err), 0);
    assert_int_equal(dln_queue_left(&small) + dln_queue_left(&wide), 23);
    assert_int_equal(dln_queue_left(&wide), 12 - (done.params.width == 48));
    assert_true(is_sorted(&small) && is_sorted(&wide));
    for (long k = 0; k < wide.n; k++) {
        dln_task t;
        assert_int_equal(dln_jobspec_task(j, wide.v[k].index, &t), 0);
        assert_int_equal(t.params.width, 48);
    }
    for (long k = 0; k < small.n; k++) {
        dln_task t;
        assert_int_equal(dln_jobspec_task(j, small.v[k].index, &t), 0);
        assert_int_equal(t.params.width, 4);
    }
    /* the wide tasks cost more than every small one */
    assert_true(wide.v[wide.n - 1].cost > small.v[0].cost);
    dln_queue_clear(&small);
    dln_queue_clear(&wide);

    /* Shard 1 of 2: the odd indices, task 5 among them done. */
    assert_int_equal(dln_queue_fill(&small, &wide, j, db, 1, 2, 0, NULL, &total,
                                    &in_db, err, sizeof err), 0);
    assert_int_equal(total, 12);
    assert_int_equal(in_db, 1);
    assert_int_equal(dln_queue_left(&small), 11);
    for (long k = 0; k < small.n; k++)
        assert_int_equal(small.v[k].index % 2, 1);
    dln_queue_clear(&small);

    /* Shard 0 of 2: nothing done yet. */
    assert_int_equal(dln_queue_fill(&small, &wide, j, db, 0, 2, 0, NULL, &total,
                                    &in_db, err, sizeof err), 0);
    assert_int_equal(total, 12);
    assert_int_equal(in_db, 0);
    assert_int_equal(dln_queue_left(&small), 12);

    /* Tasks added later (a refinement round) join in cost order; a code
     * that does not expand fails. */
    dln_pending p;
    for (int k = 0; k < 10; k++)
        assert_int_equal(dln_queue_take(&small, &p), 0);
    const long codes[] = {5, 1, 3};
    assert_int_equal(dln_queue_add_codes(&small, j, codes, 3), 0);
    assert_int_equal(dln_queue_left(&small), 5);
    assert_true(is_sorted(&small));
    assert_true(holds(&small, 5) && holds(&small, 1) && holds(&small, 3));
    const long bad[] = {ntasks + 100};
    assert_int_equal(dln_queue_add_codes(&small, j, bad, 1), 1);
    dln_queue_clear(&small);

    dln_store_destroy(&db);
    dln_jobspec_destroy(&j);
    unlink(path);
    char wal[80];
    snprintf(wal, sizeof wal, "%s-wal", path);
    unlink(wal);
    snprintf(wal, sizeof wal, "%s-shm", path);
    unlink(wal);
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_queue),
        cmocka_unit_test(longest_first_with_fixed_ties),
        cmocka_unit_test(resort_only_what_is_left),
        cmocka_unit_test(batch_sizes),
        cmocka_unit_test(inflight_order),
        cmocka_unit_test(pending_tasks_of_a_job),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
