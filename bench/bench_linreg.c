/* SPDX-License-Identifier: BSD-3-Clause */
/* bench_linreg: the MSE loss + gradient and the normal solve, three ways
 * each: naive loops, the plain BLAS composition a user would write, and
 * matgrad.  Prints a table and RESULT lines (see bench/common).
 *
 *   gradient      G = -(2/N) A^T (Y - A W), k = 1; bound: streaming read of A
 *                 (measured on the same buffer in the same run)
 *   normal_solve  (A^T A) w = A^T y;  bound: dgemm peak (measured here) */
#include "bench_common.h"
#include "../src/kernels/mse_fused.h"
#include "../src/kernels/mse_pass.h"

#include <cblas.h>
#include <lapacke.h>
#include <matgrad.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ctx {
    size_t N, j;
    double *A, *y, *w, *g, *r, *M, *c;
    int threads;
} ctx;

/* ---- gradient ------------------------------------------------------------ */

static void grad_naive(void *p)
{
    ctx *x = p;
    const size_t N = x->N, j = x->j;
    double loss = 0.0;
    for (size_t a = 0; a < j; a++)
        x->g[a] = 0.0;
    for (size_t i = 0; i < N; i++) {
        double d = 0.0;
        for (size_t a = 0; a < j; a++)
            d += x->A[i * j + a] * x->w[a];
        double r = x->y[i] - d;
        loss += r * r;
        for (size_t a = 0; a < j; a++)
            x->g[a] += x->A[i * j + a] * r;
    }
    for (size_t a = 0; a < j; a++)
        x->g[a] *= -2.0 / (double)N;
    x->c[0] = loss / (double)N;
}

static void grad_blas(void *p)
{
    ctx *x = p;
    const int N = (int)x->N, j = (int)x->j;
    memcpy(x->r, x->y, x->N * sizeof(double));
    /* r = y - A w */
    cblas_dgemv(CblasRowMajor, CblasNoTrans, N, j, -1.0, x->A, j, x->w, 1, 1.0, x->r, 1);
    /* g = -(2/N) A^T r */
    cblas_dgemv(CblasRowMajor, CblasTrans, N, j, -2.0 / N, x->A, j, x->r, 1, 0.0, x->g, 1);
    /* loss = r.r / N */
    x->c[0] = cblas_ddot(N, x->r, 1, x->r, 1) / N;
}

static void grad_matgrad(void *p)
{
    ctx *x = p;
    mg_matrix A = mg_matrix_view(x->A, x->N, x->j), W = mg_matrix_view(x->w, x->j, 1);
    mg_matrix Y = mg_matrix_view(x->y, x->N, 1), G = mg_matrix_view(x->g, x->j, 1);
    if (mg_mse_grad(&A, &W, &Y, &G, x->c) != MG_OK)
        abort();
}

/* ---- loss only ----------------------------------------------------------- */

static void loss_naive(void *p)
{
    ctx *x = p;
    double loss = 0.0;
    for (size_t i = 0; i < x->N; i++) {
        double d = 0.0;
        for (size_t a = 0; a < x->j; a++)
            d += x->A[i * x->j + a] * x->w[a];
        loss += (x->y[i] - d) * (x->y[i] - d);
    }
    x->c[0] = loss / (double)x->N;
}

static void loss_blas(void *p)
{
    ctx *x = p;
    const int N = (int)x->N, j = (int)x->j;
    memcpy(x->r, x->y, x->N * sizeof(double));
    /* r = y - A w */
    cblas_dgemv(CblasRowMajor, CblasNoTrans, N, j, -1.0, x->A, j, x->w, 1, 1.0, x->r, 1);
    /* loss = r.r / N */
    x->c[0] = cblas_ddot(N, x->r, 1, x->r, 1) / N;
}

static void loss_matgrad(void *p)
{
    ctx *x = p;
    mg_matrix A = mg_matrix_view(x->A, x->N, x->j), W = mg_matrix_view(x->w, x->j, 1);
    mg_matrix Y = mg_matrix_view(x->y, x->N, 1);
    if (mg_mse_loss(&A, &W, &Y, x->c) != MG_OK)
        abort();
}

/* The same kernel pinned to a thread count, for the scaling column. */
static void grad_threads(void *p)
{
    ctx *x = p;
    mg_matrix A = mg_matrix_view(x->A, x->N, x->j), W = mg_matrix_view(x->w, x->j, 1);
    mg_matrix Y = mg_matrix_view(x->y, x->N, 1);
    mg__mse_pass_nt(&A, &W, &Y, x->g, x->c, x->r, x->threads);
}

/* The k sweep: both paths of the pass on an N x j A with k outputs. */
typedef struct kctx {
    mg_matrix A, W, Y;
    double *atr, *scratch;
    mg__mse_path path;
} kctx;

