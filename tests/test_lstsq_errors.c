/* SPDX-License-Identifier: BSD-3-Clause */
/* lstsq: every error status, with B and every result field untouched. */
#include "mgtest.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct fixture {
    mgt_mat X, Y, B, SE;
    double rsd[2], r2[2];
    mg_lstsq_result res;
    double *snapB, *snapSE;
} fixture;

static void make(fixture *fp, size_t N, size_t nx, size_t k, int intercept)
{
    fixture f;
    mgt_rng r = mgt_rng_seed(5);
    f.X = mgt_random(&r, N, nx, 1);
    f.Y = mgt_random(&r, N, k, 1);
    f.B = mgt_alloc(nx + (size_t)intercept, k, 1);
    f.SE = mgt_alloc(nx + (size_t)intercept, k, 1);
    mgt_fill(&f.B, 42.0);
    mgt_fill(&f.SE, 43.0);
    f.rsd[0] = f.rsd[1] = 44.0;
    f.r2[0] = f.r2[1] = 45.0;
    memset(&f.res, 0, sizeof f.res);
    f.res.rank = 77;
    f.res.std_err = &f.SE.v;
    f.res.residual_sd = f.rsd;
    f.res.r_squared = f.r2;
    f.snapB = mgt_snapshot(&f.B);
    f.snapSE = mgt_snapshot(&f.SE);
    *fp = f;
    /* the result points into the caller's fixture, not this copy */
    fp->res.std_err = &fp->SE.v;
    fp->res.residual_sd = fp->rsd;
    fp->res.r_squared = fp->r2;
}

static void assert_untouched(const fixture *f)
{
    ck_assert(mgt_unchanged(&f->B, f->snapB));
    ck_assert(mgt_unchanged(&f->SE, f->snapSE));
    ck_assert(f->rsd[0] == 44.0 && f->rsd[1] == 44.0 && f->r2[0] == 45.0 && f->r2[1] == 45.0);
    ck_assert_uint_eq(f->res.rank, 77);
}

static void release(fixture *f)
{
    mgt_free(&f->X); mgt_free(&f->Y); mgt_free(&f->B); mgt_free(&f->SE);
    free(f->snapB); free(f->snapSE);
}

/* NaN or Inf in X or Y: small problems (QR path) and big ones (N p^2 >= 1e7,
 * the Cholesky path that detects it from the Gram matrix), every method. */
START_TEST(nonfinite_input)
{
    static const size_t SIZES[][2] = { { 30, 3 }, { 40000, 16 } };
    static const double BAD[] = { NAN, INFINITY, -INFINITY };
    for (size_t z = 0; z < 2; z++)
        for (size_t m = 0; m < 4; m++)
            for (size_t w = 0; w < 2; w++) {
                fixture f;
                make(&f, SIZES[z][0], SIZES[z][1], 2, 1);
                mg_lstsq_options o = mg_lstsq_defaults();
                o.intercept = 1;
                o.method = (mg_lstsq_method)m;
                const size_t i = SIZES[z][0] / 2;
                if (w == 0)
                    *mg_at(&f.X.v, i, 1) = BAD[(z + m) % 3];
                else
                    *mg_at(&f.Y.v, i, 1) = BAD[(z + m + 1) % 3];
                ck_assert_int_eq(mg_lstsq(&f.X.v, &f.Y.v, &f.B.v, &o, &f.res), MG_ENONFINITE);
                assert_untouched(&f);
                release(&f);
            }
}
END_TEST

