/* SPDX-License-Identifier: BSD-3-Clause */
/* The fused MSE kernel, written once with GCC/Clang vector extensions and
 * compiled three times on x86: for the baseline (SSE2), for AVX2, and for
 * AVX-512 with 8-wide vectors, picked at run time (cpu.h: MATGRAD_SIMD=generic
 * forces the baseline); other targets build the portable variant alone.  No
 * variant uses FMA (none is given "fma" and ISO C mode forbids contraction),
 * and all perform the same IEEE operations in the same order (a 4-wide
 * vector add is four scalar adds either way; an 8-wide one is two 4-wide
 * ones), so they return bitwise identical results.  The 8-wide variant
 * issues half the instructions: at 1e6 x 64 the arithmetic took about as
 * long as reading A, and what of it did not overlap the reads was the gap
 * to the streaming rate.
 *
 * Every entry of the gradient is summed one row at a time, in row order:
 * g_c = (..((g_c + r_0 a_0c) + r_1 a_1c) + ..), each r_i = y_i - a_i w by the
 * dot product's fixed order.  Two ways to that order:
 *   - one output whose gradient fits in registers (j <= 64 on the 8-wide
 *     variant, 32 on the others): one pass, each row loaded once, its
 *     residual formed and its r a added to g while the row sits in
 *     registers and L1.  This is the pass at 1e6 x 64: it reads A at about
 *     90% of the prefetching streaming sum's rate (bench/bench_grad_bw.c,
 *     docs/performance.md);
 *   - otherwise blocks of about BLOCK_BYTES of rows (kept in L1): phase 1
 *     streams the block's rows in address order (what the hardware
 *     prefetcher follows best) and forms their residuals; phase 2 adds
 *     A_b^T R_b from L1, up to 64 columns of g at a time in registers over
 *     all the block's rows.
 * The two are the same operations in the same order, so the same bits.
 *
 * The hardware prefetcher alone does not keep memory busy (the plain sum
 * reads 7-20% slower than one that also prefetches), so the rows' lines are
 * also asked for ahead, into L2 (prefetcht1: into L1 measured slower, as
 * each outstanding L1 prefetch holds a line fill buffer for the whole
 * memory latency): at each row, every line up to PREFETCH_BYTES past its
 * end, as the streaming sum does.  Rows with a gap of a line or more
 * between them (lda >= j + 8) are prefetched row by row instead, so that
 * no gap is read.  The block-wise version of this kernel (four rows per
 * update of g in memory, prefetches spread over both phases) read at
 * 80-84% of that sum (docs/performance.md). */
#include "mse_fused.h"
#include "cpu.h"

#include <stdint.h>

typedef double v4d __attribute__((vector_size(32), aligned(8), may_alias));

/* Macros, not functions: a 32-byte vector argument would change the ABI of
 * the baseline variant. */
#define LD(p) (*(const v4d *)(p))
#define HSUM(v) (((v)[0] + (v)[1]) + ((v)[2] + (v)[3]))
#define MG_INLINE static inline __attribute__((always_inline))

enum {
    BLOCK_BYTES = 16 * 1024,
    MAX_BLOCK_ROWS = 64,
    PREFETCH_BYTES = 8 * 1024, /* the least lead of the prefetches */
    LINE = 64
};

/* Prefetches (hints: no fault, no effect on any result) take addresses as
 * integers, which may lie before A or past the slice. */
#define PREFETCH(addr) __builtin_prefetch((const void *)(addr), 0, 2)

/* The prefetch cursor over dense rows: the next byte to ask for, and the
 * end of the slice's bytes. */
typedef struct cursor { uintptr_t next, end; } cursor;

/* Phase 1, at the row ending at `row_end`: every line up to PREFETCH_BYTES
 * past it that has not been asked for yet. */
MG_INLINE void cursor_row(cursor *pc, uintptr_t row_end)
{
    const uintptr_t least = row_end + PREFETCH_BYTES;
    for (; pc->next < least && pc->next < pc->end; pc->next += LINE)
        PREFETCH(pc->next);
}

