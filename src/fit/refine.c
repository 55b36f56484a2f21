/* SPDX-License-Identifier: BSD-3-Clause */
/* fit: refinement by corrected semi-normal equations (Bjorck, 1987;
 * docs/derivations.md, "One model of a fit").
 *
 * One replay of the rows forms, for the current B,
 *     R = Y - Z B,   G = Z^T W R,   rss_c = sum_i w_i R_ic^2
 * with every residual in double-double (about 106 bits: exact products by
 * FMA, exact sums by TwoSum) and G, rss accumulated in double-double too,
 * so the only rounding is the final one.  The correction solves
 *     (Z^T W Z + ridge P) dB = G - ridge P B
 * with the state's factor (R_Z^T R_Z for QR, the Cholesky factor for
 * GRAM).  The fixed point is the exact solution of the double data; the
 * factor's own error only slows the contraction, by about kappa(Z)^2 eps
 * per step. */
#include "fit_internal.h"
#include "kernels/cpu.h"
#include "kernels/xdot.h"

#include <float.h>
#include <string.h>

static void copy_in(const mg_matrix *B, size_t m, size_t k, double *cm)
{
    for (size_t j = 0; j < m; j++)
        for (size_t c = 0; c < k; c++)
            cm[c * m + j] = B->data[j * B->stride + c];
}

static mg_status check_b(const mg_fit *fit, const mg_matrix *B)
{
    if (!fit)
        return MG_EINVAL;
    MG__CHECK(mg_matrix_check(B));
    if (B->rows != fit->m || B->cols != fit->k)
        return MG_EDIM;
    return MG_OK;
}

mg_status mg_fit_refine_begin(mg_fit *fit, const mg_matrix *B)
{
    MG__CHECK(check_b(fit, B));
    if (!mg__all_finite(B->data, B->rows, B->cols, B->stride))
        return MG_ENONFINITE;
    MG__CHECK(mg__fit_check_range(fit));
    mg__fit_refine_start(fit, B);
    return MG_OK;
}

void mg__fit_refine_start(mg_fit *fit, const mg_matrix *B)
{
    const size_t mk = fit->m * fit->k;
    copy_in(B, fit->m, fit->k, fit->rb);
    memset(fit->ghi, 0, mk * sizeof *fit->ghi);
    memset(fit->glo, 0, mk * sizeof *fit->glo);
    memset(fit->rsshi, 0, fit->k * sizeof *fit->rsshi);
    memset(fit->rsslo, 0, fit->k * sizeof *fit->rsslo);
    fit->rrows = fit->rnonzero = 0;
    fit->refining = 1;
}

/* The replay kernel.  Its body is compiled twice, for any x86-64 and for
 * AVX2 + FMA (picked at run time, as in src/kernels/xdot.c); both perform
 * the same operations in the same order (fma() is exact either way), so
 * the result does not depend on the CPU. */
#define MG__FIT_INLINE static inline __attribute__((always_inline))

/* (rh, rl) = y - b0 - sum_j x_j b_j in double-double (the shared row
 * kernel, src/kernels/xdot.h); the intercept term 1 * b_0 is exact. */
MG__FIT_INLINE void resid_dd(const double *restrict x, const double *restrict b, size_t p,
                             double y, const double *b0, double *rh, double *rl)
{
    double s0 = y, s1 = 0.0;
    if (b0)
        mg__two_sum(y, -*b0, &s0, &s1);
    mg__xdot_resid(x, b, p, s0, s1, rh, rl);
}

/* A replay call's own sums (G = Z^T W R and rss, double-double), formed
 * in scratch and merged into the state's only when the whole call has
 * succeeded: a call that meets NaN/Inf leaves the state untouched. */
typedef struct replay_sums {
    double *gh, *gl;   /* m x k */
    double *rh, *rl;   /* k */
} replay_sums;

/* One row of weight wi > 0: residuals of every output against rb, folded
 * into G = Z^T W R and rss = sum w r^2. */
