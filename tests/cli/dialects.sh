#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The CSVs R and spreadsheets write: write.csv's row-name column, ';' and
# TAB separators (--sep, or detected from the header line), a BOM with CRLF,
# repeated column names (renamed as R's make.unique does), and the hint
# when the separator in use is not the one the header line suggests.  Each
# spelling of the same data gives the same coefficients (byte-identical
# --output).
. "$(dirname "$0")/lib.sh"

printf 'a,b,y\n1,2,5\n2,1,4\n3,5,12\n4,3,10.5\n5,5,14\n' > plain.csv
run plain 0 "$MATGRAD" fit plain.csv -t y -i -o plain_coef.csv
same() {   # same NAME FILE ARGS...: FILE fits to plain.csv's coefficients
    local name=$1 file=$2
    shift 2
    run "$name" 0 "$MATGRAD" fit "$file" -t y -i -o "${name}_coef.csv" "$@"
    # every column but 'deleted' (21st: semi_r drops an NA row, checked by
    # its report line below); the rest is the same fit to the last digit
    cmp -s <(cut -d, -f1-20,22- plain_coef.csv) <(cut -d, -f1-20,22- "${name}_coef.csv") ||
        fail "$name: coefficients differ from plain.csv's"
}

# R's write.csv(df): an empty first name over the row names, which are
# skipped (quoted or not, text or numbers, even missing)
printf '"","a","b","y"\n"1",1,2,5\n"2",2,1,4\n"3",3,5,12\n"4",4,3,10.5\n"5",5,5,14\n' > rownames.csv
same rownames rownames.csv
printf ',a,b,y\nr1,1,2,5\nr2,2,1,4\n3,3,5,12\nNA,4,3,10.5\n,5,5,14\n' > rownames_plain.csv
same rownames_plain rownames_plain.csv
if grep -q 'deleted due to missingness' rownames_plain.out; then fail "rownames_plain: a missing row name dropped its row"; fi
# ... through the fast path too (many unquoted lines) and with factors
awk 'BEGIN { print ",a,b,y"; for (i = 1; i <= 2000; i++) printf "%d,%d,%d,%d\n", i, i % 7, i % 5, 2 * (i % 7) - (i % 5) + (i % 3) }' > rn_big.csv
cut -d, -f2- rn_big.csv > rn_big_plain.csv
run rn_big 0 "$MATGRAD" fit rn_big.csv -t y -i -m qr -o rn_big_coef.csv
run rn_big_plain 0 "$MATGRAD" fit rn_big_plain.csv -t y -i -m qr -o rn_big_plain_coef.csv
cmp -s rn_big_coef.csv rn_big_plain_coef.csv || fail "rn_big: row names changed the fit"
# the row-name column is no column of the model: it cannot be named
run rownames_target 2 "$MATGRAD" fit rownames.csv -t ''
expect_grep rownames_target rownames_target.err "^matgrad: rownames\\.csv:1: no column named '' \\(columns: a, b, y\\)$"

# ';' and TAB, detected or given; R's write.csv2 quotes names and writes NA
printf 'a;b;y\n1;2;5\n2;1;4\n3;5;12\n4;3;10.5\n5;5;14\n' > semi.csv
same semi semi.csv
same semi_sep semi.csv --sep ';'
printf '"";"a";"b";"y"\n"1";1;2;5\n"2";2;1;4\n"3";3;5;12\n"4";4;3;10.5\n"5";5;5;14\n"6";NA;1;1\n' > semi_r.csv
same semi_r semi_r.csv
expect_grep semi_r semi_r.out '^  \(1 observation deleted due to missingness\)$'
printf 'a\tb\ty\n1\t2\t5\n2\t1\t4\n3\t5\t12\n4\t3\t10.5\n5\t5\t14\n' > tab.csv
same tab tab.csv
same tab_sep tab.csv --sep tab
# blanks around numbers in a TAB file (spaces only: TAB is the separator)
printf 'a\tb\ty\n 1\t2 \t5\n2\t 1\t4\n3\t5\t12\n4\t3\t10.5\n5\t5\t14\n' > tab_blanks.csv
same tab_blanks tab_blanks.csv
# a comma inside quotes does not count; ties go to ','
printf '"x,1;x,2";b;y\n1;2;5\n2;1;4\n3;5;12\n4;3;10.5\n5;5;14\n' > semi_quoted.csv
run semi_quoted 0 "$MATGRAD" fit semi_quoted.csv -t y -i -o semi_quoted_coef.csv
last3() { awk -F, '{ print $(NF - 2), $(NF - 1), $NF }' "$1"; }
cmp -s <(last3 plain_coef.csv) <(last3 semi_quoted_coef.csv) || fail "semi_quoted: coefficients differ"
# a BOM and CRLF line ends, with ';' and with TAB
printf '\xef\xbb\xbfa;b;y\r\n1;2;5\r\n2;1;4\r\n\r\n3;5;12\r\n4;3;10.5\r\n5;5;14\r\n' > bom_semi.csv
same bom_semi bom_semi.csv
printf '\xef\xbb\xbf"","a","b","y"\r\n"1",1,2,5\r\n"2",2,1,4\r\n"3",3,5,12\r\n"4",4,3,10.5\r\n"5",5,5,14\r\n' > bom_rownames.csv
same bom_rownames bom_rownames.csv
printf '\xef\xbb\xbfa\tb\ty\r\n1\t2\t5\r\n2\t1\t4\r\n3\t5\t12\r\n4\t3\t10.5\r\n5\t5\t14\r\n' > bom_tab.csv
same bom_tab bom_tab.csv
# from a pipe, and with a header after blank lines
run semi_pipe 0 sh -c "cat semi.csv | '$MATGRAD' fit - -t y -i -m qr -o semi_pipe_coef.csv"
run plain_qr 0 "$MATGRAD" fit plain.csv -t y -i -m qr -o plain_qr_coef.csv
cmp -s plain_qr_coef.csv semi_pipe_coef.csv || fail "semi_pipe: coefficients differ"
{ printf '\n  \n'; cat semi.csv; } > semi_blank.csv
same semi_blank semi_blank.csv
# ';' files large enough for the parallel reader and the fast path
tr , ';' < rn_big_plain.csv > big_semi.csv
MATGRAD_CHUNK_BYTES=4096 run big_semi 0 "$MATGRAD" fit big_semi.csv -t y -i -m qr -o big_semi_coef.csv
MATGRAD_CHUNK_BYTES=4096 run big_comma 0 "$MATGRAD" fit rn_big_plain.csv -t y -i -m qr -o big_comma_coef.csv
cmp -s big_semi_coef.csv big_comma_coef.csv || fail "big_semi: coefficients differ from the comma file's"

