/* matgrad linreg: mean-squared-error loss, its gradient, the normal
 * equations and gradient descent for the linear model Y ~ A W.
 *
 * Shapes: A is N x j (one row per observation), W is j x k, Y is N x k.
 * The loss is a sum over the k outputs and a mean over the N rows:
 *     loss(W) = (1/N) sum_ij (Y - A W)_ij^2
 * and its gradient (docs/derivations.md, section "MSE gradient") is
 *     dloss/dW = -(2/N) A^T (Y - A W).
 *
 * Non-finite values: these entry points return MG_ENONFINITE, outputs
 * untouched, when a NaN or Inf in any input reaches the result.  They detect
 * it from their small results (the loss, the j x k gradient), never by a
 * second pass over A.
 */
#ifndef MATGRAD_LINREG_H
#define MATGRAD_LINREG_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* loss = (1/N) sum_ij (Y - A W)_ij^2, N = A->rows. */
mg_status mg_mse_loss(const mg_matrix *A, const mg_matrix *W, const mg_matrix *Y, double *loss);

/* G = -(2/N) A^T (Y - A W) (G is j x k); also the loss of the same residual
 * when loss != NULL.  G must not overlap A, W or Y. */
mg_status mg_mse_grad(const mg_matrix *A, const mg_matrix *W, const mg_matrix *Y,
                      mg_matrix *G, double *loss /* may be NULL */);

/* Solves (A^T A + ridge I) W = A^T Y by Cholesky (dsyrk + dpotrf/dpotrs).
 * ridge must be finite and >= 0 (MG_EINVAL otherwise).  Returns MG_ENOTPD
 * when A^T A + ridge I is not numerically positive definite: Cholesky fails,
 * or its reciprocal condition number (dpocon) is below j * DBL_EPSILON, so
 * that the solution would carry no correct digit (e.g. a rank-deficient A
 * with ridge = 0).  Use mg_lstsq for such designs. */
mg_status mg_normal_solve(const mg_matrix *A, const mg_matrix *Y, double ridge, mg_matrix *W);

/* How mg_gd_fit computes each step's gradient. */
typedef enum mg_gd_strategy {
    MG_GD_AUTO = 0, /* the cheaper of the two for the shapes and epochs */
    MG_GD_DIRECT,   /* G = -(2/N) A^T (Y - A W): one pass over A per epoch */
    MG_GD_GRAM      /* precompute A^T A's factor once; O(j^2 k) per epoch */
} mg_gd_strategy;

typedef struct mg_gd_options {
    double learning_rate;        /* > 0, finite */
    size_t epochs;               /* number of steps at most */
    double tolerance;            /* stop when loss <= tolerance; 0 = run all epochs */
    void (*on_epoch)(size_t epoch, double loss, void *ctx);  /* epoch 0 = before any step */
    void *ctx;
    mg_gd_strategy strategy;     /* MG_GD_AUTO by default */
} mg_gd_options;

/* learning_rate 0.01, epochs 1000, tolerance 0, no callback, MG_GD_AUTO. */
mg_gd_options mg_gd_defaults(void);

/* Gradient descent W <- W - learning_rate * dloss/dW, starting from W.
 * on_epoch(e, loss) reports the loss after e steps (e = 0: the start).
 * Stops after opt->epochs steps or as soon as loss <= tolerance; the number
 * of steps taken goes to *epochs_run.  opt == NULL means mg_gd_defaults().
 * A loss that becomes non-finite (divergence: learning rate too large)
 * returns MG_ENOCONV; non-finite inputs return MG_ENONFINITE.  On any error
 * W and *epochs_run are left as they were. */
mg_status mg_gd_fit(const mg_matrix *A, const mg_matrix *Y, mg_matrix *W,
                    const mg_gd_options *opt, size_t *epochs_run /* may be NULL */);

#ifdef __cplusplus
}
#endif

#endif /* MATGRAD_LINREG_H */
