/* SPDX-License-Identifier: BSD-3-Clause */
/* matgrad fit: the one engine behind every regression (accumulate, merge,
 * finish, refine, save/load).
 *
 * A fit state summarises the rows seen so far of a weighted linear model
 *     Y (N x k) ~ Z B,  Z = [1 X] with the intercept option, X otherwise,
 * in O((p + k)^2) memory, whatever N is:
 *   1. accumulate: fold row blocks of [X Y] (with optional weights w_i >= 0)
 *      into the state;
 *   2. merge: the states of two disjoint row sets give the state of their
 *      union (threads, chunks of a stream, processes: all the same);
 *   3. finish: coefficients, rank, condition estimate and the statistics of
 *      mg_lstsq_result (lstsq.h) from the state alone;
 *   4. refine (optional): where the caller can replay the rows, passes that
 *      accumulate residual sums in double-double lift B to the exact
 *      least-squares answer of the double data (rounded);
 *   5. save/load: a versioned, little-endian byte image of the state;
 *   6. infer (matgrad/infer.h): every regression statistic with R's
 *      conventions.
 * Besides the sums, a state keeps sum log w_i over the rows of nonzero
 * weight (R's logLik of a weighted fit) and each column of X's smallest and
 * largest value over those rows (a constant column puts TSS about the
 * mean); both merge exactly (a sum, a min and a max).
 *
 * Two kinds behind the same calls (docs/derivations.md, "One model of a fit"):
 *   MG_FIT_QR    the upper-triangular factor R of the weighted augmented
 *                matrix W^(1/2) [1 X Y] (q x q, q = intercept + p + k),
 *                updated by Householder reflections (the triangle on top
 *                of a block of rows; two states merge by folding a triangle
 *                on a triangle).  The empty state's R is zero, so the first
 *                block needs no dgeqrt of its own: one code path, and a
 *                state is the same object whether it holds 0 or N rows.
 *                Backward stable in one pass: B has relative error about
 *                kappa(Z) eps (+ kappa(Z)^2 eps ||r|| / (||Z|| ||B||)) before
 *                refinement, RSS and TSS come from R's trailing columns.
 *   MG_FIT_GRAM  weighted count, means and centred co-moments of [X Y] with
 *                the intercept (pairwise Chan-Golub-LeVeque merges: exact
 *                algebra, no cancellation for a column mean of 1e6), raw
 *                moments X^T W X, X^T W Y, Y^T W Y without.  About half the
 *                flops of QR; the solve squares the condition number, so B
 *                has relative error about kappa(Z)^2 eps before refinement.
 *                Supports a ridge penalty.
 *
 * Determinism: a given sequence of accumulate and merge calls gives bitwise
 * the same state and results, run to run; the order of merges is the
 * caller's (merge is not commutative bitwise, only mathematically).
 *
 * Memory: every buffer (state, scratch, factorisation, refinement and
 * mg_fit_infer's workspace) is allocated by mg_fit_create; no other call
 * allocates, so a state reset with mg_fit_reset is a reusable workspace.
 * Distinct states share nothing (one per thread, then merge); one state is
 * not safe to use from two threads at once (finish and infer write its
 * scratch too).
 *
 * Errors: every function returns MG_EINVAL for a NULL state or a NULL /
 * unusable view, and leaves the state's sums, its refinement and its
 * outputs untouched on any error (only cached scratch may change).
 */
#ifndef MATGRAD_FIT_H
#define MATGRAD_FIT_H

#include "core.h"
#include "lstsq.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The range a state holds: each column's largest weighted magnitude
 * max |v_ij| sqrt(w_i) must be 0 or within 2^-MG_FIT_RANGE .. 2^MG_FIT_RANGE
 * (about 3e-145 .. 3e144); finish and refine return MG_ERANGE otherwise. */
#define MG_FIT_RANGE 480

