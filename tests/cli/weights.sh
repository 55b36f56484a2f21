#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# --weights COLUMN: weighted least squares with R's lm(weights=) semantics.
#   - integer weights give the fit of the file with each row repeated w
#     times: the same estimates, RSS and R^2; the residual degrees of
#     freedom are those of the rows (n - rank, not sum(w) - rank), so
#     residual_sd^2 * df and std_error / residual_sd agree;
#   - a zero weight drops the row from the fit and from the degrees of
#     freedom: the fit of the file without it, every statistic;
#   - a negative weight is a data error on its line (exit 2).
. "$(dirname "$0")/lib.sh"
# Deterministic data (the Park-Miller generator, exact in any awk's
# doubles: see ridge.sh): 40 rows, weights 0..3, a well-conditioned design.
awk 'function u() { s = (16807 * s) % 2147483647; return s / 2147483647 }
     BEGIN { s = 7; print "a,w,b,c,y"
             for (i = 0; i < 40; i++) { a = u(); b = u() + 0.3 * a; c = 2 * u(); w = int(4 * u())
                 printf "%.6f,%d,%.6f,%.6f,%.6f\n", a, w, b, c, 1 - 2 * a + 3 * b + 0.5 * c + u() } }' > data.csv
# every row w times, the weight column dropped
awk -F, -v OFS=, 'NR == 1 { print $1, $3, $4, $5; next } { for (k = 0; k < $2; k++) print $1, $3, $4, $5 }' data.csv > repeated.csv
# weights 0/1: zero on every third row; the same file without those rows
awk -F, -v OFS=, 'NR == 1 { print; next } { $2 = (NR % 3 == 0) ? 0 : 1; print }' data.csv > zero.csv
awk -F, -v OFS=, 'NR == 1 { print $1, $3, $4, $5; next } $2 != 0 { print $1, $3, $4, $5 }' zero.csv > dropped.csv

# stat NAME: residual sd, df, R^2, adjusted R^2, F (from --output NAME.csv,
# 17 significant digits), condition estimate (the report's Rank line)
stat() {
    echo "$(out_col "$1.csv" sigma) $(out_col "$1.csv" df_residual) $(out_col "$1.csv" r_squared)" \
        "$(out_col "$1.csv" adj_r_squared) $(out_col "$1.csv" f_statistic)" \
        "$(awk '/^Rank:/ { print $NF }' "$1.out")"
}

# Tolerance.  Each route's estimates have a normwise relative error of at
# most c m kappa^2 u (c = 10, m = 4 coefficients, u = 2^-53: the normal
# equations' forward bound; QR's and the refined answer's are smaller),
# kappa the larger printed condition estimate of the equilibrated design
# (the same design up to row repetition and weighting); the two routes
# differ by twice that.  The statistics (read from --output's 17 digits,
# formerly from 12 printed ones) keep the 1e-11 relative that was added for
# that printing; RSS-derived ones (residual sd, R^2) also lose up to
# TSS/RSS (< 50 here: R^2 < 0.98) times as much to the cancellation in the
# normal equations' RSS.
tolerance() {
    awk -v k1="$1" -v k2="$2" 'BEGIN { k = k1 > k2 ? k1 : k2
        printf "%.17g\n", 2 * 10 * 4 * k * k * 2 ^ -53 * 50 + 1e-11 }'
}

# compare NAME A B MODE: coefficient CSVs A and B (same terms).  MODE
# "same": estimates and std errors within tol; "scaled": estimates within
# tol, std errors after dividing by each fit's residual sd.
compare() {
    local name=$1 a=$2 b=$3 tol=$4 sa=$5 sb=$6
    paste -d, <(tail -n +2 "$a.csv") <(tail -n +2 "$b.csv") | awk -F, -v tol="$tol" -v sa="$sa" -v sb="$sb" '
        function abs(v) { return v < 0 ? -v : v }
        # 22 columns each: B'"'"'s term, estimate, std_error are $23, $24, $25
        { if ($1 != $23) bad = 1
          e = abs($2 - $24); if (e > de) de = e; if (abs($24) > me) me = abs($24)
          s = abs($3 / sa - $25 / sb); if (s > ds) ds = s; if (abs($25 / sb) > ms) ms = abs($25 / sb) }
        END { if (bad || !(de <= tol * me) || !(ds <= tol * ms)) {
                  printf "estimates %.3g, std errors %.3g (tolerance %.3g)\n", de / me, ds / ms, tol; exit 1 } }' ||
        fail "$name: $a.csv and $b.csv differ"
}

# close NAME X Y TOL: |X - Y| <= TOL |Y|
close() {
    awk -v x="$2" -v y="$3" -v t="$4" 'BEGIN { d = x - y; if (d < 0) d = -d; exit !(d <= t * (y < 0 ? -y : y)) }' ||
        fail "$1: $2 vs $3 (tolerance $4)"
}

