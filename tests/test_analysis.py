#!/usr/bin/env python3
"""test_analysis.py -- analysis/views.sql and analysis/figures.py against
databases written by the real dlnsweep binary.

usage: test_analysis.py --dlnsweep BIN --source-dir DIR --workdir DIR
                        [-- MPI-LAUNCHER-PREFIX...]

single.db: `dlnsweep single` runs of the scalar model (width 1, s = 1,
balanced start 0.5) at L = 2, 3 and eta in ETAS, plus two runs from the
unbalanced identity start.  sweep.db: `mpirun -n 2 dlnsweep run` of a small
job (2 seeds per cell) plus one `single` run.  logeta.db: a one-rank sweep
on a log-spaced eta grid with the default sharpness_every = 0.
cascade.db: a one-rank refine: sweep of the depth-3 cascade (tolerance
1e-4).  digits.db: two `single` runs at eta 0.1997 and 0.2.  The views must report the
regimes of the per-layer map u <- u - eta (u^L - 1) u^(L-1): 2-cycle onset
at eta = 2/(L s^(2-2/L)) (1 for L = 2, 2/3 for L = 3), then period
doubling (L = 2: 2-cycle at 1.1, 4-cycle at 1.25, chaos at 1.6), divergence
at 2.1.  Also checked: the majority rule on rows cloned from real ones, the
figures (PNG/PDF, not blank, captions with the database hash and the SQL),
graceful skipping, exit codes for bad input, and what each figure draws
(figures.py --dump-json) against the database and closed forms.
"""
import argparse
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import unittest

ARGS = None


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("--dlnsweep", required=True)
    p.add_argument("--source-dir", required=True)
    p.add_argument("--workdir", required=True)
    p.add_argument("mpirun", nargs="*", help="MPI launcher prefix")
    return p.parse_args()


def run(cmd, **kw):
    """Run cmd, return CompletedProcess (text); never raises on status."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", MPLBACKEND="Agg",
               MPLCONFIGDIR=os.path.join(ARGS.workdir, "mplconfig"))
    return subprocess.run(cmd, capture_output=True, text=True, env=env,
                          timeout=300, **kw)


def figures(db, out, *extra):
    return run([sys.executable, os.path.join(ARGS.source_dir, "analysis",
                                             "figures.py"),
                "--db", db, "--out", out] + list(extra))


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


ETAS = (0.8, 0.9, 1.1, 1.25, 1.6, 2.1)
# Theory for the balanced scalar map (see the docstring): (L, eta) ->
# (regime, period or None when not checked).
KNOWN = {(2, 0.8): ("converged", 1), (2, 0.9): ("converged", 1),
         (2, 1.1): ("periodic", 2), (2, 1.25): ("periodic", 4),
         (2, 1.6): ("chaotic", 0), (2, 2.1): ("divergent", None),
         (3, 0.8): ("periodic", 2), (3, 2.1): ("divergent", None)}
SCALAR = ["--width", "1", "--spectrum", "1", "--alpha", "0.5", "--steps",
          "3000", "--record-every", "50", "--sharpness-every", "50",
          "--tail", "64", "--max-period", "32"]
JOB = """name: antest
seed: 3
seeds: 2
grid:
  depth: [2, 3]
  width: 1
  spectrum: 1
  init: balanced
  alpha: 0.5
  eta: [0.8, 1.1, 1.25, 1.6, 2.1]
  steps: 3000
diagnostics:
  record_every: 50
  sharpness_every: 50
  lanczos_iters: 8
  top_k: 2
  tail: 64
  max_period: 32
"""
LOG_JOB = """name: logeta
grid:
  depth: [2, 3]
  width: 1
  spectrum: 1
  init: balanced
  alpha: 0.5
  eta: {logspace: [0.1, 1.9, 6]}
  steps: 3000
diagnostics:
  record_every: 50
  tail: 64
  max_period: 32
  lanczos_iters: 8
  top_k: 2
"""
# The depth-3 cascade (tests/jobs/refine-l3.yaml) located to 1e-4 only.
CASCADE_TOL = 1e-4
CASCADE_JOB = """name: cascade
grid:
  depth: 3
  width: 1
  spectrum: 1
  init: balanced
  alpha: 0.5
  eta: {linspace: [0.6, 0.8768, 5]}
  steps: 40000
diagnostics:
  record_every: 0
  tail: 64
  max_period: 64
  lyapunov_steps: 200
  transient_window: 20000
refine:
  axis: eta
  tol: %g
  max_points: 60
