/* SPDX-License-Identifier: BSD-3-Clause */
/* A^T A for a tall, narrow A, as GEMM libraries do it, in three variants
 * chosen at run time (cpu.h); every entry of A^T A is the same sequence of
 * operations in each of the two FMA variants (from zero, row after row, then
 * added to S once per block), so their sums agree bit for bit.
 *
 * - AVX-512: tiles of 8 rows by 8, 16 or 24 columns of the upper triangle
 *   (up to 24 accumulators; per row of A, eight broadcasts and three loads
 *   feed 24 FMAs) read the rows of A in place: a row of a tall, narrow A is
 *   already contiguous in the columns a tile needs, so no packing.  The
 *   block's rows go by in chunks of CHUNK rows that stay in L1 while every
 *   tile passes over them; between chunks the accumulators wait, exact, in
 *   the panel buffer.
 * - AVX2+FMA: each row block of A is packed into panels of 8 contiguous
 *   columns (zero padded), and a 6 x 8 register tile (12 accumulators; per
 *   row two panel loads and six broadcasts feed twelve FMAs) streams the
 *   panels from L1/L2 with unit stride.  Packing the strided rows costs one
 *   read of the block, which the previous block's multiply has already
 *   prefetched.
 * - portable C everywhere (the packed variant's blocking and summation
 *   order; the compiler vectorises what the target allows, without FMA).
 *   It replaces OpenBLAS's dsyrk on CPUs without AVX2: that dsyrk threads
 *   itself and calls exit(1) when its job array cannot be allocated
 *   (docs/reliability.md).
 *
 * The cross terms A^T Y and Y^T Y, a few FMAs per row for few outputs, use
 * their own loops rather than padding Y into the tiles. */
#include "gram_packed.h"
#include "cpu.h"

#include <string.h>
#ifdef MG__CPU_X86
#include <immintrin.h>
#endif

enum { MR = 6, NR = 8 };

/* The AVX-512 variant: rows per chunk, rows per tile, and the widest tile
 * in 8-column vectors.  A chunk at 64 columns is 16 KiB of A; with the
 * next chunk coming in and the waiting accumulators (18 KiB) that is about
 * a 48 KiB L1.  Each tile loads and stores its accumulators once a chunk
 * (48 of them for 24 accumulators): at 16 rows that took about 10% of the
 * time on a CPU with one 512-bit FMA unit, and 32 rows halve it;
 * 48 and 64 rows no longer keep the chunk in L1 while the next one
 * streams in (docs/performance.md, "Against the dgemm peak"). */
enum { CHUNK = 32, RT = 8, NZ_MAX = 3 };

/* Accumulators of the AVX-512 variant's tiles over j columns: 8 x 8 doubles
 * for each 8-column vector of each tile, ceil((j - r0) / 8) vectors for the
 * tiles of rows r0 .. r0+7. */
static size_t spill_len(size_t j)
{
    const size_t m = (j + NR - 1) / NR;
    return RT * NR * (m * (m + 1) / 2);
}

/* The AVX-512 variant's cross-term accumulators: 32 columns at a time,
 * for each of the k outputs. */
static size_t cross_len(size_t j, size_t k)
{
    return k * ((j + 4 * NR - 1) / (4 * NR)) * 4 * NR;
}

