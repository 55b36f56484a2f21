/* SPDX-License-Identifier: BSD-3-Clause */
/* lstsq: equilibration, Householder QR (pivoted when the rank is in
 * doubt), and the augmented-system correction solve shared by the QR and
 * SVD solvers. */
#include "lstsq_internal.h"
#include "internal.h"

#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int mg__tsqr_colmax(const mg_matrix *X, int intercept, size_t n, size_t p, double *mx)
{
    const size_t ic = intercept ? 1u : 0u;

    /* max_i |Zd_ij| per column, one pass over X in storage order; the same
     * pass finds a non-finite entry: a NaN is taken (a != a) and then kept
     * (no a > NaN), an Inf is the largest.  Comparisons, not fmax, which is
     * a library call per entry at -O2. */
    for (size_t j = 0; j < p; j++)
        mx[j] = 0.0;
    if (ic)
        mx[0] = 1.0;
    for (size_t i = 0; X && i < n; i++) {
        const double *xi = X->data + i * X->stride;
        double *sj = mx + ic;
        for (size_t j = 0; j < X->cols; j++) {
            const double a = fabs(xi[j]);
            sj[j] = (a > sj[j] || a != a) ? a : sj[j];
        }
    }
    int finite = 1;
    for (size_t j = 0; j < p; j++)
        finite &= isfinite(mx[j]) != 0;
    return finite;
}

int mg__lsq_scales(const mg__design *d, double *scale, double *scale_lo)
{
    const int finite = mg__tsqr_colmax(d->X, d->intercept, d->N, d->p, scale);
    mg__lsq_scales_rule(scale, d->p, scale, scale_lo);
    return finite;
}

void mg__lsq_scales_rule(const double *mx, size_t p, double *scale, double *scale_lo)
{
    /* 2^-e with max |Zd_ij| in [2^(e-1), 2^e): the scaled column's largest
     * entry lies in [1/2, 1) and no bit of it changes.  e >= -1073 (the
     * smallest subnormal is 2^-1074) but 2^-e is a double only for
     * e >= -1023: the rest, at most 2^50, goes to scale_lo. */
    for (size_t j = 0; j < p; j++) {
        /* frexp's exponent (ilogb counts a subnormal's leading zeros too) */
        const int e = (mx[j] > 0.0 && isfinite(mx[j])) ? ilogb(mx[j]) + 1 : 0;
        const int hi = e < -DBL_MAX_EXP + 1 ? DBL_MAX_EXP - 1 : -e;
        scale[j] = ldexp(1.0, hi);
        scale_lo[j] = ldexp(1.0, -e - hi);
    }
}

void mg__lsq_copy_design(const mg__design *d, const double *scale, const double *scale_lo,
                         double *Z)
{
    const mg_matrix *X = d->X;
    const size_t N = d->N, ic = (size_t)d->intercept;

    if (ic)
        for (size_t i = 0; i < N; i++)
            Z[i] = scale ? mg__lsq_scaled(scale, scale_lo, 0, 1.0) : 1.0;
    for (size_t i = 0; i < N; i++) {
        const double *xi = X->data + i * X->stride;
        for (size_t j = 0; j < X->cols; j++)
            Z[(ic + j) * N + i] = scale ? mg__lsq_scaled(scale, scale_lo, ic + j, xi[j]) : xi[j];
    }
}

/* Block size of the unpivoted QR's reflectors (dgeqrt / dgemqrt). */
enum { MG__QR_NB = 32 };

/* rcond ~ 1 / (||R||_1 ||R^-1||_1) of the leading n x n upper triangle of
 * the column-major R (leading dimension ld).  Workspace is ours: LAPACKE's
 * own allocation would fail unseen. */
static MG__MUST_USE mg_status tri_rcond(const double *R, size_t n, size_t ld, double *rcond)
{
    double *work = mg__alloc_doubles(3, n);
    lapack_int *iwork = malloc((n ? n : 1) * sizeof *iwork);
    mg_status s = MG_ENOMEM;
    if (work && iwork)
        /* rcond = 1 / (||R||_1 ||R^-1||_1)   (estimate) */
        s = mg__lapack_status(LAPACKE_dtrcon_work(LAPACK_COL_MAJOR, '1', 'U', 'N', (lapack_int)n,
                                                  R, (lapack_int)ld, rcond, work, iwork),
                              MG_EINVAL);
    free(work);
    free(iwork);
    return s;
}

