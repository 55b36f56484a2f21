/* SPDX-License-Identifier: BSD-3-Clause */
/* The packed Gram kernel's AVX-512 variant: S += A^T A (upper triangle)
 * and A^T Y, with each column's minimum and maximum, straight from the
 * rows of a tall, narrow A (a row is already contiguous in the columns a
 * tile needs, so nothing is packed).
 *
 * Tiles of 8 rows by 8, 16 or 24 columns of S keep up to 24 accumulators
 * in registers.  Per row of A a tile loads its one to three column vectors
 * and multiplies them by A[r, r0 + t], t = 0 .. 7, each broadcast from
 * memory inside its FMA.  Every entry of S is the packed AVX2 variant's
 * sequence of operations (from zero, row after row, one FMA of two entries
 * of A, added to S once per block), so the two variants agree bit for bit
 * (FMA(a, b, s) and FMA(b, a, s) round the same exact product).
 *
 * Where the time went, one core, 1e6 x 64 (docs/performance.md, "Against
 * the dgemm peak"), and what each part of this file does about it:
 * - the 8 x 8 blocks on the diagonal: 8 FMAs for 36 entries.  A full tile
 *   on the diagonal forms them from rotations of the row's own vector, 5
 *   FMAs (the rotations run beside the FMAs, on another port);
 * - reloading the accumulators: chunks of 16 or 32 rows that stayed in L1
 *   loaded and stored every accumulator once a chunk.  A chunk is now the
 *   fit engine's block (128 rows, 64 KiB at 64 columns), read from L2;
 * - the next chunk's prefetch: issued a few lines before each tile, it
 *   came in bursts; now each row of a tile on the diagonal prefetches one
 *   line of the next chunk's rows into L2;
 * - the range guard's minima and maxima: a pass of its own, one dependent
 *   minimum per row and vector; now the tiles on the diagonal take them
 *   from the vector they load anyway, every column once;
 * - one vbroadcastsd per tile row: the broadcast folds into the FMA. */
#include "gram_rows.h"
#include "cpu.h"

#include <string.h>

#ifdef MG__CPU_X86
#include <immintrin.h>
#endif

/* Rows per chunk, rows per tile, the widest tile in 8-column vectors, and
 * the rotations of a diagonal block.  Longer blocks than CHUNK go by in
 * chunks, the accumulators waiting in W between them. */
enum { CHUNK = 128, NR = 8, RT = 8, NZ_MAX = 3, ROT_MAX = 5 };

/* The tiles' accumulators over j columns: 8 x 8 doubles for each 8-column
 * vector of each tile, ceil((j - r0) / 8) vectors for the tiles of rows
 * r0 .. r0+7. */
static size_t spill_len(size_t j)
{
    const size_t m = (j + NR - 1) / NR;
    return RT * NR * (m * (m + 1) / 2);
}

/* The cross terms' accumulators: 32 columns at a time, for each of the k
 * outputs (one output: 8 for each row block). */
static size_t cross_len(size_t j, size_t k)
{
    return k * ((j + 4 * NR - 1) / (4 * NR)) * 4 * NR;
}

/* Minima and maxima nobody asked for: the tiles take them anyway. */
static size_t range_len(size_t j)
{
    return 2 * ((j + NR - 1) / NR) * NR;
}

size_t mg__gram_rows_len(size_t j, size_t k)
{
    return spill_len(j) + cross_len(j, k) + range_len(j);
}

#ifdef MG__CPU_X86

void mg__rows_range_or_scratch(double *W, size_t j, size_t k, double **colmin, double **colmax)
{
    if (*colmin)
        return;
    /* the tiles on the diagonal take the range anyway: into zeroed scratch
     * past the AVX-512 layout's accumulators, which cover the AVX2 ones */
    double *const Wr = W + spill_len(j) + cross_len(j, k);
    memset(Wr, 0, range_len(j) * sizeof *Wr);
    *colmin = Wr;
    *colmax = Wr + range_len(j) / 2;
}

