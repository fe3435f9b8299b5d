"""figstyle.py -- the look shared by every figure of analysis/figures.py.

One regime table (colour and legend name of every regime, and how a
regime this script does not know is shown), the shades of periodic cells
per period, number labels with enough significant digits to tell grid
values apart, and the choice between a linear and a log axis from the
spacing of a grid.  Standard library and numpy only (no matplotlib), so
the tests can import it.
"""
import math

import numpy as np

# Regimes in legend order: (name, colour, legend name).  Colour-blind safe
# (Okabe-Ito, plus two greys).  Keep this the only colour table.
REGIME_TABLE = (
    ("converged", "#0072B2", "converged"),
    ("periodic", "#009E73", "periodic"),
    ("quasiperiodic", "#56B4E9", "quasiperiodic"),
    ("chaotic", "#D55E00", "chaotic"),
    ("unresolved", "#BBBBBB", "unresolved"),
    ("saddle", "#E69F00", "saddle"),
    ("collapsed", "#CC79A7", "collapsed"),
    ("divergent", "#333333", "divergent"),
    ("error", "#F0E442", "error"),
)
REGIMES = tuple(r[0] for r in REGIME_TABLE)
_STYLE = {r[0]: r[1:] for r in REGIME_TABLE}

# A regime missing from the table: white, hatched, named in the legend.
UNKNOWN_COLOUR = "#FFFFFF"
UNKNOWN_HATCH = "xxx"
UNKNOWN_EDGE = "#666666"


def known(regime):
    """True if regime is in the table."""
    return regime in _STYLE


def regime_colour(regime):
    """Colour of regime (UNKNOWN_COLOUR for one not in the table)."""
    return _STYLE[regime][0] if regime in _STYLE else UNKNOWN_COLOUR


def regime_name(regime):
    """Legend name of regime; one not in the table is named as unknown."""
    if regime in _STYLE:
        return _STYLE[regime][1]
    return "unknown regime '%s'" % regime


def regime_order(regimes):
    """The distinct regimes of an iterable in legend order (unknown ones
    last, alphabetically)."""
    present = set(regimes)
    return ([g for g in REGIMES if g in present] +
            sorted(g for g in present if g not in _STYLE))


def _mix(colour, other, t):
    """colour blended towards other by t in [0, 1], as #rrggbb."""
    a = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    b = [int(other[i:i + 2], 16) for i in (1, 3, 5)]
    return "#%02X%02X%02X" % tuple(int(round(x + (y - x) * t))
                                   for x, y in zip(a, b))


def period_colours(periods):
    """{period: colour} for the periodic cells of a figure: period 2 (or
    the smallest power of two present) the periodic green, each further
    doubling darker; periods that are not powers of two (3, 5, 6, 12, ...:
    windows inside chaos) lighter, yellower greens; unknown period (0 or
    None) the plain periodic green."""
    base = _STYLE["periodic"][0]
    out = {}
    ps = sorted({int(p) for p in periods if p})
    pow2 = [p for p in ps if p & (p - 1) == 0]
    other = [p for p in ps if p & (p - 1) != 0]
    for i, p in enumerate(pow2):
        out[p] = _mix(base, "#000000", min(0.72, 0.18 * i))
    for i, p in enumerate(other):
        out[p] = _mix(_mix(base, "#E6E600", 0.45), "#FFFFFF",
                      min(0.5, 0.12 * i))
    for p in periods:
        if not p:
            out[p] = base
    return out


def text_colour(colour):
    """Black or white, whichever reads better on colour."""
    r, g, b = (int(colour[i:i + 2], 16) / 255.0 for i in (1, 3, 5))
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.55 else "white"


# ----------------------------------------------------------------------------
# Numbers

def _g(x, n):
    return "%.*g" % (n, x)


def _exact_digits(x, limit=6):
    """Fewest significant digits (<= limit) whose %g reproduces x to 1e-9
    relative, or None."""
    for n in range(1, limit + 1):
        if abs(float(_g(x, n)) - x) <= 1e-9 * abs(x):
            return n
    return None


