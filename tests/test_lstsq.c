/* SPDX-License-Identifier: BSD-3-Clause */
/* lstsq: the API contract — seed 001's rank-deficient example, defaults,
 * every method, many outputs and strided views, wide and rank-deficient
 * designs, the statistics, and every error status with outputs untouched.
 * Accuracy claims are checked against the exact rational solution of the
 * same double data (tests/ref/ref_lstsq.c). */
#include "mgtest.h"
#include "ref_lstsq.h"
#include "seed001.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The normwise backward error assumed of every solver below: eps_b = C_B p u.
 * Householder QR, the SVD's orthogonal reductions and a Cholesky solve
 * followed by refinement each act on a column through O(p) reflections or
 * inner products of p terms, each a few roundings relative to the column's
 * norm; C_B = 4 covers those few (Higham, ASNA, Thms 19.13 and 20.3 with the
 * realistic instead of the worst-case constant gamma_{N p}, which random
 * data never approach).  The forward bounds then follow from the design's
 * exact condition number (mgt_svals) through mgt_lstsq_fwd_bound. */
enum { C_B = 4 };

/* ||B_c - want|| (2-norm over p coefficients) */
static double col_err(const mg_matrix *B, size_t c, const double *want, size_t p)
{
    long double e = 0.0L;
    for (size_t j = 0; j < p; j++)
        e += ((long double)mgt_get(B, j, c) - want[j]) * ((long double)mgt_get(B, j, c) - want[j]);
    return (double)sqrtl(e);
}

static const mg_lstsq_method METHODS[] = { MG_LSTSQ_AUTO, MG_LSTSQ_CHOLESKY, MG_LSTSQ_QR,
                                           MG_LSTSQ_SVD };

/* Seed 001: A = [1 2 3; 4 5 6; 7 8 9] is singular (rank 2), Y = A [1 2 3]^T.
 * Every solution is [1 2 3] + t [1 -2 1]; [1 2 3] is orthogonal to the null
 * vector, so it is the minimum-norm one.  Bounds: A's nonzero singular
 * values are s1 = 16.85, s2 = 1.068 (kappa_2 = 15.8 on the range), r = 0,
 * so the truncated-SVD solution is within f = 2 kappa_2 eps_b (1 + O(eps))
 * of b, normwise (the rank-r perturbation theory has the full-rank form
 * while ||dA|| << s2).  The computed residual is within
 * s1 ||db|| + eps_b (s1 ||b|| + ||y||) of 0, so rsd (df = 1) is too, and
 * 1 - R^2 = RSS / TSS plus two roundings (the division and 1 - x).  The
 * computed s3 is within ||dA|| <= eps_b s1 of 0 (Weyl), so rcond <= eps_b,
 * times p for a 1-norm estimate of it. */
START_TEST(seed001_min_norm_rank2)
{
    seed001 D;
    ck_assert_int_eq(seed001_load(mgt_data_path("seed/seed001.txt"), &D), 0);
    mg_matrix A = mg_matrix_view(D.A, 3, 3), Y = mg_matrix_view(D.Y, 3, 1);
    const double want[3] = { 1.0, 2.0, 3.0 }, s1 = 16.848, s2 = 1.0684, eps_b = C_B * 3 * MGT_U;
    const double bn = sqrt(14.0), yn = mgt_col_norm2(&Y, 0), tss = yn * yn;
    const double db = mgt_lstsq_fwd_bound(eps_b, s1 / s2, 0.0, s1, bn) * bn;
    const double rmax = s1 * db + eps_b * (s1 * bn + yn);
    static const mg_lstsq_method M[] = { MG_LSTSQ_AUTO, MG_LSTSQ_QR, MG_LSTSQ_SVD };
    for (size_t m = 0; m < 3; m++) {
        double b[3] = { 0 }, rsd = -1.0, r2 = -1.0, se[3];
        mg_matrix Bv = mg_matrix_view(b, 3, 1), Sv = mg_matrix_view(se, 3, 1);
        mg_lstsq_options o = mg_lstsq_defaults();
        o.method = M[m];
        mg_lstsq_result res = { 0 };
        res.std_err = &Sv;
        res.residual_sd = &rsd;
        res.r_squared = &r2;
        ck_assert_int_eq(mg_lstsq(&A, &Y, &Bv, &o, &res), MG_OK);
        ck_assert_uint_eq(res.rank, 2);
        ck_assert_uint_eq(res.df_residual, 1);
        ck_assert_int_eq(res.method, MG_LSTSQ_SVD);
        ck_assert_double_le(col_err(&Bv, 0, want, 3), db);
        ck_assert_double_le(rsd, rmax);
        ck_assert_double_le(fabs(r2 - 1.0), rmax * rmax / tss + 2.0 * MGT_U);
        ck_assert_double_le(res.rcond, 3.0 * eps_b);
    }
    /* opt = NULL and res = NULL: accurate defaults */
    double b[3];
    mg_matrix Bv = mg_matrix_view(b, 3, 1);
    ck_assert_int_eq(mg_lstsq(&A, &Y, &Bv, NULL, NULL), MG_OK);
    ck_assert_double_le(col_err(&Bv, 0, want, 3), db);
}
END_TEST

