#!/usr/bin/env python3
"""test_analysis.py -- analysis/views.sql and analysis/figures.py against a
database written by the real dlnsweep binary.

usage: test_analysis.py --dlnsweep BIN --source-dir DIR --workdir DIR
                        [-- MPI-LAUNCHER-PREFIX...]

Builds one database with `mpirun -n 2 dlnsweep run jobs/smoke.yaml` (scalar
cells, width 1, s = 1, L = 2 and 3) plus one `dlnsweep single` run, then
checks the regimes the views report against the scalar map
u <- u - eta (u^L - 1) u^(L-1) (L = 2: 0.8 converged, 1.1 2-cycle, 1.25
4-cycle, 2.1 divergent; 2-cycle onset at eta = 2/(L s^(2-2/L))), the
majority rule on rows cloned from real ones, the figures (PNG/PDF, not
blank, captions with the database hash and the SQL), graceful skipping and
the exit codes for bad input.
"""
import argparse
import hashlib
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


DB = None           # the database built once by setUpModule


def setUpModule():
    global DB
    shutil.rmtree(ARGS.workdir, ignore_errors=True)
    os.makedirs(ARGS.workdir)
    DB = os.path.join(ARGS.workdir, "smoke.db")
    mpi = ARGS.mpirun or ["mpirun", "--allow-run-as-root", "--oversubscribe"]
    r = run(mpi + ["-n", "2", ARGS.dlnsweep, "run",
                   os.path.join(ARGS.source_dir, "jobs", "smoke.yaml"),
                   "--db", DB])
    if r.returncode != 0:
        raise RuntimeError("dlnsweep run failed (%d):\n%s%s"
                           % (r.returncode, r.stdout, r.stderr))
    # One `single` run: a cell of no sweep (sweep_id NULL).
    r = run([ARGS.dlnsweep, "single", "--eta", "0.9", "--depth", "2",
             "--width", "1", "--spectrum", "1", "--init", "balanced",
             "--alpha", "0.5", "--steps", "3000", "--record-every", "50",
             "--db", DB])
    if r.returncode != 0:
        raise RuntimeError("dlnsweep single failed (%d):\n%s%s"
                           % (r.returncode, r.stdout, r.stderr))


