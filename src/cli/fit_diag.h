/* SPDX-License-Identifier: BSD-3-Clause */
/* The diagnostics pass of `matgrad fit`: once the coefficients are final,
 * one more reading of the rows computes for each row of nonzero weight its
 * residual sqrt(w) e (the residual quantiles of the summary, R's weighted
 * residuals), and with plots its fitted value and leverage
 * h = w z^T C z (from mg_predict with sigma = 1: se_fit^2 = z^T C z), and
 * feeds the rows to a robust-covariance state (mg_hc_accumulate) when
 * --robust asks for one.  Every number comes from the library. */
#ifndef MATGRAD_CLI_FIT_DIAG_H
#define MATGRAD_CLI_FIT_DIAG_H

#include "fit_data.h"

#include <matgrad.h>

typedef struct mgcli_diag_acc {
    mg_model model;       /* coef, cov_unscaled of the fit; sigma = 1 */
    mg_matrix B, C;       /* the views model points to (the struct is not copied) */
    double one;
    mg_hc *hc;            /* NULL: no robust covariance */
    int keep_plot;        /* keep fitted values and leverages too */
    size_t n, cap;
    size_t n_zero;        /* rows of zero weight seen */
    double *resid, *fitted, *hat;
    double *fit_blk, *se_blk;   /* one block's scratch */
    size_t blk_cap;
    mg_status status;     /* the library's failure, or MG_OK */
} mgcli_diag_acc;

/* A pass for the model of r (beta with NaN where aliased, cov); hc_type < 0:
 * no robust covariance.  0, or -1 when out of memory (a->status set). */
int mgcli_diag_init(mgcli_diag_acc *a, const mgcli_fit_result *r, size_t p, int intercept,
                    int hc_type, int keep_plot);
/* One block of d's rows (d->nb of them).  0, or -1 with *err. */
int mgcli_diag_block(mgcli_diag_acc *a, const mgcli_fit_data *d, mgcli_csv_error *err);
/* Hands the residual arrays to r (r owns them after), the quantiles and,
 * with --robust, V into r->vcov.  0, or -1 with a->status set. */
int mgcli_diag_finish(mgcli_diag_acc *a, mgcli_fit_result *r);
void mgcli_diag_free(mgcli_diag_acc *a);

#endif
