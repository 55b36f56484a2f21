# SPDX-License-Identifier: BSD-3-Clause
# Reference values of R's Student t and F distribution functions (pt, pf)
# and quantiles (qt, qf) for the inference layer's tests (issue 11).
# Writes tests/data/r/distributions.txt.  Run from the repository root:
#   Rscript scripts/ref_distributions.R
# (R from Debian's r-base-core; CI does not need R: the output is committed.)
#
# Record formats (one record a line, fields separated by blanks; every real
# number printed with 17 significant digits, so it reads back exactly):
#   pt x df lower log value cond        value = pt(x, df, lower.tail, log.p)
#   pf x df1 df2 lower log value cond   value = pf(x, df1, df2, lower.tail, log.p)
#   qt p df lower log value cond        value = qt(p, df, lower.tail, log.p)
#   qf p df1 df2 lower log value cond   value = qf(p, df1, df2, lower.tail, log.p)
# lower and log are 0 or 1 (FALSE or TRUE).  With log = 1 the p of qt/qf is
# the natural logarithm of the probability.  cond (3 digits, may be Inf) is
# the relative condition number of value with respect to its first argument:
# with P the probability, f the density at the quantile or point x,
#   pt, pf:  cond = |x f(x) / P|,            divided by |log P| when log = 1;
#   qt, qf:  cond = |P / (q f(q))|,          times |log P| when log = 1.
# Rounding the argument alone moves value by about eps * cond relatively, and
# a tail probability got by exponentiating its logarithm errs by about
# eps * |log P|, so a test compares within a multiple of eps times
#   pt, pf:  1 + cond + |log Ps|   (Ps the smaller of P and 1 - P),
#   qt, qf:  1 + cond * (1 + |log P|),
# not within a fixed relative tolerance: cond reaches 1e3 in the deep tails.
# Against 60-digit mpmath on random samples of this file, R 4.2.2 erred by at
# most about 3 (pt, pf) and 60 (qt, qf) times these.
# cond = Inf marks a value to compare absolutely (a quantile 0 at p = 0.5, a
# log probability that rounds to -0).
#
# Grid: df (and df2) in {1, 2, 3, 5, 10, 30, 100, 1e3, 1e4, 1e5, 1e6, 1e7}
# plus the non-integers 0.5, 2.5, 7.3, 45.6; df1 of pf/qf only up to 1e3
# ({1, 2, 3, 5, 10, 30, 100, 1e3, 2.5, 7.3}).  For pt the x are a body grid,
# its negatives, and the upper-tail quantiles of probabilities 1e-1 ... 1e-300
# (and their negatives: the lower tail), so the tails reach 1e-300 wherever
# that x is finite; for pf the x are the quantiles of lower and upper tail
# probabilities 1e-300, 1e-100, 1e-20, 1e-5, 1e-1, 0.5 that are positive and
# finite, and x = 1.  A record is kept only if R computed it without a warning
# (qbeta may warn that full precision was not reached, pbeta that a log.p
# value underflowed to -Inf); the x of a pt/pf record need not be exact
# quantiles, they are only points, exact as printed.
out <- "tests/data/r/distributions.txt"
fmt <- function(v) sprintf("%.17g", v)
fmc <- function(v) sprintf("%.3g", v)
# cond of a probability value at x, from the log density ld at x
pcond <- function(x, ld, v, lg) {
  lP <- if (lg) v else log(v)
  c <- exp(log(abs(x)) + ld - lP)
  if (lg) c <- c / abs(v)
  if (is.nan(c)) Inf else c  # log value rounded to 0: compare absolutely
}
dfs <- c(1, 2, 3, 5, 10, 30, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 0.5, 2.5, 7.3, 45.6)
df1s <- c(1, 2, 3, 5, 10, 30, 100, 1e3, 2.5, 7.3)
tails <- 10^-c(1, 2, 3, 5, 10, 20, 50, 100, 200, 300)
ftails <- 10^-c(1, 5, 20, 100, 300)
probs <- c(0.5, 0.9, 0.95, 0.975, 0.99, 0.995, 0.999,
           1e-3, 1e-6, 1e-10, 1e-20, 1e-50, 1e-100, 1e-300)
