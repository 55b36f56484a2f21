/* SPDX-License-Identifier: BSD-3-Clause */
/* A^T A for a tall, narrow A, as GEMM libraries do it, in three variants
 * chosen at run time (cpu.h); every entry of A^T A is the same sequence of
 * operations in each of the two FMA variants (from zero, row after row, then
 * added to S once per block), so their sums agree bit for bit.
 *
 * - AVX-512 (gram_rows.c): register tiles of 8 rows by up to 24 columns
 *   read the rows of A in place, the block's rows from L2, and take the
 *   columns' minima and maxima on the way.
 * - AVX2+FMA (gram_rows_avx2.c): the same design with tiles of 4 rows by up
 *   to 12 columns.
 * - portable C everywhere: each row block of A is packed into panels of 8
 *   contiguous columns (zero padded), and 6 x 8 tiles stream the panels with
 *   unit stride (the compiler vectorises what the target allows, without
 *   FMA); while a block is multiplied, the next block's rows are
 *   prefetched, so packing reads from cache.  It replaces OpenBLAS's dsyrk
 *   on CPUs without AVX2: that dsyrk threads itself and calls exit(1) when
 *   its job array cannot be allocated (docs/reliability.md).
 *
 * The cross terms A^T Y and Y^T Y, a few FMAs per row for few outputs, use
 * their own loops rather than padding Y into the tiles. */
#include "gram_packed.h"
#include "cpu.h"
#include "gram_rows.h"

#include <string.h>

enum { MR = 6, NR = 8 };

size_t mg__gram_packed_len(size_t nb, size_t j, size_t k)
{
    const size_t panels = ((j + NR - 1) / NR) * NR * nb, rows = mg__gram_rows_len(j, k);
    return panels > rows ? panels : rows;
}

/* Panel q holds columns 8q .. 8q+7 of the block, row after row. */
static void pack(const double *A, size_t lda, size_t nb, size_t j, double *P)
{
    const size_t np = (j + NR - 1) / NR, full = j / NR;
    for (size_t r = 0; r < nb; r++) {
        const double *a = A + r * lda;
        for (size_t q = 0; q < full; q++)
            memcpy(P + (q * nb + r) * NR, a + q * NR, NR * sizeof(double));
        for (size_t q = full; q < np; q++) {
            double *d = P + (q * nb + r) * NR;
            for (size_t c = 0; c < NR; c++)
                d[c] = q * NR + c < j ? a[q * NR + c] : 0.0;
        }
    }
}

/* Tiles of the upper triangle that a block multiplies: spread the next
 * block's prefetches over them. */
static size_t tile_count(size_t j)
{
    size_t t = 0;
    for (size_t r0 = 0; r0 < j; r0 += MR)
        t += (j - (r0 / NR) * NR + NR - 1) / NR;
    return t;
}

/* S[r0 .. r0+mr, c0 .. c0+nr) += panel rows^T panel columns over nb rows:
 * portable C, the same accumulators as the AVX2 tile below. */
static void tile_generic(const double *P, size_t nb, size_t r0, size_t mr, size_t c0, size_t nr,
                         double *S, size_t lds)
{
    const double *pa[MR];
    for (size_t t = 0; t < mr; t++) {
        const size_t i = r0 + t;
        pa[t] = P + (i / NR) * nb * NR + i % NR;
    }
    const double *pb = P + (c0 / NR) * nb * NR;
    double acc[MR][NR] = { { 0.0 } };
    for (size_t r = 0; r < nb; r++)
        for (size_t t = 0; t < mr; t++) {
            const double a = pa[t][NR * r];
            for (size_t c = 0; c < NR; c++)
                acc[t][c] += a * pb[NR * r + c];
        }
    for (size_t t = 0; t < mr; t++)
        for (size_t c = 0; c < nr; c++)
            S[(r0 + t) * lds + c0 + c] += acc[t][c];
}

/* S[0:j, j+c] += A^T Y[:, c] from the panels, portable C. */
static void cross_generic(const double *P, size_t nb, size_t j, const double *Y, size_t ldy,
                          size_t k, double *S, size_t lds)
{
    const size_t np = (j + NR - 1) / NR;
    for (size_t c = 0; c < k; c++)
        for (size_t q = 0; q < np; q++) {
            double acc[NR] = { 0.0 };
            for (size_t r = 0; r < nb; r++) {
                const double y = Y[r * ldy + c], *pr = P + (q * nb + r) * NR;
                for (size_t e = 0; e < NR; e++)
                    acc[e] += y * pr[e];
            }
            for (size_t e = 0; e < NR && q * NR + e < j; e++)
                S[(q * NR + e) * lds + j + c] += acc[e];
        }
}

