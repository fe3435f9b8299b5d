/* store_schema.c — the database schema: the latest tables, the columns of
 * runs, and the steps that migrate an older file in place.
 *
 * To change the schema: bump DLN_STORE_SCHEMA_VERSION (store.h), change
 * dln_store_schema_sql so a fresh file gets the new layout, and append one
 * step to `migrations` that brings a file of the previous version to the
 * new one (run inside the schema transaction, before the latest schema's
 * IF NOT EXISTS statements and the views).  README "Database schema"
 * documents every table and column. */
#include <stdio.h>
#include "store_internal.h"

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
    " regime TEXT NOT NULL CHECK(regime IN ('converged','periodic',"
    "  'chaotic','divergent','collapsed','unresolved','error')),"
    " period INTEGER, final_loss REAL, sharpness REAL, eos_ratio REAL,"
    " lyapunov REAL, diverge_step INTEGER, steps_done INTEGER,"
    " balance_gap REAL, balance_gaps TEXT, offdiag_mass REAL,"
    " n_oscillating INTEGER, n_oscillating_theory INTEGER, sv_product TEXT, sv_layers TEXT,"
    " hessian_top TEXT, n_hessian_above_eos INTEGER, error TEXT,"
    " wall_s REAL, git_hash TEXT, host TEXT, mpi_rank INTEGER,"
    " attempt INTEGER, created_at TEXT NOT NULL, dlnsweep_version TEXT,"
    " UNIQUE(cell_hash, seed_index));"
    "CREATE INDEX IF NOT EXISTS runs_sweep ON runs(sweep_id);"
    "CREATE INDEX IF NOT EXISTS runs_eta ON runs(eta);"
    "CREATE INDEX IF NOT EXISTS runs_regime ON runs(regime);"
    "CREATE TABLE IF NOT EXISTS trajectories("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " step INTEGER NOT NULL, loss REAL, sharpness REAL, sv1 REAL, sv2 REAL,"
    " balance_gap REAL, offdiag_mass REAL, n_oscillating INTEGER,"
    " PRIMARY KEY(run_id, step)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS orbits("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " k INTEGER NOT NULL, sv1 REAL, loss REAL,"
    " PRIMARY KEY(run_id, k)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS hessian_spectra("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " k INTEGER NOT NULL, value REAL,"
    " PRIMARY KEY(run_id, k)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS attempts("
    " cell_hash TEXT NOT NULL, seed_index INTEGER NOT NULL,"
    " n INTEGER NOT NULL, PRIMARY KEY(cell_hash, seed_index)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS lease("
    " id INTEGER PRIMARY KEY CHECK(id = 1),"
    " owner TEXT NOT NULL, host TEXT, pid INTEGER, slurm_job_id TEXT,"
    " acquired_at REAL NOT NULL, heartbeat REAL NOT NULL);";

const char *const dln_store_run_columns[] = {
    "sweep_id", "cell_hash", "seed_index", "eta", "depth", "width", "d_in",
    "d_out", "rank", "spectrum", "s1", "s2", "rotate", "init", "alpha",
    "steps", "seed", "record_every", "sharpness_every", "max_period",
    "lanczos_iters", "top_k", "tail", "period_tol", "diverge_bound",
    "lyapunov_steps", "full_spectrum", "regime", "period", "final_loss",
    "sharpness", "eos_ratio", "lyapunov", "diverge_step", "steps_done",
    "balance_gap", "balance_gaps", "offdiag_mass", "n_oscillating",
    "n_oscillating_theory",
    "sv_product", "sv_layers", "hessian_top", "n_hessian_above_eos",
    "error", "wall_s", "git_hash", "host", "mpi_rank", "attempt",
    "created_at", "dlnsweep_version"};
const int dln_store_n_run_columns =
    (int)(sizeof dln_store_run_columns / sizeof dln_store_run_columns[0]);

/* Step i brings a database of version migrations[i].to - 1 to .to. */
static const struct migration {
    int to;              /* version after the step                         */
    const char *sql;     /* statements, run in the schema transaction      */
} migrations[] = {
    /* 2: runs gained balance_gaps (the gap of every adjacent layer pair) */
    {2, "ALTER TABLE runs ADD COLUMN balance_gaps TEXT"},
};

int dln_store_migrate(dln_store *s, int version)
{
    for (size_t i = 0; i < sizeof migrations / sizeof migrations[0]; i++) {
        if (migrations[i].to <= version)
            continue;
        if (dln_store_exec(s, migrations[i].sql)) {
            char m[sizeof s->msg];
            snprintf(m, sizeof m, "%s", s->msg);
            snprintf(s->msg, sizeof s->msg, "migrating to schema version "
                     "%d: %.400s", migrations[i].to, m);
            return 1;
        }
    }
    return 0;
}
