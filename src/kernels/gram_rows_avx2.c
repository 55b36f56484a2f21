/* SPDX-License-Identifier: BSD-3-Clause */
/* The packed Gram kernel's AVX2+FMA variant, rows of A in place: the
 * AVX-512 variant's design (gram_rows.c) at half the width, for CPUs
 * without AVX-512.
 *
 * Tiles of 4 rows by 4, 8 or 12 columns of S keep up to 12 accumulators in
 * the 16 vector registers; per row of A a tile loads its one to three
 * column vectors and broadcasts A[r, r0 + t], t = 0 .. 3 (12 FMAs for 3
 * loads and 4 broadcasts).  Every tile passes over a chunk of 128 rows (the
 * fit engine's block) from L2 with its accumulators in registers, the
 * accumulators waiting in W between the chunks of a longer block.  The
 * first tile of each row group sits on the diagonal (at most 2 vectors:
 * beside its 8 accumulators it keeps the running minima and maxima of its
 * first vector, every column once, one output's A^T y, and prefetches the
 * next chunk's rows into L2 one line a row).  Every entry is the same
 * sequence of FMAs as in the other FMA variant: the same bits. */
#include "gram_rows.h"
#include "cpu.h"

#ifdef MG__CPU_X86
#include <immintrin.h>

/* Rows per chunk, vector width, rows per tile, the widest tile and the
 * widest tile on the diagonal in 4-column vectors. */
enum { CHUNK = 128, VW = 4, RT = 4, NZ_MAX = 3, NZ_DIAG = 2 };

/* The tiles' accumulators over j columns: 4 x 4 doubles for each 4-column
 * vector of each row group, ceil((j - r0) / 4) vectors for rows r0 ..
 * r0+3 (no more than mg__gram_rows_len's share for the AVX-512 tiles). */
static size_t spill_len(size_t j)
{
    const size_t m = (j + VW - 1) / VW;
    return RT * VW * (m * (m + 1) / 2);
}

/* lanes c < n of a vector: the mask of vmaskmovpd */
__attribute__((target("avx2,fma")))
static inline __m256i lanes_below(size_t n)
{
    const __m256i lane = _mm256_setr_epi64x(0, 1, 2, 3);
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x((long long)(n < VW ? n : VW)), lane);
}

/* One row a of a tile (below): acc[t][z] += A[r, r0 + t] A[r, c0 + 4 z ..];
 * diag: the running minima and maxima of the first vector; with_y: accy +=
 * that vector times y_r (at y). */
__attribute__((always_inline, target("avx2,fma")))
static inline void tile_row(const double *a, size_t r0, size_t c0, const int nz, const int full,
                            const int diag, const int with_y, const __m256i *m,
                            const size_t *col, __m256d acc[][NZ_MAX], __m256d *lo, __m256d *hi,
                            __m256d *accy, const double *y)
{
    __m256d b[NZ_MAX];
    /* only the last vector can reach past column j */
#pragma GCC unroll 3
    for (int z = 0; z < nz; z++)
        b[z] = full || z < nz - 1 ? _mm256_loadu_pd(a + c0 + VW * z)
                                  : _mm256_maskload_pd(a + c0 + VW * z, m[z]);
    /* lo = b0 < lo ? b0 : lo, hi = b0 > hi ? b0 : hi, lane by lane */
    if (diag) {
        *lo = _mm256_min_pd(b[0], *lo);
        *hi = _mm256_max_pd(b[0], *hi);
    }
    /* S[r0 + t, c0 + c] += A[r, r0 + t] A[r, c0 + c] */
    const double *ar = a + r0;
#pragma GCC unroll 4
    for (size_t t = 0; t < RT; t++) {
        const __m256d x = _mm256_broadcast_sd(ar + col[t]);
#pragma GCC unroll 3
        for (int z = 0; z < nz; z++)
            acc[t][z] = _mm256_fmadd_pd(x, b[z], acc[t][z]);
    }
    /* S[r0 + t, j] += A[r, r0 + t] y_r */
    if (with_y)
        *accy = _mm256_fmadd_pd(b[0], _mm256_broadcast_sd(y), *accy);
}

