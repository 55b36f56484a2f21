/* SPDX-License-Identifier: BSD-3-Clause */
/* Dense-layer backward pass (docs/derivations.md, "Dense layer") at k = n = 1024 for several batch
 * sizes m: mg_dense_backward against the same three BLAS calls made
 * directly, and against dgemm's measured peak in the same run.
 *
 *   bench_layer [reps]        (reps >= 5, default 7; medians are reported)
 *
 * The backward pass does 4 m k n + m n flops (two dgemms and the column
 * sums); its bound is dgemm's peak, measured as a plain m x k x n dgemm
 * (C = A B) timed in the same runs, interleaved with the others.  The
 * column sums are also timed alone, the loop the library uses against
 * dgemv with a vector of ones, in GB/s of dA read. */
#define _POSIX_C_SOURCE 199309L
#include <matgrad.h>

#include <cblas.h>
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

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

static double *random_buf(size_t n, unsigned seed)
{
    double *p = malloc(n * sizeof *p);
    if (!p) {
        fprintf(stderr, "bench_layer: out of memory\n");
        exit(1);
    }
    srand(seed);
    for (size_t i = 0; i < n; i++)
        p[i] = (double)rand() / RAND_MAX - 0.5;
    return p;
}

typedef struct job {
    int m, k, n;
    double *Z, *W, *dA, *dZ, *dW, *db, *ones;
} job;

typedef void (*kernel)(job *);

static void run_matgrad(job *j)
{
    mg_matrix Z = mg_matrix_view(j->Z, (size_t)j->m, (size_t)j->k);
    mg_matrix W = mg_matrix_view(j->W, (size_t)j->k, (size_t)j->n);
    mg_matrix dA = mg_matrix_view(j->dA, (size_t)j->m, (size_t)j->n);
    mg_matrix dZ = mg_matrix_view(j->dZ, (size_t)j->m, (size_t)j->k);
    mg_matrix dW = mg_matrix_view(j->dW, (size_t)j->k, (size_t)j->n);
    mg_matrix db = mg_matrix_view(j->db, 1, (size_t)j->n);
    if (mg_dense_backward(&Z, &W, &dA, &dZ, &dW, &db) != MG_OK) {
        fprintf(stderr, "bench_layer: mg_dense_backward failed\n");
        exit(1);
    }
}

static void run_blas(job *j)
{
    /* dZ = dA W^T */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, j->m, j->k, j->n, 1.0, j->dA, j->n,
                j->W, j->n, 0.0, j->dZ, j->k);
    /* dW = Z^T dA */
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, j->k, j->n, j->m, 1.0, j->Z, j->k,
                j->dA, j->n, 0.0, j->dW, j->n);
    /* db = dA^T 1 */
    cblas_dgemv(CblasRowMajor, CblasTrans, j->m, j->n, 1.0, j->dA, j->n, j->ones, 1, 0.0, j->db, 1);
}

static void run_colsum_library(job *j)
{
    mg_matrix Z = mg_matrix_view(j->Z, (size_t)j->m, (size_t)j->k);
    mg_matrix W = mg_matrix_view(j->W, (size_t)j->k, (size_t)j->n);
    mg_matrix dA = mg_matrix_view(j->dA, (size_t)j->m, (size_t)j->n);
    mg_matrix db = mg_matrix_view(j->db, 1, (size_t)j->n);
    mg_dense_backward(&Z, &W, &dA, NULL, NULL, &db);
}

static void run_colsum_dgemv(job *j)
{
    /* db = dA^T 1 */
    cblas_dgemv(CblasRowMajor, CblasTrans, j->m, j->n, 1.0, j->dA, j->n, j->ones, 1, 0.0, j->db, 1);
}

static void run_peak(job *j)
{
    /* dZ = dA W: a plain NN dgemm of the same shape, the machine's bound */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, j->m, j->k, j->n, 1.0, j->dA, j->n,
                j->W, j->n, 0.0, j->dZ, j->k);
}

/* Medians of reps runs of each kernel, the kernels interleaved run by run
 * so that a slow spell of a shared machine hits all of them alike. */
