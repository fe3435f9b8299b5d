"""fig_training.py -- the training figures of analysis/figures.py:
sharpness (along training and at the end, against 2/eta), balancing gap,
oscillating modes against theory."""
import numpy as np
import matplotlib.pyplot as plt
from matplotlib.lines import Line2D

import dlndb
import figstyle as fs
from figcommon import (LABELS, describe_keys, first_groups, legend_outside,
                       note, set_value_axis)

MAX_TRAJ_RUNS = 4       # runs in the sharpness / balance figures
MAX_GROUPS = 6          # groups in the final-sharpness / oscillating figures
MARKERS = ["o", "s", "^", "D", "v", "P"]

# A group of cells: a line of cells along eta, its seeds pooled.
OSC_COLUMNS = tuple(c for c in dlndb.LINE_COLUMNS if c != "seed_index")

# A trajectory point counts for the balance figure when its gap is above
# roundoff: a balanced start keeps the gap at ~1e-17 throughout.
BALANCE_FLOOR = 1e-12

# A run is drawn along training when 2 or more of its trajectory points
# have the figure's data (with sharpness_every = 0 only the last point has
# a sharpness: a line of one point would draw nothing).
PICK_NEEDS = {"sharpness": "t.sharpness IS NOT NULL",
              "balance": "t.balance_gap > %g" % BALANCE_FLOOR,
              "layers": "EXISTS (SELECT 1 FROM point_details d WHERE "
                        "d.run_id = t.run_id AND d.step = t.step AND "
                        "d.layer_sv IS NOT NULL)"}


