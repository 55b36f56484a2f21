/* SPDX-License-Identifier: BSD-3-Clause */
/* fit: factorising the design part of a state, and solving with it
 * (docs/derivations.md, "One model of a fit").
 *
 * QR: the state holds R of W^(1/2) [Z Y]; its leading m x m block R_Z is
 * the triangular factor of W^(1/2) Z, so Z^T W Z = R_Z^T R_Z.  The rank is
 * decided on R_Z D (D: powers of two equilibrating the columns) by pivoted
 * QR, as mg_lstsq decides it on the equilibrated design; a rank-deficient
 * R_Z is replaced by its SVD for minimum-norm solutions.
 * GRAM: G = D M_xx D (+ ridge D^2), M_xx the centred (intercept) or raw
 * moments of X, factorised by Cholesky. */
#include "fit_internal.h"

#include <cblas.h>
#include <float.h>
#include <string.h>

/* A Gram matrix is refused below this reciprocal condition number: a
 * semi-normal refinement step multiplies the error by about
 * rho = c (m + 1) eps kappa(G) (Cholesky's backward error, Higham, Thm
 * 10.5, through the solve of the correction), and the 1-norm estimate of
 * dpocon may be low by a small factor.  rcond >= 32 (m + 1) eps keeps
 * rho <= 1/4 with a factor 8 for both (refinement then gains at least 2
 * bits per step). */
double mg__fit_gram_min_rcond(const mg_fit *f, size_t order)
{
    /* mg_normal_solve's plain normal equations: only a Gram matrix with no
     * correct digit in its solve (rcond < m eps) is refused */
    if (f->plain)
        return (double)order * DBL_EPSILON;
    return 32.0 * (double)(order + 1) * DBL_EPSILON;
}

static mg_status factor_qr(mg_fit *f)
{
    const size_t m = f->m, n = f->n;
    const lapack_int mm = (lapack_int)m;
    const double tol = f->opt.rank_tol > 0.0
                           ? f->opt.rank_tol
                           : (double)(f->nonzero > m ? f->nonzero : m) * DBL_EPSILON;

    /* A = R_Z D, D_j = 2^-e near 1 / ||column j of W^(1/2) Z|| (exact) */
    for (size_t j = 0; j < m; j++) {
        double s = 0.0;
        for (size_t i = 0; i <= j; i++)
            s += f->S[j * n + i] * f->S[j * n + i];
        f->D[j] = mg__fit_pow2_inv(sqrt(s));
        for (size_t i = 0; i < m; i++)
            f->A[j * m + i] = i <= j ? f->S[j * n + i] * f->D[j] : 0.0;
    }
    memset(f->iwork, 0, m * sizeof *f->iwork);
    /* A P = Q R   (Householder QR with column pivoting: rank-revealing) */
    MG__CHECK(mg__lapack_status(LAPACKE_dgeqp3_work(LAPACK_COL_MAJOR, mm, mm, f->A, mm, f->iwork,
                                                    f->tau, f->lwork, (lapack_int)f->lwork_len),
                                MG_EINVAL));
    const double r00 = fabs(f->A[0]);
    size_t rank = 0;
    while (rank < m && r00 > 0.0 && fabs(f->A[rank * m + rank]) > tol * r00)
        rank++;
    double rcond = 0.0;
    /* rcond ~ 1 / (||R||_1 ||R^-1||_1): the 1-norm condition estimate of
     * the equilibrated design (pivoting permutes its columns only) */
    if (r00 > 0.0)
        MG__CHECK(mg__lapack_status(LAPACKE_dtrcon_work(LAPACK_COL_MAJOR, '1', 'U', 'N', mm, f->A,
                                                        mm, &rcond, f->lwork, f->iwork),
                                    MG_EINVAL));
    f->rank = rank;
    f->rcond = rank == m ? rcond : 0.0;
    f->rkept = f->rcond;
    if (rank == m) {
        f->fac = MG__FAC_TRI;
        return MG_OK;
    }
    /* minimum norm is a property of the unscaled coefficients: the SVD of
     * R_Z itself, keeping the rank found on the equilibrated one */
    for (size_t j = 0; j < m; j++)
        for (size_t i = 0; i < m; i++)
            f->A[j * m + i] = i <= j ? f->S[j * n + i] : 0.0;
    /* R_Z = U diag(s) V^T */
    MG__CHECK(mg__lapack_status(LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, 'S', mm, mm, f->A, mm, f->s,
                                                    f->U, mm, f->Vt, mm, f->lwork,
                                                    (lapack_int)f->lwork_len, f->iwork),
                                MG_ENOCONV));
    while (rank > 0 && !(f->s[rank - 1] > 0.0))
        rank--;
    f->rank = rank;
    f->rkept = rank > 0 ? f->s[rank - 1] / f->s[0] : 0.0;
    f->fac = MG__FAC_SVD;
    return MG_OK;
}

