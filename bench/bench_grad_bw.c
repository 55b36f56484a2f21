/* SPDX-License-Identifier: BSD-3-Clause */
/* bench_grad_bw: the fused MSE gradient (k = 1) against the machine's
 * streaming read of the same A, on 1 and 2 threads, all timed round-robin
 * in the same rounds (bc_time_rounds) so that they see the same machine.
 * The bound is bench/common's eight-accumulator vector sum with software
 * prefetch (bc_stream_read).  The same sum without the prefetch (the
 * hardware prefetcher alone; "plain") is timed too, as the weaker bound.
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

typedef double v4d __attribute__((vector_size(32), aligned(8), may_alias));

/* bench/common's sum without its software prefetch: the hardware
 * prefetcher alone (the weaker bound, shown for comparison). */
#define PLAIN_SUM_BODY                                                             \
    v4d a[8] = { { 0 } };                                                          \
    size_t i = 0;                                                                  \
    for (; i + 32 <= n; i += 32)                                                   \
        for (int u = 0; u < 8; u++)                                                \
            a[u] += *(const v4d *)(x + i + 4 * (size_t)u);                         \
    double s = 0.0;                                                                \
    for (int u = 0; u < 8; u++)                                                    \
        s += a[u][0] + a[u][1] + a[u][2] + a[u][3];                                \
    for (; i < n; i++)                                                             \
        s += x[i];                                                                 \
    return s;

static double plain_sum_base(const double *x, size_t n) { PLAIN_SUM_BODY }

#if defined(__x86_64__)
__attribute__((target("avx2"))) static double plain_sum_avx2(const double *x, size_t n)
{
    PLAIN_SUM_BODY
}
#endif

static double plain_sum(const double *x, size_t n)
{
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx2"))
        return plain_sum_avx2(x, n);
#endif
    return plain_sum_base(x, n);
}

static volatile double sink;

/* The sum without prefetch over equal shares of A on `threads` threads. */
static void stream_plain(void *p)
{
    const sctx *x = p;
    const size_t n = x->st.n;
    double total = 0.0;
#ifdef _OPENMP
#pragma omp parallel num_threads(x->threads) reduction(+ : total)
#endif
    {
        size_t id = 0, nt = 1;
#ifdef _OPENMP
        id = (size_t)omp_get_thread_num();
        nt = (size_t)omp_get_num_threads();
#endif
        total += plain_sum(x->st.x + n * id / nt, n * (id + 1) / nt - n * id / nt);
    }
    sink = total;
}

static void grad(void *p)
{
    gctx *x = p;
    mg__mse_pass_nt(&x->A, &x->W, &x->Y, x->g, &x->ssq, x->scratch, x->threads);
}

/* bc_stream_read runs on omp_get_max_threads() threads. */
static void stream(void *p)
{
    sctx *x = p;
#ifdef _OPENMP
    const int save = omp_get_max_threads();
    omp_set_num_threads(x->threads);
#endif
    bc_stream_read(&x->st);
#ifdef _OPENMP
    omp_set_num_threads(save);
#endif
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
