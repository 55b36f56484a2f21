#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Factor columns, as R's read.csv + lm code them (treatment contrasts): a
# column whose first non-missing cell is text, or one named by --factor,
# becomes one 0/1 column per level but the first (levels sorted), named
# <column><level> and placed where the column was.  The fit must equal the
# fit of a hand-made file with those dummy columns, byte for byte (the
# same numbers reach the same engine calls).
. "$(dirname "$0")/lib.sh"

# An excerpt of R's iris as write.csv writes it (row names under an empty
# first name, strings quoted), and the same design made by hand.
cat > iris.csv <<'CSV'
"","Sepal.Length","Sepal.Width","Petal.Length","Petal.Width","Species"
"1",5.1,3.5,1.4,0.2,"setosa"
"2",4.9,3,1.4,0.2,"setosa"
"3",4.7,3.2,1.3,0.2,"setosa"
"4",4.6,3.1,1.5,0.2,"setosa"
"5",5,3.6,1.4,0.2,"setosa"
"51",7,3.2,4.7,1.4,"versicolor"
"52",6.4,3.2,4.5,1.5,"versicolor"
"53",6.9,3.1,4.9,1.5,"versicolor"
"54",5.5,2.3,4,1.3,"versicolor"
"55",6.5,2.8,4.6,1.5,"versicolor"
"101",6.3,3.3,6,2.5,"virginica"
"102",5.8,2.7,5.1,1.9,"virginica"
"103",7.1,3,5.9,2.1,"virginica"
"104",6.3,2.9,5.6,1.8,"virginica"
"105",6.5,3,5.8,2.2,"virginica"
CSV
awk -F, 'NR == 1 { print "Sepal.Length,Sepal.Width,Petal.Length,Petal.Width,Speciesversicolor,Speciesvirginica"; next }
         { gsub(/"/, ""); print $2 "," $3 "," $4 "," $5 "," ($6 == "versicolor") "," ($6 == "virginica") }' \
    iris.csv > iris_dummy.csv
for m in auto qr normal; do
    run "iris_$m" 0 "$MATGRAD" fit iris.csv -t Sepal.Length -i -m "$m" -o "iris_$m.csv"
    run "dummy_$m" 0 "$MATGRAD" fit iris_dummy.csv -t Sepal.Length -i -m "$m" -o "dummy_$m.csv"
    cmp -s "iris_$m.csv" "dummy_$m.csv" || fail "iris ($m): coefficients differ from the hand-made dummy file's"
done
[ "$(cut -d, -f1 iris_auto.csv | tr '\n' ' ')" = "term (Intercept) Sepal.Width Petal.Length Petal.Width Speciesversicolor Speciesvirginica " ] ||
    fail "iris: terms $(cut -d, -f1 iris_auto.csv | tr '\n' ' ')"
# the model the report describes: R's Call line (the model part of the command, options spelled out), the
# 6 coefficients above, 15 rows, 15 - 6 = 9 residual degrees of freedom
expect_grep iris_auto iris_auto.out '^matgrad fit iris\.csv --target Sepal\.Length --intercept$'
expect_grep iris_auto iris_auto.out '^Residual standard error: [0-9.]+ on 9 degrees of freedom$'
[ "$(out_col iris_auto.csv n)" = 15 ] || fail "iris_auto: n = $(out_col iris_auto.csv n), expected 15 rows"
# Without an intercept R codes the first factor in full (lm(Sepal.Length ~
# 0 + .) has Speciessetosa too), a later factor with treatment contrasts.
awk -F, 'NR == 1 { print "Sepal.Length,Sepal.Width,Petal.Length,Petal.Width,Speciessetosa,Speciesversicolor,Speciesvirginica"; next }
         { gsub(/"/, ""); print $2 "," $3 "," $4 "," $5 "," ($6 == "setosa") "," ($6 == "versicolor") "," ($6 == "virginica") }' \
    iris.csv > iris_full.csv
run iris_noint 0 "$MATGRAD" fit iris.csv -t Sepal.Length -o iris_noint.csv
run full_noint 0 "$MATGRAD" fit iris_full.csv -t Sepal.Length -o full_noint.csv
cmp -s iris_noint.csv full_noint.csv || fail "iris without intercept: coefficients differ from the full dummy file's"
awk -F, -v OFS=, 'NR == 1 { print $0, "\"size\""; next } { print $0, ($2 > 6 ? "\"big\"" : "\"small\"") }' iris.csv > iris_two.csv
run iris_two 0 "$MATGRAD" fit iris_two.csv -t Petal.Width -o iris_two.csv.out
[ "$(cut -d, -f1 iris_two.csv.out | tr '\n' ' ')" = "term Sepal.Length Sepal.Width Petal.Length Speciessetosa Speciesversicolor Speciesvirginica sizesmall " ] ||
    fail "iris_two: terms $(cut -d, -f1 iris_two.csv.out | tr '\n' ' ')"
# the factor file is held in memory and refined from there, even from a pipe
run iris_pipe 0 sh -c "cat iris.csv | '$MATGRAD' fit - -t Sepal.Length -i -o iris_pipe.csv"
cmp -s iris_auto.csv iris_pipe.csv || fail "iris from a pipe: coefficients differ"
expect_grep iris_pipe iris_pipe.out 'refined in [0-9]+ pass'
# gradient descent: the same dummies
run iris_gd 0 "$MATGRAD" fit iris.csv -t Sepal.Length -i -m gd --epochs 200 -o iris_gd.csv
run dummy_gd 0 "$MATGRAD" fit iris_dummy.csv -t Sepal.Length -i -m gd --epochs 200 -o dummy_gd.csv
cmp -s iris_gd.csv dummy_gd.csv || fail "iris (gd): coefficients differ from the hand-made dummy file's"
# weights with a factor
awk -F, -v OFS=, 'NR == 1 { print $0, "\"w\""; next } { print $0, NR % 3 + 1 }' iris.csv > iris_w.csv
awk -F, -v OFS=, 'NR == 1 { print $0, "w"; next } { print $0, NR % 3 + 1 }' iris_dummy.csv > dummy_w.csv
run iris_w 0 "$MATGRAD" fit iris_w.csv -t Sepal.Length -i -w w -o iris_w_coef.csv
run dummy_w 0 "$MATGRAD" fit dummy_w.csv -t Sepal.Length -i -w w -o dummy_w_coef.csv
cmp -s iris_w_coef.csv dummy_w_coef.csv || fail "iris weighted: coefficients differ"

# Rows in another order: the same levels (sorted, not in order of
# appearance), the same baseline.
{ head -1 iris.csv; tail -n +2 iris.csv | sort -t, -k6,6r -k1,1; } > iris_sorted.csv
run iris_sorted 0 "$MATGRAD" fit iris_sorted.csv -t Sepal.Length -i -o iris_sorted_coef.csv
[ "$(cut -d, -f1 iris_sorted_coef.csv | tr '\n' ' ')" = "term (Intercept) Sepal.Width Petal.Length Petal.Width Speciesversicolor Speciesvirginica " ] ||
    fail "iris_sorted: terms $(cut -d, -f1 iris_sorted_coef.csv | tr '\n' ' ')"

# A factor column first in the file, its first cells missing, a level seen
# only in a dropped row (not a level of the fit, as lm drops unused levels),
# and levels sorted by strcmp (C locale: upper case first).
printf 'g,x,y\nNA,1,2\n,2,3\nb,1,4\nZ,2,5\na,3,7\nb,4,9\nZ,5,9\na,6,13\nc,NA,1\nb,7,15\n' > mixed.csv
# (no intercept: as R's lm(y ~ 0 + g + x), the first factor gets a column
# for every level, the baseline too)
printf 'gZ,ga,gb,x,y\n0,0,1,1,4\n1,0,0,2,5\n0,1,0,3,7\n0,0,1,4,9\n1,0,0,5,9\n0,1,0,6,13\n0,0,1,7,15\n' > mixed_dummy.csv
run mixed 0 "$MATGRAD" fit mixed.csv -t y -o mixed_coef.csv
run mixed_dummy 0 "$MATGRAD" fit mixed_dummy.csv -t y -o mixed_dummy_coef.csv
# every column but 'deleted' (the 21st): mixed.csv drops 3 rows (checked below)
cmp -s <(cut -d, -f1-20,22- mixed_coef.csv) <(cut -d, -f1-20,22- mixed_dummy_coef.csv) || fail "mixed: coefficients differ from the hand-made dummy file's"
expect_grep mixed mixed.out '^  \(3 observations deleted due to missingness\)$'
[ "$(out_col mixed_coef.csv deleted)" = 3 ] || fail "mixed: deleted = $(out_col mixed_coef.csv deleted), expected 3"

# --factor on a numeric column: levels sorted by value (8.0 < 9 < 10, which
# strcmp would order 10, 8.0, 9), named by their text in the file; "9.0" is
# the number 9, so the level 9 (named by its first spelling).
printf 'cyl,x,y\n9,1,3\n10,2,5\n8.0,3,4\n9.0,4,8\n10,5,11\n8.0,6,8\n9,7,12\n10,8,15\n' > cyl.csv
printf 'cyl9,cyl10,x,y\n1,0,1,3\n0,1,2,5\n0,0,3,4\n1,0,4,8\n0,1,5,11\n0,0,6,8\n1,0,7,12\n0,1,8,15\n' > cyl_dummy.csv
run cyl 0 "$MATGRAD" fit cyl.csv -t y -i --factor cyl -o cyl_coef.csv
run cyl_dummy 0 "$MATGRAD" fit cyl_dummy.csv -t y -i -o cyl_dummy_coef.csv
cmp -s cyl_coef.csv cyl_dummy_coef.csv || fail "cyl: --factor coefficients differ from the hand-made dummy file's"
run cyl_gd 0 "$MATGRAD" fit cyl.csv -t y -i -f cyl -m gd --epochs 100 -o cyl_gd.csv
run cyl_dummy_gd 0 "$MATGRAD" fit cyl_dummy.csv -t y -i -m gd --epochs 100 -o cyl_dummy_gd.csv
cmp -s cyl_gd.csv cyl_dummy_gd.csv || fail "cyl (gd): coefficients differ"
# without --factor the column is numeric: one coefficient
run cyl_num 0 "$MATGRAD" fit cyl.csv -t y -i -o cyl_num.csv
[ "$(cut -d, -f1 cyl_num.csv | tr '\n' ' ')" = "term (Intercept) cyl x " ] || fail "cyl_num: terms"
# two --factor columns, one of them text already
printf 'g,k,y\na,1,1\nb,2,2\na,2,4\nb,1,3\na,1,2\nb,2,6\n' > two.csv
run two 0 "$MATGRAD" fit two.csv -t y -i --factor g,k -o two_coef.csv
[ "$(cut -d, -f1 two_coef.csv | tr '\n' ' ')" = "term (Intercept) gb k2 " ] || fail "two: terms $(cut -d, -f1 two_coef.csv | tr '\n' ' ')"

# Errors, each naming its column.
printf 'a,y\n1,x\n2,z\n' > text_target.csv
run text_target 2 "$MATGRAD" fit text_target.csv -t y
expect_grep text_target text_target.err "^matgrad: text_target\\.csv:2: column 'y': non-numeric value 'x' \\(the target must be numeric\\)$"
run factor_target 2 "$MATGRAD" fit cyl.csv -t y --factor y
expect_grep factor_target factor_target.err "^matgrad: cyl\\.csv: --factor 'y': the target must be numeric$"
printf 'a,w,y\n1,x,1\n2,z,2\n' > text_weights.csv
run text_weights 2 "$MATGRAD" fit text_weights.csv -t y -w w
expect_grep text_weights text_weights.err "^matgrad: text_weights\\.csv:2: column 'w': non-numeric value 'x' \\(the weights column must be numeric\\)$"
run factor_nocol 2 "$MATGRAD" fit cyl.csv -t y --factor cly
expect_grep factor_nocol factor_nocol.err "^matgrad: cyl\\.csv:1: no column named 'cly' \\(columns: cyl, x, y\\)$"
printf 'g,x,y\na,1,2\na,2,3\nNA,3,4\n' > one_level.csv
run one_level 2 "$MATGRAD" fit one_level.csv -t y
expect_grep one_level one_level.err "^matgrad: one_level\\.csv: column 'g' is a factor with one level \\('a'\\) in the rows fitted: a factor needs two or more$"
printf 'Ozone,y\n1,2\n2,3\nabc,4\n' > later_text.csv
run later_text 2 "$MATGRAD" fit later_text.csv -t y
expect_grep later_text later_text.err "^matgrad: later_text\\.csv:4: column 'Ozone': non-numeric value 'abc' \\(the column began with numbers; --factor Ozone reads it as a factor\\)$"
run factor_empty 2 "$MATGRAD" fit later_text.csv -t y --factor ''
expect_grep factor_empty factor_empty.err "^matgrad fit: --factor needs column names separated by commas, not ''$"
run factor_comma 2 "$MATGRAD" fit later_text.csv -t y --factor Ozone,
expect_grep factor_comma factor_comma.err "^matgrad fit: --factor needs column names separated by commas, not 'Ozone,'$"
# with --factor the same file fits
run later_factor 0 "$MATGRAD" fit later_text.csv -t y -f Ozone
expect_grep later_factor later_factor.out '^Ozoneabc '

# A large factor file (held in memory, read in one sequence) gives the same
# answer with the parallel reader's small ranges as without.
awk 'BEGIN { srand(3); print "g,x,y"; split("lo mid hi", L, " ")
             for (i = 0; i < 3000; i++) { g = L[i % 3 + 1]; x = rand()
                 printf "%s,%.6f,%.6f\n", g, x, 3 * x + (g == "hi") - 0.5 * (g == "lo") + rand() / 10 } }' > big.csv
run big 0 "$MATGRAD" fit big.csv -t y -i -o big_coef.csv
MATGRAD_CHUNK_BYTES=4096 OMP_NUM_THREADS=2 run big_chunks 0 "$MATGRAD" fit big.csv -t y -i -o big_chunks_coef.csv
cmp -s big_coef.csv big_chunks_coef.csv || fail "big: the chunked reading differs"
[ "$(cut -d, -f1 big_coef.csv | tr '\n' ' ')" = "term (Intercept) glo gmid x " ] || fail "big: terms"
finish
