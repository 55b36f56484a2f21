#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# CI stage: 30 seconds of libFuzzer on the matgrad command's CSV loader.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
exec bash "$root/scripts/fuzz.sh" 30
