/* store.h — the results database (SQLite).  The only module that touches
 * SQLite.  One writer per database: the sweep coordinator or `single`.
 *
 * Schema (documented in README.md): sweeps, runs (one row per
 * (cell_hash, seed_index), UNIQUE), trajectories, orbits, lease, plus the
 * analysis views of analysis/views.sql.  WAL journal, busy_timeout,
 * BEGIN IMMEDIATE batches, prepared statements. */
#ifndef DLNSWEEP_STORE_H
#define DLNSWEEP_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "dlnsweep/params.h"
#include "dlnsweep/result.h"

typedef struct dln_store dln_store;

enum {
    DLN_STORE_READONLY = 1,   /* open an existing DB for reading only      */
    DLN_STORE_NOCREATE = 2    /* fail if the file does not exist           */
};

/* Provenance stored with every row. */
typedef struct dln_provenance {
    char git_hash[41];
    char host[64];
    int mpi_rank;
    int attempt;              /* 1 for the first try of a cell             */
    long sweep_id;            /* 0 for `single`                            */
} dln_provenance;

/* Counts for `dlnsweep status`. */
typedef struct dln_store_counts {
    long total;               /* registered tasks (0 if none registered)   */
    long done;                /* rows in runs                              */
    long per_regime[DLN_REGIME_ERROR + 1];
    double wall_s_sum;        /* sum of wall_s over runs                   */
    double first_at, last_at; /* unix times of first/last row (0 if none)  */
} dln_store_counts;

/* Open (creating schema if needed) the DB at path. On failure returns 2 and
 * writes a one-line message naming path to err; never modifies an existing
 * file it cannot use. Not collective; caller owns *out. */
int dln_store_create(const char *path, int flags, dln_store **out,
                     char *err, size_t errlen);

/* Commit any open batch, close, and set *s = NULL; accepts NULL. */
void dln_store_destroy(dln_store **s);

/* Open / commit a write batch (BEGIN IMMEDIATE ... COMMIT); return 0 or 1. */
int dln_store_begin(dln_store *s);
int dln_store_commit(dln_store *s);

/* Register a sweep (name, canonical spec text, its hash, task count). If a
 * sweep of the same name exists with another hash, return 2 with a message
 * unless allow_change; *sweep_id receives the id. */
int dln_store_register_sweep(dln_store *s, const char *name,
                             const char *spec_text, uint64_t spec_hash,
                             long ntasks, int allow_change, long *sweep_id,
                             char *err, size_t errlen);

/* 1 if (cell_hash, seed_index) has a row in runs, 0 if not, <0 on error. */
int dln_store_is_done(dln_store *s, const char *cell_hash, int seed_index);

/* Insert one run with its trajectory and orbit (inside the current batch if
 * one is open). replace != 0 overwrites an existing row (used by `single`);
 * otherwise an existing row is kept and 0 returned. Returns 0 or 1. */
int dln_store_put_run(dln_store *s, const dln_task *t, const dln_result *r,
                      const dln_provenance *prov, int replace);

/* Fill counts for sweep_id (0 = all rows). Returns 0 or 1. */
int dln_store_counts_get(dln_store *s, long sweep_id, dln_store_counts *c);

/* Take the single-writer lease for owner (e.g. "slurm:1234@host:pid").
 * A live lease of another owner (heartbeat younger than stale_s) makes it
 * return 2 with a message naming the holder. */
int dln_store_lease_acquire(dln_store *s, const char *owner, double stale_s,
                            char *err, size_t errlen);
int dln_store_lease_heartbeat(dln_store *s, const char *owner);
int dln_store_lease_release(dln_store *s, const char *owner);

/* Consistent copy of the DB to dest with the SQLite backup API (safe while a
 * sweep writes). Returns 0 or 2 with a message. */
int dln_store_snapshot(dln_store *s, const char *dest, char *err,
                       size_t errlen);

/* Last SQLite error message (borrowed). */
const char *dln_store_errmsg(const dln_store *s);

#endif
