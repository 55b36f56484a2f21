/* SPDX-License-Identifier: BSD-3-Clause */
/* fd: central differences on functions with known derivatives, X restored
 * bitwise, the Jacobian's numerator layout (d(Ax)/dx = A, m x n), the
 * gradient check's metric, and every bad-input status. */
#include "mgtest.h"
#include "ref_rules.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* f(X) = sum_ij c_ij X_ij^2 + X_ij^3 / 3: G_ij = 2 c_ij X_ij + X_ij^2. */
static double cubic(const mg_matrix *X, void *p)
{
    const mg_matrix *C = p;
    long double s = 0.0L;
    for (size_t i = 0; i < X->rows; i++)
        for (size_t j = 0; j < X->cols; j++) {
            long double x = mgt_get(X, i, j);
            s += mgt_get(C, i, j) * x * x + x * x * x / 3.0L;
        }
    return (double)s;
}

static void cubic_grad(const mg_matrix *X, const mg_matrix *C, mg_matrix *G)
{
    for (size_t i = 0; i < X->rows; i++)
        for (size_t j = 0; j < X->cols; j++) {
            double x = mgt_get(X, i, j);
            *mg_at(G, i, j) = 2.0 * mgt_get(C, i, j) * x + x * x;
        }
}

/* Entry (i, j) of the central difference at h = 1e-5: f''' = 2 and f'''' = 0,
 * so the truncation error is exactly h^2 / 3; f is a long-double sum
 * rounded once (u F each, F = sum |c| (|x| + h)^2 + (|x| + h)^3 / 3 bounds
 * |f| at the perturbed points), over 2h: u F / h; the steps x +- h are
 * rounded (u (|x| + h) each), moving the quotient by |g| u (|x| + h) / h;
 * the quotient's own rounding u |g|; the reference 2 c x + x^2 three
 * roundings, 2 u (2 |c x| + x^2) (with a margin).  Observed errors are
 * about the truncation term. */
static double cubic_fd_bound(const mg_matrix *X, const mg_matrix *C, size_t i, size_t j, double h)
{
    long double F = 0.0L;
    for (size_t a = 0; a < X->rows; a++)
        for (size_t b = 0; b < X->cols; b++) {
            const long double x = fabs(mgt_get(X, a, b)) + h;
            F += fabsl((long double)mgt_get(C, a, b)) * x * x + x * x * x / 3.0L;
        }
    const double x = mgt_get(X, i, j), c = mgt_get(C, i, j);
    const double g = fabs(2.0 * c * x + x * x) + 2.0 * fabs(c) * h; /* |g| near x, over-estimated */
    return h * h / 3.0 + MGT_U * (double)F / h + g * MGT_U * (fabs(x) + h) / h + MGT_U * g +
           2.0 * MGT_U * (2.0 * fabs(c * x) + x * x);
}
START_TEST(gradient_of_known_function)
{
    const size_t shapes[][3] = { { 1, 1, 0 }, { 1, 1, 2 }, { 4, 1, 0 }, { 1, 6, 1 }, { 5, 7, 3 } };
    mgt_rng r = mgt_rng_seed(1000);
    for (int t = 0; t < 5; t++) {
        size_t m = shapes[t][0], n = shapes[t][1], pad = shapes[t][2];
        mgt_mat X = mgt_random(&r, m, n, pad), C = mgt_random(&r, m, n, 0);
        mgt_mat G = mgt_alloc(m, n, pad), R = mgt_alloc(m, n, 0);
        double *x0 = mgt_snapshot(&X);
        ck_assert_int_eq(mg_fd_gradient(cubic, &C.v, &X.v, 1e-5, &G.v), MG_OK);
        ck_assert(mgt_unchanged(&X, x0)); /* bitwise, padding included */
        ck_assert(mgt_padding_intact(&G));
        cubic_grad(&X.v, &C.v, &R.v);
        /* the grad check's metric: each entry's bound over max(|R_ij|, floor),
         * floor = cbrt(eps) max |R| (its max(|G|, |N|) is at least |R|) */
        const double floor_s = cbrt(DBL_EPSILON) * mgt_max_abs(&R.v);
        double worst = 0.0, bmax = 0.0;
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < n; j++) {
                const double b = cubic_fd_bound(&X.v, &C.v, i, j, 1e-5);
                ck_assert_double_le(fabs(mgt_get(&G.v, i, j) - mgt_get(&R.v, i, j)), b);
                worst = fmax(worst, b / fmax(fabs(mgt_get(&R.v, i, j)), floor_s));
                bmax = fmax(bmax, b);
            }

        double err = -1.0;
        ck_assert_int_eq(mg_grad_check(cubic, &C.v, &X.v, &R.v, 1e-5, &err), MG_OK);
        ck_assert(mgt_unchanged(&X, x0));
        ck_assert_double_le(err, worst);
        ck_assert_double_ge(err, 0.0);
        /* A wrong factor is an O(1) error: R doubled, at its largest entry
         * Rm, |2 Rm - N| / max(2 |Rm|, |N|) >= (|Rm| - b) / (2 |Rm| + b) > 0.4
         * for any b < |Rm| / 7 (b ~ 1e-10 here). */
        ck_assert_double_lt(bmax, mgt_max_abs(&R.v) / 7.0);
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < n; j++)
                *mg_at(&R.v, i, j) *= 2.0;
        ck_assert_int_eq(mg_grad_check(cubic, &C.v, &X.v, &R.v, 1e-5, &err), MG_OK);
        ck_assert_double_ge(err, 0.4);
        free(x0);
        mgt_free(&X); mgt_free(&C); mgt_free(&G); mgt_free(&R);
    }
}
END_TEST

