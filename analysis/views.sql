-- views.sql -- analysis views of a dlnsweep database.
--
-- dlnsweep embeds this file at build time and, on every writable open,
-- drops every view and runs it again, so a newer binary brings newer
-- definitions.  analysis/figures.py loads the same file as TEMP views, so
-- it also works on databases written by an older binary.  Rules for this
-- file: plain SQL that SQLite 3.31+ accepts (window functions, CTEs, no
-- math functions), ASCII only, every view preceded by its DROP VIEW IF
-- EXISTS, one statement per "CREATE VIEW name" line start.
--
-- Conventions.  A cell is one parameter point (cell_hash), seeds are its
-- replicas.  A run belongs to every sweep that contains its task (table
-- sweep_tasks): the views read runs through member_runs, so each sweep's
-- rows hold all its cells, shared or not.  Runs in no sweep (e.g. written
-- by `dlnsweep single`) have sweep_id NULL; views keep them as their own
-- group (compare sweep_id with IS, not =).
-- "Majority" regime: the regime of most runs, errors excluded from the
-- vote (regime 'error' only when every run of the group failed); ties go
-- to the regime earlier in regime_order.  period: the most common period
-- among the runs of the majority regime (ties: the smaller period);
-- 1 converged, p periodic, 0 otherwise.  agreement = n_majority / n_voting.

-- Tie-break order of regimes (also the legend order of the figures: keep
-- it the order of REGIME_TABLE in analysis/figstyle.py).  A regime missing
-- here still votes; it loses ties to every listed one.
DROP VIEW IF EXISTS regime_order;
CREATE VIEW regime_order(regime, ord) AS VALUES
  ('converged', 0), ('periodic', 1), ('quasiperiodic', 2), ('chaotic', 3),
  ('unresolved', 4), ('saddle', 5), ('collapsed', 6), ('divergent', 7),
  ('error', 8);

-- Every run once per sweep that contains it, sweep_id being that sweep;
-- runs in no sweep once, sweep_id NULL.  (Its column "sweep_id:1" is
-- runs.sweep_id: the sweep that wrote the row.)
DROP VIEW IF EXISTS member_runs;
CREATE VIEW member_runs AS
  SELECT m.sweep_id AS sweep_id, r.* FROM sweep_tasks m
  JOIN runs r ON r.cell_hash = m.cell_hash AND r.seed_index = m.seed_index
  UNION ALL
  SELECT NULL, r.* FROM runs r WHERE NOT EXISTS (
    SELECT 1 FROM sweep_tasks m
    WHERE m.cell_hash = r.cell_hash AND m.seed_index = r.seed_index);

-- Runs per regime per sweep (sweep NULL / '(single)' for `single` runs).
DROP VIEW IF EXISTS regime_counts;
CREATE VIEW regime_counts AS
  SELECT r.sweep_id AS sweep_id, COALESCE(s.name, '(single)') AS sweep,
         r.regime AS regime, COUNT(*) AS n
  FROM member_runs r LEFT JOIN sweeps s ON s.id = r.sweep_id
  GROUP BY r.sweep_id, r.regime;

-- The same counts, one row per sweep, one column per regime.
DROP VIEW IF EXISTS sweep_summary;
CREATE VIEW sweep_summary AS
  SELECT r.sweep_id AS sweep_id, COALESCE(s.name, '(single)') AS sweep,
         s.ntasks AS ntasks, COUNT(*) AS n_runs,
         COUNT(DISTINCT r.cell_hash) AS n_cells,
         SUM(r.regime = 'converged') AS converged,
         SUM(r.regime = 'periodic') AS periodic,
         SUM(r.regime = 'quasiperiodic') AS quasiperiodic,
         SUM(r.regime = 'chaotic') AS chaotic,
         SUM(r.regime = 'unresolved') AS unresolved,
         SUM(r.regime = 'saddle') AS saddle,
         SUM(r.regime = 'collapsed') AS collapsed,
         SUM(r.regime = 'divergent') AS divergent,
         SUM(r.regime = 'error') AS error,
         SUM(r.wall_s) AS wall_s
  FROM member_runs r LEFT JOIN sweeps s ON s.id = r.sweep_id
  GROUP BY r.sweep_id;

