/* SPDX-License-Identifier: BSD-3-Clause */
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
 *
 * Accuracy (docs/accuracy.md): columns are equilibrated by exact powers of
 * two, the solve is refined with residuals accumulated in double-double, so
 * a full-rank result is the exact least-squares solution of the double data
 * to within a few ulp per coefficient (normwise for coefficients near 0),
 * or the call returns a status: never MG_OK with a wrong answer.  The
 * default reaches that whenever kappa(equilibrated X) * eps < 1 (all eleven
 * NIST StRD linear datasets reach their ceiling).
 *
 * How (docs/architecture.md): the normal equations (CHOLESKY, and AUTO when
 * N p^2 >= 1e7) and every weighted fit run on the fit engine (fit.h): one
 * pass forms the state, row slices on threads merged in a fixed order
 * (bitwise the same for any thread count), then corrected semi-normal
 * refinement replays the rows until the engine proves convergence.  Its
 * steps contract by about kappa^2 eps, so it refuses kappa beyond about
 * 1e6 (MG_ENOTPD / MG_ENOCONV); AUTO then takes Householder QR with Q and
 * Bjorck's refinement (rate kappa eps), which is also the QR and SVD
 * methods' path without weights.  With weights, QR and SVD use the
 * engine's QR kind (one-pass TSQR) and the same replayed refinement.
 *
 * Errors: MG_EINVAL for NULL or unusable views (zero rows or columns,
 * stride < cols), a method out of range, rank_tol < 0, >= 1 or NaN, a
 * negative weight or all weights zero, and outputs (B, std_err, residual_sd, r_squared)
 * overlapping the inputs or each other; MG_EDIM for non-conforming shapes
 * (weights not N x 1); MG_ENONFINITE (NaN/Inf in X, Y or the weights);
 * MG_ENOTPD when method CHOLESKY meets a Gram matrix too ill-conditioned
 * for its refinement to converge (rcond(equilibrated X^T X) < 32 (p + 1)
 * eps: collinear columns); MG_ENOCONV when a full-rank refinement does not
 * reach rounding level within max_refine steps or stops contracting above
 * it (every method; CHOLESKY and weighted fits beyond kappa ~1e6), or
 * LAPACK's SVD (dgesdd) fails to converge; MG_ERANGE for a weighted fit with a column whose largest
 * magnitude is outside about 1e-144 .. 1e144 (fit.h, MG_FIT_RANGE; the
 * unweighted methods equilibrate such columns and solve them); MG_ENOMEM.
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
    MG_LSTSQ_CHOLESKY,  /* normal equations on the fit engine, refined to the exact
                           answer (fast; refuses kappa beyond ~1e6); falls back
                           to QR (res->method says so) when X^T X would
                           overflow or underflow (a column beyond MG_FIT_RANGE) */
    MG_LSTSQ_QR,        /* Householder QR (with column pivoting when the condition
                           estimate cannot prove full rank) */
    MG_LSTSQ_SVD        /* singular value decomposition */
} mg_lstsq_method;

typedef struct mg_lstsq_options {
    int intercept;           /* nonzero: prepend an implicit column of ones */
    mg_lstsq_method method;  /* MG_LSTSQ_AUTO by default */
    double rank_tol;         /* relative tolerance for the rank decision: columns of the
                                pivoted QR with |R_ii| <= rank_tol |R_11| (singular
                                values s_i <= rank_tol s_1 for SVD) are dropped;
                                0 = default, max(N, p) * DBL_EPSILON */
    size_t max_refine;       /* iterative-refinement steps at most (default 20; 0 = the
                                plain factorisation's answer, at its own accuracy:
                                kappa eps for QR, kappa^2 eps for the normal
                                equations); on the fit engine (normal equations,
                                weights) a refinement that needs more steps returns
                                MG_ENOCONV */
    /* Added after the first version (fields only ever go at the end): */
    const mg_matrix *weights; /* N x 1 row weights w_i (finite, >= 0), or NULL (all 1):
                                minimises sum_i w_i ||Y_i - Z_i B||^2 with R's
                                lm(weights=) statistics (a zero weight drops the row
                                from df_residual; R^2 about the weighted mean) */
} mg_lstsq_options;

/* Accurate defaults: no intercept, MG_LSTSQ_AUTO, rank_tol 0 (default),
 * max_refine 20 (see docs/accuracy.md). */
MG_API mg_lstsq_options mg_lstsq_defaults(void);

/* Initialise with mg_lstsq_result res = { 0 } and set the optional
 * pointers you want filled.  Statistics that are undefined are NaN (as in
 * R): residual_sd and std_err when df_residual == 0, r_squared when TSS == 0. */
