# SPDX-License-Identifier: BSD-3-Clause
# Reference values of R's lm(weights = ) for tests/test_lstsq_weights_r.c.
# Writes tests/data/r/weighted_lm.txt: the data (exact decimals), then, for
# the model with and without an intercept, the coefficients, standard errors,
# residual standard error, R^2, adjusted R^2 and residual degrees of freedom
# printed with 17 significant digits.  Run from the repository root:
#   Rscript scripts/ref_weighted_lm.R
# (R from Debian's r-base-core; CI does not need it: the output is committed.)
out <- "tests/data/r/weighted_lm.txt"
n <- 30
i <- 0:(n - 1)
# deterministic data with few digits: exact in decimal and (to within one
# rounding each) in binary; weights include zeros (rows R drops from the
# residual degrees of freedom) and non-integers
x1 <- ((i * 7) %% 11) / 4
x2 <- ((i * 5) %% 13) / 8 - 0.75
x3 <- ((i * i) %% 17) / 16
y <- 1.5 + 2 * x1 - 3 * x2 + 0.5 * x3 + (((i * 3) %% 7) - 3) / 10
w <- c(0, 1, 2, 0.5, 3)[(i %% 5) + 1]
fmt <- function(v) formatC(v, digits = 17, format = "g")
con <- file(out, "w")
writeLines(c("# R's lm(weights = w): scripts/ref_weighted_lm.R",
             paste("# R", R.version$major, R.version$minor),
             paste("rows", n)), con)
for (r in seq_len(n))
  writeLines(paste("row", fmt(x1[r]), fmt(x2[r]), fmt(x3[r]), fmt(y[r]), fmt(w[r])), con)
put <- function(tag, fit) {
  s <- summary(fit)
  cf <- s$coefficients
  writeLines(paste(tag, "coef", paste(fmt(cf[, 1]), collapse = " ")), con)
  writeLines(paste(tag, "se", paste(fmt(cf[, 2]), collapse = " ")), con)
  writeLines(paste(tag, "sigma", fmt(s$sigma)), con)
  writeLines(paste(tag, "r2", fmt(s$r.squared)), con)
  writeLines(paste(tag, "adjr2", fmt(s$adj.r.squared)), con)
  writeLines(paste(tag, "df", fit$df.residual), con)
}
put("intercept", lm(y ~ x1 + x2 + x3, weights = w))
put("nointercept", lm(y ~ 0 + x1 + x2 + x3, weights = w))
close(con)
