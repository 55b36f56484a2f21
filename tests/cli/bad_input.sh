#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Bad input to matgrad fit: each case prints `matgrad: FILE:LINE: message`
# (or `matgrad: FILE: message` where no line applies) on stderr, exits with
# status 2, prints nothing on stdout and leaves no output file behind.
. "$(dirname "$0")/lib.sh"

# case NAME REGEX [ARGS...]: fits NAME.csv with --output (and ARGS) and
# checks the outcome.
case_() {
    local name=$1 regex=$2
    shift 2
    run "$name" 2 "$MATGRAD" fit "$name.csv" --target y --output "out_$name.csv" "$@"
    expect_grep "$name" "$name.err" "^matgrad: $regex"
    [ ! -s "$name.out" ] || fail "$name: printed results on stdout"
    [ "$(find . -name "out_$name.csv*" | wc -l)" -eq 0 ] || fail "$name: left an output file"
}

printf 'a,b,y\n1,2,3\n4,5\n' > ragged.csv
case_ ragged 'ragged\.csv:3: expected 3 fields \(as in the header\), found 2$'
printf 'a,b,y\n1,2,3\n4,5,6,7\n' > ragged_long.csv
case_ ragged_long 'ragged_long\.csv:3: expected 3 fields \(as in the header\), found 4$'
printf 'a,b,y\n1,2,3\n4,abc,6\n' > text.csv
case_ text "text\.csv:3: column 'b': non-numeric value 'abc' \(the column began with numbers; --factor b reads it as a factor\)$"
printf 'a,b,y\n1,,3\n' > empty_cell.csv
case_ empty_cell "empty_cell\.csv:2: column 'b': missing value \(--na-action fail\)$" --na-action fail
printf 'a,b,y\n1,,3\n2,NA,4\n' > all_missing.csv
case_ all_missing "all_missing\.csv: no complete rows: each of the 2 data rows has a missing value$"
: > empty.csv
case_ empty 'empty\.csv: empty file: no header row$'
printf 'a,b,y\n' > header_only.csv
case_ header_only 'header_only\.csv: no data rows after the header$'
printf '1,2,3\n4,5,6\n' > no_header.csv
case_ no_header "no_header\.csv:1: no header row: the first record is all numbers \('1', \.\.\.\)$"
printf 'a,b,z\n1,2,3\n' > no_target.csv
case_ no_target "no_target\.csv:1: no column named 'y' \(columns: a, b, z\)$"
printf 'a,b,y\n1,2,3\n4,NaN,6\n' > nan.csv
case_ nan "nan\.csv:3: column 'b': missing value \(--na-action fail\)$" --na-action fail
printf 'a,b,y\n1,2,3\n4,5,-inf\n' > inf.csv
case_ inf "inf\.csv:3: column 'y': non-finite value '-inf'$"
printf 'a,b,y\n1,2,3\n4,5,1e999\n' > overflow.csv
case_ overflow "overflow\.csv:3: column 'y': number '1e999' is out of range for a double$"
printf 'a,b,y\r\n1,2,3\r\n\r\n4,5\r\n' > crlf_ragged.csv
case_ crlf_ragged 'crlf_ragged\.csv:4: expected 3 fields \(as in the header\), found 2$'
printf 'a,"b\nc",y\n1,2,3\n4,x,6\n' > multiline_header.csv
case_ multiline_header "multiline_header\.csv:4: column 'b\?c': non-numeric value 'x' "
printf 'a,b,y\n1,"2"x,3\n' > bad_quote.csv
case_ bad_quote 'bad_quote\.csv:2: malformed CSV'
printf 'a,b,y\n1,"2,3\n' > unterminated.csv
case_ unterminated 'unterminated\.csv:2: unterminated quoted field$'
printf 'a,y\n1,x\n2,z\n' > text_target.csv
case_ text_target "text_target\.csv:2: column 'y': non-numeric value 'x' \(the target must be numeric\)$"
printf 'y\n1\n2\n' > only_target.csv
case_ only_target "only_target\.csv: no predictor columns besides 'y'$"
# Limits that keep a binary file or a lost quote from filling memory.
{ printf 'a,y\n1,'; head -c 2000000 /dev/zero | tr '\0' 9; printf '\n'; } > long_field.csv
case_ long_field 'long_field\.csv:2: field longer than 1048576 bytes$'
awk 'BEGIN { for (i = 0; i < 70000; i++) printf "%sc%d", i ? "," : "", i; print "" }' > wide.csv
case_ wide 'wide\.csv:1: more than 65536 columns in the header$'
case_ does_not_exist 'does_not_exist\.csv: No such file or directory$'

# A computation that fails is exit status 1, still with no output file: the
# normal equations of a rank-deficient design.
printf 'a,b,y\n1,2,3\n2,4,5\n3,6,7\n4,8,9\n' > collinear.csv
run collinear 1 "$MATGRAD" fit collinear.csv --target y --method normal --output out_collinear.csv
expect_grep collinear collinear.err '^matgrad: .*try --method qr$'
[ ! -e out_collinear.csv ] || fail "collinear: left an output file"

printf 'a,b,y\n1,5,3\n2,5,5\n3,5,8\n' > constant.csv
run constant 1 "$MATGRAD" fit constant.csv --target y --intercept --method normal
expect_grep constant constant.err "^matgrad: normal equations: column 'b' is constant \(collinear with the intercept\); try --method qr$"

