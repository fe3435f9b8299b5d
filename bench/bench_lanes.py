#!/usr/bin/python3
"""Batched GD of dlnsweep's lane kernels against NumPy stepping every eta at
once (issue 17's dense bifurcation job) and against one core's add+mul peak.

    bench_lanes.py BENCH_LANES [--widths 1,2,4,8] [--depth 3] [--lanes 1000]
                   [--steps 20000] [--repeats 3]

For each width: the C batch (bench_lanes batch ...) and the NumPy loop below
run A/B interleaved `repeats` times, each timed in CPU seconds of its own
process; the best of each is kept.  Same work: depth-3 nets of width d,
balanced init 0.5 I, target I, eta evenly spaced in [0.3, 0.88] (converged
to chaotic, none diverging), per-layer gradient W_{L:l+1}^T E W_{l-1:1}^T,
no diagnostics (NumPy skips the loss, which the C step also computes).
Run with OPENBLAS_NUM_THREADS=1.
"""
import argparse
import json
import subprocess
import time

import numpy as np


def numpy_gd(d, depth, lanes, steps, scalar=True):
    """CPU seconds of `steps` GD steps of `lanes` nets vectorised over eta
    (d = 1 as (lanes,) arrays unless scalar is false: (lanes, 1, 1))."""
    eta = 0.3 + 0.58 * np.arange(lanes) / max(lanes - 1, 1)
    if d == 1 and scalar:   # elementwise arrays are NumPy's fastest form
        w = [np.full(lanes, 0.5) for _ in range(depth)]
        t0 = time.process_time()
        for _ in range(steps):
            p = [w[0]]
            for l in range(1, depth):
                p.append(w[l] * p[-1])
            b = p[-1] - 1.0
            g = [None] * depth
            for l in range(depth - 1, 0, -1):
                g[l] = b * p[l - 1]
                b = w[l] * b
            g[0] = b
            for l in range(depth):
                w[l] -= eta * g[l]
        return time.process_time() - t0
    e = eta[:, None, None]
    target = np.broadcast_to(np.eye(d), (lanes, d, d))
    w = [np.broadcast_to(0.5 * np.eye(d), (lanes, d, d)).copy()
         for _ in range(depth)]
    t0 = time.process_time()
    for _ in range(steps):
        p = [w[0]]
        for l in range(1, depth):
            p.append(w[l] @ p[-1])
        b = p[-1] - target
        g = [None] * depth
        for l in range(depth - 1, 0, -1):
            g[l] = b @ p[l - 1].transpose(0, 2, 1)
            b = w[l].transpose(0, 2, 1) @ b
        g[0] = b
        for l in range(depth):
            w[l] -= e * g[l]
    return time.process_time() - t0


def c_batch(exe, d, depth, lanes, steps):
    out = subprocess.run([exe, "batch", str(d), str(depth), str(lanes),
                          str(steps)], check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("exe")
    ap.add_argument("--widths", default="1,2,4,8")
    ap.add_argument("--depth", type=int, default=3)
    ap.add_argument("--lanes", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=20000)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    peak = json.loads(subprocess.run([a.exe, "peak"], check=True,
                                     capture_output=True,
                                     text=True).stdout)["peak_gflops"]
    print(f"one core's add+mul peak: {peak:.1f} GFLOP/s; depth {a.depth}, "
          f"{a.lanes} lanes, {a.steps} steps; CPU ns per cell-step, best of "
          f"{a.repeats} interleaved")
    print(f"{'width':>5} {'isa':>7} {'lanes ns':>9} {'NumPy ns':>9} "
          f"{'NumPy/lanes':>11} {'flops':>6} {'limit ns':>8} "
          f"{'lanes/limit':>11} {'active':>6}")
    cells = a.lanes * a.steps
    for d in (int(x) for x in a.widths.split(",")):
        best_c, best_np, info = None, None, None
        for _ in range(a.repeats):
            info = c_batch(a.exe, d, a.depth, a.lanes, a.steps)
            s = info["seconds"]
            best_c = s if best_c is None else min(best_c, s)
            s = numpy_gd(d, a.depth, a.lanes, a.steps)
            best_np = s if best_np is None else min(best_np, s)
        ns_c = best_c / cells * 1e9
        ns_np = best_np / cells * 1e9
        limit = info["flops_per_cell_step"] / peak
        print(f"{d:5d} {info['isa']:>7} {ns_c:9.2f} {ns_np:9.1f} "
              f"{ns_np / ns_c:11.1f} {info['flops_per_cell_step']:6.0f} "
              f"{limit:8.2f} {ns_c / limit:11.2f} {info['active']:6d}")


if __name__ == "__main__":
    main()
