/* SPDX-License-Identifier: BSD-3-Clause */
/* LOWESS (see lowess.h). */
#include "lowess.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Tricube weight of a point at distance r from the fit point, window
 * half-width h (exactly 1 very near, 0 at and beyond 0.999 h), times its
 * robustness weight. */
static double tricube(double r, double h, double rw)
{
    if (r > 0.999 * h)
        return 0.0;
    const double u = r / h;
    return (r <= 0.001 * h ? 1.0 : (1.0 - u * u * u) * (1.0 - u * u * u) * (1.0 - u * u * u)) * rw;
}

/* The weighted linear fit at xs from the window starting at lo: its ns
 * nearest points [lo, hi] and any point after hi still inside 0.999 h (a
 * lopsided window).  Returns 0 and sets *out, or -1 when every weight is
 * zero. */
static int fit_at(const double *x, const double *y, const double *rw, size_t n, double xs,
                  size_t lo, double h, double *out)
{
    double sw = 0.0, sx = 0.0;
    size_t end = lo; /* one past the last point in reach */
    /* the weights are computed twice rather than stored */
    for (; end < n; end++) {
        const double r = fabs(x[end] - xs);
        if (r > 0.999 * h && x[end] > xs)
            break;
        const double wj = tricube(r, h, rw[end]);
        sw += wj;
        sx += wj * x[end];
    }
    if (sw <= 0.0)
        return -1;
    const double mean = sx / sw;
    double sxx = 0.0, sxy = 0.0, sy = 0.0;
    for (size_t j = lo; j < end; j++) {
        const double wj = tricube(fabs(x[j] - xs), h, rw[j]) / sw;
        sy += wj * y[j];
        sxx += wj * (x[j] - mean) * (x[j] - mean);
        sxy += wj * (x[j] - mean) * y[j];
    }
    /* the local line through the weighted mean; a flat one when the
     * window's x spread is negligible against the data's range */
    const double range = x[n - 1] - x[0];
    double v = sy;
    if (sxx > 0.0 && sqrt(sxx) > 0.001 * range)
        v += (sxy / sxx) * (xs - mean);
    *out = v;
    return 0;
}

static int cmp(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One smoothing pass with robustness weights rw. */
static void smooth_pass(const double *x, const double *y, const double *rw, size_t n, size_t ns,
                        double delta, double *ys)
{
    size_t lo = 0, hi = ns - 1, last = 0, i = 0;
    int first = 1;
    while (i < n) {
        /* slide the window of ns points to be the nearest to x[i] */
        while (hi < n - 1 && x[i] - x[lo] > x[hi + 1] - x[i]) {
            lo++;
            hi++;
        }
        const double h = fmax(x[i] - x[lo], x[hi] - x[i]);
        if (fit_at(x, y, rw, n, x[i], lo, h, &ys[i]) != 0)
            ys[i] = y[i];
        /* interpolate the points skipped since the last fit */
        if (!first && i > last + 1) {
            const double dx = x[i] - x[last];
            for (size_t j = last + 1; j < i; j++) {
                const double a = dx > 0.0 ? (x[j] - x[last]) / dx : 0.0;
                ys[j] = a * ys[i] + (1.0 - a) * ys[last];
            }
        }
        first = 0;
        last = i;
        /* the next fit point: the last point within delta of x[last] (ties
         * take this fit's value) */
        const double cut = x[last] + delta;
        size_t next = last + 1;
        while (next < n && x[next] <= cut) {
            if (x[next] == x[last]) {
                ys[next] = ys[last];
                last = next;
            }
            next++;
        }
        i = next > last + 1 ? next - 1 : last + 1;
        if (i <= last)
            i = last + 1;
    }
}

int mgcli_lowess(const double *x, const double *y, size_t n, double f, int iter, double delta,
                 double *ys)
{
    if (n == 0)
        return 0;
    if (n == 1) {
        ys[0] = y[0];
        return 0;
    }
    size_t ns = (size_t)(f * (double)n + 1e-7);
    ns = ns < 2 ? 2 : ns > n ? n : ns;
    double *rw = malloc(n * sizeof *rw), *res = malloc(n * sizeof *res);
    if (!rw || !res) {
        free(rw);
        free(res);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        rw[i] = 1.0;
    for (int it = 0; it <= iter; it++) {
        smooth_pass(x, y, rw, n, ns, delta, ys);
        if (it == iter)
            break;
        for (size_t i = 0; i < n; i++)
            res[i] = fabs(y[i] - ys[i]);
        memcpy(rw, res, n * sizeof *rw);
        qsort(rw, n, sizeof *rw, cmp);
        const size_t m1 = n / 2;
        const double med = n % 2 ? rw[m1] : 0.5 * (rw[m1 - 1] + rw[m1]);
        const double cmad = 6.0 * med;
        double sc = 0.0;
        for (size_t i = 0; i < n; i++)
            sc += res[i];
        /* residuals already at rounding level against their mean size:
         * another pass would only reweight noise */
        if (!(cmad >= 1e-7 * sc / (double)n) || cmad == 0.0)
            break;
        /* bisquare robustness weights: exactly 1 for the smallest
         * residuals, 0 from 0.999 cmad on */
        for (size_t i = 0; i < n; i++) {
            const double r = res[i] / cmad;
            rw[i] = res[i] <= 0.001 * cmad ? 1.0 : res[i] <= 0.999 * cmad ? (1.0 - r * r) * (1.0 - r * r) : 0.0;
        }
    }
    free(rw);
    free(res);
    return 0;
}
