/* SPDX-License-Identifier: BSD-3-Clause */
/* act: elementwise activations and their backward pass dX = dY .* f'(X)
 * (d sigma(X) = sigma'(X) .* dX: the diagonal Jacobian applied as a
 * Hadamard product; docs/derivations.md, "Elementwise functions"). */
#include "matgrad/act.h"
#include "internal.h"

#include <math.h>

/* ---- the scalar functions and derivatives ------------------------------ */

static inline double relu(double x)
{
    /* NaN fails the test and passes through, as IEEE max would not */
    return x <= 0.0 ? 0.0 : x;
}

static inline double relu_d(double x)
{
    /* 1 on x > 0, 0 on x <= 0 (the subgradient 0 at the kink), NaN for NaN */
    return x > 0.0 ? 1.0 : x <= 0.0 ? 0.0 : x;
}

static inline double sigmoid(double x)
{
    /* e = e^-|x| in (0, 1]: never overflows, and for x < 0 the result
     * e / (1 + e) keeps full relative accuracy down to underflow */
    const double e = exp(-fabs(x));
    return x >= 0.0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
}

static inline double sigmoid_d(double x)
{
    /* s (1 - s) = e^-|x| / (1 + e^-|x|)^2, symmetric in x: no 1 - s
     * cancellation for large x */
    const double e = exp(-fabs(x));
    const double d = 1.0 + e;
    return e / (d * d);
}

static inline double tanh_d(double x)
{
    /* 1 - tanh^2 x = 4 e^-2|x| / (1 + e^-2|x|)^2: accurate where tanh^2 x
     * rounds to 1 */
    const double e = exp(-2.0 * fabs(x));
    const double d = 1.0 + e;
    return 4.0 * e / (d * d);
}

/* ---- loops -------------------------------------------------------------- */

#define FORWARD_LOOP(EXPR)                                              \
    for (size_t i = 0; i < X->rows; i++) {                              \
        const double *x = mg_at(X, i, 0);                               \
        double *y = mg_at(Y, i, 0);                                     \
        for (size_t j = 0; j < X->cols; j++) {                          \
            const double v = x[j];                                      \
            y[j] = (EXPR);                                              \
        }                                                               \
    }

#define BACKWARD_LOOP(DERIV)                                            \
    for (size_t i = 0; i < X->rows; i++) {                              \
        const double *x = mg_at(X, i, 0), *dy = mg_at(dY, i, 0);        \
        double *dx = mg_at(dX, i, 0);                                   \
        for (size_t j = 0; j < X->cols; j++) {                          \
            const double v = x[j];                                      \
            (void)v;                                                    \
            dx[j] = dy[j] * (DERIV);                                    \
        }                                                               \
    }

static int known(mg_act f)
{
    return (unsigned)f <= (unsigned)MG_ACT_SIN;
}

/* Same shape; an output may be the very same view as the input (in place),
 * any other overlap is refused. */
MG__MUST_USE static mg_status check_pair(const mg_matrix *in, const mg_matrix *out)
{
    if (in->rows != out->rows || in->cols != out->cols)
        return MG_EDIM;
    const int same = in->data == out->data && in->stride == out->stride;
    return !same && mg__overlaps(in, out) ? MG_EINVAL : MG_OK;
}

const char *mg_act_name(mg_act f)
{
    static const char *const names[] = { "identity", "relu", "sigmoid", "tanh", "exp", "sin" };
    return known(f) ? names[f] : NULL;
}

mg_status mg_act_forward(mg_act f, const mg_matrix *X, mg_matrix *Y)
{
    const mg_matrix *all[] = { X, Y };
    MG__CHECK(mg__check_all(all, 2));
    if (!known(f))
        return MG_EINVAL;
    MG__CHECK(check_pair(X, Y));

    switch (f) {
    case MG_ACT_IDENTITY: FORWARD_LOOP(v); break;
    case MG_ACT_RELU:     FORWARD_LOOP(relu(v)); break;
    case MG_ACT_SIGMOID:  FORWARD_LOOP(sigmoid(v)); break;
    case MG_ACT_TANH:     FORWARD_LOOP(tanh(v)); break;
    case MG_ACT_EXP:      FORWARD_LOOP(exp(v)); break;
    case MG_ACT_SIN:      FORWARD_LOOP(sin(v)); break;
    }
    return MG_OK;
}

mg_status mg_act_backward(mg_act f, const mg_matrix *X, const mg_matrix *dY, mg_matrix *dX)
{
    const mg_matrix *all[] = { X, dY, dX };
    MG__CHECK(mg__check_all(all, 3));
    if (!known(f))
        return MG_EINVAL;
    if (X->rows != dY->rows || X->cols != dY->cols)
        return MG_EDIM;
    MG__CHECK(check_pair(X, dX));
    MG__CHECK(check_pair(dY, dX));

    /* dX = dY .* f'(X): the diagonal Jacobian diag(f'(x)) applied to dY */
    switch (f) {
    case MG_ACT_IDENTITY: BACKWARD_LOOP(1.0); break;
    case MG_ACT_RELU:     BACKWARD_LOOP(relu_d(v)); break;
    case MG_ACT_SIGMOID:  BACKWARD_LOOP(sigmoid_d(v)); break;
    case MG_ACT_TANH:     BACKWARD_LOOP(tanh_d(v)); break;
    case MG_ACT_EXP:      BACKWARD_LOOP(exp(v)); break;
    case MG_ACT_SIN:      BACKWARD_LOOP(cos(v)); break;
    }
    return MG_OK;
}
