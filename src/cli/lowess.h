/* SPDX-License-Identifier: BSD-3-Clause */
/* Cleveland's LOWESS scatterplot smoother (J. Amer. Statist. Assoc. 74,
 * 1979), as R's lowess(x, y, f, iter, delta) defines it: locally weighted
 * linear fits with tricube weights over the nearest f n points, then iter
 * robustness passes with bisquare weights of the residuals (scale 6 times
 * their median absolute value); fits are made at points at least delta
 * apart in x and interpolated linearly between them.  Used for the red
 * trend lines of the diagnostic plots (R's panel.smooth). */
#ifndef MATGRAD_CLI_LOWESS_H
#define MATGRAD_CLI_LOWESS_H

#include <stddef.h>

/* x sorted ascending (n >= 1), y paired with it; ys receives the smooth at
 * each x.  0, or -1 when out of memory. */
int mgcli_lowess(const double *x, const double *y, size_t n, double f, int iter, double delta,
                 double *ys);

#endif
