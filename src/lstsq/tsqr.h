/* SPDX-License-Identifier: BSD-3-Clause */
/* Private ABI between libmatgrad and libmatgrad_mpi of the same version
 * (docs/architecture.md, "Private ABI"; never installed).
 *
 * mg_mpi_lstsq reaches mg_lstsq's accuracy ceiling where the fit engine
 * declines (NIST Filip) with a distributed Householder QR that keeps Q
 * (TSQR on the MPI layer's fixed tree) and Bjorck's refinement of the
 * augmented system (docs/mpi.md, "Householder QR with Q on ranks").  The
 * numerics stay in the core library, next to the single-process solver
 * they share code with: the refinement loop (one loop for both, driven by
 * the operations below), the leaf and node factors with their Q^T / Q
 * applications, and the double-double residual sums of one rank's rows.
 * The MPI layer does the messaging only.  Exposing these block kernels in
 * the public headers would freeze an interface no application needs, so
 * they are exported from libmatgrad.so with default visibility
 * (MG__PRIVATE_ABI) but declared only here; libmatgrad_mpi includes this
 * header by relative path.  Each declaration starts its line with
 * MG__PRIVATE_ABI and names the function before the first "(" on that
 * line, as the public headers do with MG_API (the form the exported-symbol
 * check reads).  The header is self-contained: public headers
 * only, so the MPI layer needs no include path into src/. */
#ifndef MATGRAD_LSTSQ_TSQR_H
#define MATGRAD_LSTSQ_TSQR_H

#include "matgrad/core.h"

#include <stddef.h>

#if defined(__GNUC__)
#define MG__PRIVATE_ABI __attribute__((visibility("default")))
#define MG__TSQR_MUST_USE __attribute__((warn_unused_result))
#else
#define MG__PRIVATE_ABI
#define MG__TSQR_MUST_USE
#endif

/* ------------------------------------------------------------------ */
/* The refinement loop (lstsq_refine.c), shared by mg_lstsq and the MPI
 * fit.  Every vector of length p (x, dx, g, bt) must be bitwise the same
 * wherever the loop runs (on every rank), so that every copy takes the
 * same decisions; vectors of length n (y, r, f, dr, resid) are local. */
typedef struct mg__refine_ops {
    size_t n;          /* local rows: the length of r, f, dr, resid */
    size_t p;          /* coefficients */
    int full;          /* 1: rank == p (Bjorck's iteration on both blocks) */
    size_t max_refine;
    double rho;        /* a-priori contraction bound per step (INFINITY: none) */
    /* f = y - r - Zd (D x) (r == NULL: 0) in double-double, rounded; bt
     * gets D x; when g != NULL, g = c - D Zd^T r over every row (c == NULL:
     * 0), double-double, rounded once. */
    mg_status (*residuals)(void *ctx, const double *y, size_t ys, const double *c,
                           const double *x, const double *r, double *f, double *g, double *bt);
    /* [I Z; Z^T 0] [dr; dx] = [f; g] (g == NULL: 0) with the factors. */
    mg_status (*solve)(void *ctx, const double *f, const double *g, double *dr, double *dx);
    /* res -= Zd (D x - bt) (mg__lsq_resid_update); delta: p doubles. */
    void (*resid_update)(void *ctx, const double *x, const double *bt, double *res,
                         double *delta);
    void *ctx;
} mg__refine_ops;

/* Scratch doubles of mg__lsq_refine_ops: f, dr, a zero y (n each), g, dx,
 * bt (p each). */
#define MG__REFINE_OPS_SCRATCH(n, p) (3 * (n) + 3 * (p))

/* Bjorck's refinement of one right-hand side with the operations of ops:
 * mg__lsq_refine's contract (lstsq_internal.h), y (n entries, stride ys;
 * NULL: zero), c (p, NULL: 0), x (p) and r (n) outputs, resid (n or
 * NULL).  MG_ENOCONV when a full-rank refinement did not reach rounding
 * level; else the first failing operation's status. */
MG__PRIVATE_ABI MG__TSQR_MUST_USE mg_status mg__lsq_refine_ops(
    const mg__refine_ops *ops, const double *y, size_t ys, const double *c, double *x, double *r,
    double *scratch, size_t *steps, double *delta, double *resid);

