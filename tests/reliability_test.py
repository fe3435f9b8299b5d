#!/usr/bin/env python3
"""reliability_test.py — no command of dlnsweep may damage or strand a
results database, and every refusal leaves it byte-identical.  Crashes and
signals land at exact moments through the program's DLN_TEST_HOOK points
(include/dlnsweep/testhook.h) or by row counts, never by sleeps.

usage: reliability_test.py CASE --exe DLNSWEEP --launcher "mpirun ..."
                           --jobs DIR --tests DIR --work DIR

CASE is one of:
  snapshot-live  snapshot onto its own source (by any name) or onto a
                 working database, even one a stopped sweep is writing:
                 refused, and the sweep then completes intact
  create-kill    kill -9 while a new database is created (hooks, and a hot
                 rollback journal as SQLite leaves it): never stranded
  damaged        a database with one overwritten page: run, single, merge,
                 snapshot and status refuse with exit 2, file untouched
  yaml-deep      100k nested brackets: check and run refuse at once
  hand-delete    runs deleted with the sqlite3 shell (foreign keys off),
                 with and without the cascade trigger: resume completes
  refusals       refused single / merge (live lease, missing, bad or
                 conflicting input, the output by another name) leave the
                 output byte-identical (or absent)
  signals        SIGUSR1 or SIGTERM at start-up and shutdown points of
                 every rank: exit 0, a committed database, resume
  memory         the footprint estimate against measured peak memory;
                 check / run / single refuse cells that cannot fit
  leases         lease stale after 600 s for every writer; a reused pid
                 does not keep a dead writer's lease
  inputs         dangling --db symlink, control characters in errors,
                 numbers that single and job files read alike, racing
                 creators of one new database
  full-disk      a sweep and single hitting the file-size limit: the
                 database stays intact and the rerun completes
"""
import concurrent.futures
import hashlib
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sweep_test as st   # noqa: E402  (its helpers read st.ARGS)

ARGS = None
check, fail = st.check, st.fail


def dlnsweep(*args, hook=None, timeout=120):
    """Run `dlnsweep ARGS` without a launcher; (rc, stdout, stderr)."""
    e = st.env()
    if hook:
        e["DLN_TEST_HOOK"] = hook
    p = subprocess.run([ARGS.exe, *args], env=e, capture_output=True,
                       text=True, timeout=timeout * st.SLOW)
    return p.returncode, p.stdout, p.stderr


def digest(path):
    """SHA-256 of the file at path (None if missing)."""
    if not os.path.exists(path):
        return None
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def untouched(path, before, what):
    check(digest(path) == before, "%s: %s was modified" % (what, path))
    check(not os.path.exists(path + "-wal") or
          os.path.getsize(path + "-wal") == 0,
          "%s: %s has a write-ahead log left" % (what, path))


def integrity(path):
    con = sqlite3.connect(path)
    r = con.execute("PRAGMA integrity_check").fetchall()
    con.close()
    return r == [("ok",)]


def refused(rc, err, what, needle=None):
    check(rc == 2, "%s: exit %d, want 2\n%s" % (what, rc, err))
    line = st.one_line(err, what)
    check(needle is None or needle in line, "%s: %r lacks %r"
          % (what, line, needle))
    return line


def smoke_db(name, *extra):
    """A database holding smoke.yaml's sweep (or part: extra options)."""
    db = st.fresh(name)
    rc, out, err = st.run(0, st.job_path("smoke.yaml"), db, "--quiet",
                          *extra)
    check(rc == 0, "setup %s: exit %d\n%s" % (name, rc, err))
    return db


def sql(path, *statements):
    """Run statements as the sqlite3 shell would (foreign keys off)."""
    con = sqlite3.connect(path, isolation_level=None)
    for s in statements:
        con.execute(s)
    con.close()


def foreign_lease(path, host="elsewhere", pid=1, age=0.0, start=None):
    """Another writer's lease row (pid_start only when given)."""
    t = time.time() - age
    sql(path, "INSERT OR REPLACE INTO lease(id, owner, host, pid, "
        "slurm_job_id, acquired_at, heartbeat%s) VALUES (1, 'sweep@%s:%d', "
        "'%s', %d, NULL, %f, %f%s)"
        % ("" if start is None else ", pid_start", host, pid, host, pid, t, t,
           "" if start is None else ", '%s'" % start))


