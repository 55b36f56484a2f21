/* SPDX-License-Identifier: BSD-3-Clause */
/* window (matgrad/window.h): every window of a long stream against a fresh
 * mg_lstsq fit of the same rows, on data where downdating fails (rows a
 * thousand million times larger than the rest entering and leaving,
 * windows whose condition number sweeps 1e0 .. 1e8, a drifting design),
 * and every error status.
 *
 * Tolerances (docs/accuracy.md, "Sliding windows").  The window's triangle
 * is a Householder QR of exactly its rows: each column of the augmented
 * rows passes through at most (W + 1) q reflections of length <= q + 1
 * (at most W row folds of the suffix chain, then the merge), so by
 * Higham, ASNA 2nd ed., Lemma 19.3 / Thm 19.4 the computed factor is exact
 * for columns perturbed by relative amounts below
 *     eps_c = (W + 1) q gamma_{4 (q + 1)}      (columnwise),
 * and the triangular solve adds a backward error of gamma_q columnwise.
 * For the column-equilibrated design Z D (D: the columns' 2-norms, so the
 * bound is unchanged by column scaling) the normwise backward error is at
 * most eps_b = sqrt(q) (eps_c + gamma_q), and the forward error of
 * D^-1 b follows from Higham's Thm 20.1 (mgt_lstsq_fwd_bound) with
 * kappa = kappa(Z D) from the long-double mgt_svals.  mg_lstsq's reference
 * is the exact solution within a few ulp (lstsq.h): 16 eps more.  The
 * residual sd: the optimal residual norm moves by at most the backward
 * perturbation applied to the reference solution,
 *     |r^ - r| <= eps_b' (||y|| + ||Z D|| ||D^-1 b||),
 * eps_b' the same bound with y's column included. */
#include "mgtest.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct cfg {
    size_t p, k, W, rows;
    int ic;
    uint64_t seed;
} cfg;

/* Row t of the stream: x_1 drifts, x_3 = x_2 + delta(t) noise (the
 * condition number follows 1 / delta, kappa(Z D) from 1 to about 1e8 in
 * phases), one row in 131 (more than W apart) carries a column 1e9 times
 * its usual size, and in the last fifth every other row shrinks to 1e-9;
 * y follows the model with noise
 * proportional to delta (an ill-conditioned window with a large residual
 * has no accurate answer at all, fresh fit or not). */
static void stream_row(const cfg *c, mgt_rng *r, size_t t, double *x, double *y)
{
    static const double deltas[] = { 1.0, 1e-2, 1e-4, 1e-6, 1e-7, 1e-3 };
    const size_t phase = (t / 700) % (sizeof deltas / sizeof deltas[0]);
    const double delta = deltas[phase];
    const double big = (t % 131 == 13) ? 1e9 : 1.0;
    const double small = (t > c->rows * 4 / 5 && t % 2 == 1) ? 1e-9 : 1.0;
    for (size_t j = 0; j < c->p; j++)
        x[j] = mgt_uniform(r);
    x[0] += 1e-3 * (double)t; /* drift */
    if (c->p >= 3)
        x[2] = x[1] + delta * mgt_uniform(r);
    x[c->p - 1] *= big;
    for (size_t o = 0; o < c->k; o++) {
        double s = c->ic ? 0.5 : 0.0;
        for (size_t j = 0; j < c->p; j++)
            s += (double)(j + 1 + o) * x[j];
        y[o] = s + 1e-3 * delta * mgt_uniform(r) * big;
    }
    for (size_t j = 0; j < c->p; j++)
        x[j] *= small;
    for (size_t o = 0; o < c->k; o++)
        y[o] *= small;
}

/* sum over the window's rows of col^2, for column j of [Z Y]. */
static double col_norm(const double *Xw, const double *Yw, size_t n, const cfg *c, size_t j)
{
    const size_t m = c->p + (size_t)c->ic;
    long double s = 0.0L;
    for (size_t i = 0; i < n; i++) {
        const double v = j < (size_t)c->ic ? 1.0
                         : j < m           ? Xw[i * c->p + j - (size_t)c->ic]
                                           : Yw[i * c->k + j - m];
        s += (long double)v * v;
    }
    return (double)sqrtl(s);
}

/* Checks one window's answer against a fresh mg_lstsq of its rows; returns
 * the largest error / tolerance of Bdd (plain downdating's answer, not
 * asserted; NaN counts as failing), 0 when Bdd is NULL. */
