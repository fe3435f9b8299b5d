#!/usr/bin/env python3
"""bookkeeping_test.py -- sweep membership, forget/retry and the grid
language (issue 18), through the real binary.

  bookkeeping_test.py CASE --exe build/dlnsweep --repo SRC --work DIR
    [--launcher "mpirun ..."]

Cases: overlap (two sweeps sharing cells and `single` into one database:
each sweep complete in status, views and slurm/sweep-pass.sh's decision),
forget (forget + rerun restores the rows bitwise; a bad --where leaves
the file byte-identical), retry (injected errors rerun with --retry, capped
by --max-attempts; --force with a shrunk job), refine (after --force the
bisection points the new spec reaches rejoin the sweep; a failed bisection
point ends the rounds), collision (a stored row of
the same key with other parameters is refused), grid (zip, exclude,
spectrum families over ranges and eta: {times_edge: ...} expand to the
expected tasks; hashes of cells that existed before are unchanged)."""
import argparse
import hashlib
import json
import math
import os
import shutil
import sqlite3
import subprocess
import sys

BASE = """name: %(name)s
grid:
  eta: %(eta)s
  depth: 2
  width: 1
  spectrum: 1
  init: balanced
  alpha: 0.5
  steps: 300
diagnostics: {record_every: 50, tail: 8, lyapunov_steps: 50}
"""


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


class Env:
    def __init__(self, args):
        self.exe, self.repo = args.exe, args.repo
        self.work = os.path.join(args.work, args.case)
        shutil.rmtree(self.work, ignore_errors=True)
        os.makedirs(self.work)

    def path(self, name):
        return os.path.join(self.work, name)

    def job(self, name, eta, extra=""):
        p = self.path(name + ".yaml")
        with open(p, "w") as f:
            f.write(BASE % {"name": name, "eta": eta} + extra)
        return p

    def run(self, *args, rc=0, env=None):
        e = dict(os.environ, OPENBLAS_NUM_THREADS="1")
        e.update(env or {})
        p = subprocess.run([self.exe] + list(args), capture_output=True,
                           text=True, env=e, cwd=self.work, timeout=90)
        if rc is not None and p.returncode != rc:
            fail("%s -> %d (want %d)\n%s%s" % (" ".join(args), p.returncode,
                                              rc, p.stdout, p.stderr))
        return p

    def status(self, db, sweep):
        p = self.run("status", "--db", db, "--sweep", sweep, "--json")
        return json.loads(p.stdout)["sweeps"][0]


