/* SPDX-License-Identifier: BSD-3-Clause */
/* Kernels: both paths of the MSE pass against the naive long-double
 * reference on shapes that do not divide the kernel's blocks, strided views
 * and every k the fused path takes; bitwise determinism across runs, thread
 * counts and instruction-set variants; the shape-based path choice. */
#define _GNU_SOURCE /* RTLD_DEFAULT */
#include "mgtest.h"
#include "../src/kernels/mse_fused.h"
#include "../src/kernels/mse_pass.h"
#include "../src/kernels/gram_packed.h"
#include "../src/kernels/cpu.h"
#include "../src/kernels/xdot.h"
#include "../src/fit/fit_internal.h"
#include "../src/linreg_internal.h"

#include <dlfcn.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef mgt_shape shape;

/* Row counts around the fused kernel's 4-row groups and blocks (16 KiB of
 * rows, at most 64: 32 rows at j = 64), column counts around its 4-, 8- and
 * 16-wide steps, k from 1 to the fused limit (32) and beyond, strided views
 * (a gap of 9 > 8 doubles takes the kernel's row-by-row prefetch). */
static const shape SHAPES[] = {
    { 1, 1, 1, 0 },    { 3, 1, 1, 2 },     { 5, 3, 1, 0 },    { 7, 5, 2, 1 },
    { 33, 7, 1, 3 },   { 67, 64, 1, 0 },   { 67, 65, 3, 1 },  { 131, 9, 4, 0 },
    { 2049, 1, 1, 0 }, { 2051, 3, 5, 2 },  { 97, 12, 8, 1 },  { 40, 130, 6, 0 },
    { 1000, 17, 7, 4 },{ 9, 4097, 1, 0 },  { 64, 8, 12, 1 },  { 3001, 33, 1, 5 },
    { 203, 21, 32, 1 },{ 70, 5, 33, 0 },   { 300, 10, 2, 9 },
};
enum { NSHAPES = sizeof SHAPES / sizeof SHAPES[0] };

typedef mgt_problem problem;

/* Runs the pass on a path; atr is j x k contiguous. */
static void run_pass(const problem *p, mg__mse_path path, int threads, double *atr, double *ssq)
{
    const size_t N = p->A.v.rows, j = p->A.v.cols, k = p->W.v.cols;
    double *scratch = malloc(mg__mse_scratch_len_path(N, j, k, path) * sizeof(double) + 8);
    ck_assert_ptr_nonnull(scratch);
    mg__mse_pass_path(&p->A.v, &p->W.v, &p->Y.v, atr, ssq, scratch, threads, path);
    free(scratch);
}

/* Both paths against the long-double reference, entry by entry within the
 * worst-case bounds above, plus 3 u |ref| for the reference's own roundings
 * to double (the -(2/N) scaling and back).  Any indexing error misses by
 * orders of magnitude. */
