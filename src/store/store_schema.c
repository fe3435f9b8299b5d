/* store_schema.c — the database schema: the latest tables and the steps
 * that migrate an older file in place.  (The columns a run writes, one per
 * parameter of paramdefs.h plus its result, are store_run.c's; test_store
 * checks that runs has every one.)
 *
 * To change the schema: bump DLN_STORE_SCHEMA_VERSION (store.h), change
 * dln_store_schema_sql so a fresh file gets the new layout (a new runs
 * column goes last, where ALTER TABLE puts it in an old file), and append
 * one step to `migrations` that brings a file of the previous version to
 * the new one (run inside the schema transaction, before the latest
 * schema's IF NOT EXISTS statements and the views).  docs/schema.md
 * documents every table and column. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store_internal.h"

/* Continuations and their located points (schema version 4): the latest
 * schema and the migration step share these statements. */
#define CONTINUATION_TABLES_SQL \
    "CREATE TABLE IF NOT EXISTS continuations(" \
    " id INTEGER PRIMARY KEY," \
    " sweep_id INTEGER REFERENCES sweeps(id) ON DELETE SET NULL," \
    " cell_hash TEXT NOT NULL, seed_index INTEGER NOT NULL," \
    " eta REAL NOT NULL, period INTEGER, direction INTEGER," \
    " eta_lo REAL, eta_hi REAL, max_period INTEGER, status TEXT," \
    " steps INTEGER, n_points INTEGER, error TEXT, wall_s REAL," \
    " git_hash TEXT, host TEXT, created_at TEXT NOT NULL," \
    " UNIQUE(cell_hash, seed_index));" \
    "CREATE TABLE IF NOT EXISTS located_points(" \
    " continuation_id INTEGER NOT NULL REFERENCES continuations(id)" \
    "  ON DELETE CASCADE," \
    " k INTEGER NOT NULL," \
    " kind TEXT NOT NULL CHECK(kind IN ('flip','fold','mode-flip'))," \
    " eta REAL NOT NULL, period_from INTEGER, period_to INTEGER," \
    " subperiod INTEGER, multiplier REAL, residual REAL, test REAL," \
    " PRIMARY KEY(continuation_id, k)) WITHOUT ROWID;"

/* The regimes runs.regime accepts (result.h's names). */
#define DLN_REGIME_CHECK                                                     \
    "CHECK(regime IN ('converged','periodic','quasiperiodic','chaotic',"   \
    "'unresolved','saddle','collapsed','divergent','error'))"

/* The per-step detail of trajectory points (record_detail; schema version
 * 7), a table of its own: six more columns in trajectories cost every
 * run ~10% of the writer's time whether it records them or not. */
#define POINT_DETAILS_SQL \
    "CREATE TABLE IF NOT EXISTS point_details(" \
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE," \
    " step INTEGER NOT NULL, modes TEXT, sv TEXT, hessian TEXT," \
    " layer_sv TEXT, balance_gaps TEXT, mode_gaps TEXT," \
    " PRIMARY KEY(run_id, step)) WITHOUT ROWID;"

/* Version 8: a run deleted by any client (the sqlite3 shell runs with
 * foreign keys off) takes its child rows along and records its id, which
 * dln_store_next_run_id never hands out again. */
/* (the child tables of version 6, when its migration runs first) */
#define ORPHANS_SQL                                                          \
    "DELETE FROM trajectories WHERE run_id NOT IN (SELECT id FROM runs);"    \
    "DELETE FROM orbits WHERE run_id NOT IN (SELECT id FROM runs);"          \
    "DELETE FROM hessian_spectra WHERE run_id NOT IN (SELECT id FROM runs);"
#define RUN_DELETES_SQL                                                      \
    "CREATE TABLE IF NOT EXISTS retired_run_ids("                            \
    " id INTEGER PRIMARY KEY CHECK(id = 1), max_id INTEGER NOT NULL);"       \
    "CREATE TRIGGER IF NOT EXISTS runs_deleted AFTER DELETE ON runs BEGIN"   \
    " DELETE FROM trajectories WHERE run_id = OLD.id;"                       \
    " DELETE FROM orbits WHERE run_id = OLD.id;"                             \
    " DELETE FROM hessian_spectra WHERE run_id = OLD.id;"                    \
    " DELETE FROM point_details WHERE run_id = OLD.id;"                      \
    " INSERT INTO retired_run_ids(id, max_id) VALUES (1, OLD.id)"            \
    "  ON CONFLICT(id) DO UPDATE SET max_id = max(max_id, excluded.max_id);" \
    " END;"

