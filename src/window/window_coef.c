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
#include <stdint.h>
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

/* A power of two g near 1 / x (x > 0 finite), from x's exponent bits (no
 * libm call): x g lies in [1, 2), and scaling by g is exact.  0 when g
 * would overflow or the scaled entries could lose bits to underflow (x
 * subnormal, or its exponent beyond +-1000). */
static double pow2_near_inverse(double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    const int e = (int)((b >> 52) & 0x7ff) - 1023;
    if (e < -1000 || e > 1000)
        return 0.0;
    b = (uint64_t)(1023 - e) << 52;
    double g;
    memcpy(&g, &b, sizeof g);
    return g;
}

/* a <- the first n entries of column v times a factor g that keeps their
 * squares from under- or overflowing, and returns ||a||_2 (0 for a zero
 * column).  g = 1 when the plain sum of squares lies in [2^-900, 2^900]
 * (a square that underflows then moves it by less than n 2^-170
 * relative); else a power of two near 1 / max |v_i| (exact), or 1 / max
 * |v_i| itself where that power would overflow or lose bits.  Powers of
 * two commute with rounding, so the condition number below comes out the
 * same whichever g a column took (barring entries that underflow once
 * scaled, far below their column's largest). */
static inline __attribute__((always_inline)) double scaled_column(const double *v, size_t n,
                                                                   double *a)
{
    double s = 0.0;
    MG__WINDOW_UNROLL
    for (size_t i = 0; i < n; i++)
        s += v[i] * v[i];
    if (s >= 0x1p-900 && s <= 0x1p900) {
        MG__WINDOW_UNROLL
        for (size_t i = 0; i < n; i++)
            a[i] = v[i];
        return sqrt(s);
    }
    double big = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double t = fabs(v[i]);
        big = t > big ? t : big; /* v is finite: no fmax (a call at -O2) */
    }
    if (big == 0.0)
        return 0.0;
    const double g = pow2_near_inverse(big);
    if (g != 0.0)
        for (size_t i = 0; i < n; i++)
            a[i] = v[i] * g;
    else /* 2^-e would overflow or lose bits: divide by big itself */
        for (size_t i = 0; i < n; i++)
            a[i] = v[i] / big;
    s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * a[i];
    return sqrt(s);
}

/* 1 / (||A||_1 ||A^-1||_1) of the upper-triangular A = R_zz D (m x m), D
 * scaling R_zz's columns to unit 2-norm (a column of R has the 2-norm of
 * the design's column); 0 for a zero column or pivot.  Exact, not an
 * estimate: A^-1 by columns (m^3 / 6 flops, nothing beside the fold's
 * m^3).
 * D is not applied entry by entry: S = R_zz G, G = diag(g_j) the factors
 * of scaled_column (exact but in the rarest case), has columns of norm f_j, so A = S F^-1 and
 * A^-1 = F S^-1 (F = diag(f_j)):
 *     ||A||_1 = max_j ||S(:, j)||_1 / f_j,
 *     ||A^-1||_1 = max_j sum_i f_i |(S^-1)(i, j)|,
 * one division per column instead of one per entry.  R: the triangle
 * (leading dimension q); S: m x m scratch (column-major), f and dinv: m
 * each, and m more after dinv.  Compiled once per small m. */
