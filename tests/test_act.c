/* SPDX-License-Identifier: BSD-3-Clause */
/* act: forward and backward of each activation against its textbook
 * formula in long double, the finite-difference Jacobian (diagonal, with
 * f' on the diagonal), stability for large |x|, ReLU at 0, IEEE
 * propagation, in-place use and bad input. */
#include "mgtest.h"
#include "ref_rules.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

static const mg_act ACTS[] = { MG_ACT_IDENTITY, MG_ACT_RELU, MG_ACT_SIGMOID,
                               MG_ACT_TANH, MG_ACT_EXP, MG_ACT_SIN };
enum { NACTS = sizeof ACTS / sizeof ACTS[0] };

typedef struct shape { size_t rows, cols, pad; } shape;
static const shape SHAPES[] = { { 1, 1, 0 }, { 1, 1, 3 }, { 7, 1, 0 }, { 1, 9, 2 }, { 13, 17, 1 }, { 64, 3, 0 } };
enum { NSHAPES = sizeof SHAPES / sizeof SHAPES[0] };

/* |got - want| <= tol |want| entry by entry (exact zeros must match). */
static void assert_close(const mg_matrix *got, const mg_matrix *want, double tol)
{
    for (size_t i = 0; i < got->rows; i++)
        for (size_t j = 0; j < got->cols; j++) {
            double g = mgt_get(got, i, j), w = mgt_get(want, i, j);
            ck_assert_msg(fabs(g - w) <= tol * fabs(w), "(%zu,%zu): %.17g vs %.17g", i, j, g, w);
        }
}

/* Inputs in [-5, 5] away from ReLU's kink (|x| >= 1e-3). */
static mgt_mat make_input(mgt_rng *r, shape s)
{
    mgt_mat X = mgt_random(r, s.rows, s.cols, s.pad);
    for (size_t i = 0; i < s.rows; i++)
        for (size_t j = 0; j < s.cols; j++) {
            double *x = mg_at(&X.v, i, j);
            *x *= 5.0;
            if (fabs(*x) < 1e-3)
                *x = 0.5;
        }
    return X;
}

/* L = MGT_LIBM_ULP (mgtest.h): the double libm's budget.  The references
 * are computed in long double, whose own errors (a few 2^-64 relative, even
 * for a long-double libm 100x worse than glibc's) are far below u, plus one
 * rounding (u) to double. */
enum { LIBM_ULP = MGT_LIBM_ULP };

/* Per entry, relative to the value: the worst chain is tanh' and sigmoid':
 * e = exp(-c|x|) (L eps), d = 1 + e (one rounding u, and e's error damped by
 * e / (1 + e) <= 1), d * d (2 (u + L eps) + u), e / d^2 (u), times 4 (exact)
 * and dY (u): 3 L eps + 6 u, plus the reference's u: (3 L + 3.5) eps.  The
 * forward functions need less (sigmoid: L eps + 2 u). */
static const double TOL_ELEM = (3.0 * LIBM_ULP + 3.5) * DBL_EPSILON;

START_TEST(forward_and_backward_match_reference)
{
    const mg_act f = ACTS[_i];
    for (size_t t = 0; t < NSHAPES; t++) {
        const shape s = SHAPES[t];
        mgt_rng r = mgt_rng_seed(800 + t);
        mgt_mat X = make_input(&r, s), dY = mgt_random(&r, s.rows, s.cols, s.pad);
        mgt_mat Y = mgt_alloc(s.rows, s.cols, s.pad), dX = mgt_alloc(s.rows, s.cols, s.pad);
        mgt_mat Yr = mgt_alloc(s.rows, s.cols, 0), dXr = mgt_alloc(s.rows, s.cols, 0);
        for (size_t i = 0; i < s.rows; i++)
            for (size_t j = 0; j < s.cols; j++) {
                long double x = mgt_get(&X.v, i, j);
                *mg_at(&Yr.v, i, j) = (double)ref_act(f, x);
                *mg_at(&dXr.v, i, j) = (double)(mgt_get(&dY.v, i, j) * ref_act_d(f, x));
            }
        ck_assert_int_eq(mg_act_forward(f, &X.v, &Y.v), MG_OK);
        ck_assert_int_eq(mg_act_backward(f, &X.v, &dY.v, &dX.v), MG_OK);
        assert_close(&Y.v, &Yr.v, TOL_ELEM);
        assert_close(&dX.v, &dXr.v, TOL_ELEM);
        ck_assert(mgt_padding_intact(&Y) && mgt_padding_intact(&dX));

        /* in place: the same bits */
        ck_assert_int_eq(mg_act_backward(f, &X.v, &dY.v, &dY.v), MG_OK);
        ck_assert_double_eq(mgt_rel_err(&dY.v, &dX.v), 0.0);
        ck_assert_int_eq(mg_act_forward(f, &X.v, &X.v), MG_OK);
        ck_assert_double_eq(mgt_rel_err(&X.v, &Y.v), 0.0);
        mgt_free(&X); mgt_free(&dY); mgt_free(&Y); mgt_free(&dX); mgt_free(&Yr); mgt_free(&dXr);
    }
}
END_TEST

