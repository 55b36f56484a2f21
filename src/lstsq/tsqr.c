/* SPDX-License-Identifier: BSD-3-Clause */
/* lstsq: one rank's share of the distributed Householder QR with Q (TSQR)
 * and of the refinement residuals, for the MPI fit (tsqr.h; the messages
 * are in src/mpi/lstsq_q.c).
 *
 * With the rows split over ranks, Z = Zd D stacked from the blocks Z_r,
 *     Z_r = Q_r [R_r; 0]           (leaf: Householder QR of the block),
 *     [R_a; R_b] = Q_n [R_n; 0]     (node of the tree: triangle on triangle),
 * and Q = (leaves) (nodes) is never formed: Q^T f goes up the tree (the
 * top p entries of each block after its Q^T), Q [v; 0] comes down it.
 * The augmented correction [I Z; Z^T 0] [dr; dx] = [f; g] is then the
 * single-process one (lstsq_qr.c, solve_aug_qr, P = I):
 *     d1 = R^-T g,  dx = R^-1 (f1 - d1),  dr = f + Q [d1 - f1; 0],
 * f1 the top of Q^T f. */
#include "tsqr.h"
#include "lstsq_internal.h"
#include "fit/fit_internal.h"
#include "internal.h"

#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* dtpqrt's block size (the node's T is nb x p). */
enum { MG__TSQR_NB = 32 };

void mg__tsqr_free(mg__tsqr *t)
{
    free(t->scale); free(t->F); free(t->tau); free(t->R); free(t->V); free(t->T);
    free(t->work); free(t->iwork); free(t->w); free(t->acc);
    memset(t, 0, sizeof *t);
}

/* lwork for the leaf's dgeqrf (its query), dormqr with one right-hand
 * side (MG__LSQ_QWORK, as mg_lstsq's), dtpqrt (nb p), dtpmqrt (nb) and
 * dtrcon (3 p). */
static MG__MUST_USE mg_status workspace(mg__tsqr *t, size_t *lwork)
{
    double want = fmax((double)MG__LSQ_QWORK, (double)(t->nb * t->p));
    want = fmax(want, 3.0 * (double)t->p); /* dtrcon */
    if (t->n > 0) {
        double query = 0.0;
        /* workspace query: the optimal lwork of Zd_r D = Q_r R_r */
        MG__CHECK(mg__lapack_status(LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, (lapack_int)t->n,
                                                        (lapack_int)t->p, t->F, (lapack_int)t->n,
                                                        t->tau, &query, -1),
                                    MG_EINVAL));
        want = fmax(want, query);
    }
    if (!(want < (double)INT_MAX))
        return MG_ENOMEM;
    *lwork = (size_t)want;
    return MG_OK;
}

mg_status mg__tsqr_create(mg__tsqr *t, const mg_matrix *X, int intercept, size_t n, size_t p,
                          size_t nodes, const double *mx)
{
    memset(t, 0, sizeof *t);
    if (n > (size_t)INT_MAX || p > (size_t)INT_MAX)
        return MG_ENOMEM; /* LAPACK's dimensions are int */
    /* no rows, or no columns besides the intercept: nothing of X is read */
    t->empty = mg_matrix_view(&t->none, n, 0);
    t->X = (X && n > 0) ? X : &t->empty;
    t->intercept = intercept ? 1 : 0;
    t->n = n;
    t->p = p;
    t->kmin = n < p ? n : p;
    t->nodes = nodes;
    t->nb = p < MG__TSQR_NB ? p : MG__TSQR_NB;
    t->scale = mg__alloc_doubles(p, 2);
    t->F = mg__alloc_doubles(n, p);
    t->tau = mg__alloc_doubles(t->kmin, 1);
    t->R = mg__alloc_doubles(p, p);
    t->V = mg__alloc_doubles(nodes, p * p);
    t->T = mg__alloc_doubles(nodes, t->nb * p);
    t->iwork = malloc((p ? p : 1) * sizeof(lapack_int));
    t->w = mg__alloc_doubles(n + 3 * p, 1);
    t->acc = mg__alloc_doubles(p, 2);
    mg_status s = (t->scale && t->F && t->tau && t->R && t->V && t->T && t->iwork && t->w &&
                   t->acc)
                      ? MG_OK
                      : MG_ENOMEM;
    if (s == MG_OK)
        s = workspace(t, &t->lwork);
    if (s == MG_OK)
        s = (t->work = mg__alloc_doubles(t->lwork, 1)) ? MG_OK : MG_ENOMEM;
    if (s != MG_OK) {
        mg__tsqr_free(t);
        return s;
    }
    t->scale_lo = t->scale + p;
    mg__lsq_scales_rule(mx, p, t->scale, t->scale_lo);
    return MG_OK;
}