/* Refines v_j = [(Z^T Z)^-1]_jj, j < p, through ops (full rank): column j
 * of the inverse is the x of the augmented system with y = 0, c = -e_j
 * (lstsq_stats.c).  scale, scale_lo: D's two factors.  An unproven or
 * non-finite refined value keeps v_j.  The scratch is the caller's
 * (MG__COV_REFINE_SCRATCH(n, p) doubles), so that no rank can fail an
 * allocation alone between two messages.  An operation's status. */
#define MG__COV_REFINE_SCRATCH(n, p) (MG__REFINE_OPS_SCRATCH(n, p) + 2 * (p) + (n))
MG__PRIVATE_ABI MG__TSQR_MUST_USE mg_status mg__lsq_cov_refine_ops(
    const mg__refine_ops *ops, const double *scale, const double *scale_lo, double *v,
    double *scratch);

/* The a-priori contraction bound of a full-rank factor with the 1-norm
 * condition estimate rcond (lstsq_refine.c): 8 (p + 1) p eps / rcond. */
MG__PRIVATE_ABI MG__TSQR_MUST_USE double mg__lsq_rho(size_t p, double rcond);

/* ------------------------------------------------------------------ */
/* Equilibration (lstsq_qr.c): mx holds max_i |Zd_ij| of every row (over
 * every rank: reduce by maximum first); gives D_jj = scale_j scale_lo_j,
 * the powers of two one process computes (mg__lsq_scales).  mx and scale
 * may be the same array. */
MG__PRIVATE_ABI void mg__lsq_scales_rule(const double *mx, size_t p, double *scale,
                                         double *scale_lo);

/* ------------------------------------------------------------------ */
/* One rank's part of the distributed QR (tsqr.c).  The rank's rows Zd_r
 * (X: n x (p - intercept), NULL when n == 0 or p == intercept) are
 * factored Zd_r D = Q_r R_r (R_r padded to p x p with zero rows when
 * n < p), then at each node of the tree the rank owns, [R; R_child] =
 * Q_node [R_new; 0] (dtpqrt, triangle on triangle). */
typedef struct mg__tsqr {
    const mg_matrix *X;     /* the rows, or `empty` (no columns to read) */
    mg_matrix empty;
    double none;            /* empty's data pointer */
    int intercept;
    size_t n, p, kmin;      /* rows, coefficients, min(n, p) */
    double *scale, *scale_lo;
    double *F, *tau;        /* leaf: Householder factor (n x p, column-major), kmin taus */
    double *R;              /* p x p column-major: this rank's subtree's R */
    size_t nodes, used, nb; /* node slots, nodes factored, dtpqrt block size */
    double *V, *T;          /* node i: V + i p^2 (p x p), T + i nb p (nb x p) */
    double *work;           /* LAPACK workspace (lwork doubles) */
    size_t lwork;
    void *iwork;            /* p lapack_int (dtrcon) */
    double *w;              /* n + 3 p doubles: a copy of f, leaf and solve vectors */
    double *acc;            /* 2 p: the kernel's double-double accumulators */
} mg__tsqr;

/* Local column maxima max_i |Zd_ij| of this rank's rows into mx (p; the
 * intercept's is 1, a rank without rows gives 0).  Returns 0 when X holds
 * a NaN or an Inf. */
MG__PRIVATE_ABI MG__TSQR_MUST_USE int mg__tsqr_colmax(const mg_matrix *X, int intercept,
                                                      size_t n, size_t p, double *mx);

/* Allocates t for this rank's rows and `nodes` tree nodes, D from the
 * global maxima mx (p).  MG_ENOMEM; t is then safe to free. */
MG__PRIVATE_ABI MG__TSQR_MUST_USE mg_status mg__tsqr_create(mg__tsqr *t, const mg_matrix *X,
                                                            int intercept, size_t n, size_t p,
                                                            size_t nodes, const double *mx);
MG__PRIVATE_ABI void mg__tsqr_free(mg__tsqr *t);

/* Zd_r D = Q_r R_r; t->R gets R_r (padded). */
MG__PRIVATE_ABI MG__TSQR_MUST_USE mg_status mg__tsqr_leaf(mg__tsqr *t);

/* The next node: [t->R; Rb] = Q [R; 0], t->R gets R; Rb (p x p,
 * column-major, upper triangle read) is overwritten by the reflectors'
 * copy kept in the node. */
MG__PRIVATE_ABI MG__TSQR_MUST_USE mg_status mg__tsqr_node(mg__tsqr *t, const double *Rb);

