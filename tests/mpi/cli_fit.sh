#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# `mpirun -np N matgrad fit` (src/cli/fit_mpi.c, docs/mpi.md "The command")
# against the plain one-process command (tests/mpi.cmake runs it for N = 1,
# 2, 3 and 4):
#   - the report (stdout) is the same, byte for byte: every printed number
#     has 4-5 significant digits (coefficients, standard errors, quartiles,
#     R^2, F) or comes from exact counts, and the ranks' answer differs
#     from one process's by far less than half a unit in the 5th digit (the
#     bounds below are 1e-11 or smaller), so the digits agree unless a
#     value sits within that distance of a rounding boundary, which these
#     fixed data sets do not;
#   - --output (every digit of every statistic) within the bound of each
#     method, derived below, and bitwise the same on a second run with the
#     same N; --save bitwise the same run to run;
#   - N = 1 is the plain command exactly (--output and --save too);
#   - data: Longley (16 rows), a weighted file (2000 rows), a file of 70000
#     rows (the residual quartiles by counting, more than one pass) and one
#     of 4 rows whose first line is long, so that some ranks get no rows
#     (and df = 2: the report lists every residual);
#   - a bad line in the last rank's share: the plain command's message
#     (FILE:LINE:) and exit status 2 from every rank, nothing on stdout, an
#     existing --output file untouched; standard input and a FIFO are
#     refused on 2 ranks or more with exit 2;
#   - --robust hc0..hc3 (with --vcov): the report as above, the robust
#     standard errors and covariance within the bound derived at
#     robust_close, bitwise run to run (hc3); a leverage of 1 refused as
#     one process refuses it;
#   - --method gd: the report and --output as above;
#   - --plot: the PNG byte for byte (when gnuplot is installed);
#   - quoted fields (one, and R's write.csv quoting): one process's answer;
#   - factor columns (text, --factor): the levels agreed among the ranks,
#     the report and --output as above for each method, --plot byte for
#     byte, bad data and a factor left with one level reported as one
#     process reports them.
# Arguments: MATGRAD DATA WORKDIR N MPIEXEC NUMPROC_FLAG [MPIEXEC FLAGS...]
. "$(dirname "$0")/../cli/lib.sh"
N=$4
MPIEXEC=$5
NPFLAG=$6
shift 6
MPIFLAGS=("$@")

# mpi NAME STATUS N ARGS...: mpirun -np N matgrad ARGS (as run)
mpi() {
    local name=$1 want=$2 n=$3
    shift 3
    run "$name" "$want" "$MPIEXEC" "$NPFLAG" "$n" "${MPIFLAGS[@]}" "$MATGRAD" "$@"
}

longley_csv > longley.csv
# y = 1 + sum_j j x_j + noise, 5 predictors, weights 0.5 .. 2 (Park-Miller
# generator, fixed seed)
awk 'function u() { s = (16807 * s) % 2147483647; return s / 2147483647 }
     BEGIN { s = 7; print "x1,x2,x3,x4,x5,w,y"
             for (i = 0; i < 2000; i++) { t = 1; line = ""
                 for (j = 1; j <= 5; j++) { x = u(); t += j * x; line = line sprintf("%.9f,", x) }
                 printf "%s%g,%.9f\n", line, 0.5 * (1 + int(4 * u())), t + 0.01 * u() } }' > weighted.csv
awk 'function u() { s = (16807 * s) % 2147483647; return s / 2147483647 }
     BEGIN { s = 3; print "x1,x2,y"
             for (i = 0; i < 70000; i++) { a = u(); b = u()
                 printf "%.6f,%.6f,%.6f\n", a, b, 2 - a + 3 * b + 0.1 * (u() - 0.5) } }' > big.csv
# the header read takes the first data row (it decides the column kinds:
# rank 0's); of the 76 bytes after it, the second row's 64 hold most, so
# that on 3 and 4 ranks rank 1's share begins and ends at the same line
# start: no rows
printf 'x,y\n1,2.1\n2.000000000000000000000000000000000000000000000000000000000,3.9\n3,6.2\n4,7.8\n' > small.csv

