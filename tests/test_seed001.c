/* SPDX-License-Identifier: BSD-3-Clause */
/* Seed 001 reproduced: gradient descent with learning rate 0.01 (the seed's
 * "/ 2*h" slip turns its central difference into gradient * h^2, h = 0.1)
 * must retrace the printed loss table, and the normal equations must refuse
 * its singular A. */
#include "mgtest.h"
#include "seed001.h"

#include <math.h>
#include <stdio.h>
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

/* How far two float64 runs of the same descent may drift apart.  Both are
 * compared with the exact trajectory W_e (long double: its own error,
 * ~2^-64 relative per step, is negligible), L = mean((Y - A W)^2), N = 3,
 * g = -(2/N) A^T (Y - A W), H = (2/N) A^T A, step lr = h^2 = 0.01.
 *
 * Per-step budget (first order, at W_e; every component, then the 2-norm):
 *   ours: the gradient within (2/N) gamma_8 (|A|^T (|A| |W| + |Y|)) (the
 *     fused pass, or the Gram form, whose reference and correction terms
 *     have the same shape: 2x margin), times lr, plus the update's
 *     roundings u (|W| + lr |g|);
 *   the seed: dW_j = ((L(W + h e_j) - L(W - h e_j)) / 2) * h, each L within
 *     dL (mgt_mse_bounds / N + 2 u L), the arguments w_j +- h rounded
 *     (moving L by (|g_j| + H_jj h) u (|w_j| + h)), times h; the / 2 * h's
 *     rounding u |dW_j|; the update's u |W|.
 * Propagation: e_{k+1} = (I - lr H) e_k + eps_k.  H's eigenvalues are
 * (2/N) {283.86, 1.1414, 0} (A^T A's: trace 285, 2x2 minors summing to 324,
 * singular), so on H's range I - lr H contracts by rho = 1 - lr (2/N) 1.1414,
 * and on the null vector [1 -2 1] it is the identity: the range part of the
 * drift is d_{k+1} <= rho d_k + ||eps_k||, the whole drift D_k <= sum ||eps||.
 * The loss sees only the range part: |L(W_e + d) - L(W_e)| <= ||g_e|| d +
 * ||H|| d^2 / 2, and each printed or reported loss is evaluated within dL.
 * The printed W and A W are rounded to 8 decimals (5e-9), the seed's A W
 * and ours within gamma_3 |A| |W| each. */
typedef struct drift { double d[1001], D[1001], L[1001], gnorm[1001], W[3]; } drift;

static double mse_err(const mg_matrix *A, const double *w, const mg_matrix *Y)
{
    double wc[3] = { w[0], w[1], w[2] };
    mg_matrix Wv = mg_matrix_view(wc, 3, 1);
    const double L = ref_mse_loss(A, &Wv, Y);
    return mgt_mse_bounds(A, &Wv, Y, NULL) / 3.0 + 2.0 * MGT_U * L;
}