START_TEST(paths_match_reference)
{
    mgt_rng r = mgt_rng_seed(101);
    const shape s = SHAPES[_i];
    problem p = mgt_problem_make(&r, s);
    mgt_mat Gref = mgt_alloc(s.j, s.k, 0);
    ref_mse_grad(&p.A.v, &p.W.v, &p.Y.v, &Gref.v);
    /* ref_mse_grad gives -(2/N) A^T R; the pass gives A^T R */
    const double loss = ref_mse_loss(&p.A.v, &p.W.v, &p.Y.v), scale = -0.5 * (double)s.N;
    for (size_t i = 0; i < Gref.len; i++)
        Gref.buf[i] *= scale;
    double *bound = malloc(s.j * s.k * sizeof *bound);
    ck_assert_ptr_nonnull(bound);
    const double lbound = mgt_mse_bounds(&p.A.v, &p.W.v, &p.Y.v, bound) / (double)s.N + 2.0 * MGT_U * loss;

    for (int path = MG__MSE_FUSED; path <= MG__MSE_BLAS; path++) {
        if (path == MG__MSE_FUSED && s.k > MG__FUSED_MAX_K)
            continue;
        mgt_mat atr = mgt_alloc(s.j, s.k, 0);
        double ssq = -1.0;
        run_pass(&p, (mg__mse_path)path, 2, atr.buf, &ssq);
        /* ssq / N and loss each add one rounding: 2 u loss */
        ck_assert_double_le(fabs(ssq / (double)s.N - loss), lbound);
        for (size_t t = 0; t < s.j * s.k; t++)
            ck_assert_msg(fabs(atr.buf[t] - Gref.buf[t]) <= bound[t] + 3.0 * MGT_U * fabs(Gref.buf[t]),
                          "entry %zu: %.3g > %.3g", t, fabs(atr.buf[t] - Gref.buf[t]), bound[t]);
        /* loss only */
        double ssq2 = -1.0;
        run_pass(&p, (mg__mse_path)path, 2, NULL, &ssq2);
        ck_assert_double_le(fabs(ssq2 / (double)s.N - loss), lbound);
        /* the fused kernel forms each residual and adds its square in one
         * order, whether its one-pass path (one output, j <= 64, with the
         * gradient) or its two phases (the loss alone) run: the same bits */
        if (path == MG__MSE_FUSED)
            ck_assert_msg(memcmp(&ssq, &ssq2, sizeof ssq) == 0, "loss %.17g with the gradient, %.17g without",
                          ssq, ssq2);
        if (getenv("MGT_VERBOSE"))
            printf("shape %d path %d: loss error %.3g (bound %.3g)\n", _i, path,
                   fabs(ssq / (double)s.N - loss), lbound);
        mgt_free(&atr);
    }
    free(bound);
    mgt_free(&Gref);
    mgt_problem_free(&p);
}
END_TEST

/* The fused path splits rows into mg__mse_slices(N, j) slices, a function of
 * the shape alone, and adds the slices' partial sums in slice order: the
 * result must be the same bits for 1, 2, 3, 5 or 16 threads and on every
 * repetition. */
START_TEST(fused_is_bitwise_deterministic)
{
    static const shape big[] = { { 20011, 13, 1, 0 }, { 40000, 64, 1, 3 }, { 12345, 24, 3, 1 } };
    mgt_rng r = mgt_rng_seed(102);
    const shape s = big[_i];
    problem p = mgt_problem_make(&r, s);
    ck_assert_uint_gt(mg__mse_slices(s.N, s.j), 2);
    double *first = malloc(s.j * s.k * sizeof(double)), *atr = malloc(s.j * s.k * sizeof(double));
    double ssq0, ssq;
    run_pass(&p, MG__MSE_FUSED, 1, first, &ssq0);
    const int threads[] = { 1, 2, 3, 5, 16, 2, 2 };
    for (size_t t = 0; t < sizeof threads / sizeof threads[0]; t++) {
        run_pass(&p, MG__MSE_FUSED, threads[t], atr, &ssq);
        ck_assert(memcmp(&ssq, &ssq0, sizeof ssq) == 0);
        ck_assert(memcmp(atr, first, s.j * s.k * sizeof(double)) == 0);
    }
    free(first);
    free(atr);
    mgt_problem_free(&p);
}
END_TEST

/* The baseline, AVX2 and AVX-512 variants perform the same IEEE operations
 * in the same order (no FMA): identical bits.  (Each runs where the CPU has
 * it; on a CPU without, the call falls back and the comparison is trivial.) */
START_TEST(isa_variants_agree_bitwise)
{
    mgt_rng r = mgt_rng_seed(103);
    const shape s = SHAPES[_i];
    if (s.k > MG__FUSED_MAX_K)
        return;
    problem p = mgt_problem_make(&r, s);
    const size_t jk = s.j * s.k;
    double *wT = malloc(jk * sizeof(double)), *g0 = calloc(jk, sizeof(double)),
           *g1 = malloc(jk * sizeof(double));
    for (size_t a = 0; a < s.j; a++)
        for (size_t m = 0; m < s.k; m++)
            wT[m * s.j + a] = mgt_get(&p.W.v, a, m);
    double q0 = 0.0, q1;
    mg__mse_fused_rows_isa(p.A.v.data, p.A.v.stride, p.Y.v.data, p.Y.v.stride, wT, s.j, s.k, 0,
                           s.N, g0, &q0, MG__ISA_BASE);
    static const int isas[] = { MG__ISA_AVX2, MG__ISA_AVX512 };
    for (size_t v = 0; v < sizeof isas / sizeof isas[0]; v++) {
        q1 = 0.0;
        memset(g1, 0, jk * sizeof(double));
        mg__mse_fused_rows_isa(p.A.v.data, p.A.v.stride, p.Y.v.data, p.Y.v.stride, wT, s.j, s.k,
                               0, s.N, g1, &q1, isas[v]);
        ck_assert(memcmp(&q0, &q1, sizeof q0) == 0);
        ck_assert(memcmp(g0, g1, jk * sizeof(double)) == 0);
    }
    free(wT);
    free(g0);
    free(g1);
    mgt_problem_free(&p);
}
END_TEST

