"""fig_orbits.py -- the late-orbit figures of analysis/figures.py: the
bifurcation diagram (one panel per line of cells) and the period-doubling
cascade located by a refine: sweep."""
import math

import numpy as np
import matplotlib.pyplot as plt
from matplotlib.lines import Line2D

import dlndb
import figstyle as fs
from figcommon import (EOS_LABEL, LABELS, describe_keys, legend_outside,
                       note, set_value_axis)
from quantities import (QUANTITIES, orbit_values, parse_quantities,
                        quantity_label, quantity_text, quantity_title)

FEIGENBAUM = 4.669201609
MAX_PANELS = 8          # lines of cells in the bifurcation figure
QUANTITY_WORDS = {"sv": "singular values", "mode": "target modes",
                  "hessian": "Hessian eigenvalues", "loss": "loss"}


def line_select(prefix=""):
    return ", ".join(prefix + c for c in dlndb.LINE_COLUMNS)


def marker_size(n_eta):
    """Scatter dot area: visible on a sparse grid, fine on a dense one."""
    return 6.0 if n_eta <= 30 else 2.0 if n_eta <= 300 else 0.5


# ----------------------------------------------------------------------------
# Bifurcation diagram

def merge_identical_seeds(lines, no_orbit):
    """{kept key: [seed indices]}: lines (key -> points) that differ only in
    the seed index (the last key column) and hold the same late orbits bit
    for bit (a deterministic init: the seed changes nothing) share a panel;
    any difference keeps a line apart."""
    seeds = {}
    for key in sorted(lines):
        for kept in seeds:
            if (kept[:-1] == key[:-1] and lines[kept] == lines[key] and
                    no_orbit.get(kept, []) == no_orbit.get(key, [])):
                seeds[kept].append(key[-1])
                break
        else:
            seeds[key] = [key[-1]]
    return seeds


def panel_lines(ctx, figure, lines, column, limit):
    """The lines of cells (keys of lines: LINE_COLUMNS values) a late-orbit
    figure draws, at most limit of them, seeds sharing a line when their
    orbits are identical; and the runs of the selection without a late
    orbit (orbits.column NULL: divergent ones), to mark on the eta axis so
    a diagram does not seem to end where they start.  Returns (keys,
    {key: seeds}, {key: [(eta, regime)]}, common title, [panel titles],
    SQL of the runs without an orbit)."""
    ncol = len(dlndb.LINE_COLUMNS)
    nsql = ("SELECT %s, r.eta, r.regime FROM runs r WHERE %s AND NOT EXISTS "
            "(SELECT 1 FROM orbits o WHERE o.run_id = r.id AND o.%s IS NOT "
            "NULL) ORDER BY %s, r.eta"
            % (line_select("r."), ctx.run_filter("r.sweep_id"), column,
               line_select("r.")))
    no_orbit = {}
    for r in ctx.query(nsql):
        no_orbit.setdefault(tuple(r[:ncol]), []).append(r[ncol:])
    seeds = merge_identical_seeds(lines, no_orbit)
    keys = sorted(seeds)
    if len(keys) > limit:
        note("%s: %d lines of cells (different %s), plotting the first %d; "
             "choose with --where"
             % (figure, len(keys), ", ".join(
                 c for i, c in enumerate(dlndb.LINE_COLUMNS)
                 if len({k[i] for k in keys}) > 1), limit))
        keys = keys[:limit]
    common, distinct = describe_keys(
        [k[:-1] + (seeds[k][0] if len(seeds[k]) == 1 else
                   ", ".join(str(i) for i in seeds[k]),) for k in keys],
        dlndb.LINE_COLUMNS)
    return keys, seeds, no_orbit, common, distinct, nsql


