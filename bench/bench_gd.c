/* SPDX-License-Identifier: BSD-3-Clause */
/* bench_gd: 1000 epochs of gradient descent on the MSE loss, N x 32, k = 1:
 * naive loops, the plain BLAS loop (two dgemv per epoch), and mg_gd_fit
 * with each strategy (direct: one fused pass per epoch; Gram: one dsyrk,
 * then O(j^2) per epoch; auto: the library's choice).  Prints a table and
 * RESULT lines (see bench/common).  The direct strategy's bound is the
 * streaming read of A once per epoch; the Gram strategy reads A a few times
 * in all, so no per-epoch bound applies to it ("-"). */
#include "bench_common.h"

#include <cblas.h>
#include <lapacke.h>
#include <matgrad.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { EPOCHS = 1000 };
static const double LR = 0.1;

typedef struct ctx {
    size_t N, j;
    double *A, *y, *w, *r, *g, *cp, *tau;
    mg_gd_strategy strategy;
} ctx;

static void gd_naive(void *p)
{
    ctx *x = p;
    const size_t N = x->N, j = x->j;
    memset(x->w, 0, j * sizeof(double));
    for (int e = 0; e < EPOCHS; e++) {
        double loss = 0.0;
        memset(x->g, 0, j * sizeof(double));
        for (size_t i = 0; i < N; i++) {
            double d = 0.0;
            for (size_t a = 0; a < j; a++)
                d += x->A[i * j + a] * x->w[a];
            const double r = x->y[i] - d;
            loss += r * r;
            for (size_t a = 0; a < j; a++)
                x->g[a] += x->A[i * j + a] * r;
        }
        for (size_t a = 0; a < j; a++)
            x->w[a] += LR * 2.0 / (double)N * x->g[a];
        x->r[0] = loss / (double)N;
    }
}

static void gd_blas(void *p)
{
    ctx *x = p;
    const int N = (int)x->N, j = (int)x->j;
    memset(x->w, 0, x->j * sizeof(double));
    for (int e = 0; e < EPOCHS; e++) {
        memcpy(x->r, x->y, x->N * sizeof(double));
        /* r = y - A w */
        cblas_dgemv(CblasRowMajor, CblasNoTrans, N, j, -1.0, x->A, j, x->w, 1, 1.0, x->r, 1);
        const double loss = cblas_ddot(N, x->r, 1, x->r, 1) / N;
        /* w += lr (2/N) A^T r */
        cblas_dgemv(CblasRowMajor, CblasTrans, N, j, LR * 2.0 / N, x->A, j, x->r, 1, 1.0, x->w, 1);
        x->g[0] = loss;
    }
}

static void on_epoch(size_t e, double loss, void *c)
{
    (void)e;
    *(double *)c = loss; /* a callback like a user's: the loss of every epoch */
}

static void gd_matgrad(void *p)
{
    ctx *x = p;
    mg_matrix A = mg_matrix_view(x->A, x->N, x->j), Y = mg_matrix_view(x->y, x->N, 1);
    mg_matrix W = mg_matrix_view(x->w, x->j, 1);
    mg_gd_options o = mg_gd_defaults();
    o.learning_rate = LR;
    o.epochs = EPOCHS;
    o.strategy = x->strategy;
    o.on_epoch = on_epoch;
    o.ctx = x->g;
    memset(x->w, 0, x->j * sizeof(double));
    if (mg_gd_fit(&A, &Y, &W, &o, NULL) != MG_OK)
        abort();
}

/* Set-up alternatives for a Gram-type strategy: A^T A by dsyrk (what
 * MG_GD_GRAM does) against a QR factorisation of [A y] (dgeqrf on a copy),
 * which would give an accurate loss without reference passes but costs
 * more (docs/performance.md). */
static void setup_syrk(void *p)
{
    ctx *x = p;
    /* M = A^T A (upper) */
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)x->j, (int)x->N, 1.0, x->A,
                (int)x->j, 0.0, x->cp, (int)x->j);
}

