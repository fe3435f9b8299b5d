#!/bin/bash
# slurm_requeue.sh — the Slurm batch scripts against a real one-node Slurm
# (Debian's slurm-wlm + munge, started by slurm/local-cluster.sh in a temp
# dir and always stopped again).
#
#   tests/slurm_requeue.sh DLNSWEEP SOURCE_DIR
#
# 1. Array mode: slurm/submit-array.sh runs a small job as 2 array shards
#    into 2 DBs and a dependent merge; the merged DB must hold every task of
#    `dlnsweep check --list` exactly once.  Its mean wall time per task
#    calibrates step 2.
# 2. Drain and requeue: slurm/sweep.sbatch with -t 2 --signal=B:USR1@60 runs
#    a sweep of about DLN_SLURM_TEST_WORK (default 90) seconds of work on one
#    worker rank.  While the first pass writes, a second writer on the same
#    DB must be refused by the lease (exit 2) and change nothing; then the
#    test sends the batch shell SIGUSR1 itself (scancel --signal=USR1
#    --batch: what --signal=B:USR1 does at its time), so the first pass
#    drains (the coordinator logs "drained on SIGUSR1") and requeues
#    whatever the machine's load (the calibration of step 1 runs minutes
#    earlier; a machine shared with other builds was 2-5x off).  A later
#    pass longer than the lead gets Slurm's own signal.
#    At the end the job must be COMPLETED with exit 0 and Restarts >= 1, the
#    DB must hold every task exactly once, the lease must be released and
#    the published snapshot must be complete.
#
# Exit 77 (ctest SKIP_RETURN_CODE) when Slurm is not installed (.ci/install-deps
# installs slurm-wlm and munge), we are not root, or the daemons do not start.
set -u
bin=$1 src=$2
cluster=$src/slurm/local-cluster.sh
work=${DLN_SLURM_TEST_WORK:-90}
export OPENBLAS_NUM_THREADS=1 DLN_LAUNCHER=${DLN_LAUNCHER:-srun}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1

say()  { echo "slurm_requeue: $*"; }
skip() { say "SKIP: $*"; exit 77; }
fail() { say "FAIL: $*"; exit 1; }

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    skip "Slurm is not installed (apt-get install slurm-wlm munge, or .ci/install-deps)"
fi
[ "$(id -u)" -eq 0 ] || skip "a test cluster's slurmd needs root"
command -v sqlite3 >/dev/null || fail "sqlite3 (the CLI) is missing"

tmp=$(mktemp -d /tmp/dln-slurm-test.XXXXXX) || fail "mktemp"
cleanup() {
    "$cluster" stop "$tmp/cluster"
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
cd "$tmp" || fail "cd $tmp"

"$cluster" start "$tmp/cluster" 2 $$
case $? in
0) ;;
3) skip "Slurm cannot run here (see above)" ;;
*) skip "the test cluster did not start (see the log tails above)" ;;
esac
eval "$("$cluster" env "$tmp/cluster")"
export DLNSWEEP=$bin DLN_SLURM_DIR=$src/slurm

# job_field ID FIELD: one field of `scontrol show job`.
job_field() {
    scontrol show job "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1
}
# wait_done ID... SECONDS: wait (bounded) until every job has ended (a
# final state; anything else, e.g. the states a requeue passes through, is
# still busy).
wait_done() {
    local limit=${!#} t0=$SECONDS id st busy
    while :; do
        busy=0
        for id in "${@:1:$#-1}"; do
            st=$(job_field "$id" JobState)
            case $st in
            COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|PREEMPTED|BOOT_FAIL|DEADLINE|OUT_OF_MEMORY) ;;
            *) busy=1 ;;
            esac
        done
        [ "$busy" = 0 ] && return 0
        (( SECONDS - t0 > limit )) && return 1
        sleep 2
    done
}
# check_db DB JOB: DB's runs are exactly the tasks of JOB (no task missing,
# none twice, none foreign); prints the row count.
check_db() {
    local db=$1 job=$2
    "$bin" check "$2" --list | awk -F'\t' '$1 ~ /^[0-9]+$/ { print $2 "\t" $3 }' >"$tmp/want.tsv"
    sqlite3 -batch "$db" <<SQL
CREATE TEMP TABLE want(cell_hash TEXT, seed_index INTEGER);
.mode tabs
.import $tmp/want.tsv want
SELECT (SELECT count(*) FROM want) || ' ' ||
       (SELECT count(*) FROM runs) || ' ' ||
       (SELECT count(DISTINCT cell_hash || ':' || seed_index) FROM runs) || ' ' ||
       (SELECT count(*) FROM want w WHERE NOT EXISTS (SELECT 1 FROM runs r
           WHERE r.cell_hash = w.cell_hash AND r.seed_index = w.seed_index)) || ' ' ||
       (SELECT count(*) FROM runs r WHERE NOT EXISTS (SELECT 1 FROM want w
           WHERE r.cell_hash = w.cell_hash AND r.seed_index = w.seed_index));
SQL
}
expect_exact() {   # DB JOB WHAT
    local want rows distinct missing foreign
    read -r want rows distinct missing foreign <<<"$(check_db "$1" "$2")"
    say "$3: tasks $want, rows $rows, distinct $distinct, missing $missing, foreign $foreign"
    if [ -z "$want" ] || [ "$want" -eq 0 ] || [ "$rows" != "$want" ] ||
       [ "$distinct" != "$want" ] || [ "$missing" != 0 ] || [ "$foreign" != 0 ]; then
        fail "$3: the DB does not hold every task exactly once"
    fi
}
show_logs() {
    local f
    for f in "$@" "$tmp"/cluster/log/slurmctld.log; do
        [ -f "$f" ] && { echo "---- $f"; tail -40 "$f"; }
    done
}

