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
    double *x, *r, *f, *g, *dx, *dr, *w, *bt, *acc, *zero, *Bs, *sd, *r2;
} mg__batch_ws;

/* Allocates a workspace for fits of N x p designs (intercept included)
 * and k outputs; MG_ENOMEM leaves nothing to free. */
MG__MUST_USE mg_status mg__batch_ws_alloc(mg__batch_ws *w, size_t N, size_t p, size_t k);
void mg__batch_ws_free(mg__batch_ws *w);

/* One fit on the parallel path: MG__FIT_DONE with its outputs written (B,
 * and sd, r2 when not NULL) or a status in *st, MG__FIT_DEFER when the
 * path cannot prove the answer (mg_lstsq takes the fit). */
int mg__batch_fit(const mg_matrix *X, const mg_matrix *Y, mg_matrix *B,
                  const mg_lstsq_options *o, mg__batch_ws *w, double *sd, double *r2,
                  mg_status *st);

#endif /* MATGRAD_LSTSQ_BATCH_H */
