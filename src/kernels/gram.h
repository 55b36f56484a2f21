/* SPDX-License-Identifier: BSD-3-Clause */
/* Private: a Gram-matrix update G += X^T X for tall, narrow row-major X,
 * the product that dominates the Cholesky path of mg_lstsq. */
#ifndef MATGRAD_GRAM_H
#define MATGRAD_GRAM_H

#include "matgrad/core.h"
#include "internal.h"

#include <stddef.h>

/* G (nx x nx, row-major with row stride ldg) += X^T X over the nb rows of X
 * (row stride ldx).  Only the upper triangle of G is meaningful afterwards
 * (entries below the diagonal in diagonal tiles may be updated too).  Returns
 * MG_OK when done, MG_ENOMEM (G untouched) when its packing buffer cannot be
 * allocated. */
MG__MUST_USE mg_status mg__gram_update(const double *X, size_t ldx, size_t nb, size_t nx, double *G, size_t ldg);

/* 1 if the packed kernel runs its AVX2+FMA variant here (the CPU has AVX2
 * and FMA, MATGRAD_SIMD is not "generic"); else the portable one. */
MG__MUST_USE int mg__gram_available(void);

#endif /* MATGRAD_GRAM_H */
