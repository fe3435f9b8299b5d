#!/usr/bin/env python3
"""sweep_test.py — integration tests of `dlnsweep run` (the MPI sweep).

usage: sweep_test.py CASE --exe DLNSWEEP --launcher "mpirun ..." --jobs DIR
                     --tests DIR --work DIR

CASE is one of:
  ranks        smoke.yaml on 1, 2 and 4 ranks and without a launcher (the
               writer inline and on its thread): identical runs tables
  drain-usr1   SIGUSR1 to mpirun (forwarded to every rank) drains; resume
  drain-term   SIGTERM to the rank processes (as Slurm and srun deliver it)
  drain-alone  SIGTERM to a rank-less `dlnsweep run` (no launcher)
  crash        kill -9 of the whole job mid-sweep; resume reruns only what
               was not committed
  errors-job   bad job files, options: exit 2, one line on stderr, the
               existing DB byte-identical; --help
  errors-db    foreign / unreachable DB, live and stale lease, --force
  shard        --shard 0/2 + 1/2 cover the job exactly once; --max-tasks
  wide         wide cells on a ScaLAPACK group of ranks beside small cells
  lanes        small cells of mixed shapes, inits, targets and fates
               (converged, periodic, chaotic, divergent) with every
               per-step detail: identical tables with --lanes 1 (each cell
               alone), 3 (odd batch compositions), the default, and on 2
               and 3 ranks
Every drained or crashed sweep is resumed and compared with an
uninterrupted run of the same job: same rows, same values.
"""
import argparse
import concurrent.futures
import glob
import os
import re
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time

# Columns that say where/when/how a row was computed, not what: excluded
# from the comparisons (everything else must be bitwise identical).
PROVENANCE = {"id", "run_id", "sweep_id", "wall_s", "git_hash", "host",
              "mpi_rank", "attempt", "created_at", "dlnsweep_version"}

ARGS = None
# Every wait is this many times longer under slow builds (the sanitizers:
# tests/CMakeLists.txt sets DLN_TEST_TIME_SCALE for them).
SLOW = float(os.environ.get("DLN_TEST_TIME_SCALE", "1"))


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def env():
    e = dict(os.environ)
    e["OPENBLAS_NUM_THREADS"] = "1"
    return e


def command(nranks, job, db, *extra, launch=()):
    """`dlnsweep run` under the launcher with nranks ranks (0: no launcher;
    launch: more launcher options)."""
    cmd = [ARGS.exe, "run", job, "--db", db] + list(extra)
    if nranks == 0:
        return cmd
    # -q: mpirun adds no banner of its own when a rank exits non-zero.
    return (shlex.split(ARGS.launcher) + list(launch) +
            ["-q", "-n", str(nranks)] + cmd)


def run(nranks, job, db, *extra, timeout=60, launch=()):
    p = subprocess.run(command(nranks, job, db, *extra, launch=launch),
                       env=env(), capture_output=True, text=True,
                       timeout=timeout * SLOW)
    return p.returncode, p.stdout, p.stderr


def job_path(name):
    for d in (ARGS.tests, ARGS.jobs):
        p = os.path.join(d, name)
        if os.path.exists(p):
            return p
    fail("no job file " + name)


def work(name):
    return os.path.join(ARGS.work, name)


def fresh(name):
    """A path in the work dir with no DB (or WAL companions) behind it."""
    p = work(name)
    for suffix in ("", "-wal", "-shm", "-journal"):
        if os.path.exists(p + suffix):
            os.remove(p + suffix)
    return p


def connect(db):
    return sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)


def nrows(db):
    if not os.path.exists(db):
        return 0
    con = connect(db)
    try:
        return con.execute("SELECT count(*) FROM runs").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        con.close()


