/* SPDX-License-Identifier: BSD-3-Clause */
/* Private: the packed Gram kernel behind the normal equations' pass. */
#ifndef MATGRAD_GRAM_PACKED_H
#define MATGRAD_GRAM_PACKED_H

#include "internal.h"

#include <stddef.h>

/* Doubles of panel buffer mg__gram_packed_block needs for blocks of up to
 * nb rows of j columns and k outputs. */
MG__MUST_USE size_t mg__gram_packed_len(size_t nb, size_t j, size_t k);

/* For the nb rows of A (row stride lda, j columns) and Y (row stride ldy,
 * k columns): S[0:j, 0:j] += A^T A (upper triangle), S[0:j, j:j+k] += A^T Y
 * and S[j:, j:] += Y^T Y (upper triangle), S row-major with row stride
 * lds >= j + k (k may be 0, Y then unused); entries of S below the
 * diagonal are scratch.  Each entry's sum over the block starts from zero
 * and is added to S once.  P is the panel buffer.  The next block's rows
 * (next, next_rows, of the same stride lda) are prefetched while this one is
 * multiplied.  colmin, colmax (j each, or both NULL): each column of A's
 * running minimum and maximum, v < min ? v : min and v > max ? v : max over
 * the block's rows, taken while the rows are in cache (the fit engine's
 * range guard).  The AVX-512 or AVX2+FMA variant where the CPU has it
 * (cpu.h), the portable one elsewhere. */
void mg__gram_packed_block(const double *A, size_t lda, const double *Y, size_t ldy, size_t nb,
                           size_t j, size_t k, double *S, size_t lds, double *P,
                           const double *next, size_t next_rows, double *colmin, double *colmax);

/* The same on at most the instruction set isa (cpu.h's MG__ISA_*: AVX2 and
 * AVX-512 here also need FMA), so that tests can compare the variants: the
 * two FMA variants' sums agree bit for bit. */
void mg__gram_packed_block_isa(const double *A, size_t lda, const double *Y, size_t ldy,
                               size_t nb, size_t j, size_t k, double *S, size_t lds, double *P,
                               const double *next, size_t next_rows, double *colmin,
                               double *colmax, int isa);

#endif /* MATGRAD_GRAM_PACKED_H */