# Bounds on max_j |b_j(N ranks) - b_j(1)| / max_j |b_j(1)|, from fit.h's
# accuracy statements (eps = 2.2e-16; m <= 7 coefficients; kappa(Z) is
# about 10 for the generated designs and 4.9e9... for Longley after its
# scaling, i.e. the report's condition estimate, 1/rcond):
#   auto: each run refined to the exact least-squares solution of the
#     file's doubles, rounded (a few ulps each): 64 m eps = 1e-13;
#   qr: backward stable, each within about m kappa eps + kappa^2 eps
#     ||r|| / (||Z|| ||b||) of the exact answer; for the generated files
#     1e-12 is 100 times that; Longley (kappa 5e9 unscaled) is run with
#     auto only;
#   normal: Cholesky on the normal equations, m kappa^2 eps each: 1e-11
#     is 100 times that for the generated files;
#   gd: the same trajectory as one process up to the rounding of the
#     gradient's sums (see the final loss below): 1e-10.
# Every other statistic of --output (se, t, p, R^2, F, sigma, quartiles)
# is a smooth function of the same sums and moves by the same relative
# order: checked on the coefficients' column and, for the quartiles, by
# the report's digits.
bound() {
    case "$1" in
        gd) echo 1e-10 ;;
        normal) echo 1e-11 ;;
        auto) echo 1e-13 ;;
        *) echo 1e-12 ;;
    esac
}