mg__rows_job mg__rows_job_at(const double *A, size_t lda, const double *Y, size_t ldy, size_t nb,
                             size_t j, size_t k, double *S, size_t lds, double *Wy,
                             const double *next, size_t next_rows, double *mn, double *mx,
                             size_t q0, size_t chunk)
{
    const size_t q = nb - q0 < chunk ? nb - q0 : chunk;
    const int first = q0 == 0, last = q0 + q == nb;
    /* the rows after this chunk: the block's next chunk or the next block */
    const double *after = last ? next : A + (q0 + q) * lda;
    const size_t left = !after ? 0 : last ? next_rows : nb - q0 - q;
    const mg__rows_job jb = { A + q0 * lda, k == 1 ? Y + q0 * ldy : NULL, left ? after : NULL,
                              S, mn, mx, Wy, lda, ldy, lds, q, j,
                              left < chunk ? left : chunk, first, last };
    return jb;
}

/* p, hidden from common-subexpression elimination: each FMA then takes its
 * broadcast from memory ({1to8}) instead of the three FMAs of a tile row
 * sharing one vbroadcastsd, an instruction fewer for every three FMAs. */
static inline __attribute__((always_inline)) const double *opaque(const double *p)
{
    __asm__ volatile("" : "+r"(p));
    return p;
}

/* lane i of the result is lane (i + s) mod 8 of u */
__attribute__((always_inline, target("avx512f,avx2,fma")))
static inline __m512d rotate_lanes(__m512d u, const int s)
{
    const __m512i v = _mm512_castpd_si512(u);
    /* valignq takes its shift as an immediate, also in unoptimised builds */
    switch (s) {
    case 1:
        return _mm512_castsi512_pd(_mm512_alignr_epi64(v, v, 1));
    case 2:
        return _mm512_castsi512_pd(_mm512_alignr_epi64(v, v, 2));
    case 3:
        return _mm512_castsi512_pd(_mm512_alignr_epi64(v, v, 3));
    case 4:
        return _mm512_castsi512_pd(_mm512_alignr_epi64(v, v, 4));
    default:
        return u;
    }
}

/* D[a, b] += the rotated sums of a diagonal block, a <= b (D: the 8 x 8
 * block of S on the diagonal, row stride lds): acc[s][0] lane i holds the
 * sum of A[r, i] A[r, (i + s) mod 8], entry (i, i + s) or, past the
 * block's end, (i + s - 8, i) of the upper triangle.  Shift 4 finds each
 * of its pairs twice, from both ends, with the same products in the same
 * order: the lanes i < 4 are added. */
__attribute__((always_inline, target("avx512f,avx2,fma")))
static inline void rot_block_add(__m512d acc[][NZ_MAX], double *D, size_t lds)
{
    for (int s = 0; s < ROT_MAX; s++) {
        double v[RT];
        _mm512_storeu_pd(v, acc[s][0]);
        for (int i = 0; i < (s == RT / 2 ? RT / 2 : RT); i++) {
            const int o = (i + s) % RT, a = i < o ? i : o, b = i < o ? o : i;
            D[(size_t)a * lds + (size_t)b] += v[i];
        }
    }
}

/* Tile (r0, c0) of nz vectors over the chunk's rows: rows r0 .. r0+7 of S
 * (broadcasts of A[r, r0 + t]; rows beyond j repeat the last one and are
 * never stored), columns c0 .. c0 + 8 nz (loads of A[r, c0 ..], masked
 * beyond j).  From zero (first) or from the accumulators waiting in W;
 * then back to W, or (last) added to S, on and above the diagonal only.
 *
 * full: all eight rows and all 8 nz columns exist, so the loads need no
 * mask and the broadcasts sit at constant offsets from one pointer; the
 * general form keeps a mask and eight column offsets live, more than the
 * general registers hold beside the loop's own, and the compiler reloaded
 * them from the stack every row (llvm-mca: 13 cycles a row for the 24 FMAs'
 * 12).  Both forms do the same operations on the columns that exist.
 *
 * diag (c0 == r0): the tile's first vector is columns r0 .. r0+7, which
 * no other tile on the diagonal loads.  It takes their minima and maxima,
 * and prefetches the next chunk's rows' line at column r0 (the last row
 * block also the line of column j - 1, for rows that do not start a line);
 * full, it forms its 8 x 8 block by rotations (rot_block_add).  with_y (on
 * the diagonal, one output): S[r0 + t, j] += A[r, r0 + t] y_r as well, its
 * accumulator waiting in Wy.  nz, full, diag and with_y are constants
 * where the functions below inline this, so the accumulators live in
 * registers. */
