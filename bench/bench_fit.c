/* SPDX-License-Identifier: BSD-3-Clause */
/* bench_fit: the fit engine (include/matgrad/fit.h) through its public API
 * only.  Prints tables and RESULT lines (see bench/common).
 *
 *   fit_accumulate  mg_fit_accumulate over N rows of [X y] (row-major, one
 *                   buffer, k = 1), fed in caller blocks of 256 or 4096 rows,
 *                   for both kinds with and without the intercept, p = 8, 20,
 *                   64.  Two ways: one state on the calling thread, and one
 *                   state per OpenMP thread over contiguous slices merged in
 *                   thread order (how a front end uses the engine).  Rate:
 *                   GB/s of [X y] read; bound_frac: that over the streaming
 *                   read of the same buffer with the same number of threads,
 *                   timed in the same rounds.  The table also shows rows/s and
 *                   the flop rate (QR 2 N q^2 with q = intercept + p + 1, the
 *                   Householder count of dtpqrt; GRAM N n^2 with n = p + 1,
 *                   the symmetric product's) against dgemm's rate on as many threads (order
 *                   1000, timed in the same rounds, median), and
 *                   roof% = max(read time, flop time at dgemm's peak) / time:
 *                   beyond p ~ 8 the flops, not the read, bound both kinds.
 *   fit_refine      one refinement replay (refine_begin + refine_accumulate
 *                   over every row, blocks of 4096; threads: per-thread
 *                   states and refine_merge), same bound.
 *   fit_today       today's mg_normal_solve and mg_lstsq (defaults) on the
 *                   same rows, no intercept, in the same rounds: the speed the
 *                   front ends must keep once they run on the engine.
 *   fit_merge       mg_fit_merge of two states (p = 20, 64), per merge.
 *   fit_finish      mg_fit_finish with every statistic (B, std_err, sd, R^2,
 *                   adjusted R^2): "cold" = factorisation included (timed as
 *                   load + finish, minus load alone), "cached" = the factor of
 *                   the previous finish reused.
 *   fit_save / fit_load  the byte image (image_bytes= on the RESULT line).
 *
 *   bench_fit            MG_BENCH_REPS (default 5) runs per median,
 *                        MG_BENCH_QUICK=1 for N = 2e5 instead of 1e6.
 *
 * The machine is shared: every implementation of one p runs round-robin
 * with its bound (bc_time_rounds) so that load drifting over seconds hits
 * all of them alike; medians, not best runs. */
#include "bench_common.h"

#include <cblas.h>
#include <matgrad.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

enum { MAXT = 64 };

static int max_threads(void)
{
#ifdef _OPENMP
    int t = omp_get_max_threads();
    return t < MAXT ? t : MAXT;
#else
    return 1;
#endif
}

static void die(const char *what, mg_status st)
{
    fprintf(stderr, "bench_fit: %s failed: %s\n", what, mg_strerror(st));
    exit(1);
}

static void must(const char *what, mg_status st)
{
    if (st != MG_OK)
        die(what, st);
}

/* The N x (p + 1) buffer [X y] and views of rows [i0, i0 + n). */
typedef struct data {
    const double *D;
    size_t N, p;
} data;

static mg_matrix xview(const data *d, size_t i0, size_t n)
{
    mg_matrix m = { (double *)d->D + i0 * (d->p + 1), n, d->p, d->p + 1 };
    return m;
}

static mg_matrix yview(const data *d, size_t i0, size_t n)
{
    mg_matrix m = { (double *)d->D + i0 * (d->p + 1) + d->p, n, 1, d->p + 1 };
    return m;
}

/* Feeds rows [r0, r1) in caller blocks of blk rows. */
static void feed(mg_fit *f, const data *d, size_t r0, size_t r1, size_t blk, int refine)
{
    for (size_t i0 = r0; i0 < r1; i0 += blk) {
        const size_t n = r1 - i0 < blk ? r1 - i0 : blk;
        const mg_matrix X = xview(d, i0, n), Y = yview(d, i0, n);
        mg_status st = refine ? mg_fit_refine_accumulate(f, &X, &Y, NULL)
                              : mg_fit_accumulate(f, &X, &Y, NULL);
        if (st != MG_OK)
            die(refine ? "mg_fit_refine_accumulate" : "mg_fit_accumulate", st);
    }
}