/* The latest schema (DLN_STORE_SCHEMA_VERSION).  Every statement is
 * idempotent (IF NOT EXISTS), so it also completes an interrupted creation. */
const char dln_store_schema_sql[] =
    "CREATE TABLE IF NOT EXISTS sweeps("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE,"
    " spec_hash TEXT NOT NULL,"
    " spec_text TEXT,"
    " ntasks INTEGER NOT NULL DEFAULT 0,"
    " created_at TEXT NOT NULL,"
    " updated_at TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS runs("
    " id INTEGER PRIMARY KEY,"
    " sweep_id INTEGER REFERENCES sweeps(id) ON DELETE SET NULL,"
    " cell_hash TEXT NOT NULL,"
    " seed_index INTEGER NOT NULL,"
    " eta REAL NOT NULL, depth INTEGER NOT NULL, width INTEGER NOT NULL,"
    " d_in INTEGER, d_out INTEGER, rank INTEGER, spectrum TEXT,"
    " s1 REAL, s2 REAL, rotate INTEGER, init TEXT, alpha REAL,"
    " steps INTEGER, seed INTEGER, record_every INTEGER,"
    " sharpness_every INTEGER, max_period INTEGER, lanczos_iters INTEGER,"
    " top_k INTEGER, tail INTEGER, period_tol REAL, diverge_bound REAL,"
    " lyapunov_steps INTEGER, full_spectrum INTEGER,"
    " regime TEXT NOT NULL " DLN_REGIME_CHECK ","
    " period INTEGER, final_loss REAL, sharpness REAL, eos_ratio REAL,"
    " lyapunov REAL, diverge_step INTEGER, steps_done INTEGER,"
    " balance_gap REAL, balance_gaps TEXT, offdiag_mass REAL,"
    " n_oscillating INTEGER, n_oscillating_theory INTEGER, sv_product TEXT, sv_layers TEXT,"
    " hessian_top TEXT, n_hessian_above_eos INTEGER, error TEXT,"
    " wall_s REAL, git_hash TEXT, host TEXT, mpi_rank INTEGER,"
    " attempt INTEGER, created_at TEXT NOT NULL, dlnsweep_version TEXT,"
    " transient_window INTEGER, times_edge REAL,"
    " lyapunov_k INTEGER, lyapunov_tol REAL, lyapunov_max_steps INTEGER,"
    " transverse_max INTEGER, reason TEXT, lyapunov_err REAL,"
    " lyapunov_spectrum TEXT, lyapunov_spectrum_err TEXT,"
    " lyapunov_steps_done INTEGER, lyapunov_inset REAL,"
    " lyapunov_inset_err REAL, lyapunov_transverse REAL,"
    " lyapunov_transverse_err REAL, floquet TEXT, floquet_max REAL,"
    " floquet_inset_max REAL, floquet_transverse_max REAL,"
    " transverse_stable INTEGER, in_set INTEGER, set_defect REAL,"
    " n_collapsed INTEGER, mode_regimes TEXT,"
    " alpha_layers TEXT, init_diag TEXT, init_file TEXT,"
    " orbit_hessian INTEGER, record_from INTEGER, record_detail INTEGER,"
    " lanczos_basis INTEGER,"
    " UNIQUE(cell_hash, seed_index));"
    "CREATE INDEX IF NOT EXISTS runs_sweep ON runs(sweep_id);"
    "CREATE INDEX IF NOT EXISTS runs_eta ON runs(eta);"
    "CREATE INDEX IF NOT EXISTS runs_regime ON runs(regime);"
    "CREATE TABLE IF NOT EXISTS trajectories("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " step INTEGER NOT NULL, loss REAL, sharpness REAL, sv1 REAL, sv2 REAL,"
    " balance_gap REAL, offdiag_mass REAL, n_oscillating INTEGER,"
    " PRIMARY KEY(run_id, step)) WITHOUT ROWID;"
    POINT_DETAILS_SQL
    "CREATE TABLE IF NOT EXISTS orbits("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " k INTEGER NOT NULL, sv1 REAL, loss REAL,"
    " step INTEGER, modes TEXT, sv TEXT, hessian TEXT, layer_sv TEXT,"
    " balance_gaps TEXT, mode_gaps TEXT,"
    " PRIMARY KEY(run_id, k)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS hessian_spectra("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " k INTEGER NOT NULL, value REAL,"
    " PRIMARY KEY(run_id, k)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS attempts("
    " cell_hash TEXT NOT NULL, seed_index INTEGER NOT NULL,"
    " n INTEGER NOT NULL, PRIMARY KEY(cell_hash, seed_index)) WITHOUT ROWID;"
    CONTINUATION_TABLES_SQL
    "CREATE TABLE IF NOT EXISTS lease("
    " id INTEGER PRIMARY KEY CHECK(id = 1),"
    " owner TEXT NOT NULL, host TEXT, pid INTEGER, slurm_job_id TEXT,"
    " acquired_at REAL NOT NULL, heartbeat REAL NOT NULL, pid_start TEXT);"
    DLN_STORE_MEMBERS_SQL
    RUN_DELETES_SQL;