def hold_lease(db, held=True):
    """Write (or drop) a live lease of another writer into db."""
    import time
    con = sqlite3.connect(db)
    if held:
        con.execute("INSERT OR REPLACE INTO lease(id, owner, host, pid, "
                    "slurm_job_id, acquired_at, heartbeat) VALUES (1, "
                    "'other:1', 'elsewhere', 1, NULL, ?, ?)",
                    (time.time(), time.time()))
    else:
        con.execute("DELETE FROM lease")
    con.commit()
    con.close()


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def case_overlap(env, args):
    db = env.path("x.db")
    a = env.job("a", "[0.5, 0.9, 1.1]")
    b = env.job("b", "[0.9, 1.1, 1.3]")
    env.run("run", a, "--db", db, "--quiet")
    env.run("run", b, "--db", db, "--quiet")
    env.run("single", "--eta", "0.7", "--depth", "2", "--width", "1",
            "--spectrum", "1", "--init", "balanced", "--alpha", "0.5",
            "--steps", "300", "--record-every", "50", "--tail", "8",
            "--lyapunov-steps", "50", "--db", db)
    # single reproducing a sweep's cell keeps it in that sweep
    env.run("single", "--eta", "1.3", "--depth", "2", "--width", "1",
            "--spectrum", "1", "--init", "balanced", "--alpha", "0.5",
            "--steps", "300", "--record-every", "50", "--tail", "8",
            "--lyapunov-steps", "50", "--db", db)
    for name in ("a", "b"):
        st = env.status(db, name)
        check(st["done"] == 3 and st["total"] == 3 and st["complete"] and
              st["left"] == 0 and st["fraction"] == 1.0,
              "sweep %s status %s" % (name, st))
    full = json.loads(env.run("status", "--db", db, "--json").stdout)
    check(full["single"]["done"] == 1, "runs in no sweep: %s"
          % full["single"])
    con = sqlite3.connect(db)
    for name, etas in (("a", [0.5, 0.9, 1.1]), ("b", [0.9, 1.1, 1.3])):
        got = [r[0] for r in con.execute(
            "SELECT eta FROM phase_eta_depth p JOIN sweeps s ON s.id = "
            "p.sweep_id WHERE s.name = ? ORDER BY eta", (name,))]
        check(got == etas, "phase view of %s: %s" % (name, got))
        n = con.execute("SELECT n_runs FROM sweep_summary WHERE sweep = ?",
                        (name,)).fetchone()[0]
        check(n == 3, "sweep_summary %s: %d runs" % (name, n))
    check(con.execute("SELECT count(*) FROM runs").fetchone()[0] == 5,
          "5 distinct runs")
    con.close()
    # figures select through membership too
    sys.path.insert(0, os.path.join(env.repo, "analysis"))
    import dlndb
    fcon = dlndb.open_db(db)
    groups = {g[1]: g[2] for g in dlndb.sweep_groups(fcon)}
    check(groups == {"a": 3, "b": 3, dlndb.SINGLE: 1},
          "figure groups %s" % groups)
    sid = dlndb.resolve_sweep(fcon, "b")[0]
    n = fcon.execute("SELECT count(*) FROM runs WHERE %s"
                     % dlndb.member_filter(sid)).fetchone()[0]
    check(n == 3, "figure filter of b: %d runs" % n)
    # the Slurm pass: nothing left for b, and a pass outside Slurm ends 0
    pass_sh = os.path.join(env.repo, "slurm", "sweep-pass.sh")
    e = dict(os.environ, DLNSWEEP=env.exe, DLN_LAUNCHER="mpirun",
             DLN_LAUNCHER_ARGS=" ".join(args.launcher.split()[1:]),
             SLURM_NTASKS="1", SLURM_SUBMIT_DIR=env.work)
    e.pop("SLURM_JOB_ID", None)
    left = subprocess.run(["bash", pass_sh, "--left", b, db], env=e,
                          capture_output=True, text=True)
    check(left.stdout.strip() == "0", "sweep-pass --left: %r %s"
          % (left.stdout, left.stderr))
    # a sweep not run yet: what it would compute (seed 0 of its cells 0.9
    # and 1.1 is there; tasks 0, 2 of 0..5, cell-major), per shard too;
    # no database: everything
    c = env.job("c", "[0.9, 1.1, 1.5]", "seeds: 2\n")
    left = subprocess.run(["bash", pass_sh, "--left", c, db], env=e,
                          capture_output=True, text=True)
    check(left.stdout.strip() == "4", "unregistered sweep c: %r %s"
          % (left.stdout, left.stderr))
    for shard, want in (("0/2", "1"), ("1/2", "3"), ("0/4", "1"),
                        ("1/4", "2"), ("2/4", "0"), ("3/4", "1")):
        got = env.run("check", c, "--left", db, "--shard", shard).stdout
        check(got == want + "\n", "check --left --shard %s: %r, want %s"
              % (shard, got, want))
    got = env.run("check", c, "--left", env.path("none.db")).stdout
    check(got == "6\n" and not os.path.exists(env.path("none.db")),
          "no database: %r" % got)
    env.run("check", c, "--left", db, "--shard", "2/2", rc=2)
    env.run("check", c, "--left", db, "--json", rc=2)
    if args.launcher:
        p = subprocess.run(["bash", pass_sh, c, db], env=e,
                           capture_output=True, text=True)
        check(p.returncode == 0 and "sweep complete after 1 pass" in
              p.stdout, "sweep-pass.sh on c: %d\n%s%s"
              % (p.returncode, p.stdout, p.stderr))
        st = env.status(db, "c")
        check(st["done"] == 6 and st["complete"], "c after its pass: %s"
              % st)


# Columns that may differ between a run and its rerun.
VOLATILE = {"id", "created_at", "wall_s", "host", "mpi_rank", "git_hash"}


def snapshot_rows(db):
    con = sqlite3.connect(db)
    cols = [r[1] for r in con.execute("PRAGMA table_info(runs)")]
    keep = [c for c in cols if c not in VOLATILE]
    rows = {}
    for r in con.execute("SELECT id, %s FROM runs" % ", ".join(keep)):
        d = dict(zip(keep, r[1:]))
        key = (d["cell_hash"], d["seed_index"])
        d["traj"] = con.execute("SELECT * FROM trajectories WHERE run_id = "
                                "? ORDER BY step", (r[0],)).fetchall()
        d["orbit"] = con.execute("SELECT k, sv1, loss FROM orbits WHERE "
                                 "run_id = ? ORDER BY k", (r[0],)).fetchall()
        d["traj"] = [t[1:] for t in d["traj"]]
        rows[key] = d
    con.close()
    return rows


