/* SPDX-License-Identifier: BSD-3-Clause */
/* Benchmark utilities: wall-clock timing, medians, random fill, the
 * machine's measured bounds (streaming read bandwidth, dgemm peak), and the
 * RESULT line format that bench/run_all.sh collects. */
#ifndef MATGRAD_BENCH_COMMON_H
#define MATGRAD_BENCH_COMMON_H

#include <stddef.h>

/* Seconds on a monotonic clock. */
double bc_now(void);

/* Median of n samples (n >= 1; sorts x in place). */
double bc_median(double *x, size_t n);

/* Times fn(ctx) `reps` times after one warm-up call; returns the median. */
double bc_time(void (*fn)(void *ctx), void *ctx, int reps);

/* Times n functions round-robin: one warm-up round, then reps rounds, so
 * that every function sees the same machine conditions (other load drifts
 * over seconds).  med[i] gets fns[i]'s median, best[i] (if best != NULL) its
 * fastest run. */
void bc_time_rounds(void (*const *fns)(void *ctx), void *const *ctxs, size_t n, int reps,
                    double *med, double *best);

/* A streaming read of n doubles at x on omp_get_max_threads() threads, as
 * a function for bc_time / bc_time_rounds (ctx is a bc_stream), with
 * software prefetch: the bound of bc_read_bandwidth. */
typedef struct bc_stream { const double *x; size_t n; } bc_stream;
void bc_stream_read(void *ctx);

/* The same read without the software prefetch (the hardware prefetcher
 * alone): the weaker bound, for comparison. */
void bc_stream_read_plain(void *ctx);

/* Number of repetitions: $MG_BENCH_REPS if set (>= 1), else def. */
int bc_reps(int def);

/* 1 when $MG_BENCH_QUICK is set: benches shrink their largest sizes. */
int bc_quick(void);

/* malloc'd, 64-byte aligned, filled with uniform [-1, 1) from a fixed seed
 * (first-touch in parallel so pages spread like the library's threads). */
double *bc_random(size_t n, unsigned long long seed);
void bc_free(double *p);

/* Streaming read bandwidth in bytes/s over n doubles at x (all threads);
 * the fastest of reps runs, as is the next one: a bound, not a typical. */
double bc_read_bandwidth(const double *x, size_t n, int reps);

/* OpenBLAS's name for the kernel it runs (its own pick or OPENBLAS_CORETYPE). */
char *openblas_get_corename(void);

/* C = A B for n x n row-major matrices by OpenBLAS's dgemm (its threads):
 * 2 n^3 flops. */
void bc_dgemm_square(size_t n, const double *a, const double *b, double *c);

/* dgemm rate in flop/s on square matrices of order n (OpenBLAS threads). */
double bc_dgemm_peak(size_t n, int reps);

/* Prints the machine-readable line; rate < 0 or bound < 0 print "-". */
void bc_result(const char *workload, const char *impl, size_t rows, size_t cols,
               double median_s, double rate, const char *unit, double bound_frac);

#endif /* MATGRAD_BENCH_COMMON_H */