size_t mg__gram_packed_len(size_t nb, size_t j, size_t k)
{
    const size_t panels = ((j + NR - 1) / NR) * NR * nb, spill = spill_len(j) + cross_len(j, k);
    return panels > spill ? panels : spill;
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

#ifdef MG__CPU_X86 /* the AVX2+FMA variant */

/* S[r0 .. r0+mr, c0 .. c0+nr) += panel rows^T panel columns over nb rows. */
__attribute__((target("avx2,fma")))
static void tile(const double *P, size_t nb, size_t r0, size_t mr, size_t c0, size_t nr,
                 double *S, size_t lds)
{
    const __m256i lane = _mm256_setr_epi64x(0, 1, 2, 3);
    const double *pa[MR];
    for (size_t t = 0; t < MR; t++) {
        /* rows of the tile beyond mr repeat the last one (never stored) */
        const size_t i = r0 + (t < mr ? t : mr - 1);
        pa[t] = P + (i / NR) * nb * NR + i % NR;
    }
    const double *pb = P + (c0 / NR) * nb * NR;
    __m256d c00 = _mm256_setzero_pd(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
            c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    for (size_t r = 0; r < nb; r++) {
        const __m256d b0 = _mm256_loadu_pd(pb + NR * r), b1 = _mm256_loadu_pd(pb + NR * r + 4);
        __m256d a = _mm256_broadcast_sd(pa[0] + NR * r);
        c00 = _mm256_fmadd_pd(a, b0, c00);
        c01 = _mm256_fmadd_pd(a, b1, c01);
        a = _mm256_broadcast_sd(pa[1] + NR * r);
        c10 = _mm256_fmadd_pd(a, b0, c10);
        c11 = _mm256_fmadd_pd(a, b1, c11);
        a = _mm256_broadcast_sd(pa[2] + NR * r);
        c20 = _mm256_fmadd_pd(a, b0, c20);
        c21 = _mm256_fmadd_pd(a, b1, c21);
        a = _mm256_broadcast_sd(pa[3] + NR * r);
        c30 = _mm256_fmadd_pd(a, b0, c30);
        c31 = _mm256_fmadd_pd(a, b1, c31);
        a = _mm256_broadcast_sd(pa[4] + NR * r);
        c40 = _mm256_fmadd_pd(a, b0, c40);
        c41 = _mm256_fmadd_pd(a, b1, c41);
        a = _mm256_broadcast_sd(pa[5] + NR * r);
        c50 = _mm256_fmadd_pd(a, b0, c50);
        c51 = _mm256_fmadd_pd(a, b1, c51);
    }
    /* masked stores keep columns >= c0 + nr of S untouched */
    const __m256i m0 = _mm256_cmpgt_epi64(_mm256_set1_epi64x((long long)nr), lane);
    const __m256i m1 = _mm256_cmpgt_epi64(_mm256_set1_epi64x((long long)nr - 4), lane);
    const __m256d acc[MR][2] = { { c00, c01 }, { c10, c11 }, { c20, c21 },
                                 { c30, c31 }, { c40, c41 }, { c50, c51 } };
    for (size_t t = 0; t < mr; t++) {
        double *s = S + (r0 + t) * lds + c0;
        _mm256_maskstore_pd(s, m0, _mm256_add_pd(_mm256_maskload_pd(s, m0), acc[t][0]));
        _mm256_maskstore_pd(s + 4, m1, _mm256_add_pd(_mm256_maskload_pd(s + 4, m1), acc[t][1]));
    }
}

/* S[0:j, j+c] += A^T Y[:, c] from the panels: per row and output, one
 * broadcast of y and two FMAs a panel. */
__attribute__((target("avx2,fma")))
static void cross(const double *P, size_t nb, size_t j, const double *Y, size_t ldy, size_t k,
                  double *S, size_t lds)
{
    const size_t np = (j + NR - 1) / NR;
    for (size_t c = 0; c < k; c++)
        for (size_t q0 = 0; q0 < np; q0 += 4) {
            const size_t nq = np - q0 < 4 ? np - q0 : 4;
            __m256d acc[8] = { _mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd(),
                               _mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd(),
                               _mm256_setzero_pd(), _mm256_setzero_pd() };
            for (size_t r = 0; r < nb; r++) {
                const __m256d y = _mm256_broadcast_sd(Y + r * ldy + c);
                for (size_t q = 0; q < nq; q++) {
                    const double *p = P + ((q0 + q) * nb + r) * NR;
                    acc[2 * q] = _mm256_fmadd_pd(y, _mm256_loadu_pd(p), acc[2 * q]);
                    acc[2 * q + 1] = _mm256_fmadd_pd(y, _mm256_loadu_pd(p + 4), acc[2 * q + 1]);
                }
            }
            for (size_t q = 0; q < nq; q++) {
                double v[NR];
                _mm256_storeu_pd(v, acc[2 * q]);
                _mm256_storeu_pd(v + 4, acc[2 * q + 1]);
                for (size_t e = 0; e < NR && (q0 + q) * NR + e < j; e++)
                    S[((q0 + q) * NR + e) * lds + j + c] += v[e];
            }
        }
}

/* The AVX-512 variant, rows of A in place.  Tile (r0, c0) of nz vectors:
 * rows r0 .. r0+7 of S (broadcasts of A[r, r0 + t]; rows beyond j repeat
 * the last one and are never stored), columns c0 .. c0 + 8 nz (loads of
 * A[r, c0 ..], masked beyond j).  Over the nb rows at A, from zero
 * (first) or from the accumulators waiting in W; then back to W, or
 * (last) added to S, on and above the diagonal only.  with_y (a tile on
 * the diagonal, one output): S[r0 + t, j] += A[r, r0 + t] y_r as well, from
 * the first vector the tile loads anyway, its accumulator waiting in Wy
 * (FMA(a, y, acc) is the packed variant's FMA(y, a, acc): the same bits).
 * full (a constant too): all eight rows and all 8 nz columns exist, so the
 * loads need no mask and the broadcasts sit at constant offsets from one
 * pointer; the general form keeps a mask and eight column offsets live,
 * more than the general registers hold beside the loop's own, and the
 * compiler reloaded them from the stack every row, on the FMA ports
 * (llvm-mca: 13 cycles a row for the 24 FMAs' 12).  Both forms do the same
 * operations on the columns that exist: the same bits.  nz, with_y and full
 * are constants where the callers below inline them, so the accumulators
 * live in registers. */
__attribute__((always_inline, target("avx512f,avx2,fma")))
static inline void rows_tile(const double *A, size_t lda, size_t nb, size_t j, size_t r0,
                             size_t c0, const int nz, double *W, int first, int last, double *S,
                             size_t lds, const int with_y, const double *Y, size_t ldy,
                             double *Wy, const int full)
{
    const size_t mr = full ? RT : j - r0 < RT ? j - r0 : RT, nc = j - c0;
    size_t col[RT];
    __mmask8 m[NZ_MAX];
    __m512d acc[RT][NZ_MAX];
    /* nz > 1: nc > 8, so j - r0 >= nc > 8 and all eight rows exist (the
     * offsets are then constants from one base) */
#pragma GCC unroll 8
    for (size_t t = 0; t < RT; t++)
        col[t] = full || nz > 1 || t < mr ? t : mr - 1;
#pragma GCC unroll 3
    for (int z = 0; z < nz; z++) {
        const size_t lo = (size_t)NR * (size_t)z;
        m[z] = (__mmask8)(full || nc >= lo + NR ? 0xFFu
                          : nc <= lo           ? 0u
                                               : (1u << (nc - lo)) - 1u);
    }
#pragma GCC unroll 8
    for (size_t t = 0; t < RT; t++)
#pragma GCC unroll 3
        for (int z = 0; z < nz; z++)
            acc[t][z] = first ? _mm512_setzero_pd() : _mm512_loadu_pd(W + (t * nz + z) * NR);
    __m512d accy = with_y && !first ? _mm512_loadu_pd(Wy) : _mm512_setzero_pd();
    const double *a = A;
#pragma GCC unroll 2
    for (size_t r = 0; r < nb; r++, a += lda) {
        __m512d b[NZ_MAX];
        /* only the last vector can reach past column j */
#pragma GCC unroll 3
        for (int z = 0; z < nz; z++)
            b[z] = full || z < nz - 1 ? _mm512_loadu_pd(a + c0 + NR * z)
                                      : _mm512_maskz_loadu_pd(m[z], a + c0 + NR * z);
        /* S[r0 + t, c0 + c] += A[r, r0 + t] A[r, c0 + c] */
        const double *ar = a + r0;
#pragma GCC unroll 8
        for (size_t t = 0; t < RT; t++) {
            const __m512d x = _mm512_set1_pd(ar[col[t]]);
#pragma GCC unroll 3
            for (int z = 0; z < nz; z++)
                acc[t][z] = _mm512_fmadd_pd(x, b[z], acc[t][z]);
        }
        /* S[r0 + t, j] += A[r, r0 + t] y_r */
        if (with_y)
            accy = _mm512_fmadd_pd(b[0], _mm512_set1_pd(Y[r * ldy]), accy);
    }
    if (with_y && !last)
        _mm512_storeu_pd(Wy, accy);
    if (with_y && last) {
        double v[RT];
        _mm512_storeu_pd(v, accy);
        for (size_t t = 0; t < mr; t++)
            S[(r0 + t) * lds + j] += v[t];
    }
    if (!last) {
#pragma GCC unroll 8
        for (size_t t = 0; t < RT; t++)
#pragma GCC unroll 3
            for (int z = 0; z < nz; z++)
                _mm512_storeu_pd(W + (t * nz + z) * NR, acc[t][z]);
        return;
    }
#pragma GCC unroll 8
    for (size_t t = 0; t < mr; t++) {
        double *s = S + (r0 + t) * lds + c0;
        /* a tile on the diagonal (c0 == r0) keeps off the lower triangle */
        const __mmask8 below = (__mmask8)(c0 == r0 ? (1u << t) - 1u : 0u);
#pragma GCC unroll 3
        for (int z = 0; z < nz; z++) {
            const __mmask8 keep = (__mmask8)(z == 0 ? m[z] & ~below : m[z]);
            _mm512_mask_storeu_pd(s + NR * z, keep,
                                  _mm512_add_pd(_mm512_maskz_loadu_pd(keep, s + NR * z),
                                                acc[t][z]));
        }
    }
}

/* rows_tileN_F and rows_tileNy_F: the tiles of N vectors, without and with
 * one output's cross term, general (F = 0) or full (F = 1), each with its
 * constants inlined. */
#define ROWS_TILES(N, F)                                                                       \
    __attribute__((target("avx512f,avx2,fma"))) static void rows_tile##N##_##F(                \
        const double *A, size_t lda, size_t nb, size_t j, size_t r0, size_t c0, double *W,     \
        int first, int last, double *S, size_t lds, const double *Y, size_t ldy, double *Wy)   \
    {                                                                                          \
        (void)Y, (void)ldy, (void)Wy;                                                          \
        rows_tile(A, lda, nb, j, r0, c0, N, W, first, last, S, lds, 0, NULL, 0, NULL, F);      \
    }                                                                                          \
    __attribute__((target("avx512f,avx2,fma"))) static void rows_tile##N##y_##F(               \
        const double *A, size_t lda, size_t nb, size_t j, size_t r0, size_t c0, double *W,     \
        int first, int last, double *S, size_t lds, const double *Y, size_t ldy, double *Wy)   \
    {                                                                                          \
        rows_tile(A, lda, nb, j, r0, c0, N, W, first, last, S, lds, 1, Y, ldy, Wy, F);         \
    }
