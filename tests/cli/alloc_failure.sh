#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Allocation failures in `matgrad fit` are reported as out of memory (exit 1,
# "matgrad: out of memory (...)", no results, no output file), never as a
# wrong answer with exit 0 nor as a data error.  The test suites'
# allocation interposer (tests/ref/failalloc.c), preloaded as the shared
# library in MGT_FAILALLOC_LIB (tests/failalloc.cmake), fails the n-th
# allocation of one exact size.  With p = 37 predictors and the intercept,
# the fit engine's state (include/matgrad/fit.h: every buffer allocated by
# mg_fit_create, none later) holds several 38 x 38 matrices (11552 bytes:
# the factor, the SVD's U and V^T, ...) and, for QR, the 39 x 39 triangle
# of [1 X y] (12168 bytes); the command's row block is 1024 x 37 doubles
# (303104 bytes).  n = 1, 2, ... walks through every allocation of a size
# until the fit succeeds.
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
        cmp -s "$name.csv" ref_cur.csv || fail "$name: coefficients differ from the reference"
    fi
}

# walk NAME SIZE ARGS...: fails the 1st, 2nd, ... allocation of SIZE bytes
# until the fit succeeds: each failure is "out of memory", the first run
# that gets all its memory gives the reference bit for bit, and there are
# at most 20 allocations of the size (else the walk is stuck).
walk() {
    local name=$1 size=$2 nth=1
    shift 2
    while [ "$nth" -le 20 ]; do
        local got=0
        MGT_FAILALLOC_SIZE=$size MGT_FAILALLOC_NTH=$nth LD_PRELOAD=$MGT_FAILALLOC_LIB \
            "$MATGRAD" "$@" -o "${name}_$nth.csv" > /dev/null 2>&1 || got=$?
        [ "$got" = 0 ] && break
        with_failure "${name}_$nth" "$size" "$nth" oom "$@"
        nth=$((nth + 1))
    done
    [ "$nth" -gt 1 ] || fail "$name: no allocation of $size bytes failed (the sizes above are stale)"
    [ "$nth" -le 20 ] || fail "$name: more than 20 allocations of $size bytes fail"
    with_failure "${name}_$nth" "$size" "$nth" ok "$@"
}

run ref_qr 0 "$MATGRAD" fit p37.csv -t y -i -m qr -o ref_qr.csv
for m in normal qr auto; do
    [ "$m" = normal ] && ref=ref.csv || ref=ref_qr.csv
    [ "$m" = auto ] && ref=ref_auto.csv
    [ "$m" = auto ] && run ref_auto 0 "$MATGRAD" fit p37.csv -t y -i -o ref_auto.csv
    cp "$ref" ref_cur.csv
    walk "${m}_state" 11552 fit p37.csv -t y -i -m "$m"
    walk "${m}_block" 303104 fit p37.csv -t y -i -m "$m"
done
cp ref_qr.csv ref_cur.csv
walk qr_triangle 12168 fit p37.csv -t y -i -m qr
expect_grep normal_state_1 normal_state_1.err '^matgrad: out of memory \(the fit state for 39 columns, reading p37\.csv\)$'
expect_grep qr_block_1 qr_block_1.err '^matgrad: out of memory \(the row block, 1024 rows of 38 columns, reading p37\.csv\)$'
# Gradient descent holds the design matrix (1024 rows of 38 doubles, the
# explicit intercept column included, at first): out of memory, not
# "p37.csv:2: ...".
with_failure design 311296 1 oom fit p37.csv -t y -i -m gd
expect_grep design design.err '^matgrad: out of memory \(the design matrix, after 0 rows of 39 columns, reading p37\.csv\)$'
finish
