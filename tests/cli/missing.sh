#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Missing values (NA, NaN, empty cells, quoted or not): a row with one is
# dropped as R's lm(na.action = na.omit) drops it, the report counts them,
# and the fit is the fit of the file without those rows (byte-identical
# --output: the same rows reach the same engine calls).  --na-action fail
# makes a missing value an error naming file, line and column.
. "$(dirname "$0")/lib.sh"

printf 'a,b,y\n1,2,5.5\n2,1,4\n3,5,12.25\n4,3,10.5\n5,7,17\n6,2,9.75\n7,4,14\n' > full.csv
# the same data with four rows made incomplete, each in another spelling
printf 'a,b,y\n1,2,5.5\nNA,9,9\n2,1,4\n3,5,12.25\n4,,3\n4,3,10.5\n"NA",1,1\n5,7,17\n6,2,9.75\n7,4,NaN\n7,4,14\n' > na.csv
sed -n '1p;2p;4p;5p;7p;9p;10p;12p' na.csv > na_removed.csv
for m in auto qr normal; do
    run "full_$m" 0 "$MATGRAD" fit na_removed.csv -t y -i -m "$m" -o "full_$m.csv"
    run "na_$m" 0 "$MATGRAD" fit na.csv -t y -i -m "$m" -o "na_$m.csv"
    same_fit "full_$m.csv" "na_$m.csv" || fail "na ($m): coefficients differ from the file without those rows"
    expect_grep "na_$m" "na_$m.out" '^  \(4 observations deleted due to missingness\)$'
    # 7 rows kept, 3 coefficients: 4 residual degrees of freedom; n and deleted in the CSV
    expect_grep "na_$m" "na_$m.out" '^Residual standard error: [0-9.e+-]+ on 4 degrees of freedom$'
    [ "$(out_col "na_$m.csv" n),$(out_col "na_$m.csv" deleted)" = 7,4 ] ||
        fail "na ($m): n,deleted = $(out_col "na_$m.csv" n),$(out_col "na_$m.csv" deleted), expected 7,4"
    if grep -q 'deleted due to missingness' "full_$m.out"; then fail "full ($m): a deletion line without deletions"; fi
done
# the line comes right after the residual standard error, as in R
grep -A1 '^Residual standard error' na_auto.out | tail -1 | grep -q '^  (4 observations' ||
    fail "na: the deletion line is not after the residual standard error"
# gradient descent drops the same rows
run na_gd 0 "$MATGRAD" fit na.csv -t y -i -m gd --epochs 50 -o na_gd.csv
run full_gd 0 "$MATGRAD" fit na_removed.csv -t y -i -m gd --epochs 50 -o full_gd.csv
same_fit na_gd.csv full_gd.csv || fail "na (gd): coefficients differ from the file without those rows"
# one deletion: singular
printf 'a,y\n1,2\n2,NA\n3,5\n4,9\n' > one.csv
run one 0 "$MATGRAD" fit one.csv -t y
expect_grep one one.out '^  \(1 observation deleted due to missingness\)$'
# quoted empty and blank cells are missing too; a CRLF file the same
printf 'a,b,y\r\n1,2,5.5\r\n"",9,9\r\n2,1,4\r\n3,5,12.25\r\n4, ,3\r\n4,3,10.5\r\n" NA ",1,1\r\n5,7,17\r\n6,2,9.75\r\n7,4, NaN\r\n7,4,14\r\n' > na_crlf.csv
run na_crlf 0 "$MATGRAD" fit na_crlf.csv -t y -i -o na_crlf_coef.csv
same_fit full_auto.csv na_crlf_coef.csv || fail "na_crlf: coefficients differ"
expect_grep na_crlf na_crlf.out '^  \(4 observations deleted'

# --na-action fail: the first missing value is an error (file, line, column)
run fail_na 2 "$MATGRAD" fit na.csv -t y -i --na-action fail -o fail_out.csv
expect_grep fail_na fail_na.err "^matgrad: na\\.csv:3: column 'a': missing value \\(--na-action fail\\)$"
[ ! -e fail_out.csv ] || fail "fail_na: left an output file"
run fail_full 0 "$MATGRAD" fit full.csv -t y -i --na-action fail
run fail_gd 2 "$MATGRAD" fit na.csv -t y -i -m gd --na-action fail
expect_grep fail_gd fail_gd.err "^matgrad: na\\.csv:3: column 'a': missing value"
run bad_action 2 "$MATGRAD" fit na.csv -t y --na-action exclude
expect_grep bad_action bad_action.err "^matgrad fit: --na-action needs omit or fail, not 'exclude'$"
# Inf stays an error (R's lm refuses it too), whatever the action
printf 'a,y\n1,2\n2,Inf\n3,5\n' > inf.csv
run inf 2 "$MATGRAD" fit inf.csv -t y
expect_grep inf inf.err "^matgrad: inf\\.csv:3: column 'y': non-finite value 'Inf'$"
printf 'a,y\n1,2\n-Inf,3\n3,5\n' > ninf.csv
run ninf 2 "$MATGRAD" fit ninf.csv -t y
expect_grep ninf ninf.err "^matgrad: ninf\\.csv:3: column 'a': non-finite value '-Inf'$"

