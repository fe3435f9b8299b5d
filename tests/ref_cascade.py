#!/usr/bin/python3
"""Independent reference for the period-doubling cascade and the period-3
fold of the balanced scalar map u <- u - eta (u^L - s) u^(L-1).

Nothing here calls dlnsweep: the map, its derivative and the bifurcation
conditions are written out in mpmath (40 digits).  A flip of the p-cycle
(p = 2^(n-1)) at eta_n solves, in the two unknowns (u, eta),

    G^p(u) = u,   prod_t G'(u_t) = -1,

and the fold that opens the period-3 window solves G^3(u) = u,
prod_t G'(u_t) = +1; both are regular roots of these systems, found by
two-dimensional Newton (mpmath.findroot) from a stable cycle that plain
iteration of the map finds just before the event.  eta_1 = 2/(L s^(2-2/L))
in closed form; eta_n(s) = eta_n(1) / s^(2-2/L) (the map's scaling).

`python3 ref_cascade.py` prints every depth's flips, ratios, fold and the
window's first two flips as JSON; `--check` also compares them with the
table of the issue (depths 2 and 3, 12 digits), `--c-constants FILE` with
the REF table of tests/test_continuation.c (1e-15), exiting 1 on a
mismatch.
"""
import json
import re
import sys

try:
    import mpmath as mp
    import numpy as np
    mp.mp.dps = 40
except ImportError:   # c_constants() (tests/refine_sweep.py) needs neither
    mp = np = None

# The issue's table: eta_1..eta_7 and the period-3 fold, depths 2 and 3.
ISSUE_TABLE = {
    2: ([1, 1.236067977500, 1.288031754483, 1.299227939650, 1.301628914037,
         1.302143271581, 1.302253437742], 1.450440964),
    3: ([2 / 3, 0.829738261893, 0.866944316505, 0.874987761269,
         0.876714488006, 0.877084469792, 0.877163716785], 0.987242124),
}


def step(u, eta, L, s=1):
    return u - eta * (u ** L - s) * u ** (L - 1)


def dstep(u, eta, L, s=1):
    return 1 - eta * ((2 * L - 1) * u ** (2 * L - 2) - s * (L - 1) *
                      u ** (L - 2))


def cycle_conditions(L, p, target):
    """F(u, eta) = (G^p(u) - u, prod G'(u_t) - target)."""
    def F(u, eta):
        x, mult = u, mp.mpf(1)
        for _ in range(p):
            mult *= dstep(x, eta, L)
            x = step(x, eta, L)
        return [x - u, mult - target]
    return F


def settle(L, eta, u=0.9, steps=20000):
    """A point of the attractor of the map at eta (double precision)."""
    eta, u = float(eta), float(u)
    for _ in range(steps):
        u = u - eta * (u ** L - 1.0) * u ** (L - 1)
    return u


def flips(L, count):
    """eta_1..eta_count of the depth-L cascade (s = 1)."""
    out = [mp.mpf(2) / L]
    gap = None
    for n in range(2, count + 1):
        p = 2 ** (n - 1)   # the cycle that flips at eta_n
        prev = out[-1]
        if gap is None:    # eta_2 of the 2-cycle: a generous first guess
            guess = prev + mp.mpf("0.2") * prev
        else:
            guess = prev + gap / mp.mpf("4.6692")
        # A point of the stable p-cycle shortly after its birth at eta_{n-1}.
        below = prev + (guess - prev) * mp.mpf("0.6")
        u0 = settle(L, below, steps=20000)
        root = mp.findroot(cycle_conditions(L, p, -1), (mp.mpf(u0), below))
        if n > 2 and not prev < root[1] < guess + 2 * (guess - prev):
            raise RuntimeError("depth %d flip %d left its bracket" % (L, n))
        gap = root[1] - prev
        out.append(root[1])
    return out


def fold3(L, accumulation, top, n=4000, steps=4000):
    """The fold where the stable 3-cycle appears: n values of eta from the
    cascade's accumulation point up to `top`, iterated together (NumPy), the
    first whose attractor has period 3, then Newton on the fold system."""
    eta = np.linspace(float(accumulation), float(top), n + 1)[1:]
    u = np.full(n, 0.9)
    with np.errstate(all="ignore"):
        for _ in range(steps):
            u = u - eta * (u ** L - 1.0) * u ** (L - 1)
        orbit = [u]
        for _ in range(6):
            orbit.append(orbit[-1] - eta * (orbit[-1] ** L - 1.0) *
                         orbit[-1] ** (L - 1))
        close = lambda q: np.abs(orbit[q] - orbit[0]) < 1e-9
        three = np.isfinite(u) & close(3) & ~close(1)
    k = int(np.argmax(three))
    if not three[k]:
        raise RuntimeError("no period-3 window for depth %d" % L)
    root = mp.findroot(cycle_conditions(L, 3, 1), (mp.mpf(u[k]),
                                                   mp.mpf(eta[k])))
    return root[1], float(root[0])


