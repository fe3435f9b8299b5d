"""fig_detail.py -- the figures of analysis/figures.py drawn from the
per-step detail (schema 7: JSON columns of orbits and point_details): the
oscillation range of every target mode against eta, the layers' singular
values along training, and every mode's balancing gap across every layer
pair."""
import numpy as np
import matplotlib.pyplot as plt
from matplotlib.lines import Line2D

import dlndb
import figstyle as fs
from fig_orbits import line_select, panel_lines
from fig_training import pick_runs, run_labels
from figcommon import LABELS, legend_outside, note, set_value_axis

MAX_PANELS = 8          # lines of cells in osc_range
MAX_GAP_PANELS = 6      # (pair, mode) panels in the balance figure


# ----------------------------------------------------------------------------
# Oscillation range of every mode (the paper's Figure 2)

def fig_osc_range(ctx):
    ncol = len(dlndb.LINE_COLUMNS)
    sql = ("SELECT %s, r.id, r.eta, r.spectrum, r.regime, o.k, o.modes "
           "FROM orbits o JOIN runs r ON r.id = o.run_id WHERE %s AND "
           "o.modes IS NOT NULL AND o.k >= (SELECT MAX(k) - 1 FROM orbits "
           "WHERE run_id = o.run_id) ORDER BY %s, r.eta, r.id, o.k"
           % (line_select("r."), ctx.run_filter("r.sweep_id", "r.id"),
              line_select("r.")))
    rows = ctx.query(sql)
    runs = {}
    for r in rows:
        runs.setdefault(r[ncol], []).append(r)
    lines = {}
    for rid, rr in runs.items():
        if len(rr) < 2:
            continue
        a = np.array(dlndb.json_values(rr[-2][ncol + 5]), float)
        b = np.array(dlndb.json_values(rr[-1][ncol + 5]), float)
        r = rr[-1]
        lines.setdefault(tuple(r[:ncol]), []).append(
            (r[ncol + 1], r[ncol + 2], r[ncol + 3], list(np.abs(b - a))))
    if not lines:
        return ("no target modes in the late orbit (orbits written before "
                "schema version 7, or tail < 2)")
    keys, seeds, no_orbit, common, distinct, nsql = panel_lines(
        ctx, "osc_range", lines, "modes", MAX_PANELS)
    scale = ctx.eta_scale()
    fig, axes = plt.subplots(len(keys), 1, sharex=True, squeeze=False,
                             figsize=(7.2, 1.4 + 2.6 * len(keys)))
    panels, handles = [], {}
    for ax, key, title in zip(axes[:, 0], keys, distinct):
        pts = lines[key]
        L = key[dlndb.LINE_COLUMNS.index("depth")]
        spec = dlndb.parse_spectrum(pts[0][1])
        eta = np.array([p[0] for p in pts], float)
        nmodes = max(len(p[3]) for p in pts)
        rng = np.array([p[3] + [np.nan] * (nmodes - len(p[3]))
                        for p in pts], float)
        onsets = []
        for i in range(nmodes):
            c = fs.index_colour(i + 1)
            s = spec[i] if i < len(spec) else 0.0
            lab = r"mode %d ($s_{%d} = %g$)" % (i + 1, i + 1, s)
            ax.plot(eta, rng[:, i], color=c, lw=1.0, marker="o", ms=3.5,
                    label=lab)
            handles.setdefault(lab, Line2D([], [], color=c, lw=1.0,
                                           marker="o", ms=3.5, label=lab))
            if s > 0:
                e = dlndb.eos_eta(L, s)
                onsets.append({"mode": i + 1, "eta": e})
                ax.axvline(e, color=c, lw=0.9, ls="--")
        missing = no_orbit.get(key, [])
        if missing:
            ax.plot([m[0] for m in missing], [0.0] * len(missing), ls="none",
                    marker="x", ms=5, mew=1.2, color=fs.regime_colour(
                        "divergent"), transform=ax.get_xaxis_transform(),
                    clip_on=False)
            handles.setdefault("x", Line2D(
                [], [], ls="none", marker="x", ms=5, mew=1.2,
                color=fs.regime_colour("divergent"),
                label="run without late orbit (on the axis)"))
        top = np.nanmax(rng) if np.isfinite(rng).any() else 1.0
        ax.set_ylim(-0.04 * max(top, 1e-12), 1.1 * max(top, 1e-12))
        ax.set_ylabel(r"$|m_i(T) - m_i(T-1)|$")
        ax.set_title(title or None, fontsize=9, loc="left")
        panels.append({"key": dict(zip(dlndb.LINE_COLUMNS, key)),
                       "seeds": seeds[key], "title": title, "eta": eta,
                       "range": rng.T, "regime": [p[2] for p in pts],
                       "onsets": onsets,
                       "no_orbit": [{"eta": m[0], "regime": m[1]}
                                    for m in missing]})
    set_value_axis(axes[-1, 0], "x", scale)
    axes[-1, 0].set_xlabel(LABELS["eta"])
    fig.suptitle("Oscillation range of each target mode, %s%s"
                 % (ctx.title, "\n" + common if common else ""), fontsize=10)
    hl = list(handles.values()) + [Line2D(
        [], [], color="black", lw=0.9, ls="--",
        label=r"onset $2/(L\,s_i^{2-2/L})$ (mode's colour)")]
    legend_outside(axes[0, 0], hl)
    fig.tight_layout()
    desc = ("Oscillation range |m_i(T) - m_i(T-1)| of every target mode "
            "m_i = u_i^T W_{L:1} v_i (in the target's order, never sorted) "
            "over the last two steps of each run (the orbits table's modes "
            "column) against the step size, one panel per line of cells; "
            "dashed, in each mode's colour: its 2-cycle onset "
            "2/(L s_i^(2-2/L)); crosses on the eta axis: runs without a "
            "late orbit (e.g. divergent).")
    ctx.save(fig, "osc_range", desc, [sql, nsql],
             {"xscale": scale, "common": common, "panels": panels})


