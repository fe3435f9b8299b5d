#!/usr/bin/env python3
"""figures.py -- publication figures from a dlnsweep results database.

usage: python3 analysis/figures.py --db sweep.db --out figs/
           [--sweep NAME] [--x eta --y depth] [--run ID ...] [--where SQL]
           [--only phase,bifurcation,...] [--formats png,pdf]

Writes, for each figure it has data for, NAME.png, NAME.pdf and a caption
NAME.txt (database SHA-256, sweep, the exact SQL used):
  phase         regime map over two axes, period annotated, EOS onset line
  bifurcation   late-orbit sigma_1(W_{L:1}) against eta, one panel per depth
  sharpness     sharpness against iteration with the 2/eta line, a few runs
  balance       balancing gap against iteration (log scale), same runs
  oscillating   oscillating modes against eta with the theoretical steps
A figure without data is skipped with a message.  The database is opened
read-only.  Exit status: 0 done, 2 bad input, 1 internal failure.
Needs numpy and matplotlib (Debian: python3-numpy python3-matplotlib).
"""
import argparse
import datetime
import os
import sqlite3
import sys

try:
    import numpy as np
except ImportError as e:   # e.g. a python3 that is not the system one
    sys.exit("figures.py: %s (install python3-numpy python3-matplotlib, "
             "run with the system python3)" % e)

# matplotlib is imported by load_matplotlib() once the input is known to be
# good, so bad input fails fast.
matplotlib = plt = patheffects = None
BoundaryNorm = ListedColormap = Line2D = Patch = None


def load_matplotlib():
    global matplotlib, plt, patheffects, BoundaryNorm, ListedColormap
    global Line2D, Patch
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker  # noqa: F401
        from matplotlib import patheffects
        from matplotlib.colors import BoundaryNorm, ListedColormap
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch
    except ImportError as e:
        sys.exit("figures.py: %s (install python3-matplotlib, run with the "
                 "system python3)" % e)
    plt.rcParams.update({"font.size": 10, "axes.labelsize": 10,
                         "axes.titlesize": 10, "legend.fontsize": 8,
                         "savefig.bbox": "tight", "pdf.fonttype": 42})


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dlndb  # noqa: E402

FIGURES = ("phase", "bifurcation", "sharpness", "balance", "oscillating",
           "cascade")
FEIGENBAUM = 4.669201609

REGIME_COLOURS = {            # colour-blind safe (Okabe-Ito)
    "converged": "#0072B2", "periodic": "#009E73", "chaotic": "#D55E00",
    "unresolved": "#BBBBBB", "collapsed": "#CC79A7", "divergent": "#333333",
    "error": "#F0E442"}

LABELS = {
    "eta": r"step size $\eta$", "depth": r"depth $L$",
    "width": r"width $d$", "s1": r"top target singular value $s_1$",
    "s2": r"second target singular value $s_2$",
    "alpha": r"initialisation scale $\alpha$", "rank": "target rank",
    "d_in": r"input dimension $d_\mathrm{in}$",
    "d_out": r"output dimension $d_\mathrm{out}$", "steps": "GD steps"}

EOS_LABEL = r"EOS onset $\eta = 2/(L\,s_1^{2-2/L})$"

MAX_TRAJ_RUNS = 4       # runs in the sharpness / balance figures
MAX_PANELS = 6          # depths in the bifurcation figure
MAX_GROUPS = 4          # (depth, spectrum) groups in the oscillating figure


def note(msg):
    print("figures.py: " + msg, file=sys.stderr)