def content(db):
    """Every result column of runs and its child tables, keyed by
    (cell_hash, seed_index), without provenance columns."""
    con = connect(db)
    out = {}
    cols = [r[1] for r in con.execute("PRAGMA table_info(runs)")
            if r[1] not in PROVENANCE]
    out["runs"] = (cols, con.execute(
        "SELECT %s FROM runs ORDER BY cell_hash, seed_index"
        % ", ".join(cols)).fetchall())
    tables = {r[0] for r in con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    for t in ("trajectories", "point_details", "orbits", "hessian_spectra"):
        if t not in tables:
            continue
        tc = [r[1] for r in con.execute("PRAGMA table_info(%s)" % t)
              if r[1] not in PROVENANCE]
        out[t] = (tc, con.execute(
            "SELECT r.cell_hash, r.seed_index, %s FROM %s x JOIN runs r ON "
            "r.id = x.run_id ORDER BY 1, 2, 3" % (", ".join(
                "x." + c for c in tc), t)).fetchall())
    con.close()
    return out


def same_content(a, b):
    ca, cb = content(a), content(b)
    check(ca.keys() == cb.keys(), "%s and %s have different tables" % (a, b))
    for t in ca:
        cols, ra = ca[t]
        check(cols == cb[t][0], "%s: columns differ" % t)
        check(len(ra) == len(cb[t][1]), "%s: %d rows in %s, %d in %s"
              % (t, len(ra), a, len(cb[t][1]), b))
        for x, y in zip(ra, cb[t][1]):
            if x != y:
                diff = [c for c, u, v in zip(cols if t == "runs" else
                                             ["cell", "seed"] + cols, x, y)
                        if u != v]
                fail("%s: %s differs from %s in %s: %s vs %s"
                     % (t, a, b, diff, x, y))
    return len(ca["runs"][1])


def one_line(err, what):
    lines = [l for l in err.splitlines() if l.strip()]
    check(len(lines) == 1, "%s: expected one line on stderr, got %d:\n%s"
          % (what, len(lines), err))
    return lines[0]


def total_tasks(job):
    p = subprocess.run([ARGS.exe, "check", job], capture_output=True,
                       text=True)
    m = re.search(r"^tasks:\s+(\d+)", p.stdout, re.M)
    check(p.returncode == 0 and m, "dlnsweep check %s failed:\n%s%s"
          % (job, p.stdout, p.stderr))
    return int(m.group(1))


def this_run(err):
    m = re.search(r"complete: (\d+) tasks \((\d+) this run", err)
    check(m, "no completion line in:\n" + err)
    return int(m.group(1)), int(m.group(2))


# ---- cases ------------------------------------------------------------------

def case_ranks():
    job = job_path("smoke.yaml")
    total = total_tasks(job)
    dbs = []
    # The database writer: inline where one rank is bound to one core
    # (mpirun -n 1 --bind-to core), a thread otherwise (no launcher: the
    # process may use every core; 2 and 4 ranks: rank 0 only coordinates).
    cpus = len(os.sched_getaffinity(0))
    want_mode = {0: "thread" if cpus >= 2 else "inline", 1: "inline",
                 2: "thread", 4: "thread"}
    for n in (1, 0, 2, 4):
        db = fresh("ranks%d.db" % n)
        rc, out, err = run(n, job, db,
                           launch=("--bind-to", "core") if n == 1 else ())
        check(rc == 0, "%d ranks: exit %d\n%s" % (n, rc, err))
        m = re.search(r"database writer \((\w+)\): %d runs in \d+ commits"
                      % total, err)
        check(m and m.group(1) == want_mode[n], "%d ranks: want the %s "
              "writer's summary line\n%s" % (n, want_mode[n], err))
        check(re.search(r"\[sweep smoke\] %d/%d \(100%%\)" % (total, total),
                        err), "%d ranks: no final progress line\n%s"
              % (n, err))
        check(nrows(db) == total, "%d ranks: %d rows, want %d"
              % (n, nrows(db), total))
        con = connect(db)
        ranks = {r[0] for r in con.execute("SELECT mpi_rank FROM runs")}
        att = {r[0] for r in con.execute("SELECT attempt FROM runs")}
        git = {r[0] for r in con.execute("SELECT git_hash FROM runs")}
        con.close()
        check(ranks == {0} if n <= 1 else ranks <= set(range(1, n)),
              "%d ranks: rows computed on ranks %s" % (n, ranks))
        check(att == {1}, "%d ranks: attempts %s, want all 1" % (n, att))
        check(len(git) == 1 and None not in git and "" not in git,
              "git hash provenance missing: %s" % git)
        dbs.append(db)
    for db in dbs[1:]:
        same_content(dbs[0], db)
    # Rerunning a finished sweep does nothing and says so.
    rc, out, err = run(2, job, dbs[1])
    check(rc == 0 and this_run(err) == (total, 0),
          "rerun of a complete sweep: exit %d\n%s" % (rc, err))
    print("ranks: %d tasks identical on 1 (inline writer), 1 without "
          "launcher (writer thread), 2 and 4 ranks" % total)


class Sweep:
    """A sweep in the background whose progress lines are watched."""

    def __init__(self, nranks, job, db, *extra):
        self.p = subprocess.Popen(
            command(nranks, job, db, "--progress", "0.1", *extra), env=env(),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            start_new_session=True)
        self.err = []
        self.done = 0
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        for line in self.p.stderr:
            self.err.append(line)
            m = re.match(r"\[sweep \S+\] (\d+)/", line)
            if m:
                self.done = int(m.group(1))

    def wait_done(self, k, timeout=30):
        end = time.time() + timeout * SLOW
        while self.done < k:
            check(self.p.poll() is None, "sweep ended before %d tasks:\n%s"
                  % (k, "".join(self.err)))
            check(time.time() < end, "no progress to %d tasks in %ds"
                  % (k, timeout))
            time.sleep(0.02)

    def finish(self, timeout=60):
        rc = self.p.wait(timeout=timeout * SLOW)
        self.t.join(timeout=5)
        return rc, "".join(self.err)

    def _procs_with(self, field):
        """pids whose /proc stat field (after the command name) is mpirun's
        pid: 1 = parent, 3 = session."""
        out = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % pid) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[field]) == self.p.pid:
                out.append(int(pid))
        return out

    def ranks(self):
        """pids of the rank processes (mpirun's children)."""
        return self._procs_with(1)

    def session(self):
        """Every process of the job (its session)."""
        return self._procs_with(3)


