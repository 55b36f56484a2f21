/* SPDX-License-Identifier: BSD-3-Clause */
/* Quantiles of t and F: Newton's iteration on the log of the smaller tail
 * probability in log x, safeguarded by a bracket (docs/derivations.md,
 * "Distributions of the test statistics"). */
#include "matgrad/dist.h"

#include "dist_internal.h"

#include <float.h>
#include <math.h>

typedef void (*cdf_eval)(double x, const double *par, mg__cdf *out);

static void t_ev(double x, const double *par, mg__cdf *out)
{
    mg__t_eval(x, par[0], out);
}

static void f_ev(double x, const double *par, mg__cdf *out)
{
    mg__f_eval(x, par[0], par[1], out);
}

/* The x > 0 with log P_side(x) = target.  g(s) = log P_side(e^s) - target is
 * monotone and nearly linear in s = log x in power-law tails, so Newton's
 * step in s, ds = -g / g'(s) with |g'(s)| = x f(x) / P, is taken as the
 * multiplicative update x e^ds (exact to rounding however large x is).
 * Every evaluation narrows a bracket [lo, hi]; a step leaving it is replaced
 * by the bracket's geometric midpoint.  The iteration stops when a step is
 * at rounding level, or stops shrinking at the level of the evaluation's own
 * rounding noise (then x is as good as the data allow). */
static double solve_log(cdf_eval ev, const double *par, int side, double target, double x)
{
    double lo = 0.0, hi = INFINITY, prev = INFINITY;
    for (int it = 0; it < 400; it++) {
        mg__cdf c;
        ev(x, par, &c);
        double g = c.lp[side] - target;
        if (g == 0.0)
            return x;
        int below = side ? g > 0.0 : g < 0.0;   /* x is left of the root */
        if (below) {
            lo = x;
            if (x == DBL_MAX)
                return INFINITY;
        } else {
            hi = x;
            if (x == DBL_TRUE_MIN)
                return 0.0;
        }
        double step = fabs(g) / exp(c.lslope - c.lp[side]);
        if (isnan(step) || step > 700.0)
            step = 700.0;
        if (!below)
            step = -step;
        double xn = x * exp(step);
        xn = fmin(fmax(xn, DBL_TRUE_MIN), DBL_MAX);
        if (fabs(step) <= 2.0 * DBL_EPSILON)
            return xn;
        if (fabs(step) < 1e-9 && fabs(step) >= 0.5 * prev)
            return xn;   /* noise floor */
        prev = fabs(step);
        if (!(xn > lo && xn < hi))
            xn = sqrt(lo) * sqrt(hi);
        if (hi < INFINITY && hi - lo <= 2.0 * DBL_EPSILON * hi)
            return xn;
        x = xn;
    }
    return x;
}

/* Newton's step on the probability itself, (P - p) / p over the slope of
 * log P in log x: near the root P - p is exact, so the error left is that of
 * P, a few eps, rather than eps |log p| from representing log p (which
 * matters in the far tails: cond * 230 eps at p = 1e-100).  For a p given as
 * a probability (p_lin > 0); two steps at most, each tiny. */
static double polish(cdf_eval ev, const double *par, int side, double p_lin, double x)
{
    for (int it = 0; it < 2 && x > 0.0 && x < INFINITY; it++) {
        mg__cdf c;
        ev(x, par, &c);
        double P = c.p[side];
        if (!(P >= DBL_MIN && p_lin >= DBL_MIN))
            break;
        double step = (P - p_lin) / p_lin / exp(c.lslope - c.lp[side]);
        if (!(fabs(step) <= 1e-8))
            break;   /* not converged on the log scale: leave x alone */
        x *= exp(side ? step : -step);
        if (fabs(step) <= DBL_EPSILON)
            break;
    }
    return x;
}

static double solve(cdf_eval ev, const double *par, int side, double target, double p_lin,
                    double x)
{
    x = solve_log(ev, par, side, target, x);
    return p_lin > 0.0 ? polish(ev, par, side, p_lin, x) : x;
}

/* The tail (0 lower, 1 upper) whose probability is at most 1/2 and the log of
 * that probability, from the caller's p (log p when log_p) of tail lower_tail:
 * 1 - p is exact for p >= 1/2, and -expm1 keeps log probabilities near 0
 * accurate. */
