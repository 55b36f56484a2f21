/* SPDX-License-Identifier: BSD-3-Clause */
/* Private: dot products, residuals and sums of squares accumulated in
 * double-double arithmetic (about 106 significand bits), rounded once at
 * the end.  They give least-squares refinement residuals that are accurate
 * even when y and X b agree to most of their digits (docs/accuracy.md).
 *
 * X is a row-major N x nx block of doubles (row i at X + i ldx).  With
 * intercept set, row i of the design is [1, X_i,:] and coefficient vectors
 * have 1 + nx entries, the first multiplying the implicit 1, so no copy of
 * X with a column of ones is made. */
#ifndef MATGRAD_XDOT_H
#define MATGRAD_XDOT_H

#include <math.h>
#include <stddef.h>

#include "internal.h"

#define MG__XDOT_INLINE static inline __attribute__((always_inline))

/* s + e = a + b exactly (Knuth's TwoSum). */
MG__XDOT_INLINE void mg__xdot_two_sum(double a, double b, double *s, double *e)
{
    const double t = a + b, bb = t - a;
    *e = (a - (t - bb)) + (b - bb);
    *s = t;
}

/* (hi, lo) -= x b: the product split exactly by FMA (-x b = np + npe), the
 * sum by TwoSum, its error and npe carried in lo. */
MG__XDOT_INLINE void mg__xdot_step(double *hi, double *lo, double x, double b)
{
    const double np = -(x * b);
    const double npe = fma(-x, b, -np);
    const double t = *hi + np, bb = t - *hi;
    *lo += ((*hi - (t - bb)) + (np - bb)) + npe;
    *hi = t;
}

/* Lane counts, chosen by timing the row kernel alone (AVX2 clone, gcc -O3):
 * four independent TwoSum chains (one AVX2 register) for short rows, where
 * folding sixteen costs more than it hides (p = 3: 13 ns a row against 17
 * with sixteen lanes); sixteen (four registers) for rows of at least
 * MG__XDOT_WIDE_MIN entries, where the latency of the chains dominates
 * (p = 100: 75 ns against 150 with four). */
enum { MG__XDOT_WIDE = 16, MG__XDOT_VEC = 4, MG__XDOT_WIDE_MIN = 32 };

/* The wide part of mg__xdot_resid: the first n - n % 16 terms in sixteen
 * lanes, folded into hi, lo (four lanes each, zero on entry) in a fixed
 * order; returns the number of terms consumed. */
MG__XDOT_INLINE size_t mg__xdot_wide(const double *restrict x, const double *restrict b,
                                     size_t n, double *hi, double *lo)
{
    enum { W = MG__XDOT_WIDE, V = MG__XDOT_VEC };
    double wh[W] = { 0 }, wl[W] = { 0 };
    size_t j = 0;

    for (; j + W <= n; j += W)
        for (int l = 0; l < W; l++)
            mg__xdot_step(&wh[l], &wl[l], x[j + l], b[j + l]);
    for (int m = 0; m < W; m += V)
        for (int l = 0; l < V; l++) {
            double e;
            mg__xdot_two_sum(hi[l], wh[l + m], &hi[l], &e);
            lo[l] += e + wl[l + m];
        }
    return j;
}

/* (rh, rl) = (s0 + s1) - sum_{j<n} x_j b_j in double-double (Ogita, Rump
 * and Oishi's Dot2), rh = fl(rh + rl).  Always inlined, so that it takes
 * the instruction set of its caller: a caller compiled for any x86-64 and
 * its AVX2+FMA clone (selected through cpu.h) perform the same operations
 * in the same order, and fma() is exact either way, so both give the same
 * bits.  Long rows go through sixteen lanes first, the rest through four,
 * the last n % 4 terms through one; the lanes are folded in a fixed order. */
MG__XDOT_INLINE void mg__xdot_resid(const double *restrict x, const double *restrict b,
                                    size_t n, double s0, double s1, double *rh,
                                    double *rl)
{
    enum { V = MG__XDOT_VEC };
    double hi[V] = { 0 }, lo[V] = { 0 };
    size_t j = n >= MG__XDOT_WIDE_MIN ? mg__xdot_wide(x, b, n, hi, lo) : 0;

    for (; j + V <= n; j += V)
        for (int l = 0; l < V; l++)
            mg__xdot_step(&hi[l], &lo[l], x[j + l], b[j + l]);
    for (; j < n; j++)
        mg__xdot_step(&hi[0], &lo[0], x[j], b[j]);
    double s = s0, e, tail = s1;
    for (int l = 0; l < V; l++) {
        mg__xdot_two_sum(s, hi[l], &s, &e);
        tail += e + lo[l];
    }
    mg__xdot_two_sum(s, tail, rh, rl);
}

/* F_ic = Y_ic - Rin_ic - sum_j Z_ij Bt_cj for rows [i0, i1) and outputs
 * c < k, each accumulated in double-double and rounded once; Z is the
 * design of (X, ldx, nx, intercept) above.  Bt is k x (intercept + nx)
 * (output c's coefficients in row c, stride ldbt); Rin may be NULL (zero).
 * F rows are i - i0. */
void mg__xresid(const double *X, size_t ldx, size_t nx, int intercept, const double *Bt,
                size_t ldbt, size_t k, const double *Y, size_t ldy, const double *Rin,
                size_t ldr, double *F, size_t ldf, size_t i0, size_t i1);

/* g_j = c_j - sum_{i<N} (scale_j Z_ij) r_i (r has N entries, stride rs),
 * double-double, for the p = intercept + nx design columns.  scale holds p
 * powers of two (applied to Z before the product, so that huge Z and r
 * cannot overflow it); c may be NULL (zero).  acc holds 2 p doubles of
 * scratch; on return it holds the sums before their final rounding, hi
 * (p) then lo (p): the MPI layer merges them across ranks
 * (src/lstsq/tsqr.h). */
void mg__xgemv_t(const double *X, size_t ldx, size_t N, size_t nx, int intercept,
                 const double *scale, const double *r, size_t rs, const double *c, double *g,
                 double *acc);

/* The kernels above with their instruction-set variant chosen by the
 * caller (tests): 1 for the AVX2+FMA clone (where the CPU has it: check
 * mg__xdot_fma_variant()), 0 for the generic one.  Both give the same bits. */
MG__MUST_USE int mg__xdot_fma_variant(void);
void mg__xresid_isa(const double *X, size_t ldx, size_t nx, int intercept, const double *Bt,
                    size_t ldbt, size_t k, const double *Y, size_t ldy, const double *Rin,
                    size_t ldr, double *F, size_t ldf, size_t i0, size_t i1, int fma_variant);
void mg__xgemv_t_isa(const double *X, size_t ldx, size_t N, size_t nx, int intercept,
                     const double *scale, const double *r, size_t rs, const double *c,
                     double *g, double *acc, int fma_variant);

/* sum_i (v_i - shift)^2 over n entries with stride vs.  The deviation is
 * formed exactly (TwoSum) and the squares summed in long double: its 64-bit
 * significand keeps the sum to ~1e-19 n relative, and its exponent range
 * means squares of any finite doubles cannot overflow. */
long double mg__xsumsq(const double *v, size_t n, size_t vs, double shift);

/* sum_i v_i over n entries with stride vs, in long double. */
long double mg__xsum(const double *v, size_t n, size_t vs);

#endif /* MATGRAD_XDOT_H */