static double check_window(const cfg *c, size_t t, const double *Xw, const double *Yw, size_t n,
                           const double *B, const double *sd, const double *Bdd)
{
    double worst_dd = 0.0;
    const size_t m = c->p + (size_t)c->ic, k = c->k, q = m + k;
    double Bref[32], sdref[4];
    mg_matrix Xv = mg_matrix_view((double *)Xw, n, c->p), Yv = mg_matrix_view((double *)Yw, n, k);
    mg_matrix Bv = mg_matrix_view(Bref, m, k);
    mg_lstsq_options o = mg_lstsq_defaults();
    o.intercept = c->ic;
    mg_lstsq_result res;
    memset(&res, 0, sizeof res);
    res.residual_sd = sdref;
    const mg_status ls = mg_lstsq(&Xv, &Yv, &Bv, &o, &res);
    ck_assert_msg(ls == MG_OK, "row %zu: mg_lstsq status %d (rcond %.3g)", t, (int)ls, res.rcond);

    /* the equilibrated design Z D, D_jj = 1 / ||Z_j|| */
    double D[16], *Zs = malloc(n * c->p * sizeof *Zs);
    ck_assert_ptr_nonnull(Zs);
    for (size_t j = 0; j < m; j++)
        D[j] = 1.0 / col_norm(Xw, Yw, n, c, j);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < c->p; j++)
            Zs[i * c->p + j] = Xw[i * c->p + j] * D[(size_t)c->ic + j];
    /* the intercept column scaled by D_0 is a constant column: mgt_svals
     * takes the intercept as ones, so scale its singular values by hand
     * only when there is none (D_0 = 1 / sqrt(n) keeps kappa within
     * sqrt(n) of kappa(Z D)); the bound takes the larger kappa */
    mg_matrix Zv = mg_matrix_view(Zs, n, c->p);
    double smax, smin;
    mgt_svals(&Zv, c->ic, &smax, &smin);
    const double kappa = (c->ic ? sqrt((double)n) : 1.0) * smax / smin;
    free(Zs);

    const double eps_c = (double)(c->W + 1) * (double)q * mgt_gamma(4.0 * (double)(q + 1));
    const double eps_b = sqrt((double)q) * (eps_c + mgt_gamma((double)q));
    for (size_t o2 = 0; o2 < k; o2++) {
        long double bn = 0.0L, dn = 0.0L;
        for (size_t j = 0; j < m; j++) {
            const long double bj = (long double)Bref[j * k + o2] / D[j];
            const long double dj = ((long double)B[j * k + o2] - Bref[j * k + o2]) / D[j];
            bn += bj * bj;
            dn += dj * dj;
        }
        const double bnorm = (double)sqrtl(bn), err = (double)sqrtl(dn);
        const double rnorm = sdref[o2] * sqrt((double)(n - m));
        const double znorm = sqrt((double)m); /* ||Z D||_2 <= ||Z D||_F = sqrt(m) */
        /* Higham Thm 20.1 on Z D, plus the reference's own 16 eps */
        const double tol = mgt_lstsq_fwd_bound(eps_b, kappa, rnorm, znorm, bnorm) * bnorm +
                           16.0 * DBL_EPSILON * bnorm;
        ck_assert_msg(err <= tol, "row %zu output %zu: |dB| %.3g > %.3g (kappa %.3g)", t, o2, err,
                      tol, kappa);
        if (Bdd) {
            long double ddn = 0.0L;
            for (size_t j = 0; j < m; j++) {
                const long double dj = ((long double)Bdd[j * k + o2] - Bref[j * k + o2]) / D[j];
                ddn += dj * dj;
            }
            const double ratio = (double)sqrtl(ddn) / tol;
            worst_dd = isnan(ratio) ? INFINITY : fmax(worst_dd, ratio);
        }
        /* residual norm: moved by at most the backward perturbation */
        const double ynorm = col_norm(Xw, Yw, n, c, m + o2);
        const double tol_r = eps_b * (ynorm + znorm * bnorm) + 16.0 * DBL_EPSILON * rnorm;
        const double rgot = sd[o2] * sqrt((double)(n - m));
        ck_assert_msg(fabs(rgot - rnorm) <= tol_r, "row %zu: residual %.17g vs %.17g (tol %.3g)", t,
                      rgot, rnorm, tol_r);
    }
    return worst_dd;
}

/* Plain updating and downdating of a triangle, the method the window
 * avoids (the reference only shows that the stream defeats it): R (q x q,
 * row-major upper, positive diagonal) gains a row by Givens rotations and
 * loses one by hyperbolic rotations in the mixed form (Bojanczyk, Brent,
 * Van Dooren and de Hoog, 1987), the more stable of the plain ways.  A
 * breakdown (|z_j| >= R_jj) poisons R with NaN. */
