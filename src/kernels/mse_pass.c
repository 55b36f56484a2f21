/* SPDX-License-Identifier: BSD-3-Clause */
/* The MSE pass: R = Y - A W, sum R^2 and A^T R while reading A from memory
 * once (docs/derivations.md, "MSE gradient"; docs/performance.md).
 *
 * Few outputs (k <= MG__MSE_FUSED_MAX_K): the work is bound by memory
 * bandwidth, so our fused kernel (mse_fused.c) streams A once, split into a
 * fixed number of row slices that OpenMP threads share; each slice has its
 * own partial sums, added in slice order afterwards.  The partition and the
 * order of the additions depend on the shape only, so the result is bitwise
 * identical run to run and for any thread count.
 *
 * Many outputs: the two products are compute-bound matrix-matrix work; row
 * blocks that stay in cache go through dgemm twice (OpenBLAS threads them). */
#include "mse_pass.h"
#include "mse_fused.h"
#include "parallel.h"
#include "pool.h"

#include <cblas.h>
#include <stdint.h>
#include <string.h>

/* ---- many outputs: blocked dgemm ----------------------------------------- */

/* A row block of about 4 MiB stays in L3 between the two products, and is
 * large enough that each dgemm call amortises its packing (256 KiB blocks
 * measured 2.5x slower at k = 32 in bench_linreg's k sweep). */
enum { BLAS_BLOCK_BYTES = 4 * 1024 * 1024, BLAS_MIN_ROWS = 16 };

static size_t block_rows(size_t N, size_t j)
{
    size_t b = BLAS_BLOCK_BYTES / (j * sizeof(double));
    if (b < BLAS_MIN_ROWS)
        b = BLAS_MIN_ROWS;
    return b < N ? b : N;
}

static void blas_pass(const mg_matrix *A, const mg_matrix *W, const mg_matrix *Y,
                      double *atr, double *ssq, double *scratch)
{
    const size_t N = A->rows, j = A->cols, k = W->cols, B = block_rows(N, j);
    double sum = 0.0;

    if (atr)
        memset(atr, 0, j * k * sizeof(double));
    for (size_t r0 = 0; r0 < N; r0 += B) {
        const size_t nb = (N - r0 < B) ? N - r0 : B;
        const double *Ab = A->data + r0 * A->stride;
        double *R = scratch; /* nb x k, contiguous */

        for (size_t i = 0; i < nb; i++)
            memcpy(R + i * k, Y->data + (r0 + i) * Y->stride, k * sizeof(double));
        /* R_b = Y_b - A_b W   (derivations.md, "MSE loss") */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nb, (int)k, (int)j, -1.0,
                    Ab, (int)A->stride, W->data, (int)W->stride, 1.0, R, (int)k);
        for (size_t i = 0; i < nb * k; i++)
            sum += R[i] * R[i];
        if (!atr)
            continue;
        /* atr += A_b^T R_b */
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)j, (int)k, (int)nb, 1.0,
                    Ab, (int)A->stride, R, (int)k, 1.0, atr, (int)k);
    }
    *ssq = sum;
}

/* ---- few outputs: fused kernel over slices ------------------------------- */

/* A slice is at least 64 Ki elements (512 KiB) of A; at most 16 slices,
 * enough to balance 2..16 threads.  Threads start only for a pass over at
 * least 4 MiB of A (about 0.1 ms of work at this machine's bandwidth): below
 * that, waking a second thread and meeting it at the barrier costs more than
 * it saves, and on a loaded machine far more (docs/performance.md). */
enum { SLICE_MIN_ELEMS = 1 << 16, MAX_SLICES = 16, PARALLEL_MIN_ELEMS = 1 << 19 };

size_t mg__mse_slices(size_t N, size_t j)
{
    size_t s = N / ((SLICE_MIN_ELEMS + j - 1) / j);
    if (s > MAX_SLICES)
        s = MAX_SLICES;
    return s ? s : 1;
}

mg__mse_path mg__mse_choose(size_t N, size_t j, size_t k)
{
    (void)N;
    return (k <= MG__MSE_FUSED_MAX_K && j <= MG__MSE_FUSED_MAX_J && j * k <= MG__MSE_FUSED_MAX_JK)
               ? MG__MSE_FUSED
               : MG__MSE_BLAS;
}

/* The OpenMP thread count (OMP_NUM_THREADS, omp_set_num_threads) for
 * passes worth parallelising, else one. */
static MG__MUST_USE int default_threads(size_t N, size_t j)
{
    return mg__pass_threads(N * j, PARALLEL_MIN_ELEMS);
}

