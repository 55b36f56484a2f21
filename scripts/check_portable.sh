#!/usr/bin/env bash
# Compiles every source under src/ (the library and the command; the MPI
# layer aside, whose mpi.h is an optional dependency) for a non-x86 target
# (aarch64, clang -fsyntax-only, -Werror), with and without OpenMP: the x86
# kernel variants must be guarded (src/kernels/cpu.h) so that the portable
# ones alone build there.  Syntax and types only: nothing is linked or run.
#
# No aarch64 sysroot is needed.  The host's C headers serve, with two shims
# in a scratch directory: glibc's x86 bits/wordsize.h keys the word size on
# __x86_64__ (a 64-bit target must not see the 32-bit layouts), and
# gnu/stubs.h then asks for gnu/stubs-32.h, which an x86-64 system lacks.
# Exits non-zero on the first file that does not compile.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shim=$(mktemp -d)
trap 'rm -rf "$shim"' EXIT
mkdir -p "$shim/bits" "$shim/gnu"
printf '#define __WORDSIZE 64\n#define __WORDSIZE_TIME64_COMPAT32 1\n#define __SYSCALL_WORDSIZE 64\n' \
  > "$shim/bits/wordsize.h"
: > "$shim/gnu/stubs-32.h"
host_inc=/usr/include/$(gcc -print-multiarch)

mapfile -t sources < <(find "$root/src" -name '*.c' -not -path "$root/src/mpi/*" | sort)
n=0
for omp in "" -fopenmp; do
  for src in "${sources[@]}"; do
    clang --target=aarch64-linux-gnu $omp -std=c11 -Wall -Wextra -Wpedantic -Werror -fsyntax-only \
          -I "$root/include" -I "$root/src" -I "$root/src/cli" \
          -isystem "$shim" -isystem /usr/include -isystem "$host_inc" "$src"
    n=$((n + 1))
  done
done
echo "check_portable: $n compilations for aarch64 (without and with OpenMP) are clean"
