#!/usr/bin/python3
"""Independent check of dlnsweep's regime labels by long NumPy simulations.

    ref_labels.py DB PROBE [--horizon N] [--sweep NAME] [--json FILE]
                  [--keep-symmetry] [--perturbed K]

For every run of DB (a database written by dlnsweep) the same problem --
the target M* and the initial layers, which tests/svs_probe prints for the
run's parameters and derived seed (its input, not its answer) -- is
simulated here with NumPy's own GD (batched over runs of one shape, the
per-layer gradients W_{L:l+1}^T (W_{L:1} - M*) W_{l-1:1}^T) for N steps
(default max(20 steps, 100000)), much longer than the run itself, and the
late orbit is labelled without any of the engine's code:

  divergent      loss non-finite or above the run's diverge_bound
  collapsed      |W_{L:1}|_F <= 1e-3 s_1 and loss 1/2 sum s^2 (within 1e-3)
                 at the end (the layers may still creep)
  converged      a fixed point with loss <= 1e-6 (1/2 sum s_i^2)
  saddle         a fixed point with more loss left
  periodic:p     x_t = x_{t-p} to 1e-8 (relative, every parameter) over the
                 last 2p+1 steps, p <= 64
  chaotic        aperiodic, and the twin-orbit exponent (Benettin: a second
                 orbit a relative 1e-8 away, renormalised every 10 steps,
                 perturbed only inside the SVS set when the run is one that
                 stays there: diagonal target and diagonal init) exceeds
                 3 standard errors (10 batches) + 2e-3
  quasiperiodic  aperiodic, that exponent 0 within the same margin
  transient      aperiodic with a negative exponent: not settled after N

Each run's stored label is compared with this one: agreement needs the
same regime (and period).  `unresolved` runs are listed apart.  Prints a
table of every disagreement and a summary; with --json, writes every
run's comparison there.  Exit status 0, or 1 when a label disagrees.

Two ways to see why a label disagrees:
  --keep-symmetry  with a diagonal target the identity init's equal
                   layers W_1 = ... = W_{L-1} (the balanced init's: all L)
                   stay equal in exact arithmetic, and the engine's
                   rounding keeps them equal bit for bit; NumPy's does not.
                   This option gives those layers one (averaged) gradient,
                   so NumPy follows the same invariant subspace.
  --perturbed K    K more simulations of every disagreeing run from its
                   init times (1 + 1e-12 N(0, 1)) (another rounding):
                   whether the engine's label is among their labels (a
                   chaotic transient's fate -- divergence, collapse, a
                   circle -- depends on rounding).
"""
import argparse
import json
import sqlite3
import subprocess
import sys

import numpy as np

TOL_PERIOD = 1e-8
TOL_MIN = 1e-6
FLOOR = 2e-3


def problem(probe, run):
    out = subprocess.run(
        [probe, "problem", str(run["depth"]), str(run["width"]),
         repr(run["alpha"]), run["init"], str(run["rotate"]),
         str(run["seed"]), run["spectrum"]],
        check=True, capture_output=True, text=True).stdout
    d = json.loads(out)
    w, L = run["width"], run["depth"]
    M = np.array(d["target"]).reshape((w, w)).T
    x0 = np.array(d["x0"])
    Ws = [x0[l * w * w:(l + 1) * w * w].reshape((w, w)).T for l in range(L)]
    return M, Ws


def forward(Ws, M, tied=None):
    """Loss and per-layer gradients of a batch (C, d, d) of networks; the
    layers listed in tied[c] of cell c get their mean gradient."""
    L = len(Ws)
    pre = [None] * (L + 1)          # pre[l] = W_l ... W_1 (pre[0] = I)
    pre[1] = Ws[0]
    for l in range(2, L + 1):
        pre[l] = Ws[l - 1] @ pre[l - 1]
    E = pre[L] - M
    grads = [None] * L
    suf = None                      # W_L ... W_{l+1}
    for l in range(L, 0, -1):
        left = E if suf is None else np.swapaxes(suf, 1, 2) @ E
        grads[l - 1] = left if l == 1 else left @ np.swapaxes(pre[l - 1], 1, 2)
        suf = Ws[l - 1] if suf is None else suf @ Ws[l - 1]
    loss = 0.5 * np.sum(E * E, axis=(1, 2))
    if tied is not None:
        for group in set(tuple(t) for t in tied if t):
            cells = [c for c, t in enumerate(tied) if tuple(t) == group]
            g = sum(grads[l][cells] for l in group) / len(group)
            for l in group:
                grads[l][cells] = g
    return loss, grads, pre[L]


def flat(Ws):
    return np.concatenate([W.reshape(W.shape[0], -1) for W in Ws], axis=1)