static void dd_add(double *R, size_t q, const double *a)
{
    double z[8];
    memcpy(z, a, q * sizeof *z);
    for (size_t j = 0; j < q; j++) {
        const double r = hypot(R[j * q + j], z[j]);
        if (r == 0.0)
            continue;
        const double cs = R[j * q + j] / r, sn = z[j] / r;
        for (size_t l = j; l < q; l++) {
            const double u = R[j * q + l], v = z[l];
            R[j * q + l] = cs * u + sn * v;
            z[l] = -sn * u + cs * v;
        }
    }
}

static void dd_remove(double *R, size_t q, const double *a)
{
    double z[8];
    memcpy(z, a, q * sizeof *z);
    for (size_t j = 0; j < q; j++) {
        const double rjj = R[j * q + j], sn = z[j] / rjj;
        const double cs = sqrt((1.0 - sn) * (1.0 + sn)); /* NaN on breakdown */
        R[j * q + j] = rjj * cs;
        for (size_t l = j + 1; l < q; l++) {
            R[j * q + l] = (R[j * q + l] - sn * z[l]) / cs;
            z[l] = cs * z[l] - sn * R[j * q + l];
        }
    }
}

/* B (m x k, row-major) from the downdated triangle. */
static void dd_solve(const double *R, size_t q, size_t m, size_t k, double *B)
{
    for (size_t c = 0; c < k; c++)
        for (size_t i = m; i-- > 0;) {
            double s = R[i * q + m + c];
            for (size_t j = i + 1; j < m; j++)
                s -= R[i * q + j] * B[j * k + c];
            B[i * k + c] = s / R[i * q + i];
        }
}

static void augmented(const cfg *c, const double *x, const double *y, double *a)
{
    const size_t ic = (size_t)c->ic;
    if (ic)
        a[0] = 1.0;
    memcpy(a + ic, x, c->p * sizeof *a);
    memcpy(a + ic + c->p, y, c->k * sizeof *a);
}

/* The window of stream c and room for its rows (X: rows x p, Y: rows x k). */
static mg_window *stream_window(const cfg *c, double **X, double **Y)
{
    mg_window_options wo = mg_window_defaults();
    wo.intercept = c->ic;
    mg_window *w = NULL;
    ck_assert_int_eq(mg_window_create(c->p, c->k, c->W, &wo, &w), MG_OK);
    *X = malloc(c->rows * c->p * sizeof **X);
    *Y = malloc(c->rows * c->k * sizeof **Y);
    ck_assert(*X && *Y);
    return w;
}

static void run_stream(const cfg *c)
{
    const size_t m = c->p + (size_t)c->ic, k = c->k;
    double *X, *Y;
    mg_window *w = stream_window(c, &X, &Y);
    mgt_rng r = mgt_rng_seed(c->seed);
    size_t checked = 0, dd_failed = 0;
    const size_t q = m + k;
    double Rdd[64] = { 0 }, a[8];
    ck_assert_uint_le(q, 8);
    for (size_t t = 0; t < c->rows; t++) {
        stream_row(c, &r, t, X + t * c->p, Y + t * k);
        mg_matrix xv = mg_matrix_view(X + t * c->p, 1, c->p), yv = mg_matrix_view(Y + t * k, 1, k);
        ck_assert_int_eq(mg_window_push(w, &xv, &yv), MG_OK);
        augmented(c, X + t * c->p, Y + t * k, a);
        dd_add(Rdd, q, a);
        if (t >= c->W) {
            augmented(c, X + (t - c->W) * c->p, Y + (t - c->W) * k, a);
            dd_remove(Rdd, q, a);
        }
        size_t n = 0;
        ck_assert_int_eq(mg_window_rows(w, &n), MG_OK);
        ck_assert_uint_eq(n, t + 1 < c->W ? t + 1 : c->W);
        if (n < m + 1)
            continue;
        double B[16], sd[4], r2[4];
        mg_matrix Bv = mg_matrix_view(B, m, k);
        double rc = 0.0;
        const mg_status cs = mg_window_coef(w, &Bv, sd, r2, &rc);
        ck_assert_msg(cs == MG_OK, "row %zu: status %d (rcond %.3g)", t, (int)cs, rc);
        const size_t first = t + 1 - n;
        double Bdd[16];
        dd_solve(Rdd, q, m, k, Bdd);
        const double dd = check_window(c, t, X + first * c->p, Y + first * k, n, B, sd, Bdd);
        dd_failed += !(dd <= 1.0);
        if (getenv("MGT_VERBOSE") && !(dd <= 1.0) && dd_failed == 1)
            fprintf(stderr, "downdating first beyond the bound at row %zu (%.3g)\n", t, dd);
        checked++;
    }
    ck_assert_uint_eq(checked, c->rows - m);
    /* the stream is one where downdating fails: the bound the window meets
     * on every window is broken by plain downdating on many */
    ck_assert_msg(dd_failed >= checked / 2, "downdating failed on only %zu of %zu windows",
                  dd_failed, checked);
    if (getenv("MGT_VERBOSE"))
        fprintf(stderr, "downdating beyond the bound on %zu of %zu windows\n", dd_failed, checked);
    mg_window_free(w);
    free(X);
    free(Y);
}

