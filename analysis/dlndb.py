"""dlndb.py -- read access to a dlnsweep results database for analysis.

Opens the database read-only, installs analysis/views.sql as TEMP views
(so the definitions match this script even on a database written by an
older binary; the database file is never modified), resolves sweeps, and
builds the phase-table SQL for any pair of axes.  Standard library only.
"""
import hashlib
import json
import os
import re
import sqlite3

HERE = os.path.dirname(os.path.abspath(__file__))
VIEWS_SQL = os.path.join(HERE, "views.sql")

# The columns that make a line of cells along eta: cells equal in all of
# them differ only in eta (the partition of the boundaries view).  A seed
# index is part of a line: one seed per line.
LINE_COLUMNS = ("depth", "width", "d_in", "d_out", "spectrum", "rotate",
                "init", "alpha", "alpha_layers", "init_diag", "init_file",
                "steps", "seed_index")

# Columns of later schema versions; a database written before them reads
# them as NULL (TEMP views named like the tables shadow them), as a
# dlnsweep migration would leave them.
LATER_COLUMNS = {
    "runs": ("alpha_layers", "init_diag", "init_file", "orbit_hessian",
             "record_from", "record_detail"),
    "orbits": ("step", "modes", "sv", "hessian", "layer_sv", "balance_gaps",
               "mode_gaps")}

# The JSON detail columns of orbits and point_details (schema 7), the
# quantity each holds per step.
DETAIL_COLUMNS = ("modes", "sv", "hessian", "layer_sv", "balance_gaps",
                  "mode_gaps")

# Numeric runs columns that may serve as phase-diagram axes.
AXES = ("eta", "depth", "width", "s1", "s2", "alpha", "rank", "d_in",
        "d_out", "steps")

# Axes that have a phase_<x>_<y> view in views.sql.
PHASE_VIEWS = {("eta", "depth"): "phase_eta_depth",
               ("eta", "s1"): "phase_eta_s1",
               ("eta", "width"): "phase_eta_width"}

SINGLE = "(single)"   # name of the group of `dlnsweep single` runs


class UserError(Exception):
    """Bad input (missing file, unknown sweep, bad option): exit code 2."""