static int rebuild_runs_check(dln_store *s);

/* Step i brings a database of version migrations[i].to - 1 to .to: either
 * statements, a function, or one column added to a table (skipped when
 * the file has it already, so a step never fails on a file another step
 * completed). */
static const struct migration {
    int to;              /* version after the step                         */
    const char *sql;     /* statements, run in the schema transaction      */
    int (*run)(dln_store *s);            /* or: a function (0, 1 + msg)     */
    const char *table, *column, *decl;   /* or: ADD COLUMN column decl      */
} migrations[] = {
    /* 2: runs gained balance_gaps (the gap of every adjacent layer pair) */
    {2, NULL, NULL, "runs", "balance_gaps", "TEXT"},
    /* 3: runs gained transient_window (a parameter since version 2; NULL
     * in the rows written before) */
    {3, NULL, NULL, "runs", "transient_window", "INTEGER"},
    /* 4: continuations and the bifurcation points they located (refine:
     * {method: continuation}); the same statements as the latest schema */
    {4, CONTINUATION_TABLES_SQL, NULL, NULL, NULL, NULL},
    /* 5: sweep membership (one run serves every sweep that contains its
     * task) and the history of accepted specs; a run's sweep_id becomes
     * its first membership, a sweep's spec its first history entry */
    {5, DLN_STORE_MEMBERS_SQL
        "INSERT OR IGNORE INTO sweep_tasks(sweep_id, cell_hash, seed_index)"
        " SELECT sweep_id, cell_hash, seed_index FROM runs"
        " WHERE sweep_id IN (SELECT id FROM sweeps);"
        "INSERT INTO sweep_specs(sweep_id, spec_hash, spec_text, ntasks,"
        " accepted_at) SELECT id, spec_hash, spec_text, ntasks, updated_at"
        " FROM sweeps WHERE id NOT IN (SELECT sweep_id FROM sweep_specs);",
     NULL, NULL, NULL, NULL},
    /* 5: runs gained times_edge (eta in units of the edge of stability,
     * when the job gave it so) */
    {5, NULL, NULL, "runs", "times_edge", "REAL"},
    /* 6: regimes saddle and quasiperiodic (the CHECK, rebuilt), the
     * Lyapunov parameters, and the end-of-run dynamics of every run (NULL
     * in the rows written before) */
    /* (the child rows of runs deleted by hand go first: the rebuild's
     * foreign_key_check would refuse them and strand the file) */
    {6, ORPHANS_SQL, NULL, NULL, NULL, NULL},
    {6, NULL, rebuild_runs_check, NULL, NULL, NULL},
    {6, NULL, NULL, "runs", "lyapunov_k", "INTEGER"},
    {6, NULL, NULL, "runs", "lyapunov_tol", "REAL"},
    {6, NULL, NULL, "runs", "lyapunov_max_steps", "INTEGER"},
    {6, NULL, NULL, "runs", "transverse_max", "INTEGER"},
    {6, NULL, NULL, "runs", "reason", "TEXT"},
    {6, NULL, NULL, "runs", "lyapunov_err", "REAL"},
    {6, NULL, NULL, "runs", "lyapunov_spectrum", "TEXT"},
    {6, NULL, NULL, "runs", "lyapunov_spectrum_err", "TEXT"},
    {6, NULL, NULL, "runs", "lyapunov_steps_done", "INTEGER"},
    {6, NULL, NULL, "runs", "lyapunov_inset", "REAL"},
    {6, NULL, NULL, "runs", "lyapunov_inset_err", "REAL"},
    {6, NULL, NULL, "runs", "lyapunov_transverse", "REAL"},
    {6, NULL, NULL, "runs", "lyapunov_transverse_err", "REAL"},
    {6, NULL, NULL, "runs", "floquet", "TEXT"},
    {6, NULL, NULL, "runs", "floquet_max", "REAL"},
    {6, NULL, NULL, "runs", "floquet_inset_max", "REAL"},
    {6, NULL, NULL, "runs", "floquet_transverse_max", "REAL"},
    {6, NULL, NULL, "runs", "transverse_stable", "INTEGER"},
    {6, NULL, NULL, "runs", "in_set", "INTEGER"},
    {6, NULL, NULL, "runs", "set_defect", "REAL"},
    {6, NULL, NULL, "runs", "n_collapsed", "INTEGER"},
    {6, NULL, NULL, "runs", "mode_regimes", "TEXT"},
    /* 7: the explicit inits and per-step recording parameters in runs;
     * the per-step detail (JSON arrays) in orbits, with each late-orbit
     * point's step, and in point_details for trajectory points */
    {7, NULL, NULL, "runs", "alpha_layers", "TEXT"},
    {7, NULL, NULL, "runs", "init_diag", "TEXT"},
    {7, NULL, NULL, "runs", "init_file", "TEXT"},
    {7, NULL, NULL, "runs", "orbit_hessian", "INTEGER"},
    {7, NULL, NULL, "runs", "record_from", "INTEGER"},
    {7, NULL, NULL, "runs", "record_detail", "INTEGER"},
    {7, NULL, NULL, "orbits", "step", "INTEGER"},
    {7, NULL, NULL, "orbits", "modes", "TEXT"},
    {7, NULL, NULL, "orbits", "sv", "TEXT"},
    {7, NULL, NULL, "orbits", "hessian", "TEXT"},
    {7, NULL, NULL, "orbits", "layer_sv", "TEXT"},
    {7, NULL, NULL, "orbits", "balance_gaps", "TEXT"},
    {7, NULL, NULL, "orbits", "mode_gaps", "TEXT"},
    {7, POINT_DETAILS_SQL, NULL, NULL, NULL, NULL},
    /* 8: the lease records its holder's process start (a reused pid is not
     * the holder); runs deleted by hand: their orphaned child rows go, and
     * later deletes cascade by trigger and retire their ids */
    {8, NULL, NULL, "lease", "pid_start", "TEXT"},
    {8, ORPHANS_SQL
        "DELETE FROM point_details WHERE run_id NOT IN (SELECT id FROM runs);"
        RUN_DELETES_SQL, NULL, NULL, NULL, NULL},
    /* 9: the Lanczos basis cap (NULL in older rows: no cap) */
    {9, NULL, NULL, "runs", "lanczos_basis", "INTEGER"},
};

