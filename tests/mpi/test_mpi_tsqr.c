/* SPDX-License-Identifier: BSD-3-Clause */
/* The kernels of mg_mpi_lstsq's Householder path (src/lstsq/tsqr.h, the
 * private ABI), in one process: the rows cut into blocks (one with none,
 * some with fewer than p), each block factored, the blocks merged on the
 * MPI layer's tree (r + 2^l into r), Q^T going up and Q coming down as
 * src/mpi/lstsq_q.c moves them.  Run under mpirun like the other MPI
 * suites (tests/mpi.cmake); every rank checks the same thing.
 *
 *   - the double-double partial sums mg__tsqr_residuals hands to the tree
 *     are the kernel's own (mg__xgemv_t's accumulators): hi + lo rounds to
 *     the g one process computes, bitwise;
 *   - a consistent system f = Z x0 (integers: exact), g = 0: the distributed
 *     correction is x0 and dr = 0 within the forward error of a
 *     backward-stable least-squares solve with zero residual (Higham, ASNA,
 *     Thm 20.3: normwise c eps kappa(Z), c = 10 p sqrt(N) here), for every
 *     cut of the rows into 1 to 5 blocks;
 *   - an inconsistent f and a g != 0: the distributed correction agrees
 *     with mg_lstsq's own augmented solve (mg__lsq_solve_aug on one
 *     Householder QR), both backward stable on the augmented system, whose
 *     condition is at most about 2 kappa^2 (Bjorck): normwise within
 *     2 c eps 2 kappa^2. */
#include "mpitest.h"

#include "lstsq/lstsq_internal.h"
#include "mgtest.h"

#include <float.h>
#include <math.h>

enum { N = 64, P = 6, MAXB = 5 };

static double Z[N * P], x0[P];

/* Integers in [-1000, 1000], the first row 1000 in every column: each
 * column's largest entry is 1000, so D = 2^-10 I and kappa(Z D) = kappa(Z). */
static void make(void)
{
    mgt_rng g = mgt_rng_seed(31);
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < P; j++)
            Z[i * P + j] = i == 0 ? 1000.0 : floor(1000.0 * mgt_uniform(&g));
    for (size_t j = 0; j < P; j++)
        x0[j] = floor(50.0 * mgt_uniform(&g));
}

/* Blocks b < nb of the cut `sizes`, merged on the tree into block 0.
 * f: N entries; dx (P), dr (N): the augmented correction [f; g]. */
static void tree_solve(const size_t *sizes, size_t nb, const double *f, const double *g,
                       double *dx, double *dr, double *rcond)
{
    static mg__tsqr t[MAXB];
    mg_matrix X[MAXB];
    size_t at[MAXB], used[MAXB] = { 0 };
    double mx[P], top[MAXB][P], u[MAXB][P], v[P];
    /* the global maxima, as the ranks' Allreduce gives them */
    for (size_t j = 0; j < P; j++)
        mx[j] = 0.0;
    for (size_t b = 0, i0 = 0; b < nb; i0 += sizes[b], b++) {
        double m[P];
        at[b] = i0;
        X[b] = mg_matrix_view(Z + i0 * P, sizes[b], P);
        ck_assert(mg__tsqr_colmax(sizes[b] ? &X[b] : NULL, 0, sizes[b], P, m));
        for (size_t j = 0; j < P; j++)
            mx[j] = fmax(mx[j], m[j]);
    }
    for (size_t b = 0; b < nb; b++) {
        size_t nodes = 0;
        for (size_t step = 1; step < nb && b % (2 * step) == 0; step *= 2)
            nodes += b + step < nb;
        ck_assert_int_eq(mg__tsqr_create(&t[b], sizes[b] ? &X[b] : NULL, 0, sizes[b], P, nodes, mx),
                         MG_OK);
        ck_assert_int_eq(mg__tsqr_leaf(&t[b]), MG_OK);
        ck_assert_int_eq(mg__tsqr_leaf_qt(&t[b], f + at[b], top[b]), MG_OK);
    }
    /* up: R, and the tops of Q^T f, level by level */
    for (size_t step = 1; step < nb; step *= 2)
        for (size_t b = 0; b + step < nb; b += 2 * step) {
            ck_assert_int_eq(mg__tsqr_node(&t[b], t[b + step].R), MG_OK);
            ck_assert_int_eq(mg__tsqr_node_qt(&t[b], used[b]++, top[b], top[b + step]), MG_OK);
        }
    ck_assert_int_eq(mg__tsqr_rcond(&t[0], rcond), MG_OK);
    mg__tsqr_root_solve(&t[0], top[0], g, dx, v);
    /* down: Q [v; 0], the last merge first */
    memcpy(u[0], v, sizeof v);
    size_t top_step = 1;
    while (top_step * 2 < nb)
        top_step *= 2;
    for (size_t step = top_step; step >= 1 && nb > 1; step /= 2)
        for (size_t b = 0; b + step < nb; b += 2 * step)
            ck_assert_int_eq(mg__tsqr_node_q(&t[b], --used[b], u[b], u[b + step]), MG_OK);
    for (size_t b = 0; b < nb; b++) {
        ck_assert_int_eq(mg__tsqr_leaf_q(&t[b], f + at[b], u[b], dr + at[b]), MG_OK);
        mg__tsqr_free(&t[b]);
    }
}

static double norm2(const double *v, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += v[i] * v[i];
    return sqrt(s);
}