MG__FIT_INLINE void refine_row(const mg_fit *f, const replay_sums *a, const double *x,
                               const double *y, double wi)
{
    const size_t m = f->m, p = f->p, ic = f->ic;
    for (size_t c = 0; c < f->k; c++) {
        const double *b = f->rb + c * m;
        double *gh = a->gh + c * m, *gl = a->gl + c * m;
        double rh, rl, wh, wl, ph, pl;
        resid_dd(x, b + ic, p, y[c], ic ? b : NULL, &rh, &rl);
        /* w r as a double-double (wh, wl) */
        mg__two_prod(wi, rh, &wh, &wl);
        wl = fma(wi, rl, wl);
        if (ic) {
            mg__dd_add(&gh[0], &gl[0], wh);
            gl[0] += wl;
        }
        mg__dd_axpy(gh + ic, gl + ic, x, p, wh, wl);
        /* rss += w r^2 */
        double qh, ql;
        mg__two_prod(rh, rh, &qh, &ql);
        ql = fma(2.0 * rh, rl, ql);
        mg__two_prod(wi, qh, &ph, &pl);
        mg__dd_add(&a->rh[c], &a->rl[c], ph);
        a->rl[c] += fma(wi, ql, pl);
    }
}

/* Rows ahead that refine_rows prefetches (8 rows of 64 doubles: 4 KiB;
 * 4 and 16 measured slower, docs/performance.md). */
enum { REFINE_AHEAD = 8 };

MG__FIT_INLINE size_t refine_rows(const mg_fit *f, const replay_sums *a, const mg_matrix *X,
                                  const mg_matrix *Y, const mg_matrix *w, size_t i0, size_t i1)
{
    size_t nz = 0;
    for (size_t i = i0; i < i1; i++) {
        /* the row REFINE_AHEAD rows on, one hint per 64-byte line: the
         * rows' arithmetic is long enough that the hardware's prefetcher
         * alone left the loads of x waiting on memory */
        if (f->p && i + REFINE_AHEAD < X->rows)
            for (size_t l = 0; l < f->p; l += 8)
                __builtin_prefetch(X->data + (i + REFINE_AHEAD) * X->stride + l, 0, 3);
        const double wi = w ? w->data[i * w->stride] : 1.0;
        if (wi == 0.0)
            continue;
        nz++;
        refine_row(f, a, f->p ? X->data + i * X->stride : NULL, Y->data + i * Y->stride, wi);
    }
    return nz;
}

#ifdef MG__CPU_X86
__attribute__((target("avx2,fma")))
static size_t refine_rows_fma(const mg_fit *f, const replay_sums *a, const mg_matrix *X,
                              const mg_matrix *Y, const mg_matrix *w, size_t i0, size_t i1)
{
    return refine_rows(f, a, X, Y, w, i0, i1);
}
#endif

static size_t refine_rows_generic(const mg_fit *f, const replay_sums *a, const mg_matrix *X,
                                  const mg_matrix *Y, const mg_matrix *w, size_t i0, size_t i1)
{
    return refine_rows(f, a, X, Y, w, i0, i1);
}

/* 1 if rows [i0, i1) of X and Y are finite. */
static int rows_finite(const mg_fit *f, const mg_matrix *X, const mg_matrix *Y, size_t i0,
                       size_t i1)
{
    return (f->p == 0 || mg__all_finite(X->data + i0 * X->stride, i1 - i0, f->p, X->stride)) &&
           mg__all_finite(Y->data + i0 * Y->stride, i1 - i0, f->k, Y->stride);
}

/* 1 if the rows of weight zero among [0, N) are finite. */
static int zero_weight_rows_finite(const mg_fit *f, const mg_matrix *X, const mg_matrix *Y,
                                   const mg_matrix *w, size_t N)
{
    for (size_t i = 0; i < N; i++)
        if (w->data[i * w->stride] == 0.0 && !rows_finite(f, X, Y, i, i + 1))
            return 0;
    return 1;
}

/* (hi, lo) += (h2, l2) */
static void dd_merge(double *hi, double *lo, double h2, double l2)
{
    double e;
    mg__two_sum(*hi, h2, hi, &e);
    *lo += e + l2;
}