# same_report NAME PLAIN.out RANKS.out METHOD: every line the same but two,
# which are checked for what they promise:
#   - "condition estimate": LAPACK's 1-norm estimate (dtrcon) of the
#     factor, whose rows' signs, and so the estimator's path, depend on the
#     merge order (docs/mpi.md, "Determinism"); each estimate is a lower
#     bound of the same condition number (equal up to rounding), rarely low
#     by more than a factor 3 (Higham, Accuracy and Stability, 15.3; no
#     bound is guaranteed): the two within a factor 3 of each other (on
#     these files they differ by 4% at most; one process's own estimate
#     moves by a factor 2.6 with its reader's cuts on a large file,
#     docs/mpi.md);
#   - with gradient descent, the final loss (10 digits): a mean of n squares
#     summed in another order (relative error up to n eps = 2000 * 1.1e-16
#     = 2.2e-13 per evaluation), along a trajectory that mg_mpi_gd_fit
#     keeps to one process's (mpi.h; with a stable learning rate the
#     descent contracts, so earlier rounding differences decay): 1e-10
#     relative is 400 times the per-evaluation bound;
#   - with normal equations, "Log-likelihood" (10 digits): -n/2 log RSS
#     + const moves by n/2 dRSS/RSS, and the RSS from the Gram sums (y'Wy
#     - b'Z'Wy) carries an absolute error of about c m eps y'Wy; for the
#     weighted file (n = 2000, y'Wy / RSS about 1e7, m = 7) 100 times that
#     is 1000 * 100 * 7 * 2.2e-16 * 1e7 = 1.6e-3 on the log-likelihood,
#     twice that on AIC and BIC.
same_report() {
    local name=$1 a=$2 b=$3 m=$4 skip='condition estimate'
    [ "$m" = normal ] && skip='condition estimate|^Log-likelihood'
    [ "$m" = gd ] && skip='^Gradient descent:'
    diff <(grep -Ev "$skip" "$a") <(grep -Ev "$skip" "$b") > /dev/null || {
        fail "$name: the report differs from one process's"
        diff "$a" "$b" | sed 's/^/    /' >&2
    }
    paste -d '\n' <(grep -E "$skip" "$a") <(grep -E "$skip" "$b") |
        awk -v name="$name" '
            # the numbers of a line, in order, into v[1..]; their count
            function nums(s, v,   k) { k = 0
                while (match(s, /-?[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?/)) {
                    v[++k] = substr(s, RSTART, RLENGTH) + 0; s = substr(s, RSTART + RLENGTH) }
                return k }
            function abs(x) { return x < 0 ? -x : x }
            NR % 2 == 1 { a = $0; next }
            { na = nums(a, x); nb = nums($0, y)
              if (na != nb) { print name ": " a " / " $0; bad = 1; next } }
            /condition estimate/ { if (!(x[3] > 0 && y[3] > 0 && x[3] / y[3] <= 3 && y[3] / x[3] <= 3)) {
                print name ": condition estimates " x[3] ", " y[3]; bad = 1 } }
            /^Log-likelihood/ { for (k = 1; k <= na; k++) if (!(abs(x[k] - y[k]) <= 3.2e-3)) {
                print name ": " a " / " $0; bad = 1 } }
            /^Gradient descent:/ { for (k = 1; k < na; k++) if (x[k] != y[k]) bad = 1
                if (!(abs(x[na] - y[na]) <= 1e-10 * abs(x[na]))) bad = 1
                if (bad) print name ": " a " / " $0 }
            END { exit bad }' || fail "$name: a checked line of the report is out of bounds"
}

# check NAME RUNS FILE METHOD ARGS...: plain, then N ranks RUNS times (1
# or 2: each mpirun costs a second or more, several under the sanitizers)
check() {
    local name=$1 runs=$2 file=$3 m=$4 k
    shift 4
    local save=(--save "$name-plain.model")
    [ "$m" = gd ] && save=()   # gradient descent is not a model for predict
    run "$name-plain" 0 "$MATGRAD" fit "$file" -t y -m "$m" "$@" -o "$name-plain.csv" "${save[@]}"
    for n in $N; do
        for k in a b; do
            [ "$k" = a ] || [ "$runs" = 2 ] || continue
            [ "$m" = gd ] || save=(--save "$name-$n$k.model")
            mpi "$name-$n$k" 0 "$n" fit "$file" -t y -m "$m" "$@" -o "$name-$n$k.csv" "${save[@]}"
        done
        if [ "$n" = 1 ]; then
            cmp -s "$name-plain.out" "$name-${n}a.out" || fail "$name: the report on 1 rank differs"
        else
            same_report "$name on $n ranks" "$name-plain.out" "$name-${n}a.out" "$m"
        fi
        if [ "$runs" = 2 ]; then
            cmp -s "$name-${n}a.out" "$name-${n}b.out" || fail "$name: the report differs run to run on $n ranks"
            cmp -s "$name-${n}a.csv" "$name-${n}b.csv" || fail "$name: --output differs run to run on $n ranks"
            [ "$m" = gd ] ||
                cmp -s "$name-${n}a.model" "$name-${n}b.model" || fail "$name: --save differs run to run on $n ranks"
        fi
        close_coefs "$name on $n ranks" "$name-plain.csv" "$name-${n}a.csv" "$(bound "$m")"
    done
    # (one process's gradient descent takes its last bits from its thread
    # count, OMP_NUM_THREADS 1 and 2 differ, and mpirun binds a rank to one
    # core: --output within the bound above only)
    if [ "$N" = 1 ] && [ "$m" != gd ]; then
        cmp -s "$name-plain.csv" "$name-1a.csv" || fail "$name: --output on 1 rank differs from the plain command's"
        [ "$m" = gd ] || cmp -s "$name-plain.model" "$name-1a.model" || fail "$name: --save on 1 rank differs from the plain command's"
    fi
}

check longley 1 longley.csv auto -i
check weighted-auto 1 weighted.csv auto -i -w w
check weighted-qr 2 weighted.csv qr -i -w w
check weighted-normal 1 weighted.csv normal -i -w w
check big 2 big.csv auto -i
check small 1 small.csv auto -i
# gradient descent: each rank holds its rows, mg_mpi_gd_fit
check gd 2 weighted.csv gd -i --epochs 500 --lr 0.05
# quotes: one quoted field on line 1500, and R's write.csv (quoted names and
# row names on every line): rank 0 reads the rows in one sequence, the
# other ranks have none (fit_mpi.c), the answer is one process's
sed '1500s/^\([^,]*\),/"\1",/' weighted.csv > quoted.csv
awk -F, 'NR == 1 { printf "\"\""; for (j = 1; j <= NF; j++) printf ",\"%s\"", $j; print ""; next }
         { printf "\"%d\",%s\n", NR - 1, $0 }' weighted.csv > rwrite.csv
# --robust: each rank's HC sums merged up the tree (fit_diag.c), with and
# without weights (zero weights too), some ranks without rows (small.csv)
awk -F, 'BEGIN { OFS = "," } NR > 1 && NR % 3 == 0 { $6 = 0 } { print }' weighted.csv > zero.csv
check robust-hc0 1 weighted.csv auto -i --robust hc0 --vcov
check robust-hc3 2 weighted.csv auto -i -w w --robust hc3 --vcov
check robust-hc1 1 zero.csv qr -i -w w --robust hc1 --vcov
check robust-hc2 1 small.csv auto -i --robust hc2 --vcov
# The robust covariance V = C M C with the meat M = sum_i omega_i z_i z_i^T
# (omega_i >= 0) summed in another order on N ranks: two orders of a sum
# of n terms differ by at most 2 gamma_n sum_i |omega_i z_ia z_ib| <=
# 2 gamma_n sqrt(M_aa M_bb) (Cauchy-Schwarz; gamma_n = n u / (1 - n u),
# u = 1.1e-16, n = 2000: 4.4e-13), and C carries that into V with a factor
# of at most kappa(Z)^2 (about 100 for the generated designs, kappa(Z)
# about 10): |dV_ab| <= 4.4e-11 sqrt(V_aa V_bb), and the coefficients' own
# movement (1e-12 for qr, above) perturbs the residuals, so omega_i, by far
# less.  1e-10 relative to sqrt(V_aa V_bb) for every vcov entry, and to
# itself for the standard errors (sqrt(V_aa): half V_aa's relative error).
# (small.csv: 4 rows, nothing to reorder beyond the same bound.)
robust_close() {
    awk -F, -v name="$1" -v tol=1e-10 '
        function abs(x) { return x < 0 ? -x : x }
        FNR == 1 { if (NR == 1) for (j = 1; j <= NF; j++) {
                       if ($j == "std_error") se = j
                       if ($j ~ /^vcov_/) v[++nv] = j }
                   next }
        NR == FNR { for (j = 1; j <= NF; j++) a[FNR, j] = $j; rows = FNR; next }
        { for (j = 1; j <= NF; j++) b[FNR, j] = $j }
        END { if (!se || nv != rows - 1) { print name ": no std_error or vcov columns"; exit 1 }
              for (i = 2; i <= rows; i++) {
                  if (!(abs(a[i, se] - b[i, se]) <= tol * abs(a[i, se]))) {
                      print name ": std_error " a[i, se] " / " b[i, se]; bad = 1 }
                  for (c = 1; c <= nv; c++) {
                      s = sqrt(a[i, v[i - 1]] * a[c + 1, v[c]])
                      if (!(abs(a[i, v[c]] - b[i, v[c]]) <= tol * s)) {
                          print name ": vcov " a[i, v[c]] " / " b[i, v[c]]; bad = 1 } } }
              exit bad }' "$2" "$3" || fail "$1: the robust covariance differs beyond the bound"
}
for t in hc0 hc3 hc1 hc2; do
    robust_close "robust-$t on $N ranks" "robust-$t-plain.csv" "robust-$t-${N}a.csv"
done
expect_grep robust-hc3-name "robust-hc3-${N}a.out" '^Standard errors: heteroskedasticity-consistent HC3'
# A row of leverage 1 (a dummy column nonzero on one row): HC3 is
# undefined, mg_hc_finish refuses (MG_ERANGE) on every rank alike (each
# holds rank 0's merged sums): the plain command's message and exit
# status, one message, nothing on stdout, --output untouched.
awk 'BEGIN { s = 11; print "x,d,y"; for (i = 0; i < 40; i++) { s = (16807 * s) % 2147483647
             printf "%.6f,%d,%.6f\n", i / 40, i == 17, 1 + i / 40 + s / 2147483647 } }' > lev.csv
