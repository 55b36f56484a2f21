/* Seed 001 reproduced: gradient descent with learning rate 0.01 (the seed's
 * "/ 2*h" slip turns its central difference into gradient * h^2, h = 0.1)
 * must retrace the printed loss table, and the normal equations must refuse
 * its singular A. */
#include "mgtest.h"
#include "seed001.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static seed001 D;

static void setup(void)
{
    ck_assert_msg(seed001_load(mgt_data_path("seed/seed001.txt"), &D) == 0,
                  "cannot read %s", mgt_data_path("seed/seed001.txt"));
}

static void record(size_t e, double loss, void *ctx)
{
    ((double *)ctx)[e] = loss;
}

/* The printed losses are Python reprs (17 significant digits) of a float64
 * computation that differs from ours only in rounding: its gradient came
 * from central differences of the exact quadratic (error ~ eps * loss / h
 * per entry, damped by the contraction of each step).  1e-9 relative at
 * every printed epoch, including loss 2.7e-7 at epoch 1000, is the bound the
 * issue sets; the measured gap is far smaller. */
START_TEST(gradient_descent_retraces_the_seed)
{
    double losses[1001];
    double W[3];
    memcpy(W, D.W0, sizeof W);
    mg_matrix A = mg_matrix_view(D.A, 3, 3), Y = mg_matrix_view(D.Y, 3, 1);
    mg_matrix Wv = mg_matrix_view(W, 3, 1);
    mg_gd_options o = mg_gd_defaults();
    size_t run = 0;
    o.learning_rate = D.learning_rate;
    o.epochs = D.epochs;
    o.on_epoch = record;
    o.ctx = losses;
    o.strategy = (mg_gd_strategy)_i;

    ck_assert_int_eq(mg_gd_fit(&A, &Y, &Wv, &o, &run), MG_OK);
    ck_assert_uint_eq(run, 1000);
    for (size_t t = 0; t < D.nloss; t++) {
        double got = losses[D.loss_epoch[t]], want = D.loss[t];
        ck_assert_msg(fabs(got - want) <= 1e-9 * want, "epoch %zu: %.17g vs %.17g (rel %.2e)",
                      D.loss_epoch[t], got, want, fabs(got - want) / want);
    }
    /* W and A W are printed to 8 decimals: rounding is 5e-9, so 1e-8. */
    for (int i = 0; i < 3; i++) {
        ck_assert_double_le(fabs(W[i] - D.W_final[i]), 1e-8);
        double aw = D.A[3 * i] * W[0] + D.A[3 * i + 1] * W[1] + D.A[3 * i + 2] * W[2];
        ck_assert_double_le(fabs(aw - D.AW_final[i]), 1e-8);
    }
}
END_TEST

START_TEST(normal_equations_refuse_the_singular_design)
{
    double W[3] = { -1, -1, -1 };
    mg_matrix A = mg_matrix_view(D.A, 3, 3), Y = mg_matrix_view(D.Y, 3, 1);
    mg_matrix Wv = mg_matrix_view(W, 3, 1);

    /* rank(A) = 2: A^T A is singular, Cholesky must not pass it off. */
    ck_assert_int_eq(mg_normal_solve(&A, &Y, 0.0, &Wv), MG_ENOTPD);
    ck_assert_double_eq(W[0], -1);
    ck_assert_double_eq(W[1], -1);
    ck_assert_double_eq(W[2], -1);

    /* With ridge > 0 the system is positive definite, and as ridge -> 0 the
     * ridge solution tends to the minimum-norm solution [1 2 3]; at ridge
     * 1e-6 the gap is O(ridge / sigma_min^2) with sigma_min^2 ~ 1.1. */
    ck_assert_int_eq(mg_normal_solve(&A, &Y, 1e-6, &Wv), MG_OK);
    ck_assert_double_le(fabs(W[0] - 1.0), 1e-5);
    ck_assert_double_le(fabs(W[1] - 2.0), 1e-5);
    ck_assert_double_le(fabs(W[2] - 3.0), 1e-5);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("seed001");
    TCase *tc = tcase_create("seed001");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_loop_test(tc, gradient_descent_retraces_the_seed, MG_GD_AUTO, MG_GD_GRAM + 1);
    tcase_add_test(tc, normal_equations_refuse_the_singular_design);
    suite_add_tcase(s, tc);
    return mgt_run(s);
}
