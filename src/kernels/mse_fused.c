/* SPDX-License-Identifier: BSD-3-Clause */
/* The fused MSE kernel, written once with GCC/Clang vector extensions and
 * compiled twice on x86: for the baseline (SSE2) and for AVX2, picked at run
 * time (cpu.h: MATGRAD_SIMD=generic forces the baseline); other targets
 * build the portable variant alone.  Neither variant uses FMA (the AVX2 one
 * is not given "fma" and ISO C mode forbids contraction), and both perform
 * the same IEEE operations in the same order (a 4-wide vector add is four
 * scalar adds either way), so they return bitwise identical results.
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

MG_INLINE void rows_body(const double *A, size_t lda, const double *Y, size_t ldy,
                         const double *wT, size_t j, size_t k, size_t r0, size_t r1,
                         double *accT, double *ssq)
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
                const double r = Y[(b0 + i) * ldy + m] - dot(Ab + i * lda, wT + m * j, j);
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
                update4(g, Ab + i * lda, lda, e + i * k + m, k, j,
                        dense && m == 0 ? cursor_update(&pc, j) : 0);
            for (; i < nb; i++)
                update1(g, Ab + i * lda, e[i * k + m], j);
        }
    }
    *ssq = sum;
}

static void rows_base(const double *A, size_t lda, const double *Y, size_t ldy,
                      const double *wT, size_t j, size_t k, size_t r0, size_t r1,
                      double *accT, double *ssq)
{
    rows_body(A, lda, Y, ldy, wT, j, k, r0, r1, accT, ssq);
}

#ifdef MG__CPU_X86
__attribute__((target("avx2")))
static void rows_avx2(const double *A, size_t lda, const double *Y, size_t ldy,
                      const double *wT, size_t j, size_t k, size_t r0, size_t r1,
                      double *accT, double *ssq)
{
    rows_body(A, lda, Y, ldy, wT, j, k, r0, r1, accT, ssq);
}
#endif

void mg__mse_fused_rows(const double *A, size_t lda, const double *Y, size_t ldy,
                        const double *wT, size_t j, size_t k, size_t r0, size_t r1,
                        double *accT, double *ssq)
{
    mg__mse_fused_rows_isa(A, lda, Y, ldy, wT, j, k, r0, r1, accT, ssq, 1);
}

void mg__mse_fused_rows_isa(const double *A, size_t lda, const double *Y, size_t ldy,
                            const double *wT, size_t j, size_t k, size_t r0, size_t r1,
                            double *accT, double *ssq, int avx2)
{
#ifdef MG__CPU_X86
    if (avx2 && mg__cpu_has_avx2()) {
        rows_avx2(A, lda, Y, ldy, wT, j, k, r0, r1, accT, ssq);
        return;
    }
#else
    (void)avx2;
#endif
    rows_base(A, lda, Y, ldy, wT, j, k, r0, r1, accT, ssq);
}
