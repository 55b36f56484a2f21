#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Fuzzes the CSV loader of the matgrad command with libFuzzer for SECONDS
# (default 60): builds tests/fuzz/fuzz_csv.c with clang
# -fsanitize=fuzzer,address,undefined, starts from the seed corpus in
# tests/fuzz/corpus, keeps new inputs in fuzz-out/corpus (so later runs
# continue from them) and writes any crash reproducer to fuzz-out/.
# Exits non-zero if the fuzzer finds a crash, leak or failed check.
#   usage: scripts/fuzz.sh [SECONDS] [extra libFuzzer flags...]
# Replay a reproducer: fuzz-out/fuzz_csv fuzz-out/crash-<hash>
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
shift || true
out=$root/fuzz-out
mkdir -p "$out/corpus"
clang -std=c11 -g -O1 -fno-omit-frame-pointer \
      -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
      -I "$root/src/cli" \
      "$root/tests/fuzz/fuzz_csv.c" "$root/src/cli/csv_load.c" "$root/src/cli/fit_data.c" \
      "$root/src/cli/csv_sep.c" "$root/src/cli/factor.c" \
      -lcsv -lm -o "$out/fuzz_csv"
# The first directory receives new inputs; the seed corpus is read only.
"$out/fuzz_csv" -max_total_time="$secs" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -dict="$root/tests/fuzz/csv.dict" \
    -artifact_prefix="$out/" "$@" "$out/corpus" "$root/tests/fuzz/corpus"
