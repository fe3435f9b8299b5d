/* store_internal.h — what the store_*.c files share: the handle, the
 * prepared-statement cache, transactions, time, the file probe, creation
 * and integrity checks.
 * Private to src/store*.c (the only code that includes sqlite3.h). */
#ifndef DLNSWEEP_STORE_INTERNAL_H
#define DLNSWEEP_STORE_INTERNAL_H

#include <stddef.h>
#include <sqlite3.h>
#include "dlnsweep/store.h"

/* Slots of the prepared-statement cache: each statement is prepared on
 * first use and reused for the handle's lifetime. */
enum dln_store_stmt_id {
    DLN_ST_BEGIN, DLN_ST_COMMIT, DLN_ST_ROLLBACK,
    DLN_ST_SAVEPOINT, DLN_ST_RELEASE, DLN_ST_ROLLBACK_TO,
    DLN_ST_IS_DONE, DLN_ST_LABEL, DLN_ST_DELETE_RUN, DLN_ST_INSERT_RUN,
    DLN_ST_INSERT_TRAJ, DLN_ST_INSERT_ORBIT, DLN_ST_INSERT_SPEC,
    DLN_ST_INSERT_TRAJ_CHUNK, DLN_ST_INSERT_ORBIT_CHUNK,
    DLN_ST_INSERT_SPEC_CHUNK,
    DLN_ST_INSERT_POINT_DETAIL, DLN_ST_INSERT_POINT_DETAIL_CHUNK,
    DLN_ST_INSERT_ORBIT_DETAIL, DLN_ST_INSERT_ORBIT_DETAIL_CHUNK,
    DLN_ST_SWEEP_GET, DLN_ST_SWEEP_INSERT, DLN_ST_SWEEP_UPDATE,
    DLN_ST_SWEEP_LIST,
    DLN_ST_COUNT_TOTAL,                      /* 3 slots: one per filter */
    DLN_ST_COUNT_REGIME = DLN_ST_COUNT_TOTAL + 3,
    DLN_ST_COUNT_RECENT = DLN_ST_COUNT_REGIME + 3,
    DLN_ST_COUNT_TASKS = DLN_ST_COUNT_RECENT + 3,
    DLN_ST_LEASE_PUT, DLN_ST_LEASE_BEAT, DLN_ST_LEASE_DROP,
    DLN_ST_ATTEMPT, DLN_ST_ATTEMPT_COUNT, DLN_ST_NEXT_RUN_ID,
    DLN_ST_MEMBER_ADD, DLN_ST_MEMBER_DROP, DLN_ST_SPEC_ADD, DLN_ST_LOOKUP_RUN,
    DLN_ST_N
};

struct dln_store {
    sqlite3 *db;
    char *path;
    int readonly;
    int in_batch;                   /* dln_store_begin opened a transaction */
    /* A writable handle writes nothing until its first write transaction:
     * that one switches the file to WAL, migrates it and (re)installs the
     * schema and views, after every check of the caller (lease, job). */
    int schema_pending;             /* not yet installed by this handle    */
    int schema_in_txn;              /* installed in the open transaction   */
    int wrote;                      /* a write of this handle committed    */
    int damaged;                    /* an error said the file is corrupt   */
    sqlite3_int64 next_run_id;      /* dln_store_next_run_id; 0: look up   */
    sqlite3_stmt *st[DLN_ST_N];
    char msg[512];                  /* last error, for dln_store_errmsg    */
};

/* The embedded analysis/views.sql (generated at build time). */
extern const unsigned char dln_views_sql[];

/* The membership and spec-history tables (part of the latest schema and
 * of the migration step that added them). */
#define DLN_STORE_MEMBERS_SQL                                              \
    "CREATE TABLE IF NOT EXISTS sweep_tasks("                              \
    " sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,"  \
    " cell_hash TEXT NOT NULL, seed_index INTEGER NOT NULL,"               \
    " PRIMARY KEY(sweep_id, cell_hash, seed_index)) WITHOUT ROWID;"        \
    "CREATE INDEX IF NOT EXISTS sweep_tasks_task"                          \
    " ON sweep_tasks(cell_hash, seed_index);"                              \
    "CREATE TABLE IF NOT EXISTS sweep_specs("                              \
    " id INTEGER PRIMARY KEY,"                                             \
    " sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,"  \
    " spec_hash TEXT NOT NULL, spec_text TEXT,"                            \
    " ntasks INTEGER NOT NULL, accepted_at TEXT NOT NULL);"

/* The latest schema's statements (store_schema.c). */
extern const char dln_store_schema_sql[];

/* Drop every view of the database (install_views makes them again).
 * 0, or 1 with s->msg set. */
int dln_store_drop_views(dln_store *s);

/* Bring a database of schema version `version` (>= 1) to
 * DLN_STORE_SCHEMA_VERSION by the steps of store_schema.c; inside the
 * caller's schema transaction. 0, or 1 with s->msg set. */
int dln_store_migrate(dln_store *s, int version);

/* Column names of runs after id, in insert order (the key, every
 * parameter of paramdefs.h, then the result and provenance; see
 * store_run.c), into names[max]; returns their count, -1 if max is too
 * small. */
#define DLN_STORE_MAX_RUN_COLUMNS 160
int dln_store_run_columns(const char **names, int max);

/* 1 if table (of the main schema) has column, 0 if not, -1 with s->msg
 * set on error (store_schema.c). */
int dln_store_has_column(dln_store *s, const char *table,
                         const char *column);

/* Bind every parameter of t's params (paramdefs.h order, as the runs
 * columns store them) to st's parameters first, first + 1, ... */
void dln_store_bind_params(sqlite3_stmt *st, int first, const dln_task *t);

