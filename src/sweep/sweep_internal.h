/* sweep_internal.h — what the sweep_*.c files share: the sweep handle, the
 * MPI message protocol, stop signals, task execution and the coordinator.
 * The coordinator's parts have their own headers: sweep_lease.h (admission
 * to the database), sweep_queue.h (pending tasks and batch sizes),
 * sweep_progress.h (cost model, progress line), sweep_refine.h.
 *
 * MPI protocol (all on the sweep's duplicated communicator; rank 0 is the
 * coordinator C, ranks >= 1 are workers W; Open MPI's pairwise ordering
 * keeps a worker's results in the order its tasks were sent):
 *
 *   W -> C  TAG_READY   int32[2] {kind, signo}: W is idle and wants work.
 *                       kind READY_SMALL (run tasks alone) or READY_WIDE
 *                       (the wide group's leader wants one wide task);
 *                       signo: a stop signal W received, else 0.
 *   C -> W  TAG_WORK    int64[2 + n] {mode, n, index_1..index_n}.
 *                       mode WORK: run tasks index_1..n (n >= 1; a wide
 *                       leader always gets n = 1) and send one TAG_RESULT
 *                       each, in order; MODE_NO_MORE_WIDE (to a wide
 *                       leader): no wide task left, every group rank now
 *                       sends TAG_READY READY_SMALL; MODE_STOP: return (a
 *                       wide leader passes it on to its group).
 *   W -> C  TAG_RESULT  bytes: dln_wire_header, then dln_result_pack's
 *                       bytes (size read with MPI_Probe + MPI_Get_count).
 *                       header.batch_done = 1 on the last task of a WORK
 *                       message: W is then idle (no TAG_READY follows).
 *
 *   Inside the wide group (ranks 1..G of the sweep communicator, split off
 *   in dln_sweep_create) the leader, group rank 0, broadcasts int64[2]
 *   {mode, index} with MPI_Bcast for each WORK / NO_MORE_WIDE / STOP it
 *   gets; all group ranks then call dln_prun(task, group) together and
 *   the leader sends the result.
 *
 * The coordinator polls with MPI_Iprobe and short sleeps, so that stop
 * signals, commits, lease heartbeats and progress lines keep their cadence
 * and an idle coordinator does not take a core from the workers.  On a stop
 * signal it commits at once, answers every idle worker with STOP, collects
 * the results still in flight, commits them and releases the lease. */
#ifndef DLNSWEEP_SWEEP_INTERNAL_H
#define DLNSWEEP_SWEEP_INTERNAL_H

#include <stdint.h>
#include <stdio.h>
#include <mpi.h>
#include "dlnsweep/params.h"
#include "dlnsweep/result.h"
#include "dlnsweep/sweep.h"

enum { TAG_READY = 7101, TAG_WORK = 7102, TAG_RESULT = 7103 };
enum { READY_SMALL = 0, READY_WIDE = 1 };
enum { MODE_WORK = 0, MODE_NO_MORE_WIDE = 1, MODE_STOP = 2 };

#define DLN_SWEEP_MAX_BATCH 1024      /* task indices per WORK message     */

/* Fixed header in front of each packed result. */
typedef struct dln_wire_header {
    int64_t index;           /* task index in the expanded job              */
    int32_t rank;            /* worker's rank in the sweep communicator     */
    int32_t status;          /* what the run returned (0, 1, 2)             */
    int32_t batch_done;      /* 1: last task of its WORK message            */
    int32_t signo;           /* stop signal the worker received, else 0     */
    double wall_s;           /* wall time of the run                        */
    double wait_s;           /* first task of a WORK message: how long the
                                worker waited for that message, else 0     */
    char host[64];           /* worker's host name                          */
} dln_wire_header;

struct dln_sweep {
    MPI_Comm comm;           /* duplicate of the caller's communicator      */
    MPI_Comm group;          /* wide group (ranks 1..G) or MPI_COMM_NULL    */
    int rank, size;
    int group_size;          /* G when a wide group exists, else 0          */
    const dln_jobspec *job;  /* borrowed                                    */
    dln_sweep_options opt;
    char db_path[4096];
    char host[64];           /* this rank's host name (read once)           */
    dln_sweep_summary summary;
};

/* ---- stop signals (sweep_signals.c) --------------------------------- */

/* The first stop signal caught since dln_sweep_catch_stop_signals (the
 * handlers stay for the life of the process), else 0. */
int dln_stop_signal(void);
/* "SIGTERM", "SIGINT", "SIGUSR1" or "signal N" (static storage). */
const char *dln_stop_signal_name(int signo);

/* ---- running one task (sweep_worker.c) ------------------------------ */

/* Run task `index` of s->job alone (dln_run) or over s->group (dln_prun,
 * wide != 0) into the inited r; fills r->wall_s and hdr (batch_done and
 * signo left 0). Errors become regime 'error' results. Not collective
 * unless wide. */
void dln_sweep_run_task(dln_sweep *s, long index, int wide, dln_result *r,
                        dln_wire_header *hdr);

/* Run tasks idx[0..n-1] of s->job (small ones: no wide group) into r[k]
 * and hdr[k] as dln_sweep_run_task does, those that can share a batch
 * (run.h's dln_run_batchable, dln_run_same_batch; up to s->opt.lanes)
 * in lock step by dln_run_batch: the same results, each wall_s its
 * share of the batch's time. Not collective. */
void dln_sweep_run_tasks(dln_sweep *s, const int64_t *idx, long n,
                         dln_result *r, dln_wire_header *hdr);

/* The worker side of the protocol (ranks >= 1). Returns 0 or 1. */
int dln_sweep_work(dln_sweep *s);

/* ---- the coordinator (sweep_coordinator.c) -------------------------- */

/* Rank 0's side of the sweep. */
typedef struct dln_coord dln_coord;
/* Admit the sweep to its database, list the pending tasks and start the
 * store's writer.  0, or 1 / 2 said on stderr (*out NULL, the database
 * released; a refused existing one byte-identical).  Rank 0 only; the
 * caller broadcasts the code before any task is handed out (sweep.c). */
int dln_coord_setup(dln_sweep *s, dln_coord **out);
/* Run or hand out every pending task (and refinement round), write the
 * results, release the lease, fill s->summary and print the closing
 * lines.  0 or 1.  Rank 0, while the workers run dln_sweep_work. */
int dln_coord_run(dln_coord *c);
/* Write what is queued, release the lease if still held, close, free;
 * accepts NULL and nulls *c. */
void dln_coord_destroy(dln_coord **c);

#endif