ROWS_TILES(1, 0)
ROWS_TILES(2, 0)
ROWS_TILES(3, 0)
ROWS_TILES(1, 1)
ROWS_TILES(2, 1)
ROWS_TILES(3, 1)
#undef ROWS_TILES

typedef void rows_tile_fn(const double *A, size_t lda, size_t nb, size_t j, size_t r0, size_t c0,
                          double *W, int first, int last, double *S, size_t lds, const double *Y,
                          size_t ldy, double *Wy);

/* ROWS_TILE[full][with_y][nz - 1] */
static rows_tile_fn *const ROWS_TILE[2][2][NZ_MAX] = {
    { { rows_tile1_0, rows_tile2_0, rows_tile3_0 }, { rows_tile1y_0, rows_tile2y_0, rows_tile3y_0 } },
    { { rows_tile1_1, rows_tile2_1, rows_tile3_1 }, { rows_tile1y_1, rows_tile2y_1, rows_tile3y_1 } },
};

/* S[0:j, j+c] += A^T Y[:, c] straight from the rows of a chunk (q rows),
 * 32 columns at a time: per row and output one broadcast of y and four
 * FMAs.  Each entry is summed from zero (first) or from its accumulator
 * waiting in W, which it is stored back to, or (last) added to S: over
 * the block, the packed variant's cross() sums. */
