"""figcommon.py -- what every figure of analysis/figures.py shares: the
context (connection, selection, options), writing a figure with its
caption and its data (--dump-json), and the axis, legend and label
helpers.  Imports matplotlib only inside the drawing helpers, so bad
input is refused before matplotlib loads.
"""
import datetime
import json
import math
import os
import sqlite3
import sys

import numpy as np

import dlndb
import figstyle as fs

LABELS = {
    "eta": r"step size $\eta$", "depth": r"depth $L$",
    "width": r"width $d$", "s1": r"top target singular value $s_1$",
    "s2": r"second target singular value $s_2$",
    "alpha": r"initialisation scale $\alpha$", "rank": "target rank",
    "d_in": r"input dimension $d_\mathrm{in}$",
    "d_out": r"output dimension $d_\mathrm{out}$", "steps": "GD steps"}

EOS_LABEL = r"EOS onset $\eta = 2/(L\,s_1^{2-2/L})$"


def note(msg):
    print("figures.py: " + msg, file=sys.stderr)


def jsonable(obj):
    """obj with numpy scalars/arrays as Python values, NaN/inf as None."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


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
        self._eta_lines = None

    def run_filter(self, column="sweep_id", id_column=None, view=False):
        """SQL condition for the selected sweep (and --where on runs): on
        runs (column "sweep_id" or "r.sweep_id" names its prefix) the runs
        the sweep contains; on a view of views.sql (view=True) its
        sweep_id."""
        if view:
            cond = dlndb.sweep_filter(self.sweep_id, column)
        else:
            cond = dlndb.member_filter(self.sweep_id,
                                       column[:-len("sweep_id")])
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

    def eta_lines(self):
        """The eta values of every line of cells in the selection (lists),
        the grid every eta axis is drawn for."""
        if self._eta_lines is None:
            cols = ", ".join(dlndb.LINE_COLUMNS)
            lines = {}
            for r in self.query("SELECT DISTINCT %s, eta FROM runs WHERE %s"
                                % (cols, self.run_filter())):
                lines.setdefault(r[:-1], []).append(r[-1])
            self._eta_lines = list(lines.values())
        return self._eta_lines

    def eta_scale(self):
        """'log' or 'linear': how the selection's eta grid is spaced."""
        return fs.axis_scale(self.eta_lines())

    def eta_values(self):
        """Distinct eta values of the selection."""
        return sorted({e for line in self.eta_lines() for e in line})

    def save(self, fig, name, description, queries, data=None):
        """Write name.{png,pdf}, the caption name.txt and, with --dump-json,
        name.json (data plus what the axes show); close fig."""
        import matplotlib
        import matplotlib.pyplot as plt
        name = self.args.name or name   # --name: the one figure's file name
        paths = []
        for fmt in self.args.formats:
            path = os.path.join(self.args.out, "%s.%s" % (name, fmt))
            meta = {"CreationDate": None} if fmt == "pdf" else {}
            fig.savefig(path, dpi=self.args.dpi, metadata=meta)
            paths.append(os.path.basename(path))
        if self.args.dump_json:
            path = os.path.join(self.args.out, name + ".json")
            with open(path, "w") as f:
                json.dump(jsonable({"figure": name, "db_sha256": self.db_sha,
                                    "sweep": self.sweep_name,
                                    "data": data or {},
                                    "drawn": describe_figure(fig)}),
                          f, indent=1)
            paths.append(name + ".json")
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
# What a figure shows, for --dump-json

def _tick_labels(axis, lim):
    locs = axis.get_majorticklocs()
    labels = axis.get_major_formatter().format_ticks(locs)
    lo, hi = min(lim), max(lim)
    tol = 1e-9 * max(abs(lo), abs(hi), 1e-300)
    return [lab for x, lab in zip(locs, labels)
            if lo - tol <= x <= hi + tol and lab]


def describe_figure(fig):
    """Per axes: title, labels, scales, limits, tick labels, texts and the
    legend (labels, and its box in axes coordinates: (0,0)-(1,1) is the
    plotting area).  Call after savefig, which laid the figure out."""
    renderer = fig.canvas.get_renderer()
    out = []
    for ax in fig.axes:
        d = {"title": ax.get_title(), "xlabel": ax.get_xlabel(),
             "ylabel": ax.get_ylabel(), "xscale": ax.get_xscale(),
             "yscale": ax.get_yscale(), "xlim": list(ax.get_xlim()),
             "ylim": list(ax.get_ylim()),
             "xticklabels": _tick_labels(ax.xaxis, ax.get_xlim()),
             "yticklabels": _tick_labels(ax.yaxis, ax.get_ylim()),
             "texts": [t.get_text() for t in ax.texts], "legend": None}
        leg = ax.get_legend()
        if leg is not None:
            bb = leg.get_window_extent(renderer).transformed(
                ax.transAxes.inverted())
            d["legend"] = {"labels": [t.get_text() for t in leg.get_texts()],
                           "bbox": [bb.x0, bb.y0, bb.x1, bb.y1]}
        out.append(d)
    sup = fig._suptitle.get_text() if fig._suptitle is not None else None
    return {"suptitle": sup, "axes": out}


