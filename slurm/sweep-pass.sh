#!/bin/bash
# sweep-pass.sh — one pass of a Slurm sweep job; sweep.sbatch and
# array.sbatch exec it in the batch shell (so Slurm's --signal=B:USR1 reaches
# it).  Not meant to be run by hand.
#
#   sweep-pass.sh JOB.yaml DB.sqlite [SNAPSHOT.sqlite]
#   sweep-pass.sh --left JOB.yaml DB.sqlite   (print the tasks left; exit)
#
# What is left is `dlnsweep check JOB --left DB [--shard I/N]`: the job's
# tasks that DB has no row for (plain text; no python3 or jq needed).
#
# Launches `dlnsweep run JOB --db DB` on the allocation (srun --mpi=pmix or
# mpirun) and waits.  SIGUSR1/SIGTERM/SIGINT received by the batch shell are
# forwarded to the launcher as SIGUSR1 (srun and mpirun pass it on to every
# rank; the coordinator drains: no new cells, in-flight cells finish, commit,
# exit 0), and repeated every 15 s while the sweep runs, in case the first
# one reached the launcher before the ranks were up.  After the sweep exits
# it optionally publishes a snapshot and, if cells remain after a SIGUSR1
# drain, runs `scontrol requeue $SLURM_JOB_ID`: the same job runs again and
# resumes.  SIGTERM/SIGINT (scancel) drain too but never requeue.
# A pass that finishes no cell counts as a stall (kept in the job's Comment);
# after 3 stalls in a row it stops requeueing.
# Environment: DLNSWEEP, DLN_LAUNCHER, DLN_LAUNCHER_ARGS, DLN_RUN_ARGS (see
# sweep.sbatch) and DLN_SHARD=I/N (set by array.sbatch: `run --shard I/N`).
#
# Exit: 0 complete or requeued; the sweep's code if it failed (2 = bad job
# file or DB); 1 if it stopped with cells left and cannot continue by itself.
set -u

log() { echo "[dlnsweep-slurm $(date +%T)] $*"; }

LEFT_ONLY=0
if [ "${1:-}" = --left ]; then
    LEFT_ONLY=1
    shift
fi
if [ $# -lt 2 ]; then
    echo "usage: sweep-pass.sh [--left] JOB.yaml DB.sqlite [SNAPSHOT.sqlite]" >&2
    exit 2
fi
cd "${SLURM_SUBMIT_DIR:-.}" || exit 1
JOB=$1 DB=$2 SNAPSHOT=${3:-}
PASS=$(( ${SLURM_RESTART_COUNT:-0} + 1 ))
MAX_STALLS=3

if [ -z "${DLNSWEEP:-}" ]; then
    DLNSWEEP=$(command -v dlnsweep || echo "$PWD/build/dlnsweep")
fi
[ -x "$DLNSWEEP" ] || { log "no dlnsweep program at '$DLNSWEEP' (set DLNSWEEP)"; exit 2; }
[ -r "$JOB" ] || { log "cannot read job file '$JOB'"; exit 2; }

# left: print how many of this shard's tasks $DB has no row for (every one
# when there is no DB yet; cells shared with other sweeps or written by
# `single` count as done); nothing, and dlnsweep's reason on stderr, if it
# cannot tell.  dlnsweep answers in plain text: a pass needs no JSON reader
# (python3, jq) on the compute node.
left() {
    "$DLNSWEEP" check "$JOB" --left "$DB" ${DLN_SHARD:+--shard "$DLN_SHARD"}
}
if ! "$DLNSWEEP" check "$JOB" >/dev/null 2>&1; then
    log "'$DLNSWEEP check $JOB' failed:"
    "$DLNSWEEP" check "$JOB"
    exit 2
fi

# sweep-pass.sh --left JOB DB: print the tasks left (the decision a pass
# takes after the sweep exits) and stop; for tests and by hand.
if [ "$LEFT_ONLY" = 1 ]; then
    left
    exit
fi

# The consecutive no-progress passes, kept in the job's Comment field (it
# survives requeue).
stalls_get() {
    scontrol show job "$SLURM_JOB_ID" 2>/dev/null |
        sed -n 's/.*Comment=dlnsweep-stalls=\([0-9][0-9]*\).*/\1/p' | head -1
}
stalls_set() {
    scontrol update JobId="$SLURM_JOB_ID" Comment="dlnsweep-stalls=$1" 2>/dev/null
}

# Drain on SIGUSR1 (the time-limit warning: requeue afterwards) and on
# SIGTERM/SIGINT (scancel, preemption, the time limit itself: no requeue):
# forward SIGUSR1 to the launcher either way.
drain=0 drain_sig='' drain_sent=0 pid=''
# shellcheck disable=SC2317  # invoked by the traps below
request_drain() {
    [ "$drain" = 1 ] && return
    drain=1 drain_sig=$1
    log "got SIG$1: draining${pid:+ (SIGUSR1 to launcher pid $pid)}"
    if [ -n "$pid" ]; then
        kill -USR1 "$pid" 2>/dev/null
        drain_sent=$SECONDS
    fi
}
trap 'request_drain USR1' USR1
trap 'request_drain TERM' TERM
trap 'request_drain INT' INT

log "job ${SLURM_JOB_ID:-?} pass $PASS on $(hostname -s):" \
    "$JOB${DLN_SHARD:+ shard $DLN_SHARD} -> $DB" \
    "(${SLURM_NTASKS:-?} tasks, launcher ${DLN_LAUNCHER:-srun})"
left_before=$(left)

case "${DLN_LAUNCHER:-srun}" in
srun)   launch=(srun --mpi=pmix) ;;
mpirun) launch=(mpirun -n "${SLURM_NTASKS:-1}") ;;
*)      log "DLN_LAUNCHER must be srun or mpirun"; exit 2 ;;
esac
# shellcheck disable=SC2206  # word splitting of the extra arguments is wanted
launch+=(${DLN_LAUNCHER_ARGS:-} "$DLNSWEEP" run "$JOB" --db "$DB"
         ${DLN_SHARD:+--shard "$DLN_SHARD"} ${DLN_RUN_ARGS:-})