START_TEST(stream_intercept)
{
    const cfg c = { 4, 1, 100, 10000, 1, 7 };
    run_stream(&c);
}
END_TEST

START_TEST(stream_no_intercept_two_outputs)
{
    const cfg c = { 3, 2, 30, 4000, 0, 8 };
    run_stream(&c);
}
END_TEST

/* W = m: every full window is square, an exact fit (residual sd NaN):
 * B within the forward bound of a zero-residual problem,
 * kappa eps_b / (1 - kappa eps_b) * 2 ||b|| (Higham Thm 20.1, r = 0), on
 * the unequilibrated design (the columnwise backward error bounds the
 * normwise one too), kappa from mgt_svals. */
START_TEST(square_window)
{
    enum { P = 3, W = 4, Q = W + 1, T = 60 };
    mg_window_options wo = { 1 };
    mg_window *w = NULL;
    ck_assert_int_eq(mg_window_create(P, 1, W, &wo, &w), MG_OK);
    mgt_rng r = mgt_rng_seed(3);
    double X[T * P];
    const double b[W] = { 1.0, 1.0, -2.0, 3.0 };
    for (size_t t = 0; t < T; t++) {
        double *x = X + t * P, y;
        for (size_t j = 0; j < P; j++)
            x[j] = mgt_uniform(&r);
        y = b[0] + b[1] * x[0] + b[2] * x[1] + b[3] * x[2];
        mg_matrix xv = mg_matrix_view(x, 1, P), yv = mg_matrix_view(&y, 1, 1);
        ck_assert_int_eq(mg_window_push(w, &xv, &yv), MG_OK);
        double B[W], sd, r2;
        mg_matrix Bv = mg_matrix_view(B, W, 1);
        const mg_status s = mg_window_coef(w, &Bv, &sd, &r2, NULL);
        if (t + 1 < W) {
            ck_assert_int_eq(s, MG_ESINGULAR);
            continue;
        }
        ck_assert_int_eq(s, MG_OK);
        ck_assert(isnan(sd));
        mg_matrix Zv = mg_matrix_view(X + (t + 1 - W) * P, W, P);
        double smax, smin;
        mgt_svals(&Zv, 1, &smax, &smin);
        /* y = Z b is itself rounded: one more gamma_W of backward error */
        const double eps_c = (double)(W + 1) * Q * mgt_gamma(4.0 * (Q + 1)) + mgt_gamma(W);
        const double eps_b = sqrt((double)Q) * (eps_c + mgt_gamma(W));
        const double bn = sqrt(1.0 + 1.0 + 4.0 + 9.0);
        const double tol = mgt_lstsq_fwd_bound(eps_b, smax / smin, 0.0, smax, bn) * bn;
        double dn = 0.0;
        for (size_t j = 0; j < W; j++)
            dn = hypot(dn, B[j] - b[j]);
        ck_assert_msg(dn <= tol, "t %zu: |dB| %.3g > %.3g", t, dn, tol);
    }
    mg_window_free(w);
}
END_TEST

/* A reset window is a new one: the same pushes give bitwise the same
 * answers (no state survives a reset); and W = 1, one column, no
 * intercept: every window is one row, B = y / x to within gamma_4: the
 * fold of one row onto the zero triangle gives beta = -sqrt(fl(x^2)) =
 * -|x| exactly (no under/overflow), the reflector's vector x fl(1 / |x|)
 * and R_zy = -fl(v y) carry three roundings, the division a fourth. */