__attribute__((always_inline, target("avx512f,avx2,fma")))
static inline void rows_tile(const mg__rows_job *jb, size_t r0, size_t c0, double *W, const int nz,
                             const int full, const int diag, const int with_y)
{
    const double *const A = jb->A, *const Y = jb->Y, *const pf = jb->pf;
    const size_t lda = jb->lda, ldy = jb->ldy, q = jb->q, j = jb->j, pf_rows = jb->pf_rows;
    const int first = jb->first, last = jb->last, rot = diag && full;
    const int pf_tail = diag && r0 + RT >= j;
    const size_t mr = full ? RT : j - r0 < RT ? j - r0 : RT, nc = j - c0;
    size_t col[RT];
    __mmask8 m[NZ_MAX];
    __m512d acc[RT][NZ_MAX], lo = _mm512_setzero_pd(), hi = lo;
    /* nz > 1: nc > 8, so j - r0 >= nc > 8 and all eight rows exist (the
     * offsets are then constants from one base) */
#pragma GCC unroll 8
    for (size_t t = 0; t < RT; t++)
        col[t] = full || nz > 1 || t < mr ? t : mr - 1;
#pragma GCC unroll 3
    for (int z = 0; z < nz; z++) {
        const size_t c = (size_t)NR * (size_t)z;
        m[z] = (__mmask8)(full || nc >= c + NR ? 0xFFu : nc <= c ? 0u : (1u << (nc - c)) - 1u);
    }
    /* (a rotated block's first vector has ROT_MAX accumulators, not 8) */
#pragma GCC unroll 8
    for (size_t t = 0; t < RT; t++)
#pragma GCC unroll 3
        for (int z = rot && t >= ROT_MAX ? 1 : 0; z < nz; z++)
            acc[t][z] = first ? _mm512_setzero_pd() : _mm512_loadu_pd(W + (t * nz + z) * NR);
    __m512d accy = with_y && !first ? _mm512_loadu_pd(jb->Wy + r0) : _mm512_setzero_pd();
    if (diag) {
        lo = _mm512_maskz_loadu_pd(m[0], jb->mn + r0);
        hi = _mm512_maskz_loadu_pd(m[0], jb->mx + r0);
    }
    const double *a = A;
#pragma GCC unroll 2
    for (size_t r = 0; r < q; r++, a += lda) {
        if (diag && r < pf_rows) {
            __builtin_prefetch(pf + r * lda + r0, 0, 2);
            if (pf_tail)
                __builtin_prefetch(pf + r * lda + j - 1, 0, 2);
        }
        __m512d b[NZ_MAX];
        /* only the last vector can reach past column j */
#pragma GCC unroll 3
        for (int z = 0; z < nz; z++)
            b[z] = full || z < nz - 1 ? _mm512_loadu_pd(a + c0 + NR * z)
                                      : _mm512_maskz_loadu_pd(m[z], a + c0 + NR * z);
        /* lo = b0 < lo ? b0 : lo, hi = b0 > hi ? b0 : hi, lane by lane */
        if (diag) {
            lo = _mm512_min_pd(b[0], lo);
            hi = _mm512_max_pd(b[0], hi);
        }
        /* S[r0 + t, c0 + c] += A[r, r0 + t] A[r, c0 + c] */
        const double *ar = a + r0;
#pragma GCC unroll 8
        for (size_t t = 0; t < RT; t++) {
            /* rot: acc[s][0] lane i += u_i u_(i+s mod 8), u = b[0] */
            if (rot && t < ROT_MAX)
                acc[t][0] = _mm512_fmadd_pd(b[0], rotate_lanes(b[0], (int)t), acc[t][0]);
#pragma GCC unroll 3
            for (int z = rot ? 1 : 0; z < nz; z++)
                acc[t][z] = _mm512_fmadd_pd(_mm512_set1_pd(*opaque(ar + col[t])), b[z], acc[t][z]);
        }
        /* S[r0 + t, j] += A[r, r0 + t] y_r */
        if (with_y)
            accy = _mm512_fmadd_pd(b[0], _mm512_set1_pd(Y[r * ldy]), accy);
    }
    if (diag) {
        _mm512_mask_storeu_pd(jb->mn + r0, m[0], lo);
        _mm512_mask_storeu_pd(jb->mx + r0, m[0], hi);
    }
    if (with_y && !last)
        _mm512_storeu_pd(jb->Wy + r0, accy);
    if (with_y && last) {
        double v[RT];
        _mm512_storeu_pd(v, accy);
        for (size_t t = 0; t < mr; t++)
            jb->S[(r0 + t) * jb->lds + j] += v[t];
    }
    if (!last) {
#pragma GCC unroll 8
        for (size_t t = 0; t < RT; t++)
#pragma GCC unroll 3
            for (int z = rot && t >= ROT_MAX ? 1 : 0; z < nz; z++)
                _mm512_storeu_pd(W + (t * nz + z) * NR, acc[t][z]);
        return;
    }
    if (rot)
        rot_block_add(acc, jb->S + r0 * jb->lds + r0, jb->lds);
#pragma GCC unroll 8
    for (size_t t = 0; t < mr; t++) {
        double *s = jb->S + (r0 + t) * jb->lds + c0;
        /* a tile on the diagonal keeps off the lower triangle */
        const __mmask8 below = (__mmask8)(diag ? (1u << t) - 1u : 0u);
#pragma GCC unroll 3
        for (int z = rot ? 1 : 0; z < nz; z++) {
            const __mmask8 keep = (__mmask8)(z == 0 ? m[z] & ~below : m[z]);
            _mm512_mask_storeu_pd(s + NR * z, keep,
                                  _mm512_add_pd(_mm512_maskz_loadu_pd(keep, s + NR * z),
                                                acc[t][z]));
        }
    }
}