/* Each slice's partial sums start on their own 64-byte cache line, so two
 * threads never write the same line (no false sharing). */
static size_t padded(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

static double *align64(double *p)
{
    const uintptr_t a = ((uintptr_t)p + 63) & ~(uintptr_t)63;
    return p + (a - (uintptr_t)p) / sizeof(double);
}

/* What every slice of the fused pass reads and where it writes. */
typedef struct fused_slices {
    const mg_matrix *A, *Y;
    const double *wT;
    size_t N, j, k, S, ld;
    double *part, *pssq; /* part == NULL: the loss alone */
} fused_slices;

/* Slice s covers rows [N s / S, N (s+1) / S).  Which thread runs a slice
 * never changes what is computed (parallel.h). */
static void fused_slice(void *ctx, size_t s, int worker)
{
    const fused_slices *f = ctx;
    (void)worker;
    double *acc = f->part ? f->part + s * f->ld : NULL;
    if (acc)
        memset(acc, 0, f->j * f->k * sizeof(double));
    f->pssq[s] = 0.0;
    mg__mse_fused_rows(f->A->data, f->A->stride, f->Y->data, f->Y->stride, f->wT, f->j, f->k,
                       f->N * s / f->S, f->N * (s + 1) / f->S, acc, &f->pssq[s]);
}

static void fused_pass(const mg_matrix *A, const mg_matrix *W, const mg_matrix *Y,
                       double *atr, double *ssq, double *scratch, int nthreads)
{
    const size_t N = A->rows, j = A->cols, k = W->cols, jk = j * k, ld = padded(jk);
    const size_t S = mg__mse_slices(N, j);
    double *wT = scratch;             /* k x j: W^T, so each output's w is contiguous */
    double *part = align64(wT + jk);  /* S x (k x j), stride ld: each slice's (A^T R)^T */
    double *pssq = part + S * ld;     /* S: each slice's sum of squares */
    const int want = atr != NULL;

    for (size_t a = 0; a < j; a++)
        for (size_t m = 0; m < k; m++)
            wT[m * j + a] = W->data[a * W->stride + m];

    fused_slices f = { A, Y, wT, N, j, k, S, ld, want ? part : NULL, pssq };
    mg__pool_for(nthreads, S, fused_slice, &f);

    /* Fixed-order reduction: slice 0, 1, ..., S-1. */
    double sum = 0.0;
    for (size_t s = 0; s < S; s++)
        sum += pssq[s];
    *ssq = sum;
    if (!want)
        return;
    for (size_t s = 1; s < S; s++)
        for (size_t i = 0; i < jk; i++)
            part[i] += part[s * ld + i];
    /* atr = (A^T R), transposed back to j x k */
    for (size_t a = 0; a < j; a++)
        for (size_t m = 0; m < k; m++)
            atr[a * k + m] = part[m * j + a];
}

/* ---- dispatch ------------------------------------------------------------ */

size_t mg__mse_scratch_len_path(size_t N, size_t j, size_t k, mg__mse_path path)
{
    if (path == MG__MSE_FUSED) {
        const size_t S = mg__mse_slices(N, j);
        /* W^T, 64-byte alignment slack, S padded partials, S sums */
        return j * k + 8 + S * padded(j * k) + S;
    }
    return block_rows(N, j) * k;
}

size_t mg__mse_scratch_len(size_t N, size_t j, size_t k)
{
    return mg__mse_scratch_len_path(N, j, k, mg__mse_choose(N, j, k));
}

void mg__mse_pass_path(const mg_matrix *A, const mg_matrix *W, const mg_matrix *Y,
                       double *atr, double *ssq, double *scratch, int nthreads,
                       mg__mse_path path)
{
    if (path == MG__MSE_FUSED)
        fused_pass(A, W, Y, atr, ssq, scratch,
                   nthreads > 0 ? nthreads : default_threads(A->rows, A->cols));
    else
        blas_pass(A, W, Y, atr, ssq, scratch);
}

void mg__mse_pass_nt(const mg_matrix *A, const mg_matrix *W, const mg_matrix *Y,
                     double *atr, double *ssq, double *scratch, int nthreads)
{
    mg__mse_pass_path(A, W, Y, atr, ssq, scratch, nthreads,
                      mg__mse_choose(A->rows, A->cols, W->cols));
}

void mg__mse_pass(const mg_matrix *A, const mg_matrix *W, const mg_matrix *Y,
                  double *atr, double *ssq, double *scratch)
{
    mg__mse_pass_nt(A, W, Y, atr, ssq, scratch, 0);
}
