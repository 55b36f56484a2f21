#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The CSV dialect fit accepts: every spelling of the same data gives the same
# coefficients (byte-identical --output).
. "$(dirname "$0")/lib.sh"
printf 'a,b,y\n1,2,5\n2,1,4\n3,5,12\n4,3,10.5\n' > plain.csv
printf '\xef\xbb\xbfa,b,y\r\n1,2,5\r\n2,1,4\r\n\r\n3,5,12\r\n4,3,10.5' > bom_crlf.csv
printf 'a,b,y\r1,2,5\r2,1,4\r3,5,12\r4,3,10.5\r' > cr.csv
printf '\n"a", b ,"y"\n\n "1", 2 ,5e0\n2,"1",+4\n3, 5,1.2e1\n0x4,3,  10.50  \n\n' > quoted.csv
printf 'b,y,a\n2,5,1\n1,4,2\n5,12,3\n3,10.5,4\n' > reordered.csv
run plain 0 "$MATGRAD" fit plain.csv -t y -i -o plain_coef.csv
for f in bom_crlf cr quoted; do
    run "$f" 0 "$MATGRAD" fit "$f.csv" -t y -i -o "${f}_coef.csv"
    cmp -s plain_coef.csv "${f}_coef.csv" || fail "$f: coefficients differ from plain.csv's"
done
# columns in another order: the same fit, terms in file order
run reordered 0 "$MATGRAD" fit reordered.csv -t y -i -o reordered_coef.csv
[ "$(cut -d, -f1 reordered_coef.csv | tr '\n' ' ')" = "term (Intercept) b a " ] || fail "reordered: term order"
# The estimates are refined to the exact least-squares answer of the data,
# rounded: the same whatever the column order.  (--output has 22 columns:
# std_error is the 3rd of each pasted row, so $3 and $25.)  The standard errors come
# from the triangular factor, whose rounding depends on the order: relative
# error about m kappa eps each (fit.h), m = 3 coefficients, kappa <= 6
# (the printed condition estimate, 5.64), so 2 * 3 * 6 * 2^-52 = 8e-15
# between the two.
[ "$(grep '^a,' reordered_coef.csv | cut -d, -f2)" = "$(grep '^a,' plain_coef.csv | cut -d, -f2)" ] ||
    fail "reordered: estimate of a"
paste -d, <(grep '^a,' reordered_coef.csv) <(grep '^a,' plain_coef.csv) |
    awk -F, '{ d = ($3 - $25) / $25; if (d < 0) d = -d; exit !(d <= 2 * 3 * 6 * 2 ^ -52) }' ||
    fail "reordered: standard error of a"
expect_grep plain plain.out '^Method: auto \(streamed Householder QR, refined in 1 pass over the file; residuals in 1 pass\)$'
# From a pipe, which cannot be read twice: the one-pass QR answer, i.e.
# bit for bit --method qr on the file (the same blocks into the same state).
run plain_qr 0 "$MATGRAD" fit plain.csv -t y -i -m qr -o plain_qr_coef.csv
run pipe 0 sh -c "cat plain.csv | '$MATGRAD' fit - -t y -i -o pipe_coef.csv"
cmp -s plain_qr_coef.csv pipe_coef.csv || fail "pipe: coefficients differ from --method qr's"
expect_grep pipe pipe.out '^Note: the input cannot be read twice \(standard input or a pipe\): the one-pass QR answer, not refined$'
# A named pipe is not a regular file either: no second reading.
mkfifo fifo.csv
run fifo 0 sh -c "cat plain.csv > fifo.csv & exec '$MATGRAD' fit fifo.csv -t y -i -o fifo_coef.csv"
cmp -s plain_qr_coef.csv fifo_coef.csv || fail "fifo: coefficients differ from --method qr's"
expect_grep fifo fifo.out '^Note: the input cannot be read twice'
# a name that needs quoting in the output
printf '"x, the input",y\n1,2\n2,4.5\n3,6\n' > comma.csv
run comma 0 "$MATGRAD" fit comma.csv -t y -o comma_coef.csv
expect_grep comma comma_coef.csv '^"x, the input",'
finish