static void pass_path(void *p)
{
    kctx *x = p;
    double ssq;
    mg__mse_pass_path(&x->A, &x->W, &x->Y, x->atr, &ssq, x->scratch, 0, x->path);
}

static void k_sweep(size_t N, size_t j, int reps, double bw)
{
    static const size_t ks[] = { 1, 2, 4, 8, 16, 32, 48 };
    double *A = bc_random(N * j, 21), *Y = bc_random(N * 48, 22), *W = bc_random(j * 48, 23);
    double *atr = bc_random(j * 48, 24);
    double *scratch = bc_random(mg__mse_scratch_len_path(N, j, MG__FUSED_MAX_K, MG__MSE_FUSED) +
                                mg__mse_scratch_len_path(N, j, 48, MG__MSE_BLAS), 25);
    if (!A || !Y || !W || !atr || !scratch)
        exit(1);
    for (size_t t = 0; t < sizeof ks / sizeof ks[0]; t++) {
        const size_t k = ks[t];
        kctx x = { mg_matrix_view(A, N, j), mg_matrix_view(W, j, k), mg_matrix_view(Y, N, k),
                   atr, scratch, MG__MSE_BLAS };
        const double bytes = (double)N * (double)(j + k) * sizeof(double);
        char name[32];
        snprintf(name, sizeof name, "gradient_k%zu", k);
        const double tb = bc_time(pass_path, &x, reps);
        double tf = -1.0;
        if (k <= MG__FUSED_MAX_K) {
            x.path = MG__MSE_FUSED;
            tf = bc_time(pass_path, &x, reps);
        }
        printf("  %-14s blas %8.3f ms (%5.1f GB/s)   fused %8.3f ms (%5.1f GB/s)   chosen: %s\n",
               name, 1e3 * tb, bytes / tb * 1e-9, 1e3 * tf, tf > 0 ? bytes / tf * 1e-9 : 0.0,
               mg__mse_choose(N, j, k) == MG__MSE_FUSED ? "fused" : "blas");
        bc_result(name, "blocked_dgemm", N, j, tb, bytes / tb * 1e-9, "GB/s", bytes / tb / bw);
        if (tf > 0)
            bc_result(name, "fused", N, j, tf, bytes / tf * 1e-9, "GB/s", bytes / tf / bw);
    }
    bc_free(A); bc_free(Y); bc_free(W); bc_free(atr); bc_free(scratch);
}

/* ---- normal solve -------------------------------------------------------- */

static void solve_naive(void *p)
{
    ctx *x = p;
    const size_t N = x->N, j = x->j;
    memset(x->M, 0, j * j * sizeof(double));
    memset(x->g, 0, j * sizeof(double));
    for (size_t i = 0; i < N; i++) {
        const double *a = x->A + i * j;
        for (size_t u = 0; u < j; u++) {
            for (size_t v = u; v < j; v++)
                x->M[u * j + v] += a[u] * a[v];
            x->g[u] += a[u] * x->y[i];
        }
    }
    /* Cholesky M = U^T U, then two triangular solves */
    for (size_t u = 0; u < j; u++) {
        double d = x->M[u * j + u];
        for (size_t t = 0; t < u; t++)
            d -= x->M[t * j + u] * x->M[t * j + u];
        d = sqrt(d);
        x->M[u * j + u] = d;
        for (size_t v = u + 1; v < j; v++) {
            double s = x->M[u * j + v];
            for (size_t t = 0; t < u; t++)
                s -= x->M[t * j + u] * x->M[t * j + v];
            x->M[u * j + v] = s / d;
        }
    }
    for (size_t u = 0; u < j; u++) {
        double s = x->g[u];
        for (size_t t = 0; t < u; t++)
            s -= x->M[t * j + u] * x->g[t];
        x->g[u] = s / x->M[u * j + u];
    }
    for (size_t u = j; u-- > 0;) {
        double s = x->g[u];
        for (size_t t = u + 1; t < j; t++)
            s -= x->M[u * j + t] * x->g[t];
        x->g[u] = s / x->M[u * j + u];
    }
}

static void solve_blas(void *p)
{
    ctx *x = p;
    const int N = (int)x->N, j = (int)x->j;
    /* M = A^T A (upper) */
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, j, N, 1.0, x->A, j, 0.0, x->M, j);
    /* c = A^T y */
    cblas_dgemv(CblasRowMajor, CblasTrans, N, j, 1.0, x->A, j, x->y, 1, 0.0, x->g, 1);
    /* M w = c by Cholesky */
    if (LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', j, 1, x->M, j, x->g, 1) != 0)
        abort();
}

static void solve_matgrad(void *p)
{
    ctx *x = p;
    mg_matrix A = mg_matrix_view(x->A, x->N, x->j), Y = mg_matrix_view(x->y, x->N, 1);
    mg_matrix W = mg_matrix_view(x->g, x->j, 1);
    if (mg_normal_solve(&A, &Y, 0.0, &W) != MG_OK)
        abort();
}

