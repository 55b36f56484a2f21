#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The `matgrad fit` / `matgrad predict` session shown in docs/cli.md and the
# man page, on R's built-in airquality and iris data (tests/data/r/lm, as R's
# write.csv wrote them), with the diagnostic plots it draws into docs/img/.
# Run from the repository root after building (default: build/matgrad):
#   bash scripts/cli_session.sh [MATGRAD]
set -euo pipefail
M=${1:-build/matgrad}
D=tests/data/r/lm
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
show() { echo "\$ $*"; "$@"; echo; }
show "$M" fit $D/airquality.csv --target Ozone --intercept --plot docs/img/airquality_diagnostics.png
show "$M" fit $D/iris.csv --target Sepal.Length --intercept --robust hc3 --save "$work/iris.model"
show "$M" predict "$work/iris.model" $D/iris_new.csv --interval prediction
"$M" fit $D/iris.csv --target Sepal.Length --intercept --method gd --epochs 200 --lr 0.01 \
    --plot docs/img/iris_gd_loss.png > /dev/null
