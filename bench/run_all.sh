#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The benchmark harness: builds the benches (-O3 -march=native for the bench
# executables only; the library is the portable one), runs every
# bench/bench_* executable and bench/peers.py (numpy, PyTorch) in one go,
# and writes docs/benchmarks.md.  Not part of CI; takes a few minutes.
#   MG_BENCH_REPS=n   runs per median (default: each bench's own, >= 5)
#   MG_BENCH_QUICK=1  smaller largest sizes, for a quick look
#   MG_BENCH_NO_DEPS=1  do not try to install the peers
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${MG_BENCH_BUILD:-$root/build-bench}
out=$build/bench-results
py=/usr/bin/python3   # Debian's python3, where python3-numpy / python3-torch live
# The default environment: matgrad's threads sleep between passes and do not
# wait for a worker the OS has not run (src/kernels/pool.h), so programs
# need no OMP_WAIT_POLICY or OPENBLAS_THREAD_TIMEOUT, and neither does the
# harness (bench_threads measures the mix; docs/performance.md, "Threads").
# Whatever the caller sets is passed on and recorded.
if [ -z "${MG_BENCH_NO_DEPS:-}" ]; then
  bash "$root/bench/deps.sh" || echo "run_all: peers not installed; peers.py will skip them" >&2
fi
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DMATGRAD_NATIVE=ON -DMATGRAD_TESTS=OFF \
  > "$build.configure.log" 2>&1 || { cat "$build.configure.log" >&2; exit 1; }
cmake --build "$build" -j 2 > "$build.build.log" 2>&1 || { tail -40 "$build.build.log" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out"

{
  echo "date (UTC):    $(date -u '+%Y-%m-%d %H:%M')"
  echo "commit:        $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "cpu:           $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "cores:         $(nproc) ($(lscpu 2>/dev/null | grep -E '^(L2|L3) cache' | tr -s ' ' | paste -sd ';' -))"
  echo "memory:        $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "openblas:      $(dpkg-query -W -f='${Package} ${Version}' libopenblas0-pthread 2>/dev/null || echo unknown)"
  echo "compiler:      $(cc --version | head -1)"
  echo "numpy:         $($py -c 'import numpy; print(numpy.__version__)' 2>/dev/null || echo 'not installed')"
  echo "torch:         $($py -c 'import torch; print(torch.__version__, "threads", torch.get_num_threads())' 2>/dev/null || echo 'not installed')"
  echo "threads:       OMP_NUM_THREADS=${OMP_NUM_THREADS:-unset} OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-unset} OMP_DYNAMIC=${OMP_DYNAMIC:-unset} OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-unset} OPENBLAS_THREAD_TIMEOUT=${OPENBLAS_THREAD_TIMEOUT:-unset} OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}"
  echo "openblas core: $($py -c 'import ctypes; l = ctypes.CDLL("libopenblas.so.0"); l.openblas_get_corename.restype = ctypes.c_char_p; print(l.openblas_get_corename().decode())' 2>/dev/null || echo unknown) (the kernel OpenBLAS picked for this CPU; its dgemm is the peak below)"
  echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min; other work on the machine adds noise)"
} > "$out/machine.txt"

# OpenBLAS's own pick may be a fallback kernel (bench/bench_peak.c says
# why): the flop-bound goals are judged against the best kernel this CPU's
# instruction set allows.
best_core=
if grep -qw avx512f /proc/cpuinfo; then best_core=SkylakeX
elif grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then best_core=Haswell
fi

start=$(date +%s)
for exe in "$build"/bench/bench_*; do
  [ -x "$exe" ] || continue
  name=$(basename "$exe")
  echo "== $name"
  t0=$(date +%s)
  # bench_gram times dgemm in the same rounds as the Gram pass (goal 3):
  # with the best kernel, as bench_peak below
  core=
  [ "$name" = bench_gram ] && core=$best_core
  env ${core:+OPENBLAS_CORETYPE=$core} "$exe" > "$out/$name.log" 2>&1 \
    || echo "run_all: $name failed (see $out/$name.log)" >&2
  grep -v '^RESULT' "$out/$name.log" || true
  grep '^RESULT' "$out/$name.log" | sed "s/^/$name /" >> "$out/results.txt" || true
  echo "   ($(( $(date +%s) - t0 )) s)"
done
# the peak with the best kernel too
if [ -n "$best_core" ] && [ -x "$build/bench/bench_peak" ]; then
  echo "== bench_peak with OPENBLAS_CORETYPE=$best_core"
  OPENBLAS_CORETYPE=$best_core "$build/bench/bench_peak" > "$out/bench_peak_best.log" 2>&1 \
    || echo "run_all: bench_peak with $best_core failed" >&2
  grep -v '^RESULT' "$out/bench_peak_best.log" || true
  grep '^RESULT' "$out/bench_peak_best.log" | sed "s/^/bench_peak /" >> "$out/results.txt" || true
fi
echo "== peers.py"
t0=$(date +%s)
"$py" "$root/bench/peers.py" > "$out/peers.log" 2> "$out/peers.err" || echo "run_all: peers.py failed" >&2
cat "$out/peers.err" >&2 || true
grep '^RESULT' "$out/peers.log" | sed 's/^/peers.py /' >> "$out/results.txt" || true
echo "   ($(( $(date +%s) - t0 )) s)"
# The dense backward is the same OpenBLAS dgemm in matgrad, numpy and torch:
# timed again round by round in one process on one OpenBLAS instance
# (peers.py with MG_PEERS_LIB), which the goal is judged on.
if [ -e "$build/libmatgrad.so" ]; then
  echo "== peers.py, dense backward interleaved"
  t0=$(date +%s)
  MG_PEERS_LIB="$build/libmatgrad.so" MG_PEERS_ONLY=dense_backward "$py" "$root/bench/peers.py" \
    > "$out/peers_interleaved.log" 2>&1 || echo "run_all: interleaved peers.py failed" >&2
  grep '^RESULT' "$out/peers_interleaved.log" | sed 's/^/peers.py /' >> "$out/results.txt" || true
  echo "   ($(( $(date +%s) - t0 )) s)"
fi

{
  echo "load at end:   $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "harness time:  $(( $(date +%s) - start )) s"
  echo "reps:          ${MG_BENCH_REPS:-default (bench_linreg 7, bench_gd 5, bench_fit 5, peers 5)}${MG_BENCH_QUICK:+ (quick sizes)}"
} >> "$out/machine.txt"
"$py" "$root/bench/report.py" "$out/results.txt" "$out/machine.txt" "$root/docs/benchmarks.md"
echo "wrote docs/benchmarks.md (raw lines: $out/results.txt)"
awk '/^## Goals/ {on = 1; next} on && /^## / {exit} on && NF' "$root/docs/benchmarks.md"
