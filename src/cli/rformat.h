/* SPDX-License-Identifier: BSD-3-Clause */
/* Numbers as R prints them, so that `matgrad fit` shows R's summary(lm)
 * digit for digit (docs/cli.md, "Output"):
 *   - mgcli_rformat: format(x, digits = d) of a vector: each value rounded
 *     to d significant digits, then one notation for the whole vector:
 *     fixed with as many decimals as the value that needs most, unless
 *     that is wider than scientific notation;
 *   - mgcli_rsignif, mgcli_rround: signif(x, d) and round(x, d);
 *   - mgcli_rformat_pval: format.pval(p, digits, eps): "< 2e-16" below eps;
 *   - mgcli_rquantile7: quantile(x, probs) of sorted values (type 7).
 * Strings go into caller buffers of MGCLI_RNUM bytes.  NaN is "NA" (R's
 * NA_real_ and NaN print alike in these tables), infinities "Inf"/"-Inf". */
#ifndef MATGRAD_CLI_RFORMAT_H
#define MATGRAD_CLI_RFORMAT_H

#include <stddef.h>

#define MGCLI_RNUM 48

typedef char mgcli_rnum[MGCLI_RNUM];

/* format(x[0..n-1], digits = digits) into out[0..n-1] (unpadded). */
void mgcli_rformat(const double *x, size_t n, int digits, mgcli_rnum *out);
/* format() of one value. */
const char *mgcli_rformat1(double x, int digits, mgcli_rnum out);
double mgcli_rsignif(double x, int digits);
double mgcli_rround(double x, int decimals);
/* zapsmall(x, digits) in place. */
void mgcli_rzapsmall(double *x, size_t n, int digits);
/* format.pval(p[0..n-1], digits, eps); NaN gives "NA". */
void mgcli_rformat_pval(const double *p, size_t n, int digits, double eps, mgcli_rnum *out);
/* The type-7 quantile at prob of n sorted values (n >= 1). */
double mgcli_rquantile7(const double *sorted, size_t n, double prob);

#endif
