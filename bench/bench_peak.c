/* SPDX-License-Identifier: BSD-3-Clause */
/* bench_peak: the dgemm peak (order 2000, fastest of the runs) with the
 * kernel OpenBLAS picked for this CPU, named in the RESULT line.
 *
 * OpenBLAS picks its kernel from the CPU's identity; on a CPU its version
 * does not know (a newer model, or a hypervisor that hides the model) it
 * falls back to an older one, e.g. "Prescott" (SSE2), whose dgemm is a
 * fraction of what the CPU can do.  A flop-bound kernel of matgrad judged
 * against that peak would look better than it is.  bench/run_all.sh
 * therefore also runs this bench with OPENBLAS_CORETYPE set to the best
 * kernel the CPU's instruction set allows, and the report judges the Gram
 * pass against the faster of the two peaks.
 *
 * Then the core's own FMA rate, one thread, registers only: twelve
 * independent chains of FMAs on 256-bit and, where the CPU has AVX-512F,
 * 512-bit vectors (fma_peak rows).  Equal rates in flops mean one 512-bit
 * FMA unit (ports 0 and 1 fused, none on port 5); twice the 256-bit rate
 * means two.  A kernel's operation budget is counted against that
 * (docs/performance.md, "Against the dgemm peak").
 *
 *   bench_peak [reps]      (default 5) */
#include "bench_common.h"

#include <stdio.h>
#include <stdlib.h>

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define PEAK_X86 1

/* a_i <- a_i x + y for twelve independent a_i, n times: 12 n FMAs, each
 * chain's latency hidden by the eleven others */
#define FMA_CHAINS(V, SET, FMA, ADD)                                                            \
    V x = SET(1.0000001), y = SET(0.9999999), a0 = SET(0), a1 = SET(1), a2 = SET(2),            \
      a3 = SET(3), a4 = SET(4), a5 = SET(5), a6 = SET(6), a7 = SET(7), a8 = SET(8), a9 = SET(9), \
      a10 = SET(10), a11 = SET(11);                                                             \
    for (long k = 0; k < n; k++) {                                                              \
        a0 = FMA(a0, x, y); a1 = FMA(a1, x, y); a2 = FMA(a2, x, y); a3 = FMA(a3, x, y);         \
        a4 = FMA(a4, x, y); a5 = FMA(a5, x, y); a6 = FMA(a6, x, y); a7 = FMA(a7, x, y);         \
        a8 = FMA(a8, x, y); a9 = FMA(a9, x, y); a10 = FMA(a10, x, y); a11 = FMA(a11, x, y);     \
    }                                                                                           \
    V s = ADD(ADD(ADD(a0, a1), ADD(a2, a3)), ADD(ADD(a4, a5), ADD(a6, a7)));                    \
    s = ADD(s, ADD(ADD(a8, a9), ADD(a10, a11)))

__attribute__((target("avx2,fma"), noinline)) static double chains256(long n)
{
    FMA_CHAINS(__m256d, _mm256_set1_pd, _mm256_fmadd_pd, _mm256_add_pd);
    double o[4];
    _mm256_storeu_pd(o, s);
    return o[0] + o[1] + o[2] + o[3];
}

__attribute__((target("avx512f"), noinline)) static double chains512(long n)
{
    FMA_CHAINS(__m512d, _mm512_set1_pd, _mm512_fmadd_pd, _mm512_add_pd);
    return _mm512_reduce_add_pd(s);
}

/* The fastest of reps runs of 12 n FMAs of `lanes` doubles: flops per second. */
static double fma_rate(double (*chains)(long), int lanes, int reps, double *sink)
{
    const long n = 20000000;
    double best = 0.0;
    for (int r = 0; r < reps; r++) {
        const double t = bc_now();
        *sink += chains(n);
        const double dt = bc_now() - t;
        if (best == 0.0 || dt < best)
            best = dt;
    }
    return 12.0 * (double)n * 2.0 * lanes / best;
}

static void fma_peaks(int reps)
{
    double sink = 0.0;
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
        return;
    const double r256 = fma_rate(chains256, 4, reps, &sink);
    const double r512 = __builtin_cpu_supports("avx512f") ? fma_rate(chains512, 8, reps, &sink)
                                                          : 0.0;
    printf("bench_peak: one thread's FMAs in registers: 256-bit %.1f GFLOP/s", r256 * 1e-9);
    if (r512 > 0.0)
        printf(", 512-bit %.1f GFLOP/s (%s)", r512 * 1e-9,
               r512 > 1.5 * r256 ? "two 512-bit FMA units" : "one 512-bit FMA unit");
    printf("\n");
    bc_result("fma_peak", "avx2_1thread", 1, 1, 12.0 * 2e7 * 8.0 / r256, r256 * 1e-9, "GFLOP/s",
              1.0);
    if (r512 > 0.0)
        bc_result("fma_peak", "avx512_1thread", 1, 1, 12.0 * 2e7 * 16.0 / r512, r512 * 1e-9,
                  "GFLOP/s", 1.0);
    if (sink == 1.25)
        puts("");
}
#endif

int main(int argc, char **argv)
{
    const int reps = argc > 1 ? atoi(argv[1]) : bc_reps(5);
    if (reps < 1)
        return 2;
    const double peak = bc_dgemm_peak(2000, reps);
    if (!(peak > 0.0))
        return 1;
    const char *core = openblas_get_corename();
    char impl[64];
    snprintf(impl, sizeof impl, "openblas_%s", core ? core : "unknown");
    printf("bench_peak: dgemm 2000^3 with OpenBLAS's %s kernel: %.1f GFLOP/s (fastest of %d)\n",
           core ? core : "unknown", peak * 1e-9, reps);
    bc_result("dgemm_peak", impl, 2000, 2000, 2.0 * 8e9 / peak, peak * 1e-9, "GFLOP/s", 1.0);
#ifdef PEAK_X86
    fma_peaks(reps);
#endif
    return 0;
}
