/* sweep_queue.h — the coordinator's task bookkeeping as plain data (private
 * to the sweep_*.c files; no MPI, no database writes): the tasks still to
 * hand out, longest predicted first; how many go into the next WORK message
 * and how many messages a worker may hold; and each worker's handed-out
 * tasks in the order their results come back.
 *
 * A sweep keeps two queues: small tasks (one rank each) and wide tasks
 * (the wide group's, when it has one).  Refinement rounds append tasks to
 * the small queue and re-sort what is left.  A worker that is lost ends
 * the MPI job, so nothing is ever requeued: a rerun resumes from the
 * database. */
#ifndef DLNSWEEP_SWEEP_QUEUE_H
#define DLNSWEEP_SWEEP_QUEUE_H

#include <stddef.h>
#include "dlnsweep/jobspec.h"
#include "dlnsweep/params.h"
#include "dlnsweep/store.h"
#include "sweep_progress.h"

/* A WORK message's predicted wall time: batches of shorter tasks are
 * filled up to it, and workers on tasks shorter than it hold two. */
#define DLN_BATCH_TARGET_S 0.25

/* A task waiting to be handed out. */
typedef struct dln_pending {
    long index;                      /* task index (or refinement code)    */
    double cost, steps;              /* the cost model's two features      */
    char cell_hash[DLN_HASH_HEX];
    int seed_index;
    int replace;                     /* a retried task: its row is replaced */
} dln_pending;

/* v[head..n) are still to hand out, in order once sorted; cost_left and
 * steps_left are their sums.  Zero-initialise; free with clear. */
typedef struct dln_queue {
    dln_pending *v;
    long n, cap, head;
    double cost_left, steps_left;
} dln_queue;

/* Append t (at the end: sort before handing out). 0, or 1 out of memory. */
int dln_queue_push(dln_queue *q, const dln_task *t);
/* Order the tasks still to hand out longest predicted first, the index
 * breaking ties (a fixed order). Cannot fail; an empty queue is fine. */
void dln_queue_sort(dln_queue *q);
/* Tasks still to hand out. Pure. */
long dln_queue_left(const dln_queue *q);
/* The next task to hand out, or NULL when none is left. Pure. */
const dln_pending *dln_queue_next(const dln_queue *q);
/* Remove the next task into *out. 0, or 1 (out untouched) when empty. */
int dln_queue_take(dln_queue *q, dln_pending *out);
/* Free q's storage and zero it. Accepts a zeroed queue. */
void dln_queue_clear(dln_queue *q);

/* How many of q's next tasks the next WORK message carries: about
 * DLN_BATCH_TARGET_S of predicted work (fit), less near the end (a quarter
 * of each of `workers` workers' share of what is left), at least 1 while
 * a task is left, never more than limit.  0 when nothing is left or limit
 * <= 0; 1 while fit has measured nothing.  Pure. */
long dln_queue_batch(const dln_queue *q, const dln_costfit *fit, int workers,
                     long limit);
/* WORK messages a small worker may hold: two while q's next task is
 * predicted shorter than DLN_BATCH_TARGET_S (it never waits for the
 * coordinator between them), else one (a drain does not wait for a second
 * long batch); one while fit has measured nothing.  Pure. */
int dln_queue_prefetch(const dln_queue *q, const dln_costfit *fit);

/* How dln_queue_fill claims the tasks it finds done (dln_store_claim). */
typedef struct dln_fill_claims {
    long sweep_id;           /* record memberships of this sweep (0: none) */
    unsigned retry;          /* regimes whose rows run again (1u << g)     */
    int max_attempts;        /* 0: no limit                                */
    long retried, exhausted; /* out: tasks queued again, tasks left alone   */
} dln_fill_claims;

/* The tasks of shard shard_index of shard_count (count <= 1: all) of job
 * j that db does not hold yet (or holds with a regime to retry), into
 * small, or into wide for the cells dln_jobspec_is_wide calls wide when
 * wide_group != 0; both sorted.  *total counts the shard's tasks, *done
 * those already in db (retried ones not among them).  claims (NULL: none)
 * records the memberships of the done ones in one transaction.  Returns
 * 0; 2 with msg if a task cannot be expanded or collides with a stored
 * cell; 1 with msg on a database or allocation failure.  Not collective. */
int dln_queue_fill(dln_queue *small, dln_queue *wide, const dln_jobspec *j,
                   dln_store *db, int shard_index, int shard_count,
                   int wide_group, dln_fill_claims *claims, long *total,
                   long *done, char *msg, size_t len);
/* Append the tasks of refinement codes[0..n) of j to q and re-sort what is
 * left.  0, or 1 when a code does not expand or memory runs out. */
int dln_queue_add_codes(dln_queue *q, const dln_jobspec *j,
                        const long *codes, long n);

/* A handed-out task. */
typedef struct dln_inflight {
    long index;
    double cost, steps;
    int replace;                     /* as dln_pending's                   */
} dln_inflight;

/* One worker's handed-out tasks, oldest first (a ring buffer).
 * Zero-initialise; free with clear. */
typedef struct dln_inflight_fifo {
    dln_inflight *v;
    int head, n, cap;
} dln_inflight_fifo;

/* Append p's index and features. 0, or 1 out of memory (f unchanged). */
int dln_inflight_push(dln_inflight_fifo *f, const dln_pending *p);
/* The oldest task, or NULL when f is empty. Pure. */
const dln_inflight *dln_inflight_front(const dln_inflight_fifo *f);
/* Remove the oldest task into *out. 0, or 1 (out untouched) when empty. */
int dln_inflight_pop(dln_inflight_fifo *f, dln_inflight *out);
/* Free f's storage and zero it. Accepts a zeroed fifo. */
void dln_inflight_clear(dln_inflight_fifo *f);

#endif