if [ "$drain" = 1 ]; then
    log "drain requested before the sweep started; not starting it"
    rc=0
else
    "${launch[@]}" &
    pid=$!
    # Poll in interruptible sleeps so the traps run promptly; bash reaps the
    # launcher when it exits and `wait` below returns its status.
    while kill -0 "$pid" 2>/dev/null; do
        if [ "$drain" = 1 ] && (( SECONDS - drain_sent >= 15 )); then
            kill -USR1 "$pid" 2>/dev/null
            drain_sent=$SECONDS
        fi
        sleep 1 &
        wait $! 2>/dev/null
    done
    wait "$pid"
    rc=$?
fi
log "sweep exited with $rc"
if [ "$rc" -ne 0 ]; then
    # A sweep killed during a drain (e.g. by the hard time limit) left a
    # consistent DB; anything else is a real failure: no requeue.
    if [ "$drain" = 0 ] || [ "$rc" -eq 2 ]; then
        exit "$rc"
    fi
    log "warning: the sweep did not exit cleanly while draining"
fi

if [ -n "$SNAPSHOT" ]; then
    if "$DLNSWEEP" snapshot --db "$DB" "$SNAPSHOT.tmp.$$" >/dev/null &&
       mv -f "$SNAPSHOT.tmp.$$" "$SNAPSHOT"; then
        log "published snapshot $SNAPSHOT"
    else
        rm -f "$SNAPSHOT.tmp.$$"
        log "warning: could not publish snapshot $SNAPSHOT"
    fi
fi

left=$(left)
if [ -z "$left" ]; then
    log "cannot read progress ('$DLNSWEEP check $JOB --left $DB'); not requeueing"
    exit 1
fi
if [ "$left" -le 0 ]; then
    log "sweep complete after $PASS pass(es)"
    exit 0
fi
if [ "$drain" = 0 ]; then
    log "sweep exited with $left cells left but no drain was asked;" \
        "not requeueing"
    exit 1
fi
if [ "$drain_sig" != USR1 ]; then
    # scancel (or a preemption, which Slurm requeues by itself): stay stopped.
    log "stopped by SIG$drain_sig with $left cells left; not requeueing"
    exit 0
fi
if [ -z "${SLURM_JOB_ID:-}" ]; then
    log "$left cells left; not in a Slurm job, so rerun to resume"
    exit 1
fi
stalls=0
if [ "$left" = "${left_before:-}" ]; then
    stalls=$(( $(stalls_get || true) + 1 ))
    if [ "$stalls" -ge "$MAX_STALLS" ]; then
        log "no cell finished in $stalls passes in a row ($left left): is the" \
            "--signal lead longer than the time limit?  Resubmit to resume"
        exit 1
    fi
fi
stalls_set "$stalls"
log "$left cells left: requeueing job $SLURM_JOB_ID"
if ! scontrol requeue "$SLURM_JOB_ID"; then
    log "scontrol requeue failed; resubmit the same command to resume"
    exit 1
fi
exit 0