static void small_side(double p, int log_p, int lower_tail, int *side, double *lsmall,
                       double *psmall)
{
    int given = lower_tail ? 0 : 1;
    int flip = log_p ? p > -MG__LN2 : p > 0.5;
    *side = flip ? 1 - given : given;
    *psmall = 0.0;   /* a log p is polished on the log scale only */
    if (log_p)
        *lsmall = flip ? log(-expm1(p)) : p;
    else {
        *psmall = flip ? 1.0 - p : p;
        *lsmall = log(*psmall);
    }
}

/* A rough upper-tail normal quantile (error < 5e-4): Abramowitz & Stegun
 * 26.2.23, and the linear term near the median. */
static double z_rough(double lq)
{
    double q = exp(lq);
    if (q > 0.3)
        return 2.5066282746310002 * (0.5 - q);
    double r = sqrt(-2.0 * lq);
    return r - (2.515517 + r * (0.802853 + r * 0.010328)) /
                   (1.0 + r * (1.432788 + r * (0.189269 + r * 0.001308)));
}

/* Start for t: the smaller of a Cornish-Fisher correction of z and the
 * power-law tail P[T > t] ~ (sqrt(df) / t)^df / (df B(df/2, 1/2)); each
 * overshoots where the other applies. */
static double t_start(double lq, double df)
{
    double z = z_rough(lq);
    if (isinf(df))
        return z;
    double t1 = z * (1.0 + (z * z + 1.0) / (4.0 * df));
    double t2 = exp(0.5 * log(df) - (lq + log(df) + mg__lbeta(0.5 * df, 0.5)) / df);
    double t = fmin(t1, t2);
    return t > 0.0 ? t : t1;
}

static int bad_p(double p, int log_p)
{
    return isnan(p) || (log_p ? p > 0.0 : (p < 0.0 || p > 1.0));
}

static double t_quantile(double p, double df, int lower_tail, int log_p)
{
    if (bad_p(p, log_p) || isnan(df) || !(df > 0.0))
        return NAN;
    int side;
    double lq, pq;
    small_side(p, log_p, lower_tail, &side, &lq, &pq);
    double sign = side == 0 ? -1.0 : 1.0;   /* the lower tail is the small one left of 0 */
    if (lq == -INFINITY)
        return sign * INFINITY;
    if (lq >= -MG__LN2)
        return 0.0;
    double par[1] = { df };
    return sign * solve(t_ev, par, 1, lq, pq, t_start(lq, df));
}

double mg_t_quantile(double p, double df, int lower_tail)
{
    return t_quantile(p, df, lower_tail, 0);
}

double mg_t_quantile_log(double logp, double df, int lower_tail)
{
    return t_quantile(logp, df, lower_tail, 1);
}

/* Start for F in s = log f: log F is roughly normal about 0 with variance
 * 2/df1 + 2/df2; in the power-law tails P[F <= f] ~ x^a / (a B) and
 * P[F > f] ~ y^b / (b B).  Take the candidate nearer the median. */
static double f_start(int side, double lq, double df1, double df2)
{
    double z = z_rough(lq);
    double s = (side ? z : -z) * sqrt(2.0 / df1 + 2.0 / df2);
    if (isfinite(df1) && isfinite(df2)) {
        double a = 0.5 * df1, b = 0.5 * df2, lb = mg__lbeta(a, b);
        double sp = side ? log(df2 / df1) - (lq + log(b) + lb) / b
                         : log(df2 / df1) + (lq + log(a) + lb) / a;
        if ((sp > 0.0) == (side == 1) && fabs(sp) < fabs(s))
            s = sp;
    }
    return exp(fmin(fmax(s, -690.0), 690.0));
}

static double f_quantile(double p, double df1, double df2, int lower_tail, int log_p)
{
    if (bad_p(p, log_p) || isnan(df1) || isnan(df2) || !(df1 > 0.0) || !(df2 > 0.0))
        return NAN;
    double zero = log_p ? -INFINITY : 0.0, one = log_p ? 0.0 : 1.0;
    if (p == zero)
        return lower_tail ? 0.0 : INFINITY;
    if (p == one)
        return lower_tail ? INFINITY : 0.0;
    if (isinf(df1) && isinf(df2))
        return 1.0;
    int side;
    double lq, pq;
    small_side(p, log_p, lower_tail, &side, &lq, &pq);
    double par[2] = { df1, df2 };
    return solve(f_ev, par, side, lq, pq, f_start(side, lq, df1, df2));
}

double mg_f_quantile(double p, double df1, double df2, int lower_tail)
{
    return f_quantile(p, df1, df2, lower_tail, 0);
}

double mg_f_quantile_log(double logp, double df1, double df2, int lower_tail)
{
    return f_quantile(logp, df1, df2, lower_tail, 1);
}
