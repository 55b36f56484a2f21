/* matgrad lstsq: accurate linear least squares with regression statistics.
 *
 * mg_lstsq minimises ||Y - X B||_F for any number of outputs k.  With the
 * intercept option, an implicit leading column of ones is added to X and B
 * gets one more row (the intercept first).  Full-rank or rank-deficient X
 * (the minimum-norm B, with the numerical rank reported), N >= p or N < p.
 *
 * Shapes: X is N x p, Y is N x k, B is (p + intercept) x k.
 * Non-finite values: NaN or Inf anywhere in X or Y returns MG_ENONFINITE.
 * Outputs (B and everything in the result) are untouched on any error.
 */
#ifndef MATGRAD_LSTSQ_H
#define MATGRAD_LSTSQ_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mg_lstsq_method {
    MG_LSTSQ_AUTO = 0,  /* Cholesky when its condition estimate shows the result is
                           accurate, else QR; refinement as needed */
    MG_LSTSQ_CHOLESKY,  /* normal equations (fast; squares the condition number) */
    MG_LSTSQ_QR,        /* Householder QR with column pivoting */
    MG_LSTSQ_SVD        /* singular value decomposition */
} mg_lstsq_method;

typedef struct mg_lstsq_options {
    int intercept;           /* nonzero: prepend an implicit column of ones */
    mg_lstsq_method method;  /* MG_LSTSQ_AUTO by default */
    double rank_tol;         /* relative tolerance for the rank decision; 0 = default */
    size_t max_refine;       /* iterative-refinement steps at most */
} mg_lstsq_options;

/* Accurate defaults (see docs/accuracy.md). */
mg_lstsq_options mg_lstsq_defaults(void);

typedef struct mg_lstsq_result {
    /* Always filled on success: */
    size_t rank;             /* numerical rank of the design (with the intercept column) */
    double rcond;            /* reciprocal condition estimate of the design */
    size_t refine_steps;     /* iterative-refinement steps taken */
    mg_lstsq_method method;  /* the method actually used */
    size_t df_residual;      /* N - rank */
    /* Optional: point at caller storage to receive these, or leave NULL. */
    mg_matrix *std_err;      /* (p + intercept) x k coefficient standard errors */
    double *residual_sd;     /* k values: sqrt(RSS_c / df_residual) */
    double *r_squared;       /* k values: 1 - RSS/TSS (TSS about the mean with an
                                intercept, about zero without) */
} mg_lstsq_result;

/* Minimises ||Y - X B||_F.  opt == NULL means mg_lstsq_defaults(); res may
 * be NULL. */
mg_status mg_lstsq(const mg_matrix *X, const mg_matrix *Y, mg_matrix *B,
                   const mg_lstsq_options *opt, mg_lstsq_result *res);

#ifdef __cplusplus
}
#endif

#endif /* MATGRAD_LSTSQ_H */
