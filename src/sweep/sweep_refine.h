/* sweep_refine.h — refinement rounds of a sweep with a refine: section
 * (private to the sweep_*.c files). */
#ifndef DLNSWEEP_SWEEP_REFINE_H
#define DLNSWEEP_SWEEP_REFINE_H

#include "dlnsweep/jobspec.h"
#include "dlnsweep/store.h"
#include "sweep_queue.h"

/* Task codes (dln_jobspec_refine_code) of the next round for the lines of
 * this shard: midpoints between neighbours with different labels that are
 * not in db yet. *codes is malloc'ed (caller frees; NULL when none).
 * Returns 0, or 1 on a database/allocation failure. Not collective. */
int dln_sweep_refine_round(const dln_jobspec *j, dln_store *db,
                           int shard_index, int shard_count, long **codes,
                           long *ncodes);

/* Queue the next round of this shard into q (re-sorted) and re-register
 * the sweep of j (its id sweep_id) with its grown size, the tasks in db
 * plus those queued, so `status` and the progress line show it.  db must
 * hold every result so far.  *added: tasks queued (0: refinement is
 * over); *in_db: the sweep's tasks in db.  Returns 0, or 1 on a database
 * or allocation failure (said on stderr).  Not collective. */
int dln_sweep_refine_queue(const dln_jobspec *j, dln_store *db,
                           int shard_index, int shard_count, long sweep_id,
                           dln_queue *q, long *added, long *in_db);

#endif