def reference(job):
    """An uninterrupted run of job, for comparison."""
    db = fresh("reference.db")
    rc, out, err = run(3, job, db, "--quiet")
    check(rc == 0, "reference run: exit %d\n%s" % (rc, err))
    return db


def resume_and_compare(job, db, ref, total, left, nranks=3):
    rc, out, err = run(nranks, job, db)
    check(rc == 0, "resume: exit %d\n%s" % (rc, err))
    tot, now = this_run(err)
    check(tot == total and now == left, "resume ran %d tasks, %d were left"
          "\n%s" % (now, left, err))
    check(nrows(db) == total, "after resume %d rows, want %d"
          % (nrows(db), total))
    same_content(ref, db)


def case_drain(how):
    job = job_path("sweep_drain.yaml")
    total = total_tasks(job)
    ref = reference(job)
    db = fresh("drain.db")
    s = Sweep(0 if how == "alone" else 3, job, db)
    s.wait_done(3)
    if how == "usr1":
        os.kill(s.p.pid, signal.SIGUSR1)      # mpirun forwards SIGUSR1
        name = "SIGUSR1"
    elif how == "term":
        pids = s.ranks()
        check(len(pids) == 3, "expected 3 rank processes, found %s" % pids)
        for pid in pids:
            os.kill(pid, signal.SIGTERM)
        name = "SIGTERM"
    else:
        os.kill(s.p.pid, signal.SIGTERM)
        name = "SIGTERM"
    t0 = time.time()
    rc, err = s.finish()
    check(rc == 0, "drain: exit %d\n%s" % (rc, err))
    m = re.search(r"^dlnsweep: drained on %s: (\d+) tasks done this run, "
                  r"(\d+) remaining; rerun the same command to resume$"
                  % name, err, re.M)
    check(m, "no drain line for %s in:\n%s" % (name, err))
    done, left = int(m.group(1)), int(m.group(2))
    rows = nrows(db)
    check(rows == done and done >= 3 and left == total - done and left > 0,
          "drained with %d rows, %d done, %d left of %d" % (rows, done, left,
                                                           total))
    # The lease is released: the resume needs no takeover.
    con = connect(db)
    check(con.execute("SELECT count(*) FROM lease").fetchone()[0] == 0,
          "lease still held after a drain")
    con.close()
    resume_and_compare(job, db, ref, total, left)
    print("drain-%s: drained after %d/%d tasks in %.2fs, resumed %d, "
          "identical" % (how, done, total, time.time() - t0, left))


