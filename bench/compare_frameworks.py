#!/usr/bin/env python3
"""Time dlnsweep's training loop against the same loop in NumPy and PyTorch.

Same init, target and Lanczos start vector (dumped by bench_step --dump),
same eta, steps and sharpness cadence: before every K-th step the top
Hessian eigenvalue by Lanczos (20 Krylov steps, full reorthogonalisation by
two passes of classical Gram-Schmidt, as dlnsweep does) on exact
Hessian-vector products
(NumPy: the same tangent recursion as src/engine/model.c; PyTorch: double
backward).  All three run single-threaded on the same OpenBLAS.  Times are
process CPU seconds (the machine is shared), each the best of ROUNDS rounds
that run the three implementations in turn, so that load bursts hit all of
them alike (dlnsweep's own figure is already a best of repeats).

Prints, per size, the seconds of each implementation, dlnsweep's speed-up,
the largest relative difference of the loss trajectories over the first 100
steps and of the sharpness estimates (both must be <= 1e-10, else exit 1).
Without python3-torch the PyTorch column says "skipped".

usage: compare_frameworks.py BENCH_STEP_EXE [--sizes 8,16,32,128,512]
                             [--depth 3] [--every 10]
(--every 0: steps only, no sharpness)
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402

CHECK_STEPS = 100      # loss trajectories must agree over this many steps
LOSS_RTOL = 1e-10


def rounds_for(d):
    """Interleaved rounds per size: cheap sizes get more."""
    return 5 if d <= 32 else (2 if d <= 128 else 1)


def tridiag_top(alphas, betas):
    k = len(alphas)
    off = betas[:k - 1]
    t = np.diag(alphas) + np.diag(off, 1) + np.diag(off, -1)
    return float(np.linalg.eigvalsh(t)[-1])


def lanczos_top(hvp, q0, basis, iters):
    """Top eigenvalue of the operator hvp; basis is an iters x n scratch
    array (NumPy or torch) for the Krylov vectors."""
    basis[0] = q0 / float((q0 * q0).sum()) ** 0.5
    alphas, betas, hnorm = [], [], 0.0
    for j in range(iters):
        w = hvp(basis[j])
        hnorm = max(hnorm, float((w * w).sum()) ** 0.5)
        q = basis[:j + 1]
        c1 = q @ w
        w = w - q.T @ c1
        c2 = q @ w
        w = w - q.T @ c2
        alphas.append(float(c1[j] + c2[j]))
        if j == iters - 1:
            break
        b = float((w * w).sum()) ** 0.5
        if b <= 1e-12 * hnorm:
            break
        betas.append(b)
        basis[j + 1] = w / b
    return tridiag_top(alphas, betas)


def unflatten(x, like):
    out, off = [], 0
    for w in like:
        out.append(x[off:off + w.size].reshape(w.shape, order="F"))
        off += w.size
    return out


def numpy_loop(ws0, target, eta, steps, every, iters, start):
    """GD with the analytic gradient and HVP of src/engine/model.c, in NumPy."""
    L = len(ws0)
    ws = [np.asfortranarray(w.copy()) for w in ws0]
    n = sum(w.size for w in ws)
    losses, sharp = np.empty(steps), np.zeros(steps)
    basis = np.empty((iters, n))

    def forward():
        prefix = [ws[0]]
        for w in ws[1:]:
            prefix.append(w @ prefix[-1])
        return prefix, prefix[-1] - target

    def hvp(prefix, resid, v):
        vs = unflatten(v, ws)
        dp = [vs[0]]
        for l in range(1, L):
            dp.append(ws[l] @ dp[-1] + vs[l] @ prefix[l - 1])
        b, db = resid, dp[-1]
        out = [None] * L
        for l in range(L - 1, 0, -1):
            out[l] = db @ prefix[l - 1].T + b @ dp[l - 1].T
            b, db = ws[l].T @ b, vs[l].T @ b + ws[l].T @ db
        out[0] = db
        return np.concatenate([o.ravel(order="F") for o in out])

    t0 = time.process_time()
    for t in range(steps):
        prefix, resid = forward()
        if every and t % every == 0:
            sharp[t] = lanczos_top(lambda v: hvp(prefix, resid, v),
                                   start, basis, iters)
        losses[t] = 0.5 * np.sum(resid * resid)
        b = resid
        for l in range(L - 1, -1, -1):
            g = b @ prefix[l - 1].T if l > 0 else b
            if l > 0:
                b = ws[l].T @ b
            ws[l] -= eta * g
    return time.process_time() - t0, (losses, sharp)


def torch_loop(ws0, target, eta, steps, every, iters, start):
    """GD with autograd gradients and double-backward HVPs, in PyTorch."""
    import torch
    torch.set_num_threads(1)
    ws = [torch.tensor(w, dtype=torch.float64, requires_grad=True)
          for w in ws0]
    m = torch.tensor(target, dtype=torch.float64)
    n = sum(w.numel() for w in ws)
    losses, sharp = np.empty(steps), np.zeros(steps)
    basis = torch.empty((iters, n), dtype=torch.float64)
    # torch flattens row-major: the same start vector in that layout.
    start = torch.tensor(np.concatenate(
        [v.ravel(order="C") for v in unflatten(start, ws0)]))

    def loss_fn():
        p = ws[0]
        for w in ws[1:]:
            p = w @ p
        return 0.5 * torch.sum((p - m) ** 2)

    t0 = time.process_time()
    for t in range(steps):
        loss = loss_fn()
        if every and t % every == 0:
            grads = torch.autograd.grad(loss, ws, create_graph=True)
            flat = torch.cat([g.reshape(-1) for g in grads])

            def hvp(v):
                hv = torch.autograd.grad(flat, ws, grad_outputs=v,
                                         retain_graph=True)
                return torch.cat([h.reshape(-1) for h in hv])
            sharp[t] = lanczos_top(hvp, start, basis, iters)
            grads = [g.detach() for g in grads]
        else:
            grads = torch.autograd.grad(loss, ws)
        losses[t] = loss.item()
        with torch.no_grad():
            for w, g in zip(ws, grads):
                w -= eta * g
    return time.process_time() - t0, (losses, sharp)


def rel_diff(a, b):
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def dgemm_peak():
    """Best single-thread DGEMM rate (flop/s of process CPU time, as the
    loops are timed) through NumPy's OpenBLAS, square sizes 256..1024,
    best of a few calls each."""
    best = 0.0
    for n in (256, 512, 1024):
        a, b = np.random.rand(n, n), np.random.rand(n, n)
        for _ in range(5):
            t0 = time.process_time()
            a @ b
            dt = time.process_time() - t0
            if dt > 0:
                best = max(best, 2.0 * n ** 3 / dt)
    return best


def loop_flops(d, depth, steps, every, iters):
    """GEMM flops of the loop: a GD step is 3(L-1) GEMMs of 2 d^3 flops, a
    Hessian-vector product 6(L-1); the Lanczos reorthogonalisation
    (matrix-vector work) is left out, so time = flops / peak is a lower
    bound for any implementation."""
    step = 6 * (depth - 1) * d ** 3
    hvp = 12 * (depth - 1) * d ** 3
    estimates = len(range(0, steps, every)) if every else 0
    return steps * step + estimates * iters * hvp


def steps_for(d):
    return 400 if d <= 32 else (200 if d <= 128 else CHECK_STEPS)


def dump(args, d, steps):
    """Run dlnsweep (bench_step --dump) for one size: its metadata, the
    initial layers, the target, the Lanczos start vector and its loss and
    sharpness trajectories."""
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([args.bench_step, "--dump", tmp, str(d),
                              str(args.depth), str(steps), str(args.every)],
                             check=True, capture_output=True, text=True)
        meta = json.loads(out.stdout)
        flat = np.fromfile(os.path.join(tmp, "init.bin"))
        start = np.fromfile(os.path.join(tmp, "lanczos_start.bin"))
        target = np.fromfile(os.path.join(tmp, "target.bin")).reshape(
            (d, d), order="F")
        c_loss = np.fromfile(os.path.join(tmp, "loss.bin"))
        c_sharp = np.fromfile(os.path.join(tmp, "sharpness.bin"))
    ws = unflatten(flat, [np.empty((d, d))] * args.depth)
    return meta, ws, target, start, c_loss, c_sharp


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bench_step")
    ap.add_argument("--sizes", default="8,16,32,128,512")
    ap.add_argument("--depth", type=int, default=3)
    ap.add_argument("--every", type=int, default=10)
    args = ap.parse_args()
    try:
        import torch
        have_torch = True
        torch_version = torch.__version__
    except ImportError:
        have_torch = False
        torch_version = "not installed"
    cadence = (f"sharpness every {args.every} steps" if args.every
               else "no sharpness (steps only)")
    print(f"NumPy {np.__version__}, PyTorch {torch_version}; L = {args.depth},"
          f" eta = 1e-3, {cadence}")
    peak = dgemm_peak()
    print(f"single-thread DGEMM peak {peak * 1e-9:.1f} GFLOP/s; 'bound': the "
          f"largest speed-up over PyTorch any implementation could have, "
          f"PyTorch's time over the loop's GEMM flops at that peak")
    print(f"{'d':>5} {'steps':>5} {'dlnsweep s':>10} {'numpy s':>9} "
          f"{'torch s':>9} {'x numpy':>8} {'x torch':>8} {'bound':>6} "
          f"{'dloss(100)':>10} {'dsharp':>8}")
    worst, worst_sharp, speedups, bounds = 0.0, 0.0, {}, {}
    for d in [int(s) for s in args.sizes.split(",")]:
        steps = steps_for(d)
        k = min(CHECK_STEPS, steps)
        c, t_np, t_th = (float("inf"),) * 3
        dloss = dsharp = 0.0
        for _ in range(rounds_for(d)):
            meta, ws, target, start, c_loss, c_sharp = dump(args, d, steps)
            c = min(c, meta["seconds"])
            run = (ws, target, meta["eta"], steps, args.every,
                   meta["lanczos_iters"], start)
            on = c_sharp != 0.0
            secs, (np_loss, np_sharp) = numpy_loop(*run)
            t_np = min(t_np, secs)
            dloss = max(dloss, rel_diff(np_loss[:k], c_loss[:k]))
            dsharp = max(dsharp, rel_diff(np_sharp[on], c_sharp[on]))
            if have_torch:
                secs, (th_loss, th_sharp) = torch_loop(*run)
                t_th = min(t_th, secs)
                dloss = max(dloss, rel_diff(th_loss[:k], c_loss[:k]))
                dsharp = max(dsharp, rel_diff(th_sharp[on], c_sharp[on]))
        torch_col, x_torch, bound = f"{'skipped':>9}", "-", "-"
        if have_torch:
            torch_col = f"{t_th:>9.4f}"
            x_torch = f"{t_th / c:.1f}"
            speedups[d] = t_th / c
            floor = loop_flops(d, args.depth, steps, args.every,
                               meta["lanczos_iters"]) / peak
            bounds[d] = t_th / floor
            bound = f"{bounds[d]:.0f}"
        worst = max(worst, dloss)
        worst_sharp = max(worst_sharp, dsharp)
        print(f"{d:>5} {steps:>5} {c:>10.4f} {t_np:>9.4f} {torch_col} "
              f"{t_np / c:>8.1f} {x_torch:>8} {bound:>6} {dloss:>10.1e} "
              f"{dsharp:>8.1e}", flush=True)
    ok = worst <= LOSS_RTOL and worst_sharp <= LOSS_RTOL
    print(f"loss trajectories agree to {worst:.1e} over the first "
          f"{CHECK_STEPS} steps (limit {LOSS_RTOL:g}): "
          f"{'ok' if worst <= LOSS_RTOL else 'MISMATCH'}")
    if args.every:
        print(f"sharpness estimates (same Lanczos start) agree to "
              f"{worst_sharp:.1e} (limit {LOSS_RTOL:g}): "
              f"{'ok' if worst_sharp <= LOSS_RTOL else 'MISMATCH'}")
    small = {d: s for d, s in speedups.items() if d <= 32}
    if small:
        each = ", ".join(
            f"d = {d} {s:.1f}x " + ("met" if s >= 20 else
                                    "MISSED" if bounds[d] >= 20 else
                                    f"MISSED, out of reach (bound "
                                    f"{bounds[d]:.0f}x)")
            for d, s in small.items())
        print(f"target >= 20x faster than PyTorch at d <= 32: "
              f"{'met' if min(small.values()) >= 20 else 'MISSED'} "
              f"({each})")
    else:
        print("target >= 20x faster than PyTorch at d <= 32: skipped "
              "(no python3-torch)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