typedef struct shape { size_t N, nx, k, pad; int intercept; } shape;
static const shape SHAPES[] = {
    { 1, 1, 1, 0, 0 },  { 2, 1, 1, 3, 0 },  { 2, 1, 1, 0, 1 },   { 50, 3, 1, 0, 0 },
    { 37, 5, 3, 0, 1 }, { 37, 5, 3, 2, 0 }, { 200, 12, 2, 1, 1 }, { 9, 8, 1, 0, 0 },
};
enum { NSHAPES = sizeof SHAPES / sizeof SHAPES[0] };

/* Random full-rank designs, every method, against the exact solution:
 * coefficients and statistics within the bounds of refined solutions
 * (ref_check_lstsq, derived in tests/ref/ref_lstsq.c from the design's
 * exact kappa). */
START_TEST(random_designs_every_method)
{
    const shape s = SHAPES[_i];
    mgt_rng r = mgt_rng_seed(100 + (uint64_t)_i);
    mgt_mat X = mgt_random(&r, s.N, s.nx, s.pad), Y = mgt_random(&r, s.N, s.k, s.pad);
    const size_t p = s.nx + (size_t)s.intercept;
    for (size_t m = 0; m < 4; m++) {
        if (s.N <= p && METHODS[m] != MG_LSTSQ_AUTO)
            continue; /* no residual degrees of freedom: statistics undefined */
        if (s.N > p)
            ref_check_lstsq(&X.v, s.intercept, &Y.v, METHODS[m], p);
    }
    mgt_free(&X);
    mgt_free(&Y);
}
END_TEST

/* Every output of a k-output fit equals the fit of that output alone: both
 * are within the forward bound f of the exact solution (full-rank design,
 * eps_b = C_B p u, kappa exact), so they differ by at most 2 f ||b||. */
START_TEST(many_outputs_match_single)
{
    mgt_rng r = mgt_rng_seed(7);
    mgt_mat X = mgt_random(&r, 60, 4, 3), Y = mgt_random(&r, 60, 5, 2);
    mgt_mat B = mgt_alloc(5, 5, 1), b = mgt_alloc(5, 1, 0);
    mg_lstsq_options o = mg_lstsq_defaults();
    o.intercept = 1;
    ck_assert_int_eq(mg_lstsq(&X.v, &Y.v, &B.v, &o, NULL), MG_OK);
    double smax, smin;
    mgt_svals(&X.v, 1, &smax, &smin);
    for (size_t c = 0; c < 5; c++) {
        mg_matrix y = mg_matrix_block(&Y.v, 0, c, 60, 1);
        double res_sd, want[5];
        mg_lstsq_result res = { 0 };
        res.residual_sd = &res_sd;
        ck_assert_int_eq(mg_lstsq(&X.v, &y, &b.v, &o, &res), MG_OK);
        for (size_t j = 0; j < 5; j++)
            want[j] = mgt_get(&b.v, j, 0);
        const double bn = mgt_col_norm2(&b.v, 0), rn = res_sd * sqrt(60.0 - 5.0);
        const double f = mgt_lstsq_fwd_bound(C_B * 5 * MGT_U, smax / smin, rn, smax, bn);
        ck_assert_double_le(col_err(&B.v, c, want, 5), 2.0 * f * bn);
    }
    ck_assert(mgt_padding_intact(&B));
    mgt_free(&X); mgt_free(&Y); mgt_free(&B); mgt_free(&b);
}
END_TEST

