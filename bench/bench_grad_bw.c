/* SPDX-License-Identifier: BSD-3-Clause */
/* bench_grad_bw: the fused MSE gradient (k = 1) against the machine's
 * streaming read of the same A, on 1 and 2 threads, all timed round-robin
 * in the same rounds (bc_time_rounds) so that they see the same machine.
 * The bound is bench/common's eight-accumulator vector sum with software
 * prefetch (bc_stream_read).  The same sum without the prefetch (the
 * hardware prefetcher alone; "plain", bc_stream_read_plain) is timed too,
 * as the weaker bound.
 *
 *   MG_BENCH_REPS  rounds (default 15)
 *   MG_BENCH_N     rows of A (default 1000000); j = 64 */
#include "bench_common.h"
#include "../src/kernels/mse_pass.h"

#include <matgrad.h>
#include <stdio.h>
#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

typedef struct gctx {
    mg_matrix A, W, Y;
    double *g, *scratch, ssq;
    int threads;
} gctx;

typedef struct sctx {
    bc_stream st;
    int threads;
} sctx;

static void grad(void *p)
{
    gctx *x = p;
    mg__mse_pass_nt(&x->A, &x->W, &x->Y, x->g, &x->ssq, x->scratch, x->threads);
}

/* fn (bc_stream_read or bc_stream_read_plain, which run on
 * omp_get_max_threads() threads) on x->threads threads. */
static void on_threads(void (*fn)(void *), sctx *x)
{
#ifdef _OPENMP
    const int save = omp_get_max_threads();
    omp_set_num_threads(x->threads);
#endif
    fn(&x->st);
#ifdef _OPENMP
    omp_set_num_threads(save);
#endif
}

static void stream(void *p)
{
    on_threads(bc_stream_read, p);
}

static void stream_plain(void *p)
{
    on_threads(bc_stream_read_plain, p);
}

int main(void)
{
    const int reps = bc_reps(15);
    const char *env = getenv("MG_BENCH_N");
    const size_t N = env && atol(env) > 0 ? (size_t)atol(env) : 1000000, j = 64;
    double *A = bc_random(N * j, 11), *y = bc_random(N, 12), *w = bc_random(j, 13),
           *g = bc_random(j, 14), *scratch = malloc(mg__mse_scratch_len(N, j, 1) * sizeof(double));
    if (!A || !y || !w || !g || !scratch)
        return 1;
    gctx g1 = { mg_matrix_view(A, N, j), mg_matrix_view(w, j, 1), mg_matrix_view(y, N, 1), g,
                scratch, 0.0, 1 };
    gctx g2 = g1;
    g2.threads = 2;
    sctx s1 = { { A, N * j }, 1 }, s2 = { { A, N * j }, 2 };

    /* Each two-thread row follows a one-thread row of the same kind, so that
     * every two-thread run starts with the second core idle.  (Timed right
     * after the sum's two-thread OpenMP region, whose idle worker libgomp
     * keeps spinning on the second core for a while, the gradient's pass
     * measured ~10% slower: its second thread waited for that core.) */
    void (*const fns[])(void *) = { stream, stream, grad, grad, stream_plain, stream_plain };
    void *const ctxs[] = { &s1, &s2, &g1, &g2, &s1, &s2 };
    static const char *const names[] = { "stream_1thread",  "stream_2threads",
                                         "matgrad_1thread", "matgrad_2threads",
                                         "plain_1thread",   "plain_2threads" };
    enum { NF = sizeof fns / sizeof fns[0] };
    double med[NF], best[NF];
    bc_time_rounds(fns, ctxs, NF, reps, med, best);

    /* Rates over A alone (y is 1/65 of the bytes), so kernel and bound
     * count the same bytes. */
    const double bytes = (double)N * (double)j * sizeof(double);
    printf("bench_grad_bw: %zux%zu, k = 1, medians of %d round-robin rounds\n", N, j, reps);
    for (int i = 0; i < NF; i++) {
        const double bound = med[i & 1]; /* the stream, same threads */
        printf("  %-17s %9.3f ms %7.2f GB/s (fastest %7.2f GB/s) %6.1f%% of stream\n", names[i],
               1e3 * med[i], bytes / med[i] * 1e-9, bytes / best[i] * 1e-9,
               100.0 * bound / med[i]);
        bc_result("grad_bw", names[i], N, j, med[i], bytes / med[i] * 1e-9, "GB/s",
                  bound / med[i]);
    }
    bc_free(A); bc_free(y); bc_free(w); bc_free(g);
    free(scratch);
    return 0;
}
