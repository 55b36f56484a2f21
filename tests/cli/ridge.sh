#!/usr/bin/env bash
# --ridge (method normal): the intercept is not penalised.  Checked against
# an independent route: ridge on centred data is ordinary least squares on
# the centred rows plus, for each predictor j, a row sqrt(lambda) e_j with
# target 0 (data augmentation), solved here with --method qr.
. "$(dirname "$0")/lib.sh"
lambda=2.5
awk 'BEGIN { srand(11); print "a,b,c,y"
             for (i = 0; i < 50; i++) { a = rand(); b = rand() + 0.5 * a; c = 3 * rand()
                 printf "%.6f,%.6f,%.6f,%.6f\n", a, b, c, 2 - a + 4 * b + 0.5 * c + 0.1 * rand() } }' > data.csv
awk -F, -v l="$lambda" 'NR == 1 { print; next }
    { n++; for (j = 1; j <= 4; j++) { v[n, j] = $j; s[j] += $j } }
    END { for (i = 1; i <= n; i++) { line = ""
              for (j = 1; j <= 4; j++) line = line (j > 1 ? "," : "") sprintf("%.17g", v[i, j] - s[j] / n)
              print line }
          r = sqrt(l)
          printf "%.17g,0,0,0\n0,%.17g,0,0\n0,0,%.17g,0\n", r, r, r }' data.csv > augmented.csv
run ridge 0 "$MATGRAD" fit data.csv --target y --intercept --ridge "$lambda" --output ridge.csv
run augmented 0 "$MATGRAD" fit augmented.csv --target y --method qr --output augmented_coef.csv
expect_grep ridge ridge.out '^Ridge penalty: 2\.5 \(intercept not penalised\)$'
expect_grep ridge ridge.out '^Method: normal '
# Both routes are backward stable on a design with condition ~10: the
# slopes agree to rounding, 1e-12 relative.
paste -d, <(tail -n +3 ridge.csv) <(tail -n +2 augmented_coef.csv) | awk -F, '
    { e = ($2 - $6) / $6; if (e < 0) e = -e; if (e > 1e-12) { print $1 ": " $2 " vs " $6; bad = 1 } }
    END { exit bad }' || fail "ridge slopes differ from the augmented least squares"
# the intercept: mean(y) - mean(x) . b
awk -F, 'NR > 1 { n++; for (j = 1; j <= 4; j++) s[j] += $j } END { for (j = 1; j <= 4; j++) printf "%.17g\n", s[j] / n }' data.csv > means.txt
b0=$(sed -n 2p ridge.csv | cut -d, -f2)
paste <(head -3 means.txt) <(tail -n +3 ridge.csv | cut -d, -f2) | awk -v b0="$b0" -v my="$(sed -n 4p means.txt)" '
    { s += $1 * $2 } END { w = my - s; e = (b0 - w) / w; if (e < 0) e = -e; exit e > 1e-12 }' ||
    fail "ridge intercept is not mean(y) - mean(x) . b"
# ridge statistics: no standard errors
expect_grep ridge ridge.csv '^a,[^,]*,NA,NA$'
finish
