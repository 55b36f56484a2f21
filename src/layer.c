/* SPDX-License-Identifier: BSD-3-Clause */
/* layer: forward and backward pass of the dense layer A = Z W + 1 b
 * (docs/derivations.md, "Dense layer"), three BLAS calls for the backward
 * pass. */
#include "matgrad/layer.h"
#include "internal.h"

#include <cblas.h>
#include <string.h>

/* Z m x k, W k x n. */
MG__MUST_USE static mg_status check_inputs(const mg_matrix *Z, const mg_matrix *W)
{
    const mg_matrix *in[] = { Z, W };
    MG__CHECK(mg__check_all(in, 2));
    return Z->cols == W->rows ? MG_OK : MG_EDIM;
}

/* An output that is given must be a valid view of the stated shape and
 * touch none of the inputs. */
MG__MUST_USE static mg_status check_output(const mg_matrix *out, size_t rows, size_t cols,
                                           const mg_matrix *const *in, size_t nin)
{
    MG__CHECK(mg_matrix_check(out));
    if (out->rows != rows || out->cols != cols)
        return MG_EDIM;
    for (size_t i = 0; i < nin; i++)
        if (in[i] && mg__overlaps(out, in[i]))
            return MG_EINVAL;
    return MG_OK;
}

mg_status mg_dense_forward(const mg_matrix *Z, const mg_matrix *W, const mg_matrix *b,
                           mg_matrix *A)
{
    MG__CHECK(check_inputs(Z, W));
    const size_t m = Z->rows, k = Z->cols, n = W->cols;
    if (b) {
        MG__CHECK(mg_matrix_check(b));
        if (b->rows != 1 || b->cols != n)
            return MG_EDIM;
    }
    const mg_matrix *in[] = { Z, W, b };
    MG__CHECK(check_output(A, m, n, in, 3));

    /* A = 1 b: the bias rows, which dgemm then accumulates onto (beta = 1). */
    for (size_t i = 0; b && i < m; i++)
        memcpy(mg_at(A, i, 0), b->data, n * sizeof(double));
    /* A = Z W + 1 b   (derivations.md, "Dense layer") */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)n, (int)k, 1.0,
                Z->data, (int)Z->stride, W->data, (int)W->stride, b ? 1.0 : 0.0,
                A->data, (int)A->stride);
    return MG_OK;
}

/* db = 1^T dA: the rows of dA summed into db, one contiguous pass over dA
 * (row-major, so each row is an axpy into the n accumulators). */
static void column_sums(const mg_matrix *dA, mg_matrix *db)
{
    const size_t m = dA->rows, n = dA->cols;
    double *s = db->data;
    memcpy(s, dA->data, n * sizeof(double));
    for (size_t i = 1; i < m; i++) {
        const double *row = mg_at(dA, i, 0);
        for (size_t j = 0; j < n; j++)
            s[j] += row[j];
    }
}

static int distinct(const mg_matrix *x, const mg_matrix *y)
{
    return !x || !y || !mg__overlaps(x, y);
}

mg_status mg_dense_backward(const mg_matrix *Z, const mg_matrix *W, const mg_matrix *dA,
                            mg_matrix *dZ, mg_matrix *dW, mg_matrix *db)
{
    MG__CHECK(check_inputs(Z, W));
    MG__CHECK(mg_matrix_check(dA));
    const size_t m = Z->rows, k = Z->cols, n = W->cols;
    if (dA->rows != m || dA->cols != n)
        return MG_EDIM;
    const mg_matrix *in[] = { Z, W, dA };
    if (dZ)
        MG__CHECK(check_output(dZ, m, k, in, 3));
    if (dW)
        MG__CHECK(check_output(dW, k, n, in, 3));
    if (db)
        MG__CHECK(check_output(db, 1, n, in, 3));
    if (!distinct(dZ, dW) || !distinct(dZ, db) || !distinct(dW, db))
        return MG_EINVAL;

    if (dZ) {
        /* dZ = dA W^T   (the input gradient) */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)k, (int)n, 1.0,
                    dA->data, (int)dA->stride, W->data, (int)W->stride, 0.0,
                    dZ->data, (int)dZ->stride);
    }
    if (dW) {
        /* dW = Z^T dA   (the weight gradient) */
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)k, (int)n, (int)m, 1.0,
                    Z->data, (int)Z->stride, dA->data, (int)dA->stride, 0.0,
                    dW->data, (int)dW->stride);
    }
    if (db)
        column_sums(dA, db);
    return MG_OK;
}
