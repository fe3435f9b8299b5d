#!/usr/bin/env python3
"""Every relative link in README.md and docs/*.md resolves: the file (or
image) exists in the source tree and an anchor (#name) is a heading of the
file it points into (GitHub's slugs).  README.md links every docs/*.md, so
a documentation file cannot be left out of its list.

Usage: docs_links.py SOURCE_DIR     (exit 1 listing every broken link)"""
import glob
import os
import re
import sys

LINK = re.compile(r"!?\[[^\]]*\]\(([^()\s]+)\)")
FENCE = re.compile(r"^```.*?^```[ \t]*$", re.M | re.S)
CODE = re.compile(r"`[^`]*`")
HEADING = re.compile(r"^#{1,6} +(.+?) *#* *$", re.M)


def prose(text):
    """The text without fenced blocks and code spans (links there are not
    links)."""
    return CODE.sub("", FENCE.sub("", text))


def slugs(text):
    """GitHub's anchors of the headings: lower case, punctuation dropped,
    spaces to '-', a repeated one numbered -1, -2, ..."""
    seen, out = {}, set()
    for h in HEADING.findall(FENCE.sub("", text)):
        h = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", h).replace("`", "")
        s = re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-")
        n = seen.get(s, 0)
        seen[s] = n + 1
        out.add(s if n == 0 else "%s-%d" % (s, n))
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    root = os.path.realpath(sys.argv[1])
    docs = sorted(glob.glob(os.path.join(root, "docs", "*.md")))
    files = [os.path.join(root, "README.md")] + docs
    texts = {f: open(f, encoding="utf-8").read() for f in files}
    bad, linked = [], set()
    for f in files:
        rel = os.path.relpath(f, root)
        for target in LINK.findall(prose(texts[f])):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):
                continue                      # https:, mailto:: not ours
            path, _, anchor = target.partition("#")
            dest = os.path.realpath(os.path.join(os.path.dirname(f), path)
                                    if path else f)
            if not dest.startswith(root + os.sep):
                bad.append("%s: %s leaves the source tree" % (rel, target))
            elif not os.path.exists(dest):
                bad.append("%s: %s: no such file" % (rel, target))
            elif anchor and dest.endswith(".md"):
                if dest not in texts:
                    texts[dest] = open(dest, encoding="utf-8").read()
                if anchor not in slugs(texts[dest]):
                    bad.append("%s: %s: no heading with that anchor in %s" %
                               (rel, target, os.path.relpath(dest, root)))
            if f == files[0]:
                linked.add(dest)
    for d in docs:
        if d not in linked:
            bad.append("README.md: does not link %s (its Documentation "
                       "list)" % os.path.relpath(d, root))
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