echo keep > kept-lev.csv
run lev-plain 1 "$MATGRAD" fit lev.csv -t y -i --robust hc3 -o kept-lev.csv
mpi lev 1 "$N" fit lev.csv -t y -i --robust hc3 -o kept-lev.csv
cmp -s <(grep '^matgrad: ' lev-plain.err) <(grep '^matgrad: ' lev.err) ||
    { fail "leverage 1 on $N ranks: not one process's message"; cat lev.err >&2; }
[ -z "$(cat lev.out)" ] || fail "leverage 1 on $N ranks: printed a report"
[ "$(cat kept-lev.csv)" = keep ] || fail "leverage 1 on $N ranks: the --output file changed"
check quoted 1 quoted.csv auto -i -w w
check rwrite 1 rwrite.csv qr -i
# ... by the same reading as one process (these files are below the
# parallel reader's two ranges), merged with empty states: bitwise
for f in quoted rwrite; do
    cmp -s "$f-plain.csv" "$f-${N}a.csv" || fail "$f: --output differs from one process's"
done
# the report says what ran: refinement over the file, quartiles by counting
expect_grep big-refined "big-${N}a.out" 'refined in [0-9]+ pass'
expect_grep big-passes "big-${N}a.out" 'residuals in [2-9] passes'
expect_grep small-listing "small-${N}a.out" '^Residuals:$'