class Context:
    """What every figure needs: the connection, the selection, the output."""

    def __init__(self, args, con):
        self.args, self.con = args, con
        self.db_sha = dlndb.sha256_file(args.db)
        self.views_sha = dlndb.sha256_file(dlndb.VIEWS_SQL)
        self.sweep_id, self.sweep_name = dlndb.resolve_sweep(
            con, args.sweep, args.run)
        self.title = ("`dlnsweep single` runs" if self.sweep_id is None
                      else "sweep %s" % self.sweep_name)
        self.where = args.where
        if self.where:        # fail fast on a bad condition
            self.query("SELECT 1 FROM runs WHERE (%s) LIMIT 1" % self.where)

    def run_filter(self, column="sweep_id", id_column=None):
        """SQL condition for the selected sweep (and --where on runs)."""
        cond = dlndb.sweep_filter(self.sweep_id, column)
        if self.where:
            if id_column is None:
                cond += " AND (%s)" % self.where
            else:
                cond += (" AND %s IN (SELECT id FROM runs WHERE %s)"
                         % (id_column, self.where))
        return cond

    def query(self, sql):
        try:
            return self.con.execute(sql).fetchall()
        except sqlite3.OperationalError as e:
            if self.where:
                raise dlndb.UserError("--where %s: %s" % (self.where, e))
            raise

    def save(self, fig, name, description, queries):
        """Write name.{png,pdf} and the caption name.txt; close fig."""
        paths = []
        for fmt in self.args.formats:
            path = os.path.join(self.args.out, "%s.%s" % (name, fmt))
            meta = {"CreationDate": None} if fmt == "pdf" else {}
            fig.savefig(path, dpi=self.args.dpi, metadata=meta)
            paths.append(os.path.basename(path))
        plt.close(fig)
        wal = self.args.db + "-wal"
        wal_note = ""
        if os.path.exists(wal) and os.path.getsize(wal) > 0:
            wal_note = (" (a non-empty -wal file exists: the hash covers the "
                        "main file only; `dlnsweep snapshot` gives a stable "
                        "copy)")
        lines = [
            "Figure: %s (%s)" % (name, ", ".join(paths)),
            description,
            "",
            "Database: %s" % os.path.abspath(self.args.db),
            "Database SHA-256: %s%s" % (self.db_sha, wal_note),
            "Sweep: %s%s" % (self.sweep_name,
                             "" if self.sweep_id is None
                             else " (id %d)" % self.sweep_id),
            "Filter (--where): %s" % (self.where or "none"),
            "Views: %s (SHA-256 %s), installed as TEMP views"
            % ("analysis/views.sql", self.views_sha),
            "Made by: analysis/figures.py, matplotlib %s, numpy %s, "
            "SQLite %s, at %s" % (matplotlib.__version__, np.__version__,
                                 sqlite3.sqlite_version,
                                 datetime.datetime.now(datetime.timezone.utc)
                                 .strftime("%Y-%m-%dT%H:%M:%SZ")),
            "",
            "SQL:"]
        for q in queries:
            lines += [q.strip().rstrip(";") + ";", ""]
        with open(os.path.join(self.args.out, name + ".txt"), "w") as f:
            f.write("\n".join(lines))
        print("figures.py: wrote %s" % ", ".join(
            os.path.join(self.args.out, p) for p in paths + [name + ".txt"]))


# ----------------------------------------------------------------------------
# Phase diagram

def cell_edges(values, log):
    """Cell boundaries around sorted distinct values (midpoints)."""
    v = np.asarray(values, float)
    if len(v) == 1:
        return np.array([v[0] / 1.5, v[0] * 1.5]) if log else \
            np.array([v[0] - 0.5, v[0] + 0.5])
    if log:
        lv = np.log(v)
        mid = (lv[1:] + lv[:-1]) / 2
        return np.exp(np.concatenate(([lv[0] - (mid[0] - lv[0])], mid,
                                      [lv[-1] + (lv[-1] - mid[-1])])))
    mid = (v[1:] + v[:-1]) / 2
    return np.concatenate(([v[0] - (mid[0] - v[0])], mid,
                           [v[-1] + (v[-1] - mid[-1])]))


def wants_log(values):
    v = np.asarray(values, float)
    return len(v) > 2 and v.min() > 0 and v.max() / v.min() >= 16


