#!/usr/bin/env python3
"""Adaptive refinement end to end: `dlnsweep run` on a job with a refine:
section, then the `boundaries` view of the database it wrote.

  l2: scalar depth 2, s = 1: the 1->2 flip at eta = 1 and the 2->4 flip at
      sqrt(5) - 1, each located to 1e-6; a rerun adds nothing.
  l3: scalar depth 3, s = 1: the flips 1->2 (at 2/3), 2->4, 4->8, 8->16,
      16->32; the ratios of successive intervals are within 2% of 4.38 and
      4.63 and approach Feigenbaum's 4.6692.
  contin-l2, contin-l3, contin-l4: refine: {method: continuation} on the
      scalar depth-L model: eta_1..eta_8 to 1e-10 and the ratios
      delta_2..delta_7 within 1e-5 of the independent mpmath reference
      (tests/ref_cascade.py's values, as tests/test_continuation.c holds
      them), the period-3 fold to 1e-9 and the window's first two flips,
      residuals at rounding, in under a minute; a rerun adds nothing.
"""
import argparse
import math
import os
import shlex
import sqlite3
import subprocess
import sys
import time

FEIGENBAUM = 4.669201609


def run_sweep(args, job, db):
    cmd = shlex.split(args.launcher) + ["-n", "3", args.exe, "run", job,
                                        "--db", db, "--quiet"]
    t0 = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)} exited {proc.returncode}\n"
                 f"{proc.stderr}")
    return time.monotonic() - t0


def boundaries(db):
    con = sqlite3.connect(db)
    rows = con.execute("SELECT eta, gap, period_from, period_to, kind "
                       "FROM boundaries ORDER BY eta").fetchall()
    nruns = con.execute("SELECT COUNT(*), COUNT(DISTINCT cell_hash) "
                        "FROM runs").fetchone()
    con.close()
    return rows, nruns


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    return bool(cond)


def case_l2(args, db):
    run_sweep(args, os.path.join(args.tests, "jobs", "refine-l2.yaml"), db)
    rows, (n, distinct) = boundaries(db)
    ok = check(len(rows) == 2, f"two transitions (got {rows})")
    if len(rows) == 2:
        for (eta, gap, pf, pt, kind), (want, p0) in zip(
                rows, [(1.0, 1), (math.sqrt(5) - 1, 2)]):
            ok &= check(kind == "period-doubling" and pf == p0 and
                        pt == 2 * p0, f"{p0}->{2 * p0} is a period doubling")
            ok &= check(abs(eta - want) <= 1e-6 and gap <= 5e-7,
                        f"{p0}->{2 * p0} at {eta:.9f} (theory {want:.9f}, "
                        f"bracket {gap:.1e})")
    ok &= check(n == distinct, f"{n} runs, one per cell")
    run_sweep(args, os.path.join(args.tests, "jobs", "refine-l2.yaml"), db)
    _, (n2, _) = boundaries(db)
    ok &= check(n2 == n, f"a rerun adds nothing ({n} -> {n2} runs)")
    return ok


def case_l3(args, db):
    run_sweep(args, os.path.join(args.tests, "jobs", "refine-l3.yaml"), db)
    rows, _ = boundaries(db)
    ok = check([(r[2], r[3]) for r in rows] ==
               [(1, 2), (2, 4), (4, 8), (8, 16), (16, 32)],
               f"flips 1->2 ... 16->32 in order (got {rows})")
    if not ok:
        return False
    b = [r[0] for r in rows]
    ok &= check(abs(b[0] - 2 / 3) <= 1e-6, f"1->2 at {b[0]:.9f} = 2/3")
    d = [(b[k + 1] - b[k]) / (b[k + 2] - b[k + 1]) for k in range(3)]
    print("interval ratios:", ", ".join(f"{x:.4f}" for x in d))
    ok &= check(abs(d[0] / 4.38 - 1) <= 0.02, f"delta_1 = {d[0]:.4f} ~ 4.38")
    ok &= check(abs(d[1] / 4.63 - 1) <= 0.02, f"delta_2 = {d[1]:.4f} ~ 4.63")
    ok &= check(abs(d[2] - FEIGENBAUM) < abs(d[0] - FEIGENBAUM) and
                abs(d[2] / FEIGENBAUM - 1) <= 0.01,
                f"delta_3 = {d[2]:.4f} nearer Feigenbaum's 4.6692")
    if args.python:   # docs/sweeps.md's cascade figure, from this db
        out = os.path.join(args.work, "figs")
        proc = subprocess.run([args.python, os.path.join(
            args.tests, "..", "analysis", "figures.py"), "--db", db, "--out",
            out, "--only", "cascade"], capture_output=True, text=True,
            env=dict(os.environ, MPLBACKEND="Agg"))
        png = os.path.join(out, "cascade.png")
        ok &= check(proc.returncode == 0 and os.path.exists(png) and
                    os.path.getsize(png) > 20000,
                    f"figures.py --only cascade wrote {png} {proc.stderr}")
        with open(os.path.join(out, "cascade.txt")) as f:
            ok &= check("FROM boundaries" in f.read(),
                        "the caption holds the boundaries query")
    return ok


