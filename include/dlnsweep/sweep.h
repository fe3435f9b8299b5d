/* sweep.h — the distributed sweep: rank 0 of comm is the coordinator (the
 * only database writer), the other ranks are workers; wide cells go to a
 * group of ranks running the ScaLAPACK engine.
 *
 * Scheduling: pending tasks (not yet in the DB) are handed out longest
 * predicted first, in batches sized from measured wall times so that
 * millisecond cells cost the coordinator well under 1%.  Workers compute a
 * task from its index with their own copy of the job spec, so results do
 * not depend on the number of ranks.  With one rank the coordinator runs
 * the tasks itself.  The MPI message protocol is described in
 * src/sweep_internal.h. */
#ifndef DLNSWEEP_SWEEP_H
#define DLNSWEEP_SWEEP_H

#include <mpi.h>
#include "dlnsweep/jobspec.h"

/* Most small tasks one worker steps in lock step by default: a tile of the
 * lane kernels is 32; beyond 256 the per-lane observation workspaces
 * (about 80 KB each for the default transient window) outgrow the
 * caches for no gain. */
#define DLN_SWEEP_LANES 256

typedef struct dln_sweep_options {
    const char *db_path;
    int allow_change;        /* --force: resume with a changed job file     */
    int quiet;               /* no progress lines                           */
    double progress_every_s; /* progress line cadence on stderr             */
    int batch_rows;          /* rows per write transaction                  */
    double batch_seconds;    /* or commit at least this often               */
    int shard_index;         /* --shard I/N: only tasks with index % N == I */
    int shard_count;         /* 0 or 1: no sharding                         */
    long max_tasks;          /* --max-tasks K: hand out at most K; 0 = all  */
    double lease_stale_s;    /* a writer silent this long is taken over     */
    unsigned retry_regimes;  /* --retry: rows of these regimes (1u << g) run
                                again, replacing the row                   */
    int max_attempts;        /* --max-attempts: tasks started this often are
                                not started again; 0 = no limit            */
    int lanes;               /* --lanes: most small tasks a worker steps in
                                lock step (run.h's dln_run_batch); 1 runs
                                each alone (dln_run): same results         */
} dln_sweep_options;

typedef struct dln_sweep dln_sweep;

/* Fill opt with the defaults (progress every 3 s, commit every 256 rows or
 * 2 s, no shard, no task limit, lease stale after 600 s, batches of up to
 * DLN_SWEEP_LANES tasks). Pure. */
void dln_sweep_options_defaults(dln_sweep_options *opt);

/* Duplicate comm and prepare a sweep of job j (borrowed; must outlive s),
 * splitting off the wide-cell group (ranks 1..group_size) when the job's
 * parallel: section asks for one and comm has enough ranks. Collective.
 * Returns 0, 2 for invalid options (message on rank 0's stderr), 1. */
int dln_sweep_create(MPI_Comm comm, const dln_jobspec *j,
                     const dln_sweep_options *opt, dln_sweep **out);
/* Ranks of the group that runs wide cells (ScaLAPACK), 0 when wide cells
 * run on one rank each.  Not collective. */
int dln_sweep_wide_group(const dln_sweep *s);

/* Free s and its communicators; accepts NULL. Not collective. */
void dln_sweep_destroy(dln_sweep **s);

/* Make SIGTERM, SIGINT and SIGUSR1 set the sweep's stop flag instead of
 * ending the process, from now to its end (the handlers are never
 * restored): a stop signal at any moment drains the sweep, or is ignored
 * once the sweep's work is done.  Call it first thing (`dlnsweep run` does
 * before MPI_Init); dln_sweep_execute calls it too.  Idempotent; keeps a
 * signal already caught.  Not collective. */
void dln_sweep_catch_stop_signals(void);

/* Run the sweep to completion or until a stop signal (SIGTERM, SIGINT,
 * SIGUSR1, caught at any time since dln_sweep_catch_stop_signals) drains
 * it. Collective. Returns 0 (done or drained), 2 on a user
 * error (bad DB, changed job file, DB in use) with one line on stderr from
 * rank 0, before any work and leaving an existing DB byte-identical; 1 on
 * an internal failure (rank 0's DB writes failing, malformed messages). */
int dln_sweep_execute(dln_sweep *s);

/* How many tasks of shard shard_index of shard_count (count <= 1: all) of
 * job j the database at db_path has no row for, as `run` would find them
 * (a row of any regime counts as done; no file: every task is left), into
 * *left; once the grid is complete, with refine:, the next refinement
 * round's tasks.  Reads the file only; not collective.  Returns 0, 2 with
 * msg (not a readable dlnsweep database, a cell-hash collision), 1 with
 * msg. */
int dln_sweep_tasks_left(const dln_jobspec *j, const char *db_path,
                         int shard_index, int shard_count, long *left,
                         char *msg, size_t len);

/* Outcome of the last dln_sweep_execute (valid on rank 0 only). */
typedef struct dln_sweep_summary {
    long total;              /* tasks in this shard of the job              */
    long done_before;        /* already in the DB when it started           */
    long done_now;           /* finished in this execution                  */
    long errors_now;         /* of which regime 'error'                     */
    int drained_by;          /* signal number that drained it, 0 if none   */
} dln_sweep_summary;
void dln_sweep_summary_get(const dln_sweep *s, dln_sweep_summary *out);

#endif
