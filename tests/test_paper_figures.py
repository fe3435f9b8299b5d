#!/usr/bin/env python3
"""test_paper_figures.py -- the paper's figures (jobs/paper-fig1.yaml,
paper-fig2.yaml, paper-balance.yaml and analysis/figures.py's osc_range,
bifurcation --quantity, balance and layers) against closed forms and an
independent NumPy network (tests/ref_dln.py), through the real binary and
the database it writes.

usage: test_paper_figures.py --dlnsweep BIN --source-dir DIR --workdir DIR

  - depth 2, diagonal target (1, 0.9, 0.5), balanced start, eta 1.2: the
    stored late-orbit modes m_i alternate between the closed-form 2-cycle
    values [(1 + eta s_i) -+ sqrt((1 + eta s_i)^2 - 4)] / (2 eta) for the
    two oscillating modes and equal s_3 for the third (also through the
    late_orbit view);
  - the Figure-2 job: every mode's oscillation range switches on within one
    grid step above 2/S_i, S_i = L s_i^(2-2/L), and the ranges match a
    NumPy run of the same network;
  - the Figure-1 cell on a 2-cycle and a 4-cycle: the tracked top Hessian
    eigenvalues at every late-orbit step equal the dense spectrum of the
    NumPy network at the same step (complex-step Hessian, LAPACK via
    numpy.linalg.eigvalsh), and the bifurcation figure draws exactly them;
  - the balancing job: each run's per-mode gap along training equals the
    NumPy run's w_2^2 - w_1^2, conserved below the edge and gone beyond
    it; the layers figure draws |w_1|, |w_2|;
  - explicit inits: an init file and the same weights written as init_diag
    (with alpha_layers) give the same run; the cell hash follows the file's
    content, not its path; bad files are refused with their name.
"""
import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import unittest

import numpy as np

ARGS = None
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import ref_dln  # noqa: E402


def run(cmd):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", MPLBACKEND="Agg",
               MPLCONFIGDIR=os.path.join(ARGS.workdir, "mplconfig"))
    return subprocess.run(cmd, capture_output=True, text=True, env=env,
                          timeout=600)


def ok(cmd):
    p = run(cmd)
    if p.returncode != 0:
        raise AssertionError("%s: exit %d\n%s%s" % (" ".join(cmd),
                                                    p.returncode, p.stdout,
                                                    p.stderr))
    return p


def dlnsweep(*args):
    return ok([ARGS.dlnsweep] + [str(a) for a in args])


def figure(db, name, *extra):
    """figures.py --only name --dump-json on db; returns the JSON."""
    out = os.path.join(ARGS.workdir, "figs-" + os.path.basename(db))
    ok([sys.executable, os.path.join(ARGS.source_dir, "analysis",
                                     "figures.py"), "--db", db, "--out",
        out, "--only", name, "--dump-json", "--formats", "png"] +
       list(extra))
    with open(os.path.join(out, name + ".json")) as f:
        return json.load(f)


def fresh(name):
    path = os.path.join(ARGS.workdir, name)
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    return path


def rows(db, sql, *params):
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def job(name):
    return os.path.join(ARGS.source_dir, "jobs", name)