START_TEST(invalid_arguments)
{
    fixture f;
    make(&f, 10, 3, 2, 0);
    mg_lstsq_options o = mg_lstsq_defaults();
    mg_matrix bad;

    ck_assert_int_eq(mg_lstsq(NULL, &f.Y.v, &f.B.v, NULL, &f.res), MG_EINVAL);
    ck_assert_int_eq(mg_lstsq(&f.X.v, NULL, &f.B.v, NULL, &f.res), MG_EINVAL);
    ck_assert_int_eq(mg_lstsq(&f.X.v, &f.Y.v, NULL, NULL, &f.res), MG_EINVAL);
    /* zero rows, zero columns, stride < cols */
    bad = f.X.v; bad.rows = 0;
    ck_assert_int_eq(mg_lstsq(&bad, &f.Y.v, &f.B.v, NULL, &f.res), MG_EINVAL);
    bad = f.X.v; bad.cols = 0;
    ck_assert_int_eq(mg_lstsq(&bad, &f.Y.v, &f.B.v, NULL, &f.res), MG_EINVAL);
    bad = f.Y.v; bad.cols = 0;
    ck_assert_int_eq(mg_lstsq(&f.X.v, &bad, &f.B.v, NULL, &f.res), MG_EINVAL);
    bad = f.X.v; bad.stride = 2;
    ck_assert_int_eq(mg_lstsq(&bad, &f.Y.v, &f.B.v, NULL, &f.res), MG_EINVAL);
    /* options */
    o.method = (mg_lstsq_method)4;
    ck_assert_int_eq(mg_lstsq(&f.X.v, &f.Y.v, &f.B.v, &o, &f.res), MG_EINVAL);
    o.method = (mg_lstsq_method)-1;
    ck_assert_int_eq(mg_lstsq(&f.X.v, &f.Y.v, &f.B.v, &o, &f.res), MG_EINVAL);
    o = mg_lstsq_defaults();
    o.rank_tol = -1e-3;
    ck_assert_int_eq(mg_lstsq(&f.X.v, &f.Y.v, &f.B.v, &o, &f.res), MG_EINVAL);
    o.rank_tol = NAN;
    ck_assert_int_eq(mg_lstsq(&f.X.v, &f.Y.v, &f.B.v, &o, &f.res), MG_EINVAL);
    o.rank_tol = 1.0;
    ck_assert_int_eq(mg_lstsq(&f.X.v, &f.Y.v, &f.B.v, &o, &f.res), MG_EINVAL);
    /* outputs aliasing inputs or each other */
    mg_matrix alias = mg_matrix_block(&f.X.v, 0, 0, 3, 2);
    ck_assert_int_eq(mg_lstsq(&f.X.v, &f.Y.v, &alias, NULL, NULL), MG_EINVAL);
    alias = mg_matrix_block(&f.Y.v, 0, 0, 3, 2);
    ck_assert_int_eq(mg_lstsq(&f.X.v, &f.Y.v, &alias, NULL, NULL), MG_EINVAL);
    mg_lstsq_result r2 = f.res;
    r2.std_err = &f.B.v;
    ck_assert_int_eq(mg_lstsq(&f.X.v, &f.Y.v, &f.B.v, NULL, &r2), MG_EINVAL);
    r2 = f.res;
    r2.residual_sd = f.Y.v.data;
    ck_assert_int_eq(mg_lstsq(&f.X.v, &f.Y.v, &f.B.v, NULL, &r2), MG_EINVAL);
    r2 = f.res;
    r2.r_squared = f.rsd + 1; /* overlaps residual_sd[1] */
    ck_assert_int_eq(mg_lstsq(&f.X.v, &f.Y.v, &f.B.v, NULL, &r2), MG_EINVAL);
    r2 = f.res;
    r2.adj_r_squared = f.r2; /* the same storage as r_squared */
    ck_assert_int_eq(mg_lstsq(&f.X.v, &f.Y.v, &f.B.v, NULL, &r2), MG_EINVAL);
    r2 = f.res;
    bad = f.SE.v; bad.data = NULL;
    r2.std_err = &bad;
    ck_assert_int_eq(mg_lstsq(&f.X.v, &f.Y.v, &f.B.v, NULL, &r2), MG_EINVAL);
    assert_untouched(&f);
    release(&f);
}
END_TEST

