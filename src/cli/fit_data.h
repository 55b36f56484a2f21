/* SPDX-License-Identifier: BSD-3-Clause */
/* `matgrad fit`: options, the loaded data and the fitted model. */
#ifndef MATGRAD_CLI_FIT_DATA_H
#define MATGRAD_CLI_FIT_DATA_H

#include "csv_load.h"

#include <stddef.h>

typedef enum mgcli_method { MGCLI_AUTO, MGCLI_NORMAL, MGCLI_QR, MGCLI_GD } mgcli_method;

typedef struct mgcli_fit_options {
    const char *file, *target, *plot, *output;
    int intercept;
    mgcli_method method;
    double lr, ridge;
    size_t epochs;
} mgcli_fit_options;

/* The design matrix X (n x lead+p, row-major, stride lead + p) and the target
 * y, filled row by row as the CSV streams in.  With lead = 1, column 0 of X
 * is an explicit column of ones (gradient descent fits the intercept as an
 * ordinary weight). */
typedef struct mgcli_fit_data {
    const char *target;
    size_t lead;
    size_t target_col;   /* the target's column in the CSV */
    size_t p;            /* predictors: every other CSV column */
    char **names;        /* the p predictor names */
    double *X, *y;
    size_t stride, n, cap;
    struct mgcli_moments *mom;   /* --method normal: streamed cross products instead of X */
} mgcli_fit_data;

typedef struct mgcli_fit_result {
    size_t q;                 /* coefficients: intercept (if any) then the p predictors */
    double *beta, *se;        /* q each; se is NaN where not available */
    double residual_sd, r_squared;
    double rcond;             /* reciprocal condition estimate; NaN if not available */
    size_t rank, df;
    int have_rank;
    const char *method;       /* what actually ran, for the report */
    double *losses;           /* gradient descent: loss after each epoch (epochs_run + 1) */
    size_t epochs_run;
} mgcli_fit_result;

void mgcli_fit_data_init(mgcli_fit_data *d, const char *target, int explicit_intercept);
/* A CSV sink that fills d (finds the target column in the header). */
mgcli_csv_sink mgcli_fit_data_sink(mgcli_fit_data *d);
void mgcli_fit_data_free(mgcli_fit_data *d);

/* --method normal: a sink that folds each row into running means and
 * centred cross products (fit_moments.c) instead of storing it, and the
 * solve from them.  mgcli_moments_free releases d->mom. */
mgcli_csv_sink mgcli_fit_moments_sink(mgcli_fit_data *d);
int mgcli_fit_moments_solve(const mgcli_fit_options *o, mgcli_fit_data *d, mgcli_fit_result *r);
void mgcli_moments_free(struct mgcli_moments *m);

/* Fits; prints the reason and returns an exit status on failure. */
int mgcli_fit_run(const mgcli_fit_options *o, mgcli_fit_data *d, mgcli_fit_result *r);
void mgcli_fit_result_free(mgcli_fit_result *r);

#endif
