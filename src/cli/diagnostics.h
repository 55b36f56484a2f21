/* SPDX-License-Identifier: BSD-3-Clause */
/* R's four regression diagnostic plots (plot.lm, which = 1:3, 5) from the
 * fitted values, the (weighted) residuals and the leverages of a fit:
 *   1. residuals vs fitted, with a LOWESS trend;
 *   2. normal Q-Q of the standardized residuals, with the line through the
 *      quartiles;
 *   3. scale-location: sqrt(|standardized residuals|) vs fitted, with trend;
 *   4. standardized residuals vs leverage, with trend and Cook's distance
 *      contours 0.5 and 1.
 * Standardized residual r_i = e_i sqrt(w_i) / (sigma sqrt(1 - h_i));
 * Cook's distance D_i = r_i^2 h_i / (rank (1 - h_i)) (R's rstandard,
 * cooks.distance).  Rows of leverage 1 have neither (R drops them). */
#ifndef MATGRAD_CLI_DIAGNOSTICS_H
#define MATGRAD_CLI_DIAGNOSTICS_H

#include <stddef.h>

struct mgcli_outfile;

typedef struct mgcli_diag {
    size_t n;               /* rows with nonzero weight */
    const double *fitted;   /* n fitted values */
    const double *resid;    /* n residuals, sqrt(w_i) e_i for a weighted fit */
    const double *hat;      /* n leverages h_i */
    double sigma;           /* residual standard error */
    size_t rank;
    const char *title;      /* the model, shown above the panels */
    const size_t *row;      /* n labels for the points (their rows), or NULL: 1..n */
} mgcli_diag;

/* Standardized residuals and Cook's distances (NaN where h_i >= 1 or
 * sigma = 0) into r and cook (n each). */
void mgcli_diag_standardize(const mgcli_diag *d, double *r, double *cook);

/* The four panels as one PNG (2 x 2) into out (prepared by
 * mgcli_plot_open); the return values of mgcli_plot_png. */
int mgcli_plot_diagnostics(struct mgcli_outfile *out, const mgcli_diag *d);

#endif
