#!/usr/bin/env python3
"""figures.py -- publication figures from a dlnsweep results database.

usage: python3 analysis/figures.py --db sweep.db --out figs/
           [--sweep NAME] [--x eta --y depth] [--run ID ...] [--where SQL]
           [--only phase,bifurcation,...] [--formats png,pdf] [--dump-json]
           [--quantity sv:1,hessian:1-4,mode:2,loss] [--name NAME]

Writes, for each figure it has data for, NAME.png, NAME.pdf and a caption
NAME.txt (database SHA-256, sweep, the exact SQL used); with --dump-json
also NAME.json, the data drawn and what the axes show (labels, scales,
tick labels, legend):
  phase         regime map over two axes, shade and legend entry per
                period, EOS onset across each row
  bifurcation   late-orbit values against eta (--quantity: sv:K singular
                values of W_{L:1}, mode:I target modes u_i^T W_{L:1} v_i,
                hessian:K Hessian eigenvalues, loss; default sv:1), one
                panel per line of cells (depth, target, init, ... and seed)
                and quantity
  osc_range     oscillation range |m_i(T) - m_i(T-1)| of every target mode
                against eta, with each mode's onset 2/(L s_i^(2-2/L))
  layers        top singular value of every layer against iteration
  sharpness     sharpness along training for a few runs (when recorded) and
                at the end of every run, against 2/eta
  balance       balancing gap against iteration, a few runs: every mode's
                gap across every layer pair (record_detail), else the
                largest gap (log scale)
  oscillating   oscillating modes against eta with the theoretical steps
  cascade       period doublings located by a refine: sweep, interval ratios
A figure without data is skipped with a message.  The database is opened
read-only.  Exit status: 0 done, 2 bad input, 1 internal failure.
Needs numpy and matplotlib (Debian: python3-numpy python3-matplotlib).
"""
import argparse
import os
import re
import sys

try:
    import numpy  # noqa: F401
except ImportError as e:   # e.g. a python3 that is not the system one
    sys.exit("figures.py: %s (install python3-numpy python3-matplotlib, "
             "run with the system python3)" % e)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dlndb  # noqa: E402
from figcommon import Context, note  # noqa: E402

FIGURES = ("phase", "bifurcation", "sharpness", "balance", "oscillating",
           "cascade", "osc_range", "layers")


def load_figures():
    """{name: maker}; imports matplotlib (once the input is known to be
    good, so bad input fails fast)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        sys.exit("figures.py: %s (install python3-matplotlib, run with the "
                 "system python3)" % e)
    plt.rcParams.update({"font.size": 10, "axes.labelsize": 10,
                         "axes.titlesize": 10, "legend.fontsize": 8,
                         "savefig.bbox": "tight", "pdf.fonttype": 42})
    import fig_detail
    import fig_orbits
    import fig_phase
    import fig_training
    return {"phase": fig_phase.fig_phase,
            "bifurcation": fig_orbits.fig_bifurcation,
            "sharpness": fig_training.fig_sharpness,
            "balance": fig_training.fig_balance,
            "oscillating": fig_training.fig_oscillating,
            "cascade": fig_orbits.fig_cascade,
            "osc_range": fig_detail.fig_osc_range,
            "layers": fig_detail.fig_layers}


def check_run_ids(ctx):
    """Raise UserError if a --run id has no row in runs."""
    if ctx.args.run:
        ids = ", ".join("%d" % i for i in ctx.args.run)
        have = {r[0] for r in ctx.query(
            "SELECT id FROM runs WHERE id IN (%s)" % ids)}
        missing = sorted(set(ctx.args.run) - have)
        if missing:
            raise dlndb.UserError("--run: no run with id %s"
                                  % ", ".join(str(i) for i in missing))


# ----------------------------------------------------------------------------

def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="figures.py", description="Figures from a dlnsweep database.")
    p.add_argument("--db", required=True, help="dlnsweep SQLite database")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--sweep", help="sweep name ('(single)': `single` runs)")
    p.add_argument("--x", default="eta", choices=dlndb.AXES,
                   help="phase diagram x axis (default eta)")
    p.add_argument("--y", default="depth", choices=dlndb.AXES,
                   help="phase diagram y axis (default depth)")
    p.add_argument("--run", action="append", default=[],
                   help="run id(s) for the trajectory figures (repeat or "
                        "comma list)")
    p.add_argument("--where", help="extra SQL condition on runs columns, "
                   "e.g. \"width = 1 AND s1 = 1\"")
    p.add_argument("--only", help="comma list of figures: " +
                   ",".join(FIGURES))
    p.add_argument("--formats", default="png,pdf",
                   help="comma list of output formats (default png,pdf)")
    p.add_argument("--dpi", type=int, default=150, help="PNG resolution")
    p.add_argument("--quantity", default="sv:1",
                   help="bifurcation: comma list of late-orbit quantities, "
                   "one panel each: sv:K, mode:I, hessian:K (K, I an index, "
                   "a range 1-3, or none for all), loss (default sv:1)")
    p.add_argument("--name", help="output file name (without extension) "
                   "of the one figure --only names")
    p.add_argument("--dump-json", action="store_true",
                   help="also write NAME.json: the data drawn and what the "
                   "axes show")
    a = p.parse_args(argv)
    try:
        a.run = [int(t) for s in a.run for t in s.split(",") if t.strip()]
    except ValueError:
        p.error("--run takes integer run ids")
    a.only = FIGURES if not a.only else [t.strip()
                                         for t in a.only.split(",")]
    bad = [t for t in a.only if t not in FIGURES]
    if bad:
        p.error("--only: unknown figure %s (known: %s)"
                % (", ".join(bad), ", ".join(FIGURES)))
    a.formats = [t.strip() for t in a.formats.split(",") if t.strip()]
    if not a.formats or any(t not in ("png", "pdf", "svg") for t in a.formats):
        p.error("--formats: choose from png, pdf, svg")
    if a.x == a.y:
        p.error("--x and --y must differ")
    if a.name is not None and (len(a.only) != 1 or
                               not re.fullmatch(r"[A-Za-z0-9._-]+", a.name)):
        p.error("--name needs exactly one figure in --only and a plain file "
                "name (letters, digits, . _ -)")
    return a


def main(argv=None):
    args = parse_args(argv)
    try:
        con = dlndb.open_db(args.db)
        ctx = Context(args, con)
        os.makedirs(args.out, exist_ok=True)
        if ctx.sweep_name is None:
            note("%s has no runs: no figures" % args.db)
            return 0
        check_run_ids(ctx)
        if "bifurcation" in args.only:   # bad input fails before drawing
            import quantities
            quantities.parse_quantities(args.quantity)
        makers = load_figures()
        for name in args.only:
            why = makers[name](ctx)
            if why:
                note("skipped %s: %s" % (name, why))
    except dlndb.UserError as e:
        print("figures.py: %s" % e, file=sys.stderr)
        return 2
    except OSError as e:
        print("figures.py: %s" % e, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