mg_status mg__tsqr_leaf(mg__tsqr *t)
{
    const size_t n = t->n, p = t->p;
    memset(t->R, 0, p * p * sizeof *t->R);
    if (n == 0)
        return MG_OK; /* no rows: R_r = 0, Q_r = I */
    const mg__design d = { t->X, t->intercept, n, p };
    mg__lsq_copy_design(&d, t->scale, t->scale_lo, t->F);
    /* Zd_r D = Q_r R_r   (Householder QR; R_r is kmin x p, trapezoidal when n < p) */
    MG__CHECK(mg__lapack_status(LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, (lapack_int)n,
                                                    (lapack_int)p, t->F, (lapack_int)n, t->tau,
                                                    t->work, (lapack_int)t->lwork),
                                MG_EINVAL));
    /* R_r padded to p x p with zero rows */
    for (size_t j = 0; j < p; j++)
        for (size_t i = 0; i <= j && i < t->kmin; i++)
            t->R[j * p + i] = t->F[j * n + i];
    return MG_OK;
}

mg_status mg__tsqr_node(mg__tsqr *t, const double *Rb)
{
    const size_t p = t->p, i = t->used;
    if (i >= t->nodes)
        return MG_EINVAL; /* more children than slots: a programming error */
    double *V = t->V + i * p * p, *T = t->T + i * t->nb * p;
    /* V: Rb's upper triangle (dtpqrt reads B as upper triangular, L = p) */
    memset(V, 0, p * p * sizeof *V);
    for (size_t j = 0; j < p; j++)
        memcpy(V + j * p, Rb + j * p, (j + 1) * sizeof *V);
    /* [R; Rb] = Q_n [R_new; 0]   (dtpqrt: triangle-pentagonal QR, V and T kept) */
    MG__CHECK(mg__lapack_status(
        LAPACKE_dtpqrt_work(LAPACK_COL_MAJOR, (lapack_int)p, (lapack_int)p, (lapack_int)p,
                            (lapack_int)t->nb, t->R, (lapack_int)p, V, (lapack_int)p, T,
                            (lapack_int)t->nb, t->work),
        MG_EINVAL));
    t->used++;
    return MG_OK;
}

mg_status mg__tsqr_rcond(mg__tsqr *t, double *rcond)
{
    /* rcond = 1 / (||R||_1 ||R^-1||_1)   (estimate; work: 3 p <= lwork) */
    return mg__lapack_status(LAPACKE_dtrcon_work(LAPACK_COL_MAJOR, '1', 'U', 'N',
                                                 (lapack_int)t->p, t->R, (lapack_int)t->p, rcond,
                                                 t->work, (lapack_int *)t->iwork),
                             MG_EINVAL);
}

/* w = Q_r w or Q_r^T w (trans 'N' or 'T'), w of n entries. */
static MG__MUST_USE mg_status leaf_apply(mg__tsqr *t, char trans, double *w)
{
    const lapack_int n = (lapack_int)t->n;
    /* w = Q_r w or Q_r^T w   (the leaf's Householder vectors and tau) */
    return mg__lapack_status(LAPACKE_dormqr_work(LAPACK_COL_MAJOR, 'L', trans, n, 1,
                                                 (lapack_int)t->kmin, t->F, n, t->tau, w, n,
                                                 t->work, (lapack_int)t->lwork),
                             MG_EINVAL);
}

mg_status mg__tsqr_leaf_qt(mg__tsqr *t, const double *f, double *top)
{
    memset(top, 0, t->p * sizeof *top);
    if (t->n == 0)
        return MG_OK;
    memcpy(t->w, f, t->n * sizeof *f);
    MG__CHECK(leaf_apply(t, 'T', t->w));
    memcpy(top, t->w, t->kmin * sizeof *top);
    return MG_OK;
}

mg_status mg__tsqr_leaf_q(mg__tsqr *t, const double *f, const double *u, double *dr)
{
    const size_t n = t->n;
    if (n == 0)
        return MG_OK;
    /* u's entries past kmin belong to the zero rows that pad R_r: rows of
     * a zero design and zero right-hand side, outside the rank's data */
    memcpy(t->w, u, t->kmin * sizeof *u);
    memset(t->w + t->kmin, 0, (n - t->kmin) * sizeof *t->w);
    MG__CHECK(leaf_apply(t, 'N', t->w));
    for (size_t i = 0; i < n; i++)
        dr[i] = f[i] + t->w[i];
    return MG_OK;
}

/* [ca; cb] := Q_i [ca; cb] or Q_i^T [ca; cb]. */
static MG__MUST_USE mg_status node_apply(mg__tsqr *t, size_t i, char trans, double *ca, double *cb)
{
    const size_t p = t->p;
    if (i >= t->used)
        return MG_EINVAL;
    const lapack_int pp = (lapack_int)p;
    /* [ca; cb] = Q_n [ca; cb] or Q_n^T [ca; cb]   (dtpmqrt with the node's V, T) */
    return mg__lapack_status(LAPACKE_dtpmqrt_work(LAPACK_COL_MAJOR, 'L', trans, pp, 1, pp, pp,
                                                  (lapack_int)t->nb, t->V + i * p * p, pp,
                                                  t->T + i * t->nb * p, (lapack_int)t->nb, ca,
                                                  pp, cb, pp, t->work),
                             MG_EINVAL);
}