__attribute__((target("avx512f,avx2,fma")))
static void rows_cross(const double *A, size_t lda, size_t q, size_t j, const double *Y,
                       size_t ldy, size_t k, double *W, int first, int last, double *S,
                       size_t lds)
{
    for (size_t c = 0; c < k; c++)
        for (size_t c0 = 0; c0 < j; c0 += 4 * NR, W += 4 * NR) {
            __mmask8 m[4];
            __m512d acc[4];
            for (size_t z = 0; z < 4; z++) {
                const size_t lo = c0 + NR * z;
                m[z] = (__mmask8)(j >= lo + NR ? 0xFFu : j <= lo ? 0u : (1u << (j - lo)) - 1u);
                acc[z] = first ? _mm512_setzero_pd() : _mm512_loadu_pd(W + NR * z);
            }
            for (size_t r = 0; r < q; r++) {
                const __m512d y = _mm512_set1_pd(Y[r * ldy + c]);
                const double *a = A + r * lda + c0;
                /* acc += y_r A[r, c0 ..] */
                acc[0] = _mm512_fmadd_pd(y, _mm512_maskz_loadu_pd(m[0], a), acc[0]);
                acc[1] = _mm512_fmadd_pd(y, _mm512_maskz_loadu_pd(m[1], a + NR), acc[1]);
                acc[2] = _mm512_fmadd_pd(y, _mm512_maskz_loadu_pd(m[2], a + 2 * NR), acc[2]);
                acc[3] = _mm512_fmadd_pd(y, _mm512_maskz_loadu_pd(m[3], a + 3 * NR), acc[3]);
            }
            for (size_t z = 0; z < 4; z++) {
                if (!last) {
                    _mm512_storeu_pd(W + NR * z, acc[z]);
                    continue;
                }
                double v[NR];
                _mm512_storeu_pd(v, acc[z]);
                for (size_t e = 0; e < NR && c0 + NR * z + e < j; e++)
                    S[(c0 + NR * z + e) * lds + j + c] += v[e];
            }
        }
}

