/* SPDX-License-Identifier: BSD-3-Clause */
/* Least squares at the sizes applications fit (issue 13, goal 1): the
 * default mg_lstsq with standard errors, residual sd and R^2, against a
 * plain LAPACKE_dgels (Householder QR, no statistics) and GSL's
 * gsl_multifit_linear (SVD and covariance, its workspace reused), on one
 * thread, same data, timed round-robin in the same run.  The goal: mg_lstsq
 * at most 1.25x dgels and at most GSL's time at every point.  The same fit
 * through an mg_lstsq_workspace (created once per size, as GSL's) shows
 * what the per-call set-up costs.
 *
 *   build-bench/bench/bench_appsizes
 *
 * (it sets one OpenMP thread and one OpenBLAS thread itself: the goal is
 * per core, and applications with many small fits parallelise over fits).
 *
 * GSL (Debian's libgsl-dev) is a benchmark-only peer: without it the GSL
 * column is "-". */
#include "bench_common.h"

#include <lapacke.h>
#include <matgrad.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef MG_BENCH_HAVE_GSL
#include <gsl/gsl_multifit.h>
#endif
#ifdef _OPENMP
#include <omp.h>
#endif

/* OpenBLAS's own call (its cblas.h clashes with GSL's declarations). */
void openblas_set_num_threads(int n);

typedef struct problem {
    size_t N, p;
    double *X, *y, *Xc, *yc;      /* the data, and dgels's scratch copies */
    double *B, *se, sd, r2;
    mg_lstsq_workspace *mws;
#ifdef MG_BENCH_HAVE_GSL
    gsl_matrix *gX, *gcov;
    gsl_vector *gy, *gc;
    gsl_multifit_linear_workspace *ws;
#endif
} problem;

/* One mg_lstsq fit with the statistics, plain or through the workspace. */
static void fit_mg(problem *q, int through_ws)
{
    mg_matrix X = mg_matrix_view(q->X, q->N, q->p), Y = mg_matrix_view(q->y, q->N, 1);
    mg_matrix B = mg_matrix_view(q->B, q->p, 1), SE = mg_matrix_view(q->se, q->p, 1);
    mg_lstsq_result res = { 0 };
    res.std_err = &SE;
    res.residual_sd = &q->sd;
    res.r_squared = &q->r2;
    const mg_status s = through_ws ? mg_lstsq_workspace_fit(q->mws, &X, &Y, &B, &res)
                                   : mg_lstsq(&X, &Y, &B, NULL, &res);
    if (s != MG_OK)
        abort();
}

static void run_mg(void *ctx)
{
    fit_mg(ctx, 0);
}

static void run_mg_ws(void *ctx)
{
    fit_mg(ctx, 1);
}

static void run_dgels(void *ctx)
{
    problem *q = ctx;
    /* dgels overwrites its inputs: fresh copies each call (as a caller
     * keeping its data would) */
    memcpy(q->Xc, q->X, q->N * q->p * sizeof *q->Xc);
    memcpy(q->yc, q->y, q->N * sizeof *q->yc);
    /* min ||y - X b|| by Householder QR, row-major */
    if (LAPACKE_dgels(LAPACK_ROW_MAJOR, 'N', (lapack_int)q->N, (lapack_int)q->p, 1, q->Xc,
                      (lapack_int)q->p, q->yc, 1) != 0)
        abort();
}

#ifdef MG_BENCH_HAVE_GSL
static void run_gsl(void *ctx)
{
    problem *q = ctx;
    double chisq;
    if (gsl_multifit_linear(q->gX, q->gy, q->gc, q->gcov, &chisq, q->ws) != 0)
        abort();
}
#endif

