#!/usr/bin/env python3
"""docs/job-files.md's parameter tables are generated: the lines between
the marker comments BEGIN/END "dlnsweep params --markdown" must be exactly
that command's output, so a parameter added to src/core/paramdefs.c cannot
be left undocumented.

Usage: docs_params.py DLNSWEEP docs/job-files.md [--write]
  without --write: exit 1 (with the command that fixes it) if they differ;
  with --write: replace the block in that file by the current output."""
import subprocess
import sys

BEGIN = "<!-- BEGIN dlnsweep params --markdown -->\n"
END = "<!-- END dlnsweep params --markdown -->\n"


def main():
    if len(sys.argv) not in (3, 4) or sys.argv[3:] not in ([], ["--write"]):
        sys.exit(__doc__)
    exe, doc = sys.argv[1], sys.argv[2]
    for args, code in ((["--help"], 0), (["--bogus"], 2), ([], 0)):
        p = subprocess.run([exe, "params", *args], capture_output=True,
                           text=True)
        if p.returncode != code or not (p.stdout if code == 0 else
                                        p.stderr.count("\n") == 1):
            sys.exit("dlnsweep params %s: exit %d, expected %d: %s%s" %
                     (" ".join(args), p.returncode, code, p.stdout, p.stderr))
    want = subprocess.run([exe, "params", "--markdown"], check=True,
                          capture_output=True, text=True).stdout
    with open(doc, encoding="utf-8") as f:
        text = f.read()
    if text.count(BEGIN) != 1 or text.count(END) != 1:
        sys.exit("%s: needs one line %r and one line %r" %
                 (doc, BEGIN.strip(), END.strip()))
    head, rest = text.split(BEGIN)
    have, tail = rest.split(END)
    if have == want:
        return 0
    if sys.argv[3:] == ["--write"]:
        with open(doc, "w", encoding="utf-8") as f:
            f.write(head + BEGIN + want + END + tail)
        print("%s: parameter tables regenerated" % doc)
        return 0
    print("%s: the parameter tables differ from `dlnsweep params "
          "--markdown`; regenerate them with\n  %s %s %s %s --write" %
          (doc, sys.executable, sys.argv[0], exe, doc))
    return 1


if __name__ == "__main__":
    sys.exit(main())
