#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Before/after for a performance change: builds a benchmark (default
# bench_lstsq: mg_lstsq and mg_normal_solve on 1e4 x 16, 1e5 x 32, 1e6 x 64)
# at revision REV and at the working tree, then runs them alternately ROUNDS
# times (default 3), so both see the same machine load, and prints each
# round's medians side by side with their ratio, row by row (workload, impl,
# size).  REPS goes to the benchmark as its argument and as MG_BENCH_REPS.
# MG_COMPARE_CMAKE_ARGS adds CMake options to both builds (e.g.
# -DMATGRAD_NATIVE=ON, as bench/run_all.sh builds).  Not part of CI.
#   bash scripts/bench_compare.sh REV [ROUNDS] [REPS] [BENCH]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rev=${1:?usage: bench_compare.sh REV [ROUNDS] [REPS] [BENCH]}
rounds=${2:-3}
reps=${3:-5}
bench=${4:-bench_lstsq}
tmp=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$tmp/before" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
git -C "$root" worktree add -q --detach "$tmp/before" "$rev"
for side in before after; do
  src=$root
  [ "$side" = before ] && src=$tmp/before
  # shellcheck disable=SC2086 # the options are words
  cmake -S "$src" -B "$tmp/build-$side" -DCMAKE_BUILD_TYPE=Release -DMATGRAD_TESTS=OFF \
    ${MG_COMPARE_CMAKE_ARGS:-} > "$tmp/$side.log" 2>&1
  cmake --build "$tmp/build-$side" -j2 --target "$bench" >> "$tmp/$side.log" 2>&1
done
echo "bench_compare: before = $(git -C "$root" rev-parse --short "$rev"), after = working tree at $(git -C "$root" rev-parse --short HEAD); load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-6s %-13s %-22s %-11s %12s %12s %8s\n' round workload impl size before_s after_s after/before
for r in $(seq 1 "$rounds"); do
  MG_BENCH_REPS=$reps "$tmp/build-before/bench/$bench" "$reps" | grep '^RESULT' > "$tmp/b.txt"
  MG_BENCH_REPS=$reps "$tmp/build-after/bench/$bench" "$reps" | grep '^RESULT' > "$tmp/a.txt"
  awk -v r="$r" '
    function field(s, k,   n, i, kv) { n = split(s, kv, " "); for (i = 1; i <= n; i++) if (index(kv[i], k "=") == 1) return substr(kv[i], length(k) + 2); return "" }
    FNR == NR { b[field($0, "workload") " " field($0, "impl") " " field($0, "size")] = field($0, "median_s"); next }
    { key = field($0, "workload") " " field($0, "impl") " " field($0, "size"); split(key, ks, " ");
      printf "%-6s %-13s %-22s %-11s %12.4g %12.4g %8.2f\n", r, ks[1], ks[2], ks[3], b[key], field($0, "median_s"), field($0, "median_s") / b[key] }
  ' "$tmp/b.txt" "$tmp/a.txt"
done
echo "load at end $(cut -d' ' -f1-3 /proc/loadavg)"
