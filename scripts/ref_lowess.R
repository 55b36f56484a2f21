# SPDX-License-Identifier: BSD-3-Clause
# R's lowess() (the trend line of the diagnostic plots) on two data sets,
# for tests/test_cli_lowess.c.  Run from the repository root:
#   Rscript scripts/ref_lowess.R
# Writes tests/data/r/lowess.txt: per case a line "case NAME N", then N
# lines "x y lowess(x, y)$y" (%.17g), x sorted.  Needs R (r-base-core);
# CI does not: the output is committed.
out <- file("tests/data/r/lowess.txt", "w")
writeLines("# lowess(x, y) with R's defaults (f = 2/3, iter = 3, delta = 0.01 * diff(range(x)))", out)
emit <- function(name, x, y) {
  o <- order(x, y)
  x <- x[o]; y <- y[o]
  l <- lowess(x, y)
  writeLines(sprintf("case %s %d", name, length(x)), out)
  writeLines(sprintf("%.17g %.17g %.17g", x, y, l$y), out)
}
emit("cars", cars$speed, cars$dist)
i <- 1:400
x <- (i * 0.6180339887498949) %% 1 * 10
y <- sin(x) + 0.3 * ((i * 0.7548776662466927) %% 1 - 0.5) + ifelse(i %% 37 == 0, 3, 0)
emit("wave", x, y)
close(out)