static void time_medians(const kernel *f, int nf, job *j, int reps, double *med)
{
    double t[4][64];
    for (int i = 0; i < nf; i++)
        f[i](j); /* warm-up: page faults, thread start-up */
    for (int r = 0; r < reps; r++)
        for (int i = 0; i < nf; i++) {
            double t0 = now();
            f[i](j);
            t[i][r] = now() - t0;
        }
    for (int i = 0; i < nf; i++)
        med[i] = median(t[i], reps);
}

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 7;
    if (reps < 5 || reps > 64) {
        fprintf(stderr, "usage: bench_layer [reps 5..64]\n");
        return 2;
    }
    const int ms[] = { 1024, 2048, 4096 }, k = 1024, n = 1024;

    printf("dense backward, k = n = %d, median of %d interleaved runs\n", k, reps);
    printf("peak = a plain m x k x n dgemm (C = A B) timed in the same runs\n\n");
    printf("%6s %11s %9s %11s %9s %11s %9s %8s %12s %12s\n", "m", "matgrad_s", "GFLOP/s", "blas_s",
           "GFLOP/s", "peak_s", "GFLOP/s", "of_peak", "colsum_GB/s", "dgemv1_GB/s");
    for (size_t t = 0; t < sizeof ms / sizeof ms[0]; t++) {
        job j = { ms[t], k, n, NULL, NULL, NULL, NULL, NULL, NULL, NULL };
        const size_t m = (size_t)ms[t];
        j.Z = random_buf(m * k, 1);
        j.W = random_buf((size_t)k * n, 2);
        j.dA = random_buf(m * n, 3);
        j.dZ = random_buf(m * k, 4);
        j.dW = random_buf((size_t)k * n, 5);
        j.db = random_buf((size_t)n, 6);
        j.ones = random_buf(m, 0);
        for (size_t i = 0; i < m; i++)
            j.ones[i] = 1.0;

        const kernel big[] = { run_matgrad, run_blas, run_peak };
        const kernel small[] = { run_colsum_library, run_colsum_dgemv };
        double med[3], cs[2];
        time_medians(big, 3, &j, reps, med);
        time_medians(small, 2, &j, reps, cs);

        const double flops = 4.0 * (double)m * k * n + (double)m * n;
        const double bytes = 8.0 * (double)m * n;
        const double rm = flops / med[0] / 1e9, rb = flops / med[1] / 1e9;
        const double peak = 2.0 * (double)m * k * n / med[2] / 1e9;
        printf("%6zu %11.5f %9.2f %11.5f %9.2f %11.5f %9.2f %8.3f %12.2f %12.2f\n", m, med[0], rm,
               med[1], rb, med[2], peak, rm / peak, bytes / cs[0] / 1e9, bytes / cs[1] / 1e9);
        printf("RESULT workload=dense_backward impl=matgrad size=%zux%dx%d median_s=%.6g rate=%.4g unit=GFLOP/s bound_frac=%.3f\n",
               m, k, n, med[0], rm, rm / peak);
        printf("RESULT workload=dense_backward impl=blas_direct size=%zux%dx%d median_s=%.6g rate=%.4g unit=GFLOP/s bound_frac=%.3f\n",
               m, k, n, med[1], rb, rb / peak);
        printf("RESULT workload=dense_backward impl=dgemm_peak size=%zux%dx%d median_s=%.6g rate=%.4g unit=GFLOP/s bound_frac=1\n",
               m, k, n, med[2], peak);
        printf("RESULT workload=column_sums impl=matgrad size=%zux%d median_s=%.6g rate=%.4g unit=GB/s bound_frac=-\n",
               m, n, cs[0], bytes / cs[0] / 1e9);
        printf("RESULT workload=column_sums impl=dgemv_ones size=%zux%d median_s=%.6g rate=%.4g unit=GB/s bound_frac=-\n",
               m, n, cs[1], bytes / cs[1] / 1e9);
        free(j.Z); free(j.W); free(j.dA); free(j.dZ); free(j.dW); free(j.db); free(j.ones);
    }
    return 0;
}