/* ---- driver -------------------------------------------------------------- */

static void row(const char *workload, const char *impl, const ctx *x, double t, double rate,
                const char *unit, double bound, double naive_t)
{
    printf("  %-14s %-16s %8zux%-3zu %11.3f ms %9.2f %-7s %6.1f%% %8.1fx\n", workload, impl, x->N,
           x->j, 1e3 * t, rate, unit, 100.0 * bound, naive_t / t);
    bc_result(workload, impl, x->N, x->j, t, rate, unit, bound);
}

int main(void)
{
    const int reps = bc_reps(7);
    const size_t j = 64;
    size_t sizes[] = { 10000, 100000, 1000000 };
    const size_t nsizes = 3;
    if (bc_quick())
        sizes[2] = 300000;

    const double peak = bc_dgemm_peak(2000, reps);
    printf("bench_linreg: medians of %d runs; dgemm peak %.1f GFLOP/s (n = 2000)\n", reps,
           peak * 1e-9);
    bc_result("dgemm_peak", "openblas", 2000, 2000, 2.0 * 8e9 / peak, peak * 1e-9, "GFLOP/s", 1.0);
    printf("  %-14s %-16s %12s %14s %17s %7s %9s\n", "workload", "impl", "size", "median",
           "rate", "bound", "vs naive");

    for (size_t s = 0; s < nsizes; s++) {
        const size_t N = sizes[s];
        ctx x = { N, j, bc_random(N * j, 11), bc_random(N, 12), bc_random(j, 13),
                  bc_random(j, 14), bc_random(N > 4096 ? N : 4096, 15), bc_random(j * j, 16),
                  bc_random(j + 1, 17), 0 };
        if (!x.A || !x.y || !x.w || !x.g || !x.r || !x.M || !x.c)
            return 1;
        /* gradient and loss: bytes of A and y read once.  The streaming read
         * of A (the bound) runs in the same rounds as the implementations,
         * so all see the same machine; its median is the bound, and its
         * fastest run is printed too (read_bw stream_best). */
        const double bytes = (double)N * (double)(j + 1) * sizeof(double);
        bc_stream st = { x.A, N * j };
        ctx x1 = x;
        x1.threads = 1;
        void (*const fns[])(void *) = { bc_stream_read, grad_naive, grad_blas, grad_matgrad,
                                        grad_threads, loss_naive, loss_blas, loss_matgrad };
        void *const ctxs[] = { &st, &x, &x, &x, &x1, &x, &x, &x };
        double med[8], best[8];
        bc_time_rounds(fns, ctxs, 8, reps, med, best);
        const double bw = (double)N * j * sizeof(double) / med[0];
        const double bw_best = (double)N * j * sizeof(double) / best[0];
        bc_result("read_bw", "stream", N, j, med[0], bw * 1e-9, "GB/s", 1.0);
        bc_result("read_bw", "stream_best", N, j, best[0], bw_best * 1e-9, "GB/s", -1.0);
        printf("  %-14s %-16s %8zux%-3zu %11.3f ms %9.2f GB/s (fastest run %.2f GB/s)\n",
               "read_bw", "stream", N, j, 1e3 * med[0], bw * 1e-9, bw_best * 1e-9);
        static const char *const names[] = { "", "naive_loops", "blas_2x_dgemv", "matgrad",
                                              "matgrad_1thread", "naive_loops",
                                              "blas_dgemv_ddot", "matgrad" };
        for (int i = 1; i < 8; i++) {
            const double t = med[i], base = i < 5 ? med[1] : med[5];
            row(i < 5 ? "gradient" : "loss", names[i], &x, t, bytes / t * 1e-9, "GB/s",
                bytes / t / bw, base);
        }

        /* normal solve: dsyrk's N j^2 flops dominate */
        const double flops = (double)N * (double)j * (double)j;
        const double sn = bc_time(solve_naive, &x, s == nsizes - 1 ? 5 : reps);
        const double sb = bc_time(solve_blas, &x, reps);
        const double sm = bc_time(solve_matgrad, &x, reps);
        row("normal_solve", "naive_loops", &x, sn, flops / sn * 1e-9, "GFLOP/s", flops / sn / peak, sn);
        row("normal_solve", "blas_syrk_posv", &x, sb, flops / sb * 1e-9, "GFLOP/s", flops / sb / peak, sn);
        row("normal_solve", "matgrad", &x, sm, flops / sm * 1e-9, "GFLOP/s", flops / sm / peak, sn);
        if (s == nsizes - 1) {
            printf("  k sweep at %zux%zu: the two paths of the pass for k outputs\n", N, j);
            k_sweep(N, j, reps, bw);
        }
        bc_free(x.A); bc_free(x.y); bc_free(x.w); bc_free(x.g); bc_free(x.r); bc_free(x.M); bc_free(x.c);
    }
    return 0;
}
