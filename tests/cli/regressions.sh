#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# One check per wrong figure of the issue that replaced fit's report with
# R's summary(lm) (tests/data/r/lm holds R's answers):
#   (a) a column of ones without --intercept: R^2, adjusted R^2 and F about
#       the mean, all three (R's trees_ones_mean), never a mix of the two
#       conventions (0.94795 / 0.942373 / 169.98 on 3 and 28 DF);
#   (b) a constant target: the perfect-fit warning, t and p NA, no t value
#       of rounding noise (8e+15 in R, e+30 before);
#   (c) rank deficiency: NA rows for the aliased coefficients and R's
#       "(2 not defined because of singularities)";
#   (d) gradient descent stopped far from the optimum: a warning;
#   (e) R's default write.csv (a quoted "" over the row names) loads;
#   (f) NA cells: R's "(42 observations deleted due to missingness)";
#   (g) a ';'-separated file fits (separator detected).
# Numbers against R at 1e-12 relative: see r_output.sh for that tolerance.
. "$(dirname "$0")/lib.sh"

# (a) trees: Girth, Height, one (= 1), Volume; no --intercept.  matgrad
# reads the constant column as the intercept, so every statistic is R's fit
# with an intercept (trees_ones_mean), "one" being R's "(Intercept)".
run trees_ones 0 "$MATGRAD" fit "$RLM/trees_ones.csv" --target Volume --output trees_ones.csv
expect_grep trees_ones trees_ones.out '^Multiple R-squared:  0\.948,	Adjusted R-squared:  0\.9442 $'
expect_grep trees_ones trees_ones.out '^F-statistic:   255 on 2 and 28 DF,  p-value: < 2\.2e-16$'
expect_grep trees_ones trees_ones.out '^R-squared and F are about the mean: a constant column acts as the intercept$'
if grep -Eq '0\.9424|169\.9|on 3 and 28 DF' trees_ones.out; then
    fail "trees_ones: a figure of the mixed convention in the report:"; grep -E '0\.9424|169\.9|on 3 and 28 DF' trees_ones.out >&2
fi
r_compare trees_ones trees_ones_mean trees_ones.csv 1e-12 level=0.95 ren_from=one 'ren_to=(Intercept)'
# the same figures as the fit with --intercept of the file without "one"
cut -d, -f1-4 "$RLM/trees_ones.csv" > trees_noone.csv
run trees_noone 0 "$MATGRAD" fit trees_noone.csv --target Volume --intercept --output trees_noone.csv.out
for s in r_squared adj_r_squared f_statistic f_df1 f_df2 f_p_value; do
    close_num "trees_ones vs --intercept: $s" "$(out_col trees_ones.csv $s)" "$(out_col trees_noone.csv.out $s)" 1e-12
done

# (b) y = 3.7 on every row, with --intercept
run constant 0 "$MATGRAD" fit "$RLM/constant_target.csv" --target y --intercept --output constant.csv
expect_grep constant constant.out '^Warning: essentially perfect fit: the residuals are at rounding level; t values, p-values and F are not defined$'
sed -n '/^Coefficients:/,/^$/p' constant.out > constant_coef.txt
for term in '\(Intercept\)' x; do
    expect_grep "constant $term" constant_coef.txt "^$term +[-0-9.e+]+ +[-0-9.e+]+ +NA +NA *$"
done
if grep -Eq 'e\+[1-9][0-9]' constant_coef.txt; then
    fail "constant: a number with an exponent of e+10 or more in the coefficient table:"; cat constant_coef.txt >&2
fi
[ "$(cut -d, -f4,5 constant.csv | sort -u | tr '\n' ' ')" = "NA,NA t_value,p_value " ] ||
    fail "constant: t_value, p_value in --output: $(cut -d, -f4,5 constant.csv | tr '\n' ' ')"
expect_grep constant constant.out '^F-statistic: +NA on 1 and 6 DF,  p-value: NA$'

# (c) swiss with Educ2 = Education and Combo = Examination + 2 Education
run swiss 0 "$MATGRAD" fit "$RLM/swiss_aliased.csv" --target Fertility --intercept --output swiss.csv
expect_grep swiss swiss.out '^Coefficients: \(2 not defined because of singularities\)$'
for term in Educ2 Combo; do
    expect_grep "swiss $term" swiss.out "^$term +NA +NA +NA +NA *$"
