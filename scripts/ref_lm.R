# SPDX-License-Identifier: BSD-3-Clause
# Reference values of R's lm() inference for the `matgrad fit` command and
# the library's regression statistics (p-values, confidence intervals, F,
# logLik/AIC/BIC, vcov, HC0-HC3, aliased coefficients, predict intervals,
# diagnostics).  Run from the repository root:
#   Rscript scripts/ref_lm.R
# Needs R (Debian's r-base-core) and the sandwich package (r-cran-sandwich);
# CI does not: the output is committed.  Deterministic (no random numbers):
# rerunning it with the same R rewrites identical files.
#
# Writes, for each case below, into tests/data/r/lm/ (the record format is
# described in tests/data/r/lm/README.md):
#   <case>.csv             the data as `matgrad fit` reads it: R's write.csv
#                          (row-names column, NA cells, factors as text);
#                          write.table(sep = ";") / (sep = "\t") for the
#                          separator cases, with write.csv's header layout
#   <case>_design.csv      the model matrix R used (rows after na.omit,
#                          without "(Intercept)"), the response, then the
#                          weights `w` if weighted; %.17g, no row names
#   <case>_new.csv         newdata rows as the command reads them (cases
#                          with predictions), and <case>_new_design.csv
#                          their model-matrix rows
#   <case>_ref.txt         the reference records
# Every fit is made on the data read back from <case>.csv, after checking
# that the read-back values are identical to the values written, so the
# references describe exactly the numbers in the committed CSV.
suppressPackageStartupMessages(library(sandwich))

outdir <- "tests/data/r/lm"
dir.create(outdir, recursive = TRUE, showWarnings = FALSE)

# %.17g round-trips every double; R's NA/NaN/Inf print as NA, NaN, Inf, -Inf.
fmt <- function(v) {
  v <- as.numeric(v)
  s <- sprintf("%.17g", v)
  s[is.na(v) & !is.nan(v)] <- "NA"
  s
}

# ---------------------------------------------------------------- CSV files

write_data <- function(df, file, sep) {
  if (sep == ",") {
    write.csv(df, file)
  } else {
    # col.names = NA: the header starts with "" above the row names, as
    # write.csv writes it; only the separator differs.
    write.table(df, file, sep = sep, dec = ".", col.names = NA)
  }
}

read_data <- function(file, sep) {
  read.table(file, header = TRUE, sep = sep, dec = ".", row.names = 1,
             stringsAsFactors = TRUE, check.names = FALSE)
}

# Writes df and reads it back; stops unless every value survives exactly
# (write.csv prints 15 significant digits: data with more would be
# silently rounded, and the reference would not describe the file).
roundtrip <- function(df, file, sep) {
  write_data(df, file, sep)
  back <- read_data(file, sep)
  stopifnot(identical(names(back), names(df)), nrow(back) == nrow(df))
  for (j in names(df)) {
    a <- df[[j]]
    b <- back[[j]]
    if (is.factor(a)) {
      ok <- identical(as.character(a), as.character(b))
    } else {
      ok <- identical(is.na(a), is.na(b)) &&
        identical(as.numeric(a[!is.na(a)]), as.numeric(b[!is.na(b)]))
    }
    if (!ok) stop(sprintf("%s: column %s does not round-trip", file, j))
  }
  back
}

write_numeric <- function(m, file) {
  m <- as.matrix(m)
  stopifnot(is.numeric(m), !anyNA(m), !grepl("[,[:space:]\"]", colnames(m)))
  lines <- paste(colnames(m), collapse = ",")
  if (nrow(m) > 0)
    lines <- c(lines, apply(m, 1, function(r) paste(fmt(r), collapse = ",")))
  writeLines(lines, file)
}

# Model matrix without the intercept column (the command adds it itself).
drop_intercept <- function(mm) {
  keep <- colnames(mm) != "(Intercept)"
  mm[, keep, drop = FALSE]
}

# --------------------------------------------------------------- references