START_TEST(reset_and_single_row)
{
    mg_window_options wo = { 1 };
    mg_window *a = NULL, *b = NULL;
    ck_assert_int_eq(mg_window_create(2, 2, 7, &wo, &a), MG_OK);
    ck_assert_int_eq(mg_window_create(2, 2, 7, &wo, &b), MG_OK);
    mgt_rng r = mgt_rng_seed(21);
    double X[40 * 2], Y[40 * 2];
    for (size_t i = 0; i < 80; i++) {
        X[i] = mgt_uniform(&r);
        Y[i] = mgt_uniform(&r);
    }
    for (size_t t = 0; t < 33; t++) { /* leave a in mid-cycle */
        mg_matrix xv = mg_matrix_view(X + (t % 40) * 2, 1, 2), yv = mg_matrix_view(Y + (t % 40) * 2, 1, 2);
        ck_assert_int_eq(mg_window_push(a, &xv, &yv), MG_OK);
    }
    ck_assert_int_eq(mg_window_reset(a), MG_OK);
    for (size_t t = 0; t < 40; t++) {
        mg_matrix xv = mg_matrix_view(X + t * 2, 1, 2), yv = mg_matrix_view(Y + t * 2, 1, 2);
        ck_assert_int_eq(mg_window_push(a, &xv, &yv), MG_OK);
        ck_assert_int_eq(mg_window_push(b, &xv, &yv), MG_OK);
        double Ba[6], Bb[6], sa[2], sb[2];
        mg_matrix Bav = mg_matrix_view(Ba, 3, 2), Bbv = mg_matrix_view(Bb, 3, 2);
        const mg_status s1 = mg_window_coef(a, &Bav, sa, NULL, NULL);
        ck_assert_int_eq(s1, mg_window_coef(b, &Bbv, sb, NULL, NULL));
        if (s1 == MG_OK) {
            ck_assert_mem_eq(Ba, Bb, sizeof Ba);
            ck_assert_mem_eq(sa, sb, sizeof sa);
        }
    }
    mg_window_free(a);
    mg_window_free(b);

    mg_window *w = NULL;
    ck_assert_int_eq(mg_window_create(1, 1, 1, NULL, &w), MG_OK);
    for (size_t t = 0; t < 40; t++) {
        mg_matrix xv = mg_matrix_view(X + t, 1, 1), yv = mg_matrix_view(Y + t, 1, 1);
        ck_assert_int_eq(mg_window_push(w, &xv, &yv), MG_OK);
        double B, sd, r2;
        mg_matrix Bv = mg_matrix_view(&B, 1, 1);
        ck_assert_int_eq(mg_window_coef(w, &Bv, &sd, &r2, NULL), MG_OK);
        const long double exact = (long double)Y[t] / X[t];
        ck_assert_double_le(fabsl(B - exact), mgt_gamma(4.0) * fabsl(exact));
        ck_assert(isnan(sd));
    }
    mg_window_free(w);
}
END_TEST

/* The window's loops are compiled once per small order (q <= 6 for the
 * folds, m <= 5 for the coefficients; the engine's folds and general loops
 * beyond): every q from 2 to 11 and every m from 1 to 9, each against fresh mg_lstsq fits
 * with check_window's bound (the first 200 rows of the stream: well
 * conditioned, with a row 1e9 times larger entering and leaving). */
START_TEST(every_small_order)
{
    static const cfg shapes[] = {
        { 1, 1, 6, 200, 0, 31 },  { 1, 1, 9, 200, 1, 32 },  { 2, 1, 12, 200, 1, 33 },
        { 3, 1, 15, 200, 1, 34 }, { 5, 1, 21, 200, 1, 35 }, { 6, 1, 24, 200, 1, 36 },
        { 7, 1, 27, 200, 1, 37 }, { 8, 2, 33, 200, 1, 38 }, { 8, 1, 30, 200, 0, 39 },
    };
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const cfg *c = &shapes[s];
        const size_t m = c->p + (size_t)c->ic, k = c->k;
        double *X, *Y;
        mg_window *w = stream_window(c, &X, &Y);
        mgt_rng r = mgt_rng_seed(c->seed);
        size_t checked = 0;
        for (size_t t = 0; t < c->rows; t++) {
            stream_row(c, &r, t, X + t * c->p, Y + t * k);
            mg_matrix xv = mg_matrix_view(X + t * c->p, 1, c->p);
            mg_matrix yv = mg_matrix_view(Y + t * k, 1, k);
            ck_assert_int_eq(mg_window_push(w, &xv, &yv), MG_OK);
            const size_t n = t + 1 < c->W ? t + 1 : c->W;
            if (n < m + 1)
                continue;
            double B[32], sd[4], r2[4], rc;
            mg_matrix Bv = mg_matrix_view(B, m, k);
            ck_assert_int_eq(mg_window_coef(w, &Bv, sd, r2, &rc), MG_OK);
            const size_t first = t + 1 - n;
            check_window(c, t, X + first * c->p, Y + first * k, n, B, sd, NULL);
            checked++;
        }
        ck_assert_uint_eq(checked, c->rows - m);
        mg_window_free(w);
        free(X);
        free(Y);
    }
}
END_TEST

