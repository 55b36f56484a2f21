/* SPDX-License-Identifier: BSD-3-Clause */
/* matgrad fd: central finite differences, to check analytic gradients
 * (docs/derivations.md, "Finite differences" and "Jacobians").
 *
 * Central difference of a scalar f along entry (i, j) with step h:
 *     G_ij = (f(X + h E_ij) - f(X - h E_ij)) / (2h)
 * (with parentheses: "/ 2*h" would divide by 2 and multiply by h).
 * The truncation error is h^2 |f'''| / 6 and the rounding error about
 * eps |f| / h; their sum is smallest near h = (3 eps |f| / |f'''|)^(1/3),
 * i.e. h ~ 1e-5 to 1e-6 times the scale of X for well-scaled f.
 * The denominator used is (x + h) - (x - h) as actually stored, which is 2h
 * up to the rounding of x + h and x - h; dividing by the width of the
 * interval really evaluated removes that representation error.
 *
 * X is perturbed one entry at a time and every entry is restored bitwise
 * (the saved value is written back, never x + h - h) before return, on
 * success and on error.  The callbacks must not keep X or y.
 *
 * Usable steps: h must be finite and > 0, and for every entry x of X,
 * x + h and x - h must be finite, both differ from x (h is not lost
 * against x on either side, which would leave a one-sided quotient or 0/0)
 * and their difference 2h must be finite (h = 1e308 would make it Inf and
 * every quotient 0).  Otherwise MG_EINVAL, before f is called; a NaN or
 * Inf in X gives MG_ENONFINITE.
 *
 * Non-finite values: if f returns NaN or Inf at any evaluated point, or a
 * quotient exceeds DBL_MAX, the call returns MG_ENONFINITE with its outputs
 * untouched (a finite-difference quotient of non-finite values carries no
 * information).  Two finite values whose difference overflows still give
 * their (representable) quotient.
 */
#ifndef MATGRAD_FD_H
#define MATGRAD_FD_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A scalar function of a matrix. */
typedef double (*mg_scalar_fn)(const mg_matrix *X, void *ctx);

/* A vector function y = f(x): x is the point (any shape, read row by row as
 * a vector of n = rows * cols entries), y an m x 1 contiguous vector to
 * fill.  A status other than MG_OK aborts the caller with that status. */
typedef mg_status (*mg_vector_fn)(const mg_matrix *x, mg_matrix *y, void *ctx);

/* G_ij = (f(X + h E_ij) - f(X - h E_ij)) / (2h); G has X's shape and must
 * not overlap X.  h must be a usable step for every entry of X (above;
 * MG_EINVAL otherwise).  Costs 2 rows cols evaluations of f. */
MG_API mg_status mg_fd_gradient(mg_scalar_fn f, void *ctx, mg_matrix *X /* restored on return */,
                         double h, mg_matrix *G);

/* Jacobian of f: R^n -> R^m at x in numerator layout: J is m x n with
 * J_pq = dy_p / dx_q, where q runs over x's entries row by row and
 * m = J->rows, n = x->rows * x->cols = J->cols.  Column q is the central
 * difference (f(x + h e_q) - f(x - h e_q)) / (2h).  J must not overlap x.
 * Costs 2n evaluations of f. */
MG_API mg_status mg_fd_jacobian(mg_vector_fn f, void *ctx, mg_matrix *x /* restored on return */,
                         double h, mg_matrix *J);

/* Compares an analytic gradient G of f at X with the central difference of
 * step h and stores the largest entrywise relative error
 *     e_ij = |G_ij - N_ij| / max(|G_ij|, |N_ij|, s),
 *     s = cbrt(DBL_EPSILON) * max_kl max(|G_kl|, |N_kl|)   (~6e-6 of the largest entry)
 * in *max_rel_err (N is the numerical gradient).  The difference quotient's
 * absolute error is about eps^(2/3) times the gradient's scale at a good h,
 * so an entry that is zero in exact arithmetic holds only that noise; the
 * floor s makes such entries count in absolute terms instead of reading as
 * 100% errors.  All-zero G and N give 0; a NaN in G gives NaN.
 * A correct G of a well-scaled f gives well below 1e-5 with h = 1e-5; a
 * wrong sign, factor or transpose gives O(1).  G must have X's shape and
 * not overlap X. */
MG_API mg_status mg_grad_check(mg_scalar_fn f, void *ctx, mg_matrix *X /* restored on return */,
                        const mg_matrix *G, double h, double *max_rel_err);

#ifdef __cplusplus
}
#endif

#endif /* MATGRAD_FD_H */
