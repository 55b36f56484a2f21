/* SPDX-License-Identifier: BSD-3-Clause */
/* `matgrad fit`: options, the rows as they stream in, and the fitted model. */
#ifndef MATGRAD_CLI_FIT_DATA_H
#define MATGRAD_CLI_FIT_DATA_H

#include "csv_load.h"
#include "factor.h"

#include <stddef.h>

typedef enum mgcli_method { MGCLI_AUTO, MGCLI_NORMAL, MGCLI_QR, MGCLI_GD } mgcli_method;

typedef struct mgcli_fit_options {
    const char *file, *target, *weights, *plot, *output;
    const char *factors;   /* --factor: comma-separated column names, or NULL */
    const char *save;      /* --save MODEL, or NULL */
    double level;          /* --conf-level (default 0.95) */
    int robust;            /* --robust: 0..3 for HC0..HC3, -1 for none */
    int vcov;              /* --vcov: print the coefficient covariance matrix */
    char sep;              /* --sep: ',', ';', '\t', or 0 for auto */
    int na_fail;           /* --na-action fail */
    int intercept;
    mgcli_method method;
    double lr, ridge;
    size_t epochs;
} mgcli_fit_options;

typedef struct mgcli_fit_data mgcli_fit_data;

/* Called with each full block of rows (and by the caller for the last,
 * partial one): 0 to go on, or nonzero after mgcli_csv_fail* on err. */
typedef int (*mgcli_block_fn)(void *ctx, mgcli_fit_data *d, mgcli_csv_error *err);

/* The CSV's rows split into the predictors x, the target y and the
 * optional weight w (finite, >= 0: a negative weight is a data error on
 * its line).  Two ways to hold them:
 *   in memory (block == 0): X (n x lead+p, row-major, stride lead + p) and
 *     y grow with the file; with lead = 1, column 0 of X is an explicit
 *     column of ones (gradient descent fits the intercept as an ordinary
 *     weight);
 *   in blocks (mgcli_fit_data_blocks): X (block x p), y and w hold at most
 *     `block` rows; each full block goes to on_block and is then reused,
 *     so memory does not grow with the file.
 * `replay` marks a second reading of the same file (refinement): the
 * header must name the same columns in the same places, and nothing is
 * allocated again.
 *
 * Missing cells (NaN from the loader): a row with one is dropped and
 * counted in `deleted` (R's na.omit), or is an error with na_fail.
 *
 * Factors.  A predictor column read as text (the loader's rule, or
 * --factor) makes d `held`: the kept rows are stored in H, ncols values
 * each (a factor's cell as the index of its level), since the design's
 * width is known only when every level is.  mgcli_fit_data_design then
 * orders the levels and fixes the design: p columns, a factor of L levels
 * giving L - 1 treatment-coded dummies named <column><level> in its place
 * (R's contr.treatment, the first level the baseline), except the first
 * factor of a model without intercept, which gets all L (R's rule: a
 * factor whose lower-order term, here the intercept, is absent is coded
 * by indicators of every level); in memory mode it
 * fills X, y, w from H, in block mode mgcli_fit_data_held_blocks hands
 * the rows to on_block as the streaming read would. */
struct mgcli_fit_data {
    const char *target, *weights;
    size_t lead;
    size_t target_col;   /* the target's column in the CSV */
    size_t weight_col;   /* the weights' column, if weights */
    size_t ncols;        /* columns in the CSV */
    size_t p;            /* predictors: every other CSV column */
    char **names;        /* the p predictor names */
    double *X, *y, *w;
    size_t stride, n, cap;
    size_t nb;           /* block mode: rows waiting in X, y, w */
    size_t block;        /* block mode: capacity in rows; 0: in memory */
    mgcli_block_fn on_block;
    void *block_ctx;
    int replay;
    int na_fail;         /* a missing value is an error */
    const char *factors; /* --factor's list */
    size_t deleted;      /* rows dropped for a missing value */
    char **colnames;     /* the ncols names of the CSV (for messages) */
    int borrowed;        /* colnames belong to another mgcli_fit_data */
    char note[224];      /* the loader's note on renamed columns, or "" */
    int held;            /* factor mode (above) */
    int no_intercept;    /* the model has none: its first factor is coded in full */
    size_t full_col;     /* that factor's column (mgcli_fit_data_design) */
    mgcli_levels **lev;  /* ncols: a factor column's levels, else NULL */
    unsigned char *by_value;   /* ncols: --factor (levels sorted by value) */
    size_t *nlev;        /* ncols: levels used (after mgcli_fit_data_design) */
    double *H;           /* held rows, ncols values each */
    size_t hcap;
};

void mgcli_fit_data_init(mgcli_fit_data *d, const char *target, int explicit_intercept);
/* Block mode with room for `block` rows (allocated once the header gives
 * the width), handing each full block to fn. */
void mgcli_fit_data_blocks(mgcli_fit_data *d, size_t block, mgcli_block_fn fn, void *ctx);
/* w: a block-mode twin of d (after d read the header) for one reader
 * thread: d's columns, a row block of its own handed to fn, no names. */
