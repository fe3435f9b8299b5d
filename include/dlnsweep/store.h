/* store.h — the results database (SQLite).  The only module that touches
 * SQLite.  One writer per database: the sweep coordinator or `single`.
 * A handle may move between threads but is used by one at a time (it is
 * opened without SQLite's per-connection mutex; store_writer.h hands it
 * over under its own).
 *
 * Schema (documented in docs/schema.md): sweeps, runs (one
 * row per (cell_hash, seed_index), UNIQUE), trajectories, orbits,
 * hessian_spectra, attempts, lease, retired_run_ids, plus the analysis
 * views of analysis/views.sql (embedded at build time, dropped and
 * recreated by a writable handle's first write transaction).
 * WAL journal, synchronous=NORMAL, busy_timeout, foreign keys,
 * BEGIN IMMEDIATE batches, prepared statements created once per handle.
 * The schema is versioned with PRAGMA user_version and marked with
 * PRAGMA application_id = DLN_STORE_APP_ID. */
#ifndef DLNSWEEP_STORE_H
#define DLNSWEEP_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "dlnsweep/params.h"
#include "dlnsweep/result.h"

#define DLN_STORE_SCHEMA_VERSION 9
#define DLN_STORE_APP_ID 0x444c4e53   /* "DLNS" in the SQLite header */
/* A lease whose heartbeat is this old is taken over by any writer. */
#define DLN_STORE_LEASE_STALE_S 600.0

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
    long sweep_id;            /* 0 for `single` (stored as NULL); > 0: the
                                 row joins that sweep (sweep_tasks)       */
    int replace;              /* writer queue: overwrite an existing row
                                 (a retried task)                         */
    double times_edge;        /* > 0: the job gave eta as this multiple of
                                 2/(L s_1^(2-2/L)) (runs.times_edge)      */
} dln_provenance;

/* Counts for `dlnsweep status`. */
typedef struct dln_store_counts {
    long total;               /* registered tasks (0 if none registered)   */
    long done;                /* rows in runs                              */
    long per_regime[DLN_REGIME_ERROR + 1];
    double wall_s_sum;        /* sum of wall_s over runs                   */
    double first_at, last_at; /* unix times of first/last row (0 if none)  */
    long recent_n;            /* rows in the rate window (the last rows)   */
    double recent_first_at;   /* unix time of the window's first row       */
} dln_store_counts;

/* One registered sweep (dln_store_sweeps_list). */
typedef struct dln_store_sweep_info {
    long id;
    char name[256];           /* truncated if longer                       */
    char spec_hash[DLN_HASH_HEX];
    long ntasks;
} dln_store_sweep_info;

/* The single-writer lease as stored (dln_store_lease_get). */
typedef struct dln_store_lease_info {
    int held;                 /* 0: no lease row, other fields empty       */
    char owner[256];
    char host[64];
    long pid;
    char slurm_job_id[64];    /* "" outside Slurm                          */
    double acquired_at;       /* unix time                                 */
    double heartbeat;         /* unix time of the last heartbeat           */
    char pid_start[64];       /* "BOOT_ID/START_TICKS" of pid ("" unknown) */
} dln_store_lease_info;

/* Open the DB at path, creating it when missing (atomically: a complete
 * file appears at path or none).  Every open checks the file first and
 * refuses, returning 2 with a one-line message naming path and leaving the
 * file byte-identical: not SQLite, truncated, foreign schema, newer schema
 * version, a symbolic link to nothing, and for writable opens a file that
 * fails PRAGMA quick_check (damaged) or cannot be written.  A hot rollback
 * journal a crash left is rolled back first (SQLite's own recovery).  1 is
 * an internal failure.  A writable handle writes nothing until its first
 * write transaction (dln_store_lease_acquire for writers), which switches
 * the file to WAL, migrates it and reinstalls the views, so a command
 * refused before that leaves the file byte-identical.  An empty file counts
 * as a new DB. READONLY opens work while another process writes. Not
 * collective; caller owns *out. */
int dln_store_create(const char *path, int flags, dln_store **out,
                     char *err, size_t errlen);

/* PRAGMA quick_check of the open DB (every page read once): 0 intact, 2
 * damaged (message in err), 1 the check could not run. */
int dln_store_verify(dln_store *s, char *err, size_t errlen);

/* 1 if an error of this handle said the file is damaged (SQLite reported
 * corruption), else 0. */
int dln_store_damaged(const dln_store *s);

/* Commit any open batch, close, and set *s = NULL; accepts NULL. */
void dln_store_destroy(dln_store **s);

/* Open / commit a write batch (BEGIN IMMEDIATE ... COMMIT); return 0 or 1.
 * begin while a batch is open, or commit with none open, is a no-op. */
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

