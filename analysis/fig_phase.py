"""fig_phase.py -- the regime map of analysis/figures.py: regime (shade per
period) over two axes, periods written where they fit, the edge of
stability per row."""
import numpy as np
import matplotlib.pyplot as plt
from matplotlib import patheffects
from matplotlib.colors import ListedColormap
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

import dlndb
import figstyle as fs
from figcommon import (EOS_LABEL, LABELS, cell_edges, declutter_xticks,
                       legend_outside, note, set_value_axis)

EOS_STYLES = ["-", "--", ":", "-."]


def cell_class(regime, period):
    """What sets a cell's colour: the regime, and the period if periodic."""
    return (regime, int(period or 0) if regime == "periodic" else None)


def class_colour(cls, pcolours):
    regime, period = cls
    return pcolours[period] if regime == "periodic" else \
        fs.regime_colour(regime)


def class_name(cls):
    regime, period = cls
    if regime != "periodic":
        return fs.regime_name(regime)
    return ("periodic, period %d" % period if period
            else "periodic, period unknown")


def legend_classes(classes):
    """The cell classes present in legend order (periods ascending)."""
    classes = set(classes)
    order = {g: i for i, g in enumerate(fs.regime_order(c[0]
                                                         for c in classes))}
    return sorted(classes, key=lambda c: (order[c[0]], c[1] or 0))


def annotate_periods(ax, line, ue, v0, v1, log_u, log_v, by_row, room,
                     pcolours):
    """Mark the periodic blocks of one line of cells (rows (u, regime,
    period) with cell edges ue along the line, spanning v0..v1 across it):
    a white separator where the period changes, and the period written
    once per block where the block and the line are large enough (room:
    the line's share of the axes across it).  Returns {cell index: text}
    for the blocks written."""
    def xy(u, v):
        return (u, v) if by_row else (v, u)
    written = {}
    n = len(line)
    f = np.log if log_u else (lambda t: t)
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
        span = (f(ue[k + 1]) - f(ue[i])) / (f(ue[-1]) - f(ue[0]))
        text_w, text_h = 0.012 * len(label) + 0.006, 0.035
        if (span >= (text_w if by_row else text_h) and
                room >= (text_h if by_row else text_w)):
            uc = np.sqrt(ue[i] * ue[k + 1]) if log_u else \
                (ue[i] + ue[k + 1]) / 2
            vc = np.sqrt(v0 * v1) if log_v and v0 > 0 else (v0 + v1) / 2
            colour = fs.text_colour(pcolours[int(line[i][2] or 0)])
            ax.text(*xy(uc, vc), label, ha="center", va="center",
                    fontsize=7, color=colour, fontweight="bold")
            for j in range(i, k + 1):
                written[j] = label
        i = k + 1
    return written


def draw_regime_map(ax, rows, log_x, log_y, pcolours):
    """Paint the phase rows (x, y, regime, period, ...) as cells coloured by
    regime (periodic cells by period).  Cells are laid out in lines along
    the axis with more distinct values, each line with its own edges, so
    lines sampled on different grids (e.g. eta ranges scaled per depth)
    leave no gaps.  Returns the (x, y) limits covered and one record per
    cell drawn."""
    xs = sorted({r[0] for r in rows})
    ys = sorted({r[1] for r in rows})
    by_row = len(xs) >= len(ys)
    a, b = (0, 1) if by_row else (1, 0)       # along, across
    vs = ys if by_row else xs
    log_u, log_v = (log_x, log_y) if by_row else (log_y, log_x)
    ve = cell_edges(vs, log_v)
    classes = legend_classes(cell_class(r[2], r[3]) for r in rows)
    cmap = ListedColormap([class_colour(c, pcolours) for c in classes])
    ulo, uhi = np.inf, -np.inf
    cells = []
    for j, v in enumerate(vs):
        line = sorted(((r[a], r[2], r[3], r) for r in rows if r[b] == v),
                      key=lambda t: t[0])
        ue = cell_edges([t[0] for t in line], log_u)
        code = np.array([[classes.index(cell_class(t[1], t[2]))
                          for t in line]])
        if by_row:
            ax.pcolormesh(ue, ve[j:j + 2], code, cmap=cmap, vmin=-0.5,
                          vmax=len(classes) - 0.5, shading="flat",
                          rasterized=True)
        else:
            ax.pcolormesh(ve[j:j + 2], ue, code.T, cmap=cmap, vmin=-0.5,
                          vmax=len(classes) - 0.5, shading="flat",
                          rasterized=True)
        for n, t in enumerate(line):
            if not fs.known(t[1]):
                u0, u1, v0, v1 = ue[n], ue[n + 1], ve[j], ve[j + 1]
                x0, x1, y0, y1 = (u0, u1, v0, v1) if by_row else \
                    (v0, v1, u0, u1)
                ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0,
                                       facecolor=fs.UNKNOWN_COLOUR,
                                       hatch=fs.UNKNOWN_HATCH,
                                       edgecolor=fs.UNKNOWN_EDGE, lw=0))
        written = annotate_periods(ax, line, ue, ve[j], ve[j + 1], log_u,
                                   log_v, by_row, 1.0 / len(vs), pcolours)
        for n, t in enumerate(line):
            r = t[3]
            cells.append({"x": r[0], "y": r[1], "regime": r[2],
                          "period": r[3], "n_runs": r[4], "n_cells": r[5],
                          "colour": class_colour(cell_class(r[2], r[3]),
                                                 pcolours),
                          "text": written.get(n)})
        ulo, uhi = min(ulo, ue[0]), max(uhi, ue[-1])
    lims = ((ulo, uhi), (ve[0], ve[-1]))
    return (lims if by_row else lims[::-1]), cells


