/* SPDX-License-Identifier: BSD-3-Clause */
/* Private: the packed Gram kernel's AVX-512 and AVX2 variants, rows of A in
 * place (gram_packed.h says what they compute; gram_rows.c and
 * gram_rows_avx2.c how). */
#ifndef MATGRAD_GRAM_ROWS_H
#define MATGRAD_GRAM_ROWS_H

#include "cpu.h"
#include "internal.h"

#include <stddef.h>

/* Doubles of work buffer mg__gram_rows_block needs for j columns and k
 * outputs (any number of rows). */
MG__MUST_USE size_t mg__gram_rows_len(size_t j, size_t k);

#ifdef MG__CPU_X86
/* One chunk of rows for the tiles of either width: its q rows at A (row
 * stride lda) of j columns, the output beside them (Y, with k == 1), S,
 * the running minima and maxima, the output's accumulators between chunks
 * (Wy), and the next chunk's pf_rows rows (pf, or NULL) to prefetch;
 * first and last: the block's first and last chunk. */
typedef struct mg__rows_job {
    const double *A, *Y, *pf;
    double *S, *mn, *mx, *Wy;
    size_t lda, ldy, lds, q, j, pf_rows;
    int first, last;
} mg__rows_job;

/* The job of the chunk of q rows at row q0 of a block of nb rows (chunks of
 * `chunk` rows), the block followed by next_rows rows at next. */
MG__MUST_USE mg__rows_job mg__rows_job_at(const double *A, size_t lda, const double *Y,
                                          size_t ldy, size_t nb, size_t j, size_t k, double *S,
                                          size_t lds, double *Wy, const double *next,
                                          size_t next_rows, double *mn, double *mx, size_t q0,
                                          size_t chunk);

/* *colmin, *colmax unchanged if given; if NULL (nobody asked for the
 * range, which the diagonal tiles take anyway), zeroed scratch in W (of
 * mg__gram_rows_len(j, k) doubles), past either width's accumulators. */
void mg__rows_range_or_scratch(double *W, size_t j, size_t k, double **colmin, double **colmax);

/* mg__gram_packed_block's sums, minima and maxima but S_YY, with the
 * AVX-512 tiles, W holding mg__gram_rows_len(j, k) doubles.  Only where
 * the CPU has AVX-512F and FMA (cpu.h); elsewhere it does nothing. */
void mg__gram_rows_block(const double *A, size_t lda, const double *Y, size_t ldy, size_t nb,
                         size_t j, size_t k, double *S, size_t lds, double *W,
                         const double *next, size_t next_rows, double *colmin, double *colmax);

/* The same with AVX2 tiles of 4 rows by up to 12 columns (gram_rows_avx2.c),
 * where the CPU has AVX2 and FMA; W as above. */
void mg__gram_rows_avx2_block(const double *A, size_t lda, const double *Y, size_t ldy,
                              size_t nb, size_t j, size_t k, double *S, size_t lds, double *W,
                              const double *next, size_t next_rows, double *colmin,
                              double *colmax);
#endif

#endif /* MATGRAD_GRAM_ROWS_H */