typedef struct mg_lstsq_result {
    /* Always filled on success: */
    size_t rank;             /* numerical rank of the design (with the intercept column) */
    double rcond;            /* reciprocal condition estimate of the equilibrated design
                                (columns scaled by powers of two): 1-norm estimate from
                                R for QR (exact, 1 / (||R||_1 ||R^-1||_1), on the small
                                path, N p^2 <= 1e4), s_min / s_max for SVD, sqrt of the
                                estimate for X^T X on the Cholesky path; ~0 when
                                rank-deficient */
    size_t refine_steps;     /* iterative-refinement steps taken (the most over outputs) */
    mg_lstsq_method method;  /* the method actually used: SVD for every rank-deficient
                                fit (minimum norm), QR after auto's fallback */
    size_t df_residual;      /* N - rank */
    /* Optional: point at caller storage to receive these, or leave NULL. */
    mg_matrix *std_err;      /* (p + intercept) x k coefficient standard errors,
                                residual_sd * sqrt(diag((X^T X)^+)); on the QR path
                                from R^-1 (relative error about kappa eps, ~12+
                                digits) when rcond >= 1e-3, refined to a few ulp
                                below that (while N p^2 <= 1e8); from the Cholesky
                                factor on that path (about kappa^2 eps):
                                docs/accuracy.md, step 5 */
    double *residual_sd;     /* k values: sqrt(RSS_c / df_residual) */
    double *r_squared;       /* k values: 1 - RSS/TSS (TSS about the mean with an
                                intercept or a constant nonzero column in X, about
                                zero without) */
    /* Added after the first version (fields only ever go at the end): */
    double *adj_r_squared;   /* k values: 1 - (RSS / df_residual) / (TSS / (N - c)),
                                c = 1 when TSS is about the mean, else 0 (R's
                                "Adjusted R-squared"); NaN when undefined */
} mg_lstsq_result;

/* Minimises ||Y - X B||_F.  opt == NULL means mg_lstsq_defaults(); res may
 * be NULL. */
MG_API mg_status mg_lstsq(const mg_matrix *X, const mg_matrix *Y, mg_matrix *B,
                   const mg_lstsq_options *opt, mg_lstsq_result *res);

/* Many independent least-squares problems of one shape: for i < count,
 * B[i] minimises ||Y[i] - X[i] B[i]||_F with the same options, as
 * mg_lstsq(&X[i], &Y[i], &B[i], opt, res) would.  X, Y, B are arrays of
 * count views (every X[i] N x p, Y[i] N x k, B[i] (p + intercept) x k);
 * opt->weights, when set, weights every fit alike.
 * residual_sd and r_squared (count x k doubles, fit i at [i k], either may
 * be NULL) get each fit's statistics as mg_lstsq_result's; status (count
 * entries, or NULL) gets each fit's own status: a bad problem (NaN, a
 * failed refinement, ...) does not stop the others, and a failed fit's
 * outputs are untouched.
 * Threads: the fits run on matgrad's worker threads (as many as
 * OMP_NUM_THREADS / omp_set_num_threads allow), each with a workspace
 * allocated once per call.  Unweighted QR / auto fits with
 * N >= p + intercept and at most 64 design columns take a parallel path
 * with mg_lstsq's accuracy contract (equilibrated Householder QR and
 * Bjorck's refinement in double-double, as small loops that call no BLAS:
 * coefficients within a few ulp of mg_lstsq's, and bitwise its results
 * where mg_lstsq runs the same loops, N (p + intercept)^2 <= 1e4; with one
 * output, fewer than 32 columns of X and short designs (N (2 p + intercept
 * + 6) <= 32768), four fits at a time in the lanes
 * of an AVX2 register where the CPU has AVX2 and FMA, each lane with the
 * single fit's bits); every other fit (weights,
 * CHOLESKY or SVD, a rank not proven full, a refinement that does not
 * converge there) is solved by mg_lstsq itself on the calling thread,
 * after the parallel ones (docs/performance.md, "Many small fits").
 * Results are bitwise the same for every thread count.
 * Returns MG_OK when every fit succeeded; MG_EINVAL (count 0, NULL arrays,
 * unusable views, bad options, an output overlapping any other view), MG_EDIM
 * (fits of different shapes), MG_ENOMEM before any fit is solved (nothing
 * written); otherwise the status of the first fit that failed. */
MG_API mg_status mg_lstsq_batch(size_t count, const mg_matrix *X, const mg_matrix *Y,
                                mg_matrix *B, const mg_lstsq_options *opt, double *residual_sd,
                                double *r_squared, mg_status *status);

/* Repeated fits of one shape, one at a time, without per-call set-up: a
 * workspace for N x p designs (intercept as in opt) and k outputs.
 *   mg_lstsq_workspace_create: N >= 1, p + intercept >= 1, k >= 1, opt as
 *     mg_lstsq's (NULL: mg_lstsq_defaults()) without weights (MG_EINVAL:
 *     a weighted fit runs on the fit engine, which has no per-call
 *     workspace to keep); the options are copied.  MG_ENOMEM, MG_EINVAL.
 *   mg_lstsq_workspace_fit: exactly mg_lstsq(X, Y, B, opt, res) with the
 *     workspace's options, bitwise the same results and statuses; X must be
 *     N x p, Y N x k (MG_EDIM otherwise).  Fits small enough for mg_lstsq's
 *     small path (N p^2 <= 1e4 with the intercept column, unweighted QR or
 *     auto, at most 64 columns) then allocate nothing and check the views
 *     once; bigger or harder ones run mg_lstsq itself.  One workspace serves
 *     one thread at a time.
 *   mg_lstsq_workspace_free: NULL is a no-op. */
typedef struct mg_lstsq_workspace mg_lstsq_workspace;
MG_API mg_status mg_lstsq_workspace_create(size_t N, size_t p, size_t k,
                                           const mg_lstsq_options *opt,
                                           mg_lstsq_workspace **out);
MG_API mg_status mg_lstsq_workspace_fit(mg_lstsq_workspace *ws, const mg_matrix *X,
                                        const mg_matrix *Y, mg_matrix *B, mg_lstsq_result *res);
MG_API void mg_lstsq_workspace_free(mg_lstsq_workspace *ws);

#ifdef __cplusplus
}
#endif

#endif /* MATGRAD_LSTSQ_H */
