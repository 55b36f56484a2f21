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
 * A is walked in blocks of about BLOCK_BYTES (kept in L1).  Phase 1 streams
 * the block row after row from memory, computing each row's residuals; the
 * rows are read strictly in address order because that is what the hardware
 * prefetcher follows best (a first version that interleaved four rows'
 * loads ran well below the streaming rate, docs/performance.md).  Phase 2 adds the block's
 * A_b^T R_b from L1, four rows per update of the accumulator.
 *
 * The hardware prefetcher alone does not keep memory busy: it stops running
 * ahead while phase 2 computes from L1, so the two phases' times added up
 * (one thread at 1e6 x 64: 65% of a plain streaming sum).  So we also ask
 * for lines ahead ourselves, into L2 (prefetcht1: measured faster than into
 * L1, which holds a line fill buffer for the whole memory latency), spread
 * evenly over both phases: a cursor runs 8 to 16 KiB ahead through the
 * slice's bytes; phase 1 moves it on by half of each row and phase 2 by one
 * line per vector column of each four-row update (the other half).  Asking
 * for a block's lines during phase 1 alone left memory idle during phase 2
 * (90% of the stream, against 95% spread; bench/bench_grad_bw.c).  Rows
 * with a gap of a line or more between them (lda >= j + 8) are prefetched
 * row by row in phase 1 instead, so that no gap is read. */
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

/* Phase 1, before the row at `row`: the next n lines, then as many as keep
 * the cursor PREFETCH_BYTES ahead of the row. */
MG_INLINE void cursor_row(cursor *pc, uintptr_t row, size_t n)
{
    const uintptr_t least = row + PREFETCH_BYTES;
    for (; n > 0 && pc->next < pc->end; n--, pc->next += LINE)
        PREFETCH(pc->next);
    for (; pc->next < least && pc->next < pc->end; pc->next += LINE)
        PREFETCH(pc->next);
}

/* Phase 2, for one four-row update of j columns: the start of the update's
 * j/4 lines (update4 asks for them), or 0 past the slice's end. */