static inline __attribute__((always_inline)) double
rcond_n(size_t m, const double *R, size_t q, double *S, double *f, double *dinv)
{
    double an = 0.0, in = 0.0;
    MG__WINDOW_UNROLL
    for (size_t j = 0; j < m; j++) {
        double *s = S + j * m, s1 = 0.0;
        f[j] = scaled_column(R + j * q, j + 1, s);
        if (f[j] == 0.0)
            return 0.0;
        MG__WINDOW_UNROLL
        for (size_t i = 0; i <= j; i++)
            s1 += fabs(s[i]);
        s1 /= f[j];
        an = s1 > an ? s1 : an;
    }
    MG__WINDOW_UNROLL
    for (size_t i = 0; i < m; i++)
        dinv[i] = 1.0 / S[i * m + i]; /* Inf for a zero pivot: rcond 0 below */
    double *c = dinv + m;
    MG__WINDOW_UNROLL
    for (size_t j = 0; j < m; j++) {
        double s = 0.0;
        /* column j of S^-1: S c = e_j, back substitution (by the pivots'
         * reciprocals: a relative error of eps more per entry, no matter
         * for a condition number) */
        MG__WINDOW_UNROLL
        for (size_t i = j + 1; i-- > 0;) {
            double t = i == j ? 1.0 : 0.0;
            MG__WINDOW_UNROLL
            for (size_t l = i + 1; l <= j; l++)
                t -= S[l * m + i] * c[l];
            c[i] = t * dinv[i];
            s += f[i] * fabs(c[i]);
        }
        in = s > in || s != s ? s : in;
    }
    const double rc = 1.0 / (an * in);
    return isfinite(rc) ? rc : 0.0;
}

#define RCOND_N(n, rc, R, q, S, f, dinv) rc = rcond_n(n, R, q, S, f, dinv)

static double equilibrated_rcond(const mg_window *win, double *S, double *f, double *dinv)
{
    double rc;
    MG__WINDOW_BY_M(RCOND_N, RCOND_N, win->m, rc, win->tri, win->q, S, f, dinv)
    return rc;
}

/* B <- R_zz^-1 R_zy by back substitution (R: the triangle, leading
 * dimension q), through the scratch Bt (m x k, column-major) so that B is
 * written only when all of it is finite; returns 0, B untouched, when an
 * entry is not (|b| <= DBL_MAX fails for NaN and Inf: the check rides
 * along, no second pass).  Compiled once per small m. */
static inline __attribute__((always_inline)) int
solve_n(size_t m, const double *R, size_t q, size_t k, double *Bt, mg_matrix *B)
{
    int ok = 1;
    for (size_t c = 0; c < k; c++) {
        double *b = Bt + c * m;
        const double *rhs = R + (m + c) * q;
        /* R_zz b = R_zy(:, c) */
        MG__WINDOW_UNROLL
        for (size_t i = m; i-- > 0;) {
            double s = rhs[i];
            MG__WINDOW_UNROLL
            for (size_t j = i + 1; j < m; j++)
                s -= R[j * q + i] * b[j];
            b[i] = s / R[i * q + i];
            ok &= fabs(b[i]) <= DBL_MAX;
        }
    }
    if (!ok)
        return 0;
    for (size_t c = 0; c < k; c++) {
        MG__WINDOW_UNROLL
        for (size_t i = 0; i < m; i++)
            B->data[i * B->stride + c] = Bt[c * m + i];
    }
    return 1;
}

#define SOLVE_N(n, ok, R, q, k, Bt, B) ok = solve_n(n, R, q, k, Bt, B)

static MG__MUST_USE int solve(const mg_window *win, double *Bt, mg_matrix *B)
{
    int ok;
    MG__WINDOW_BY_M(SOLVE_N, SOLVE_N, win->m, ok, win->tri, win->q, win->k, Bt, B)
    return ok;
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
    double *S = win->work, *Bt = S + m * m, *sd = Bt + m * k, *r2 = sd + k, *f = r2 + k;
    mg__window_triangle(win);
    const double rc = equilibrated_rcond(win, S, f, f + m);
    /* mg_lstsq's default rank tolerance: below it the design is singular
     * to working precision and B is not determined */
    const double tol = (double)(win->n > m ? win->n : m) * DBL_EPSILON;
    if (!(rc > tol))
        return MG_ESINGULAR;
    if (!solve(win, Bt, B))
        return MG_ENONFINITE; /* B untouched */
    if (residual_sd || r_squared)
        summary(win, sd, r2); /* long double sums: only when asked for */
    if (residual_sd)
        memcpy(residual_sd, sd, k * sizeof *sd);
    if (r_squared)
        memcpy(r_squared, r2, k * sizeof *r2);
    if (rcond)
        *rcond = rc;
    return MG_OK;
}