static mg_status act_as_vector_fn(const mg_matrix *x, mg_matrix *y, void *p)
{
    /* y has x->rows * x->cols entries; view it with x's shape */
    mg_matrix yv = mg_matrix_view(y->data, x->rows, x->cols);
    return mg_act_forward(*(const mg_act *)p, x, &yv);
}

/* The Jacobian of an elementwise f, by central differences, is diagonal
 * (off-diagonal differences are exactly 0: y_p does not move when x_q,
 * q != p, does) with f'(x_q) on the diagonal.  The diagonal's error, for
 * |x| <= 5 and step h: truncation h^2 |f'''| / 6 with |f'''| <= 2 max(1, |f|)
 * (<= 2 for sigmoid, tanh, sin; = f for exp); each f value within
 * (L + 1) eps |f| (the libm budget and the library's roundings), divided by
 * 2h, twice; and x +- h rounded (u |x| <= 5 u), moving the step by that
 * times |f'| <= max(1, |f|), over h.  Bound: (h^2 / 3 + ((L + 1) eps + 5 u)
 * / h) max(1, |f|), 2e-10 at h = 1e-5.  The point is a matrix (2 x 3 and
 * 1 x 1 and 5 x 1), read row by row. */
START_TEST(jacobian_is_diagonal_with_derivative)
{
    mg_act f = ACTS[_i];
    const shape pts[] = { { 1, 1, 0 }, { 5, 1, 0 }, { 2, 3, 2 } };
    for (int t = 0; t < 3; t++) {
        mgt_rng r = mgt_rng_seed(900 + (uint64_t)t);
        mgt_mat X = make_input(&r, pts[t]);
        const size_t n = pts[t].rows * pts[t].cols;
        mgt_mat J = mgt_alloc(n, n, 1), dX = mgt_alloc(pts[t].rows, pts[t].cols, 0),
                ones = mgt_alloc(pts[t].rows, pts[t].cols, 0), Y = mgt_alloc(pts[t].rows, pts[t].cols, 0);
        mgt_fill(&ones, 1.0);
        double *x0 = mgt_snapshot(&X);
        ck_assert_int_eq(mg_fd_jacobian(act_as_vector_fn, &f, &X.v, 1e-5, &J.v), MG_OK);
        ck_assert(mgt_unchanged(&X, x0));
        ck_assert_int_eq(mg_act_backward(f, &X.v, &ones.v, &dX.v), MG_OK);
        ck_assert_int_eq(mg_act_forward(f, &X.v, &Y.v), MG_OK);
        for (size_t p = 0; p < n; p++)
            for (size_t q = 0; q < n; q++) {
                double jpq = mgt_get(&J.v, p, q);
                if (p != q) {
                    ck_assert_double_eq(jpq, 0.0);
                    continue;
                }
                double d = mgt_get(&dX.v, p / pts[t].cols, p % pts[t].cols);
                double y = mgt_get(&Y.v, p / pts[t].cols, p % pts[t].cols);
                const double h = 1e-5;
                const double tol = h * h / 3.0 + ((LIBM_ULP + 1) * DBL_EPSILON + 5.0 * MGT_U) / h;
                ck_assert_double_le(fabs(jpq - d), tol * fmax(1.0, fabs(y)));
            }
        free(x0);
        mgt_free(&X); mgt_free(&J); mgt_free(&dX); mgt_free(&ones); mgt_free(&Y);
    }
}
END_TEST

/* Where the textbook formulas break: 1 - s and 1 - tanh^2 round to 0 long
 * before the derivative underflows; exp(-x) overflows for x < -709.  The
 * references are long-double expl (far below u in error, see above); the
 * bounds are the libm budget L eps for exp plus the library's roundings
 * (sigmoid: e / (1 + e), 2 u; its derivative and tanh's: 3 L eps + 5 u as
 * for TOL_ELEM) plus the reference's rounding u. */
