/* SPDX-License-Identifier: BSD-3-Clause */
/* Private: the packed Gram kernel's AVX-512 variant, rows of A in place
 * (gram_packed.h says what it computes; gram_rows.c how). */
#ifndef MATGRAD_GRAM_ROWS_H
#define MATGRAD_GRAM_ROWS_H

#include "cpu.h"
#include "internal.h"

#include <stddef.h>

/* Doubles of work buffer mg__gram_rows_block needs for j columns and k
 * outputs (any number of rows). */
MG__MUST_USE size_t mg__gram_rows_len(size_t j, size_t k);

#ifdef MG__CPU_X86
/* mg__gram_packed_block's sums, minima and maxima but S_YY, with the
 * AVX-512 tiles, W holding mg__gram_rows_len(j, k) doubles.  Only where
 * the CPU has AVX-512F and FMA (cpu.h); elsewhere it does nothing. */
void mg__gram_rows_block(const double *A, size_t lda, const double *Y, size_t ldy, size_t nb,
                         size_t j, size_t k, double *S, size_t lds, double *W,
                         const double *next, size_t next_rows, double *colmin, double *colmax);
#endif

#endif /* MATGRAD_GRAM_ROWS_H */