/* mg_lstsq's own correction on every row (one Householder QR). */
static void single_solve(const double *f, const double *g, double *dx, double *dr)
{
    mg_matrix Xv = mg_matrix_view(Z, N, P);
    mg__lsq q;
    memset(&q, 0, sizeof q);
    q.d.X = &Xv;
    q.d.N = N;
    q.d.p = P;
    q.m = P;
    q.rank_tol = N * DBL_EPSILON;
    double scale[2 * P];
    q.scale = scale;
    q.scale_lo = scale + P;
    ck_assert(mg__lsq_scales(&q.d, q.scale, q.scale_lo));
    ck_assert_int_eq(mg__lsq_qr(&q), MG_OK);
    q.work = malloc((N + 3 * P + MG__LSQ_QWORK) * sizeof(double));
    ck_assert(q.work);
    ck_assert_int_eq(mg__lsq_solve_aug(&q, f, g, dr, dx), MG_OK);
    free(q.F); free(q.tau); free(q.perm); free(q.T); free(q.work);
}

START_TEST(tsqr)
{
    make();
    double smax, smin, rcond;
    mg_matrix Xv = mg_matrix_view(Z, N, P);
    mgt_svals(&Xv, 0, &smax, &smin);
    const double kappa = smax / smin, eps = DBL_EPSILON, c = 10.0 * P * sqrt((double)N);

    /* the partial sums: hi + lo is the kernel's g */
    {
        mgt_rng gr = mgt_rng_seed(5);
        double r[N], y[N], f[N], x[P], bt[P], hilo[2 * P], gk[P], acc[2 * P], ones[P];
        for (size_t i = 0; i < N; i++)
            r[i] = mgt_uniform(&gr), y[i] = mgt_uniform(&gr);
        for (size_t j = 0; j < P; j++)
            x[j] = mgt_uniform(&gr), ones[j] = 1.0;
        mg__tsqr t;
        ck_assert_int_eq(mg__tsqr_create(&t, &Xv, 0, N, P, 0, ones), MG_OK);
        mg__tsqr_residuals(&t, y, 1, x, r, f, bt, hilo);
        mg__xgemv_t(Z, P, N, P, 0, t.scale, r, 1, NULL, gk, acc);
        for (size_t j = 0; j < P; j++)
            ck_assert_msg(hilo[j] + hilo[P + j] == gk[j], "partial sum %zu", j);
        mg__tsqr_free(&t);
    }

    static const size_t cuts[][MAXB] = { { N }, { 3, N - 3 }, { 3, 0, N - 3 },
                                         { 3, 0, 40, N - 43 }, { 1, 0, 5, 38, N - 44 } };
    static const size_t ncut[] = { 1, 2, 3, 4, 5 };
    double f[N], dr[N], dx[P], want[P];
    for (size_t i = 0; i < N; i++) {
        f[i] = 0.0;
        for (size_t j = 0; j < P; j++)
            f[i] += Z[i * P + j] * x0[j]; /* exact: integers below 2^53 */
    }
    for (size_t j = 0; j < P; j++)
        want[j] = ldexp(x0[j], 10); /* scaled coordinates: D^-1 x0 */
    for (size_t k = 0; k < sizeof ncut / sizeof ncut[0]; k++) {
        tree_solve(cuts[k], ncut[k], f, NULL, dx, dr, &rcond);
        double e[P];
        for (size_t j = 0; j < P; j++)
            e[j] = dx[j] - want[j];
        /* forward error of a zero-residual least-squares solve */
        ck_assert_msg(norm2(e, P) <= c * eps * kappa * norm2(want, P), "cut %zu: dx error %g", k,
                      norm2(e, P) / norm2(want, P));
        /* dr = f - Z dx to the same order: |dr| <= c eps ||Z D|| ||x|| */
        ck_assert_msg(norm2(dr, N) <= c * eps * smax * norm2(x0, P), "cut %zu: dr %g", k,
                      norm2(dr, N));
        /* rcond: the 1-norm estimate of R, within p of 1 / kappa_2 each way
         * (kappa_1 of R within a factor p of kappa_2, the estimator a lower
         * bound on ||R^-1||_1 within the same factor in practice) */
        ck_assert_msg(rcond >= 1.0 / (P * P * kappa) && rcond <= P / kappa, "cut %zu: rcond %g", k,
                      rcond);
    }

    /* an inconsistent f and g != 0: the same correction as one process's */
    mgt_rng gr = mgt_rng_seed(7);
    double g[P], dx1[P], dr1[N];
    for (size_t i = 0; i < N; i++)
        f[i] = mgt_uniform(&gr);
    for (size_t j = 0; j < P; j++)
        g[j] = mgt_uniform(&gr);
    single_solve(f, g, dx1, dr1);
    for (size_t k = 0; k < sizeof ncut / sizeof ncut[0]; k++) {
        tree_solve(cuts[k], ncut[k], f, g, dx, dr, &rcond);
        double ex[P], er[N];
        for (size_t j = 0; j < P; j++)
            ex[j] = dx[j] - dx1[j];
        for (size_t i = 0; i < N; i++)
            er[i] = dr[i] - dr1[i];
        const double tol = 2.0 * c * eps * 2.0 * kappa * kappa;
        const double scale = norm2(dx1, P) + norm2(dr1, N);
        ck_assert_msg(norm2(ex, P) + norm2(er, N) <= tol * scale, "cut %zu: %g from one process", k,
                      (norm2(ex, P) + norm2(er, N)) / scale);
    }
    if (mpit_rank == 0)
        printf("tsqr: kappa %.3g, rcond %.3g; cuts of 1 to 5 blocks agree with the exact and the "
               "single-process corrections\n", kappa, rcond);
}
END_TEST

int main(int argc, char **argv)
{
    mpit_init(&argc, &argv);
    return mpit_run(tsqr);
}
