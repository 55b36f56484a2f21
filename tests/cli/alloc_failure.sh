#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Allocation failures in `matgrad fit` are reported as out of memory (exit 1,
# "matgrad: out of memory (...)", no results, no output file), never as a
# wrong answer with exit 0 nor as a data error.  The test suites'
# allocation interposer (tests/ref/failalloc.c), preloaded as the shared
# library in MGT_FAILALLOC_LIB (tests/failalloc.cmake), fails the n-th
# allocation of one exact size: with p = 37
# predictors, 37 x 37 doubles (10952 bytes) is the equilibrated normal
# matrix and each LAPACKE call's row-major transposition copy (dpotrf,
# dpocon, dpotrs, dpotri), so n = 1, 2, ... walks through every step of the
# --method normal solve until the fit succeeds.
. "$(dirname "$0")/lib.sh"
if ldd "$MATGRAD" 2> /dev/null | grep -Eq 'lib[amt]san' || [ -z "${MGT_FAILALLOC_LIB:-}" ]; then
    echo "sanitizer build: malloc cannot be interposed under the sanitizer (no MGT_FAILALLOC_LIB); not run"
    finish
    exit 0
fi
[ -f "$MGT_FAILALLOC_LIB" ] || { fail "MGT_FAILALLOC_LIB=$MGT_FAILALLOC_LIB: no such file (build the mgtfailalloc_preload target)"; finish; }

awk 'BEGIN { srand(5); for (j = 1; j <= 37; j++) printf "x%d,", j; print "y"
             for (i = 0; i < 200; i++) { s = 0
                 for (j = 1; j <= 37; j++) { v = rand(); s += j * v; printf "%.6f,", v }
                 printf "%.6f\n", s + rand() } }' > p37.csv
run ref 0 "$MATGRAD" fit p37.csv -t y -i -m normal -o ref.csv

# with_failure NAME SIZE NTH EXPECTED ARGS...: runs the command with the
# NTH allocation of SIZE bytes failing.  EXPECTED is "oom" (exit 1, the
# message, no results, no output file) or "ok" (exit 0, the reference
# coefficients bit for bit: a failure that was recovered from changes
# nothing).
with_failure() {
    local name=$1 size=$2 nth=$3 want=$4
    shift 4
    local got=0
    MGT_FAILALLOC_SIZE=$size MGT_FAILALLOC_NTH=$nth LD_PRELOAD=$MGT_FAILALLOC_LIB \
        "$MATGRAD" "$@" -o "$name.csv" > "$name.out" 2> "$name.err" || got=$?
    if [ "$want" = oom ]; then
        [ "$got" = 1 ] || fail "$name: exit status $got, expected 1"
        expect_grep "$name" "$name.err" '^matgrad: out of memory \(.+\)$'
        if grep -q '^Linear model' "$name.out"; then fail "$name: printed results"; fi
        [ ! -e "$name.csv" ] || fail "$name: wrote an output file"
    else
        [ "$got" = 0 ] || { fail "$name: exit status $got, expected 0"; sed 's/^/    /' "$name.err" >&2; }
        cmp -s "$name.csv" ref.csv || fail "$name: coefficients differ from the reference"
    fi
}

# Every allocation of the normal solve's size, in order: the command's own
# buffer, then LAPACKE's copies for dpotrf, dpocon, dpotrs and dpotri (with
# the returns unchecked, a failed dpotrs left exit 0 with wrong estimates);
# then none is left and the fit completes.
for nth in 1 2 3 4 5 6; do
    with_failure "normal_$nth" 10952 "$nth" "$([ "$nth" -le 5 ] && echo oom || echo ok)" \
        fit p37.csv -t y -i -m normal
done
expect_grep normal_4 normal_4.err '^matgrad: out of memory \(Cholesky solve\)$'
expect_grep normal_2 normal_2.err '^matgrad: out of memory \(Cholesky factorization\)$'

# While loading: --method normal's cross products (38 x 38 doubles) and the
# other methods' design matrix (1024 rows of 37 doubles) are the command's
# fault-free answer "out of memory", not "p37.csv:2: ...".
with_failure moments 11552 1 oom fit p37.csv -t y -i -m normal
expect_grep moments moments.err '^matgrad: out of memory \(the cross products of --method normal, 38 x 38 doubles, reading p37\.csv\)$'
with_failure design 303104 1 oom fit p37.csv -t y -i
expect_grep design design.err '^matgrad: out of memory \(the design matrix, after 0 rows of 38 columns, reading p37\.csv\)$'
finish
