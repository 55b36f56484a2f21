/* SPDX-License-Identifier: BSD-3-Clause */
/* fit: the range guard.  A state keeps sums of products of its rows (GRAM)
 * or a triangle whose entries are squared by the statistics (QR); a column
 * whose magnitudes sit near the ends of the exponent range would under- or
 * overflow there and leave, say, a zero diagonal for a nonzero column: a
 * wrong rank and a wrong answer.  Each state therefore remembers every
 * column's largest weighted magnitude, and finish and refine refuse
 * (MG_ERANGE) outside [2^-MG__FIT_RANGE, 2^MG__FIT_RANGE]. */
#include "fit_internal.h"

#include <math.h>

/* cmax[j] = max(cmax[j], |v_j| s) over one row v of n values: written as a
 * compare-and-select (not fmax, a libm call where NaN rules must hold) so
 * that the compiler vectorises it; the rows are finite (checked before). */
static void row_max(double *restrict cmax, const double *restrict v, size_t n, double s)
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
}

void mg__fit_range_rows(mg_fit *fit, const mg_matrix *X, const mg_matrix *Y, const mg_matrix *w,
                        size_t i0, size_t i1)
{
    const size_t p = fit->p, k = fit->k;
    double *call = fit->cmax + p + k;
    for (size_t i = i0; i < i1; i++) {
        const double wi = w ? w->data[i * w->stride] : 1.0;
        if (wi == 0.0)
            continue;
        /* |v| sqrt(w) without forming a product that could overflow first */
        const double sw = w ? sqrt(wi) : 1.0;
        if (p)
            row_max(call, X->data + i * X->stride, p, sw);
        row_max(call + p, Y->data + i * Y->stride, k, sw);
    }
}

void mg__fit_range_commit(mg_fit *fit)
{
    const double *call = fit->cmax + fit->p + fit->k;
    row_max(fit->cmax, call, fit->p + fit->k, 1.0);
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
