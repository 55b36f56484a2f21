/* SPDX-License-Identifier: BSD-3-Clause */
/* matgrad rules: gradients of scalar functions of a matrix, derived with
 * differentials and the trace trick (docs/derivations.md, from "Bilinear
 * form" to "log|det X| and det X").
 *
 * Layout: the gradient G of a scalar f with respect to a matrix X has X's
 * shape, G_ij = df/dX_ij, so that df = tr(G^T dX) = sum_ij G_ij dX_ij.
 * Vectors are matrices with one column (m x 1).
 *
 * Non-finite values: the explicit rules (bilinear, a_exp_Xb, sandwich)
 * follow IEEE arithmetic through the BLAS and report nothing.  The rules
 * that factor X (inverse, logdet, det and the values mg_logdet, mg_det)
 * need a finite X and return MG_ENONFINITE, outputs untouched, for a
 * non-finite input or a result whose largest entry overflows.
 *
 * Scale: the factoring rules work for finite X of any magnitude, subnormal
 * entries included.  X is scaled by powers of two before LU (exactly, and
 * undone exactly on the results: (cX)^-1 = X^-1 / c, det(cX) = c^n det X),
 * so nothing over- or underflows on the way: a result that is
 * representable in double is returned with MG_OK, one that overflows gives
 * MG_ENONFINITE, and entries below DBL_MIN underflow gradually (IEEE
 * subnormals, then 0) with MG_OK.  The gradients use one power of two for
 * all of X; mg_det and mg_logdet, which make no condition test, scale each
 * row on its own, so a row tiny next to another keeps its digits.
 *
 * Singular X: the factoring rules return MG_ESINGULAR when LU meets an
 * exact zero pivot or when the reciprocal condition number estimated by
 * dgecon is below n * DBL_EPSILON (the inverse would carry no correct
 * digit).  rcond does not change when X is multiplied by a scalar, and the
 * test is made on the scaled X, so s X is judged singular exactly when X
 * is, for any s.  For f = det X the gradient of a singular X still exists (the
 * transposed adjugate, nonzero when rank X = n - 1); mg_grad_det does not
 * compute it and reports MG_ESINGULAR like the other two.
 *
 * Outputs must not overlap any input (MG_EINVAL).
 */
#ifndef MATGRAD_RULES_H
#define MATGRAD_RULES_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* f = a^T X b with a m x 1, b n x 1 (X m x n):  G = a b^T (m x n), one dger. */
MG_API mg_status mg_grad_bilinear(const mg_matrix *a, const mg_matrix *b, mg_matrix *G);

/* f = a^T exp(X b) with a m x 1, X m x n, b n x 1:
 * G = (a .* exp(X b)) b^T (m x n): a dgemv, m exps and a dger. */
MG_API mg_status mg_grad_a_exp_Xb(const mg_matrix *a, const mg_matrix *X, const mg_matrix *b, mg_matrix *G);

/* Chain rule through Y = A X B with A p x m, X m x n, B n x q: given
 * GY = df/dY (p x q), GX = df/dX = A^T GY B^T (m x n).  Two dgemms, in
 * whichever order needs fewer flops: (A^T GY) B^T costs mq(p + n) multiply-
 * adds, A^T (GY B^T) costs pn(q + m). */
MG_API mg_status mg_grad_sandwich(const mg_matrix *A, const mg_matrix *GY, const mg_matrix *B, mg_matrix *GX);

/* Chain rule through Y = X^-1 (X n x n): GX = -X^-T GY X^-T, from one LU of
 * X (dgetrf) and two solves (dgetrs); the inverse is never formed. */
MG_API mg_status mg_grad_inverse(const mg_matrix *X, const mg_matrix *GY, mg_matrix *GX);

/* f = log|det X| (X n x n, either sign of det):  G = X^-T, by dgetrf and
 * dgetri (here the inverse is the answer itself). */
MG_API mg_status mg_grad_logdet(const mg_matrix *X, mg_matrix *G);

/* f = det X:  G = det(X) X^-T.  det(X) is carried as mantissa and power of
 * two, so G is finite whenever its entries are representable even if det X
 * itself over- or underflows; MG_ENONFINITE if an entry overflows. */
MG_API mg_status mg_grad_det(const mg_matrix *X, mg_matrix *G);

/* The function values, for checks and for users of the gradients. */

/* *f = a^T X b. */
MG_API mg_status mg_bilinear(const mg_matrix *a, const mg_matrix *X, const mg_matrix *b, double *f);

/* *f = a^T exp(X b) (IEEE: overflowing exponentials give Inf). */
MG_API mg_status mg_a_exp_Xb(const mg_matrix *a, const mg_matrix *X, const mg_matrix *b, double *f);

/* log|det X| and the sign of det X (+1 or -1), from one LU (like numpy's
 * slogdet).  MG_ESINGULAR for an exactly singular X (det = 0); no condition
 * test, since the value of a nearly singular X is still well defined.
 * sign may be NULL. */
MG_API mg_status mg_logdet(const mg_matrix *X, double *logabsdet, double *sign);

/* *det = det X from one LU; 0 for an X that LU finds exactly singular; a
 * subnormal or 0 when det X underflows (MG_OK: the correctly scaled value,
 * rounded once); MG_ENONFINITE, *det untouched, when |det X| > DBL_MAX (use
 * mg_logdet then, which is finite for every nonsingular finite X). */
MG_API mg_status mg_det(const mg_matrix *X, double *det);

#ifdef __cplusplus
}
#endif

#endif /* MATGRAD_RULES_H */