START_TEST(nonconforming_shapes)
{
    fixture f;
    make(&f, 10, 3, 2, 0);
    mg_lstsq_options o = mg_lstsq_defaults();
    mg_matrix bad;

    bad = mg_matrix_block(&f.Y.v, 0, 0, 9, 2); /* Y rows != X rows */
    ck_assert_int_eq(mg_lstsq(&f.X.v, &bad, &f.B.v, NULL, &f.res), MG_EDIM);
    bad = mg_matrix_block(&f.B.v, 0, 0, 2, 2); /* B rows != p */
    ck_assert_int_eq(mg_lstsq(&f.X.v, &f.Y.v, &bad, NULL, &f.res), MG_EDIM);
    bad = mg_matrix_block(&f.B.v, 0, 0, 3, 1); /* B cols != k */
    ck_assert_int_eq(mg_lstsq(&f.X.v, &f.Y.v, &bad, NULL, &f.res), MG_EDIM);
    o.intercept = 1; /* B must then have p + 1 rows */
    ck_assert_int_eq(mg_lstsq(&f.X.v, &f.Y.v, &f.B.v, &o, &f.res), MG_EDIM);
    mg_lstsq_result r2 = f.res;
    bad = mg_matrix_block(&f.SE.v, 0, 0, 2, 2);
    r2.std_err = &bad;
    ck_assert_int_eq(mg_lstsq(&f.X.v, &f.Y.v, &f.B.v, NULL, &r2), MG_EDIM);
    assert_untouched(&f);
    release(&f);
}
END_TEST

/* Forced Cholesky on a design whose Gram matrix is singular (a zero
 * column): MG_ENOTPD; auto falls back to QR instead. */
START_TEST(cholesky_not_pd)
{
    fixture f;
    make(&f, 10, 3, 2, 0);
    for (size_t i = 0; i < 10; i++)
        *mg_at(&f.X.v, i, 2) = 0.0;
    mg_lstsq_options o = mg_lstsq_defaults();
    o.method = MG_LSTSQ_CHOLESKY;
    ck_assert_int_eq(mg_lstsq(&f.X.v, &f.Y.v, &f.B.v, &o, &f.res), MG_ENOTPD);
    assert_untouched(&f);
    release(&f);
}
END_TEST

/* Forced Cholesky on exactly collinear columns (x2 = 2 x1): rounding can
 * leave dpotrf a tiny positive pivot, so only the condition estimate can
 * refuse it; a "full rank" answer here would be false.  Auto and QR give
 * the minimum-norm solution with rank 1 instead. */
START_TEST(cholesky_refuses_collinear_columns)
{
    double x[] = { 1, 2, 2, 4, 3, 6, 4, 8 }, y[] = { 3, 5, 7, 9 }, b[2] = { -1, -1 };
    mg_matrix X = mg_matrix_view(x, 4, 2), Y = mg_matrix_view(y, 4, 1), B = mg_matrix_view(b, 2, 1);
    mg_lstsq_options o = mg_lstsq_defaults();
    mg_lstsq_result r = { 0 };
    o.method = MG_LSTSQ_CHOLESKY;
    ck_assert_int_eq(mg_lstsq(&X, &Y, &B, &o, &r), MG_ENOTPD);
    ck_assert(b[0] == -1 && b[1] == -1);
    o.method = MG_LSTSQ_AUTO;
    ck_assert_int_eq(mg_lstsq(&X, &Y, &B, &o, &r), MG_OK);
    ck_assert_uint_eq(r.rank, 1);
    /* minimum norm: b along [1 2] with b1 + 2 b2 = 7/3 (the LS fit of y on
     * x1), i.e. b = (7/15) [1 2].  X has one nonzero singular value,
     * sqrt(150), so kappa on its range is 1; the rank-1 solution is within
     * the least-squares forward bound (mgt_lstsq_fwd_bound) with kappa 1,
     * ||r|| = ||y - (7/3) x1|| = sqrt(2/3), ||X|| = sqrt(150) and the normwise
     * backward error 4 p u (p = 2) of the SVD (as in test_lstsq.c), plus
     * the rounding of 7/15 and 14/15. */
    const double bn = 7.0 / 15.0 * sqrt(5.0);
    const double f = mgt_lstsq_fwd_bound(8.0 * MGT_U, 1.0, sqrt(2.0 / 3.0), sqrt(150.0), bn);
    ck_assert_double_le(hypot(b[0] - 7.0 / 15.0, b[1] - 14.0 / 15.0), (f + MGT_U) * bn);
}
END_TEST

