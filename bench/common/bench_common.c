/* SPDX-License-Identifier: BSD-3-Clause */
#define _GNU_SOURCE /* madvise, MADV_HUGEPAGE */
#include "bench_common.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

double bc_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bc_median(double *x, size_t n)
{
    qsort(x, n, sizeof *x, cmp_double);
    return (n % 2) ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

double bc_time(void (*fn)(void *ctx), void *ctx, int reps)
{
    double *t = malloc((size_t)reps * sizeof *t);
    if (!t)
        return -1.0;
    fn(ctx); /* warm-up: page faults, thread pools, caches */
    for (int r = 0; r < reps; r++) {
        double t0 = bc_now();
        fn(ctx);
        t[r] = bc_now() - t0;
    }
    double m = bc_median(t, (size_t)reps);
    free(t);
    return m;
}

void bc_time_rounds(void (*const *fns)(void *ctx), void *const *ctxs, size_t n, int reps,
                    double *med, double *best)
{
    double *t = malloc((size_t)reps * n * sizeof *t);
    if (!t) {
        for (size_t i = 0; i < n; i++)
            med[i] = best ? (best[i] = -1.0) : -1.0;
        return;
    }
    for (int r = -1; r < reps; r++)
        for (size_t i = 0; i < n; i++) {
            double t0 = bc_now();
            fns[i](ctxs[i]);
            if (r >= 0)
                t[i * (size_t)reps + (size_t)r] = bc_now() - t0;
        }
    for (size_t i = 0; i < n; i++) {
        double *ti = t + i * (size_t)reps, b = 1e300;
        for (int r = 0; r < reps; r++)
            b = ti[r] < b ? ti[r] : b;
        if (best)
            best[i] = b;
        med[i] = bc_median(ti, (size_t)reps);
    }
    free(t);
}

int bc_reps(int def)
{
    const char *s = getenv("MG_BENCH_REPS");
    int r = s ? atoi(s) : 0;
    return r >= 1 ? r : def;
}

int bc_quick(void)
{
    const char *s = getenv("MG_BENCH_QUICK");
    return s && *s && strcmp(s, "0") != 0;
}

double *bc_random(size_t n, unsigned long long seed)
{
    double *p = NULL;
    const size_t huge = (size_t)2 << 20;
    size_t bytes = (n * sizeof(double) + huge - 1) / huge * huge;
    /* 2 MiB-aligned and advised to use transparent huge pages, as numpy
     * does for large arrays: the peers and we then read memory through the
     * same kind of pages (fewer TLB misses on streaming reads). */
    if (posix_memalign((void **)&p, huge, bytes ? bytes : huge) != 0)
        return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, bytes, MADV_HUGEPAGE);
#endif
#ifdef _OPENMP
    #pragma omp parallel for schedule(static)
#endif
    for (size_t i = 0; i < n; i++) {
        /* splitmix64 of (seed, i): order-independent, so threads may fill */
        unsigned long long z = seed * 0x9E3779B97F4A7C15ULL + (unsigned long long)i + 1;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        z ^= z >> 31;
        p[i] = (double)(z >> 11) * (2.0 / 9007199254740992.0) - 1.0;
    }
    return p;
}

void bc_free(double *p)
{
    free(p);
}

typedef double v4d __attribute__((vector_size(32), aligned(8), may_alias));

/* Sum of x[0..n) with eight independent vector accumulators: enough loads
 * in flight that memory, not latency, limits the rate.  Compiled for the
 * baseline and for AVX2 (wider loads: the SSE2 loop measured ~20% short of
 * the memory's rate on one core), picked at run time.  With PREFETCH (a
 * constant 0 or 1), each 256-byte step also asks for the four lines 8 KiB
 * ahead, into L2 (prefetcht1): the hardware prefetcher alone leaves part of
 * the memory's rate unused (the plain sum, without it, reads 7-20% slower,
 * bench/bench_grad_bw.c), and a bound must be the fastest read the machine
 * can do, not a typical one. */
#define STREAM_SUM_BODY(PREFETCH)                                              \
    v4d a[8] = { { 0 } };                                                      \
    size_t i = 0;                                                              \
    for (; i + 32 <= n; i += 32) {                                             \
        if ((PREFETCH) && i + 32 + 1024 <= n)                                  \
            for (int l = 0; l < 4; l++)                                        \
                __builtin_prefetch(x + i + 1024 + 8 * l, 0, 2);                \
        for (int u = 0; u < 8; u++)                                            \
            a[u] += *(const v4d *)(x + i + 4 * (size_t)u);                     \
    }                                                                          \
    double s = 0.0;                                                            \
    for (int u = 0; u < 8; u++)                                                \
        s += a[u][0] + a[u][1] + a[u][2] + a[u][3];                            \
    for (; i < n; i++)                                                         \
        s += x[i];                                                             \
    return s;