# Factor columns: a text column g and k by --factor (fit_mpi.c: each rank
# holds its rows, the ranks agree on the levels, then fix the design).
# 600 rows; the level 'early' only in the first 40 (rank 0's share for any
# N <= 4: the ranks above miss it), 'Zeta' only in the last 20 (the last
# rank's share; the baseline, 'Z' sorting before 'a' bytewise, so that the
# other ranks learn it from the last), 'ghost' only in a row dropped for
# its missing x (no column for it), and k's number 10 spelled "10.0" in
# the first row (dropped for its missing x) and in the last 10 rows, "10"
# elsewhere: one process names the level by its first spelling in the
# file, dropped rows included.  Bounds as above (bound()), with the
# report's condition estimates of these designs: about 46 (auto and qr's
# factor with weights; qr without them: 62) and 10 (normal's centred sums):
# qr's m kappa eps = 9 * 62 * 2.2e-16 = 1.2e-13 is 8 times below 1e-12,
# normal's m kappa^2 eps = 8 * 100 * 2.2e-16 = 1.8e-13 is 57 times below
# 1e-11.
awk 'function u() { s = (16807 * s) % 2147483647; return s / 2147483647 }
     BEGIN { s = 11; n = 600; print "g,k,x,w,y"
             split("alpha beta gamma", L, " "); eff["alpha"] = 0; eff["beta"] = 0.5
             eff["gamma"] = -0.4; eff["early"] = 1.2; eff["Zeta"] = 0.7
             print "alpha,10.0,NA,1,1"
             for (i = 1; i < n; i++) {
                 g = L[i % 3 + 1]
                 if (i < 40 && i % 2 == 0) g = "early"
                 if (i >= n - 20 && i % 2 == 0) g = "Zeta"
                 r = u(); k = r < 0.3 ? 8 : r < 0.6 ? 9 : 10
                 ks = k == 10 && i >= n - 10 ? "10.0" : k
                 x = u(); w = 0.5 * (1 + int(4 * u()))
                 y = 1 + 2 * x + eff[g] + 0.3 * (k == 9) - 0.2 * (k == 10) + 0.05 * (u() - 0.5)
                 xs = sprintf("%.6f", x); if (i == 300) { g = "ghost"; xs = "NA" }
                 printf "%s,%s,%s,%g,%.6f\n", g, ks, xs, w, y } }' > factors.csv
