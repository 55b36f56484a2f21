#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# matgrad fit on a CSV made from the NIST StRD Longley data: estimates,
# standard errors, residual sd and R^2 against NIST's certified values.
. "$(dirname "$0")/lib.sh"
longley_csv > longley.csv
cert() { grep "^# $1:" "$DATA/nist/Longley.txt" | sed "s/^# $1: *//"; }
beta=$(cert certified_beta)
sd=$(cert certified_sd)
rsd=$(cert residual_sd)
r2=$(cert r_squared)

# compare NAME TOL CERTIFIED... < CSV column: every value within TOL relative
# of its certified value.
compare() {
    local name=$1 tol=$2
    shift 2
    awk -v name="$name" -v tol="$tol" -v cert="$*" '
        BEGIN { n = split(cert, c, " ") }
        { i++; e = ($1 - c[i]) / c[i]; if (e < 0) e = -e; if (e > worst) worst = e
          if (e > tol) { printf "%s[%d]: %.17g vs certified %s (rel err %.2e > %g)\n", name, i, $1, c[i], e, tol; bad = 1 } }
        END { if (i != n) { printf "%s: %d values, expected %d\n", name, i, n; bad = 1 }
              printf "%s: worst relative error %.2e (tolerance %g)\n", name, worst, tol > "/dev/stderr"
              exit bad }'
}

# Tolerances.  --output prints 17 significant digits (exact round trip), and
# mg_lstsq recovers Longley to about 14 digits from the double-rounded data
# (tests/test_lstsq*.c, docs/accuracy.md): the CSV's estimates and standard
# errors must agree with NIST to 1e-12 relative (100x margin).  The summary
# statistics (sigma, R^2, adjusted R^2) are read from the same CSV and held
# to 1e-11 as before (they were read from 12 printed digits).  The printed
# table is R's summary(lm) layout, 4 significant digits: rounding to 4
# digits is at most half a unit in the 4th, 5e-4 relative.
for m in auto qr; do
    run "fit_$m" 0 "$MATGRAD" fit longley.csv --target y --intercept --method "$m" --output "coef_$m.csv"
    expect_grep "fit_$m" "fit_$m.out" '^Rank: 7 of 7 coefficients'
    expect_grep "fit_$m" "coef_$m.csv" '^term,estimate,std_error,t_value,p_value,conf_low,conf_high,aliased,sigma,df_residual,r_squared,adj_r_squared,f_statistic,f_df1,f_df2,f_p_value,loglik,aic,bic,n,deleted,conf_level$'
    tail -n +2 "coef_$m.csv" | cut -d, -f2 | compare "$m beta" 1e-12 $beta || fail "$m: estimates"
    tail -n +2 "coef_$m.csv" | cut -d, -f3 | compare "$m sd" 1e-12 $sd || fail "$m: standard errors"
    awk '/^\(Intercept\)|^x[1-6] / { print $2 }' "fit_$m.out" | compare "$m table" 5e-4 $beta ||
        fail "$m: printed estimates"
    awk '/^\(Intercept\)|^x[1-6] / { print $3 }' "fit_$m.out" | compare "$m table sd" 5e-4 $sd ||
        fail "$m: printed standard errors"
    [ "$(out_col "coef_$m.csv" df_residual)" = 9 ] || fail "$m: df_residual $(out_col "coef_$m.csv" df_residual), expected 9"
    out_col "coef_$m.csv" sigma | compare "$m residual sd" 1e-11 "$rsd" || fail "$m: residual sd"
    sed -n 's/^Residual standard error: \([^ ]*\) on 9 degrees of freedom$/\1/p' "fit_$m.out" |
        compare "$m printed residual sd" 5e-4 "$rsd" || fail "$m: printed residual sd"
    out_col "coef_$m.csv" r_squared | compare "$m R^2" 1e-11 "$r2" || fail "$m: R^2"
    # R's adjusted R^2 and F statistic (N = 16, 6 slopes, 9 residual DF),
    # from the certified R^2 (F = (r/6)/((1-r)/9) amplifies R^2's error by
    # 1/(1-r) = 200: 1e-5 for it)
    adj=$(awk -v r="$r2" 'BEGIN { printf "%.17g", 1 - (1 - r) * 15 / 9 }')
    f=$(awk -v r="$r2" 'BEGIN { printf "%.17g", (r / 6) / ((1 - r) / 9) }')
    out_col "coef_$m.csv" adj_r_squared | compare "$m adjusted R^2" 1e-11 "$adj" ||
        fail "$m: adjusted R^2"
    out_col "coef_$m.csv" f_statistic | compare "$m F" 1e-5 "$f" || fail "$m: F statistic"
    [ "$(out_col "coef_$m.csv" f_df1),$(out_col "coef_$m.csv" f_df2)" = 6,9 ] || fail "$m: F degrees of freedom"
    sed -n 's/^Multiple R-squared:  \([^,]*\),\tAdjusted R-squared:  \([^ ]*\) $/\1/p' "fit_$m.out" |
        compare "$m printed R^2" 5e-4 "$r2" || fail "$m: printed R^2"
    sed -n 's/^F-statistic: \([^ ]*\) on 6 and 9 DF,  p-value: .*$/\1/p' "fit_$m.out" |
        compare "$m printed F" 5e-4 "$f" || fail "$m: printed F statistic"