mg_status mg_fit_refine_accumulate(mg_fit *fit, const mg_matrix *X, const mg_matrix *Y,
                                   const mg_matrix *w)
{
    size_t N = 0;
    MG__CHECK(mg__fit_check_rows(fit, X, Y, w, 0, &N));
    if (!fit->refining)
        return rows_finite(fit, X, Y, 0, N) ? MG_EINVAL : MG_ENONFINITE;
    const size_t mk = fit->m * fit->k, k = fit->k;
    /* the call's sums in scratch that refine_accumulate does not otherwise
     * use (tmp, se: m x k; stat: 5 k) */
    const replay_sums a = { fit->tmp, fit->se, fit->stat, fit->stat + k };
    memset(a.gh, 0, mk * sizeof *a.gh);
    memset(a.gl, 0, mk * sizeof *a.gl);
    memset(a.rh, 0, 2 * k * sizeof *a.rh);
#ifdef MG__CPU_X86
    const int fma_ok = mg__cpu_has_avx2_fma();
#endif
    size_t nz = 0;
    for (size_t i0 = 0; i0 < N; i0 += MG__FIT_BLOCK) {
        const size_t i1 = N - i0 < MG__FIT_BLOCK ? N : i0 + MG__FIT_BLOCK;
#ifdef MG__CPU_X86
        if (fma_ok)
            nz += refine_rows_fma(fit, &a, X, Y, w, i0, i1);
        else
#endif
            nz += refine_rows_generic(fit, &a, X, Y, w, i0, i1);
    }
    /* Every row must be finite (weight zero too, as accumulate checks
     * them).  A NaN or Inf in a row of nonzero weight reaches the call's
     * sums, which are in scratch: their finiteness stands for a scan of the
     * data, which then runs only when they are not finite (a sum can also
     * overflow from finite rows; that is not a data error, and goes on as
     * before) and over the rows of weight zero, which the kernel skips. */
    if (!(mg__all_finite(a.gh, 1, mk, mk) && mg__all_finite(a.gl, 1, mk, mk) &&
          mg__all_finite(a.rh, 1, 2 * k, 2 * k)) &&
        !rows_finite(fit, X, Y, 0, N))
        return MG_ENONFINITE;
    if (w && !zero_weight_rows_finite(fit, X, Y, w, N))
        return MG_ENONFINITE;
    for (size_t i = 0; i < mk; i++)
        dd_merge(&fit->ghi[i], &fit->glo[i], a.gh[i], a.gl[i]);
    for (size_t c = 0; c < k; c++)
        dd_merge(&fit->rsshi[c], &fit->rsslo[c], a.rh[c], a.rl[c]);
    fit->rrows += N;
    fit->rnonzero += nz;
    return MG_OK;
}

mg_status mg_fit_refine_merge(mg_fit *dst, const mg_fit *src)
{
    MG__CHECK(mg__fit_compatible(dst, src));
    const size_t mk = dst->m * dst->k;
    if (!dst->refining || !src->refining || memcmp(dst->rb, src->rb, mk * sizeof *dst->rb) != 0)
        return MG_EINVAL;
    for (size_t i = 0; i < mk; i++)
        dd_merge(&dst->ghi[i], &dst->glo[i], src->ghi[i], src->glo[i]);
    for (size_t c = 0; c < dst->k; c++)
        dd_merge(&dst->rsshi[c], &dst->rsslo[c], src->rsshi[c], src->rsslo[c]);
    dst->rrows += src->rrows;
    dst->rnonzero += src->rnonzero;
    return MG_OK;
}

/* The right-hand side G - ridge P B, rounded once, into g (m x k). */
static void gradient(const mg_fit *f, double *g)
{
    const size_t m = f->m, mk = m * f->k;
    for (size_t i = 0; i < mk; i++) {
        double h = f->ghi[i], l = f->glo[i];
        if (f->opt.ridge > 0.0 && i % m >= f->ic) {
            double ph, pl;
            mg__two_prod(f->opt.ridge, f->rb[i], &ph, &pl);
            dd_merge(&h, &l, -ph, -pl);
        }
        g[i] = h + l;
    }
}

/* The size of a correction, two ways:
 *   coef: max_j |dB_j| / max(|B_j|, eps max_i |B_i|), per output: each
 *         coefficient against itself (normwise for those that are, nearly,
 *         zero): the test for "at rounding level";
 *   norm: max_j |dB_j| / max_j |B_j|, per output: the measure whose decrease
 *         shows contraction (a coefficient whose exact value is 0 keeps a
 *         relative correction of 1 while it shrinks in absolute terms). */
