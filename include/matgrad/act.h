/* SPDX-License-Identifier: BSD-3-Clause */
/* matgrad act: elementwise activation functions and their backward pass
 * (docs/derivations.md, "Elementwise functions").
 *
 * An elementwise f has a diagonal Jacobian, diag(f'(x)), so the backward
 * pass of Y = f(X) is the Hadamard product dX = dY .* f'(X): no Jacobian is
 * ever formed.
 *
 *   MG_ACT_IDENTITY  f(x) = x                 f'(x) = 1
 *   MG_ACT_RELU      f(x) = max(x, 0)         f'(x) = 1 for x > 0, 0 for x <= 0
 *                    (the subgradient 0 at x = 0, as PyTorch and numpy-based
 *                    frameworks use)
 *   MG_ACT_SIGMOID   f(x) = 1 / (1 + e^-x)    f'(x) = f(x) (1 - f(x)),
 *                    evaluated through e^-|x| so neither overflows nor loses
 *                    relative accuracy for large |x|
 *   MG_ACT_TANH      f(x) = tanh x            f'(x) = 1 - tanh^2 x, evaluated as
 *                    4 e^-2|x| / (1 + e^-2|x|)^2 (no cancellation near |x| ~ 20)
 *   MG_ACT_EXP       f(x) = e^x               f'(x) = e^x
 *   MG_ACT_SIN       f(x) = sin x             f'(x) = cos x
 *
 * Non-finite values follow IEEE arithmetic: NaN in X gives NaN in Y and in
 * dX (also for ReLU); the backward pass is a true product, so an Inf or NaN
 * in dY where f'(x) = 0 gives NaN (frameworks that mask instead give 0).
 *
 * In place: an output may be the very same view as an input (same data and
 * stride), e.g. mg_act_forward(f, &X, &X); any other overlap is MG_EINVAL.
 */
#ifndef MATGRAD_ACT_H
#define MATGRAD_ACT_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mg_act {
    MG_ACT_IDENTITY,
    MG_ACT_RELU,
    MG_ACT_SIGMOID,
    MG_ACT_TANH,
    MG_ACT_EXP,
    MG_ACT_SIN
} mg_act;

/* Y = f(X), elementwise; Y has X's shape.  MG_EINVAL for an unknown f. */
MG_API mg_status mg_act_forward(mg_act f, const mg_matrix *X, mg_matrix *Y);

/* dX = dY .* f'(X), elementwise; X, dY and dX share one shape. */
MG_API mg_status mg_act_backward(mg_act f, const mg_matrix *X, const mg_matrix *dY, mg_matrix *dX);

/* The name of f ("relu", ...), or NULL for an unknown value. */
MG_API const char *mg_act_name(mg_act f);

#ifdef __cplusplus
}
#endif

#endif /* MATGRAD_ACT_H */