/* A design too wide for the BLAS integer once the intercept is added. */
/* Bad weights, every method, small (engine QR / GRAM) and big designs:
 * the status, with every output untouched. */
START_TEST(bad_weights)
{
    static const size_t NS[] = { 40, 20000 };
    for (size_t ni = 0; ni < 2; ni++) {
        const size_t N = NS[ni];
        fixture f;
        make(&f, N, 25, 2, 1);
        mgt_mat w = mgt_alloc(N, 1, 0), w2 = mgt_alloc(N - 1, 1, 0), w3 = mgt_alloc(N, 2, 0);
        for (int m = MG_LSTSQ_AUTO; m <= MG_LSTSQ_SVD; m++) {
            mg_lstsq_options o = mg_lstsq_defaults();
            o.intercept = 1;
            o.method = (mg_lstsq_method)m;
            o.weights = &w.v;
            /* all zero: no row left to fit */
            mgt_fill(&w, 0.0);
            ck_assert_int_eq(mg_lstsq(&f.X.v, &f.Y.v, &f.B.v, &o, &f.res), MG_EINVAL);
            assert_untouched(&f);
            /* negative, NaN, Inf */
            static const double BAD[] = { -1.0, NAN, INFINITY };
            static const mg_status WANT[] = { MG_EINVAL, MG_ENONFINITE, MG_ENONFINITE };
            for (int b = 0; b < 3; b++) {
                mgt_fill(&w, 1.0);
                *mg_at(&w.v, N / 2, 0) = BAD[b];
                ck_assert_int_eq(mg_lstsq(&f.X.v, &f.Y.v, &f.B.v, &o, &f.res), WANT[b]);
                assert_untouched(&f);
            }
            /* shapes: N - 1 rows, two columns */
            o.weights = &w2.v;
            ck_assert_int_eq(mg_lstsq(&f.X.v, &f.Y.v, &f.B.v, &o, &f.res), MG_EDIM);
            o.weights = &w3.v;
            ck_assert_int_eq(mg_lstsq(&f.X.v, &f.Y.v, &f.B.v, &o, &f.res), MG_EDIM);
            /* a view of the output B (26 rows here): the shape is checked first */
            mg_matrix wb = mg_matrix_view_stride(f.B.v.data, f.B.v.rows, 1, f.B.v.stride);
            o.weights = &wb;
            ck_assert_int_eq(mg_lstsq(&f.X.v, &f.Y.v, &f.B.v, &o, &f.res), MG_EDIM);
            assert_untouched(&f);
        }
        mgt_free(&w); mgt_free(&w2); mgt_free(&w3);
        release(&f);
    }
}
END_TEST

START_TEST(size_overflow)
{
    static double one[2] = { 1.0, 1.0 };
    mg_matrix X = mg_matrix_view_stride(one, 1, (size_t)INT_MAX, (size_t)INT_MAX);
    mg_matrix Y = mg_matrix_view(one, 1, 1), B = mg_matrix_view(one + 1, 1, 1);
    mg_lstsq_options o = mg_lstsq_defaults();
    o.intercept = 1;
    ck_assert_int_eq(mg_lstsq(&X, &Y, &B, &o, NULL), MG_ENOMEM);
    ck_assert(one[1] == 1.0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lstsq_errors");
    TCase *tc = tcase_create("errors");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, nonfinite_input);
    tcase_add_test(tc, invalid_arguments);
    tcase_add_test(tc, nonconforming_shapes);
    tcase_add_test(tc, cholesky_not_pd);
    tcase_add_test(tc, cholesky_refuses_collinear_columns);
    tcase_add_test(tc, size_overflow);
    tcase_add_test(tc, bad_weights);
    suite_add_tcase(s, tc);
    return mgt_run(s);
}
