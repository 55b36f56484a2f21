/* SPDX-License-Identifier: BSD-3-Clause */
/* Private: one pass over A computing the residual's sum of squares and,
 * optionally, A^T R, for the MSE loss and gradient. */
#ifndef MATGRAD_MSE_PASS_H
#define MATGRAD_MSE_PASS_H

#include "matgrad/core.h"

/* Which implementation mg__mse_pass uses for a shape (chosen by shape only). */
typedef enum mg__mse_path {
    MG__MSE_FUSED, /* few outputs: our fused row kernel, OpenMP over slices */
    MG__MSE_BLAS   /* many outputs: row blocks through dgemm (compute-bound) */
} mg__mse_path;

/* Outputs up to which the fused kernel beats the blocked dgemm pair (the k
 * sweep of bench_linreg, docs/performance.md), the widest A it takes (four
 * rows of A, 128 KiB at j = 4096, must stay in L2 between their two uses),
 * and the largest gradient it accumulates (j k doubles, 128 KiB: updated
 * once per block of rows, it must stay in L2 too). */
enum { MG__MSE_FUSED_MAX_K = 32, MG__MSE_FUSED_MAX_J = 4096, MG__MSE_FUSED_MAX_JK = 16384 };

mg__mse_path mg__mse_choose(size_t N, size_t j, size_t k);

/* Scratch doubles, and the pass itself, on a given path (tests and benches
 * compare the paths; MG__MSE_FUSED needs k <= MG__MSE_FUSED_MAX_K). */
size_t mg__mse_scratch_len_path(size_t N, size_t j, size_t k, mg__mse_path path);
void mg__mse_pass_path(const mg_matrix *A, const mg_matrix *W, const mg_matrix *Y,
                       double *atr, double *ssq, double *scratch, int nthreads,
                       mg__mse_path path);

/* Number of row slices the fused path splits N x j into: a function of the
 * shape only, never of the thread count, so that results are bitwise the
 * same whatever the number of threads. */
size_t mg__mse_slices(size_t N, size_t j);

/* Doubles of scratch mg__mse_pass needs for an N x j A and k outputs. */
size_t mg__mse_scratch_len(size_t N, size_t j, size_t k);

/* With R = Y - A W: *ssq = sum_ij R_ij^2 and, if atr != NULL, atr = A^T R
 * (j x k, contiguous, overwritten).  Shapes must already be checked.
 * scratch holds mg__mse_scratch_len(...) doubles.  Uses the OpenMP thread
 * count (omp_get_max_threads()) on the fused path. */
void mg__mse_pass(const mg_matrix *A, const mg_matrix *W, const mg_matrix *Y,
                  double *atr, double *ssq, double *scratch);

/* The same with an explicit thread count (<= 0: the default, which is
 * one thread below 4 MiB of A, else omp_get_max_threads()), for tests
 * and benchmarks. */
void mg__mse_pass_nt(const mg_matrix *A, const mg_matrix *W, const mg_matrix *Y,
                     double *atr, double *ssq, double *scratch, int nthreads);

#endif /* MATGRAD_MSE_PASS_H */
