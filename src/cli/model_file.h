/* SPDX-License-Identifier: BSD-3-Clause */
/* The fitted-model file of `matgrad fit --save MODEL` and `matgrad predict
 * MODEL new.csv`: what prediction needs (the columns the CSV must have, the
 * levels of its factor columns, the coefficients, (Z^T W Z)^-1 of the
 * identified columns, sigma and the residual degrees of freedom), in a small
 * versioned text format (docs/cli.md, "Model files"):
 *
 *   matgrad-model 1
 *   target "mpg"
 *   weights "w"                      (only for a weighted fit)
 *   intercept 1
 *   df_residual 21
 *   sigma 2.6501970278655089
 *   columns 2
 *   numeric "wt"
 *   factor 3 "Species"               (then its levels, baseline first)
 *   level "setosa"
 *   ...
 *   coefficients 4
 *   coef 0 12.303374155996154 "(Intercept)"      (aliased flag, estimate, name)
 *   ...
 *   cov 0.5 0.1 ...                  (one line per coefficient: row of C)
 *   end
 *
 * Numbers are written with 17 significant digits (they read back to the
 * same doubles); NaN (aliased) as NaN.  Names are double-quoted with \" \\
 * \n \r \t escapes, so any CSV header round-trips.  The loader checks
 * everything (magic, version, counts, numbers, that the estimates and C are
 * finite where not aliased) and reports the line of the first problem. */
#ifndef MATGRAD_CLI_MODEL_FILE_H
#define MATGRAD_CLI_MODEL_FILE_H

#include <stddef.h>
#include <stdio.h>

#define MGCLI_MODEL_VERSION 1

typedef struct mgcli_model_column {
    char *name;
    size_t nlevels;      /* 0: numeric; else a factor with these levels */
    char **levels;
} mgcli_model_column;

typedef struct mgcli_model {
    char *target, *weights;          /* weights: NULL when unweighted */
    int intercept;
    size_t df_residual;
    double sigma;
    size_t ncols;                    /* predictor columns of the CSV */
    mgcli_model_column *cols;
    size_t m;                        /* coefficients (the intercept first) */
    char **names;
    double *coef;                    /* m; NaN where aliased */
    unsigned char *aliased;          /* m */
    double *cov;                     /* m x m, row-major; NaN rows/columns where aliased */
} mgcli_model;

/* Writes the model; 0, or -1 on a write error. */
int mgcli_model_write(FILE *out, const mgcli_model *m);

/* Reads a model file (the whole of f).  0, or -1 with a message "LINE: what"
 * in err (line 0 for an allocation failure or a read error). */
int mgcli_model_read(FILE *f, mgcli_model *m, char *err, size_t errlen);

/* Frees what mgcli_model_read allocated (a zeroed model is fine). */
void mgcli_model_free(mgcli_model *m);

#endif