# The fast path (lines of plain numbers) hands lines with a missing cell to
# libcsv: a long file of fast lines with NA lines among them equals the
# file without them, also through the parallel reader's byte ranges.
awk 'BEGIN { srand(7); print "x1,x2,y"
             for (i = 1; i <= 3000; i++) { a = i % 17 + rand(); b = rand() * 3
                 if (i % 97 == 0) print "NA," b "," a + b
                 else if (i % 101 == 0) print a ",," a
                 else if (i % 103 == 0) print a "," b ",NaN"
                 else printf "%.6f,%.6f,%.6f\n", a, b, 2 * a - b + 0.001 * (i % 7) } }' > big_na.csv
grep -v -e '^NA,' -e ',,' -e ',NaN$' big_na.csv > big_removed.csv
deleted=$(( $(wc -l < big_na.csv) - $(wc -l < big_removed.csv) ))
run big_removed 0 "$MATGRAD" fit big_removed.csv -t y -i -m qr -o big_removed_coef.csv
run big_na 0 "$MATGRAD" fit big_na.csv -t y -i -m qr -o big_na_coef.csv
same_fit big_removed_coef.csv big_na_coef.csv || fail "big_na: coefficients differ from the file without those rows"
expect_grep big_na big_na.out "^  \\($deleted observations deleted due to missingness\\)$"
[ "$(out_col big_na_coef.csv deleted)" = "$deleted" ] || fail "big_na: deleted column $(out_col big_na_coef.csv deleted), expected $deleted"
# parallel ranges: bitwise the same for 1 and 2 threads, the same count
for t in 1 2; do
    MATGRAD_CHUNK_BYTES=4096 OMP_NUM_THREADS=$t run "big_par_$t" 0 "$MATGRAD" fit big_na.csv -t y -i -m qr -o "big_par_$t.csv"
    expect_grep "big_par_$t" "big_par_$t.out" "^  \\($deleted observations deleted due to missingness\\)$"
done
cmp -s big_par_1.csv big_par_2.csv || fail "big_na: 1 and 2 threads differ"
# --na-action fail in a range after a cut names the sequential reading's line
line=$(grep -n -m1 -e '^NA,' -e ',,' -e ',NaN$' big_na.csv | cut -d: -f1)
MATGRAD_CHUNK_BYTES=4096 OMP_NUM_THREADS=2 run big_fail 2 "$MATGRAD" fit big_na.csv -t y -i --na-action fail
expect_grep big_fail big_fail.err "^matgrad: big_na\\.csv:$line: column '(x1|x2|y)': missing value"
# a file whose first rows are incomplete starts the parallel reader after them
{ echo 'x1,x2,y'; echo 'NA,NA,1'; echo ',2,3'; tail -n +2 big_removed.csv; } > late.csv
MATGRAD_CHUNK_BYTES=4096 OMP_NUM_THREADS=2 run late 0 "$MATGRAD" fit late.csv -t y -i -m qr -o late_coef.csv
expect_grep late late.out '^  \(2 observations deleted due to missingness\)$'
# The parallel reader merges range states, so compare within QR's bound:
# each estimate within c m kappa eps ||b|| of the sequential one (m = 3
# coefficients, kappa the printed condition estimate, ||b|| the largest
# |estimate|, c = 10 for the constants of the Householder updates).
# --output has 22 columns: the second file's estimate is $(22 + 2) = $24.
cond=$(sed -n 's/.*condition estimate: //p' late.out)
paste -d, late_coef.csv big_removed_coef.csv | tail -n +2 |
    awk -F, -v k="$cond" '{ b[NR] = $24; d[NR] = $2 - $24 }
        END { m = 0; for (i in b) { a = b[i] < 0 ? -b[i] : b[i]; if (a > m) m = a }
              for (i in d) { e = d[i] < 0 ? -d[i] : d[i]; if (e > 10 * 3 * k * 2^-52 * m) exit 1 } }' ||
    fail "late: coefficients differ from the file without those rows beyond QR's bound"
# every row incomplete
printf 'a,y\nNA,1\n2,\n' > none.csv
run none 2 "$MATGRAD" fit none.csv -t y
expect_grep none none.err "^matgrad: none\\.csv: no complete rows: each of the 2 data rows has a missing value$"
finish
