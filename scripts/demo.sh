#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Quick start, main job: install what is missing, build, run `matgrad demo`
# (arguments are passed on, e.g. --plot loss.png).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/deps.sh"
bash "$root/scripts/build.sh" "$root/build" > "$root/build.log" 2>&1 || { cat "$root/build.log" >&2; exit 1; }
exec "$root/build/matgrad" demo "$@"
