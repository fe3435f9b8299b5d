#!/usr/bin/python3
"""Regime labels and end-of-run dynamics of real runs (`dlnsweep single`)
against closed forms and the independent NumPy references
(tests/ref_floquet.py, tests/ref_labels.py).  The regression cases of
issue 14:

  fig2        target (10, 9.5, 9), width 5, depth 3, identity alpha 0.01,
              eta 0.0355, the paper's 1500 steps: periodic(2), labelled in
              the SVS set; its positive exponent is transverse, and the
              transverse Floquet exponent is the dense-Jacobian reference's
  saddle      paper-l3's (10, 6) cell at eta 0.058: mode 1 at the zero
              saddle, loss 1/2 10^2 left: saddle with one collapsed mode
  quasi       rotated (10, 9.5), width 2, depth 3: at eta 0.0320 a 2-cycle
              whose complex multiplier pair is near the unit circle, at
              0.0321 the invariant circle born from it (Neimark-Sacker):
              quasiperiodic, as the NumPy simulation says (at 0.0322,
              issue 14's case, seeds split between the circle and chaos)
  errorbars   chaotic exponents of the scalar nets (L=3, eta 0.88; L=2,
              eta 1.5) within their error bars of the ensemble reference;
              a 3-cycle's exponent is its Floquet exponent (whole periods)
  still       eta 1e-300 moves nothing: unresolved, reason 'not moved'
  twocycle    L=2, s=1 2-cycle: a multiplier 9 - 2 (1 + eta)^2

    test_labels.py DLNSWEEP PROBE [case ...]
"""
import json
import math
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ref_floquet  # noqa: E402
import ref_labels  # noqa: E402

FAILED, PASSED = [], []
EXE = PROBE = None


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    (PASSED if cond else FAILED).append(what)


def single(*args, db=None):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    cmd = [EXE, "single", "--json"] + [str(a) for a in args]
    if db:
        cmd += ["--db", db]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True,
                         env=env).stdout
    return json.loads(out)


SCALAR = ("--width", 1, "--spectrum", 1, "--init", "balanced", "--alpha",
          0.5, "--steps", 20000)


def case_fig2():
    d = single("--depth", 3, "--width", 5, "--spectrum", "10,9.5,9",
               "--init", "identity", "--alpha", 0.01, "--eta", 0.0355,
               "--steps", 1500)
    check(d["regime"] == "periodic" and d["period"] == 2,
          "Figure 2 at 1500 steps: %s/%d (was chaotic)" % (d["regime"],
                                                           d["period"]))
    check(d["in_set"] == 1 and d["set_defect"] == 0.0,
          "labelled in the SVS set")
    check(d["lyapunov"] - 3 * d["lyapunov_err"] > 0.1,
          "full exponent %.4f +- %.1e > 0: the transverse instability"
          % (d["lyapunov"], d["lyapunov_err"]))
    check(d["lyapunov_inset"] <= 3 * d["lyapunov_inset_err"] + 1e-12,
          "in-set exponent %.2e <= 0" % d["lyapunov_inset"])
    check(d["transverse_stable"] == 0, "unstable across the set")
    states = [(m["state"], m["period"]) for m in d["mode_regimes"]]
    check(states == [("periodic", 2), ("periodic", 2), ("fitted", 1)],
          "modes 1, 2 in 2-cycles, mode 3 settling at s_3 (eta below "
          "2/(3 9^(4/3)) = 0.035612): %s" % states)
    ref = ref_floquet.split_reference()["transverse_exponent"]
    got = math.log(d["floquet_transverse_max"]) / 2
    check(abs(got - ref) <= 1e-9,
          "transverse Floquet exponent %.12f == dense reference %.12f"
          % (got, ref))


def case_saddle():
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "saddle.db")
        d = single("--depth", 3, "--width", 3, "--spectrum", "10,6",
                   "--init", "identity", "--alpha", 1, "--eta", 0.058,
                   "--steps", 20000, db=db)
        out = subprocess.run([EXE, "status", "--db", db, "--json"],
                             check=True, capture_output=True,
                             text=True).stdout
        counts = json.loads(out)["single"]["regimes"]
        check(counts.get("saddle") == 1 and "quasiperiodic" in counts,
              "dlnsweep status counts the new regimes: %s" % counts)
    check(d["regime"] == "saddle" and d["n_collapsed"] == 1,
          "paper-l3 (10, 6) at eta 0.058: %s with %s collapsed mode (was "
          "converged)" % (d["regime"], d["n_collapsed"]))
    check(abs(d["final_loss"] - 50.0) <= 1e-9 * 50,
          "loss left %.12g == 1/2 10^2" % d["final_loss"])
    states = [m["state"] for m in d["mode_regimes"]]
    check(states == ["collapsed", "fitted"], "mode states %s" % states)