typedef enum mg_fit_kind {
    MG_FIT_QR = 0,   /* triangular factor of W^(1/2) [1 X Y]: accurate in one pass */
    MG_FIT_GRAM      /* moment sums, normal equations: fast, ridge */
} mg_fit_kind;

typedef struct mg_fit_options {
    mg_fit_kind kind;   /* MG_FIT_QR by default */
    int intercept;      /* nonzero: an implicit leading column of ones; B gets a
                           first row (the intercept).  TSS (R^2, adjusted R^2,
                           and mg_fit_infer's F) is taken about the weighted
                           mean with it, and also without it when a column of X
                           has one nonzero value on every row of nonzero weight
                           (an intercept in all but name: the state keeps each
                           column's range to tell); about zero otherwise */
    double ridge;       /* GRAM only: minimises ||W^(1/2)(Y - Z B)||^2 + ridge ||B_x||^2
                           (the intercept is not penalised); >= 0, finite; QR
                           requires 0 (MG_EINVAL otherwise) */
    double rank_tol;    /* QR: columns of the pivoted QR of the equilibrated R with
                           |R_ii| <= rank_tol |R_11| are dropped (minimum-norm B);
                           0 = default, max(n, m) eps (n rows with nonzero weight,
                           m = intercept + p), as mg_lstsq; in [0, 1) */
    int exact;          /* nonzero: the state also keeps the sums [Z Y]^T W [Z Y] in
                           double-double (2 q^2 more doubles, about 10x the
                           flops of GRAM's dsyrk per row, no BLAS).  They hold
                           everything a refinement step needs (Z^T W R =
                           Z^T W Y - (Z^T W Z) B), so mg_fit_finish refines B
                           in memory to the exact solution, with no replay of
                           the rows: the accurate answer for a stream that
                           cannot be re-read.  Finish then returns MG_ENOCONV
                           where refinement cannot converge (see below). */
} mg_fit_options;

/* QR, no intercept, ridge 0, rank_tol 0 (default), exact 0. */
MG_API mg_fit_options mg_fit_defaults(void);

typedef struct mg_fit mg_fit;

/* A state for p columns of X (p = 0 allowed with the intercept: a mean
 * model) and k >= 1 outputs; opt == NULL means mg_fit_defaults().  *out is
 * set only on success.  MG_EINVAL: out NULL, k == 0, intercept + p == 0,
 * bad options; MG_ENOMEM: allocation, or sizes beyond the LAPACK integer
 * range. */
MG_API mg_status mg_fit_create(size_t p, size_t k, const mg_fit_options *opt, mg_fit **out);

/* Releases a state (NULL is a no-op). */
MG_API void mg_fit_free(mg_fit *fit);

/* Empties the state (no rows, no refinement), keeping its memory. */
MG_API mg_status mg_fit_reset(mg_fit *fit);

/* Shape and options of a state; any pointer may be NULL. */
MG_API mg_status mg_fit_shape(const mg_fit *fit, size_t *p, size_t *k, mg_fit_options *opt);

/* Rows accumulated so far: all rows, and those with nonzero weight (the n
 * of the degrees of freedom, as R's lm(weights=)); either may be NULL. */
MG_API mg_status mg_fit_rows(const mg_fit *fit, size_t *rows, size_t *nonzero);

/* Folds N rows in: X is N x p (may be NULL when p == 0), Y is N x k, w is
 * N x 1 weights (finite, >= 0) or NULL (all 1).  A zero weight drops the
 * row from the fit and from the degrees of freedom.  MG_EDIM for shapes,
 * MG_ENONFINITE for NaN/Inf in X, Y or w, MG_ERANGE for finite values
 * whose GRAM moment sums overflow (see MG_FIT_RANGE), MG_EINVAL for a
 * negative weight.  Ends any refinement in progress and
 * forgets a refined solution. */
MG_API mg_status mg_fit_accumulate(mg_fit *fit, const mg_matrix *X, const mg_matrix *Y,
                                   const mg_matrix *w);