/* One accumulate or refine configuration: nt states (nt = 1: the calling
 * thread alone). */
typedef struct cfg {
    const data *d;
    mg_fit_options opt;
    size_t blk;
    int nt, refine;
    mg_fit *st[MAXT];
    mg_matrix B; /* refine: the estimate every replay starts from */
} cfg;

/* Each thread feeds its contiguous slice into its own state; thread 0's
 * state then merges the others in thread order (deterministic). */
static void run_cfg(void *ctx)
{
    cfg *c = ctx;
    const size_t N = c->d->N;
    for (int t = 0; t < c->nt; t++)
        must(c->refine ? "mg_fit_refine_begin" : "mg_fit_reset",
             c->refine ? mg_fit_refine_begin(c->st[t], &c->B) : mg_fit_reset(c->st[t]));
    if (c->nt == 1) {
        feed(c->st[0], c->d, 0, N, c->blk, c->refine);
    } else {
#ifdef _OPENMP
        #pragma omp parallel for num_threads(c->nt) schedule(static, 1)
#endif
        for (int t = 0; t < c->nt; t++)
            feed(c->st[t], c->d, N * (size_t)t / (size_t)c->nt, N * (size_t)(t + 1) / (size_t)c->nt,
                 c->blk, c->refine);
    }
    for (int t = 1; t < c->nt; t++)
        must("merge", c->refine ? mg_fit_refine_merge(c->st[0], c->st[t])
                                : mg_fit_merge(c->st[0], c->st[t]));
}

/* The streaming read on one thread (the bound of a single state). */
static void stream_read_1(void *ctx)
{
#ifdef _OPENMP
    const int t = omp_get_max_threads();
    omp_set_num_threads(1);
    bc_stream_read(ctx);
    omp_set_num_threads(t);
#else
    bc_stream_read(ctx);
#endif
}

static const char *kind_name(mg_fit_kind k)
{
    return k == MG_FIT_QR ? "qr" : "gram";
}

static void impl_name(char *buf, size_t cap, const cfg *c)
{
    snprintf(buf, cap, "%s%s/b%zu/t%d", kind_name(c->opt.kind), c->opt.intercept ? "+icpt" : "",
             c->blk, c->nt);
}

/* The engine's flops per row: Householder update of a q x q triangle by one
 * row (2 q^2), or the Gram kernel's n^2 on the (centred) [X y] row. */
static double flops_per_row(const cfg *c)
{
    const double q = (double)(c->d->p + 1) + (c->opt.intercept ? 1.0 : 0.0);
    const double n = (double)(c->d->p + 1);
    return c->opt.kind == MG_FIT_QR ? 2.0 * q * q : n * n;
}

/* dgemm C = A B on order-n matrices, on one thread or on OpenBLAS's own
 * count: the flop bound, timed in the same rounds as the engine. */
typedef struct gemm_ctx {
    double *a, *b, *c;
    int n, one;
} gemm_ctx;

static void run_gemm(void *ctx)
{
    gemm_ctx *g = ctx;
    const int nb = openblas_get_num_threads();
    if (g->one)
        openblas_set_num_threads(1);
    /* C = A B */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, g->n, g->n, g->n, 1.0, g->a, g->n, g->b,
                g->n, 0.0, g->c, g->n);
    if (g->one)
        openblas_set_num_threads(nb);
}

/* Today's in-memory front ends on the same rows (no intercept), in the
 * same rounds: what the engine must keep up with once they run on it. */
typedef struct today {
    const data *d;
    int lstsq;
    double *b;
} today;

static void run_today(void *ctx)
{
    today *c = ctx;
    const mg_matrix X = xview(c->d, 0, c->d->N), Y = yview(c->d, 0, c->d->N);
    mg_matrix B = mg_matrix_view(c->b, c->d->p, 1);
    must(c->lstsq ? "mg_lstsq" : "mg_normal_solve",
         c->lstsq ? mg_lstsq(&X, &Y, &B, NULL, NULL) : mg_normal_solve(&X, &Y, 0.0, &B));
}

