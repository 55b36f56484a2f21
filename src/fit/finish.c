/* SPDX-License-Identifier: BSD-3-Clause */
/* fit: coefficients and statistics from a state (docs/derivations.md, "One
 * model of a fit").
 *
 * QR: with W^(1/2) [Z Y] = Q R, the least-squares problem for output c is
 * min ||R_Z b - r_c|| + the rows of column m + c below m, so
 *     B = R_Z^-1 R_ZY,   RSS_c = sum_{i=m}^{m+c} R_{i,m+c}^2,
 * and TSS_c = sum_{i=ic}^{m+c} R_{i,m+c}^2 (the first row is y's
 * projection on the weighted intercept column).
 * GRAM: (M_xx + ridge I) B_x = M_xy; with the intercept
 * b_0 = mean_y - mean_x^T B_x; RSS from the moments.
 * Standard errors: sigma_c sqrt(diag((Z^T W Z)^+)), sigma_c^2 = RSS_c / df. */
#include "fit_internal.h"

#include <cblas.h>
#include <string.h>

static int sums_finite(const mg_fit *f)
{
    const size_t n = f->n;
    for (size_t j = 0; j < n; j++) {
        if (!isfinite(f->mean[j]))
            return 0;
        for (size_t i = 0; i <= j; i++)
            if (!isfinite(f->S[j * n + i]))
                return 0;
    }
    return isfinite(f->wsum);
}

/* B (m x k, column-major, into out) from the state's factor. */
static void coefficients(mg_fit *f, double *out)
{
    const size_t m = f->m, n = f->n, k = f->k, p = f->p;
    if (f->opt.kind == MG_FIT_QR) {
        /* the right-hand sides R_ZY = R[0:m, m:m+k] */
        for (size_t c = 0; c < k; c++)
            memcpy(out + c * m, f->S + (m + c) * n, m * sizeof *out);
        if (f->fac == MG__FAC_TRI) {
            /* B = R_Z^-1 R_ZY */
            cblas_dtrsm(CblasColMajor, CblasLeft, CblasUpper, CblasNoTrans, CblasNonUnit, (int)m,
                        (int)k, 1.0, f->S, (int)n, out, (int)m);
            return;
        }
        const size_t r = f->rank;
        double *t = f->tau;
        for (size_t c = 0; c < k; c++) {
            double *b = out + c * m;
            if (r == 0) {
                memset(b, 0, m * sizeof *b);
                continue;
            }
            /* t = S_r^-1 U_r^T r_c,  b = V_r t   (minimum norm) */
            cblas_dgemv(CblasColMajor, CblasTrans, (int)m, (int)r, 1.0, f->U, (int)m, b, 1, 0.0,
                        t, 1);
            for (size_t i = 0; i < r; i++)
                t[i] /= f->s[i];
            cblas_dgemv(CblasColMajor, CblasTrans, (int)r, (int)m, 1.0, f->Vt, (int)m, t, 1, 0.0,
                        b, 1);
        }
        return;
    }
    /* GRAM: the right-hand sides M_xy = S[0:p, p:p+k] */
    for (size_t c = 0; c < k; c++) {
        double *b = out + c * m;
        memcpy(b + f->ic, f->S + (p + c) * n, p * sizeof *b);
    }
    if (p > 0)
        mg__fit_solve_x(f, out + f->ic, m, k);
    if (f->ic)
        for (size_t c = 0; c < k; c++) {
            double *b = out + c * m, b0 = f->mean[p + c];
            /* b_0 = mean_y - mean_x^T b_x */
            for (size_t j = 0; j < p; j++)
                b0 -= f->mean[j] * b[1 + j];
            b[0] = b0;
        }
}