class PaperFigures(unittest.TestCase):

    def test_depth2_two_cycles_per_mode(self):
        db = fresh("modes.db")
        s, eta = (1.0, 0.9, 0.5), 1.2
        dlnsweep("single", "--depth", 2, "--width", 3, "--spectrum",
                 "1,0.9,0.5", "--init", "balanced", "--alpha", 0.5, "--eta",
                 eta, "--steps", 20000, "--tail", 4, "--record-every", 0,
                 "--db", db)
        orbit = rows(db, "SELECT k, modes FROM orbits ORDER BY k")
        self.assertEqual(len(orbit), 4)
        modes = np.array([json.loads(m) for _, m in orbit])
        for i, si in enumerate(s):
            if eta > 1.0 / si:          # 2/(L s_i^(2-2/L)) = 1/s_i at L = 2
                lo, hi = ref_dln.two_cycle_depth2(si, eta)
                for k in range(4):
                    want = (lo, hi) if modes[k, i] < si else (hi, lo)
                    self.assertAlmostEqual(modes[k, i], want[0], delta=1e-9)
                self.assertTrue(np.all(np.abs(np.diff(modes[:, i])) > 0.3))
            else:
                np.testing.assert_allclose(modes[:, i], si, atol=1e-10)
        # the same numbers through the long view
        view = rows(db, "SELECT k, i, value FROM late_orbit WHERE quantity "
                    "= 'mode' ORDER BY k, i")
        self.assertEqual([v for _, _, v in view], list(modes.ravel()))

    def test_fig2_onsets(self):
        db = fresh("fig2.db")
        dlnsweep("run", job("paper-fig2.yaml"), "--db", db, "--quiet")
        d = figure(db, "osc_range")["data"]
        self.assertEqual(len(d["panels"]), 1)
        p = d["panels"][0]
        eta = np.array(p["eta"])
        rng = np.array(p["range"], float)
        step = 0.00025
        L, spec = 3, (10.0, 9.5, 9.0)
        for i, s in enumerate(spec):
            onset = 2.0 / (L * s ** (2.0 - 2.0 / L))
            self.assertAlmostEqual(p["onsets"][i]["eta"], onset, places=12)
            on = eta[rng[i] > 1e-2]
            self.assertTrue(len(on) > 0)
            self.assertGreater(on[0], onset)
            self.assertLessEqual(on[0], onset + step + 1e-12,
                                 "mode %d switches on at %g, 2/S = %g"
                                 % (i + 1, on[0], onset))
            self.assertTrue(np.all(rng[i][eta < onset] < 1e-2))
        # eta 0.0315 (the example): 2.07, 0, 0, as NumPy finds
        net = ref_dln.DLN([5, 5, 5, 5], spec)
        for e in (0.0315, 0.03475):
            x = ref_dln.identity_start(net, 0.01)
            for _ in range(1499):
                x = net.step(x, e)
            before = np.array(net.modes(x))
            after = np.array(net.modes(net.step(x, e)))
            k = int(np.argmin(np.abs(eta - e)))
            np.testing.assert_allclose(rng[:, k], np.abs(after - before),
                                       atol=1e-7)
        k = int(np.argmin(np.abs(eta - 0.0315)))
        self.assertAlmostEqual(rng[0, k], 2.07, delta=0.01)

    def fig1_cell(self, eta, db):
        """The cell of jobs/paper-fig1.yaml at eta, 8 late-orbit steps."""
        dlnsweep("single", "--depth", 3, "--width", 5, "--spectrum",
                 "10,9.5,9", "--init", "identity", "--alpha", 0.01,
                 "--eta", eta, "--steps", 6000, "--tail", 8,
                 "--record-every", 0, "--top-k", 4, "--orbit-hessian",
                 "--lyapunov-steps", 500, "--db", db)

    def test_fig1_hessian_against_dense(self):
        db = fresh("fig1.db")
        etas = (0.0345, 0.039)        # a 2-cycle, a 4-cycle of mode 1
        for eta in etas:
            self.fig1_cell(eta, db)
        net = ref_dln.DLN([5, 5, 5, 5], (10.0, 9.5, 9.0))
        for eta in etas:
            got = rows(db, "SELECT o.step, o.hessian, o.modes, r.period FROM "
                       "orbits o JOIN runs r ON r.id = o.run_id WHERE r.eta "
                       "= ? ORDER BY o.k", eta)
            self.assertEqual(len(got), 8)
            self.assertEqual(got[0][0], 5993)
            self.assertIn(got[0][3], (2, 4))
            x = ref_dln.identity_start(net, 0.01)
            for _ in range(5993):
                x = net.step(x, eta)
            for step, hess, modes, _ in got:
                want = net.top_eigenvalues(x, 4)
                np.testing.assert_allclose(json.loads(hess), want,
                                           rtol=1e-7, err_msg="eta %g step "
                                           "%d" % (eta, step))
                np.testing.assert_allclose(json.loads(modes), net.modes(x),
                                           rtol=1e-8)
                x = net.step(x, eta)
        # the figure draws the stored values, one panel per quantity
        d = figure(db, "bifurcation", "--quantity", "sv:1-3,hessian:1-4")
        kinds = [p["quantity"] for p in d["data"]["panels"]]
        self.assertEqual(kinds, ["sv", "hessian"])
        hp = d["data"]["panels"][1]
        want = sorted((e, i + 1, v) for e, h in rows(
            db, "SELECT r.eta, o.hessian FROM orbits o JOIN runs r ON r.id "
            "= o.run_id") for i, v in enumerate(json.loads(h)))
        self.assertEqual(sorted(zip(hp["eta"], hp["index"], hp["value"])),
                         want)
        self.assertEqual(hp["indices"], [1, 2, 3, 4])

    def test_balance_job(self):
        db = fresh("balance.db")
        dlnsweep("run", job("paper-balance.yaml"), "--db", db, "--quiet")
        d = figure(db, "balance")["data"]
        series = {round(r[1], 6): r[0] for r in rows(
            db, "SELECT id, eta FROM runs")}
        self.assertEqual(sorted(series), [0.18, 0.1997, 0.21])
        net = ref_dln.DLN([1, 1, 1], (5.0,))
        drawn = {g["run_id"]: g for g in d["mode_gaps"]}
        for eta, rid in series.items():
            g = drawn[rid]
            self.assertEqual((g["pair"], g["mode"]), (1, 1))
            x = np.array([1.5, 2.25])
            want = []
            for _ in range(2001):
                want.append(net.mode_gaps(x)[0])
                x = net.step(x, eta)
            np.testing.assert_allclose(g["gap"], want, atol=1e-11)
            self.assertEqual(g["gap"][0], 2.25 ** 2 - 1.5 ** 2)
            if eta < 0.19:     # below the edge: conserved once converged
                self.assertLess(abs(g["gap"][-1] - g["gap"][100]), 1e-9)
                self.assertGreater(g["gap"][-1], 2.3)
            elif eta < 0.2:    # just below: slowly down to what is left
                self.assertTrue(np.all(np.diff(g["gap"][10:]) <= 1e-12))
                self.assertGreater(g["gap"][-1], 0.3)
            else:              # beyond it: gone
                self.assertLess(abs(g["gap"][-1]), 1e-10)
        lay = figure(db, "layers")["data"]["runs"]
        for r in lay:
            eta = [e for e, i in series.items() if i == r["run_id"]][0]
            x = np.array([1.5, 2.25])
            for _ in range(2000):
                x = net.step(x, eta)
            np.testing.assert_allclose([v[-1] for v in r["layer_sv"]],
                                       np.abs(x), rtol=1e-10)

    def test_explicit_inits(self):
        w = os.path.join(ARGS.workdir, "init.npy")
        # depth 2, width 2: W_1 = diag(1.5, 0.5), W_2 = diag(2.25, 1)
        np.save(w, np.array([1.5, 0.0, 0.0, 0.5, 2.25, 0.0, 0.0, 1.0]))
        common = ["single", "--depth", 2, "--width", 2, "--spectrum",
                  "5,2", "--eta", 0.1, "--steps", 300, "--json"]
        a = json.loads(dlnsweep(*common, "--init", "file", "--init-file",
                                w).stdout)
        b = json.loads(dlnsweep(*common, "--init", "diagonal", "--init-diag",
                                "0.75,0.25,4.5,2", "--alpha-layers",
                                "2,0.5").stdout)
        for key in ("final_loss", "sv_product", "regime"):   # bit for bit
            self.assertEqual(a[key], b[key], key)
        # (Lanczos starts from the cell's seeded vector: rounding apart)
        self.assertAlmostEqual(a["sharpness"], b["sharpness"], delta=1e-12)
        # the same content elsewhere: the same cell; other content: not
        other = os.path.join(ARGS.workdir, "elsewhere.npy")
        shutil.copy(w, other)
        c = json.loads(dlnsweep(*common, "--init", "file", "--init-file",
                                other).stdout)
        self.assertEqual(a["cell_hash"], c["cell_hash"])
        np.save(other, np.array([1.5, 0.0, 0.0, 0.5, 2.25, 0.0, 0.0, 1.5]))
        c = json.loads(dlnsweep(*common, "--init", "file", "--init-file",
                                other).stdout)
        self.assertNotEqual(a["cell_hash"], c["cell_hash"])
        # refused: wrong size, wrong type, not .npy; each names the file
        bad = os.path.join(ARGS.workdir, "bad.npy")
        for data in (np.zeros(7), np.zeros(8, dtype=">f8"),
                     np.zeros(8, dtype=np.float32)):
            np.save(bad, data)
            p = run([ARGS.dlnsweep] + [str(t) for t in common] +
                    ["--init", "file", "--init-file", bad])
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn("bad.npy", p.stderr)
            self.assertEqual(p.stderr.count("\n"), 1, p.stderr)
        with open(bad, "wb") as f:
            f.write(b"not numpy")
        p = run([ARGS.dlnsweep] + [str(t) for t in common] +
                ["--init", "file", "--init-file", bad])
        self.assertEqual(p.returncode, 2)
        self.assertIn("not a NumPy .npy file", p.stderr)


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--dlnsweep", required=True)
    p.add_argument("--source-dir", required=True)
    p.add_argument("--workdir", required=True)
    ARGS, rest = p.parse_known_args()
    os.makedirs(ARGS.workdir, exist_ok=True)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
