/* SPDX-License-Identifier: BSD-3-Clause */
/* The regularized incomplete beta ratio I_x(a, b) and its complement, each
 * computed directly to a few eps relative (docs/derivations.md,
 * "Distributions of the test statistics"): a front factor x^a y^b / B(a, b)
 * free of cancellation, times a positive hypergeometric series (small x) or
 * the even part of the continued fraction written in lambda = a - (a + b) x
 * (elsewhere). */
#include "matgrad/dist.h"

#include "dist_internal.h"

#include <float.h>
#include <math.h>

/* log(x / x0) - u, x0 = a / (a + b) the mean, u = x / x0 - 1 given, lx = log x. */
static double log_ratio_m1(double u, double x, double lx, double a, double b)
{
    if (u >= -0.5)
        return mg__log1pmx(u);
    /* x well below x0: 1 + u has lost digits; x (a + b) / a carries 2
     * roundings, an absolute 2 eps in its log, unless it leaves the normal
     * range, where log x - log x0 errs by eps (|log x| + |log x0|). */
    double r = x * ((a + b) / a);
    if (r >= DBL_MIN)
        return log(r) - u;
    return (lx + log1p(b / a)) - u;
}

/* log(x^a y^b / B(a, b)) from the deviance: with x0 = a / (a + b),
 * u = x / x0 - 1 = d / a and v = y / y0 - 1 = -d / b,
 * log front = a (log(1 + u) - u) + b (log(1 + v) - v) + log sqrt(ab / (2 pi (a + b)))
 *             + delta(a + b) - delta(a) - delta(b),
 * because a u + b v = 0; both deviance terms are <= 0, so nothing cancels. */
static double lfront_deviance(const mg__beta_arg *g, double *size)
{
    double a = g->a, b = g->b;
    double u = g->d / a, v = -g->d / b;
    double ta = a * log_ratio_m1(u, g->x, g->lx, a, b);
    double tb = b * log_ratio_m1(v, g->y, g->ly, b, a);
    double p = fmin(a, b), q = fmax(a, b);
    double lhm = log(p) - log1p(p / q);
    *size = fabs(ta) + fabs(tb);
    return ta + tb + 0.5 * lhm - MG__LN_SQRT_2PI + mg__stirlerr(a + b) - mg__stirlerr(a) -
           mg__stirlerr(b);
}

/* x^a as m 2^e2: by pow when x < 1/2 (x exact to an ulp or two, so the
 * relative error is about a eps), else exp(a log x) with log x = log1p(-y)
 * exact (error about |a log x| eps).  *err collects these error factors.
 * The binary exponent is split off exactly (x = f 2^k, k a = hi + lo by
 * fma) so that x^a below the smallest double still has full precision when
 * 1 / B(a, b) brings the product back into range. */
static double power(double x, double lx, double a, int *e2, double *err)
{
    *e2 = 0;
    if (x >= 0.5) {
        *err += fabs(a * lx) + 1.0;
        return exp(a * lx);
    }
    *err += a + 2.0;
    int k;
    double f = frexp(x, &k);
    double ka = k * a, ka_lo = fma((double)k, a, -ka);
    double fl = floor(ka);
    if (!(fabs(fl) < 1e8))
        return 0.0;   /* the deviance form takes over */
    *e2 = (int)fl;
    /* 2^(ka - fl) with ka - fl in [0, 1) exact, times 2^ka_lo = 1 + ka_lo ln 2 */
    return pow(f, a) * exp2(ka - fl) * (1.0 + ka_lo * MG__LN2);
}

/* front = x^a y^b / B(a, b) and its log: by powers when that form is the
 * more accurate (a power-law tail: exp of a large log would lose |log P| eps)
 * and representable, else from the deviance. */
static void front_factor(const mg__beta_arg *g, double *front, double *lfront)
{
    double size;
    double ldev = lfront_deviance(g, &size);
    double err = 0.0;
    int ex, ey;
    double xa = power(g->x, g->lx, g->a, &ex, &err);
    double yb = power(g->y, g->ly, g->b, &ey, &err);
    double lb = mg__lbeta(g->a, g->b);
    err += fabs(lb);
    double fp = ldexp(xa * yb * exp(-lb), ex + ey);
    if (err < size && fp >= DBL_MIN && isfinite(fp)) {
        *front = fp;
        *lfront = log(fp);
        return;
    }
    *lfront = ldev;
    *front = exp(ldev);
}

/* I_x(a, b) = front / a * 2F1(a + b, 1; a + 1; x) = front / a * sum_j t_j,
 * t_0 = 1, t_j = t_{j-1} (a + b + j - 1) x / (a + j): positive terms. */
static double beta_series(double a, double b, double x)
{
    double sum = 1.0, t = 1.0;
    for (int j = 1; j < 2000; j++) {
        t *= (a + b + j - 1) * x / (a + j);
        sum += t;
        if (t <= 0.25 * DBL_EPSILON * sum)
            break;
    }
    return sum;
}

