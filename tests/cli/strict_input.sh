#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Numeric options are read strictly (exit 2, a usage message), running out
# of memory is not the input's fault (exit 1, "matgrad: out of memory
# (...)"), and C1 control characters from the data never reach the terminal.
. "$(dirname "$0")/lib.sh"
printf 'a,y\n1,2\n2,3\n3,5\n' > ok.csv

# bad NAME MESSAGE-ERE ARGS...: a usage error with that message.
bad() {
    local name=$1 regex=$2
    shift 2
    run "$name" 2 "$MATGRAD" "$@"
    expect_grep "$name" "$name.err" "$regex"
    [ ! -s "$name.out" ] || fail "$name: printed results"
}
epochs="^matgrad fit: --epochs needs a whole number from 1 to 100000000, not"
bad epochs_neg_space "$epochs ' -5'$" fit ok.csv -t y -m gd --epochs ' -5'
bad epochs_plus_space "$epochs ' \\+5'$" fit ok.csv -t y -m gd --epochs ' +5'
bad epochs_plus "$epochs '\\+5'$" fit ok.csv -t y -m gd --epochs +5
bad epochs_trailing "$epochs '5 '$" fit ok.csv -t y -m gd --epochs '5 '
bad epochs_max "$epochs '18446744073709551615'$" fit ok.csv -t y -m gd --epochs 18446744073709551615
bad epochs_wrap "$epochs '18446744073709551621'$" fit ok.csv -t y -m gd --epochs 18446744073709551621
bad epochs_bound "$epochs '100000001'$" fit ok.csv -t y -m gd --epochs 100000001
bad epochs_zero "$epochs '0'$" fit ok.csv -t y -m gd --epochs 0
bad epochs_empty "$epochs ''$" fit ok.csv -t y -m gd --epochs ''
bad epochs_hex "$epochs '0x10'$" fit ok.csv -t y -m gd --epochs 0x10
lr="^matgrad fit: --lr needs a positive finite number, not"
bad lr_space "$lr ' 0\\.1'$" fit ok.csv -t y -m gd --lr ' 0.1'
bad lr_trailing "$lr '0\\.1 '$" fit ok.csv -t y -m gd --lr '0.1 '
bad lr_inf "$lr 'inf'$" fit ok.csv -t y -m gd --lr inf
bad lr_nan "$lr 'nan'$" fit ok.csv -t y -m gd --lr nan
bad lr_overflow "$lr '1e999'$" fit ok.csv -t y -m gd --lr 1e999
bad lr_zero "$lr '0'$" fit ok.csv -t y -m gd --lr 0
bad lr_junk "$lr '0\\.1x'$" fit ok.csv -t y -m gd --lr 0.1x
ridge="^matgrad fit: --ridge needs a finite number >= 0, not"
bad ridge_inf "$ridge 'Infinity'$" fit ok.csv -t y --ridge Infinity
bad ridge_neg "$ridge '-1'$" fit ok.csv -t y --ridge -1
bad ridge_space "$ridge '1 '$" fit ok.csv -t y --ridge '1 '
seed="^matgrad gradcheck: --seed needs a whole number from 0 to 18446744073709551615, not"
bad seed_neg "$seed ' -5'$" gradcheck --seed ' -5'
bad seed_big "$seed '18446744073709551616'$" gradcheck --seed 18446744073709551616
# the limits themselves are accepted
run epochs_one 0 "$MATGRAD" fit ok.csv -t y -m gd --epochs 1
expect_grep epochs_one epochs_one.out '^Gradient descent: 1 epochs'
run ridge_zero 0 "$MATGRAD" fit ok.csv -t y --ridge 0 --intercept
run lr_hex 0 "$MATGRAD" fit ok.csv -t y -m gd --lr 0x1p-4 --epochs 3
expect_grep lr_hex lr_hex.out 'learning rate 0\.0625,'
run seed_max 0 "$MATGRAD" gradcheck --seed 18446744073709551615
expect_grep seed_max seed_max.out 'seed 18446744073709551615\)$'

# Out of memory is exit 1 with a plain message, not a data error at a line.
# --method normal on 65535 predictors needs 65536^2 doubles (32 GiB) of
# cross products; allocations are limited to 4 GB so that it fails on any
# machine: by the address-space limit, or under AddressSanitizer (which
# needs terabytes of address space for its shadow) by its allocator's limit.
awk 'BEGIN { for (i = 1; i < 65536; i++) printf "c%d,", i; print "y"
             for (i = 1; i < 65536; i++) printf "1,"; print "1" }' > wide.csv
if ldd "$MATGRAD" 2> /dev/null | grep -q libasan; then
    run wide_normal 1 env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}allocator_may_return_null=1:max_allocation_size_mb=4000" \
        "$MATGRAD" fit wide.csv -t y --method normal
else
    run wide_normal 1 bash -c 'ulimit -v 4000000 && exec "$0" fit wide.csv -t y --method normal' "$MATGRAD"
fi
expect_grep wide_normal wide_normal.err '^matgrad: out of memory \(the fit state for 65536 columns, reading wide\.csv\)$'
[ ! -s wide_normal.out ] || fail "wide_normal: printed results"

# C1 controls, raw (0x9B is CSI to a terminal not in UTF-8 mode) or UTF-8
# encoded (U+009B = C2 9B), become '?' like C0 ones; UTF-8 text (é, €) and
# other bytes (0xFF) are shown as they are.
printf 'a\2339m,b\302\2331,c\303\251\342\202\254,d\377,e\001\n1,2,3,4,5\n' > c1.csv
run c1 2 "$MATGRAD" fit c1.csv -t y
printf "matgrad: c1.csv:1: no column named 'y' (columns: a?9m, b?1, c\303\251\342\202\254, d\377, e?)\n" > c1.want
cmp -s c1.err c1.want || { fail "c1: message not escaped as expected"; od -c c1.err | sed 's/^/    /' >&2; }
printf 'y,x\n1,2\n1,ab\2331\n' > c1_cell.csv
run c1_cell 2 "$MATGRAD" fit c1_cell.csv -t y
printf "matgrad: c1_cell.csv:3: column 'x': non-numeric value 'ab?1' (the column began with numbers; --factor x reads it as a factor)\n" > c1_cell.want
cmp -s c1_cell.err c1_cell.want || { fail "c1_cell: message not escaped"; od -c c1_cell.err | sed 's/^/    /' >&2; }
# a factor level in a message
printf 'y,x\n1,ab\2331\n2,ab\2331\n' > c1_level.csv
run c1_level 2 "$MATGRAD" fit c1_level.csv -t y
printf "matgrad: c1_level.csv: column 'x' is a factor with one level ('ab?1') in the rows fitted: a factor needs two or more\n" > c1_level.want
cmp -s c1_level.err c1_level.want || { fail "c1_level: message not escaped"; od -c c1_level.err | sed 's/^/    /' >&2; }
# a constant column's name, from --method normal
printf 'y,k\2330\n1,5\n2,5\n3,5\n' > c1_const.csv
run c1_const 1 "$MATGRAD" fit c1_const.csv -t y --intercept --method normal
if LC_ALL=C grep -q $'\x9b' c1_const.err; then fail "c1_const: a C1 byte reached stderr"; fi
expect_grep c1_const c1_const.err "^matgrad: normal equations: column 'k\\?0' is constant"
finish
