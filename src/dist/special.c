/* SPDX-License-Identifier: BSD-3-Clause */
/* Elementary pieces of the incomplete beta and gamma ratios that must not
 * cancel: log1p(u) - u, the Stirling remainder of log Gamma, and log B(a, b)
 * (docs/derivations.md, "Distributions of the test statistics"). */
#include "dist_internal.h"

#include <math.h>

double mg__log1pmx(double u)
{
    if (!(fabs(u) <= 0.5))
        return log1p(u) - u;   /* |log1p(u) - u| >= 0.09 |u| here: no cancellation */
    /* log1p(u) = 2 atanh(w), w = u / (2 + u), |w| <= 1/3; 2 w - u = -u w, so
     * log1p(u) - u = -u w + 2 w^3 (1/3 + w^2/5 + w^4/7 + ...), where the
     * second term is at most 1/12 of the first. */
    double w = u / (2.0 + u), w2 = w * w;
    double sum = 0.0, pw = 1.0;
    for (int k = 0; k < 40; k++) {
        double term = pw / (2 * k + 3);
        sum += term;
        if (term <= 1e-17 * sum)
            break;
        pw *= w2;
    }
    return -u * w + 2.0 * w * w2 * sum;
}

/* delta(z) - delta(z + 1) = (z + 1/2) log(1 + 1/z) - 1 = atanh(w) / w - 1
 * = w^2/3 + w^4/5 + ..., w = 1 / (2 z + 1): a sum of positive terms. */
static double stirlerr_step(double z)
{
    double w2 = 1.0 / ((2.0 * z + 1.0) * (2.0 * z + 1.0));
    double sum = 0.0, pw = w2;
    for (int k = 1; k < 60; k++) {
        double term = pw / (2 * k + 1);
        sum += term;
        if (term <= 1e-17 * sum)
            break;
        pw *= w2;
    }
    return sum;
}

double mg__stirlerr(double z)
{
    if (z < 1.0) {
        if (z < 1e-300)   /* lgamma(z) = -log z + O(z) */
            return -0.5 * log(z) - MG__LN_SQRT_2PI;
        /* tgamma rather than lgamma: lgamma writes the global signgam. */
        return log(tgamma(z)) - (z - 0.5) * log(z) + z - MG__LN_SQRT_2PI;
    }
    double acc = 0.0;
    while (z < 10.0) {
        acc += stirlerr_step(z);
        z += 1.0;
    }
    /* Stirling's series sum B_2k / (2k (2k - 1) z^(2k - 1)); at z >= 10 the
     * first omitted term is below 1e-18. */
    double r = 1.0 / z, r2 = r * r;
    double s = 1.0 / 12 - r2 * (1.0 / 360 - r2 * (1.0 / 1260 - r2 * (1.0 / 1680 - r2 * (1.0 / 1188 - r2 * (691.0 / 360360 - r2 * (1.0 / 156 - r2 * (3617.0 / 122400)))))));
    return acc + r * s;
}

double mg__lbeta(double a, double b)
{
    /* Stirling's formula for the three Gammas of B(a, b) = G(a) G(b) / G(a + b):
     * log B = log sqrt(2 pi) - log sqrt(ab / (a + b)) - a log(1 + b/a)
     *         - b log(1 + a/b) - (delta(a + b) - delta(a) - delta(b)),
     * whose terms do not cancel in the way lgamma(a) - lgamma(a + b) does
     * when a >> b. */
    double p = fmin(a, b), q = fmax(a, b);
    double lhm = log(p) - log1p(p / q);   /* log(ab / (a + b)) */
    return MG__LN_SQRT_2PI - 0.5 * lhm - p * log1p(q / p) - q * log1p(p / q) -
           (mg__stirlerr(p + q) - mg__stirlerr(p) - mg__stirlerr(q));
}
