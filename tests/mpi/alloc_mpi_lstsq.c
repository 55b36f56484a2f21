/* SPDX-License-Identifier: BSD-3-Clause */
/* Allocation failures on one rank (tests/mpi.cmake: alloc_mpi_lstsq, run
 * on 1 to 4 ranks, not under the sanitizers).  The MPI layer is compiled
 * into this executable with the static matgrad, so that the interposer
 * (tests/ref/failalloc.h) fails the layer's and the engine's allocations
 * while sparing every shared object's (Open MPI, OpenBLAS, the C
 * library).  For each rank in turn and n = 1, 2, ...: that rank fails its
 * n-th allocation inside mg_mpi_lstsq / mg_mpi_normal_solve /
 * mg_mpi_gd_fit; every rank must return the same status (MG_ENOMEM),
 * write nothing and leak nothing, until a call runs with no failure.
 * FN_LSTSQ_Q is mg_mpi_lstsq on a design the engine declines (kappa ~1e8,
 * unweighted): its Householder path's allocations (src/mpi/lstsq_q.c,
 * src/lstsq/tsqr.c) fail too. */
#include "mpitest.h"

#include "failalloc.h"
#include "matgrad/mpi.h"
#include "mgt_pairs.h"

enum { FN_LSTSQ, FN_NORMAL, FN_GD, FN_LSTSQ_Q, NFN };

static mg_status call(int fn, const mgt_pairs *pr, size_t i0, size_t n, double *out)
{
    mg_matrix X = mgt_pairs_x(pr, i0, n), Y = mgt_pairs_y(pr, i0, n), w = mgt_pairs_w(pr, i0, n);
    mg_matrix B = mg_matrix_view(out, pr->m, pr->k), W = mg_matrix_view(out, pr->p, pr->k);
    if (fn == FN_LSTSQ || fn == FN_LSTSQ_Q) {
        double sd[4];
        mg_lstsq_result res = { 0 };
        res.residual_sd = sd;
        mg_mpi_lstsq_options o = mg_mpi_lstsq_defaults();
        o.intercept = pr->ic;
        return mg_mpi_lstsq(MPI_COMM_WORLD, n ? &X : NULL, n ? &Y : NULL, n && pr->w ? &w : NULL, &o,
                            &B, &res);
    }
    if (fn == FN_NORMAL)
        return mg_mpi_normal_solve(MPI_COMM_WORLD, n ? &X : NULL, n ? &Y : NULL, 1.0, &W);
    mg_gd_options o = mg_gd_defaults();
    o.epochs = 3;
    o.learning_rate = 1e-6;
    return mg_mpi_gd_fit(MPI_COMM_WORLD, n ? &X : NULL, n ? &Y : NULL, &W, &o, NULL);
}

static void sweep(int fn)
{
    mgt_pairs pr = fn == FN_LSTSQ_Q ? mgt_pairs_make(9, 60, 3, 2, 1, 0, 1e8, 0.0, 0)
                                    : mgt_pairs_make(9, 60, 3, 2, 1, 1, 0.0, 0.0, 0);
    size_t i0, n;
    mpit_split(pr.N, &i0, &n);
    double out[8];
    mgt_failalloc_spare(".so");
    MPIT_CHECK(call(fn, &pr, i0, n, out) == MG_OK, "warm-up");
    for (int victim = 0; victim < mpit_size; victim++) {
        size_t points = 0;
        for (size_t nth = 1;; nth++) {
            for (size_t i = 0; i < 8; i++)
                out[i] = -7.0;
            if (mpit_rank == victim)
                mgt_failalloc_arm(nth);
            const mg_status s = call(fn, &pr, i0, n, out);
            mgt_failalloc_disarm();
            int injected = mpit_rank == victim && mgt_failalloc_injected();
            const size_t live = mpit_rank == victim ? mgt_failalloc_live(NULL, NULL) : 0;
            MPI_Allreduce(MPI_IN_PLACE, &injected, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
            MPIT_CHECK(live == 0, "function %d, rank %d, allocation %zu: %zu blocks leaked", fn,
                       victim, nth, live);
            if (!injected) {
                MPIT_CHECK(s == MG_OK, "function %d: status %d without a failure", fn, (int)s);
                break;
            }
            points++;
            MPIT_CHECK(s == MG_ENOMEM, "function %d, rank %d, allocation %zu: status %d", fn,
                       victim, nth, (int)s);
            MPIT_CHECK(out[0] == -7.0 && out[5] == -7.0, "function %d: outputs written", fn);
            /* the same status on every rank */
            double sv = (double)s;
            MPIT_CHECK(mpit_same(&sv, 1), "function %d: statuses differ", fn);
        }
        if (mpit_rank == 0)
            printf("function %d, failures on rank %d: %zu allocation points, all agreed\n", fn,
                   victim, points);
        MPIT_CHECK(points > 0, "function %d: no allocation failed", fn);
    }
    mgt_failalloc_spare(NULL);
    mgt_pairs_free(&pr);
}

START_TEST(mpi_alloc)
{
    for (int fn = 0; fn < NFN; fn++)
        sweep(fn);
}
END_TEST

int main(int argc, char **argv)
{
    mpit_init(&argc, &argv);
    return mpit_run(mpi_alloc);
}
