/* SPDX-License-Identifier: BSD-3-Clause */
/* fit: the range guard.  A state keeps sums of products of its rows (GRAM)
 * or a triangle whose entries are squared by the statistics (QR); a column
 * whose magnitudes sit near the ends of the exponent range would under- or
 * overflow there and leave, say, a zero diagonal for a nonzero column: a
 * wrong rank and a wrong answer.  Each state therefore remembers every
 * column's largest weighted magnitude, and finish and refine refuse
 * (MG_ERANGE) outside [2^-MG__FIT_RANGE, 2^MG__FIT_RANGE]. */
#include "fit_internal.h"
#include "kernels/cpu.h"

#include <math.h>

/* The loops over a block's rows are inlined into a portable and an AVX-512
 * copy of mg__fit_range_rows (below): compare-and-select and fabs are
 * exact, so both give the same bits, and 8 lanes instead of SSE2's 2 keep
 * the pass, run on every block the Gram kernel has just read, small next
 * to it. */
#define RANGE_INLINE static inline __attribute__((always_inline))

/* cmax[j] = max(cmax[j], |v_j| s) over one row v of n values: written as a
 * compare-and-select (not fmax, a libm call where NaN rules must hold) so
 * that the compiler vectorises it; the rows are finite (checked before). */
RANGE_INLINE void row_max(double *restrict cmax, const double *restrict v, size_t n, double s)
{
    for (size_t j = 0; j < n; j++) {
        const double a = fabs(v[j]) * s;
        cmax[j] = a > cmax[j] ? a : cmax[j];
    }
}

void mg__fit_range_begin(mg_fit *fit)
{
    double *call = fit->cmax + fit->p + fit->k;
    for (size_t j = 0; j < fit->p + fit->k; j++)
        call[j] = 0.0;
    for (size_t j = 0; j < fit->p; j++) {
        fit->xmin[fit->p + j] = INFINITY;
        fit->xmax[fit->p + j] = -INFINITY;
    }
}

/* The call's smallest and largest value of each column of X (the
 * constant-column test of mg__fit_about_mean), over one row of nonzero
 * weight; compare-and-select, as row_max. */
RANGE_INLINE void row_minmax(double *restrict mn, double *restrict mx, const double *restrict v,
                       size_t n)
{
    for (size_t j = 0; j < n; j++) {
        mn[j] = v[j] < mn[j] ? v[j] : mn[j];
        mx[j] = v[j] > mx[j] ? v[j] : mx[j];
    }
}

/* Four rows of X at once, all of nonzero weight (scales s[0..3] > 0): the
 * weighted maxima and the minima and maxima in one sweep, each running value
 * read and written once per four rows (row by row, these loops cost a large
 * part of the Gram kernel's time). */
RANGE_INLINE void rows4_range(double *restrict cmax, double *restrict mn, double *restrict mx,
                        const double *restrict v, size_t ld, size_t n, const double *s)
{
    const double *v1 = v + ld, *v2 = v1 + ld, *v3 = v2 + ld;
    for (size_t j = 0; j < n; j++) {
        const double a0 = fabs(v[j]) * s[0], a1 = fabs(v1[j]) * s[1];
        const double a2 = fabs(v2[j]) * s[2], a3 = fabs(v3[j]) * s[3];
        const double b0 = a0 > a1 ? a0 : a1, b1 = a2 > a3 ? a2 : a3, b = b0 > b1 ? b0 : b1;
        cmax[j] = b > cmax[j] ? b : cmax[j];
        const double l0 = v[j] < v1[j] ? v[j] : v1[j], l1 = v2[j] < v3[j] ? v2[j] : v3[j];
        const double h0 = v[j] > v1[j] ? v[j] : v1[j], h1 = v2[j] > v3[j] ? v2[j] : v3[j];
        const double l = l0 < l1 ? l0 : l1, h = h0 > h1 ? h0 : h1;
        mn[j] = l < mn[j] ? l : mn[j];
        mx[j] = h > mx[j] ? h : mx[j];
    }
}