def case_crash():
    job = job_path("sweep_drain.yaml")
    total = total_tasks(job)
    ref = reference(job)
    db = fresh("crash.db")
    s = Sweep(3, job, db, "--commit-every", "0.1")
    s.wait_done(3)
    end = time.time() + 20
    while nrows(db) < 3:
        check(time.time() < end, "no committed rows")
        time.sleep(0.02)
    pids = s.session()
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    s.finish()
    committed = nrows(db)
    check(0 < committed < total, "killed with %d of %d rows committed"
          % (committed, total))
    con = connect(db)
    check(con.execute("SELECT count(*) FROM lease").fetchone()[0] == 1,
          "a killed sweep should leave its lease behind")
    con.close()
    # Resume at once: the dead holder's lease is taken over, only the
    # uncommitted tasks run.
    resume_and_compare(job, db, ref, total, total - committed)
    con = connect(db)
    att = dict(con.execute("SELECT attempt, count(*) FROM runs GROUP BY 1"))
    con.close()
    check(set(att) <= {1, 2} and att.get(2, 0) <= total - committed,
          "attempts after one crash: %s" % att)
    print("crash: %d/%d committed before kill -9 (%d processes), resume ran "
          "%d (%d marked attempt 2), identical"
          % (committed, total, len(pids), total - committed, att.get(2, 0)))