def draw_orbit_panel(ax, kind, pts, spectrum, depth, etas):
    """One panel of the bifurcation figure: the points [(eta, regime,
    [(i, value)])] of one line and quantity; colour the regime when the
    panel holds one index, else the index.  Returns (data, handles)."""
    idx = sorted({i for p in pts for i, _ in p[2]})
    one = len(idx) == 1
    eta = np.array([p[0] for p in pts for _ in p[2]], float)
    val = np.array([v for p in pts for _, v in p[2]], float)
    ind = np.array([i for p in pts for i, _ in p[2]], int)
    reg = [p[1] for p in pts for _ in p[2]]
    ok = np.isfinite(eta) & np.isfinite(val)
    size = marker_size(len(set(eta[ok])))
    handles = []
    if one:
        for g in fs.regime_order(reg):
            m = ok & np.array([x == g for x in reg])
            ax.scatter(eta[m], val[m], s=size, c=fs.regime_colour(g),
                       lw=0 if fs.known(g) else 0.6, rasterized=True,
                       edgecolors="face" if fs.known(g) else fs.UNKNOWN_EDGE)
    else:
        for i in idx:
            m = ok & (ind == i)
            ax.scatter(eta[m], val[m], s=size, c=fs.index_colour(i), lw=0,
                       rasterized=True)
            handles.append(Line2D([], [], ls="none", marker="o", ms=4,
                                  color=fs.index_colour(i),
                                  label=quantity_label(kind, i, True)))
    lines = []
    if kind in ("sv", "mode") and spectrum:
        for i in (idx if kind == "mode" else [1]):
            if i <= len(spectrum) and spectrum[i - 1] > 0:
                e = dlndb.eos_eta(depth, spectrum[i - 1])
                lines.append({"index": i, "eta": e})
                ax.axvline(e, lw=0.9, ls="--", color="black" if one or
                           kind == "sv" else fs.index_colour(i))
    if kind == "hessian" and ok.any():
        lo, hi = min(etas), max(etas)
        grid = np.linspace(lo, hi, 200)
        ax.plot(grid, 2.0 / grid, color="black", lw=1.0, ls="-.")
    fin = val[ok]
    if kind == "sv":
        top = fin.max() if len(fin) and fin.max() > 0 else 1.0
        ax.set_ylim(-0.04 * top, 1.08 * top)   # collapsed orbits (0) show
    elif len(fin):
        lo, hi = fin.min(), fin.max()
        pad = 0.06 * (hi - lo) if hi > lo else 0.06 * max(abs(hi), 1.0)
        ax.set_ylim(lo - pad, hi + pad)
    ax.set_ylabel(quantity_label(kind, idx[0] if one else "i"))
    data = {"quantity": kind, "indices": idx, "eta": eta[ok],
            "index": ind[ok], "value": val[ok],
            "regime": [g for g, o in zip(reg, ok) if o], "onsets": lines}
    return data, handles


