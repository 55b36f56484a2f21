/* lstsq: equilibration, Householder QR (pivoted when the rank is in
 * doubt), and the augmented-system correction solve shared by the QR and
 * SVD solvers. */
#include "lstsq_internal.h"
#include "internal.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void mg__lsq_scales(const mg__design *d, double *scale)
{
    const mg_matrix *X = d->X;
    const size_t ic = (size_t)d->intercept;

    /* max_i |Zd_ij| per column, one pass over X in storage order */
    for (size_t j = 0; j < d->p; j++)
        scale[j] = 0.0;
    if (ic)
        scale[0] = 1.0;
    for (size_t i = 0; i < d->N; i++) {
        const double *xi = X->data + i * X->stride;
        for (size_t j = 0; j < X->cols; j++)
            scale[ic + j] = fmax(scale[ic + j], fabs(xi[j]));
    }
    /* 2^-e with max |Zd_ij| in [2^(e-1), 2^e): the scaled column's largest
     * entry lies in [1/2, 1) and no bit of it changes */
    for (size_t j = 0; j < d->p; j++) {
        int e = 0;
        if (scale[j] > 0.0 && isfinite(scale[j]))
            (void)frexp(scale[j], &e);
        scale[j] = ldexp(1.0, -e);
    }
}

void mg__lsq_copy_design(const mg__design *d, const double *scale, double *Z)
{
    const mg_matrix *X = d->X;
    const size_t N = d->N, ic = (size_t)d->intercept;

    if (ic)
        for (size_t i = 0; i < N; i++)
            Z[i] = scale ? scale[0] : 1.0;
    for (size_t i = 0; i < N; i++) {
        const double *xi = X->data + i * X->stride;
        for (size_t j = 0; j < X->cols; j++)
            Z[(ic + j) * N + i] = scale ? xi[j] * scale[ic + j] : xi[j];
    }
}

/* Block size of the unpivoted QR's reflectors (dgeqrt / dgemqrt). */
enum { MG__QR_NB = 32 };

mg_status mg__lsq_qr(mg__lsq *q)
{
    const size_t N = q->d.N, p = q->d.p, m = q->m;
    double *Z = mg__alloc_doubles(N, p);
    double *tau = mg__alloc_doubles(m, 1);
    lapack_int *jpvt = calloc(p, sizeof *jpvt);
    int *perm = malloc(p * sizeof *perm);

    if (!Z || !tau || !jpvt || !perm) {
        free(Z); free(tau); free(jpvt); free(perm);
        return MG_ENOMEM;
    }
    const lapack_int n = (lapack_int)N, pp = (lapack_int)p;
    const size_t nb = p < MG__QR_NB ? p : MG__QR_NB;
    double rcond = 0.0, *T = NULL;
    int pivoted = 0;
    if (N >= p) {
        mg__lsq_copy_design(&q->d, q->scale, Z);
        /* Z = Q R   (blocked Householder QR keeping the block reflectors'
         * triangular factors T, so that applying Q later does not rebuild them;
         * several times faster than the pivoted QR on tall designs) */
        /* zeroed: dgeqrt leaves T's lower triangles unset, and LAPACKE's
         * NaN check of T in dgemqrt must not trip on garbage */
        T = calloc(nb * p, sizeof *T);
        if (!T || LAPACKE_dgeqrt(LAPACK_COL_MAJOR, n, pp, (lapack_int)nb, Z, n, T,
                                 (lapack_int)nb) != 0) {
            free(Z); free(tau); free(jpvt); free(perm); free(T);
            return MG_ENOMEM;
        }
        /* rcond ~ 1 / (||R||_1 ||R^-1||_1): the 1-norm condition estimate of Z */
        if (LAPACKE_dtrcon(LAPACK_COL_MAJOR, '1', 'U', 'N', pp, Z, n, &rcond) != 0)
            rcond = 0.0;
    }
    /* Without pivoting R does not reveal the rank, but a condition estimate
     * this far above the tolerance proves full rank: sigma_min / sigma_max >=
     * rcond_1 / p, and the estimator is within a small factor.  Otherwise
     * refactor with column pivoting to find the rank. */
    if (N < p || !(rcond >= 10.0 * (double)p * q->rank_tol)) {
        pivoted = 1;
        free(T);
        T = NULL;
        mg__lsq_copy_design(&q->d, q->scale, Z);
        /* Z P = Q R   (Householder QR with column pivoting) */
        if (LAPACKE_dgeqp3(LAPACK_COL_MAJOR, n, pp, Z, n, jpvt, tau) != 0) {
            free(Z); free(tau); free(jpvt); free(perm);
            return MG_ENOMEM;
        }
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
    if (pivoted && (r00 == 0.0 ||
                    LAPACKE_dtrcon(LAPACK_COL_MAJOR, '1', 'U', 'N', (lapack_int)m, Z, n, &rcond) != 0))
        rcond = 0.0;
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

/* w = Q w or Q^T w (trans 'N' or 'T'), with the stored T factors when the
 * QR was unpivoted, else from the Householder vectors and tau. */
static void apply_q(const mg__lsq *q, char trans, double *w)
{
    const lapack_int n = (lapack_int)q->d.N, pp = (lapack_int)q->d.p;
    double *ws = q->work + q->d.N + 3 * q->d.p; /* MG__LSQ_QWORK doubles */
    /* the _work entry points skip LAPACKE's NaN scan of the whole factor on
     * every call (the factor is finite: the inputs were checked) */
    if (q->T)
        LAPACKE_dgemqrt_work(LAPACK_COL_MAJOR, 'L', trans, n, 1, pp, (lapack_int)q->nb, q->F, n,
                             q->T, (lapack_int)q->nb, w, n, ws);
    else
        LAPACKE_dormqr_work(LAPACK_COL_MAJOR, 'L', trans, n, 1, pp, q->F, n, q->tau, w, n, ws,
                            (lapack_int)MG__LSQ_QWORK);
}

/* [I Z; Z^T 0] [dr; dx] = [f; g] with Z P = Q [R; 0]:
 *   R^T d1 = P^T g,  R (P^T dx) = Q_1^T f - d1,  dr = f + Q [d1 - Q_1^T f; 0]. */
static void solve_aug_qr(const mg__lsq *q, const double *f, const double *g, double *dr,
                         double *dx)
{
    const size_t N = q->d.N, p = q->d.p;
    const lapack_int n = (lapack_int)N, pp = (lapack_int)p;
    double *w = q->work, *f1 = w + N, *d1 = f1 + p, *t = d1 + p;

    memcpy(w, f, N * sizeof *w);
    /* w = Q^T f */
    apply_q(q, 'T', w);
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
    apply_q(q, 'N', w);
    for (size_t i = 0; i < N; i++)
        dr[i] = f[i] + w[i];
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

void mg__lsq_solve_aug(const mg__lsq *q, const double *f, const double *g, double *dr,
                       double *dx)
{
    if (q->kind == MG__LSQ_QR)
        solve_aug_qr(q, f, g, dr, dx);
    else
        solve_aug_svd(q, f, g, dr, dx);
}
