/* SPDX-License-Identifier: BSD-3-Clause */
/* Independent reference for least squares: the exact solution of the
 * normal equations Z^T Z b = Z^T y in rational arithmetic (GMP).  Doubles
 * are dyadic rationals, so this is the least-squares solution of the data
 * exactly as stored, with no rounding at all: the yardstick for "what an
 * exact solve of the same double data reaches". */
#ifndef MGTEST_REF_LSTSQ_H
#define MGTEST_REF_LSTSQ_H

#include <stddef.h>

typedef struct ref_lstsq {
    double *b_hi, *b_lo;  /* p: b = b_hi + b_lo to about 106 bits */
    double *cov;          /* p: [(Z^T Z)^-1]_jj, rounded */
    double rss;           /* ||y - Z b||^2, rounded */
    int centered;         /* in: TSS about the mean (1) or about zero (0) */
    double r_squared;     /* 1 - RSS / TSS, exact then rounded (NaN if TSS = 0) */
} ref_lstsq;

/* Z is N x p row-major with row stride ldz, y has stride ys.  Caller
 * allocates out->b_hi, b_lo, cov (p each).  Returns 0, or 1 when Z^T Z is
 * exactly singular. */
int ref_lstsq_exact(const double *Z, size_t ldz, size_t N, size_t p, const double *y, size_t ys,
                    ref_lstsq *out);

/* log relative error -log10(|est - ref| / |ref|) (absolute when ref == 0),
 * capped at 15, with ref = ref_hi + ref_lo. */
double ref_lre(double est, double ref_hi, double ref_lo);

#include <matgrad.h>

/* Minimum LREs of one checked fit against the exact solution. */
typedef struct lstsq_lre {
    double b, se, rsd, r2;
    mg_lstsq_method method;  /* as reported */
    double rcond;            /* as reported */
    /* the bounds asserted (worst over outputs and coefficients): relative
     * for b (normwise), rsd, se; absolute for R^2; rsd_abs for an exact fit */
    double tol_b, tol_rsd, tol_se, tol_r2, rsd_abs;
} lstsq_lre;

/* Refined solutions.  mg_lstsq refines on the augmented system with
 * double-double residuals (docs/accuracy.md; Bjorck 1967).  While each
 * step contracts, rho = kappa eps_b < 1/2 (QR, SVD; kappa^2 eps_b for the
 * Cholesky path's semi-normal equations), refinement with residuals this
 * accurate converges to the limiting accuracy, a normwise relative error of
 * order u plus kappa_aug u_r, u_r = u^2 the residuals' precision (Higham,
 * ASNA, Thm 12.2 and Sec. 20.5); the augmented system's condition is of
 * order kappa^2.  What is left are the roundings of x itself and of the
 * last corrections, which act like a backward error of eps_b = REF_C_B p u
 * on the converged solution without kappa, and the residuals' u^2 through
 * kappa^2: eps_b (1 + kappa^2 u) normwise (Filip, kappa 5.7e9: the second
 * term dominates).  ref_refined_bound asserts rho <= 1/2 from the exact
 * kappa of the design as the library factors it (columns scaled by powers
 * of two, their largest entries in [1/2, 1)) and returns the max-norm
 * relative bound sqrt(p) eps_b (1 + kappa^2 u) (sqrt(p): 2-norm to
 * max-norm) for one solution; *kappa (may be NULL) receives that kappa. */
enum { REF_C_B = 4 };
double ref_refined_bound(const mg_matrix *X, int intercept, int normal_equations, double *kappa);

/* Fits Y on X (with the intercept option) by the given method, with all
 * statistics, and compares every output with the exact rational solution
 * within bounds derived from ref_refined_bound (stated at the definition,
 * tests/ref/ref_lstsq.c).  Also checks rank == want_rank and that the
 * padding of the outputs is intact.  Returns the measured minimum LREs. */
lstsq_lre ref_check_lstsq(const mg_matrix *X, int intercept, const mg_matrix *Y,
                          mg_lstsq_method method, size_t want_rank);

/* Normwise coefficient LRE of the first output's fit with options o
 * against the exact solution (no assertion on it). */
double ref_fit_lre(const mg_matrix *X, const mg_matrix *Y, const mg_lstsq_options *o);

/* A NIST StRD linear least-squares file (tests/data/nist format). */
enum { NIST_MAXP = 16, NIST_MAXN = 128 };
typedef struct nist_set {
    char name[32];
    int intercept;               /* model poly / linear */
    size_t N, p;                 /* p: design columns, intercept included */
    size_t nx;                   /* columns of X (p - intercept) */
    double X[NIST_MAXN * NIST_MAXP];  /* N x nx, row-major */
    double Z[NIST_MAXN * NIST_MAXP];  /* N x p: X with the ones column */
    double y[NIST_MAXN];
    double beta[NIST_MAXP], sd[NIST_MAXP], residual_sd, r_squared;
} nist_set;

/* Loads path; polynomial columns are pow(x, j).  0 on success. */
int nist_load(const char *path, nist_set *s);

#endif /* MGTEST_REF_LSTSQ_H */