typedef void rows_tile_fn(const mg__rows_job *jb, size_t r0, size_t c0, double *W);

/* The tiles with their constants inlined: tile_oFN off the diagonal,
 * tile_dFYN on it (F: full, Y: with the output, N vectors). */
#define TILE_FN(name, N, F, D, Y)                                                              \
    __attribute__((target("avx512f,avx2,fma"))) static void name(const mg__rows_job *jb,           \
                                                                 size_t r0, size_t c0,         \
                                                                 double *W)                    \
    {                                                                                          \
        rows_tile(jb, r0, c0, W, N, F, D, Y);                                                  \
    }
#define OFF_TILES(F)                                                                           \
    TILE_FN(tile_o##F##1, 1, F, 0, 0)                                                          \
    TILE_FN(tile_o##F##2, 2, F, 0, 0)                                                          \
    TILE_FN(tile_o##F##3, 3, F, 0, 0)
#define DIAG_TILES(F, Y)                                                                       \
    TILE_FN(tile_d##F##Y##1, 1, F, 1, Y)                                                       \
    TILE_FN(tile_d##F##Y##2, 2, F, 1, Y)                                                       \
    TILE_FN(tile_d##F##Y##3, 3, F, 1, Y)
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
static rows_tile_fn *const DIAG_TILE[2][2][NZ_MAX] = {
    { { tile_d001, tile_d002, tile_d003 }, { tile_d011, tile_d012, tile_d013 } },
    { { tile_d101, tile_d102, tile_d103 }, { tile_d111, tile_d112, tile_d113 } },
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

void mg__gram_rows_block(const double *A, size_t lda, const double *Y, size_t ldy, size_t nb,
                         size_t j, size_t k, double *S, size_t lds, double *W,
                         const double *next, size_t next_rows, double *colmin, double *colmax)
{
    if (!mg__cpu_has_avx512_fma() || nb == 0 || j == 0)
        return;
    double *const Wy = W + spill_len(j);
    mg__rows_range_or_scratch(W, j, k, &colmin, &colmax);
    for (size_t q0 = 0; q0 < nb; q0 += CHUNK) {
        const mg__rows_job jb = mg__rows_job_at(A, lda, Y, ldy, nb, j, k, S, lds, Wy, next, next_rows,
                                            colmin, colmax, q0, CHUNK);
        double *w = W;
        for (size_t r0 = 0; r0 < j; r0 += RT)
            for (size_t c0 = r0; c0 < j; c0 += NR * NZ_MAX) {
                const size_t nc = j - c0, nz = nc > 2 * NR ? 3 : nc > NR ? 2 : 1;
                const int full = j - r0 >= RT && nc >= nz * NR;
                /* one output: its cross term rides on the diagonal tile */
                if (c0 == r0)
                    DIAG_TILE[full][k == 1][nz - 1](&jb, r0, c0, w);
                else
                    OFF_TILE[full][nz - 1](&jb, r0, c0, w);
                w += nz * RT * NR;
            }
        /* more outputs: their cross terms while the chunk is in cache */
        if (k > 1)
            rows_cross(jb.A, lda, jb.q, j, Y + q0 * ldy, ldy, k, Wy, jb.first, jb.last, S, lds);
    }
}

#endif /* MG__CPU_X86 */
