/* sweep.h — the distributed sweep: rank 0 of comm is the coordinator (the
 * only database writer), the other ranks are workers; wide cells go to a
 * group of ranks running the ScaLAPACK engine. */
#ifndef DLNSWEEP_SWEEP_H
#define DLNSWEEP_SWEEP_H

#include <mpi.h>
#include "dlnsweep/jobspec.h"

typedef struct dln_sweep_options {
    const char *db_path;
    int allow_change;        /* --force: resume with a changed job file     */
    int quiet;               /* no progress lines                           */
    double progress_every_s; /* progress line cadence on stderr             */
    int batch_rows;          /* rows per write transaction                  */
    double batch_seconds;    /* or commit at least this often               */
} dln_sweep_options;

typedef struct dln_sweep dln_sweep;

/* Duplicate comm and prepare a sweep of job j (borrowed). Collective. */
int dln_sweep_create(MPI_Comm comm, const dln_jobspec *j,
                     const dln_sweep_options *opt, dln_sweep **out);
/* Free s and its communicator; accepts NULL. Not collective. */
void dln_sweep_destroy(dln_sweep **s);

/* Run the sweep to completion or until a stop signal (SIGTERM, SIGINT,
 * SIGUSR1) drains it. Collective. Returns 0 (done or drained), 2 on a user
 * error (bad DB, changed job file) with a message on stderr from rank 0. */
int dln_sweep_execute(dln_sweep *s);

#endif
