#!/usr/bin/env python3
"""CLI test of `dlnsweep single`: exit codes and one-line errors, --help,
--json summary (checked against the L=2 scalar 2-cycle theory), and --db
(exactly one row per cell, replaced on rerun; bad databases refused and left
untouched).  Usage: single_cli.py PATH_TO_DLNSWEEP"""
import json
import math
import os
import sqlite3
import subprocess
import sys
import tempfile

EXE = sys.argv[1]
failures = []


def run(*args):
    p = subprocess.run([EXE, "single", *args], capture_output=True, text=True,
                       timeout=60)
    return p.returncode, p.stdout, p.stderr


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def expect_usage_error(args, needle):
    rc, out, err = run(*args)
    lines = err.strip().splitlines()
    check(rc == 2, f"{args}: exit {rc}, expected 2")
    check(len(lines) == 1, f"{args}: {len(lines)} stderr lines: {err!r}")
    check(lines and lines[0].startswith("dlnsweep single: ")
          and needle in lines[0], f"{args}: message {err!r} lacks {needle!r}")
    check(out == "", f"{args}: unexpected stdout {out!r}")


# Bad input: one line, exit 2.
expect_usage_error(["--eta", "0"], "--eta")
expect_usage_error(["--eta", "-1"], "--eta")
expect_usage_error(["--eta", "abc"], "--eta")
expect_usage_error(["--eta", "nan"], "--eta")
expect_usage_error(["--eta"], "--eta")
expect_usage_error(["--bogus"], "--bogus")
expect_usage_error(["--steps", "0"], "--steps")
expect_usage_error(["--depth", "0"], "--depth")
expect_usage_error(["--init", "foo"], "--init")
expect_usage_error(["--spectrum", "1,x"], "--spectrum")
expect_usage_error(["--spectrum", "1,2"], "--spectrum")
expect_usage_error(["--period-tol", "2"], "--period-tol")
expect_usage_error(["stray"], "stray")

rc, out, err = run("--help")
check(rc == 0 and "usage: dlnsweep single" in out and err == "",
      "--help: usage on stdout, exit 0")

# Every parameter `dlnsweep params` lists is an option of `single`, listed
# in --help, and its default value is accepted as written there.
help_text = out
p = subprocess.run([EXE, "params", "--markdown"], capture_output=True,
                   text=True, timeout=60)
rows = [line.split("|") for line in p.stdout.splitlines()
        if line.startswith("| `")]
check(p.returncode == 0 and len(rows) >= 20, f"params --markdown: {rows}")
for cells in rows:
    key, default = cells[1].strip().strip("`"), cells[3].strip()
    opt = "--" + key.replace("_", "-")
    check(opt in help_text, f"{opt} missing from --help")
    if default in ("true", "false"):
        args = [opt] if default == "true" else []
    else:
        args = [opt, default]
    rc, _, err = run(*args, "--steps", "20", "--lyapunov-steps", "10")
    check(rc == 0, f"{args}: default refused: {err}")

SCALAR = ["--depth", "2", "--width", "1", "--spectrum", "1", "--steps",
          "3000", "--tail", "16", "--record-every", "100"]

# --json: the L=2 2-cycle at eta = 1.05.
eta = 1.05
rc, out, err = run("--eta", str(eta), *SCALAR, "--json")
check(rc == 0, f"--json run: exit {rc}: {err}")
d = json.loads(out)
check(d["regime"] == "periodic" and d["period"] == 2,
      f"2-cycle expected, got {d['regime']}/{d['period']}")
check(abs(d["two_over_eta"] - 2 / eta) < 1e-12, "two_over_eta")
disc = math.sqrt((1 + eta) ** 2 - 4)
want = sorted([(1 + eta - disc) / (2 * eta), (1 + eta + disc) / (2 * eta)])
got = sorted(d["orbit_sv1"][-2:])
for g, w in zip(got, want):
    check(abs(g - w) <= 1e-6 * w, f"2-cycle value {g} vs {w}")
for key in ("final_loss", "sharpness", "lyapunov", "balance_gap",
            "offdiag_mass", "wall_s"):
    check(isinstance(d[key], (int, float)), f"{key} is a number")
check(d["diverge_step"] == -1 and d["n_oscillating"] == 1, "fields of 2-cycle")
check(d["lyapunov"] < 0, "2-cycle has negative Lyapunov exponent")

# Divergent: still exit 0, null for the non-finite loss, step recorded.
rc, out, err = run("--eta", "1e300", *SCALAR, "--json")
d = json.loads(out)
check(rc == 0 and d["regime"] == "divergent" and d["diverge_step"] >= 0,
      "divergent run summarised")

