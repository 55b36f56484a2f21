/* SPDX-License-Identifier: BSD-3-Clause */
/* Student's t and Fisher's F distribution functions through the incomplete
 * beta ratio (and the incomplete gamma ratio for infinite degrees of
 * freedom) (docs/derivations.md, "Distributions of the test statistics"). */
#include "matgrad/dist.h"

#include "dist_internal.h"

#include <float.h>
#include <math.h>

/* The t tails at |t| from the two-sided tail T2 = P[|T| > |t|] or its
 * complement: P[T > |t|] = T2 / 2, P[T <= |t|] = 1 - T2 / 2.  s is T2 when
 * s_is_two, else 1 - T2; either way both tails are formed without
 * cancellation.  |d P / d log t| is the front factor in both cases. */
static void t_sides(const mg__tail *r, int s_is_two, mg__cdf *out)
{
    double s = r->s >= DBL_MIN ? r->s : exp(r->ls);
    if (s_is_two) {
        out->p[1] = 0.5 * s;
        out->lp[1] = r->ls - MG__LN2;
        out->p[0] = 1.0 - 0.5 * s;
        out->lp[0] = log1p(-0.5 * s);
    } else {
        out->p[1] = 0.5 * (1.0 - s);
        out->lp[1] = log1p(-s) - MG__LN2;
        out->p[0] = 0.5 + 0.5 * s;
        out->lp[0] = log1p(s) - MG__LN2;
    }
    out->lslope = r->lfront;
}

/* |t| > 1e150 and df < 1e100: x = df / (df + t^2) < 1e-200, so
 * I_x(df/2, 1/2) = x^(df/2) / ((df/2) B(df/2, 1/2)) to rounding, with
 * x^(df/2) = df^(df/2) t^-df: t^2 is never formed. */
static void t_huge(double t, double df, mg__cdf *out)
{
    double lb = mg__lbeta(0.5 * df, 0.5);
    double lfront = df * (0.5 * log(df) - log(t)) - lb;
    double fp = pow(df, 0.5 * df) * pow(t, -df) * exp(-lb);
    out->lp[1] = lfront - log(df);
    out->p[1] = fp >= DBL_MIN ? fp / df : exp(out->lp[1]);
    out->p[0] = 1.0 - out->p[1];
    out->lp[0] = log1p(-out->p[1]);
    out->lslope = lfront;
}

void mg__t_eval(double t, double df, mg__cdf *out)
{
    mg__tail r;
    if (t == 0.0 || isinf(t)) {
        double up = t == 0.0 ? 0.5 : 0.0;
        *out = (mg__cdf){ { 1.0 - up, up }, { log1p(-up), log(up) }, -INFINITY };
        return;
    }
    if (isinf(df)) {
        /* P[|Z| > t] = Q(1/2, t^2 / 2); |d P[Z > t] / d log t| = t phi(t) = the gamma front. */
        mg__gamma_tail(0.5, 0.5 * t * t, &r);
        t_sides(&r, r.upper, out);
        return;
    }
    if (t > 1e150 && df < 1e100) {
        t_huge(t, df, out);
        return;
    }
    if (t < 1e-150) {
        /* P[T > t] = 1/2 - t f(0) + O(t^3) rounds to 1/2; t f(0) = t / (sqrt(df) B(df/2, 1/2)). */
        *out = (mg__cdf){ { 0.5, 0.5 }, { -MG__LN2, -MG__LN2 },
                          log(t) - 0.5 * log(df) - mg__lbeta(0.5 * df, 0.5) };
        return;
    }
    /* P[|T| > t] = I_x(df/2, 1/2), x = df / (df + t^2), y = t^2 / (df + t^2),
     * from the ratio q = y / x = t^2 / df (or its inverse) so that x, y and
     * their logs are all accurate. */
    double a = 0.5 * df, x, y, lx, ly;
    double q = t <= 1e150 ? t * t / df : t * (t / df);
    if (q <= 1.0) {
        x = 1.0 / (1.0 + q);
        y = q / (1.0 + q);
        lx = -log1p(q);
        ly = log(q) - log1p(q);
    } else {
        double rr = t <= 1e150 ? df / (t * t) : (df / t) / t;
        x = rr / (1.0 + rr);
        y = 1.0 / (1.0 + rr);
        lx = log(rr) - log1p(rr);
        ly = -log1p(rr);
    }
    /* d = b x - a y = x (1 - t^2) / 2: (1 - t)(1 + t) is exact near t = 1. */
    double d = t < 2.0 ? 0.5 * (1.0 - t) * (1.0 + t) * x : 0.5 * x - a * y;
    mg__beta_arg g = { a, 0.5, x, y, lx, ly, d };
    mg__beta_tail(&g, &r);
    t_sides(&r, !r.upper, out);
}