body <- c(0, 1e-8, 1e-3, 0.1, 0.5, 1, 1.5, 2, 3, 5)
dropped <- 0L
# the value of expr, or NA (counted as dropped) when R warns about it
quiet <- function(expr) {
  w <- FALSE
  v <- withCallingHandlers(expr, warning = function(c) {
    w <<- TRUE
    invokeRestart("muffleWarning")
  })
  if (w) { dropped <<- dropped + 1L; NA } else v
}
recs <- character(0)
add <- function(...) recs <<- c(recs, paste(...))
flags <- expand.grid(log = c(FALSE, TRUE), lower = c(TRUE, FALSE))
for (df in dfs) {
  tq <- qt(tails, df, lower.tail = FALSE)
  xs <- c(body, tq, 1e10, 1e100, 1e300)
  xs <- xs[is.finite(xs)]
  xs <- unique(signif(c(xs, -xs), 17))
  for (x in sort(xs)) for (k in seq_len(nrow(flags))) {
    lo <- flags$lower[k]; lg <- flags$log[k]
    v <- quiet(pt(x, df, lower.tail = lo, log.p = lg))
    if (!is.na(v)) add("pt", fmt(x), fmt(df), as.integer(lo), as.integer(lg), fmt(v),
                       fmc(pcond(x, dt(x, df, log = TRUE), v, lg)))
  }
}
for (df1 in df1s) for (df2 in dfs) {
  # only points: a warning of qf here (imprecise quantile) does not matter
  xs <- suppressWarnings(c(qf(c(ftails, 0.5), df1, df2),
                           qf(ftails, df1, df2, lower.tail = FALSE), 1))
  xs <- unique(xs[is.finite(xs) & xs > 0])
  for (x in sort(xs)) for (k in seq_len(nrow(flags))) {
    lo <- flags$lower[k]; lg <- flags$log[k]
    v <- quiet(pf(x, df1, df2, lower.tail = lo, log.p = lg))
    if (!is.na(v)) add("pf", fmt(x), fmt(df1), fmt(df2), as.integer(lo), as.integer(lg),
                       fmt(v), fmc(pcond(x, df(x, df1, df2, log = TRUE), v, lg)))
  }
}
# R's qt and qf stop short in some extreme tails (R 4.2.2 gives
# qt(1e-300, 2.5, lower.tail = FALSE) 9e-6 too large, and qf loses digits
# to 1/qbeta - 1 when df2 is large; checked against 60-digit mpmath): a
# quantile q is kept only if the probability at q agrees with P within
# 32 eps (1 + cp + |log P|), cp = |q f(q) / P| being the condition number of
# the probability in q (f the density): that is, q errs by no more than
# about 32 eps (1 + (1 + |log P|) / cp) relatively, rounding-level amounts
# (pt and pf themselves err by up to about 2 eps (cp + |log P|), the
# |log P| from exponentiating a logarithm in the deep tails).
roundtrip <- 0L
eps <- .Machine$double.eps
qrec <- function(tag, pars, p, lo, lg, v, cdf, dens) {
  if (is.na(v)) return(invisible())
  P <- if (lg) exp(p) else p
  qc <- Inf
  if (is.finite(v) && v != 0) {
    qc <- abs(P / (v * dens(v))) * (if (lg) abs(p) else 1)
    back <- cdf(v, lo)
    cp <- abs(v * dens(v) / P)
    if (!is.finite(back) ||
        abs(back / P - 1) > 32 * eps * (1 + cp + abs(log(P)))) {
      roundtrip <<- roundtrip + 1L
      return(invisible())
    }
  }
  add(tag, fmt(p), paste(fmt(pars), collapse = " "),
      as.integer(lo), as.integer(lg), fmt(v), fmc(qc))
}
for (df in dfs) for (p in probs) for (lo in c(TRUE, FALSE)) {
  cdf <- function(q, lo) pt(q, df, lower.tail = lo)
  dens <- function(q) dt(q, df)
  qrec("qt", df, p, lo, FALSE, quiet(qt(p, df, lower.tail = lo)), cdf, dens)
  if (p < 1e-6) qrec("qt", df, log(p), lo, TRUE,
                     quiet(qt(log(p), df, lower.tail = lo, log.p = TRUE)), cdf, dens)
}
for (df1 in df1s) for (df2 in dfs) for (p in probs) for (lo in c(TRUE, FALSE)) {
  cdf <- function(q, lo) pf(q, df1, df2, lower.tail = lo)
  dens <- function(q) df(q, df1, df2)
  qrec("qf", c(df1, df2), p, lo, FALSE, quiet(qf(p, df1, df2, lower.tail = lo)),
       cdf, dens)
  if (p < 1e-6) qrec("qf", c(df1, df2), log(p), lo, TRUE,
                     quiet(qf(log(p), df1, df2, lower.tail = lo, log.p = TRUE)),
                     cdf, dens)
}
con <- file(out, "w")
writeLines(c(
  "# R's pt, pf, qt, qf: written by scripts/ref_distributions.R (see there)",
  paste0("# ", R.version.string),
  "# pt x df lower log value cond       value = pt(x, df, lower.tail = lower, log.p = log)",
  "# pf x df1 df2 lower log value cond  value = pf(x, df1, df2, lower.tail = lower, log.p = log)",
  "# qt p df lower log value cond       value = qt(p, df, lower.tail = lower, log.p = log)",
  "# qf p df1 df2 lower log value cond  value = qf(p, df1, df2, lower.tail = lower, log.p = log)",
  "# lower, log: 0 or 1; with log = 1, p is log(probability); 17 significant digits",
  "# cond: relative condition number of value in its first argument (see the script)",
  paste("# records left out because R warned:", dropped),
  paste("# quantile records left out because p(q) missed p:", roundtrip)), con)
writeLines(recs, con)
close(con)
cat(length(recs), "records,", dropped, "dropped on warnings,", roundtrip,
    "quantiles failing the round trip\n")
