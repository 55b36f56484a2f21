/* SPDX-License-Identifier: BSD-3-Clause */
/* Benchmark: mg_lstsq (accurate defaults) and mg_normal_solve on tall random
 * designs, one output.  Medians of RUNS runs after one warm-up.
 *
 *   bench_lstsq [runs]        (default 7)
 *
 * Besides the table, one RESULT line per measurement (bench/run_all.sh).
 * rate is the design's bytes over the median time (GB/s).  Both solvers are
 * bound by forming A^T A (N p (p + 1) flops): bound_frac is the time that
 * takes at the dgemm peak measured in the same run, over the median time
 * (the passes over A for A^T y and the refinement come on top). */
#define _POSIX_C_SOURCE 199309L
#include <matgrad.h>

#include <cblas.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static uint64_t rng = 0x9E3779B97F4A7C15u;
static double uniform(void)
{
    /* splitmix64 -> [-1, 1) */
    uint64_t z = (rng += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1.0p-52 - 1.0;
}

typedef struct size2 { size_t N, p; } size2;

/* dgemm's rate on 1500 x 1500 matrices (median of 5), flop/s: the peak the
 * Gram matrix could be formed at. */
static double dgemm_peak(void)
{
    const int n = 1500;
    double *a = malloc((size_t)n * n * sizeof *a), *c = malloc((size_t)n * n * sizeof *c);
    double t[5];
    if (!a || !c)
        return 0.0;
    for (size_t i = 0; i < (size_t)n * n; i++)
        a[i] = uniform();
    for (int r = 0; r < 5; r++) {
        const double t0 = now();
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, a, n, a, n, 0.0, c, n);
        t[r] = now() - t0;
    }
    qsort(t, 5, sizeof *t, cmp);
    free(a);
    free(c);
    return 2.0 * n * (double)n * n / t[2];
}

int main(int argc, char **argv)
{
    const int runs = argc > 1 ? atoi(argv[1]) : 7;
    static const size2 SIZES[] = { { 10000, 16 }, { 100000, 32 }, { 1000000, 64 } };
    if (runs < 1)
        return 2;
    const double peak = dgemm_peak();
    printf("dgemm peak (1500^3, this run): %.1f GFLOP/s\n", peak * 1e-9);
    printf("%-14s %-12s %12s %10s %10s %8s %6s\n", "workload", "size", "median_s", "GB/s",
           "bound_frac", "method", "steps");
    for (size_t s = 0; s < sizeof SIZES / sizeof SIZES[0]; s++) {
        const size_t N = SIZES[s].N, p = SIZES[s].p;
        double *A = malloc(N * p * sizeof *A), *y = malloc(N * sizeof *y);
        double *w = malloc(p * sizeof *w), *b = malloc(p * sizeof *b);
        double *t = malloc((size_t)runs * sizeof *t);
        if (!A || !y || !w || !b || !t)
            return 1;
        for (size_t j = 0; j < p; j++)
            w[j] = uniform();
        for (size_t i = 0; i < N; i++) {
            double acc = 0.0;
            for (size_t j = 0; j < p; j++) {
                A[i * p + j] = uniform();
                acc += A[i * p + j] * w[j];
            }
            y[i] = acc + 0.1 * uniform();
        }
        mg_matrix Av = mg_matrix_view(A, N, p), Yv = mg_matrix_view(y, N, 1);
        mg_matrix Bv = mg_matrix_view(b, p, 1);
        char size[32];
        snprintf(size, sizeof size, "%zux%zu", N, p);
        const double gb = (double)(N * p * sizeof(double)) * 1e-9;

        for (int wl = 0; wl < 2; wl++) {
            mg_lstsq_result res = { 0 };
            for (int r = -1; r < runs; r++) {
                const double t0 = now();
                const mg_status st = wl == 0 ? mg_lstsq(&Av, &Yv, &Bv, NULL, &res)
                                             : mg_normal_solve(&Av, &Yv, 0.0, &Bv);
                const double dt = now() - t0;
                if (st != MG_OK) {
                    fprintf(stderr, "failed: %s\n", mg_strerror(st));
                    return 1;
                }
                if (r >= 0)
                    t[r] = dt;
            }
            qsort(t, (size_t)runs, sizeof *t, cmp);
            const double med = t[runs / 2];
            const char *name = wl == 0 ? "lstsq" : "normal_solve";
            static const char *METHOD[] = { "auto", "chol", "qr", "svd" };
            const double frac = peak > 0.0 ? (double)N * p * (p + 1) / peak / med : 0.0;
            printf("%-14s %-12s %12.4f %10.2f %10.2f %8s %6zu\n", name, size, med, gb / med, frac,
                   wl == 0 ? METHOD[res.method] : "chol", wl == 0 ? res.refine_steps : 0);
            printf("RESULT workload=%s impl=matgrad size=%s median_s=%.6f rate=%.3f unit=GB/s "
                   "bound_frac=%.3f\n", name, size, med, gb / med, frac);
        }
        free(A); free(y); free(w); free(b); free(t);
    }
    return 0;
}