/* dst <- the state of the union of dst's and src's rows (disjoint rows).
 * src is unchanged.  MG_EDIM when p or k differ, MG_EINVAL when the
 * options differ or dst == src.  Ends dst's refinement, if any. */
MG_API mg_status mg_fit_merge(mg_fit *dst, const mg_fit *src);

/* Coefficients B ((intercept + p) x k) and, if res != NULL, the fields of
 * mg_lstsq_result (res->method: MG_LSTSQ_QR for a full-rank QR state,
 * MG_LSTSQ_SVD for a rank-deficient one, MG_LSTSQ_CHOLESKY for GRAM).
 * res->rcond: QR, the 1-norm estimate (dtrcon) of the pivoted R of the
 * equilibrated R_Z (0 when rank-deficient); GRAM, the square root of
 * dpocon's estimate for the equilibrated (centred, with the intercept)
 * X^T W X.  res->refine_steps: refine_end calls since the sums changed.
 * After a refinement (mg_fit_refine_end) B is the refined solution and
 * RSS, residual_sd, R^2 come from the replayed residuals; otherwise from
 * the state: QR's RSS is accurate to working precision, GRAM's
 * (Y^T W Y - 2 B^T X^T W Y + B^T X^T W X B) loses digits to cancellation
 * when R^2 is near 1, so refine when statistics matter.
 * With the exact option, finish itself refines B from the double-double
 * sums (refine_steps counts those in-memory steps) and takes RSS from them
 * (Y^T W Y - 2 B^T Z^T W Y + B^T Z^T W Z B in double-double: 106 bits
 * absorb the cancellation); it returns MG_ENOCONV where the refinement
 * cannot converge (the same limit as the replayed refinement below).
 * Standard errors: residual_sd * sqrt(diag((Z^T W Z)^+)) from the factor
 * (relative error about kappa(Z) eps for QR, kappa(Z)^2 eps for GRAM;
 * with the exact option refined from the double-double sums to a few eps;
 * NaN with a ridge, where they are not defined).  df_residual = n - rank,
 * n = rows with nonzero weight; undefined statistics are NaN.
 * Errors: MG_EINVAL with no rows of nonzero weight; MG_EDIM for shapes;
 * MG_ENOTPD for a GRAM state whose (equilibrated, centred) Gram matrix is
 * not positive definite or so ill-conditioned (rcond < 32 (m + 1) eps)
 * that refinement would not converge; MG_ENOCONV if the SVD of a
 * rank-deficient QR state fails; MG_ENONFINITE if B overflows or the sums
 * are not finite; MG_EINVAL for outputs (B, std_err, residual_sd,
 * r_squared, adj_r_squared) that overlap each other; MG_ERANGE when a
 * column of X or Y has its largest weighted magnitude max |v_ij| sqrt(w_i)
 * outside [2^-480, 2^480] (about 1e-144 .. 1e144), or the weight sum is:
 * there the state's sums of squares would under- or overflow and the
 * answer would be wrong (a zero column is fine).  Refinement refuses the
 * same way (mg_fit_refine_begin). */
MG_API mg_status mg_fit_finish(mg_fit *fit, mg_matrix *B, mg_lstsq_result *res);