/* The cache lines of a[0..j), for rows with gaps (not dense). */
MG_INLINE void prefetch_row(const double *a, size_t j)
{
    const uintptr_t end = (uintptr_t)(a + j);
    for (uintptr_t p = (uintptr_t)a & ~(uintptr_t)(LINE - 1); p < end; p += LINE)
        PREFETCH(p);
}

/* a . w with four, then two vector accumulators (independent add chains). */
MG_INLINE double dot(const double *a, const double *w, size_t j)
{
    v4d s0 = { 0 }, s1 = { 0 }, s2 = { 0 }, s3 = { 0 };
    size_t c = 0;
    for (; c + 16 <= j; c += 16) {
        s0 += LD(a + c) * LD(w + c);
        s1 += LD(a + c + 4) * LD(w + c + 4);
        s2 += LD(a + c + 8) * LD(w + c + 8);
        s3 += LD(a + c + 12) * LD(w + c + 12);
    }
    s0 += s2;
    s1 += s3;
    for (; c + 8 <= j; c += 8) {
        s0 += LD(a + c) * LD(w + c);
        s1 += LD(a + c + 4) * LD(w + c + 4);
    }
    if (c + 4 <= j) {
        s0 += LD(a + c) * LD(w + c);
        c += 4;
    }
    s0 += s1;
    double d = HSUM(s0);
    for (; c < j; c++)
        d += a[c] * w[c];
    return d;
}

/* Phase 2's order, for every entry of g: g_c = (..((g_c + e_0 a_0c) +
 * e_1 a_1c) + ..) + e_{nb-1} a_{nb-1,c}, one row at a time, whatever the
 * vector width.  The panels below keep NV vectors of g in registers over
 * all nb rows (one load and one store of g per block); e_i is e[i * k]. */
#define PANEL_BODY(VT, LDV, WIDTH, NV)                                                   \
    VT acc[8];                                                                           \
    _Pragma("GCC unroll 8") for (int z = 0; z < (NV); z++) acc[z] = LDV(g + (WIDTH) * z); \
    for (size_t i = 0; i < nb; i++) {                                                    \
        const double ei = e[i * k];                                                      \
        const VT f = (VT){ 0 } + ei;                                                     \
        const double *a = a0 + i * lda;                                                  \
        _Pragma("GCC unroll 8") for (int z = 0; z < (NV); z++) acc[z] += f * LDV(a + (WIDTH) * z); \
    }                                                                                    \
    _Pragma("GCC unroll 8") for (int z = 0; z < (NV); z++) *(VT *)(g + (WIDTH) * z) = acc[z];

/* fn(args..., n) with n = nv (0 to 8) as a constant, so that each inlined
 * copy keeps its n accumulators in registers. */
#define WITH_CONSTANT(nv, fn, ...)                                                           \
    switch (nv) {                                                                            \
    case 8: fn(__VA_ARGS__, 8); break;                                                       \
    case 7: fn(__VA_ARGS__, 7); break;                                                       \
    case 6: fn(__VA_ARGS__, 6); break;                                                       \
    case 5: fn(__VA_ARGS__, 5); break;                                                       \
    case 4: fn(__VA_ARGS__, 4); break;                                                       \
    case 3: fn(__VA_ARGS__, 3); break;                                                       \
    case 2: fn(__VA_ARGS__, 2); break;                                                       \
    case 1: fn(__VA_ARGS__, 1); break;                                                       \
    default: fn(__VA_ARGS__, 0); break;                                                      \
    }

/* g[0..4 nv) over the block's rows, 4-wide; nv (at most 8) is a constant
 * where inlined */
MG_INLINE void panel4(double *g, const double *a0, size_t lda, const double *e, size_t k,
                      size_t nb, const int nv)
{
    PANEL_BODY(v4d, LD, 4, nv)
}

/* The columns past the last whole vector, one at a time. */
MG_INLINE void panel_tail(double *g, const double *a0, size_t lda, const double *e, size_t k,
                          size_t nb, size_t cols)
{
    for (size_t c = 0; c < cols; c++) {
        double s = g[c];
        for (size_t i = 0; i < nb; i++)
            s += e[i * k] * a0[i * lda + c];
        g[c] = s;
    }
}