def eos_curves(ctx, x, y):
    """EOS onset lines for the phase diagram as [(xs, ys, label)], with the
    SQL used; empty when neither axis is eta."""
    if "eta" not in (x, y):
        return [], None
    other = y if x == "eta" else x
    sql = ("SELECT DISTINCT depth, s1 FROM runs WHERE %s AND s1 > 0 "
           "ORDER BY depth, s1" % ctx.run_filter())
    pairs = ctx.query(sql)
    curves = []
    if other == "depth":
        for s1 in sorted({p[1] for p in pairs})[:3]:
            depths = sorted({p[0] for p in pairs if p[1] == s1})
            ls = np.linspace(min(depths) - 0.5, max(depths) + 0.5, 200)
            ls = ls[ls >= 1]
            curves.append(([dlndb.eos_eta(L, s1) for L in ls], ls,
                           r"$s_1 = %g$" % s1))
    elif other == "s1":
        for L in sorted({p[0] for p in pairs})[:3]:
            ss = sorted({p[1] for p in pairs if p[0] == L})
            grid = np.linspace(min(ss), max(ss), 200) if len(ss) > 1 \
                else np.array(ss)
            curves.append(([dlndb.eos_eta(L, s) for s in grid], grid,
                           r"$L = %d$" % L))
    else:
        for L, s1 in pairs[:4]:
            curves.append(([dlndb.eos_eta(L, s1)] * 2, None,
                           r"$L = %d$, $s_1 = %g$" % (L, s1)))
    if x != "eta":
        curves = [(ys, xs, lab) for xs, ys, lab in curves]
    return curves, sql


def annotate_periods(ax, line, ue, v0, v1, log_u, by_row, room):
    """Mark the periodic blocks of one line of cells (rows (u, regime,
    period) with cell edges ue along the line, spanning v0..v1 across it):
    a white separator where the period changes, and the period written
    once per block where the block and the line are large enough (room:
    the line's share of the axes across it)."""
    def xy(u, v):
        return (u, v) if by_row else (v, u)
    n = len(line)
    i = 0
    while i < n:
        if line[i][1] != "periodic":
            i += 1
            continue
        k = i
        while (k + 1 < n and line[k + 1][1] == "periodic"
               and line[k + 1][2] == line[i][2]):
            k += 1
        if k + 1 < n and line[k + 1][1] == "periodic":   # period changes
            ax.plot(*zip(xy(ue[k + 1], v0), xy(ue[k + 1], v1)),
                    color="white", lw=0.8)
        label = "%d" % line[i][2] if line[i][2] else "?"
        f = np.log if log_u else (lambda t: t)
        span = (f(ue[k + 1]) - f(ue[i])) / (f(ue[-1]) - f(ue[0]))
        text_w, text_h = 0.012 * len(label) + 0.006, 0.035
        if (span >= (text_w if by_row else text_h) and
                room >= (text_h if by_row else text_w)):
            uc = np.sqrt(ue[i] * ue[k + 1]) if log_u else \
                (ue[i] + ue[k + 1]) / 2
            vc = np.sqrt(v0 * v1) if v0 > 0 and (
                ax.get_yscale() if by_row else ax.get_xscale()) == "log" \
                else (v0 + v1) / 2
            ax.text(*xy(uc, vc), label, ha="center", va="center",
                    fontsize=7, color="white", fontweight="bold")
        i = k + 1