check factor-auto 2 factors.csv auto -i -f k -w w
check factor-qr 1 factors.csv qr -i -f k
check factor-normal 1 factors.csv normal -i -f k -w w
check factor-gd 1 factors.csv gd -i -f k --epochs 300 --lr 0.1
# (gd has no weights: w is a predictor there)
for f in factor-auto-plain factor-auto-${N}a factor-gd-${N}a; do
    want="term (Intercept) galpha gbeta gearly ggamma k9 k10.0 x "
    [ "$f" = "factor-gd-${N}a" ] && want="${want}w "
    [ "$(cut -d, -f1 "$f.csv" | tr '\n' ' ')" = "$want" ] ||
        fail "$f: terms $(cut -d, -f1 "$f.csv" | tr '\n' ' ')"
done
# R's iris (tests/data/r/lm, 150 rows sorted by species), unquoted so that
# the ranks split it: on 3 and 4 ranks rank 0 has only 'setosa' (the
# baseline) and the last only 'virginica'
sed 's/"//g; 1s/,Sepal\.Length,/,y,/' "$DATA/r/lm/iris.csv" > iris.csv
check factor-iris 1 iris.csv auto -i
expect_grep factor-iris "factor-iris-${N}a.out" '^Speciesvirginica '
# R's write.csv quoting: rank 0 reads the file again in one sequence (its
# levels and --factor's text kind too), the others hold no rows: bitwise
awk -F, 'NR == 1 { printf "\"\""; for (j = 1; j <= NF; j++) printf ",\"%s\"", $j; print ""; next }
         { printf "\"%d\",\"%s\",%s,%s,%s,%s\n", NR - 1, $1, $2, $3, $4, $5 }' factors.csv > fquoted.csv
check factor-quoted 1 fquoted.csv qr -i -f k -w w
cmp -s factor-quoted-plain.csv "factor-quoted-${N}a.csv" || fail "factor-quoted: --output differs from one process's"
if command -v gnuplot > /dev/null; then
    run fplot-plain 0 "$MATGRAD" fit factors.csv -t y -i -f k -w w -p fplot-plain.png
    mpi fplot 0 "$N" fit factors.csv -t y -i -f k -w w -p "fplot-$N.png"
    cmp -s fplot-plain.out fplot.out || fail "factor plot: the report differs from one process's"
    cmp -s fplot-plain.png "fplot-$N.png" || fail "factor plot: the PNG differs from one process's"
fi
# Bad data while the rows are held (line 590, the last rank's share): one
# process's message and status; a factor whose second level is only in a
# row dropped for a missing value (line 59, the last share): one level
# left, refused as one process refuses it; no row kept at all.
awk -F, -v OFS=, 'NR == 590 { $3 = "abc" } { print }' factors.csv > fbad.csv
awk 'BEGIN { print "g,x,y"; for (i = 1; i <= 60; i++)
                 printf "%s,%s,%d\n", i == 58 ? "b" : "a", i == 58 ? "NA" : i, 2 * i + i % 3 }' > fone.csv
printf 'g,x,y\na,NA,1\nb,2,NA\nc,,3\n' > fnone.csv
for f in fbad fone fnone; do
    run "$f-plain" 2 "$MATGRAD" fit "$f.csv" -t y -i
    mpi "$f" 2 "$N" fit "$f.csv" -t y -i
    grep '^matgrad: ' "$f.err" > "$f.msg"
    cmp -s "$f-plain.err" "$f.msg" || { fail "$f on $N ranks: not one process's message"; cat "$f.err" >&2; }
    [ -s "$f.out" ] && fail "$f on $N ranks: printed a report"
done
expect_grep fbad fbad-plain.err '^matgrad: fbad\.csv:590: '
expect_grep fone fone-plain.err "one level \('a'\)"