/* minmax_rows over a chunk in L1, 8 columns a vector: _mm512_min_pd(v, m)
 * is v < m ? v : m and _mm512_max_pd(v, m) is v > m ? v : m, lane by lane. */
__attribute__((target("avx512f,avx2,fma")))
static void rows_minmax(const double *A, size_t lda, size_t q, size_t j, double *colmin,
                        double *colmax)
{
    for (size_t c0 = 0; c0 < j; c0 += NR) {
        const __mmask8 m = (__mmask8)(j - c0 >= NR ? 0xFFu : (1u << (j - c0)) - 1u);
        __m512d lo = _mm512_maskz_loadu_pd(m, colmin + c0), hi = _mm512_maskz_loadu_pd(m, colmax + c0);
        for (size_t r = 0; r < q; r++) {
            const __m512d v = _mm512_maskz_loadu_pd(m, A + r * lda + c0);
            lo = _mm512_min_pd(v, lo);
            hi = _mm512_max_pd(v, hi);
        }
        _mm512_mask_storeu_pd(colmin + c0, m, lo);
        _mm512_mask_storeu_pd(colmax + c0, m, hi);
    }
}

/* The AVX-512 variant's prefetch of the chunk after the one its tiles
 * multiply: rows rows of lines 64-byte lines each at stride lda, a few
 * lines before each tile.  The tiles read a chunk from L1 over and over,
 * so after the first tile the hardware sees no misses to follow the
 * stream with; without these hints every chunk's first tile waited for
 * memory. */
typedef struct chunk_prefetch {
    const double *row;
    size_t lda, lines, rows, line, per_tile;
} chunk_prefetch;

static chunk_prefetch chunk_prefetch_start(const double *next, size_t rows, size_t lda, size_t j,
                                           size_t tiles)
{
    const size_t lines = (j + NR - 1) / NR;
    chunk_prefetch c = { next, lda, lines, next ? rows : 0, 0, 0 };
    c.per_tile = (c.rows * lines + tiles - 1) / tiles;
    return c;
}

static void chunk_prefetch_some(chunk_prefetch *c)
{
    for (size_t e = 0; e < c->per_tile && c->rows; e++) {
        __builtin_prefetch(c->row + NR * c->line, 0, 3);
        if (++c->line == c->lines) {
            c->line = 0;
            c->row += c->lda;
            c->rows--;
        }
    }
}

/* S[0:j, 0:j] += A^T A (upper triangle) by the AVX-512 tiles, and
 * S[0:j, j:j+k] += A^T Y, chunk after chunk, W (spill_len(j) + cross_len(j,
 * k) doubles) holding the accumulators between them; next (next_rows rows
 * at stride lda, or NULL): the rows after the block; colmin, colmax (or
 * NULL): as mg__gram_packed_block's. */
