/* SPDX-License-Identifier: BSD-3-Clause */
/* matgrad window: least squares over the last W rows of a stream.
 *
 * A window holds the most recent W rows (x_i, y_i) pushed into it (fewer
 * until W have arrived) and gives, after every push, the least-squares
 * coefficients of that window,
 *     B = argmin ||Y_w - Z_w B||_F,  Z_w = [1 X_w] with the intercept, X_w otherwise,
 * together with each output's residual sd and R^2, without refitting the
 * window and without ever subtracting a row.
 *
 * Method (docs/accuracy.md, "Sliding windows"): the triangular factor R of
 * the window's augmented rows [z_i y_i] is the merge of two triangles
 * (fit.h's QR kind, folded with the engine's Householder code):
 *   - a suffix triangle of the older part of the window: when the older
 *     part runs out, the rows then in the window are re-folded from their
 *     stored copies, last to first, keeping the triangle of every suffix
 *     (W - 1 row folds, once every W - 1 pushes: O(q^2) amortised);
 *   - a running triangle of the rows pushed since (one row fold per push).
 * A row that leaves the window simply stops being part of either triangle;
 * nothing is downdated, so each window's R is a backward-stable QR of
 * exactly the rows it holds (no error carried over from rows that left,
 * however large they were).  A push costs O(q^2), a coefficient query
 * O(q^3), q = intercept + p + k.
 *
 * Memory: every buffer (W stored rows and W suffix triangles, about
 * W (q + q^2) doubles) is allocated by mg_window_create; no other call
 * allocates.  One window is not safe to use from two threads at once.
 *
 * Errors: every function returns MG_EINVAL for a NULL window or a NULL /
 * unusable view; on any error the window and the outputs are untouched.
 */
#ifndef MATGRAD_WINDOW_H
#define MATGRAD_WINDOW_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mg_window_options {
    int intercept;   /* nonzero: an implicit leading column of ones; B gets a first
                        row (the intercept) and R^2 is about the window's mean
                        (about zero without it) */
} mg_window_options;

/* No intercept. */
MG_API mg_window_options mg_window_defaults(void);

typedef struct mg_window mg_window;

/* A window of W rows for p columns of X (p = 0 allowed with the
 * intercept) and k >= 1 outputs; opt == NULL means mg_window_defaults().
 * *out is set only on success.  MG_EINVAL: out NULL, k == 0,
 * intercept + p == 0, W < intercept + p (a full window could never
 * determine B); MG_ENOMEM: allocation, or sizes that overflow. */
MG_API mg_status mg_window_create(size_t p, size_t k, size_t W, const mg_window_options *opt,
                                  mg_window **out);

/* Releases a window (NULL is a no-op). */
MG_API void mg_window_free(mg_window *win);

/* Empties the window, keeping its memory. */
MG_API mg_status mg_window_reset(mg_window *win);

/* Rows in the window now (min(pushed, W)). */
MG_API mg_status mg_window_rows(const mg_window *win, size_t *rows);

/* Appends one row: x is 1 x p (may be NULL when p == 0), y is 1 x k; when
 * the window already holds W rows, its oldest row leaves.  MG_EDIM for
 * shapes, MG_ENONFINITE for NaN/Inf, MG_ERANGE for a value of magnitude
 * above 2^480 (about 3e144: the sums of squares inside the Householder
 * folds must not overflow).  On error the window is unchanged. */
MG_API mg_status mg_window_push(mg_window *win, const mg_matrix *x, const mg_matrix *y);

/* The least-squares coefficients of the rows in the window: B is
 * (intercept + p) x k; residual_sd and r_squared (k values each, either
 * may be NULL) get sqrt(RSS_c / (n - m)) (NaN when n == m) and
 * 1 - RSS_c / TSS_c (NaN when TSS_c == 0), n = rows, m = intercept + p.
 * *rcond (may be NULL) gets 1 / kappa_1 of the window's column-equilibrated
 * design (columns scaled to unit 2-norm), computed exactly from the
 * triangle (not an estimate).
 * Errors: MG_EINVAL with no rows, or outputs that overlap; MG_EDIM for B's
 * shape; MG_ESINGULAR when the window's design is rank-deficient to
 * working precision (fewer rows than m, a zero column, or
 * rcond <= max(n, m) eps, mg_lstsq's rank tolerance), where the
 * coefficients are not determined; MG_ENONFINITE if B overflows.
 * Accuracy: B is the exact least-squares solution of a window whose every
 * column is perturbed by a relative amount below about c W q eps
 * (docs/accuracy.md), so its error is about kappa eps (plus
 * kappa^2 eps ||r|| / (||Z|| ||B||)), kappa the condition number of the
 * column-equilibrated design: as one fresh Householder QR of the window. */
MG_API mg_status mg_window_coef(mg_window *win, mg_matrix *B, double *residual_sd,
                                double *r_squared, double *rcond);

#ifdef __cplusplus
}
#endif

#endif /* MATGRAD_WINDOW_H */
