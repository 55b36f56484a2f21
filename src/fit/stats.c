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

int mg__fit_about_mean(const mg_fit *fit, size_t *col)
{
    *col = (size_t)-1;
    if (fit->ic)
        return 1;
    /* a column of X with one nonzero value on every row of nonzero weight:
     * the model's span holds the constant, so RSS <= TSS about the mean
     * and R^2, F compare with the constant-only model (mg_lstsq's rule).
     * Unknown ranges (a version-1 image): the intercept option alone, as
     * version 1 decided. */
    for (size_t j = 0; fit->xknown && fit->nonzero > 0 && j < fit->p; j++)
        if (fit->xmin[j] == fit->xmax[j] && fit->xmin[j] != 0.0) {
            *col = j;
            return 1;
        }
    return 0;
}

/* QR, no intercept, column j of X constant: TSS about the weighted mean is
 * the squared distance of W^(1/2) y to the span of W^(1/2) x_j (= c
 * W^(1/2) 1), and the state's R has the columns' inner products: with
 * v = R[:, j] / ||R[:, j]||, TSS = ||R[:, y] - v (v^T R[:, y])||^2, one
 * projection (a Householder step's accuracy: about eps ||y|| sqrt(TSS)
 * absolutely, as the intercept option's TSS from R's rows). */
static long double tss_qr_column(const mg_fit *f, size_t j, size_t c)
{
    const size_t n = f->n, yc = f->m + c;
    const double *x = f->S + j * n, *y = f->S + yc * n;
    long double xx = 0.0L, xy = 0.0L, t = 0.0L;
    for (size_t i = 0; i <= j; i++) {
        xx += (long double)x[i] * x[i];
        xy += (long double)x[i] * y[i];
    }
    const long double a = xy / xx;
    for (size_t i = 0; i <= yc; i++) {
        const long double d = (long double)y[i] - (i <= j ? a * x[i] : 0.0L);
        t += d * d;
    }
    return t;
}

long double mg__fit_state_tss(const mg_fit *f, size_t c)
{
    const size_t m = f->m, n = f->n, p = f->p;
    size_t col;
    const int centred = mg__fit_about_mean(f, &col);
    if (f->opt.kind == MG_FIT_QR) {
        if (centred && !f->ic)
            return tss_qr_column(f, col, c);
        /* rows ic .. m + c of y's column: its part outside the weighted
         * intercept column (with it), or all of it (without) */
        const double *y = f->S + (m + c) * n;
        long double t = 0.0L;
        for (size_t i = f->ic; i <= m + c; i++)
            t += (long double)y[i] * y[i];
        return t;
    }
    /* GRAM: centred co-moment with the intercept; raw moments without,
     * TSS = M_yy - M_jy^2 / M_jj for a constant column j (loses digits to
     * a big mean as GRAM's RSS does: about eps M_yy absolutely) */
    const long double yy = f->S[(p + c) * n + p + c];
    if (!centred || f->ic)
        return yy;
    const long double jy = f->S[(p + c) * n + col], jj = f->S[col * n + col];
    const long double t = yy - jy * (jy / jj);
    return t > 0.0L ? t : 0.0L;
}
