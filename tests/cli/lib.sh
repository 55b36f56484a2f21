# SPDX-License-Identifier: BSD-3-Clause
# Helpers for the matgrad command's tests (sourced by tests/cli/*.sh).
# Each test gets: $MATGRAD (the command), $DATA (tests/data, the reference data), and
# a fresh scratch directory $work.
set -u
MATGRAD=$1
DATA=$2
work=$3
rm -rf "$work"
mkdir -p "$work"
cd "$work"
failures=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# run NAME EXPECTED_STATUS CMD...: runs CMD with stdout in NAME.out and
# stderr in NAME.err, and checks its exit status.
run() {
    local name=$1 want=$2
    shift 2
    local got=0
    "$@" > "$name.out" 2> "$name.err" || got=$?
    if [ "$got" != "$want" ]; then
        fail "$name: exit status $got, expected $want"
        sed 's/^/    stderr: /' "$name.err" >&2
    fi
}

# expect_grep NAME FILE REGEX: FILE contains a line matching the ERE.
expect_grep() {
    grep -Eq -- "$3" "$2" || { fail "$1: no line matching '$3' in $2:"; sed 's/^/    /' "$2" >&2; }
}

# close_coefs NAME A.csv B.csv TOL: the Estimate columns (the second) of
# two --output files agree normwise: max_j |a_j - b_j| <= TOL max_j |b_j|.
close_coefs() {
    awk -F, -v tol="$4" -v name="$1" 'NR == FNR { if (FNR > 1) a[FNR] = $2; next }
        FNR > 1 { d = $2 - a[FNR]; if (d < 0) d = -d; if (d > dm) dm = d
                  b = $2 < 0 ? -$2 : $2; if (b > bm) bm = b }
        END { if (!(dm <= tol * bm)) { printf "%s: max |diff| %g > %g * %g\n", name, dm, tol, bm; exit 1 } }' \
        "$2" "$3" || fail "$1: coefficients differ beyond the bound"
}

# The NIST Longley data as a CSV with a header row (y first, as in the file).
longley_csv() {
    grep -v '^#' "$DATA/nist/Longley.txt" |
        awk 'BEGIN { print "y,x1,x2,x3,x4,x5,x6" } NF { $1 = $1; gsub(/ /, ","); print }'
}

# out_col FILE COLUMN [TERM]: the COLUMN cell of fit --output FILE, on the
# row of TERM (the first row when TERM is absent).  The per-fit statistics
# (sigma, r_squared, n, ...) repeat on every row.  Terms and numbers never
# hold a comma, so splitting on ',' is exact.
out_col() {
    awk -F, -v col="$2" -v term="${3-}" '
        FNR == 1 { for (j = 1; j <= NF; j++) if ($j == col) c = j; next }
        c && (term == "" || $1 == term) { print $c; exit }' "$1"
}

# out_matches NAME FILE COLUMN TERM WANT TOL: the --output cell is WANT
# within relative tolerance TOL (|got - want| <= TOL |want|); "NA" must
# match exactly.
out_matches() {
    local got
    got=$(out_col "$2" "$3" "$4")
    close_num "$1" "$got" "$5" "$6"
}

# close_num NAME GOT WANT TOL: |GOT - WANT| <= TOL |WANT| (NA, NaN and Inf
# compare as strings).
close_num() {
    case "$3" in
        NA|NaN|Inf|-Inf) [ "$2" = "$3" ] || fail "$1: got '$2', expected $3"; return ;;
    esac
    awk -v g="$2" -v w="$3" -v tol="$4" 'BEGIN {
        if (g !~ /^[-+]?[0-9.]+([eE][-+]?[0-9]+)?$/) exit 1
        d = g - w; if (d < 0) d = -d; a = w < 0 ? -w : w
        exit !(d <= tol * a) }' || fail "$1: got '$2', expected $3 within relative $4"
}

# same_fit A.csv B.csv: two fit --output files agree in every column but
# 'deleted' (the 21st), i.e. the same fit of the same kept rows; the caller
# checks the count of deleted rows itself.
same_fit() {
    head -1 "$1" | cut -d, -f21 | grep -qx deleted || { echo "$1: column 21 is not 'deleted'" >&2; return 1; }
    cmp -s <(cut -d, -f1-20,22- "$1") <(cut -d, -f1-20,22- "$2")
}