/* Z = Q R, blocked, keeping the block reflectors' triangular factors in T
 * (nb x p, allocated here).
 *
 * Not proof against every allocation failure: dgeqrt applies each block of
 * reflectors with dgemm (dlarfb), which OpenBLAS threads for tall Z through
 * its level-3 driver, and that driver calls exit(1) when it cannot allocate
 * its job array.  Keeping each dgemm on one thread would take folding the
 * rows in blocks of a few hundred (a different QR, with its own apply of
 * Q) and giving up the threads' share: at 1e5 x 64 dgeqrt took 96-103 ms on
 * 2 OpenBLAS threads against 105-110 ms on one.  Kept, and listed in
 * docs/reliability.md and the fault-injection test's DOCUMENTED_EXITS. */
static MG__MUST_USE mg_status qr_blocked(double *Z, size_t N, size_t p, size_t nb, double **T)
{
    /* zeroed: dgeqrt leaves T's lower triangles unset */
    double *t = calloc(nb * p, sizeof *t), *work = mg__alloc_doubles(nb, p);
    mg_status s = MG_ENOMEM;
    if (t && work)
        /* Z = Q R   (dgeqrt: Householder QR with compact WY block reflectors) */
        s = mg__lapack_status(LAPACKE_dgeqrt_work(LAPACK_COL_MAJOR, (lapack_int)N, (lapack_int)p,
                                                  (lapack_int)nb, Z, (lapack_int)N, t,
                                                  (lapack_int)nb, work),
                              MG_EINVAL);
    free(work);
    if (s != MG_OK) {
        free(t);
        t = NULL;
    }
    *T = t;
    return s;
}

/* Z = Q R, Householder vectors and tau only, for p <= MG__QR_NB: one block,
 * where dgeqrf takes LAPACK's unblocked dgeqr2 (BLAS-2 updates of the
 * trailing columns, what dgels does), and Q is applied by dormqr's
 * unblocked dorm2r, which needs no T.  dgeqrt's recursive dgeqrt3 would
 * spend most of its time packing tiny dgemm operands (measured at 1e4 x 20:
 * 2-3x dgeqrf's time). */
static MG__MUST_USE mg_status qr_householder(double *Z, size_t N, size_t p, double *tau)
{
    const lapack_int n = (lapack_int)N, pp = (lapack_int)p;
    double query = 0.0;
    /* workspace query: the optimal lwork in query */
    mg_status s = mg__lapack_status(
        LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, n, pp, Z, n, tau, &query, -1), MG_EINVAL);
    if (s != MG_OK)
        return s;
    const double want = fmax(query, (double)p);
    if (!(want < (double)INT_MAX))
        return MG_ENOMEM;
    double *work = mg__alloc_doubles((size_t)want, 1);
    if (!work)
        return MG_ENOMEM;
    /* Z = Q R   (Householder QR, no pivoting) */
    s = mg__lapack_status(
        LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, n, pp, Z, n, tau, work, (lapack_int)want),
        MG_EINVAL);
    free(work);
    return s;
}

/* Z P = Q R with column pivoting; jpvt (p, zeroed: all columns free) gets
 * the 1-based permutation. */
static MG__MUST_USE mg_status qr_pivoted(double *Z, size_t N, size_t p, lapack_int *jpvt,
                                         double *tau)
{
    const lapack_int n = (lapack_int)N, pp = (lapack_int)p;
    double query = 0.0;
    /* workspace query: the optimal lwork in query */
    mg_status s = mg__lapack_status(
        LAPACKE_dgeqp3_work(LAPACK_COL_MAJOR, n, pp, Z, n, jpvt, tau, &query, -1), MG_EINVAL);
    if (s != MG_OK)
        return s;
    const double want = fmax(query, 3.0 * (double)p + 1.0);
    if (!(want < (double)INT_MAX))
        return MG_ENOMEM;
    double *work = mg__alloc_doubles((size_t)want, 1);
    if (!work)
        return MG_ENOMEM;
    /* Z P = Q R   (Householder QR with column pivoting) */
    s = mg__lapack_status(LAPACKE_dgeqp3_work(LAPACK_COL_MAJOR, n, pp, Z, n, jpvt, tau, work,
                                              (lapack_int)want),
                          MG_EINVAL);
    free(work);
    return s;
}

/* Factors the scaled design: the unpivoted QR when N >= p and its condition
 * estimate proves full rank (T set when p > MG__QR_NB: blocked), else the
 * pivoted QR (*pivoted = 1). */
