#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# --plot: a PNG when gnuplot is on PATH; without gnuplot a message, the
# results all the same, exit status 0 and no file.  Also gradient descent on
# a well-conditioned CSV reaches the least-squares answer.
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
paste -d, ls.csv gd.csv | tail -n +2 | awk -F, '{ e = ($2 - $6) / $2; if (e < 0) e = -e
    if (e > 1e-8) { print "gd " $1 ": " $6 " vs " $2; bad = 1 } } END { exit bad }' ||
    fail "gradient descent does not reach the least-squares answer"
expect_grep gd gd.out '^Gradient descent: 20000 epochs, learning rate 0\.5, final loss '
[ ! -s gd.err ] || fail "gd: stderr is not a terminal, yet something was written there"

if command -v gnuplot > /dev/null; then
    run plot_fit 0 "$MATGRAD" fit lin.csv --target y --intercept --method gd --lr 0.5 --plot fit.png
    is_png fit.png || fail "fit --plot: fit.png is not a PNG"
    run plot_demo 0 "$MATGRAD" demo --plot demo.png
    is_png demo.png || fail "demo --plot: demo.png is not a PNG"
    [ "$(find . -name '*.tmp*' | wc -l)" -eq 0 ] || fail "a temporary file was left"
else
    echo "gnuplot not installed: PNG output not checked"
fi

# Without gnuplot: say so, print the results, exit 0, write nothing.
run no_gnuplot 0 env PATH=/nonexistent "$MATGRAD" demo --plot none.png
expect_grep no_gnuplot no_gnuplot.err '^matgrad: gnuplot not found; no plot written$'
expect_grep no_gnuplot no_gnuplot.out '^Loss \(1000\): '
[ ! -e none.png ] || fail "no_gnuplot: a plot file appeared"
[ "$(find . -name 'none.png*' | wc -l)" -eq 0 ] || fail "no_gnuplot: a temporary file was left"
finish