/* Accumulate and refine throughput at one p: every configuration and both
 * streaming reads in the same rounds. */
static void throughput(const data *d, int reps, int T)
{
    static const size_t blocks[] = { 256, 4096 };
    enum { NCFG = 2 * 2 * 3 + 2 * 2 };
    cfg *cs = calloc(NCFG, sizeof *cs);
    if (!cs)
        exit(1);
    size_t nc = 0;
    double *bbuf = calloc(d->p + 1, sizeof *bbuf);
    if (!bbuf)
        exit(1);
    for (int kind = 0; kind < 2; kind++)
        for (int ic = 0; ic < 2; ic++) {
            mg_fit_options o = mg_fit_defaults();
            o.kind = kind ? MG_FIT_GRAM : MG_FIT_QR;
            o.intercept = ic;
            /* one state, both caller blocks; per-thread states, 4096 */
            for (int v = 0; v < 3; v++) {
                cfg *c = &cs[nc++];
                c->d = d;
                c->opt = o;
                c->blk = v < 2 ? blocks[v] : 4096;
                c->nt = v < 2 ? 1 : T;
            }
        }
    /* refinement: with the intercept, both kinds, one state and T states */
    for (int kind = 0; kind < 2; kind++)
        for (int v = 0; v < 2; v++) {
            cfg *c = &cs[nc++];
            c->d = d;
            c->opt = mg_fit_defaults();
            c->opt.kind = kind ? MG_FIT_GRAM : MG_FIT_QR;
            c->opt.intercept = 1;
            c->blk = 4096;
            c->nt = v ? T : 1;
            c->refine = 1;
            c->B = mg_matrix_view(bbuf, d->p + 1, 1);
        }
    for (size_t i = 0; i < nc; i++)
        for (int t = 0; t < cs[i].nt; t++)
            must("mg_fit_create", mg_fit_create(d->p, 1, &cs[i].opt, &cs[i].st[t]));

    /* The estimate the replays start from: the one-pass QR answer, and one
     * full refinement step per kind as a check that the replay is the
     * real thing (refine_end accepts it: the rows matched). */
    {
        mg_fit *f;
        mg_fit_options o = mg_fit_defaults();
        o.intercept = 1;
        must("mg_fit_create", mg_fit_create(d->p, 1, &o, &f));
        feed(f, d, 0, d->N, 4096, 0);
        must("mg_fit_finish", mg_fit_finish(f, &cs[NCFG - 1].B, NULL));
        mg_fit_free(f);
        for (size_t i = 0; i < nc; i++) {
            if (!cs[i].refine || cs[i].nt != 1)
                continue;
            mg_fit *g;
            double *b2 = malloc((d->p + 1) * sizeof *b2);
            if (!b2)
                exit(1);
            mg_matrix B2 = mg_matrix_view(b2, d->p + 1, 1);
            int conv = 0;
            memcpy(b2, bbuf, (d->p + 1) * sizeof *b2);
            must("mg_fit_create", mg_fit_create(d->p, 1, &cs[i].opt, &g));
            feed(g, d, 0, d->N, 4096, 0);
            must("mg_fit_refine_begin", mg_fit_refine_begin(g, &B2));
            feed(g, d, 0, d->N, 4096, 1);
            must("mg_fit_refine_end", mg_fit_refine_end(g, &B2, &conv));
            mg_fit_free(g);
            free(b2);
        }
    }

    double *tbuf = calloc(d->p, sizeof *tbuf);
    if (!tbuf)
        exit(1);
    today td[2] = { { d, 0, tbuf }, { d, 1, tbuf } };
    enum { GN = 1000 };
    gemm_ctx gc[2] = { { bc_random(GN * GN, 41), bc_random(GN * GN, 42), bc_random(GN * GN, 43), GN, 1 },
                       { NULL, NULL, NULL, GN, 0 } };
    if (!gc[0].a || !gc[0].b || !gc[0].c)
        exit(1);
    gc[1].a = gc[0].a;
    gc[1].b = gc[0].b;
    gc[1].c = gc[0].c;
    const size_t nf = nc + 6;
    bc_stream sall = { d->D, d->N * (d->p + 1) };
    void (**fns)(void *) = calloc(nf, sizeof *fns);
    void **ctxs = calloc(nf, sizeof *ctxs);
    double *med = calloc(nf, sizeof *med), *best = calloc(nf, sizeof *best);
    if (!fns || !ctxs || !med || !best)
        exit(1);
    fns[0] = bc_stream_read;
    ctxs[0] = &sall;
    fns[1] = stream_read_1;
    ctxs[1] = &sall;
    for (size_t i = 0; i < nc; i++) {
        fns[2 + i] = run_cfg;
        ctxs[2 + i] = &cs[i];
    }
    for (size_t i = 0; i < 2; i++) {
        fns[2 + nc + i] = run_today;
        ctxs[2 + nc + i] = &td[i];
        fns[4 + nc + i] = run_gemm;
        ctxs[4 + nc + i] = &gc[i];
    }
    bc_time_rounds(fns, ctxs, nf, reps, med, best);
    /* [1 thread, all threads], medians like every other column */
    const double gemm[2] = { 2.0 * GN * GN * GN / med[4 + nc], 2.0 * GN * GN * GN / med[5 + nc] };
    printf("  dgemm (n = %d, same rounds): %.1f GFLOP/s on 1 thread, %.1f GFLOP/s on OpenBLAS's "
           "%d (fastest runs %.1f, %.1f)\n", GN, gemm[0] * 1e-9, gemm[1] * 1e-9,
           openblas_get_num_threads(), 2e-9 * GN * GN * GN / best[4 + nc],
           2e-9 * GN * GN * GN / best[5 + nc]);
    bc_result("fit_dgemm_peak", "openblas/t1", d->N, d->p, med[4 + nc], gemm[0] * 1e-9, "GFLOP/s", 1.0);
    bc_result("fit_dgemm_peak", "openblas/tall", d->N, d->p, med[5 + nc], gemm[1] * 1e-9, "GFLOP/s",
              1.0);

    const double bytes = (double)d->N * (double)(d->p + 1) * sizeof(double);
    const double bw[2] = { bytes / med[1], bytes / med[0] }; /* [1 thread, T threads] */
    printf("  stream read of [X y] (%zu x %zu): %.2f GB/s on 1 thread, %.2f GB/s on %d "
           "(fastest runs %.2f, %.2f)\n",
           d->N, d->p + 1, bw[0] * 1e-9, bw[1] * 1e-9, T, bytes / best[1] * 1e-9,
           bytes / best[0] * 1e-9);
    bc_result("fit_read_bw", "stream/t1", d->N, d->p, med[1], bw[0] * 1e-9, "GB/s", 1.0);
    bc_result("fit_read_bw", "stream/tall", d->N, d->p, med[0], bw[1] * 1e-9, "GB/s", 1.0);
    printf("  %-7s %-18s %5s %4s %3s %11s %8s %6s %6s %8s %6s %6s\n", "step", "impl", "block", "p",
           "thr", "median", "Mrows/s", "GB/s", "read%", "GFLOP/s", "gemm%", "roof%");
    for (size_t i = 0; i < nc; i++) {
        const cfg *c = &cs[i];
        const double t = med[2 + i], b = c->nt == 1 ? bw[0] : bw[1];
        const double g = c->nt == 1 ? gemm[0] : gemm[1];
        char name[64];
        impl_name(name, sizeof name, c);
        printf("  %-7s %-18s %5zu %4zu %3d %8.2f ms %8.2f %6.2f %5.0f%%", c->refine ? "refine" : "accum",
               name, c->blk, d->p, c->nt, 1e3 * t, (double)d->N / t * 1e-6, bytes / t * 1e-9,
               100.0 * bytes / t / b);
        if (!c->refine) {
            /* roofline: the slower of reading [X y] and the flops at dgemm's rate */
            const double fl = flops_per_row(c) * (double)d->N, tr = bytes / b, tf = fl / g;
            printf(" %8.2f %5.0f%% %5.0f%%\n", fl / t * 1e-9, 100.0 * tf / t,
                   100.0 * (tr > tf ? tr : tf) / t);
        } else {
            printf(" %8s %6s %6s\n", "-", "-", "-");
        }
        bc_result(c->refine ? "fit_refine" : "fit_accumulate", name, d->N, d->p, t,
                  bytes / t * 1e-9, "GB/s", bytes / t / b);
    }
    /* cs[6..8]: GRAM without the intercept (b256/t1, b4096/t1, b4096/tN);
     * cs[0..2]: QR likewise */
    for (size_t i = 0; i < 2; i++) {
        const double t = med[2 + nc + i];
        const char *name = i ? "mg_lstsq" : "mg_normal_solve";
        printf("  today   %-18s %5s %4zu %3s %8.2f ms %8.2f %6.2f %5.0f%%   engine / today: "
               "gram t1 %.2f, gram t%d %.2f, qr t1 %.2f\n",
               name, "-", d->p, "-", 1e3 * t, (double)d->N / t * 1e-6, bytes / t * 1e-9,
               100.0 * bytes / t / bw[1], med[2 + 7] / t, T, med[2 + 8] / t, med[2 + 1] / t);
        bc_result("fit_today", name, d->N, d->p, t, bytes / t * 1e-9, "GB/s", bytes / t / bw[1]);
    }
    for (size_t i = 0; i < nc; i++)
        for (int t = 0; t < cs[i].nt; t++)
            mg_fit_free(cs[i].st[t]);
    bc_free(gc[0].a); bc_free(gc[0].b); bc_free(gc[0].c);
    free(cs); free(bbuf); free(tbuf); free(fns); free(ctxs); free(med); free(best);
}

