/* SPDX-License-Identifier: BSD-3-Clause */
/* Internals of the distribution functions (docs/derivations.md,
 * "Distributions of the test statistics"). */
#ifndef MG_DIST_INTERNAL_H
#define MG_DIST_INTERNAL_H

#define MG__LN2 0.693147180559945309417232121458176568
#define MG__LN_SQRT_2PI 0.918938533204672741780329736405617640

/* log(1 + u) - u for u > -1, without cancellation near u = 0. */
double mg__log1pmx(double u);
/* The Stirling remainder delta(z) = lgamma(z) - (z - 1/2) log z + z - log sqrt(2 pi), z > 0. */
double mg__stirlerr(double z);
/* log B(a, b) for a, b > 0, accurate to a few eps absolute when a or b is small. */
double mg__lbeta(double a, double b);

/* The incomplete beta problem I_x(a, b).  The caller supplies x and y = 1 - x
 * each to full relative accuracy, lx = log x, ly = log y, and
 * d = b x - a y (= (a + b) x - a), also accurately (it locates x relative to
 * the mean a / (a + b) and fixes the size of the front factor). */
typedef struct mg__beta_arg {
    double a, b, x, y, lx, ly, d;
} mg__beta_arg;

/* The tail computed directly: s = I_x(a, b) when upper == 0, else
 * s = 1 - I_x(a, b); ls = log s (finite even when s underflows).  front and
 * lfront: x^a y^b / B(a, b) and its log, which is also
 * x y d I_x / dx (the density of the statistic in log x). */
typedef struct mg__tail {
    double s, ls, front, lfront;
    int upper;
} mg__tail;

void mg__beta_tail(const mg__beta_arg *arg, mg__tail *out);

/* The regularized incomplete gamma P(a, x) (upper == 0) or Q(a, x) = 1 - P,
 * whichever is computed directly; front = x^a e^{-x} / Gamma(a). */
void mg__gamma_tail(double a, double x, mg__tail *out);

/* Both tails and the log density in log x of a distribution at a point:
 * p[0], lp[0] lower (P[X <= x]), p[1], lp[1] upper, lslope = log of
 * |d P / d log x|. */
typedef struct mg__cdf {
    double p[2], lp[2], lslope;
} mg__cdf;

/* Student's t at |t| (t >= 0, df > 0, df may be +Inf). */
void mg__t_eval(double t, double df, mg__cdf *out);
/* Fisher's F at f > 0 (finite), df1, df2 > 0, either may be +Inf. */
void mg__f_eval(double f, double df1, double df2, mg__cdf *out);

#endif /* MG_DIST_INTERNAL_H */