static mg_status factor_gram(mg_fit *f)
{
    const size_t p = f->p, n = f->n;
    const lapack_int pp = (lapack_int)p;
    const double ridge = f->opt.ridge;
    f->rank = f->m;
    if (p == 0) {
        /* the mean model: Z^T W Z = sum w */
        f->rcond = f->rkept = 1.0;
        f->fac = MG__FAC_MEAN;
        return MG_OK;
    }
    for (size_t j = 0; j < p; j++)
        f->D[j] = mg__fit_pow2_inv(sqrt(f->S[j * n + j] + ridge));
    /* G = D (M_xx + ridge I) D   (exact scaling: D holds powers of two), into
     * the lower triangle: the state's upper one read transposed */
    for (size_t j = 0; j < p; j++)
        for (size_t i = 0; i < p; i++)
            f->F[j * p + i] =
                i >= j ? (f->S[i * n + j] + (i == j ? ridge : 0.0)) * f->D[i] * f->D[j] : 0.0;
    /* ||G||_1 for the condition estimate */
    const double anorm = LAPACKE_dlansy_work(LAPACK_COL_MAJOR, '1', 'L', pp, f->F, pp, f->lwork);
    /* G = L L^T   (main's one Cholesky: unblocked up to MG__POTF2_MAX, which
     * never lets OpenBLAS thread, allocate or exit) */
    MG__CHECK(mg__cholesky_lower(f->F, (int)p));
    /* U = L^T: the upper factor G = U^T U that the solves and dpotri use */
    for (size_t j = 0; j < p; j++)
        for (size_t i = 0; i < j; i++) {
            f->F[j * p + i] = f->F[i * p + j];
            f->F[i * p + j] = 0.0;
        }
    double rc = 0.0;
    /* rc ~ 1 / (||G||_1 ||G^-1||_1) */
    MG__CHECK(mg__lapack_status(LAPACKE_dpocon_work(LAPACK_COL_MAJOR, 'U', pp, f->F, pp, anorm,
                                                    &rc, f->lwork, f->iwork),
                                MG_EINVAL));
    if (!(rc >= mg__fit_gram_min_rcond(f, f->m)))
        return MG_ENOTPD;
    /* kappa(Z) = sqrt(kappa(Z^T W Z)) */
    f->rcond = f->rkept = sqrt(rc);
    f->fac = MG__FAC_CHOL;
    return MG_OK;
}

mg_status mg__fit_factor(mg_fit *fit)
{
    if (fit->fac != MG__FAC_NONE)
        return MG_OK;
    if (fit->nonzero == 0)
        return MG_EINVAL;
    return fit->opt.kind == MG_FIT_QR ? factor_qr(fit) : factor_gram(fit);
}

/* x = V_r S_r^-2 V_r^T c for each column: the minimum-norm solution of
 * R_Z^T R_Z x = c restricted to the numerical row space. */