/* Wide designs (N < p): the minimum-norm solution x = Z^T (Z Z^T)^-1 y,
 * with Z Z^T solved by Gaussian elimination in long double (N <= 6: error
 * ~ kappa(Z)^2 2^-64, negligible).  The minimum-norm solution of a full
 * row rank system moves by ||dx|| / ||x|| <= 3 kappa(Z) eps + O(eps^2)
 * under normwise perturbations eps (Demmel and Higham; Higham, ASNA,
 * Thm 21.1, the factor min(3, p - N + 1)); with eps_b = C_B p u and the
 * exact kappa, plus one rounding of the reference.  df = 0, so residual_sd
 * is NaN (undefined, as in R). */
START_TEST(wide_minimum_norm)
{
    mgt_rng r = mgt_rng_seed(11);
    for (size_t N = 1; N <= 6; N++) {
        const size_t p = N + 3;
        mgt_mat X = mgt_random(&r, N, p, 1), Y = mgt_random(&r, N, 1, 0);
        mgt_mat B = mgt_alloc(p, 1, 1);
        long double G[6][7];
        for (size_t i = 0; i < N; i++) {
            for (size_t j = 0; j < N; j++) {
                G[i][j] = 0.0L;
                for (size_t t = 0; t < p; t++)
                    G[i][j] += (long double)mgt_get(&X.v, i, t) * mgt_get(&X.v, j, t);
            }
            G[i][N] = mgt_get(&Y.v, i, 0);
        }
        for (size_t c = 0; c < N; c++)
            for (size_t i = c + 1; i < N; i++) {
                const long double f = G[i][c] / G[c][c];
                for (size_t j = c; j <= N; j++)
                    G[i][j] -= f * G[c][j];
            }
        long double z[6];
        for (size_t i = N; i-- > 0;) {
            long double t = G[i][N];
            for (size_t j = i + 1; j < N; j++)
                t -= G[i][j] * z[j];
            z[i] = t / G[i][i];
        }
        double rsd = 0.0;
        mg_lstsq_result res = { 0 };
        res.residual_sd = &rsd;
        ck_assert_int_eq(mg_lstsq(&X.v, &Y.v, &B.v, NULL, &res), MG_OK);
        ck_assert_uint_eq(res.rank, N);
        ck_assert_uint_eq(res.df_residual, 0);
        ck_assert(isnan(rsd));
        double want[9], smax, smin;
        for (size_t t = 0; t < p; t++) {
            long double x = 0.0L;
            for (size_t i = 0; i < N; i++)
                x += (long double)mgt_get(&X.v, i, t) * z[i];
            want[t] = (double)x;
        }
        mg_matrix W = mg_matrix_view(want, p, 1);
        mgt_mat XT = mgt_alloc(p, N, 0); /* kappa(Z) from the tall Z^T */
        for (size_t i = 0; i < N; i++)
            for (size_t t = 0; t < p; t++)
                *mg_at(&XT.v, t, i) = mgt_get(&X.v, i, t);
        mgt_svals(&XT.v, 0, &smax, &smin);
        mgt_free(&XT);
        const double wn = mgt_col_norm2(&W, 0), eps_b = C_B * (double)p * MGT_U;
        ck_assert_double_le(col_err(&B.v, 0, want, p), (3.0 * smax / smin * eps_b + MGT_U) * wn);
        ck_assert(mgt_padding_intact(&B));
        mgt_free(&X); mgt_free(&Y); mgt_free(&B);
    }
}
END_TEST

