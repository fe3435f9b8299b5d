#!/usr/bin/python3
"""Whole sweeps of small networks, as a user runs them, against NumPy and
PyTorch loops doing the same GD vectorised over eta (issue 17).

    bench_jobs.py --exe DLNSWEEP --launcher "mpirun ..." --work DIR
                  [--repeats 3] [--jobs dense-off,...]

Jobs (written to DIR):
  dense-off   the dense bifurcation job: depth 3, width 1, balanced init
              0.5, target 1, 1000 etas in [0.3, 0.88], 20000 steps, every
              optional diagnostic off (record_every 0, lyapunov_steps 0,
              transient_window 0, tail 0): GD, the loss per step, the
              period test and the final sharpness remain
  dense-full  the same cells with dlnsweep's default diagnostics (trajectory
              every 10 steps, 128-point late orbit, Lyapunov exponents,
              slow-transient fit)
  fig2        jobs/paper-fig2.yaml: depth 3, width 5, target diag(10, 9.5,
              9), identity init 0.01, 24 etas, 1500 steps, 8-point orbit
  fig2x40     the same with seeds: 40 (960 tasks, 40 of each cell: the
              identity init makes them the same work), whose time is
              measurable beside the launch's; fig2x40-off the same with
              lyapunov_steps 0 and transient_window 0 (the job file's
              diagnostics are the defaults but for tail 8, record_every 0)
Per job and launch ("1": mpirun -n 1, "1 lanes=1": each cell alone through
the one-cell engine, "2": rank 0 coordinating, rank 1 training):
  cpu s      user + system CPU of every rank of the sweep into a fresh
             database, minus that of the same command rerun once every task
             is done (launch, MPI start, job expansion, database open: the
             "launch" column), best of --repeats
  wall s     the sweep's wall-clock time minus the rerun's
  waited %   the workers' time waiting for work (2 ranks; the sweep's own
             closing line), and the writer's CPU per run
Reference loops (CPU seconds of this process, best of --repeats):
  NumPy      bench_lanes.numpy_gd: the same depth-3 width-1 GD over all
             1000 etas at once, no loss, no diagnostics
  PyTorch    torch.bmm over the 24 etas of fig2 (960 nets for fig2x40;
             float64, one thread), the loss each step as dlnsweep computes
             it, no diagnostics
The ratio columns are the reference's CPU over dlnsweep's net CPU.
Run with OPENBLAS_NUM_THREADS=1.
"""
import argparse
import importlib.util
import os
import re
import resource
import shlex
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

DENSE = """name: {name}
grid:
  depth: 3
  width: 1
  spectrum: 1
  init: balanced
  alpha: 0.5
  eta: {{linspace: [0.3, 0.88, 1000]}}
  steps: 20000
"""
OFF = """diagnostics:
  record_every: 0
  lyapunov_steps: 0
  transient_window: 0
  tail: 0
"""


JOBS = ("dense-off", "dense-full", "fig2", "fig2x40-off", "fig2x40")


