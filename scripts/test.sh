#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Quick start, tests (the README's test command; .ci/run runs exactly this).
# Installs what is missing, then runs the stages below in order, each under
# a "==== stage" header and closed by its verdict and time, and prints a
# table of the stage times at the end.  Every build treats warnings as
# errors.  Stops at the first failing stage with its non-zero exit status;
# with MATGRAD_TEST_KEEP_GOING=1 it runs every stage anyway and exits 1 if
# any failed (to see the whole matrix at once).
#
#   release          build/ (gcc, Release, benches too), then the whole suite
#   matrix: ENV      the numerical suites again on build/, once under each
#                    ENV of MATRIX below; they are the ctest tests labelled
#                    "numeric", which every tests/test_*.c suite gets
#                    (tests/CMakeLists.txt), new ones included.  One thread
#                    runs with scripts/omp_guard.c preloaded (no one-thread
#                    parallel region); Prescott first checks that OpenBLAS
#                    takes the override
#   sanitize         build-san/ (Debug, ASan + UBSan), the whole suite
#   no-openmp        build-noomp/ (MATGRAD_OPENMP=OFF), the whole suite
#   clang            build-clang/ (CC=clang; OpenMP through libomp), the whole suite
#   portable         scripts/check_portable.sh: the sources compile for aarch64
#   test.d/*.sh      further checks (the CSV fuzzer, 30 s)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=2

# The environments of the matrix stages: the results must not depend on
# the thread counts (ours and OpenBLAS's), on OpenBLAS's kernels, or on
# matgrad's own instruction-set dispatch.
MATRIX=(
  OMP_NUM_THREADS=1            # our slices on one thread: no parallel region at all
  OMP_NUM_THREADS=3            # more threads than this machine's cores
  OPENBLAS_NUM_THREADS=1
  OPENBLAS_NUM_THREADS=2
  OPENBLAS_CORETYPE=Prescott   # OpenBLAS's generic SSE2 kernels, as on an old x86-64
  MATGRAD_SIMD=generic         # matgrad's portable kernel variants (src/kernels/cpu.h)
  MATGRAD_SIMD=avx2            # its AVX2 variants, as on a CPU without AVX-512
)

summary=()
failed=0

print_summary() {
  echo
  echo "==== stage times"
  printf '%s\n' "${summary[@]}"
  echo "total: $SECONDS s"
}

# stage NAME COMMAND...: one stage, whose verdict is COMMAND's exit status.
# COMMAND runs with errexit off (it is tested with ||): a shell function
# used as one must return on its first failing step itself.
stage() {
  local name=$1 rc=0 t0=$SECONDS verdict
  shift
  echo
  echo "==== stage: $name   [$(date -u +%H:%M:%S) UTC]"
  "$@" || rc=$?
  verdict=$([ "$rc" -eq 0 ] && echo passed || echo "FAILED (exit $rc)")
  echo "==== stage: $name: $verdict in $((SECONDS - t0)) s"
  summary+=("$(printf '  %-34s %5d s  %s' "$name" "$((SECONDS - t0))" "$verdict")")
  if [ "$rc" -ne 0 ]; then
    failed=1
    if [ "${MATGRAD_TEST_KEEP_GOING:-0}" != 1 ]; then
      print_summary
      exit "$rc"
    fi
  fi
}

ctest_in() { # DIR [ctest args...]
  local dir=$1
  shift
  ctest --test-dir "$dir" --output-on-failure -j "$jobs" "$@"
}

# The CPU name OpenBLAS reports, to prove the override took (its
# OPENBLAS_VERBOSE=2 line "Core: NAME" printed at load).  An OpenBLAS built
# for one CPU (no DYNAMIC_ARCH) ignores OPENBLAS_CORETYPE: fail rather than
# test the same kernels twice.
check_coretype() { # BUILD NAME
  local exe out
  # a suite that calls BLAS: a test that does not may not load OpenBLAS at
  # all (the linker drops a library nothing uses)
  exe=$1/tests/test_linreg
  # the whole output first: grep -q would close the pipe early (pipefail)
  out=$(OPENBLAS_VERBOSE=2 OPENBLAS_CORETYPE=$2 "$exe" 2>&1 || true)
  if ! grep -q "^Core: $2\$" <<< "$out"; then
    echo "OpenBLAS ignores OPENBLAS_CORETYPE=$2 (not built with DYNAMIC_ARCH?)" >&2
    return 1
  fi
}

# The numerical suites on build/ under ENV.  Under OMP_NUM_THREADS=1 they
# run with scripts/omp_guard.c preloaded, which aborts a process that opens
# an OpenMP parallel region for one thread (src/kernels/parallel.h).
matrix_ctest() { # ENV
  local preload=
  if [ "$1" = OMP_NUM_THREADS=1 ]; then
    preload=$root/build/omp_guard.so
    cc -std=c11 -Wall -Wextra -Wpedantic -Werror -shared -fPIC -o "$preload" \
       "$root/scripts/omp_guard.c" -ldl || return
  fi
  env "$1" ${preload:+LD_PRELOAD="$preload"} \
    ctest --test-dir "$root/build" --output-on-failure -j "$jobs" -L numeric
}

stage "dependencies" bash "$root/scripts/deps.sh"

stage "release: build" bash "$root/scripts/build.sh" "$root/build"
stage "release: ctest" ctest_in "$root/build"

for env in "${MATRIX[@]}"; do
  if [ "$env" = OPENBLAS_CORETYPE=Prescott ] && [ "$(uname -m)" = x86_64 ]; then
    stage "matrix: OpenBLAS takes Prescott" check_coretype "$root/build" Prescott
  fi
  stage "matrix: $env" matrix_ctest "$env"
done

stage "sanitize: build" bash "$root/scripts/build.sh" "$root/build-san" \
  -DCMAKE_BUILD_TYPE=Debug -DMATGRAD_SANITIZE=ON -DMATGRAD_BENCH=OFF
stage "sanitize: ctest" env ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 CK_FORK=no \
  ctest --test-dir "$root/build-san" --output-on-failure -j "$jobs"

stage "no-openmp: build" bash "$root/scripts/build.sh" "$root/build-noomp" -DMATGRAD_OPENMP=OFF
stage "no-openmp: ctest" ctest_in "$root/build-noomp"

stage "clang: build" env CC=clang bash "$root/scripts/build.sh" "$root/build-clang"
stage "clang: ctest" ctest_in "$root/build-clang"

stage "portable: aarch64 syntax" bash "$root/scripts/check_portable.sh"

for extra in "$root"/scripts/test.d/*.sh; do
  [ -e "$extra" ] || continue
  stage "test.d/$(basename "$extra")" bash "$extra"
done

print_summary
if [ "$failed" -ne 0 ]; then
  echo "some test stages FAILED" >&2
  exit 1
fi
echo "all test stages passed"
