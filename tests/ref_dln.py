"""ref_dln.py -- an independent NumPy deep linear network for the tests:
loss 1/2 ||W_L ... W_1 - M*||_F^2, its gradient, full-batch GD, the dense
Hessian by the complex step (the gradient is a polynomial in the weights,
so Im grad(x + i h e_j) / h is column j of the Hessian to rounding, with no
cancellation), the target modes u_i^T W_{L:1} v_i and the balancing gaps.

Written from the formulas, not from dlnsweep's code; the flat layout is
dlnsweep's documented one (layer 1 first, each layer column-major), so a
vector can be compared with an init file or a stored quantity.
"""
import numpy as np


class DLN:
    """Layers W_1 (d_1 x d_0) ... W_L (d_L x d_{L-1}) and a diagonal target
    diag(s) (zero padded to d_L x d_0)."""

    def __init__(self, dims, spectrum):
        self.dims = list(dims)
        self.L = len(dims) - 1
        self.target = np.zeros((dims[-1], dims[0]))
        for i, s in enumerate(spectrum):
            self.target[i, i] = s
        self.spectrum = list(spectrum)
        self.shapes = [(dims[l + 1], dims[l]) for l in range(self.L)]
        self.n = sum(r * c for r, c in self.shapes)

    def layers(self, x):
        out, at = [], 0
        for r, c in self.shapes:
            out.append(x[at:at + r * c].reshape((r, c), order="F"))
            at += r * c
        return out

    def flat(self, ws):
        return np.concatenate([w.ravel(order="F") for w in ws])

    @staticmethod
    def product(ws):
        p = ws[0]
        for w in ws[1:]:
            p = w @ p
        return p

    def loss(self, x):
        e = self.product(self.layers(x)) - self.target
        return 0.5 * float(np.sum(e * e))

    def grad(self, x):
        """g_l = W_{L:l+1}^T E W_{l-1:1}^T (works for complex x too)."""
        ws = self.layers(x)
        e = self.product(ws) - self.target
        gs = []
        for l in range(self.L):
            above = np.eye(self.dims[l + 1], dtype=x.dtype)
            for w in ws[l + 1:]:
                above = w @ above
            below = np.eye(self.dims[0], dtype=x.dtype)
            for w in ws[:l]:
                below = w @ below
            gs.append(above.T @ e @ below.T)
        return np.concatenate([g.ravel(order="F") for g in gs])

    def step(self, x, eta):
        return x - eta * self.grad(x)

    def hessian(self, x, h=1e-20):
        """Dense Hessian by the complex step, symmetrised."""
        n = len(x)
        hess = np.empty((n, n))
        for j in range(n):
            z = x.astype(complex)
            z[j] += 1j * h
            hess[:, j] = self.grad(z).imag / h
        return 0.5 * (hess + hess.T)

    def top_eigenvalues(self, x, k):
        return np.sort(np.linalg.eigvalsh(self.hessian(x)))[::-1][:k]

    def modes(self, x):
        p = self.product(self.layers(x))
        return [float(p[i, i]) for i in range(len(self.spectrum))]

    def mode_gaps(self, x):
        """[(l, i) -> ||W_{l+1} e_i||^2 - ||e_i^T W_l||^2] pair-major."""
        ws = self.layers(x)
        out = []
        for l in range(self.L - 1):
            for i in range(len(self.spectrum)):
                out.append(float(np.sum(ws[l + 1][:, i] ** 2) -
                                 np.sum(ws[l][i, :] ** 2)))
        return out


def identity_start(net, alpha):
    """dlnsweep's identity init: W_L = 0, the other layers alpha I."""
    ws = []
    for l, (r, c) in enumerate(net.shapes):
        w = np.zeros((r, c))
        if l < net.L - 1:
            for i in range(min(r, c)):
                w[i, i] = alpha
        ws.append(w)
    return net.flat(ws)


def two_cycle_depth2(s, eta):
    """The end-to-end values of the depth-2 balanced 2-cycle of mode s:
    [(1 + eta s) -+ sqrt((1 + eta s)^2 - 4)] / (2 eta)."""
    c = 1.0 + eta * s
    r = np.sqrt(c * c - 4.0)
    return (c - r) / (2.0 * eta), (c + r) / (2.0 * eta)
