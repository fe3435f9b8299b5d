#!/usr/bin/env python3
"""docs/schema.md documents every table and column: in a database that
dlnsweep has just created, each table is a bold paragraph (**name**) of
docs/schema.md and each of its columns a code span (`name`) there; each
view is named in docs/schema.md or docs/figures.md (the list of views).

Usage: docs_schema.py DLNSWEEP SOURCE_DIR   (exit 1 listing what is missing)"""
import os
import re
import sqlite3
import subprocess
import sys
import tempfile


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    exe, root = sys.argv[1], sys.argv[2]
    schema = open(os.path.join(root, "docs", "schema.md"),
                  encoding="utf-8").read()
    figures = open(os.path.join(root, "docs", "figures.md"),
                   encoding="utf-8").read()
    code = set(re.findall(r"`([^`]+)`", schema))
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "one.db")
        subprocess.run([exe, "single", "--eta", "0.05", "--steps", "10",
                        "--db", db], check=True, stdout=subprocess.DEVNULL)
        con = sqlite3.connect(db)
        objects = con.execute(
            "SELECT name, type FROM sqlite_master WHERE type IN "
            "('table', 'view') AND name NOT LIKE 'sqlite_%' "
            "ORDER BY type, name").fetchall()
        columns = {name: [r[1] for r in
                          con.execute("PRAGMA table_info(%s)" % name)]
                   for name, kind in objects if kind == "table"}
        con.close()
    missing = []
    for name, kind in objects:
        if kind == "view":
            if "`%s`" % name not in schema + figures and \
               "**%s**" % name not in schema:
                missing.append("view %s" % name)
            continue
        if "**%s**" % name not in schema:
            missing.append("table %s" % name)
        missing += ["column %s.%s" % (name, c) for c in columns[name]
                    if c not in code]
    if not objects or "runs" not in columns:
        missing.append("(no tables found: did the database get created?)")
    for m in missing:
        print("docs/schema.md does not document the %s" % m)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