/* x^2 at 3 with h = 0.5: (3.5^2 - 2.5^2) / (2 * 0.5) = 6 exactly, the true
 * derivative (central differences are exact on quadratics).  Seed 001's
 * "/ 2*h" would give 6 / 2 * 0.5 = 1.5. */
static double square(const mg_matrix *X, void *p)
{
    (void)p;
    double x = mgt_get(X, 0, 0);
    return x * x;
}

START_TEST(parenthesised_step)
{
    double x = 3.0, g = 0.0;
    mg_matrix X = mg_matrix_view(&x, 1, 1), G = mg_matrix_view(&g, 1, 1);
    ck_assert_int_eq(mg_fd_gradient(square, NULL, &X, 0.5, &G), MG_OK);
    ck_assert_double_eq(g, 6.0);
    ck_assert_double_eq(x, 3.0);
}
END_TEST

/* y = A x: J = A exactly in numerator layout (m x n), not A^T (the
 * denominator-layout answer seed 004 states). */
typedef struct linmap { const mg_matrix *A; } linmap;

static mg_status apply_A(const mg_matrix *x, mg_matrix *y, void *p)
{
    const mg_matrix *A = ((linmap *)p)->A;
    for (size_t i = 0; i < A->rows; i++) {
        long double s = 0.0L;
        for (size_t j = 0; j < A->cols; j++)
            s += (long double)mgt_get(A, i, j) * mgt_get(x, j, 0);
        *mg_at(y, i, 0) = (double)s;
    }
    return MG_OK;
}

START_TEST(jacobian_of_Ax_is_A)
{
    const size_t shapes[][2] = { { 1, 1 }, { 3, 5 }, { 5, 3 }, { 1, 4 }, { 6, 1 } };
    mgt_rng r = mgt_rng_seed(1100);
    for (int t = 0; t < 5; t++) {
        size_t m = shapes[t][0], n = shapes[t][1];
        mgt_mat A = mgt_random(&r, m, n, 1), x = mgt_random(&r, n, 1, 2), J = mgt_alloc(m, n, 1);
        linmap c = { &A.v };
        double *x0 = mgt_snapshot(&x);
        ck_assert_int_eq(mg_fd_jacobian(apply_A, &c, &x.v, 0.5, &J.v), MG_OK);
        ck_assert(mgt_unchanged(&x, x0));
        ck_assert(mgt_padding_intact(&J));
        /* Linear, so no truncation; x +- 0.5 is exact (x a multiple of 2^-52
         * in [-1, 1)); each y_i is a long-double sum rounded once, u Y_i with
         * Y_i = sum_k |A_ik| (|x_k| + h) (plus n 2^-64 Y_i), twice over 2h = 1;
         * the quotient's own rounding u |A_ij|. */
        for (size_t i = 0; i < m; i++) {
            long double Y = 0.0L;
            for (size_t k = 0; k < n; k++)
                Y += fabsl((long double)mgt_get(&A.v, i, k)) * (fabs(mgt_get(&x.v, k, 0)) + 0.5);
            for (size_t k = 0; k < n; k++)
                ck_assert_double_le(fabs(mgt_get(&J.v, i, k) - mgt_get(&A.v, i, k)),
                                    2.0 * (MGT_U + (double)n * LDBL_EPSILON) * (double)Y +
                                        MGT_U * fabs(mgt_get(&A.v, i, k)));
        }
        free(x0);
        mgt_free(&A); mgt_free(&x); mgt_free(&J);
    }
}
END_TEST

