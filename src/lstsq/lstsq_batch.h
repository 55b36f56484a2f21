/* SPDX-License-Identifier: BSD-3-Clause */
/* Private: one fit of mg_lstsq_batch's parallel path (lstsq_batch_fit.c)
 * and the workspace each thread owns (lstsq_batch.c runs the fits). */
#ifndef MATGRAD_LSTSQ_BATCH_H
#define MATGRAD_LSTSQ_BATCH_H

#include "lstsq_internal.h"

/* Design columns beyond which the p^3 work of the exact condition number
 * is no longer small beside the fit (and fits are not "small"): those go
 * to mg_lstsq. */
enum { MG__BATCH_MAX_P = 64 };

/* Per-fit outcome before the serial pass. */
enum { MG__FIT_DONE = 0, MG__FIT_DEFER = 1 };

/* One thread's workspace, allocated once before the parallel region. */
typedef struct mg__batch_ws {
    size_t N, p, k;
    double *Z;          /* N x p column-major: R above the diagonal, the
                           Householder vectors below (unit first entry implied) */
    double *tau, *scale, *scale_lo, *Ri;
    double *x, *r, *w, *acc, *zero, *Bs, *sd, *r2, *ar2, *se, *res;
    double *loop;       /* the refinement loop's scratch (MG__REFINE_OPS_SCRATCH) */
    double rcond;       /* the last fit's: exact 1-norm rcond of the equilibrated R */
    size_t steps;       /* the last fit's refinement steps (most over its outputs) */
} mg__batch_ws;

/* What a fit writes besides B, each optional (NULL): k values of residual
 * sd, R^2 and adjusted R^2, and the p x k standard errors.  Standard errors
 * come from R^-1 (docs/accuracy.md step 5); a fit whose factor is too
 * ill-conditioned for them (rcond < MG__LSQ_COV_FACTOR_RCOND) is deferred. */
typedef struct mg__batch_out {
    double *sd, *r2, *ar2;
    mg_matrix *std_err;
} mg__batch_out;

/* Allocates a workspace for fits of N x p designs (intercept included)
 * and k outputs; MG_ENOMEM leaves nothing to free. */
MG__MUST_USE mg_status mg__batch_ws_alloc(mg__batch_ws *w, size_t N, size_t p, size_t k);
void mg__batch_ws_free(mg__batch_ws *w);

/* One fit on the parallel path (also mg_lstsq's path for small fits):
 * MG__FIT_DONE with its outputs written (B and out's) or a status in *st,
 * MG__FIT_DEFER when the path cannot prove the answer (mg_lstsq's general
 * path takes the fit).  Calls no BLAS or LAPACK. */
MG__MUST_USE int mg__batch_fit(const mg_matrix *X, const mg_matrix *Y, mg_matrix *B,
                               const mg_lstsq_options *o, mg__batch_ws *w,
                               const mg__batch_out *out, mg_status *st);

#endif /* MATGRAD_LSTSQ_BATCH_H */