/* RSS of each output from the state for the coefficients B (rss: k). */
static void rss_of(mg_fit *f, const double *B, double *rss)
{
    const size_t m = f->m, n = f->n, k = f->k, p = f->p;
    for (size_t c = 0; c < k; c++) {
        long double r = 0.0L;
        if (f->opt.kind == MG_FIT_QR) {
            const double *col = f->S + (m + c) * n;
            for (size_t i = m; i <= m + c; i++)
                r += (long double)col[i] * col[i];
            if (f->fac == MG__FAC_SVD) {
                /* + the part of r_c outside the numerical range of R_Z:
                 * ||R_Z b - r_c||^2 */
                for (size_t i = 0; i < m; i++) {
                    long double e = -(long double)col[i];
                    for (size_t j = i; j < m; j++)
                        e += (long double)f->S[j * n + i] * B[c * m + j];
                    r += e * e;
                }
            }
        } else {
            /* RSS = M_yy - 2 b^T M_xy + b^T M_xx b   (b = B_x; centred with the
             * intercept, whose residual mean is zero) */
            const double *b = B + c * m + f->ic, *Mxy = f->S + (p + c) * n;
            r = f->S[(p + c) * n + p + c];
            for (size_t j = 0; j < p; j++) {
                long double g = 0.0L;
                for (size_t i = 0; i < p; i++)
                    g += (long double)(i <= j ? f->S[j * n + i] : f->S[i * n + j]) * b[i];
                r += (long double)b[j] * (g - 2.0L * Mxy[j]);
            }
            if (r < 0.0L)
                r = 0.0L;
        }
        rss[c] = (double)r;
    }
}

void mg__fit_rss(mg_fit *fit, const double *B, double *rss)
{
    rss_of(fit, B, rss);
    if (fit->solved)
        memcpy(rss, fit->solrss, fit->k * sizeof *rss);
}

/* A (n x n, column-major) = U^-1 for the upper-triangular U (column-major,
 * leading dimension ldu), column by column by back substitution, and v_i =
 * ||row i of U^-1||^2, the diagonal of (U^T U)^-1 = U^-1 U^-T.  Plain loops
 * rather than LAPACK's dtrtri / dpotri: OpenBLAS threads those and their
 * last bits then depend on its thread count (n^3 / 3 flops, small next to
 * any pass over the rows).  MG_ESINGULAR for a zero pivot. */
mg_status mg__fit_inverse_upper(const double *U, size_t n, size_t ldu, double *A, double *v)
{
    for (size_t j = 0; j < n; j++)
        if (!(U[j * ldu + j] != 0.0))
            return MG_ESINGULAR;
    for (size_t j = 0; j < n; j++) {
        /* column j of U^-1: U a = e_j, a_i = 0 below j */
        double *a = A + j * n;
        for (size_t i = j + 1; i < n; i++)
            a[i] = 0.0;
        a[j] = 1.0 / U[j * ldu + j];
        for (size_t i = j; i-- > 0;) {
            double t = 0.0;
            for (size_t l = i + 1; l <= j; l++)
                t += U[l * ldu + i] * a[l];
            a[i] = -t / U[i * ldu + i];
        }
    }
    for (size_t i = 0; v && i < n; i++) {
        double t = 0.0;
        for (size_t j = i; j < n; j++)
            t += A[j * n + i] * A[j * n + i];
        v[i] = t;
    }
    return MG_OK;
}

/* v_j = [(Z^T W Z)^+]_jj into v (m). */
static mg_status variances(mg_fit *f, double *v)
{
    const size_t m = f->m, n = f->n, p = f->p;
    switch (f->fac) {
    case MG__FAC_TRI:
        /* (Z^T W Z)^-1 = R_Z^-1 R_Z^-T */
        return mg__fit_inverse_upper(f->S, m, n, f->A, v);
    case MG__FAC_SVD:
        /* (Z^T W Z)^+ = V_r S_r^-2 V_r^T */
        for (size_t j = 0; j < m; j++) {
            double s = 0.0;
            for (size_t i = 0; i < f->rank; i++) {
                const double t = f->Vt[j * m + i] / f->s[i];
                s += t * t;
            }
            v[j] = s;
        }
        return MG_OK;
    case MG__FAC_MEAN:
        v[0] = 1.0 / f->wsum;
        return MG_OK;
    case MG__FAC_CHOL:
        break;
    case MG__FAC_NONE:
        return MG_EINVAL;
    }
    /* G = D M_xx D = U^T U:  G^-1 = U^-1 U^-T (A = U^-1), M_xx^-1 = D G^-1 D */
    MG__CHECK(mg__fit_inverse_upper(f->F, p, p, f->A, v + f->ic));
    for (size_t j = 0; j < p; j++)
        v[f->ic + j] *= f->D[j] * f->D[j];
    if (f->ic) {
        /* Var(b_0) / sigma^2 = 1 / W + mu^T M_xx^-1 mu = 1 / W + ||U^-T D mu||^2 */
        double q = 0.0;
        for (size_t l = 0; l < p; l++) {
            double t = 0.0;
            for (size_t i = 0; i <= l; i++)
                t += f->A[l * p + i] * f->D[i] * f->mean[i];
            q += t * t;
        }
        v[0] = 1.0 / f->wsum + q;
    }
    return MG_OK;
}

