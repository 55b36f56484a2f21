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

static const mg_lstsq_method METHODS[] = { MG_LSTSQ_AUTO, MG_LSTSQ_CHOLESKY, MG_LSTSQ_QR,
                                           MG_LSTSQ_SVD };

/* Seed 001: A = [1 2 3; 4 5 6; 7 8 9] is singular (rank 2), Y = A [1 2 3]^T.
 * Every solution is [1 2 3] + t [1 -2 1]; [1 2 3] is orthogonal to the null
 * vector, so it is the minimum-norm one.  The data are small integers and
 * the SVD's backward error is a few eps, so 1e-13 is a safe bound. */
START_TEST(seed001_min_norm_rank2)
{
    seed001 D;
    ck_assert_int_eq(seed001_load(mgt_data_path("seed/seed001.txt"), &D), 0);
    mg_matrix A = mg_matrix_view(D.A, 3, 3), Y = mg_matrix_view(D.Y, 3, 1);
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
        for (int j = 0; j < 3; j++)
            ck_assert_double_le(fabs(b[j] - (j + 1.0)), 1e-13);
        ck_assert_double_le(rsd, 1e-12);
        ck_assert_double_le(fabs(r2 - 1.0), 1e-13);
        ck_assert_double_lt(res.rcond, 1e-14);
    }
    /* opt = NULL and res = NULL: accurate defaults */
    double b[3];
    mg_matrix Bv = mg_matrix_view(b, 3, 1);
    ck_assert_int_eq(mg_lstsq(&A, &Y, &Bv, NULL, NULL), MG_OK);
    for (int j = 0; j < 3; j++)
        ck_assert_double_le(fabs(b[j] - (j + 1.0)), 1e-13);
}
END_TEST

typedef struct shape { size_t N, nx, k, pad; int intercept; } shape;
static const shape SHAPES[] = {
    { 1, 1, 1, 0, 0 },  { 2, 1, 1, 3, 0 },  { 2, 1, 1, 0, 1 },   { 50, 3, 1, 0, 0 },
    { 37, 5, 3, 0, 1 }, { 37, 5, 3, 2, 0 }, { 200, 12, 2, 1, 1 }, { 9, 8, 1, 0, 0 },
};
enum { NSHAPES = sizeof SHAPES / sizeof SHAPES[0] };

/* Random full-rank designs, every method: kappa(Z) is modest, so a refined
 * solution is the exact one rounded to a few ulps; 13 digits (of 15.6) is
 * what that leaves after the normwise max over up to 13 coefficients. */
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
            ref_check_lstsq(&X.v, s.intercept, &Y.v, METHODS[m], 13.0, p);
    }
    mgt_free(&X);
    mgt_free(&Y);
}
END_TEST

/* Every output of a k-output fit equals the fit of that output alone. */
START_TEST(many_outputs_match_single)
{
    mgt_rng r = mgt_rng_seed(7);
    mgt_mat X = mgt_random(&r, 60, 4, 3), Y = mgt_random(&r, 60, 5, 2);
    mgt_mat B = mgt_alloc(5, 5, 1), b = mgt_alloc(5, 1, 0);
    mg_lstsq_options o = mg_lstsq_defaults();
    o.intercept = 1;
    ck_assert_int_eq(mg_lstsq(&X.v, &Y.v, &B.v, &o, NULL), MG_OK);
    for (size_t c = 0; c < 5; c++) {
        mg_matrix y = mg_matrix_block(&Y.v, 0, c, 60, 1);
        ck_assert_int_eq(mg_lstsq(&X.v, &y, &b.v, &o, NULL), MG_OK);
        for (size_t j = 0; j < 5; j++)
            ck_assert_double_le(fabs(mgt_get(&B.v, j, c) - mgt_get(&b.v, j, 0)),
                                1e-15 * fmax(1.0, fabs(mgt_get(&b.v, j, 0))));
    }
    ck_assert(mgt_padding_intact(&B));
    mgt_free(&X); mgt_free(&Y); mgt_free(&B); mgt_free(&b);
}
END_TEST

/* Wide designs (N < p): the minimum-norm solution x = Z^T (Z Z^T)^-1 y,
 * with Z Z^T solved by Gaussian elimination in long double (N <= 6, a
 * random Gram matrix with a modest condition number: error ~1e-17 kappa).
 * df = 0, so residual_sd is NaN (undefined, as in R). */
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
        for (size_t t = 0; t < p; t++) {
            long double x = 0.0L;
            for (size_t i = 0; i < N; i++)
                x += (long double)mgt_get(&X.v, i, t) * z[i];
            ck_assert_double_le(fabs(mgt_get(&B.v, t, 0) - (double)x), 1e-12 * fmax(1.0, fabsl(x)));
        }
        ck_assert(mgt_padding_intact(&B));
        mgt_free(&X); mgt_free(&Y); mgt_free(&B);
    }
}
END_TEST

/* Tall rank-deficient: X = [a, a, b, 0].  The fit on [a, b] is unique (exact
 * reference); the minimum-norm solution splits a's coefficient evenly and
 * gives the zero column 0.  SVD backward error: 1e-12 relative. */
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
        for (size_t j = 0; j < 4; j++)
            ck_assert_double_le(fabs(mgt_get(&B.v, j, 0) - want[j]), 1e-12);
    }
    mgt_free(&X); mgt_free(&Y); mgt_free(&B);
}
END_TEST

/* An all-zero design: rank 0, B = 0, R^2 = 0 about zero. */
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
    ck_assert_double_le(fabs(b[0] - 2.5), 1e-15);
    ck_assert(b[1] == 0.0);
}
END_TEST

/* Square full-rank: df = 0, residual_sd and standard errors NaN; constant y
 * with an intercept: TSS = 0, R^2 NaN (both undefined, as in R). */
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
    ck_assert_double_le(fabs(b[0] - 0.2), 1e-15);
    ck_assert_double_le(fabs(b[1] - 0.6), 1e-15);
    double x1[3] = { 1, 2, 4 }, y1[3] = { 5, 5, 5 };
    mg_matrix X1 = mg_matrix_view(x1, 3, 1), Y1 = mg_matrix_view(y1, 3, 1);
    mg_lstsq_options o = mg_lstsq_defaults();
    o.intercept = 1;
    res.std_err = NULL;
    ck_assert_int_eq(mg_lstsq(&X1, &Y1, &B, &o, &res), MG_OK);
    ck_assert(isnan(r2));
    ck_assert_double_le(rsd, 1e-15);
    ck_assert_double_le(fabs(b[0] - 5.0), 1e-14);
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
    ref_check_lstsq(&X.v, 0, &Y.v, MG_LSTSQ_QR, 13.0, 3);
    mgt_free(&X); mgt_free(&Y); mgt_free(&B);
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
    tcase_add_test(tc, undefined_statistics_are_nan);
    tcase_add_test(tc, no_refinement);
    suite_add_tcase(s, tc);
    return mgt_run(s);
}