static void change(const double *dB, const double *B, size_t m, size_t k, double *coef,
                   double *norm)
{
    *coef = *norm = 0.0;
    for (size_t c = 0; c < k; c++) {
        double bn = 0.0, dn = 0.0;
        for (size_t j = 0; j < m; j++) {
            bn = fmax(bn, fabs(B[c * m + j]));
            dn = fmax(dn, fabs(dB[c * m + j]));
        }
        if (dn == 0.0)
            continue;
        *norm = fmax(*norm, bn > 0.0 ? dn / bn : INFINITY);
        for (size_t j = 0; j < m; j++) {
            const double den = fmax(fabs(B[c * m + j]), DBL_EPSILON * bn);
            if (dB[c * m + j] != 0.0)
                *coef = fmax(*coef, den > 0.0 ? fabs(dB[c * m + j]) / den : INFINITY);
        }
    }
}

/* Refinement contracts by about rho = c (m + 1) eps kappa(Z)^2 per step
 * (the solve with R^T R or the Cholesky factor of Z^T W Z); the same bound
 * as the Gram matrix's refusal threshold (factor.c) keeps rho <= 1/4, so
 * that a small correction means a small error.  Beyond it a correction can
 * be small by accident, and "converged" would be a guess. */
int mg__fit_contracts(const mg_fit *f)
{
    return f->rkept * f->rkept >= 32.0 * (double)(f->m + 1) * DBL_EPSILON;
}

/* The contraction bound the refusal threshold is built on: rho <= 8 (m + 1)
 * eps kappa(Z)^2, kappa(Z)^2 ~ 1 / rkept^2 (<= 1/4 where mg__fit_contracts
 * holds). */
static double contraction_bound(const mg_fit *f)
{
    return 8.0 * (double)(f->m + 1) * DBL_EPSILON / (f->rkept * f->rkept);
}

/* D_j, the factor's scale of coefficient j: B_j = D_j x_j.  GRAM with the
 * intercept solves for the slopes only (centred) and b_0 = mean_y -
 * mean_x^T b_x, so an error e_x of x moves b_0 by mean_x^T D e_x, at most
 * sum_i |mean_i| D_i ||e_x||: that sum is the intercept's "scale". */
static double scale_of(const mg_fit *f, size_t j)
{
    if (f->fac != MG__FAC_CHOL || !f->ic)
        return f->D[j];
    if (j > 0)
        return f->D[j - 1];
    double s = 0.0;
    for (size_t i = 0; i < f->p; i++)
        s += fabs(f->mean[i]) * f->D[i];
    return s;
}

/* 1 if B + dB is within a quarter ulp of the exact solution by the a-priori
 * bound: with e the error of B, e + dB the error after the step, and
 * ||e + dB|| <= rho ||e||, ||e|| <= ||dB|| / (1 - rho), so
 * ||e + dB||_2 <= rho / (1 - rho) ||dB||_2 in the equilibrated coordinates
 * x = D^-1 B in which the factor was computed (rho bounds the iteration
 * there).  Each coefficient's error is at most D_j that norm; ||dx||_2 <=
 * sqrt(m) max |dx_i|.  Saves the replay that would only confirm it. */
static int within_bound(const mg_fit *f, const double *dB, const double *B)
{
    if (f->fac != MG__FAC_TRI && f->fac != MG__FAC_CHOL)
        return 0;
    const size_t m = f->m;
    const double rho = contraction_bound(f);
    if (!(rho <= 0.25))
        return 0;
    for (size_t c = 0; c < f->k; c++) {
        double dx = 0.0, bn = 0.0;
        /* GRAM's intercept is not a coordinate of x (see scale_of) */
        const size_t j0 = f->fac == MG__FAC_CHOL ? f->ic : 0;
        for (size_t j = 0; j < m; j++) {
            if (j >= j0)
                dx = fmax(dx, fabs(dB[c * m + j]) / scale_of(f, j));
            bn = fmax(bn, fabs(B[c * m + j]));
        }
        const double err = rho / (1.0 - rho) * sqrt((double)m) * dx;
        for (size_t j = 0; j < m; j++) {
            const double den = fmax(fabs(B[c * m + j]), DBL_EPSILON * bn);
            if (!(scale_of(f, j) * err <= 0.25 * DBL_EPSILON * den))
                return 0;
        }
    }
    return 1;
}