/* Refinement by corrected semi-normal equations (Bjorck), one step per
 * replay of the rows:
 *     mg_fit_refine_begin(fit, B)            B: the current estimate
 *     mg_fit_refine_accumulate(fit, X, Y, w) every row again, any blocking
 *     mg_fit_refine_end(fit, B, &converged)  B <- B + dB, (Z^T W Z) dB = Z^T W (Y - Z B)
 * The residuals R = Y - Z B and the sums Z^T W R and sum w r^2 are formed
 * in double-double, so the fixed point is the exact least-squares solution
 * of the double data; each step shrinks the error by about
 * rho = c (m + 1) kappa(Z)^2 eps (both kinds: only R or the Cholesky factor
 * is kept, not Q, so this is not Bjorck's augmented-system refinement,
 * whose rate is kappa(Z) eps).  refine_end therefore refuses (MG_ENOCONV)
 * when the factor's rcond^2 < 32 (m + 1) eps, i.e. above kappa(Z) ~ 4e6 at
 * m = 7 or 1.5e6 at m = 65: there a correction can be small by accident,
 * and "converged" would be a guess.  (A GRAM state refuses the same designs
 * earlier, in finish, with MG_ENOTPD.)
 * A replay may be split among several states (threads, processes): give
 * each a refine_begin with the same B, then mg_fit_refine_merge them into
 * the state that holds all the rows before refine_end.
 * refine_end checks that the replay saw exactly the accumulated rows
 * (MG_EDIM otherwise) and sets *converged (may be NULL) to 1 when the
 * correction was at rounding level (B is then the exact solution rounded,
 * to a few ulps), 0 when another step is worthwhile.  It returns
 * MG_ENOCONV, leaving B and the state's solution unchanged, when the
 * correction did not shrink (refinement diverges or stalls above rounding
 * level: kappa(Z) too large for the data's accuracy ceiling).  On MG_OK
 * the state keeps B and the replayed RSS as its solution for
 * mg_fit_finish. */
MG_API mg_status mg_fit_refine_begin(mg_fit *fit, const mg_matrix *B);
MG_API mg_status mg_fit_refine_accumulate(mg_fit *fit, const mg_matrix *X, const mg_matrix *Y,
                                          const mg_matrix *w);
MG_API mg_status mg_fit_refine_merge(mg_fit *dst, const mg_fit *src);
MG_API mg_status mg_fit_refine_end(mg_fit *fit, mg_matrix *B, int *converged);

/* Serialization: the state's sums and counts, and the refinement sums when
 * a refinement is in progress (so that a replay split among processes can
 * be gathered), not a refined solution.  Format version 2: magic
 * "MGFIT\0\r\n", then unsigned integers as 8-byte little-endian and doubles
 * as the little-endian bytes of their IEEE 754 binary64 encoding, then a
 * 64-bit FNV-1a checksum of everything before it (the layout is in
 * src/fit/serialize.c).  Version 2 adds, at the end, sum log w_i and the
 * ranges of X.  mg_fit_save writes version 2; mg_fit_load reads both.  A
 * version-1 image has no record of them, so its state has them unknown:
 * mg_fit_infer's logLik, AIC and BIC are NaN (the weights' logs cannot be
 * recovered from their sum: an unweighted image is not told apart from a
 * weighted one), and TSS is about the mean only with the intercept option
 * (version 1's rule); everything else is as saved.  Unknown stays unknown
 * through merges and version-2 saves, until mg_fit_reset.
 *   mg_fit_save_size: the bytes mg_fit_save will write.
 *   mg_fit_save: writes *len bytes into buf (MG_EINVAL when cap is too small).
 *   mg_fit_peek: reads shape and options from an image (to create a state
 *     that can load it).
 *   mg_fit_load: replaces the state by the image; MG_EPARSE for a wrong
 *     magic, version, length or checksum (or a column range with min > max), MG_EDIM / MG_EINVAL when the
 *     image's shape / options differ from the state's, MG_ENONFINITE for
 *     non-finite sums.  Never reads beyond len. */
MG_API mg_status mg_fit_save_size(const mg_fit *fit, size_t *size);
MG_API mg_status mg_fit_save(const mg_fit *fit, void *buf, size_t cap, size_t *len);
MG_API mg_status mg_fit_peek(const void *buf, size_t len, size_t *p, size_t *k,
                             mg_fit_options *opt);
MG_API mg_status mg_fit_load(mg_fit *fit, const void *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* MATGRAD_FIT_H */