/* rcond = 1 / kappa_1(R_zz D), D the columns' inverse 2-norms, against a
 * long-double reference: the Cholesky factor of the equilibrated Gram
 * matrix (Z D)^T (Z D) is the exact R_zz D up to row signs, which change
 * neither 1-norm.  Columns of very different scales (1e-150 and 1e140,
 * whose squares inside the folds stay normal; 1; 3) and windows with
 * kappa_1 up to about 1e3.
 * Tolerance: the window's R is the exact factor of Z + dZ, ||dZ_j|| <=
 * eps_c ||Z_j||; renormalising moves each unit column of Z D by at most
 * eta = 2 eps_c + (m + 2) u (the computed norms), so ||E||_F <= sqrt(m) eta
 * and the triangle moves by ||dA||_F <= sqrt(2) kappa_2 sqrt(m) eta (Sun's
 * first-order QR perturbation bound), kappa_2 <= m kappa_1.  Unit columns
 * give ||A||_1 >= 1, so ||A||_1 moves by a relative sqrt(m) ||dA||_F and
 * ||A^-1||_1 by kappa_1 sqrt(m) ||dA||_F; the inverse's own rounding adds
 * about m^2 u kappa_1.  Together, with a factor 2 for second-order terms:
 *     |rc / rc_ref - 1| <= 4 m^2 (1 + kappa_1)^2 (eta + u). */
static double ref_rcond(const double *X, size_t n, size_t p, size_t ic)
{
    const size_t m = p + ic;
    long double Z[64][8], G[8][8], R[8][8], Ri[8][8];
    for (size_t j = 0; j < m; j++) {
        long double s = 0.0L;
        for (size_t i = 0; i < n; i++) {
            Z[i][j] = j < ic ? 1.0L : X[i * p + j - ic];
            s += Z[i][j] * Z[i][j];
        }
        for (size_t i = 0; i < n; i++)
            Z[i][j] /= sqrtl(s);
    }
    for (size_t a = 0; a < m; a++)
        for (size_t b = 0; b < m; b++) {
            G[a][b] = 0.0L;
            for (size_t i = 0; i < n; i++)
                G[a][b] += Z[i][a] * Z[i][b];
        }
    /* G = R^T R, R upper (Cholesky by rows) */
    memset(R, 0, sizeof R);
    for (size_t i = 0; i < m; i++) {
        long double d = G[i][i];
        for (size_t l = 0; l < i; l++)
            d -= R[l][i] * R[l][i];
        R[i][i] = sqrtl(d);
        for (size_t j = i + 1; j < m; j++) {
            long double t = G[i][j];
            for (size_t l = 0; l < i; l++)
                t -= R[l][i] * R[l][j];
            R[i][j] = t / R[i][i];
        }
    }
    memset(Ri, 0, sizeof Ri);
    for (size_t j = 0; j < m; j++)
        for (size_t i = j + 1; i-- > 0;) {
            long double t = i == j ? 1.0L : 0.0L;
            for (size_t l = i + 1; l <= j; l++)
                t -= R[i][l] * Ri[l][j];
            Ri[i][j] = t / R[i][i];
        }
    long double an = 0.0L, in = 0.0L;
    for (size_t j = 0; j < m; j++) {
        long double sa = 0.0L, si = 0.0L;
        for (size_t i = 0; i <= j; i++) {
            sa += fabsl(R[i][j]);
            si += fabsl(Ri[i][j]);
        }
        an = sa > an ? sa : an;
        in = si > in ? si : in;
    }
    return (double)(1.0L / (an * in));
}

START_TEST(rcond_exact)
{
    enum { P = 4, IC = 1, M = P + IC, W = 12, T = 400 };
    static const double scale[P] = { 1e-150, 1e140, 1.0, 3.0 };
    mg_window_options wo = { IC };
    mg_window *w = NULL;
    ck_assert_int_eq(mg_window_create(P, 1, W, &wo, &w), MG_OK);
    mgt_rng r = mgt_rng_seed(17);
    double X[T * P], Y[T];
    const double eps_c = (double)(W + 1) * (M + 1) * mgt_gamma(4.0 * (M + 2));
    const double eta = 2.0 * eps_c + (M + 2) * MGT_U;
    double worst = 0.0;
    for (size_t t = 0; t < T; t++) {
        /* column 3 leans on column 2 by a varying amount: kappa_1 1 .. 1e3 */
        const double lean = 1.0 - 0.999 * (double)(t % 50) / 49.0;
        for (size_t j = 0; j < P; j++)
            X[t * P + j] = mgt_uniform(&r);
        X[t * P + 3] = X[t * P + 2] + lean * X[t * P + 3];
        for (size_t j = 0; j < P; j++)
            X[t * P + j] *= scale[j];
        Y[t] = mgt_uniform(&r);
        mg_matrix xv = mg_matrix_view(X + t * P, 1, P), yv = mg_matrix_view(Y + t, 1, 1);
        ck_assert_int_eq(mg_window_push(w, &xv, &yv), MG_OK);
        if (t + 1 < W)
            continue;
        double B[M], rc = -1.0;
        mg_matrix Bv = mg_matrix_view(B, M, 1);
        ck_assert_int_eq(mg_window_coef(w, &Bv, NULL, NULL, &rc), MG_OK);
        const double ref = ref_rcond(X + (t + 1 - W) * P, W, P, IC);
        const double k1 = 1.0 / ref, tol = 4.0 * M * M * (1.0 + k1) * (1.0 + k1) * (eta + MGT_U);
        const double rel = fabs(rc / ref - 1.0);
        ck_assert_msg(rel <= tol, "t %zu: rcond %.17g vs %.17g (rel %.3g > %.3g)", t, rc, ref, rel,
                      tol);
        worst = rel / tol > worst ? rel / tol : worst;
    }
    if (getenv("MGT_VERBOSE"))
        fprintf(stderr, "rcond: worst error / tolerance %.3g\n", worst);
    mg_window_free(w);
}
END_TEST