# The hint: a parse error on a file whose header holds ';' or TAB read with
# another separator.
run hint_semi 2 "$MATGRAD" fit semi.csv -t y --sep ,
expect_grep hint_semi hint_semi.err "^matgrad: semi\\.csv:1: no column named 'y' \\(columns: a;b;y\\) \\(the file looks ';'-separated: try --sep ';'\\)$"
run hint_tab 2 "$MATGRAD" fit tab.csv -t y --sep ';'
expect_grep hint_tab hint_tab.err "\\(the file looks tab-separated: try --sep tab\\)$"
printf 'y,a;b\n3,1\n6,4;5\n' > mixed.csv   # ',' and ';' once each: ',' wins the tie
run hint_mixed 2 "$MATGRAD" fit mixed.csv -t y
expect_grep hint_mixed hint_mixed.err "^matgrad: mixed\\.csv:3: column 'a;b': non-numeric value '4;5' .* \\(the file looks ';'-separated: try --sep ';'\\)$"
run no_hint 2 "$MATGRAD" fit plain.csv -t z
if grep -q 'looks' no_hint.err; then fail "no_hint: a hint on a comma file"; fi
run bad_sep 2 "$MATGRAD" fit plain.csv -t y --sep '|'
expect_grep bad_sep bad_sep.err "^matgrad fit: --sep needs ',', ';', tab or auto, not '\\|'$"

# Repeated names: x, x.1, x.2 (R's make.unique: a suffix already taken is
# skipped), a note on stderr, the target named by its new name.
printf 'x,x,y,x,x.1\n1,2,5,1,0\n2,1,4,3,1\n3,5,12,2,0\n4,3,10.5,5,1\n5,5,14,1,1\n6,2,7,2,0\n' > dup.csv
run dup 0 "$MATGRAD" fit dup.csv -t y -o dup_coef.csv
[ "$(cut -d, -f1 dup_coef.csv | tr '\n' ' ')" = "term x x.2 x.3 x.1 " ] || fail "dup: terms $(cut -d, -f1 dup_coef.csv | tr '\n' ' ')"
expect_grep dup dup.err "^matgrad: note: 2 repeated column names renamed as R's make.unique does \\(the first: column 2 is now 'x.2'\\)$"
[ "$(wc -l < dup.err)" = 1 ] || fail "dup: more than one line on stderr"
run dup_target 0 "$MATGRAD" fit dup.csv -t x.2 -o dup_target_coef.csv
[ "$(cut -d, -f1 dup_target_coef.csv | tr '\n' ' ')" = "term x y x.3 x.1 " ] || fail "dup_target: terms"

# Every per-cell error names its column (and file and line).
printf 'a;Ozone;y\n1;2;3\n2;abc;4\n' > e_text.csv
run e_text 2 "$MATGRAD" fit e_text.csv -t y
expect_grep e_text e_text.err "^matgrad: e_text\\.csv:3: column 'Ozone': non-numeric value 'abc' "
printf 'a\tOzone\ty\n1\t2\t3\n2\tInf\t4\n' > e_inf.csv
run e_inf 2 "$MATGRAD" fit e_inf.csv -t y
expect_grep e_inf e_inf.err "^matgrad: e_inf\\.csv:3: column 'Ozone': non-finite value 'Inf'$"
printf '"",a,Ozone,y\n"1",1,2,3\n"2",2,1e999,4\n' > e_range.csv
run e_range 2 "$MATGRAD" fit e_range.csv -t y
expect_grep e_range e_range.err "^matgrad: e_range\\.csv:3: column 'Ozone': number '1e999' is out of range for a double$"
printf 'a,Ozone,y\n1,2,3\n2,NA,4\n' > e_na.csv
run e_na 2 "$MATGRAD" fit e_na.csv -t y --na-action fail
expect_grep e_na e_na.err "^matgrad: e_na\\.csv:3: column 'Ozone': missing value \\(--na-action fail\\)$"
printf 'a,Ozone,y\n1,2,3\n2,-1,4\n' > e_w.csv
run e_w 2 "$MATGRAD" fit e_w.csv -t y -w Ozone
expect_grep e_w e_w.err "^matgrad: e_w\\.csv:3: column 'Ozone': negative weight -1 \\(weights must be >= 0\\)$"
printf 'x,x,y\n1,2,3\n2,b,4\n' > e_dup.csv
run e_dup 2 "$MATGRAD" fit e_dup.csv -t y
expect_grep e_dup e_dup.err "^matgrad: e_dup\\.csv:3: column 'x\\.1': non-numeric value 'b' "
finish