/* What a sweep finds for one of its tasks (dln_store_claim). */
typedef enum dln_claim {
    DLN_CLAIM_TODO = 0,       /* no row: run it                            */
    DLN_CLAIM_DONE,           /* a row: done (membership recorded)         */
    DLN_CLAIM_RETRY,          /* a row whose regime is to be retried: run
                                 it again, replacing the row              */
    DLN_CLAIM_EXHAUSTED       /* to run or retry, but started max_attempts
                                 times already: left alone                */
} dln_claim;

/* Sweep sweep_id's task t: is it done?  When t has a row, records that
 * the sweep contains it (table sweep_tasks, idempotent; not for
 * sweep_id <= 0).  retry: a mask of (1u << regime) whose rows count as
 * to run again; max_attempts > 0: tasks started that often (table
 * attempts) are EXHAUSTED instead.  Returns 0 with *out, 2 with
 * dln_store_errmsg on a cell-hash collision (the row of t's key holds
 * other parameters), 1 on a database failure.  Writes only membership;
 * call it inside a batch for speed.  Not collective. */
int dln_store_claim(dln_store *s, long sweep_id, const dln_task *t,
                    unsigned retry, int max_attempts, dln_claim *out);

/* 1 if s holds a run that sweep sweep_id does not contain (table
 * sweep_tasks), 0 if every run is that sweep's, <0 on error.  Reads only;
 * not collective. */
int dln_store_has_foreign_runs(dln_store *s, long sweep_id);

/* Label of the run (cell_hash, seed_index): its regime and period (0 when
 * NULL). 1 found, 0 not found, <0 on error. Not collective. */
int dln_store_label(dln_store *s, const char *cell_hash, int seed_index,
                    dln_regime *regime, int *period);

/* Insert one run with its trajectory, orbit and Hessian spectrum (inside the
 * current batch if one is open, else in its own transaction; all or
 * nothing). replace != 0 overwrites an existing row (used by `single`);
 * otherwise an existing row is kept and 0 returned. Computes s1, s2,
 * eos_ratio and n_oscillating_theory; non-finite doubles become NULL.
 * Returns 0 or 1. */
int dln_store_put_run(dln_store *s, const dln_task *t, const dln_result *r,
                      const dln_provenance *prov, int replace);

/* Count one more start of task (cell_hash, seed_index) and return its
 * number in *attempt: 1 for the first start (table attempts, written by
 * the sweep coordinator when it hands a task out; inside the current batch
 * if one is open, else in its own transaction). Returns 0 or 1. */
int dln_store_attempt_start(dln_store *s, const char *cell_hash,
                            int seed_index, int *attempt);

/* Starts of task (cell_hash, seed_index) counted so far into *n (0 if
 * never started).  Returns 0 or 1.  Not collective. */
int dln_store_attempt_count(dln_store *s, const char *cell_hash,
                            int seed_index, int *n);

/* Fill counts for sweep_id (0 = all rows, -1 = rows in no sweep, e.g.
 * `single`'s; > 0 the rows that sweep contains, table sweep_tasks). The rate window is the last 200 rows. Returns 0 or 1. */
int dln_store_counts_get(dln_store *s, long sweep_id, dln_store_counts *c);

/* done / total in [0, 1] (0 if total is unknown; a refining sweep's
 * total grows by rounds); pure. */
double dln_store_counts_fraction(const dln_store_counts *c);

/* Runs per second over the rate window, 0 if unknown (pure). */
double dln_store_counts_rate(const dln_store_counts *c);

/* One status line "sweep NAME: 24/40 done (60.0%), 3.1 runs/s, ETA 5s,
 * 0.52 s/run | converged 10, periodic 8" into buf (pure; truncates). */
void dln_store_counts_format(const dln_store_counts *c, const char *name,
                             char *buf, size_t len);

/* All registered sweeps by id into a malloc'ed *out (caller frees) of *n
 * entries. Returns 0 or 1. */
int dln_store_sweeps_list(dln_store *s, dln_store_sweep_info **out, int *n);

/* Take the single-writer lease for owner (e.g. "slurm:1234@host:pid").
 * A live lease of another owner (heartbeat younger than stale_s, holder
 * not certainly gone: dln_store_lease_holder_gone) makes it return 2 with
 * a message naming the holder, before this handle's first write (the file
 * stays byte-identical); a stale one is taken over.  Re-acquiring one's
 * own lease refreshes it. Not inside a batch. */
int dln_store_lease_acquire(dln_store *s, const char *owner, double stale_s,
                            char *err, size_t errlen);
