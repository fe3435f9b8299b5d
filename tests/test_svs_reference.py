#!/usr/bin/python3
"""The engine's Lyapunov exponents, Floquet multipliers and SVS split
(printed by tests/svs_probe) against the independent NumPy reference
tests/ref_floquet.py.

    test_svs_reference.py PROBE [case ...]   cases: split chaos cycle3
"""
import json
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ref_floquet  # noqa: E402

FAILED = []
PASSED = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    (PASSED if cond else FAILED).append(what)


def probe(exe, *args):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    out = subprocess.run([exe] + [str(a) for a in args], check=True,
                         capture_output=True, text=True, env=env).stdout
    return json.loads(out)


def multipliers(d, pre):
    return np.array(d[pre + "_re"]) + 1j * np.array(d[pre + "_im"])


def case_split(exe):
    """Figure 2: target (10, 9.5, 9), width 5, depth 3, identity init
    alpha 0.01, eta 0.0355, 3000 steps: a 2-cycle stable in the set,
    unstable across it (transverse Floquet exponent 0.1377)."""
    c = probe(exe, "split", 3, 5, 0.0355, 3000, 0.01, "identity", "10,9.5,9")
    r = ref_floquet.split_reference()
    print("reference: transverse exponent %.10f, in-set %.3g, neutral %d, "
          "Newton residual %.1e" % (r["transverse_exponent"],
                                    r["inset_exponent"], r["neutral"],
                                    r["newton_residual"]))
    check(r["offblock"] == 0.0, "reference: M is block diagonal")
    check(c["period"] == 2, "period 2 detected (got %d)" % c["period"])
    check(c["set_defect"] <= 1e-14, "state in the set (%g)" % c["set_defect"])
    check(c["dim_inset"] == 15 and c["dim_transverse"] == 60,
          "block dimensions 15 + 60")
    check(c["neutral"] == r["neutral"],
          "neutral directions %d == reference %d" % (c["neutral"],
                                                     r["neutral"]))
    # Floquet, transverse block modulo symmetry: the top 8 multipliers.
    # The 2-cycle sits in a family (flat in-set directions of the unused
    # modes), so the engine's and the Newton-polished cycle differ by
    # ~1e-8 along it; the leading pair is insensitive to that.
    mc, mr = multipliers(c, "f_transverse"), np.array(
        r["quotient_re"][:8]) + 1j * np.array(r["quotient_im"][:8])
    check(np.max(np.abs(mc[:2] - mr[:2])) <= 1e-9,
          "leading transverse multipliers %s == reference %s"
          % (np.round(mc[:2], 10), np.round(mr[:2], 10)))
    check(np.max(np.abs(mc - mr)) <= 1e-6,
          "top 8 transverse multipliers within 1e-6 of the reference")
    fexp = np.log(np.abs(mc[0])) / 2
    check(abs(fexp - r["transverse_exponent"]) <= 1e-9,
          "transverse Floquet exponent %.10f == reference %.10f"
          % (fexp, r["transverse_exponent"]))
    lam, err = c["transverse_exponent"][0], c["transverse_error"][0]
    check(abs(lam - r["transverse_exponent"]) <= 3 * err + 1e-12 and
          err <= 1e-3,
          "transverse Lyapunov %.6f +- %.1e covers %.6f"
          % (lam, err, r["transverse_exponent"]))
    check(lam - 3 * err > 0.1, "transverse exponent > 0")
    lin, ein = c["inset_exponent"][0], c["inset_error"][0]
    check(lin <= 3 * ein, "in-set Lyapunov %.2e +- %.1e <= 0" % (lin, ein))
    check(np.max(np.abs(multipliers(c, "f_inset"))) <= 1 + 1e-9 and
          r["inset_exponent"] <= 1e-12,
          "in-set multipliers |mu| <= 1 (engine and reference)")
    check(c["verdict"] == 2, "verdict UNSTABLE across the set")


def case_chaos(exe):
    """Width-1 chaotic exponents against NumPy ensembles of orbits."""
    for L, eta in ((3, 0.88), (2, 1.5)):
        lam_r, err_r = ref_floquet.scalar_lyapunov(L, eta)
        c = probe(exe, "lyap", L, eta, 2000, 1, 0.9, 1)
        lam, err = c["full_exponent"][0], c["full_error"][0]
        tol = 3 * np.hypot(err, err_r)
        check(c["full_converged"] == 1 and err <= 1e-3,
              "L=%d eta=%g: error bar %.1e met the tolerance" % (L, eta, err))
        check(abs(lam - lam_r) <= tol,
              "L=%d eta=%g: %.5f +- %.5f vs reference %.5f +- %.5f"
              % (L, eta, lam, err, lam_r, err_r))


def case_cycle3(exe):
    """A 3-cycle (L=2, s=1, eta=1.455): batches span whole periods, so the
    exponents are the Newton cycle's log|mu|/3 exactly (a 1000-step window
    would be off by ~1e-3)."""
    r = ref_floquet.scalar_cycle(2, 1.455, 3)
    c = probe(exe, "lyap", 2, 1.455, 2000, 2, 0.9, 1)
    check(c["full_period"] == 3, "period 3 detected (%d)" % c["full_period"])
    check(c["full_steps"] % 3 == 0, "%d steps: whole periods"
          % c["full_steps"])
    ex = c["full_exponent"]
    check(abs(ex[0] - r["exponent"]) <= 1e-9,
          "along: %.12f == reference %.12f" % (ex[0], r["exponent"]))
    check(abs(ex[1] - r["exponent_across"]) <= 1e-9,
          "across: %.12f == reference %.12f" % (ex[1], r["exponent_across"]))


def main():
    exe = sys.argv[1]
    cases = sys.argv[2:] or ["split", "chaos", "cycle3"]
    for name in cases:
        print("== " + name)
        globals()["case_" + name](exe)
    print("%d passed, %d failed" % (len(PASSED), len(FAILED)))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
