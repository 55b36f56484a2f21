/* SPDX-License-Identifier: BSD-3-Clause */
/* lstsq on ill-conditioned synthetic designs, checked against the exact
 * rational solution of the same double data (tests/ref/ref_lstsq.c):
 * high-degree polynomials, columns scaled by 1e8 and 1e-8, near-collinear
 * columns, near-zero R^2 (large residuals), and the automatic choice
 * between the Cholesky and QR paths on big designs.
 *
 * Thresholds (ref_check_lstsq, derived in tests/ref/ref_lstsq.c): a refined
 * solution is within the limiting accuracy of refinement, rb = sqrt(p)
 * 4 p u (1 + kappa^2 u) normwise, as long as kappa(Z) eps_b < 1/2 so
 * that refinement contracts (asserted from the exact kappa of the
 * equilibrated design).  Every design here has that kappa between 1e5 and
 * 1e13 (checked), and the same solver without refinement misses rb
 * (checked): the test fails a solver that does not refine. */
#include "mgtest.h"
#include "ref_lstsq.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

enum { MAXN = 200 };

/* N points of x in [lo, hi] (jittered grid), design columns x^1 .. x^deg. */
static mgt_mat poly_design(mgt_rng *r, size_t N, int deg, double lo, double hi)
{
    mgt_mat X = mgt_alloc(N, (size_t)deg, 1);
    for (size_t i = 0; i < N; i++) {
        const double x = lo + (hi - lo) * ((double)i + 0.5 + 0.4 * mgt_uniform(r)) / (double)N;
        for (int j = 1; j <= deg; j++)
            *mg_at(&X.v, i, (size_t)j - 1) = pow(x, (double)j);
    }
    return X;
}

/* y = smooth function of the first column + noise of the given size. */
static mgt_mat response(mgt_rng *r, const mg_matrix *X, size_t k, double noise)
{
    mgt_mat Y = mgt_alloc(X->rows, k, 0);
    for (size_t i = 0; i < X->rows; i++)
        for (size_t c = 0; c < k; c++)
            *mg_at(&Y.v, i, c) = sin(mgt_get(X, i, 0) + (double)c) + noise * mgt_uniform(r);
    return Y;
}

/* Prints the measured LREs, and checks the design is as hard as claimed:
 * 1e5 <= kappa <= 1e13 (exact, equilibrated design), and the same solver
 * without refinement (max_refine = 0) misses the refined bound rb, i.e.
 * its LRE is below -log10(rb). */
static void report(const char *name, const mg_matrix *X, int intercept, const mg_matrix *Y,
                   mg_lstsq_method m, lstsq_lre l)
{
    mg_lstsq_options o = mg_lstsq_defaults();
    o.intercept = intercept;
    o.method = m;
    o.max_refine = 0;
    const double plain = ref_fit_lre(X, Y, &o);
    double kappa;
    const double rb = ref_refined_bound(X, intercept, 0, &kappa);
    printf("%-16s method %d -> %d: kappa %8.2e rcond %8.2e  LRE b %5.2f (unrefined %5.2f, "
           "refined bound %5.2f)  se %5.2f  rsd %5.2f  R^2 %5.2f\n", name, (int)m, (int)l.method, kappa,
           l.rcond, l.b, plain, -log10(rb), l.se, l.rsd, l.r2);
    ck_assert_double_ge(kappa, 1e5);
    ck_assert_double_le(kappa, 1e13);
    ck_assert_double_lt(plain, -log10(rb));
}

static const mg_lstsq_method ACCURATE[] = { MG_LSTSQ_AUTO, MG_LSTSQ_QR, MG_LSTSQ_SVD };

/* Degree 10 on [1, 3] with an intercept: kappa(Z) about 1e10 after
 * scaling, like Filip, but with the exact answer of the double data known. */
START_TEST(polynomial_degree_10)
{
    mgt_rng r = mgt_rng_seed(21);
    mgt_mat X = poly_design(&r, 60, 10, 1.0, 3.0), Y = response(&r, &X.v, 2, 1e-3);
    for (size_t m = 0; m < 3; m++)
        report("poly10 [1,3]", &X.v, 1, &Y.v, ACCURATE[m],
               ref_check_lstsq(&X.v, 1, &Y.v, ACCURATE[m], 11));
    mgt_free(&X);
    mgt_free(&Y);
}
END_TEST

