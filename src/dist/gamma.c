/* SPDX-License-Identifier: BSD-3-Clause */
/* The regularized incomplete gamma ratios P(a, x) and Q(a, x) = 1 - P, the
 * infinite-df limits of t (the normal: Q(1/2, t^2/2) = P[|Z| > |t|]) and F
 * (chi-square) (docs/derivations.md, "Distributions of the test statistics"). */
#include "dist_internal.h"

#include <float.h>
#include <math.h>

/* log(x^a e^-x / Gamma(a)) = a (log(x/a) - (x/a - 1)) + log sqrt(a / (2 pi)) - delta(a):
 * the deviance form again, no cancellation between a log x and x. */
static double gamma_lfront(double a, double x)
{
    double u = (x - a) / a;
    double r = x / a;   /* one rounding, not the eps (|log x| + |log a|) of log x - log a */
    double dev = u >= -0.5 ? mg__log1pmx(u) : (r >= DBL_MIN ? log(r) : log(x) - log(a)) - u;
    return a * dev + 0.5 * log(a) - MG__LN_SQRT_2PI - mg__stirlerr(a);
}

/* P(a, x) = front / a * sum_n x^n / ((a + 1) ... (a + n)): positive terms. */
static double gamma_series(double a, double x)
{
    double sum = 1.0, t = 1.0;
    for (int n = 1; n < 1000000; n++) {
        t *= x / (a + n);
        sum += t;
        if (t <= 0.25 * DBL_EPSILON * sum)
            break;
    }
    return sum / a;
}

/* Q(a, x) = front * 1 / (x + 1 - a - 1 (1 - a) / (x + 3 - a - 2 (2 - a) / (x + 5 - a - ...))),
 * modified Lentz; for x > a + 1 every denominator is >= 2. */
static double gamma_cfrac(double a, double x)
{
    const double tiny = 1e-300;
    double bn = x + 1.0 - a;
    double c = 1.0 / tiny, dd = 1.0 / bn, h = dd;
    for (int n = 1; n < 1000000; n++) {
        double an = -n * (n - a);
        bn += 2.0;
        dd = an * dd + bn;
        if (fabs(dd) < tiny)
            dd = tiny;
        c = bn + an / c;
        if (fabs(c) < tiny)
            c = tiny;
        dd = 1.0 / dd;
        double del = dd * c;
        h *= del;
        if (fabs(del - 1.0) <= 0.5 * DBL_EPSILON)
            break;
    }
    return h;
}

void mg__gamma_tail(double a, double x, mg__tail *out)
{
    if (x == 0.0) {
        *out = (mg__tail){ 0.0, -INFINITY, 0.0, -INFINITY, 0 };
        return;
    }
    if (isinf(x)) {
        *out = (mg__tail){ 0.0, -INFINITY, 0.0, -INFINITY, 1 };
        return;
    }
    out->lfront = gamma_lfront(a, x);
    out->front = exp(out->lfront);
    double r;
    if (x < a + 1.0) {
        out->upper = 0;
        r = gamma_series(a, x);
    } else {
        out->upper = 1;
        r = gamma_cfrac(a, x);
    }
    out->s = out->front * r;
    out->ls = out->lfront + log(r);
}