int dln_store_has_column(dln_store *s, const char *table,
                         const char *column)
{
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM pragma_table_info(?1) "
                           "WHERE name = ?2", -1, &st, NULL) != SQLITE_OK) {
        dln_store_fail(s, "table_info");
        return -1;
    }
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, column, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW || step == SQLITE_DONE)
        rc = step == SQLITE_ROW;
    else
        dln_store_fail(s, "table_info");
    sqlite3_finalize(st);
    return rc;
}

/* One text value of a query with no parameters into a malloc'ed *out
 * (NULL when there is no row). 0, or 1 with s->msg set. */
static int query_text(dln_store *s, const char *sql, char **out)
{
    sqlite3_stmt *st = NULL;
    int rc = 1;
    *out = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        dln_store_fail(s, "read schema");
        return 1;
    }
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        if (t && !(*out = strdup(t)))
            snprintf(s->msg, sizeof s->msg, "%s: out of memory", s->path);
        else
            rc = 0;
    } else if (step == SQLITE_DONE)
        rc = 0;
    else
        dln_store_fail(s, "read schema");
    sqlite3_finalize(st);
    return rc;
}

/* The runs definition `def` as new_runs with the regime CHECK of
 * DLN_REGIME_CHECK, into a malloc'ed *out; NULL when def has that CHECK
 * already. 0, or 1 with s->msg set (no regime CHECK found). */