/* Few outputs go to the fused kernel (bandwidth-bound work), many outputs
 * and very wide A to blocked dgemm; the slice count depends on the shape
 * only and stays within 1..16. */
START_TEST(path_and_slices_by_shape)
{
    for (size_t k = 1; k <= MG__MSE_FUSED_MAX_K; k++)
        ck_assert_int_eq(mg__mse_choose(1000000, 64, k), MG__MSE_FUSED);
    ck_assert_int_eq(mg__mse_choose(1000000, 64, MG__MSE_FUSED_MAX_K + 1), MG__MSE_BLAS);
    ck_assert_int_eq(mg__mse_choose(100, MG__MSE_FUSED_MAX_J + 1, 1), MG__MSE_BLAS);
    ck_assert_int_eq(mg__mse_choose(100, 4096, 5), MG__MSE_BLAS); /* j k too large */
    ck_assert_int_eq(mg__mse_choose(100, 512, 32), MG__MSE_FUSED);
    ck_assert_int_le(MG__MSE_FUSED_MAX_K, MG__FUSED_MAX_K);
    ck_assert_uint_eq(mg__mse_slices(1, 1), 1);
    ck_assert_uint_eq(mg__mse_slices(1000, 64), 1);
    ck_assert_uint_eq(mg__mse_slices(1000000, 64), 16);
    for (size_t N = 1; N < 5000000; N = N * 3 + 1) {
        size_t sl = mg__mse_slices(N, 7);
        ck_assert(sl >= 1 && sl <= 16 && sl <= N);
    }
}
END_TEST

/* The public entry points take the same paths: mg_mse_grad equals the pass
 * scaled by -2/N, bit for bit, whatever the thread count the pass used. */
START_TEST(public_grad_uses_the_pass)
{
    mgt_rng r = mgt_rng_seed(104);
    problem p = mgt_problem_make(&r, (shape){ 30001, 16, 2, 1 });
    mgt_mat G = mgt_alloc(16, 2, 0);
    double loss, ssq, atr[32];
    ck_assert_int_eq(mg_mse_grad(&p.A.v, &p.W.v, &p.Y.v, &G.v, &loss), MG_OK);
    run_pass(&p, MG__MSE_FUSED, 3, atr, &ssq);
    ck_assert(loss == ssq / 30001.0);
    for (size_t i = 0; i < 32; i++)
        ck_assert(G.buf[i] == atr[i] * (-2.0 / 30001.0));
    mgt_free(&G);
    mgt_problem_free(&p);
}
END_TEST

/* MG_GD_AUTO weighs epochs passes over A (4 N j k flops each) against one
 * Gram pass (N j^2) plus reference passes and O(j^2 k) per epoch.  The
 * choice is a pure function of the shape and the epoch count (never of the
 * machine or thread count), so the test asserts the properties the model
 * must have rather than the exact break-even epoch of today's constants:
 *   - monotone in epochs: once the Gram strategy pays, more epochs keep it;
 *   - never when the Gram set-up alone (N j^2 flops) costs at least the
 *     whole direct run ((E + 1) 4 N j k), i.e. E + 1 <= j / (4 k);
 *   - always for a long run on a tall, narrow design (1000 epochs, 1e5 x 32);
 *   - never when j > N makes the j x j Gram work exceed the passes;
 *   - the explicit strategies override the model. */
