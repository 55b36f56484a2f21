#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# matgrad fit prints R's summary(lm) block digit for digit: for each R
# reference case (tests/data/r/lm), the report from the line ending in
# "Residuals:" to the F-statistic line is byte-identical to what R 4.2.2
# printed (<case>_summary.txt).  R's printout rounds to 4 significant
# digits (and zapsmall's the quantiles), so matgrad's few-ulp differences
# from R never show, except where R's own answer is rounding noise:
#   - constant_target, perfect_fit: R's residuals, sigma, t and F are noise
#     of its QR (README "Case notes"); matgrad reports the exact fit and a
#     warning instead (tests/cli/regressions.sh checks those);
#   - trees_ones: R fits the column of ones as an ordinary column (R^2 and F
#     about zero); matgrad reads a constant column as the intercept, i.e.
#     R's trees_ones_mean (regressions.sh).
# Those three are left out here by design.
. "$(dirname "$0")/lib.sh"
cases="airquality cars cars_weighted_zero iris longley mtcars mtcars_weighted rock_tab
       stackloss_semicolon swiss_aliased trees_noint"
for c in $cases; do
    mapfile -t args < <(r_args "$c")
    auto_args=("${args[@]}")
    # the separator as given (detection is checked by regressions.sh (g))
    case $c in
        stackloss_semicolon) args+=(--sep ';') ;;
        rock_tab) args+=(--sep tab) ;;
    esac
    run "$c" 0 "$MATGRAD" fit "$RLM/$c.csv" "${args[@]}"
    sed -n '/Residuals:$/,/^F-statistic/p' "$c.out" > "$c.block"
    [ -s "$c.block" ] || { fail "$c: no block from 'Residuals:' to 'F-statistic'"; continue; }
    diff "$c.block" "$RLM/${c}_summary.txt" > "$c.diff" ||
        { fail "$c: the summary differs from R's (< matgrad, > R):"; sed 's/^/    /' "$c.diff" >&2; }
    # and with the separator detected, the same report
    run "${c}_auto" 0 "$MATGRAD" fit "$RLM/$c.csv" "${auto_args[@]}"
    cmp -s "$c.out" "${c}_auto.out" || fail "$c: the report with the separator detected differs"
done
finish