done
r_compare swiss swiss_aliased swiss.csv 1e-12 level=0.95
# ... and mtcars with a column repeated under its own name (read as wt.1)
# and a copy of cyl under another name: the two later copies are aliased,
# the rest is R's mtcars fit
awk -F, -v OFS=, '{ print $1, $2, $3, (NR == 1 ? "\"cyl2\"" : $3), $4, $5, $6, $7, $8, $7, $9, $10, $11, $12 }' \
    "$RLM/mtcars.csv" > mtcars_dup.csv
run dup 0 "$MATGRAD" fit mtcars_dup.csv --target mpg --intercept --output dup.csv
expect_grep dup dup.out '^Coefficients: \(2 not defined because of singularities\)$'
expect_grep dup dup.out '^cyl2 +NA +NA +NA +NA *$'
expect_grep dup dup.out '^wt\.1 +NA +NA +NA +NA *$'
[ "$(out_col dup.csv aliased cyl2),$(out_col dup.csv aliased wt.1),$(out_col dup.csv aliased wt)" = 1,1,0 ] ||
    fail "dup: aliased flags of cyl2, wt.1, wt"
r_compare dup mtcars dup.csv 1e-12 level=0.95

# (d) gradient descent after 5 epochs: far from the least-squares optimum
run gd5 0 "$MATGRAD" fit "$RLM/iris.csv" --target Sepal.Length --intercept --method gd --epochs 5
expect_grep gd5 gd5.out '^Warning: gradient descent has not converged: its loss [0-9.e+-]+ is [0-9.e+]+% above the least-squares optimum [0-9.e+-]+ of the same rows'

# (e) R's write.csv: '""' over a column of quoted row names ("Mazda RX4"),
# skipped; the terms are R's coefficient names, in order
run rownames 0 "$MATGRAD" fit "$RLM/mtcars.csv" --target mpg --intercept --output rownames.csv
[ "$(tail -n +2 rownames.csv | cut -d, -f1 | tr '\n' ' ')" = "$(r_ref mtcars coef | awk '{ printf "%s ", $1 }')" ] ||
    fail "rownames: terms $(tail -n +2 rownames.csv | cut -d, -f1 | tr '\n' ' ')"
[ "$(out_col rownames.csv n)" = 32 ] || fail "rownames: n = $(out_col rownames.csv n), expected 32"

# (f) airquality: 42 rows with an NA cell
run airquality 0 "$MATGRAD" fit "$RLM/airquality.csv" --target Ozone --intercept --output airquality.csv
expect_grep airquality airquality.out '^  \(42 observations deleted due to missingness\)$'
[ "$(out_col airquality.csv deleted),$(out_col airquality.csv n)" = 42,111 ] ||
    fail "airquality: deleted,n = $(out_col airquality.csv deleted),$(out_col airquality.csv n), expected 42,111"

# (g) stackloss written with sep = ";": detected, R's fit
run semicolon 0 "$MATGRAD" fit "$RLM/stackloss_semicolon.csv" --target stack.loss --intercept --output semicolon.csv
r_compare semicolon stackloss_semicolon semicolon.csv 1e-12 level=0.95

# (h) --robust hc3 with a row of leverage 1 (a dummy set in that row only):
# HC3 is undefined there; the message says so (it used to blame the data's
# range), exit 1, nothing printed; hc0 is defined and runs
printf 'y,x,d\n1,1,0\n2,2,0\n3,3.5,0\n4,4,0\n5,5,1\n6,6.2,0\n' > leverage.csv
run leverage_hc3 1 "$MATGRAD" fit leverage.csv --target y --intercept --robust hc3
expect_grep leverage_hc3 leverage_hc3.err '^matgrad: --robust hc3: a row has leverage 1 '
[ ! -s leverage_hc3.out ] || fail "leverage_hc3: printed a report"
run leverage_hc0 0 "$MATGRAD" fit leverage.csv --target y --intercept --robust hc0
finish