START_TEST(gd_auto_strategy_by_cost)
{
    mg_gd_options o = mg_gd_defaults();
    static const size_t J[] = { 8, 32, 200 }, K[] = { 1, 3 };
    for (size_t a = 0; a < 3; a++)
        for (size_t b = 0; b < 2; b++) {
            int prev = 0;
            for (size_t e = 0; e <= 2000; e++) {
                o.epochs = e;
                const int g = mg__gd_use_gram(100000, J[a], K[b], &o);
                ck_assert_msg(g >= prev, "j %zu k %zu: Gram at %zu epochs, not at %zu", J[a],
                              K[b], e - 1, e);
                prev = g;
                if ((double)(e + 1) <= (double)J[a] / (4.0 * (double)K[b]))
                    ck_assert(!g);
            }
        }
    o.epochs = 1000;
    ck_assert(mg__gd_use_gram(100000, 32, 1, &o));
    ck_assert(!mg__gd_use_gram(10, 4000, 1, &o));
    o.strategy = MG_GD_GRAM;
    ck_assert(mg__gd_use_gram(10, 4000, 1, &o));
    o.strategy = MG_GD_DIRECT;
    ck_assert(!mg__gd_use_gram(100000, 32, 1, &o));
}
END_TEST

/* The BLAS-backed paths are threaded by OpenBLAS, whose partition of a sum
 * can change with its thread count; results may then move by rounding only.
 * openblas_set_num_threads is looked up at run time (OpenBLAS is loaded as
 * libmatgrad's dependency; the test does not link it).  Each run is within
 * the worst-case bounds of mgt_mse_bounds (any order), so two runs differ by at
 * most twice those.  The normal solve W = G^-1 h, G = A^T A, h = A^T Y: dsyrk
 * and dgemm give |dG| <= gamma_N |A|^T |A| and |dh| <= gamma_N |A|^T |Y|,
 * Cholesky's backward error is |dG2| <= gamma_{3j+1} |R^T| |R| (Higham, ASNA,
 * Thm 10.4), and || |A|^T |A| ||_2, || |R^T| |R| ||_2 <= ||A||_F^2, so
 *   ||dW||_F <= (||dG||_2 ||W||_F + ||dh||_F) / (lambda_min(G) - ||dG||_2),
 * with ||dG||_2 <= (gamma_N + gamma_{3j+1}) ||A||_F^2 (1 + gamma_N) and
 * ||dh||_F <= gamma_N ||A||_F ||Y||_F; lambda_min(G) from Jacobi on G. */
static double normal_solve_bound(const problem *p, const mg_matrix *W)
{
    const mg_matrix *A = &p->A.v;
    const size_t N = A->rows, j = A->cols;
    mgt_mat G = mgt_alloc(j, j, 0);
    ref_matmul(A, 1, A, 0, &G.v);
    double tr = 0.0, lmax, lmin;
    for (size_t t = 0; t < j; t++)
        tr += mgt_get(&G.v, t, t);
    mgt_svals(&G.v, 0, &lmax, &lmin);
    lmin *= 1.0 - 4.0 * j * MGT_U * lmax / lmin; /* G rounded to double, and Jacobi */
    mgt_free(&G);
    double yf = 0.0, wf = 0.0;
    for (size_t c = 0; c < p->Y.v.cols; c++) {
        yf += pow(mgt_col_norm2(&p->Y.v, c), 2);
        wf += pow(mgt_col_norm2(W, c), 2);
    }
    const double gN = mgt_gamma((double)N);
    const double dG = (gN + mgt_gamma(3.0 * (double)j + 1.0)) * tr * (1.0 + gN);
    const double dh = gN * sqrt(tr) * sqrt(yf);
    ck_assert_double_gt(lmin, dG);
    return (dG * sqrt(wf) + dh) / (lmin - dG);
}