def pick_runs(ctx, figure):
    """(run rows, SQL): the runs of --run, or up to MAX_TRAJ_RUNS runs whose
    trajectory has data for figure at 2 points or more, one per regime
    first, then spread over eta."""
    cols = ("r.id, r.eta, r.depth, r.s1, r.regime, r.period, " +
            ", ".join("r." + c for c in dlndb.LINE_COLUMNS))
    if ctx.args.run:
        ids = ", ".join("%d" % i for i in ctx.args.run)
        sql = ("SELECT %s FROM runs r WHERE r.id IN (%s) ORDER BY r.eta, r.id"
               % (cols, ids))
        return ctx.query(sql), sql
    sql = ("SELECT %s FROM runs r WHERE %s AND (SELECT COUNT(*) FROM "
           "trajectories t WHERE t.run_id = r.id AND %s) >= 2 ORDER BY r.eta, "
           "r.seed_index, r.id"
           % (cols, ctx.run_filter("r.sweep_id", id_column="r.id"),
              PICK_NEEDS[figure]))
    cands = ctx.query(sql)
    chosen = []
    for g in fs.regime_order(c[4] for c in cands):
        of_g = [c for c in cands if c[4] == g]
        if of_g and len(chosen) < MAX_TRAJ_RUNS:
            chosen.append(of_g[len(of_g) // 2])
    rest = [c for c in cands if c not in chosen]
    while len(chosen) < MAX_TRAJ_RUNS and rest:
        chosen.append(rest.pop(len(rest) // 2))
    return sorted(chosen, key=lambda c: (c[1], c[0])), sql


def run_labels(runs, etas):
    """(legend texts, common text) of pick_runs rows: each names eta (with
    the digits that tell it from the other grid values etas), what else
    tells the run apart from the others, and its regime; common names what
    they share."""
    common, distinct = describe_keys([tuple(r[6:]) for r in runs],
                                     dlndb.LINE_COLUMNS)
    out = []
    for r, d in zip(runs, distinct):
        g = fs.regime_name(r[4]) + (" (p = %d)" % r[5]
                                    if r[4] == "periodic" and r[5] else "")
        out.append(r"$\eta = %s$%s: %s" % (fs.value_label(r[1], etas),
                                           ", " + d if d else "", g))
    return out, common


def trajectories(ctx, runs, column):
    ids = ", ".join("%d" % r[0] for r in runs)
    sql = ("SELECT run_id, step, %s FROM run_trajectories WHERE run_id IN "
           "(%s) AND %s IS NOT NULL ORDER BY run_id, step" % (column, ids,
                                                              column))
    data = {}
    for rid, step, val in ctx.query(sql):
        data.setdefault(rid, []).append((step, val))
    return {k: np.array(v, float) for k, v in data.items()}, sql


def regime_handles(regimes, marker="o"):
    return [Line2D([], [], ls="none", marker=marker, ms=5,
                   color=fs.regime_colour(g),
                   mec="black" if not fs.known(g) else None,
                   label=fs.regime_name(g)) for g in fs.regime_order(regimes)]


# ----------------------------------------------------------------------------
# Sharpness

def draw_sharpness_trajectories(ax, ctx, runs, data):
    """Sharpness against iteration for the chosen runs, each with its 2/eta
    line; returns the series drawn."""
    labels, common = run_labels(runs, ctx.eta_values() + [r[1] for r in runs])
    top, drawn = 0.0, []
    for n, (r, label) in enumerate(zip(runs, labels)):
        c = "C%d" % n
        if r[0] in data:
            d = data[r[0]]
            ax.plot(d[:, 0], d[:, 1], color=c, lw=1.0, marker=".", ms=2.5,
                    label=label)
            fin = d[np.isfinite(d[:, 1]), 1]
            if len(fin):
                top = max(top, np.percentile(fin, 98))
            drawn.append({"run_id": r[0], "eta": r[1], "label": label,
                          "step": d[:, 0], "sharpness": d[:, 1],
                          "threshold": 2.0 / r[1]})
        ax.axhline(2.0 / r[1], color=c, lw=1, ls="--")
        top = max(top, 2.0 / r[1])
    ax.set_ylim(0, 1.15 * top)
    ax.set_xlabel(r"iteration $t$")
    ax.set_ylabel(r"sharpness $\lambda_{\max}(\nabla^2 f)$")
    ax.set_title(r"Along training (dashed: $2/\eta$ of the same colour)"
                 + ("\n" + common if common else ""), fontsize=9)
    legend_outside(ax)
    return drawn


def draw_final_sharpness(ax, ctx, final):
    """Sharpness at the end of every run against eta: colour the regime,
    marker the (depth, s_1) group; the threshold 2/eta and the sharpness
    L s_1^(2-2/L) of a balanced minimum.  Returns the data drawn."""
    groups = first_groups(sorted({tuple(r[6:]) for r in final}),
                          MAX_GROUPS, "sharpness")
    common, names = describe_keys(groups, OSC_COLUMNS)
    scale = ctx.eta_scale()
    pts, minima = [], []
    top = 0.0
    for n, grp in enumerate(groups):
        rows = [r for r in final if tuple(r[6:]) == grp]
        size = (5.0 + 3.0 * (len(groups) - 1 - n)) ** 2   # stacked: visible
        for g in fs.regime_order(r[4] for r in rows):
            sel = [r for r in rows if r[4] == g]
            ax.scatter([r[1] for r in sel], [r[5] for r in sel], s=size,
                       marker=MARKERS[n], c=fs.regime_colour(g),
                       edgecolors="black" if not fs.known(g) else "white",
                       linewidths=0.5, zorder=3 + n)
        pts += [{"run_id": r[0], "eta": r[1], "depth": r[2], "s1": r[3],
                 "regime": r[4], "sharpness": r[5], "group": names[n]}
                for r in rows]
        top = max(top, max(r[5] for r in rows))
        L, s1 = rows[0][2], rows[0][3]
        if s1 and not any(m["depth"] == L and m["s1"] == s1
                          for m in minima):
            m = L * s1 ** (2.0 - 2.0 / L)
            minima.append({"depth": L, "s1": s1, "value": m})
            ax.axhline(m, color="grey", lw=0.9, ls=":")
            top = max(top, m)
    etas = [p["eta"] for p in pts]
    lo, hi = min(etas), max(etas)
    grid = np.geomspace(lo, hi, 400) if scale == "log" and lo > 0 else \
        np.linspace(lo, hi, 400)
    top = max(top, 2.0 / hi)
    ax.plot(grid, 2.0 / grid, color="black", lw=1.0, ls="--", zorder=2)
    ax.set_ylim(0, 1.2 * top)
    set_value_axis(ax, "x", scale, sorted(set(etas)))
    ax.set_xlabel(LABELS["eta"])
    ax.set_ylabel(r"final sharpness $\lambda_{\max}(\nabla^2 f)$")
    ax.set_title("At the end of training (every run)" +
                 ("\n" + common if common else ""), fontsize=9)
    handles = regime_handles({p["regime"] for p in pts})
    if len(groups) > 1:
        handles += [Line2D([], [], ls="none", marker=MARKERS[n], ms=5,
                           color="grey", label=name)
                    for n, name in enumerate(names)]
    handles.append(Line2D([], [], color="black", lw=1.0, ls="--",
                          label=r"$2/\eta$ (stability threshold)"))
    if minima:
        handles.append(Line2D([], [], color="grey", lw=0.9, ls=":",
                              label=r"$L\,s_1^{2-2/L}$ (balanced minimum)"))
    legend_outside(ax, handles)
    return {"points": pts, "minima": minima,
            "threshold": {"eta": grid, "value": 2.0 / grid},
            "xscale": scale}


def fig_sharpness(ctx):
    fsql = ("SELECT id, eta, depth, s1, regime, sharpness, %s FROM runs "
            "WHERE %s AND sharpness IS NOT NULL ORDER BY %s, eta, id"
            % (", ".join(OSC_COLUMNS), ctx.run_filter(),
               ", ".join(OSC_COLUMNS)))
    final = ctx.query(fsql)
    runs, pick_sql = pick_runs(ctx, "sharpness")
    data, tsql = trajectories(ctx, runs, "sharpness") if runs else ({}, None)
    data = {k: v for k, v in data.items() if len(v) >= 2}
    if not final and not data:
        return ("no sharpness recorded, neither at the end of the runs nor "
                "along their trajectories")
    every = ctx.query("SELECT MAX(record_every), MAX(sharpness_every) FROM "
                      "runs WHERE %s" % ctx.run_filter())[0]
    why = None
    if not data:
        why = ("sharpness_every = 0" if not every[1] else
               "record_every = 0" if not every[0] else
               "fewer than 2 trajectory points with a sharpness per run")
    panels = (1 if data else 0) + (1 if final else 0)
    fig, axes = plt.subplots(panels, 1, squeeze=False,
                             figsize=(7.6, 0.6 + 3.3 * panels))
    axes = list(axes[:, 0])
    out = {"recorded": bool(data), "not_recorded_because": why}
    if data:
        out["trajectories"] = draw_sharpness_trajectories(axes.pop(0), ctx,
                                                          runs, data)
    if final:
        out["final"] = draw_final_sharpness(axes.pop(0), ctx, final)
    fig.suptitle("Sharpness, %s%s" % (
        ctx.title, "" if data else
        "\n(not recorded along training: %s; end values only)" % why),
        fontsize=10)
    fig.tight_layout()
    desc = ("Top Hessian eigenvalue (sharpness)%s%s"
            % (" against GD iteration for a few runs (dashed, same colour: "
               "each run's stability threshold 2/eta)" if data else "",
               (" and at the end of every run against the step size "
                "(colour: regime; dashed: 2/eta; dotted: L s_1^(2-2/L), the "
                "sharpness of a balanced minimum; runs without a final "
                "sharpness, e.g. divergent ones, are left out)")
               if final else "")
            + ("." if data else
               "; sharpness along training was not recorded (%s)." % why))
    queries = [fsql] + ([pick_sql, tsql] if data else [])
    ctx.save(fig, "sharpness", desc, queries, out)


# ----------------------------------------------------------------------------
# Balancing gap

def fig_balance(ctx):
    runs, pick_sql = pick_runs(ctx, "balance")
    if not runs:
        return ("no run has a balancing gap above roundoff (%g) along its "
                "trajectory (a balanced start stays balanced)" % BALANCE_FLOOR)
    labels, common = run_labels(runs, ctx.eta_values() + [r[1] for r in runs])
    import fig_detail
    modes = fig_detail.draw_balance_modes(ctx, runs, labels, common)
    if modes is not None:
        fig, desc, queries, drawn = modes
        ctx.save(fig, "balance", desc, [pick_sql] + queries, drawn)
        return None
    data, sql = trajectories(ctx, runs, "balance_gap")
    data = {k: v[v[:, 1] > 0] for k, v in data.items()}
    data = {k: v for k, v in data.items() if len(v)}
    if not data:
        return "balancing gap is zero throughout for the chosen runs"
    fig, ax = plt.subplots(figsize=(7.6, 3.8))
    drawn = []
    for n, (r, label) in enumerate(zip(runs, labels)):
        if r[0] in data:
            d = data[r[0]]
            ax.semilogy(d[:, 0], d[:, 1], color="C%d" % n, lw=1.2,
                        label=label)
            drawn.append({"run_id": r[0], "label": label, "step": d[:, 0],
                          "balance_gap": d[:, 1]})
    ax.set_xlabel(r"iteration $t$")
    ax.set_ylabel(r"$\max_l \Vert W_{l+1}^\top W_{l+1}"
                  r" - W_l W_l^\top\Vert_F$")
    ax.set_title("Balancing gap along training, %s%s"
                 % (ctx.title, "\n" + common if common else ""), fontsize=10)
    legend_outside(ax)
    fig.tight_layout()
    desc = ("Largest balancing gap over layers against GD iteration (log "
            "scale; exact zeros are not drawn) for a few runs whose gap is "
            "above roundoff (one per regime where possible).")
    ctx.save(fig, "balance", desc, [pick_sql, sql], {"runs": drawn})


# ----------------------------------------------------------------------------
# Oscillating modes

def fig_oscillating(ctx):
    cols = ", ".join(OSC_COLUMNS)
    sql = ("SELECT %s, MIN(eta) AS eta, AVG(n_oscillating), "
           "MIN(n_oscillating), MAX(n_oscillating), "
           "MIN(n_oscillating_theory) FROM runs WHERE %s AND regime NOT IN "
           "('divergent', 'error') AND n_oscillating IS NOT NULL GROUP BY "
           "cell_hash ORDER BY %s, eta" % (cols, ctx.run_filter(), cols))
    rows = ctx.query(sql)
    if not rows:
        return "no n_oscillating recorded (or every run diverged)"
    nk = len(OSC_COLUMNS)
    keys = []
    for r in rows:
        if tuple(r[:nk]) not in keys:
            keys.append(tuple(r[:nk]))
    keys = first_groups(keys, MAX_GROUPS, "oscillating")
    common, distinct = describe_keys(keys, OSC_COLUMNS)
    scale = ctx.eta_scale()
    fig, ax = plt.subplots(figsize=(7.2, 3.8))
    top, mismatch = 1, 0
    theory_drawn = {}
    groups = []
    i_depth, i_spec = OSC_COLUMNS.index("depth"), OSC_COLUMNS.index("spectrum")
    for n, (key, name) in enumerate(zip(keys, distinct)):
        g = np.array([r[nk:] for r in rows if tuple(r[:nk]) == key], float)
        L, spec = key[i_depth], key[i_spec]
        s = dlndb.parse_spectrum(spec)
        c = "C%d" % n
        lo, hi = g[:, 0].min(), g[:, 0].max()
        if (L, spec) not in theory_drawn:
            if scale == "log":
                grid = np.geomspace(lo / 1.03, hi * 1.03, 2000)
            else:
                pad = 0.02 * (hi - lo if hi > lo else hi)
                grid = np.linspace(lo - pad, hi + pad, 2000)
            theory = [dlndb.n_oscillating_theory(e, L, s) for e in grid]
            ax.plot(grid, theory, color=c, lw=1.2, drawstyle="steps-post",
                    label="theory, $L = %d$, $s = (%s)$"
                    % (L, spec if len(spec) <= 24 else spec[:21] + "..."))
            theory_drawn[(L, spec)] = c
        ax.errorbar(g[:, 0], g[:, 1], yerr=[g[:, 1] - g[:, 2],
                                             g[:, 3] - g[:, 1]],
                    fmt=MARKERS[n], ms=4 + 2.2 * (len(keys) - 1 - n),
                    color=c, mfc="none", lw=0.8, zorder=3 + n,
                    label="measured" + (", " + name if name else ""))
        stored = g[:, 4]
        calc = np.array([dlndb.n_oscillating_theory(e, L, s) for e in g[:, 0]])
        mismatch += int(np.sum(np.isfinite(stored) & (stored != calc)))
        top = max(top, len(s), np.nanmax(g[:, 3]))
        groups.append({"key": dict(zip(OSC_COLUMNS, key)), "label": name,
                       "eta": g[:, 0], "mean": g[:, 1], "min": g[:, 2],
                       "max": g[:, 3], "theory": calc})
    if mismatch:
        note("oscillating: %d cells whose stored n_oscillating_theory "
             "differs from 2/(L s_i^(2-2/L)) counting" % mismatch)
    ax.set_ylim(-0.3, top + 0.5)
    ax.yaxis.get_major_locator().set_params(integer=True)
    set_value_axis(ax, "x", scale)
    ax.set_xlabel(LABELS["eta"])
    ax.set_ylabel("oscillating modes")
    ax.set_title(r"Modes past their EOS threshold $2/(L\,s_i^{2-2/L})$, "
                 "%s%s" % (ctx.title, "\n" + common if common else ""),
                 fontsize=10)
    legend_outside(ax, title="markers: mean over seeds, bars min-max",
                   title_fontsize=7)
    fig.tight_layout()
    desc = ("Number of oscillating modes at the end of training (mean over "
            "seeds, bars min-max; divergent runs left out) against the step "
            "size, one marker per group of cells (cells equal but for eta); "
            "lines: theory, the number of target singular values s_i with "
            "eta > 2/(L s_i^(2-2/L)).")
    ctx.save(fig, "oscillating", desc, [sql],
             {"xscale": scale, "common": common, "groups": groups})
