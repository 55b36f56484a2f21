/* SPDX-License-Identifier: BSD-3-Clause */
/* Benchmark: the Gram kernel alone (src/kernels/gram_packed.c), one
 * thread, on each instruction-set variant this CPU has: S += [A y]^T [A y]
 * for A with 64 columns and one output, in the engine's blocks of 128
 * rows, with the columns' minima and maxima (the engine's range guard).  Two placements of A:
 *   - in cache: 2400 rows (1.2 MB, inside L2), passed over again and again:
 *     the kernel's own ceiling;
 *   - streamed: 1e6 rows (512 MB) read once from memory, as mg_normal_solve
 *     reads them.
 * Then, in the same rounds on the streamed A (best variant): the pass on one
 * thread, the kernel on the pool's threads over the engine's 16 slices,
 * mg_normal_solve (gram_scaling rows: what the second core and the engine
 * add) and OpenBLAS's dgemm of order 2000 (gram_peak_share: the pass's share
 * of dgemm's rate on one load of the machine).
 * GFLOP/s count N p (p + 1) flops (the upper triangle of A^T A and A^T y).
 * Medians of `runs` passes (docs/performance.md, "The Gram pass").
 *
 *   bench_gram [runs]   (default 7; $MG_BENCH_QUICK shrinks the streamed A) */
#include "bench_common.h"
#include "kernels/cpu.h"
#include "kernels/gram_packed.h"
#include "kernels/parallel.h"
#include "kernels/pool.h"
#include "matgrad.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { P = 64, K = 1, NS = P + K, BLOCK = 128, CACHED_ROWS = 2400 };

typedef struct gram_ctx {
    const double *A, *y;
    size_t N, passes;
    int isa;
    double *S, *panel, mn[P], mx[P];
} gram_ctx;

/* One pass (or ctx->passes passes) over the rows, block by block, the next
 * block handed to the kernel for its prefetch as the engine does. */
static void run_gram(void *vp)
{
    gram_ctx *c = vp;
    memset(c->S, 0, NS * NS * sizeof *c->S);
    for (size_t j = 0; j < P; j++) {
        c->mn[j] = 1.0 / 0.0;
        c->mx[j] = -1.0 / 0.0;
    }
    for (size_t pass = 0; pass < c->passes; pass++)
        for (size_t b0 = 0; b0 < c->N; b0 += BLOCK) {
            const size_t nb = c->N - b0 < BLOCK ? c->N - b0 : BLOCK;
            const size_t left = c->N - b0 - nb, next = left < BLOCK ? left : BLOCK;
            mg__gram_packed_block_isa(c->A + b0 * P, P, c->y + b0, 1, nb, P, K, c->S, NS,
                                      c->panel, next ? c->A + (b0 + nb) * P : NULL, next,
                                      c->mn, c->mx, c->isa);
        }
}

/* The streamed pass on the pool's threads, cut as the engine cuts it
 * (src/fit/slices.c: SLICES slices, each with its own sums and panel),
 * without the engine around it: what the kernel alone gets from the second
 * core, beside the same pass on one thread and mg_normal_solve. */
enum { SLICES = 16 };
typedef struct pool_ctx {
    gram_ctx slice[SLICES];
} pool_ctx;

static void run_slice(void *vp, size_t s, int worker)
{
    (void)worker;
    run_gram(&((pool_ctx *)vp)->slice[s]);
}

static void run_pool(void *vp)
{
    mg__pool_for(mg__max_threads(), SLICES, run_slice, vp);
}

typedef struct solve_ctx {
    mg_matrix A, y;
    double x[P];
} solve_ctx;

static void run_solve(void *vp)
{
    solve_ctx *c = vp;
    mg_matrix x = mg_matrix_view(c->x, P, 1);
    if (mg_normal_solve(&c->A, &c->y, 0.0, &x) != MG_OK)
        abort();
}

/* The dgemm of bench_peak (order 2000), timed in the same rounds: the peak
 * the Gram pass is judged against, under the same load of the machine. */
enum { PEAK_N = 2000 };
typedef struct dgemm_ctx {
    double *a, *b, *c;
} dgemm_ctx;

static void run_dgemm(void *vp)
{
    dgemm_ctx *c = vp;
    bc_dgemm_square(PEAK_N, c->a, c->b, c->c);
}

/* Rounds of the one-thread pass, the pool's pass, mg_normal_solve and
 * OpenBLAS's dgemm over the same streamed A (best ISA): the ratio of
 * mg_normal_solve's rate to dgemm's, from the medians and from the fastest
 * runs of these rounds, is issue 13's goal 3 measured on one load of the
 * machine (run_all.sh runs this bench with OpenBLAS's best kernel for the
 * CPU, as bench_peak). */