START_TEST(blas_paths_thread_count_within_rounding)
{
    void (*set_threads)(int) = NULL;
    int (*get_threads)(void) = NULL;
    /* POSIX's way to store dlsym's result in a function pointer */
    *(void **)&set_threads = dlsym(RTLD_DEFAULT, "openblas_set_num_threads");
    *(void **)&get_threads = dlsym(RTLD_DEFAULT, "openblas_get_num_threads");
    if (!set_threads || !get_threads)
        return; /* another BLAS: nothing to vary */
    const int saved = get_threads();
    mgt_rng r = mgt_rng_seed(105);
    problem p = mgt_problem_make(&r, (shape){ 30000, 64, 12, 1 });
    mgt_mat atr[2] = { mgt_alloc(64, 12, 0), mgt_alloc(64, 12, 0) };
    mgt_mat W[2] = { mgt_alloc(64, 12, 0), mgt_alloc(64, 12, 0) };
    double ssq[2];
    for (int t = 0; t < 2; t++) {
        set_threads(t + 1);
        run_pass(&p, MG__MSE_BLAS, 0, atr[t].buf, &ssq[t]);
        ck_assert_int_eq(mg_normal_solve(&p.A.v, &p.Y.v, 0.0, &W[t].v), MG_OK);
    }
    set_threads(saved);
    double bound[64 * 12];
    const double sb = mgt_mse_bounds(&p.A.v, &p.W.v, &p.Y.v, bound);
    ck_assert_double_le(fabs(ssq[1] - ssq[0]), 2.0 * sb);
    for (size_t t = 0; t < 64 * 12; t++)
        ck_assert_double_le(fabs(atr[1].buf[t] - atr[0].buf[t]), 2.0 * bound[t]);
    double dw = 0.0;
    for (size_t t = 0; t < 64 * 12; t++)
        dw += (W[1].buf[t] - W[0].buf[t]) * (W[1].buf[t] - W[0].buf[t]);
    const double wb = 2.0 * normal_solve_bound(&p, &W[0].v);
    ck_assert_double_le(sqrt(dw), wb);
    if (getenv("MGT_VERBOSE"))
        printf("thread counts: |dssq| %.3g (bound %.3g), ||dW||_F %.3g (bound %.3g)\n",
               fabs(ssq[1] - ssq[0]), 2.0 * sb, sqrt(dw), wb);
    for (int t = 0; t < 2; t++) {
        mgt_free(&atr[t]);
        mgt_free(&W[t]);
    }
    mgt_problem_free(&p);
}
END_TEST

/* The augmented Gram pass S = [A Y]^T [A Y] (mg_normal_solve, Gram-cached
 * descent): packed blocks of 128 rows (AVX2 and portable variants),
 * 4096+-row slices, threads.  On
 * the shapes above plus multi-slice ones with partial blocks and panels,
 * the upper triangle matches the long-double reference: each entry sums N
 * products in some blocked order, so its error is below gamma_N sum |a b|
 * (any order, Higham ASNA Sec. 3.1), and sum |a b| <= sqrt(S_aa S_bb) <=
 * max |S| (Cauchy-Schwarz); plus u max|S| for the reference's rounding.
 * The bits do not depend on the OpenMP thread count (slices are fixed by
 * the shape and summed in order). */
static const shape GRAM_SHAPES[] = {
    { 20000, 13, 3, 2 }, { 9000, 64, 1, 0 }, { 50000, 9, 2, 1 }, { 8193, 70, 5, 3 },
};

static void gram_reference(const mg_matrix *A, const mg_matrix *Y, double *S)
{
    const size_t j = A->cols, n = j + Y->cols;
    for (size_t a = 0; a < n; a++)
        for (size_t b = a; b < n; b++) {
            long double acc = 0.0L;
            for (size_t i = 0; i < A->rows; i++) {
                double u = a < j ? mgt_get(A, i, a) : mgt_get(Y, i, a - j);
                double v = b < j ? mgt_get(A, i, b) : mgt_get(Y, i, b - j);
                acc += (long double)u * v;
            }
            S[a * n + b] = (double)acc;
        }
}

/* S (n x n, row-major upper) = [A Y]^T [A Y] as the fit engine's GRAM
 * state holds it after the in-memory front ends' sliced pass (what
 * mg_normal_solve and Gram-cached descent read). */
static mg_status engine_gram(const mg_matrix *A, const mg_matrix *Y, double *S)
{
    mg_fit *fit = NULL;
    const mg_status s = mg__normal_state(A, Y, 0.0, &fit);
    if (s != MG_OK)
        return s;
    const size_t n = fit->n;
    for (size_t a = 0; a < n; a++)
        for (size_t b = a; b < n; b++)
            S[a * n + b] = fit->S[b * n + a];
    mg_fit_free(fit);
    return MG_OK;
}

