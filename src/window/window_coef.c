/* SPDX-License-Identifier: BSD-3-Clause */
/* window: coefficients and statistics from the window's triangle.
 *
 * With R the triangle of the augmented rows [Z Y] (m + k columns),
 *     R = [R_zz R_zy; 0 R_yy],   B = R_zz^-1 R_zy,
 * and the residual of output c is the part of its column orthogonal to Z,
 *     RSS_c = sum_{i = m}^{m + c} R(i, m + c)^2,
 * while its whole column gives ||y_c||^2 = sum_{i <= m + c} R(i, m + c)^2,
 * so the TSS about zero is that sum and, with the intercept (column 0 of
 * Z, whose orthonormal direction is the constant vector), the TSS about the
 * mean is the same sum without row 0 (docs/derivations.md, "One model of a
 * fit").  No sum of squares of the data is formed outside the triangle. */
#include "window_internal.h"
#include "fit/fit_internal.h"

#include <float.h>
#include <math.h>
#include <string.h>

static int ranges_overlap(const void *a, size_t na, const void *b, size_t nb)
{
    const char *pa = a, *pb = b;
    if (!a || !b)
        return 0;
    return pa < pb + nb && pb < pa + na;
}

static MG__MUST_USE mg_status check_outputs(const mg_window *win, const mg_matrix *B,
                                            const double *sd, const double *r2)
{
    if (!win || !B)
        return MG_EINVAL;
    MG__CHECK(mg_matrix_check(B));
    if (B->rows != win->m || B->cols != win->k)
        return MG_EDIM;
    const size_t k = win->k, kb = k * sizeof(double);
    const size_t bb = ((B->rows - 1) * B->stride + B->cols) * sizeof(double);
    if (ranges_overlap(sd, kb, r2, kb) || ranges_overlap(sd, kb, B->data, bb) ||
        ranges_overlap(r2, kb, B->data, bb))
        return MG_EINVAL;
    if (win->n == 0)
        return MG_EINVAL;
    return MG_OK;
}

/* 2-norm of v (n entries), scaled by its largest magnitude so that no
 * square under- or overflows. */
static double norm2(const double *v, size_t n)
{
    double big = 0.0, s = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double a = fabs(v[i]);
        big = a > big ? a : big; /* v is finite: no fmax (a call at -O2) */
    }
    if (big == 0.0)
        return 0.0;
    const int e = ilogb(big);
    if (e < -1000 || e > 1000) {
        /* 2^-e would overflow or lose bits: divide by big itself */
        for (size_t i = 0; i < n; i++)
            s += (v[i] / big) * (v[i] / big);
        return big * sqrt(s);
    }
    /* a power of two near 1 / big: exact scaling, no division per entry */
    const double inv = ldexp(1.0, -e);
    for (size_t i = 0; i < n; i++)
        s += (v[i] * inv) * (v[i] * inv);
    return sqrt(s) / inv;
}

/* 1 / (||A||_1 ||A^-1||_1) of the upper-triangular A = R_zz D (m x m,
 * column-major), D scaling R_zz's columns to unit 2-norm (a column of R has
 * the 2-norm of the design's column); 0 for a zero column or pivot.
 * Exact, not an estimate: A^-1 by columns (m^3 / 6 flops, nothing beside
 * the fold's m^3).  A: m x m scratch, Ai: m x m. */
static double equilibrated_rcond(const mg_window *win, double *A, double *Ai)
{
    const size_t m = win->m, q = win->q;
    double an = 0.0, in = 0.0;
    double *dinv = Ai + m * m + m * win->k + 2 * win->k; /* after coef's Bt, sd, r2 */
    for (size_t j = 0; j < m; j++) {
        const double nrm = norm2(win->tri + j * q, j + 1);
        if (nrm == 0.0)
            return 0.0;
        double s = 0.0;
        for (size_t i = 0; i <= j; i++) {
            A[j * m + i] = win->tri[j * q + i] / nrm;
            s += fabs(A[j * m + i]);
        }
        an = s > an ? s : an;
    }
    for (size_t i = 0; i < m; i++)
        dinv[i] = 1.0 / A[i * m + i]; /* Inf for a zero pivot: rcond 0 below */
    for (size_t j = 0; j < m; j++) {
        double *c = Ai + j * m, s = 0.0;
        /* column j of A^-1: A c = e_j, back substitution (by the pivots'
         * reciprocals: a relative error of eps more per entry, no matter
         * for a condition number) */
        for (size_t i = j + 1; i-- > 0;) {
            double t = i == j ? 1.0 : 0.0;
            for (size_t l = i + 1; l <= j; l++)
                t -= A[l * m + i] * c[l];
            c[i] = t * dinv[i];
            s += fabs(c[i]);
        }
        in = s > in || s != s ? s : in;
    }
    const double rc = 1.0 / (an * in);
    return isfinite(rc) ? rc : 0.0;
}

/* Bt (m x k, column-major) <- R_zz^-1 R_zy by back substitution. */
static void back_substitute(const mg_window *win, double *Bt)
{
    const size_t m = win->m, q = win->q;
    const double *R = win->tri;
    for (size_t c = 0; c < win->k; c++) {
        double *b = Bt + c * m;
        const double *rhs = R + (m + c) * q;
        /* R_zz b = R_zy(:, c) */
        for (size_t i = m; i-- > 0;) {
            double s = rhs[i];
            for (size_t j = i + 1; j < m; j++)
                s -= R[j * q + i] * b[j];
            b[i] = s / R[i * q + i];
        }
    }
}

/* sd, r2 (k each) from the trailing columns of the triangle. */
static void summary(const mg_window *win, double *sd, double *r2)
{
    const size_t m = win->m, q = win->q;
    for (size_t c = 0; c < win->k; c++) {
        const double *col = win->tri + (m + c) * q;
        long double rss = 0.0L, tss = 0.0L;
        for (size_t i = 0; i <= m + c; i++) {
            const long double v = (long double)col[i] * col[i];
            if (i >= m)
                rss += v;
            if (i >= win->ic)
                tss += v;
        }
        double ar2;
        mg__fit_summary(rss, tss, win->n - m, win->n - win->ic, &sd[c], &r2[c], &ar2);
    }
}

mg_status mg_window_coef(mg_window *win, mg_matrix *B, double *residual_sd, double *r_squared,
                         double *rcond)
{
    MG__CHECK(check_outputs(win, B, residual_sd, r_squared));
    const size_t m = win->m, k = win->k;
    if (win->n < m)
        return MG_ESINGULAR;
    double *A = win->work, *Ai = A + m * m, *Bt = Ai + m * m;
    double *sd = Bt + m * k, *r2 = sd + k;
    mg__window_triangle(win);
    const double rc = equilibrated_rcond(win, A, Ai);
    /* mg_lstsq's default rank tolerance: below it the design is singular
     * to working precision and B is not determined */
    const double tol = (double)(win->n > m ? win->n : m) * DBL_EPSILON;
    if (!(rc > tol))
        return MG_ESINGULAR;
    back_substitute(win, Bt);
    if (!mg__all_finite(Bt, 1, m * k, m * k))
        return MG_ENONFINITE;
    if (residual_sd || r_squared)
        summary(win, sd, r2); /* long double sums: only when asked for */
    for (size_t j = 0; j < m; j++)
        for (size_t c = 0; c < k; c++)
            B->data[j * B->stride + c] = Bt[c * m + j];
    if (residual_sd)
        memcpy(residual_sd, sd, k * sizeof *sd);
    if (r_squared)
        memcpy(r_squared, r2, k * sizeof *r2);
    if (rcond)
        *rcond = rc;
    return MG_OK;
}
