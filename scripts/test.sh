#!/usr/bin/env bash
# Quick start, tests: install what is missing, build, run the whole suite
# twice (a normal build and an ASan + UBSan build), plus the extra checks in
# scripts/test.d/*.sh.  Exits non-zero on any failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/deps.sh"

echo "== build (release, -Werror)"
bash "$root/scripts/build.sh" "$root/build"
echo "== ctest (release)"
(cd "$root/build" && ctest --output-on-failure -j 2)

echo "== build (ASan + UBSan)"
bash "$root/scripts/build.sh" "$root/build-san" -DCMAKE_BUILD_TYPE=Debug -DMATGRAD_SANITIZE=ON -DMATGRAD_BENCH=OFF
echo "== ctest (ASan + UBSan)"
(cd "$root/build-san" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
   CK_FORK=no ctest --output-on-failure -j 2)

for extra in "$root"/scripts/test.d/*.sh; do
  [ -e "$extra" ] || continue
  echo "== $(basename "$extra")"
  bash "$extra"
done
echo "all test stages passed"
