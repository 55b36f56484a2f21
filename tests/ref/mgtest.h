/* SPDX-License-Identifier: BSD-3-Clause */
/* Test utilities: deterministic random matrices with padded strides, naive
 * reference implementations, comparisons, reference-data paths. */
#ifndef MGTEST_H
#define MGTEST_H

#include <matgrad.h>
#include <check.h>
#include <float.h>
#include <stddef.h>
#include <stdint.h>

/* An owned test matrix: a view plus its buffer.  With pad > 0 the stride is
 * cols + pad and the padding holds a sentinel so writes outside the view can
 * be detected with mgt_padding_intact(). */
typedef struct mgt_mat {
    mg_matrix v;
    double *buf;
    size_t len;
} mgt_mat;

/* Deterministic generator (splitmix64). */
typedef struct mgt_rng { uint64_t s; } mgt_rng;
mgt_rng mgt_rng_seed(uint64_t seed);
double mgt_uniform(mgt_rng *r);   /* in [-1, 1) */
size_t mgt_below(mgt_rng *r, size_t n); /* in [0, n) */

mgt_mat mgt_alloc(size_t rows, size_t cols, size_t pad);
mgt_mat mgt_random(mgt_rng *r, size_t rows, size_t cols, size_t pad);
mgt_mat mgt_from(const double *values, size_t rows, size_t cols, size_t pad);
void mgt_fill(mgt_mat *m, double value);
void mgt_free(mgt_mat *m);
int mgt_padding_intact(const mgt_mat *m);
/* Copy of the whole buffer, for "outputs untouched" checks. */
double *mgt_snapshot(const mgt_mat *m);
int mgt_unchanged(const mgt_mat *m, const double *snapshot);

double mgt_get(const mg_matrix *m, size_t i, size_t j);
/* max_ij |a - b| / max(max_ij |b|, tiny): the normwise relative error. */
double mgt_rel_err(const mg_matrix *a, const mg_matrix *b);
double mgt_max_abs(const mg_matrix *m);

/* A random linear-model problem: A (N x j), W (j x k), Y (N x k), each
 * with pad columns of sentinel padding (stride = cols + pad). */
typedef struct mgt_shape { size_t N, j, k, pad; } mgt_shape;
typedef struct mgt_problem { mgt_mat A, W, Y; } mgt_problem;
mgt_problem mgt_problem_make(mgt_rng *r, mgt_shape s);
void mgt_problem_free(mgt_problem *p);

/* Naive references, accumulating in long double. */
double ref_mse_loss(const mg_matrix *A, const mg_matrix *W, const mg_matrix *Y);
void ref_mse_grad(const mg_matrix *A, const mg_matrix *W, const mg_matrix *Y, mg_matrix *G);
void ref_matmul(const mg_matrix *A, int ta, const mg_matrix *B, int tb, mg_matrix *C);

/* Tolerances.  u = eps / 2 is the unit roundoff: one correctly rounded
 * operation has relative error <= u.  Every bound in the suite is written
 * as c * u (or c * eps) times the condition number and the norms that
 * matter, with c stated next to it. */
#define MGT_U (DBL_EPSILON / 2.0)

/* The libm budget: the double exp, sin, tanh, log the library calls are
 * assumed within MGT_LIBM_ULP ulp of the true value (relative error <=
 * MGT_LIBM_ULP eps).  No C standard promises an accuracy, but every
 * maintained libm states less (glibc's published maxima are 1-2 ulp for
 * these, musl's and the BSDs' 1, the vendor libms' below 1): a budget, not
 * one libm's rounding.  References use the long-double functions, whose
 * errors (a few 2^-64 relative) are far below u. */
#define MGT_LIBM_ULP 4

/* Extreme singular values of Z = X, or [1 X] with intercept: a long-double
 * Householder QR when tall, then one-sided (Hestenes) Jacobi on R, both
 * normwise backward stable in long double, so each singular value is within
 * c p 2^-64 smax of the truth and kappa = smax / smin within relative
 * c p kappa 2^-64 (1e-8 at kappa = 1e10): exact for any purpose a double
 * tolerance has.  smin = 0 if rank-deficient to long-double precision. */
void mgt_svals(const mg_matrix *X, int intercept, double *smax, double *smin);

/* Normwise forward-error bound of a least-squares solution computed with a
 * normwise backward error <= eps_b (Higham, Accuracy and Stability of
 * Numerical Algorithms, 2nd ed., Thm 20.1; 2-norms):
 *   ||b^ - b|| / ||b|| <= kappa eps_b / (1 - kappa eps_b)
 *                         * (2 + (kappa + 1) ||r|| / (||Z|| ||b||)).
 * Returns INFINITY when kappa eps_b >= 1/2 (no bound). */
double mgt_lstsq_fwd_bound(double eps_b, double kappa, double rnorm, double znorm, double bnorm);

/* gamma_n = n u / (1 - n u): a sum of n terms or a dot product of length n,
 * in any order (blocked, threaded, FMA or not), is within gamma_n times the
 * sum of the terms' magnitudes (Higham, ASNA, Sec. 3.1). */
double mgt_gamma(double n);

/* Worst-case errors of the MSE pass R = Y - A W, ssq = ||R||_F^2, A^T R, for
 * any evaluation order: returns the bound on ssq; fills atr_bound (j x k
 * contiguous) unless NULL.  Evaluated from the data in long double; the
 * formulas are next to the definition (tests/ref/mgtest.c). */
double mgt_mse_bounds(const mg_matrix *A, const mg_matrix *W, const mg_matrix *Y, double *atr_bound);

/* Asserts |got - ref| <= gamma_t (|A| |B| + |bias|)_ij + u |ref_ij| entry by
 * entry, with C = op(A) op(B) (+ 1 bias) of inner dimension t (t + 1 with a
 * bias): the error of any BLAS's dot products in any order, blocked or
 * threaded (Higham, ASNA, Sec. 3.5), plus the rounding of a long-double
 * reference.  bias is 1 x n or NULL. */
void mgt_assert_product(const mg_matrix *got, const mg_matrix *ref, const mg_matrix *A, int ta,
                        const mg_matrix *B, int tb, const mg_matrix *bias);

/* 2-norm of column c of m, in long double. */
double mgt_col_norm2(const mg_matrix *m, size_t c);

/* Path of a file under tests/data (the repository's own reference data). */
const char *mgt_data_path(const char *rel);

/* Runs a suite, returns the process exit status (0 if all passed). */
int mgt_run(Suite *s);

#endif /* MGTEST_H */