# ----------------------------------------------------------------------------
# Layers' singular values along training

def detail_series(ctx, runs, column):
    """{run id: (steps, [[values of one point]])} of a detail column of the
    runs' trajectory points (point_details), and the SQL."""
    ids = ", ".join("%d" % r[0] for r in runs)
    sql = ("SELECT run_id, step, %s FROM point_details WHERE run_id IN (%s) "
           "AND %s IS NOT NULL ORDER BY run_id, step" % (column, ids, column))
    out = {}
    for rid, step, text in ctx.query(sql):
        s, v = out.setdefault(rid, ([], []))
        s.append(step)
        v.append(dlndb.json_values(text))
    return out, sql


def fig_layers(ctx):
    runs, pick_sql = pick_runs(ctx, "layers")
    if not runs:
        return ("no trajectory with the layers' singular values (run with "
                "diagnostics: record_detail: true)")
    data, sql = detail_series(ctx, runs, "layer_sv")
    runs = [r for r in runs if len(data.get(r[0], ([], []))[0]) >= 2]
    if not runs:
        return "fewer than 2 detailed trajectory points per run"
    labels, common = run_labels(runs, ctx.eta_values() + [r[1] for r in runs])
    fig, axes = plt.subplots(len(runs), 1, sharex=True, squeeze=False,
                             figsize=(7.6, 1.2 + 2.2 * len(runs)))
    drawn, handles = [], {}
    for ax, r, label in zip(axes[:, 0], runs, labels):
        steps, vals = data[r[0]]
        v = np.array(vals, float)
        for l in range(v.shape[1]):
            c = fs.index_colour(l + 1)
            lab = r"$\sigma_1(W_{%d})$" % (l + 1)
            ax.plot(steps, v[:, l], color=c, lw=1.0, label=lab)
            handles.setdefault(lab, Line2D([], [], color=c, lw=1.0,
                                           label=lab))
        ax.set_ylabel("top singular value")
        ax.set_title(label, fontsize=9, loc="left")
        drawn.append({"run_id": r[0], "label": label, "step": steps,
                      "layer_sv": v.T})
    axes[-1, 0].set_xlabel(r"iteration $t$")
    fig.suptitle("Layers' top singular values along training, %s%s"
                 % (ctx.title, "\n" + common if common else ""), fontsize=10)
    legend_outside(axes[0, 0], list(handles.values()))
    fig.tight_layout()
    desc = ("Top singular value of every layer W_l against GD iteration "
            "(point_details' layer_sv column, record_detail) for "
            "a few runs (one per regime where possible, or --run).")
    ctx.save(fig, "layers", desc, [pick_sql, sql], {"runs": drawn})