/* g[0..j) += A_b^T e (phase 2's order): panels of up to eight 4-wide vectors. */
MG_INLINE void update_block4(double *g, const double *a0, size_t lda, const double *e, size_t k,
                             size_t nb, size_t j)
{
    size_t c = 0;
    for (; c + 32 <= j; c += 32)
        panel4(g + c, a0 + c, lda, e, k, nb, 8);
    WITH_CONSTANT((j - c) / 4, panel4, g + c, a0 + c, lda, e, k, nb)
    c += (j - c) / 4 * 4;
    panel_tail(g + c, a0 + c, lda, e, k, nb, j - c);
}

#ifdef MG__CPU_X86
/* The same operations eight lanes at a time, for the AVX-512 variant: an
 * 8-wide vector is two 4-wide ones side by side, and each lane performs the
 * adds and multiplies of the 4-wide code in the same order, so the bits are
 * those of the baseline (no FMA here either). */
typedef double v8d __attribute__((vector_size(64), aligned(8), may_alias));
#define LD8(p) (*(const v8d *)(p))
typedef union v8d_halves { v8d v; v4d h[2]; } v8d_halves;

/* dot() with its accumulators paired: [s0 | s1] and [s2 | s3]. */
MG_INLINE double dot8(const double *a, const double *w, size_t j)
{
    v8d s01 = { 0 }, s23 = { 0 };
    size_t c = 0;
    for (; c + 16 <= j; c += 16) {
        s01 += LD8(a + c) * LD8(w + c);
        s23 += LD8(a + c + 8) * LD8(w + c + 8);
    }
    s01 += s23;
    for (; c + 8 <= j; c += 8)
        s01 += LD8(a + c) * LD8(w + c);
    v8d_halves u = { s01 };
    v4d s0 = u.h[0];
    if (c + 4 <= j) {
        s0 += LD(a + c) * LD(w + c);
        c += 4;
    }
    s0 += u.h[1];
    double d = HSUM(s0);
    for (; c < j; c++)
        d += a[c] * w[c];
    return d;
}

/* panel4() with 8-wide vectors. */
MG_INLINE void panel8(double *g, const double *a0, size_t lda, const double *e, size_t k,
                      size_t nb, const int nv)
{
    PANEL_BODY(v8d, LD8, 8, nv)
}

/* update_block4() with panels of up to eight 8-wide vectors; the last four
 * columns of a multiple of four go by the 4-wide panel (the same order). */
MG_INLINE void update_block8(double *g, const double *a0, size_t lda, const double *e, size_t k,
                             size_t nb, size_t j)
{
    size_t c = 0;
    for (; c + 64 <= j; c += 64)
        panel8(g + c, a0 + c, lda, e, k, nb, 8);
    WITH_CONSTANT((j - c) / 8, panel8, g + c, a0 + c, lda, e, k, nb)
    c += (j - c) / 8 * 8;
    if (c < j)
        update_block4(g + c, a0 + c, lda, e, k, nb, j - c);
}
#define DOT(wide, a, w, j) ((wide) ? dot8(a, w, j) : dot(a, w, j))
#define UPDATE_BLOCK(wide, ...) ((wide) ? update_block8(__VA_ARGS__) : update_block4(__VA_ARGS__))
#else
/* one variant: wide is always 0 here (the comma keeps it used) */
#define DOT(wide, a, w, j) ((void)(wide), dot(a, w, j))
#define UPDATE_BLOCK(wide, ...) ((void)(wide), update_block4(__VA_ARGS__))
#endif

/* Phase 1's prefetch before row i of the slice [r0, r1): the cursor on
 * dense rows, else the lines of the row D rows ahead. */
typedef struct row_prefetch {
    cursor pc;
    uintptr_t a0, row_bytes;
    size_t D, r1, j;
    int dense;
} row_prefetch;