# A bad line in the last rank's share (line 1990 of 2001): the plain
# command's message, exit 2 from every rank (each rank's status and
# standard error recorded by a wrapper, which exits 0: mpirun kills the
# other ranks as soon as one exits nonzero), nothing printed, an existing
# --output untouched.
sed '1990s/^[^,]*,/abc,/' weighted.csv > bad.csv
run bad-plain 2 "$MATGRAD" fit bad.csv -t y -i
expect_grep bad-plain bad-plain.err '^matgrad: bad\.csv:1990: '
echo keep > kept.csv
cat > status.sh <<EOS
r=\${OMPI_COMM_WORLD_RANK:-\${PMI_RANK:-x}}
"$MATGRAD" fit bad.csv -t y -i -o kept.csv > "$PWD/bad-out.\$r" 2> "$PWD/bad-err.\$r"
s=\$?
echo "rank \$r: \$s" >> "$PWD/status.txt"
EOS
rm -f status.txt bad-out.* bad-err.*
run bad 0 "$MPIEXEC" "$NPFLAG" "$N" "${MPIFLAGS[@]}" bash status.sh
[ "$(grep -c ': 2$' status.txt 2>/dev/null)" = "$N" ] || { fail "bad line: not every rank exited 2"; cat status.txt >&2; }
cat bad-err.* | grep '^matgrad: ' > bad.msg
cmp -s bad-plain.err bad.msg || {
    fail "bad line on $N ranks: the message differs from one process's"
    cat bad-err.* | sed 's/^/    /' >&2
}
[ -z "$(cat bad-out.*)" ] || fail "bad line on $N ranks: printed a report"
[ "$(cat kept.csv)" = keep ] || fail "bad line on $N ranks: the --output file changed"

# --plot: the diagnostic panels from the same sample of rows (every k-th
# of nonzero weight, positions counted from the file's start) as one
# process: the PNG byte for byte.  Every third weight zero.  (A plot of
# more than 65536 rows, every k-th row plotted, takes 4 s per run here:
# checked by hand, docs/mpi.md, not on every ctest.)
if command -v gnuplot > /dev/null; then
    run plot-plain 0 "$MATGRAD" fit zero.csv -t y -i -w w -p plot-plain.png
    mpi plot 0 "$N" fit zero.csv -t y -i -w w -p "plot-$N.png"
    cmp -s plot-plain.out "plot.out" || fail "plot: the report differs from one process's"
    cmp -s plot-plain.png "plot-$N.png" || fail "plot: the PNG differs from one process's"
else
    echo "gnuplot not installed: --plot on ranks not checked"
fi

# Two bad lines, in the middle (line 1100: rank 1 of 2 or 3, rank 2 of 4)
# and the last share: the first is reported, as one process does.
sed '1100s/,[^,]*$//;1990s/^[^,]*,/abc,/' weighted.csv > bad2.csv
run bad2-plain 2 "$MATGRAD" fit bad2.csv -t y -i
expect_grep bad2-plain bad2-plain.err '^matgrad: bad2\.csv:1100: '
mpi bad2 2 "$N" fit bad2.csv -t y -i
grep '^matgrad: ' bad2.err > bad2.msg
cmp -s bad2-plain.err bad2.msg || { fail "two bad lines on $N ranks: not the first"; cat bad2.err >&2; }

# Standard input: refused with exit 2 on 2 ranks or more
# (one rank is the plain command).
[ "$N" -ge 2 ] || exit $((failures > 0))
mpi stdin 2 "$N" fit - -t y -i < weighted.csv
expect_grep stdin stdin.err 'standard input is not split'
# a FIFO: refused before it is opened (no rank waits for a writer)
mkfifo fifo.csv
mpi fifo 2 "$N" fit fifo.csv -t y -i
expect_grep fifo fifo.err '^matgrad: fifo\.csv: not a regular file'

exit $((failures > 0))
