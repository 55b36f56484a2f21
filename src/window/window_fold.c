/* SPDX-License-Identifier: BSD-3-Clause */
/* window: the Householder folds of a push and of a coefficient query,
 * compiled once for each small q (MG__WINDOW_BY_Q).
 *
 * The operations are those of the engine's folds (fit/accumulate.c: LAPACK's
 * dtpqrt2 with l = 0, Golub and Van Loan Sec. 5.2), column by column: for
 * column j, H_j = I - tau v v^T with v = 1 at row j of R and u = B(:, j) /
 * (alpha - beta) in the block, applied to the columns to its right.  What
 * differs is only that q, the triangle's order, is a compile-time constant
 * for q <= 6 (MG__WINDOW_BY_Q, window_internal.h), where the engine's
 * loops spend more on their bounds and set-up than on the arithmetic;
 * beyond, the engine's folds are called.  Sums run in index order, as
 * mg__dot8 (kernels/dot8.h) does for fewer than 8 terms, so the values are
 * the engine's and the error analysis of docs/accuracy.md, "Sliding windows",
 * is that of its folds: every triangle is a Householder QR of exactly its
 * rows. */
#include "window_internal.h"
#include "fit/fit_internal.h"

#include <math.h>
#include <string.h>

/* R <- the triangle of [R; a] (a: n values, overwritten): the block fold
 * with one row, whose reflector vector is the single entry u. */
static inline __attribute__((always_inline)) void row_fold(double *restrict R, size_t n,
                                                           double *restrict a)
{
    MG__WINDOW_UNROLL
    for (size_t j = 0; j < n; j++) {
        const double xx = a[j] * a[j];
        if (xx == 0.0)
            continue; /* H_j = I */
        const double alpha = R[j * n + j], norm = sqrt(alpha * alpha + xx);
        const double beta = alpha >= 0.0 ? -norm : norm;
        const double tau = (beta - alpha) / beta, u = a[j] * (1.0 / (alpha - beta));
        R[j * n + j] = beta;
        MG__WINDOW_UNROLL
        for (size_t l = j + 1; l < n; l++) {
            /* s = tau v^T [R(j, l); a(l)],  [R(j, l); a(l)] -= s v */
            const double s = tau * (R[l * n + j] + u * a[l]);
            R[l * n + j] -= s;
            a[l] -= s * u;
        }
    }
}

/* R <- the triangle of [R; T] for the upper triangle T (n x n, column-major,
 * leading dimension n, overwritten; its entries below the diagonal are
 * never read): rows j + 1 and below of T's column j are zero and stay
 * zero, since reflector j only mixes rows 0..j of the columns to its
 * right. */
static inline __attribute__((always_inline)) void triangle_fold(double *restrict R, size_t n,
                                                                double *restrict T)
{
    MG__WINDOW_UNROLL
    for (size_t j = 0; j < n; j++) {
        double *u = T + j * n;
        double xx = 0.0;
        MG__WINDOW_UNROLL
        for (size_t i = 0; i <= j; i++)
            xx += u[i] * u[i];
        if (xx == 0.0)
            continue; /* H_j = I */
        const double alpha = R[j * n + j], norm = sqrt(alpha * alpha + xx);
        const double beta = alpha >= 0.0 ? -norm : norm;
        const double tau = (beta - alpha) / beta, scale = 1.0 / (alpha - beta);
        MG__WINDOW_UNROLL
        for (size_t i = 0; i <= j; i++)
            u[i] *= scale;
        R[j * n + j] = beta;
        MG__WINDOW_UNROLL
        for (size_t l = j + 1; l < n; l++) {
            double *b = T + l * n;
            double d = 0.0;
            MG__WINDOW_UNROLL
            for (size_t i = 0; i <= j; i++)
                d += u[i] * b[i];
            /* s = tau v^T [R(j, l); T(:, l)],  [R(j, l); T(:, l)] -= s v */
            const double s = tau * (R[l * n + j] + d);
            R[l * n + j] -= s;
            MG__WINDOW_UNROLL
            for (size_t i = 0; i <= j; i++)
                b[i] -= s * u[i];
        }
    }
}

/* S <- P, a <- r: copies of a size known here are a few vector moves, not
 * a call. */
static inline __attribute__((always_inline)) void copy_for_extend(double *restrict S, size_t n,
                                                                  const double *restrict P,
                                                                  const double *restrict r,
                                                                  double *restrict a)
{
    memcpy(S, P, n * n * sizeof *S);
    memcpy(a, r, n * sizeof *a);
}

/* T <- the triangle of [F; B] (as for mg__window_merge). */
static inline __attribute__((always_inline)) void merge(double *restrict T, size_t n,
                                                        const double *restrict F,
                                                        const double *restrict B,
                                                        double *restrict blk)
{
    memcpy(T, F, n * n * sizeof *T);
    memcpy(blk, B, n * n * sizeof *blk);
    triangle_fold(T, n, blk);
}

#define ROW_FOLD(n, R, a) row_fold(R, n, a)
#define COPY_FOR_EXTEND(n, S, P, r, a) copy_for_extend(S, n, P, r, a)
#define MERGE(n, T, F, B, blk) merge(T, n, F, B, blk)
/* beyond the unrolled orders, the engine's folds themselves */
#define ENGINE_ROW_FOLD(n, R, a) mg__fit_fold_row(R, n, a)
#define ENGINE_MERGE(n, T, F, B, blk)                                                             \
    do {                                                                                         \
        memcpy(T, F, n * n * sizeof *T);                                                         \
        memcpy(blk, B, n * n * sizeof *blk);                                                     \
        mg__fit_fold_triangle(T, n, blk, n);                                                     \
    } while (0)

void mg__window_fold_row(double *restrict R, size_t q, double *restrict a)
{
    /* [R; a] = Q [R'; 0]   (one Householder reflection per column) */
    MG__WINDOW_BY_Q(ROW_FOLD, ENGINE_ROW_FOLD, q, R, a)
}

void mg__window_extend(double *restrict S, const double *restrict P, const double *restrict r,
                       double *restrict a, size_t q)
{
    MG__WINDOW_BY_Q(COPY_FOR_EXTEND, COPY_FOR_EXTEND, q, S, P, r, a)
    /* [P; r] = Q [S; 0]   (the push's fold, not a second copy of it) */
    mg__window_fold_row(S, q, a);
}

void mg__window_merge(double *restrict T, const double *restrict F, const double *restrict B,
                      double *restrict blk, size_t q)
{
    /* [F; B] = Q [T; 0]   (TSQR merge of two triangles) */
    MG__WINDOW_BY_Q(MERGE, ENGINE_MERGE, q, T, F, B, blk)
}
