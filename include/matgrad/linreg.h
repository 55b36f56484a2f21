/* SPDX-License-Identifier: BSD-3-Clause */
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
 *
 * Performance and threads (docs/performance.md): with k <= 32 outputs the
 * loss and gradient come from one fused pass over A, run on OpenMP threads
 * (omp_get_max_threads(), i.e. OMP_NUM_THREADS) when A holds 4 MiB or more;
 * the rows are split into slices chosen by the shape alone and the slices'
 * sums are added in a fixed order, so results are bitwise identical run to
 * run and for every thread count.  The Gram pass of the normal equations
 * (A^T A, A^T Y) runs the same way on matgrad's Gram kernel (AVX-512 or
 * AVX2+FMA where the CPU has it, portable C elsewhere).  More outputs go through dgemm, threaded by OpenBLAS; no
 * OpenMP region calls BLAS, so the two thread pools never nest.  On a machine shared with
 * other busy processes, OMP_DYNAMIC=true lets the OpenMP runtime use fewer
 * threads (same results, see docs/performance.md).
 */
#ifndef MATGRAD_LINREG_H
#define MATGRAD_LINREG_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* loss = (1/N) sum_ij (Y - A W)_ij^2, N = A->rows. */
MG_API mg_status mg_mse_loss(const mg_matrix *A, const mg_matrix *W, const mg_matrix *Y, double *loss);

/* G = -(2/N) A^T (Y - A W) (G is j x k); also the loss of the same residual
 * when loss != NULL.  G must not overlap A, W or Y. */
MG_API mg_status mg_mse_grad(const mg_matrix *A, const mg_matrix *W, const mg_matrix *Y,
                      mg_matrix *G, double *loss /* may be NULL */);

/* Solves (A^T A + ridge I) W = A^T Y: the normal equations as written
 * (docs/derivations.md, "Normal equations"), on the fit engine's GRAM
 * state (fit.h): A^T A (upper triangle) and A^T Y from one pass of the
 * packed Gram kernel over row slices of [A Y] merged in a fixed order
 * (bitwise the same for any thread count), then Cholesky of the
 * equilibrated matrix (columns scaled by powers of two; dpotf2 up to
 * order 512, dpotrf above) and the solve.  No refinement: the normwise
 * relative error is of order j kappa(A)^2 eps (the condition number of
 * A^T A); mg_lstsq (method CHOLESKY or the default) refines the same
 * sums to the exact least-squares answer.
 * ridge must be finite and >= 0 (MG_EINVAL otherwise).  Returns MG_ENOTPD
 * when the equilibrated A^T A + ridge I is not numerically positive
 * definite: Cholesky fails, or its reciprocal condition number (dpocon) is
 * below j * DBL_EPSILON, so that the solution would carry no correct digit
 * (e.g. a rank-deficient A with ridge = 0).  MG_ERANGE when a nonzero
 * column of A or Y has its largest magnitude outside about 1e-144 .. 1e144
 * (MG_FIT_RANGE: there A^T A underflows or overflows; mg_lstsq
 * equilibrates such columns exactly first); MG_ENONFINITE for NaN/Inf. */
MG_API mg_status mg_normal_solve(const mg_matrix *A, const mg_matrix *Y, double ridge, mg_matrix *W);

/* How mg_gd_fit computes each step's gradient. */
/* Both strategies take the same steps and report the same losses up to
 * rounding (tested to 1e-10 relative).  MG_GD_GRAM computes
 *     ||Y - A W||^2 = ssq_ref - 2 <D, A^T R_ref> + <D, A^T A D>,  D = W - W_ref,
 *     dloss/dW      = -(2/N) (A^T R_ref - A^T A D)
 * around a reference point W_ref whose residual R_ref is known exactly:
 * first W_ref = 0 (R_ref = Y; A^T A, A^T Y and ||Y||^2 from one Gram pass
 * over [A Y]), then, whenever the loss falls below a quarter of the
 * reference loss, the current W (one exact pass over A).  The textbook form ||Y||^2 - 2 <W, A^T Y> +
 * <W, A^T A W> is not used: it cancels catastrophically once the loss is
 * small beside ||Y||^2 (the example of docs/derivations.md ends at 2.7e-7 beside ~1240). */
typedef enum mg_gd_strategy {
    MG_GD_AUTO = 0, /* the cheaper of the two: epochs * N j k against N j^2
                       plus the reference passes (set-up included) */
    MG_GD_DIRECT,   /* G = -(2/N) A^T (Y - A W): one pass over A per epoch */
    MG_GD_GRAM      /* A^T A once (Gram pass, (j+k)^2 memory), then O(j^2 k) per
                       epoch plus O(log(loss0 / loss)) passes over A */
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
MG_API mg_gd_options mg_gd_defaults(void);

/* MG_OK when *opt is usable by mg_gd_fit (learning_rate > 0 and finite,
 * tolerance >= 0 and finite, a known strategy), else MG_EINVAL; NULL is
 * MG_EINVAL.  mg_gd_fit applies the same check; a caller can validate
 * options before it starts anything (the MPI layer does, so that every
 * rank agrees before its first message). */
MG_API mg_status mg_gd_options_check(const mg_gd_options *opt);

/* Gradient descent W <- W - learning_rate * dloss/dW, starting from W.
 * on_epoch(e, loss) reports the loss after e steps (e = 0: the start).
 * Stops after opt->epochs steps or as soon as loss <= tolerance; the number
 * of steps taken goes to *epochs_run.  opt == NULL means mg_gd_defaults().
 * A loss that becomes non-finite (divergence: learning rate too large)
 * returns MG_ENOCONV; non-finite inputs return MG_ENONFINITE.  On any error
 * W and *epochs_run are left as they were. */
MG_API mg_status mg_gd_fit(const mg_matrix *A, const mg_matrix *Y, mg_matrix *W,
                    const mg_gd_options *opt, size_t *epochs_run /* may be NULL */);

#ifdef __cplusplus
}
#endif

#endif /* MATGRAD_LINREG_H */