def value_labels(values, min_digits=3):
    """{value: label} for the finite values given: each value as the
    shortest %g (up to 6 significant digits) that reproduces it, so 0.1997
    stays 0.1997 next to 0.2; values that need more get min_digits or more,
    as many as it takes to keep every label distinct."""
    v = sorted({float(x) for x in values if x is not None and
                math.isfinite(float(x))})
    exact = {x: _exact_digits(x) for x in v}
    for n in range(min_digits, 18):
        labels = {x: _g(x, exact[x] if exact[x] is not None else n)
                  for x in v}
        if len(set(labels.values())) == len(v):
            return labels
    return {x: repr(x) for x in v}


def value_label(x, values):
    """Label of x among values (see value_labels)."""
    return value_labels(list(values) + [x])[float(x)]


def ratio_label(value, lo, hi):
    """'4.38 +- 0.01' style text of a value known within [lo, hi]: as many
    decimals as the half-width allows (at most 3)."""
    half = 0.5 * (hi - lo)
    if not (half > 0):
        return "%.3f" % value
    dec = max(0, min(3, 1 - int(math.floor(math.log10(half)))))
    if half < 0.5 * 10.0 ** -3:
        return "%.3f" % value
    return "%.*f \u00b1 %.*f" % (dec, value, dec, half)


# ----------------------------------------------------------------------------
# Axis scale from the grid

def _on_lattice(d, rel=1e-6):
    """(units, ok): d / min(d) are all integers (to rel) -> total units."""
    d = np.asarray(d, float)
    if len(d) == 0 or d.min() <= 0:
        return None
    k = d / d.min()
    if np.all(np.abs(k - np.round(k)) <= rel * np.maximum(k, 1)):
        return int(np.round(k).sum())
    return None


def grid_spacing(values):
    """'linear', 'log' or None: how the distinct values of one grid line
    are spaced.  Evenly spaced (or on an even lattice with gaps, e.g. a
    refined line or a line missing its divergent end) is linear; evenly
    spaced in log (with gaps) is log; when both fit, the denser fit wins.
    Fewer than 3 values: None."""
    v = np.unique(np.asarray([x for x in values if x is not None], float))
    v = v[np.isfinite(v)]
    if len(v) < 3:
        return None
    lin = _on_lattice(np.diff(v), 1e-6)
    lg = _on_lattice(np.diff(np.log(v)), 1e-6) if v[0] > 0 else None
    if lin is None and lg is None:
        return None
    if lg is None:
        return "linear"
    if lin is None:
        return "log"
    return "log" if lg < lin else "linear"


def axis_scale(lines):
    """'log' or 'linear' for an axis showing several grid lines (lists of
    values): log when every line with 3+ values is log spaced, linear when
    each is linear; otherwise (irregular values) log when all values are
    positive and span a factor 16 or more."""
    kinds = [grid_spacing(line) for line in lines]
    kinds = [k for k in kinds if k is not None]
    allv = np.array([x for line in lines for x in line if x is not None],
                    float)
    allv = allv[np.isfinite(allv)]
    if kinds and all(k == "log" for k in kinds) and allv.min() > 0:
        return "log"
    if kinds and all(k == "linear" for k in kinds):
        return "linear"
    if len(allv) and allv.min() > 0 and allv.max() / allv.min() >= 16:
        return "log"
    return "linear"


# Colours of the indices of a quantity (mode i, singular value i, Hessian
# eigenvalue i, layer l, ...) where one panel draws several: ColorBrewer
# Dark2, distinct from each other in print and for most colour-blind
# readers.
INDEX_COLOURS = ("#1B9E77", "#D95F02", "#7570B3", "#E7298A", "#66A61E",
                 "#E6AB02", "#A6761D", "#666666")


def index_colour(i):
    """Colour of index i (1-based), cycling after eight."""
    return INDEX_COLOURS[(i - 1) % len(INDEX_COLOURS)]
