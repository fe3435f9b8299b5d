#!/usr/bin/python3
"""Independent NumPy reference for the engine's Lyapunov / Floquet / SVS split.

Nothing here calls the engine: its own DLN loss, gradient and Hessian
(per-layer sums, not the engine's forward/backward recursion), Newton on
G^p(x) = x for cycles, dense Jacobians of G^p, the in-set / transverse split
by coordinates (diagonal entries vs the rest: diagonal target, identity
init), the symmetry generators A_l W_l - W_l A_{l-1} and their quotient,
eigvals; and ensemble Lyapunov exponents of the width-1 networks by NumPy
QR.  `python3 ref_floquet.py` prints every reference as JSON.
"""
import json
import sys

import numpy as np


def chain(Ws, hi, lo, d):
    """W_hi ... W_lo (1-based, inclusive); the d x d identity if hi < lo."""
    P = np.eye(d)
    for l in range(lo, hi + 1):
        P = Ws[l - 1] @ P
    return P


class DLN:
    """f = 1/2 |W_L ... W_1 - M|_F^2, layers column-major in one flat x."""

    def __init__(self, dims, M):
        self.dims, self.L, self.M = dims, len(dims) - 1, M
        self.shapes = [(dims[l], dims[l - 1]) for l in range(1, self.L + 1)]
        self.n = sum(a * b for a, b in self.shapes)

    def unflat(self, x):
        Ws, o = [], 0
        for a, b in self.shapes:
            Ws.append(x[o:o + a * b].reshape((b, a)).T)
            o += a * b
        return Ws

    def flat(self, Ws):
        return np.concatenate([W.T.reshape(-1) for W in Ws])

    def _ends(self, Ws, l):
        return (chain(Ws, self.L, l + 1, self.dims[l]),
                chain(Ws, l - 1, 1, self.dims[0]))

    def grad(self, x):
        Ws = self.unflat(x)
        E = chain(Ws, self.L, 1, self.dims[0]) - self.M
        out = []
        for l in range(1, self.L + 1):
            A, B = self._ends(Ws, l)
            out.append(A.T @ E @ B.T)
        return self.flat(out)

    def hvp(self, x, v):
        """Gauss-Newton part plus the residual part, layer pair by pair."""
        Ws, Vs, L, d0 = self.unflat(x), self.unflat(v), self.L, self.dims[0]
        E = chain(Ws, L, 1, d0) - self.M
        dP = sum(A @ Vs[l - 1] @ B for l in range(1, L + 1)
                 for A, B in [self._ends(Ws, l)])
        out = []
        for l in range(1, L + 1):
            A, B = self._ends(Ws, l)
            h = A.T @ dP @ B.T
            for m in range(1, L + 1):
                if m == l:
                    continue
                Wm = list(Ws)
                Wm[m - 1] = Vs[m - 1]
                if m > l:
                    h = h + chain(Wm, L, l + 1, self.dims[l]).T @ E @ B.T
                else:
                    h = h + A.T @ E @ chain(Wm, l - 1, 1, d0).T
            out.append(h)
        return self.flat(out)

    def jacobian(self, x, eta):
        n = self.n
        H = np.column_stack([self.hvp(x, e) for e in np.eye(n)])
        return np.eye(n) - eta * 0.5 * (H + H.T)

    def step(self, x, eta):
        return x - eta * self.grad(x)


def diagonal_mask(net):
    """True at the diagonal entries of every layer (the in-set block)."""
    mask = []
    for a, b in net.shapes:
        mask.append((np.arange(a)[:, None] == np.arange(b)[None, :]).T
                    .reshape(-1))
    return np.concatenate(mask)


def generators(net, x, targ):
    """Symmetry generators at x: inner rotations of every hidden space
    (A_l W_l on layer l, -W_{l+1} A_l on layer l+1), and output / input
    rotations of index pairs whose target values are both zero."""
    Ws, L, gens = net.unflat(x), net.L, []

    def add(k, i, j):
        d = net.dims[k]
        A = np.zeros((d, d))
        A[i, j], A[j, i] = 1.0, -1.0
        dW = [np.zeros_like(W) for W in Ws]
        if k >= 1:
            dW[k - 1] += A @ Ws[k - 1]
        if k < L:
            dW[k] -= Ws[k] @ A
        gens.append(net.flat(dW))

    for k in range(0, L + 1):
        d = net.dims[k]
        for j in range(d):
            for i in range(j):
                inner = 0 < k < L
                zero = targ[i] == 0.0 and targ[j] == 0.0
                if inner or zero:
                    add(k, i, j)
    return np.array(gens).T


def cycle_in_set(net, x, eta, p, mask, iters=8):
    """Newton on G^p(x) = x restricted to the in-set coordinates (the cycle
    lies in the set; least squares for its flat directions)."""
    for _ in range(iters):
        xs = [x]
        for _ in range(p):
            xs.append(net.step(xs[-1], eta))
        F = xs[-1] - x
        J = np.eye(net.n)
        for t in range(p):
            J = net.jacobian(xs[t], eta) @ J
        A = (J - np.eye(net.n))[np.ix_(mask, mask)]
        x = x.copy()
        x[mask] += np.linalg.lstsq(A, -F[mask], rcond=1e-12)[0]
    return x, float(np.max(np.abs(F)))


def by_modulus(ev):
    return ev[np.lexsort((-ev.imag, -np.abs(ev)))]