# ----------------------------------------------------------------------------
# Axes, legends, labels

def legend_outside(ax, handles=None, below=False, **kw):
    """A legend beside the plotting area (right, or below), never on the
    data."""
    opts = dict(fontsize=8, frameon=False, borderaxespad=0.0)
    if below:
        opts.update(loc="upper center", bbox_to_anchor=(0.5, -0.2))
    else:
        opts.update(loc="upper left", bbox_to_anchor=(1.02, 1.0))
    opts.update(kw)
    if handles is not None:
        opts["handles"] = handles
    return ax.legend(**opts)


def set_value_axis(ax, which, scale, values=None, max_ticks=12):
    """Scale ('log' or 'linear') of ax's x or y axis; with at most
    max_ticks grid values, a tick at each value labelled with enough digits
    to tell them apart (figstyle.value_labels), else plain %g ticks."""
    import matplotlib.ticker as mticker
    axis = ax.xaxis if which == "x" else ax.yaxis
    (ax.set_xscale if which == "x" else ax.set_yscale)(scale)
    vals = sorted(set(values or ()))
    if vals and len(vals) <= max_ticks:
        labels = fs.value_labels(vals)
        axis.set_ticks(vals)
        axis.set_ticklabels([labels[v] for v in vals])
        axis.set_minor_locator(mticker.NullLocator())
    elif scale == "log":
        axis.set_major_locator(mticker.LogLocator(subs=(1.0, 2.0, 5.0)))
        axis.set_major_formatter(mticker.FuncFormatter(
            lambda v, _: "%g" % v))
        axis.set_minor_formatter(mticker.NullFormatter())


def declutter_xticks(fig, ax):
    """Slant the x tick labels when they overlap; True if it did."""
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    boxes = sorted((t.get_window_extent(r) for t in ax.get_xticklabels()
                    if t.get_visible() and t.get_text()),
                   key=lambda b: b.x0)
    if any(a.x1 + 2 > b.x0 for a, b in zip(boxes, boxes[1:])):
        for t in ax.get_xticklabels():
            t.set_rotation(40)
            t.set_ha("right")
            t.set_rotation_mode("anchor")
        return True
    return False


def first_groups(keys, limit, figure):
    """keys[:limit], with a note when that leaves some out."""
    if len(keys) > limit:
        note("%s: %d groups of cells, plotting the first %d; choose with "
             "--where" % (figure, len(keys), limit))
    return keys[:limit]


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


def short_list(text, width=24):
    """A runs list column "1.5,2.25" for a title, cut to width."""
    text = ", ".join("%g" % v for v in dlndb.parse_spectrum(text))
    return text if len(text) <= width else text[:width - 3] + "..."


def _line_part(col, value):
    if col == "depth":
        return "$L = %d$" % value
    if col == "width":
        return "$d = %d$" % value
    if col in ("d_in", "d_out"):
        return (r"$d_\mathrm{%s} = %d$" % (col[2:], value)) if value \
            else None
    if col == "spectrum":
        text = str(value)
        return "$s = (%s)$" % (text if len(text) <= 24 else
                               text[:21] + "...")
    if col == "rotate":
        return "rotated target" if value else "diagonal target"
    if col == "init":
        return "%s init" % value
    if col == "alpha":
        return r"$\alpha = %g$" % value
    if col == "alpha_layers":
        return (r"$\alpha_l$ factors (%s)" % short_list(value)) if value \
            else None
    if col == "init_diag":
        return "diagonal (%s)" % short_list(value) if value else None
    if col == "init_file":
        return "init file %s" % str(value)[:8] if value else None
    if col == "steps":
        return "%d steps" % value
    if col == "seed_index":     # a text: seeds sharing a panel
        return ("seed %d" % value if not isinstance(value, str) else
                "seeds %s (identical late orbits)" % value)
    return "%s = %s" % (col, value)


def _key_parts(key, columns):
    """{column: text} of one key; d_in / d_out equal to the width say
    nothing and are left out."""
    d = dict(zip(columns, key))
    return {c: (None if c in ("d_in", "d_out") and d.get("width") == v
                else _line_part(c, v)) for c, v in d.items()}


def describe_keys(keys, columns):
    """(common, [distinct]) texts for keys (tuples of the given columns):
    common names the columns equal in every key, distinct[i] the columns
    that tell key i apart from the others."""
    varying = [c for i, c in enumerate(columns)
               if len({k[i] for k in keys}) > 1]
    parts = [_key_parts(k, columns) for k in keys]
    common = [parts[0][c] for c in columns if c not in varying] \
        if keys else []
    distinct = [", ".join(p[c] for c in varying if p[c]) for p in parts]
    return ", ".join(p for p in common if p), distinct
