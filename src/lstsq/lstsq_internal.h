/* SPDX-License-Identifier: BSD-3-Clause */
/* Private: the pieces of mg_lstsq shared by its source files.
 *
 * Every solver works on the equilibrated design Z = Zd D, where Zd is the
 * design (X with the implicit column of ones) and D holds exact powers of
 * two, so Z and Zd carry the same information and b = D x maps the scaled
 * solution x back without rounding.  D_jj = scale_j * scale_lo_j: a column
 * whose entries are all subnormal needs D_jj up to 2^1074, beyond the
 * largest double, so the factor a double can hold (scale, at most 2^1023,
 * the one the kernels take) is kept apart from the rest (scale_lo, 1 for
 * every other column).  Applied as (v * scale_j) * scale_lo_j, both factors
 * >= 1 in that case, no intermediate overflows or underflows. */
#ifndef MATGRAD_LSTSQ_INTERNAL_H
#define MATGRAD_LSTSQ_INTERNAL_H

#include "matgrad/lstsq.h"
#include "matgrad/fit.h"
#include "internal.h"
#include "kernels/xdot.h"
#include "tsqr.h"

#include <stddef.h>

/* A design Zd without a copy: row i is [1, X_i,:] when intercept is set,
 * X_i,: otherwise (the form the kernels in src/kernels/xdot.h take). */
typedef struct mg__design {
    const mg_matrix *X;  /* N x (p - intercept) */
    int intercept;       /* 1: implicit leading column of ones */
    size_t N, p;         /* rows and design columns (intercept included) */
} mg__design;

typedef enum mg__lsq_kind { MG__LSQ_QR, MG__LSQ_SVD } mg__lsq_kind;

/* Problem and factorisation. */
typedef struct mg__lsq {
    mg__design d;           /* the design Zd: X, intercept, N, p */
    size_t m;               /* min(N, p) */
    double *scale;          /* p powers of two (all 1 when unscaled) */
    double *scale_lo;       /* p powers of two, 1 unless the column is subnormal */
    double rank_tol;        /* relative rank tolerance (resolved default) */
    size_t max_refine;

    mg__lsq_kind kind;
    size_t rank;
    double rcond;
    /* QR: Householder factor of Z P (N x p, column-major), tau (m), perm
     *     (p, 0-based: column i of Z P is column perm[i] of Z); P = I when
     *     the rank was proven full without pivoting, and then for
     *     p > 32 dgeqrt's block factors in T (NULL otherwise).
     * SVD: U (N x m, column-major) in F, s (m), Vt (m x p, column-major).
     */
    double *F, *tau, *s, *Vt;
    double *T;              /* QR without pivoting: dgeqrt's block factors (nb x p) */
    size_t nb;
    int *perm;
    double *work;           /* solver scratch: N + 3 p + MG__LSQ_QWORK doubles */
} mg__lsq;

/* Workspace of LAPACK's dormqr / dgemqrt for one right-hand side: dormqr
 * needs NB + 65 * 64 at block size NB <= 64 (the T factor of one block),
 * dgemqrt nb <= 32. */
#define MG__LSQ_QWORK (64 + 65 * 64)

/* (v * scale_j) * scale_lo_j: v D_jj exactly, unless the result itself
 * overflows or falls below the normal range. */
static inline MG__MUST_USE double mg__lsq_scaled(const double *scale, const double *scale_lo,
                                                 size_t j, double v)
{
    return (v * scale[j]) * scale_lo[j];
}

/* Column scales: exact powers of two, D_jj = scale_j scale_lo_j near
 * 1 / max_i |Zd_ij| (1 for a zero column).  Both have p entries.  Returns
 * 0 when X has a NaN or an Inf (the scales are then meaningless). */
MG__MUST_USE int mg__lsq_scales(const mg__design *d, double *scale, double *scale_lo);

/* Z = Zd D (or Zd when scale == NULL) into a column-major N x p buffer. */
void mg__lsq_copy_design(const mg__design *d, const double *scale, const double *scale_lo,
                         double *Z);

/* Householder QR with column pivoting of the scaled design; sets rank,
 * rcond, F, tau, perm.  MG_ENOMEM on allocation failure. */
MG__MUST_USE mg_status mg__lsq_qr(mg__lsq *q);

