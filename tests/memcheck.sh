#!/bin/sh
# memcheck.sh DLNSWEEP WORKDIR WRAPPER... — every command of dlnsweep once
# under a memory checker (valgrind: tests/memcheck.cmake), sweeps inside
# mpiexec as build-notes.md says (`mpiexec -n 2 valgrind ./exe`), including
# a drain, a resume, refusals and a sweep refused by its lease.  The
# checker's --error-exitcode turns any error into a failure.  MPIEXEC holds
# the launcher command line.
set -u
D=$1 W=$2
shift 2
VG="$*"
JOB=$(dirname "$0")/jobs/valgrind.yaml
rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 1
fail() { echo "FAIL: $*"; cat err.txt; exit 1; }
# expect CODE CMD...: run CMD, require exit CODE.
expect() {
    want=$1; shift
    "$@" >out.txt 2>err.txt
    got=$?
    [ "$got" -eq "$want" ] || fail "exit $got, want $want: $*"
}
expect 0 $VG "$D" check "$JOB"
rows() { sqlite3 v.db "SELECT count(*) FROM runs"; }
expect 0 env DLN_TEST_HOOK=sweep-setup@1:usr1 $MPIEXEC -n 2 $VG "$D" run "$JOB" --db v.db --quiet
grep -q "drained on SIGUSR1" err.txt || fail "no drain"
expect 0 $MPIEXEC -n 2 $VG "$D" run "$JOB" --db v.db --quiet
[ "$(rows)" -eq 8 ] || fail "$(rows) rows after the resume, want 8"
expect 0 $VG "$D" run "$JOB" --db v.db --quiet
expect 0 $VG "$D" single --eta 0.1 --depth 3 --width 3 --spectrum 2,1 --rotate --full-spectrum --steps 100 --db v.db
expect 0 $VG "$D" status --db v.db --json
expect 0 $VG "$D" snapshot --db v.db s.db
expect 0 $VG "$D" merge --db m.db s.db v.db
printf 'not a database\n' > junk.db
expect 2 $VG "$D" single --db junk.db
expect 2 $VG "$D" merge --db m.db junk.db
sqlite3 v.db "INSERT INTO lease(id, owner, host, pid, acquired_at, heartbeat) VALUES (1, 'w@far:1', 'far', 1, 0, unixepoch())" || fail "lease"
expect 2 $MPIEXEC -n 2 $VG "$D" run "$JOB" --db v.db
echo "memcheck: all commands clean"