-- Regime of each cell: majority over its seeds, with period.
DROP VIEW IF EXISTS cell_regimes;
CREATE VIEW cell_regimes AS
WITH v AS (
  SELECT sweep_id, cell_hash, regime, period, COUNT(*) AS n_rp
  FROM member_runs WHERE regime <> 'error'
  GROUP BY sweep_id, cell_hash, regime, period
), w AS (
  SELECT v.*, SUM(n_rp) OVER (PARTITION BY sweep_id, cell_hash, regime) AS n_r
  FROM v
), x AS (
  SELECT w.*, ROW_NUMBER() OVER (PARTITION BY sweep_id, cell_hash
           ORDER BY n_r DESC, COALESCE(o.ord, 99), regime, n_rp DESC,
                    period) AS rk
  FROM w LEFT JOIN regime_order o USING (regime)
), a AS (
  SELECT sweep_id, cell_hash, MIN(eta) AS eta, MIN(depth) AS depth,
         MIN(width) AS width, MIN(d_in) AS d_in, MIN(d_out) AS d_out,
         MIN(rank) AS rank, MIN(spectrum) AS spectrum, MIN(s1) AS s1,
         MIN(s2) AS s2, MIN(rotate) AS rotate, MIN(init) AS init,
         MIN(alpha) AS alpha, MIN(steps) AS steps,
         COUNT(*) AS n_seeds, SUM(regime = 'error') AS n_error,
         AVG(final_loss) AS final_loss, AVG(sharpness) AS sharpness,
         AVG(lyapunov) AS lyapunov, AVG(n_oscillating) AS n_oscillating,
         MIN(n_oscillating_theory) AS n_oscillating_theory
  FROM member_runs GROUP BY sweep_id, cell_hash
)
SELECT a.sweep_id, a.cell_hash, a.eta, a.depth, a.width, a.d_in, a.d_out,
       a.rank, a.spectrum, a.s1, a.s2, a.rotate, a.init, a.alpha, a.steps,
       COALESCE(x.regime, 'error') AS regime, x.period AS period,
       a.n_seeds, a.n_error, x.n_r AS n_majority,
       CAST(x.n_r AS REAL) / (a.n_seeds - a.n_error) AS agreement,
       a.final_loss, a.sharpness, a.lyapunov, a.n_oscillating,
       a.n_oscillating_theory
FROM a LEFT JOIN x ON x.rk = 1 AND x.sweep_id IS a.sweep_id
                  AND x.cell_hash = a.cell_hash;

