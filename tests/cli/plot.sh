#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# --plot: a PNG when gnuplot is on PATH (gd: the loss curve; auto, qr,
# normal: R's four diagnostic panels); without gnuplot a message, the
# results all the same, exit status 0 and no file.  The diagnostics need a
# second reading of the rows: on standard input --plot is an error and
# writes nothing.  Also gradient descent on a well-conditioned CSV reaches
# the least-squares answer.
. "$(dirname "$0")/lib.sh"
is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; }

# y = 1 + 2 a - 3 b + small noise, predictors in [0, 1)
awk 'BEGIN { srand(7); print "a,b,y"
             for (i = 0; i < 200; i++) { a = rand(); b = rand()
                 printf "%.6f,%.6f,%.6f\n", a, b, 1 + 2 * a - 3 * b + 0.01 * (rand() - 0.5) } }' > lin.csv
run ls 0 "$MATGRAD" fit lin.csv --target y --intercept --output ls.csv
run gd 0 "$MATGRAD" fit lin.csv --target y --intercept --method gd --lr 0.5 --epochs 20000 --output gd.csv
# Gradient descent converges linearly: after 20000 steps of rate 0.5 on this
# design (Hessian eigenvalues ~0.03 to 3) the error factor is
# (1 - 0.5 * 0.03)^20000 ~ 1e-130, far below rounding, so it meets the QR
# answer to rounding of the conditioning: 1e-8 relative.
# (--output has 22 columns: gd's estimate is $(22 + 2) = $24.)
paste -d, ls.csv gd.csv | tail -n +2 | awk -F, '{ e = ($2 - $24) / $2; if (e < 0) e = -e
    if (e > 1e-8) { print "gd " $1 ": " $24 " vs " $2; bad = 1 } } END { exit bad }' ||
    fail "gradient descent does not reach the least-squares answer"
expect_grep gd gd.out '^Gradient descent: 20000 epochs, learning rate 0\.5, final loss '
# the Call line names the fit made: gd's rate and steps (once left out)
expect_grep gd gd.out '^matgrad fit lin\.csv --target y --intercept --method gd --lr 0\.5 --epochs 20000$'
[ ! -s gd.err ] || fail "gd: stderr is not a terminal, yet something was written there"

# converged to rounding: no "has not converged" warning
if grep -q '^Warning: gradient descent' gd.out; then fail "gd: a convergence warning after convergence"; fi

# gnuplot must be installed in CI (scripts/deps.sh installs gnuplot-nox): there
# the PNG checks below always run.  Only a machine without it skips them.
if command -v gnuplot > /dev/null; then
    run plot_fit 0 "$MATGRAD" fit lin.csv --target y --intercept --method gd --lr 0.5 --plot fit.png
    is_png fit.png || fail "fit --plot: fit.png is not a PNG"
    # least squares: the diagnostic panels, for every method but gd
    for m in auto qr normal; do
        rm -f "diag_$m.png"
        run "plot_$m" 0 "$MATGRAD" fit lin.csv --target y --intercept --method "$m" --plot "diag_$m.png"
        is_png "diag_$m.png" || fail "fit -m $m --plot: diag_$m.png is not a PNG"
        [ -s "diag_$m.png" ] || fail "fit -m $m --plot: diag_$m.png is empty"
        [ ! -s "plot_$m.err" ] || fail "plot_$m: something was written on stderr"
    done
    # weighted, with a factor (the R data): diagnostics too
    run plot_weighted 0 "$MATGRAD" fit "$DATA/r/lm/mtcars_weighted.csv" --target mpg --intercept --weights w --plot w.png
    is_png w.png || fail "fit --weights --plot: w.png is not a PNG"
    run plot_demo 0 "$MATGRAD" demo --plot demo.png
    is_png demo.png || fail "demo --plot: demo.png is not a PNG"
    [ "$(find . -name '*.tmp*' | wc -l)" -eq 0 ] || fail "a temporary file was left"
else
    echo "gnuplot not installed: PNG output not checked"
fi

# On standard input the rows cannot be read a second time for the
# diagnostics: an error (exit status 1, after the results), no file; the
# same for a pipe given by name.  Checked with and without gnuplot.
# standard input by name: a usage error before any work (exit 2, no report);
# a FIFO given by name is found out only once read: exit 1 after the report
run plot_stdin 2 "$MATGRAD" fit - --target y --intercept --plot stdin.png < lin.csv
expect_grep plot_stdin plot_stdin.err '^matgrad fit: --plot: the diagnostic plots need a second reading of the rows, which standard input does not allow$'
[ ! -s plot_stdin.out ] || fail "plot_stdin: a report was printed before the usage error"
mkfifo fifo.csv
( cat lin.csv > fifo.csv & )
run plot_fifo 1 "$MATGRAD" fit fifo.csv --target y --intercept --plot fifo.png
expect_grep plot_fifo plot_fifo.err '^matgrad: --plot: the diagnostic plots need a second reading of the rows, which a pipe does not allow; no plot written$'
[ ! -e fifo.png ] || fail "plot_fifo: a plot file was written"
[ ! -e stdin.png ] || fail "plot_stdin: a plot file was written"
[ "$(find . -name 'stdin.png*' | wc -l)" -eq 0 ] || fail "plot_stdin: a temporary file was left"
# gd holds its rows: its loss curve needs no second reading, from a pipe too
if command -v gnuplot > /dev/null; then
    run plot_stdin_gd 0 "$MATGRAD" fit - --target y --intercept --method gd --lr 0.5 --plot stdin_gd.png < lin.csv
    is_png stdin_gd.png || fail "plot_stdin_gd: stdin_gd.png is not a PNG"
fi

# Without gnuplot: say so, print the results, exit 0, write nothing.
run no_gnuplot 0 env PATH=/nonexistent "$MATGRAD" demo --plot none.png
expect_grep no_gnuplot no_gnuplot.err '^matgrad: gnuplot not found; no plot written$'
expect_grep no_gnuplot no_gnuplot.out '^Loss \(1000\): '
[ ! -e none.png ] || fail "no_gnuplot: a plot file appeared"
[ "$(find . -name 'none.png*' | wc -l)" -eq 0 ] || fail "no_gnuplot: a temporary file was left"
# ... and for fit's diagnostics: the report, exit 0, no file
run no_gnuplot_fit 0 env PATH=/nonexistent "$MATGRAD" fit lin.csv --target y --intercept --plot none_fit.png
expect_grep no_gnuplot_fit no_gnuplot_fit.err '^matgrad: gnuplot not found; no plot written$'
expect_grep no_gnuplot_fit no_gnuplot_fit.out '^Multiple R-squared: '
[ ! -e none_fit.png ] || fail "no_gnuplot_fit: a plot file appeared"
finish