# Finite numbers whose squares overflow: the streamed sums cannot hold them.
printf 'a,y\n1e200,1\n2e200,3\n3e200,2\n' > huge.csv
# The fit engine's range (MG_ERANGE, fit.h's MG_FIT_RANGE: beyond it the
# state's sums of squares would under- or overflow, and these gave a wrong
# rank and zero standard errors with exit 0 before the engine refused
# them): exit 1, the column named, rather than a wrong answer.  The normal
# equations' sums overflow at these values: the same refusal.
for m in normal qr auto; do
    run "huge_$m" 1 "$MATGRAD" fit huge.csv --target y --intercept --method "$m"
    expect_grep "huge_$m" "huge_$m.err" "^matgrad: (least squares|normal equations): column 'a' holds values up to 3e\+200 in magnitude; the fit handles up to about 3e144: rescale it$"
done
printf 'a,y\n1e-200,1\n2e-200,3\n3e-200,2\n' > tiny.csv
run tiny 1 "$MATGRAD" fit tiny.csv --target y --intercept --method qr
expect_grep tiny tiny.err "^matgrad: least squares: column 'a' holds values of at most 3e-200 in magnitude; the fit handles down to about 3e-145: rescale it$"
printf 'a,w,y\n1e140,1e-300,1\n2e140,1e-300,3\n3e140,1e-300,2\n' > tiny_w.csv
run tiny_w 1 "$MATGRAD" fit tiny_w.csv --target y --intercept --weights w
expect_grep tiny_w tiny_w.err "^matgrad: least squares: column '\(Intercept\)' holds values of at most 1e-150 in magnitude \(times the square root of the weight\);"

# Gradient descent with a learning rate past 2 / (largest Hessian
# eigenvalue) diverges: exit 1, no output file.
run diverge 1 "$MATGRAD" fit collinear.csv --target y --method gd --lr 100 --output out_diverge.csv
expect_grep diverge diverge.err '^matgrad: gradient descent: the loss diverged; try a smaller --lr$'
[ ! -e out_diverge.csv ] || fail "diverge: left an output file"

# Usage errors: exit 2, a one-line reason and a pointer to --help.
printf 'a,y\n1,2\n2,3\n3,5\n' > ok.csv
usage_case() {
    local name=$1 regex=$2
    shift 2
    run "$name" 2 "$MATGRAD" "$@"
    expect_grep "$name" "$name.err" "$regex"
}
usage_case unknown_option "^matgrad fit: unknown option '--bogus'$" fit ok.csv -t y --bogus
expect_grep unknown_option unknown_option.err "^Try 'matgrad fit --help' for more information\.$"
usage_case missing_target '^matgrad fit: missing --target COLUMN$' fit ok.csv
usage_case missing_file '^matgrad fit: missing FILE\.csv$' fit --target y
usage_case bad_method "^matgrad fit: unknown method 'svd'" fit ok.csv -t y --method svd
usage_case bad_lr "^matgrad fit: --lr needs a positive finite number, not '-1'$" fit ok.csv -t y -m gd --lr -1
usage_case bad_epochs "^matgrad fit: --epochs needs a whole number from 1 to 100000000, not '1.5'$" fit ok.csv -t y -m gd --epochs 1.5
usage_case lr_without_gd '^matgrad fit: --lr and --epochs apply to --method gd$' fit ok.csv -t y --lr 0.1
usage_case ridge_with_qr '^matgrad fit: --ridge applies to --method normal' fit ok.csv -t y -m qr --ridge 1
# --plot without gd is no longer refused: for least squares it draws R's four
# diagnostic panels (tests/cli/plot.sh).  Ridge has no such diagnostics.
usage_case plot_with_ridge '^matgrad fit: --plot draws least-squares diagnostics: not with --ridge$' fit ok.csv -t y --ridge 1 --plot x.png
[ ! -e x.png ] || fail "plot_with_ridge: a plot file was written"
usage_case missing_arg "^matgrad fit: option '--target' needs an argument$" fit ok.csv --target
usage_case unknown_command "^matgrad: unknown command 'fitt'$" fitt
usage_case demo_unknown "^matgrad demo: unknown argument '--bogus'$" demo --bogus
usage_case gradcheck_unknown "^matgrad gradcheck: unknown argument '--bogus'$" gradcheck --bogus
usage_case no_command '^usage: matgrad <command>' 
# An output path that cannot be created fails before any work.
usage_case bad_output_dir '^matgrad: no/such/dir/c\.csv: No such file or directory$' fit ok.csv -t y -o no/such/dir/c.csv

# --help: usage on stdout, exit 0.
for cmd in "" fit demo gradcheck; do
    run "help_$cmd" 0 "$MATGRAD" $cmd --help
    expect_grep "help_$cmd" "help_$cmd.out" '^usage: matgrad'
done
run version 0 "$MATGRAD" --version
expect_grep version version.out '^matgrad [0-9]+\.[0-9]+\.[0-9]+$'

# Names from the file never put control characters on the terminal.
printf 'a\033[31m,b\n1,2\n' > escape.csv
case_ escape "escape\\.csv:1: no column named 'y' \\(columns: a\\?\\[31m, b\\)$"
finish