# Runs expr, collecting the text of every warning (muffled, deduplicated).
collect_warnings <- function(expr) {
  w <- character(0)
  val <- withCallingHandlers(expr, warning = function(cond) {
    w <<- c(w, gsub("[[:space:]]+", " ", conditionMessage(cond)))
    invokeRestart("muffleWarning")
  })
  list(value = val, warnings = unique(w))
}

check_names <- function(nm) {
  if (any(grepl("[[:space:]]", nm))) stop("a name contains white space")
  nm
}

matrix_records <- function(tag, m) {
  nm <- check_names(rownames(m))
  out <- character(0)
  for (i in seq_along(nm))
    for (j in seq_along(nm))
      out <- c(out, paste(tag, nm[i], nm[j], fmt(m[i, j])))
  out
}

# Everything R reports about one fit, as record lines.  `hc_fit` is the fit
# sandwich::vcovHC is applied to (the same fit unless zero weights; see the
# cars_weighted_zero case).  `notes` are extra comment lines.
fit_records <- function(fit, call_text, newdata = NULL, hc_fit = fit, notes = character(0)) {
  s <- summary(fit)
  cf <- coef(fit)
  nm <- check_names(names(cf))
  aliased <- is.na(cf)
  mf <- model.frame(fit)
  w <- model.weights(mf)
  n <- nrow(mf)
  deleted <- if (is.null(fit$na.action)) 0L else length(fit$na.action)
  r <- c(
    paste("#", R.version.string, "( sandwich", as.character(packageVersion("sandwich")), ")"),
    paste("# call:", call_text),
    paste("# formula:", gsub("[[:space:]]+", " ", paste(deparse(formula(fit)), collapse = " "))),
    if (length(notes)) paste("#", notes),
    paste("intercept", attr(terms(fit), "intercept")),
    paste("n", n),
    paste("nobs", nobs(fit)),
    paste("deleted", deleted),
    paste("rank", fit$rank),
    paste("df_residual", fit$df.residual),
    paste("sigma", fmt(s$sigma)),
    paste("r_squared", fmt(s$r.squared)),
    paste("adj_r_squared", fmt(s$adj.r.squared)))
  if (!is.null(s$fstatistic)) {
    fs <- s$fstatistic
    r <- c(r, paste("fstatistic", fmt(fs[1]), fmt(fs[2]), fmt(fs[3])),
           paste("f_pvalue", fmt(pf(fs[1], fs[2], fs[3], lower.tail = FALSE))))
  }
  ll <- logLik(fit)
  r <- c(r, paste("loglik", fmt(ll), fmt(attr(ll, "df"))),
         paste("aic", fmt(AIC(fit))), paste("bic", fmt(BIC(fit))),
         paste("resid_quantiles", paste(fmt(quantile(s$residuals, names = FALSE)), collapse = " ")))
  tab <- coef(s)
  for (k in seq_along(nm)) {
    v <- if (aliased[k]) rep(NA_real_, 4) else tab[nm[k], 1:4]
    r <- c(r, paste("coef", nm[k], paste(fmt(v), collapse = " ")))
  }
  r <- c(r, paste("aliased", nm, as.integer(aliased)))
  for (lev in c(0.95, 0.99)) {
    ci <- confint(fit, level = lev)
    r <- c(r, paste("confint", format(lev), nm, fmt(ci[nm, 1]), fmt(ci[nm, 2])))
  }
  r <- c(r, matrix_records("vcov", vcov(fit, complete = FALSE)),
         matrix_records("cov_unscaled", s$cov.unscaled))
  for (type in c("HC0", "HC1", "HC2", "HC3"))
    r <- c(r, matrix_records(paste("hc", type), vcovHC(hc_fit, type = type)))
  if (!is.null(newdata)) {
    pc <- predict(fit, newdata, se.fit = TRUE, interval = "confidence", level = 0.95)
    pp <- predict(fit, newdata, se.fit = TRUE, interval = "prediction", level = 0.95)
    for (i in seq_len(nrow(newdata)))
      r <- c(r, paste("predict", i, fmt(pc$fit[i, "fit"]), fmt(pc$se.fit[i]),
                      fmt(pc$fit[i, "lwr"]), fmt(pc$fit[i, "upr"]),
                      fmt(pp$fit[i, "lwr"]), fmt(pp$fit[i, "upr"])))
  }
  # Diagnostics by row of the design (1-based, the rows kept after
  # na.omit).  R drops zero-weight rows from hatvalues and cooks.distance:
  # those rows get NA.
  rows <- rownames(mf)
  by_row <- function(v) {
    out <- rep(NA_real_, n)
    out[match(names(v), rows)] <- v
    stopifnot(!anyNA(match(names(v), rows)))
    out
  }
  h <- by_row(hatvalues(fit))
  cd <- by_row(cooks.distance(fit))
  e <- by_row(residuals(fit))
  f <- by_row(fitted(fit))
  r <- c(r, paste("hat", seq_len(n), fmt(h)), paste("cooks", seq_len(n), fmt(cd)),
         paste("resid", seq_len(n), fmt(e)), paste("fitted", seq_len(n), fmt(f)))
  r
}