def draw_regime_map(ax, rows, log_x, log_y):
    """Paint the phase rows (x, y, regime, period, ...) as cells coloured by
    regime.  Cells are laid out in lines along the axis with more distinct
    values, each line with its own edges, so lines sampled on different
    grids (e.g. eta ranges scaled per depth) leave no gaps.  Returns the
    (x, y) limits covered."""
    xs = sorted({r[0] for r in rows})
    ys = sorted({r[1] for r in rows})
    by_row = len(xs) >= len(ys)
    a, b = (0, 1) if by_row else (1, 0)       # along, across
    vs = ys if by_row else xs
    log_u, log_v = (log_x, log_y) if by_row else (log_y, log_x)
    ve = cell_edges(vs, log_v)
    cmap = ListedColormap([REGIME_COLOURS[g] for g in dlndb.REGIMES])
    norm = BoundaryNorm(np.arange(-0.5, len(dlndb.REGIMES)), cmap.N)
    ulo, uhi = np.inf, -np.inf
    for j, v in enumerate(vs):
        line = sorted(((r[a], r[2], r[3]) for r in rows if r[b] == v),
                      key=lambda t: t[0])
        ue = cell_edges([t[0] for t in line], log_u)
        code = np.array([[dlndb.REGIMES.index(t[1]) for t in line]])
        if by_row:
            ax.pcolormesh(ue, ve[j:j + 2], code, cmap=cmap, norm=norm,
                          shading="flat", rasterized=True)
        else:
            ax.pcolormesh(ve[j:j + 2], ue, code.T, cmap=cmap, norm=norm,
                          shading="flat", rasterized=True)
        annotate_periods(ax, line, ue, ve[j], ve[j + 1], log_u, by_row,
                         1.0 / len(vs))
        ulo, uhi = min(ulo, ue[0]), max(uhi, ue[-1])
    lims = ((ulo, uhi), (ve[0], ve[-1]))
    return lims if by_row else lims[::-1]


def fig_phase(ctx):
    x, y = ctx.args.x, ctx.args.y
    view = dlndb.PHASE_VIEWS.get((x, y))
    if view and not ctx.where:
        sql = ("SELECT %s, %s, regime, period, n_runs, n_cells, n_error, "
               "agreement FROM %s WHERE %s ORDER BY %s, %s"
               % (x, y, view, dlndb.sweep_filter(ctx.sweep_id), y, x))
    else:
        src = "(SELECT * FROM runs WHERE %s)" % ctx.run_filter()
        sql = dlndb.phase_sql(x, y, src)
    rows = [r for r in ctx.query(sql) if r[0] is not None and r[1] is not None]
    if not rows:
        return "no runs with both %s and %s" % (x, y)
    xs = sorted({r[0] for r in rows})
    ys = sorted({r[1] for r in rows})
    log_x, log_y = wants_log(xs), wants_log(ys)

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    if log_x:
        ax.set_xscale("log")
    if log_y:
        ax.set_yscale("log")
    (xlo, xhi), (ylo, yhi) = draw_regime_map(ax, rows, log_x, log_y)
    for vals, axis in ((xs, ax.xaxis), (ys, ax.yaxis)):
        if len(vals) <= 12:
            axis.set_ticks(vals)
            axis.set_ticklabels(["%g" % v for v in vals])
            axis.set_minor_locator(matplotlib.ticker.NullLocator())

    curves, eos_sql = eos_curves(ctx, x, y)
    handles = [Patch(facecolor=REGIME_COLOURS[g], label=g)
               for g in dlndb.REGIMES if any(r[2] == g for r in rows)]
    styles = ["-", "--", ":", "-."]
    outline = [patheffects.withStroke(linewidth=3.2, foreground="black")]
    for n, (cx, cy, lab) in enumerate(curves):
        style = dict(color="white", lw=1.6, ls=styles[n % 4],
                     path_effects=outline)
        if cy is None:
            ax.axvline(cx[0], **style)
        elif cx is None:
            ax.axhline(cy[0], **style)
        else:
            ax.plot(cx, cy, **style)
        handles.append(Line2D([], [], color="white", ls=styles[n % 4],
                              lw=1.6, path_effects=outline,
                              label=EOS_LABEL + (", " + lab
                                                 if len(curves) > 1 else "")))
    ax.set_xlim(xlo, xhi)
    ax.set_ylim(ylo, yhi)
    ax.set_xlabel(LABELS[x])
    ax.set_ylabel(LABELS[y])
    pooled = max(r[5] for r in rows)
    ax.set_title("Regime map, %s%s" % (
        ctx.title, "" if pooled <= 1 else
        " (up to %d cells per point)" % pooled), fontsize=10)
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0),
              fontsize=8, frameon=False)
    fig.tight_layout()
    if pooled > 1:
        note("phase: points pool up to %d cells (other parameters vary); "
             "fix them with --where" % pooled)
    desc = ("Regime (majority over seeds%s) of each (%s, %s) point, colour "
            "per regime; white numbers: period of periodic blocks; white "
            "lines: theoretical onset of the 2-cycle eta = 2/(L s_1^(2-2/L))."
            % ("" if pooled <= 1 else " and over the %d cells pooled per "
               "point" % pooled, x, y))
    ctx.save(fig, "phase", desc, [sql] + ([eos_sql] if eos_sql else []))