def sha256_file(path):
    """Hex SHA-256 of the file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def temp_views_sql(text):
    """views.sql rewritten to create TEMP views (read-only connections)."""
    text, ndrop = re.subn(r"(?im)^DROP VIEW IF EXISTS (\w+);",
                          r"DROP VIEW IF EXISTS temp.\1;", text)
    text, ncreate = re.subn(r"(?im)^CREATE VIEW (\w+)",
                            r"CREATE TEMP VIEW \1", text)
    if ndrop != ncreate or ncreate == 0:
        raise RuntimeError("%s: every CREATE VIEW needs its DROP VIEW IF "
                           "EXISTS line (%d drops, %d creates)"
                           % (VIEWS_SQL, ndrop, ncreate))
    return text


def open_db(path):
    """Read-only connection to the dlnsweep DB at path with the analysis
    views installed as TEMP views.  Raises UserError for a missing file or
    a file that is not a dlnsweep database."""
    if not os.path.isfile(path):
        raise UserError("%s: no such database file" % path)
    uri = "file:%s?mode=ro" % path.replace("?", "%3f").replace("#", "%23")
    try:
        con = sqlite3.connect(uri, uri=True)
        tables = {r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as e:
        raise UserError("%s: not an SQLite database (%s)" % (path, e))
    missing = {"runs", "sweeps", "trajectories", "orbits"} - tables
    if missing:
        raise UserError("%s: not a dlnsweep database (no table %s)"
                        % (path, ", ".join(sorted(missing))))
    if "sweep_tasks" not in tables:
        # A file from before sweep_tasks: its membership is runs.sweep_id (as
        # dlnsweep's own read-only handles see it).
        con.executescript(
            "CREATE TEMP TABLE sweep_tasks AS SELECT sweep_id, cell_hash, "
            "seed_index FROM runs WHERE sweep_id IS NOT NULL;"
            "CREATE INDEX temp.sweep_tasks_task ON sweep_tasks(cell_hash, "
            "seed_index);")
    if "point_details" not in tables:   # before schema 7: no detail rows
        con.execute("CREATE TEMP VIEW point_details AS SELECT NULL AS "
                    "run_id, NULL AS step, %s WHERE 0"
                    % ", ".join("NULL AS " + c for c in DETAIL_COLUMNS))
    for table, cols in LATER_COLUMNS.items():
        have = {r[1] for r in con.execute("PRAGMA main.table_info(%s)"
                                          % table)}
        lack = [c for c in cols if c not in have]
        if lack:
            con.execute("CREATE TEMP VIEW %s AS SELECT *, %s FROM main.%s"
                        % (table, ", ".join("NULL AS " + c for c in lack),
                           table))
    with open(VIEWS_SQL) as f:
        con.executescript(temp_views_sql(f.read()))
    return con


def sweep_groups(con):
    """[(sweep_id or None, name, n_runs)] of the groups of runs in the DB:
    a sweep's runs are those it contains (table sweep_tasks, the view
    member_runs); runs in no sweep (`single` runs) form the group named
    SINGLE."""
    return con.execute(
        "SELECT r.sweep_id, COALESCE(s.name, ?), COUNT(*) FROM member_runs r "
        "LEFT JOIN sweeps s ON s.id = r.sweep_id GROUP BY r.sweep_id "
        "ORDER BY r.sweep_id", (SINGLE,)).fetchall()


def resolve_sweep(con, name, run_ids=()):
    """(sweep_id or None, name) of the group to plot.  name selects a sweep
    ("(single)" or "single" the `single` runs when no sweep has that name);
    without a name the DB's only group, or the group of the first of run_ids,
    is used.  Returns (None, None) for a DB without runs.  Raises UserError
    when the choice is unknown or ambiguous."""
    groups = sweep_groups(con)
    names = ", ".join("'%s' (%d runs)" % (g[1], g[2]) for g in groups)
    if name is not None:
        for sid, gname, _ in groups:
            if gname == name:
                return sid, gname
        if name in ("single", SINGLE):
            for sid, gname, _ in groups:
                if sid is None:
                    return None, SINGLE
        row = con.execute("SELECT id FROM sweeps WHERE name = ?",
                          (name,)).fetchone()
        if row:
            raise UserError("--sweep %s: the sweep has no runs yet" % name)
        raise UserError("--sweep %s: no such sweep; the database has %s"
                        % (name, names or "no runs"))
    if not groups:
        return None, None
    if run_ids:
        row = con.execute("SELECT r.sweep_id, COALESCE(s.name, ?) FROM "
                          "member_runs r"
                          " LEFT JOIN sweeps s ON s.id = r.sweep_id "
                          "WHERE r.id = ?", (SINGLE, run_ids[0])).fetchone()
        if row:
            return row[0], row[1]
    if len(groups) > 1:
        raise UserError("the database holds several sweeps (%s): choose one "
                        "with --sweep NAME" % names)
    return groups[0][0], groups[0][1]


def sweep_filter(sweep_id, column="sweep_id"):
    """SQL condition selecting a sweep group on a view (whose sweep_id is
    the membership's; literal, for captions)."""
    if sweep_id is None:
        return "%s IS NULL" % column
    return "%s = %d" % (column, int(sweep_id))


def member_filter(sweep_id, prefix=""):
    """SQL condition selecting, on runs (prefix "r." for `runs r`), the
    runs of a sweep group: those the sweep contains (sweep_tasks), or for
    None those in no sweep."""
    prefix = prefix or "runs."    # unqualified would name m's columns
    key = ("m.cell_hash = %scell_hash AND m.seed_index = %sseed_index"
           % (prefix, prefix))
    if sweep_id is None:
        return "NOT EXISTS (SELECT 1 FROM sweep_tasks m WHERE %s)" % key
    return ("EXISTS (SELECT 1 FROM sweep_tasks m WHERE m.sweep_id = %d AND "
            "%s)" % (int(sweep_id), key))


def phase_sql(x, y, source="runs"):
    """SQL of the phase table over axes x, y (columns of runs): the same
    majority rule as the phase_* views of views.sql, over the rows of
    source (a table name or a parenthesised SELECT on runs).  Returns rows
    (x, y, regime, period, n_runs, n_cells, n_error, agreement)."""
    if x not in AXES or y not in AXES or x == y:
        raise UserError("axes must be two different columns of %s"
                        % ", ".join(AXES))
    k = "%s, %s" % (x, y)
    return (
        "WITH v AS (\n"
        "  SELECT %(k)s, regime, period, COUNT(*) AS n_rp\n"
        "  FROM %(src)s WHERE regime <> 'error'\n"
        "  GROUP BY %(k)s, regime, period\n"
        "), w AS (\n"
        "  SELECT v.*, SUM(n_rp) OVER (PARTITION BY %(k)s, regime) AS n_r\n"
        "  FROM v\n"
        "), x AS (\n"
        "  SELECT w.*, ROW_NUMBER() OVER (PARTITION BY %(k)s\n"
        "           ORDER BY n_r DESC, COALESCE(o.ord, 99), regime, n_rp DESC,\n"
        "                    period) AS rk\n"
        "  FROM w LEFT JOIN regime_order o USING (regime)\n"
        "), a AS (\n"
        "  SELECT %(k)s, COUNT(*) AS n_runs,\n"
        "         COUNT(DISTINCT cell_hash) AS n_cells,\n"
        "         SUM(regime = 'error') AS n_error\n"
        "  FROM %(src)s GROUP BY %(k)s\n"
        ")\n"
        "SELECT a.%(x)s, a.%(y)s, COALESCE(x.regime, 'error') AS regime,\n"
        "       x.period, a.n_runs, a.n_cells, a.n_error,\n"
        "       CAST(x.n_r AS REAL) / (a.n_runs - a.n_error) AS agreement\n"
        "FROM a LEFT JOIN x ON x.rk = 1 AND x.%(x)s IS a.%(x)s\n"
        "                  AND x.%(y)s IS a.%(y)s\n"
        "ORDER BY a.%(y)s, a.%(x)s"
        % {"k": k, "x": x, "y": y, "src": source})


def sweep_refine(con, sweep_id):
    """(axis, tol, max_points, method) of the sweep's refine: section from
    its canonical spec (the line "refine=eta,5e-07,120", or
    "refine=eta,1e-06,200,continuation,128" for refine: {method:
    continuation}), or None when the sweep has none (or sweep_id is None:
    `single` runs)."""
    if sweep_id is None:
        return None
    row = con.execute("SELECT spec_text FROM sweeps WHERE id = ?",
                      (int(sweep_id),)).fetchone()
    for line in (row[0] or "").splitlines() if row else ():
        if line.startswith("refine="):
            parts = line[len("refine="):].split(",")
            try:
                method = parts[3] if len(parts) > 3 else "bisection"
                return parts[0], float(parts[1]), int(parts[2]), method
            except (IndexError, ValueError):
                return None
    return None


def eos_eta(depth, s1):
    """Edge-of-stability onset of the 2-cycle, eta = 2/(L s_1^(2-2/L))."""
    return 2.0 / (depth * s1 ** (2.0 - 2.0 / depth))


def parse_spectrum(text):
    """[s_1, s_2, ...] from the runs.spectrum text '10,9.5,9'."""
    return [float(t) for t in str(text).split(",") if t.strip()]


def n_oscillating_theory(eta, depth, spectrum):
    """Number of modes i with eta > 2/(L s_i^(2-2/L)) (s_i > 0)."""
    return sum(1 for s in spectrum if s > 0 and eta > eos_eta(depth, s))


def json_values(text):
    """The numbers of a JSON array column ('[1.5,null,2]' -> [1.5, nan,
    2.0]; nested arrays flattened), None for NULL."""
    if text is None:
        return None
    out = []

    def walk(v):
        if isinstance(v, list):
            for x in v:
                walk(x)
        else:
            out.append(float("nan") if v is None else float(v))
    walk(json.loads(text))
    return out
