/* SPDX-License-Identifier: BSD-3-Clause */
/* Distribution functions of regression inference: Student's t, Fisher's F
 * and the regularized incomplete beta function behind both
 * (docs/derivations.md, "Distributions of the test statistics").
 *
 * Conventions (those of R's pt, pf, qt, qf):
 *   - lower_tail nonzero: P[X <= x]; zero: P[X > x], computed directly (not
 *     as 1 - P[X <= x]), so upper tails keep full relative accuracy down to
 *     the smallest normal double;
 *   - degrees of freedom are real, > 0; +Inf is allowed (t: the standard
 *     normal limit; F: the chi-square limit of the corresponding side);
 *   - NaN arguments, df <= 0 and probabilities outside [0, 1] give NaN;
 *     quantiles of 0 and 1 are -Inf / +Inf (t) and 0 / +Inf (F) (in the
 *     log variants: log p = -Inf and 0, and log p > 0 gives NaN);
 *   - the log variants take or return natural logarithms of probabilities.
 * Accuracy: documented in docs/accuracy.md and tested against R's values
 * (tests/data/r/distributions.txt) over df 0.5 .. 1e7 and tails to 1e-300:
 * CDFs within 8 eps (1 + cond + |ln P|) relative (cond the condition number
 * of P in its argument, P the smaller tail), quantiles within
 * 128 eps (1 + cond (1 + |ln P|)), both including R's own error; to 1e-13
 * wherever cond <= 10.  Quantiles come from Newton's iteration on log P, so
 * they cost several CDF evaluations.
 * All functions are pure: thread-safe, no allocation, no status. */
#ifndef MATGRAD_DIST_H
#define MATGRAD_DIST_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* I_x(a, b) (lower_tail) or 1 - I_x(a, b), a, b > 0 finite, x in [0, 1];
 * each tail is computed directly (1 - x is taken as exact). */
MG_API double mg_beta_inc(double x, double a, double b, int lower_tail);

/* Student's t with df degrees of freedom: R's pt(t, df, lower_tail). */
MG_API double mg_t_cdf(double t, double df, int lower_tail);
/* Its quantile: the t with mg_t_cdf(t, df, lower_tail) == p (R's qt). */
MG_API double mg_t_quantile(double p, double df, int lower_tail);
/* log P: R's pt(t, df, lower_tail, log.p = TRUE); finite wherever P > 0,
 * also far below the smallest double (|t| up to DBL_MAX). */
MG_API double mg_t_logcdf(double t, double df, int lower_tail);
/* The quantile of log probability logp <= 0 (R's qt(logp, df, lower_tail,
 * log.p = TRUE)): probabilities below the smallest double, and upper tails
 * 1 - P with P = exp(logp) near 1, keep full accuracy. */
MG_API double mg_t_quantile_log(double logp, double df, int lower_tail);

/* Fisher's F with (df1, df2) degrees of freedom: R's pf(f, df1, df2, lower_tail). */
MG_API double mg_f_cdf(double f, double df1, double df2, int lower_tail);
/* Its quantile (R's qf). */
MG_API double mg_f_quantile(double p, double df1, double df2, int lower_tail);
/* log P (R's pf(f, df1, df2, lower_tail, log.p = TRUE)). */
MG_API double mg_f_logcdf(double f, double df1, double df2, int lower_tail);
/* The quantile of log probability logp <= 0 (R's qf(..., log.p = TRUE)). */
MG_API double mg_f_quantile_log(double logp, double df1, double df2, int lower_tail);

#ifdef __cplusplus
}
#endif

#endif /* MATGRAD_DIST_H */