def connect(path):
    """Connection with the views of this source tree as TEMP views."""
    sys.path.insert(0, os.path.join(ARGS.source_dir, "analysis"))
    import dlndb
    return dlndb.open_db(path), dlndb


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
        # Scalar L = 2, s = 1 map: fixed point stable for eta < 1, then
        # period doubling (2-cycle at 1.1, 4-cycle at 1.25), divergent at 2.1.
        expect = {0.8: ("converged", 1), 1.1: ("periodic", 2),
                  1.25: ("periodic", 4), 2.1: ("divergent", None)}
        rows = self.con.execute(
            "SELECT eta, regime, period, n_seeds, agreement FROM cell_regimes "
            "c JOIN sweeps s ON s.id = c.sweep_id WHERE s.name = 'smoke' "
            "AND depth = 2 AND width = 1 AND s1 = 1").fetchall()
        got = {round(r[0], 6): r for r in rows}
        for eta, (regime, period) in expect.items():
            self.assertIn(eta, got, "cell eta=%g missing" % eta)
            self.assertEqual(got[eta][1], regime, "eta=%g" % eta)
            if period is not None:
                self.assertEqual(got[eta][2], period, "eta=%g" % eta)
            self.assertEqual(got[eta][3], 1)
            self.assertEqual(got[eta][4], 1.0)
        # The same through the phase table and for the `single` cell.
        ph = dict(((round(r[0], 6), r[1]), (r[2], r[3])) for r in
                  self.con.execute("SELECT eta, depth, regime, period FROM "
                                   "phase_eta_depth WHERE sweep_id IS NOT "
                                   "NULL"))
        self.assertEqual(ph[(1.1, 2)], ("periodic", 2))
        self.assertEqual(ph[(1.25, 2)], ("periodic", 4))
        self.assertEqual(ph[(2.1, 2)][0], "divergent")
        single = self.con.execute("SELECT eta, regime, period FROM "
                                  "cell_regimes WHERE sweep_id IS NULL"
                                  ).fetchall()
        self.assertEqual(single, [(0.9, "converged", 1)])

    def test_counts(self):
        n = self.con.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
        self.assertEqual(n, 11)
        counts = dict(((r[0], r[1]), r[2]) for r in self.con.execute(
            "SELECT sweep, regime, n FROM regime_counts"))
        self.assertEqual(sum(counts.values()), 11)
        self.assertEqual(counts[("(single)", "converged")], 1)
        self.assertGreaterEqual(counts[("smoke", "divergent")], 1)
        s = self.con.execute("SELECT n_runs, n_cells, converged + periodic + "
                             "chaotic + divergent + collapsed + unresolved + "
                             "error FROM sweep_summary WHERE sweep = 'smoke'"
                             ).fetchone()
        self.assertEqual(s, (10, 10, 10))

    def test_phase_sql_matches_views(self):
        for (x, y), view in self.dlndb.PHASE_VIEWS.items():
            for sid in self.con.execute("SELECT DISTINCT sweep_id FROM runs"):
                cond = self.dlndb.sweep_filter(sid[0])
                a = self.con.execute(
                    "SELECT %s, %s, regime, period, n_runs, n_cells, n_error,"
                    " agreement FROM %s WHERE %s ORDER BY %s, %s"
                    % (x, y, view, cond, y, x)).fetchall()
                b = self.con.execute(self.dlndb.phase_sql(
                    x, y, "(SELECT * FROM runs WHERE %s)" % cond)).fetchall()
                self.assertEqual(a, b, view)

    def test_theory_helpers(self):
        d = self.dlndb
        self.assertAlmostEqual(d.eos_eta(2, 1.0), 1.0)
        self.assertAlmostEqual(d.eos_eta(3, 1.0), 2.0 / 3.0)
        self.assertAlmostEqual(d.eos_eta(1, 5.0), 2.0)
        self.assertAlmostEqual(d.eos_eta(2, 2.0), 0.5)   # 2/(2*2)
        self.assertEqual(d.n_oscillating_theory(0.6, 2, [2.0, 1.0]), 1)
        self.assertEqual(d.n_oscillating_theory(1.01, 2, [2.0, 1.0]), 2)
        self.assertEqual(d.n_oscillating_theory(0.4, 2, [2.0, 1.0]), 0)


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
        src = con.execute("SELECT id, sweep_id FROM runs WHERE sweep_id IS "
                          "NOT NULL ORDER BY id LIMIT 1").fetchone()
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

    def assert_pdf(self, path):
        with open(path, "rb") as f:
            data = f.read()
        self.assertTrue(data.startswith(b"%PDF-"), path)
        self.assertIn(b"%%EOF", data[-64:])
        self.assertGreater(len(data), 5000, path)

    def test_all_figures(self):
        out = os.path.join(ARGS.workdir, "figs")
        r = figures(DB, out, "--sweep", "smoke")
        self.assertEqual(r.returncode, 0, r.stderr)
        digest = sha256(DB)
        for name in self.NAMES:
            self.assert_image(os.path.join(out, name + ".png"))
            self.assert_pdf(os.path.join(out, name + ".pdf"))
            with open(os.path.join(out, name + ".txt")) as f:
                cap = f.read()
            self.assertIn(digest, cap)
            self.assertIn("Sweep: smoke", cap)
            self.assertIn("SELECT", cap)
        with open(os.path.join(out, "phase.txt")) as f:
            self.assertIn("FROM phase_eta_depth WHERE sweep_id = ", f.read())
        self.assertEqual(sha256(DB), digest, "figures.py changed the DB")

    def test_caption_sql_reproduces(self):
        # The caption's query, run by hand on the views, gives the data.
        out = os.path.join(ARGS.workdir, "figs_where")
        r = figures(DB, out, "--sweep", "smoke", "--where", "depth = 2",
                    "--x", "eta", "--y", "width", "--only", "phase")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assert_image(os.path.join(out, "phase.png"))
        with open(os.path.join(out, "phase.txt")) as f:
            sql = f.read().split("SQL:\n", 1)[1].split(";")[0]
        con, _ = connect(DB)
        rows = con.execute(sql).fetchall()
        con.close()
        self.assertEqual(len(rows), 5)                 # 5 etas at L = 2
        self.assertEqual({r[2] for r in rows if round(r[0], 6) == 1.1},
                         {"periodic"})

    def test_single_group_and_run_option(self):
        out = os.path.join(ARGS.workdir, "figs_single")
        con = sqlite3.connect(DB)
        rid = con.execute("SELECT id FROM runs WHERE sweep_id IS NULL"
                          ).fetchone()[0]
        con.close()
        r = figures(DB, out, "--run", str(rid), "--only",
                    "phase,sharpness")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(out, "sharpness.txt")) as f:
            cap = f.read()
        self.assertIn("Sweep: (single)", cap)
        self.assertIn("IN (%d)" % rid, cap)

    def test_skips_missing_data(self):
        path = os.path.join(ARGS.workdir, "bare.db")
        shutil.copy(DB, path)
        con = sqlite3.connect(path)
        con.execute("DELETE FROM trajectories")
        con.execute("DELETE FROM orbits")
        con.commit()
        con.close()
        out = os.path.join(ARGS.workdir, "figs_bare")
        r = figures(path, out, "--sweep", "smoke")
        self.assertEqual(r.returncode, 0, r.stderr)
        for name in ("bifurcation", "sharpness", "balance"):
            self.assertIn("skipped %s" % name, r.stderr)
            self.assertFalse(os.path.exists(os.path.join(out, name + ".png")))
        self.assert_image(os.path.join(out, "phase.png"))

    def test_bad_input(self):
        out = os.path.join(ARGS.workdir, "figs_bad")
        junk = os.path.join(ARGS.workdir, "junk.db")
        with open(junk, "w") as f:
            f.write("not a database\n" * 100)
        before = sha256(junk)
        cases = [(["--sweep", "smoke"], os.path.join(ARGS.workdir, "no.db"),
                  "no such database"),
                 (["--sweep", "smoke"], junk, "not an SQLite database"),
                 (["--sweep", "nosuch"], DB, "no such sweep"),
                 ([], DB, "choose one with --sweep"),
                 (["--sweep", "smoke", "--where", "nosuchcol = 1"], DB,
                  "--where"),
                 (["--sweep", "smoke", "--run", "999999"], DB,
                  "no run with id 999999")]
        for extra, db, msg in cases:
            r = figures(db, out, *extra)
            self.assertEqual(r.returncode, 2, (extra, r.stderr))
            self.assertIn(msg, r.stderr)
            self.assertNotIn("Traceback", r.stderr)
        self.assertEqual(sha256(junk), before)


if __name__ == "__main__":
    ARGS = parse()
    unittest.main(argv=[sys.argv[0], "-v"])