def case_forget(env, args):
    db = env.path("f.db")
    a = env.job("a", "{linspace: [0.5, 1.3, 5]}", "seeds: 2\n")
    env.run("run", a, "--db", db, "--quiet")
    before = snapshot_rows(db)
    check(len(before) == 10, "10 runs")
    # bad expressions: exit 2, SQLite's message, the file byte-identical
    h = sha(db)
    for where in ("nosuchcolumn = 1", "1) ; DELETE FROM runs; SELECT (1",
                  "eta > (SELECT 1", "eta = 1 ; DROP TABLE runs"):
        p = env.run("forget", "--db", db, "--where", where, rc=2)
        check("--where" in p.stderr, "message: %s" % p.stderr)
        check(sha(db) == h, "file changed by a refused forget")
    p = env.run("forget", "--db", db, "--where", "eta > 1", "--dry-run")
    check("would forget 4 runs" in p.stdout, p.stdout)
    check(sha(db) == h, "dry run changed the file")
    for bad in (["--sweep", "nosuch", "--where", "1"], ["--where"],
                ["--where", "1", "--bogus"]):
        env.run("forget", "--db", db, *bad, rc=2)
        check(sha(db) == h, "file changed by forget %s" % bad)
    # another writer's live lease: refused before any write
    hold_lease(db)
    h = sha(db)
    p = env.run("forget", "--db", db, "--where", "eta > 1", rc=2)
    check("being written by other:1" in p.stderr, p.stderr)
    check(sha(db) == h, "file changed by a forget refused by the lease")
    hold_lease(db, False)
    p = env.run("forget", "--db", db, "--sweep", "a", "--where", "eta > 1")
    check("forgot 4 runs" in p.stdout, p.stdout)
    st = env.status(db, "a")
    check(st["done"] == 6 and st["left"] == 4, "after forget: %s" % st)
    con = sqlite3.connect(db)
    check(con.execute("SELECT count(*) FROM trajectories t WHERE NOT EXISTS "
                      "(SELECT 1 FROM runs r WHERE r.id = t.run_id)")
          .fetchone()[0] == 0, "orphan trajectories")
    con.close()
    env.run("run", a, "--db", db, "--quiet")
    after = snapshot_rows(db)
    check(set(after) == set(before), "same tasks after the rerun")
    for k, d in before.items():
        for col, v in d.items():
            w = after[k][col]
            same = v == w or (isinstance(v, float) and isinstance(w, float)
                              and math.isnan(v) and math.isnan(w))
            check(same, "task %s column %s: %r then %r" % (k, col, v, w))


def case_retry(env, args):
    db = env.path("r.db")
    a = env.job("a", "[0.5, 0.9, 1.1, 1.3]")
    tasks = json.loads(env.run("check", a, "--json", "--list").stdout)
    bad = tasks["task_list"][1]["cell_hash"]
    inject = {"DLNSWEEP_INJECT_ERROR": "0000000000000000," + bad}
    env.run("run", a, "--db", db, "--quiet", env=inject)
    st = env.status(db, "a")
    check(st["regimes"]["error"] == 1 and st["done"] == 4, "injected %s" % st)
    env.run("run", a, "--db", db, "--quiet", env=inject)
    check(env.status(db, "a")["regimes"]["error"] == 1, "no retry asked")
    # still failing, at most 2 attempts: one more try, then left alone
    env.run("run", a, "--db", db, "--retry", "error", "--max-attempts", "2",
            "--quiet", env=inject)
    p = env.run("run", a, "--db", db, "--retry", "error", "--max-attempts",
                "2", env=inject)
    check("1 left alone" in p.stderr, p.stderr)
    con = sqlite3.connect(db)
    row = con.execute("SELECT regime, attempt FROM runs WHERE cell_hash = ?",
                      (bad,)).fetchone()
    check(row == ("error", 2), "after two failed attempts: %s" % (row,))
    env.run("run", a, "--db", db, "--retry", "error,unresolved", "--quiet")
    row = con.execute("SELECT regime, attempt, error FROM runs WHERE "
                      "cell_hash = ?", (bad,)).fetchone()
    check(row[0] != "error" and row[1] == 3 and row[2] is None,
          "retried: %s" % (row,))
    check(con.execute("SELECT count(*) FROM runs").fetchone()[0] == 4,
          "4 runs")
    # refused retries leave the file byte-identical
    h = sha(db)
    for bad in (["--retry", "bogus"], ["--retry", ""],
                ["--retry", "error", "--max-attempts", "0"],
                ["--max-attempts", "x"]):
        env.run("run", a, "--db", db, *bad, rc=2)
        check(sha(db) == h, "file changed by run %s" % bad)
    hold_lease(db)
    h = sha(db)
    p = env.run("run", a, "--db", db, "--retry", "error", rc=2)
    check("being written by other:1" in p.stderr, p.stderr)
    check(sha(db) == h, "file changed by a retry refused by the lease")
    hold_lease(db, False)
    # --force with a shrunk job: progress stays <= 100 %, history kept
    small = env.job("a", "[0.9, 1.1]")
    env.run("run", small, "--db", db, "--quiet", rc=2)
    env.run("run", small, "--db", db, "--quiet", "--force")
    st = env.status(db, "a")
    check(st["done"] == 2 and st["total"] == 2 and st["fraction"] == 1.0,
          "shrunk: %s" % st)
    specs = con.execute("SELECT count(*), count(DISTINCT spec_hash) FROM "
                        "sweep_specs").fetchone()
    check(specs == (2, 2), "spec history %s" % (specs,))
    con.close()


