/* SPDX-License-Identifier: BSD-3-Clause */
/* The identified part of an mg_model, shared by mg_predict (predict.c, where
 * these are defined) and the robust covariances (hc.c).
 *
 * A column l of Z is aliased when row l of coef is NaN in every output (R's
 * NA coefficient); the others are identified, m_id of them, in order.
 * Prediction and the sandwich work on the identified columns only: Z_id,
 * B_id and C_id (R's predict.lm and sandwich drop the aliased columns of the
 * model matrix; here their rows and columns of C are never read). */
#ifndef MATGRAD_INFER_MODEL_H
#define MATGRAD_INFER_MODEL_H

#include "matgrad/infer.h"

#include "../internal.h"

#include <stddef.h>

/* Rows of a block: the scratch of a pass holds MG__INFER_BLOCK rows of Z_id
 * (and of Z_id C_id), enough for BLAS-3 efficiency, small enough to stay in
 * cache for m_id up to a few hundred. */
enum { MG__INFER_BLOCK = 256 };

/* Shapes and values of model: coef (m x k, m = intercept + p >= 1, k >= 1)
 * given; cov_unscaled m x m when given (sigma is mg_predict's to check).
 * A coef row is NaN
 * everywhere (aliased) or finite everywhere.  need_cov: C is required and
 * finite on the identified rows and columns (otherwise its values are not
 * read: a NaN C, mg_fit_infer's r_aliased = 0 on a rank-deficient design,
 * still predicts).  MG_EINVAL (NULL, m = 0, k = 0, need_cov without a
 * covariance), MG_EDIM (shapes), MG_ENONFINITE (a partly NaN or infinite
 * coef row, a non-finite identified C entry with need_cov). */
MG__MUST_USE mg_status mg__model_check(const mg_model *model, int need_cov);

/* Fills idx[0 .. m_id) with the identified columns of Z (idx holds m) and
 * returns m_id.  model checked. */
size_t mg__model_identified(const mg_model *model, size_t *idx);

/* dst[0 .. m_id) = z[idx], z = [1 x] with the intercept, x otherwise. */
static inline void mg__gather_z(const double *x, int intercept, const size_t *idx, size_t m_id,
                                double *dst)
{
    for (size_t l = 0; l < m_id; l++)
        dst[l] = intercept && idx[l] == 0 ? 1.0 : x[idx[l] - (size_t)(intercept != 0)];
}

/* dst (m_id x m_id, contiguous) = A[idx, idx]. */
void mg__gather_sym(const mg_matrix *A, const size_t *idx, size_t m_id, double *dst);

/* max |x_ij| over the rows x cols block, or -1 if an entry is NaN or Inf. */
double mg__max_abs_finite(const double *x, size_t rows, size_t cols, size_t stride);

#endif /* MATGRAD_INFER_MODEL_H */
