/* SPDX-License-Identifier: BSD-3-Clause */
/* fit: the summary statistics every fit path reports (mg_fit_finish and
 * mg_lstsq's in-memory QR/SVD path), in one place.  Long double: RSS and
 * TSS of finite data may exceed the double range. */
#include "fit_internal.h"

#include <string.h>

void mg__fit_summary(long double rss, long double tss, size_t df, size_t dft, double *sd,
                     double *r2, double *ar2)
{
    *sd = df > 0 ? (double)sqrtl(rss / (long double)df) : NAN;
    *r2 = tss > 0.0L ? (double)(1.0L - rss / tss) : NAN;
    /* adjusted: the residual and total variances with their degrees of
     * freedom, n - rank and n - 1 (about the mean) or n (R's summary.lm) */
    *ar2 = (tss > 0.0L && df > 0 && dft > 0)
               ? (double)(1.0L - (rss / (long double)df) / (tss / (long double)dft))
               : NAN;
}

void mg__fit_result_vectors(mg_lstsq_result *res, size_t k, const double *sd, const double *r2,
                            const double *ar2)
{
    if (res->residual_sd)
        memcpy(res->residual_sd, sd, k * sizeof *sd);
    if (res->r_squared)
        memcpy(res->r_squared, r2, k * sizeof *r2);
    if (res->adj_r_squared)
        memcpy(res->adj_r_squared, ar2, k * sizeof *ar2);
}