REFINE = """name: r
grid:
  depth: 2
  width: 1
  spectrum: 1
  init: balanced
  alpha: 0.5
  eta: {linspace: [0.9, 1.3, 3]}
  steps: 4000
diagnostics: {record_every: 0, tail: 16, max_period: 8, lyapunov_steps: 50}
refine: {axis: eta, tol: 0.02, max_points: %d}
"""


def case_refine(env, args):
    """After --force, the bisection points the new spec reaches are the
    sweep's again (not only its grid)."""
    db = env.path("r.db")
    job = env.path("r.yaml")
    with open(job, "w") as f:
        f.write(REFINE % 40)
    env.run("run", job, "--db", db, "--quiet")
    con = sqlite3.connect(db)
    nruns = con.execute("SELECT count(*) FROM runs").fetchone()[0]
    check(nruns > 3, "no bisection points: %d runs" % nruns)
    st = env.status(db, "r")
    check(st["done"] == nruns and st["complete"], "first run: %s" % st)
    # check --left sees refinement: 0 when over, 1 once a bisection
    # point is forgotten (the grid itself complete)
    check(env.run("check", job, "--left", db).stdout == "0\n", "left")
    env.run("forget", "--db", db, "--where", "id = (SELECT max(id) FROM "
            "runs)")
    got = env.run("check", job, "--left", db).stdout
    check(got == "1\n", "left after forgetting a bisection point: %r" % got)
    env.run("run", job, "--db", db, "--quiet")
    check(con.execute("SELECT count(*) FROM runs").fetchone()[0] == nruns,
          "the forgotten point is back")
    # a changed spec whose bisection is the same (max_points not reached)
    with open(job, "w") as f:
        f.write(REFINE % 39)
    env.run("run", job, "--db", db, "--quiet", "--force")
    check(con.execute("SELECT count(*) FROM runs").fetchone()[0] == nruns,
          "the rerun computed points again")
    st = env.status(db, "r")
    check(st["done"] == nruns and st["total"] == nruns and st["complete"],
          "after --force: %s, %d runs" % (st, nruns))
    n = con.execute("SELECT count(*) FROM sweep_summary WHERE sweep = 'r' "
                    "AND n_runs = ?", (nruns,)).fetchone()[0]
    check(n == 1, "the views miss bisection points after --force")
    # a bisection point that fails is not run again round after round
    # (it would fail forever): the run ends, the pair stays as it is, and
    # forget + run retries it
    last = con.execute("SELECT cell_hash FROM runs ORDER BY id DESC LIMIT 1"
                       ).fetchone()[0]
    env.run("forget", "--db", db, "--where", "cell_hash = '%s'" % last)
    env.run("run", job, "--db", db, "--quiet",
            env={"DLNSWEEP_INJECT_ERROR": last})
    got = con.execute("SELECT count(*), sum(regime = 'error') FROM runs"
                      ).fetchone()
    check(got == (nruns, 1), "failed bisection point: %s" % (got,))
    check(env.run("check", job, "--left", db).stdout == "0\n",
          "left with a failed bisection point")
    env.run("forget", "--db", db, "--where", "regime = 'error'")
    env.run("run", job, "--db", db, "--quiet")
    got = con.execute("SELECT count(*), sum(regime = 'error') FROM runs"
                      ).fetchone()
    check(got == (nruns, 0), "retried bisection point: %s" % (got,))
    # a spec with a narrower line: the points outside it leave the sweep
    with open(job, "w") as f:
        f.write((REFINE % 40).replace("[0.9, 1.3, 3]", "[0.9, 1.1, 3]"))
    env.run("run", job, "--db", db, "--quiet", "--force")
    outside = con.execute("SELECT count(*) FROM runs WHERE eta > 1.1 + 1e-12"
                          ).fetchone()[0]
    inside = con.execute("SELECT count(*) FROM member_runs m JOIN sweeps s "
                         "ON s.id = m.sweep_id WHERE s.name = 'r' AND "
                         "m.eta > 1.1 + 1e-12").fetchone()[0]
    check(outside > 0 and inside == 0, "points beyond the new line: %d "
          "stored, %d still in the sweep" % (outside, inside))
    st = env.status(db, "r")
    check(st["complete"] and st["fraction"] == 1.0, "narrowed: %s" % st)
    con.close()