def fig_bifurcation(ctx):
    ncol = len(dlndb.LINE_COLUMNS)
    specs = parse_quantities(ctx.args.quantity)
    cols = sorted({QUANTITIES[k][0] for k, _ in specs} - {"loss", "sv"})
    sql = ("SELECT %s, r.eta, r.spectrum, r.regime, o.sv1, o.loss, o.sv%s "
           "FROM orbits o JOIN runs r ON r.id = o.run_id WHERE %s ORDER BY "
           "%s, r.eta, r.id, o.k"
           % (line_select("r."), "".join(", o." + c for c in cols),
              ctx.run_filter("r.sweep_id", "r.id"), line_select("r.")))
    rows = ctx.query(sql)
    lines = {}
    for r in rows:
        extra = dict(zip(["sv"] + cols, r[ncol + 5:]))
        vals = [orbit_values(k, ix, r[ncol + 3], r[ncol + 4],
                             extra.get(QUANTITIES[k][0]))
                for k, ix in specs]
        if any(vals):
            lines.setdefault(tuple(r[:ncol]), []).append(
                (r[ncol], r[ncol + 1], r[ncol + 2], vals))
    if not lines:
        if rows and any(k == "hessian" for k, _ in specs):
            return ("no Hessian eigenvalues in the late orbit (run with "
                    "diagnostics: orbit_hessian: true)")
        return ("no late-orbit points for %s (orbits table empty for this "
                "selection, or written before schema version 7)"
                % ", ".join(quantity_text(*q) for q in specs))
    limit = max(1, MAX_PANELS // len(specs))
    keys, seeds, no_orbit, common, distinct, nsql = panel_lines(
        ctx, "bifurcation", lines, "sv1", limit)
    todo = [(key, title, q, spec) for key, title in zip(keys, distinct)
            for q, spec in enumerate(specs)
            if any(p[3][q] for p in lines[key])]
    scale = ctx.eta_scale()
    etas = ctx.eta_values()
    fig, axes = plt.subplots(len(todo), 1, sharex=True, squeeze=False,
                             figsize=(7.2, 1.3 + 1.9 * len(todo)))
    regimes_seen, panels, index_handles = set(), [], {}
    one_index = True
    for ax, (key, title, q, (kind, ix)) in zip(axes[:, 0], todo):
        pts = [(p[0], p[2], p[3][q]) for p in lines[key]]
        L = key[dlndb.LINE_COLUMNS.index("depth")]
        spectrum = dlndb.parse_spectrum(lines[key][0][1])
        data, handles = draw_orbit_panel(ax, kind, pts, spectrum, L, etas)
        one_index &= len(data["indices"]) == 1
        for h in handles:
            index_handles.setdefault(h.get_label(), h)
        regimes_seen.update(data["regime"])
        missing = no_orbit.get(key, [])
        for g in fs.regime_order(m[1] for m in missing):
            ax.plot([m[0] for m in missing if m[1] == g],
                    [0.0] * sum(m[1] == g for m in missing), ls="none",
                    marker="x", ms=5, mew=1.2,
                    color=fs.regime_colour(g) if fs.known(g) else
                    fs.UNKNOWN_EDGE,
                    transform=ax.get_xaxis_transform(), clip_on=False)
            regimes_seen.add(g)
        label = title if len(specs) == 1 else \
            ", ".join(t for t in (title, quantity_title(kind, data["indices"]))
                      if t)
        ax.set_title(label or None, fontsize=9, loc="left")
        s1 = spectrum[0] if spectrum else None
        panel = {"key": dict(zip(dlndb.LINE_COLUMNS, key)),
                 "seeds": seeds[key], "title": label,
                 "eos_eta": dlndb.eos_eta(L, s1) if s1 else None,
                 "no_orbit": [{"eta": m[0], "regime": m[1]}
                              for m in missing]}
        panel.update(data)
        if kind == "sv" and data["indices"] == [1]:
            panel["sv1"] = data["value"]
        panels.append(panel)
    set_value_axis(axes[-1, 0], "x", scale)
    axes[-1, 0].set_xlabel(LABELS["eta"])
    what = ", ".join(quantity_text(*q) for q in specs)
    fig.suptitle("Bifurcation diagram (late orbit%s), %s%s"
                 % ("" if what == "sv:1" else
                    ": " + ", ".join(QUANTITY_WORDS[k] for k, _ in specs),
                    ctx.title, "\n" + common if common else ""),
                 fontsize=10)
    handles = []
    if one_index:
        handles += [Line2D([], [], ls="none", marker="o", ms=4,
                           color=fs.regime_colour(g),
                           mec=None if fs.known(g) else fs.UNKNOWN_EDGE,
                           label=fs.regime_name(g))
                    for g in fs.regime_order(regimes_seen)]
    handles += list(index_handles.values())
    if any(no_orbit.get(k) for k in keys):
        handles.append(Line2D([], [], ls="none", marker="x", ms=5, mew=1.2,
                              color="grey", label="run without late orbit "
                              "(on the axis)"))
    kinds = {k for k, _ in specs}
    if kinds & {"sv", "mode"}:
        handles.append(Line2D([], [], color="black", lw=0.9, ls="--",
                              label=EOS_LABEL if "mode" not in kinds else
                              r"mode $i$'s onset $2/(L\,s_i^{2-2/L})$"))
    if "hessian" in kinds:
        handles.append(Line2D([], [], color="black", lw=1.0, ls="-.",
                              label=r"$2/\eta$ (stability threshold)"))
    legend_outside(axes[0, 0], handles,
                   title="colour: the run's regime" if one_index else
                   "colour: the index", title_fontsize=8)
    fig.tight_layout()
    desc = ("Late-orbit values (the orbits table: the last `tail` steps of "
            "each run) of %s against the step size, one panel per line of "
            "cells%s (cells equal but for eta, one seed; seeds share a panel "
            "only when their late orbits are identical; panel titles name "
            "what differs between panels, the figure title what they "
            "share); dots coloured by the run's regime where a panel shows "
            "one index, else by the index; crosses on the eta axis: runs "
            "without a late orbit (e.g. divergent); dashed: the 2-cycle "
            "onsets 2/(L s_i^(2-2/L)) (singular values: s_1's; modes: each "
            "mode's), and for Hessian eigenvalues the stability threshold "
            "2/eta."
            % (what, " and quantity" if len(specs) > 1 else ""))
    ctx.save(fig, "bifurcation", desc, [sql, nsql],
             {"xscale": scale, "common": common, "quantities": what,
              "panels": panels})


# ----------------------------------------------------------------------------
# Period-doubling cascade (a refine: sweep's located boundaries)

def doubling_chain(pts):
    """The longest run of consecutive doublings p -> 2p -> 4p ... in pts
    (sorted by eta)."""
    best, cur = [], []
    for p in pts:
        if cur and p["period_from"] == cur[-1]["period_to"]:
            cur.append(p)
        else:
            cur = [p]
        if len(cur) > len(best):
            best = list(cur)
    return best


def interval_ratios(chain):
    """delta_k = (b_{k+1} - b_k) / (b_{k+2} - b_{k+1}) with the range it
    can take while each b lies in its bracket [eta_lo, eta_hi]; None for
    the range when the brackets leave an interval's sign open."""
    out = []
    for k in range(len(chain) - 2):
        b = [c["eta"] for c in chain[k:k + 3]]
        lo = [c["eta_lo"] for c in chain[k:k + 3]]
        hi = [c["eta_hi"] for c in chain[k:k + 3]]
        val = (b[1] - b[0]) / (b[2] - b[1])
        num_lo, num_hi = lo[1] - hi[0], hi[1] - lo[0]
        den_lo, den_hi = lo[2] - hi[1], hi[2] - lo[1]
        if num_lo > 0 and den_lo > 0:
            rng = [num_lo / den_hi, num_hi / den_lo]
        else:
            rng = None
        out.append({"k": k + 1, "value": val, "range": rng})
    return out


def eta_text(eta, gap):
    """eta with as many decimals as its bracket supports (12: exact)."""
    dec = max(3, min(12, int(math.ceil(-math.log10(gap))) if gap > 0
                     else 12))
    return "%.*f" % (dec, eta)


def fig_cascade(ctx):
    ncol = len(dlndb.LINE_COLUMNS)
    sql = ("SELECT %s, eta, gap, eta_lo, eta_hi, period_from, period_to, "
           "method FROM boundaries WHERE %s AND kind = 'period-doubling' "
           "ORDER BY %s, eta" % (line_select(),
                                 ctx.run_filter(view=True),
                                 line_select()))
    rows = ctx.query(sql)
    if not rows:
        return ("no period doublings on any line (the boundaries view; run "
                "a sweep with a refine: section)")
    refine = dlndb.sweep_refine(ctx.con, ctx.sweep_id)
    widest = max(r[ncol + 1] for r in rows)
    if refine is None or refine[0] != "eta":
        return ("the period doublings of %s come from an unrefined grid "
                "(%s; brackets up to %s wide): locate them with a sweep "
                "whose refine: section has axis eta"
                % (ctx.title, "no refine: section" if refine is None else
                   "refined along %s, not eta" % refine[0], "%.3g" % widest))
    # Continuation locates points exactly (gap 0); bisection to its tol.
    method = refine[3]
    tol = refine[1] if method == "bisection" else 0.0
    lines, unlocated = {}, 0
    for r in rows:
        p = dict(zip(("eta", "gap", "eta_lo", "eta_hi", "period_from",
                      "period_to", "method"), r[ncol:]))
        if p["method"] != method:
            continue   # a continuation sweep's coarse grid brackets
        if p["gap"] is not None and p["gap"] <= tol * (1 + 1e-6):
            lines.setdefault(tuple(r[:ncol]), []).append(p)
        else:
            unlocated += 1
    chains = {k: doubling_chain(v) for k, v in lines.items()}
    best = max(chains, key=lambda k: (len(chains[k]), k), default=None)
    if best is None or len(chains[best]) < 3:
        return ("fewer than 3 consecutive period doublings located (%s) on "
                "any line (longest: %d; %d more doublings are bracketed "
                "wider than that)"
                % ("by continuation" if method == "continuation" else
                   "to the refine tolerance %g" % tol,
                   len(chains[best]) if best else 0, unlocated))
    chain = chains[best]
    if len(chains) > 1:
        note("cascade: %d lines have located doublings; drawn the one with "
             "the longest cascade (choose with --where)" % len(chains))
    key = dict(zip(dlndb.LINE_COLUMNS, best))
    cond = " AND ".join("%s = %s" % (c, ("'%s'" % v.replace("'", "''"))
                                     if isinstance(v, str) else repr(v))
                        for c, v in key.items())
    osql = ("SELECT eta, sv1 FROM bifurcation WHERE %s AND run_id IN "
            "(SELECT id FROM runs WHERE %s) AND sv1 IS NOT NULL"
            % (ctx.run_filter(id_column="run_id", view=True), cond))
    orbit = np.array(ctx.query(osql) or [(np.nan, np.nan)], float)
    ratios = interval_ratios(chain)
    common, _ = describe_keys([best], dlndb.LINE_COLUMNS)

    # Fixed margins in inches: the axes keep their height and the table of
    # b_k (two columns, 0.2 in a row) gets the room it needs below them.
    rows_below = (len(chain) + 1) // 2
    axes_h, top_in, below_in = 1.9, 0.9, 0.75 + 0.2 * rows_below
    height = axes_h + top_in + below_in
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10.0, height),
                                 gridspec_kw={"width_ratios": [2, 1]})
    fig.subplots_adjust(left=0.07, right=0.98, wspace=0.25,
                        bottom=below_in / height, top=1 - top_in / height)
    under_label = -0.5 / axes_h   # axes coordinates, below the x label
    b = np.array([c["eta"] for c in chain])
    span = b[-1] - b[0]
    lo, hi = b[0] - 0.12 * span, b[-1] + 0.08 * span
    inside = (orbit[:, 0] >= lo) & (orbit[:, 0] <= hi)
    ax.scatter(orbit[inside, 0], orbit[inside, 1],
               s=marker_size(len(set(orbit[inside, 0]))), c="black", lw=0,
               rasterized=True)
    # Index labels above the axes, stacked where the lines crowd.
    last_x, level, levels = -1.0, 0, 0
    for k, c in enumerate(chain, 1):
        ax.axvline(c["eta"], color="C0", lw=0.8, ls="--")
        xf = (c["eta"] - lo) / (hi - lo)
        level = level + 1 if xf - last_x < 0.03 else 0
        levels = max(levels, level)
        last_x = xf
        ax.text(xf, 1.02 + 0.07 * level, "%d" % k, ha="center",
                va="bottom", fontsize=7, color="C0",
                transform=ax.transAxes)
    ax.set_xlim(lo, hi)
    ax.set_xlabel(LABELS["eta"])
    ax.set_ylabel(r"$\sigma_1(W_{L:1})$ (late orbit)")
    ax.set_title("Located period doublings $b_k$, %s" % common, fontsize=9,
                 pad=16 + 9 * levels)
    how = (lambda c: "exact" if method == "continuation" else
           "bracket %.1e" % c["gap"])
    table = [Line2D([], [], ls="none",
                    label=r"$b_{%d}$ = %s  ($%d\to%d$, %s)"
                    % (k, eta_text(c["eta"], c["gap"]), c["period_from"],
                       c["period_to"], how(c)))
             for k, c in enumerate(chain, 1)]
    legend_outside(ax, table, below=True, ncol=2, handlelength=0,
                   bbox_to_anchor=(0.5, under_label))

    k = np.array([r["k"] for r in ratios])
    val = np.array([r["value"] for r in ratios])
    known = [r["range"] is not None for r in ratios]
    err = np.array([[r["value"] - r["range"][0], r["range"][1] - r["value"]]
                    if r["range"] else [0, 0] for r in ratios]).T
    bx.errorbar(k[known], val[known], yerr=err[:, known], fmt="o-",
                color="C0", capsize=3, ms=5,
                label=r"$\delta_k = (b_{k+1}-b_k)/(b_{k+2}-b_{k+1})$")
    for r in ratios:      # the values go under the k ticks: never on data
        r["text"] = (fs.ratio_label(r["value"], *r["range"]) if r["range"]
                     else "not resolved")
    bx.axhline(FEIGENBAUM, color="C3", ls="--",
               label=r"Feigenbaum $\delta = 4.6692$")
    bx.margins(y=0.25)
    bx.set_xlim(0.5, len(ratios) + 0.5)
    bx.set_xticks(k)
    bx.set_xticklabels(["%d\n%s" % (r["k"], r["text"]) for r in ratios],
                       fontsize=7)
    bx.set_xlabel(r"$k$ (and $\delta_k$)")
    bx.set_ylabel(r"interval ratio $\delta_k$")
    bx.set_title("Interval ratios" + (" (located by continuation)"
                                      if method == "continuation" else
                                      " (bars: bracket range)"), fontsize=9)
    legend_outside(bx, below=True, bbox_to_anchor=(0.5, under_label - 0.12))
    located_by = ("exactly by continuation (Newton-Krylov on the orbit, "
                  "Floquet multiplier through -1; boundaries view, method "
                  "continuation)" if method == "continuation" else
                  "by adaptive refinement to the sweep's tolerance %g "
                  "(boundaries view; brackets listed below the panel)" % tol)
    desc = ("Left: late orbit of sigma_1(W_{L:1}) against eta on one line of "
            "cells (%s) with the period doublings b_k located %s. Right: "
            "ratios of successive intervals (values under the k axis) with "
            "the range the brackets allow (bars), tending to "
            "Feigenbaum's constant. Doublings bracketed wider than the "
            "tolerance are left out (%d)." % (common, located_by, unlocated))
    ctx.save(fig, "cascade", desc, [sql, osql],
             {"line": key, "tol": tol, "method": method, "located": chain,
              "ratios": ratios, "n_unlocated": unlocated})
