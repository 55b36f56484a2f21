/* The MSE pass: walk A in row blocks small enough to stay in cache, so that
 * forming the block's residual R_b = Y_b - A_b W and accumulating A_b^T R_b
 * read the block from memory once (docs/derivations.md, "MSE gradient"). */
#include "mse_pass.h"

#include <cblas.h>
#include <string.h>

/* A row block of about 128 KiB stays in a 256 KiB+ L2 between the two
 * products that read it. */
enum { MSE_BLOCK_BYTES = 128 * 1024, MSE_MIN_ROWS = 16 };

static size_t block_rows(size_t N, size_t j)
{
    size_t b = MSE_BLOCK_BYTES / (j * sizeof(double));
    if (b < MSE_MIN_ROWS)
        b = MSE_MIN_ROWS;
    return b < N ? b : N;
}

size_t mg__mse_scratch_len(size_t N, size_t j, size_t k)
{
    return block_rows(N, j) * k;
}

void mg__mse_pass(const mg_matrix *A, const mg_matrix *W, const mg_matrix *Y,
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
        if (k == 1) {
            /* R_b = Y_b - A_b w   (seed 000: the residual y - A w) */
            cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)nb, (int)j, -1.0, Ab, (int)A->stride,
                        W->data, (int)W->stride, 1.0, R, 1);
        } else {
            /* R_b = Y_b - A_b W */
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nb, (int)k, (int)j, -1.0,
                        Ab, (int)A->stride, W->data, (int)W->stride, 1.0, R, (int)k);
        }
        for (size_t i = 0; i < nb * k; i++)
            sum += R[i] * R[i];
        if (!atr)
            continue;
        if (k == 1) {
            /* atr += A_b^T r_b */
            cblas_dgemv(CblasRowMajor, CblasTrans, (int)nb, (int)j, 1.0, Ab, (int)A->stride,
                        R, 1, 1.0, atr, 1);
        } else {
            /* atr += A_b^T R_b */
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)j, (int)k, (int)nb, 1.0,
                        Ab, (int)A->stride, R, (int)k, 1.0, atr, (int)k);
        }
    }
    *ssq = sum;
}