# ----------------------------------------------------------------------------
# Bifurcation diagram

def fig_bifurcation(ctx):
    sql = ("SELECT depth, eta, sv1, s1 FROM bifurcation WHERE %s "
           "AND sv1 IS NOT NULL ORDER BY depth, eta, run_id, k"
           % ctx.run_filter(id_column="run_id"))
    rows = ctx.query(sql)
    if not rows:
        return "no late-orbit points (orbits table empty for this selection)"
    depths = sorted({r[0] for r in rows})
    if len(depths) > MAX_PANELS:
        note("bifurcation: %d depths, plotting the first %d"
             % (len(depths), MAX_PANELS))
        depths = depths[:MAX_PANELS]
    fig, axes = plt.subplots(len(depths), 1, sharex=True, squeeze=False,
                             figsize=(6.4, 1.2 + 1.9 * len(depths)))
    for ax, L in zip(axes[:, 0], depths):
        pts = np.array([(r[1], r[2]) for r in rows if r[0] == L], float)
        ok = np.isfinite(pts).all(axis=1)
        ax.scatter(pts[ok, 0], pts[ok, 1], s=0.8, c="black", lw=0,
                   rasterized=True)
        s1s = sorted({r[3] for r in rows if r[0] == L and r[3]})
        for n, s1 in enumerate(s1s[:3]):
            ax.axvline(dlndb.eos_eta(L, s1), color="C3", lw=1,
                       ls=["--", ":", "-."][n],
                       label=EOS_LABEL + (r", $s_1 = %g$" % s1
                                          if len(s1s) > 1 else ""))
        ax.set_ylabel(r"$\sigma_1(W_{L:1})$")
        top = pts[ok, 1].max() if ok.any() else 1.0
        ax.set_ylim(0, 1.08 * top if top > 0 else 1.0)
        ax.text(0.01, 0.95, r"$L = %d$" % L, transform=ax.transAxes,
                ha="left", va="top", fontsize=9,
                bbox=dict(facecolor="white", edgecolor="none", alpha=0.85))
        if s1s:
            ax.legend(loc="upper right", fontsize=7, framealpha=0.85,
                      edgecolor="none")
    axes[-1, 0].set_xlabel(LABELS["eta"])
    axes[0, 0].set_title("Bifurcation diagram (late orbit), %s"
                         % ctx.title, fontsize=10)
    fig.tight_layout()
    desc = ("Late-orbit values of the top singular value of the end-to-end "
            "matrix W_{L:1} (the orbits table, every seed) against the step "
            "size, one panel per depth; dashed: theoretical 2-cycle onset.")
    ctx.save(fig, "bifurcation", desc, [sql])


# ----------------------------------------------------------------------------
# Period-doubling cascade (a refine: sweep's located boundaries)