# Human summary.
rc, out, err = run("--eta", "0.9", *SCALAR)
check(rc == 0 and out.startswith("regime        converged"), "text summary")

with tempfile.TemporaryDirectory() as tmp:
    db = os.path.join(tmp, "one.db")
    for _ in range(2):   # rerun replaces the row
        rc, out, err = run("--eta", str(eta), *SCALAR, "--db", db, "--json")
        check(rc == 0, f"--db run: exit {rc}: {err}")
    con = sqlite3.connect(db)
    rows = con.execute("SELECT id, cell_hash, seed_index, regime, period, eta"
                       " FROM runs").fetchall()
    check(len(rows) == 1, f"--db twice: {len(rows)} rows, expected 1")
    if rows:
        rid, cell, seed_index, regime, period, eta_db = rows[0]
        check(cell == json.loads(out)["cell_hash"] and seed_index == 0,
              "row keyed by the cell hash, seed index 0")
        check(regime == "periodic" and period == 2 and eta_db == eta,
              f"row content {rows[0]}")
        n_orbit = con.execute("SELECT count(*) FROM orbits WHERE run_id=?",
                              (rid,)).fetchone()[0]
        check(n_orbit == 16, f"{n_orbit} orbit rows, expected 16")
        n_traj = con.execute("SELECT count(*) FROM trajectories WHERE run_id=?",
                             (rid,)).fetchone()[0]
        check(n_traj == 31, f"{n_traj} trajectory rows, expected 31")
    con.close()

    # Another cell adds a second row.
    rc, out, err = run("--eta", "0.9", *SCALAR, "--db", db)
    con = sqlite3.connect(db)
    check(con.execute("SELECT count(*) FROM runs").fetchone()[0] == 2,
          "second cell, second row")
    con.close()

    # Per-pair balancing gaps (balance_gaps JSON, depth-1 entries, max =
    # balance_gap), and a version-1 database (before that column): readable
    # as is, migrated by the next writer.
    deep = ["--depth", "4", "--width", "3", "--spectrum", "2,1", "--init",
            "gaussian", "--alpha", "0.7", "--steps", "50", "--eta", "0.01"]
    rc, out, err = run(*deep, "--db", db)
    con = sqlite3.connect(db)
    gap, gaps = con.execute("SELECT balance_gap, balance_gaps FROM runs "
                            "WHERE depth = 4").fetchone()
    gaps = json.loads(gaps)
    check(len(gaps) == 3 and abs(max(gaps) - gap) <= 1e-12 * gap and
          min(gaps) > 0, f"balance_gaps {gaps} vs balance_gap {gap}")
    con.execute("ALTER TABLE runs DROP COLUMN balance_gaps")
    con.execute("DROP TABLE located_points")   # version 4's tables
    con.execute("DROP TABLE continuations")
    con.execute("PRAGMA user_version = 1")
    con.commit()
    con.close()
    p = subprocess.run([EXE, "status", "--db", db], capture_output=True,
                       text=True)
    check(p.returncode == 0 and "3 done" in p.stdout,
          f"status of a version-1 DB: {p.returncode} {p.stdout}{p.stderr}")
    rc, out, err = run(*deep, "--eta", "0.02", "--db", db)
    con = sqlite3.connect(db)
    ver = con.execute("PRAGMA user_version").fetchone()[0]
    new = con.execute("SELECT balance_gaps FROM runs WHERE eta = 0.02"
                      ).fetchone()
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master "
                                        "WHERE type = 'table'")}
    check({"continuations", "located_points"} <= tables,
          f"a migrated file has the continuation tables: {sorted(tables)}")
    check(con.execute("SELECT count(*) FROM boundaries").fetchone()[0] >= 0,
          "the boundaries view reads the migrated file")
    con.close()
    fresh = os.path.join(tmp, "fresh.db")   # the version a new file gets
    run(*deep, "--db", fresh)
    con = sqlite3.connect(fresh)
    latest = con.execute("PRAGMA user_version").fetchone()[0]
    con.close()
    check(rc == 0 and latest >= 2 and ver == latest and new and
          len(json.loads(new[0])) == 3,
          f"migrated to version {ver} (latest {latest}): {new} {err}")

    # Unusable databases: exit 2, one line, file untouched.
    expect_usage_error(["--db", os.path.join(tmp, "no", "such", "dir.db")],
                       "dir.db")
    junk = os.path.join(tmp, "junk.db")
    with open(junk, "w") as f:
        f.write("not a database\n" * 100)
    before = open(junk, "rb").read()
    expect_usage_error(["--eta", "0.9", *SCALAR, "--db", junk], "junk.db")
    check(open(junk, "rb").read() == before, "junk file left untouched")

print("single_cli:", "FAILED" if failures else "ok", len(failures))
sys.exit(1 if failures else 0)
