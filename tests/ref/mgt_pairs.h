/* SPDX-License-Identifier: BSD-3-Clause */
/* Paired-row least-squares problems whose answer is known exactly, at any
 * size (tests/test_fit.c, tests/test_lstsq_exact.c).
 *
 * Integer base rows x_i, coefficients B* (multiples of `unit`), and every
 * base row twice, with responses x_i B* + e_i and x_i B* - e_i (e_i an
 * integer in [-64, 64]).  Then Z^T W (Y - Z B*) = sum_i w_i (z_i e_i -
 * z_i e_i) = 0 exactly (a pair shares its weight), so B* is the exact
 * (weighted) least-squares solution of the double data, and RSS* =
 * 2 sum_i w_i e_i^2 exactly, provided every response is exact in double
 * (the `exact` flag says whether it is).  Near-collinear designs: a second
 * column equal to the first (entries up to S) plus -1, 0 or 1, so
 * kappa(Z) grows like S.  A shift added to every entry of X gives a large
 * column mean; pair weights are in {0, 1, 2, 3}, the first 2 m pairs
 * nonzero (full rank), and a zero-weight row carries the response 1e6. */
#ifndef MGT_PAIRS_H
#define MGT_PAIRS_H

#include "mgtest.h"

typedef struct mgt_pairs {
    size_t N, p, k, m, xs;   /* m = intercept + p; xs: row stride of X (p + 1) */
    int ic;
    double *X, *Y, *w, *B;   /* B*: m x k, row-major; w NULL when unweighted */
    double *rss;             /* RSS* per output */
    double unit;             /* every B* entry and every response is a multiple of it */
    int exact;               /* 1: every response was verified exact (B* is the answer) */
} mgt_pairs;

/* N rows (N even), p columns, k outputs.  collinear > 0: column 1 =
 * column 0 (entries up to collinear) + {-1, 0, 1}; shift: added to every X
 * entry; weighted: pair weights.  bits: B* entries are integers in
 * [-2^bits, 2^bits] times unit (unit = 2^-20, or 1 when collinear >= 1e7);
 * bits = 0 chooses the largest bits <= 23 for which every response is exact
 * in double (tests/test_fit.c passes 23, its historical draw). */
mgt_pairs mgt_pairs_make(uint64_t seed, size_t N, size_t p, size_t k, int ic, int weighted,
                         double collinear, double shift, int bits);
/* The same, with zero = 0: no forced zero coefficient (the last row of
 * output 0 keeps its random draw; mgt_pairs_make has zero = 1), for the
 * paths whose stopping rules are componentwise. */
mgt_pairs mgt_pairs_make_z(uint64_t seed, size_t N, size_t p, size_t k, int ic, int weighted,
                           double collinear, double shift, int bits, int zero);
void mgt_pairs_free(mgt_pairs *pr);

/* Views of rows i0 .. i0 + n - 1 of X (stride xs), Y and w. */
mg_matrix mgt_pairs_x(const mgt_pairs *pr, size_t i0, size_t n);
mg_matrix mgt_pairs_y(const mgt_pairs *pr, size_t i0, size_t n);
mg_matrix mgt_pairs_w(const mgt_pairs *pr, size_t i0, size_t n);

/* ulp(x) = 2^(exponent(x) - 52) (DBL_MIN for 0). */
double mgt_ulp(double x);

/* max over coefficients of |B - B*| in ulps of B*_jc, or of max_j |B*_jc|
 * where B*_jc = 0 (normwise for exact zeros); B is m x k row-major with
 * row stride ldb.  NaN or Inf in B gives INFINITY. */
double mgt_pairs_ulp_error(const mgt_pairs *pr, const double *B, size_t ldb);

/* Rows with nonzero weight (N when unweighted). */
size_t mgt_pairs_nonzero(const mgt_pairs *pr);

/* Exact quantities of the problem, from its integer data (GMP):
 *   G = Z^T W Z + ridge I (m x m), c = Z^T W Y (m x k), both exact;
 *   x = G^-1 c (m x k, rounded: the ridge solution; B* when ridge = 0);
 *   inv = G^-1 (m x m, each entry rounded once);
 *   tss: TSS of each output (about the weighted mean with the intercept,
 *   about zero without), exact then rounded.
 * ridge must be an integer >= 0.  Fails the test if G is singular. */
typedef struct mgt_pairs_exact {
    size_t m, k;
    double *G, *inv, *x, *tss;
} mgt_pairs_exact;
mgt_pairs_exact mgt_pairs_exact_make(const mgt_pairs *pr, double ridge);
void mgt_pairs_exact_free(mgt_pairs_exact *ex);

#endif /* MGT_PAIRS_H */