/* ---- merge, finish, save, load ------------------------------------------ */

enum { LOOP = 200 }; /* calls per timed sample: each is microseconds */

typedef struct small {
    mg_fit *a, *b, *f;
    unsigned char *img;
    size_t len;
    mg_matrix B, se;
    double sd, r2, ar2;
    mg_lstsq_result res;
} small;

static void do_merge(void *ctx)
{
    small *s = ctx;
    for (int i = 0; i < LOOP; i++)
        must("mg_fit_merge", mg_fit_merge(s->a, s->b));
}

static void do_save(void *ctx)
{
    small *s = ctx;
    size_t len;
    for (int i = 0; i < LOOP; i++)
        must("mg_fit_save", mg_fit_save(s->f, s->img, s->len, &len));
}

static void do_load(void *ctx)
{
    small *s = ctx;
    for (int i = 0; i < LOOP; i++)
        must("mg_fit_load", mg_fit_load(s->f, s->img, s->len));
}

static void do_load_finish(void *ctx)
{
    small *s = ctx;
    for (int i = 0; i < LOOP; i++) {
        must("mg_fit_load", mg_fit_load(s->f, s->img, s->len));
        must("mg_fit_finish", mg_fit_finish(s->f, &s->B, &s->res));
    }
}

static void do_finish(void *ctx)
{
    small *s = ctx;
    for (int i = 0; i < LOOP; i++)
        must("mg_fit_finish", mg_fit_finish(s->f, &s->B, &s->res));
}

