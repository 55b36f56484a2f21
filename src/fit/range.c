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

void mg__fit_track_range(mg_fit *fit, const mg_matrix *X, const mg_matrix *Y, const mg_matrix *w,
                         size_t N)
{
    const size_t p = fit->p, k = fit->k;
    for (size_t i = 0; i < N; i++) {
        const double wi = w ? w->data[i * w->stride] : 1.0;
        if (wi == 0.0)
            continue;
        /* |v| sqrt(w) without forming a product that could overflow first */
        const double sw = sqrt(wi);
        for (size_t j = 0; j < p; j++)
            fit->cmax[j] = fmax(fit->cmax[j], fabs(X->data[i * X->stride + j]) * sw);
        for (size_t c = 0; c < k; c++)
            fit->cmax[p + c] = fmax(fit->cmax[p + c], fabs(Y->data[i * Y->stride + c]) * sw);
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
