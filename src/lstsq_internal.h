/* Private: the pieces of mg_lstsq shared by its source files.
 *
 * Every solver works on the equilibrated design Z = Zd D, where Zd is the
 * design (X with the implicit column of ones) and D = diag(scale) holds exact
 * powers of two, so Z and Zd carry the same information and b = D x maps
 * the scaled solution x back without rounding. */
#ifndef MATGRAD_LSTSQ_INTERNAL_H
#define MATGRAD_LSTSQ_INTERNAL_H

#include "matgrad/lstsq.h"
#include "kernels/xdot.h"

#include <stddef.h>

typedef enum mg__lsq_kind { MG__LSQ_QR, MG__LSQ_SVD, MG__LSQ_CHOL } mg__lsq_kind;

/* Problem and factorisation. */
typedef struct mg__lsq {
    mg__design d;           /* the design Zd: X, intercept, N, p */
    size_t m;               /* min(N, p) */
    double *scale;          /* p powers of two (all 1 when unscaled) */
    double rank_tol;        /* relative rank tolerance (resolved default) */
    size_t max_refine;

    mg__lsq_kind kind;
    size_t rank;
    double rcond;
    /* QR: Householder factor of Z P (N x p, column-major), tau (m), perm
     *     (p, 0-based: column i of Z P is column perm[i] of Z); P = I and
     *     dgeqrt's block factors in T when the rank was proven full
     *     without pivoting.
     * SVD: U (N x m, column-major) in F, s (m), Vt (m x p, column-major).
     * CHOL: U (p x p, row-major upper) in F, U^T U = Z^T Z. */
    double *F, *tau, *s, *Vt;
    double *T;              /* QR without pivoting: dgeqrt's block factors (nb x p) */
    size_t nb;
    int *perm;
    double *work;           /* solver scratch: N + 3 p + MG__LSQ_QWORK doubles */
} mg__lsq;

/* Workspace of LAPACK's dormqr / dgemqrt for one right-hand side: dormqr
 * needs NB + 65 * 64 at block size NB <= 64 (the T factor of one block),
 * dgemqrt nb <= 32. */
#define MG__LSQ_QWORK (64 + 65 * 64)

/* Column scales: exact powers of two near 1 / ||column j of Zd||_2
 * (1 for a zero column).  scale has p entries. */
void mg__lsq_scales(const mg__design *d, double *scale);

/* Z = Zd diag(scale) (or Zd when scale == NULL) into a column-major N x p
 * buffer. */
void mg__lsq_copy_design(const mg__design *d, const double *scale, double *Z);

/* Householder QR with column pivoting of the scaled design; sets rank,
 * rcond, F, tau, perm.  MG_ENOMEM on allocation failure. */
mg_status mg__lsq_qr(mg__lsq *q);

/* SVD of Zd diag(scale) (scale may be all ones); keeps rank_hint singular
 * values when rank_hint > 0, else counts them with rank_tol. */
mg_status mg__lsq_svd(mg__lsq *q, size_t rank_hint);

/* Cholesky path: one pass forms Zd^T Zd and C = Zd^T Y (p x k, row-major),
 * chooses the scales from the Gram diagonal, then U^T U = Z^T Z and
 * C <- D C.  Sets F (U, p x p row-major upper), rcond (of Z, from Z^T Z),
 * rank = p.  MG_ENOTPD when Z^T Z is not numerically positive definite,
 * MG_ENONFINITE when NaN/Inf (or overflow) poisons the sums. */
mg_status mg__lsq_chol(mg__lsq *q, const mg_matrix *Y, double *C);

/* One correction of the augmented system [I Z; Z^T 0] [dr; dx] = [f; g]
 * with the factors of q (QR, SVD).  Uses q->work. */
void mg__lsq_solve_aug(const mg__lsq *q, const double *f, const double *g, double *dr,
                       double *dx);

/* Refinement of one right-hand side (Bjorck): solves min ||y - Z x|| with
 * the extra term Z^T r = c (c == NULL: 0), y of N entries with stride ys
 * (y == NULL: zero).  x (p, scaled coordinates) and r (N) are outputs.
 * Returns the number of refinement steps; *delta gets the last relative
 * correction.  scratch: 3 N + 6 p doubles. */
size_t mg__lsq_refine(const mg__lsq *q, const double *y, size_t ys, const double *c,
                      double *x, double *r, double *scratch, double *delta);

/* Cholesky path with corrected semi-normal equations for all k outputs:
 * X (p x k, scaled coordinates, row-major) and, per output, rss.  Returns
 * MG_ENOCONV when the refinement did not converge (Xs, rss still set). */
mg_status mg__lsq_chol_solve(const mg__lsq *q, const mg_matrix *Y, const double *C, double *Xs,
                             long double *rss, size_t *steps);

/* The Gram pass: G (p x p, upper triangle, row-major) = Zd^T Zd and
 * C (p x k, row-major) = Zd^T Y, reading X once.  MG_ENONFINITE when NaN/Inf
 * (or overflow) poisons them. */
mg_status mg__lsq_gram_pass(const mg__design *d, const mg_matrix *Y, double *G, double *C);

/* The residual pass: F = Y - Zd Bt^T (double-double, Bt k x p), then
 * Gc (p x k) = D Zd^T F and rss_c = ||F_c||^2, reading X once. */
mg_status mg__lsq_resid_pass(const mg__design *d, const double *scale, const mg_matrix *Y,
                             const double *Bt, double *Gc, long double *rss);

/* Unscaled diagonal of (Z^T Z)^+ from the factors: v (p). */
mg_status mg__lsq_cov_diag(const mg__lsq *q, double *v);

/* Refines v_j = [(Z^T Z)^-1]_jj for a full-rank QR factorisation. */
mg_status mg__lsq_cov_refine(const mg__lsq *q, double *v);

/* Relative size of a correction: max_i |dx_i| / max(|x_i|, eps ||x||). */
double mg__lsq_rel_change(const double *dx, const double *x, size_t n);

#endif /* MATGRAD_LSTSQ_INTERNAL_H */