# R's lm reference cases (tests/data/r/lm, README.md there).
RLM=$DATA/r/lm
# r_args CASE: the matgrad fit options that describe CASE's R model: the
# target from the recorded call, --intercept exactly when the _ref.txt says
# "intercept 1", --weights w when the call has weights = w.
r_args() {
    local ref="$RLM/$1_ref.txt" target
    target=$(sed -n 's/^# call: lm(\([^ ]*\) ~.*/\1/p' "$ref")
    printf '%s\n' --target "$target"
    if grep -q '^intercept 1$' "$ref"; then echo --intercept; fi
    if grep -q '^# call: .*weights = w' "$ref"; then printf '%s\n' --weights w; fi
}
# r_ref CASE RECORD: the fields after RECORD of its lines in CASE's _ref.txt
r_ref() {
    awk -v r="$2" '$1 == r { $1 = ""; sub(/^ /, ""); print }' "$RLM/$1_ref.txt"
}

# r_compare NAME CASE OUT.csv TOL [awk -v settings]: every statistic of
# CASE's _ref.txt that --output has, against OUT.csv, within relative TOL
# (a covariance entry relative to sqrt(V_ii V_jj); an R value of exactly 0
# absolutely); NA must be NA; every record must be found.  Settings:
# level=0.95|0.99 (the confint records to use), vcov=1 (the vcov records
# against the vcov_<term> columns), hc=HC0..HC3 (only std_error, against
# the square roots of that hc record's diagonal), ren_from/ren_to (a term
# of the output read as another term of R's), verbose=1 (the worst errors).
r_compare() {
    local name=$1 case=$2 csv=$3 tol=$4
    shift 4
    local vars=()
    for v in "$@"; do vars+=(-v "$v"); done
    awk -v tol="$tol" "${vars[@]}" '
function abs(v) { return v < 0 ? -v : v }
function want1(t, c, v) { W[t SUBSEP c] = v; K[++nk] = t SUBSEP c }
FNR == NR {
    if ($1 ~ /^#/) next
    if (hc != "") { if ($1 == "hc" && $2 == hc && $3 == $4) want1($3, "std_error", $5 == "NA" ? "NA" : sprintf("%.17g", sqrt($5))); next }
    if ($1 == "coef") { want1($2, "estimate", $3); want1($2, "std_error", $4); want1($2, "t_value", $5); want1($2, "p_value", $6) }
    else if ($1 == "aliased") want1($2, "aliased", $3)
    else if ($1 == "confint" && $2 == level) { want1($3, "conf_low", $4); want1($3, "conf_high", $5) }
    else if ($1 == "vcov" && vcov) { want1($2, "vcov_" $3, $4); if ($2 == $3) D[$2] = abs($4) }
    else if ($1 ~ /^(sigma|r_squared|adj_r_squared|df_residual|deleted|aic|bic)$/) want1("*", $1, $2)
    else if ($1 == "nobs") want1("*", "n", $2)
    else if ($1 == "fstatistic") { want1("*", "f_statistic", $2); want1("*", "f_df1", $3); want1("*", "f_df2", $4) }
    else if ($1 == "f_pvalue") want1("*", "f_p_value", $2)
    else if ($1 == "loglik") want1("*", "loglik", $2)
    next
}
FNR == 1 { FS = ","; $0 = $0; for (j = 1; j <= NF; j++) col[$j] = j; next }
{ t = $1; if (t == ren_from) t = ren_to
  for (c in col) {
      key = t SUBSEP c; if (!(key in W)) { key = "*" SUBSEP c; if (!(key in W)) continue; if (seen[key]++) continue }
      done[key] = 1; g = $(col[c]); w = W[key]
      if (w == "NA" || g == "NA") { if (g != w) { printf "%s %s: got %s, R %s\n", t, c, g, w; bad = 1 } ; continue }
      # a covariance is compared to its scale sqrt(V_ii V_jj) (an entry
      # near zero by cancellation has no relative accuracy of its own)
      sc = c ~ /^vcov_/ ? sqrt(D[t] * D[substr(c, 6)]) : abs(w)
      e = abs(g - w) / (sc == 0 ? 1 : sc)
      if (e > worst[c]) { worst[c] = e; wt[c] = t }
      if (!(e <= tol)) { printf "%s %s: got %s, R %s (relative %.3g > %g)\n", t, c, g, w, e, tol; bad = 1 }
  } }
END { for (i = 1; i <= nk; i++) if (!(K[i] in done)) { split(K[i], p, SUBSEP); printf "%s %s: not in the output\n", p[1], p[2]; bad = 1 }
      if (verbose) for (c in worst) printf "  worst %-14s %.2e (%s)\n", c, worst[c], wt[c] > "/dev/stderr"
      exit bad }
' "$RLM/${case}_ref.txt" "$csv" > "$name.cmp" 2>&1 ||
        { fail "$name: --output differs from R's $case record(s):"; sed 's/^/    /' "$name.cmp" >&2; }
}

finish() {
    if [ "$failures" -ne 0 ]; then
        echo "$failures check(s) failed" >&2
        exit 1
    fi
    echo "all checks passed"
}
