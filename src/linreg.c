/* linreg: MSE loss and gradient, and the normal equations (seeds 000, 003). */
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

/* Fills the upper triangle of M (j x j) with A^T A + ridge I and C (j x k)
 * with A^T Y, both from one augmented Gram pass.  Returns MG_ENONFINITE if
 * either is poisoned by NaN/Inf. */
static mg_status form_normal_equations(const mg_matrix *A, const mg_matrix *Y, double ridge,
                                       double *M, double *C)
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
    free(S);
    /* Any NaN/Inf in A makes a column's sum of squares (a diagonal entry of
     * M) non-finite; one in Y reaches C through A^T Y. */
    if (!mg__all_finite(M, j, 1, j + 1) || !mg__all_finite(C, j, k, k))
        return MG_ENONFINITE;
    for (size_t i = 0; i < j; i++)
        M[i * j + i] += ridge;
    return MG_OK;
}

/* Cholesky-solves M X = C in place (M upper, j x j; C j x k).  MG_ENOTPD
 * when the factorisation fails or leaves no correct digit in X. */
static mg_status cholesky_solve(double *M, double *C, int j, int k)
{
    /* ||M||_1 for the condition estimate, before dpotrf overwrites M. */
    const double anorm = LAPACKE_dlansy(LAPACK_ROW_MAJOR, '1', 'U', j, M, j);
    double rcond = 0.0;

    /* M = U^T U */
    if (LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'U', j, M, j) != 0)
        return MG_ENOTPD;
    /* rcond ~ 1 / (||M||_1 ||M^-1||_1) */
    if (LAPACKE_dpocon(LAPACK_ROW_MAJOR, 'U', j, M, j, anorm, &rcond) != 0)
        return MG_ENOMEM;
    /* Below j * eps the computed X has no reliable digit: a numerically
     * singular M (e.g. rank-deficient A) must not pass as a solution. */
    if (!(rcond >= (double)j * DBL_EPSILON))
        return MG_ENOTPD;
    /* X = U^-1 U^-T C */
    if (LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'U', j, k, M, j, C, k) != 0)
        return MG_ENOMEM;
    return MG_OK;
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
        s = cholesky_solve(M, C, (int)j, (int)k);
    if (s == MG_OK && !mg__all_finite(C, j, k, k))
        s = MG_ENONFINITE;
    if (s == MG_OK)
        mg__copy(W->data, W->stride, C, k, j, k);
    free(M);
    free(C);
    return s;
}