# ----------------------------------------------------------------------------
# Balancing gap of every mode across every layer pair

def draw_balance_modes(ctx, runs, labels, common):
    """The balance figure from the trajectories' mode_gaps: one panel per
    (layer pair, mode), a curve per run; None when no run has them."""
    data, sql = detail_series(ctx, runs, "mode_gaps")
    gsql = sql.replace("mode_gaps", "balance_gaps")
    pairs = {r[0]: r for r in ctx.query(
        "SELECT id, depth, rank FROM runs WHERE id IN (%s)"
        % ", ".join("%d" % r[0] for r in runs))}
    cells = sorted({(l, i) for r in runs if r[0] in data
                    for l in range(1, pairs[r[0]][1])
                    for i in range(1, pairs[r[0]][2] + 1)})
    if not cells:
        return None
    if len(cells) > MAX_GAP_PANELS:
        note("balance: %d (pair, mode) panels, drawing the first %d"
             % (len(cells), MAX_GAP_PANELS))
        cells = cells[:MAX_GAP_PANELS]
    fig, axes = plt.subplots(len(cells), 1, sharex=True, squeeze=False,
                             figsize=(7.6, 1.2 + 2.0 * len(cells)))
    drawn = []
    for ax, (l, i) in zip(axes[:, 0], cells):
        for n, (r, label) in enumerate(zip(runs, labels)):
            if r[0] not in data or l >= pairs[r[0]][1] or \
                    i > pairs[r[0]][2]:
                continue
            steps, vals = data[r[0]]
            rank = pairs[r[0]][2]
            y = np.array([v[(l - 1) * rank + i - 1] for v in vals], float)
            ax.plot(steps, y, color="C%d" % n, lw=1.2,
                    label=label if (l, i) == cells[0] else None)
            drawn.append({"run_id": r[0], "label": label, "pair": l,
                          "mode": i, "step": steps, "gap": y})
        ax.axhline(0.0, color="grey", lw=0.6)
        ax.set_ylabel(r"$w_{%d,%d}^2 - w_{%d,%d}^2$" % (l + 1, i, l, i))
        ax.set_title(r"layers %d, %d, mode %d: $\Vert W_{%d} e_{%d}\Vert^2 "
                     r"- \Vert e_{%d}^\top W_{%d}\Vert^2$"
                     % (l, l + 1, i, l + 1, i, i, l), fontsize=9, loc="left")
    axes[-1, 0].set_xlabel(r"iteration $t$")
    fig.suptitle("Balancing gap of each mode, %s%s"
                 % (ctx.title, "\n" + common if common else ""), fontsize=10)
    legend_outside(axes[0, 0])
    fig.tight_layout()
    desc = ("Balancing gap of each target mode i across each adjacent layer "
            "pair (l, l+1), (D_l)_ii = ||W_{l+1} e_i||^2 - ||e_i^T W_l||^2 "
            "(w_{l+1,i}^2 - w_{l,i}^2 for a diagonal network), against GD "
            "iteration (point_details' mode_gaps column, "
            "record_detail), one curve per run; conserved by gradient flow, "
            "changed by GD by eta^2 (G_{l+1}^T G_{l+1} - G_l G_l^T)_ii.")
    return fig, desc, [sql, gsql], {"mode_gaps": drawn}