def eos_segments(ctx, x, y, rows, scales):
    """The edge of stability eta = 2/(L s_1^(2-2/L)) on the map: in each row
    (a value of the axis that is not eta) one segment across that row's
    cells per (depth, s_1) of its runs, so a single depth is a straight
    line across its row, never a slope.  Returns ([segment dicts], SQL),
    ([], None) when neither axis is eta."""
    if "eta" not in (x, y):
        return [], None
    other = y if x == "eta" else x
    sql = ("SELECT DISTINCT %s, depth, s1 FROM runs WHERE %s AND s1 > 0 "
           "AND %s IS NOT NULL ORDER BY %s, depth, s1"
           % (other, ctx.run_filter(), other, other))
    vals = sorted({r[1] if x == "eta" else r[0] for r in rows})
    edges = cell_edges(vals, scales[other] == "log")
    styles = {}
    segs = []
    dropped = set()
    for v, L, s1 in ctx.query(sql):
        if v not in vals:
            continue
        # What the row value does not fix names the line style.
        key = (s1,) if other == "depth" else (L,) if other == "s1" \
            else (L, s1)
        if key not in styles:
            if len(styles) == len(EOS_STYLES):
                dropped.add(key)
                continue
            styles[key] = len(styles)
        j = vals.index(v)
        eta = dlndb.eos_eta(L, s1)
        span = [edges[j], edges[j + 1]]
        pts = [[eta, span[0]], [eta, span[1]]] if x == "eta" else \
            [[span[0], eta], [span[1], eta]]
        segs.append({"row": v, "depth": L, "s1": s1, "eta": eta,
                     "points": pts, "style": styles[key], "key": key})
    if dropped:
        note("phase: EOS lines for %d more (depth, s1) values not drawn "
             "(at most %d line styles); fix them with --where"
             % (len(dropped), len(EOS_STYLES)))
    return segs, sql


def edge_note(ax, seg, eta_on_x, eta_lim):
    """When the EOS onset of a row lies outside the map's eta range, say so
    at that edge of the row (an arrow to the left: the onset lies below
    the first value).  Returns the text written, or None."""
    lo, hi = min(eta_lim), max(eta_lim)
    eta = seg["eta"]
    if lo <= eta <= hi:
        return None
    below = eta < lo
    text = ("\u25c0 EOS at \u03b7 = %s" if below else
            "EOS at \u03b7 = %s \u25b6") % \
        fs.value_labels([eta])[eta]
    v0, v1 = seg["points"][0][1 if eta_on_x else 0], \
        seg["points"][1][1 if eta_on_x else 0]
    t = 0.12       # near the row's low edge, clear of the period labels
    vc = v0 ** (1 - t) * v1 ** t if (ax.get_yscale() if eta_on_x else
                                     ax.get_xscale()) == "log" \
        else v0 + t * (v1 - v0)
    u = lo if below else hi
    xy = (u, vc) if eta_on_x else (vc, u)
    ax.annotate(text, xy, xytext=(3 if below else -3, 0) if eta_on_x else
                (0, 3 if below else -3), textcoords="offset points",
                ha=("left" if below else "right") if eta_on_x else "center",
                va="center" if eta_on_x else ("bottom" if below else "top"),
                fontsize=7, color="white", path_effects=[
                    patheffects.withStroke(linewidth=2, foreground="black")],
                rotation=0 if eta_on_x else 90)
    return text