def case_collision(env, args):
    # sweep x's row of a task of sweep a holds other parameters (as a
    # stored row of a 64-bit hash collision would)
    db = env.path("c.db")
    x = env.job("x", "[0.5, 0.9]")
    env.run("run", x, "--db", db, "--quiet")
    con = sqlite3.connect(db)
    con.execute("UPDATE runs SET alpha = 0.75 WHERE eta = 0.9")
    con.commit()
    con.close()
    a = env.job("a", "[0.5, 0.9]")
    h = sha(db)
    for extra in ([], ["--retry", "error"], ["--force"]):
        p = env.run("run", a, "--db", db, *extra, rc=2)
        check("collision" in p.stderr, p.stderr)
        check(sha(db) == h, "file changed by a refused run %s" % extra)
    env.run("check", a, "--left", db, rc=2)
    # the sweep that wrote the row finds it changed too (its resume skips
    # the read-only scan: refused after the lease, the rows untouched)
    p = env.run("run", x, "--db", db, rc=2)
    check("collision" in p.stderr, p.stderr)
    con = sqlite3.connect(db)
    check(con.execute("SELECT count(*) FROM runs WHERE alpha = 0.75")
          .fetchone()[0] == 1, "the colliding row was replaced")
    con.close()
    # a collision on another shard's task does not stop this shard
    env.run("run", a, "--db", db, "--shard", "0/2", "--quiet")
    # a file from before membership and times_edge (and transient_window,
    # version 2): read as is for --left, migrated by the next run, which
    # claims its rows into the sweep
    old = env.path("old.db")
    b = env.job("b", "[0.5, 0.7]")
    env.run("run", b, "--db", old, "--quiet")
    con = sqlite3.connect(old)
    views = [r[0] for r in con.execute("SELECT name FROM sqlite_master "
                                       "WHERE type = 'view'")]
    for v in views:
        con.execute("DROP VIEW %s" % v)
    for stmt in ("DROP TABLE sweep_tasks",
                 "DROP TABLE sweep_specs", "DROP TABLE located_points",
                 "DROP TABLE continuations",
                 "ALTER TABLE runs DROP COLUMN times_edge",
                 "ALTER TABLE runs DROP COLUMN transient_window",
                 "PRAGMA user_version = 2"):
        con.execute(stmt)
    con.commit()
    con.close()
    h = sha(old)
    b3 = env.job("b", "[0.5, 0.7, 0.9]")
    got = env.run("check", b3, "--left", old).stdout
    check(got == "1\n" and sha(old) == h, "--left on a version-2 file: %r"
          % got)
    env.run("run", b3, "--db", old, "--quiet", "--force")
    st = env.status(old, "b")
    check(st["done"] == 3 and st["complete"], "migrated: %s" % st)


def tasks_of(env, text, name):
    p = env.path(name + ".yaml")
    with open(p, "w") as f:
        f.write(text)
    d = json.loads(env.run("check", p, "--json", "--list").stdout)
    return d, d["task_list"]


def edge(depth, s1):
    return 2.0 / (depth * s1 ** (2.0 - 2.0 / depth))