/* Seed 004's example: f(x) = (x^2, x^3) at x = 2 has the 2 x 1 Jacobian
 * (2x, 3x^2) = (4, 12).  Truncation: 0 for x^2, h^2 f''' / 6 = h^2 for x^3.
 * Rounding: the steps 2 +- h (u (2 + h) each, moving the quotient by
 * |f'| u (2 + h) / h), the values (one and two roundings: u |y| and 2 u |y|,
 * |y| <= (2 + h)^2 or ^3, twice over 2h), the quotient (u |f'|). */
static mg_status square_cube(const mg_matrix *x, mg_matrix *y, void *p)
{
    (void)p;
    double v = mgt_get(x, 0, 0);
    *mg_at(y, 0, 0) = v * v;
    *mg_at(y, 1, 0) = v * v * v;
    return MG_OK;
}

START_TEST(seed_004_example)
{
    double x = 2.0, j[2] = { 0, 0 };
    mg_matrix X = mg_matrix_view(&x, 1, 1), J = mg_matrix_view(j, 2, 1);
    ck_assert_int_eq(mg_fd_jacobian(square_cube, NULL, &X, 1e-5, &J), MG_OK);
    const double h = 1e-5, st = MGT_U * (2.0 + h) / h;
    ck_assert_double_le(fabs(j[0] - 4.0), 4.0 * st + MGT_U * pow(2.0 + h, 2) / h + 4.0 * MGT_U);
    ck_assert_double_le(fabs(j[1] - 12.0), h * h + 12.0 * st + 2.0 * MGT_U * pow(2.0 + h, 3) / h + 12.0 * MGT_U);
}
END_TEST

/* A matrix point is read row by row: y_p = (p + 1) x_p gives diag(1..6).
 * Off the diagonal y_p does not move: exactly 0.  On it, x +- 0.25 is exact
 * (multiples of 2^-52 below 2 in magnitude), each (p + 1) x one rounding,
 * u (p + 1) (|x| + h), twice over 2h = 0.5, plus the quotient's u (p + 1). */
static mg_status scale_by_index(const mg_matrix *x, mg_matrix *y, void *p)
{
    (void)p;
    for (size_t i = 0; i < x->rows; i++)
        for (size_t j = 0; j < x->cols; j++)
            *mg_at(y, i * x->cols + j, 0) = (double)(i * x->cols + j + 1) * mgt_get(x, i, j);
    return MG_OK;
}

START_TEST(jacobian_of_matrix_point)
{
    mgt_rng r = mgt_rng_seed(1200);
    mgt_mat X = mgt_random(&r, 2, 3, 2), J = mgt_alloc(6, 6, 0);
    ck_assert_int_eq(mg_fd_jacobian(scale_by_index, NULL, &X.v, 0.25, &J.v), MG_OK);
    for (size_t p = 0; p < 6; p++)
        for (size_t q = 0; q < 6; q++)
            if (p != q)
                ck_assert_double_eq(mgt_get(&J.v, p, q), 0.0);
            else
                ck_assert_double_le(fabs(mgt_get(&J.v, p, q) - (double)(p + 1)),
                                    (double)(p + 1) * MGT_U * (4.0 * (fabs(mgt_get(&X.v, p / 3, p % 3)) + 0.25) + 1.0));
    mgt_free(&X); mgt_free(&J);
}
END_TEST

/* Entries that are 0 in exact arithmetic: the floor keeps their rounding
 * noise from counting as a relative error of 1. */
static double offset_cubic(const mg_matrix *X, void *p)
{
    (void)p;
    double a = mgt_get(X, 0, 0), b = mgt_get(X, 0, 1);
    return 10.0 + a * a + b * b * b;
}