/* Tile (r0, c0) of nz vectors over the chunk's rows: rows r0 .. r0+3 of S
 * (broadcasts of A[r, r0 + t]; rows beyond j repeat the last one and are
 * never stored), columns c0 .. c0 + 4 nz (loads of A[r, c0 ..], masked
 * beyond j).  From zero (first) or from the accumulators waiting in W;
 * then back to W, or (last) added to S, on and above the diagonal only.
 * full: all four rows and all 4 nz columns exist (plain loads, constant
 * offsets).  diag (c0 == r0): the first vector's minima and maxima, the
 * next chunk's prefetch (at the row groups that start a 64-byte stretch
 * of columns, and the last group at column j - 1) and, with_y, S[r0 + t,
 * j] += A[r, r0 + t] y_r.  nz, full, diag and with_y are constants where
 * the functions below inline this. */
__attribute__((always_inline, target("avx2,fma")))
static inline void rows_tile(const mg__rows_job *jb, size_t r0, size_t c0, double *W,
                             const int nz, const int full, const int diag, const int with_y)
{
    const double *const A = jb->A, *const Y = jb->Y, *const pf = jb->pf;
    const size_t lda = jb->lda, ldy = jb->ldy, q = jb->q, j = jb->j;
    const int first = jb->first, last = jb->last, pf_tail = diag && r0 + RT >= j;
    const size_t pf_rows = diag && (r0 % 8 == 0 || pf_tail) ? jb->pf_rows : 0;
    const size_t mr = full ? RT : j - r0 < RT ? j - r0 : RT, nc = j - c0;
    size_t col[RT];
    __m256i m[NZ_MAX];
    __m256d acc[RT][NZ_MAX], lo = _mm256_setzero_pd(), hi = lo;
    /* nz > 1: nc > 4, so j - r0 >= nc > 4 and all four rows exist */
#pragma GCC unroll 4
    for (size_t t = 0; t < RT; t++)
        col[t] = full || nz > 1 || t < mr ? t : mr - 1;
#pragma GCC unroll 3
    for (int z = 0; z < nz; z++)
        m[z] = lanes_below(nc > (size_t)VW * (size_t)z ? nc - (size_t)VW * (size_t)z : 0);
#pragma GCC unroll 4
    for (size_t t = 0; t < RT; t++)
#pragma GCC unroll 3
        for (int z = 0; z < nz; z++)
            acc[t][z] = first ? _mm256_setzero_pd() : _mm256_loadu_pd(W + (t * nz + z) * VW);
    __m256d accy = with_y && !first ? _mm256_loadu_pd(jb->Wy + r0) : _mm256_setzero_pd();
    if (diag) {
        lo = _mm256_maskload_pd(jb->mn + r0, m[0]);
        hi = _mm256_maskload_pd(jb->mx + r0, m[0]);
    }
    /* the rows whose next-chunk rows it prefetches, then the others: two
     * loops, pointers stepped row by row, so that the general registers
     * hold the loop (one loop with the test inside spilled them) */
    const double *a = A, *y = Y, *p = pf_rows ? pf + r0 : NULL;
    const size_t tail = j - 1 - r0, npf = pf_rows < q ? pf_rows : q;
    size_t r = 0;
    for (; r < npf; r++, a += lda, p += lda) {
        __builtin_prefetch(p, 0, 2);
        if (pf_tail)
            __builtin_prefetch(p + tail, 0, 2);
        tile_row(a, r0, c0, nz, full, diag, with_y, m, col, acc, &lo, &hi, &accy, y);
        y = with_y ? y + ldy : y;
    }
#pragma GCC unroll 2
    for (; r < q; r++, a += lda) {
        tile_row(a, r0, c0, nz, full, diag, with_y, m, col, acc, &lo, &hi, &accy, y);
        y = with_y ? y + ldy : y;
    }
    if (diag) {
        _mm256_maskstore_pd(jb->mn + r0, m[0], lo);
        _mm256_maskstore_pd(jb->mx + r0, m[0], hi);
    }
    if (with_y && !last)
        _mm256_storeu_pd(jb->Wy + r0, accy);
    if (with_y && last) {
        double v[RT];
        _mm256_storeu_pd(v, accy);
        for (size_t t = 0; t < mr; t++)
            jb->S[(r0 + t) * jb->lds + j] += v[t];
    }
    if (!last) {
#pragma GCC unroll 4
        for (size_t t = 0; t < RT; t++)
#pragma GCC unroll 3
            for (int z = 0; z < nz; z++)
                _mm256_storeu_pd(W + (t * nz + z) * VW, acc[t][z]);
        return;
    }
    const __m256i lane = _mm256_setr_epi64x(0, 1, 2, 3);
#pragma GCC unroll 4
    for (size_t t = 0; t < mr; t++) {
        double *s = jb->S + (r0 + t) * jb->lds + c0;
#pragma GCC unroll 3
        for (int z = 0; z < nz; z++) {
            /* a tile on the diagonal keeps off the lower triangle */
            const __m256i keep =
                diag && z == 0 ? _mm256_and_si256(m[0], _mm256_cmpgt_epi64(
                                                            lane, _mm256_set1_epi64x((long long)t - 1)))
                               : m[z];
            if (full && !(diag && z == 0))
                _mm256_storeu_pd(s + VW * z, _mm256_add_pd(_mm256_loadu_pd(s + VW * z), acc[t][z]));
            else
                _mm256_maskstore_pd(s + VW * z, keep,
                                    _mm256_add_pd(_mm256_maskload_pd(s + VW * z, keep), acc[t][z]));
        }
    }
}