/* Tall rank-deficient: X = [a, a, b, 0] = Z' E with Z' = [a, b].  The fit
 * b' on Z' is unique (exact reference); the minimum-norm solution splits
 * a's coefficient evenly and gives the zero column 0.  E's nonzero singular
 * values are 1 and sqrt(2), so kappa of X on its range is at most
 * sqrt(2) kappa(Z'); the SVD solution is within the forward bound f of that
 * (eps_b = C_B p u, p = 4), normwise; plus the rounding of b' to double. */
START_TEST(tall_rank_deficient_min_norm)
{
    mgt_rng r = mgt_rng_seed(12);
    const size_t N = 40;
    mgt_mat X = mgt_alloc(N, 4, 0), Y = mgt_random(&r, N, 1, 0), B = mgt_alloc(4, 1, 0);
    double Z2[2 * 40], bh[2], bl[2], cov[2];
    for (size_t i = 0; i < N; i++) {
        const double a = mgt_uniform(&r), b = mgt_uniform(&r);
        *mg_at(&X.v, i, 0) = *mg_at(&X.v, i, 1) = Z2[2 * i] = a;
        *mg_at(&X.v, i, 2) = Z2[2 * i + 1] = b;
    }
    ref_lstsq ref = { bh, bl, cov, 0.0, 0, 0.0 };
    ck_assert_int_eq(ref_lstsq_exact(Z2, 2, N, 2, Y.v.data, 1, &ref), 0);
    double smax, smin;
    mg_matrix Zv = mg_matrix_view(Z2, N, 2);
    mgt_svals(&Zv, 0, &smax, &smin);
    const double bn = hypot(bh[0], bh[1]);
    const double f = mgt_lstsq_fwd_bound(C_B * 4 * MGT_U, sqrt(2.0) * smax / smin,
                                         sqrt(ref.rss), smax, bn);
    for (size_t m = 0; m < 4; m++) {
        mg_lstsq_options o = mg_lstsq_defaults();
        o.method = METHODS[m];
        mg_lstsq_result res = { 0 };
        const mg_status st = mg_lstsq(&X.v, &Y.v, &B.v, &o, &res);
        if (METHODS[m] == MG_LSTSQ_CHOLESKY) {
            ck_assert_int_eq(st, MG_ENOTPD); /* the zero column's pivot is 0 */
            continue;
        }
        ck_assert_int_eq(st, MG_OK);
        ck_assert_uint_eq(res.rank, 2);
        ck_assert_int_eq(res.method, MG_LSTSQ_SVD);
        const double want[4] = { bh[0] / 2, bh[0] / 2, bh[1], 0.0 };
        ck_assert_double_le(col_err(&B.v, 0, want, 4), (f + MGT_U) * bn);
    }
    mgt_free(&X); mgt_free(&Y); mgt_free(&B);
}
END_TEST

/* An all-zero design: rank 0, B = 0, R^2 = 0 about zero.  With the
 * intercept the fit is the mean 2.5 of y = 1..4 (||y - 2.5|| = sqrt(5)) on a
 * ones column (kappa 1, ||Z|| = 2): within the forward bound, eps_b =
 * C_B p u with p = 2. */
START_TEST(zero_design)
{
    double x[4] = { 0 }, y[4] = { 1, 2, 3, 4 }, b[2] = { 9, 9 }, r2 = -1;
    mg_matrix X = mg_matrix_view(x, 4, 1), Y = mg_matrix_view(y, 4, 1), B = mg_matrix_view(b, 2, 1);
    mg_lstsq_options o = mg_lstsq_defaults();
    mg_lstsq_result res = { 0 };
    res.r_squared = &r2;
    B.rows = 1;
    ck_assert_int_eq(mg_lstsq(&X, &Y, &B, &o, &res), MG_OK);
    ck_assert_uint_eq(res.rank, 0);
    ck_assert(b[0] == 0.0);
    ck_assert_double_eq(r2, 0.0);
    /* with the intercept, the mean */
    o.intercept = 1;
    B.rows = 2;
    ck_assert_int_eq(mg_lstsq(&X, &Y, &B, &o, &res), MG_OK);
    ck_assert_uint_eq(res.rank, 1);
    ck_assert_double_le(fabs(b[0] - 2.5),
                        2.5 * mgt_lstsq_fwd_bound(C_B * 2 * MGT_U, 1.0, sqrt(5.0), 2.0, 2.5));
    ck_assert(b[1] == 0.0);
}
END_TEST