for m in auto qr normal; do
    run "w_$m" 0 "$MATGRAD" fit data.csv -t y -i -w w -m "$m" -o "w_$m.csv"
    run "rep_$m" 0 "$MATGRAD" fit repeated.csv -t y -i -m "$m" -o "rep_$m.csv"
    read -r sdw dfw r2w _ _ kw <<< "$(stat "w_$m")"
    read -r sdr dfr r2r _ _ kr <<< "$(stat "rep_$m")"
    tol=$(tolerance "$kw" "$kr")
    nz=$(awk -F, 'NR > 1 && $2 != 0' data.csv | wc -l)
    [ "$dfw" = $((nz - 4)) ] || fail "w_$m: $dfw residual degrees of freedom, expected $((nz - 4))"
    expect_grep "w_$m" "w_$m.out" "^Weights: column 'w' \\($nz rows with a nonzero weight\\)$"
    # the CSV's n is R's nobs: the rows with a nonzero weight; the 40 rows
    # read all count in the summary's residual quantiles (zero-weight ones as 0)
    [ "$(out_col "w_$m.csv" n)" = "$nz" ] || fail "w_$m: n = $(out_col "w_$m.csv" n), expected $nz rows with a nonzero weight"
    mcall=" --method $m"
    [ "$m" = auto ] && mcall=""   # the Call line leaves the default method out
    expect_grep "w_$m" "w_$m.out" "^matgrad fit data\\.csv --target y --intercept --weights w$mcall\$"
    [ "$(cut -d, -f1 "w_$m.csv" | tr '\n' ' ')" = "term (Intercept) a b c " ] || fail "w_$m: terms (w is not a predictor)"
    compare "weights_vs_repeats_$m" "w_$m" "rep_$m" "$tol" "$sdw" "$sdr"
    close "rss_$m" "$(awk -v s="$sdw" -v d="$dfw" 'BEGIN { printf "%.17g", s * s * d }')" \
        "$(awk -v s="$sdr" -v d="$dfr" 'BEGIN { printf "%.17g", s * s * d }')" "$tol"
    close "r2_$m" "$r2w" "$r2r" "$tol"

    run "z_$m" 0 "$MATGRAD" fit zero.csv -t y -i -w w -m "$m" -o "z_$m.csv"
    run "d_$m" 0 "$MATGRAD" fit dropped.csv -t y -i -m "$m" -o "d_$m.csv"
    read -r sdz dfz r2z ar2z fz kz <<< "$(stat "z_$m")"
    read -r sdd dfd r2d ar2d fd kd <<< "$(stat "d_$m")"
    tol=$(tolerance "$kz" "$kd")
    [ "$dfz" = "$dfd" ] || fail "z_$m: $dfz residual degrees of freedom, dropping the rows gives $dfd"
    compare "zero_vs_dropped_$m" "z_$m" "d_$m" "$tol" 1 1
    close "zero_sd_$m" "$sdz" "$sdd" "$tol"
    close "zero_r2_$m" "$r2z" "$r2d" "$tol"
    close "zero_adj_r2_$m" "$ar2z" "$ar2d" "$tol"
    # F = (R^2 / 3) / ((1 - R^2) / df): R^2's error amplified by 1 / (1 - R^2)
    # < 50, which tol already allows for the RSS-derived statistics
    close "zero_f_$m" "$fz" "$fd" "$tol"
done

# Errors: a negative weight is the data's fault, on its line; a NaN weight
# is a missing value (the row is dropped, as R's lm drops it), an Inf one
# the loader's non-finite value; all weights zero leaves nothing to fit.
awk -F, -v OFS=, 'NR == 5 { $2 = -1 } { print }' data.csv > negative.csv
run negative 2 "$MATGRAD" fit negative.csv -t y -w w -o out_negative.csv
expect_grep negative negative.err "^matgrad: negative\\.csv:5: column 'w': negative weight -1 \\(weights must be >= 0\\)$"
[ ! -e out_negative.csv ] || fail "negative: left an output file"
[ ! -s negative.out ] || fail "negative: printed results"
awk -F, -v OFS=, 'NR == 7 { $2 = "NaN" } { print }' data.csv > nan.csv
awk -F, -v OFS=, 'NR != 7 { print }' data.csv > nan_dropped.csv
run nan 0 "$MATGRAD" fit nan.csv -t y -w w -o nan_coef.csv
run nan_dropped 0 "$MATGRAD" fit nan_dropped.csv -t y -w w -o nan_dropped_coef.csv
same_fit nan_coef.csv nan_dropped_coef.csv || fail "nan: a NaN weight's row is not simply dropped"
expect_grep nan nan.out '^  \(1 observation deleted due to missingness\)$'
[ "$(out_col nan_coef.csv deleted)" = 1 ] || fail "nan: deleted = $(out_col nan_coef.csv deleted), expected 1"
awk -F, -v OFS=, 'NR == 7 { $2 = "Inf" } { print }' data.csv > inf.csv
run inf 2 "$MATGRAD" fit inf.csv -t y -w w
expect_grep inf inf.err "^matgrad: inf\\.csv:7: column 'w': non-finite value 'Inf'$"
awk -F, -v OFS=, 'NR > 1 { $2 = 0 } { print }' data.csv > allzero.csv
run allzero 2 "$MATGRAD" fit allzero.csv -t y -w w
expect_grep allzero allzero.err '^matgrad: allzero\.csv: every weight is zero: no rows to fit$'
run noweights 2 "$MATGRAD" fit data.csv -t y -w v
expect_grep noweights noweights.err "^matgrad: data\\.csv:1: no column named 'v'"
run weights_gd 2 "$MATGRAD" fit data.csv -t y -w w -m gd
expect_grep weights_gd weights_gd.err '^matgrad fit: --weights applies to --method auto, qr or normal$'
run weights_target 2 "$MATGRAD" fit data.csv -t y -w y
expect_grep weights_target weights_target.err "^matgrad fit: --weights 'y' names the target column$"
finish
