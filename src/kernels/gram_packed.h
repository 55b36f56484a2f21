/* SPDX-License-Identifier: BSD-3-Clause */
/* Private: the packed Gram kernel behind the normal equations' pass. */
#ifndef MATGRAD_GRAM_PACKED_H
#define MATGRAD_GRAM_PACKED_H

#include <stddef.h>

/* Doubles of panel buffer mg__gram_packed_block needs for nb rows of j
 * columns. */
size_t mg__gram_packed_len(size_t nb, size_t j);

/* For the nb rows of A (row stride lda, j columns) and Y (row stride ldy,
 * k columns): S[0:j, 0:j] += A^T A (upper triangle), S[0:j, j:j+k] += A^T Y
 * and S[j:, j:] += Y^T Y (upper triangle), S row-major with row stride
 * lds >= j + k (k may be 0, Y then unused).  P is the panel buffer.  The next block's rows of A (next, next_rows) are
 * prefetched while this one is multiplied, so that its packing reads from
 * cache.  Returns 0, or -1 when this CPU lacks AVX2/FMA (nothing touched). */
int mg__gram_packed_block(const double *A, size_t lda, const double *Y, size_t ldy, size_t nb,
                          size_t j, size_t k, double *S, size_t lds, double *P,
                          const double *next, size_t next_rows);

#endif /* MATGRAD_GRAM_PACKED_H */