/* SVD of Zd D (D may be all ones); keeps rank_hint singular values when
 * rank_hint > 0, else counts them with rank_tol.  MG_ENOCONV when dgesdd
 * does not converge, MG_ENOMEM on allocation failure. */
MG__MUST_USE mg_status mg__lsq_svd(mg__lsq *q, size_t rank_hint);

/* One correction of the augmented system [I Z; Z^T 0] [dr; dx] = [f; g]
 * with the factors of q (QR, SVD).  Uses q->work.  MG_OK, or the status of
 * a LAPACK call that failed. */
MG__MUST_USE mg_status mg__lsq_solve_aug(const mg__lsq *q, const double *f, const double *g,
                                         double *dr, double *dx);

/* Refinement of one right-hand side (Bjorck): solves min ||y - Z x|| with
 * the extra term Z^T r = c (c == NULL: 0), y of N entries with stride ys
 * (y == NULL: zero).  x (p, scaled coordinates) and r (N) are outputs.
 * *steps gets the number of refinement steps, *delta the last relative
 * correction.  MG_ENOCONV when a full-rank refinement did not reach
 * rounding level (max_refine steps, or a stall above MG__LSQ_STALL_ULPS):
 * x unproven.  resid (N doubles, or NULL) gets y - Zd D x of the returned
 * x, each entry to a few ulp of itself (from the last step's double-double
 * residual: docs/accuracy.md, step 5).
 * scratch: MG__LSQ_REFINE_SCRATCH(N, p) doubles. */
/* max_i |dx_i| / max_i |x_i| (Inf when x = 0 and dx != 0): the normwise
 * size of a correction, which shows contraction where a coefficient near 0
 * keeps a relative correction of 1. */
MG__MUST_USE double mg__lsq_norm_change(const double *dx, const double *x, size_t n);

/* 1 if x, after the correction dx of a refinement contracting by at most
 * rho per step, is within a quarter ulp of the exact solution in every
 * coefficient (normwise near zero): the a-priori stop (docs/accuracy.md,
 * step 3); 0 when rho > 1/4 or the bound is not that small. */
MG__MUST_USE int mg__lsq_within_bound(double rho, const double *dx, const double *x, size_t p);

/* A refinement that stalls is still proven when the correction it
 * rejected, the estimate of the remaining error, is within this many ulp
 * of each coefficient (normwise for coefficients near 0): the answer is
 * then within the documented few ulp (tests/test_lstsq_exact.c asserts 8). */
#define MG__LSQ_STALL_ULPS 4.0

/* The stopping rules of one refinement loop (mg__lsq_refine_ops's, which
 * the batch's vector lanes also follow): prev, the last accepted
 * correction's normwise size (INFINITY before the first), d and dn of the
 * step under test, proven. */
typedef struct mg__refine_track {
    double prev, d, dn;
    int proven;
} mg__refine_track;

/* Before x += dx: sets t->d, t->dn; 1 when the corrections stopped
 * shrinking (the step is rejected; t->proven set if dx is at rounding
 * level, MG__LSQ_STALL_ULPS). */
MG__MUST_USE int mg__lsq_refine_stalled(mg__refine_track *t, const double *dx, const double *x,
                                        size_t p);

/* After x += dx (x the updated coefficients): 1 when another step could
 * not change x (t->proven set), else 0 with t->prev = t->dn. */
MG__MUST_USE int mg__lsq_refine_converged(mg__refine_track *t, double rho, const double *dx,
                                          const double *x, size_t p);
MG__MUST_USE mg_status mg__lsq_refine(const mg__lsq *q, const double *y, size_t ys,
                                      const double *c, double *x, double *r, double *scratch,
                                      size_t *steps, double *delta, double *resid);

/* The QR factor's own variances are used (not refined) where they have
 * about 12 correct digits.  The factor is exact for Z + dZ with ||dZ|| <=
 * eta ||Z|| (eta of order p eps), and then each [(Z^T Z)^-1]_jj is within a
 * relative (2 delta + delta^2) / (1 - 2 delta - delta^2), delta = kappa_2(Z)
 * eta, of the exact one (docs/accuracy.md, step 5): first order in kappa,
 * not kappa^2.  kappa_2 <= p / rcond_1, so rcond >= 1e-3 keeps delta near
 * 1e3 p^2 eps: about 1e-12 for p up to 64 in practice. */