/* rcond = 1 / (||R||_1 ||R^-1||_1) (estimate) of t->R. */
MG__PRIVATE_ABI MG__TSQR_MUST_USE mg_status mg__tsqr_rcond(mg__tsqr *t, double *rcond);

/* top (p) = the first p entries of Q_r^T [f; 0] (f: n entries). */
MG__PRIVATE_ABI MG__TSQR_MUST_USE mg_status mg__tsqr_leaf_qt(mg__tsqr *t, const double *f,
                                                             double *top);
/* dr = f + Q_r [u; 0] restricted to the rank's n rows (u: p entries). */
MG__PRIVATE_ABI MG__TSQR_MUST_USE mg_status mg__tsqr_leaf_q(mg__tsqr *t, const double *f,
                                                            const double *u, double *dr);
/* Node i: [ca; cb] := Q_i^T [ca; cb] (p each; cb is then discarded). */
MG__PRIVATE_ABI MG__TSQR_MUST_USE mg_status mg__tsqr_node_qt(mg__tsqr *t, size_t i, double *ca,
                                                             double *cb);
/* Node i: [ua; ub] := Q_i [ua; 0] (ub: output). */
MG__PRIVATE_ABI MG__TSQR_MUST_USE mg_status mg__tsqr_node_q(mg__tsqr *t, size_t i, double *ua,
                                                            double *ub);
/* With the whole R (rank 0): d1 = R^-T g (g == NULL: 0), dx = R^-1 (f1 -
 * d1), v = d1 - f1 (the top of Q^T dr - Q^T f). */
MG__PRIVATE_ABI void mg__tsqr_root_solve(const mg__tsqr *t, const double *f1, const double *g,
                                         double *dx, double *v);

/* The rank's share of the residuals: f = y - r - Zd_r (D x) (r NULL: 0),
 * bt = D x, and when hilo != NULL the double-double partial sums
 * hilo = (hi, lo) (2 p) of -scale .* Zd_r^T r (the representable factor
 * of D; scale_lo enters at mg__tsqr_g). */
MG__PRIVATE_ABI void mg__tsqr_residuals(mg__tsqr *t, const double *y, size_t ys, const double *x,
                                        const double *r, double *f, double *bt, double *hilo);
/* (hi, lo) += (hi2, lo2), p pairs: the merge of two ranks' partial sums. */
MG__PRIVATE_ABI void mg__tsqr_dd_add(double *hilo, const double *hilo2, size_t p);
/* g = c - D sum Zd^T r from the merged sums (c NULL: 0), rounded once. */
MG__PRIVATE_ABI void mg__tsqr_g(const mg__tsqr *t, const double *c, const double *hilo,
                                double *g);
/* res -= Zd_r (D x - bt), delta: p doubles. */
MG__PRIVATE_ABI void mg__tsqr_resid_update(mg__tsqr *t, const double *x, const double *bt,
                                           double *res, double *delta);

/* Statistics of the distributed fit (tsqr.c). */
/* v_j = ||row j of R^-1||^2: the unrefined diagonal of (Z^T Z)^-1. */
MG__PRIVATE_ABI void mg__tsqr_cov_diag(mg__tsqr *t, double *v);
/* 1 if the variances are refined (mg_lstsq's rule: N p^2 small enough,
 * rcond below MG__LSQ_COV_FACTOR_RCOND). */
MG__PRIVATE_ABI MG__TSQR_MUST_USE int mg__tsqr_cov_needs_refining(size_t N, size_t p,
                                                                  double rcond);
/* sum_i v_i and sum_i (v_i - shift)^2 over n entries (stride vs), long
 * double (the kernels of xdot.h). */
MG__PRIVATE_ABI MG__TSQR_MUST_USE long double mg__tsqr_sum(const double *v, size_t n, size_t vs);
MG__PRIVATE_ABI MG__TSQR_MUST_USE long double mg__tsqr_sumsq(const double *v, size_t n,
                                                             size_t vs, double shift);
/* sd, R^2, adjusted R^2 of one output (mg__fit_summary). */
MG__PRIVATE_ABI void mg__tsqr_summary(long double rss, long double tss, size_t df, size_t dft,
                                      double *sd, double *r2, double *ar2);

#endif /* MATGRAD_LSTSQ_TSQR_H */
