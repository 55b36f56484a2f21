#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Configures and builds matgrad into build/ (or $1), warnings as errors.
# Extra arguments go to cmake's configure step.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$root/build}
shift || true
cmake -S "$root" -B "$dir" -DMATGRAD_WERROR=ON "$@" > "$dir.configure.log" 2>&1 \
  || { cat "$dir.configure.log" >&2; exit 1; }
cmake --build "$dir" -j "$(nproc)"
