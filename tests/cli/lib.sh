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

# out_col FILE COLUMN [TERM]: the COLUMN cell of fit --output FILE, on the
# row of TERM (the first row when TERM is absent).  The per-fit statistics
# (sigma, r_squared, n, ...) repeat on every row.  Terms and numbers never
# hold a comma, so splitting on ',' is exact.
out_col() {
    awk -F, -v col="$2" -v term="${3-}" '
        FNR == 1 { for (j = 1; j <= NF; j++) if ($j == col) c = j; next }
        c && (term == "" || $1 == term) { print $c; exit }' "$1"
}

# out_matches NAME FILE COLUMN TERM WANT TOL: the --output cell is WANT
# within relative tolerance TOL (|got - want| <= TOL |want|); "NA" must
# match exactly.
out_matches() {
    local got
    got=$(out_col "$2" "$3" "$4")
    close_num "$1" "$got" "$5" "$6"
}

# close_num NAME GOT WANT TOL: |GOT - WANT| <= TOL |WANT| (NA, NaN and Inf
# compare as strings).
close_num() {
    case "$3" in
        NA|NaN|Inf|-Inf) [ "$2" = "$3" ] || fail "$1: got '$2', expected $3"; return ;;
    esac
    awk -v g="$2" -v w="$3" -v tol="$4" 'BEGIN {
        if (g !~ /^[-+]?[0-9.]+([eE][-+]?[0-9]+)?$/) exit 1
        d = g - w; if (d < 0) d = -d; a = w < 0 ? -w : w
        exit !(d <= tol * a) }' || fail "$1: got '$2', expected $3 within relative $4"
}

# same_fit A.csv B.csv: two fit --output files agree in every column but
# 'deleted' (the 21st), i.e. the same fit of the same kept rows; the caller
# checks the count of deleted rows itself.
same_fit() {
    head -1 "$1" | cut -d, -f21 | grep -qx deleted || { echo "$1: column 21 is not 'deleted'" >&2; return 1; }
    cmp -s <(cut -d, -f1-20,22- "$1") <(cut -d, -f1-20,22- "$2")
}

finish() {
    if [ "$failures" -ne 0 ]; then
        echo "$failures check(s) failed" >&2
        exit 1
    fi
    echo "all checks passed"
}