/* Refresh the heartbeat; 0, 2 if owner no longer holds the lease, 1. */
int dln_store_lease_heartbeat(dln_store *s, const char *owner);
/* Drop the lease if owner holds it; 0 or 1. */
int dln_store_lease_release(dln_store *s, const char *owner);
/* Read the lease row into info (info->held = 0 if none); 0 or 1. */
int dln_store_lease_get(dln_store *s, dln_store_lease_info *info);
/* 1 if the holder of lease l is certainly gone: a process of this host
 * that no longer runs (or a zombie), or whose pid now belongs to a process
 * started later (pid_start differs), or an earlier run of this requeued
 * Slurm job (same SLURM_JOB_ID, SLURM_RESTART_COUNT > 0).  Reads /proc
 * and the environment; not collective. */
int dln_store_lease_holder_gone(const dln_store_lease_info *l);

/* Consistent copy of the DB to dest with the SQLite backup API, stepped in
 * chunks inside one read transaction (safe while a sweep writes; commits
 * this handle's open batch first). Written to a temporary file beside dest,
 * checked (PRAGMA quick_check: a damaged source is refused) and renamed
 * over it.  Refuses (2) a dest that is the source itself (by any name) or
 * anything but an earlier snapshot: not a dlnsweep database, or a working
 * database (WAL mode, a lease, a -wal file: replacing it under a writer
 * would corrupt it).  The copy is a single file (rollback journal).
 * Returns 0, 1 or 2 with a message. */
int dln_store_snapshot(dln_store *s, const char *dest, char *err,
                       size_t errlen);

/* Copy sweeps, runs (with trajectories, orbits, spectra; new run ids) and
 * continuations (with their located points) from the dlnsweep DB at
 * src_path into s, skipping (cell_hash, seed_index) already present; one
 * transaction. A sweep name present in both with different spec hashes is
 * an error (2). *copied and *skipped receive run counts (may be NULL).
 * Returns 0, 1 or 2 with err.  Checking the inputs beforehand
 * (dln_store_verify, dln_store_sweeps_list) is the caller's. */
int dln_store_merge(dln_store *s, const char *src_path, long *copied,
                    long *skipped, char *err, size_t errlen);

/* A continuation task (refine: {method: continuation}): how it was set. */
typedef struct dln_store_contin_info {
    int period;              /* the start orbit's period                     */
    int direction;           /* +1 up in eta first, -1 down                  */
    double eta_lo, eta_hi;   /* the range followed                           */
    int max_period;          /* longest cycle followed                       */
    const char *status;      /* how it ended ("done", "max-period", ...)     */
} dln_store_contin_info;

/* 1 if a continuation started at run (cell_hash, seed_index) is stored, 0
 * if not, <0 on error. Not collective. */
int dln_store_has_continuation(dln_store *s, const char *cell_hash,
                               int seed_index);

/* Store one continuation started at t's cell (row in continuations) and the
 * points it located (r->located into located_points, in order), in the
 * current batch or its own transaction, all or nothing; an existing row
 * for (cell_hash, seed_index) is kept. Returns 0 or 1. */
int dln_store_put_continuation(dln_store *s, const dln_task *t,
                               const dln_store_contin_info *c,
                               const dln_result *r,
                               const dln_provenance *prov);

/* What dln_store_forget found (and removed unless dry_run). */
#define DLN_FORGET_MAX_SWEEPS 32
typedef struct dln_store_forget_info {
    long runs;                                  /* matching runs          */
    long per_regime[DLN_REGIME_ERROR + 1];
    int nsweeps;                                /* sweeps containing them */
    char sweep[DLN_FORGET_MAX_SWEEPS][256];     /* (first 32, by id)      */
    long sweep_runs[DLN_FORGET_MAX_SWEEPS];
} dln_store_forget_info;

/* Delete the runs matching `where` (an SQL expression on the columns of
 * runs, evaluated inside dlnsweep's own SELECT under a read-only
 * authorizer: one expression, no statements) and, when sweep is not
 * NULL, contained in that sweep; with their children, memberships and
 * attempt counts, in one transaction (the caller holds the writer lease).
 * dry_run: only count (works on a read-only handle).  Returns 0 with
 * *info, 2 with dln_store_errmsg (SQLite's message on a bad expression,
 * unknown sweep; nothing written), 1 on a database failure. */
int dln_store_forget(dln_store *s, const char *sweep, const char *where,
                     int dry_run, dln_store_forget_info *info);

/* 1 if paths a and b name the same existing file (through symbolic or
 * hard links too), else 0.  Not collective. */
int dln_store_same_file(const char *a, const char *b);

/* Path the store was opened with (borrowed). */
const char *dln_store_path(const dln_store *s);

/* Last error message (borrowed). */
const char *dln_store_errmsg(const dln_store *s);

#endif
