/* SPDX-License-Identifier: BSD-3-Clause */
/* Private: the packed Gram kernel behind the normal equations' pass. */
#ifndef MATGRAD_GRAM_PACKED_H
#define MATGRAD_GRAM_PACKED_H

#include "internal.h"

#include <stddef.h>

/* Doubles of panel buffer mg__gram_packed_block needs for nb rows of j
 * columns. */
MG__MUST_USE size_t mg__gram_packed_len(size_t nb, size_t j);

/* For the nb rows of A (row stride lda, j columns) and Y (row stride ldy,
 * k columns): S[0:j, 0:j] += A^T A (upper triangle), S[0:j, j:j+k] += A^T Y
 * and S[j:, j:] += Y^T Y (upper triangle), S row-major with row stride
 * lds >= j + k (k may be 0, Y then unused).  P is the panel buffer.  The next block's rows of A (next, next_rows) are
 * prefetched while this one is multiplied, so that its packing reads from
 * cache.  The AVX-512 or AVX2+FMA variant where the CPU has it (cpu.h), the
 * portable one elsewhere. */
void mg__gram_packed_block(const double *A, size_t lda, const double *Y, size_t ldy, size_t nb,
                           size_t j, size_t k, double *S, size_t lds, double *P,
                           const double *next, size_t next_rows);

/* The variants: portable C; AVX2+FMA (6 x 8 tiles); AVX-512 (6 x 16 tiles
 * where two panels remain, bit for bit the AVX2 variant's sums). */
enum { MG__GRAM_ISA_PORTABLE = 0, MG__GRAM_ISA_AVX2 = 1, MG__GRAM_ISA_AVX512 = 2 };

/* The same with the variant chosen (only one the CPU has: cpu.h's
 * mg__cpu_has_avx2_fma, mg__cpu_has_avx512_fma; tests). */
void mg__gram_packed_block_isa(const double *A, size_t lda, const double *Y, size_t ldy,
                               size_t nb, size_t j, size_t k, double *S, size_t lds, double *P,
                               const double *next, size_t next_rows, int isa);

#endif /* MATGRAD_GRAM_PACKED_H */
