#!/bin/sh
# run_pmodel.sh BENCH_EXE [MPIEXEC] [d ...] — time the distributed GD step on
# 1, 2 and 4 ranks in this one invocation and print the speed-up of each
# rank count over 1 rank, per width.  More ranks than cores oversubscribe:
# the ratios then measure the machine, not the code.
set -eu
exe=$1; shift
mpiexec=${1:-mpiexec}; [ $# -gt 0 ] && shift
out=$(mktemp)
trap 'rm -f "$out"' EXIT
export OPENBLAS_NUM_THREADS=1
echo "cores: $(nproc)  (ranks beyond that are oversubscribed)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)  (other jobs share the cores)"
for np in 1 2 4; do
  "$mpiexec" --allow-run-as-root --oversubscribe -n "$np" "$exe" "$@" | tee -a "$out"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
# speed-up t(1 rank) / t(P ranks) per width, from the lines above
awk '$1 == "ranks" { t[$2 "," $8] = $12; if (!($8 in seen)) { seen[$8] = 1; ds[++nd] = $8 } }
     END { printf "%-6s %10s %10s %10s\n", "d", "1 rank", "2 ranks", "4 ranks";
           for (i = 1; i <= nd; i++) { d = ds[i]; t1 = t["1," d];
             printf "%-6s %10s", d, "1.00";
             for (np = 2; np <= 4; np *= 2)
               printf " %10s", (t1 != "" && t[np "," d] != "") ? sprintf("%.2f", t1 / t[np "," d]) : "-";
             printf "\n" } }' "$out"