/* The same over four rows at once, scales s[0..3]: the running maxima are
 * read and written once per four rows instead of once per row (the loop
 * cost a large part of the Gram kernel's time row by row). */
RANGE_INLINE void rows4_max(double *restrict cmax, const double *restrict v, size_t ld, size_t n,
                      const double *s)
{
    const double *v1 = v + ld, *v2 = v1 + ld, *v3 = v2 + ld;
    for (size_t j = 0; j < n; j++) {
        const double a0 = fabs(v[j]) * s[0], a1 = fabs(v1[j]) * s[1];
        const double a2 = fabs(v2[j]) * s[2], a3 = fabs(v3[j]) * s[3];
        const double b0 = a0 > a1 ? a0 : a1, b1 = a2 > a3 ? a2 : a3, b = b0 > b1 ? b0 : b1;
        cmax[j] = b > cmax[j] ? b : cmax[j];
    }
}

/* sqrt(w_i) of row i (1 without weights), 0 for a row of weight zero (it
 * is in no sum, so its magnitude does not count): |v| sqrt(w) without
 * forming a product that could overflow first. */
RANGE_INLINE double row_scale(const mg_matrix *w, size_t i)
{
    if (!w)
        return 1.0;
    const double wi = w->data[i * w->stride];
    return wi == 0.0 ? 0.0 : sqrt(wi);
}

/* Four rows' minima and maxima per column, each running value read and
 * written once per four rows. */
RANGE_INLINE void rows4_minmax(double *restrict mn, double *restrict mx, const double *restrict v,
                               size_t ld, size_t n)
{
    const double *v1 = v + ld, *v2 = v1 + ld, *v3 = v2 + ld;
    for (size_t j = 0; j < n; j++) {
        const double l0 = v[j] < v1[j] ? v[j] : v1[j], l1 = v2[j] < v3[j] ? v2[j] : v3[j];
        const double h0 = v[j] > v1[j] ? v[j] : v1[j], h1 = v2[j] > v3[j] ? v2[j] : v3[j];
        const double l = l0 < l1 ? l0 : l1, h = h0 > h1 ? h0 : h1;
        mn[j] = l < mn[j] ? l : mn[j];
        mx[j] = h > mx[j] ? h : mx[j];
    }
}

/* Without weights every scale is 1, and an X column's largest magnitude so
 * far is max(-min, max) of its values so far, exactly: the pass over the
 * rows keeps only the minima and maxima (two compare-and-selects a value
 * instead of an and, a multiply and three), and the maxima follow. */
/* The unweighted range once X's minima and maxima include rows [i0, i1):
 * X's largest magnitudes from them, Y's from its rows. */
RANGE_INLINE void range_tail_unweighted(mg_fit *fit, const mg_matrix *Y, size_t i0, size_t i1)
{
    static const double one[4] = { 1.0, 1.0, 1.0, 1.0 };
    const size_t p = fit->p, k = fit->k;
    double *call = fit->cmax + p + k, *mn = fit->xmin + p, *mx = fit->xmax + p;
    for (size_t j = 0; j < p && i1 > i0; j++) {
        const double a = -mn[j] > mx[j] ? -mn[j] : mx[j];
        call[j] = a > call[j] ? a : call[j];
    }
    size_t i = i0;
    for (; i + 4 <= i1; i += 4)
        rows4_max(call + p, Y->data + i * Y->stride, Y->stride, k, one);
    for (; i < i1; i++)
        row_max(call + p, Y->data + i * Y->stride, k, 1.0);
}

RANGE_INLINE void range_rows_unweighted(mg_fit *fit, const mg_matrix *X, const mg_matrix *Y,
                                        size_t i0, size_t i1)
{
    const size_t p = fit->p;
    double *mn = fit->xmin + p, *mx = fit->xmax + p;
    size_t i = i0;
    for (; p && i + 4 <= i1; i += 4)
        rows4_minmax(mn, mx, X->data + i * X->stride, X->stride, p);
    for (; p && i < i1; i++)
        row_minmax(mn, mx, X->data + i * X->stride, p);
    range_tail_unweighted(fit, Y, i0, i1);
}

