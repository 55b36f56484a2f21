/* SPDX-License-Identifier: BSD-3-Clause */
/* linreg: MSE loss and gradient, and the normal equations (docs/derivations.md,
 * "MSE loss", "MSE gradient", "Normal equations"). */
#include "matgrad/linreg.h"
#include "internal.h"
#include "linreg_internal.h"
#include "kernels/mse_pass.h"
#include "kernels/gram_pass.h"

#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

mg_status mg__check_model(const mg_matrix *A, const mg_matrix *W, const mg_matrix *Y)
{
    const mg_matrix *all[] = { A, W, Y };
    MG__CHECK(mg__check_all(all, 3));
    if (W->rows != A->cols || Y->rows != A->rows || Y->cols != W->cols)
        return MG_EDIM;
    return MG_OK;
}

mg_status mg__mse_eval(const mg_matrix *A, const mg_matrix *W, const mg_matrix *Y,
                       double *G, double *loss, double *scratch)
{
    const size_t N = A->rows, jk = A->cols * W->cols;
    double ssq;

    mg__mse_pass(A, W, Y, G, &ssq, scratch);
    /* loss = (1/N) sum R^2 ;  G = -(2/N) A^T R */
    *loss = ssq / (double)N;
    if (!isfinite(*loss))
        return MG_ENONFINITE;
    if (G) {
        const double scale = -2.0 / (double)N;
        for (size_t i = 0; i < jk; i++)
            G[i] *= scale;
        if (!mg__all_finite(G, 1, jk, jk))
            return MG_ENONFINITE;
    }
    return MG_OK;
}

mg_status mg_mse_loss(const mg_matrix *A, const mg_matrix *W, const mg_matrix *Y, double *loss)
{
    MG__CHECK(mg__check_model(A, W, Y));
    if (!loss)
        return MG_EINVAL;
    double *scratch = mg__alloc_doubles(mg__mse_scratch_len(A->rows, A->cols, W->cols), 1);
    if (!scratch)
        return MG_ENOMEM;
    double value;
    mg_status s = mg__mse_eval(A, W, Y, NULL, &value, scratch);
    free(scratch);
    if (s == MG_OK)
        *loss = value;
    return s;
}

mg_status mg_mse_grad(const mg_matrix *A, const mg_matrix *W, const mg_matrix *Y,
                      mg_matrix *G, double *loss)
{
    MG__CHECK(mg__check_model(A, W, Y));
    MG__CHECK(mg_matrix_check(G));
    if (G->rows != W->rows || G->cols != W->cols)
        return MG_EDIM;
    if (mg__overlaps(G, A) || mg__overlaps(G, W) || mg__overlaps(G, Y))
        return MG_EINVAL;

    const size_t j = A->cols, k = W->cols;
    double *grad = mg__alloc_doubles(j, k);
    double *scratch = mg__alloc_doubles(mg__mse_scratch_len(A->rows, j, k), 1);
    mg_status s = MG_ENOMEM;
    double value;
    if (grad && scratch)
        s = mg__mse_eval(A, W, Y, grad, &value, scratch);
    if (s == MG_OK) {
        mg__copy(G->data, G->stride, grad, k, j, k);
        if (loss)
            *loss = value;
    }
    free(grad);
    free(scratch);
    return s;
}

/* 1 if A^T A, read from S = [A Y]^T [A Y] (n x n), cannot hold some
 * nonzero column of A to working accuracy: its sum of squares S_jj is
 * below N DBL_MIN.  Above it, the products that underflow lose at most
 * DBL_TRUE_MIN / 2 each, N of them at most eps / 2 relative to
 * sqrt(S_ii S_jj); a column of subnormal entries has S_jj = 0 (every
 * square underflows), which is not the zero column of a singular A^T A. */
static MG__MUST_USE int gram_underflows(const mg_matrix *A, const double *S, size_t n)
{
    const size_t N = A->rows;
    const double floor = (double)N * DBL_MIN;
    for (size_t c = 0; c < A->cols; c++) {
        if (!(S[c * n + c] < floor))
            continue;
        for (size_t i = 0; i < N; i++)
            if (A->data[i * A->stride + c] != 0.0)
                return 1;
    }
    return 0;
}

/* Fills the upper triangle of M (j x j) with A^T A + ridge I and C (j x k)
 * with A^T Y, both from one augmented Gram pass.  Returns MG_ENONFINITE if
 * either is poisoned by NaN/Inf (or overflows), MG_ENOTPD if a nonzero
 * column's sums of squares underflow (A^T A is then not representable in
 * double: mg_lstsq scales the columns first). */