# The model matrix R used, the response and the weights, as one numeric table.
design_table <- function(fit) {
  mf <- model.frame(fit)
  d <- as.data.frame(drop_intercept(model.matrix(fit)), check.names = FALSE)
  d[[names(mf)[1]]] <- model.response(mf)
  w <- model.weights(mf)
  if (!is.null(w)) d$w <- w
  d
}

new_design <- function(fit, nd) {
  tt <- delete.response(terms(fit))
  mf <- model.frame(tt, nd, xlev = fit$xlevels)
  drop_intercept(model.matrix(tt, mf, contrasts.arg = fit$contrasts))
}

# One case: writes <name>.csv (and _new.csv), fits `call_text` on the data
# read back (bound to `d`), writes _design.csv, _new_design.csv, _ref.txt.
run_case <- function(name, df, call_text, newdata = NULL, sep = ",",
                     notes = character(0), hc_call = NULL) {
  path <- function(suffix) file.path(outdir, paste0(name, suffix))
  d <- roundtrip(df, path(".csv"), sep)
  nd <- NULL
  if (!is.null(newdata)) nd <- roundtrip(newdata, path("_new.csv"), ",")
  res <- collect_warnings({
    fit <- eval(parse(text = call_text))
    hc_fit <- if (is.null(hc_call)) fit else eval(parse(text = hc_call))
    fit_records(fit, call_text, nd, hc_fit, notes)
  })
  lines <- c(res$value, if (length(res$warnings)) paste("warning", res$warnings))
  writeLines(lines, path("_ref.txt"))
  fit <- eval(parse(text = call_text))
  write_numeric(design_table(fit), path("_design.csv"))
  if (!is.null(nd)) write_numeric(new_design(fit, nd), path("_new_design.csv"))
  invisible(fit)
}

# -------------------------------------------------------------------- cases

# 1. mtcars, all columns; newdata: three cars with changed values.
nd <- mtcars[c("Mazda RX4", "Cadillac Fleetwood", "Volvo 142E"), -1]
nd$wt <- nd$wt + c(0.25, -0.5, 0.125)
nd$hp <- nd$hp + c(20, -35, 7)
nd$qsec <- nd$qsec - c(0.5, 1.25, -0.75)
nd$am <- c(0, 1, 0)
rownames(nd) <- c("Mazda RX4 mod", "Cadillac Fleetwood mod", "Volvo 142E mod")
run_case("mtcars", mtcars, "lm(mpg ~ ., data = d)", newdata = nd)

# 2. airquality: rows with NA in any column are deleted (na.omit).
run_case("airquality", airquality, "lm(Ozone ~ ., data = d)")

# 3. iris: factor Species, treatment-coded (setosa the baseline).
nd <- data.frame(Sepal.Width = c(3.4, 2.8, 3.0), Petal.Length = c(1.5, 4.3, 5.6),
                 Petal.Width = c(0.25, 1.3, 2.1),
                 Species = factor(c("setosa", "versicolor", "virginica")))
run_case("iris", iris, "lm(Sepal.Length ~ ., data = d)", newdata = nd)