/* The even part of the continued fraction I_x(a, b) = front / a * 1 / K,
 *   K = beta_0 + alpha_1 / (beta_1 + alpha_2 / (beta_2 + ...)),
 *   beta_0 = (1 + lambda) / (a + 1),
 *   beta_m = ((1 + lambda)(a - 1) + 2 m (a + m)(1 + y)) / ((a + 2m - 1)(a + 2m + 1)),
 *   alpha_m = m (b - m)(a + m - 1)(a + b + m - 1) x^2 / ((a + 2m - 2)(a + 2m - 1)^2 (a + 2m)),
 * lambda = a - (a + b) x = -d; written with lambda and y the beta_m hold no
 * cancellation when x is near 1 (derivations.md). */
static void cf_terms(double a, double b, double x, double y, double lambda, int m, double *alpha,
                     double *beta)
{
    double a2m = a + 2.0 * m;
    *beta = ((1.0 + lambda) * (a - 1.0) + 2.0 * m * (a + m) * (1.0 + y)) / ((a2m - 1.0) * (a2m + 1.0));
    *alpha = m * (b - m) * (a + m - 1.0) * (a + b + m - 1.0) / ((a2m - 2.0) * a2m) *
             (x / (a2m - 1.0)) * (x / (a2m - 1.0));
}

/* The modified Lentz iteration finds how many terms converge K; K itself is
 * then evaluated from that term backwards, where each rounding error is
 * damped instead of accumulating over the product of the Lentz factors
 * (which costs about sqrt(n) eps after n terms, and n reaches thousands
 * when a is large and x near 1). */
static double beta_cfrac(double a, double b, double x, double y, double lambda)
{
    const double tiny = 1e-300;
    double beta0 = (1.0 + lambda) / (a + 1.0);
    double f = fabs(beta0) < tiny ? tiny : beta0;
    double c = f, dd = 0.0, alpha, beta;
    int n = 1;
    for (; n < 100000; n++) {
        cf_terms(a, b, x, y, lambda, n, &alpha, &beta);
        dd = beta + alpha * dd;
        if (fabs(dd) < tiny)
            dd = tiny;
        c = beta + alpha / c;
        if (fabs(c) < tiny)
            c = tiny;
        dd = 1.0 / dd;
        double del = c * dd;
        f *= del;
        if (fabs(del - 1.0) <= 0.5 * DBL_EPSILON)
            break;
    }
    if (n <= 8)
        return 1.0 / f;
    double k = 0.0;   /* the tail beyond term n, already below rounding */
    for (int m = n; m >= 1; m--) {
        cf_terms(a, b, x, y, lambda, m, &alpha, &beta);
        k = alpha / (beta + k);
    }
    return 1.0 / (beta0 + k);
}

void mg__beta_tail(const mg__beta_arg *arg, mg__tail *out)
{
    front_factor(arg, &out->front, &out->lfront);
    mg__beta_arg g = *arg;
    out->upper = 0;
    /* Below the mean a / (a + b) (d < 0) I_x is the smaller tail or near
     * 1/2 (at most 0.75 for a >= 1/4); above it, work with I_y(b, a) =
     * 1 - I_x(a, b), so the tail asked for is either computed directly or as
     * 1 - s with s <= 0.75. */
    if (g.d > 0.0) {
        mg__beta_arg h = { g.b, g.a, g.y, g.x, g.ly, g.lx, -g.d };
        g = h;
        out->upper = 1;
    }
    double r;   /* s = front * r / a */
    if (g.x <= 0.5 && (g.a + g.b) * g.x <= 0.7 * (g.a + 1.0)) {
        r = beta_series(g.a, g.b, g.x);
    } else if (g.y <= 0.5 && (g.a + g.b) * g.y <= 0.4 * (g.b + 1.0)) {
        /* Near the mean with b small and a large (t near 1 at large df) the
         * fraction needs O(sqrt(a)) terms while the other side's series
         * converges like exp(b y) in a few: take it, then s = 1 - s', where
         * the bound on its ratio keeps s' <~ 0.75 (at most 3 eps lost). */
        double sp = out->front * (beta_series(g.b, g.a, g.y) / g.b);
        out->s = 1.0 - sp;
        out->ls = log1p(-sp);
        return;
    } else {
        r = beta_cfrac(g.a, g.b, g.x, g.y, -g.d);
    }
    r /= g.a;
    out->s = out->front * r;
    out->ls = out->lfront + log(r);
}

double mg_beta_inc(double x, double a, double b, int lower_tail)
{
    if (isnan(x) || isnan(a) || isnan(b) || !(a > 0.0) || !(b > 0.0) || x < 0.0 || x > 1.0)
        return NAN;
    if (x == 0.0 || x == 1.0)
        return (x == 0.0) == (lower_tail != 0) ? 0.0 : 1.0;
    if (isinf(a) || isinf(b))
        return NAN;
    double y = 1.0 - x;   /* exact for x >= 1/2 */
    mg__beta_arg g = { a, b, x, y, log(x), log1p(-x), b * x - a * y };
    mg__tail t;
    mg__beta_tail(&g, &t);
    int want_upper = !lower_tail;
    return want_upper == t.upper ? t.s : 1.0 - t.s;
}
