#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The parallel reader of regular files (src/cli/fit_chunks.c): the data
# rows are cut into byte ranges of MATGRAD_CHUNK_BYTES (a test hook;
# 2 MiB by default, so these small files would otherwise be read in one
# sequence), moved to line starts, parsed on OpenMP threads and merged in
# file order.  Checked here, with ranges of a few hundred bytes so that
# many lines straddle a cut:
#   - the coefficients (-o, every digit) do not depend on the thread count
#     (OMP_NUM_THREADS 1, 2, 3), bitwise, for every method, nor on whether
#     OpenBLAS runs its own thread pool or not;
#   - they agree with the sequential reading within the accuracy of each
#     method (bounds below);
#   - errors: the message, line number and exit status are those of the
#     sequential reading (the first bad line of the file), wherever the
#     bad line falls among the ranges;
#   - quoted fields, CRLF line ends and blank lines in the data (the
#     reader's fallback to one sequence from the first quote) give the
#     sequential answer's rows and the thread-independent coefficients.
. "$(dirname "$0")/lib.sh"

# y = 1 + sum_j j x_j + noise, 5 predictors, a weight column w (Park-Miller
# generator, fixed seed): 2000 rows, about 130 KB.
gen() {
    awk -v n="$1" -v eol="${2:-}" 'function u() { s = (16807 * s) % 2147483647; return s / 2147483647 }
        BEGIN { s = 11; printf "x1,x2,x3,x4,x5,w,y%s\n", eol
                for (i = 0; i < n; i++) { t = 1; line = ""
                    for (j = 1; j <= 5; j++) { x = u(); t += j * x; line = line sprintf("%.9f,", x) }
                    printf "%s%g,%.9f%s\n", line, 0.5 * (1 + int(4 * u())), t + 0.01 * u(), eol } }'
}
gen 2000 > data.csv
gen 2000 $'\r' > crlf.csv
# blank lines and a quoted number every 300 rows (the reader's quote rule)
awk 'NR > 1 && NR % 300 == 0 { print ""; sub(/^[^,]*/, "\"&\"") } { print }' data.csv > quoted.csv
awk 'NR > 1 && NR % 97 == 0 { print "" } { print }' data.csv > blanks.csv

methods=("-m normal" "-m qr" "-m auto" "-m qr -w w")

# fit NAME FILE CHUNK THREADS ARGS...: -o NAME.csv, report in NAME.out.
# THREADS: OpenMP threads, with OPENBLAS_NUM_THREADS=1; "blas2": OpenBLAS
# and OpenMP at 2 threads (the default environment on this machine).
fit() {
    local name=$1 file=$2 chunk=$3 threads=$4 blas=1
    shift 4
    [ "$threads" = blas2 ] && threads=2 blas=2
    run "$name" 0 env MATGRAD_CHUNK_BYTES="$chunk" OMP_NUM_THREADS="$threads" \
        OPENBLAS_NUM_THREADS=$blas "$MATGRAD" fit "$file" -t y -i "$@" -o "$name.csv"
}


# Error bounds of the chunked answer against the sequential one (normwise,
# relative to max |b|; eps = 2.2e-16, m = 6 coefficients, kappa(Z) about
# 10 for these uniform predictors, the report's condition estimate):
#   qr, weighted qr: both are backward stable, each within about
#     m kappa eps + kappa^2 eps ||r|| / (||Z|| ||b||) of the exact answer:
#     1e-12 covers 100 times that;
#   normal: the Cholesky solve of the normal equations, m kappa^2 eps each:
#     1e-11 covers 100 times that;
#   auto: refined to the exact least-squares solution of the file's
#     doubles rounded, a few ulps each: 64 m eps = 8.6e-14 covers it.
bound() {
    case "$1" in
        "-m normal") echo 1e-11 ;;
        "-m auto") echo 8.6e-14 ;;
        *) echo 1e-12 ;;
    esac
}

for f in data crlf quoted blanks; do
    for i in "${!methods[@]}"; do
        m=${methods[$i]}
        # shellcheck disable=SC2086
        fit "seq-$f-$i" $f.csv "" 1 $m
        chunks="300 4096"
        [ $f = data ] || chunks=300
        for chunk in $chunks; do
            for t in 1 2 3 blas2; do
                # shellcheck disable=SC2086
                fit "par-$f-$i-$chunk-$t" $f.csv $chunk $t $m
            done
            for t in 2 3 blas2; do
                cmp -s "par-$f-$i-$chunk-1.csv" "par-$f-$i-$chunk-$t.csv" ||
                    fail "$f ($m), ranges of $chunk bytes: $t threads differ from 1"
                cmp -s "par-$f-$i-$chunk-1.out" "par-$f-$i-$chunk-$t.out" ||
                    fail "$f ($m), ranges of $chunk bytes: the report with $t threads differs"
            done
            close_coefs "$f ($m), ranges of $chunk bytes" "seq-$f-$i.csv" "par-$f-$i-$chunk-1.csv" \
                "$(bound "$m")"
            rows=$(out_col "par-$f-$i-$chunk-1.csv" n)
            [ "$rows" = 2000 ] || fail "$f ($m), ranges of $chunk bytes: $rows rows, expected 2000"
        done
    done