int main(void)
{
#ifdef _OPENMP
    omp_set_num_threads(1);
#endif
    openblas_set_num_threads(1);
    static const size_t grid[][2] = { { 20, 2 }, { 100, 4 }, { 1000, 10 }, { 10000, 20 },
                                      { 100000, 50 } };
    printf("# mg_lstsq (default, with std. errors, sd, R^2) vs LAPACKE_dgels vs GSL "
           "gsl_multifit_linear; medians, one thread\n");
    printf("%10s %4s %12s %12s %12s %12s %9s %9s\n", "N", "p", "mg_lstsq_us", "mg_ws_us",
           "dgels_us", "gsl_us", "mg/dgels", "mg/gsl");
    for (size_t g = 0; g < sizeof grid / sizeof *grid; g++) {
        problem q = { .N = grid[g][0], .p = grid[g][1] };
        if (bc_quick() && q.N > 10000)
            continue;
        q.X = bc_random(q.N * q.p, 11 + g);
        q.y = bc_random(q.N, 97 + g);
        q.Xc = malloc(q.N * q.p * sizeof *q.Xc);
        q.yc = malloc(q.N * sizeof *q.yc);
        q.B = malloc(q.p * sizeof *q.B);
        q.se = malloc(q.p * sizeof *q.se);
        if (!q.X || !q.y || !q.Xc || !q.yc || !q.B || !q.se ||
            mg_lstsq_workspace_create(q.N, q.p, 1, NULL, &q.mws) != MG_OK)
            return 1;
        void (*fns[4])(void *) = { run_mg, run_dgels, run_mg_ws, NULL };
        void *ctxs[4] = { &q, &q, &q, &q };
        size_t nf = 3;
#ifdef MG_BENCH_HAVE_GSL
        q.gX = gsl_matrix_alloc(q.N, q.p);
        q.gcov = gsl_matrix_alloc(q.p, q.p);
        q.gy = gsl_vector_alloc(q.N);
        q.gc = gsl_vector_alloc(q.p);
        q.ws = gsl_multifit_linear_alloc(q.N, q.p);
        for (size_t i = 0; i < q.N; i++) {
            gsl_vector_set(q.gy, i, q.y[i]);
            for (size_t j = 0; j < q.p; j++)
                gsl_matrix_set(q.gX, i, j, q.X[i * q.p + j]);
        }
        fns[3] = run_gsl;
        nf = 4;
#endif
        /* enough repetitions for a stable median at every size */
        const int reps = bc_reps(q.N <= 100 ? 2001 : q.N <= 1000 ? 201 : q.N <= 10000 ? 21 : 7);
        double med[4] = { 0, 0, 0, -1 };
        bc_time_rounds(fns, ctxs, nf, reps, med, NULL);
        printf("%10zu %4zu %12.2f %12.2f %12.2f ", q.N, q.p, 1e6 * med[0], 1e6 * med[2],
               1e6 * med[1]);
        if (nf == 4)
            printf("%12.2f %9.2f %9.2f\n", 1e6 * med[3], med[0] / med[1], med[0] / med[3]);
        else
            printf("%12s %9.2f %9s\n", "-", med[0] / med[1], "-");
        bc_result("lstsq_app", "mg_lstsq", q.N, q.p, med[0], -1, "-", -1);
        bc_result("lstsq_app", "dgels", q.N, q.p, med[1], -1, "-", -1);
        bc_result("lstsq_app", "mg_lstsq_workspace", q.N, q.p, med[2], -1, "-", -1);
        if (nf == 4)
            bc_result("lstsq_app", "gsl", q.N, q.p, med[3], -1, "-", -1);
        mg_lstsq_workspace_free(q.mws);
#ifdef MG_BENCH_HAVE_GSL
        gsl_matrix_free(q.gX);
        gsl_matrix_free(q.gcov);
        gsl_vector_free(q.gy);
        gsl_vector_free(q.gc);
        gsl_multifit_linear_free(q.ws);
#endif
        bc_free(q.X);
        bc_free(q.y);
        free(q.Xc);
        free(q.yc);
        free(q.B);
        free(q.se);
    }
    return 0;
}