def tied_layers(run):
    """Layers (0-based) that stay equal in exact arithmetic: a diagonal
    target and the identity (W_1..W_{L-1}) or balanced (all) init."""
    if run["rotate"] or run["init"] not in ("identity", "balanced"):
        return []
    n = run["depth"] - (run["init"] == "identity")
    return list(range(n)) if n >= 2 else []


def simulate(runs, probe, horizon, keep_symmetry=False, jitter=0.0,
             seed=1):
    """Label every run of one shape (same depth and width) by simulation;
    jitter > 0 multiplies the init by 1 + jitter N(0, 1)."""
    C = len(runs)
    probs = [problem(probe, r) for r in runs]
    if jitter > 0.0:
        g = np.random.default_rng(seed)
        probs = [(M, [W * (1.0 + jitter * g.standard_normal(W.shape))
                      for W in Ws]) for M, Ws in probs]
    tied = [tied_layers(r) for r in runs] if keep_symmetry else None
    L = runs[0]["depth"]
    M = np.stack([p[0] for p in probs])
    Ws = [np.stack([p[1][l] for p in probs]) for l in range(L)]
    eta = np.array([r["eta"] for r in runs])[:, None, None]
    bound = np.array([r["diverge_bound"] or 1e12 for r in runs])
    spec = [np.array([float(v) for v in r["spectrum"].split(",")])
            for r in runs]
    half = np.array([0.5 * np.sum(s * s) for s in spec])
    # The SVS set: diagonal target and diagonal init stay diagonal exactly.
    inset = np.array([not r["rotate"] and r["init"] in ("identity",
                                                        "balanced")
                      for r in runs])
    d = M.shape[1]
    eye = np.eye(d, dtype=bool)
    mask = [np.where(inset[:, None, None], eye[None], True)
            * np.ones((C, d, d), dtype=bool) for _ in range(L)]
    rng = np.random.default_rng(1)
    dead = np.zeros(C, dtype=bool)
    ring = np.zeros((129, C, L * d * d))
    twin_from = horizon - min(horizon // 2, 40000)
    twin, acc, nacc, batch = None, np.zeros((10, C)), np.zeros(10), 0
    blen = (horizon - twin_from) // 10 + 1
    with np.errstate(all="ignore"):
        for t in range(horizon):
            loss, grads, _ = forward(Ws, M, tied)
            bad = ~(loss <= bound)
            if bad.any():
                dead |= bad
                for l in range(L):
                    Ws[l][bad] = 0.0
            if t == twin_from:
                twin = []
                for l in range(L):
                    v = rng.standard_normal(Ws[l].shape) * mask[l]
                    twin.append(v)
                nrm = np.sqrt(sum(np.sum(v * v, axis=(1, 2)) for v in twin))
                xn = np.sqrt(sum(np.sum(W * W, axis=(1, 2)) for W in Ws))
                delta = 1e-8 * np.maximum(xn, 1e-3)
                twin = [Ws[l] + v * (delta / nrm)[:, None, None]
                        for l, v in enumerate(twin)]
            if twin is not None:
                _, tg, _ = forward(twin, M, tied)
                twin = [twin[l] - eta * tg[l] for l in range(L)]
            Ws = [Ws[l] - eta * grads[l] for l in range(L)]
            if twin is not None and (t - twin_from + 1) % 10 == 0:
                dist = np.sqrt(sum(np.sum((twin[l] - Ws[l]) ** 2, axis=(1, 2))
                                   for l in range(L)))
                dist = np.where(dist > 0, dist, delta)
                b = min((t - twin_from) // blen, 9)
                acc[b] += np.log(dist / delta)
                nacc[b] += 10
                twin = [Ws[l] + (twin[l] - Ws[l]) * (delta / dist)[:, None,
                                                                   None]
                        for l in range(L)]
            if t >= horizon - 129:
                ring[t - (horizon - 129)] = flat(Ws)
        loss, _, prod = forward(Ws, M)
    lam_b = acc / np.maximum(nacc, 1)[:, None]
    lam = lam_b.mean(axis=0)
    lam_se = lam_b.std(axis=0, ddof=1) / np.sqrt(10)
    labels = []
    for c in range(C):
        labels.append(label_of(c, dead[c] or not np.isfinite(loss[c]),
                               ring[:, c], loss[c], half[c], prod[c],
                               M[c], spec[c], lam[c], lam_se[c]))
    return labels


def period_of(states):
    """Smallest p <= 64 with the last 2p+1 states p-periodic, else 0."""
    scale = np.max(np.abs(states[-129:]))
    for p in range(1, 65):
        a = states[-(p + 1):]
        b = states[-(2 * p + 1):-p]
        if np.max(np.abs(a - b)) <= TOL_PERIOD * max(scale, 1e-300):
            return p
    return 0


def label_of(c, diverged, states, loss, half, prod, M, spec, lam, se):
    info = {"lambda": float(lam), "lambda_se": float(se),
            "loss_rel": float(loss / half) if half > 0 else None}
    if diverged:
        return "divergent", info
    if np.linalg.norm(prod) <= 1e-3 * spec[0] and \
            abs(loss - half) <= 1e-3 * half:
        return "collapsed", info
    p = period_of(states)
    if p == 1:
        return ("converged" if loss <= TOL_MIN * half else "saddle"), info
    if p > 1:
        return "periodic:%d" % p, info
    if lam - 3 * se > FLOOR:
        return "chaotic", info
    if abs(lam) <= 3 * se + FLOOR:
        return "quasiperiodic", info
    return "transient", info


def engine_label(run):
    g = run["regime"]
    return "periodic:%d" % run["period"] if g == "periodic" else g


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("db")
    ap.add_argument("probe")
    ap.add_argument("--horizon", type=int, default=0)
    ap.add_argument("--sweep")
    ap.add_argument("--json")
    ap.add_argument("--keep-symmetry", action="store_true")
    ap.add_argument("--perturbed", type=int, default=0)
    a = ap.parse_args()
    con = sqlite3.connect(a.db)
    con.row_factory = sqlite3.Row
    sql = ("SELECT r.*, s.name AS sweep FROM runs r LEFT JOIN sweeps s ON "
           "s.id = r.sweep_id WHERE regime <> 'error'")
    rows = [dict(r) for r in con.execute(sql)]
    if a.sweep:
        rows = [r for r in rows if r["sweep"] == a.sweep]
    for r in rows:
        if r["d_in"] != r["width"] or r["d_out"] != r["width"]:
            sys.exit("ref_labels.py: square networks only (run %d)" % r["id"])
    groups = {}
    for r in rows:
        groups.setdefault((r["depth"], r["width"]), []).append(r)
    results = []
    for key, runs in sorted(groups.items()):
        steps = max(r["steps"] for r in runs)
        horizon = a.horizon or max(20 * steps, 100000)
        labs = simulate(runs, a.probe, horizon, a.keep_symmetry)
        for r, (lab, info) in zip(runs, labs):
            results.append({"id": r["id"], "eta": r["eta"],
                            "spectrum": r["spectrum"], "rotate": r["rotate"],
                            "seed_index": r["seed_index"],
                            "engine": engine_label(r),
                            "reason": r.get("reason"), "numpy": lab,
                            "horizon": horizon, "run": r, **info})
    if a.perturbed > 0:
        perturb(results, a)
    agree = [x for x in results if x["engine"] == x["numpy"]]
    unres = [x for x in results if x["engine"] == "unresolved"]
    bad = [x for x in results
           if x["engine"] != x["numpy"] and x["engine"] != "unresolved"]
    for x in sorted(bad + unres, key=lambda x: (x["spectrum"], x["rotate"],
                                                 x["eta"], x["seed_index"])):
        print("%-9s eta=%-8.5g s=%-9s rot=%d seed=%d  engine %-14s numpy "
              "%-14s lambda %.2e +- %.1e  (%s)%s"
              % ("DISAGREE" if x in bad else "unresolv",
                 x["eta"], x["spectrum"], x["rotate"], x["seed_index"],
                 x["engine"], x["numpy"], x["lambda"], x["lambda_se"],
                 x["reason"], "  perturbed: " + " ".join(x["perturbed"])
                 if "perturbed" in x else ""))
    tally = {}
    for x in results:
        tally.setdefault(x["numpy"], [0, 0])
        tally[x["numpy"]][0] += 1
        tally[x["numpy"]][1] += x["engine"] == x["numpy"]
    print("numpy label: runs (engine agrees): " + ", ".join(
        "%s %d (%d)" % (k, v[0], v[1]) for k, v in sorted(tally.items())))
    print("%d runs: %d agree, %d disagree, %d unresolved by the engine"
          % (len(results), len(agree), len(bad), len(unres)))
    if a.perturbed > 0:
        among = [x for x in bad if x["engine"] in x.get("perturbed", [])]
        print("%d of the %d disagreeing labels are among the labels of %d "
              "perturbed NumPy runs each" % (len(among), len(bad),
                                             a.perturbed))
    if a.json:
        for x in results:
            del x["run"]
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)
    return 1 if bad else 0


def perturb(results, a):
    """K perturbed simulations of every disagreeing run (see --perturbed)."""
    bad = [x for x in results
           if x["engine"] != x["numpy"] and x["engine"] != "unresolved"]
    groups = {}
    for x in bad:
        groups.setdefault((x["run"]["depth"], x["run"]["width"]), []).append(x)
    for xs in groups.values():
        runs = [x["run"] for x in xs]
        for x in xs:
            x["perturbed"] = []
        for k in range(a.perturbed):
            labs = simulate(runs, a.probe, xs[0]["horizon"], a.keep_symmetry,
                            jitter=1e-12, seed=100 + k)
            for x, (lab, _) in zip(xs, labs):
                x["perturbed"].append(lab)


if __name__ == "__main__":
    sys.exit(main())
