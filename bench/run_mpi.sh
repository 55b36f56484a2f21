#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The MPI scaling harness (docs/scaling.md): builds bench_mpi in the bench
# build directory of run_all.sh (-O3 -march=native for the benches, the
# portable library), runs it under mpirun on 1..4 ranks, strong scaling
# (N rows in all) then weak scaling (n rows per rank), plus one single-rank
# run at a second width for the cost model, and writes
# bench/results/mpi_scaling.md and the measured part of docs/scaling.md
# (between its markers) through bench/mpi_report.py.  Not part of CI;
# a few minutes at the defaults.
#   MG_MPI_ROWS=N         strong scaling: rows in all      (default 2000000)
#   MG_MPI_WEAK_ROWS=n    weak scaling: rows per rank      (default 500000)
#   MG_MPI_COLS=p         predictors                       (default 32)
#   MG_MPI_COLS2=p2       the second width, 1 rank only    (default 64; "" skips)
#   MG_MPI_NP="1 2 3 4"   rank counts
#   MG_BENCH_REPS=r       repetitions per median           (default 5)
# One OpenMP and one OpenBLAS thread per rank, always: the ranks are the
# parallelism measured here (a rank's threads would compete with the other
# ranks for the same 2 cores).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${MG_BENCH_BUILD:-$root/build-bench}
out=$build/mpi-results
py=/usr/bin/python3
rows=${MG_MPI_ROWS:-2000000}
weak=${MG_MPI_WEAK_ROWS:-500000}
cols=${MG_MPI_COLS:-32}
cols2=${MG_MPI_COLS2-64}
nps=${MG_MPI_NP:-1 2 3 4}
cores=$(getconf _NPROCESSORS_ONLN)   # not nproc: it obeys OMP_NUM_THREADS
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
export MG_BENCH_REPS=${MG_BENCH_REPS:-5}
# Open MPI as root; loopback only, as tests/mpi.cmake runs the suites:
# shared memory (vader) without its single-copy mechanism (CMA needs ptrace
# rights that containers often withhold), more ranks than cores allowed.
# --bind-to none: with 3-4 ranks on 2 cores, Open MPI's default binding can
# stack ranks on one core; the kernel's scheduler spreads them instead.
# mpi_yield_when_idle: a rank waiting for a message yields its core.  Open
# MPI does so by itself only beyond one rank per core; at 2 ranks on 2
# shared cores, a waiting rank that spins holds the core its partner (or
# another user's process) needs, and each message then costs scheduler
# time slices (tens of ms seen in trial runs).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpiflags=(--oversubscribe --bind-to none --mca btl self,vader --mca btl_vader_single_copy_mechanism none
          --mca mpi_yield_when_idle 1)
command -v mpirun > /dev/null || { echo "run_mpi: mpirun not found (Debian: openmpi-bin)" >&2; exit 1; }

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DMATGRAD_NATIVE=ON -DMATGRAD_TESTS=OFF \
  > "$build.configure.log" 2>&1 || { cat "$build.configure.log" >&2; exit 1; }
grep -q "MPI layer: building" "$build.configure.log" || {
  echo "run_mpi: $(grep "MPI layer" "$build.configure.log" || echo "MPI layer not configured")" >&2; exit 1; }
cmake --build "$build" -j 2 --target bench_mpi > "$build.build.log" 2>&1 || { tail -40 "$build.build.log" >&2; exit 1; }
exe=$build/bench/mpi/bench_mpi
[ -x "$exe" ] || { echo "run_mpi: $exe not built (is MPI found? see $build.configure.log)" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out"

{
  echo "date (UTC):    $(date -u '+%Y-%m-%d %H:%M')"
  echo "commit:        $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet HEAD -- src include bench 2>/dev/null || echo ' (with local changes)')"
  echo "cpu:           $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "cores:         $cores"
  echo "memory:        $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "mpi:           $(mpirun --version 2>/dev/null | head -1)"
  echo "mpirun flags:  ${mpiflags[*]}"
  echo "threads:       OMP_NUM_THREADS=$OMP_NUM_THREADS OPENBLAS_NUM_THREADS=$OPENBLAS_NUM_THREADS (per rank)"
  echo "reps:          $MG_BENCH_REPS per median"
  echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min; other work on the machine adds noise)"
} > "$out/machine.txt"

run() {
  local np=$1; shift
  echo "== mpirun -np $np bench_mpi $*"
  if ! mpirun -np "$np" "${mpiflags[@]}" "$exe" "$@" > "$out/last.txt" 2>&1; then
    cat "$out/last.txt" >&2
    echo "run_mpi: bench_mpi failed on $np ranks" >&2
    exit 1
  fi
  cat "$out/last.txt" >> "$out/raw.txt"
  grep -E '^(MPI|CHECK)' "$out/last.txt" | cut -c1-150 || true
}
start=$(date +%s)
for np in $nps; do run "$np" strong "$rows" "$cols"; done
for np in $nps; do run "$np" weak "$weak" "$cols"; done
[ -z "$cols2" ] || run 1 strong "$(( rows / 4 ))" "$cols2"
{
  echo "load at end:   $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "harness time:  $(( $(date +%s) - start )) s"
} >> "$out/machine.txt"

args=(MG_MPI_ROWS="$rows" MG_MPI_WEAK_ROWS="$weak" MG_MPI_COLS="$cols" MG_MPI_COLS2="$cols2"
      MG_MPI_NP="\"$nps\"" MG_BENCH_REPS="$MG_BENCH_REPS")
"$py" "$root/bench/mpi_report.py" "$out/raw.txt" "$out/machine.txt" \
  "$root/bench/results/mpi_scaling.md" "$root/docs/scaling.md" "${args[*]} bash bench/run_mpi.sh"
echo "wrote bench/results/mpi_scaling.md and docs/scaling.md's measured part (raw lines: $out/raw.txt)"
