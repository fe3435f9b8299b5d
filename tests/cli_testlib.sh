# cli_testlib.sh — sourced by the command-line tests (cli_store.sh,
# cli_options.sh) from inside their work folder: fail, expect, has,
# one_line over the last command's out.txt and err.txt.
fail() { echo "FAIL: $*"; echo "--- stdout"; cat out.txt; echo "--- stderr"; cat err.txt; exit 1; }
# expect CODE CMD...: run CMD, require exit CODE.
expect() {
    want=$1; shift
    "$@" >out.txt 2>err.txt
    got=$?
    [ "$got" -eq "$want" ] || fail "exit $got, want $want: $*"
}
has() { grep -qF -- "$2" "$1" || fail "$1 lacks '$2'"; }
one_line() { [ "$(wc -l < err.txt)" -eq 1 ] || fail "want a one-line error"; }
