/* sweep_refine.h — refinement rounds of a sweep with a refine: section,
 * bisection (sweep_refine.c) or continuation (sweep_contin.c); private to
 * the sweep_*.c files. */
#ifndef DLNSWEEP_SWEEP_REFINE_H
#define DLNSWEEP_SWEEP_REFINE_H

#include "dlnsweep/jobspec.h"
#include "dlnsweep/store.h"
#include "sweep_queue.h"

/* Task codes (dln_jobspec_refine_code) of the next round for the lines of
 * this shard: midpoints between neighbours with different labels that are
 * not in db yet. Every bisection point found in db joins sweep sweep_id
 * (> 0; 0: nothing written). *codes is malloc'ed (caller frees; NULL when
 * none). Returns 0, or 1 on a database/allocation failure or a cell-hash
 * collision (dln_store_errmsg). Not collective. */
int dln_sweep_refine_round(const dln_jobspec *j, dln_store *db,
                           long sweep_id, int shard_index, int shard_count,
                           long **codes, long *ncodes);

/* Queue the next round of this shard into q (re-sorted) and re-register
 * the sweep of j (its id sweep_id) with its grown size, the tasks in db
 * plus those queued, so `status` and the progress line show it.  db must
 * hold every result so far.  *added: tasks queued (0: refinement is
 * over); *in_db: the sweep's tasks in db.  Returns 0, or 1 on a database
 * or allocation failure (said on stderr).  Not collective. */
int dln_sweep_refine_queue(const dln_jobspec *j, dln_store *db,
                           int shard_index, int shard_count, long sweep_id,
                           dln_queue *q, long *added, long *in_db);

/* Call fn(ctx, first) for every line of this shard (first: its grid task
 * at the axis's first value), stopping at the first nonzero return.
 * Returns 0, or 1 when fn failed. Not collective. */
int dln_sweep_each_line(const dln_jobspec *j, int shard_index,
                        int shard_count, int (*fn)(void *ctx, long first),
                        void *ctx);

/* 1 if task index is a continuation (refine: {method: continuation}). */
int dln_sweep_is_continuation(const dln_jobspec *j, long index);

/* Continuation task codes of the next round for the lines of this shard
 * whose grid is complete: the continuations they need that db does not
 * hold yet. *codes as for dln_sweep_refine_round. Returns 0 or 1. */
int dln_sweep_contin_round(const dln_jobspec *j, dln_store *db,
                           int shard_index, int shard_count, long **codes,
                           long *ncodes);

/* How continuation `code` runs (period, direction, eta range, max period;
 * status left NULL). 0, or 2 for a code that is none. Pure. */
int dln_sweep_contin_info(const dln_jobspec *j, long code,
                          dln_store_contin_info *info);

/* Run continuation `code` into the inited r (dln_contin_line). Returns 0,
 * 1 or 2 with r->error set. Not collective. */
int dln_sweep_run_continuation(const dln_jobspec *j, long code,
                               dln_result *r);

#endif