def window_flips(L, fold, u_fold, count=2):
    """The first `count` flips of the period-3 window (3 -> 6, 6 -> 12),
    each from the stable cycle a little above the previous event."""
    out, prev, gap = [], fold, None
    for k in range(count):
        p = 3 * 2 ** k
        step = gap / mp.mpf("4.6692") if gap else mp.mpf("0.004") * prev
        u0 = settle(L, prev + step * mp.mpf("0.5"), u=u_fold, steps=20000)
        root = mp.findroot(cycle_conditions(L, p, -1),
                           (mp.mpf(u0), prev + step))
        if not prev < root[1]:
            raise RuntimeError("depth %d window flip %d" % (L, k))
        gap = root[1] - prev
        prev = root[1]
        out.append(root[1])
    return out


def reference(depths=(2, 3, 4), count=8):
    out = {}
    for L in depths:
        f = flips(L, count)
        ratios = [(f[i - 1] - f[i - 2]) / (f[i] - f[i - 1])
                  for i in range(2, len(f))]
        acc = f[-1] + (f[-1] - f[-2]) / mp.mpf("3.6692")
        top = mp.mpf(2) * f[0] * mp.mpf("1.6")   # well past the window
        fold, u_fold = fold3(L, acc, top)
        out[L] = {
            "flips": [mp.nstr(x, 20) for x in f],
            "ratios": [mp.nstr(x, 12) for x in ratios],   # delta_2..
            "fold3": mp.nstr(fold, 20),
            "window": [mp.nstr(x, 20) for x in window_flips(L, fold, u_fold)],
        }
    return out


def check(ref):
    bad = 0
    for L, (table, fold) in ISSUE_TABLE.items():
        got = [float(x) for x in ref[L]["flips"]]
        for i, want in enumerate(table):
            if abs(got[i] - want) > 1e-11 * want:
                print("depth %d eta_%d: reference %.13g, table %.13g"
                      % (L, i + 1, got[i], want), file=sys.stderr)
                bad += 1
        if abs(float(ref[L]["fold3"]) - fold) > 2e-9 * fold:
            print("depth %d fold: reference %s, table %.10g"
                  % (L, ref[L]["fold3"], fold), file=sys.stderr)
            bad += 1
    return bad


def c_constants(path):
    """The REF table of tests/test_continuation.c: {depth: {"flips": [...],
    "fold3": x, "window": [...]}} as floats."""
    rows = re.findall(r"\{(\d), \{([^}]*)\},\s*([0-9.e+-]+), \{([^}]*)\}\}",
                      open(path).read())
    return {int(d): {"flips": [float(x) for x in f.split(",")],
                     "fold3": float(fold),
                     "window": [float(x) for x in w.split(",")]}
            for d, f, fold, w in rows}


def check_c_constants(ref, path):
    """The C tests' constants against this reference (1e-15 relative): the
    C tests compare the program with these values."""
    table = c_constants(path)
    bad = 0 if len(table) == len(ref) else 1
    for depth, c in table.items():
        r = ref[depth]
        pairs = list(zip(c["flips"], r["flips"])) + [(c["fold3"], r["fold3"])]
        pairs += list(zip(c["window"], r["window"]))
        for c_value, value in pairs:
            if abs(c_value - float(value)) > 1e-15 * abs(float(value)):
                print("%s: depth %d: %.17g, reference %s"
                      % (path, depth, c_value, value), file=sys.stderr)
                bad += 1
    return bad


def main():
    ref = reference()
    print(json.dumps(ref, indent=1))
    bad = 0
    if "--check" in sys.argv:
        bad += check(ref)
    if "--c-constants" in sys.argv:
        bad += check_c_constants(ref, sys.argv[sys.argv.index("--c-constants")
                                               + 1])
    if "--check" in sys.argv:
        print("%d passed, %d failed" % (len(ISSUE_TABLE) * 8 - min(bad, 16),
                                        bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
