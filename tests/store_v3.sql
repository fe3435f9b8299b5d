-- store_v3.sql -- a schema-version-3 dlnsweep database (the layout of
-- src/store/store_schema.c before the regimes saddle and quasiperiodic and
-- the end-of-run dynamics columns), with two runs, their children and a
-- view naming runs: test_store's fixture for the in-place migration.
PRAGMA application_id = 1145851475;
PRAGMA user_version = 3;
CREATE TABLE IF NOT EXISTS sweeps( id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, spec_hash TEXT NOT NULL, spec_text TEXT, ntasks INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs( id INTEGER PRIMARY KEY, sweep_id INTEGER REFERENCES sweeps(id) ON DELETE SET NULL, cell_hash TEXT NOT NULL, seed_index INTEGER NOT NULL, eta REAL NOT NULL, depth INTEGER NOT NULL, width INTEGER NOT NULL, d_in INTEGER, d_out INTEGER, rank INTEGER, spectrum TEXT, s1 REAL, s2 REAL, rotate INTEGER, init TEXT, alpha REAL, steps INTEGER, seed INTEGER, record_every INTEGER, sharpness_every INTEGER, max_period INTEGER, lanczos_iters INTEGER, top_k INTEGER, tail INTEGER, period_tol REAL, diverge_bound REAL, lyapunov_steps INTEGER, full_spectrum INTEGER, regime TEXT NOT NULL CHECK(regime IN ('converged','periodic',  'chaotic','divergent','collapsed','unresolved','error')), period INTEGER, final_loss REAL, sharpness REAL, eos_ratio REAL, lyapunov REAL, diverge_step INTEGER, steps_done INTEGER, balance_gap REAL, balance_gaps TEXT, offdiag_mass REAL, n_oscillating INTEGER, n_oscillating_theory INTEGER, sv_product TEXT, sv_layers TEXT, hessian_top TEXT, n_hessian_above_eos INTEGER, error TEXT, wall_s REAL, git_hash TEXT, host TEXT, mpi_rank INTEGER, attempt INTEGER, created_at TEXT NOT NULL, dlnsweep_version TEXT, transient_window INTEGER, UNIQUE(cell_hash, seed_index));
CREATE INDEX IF NOT EXISTS runs_sweep ON runs(sweep_id);
CREATE INDEX IF NOT EXISTS runs_eta ON runs(eta);
CREATE INDEX IF NOT EXISTS runs_regime ON runs(regime);
CREATE TABLE IF NOT EXISTS trajectories( run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, step INTEGER NOT NULL, loss REAL, sharpness REAL, sv1 REAL, sv2 REAL, balance_gap REAL, offdiag_mass REAL, n_oscillating INTEGER, PRIMARY KEY(run_id, step)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS orbits( run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, k INTEGER NOT NULL, sv1 REAL, loss REAL, PRIMARY KEY(run_id, k)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS hessian_spectra( run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, k INTEGER NOT NULL, value REAL, PRIMARY KEY(run_id, k)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS attempts( cell_hash TEXT NOT NULL, seed_index INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY(cell_hash, seed_index)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS lease( id INTEGER PRIMARY KEY CHECK(id = 1), owner TEXT NOT NULL, host TEXT, pid INTEGER, slurm_job_id TEXT, acquired_at REAL NOT NULL, heartbeat REAL NOT NULL);
INSERT INTO sweeps(id, name, spec_hash, spec_text, ntasks, created_at,
  updated_at) VALUES (1, 'old', '0123456789abcdef', 'x', 2, 't', 't');
INSERT INTO runs(id, sweep_id, cell_hash, seed_index, eta, depth, width,
  regime, period, final_loss, lyapunov, created_at, transient_window)
  VALUES (7, 1, 'aaaa', 0, 0.03, 3, 3, 'converged', 1, 1e-20, -0.5, 't', -1),
         (9, 1, 'bbbb', 0, 0.05, 3, 3, 'chaotic', 0, 3.25, 0.125, 't', -1);
INSERT INTO trajectories(run_id, step, loss) VALUES (7, 0, 1.0), (7, 10, 0.5),
  (9, 0, 2.0);
INSERT INTO orbits(run_id, k, sv1, loss) VALUES (9, 0, 10.0, 3.25);
CREATE VIEW old_view AS SELECT id, regime FROM runs;
