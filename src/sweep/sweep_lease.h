/* sweep_lease.h — admission of a sweep to its database, on rank 0 (private
 * to the sweep_*.c files): read-only checks first, so that a refused
 * resume (a job file changed without --force, a live writer) leaves an
 * existing file byte-identical; then the writable open, the writer lease
 * (taken over from a holder that is certainly gone: a dead process on this
 * host, or an earlier incarnation of this requeued Slurm job) and the
 * sweep's registration.  While the sweep runs, the store's writer
 * heartbeats the lease every DLN_SWEEP_HEARTBEAT_S seconds. */
#ifndef DLNSWEEP_SWEEP_LEASE_H
#define DLNSWEEP_SWEEP_LEASE_H

#include <stddef.h>
#include "dlnsweep/store.h"
#include "sweep_internal.h"

#define DLN_SWEEP_HEARTBEAT_S 10.0

/* This process's claim on a database. */
typedef struct dln_sweep_lease {
    char owner[256];      /* "slurm:JOB@host:pid" or "host:pid"           */
    int held;             /* 1 between acquire and a successful release   */
} dln_sweep_lease;

/* Open s's database for writing under a lease for this process and
 * register the sweep (s's job name, canonical text and hash; --force
 * allows a changed job file), its id into *sweep_id.  Returns 0 with *db
 * open and l->held = 1; 1 or 2 with msg and nothing open or held.  Not
 * collective. */
int dln_sweep_lease_acquire(const dln_sweep *s, dln_sweep_lease *l,
                            dln_store **db, long *sweep_id, char *msg,
                            size_t len);

/* Release l on db if held (l->held = 0 once released).  0, or 1 when the
 * store refused (the lease then stays held).  Not collective. */
int dln_sweep_lease_release(dln_sweep_lease *l, dln_store *db);

#endif