-- Phase tables: majority regime (with period) of all runs sharing the two
-- axis values within a sweep.  Other parameters are pooled: n_cells > 1 or
-- *_min <> *_max shows that a point mixes cells; filter cell_regimes (or
-- use figures.py --where) to hold them fixed.
-- phase_axes: the phase table of eta against each other axis (axis =
-- 'depth', 's1' or 'width', its value in `value`); the three views below
-- are its slices, named for the figures that read them.  (`value` takes
-- the first arm's integer affinity: phase_eta_s1 casts it back to REAL.)
DROP VIEW IF EXISTS phase_axes;
CREATE VIEW phase_axes AS
WITH m AS (
  SELECT 'depth' AS axis, depth AS value, * FROM member_runs
  UNION ALL SELECT 's1', s1, * FROM member_runs
  UNION ALL SELECT 'width', width, * FROM member_runs
), v AS (
  SELECT sweep_id, eta, axis, value, regime, period, COUNT(*) AS n_rp
  FROM m WHERE regime <> 'error'
  GROUP BY sweep_id, eta, axis, value, regime, period
), w AS (
  SELECT v.*, SUM(n_rp) OVER (PARTITION BY sweep_id, eta, axis, value,
                                   regime) AS n_r
  FROM v
), x AS (
  SELECT w.*, ROW_NUMBER() OVER (PARTITION BY sweep_id, eta, axis, value
           ORDER BY n_r DESC, COALESCE(o.ord, 99), regime, n_rp DESC,
                    period) AS rk
  FROM w LEFT JOIN regime_order o USING (regime)
), a AS (
  SELECT sweep_id, eta, axis, value, COUNT(*) AS n_runs,
         COUNT(DISTINCT cell_hash) AS n_cells, SUM(regime = 'error') AS n_error,
         MIN(depth) AS depth_min, MAX(depth) AS depth_max,
         MIN(s1) AS s1_min, MAX(s1) AS s1_max,
         MIN(width) AS width_min, MAX(width) AS width_max
  FROM m GROUP BY sweep_id, eta, axis, value
)
SELECT a.sweep_id, a.eta, a.axis, a.value, COALESCE(x.regime, 'error') AS regime,
       x.period AS period, a.n_runs, a.n_cells, a.n_error,
       x.n_r AS n_majority,
       CAST(x.n_r AS REAL) / (a.n_runs - a.n_error) AS agreement,
       a.depth_min, a.depth_max, a.s1_min, a.s1_max, a.width_min, a.width_max
FROM a LEFT JOIN x ON x.rk = 1 AND x.sweep_id IS a.sweep_id
                  AND x.eta = a.eta AND x.axis = a.axis AND x.value IS a.value;

DROP VIEW IF EXISTS phase_eta_depth;
CREATE VIEW phase_eta_depth AS
  SELECT sweep_id, eta, value AS depth, regime, period, n_runs, n_cells, n_error,
         n_majority, agreement, depth_min, depth_max, s1_min, s1_max,
         width_min, width_max
  FROM phase_axes WHERE axis = 'depth';

DROP VIEW IF EXISTS phase_eta_s1;
CREATE VIEW phase_eta_s1 AS
  SELECT sweep_id, eta, CAST(value AS REAL) AS s1, regime, period, n_runs, n_cells, n_error,
         n_majority, agreement, depth_min, depth_max, s1_min, s1_max,
         width_min, width_max
  FROM phase_axes WHERE axis = 's1';

DROP VIEW IF EXISTS phase_eta_width;
CREATE VIEW phase_eta_width AS
  SELECT sweep_id, eta, value AS width, regime, period, n_runs, n_cells, n_error,
         n_majority, agreement, depth_min, depth_max, s1_min, s1_max,
         width_min, width_max
  FROM phase_axes WHERE axis = 'width';

-- Late orbit of every run (bifurcation diagrams): one row per orbit point.
DROP VIEW IF EXISTS bifurcation;
CREATE VIEW bifurcation AS
  SELECT r.id AS run_id, r.sweep_id, r.cell_hash, r.seed_index, r.eta,
         r.depth, r.width, r.spectrum, r.s1, r.regime, r.period,
         o.k AS k, o.sv1 AS sv1, o.loss AS loss
  FROM orbits o JOIN member_runs r ON r.id = o.run_id;

-- Recorded trajectories with their run's parameters; eos_sharpness = 2/eta.
DROP VIEW IF EXISTS run_trajectories;
CREATE VIEW run_trajectories AS
  SELECT r.id AS run_id, r.sweep_id, r.cell_hash, r.seed_index, r.eta,
         r.depth, r.width, r.spectrum, r.s1, r.regime, r.period,
         2.0 / r.eta AS eos_sharpness,
         t.step AS step, t.loss AS loss, t.sharpness AS sharpness,
         t.sv1 AS sv1, t.sv2 AS sv2, t.balance_gap AS balance_gap,
         t.offdiag_mass AS offdiag_mass, t.n_oscillating AS n_oscillating
  FROM trajectories t JOIN member_runs r ON r.id = t.run_id;

-- Measured vs theoretical number of oscillating modes per cell
-- (theory: modes i with eta > 2/(L s_i^(2-2/L))).  Divergent and failed
-- runs are left out of the mean.
DROP VIEW IF EXISTS oscillating_modes;
CREATE VIEW oscillating_modes AS
  SELECT sweep_id, cell_hash, MIN(eta) AS eta, MIN(depth) AS depth,
         MIN(width) AS width, MIN(spectrum) AS spectrum, MIN(s1) AS s1,
         AVG(n_oscillating) AS n_oscillating,
         MIN(n_oscillating) AS n_oscillating_min,
         MAX(n_oscillating) AS n_oscillating_max,
         MIN(n_oscillating_theory) AS n_oscillating_theory,
         COUNT(n_oscillating) AS n_seeds
  FROM member_runs WHERE regime NOT IN ('divergent', 'error')
  GROUP BY sweep_id, cell_hash;

-- Views added by other modules go below this line (e.g. boundaries).

-- The per-step detail, long: one row per (run, step, quantity, index) from
-- the JSON arrays of orbits (late_orbit: the last `tail` steps) and of
-- point_details (trajectory_detail: trajectory points of runs with
-- record_detail).
-- quantity: 'mode' (m_i = u_i^T W_{L:1} v_i, i = mode in the target's
-- order), 'sv' (i-th singular value of W_{L:1}), 'hessian' (i-th Hessian
-- eigenvalue, orbit_hessian), 'layer_sv' (top singular value of layer i),
-- 'balance_gap' (||W_{l+1}^T W_{l+1} - W_l W_l^T||_F of pair = l),
-- 'mode_gap' (mode i's gap across pair l).  i and pair count from 1.
-- Rows written before schema version 7 have no detail.
DROP VIEW IF EXISTS late_orbit;
CREATE VIEW late_orbit AS
  SELECT t.run_id, t.k, t.step, 'mode' AS quantity, NULL AS pair,
         j.key + 1 AS i, j.value AS value
  FROM orbits t, json_each(t.modes) j
  UNION ALL
  SELECT t.run_id, t.k, t.step, 'sv' AS quantity, NULL AS pair,
         j.key + 1 AS i, j.value AS value
  FROM orbits t, json_each(t.sv) j
  UNION ALL
  SELECT t.run_id, t.k, t.step, 'hessian' AS quantity, NULL AS pair,
         j.key + 1 AS i, j.value AS value
  FROM orbits t, json_each(t.hessian) j
  UNION ALL
  SELECT t.run_id, t.k, t.step, 'layer_sv' AS quantity, NULL AS pair,
         j.key + 1 AS i, j.value AS value
  FROM orbits t, json_each(t.layer_sv) j
  UNION ALL
  SELECT t.run_id, t.k, t.step, 'balance_gap', j.key + 1, NULL, j.value
  FROM orbits t, json_each(t.balance_gaps) j
  UNION ALL
  SELECT t.run_id, t.k, t.step, 'mode_gap', p.key + 1, m.key + 1, m.value
  FROM orbits t, json_each(t.mode_gaps) p, json_each(p.value) m;

DROP VIEW IF EXISTS trajectory_detail;
CREATE VIEW trajectory_detail AS
  SELECT t.run_id, t.step, 'mode' AS quantity, NULL AS pair,
         j.key + 1 AS i, j.value AS value
  FROM point_details t, json_each(t.modes) j
  UNION ALL
  SELECT t.run_id, t.step, 'sv' AS quantity, NULL AS pair,
         j.key + 1 AS i, j.value AS value
  FROM point_details t, json_each(t.sv) j
  UNION ALL
  SELECT t.run_id, t.step, 'hessian' AS quantity, NULL AS pair,
         j.key + 1 AS i, j.value AS value
  FROM point_details t, json_each(t.hessian) j
  UNION ALL
  SELECT t.run_id, t.step, 'layer_sv' AS quantity, NULL AS pair,
         j.key + 1 AS i, j.value AS value
  FROM point_details t, json_each(t.layer_sv) j
  UNION ALL
  SELECT t.run_id, t.step, 'balance_gap', j.key + 1, NULL, j.value
  FROM point_details t, json_each(t.balance_gaps) j
  UNION ALL
  SELECT t.run_id, t.step, 'mode_gap', p.key + 1, m.key + 1, m.value
  FROM point_details t, json_each(t.mode_gaps) p, json_each(p.value) m;

-- boundaries: where the label (regime, and period if periodic) changes
-- between neighbouring etas of one line (cells equal but for eta, one
-- seed), e.g. the located transitions of a `refine:` sweep (method
-- 'bisection': eta is the midpoint of the bracketing pair and gap its width,
-- the error bound; residual NULL), and the bifurcations a continuation
-- located exactly (refine: {method: continuation}; tables continuations and
-- located_points: gap 0, residual = |G^p(x) - x| / |x| of the converged
-- orbit there; kind 'period-doubling' for a flip, 'fold' where a periodic
-- window opens, 'mode-flip' where one mode of the orbit doubles while the
-- orbit keeps its period).
DROP VIEW IF EXISTS boundaries;
CREATE VIEW boundaries AS
WITH labelled AS (
  SELECT sweep_id, depth, width, d_in, d_out, spectrum, s1, rotate, init,
         alpha, alpha_layers, init_diag, init_file, steps, seed_index, eta,
         regime, period,
         regime || CASE WHEN regime = 'periodic' THEN ':' || period ELSE ''
                   END AS label
  FROM member_runs WHERE regime <> 'error'),
ordered AS (
  SELECT *, LAG(eta) OVER line AS eta_prev, LAG(label) OVER line AS label_prev,
         LAG(regime) OVER line AS regime_prev,
         LAG(period) OVER line AS period_prev
  FROM labelled
  WINDOW line AS (PARTITION BY sweep_id, depth, width, d_in, d_out, spectrum,
                  rotate, init, alpha, alpha_layers, init_diag, init_file,
                  steps, seed_index ORDER BY eta)),
bracketed AS (
  SELECT sweep_id, depth, width, d_in, d_out, spectrum, s1, rotate, init,
         alpha, alpha_layers, init_diag, init_file, steps, seed_index,
         0.5 * (eta_prev + eta) AS eta,
         eta - eta_prev AS gap, eta_prev AS eta_lo, eta AS eta_hi,
         label_prev AS from_label, label AS to_label,
         CASE
           WHEN regime IN ('converged', 'periodic')
                AND regime_prev IN ('converged', 'periodic')
                AND period = 2 * period_prev THEN 'period-doubling'
           WHEN regime = 'chaotic' AND regime_prev <> 'chaotic'
             THEN 'chaos-onset'
           WHEN regime = 'divergent' THEN 'divergence'
           WHEN regime IN ('collapsed', 'saddle') THEN 'collapse'
           ELSE 'other'
         END AS kind,
         CASE WHEN regime_prev IN ('converged', 'periodic') THEN period_prev
         END AS period_from,
         CASE WHEN regime IN ('converged', 'periodic') THEN period END
           AS period_to,
         'bisection' AS method, NULL AS residual
  FROM ordered
  WHERE label_prev IS NOT NULL AND label <> label_prev),
located AS (
  SELECT c.sweep_id, r.depth, r.width, r.d_in, r.d_out, r.spectrum, r.s1,
         r.rotate, r.init, r.alpha, r.alpha_layers, r.init_diag,
         r.init_file, r.steps, c.seed_index, p.eta,
         0.0 AS gap, p.eta AS eta_lo, p.eta AS eta_hi,
         CASE WHEN p.kind = 'fold' THEN NULL
              WHEN p.period_from = 1 THEN 'converged'
              ELSE 'periodic:' || p.period_from END AS from_label,
         CASE WHEN p.period_to = 1 THEN 'converged'
              ELSE 'periodic:' || p.period_to END AS to_label,
         CASE p.kind WHEN 'flip' THEN 'period-doubling' ELSE p.kind END
           AS kind,
         CASE WHEN p.kind = 'fold' THEN NULL ELSE p.period_from END
           AS period_from,
         p.period_to, 'continuation' AS method, p.residual
  FROM located_points p
  JOIN continuations c ON c.id = p.continuation_id
  JOIN runs r ON r.cell_hash = c.cell_hash AND r.seed_index = c.seed_index)
SELECT * FROM bracketed
UNION ALL
SELECT * FROM located;