def case_errors(part):
    """part "job": job files, options, --help; "db": databases, lease,
    --force."""
    smoke = job_path("smoke.yaml")
    db = fresh("errors.db")
    rc, out, err = run(0, smoke, db, "--max-tasks", "3", "--quiet")
    check(rc == 0 and nrows(db) == 3, "setup: exit %d, %d rows\n%s"
          % (rc, nrows(db), err))
    with open(db, "rb") as f:
        before = f.read()
    check(not os.path.exists(db + "-wal") or
          os.path.getsize(db + "-wal") == 0, "WAL left after a clean close")

    def unchanged(what):
        with open(db, "rb") as f:
            check(f.read() == before, "%s: the DB changed" % what)

    with open(smoke) as f:
        text = f.read()

    def job_file(name, body):
        p = work(name)
        with open(p, "w") as f:
            f.write(body)
        return p

    bad = {
        "malformed YAML": job_file("bad_yaml.yaml", "name: smoke\ngrid: [\n"),
        "unknown key": job_file("bad_key.yaml", text + "colour: blue\n"),
        "eta <= 0": job_file("bad_eta.yaml", re.sub(
            r"eta: \[.*\]", "eta: [0.8, -1]", text)),
        "missing file": work("no_such_job.yaml"),
        "changed job file": job_file("changed.yaml", re.sub(
            r"steps: \d+", "steps: 2999", text)),
    }
    if part == "job":
        for what, path in bad.items():
            # All ranks agree on the error: two cases under the launcher.
            for n in (0, 2) if what in ("malformed YAML", "changed job file") \
                    else (0,):
                rc, out, err = run(n, path, db)
                check(rc == 2, "%s (%d ranks): exit %d, want 2\n%s"
                      % (what, n, rc, err))
                line = one_line(err, "%s (%d ranks)" % (what, n))
                check(out == "", "%s: stdout not empty: %s" % (what, out))
                unchanged(what)
        check("--force" in line, "changed job file: no --force hint: " + line)
        # Every malformed job file of the jobspec tests, through `run`: one
        # line naming the file, exit 2, the existing DB byte-identical.
        bad_dir = os.path.join(ARGS.tests, "jobs_bad")
        bad_files = sorted(glob.glob(os.path.join(bad_dir, "*.yaml")))
        check(len(bad_files) >= 20, "only %d bad job files" % len(bad_files))
        # MPI singleton start-up is mostly waiting: run them 8 at a time.
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda p: run(0, p, db), bad_files))
        for path, (rc, out, err) in zip(bad_files, results):
            what = os.path.basename(path)
            check(rc == 2, "%s: exit %d, want 2\n%s" % (what, rc, err))
            check(what in one_line(err, what), "%s: error does not name "
                  "the file: %s" % (what, err))
            unchanged(what)
        # Options.
        for args in (["--shard", "2/2"], ["--shard", "x"],
                     ["--max-tasks", "0"], ["--bogus"], ["--db"]):
            rc, out, err = run(0, smoke, db, *args)
            check(rc == 2, "%s: exit %d\n%s" % (args, rc, err))
            one_line(err, " ".join(args))
            unchanged(" ".join(args))
        p = subprocess.run([ARGS.exe, "run", smoke], capture_output=True,
                           text=True)
        check(p.returncode == 2, "no --db: exit %d" % p.returncode)
        one_line(p.stderr, "no --db")
        # --help.
        rc, out, err = run(0, smoke, db, "--help")
        check(rc == 0 and out.startswith("usage:") and "--shard" in out and
              out.count("usage:") == 1, "--help: exit %d\n%s%s"
              % (rc, out, err))
    if part == "db":
        # Databases the store refuses: foreign file, unwritable place.
        foreign = work("foreign.db")
        with open(foreign, "w") as f:
            f.write("not a database\n" * 100)
        rc, out, err = run(0, smoke, foreign)
        check(rc == 2, "foreign DB: exit %d\n%s" % (rc, err))
        one_line(err, "foreign DB")
        with open(foreign) as f:
            check(f.read() == "not a database\n" * 100,
                  "foreign file changed")
        rc, out, err = run(0, smoke, work("no/such/dir/x.db"))
        check(rc == 2, "DB in a missing directory: exit %d\n%s" % (rc, err))
        one_line(err, "DB in a missing directory")
        # A live writer's lease (another host, fresh heartbeat) refuses the
        # sweep without touching the DB; a stale one is taken over.
        con = sqlite3.connect(db)
        con.execute("INSERT INTO lease(id, owner, host, pid, slurm_job_id,"
                    " acquired_at, heartbeat) VALUES (1, "
                    "'slurm:99@elsewhere:1', 'elsewhere', 1, '99', ?, ?)",
                    (time.time(), time.time()))
        con.commit()
        con.close()
        with open(db, "rb") as f:
            before = f.read()
        rc, out, err = run(0, smoke, db)
        check(rc == 2, "live lease: exit %d\n%s" % (rc, err))
        check("being written by slurm:99@elsewhere:1" in
              one_line(err, "lease"), "live lease: " + err)
        unchanged("live lease")
        con = sqlite3.connect(db)
        con.execute("UPDATE lease SET heartbeat = heartbeat - 3600")
        con.commit()
        con.close()
        rc, out, err = run(0, smoke, db, "--max-tasks", "1", "--quiet")
        check(rc == 0 and nrows(db) == 4, "stale lease not taken over: "
              "exit %d\n%s" % (rc, err))
        # --force continues the changed sweep.
        rc, out, err = run(0, bad["changed job file"], db, "--force",
                           "--quiet")
        check(rc == 0, "--force: exit %d\n%s" % (rc, err))
    print("errors-%s: refused with one line on stderr, DB untouched" % part)