int mgcli_fit_data_worker(mgcli_fit_data *w, const mgcli_fit_data *d, mgcli_block_fn fn,
                          void *ctx, mgcli_csv_error *err);
/* A CSV sink that fills d (finds the target and weight columns in the
 * header). */
mgcli_csv_sink mgcli_fit_data_sink(mgcli_fit_data *d);
/* Held rows: the design fixed (see above); nothing to do when not held.
 * 0, or -1 with *err (no line: a factor of one level, too wide a design,
 * out of memory). */
int mgcli_fit_data_design(mgcli_fit_data *d, mgcli_csv_error *err);
/* The same whatever d->n (an MPI rank may hold no rows; fit_mpi.c): the
 * levels in d->lev as they are (agreed among the ranks), some used. */
int mgcli_fit_data_design_all(mgcli_fit_data *d, mgcli_csv_error *err);
/* Held rows, block by block, to on_block (the last, partial one too). */
int mgcli_fit_data_held_blocks(mgcli_fit_data *d, mgcli_csv_error *err);
void mgcli_fit_data_free(mgcli_fit_data *d);
/* 1 if CSV column j is a predictor (neither the target nor the weights). */
int mgcli_fit_data_is_predictor(const mgcli_fit_data *d, size_t j);

typedef struct mgcli_fit_result {
    size_t q;                 /* coefficients: intercept (if any) then the p predictors */
    double *beta, *se;        /* q each; se is NaN where not available */
    double residual_sd, r_squared, adj_r_squared;   /* NaN where not defined */
    double rcond;             /* reciprocal condition estimate; NaN if not available */
    size_t rank, df;
    size_t nonzero;           /* rows with a nonzero weight (all rows without weights) */
    size_t n_deleted;         /* rows dropped for a missing value (R's na.omit) */
    int have_rank;
    int least_squares;        /* the estimates minimise the (weighted) RSS: the F test applies */
    const char *method;       /* what actually ran, for the report */
    char method_buf[160];
    const char *note;         /* one line for the report (refinement), or NULL */
    double *losses;           /* gradient descent: loss after each epoch (epochs_run + 1) */
    size_t epochs_run;
    double gd_optimum;        /* gradient descent: the least-squares loss of the same
                                 rows (the value its loss should reach), or NaN */
    /* Inference (least-squares fits: mg_fit_infer, mg_coef_tests); q each
     * unless said otherwise.  se above holds the standard errors of `vcov`. */
    int have_infer;
    double *t, *p, *lo, *hi;  /* t value, Pr(>|t|), confidence interval */
    unsigned char *aliased;
    double *cov;              /* q x q: (Z^T W Z)^-1 (NaN rows/columns where aliased) */
    double *vcov;             /* q x q: the covariance behind se, t, p (classical
                                 sigma^2 cov, or the robust one) */
    const char *robust;       /* "HC0".."HC3" when vcov is robust, else NULL */
    double level;             /* of lo, hi */
    size_t n_aliased, df_model;
    int about_mean, perfect_fit;
    double f, f_p, loglik, aic, bic;
    /* Residuals (the diagnostics pass over the rows of nonzero weight, or
     * NULL when the input cannot be read again): sqrt(w) e, fitted values
     * and with plots leverages, of every row or (plots of many rows) of
     * every k-th (fit_diag.h). */
    double *resid, *fitted, *hat;
    size_t *row;              /* the kept rows' positions among the rows fitted */
    size_t n_resid;
    int resid_all;            /* resid holds every residual (not a sample) */
    int have_quantiles;
    double quantiles[5];
} mgcli_fit_result;

/* Gradient descent on the rows in memory (fit_solve.c). */
int mgcli_fit_run(const mgcli_fit_options *o, mgcli_fit_data *d, mgcli_fit_result *r);
/* The other methods streamed through the fit engine (fit_engine.c): reads
 * o->file itself, once or (auto on a regular file) again to refine.  d is
 * initialised by the caller, filled with the header's names and the row
 * count.  Prints the reason and returns an exit status on failure. */
int mgcli_fit_stream(const mgcli_fit_options *o, mgcli_fit_data *d, mgcli_fit_result *r);
/* Input helpers (fit.c): the file's name for messages ("(stdin)" for
 * "-"); the file opened for reading (NULL after printing why, *rc set);
 * the message and exit status of a failed load. */
const char *mgcli_fit_shown(const char *file);
FILE *mgcli_fit_open(const char *file, int *rc);
int mgcli_fit_load_failed(const char *shown, const mgcli_csv_error *err);
/* The message and exit status when every row had a missing value. */
int mgcli_fit_no_rows(const mgcli_fit_options *o, const mgcli_fit_data *d);
int mgcli_fit_result_alloc(mgcli_fit_result *r, size_t q);
void mgcli_fit_result_free(mgcli_fit_result *r);

#endif