# A job file: NCELLS depth-2 width-6 cells, eta below the 2-cycle onset.
write_job() {   # FILE NAME NCELLS STEPS
    cat >"$1" <<EOF
name: $2
seed: 11
grid:
  depth: 2
  width: 6
  spectrum: [1, 0.8, 0.5]
  init: balanced
  alpha: 0.5
  eta: {linspace: [0.1, 0.9, $3]}
  steps: $4
diagnostics:
  record_every: 1000
  lanczos_iters: 8
  top_k: 2
  lyapunov_steps: 100
EOF
}

# ---- 1. array shards + dependent merge (also calibrates the cell cost)
steps=150000
write_job small.yaml calib 8 "$steps"
"$bin" check small.yaml >/dev/null || fail "dlnsweep check rejects the test job"
out=$("$src/slurm/submit-array.sh" 2 small.yaml shards merged.db -n 2 -t 5 \
      -o "$tmp/array-%A_%a.out" 2>&1) || fail "submit-array.sh: $out"
say "$out"
ids=$(echo "$out" | sed -n 's/^array job \([0-9]*\) .*merge job \([0-9]*\) .*/\1 \2/p')
read -r array merge <<<"$ids"
[ -n "${merge:-}" ] || fail "cannot parse the job ids"
if ! wait_done "$array" "$merge" 120; then
    show_logs "$tmp"/array-*.out "$tmp"/dlnsweep-merge-*.out
    fail "array job $array / merge $merge not done in 120 s"
fi
st=$(job_field "$merge" JobState)
[ "$st" = COMPLETED ] || { show_logs "$tmp"/array-*.out "$tmp"/dlnsweep-merge-*.out;
                            fail "merge job $merge is $st, not COMPLETED"; }
expect_exact merged.db small.yaml "array+merge"
per_task=$(sqlite3 merged.db 'SELECT avg(wall_s) FROM runs')
say "calibration: $per_task s per task of $steps steps"

# ---- 2. drain + requeue
ncells=$(awk -v w="$work" -v t="$per_task" 'BEGIN { n = int(w / t) + 1;
    if (n < 20) n = 20; if (n > 5000) n = 5000; print n }')
if awk -v t="$per_task" 'BEGIN { exit !(t > 4) }'; then
    fail "a task takes $per_task s: too slow for a drain inside the signal lead"
fi
write_job sweep.yaml requeue "$ncells" "$steps"
say "sweep: $ncells tasks, about $work s of work on one worker"
job=$(sbatch --parsable -n 2 -t 2 --signal=B:USR1@60 -o "$tmp/sweep.out" \
      "$src/slurm/sweep.sbatch" sweep.yaml sweep.db snapshot.db) ||
    fail "sbatch refused sweep.sbatch"
job=${job%%;*}

# While the first pass writes (before any signal: >= 30 s into it), a second
# writer must be refused by the lease and leave the DB as it was.
t0=$SECONDS second_tested=0
while (( SECONDS - t0 < 60 )); do
    if [ "$(job_field "$job" JobState)" = RUNNING ] &&
       "$bin" status --db sweep.db --json 2>/dev/null | grep -q "\"slurm_job_id\":\"$job\""; then
        before=$(sqlite3 sweep.db 'SELECT count(*) FROM runs')
        (unset SLURM_JOB_ID; mpirun -n 2 "$bin" run sweep.yaml --db sweep.db --quiet) \
            >"$tmp/second.out" 2>&1
        rc=$?
        after=$(sqlite3 sweep.db 'SELECT count(*) FROM runs')
        say "second writer: exit $rc: $(grep -m1 'dlnsweep run:' "$tmp/second.out")"
        [ "$rc" = 2 ] || { cat "$tmp/second.out"; fail "a second writer was not refused (exit $rc)"; }
        grep -q "being written by slurm:$job@" "$tmp/second.out" ||
            fail "the refusal does not name the Slurm job holding the lease"
        [ "$(job_field "$job" Restarts)" = 0 ] ||
            fail "the first pass ended before the second writer was tried"
        [ "$after" -ge "$before" ] || fail "rows went from $before to $after"
        second_tested=1
        break
    fi
    sleep 1
done
[ "$second_tested" = 1 ] || { show_logs "$tmp/sweep.out"; fail "job $job never started writing"; }
scancel --signal=USR1 --batch "$job" || fail "scancel --signal=USR1 --batch $job"

if ! wait_done "$job" 420; then
    show_logs "$tmp/sweep.out"
    fail "job $job not done in 420 s"
fi
st=$(job_field "$job" JobState) restarts=$(job_field "$job" Restarts)
code=$(job_field "$job" ExitCode)
say "job $job: $st, exit $code, restarts $restarts"
grep -E 'dlnsweep-slurm|dlnsweep:|drain' "$tmp/sweep.out"
if [ "$st" != COMPLETED ] || [ "$code" != 0:0 ]; then
    show_logs "$tmp/sweep.out"
    fail "job $job ended $st (exit $code)"
fi
[ "${restarts:-0}" -ge 1 ] || fail "job $job was never requeued (Restarts=$restarts)"
grep -q 'dlnsweep: drained on SIGUSR1' "$tmp/sweep.out" ||
    fail "the coordinator never reported a SIGUSR1 drain"
grep -q "requeueing job $job" "$tmp/sweep.out" || fail "sweep-pass.sh never requeued"
expect_exact sweep.db sweep.yaml "requeued sweep"
if ! "$bin" status --db sweep.db --json | grep -q '"writer":null}$'; then
    "$bin" status --db sweep.db
    fail "the lease is still held after the job completed"
fi
expect_exact snapshot.db sweep.yaml "published snapshot"
say "PASS"
