#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Installs the peers the benchmark harness compares against (numpy and
# PyTorch from Debian's packages).  Benchmarks only: the library, its tests
# and CI do not need them.  bench/peers.py skips a missing peer with a
# message, so this step is optional.
set -euo pipefail
exec bash "$(dirname "$0")/../scripts/deps.sh" python3-numpy python3-torch