static int new_runs_sql(dln_store *s, const char *def, char **out)
{
    static const char head[] = "CREATE TABLE runs(", check[] = "CHECK(regime";
    const char *c = strstr(def, check), *end = c ? strstr(c, "))") : NULL;
    *out = NULL;
    if (strstr(def, "'quasiperiodic'"))
        return 0;
    if (strncmp(def, head, sizeof head - 1) || !end) {
        snprintf(s->msg, sizeof s->msg, "%s: runs has no regime CHECK of a "
                 "dlnsweep schema", s->path);
        return 1;
    }
    size_t n = strlen(def) + sizeof DLN_REGIME_CHECK + 16;
    if (!(*out = malloc(n))) {
        snprintf(s->msg, sizeof s->msg, "%s: out of memory", s->path);
        return 1;
    }
    snprintf(*out, n, "CREATE TABLE new_runs(%.*s%s%s",
             (int)(c - def - (sizeof head - 1)), def + sizeof head - 1,
             DLN_REGIME_CHECK, end + 2);
    return 0;
}

/* Rebuild runs so that its regime CHECK is DLN_REGIME_CHECK: SQLite
 * cannot alter a CHECK, so this is the procedure of
 * https://www.sqlite.org/lang_altertable.html ("Making Other Kinds Of
 * Table Schema Changes"), inside the schema transaction with foreign keys
 * off (store.c): new_runs from runs' own definition with the new CHECK,
 * every row copied with its id (the children's run_id stay valid), runs
 * dropped (its indexes with it; the latest schema makes them again),
 * new_runs renamed, then PRAGMA foreign_key_check.  Views naming runs are
 * dropped first (the rename would check them; install_views makes them
 * again). 0, or 1 with s->msg set. */
static int rebuild_runs_check(dln_store *s)
{
    char *def = NULL, *sql = NULL, *bad = NULL;
    int rc = 1;
    if (query_text(s, "SELECT sql FROM sqlite_master WHERE type = 'table' "
                      "AND name = 'runs'", &def))
        goto cleanup;
    if (!def) {   /* no runs yet: the latest schema makes it */
        rc = 0;
        goto cleanup;
    }
    if (new_runs_sql(s, def, &sql))
        goto cleanup;
    if (!sql) {   /* the file has the CHECK already */
        rc = 0;
        goto cleanup;
    }
    if (dln_store_drop_views(s) || dln_store_exec(s, sql) ||
        dln_store_exec(s, "INSERT INTO new_runs SELECT * FROM runs;"
                          "DROP TABLE runs;"
                          "ALTER TABLE new_runs RENAME TO runs") ||
        query_text(s, "SELECT \"table\" FROM pragma_foreign_key_check",
                   &bad))
        goto cleanup;
    if (bad) {
        snprintf(s->msg, sizeof s->msg, "%s: rebuilding runs left a "
                 "dangling reference in %s", s->path, bad);
        goto cleanup;
    }
    rc = 0;
cleanup:
    free(def);
    free(sql);
    free(bad);
    return rc;
}

/* Run step m; 0 or 1 with s->msg set. */
static int migrate_step(dln_store *s, const struct migration *m)
{
    char sql[256];
    if (m->sql)
        return dln_store_exec(s, m->sql);
    if (m->run)
        return m->run(s);
    int has = dln_store_has_column(s, m->table, m->column);
    if (has)
        return has < 0;
    snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN %s %s", m->table,
             m->column, m->decl);
    return dln_store_exec(s, sql);
}

int dln_store_migrate(dln_store *s, int version)
{
    for (size_t i = 0; i < sizeof migrations / sizeof migrations[0]; i++) {
        if (migrations[i].to <= version)
            continue;
        if (migrate_step(s, &migrations[i])) {
            char m[sizeof s->msg];
            snprintf(m, sizeof m, "%s", s->msg);
            snprintf(s->msg, sizeof s->msg, "migrating to schema version "
                     "%d: %.400s", migrations[i].to, m);
            return 1;
        }
    }
    return 0;
}
