/* SPDX-License-Identifier: BSD-3-Clause */
/* Student's t and Fisher's F through the regularized incomplete beta
 * function (docs/derivations.md, "Distributions of the test statistics").
 *
 * PROVISIONAL: a continued fraction (modified Lentz) for I_x(a, b) and
 * quantiles by bisection over the bit patterns of doubles.  Accurate to
 * about 1e-12 in the body of the distributions; to be replaced by the
 * DiDonato-Morris algorithm (ACM TOMS 708) with Newton quantiles. */
#include "matgrad/dist.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* The continued fraction of I_x(a, b) (x < (a + 1) / (a + b + 2)), without
 * the front factor. */
static double beta_cf(double x, double a, double b)
{
    const double tiny = 1e-300;
    double c = 1.0, d = 1.0 - (a + b) * x / (a + 1.0);
    if (fabs(d) < tiny)
        d = tiny;
    d = 1.0 / d;
    double h = d;
    for (int m = 1; m <= 100000; m++) {
        double m2 = 2.0 * m;
        double aa = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
        d = 1.0 + aa * d;
        d = fabs(d) < tiny ? tiny : d;
        c = 1.0 + aa / c;
        c = fabs(c) < tiny ? tiny : c;
        d = 1.0 / d;
        h *= d * c;
        aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
        d = 1.0 + aa * d;
        d = fabs(d) < tiny ? tiny : d;
        c = 1.0 + aa / c;
        c = fabs(c) < tiny ? tiny : c;
        d = 1.0 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1.0) < 1e-16)
            break;
    }
    return h;
}

/* I_x(a, b) with y = 1 - x given separately (it may be known more
 * accurately than 1 - x); lower selects I_x or 1 - I_x. */
static double beta_inc_xy(double x, double y, double a, double b, int lower)
{
    if (x <= 0.0)
        return lower ? 0.0 : 1.0;
    if (y <= 0.0)
        return lower ? 1.0 : 0.0;
    if (x > (a + 1.0) / (a + b + 2.0))
        return beta_inc_xy(y, x, b, a, !lower);
    double lfront = a * log(x) + b * log(y) + lgamma(a + b) - lgamma(a) - lgamma(b);
    double v = exp(lfront) * beta_cf(x, a, b) / a;
    return lower ? v : 1.0 - v;
}

double mg_beta_inc(double x, double a, double b, int lower_tail)
{
    if (isnan(x) || isnan(a) || isnan(b) || !(a > 0.0) || !(b > 0.0) || x < 0.0 || x > 1.0)
        return NAN;
    return beta_inc_xy(x, 1.0 - x, a, b, lower_tail);
}

static double normal_upper(double z)
{
    return 0.5 * erfc(z / sqrt(2.0));
}

double mg_t_cdf(double t, double df, int lower_tail)
{
    if (isnan(t) || isnan(df) || !(df > 0.0))
        return NAN;
    double upper_of_abs;
    if (isinf(df))
        upper_of_abs = normal_upper(fabs(t));
    else if (isinf(t))
        upper_of_abs = 0.0;
    else {
        /* P[T > |t|] = I_x(df/2, 1/2) / 2,  x = df / (df + t^2). */
        double t2 = t * t;
        double x, y;
        if (t2 > df) {
            x = df / (df + t2);
            y = t2 / (df + t2);
        } else {
            y = t2 / (df + t2);
            x = 1.0 - y;
        }
        upper_of_abs = 0.5 * beta_inc_xy(x, y, 0.5 * df, 0.5, 1);
    }
    int want_upper = (t >= 0.0) == !lower_tail;
    return want_upper ? upper_of_abs : 1.0 - upper_of_abs;
}

double mg_f_cdf(double f, double df1, double df2, int lower_tail)
{
    if (isnan(f) || isnan(df1) || isnan(df2) || !(df1 > 0.0) || !(df2 > 0.0))
        return NAN;
    if (f <= 0.0)
        return lower_tail ? 0.0 : 1.0;
    if (isinf(f))
        return lower_tail ? 1.0 : 0.0;
    /* P[F <= f] = I_x(df1/2, df2/2),  x = df1 f / (df1 f + df2). */
    double u = df1 * f, den = u + df2;
    return beta_inc_xy(u / den, df2 / den, 0.5 * df1, 0.5 * df2, lower_tail);
}

/* Doubles >= 0 in order are their bit patterns in order. */
static double from_bits(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static uint64_t to_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

/* The smallest x >= 0 with g(x) >= target for an increasing g. */
static double bisect_bits(double (*g)(double, const double *), const double *par, double target)
{
    uint64_t lo = 0, hi = to_bits(DBL_MAX);
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (g(from_bits(mid), par) >= target)
            hi = mid;
        else
            lo = mid;
    }
    return from_bits(hi);
}

/* Increasing in x: the t upper tail's complement measured as -P[T > x]. */
static double neg_t_upper(double x, const double *par)
{
    return -mg_t_cdf(x, par[0], 0);
}

double mg_t_quantile(double p, double df, int lower_tail)
{
    if (isnan(p) || isnan(df) || !(df > 0.0) || p < 0.0 || p > 1.0)
        return NAN;
    /* The answer's sign, and q = P[T > |t|] <= 1/2 from the given tail. */
    int negative = lower_tail ? p < 0.5 : p > 0.5;
    double q = p <= 0.5 ? p : 1.0 - p;
    if (q == 0.0)
        return negative ? -INFINITY : INFINITY;
    double par[1] = { df };
    double t = bisect_bits(neg_t_upper, par, -q);
    return negative ? -t : t;
}

static double f_lower(double x, const double *par)
{
    return mg_f_cdf(x, par[0], par[1], 1);
}

static double neg_f_upper(double x, const double *par)
{
    return -mg_f_cdf(x, par[0], par[1], 0);
}

double mg_f_quantile(double p, double df1, double df2, int lower_tail)
{
    if (isnan(p) || isnan(df1) || isnan(df2) || !(df1 > 0.0) || !(df2 > 0.0) || p < 0.0 ||
        p > 1.0)
        return NAN;
    double par[2] = { df1, df2 };
    if (lower_tail)
        return p == 1.0 ? INFINITY : bisect_bits(f_lower, par, p);
    return p == 0.0 ? INFINITY : bisect_bits(neg_f_upper, par, -p);
}
