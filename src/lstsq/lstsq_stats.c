/* SPDX-License-Identifier: BSD-3-Clause */
/* lstsq: the diagonal of (Z^T Z)^-1 for the coefficient standard errors,
 *     se_j = sigma * sqrt([(X^T X)^-1]_jj) = sigma * d_j * sqrt([(Z^T Z)^-1]_jj),
 * from the factors (R^-1 by triangular solves, or the SVD), then refined where
 * the factor may hold fewer than about 12 digits (lstsq.c, cov_needs_refining). */
#include "lstsq_internal.h"
#include "internal.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* v_i = ||row i of R^-1||^2 for the n x n upper-triangular R (column-major,
 * leading dimension ld).  Row i of R^-1 is u^T with R^T u = e_i, and u_l = 0
 * for l < i, so only the trailing block R[i:, i:] enters.  One triangular
 * solve per row rather than an explicit inverse: each solve is backward
 * stable on its own, (R + dR_i)^T u = e_i with |dR_i| <= gamma_n |R|
 * (Higham, ASNA, Thm 8.5), which the error bound of docs/accuracy.md
 * (step 5) needs.  u: n doubles of scratch. */
void mg__lsq_inv_row_norms(const double *R, size_t n, size_t ld, double *u, double *v)
{
    for (size_t i = 0; i < n; i++) {
        const size_t len = n - i;
        u[0] = 1.0;
        memset(u + 1, 0, (len - 1) * sizeof *u);
        /* u = R[i:, i:]^-T e_1   (forward substitution with R^T) */
        cblas_dtrsv(CblasColMajor, CblasUpper, CblasTrans, CblasNonUnit, (lapack_int)len,
                    R + i * ld + i, (lapack_int)ld, u, 1);
        double s = 0.0;
        for (size_t l = 0; l < len; l++)
            s += u[l] * u[l];
        v[i] = s;
    }
}

mg_status mg__lsq_cov_diag(const mg__lsq *q, double *v)
{
    const size_t p = q->d.p;

    if (q->kind == MG__LSQ_SVD) {
        /* (Z^T Z)^+ = V_r S_r^-2 V_r^T */
        for (size_t j = 0; j < p; j++) {
            double s = 0.0;
            for (size_t i = 0; i < q->rank; i++) {
                const double t = q->Vt[j * q->m + i] / q->s[i];
                s += t * t;
            }
            v[j] = s;
        }
        return MG_OK;
    }
    /* Z P = Q R:  (Z^T Z)^-1 = P R^-1 R^-T P^T.  Full rank here (a
     * rank-deficient fit is refactored by the SVD), so R's diagonal is
     * nonzero. */
    double *w = mg__alloc_doubles(p, 2);
    if (!w)
        return MG_ENOMEM;
    mg__lsq_inv_row_norms(q->F, p, q->d.N, w + p, w);
    for (size_t i = 0; i < p; i++)
        v[q->perm[i]] = w[i];
    free(w);
    return MG_OK;
}

/* 2^-sigma with D x 2^-sigma safely inside the double range for any x of
 * size up to 2^120: the refinement forms D x (the unscaled coordinates),
 * which for a column of subnormal entries (D_jj up to 2^1074) overflows
 * although x itself, a column of (Z^T Z)^-1, is moderate. */
static MG__MUST_USE double rhs_scale(const double *scale, const double *scale_lo, size_t p)
{
    int emax = 0;
    for (size_t j = 0; j < p; j++) {
        const int e = ilogb(scale[j]) + ilogb(scale_lo[j]);
        emax = e > emax ? e : emax;
    }
    return emax > 900 ? ldexp(1.0, 900 - emax) : 1.0;
}

/* Column j of (Z^T Z)^-1 is the x of the augmented system with y = 0 and
 * c = -e_j (r + Z x = 0, Z^T r = -e_j), so the refinement that makes the
 * coefficients accurate makes the variances accurate too.  The system is
 * solved for c = -t e_j (t = rhs_scale, a power of two: x / t is exact); a
 * non-finite or unproven refined value keeps the unrefined v_j. */
mg_status mg__lsq_cov_refine_ops(const mg__refine_ops *ops, const double *scale,
                                 const double *scale_lo, double *v, double *scratch)
{
    const size_t N = ops->n, p = ops->p;
    double *c = scratch, *x = c + p, *r = x + p, *loop = r + N;
    mg_status s = MG_OK;

    const double t = rhs_scale(scale, scale_lo, p);
    memset(c, 0, p * sizeof *c);
    for (size_t j = 0; s == MG_OK && j < p; j++) {
        double delta;
        size_t steps;
        c[j] = -t;
        s = mg__lsq_refine_ops(ops, NULL, 0, c, x, r, loop, &steps, &delta, NULL);
        c[j] = 0.0;
        if (s == MG_ENOCONV) {
            /* unproven refinement: v_j keeps the factor's value (relative
             * error about kappa eps, as documented for standard errors) */
            s = MG_OK;
            continue;
        }
        if (s == MG_OK && isfinite(x[j] / t))
            v[j] = x[j] / t;
    }
    return s;
}

mg_status mg__lsq_cov_refine(const mg__lsq *q, double *v)
{
    const size_t N = q->d.N, p = q->d.p;
    /* the residuals' accumulators (3 p), then the loop's scratch */
    double *scratch = mg__alloc_doubles(3 * p + MG__COV_REFINE_SCRATCH(N, p), 1);
    if (!scratch)
        return MG_ENOMEM;
    mg__refine_ops ops;
    mg__lsq_single_ctx ctx;
    mg__lsq_single_ops(q, scratch, &ops, &ctx);
    const mg_status s = mg__lsq_cov_refine_ops(&ops, q->scale, q->scale_lo, v, scratch + 3 * p);
    free(scratch);
    return s;
}

long double mg__lsq_tss(const double *y, size_t N, size_t ys, const mg_matrix *w, int centred)
{
    if (!w) {
        /* the mean in long double, then exactly formed deviations (xdot.h) */
        const double mean = centred ? (double)(mg__xsum(y, N, ys) / (long double)N) : 0.0;
        return mg__xsumsq(y, N, ys, mean);
    }
    long double sw = 0.0L, swy = 0.0L, t = 0.0L;
    for (size_t i = 0; centred && i < N; i++) {
        const long double wi = w->data[i * w->stride];
        sw += wi;
        swy += wi * y[i * ys];
    }
    const long double mean = sw > 0.0L ? swy / sw : 0.0L;
    for (size_t i = 0; i < N; i++) {
        const long double d = y[i * ys] - mean;
        t += (long double)w->data[i * w->stride] * d * d;
    }
    return t;
}
