/* SPDX-License-Identifier: BSD-3-Clause */
/* Private: the augmented Gram pass of the normal equations. */
#ifndef MATGRAD_GRAM_PASS_H
#define MATGRAD_GRAM_PASS_H

#include "matgrad/core.h"

/* S = [A Y]^T [A Y] (upper triangle, n x n with n = j + k, contiguous) in
 * one pass over A and Y: its top-left j x j block is A^T A, its top-right
 * j x k block A^T Y, its bottom-right k x k block Y^T Y.  Shapes must be
 * checked.  Bitwise identical for any thread count.  MG_ENOMEM if scratch
 * cannot be had. */
mg_status mg__augmented_gram(const mg_matrix *A, const mg_matrix *Y, double *S);

/* The same with the kernel variant chosen: avx2 != 0 the AVX2+FMA one where
 * the CPU has it, 0 the portable one (tests on AVX2 machines). */
mg_status mg__augmented_gram_kernel(const mg_matrix *A, const mg_matrix *Y, double *S, int avx2);

#endif /* MATGRAD_GRAM_PASS_H */
