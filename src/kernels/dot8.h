/* SPDX-License-Identifier: BSD-3-Clause */
/* Private: the plain dot product of the Householder loops (the engine's
 * folds, the batch's fits), in eight fixed lanes. */
#ifndef MATGRAD_DOT8_H
#define MATGRAD_DOT8_H

#include <stddef.h>

/* sum_i u_i v_i over r entries in eight fixed lanes folded in a fixed
 * order (the compiler keeps them in vector registers; a single running
 * sum would be one dependent add per entry).  Fewer than 8 entries: the
 * sum in index order.  The order depends on r alone, never on threads or
 * the CPU, and rounds like any order of summation: |error| <=
 * (r - 1) eps sum_i |u_i v_i| to first order (Higham, Sec. 3.1). */
static inline __attribute__((always_inline)) double mg__dot8(const double *restrict u,
                                                             const double *restrict v, size_t r)
{
    if (r < 8) {
        /* the lanes below would hold a[0] alone: the same sum, in order,
         * without their set-up and folding (a window's triangles) */
        double s = 0.0;
        for (size_t i = 0; i < r; i++)
            s += u[i] * v[i];
        return s;
    }
    double a[8] = { 0 };
    size_t i = 0;
    for (; i + 8 <= r; i += 8)
        for (int l = 0; l < 8; l++)
            a[l] += u[i + l] * v[i + l];
    for (; i < r; i++)
        a[0] += u[i] * v[i];
    return ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]));
}

#endif
