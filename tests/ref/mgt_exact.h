/* SPDX-License-Identifier: BSD-3-Clause */
/* Least-squares problems whose solution is known exactly, for checks that
 * must tell a right answer from a wrong one with MG_OK.
 *
 * The design is an integer matrix I (entries in [-4, 4]) whose rows each
 * appear twice; Y = 2^t (I beta + E), where the two copies of a row carry
 * residuals +e and -e (e a nonzero integer).  Then I^T E = 0 exactly, so
 * b = 2^t beta is the exact least-squares solution and E 2^t the exact
 * residual, with every value exactly representable.  Optionally one column
 * of X is I's column times 2^-s (s up to 1072: subnormal entries) with its
 * coefficient times 2^s, which leaves Y, the residual and the equilibrated
 * design unchanged; t = 1020 - s then keeps that coefficient below 2^1023. */
#ifndef MGT_EXACT_H
#define MGT_EXACT_H

#include "mgtest.h"

typedef struct mgt_exact {
    mgt_mat X, Y;        /* N x nx (stride nx + 1), N x k */
    mgt_mat I;           /* the integer design, N x nx */
    double *b;           /* p x k exact coefficients, row-major (p = nx + intercept) */
    double *colmax;      /* p: max_i |Zd_ij| of the design (1 for the intercept) */
    size_t N, nx, k, p;
    int intercept;
    size_t col;          /* the scaled column of X (when s > 0), or MGT_EXACT_ALL */
    int s, t;            /* the column's scale 2^-s and the data's scale 2^t */
} mgt_exact;

/* col: every column of X (not the intercept) is scaled. */
#define MGT_EXACT_ALL ((size_t)-1)

/* 2 * pairs rows, nx columns of X, k outputs; column col of X (or every
 * column: MGT_EXACT_ALL) times 2^-s (s = 0: none). */
mgt_exact mgt_exact_make(uint64_t seed, size_t pairs, size_t nx, size_t k, int intercept,
                         size_t col, int s);
void mgt_exact_free(mgt_exact *e);

/* Normwise error of B in equilibrated coordinates (x_j = b_j colmax_j):
 * max_jc |B_jc - b_jc| colmax_j / max_jc |b_jc| colmax_j (Inf for NaN). */
double mgt_exact_err(const mgt_exact *e, const mg_matrix *B);

/* kappa_1 of the equilibrated design (the integer design with the
 * intercept column, columns scaled to unit max): 1 / rcond from a QR fit
 * of I, whose entries are ordinary doubles.  Fails the test if it cannot. */
double mgt_exact_kappa(const mgt_exact *e);

/* The exact standard errors (p x k, row-major), from the rational solution
 * of the integer problem (tests/ref/ref_lstsq.c) scaled by 2^t (and 2^s for
 * the scaled column), each rounded once. */
void mgt_exact_se(const mgt_exact *e, double *se);

#endif /* MGT_EXACT_H */