""" % CASCADE_TOL
DB = None           # single.db, built once by setUpModule
SWEEP_DB = None     # sweep.db, built once by setUpModule
LOG_DB = CASCADE_DB = DIGITS_DB = None


def single(db, *args):
    r = run([ARGS.dlnsweep, "single", "--db", db] + SCALAR + list(args))
    if r.returncode != 0:
        raise RuntimeError("dlnsweep single %s failed (%d):\n%s%s"
                           % (" ".join(args), r.returncode, r.stdout,
                              r.stderr))


def sweep_one_rank(name, text):
    """Run the job text with `dlnsweep run` on one rank (no launcher) into
    workdir/name.db; returns the path."""
    path = os.path.join(ARGS.workdir, name + ".db")
    job = os.path.join(ARGS.workdir, name + ".yaml")
    with open(job, "w") as f:
        f.write(text)
    r = run([ARGS.dlnsweep, "run", job, "--db", path, "--quiet"])
    if r.returncode != 0:
        raise RuntimeError("dlnsweep run %s failed (%d):\n%s%s"
                           % (name, r.returncode, r.stdout, r.stderr))
    return path


def setUpModule():
    global DB, SWEEP_DB, LOG_DB, CASCADE_DB, DIGITS_DB
    shutil.rmtree(ARGS.workdir, ignore_errors=True)
    os.makedirs(ARGS.workdir)
    DB = os.path.join(ARGS.workdir, "single.db")
    for depth in (2, 3):
        for eta in ETAS:
            single(DB, "--depth", str(depth), "--eta", str(eta), "--init",
                   "balanced")
    for eta in (0.8, 1.1):      # unbalanced start: a nonzero balancing gap
        single(DB, "--depth", "2", "--eta", str(eta), "--init", "identity")

    path = os.path.join(ARGS.workdir, "sweep.db")
    job = os.path.join(ARGS.workdir, "antest.yaml")
    with open(job, "w") as f:
        f.write(JOB)
    mpi = ARGS.mpirun or ["mpirun", "--allow-run-as-root", "--oversubscribe"]
    r = run(mpi + ["-n", "2", ARGS.dlnsweep, "run", job, "--db", path])
    if r.returncode != 0:
        raise RuntimeError("dlnsweep run failed (%d):\n%s%s"
                           % (r.returncode, r.stdout, r.stderr))
    single(path, "--depth", "2", "--eta", "0.9", "--init", "balanced")
    SWEEP_DB = path
    LOG_DB = sweep_one_rank("logeta", LOG_JOB)
    CASCADE_DB = sweep_one_rank("cascade", CASCADE_JOB)
    DIGITS_DB = os.path.join(ARGS.workdir, "digits.db")
    for eta in ("0.1997", "0.2"):
        single(DIGITS_DB, "--depth", "2", "--eta", eta, "--init", "balanced")


def connect(path):
    """Connection with the views of this source tree as TEMP views."""
    sys.path.insert(0, os.path.join(ARGS.source_dir, "analysis"))
    import dlndb
    return dlndb.open_db(path), dlndb


def known_cells(test, con, group):
    """Check cell_regimes of sweep group (SQL condition) against KNOWN."""
    rows = con.execute(
        "SELECT depth, eta, regime, period, n_seeds, agreement FROM "
        "cell_regimes WHERE %s AND width = 1 AND s1 = 1 AND init = "
        "'balanced'" % group).fetchall()
    got = {(r[0], round(r[1], 6)): r[2:] for r in rows}
    n = 0
    for (depth, eta), (regime, period) in KNOWN.items():
        if (depth, eta) not in got:
            continue
        n += 1
        g = got[(depth, eta)]
        test.assertEqual(g[0], regime, "L=%d eta=%g" % (depth, eta))
        if period is not None:
            test.assertEqual(g[1], period, "L=%d eta=%g" % (depth, eta))
        test.assertEqual(g[3], 1.0, "seeds disagree at L=%d eta=%g"
                         % (depth, eta))
    return got, n


class Views(unittest.TestCase):
    def setUp(self):
        self.con, self.dlndb = connect(DB)

    def tearDown(self):
        self.con.close()

    def test_views_installed_by_binary(self):
        # dlnsweep itself creates the views of analysis/views.sql.
        con = sqlite3.connect(DB)
        names = {r[0] for r in con.execute(
            "SELECT name FROM main.sqlite_master WHERE type = 'view'")}
        con.close()
        for v in ("regime_counts", "cell_regimes", "phase_eta_depth",
                  "phase_eta_s1", "phase_eta_width", "bifurcation",
                  "run_trajectories", "oscillating_modes", "sweep_summary"):
            self.assertIn(v, names)

    def test_known_cells(self):
        got, n = known_cells(self, self.con, "sweep_id IS NULL")
        self.assertEqual(n, len(KNOWN))
        self.assertEqual(len(got), 2 * len(ETAS))
        # The phase table agrees (a single cell per point here).
        ph = {(r[0], round(r[1], 6)): r[2:] for r in self.con.execute(
            "SELECT depth, eta, regime, period, n_cells FROM phase_eta_depth"
            " WHERE sweep_id IS NULL")}
        self.assertEqual(ph[(2, 1.1)], ("periodic", 2, 2))   # 2 inits
        self.assertEqual(ph[(2, 1.25)], ("periodic", 4, 1))
        self.assertEqual(ph[(3, 0.8)], ("periodic", 2, 1))
        self.assertEqual(ph[(2, 2.1)][0], "divergent")

    def test_eos_onset_matches_theory(self):
        # Below eta = 2/(L s^(2-2/L)) every balanced cell converges; the
        # first periodic cell lies above it.
        for depth in (2, 3):
            onset = self.dlndb.eos_eta(depth, 1.0)
            rows = self.con.execute(
                "SELECT eta, regime FROM cell_regimes WHERE depth = %d AND "
                "init = 'balanced' ORDER BY eta" % depth).fetchall()
            for eta, regime in rows:
                if eta < onset:
                    self.assertEqual(regime, "converged", eta)
            first = min(e for e, g in rows if g == "periodic")
            self.assertGreater(first, onset)

    def test_counts(self):
        counts = dict(((r[0], r[1]), r[2]) for r in self.con.execute(
            "SELECT sweep, regime, n FROM regime_counts"))
        self.assertEqual(sum(counts.values()), 2 * len(ETAS) + 2)
        self.assertEqual({k[0] for k in counts}, {"(single)"})
        self.assertEqual(counts[("(single)", "divergent")], 3)
        s = self.con.execute(
            "SELECT n_runs, n_cells, converged + periodic + chaotic + "
            "divergent + collapsed + unresolved + error, converged FROM "
            "sweep_summary").fetchall()
        self.assertEqual(s, [(14, 14, 14, 3)])

    def test_trajectory_views(self):
        # Every run's trajectory and orbit are reachable through the views;
        # eos_sharpness is 2/eta; the 2-cycle's late orbit has 2 values.
        n = self.con.execute(
            "SELECT COUNT(*) FROM run_trajectories WHERE eos_sharpness <> "
            "2.0 / eta").fetchone()[0]
        self.assertEqual(n, 0)
        vals = self.con.execute(
            "SELECT COUNT(DISTINCT ROUND(sv1, 8)) FROM bifurcation WHERE "
            "depth = 2 AND ROUND(eta, 6) = 1.1 AND regime = 'periodic' "
            "AND cell_hash IN (SELECT cell_hash FROM runs WHERE init = "
            "'balanced')").fetchone()[0]
        self.assertEqual(vals, 2)
        osc = self.con.execute(
            "SELECT eta, n_oscillating, n_oscillating_theory FROM "
            "oscillating_modes WHERE depth = 2 AND width = 1 AND s1 = 1 "
            "AND cell_hash IN (SELECT cell_hash FROM runs WHERE init = "
            "'balanced') ORDER BY eta").fetchall()
        for eta, meas, theory in osc:
            self.assertEqual(theory, int(eta > 1.0), eta)
            self.assertEqual(theory, self.dlndb.n_oscillating_theory(
                eta, 2, [1.0]))

    def test_phase_sql_matches_views(self):
        for path in (DB, SWEEP_DB):
            con, _ = connect(path)
            for (x, y), view in self.dlndb.PHASE_VIEWS.items():
                for sid in con.execute("SELECT DISTINCT sweep_id FROM runs"):
                    cond = self.dlndb.sweep_filter(sid[0])
                    a = con.execute(
                        "SELECT %s, %s, regime, period, n_runs, n_cells, "
                        "n_error, agreement FROM %s WHERE %s ORDER BY %s, %s"
                        % (x, y, view, cond, y, x)).fetchall()
                    b = con.execute(self.dlndb.phase_sql(
                        x, y, "(SELECT * FROM runs WHERE %s)" % cond)
                    ).fetchall()
                    self.assertTrue(a)
                    self.assertEqual(a, b, view)
            con.close()

    def test_theory_helpers(self):
        d = self.dlndb
        self.assertAlmostEqual(d.eos_eta(2, 1.0), 1.0)
        self.assertAlmostEqual(d.eos_eta(3, 1.0), 2.0 / 3.0)
        self.assertAlmostEqual(d.eos_eta(1, 5.0), 2.0)
        self.assertAlmostEqual(d.eos_eta(2, 2.0), 0.5)   # 2/(2*2)
        self.assertEqual(d.n_oscillating_theory(0.6, 2, [2.0, 1.0]), 1)
        self.assertEqual(d.n_oscillating_theory(1.01, 2, [2.0, 1.0]), 2)
        self.assertEqual(d.n_oscillating_theory(0.4, 2, [2.0, 1.0]), 0)


class SweepViews(unittest.TestCase):
    """A real MPI sweep (2 seeds per cell) next to a `single` run."""

    def setUp(self):
        self.con, self.dlndb = connect(SWEEP_DB)

    def tearDown(self):
        self.con.close()

    def test_known_cells_two_seeds(self):
        sid = self.con.execute("SELECT id FROM sweeps WHERE name = 'antest'"
                               ).fetchone()[0]
        got, n = known_cells(self, self.con, "sweep_id = %d" % sid)
        self.assertEqual(n, 7)       # the KNOWN cells on the job's eta grid
        self.assertEqual(len(got), 10)
        self.assertEqual({g[2] for g in got.values()}, {2})   # n_seeds

    def test_groups(self):
        counts = {}
        for sweep, regime, n in self.con.execute(
                "SELECT sweep, regime, n FROM regime_counts"):
            counts[sweep] = counts.get(sweep, 0) + n
        self.assertEqual(counts, {"antest": 20, "(single)": 1})
        row = self.con.execute("SELECT ntasks, n_runs, n_cells FROM "
                               "sweep_summary WHERE sweep = 'antest'"
                               ).fetchone()
        self.assertEqual(row, (20, 20, 10))

    def test_figures_need_sweep_choice(self):
        out = os.path.join(ARGS.workdir, "figs_sweep")
        r = figures(SWEEP_DB, out)
        self.assertEqual(r.returncode, 2)
        self.assertIn("'antest' (20 runs)", r.stderr)
        r = figures(SWEEP_DB, out, "--sweep", "antest", "--only",
                    "phase,bifurcation", "--formats", "png")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(out, "phase.txt")) as f:
            cap = f.read()
        self.assertIn("Sweep: antest (id ", cap)
        self.assertIn(sha256(SWEEP_DB), cap)
        Figures.assert_image(self, os.path.join(out, "phase.png"))
        Figures.assert_image(self, os.path.join(out, "bifurcation.png"))


class Majority(unittest.TestCase):
    """The majority rule on rows cloned from a real run (real schema)."""

    @classmethod
    def setUpClass(cls):
        cls.path = os.path.join(ARGS.workdir, "majority.db")
        shutil.copy(DB, cls.path)
        con = sqlite3.connect(cls.path)
        cols = [r[1] for r in con.execute("PRAGMA table_info(runs)")
                if r[1] not in ("id", "cell_hash", "seed_index", "regime",
                                "period", "eta", "sweep_id")]
        src = con.execute("SELECT id, sweep_id FROM runs ORDER BY id "
                          "LIMIT 1").fetchone()
        # (cell, eta, [(regime, period), ...]) fake cells with several seeds
        cells = [("maj1", 5.0, [("periodic", 2), ("periodic", 4),
                                ("periodic", 4), ("converged", 1)]),
                 ("tie1", 5.1, [("chaotic", 0), ("periodic", 2)]),
                 ("err1", 5.2, [("error", None), ("error", None),
                                ("divergent", 0)]),
                 ("err2", 5.3, [("error", None), ("error", None)])]
        for cell, eta, seeds in cells:
            for i, (g, p) in enumerate(seeds):
                con.execute(
                    "INSERT INTO runs(sweep_id, cell_hash, seed_index, regime,"
                    " period, eta, %s) SELECT ?, ?, ?, ?, ?, ?, %s FROM runs "
                    "WHERE id = ?" % (", ".join(cols), ", ".join(cols)),
                    (src[1], cell, i, g, p, eta, src[0]))
        con.commit()
        con.close()
        cls.con, _ = connect(cls.path)

    @classmethod
    def tearDownClass(cls):
        cls.con.close()

    def cell(self, h):
        return self.con.execute(
            "SELECT regime, period, n_seeds, n_error, n_majority, agreement "
            "FROM cell_regimes WHERE cell_hash = ?", (h,)).fetchone()

    def test_majority_with_modal_period(self):
        # 3 of 4 periodic (periods 2, 4, 4): periodic, period 4.
        self.assertEqual(self.cell("maj1"), ("periodic", 4, 4, 0, 3, 0.75))

    def test_tie_goes_to_earlier_regime(self):
        # 1 chaotic vs 1 periodic: periodic comes first in regime_order.
        self.assertEqual(self.cell("tie1")[:2], ("periodic", 2))

    def test_errors_do_not_vote(self):
        self.assertEqual(self.cell("err1"), ("divergent", 0, 3, 2, 1, 1.0))
        g = self.cell("err2")
        self.assertEqual((g[0], g[2], g[3]), ("error", 2, 2))

    def test_phase_pools_seeds(self):
        row = self.con.execute(
            "SELECT regime, period, n_runs, n_cells FROM phase_eta_depth "
            "WHERE eta = 5.0").fetchone()
        self.assertEqual(row, ("periodic", 4, 4, 1))


class Figures(unittest.TestCase):
    NAMES = ("phase", "bifurcation", "sharpness", "balance", "oscillating")

    @staticmethod
    def assert_image(self, path):
        import numpy as np
        import matplotlib.image as mpimg
        with open(path, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n", path)
        self.assertGreater(os.path.getsize(path), 10000, path)
        img = mpimg.imread(path)[..., :3]
        self.assertGreater(img.shape[0], 300)
        self.assertGreater(img.shape[1], 500)
        # Not blank: ink covers a real part of the picture, in several tones.
        ink = (img.max(axis=2) - img.min(axis=2) > 0.1) | (img.mean(axis=2)
                                                            < 0.9)
        self.assertGreater(ink.mean(), 0.02, path)
        self.assertGreater(img.std(), 0.05, path)

    @staticmethod
    def assert_pdf(self, path):
        with open(path, "rb") as f:
            data = f.read()
        self.assertTrue(data.startswith(b"%PDF-"), path)
        self.assertIn(b"%%EOF", data[-64:])
        self.assertGreater(len(data), 5000, path)

    def test_all_figures(self):
        out = os.path.join(ARGS.workdir, "figs")
        r = figures(DB, out, "--where", "s1 = 1", "--only",
                    ",".join(self.NAMES))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("skipped", r.stderr)
        digest = sha256(DB)
        for name in self.NAMES:
            self.assert_image(self, os.path.join(out, name + ".png"))
            self.assert_pdf(self, os.path.join(out, name + ".pdf"))
            with open(os.path.join(out, name + ".txt")) as f:
                cap = f.read()
            self.assertIn(digest, cap)
            self.assertIn("Sweep: (single)", cap)
            self.assertIn("SELECT", cap)
        # Without --where the phase figure reads the view itself.
        r = figures(DB, out, "--only", "phase", "--formats", "png")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("pool up to 2 cells", r.stderr)    # the two inits
        with open(os.path.join(out, "phase.txt")) as f:
            self.assertIn("FROM phase_eta_depth WHERE sweep_id IS NULL",
                          f.read())
        self.assertEqual(sha256(DB), digest, "figures.py changed the DB")

    def test_caption_sql_reproduces(self):
        # The caption's query, run by hand on the views, gives the data.
        out = os.path.join(ARGS.workdir, "figs_where")
        r = figures(DB, out, "--where", "depth = 2 AND init = 'balanced'",
                    "--x", "eta", "--y", "width", "--only", "phase",
                    "--formats", "png")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assert_image(self, os.path.join(out, "phase.png"))
        with open(os.path.join(out, "phase.txt")) as f:
            sql = f.read().split("SQL:\n", 1)[1].split(";")[0]
        con, _ = connect(DB)
        rows = con.execute(sql).fetchall()
        con.close()
        self.assertEqual(len(rows), len(ETAS))          # one row per eta
        got = {round(r[0], 6): (r[2], r[3]) for r in rows}
        self.assertEqual(got[1.1], ("periodic", 2))
        self.assertEqual(got[1.25], ("periodic", 4))

    def test_single_group_and_run_option(self):
        out = os.path.join(ARGS.workdir, "figs_single")
        con = sqlite3.connect(DB)
        rid = con.execute("SELECT MIN(id) FROM runs").fetchone()[0]
        con.close()
        r = figures(DB, out, "--run", "%d,%d" % (rid, rid + 1), "--only",
                    "sharpness", "--formats", "png")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(out, "sharpness.txt")) as f:
            cap = f.read()
        self.assertIn("Sweep: (single)", cap)
        self.assertIn("IN (%d, %d)" % (rid, rid + 1), cap)

    def test_skips_missing_data(self):
        path = os.path.join(ARGS.workdir, "bare.db")
        shutil.copy(DB, path)
        con = sqlite3.connect(path)
        con.execute("DELETE FROM trajectories")
        con.execute("DELETE FROM orbits")
        con.commit()
        con.close()
        out = os.path.join(ARGS.workdir, "figs_bare")
        r = figures(path, out, "--formats", "png")
        self.assertEqual(r.returncode, 0, r.stderr)
        for name in ("bifurcation", "balance"):
            self.assertIn("skipped %s" % name, r.stderr)
            self.assertFalse(os.path.exists(os.path.join(out, name + ".png")))
        self.assert_image(self, os.path.join(out, "phase.png"))
        self.assert_image(self, os.path.join(out, "oscillating.png"))
        # Without trajectories the sharpness figure shows the end values.
        self.assert_image(self, os.path.join(out, "sharpness.png"))
        with open(os.path.join(out, "sharpness.txt")) as f:
            self.assertIn("along training was not recorded", f.read())

    def test_bad_input(self):
        out = os.path.join(ARGS.workdir, "figs_bad")
        junk = os.path.join(ARGS.workdir, "junk.db")
        with open(junk, "w") as f:
            f.write("not a database\n" * 100)
        before = sha256(junk)
        cases = [([], os.path.join(ARGS.workdir, "no.db"),
                  "no such database"),
                 ([], junk, "not an SQLite database"),
                 (["--sweep", "nosuch"], DB, "no such sweep"),
                 (["--where", "nosuchcol = 1"], DB, "--where"),
                 (["--run", "999999"], DB, "no run with id 999999"),
                 (["--x", "eta", "--y", "eta"], DB, "must differ"),
                 (["--quantity", "svd:1"], DB, "unknown quantity"),
                 (["--quantity", "sv:x"], DB, "not a number or range"),
                 (["--quantity", "mode:0"], DB, "count from 1"),
                 (["--name", "x"], DB, "exactly one figure"),
                 (["--only", "phase", "--name", "a/b"], DB, "plain file")]
        for extra, db, msg in cases:
            r = figures(db, out, *extra)
            self.assertEqual(r.returncode, 2, (extra, r.stderr))
            self.assertIn(msg, r.stderr)
            self.assertNotIn("Traceback", r.stderr)
        self.assertEqual(sha256(junk), before)


_DUMPS = {}


def dump(db, tag, *extra):
    """figures.py --dump-json on db into workdir/dump_TAG (once per tag):
    (CompletedProcess, {figure: parsed NAME.json})."""
    if tag not in _DUMPS:
        out = os.path.join(ARGS.workdir, "dump_" + tag)
        shutil.rmtree(out, ignore_errors=True)
        r = figures(db, out, "--dump-json", "--formats", "png", *extra)
        got = {}
        if os.path.isdir(out):
            for name in os.listdir(out):
                if name.endswith(".json"):
                    with open(os.path.join(out, name)) as f:
                        got[name[:-5]] = json.load(f)
        _DUMPS[tag] = (r, got)
    return _DUMPS[tag]


def style():
    sys.path.insert(0, os.path.join(ARGS.source_dir, "analysis"))
    import figstyle
    return figstyle


class FigureData(unittest.TestCase):
    """What the figures draw (--dump-json), against the database."""

    def fig(self, db, tag, name, *extra):
        r, got = dump(db, tag, *extra)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("Warning", r.stderr)
        self.assertNotIn("Traceback", r.stderr)
        self.assertIn(name, got, r.stderr)
        return got[name]

    def rows(self, db, sql):
        con, _ = connect(db)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    # 1. sharpness when sharpness_every = 0
    def test_sharpness_without_recorded_trajectory(self):
        f = self.fig(LOG_DB, "log", "sharpness")
        d = f["data"]
        self.assertFalse(d["recorded"])
        self.assertEqual(d["not_recorded_because"], "sharpness_every = 0")
        self.assertIn("sharpness_every = 0", f["drawn"]["suptitle"])
        self.assertEqual(len(f["drawn"]["axes"]), 1)
        want = {r[0]: (r[1], r[2]) for r in self.rows(
            LOG_DB, "SELECT id, eta, sharpness FROM runs WHERE sharpness "
            "IS NOT NULL")}
        got = {p["run_id"]: (p["eta"], p["sharpness"])
               for p in d["final"]["points"]}
        self.assertEqual(got, want)
        self.assertEqual(len(want), 11)          # all but the divergent run
        th = d["final"]["threshold"]
        for eta, value in zip(th["eta"], th["value"]):
            self.assertAlmostEqual(value, 2.0 / eta, places=12)
        # The sharpness of a balanced minimum, L s^(2-2/L) = L for s = 1,
        # is what converged runs end at.
        self.assertEqual(sorted((m["depth"], m["value"])
                                for m in d["final"]["minima"]),
                         [(2, 2.0), (3, 3.0)])
        for p in d["final"]["points"]:
            if p["regime"] == "converged":
                self.assertAlmostEqual(p["sharpness"], p["depth"], places=5)

    def test_sharpness_along_training_when_recorded(self):
        d = self.fig(DB, "single", "sharpness")["data"]
        self.assertTrue(d["recorded"])
        self.assertTrue(d["trajectories"])
        for t in d["trajectories"]:
            self.assertGreater(len(t["step"]), 10)
            self.assertAlmostEqual(t["threshold"], 2.0 / t["eta"])

    # 2. cascade: never from an unrefined grid
    def test_cascade_refuses_unrefined_grid(self):
        for db, tag in ((DB, "single"), (SWEEP_DB, "sweep")):
            extra = ("--sweep", "antest", "--only", "bifurcation,cascade") \
                if db == SWEEP_DB else ()
            r, got = dump(db, tag, *extra)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertNotIn("cascade", got)
            self.assertIn("skipped cascade", r.stderr)
            self.assertIn("unrefined grid", r.stderr)
            self.assertNotIn("0.000", r.stderr)
            self.assertNotIn("Warning", r.stderr)

    def test_cascade_located_boundaries(self):
        f = self.fig(CASCADE_DB, "cascade", "cascade")
        d = f["data"]
        self.assertEqual(d["tol"], CASCADE_TOL)
        want = self.rows(CASCADE_DB, "SELECT eta, gap, period_from, "
                         "period_to FROM boundaries WHERE kind = "
                         "'period-doubling' ORDER BY eta")
        got = [(p["eta"], p["gap"], p["period_from"], p["period_to"])
               for p in d["located"]]
        self.assertEqual(got, want)
        self.assertEqual([(p[2], p[3]) for p in got][:3],
                         [(1, 2), (2, 4), (4, 8)])
        self.assertLessEqual(max(p[1] for p in got), CASCADE_TOL)
        # Closed form: the 2-cycle appears at 2/(L s^(2-2/L)) = 2/3.
        self.assertLess(abs(got[0][0] - 2.0 / 3.0), CASCADE_TOL)
        b = [p[0] for p in got]
        self.assertEqual(len(d["ratios"]), len(b) - 2)
        for k, rat in enumerate(d["ratios"]):
            delta = (b[k + 1] - b[k]) / (b[k + 2] - b[k + 1])
            self.assertAlmostEqual(rat["value"], delta, places=9)
            lo, hi = rat["range"]
            self.assertTrue(lo <= delta <= hi, rat)
            self.assertNotIn("0.000", rat["text"])
        # delta_1 of the depth-3 map is 4.38 (tests/refine_sweep.py).
        self.assertLess(abs(d["ratios"][0]["value"] / 4.38 - 1), 0.02)

    # 3. every period of the phase map has its own colour and legend entry
    def test_phase_periods_distinguished(self):
        f = self.fig(DB, "balanced", "phase", "--where", "init = 'balanced'",
                     "--only", "phase")
        cells = f["data"]["cells"]
        legend = {e["label"]: e["colour"] for e in f["data"]["legend"]}
        periods = {c["period"] for c in cells if c["regime"] == "periodic"}
        self.assertEqual(periods, {2, 4, 6})      # L=2: 2, 4; L=3: 2, 6
        colours = {}
        for c in cells:
            if c["regime"] == "periodic":
                label = "periodic, period %d" % c["period"]
                self.assertIn(label, legend)
                colours.setdefault(c["period"], set()).add(c["colour"])
        self.assertEqual({len(v) for v in colours.values()}, {1})
        self.assertEqual(len({min(v) for v in colours.values()}), 3)
        self.assertEqual(f["drawn"]["axes"][0]["legend"]["labels"][:4],
                         ["converged", "periodic, period 2",
                          "periodic, period 4", "periodic, period 6"])
        # The refined cascade: periods 16 and 32 sit in cells far too
        # narrow for a number, yet have their own legend entries.
        f = self.fig(CASCADE_DB, "cascade", "phase")
        labels = f["drawn"]["axes"][0]["legend"]["labels"]
        for p in (2, 4, 8, 16, 32):
            self.assertIn("periodic, period %d" % p, labels)
        self.assertFalse([c for c in f["data"]["cells"]
                          if c["period"] == 32 and c["text"]])

    # 4. the EOS onset per depth, never a slope
    def test_phase_eos_per_row(self):
        d = self.fig(CASCADE_DB, "cascade", "phase")["data"]
        self.assertEqual(len(d["eos"]), 1)        # one depth: one line
        (x0, y0), (x1, y1) = d["eos"][0]["points"]
        self.assertEqual(x0, x1)
        self.assertAlmostEqual(x0, 2.0 / 3.0, places=12)
        self.assertTrue(y0 < 3 < y1)
        d = self.fig(DB, "balanced", "phase", "--where",
                     "init = 'balanced'", "--only", "phase")["data"]
        by_depth = {s["depth"]: s for s in d["eos"]}
        self.assertEqual(sorted(by_depth), [2, 3])
        for L, s in by_depth.items():
            (x0, y0), (x1, y1) = s["points"]
            self.assertEqual(x0, x1)
            self.assertAlmostEqual(x0, 2.0 / (L * 1.0 ** (2 - 2.0 / L)))
            self.assertEqual((y0, y1), (L - 0.5, L + 0.5))   # its row only
        # 2/3 lies left of the first value, 0.8: said at the row's edge.
        self.assertIsNone(by_depth[2]["outside"])
        self.assertIn("0.667", by_depth[3]["outside"])

    # 5. legends never on the data
    def test_legends_outside_axes(self):
        n = 0
        for db, tag in ((DB, "single"), (LOG_DB, "log"),
                        (CASCADE_DB, "cascade")):
            for name, f in dump(db, tag)[1].items():
                for ax in f["drawn"]["axes"]:
                    if ax["legend"] is None:
                        continue
                    n += 1
                    x0, y0, x1, y1 = ax["legend"]["bbox"]
                    self.assertTrue(x0 >= 1.0 or y1 <= 0.0,
                                    "%s/%s legend at %s" % (tag, name,
                                                            ax["legend"]))
        self.assertGreater(n, 8)

    # 6. log-spaced eta grids get a log axis
    def test_log_eta_axes(self):
        for name in ("phase", "bifurcation", "oscillating", "sharpness"):
            f = self.fig(LOG_DB, "log", name)
            self.assertEqual(f["drawn"]["axes"][-1]["xscale"], "log", name)
            f = self.fig(DB, "single", name)
            self.assertEqual(f["drawn"]["axes"][-1]["xscale"], "linear",
                             name)
        fs = style()
        lin = [0.6 + 0.2768 * i / 4 for i in range(5)]
        self.assertEqual(fs.grid_spacing(lin), "linear")
        self.assertEqual(fs.grid_spacing(lin[:2] + lin[3:]), "linear")
        self.assertEqual(fs.grid_spacing(lin + [0.6 + 0.2768 * 5 / 16]),
                         "linear")                  # a refined point
        geo = [0.1 * 19.0 ** (i / 5) for i in range(6)]
        self.assertEqual(fs.grid_spacing(geo), "log")
        self.assertEqual(fs.grid_spacing(geo[:3] + geo[4:]), "log")
        self.assertEqual(fs.axis_scale([geo, geo[:4]]), "log")
        self.assertEqual(fs.axis_scale([[0.8, 0.9, 1.1, 1.25, 1.6, 2.1]]),
                         "linear")

    # 7. eta labels keep their digits
    def test_eta_labels_keep_digits(self):
        f = self.fig(DIGITS_DB, "digits", "phase", "--only",
                     "phase,sharpness")
        self.assertEqual(f["drawn"]["axes"][0]["xticklabels"],
                         ["0.1997", "0.2"])
        f = self.fig(DIGITS_DB, "digits", "sharpness", "--only",
                     "phase,sharpness")
        labels = f["drawn"]["axes"][0]["legend"]["labels"]
        self.assertTrue(any(r"\eta = 0.1997$" in t for t in labels), labels)
        self.assertTrue(any(r"\eta = 0.2$" in t for t in labels), labels)
        fs = style()
        lab = fs.value_labels([0.1997, 0.2, 1.0 / 3.0, 0.33333334])
        self.assertEqual(lab[0.1997], "0.1997")
        self.assertEqual(lab[0.2], "0.2")
        self.assertNotEqual(lab[1.0 / 3.0], lab[0.33333334])
        self.assertEqual(len(set(lab.values())), 4)

    # 8. the bifurcation figure never pools different cells
    def test_bifurcation_panel_per_line(self):
        d = self.fig(DB, "single", "bifurcation")["data"]
        keys = [(p["key"]["depth"], p["key"]["init"]) for p in d["panels"]]
        self.assertEqual(sorted(keys), [(2, "balanced"), (2, "identity"),
                                        (3, "balanced")])
        for p in d["panels"]:
            k = p["key"]
            self.assertIn("%s init" % k["init"], p["title"])
            want = sorted(self.rows(DB, (
                "SELECT r.eta, o.sv1 FROM orbits o JOIN runs r ON r.id = "
                "o.run_id WHERE o.sv1 IS NOT NULL AND r.depth = %d AND "
                "r.init = '%s' AND r.seed_index = %d")
                % (k["depth"], k["init"], k["seed_index"])))
            self.assertEqual(sorted(zip(p["eta"], p["sv1"])), want)
            self.assertAlmostEqual(p["eos_eta"], 2.0 / k["depth"])
        # Two seeds per cell of a balanced start (the seed changes nothing):
        # one panel per depth, saying so.
        d = self.fig(SWEEP_DB, "sweep", "bifurcation", "--sweep", "antest",
                     "--only", "bifurcation,cascade")["data"]
        self.assertEqual([(p["title"], p["seeds"]) for p in d["panels"]],
                         [("$L = 2$", [0, 1]), ("$L = 3$", [0, 1])])
        self.assertIn("seeds 0, 1 (identical late orbits)", d["common"])

    def test_bifurcation_seeds_apart_unless_identical(self):
        # Seed 1 of the L = 3 line with a different orbit, seed 1 of the
        # identity line with the same orbit as seed 0.
        path = os.path.join(ARGS.workdir, "seeds.db")
        shutil.copy(DB, path)
        con = sqlite3.connect(path)
        cols = [r[1] for r in con.execute("PRAGMA table_info(runs)")
                if r[1] not in ("id", "seed_index")]
        for cond, scale in (("depth = 3", 1.01), ("init = 'identity'", 1.0)):
            for (rid,) in con.execute("SELECT id FROM runs WHERE %s"
                                      % cond).fetchall():
                con.execute("INSERT INTO runs(seed_index, %s) SELECT 1, %s "
                            "FROM runs WHERE id = ?" % (", ".join(cols),
                                                        ", ".join(cols)),
                            (rid,))
                new = con.execute("SELECT last_insert_rowid()").fetchone()[0]
                con.execute("INSERT INTO orbits(run_id, k, sv1, loss) SELECT "
                            "?, k, sv1 * ?, loss FROM orbits WHERE run_id = ?",
                            (new, scale, rid))
        con.commit()
        con.close()
        d = self.fig(path, "seeds", "bifurcation", "--only",
                     "bifurcation")["data"]
        got = sorted((p["key"]["depth"], p["key"]["init"], p["seeds"],
                      p["title"]) for p in d["panels"])
        self.assertEqual(got, [
            (2, "balanced", [0], "$L = 2$, balanced init, seed 0"),
            (2, "identity", [0, 1], "$L = 2$, identity init, seeds 0, 1 "
             "(identical late orbits)"),
            (3, "balanced", [0], "$L = 3$, balanced init, seed 0"),
            (3, "balanced", [1], "$L = 3$, balanced init, seed 1")])

    # The regime table: one order, new and unknown regimes drawn as such.
    def test_regime_table(self):
        fs = style()
        con, _ = connect(DB)
        order = [r[0] for r in con.execute(
            "SELECT regime FROM regime_order ORDER BY ord")]
        con.close()
        self.assertEqual(tuple(order), fs.REGIMES)
        for g in ("saddle", "quasiperiodic", "converged", "periodic",
                  "chaotic", "divergent", "collapsed", "unresolved",
                  "error"):
            self.assertTrue(fs.known(g))
        self.assertEqual(len({fs.regime_colour(g) for g in fs.REGIMES}),
                         len(fs.REGIMES))
        self.assertEqual(fs.regime_name("weird"), "unknown regime 'weird'")

        path = os.path.join(ARGS.workdir, "regimes.db")
        shutil.copy(DB, path)
        con = sqlite3.connect(path)
        # Regimes the schema of this version does not allow yet.
        con.execute("PRAGMA ignore_check_constraints = ON")
        cols = [r[1] for r in con.execute("PRAGMA table_info(runs)")
                if r[1] not in ("id", "cell_hash", "regime", "period",
                                "eta")]
        src = con.execute("SELECT id FROM runs WHERE depth = 2 AND init = "
                          "'balanced' ORDER BY eta LIMIT 1").fetchone()[0]
        for cell, eta, g in (("new1", 2.3, "saddle"),
                             ("new2", 2.4, "quasiperiodic"),
                             ("new3", 2.5, "weird")):
            con.execute("INSERT INTO runs(cell_hash, regime, period, eta, %s)"
                        " SELECT ?, ?, 0, ?, %s FROM runs WHERE id = ?"
                        % (", ".join(cols), ", ".join(cols)),
                        (cell, g, eta, src))
        con.commit()
        con.close()
        f = self.fig(path, "regimes", "phase", "--where",
                     "init = 'balanced'")
        labels = f["drawn"]["axes"][0]["legend"]["labels"]
        for want in ("saddle", "quasiperiodic", "unknown regime 'weird'"):
            self.assertIn(want, labels)
        self.assertLess(labels.index("quasiperiodic"), labels.index("saddle"))
        cells = {c["regime"]: c["colour"] for c in f["data"]["cells"]}
        self.assertEqual(cells["saddle"], fs.regime_colour("saddle"))
        self.assertEqual(cells["weird"], fs.UNKNOWN_COLOUR)
        # An unknown regime still wins its cell's vote (not 'error').
        con, _ = connect(path)
        self.assertEqual(con.execute("SELECT regime FROM cell_regimes WHERE "
                                     "cell_hash = 'new3'").fetchone()[0],
                         "weird")
        con.close()
        # Every figure that colours regimes draws them (unknown ones
        # hatched or outlined); osc_range colours modes.
        r, got = dump(path, "regimes", "--where", "init = 'balanced'")
        self.assertEqual(sorted(got), ["bifurcation", "osc_range",
                                       "oscillating", "phase", "sharpness"])
        sharp = {p["regime"] for p in got["sharpness"]["data"]["final"]
                 ["points"]}
        self.assertTrue({"saddle", "quasiperiodic", "weird"} <= sharp)


if __name__ == "__main__":
    ARGS = parse()
    unittest.main(argv=[sys.argv[0], "-v"])