done

# --method normal solves the centred, equilibrated normal equations, whose
# error is about eps * cond^2 with cond the condition number of the centred,
# column-scaled design (143 for Longley, printed by the command):
# 1.1e-16 * 143^2 ~ 2e-12, so 1e-9 relative holds with a wide margin.
run fit_normal 0 "$MATGRAD" fit longley.csv --target y --intercept --method normal --output coef_normal.csv
tail -n +2 coef_normal.csv | cut -d, -f2 | compare "normal beta" 1e-9 $beta || fail "normal: estimates"
tail -n +2 coef_normal.csv | cut -d, -f3 | compare "normal sd" 1e-9 $sd || fail "normal: standard errors"

# Standard input works as a file read once: auto gives the one-pass QR
# answer (bit for bit --method qr's) and says so.
run fit_stdin 0 "$MATGRAD" fit - --target y --intercept --output coef_stdin.csv < longley.csv
cmp -s coef_qr.csv coef_stdin.csv || fail "stdin: coefficients differ from --method qr's on the file"
expect_grep fit_stdin fit_stdin.out '^Note: the input cannot be read twice'
# On the file, auto refines the QR answer by passes over the file.
expect_grep fit_auto fit_auto.out '^Method: auto \(streamed Householder QR, refined in [1-4] pass(es)? over the file; residuals in [1-4] pass(es)?\)$'
# the report names standard input as the data (R's Call line) and counts its 16 rows
expect_grep fit_stdin fit_stdin.out '^matgrad fit - --target y --intercept$'
expect_grep fit_stdin fit_stdin.out '^Residual standard error: [0-9.]+ on 9 degrees of freedom$'
[ "$(out_col coef_stdin.csv n)" = 16 ] || fail "stdin: n = $(out_col coef_stdin.csv n), expected 16"

# No intercept: NIST NoInt1 (y = b x) through the same paths.
grep -v '^#' "$DATA/nist/NoInt1.txt" | awk 'BEGIN { print "y,x" } NF { print $1 "," $2 }' > noint1.csv
nb=$(grep '^# certified_beta:' "$DATA/nist/NoInt1.txt" | sed 's/^# certified_beta: *//')
nsd=$(grep '^# certified_sd:' "$DATA/nist/NoInt1.txt" | sed 's/^# certified_sd: *//')
for m in auto qr normal; do
    run "noint_$m" 0 "$MATGRAD" fit noint1.csv --target y --method "$m" --output "noint_$m.csv"
    # one well-scaled column: every method is exact to a few ulps
    tail -n +2 "noint_$m.csv" | cut -d, -f2 | compare "noint $m beta" 1e-12 $nb || fail "noint $m: estimate"
    tail -n +2 "noint_$m.csv" | cut -d, -f3 | compare "noint $m sd" 1e-12 $nsd || fail "noint $m: sd"
done
finish