int mg__fit_step_ok(mg_fit *f, const double *dB, const double *B, int stall_ok, int *done)
{
    double d, dn;
    change(dB, B, f->m, f->k, &d, &dn);
    /* a correction at rounding level: B + dB is the exact solution to
     * within about an ulp (the contraction is <= 1/4); or one the a-priori
     * contraction bound shows is */
    *done = d <= 2.0 * DBL_EPSILON || within_bound(f, dB, B);
    if (!*done && f->prev_d > 0.0) {
        if (!(dn < f->prev_d)) {
            /* not shrinking: a noise floor, accepted (by the caller that
             * has one) when far below the normwise rounding level */
            *done = stall_ok && dn <= 0.125 * DBL_EPSILON;
            return *done;
        }
        /* the next correction would be about d rho, rho = dn / prev the
         * observed contraction: below the last bit, so another step could
         * not change B */
        *done = d * (dn / f->prev_d) <= 0.25 * DBL_EPSILON;
    }
    f->prev_d = dn > 0.0 ? dn : DBL_MIN;
    return 1;
}

/* RSS at B + dB from RSS at B: with gz = Z^T W R and
 * (Z^T W Z + ridge P) dB = gz - ridge P B,
 *     RSS(B + dB) = RSS(B) - 2 dB^T gz + dB^T Z^T W Z dB
 *                 = RSS(B) - dB^T gz - ridge dB^T P (B + dB). */
static void updated_rss(mg_fit *f, const double *dB)
{
    const size_t m = f->m;
    for (size_t c = 0; c < f->k; c++) {
        long double r = (long double)f->rsshi[c] + f->rsslo[c];
        for (size_t j = 0; j < m; j++) {
            const size_t i = c * m + j;
            const long double gz = (long double)f->ghi[i] + f->glo[i];
            r -= dB[i] * gz;
            if (j >= f->ic)
                r -= (long double)f->opt.ridge * dB[i] * (f->rb[i] + dB[i]);
        }
        f->solrss[c] = r > 0.0L ? (double)r : 0.0;
    }
}

mg_status mg_fit_refine_end(mg_fit *fit, mg_matrix *B, int *converged)
{
    MG__CHECK(check_b(fit, B));
    if (!fit->refining)
        return MG_EINVAL;
    if (fit->rrows != fit->rows || fit->rnonzero != fit->nonzero)
        return MG_EDIM;
    MG__CHECK(mg__fit_factor(fit));
    const size_t m = fit->m, k = fit->k, mk = m * k;
    double *dB = fit->tmp;
    gradient(fit, dB);
    for (size_t c = 0; c < k; c++)
        if (!isfinite(fit->rsshi[c] + fit->rsslo[c]))
            return MG_ENONFINITE;
    if (!mg__all_finite(dB, k, m, m))
        return MG_ENONFINITE;
    /* dB = (Z^T W Z + ridge P)^-1 (G - ridge P B) */
    mg__fit_normal_solve(fit, dB, k);
    if (!mg__all_finite(dB, k, m, m))
        return MG_ENONFINITE;
    if (!mg__fit_contracts(fit))
        return MG_ENOCONV;
    int done = 0;
    if (!mg__fit_step_ok(fit, dB, fit->rb, 0, &done))
        return MG_ENOCONV; /* not shrinking: no fixed point within reach */
    updated_rss(fit, dB);
    for (size_t i = 0; i < mk; i++)
        fit->sol[i] = fit->rb[i] + dB[i];
    for (size_t j = 0; j < m; j++)
        for (size_t c = 0; c < k; c++)
            B->data[j * B->stride + c] = fit->sol[c * m + j];
    fit->solved = 1;
    fit->refining = 0;
    fit->steps++;
    if (converged)
        *converged = done;
    return MG_OK;
}
