# SPDX-License-Identifier: BSD-3-Clause
# Helpers for the matgrad command's tests (sourced by tests/cli/*.sh).
# Each test gets: $MATGRAD (the command), $DATA (tests/data, the reference data), and
# a fresh scratch directory $work.
set -u
MATGRAD=$1
DATA=$2
work=$3
rm -rf "$work"
mkdir -p "$work"
cd "$work"
failures=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# run NAME EXPECTED_STATUS CMD...: runs CMD with stdout in NAME.out and
# stderr in NAME.err, and checks its exit status.
run() {
    local name=$1 want=$2
    shift 2
    local got=0
    "$@" > "$name.out" 2> "$name.err" || got=$?
    if [ "$got" != "$want" ]; then
        fail "$name: exit status $got, expected $want"
        sed 's/^/    stderr: /' "$name.err" >&2
    fi
}

# expect_grep NAME FILE REGEX: FILE contains a line matching the ERE.
expect_grep() {
    grep -Eq -- "$3" "$2" || { fail "$1: no line matching '$3' in $2:"; sed 's/^/    /' "$2" >&2; }
}

# The NIST Longley data as a CSV with a header row (y first, as in the file).
longley_csv() {
    grep -v '^#' "$DATA/nist/Longley.txt" |
        awk 'BEGIN { print "y,x1,x2,x3,x4,x5,x6" } NF { $1 = $1; gsub(/ /, ","); print }'
}

finish() {
    if [ "$failures" -ne 0 ]; then
        echo "$failures check(s) failed" >&2
        exit 1
    fi
    echo "all checks passed"
}
