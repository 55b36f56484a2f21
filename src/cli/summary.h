/* SPDX-License-Identifier: BSD-3-Clause */
/* R's summary(lm) printout (print.summary.lm and printCoefmat, at R's
 * default 7 digits): the residual quantiles, the coefficient table with
 * Pr(>|t|) and significance codes, the residual standard error, R^2 and
 * the F test, digit for digit as R prints them for the same numbers.  The
 * printer only formats: every number comes from the library
 * (mg_fit_infer, mg_coef_tests). */
#ifndef MATGRAD_CLI_SUMMARY_H
#define MATGRAD_CLI_SUMMARY_H

#include <stddef.h>
#include <stdio.h>

typedef struct mgcli_summary {
    const char *call;               /* the line under "Call:" */
    size_t m;                       /* coefficients */
    const char *const *names;       /* m coefficient names */
    const double *coef;             /* m estimates; NaN prints NA (aliased) */
    const double *se, *t, *p;       /* m each, or all NULL: estimates only */
    const char *se_label;           /* NULL: "Std. Error" */
    size_t n_aliased;               /* "(K not defined because of singularities)" */
    /* Residuals: with df_residual > 5 their quantiles, else each residual. */
    int weighted;                   /* "Weighted Residuals:" (weights not all equal) */
    int have_quantiles;
    double quantiles[5];            /* min, 1Q, median, 3Q, max */
    const double *resid;            /* n_resid residuals for df_residual <= 5, or NULL */
    size_t n_resid;
    double sigma;                   /* residual standard error */
    size_t df_residual;
    size_t n_deleted;               /* rows dropped for missing values */
    int have_f;                     /* R prints R^2 and F only when the model has
                                       terms beyond the intercept */
    double r2, adj_r2, f, f_p;
    size_t df1, df2;
} mgcli_summary;

/* The summary as R prints it, from "Call:" to the F statistic line.  0, or
 * -1 when out of memory (nothing printed). */
int mgcli_summary_print(FILE *out, const mgcli_summary *s);

/* The coefficient estimates alone (fits without standard errors: gradient
 * descent, ridge): Call and the Estimate column.  0, or -1 when out of
 * memory. */
int mgcli_summary_print_estimates(FILE *out, const mgcli_summary *s);

/* An m x m matrix (row-major) as R prints a numeric matrix (each column at
 * 7 significant digits), rows and columns named.  0, or -1. */
int mgcli_summary_print_matrix(FILE *out, const char *const *names, size_t m, const double *v);

/* min, 1Q, median, 3Q, max of n values (type-7 quantiles, as R's
 * quantile(); unrounded: the printer applies print.summary.lm's zapsmall).
 * 0, or -1 when out of memory. */
int mgcli_summary_quantiles(const double *resid, size_t n, double q[5]);

#endif