static MG__MUST_USE mg_status form_normal_equations(const mg_matrix *A, const mg_matrix *Y,
                                                    double ridge, double *M, double *C)
{
    const size_t j = A->cols, k = Y->cols, n = j + k;
    double *S = mg__alloc_doubles(n, n);
    if (!S)
        return MG_ENOMEM;
    /* S = [A Y]^T [A Y]: A^T A and A^T Y from one pass over A */
    mg_status s = mg__augmented_gram(A, Y, S);
    if (s != MG_OK) {
        free(S);
        return s;
    }
    mg__copy(M, j, S, n, j, j);     /* A^T A */
    mg__copy(C, k, S + j, n, j, k); /* A^T Y */
    /* Any NaN/Inf in A makes a column's sum of squares (a diagonal entry of
     * M) non-finite; one in Y reaches C through A^T Y. */
    if (!mg__all_finite(M, j, 1, j + 1) || !mg__all_finite(C, j, k, k))
        s = MG_ENONFINITE;
    else if (gram_underflows(A, S, n))
        s = MG_ENOTPD;
    free(S);
    for (size_t i = 0; s == MG_OK && i < j; i++)
        M[i * j + i] += ridge;
    return s;
}

/* Cholesky-solves M X = C in place (M upper, j x j, row-major: read
 * column-major it is the lower triangle, so LAPACK works on it with no
 * transposed copy; C j x k).  MG_ENOTPD when the factorisation fails or
 * leaves no correct digit in X.  Workspace is allocated here, not by
 * LAPACKE, whose failures would come back unseen (dlansy) or folded into
 * its return value. */
static MG__MUST_USE mg_status cholesky_solve(double *M, double *C, size_t j, size_t k)
{
    const lapack_int jj = (lapack_int)j;
    double *work = mg__alloc_doubles(j * k > 3 * j ? j * k : 3 * j, 1);
    lapack_int *iwork = malloc(j * sizeof *iwork);
    mg_status s = (work && iwork) ? MG_OK : MG_ENOMEM;
    double anorm = 0.0, rcond = 0.0;

    if (s == MG_OK) {
        /* anorm = ||M||_1 for the condition estimate, before dpotrf overwrites M */
        anorm = LAPACKE_dlansy_work(LAPACK_COL_MAJOR, '1', 'L', jj, M, jj, work);
        /* M = L L^T   (L = U^T; a non-positive pivot: MG_ENOTPD) */
        s = mg__cholesky_lower(M, jj);
    }
    if (s == MG_OK)
        /* rcond ~ 1 / (||M||_1 ||M^-1||_1) */
        s = mg__lapack_status(
            LAPACKE_dpocon_work(LAPACK_COL_MAJOR, 'L', jj, M, jj, anorm, &rcond, work, iwork),
            MG_EINVAL);
    /* Below j * eps the computed X has no reliable digit: a numerically
     * singular M (e.g. rank-deficient A) must not pass as a solution. */
    if (s == MG_OK && !(rcond >= (double)j * DBL_EPSILON))
        s = MG_ENOTPD;
    if (s == MG_OK) {
        for (size_t r = 0; r < j; r++)
            for (size_t c = 0; c < k; c++)
                work[c * j + r] = C[r * k + c];
        /* X = (L L^T)^-1 C = U^-1 U^-T C   (column-major copy of C in work) */
        s = mg__lapack_status(LAPACKE_dpotrs_work(LAPACK_COL_MAJOR, 'L', jj, (lapack_int)k, M, jj,
                                                  work, jj),
                              MG_EINVAL);
    }
    if (s == MG_OK)
        for (size_t r = 0; r < j; r++)
            for (size_t c = 0; c < k; c++)
                C[r * k + c] = work[c * j + r];
    free(work);
    free(iwork);
    return s;
}

mg_status mg_normal_solve(const mg_matrix *A, const mg_matrix *Y, double ridge, mg_matrix *W)
{
    MG__CHECK(mg__check_model(A, W, Y));
    if (!(ridge >= 0.0) || !isfinite(ridge))
        return MG_EINVAL;
    if (mg__overlaps(W, A) || mg__overlaps(W, Y))
        return MG_EINVAL;

    const size_t j = A->cols, k = Y->cols;
    double *M = mg__alloc_doubles(j, j);
    double *C = mg__alloc_doubles(j, k);
    mg_status s = MG_ENOMEM;
    if (M && C)
        s = form_normal_equations(A, Y, ridge, M, C);
    if (s == MG_OK)
        s = cholesky_solve(M, C, j, k);
    if (s == MG_OK && !mg__all_finite(C, j, k, k))
        s = MG_ENONFINITE;
    if (s == MG_OK)
        mg__copy(W->data, W->stride, C, k, j, k);
    free(M);
    free(C);
    return s;
}