static MG__MUST_USE mg_status qr_factor(mg__lsq *q, double *Z, double *tau, lapack_int *jpvt,
                                        size_t nb, double **T, double *rcond, int *pivoted)
{
    const size_t N = q->d.N, p = q->d.p;
    *T = NULL;
    *rcond = 0.0;
    *pivoted = 0;
    if (N >= p) {
        mg__lsq_copy_design(&q->d, q->scale, q->scale_lo, Z);
        if (p <= MG__QR_NB) {
            MG__CHECK(qr_householder(Z, N, p, tau));
        } else {
            MG__CHECK(qr_blocked(Z, N, p, nb, T));
        }
        mg_status s = tri_rcond(Z, p, N, rcond);
        if (s != MG_OK) {
            free(*T);
            *T = NULL;
            return s;
        }
    }
    /* Without pivoting R does not reveal the rank, but a condition estimate
     * this far above the tolerance proves full rank: sigma_min / sigma_max >=
     * rcond_1 / p, and the estimator is within a small factor.  Otherwise
     * refactor with column pivoting to find the rank. */
    if (N >= p && *rcond >= 10.0 * (double)p * q->rank_tol)
        return MG_OK;
    free(*T);
    *T = NULL;
    *pivoted = 1;
    mg__lsq_copy_design(&q->d, q->scale, q->scale_lo, Z);
    return qr_pivoted(Z, N, p, jpvt, tau);
}

mg_status mg__lsq_qr(mg__lsq *q)
{
    const size_t N = q->d.N, p = q->d.p, m = q->m;
    double *Z = mg__alloc_doubles(N, p);
    double *tau = mg__alloc_doubles(m, 1);
    lapack_int *jpvt = calloc(p, sizeof *jpvt);
    int *perm = malloc(p * sizeof *perm);
    const size_t nb = p < MG__QR_NB ? p : MG__QR_NB;
    double rcond = 0.0, *T = NULL;
    int pivoted = 0;
    mg_status s = (Z && tau && jpvt && perm) ? MG_OK : MG_ENOMEM;

    if (s == MG_OK)
        s = qr_factor(q, Z, tau, jpvt, nb, &T, &rcond, &pivoted);
    if (s != MG_OK) {
        free(Z); free(tau); free(jpvt); free(perm);
        return s;
    }
    for (size_t j = 0; j < p; j++)
        perm[j] = pivoted ? (int)jpvt[j] - 1 : (int)j;
    free(jpvt);

    /* numerical rank: the pivoted |R_ii| that stay above tol |R_00| (full,
     * proven by the estimate, when no pivoting was needed) */
    const double r00 = fabs(Z[0]);
    size_t rank = pivoted ? 0 : m;
    while (pivoted && rank < m && r00 > 0.0 && fabs(Z[rank * N + rank]) > q->rank_tol * r00)
        rank++;
    /* rcond of the pivoted factor (the same estimate, for a matrix whose
     * columns are permuted) */
    if (pivoted && r00 == 0.0)
        rcond = 0.0;
    else if (pivoted)
        s = tri_rcond(Z, m, N, &rcond);
    if (s != MG_OK) {
        free(Z); free(tau); free(perm);
        return s;
    }
    if (N < p)
        rcond = 0.0; /* a wide design is singular whatever its leading block */

    q->kind = MG__LSQ_QR;
    q->F = Z;
    q->T = T;
    q->nb = nb;
    q->tau = tau;
    q->perm = perm;
    q->rank = rank;
    q->rcond = rcond;
    return MG_OK;
}

/* w = Q w or Q^T w (trans 'N' or 'T'), with the stored T factors of the
 * blocked QR, else from the Householder vectors and tau (pivoted, or one
 * block: dormqr then applies the reflectors one by one, dorm2r). */
static MG__MUST_USE mg_status apply_q(const mg__lsq *q, char trans, double *w)
{
    const lapack_int n = (lapack_int)q->d.N, pp = (lapack_int)q->d.p;
    double *ws = q->work + q->d.N + 3 * q->d.p; /* MG__LSQ_QWORK doubles */
    /* the _work entry points skip LAPACKE's NaN scan of the whole factor on
     * every call (the factor is finite: the inputs were checked) */
    lapack_int info;
    if (q->T)
        /* w = Q w or Q^T w   (block reflectors V, T of dgeqrt) */
        info = LAPACKE_dgemqrt_work(LAPACK_COL_MAJOR, 'L', trans, n, 1, pp, (lapack_int)q->nb,
                                    q->F, n, q->T, (lapack_int)q->nb, w, n, ws);
    else
        /* w = Q w or Q^T w   (Householder vectors and tau of dgeqp3) */
        info = LAPACKE_dormqr_work(LAPACK_COL_MAJOR, 'L', trans, n, 1, pp, q->F, n, q->tau, w, n,
                                   ws, (lapack_int)MG__LSQ_QWORK);
    return mg__lapack_status(info, MG_EINVAL);
}