# 4. weighted fits.  Weights 100 / disp rounded to 4 decimals (positive,
# irregular, exact in the CSV).
mw <- mtcars[, c("mpg", "wt", "hp", "qsec")]
mw$w <- round(100 / mtcars$disp, 4)
run_case("mtcars_weighted", mw, "lm(mpg ~ wt + hp + qsec, data = d, weights = w)")

# Zero weights: R leaves those rows out of nobs, df_residual, logLik and the
# hat values.  sandwich::vcovHC on such a fit is wrong (it counts the
# zero-weight rows in n, scaling HC0 by (nobs/n)^2, and pairs the shorter
# hatvalues() vector with the rows by recycling, with a warning), so the hc
# records come from the same fit without the zero-weight rows, which is the
# weighted least-squares sandwich of the rows that count.
cw <- cars
i <- seq_len(nrow(cw))
cw$w <- 1 + ((i * 7) %% 5) / 4
cw$w[c(3, 17, 40)] <- 0
run_case("cars_weighted_zero", cw, "lm(dist ~ speed, data = d, weights = w)",
         hc_call = "lm(dist ~ speed, data = d[d$w != 0, ], weights = w)",
         notes = c("hc records: sandwich::vcovHC of the fit on the rows with w != 0",
                   "(vcovHC of the full fit counts zero-weight rows in n and recycles hatvalues)"))

# 5. swiss with a duplicate column and an exact linear combination (integer
# columns, so the dependence is exact in binary): R pivots them out and
# reports NA.  Placed in the middle of the columns, not at the end.  Two
# newdata rows: one satisfying the dependence, one breaking it (R predicts
# with the aliased coefficients taken as 0 and warns).
sw <- swiss[, c("Fertility", "Agriculture", "Examination", "Education")]
sw$Educ2 <- swiss$Education
sw$Combo <- swiss$Examination + 2 * swiss$Education
sw$Catholic <- swiss$Catholic
sw$Infant.Mortality <- swiss$Infant.Mortality
nd <- data.frame(Agriculture = c(50.5, 20), Examination = c(15, 30), Education = c(10, 5),
                 Educ2 = c(10, 8), Combo = c(35, 40), Catholic = c(40.25, 90),
                 Infant.Mortality = c(20.2, 18), row.names = c("consistent", "inconsistent"))
run_case("swiss_aliased", sw, "lm(Fertility ~ ., data = d)", newdata = nd)

# 6. no intercept: R^2 and F about zero.
run_case("trees_noint", trees, "lm(Volume ~ 0 + Girth + Height, data = d)")

# 7. a column of ones without an intercept: R treats it as an ordinary
# column (R^2 and F about zero); matgrad's convention treats it as the
# intercept, which is R's lm(Volume ~ Girth + Height) on the same data
# (trees_ones_mean_ref.txt, design trees_ones_mean_design.csv).
to <- trees
to$one <- 1
run_case("trees_ones", to, "lm(Volume ~ 0 + ., data = d)")
run_case("trees_ones_mean", to, "lm(Volume ~ Girth + Height, data = d)",
         notes = "data: trees_ones.csv (the same rows as trees_ones; this case writes its own copy)")

# 8. degenerate fits: a constant response and an exact line.
run_case("constant_target", data.frame(x = c(1, 2, 3, 5, 8, 13, 21, 34), y = 3.7),
         "lm(y ~ x, data = d)")
run_case("perfect_fit", data.frame(x = c(3, -1, 4, 1, 5, 9, 2, 6, 0, 7), y = 2 + 3 * c(3, -1, 4, 1, 5, 9, 2, 6, 0, 7)),
         "lm(y ~ x, data = d)")

# 9. the docs session example.
run_case("cars", cars, "lm(dist ~ speed, data = d)",
         newdata = data.frame(speed = c(5, 21, 30)))

# 10. separators.
run_case("stackloss_semicolon", stackloss, "lm(stack.loss ~ ., data = d)", sep = ";")
run_case("rock_tab", rock, "lm(perm ~ ., data = d)", sep = "\t")

# 11. ill-conditioned.
run_case("longley", longley, "lm(Employed ~ ., data = d)")