done
# auto refines: every replay goes through the ranges too
expect_grep auto-replays par-data-2-300-2.out 'refined in [0-9]+ pass'

# Errors: a bad line at several places (before, on and after cuts); the
# reader must report the sequential reading's first bad line.
# bad NAME SED_SCRIPT ARGS...: data.csv edited by SED_SCRIPT ("-": NAME.csv
# is made already)
bad() {
    local name=$1 script=$2
    shift 2
    [ "$script" = - ] || sed "$script" data.csv > "$name.csv"
    local want=0 got
    "$MATGRAD" fit "$name.csv" -t y -i "$@" > "$name.seq.out" 2> "$name.seq.err" || want=$?
    [ "$want" != 0 ] || fail "$name: the sequential reading accepted the file"
    for chunk in 64 4096; do
        for t in 1 2; do
            got=0
            MATGRAD_CHUNK_BYTES=$chunk OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=1 \
                "$MATGRAD" fit "$name.csv" -t y -i "$@" \
                > "$name.par.out" 2> "$name.par.err" || got=$?
            [ "$got" = "$want" ] || fail "$name (ranges of $chunk, $t threads): exit $got, expected $want"
            cmp -s "$name.seq.err" "$name.par.err" || {
                fail "$name (ranges of $chunk, $t threads): message differs"
                sed 's/^/    sequential: /' "$name.seq.err" >&2
                sed 's/^/    parallel:   /' "$name.par.err" >&2
            }
            [ ! -s "$name.par.out" ] || fail "$name (ranges of $chunk, $t threads): printed results"
        done
    done
}
# (text in the first data row makes its column a factor, held in memory and
# read in one sequence: not an error, so text starts at line 3)
for line in 3 57 1000 1999 2001; do
    bad "text-$line" "${line}s/^[^,]*,/abc,/"
done
for line in 2 57 1000 1999 2001; do
    bad "ragged-$line" "${line}s/,[^,]*\$//"
done
# an empty cell is a missing value: an error with --na-action fail
bad "empty-1500" '1500s/^[^,]*,/,/' --na-action fail
bad "nonfinite-777" '777s/^[^,]*,/inf,/'
bad "range-1234" '1234s/^[^,]*,/1e999,/'
bad "negweight-888" '888s/,[^,]*,\([^,]*\)$/,-1,\1/' -w w
# two bad lines: the first is reported, whichever range holds it
bad "two-errors" '1800s/^[^,]*,/late,/; 1200s/^[^,]*,/early,/'
# ranges that hold only blank lines still count their lines
awk 'NR == 500 { for (i = 0; i < 1000; i++) print "" } NR == 1600 { sub(/^[^,]*,/, "abc,") } { print }' \
    data.csv > blank-run.csv
bad "blank-run" -
# an unterminated quote near the end: read in one sequence from its range
bad "open-quote" '1990s/^[^,]*,/"0.5,/'
expect_grep open-quote open-quote.par.err 'unterminated quoted field|malformed CSV|non-numeric'

# The report's residual quartiles come from a last pass over the rows,
# read in parallel too: exact order statistics (counts and collected values
# merge exactly), so the Residuals block is the same, to the character, as
# the sequential reading's (ranges of 1 GiB: one sequence), for 2000 rows
# (held and sorted) and 70000 rows (beyond 65,536: counted in bins, one more
# pass).
gen 70000 > big70k.csv
for f in data.csv big70k.csv; do
    run "quart_seq_$f" 0 env MATGRAD_CHUNK_BYTES=1073741824 "$MATGRAD" fit "$f" -t y -i
    chunk=4096
    [ "$f" = big70k.csv ] && chunk=262144
    for threads in 1 2 3; do
        run "quart_par_${threads}_$f" 0 env MATGRAD_CHUNK_BYTES="$chunk" OMP_NUM_THREADS="$threads" \
            OPENBLAS_NUM_THREADS=1 "$MATGRAD" fit "$f" -t y -i
        a=$(sed -n '/^Residuals:/,/^$/p' "quart_seq_$f.out")
        b=$(sed -n '/^Residuals:/,/^$/p' "quart_par_${threads}_$f.out")
        [ -n "$a" ] && [ "$a" = "$b" ] ||
            fail "residual quartiles of $f with $threads threads differ from the sequential reading: '$b' vs '$a'"
    done
done
finish
