/* SPDX-License-Identifier: BSD-3-Clause */
/* linreg: MSE loss and gradient, and the normal equations (docs/derivations.md,
 * "MSE loss", "MSE gradient", "Normal equations"). */
#include "matgrad/linreg.h"
#include "internal.h"
#include "linreg_internal.h"
#include "kernels/mse_pass.h"
#include "fit/fit_internal.h"

#include <float.h>
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

/* The normal equations on the fit engine's GRAM state (src/fit/): one
 * pass of the packed Gram kernel over [A Y] in slices merged in slice order
 * (any thread count gives the same bits), then Cholesky of the
 * equilibrated A^T A + ridge I and the solve.  No refinement: the plain
 * formula (docs/derivations.md, "Normal equations"); mg_lstsq refines. */
mg_status mg_normal_solve(const mg_matrix *A, const mg_matrix *Y, double ridge, mg_matrix *W)
{
    MG__CHECK(mg__check_model(A, W, Y));
    if (!(ridge >= 0.0) || !isfinite(ridge))
        return MG_EINVAL;
    if (mg__overlaps(W, A) || mg__overlaps(W, Y))
        return MG_EINVAL;
    mg_fit *fit = NULL;
    MG__CHECK(mg__normal_state(A, Y, ridge, &fit));
    /* W = (A^T A + ridge I)^-1 A^T Y, written only on success */
    mg_status s = mg_fit_finish(fit, W, NULL);
    mg_fit_free(fit);
    return s;
}
