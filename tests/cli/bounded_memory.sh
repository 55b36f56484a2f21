#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# auto, qr and normal stream the CSV through the fit engine: they never
# hold the rows.  Measured as the growth of the peak RSS from a 1000-row
# file to a 300000-row one (the same columns): holding the rows would take
# 300000 x 11 doubles = 26 MB more.  The fit itself takes the same memory
# (a 1024-row block and an O((p+2)^2) state), but since the report became
# R's summary(lm), the diagnostics pass keeps one residual per row for the
# exact residual quantiles R prints (src/cli/fit_diag.c): the old "does not
# grow" (under 4 MB) is intentionally gone.  What it costs is bounded here:
# 4 MB plus 4 doubles per row (the residual array, grown by doubling, up to
# 2 per row; its copy with the zero-weight rows, 1; the sorted copy of
# mgcli_summary_quantiles, 1): 13.6 MB at 300000 rows, still far below the
# rows' 26 MB on top of it.  Gradient
# descent, which does hold the design matrix, is the control: its growth
# must exceed 12 MB, or the measurement sees nothing (python3's fallback
# counts the forked interpreter, about 14 MB, as the floor of every run).
. "$(dirname "$0")/lib.sh"
if ldd "$MATGRAD" 2> /dev/null | grep -Eq 'lib[amt]san'; then
    echo "sanitizer build: resident memory includes the sanitizer's shadow and quarantine; not run"
    finish
    exit 0
fi
# peak_kb CMD...: the peak RSS (KiB) of CMD, run with stdout to /dev/null.
if [ -x /usr/bin/time ]; then
    peak_kb() { /usr/bin/time -f %M -o peak.txt "$@" > /dev/null 2> peak.err || return 1; tail -n 1 peak.txt; }
elif command -v python3 > /dev/null; then
    peak_kb() {
        python3 -c 'import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=open("peak.err", "w"))
sys.exit(r.returncode) if r.returncode else print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$@"
    }
else
    echo "neither /usr/bin/time nor python3: peak RSS cannot be measured; not run"
    finish
    exit 0
fi
# gen ROWS: y and 10 predictors, 8 significant digits (Park-Miller, see ridge.sh)
gen() {
    awk -v n="$1" 'function u() { s = (16807 * s) % 2147483647; return s / 2147483647 }
        BEGIN { s = 3; print "x1,x2,x3,x4,x5,x6,x7,x8,x9,x10,y"
                for (i = 0; i < n; i++) { t = 0; line = ""
                    for (j = 1; j <= 10; j++) { x = u(); t += j * x; line = line sprintf("%.8f,", x) }
                    print line sprintf("%.8f", t + u()) } }'
}
gen 1000 > small.csv
gen 300000 > big.csv
echo "big.csv: $(stat -c %s big.csv) bytes"
for m in normal qr auto gd; do
    extra=""
    [ "$m" = gd ] && extra="--epochs 1"
    small=$(peak_kb "$MATGRAD" fit small.csv -t y -i -m "$m" $extra) || { fail "$m: small run failed"; cat peak.err >&2; continue; }
    big=$(peak_kb "$MATGRAD" fit big.csv -t y -i -m "$m" $extra) || { fail "$m: big run failed"; cat peak.err >&2; continue; }
    growth=$((big - small))
    echo "$m: peak RSS ${small} KiB (1000 rows), ${big} KiB (300000 rows): +${growth} KiB"
    if [ "$m" = gd ]; then
        [ "$growth" -gt 12288 ] || fail "gd (control): peak RSS grew by only $growth KiB with the rows in memory"
    else
        limit=$((4096 + 4 * 8 * (300000 - 1000) / 1024))
        [ "$growth" -lt "$limit" ] ||
            fail "$m: peak RSS grew by $growth KiB with the rows (streaming plus the residuals: under $limit KiB)"
    fi
done
finish