/* colmin, colmax <- each column's running minimum and maximum over nb
 * rows of j columns (compare-and-select, as the range guard takes them). */
static void minmax_rows(const double *A, size_t lda, size_t nb, size_t j, double *colmin,
                        double *colmax)
{
    for (size_t r = 0; r < nb; r++) {
        const double *a = A + r * lda;
        for (size_t c = 0; c < j; c++) {
            colmin[c] = a[c] < colmin[c] ? a[c] : colmin[c];
            colmax[c] = a[c] > colmax[c] ? a[c] : colmax[c];
        }
    }
}


/* The next block's rows to prefetch before tile number t of tiles (spread
 * evenly over the tiles), so that its packing reads from cache. */
static void prefetch_next(const double *next, size_t lda, size_t next_rows, size_t j,
                          size_t per_tile, size_t *pf)
{
    for (size_t e = 0; e < per_tile && *pf < next_rows; e++, (*pf)++)
        for (size_t off = 0; off < j; off += 8)
            __builtin_prefetch(next + *pf * lda + off, 0, 3);
}

/* S_YY += Y_b^T Y_b   (upper triangle; k is small) */
static void cross_yy(const double *Y, size_t ldy, size_t nb, size_t j, size_t k, double *S,
                     size_t lds)
{
    for (size_t r = 0; r < nb; r++)
        for (size_t a = 0; a < k; a++)
            for (size_t b = a; b < k; b++)
                S[(j + a) * lds + j + b] += Y[r * ldy + a] * Y[r * ldy + b];
}

/* The portable variant: packed panels and 6 x 8 tiles. */
static void packed_block(const double *A, size_t lda, const double *Y, size_t ldy, size_t nb,
                         size_t j, size_t k, double *S, size_t lds, double *P, const double *next,
                         size_t next_rows)
{
    const size_t tc = tile_count(j), per_tile = tc ? (next_rows + tc - 1) / tc : 0;
    size_t pf = 0;

    pack(A, lda, nb, j, P);
    /* S_AA += A_b^T A_b   (upper triangle, 6 x 8 tiles over the panels) */
    for (size_t r0 = 0; r0 < j; r0 += MR) {
        const size_t mr = j - r0 < MR ? j - r0 : MR;
        for (size_t c0 = (r0 / NR) * NR; c0 < j; c0 += NR) {
            const size_t nr = j - c0 < NR ? j - c0 : NR;
            prefetch_next(next, lda, next_rows, j, per_tile, &pf);
            tile_generic(P, nb, r0, mr, c0, nr, S, lds);
        }
    }
    /* S_AY += A_b^T Y_b */
    cross_generic(P, nb, j, Y, ldy, k, S, lds);
}

void mg__gram_packed_block_isa(const double *A, size_t lda, const double *Y, size_t ldy,
                               size_t nb, size_t j, size_t k, double *S, size_t lds, double *P,
                               const double *next, size_t next_rows, double *colmin,
                               double *colmax, int isa)
{
    if (nb == 0 || j + k == 0)
        return;
#ifdef MG__CPU_X86
    /* S_AA += A_b^T A_b and S_AY += A_b^T Y_b, rows in place */
    if (isa >= MG__ISA_AVX512 && mg__cpu_has_avx512_fma() && j > 0) {
        mg__gram_rows_block(A, lda, Y, ldy, nb, j, k, S, lds, P, next, next_rows, colmin,
                            colmax);
        cross_yy(Y, ldy, nb, j, k, S, lds);
        return;
    }
    if (isa >= MG__ISA_AVX2 && mg__cpu_has_avx2_fma() && j > 0) {
        mg__gram_rows_avx2_block(A, lda, Y, ldy, nb, j, k, S, lds, P, next, next_rows, colmin,
                                 colmax);
        cross_yy(Y, ldy, nb, j, k, S, lds);
        return;
    }
#else
    (void)isa;
#endif
    /* the portable variant takes the range first: pack then reads from cache */
    if (colmin)
        minmax_rows(A, lda, nb, j, colmin, colmax);
    packed_block(A, lda, Y, ldy, nb, j, k, S, lds, P, next, next_rows);
    cross_yy(Y, ldy, nb, j, k, S, lds);
}

void mg__gram_packed_block(const double *A, size_t lda, const double *Y, size_t ldy, size_t nb,
                           size_t j, size_t k, double *S, size_t lds, double *P,
                           const double *next, size_t next_rows, double *colmin, double *colmax)
{
    mg__gram_packed_block_isa(A, lda, Y, ldy, nb, j, k, S, lds, P, next, next_rows, colmin, colmax,
                              MG__ISA_BEST);
}
