#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Where the time of one default mg_lstsq call goes at the application sizes
# of bench_appsizes (docs/performance.md, "Application sizes"): samples
# build-bench/bench/prof_lstsq under `perf record` (Debian: linux-perf) on
# one thread and sorts the functions' shares into the call's stages by
# scripts/profile_stages.py.  Shares of samples of this process only, so
# other load on the machine changes them little (unlike times).
#
#   bash scripts/profile_appsizes.sh      # writes bench/results/appsizes_profile.md
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${MG_BENCH_BUILD:-$root/build-bench}
out=$root/bench/results/appsizes_profile.md
command -v perf >/dev/null || { echo "profile_appsizes: needs perf (apt-get install linux-perf)" >&2; exit 1; }
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DMATGRAD_NATIVE=ON -DMATGRAD_TESTS=OFF >/dev/null
cmake --build "$build" -j 2 --target prof_lstsq >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# calls per size: about two seconds of work each
sizes=("20 2 800000" "100 4 200000" "1000 10 12000" "10000 20 500" "100000 50 60")
{
  echo "# Where the time of mg_lstsq goes (profile shares)"
  echo
  echo "\`bash scripts/profile_appsizes.sh\`, $(date -u +%Y-%m-%d), commit $(git -C "$root" rev-parse --short HEAD),"
  echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), one thread."
  echo "Percent of the call's samples by stage (scripts/profile_stages.py lists which"
  echo "function goes where; inlined helpers count with their caller)."
  echo
  python3 "$root/scripts/profile_stages.py" --header
  for s in "${sizes[@]}"; do
    set -- $s
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 perf record -q -F 4999 -o "$tmp/p.data" \
      "$build/bench/prof_lstsq" "$1" "$2" "$3" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
    perf report -i "$tmp/p.data" --no-children --sort symbol --stdio -q 2>/dev/null |
      python3 "$root/scripts/profile_stages.py" "$1x$2"
  done
} > "$out"
cat "$out"
