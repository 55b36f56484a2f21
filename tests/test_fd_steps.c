/* SPDX-License-Identifier: BSD-3-Clause */
/* fd_steps: steps h that the finite differences must refuse (a point or the
 * width 2h overflows, or h is lost against x on one side) and huge but
 * usable ones, where the difference of two finite values overflows while
 * the quotient does not.  X is restored bitwise after every call. */
#include "mgtest.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* f(X) = sum_ij a_ij X_ij with a_ij = i - 2j + 1 (small integers). */
static double linear(const mg_matrix *X, void *ctx)
{
    const double c = ctx ? *(const double *)ctx : 1.0;
    double f = 0.0;
    for (size_t i = 0; i < X->rows; i++)
        for (size_t j = 0; j < X->cols; j++)
            f += c * ((double)i - 2.0 * (double)j + 1.0) * *mg_at(X, i, j);
    return f;
}

/* The same f as a vector function with one output, for the Jacobian. */
static mg_status linear_vec(const mg_matrix *x, mg_matrix *y, void *ctx)
{
    y->data[0] = linear(x, ctx);
    return MG_OK;
}

/* A jump of 2e308 over x = 0 (no derivative): the quotient is beyond DBL_MAX. */
static double jump(const mg_matrix *X, void *ctx)
{
    (void)ctx;
    return X->data[0] >= 0.0 ? 1e308 : -1e308;
}

/* A bounded f: f(X +- h E) stays finite for any h. */
static double bounded(const mg_matrix *X, void *ctx)
{
    (void)ctx;
    double f = 0.0;
    for (size_t i = 0; i < X->rows; i++)
        for (size_t j = 0; j < X->cols; j++)
            f += atan(*mg_at(X, i, j));
    return f;
}

/* Calls all three fd functions on X with step h; checks each returns
 * want, leaves G and J untouched on error and X bitwise as it was. */
static void expect_all(mg_matrix *X, double h, void *ctx, mg_status want, const char *why)
{
    const size_t n = X->rows * X->cols;
    mgt_mat G = mgt_alloc(X->rows, X->cols, 1), J = mgt_alloc(1, n, 1), R = mgt_alloc(X->rows, X->cols, 0);
    mgt_fill(&G, 7.0);
    mgt_fill(&J, 7.0);
    double *g0 = mgt_snapshot(&G), *j0 = mgt_snapshot(&J), err = 7.0;
    double *x0 = malloc(sizeof(double) * X->rows * X->stride);
    memcpy(x0, X->data, sizeof(double) * X->rows * X->stride);

    mg_status st = mg_fd_gradient(linear, ctx, X, h, &G.v);
    ck_assert_msg(st == want, "%s: mg_fd_gradient gave %d, want %d", why, st, want);
    ck_assert(memcmp(x0, X->data, sizeof(double) * X->rows * X->stride) == 0);
    st = mg_fd_jacobian(linear_vec, ctx, X, h, &J.v);
    ck_assert_msg(st == want, "%s: mg_fd_jacobian gave %d, want %d", why, st, want);
    ck_assert(memcmp(x0, X->data, sizeof(double) * X->rows * X->stride) == 0);
    st = mg_grad_check(linear, ctx, X, &R.v, h, &err);
    ck_assert_msg(st == want, "%s: mg_grad_check gave %d, want %d", why, st, want);
    ck_assert(memcmp(x0, X->data, sizeof(double) * X->rows * X->stride) == 0);
    if (want != MG_OK) {
        ck_assert(mgt_unchanged(&G, g0));
        ck_assert(mgt_unchanged(&J, j0));
        ck_assert_double_eq(err, 7.0);
    }
    free(g0); free(j0); free(x0);
    mgt_free(&G); mgt_free(&J); mgt_free(&R);
}

