/* SPDX-License-Identifier: BSD-3-Clause */
/* Private: the sliding window's state (window.h).
 *
 * The window's rows sit in a ring of W augmented rows a_i = [z_i y_i]
 * (q = intercept + p + k doubles each).  They are split in two runs of
 * consecutive rows:
 *   front  the nfront oldest rows, ring positions head .. head + nfront - 1;
 *          suf + pos q^2 holds the triangle of the rows pos .. end of the
 *          front (a suffix), so dropping the oldest row is moving on one
 *          position;
 *   back   the n - nfront newest rows, all folded into the triangle run.
 * The window's triangle is the merge of the front's first suffix with run.
 * Triangles are q x q, column-major, upper (leading dimension q), in the
 * form the folds of window_fold.c keep. */
#ifndef MATGRAD_WINDOW_INTERNAL_H
#define MATGRAD_WINDOW_INTERNAL_H

#include "matgrad/window.h"
#include "internal.h"

struct mg_window {
    size_t p, k, W, ic, m, q;   /* ic = intercept column (0/1), m = ic + p */
    double *rows;               /* W x q ring of augmented rows (row-major) */
    double *suf;                /* W triangles: the front's suffixes */
    double *run;                /* q x q: the back's triangle */
    double *tri;                /* q x q: the window's triangle (coef) */
    double *blk;                /* q x q: the fold's scratch block */
    double *row;                /* q: the row being pushed */
    double *work;               /* coef scratch: m^2 + m k + 2 k + 3 m doubles */
    size_t head, n, nfront;
};

/* The window's triangle of the rows it holds, into win->tri (n > 0). */
void mg__window_triangle(mg_window *win);

/* The small loops of a push and a query are compiled once per small order
 * (q for the folds, m for the coefficients), where a constant bound lets
 * the compiler unroll them: a window's q is a handful (6 for p = 4, k = 1
 * with the intercept), and loops of a runtime bound spend more on their
 * control than on the arithmetic.  MG__WINDOW_BY_Q(call, other, q, ...)
 * expands to call(N, ...) with N the constant equal to q for 2 <= q <= 6
 * (q >= 2: at least one column and one output), other(q, ...) beyond;
 * MG__WINDOW_BY_M the same for m in 1..5 (m <= 5 whenever q <= 6).  The
 * range is a trade: each order adds its unrolled copy of the loops (about
 * 40 KB of code for q <= 6, twice that for q <= 8).
 * MG__WINDOW_UNROLL before a loop asks for complete unrolling (gcc and
 * clang both read the pragma; -O3 alone keeps nested loops). */
#define MG__WINDOW_UNROLL _Pragma("GCC unroll 8")
#define MG__WINDOW_CASE(call, N, ...)                                                           \
    case N:                                                                                      \
        call(N, __VA_ARGS__);                                                                    \
        break;
#define MG__WINDOW_BY_Q(call, other, q, ...)                                                     \
    switch (q) {                                                                                 \
        MG__WINDOW_CASE(call, 2, __VA_ARGS__)                                                    \
        MG__WINDOW_CASE(call, 3, __VA_ARGS__)                                                    \
        MG__WINDOW_CASE(call, 4, __VA_ARGS__)                                                    \
        MG__WINDOW_CASE(call, 5, __VA_ARGS__)                                                    \
        MG__WINDOW_CASE(call, 6, __VA_ARGS__)                                                    \
    default:                                                                                     \
        other(q, __VA_ARGS__);                                                                   \
        break;                                                                                   \
    }
#define MG__WINDOW_BY_M(call, other, m, ...)                                                     \
    switch (m) {                                                                                 \
        MG__WINDOW_CASE(call, 1, __VA_ARGS__)                                                    \
        MG__WINDOW_CASE(call, 2, __VA_ARGS__)                                                    \
        MG__WINDOW_CASE(call, 3, __VA_ARGS__)                                                    \
        MG__WINDOW_CASE(call, 4, __VA_ARGS__)                                                    \
        MG__WINDOW_CASE(call, 5, __VA_ARGS__)                                                    \
    default:                                                                                     \
        other(m, __VA_ARGS__);                                                                   \
        break;                                                                                   \
    }

/* Householder folds (window_fold.c) on q x q upper triangles (column-major,
 * leading dimension q; entries below the diagonal are never read):
 *   fold_row  R <- the triangle of [R; a], a row of q values (overwritten);
 *   extend    S <- the triangle of [P; r] (P and the row r unchanged, a:
 *             q doubles of scratch);
 *   merge     T <- the triangle of [F; B] (F and B unchanged, blk: q x q
 *             doubles of scratch). */
void mg__window_fold_row(double *restrict R, size_t q, double *restrict a);
void mg__window_extend(double *restrict S, const double *restrict P, const double *restrict r,
                       double *restrict a, size_t q);
void mg__window_merge(double *restrict T, const double *restrict F, const double *restrict B,
                      double *restrict blk, size_t q);

#endif /* MATGRAD_WINDOW_INTERNAL_H */