static void setup_qr(void *p)
{
    ctx *x = p;
    const size_t n = x->j + 1;
    for (size_t i = 0; i < x->N; i++) {
        memcpy(x->cp + i * n, x->A + i * x->j, x->j * sizeof(double));
        x->cp[i * n + x->j] = x->y[i];
    }
    /* [A y] = Q R */
    if (LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, (int)x->N, (int)n, x->cp, (int)n, x->tau) != 0)
        abort();
}

int main(void)
{
    const int reps = bc_reps(5);
    const size_t j = 32;
    size_t sizes[] = { 10000, 100000, 200000 };
    if (bc_quick())
        sizes[2] = 120000;
    printf("bench_gd: %d epochs, lr %.2g, medians of %d runs\n", EPOCHS, LR, reps);
    printf("  %-22s %12s %12s %12s %9s %9s\n", "impl", "size", "median", "per epoch", "bound",
           "vs naive");
    for (size_t s = 0; s < 3; s++) {
        const size_t N = sizes[s];
        ctx x = { N, j, bc_random(N * j, 31), bc_random(N, 32), bc_random(j, 33),
                  bc_random(N, 34), bc_random(j, 35), bc_random(N * (j + 1), 36),
                  bc_random(j + 1, 37), MG_GD_AUTO };
        if (!x.A || !x.y || !x.w || !x.r || !x.g || !x.cp || !x.tau)
            return 1;
        const double bw = bc_read_bandwidth(x.A, N * j, reps);
        const double bytes = (double)EPOCHS * (double)N * (double)(j + 1) * sizeof(double);
        bc_result("read_bw", "stream", N, j, (double)N * j * 8 / bw, bw * 1e-9, "GB/s", 1.0);
        struct { const char *name; void (*fn)(void *); mg_gd_strategy st; int per_epoch_bound; } impls[] = {
            { "naive_loops", gd_naive, MG_GD_AUTO, 1 },
            { "blas_2x_dgemv", gd_blas, MG_GD_AUTO, 1 },
            { "matgrad_direct", gd_matgrad, MG_GD_DIRECT, 1 },
            { "matgrad_gram", gd_matgrad, MG_GD_GRAM, 0 },
            { "matgrad_auto", gd_matgrad, MG_GD_AUTO, 0 },
        };
        double tnaive = 0.0;
        for (size_t i = 0; i < sizeof impls / sizeof impls[0]; i++) {
            x.strategy = impls[i].st;
            const double t = bc_time(impls[i].fn, &x, reps);
            if (i == 0)
                tnaive = t;
            const double frac = impls[i].per_epoch_bound ? bytes / t / bw : -1.0;
            char bound[16] = "-";
            if (frac >= 0)
                snprintf(bound, sizeof bound, "%.1f%%", 100.0 * frac);
            printf("  %-22s %8zux%-3zu %9.1f ms %9.3f ms %9s %8.1fx\n", impls[i].name, N, j,
                   1e3 * t, 1e3 * t / EPOCHS, bound, tnaive / t);
            bc_result("gd", impls[i].name, N, j, t, impls[i].per_epoch_bound ? bytes / t * 1e-9 : -1.0,
                      "GB/s", frac);
        }
        const double ts = bc_time(setup_syrk, &x, reps), tq = bc_time(setup_qr, &x, reps);
        printf("  %-22s %8zux%-3zu %9.1f ms\n", "setup: dsyrk A^T A", N, j, 1e3 * ts);
        printf("  %-22s %8zux%-3zu %9.1f ms\n", "setup: dgeqrf [A y]", N, j, 1e3 * tq);
        bc_result("gd_setup", "dsyrk", N, j, ts, -1.0, "-", -1.0);
        bc_result("gd_setup", "dgeqrf", N, j, tq, -1.0, "-", -1.0);
        bc_free(x.A); bc_free(x.y); bc_free(x.w); bc_free(x.r); bc_free(x.g); bc_free(x.cp);
        bc_free(x.tau);
    }
    return 0;
}
