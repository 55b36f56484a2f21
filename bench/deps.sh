#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Installs the peers the benchmark harness compares against, from Debian's
# packages: numpy and PyTorch (bench/peers.py) and GSL (bench_appsizes).
# Benchmarks only: the library, its tests and CI do not need them.
# peers.py skips a missing peer with a message and bench_appsizes prints
# "-" for GSL, so this step is optional.
set -euo pipefail
exec bash "$(dirname "$0")/../scripts/deps.sh" python3-numpy python3-torch libgsl-dev