START_TEST(grad_check_floor)
{
    double x[] = { 1.0, 0.0 }, g[] = { 2.0, 0.0 }, err = -1.0;
    mg_matrix X = mg_matrix_view(x, 1, 2), G = mg_matrix_view(g, 1, 2);
    ck_assert_int_eq(mg_grad_check(offset_cubic, NULL, &X, &G, 1e-5, &err), MG_OK);
    /* The b entry's quotient is h^2 (truncation; b^3 at b = 0) plus the
     * rounding of f = 10 + a^2 + b^3 (<= 11.1: 3 roundings, 3 u 11.1 each,
     * twice over 2h) and of the a-steps (none: b's column only moves b, and
     * b +- h is exact); over the floor cbrt(eps) * 2 (the largest entry is
     * 2) that is about 3e-5, far from the 1 it would read without the floor.
     * The a entry: |N_a - 2| <= 2 u (1 + h) / h + 3 u 11.1 / h + 2 u, over 2. */
    {
        const double h = 1e-5, fl = cbrt(DBL_EPSILON) * 2.0;
        const double eb = (h * h + 3.0 * MGT_U * 11.1 / h) / fl;
        const double ea = (2.0 * 2.0 * MGT_U * (1.0 + h) / h + 3.0 * MGT_U * 11.1 / h + 2.0 * MGT_U) / 2.0;
        ck_assert_double_le(err, fmax(ea, eb) * 1.01); /* 1.01: N_a near 2 in the max() */
    }
    double z[] = { 0.0, 0.0 }, gz[] = { 0.0, 0.0 };
    mg_matrix Z = mg_matrix_view(z, 1, 2), GZ = mg_matrix_view(gz, 1, 2);
    ck_assert_int_eq(mg_grad_check(square, NULL, &Z, &GZ, 1e-3, &err), MG_OK);
    ck_assert_double_eq(err, 0.0); /* both all zero */
    g[1] = NAN;
    ck_assert_int_eq(mg_grad_check(offset_cubic, NULL, &X, &G, 1e-5, &err), MG_OK);
    ck_assert(isnan(err));
}
END_TEST

static double returns_nan_above(const mg_matrix *X, void *p)
{
    (void)p;
    return mgt_max_abs(X) > 1.0 ? NAN : 1.0;
}

static mg_status fails(const mg_matrix *x, mg_matrix *y, void *p)
{
    (void)x; (void)y; (void)p;
    return MG_EDIM;
}

static mg_status gives_inf(const mg_matrix *x, mg_matrix *y, void *p)
{
    (void)p;
    *mg_at(y, 0, 0) = mgt_max_abs(x) > 1.0 ? INFINITY : 0.0;
    return MG_OK;
}