/* Membership and spec history (store_members.c).  member_add records
 * that sweep_id contains task (cell_hash, seed_index) (idempotent);
 * members_drop forgets every membership of sweep_id (a changed spec is
 * re-claimed task by task); spec_history_add appends an accepted spec.
 * Inside the caller's transaction; 0 or 1 with s->msg set. */
int dln_store_member_add(dln_store *s, long sweep_id, const char *cell_hash,
                         int seed_index);
int dln_store_members_drop(dln_store *s, long sweep_id);
int dln_store_spec_history_add(dln_store *s, long sweep_id,
                               const char *spec_hash, const char *spec_text,
                               long ntasks, const char *now);
/* A read-only handle on a file from before sweep_tasks: TEMP sweep_tasks and
 * sweep_specs from runs.sweep_id and sweeps (the file untouched); a no-op
 * on newer files.  0 or 1. */
int dln_store_members_compat(dln_store *s);
/* During a merge (src attached, temp.merge_sweeps filled): the input's
 * memberships (or, from an older input, its runs.sweep_id) and a history
 * entry for every sweep without one.  0 or 1. */
int dln_store_merge_members(dln_store *s);
/* The stored run of t's key: 0 none, 1 found with equal parameters, 2
 * found with different ones (a cell-hash collision; s->msg says so), -1
 * error; *id and *regime of the row when found. */
int dln_store_lookup_run(dln_store *s, const dln_task *t, long long *id,
                         dln_regime *regime);

/* Cached statement `id` with text sql, reset and unbound; NULL with s->msg
 * set on a prepare failure. */
sqlite3_stmt *dln_store_stmt(dln_store *s, int id, const char *sql);
/* The same, reset but keeping its bindings: only for a caller that binds
 * every parameter again (clearing ~90 of them cost a run's row ~1 us). */
sqlite3_stmt *dln_store_stmt_rebind(dln_store *s, int id, const char *sql);

/* Run sql (no results) with sqlite3_exec; 0, or 1 with s->msg set. */
int dln_store_exec(dln_store *s, const char *sql);

/* Step a statement that returns no rows; 0 or 1 with s->msg set. */
int dln_store_step_done(dln_store *s, sqlite3_stmt *st);

/* Set s->msg from the connection's error with a context prefix; returns 1. */
int dln_store_fail(dln_store *s, const char *what);

/* Open a write transaction unless a batch is open (*own says whether this
 * call opened it), installing the schema first if this handle has not
 * (see struct dln_store); 0, or 1 (2: the schema re-check under the write
 * lock refused the file) with s->msg set. */
int dln_store_txn_begin(dln_store *s, int *own);
/* The same without installing the schema: for checks that must refuse
 * before the first write (the lease); dln_store_schema_ensure then
 * installs it inside the transaction. */
int dln_store_txn_begin_bare(dln_store *s, int *own);
/* Install the schema in the open transaction if this handle has not yet;
 * 0, 1 or 2 with s->msg set. */
int dln_store_schema_ensure(dln_store *s);

/* The next runs.id: above every id in runs, every run_id of the child
 * tables and every id ever deleted (retired_run_ids), so a new run never
 * meets a hand-deleted run's orphan rows.  Looked up (one descent of six
 * primary-key indexes) at the first use in a transaction, then counted
 * up: put_run's INSERT takes it from the SQL function dln_next_run_id()
 * (registered on writable connections).  0 or 1 with s->msg set. */
int dln_store_next_run_id(dln_store *s, sqlite3_int64 *id);
/* Register dln_next_run_id() on s's connection; 0 or 1. */
int dln_store_register_run_ids(dln_store *s);
/* Finish what dln_store_txn_begin opened: commit if ok, else roll back
 * (inside a batch: nothing). Returns ok ? 0/1 from the commit : 1. */
int dln_store_txn_end(dln_store *s, int own, int ok);

/* Copy the attached `src` database's continuations and located points
 * not yet in main (merge; needs temp.merge_sweeps). Returns 0 or 1. */
int dln_store_merge_continuations(dln_store *s);

/* Unix time now, and its ISO-8601 UTC text "2024-05-01T12:00:00.123Z". */
double dln_store_now(void);
void dln_store_iso_time(double t, char buf[32]);

/* Classify the file at path without modifying it. Returns 0 when it can be
 * opened as a dlnsweep DB (*fresh = 1 when missing, empty, or an empty
 * SQLite DB: the schema must be created; *exists says whether the file
 * exists), 2 with a one-line message naming path otherwise (not SQLite,
 * truncated, foreign schema, newer version, missing with must_exist, a
 * symbolic link to nothing). */
int dln_store_probe(const char *path, int must_exist, int *fresh,
                    int *exists, char *err, size_t errlen);

/* Roll back a hot rollback journal (PATH-journal) that a crash left beside
 * path, as SQLite would on the next write, so that read-only opens work
 * again; files of another application are left alone.  0, or 2 with a
 * message when the rollback fails. */
int dln_store_recover_journal(const char *path, char *err, size_t errlen);

/* Create a complete, empty dlnsweep DB at the missing path atomically: it
 * is built beside path and hard-linked into place only once complete, so
 * a crash never leaves a half-made file at path and concurrent creators
 * never see one.  0 created, -1 another process created path first, 1 or
 * 2 with a message. */
int dln_store_create_file(const char *path, char *err, size_t errlen);

/* PRAGMA quick_check of db: 0 intact, 2 damaged (one-line message naming
 * path and the first problem), 1 the check could not run. */
int dln_store_integrity(sqlite3 *db, const char *path, char *err,
                        size_t errlen);

/* The schema of a fresh handle's file: WAL mode, then the schema, its
 * migration and the views in one transaction.  0, 1 or 2 with s->msg. */
int dln_store_install(dln_store *s);

#endif