static mg_status check_outputs(const mg_fit *f, const mg_matrix *B, const mg_lstsq_result *res)
{
    if (!f)
        return MG_EINVAL;
    MG__CHECK(mg_matrix_check(B));
    if (B->rows != f->m || B->cols != f->k)
        return MG_EDIM;
    if (!res)
        return MG_OK;
    if (res->std_err) {
        MG__CHECK(mg_matrix_check(res->std_err));
        if (res->std_err->rows != f->m || res->std_err->cols != f->k)
            return MG_EDIM;
        if (mg__overlaps(res->std_err, B))
            return MG_EINVAL;
    }
    /* the k-vectors must not overlap B, std_err or each other */
    const double *vec[3] = { res->residual_sd, res->r_squared, res->adj_r_squared };
    for (int v = 0; v < 3; v++) {
        if (!vec[v])
            continue;
        mg_matrix mv = mg_matrix_view((double *)vec[v], 1, f->k);
        if (mg__overlaps(&mv, B) || (res->std_err && mg__overlaps(&mv, res->std_err)))
            return MG_EINVAL;
        for (int u = 0; u < v; u++)
            if (vec[u] && vec[v] < vec[u] + f->k && vec[u] < vec[v] + f->k)
                return MG_EINVAL;
    }
    return MG_OK;
}

/* The statistics of every output into f->stat (rss, tss, sd, r2, ar2) and,
 * when want_se, standard errors into f->se (m x k, column-major).  ext:
 * the front end's TSS (NULL: the state's, about the mean with the
 * intercept, about zero without). */
static mg_status statistics(mg_fit *f, const double *B, int want_se, const mg__fit_tss *ext)
{
    const size_t k = f->k, m = f->m;
    double *rss = f->stat, *sd = rss + 2 * k, *r2 = sd + k, *ar2 = r2 + k;
    mg__fit_rss(f, B, rss);
    const size_t df = f->nonzero > f->rank ? f->nonzero - f->rank : 0;
    size_t col;
    const int centred = ext ? ext->centred : mg__fit_about_mean(f, &col);
    for (size_t c = 0; c < k; c++) {
        const long double t = ext ? ext->tss[c] : mg__fit_state_tss(f, c);
        mg__fit_summary(rss[c], t, df, f->nonzero - (centred ? 1u : 0u), &sd[c], &r2[c], &ar2[c]);
    }
    if (!want_se)
        return MG_OK;
    double *v = f->tau;
    if (f->opt.ridge > 0.0) {
        for (size_t i = 0; i < m * k; i++)
            f->se[i] = NAN;
        return MG_OK;
    }
    MG__CHECK(variances(f, v));
    /* with the exact sums, refine them as B was (the factor's values are
     * off by about kappa(Z) eps (QR) or kappa(Z)^2 eps (GRAM) relative) */
    if (f->opt.exact && f->fac != MG__FAC_SVD)
        mg__fit_exact_variances(f, v);
    for (size_t c = 0; c < k; c++)
        for (size_t j = 0; j < m; j++)
            f->se[c * m + j] = sd[c] * sqrt(fmax(v[j], 0.0));
    return MG_OK;
}

static mg_lstsq_method method_of(const mg_fit *f)
{
    return f->fac == MG__FAC_TRI ? MG_LSTSQ_QR : f->fac == MG__FAC_SVD ? MG_LSTSQ_SVD
                                                                       : MG_LSTSQ_CHOLESKY;
}

static void copy_out(const double *cm, size_t m, size_t k, mg_matrix *out)
{
    for (size_t j = 0; j < m; j++)
        for (size_t c = 0; c < k; c++)
            out->data[j * out->stride + c] = cm[c * m + j];
}

mg_status mg__fit_check_sums(const mg_fit *fit)
{
    if (fit->nonzero == 0)
        return MG_EINVAL;
    /* the range first: finite data beyond it makes the sums overflow, and
     * that is MG_ERANGE (rescale), not MG_ENONFINITE */
    MG__CHECK(mg__fit_check_range(fit));
    return sums_finite(fit) ? MG_OK : MG_ENONFINITE;
}

