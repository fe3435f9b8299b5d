#!/usr/bin/env python3
"""Time dlnsweep's training loop against the same loop in NumPy and PyTorch.

Same init (dumped by bench_step), same eta, steps and sharpness cadence
(Lanczos, 20 iterations, every K steps). Prints, per size, the seconds of
each implementation, dlnsweep's speed-up, and the largest relative
difference of the loss trajectories over the first 100 steps (must be
<= 1e-10). Single-threaded everywhere.

usage: compare_frameworks.py BENCH_STEP_EXE [--sizes 8,32,128,512] [--depth 3]
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

LANCZOS_ITERS = 20


def lanczos_top(hvp, n, dtype_ops):
    """Largest eigenvalue by Lanczos with full reorthogonalisation."""
    zeros, randn, dot, norm, stack, eigvalsh = dtype_ops
    q = randn(n)
    q = q / norm(q)
    basis, alphas, betas = [q], [], []
    for j in range(LANCZOS_ITERS):
        w = hvp(basis[-1])
        a = float(dot(w, basis[-1]))
        alphas.append(a)
        for b in basis:  # full reorthogonalisation, as dlnsweep does
            w = w - float(dot(w, b)) * b
        beta = float(norm(w))
        if beta < 1e-12 or j == LANCZOS_ITERS - 1:
            break
        betas.append(beta)
        basis.append(w / beta)
    t = np.diag(alphas) + np.diag(betas[:len(alphas) - 1], 1) + \
        np.diag(betas[:len(alphas) - 1], -1)
    return float(np.linalg.eigvalsh(t)[-1])


def numpy_loop(ws, target, eta, steps, every):
    L = len(ws)
    ws = [w.copy() for w in ws]
    losses = np.empty(steps)

    def forward(ws):
        prefix = [ws[0]]
        for w in ws[1:]:
            prefix.append(w @ prefix[-1])
        return prefix, prefix[-1] - target

    def hvp_flat(ws, prefix, resid, v):
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

    rng = np.random.default_rng(1)
    ops = (np.zeros, rng.standard_normal, np.dot, np.linalg.norm, np.stack,
           np.linalg.eigvalsh)
    n = sum(w.size for w in ws)
    t0 = time.perf_counter()
    for t in range(steps):
        prefix, resid = forward(ws)
        if every and t % every == 0:
            lanczos_top(lambda v: hvp_flat(ws, prefix, resid, v), n, ops)
        losses[t] = 0.5 * np.sum(resid * resid)
        b = resid
        grads = [None] * L
        for l in range(L - 1, -1, -1):
            grads[l] = b @ prefix[l - 1].T if l > 0 else b
            if l > 0:
                b = ws[l].T @ b
        for l in range(L):
            ws[l] -= eta * grads[l]
    return time.perf_counter() - t0, losses


def unflatten(x, like):
    out, off = [], 0
    for w in like:
        out.append(x[off:off + w.size].reshape(w.shape, order="F"))
        off += w.size
    return out


def torch_loop(ws, target, eta, steps, every):
    import torch
    torch.set_num_threads(1)
    ws = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in ws]
    m = torch.tensor(target, dtype=torch.float64)
    losses = np.empty(steps)
    n = sum(w.numel() for w in ws)
    gen = torch.Generator().manual_seed(1)
    ops = (None, lambda k: torch.randn(k, dtype=torch.float64, generator=gen),
           lambda a, b: torch.dot(a, b), torch.linalg.norm, None, None)

    def loss_fn():
        p = ws[0]
        for w in ws[1:]:
            p = w @ p
        return 0.5 * torch.sum((p - m) ** 2)

    t0 = time.perf_counter()
    for t in range(steps):
        if every and t % every == 0:
            loss = loss_fn()
            grads = torch.autograd.grad(loss, ws, create_graph=True)
            flat = torch.cat([g.reshape(-1) for g in grads])

            def hvp(v):
                hv = torch.autograd.grad(flat, ws, grad_outputs=v,
                                         retain_graph=True)
                return torch.cat([h.reshape(-1) for h in hv]).detach()

            def hvp_flat(v):
                return hvp(v)
            lanczos_top(hvp_flat, n, ops)
        loss = loss_fn()
        losses[t] = loss.item()
        grads = torch.autograd.grad(loss, ws)
        with torch.no_grad():
            for w, g in zip(ws, grads):
                w -= eta * g
    return time.perf_counter() - t0, losses


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bench_step")
    ap.add_argument("--sizes", default="8,32,128,512")
    ap.add_argument("--depth", type=int, default=3)
    ap.add_argument("--every", type=int, default=10)
    args = ap.parse_args()
    try:
        import torch  # noqa: F401
        have_torch = True
    except ImportError:
        have_torch = False
        print("python3-torch not installed: PyTorch column skipped")
    print(f"{'d':>5} {'L':>2} {'steps':>6} {'dlnsweep s':>11} {'numpy s':>9} "
          f"{'torch s':>9} {'x numpy':>8} {'x torch':>8} {'max rel dloss':>14}")
    worst = 0.0
    for d in [int(s) for s in args.sizes.split(",")]:
        steps = 400 if d <= 32 else (200 if d <= 128 else 100)
        with tempfile.TemporaryDirectory() as tmp:
            out = subprocess.run([args.bench_step, "--dump", tmp, str(d),
                                  str(args.depth), str(steps), str(args.every)],
                                 check=True, capture_output=True, text=True)
            meta = json.loads(out.stdout)
            flat = np.fromfile(os.path.join(tmp, "init.bin"))
            target = np.fromfile(os.path.join(tmp, "target.bin")).reshape(
                (d, d), order="F")
            c_loss = np.fromfile(os.path.join(tmp, "loss.bin"))
        shapes = [np.empty((d, d))] * args.depth
        ws = [w.copy() for w in unflatten(flat, shapes)]
        t_np, np_loss = numpy_loop(ws, target, meta["eta"], steps, args.every)
        k = min(100, steps)
        rel = np.max(np.abs(np_loss[:k] - c_loss[:k]) /
                     np.maximum(np.abs(c_loss[:k]), 1e-300))
        t_torch = float("nan")
        if have_torch:
            t_torch, th_loss = torch_loop(ws, target, meta["eta"], steps,
                                          args.every)
            rel = max(rel, np.max(np.abs(th_loss[:k] - c_loss[:k]) /
                                  np.maximum(np.abs(c_loss[:k]), 1e-300)))
        worst = max(worst, rel)
        c = meta["seconds"]
        print(f"{d:>5} {args.depth:>2} {steps:>6} {c:>11.4f} {t_np:>9.4f} "
              f"{t_torch:>9.4f} {t_np / c:>8.1f} {t_torch / c:>8.1f} "
              f"{rel:>14.2e}")
    ok = worst <= 1e-10
    print(f"loss trajectories agree to {worst:.2e} (limit 1e-10): "
          f"{'ok' if ok else 'MISMATCH'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