START_TEST(errors)
{
    mg_window *w = NULL;
    mg_window_options wo = { 1 };
    ck_assert_int_eq(mg_window_create(2, 1, 10, NULL, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_window_create(2, 0, 10, NULL, &w), MG_EINVAL);
    ck_assert_int_eq(mg_window_create(0, 1, 10, NULL, &w), MG_EINVAL);
    ck_assert_int_eq(mg_window_create(2, 1, 2, &wo, &w), MG_EINVAL); /* W < m */
    ck_assert_ptr_null(w);
    ck_assert_int_eq(mg_window_create((size_t)-1 / 2, 1, 10, NULL, &w), MG_ENOMEM);
    ck_assert_int_eq(mg_window_create(2, 1, (size_t)-1 / 4, NULL, &w), MG_ENOMEM);
    ck_assert_ptr_null(w);
    ck_assert_int_eq(mg_window_reset(NULL), MG_EINVAL);
    ck_assert_int_eq(mg_window_rows(NULL, NULL), MG_EINVAL);
    mg_window_free(NULL);

    ck_assert_int_eq(mg_window_create(2, 1, 5, &wo, &w), MG_OK);
    double B[3], sd, r2;
    mg_matrix Bv = mg_matrix_view(B, 3, 1), Bbad = mg_matrix_view(B, 2, 1);
    ck_assert_int_eq(mg_window_coef(w, &Bv, NULL, NULL, NULL), MG_EINVAL); /* no rows */
    double x[2] = { 1.0, 2.0 }, y = 3.0, x3[3] = { 0 };
    mg_matrix xv = mg_matrix_view(x, 1, 2), yv = mg_matrix_view(&y, 1, 1);
    mg_matrix xw = mg_matrix_view(x3, 1, 3), x2r = mg_matrix_view(x, 2, 1);
    ck_assert_int_eq(mg_window_push(NULL, &xv, &yv), MG_EINVAL);
    ck_assert_int_eq(mg_window_push(w, NULL, &yv), MG_EINVAL);
    ck_assert_int_eq(mg_window_push(w, &xv, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_window_push(w, &xw, &yv), MG_EDIM);
    ck_assert_int_eq(mg_window_push(w, &x2r, &yv), MG_EDIM);
    ck_assert_int_eq(mg_window_push(w, &xv, &yv), MG_OK);
    ck_assert_int_eq(mg_window_coef(w, &Bv, &sd, &r2, NULL), MG_ESINGULAR); /* 1 row < m */
    /* rows on a line: x_2 = 2 x_1, a rank-deficient design */
    for (int i = 0; i < 4; i++) {
        x[0] = i;
        x[1] = 2.0 * i;
        ck_assert_int_eq(mg_window_push(w, &xv, &yv), MG_OK);
    }
    ck_assert_int_eq(mg_window_coef(w, &Bv, &sd, &r2, NULL), MG_ESINGULAR);
    mgt_rng r = mgt_rng_seed(5);
    for (int i = 0; i < 7; i++) {
        x[0] = mgt_uniform(&r);
        x[1] = mgt_uniform(&r);
        y = mgt_uniform(&r);
        ck_assert_int_eq(mg_window_push(w, &xv, &yv), MG_OK);
    }
    ck_assert_int_eq(mg_window_coef(w, &Bbad, &sd, &r2, NULL), MG_EDIM);
    ck_assert_int_eq(mg_window_coef(w, NULL, &sd, &r2, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_window_coef(w, &Bv, &sd, &sd, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_window_coef(w, &Bv, B + 1, NULL, NULL), MG_EINVAL);
    double Bok[3], sdok, r2ok, rc;
    mg_matrix Bokv = mg_matrix_view(Bok, 3, 1);
    ck_assert_int_eq(mg_window_coef(w, &Bokv, &sdok, &r2ok, &rc), MG_OK);
    ck_assert_double_gt(rc, 0.0);

    /* a bad row leaves the window as it was: the same answer, bit for bit */
    double bad[] = { NAN, INFINITY, 1e300 };
    for (int b = 0; b < 3; b++) {
        x[0] = bad[b];
        ck_assert_int_eq(mg_window_push(w, &xv, &yv), b < 2 ? MG_ENONFINITE : MG_ERANGE);
        x[0] = 0.5;
        y = bad[b];
        ck_assert_int_eq(mg_window_push(w, &xv, &yv), b < 2 ? MG_ENONFINITE : MG_ERANGE);
        y = 0.25;
        /* a value out of range beside a NaN: the NaN's status wins */
        x[0] = 1e300;
        y = NAN;
        ck_assert_int_eq(mg_window_push(w, &xv, &yv), MG_ENONFINITE);
        x[0] = 0.5;
        y = 0.25;
        double B2[3], sd2, r22;
        mg_matrix B2v = mg_matrix_view(B2, 3, 1);
        ck_assert_int_eq(mg_window_coef(w, &B2v, &sd2, &r22, NULL), MG_OK);
        ck_assert_mem_eq(B2, Bok, sizeof Bok);
        ck_assert_mem_eq(&sd2, &sdok, sizeof sd2);
        size_t n = 0;
        ck_assert_int_eq(mg_window_rows(w, &n), MG_OK);
        ck_assert_uint_eq(n, 5);
    }
    ck_assert_int_eq(mg_window_reset(w), MG_OK);
    size_t n = 1;
    ck_assert_int_eq(mg_window_rows(w, &n), MG_OK);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(mg_window_coef(w, &Bv, NULL, NULL, NULL), MG_EINVAL);
    mg_window_free(w);

    /* B overflows: rows (s, 1 | 0) and (s, 1 + d | y) give b_2 = y / d
     * = 3e144 / 1e-13 = 3e157 and b_1 = -b_2 / s = -3e308 < -DBL_MAX
     * (s = 1e-151: every square in the folds stays normal), while the
     * equilibrated design's kappa_1 is about 4 / d = 4e13, inside the rank
     * tolerance (rcond about 2.5e-14 > 2 eps): MG_ENONFINITE, B untouched */
    ck_assert_int_eq(mg_window_create(2, 1, 2, NULL, &w), MG_OK);
    const double sm = 1e-151, d = 1e-13;
    const double rows[2][3] = { { sm, 1.0, 0.0 }, { sm, 1.0 + d, 3e144 } };
    for (int i = 0; i < 2; i++) {
        mg_matrix xr = mg_matrix_view((double *)rows[i], 1, 2);
        mg_matrix yr = mg_matrix_view((double *)&rows[i][2], 1, 1);
        ck_assert_int_eq(mg_window_push(w, &xr, &yr), MG_OK);
    }
    double Bo[2] = { 7.0, 7.0 }, rco = -1.0;
    mg_matrix Bov = mg_matrix_view(Bo, 2, 1);
    ck_assert_int_eq(mg_window_coef(w, &Bov, NULL, NULL, &rco), MG_ENONFINITE);
    ck_assert(Bo[0] == 7.0 && Bo[1] == 7.0 && rco == -1.0);
    mg_window_free(w);

    /* p = 0 with the intercept: the window's mean; x may be NULL */
    ck_assert_int_eq(mg_window_create(0, 1, 3, &wo, &w), MG_OK);
    const double ys[] = { 1.0, 2.0, 4.0, 8.0 };
    for (int i = 0; i < 4; i++) {
        mg_matrix yy = mg_matrix_view((double *)&ys[i], 1, 1);
        ck_assert_int_eq(mg_window_push(w, NULL, &yy), MG_OK);
    }
    double mean;
    mg_matrix mv = mg_matrix_view(&mean, 1, 1);
    ck_assert_int_eq(mg_window_coef(w, &mv, &sd, &r2, NULL), MG_OK);
    /* (2 + 4 + 8) / 3 = 14/3: a few folds of length 2, within 16 u */
    ck_assert_double_le(fabs(mean - 14.0 / 3.0), 16.0 * MGT_U * 14.0 / 3.0);
    /* the mean model's RSS is its TSS about the mean: the same entry of
     * the triangle, so R^2 is exactly 0 */
    ck_assert(r2 == 0.0);
    mg_window_free(w);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("window");
    TCase *tc = tcase_create("window");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, stream_intercept);
    tcase_add_test(tc, stream_no_intercept_two_outputs);
    tcase_add_test(tc, square_window);
    tcase_add_test(tc, reset_and_single_row);
    tcase_add_test(tc, every_small_order);
    tcase_add_test(tc, rcond_exact);
    tcase_add_test(tc, errors);
    suite_add_tcase(s, tc);
    return mgt_run(s);
}