static void drift_bounds(const mg_matrix *A, const mg_matrix *Y, const double *W0, double lr,
                         size_t epochs, drift *out)
{
    const double h = 0.1, g8 = mgt_gamma(8.0), rho = 1.0 - lr * (2.0 / 3.0) * 1.1414;
    long double w[3] = { W0[0], W0[1], W0[2] };
    double d = 0.0, D = 0.0;
    for (size_t e = 0;; e++) {
        double wd[3] = { (double)w[0], (double)w[1], (double)w[2] }, g[3], aw[3], mag[3];
        long double r[3];
        for (size_t i = 0; i < 3; i++) {
            r[i] = mgt_get(Y, i, 0);
            aw[i] = fabs(mgt_get(Y, i, 0));
            for (size_t t = 0; t < 3; t++) {
                r[i] -= (long double)mgt_get(A, i, t) * w[t];
                aw[i] += fabs(mgt_get(A, i, t) * wd[t]);
            }
        }
        double gn = 0.0;
        for (size_t t = 0; t < 3; t++) {
            long double s = 0.0L;
            mag[t] = 0.0;
            for (size_t i = 0; i < 3; i++) {
                s += (long double)mgt_get(A, i, t) * r[i];
                mag[t] += fabs(mgt_get(A, i, t)) * aw[i];
            }
            g[t] = (double)(-2.0L / 3.0L * s);
            gn = hypot(gn, g[t]);
        }
        out->d[e] = d;
        out->D[e] = D;
        out->L[e] = mse_err(A, wd, Y);
        out->gnorm[e] = gn;
        if (e == epochs) {
            memcpy(out->W, wd, sizeof wd);
            return;
        }
        double ours = 0.0, seed = 0.0;
        for (size_t t = 0; t < 3; t++) {
            const double o = lr * (2.0 / 3.0) * g8 * 2.0 * mag[t] + MGT_U * (fabs(wd[t]) + lr * fabs(g[t]));
            double wp[3] = { wd[0], wd[1], wd[2] }, wm[3] = { wd[0], wd[1], wd[2] };
            wp[t] += h;
            wm[t] -= h;
            const double Htt = (2.0 / 3.0) * (mgt_get(A, 0, t) * mgt_get(A, 0, t) + mgt_get(A, 1, t) * mgt_get(A, 1, t) +
                                              mgt_get(A, 2, t) * mgt_get(A, 2, t));
            const double sd = h * (0.5 * (mse_err(A, wp, Y) + mse_err(A, wm, Y)) +
                                   (fabs(g[t]) + Htt * h) * MGT_U * (fabs(wd[t]) + h)) +
                              MGT_U * lr * fabs(g[t]) + MGT_U * fabs(wd[t]);
            ours = hypot(ours, o);
            seed = hypot(seed, sd);
        }
        const double eps = fmax(ours, seed) * 1.01; /* 1.01: first order, at W_e */
        d = rho * d + eps;
        D += eps;
        for (size_t t = 0; t < 3; t++)
            w[t] -= (long double)lr * g[t];
    }
}

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
    static drift b;
    drift_bounds(&A, &Y, D.W0, D.learning_rate, D.epochs, &b);
    const double Hn = (2.0 / 3.0) * 283.86;
    for (size_t t = 0; t < D.nloss; t++) {
        const size_t e = D.loss_epoch[t];
        const double got = losses[e], want = D.loss[t];
        /* both runs within d of W_e: twice the loss change, twice dL */
        const double tol = 2.0 * (b.gnorm[e] * b.d[e] + 0.5 * Hn * b.d[e] * b.d[e] + b.L[e]);
        ck_assert_msg(fabs(got - want) <= tol, "epoch %zu: %.17g vs %.17g (diff %.2e > %.2e)", e, got,
                      want, fabs(got - want), tol);
    }
    const double DE = b.D[D.epochs];
    for (int i = 0; i < 3; i++) {
        ck_assert_double_le(fabs(W[i] - D.W_final[i]), 5e-9 * (1.0 + 1e-6) + 2.0 * DE);
        double aw = D.A[3 * i] * W[0] + D.A[3 * i + 1] * W[1] + D.A[3 * i + 2] * W[2];
        const double absaw = fabs(D.A[3 * i] * W[0]) + fabs(D.A[3 * i + 1] * W[1]) + fabs(D.A[3 * i + 2] * W[2]);
        const double rowA = fabs(D.A[3 * i]) + fabs(D.A[3 * i + 1]) + fabs(D.A[3 * i + 2]);
        ck_assert_double_le(fabs(aw - D.AW_final[i]),
                            5e-9 * (1.0 + 1e-6) + 2.0 * rowA * DE + 2.0 * mgt_gamma(3.0) * absaw);
    }
    if (getenv("MGT_VERBOSE"))
        printf("seed001: final loss difference %.3g (bound %.3g), drift bound %.3g\n",
               fabs(losses[1000] - D.loss[D.nloss - 1]),
               2.0 * (b.gnorm[1000] * b.d[1000] + b.L[1000]), DE);
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
     * ridge solution tends to the minimum-norm solution W+ = [1 2 3]:
     * W_rho - W+ = -sum_i rho / (s_i^2 + rho) (v_i^T W+) v_i over A's nonzero
     * singular values (s_i^2 = 283.86, 1.1414), so ||W_rho - W+|| <=
     * rho / 1.1414 ||W+||.  Rounding: the computed W solves (M + dM) W =
     * A^T Y + dh, M = A^T A + rho I, ||dM|| <= (gamma_3 + gamma_10)
     * (||A||_F^2 + rho) (Gram sums, Cholesky: Higham Thm 10.4), ||dh|| <=
     * gamma_3 || |A|^T |Y| ||, and ||M^-1|| = 1 / rho (A is singular):
     * ||dW|| <= (||dM|| ||W|| + ||dh||) / (rho - ||dM||). */
    const double rho = 1e-6, wn = sqrt(14.0);
    ck_assert_int_eq(mg_normal_solve(&A, &Y, rho, &Wv), MG_OK);
    double aty = 0.0;
    for (int t = 0; t < 3; t++)
        aty = hypot(aty, fabs(D.A[t]) * 14.0 + fabs(D.A[3 + t]) * 32.0 + fabs(D.A[6 + t]) * 50.0);
    const double dM = (mgt_gamma(3.0) + mgt_gamma(10.0)) * (285.0 + rho), dh = mgt_gamma(3.0) * aty;
    const double tol = rho / 1.1414 * wn + (dM * wn * 1.01 + dh) / (rho - dM);
    ck_assert_double_le(hypot(hypot(W[0] - 1.0, W[1] - 2.0), W[2] - 3.0), tol);
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