def fig_cascade(ctx):
    sql = ("SELECT depth, spectrum, seed_index, eta, gap, period_from, "
           "period_to FROM boundaries WHERE %s AND kind = 'period-doubling' "
           "ORDER BY depth, spectrum, seed_index, eta" % ctx.run_filter())
    rows = ctx.query(sql)
    lines = {}
    for r in rows:
        lines.setdefault(r[:3], []).append(r)
    lines = {k: v for k, v in lines.items() if len(v) >= 3}
    if not lines:
        return ("fewer than 3 located period doublings on any line (the "
                "boundaries view; run a sweep with a refine: section)")
    key = max(lines, key=lambda k: len(lines[k]))
    pts = lines[key]
    L, spectrum, seed = key
    osql = ("SELECT eta, sv1 FROM bifurcation WHERE %s AND depth = %d AND "
            "spectrum = '%s' AND seed_index = %d AND sv1 IS NOT NULL"
            % (ctx.run_filter(id_column="run_id"), L, spectrum, seed))
    orbit = np.array(ctx.query(osql) or [(np.nan, np.nan)], float)
    b = np.array([p[3] for p in pts])
    ratios = (b[1:-1] - b[:-2]) / (b[2:] - b[1:-1])
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(9.6, 3.6),
                                 gridspec_kw={"width_ratios": [2, 1]})
    ax.scatter(orbit[:, 0], orbit[:, 1], s=0.8, c="black", lw=0,
               rasterized=True)
    for p in pts:
        ax.axvline(p[3], color="C0", lw=0.8, ls="--")
        ax.text(p[3], 1.0, r" $%d\to%d$" % (p[5], p[6]), rotation=90,
                va="top", ha="right", fontsize=7,
                transform=ax.get_xaxis_transform())
    lo = b[0] - 0.15 * (b[-1] - b[0])
    ax.set_xlim(lo, b[-1] + 0.1 * (b[-1] - b[0]))
    ax.set_xlabel(LABELS["eta"])
    ax.set_ylabel(r"$\sigma_1(W_{L:1})$ (late orbit)")
    ax.set_title(r"Located period doublings, $L = %d$, $s = (%s)$"
                 % (L, spectrum), fontsize=10)
    k = np.arange(1, len(ratios) + 1)
    bx.plot(k, ratios, "o-", color="C0",
            label=r"$\delta_k = (b_{k+1}-b_k)/(b_{k+2}-b_{k+1})$")
    for kk, d in zip(k, ratios):
        bx.annotate("%.3f" % d, (kk, d), textcoords="offset points",
                    xytext=(4, -10), fontsize=7)
    bx.axhline(FEIGENBAUM, color="C3", ls="--",
               label=r"Feigenbaum $\delta = 4.6692$")
    bx.margins(y=0.2)
    bx.set_xticks(k)
    bx.set_xlabel(r"$k$")
    bx.set_ylabel("interval ratio")
    bx.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    desc = ("Left: late orbit of sigma_1(W_{L:1}) against eta with the "
            "period doublings b_k located by adaptive refinement (boundaries "
            "view; each bracketed to its gap). Right: ratios of successive "
            "intervals, tending to Feigenbaum's constant.")
    ctx.save(fig, "cascade", desc, [sql, osql])


# ----------------------------------------------------------------------------
# Trajectory figures (sharpness, balancing gap)

# A trajectory point counts for the balance figure when its gap is above
# roundoff: a balanced start keeps the gap at ~1e-17 throughout.
BALANCE_FLOOR = 1e-12

PICK_NEEDS = {"sharpness": "t.sharpness IS NOT NULL",
              "balance": "t.balance_gap > %g" % BALANCE_FLOOR}