/* Square full-rank: df = 0, residual_sd and standard errors NaN; constant y
 * with an intercept: TSS = 0, R^2 NaN (both undefined, as in R).
 * Bounds (2-norms, eps_b = C_B p u, p = 2): the square system [2 1; 1 3]
 * (kappa = (5 + sqrt 5) / (5 - sqrt 5) = 2.618) has b = [0.2 0.6], within
 * kappa eps_b (2 + 0) ||b|| plus the rounding of 0.2 and 0.6 to double.  The
 * constant fit Z = [1 x] with x = 1 2 4 (kappa 6.25, s1 = 4.84) has b = [5 0]
 * and r = 0: the computed residual, hence rsd (df = 1), is at most
 * s1 ||db|| + eps_b (s1 ||b|| + ||y||) (the residual's own evaluation is
 * backward stable too).  Observed: rsd 2.2e-15 against this 3.0e-13; an
 * absolute 1e-15 ignored ||y|| = 8.7 and kappa. */
START_TEST(undefined_statistics_are_nan)
{
    double x[4] = { 2, 1, 1, 3 }, y[2] = { 1, 2 }, b[2], se[2], rsd, r2;
    mg_matrix X = mg_matrix_view(x, 2, 2), Y = mg_matrix_view(y, 2, 1), B = mg_matrix_view(b, 2, 1);
    mg_matrix S = mg_matrix_view(se, 2, 1);
    mg_lstsq_result res = { 0 };
    res.std_err = &S;
    res.residual_sd = &rsd;
    res.r_squared = &r2;
    ck_assert_int_eq(mg_lstsq(&X, &Y, &B, NULL, &res), MG_OK);
    ck_assert(isnan(rsd) && isnan(se[0]) && isnan(se[1]));
    double ar2 = 0.0;
    res.adj_r_squared = &ar2;
    ck_assert_int_eq(mg_lstsq(&X, &Y, &B, NULL, &res), MG_OK);
    ck_assert(isnan(ar2)); /* no residual degrees of freedom */
    res.adj_r_squared = NULL;
    const double eps_b = C_B * 2 * MGT_U, sq_b = hypot(0.2, 0.6);
    const double want_sq[2] = { 0.2, 0.6 };
    ck_assert_double_le(col_err(&B, 0, want_sq, 2),
                        (mgt_lstsq_fwd_bound(eps_b, 2.618034, 0.0, 3.618034, sq_b) + MGT_U) * sq_b);
    double x1[3] = { 1, 2, 4 }, y1[3] = { 5, 5, 5 };
    mg_matrix X1 = mg_matrix_view(x1, 3, 1), Y1 = mg_matrix_view(y1, 3, 1);
    mg_lstsq_options o = mg_lstsq_defaults();
    o.intercept = 1;
    res.std_err = NULL;
    ck_assert_int_eq(mg_lstsq(&X1, &Y1, &B, &o, &res), MG_OK);
    ck_assert(isnan(r2));
    double s1, sn;
    mgt_svals(&X1, 1, &s1, &sn);
    const double yn = mgt_col_norm2(&Y1, 0), db = mgt_lstsq_fwd_bound(eps_b, s1 / sn, 0.0, s1, 5.0) * 5.0;
    const double want_c[2] = { 5.0, 0.0 };
    ck_assert_double_le(col_err(&B, 0, want_c, 2), db);
    ck_assert_double_le(rsd, s1 * db + eps_b * (s1 * 5.0 + yn));
}
END_TEST

