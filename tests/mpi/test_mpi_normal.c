/* SPDX-License-Identifier: BSD-3-Clause */
/* mg_mpi_normal_solve on 1 to 4 ranks (tests/mpi.cmake), rows split
 * unevenly with rank 1 holding none (mpitest.h): paired-row problems whose
 * ridge solution (A^T A + ridge I)^-1 A^T Y is known exactly
 * (tests/ref/mgt_pairs.h), the same W on every rank, and the statuses of
 * bad input on one rank agreed by all. */
#include "mpitest.h"

#include "matgrad/mpi.h"
#include "mgt_pairs.h"

#include <float.h>
#include <math.h>

static double norm1(const double *G, size_t m)
{
    double worst = 0.0;
    for (size_t j = 0; j < m; j++) {
        double col = 0.0;
        for (size_t i = 0; i < m; i++)
            col += fabs(G[i * m + j]);
        worst = fmax(worst, col);
    }
    return worst;
}

static void exact(double ridge, size_t k)
{
    enum { P = 5 };
    mgt_pairs pr = mgt_pairs_make(21 + (uint64_t)ridge, 300, P, k, 0, 0, 0.0, 0.0, 0);
    mgt_pairs_exact ex = mgt_pairs_exact_make(&pr, ridge);
    size_t i0, n;
    mpit_split(pr.N, &i0, &n);
    mg_matrix A = mgt_pairs_x(&pr, i0, n), Y = mgt_pairs_y(&pr, i0, n);
    double W[P * 2];
    mg_matrix Wv = mg_matrix_view(W, P, k);
    const mg_status s = mg_mpi_normal_solve(MPI_COMM_WORLD, n ? &A : NULL, n ? &Y : NULL, ridge, &Wv);
    MPIT_CHECK(s == MG_OK, "ridge %g: status %d", ridge, (int)s);
    MPIT_CHECK(mpit_same(W, P * k), "ridge %g: W differs between ranks", ridge);
    double err = 0.0, big = 0.0;
    for (size_t i = 0; i < P * k; i++) {
        err = fmax(err, fabs(W[i] - ex.x[i]));
        big = fmax(big, fabs(ex.x[i]));
    }
    /* G = A^T A + ridge I is formed exactly (integer data, power-of-two
     * scaling); Cholesky's backward error |dG| <= gamma_{3m+1} |R^T| |R|
     * gives a normwise forward error below about 4 m^2 kappa_1(G) eps */
    const double kappa = norm1(ex.G, P) * norm1(ex.inv, P), bound = 4.0 * P * P * kappa * DBL_EPSILON;
    if (mpit_rank == 0)
        printf("normal solve ridge %g k %zu: relative error %.2e, bound %.2e (kappa_1 %.2e)\n", ridge,
               k, err / big, bound, kappa);
    MPIT_CHECK(err <= bound * big, "ridge %g: error %.3e > %.3e", ridge, err / big, bound);
    mgt_pairs_exact_free(&ex);
    mgt_pairs_free(&pr);
}

static void errors(void)
{
    mgt_pairs pr = mgt_pairs_make(3, 40, 3, 1, 0, 0, 0.0, 0.0, 0);
    size_t i0, n;
    mpit_split(pr.N, &i0, &n);
    const int bad = mpit_rank == (mpit_size == 2 ? 0 : mpit_size - 1);
    double a[3 * 40], y[40];
    for (size_t i = 0; i < n; i++) {
        memcpy(a + 3 * i, pr.X + (i0 + i) * pr.xs, 3 * sizeof *a);
        y[i] = pr.Y[i0 + i];
    }
    mg_matrix A = mg_matrix_view(a, n, 3), Y = mg_matrix_view(y, n, 1);
    double W[3] = { -7, -7, -7 };
    mg_matrix Wv = mg_matrix_view(W, 3, 1);
    if (bad && n > 0)
        y[0] = INFINITY;
    mg_status s = mg_mpi_normal_solve(MPI_COMM_WORLD, n ? &A : NULL, n ? &Y : NULL, 0.0, &Wv);
    MPIT_CHECK(s == MG_ENONFINITE, "Inf: status %d", (int)s);
    if (bad && n > 0)
        y[0] = 1.0;
    s = mg_mpi_normal_solve(MPI_COMM_WORLD, n ? &A : NULL, n ? &Y : NULL, bad ? -1.0 : 0.0, &Wv);
    MPIT_CHECK(s == MG_EINVAL, "negative ridge: status %d", (int)s);
    s = mg_mpi_normal_solve(MPI_COMM_WORLD, n ? &A : NULL, n ? &Y : NULL, bad ? 2.0 : 1.0, &Wv);
    MPIT_CHECK(s == (mpit_size > 1 ? MG_EDIM : MG_OK), "ridges differ: status %d", (int)s);
    if (mpit_size > 1)
        MPIT_CHECK(W[0] == -7 && W[2] == -7, "outputs written");
    /* a rank-deficient A (a zero column everywhere) with ridge 0 */
    for (size_t i = 0; i < n; i++)
        a[3 * i + 2] = 0.0;
    W[0] = -7;
    s = mg_mpi_normal_solve(MPI_COMM_WORLD, n ? &A : NULL, n ? &Y : NULL, 0.0, &Wv);
    MPIT_CHECK(s == MG_ENOTPD, "singular: status %d", (int)s);
    MPIT_CHECK(W[0] == -7, "singular: outputs written");
    mgt_pairs_free(&pr);
}

START_TEST(mpi_normal)
{
    exact(0.0, 1);
    exact(0.0, 2);
    exact(3.0, 2);
    errors();
}
END_TEST

int main(int argc, char **argv)
{
    mpit_init(&argc, &argv);
    return mpit_run(mpi_normal);
}
