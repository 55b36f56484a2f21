/* SPDX-License-Identifier: BSD-3-Clause */
/* Benchmark: many small fits (docs/performance.md, "Many small fits").
 *
 *   bench_small [runs]        (default 5; $MG_BENCH_QUICK shrinks the sizes)
 *
 * 1. Sliding window, W = 100, p = 4, k = 1 with the intercept, over a
 *    stream of STEPS rows: mg_window_push + mg_window_coef per step, against
 *    a fresh mg_lstsq of every tenth window (the per-step cost of refitting
 *    every window is that time over the windows refitted).
 * 2. Batch: 10000 independent fits of X 100 x 4, one output, as one
 *    mg_lstsq_batch call (matgrad's worker threads) against a loop of mg_lstsq.
 * Both pairs are timed round-robin in the same run (bc_time_rounds), so the
 * ratios are taken under the same machine conditions; medians of `runs`
 * rounds after one warm-up.  RESULT lines for bench/run_all.sh. */
#include <matgrad.h>

#include "bench_common.h"

#include <stdio.h>
#include <stdlib.h>

enum { W = 100, P = 4, K = 1, M = P + 1, REFIT_EVERY = 10, FITS = 10000, FN = 100, FP = 4 };

typedef struct win_ctx {
    size_t steps;
    double *X, *Y;
    mg_window *win;
    double sink;
} win_ctx;

static void run_window(void *vp)
{
    win_ctx *c = vp;
    double B[M];
    mg_matrix Bv = mg_matrix_view(B, M, K);
    if (mg_window_reset(c->win) != MG_OK)
        abort();
    for (size_t t = 0; t < c->steps; t++) {
        mg_matrix x = mg_matrix_view(c->X + t * P, 1, P), y = mg_matrix_view(c->Y + t, 1, K);
        if (mg_window_push(c->win, &x, &y) != MG_OK)
            abort();
        if (t + 1 >= W) {
            if (mg_window_coef(c->win, &Bv, NULL, NULL, NULL) != MG_OK)
                abort();
            c->sink += B[0];
        }
    }
}

static void run_refit(void *vp)
{
    win_ctx *c = vp;
    double B[M];
    mg_matrix Bv = mg_matrix_view(B, M, K);
    mg_lstsq_options o = mg_lstsq_defaults();
    o.intercept = 1;
    for (size_t t = W - 1; t < c->steps; t += REFIT_EVERY) {
        mg_matrix x = mg_matrix_view(c->X + (t + 1 - W) * P, W, P);
        mg_matrix y = mg_matrix_view(c->Y + (t + 1 - W), W, K);
        if (mg_lstsq(&x, &y, &Bv, &o, NULL) != MG_OK)
            abort();
        c->sink += B[0];
    }
}

typedef struct batch_ctx {
    size_t count;
    mg_matrix *X, *Y, *B;
} batch_ctx;

static void run_batch(void *vp)
{
    batch_ctx *c = vp;
    if (mg_lstsq_batch(c->count, c->X, c->Y, c->B, NULL, NULL, NULL, NULL) != MG_OK)
        abort();
}

static void run_loop(void *vp)
{
    batch_ctx *c = vp;
    for (size_t i = 0; i < c->count; i++)
        if (mg_lstsq(&c->X[i], &c->Y[i], &c->B[i], NULL, NULL) != MG_OK)
            abort();
}

static void bench_window(int reps)
{
    win_ctx c = { bc_quick() ? 10000u : 100000u, NULL, NULL, NULL, 0.0 };
    c.X = bc_random(c.steps * P, 1);
    c.Y = bc_random(c.steps, 2);
    mg_window_options wo = { 1 };
    if (!c.X || !c.Y || mg_window_create(P, K, W, &wo, &c.win) != MG_OK)
        abort();
    for (size_t t = 0; t < c.steps; t++) /* a drifting model */
        c.Y[t] = 0.1 * c.Y[t] + 1.0 + c.X[t * P] * (1.0 + 1e-5 * (double)t) - c.X[t * P + 2];
    void (*const fns[2])(void *) = { run_window, run_refit };
    void *const ctxs[2] = { &c, &c };
    double med[2];
    bc_time_rounds(fns, ctxs, 2, reps, med, NULL);
    const double windows = (double)(c.steps - W + 1);
    const double refits = (double)((c.steps - W) / REFIT_EVERY + 1);
    const double per_win = med[0] / windows, per_refit = med[1] / refits;
    printf("window W=%d p=%d k=%d, %zu steps: push+coef %.3f us/step, refit (mg_lstsq) %.3f us/window, "
           "ratio %.1fx\n",
           W, P, K, c.steps, 1e6 * per_win, 1e6 * per_refit, per_refit / per_win);
    bc_result("window_step", "mg_window", W, P, per_win, -1.0, "-", -1.0);
    bc_result("window_step", "mg_lstsq_refit", W, P, per_refit, -1.0, "-", -1.0);
    mg_window_free(c.win);
    bc_free(c.X);
    bc_free(c.Y);
    if (c.sink == 12345.678)
        puts("");
}

static void bench_batch(int reps)
{
    batch_ctx c = { bc_quick() ? 1000u : FITS, NULL, NULL, NULL };
    double *X = bc_random(c.count * FN * FP, 3), *Y = bc_random(c.count * FN, 4);
    double *B = bc_random(c.count * FP, 5);
    c.X = malloc(c.count * sizeof *c.X);
    c.Y = malloc(c.count * sizeof *c.Y);
    c.B = malloc(c.count * sizeof *c.B);
    if (!X || !Y || !B || !c.X || !c.Y || !c.B)
        abort();
    for (size_t i = 0; i < c.count; i++) {
        c.X[i] = mg_matrix_view(X + i * FN * FP, FN, FP);
        c.Y[i] = mg_matrix_view(Y + i * FN, FN, 1);
        c.B[i] = mg_matrix_view(B + i * FP, FP, 1);
    }
    void (*const fns[2])(void *) = { run_batch, run_loop };
    void *const ctxs[2] = { &c, &c };
    double med[2];
    bc_time_rounds(fns, ctxs, 2, reps, med, NULL);
    printf("batch %zu fits of %d x %d: mg_lstsq_batch %.2f ms, loop of mg_lstsq %.2f ms, "
           "ratio %.2fx\n",
           c.count, FN, FP, 1e3 * med[0], 1e3 * med[1], med[1] / med[0]);
    bc_result("batch_fits", "mg_lstsq_batch", FN, FP, med[0], -1.0, "-", -1.0);
    bc_result("batch_fits", "mg_lstsq_loop", FN, FP, med[1], -1.0, "-", -1.0);
    free(c.X);
    free(c.Y);
    free(c.B);
    bc_free(X);
    bc_free(Y);
    bc_free(B);
}

int main(int argc, char **argv)
{
    const int reps = argc > 1 ? atoi(argv[1]) : bc_reps(5);
    if (reps < 1) {
        fprintf(stderr, "usage: bench_small [runs >= 1]\n");
        return 2;
    }
    bench_window(reps);
    bench_batch(reps);
    return 0;
}