/* max_refine = 0: the plain factorisation's answer, no refinement step. */
START_TEST(no_refinement)
{
    mgt_rng r = mgt_rng_seed(13);
    mgt_mat X = mgt_random(&r, 30, 3, 0), Y = mgt_random(&r, 30, 1, 0), B = mgt_alloc(3, 1, 0);
    for (size_t m = 0; m < 4; m++) {
        mg_lstsq_options o = mg_lstsq_defaults();
        o.max_refine = 0;
        o.method = METHODS[m];
        mg_lstsq_result res = { 0 };
        res.refine_steps = 99;
        ck_assert_int_eq(mg_lstsq(&X.v, &Y.v, &B.v, &o, &res), MG_OK);
        ck_assert_uint_eq(res.refine_steps, 0);
    }
    ref_check_lstsq(&X.v, 0, &Y.v, MG_LSTSQ_QR, 3);
    mgt_free(&X); mgt_free(&Y); mgt_free(&B);
}
END_TEST

/* A column constant over the rows of nonzero weight is an intercept in all
 * but name, even when a zero-weight row holds another value: mg_lstsq's
 * weighted R^2 and adjusted R^2 are then about the weighted mean, the same
 * convention as mg_fit_infer's (it used to look at every row, zero weights
 * included, and measure about zero). */
START_TEST(constant_column_over_weighted_rows)
{
    double x[6 * 2] = { 1, 0.5, 1, 1.5, 1, 2.0, 1, 3.5, 1, 4.0, 7, 9.0 };
    double y[6] = { 1.0, 2.2, 2.9, 4.4, 5.1, 100.0 };
    double w[6] = { 1, 2, 1, 0.5, 1, 0 };
    mg_matrix X = mg_matrix_view(x, 6, 2), Y = mg_matrix_view(y, 6, 1), W = mg_matrix_view(w, 6, 1);
    double b[2], r2, ar2, b2[2], r2i, ar2i, f;
    mg_matrix B = mg_matrix_view(b, 2, 1), B2 = mg_matrix_view(b2, 2, 1);
    mg_lstsq_options o = mg_lstsq_defaults();
    o.weights = &W;
    mg_lstsq_result res = { 0 };
    res.r_squared = &r2;
    res.adj_r_squared = &ar2;
    ck_assert_int_eq(mg_lstsq(&X, &Y, &B, &o, &res), MG_OK);
    mg_fit *fit = NULL;
    ck_assert_int_eq(mg_fit_create(2, 1, NULL, &fit), MG_OK);
    ck_assert_int_eq(mg_fit_accumulate(fit, &X, &Y, &W), MG_OK);
    mg_infer inf = { 0 };
    inf.coef = &B2;
    inf.r_squared = &r2i;
    inf.adj_r_squared = &ar2i;
    inf.f_value = &f;
    ck_assert_int_eq(mg_fit_infer(fit, NULL, &inf), MG_OK);
    ck_assert_int_eq(inf.about_mean, 1);
    ck_assert_uint_eq(inf.df_model, 1);
    /* both are 1 - RSS/TSS of the same 5-row weighted problem, kappa ~ 10:
     * the two paths' RSS and TSS agree to a few hundred eps */
    ck_assert_double_eq_tol(r2, r2i, 1e-12);
    ck_assert_double_eq_tol(ar2, ar2i, 1e-12);
    mg_fit_free(fit);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lstsq");
    TCase *tc = tcase_create("api");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, seed001_min_norm_rank2);
    tcase_add_loop_test(tc, random_designs_every_method, 0, NSHAPES);
    tcase_add_test(tc, many_outputs_match_single);
    tcase_add_test(tc, wide_minimum_norm);
    tcase_add_test(tc, tall_rank_deficient_min_norm);
    tcase_add_test(tc, zero_design);
    tcase_add_test(tc, constant_column_over_weighted_rows);
    tcase_add_test(tc, undefined_statistics_are_nan);
    tcase_add_test(tc, no_refinement);
    suite_add_tcase(s, tc);
    return mgt_run(s);
}
