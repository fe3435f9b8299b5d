/* store_writer.h — the sweep coordinator's database writer thread.
 *
 * A dln_store_writer owns an open dln_store and writes what the
 * coordinator queues (run results, attempt counts) in batched
 * transactions on a thread of its own, so the coordinator's message loop
 * (or, on one rank, its training) never waits on SQLite.  Where that
 * thread would share the caller's only core (one rank bound to one core,
 * as mpirun -n 1 does), it writes inline instead: time-slicing one core
 * between training and SQLite costs more than writing in between.  The coordinator
 * stays the database's only writer: the thread is its, and the caller
 * uses the store directly only between dln_store_writer_pause and
 * dln_store_writer_resume.  The thread also refreshes the writer lease.
 *
 * Not collective; no function here calls MPI, so MPI_THREAD_FUNNELED is
 * enough for the process.  The thread blocks every signal: stop signals
 * reach the coordinator's thread. */
#ifndef DLNSWEEP_STORE_WRITER_H
#define DLNSWEEP_STORE_WRITER_H

#include "dlnsweep/params.h"
#include "dlnsweep/result.h"
#include "dlnsweep/store.h"

typedef struct dln_store_writer dln_store_writer;

typedef enum dln_store_writer_mode {
    DLN_WRITER_AUTO = 0,      /* a thread if the caller may use >= 2 CPUs  */
    DLN_WRITER_THREAD,        /* always a thread                           */
    DLN_WRITER_INLINE         /* write in the caller's thread, at once     */
} dln_store_writer_mode;

typedef struct dln_store_writer_options {
    dln_store_writer_mode mode;
    int batch_rows;           /* commit after this many runs (>= 1)        */
    double batch_seconds;     /* ... or this long after a batch opened     */
    const char *lease_owner;  /* heartbeat this lease (NULL: none)         */
    double heartbeat_s;       /* every this many seconds                   */
    size_t max_queued_bytes;  /* the caller blocks above this (0: 256 MiB) */
} dln_store_writer_options;

/* What the writer has done so far (dln_store_writer_stats). */
typedef struct dln_store_writer_stats {
    long runs;                /* runs written                              */
    long commits;             /* transactions committed                    */
    double busy_s;            /* CPU seconds spent writing and committing
                                 (the writer's thread, or the caller's
                                 while an inline writer writes)            */
    long max_queued;          /* the longest the queue has been            */
} dln_store_writer_stats;

/* Start the writer thread on s (borrowed: it must outlive the writer, and
 * the caller leaves it alone until pause or destroy).  Returns 0, or 1 with
 * nothing started.  Not collective; caller owns *out. */
int dln_store_writer_create(dln_store *s, const dln_store_writer_options *o,
                            dln_store_writer **out);

/* Write everything queued, commit, and stop and join the thread; the
 * store is the caller's again.  Returns 0, or 1 if any write failed
 * (errmsg says what).  Calling it again returns the same. */
int dln_store_writer_finish(dln_store_writer *w);

/* Finish w (its result is lost: call finish first to see it), free it and
 * set *w = NULL; accepts NULL. */
void dln_store_writer_destroy(dln_store_writer **w);

/* Queue run (t, *r, prov) for dln_store_put_run (replace = prov->replace), taking r's
 * arrays (r is left inited).  prov->attempt <= 0 means "the task's count
 * in attempts when written".  Blocks while the queue is over its byte
 * limit.  Returns 0, or 1 once the writer has failed (r is cleared). */
int dln_store_writer_put_run(dln_store_writer *w, const dln_task *t,
                             dln_result *r, const dln_provenance *prov);

/* Queue one more start of task (cell_hash, seed_index), as
 * dln_store_attempt_start.  Returns 0, or 1 once the writer has failed. */
int dln_store_writer_attempt(dln_store_writer *w, const char *cell_hash,
                             int seed_index);

/* Wait until everything queued is written and committed, and return the
 * store for the caller's own use (the thread idles until resume); NULL if
 * the writer has failed.  Every pause needs one resume. */
dln_store *dln_store_writer_pause(dln_store_writer *w);
void dln_store_writer_resume(dln_store_writer *w);

/* Commit what is written so far without waiting for it (the thread does it
 * next); 0, or 1 once the writer has failed. */
int dln_store_writer_flush(dln_store_writer *w);

/* Commit a batch that is old enough and heartbeat the lease when due:
 * what the thread does by itself, for an inline writer (call it between
 * tasks; a no-op with a thread).  0, or 1 once the writer has failed. */
int dln_store_writer_tick(dln_store_writer *w);

/* 1 if w writes on a thread of its own, 0 if inline. */
int dln_store_writer_threaded(const dln_store_writer *w);

/* 1 once a write, commit or heartbeat has failed (or the lease was lost),
 * else 0; the first failure's message is dln_store_writer_errmsg. */
int dln_store_writer_failed(dln_store_writer *w);
const char *dln_store_writer_errmsg(const dln_store_writer *w);

/* Counters so far (safe while the thread runs). */
void dln_store_writer_stats_get(dln_store_writer *w,
                                dln_store_writer_stats *st);

#endif