/* The packed kernel's variant isa over all rows in blocks of B rows (128 as
 * the engine calls it), into S (row-major upper). */
static void isa_gram(const mg_matrix *A, const mg_matrix *Y, double *S, int isa, size_t B)
{
    const size_t N = A->rows, j = A->cols, k = Y->cols, n = j + k;
    double *buf = calloc(mg__gram_packed_len(B, j, k), sizeof(double));
    double *mn = malloc(j * sizeof(double)), *mx = malloc(j * sizeof(double));
    ck_assert_ptr_nonnull(buf);
    ck_assert(mn && mx);
    /* zero on and above the diagonal, NaN below (never to be written) */
    for (size_t a = 0; a < n; a++)
        for (size_t b = 0; b < n; b++)
            S[a * n + b] = b >= a ? 0.0 : NAN;
    for (size_t c = 0; c < j; c++) {
        mn[c] = INFINITY;
        mx[c] = -INFINITY;
    }
    for (size_t b0 = 0; b0 < N; b0 += B) {
        const size_t nb = N - b0 < B ? N - b0 : B;
        mg__gram_packed_block_isa(A->data + b0 * A->stride, A->stride, Y->data + b0 * Y->stride,
                                  Y->stride, nb, j, k, S, n, buf, NULL, 0, mn, mx, isa);
    }
    /* the columns' minima and maxima: exact, whatever the variant */
    for (size_t c = 0; c < j; c++) {
        double lo = INFINITY, hi = -INFINITY;
        for (size_t i = 0; i < N; i++) {
            lo = fmin(lo, mgt_get(A, i, c));
            hi = fmax(hi, mgt_get(A, i, c));
        }
        ck_assert_msg(mn[c] == lo && mx[c] == hi, "isa %d, column %zu: [%g, %g], want [%g, %g]",
                      isa, c, mn[c], mx[c], lo, hi);
    }
    free(buf);
    free(mn);
    free(mx);
}

/* The AVX-512 variant's tiles (8 rows by 8-24 columns, full diagonal
 * blocks from rotated rows) and the AVX2 variant's (4 rows by 4-12
 * columns), both reading the rows of A in place and going over a block in
 * chunks with the accumulators kept between them, perform for every entry
 * the same FMAs in the same order: the same bits, on every shape (edges of
 * 1 to 23 columns, tile rows beyond the triangle, blocks of several chunks
 * and a last partial one, one to three outputs).  Neither writes anything
 * below the diagonal (a NaN there stays).  Runs where the CPU has
 * both. */
START_TEST(gram_isa_variants_agree_bitwise)
{
    if (!mg__cpu_has_avx512_fma())
        return;
    static const size_t js[] = { 1, 7, 9, 15, 16, 17, 24, 25, 31, 33, 64, 65, 70, 100 };
    mgt_rng r = mgt_rng_seed(77);
    for (size_t t = 0; t < sizeof js / sizeof js[0]; t++) {
        const shape sh = { 300 + 37 * t, js[t], 1 + t % 3, t % 2 };
        problem p = mgt_problem_make(&r, sh);
        const size_t n = sh.j + sh.k;
        double *S2 = calloc(n * n, sizeof(double)), *S5 = calloc(n * n, sizeof(double));
        ck_assert_ptr_nonnull(S2);
        ck_assert_ptr_nonnull(S5);
        /* blocks of 128 rows (the AVX-512 variant's chunk) and of 300 (two
         * chunks and a partial one, the accumulators waiting between) */
        const size_t B = t % 2 ? 300 : 128;
        isa_gram(&p.A.v, &p.Y.v, S2, MG__ISA_AVX2, B);
        isa_gram(&p.A.v, &p.Y.v, S5, MG__ISA_AVX512, B);
        for (size_t a = 0; a < n; a++) {
            ck_assert_msg(memcmp(S2 + a * n + a, S5 + a * n + a, (n - a) * sizeof(double)) == 0,
                          "j = %zu, row %zu", sh.j, a);
            for (size_t b = 0; b < a; b++)
                ck_assert_msg(isnan(S2[a * n + b]) && isnan(S5[a * n + b]),
                              "j = %zu: below the diagonal at %zu, %zu", sh.j, a, b);
        }
        free(S2);
        free(S5);
        mgt_problem_free(&p);
    }
}
END_TEST

