/* SPDX-License-Identifier: BSD-3-Clause */
/* mg_mpi_mse_grad and mg_mpi_gd_fit on 1 to 4 ranks (tests/mpi.cmake):
 * the seed 001 example (tests/data/seed/seed001.txt: 3 rows, so with the
 * uneven split of mpitest.h two of four ranks hold no rows) must retrace
 * the single-process mg_gd_fit trajectory (direct strategy), the same on
 * every rank; the gradient of a bigger random problem must match
 * mg_mse_grad's; bad input on one rank gives every rank the same status. */
#include "mpitest.h"

#include "matgrad/mpi.h"
#include "mgtest.h"
#include "seed001.h"

#include <float.h>
#include <math.h>

enum { EPOCHS = 1000 };

static void record(size_t e, double loss, void *ctx)
{
    ((double *)ctx)[e] = loss;
}

static void seed(void)
{
    static seed001 D;
    MPIT_CHECK(seed001_load(MG_DATA_DIR "/seed/seed001.txt", &D) == 0, "cannot load seed001");
    mg_matrix A = mg_matrix_view(D.A, 3, 3), Y = mg_matrix_view(D.Y, 3, 1);
    static double l1[EPOCHS + 1], lm[EPOCHS + 1];
    double w1[3], wm[3];
    memcpy(w1, D.W0, sizeof w1);
    memcpy(wm, D.W0, sizeof wm);
    mg_matrix W1 = mg_matrix_view(w1, 3, 1), Wm = mg_matrix_view(wm, 3, 1);
    mg_gd_options o = mg_gd_defaults();
    o.learning_rate = D.learning_rate;
    o.epochs = D.epochs;
    o.strategy = MG_GD_DIRECT;
    o.on_epoch = record;
    o.ctx = l1;
    size_t run1 = 0, runm = 0;
    MPIT_CHECK(mg_gd_fit(&A, &Y, &W1, &o, &run1) == MG_OK, "single process");

    size_t i0, n;
    mpit_split(3, &i0, &n);
    mg_matrix Ar = mg_matrix_view(D.A + 3 * i0, n, 3), Yr = mg_matrix_view(D.Y + i0, n, 1);
    o.ctx = lm;
    const mg_status s = mg_mpi_gd_fit(MPI_COMM_WORLD, n ? &Ar : NULL, n ? &Yr : NULL, &Wm, &o, &runm);
    MPIT_CHECK(s == MG_OK, "gd: status %d", (int)s);
    MPIT_CHECK(runm == run1, "gd: %zu epochs, one process %zu", runm, run1);
    MPIT_CHECK(mpit_same(wm, 3) && mpit_same(lm, EPOCHS + 1), "gd: ranks differ");
    /* The ranks' gradient is sum_r (n_r / N) G_r: each G_r's entries
     * within a few eps of their magnitudes (mg_mse_grad), the scaling and
     * the sum add 3 roundings: per step an error of order 8 eps relative to
     * |A|^T (|A| |W| + |Y|) ~ 1e3, i.e. 1e-15 after the learning rate 0.01
     * (W ~ 1).  The iteration contracts on A's range and keeps what lands
     * on the null vector [1 -2 1]: over 1000 steps at most 1000 * 1e-15 =
     * 1e-12 in W, and the loss moves by ||g|| |dW| + ||H|| |dW|^2 / 2,
     * with ||g|| <= 2/3 * ||A||_1 * sqrt(3 loss_0) ~ 5e2 at the start:
     * 5e-10 absolute for losses from 340 down to 3e-7. */
    double dw = 0.0, dl = 0.0, dl_end = 0.0;
    for (size_t i = 0; i < 3; i++)
        dw = fmax(dw, fabs(wm[i] - w1[i]) / fabs(w1[i]));
    for (size_t e = 0; e <= run1; e++)
        dl = fmax(dl, fabs(lm[e] - l1[e]));
    dl_end = fabs(lm[run1] - l1[run1]) / l1[run1];
    if (mpit_rank == 0)
        printf("seed 001 on %d ranks: W within %.2e relative of one process, losses within "
               "%.2e absolute (final loss %.2e relative)\n",
               mpit_size, dw, dl, dl_end);
    MPIT_CHECK(dw <= 1e-12, "W: %.3e", dw);
    MPIT_CHECK(dl <= 5e-10, "losses: %.3e", dl);
}

