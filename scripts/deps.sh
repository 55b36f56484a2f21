#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Installs matgrad's build and test dependencies from Debian's packages when
# any is missing (needs root for apt-get).  Quiet when all are present.
# Package names given as arguments replace the list (bench/deps.sh).
set -euo pipefail
# clang, its sanitizer/fuzzer runtime and its OpenMP runtime (libomp-dev)
# serve the clang build and the fuzz stage of scripts/test.sh; Open MPI
# (libopenmpi-dev, openmpi-bin: mpicc's library and mpirun) the MPI layer
# and its tests (docs/mpi.md).
pkgs=(build-essential cmake pkg-config libopenblas-dev liblapacke-dev check
      libcsv-dev gnuplot-nox clang libclang-rt-14-dev libomp-dev libgmp-dev
      libopenmpi-dev openmpi-bin)
[ $# -gt 0 ] && pkgs=("$@")
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: need root to apt-get install: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
