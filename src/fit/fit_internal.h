/* Private: the fit state and the helpers its steps share.
 *
 * Every matrix inside the state is column-major (LAPACK's layout): element
 * (i, j) of an n-row buffer is at [j * n + i]. */
#ifndef MATGRAD_FIT_INTERNAL_H
#define MATGRAD_FIT_INTERNAL_H

#include "matgrad/fit.h"
#include "internal.h"

#include <lapacke.h>
#include <math.h>
#include <stddef.h>

/* Rows per block copied (weighted, column-major) before a LAPACK update:
 * big enough for dtpqrt / dsyrk to run at BLAS-3 speed, small enough for
 * the block to stay in cache (MG__FIT_BLOCK x q doubles). */
enum { MG__FIT_BLOCK = 128 };

/* How the design part was factorised by the last finish. */
typedef enum mg__fit_fac { MG__FAC_NONE = 0, MG__FAC_TRI, MG__FAC_SVD, MG__FAC_CHOL,
                           MG__FAC_MEAN } mg__fit_fac;

struct mg_fit {
    mg_fit_options opt;
    size_t p, k, ic, m;     /* m = ic + p design columns */
    size_t n;               /* order of the stored square: QR q = m + k, GRAM p + k */

    /* the sums */
    size_t rows, nonzero;   /* rows seen, rows with w > 0 */
    double wsum;            /* sum of the weights */
    double *S;              /* QR: R (n x n upper); GRAM: co-moments (n x n, upper) */
    double *mean;           /* GRAM with intercept: weighted means (n) */

    /* accumulate scratch */
    size_t mb;              /* block rows (>= n so that a triangle fits) */
    double *blk;            /* mb x n */
    size_t nb;              /* dtpqrt block size */
    double *T, *tpwork;     /* nb x n each */
    double *bS, *bmean;     /* GRAM: the block's own sums (n x n, n) */
    double bw;

    /* finish: factorisation of the design part, kept for refine_end */
    mg__fit_fac fac;
    size_t rank;
    double rcond;           /* reported: of the whole (equilibrated) design */
    double rkept;           /* of the part solved with: rcond, or s_r / s_1 of the SVD */
    double *D;              /* m: power-of-two column scales */
    double *F;              /* m x m: Cholesky factor (GRAM, of the scaled x part) */
    double *U, *s, *Vt;     /* m x m, m, m x m: SVD of a rank-deficient R_Z */
    double *A;              /* m x m scratch */
    double *tau, *lwork;    /* m, lwork_len */
    size_t lwork_len;
    lapack_int *iwork;      /* 8 m (dgesdd), also dgeqp3's pivots and dpocon's */

    /* refinement */
    int refining;
    size_t rrows, rnonzero;
    double *rb;             /* m x k: the B being refined */
    double *ghi, *glo;      /* m x k: Z^T W R in double-double */
    double *rsshi, *rsslo;  /* k: sum w r^2 in double-double */
    double prev_d;          /* size of the last applied correction (0: none) */

    /* the refined solution, if any */
    int solved;
    double *sol;            /* m x k */
    double *solrss;         /* k */

    size_t steps;           /* refinement steps applied since the sums last changed */

    double *tmp;            /* m x k scratch */
    double *se;             /* m x k scratch (standard errors) */
    double *stat;           /* 5 k scratch (RSS, TSS, sd, R^2, adjusted R^2) */
};

/* s + e = a + b exactly (Knuth's TwoSum). */
static inline void mg__two_sum(double a, double b, double *s, double *e)
{
    const double t = a + b, bb = t - a;
    *e = (a - (t - bb)) + (b - bb);
    *s = t;
}

/* p + e = a * b exactly (one fused multiply-add). */
static inline void mg__two_prod(double a, double b, double *p, double *e)
{
    *p = a * b;
    *e = fma(a, b, -*p);
}

/* (hi, lo) += a, double-double. */
static inline void mg__dd_add(double *hi, double *lo, double a)
{
    double e;
    mg__two_sum(*hi, a, hi, &e);
    *lo += e;
}

/* Checks one block of input rows: shapes against the state (X N x p or NULL
 * when p == 0, Y N x k, w N x 1 or NULL), sets *N.  Finiteness of X and Y
 * only when check_data is set; weights always (finite, >= 0). */
MG__MUST_USE mg_status mg__fit_check_rows(const mg_fit *fit, const mg_matrix *X,
                                          const mg_matrix *Y, const mg_matrix *w,
                                          int check_data, size_t *N);

/* Element (i, j) of the design row: 1 for the intercept column, else X. */
static inline double mg__fit_z(const mg_fit *fit, const mg_matrix *X, size_t i, size_t j)
{
    return j < fit->ic ? 1.0 : X->data[i * X->stride + (j - fit->ic)];
}

/* MG_OK if two states can be merged: MG_EINVAL for NULL or the same
 * state or different options, MG_EDIM for different p or k. */
MG__MUST_USE mg_status mg__fit_compatible(const mg_fit *a, const mg_fit *b);

/* Forget everything derived from the sums (factor, refinement, solution). */
void mg__fit_invalidate(mg_fit *fit);

/* Chan-Golub-LeVeque merge of GRAM sums: (wa, ma, Sa) <- union with
 * (wb, mb, Sb); ma, mb NULL without the intercept (plain addition). */
void mg__fit_gram_merge(size_t n, double *wa, double *ma, double *Sa, double wb,
                        const double *mb, const double *Sb);

/* Factorises the design part of the state (sets fac, rank, rcond, D and
 * the factors).  MG_EINVAL with no rows of nonzero weight. */
MG__MUST_USE mg_status mg__fit_factor(mg_fit *fit);

/* Solves (Z^T W Z + ridge P) X = C in place for C (m x k, column-major,
 * leading dimension m) with the factor (pseudo-inverse when rank-deficient).
 * GRAM with intercept: C is in the original coordinates [1 X]. */
void mg__fit_normal_solve(mg_fit *fit, double *C, size_t ncols);

/* GRAM: (M_xx + ridge I) X = C for the first p rows of C (leading
 * dimension ld, ncols columns), with the Cholesky factor. */
void mg__fit_solve_x(mg_fit *fit, double *C, size_t ld, size_t ncols);

/* 2^-e with v in [2^(e-1), 2^e) (1 for 0 or non-finite v): an exact scale
 * that brings v into [1/2, 1). */
static inline double mg__fit_pow2_inv(double v)
{
    int e = 0;
    if (v > 0.0 && isfinite(v))
        (void)frexp(v, &e);
    return ldexp(1.0, -e);
}

#endif /* MATGRAD_FIT_INTERNAL_H */
