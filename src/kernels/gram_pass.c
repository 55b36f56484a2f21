/* SPDX-License-Identifier: BSD-3-Clause */
/* The augmented Gram pass S = [A Y]^T [A Y] behind mg_normal_solve and the
 * set-up of Gram-cached descent.  Rows go in slices fixed by the shape
 * alone; each slice walks its rows in blocks that stay in cache and
 * accumulates its own partial S_s, and the partials
 * are added in slice order.  The result is therefore bitwise identical run
 * to run and for any thread count, and A is read from memory once.
 *
 * The product is the packed kernel of gram_packed.c (its AVX2+FMA variant
 * where the CPU has it, its portable one elsewhere), on OpenMP threads for
 * big passes: OpenBLAS's dsyrk spends most of its time packing when the
 * output is only n x n and the inner dimension is millions of rows
 * (docs/performance.md), and where it threads itself it calls exit(1) when
 * its job array cannot be allocated. */
#include "gram_pass.h"
#include "gram.h"
#include "gram_packed.h"
#include "internal.h"
#include "parallel.h"

#include <stdlib.h>
#include <string.h>

/* Slices of at least 4096 rows, at most 16; threads only for passes over at
 * least 2^19 elements (4 MiB). */
enum { SLICE_MIN_ROWS = 4096, MAX_SLICES = 16, PARALLEL_MIN_ELEMS = 1 << 19 };
/* Packed blocks of 128 rows: a tile's three panels (24 KiB for 64 columns)
 * stay in L1 while it sweeps them; measured best of 64..512 rows. */
enum { PACKED_ROWS = 128 };

static size_t n_slices(size_t N)
{
    size_t s = N / SLICE_MIN_ROWS;
    return s < 1 ? 1 : s > MAX_SLICES ? MAX_SLICES : s;
}

/* Partial S_s += [A Y]^T [A Y] over rows [r0, r1) in packed blocks of B
 * rows (buf: the panels). */
static void slice_gram(const mg_matrix *A, const mg_matrix *Y, size_t r0, size_t r1, double *Ss,
                       double *buf, size_t B, int avx2)
{
    const size_t j = A->cols, k = Y->cols, n = j + k;
    for (size_t b0 = r0; b0 < r1; b0 += B) {
        const size_t nb = (r1 - b0 < B) ? r1 - b0 : B;
        const size_t next = (r1 - b0 - nb < B) ? r1 - b0 - nb : B;
        const double *Ab = A->data + b0 * A->stride, *Yb = Y->data + b0 * Y->stride;
        /* S_s += [A_b Y_b]^T [A_b Y_b]   (upper triangle) */
        mg__gram_packed_block_isa(Ab, A->stride, Yb, Y->stride, nb, j, k, Ss, n, buf,
                                  next ? Ab + nb * A->stride : NULL, next, avx2);
    }
}

mg_status mg__augmented_gram(const mg_matrix *A, const mg_matrix *Y, double *S)
{
    return mg__augmented_gram_kernel(A, Y, S, mg__gram_available());
}

mg_status mg__augmented_gram_kernel(const mg_matrix *A, const mg_matrix *Y, double *S, int avx2)
{
    const size_t N = A->rows, n = A->cols + Y->cols, nn = n * n;
    const int fast = avx2 && mg__gram_available();
    const size_t P = n_slices(N), B = PACKED_ROWS < N ? PACKED_ROWS : N;
    const size_t ld = (nn + 7) & ~(size_t)7;
    const size_t blen = mg__gram_packed_len(B, A->cols);
    const int nthreads = mg__pass_threads(N * n, PARALLEL_MIN_ELEMS);
    double *part = mg__alloc_doubles(P, ld);
    double *bufs = mg__alloc_doubles(P, blen);

    if (!part || !bufs) {
        free(part);
        free(bufs);
        return MG_ENOMEM;
    }
    MG__FOR_SLICES(nthreads, s, P, {
        double *Ss = part + s * ld;
        memset(Ss, 0, nn * sizeof(double));
        slice_gram(A, Y, N * s / P, N * (s + 1) / P, Ss, bufs + s * blen, B, fast);
    });
    /* S = sum_s S_s, in slice order */
    memcpy(S, part, nn * sizeof(double));
    for (size_t s = 1; s < P; s++)
        for (size_t i = 0; i < nn; i++)
            S[i] += part[s * ld + i];
    free(part);
    free(bufs);
    return MG_OK;
}
