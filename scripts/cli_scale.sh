#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Scale check of `matgrad fit`: generates a CSV of ROWS x COLS random
# predictors plus a target (default 1000000 x 20, ~260 MB, fixed seed), fits
# it RUNS times (default 5) per method and reports the median wall time, the
# throughput (file bytes / median time) and the peak resident memory
# (/usr/bin/time's maximum RSS).  docs/cli.md quotes its output.
#   usage: scripts/cli_scale.sh            (uses build/matgrad; MATGRAD=... overrides)
#          ROWS=100000 RUNS=3 scripts/cli_scale.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
matgrad=${MATGRAD:-$root/build/matgrad}
rows=${ROWS:-1000000}
cols=${COLS:-20}
runs=${RUNS:-5}
methods=${METHODS:-normal auto qr}
[ -x "$matgrad" ] || { echo "cli_scale: $matgrad not built (bash scripts/build.sh)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "cli_scale: needs /usr/bin/time (Debian package time)" >&2; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/matgrad-scale.XXXXXX")
trap 'rm -rf "$dir"' EXIT
csv=$dir/data.csv

# y = 1 + sum_j j x_j + noise, x_j uniform in [-1, 1), 9 significant digits
awk -v n="$rows" -v p="$cols" 'BEGIN {
    srand(1); h = "y"; for (j = 1; j <= p; j++) h = h ",x" j; print h
    for (i = 0; i < n; i++) {
        s = 0; line = ""
        for (j = 1; j <= p; j++) { x = 2 * rand() - 1; s += j * x; line = line "," sprintf("%.9g", x) }
        printf "%.9g%s\n", 1 + s + 0.1 * (rand() - 0.5), line
    } }' > "$csv"
bytes=$(stat -c %s "$csv")
echo "cli_scale: $rows rows x $cols predictors, $bytes bytes; $runs runs per method; $(nproc) cores"
printf '%-8s %10s %10s %12s\n' method median_s MB/s max_RSS_MB
for m in $methods; do
    : > "$dir/times"
    for _ in $(seq "$runs"); do
        /usr/bin/time -f '%e %M' -o "$dir/t" "$matgrad" fit "$csv" --target y --intercept --method "$m" > "$dir/out"
        cat "$dir/t" >> "$dir/times"
    done
    grep -q "^Rank: $((cols + 1)) of $((cols + 1)) coefficients" "$dir/out" || { cat "$dir/out"; exit 1; }
    med=$(cut -d' ' -f1 "$dir/times" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
    rss=$(cut -d' ' -f2 "$dir/times" | sort -g | tail -n 1)
    rate=$(awk -v b="$bytes" -v t="$med" 'BEGIN { printf "%.1f", b / t / 1e6 }')
    printf '%-8s %10s %10s %12.1f\n' "$m" "$med" "$rate" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')"
    echo "RESULT workload=cli_fit_csv impl=$m size=${rows}x${cols} median_s=$med rate=$(awk -v r="$rate" 'BEGIN { printf "%.4f", r / 1000 }') unit=GB/s bound_frac=- max_rss_mb=$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')"
done