def case_shard():
    job = job_path("smoke.yaml")
    total = total_tasks(job)
    ref = fresh("shard_ref.db")
    rc, out, err = run(1, job, ref, "--quiet")
    check(rc == 0, "reference: exit %d\n%s" % (rc, err))
    dbs = []
    for i in range(2):
        db = fresh("shard%d.db" % i)
        rc, out, err = run(2, job, db, "--shard", "%d/2" % i)
        check(rc == 0, "shard %d/2: exit %d\n%s" % (i, rc, err))
        want = len(range(i, total, 2))
        check(this_run(err) == (want, want) and nrows(db) == want,
              "shard %d/2: %s, %d rows, want %d" % (i, this_run(err),
                                                   nrows(db), want))
        dbs.append(db)
    # The shards together are the whole job, each task once.
    merged = fresh("shard_merged.db")
    shutil.copyfile(dbs[0], merged)
    con = sqlite3.connect(merged)
    con.execute("ATTACH ? AS other", (dbs[1],))
    keys0 = set(con.execute("SELECT cell_hash, seed_index FROM runs"))
    keys1 = set(con.execute("SELECT cell_hash, seed_index FROM other.runs"))
    con.close()
    check(not keys0 & keys1, "shards overlap")
    refkeys = set(connect(ref).execute(
        "SELECT cell_hash, seed_index FROM runs"))
    check(keys0 | keys1 == refkeys, "shards do not cover the job")
    # --max-tasks: K now, the rest on the next run.
    db = fresh("max.db")
    rc, out, err = run(2, job, db, "--max-tasks", "4")
    check(rc == 0 and nrows(db) == 4 and "stopped after --max-tasks 4" in err,
          "--max-tasks 4: exit %d, %d rows\n%s" % (rc, nrows(db), err))
    rc, out, err = run(2, job, db)
    check(rc == 0 and this_run(err) == (total, total - 4),
          "after --max-tasks: %s\n%s" % (this_run(err), err))
    same_content(ref, db)
    print("shard: 2 shards cover %d tasks once; --max-tasks resumes" % total)


def case_wide():
    job = job_path("sweep_wide.yaml")
    total = total_tasks(job)
    one = fresh("wide1.db")
    rc, out, err = run(1, job, one, "--quiet")
    check(rc == 0 and nrows(one) == total, "1 rank: exit %d\n%s" % (rc, err))
    # 4 ranks: coordinator, the wide group {1, 2}, one small worker {3}.
    four = fresh("wide4.db")
    rc, out, err = run(4, job, four)
    check(rc == 0 and nrows(four) == total, "4 ranks: exit %d, %d rows\n%s"
          % (rc, nrows(four), err))
    con = connect(four)
    placed = set(con.execute("SELECT width >= 48, mpi_rank FROM runs"))
    con.close()
    check(placed == {(1, 1), (0, 3)}, "wide cells must run on the group "
          "(leader rank 1), small ones on rank 3: %s" % placed)
    # ScaLAPACK gives the serial numbers to rounding (divergent runs
    # amplify rounding, so only their regime is compared).  The Lyapunov
    # exponent is left out: the distributed engine keeps its single
    # exponent over the run's last steps, the serial one measures a
    # continuation (docs/run-dynamics.md).
    q = ("SELECT cell_hash, seed_index, regime, period, final_loss, sharpness"
         " FROM runs ORDER BY 1, 2")
    a = connect(one).execute(q).fetchall()
    b = connect(four).execute(q).fetchall()
    for x, y in zip(a, b):
        check(x[:4] == y[:4], "regime differs: %s vs %s" % (x, y))
        if x[2] == "divergent":
            continue
        for u, v in zip(x[4:], y[4:]):
            check((u is None) == (v is None) and
                  (u is None or abs(u - v) <= 1e-6 * max(abs(u), 1e-12) +
                   1e-12), "values differ: %s vs %s" % (x, y))
    # Too few ranks for a group: wide cells run alone, with a note.
    two = fresh("wide2.db")
    rc, out, err = run(2, job, two)
    check(rc == 0 and nrows(two) == total and "wide cells run on one rank "
          "each" in err, "2 ranks: exit %d\n%s" % (rc, err))
    same_content(one, two)
    print("wide: %d tasks, wide cells on the ScaLAPACK group, small cells "
          "beside them; matches 1 rank" % total)