static void grad(void)
{
    enum { N = 257, J = 6, K = 3 };
    mgt_rng r = mgt_rng_seed(7);
    mgt_mat A = mgt_random(&r, N, J, 0), Y = mgt_random(&r, N, K, 0), W = mgt_random(&r, J, K, 0);
    double g1[J * K], gm[J * K], l1 = 0, lm = 0;
    mg_matrix G1 = mg_matrix_view(g1, J, K), Gm = mg_matrix_view(gm, J, K);
    MPIT_CHECK(mg_mse_grad(&A.v, &W.v, &Y.v, &G1, &l1) == MG_OK, "mse_grad");
    size_t i0, n;
    mpit_split(N, &i0, &n);
    mg_matrix Ar = mg_matrix_block(&A.v, i0, 0, n ? n : 1, J), Yr = mg_matrix_block(&Y.v, i0, 0, n ? n : 1, K);
    mg_status s = mg_mpi_mse_grad(MPI_COMM_WORLD, n ? &Ar : NULL, &W.v, n ? &Yr : NULL, &Gm, &lm);
    MPIT_CHECK(s == MG_OK, "grad: status %d", (int)s);
    MPIT_CHECK(mpit_same(gm, J * K) && mpit_same(&lm, 1), "grad: ranks differ");
    /* both sums of N terms of magnitude |a| (|a| |w| J + |y|) <= 7 (entries
     * in [-1, 1)): each within gamma_N-ish of the sum of magnitudes, so
     * |G - G1| <= 2 (N + 4) eps (2/N) N 7 ~ 1.6e-12 */
    double d = 0.0;
    for (size_t i = 0; i < J * K; i++)
        d = fmax(d, fabs(gm[i] - g1[i]));
    MPIT_CHECK(d <= 2.0 * (N + 4) * DBL_EPSILON * 2.0 * 7.0, "grad: %.3e", d);
    MPIT_CHECK(fabs(lm - l1) <= 2.0 * (N + 4) * DBL_EPSILON * 49.0, "loss: %.3e", fabs(lm - l1));

    /* a NaN in one rank's rows: every rank says so, G untouched */
    const int bad = mpit_rank == (mpit_size == 2 ? 0 : mpit_size - 1);
    double keep = 0.0;
    if (bad && n > 0) {
        keep = *mg_at(&Ar, 0, 0);
        *mg_at(&Ar, 0, 0) = NAN;
    }
    gm[0] = -7.0;
    s = mg_mpi_mse_grad(MPI_COMM_WORLD, n ? &Ar : NULL, &W.v, n ? &Yr : NULL, &Gm, &lm);
    MPIT_CHECK(s == MG_ENONFINITE, "NaN: status %d", (int)s);
    MPIT_CHECK(gm[0] == -7.0, "NaN: G written");
    size_t run = 99;
    mg_gd_options o = mg_gd_defaults();
    o.epochs = 5;
    s = mg_mpi_gd_fit(MPI_COMM_WORLD, n ? &Ar : NULL, n ? &Yr : NULL, &W.v, &o, &run);
    MPIT_CHECK(s == MG_ENONFINITE && run == 99, "gd NaN: status %d", (int)s);
    if (bad && n > 0)
        *mg_at(&Ar, 0, 0) = keep;
    /* options that differ between ranks */
    o.epochs = bad ? 6 : 5;
    s = mg_mpi_gd_fit(MPI_COMM_WORLD, n ? &Ar : NULL, n ? &Yr : NULL, &W.v, &o, &run);
    MPIT_CHECK(s == (mpit_size > 1 ? MG_EDIM : MG_OK), "gd options: status %d", (int)s);
    /* divergence: a learning rate far too large */
    o.epochs = 2000;
    o.learning_rate = 1e3;
    run = 99;
    s = mg_mpi_gd_fit(MPI_COMM_WORLD, n ? &Ar : NULL, n ? &Yr : NULL, &W.v, &o, &run);
    MPIT_CHECK(s == MG_ENOCONV && run == 99, "diverging: status %d", (int)s);
    mgt_free(&A);
    mgt_free(&Y);
    mgt_free(&W);
}

START_TEST(mpi_gd)
{
    seed();
    grad();
}
END_TEST

int main(int argc, char **argv)
{
    mpit_init(&argc, &argv);
    return mpit_run(mpi_gd);
}