void mg__fit_range_rows_gram(mg_fit *fit, const mg_matrix *Y, size_t i0, size_t i1)
{
    range_tail_unweighted(fit, Y, i0, i1);
}

RANGE_INLINE void range_rows(mg_fit *fit, const mg_matrix *X, const mg_matrix *Y,
                             const mg_matrix *w, size_t i0, size_t i1)
{
    if (!w) {
        range_rows_unweighted(fit, X, Y, i0, i1);
        return;
    }
    const size_t p = fit->p, k = fit->k;
    double *call = fit->cmax + p + k, *mn = fit->xmin + p, *mx = fit->xmax + p;
    size_t i = i0;
    for (; i + 4 <= i1; i += 4) {
        const double s[4] = { row_scale(w, i), row_scale(w, i + 1), row_scale(w, i + 2),
                              row_scale(w, i + 3) };
        const double *x = p ? X->data + i * X->stride : NULL;
        if (p && s[0] > 0.0 && s[1] > 0.0 && s[2] > 0.0 && s[3] > 0.0) {
            rows4_range(call, mn, mx, x, X->stride, p, s);
        } else if (p) {
            /* a row of zero weight among the four: in no sum, not in the range */
            rows4_max(call, x, X->stride, p, s);
            for (int r = 0; r < 4; r++)
                if (s[r] > 0.0)
                    row_minmax(mn, mx, x + (size_t)r * X->stride, p);
        }
        rows4_max(call + p, Y->data + i * Y->stride, Y->stride, k, s);
    }
    for (; i < i1; i++) {
        const double s = row_scale(w, i);
        if (p) {
            row_max(call, X->data + i * X->stride, p, s);
            if (s > 0.0)
                row_minmax(mn, mx, X->data + i * X->stride, p);
        }
        row_max(call + p, Y->data + i * Y->stride, k, s);
    }
}

#ifdef MG__CPU_X86
__attribute__((target("avx512f,avx2")))
static void range_rows_avx512(mg_fit *fit, const mg_matrix *X, const mg_matrix *Y,
                              const mg_matrix *w, size_t i0, size_t i1)
{
    range_rows(fit, X, Y, w, i0, i1);
}
#endif

void mg__fit_range_rows(mg_fit *fit, const mg_matrix *X, const mg_matrix *Y, const mg_matrix *w,
                        size_t i0, size_t i1)
{
#ifdef MG__CPU_X86
    if (mg__cpu_has_avx512()) {
        range_rows_avx512(fit, X, Y, w, i0, i1);
        return;
    }
#endif
    range_rows(fit, X, Y, w, i0, i1);
}

void mg__fit_range_commit(mg_fit *fit)
{
    const double *call = fit->cmax + fit->p + fit->k;
    row_max(fit->cmax, call, fit->p + fit->k, 1.0);
    mg__fit_xrange_merge(fit, fit->xmin + fit->p, fit->xmax + fit->p);
}

void mg__fit_xrange_merge(mg_fit *fit, const double *mn, const double *mx)
{
    for (size_t j = 0; j < fit->p; j++) {
        fit->xmin[j] = mn[j] < fit->xmin[j] ? mn[j] : fit->xmin[j];
        fit->xmax[j] = mx[j] > fit->xmax[j] ? mx[j] : fit->xmax[j];
    }
}

mg_status mg__fit_check_range(const mg_fit *fit)
{
    const double lo = ldexp(1.0, -MG__FIT_RANGE), hi = ldexp(1.0, MG__FIT_RANGE);
    for (size_t j = 0; j < fit->p + fit->k; j++) {
        const double v = fit->cmax[j];
        if (v != 0.0 && !(v >= lo && v <= hi))
            return MG_ERANGE;
    }
    /* the weights themselves enter the means and the weight sum */
    if (fit->wsum != 0.0 && !(fit->wsum >= lo && fit->wsum <= hi))
        return MG_ERANGE;
    return MG_OK;
}