typedef void rows_tile_fn(const mg__rows_job *jb, size_t r0, size_t c0, double *W);

/* The tiles with their constants inlined: tile_oFN off the diagonal,
 * tile_dFYN on it (F: full, Y: with the output, N vectors). */
#define TILE_FN(name, N, F, D, Y)                                                              \
    __attribute__((target("avx2,fma"))) static void name(const mg__rows_job *jb, size_t r0,    \
                                                         size_t c0, double *W)                 \
    {                                                                                          \
        rows_tile(jb, r0, c0, W, N, F, D, Y);                                                  \
    }
#define OFF_TILES(F)                                                                           \
    TILE_FN(tile_o##F##1, 1, F, 0, 0)                                                          \
    TILE_FN(tile_o##F##2, 2, F, 0, 0)                                                          \
    TILE_FN(tile_o##F##3, 3, F, 0, 0)
#define DIAG_TILES(F, Y)                                                                       \
    TILE_FN(tile_d##F##Y##1, 1, F, 1, Y)                                                       \
    TILE_FN(tile_d##F##Y##2, 2, F, 1, Y)
OFF_TILES(0)
OFF_TILES(1)
DIAG_TILES(0, 0)
DIAG_TILES(0, 1)
DIAG_TILES(1, 0)
DIAG_TILES(1, 1)
#undef DIAG_TILES
#undef OFF_TILES
#undef TILE_FN

/* OFF_TILE[full][nz - 1], DIAG_TILE[full][with_y][nz - 1] */
static rows_tile_fn *const OFF_TILE[2][NZ_MAX] = {
    { tile_o01, tile_o02, tile_o03 },
    { tile_o11, tile_o12, tile_o13 },
};
static rows_tile_fn *const DIAG_TILE[2][2][NZ_DIAG] = {
    { { tile_d001, tile_d002 }, { tile_d011, tile_d012 } },
    { { tile_d101, tile_d102 }, { tile_d111, tile_d112 } },
};

/* S[0:j, j+c] += A^T Y[:, c] from the rows of a chunk (q rows), 16 columns
 * at a time: per row and output one broadcast of y and four FMAs; summed
 * from zero (first) or from W, stored back to W or (last) added to S. */
__attribute__((target("avx2,fma")))
static void rows_cross(const double *A, size_t lda, size_t q, size_t j, const double *Y,
                       size_t ldy, size_t k, double *W, int first, int last, double *S,
                       size_t lds)
{
    for (size_t c = 0; c < k; c++)
        for (size_t c0 = 0; c0 < j; c0 += 4 * VW, W += 4 * VW) {
            __m256i m[4];
            __m256d acc[4];
            for (size_t z = 0; z < 4; z++) {
                const size_t lo = c0 + VW * z;
                m[z] = lanes_below(j > lo ? j - lo : 0);
                acc[z] = first ? _mm256_setzero_pd() : _mm256_loadu_pd(W + VW * z);
            }
            for (size_t r = 0; r < q; r++) {
                const __m256d y = _mm256_broadcast_sd(Y + r * ldy + c);
                const double *a = A + r * lda + c0;
                /* acc += y_r A[r, c0 ..] */
                acc[0] = _mm256_fmadd_pd(y, _mm256_maskload_pd(a, m[0]), acc[0]);
                acc[1] = _mm256_fmadd_pd(y, _mm256_maskload_pd(a + VW, m[1]), acc[1]);
                acc[2] = _mm256_fmadd_pd(y, _mm256_maskload_pd(a + 2 * VW, m[2]), acc[2]);
                acc[3] = _mm256_fmadd_pd(y, _mm256_maskload_pd(a + 3 * VW, m[3]), acc[3]);
            }
            for (size_t z = 0; z < 4; z++) {
                if (!last) {
                    _mm256_storeu_pd(W + VW * z, acc[z]);
                    continue;
                }
                double v[VW];
                _mm256_storeu_pd(v, acc[z]);
                for (size_t e = 0; e < VW && c0 + VW * z + e < j; e++)
                    S[(c0 + VW * z + e) * lds + j + c] += v[e];
            }
        }
}

void mg__gram_rows_avx2_block(const double *A, size_t lda, const double *Y, size_t ldy,
                              size_t nb, size_t j, size_t k, double *S, size_t lds, double *W,
                              const double *next, size_t next_rows, double *colmin,
                              double *colmax)
{
    if (!mg__cpu_has_avx2_fma() || nb == 0 || j == 0)
        return;
    double *const Wy = W + spill_len(j);
    mg__rows_range_or_scratch(W, j, k, &colmin, &colmax);
    for (size_t q0 = 0; q0 < nb; q0 += CHUNK) {
        const mg__rows_job jb = mg__rows_job_at(A, lda, Y, ldy, nb, j, k, S, lds, Wy, next,
                                                next_rows, colmin, colmax, q0, CHUNK);
        double *w = W;
        for (size_t r0 = 0; r0 < j; r0 += RT) {
            /* the diagonal tile: its 4 x 4 block and up to one vector more */
            const size_t nd = j - r0 > VW ? NZ_DIAG : 1;
            DIAG_TILE[j - r0 >= nd * VW][k == 1][nd - 1](&jb, r0, r0, w);
            w += nd * RT * VW;
            for (size_t c0 = r0 + nd * VW; c0 < j; c0 += NZ_MAX * VW) {
                const size_t nc = j - c0, nz = nc > 2 * VW ? 3 : nc > VW ? 2 : 1;
                /* (c0 > r0 + 3: all four rows exist) */
                OFF_TILE[nc >= nz * VW][nz - 1](&jb, r0, c0, w);
                w += nz * RT * VW;
            }
        }
        /* more outputs: their cross terms while the chunk is in cache */
        if (k > 1)
            rows_cross(jb.A, lda, jb.q, j, Y + q0 * ldy, ldy, k, Wy, jb.first, jb.last, S, lds);
    }
}

#else

/* (the variant exists on x86 with GCC or Clang only: cpu.h) */
typedef int mg__gram_rows_avx2_unused;

#endif /* MG__CPU_X86 */