def located(db):
    con = sqlite3.connect(db)
    rows = con.execute("SELECT eta, kind, period_from, period_to, residual, "
                       "method FROM boundaries WHERE method = "
                       "'continuation' ORDER BY eta").fetchall()
    nc = con.execute("SELECT COUNT(*) FROM continuations").fetchone()[0]
    con.close()
    return rows, nc


def case_contin(args, db, depth):
    sys.path.insert(0, args.tests)
    import ref_cascade   # the reference's values, as the C test holds them
    ref = ref_cascade.c_constants(os.path.join(
        args.tests, "test_continuation.c"))[depth]
    wall = run_sweep(args, os.path.join(args.tests, "jobs",
                                        f"contin-l{depth}.yaml"), db)
    rows, nc = located(db)
    print(f"depth {depth}: {len(rows)} points from {nc} continuations in "
          f"{wall:.1f} s")
    flips = [r for r in rows if r[1] == "period-doubling" and
             r[2] is not None and r[2] & (r[2] - 1) == 0]
    ok = check([(r[2], r[3]) for r in flips[:8]] ==
               [(2 ** k, 2 ** (k + 1)) for k in range(8)],
               "flips 1->2 ... 128->256 in order")
    if not ok:
        print(rows)
        return False
    for k, (r, want) in enumerate(zip(flips, ref["flips"]), 1):
        ok &= check(abs(r[0] - want) <= 1e-10 * want and r[4] < 1e-12,
                    f"eta_{k} = {r[0]:.13f} (reference {want:.13f}, "
                    f"residual {r[4]:.1e})")
    b, w = [r[0] for r in flips[:8]], ref["flips"]
    for k in range(2, 8):
        got = (b[k - 1] - b[k - 2]) / (b[k] - b[k - 1])
        want = (w[k - 1] - w[k - 2]) / (w[k] - w[k - 1])
        ok &= check(abs(got - want) < 1e-5,
                    f"delta_{k} = {got:.6f} (reference {want:.6f})")
    folds = [r for r in rows if r[1] == "fold"]
    ok &= check(len(folds) == 1 and folds[0][3] == 3 and
                abs(folds[0][0] - ref["fold3"]) <= 1e-9 * ref["fold3"],
                f"period-3 fold at {folds[0][0] if folds else None} "
                f"(reference {ref['fold3']:.12f})")
    window = [r for r in rows if r[1] == "period-doubling" and r[2] in (3, 6)]
    ok &= check(len(window) == 2 and all(
        abs(r[0] - want) <= 1e-10 * want
        for r, want in zip(window, ref["window"])),
        f"window flips 3->6, 6->12 at {[r[0] for r in window]}")
    ok &= check(wall < 60.0, f"the sweep took {wall:.1f} s (< 60 s)")
    run_sweep(args, os.path.join(args.tests, "jobs",
                                 f"contin-l{depth}.yaml"), db)
    rows2, nc2 = located(db)
    ok &= check(nc2 == nc and len(rows2) == len(rows),
                f"a rerun adds nothing ({nc} -> {nc2} continuations)")
    if args.python:   # the cascade figure reads the located points
        out = os.path.join(args.work, f"figs-contin-l{depth}")
        proc = subprocess.run([args.python, os.path.join(
            args.tests, "..", "analysis", "figures.py"), "--db", db, "--out",
            out, "--only", "cascade"], capture_output=True, text=True,
            env=dict(os.environ, MPLBACKEND="Agg"))
        png = os.path.join(out, "cascade.png")
        ok &= check(proc.returncode == 0 and os.path.exists(png),
                    f"figures.py --only cascade wrote {png} {proc.stderr}")
        with open(os.path.join(out, "cascade.txt")) as f:
            ok &= check("by continuation" in f.read(),
                        "the caption says the points are located by "
                        "continuation")
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("case", choices=["l2", "l3", "contin-l2", "contin-l3",
                                     "contin-l4"])
    ap.add_argument("--exe", required=True)
    ap.add_argument("--launcher", required=True)
    ap.add_argument("--tests", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--python", help="python3 with matplotlib: also make "
                    "the cascade figure")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    db = os.path.join(args.work, f"refine-{args.case}.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    if args.case.startswith("contin-l"):
        ok = case_contin(args, db, int(args.case[-1]))
    else:
        ok = case_l2(args, db) if args.case == "l2" else case_l3(args, db)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