/* Both F tails from s = the tail with index k (0 lower, 1 upper). */
static void f_sides(const mg__tail *r, int k, mg__cdf *out)
{
    double s = r->s >= DBL_MIN ? r->s : exp(r->ls);
    out->p[k] = s;
    out->lp[k] = r->ls;
    out->p[1 - k] = 1.0 - s;
    out->lp[1 - k] = log1p(-s);
    out->lslope = r->lfront;
}

void mg__f_eval(double f, double df1, double df2, mg__cdf *out)
{
    mg__tail r;
    if (isinf(df1) && isinf(df2)) {
        /* F = 1 with probability 1 */
        int above = f >= 1.0;
        *out = (mg__cdf){ { above, !above }, { above ? 0.0 : -INFINITY, above ? -INFINITY : 0.0 },
                          -INFINITY };
        return;
    }
    if (isinf(df2)) {
        /* df1 F -> chi-square(df1): P[F <= f] = P(df1/2, df1 f / 2) */
        mg__gamma_tail(0.5 * df1, 0.5 * df1 * f, &r);
        f_sides(&r, r.upper, out);
        return;
    }
    if (isinf(df1)) {
        /* df2 / F -> chi-square(df2): P[F > f] = P(df2/2, df2 / (2 f)) */
        mg__gamma_tail(0.5 * df2, 0.5 * df2 / f, &r);
        f_sides(&r, !r.upper, out);
        return;
    }
    /* P[F <= f] = I_x(df1/2, df2/2), x = df1 f / (df1 f + df2), from the
     * ratio s = x / y = df1 f / df2 (or its inverse, never overflowing). */
    double x, y, lx, ly;
    double s = df1 * f / df2;
    if (s <= 1.0) {
        x = s / (1.0 + s);
        y = 1.0 / (1.0 + s);
        lx = log(s) - log1p(s);
        ly = -log1p(s);
    } else {
        double rr = df2 / df1 / f;
        x = 1.0 / (1.0 + rr);
        y = rr / (1.0 + rr);
        lx = -log1p(rr);
        ly = log(rr) - log1p(rr);
    }
    /* d = b x - a y = (df1 / 2)(f - 1) y: f - 1 is exact near f = 1. */
    double d = 0.5 * df1 * (y * (f - 1.0));
    mg__beta_arg g = { 0.5 * df1, 0.5 * df2, x, y, lx, ly, d };
    mg__beta_tail(&g, &r);
    f_sides(&r, r.upper, out);
}

static double t_cdf(double t, double df, int lower_tail, int log_p)
{
    if (isnan(t) || isnan(df) || !(df > 0.0))
        return NAN;
    mg__cdf c;
    mg__t_eval(fabs(t), df, &c);
    int side = (lower_tail != 0) == (t < 0.0);   /* the tail beyond |t| */
    return log_p ? c.lp[side] : c.p[side];
}

double mg_t_cdf(double t, double df, int lower_tail)
{
    return t_cdf(t, df, lower_tail, 0);
}

double mg_t_logcdf(double t, double df, int lower_tail)
{
    return t_cdf(t, df, lower_tail, 1);
}

static double f_cdf(double f, double df1, double df2, int lower_tail, int log_p)
{
    if (isnan(f) || isnan(df1) || isnan(df2) || !(df1 > 0.0) || !(df2 > 0.0))
        return NAN;
    int side = lower_tail ? 0 : 1;
    if (f <= 0.0 || isinf(f)) {
        int one = (f > 0.0) == (side == 0);
        return log_p ? (one ? 0.0 : -INFINITY) : one;
    }
    mg__cdf c;
    mg__f_eval(f, df1, df2, &c);
    return log_p ? c.lp[side] : c.p[side];
}

double mg_f_cdf(double f, double df1, double df2, int lower_tail)
{
    return f_cdf(f, df1, df2, lower_tail, 0);
}

double mg_f_logcdf(double f, double df1, double df2, int lower_tail)
{
    return f_cdf(f, df1, df2, lower_tail, 1);
}