static void solve_svd(mg_fit *f, double *C, size_t ncols)
{
    const size_t m = f->m, r = f->rank;
    double *t = f->tau;
    for (size_t c = 0; c < ncols; c++) {
        double *x = C + c * m;
        if (r == 0) {
            memset(x, 0, m * sizeof *x);
            continue;
        }
        /* t = S_r^-2 V_r^T x */
        cblas_dgemv(CblasColMajor, CblasNoTrans, (int)r, (int)m, 1.0, f->Vt, (int)m, x, 1, 0.0, t,
                    1);
        for (size_t i = 0; i < r; i++)
            t[i] = t[i] / f->s[i] / f->s[i];
        /* x = V_r t */
        cblas_dgemv(CblasColMajor, CblasTrans, (int)r, (int)m, 1.0, f->Vt, (int)m, t, 1, 0.0, x, 1);
    }
}

/* (M_xx + ridge I) X = C with G = D (M_xx + ridge I) D = U^T U:
 * X = D G^-1 D C, for the first p rows of C (leading dimension ld). */
void mg__fit_solve_x(mg_fit *f, double *C, size_t ld, size_t ncols)
{
    const size_t p = f->p;
    for (size_t c = 0; c < ncols; c++)
        for (size_t j = 0; j < p; j++)
            C[c * ld + j] *= f->D[j];
    /* U^T U Y = D C   (two triangular solves) */
    cblas_dtrsm(CblasColMajor, CblasLeft, CblasUpper, CblasTrans, CblasNonUnit, (int)p, (int)ncols,
                1.0, f->F, (int)p, C, (int)ld);
    cblas_dtrsm(CblasColMajor, CblasLeft, CblasUpper, CblasNoTrans, CblasNonUnit, (int)p,
                (int)ncols, 1.0, f->F, (int)p, C, (int)ld);
    for (size_t c = 0; c < ncols; c++)
        for (size_t j = 0; j < p; j++)
            C[c * ld + j] *= f->D[j];
}

/* With the intercept, Z^T W Z = [W, W mu^T; W mu, M_xx + W mu mu^T]
 * (W = sum w, mu the weighted means of X), so [d0; d] solves
 *     (M_xx + ridge I) d = c_x - mu c0,   d0 = c0 / W - mu^T d. */
static void solve_chol_centred(mg_fit *f, double *C, size_t ncols)
{
    const size_t m = f->m, p = f->p;
    for (size_t c = 0; c < ncols; c++) {
        double *x = C + c * m;
        for (size_t j = 0; j < p; j++)
            x[1 + j] -= f->mean[j] * x[0];
    }
    if (p > 0)
        mg__fit_solve_x(f, C + 1, m, ncols);
    for (size_t c = 0; c < ncols; c++) {
        double *x = C + c * m, d0 = x[0] / f->wsum;
        for (size_t j = 0; j < p; j++)
            d0 -= f->mean[j] * x[1 + j];
        x[0] = d0;
    }
}

void mg__fit_normal_solve(mg_fit *fit, double *C, size_t ncols)
{
    const size_t m = fit->m;
    switch (fit->fac) {
    case MG__FAC_TRI:
        /* R_Z^T R_Z X = C   (two triangular solves with the state's R) */
        cblas_dtrsm(CblasColMajor, CblasLeft, CblasUpper, CblasTrans, CblasNonUnit, (int)m,
                    (int)ncols, 1.0, fit->S, (int)fit->n, C, (int)m);
        cblas_dtrsm(CblasColMajor, CblasLeft, CblasUpper, CblasNoTrans, CblasNonUnit, (int)m,
                    (int)ncols, 1.0, fit->S, (int)fit->n, C, (int)m);
        break;
    case MG__FAC_SVD:
        solve_svd(fit, C, ncols);
        break;
    case MG__FAC_CHOL:
    case MG__FAC_MEAN:
        if (fit->ic)
            solve_chol_centred(fit, C, ncols);
        else
            mg__fit_solve_x(fit, C, m, ncols);
        break;
    case MG__FAC_NONE:
        break;
    }
}
