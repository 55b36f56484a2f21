#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# --ridge (method normal): the intercept is not penalised.  Checked against
# an independent route: ridge on centred data is ordinary least squares on
# the centred rows plus, for each predictor j, a row sqrt(lambda) e_j with
# target 0 (data augmentation), solved here with --method qr.
. "$(dirname "$0")/lib.sh"
lambda=2.5
# Deterministic data without rand() (mawk and gawk differ): the Park-Miller
# generator s <- 16807 s mod (2^31 - 1).  Every product is below 2^46, an
# exact integer in the double arithmetic of every awk, so the sequence, and
# through printf's correct rounding the file, are the same everywhere.
awk 'function u() { s = (16807 * s) % 2147483647; return s / 2147483647 }
     BEGIN { s = 11; print "a,b,c,y"
             for (i = 0; i < 50; i++) { a = u(); b = u() + 0.5 * a; c = 3 * u()
                 printf "%.6f,%.6f,%.6f,%.6f\n", a, b, c, 2 - a + 4 * b + 0.5 * c + 0.1 * u() } }' > data.csv
awk -F, -v l="$lambda" 'NR == 1 { print; next }
    { n++; for (j = 1; j <= 4; j++) { v[n, j] = $j; s[j] += $j } }
    END { for (i = 1; i <= n; i++) { line = ""
              for (j = 1; j <= 4; j++) line = line (j > 1 ? "," : "") sprintf("%.17g", v[i, j] - s[j] / n)
              print line }
          r = sqrt(l)
          printf "%.17g,0,0,0\n0,%.17g,0,0\n0,0,%.17g,0\n", r, r, r }' data.csv > augmented.csv
run ridge 0 "$MATGRAD" fit data.csv --target y --intercept --ridge "$lambda" --output ridge.csv
run augmented 0 "$MATGRAD" fit augmented.csv --target y --method qr --output augmented_coef.csv
expect_grep ridge ridge.out '^Ridge penalty: 2\.5 \(intercept not penalised\); no standard errors$'
expect_grep ridge ridge.out '^Method: normal '
# the Call line names the fit made, penalty included (it once left --ridge out)
expect_grep ridge ridge.out '^matgrad fit data\.csv --target y --intercept --method normal --ridge 2\.5$'
# The tolerance (u = 2^-53, p = 3 slopes, N = 50 rows).  Both routes solve
# the ridge problem M b = Xc^T y, M = Xc^T Xc + lambda I, up to normwise
# relative perturbations of M of at most eps_M = (N + 12) p u: the Gram sums
# (|dG| <= gamma_N |Xc|^T |Xc|, and || |Xc|^T |Xc| || <= ||Xc||_F^2 <= p ||M||),
# Cholesky's or Householder QR's few roundings per column (4 p u), and the
# centring of the augmented file in awk (3 roundings per entry, 3 p u at most
# after summing) differ between the two.  Each route's slopes are then within
# 2 kappa(M) eps_M of the exact ones (the normal-equations forward bound; for
# the augmented QR, kappa(A_aug)^2 = kappa(M) bounds the residual term too), so
# they differ by 4 kappa(M) eps_M normwise.  kappa(M) <= (||Xc||_F^2 + lambda)
# / lambda, since M's eigenvalues lie in [lambda, ||Xc||_F^2 + lambda]: about
# 20 here, so the bound is about 1.7e-12; the slopes are compared normwise
# (max |db| / max |b|) with sqrt(p) for the 2-norm -> max-norm change.
awk -F, -v l="$lambda" 'NR > 1 { n++; for (j = 1; j <= 3; j++) { x[n, j] = $j; s[j] += $j } }
    END { f = 0; for (i = 1; i <= n; i++) for (j = 1; j <= 3; j++) { d = x[i, j] - s[j] / n; f += d * d }
          u = 2 ^ -53; printf "%.17g\n", 4 * (f + l) / l * (n + 12) * 3 * u * sqrt(3) }' data.csv > tol.txt
tol=$(cat tol.txt)
# (--output has 22 columns: the augmented fit's estimate is $(22 + 2) = $24)
paste -d, <(tail -n +3 ridge.csv) <(tail -n +2 augmented_coef.csv) | awk -F, -v tol="$tol" '
    { d = $2 - $24; if (d < 0) d = -d; if (d > e) e = d; m = $24 < 0 ? -$24 : $24; if (m > mx) mx = m
      line = line $1 ": " $2 " vs " $24 "\n" }
    END { if (NR != 3 || !(e <= tol * mx)) { printf "%s(normwise %.3g > %.3g)\n", line, e / mx, tol; exit 1 }
          if (ENVIRON["MGT_VERBOSE"] != "") printf "ridge slopes: normwise %.3g, bound %.3g\n", e / mx, tol > "/dev/stderr" }' ||
    fail "ridge slopes differ from the augmented least squares"
# The intercept b0 = mean(y) - mean(x) . b: the library's b0 and this one,
# both from slopes within tol * max|b| of each other and the means, differ
# by at most tol * max|b| * sum |mean(x_j)| plus the roundings of each side's
# dot product and subtraction (p + 2 each: 2 (p + 2) u (|my| + sum |mx_j b_j|)).
awk -F, 'NR > 1 { n++; for (j = 1; j <= 4; j++) s[j] += $j } END { for (j = 1; j <= 4; j++) printf "%.17g\n", s[j] / n }' data.csv > means.txt
b0=$(sed -n 2p ridge.csv | cut -d, -f2)
paste <(head -3 means.txt) <(tail -n +3 ridge.csv | cut -d, -f2) | awk -v b0="$b0" -v tol="$tol" -v my="$(sed -n 4p means.txt)" '
    function abs(v) { return v < 0 ? -v : v }
    { s += $1 * $2; a += abs($1 * $2); mx = mx > abs($2) ? mx : abs($2); sx += abs($1) }
    END { w = my - s; u = 2 ^ -53
          bound = tol * mx * sx + 2 * (3 + 2) * u * (abs(my) + a)
          if (ENVIRON["MGT_VERBOSE"] != "") printf "ridge intercept: error %.3g, bound %.3g\n", abs(b0 - w), bound > "/dev/stderr"
          exit abs(b0 - w) > bound }' ||
    fail "ridge intercept is not mean(y) - mean(x) . b"
# ridge statistics: no standard errors, so no t, p or interval either
expect_grep ridge ridge.csv '^a,[^,]*,NA,NA,NA,NA,NA,'
finish