def state_of(pid):
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def wait_stopped(p, what, timeout=60):
    """Wait until process p is stopped by a `stop` hook."""
    end = time.time() + timeout * st.SLOW
    while state_of(p.pid) != "T":
        check(p.poll() is None, "%s ended before its stop hook" % what)
        check(time.time() < end, "%s never reached its stop hook" % what)
        time.sleep(0.01)


SINGLE = ["--depth", "2", "--width", "1", "--spectrum", "1", "--init",
          "balanced", "--alpha", "0.5", "--steps", "200"]


# ---- 1: snapshot onto a live database ---------------------------------------

def case_snapshot_live():
    a = smoke_db("a.db")
    before = digest(a)
    os.symlink(a, st.work("a-link.db"))
    os.link(a, st.work("a-hard.db"))
    for name in ("a.db", "a-link.db", "a-hard.db"):
        rc, out, err = dlnsweep("snapshot", "--db", a, st.work(name))
        refused(rc, err, "snapshot onto its source as " + name, "itself")
        untouched(a, before, "snapshot onto " + name)
    # A finished working database is not a snapshot either.
    old = smoke_db("old.db", "--max-tasks", "3")
    rc, out, err = dlnsweep("snapshot", "--db", old, a)
    refused(rc, err, "snapshot onto a working database", "working database")
    untouched(a, before, "snapshot onto a working database")
    # Snapshots replace snapshots.
    snap = st.work("snap.db")
    for src in (old, a):
        rc, out, err = dlnsweep("snapshot", "--db", src, snap)
        check(rc == 0, "snapshot onto a snapshot: exit %d\n%s" % (rc, err))
    check(st.nrows(snap) == st.nrows(a), "snapshot rows")
    # A sweep stopped in the middle of a write batch (rows in its WAL, the
    # transaction open): nothing may replace its file.
    job = st.job_path("sweep_drain.yaml")
    total = st.total_tasks(job)
    live = st.fresh("live.db")
    rc, out, err = st.run(0, job, live, "--quiet", "--max-tasks", "4")
    check(rc == 0, "setup of the live sweep: exit %d\n%s" % (rc, err))
    e = st.env()
    e["DLN_TEST_HOOK"] = "store-commit#1:stop"
    p = subprocess.Popen(st.command(0, job, live, "--quiet",
                                    "--commit-every", "0.05"),
                         env=e, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        wait_stopped(p, "the sweep")
        committed = st.nrows(live)
        check(committed >= 4, "rows committed before the stop: %d"
              % committed)
        live_before = digest(live)
        for src, what in ((snap, "an old snapshot"), (live, "itself")):
            rc, out, err = dlnsweep("snapshot", "--db", src, live)
            refused(rc, err, "snapshot of %s onto a live sweep" % what)
            check(digest(live) == live_before, "snapshot of %s replaced the "
                  "live database" % what)
        # Reading it is fine: a consistent copy of what is committed.
        rc, out, err = dlnsweep("snapshot", "--db", live, st.work("s2.db"))
        check(rc == 0 and st.nrows(st.work("s2.db")) == committed,
              "snapshot of a live sweep: exit %d\n%s" % (rc, err))
    finally:
        p.send_signal(signal.SIGCONT)
    out, err = p.communicate(timeout=120 * st.SLOW)
    check(p.returncode == 0, "the sweep after the snapshots: exit %d\n%s"
          % (p.returncode, err))
    check(integrity(live) and st.nrows(live) == total,
          "the sweep's database after the snapshots: intact %s, %d rows"
          % (integrity(live), st.nrows(live)))
    print("snapshot-live: refused onto its source (3 names), a working and "
          "a live database; the live sweep completed intact")


# ---- 2: kill -9 while a database is created ----------------------------------

HOT_JOURNAL = r"""
import os, signal, sqlite3, sys
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("PRAGMA cache_size = 2")          # spill pages before COMMIT
con.execute("BEGIN")
con.execute("CREATE TABLE t(x)")
for i in range(200):
    con.execute("INSERT INTO t VALUES (randomblob(4000))")
os.kill(os.getpid(), signal.SIGKILL)
"""


def case_create_kill():
    # SQLite's own crash state: a creating transaction killed after it
    # wrote pages, its hot rollback journal beside the file.
    hot = st.fresh("hot.db")
    subprocess.run([sys.executable, "-c", HOT_JOURNAL, hot])
    check(os.path.getsize(hot + "-journal") > 0 and os.path.getsize(hot) > 0,
          "the helper left no hot journal")
    rc, out, err = dlnsweep("single", *SINGLE, "--eta", "0.5", "--db", hot)
    check(rc == 0, "single on a file with a hot journal: exit %d\n%s"
          % (rc, err))
    rc, out, err = dlnsweep("status", "--db", hot)
    check(rc == 0 and "single runs: 1 done" in out,
          "status after the recovery: exit %d\n%s%s" % (rc, out, err))
    # kill -9 at each point of our own creation: never a file at the path
    # that a later command cannot use.
    job = st.job_path("smoke.yaml")
    total = st.total_tasks(job)
    points = ("store-create-tmp", "store-schema", "store-create-link")
    for point in points:
        db = st.fresh("new-%s.db" % point)
        rc, out, err = dlnsweep("single", *SINGLE, "--eta", "0.5", "--db",
                                db, hook=point + ":kill")
        check(rc == -signal.SIGKILL, "%s: not killed (%d)\n%s"
              % (point, rc, err))
        check(not os.path.exists(db), "%s: a half-made %s" % (point, db))
        rc, out, err = st.run(0, job, db, "--quiet")
        check(rc == 0 and st.nrows(db) == total, "run after a kill at %s: "
              "exit %d\n%s" % (point, rc, err))
        for stray in os.listdir(ARGS.work):   # the killed process's temp
            if stray.startswith(os.path.basename(db) + ".creating-"):
                os.remove(os.path.join(ARGS.work, stray))
    # An empty file is created in place: kill it in its first write.
    empty = st.fresh("empty.db")
    open(empty, "w").close()
    rc, out, err = dlnsweep("single", *SINGLE, "--eta", "0.5", "--db", empty,
                            hook="store-schema:kill")
    check(rc == -signal.SIGKILL, "empty file: not killed (%d)" % rc)
    for cmd in (["status", "--db", empty],
                ["single", *SINGLE, "--eta", "0.6", "--db", empty]):
        rc, out, err = dlnsweep(*cmd)
        check(rc in (0, 2) and "readonly" not in err and
              "unreadable" not in err, "%s after a kill in the first "
              "write: exit %d\n%s" % (cmd[0], rc, err))
    check(integrity(empty) and st.nrows(empty) == 1,
          "empty file after the kill and a rerun")
    print("create-kill: hot journal rolled back; killed at %s: nothing "
          "stranded, the rerun completes" % ", ".join(points))


# ---- 3: a damaged database ----------------------------------------------------

def damage(path, table):
    """Overwrite one b-tree page of table (not page 1) with garbage."""
    con = sqlite3.connect(path)
    size = con.execute("PRAGMA page_size").fetchone()[0]
    pages = [r[0] for r in con.execute(
        "SELECT pageno FROM dbstat WHERE name = ? ORDER BY pageno", (table,))]
    con.close()
    pages = [pg for pg in pages if pg > 1]
    check(pages, "no page of %s to damage" % table)
    page = pages[len(pages) // 2]
    with open(path, "r+b") as f:
        f.seek((page - 1) * size)
        f.write(bytes((i * 37 + 11) % 256 for i in range(size)))


def case_damaged():
    job = st.job_path("sweep_drain.yaml")
    db = st.fresh("damaged.db")
    rc, out, err = st.run(0, job, db, "--quiet", "--max-tasks", "8")
    check(rc == 0, "setup: exit %d\n%s" % (rc, err))
    damage(db, "trajectories")
    before = digest(db)
    rc, out, err = st.run(0, job, db, "--quiet")
    refused(rc, err, "run on a damaged database", "damaged")
    untouched(db, before, "run")
    rc, out, err = st.run(2, job, db, "--quiet")
    refused(rc, err, "run (2 ranks) on a damaged database", "damaged")
    untouched(db, before, "run (2 ranks)")
    rc, out, err = dlnsweep("single", *SINGLE, "--eta", "0.5", "--db", db)
    refused(rc, err, "single on a damaged database", "damaged")
    untouched(db, before, "single")
    snap = st.fresh("snap.db")
    rc, out, err = dlnsweep("snapshot", "--db", db, snap)
    refused(rc, err, "snapshot of a damaged database", "damaged")
    check(not os.path.exists(snap), "snapshot of a damaged database left "
          "a file")
    out_db = st.fresh("merged.db")
    rc, out, err = dlnsweep("merge", "--db", out_db, db)
    refused(rc, err, "merge from a damaged database", "damaged")
    check(not os.path.exists(out_db), "merge from a damaged input created "
          "the output")
    good = smoke_db("good.db")
    rc, out, err = dlnsweep("merge", "--db", db, good)
    refused(rc, err, "merge into a damaged database", "damaged")
    untouched(db, before, "merge into it")
    # status reads runs only: damage them.
    runs = st.fresh("damaged-runs.db")
    rc, out, err = st.run(0, job, runs, "--quiet")
    check(rc == 0, "setup 2: exit %d\n%s" % (rc, err))
    damage(runs, "runs")
    rc, out, err = dlnsweep("status", "--db", runs)
    refused(rc, err, "status of a damaged database", "damaged")
    print("damaged: run (1 and 2 ranks), single, snapshot, merge (in and "
          "out) and status refuse with exit 2, the file untouched")


# ---- 4: deep YAML ---------------------------------------------------------------

def case_yaml_deep():
    db = smoke_db("deep.db", "--max-tasks", "2")
    before = digest(db)
    n = 100000
    for name, body in (("flow", "[" * n + "]" * n),
                       ("map", "{a: " * n + "1" + "}" * n),
                       ("block", "\n    " + "- " * n + "1")):
        path = st.work("deep-%s.yaml" % name)
        with open(path, "w") as f:
            f.write("name: deep\ngrid:\n  eta: %s\n" % body)
        t0 = time.time()
        rc, out, err = dlnsweep("check", path, timeout=30)
        took = time.time() - t0
        refused(rc, err, "check of %s nesting" % name, "nested deeper")
        check(took < 5 * st.SLOW, "check of %s nesting took %.1fs"
              % (name, took))
        for ranks in (0, 2):
            rc, out, err = st.run(ranks, path, db, timeout=30)
            refused(rc, err, "run of %s nesting on %d ranks" % (name, ranks),
                    "nested deeper")
        untouched(db, before, "deep YAML")
    print("yaml-deep: 100k levels of flow, mapping and block nesting refused "
          "at once by check and run")


# ---- 5: rows deleted by hand ---------------------------------------------------

def orphans(db):
    con = st.connect(db)
    n = sum(con.execute("SELECT count(*) FROM %s WHERE run_id NOT IN "
                        "(SELECT id FROM runs)" % t).fetchone()[0]
            for t in ("trajectories", "orbits", "hessian_spectra"))
    con.close()
    return n


def case_hand_delete():
    job = st.job_path("smoke.yaml")
    total = st.total_tasks(job)
    ref = smoke_db("ref.db")
    for variant in ("trigger", "no-trigger"):
        db = smoke_db("hand-%s.db" % variant)
        con = st.connect(db)
        top = con.execute("SELECT max(id) FROM runs").fetchone()[0]
        con.close()
        if variant == "no-trigger":      # as a file of an older version
            sql(db, "DROP TRIGGER runs_deleted")
        sql(db, "DELETE FROM runs WHERE id IN (SELECT id FROM runs ORDER "
            "BY id DESC LIMIT 3)", "DELETE FROM runs WHERE id = 1")
        left = orphans(db)
        check((left == 0) == (variant == "trigger"), "%s: %d orphan rows "
              "after the delete" % (variant, left))
        rc, out, err = st.run(0, job, db)
        check(rc == 0 and st.this_run(err) == (total, 4),
              "%s: resume after a hand delete: exit %d\n%s"
              % (variant, rc, err))
        con = st.connect(db)
        new = [r[0] for r in con.execute("SELECT id FROM runs ORDER BY id "
                                         "DESC LIMIT 4")]
        con.close()
        check(min(new) > top, "%s: ids reused: %s <= %d" % (variant, new,
                                                           top))
        check(orphans(db) == left, "%s: orphans changed" % variant)
        st.same_content(ref, db)
        # The trigger is back (a writer reinstalls the schema): the next
        # hand delete cascades.
        sql(db, "DELETE FROM runs WHERE id = %d" % max(new))
        check(orphans(db) == left, "%s: the reinstalled trigger did not "
              "cascade" % variant)
    print("hand-delete: resume reruns the deleted tasks with fresh ids, with "
          "and without the cascade trigger; content identical")


# ---- 6: refusals leave the file byte-identical ---------------------------------

def case_refusals():
    db = smoke_db("out.db", "--max-tasks", "4")
    foreign_lease(db)
    before = digest(db)
    rc, out, err = dlnsweep("single", *SINGLE, "--eta", "0.5", "--db", db)
    refused(rc, err, "single under a live lease", "being written by")
    untouched(db, before, "single under a live lease")
    shard = smoke_db("shard.db")
    rc, out, err = dlnsweep("merge", "--db", db, shard)
    refused(rc, err, "merge under a live lease", "being written by")
    untouched(db, before, "merge under a live lease")
    sql(db, "DELETE FROM lease")
    before = digest(db)
    junk = st.work("junk.db")
    with open(junk, "w") as f:
        f.write("not a database\n" * 100)
    other = smoke_db("other-sweep.db")
    sql(other, "UPDATE sweeps SET spec_hash = '0123456789abcdef'")
    os.link(db, st.work("out-hard.db"))
    os.symlink(db, st.work("out-link.db"))
    cases = [("a missing input", [shard, st.work("missing.db")], None),
             ("a bad input", [shard, junk], "not an SQLite database"),
             ("a conflicting sweep", [shard, other], "differs"),
             ("the output as a hard link", [st.work("out-hard.db")],
              "is the output"),
             ("the output as a symbolic link", [st.work("out-link.db")],
              "is the output")]
    for k, (what, inputs, needle) in enumerate(cases):
        rc, out, err = dlnsweep("merge", "--db", db, *inputs)
        line = refused(rc, err, "merge with " + what, needle)
        check("disk I/O" not in line, "merge with %s: %s" % (what, line))
        untouched(db, before, "merge with " + what)
        if k < 3:    # into a new file: it is not created
            fresh_out = st.fresh("fresh-out.db")
            rc, out, err = dlnsweep("merge", "--db", fresh_out, *inputs)
            refused(rc, err, "merge into a new file with " + what, needle)
            check(not os.path.exists(fresh_out), "merge with %s left %s"
                  % (what, fresh_out))
    print("refusals: single and merge refused by a lease, missing, bad and "
          "conflicting inputs and the output under another name; the output "
          "byte-identical or not created")


# ---- 7: signals at start-up and shutdown ---------------------------------------

def case_signals():
    job = st.job_path("smoke.yaml")
    total = st.total_tasks(job)
    ref = smoke_db("ref.db")
    plan = [("run-start", "usr1"), ("run-init", "usr1"),
            ("sweep-setup", "usr1"), ("sweep-setup@1", "term"),
            ("sweep-end", "usr1"), ("run-finalize", "usr1"),
            ("run-finalize@0", "term")]
    for point, action in plan:
        db = st.fresh("sig.db")
        e = st.env()
        e["DLN_TEST_HOOK"] = "%s:%s" % (point, action)
        p = subprocess.run(st.command(3, job, db, "--quiet"), env=e,
                           capture_output=True, text=True,
                           timeout=60 * st.SLOW)
        what = "%s at %s" % (action, point)
        check(p.returncode == 0, "%s: exit %d\n%s" % (what, p.returncode,
                                                       p.stderr))
        check("test hook " + point.split("@")[0] in p.stderr,
              "%s: the hook did not fire\n%s" % (what, p.stderr))
        rows = st.nrows(db)
        early = point in ("run-start", "run-init", "sweep-setup",
                          "sweep-setup@1")
        check(rows == 0 if early else rows == total, "%s: %d rows" %
              (what, rows))
        if early:
            check("drained on SIG" in p.stderr, "%s: no drain line\n%s"
                  % (what, p.stderr))
        con = st.connect(db)
        check(con.execute("SELECT count(*) FROM lease").fetchone()[0] == 0,
              "%s: the lease was not released" % what)
        con.close()
        check(integrity(db), "%s: damaged" % what)
        rc, out, err = st.run(3, job, db, "--quiet")
        check(rc == 0 and st.nrows(db) == total, "%s: resume: exit %d\n%s"
              % (what, rc, err))
        st.same_content(ref, db)
    print("signals: %d start-up and shutdown points, every rank or one: "
          "exit 0, lease released, resume identical" % len(plan))


# ---- 8: memory ------------------------------------------------------------------

def peak_rss(cmd):
    """Peak resident bytes of cmd (a child of a fresh helper process)."""
    code = ("import resource, subprocess, sys\n"
            "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    p = subprocess.run([sys.executable, "-c", code, *cmd],
                       capture_output=True, text=True, env=st.env())
    return int(p.stdout.split()[-1]) * 1024


def check_estimate(opts):
    """`check`'s predicted memory of the one-cell job of single's opts."""
    keys = dict(zip(opts[::2], opts[1::2]))
    path = st.work("cell.yaml")
    with open(path, "w") as f:
        f.write("grid:\n  depth: %s\n  width: %s\n  spectrum: 1\n  steps: "
                "%s\ndiagnostics:\n  record_every: %s\n  lyapunov_steps: 2\n"
                "  full_spectrum: %s\n" % (
                    keys["--depth"], keys["--width"], keys["--steps"],
                    keys["--record-every"],
                    "true" if "--full-spectrum" in opts else "false"))
    rc, out, err = dlnsweep("check", path)
    m = re.search(r"^memory:\s+up to ([\d.]+) (MB|GB) per rank", out, re.M)
    check(rc == 0 and m, "check: exit %d\n%s%s" % (rc, out, err))
    return float(m.group(1)) * (1 << (20 if m.group(2) == "MB" else 30))


def case_memory():
    # Each part dominating once: the Lanczos basis and the dense Hessian
    # (`single`), the recorded trajectory (a 2-rank sweep: the worker holds
    # it three times as it sends it, the coordinator twice).
    cells = [["--depth", "3", "--width", "300", "--steps", "3",
              "--record-every", "0"],
             ["--depth", "3", "--width", "30", "--steps", "3",
              "--record-every", "0", "--full-spectrum"],
             ["--depth", "1", "--width", "1", "--steps", "500000",
              "--record-every", "1"]]
    for k, opts in enumerate(cells):
        est = check_estimate(opts)
        if k < 2:
            got = peak_rss([ARGS.exe, "single", "--spectrum", "1",
                            "--lyapunov-steps", "2", *opts])
        else:
            got = peak_rss(st.command(2, st.work("cell.yaml"),
                                      st.fresh("traj.db"), "--quiet"))
        # Never below; above by at most 20% and the process base (32 MB,
        # an MPI rank's; `single` without MPI needs less).
        check(0.9 * got <= est <= 1.2 * got + (32 << 20),
              "%s: estimate %.0f MB, measured %.0f MB"
              % (" ".join(opts), est / 2**20, got / 2**20))
        print("memory: %s: estimated %.0f MB, peak %.0f MB"
              % (" ".join(opts), est / 2**20, got / 2**20))
    big = st.work("big.yaml")
    with open(big, "w") as f:
        f.write("name: big\ngrid:\n  depth: [3, 1000]\n  width: [10, 1000]\n")
    rc, out, err = dlnsweep("check", big)
    refused(rc, err, "check of depth 1000 x width 1000", "cell 3 (depth 1000,"
            " width 1000")
    rc, out, err = dlnsweep("check", big, "--mem-limit", "100T")
    check(rc == 0, "check --mem-limit 100T: exit %d\n%s" % (rc, err))
    rc, out, err = dlnsweep("check", big, "--mem-limit", "lots")
    refused(rc, err, "--mem-limit lots", "--mem-limit")
    db = smoke_db("mem.db", "--max-tasks", "2")
    before = digest(db)
    for ranks in (0, 2):
        rc, out, err = st.run(ranks, big, db)
        refused(rc, err, "run of depth 1000 x width 1000 (%d ranks)" % ranks,
                "over the limit")
        untouched(db, before, "run refused for memory")
    rc, out, err = st.run(0, big, st.fresh("none.db"), "--mem-limit", "1M")
    refused(rc, err, "run --mem-limit 1M", "--mem-limit")
    check(not os.path.exists(st.work("none.db")), "refused run created a db")
    rc, out, err = dlnsweep("single", "--width", "1000000", "--depth", "3")
    refused(rc, err, "single of width 1e6", "needs about")
    print("memory: estimates within bounds; check, run and single refuse "
          "cells over the limit")


# ---- 8: leases --------------------------------------------------------------------

def case_leases():
    shard = smoke_db("shard.db")
    db = smoke_db("lease.db", "--max-tasks", "2")
    # Another host's lease, 300 s old: alive for every writer (600 s).
    foreign_lease(db, age=300)
    before = digest(db)
    for cmd in (["merge", "--db", db, shard],
                ["single", *SINGLE, "--eta", "0.5", "--db", db]):
        rc, out, err = dlnsweep(*cmd)
        refused(rc, err, cmd[0] + " under a 300 s old lease",
                "being written by")
        untouched(db, before, cmd[0] + " under a 300 s old lease")
    rc, out, err = st.run(0, st.job_path("smoke.yaml"), db)
    refused(rc, err, "run under a 300 s old lease", "being written by")
    foreign_lease(db, age=700)
    rc, out, err = dlnsweep("merge", "--db", db, shard)
    check(rc == 0, "merge over a 700 s old lease: exit %d\n%s" % (rc, err))
    # This host, a live pid that is not the holder (it started later than
    # the holder did): the holder is gone, whatever the heartbeat.
    me = os.getpid()
    with open("/proc/%d/stat" % me) as f:
        start = f.read().rsplit(")", 1)[1].split()[19]
    with open("/proc/sys/kernel/random/boot_id") as f:
        boot = f.read().strip()
    host = os.uname().nodename
    foreign_lease(db, host=host, pid=me, start="%s/%d" % (boot,
                                                          int(start) - 1))
    rc, out, err = dlnsweep("single", *SINGLE, "--eta", "0.5", "--db", db)
    check(rc == 0, "single over a reused pid's lease: exit %d\n%s"
          % (rc, err))
    foreign_lease(db, host=host, pid=me, start="%s/%s" % (boot, start))
    before = digest(db)
    rc, out, err = dlnsweep("single", *SINGLE, "--eta", "0.6", "--db", db)
    refused(rc, err, "single under a live holder's lease", "being written")
    untouched(db, before, "single under a live holder's lease")
    print("leases: 600 s for merge, single and run; a reused pid is not "
          "the holder, a live one is")


# ---- 8: inputs ------------------------------------------------------------------

def case_inputs():
    # A dangling symlink is neither followed nor deleted.
    link = st.work("link.db")
    os.symlink(st.work("nowhere/x.db"), link)
    for cmd in (["single", *SINGLE, "--db", link],
                ["merge", "--db", link, smoke_db("m.db")]):
        rc, out, err = dlnsweep(*cmd)
        refused(rc, err, cmd[0] + " --db dangling link", "symbolic link")
        check(os.path.islink(link), "%s deleted the link" % cmd[0])
    rc, out, err = st.run(0, st.job_path("smoke.yaml"), link)
    refused(rc, err, "run --db dangling link", "symbolic link")
    check(os.path.islink(link), "run deleted the link")
    # Control characters of keys and values stay escaped in one line.
    bad = st.work("ctl.yaml")
    with open(bad, "w") as f:
        f.write('grid:\n  "ab\\x01c\\nd": 1\n  init: "x\\ny"\n')
    for cmd in (["check", bad], ["run", bad, "--db", st.work("x.db")],
                ["single", "--init", "x\ny\x1b[31m"]):
        rc, out, err = dlnsweep(*cmd)
        line = refused(rc, err, "control characters in " + cmd[0])
        check("\x01" not in line and "\x1b" not in line,
              "%s: control character echoed: %r" % (cmd[0], line))
    # single and job files read numbers alike.
    for text in ("1e-310", "0x1p-3", "4.9e-324", "1e999", "+0.5", "1.",
                 ".5e1", "inf"):
        job = st.work("num.yaml")
        with open(job, "w") as f:
            f.write("grid:\n  eta: %s\n  depth: 1\n  width: 1\n  spectrum: "
                    "[%s]\n  steps: 2\n" % (text, text))
        rj = dlnsweep("check", job)[0]
        rs = dlnsweep("single", "--eta", text, "--depth", "1", "--width",
                      "1", "--spectrum", text, "--steps", "2")[0]
        check(rj == rs, "'%s': check exits %d, single %d" % (text, rj, rs))
    rc, out, err = dlnsweep("single", "--spectrum", "1,0.5,", "--width", "2")
    refused(rc, err, "single --spectrum 1,0.5,", "comma")
    # Racing creators of one new database: the lease decides, never a
    # half-made file ("foreign schema", "truncated").
    db = st.fresh("race.db")
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        res = list(pool.map(lambda k: dlnsweep(
            "single", *SINGLE, "--eta", str(0.3 + 0.01 * k), "--db", db),
            range(6)))
    ok = 0
    for rc, out, err in res:
        check(rc == 0 or (rc == 2 and "being written by" in err),
              "racing creator: exit %d: %s" % (rc, err))
        ok += rc == 0
    check(ok >= 1 and integrity(db) and st.nrows(db) == ok,
          "racing creators: %d succeeded, %d rows" % (ok, st.nrows(db)))
    print("inputs: dangling link untouched, control characters escaped, "
          "numbers alike, %d of 6 racing creators wrote, the others were "
          "refused by the lease" % ok)


# ---- full disk ----------------------------------------------------------------------

def case_full_disk():
    job = st.job_path("sweep_drain.yaml")
    total = st.total_tasks(job)
    ref = st.reference(job)
    db = st.fresh("full.db")
    rc, out, err = st.run(0, job, db, "--quiet", "--max-tasks", "4")
    check(rc == 0, "setup: exit %d\n%s" % (rc, err))
    # Once the sweep is set up, no file may grow past 256 KB: its
    # write-ahead log fills up after a few commits (the hook sets the
    # process's file-size limit; MPI is up by then).
    rc, out, err = dlnsweep("run", job, "--db", db, "--quiet",
                            "--commit-every", "0.05",
                            hook="sweep-setup:fsize=262144")
    check(rc == 1 and db in err, "sweep on a full disk: exit %d\n%s"
          % (rc, err))
    done = st.nrows(db)
    check(integrity(db) and 4 < done < total, "after a full disk: intact "
          "%s, %d rows" % (integrity(db), done))
    rc, out, err = dlnsweep("single", *SINGLE, "--eta", "0.5", "--db", db,
                            hook="store-schema:fsize=0")
    check(rc == 1 and integrity(db) and st.nrows(db) == done,
          "single on a full disk: exit %d, intact %s, %d rows\n%s"
          % (rc, integrity(db), st.nrows(db), err))
    rc, out, err = st.run(0, job, db)
    check(rc == 0 and st.this_run(err) == (total, total - done),
          "resume after a full disk: exit %d\n%s" % (rc, err))
    st.same_content(ref, db)
    print("full-disk: sweep stopped with exit 1 after %d of %d rows, intact;"
          " single refused its row; resume completes identical"
          % (done, total))


def main():
    global ARGS
    ARGS = st.parse_args()
    st.run_case({"snapshot-live": case_snapshot_live,
                 "create-kill": case_create_kill, "damaged": case_damaged,
                 "yaml-deep": case_yaml_deep, "hand-delete": case_hand_delete,
                 "refusals": case_refusals, "signals": case_signals,
                 "memory": case_memory, "leases": case_leases,
                 "inputs": case_inputs, "full-disk": case_full_disk})


if __name__ == "__main__":
    main()