#define EXPL(x) ((double)expl(x))
static const double TOL_S = LIBM_ULP * DBL_EPSILON + 3.0 * MGT_U;
static const double TOL_D = 3.0 * LIBM_ULP * DBL_EPSILON + 6.0 * MGT_U;
START_TEST(stable_for_large_arguments)
{
    double x[] = { -800.0, -700.0, -40.0, 40.0, 700.0, 800.0, 20.0, -20.0, 400.0 };
    const size_t n = sizeof x / sizeof x[0];
    double y[9], d[9], ones[9];
    for (size_t i = 0; i < n; i++)
        ones[i] = 1.0;
    mg_matrix X = mg_matrix_view(x, n, 1), Y = mg_matrix_view(y, n, 1), D = mg_matrix_view(d, n, 1),
              O = mg_matrix_view(ones, n, 1);

    ck_assert_int_eq(mg_act_forward(MG_ACT_SIGMOID, &X, &Y), MG_OK);
    ck_assert_int_eq(mg_act_backward(MG_ACT_SIGMOID, &X, &O, &D), MG_OK);
    ck_assert_double_eq(y[0], 0.0);                       /* e^-800 underflows */
    ck_assert_double_le(fabs(y[1] - EXPL(-700.0L)), TOL_S * EXPL(-700.0L));
    ck_assert_double_le(fabs(y[2] - (double)(expl(-40.0L) / (1.0L + expl(-40.0L)))),
                        TOL_S * EXPL(-40.0L));
    ck_assert_double_eq(y[3], 1.0);
    ck_assert_double_eq(y[5], 1.0);
    /* s'(x) = e^-|x| / (1 + e^-|x|)^2 ~ e^-|x|: relative accuracy kept */
    /* e^-|x| / (1 + e^-|x|)^2 = e^-|x| (1 - 2 e^-|x| + ...): e^-40 is 4e-18 u */
    ck_assert_double_le(fabs(d[2] - EXPL(-40.0L)), TOL_D * EXPL(-40.0L));
    ck_assert_double_le(fabs(d[3] - EXPL(-40.0L)), TOL_D * EXPL(-40.0L));
    ck_assert_double_le(fabs(d[4] - EXPL(-700.0L)), TOL_D * EXPL(-700.0L));
    ck_assert_double_eq(d[0], 0.0);
    ck_assert_double_eq(d[5], 0.0);

    ck_assert_int_eq(mg_act_backward(MG_ACT_TANH, &X, &O, &D), MG_OK);
    /* tanh'(20) = 4 e^-40 / (1 + e^-40)^2 */
    ck_assert_double_le(fabs(d[6] - 4 * EXPL(-40.0L)), TOL_D * 4 * EXPL(-40.0L));
    ck_assert_double_le(fabs(d[7] - 4 * EXPL(-40.0L)), TOL_D * 4 * EXPL(-40.0L));
    /* 4 e^-800 ~ 1e-347 is below the smallest subnormal: the exact result
     * rounds to 0, and any libm's exp(-800) (<= 2^-1074 / 2 for L ulp) does */
    ck_assert_double_le(fabs(d[8]), DBL_TRUE_MIN);
    for (size_t i = 0; i < n; i++)
        ck_assert(isfinite(d[i]));
}
END_TEST

/* ReLU'(0) = 0 (both signed zeros); NaN propagates through every f; the
 * backward pass is a true product, so Inf * 0 = NaN. */
START_TEST(relu_kink_and_ieee)
{
    double x[] = { 0.0, -0.0, 1e-300, -1e-300, NAN }, dy[] = { 3.0, 3.0, 3.0, 3.0, 3.0 };
    double y[5], dx[5];
    mg_matrix X = mg_matrix_view(x, 1, 5), DY = mg_matrix_view(dy, 1, 5),
              Y = mg_matrix_view(y, 1, 5), DX = mg_matrix_view(dx, 1, 5);
    ck_assert_int_eq(mg_act_forward(MG_ACT_RELU, &X, &Y), MG_OK);
    ck_assert_int_eq(mg_act_backward(MG_ACT_RELU, &X, &DY, &DX), MG_OK);
    ck_assert_double_eq(y[0], 0.0);
    ck_assert_double_eq(y[1], 0.0);
    ck_assert_double_eq(y[2], 1e-300);
    ck_assert_double_eq(y[3], 0.0);
    ck_assert(isnan(y[4]));
    ck_assert_double_eq(dx[0], 0.0);
    ck_assert_double_eq(dx[1], 0.0);
    ck_assert_double_eq(dx[2], 3.0);
    ck_assert_double_eq(dx[3], 0.0);
    ck_assert(isnan(dx[4]));
    for (int t = 0; t < NACTS; t++) {
        ck_assert_int_eq(mg_act_forward(ACTS[t], &X, &Y), MG_OK);
        ck_assert_int_eq(mg_act_backward(ACTS[t], &X, &DY, &DX), MG_OK);
        ck_assert(isnan(y[4]));
        ck_assert(t == 0 || isnan(dx[4])); /* identity: f' = 1 whatever x */
    }
    dy[0] = INFINITY;
    ck_assert_int_eq(mg_act_backward(MG_ACT_RELU, &X, &DY, &DX), MG_OK);
    ck_assert(isnan(dx[0]));
}
END_TEST

