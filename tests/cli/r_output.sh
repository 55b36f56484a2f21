#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# fit --output against R's lm (tests/data/r/lm, README.md there): estimate,
# std_error, t, p, the 0.95 and (--conf-level 0.99) 0.99 intervals, sigma,
# R^2, adjusted R^2, F and its degrees of freedom and p-value, logLik, AIC,
# BIC, df_residual, n (R's nobs) and deleted; --vcov's columns against the
# vcov records; --robust hc0..hc3's std_error against the square roots of
# the diagonal of the hc records.
#
# Tolerance 1e-12 relative.  --output has 17 significant digits (exact);
# README "R's accuracy": R's worst relative error against the exact answer
# is 5.1e-14 (longley's coefficients, kappa_2 = 2.4e7) and at most 3.2e-14
# elsewhere, and matgrad's refined answer is within a few ulps of the exact
# one; the statistics derived from the coefficients and sigma (t, p, F,
# intervals, logLik) amplify that by at most a few units here (p-values by
# |d log p / d log t| <= df + 1 < 150).  So 1e-12 holds both sides with a
# margin of 20 or more.
#
# The robust (HC) standard errors are the exception on longley: R's
# sandwich forms (X'X)^-1 X' diag(e^2) X (X'X)^-1 from the unscaled design,
# whose relative error is about kappa^2 u with kappa the condition number
# of the column-scaled design (matgrad's "condition estimate", 3.8e4 for
# longley: kappa^2 u = 1.6e-7; R and matgrad differ by 1.8e-8 there).  So
# the HC tolerance is max(1e-12, kappa^2 u), kappa read from the report.
#
# Left out: constant_target and perfect_fit, where R's t, p, sigma and F are
# noise of its QR (README "Case notes"): their estimates are compared with
# the exact ones (<case>_exact.txt) below, their t and p must be NA; and
# trees_ones, fitted about the mean by matgrad (regressions.sh (a)).
. "$(dirname "$0")/lib.sh"
cases="airquality cars cars_weighted_zero iris longley mtcars mtcars_weighted rock_tab
       stackloss_semicolon swiss_aliased trees_noint trees_ones_mean"
for c in $cases; do
    mapfile -t args < <(r_args "$c")
    run "$c" 0 "$MATGRAD" fit "$RLM/$c.csv" "${args[@]}" --vcov --output "$c.csv"
    r_compare "$c" "$c" "$c.csv" 1e-12 level=0.95 vcov=1
    [ "$(out_col "$c.csv" conf_level)" = 0.94999999999999996 ] || fail "$c: conf_level $(out_col "$c.csv" conf_level)"
    # logLik's df (rank + 1) is printed in the report
    df=$(r_ref "$c" loglik | awk '{ print $2 }')
    expect_grep "$c" "$c.out" "^Log-likelihood: .* \\(df = $df\\); AIC: "
    run "${c}_99" 0 "$MATGRAD" fit "$RLM/$c.csv" "${args[@]}" --conf-level 0.99 --output "${c}_99.csv"
    r_compare "${c}_99" "$c" "${c}_99.csv" 1e-12 level=0.99
    [ "$(out_col "${c}_99.csv" conf_level)" = 0.98999999999999999 ] || fail "${c}_99: conf_level $(out_col "${c}_99.csv" conf_level)"
    kappa=$(sed -n 's/.*condition estimate: \([0-9.e+]*\).*/\1/p' "$c.out")
    hctol=$(awk -v k="$kappa" 'BEGIN { t = k * k * 2 ^ -53; printf "%.3g", (t > 1e-12 ? t : 1e-12) }')
    for h in 0 1 2 3; do
        # cars_weighted_zero: the hc records are sandwich's over the rows of
        # nonzero weight, the right answer (README: vcovHC is wrong with zero
        # weights); matgrad must match those, not R's vcovHC of the full fit
        run "${c}_hc$h" 0 "$MATGRAD" fit "$RLM/$c.csv" "${args[@]}" --robust "hc$h" --output "${c}_hc$h.csv"
        r_compare "${c}_hc$h" "$c" "${c}_hc$h.csv" "$hctol" "hc=HC$h"
    done
done

# constant_target, perfect_fit: the estimates against the exact fit,
# normwise (|b - b_exact| <= 1e-12 max |b_exact|: x's exact coefficient is
# 0 for constant_target); t and p NA; sigma and every standard error are
# rounding noise (exact: 0), below 1e-12 times the estimates' scale.
for c in constant_target perfect_fit; do
    mapfile -t args < <(r_args "$c")
    run "$c" 0 "$MATGRAD" fit "$RLM/$c.csv" "${args[@]}" --output "$c.csv"
    awk -F, -v OFS=' ' 'NR == FNR { if ($1 == "coef_exact") { e[$2] = $3; a = $3 < 0 ? -$3 : $3; if (a > m) m = a }; next }
        FNR == 1 { FS = ","; $0 = $0; next }
        { n++; d = $2 - e[$1]; if (d < 0) d = -d
          if (!($1 in e) || d > 1e-12 * m) { print $1 ": " $2 " vs exact " e[$1]; bad = 1 }
          if ($3 > 1e-12 * m) { print $1 ": std_error " $3 " is not rounding noise"; bad = 1 }
          if ($4 != "NA" || $5 != "NA") { print $1 ": t " $4 ", p " $5 ", expected NA"; bad = 1 } }
        END { exit bad || n != 2 }' FS=' ' "$RLM/${c}_exact.txt" "$c.csv" > "$c.cmp" ||
        { fail "$c: not the exact fit:"; sed 's/^/    /' "$c.cmp" >&2; }
done
finish
