#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# matgrad demo: the worked example's loss table, final W and A W, and the closed form.
. "$(dirname "$0")/lib.sh"
seed=$DATA/seed/seed001.txt
run demo 0 "$MATGRAD" demo

# Every loss the example program printed, to 1e-9 relative: our gradient is
# exact while the program's came from central differences of the same quadratic, a
# difference of rounding only (tests/test_seed001.c argues the bound).
grep '^loss ' "$seed" | while read -r _ epoch value; do
    epoch=${epoch%:}
    if [ "$epoch" = 0 ]; then label='Loss:'; else label="Loss ($epoch):"; fi
    got=$(grep -F "$label " demo.out | head -n 1 | sed 's/^.*: //')
    awk -v g="$got" -v w="$value" -v l="$label" 'BEGIN {
        e = (g - w) / w; if (e < 0) e = -e
        if (g == "" || e > 1e-9) { printf "%s %s, seed %s (rel err %.2e)\n", l, g, w, e; exit 1 } }' ||
        echo "FAIL: loss at epoch $epoch" >&2
done 2>&1 | tee losses.err
[ -s losses.err ] && fail "loss table differs from the example program's"
expect_grep demo demo.out '^\.\.\.$'
# The example program prints W and A W to 8 decimals; our trajectory matches to ~1e-12.
expect_grep demo demo.out '^W: \[1\.76405235 0\.40015721 0\.97873798\] -> \[1\.32439537 1\.35257131 3\.32322317\]$'
expect_grep demo demo.out '^Y: \[14 32 50\] ~= \[13\.99920748 31\.99977701 50\.00034653\]$'
expect_grep demo demo.out '^Closed form \(mg_lstsq\): rank 2 of 3 detected; minimum-norm W = \[1\.00000000 2\.00000000 3\.00000000\]$'
expect_grep demo demo.out 'The start has$'
expect_grep demo demo.out '^0\.32374599 x \[1 -2 1\]; after 1000 epochs W still has 0\.32374599 x \[1 -2 1\]\.$'
[ ! -s demo.err ] || fail "demo wrote to stderr"
finish
