/* SPDX-License-Identifier: BSD-3-Clause */
/* bench_threads: matgrad calls mixed with a program's own OpenBLAS calls,
 * in the default environment (docs/performance.md, "Threads").
 *
 * A program that alternates its BLAS calls with matgrad's meets both
 * thread pools: OpenBLAS's workers poll for new work after each call, and
 * matgrad's workers after each pass.  Whichever pool still polls holds a
 * core the other pool's next call needs.  For each workload this times
 *   mixed:    the call right after the other library's call (as a program
 *             that alternates them makes it);
 *   isolated: the same call after a 300 ms pause (both pools asleep);
 * in the same rounds (round-robin, medians), and prints mixed / isolated.
 * A ratio near 1 means the pools do not fight.  Before those rounds, for
 * matgrad's calls,
 *   back to back: the pair (other library's call, then the timed call)
 *             repeated with no pause, as a program's loop makes it, against
 *             the isolated median: where the pools' threads settle over
 *             many pairs (a worker that kept sharing its caller's CPU made
 *             every pass run at one thread's speed).
 *
 *   bench_threads [N] [reps]       (defaults 200000 and 7; j = 64, k = 1) */
#define _POSIX_C_SOURCE 199309L
#include "bench_common.h"

#include <cblas.h>
#include <lapacke.h>
#include <matgrad.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct ctx {
    size_t N, j;
    double *A, *y, *w, *g, *r, *M, *b;
} ctx;

/* ---- the program's own BLAS calls ------------------------------------- */

/* g = A^T (y - A w): two dgemv, OpenBLAS threads over the rows */
static void blas_gradient(void *p)
{
    ctx *x = p;
    const int N = (int)x->N, j = (int)x->j;
    memcpy(x->r, x->y, x->N * sizeof *x->r);
    /* r = y - A w */
    cblas_dgemv(CblasRowMajor, CblasNoTrans, N, j, -1.0, x->A, j, x->w, 1, 1.0, x->r, 1);
    /* g = A^T r */
    cblas_dgemv(CblasRowMajor, CblasTrans, N, j, 1.0, x->A, j, x->r, 1, 0.0, x->g, 1);
}

/* M = A^T A by dsyrk (OpenBLAS level 3 on its threads) */
static void blas_gram(void *p)
{
    ctx *x = p;
    const int N = (int)x->N, j = (int)x->j;
    /* M = A^T A (upper) */
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, j, N, 1.0, x->A, j, 0.0, x->M, j);
}

/* ---- matgrad's calls ---------------------------------------------------- */

static void mg_gradient(void *p)
{
    ctx *x = p;
    mg_matrix A = mg_matrix_view(x->A, x->N, x->j), W = mg_matrix_view(x->w, x->j, 1);
    mg_matrix Y = mg_matrix_view(x->y, x->N, 1), G = mg_matrix_view(x->g, x->j, 1);
    double loss;
    if (mg_mse_grad(&A, &W, &Y, &G, &loss) != MG_OK)
        abort();
}

static void mg_normal(void *p)
{
    ctx *x = p;
    mg_matrix A = mg_matrix_view(x->A, x->N, x->j), Y = mg_matrix_view(x->y, x->N, 1);
    mg_matrix B = mg_matrix_view(x->b, x->j, 1);
    if (mg_normal_solve(&A, &Y, 0.0, &B) != MG_OK)
        abort();
}

static void mg_accurate(void *p)
{
    ctx *x = p;
    mg_matrix A = mg_matrix_view(x->A, x->N, x->j), Y = mg_matrix_view(x->y, x->N, 1);
    mg_matrix B = mg_matrix_view(x->b, x->j, 1);
    if (mg_lstsq(&A, &Y, &B, NULL, NULL) != MG_OK)
        abort();
}

/* ---- pairs ---------------------------------------------------------------- */

typedef struct pair {
    const char *id; /* RESULT impl= */
    const char *name;
    void (*before)(void *); /* the other library's call, untimed */
    void (*timed)(void *);
    int ours; /* the timed call is matgrad's: also timed back to back */
} pair;

static const pair PAIRS[] = {
    { "grad_after_blas", "mg_mse_grad after dgemv x2", blas_gradient, mg_gradient, 1 },
    { "normal_after_blas", "mg_normal_solve after dsyrk", blas_gram, mg_normal, 1 },
    { "lstsq_after_blas", "mg_lstsq after dgemv x2", blas_gradient, mg_accurate, 1 },
    { "dgemv_after_mg", "dgemv x2 after mg_mse_grad", mg_gradient, blas_gradient, 0 },
    { "dsyrk_after_mg", "dsyrk after mg_normal_solve", mg_normal, blas_gram, 0 },
};
enum { NPAIRS = sizeof PAIRS / sizeof PAIRS[0] };