__attribute__((target("avx512f,avx2,fma")))
static void rows_gram(const double *A, size_t lda, const double *Y, size_t ldy, size_t nb,
                      size_t j, size_t k, double *S, size_t lds, double *W, const double *next,
                      size_t next_rows, double *colmin, double *colmax)
{
    size_t tiles = 0;
    for (size_t r0 = 0; r0 < j; r0 += RT)
        tiles += (j - r0 + NR * NZ_MAX - 1) / (NR * NZ_MAX);
    for (size_t q0 = 0; q0 < nb; q0 += CHUNK) {
        const size_t q = nb - q0 < CHUNK ? nb - q0 : CHUNK;
        const int first = q0 == 0, last = q0 + q == nb;
        const size_t left = last ? next_rows : nb - q0 - q;
        chunk_prefetch pf = chunk_prefetch_start(last ? next : A + (q0 + q) * lda,
                                                 left < CHUNK ? left : CHUNK, lda, j, tiles);
        double *w = W;
        for (size_t r0 = 0; r0 < j; r0 += RT)
            for (size_t c0 = r0; c0 < j; c0 += NR * NZ_MAX) {
                const size_t nc = j - c0, nz = nc > 2 * NR ? 3 : nc > NR ? 2 : 1;
                /* one output: its cross term rides on the diagonal tile */
                const int with_y = k == 1 && c0 == r0;
                const int full = j - r0 >= RT && nc >= nz * NR;
                chunk_prefetch_some(&pf);
                /* (Y may be NULL when k == 0: no pointer into it then) */
                ROWS_TILE[full][with_y][nz - 1](A + q0 * lda, lda, q, j, r0, c0, w, first, last,
                                                S, lds, with_y ? Y + q0 * ldy : NULL, ldy,
                                                W + spill_len(j) + r0);
                w += nz * RT * NR;
            }
        /* more outputs: their cross terms while the chunk is in L1 */
        if (k > 1)
            rows_cross(A + q0 * lda, lda, q, j, Y + q0 * ldy, ldy, k, W + spill_len(j), first,
                       last, S, lds);
        /* the range guard's minima and maxima, also from L1 */
        if (colmin)
            rows_minmax(A + q0 * lda, lda, q, j, colmin, colmax);
    }
}

#endif /* MG__CPU_X86 */

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

/* The packed variants: AVX2+FMA (avx2) or portable C. */
static void packed_block(const double *A, size_t lda, const double *Y, size_t ldy, size_t nb,
                         size_t j, size_t k, double *S, size_t lds, double *P, const double *next,
                         size_t next_rows, int avx2)
{
    const size_t tc = tile_count(j), per_tile = tc ? (next_rows + tc - 1) / tc : 0;
    size_t pf = 0;
#ifndef MG__CPU_X86
    (void)avx2; /* only the portable variant is built here */
#endif

    pack(A, lda, nb, j, P);
    /* S_AA += A_b^T A_b   (upper triangle, 6 x 8 tiles over the panels) */
    for (size_t r0 = 0; r0 < j; r0 += MR) {
        const size_t mr = j - r0 < MR ? j - r0 : MR;
        for (size_t c0 = (r0 / NR) * NR; c0 < j; c0 += NR) {
            const size_t nr = j - c0 < NR ? j - c0 : NR;
            prefetch_next(next, lda, next_rows, j, per_tile, &pf);
#ifdef MG__CPU_X86
            if (avx2) {
                tile(P, nb, r0, mr, c0, nr, S, lds);
                continue;
            }
#endif
            tile_generic(P, nb, r0, mr, c0, nr, S, lds);
        }
    }
    /* S_AY += A_b^T Y_b */
#ifdef MG__CPU_X86
    if (avx2)
        cross(P, nb, j, Y, ldy, k, S, lds);
    else
#endif
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
    if (isa >= MG__ISA_AVX512 && mg__cpu_has_avx512_fma() && j > 0) {
        /* S_AA += A_b^T A_b and S_AY += A_b^T Y_b, rows in place */
        rows_gram(A, lda, Y, ldy, nb, j, k, S, lds, P, next, next_rows, colmin, colmax);
        cross_yy(Y, ldy, nb, j, k, S, lds);
        return;
    }
    const int avx2 = isa >= MG__ISA_AVX2 && mg__cpu_has_avx2_fma();
#else
    const int avx2 = 0;
    (void)isa;
#endif
    /* the packed variants take the range first: pack then reads from cache */
    if (colmin)
        minmax_rows(A, lda, nb, j, colmin, colmax);
    packed_block(A, lda, Y, ldy, nb, j, k, S, lds, P, next, next_rows, avx2);
    cross_yy(Y, ldy, nb, j, k, S, lds);
}

void mg__gram_packed_block(const double *A, size_t lda, const double *Y, size_t ldy, size_t nb,
                           size_t j, size_t k, double *S, size_t lds, double *P,
                           const double *next, size_t next_rows, double *colmin, double *colmax)
{
    mg__gram_packed_block_isa(A, lda, Y, ldy, nb, j, k, S, lds, P, next, next_rows, colmin, colmax,
                              MG__ISA_BEST);
}
