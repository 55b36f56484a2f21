# SPDX-License-Identifier: BSD-3-Clause
# R's printed summary(lm) for each case of tests/data/r/lm, so that the
# command's printout can be compared with R's character for character
# (tests/test_cli_summary.c).  Run from the repository root after
# scripts/ref_lm.R:
#   Rscript scripts/ref_lm_print.R
# Writes tests/data/r/lm/<case>_summary.txt: the lines of
# print(summary(fit)) from "Residuals:" to the F statistic (the Call line is
# the command's own), with ASCII quotes in the significance legend
# (options(useFancyQuotes = FALSE), R's output in the C locale).  Needs R
# (r-base-core); CI does not: the output is committed.
options(useFancyQuotes = FALSE)
outdir <- "tests/data/r/lm"
for (ref in sort(list.files(outdir, pattern = "_ref\\.txt$", full.names = TRUE))) {
  case <- sub("_ref\\.txt$", "", basename(ref))
  head <- readLines(ref, n = 3)
  call <- sub("^# call: ", "", grep("^# call: ", head, value = TRUE))
  sep <- if (grepl("semicolon", case)) ";" else if (grepl("_tab$", case)) "\t" else ","
  d <- read.csv(file.path(outdir, paste0(case, ".csv")), sep = sep, row.names = 1,
                stringsAsFactors = TRUE)
  fit <- suppressWarnings(eval(parse(text = call)))
  out <- suppressWarnings(capture.output(print(summary(fit))))
  first <- grep("Residuals:$", out)[1]
  last <- length(out)
  while (last > first && out[last] == "") last <- last - 1
  writeLines(out[first:last], file.path(outdir, paste0(case, "_summary.txt")))
}
