#!/bin/sh
# cli_store.sh DLNSWEEP FIXTURE WORKDIR — exit codes and output of
# `dlnsweep status`, `snapshot` and `merge`, including refusals that must
# leave foreign files byte-identical and status during an open write batch.
set -u
D=$1 F=$2 W=$3
LIB=$(cd "$(dirname "$0")" && pwd)/cli_testlib.sh
rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 1

. "$LIB"

printf 'eta,regime\n0.1,converged\n' > notes.txt
cp notes.txt notes.orig

# status: usage and unusable databases
expect 2 "$D" status
expect 2 "$D" status --db missing.db;   one_line; has err.txt missing.db
expect 2 "$D" status --db notes.txt;    one_line; has err.txt notes.txt
cmp -s notes.txt notes.orig || fail "status modified notes.txt"
expect 0 "$D" status --help

# status of a shard
"$F" shard a.db grid abc 0.01 0.02 0.03 || fail "fixture a"
expect 0 "$D" status --db a.db
has out.txt "sweep grid: 3/6 done (50.0%)"
has out.txt "converged 1, periodic 1, chaotic 1"
expect 0 "$D" status --db a.db --json
has out.txt '"name":"grid"'
has out.txt '"done":3,"total":6,"left":3'
if command -v python3 >/dev/null; then
    python3 -c 'import json,sys; j=json.load(open("out.txt")); sys.exit(j["sweeps"][0]["regimes"]["periodic"] != 1)' \
        || fail "status --json is not the expected JSON"
fi
expect 0 "$D" status --db a.db --sweep grid
expect 2 "$D" status --db a.db --sweep nope; has err.txt nope

# snapshot
expect 0 "$D" snapshot --db a.db snap.db
expect 0 "$D" status --db snap.db;      has out.txt "3/6 done"
expect 0 "$D" snapshot --db a.db snap.db          # replaces its own kind
expect 2 "$D" snapshot --db a.db notes.txt; one_line; has err.txt notes.txt
cmp -s notes.txt notes.orig || fail "snapshot modified notes.txt"
expect 2 "$D" snapshot --db missing.db x.db
[ ! -e x.db ] || fail "snapshot of a missing db created x.db"
expect 2 "$D" snapshot --db a.db

# merge
"$F" shard b.db grid abc 0.03 0.04 0.05 0.06 || fail "fixture b"
expect 0 "$D" merge --db m.db a.db b.db
has out.txt "merged a.db: 3 runs copied, 0 already present"
has out.txt "merged b.db: 3 runs copied, 1 already present"
expect 0 "$D" status --db m.db;         has out.txt "sweep grid: 6/6 done (100.0%)"
expect 0 "$D" merge --db m.db b.db;     has out.txt "0 runs copied, 4 already present"
"$F" shard c.db grid 999 0.07 || fail "fixture c"
expect 2 "$D" merge --db m.db c.db;     one_line; has err.txt grid
expect 2 "$D" merge --db m.db notes.txt
expect 2 "$D" merge --db notes.txt a.db
cmp -s notes.txt notes.orig || fail "merge modified notes.txt"
expect 2 "$D" merge --db m.db m.db
expect 2 "$D" merge --db m.db

# status while a writer holds an open batch (and the lease)
rm -f ready go
"$F" hold m.db ready go &
holder=$!
i=0
while [ ! -e ready ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
[ -e ready ] || fail "holder never got ready"
expect 0 "$D" status --db m.db
has out.txt "6/6 done"
has out.txt "writer: fixture"
touch go
wait $holder || fail "holder failed"
expect 0 "$D" status --db m.db;         has out.txt "single runs: 1 done"

# a live lease of another writer (on another host) blocks merge
"$F" lease m.db "sweep@nodeX:1" || fail "fixture lease"
sqlite3 m.db "UPDATE lease SET host = 'nodeX', pid = 1" || fail "lease host"
expect 2 "$D" merge --db m.db a.db;     one_line
has err.txt "being written by sweep@nodeX:1"

# ... and `single`, which must not become a second writer
expect 2 "$D" single --eta 0.5 --depth 1 --width 1 --spectrum 1 --steps 10 --db m.db
one_line; has err.txt "being written by sweep@nodeX:1"
"$D" status --db m.db > out.txt 2>&1; has out.txt "single runs: 1 done"
echo "cli_store: all checks passed"