def split_reference(L=3, width=5, spec=(10.0, 9.5, 9.0), alpha=0.01,
                    eta=0.0355, steps=3000, period=2):
    """Figure 2: identity init, GD, Newton-polished 2-cycle, dense M split
    into in-set and transverse blocks, and the symmetry quotient."""
    d = width
    targ = np.zeros(d)
    targ[:len(spec)] = spec
    net = DLN([d] * (L + 1), np.diag(targ))
    x = net.flat([alpha * np.eye(d)] * (L - 1) + [np.zeros((d, d))])
    for _ in range(steps):
        x = net.step(x, eta)
    mask = diagonal_mask(net)
    x, residual = cycle_in_set(net, x, eta, period, mask)
    M, xt = np.eye(net.n), x
    for _ in range(period):
        M = net.jacobian(xt, eta) @ M
        xt = net.step(xt, eta)
    tr = ~mask
    offblock = max(np.max(np.abs(M[np.ix_(mask, tr)])),
                   np.max(np.abs(M[np.ix_(tr, mask)])))
    ev_in = by_modulus(np.linalg.eigvals(M[np.ix_(mask, mask)]))
    ev_tr = by_modulus(np.linalg.eigvals(M[np.ix_(tr, tr)]))
    # Quotient by the symmetry directions N(x): eigenvalues of
    # P_perp M P_perp on the transverse coordinates (N is transverse).
    G = generators(net, x, targ)
    U, s, _ = np.linalg.svd(G, full_matrices=False)
    N = U[:, s > 1e-10 * s[0]]
    Pp = np.eye(net.n) - N @ N.T
    Mq = (Pp @ M @ Pp)[np.ix_(tr, tr)]
    ev_q = by_modulus(np.linalg.eigvals(Mq))
    return {
        "newton_residual": residual,
        "offblock": float(offblock),
        "neutral": int(N.shape[1]),
        "inset_re": ev_in.real.tolist(), "inset_im": ev_in.imag.tolist(),
        "transverse_re": ev_tr.real.tolist(),
        "transverse_im": ev_tr.imag.tolist(),
        "quotient_re": ev_q.real.tolist(), "quotient_im": ev_q.imag.tolist(),
        "inset_exponent": float(np.log(np.abs(ev_in[0])) / period),
        "transverse_exponent": float(np.log(np.abs(ev_tr[0])) / period),
        "transverse_at_one": int(np.sum(np.abs(np.abs(ev_tr) - 1) < 1e-12)),
    }


def scalar_hessian(w, s):
    """Hessians of f = 1/2 (w_1 ... w_L - s)^2 for an ensemble w (E x L):
    H_ii = (prod_{k != i} w_k)^2, H_ij = prod_{k != i} w_k prod_{k != j} w_k
    + r prod_{k != i, j} w_k."""
    E, L = w.shape
    r = np.prod(w, axis=1) - s
    others = [[k for k in range(L) if k != i] for i in range(L)]
    pe = np.stack([np.prod(w[:, o], axis=1) for o in others], axis=1)
    H = pe[:, :, None] * pe[:, None, :]
    for i in range(L):
        for j in range(i + 1, L):
            rest = [k for k in range(L) if k not in (i, j)]
            pij = np.prod(w[:, rest], axis=1) if rest else np.ones(E)
            H[:, i, j] += r * pij
            H[:, j, i] += r * pij
    return H, r, pe


def scalar_lyapunov(L, eta, s=1.0, ensemble=1000, warmup=500, steps=1500,
                    seed=7):
    """Top exponent of GD on the width-1 depth-L network: an ensemble of
    independent orbits (starts near 0.9 with a small imbalance), one
    tangent vector each, renormalised every step; the error is the
    ensemble's standard error."""
    rng = np.random.default_rng(seed)
    w = 0.9 + 0.05 * rng.standard_normal((ensemble, L))
    v = rng.standard_normal((ensemble, L))
    acc = np.zeros(ensemble)
    for t in range(warmup + steps):
        H, r, pe = scalar_hessian(w, s)
        v = v - eta * np.einsum("eij,ej->ei", H, v)
        nrm = np.linalg.norm(v, axis=1)
        v /= nrm[:, None]
        if t >= warmup:
            acc += np.log(nrm)
        w = w - eta * r[:, None] * pe
    lam = acc / steps
    return float(lam.mean()), float(lam.std(ddof=1) / np.sqrt(ensemble))


def scalar_cycle(L, eta, p, s=1.0, u0=0.9, settle=20000):
    """The balanced map's p-cycle by Newton on f^p(u) = u: its points, the
    multiplier along the balanced line and (L = 2) across it, per-step
    exponents log|mu| / p."""
    f = lambda u: u - eta * (u ** L - s) * u ** (L - 1)
    fp = lambda u: 1 - eta * ((2 * L - 1) * u ** (2 * L - 2)
                              - s * (L - 1) * u ** (L - 2))
    u = u0
    for _ in range(settle):
        u = f(u)
    for _ in range(30):
        pts = [u]
        for _ in range(p - 1):
            pts.append(f(pts[-1]))
        F = f(pts[-1]) - u
        u -= F / (np.prod([fp(x) for x in pts]) - 1.0)
    pts = [u]
    for _ in range(p - 1):
        pts.append(f(pts[-1]))
    mu = float(np.prod([fp(x) for x in pts]))
    out = {"points": pts, "multiplier": mu,
           "exponent": float(np.log(abs(mu)) / p)}
    if L == 2:   # across the balanced line: 1 - eta (1 - u^2) per step
        mu_a = float(np.prod([1 - eta * (1 - x * x) for x in pts]))
        out["multiplier_across"] = mu_a
        out["exponent_across"] = float(np.log(abs(mu_a)) / p)
    return out


def main():
    ref = {"split": split_reference(),
           "chaos_L3_0.88": scalar_lyapunov(3, 0.88),
           "chaos_L2_1.5": scalar_lyapunov(2, 1.5),
           "cycle3_L2_1.455": scalar_cycle(2, 1.455, 3)}
    json.dump(ref, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
