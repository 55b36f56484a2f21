/* SPDX-License-Identifier: BSD-3-Clause */
/* The diagnostics pass of `matgrad fit`: once the coefficients are final,
 * one more reading of the rows computes each row's residual sqrt(w) e (R's
 * weighted residuals; a zero-weight row counts as 0 in R's quartiles), and
 * with plots the fitted value and leverage h = w z^T C z (from mg_predict
 * with sigma = 1: se_fit^2 = z^T C z), and feeds the rows to a robust
 * covariance state (mg_hc_accumulate) when --robust asks for one.  Every
 * number comes from the library.
 *
 * Memory stays bounded whatever the row count: the residual quartiles are
 * exact order statistics found by quantiles.c (all residuals held only up
 * to MGCLI_QSEL_KEEP rows; beyond, usually one more pass of residuals
 * only), and the plots keep at most MGCLI_DIAG_PLOT_MAX rows (every k-th
 * row of nonzero weight, k fixed by the count). */
#ifndef MATGRAD_CLI_FIT_DIAG_H
#define MATGRAD_CLI_FIT_DIAG_H

#include "fit_data.h"
#include "quantiles.h"

#include <matgrad.h>

#define MGCLI_DIAG_PLOT_MAX ((size_t)1 << 16)

typedef struct mgcli_diag_acc {
    mg_model model;       /* coef, cov_unscaled of the fit; sigma = 1 */
    mg_matrix B, C;       /* the views model points to (the struct is not copied) */
    double one;
    mg_hc *hc;            /* NULL: no robust covariance */
    int hc_type;          /* its mg_hc_type */
    mgcli_qsel *qsel;     /* the residual quartiles */
    int resid_only;       /* a later pass: residuals for the quartiles only */
    int split;            /* rows went to children (parallel reader): none kept here */
    int keep_plot;
    size_t stride;        /* plots: every stride-th row of nonzero weight */
    size_t seen;          /* rows of nonzero weight seen in the first pass */
    size_t n, cap;        /* rows kept for the plots / the small-df listing */
    double *resid, *fitted, *hat;
    size_t *row;          /* kept rows' positions among the rows of nonzero weight */
    double *fit_blk, *se_blk, *q_blk;   /* one block's scratch */
    size_t blk_cap;
    mg_status status;     /* the library's failure, or MG_OK */
} mgcli_diag_acc;

/* A pass over rows rows (nonzero of nonzero weight) for the model of r
 * (beta with NaN where aliased, cov); hc_type < 0: no robust covariance.
 * 0, or -1 (a->status set). */
int mgcli_diag_init(mgcli_diag_acc *a, const mgcli_fit_result *r, size_t p, int intercept,
                    int hc_type, int keep_plot, size_t rows, size_t nonzero);
/* One block of d's rows (d->nb of them).  0, or -1 with *err. */
int mgcli_diag_block(mgcli_diag_acc *a, const mgcli_fit_data *d, mgcli_csv_error *err);
/* Ends a pass: 0 when done, 1 when the quartiles need another pass of the
 * same rows (then a->resid_only is set), -1 (a->status set). */
int mgcli_diag_end_pass(mgcli_diag_acc *a);
/* The quartiles, the kept residuals (r owns them after) and, with --robust,
 * V into r->vcov.  0, or -1 with a->status set. */
int mgcli_diag_finish(mgcli_diag_acc *a, mgcli_fit_result *r);
void mgcli_diag_free(mgcli_diag_acc *a);

/* The parallel reader (fit_chunks.c): 1 when a pass can be split among
 * threads with an exact, split-independent result (no --robust, no plot);
 * a child accumulator for one thread's ranges, merged into its parent
 * range by range in file order (and emptied). */
int mgcli_diag_parallel(const mgcli_diag_acc *a);
int mgcli_diag_child(mgcli_diag_acc *child, const mgcli_diag_acc *parent);
int mgcli_diag_merge(mgcli_diag_acc *a, mgcli_diag_acc *child);

#ifdef MATGRAD_CLI_MPI
#include <mpi.h>
/* Collective (the command on MPI ranks, fit_mpi.c): every rank's pass of
 * its own rows made into the pass of all of them, the same on every rank:
 * the quartile counts or values (mgcli_qsel_allreduce), and in the first
 * pass the kept rows (residuals, fitted values, leverages, positions) in
 * rank order (the ranks hold the file's rows in order).  For one
 * process's choice of rows, each rank's first pass must begin with
 * a->seen = the rows of nonzero weight of the ranks before it.  0, or -1
 * on every rank with a->status set.  With --robust, the first pass's
 * robust covariance states merge up the MPI layer's tree (mg_hc_save /
 * mg_hc_load; in the tree's fixed order, so bitwise the same run to run
 * for a given rank count) and rank 0's sums go back to every rank: every
 * rank's mg_hc_finish is then the same, status and bits. */
int mgcli_diag_allreduce(mgcli_diag_acc *a, MPI_Comm comm);
#endif

#endif