/* [I Z; Z^T 0] [dr; dx] = [f; g] with Z P = Q [R; 0]:
 *   R^T d1 = P^T g,  R (P^T dx) = Q_1^T f - d1,  dr = f + Q [d1 - Q_1^T f; 0]. */
static MG__MUST_USE mg_status solve_aug_qr(const mg__lsq *q, const double *f, const double *g,
                                           double *dr, double *dx)
{
    const size_t N = q->d.N, p = q->d.p;
    const lapack_int n = (lapack_int)N, pp = (lapack_int)p;
    double *w = q->work, *f1 = w + N, *d1 = f1 + p, *t = d1 + p;

    memcpy(w, f, N * sizeof *w);
    /* w = Q^T f */
    MG__CHECK(apply_q(q, 'T', w));
    memcpy(f1, w, p * sizeof *f1);
    for (size_t i = 0; i < p; i++)
        d1[i] = g ? g[q->perm[i]] : 0.0;
    /* d1 = R^-T P^T g */
    cblas_dtrsv(CblasColMajor, CblasUpper, CblasTrans, CblasNonUnit, pp, q->F, n, d1, 1);
    for (size_t i = 0; i < p; i++)
        t[i] = f1[i] - d1[i];
    /* t = R^-1 (Q_1^T f - d1) */
    cblas_dtrsv(CblasColMajor, CblasUpper, CblasNoTrans, CblasNonUnit, pp, q->F, n, t, 1);
    for (size_t i = 0; i < p; i++)
        dx[q->perm[i]] = t[i];
    for (size_t i = 0; i < p; i++)
        w[i] = d1[i] - f1[i];
    memset(w + p, 0, (N - p) * sizeof *w);
    /* dr = f + Q [d1 - f1; 0] */
    MG__CHECK(apply_q(q, 'N', w));
    for (size_t i = 0; i < N; i++)
        dr[i] = f[i] + w[i];
    return MG_OK;
}

/* The same with Z ~ U_r S_r V_r^T (r = rank; the rest of the spectrum is
 * treated as zero, which gives minimum-norm corrections):
 *   d1 = S^-1 V^T g,  dx = V S^-1 (U^T f - d1),  dr = f + U (d1 - U^T f). */
static void solve_aug_svd(const mg__lsq *q, const double *f, const double *g, double *dr,
                          double *dx)
{
    const size_t N = q->d.N, p = q->d.p, m = q->m, r = q->rank;
    const lapack_int n = (lapack_int)N, pp = (lapack_int)p, mm = (lapack_int)m,
                     rr = (lapack_int)r;
    double *f1 = q->work, *d1 = f1 + m, *t = d1 + m;

    /* f1 = U_r^T f */
    cblas_dgemv(CblasColMajor, CblasTrans, n, rr, 1.0, q->F, n, f, 1, 0.0, f1, 1);
    if (g) {
        /* d1 = S_r^-1 V_r^T g */
        cblas_dgemv(CblasColMajor, CblasNoTrans, rr, pp, 1.0, q->Vt, mm, g, 1, 0.0, d1, 1);
        for (size_t i = 0; i < r; i++)
            d1[i] /= q->s[i];
    } else {
        memset(d1, 0, r * sizeof *d1);
    }
    for (size_t i = 0; i < r; i++)
        t[i] = (f1[i] - d1[i]) / q->s[i];
    /* dx = V_r t */
    cblas_dgemv(CblasColMajor, CblasTrans, rr, pp, 1.0, q->Vt, mm, t, 1, 0.0, dx, 1);
    for (size_t i = 0; i < r; i++)
        t[i] = d1[i] - f1[i];
    memcpy(dr, f, N * sizeof *dr);
    /* dr = f + U_r (d1 - f1) */
    cblas_dgemv(CblasColMajor, CblasNoTrans, n, rr, 1.0, q->F, n, t, 1, 1.0, dr, 1);
}

mg_status mg__lsq_solve_aug(const mg__lsq *q, const double *f, const double *g, double *dr,
                            double *dx)
{
    if (q->kind == MG__LSQ_QR)
        return solve_aug_qr(q, f, g, dr, dx);
    solve_aug_svd(q, f, g, dr, dx); /* BLAS-2 only: cannot fail */
    return MG_OK;
}
