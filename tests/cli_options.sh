#!/bin/sh
# cli_options.sh DLNSWEEP FIXTURE WORKDIR — every command reads its options
# the same way (src/cli/cli_opts.c): --help and -h print the usage on
# stdout and exit 0; an unknown option or an option without its value is
# one line on stderr, exit 2, and the database named before it stays
# byte-identical.
set -u
D=$1 F=$2 W=$3
LIB=$(cd "$(dirname "$0")" && pwd)/cli_testlib.sh
rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 1
export OPENBLAS_NUM_THREADS=1

. "$LIB"
"$F" shard a.db grid abc 0.01 0.02 0.03 || fail "fixture"
cp a.db a.orig
printf 'name: x\ngrid:\n  eta: 0.1\n' > job.yaml

# The words before the bad one: a database (or job file) each command
# would otherwise open.
for cmd in run single status snapshot merge forget check params; do
    case $cmd in
        run)      pre="job.yaml --db a.db" ;;
        single)   pre="--steps 10 --db a.db" ;;
        status|forget) pre="--db a.db" ;;
        snapshot) pre="--db a.db snap.db" ;;
        merge)    pre="--db a.db b.db" ;;
        check)    pre="--left a.db job.yaml" ;;
        params)   pre="" ;;
    esac
    for h in --help -h; do
        expect 0 "$D" $cmd $h
        head -n 1 out.txt | grep -q "^usage: " || fail "$cmd $h: no usage"
        [ -s err.txt ] && fail "$cmd $h: stderr not empty"
    done
    # shellcheck disable=SC2086
    for bad in --bogus -Z --bogus=1 "--db" "--where" "--lanes"; do
        expect 2 "$D" $cmd $pre $bad
        [ "$(wc -l < err.txt)" -eq 1 ] || fail "$cmd $bad: want one line"
        grep -q "^dlnsweep $cmd: " err.txt || fail "$cmd $bad: no prefix"
        [ -s out.txt ] && fail "$cmd $bad: stdout not empty"
        cmp -s a.db a.orig || fail "$cmd $bad: the database changed"
        [ -e snap.db ] && fail "$cmd $bad: wrote snap.db"
    done
done
# The two wordings.
expect 2 "$D" status --db a.db --bogus
grep -qx "dlnsweep status: unknown option '--bogus' (try --help)" err.txt \
    || fail "unknown option wording"
expect 2 "$D" forget --where "regime = 'error'" --db
grep -qx "dlnsweep forget: option --db needs a value (try --help)" err.txt \
    || fail "missing value wording"
cmp -s a.db a.orig || fail "the database changed"
echo "cli_options: ok"