MG_INLINE row_prefetch row_prefetch_start(const double *A, size_t lda, size_t j, size_t r0,
                                          size_t r1)
{
    const uintptr_t a0 = (uintptr_t)A, row_bytes = (uintptr_t)(lda * sizeof(double));
    row_prefetch rp = { { a0 + r0 * row_bytes, a0 + r1 * row_bytes }, a0, row_bytes,
                        (PREFETCH_BYTES + j * sizeof(double) - 1) / (j * sizeof(double)), r1, j,
                        lda - j < LINE / sizeof(double) };
    return rp;
}

MG_INLINE void row_prefetch_at(row_prefetch *rp, size_t i)
{
    if (rp->dense)
        cursor_row(&rp->pc, rp->a0 + (i + 1) * rp->row_bytes);
    else if (rp->D < rp->r1 - i)
        prefetch_row((const double *)(rp->a0 + (i + rp->D) * rp->row_bytes), rp->j);
}

/* Both phases in one, for one output whose gradient row g (j entries) fits
 * in NV vectors of WIDTH lanes plus fewer than WIDTH columns: per row,
 * r = y - a w, sum += r^2 and g += r a, with g in registers over the whole
 * slice.  Every operation is the two phases' in their order, so the bits
 * are theirs; what is saved is phase 2's second pass over each block. */
#define FUSED_BODY(VT, LDV, WIDTH, NV, DOTF)                                                   \
    row_prefetch rp = row_prefetch_start(A, lda, j, r0, r1);                                  \
    double sum = *ssq;                                                                         \
    VT acc[8];                                                                                 \
    _Pragma("GCC unroll 8") for (int z = 0; z < (NV); z++) acc[z] = LDV(g + (WIDTH) * z);     \
    for (size_t i = r0; i < r1; i++) {                                                         \
        const double *a = A + i * lda;                                                         \
        row_prefetch_at(&rp, i);                                                               \
        /* r_i = y_i - a_i w   (derivations.md, "MSE loss") */                                 \
        const double r = Y[i * ldy] - DOTF(a, wT, j);                                          \
        sum += r * r;                                                                          \
        /* g += r_i a_i */                                                                     \
        const VT f = (VT){ 0 } + r;                                                            \
        _Pragma("GCC unroll 8") for (int z = 0; z < (NV); z++) acc[z] += f * LDV(a + (WIDTH) * z); \
        for (size_t c = (size_t)(NV) * (WIDTH); c < j; c++)                                    \
            g[c] += r * a[c];                                                                  \
    }                                                                                          \
    _Pragma("GCC unroll 8") for (int z = 0; z < (NV); z++) *(VT *)(g + (WIDTH) * z) = acc[z]; \
    *ssq = sum;

#define FUSED_ARGS                                                                             \
    const double *A, size_t lda, const double *Y, size_t ldy, const double *wT, size_t j,     \
        size_t r0, size_t r1, double *g, double *ssq

MG_INLINE void fused4(FUSED_ARGS, const int nv)
{
    FUSED_BODY(v4d, LD, 4, nv, dot)
}

/* j < 4 (nv = 0): g in memory alone */
MG_INLINE void fused_rows4(FUSED_ARGS)
{
    WITH_CONSTANT(j / 4, fused4, A, lda, Y, ldy, wT, j, r0, r1, g, ssq)
}

#ifdef MG__CPU_X86
MG_INLINE void fused8(FUSED_ARGS, const int nv)
{
    FUSED_BODY(v8d, LD8, 8, nv, dot8)
}

/* The last columns of j % 8 stay in memory (all of them for j < 8): the
 * 8-wide two phases give them the same operations as any other entry. */
MG_INLINE void fused_rows8(FUSED_ARGS)
{
    WITH_CONSTANT(j / 8, fused8, A, lda, Y, ldy, wT, j, r0, r1, g, ssq)
}
#define FUSED_ROWS(wide, ...) ((wide) ? fused_rows8(__VA_ARGS__) : fused_rows4(__VA_ARGS__))
#else
#define FUSED_ROWS(wide, ...) ((void)(wide), fused_rows4(__VA_ARGS__))
#endif