def case_quasi():
    rot = ("--depth", 3, "--width", 2, "--spectrum", "10,9.5", "--rotate",
           "--init", "identity", "--alpha", 1, "--steps", 20000)
    d = single("--eta", 0.0320, *rot)
    pair = [f for f in d["floquet"] if f["im"] > 1e-3]
    check(d["regime"] == "periodic" and d["period"] == 2 and pair and
          0.99 < pair[0]["mod"] < 1.0,
          "eta 0.0320: %s/%d, complex pair |mu| = %s: about to become a "
          "circle" % (d["regime"], d["period"],
                      pair[0]["mod"] if pair else None))
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "quasi.db")
        d = single("--eta", 0.0321, *rot, db=db)
        check(d["regime"] == "quasiperiodic",
              "eta 0.0321: %s (was unresolved)" % d["regime"])
        check(d["in_set"] == 0 and 1e-3 < d["offdiag_mass"] <= 0.11,
              "off the set, off-diagonal mass %.3f" % d["offdiag_mass"])
        check(abs(d["lyapunov"]) <= 3 * d["lyapunov_err"] + 1e-3,
              "top exponent %.1e +- %.1e: 0" % (d["lyapunov"],
                                               d["lyapunov_err"]))
        # NumPy's own GD from the same problem, 3x further.
        import sqlite3
        con = sqlite3.connect(db)
        con.row_factory = sqlite3.Row
        run = dict(con.execute("SELECT * FROM runs").fetchone())
        con.close()
        lab, info = ref_labels.simulate([run], PROBE, 60000)[0]
        check(lab == "quasiperiodic",
              "NumPy simulation: %s (twin exponent %.1e +- %.1e)"
              % (lab, info["lambda"], info["lambda_se"]))


def case_errorbars():
    for L, eta in ((3, 0.88), (2, 1.5)):
        d = single("--depth", L, "--eta", eta, *SCALAR)
        ref, se = ref_floquet.scalar_lyapunov(L, eta)
        bar = 3 * math.hypot(d["lyapunov_err"], se)
        check(d["regime"] == "chaotic" and abs(d["lyapunov"] - ref) <= bar
              and d["lyapunov"] - 3 * d["lyapunov_err"] > 0,
              "L=%d eta=%g: %s %.4f +- %.4f, reference %.4f +- %.4f"
              % (L, eta, d["regime"], d["lyapunov"], d["lyapunov_err"], ref,
                 se))
    d = single("--depth", 2, "--eta", 1.455, *SCALAR)
    c = ref_floquet.scalar_cycle(2, 1.455, 3)
    ref = max(c["exponent"], c["exponent_across"])
    check(d["regime"] == "periodic" and d["period"] == 3 and
          abs(d["lyapunov"] - ref) <= 1e-9,
          "3-cycle at eta 1.455: exponent %.12f == Floquet %.12f (no bias "
          "from a fraction of a period)" % (d["lyapunov"], ref))


def case_still():
    d = single("--depth", 2, "--eta", 1e-300, *SCALAR)
    check(d["regime"] == "unresolved" and d["reason"] == "not moved",
          "eta 1e-300: %s (%s), was converged" % (d["regime"], d["reason"]))


def case_twocycle():
    for eta in (1.05, 1.1, 1.2):
        d = single("--depth", 2, "--eta", eta, *SCALAR)
        mu = 9 - 2 * (1 + eta) ** 2
        best = min(math.hypot(f["re"] - mu, f["im"]) for f in d["floquet"])
        check(d["period"] == 2 and best <= 1e-9,
              "L=2 eta=%g: multiplier %.12f among %s" %
              (eta, mu, [round(f["re"], 12) for f in d["floquet"]]))


CASES = {"fig2": case_fig2, "saddle": case_saddle, "quasi": case_quasi,
         "errorbars": case_errorbars, "still": case_still,
         "twocycle": case_twocycle}


def main():
    global EXE, PROBE
    EXE, PROBE = sys.argv[1], sys.argv[2]
    for name in sys.argv[3:] or list(CASES):
        print("== %s" % name)
        CASES[name]()
    print("%d passed, %d failed" % (len(PASSED), len(FAILED)))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