def case_lanes():
    job = os.path.join(ARGS.work, "lanes.yaml")
    with open(job, "w") as f:
        f.write("""name: lanes
seed: 3
seeds: 2
grid:
  depth: [2, 3]
  width: [1, 2, 3]
  spectrum: 1
  rotate: [false, true]
  init: [balanced, gaussian]
  alpha: 0.5
  eta: [0.3, 0.75, 0.9, 1.1, 1.6, 2.5]
  steps: 1200
diagnostics:
  record_every: 40
  record_detail: true
  orbit_hessian: true
  lanczos_iters: 6
  top_k: 2
  tail: 16
  max_period: 16
  lyapunov_steps: 100
  lyapunov_max_steps: 400
""")
    total = total_tasks(job)
    runs = (("lanes1", 1, ("--lanes", "1")), ("lanes3", 1, ("--lanes", "3")),
            ("default", 1, ()), ("ranks2", 2, ()), ("ranks3", 3,
                                                    ("--lanes", "5")))
    dbs = []
    for name, n, extra in runs:
        db = fresh("lanes-%s.db" % name)
        rc, out, err = run(n, job, db, *extra, timeout=120)
        check(rc == 0 and nrows(db) == total, "%s: exit %d, %d rows of %d"
              "\n%s" % (name, rc, nrows(db), total, err))
        dbs.append(db)
    con = connect(dbs[0])
    regimes = {r[0] for r in con.execute("SELECT regime FROM runs")}
    con.close()
    check({"converged", "divergent"} <= regimes and len(regimes) >= 3,
          "the lanes job should mix fates, got %s" % regimes)
    for db in dbs[1:]:
        same_content(dbs[0], db)
    print("lanes: %d tasks (%s) identical with --lanes 1, 3, the default, "
          "on 2 and 3 ranks" % (total, ", ".join(sorted(regimes))))


def parse_args():
    """Parse the command line (a case name and the paths CTest passes) into
    ARGS and make the case's empty work folder; shared with
    reliability_test.py, whose cases use these helpers through ARGS."""
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("case")
    for opt in ("--exe", "--launcher", "--jobs", "--tests", "--work"):
        ap.add_argument(opt, required=True)
    ARGS = ap.parse_args()
    ARGS.work = os.path.join(ARGS.work, ARGS.case)
    shutil.rmtree(ARGS.work, ignore_errors=True)
    os.makedirs(ARGS.work)
    return ARGS


def run_case(cases):
    """Run the case ARGS.case names among CASES (name -> function)."""
    if ARGS.case not in cases:
        fail("unknown case " + ARGS.case)
    t0 = time.time()
    cases[ARGS.case]()
    print("%s passed in %.1fs" % (ARGS.case, time.time() - t0))


def main():
    parse_args()
    run_case({"ranks": case_ranks, "crash": case_crash,
              "errors-job": lambda: case_errors("job"),
              "errors-db": lambda: case_errors("db"),
              "shard": case_shard, "wide": case_wide, "lanes": case_lanes,
              "drain-usr1": lambda: case_drain("usr1"),
              "drain-term": lambda: case_drain("term"),
              "drain-alone": lambda: case_drain("alone")})


if __name__ == "__main__":
    main()