START_TEST(augmented_gram_matches_reference)
{
    const size_t nall = NSHAPES + sizeof GRAM_SHAPES / sizeof GRAM_SHAPES[0];
    const shape s = _i < NSHAPES ? SHAPES[_i] : GRAM_SHAPES[_i - NSHAPES];
    /* S is n x n: the 4097-column shape would cost 134 MB per copy for a
     * pass meant for tall, narrow designs */
    if (s.j + s.k > 256 || _i >= (int)nall)
        return;
    mgt_rng r = mgt_rng_seed(40 + (uint64_t)_i);
    problem p = mgt_problem_make(&r, s);
    const size_t n = s.j + s.k;
    double *S = calloc(n * n, sizeof(double)), *R = calloc(n * n, sizeof(double));
    double *S2 = calloc(n * n, sizeof(double));
    ck_assert_ptr_nonnull(S2);
    ck_assert_int_eq(engine_gram(&p.A.v, &p.Y.v, S), MG_OK);
    gram_reference(&p.A.v, &p.Y.v, R);
    double diff = 0.0, mx = 0.0;
    for (size_t a = 0; a < n; a++)
        for (size_t b = a; b < n; b++) {
            diff = fmax(diff, fabs(S[a * n + b] - R[a * n + b]));
            mx = fmax(mx, fabs(R[a * n + b]));
        }
    ck_assert_double_le(diff, (mgt_gamma((double)s.N) + MGT_U) * mx);
    /* The portable variant of CPUs without AVX2, under the same bound. */
    isa_gram(&p.A.v, &p.Y.v, S2, MG__ISA_BASE, 128);
    diff = 0.0;
    for (size_t a = 0; a < n; a++)
        for (size_t b = a; b < n; b++)
            diff = fmax(diff, fabs(S2[a * n + b] - R[a * n + b]));
    ck_assert_double_le(diff, (mgt_gamma((double)s.N) + MGT_U) * mx);

    void (*set_threads)(int) = NULL;
    *(void **)&set_threads = dlsym(RTLD_DEFAULT, "omp_set_num_threads");
    if (set_threads) {
        for (int t = 1; t <= 3; t++) {
            set_threads(t);
            ck_assert_int_eq(engine_gram(&p.A.v, &p.Y.v, S2), MG_OK);
            for (size_t a = 0; a < n; a++)
                for (size_t b = a; b < n; b++)
                    ck_assert(memcmp(&S[a * n + b], &S2[a * n + b], sizeof(double)) == 0);
        }
        set_threads(2);
    }
    free(S);
    free(S2);
    free(R);
    mgt_problem_free(&p);
}
END_TEST

/* The double-double residual kernels (xdot.h): the generic and AVX2+FMA
 * variants give the same bits (the row-blocked narrow kernel reorders no
 * operation of a row's chain), and each residual is within Dot2's bound of
 * a long-double reference: |F - s| <= eps |s| + gamma_{n+2}^2 S for the
 * exact s (Ogita, Rump and Oishi), S = |y| + |r| + sum |x b|; the long-double
 * reference itself is within (n + 3) 2^-64 S, so the assertion allows
 * eps |ref| + 2 (n + 3) 2^-64 S.  Shapes: row counts around the 4-row
 * blocks, column counts around the 4-wide steps and the narrow/wide switch
 * (32), several outputs, strided rows, with and without an intercept and
 * an incoming residual. */
