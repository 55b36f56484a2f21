/* SPDX-License-Identifier: BSD-3-Clause */
/* Private: dot products, residuals and sums of squares accumulated in
 * double-double arithmetic (about 106 significand bits), rounded once at
 * the end.  They give least-squares refinement residuals that are accurate
 * even when y and X b agree to most of their digits (docs/accuracy.md).
 *
 * The design is handled implicitly: row i of Z is [1, X_i,:] when intercept
 * is set, X_i,: otherwise, so no copy of X with a column of ones is made. */
#ifndef MATGRAD_XDOT_H
#define MATGRAD_XDOT_H

#include "matgrad/core.h"

#include <stddef.h>

typedef struct mg__design {
    const mg_matrix *X;  /* N x (p - intercept) */
    int intercept;       /* 1: implicit leading column of ones */
    size_t N, p;         /* rows and design columns (intercept included) */
} mg__design;

/* F_ic = Y_ic - Rin_ic - sum_j Z_ij Bt_cj for rows [i0, i1) and outputs
 * c < k, each accumulated in double-double and rounded once.  Bt is k x p
 * (output c's coefficients in row c, stride ldbt); Rin may be NULL (zero).
 * F rows are i - i0. */
void mg__xresid(const mg__design *d, const double *Bt, size_t ldbt, size_t k,
                const double *Y, size_t ldy, const double *Rin, size_t ldr,
                double *F, size_t ldf, size_t i0, size_t i1);

/* g_j = c_j - sum_i (scale_j Z_ij) r_i (r has N entries, stride rs),
 * double-double.  scale holds p powers of two (applied to Z before the
 * product, so that huge Z and r cannot overflow it); c may be NULL (zero).
 * acc holds 2 p doubles of scratch. */
void mg__xgemv_t(const mg__design *d, const double *scale, const double *r, size_t rs,
                 const double *c, double *g, double *acc);

/* sum_i (v_i - shift)^2 over n entries with stride vs.  The deviation is
 * formed exactly (TwoSum) and the squares summed in long double: its 64-bit
 * significand keeps the sum to ~1e-19 n relative, and its exponent range
 * means squares of any finite doubles cannot overflow. */
long double mg__xsumsq(const double *v, size_t n, size_t vs, double shift);

/* sum_i v_i over n entries with stride vs, in long double. */
long double mg__xsum(const double *v, size_t n, size_t vs);

#endif /* MATGRAD_XDOT_H */