MG_INLINE void rows_body(const double *A, size_t lda, const double *Y, size_t ldy,
                         const double *wT, size_t j, size_t k, size_t r0, size_t r1,
                         double *accT, double *ssq, const int wide)
{
    if (accT && k == 1 && j <= (wide ? 64 : 32)) {
        FUSED_ROWS(wide, A, lda, Y, ldy, wT, j, r0, r1, accT, ssq);
        return;
    }
    size_t B = BLOCK_BYTES / (lda * sizeof(double));
    B = B < 4 ? 4 : B > MAX_BLOCK_ROWS ? MAX_BLOCK_ROWS : B & ~(size_t)3;
    double e[MAX_BLOCK_ROWS * MG__FUSED_MAX_K]; /* the block's residuals, nb x k */
    row_prefetch rp = row_prefetch_start(A, lda, j, r0, r1);
    double sum = *ssq;

    for (size_t b0 = r0; b0 < r1; b0 += B) {
        const size_t nb = (r1 - b0 < B) ? r1 - b0 : B;
        const double *Ab = A + b0 * lda;
        /* Phase 1 -- r_i = y_i - a_i W   (derivations.md, "MSE loss") */
        for (size_t i = 0; i < nb; i++) {
            row_prefetch_at(&rp, b0 + i);
            for (size_t m = 0; m < k; m++) {
                const double r = Y[(b0 + i) * ldy + m] - DOT(wide, Ab + i * lda, wT + m * j, j);
                e[i * k + m] = r;
                sum += r * r;
            }
        }
        if (!accT)
            continue;
        /* Phase 2 -- g_m += A_b^T r_m, from L1 */
        for (size_t m = 0; m < k; m++)
            UPDATE_BLOCK(wide, accT + m * j, Ab, lda, e + m, k, nb, j);
    }
    *ssq = sum;
}

static void rows_base(const double *A, size_t lda, const double *Y, size_t ldy,
                      const double *wT, size_t j, size_t k, size_t r0, size_t r1,
                      double *accT, double *ssq)
{
    rows_body(A, lda, Y, ldy, wT, j, k, r0, r1, accT, ssq, 0);
}

#ifdef MG__CPU_X86
__attribute__((target("avx2")))
static void rows_avx2(const double *A, size_t lda, const double *Y, size_t ldy,
                      const double *wT, size_t j, size_t k, size_t r0, size_t r1,
                      double *accT, double *ssq)
{
    rows_body(A, lda, Y, ldy, wT, j, k, r0, r1, accT, ssq, 0);
}

__attribute__((target("avx2,avx512f")))
static void rows_avx512(const double *A, size_t lda, const double *Y, size_t ldy,
                        const double *wT, size_t j, size_t k, size_t r0, size_t r1,
                        double *accT, double *ssq)
{
    rows_body(A, lda, Y, ldy, wT, j, k, r0, r1, accT, ssq, 1);
}
#endif

void mg__mse_fused_rows(const double *A, size_t lda, const double *Y, size_t ldy,
                        const double *wT, size_t j, size_t k, size_t r0, size_t r1,
                        double *accT, double *ssq)
{
    mg__mse_fused_rows_isa(A, lda, Y, ldy, wT, j, k, r0, r1, accT, ssq, MG__ISA_BEST);
}

void mg__mse_fused_rows_isa(const double *A, size_t lda, const double *Y, size_t ldy,
                            const double *wT, size_t j, size_t k, size_t r0, size_t r1,
                            double *accT, double *ssq, int isa)
{
#ifdef MG__CPU_X86
    if (isa >= MG__ISA_AVX512 && mg__cpu_has_avx512()) {
        rows_avx512(A, lda, Y, ldy, wT, j, k, r0, r1, accT, ssq);
        return;
    }
    if (isa >= MG__ISA_AVX2 && mg__cpu_has_avx2()) {
        rows_avx2(A, lda, Y, ldy, wT, j, k, r0, r1, accT, ssq);
        return;
    }
#else
    (void)isa;
#endif
    rows_base(A, lda, Y, ldy, wT, j, k, r0, r1, accT, ssq);
}