START_TEST(xdot_residuals_variants_and_bound)
{
    static const size_t NX[] = { 1, 2, 3, 4, 5, 9, 10, 20, 31, 32, 33, 47 };
    static const size_t NR[] = { 1, 3, 4, 5, 8, 13 };
    mgt_rng rng = mgt_rng_seed(211 + (uint64_t)_i);
    const size_t nx = NX[_i % 12], N = NR[(_i / 12) % 6], k = 1 + (size_t)_i % 3;
    const int ic = _i % 2, with_r = (_i / 2) % 2;
    const size_t ldx = nx + (size_t)(_i % 3), p = nx + (size_t)ic;
    double *X = malloc(N * ldx * sizeof *X), *Bt = malloc(k * p * sizeof *Bt);
    double *Y = malloc(N * k * sizeof *Y), *R = malloc(N * k * sizeof *R);
    double *F0 = malloc(N * k * sizeof *F0), *F1 = malloc(N * k * sizeof *F1);
    double *sc = malloc(p * sizeof *sc), *g0 = malloc(p * sizeof *g0), *g1 = malloc(p * sizeof *g1);
    double *acc = malloc(2 * p * sizeof *acc);
    ck_assert(X && Bt && Y && R && F0 && F1 && sc && g0 && g1 && acc);
    for (size_t i = 0; i < N * ldx; i++)
        X[i] = mgt_uniform(&rng) * 8.0;
    for (size_t i = 0; i < k * p; i++)
        Bt[i] = mgt_uniform(&rng);
    for (size_t i = 0; i < N * k; i++) {
        Y[i] = mgt_uniform(&rng) * 16.0;
        R[i] = mgt_uniform(&rng) * 1e-3;
    }
    for (size_t j = 0; j < p; j++)
        sc[j] = ldexp(1.0, (int)(j % 5) - 2);
    const double *Rin = with_r ? R : NULL;
    mg__xresid_isa(X, ldx, nx, ic, Bt, p, k, Y, k, Rin, k, F0, k, 0, N, 0);
    mg__xresid_isa(X, ldx, nx, ic, Bt, p, k, Y, k, Rin, k, F1, k, 0, N,
                   mg__xdot_fma_variant());
    ck_assert(memcmp(F0, F1, N * k * sizeof *F0) == 0);
    for (size_t i = 0; i < N; i++)
        for (size_t c = 0; c < k; c++) {
            const double *b = Bt + c * p;
            long double ref = (long double)Y[i * k + c] - (Rin ? Rin[i * k + c] : 0.0) -
                              (ic ? b[0] : 0.0);
            long double S = fabsl((long double)Y[i * k + c]) + fabs(R[i * k + c]) + fabs(b[0]);
            for (size_t j = 0; j < nx; j++) {
                ref -= (long double)X[i * ldx + j] * b[ic + j];
                S += fabsl((long double)X[i * ldx + j] * b[ic + j]);
            }
            const double tol = DBL_EPSILON * fabs((double)ref) + 2.0 * (double)(nx + 3) * ldexp((double)S, -64);
            ck_assert_msg(fabs(F0[i * k + c] - (double)ref) <= tol, "row %zu out %zu: %a vs %La diff %g tol %g",
                          i, c, F0[i * k + c], ref, fabs(F0[i * k + c] - (double)ref), tol);
        }
    mg__xgemv_t_isa(X, ldx, N, nx, ic, sc, Y, k, NULL, g0, acc, 0);
    mg__xgemv_t_isa(X, ldx, N, nx, ic, sc, Y, k, NULL, g1, acc, mg__xdot_fma_variant());
    ck_assert(memcmp(g0, g1, p * sizeof *g0) == 0);
    free(X); free(Bt); free(Y); free(R); free(F0); free(F1); free(sc); free(g0); free(g1);
    free(acc);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kernels");
    TCase *tc = tcase_create("kernels");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, paths_match_reference, 0, NSHAPES);
    tcase_add_loop_test(tc, fused_is_bitwise_deterministic, 0, 3);
    tcase_add_loop_test(tc, isa_variants_agree_bitwise, 0, NSHAPES);
    tcase_add_test(tc, path_and_slices_by_shape);
    tcase_add_loop_test(tc, xdot_residuals_variants_and_bound, 0, 72);
    tcase_add_test(tc, public_grad_uses_the_pass);
    tcase_add_test(tc, gd_auto_strategy_by_cost);
    tcase_add_test(tc, blas_paths_thread_count_within_rounding);
    tcase_add_test(tc, gram_isa_variants_agree_bitwise);
    tcase_add_loop_test(tc, augmented_gram_matches_reference, 0,
                        NSHAPES + (int)(sizeof GRAM_SHAPES / sizeof GRAM_SHAPES[0]));
    suite_add_tcase(s, tc);
    return mgt_run(s);
}