typedef double (*sum_fn)(const double *x, size_t n);

static double prefetch_sum_base(const double *x, size_t n) { STREAM_SUM_BODY(1) }
static double plain_sum_base(const double *x, size_t n) { STREAM_SUM_BODY(0) }

#if defined(__x86_64__)
__attribute__((target("avx2")))
static double prefetch_sum_avx2(const double *x, size_t n) { STREAM_SUM_BODY(1) }
__attribute__((target("avx2")))
static double plain_sum_avx2(const double *x, size_t n) { STREAM_SUM_BODY(0) }
#endif

/* The one run-time choice of a sum: with or without the prefetch, in the
 * widest compilation this CPU runs. */
static sum_fn stream_sum(int prefetch)
{
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx2"))
        return prefetch ? prefetch_sum_avx2 : plain_sum_avx2;
#endif
    return prefetch ? prefetch_sum_base : plain_sum_base;
}

static volatile double bc_sink;

/* The sum over equal shares of x[0..n) on omp_get_max_threads() threads. */
static double parallel_sum(int prefetch, const double *x, size_t n)
{
    const sum_fn sum = stream_sum(prefetch);
    double total = 0.0;
#ifdef _OPENMP
    #pragma omp parallel reduction(+ : total)
#endif
    {
        int id = 0, nt = 1;
#ifdef _OPENMP
        id = omp_get_thread_num();
        nt = omp_get_num_threads();
#endif
        size_t lo = n * (size_t)id / (size_t)nt, hi = n * (size_t)(id + 1) / (size_t)nt;
        total += sum(x + lo, hi - lo);
    }
    return total;
}

void bc_stream_read(void *ctx)
{
    const bc_stream *s = ctx;
    bc_sink = parallel_sum(1, s->x, s->n);
}

void bc_stream_read_plain(void *ctx)
{
    const bc_stream *s = ctx;
    bc_sink = parallel_sum(0, s->x, s->n);
}

double bc_read_bandwidth(const double *x, size_t n, int reps)
{
    double *t = malloc((size_t)reps * sizeof *t);
    if (!t)
        return -1.0;
    for (int r = -1; r < reps; r++) {
        double t0 = bc_now();
        bc_sink = parallel_sum(1, x, n);
        double dt = bc_now() - t0;
        if (r >= 0)
            t[r] = dt;
    }
    /* The bound is what the machine can do: the fastest run (other load
     * on the machine only ever slows a run down). */
    double best = 1e300;
    for (int r = 0; r < reps; r++)
        best = t[r] < best ? t[r] : best;
    free(t);
    return (double)n * sizeof(double) / best;
}

void bc_dgemm_square(size_t n, const double *a, const double *b, double *c)
{
    /* C = A B, all n x n */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)n, (int)n, 1.0, a,
                (int)n, b, (int)n, 0.0, c, (int)n);
}

double bc_dgemm_peak(size_t n, int reps)
{
    double *a = bc_random(n * n, 1), *b = bc_random(n * n, 2), *c = bc_random(n * n, 3);
    double *t = malloc((size_t)reps * sizeof *t), rate = -1.0;
    if (a && b && c && t) {
        for (int r = -1; r < reps; r++) {
            double t0 = bc_now();
            bc_dgemm_square(n, a, b, c);
            if (r >= 0)
                t[r] = bc_now() - t0;
        }
        double best = 1e300; /* the fastest run: the bound, as for bandwidth */
        for (int r = 0; r < reps; r++)
            best = t[r] < best ? t[r] : best;
        rate = 2.0 * (double)n * (double)n * (double)n / best;
    }
    bc_free(a);
    bc_free(b);
    bc_free(c);
    free(t);
    return rate;
}

void bc_result(const char *workload, const char *impl, size_t rows, size_t cols,
               double median_s, double rate, const char *unit, double bound_frac)
{
    printf("RESULT workload=%s impl=%s size=%zux%zu median_s=%.6g", workload, impl, rows, cols,
           median_s);
    if (rate >= 0)
        printf(" rate=%.4g unit=%s", rate, unit);
    else
        printf(" rate=- unit=-");
    if (bound_frac >= 0)
        printf(" bound_frac=%.3f\n", bound_frac);
    else
        printf(" bound_frac=-\n");
    fflush(stdout);
}