def case_grid(env, args):
    zipped = """grid:
  eta: {times_edge: [0.5, 1.2]}
  depth: [2, 3]
  zip:
    - width: [1, 2, 3]
      spectrum: [[1], {geometric: {s1: 2, ratio: 0.5, rank: 2}}, [3, 2, 1]]
  exclude:
    - {depth: 3, width: [2, 3]}
  steps: 100
"""
    job, tasks = tasks_of(env, zipped, "zipped")
    want = []
    for depth in (2, 3):
        for width, spec in ((1, [1.0]), (2, [2.0, 1.0]), (3, [3.0, 2.0, 1.0])):
            if depth == 3 and width in (2, 3):
                continue
            for c in (0.5, 1.2):
                want.append((depth, width, spec, c * edge(depth, spec[0]), c))
    got = [(t["depth"], t["width"], t["spectrum"], t["eta"], t["times_edge"])
           for t in tasks]
    check(len(got) == len(want) == job["tasks"], "%d tasks, want %d"
          % (len(got), len(want)))
    for g, w in zip(got, want):
        check(g[:3] == w[:3] and g[4] == w[4] and
              abs(g[3] - w[3]) <= 1e-15 * w[3], "task %s, want %s" % (g, w))
    # the same job spelt differently: same tasks, same hash
    respelt = """grid:
  steps: 100
  exclude:
    - {width: [3, 2], depth: 3}
  zip:
    - spectrum: [[3, 2, 1.0], [1], [2, 1]]
      width: [3, 1, 2]
  depth: [3, 2]
  eta: {times_edge: [1.2, 0.5]}
"""
    job2, tasks2 = tasks_of(env, respelt, "respelt")
    check(job2["hash"] == job["hash"], "respelt hash %s vs %s"
          % (job2["hash"], job["hash"]))
    check(sorted(t["cell_hash"] for t in tasks2) ==
          sorted(t["cell_hash"] for t in tasks), "respelt cells")
    # cells that existed before keep their hashes: eta = 0.5 * edge is 0.5
    # at depth 2, s = 1
    plain = """grid:
  eta: 0.5
  depth: 2
  width: 1
  spectrum: 1
  steps: 100
"""
    _, old = tasks_of(env, plain, "plain")
    check(old[0]["cell_hash"] == tasks[0]["cell_hash"],
          "plain cell %s vs %s" % (old[0]["cell_hash"], tasks[0]["cell_hash"]))
    # spectrum families over ranges of their parameters
    fam = """grid:
  width: 3
  spectrum: {geometric: {s1: {linspace: [1, 2, 3]}, ratio: 0.9, rank: 3}}
"""
    _, ft = tasks_of(env, fam, "family")
    s1 = [t["spectrum"][0] for t in ft]
    check(s1 == [1.0, 1.5, 2.0] and
          all(t["spectrum"][2] == t["spectrum"][0] * 0.9 ** 2 for t in ft),
          "family spectra %s" % [t["spectrum"] for t in ft])
    listed = """grid:
  width: 3
  spectrum: [[1, 0.9, 0.81], [1.5, 1.35, 1.2150000000000001], [2, 1.8, 1.62]]
"""
    _, lt = tasks_of(env, listed, "listed")
    check([t["cell_hash"] for t in lt] == [t["cell_hash"] for t in ft],
          "family cells hash as their values")
    # errors: one line, exit 2
    for bad, word in (("grid:\n  zip:\n    - {width: [1, 2], depth: [2]}\n",
                       "zip"),
                      ("grid:\n  width: 2\n  zip:\n    - {width: [1, 2], "
                       "depth: [2, 3]}\n", "twice"),
                      ("grid:\n  depth: [2, 3]\n  exclude:\n    - {depth: "
                       "4}\n", "not on the grid"),
                      ("grid:\n  depth: [2, 3]\n  exclude:\n    - {depth: "
                       "[2, 3]}\n", "every cell"),
                      ("grid:\n  eta: {times_edge: [1, 2]}\n  spectrum: "
                       "[[1], [0]]\n  width: 1\n", "s_1 > 0")):
        p = env.path("bad.yaml")
        with open(p, "w") as f:
            f.write(bad)
        r = env.run("check", p, rc=2)
        check(word in r.stderr and r.stderr.count("\n") == 1,
              "error for %r: %s" % (bad, r.stderr))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case")
    ap.add_argument("--exe", required=True)
    ap.add_argument("--repo", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--launcher", default="")
    args = ap.parse_args()
    env = Env(args)
    globals()["case_" + args.case](env, args)
    print("PASS bookkeeping %s" % args.case)


if __name__ == "__main__":
    main()