START_TEST(bad_input)
{
    mgt_rng r = mgt_rng_seed(950);
    mgt_mat X = mgt_random(&r, 4, 3, 1), Y = mgt_alloc(4, 3, 0), W = mgt_alloc(3, 4, 0),
            dY = mgt_random(&r, 4, 3, 0);
    double *y0 = mgt_snapshot(&Y);
    mg_matrix shifted = mg_matrix_view(X.buf + 1, 4, 3); /* overlaps X, not the same view */
    mg_matrix narrow = X.v;
    narrow.stride = 2;

    ck_assert_int_eq(mg_act_forward((mg_act)6, &X.v, &Y.v), MG_EINVAL);
    ck_assert_int_eq(mg_act_forward((mg_act)-1, &X.v, &Y.v), MG_EINVAL);
    ck_assert_int_eq(mg_act_forward(MG_ACT_TANH, NULL, &Y.v), MG_EINVAL);
    ck_assert_int_eq(mg_act_forward(MG_ACT_TANH, &X.v, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_act_forward(MG_ACT_TANH, &narrow, &Y.v), MG_EINVAL);
    ck_assert_int_eq(mg_act_forward(MG_ACT_TANH, &X.v, &W.v), MG_EDIM);
    ck_assert_int_eq(mg_act_forward(MG_ACT_TANH, &X.v, &shifted), MG_EINVAL);
    ck_assert(mgt_unchanged(&Y, y0));

    ck_assert_int_eq(mg_act_backward((mg_act)99, &X.v, &dY.v, &Y.v), MG_EINVAL);
    ck_assert_int_eq(mg_act_backward(MG_ACT_SIN, &X.v, NULL, &Y.v), MG_EINVAL);
    ck_assert_int_eq(mg_act_backward(MG_ACT_SIN, &X.v, &W.v, &Y.v), MG_EDIM);
    ck_assert_int_eq(mg_act_backward(MG_ACT_SIN, &X.v, &dY.v, &W.v), MG_EDIM);
    ck_assert_int_eq(mg_act_backward(MG_ACT_SIN, &X.v, &dY.v, &shifted), MG_EINVAL);
    mg_matrix dYshift = mg_matrix_view(dY.buf + 3, 3, 3);
    mg_matrix Ysmall = mg_matrix_view(Y.buf, 3, 3), Xsmall = mg_matrix_view(X.buf, 3, 3);
    ck_assert_int_eq(mg_act_backward(MG_ACT_SIN, &Xsmall, &dYshift, &Ysmall), MG_OK);
    mg_matrix dXover = mg_matrix_view(dY.buf, 3, 3);
    ck_assert_int_eq(mg_act_backward(MG_ACT_SIN, &Xsmall, &dYshift, &dXover), MG_EINVAL);

    double x = 1.0;
    mg_matrix huge = mg_matrix_view(&x, (size_t)1 << 40, 1);
    ck_assert_int_eq(mg_act_forward(MG_ACT_EXP, &huge, &huge), MG_ENOMEM);
    ck_assert_int_eq(mg_act_backward(MG_ACT_EXP, &huge, &huge, &huge), MG_ENOMEM);

    ck_assert_str_eq(mg_act_name(MG_ACT_RELU), "relu");
    ck_assert_str_eq(mg_act_name(MG_ACT_SIN), "sin");
    ck_assert_ptr_null(mg_act_name((mg_act)42));
    free(y0);
    mgt_free(&X); mgt_free(&Y); mgt_free(&W); mgt_free(&dY);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("act");
    TCase *tc = tcase_create("act");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, forward_and_backward_match_reference, 0, NACTS);
    tcase_add_loop_test(tc, jacobian_is_diagonal_with_derivative, 0, NACTS);
    tcase_add_test(tc, stable_for_large_arguments);
    tcase_add_test(tc, relu_kink_and_ieee);
    tcase_add_test(tc, bad_input);
    suite_add_tcase(s, tc);
    return mgt_run(s);
}
