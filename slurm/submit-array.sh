#!/bin/bash
# submit-array.sh — submit a sweep as N array tasks plus the merge that runs
# after all of them have completed.
#
#   slurm/submit-array.sh N JOB.yaml OUTDIR OUT.sqlite [sbatch options...]
#
# The sbatch options (e.g. -t 2:00:00 --ntasks=8 -p PART) apply to the array
# tasks.  Prints the two job ids.  Run it from the directory the relative
# paths are relative to.
set -eu
if [ $# -lt 4 ]; then
    echo "usage: $0 N JOB.yaml OUTDIR OUT.sqlite [sbatch options...]" >&2
    exit 2
fi
n=$1 job=$2 outdir=$3 out=$4
shift 4
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$outdir"
array=$(sbatch --parsable --array="0-$((n - 1))" "$@" \
        "$here/array.sbatch" "$job" "$outdir")
array=${array%%;*}
merge=$(sbatch --parsable --dependency="afterok:$array" --kill-on-invalid-dep=yes \
        "$here/merge.sbatch" "$outdir" "$n" "$out")
echo "array job $array ($n shards into $outdir/), merge job $merge -> $out"
