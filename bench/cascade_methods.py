#!/usr/bin/python3
"""The period-doubling cascade of the scalar depth-L model located two ways
through `dlnsweep run` on 3 ranks (2 workers): bisection on labels
(tests/jobs/refine-l3.yaml, refine: tol 5e-7) and continuation
(tests/jobs/contin-lL.yaml, refine: {method: continuation}).  Prints, per
method, each flip with its error against the mpmath reference
(tests/ref_cascade.py's values, as tests/test_continuation.c holds them),
the interval ratios delta_k, and the wall time of the sweep;
docs/sweeps.md "Adaptive refinement" quotes it."""
import argparse
import os
import shlex
import sqlite3
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.join(HERE, "..", "tests")
sys.path.insert(0, TESTS)
import ref_cascade  # noqa: E402  (the C test's constants)


def sweep(args, job, db):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    cmd = shlex.split(args.launcher) + ["-n", "3", args.exe, "run", job,
                                        "--db", db, "--quiet"]
    t0 = time.monotonic()
    subprocess.run(cmd, check=True, capture_output=True,
                   env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))
    return time.monotonic() - t0


def flips(db, method):
    con = sqlite3.connect(db)
    rows = con.execute("SELECT eta, gap, period_from FROM boundaries "
                       "WHERE kind = 'period-doubling' AND method = ? "
                       "ORDER BY eta", (method,)).fetchall()
    nruns = con.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    con.close()
    chain = [r for r in rows if r[2] is not None and r[2] & (r[2] - 1) == 0]
    return chain, nruns


def report(name, chain, ref, wall, nruns):
    print(f"\n{name}: {len(chain)} flips, {nruns} runs, {wall:.1f} s")
    for k, (eta, gap, p) in enumerate(chain):
        err = abs(eta - ref[k]) / ref[k] if k < len(ref) else float("nan")
        print(f"  eta_{k + 1} ({p}->{2 * p}) = {eta:.13f}  bracket "
              f"{gap:.1e}  rel. error {err:.1e}")
    b = [c[0] for c in chain]
    for k in range(2, len(b)):
        d = (b[k - 1] - b[k - 2]) / (b[k] - b[k - 1])
        w = (ref[k - 1] - ref[k - 2]) / (ref[k] - ref[k - 1])
        print(f"  delta_{k} = {d:.6f}  (reference {w:.6f})")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--exe", required=True)
    ap.add_argument("--launcher", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    ref = ref_cascade.c_constants(os.path.join(
        TESTS, "test_continuation.c"))[3]["flips"]
    for method, job in (("bisection", "refine-l3.yaml"),
                        ("continuation", "contin-l3.yaml")):
        db = os.path.join(args.work, f"{method}.db")
        wall = sweep(args, os.path.join(TESTS, "jobs", job), db)
        chain, nruns = flips(db, method)
        report(f"depth 3, {method} ({job})", chain, ref, wall, nruns)
    return 0


if __name__ == "__main__":
    sys.exit(main())