def pick_runs(ctx, figure):
    """(run rows, SQL): the runs of --run, or up to MAX_TRAJ_RUNS runs whose
    trajectory has data for figure, one per regime first, then spread over
    eta."""
    cols = "r.id, r.eta, r.depth, r.s1, r.regime, r.period"
    if ctx.args.run:
        ids = ", ".join("%d" % i for i in ctx.args.run)
        sql = ("SELECT %s FROM runs r WHERE r.id IN (%s) ORDER BY r.eta, r.id"
               % (cols, ids))
        return ctx.query(sql), sql
    sql = ("SELECT %s FROM runs r WHERE %s AND EXISTS (SELECT 1 FROM "
           "trajectories t WHERE t.run_id = r.id AND %s) ORDER BY r.eta, "
           "r.seed_index, r.id"
           % (cols, ctx.run_filter("r.sweep_id", id_column="r.id"),
              PICK_NEEDS[figure]))
    cands = ctx.query(sql)
    chosen = []
    for g in dlndb.REGIMES:
        of_g = [c for c in cands if c[4] == g]
        if of_g and len(chosen) < MAX_TRAJ_RUNS:
            chosen.append(of_g[len(of_g) // 2])
    rest = [c for c in cands if c not in chosen]
    while len(chosen) < MAX_TRAJ_RUNS and rest:
        chosen.append(rest.pop(len(rest) // 2))
    return sorted(chosen, key=lambda c: (c[1], c[0])), sql


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


def run_label(r):
    g = r[4] + (" (p = %d)" % r[5] if r[4] == "periodic" and r[5] else "")
    return r"$\eta = %.3g$, $L = %d$: %s" % (r[1], r[2], g)


def trajectories(ctx, runs, column):
    ids = ", ".join("%d" % r[0] for r in runs)
    sql = ("SELECT run_id, step, %s FROM run_trajectories WHERE run_id IN "
           "(%s) AND %s IS NOT NULL ORDER BY run_id, step" % (column, ids,
                                                              column))
    data = {}
    for rid, step, val in ctx.query(sql):
        data.setdefault(rid, []).append((step, val))
    return {k: np.array(v, float) for k, v in data.items()}, sql


def fig_sharpness(ctx):
    runs, pick_sql = pick_runs(ctx, "sharpness")
    if not runs:
        return ("no run has sharpness along its trajectory (record_every > 0 "
                "and sharpness_every > 0 record it)")
    data, sql = trajectories(ctx, runs, "sharpness")
    if not data:
        return "no sharpness recorded along the trajectories"
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    top = 0.0
    for n, r in enumerate(runs):
        c = "C%d" % n
        if r[0] in data:
            d = data[r[0]]
            ax.plot(d[:, 0], d[:, 1], color=c, lw=1.2, label=run_label(r))
            fin = d[np.isfinite(d[:, 1]), 1]
            if len(fin):
                top = max(top, np.percentile(fin, 98))
        ax.axhline(2.0 / r[1], color=c, lw=1, ls="--")
        top = max(top, 2.0 / r[1])
    ax.set_ylim(0, 1.15 * top)
    ax.set_xlabel(r"iteration $t$")
    ax.set_ylabel(r"sharpness $\lambda_{\max}(\nabla^2 f)$")
    ax.set_title("Sharpness along training (dashed: $2/\\eta$), %s"
                 % ctx.title, fontsize=10)
    ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    desc = ("Top Hessian eigenvalue (sharpness) against GD iteration for a "
            "few runs; dashed lines of the same colour: the stability "
            "threshold 2/eta of each run.")
    ctx.save(fig, "sharpness", desc, [pick_sql, sql])


def fig_balance(ctx):
    runs, pick_sql = pick_runs(ctx, "balance")
    if not runs:
        return ("no run has a balancing gap above roundoff (%g) along its "
                "trajectory (a balanced start stays balanced)" % BALANCE_FLOOR)
    data, sql = trajectories(ctx, runs, "balance_gap")
    data = {k: v[v[:, 1] > 0] for k, v in data.items()}
    data = {k: v for k, v in data.items() if len(v)}
    if not data:
        return "balancing gap is zero throughout for the chosen runs"
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for n, r in enumerate(runs):
        if r[0] in data:
            d = data[r[0]]
            ax.semilogy(d[:, 0], d[:, 1], color="C%d" % n, lw=1.2,
                        label=run_label(r))
    ax.set_xlabel(r"iteration $t$")
    ax.set_ylabel(r"balancing gap $\mathrm{max}_l \Vert W_{l+1}^\top W_{l+1}"
                  r" - W_l W_l^\top\Vert_F$")
    ax.set_title("Balancedness along training, %s" % ctx.title,
                 fontsize=10)
    ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    desc = ("Largest balancing gap over layers against GD iteration (log "
            "scale; exact zeros are not drawn) for a few runs whose gap is "
            "above roundoff (one per regime where possible).")
    ctx.save(fig, "balance", desc, [pick_sql, sql])


# ----------------------------------------------------------------------------
# Oscillating modes

def fig_oscillating(ctx):
    cond = dlndb.sweep_filter(ctx.sweep_id)
    if ctx.where:
        cond += (" AND cell_hash IN (SELECT cell_hash FROM runs WHERE %s)"
                 % ctx.where)
    sql = ("SELECT depth, spectrum, eta, n_oscillating, n_oscillating_min, "
           "n_oscillating_max, n_oscillating_theory FROM oscillating_modes "
           "WHERE %s AND n_oscillating IS NOT NULL ORDER BY depth, spectrum, "
           "eta" % cond)
    rows = ctx.query(sql)
    if not rows:
        return "no n_oscillating recorded (or every run diverged)"
    groups = []
    for r in rows:
        if (r[0], r[1]) not in groups:
            groups.append((r[0], r[1]))
    if len(groups) > MAX_GROUPS:
        note("oscillating: %d (depth, spectrum) groups, plotting the first %d"
             % (len(groups), MAX_GROUPS))
        groups = groups[:MAX_GROUPS]
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    top = 1
    mismatch = 0
    for n, (L, spec) in enumerate(groups):
        g = np.array([r[2:] for r in rows if (r[0], r[1]) == (L, spec)],
                     float)
        s = dlndb.parse_spectrum(spec)
        c = "C%d" % n
        lo, hi = g[:, 0].min(), g[:, 0].max()
        pad = 0.02 * (hi - lo if hi > lo else hi)
        grid = np.linspace(lo - pad, hi + pad, 2000)
        theory = [dlndb.n_oscillating_theory(e, L, s) for e in grid]
        short = spec if len(spec) <= 24 else spec[:21] + "..."
        ax.plot(grid, theory, color=c, lw=1.2, drawstyle="steps-post",
                label=r"theory, $L = %d$, $s = (%s)$" % (L, short))
        ax.errorbar(g[:, 0], g[:, 1], yerr=[g[:, 1] - g[:, 2],
                                             g[:, 3] - g[:, 1]],
                    fmt="o", ms=3.5, color=c, mfc="white", lw=0.8)
        stored = g[:, 4]
        calc = np.array([dlndb.n_oscillating_theory(e, L, s) for e in g[:, 0]])
        mismatch += int(np.sum(np.isfinite(stored) & (stored != calc)))
        top = max(top, len(s), np.nanmax(g[:, 3]))
    if mismatch:
        note("oscillating: %d cells whose stored n_oscillating_theory "
             "differs from 2/(L s_i^(2-2/L)) counting" % mismatch)
    ax.set_ylim(-0.3, top + 0.5)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel(LABELS["eta"])
    ax.set_ylabel("oscillating modes")
    ax.set_title(r"Modes past their EOS threshold $2/(L\,s_i^{2-2/L})$, "
                 "%s" % ctx.title, fontsize=10)
    handles, _ = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], ls="none", marker="o", ms=3.5, color="grey",
                          mfc="white", label="measured: mean over seeds, "
                          "bars min-max"))
    ax.legend(handles=handles, fontsize=7, frameon=False, loc="upper left")
    fig.tight_layout()
    desc = ("Number of oscillating modes at the end of training (mean over "
            "seeds, bars min-max; divergent runs left out) against the step "
            "size; lines: theory, the number of target singular values s_i "
            "with eta > 2/(L s_i^(2-2/L)).")
    ctx.save(fig, "oscillating", desc, [sql])


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
        load_matplotlib()
        makers = {"phase": fig_phase, "bifurcation": fig_bifurcation,
                  "sharpness": fig_sharpness, "balance": fig_balance,
                  "oscillating": fig_oscillating, "cascade": fig_cascade}
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