static void scaling_rounds(const double *A, const double *y, size_t N, int isa, double *panel,
                           int runs)
{
    double *S = malloc((SLICES + 1) * NS * NS * sizeof *S);
    double *panels = malloc(SLICES * mg__gram_packed_len(BLOCK, P, K) * sizeof *panels);
    if (!S || !panels)
        abort();
    gram_ctx one = { A, y, N, 1, isa, S + SLICES * NS * NS, panel, { 0 }, { 0 } };
    pool_ctx pool;
    for (size_t s = 0; s < SLICES; s++) {
        const size_t i0 = N * s / SLICES, i1 = N * (s + 1) / SLICES;
        pool.slice[s] = (gram_ctx){ A + i0 * P, y + i0, i1 - i0, 1, isa, S + s * NS * NS,
                                    panels + s * mg__gram_packed_len(BLOCK, P, K), { 0 }, { 0 } };
    }
    solve_ctx sc = { mg_matrix_view((double *)A, N, P), mg_matrix_view((double *)y, N, 1),
                     { 0 } };
    dgemm_ctx dc = { bc_random(PEAK_N * PEAK_N, 1), bc_random(PEAK_N * PEAK_N, 2),
                     bc_random(PEAK_N * PEAK_N, 3) };
    if (!dc.a || !dc.b || !dc.c)
        abort();
    void (*const fns[])(void *) = { run_gram, run_pool, run_solve, run_dgemm };
    void *const ctxs[] = { &one, &pool, &sc, &dc };
    static const char *IMPL[] = { "streamed_1thread", "streamed_pool", "normal_solve" };
    double med[4], fast[4];
    bc_time_rounds(fns, ctxs, 4, runs, med, fast);
    printf("\nsame rounds, %d threads:\n", mg__max_threads());
    for (int i = 0; i < 3; i++) {
        const double gf = (double)N * P * (P + 1) / med[i] * 1e-9;
        printf("%-18s %10zu %12.1f  %.2fx one thread\n", IMPL[i], N, gf, med[0] / med[i]);
        bc_result("gram_scaling", IMPL[i], N, P, med[i], gf, "GFLOP/s", -1.0);
    }
    /* rates: N p (p + 1) flops for the pass, 2 n^3 for dgemm */
    const double gemm_flops = 2.0 * PEAK_N * PEAK_N * PEAK_N, pass_flops = (double)N * P * (P + 1);
    const char *core = openblas_get_corename();
    char impl[64];
    snprintf(impl, sizeof impl, "dgemm_%s", core ? core : "unknown");
    printf("%-18s %10d %12.1f  (fastest %.1f)\n", impl, PEAK_N, gemm_flops / med[3] * 1e-9,
           gemm_flops / fast[3] * 1e-9);
    bc_result("gram_scaling", impl, PEAK_N, PEAK_N, med[3], gemm_flops / med[3] * 1e-9, "GFLOP/s",
              -1.0);
    /* the goal's ratio on one load: medians, and fastest runs */
    const double r_med = (pass_flops / med[2]) / (gemm_flops / med[3]);
    const double r_fast = (pass_flops / fast[2]) / (gemm_flops / fast[3]);
    printf("mg_normal_solve / dgemm: %.0f%% (medians), %.0f%% (fastest runs)\n", 100 * r_med,
           100 * r_fast);
    bc_result("gram_peak_share", "medians", N, P, med[2], pass_flops / med[2] * 1e-9, "GFLOP/s",
              r_med);
    bc_result("gram_peak_share", "fastest", N, P, fast[2], pass_flops / fast[2] * 1e-9,
              "GFLOP/s", r_fast);
    bc_free(dc.a);
    bc_free(dc.b);
    bc_free(dc.c);
    free(S);
    free(panels);
}

static int isa_available(int isa)
{
    return isa == MG__ISA_AVX512 ? mg__cpu_has_avx512_fma()
           : isa == MG__ISA_AVX2 ? mg__cpu_has_avx2_fma()
                                 : 1;
}

int main(int argc, char **argv)
{
    const int runs = bc_reps(argc > 1 ? atoi(argv[1]) : 7);
    const size_t streamed = bc_quick() ? 100000 : 1000000;
    static const char *NAME[] = { "portable", "avx2", "avx512" };
    double *A = bc_random(streamed * P, 1), *y = bc_random(streamed, 2);
    double *S = malloc(NS * NS * sizeof *S);
    double *panel = malloc(mg__gram_packed_len(BLOCK, P, K) * sizeof *panel);
    if (runs < 1 || !A || !y || !S || !panel)
        return 1;
    printf("%-10s %-9s %10s %12s\n", "variant", "A", "rows", "GFLOP/s");
    for (int isa = MG__ISA_AVX512; isa >= MG__ISA_BASE; isa--) {
        if (!isa_available(isa))
            continue;
        for (int cached = 1; cached >= 0; cached--) {
            const size_t N = cached ? CACHED_ROWS : streamed, passes = cached ? 200 : 1;
            gram_ctx c = { A, y, N, passes, isa, S, panel, { 0 }, { 0 } };
            const double t = bc_time(run_gram, &c, runs);
            const double gf = (double)(N * passes) * P * (P + 1) / t * 1e-9;
            printf("%-10s %-9s %10zu %12.1f\n", NAME[isa], cached ? "in cache" : "streamed", N,
                   gf);
            char impl[32];
            snprintf(impl, sizeof impl, "%s_%s", NAME[isa], cached ? "cached" : "streamed");
            bc_result("gram_kernel", impl, N, P, t / (double)passes, gf, "GFLOP/s", -1.0);
        }
    }
    int best = MG__ISA_AVX512;
    while (!isa_available(best))
        best--;
    scaling_rounds(A, y, streamed, best, panel, runs);
    bc_free(A);
    bc_free(y);
    free(S);
    free(panel);
    return 0;
}