def eos_style_label(key, other, n_styles):
    if n_styles <= 1:
        return EOS_LABEL
    if other == "depth":
        return EOS_LABEL + ", $s_1 = %g$" % key[0]
    if other == "s1":
        return EOS_LABEL + ", $L = %d$" % key[0]
    return EOS_LABEL + ", $L = %d$, $s_1 = %g$" % key


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
    scales = {a: ctx.eta_scale() if a == "eta" else fs.axis_scale([v])
              for a, v in ((x, xs), (y, ys))}
    pcolours = fs.period_colours([r[3] for r in rows
                                  if r[2] == "periodic"] + [0])

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    ax.set_xscale(scales[x])
    ax.set_yscale(scales[y])
    lims, cells = draw_regime_map(ax, rows, scales[x] == "log",
                                  scales[y] == "log", pcolours)
    set_value_axis(ax, "x", scales[x], xs)
    set_value_axis(ax, "y", scales[y], ys)

    segs, eos_sql = eos_segments(ctx, x, y, rows, scales)
    classes = legend_classes(cell_class(r[2], r[3]) for r in rows)
    handles = []
    for c in classes:
        if fs.known(c[0]):
            handles.append(Patch(facecolor=class_colour(c, pcolours),
                                 label=class_name(c)))
        else:
            handles.append(Patch(facecolor=fs.UNKNOWN_COLOUR,
                                 hatch=fs.UNKNOWN_HATCH,
                                 edgecolor=fs.UNKNOWN_EDGE,
                                 label=class_name(c)))
    outline = [patheffects.withStroke(linewidth=3.2, foreground="black")]
    other = y if x == "eta" else x
    n_styles = len({s["key"] for s in segs})
    shown = set()
    eta_lim = lims[0] if x == "eta" else lims[1]
    for s in segs:
        style = dict(color="white", lw=1.6, ls=EOS_STYLES[s["style"]],
                     path_effects=outline)
        ax.plot(*zip(*s["points"]), **style)
        s["outside"] = edge_note(ax, s, x == "eta", eta_lim)
        if s["style"] not in shown:
            shown.add(s["style"])
            handles.append(Line2D([], [], label=eos_style_label(
                s["key"], other, n_styles), **style))
    ax.set_xlim(*lims[0])
    ax.set_ylim(*lims[1])
    ax.set_xlabel(LABELS[x])
    ax.set_ylabel(LABELS[y])
    pooled = max(r[5] for r in rows)
    ax.set_title("Regime map, %s%s" % (
        ctx.title, "" if pooled <= 1 else
        " (up to %d cells per point)" % pooled), fontsize=10)
    legend_outside(ax, handles)
    fig.tight_layout()
    if declutter_xticks(fig, ax):
        fig.tight_layout()
    if pooled > 1:
        note("phase: points pool up to %d cells (other parameters vary); "
             "fix them with --where" % pooled)
    desc = ("Regime (majority over seeds%s) of each (%s, %s) point, colour "
            "per regime, periodic cells shaded by period (legend) with the "
            "period written where it fits; white lines: theoretical onset "
            "of the 2-cycle eta = 2/(L s_1^(2-2/L)), drawn across each row "
            "for that row's depth and s_1."
            % ("" if pooled <= 1 else " and over the %d cells pooled per "
               "point" % pooled, x, y))
    data = {"x": x, "y": y, "xscale": scales[x], "yscale": scales[y],
            "cells": cells,
            "legend": [{"label": h.get_label(),
                        "colour": h.get_facecolor() if isinstance(h, Patch)
                        else None} for h in handles],
            "eos": [{k: v for k, v in s.items() if k != "key"}
                    for s in segs]}
    ctx.save(fig, "phase", desc, [sql] + ([eos_sql] if eos_sql else []),
             data)
