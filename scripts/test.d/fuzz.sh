#!/usr/bin/env bash
# CI stage: 30 seconds of libFuzzer on the matgrad command's CSV loader.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
exec bash "$root/scripts/fuzz.sh" 30