mg_status mg__tsqr_node_qt(mg__tsqr *t, size_t i, double *ca, double *cb)
{
    return node_apply(t, i, 'T', ca, cb);
}

mg_status mg__tsqr_node_q(mg__tsqr *t, size_t i, double *ua, double *ub)
{
    memset(ub, 0, t->p * sizeof *ub);
    return node_apply(t, i, 'N', ua, ub);
}

void mg__tsqr_root_solve(const mg__tsqr *t, const double *f1, const double *g, double *dx,
                         double *v)
{
    const size_t p = t->p;
    const lapack_int pp = (lapack_int)p;
    for (size_t i = 0; i < p; i++)
        v[i] = g ? g[i] : 0.0;
    /* d1 = R^-T g   (held in v) */
    cblas_dtrsv(CblasColMajor, CblasUpper, CblasTrans, CblasNonUnit, pp, t->R, pp, v, 1);
    for (size_t i = 0; i < p; i++)
        dx[i] = f1[i] - v[i];
    /* dx = R^-1 (f1 - d1) */
    cblas_dtrsv(CblasColMajor, CblasUpper, CblasNoTrans, CblasNonUnit, pp, t->R, pp, dx, 1);
    for (size_t i = 0; i < p; i++)
        v[i] -= f1[i];
}

void mg__tsqr_residuals(mg__tsqr *t, const double *y, size_t ys, const double *x,
                        const double *r, double *f, double *bt, double *hilo)
{
    const size_t n = t->n, p = t->p;
    const mg_matrix *X = t->X;
    for (size_t j = 0; j < p; j++)
        bt[j] = mg__lsq_scaled(t->scale, t->scale_lo, j, x[j]); /* exact: a power of two */
    if (n > 0)
        /* f = y - r - Zd_r bt   (double-double, rounded once) */
        mg__xresid(X->data, X->stride, X->cols, t->intercept, bt, p, 1, y, ys, r, 1, f, 1, 0, n);
    if (!hilo)
        return;
    if (n == 0) {
        memset(hilo, 0, 2 * p * sizeof *hilo);
        return;
    }
    /* -scale .* Zd_r^T r in double-double: the kernel leaves its unrounded
     * sums in acc (hi: p, then lo: p; xdot.c, mg__xgemv_t_isa), which is
     * what the ranks merge (tests/mpi/test_mpi_tsqr.c checks that hi + lo rounds
     * to the kernel's own g) */
    mg__xgemv_t(X->data, X->stride, n, X->cols, t->intercept, t->scale, r, 1, NULL, t->w,
                t->acc);
    memcpy(hilo, t->acc, 2 * p * sizeof *hilo);
}

void mg__tsqr_dd_add(double *hilo, const double *hilo2, size_t p)
{
    double *hi = hilo, *lo = hilo + p;
    const double *hi2 = hilo2, *lo2 = hilo2 + p;
    for (size_t j = 0; j < p; j++) {
        double e;
        mg__xdot_two_sum(hi[j], hi2[j], &hi[j], &e);
        lo[j] += lo2[j] + e;
    }
}

void mg__tsqr_g(const mg__tsqr *t, const double *c, const double *hilo, double *g)
{
    const size_t p = t->p;
    /* g = lo .* (c ./ lo + hi + lo_sum): c enters the double-double sum as
     * in mg_lstsq's residuals (c / scale_lo is exact), rounded once */
    for (size_t j = 0; j < p; j++) {
        double s = hilo[j], e, tail = hilo[p + j];
        mg__xdot_two_sum(s, c ? c[j] / t->scale_lo[j] : 0.0, &s, &e);
        tail += e;
        g[j] = (s + tail) * t->scale_lo[j];
    }
}

void mg__tsqr_resid_update(mg__tsqr *t, const double *x, const double *bt, double *res,
                           double *delta)
{
    const mg__design d = { t->X, t->intercept, t->n, t->p };
    mg__lsq_resid_update(&d, t->scale, t->scale_lo, x, bt, res, delta);
}

void mg__tsqr_cov_diag(mg__tsqr *t, double *v)
{
    mg__lsq_inv_row_norms(t->R, t->p, t->p, t->w + t->n, v);
}

int mg__tsqr_cov_needs_refining(size_t N, size_t p, double rcond)
{
    const double n = (double)N, pp = (double)p;
    return n * pp * pp <= MG__COV_REFINE_MAX_WORK && !(rcond >= MG__LSQ_COV_FACTOR_RCOND);
}

long double mg__tsqr_sum(const double *v, size_t n, size_t vs)
{
    return n ? mg__xsum(v, n, vs) : 0.0L;
}

long double mg__tsqr_sumsq(const double *v, size_t n, size_t vs, double shift)
{
    return n ? mg__xsumsq(v, n, vs, shift) : 0.0L;
}

void mg__tsqr_summary(long double rss, long double tss, size_t df, size_t dft, double *sd,
                      double *r2, double *ar2)
{
    mg__fit_summary(rss, tss, df, dft, sd, r2, ar2);
}