START_TEST(overflowing_steps_are_refused)
{
    mgt_mat X = mgt_alloc(2, 3, 1);
    mgt_fill(&X, 0.0);
    /* x +- 1e308 are finite but the width 2e308 is Inf: every quotient
     * would read 0 (this returned MG_OK with G = 0) */
    expect_all(&X.v, 1e308, NULL, MG_EINVAL, "h = 1e308");
    expect_all(&X.v, DBL_MAX, NULL, MG_EINVAL, "h = DBL_MAX");
    /* with a bounded f every evaluation is finite: the case that gave
     * MG_OK and G = 0 */
    mgt_mat G = mgt_alloc(2, 3, 0);
    mgt_fill(&G, 7.0);
    ck_assert_int_eq(mg_fd_gradient(bounded, NULL, &X.v, 1e308, &G.v), MG_EINVAL);
    ck_assert_double_eq(mgt_get(&G.v, 0, 0), 7.0);
    mgt_free(&G);
    /* x + h overflows for x = DBL_MAX (1e300 is above half an ulp there) */
    *mg_at(&X.v, 1, 2) = DBL_MAX;
    expect_all(&X.v, 1e300, NULL, MG_EINVAL, "DBL_MAX + 1e300");
    *mg_at(&X.v, 1, 2) = -DBL_MAX;
    expect_all(&X.v, 1e300, NULL, MG_EINVAL, "-DBL_MAX - 1e300");
    mgt_free(&X);
}
END_TEST

START_TEST(lost_perturbation_is_refused)
{
    mgt_mat X = mgt_alloc(2, 2, 0);
    mgt_fill(&X, 1.0);
    /* 1 + 0.75 2^-53 rounds to 1 (below half of the ulp 2^-52 above 1)
     * while 1 - 0.75 2^-53 rounds to 1 - 2^-53: a one-sided difference,
     * which used to pass because the width was still positive */
    const double h = 0.75 * 0x1p-53;
    ck_assert(1.0 + h == 1.0 && 1.0 - h < 1.0);
    expect_all(&X.v, h, NULL, MG_EINVAL, "one side lost");
    /* both sides lost */
    expect_all(&X.v, 0x1p-60, NULL, MG_EINVAL, "both sides lost");
    mgt_free(&X);
}
END_TEST

/* Huge h that fit: at X = 0 every evaluation is exactly a_ij (+-h), so
 * the quotient is a_ij up to the rounding of a_ij h and of the division:
 * 2 eps |a_ij|. */
START_TEST(huge_usable_steps)
{
    mgt_mat X = mgt_alloc(2, 3, 1), G = mgt_alloc(2, 3, 0);
    mgt_fill(&X, 0.0);
    ck_assert_int_eq(mg_fd_gradient(linear, NULL, &X.v, 1e300, &G.v), MG_OK);
    for (size_t i = 0; i < 2; i++)
        for (size_t j = 0; j < 3; j++) {
            const double a = (double)i - 2.0 * (double)j + 1.0;
            ck_assert_double_le(fabs(mgt_get(&G.v, i, j) - a), 2.0 * DBL_EPSILON * fabs(a));
        }

    /* f = 1e308 x at x = 0 with h = 1.5: f(x +- h) = +-1.5e308 are finite,
     * their difference is not, the quotient 1e308 is; it used to come back
     * as Inf with MG_OK.  Error: the rounding of 1.5e308 and of the
     * division, 2 eps 1e308. */
    double c = 1e308, g = 0.0, x = 0.0, jac = 0.0;
    mg_matrix X1 = mg_matrix_view(&x, 1, 1), G1 = mg_matrix_view(&g, 1, 1), J1 = mg_matrix_view(&jac, 1, 1);
    ck_assert_int_eq(mg_fd_gradient(linear, &c, &X1, 1.5, &G1), MG_OK);
    ck_assert_double_le(fabs(g - 1e308), 2.0 * DBL_EPSILON * 1e308);
    ck_assert_int_eq(mg_fd_jacobian(linear_vec, &c, &X1, 1.5, &J1), MG_OK);
    ck_assert_double_le(fabs(jac - 1e308), 2.0 * DBL_EPSILON * 1e308);
    ck_assert_double_eq(x, 0.0);

    /* a quotient beyond DBL_MAX: (1e308 - -1e308) / 1 */
    g = 7.0;
    ck_assert_int_eq(mg_fd_gradient(jump, NULL, &X1, 0.5, &G1), MG_ENONFINITE);
    ck_assert_double_eq(g, 7.0);
    ck_assert_double_eq(x, 0.0);
    mgt_free(&X); mgt_free(&G);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fd_steps");
    TCase *tc = tcase_create("fd_steps");
    tcase_add_test(tc, overflowing_steps_are_refused);
    tcase_add_test(tc, lost_perturbation_is_refused);
    tcase_add_test(tc, huge_usable_steps);
    suite_add_tcase(s, tc);
    return mgt_run(s);
}
