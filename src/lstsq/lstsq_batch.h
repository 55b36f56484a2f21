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
 * ill-conditioned for them (rcond < MG__LSQ_COV_FACTOR_RCOND) is deferred.
 * stats: the workspace's sd, r2 and ar2 are wanted (by the caller, or by
 * the standard errors); 0 skips their long-double sums (a tenth of a
 * 100 x 4 fit).  Set it with mg__batch_out_make. */
typedef struct mg__batch_out {
    double *sd, *r2, *ar2;
    mg_matrix *std_err;
    int stats;
} mg__batch_out;

static inline mg__batch_out mg__batch_out_make(double *sd, double *r2, double *ar2,
                                               mg_matrix *std_err, int stats_wanted)
{
    const mg__batch_out o = { sd, r2, ar2, std_err,
                              stats_wanted || sd || r2 || ar2 || std_err };
    return o;
}

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

/* Four fits at once, one per lane of an AVX2 register
 * (lstsq_batch_lanes.c): each lane performs the operations of
 * mg__batch_fit in the same order, so its bits are that fit's. */
enum { MG__LANES = 4 };

/* A thread's workspace for them: lane arrays, entry i of one at a + 4 i. */
typedef struct mg__lanes_ws {
    size_t N, p, nx;
    double *Z;  /* N x p per lane, column-major: R and the reflectors */
    double *X;  /* N x nx per lane, row-major: the design as given */
    double *y, *f, *r, *dr, *q, *res;                       /* N per lane */
    double *tau, *scale, *scale_lo, *x, *dx, *g, *bt, *d1; /* p per lane */
    double *bt_kept, *dx_kept, *hi, *lo;                    /* p per lane */
    double *R, *Ri; /* p x p, one lane's R and its inverse */
} mg__lanes_ws;

/* 1 if fits of this shape (N rows, p columns with the intercept, nx of
 * them from X, k outputs) and options can take the lanes on this CPU: one
 * output, nx < 32, N > p, N (p + nx + 6) <= 32768 (the lanes' arrays in
 * L2), max_refine >= 1, AVX2 and FMA. */
MG__MUST_USE int mg__lanes_usable(size_t N, size_t p, size_t nx, size_t k,
                                  const mg_lstsq_options *o);
MG__MUST_USE mg_status mg__lanes_ws_alloc(mg__lanes_ws *w, size_t N, size_t p, size_t nx);
void mg__lanes_ws_free(mg__lanes_ws *w);

/* The four fits (X[l], Y[l]) of a shape mg__lanes_usable accepts, each
 * as mg__batch_fit would fit it (no standard errors): done[l] = 1 with B[l]
 * and out[l] written as that fit's MG__FIT_DONE with MG_OK would write
 * them, 0 with nothing written when that fit would do anything else (the
 * caller then runs mg__batch_fit on it). */
void mg__batch_fit_lanes(const mg_matrix *const X[MG__LANES], const mg_matrix *const Y[MG__LANES],
                         mg_matrix *const B[MG__LANES], const mg_lstsq_options *o,
                         mg__lanes_ws *w, const mg__batch_out out[MG__LANES],
                         int done[MG__LANES]);

/* The full-rank proof of a fit on this path (mg__lsq_qr's: sigma_min /
 * sigma_max >= rcond_1 / p): the exact rcond_1 of R at least 10 p
 * rank_tol, rank_tol the option's or max(N, p) eps. */
MG__MUST_USE int mg__batch_rank_proven(double rcond, size_t N, size_t p,
                                       const mg_lstsq_options *o);

/* Residual sd, R^2 and adjusted R^2 of one output, as mg_lstsq's: res its
 * residual (N entries, stride rs), y the output (stride ys), p the design's
 * columns; centred: TSS about the mean. */
void mg__batch_summary(const double *res, size_t rs, const double *y, size_t ys, size_t N,
                       size_t p, int centred, double *sd, double *r2, double *ar2);

/* 1 / (||R||_1 ||R^-1||_1) of the p x p upper triangle of the column-major
 * R (leading dimension ld), exactly; R^-1 by columns into Ri (p x p).  0
 * for a zero pivot or when the product is not finite. */
MG__MUST_USE double mg__batch_exact_rcond(const double *R, size_t ld, size_t p, double *Ri);

#endif /* MATGRAD_LSTSQ_BATCH_H */