static double timed(void (*fn)(void *), void *x)
{
    const double t0 = bc_now();
    fn(x);
    return bc_now() - t0;
}

static void pause_ms(long ms)
{
    const struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&t, NULL);
}

int main(int argc, char **argv)
{
    const size_t N = argc > 1 ? (size_t)atol(argv[1]) : 200000;
    const int reps = argc > 2 ? atoi(argv[2]) : bc_reps(7);
    const size_t j = 64;
    if (N < j || reps < 1)
        return 2;
    ctx x = { N, j, bc_random(N * j, 21), bc_random(N, 22), bc_random(j, 23), bc_random(j, 24),
              bc_random(N, 25), bc_random(j * j, 26), bc_random(j, 27) };
    double *mixed = malloc(NPAIRS * (size_t)reps * sizeof *mixed);
    double *alone = malloc(NPAIRS * (size_t)reps * sizeof *alone);
    double *loop = malloc(NPAIRS * (size_t)reps * sizeof *loop);
    if (!x.A || !x.y || !x.w || !x.g || !x.r || !x.M || !x.b || !mixed || !alone || !loop)
        return 1;
    const char *env[] = { "OMP_WAIT_POLICY", "OPENBLAS_THREAD_TIMEOUT", "OMP_NUM_THREADS",
                          "OPENBLAS_NUM_THREADS" };
    printf("bench_threads: %zu x %zu, medians of %d rounds; environment:", N, j, reps);
    for (size_t e = 0; e < sizeof env / sizeof env[0]; e++)
        printf(" %s=%s", env[e], getenv(env[e]) ? getenv(env[e]) : "unset");
    printf("\n");
    for (size_t i = 0; i < NPAIRS; i++) /* warm-up: pages, pools, workspaces */
        PAIRS[i].timed(&x);
    /* back to back first, as a program's loop starts: where the threads
     * settle then is what its passes get */
    for (size_t i = 0; i < NPAIRS; i++) {
        if (!PAIRS[i].ours)
            continue;
        for (int r = 0; r < reps; r++) {
            PAIRS[i].before(&x);
            loop[i * (size_t)reps + (size_t)r] = timed(PAIRS[i].timed, &x);
        }
    }
    for (int r = 0; r < reps; r++)
        for (size_t i = 0; i < NPAIRS; i++) {
            PAIRS[i].before(&x);
            mixed[i * (size_t)reps + (size_t)r] = timed(PAIRS[i].timed, &x);
            pause_ms(300);
            alone[i * (size_t)reps + (size_t)r] = timed(PAIRS[i].timed, &x);
        }
    printf("  %-30s %12s %12s %8s\n", "call", "mixed", "isolated", "ratio");
    for (size_t i = 0; i < NPAIRS; i++) {
        const double m = bc_median(mixed + i * (size_t)reps, (size_t)reps);
        const double a = bc_median(alone + i * (size_t)reps, (size_t)reps);
        printf("  %-30s %9.3f ms %9.3f ms %7.2fx\n", PAIRS[i].name, 1e3 * m, 1e3 * a, m / a);
        bc_result("mixed_threads", PAIRS[i].id, N, j, m, m / a, "x_isolated", -1.0);
    }
    printf("  back to back, %d pairs each (run first):\n", reps);
    for (size_t i = 0; i < NPAIRS; i++) {
        if (!PAIRS[i].ours)
            continue;
        const double m = bc_median(loop + i * (size_t)reps, (size_t)reps);
        const double a = bc_median(alone + i * (size_t)reps, (size_t)reps);
        printf("  %-30s %9.3f ms %9.3f ms %7.2fx\n", PAIRS[i].name, 1e3 * m, 1e3 * a, m / a);
        char id[64];
        snprintf(id, sizeof id, "%s_loop", PAIRS[i].id);
        bc_result("mixed_threads", id, N, j, m, m / a, "x_isolated", -1.0);
    }
    bc_free(x.A); bc_free(x.y); bc_free(x.w); bc_free(x.g); bc_free(x.r); bc_free(x.M);
    bc_free(x.b);
    free(mixed);
    free(alone);
    free(loop);
    return 0;
}