START_TEST(bad_input)
{
    mgt_rng r = mgt_rng_seed(1300);
    mgt_mat X = mgt_random(&r, 3, 2, 1), C = mgt_random(&r, 3, 2, 0), G = mgt_alloc(3, 2, 0),
            Gt = mgt_alloc(2, 3, 0), J = mgt_alloc(2, 6, 0);
    double *x0 = mgt_snapshot(&X), *g0 = mgt_snapshot(&G), *j0 = mgt_snapshot(&J), err = 7.0;
    const double bad_h[] = { 0.0, -1e-5, NAN, INFINITY, -INFINITY };

    ck_assert_int_eq(mg_fd_gradient(NULL, NULL, &X.v, 1e-5, &G.v), MG_EINVAL);
    ck_assert_int_eq(mg_fd_gradient(cubic, &C.v, NULL, 1e-5, &G.v), MG_EINVAL);
    ck_assert_int_eq(mg_fd_gradient(cubic, &C.v, &X.v, 1e-5, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_fd_gradient(cubic, &C.v, &X.v, 1e-5, &Gt.v), MG_EDIM);
    ck_assert_int_eq(mg_fd_gradient(cubic, &C.v, &X.v, 1e-5, &X.v), MG_EINVAL); /* G is X */
    for (int t = 0; t < 5; t++) {
        ck_assert_int_eq(mg_fd_gradient(cubic, &C.v, &X.v, bad_h[t], &G.v), MG_EINVAL);
        ck_assert_int_eq(mg_grad_check(cubic, &C.v, &X.v, &G.v, bad_h[t], &err), MG_EINVAL);
        ck_assert_int_eq(mg_fd_jacobian(apply_A, NULL, &X.v, bad_h[t], &J.v), MG_EINVAL);
    }
    /* h vanishes against x: x + h == x - h */
    *mg_at(&X.v, 1, 1) = 1e20;
    ck_assert_int_eq(mg_fd_gradient(cubic, &C.v, &X.v, 1e-5, &G.v), MG_EINVAL);
    ck_assert_int_eq(mg_fd_jacobian(scale_by_index, NULL, &X.v, 1e-5, &J.v), MG_EINVAL);
    *mg_at(&X.v, 1, 1) = NAN;
    ck_assert_int_eq(mg_fd_gradient(cubic, &C.v, &X.v, 1e-5, &G.v), MG_ENONFINITE);
    memcpy(X.buf, x0, X.len * sizeof(double));
    ck_assert(mgt_unchanged(&G, g0));

    /* f non-finite at a perturbed point: ENONFINITE, X restored, G untouched */
    *mg_at(&X.v, 2, 0) = 1.0 - 1e-9;
    double *x1 = mgt_snapshot(&X);
    ck_assert_int_eq(mg_fd_gradient(returns_nan_above, NULL, &X.v, 1e-3, &G.v), MG_ENONFINITE);
    ck_assert(mgt_unchanged(&X, x1) && mgt_unchanged(&G, g0));
    ck_assert_int_eq(mg_grad_check(returns_nan_above, NULL, &X.v, &C.v, 1e-3, &err), MG_ENONFINITE);
    ck_assert_double_eq(err, 7.0);

    /* grad_check */
    ck_assert_int_eq(mg_grad_check(cubic, &C.v, &X.v, &C.v, 1e-5, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_grad_check(cubic, &C.v, &X.v, &Gt.v, 1e-5, &err), MG_EDIM);
    ck_assert_int_eq(mg_grad_check(cubic, &C.v, &X.v, &X.v, 1e-5, &err), MG_EINVAL);
    ck_assert_int_eq(mg_grad_check(NULL, &C.v, &X.v, &C.v, 1e-5, &err), MG_EINVAL);
    ck_assert_double_eq(err, 7.0);

    /* jacobian: J 2 x 6 for the 3 x 2 point */
    ck_assert_int_eq(mg_fd_jacobian(NULL, NULL, &X.v, 1e-5, &J.v), MG_EINVAL);
    ck_assert_int_eq(mg_fd_jacobian(fails, NULL, NULL, 1e-5, &J.v), MG_EINVAL);
    ck_assert_int_eq(mg_fd_jacobian(fails, NULL, &X.v, 1e-5, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_fd_jacobian(fails, NULL, &X.v, 1e-5, &Gt.v), MG_EDIM);  /* 3 != 6 columns */
    mg_matrix Jover = mg_matrix_view(X.buf, 1, 6);
    ck_assert_int_eq(mg_fd_jacobian(fails, NULL, &X.v, 1e-5, &Jover), MG_EINVAL);
    ck_assert_int_eq(mg_fd_jacobian(fails, NULL, &X.v, 1e-5, &J.v), MG_EDIM);  /* the callback's status */
    ck_assert(mgt_unchanged(&X, x1));
    ck_assert_int_eq(mg_fd_jacobian(gives_inf, NULL, &X.v, 1e-3, &J.v), MG_ENONFINITE);
    ck_assert(mgt_unchanged(&X, x1) && mgt_unchanged(&J, j0));

    double x = 1.0;
    mg_matrix huge = mg_matrix_view(&x, (size_t)1 << 40, 1);
    ck_assert_int_eq(mg_fd_gradient(cubic, NULL, &huge, 1e-5, &huge), MG_ENOMEM);
    ck_assert_int_eq(mg_fd_jacobian(fails, NULL, &huge, 1e-5, &huge), MG_ENOMEM);
    ck_assert_int_eq(mg_grad_check(cubic, NULL, &huge, &huge, 1e-5, &err), MG_ENOMEM);

    free(x0); free(x1); free(g0); free(j0);
    mgt_free(&X); mgt_free(&C); mgt_free(&G); mgt_free(&Gt); mgt_free(&J);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fd");
    TCase *tc = tcase_create("fd");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, gradient_of_known_function);
    tcase_add_test(tc, parenthesised_step);
    tcase_add_test(tc, jacobian_of_Ax_is_A);
    tcase_add_test(tc, seed_004_example);
    tcase_add_test(tc, jacobian_of_matrix_point);
    tcase_add_test(tc, grad_check_floor);
    tcase_add_test(tc, bad_input);
    suite_add_tcase(s, tc);
    return mgt_run(s);
}