/* bc_result's line with the image's exact size appended (its rate field
 * keeps 4 significant digits). */
static void image_result(const char *workload, const char *impl, size_t p, double t, size_t len)
{
    printf("RESULT workload=%s impl=%s size=1x%zu median_s=%.6g rate=- unit=- bound_frac=- "
           "image_bytes=%zu\n", workload, impl, p, t, len);
    fflush(stdout);
}

/* States over nrows rows of d (two halves for merge). */
static void small_ops(const data *d, size_t nrows, int reps)
{
    printf("  %-7s %-18s %4s %12s %12s %12s %12s %12s %9s\n", "", "kind", "p", "merge",
           "finish cold", "finish cache", "save", "load", "image");
    for (int kind = 0; kind < 2; kind++)
        for (int ic = 0; ic < 2; ic++) {
            mg_fit_options o = mg_fit_defaults();
            o.kind = kind ? MG_FIT_GRAM : MG_FIT_QR;
            o.intercept = ic;
            small s;
            memset(&s, 0, sizeof s);
            double *bb = calloc(2 * (d->p + 1), sizeof *bb);
            if (!bb)
                exit(1);
            s.B = mg_matrix_view(bb, d->p + (size_t)ic, 1);
            s.se = mg_matrix_view(bb + d->p + 1, d->p + (size_t)ic, 1);
            s.res.std_err = &s.se;
            s.res.residual_sd = &s.sd;
            s.res.r_squared = &s.r2;
            s.res.adj_r_squared = &s.ar2;
            must("mg_fit_create", mg_fit_create(d->p, 1, &o, &s.a));
            must("mg_fit_create", mg_fit_create(d->p, 1, &o, &s.b));
            must("mg_fit_create", mg_fit_create(d->p, 1, &o, &s.f));
            feed(s.a, d, 0, nrows / 2, 4096, 0);
            feed(s.b, d, nrows / 2, nrows, 4096, 0);
            feed(s.f, d, 0, nrows, 4096, 0);
            must("mg_fit_save_size", mg_fit_save_size(s.f, &s.len));
            s.img = malloc(s.len);
            if (!s.img)
                exit(1);
            must("mg_fit_save", mg_fit_save(s.f, s.img, s.len, &s.len));
            must("mg_fit_finish", mg_fit_finish(s.f, &s.B, &s.res));
            if (s.res.rank != d->p + (size_t)ic)
                fprintf(stderr, "bench_fit: unexpected rank %zu\n", s.res.rank);

            void (*const fns[])(void *) = { do_merge, do_load_finish, do_finish, do_save, do_load };
            void *const ctxs[] = { &s, &s, &s, &s, &s };
            double med[5];
            bc_time_rounds(fns, ctxs, 5, reps, med, NULL);
            for (int i = 0; i < 5; i++)
                med[i] /= LOOP;
            const double cold = med[1] - med[4];
            char name[32];
            snprintf(name, sizeof name, "%s%s", kind_name(o.kind), ic ? "+icpt" : "");
            printf("  %-7s %-18s %4zu %9.2f us %9.2f us %9.2f us %9.2f us %9.2f us %7zu B\n", "",
                   name, d->p, 1e6 * med[0], 1e6 * cold, 1e6 * med[2], 1e6 * med[3],
                   1e6 * med[4], s.len);
            bc_result("fit_merge", name, 2, d->p, med[0], -1.0, "-", -1.0);
            bc_result("fit_finish", name, 1, d->p, cold, -1.0, "-", -1.0);
            bc_result("fit_finish_cached", name, 1, d->p, med[2], -1.0, "-", -1.0);
            image_result("fit_save", name, d->p, med[3], s.len);
            image_result("fit_load", name, d->p, med[4], s.len);
            mg_fit_free(s.a); mg_fit_free(s.b); mg_fit_free(s.f);
            free(s.img); free(bb);
        }
}

int main(void)
{
    const int reps = bc_reps(5), T = max_threads();
    const size_t N = bc_quick() ? 200000 : 1000000;
    static const size_t ps[] = { 8, 20, 64 };
    printf("bench_fit: the fit engine through its public API; medians of %d runs, k = 1, "
           "%d OpenMP threads, OpenBLAS %d threads.\n"
           "  The machine is shared with other work: figures are noisy; ratios (read%%, gemm%%) "
           "are taken against bounds measured in this run, in the same rounds.\n",
           reps, T, openblas_get_num_threads());
    for (size_t s = 0; s < sizeof ps / sizeof ps[0]; s++) {
        const size_t p = ps[s];
        double *D = bc_random(N * (p + 1), 31 + p);
        if (!D)
            return 1;
        data d = { D, N, p };
        printf("\n== N = %zu, p = %zu\n", N, p);
        throughput(&d, reps, T);
        if (p >= 20)
            small_ops(&d, 20000, reps);
        bc_free(D);
    }
    return 0;
}