/* Degree 8 on [1, 4], no intercept. */
START_TEST(polynomial_degree_8)
{
    mgt_rng r = mgt_rng_seed(22);
    mgt_mat X = poly_design(&r, 45, 8, 1.0, 4.0), Y = response(&r, &X.v, 1, 1e-2);
    for (size_t m = 0; m < 3; m++)
        report("poly8 [1,4]", &X.v, 0, &Y.v, ACCURATE[m],
               ref_check_lstsq(&X.v, 0, &Y.v, ACCURATE[m], 8));
    mgt_free(&X);
    mgt_free(&Y);
}
END_TEST

/* Columns scaled by 1e8 and 1e-8 on top of a moderately conditioned
 * polynomial design: equilibration removes the scaling exactly. */
START_TEST(badly_scaled_columns)
{
    mgt_rng r = mgt_rng_seed(23);
    mgt_mat X = poly_design(&r, 50, 6, 1.0, 3.0), Y = response(&r, &X.v, 1, 1e-2);
    for (size_t i = 0; i < 50; i++) {
        *mg_at(&X.v, i, 1) *= 1e8;
        *mg_at(&X.v, i, 3) *= 1e-8;
        *mg_at(&X.v, i, 4) *= 3e7;
    }
    for (size_t m = 0; m < 3; m++)
        report("scaled 1e8/1e-8", &X.v, 1, &Y.v, ACCURATE[m],
               ref_check_lstsq(&X.v, 1, &Y.v, ACCURATE[m], 7));
    mgt_free(&X);
    mgt_free(&Y);
}
END_TEST

/* Near-collinear columns: x2 = x1 + 1e-7 u, x3 = x1 - x2 + 1e-6 v. */
START_TEST(near_collinear_columns)
{
    mgt_rng r = mgt_rng_seed(24);
    mgt_mat X = mgt_alloc(80, 4, 2);
    for (size_t i = 0; i < 80; i++) {
        const double a = mgt_uniform(&r), b = a + 1e-7 * mgt_uniform(&r);
        *mg_at(&X.v, i, 0) = a;
        *mg_at(&X.v, i, 1) = b;
        *mg_at(&X.v, i, 2) = 2.0 * a - b + 1e-6 * mgt_uniform(&r);
        *mg_at(&X.v, i, 3) = mgt_uniform(&r);
    }
    mgt_mat Y = response(&r, &X.v, 3, 1e-1);
    for (size_t m = 0; m < 3; m++)
        report("near-collinear", &X.v, 1, &Y.v, ACCURATE[m],
               ref_check_lstsq(&X.v, 1, &Y.v, ACCURATE[m], 5));
    mgt_free(&X);
    mgt_free(&Y);
}
END_TEST

/* Residuals far larger than the fitted part (R^2 near 0), degree 7: the
 * normal equations and plain QR lose kappa^2 eps ||r|| / (||Z|| ||x||)
 * here; augmented refinement does not. */
START_TEST(large_residuals)
{
    mgt_rng r = mgt_rng_seed(25);
    mgt_mat X = poly_design(&r, 40, 7, 1.0, 10.0), Y = mgt_alloc(40, 1, 0);
    for (size_t i = 0; i < 40; i++)
        *mg_at(&Y.v, i, 0) = 1e6 * mgt_uniform(&r) + 1e-3 * mgt_get(&X.v, i, 0);
    for (size_t m = 0; m < 3; m++)
        report("large residuals", &X.v, 1, &Y.v, ACCURATE[m],
               ref_check_lstsq(&X.v, 1, &Y.v, ACCURATE[m], 8));
    mgt_free(&X);
    mgt_free(&Y);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lstsq_hard");
    TCase *tc = tcase_create("hard");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, polynomial_degree_10);
    tcase_add_test(tc, polynomial_degree_8);
    tcase_add_test(tc, badly_scaled_columns);
    tcase_add_test(tc, near_collinear_columns);
    tcase_add_test(tc, large_residuals);
    suite_add_tcase(s, tc);
    return mgt_run(s);
}