mg_status mg__fit_solution(mg_fit *fit)
{
    MG__CHECK(mg__fit_check_sums(fit));
    MG__CHECK(mg__fit_factor(fit));
    const size_t m = fit->m, k = fit->k;
    if (!fit->solved) {
        coefficients(fit, fit->tmp);
        if (fit->opt.exact)
            MG__CHECK(mg__fit_exact_solve(fit));
    }
    if (fit->solved)
        memcpy(fit->tmp, fit->sol, m * k * sizeof *fit->tmp);
    if (!mg__all_finite(fit->tmp, k, m, m))
        return MG_ENONFINITE;
    return MG_OK;
}

/* C = (Z^T W Z)^-1 of a full-rank factor, A = the triangle's inverse. */
mg_status mg__fit_inverse(mg_fit *f, double *C, double *A)
{
    const size_t m = f->m, n = f->n, p = f->p;
    if (f->fac == MG__FAC_MEAN) {
        C[0] = 1.0 / f->wsum;
        return MG_OK;
    }
    if (f->fac == MG__FAC_TRI) {
        /* (Z^T W Z)^-1 = R_Z^-1 R_Z^-T = A A^T */
        MG__CHECK(mg__fit_inverse_upper(f->S, m, n, A, NULL));
        for (size_t j = 0; j < m; j++)
            for (size_t i = 0; i <= j; i++) {
                double t = 0.0;
                for (size_t l = j; l < m; l++)
                    t += A[l * m + i] * A[l * m + j];
                C[j * m + i] = C[i * m + j] = t;
            }
        return MG_OK;
    }
    if (f->fac != MG__FAC_CHOL)
        return MG_EINVAL;
    /* M_xx^-1 = D G^-1 D = D A A^T D  (G = D M_xx D = U^T U, A = U^-1) */
    MG__CHECK(mg__fit_inverse_upper(f->F, p, p, A, NULL));
    const size_t ic = f->ic;
    for (size_t j = 0; j < p; j++)
        for (size_t i = 0; i <= j; i++) {
            double t = 0.0;
            for (size_t l = j; l < p; l++)
                t += A[l * p + i] * A[l * p + j];
            t *= f->D[i] * f->D[j];
            C[(ic + j) * m + ic + i] = C[(ic + i) * m + ic + j] = t;
        }
    if (!ic)
        return MG_OK;
    /* with the intercept (Z^T W Z = [W, W mu^T; W mu, M_xx + W mu mu^T]):
     *   C_x0 = -M_xx^-1 mu,  C_00 = 1 / W + mu^T M_xx^-1 mu */
    double q = 0.0;
    for (size_t j = 0; j < p; j++) {
        double t = 0.0;
        for (size_t i = 0; i < p; i++)
            t += C[(1 + j) * m + 1 + i] * f->mean[i];
        C[1 + j] = C[(1 + j) * m] = -t;
        q += t * f->mean[j];
    }
    C[0] = 1.0 / f->wsum + q;
    return MG_OK;
}

mg_status mg_fit_finish(mg_fit *fit, mg_matrix *B, mg_lstsq_result *res)
{
    return mg__fit_finish(fit, B, res, NULL);
}

mg_status mg__fit_finish(mg_fit *fit, mg_matrix *B, mg_lstsq_result *res, const mg__fit_tss *tss)
{
    MG__CHECK(check_outputs(fit, B, res));
    MG__CHECK(mg__fit_solution(fit));
    const size_t m = fit->m, k = fit->k;
    if (res)
        MG__CHECK(statistics(fit, fit->tmp, res->std_err != NULL, tss));
    copy_out(fit->tmp, m, k, B);
    if (!res)
        return MG_OK;
    const double *sd = fit->stat + 2 * k, *r2 = sd + k, *ar2 = r2 + k;
    res->rank = fit->rank;
    res->rcond = fit->rcond;
    res->refine_steps = fit->steps;
    res->method = method_of(fit);
    res->df_residual = fit->nonzero > fit->rank ? fit->nonzero - fit->rank : 0;
    if (res->std_err)
        copy_out(fit->se, m, k, res->std_err);
    mg__fit_result_vectors(res, k, sd, r2, ar2);
    return MG_OK;
}
