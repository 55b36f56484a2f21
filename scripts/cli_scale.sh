#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Scale check of `matgrad fit`: generates a CSV of ROWS x COLS random
# predictors plus a target and a weight column (default 10000000 x 20, about
# 2.6 GB, fixed seed, in TMPDIR or /tmp), fits it RUNS times (default 1)
# per method and reports the median wall time, the throughput (file bytes
# times the passes over the file / median time, and file bytes / time) and
# the peak resident memory (/usr/bin/time's maximum RSS), against the
# issue's budget of 64 MB resident.  auto reads a regular file 1 + r times
# (r refinement passes, printed in the report), normal and qr once, and
# every method once or more for the report's residuals (printed too); "wqr"
# is --method qr with --weights w (the other methods fit w as a predictor).  docs/cli.md quotes its output.
#   usage: scripts/cli_scale.sh            (uses build/matgrad; MATGRAD=... overrides)
#          ROWS=1000000 RUNS=3 METHODS="normal qr" scripts/cli_scale.sh
#          KEEP=1: keep the generated CSV (its path is printed)
#          CSV=FILE: fit FILE (made by an earlier KEEP=1 run with the same
#          ROWS and COLS) instead of generating one
# The command reads a large regular file on OMP_NUM_THREADS threads; for
# qr, auto and wqr only with OPENBLAS_NUM_THREADS=1 (docs/cli.md, "Scale").
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
matgrad=${MATGRAD:-$root/build/matgrad}
rows=${ROWS:-10000000}
cols=${COLS:-20}
runs=${RUNS:-1}
methods=${METHODS:-normal qr auto wqr}
budget_mb=${BUDGET_MB:-64}
[ -x "$matgrad" ] || { echo "cli_scale: $matgrad not built (bash scripts/build.sh)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "cli_scale: needs /usr/bin/time (Debian package time)" >&2; exit 1; }
tmp=${TMPDIR:-/tmp}
# about 13 bytes per value: refuse to fill the disk
need_kb=$(( rows * (cols + 2) * 13 / 1024 + 1024 ))
[ -z "${CSV:-}" ] || need_kb=0
avail_kb=$(df -Pk "$tmp" | awk 'NR == 2 { print $4 }')
[ "$avail_kb" -gt "$need_kb" ] || { echo "cli_scale: $tmp has ${avail_kb} KiB free, the CSV needs about ${need_kb}" >&2; exit 1; }
dir=$(mktemp -d "$tmp/matgrad-scale.XXXXXX")
[ -n "${KEEP:-}" ] || trap 'rm -rf "$dir"' EXIT
csv=${CSV:-$dir/data.csv}

# y = 1 + sum_j j x_j + noise, x_j uniform in [-1, 1), 9 significant
# digits; w uniform in {0.5, 1, 1.5, 2}
start=$(date +%s.%N)
[ -n "${CSV:-}" ] || awk -v n="$rows" -v p="$cols" 'BEGIN {
    srand(1); h = "y,w"; for (j = 1; j <= p; j++) h = h ",x" j; print h
    for (i = 0; i < n; i++) {
        s = 0; line = ""
        for (j = 1; j <= p; j++) { x = 2 * rand() - 1; s += j * x; line = line "," sprintf("%.9g", x) }
        printf "%.9g,%g%s\n", 1 + s + 0.1 * (rand() - 0.5), 0.5 * (1 + int(4 * rand())), line
    } }' > "$csv"
gen_s=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
bytes=$(stat -c %s "$csv")
echo "cli_scale: $rows rows x $cols predictors (+ y, w), $bytes bytes in $csv (generated in ${gen_s} s); $runs run(s) per method; $(nproc) cores"
echo "cli_scale: OMP_NUM_THREADS=${OMP_NUM_THREADS:-(unset)} OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-(unset)}; $(uptime | sed 's/.*\(load average\)/\1/')"
printf '%-7s %10s %7s %12s %10s %12s %s\n' method median_s passes parse_MB/s file_MB/s max_RSS_MB budget
for m in $methods; do
    args=(--method "$m")
    [ "$m" = wqr ] && args=(--method qr --weights w)
    : > "$dir/times"
    for _ in $(seq "$runs"); do
        /usr/bin/time -f '%e %M' -o "$dir/t" "$matgrad" fit "$csv" --target y --intercept "${args[@]}" > "$dir/out"
        cat "$dir/t" >> "$dir/times"
    done
    # without --weights, w is one more predictor
    q=$((cols + 2)); [ "$m" = wqr ] && q=$((cols + 1))
    grep -q "^Rank: $q of $q coefficients" "$dir/out" || { cat "$dir/out"; exit 1; }
    refine=$(sed -n 's/.*refined in \([0-9]*\) pass.*/\1/p' "$dir/out")
    resid=$(sed -n 's/.*residuals in \([0-9]*\) pass.*/\1/p' "$dir/out")
    passes=$((1 + ${refine:-0} + ${resid:-0}))
    med=$(cut -d' ' -f1 "$dir/times" | sort -g | awk '{ a[NR] = $1 } END { print (a[int((NR + 1) / 2)] + a[int(NR / 2) + 1]) / 2 }')
    rss=$(cut -d' ' -f2 "$dir/times" | sort -g | tail -n 1)
    rss_mb=$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')
    rate=$(awk -v b="$bytes" -v t="$med" -v n="$passes" 'BEGIN { printf "%.1f", n * b / t / 1e6 }')
    frate=$(awk -v b="$bytes" -v t="$med" 'BEGIN { printf "%.1f", b / t / 1e6 }')
    ok=$(awk -v r="$rss_mb" -v b="$budget_mb" 'BEGIN { print (r <= b) ? "within " b " MB" : "OVER " b " MB" }')
    printf '%-7s %10s %7s %12s %10s %12s %s\n' "$m" "$med" "$passes" "$rate" "$frate" "$rss_mb" "$ok"
    echo "RESULT workload=cli_fit_csv impl=$m size=${rows}x${cols} median_s=$med passes=$passes rate=$(awk -v r="$rate" 'BEGIN { printf "%.4f", r / 1000 }') unit=GB/s bound_frac=- max_rss_mb=$rss_mb"
done
