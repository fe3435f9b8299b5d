"""quantities.py -- the late-orbit quantities figures.py --quantity names
(sv:K, mode:I, hessian:K, loss): parsing, labels, and their values in an
orbits row.  No matplotlib, so bad input is refused before it loads."""
import dlndb

# What --quantity may name: kind -> (orbits column, y label and legend
# name of index i: "{i}" is replaced by it, so "_{{i}}" becomes "_{12}").
QUANTITIES = {
    "sv": ("sv", r"$\sigma_{{i}}(W_{L:1})$", r"$\sigma_{{i}}$"),
    "mode": ("modes", r"$m_{{i}} = u_{{i}}^\top W_{L:1} v_{{i}}$",
             r"$m_{{i}}$"),
    "hessian": ("hessian", r"$\lambda_{{i}}(\nabla^2 f)$",
                r"$\lambda_{{i}}$"),
    "loss": ("loss", r"loss $f$", "loss"),
}


def quantity_label(kind, i, legend=False):
    """Axis label (or legend name) of index i ("i" for several)."""
    return QUANTITIES[kind][2 if legend else 1].replace("{i}", str(i))


def parse_quantities(text):
    """[(kind, indices or None = all stored)] of a --quantity text such as
    "sv:1", "mode:1-3,hessian", "loss".  Raises dlndb.UserError."""
    out = []
    for part in (text or "sv:1").split(","):
        part = part.strip()
        kind, _, idx = part.partition(":")
        if kind not in QUANTITIES:
            raise dlndb.UserError("--quantity %s: unknown quantity (choose "
                                  "mode:I, sv:K, hessian:K or loss; I, K "
                                  "an index 1, 2, ..., a range 1-3, or "
                                  "nothing for all)" % part)
        if kind == "loss" or not idx:
            out.append((kind, None if kind != "loss" else [1]))
            continue
        lo, _, hi = idx.partition("-")
        try:
            lo, hi = int(lo), int(hi or lo)
        except ValueError:
            raise dlndb.UserError("--quantity %s: the index is not a number "
                                  "or range (e.g. %s:1 or %s:1-3)"
                                  % (part, kind, kind))
        if not 1 <= lo <= hi:
            raise dlndb.UserError("--quantity %s: indices count from 1"
                                  % part)
        out.append((kind, list(range(lo, hi + 1))))
    return out


def quantity_text(kind, indices):
    """'sv:1', 'mode:1-3', 'hessian' of a parsed quantity."""
    if kind == "loss" or indices is None:
        return kind
    return "%s:%d%s" % (kind, indices[0], "" if len(indices) == 1
                        else "-%d" % indices[-1])


def orbit_values(kind, indices, sv1, loss, column):
    """[(index, value)] of one orbit point for a quantity: the JSON detail
    column (schema 7), or for sv:1 and loss the sv1 and loss columns (any
    schema)."""
    if kind == "loss":
        return [(1, loss)] if loss is not None else []
    vals = dlndb.json_values(column)
    if vals is None:
        vals = [sv1] if kind == "sv" and sv1 is not None else []
    return [(i, v) for i, v in enumerate(vals, 1)
            if v is not None and (indices is None or i in indices)]




NAMES = {"sv": ("singular value", "singular values", r"of $W_{L:1}$"),
         "mode": ("target mode", "target modes", r"$u_i^\top W_{L:1} v_i$"),
         "hessian": ("Hessian eigenvalue", "top Hessian eigenvalues", ""),
         "loss": ("loss", "loss", "")}


def quantity_title(kind, indices):
    """Words for a panel: "singular values $\\sigma_{1}$-$\\sigma_{3}$
    of $W_{L:1}$", "top Hessian eigenvalue $\\lambda_{1}$", "loss"."""
    if kind == "loss":
        return "loss"
    one, many, what = NAMES[kind]
    if not indices:
        return " ".join(t for t in (many, what) if t)
    names = [quantity_label(kind, i, True) for i in indices]
    if len(names) == 1:
        text = "%s %s" % (one, names[0])
    elif len(names) == 2:
        text = "%s %s, %s" % (many, names[0], names[1])
    else:
        text = "%s %s to %s" % (many, names[0], names[-1])
    if kind == "mode":
        return text
    return " ".join(t for t in (text, what) if t)