#define MG__LSQ_COV_FACTOR_RCOND 1.0e-3
/* Variances are refined (p extra refinement solves) while N p^2 is below
 * this (mg_lstsq, and the MPI fit's Householder path, tsqr.c). */
#define MG__COV_REFINE_MAX_WORK 1.0e8

/* y - Zd D x from res = y - Zd bt (bt = D x_old, the coefficients of the
 * last refinement step's double-double residual), for x at rounding level
 * from x_old: res -= Zd (D x - bt) in double (delta: p doubles of scratch).
 * The product's error is some eps times the change, so res keeps a few ulp
 * per entry (docs/accuracy.md step 5). */
void mg__lsq_resid_update(const mg__design *d, const double *scale, const double *scale_lo,
                          const double *x, const double *bt, double *res, double *delta);

/* Scratch doubles mg__lsq_refine needs: the loop's (tsqr.h), then 3 p
 * for the residuals' accumulators. */
#define MG__LSQ_REFINE_SCRATCH(N, p) (MG__REFINE_OPS_SCRATCH(N, p) + 3 * (p))

/* mg_lstsq's refinement operations (lstsq_refine.c): residuals() in
 * double-double over the rows in memory, mg__lsq_solve_aug with q's
 * factors, mg__lsq_resid_update.  mg__lsq_refine is the loop with these. */
typedef struct mg__lsq_single_ctx {
    const mg__lsq *q;
    double *acc, *cs; /* 2 p and p doubles of scratch */
} mg__lsq_single_ctx;
/* ops and ctx for q; scratch: 3 p doubles, kept while ops is used. */
void mg__lsq_single_ops(const mg__lsq *q, double *scratch, mg__refine_ops *ops,
                        mg__lsq_single_ctx *ctx);

/* 1 if X has a constant nonzero column (or intercept is set): a model
 * with a constant, whose TSS is taken about the mean. */
MG__MUST_USE int mg__lsq_has_constant_column(const mg_matrix *X, int intercept);

/* mg_lstsq on the fit engine (lstsq_engine.c): accumulate, finish, and
 * refinement replays of the rows in memory to convergence; writes B and
 * res only on MG_OK.  Engine statuses: MG_ENOTPD (GRAM too ill-conditioned
 * to refine), MG_ENOCONV (a step did not contract, or max_refine steps did
 * not converge), MG_ERANGE, MG_ENONFINITE, MG_ENOMEM, ... */
MG__MUST_USE mg_status mg__lsq_engine(const mg_matrix *X, const mg_matrix *Y,
                                      const mg_lstsq_options *o, mg_fit_kind kind, mg_matrix *B,
                                      mg_lstsq_result *res);

/* TSS of one output y (N entries, stride ys): about the (weighted) mean
 * when centred, about zero otherwise, in long double from two passes (the
 * mean first), so no cancellation; rows of weight zero add nothing.  w:
 * N x 1 weights or NULL.  Both of mg_lstsq's paths take TSS from here. */
MG__MUST_USE long double mg__lsq_tss(const double *y, size_t N, size_t ys, const mg_matrix *w,
                                     int centred);

/* Unscaled diagonal of (Z^T Z)^+ from the factors: v (p). */
MG__MUST_USE mg_status mg__lsq_cov_diag(const mg__lsq *q, double *v);

/* v_i = ||row i of R^-1||^2 for the n x n upper-triangular R
 * (column-major, leading dimension ld); u: n doubles of scratch. */
void mg__lsq_inv_row_norms(const double *R, size_t n, size_t ld, double *u, double *v);

/* Refines v_j = [(Z^T Z)^-1]_jj for a full-rank QR factorisation
 * (mg__lsq_cov_refine_ops with mg_lstsq's operations). */
MG__MUST_USE mg_status mg__lsq_cov_refine(const mg__lsq *q, double *v);

/* Relative size of a correction: max_i |dx_i| / max(|x_i|, eps ||x||). */
MG__MUST_USE double mg__lsq_rel_change(const double *dx, const double *x, size_t n);

#endif /* MATGRAD_LSTSQ_INTERNAL_H */