def load_bench_lanes():
    spec = importlib.util.spec_from_file_location(
        "bench_lanes", os.path.join(HERE, "bench_lanes.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def timed(cmd):
    """(CPU s of cmd and its children, wall s, stderr text)."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    _, err = p.communicate()
    wall = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit("bench_jobs: %s failed (%d):\n%s"
                 % (" ".join(cmd), p.returncode, err))
    return wall, err


def children_cpu():
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime


def sweep(a, job, ranks, extra):
    """Best (cpu, wall, launch cpu, waited %, writer us/run) of repeats."""
    best = None
    for r in range(a.repeats):
        db = os.path.join(a.work, "bench.db")
        for f in (db, db + "-wal", db + "-shm"):
            if os.path.exists(f):
                os.remove(f)
        cmd = (shlex.split(a.launcher) + ["-n", str(ranks)] +
               (["--bind-to", "none"] if ranks == 1 else []) +
               [a.exe, "run", job, "--db", db] + extra)
        before = children_cpu()
        wall, err = timed(cmd)
        mid = children_cpu()
        wall0, _ = timed(cmd)
        cpu, cpu0 = mid - before, children_cpu() - mid
        m = re.search(r"workers waited ([0-9.]+)%", err)
        w = re.search(r"database writer \([a-z]+\): .* ([0-9.]+) us per run",
                      err)
        row = (cpu - cpu0, wall - wall0, cpu0,
               float(m.group(1)) if m else None,
               float(w.group(1)) if w else None)
        if best is None or row[0] < best[0]:
            best = row
    return best


def torch_fig2(steps, repeats, copies=1):
    """CPU s of fig2's GD in PyTorch over its 24 etas (each `copies`
    times) at once, or None."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    d, depth = 5, 3
    n = 24 * copies
    eta = (torch.arange(24, dtype=torch.float64) * 0.00025 +
           0.0305).repeat(copies)
    e = eta[:, None, None]
    target = torch.zeros(n, d, d, dtype=torch.float64)
    for i, s in enumerate((10.0, 9.5, 9.0)):
        target[:, i, i] = s
    best = None
    for _ in range(repeats):
        w = [0.01 * torch.eye(d, dtype=torch.float64).repeat(n, 1, 1)
             for _ in range(depth - 1)]
        w.append(torch.zeros(n, d, d, dtype=torch.float64))
        t0 = time.process_time()
        with torch.no_grad():
            for _ in range(steps):
                p = [w[0]]
                for l in range(1, depth):
                    p.append(torch.bmm(w[l], p[-1]))
                b = p[-1] - target
                loss = 0.5 * (b * b).sum(dim=(1, 2))
                g = [None] * depth
                for l in range(depth - 1, 0, -1):
                    g[l] = torch.bmm(b, p[l - 1].transpose(1, 2))
                    b = torch.bmm(w[l].transpose(1, 2), b)
                g[0] = b
                for l in range(depth):
                    w[l] -= e * g[l]
        del loss
        s = time.process_time() - t0
        best = s if best is None else min(best, s)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--exe", required=True)
    ap.add_argument("--launcher", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--source", default=os.path.dirname(HERE))
    ap.add_argument("--jobs", default=",".join(JOBS),
                    help="comma list of the jobs to run (default: all)")
    a = ap.parse_args()
    names = [n for n in a.jobs.split(",") if n]
    if not names or any(n not in JOBS for n in names):
        sys.exit("bench_jobs: --jobs takes a comma list of %s"
                 % ",".join(JOBS))
    os.makedirs(a.work, exist_ok=True)
    jobs = {}
    for name, text in (("dense-off", DENSE.format(name="dense-off") + OFF),
                       ("dense-full", DENSE.format(name="dense-full"))):
        jobs[name] = os.path.join(a.work, name + ".yaml")
        with open(jobs[name], "w") as f:
            f.write(text)
    jobs["fig2"] = os.path.join(a.source, "jobs", "paper-fig2.yaml")
    with open(jobs["fig2"]) as f:
        text = f.read().replace("name: paper-fig2",
                                "name: fig2x40\nseeds: 40")
    jobs["fig2x40"] = os.path.join(a.work, "fig2x40.yaml")
    with open(jobs["fig2x40"], "w") as f:
        f.write(text)
    jobs["fig2x40-off"] = os.path.join(a.work, "fig2x40-off.yaml")
    with open(jobs["fig2x40-off"], "w") as f:
        f.write(text.replace("name: fig2x40", "name: fig2x40-off") +
                "  lyapunov_steps: 0\n  transient_window: 0\n")

    bl = load_bench_lanes()
    np_s = min(bl.numpy_gd(1, 3, 1000, 20000) for _ in range(a.repeats))
    npm_s = min(bl.numpy_gd(1, 3, 1000, 20000, scalar=False)
                for _ in range(a.repeats))
    fig2 = any(n.startswith("fig2") for n in names)
    torch_s = torch_fig2(1500, a.repeats) if fig2 else None
    torch40_s = torch_fig2(1500, a.repeats, 40) if fig2 else None
    ref = {"dense-off": ("NumPy", np_s), "dense-full": ("NumPy", np_s),
           "fig2": ("PyTorch", torch_s), "fig2x40": ("PyTorch", torch40_s),
           "fig2x40-off": ("PyTorch", torch40_s)}
    print("NumPy dense loop (1000 etas, 20000 steps, no loss): %.3f s CPU "
          "on (1000,) arrays, %.3f s on (1000, 1, 1) matrices (the form of "
          "every width; ratio column 'm'); PyTorch fig2 loop (24 etas, 1500 "
          "steps; 960 = 40 copies for fig2x40): %s"
          % (np_s, npm_s, "%.3f, %.3f s CPU" % (torch_s, torch40_s)
             if torch_s else "skipped"))
    print("| job | launch | cpu s | wall s | launch cpu s | waited % | "
          "writer us/run | reference | ref cpu s | ref / cpu | m / cpu |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name in names:
        for label, ranks, extra in (("1", 1, []),
                                    ("1 lanes=1", 1, ["--lanes", "1"]),
                                    ("2", 2, [])):
            cpu, wall, cpu0, waited, wus = sweep(a, jobs[name], ranks, extra)
            rname, rs = ref[name]
            dense = name.startswith("dense")
            print("| %s | %s | %.3f | %.3f | %.2f | %s | %s | %s | %s | %s "
                  "| %s |"
                  % (name, label, cpu, wall, cpu0,
                     "%.1f" % waited if waited is not None else "-",
                     "%.0f" % wus if wus is not None else "-", rname,
                     "%.3f" % rs if rs else "skipped",
                     "%.1f" % (rs / cpu) if rs and cpu > 0 else "-",
                     "%.1f" % (npm_s / cpu) if dense and cpu > 0 else "-"),
                  flush=True)


if __name__ == "__main__":
    main()