MG_INLINE uintptr_t cursor_update(cursor *pc, size_t j)
{
    const uintptr_t at = pc->next, len = (uintptr_t)(j / 4) * LINE;
    if (at + len > pc->end)
        return 0;
    pc->next = at + len;
    return at;
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

/* g += e0 a0 + e1 a1 + e2 a2 + e3 a3 (rows in L1; one load/store of g per
 * four rows).  With pf != 0, asks for the line at pf + LINE * (c / 4) at
 * column c. */
MG_INLINE void update4(double *g, const double *a0, size_t lda, const double *e, size_t k,
                       size_t j, uintptr_t pf)
{
    const double *a1 = a0 + lda, *a2 = a1 + lda, *a3 = a2 + lda;
    const double e0 = e[0], e1 = e[k], e2 = e[2 * k], e3 = e[3 * k];
    const v4d f0 = { e0, e0, e0, e0 }, f1 = { e1, e1, e1, e1 }, f2 = { e2, e2, e2, e2 },
              f3 = { e3, e3, e3, e3 };
    size_t c = 0;
    for (; c + 4 <= j; c += 4) {
        if (pf)
            PREFETCH(pf + (LINE / 4) * c);
        v4d t = (f0 * LD(a0 + c) + f1 * LD(a1 + c)) + (f2 * LD(a2 + c) + f3 * LD(a3 + c));
        *(v4d *)(g + c) = LD(g + c) + t;
    }
    for (; c < j; c++)
        g[c] += (e0 * a0[c] + e1 * a1[c]) + (e2 * a2[c] + e3 * a3[c]);
}

/* g += e a */
MG_INLINE void update1(double *g, const double *a, double e, size_t j)
{
    const v4d f = { e, e, e, e };
    size_t c = 0;
    for (; c + 4 <= j; c += 4)
        *(v4d *)(g + c) = LD(g + c) + f * LD(a + c);
    for (; c < j; c++)
        g[c] += e * a[c];
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

/* update4(), eight columns at a time. */
MG_INLINE void update4_8(double *g, const double *a0, size_t lda, const double *e, size_t k,
                         size_t j, uintptr_t pf)
{
    const double *a1 = a0 + lda, *a2 = a1 + lda, *a3 = a2 + lda;
    const double e0 = e[0], e1 = e[k], e2 = e[2 * k], e3 = e[3 * k];
    const v8d f0 = { e0, e0, e0, e0, e0, e0, e0, e0 }, f1 = { e1, e1, e1, e1, e1, e1, e1, e1 },
              f2 = { e2, e2, e2, e2, e2, e2, e2, e2 }, f3 = { e3, e3, e3, e3, e3, e3, e3, e3 };
    size_t c = 0;
    for (; c + 8 <= j; c += 8) {
        if (pf) {
            PREFETCH(pf + (LINE / 4) * c);
            PREFETCH(pf + (LINE / 4) * (c + 4));
        }
        v8d t = (f0 * LD8(a0 + c) + f1 * LD8(a1 + c)) + (f2 * LD8(a2 + c) + f3 * LD8(a3 + c));
        *(v8d *)(g + c) = LD8(g + c) + t;
    }
    if (c < j)
        update4(g + c, a0 + c, lda, e, k, j - c, pf ? pf + (LINE / 4) * c : 0);
}

/* update1(), eight columns at a time. */
MG_INLINE void update1_8(double *g, const double *a, double e, size_t j)
{
    const v8d f = { e, e, e, e, e, e, e, e };
    size_t c = 0;
    for (; c + 8 <= j; c += 8)
        *(v8d *)(g + c) = LD8(g + c) + f * LD8(a + c);
    if (c < j)
        update1(g + c, a + c, e, j - c);
}
#define DOT(wide, a, w, j) ((wide) ? dot8(a, w, j) : dot(a, w, j))
#define UPDATE4(wide, ...) ((wide) ? update4_8(__VA_ARGS__) : update4(__VA_ARGS__))
#define UPDATE1(wide, ...) ((wide) ? update1_8(__VA_ARGS__) : update1(__VA_ARGS__))
#else
/* one variant: wide is always 0 here (the comma keeps it used) */
#define DOT(wide, a, w, j) ((void)(wide), dot(a, w, j))
#define UPDATE4(wide, ...) ((void)(wide), update4(__VA_ARGS__))
#define UPDATE1(wide, ...) ((void)(wide), update1(__VA_ARGS__))
#endif

MG_INLINE void rows_body(const double *A, size_t lda, const double *Y, size_t ldy,
                         const double *wT, size_t j, size_t k, size_t r0, size_t r1,
                         double *accT, double *ssq, const int wide)
{
    size_t B = BLOCK_BYTES / (lda * sizeof(double));
    B = B < 4 ? 4 : B > MAX_BLOCK_ROWS ? MAX_BLOCK_ROWS : B & ~(size_t)3;
    double e[MAX_BLOCK_ROWS * MG__FUSED_MAX_K]; /* the block's residuals, nb x k */
    const int dense = lda - j < LINE / sizeof(double);
    const uintptr_t a0 = (uintptr_t)A, row_bytes = (uintptr_t)(lda * sizeof(double));
    cursor pc = { a0 + r0 * row_bytes, a0 + r1 * row_bytes };
    /* not dense: rows ahead of the one in phase 1 whose lines are asked for */
    const size_t D = (PREFETCH_BYTES + j * sizeof(double) - 1) / (j * sizeof(double));
    double sum = *ssq;

    for (size_t b0 = r0; b0 < r1; b0 += B) {
        const size_t nb = (r1 - b0 < B) ? r1 - b0 : B;
        const double *Ab = A + b0 * lda;
        /* Phase 1 -- r_i = y_i - a_i W   (derivations.md, "MSE loss") */
        for (size_t i = 0; i < nb; i++) {
            if (dense)
                cursor_row(&pc, a0 + (b0 + i) * row_bytes, lda / 16);
            else if (D < r1 - (b0 + i))
                prefetch_row(Ab + (i + D) * lda, j);
            for (size_t m = 0; m < k; m++) {
                const double r = Y[(b0 + i) * ldy + m] - DOT(wide, Ab + i * lda, wT + m * j, j);
                e[i * k + m] = r;
                sum += r * r;
            }
        }
        if (!accT)
            continue;
        /* Phase 2 -- g_m += A_b^T r_m, from L1 */
        for (size_t m = 0; m < k; m++) {
            double *g = accT + m * j;
            size_t i = 0;
            for (; i + 4 <= nb; i += 4)
                UPDATE4(wide, g, Ab + i * lda, lda, e + i * k + m, k, j,
                        dense && m == 0 ? cursor_update(&pc, j) : 0);
            for (; i < nb; i++)
                UPDATE1(wide, g, Ab + i * lda, e[i * k + m], j);
        }
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
