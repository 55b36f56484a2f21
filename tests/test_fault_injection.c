/* SPDX-License-Identifier: BSD-3-Clause */
/* Allocation-failure injection over every public function (issue 9).
 *
 * For each case (a public function with valid inputs sized to reach one of
 * its allocation patterns: single-threaded and multi-threaded passes, the
 * fused and dgemm MSE paths, every lstsq method and fallback, small and
 * OpenBLAS-threaded BLAS/LAPACK calls) a worker process
 *   1. calls it once unarmed (the reference answer; it must be MG_OK), and
 *      once more, which must give the same bits (OpenBLAS's buffers and
 *      matgrad's worker threads exist from now on);
 *   2. counts the allocations of one call;
 *   3. for n = 1, 2, ... fails the n-th allocation of the call (malloc,
 *      calloc, realloc, memalign, aligned_alloc, posix_memalign, valloc,
 *      pvalloc: tests/ref/failalloc.c) until a call succeeds with no
 *      failure injected, and checks each point:
 *        - the status is MG_ENOMEM with every output bitwise untouched (the
 *          output area is filled with a canary pattern before the call), or
 *          MG_OK with outputs bitwise equal to the reference;
 *        - the inputs are bitwise unchanged (mg_fd_* perturb and restore X);
 *        - no block allocated during the call is still live on return.
 * The worker reports each point over a pipe.  If it ends instead of
 * returning (OpenBLAS exits on some allocation failures), the
 * parent records the point with the injected allocation's backtrace, which
 * the interposer writes before returning NULL, and the worker's last
 * words, then starts a new worker at the next point.  Such a point is a
 * failure unless it is one of DOCUMENTED_EXITS (OpenBLAS's threaded dgemm
 * called by the dense layer and by the blocked QR of mg_lstsq, listed in
 * docs/reliability.md).  A call that prints anything fails its point too
 * (no public function prints).
 *
 * OMP_NUM_THREADS is 2 (main re-executes itself with it if needed), so the
 * threaded passes (from 2^19 elements of A for the MSE and Gram passes, from
 * 2^24 for lstsq's) run on a real team and the point counts are the same on
 * every machine for a given OpenBLAS.
 *
 * Not run in the sanitizer build: failalloc.c's malloc would bypass ASan's
 * allocator (tests/failalloc.cmake). */
#define _DEFAULT_SOURCE /* fork, pipe, poll, kill, setenv, MAP_ANONYMOUS */
#include "mgtest.h"
#include "failalloc.h"

#define MG__TRY(e) do { mg_status mg__t = (e); if (mg__t != MG_OK) return mg__t; } while (0)

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- cases --------------------------------------------------------------- */

enum { MAX_IN = 4 };

/* Inputs (made by the parent before forking, shared copy-on-write with the
 * workers) and the output area of one case. */
typedef struct fctx {
    mgt_mat in[MAX_IN];
    size_t nin;
    double *out;   /* every output of the call lives here */
    size_t nout;   /* doubles in out */
    int variant;
} fctx;

typedef struct fcase {
    const char *func;                 /* the public function */
    const char *path;                 /* what the inputs exercise */
    void (*setup)(fctx *c);           /* inputs, nout; variant is preset */
    void (*init)(fctx *c);            /* in/out arguments' start values, or NULL */
    mg_status (*call)(fctx *c);
    int variant;
} fcase;

static mgt_rng rng;

static void add_in(fctx *c, size_t rows, size_t cols, size_t pad)
{
    c->in[c->nin++] = mgt_random(&rng, rows, cols, pad);
}

static mg_matrix *IN(fctx *c, size_t i)
{
    return &c->in[i].v;
}

/* An output view of rows x cols at offset *off of the output area. */
static mg_matrix out_view(fctx *c, size_t *off, size_t rows, size_t cols)
{
    mg_matrix m = mg_matrix_view(c->out + *off, rows, cols);
    *off += rows * cols;
    return m;
}

/* linreg: A N x j, W j x k, Y N x k. */
static void linreg_shape(int v, size_t *N, size_t *j, size_t *k)
{
    static const size_t shapes[][3] = {
        { 50, 3, 1 },          /* 0: fused, one thread */
        { 1u << 16, 8, 2 },    /* 1: fused, N j = 2^19: two threads */
        { 200, 5, 40 },        /* 2: k > 32: blocked dgemm */
        { 1u << 16, 7, 1 },    /* 3: Gram pass N (j + k) = 2^19: two threads */
        { 300, 6, 3 },         /* 4: gd, k > 1 (one dsymv per column, not dsymm) */
        { 300, 6, 1 },         /* 5: gd, k = 1 (dsymv) */
        { 2000, 100, 1 },      /* 6: j = 100: dpotf2 (OpenBLAS would thread dpotrf) */
    };
    *N = shapes[v][0];
    *j = shapes[v][1];
    *k = shapes[v][2];
}

static void setup_linreg(fctx *c)
{
    size_t N, j, k;
    linreg_shape(c->variant, &N, &j, &k);
    add_in(c, N, j, 1);
    add_in(c, j, k, 0);
    add_in(c, N, k, 2);
    c->nout = j * k + 1;
}

static mg_status call_mse_loss(fctx *c)
{
    return mg_mse_loss(IN(c, 0), IN(c, 1), IN(c, 2), &c->out[0]);
}

static mg_status call_mse_grad(fctx *c)
{
    size_t off = 0;
    mg_matrix G = out_view(c, &off, IN(c, 1)->rows, IN(c, 1)->cols);
    return mg_mse_grad(IN(c, 0), IN(c, 1), IN(c, 2), &G, &c->out[off]);
}

static mg_status call_normal_solve(fctx *c)
{
    size_t off = 0;
    mg_matrix W = out_view(c, &off, IN(c, 1)->rows, IN(c, 1)->cols);
    return mg_normal_solve(IN(c, 0), IN(c, 2), 0.25, &W);
}

/* W is in/out: it starts at in[1]; epochs_run goes to the last slot. */
static void init_gd(fctx *c)
{
    const mg_matrix *W0 = IN(c, 1);
    for (size_t a = 0; a < W0->rows; a++)
        for (size_t m = 0; m < W0->cols; m++)
            c->out[a * W0->cols + m] = mgt_get(W0, a, m);
}

static mg_status call_gd_fit(fctx *c)
{
    size_t off = 0;
    mg_matrix W = out_view(c, &off, IN(c, 1)->rows, IN(c, 1)->cols);
    mg_gd_options o = mg_gd_defaults();
    o.learning_rate = 0.05;
    o.epochs = 6;
    o.strategy = c->variant == 1 || c->variant == 0 ? MG_GD_DIRECT : MG_GD_GRAM;
    size_t epochs;
    memcpy(&epochs, &c->out[off], sizeof epochs);
    mg_status s = mg_gd_fit(IN(c, 0), IN(c, 2), &W, &o, &epochs);
    memcpy(&c->out[off], &epochs, sizeof epochs);
    return s;
}

/* lstsq variants: shape, options, statistics asked for. */
typedef struct lsq_variant {
    size_t N, nx, k;
    mg_lstsq_method method;
    int intercept, stats;
    double collinear; /* > 0: column 1 = column 0 + this * noise */
    int repeat;       /* column 1 = column 0 exactly (rank-deficient) */
    size_t refine;    /* max_refine; 0 = the default */
} lsq_variant;

static const lsq_variant LSQ[] = {
    { 1000, 99, 3, MG_LSTSQ_AUTO, 1, 1, 0.0, 0, 0 },        /* 0: auto -> Cholesky (N p^2 >= 1e7) */
    { 1000, 99, 1, MG_LSTSQ_AUTO, 1, 1, 1e-7, 0, 0 },       /* 1: auto -> Cholesky fails -> QR */
    { 60, 4, 2, MG_LSTSQ_CHOLESKY, 0, 1, 0.0, 0, 0 },       /* 2: forced Cholesky, small */
    { 60, 4, 2, MG_LSTSQ_QR, 1, 1, 0.0, 0, 0 },             /* 3: QR, full rank */
    { 60, 4, 1, MG_LSTSQ_QR, 0, 1, 0.0, 1, 0 },             /* 4: QR, rank-deficient -> SVD */
    { 60, 4, 2, MG_LSTSQ_SVD, 1, 1, 0.0, 0, 0 },            /* 5: SVD */
    { 5, 8, 1, MG_LSTSQ_AUTO, 0, 1, 0.0, 0, 0 },            /* 6: N < p (minimum norm) */
    { 60, 4, 1, MG_LSTSQ_AUTO, 0, 0, 0.0, 0, 0 },           /* 7: auto small, res = NULL */
    /* 8: 2^24 elements: the passes run on threads; one refinement step
     * (one residual pass) keeps each call short */
    { (size_t)1 << 21, 8, 1, MG_LSTSQ_CHOLESKY, 0, 0, 0.0, 0, 1 },
};

static void setup_lstsq(fctx *c)
{
    const lsq_variant *v = &LSQ[c->variant];
    add_in(c, v->N, v->nx, 1);
    c->in[c->nin++] = mgt_alloc(v->N, v->k, 1);
    mg_matrix *X = IN(c, 0), *Y = IN(c, 1);
    for (size_t i = 0; i < v->N; i++) {
        if (v->repeat)
            *mg_at(X, i, 1) = mgt_get(X, i, 0);
        else if (v->collinear > 0.0)
            *mg_at(X, i, 1) = mgt_get(X, i, 0) + v->collinear * mgt_uniform(&rng);
        for (size_t m = 0; m < v->k; m++) {
            double y = 1.0 + 0.1 * mgt_uniform(&rng);
            for (size_t a = 0; a < v->nx; a++)
                y += (double)(a + m + 1) * mgt_get(X, i, a);
            *mg_at(Y, i, m) = y;
        }
    }
    const size_t p = v->nx + (size_t)v->intercept;
    /* B, std_err, then residual_sd, r_squared, adj_r_squared, then rank,
     * rcond, refine_steps, method, df_residual */
    c->nout = 2 * p * v->k + 3 * v->k + 5;
}

/* mg_lstsq, or (ws) the same fit through a workspace created, used once
 * and freed in the call. */
static mg_status run_lstsq(fctx *c, int ws)
{
    const lsq_variant *v = &LSQ[c->variant];
    const size_t p = v->nx + (size_t)v->intercept, k = v->k;
    size_t off = 0;
    mg_matrix B = out_view(c, &off, p, k), SE = out_view(c, &off, p, k);
    double *sd = c->out + off, *r2 = sd + k, *ar2 = r2 + k, *fields = ar2 + k;
    mg_lstsq_options o = mg_lstsq_defaults();
    o.method = v->method;
    o.intercept = v->intercept;
    if (v->refine)
        o.max_refine = v->refine;
    mg_lstsq_result res;
    memset(&res, 0, sizeof res);
    /* the scalar fields start from (and return to) the output area */
    memcpy(&res.rank, &fields[0], sizeof res.rank);
    memcpy(&res.rcond, &fields[1], sizeof res.rcond);
    memcpy(&res.refine_steps, &fields[2], sizeof res.refine_steps);
    memcpy(&res.method, &fields[3], sizeof res.method);
    memcpy(&res.df_residual, &fields[4], sizeof res.df_residual);
    res.std_err = &SE;
    res.residual_sd = sd;
    res.r_squared = r2;
    res.adj_r_squared = ar2;
    mg_status s;
    if (ws) {
        mg_lstsq_workspace *w = NULL;
        s = mg_lstsq_workspace_create(v->N, v->nx, k, &o, &w);
        if (s == MG_OK)
            s = mg_lstsq_workspace_fit(w, IN(c, 0), IN(c, 1), &B, v->stats ? &res : NULL);
        mg_lstsq_workspace_free(w);
    } else {
        s = mg_lstsq(IN(c, 0), IN(c, 1), &B, &o, v->stats ? &res : NULL);
    }
    memcpy(&fields[0], &res.rank, sizeof res.rank);
    memcpy(&fields[1], &res.rcond, sizeof res.rcond);
    memcpy(&fields[2], &res.refine_steps, sizeof res.refine_steps);
    memcpy(&fields[3], &res.method, sizeof res.method);
    memcpy(&fields[4], &res.df_residual, sizeof res.df_residual);
    return s;
}

static mg_status call_lstsq(fctx *c)
{
    return run_lstsq(c, 0);
}

static mg_status call_lstsq_ws(fctx *c)
{
    return run_lstsq(c, 1);
}

/* mg_lstsq_batch: count fits of N x nx with k outputs, all on its parallel
 * path.  Variant 0: one output, the fits four at a time in vector lanes
 * where the CPU allows (their workspace is a speed-up: without it, the
 * same bits one fit at a time); 1: two outputs, one fit at a time. */
static const size_t BATCH[][4] = {
    { 16, 40, 3, 1 }, /* count, N, nx, k (intercept in both) */
    { 12, 30, 2, 2 },
};

static void setup_batch(fctx *c)
{
    const size_t *v = BATCH[c->variant], count = v[0], N = v[1], nx = v[2], k = v[3];
    /* the fits' X one under the other, and their Y */
    add_in(c, count * N, nx, 1);
    add_in(c, count * N, k, 0);
    /* B of every fit, residual_sd, r_squared, then the statuses */
    c->nout = count * (nx + 1) * k + 2 * count * k + count;
}

static mg_status call_batch(fctx *c)
{
    const size_t *v = BATCH[c->variant], count = v[0], N = v[1], nx = v[2], k = v[3];
    mg_matrix X[16], Y[16], B[16];
    size_t off = 0;
    for (size_t f = 0; f < count; f++) {
        X[f] = *IN(c, 0);
        X[f].data += f * N * X[f].stride;
        X[f].rows = N;
        Y[f] = *IN(c, 1);
        Y[f].data += f * N * Y[f].stride;
        Y[f].rows = N;
        B[f] = out_view(c, &off, nx + 1, k);
    }
    double *sd = c->out + off, *r2 = sd + count * k;
    mg_status *st = (mg_status *)(r2 + count * k);
    mg_lstsq_options o = mg_lstsq_defaults();
    o.intercept = 1;
    return mg_lstsq_batch(count, X, Y, B, &o, sd, r2, st);
}

/* layer: Z m x k, W k x n, b 1 x n (or dA m x n). Variant 1: m = k = n = 256,
 * big enough for OpenBLAS to thread dgemm. */
static void setup_layer(fctx *c)
{
    const size_t m = c->variant ? 256 : 7, k = c->variant ? 256 : 5, n = c->variant ? 256 : 3;
    add_in(c, m, k, 1);
    add_in(c, k, n, 0);
    add_in(c, 1, n, 0);
    add_in(c, m, n, 2);
    c->nout = m * k + k * n + n + m * n;
}

static mg_status call_dense_forward(fctx *c)
{
    size_t off = 0;
    mg_matrix A = out_view(c, &off, IN(c, 0)->rows, IN(c, 1)->cols);
    return mg_dense_forward(IN(c, 0), IN(c, 1), IN(c, 2), &A);
}

static mg_status call_dense_backward(fctx *c)
{
    const size_t m = IN(c, 0)->rows, k = IN(c, 0)->cols, n = IN(c, 1)->cols;
    size_t off = 0;
    mg_matrix dZ = out_view(c, &off, m, k), dW = out_view(c, &off, k, n),
              db = out_view(c, &off, 1, n);
    return mg_dense_backward(IN(c, 0), IN(c, 1), IN(c, 3), &dZ, &dW, &db);
}

/* rules: a n x 1, X n x n (well conditioned: diagonally dominant), b n x 1,
 * GY n x n.  Variant 1: n = 200, where OpenBLAS threads its LU and dgemm. */
static void setup_rules(fctx *c)
{
    const size_t n = c->variant ? 200 : 5;
    add_in(c, n, 1, 1);
    add_in(c, n, n, 1);
    add_in(c, n, 1, 0);
    add_in(c, n, n, 0);
    /* variant 2: X = I + E with |E_ij| < 1/(2n), so that det X stays near 1
     * (with n on the diagonal it would overflow at n = 200) */
    const double off = c->variant == 2 ? 0.5 / (double)n : 1.0, diag = c->variant == 2 ? 1.0 : (double)n;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++)
            *mg_at(IN(c, 1), i, j) *= off;
        *mg_at(IN(c, 1), i, i) += diag;
    }
    c->nout = n * n + 2;
}

static mg_status call_grad_bilinear(fctx *c)
{
    size_t off = 0, n = IN(c, 0)->rows;
    mg_matrix G = out_view(c, &off, n, n);
    return mg_grad_bilinear(IN(c, 0), IN(c, 2), &G);
}

static mg_status call_grad_a_exp_Xb(fctx *c)
{
    size_t off = 0, n = IN(c, 0)->rows;
    mg_matrix G = out_view(c, &off, n, n);
    return mg_grad_a_exp_Xb(IN(c, 0), IN(c, 1), IN(c, 2), &G);
}

static mg_status call_bilinear(fctx *c)
{
    return mg_bilinear(IN(c, 0), IN(c, 1), IN(c, 2), &c->out[0]);
}

static mg_status call_a_exp_Xb(fctx *c)
{
    return mg_a_exp_Xb(IN(c, 0), IN(c, 1), IN(c, 2), &c->out[0]);
}

static mg_status call_grad_inverse(fctx *c)
{
    size_t off = 0, n = IN(c, 1)->rows;
    mg_matrix GX = out_view(c, &off, n, n);
    return mg_grad_inverse(IN(c, 1), IN(c, 3), &GX);
}

static mg_status call_grad_logdet(fctx *c)
{
    size_t off = 0, n = IN(c, 1)->rows;
    mg_matrix G = out_view(c, &off, n, n);
    return mg_grad_logdet(IN(c, 1), &G);
}

static mg_status call_grad_det(fctx *c)
{
    size_t off = 0, n = IN(c, 1)->rows;
    mg_matrix G = out_view(c, &off, n, n);
    return mg_grad_det(IN(c, 1), &G);
}

static mg_status call_logdet(fctx *c)
{
    return mg_logdet(IN(c, 1), &c->out[0], &c->out[1]);
}

static mg_status call_det(fctx *c)
{
    return mg_det(IN(c, 1), &c->out[0]);
}

/* sandwich: A p x m, GY p x q, B n x q, GX m x n.  Variant 0 multiplies
 * A^T GY first (the smaller product), variant 1 GY B^T first. */
static void setup_sandwich(fctx *c)
{
    const size_t p = 6, m = c->variant ? 9 : 2, q = c->variant ? 2 : 9, n = 7;
    add_in(c, p, m, 1);
    add_in(c, p, q, 0);
    add_in(c, n, q, 2);
    c->nout = m * n;
}

static mg_status call_grad_sandwich(fctx *c)
{
    size_t off = 0;
    mg_matrix GX = out_view(c, &off, IN(c, 0)->cols, IN(c, 2)->rows);
    return mg_grad_sandwich(IN(c, 0), IN(c, 1), IN(c, 2), &GX);
}

/* infer: a model of m = 4 coefficients (intercept + 3) on X 40 x 3, y 40 x
 * 1, with C = 0.01 I + 0.001 (off the diagonal): positive definite, every
 * leverage far below 1. */
static void setup_infer(fctx *c)
{
    add_in(c, 40, 3, 0);
    add_in(c, 40, 1, 0);
    add_in(c, 4, 4, 0);
    add_in(c, 4, 1, 0);
    mg_matrix *C = IN(c, 2);
    for (size_t i = 0; i < 4; i++)
        for (size_t j = 0; j < 4; j++)
            C->data[i * C->stride + j] = i == j ? 0.01 : 0.001;
    c->nout = c->variant ? 4 * 40 : 16;
}

static mg_model infer_model(fctx *c)
{
    static const double sigma = 0.5;
    mg_model m = { 3, 1, 1, IN(c, 3), IN(c, 2), &sigma, 36 };
    return m;
}

static mg_status call_hc_cov(fctx *c)
{
    size_t off = 0;
    mg_matrix V = out_view(c, &off, 4, 4);
    const mg_model m = infer_model(c);
    return mg_hc_cov(&m, 0, MG_HC3, IN(c, 0), IN(c, 1), NULL, &V);
}

/* A pass paused and resumed through an image: rows 0..19 into one state,
 * saved, loaded into a second (created for the same model), rows 20..39
 * there, finished.  Save and load allocate nothing; create's and finish's
 * allocations are failed around them, and every state is freed on every
 * path. */
static mg_status call_hc_image(fctx *c)
{
    size_t off = 0, len = 0;
    mg_matrix V = out_view(c, &off, 4, 4);
    const mg_model m = infer_model(c);
    const mg_matrix *X = IN(c, 0), *Y = IN(c, 1);
    mg_matrix X0 = mg_matrix_block(X, 0, 0, 20, 3), X1 = mg_matrix_block(X, 20, 0, 20, 3);
    mg_matrix Y0 = mg_matrix_block(Y, 0, 0, 20, 1), Y1 = mg_matrix_block(Y, 20, 0, 20, 1);
    static unsigned char img[4096];
    mg_hc *a = NULL, *b = NULL;
    mg_status st = mg_hc_create(&m, 0, MG_HC2, &a);
    if (st == MG_OK)
        st = mg_hc_create(&m, 0, MG_HC2, &b);
    if (st == MG_OK)
        st = mg_hc_accumulate(a, &X0, &Y0, NULL);
    if (st == MG_OK)
        st = mg_hc_save_size(a, &len);
    if (st == MG_OK)
        st = len <= sizeof img ? mg_hc_save(a, img, sizeof img, &len) : MG_EINVAL;
    if (st == MG_OK)
        st = mg_hc_load(b, img, len);
    if (st == MG_OK)
        st = mg_hc_accumulate(b, &X1, &Y1, NULL);
    if (st == MG_OK)
        st = mg_hc_finish(b, &V);
    mg_hc_free(a);
    mg_hc_free(b);
    return st;
}

static mg_status call_predict(fctx *c)
{
    size_t off = 0;
    mg_matrix fit = out_view(c, &off, 40, 1), se = out_view(c, &off, 40, 1);
    mg_matrix lo = out_view(c, &off, 40, 1), hi = out_view(c, &off, 40, 1);
    const mg_model m = infer_model(c);
    return mg_predict(&m, IN(c, 0), NULL, MG_INTERVAL_PREDICTION, 0.95, &fit, &se, &lo, &hi);
}

/* fd: f(X) = sum_ij x_ij^3 / 3 + x_00 x_ij (no allocation in the callbacks),
 * y = f(x) componentwise for the Jacobian; X 3 x 2, h = 1e-4. */
static double cubic(const mg_matrix *X, void *ctx)
{
    (void)ctx;
    double f = 0.0;
    for (size_t i = 0; i < X->rows; i++)
        for (size_t j = 0; j < X->cols; j++) {
            const double x = mgt_get(X, i, j);
            f += x * x * x / 3.0 + mgt_get(X, 0, 0) * x;
        }
    return f;
}

static mg_status squares(const mg_matrix *x, mg_matrix *y, void *ctx)
{
    (void)ctx;
    for (size_t p = 0; p < y->rows; p++) {
        const double v = x->data[p % x->cols];
        *mg_at(y, p, 0) = v * v + (double)p * x->data[0];
    }
    return MG_OK;
}

static void setup_fd(fctx *c)
{
    add_in(c, 3, 2, 1);
    add_in(c, 3, 2, 0); /* an "analytic" gradient for mg_grad_check */
    add_in(c, 1, 4, 0); /* x for the Jacobian */
    c->nout = 3 * 2 + 4 * 4 + 1;
}

static mg_status call_fd_gradient(fctx *c)
{
    size_t off = 0;
    mg_matrix G = out_view(c, &off, 3, 2);
    return mg_fd_gradient(cubic, NULL, IN(c, 0), 1e-4, &G);
}

static mg_status call_fd_jacobian(fctx *c)
{
    size_t off = 0;
    mg_matrix J = out_view(c, &off, 4, 4);
    return mg_fd_jacobian(squares, NULL, IN(c, 2), 1e-4, &J);
}

static mg_status call_grad_check(fctx *c)
{
    return mg_grad_check(cubic, NULL, IN(c, 0), IN(c, 1), 1e-4, &c->out[0]);
}

/* Every public function declared in include/matgrad/ that can allocate or
 * call BLAS or LAPACK or start threads, once per allocation pattern.  The others
 * are in no_allocation below. */
static const fcase CASES[] = {
    { "mg_mse_loss", "fused, 1 thread", setup_linreg, NULL, call_mse_loss, 0 },
    { "mg_mse_loss", "fused, 2 threads (2^19)", setup_linreg, NULL, call_mse_loss, 1 },
    { "mg_mse_loss", "k > 32: dgemm", setup_linreg, NULL, call_mse_loss, 2 },
    { "mg_mse_grad", "fused, 1 thread", setup_linreg, NULL, call_mse_grad, 0 },
    { "mg_mse_grad", "fused, 2 threads (2^19)", setup_linreg, NULL, call_mse_grad, 1 },
    { "mg_mse_grad", "k > 32: dgemm", setup_linreg, NULL, call_mse_grad, 2 },
    { "mg_normal_solve", "Gram pass, 1 thread", setup_linreg, NULL, call_normal_solve, 0 },
    { "mg_normal_solve", "Gram pass, 2 threads (2^19)", setup_linreg, NULL, call_normal_solve, 3 },
    { "mg_normal_solve", "j = 100: dpotf2 (not dpotrf)", setup_linreg, NULL, call_normal_solve, 6 },
    { "mg_gd_fit", "direct, 1 thread", setup_linreg, init_gd, call_gd_fit, 0 },
    { "mg_gd_fit", "direct, 2 threads", setup_linreg, init_gd, call_gd_fit, 1 },
    { "mg_gd_fit", "Gram, k = 3 (dsymv per column)", setup_linreg, init_gd, call_gd_fit, 4 },
    { "mg_gd_fit", "Gram, k = 1 (dsymv)", setup_linreg, init_gd, call_gd_fit, 5 },
    { "mg_lstsq", "auto -> Cholesky, statistics", setup_lstsq, NULL, call_lstsq, 0 },
    { "mg_lstsq", "auto -> Cholesky -> QR fallback", setup_lstsq, NULL, call_lstsq, 1 },
    { "mg_lstsq", "Cholesky, small", setup_lstsq, NULL, call_lstsq, 2 },
    { "mg_lstsq", "QR, intercept", setup_lstsq, NULL, call_lstsq, 3 },
    { "mg_lstsq", "QR rank-deficient -> SVD", setup_lstsq, NULL, call_lstsq, 4 },
    { "mg_lstsq", "SVD, intercept", setup_lstsq, NULL, call_lstsq, 5 },
    { "mg_lstsq_workspace", "small QR, intercept", setup_lstsq, NULL, call_lstsq_ws, 3 },
    { "mg_lstsq_workspace", "small, rank-deficient -> SVD", setup_lstsq, NULL, call_lstsq_ws, 4 },
    { "mg_lstsq_workspace", "auto -> Cholesky", setup_lstsq, NULL, call_lstsq_ws, 0 },
    { "mg_lstsq", "N < p", setup_lstsq, NULL, call_lstsq, 6 },
    { "mg_lstsq", "auto small, res NULL", setup_lstsq, NULL, call_lstsq, 7 },
    { "mg_lstsq", "Cholesky, 2 threads (2^24)", setup_lstsq, NULL, call_lstsq, 8 },
    { "mg_lstsq_batch", "16 fits, one output (lanes)", setup_batch, NULL, call_batch, 0 },
    { "mg_lstsq_batch", "12 fits, two outputs", setup_batch, NULL, call_batch, 1 },
    { "mg_dense_forward", "7x5x3", setup_layer, NULL, call_dense_forward, 0 },
    { "mg_dense_forward", "256^3: OpenBLAS threads", setup_layer, NULL, call_dense_forward, 1 },
    { "mg_dense_backward", "7x5x3", setup_layer, NULL, call_dense_backward, 0 },
    { "mg_dense_backward", "256^3: OpenBLAS threads", setup_layer, NULL, call_dense_backward, 1 },
    { "mg_grad_bilinear", "n = 5", setup_rules, NULL, call_grad_bilinear, 0 },
    { "mg_grad_bilinear", "n = 200", setup_rules, NULL, call_grad_bilinear, 1 },
    { "mg_grad_a_exp_Xb", "n = 5", setup_rules, NULL, call_grad_a_exp_Xb, 0 },
    { "mg_grad_a_exp_Xb", "n = 200", setup_rules, NULL, call_grad_a_exp_Xb, 1 },
    { "mg_bilinear", "n = 5", setup_rules, NULL, call_bilinear, 0 },
    { "mg_a_exp_Xb", "n = 5", setup_rules, NULL, call_a_exp_Xb, 0 },
    { "mg_grad_sandwich", "A^T GY first", setup_sandwich, NULL, call_grad_sandwich, 0 },
    { "mg_grad_sandwich", "GY B^T first", setup_sandwich, NULL, call_grad_sandwich, 1 },
    { "mg_grad_inverse", "n = 5", setup_rules, NULL, call_grad_inverse, 0 },
    { "mg_grad_inverse", "n = 200: OpenBLAS threads", setup_rules, NULL, call_grad_inverse, 1 },
    { "mg_grad_logdet", "n = 5", setup_rules, NULL, call_grad_logdet, 0 },
    { "mg_grad_logdet", "n = 200", setup_rules, NULL, call_grad_logdet, 1 },
    { "mg_grad_det", "n = 5", setup_rules, NULL, call_grad_det, 0 },
    { "mg_grad_det", "n = 200", setup_rules, NULL, call_grad_det, 2 },
    { "mg_logdet", "n = 5", setup_rules, NULL, call_logdet, 0 },
    { "mg_det", "n = 5", setup_rules, NULL, call_det, 0 },
    { "mg_fd_gradient", "3x2", setup_fd, NULL, call_fd_gradient, 0 },
    { "mg_fd_jacobian", "4 <- 4", setup_fd, NULL, call_fd_jacobian, 0 },
    { "mg_grad_check", "3x2", setup_fd, NULL, call_grad_check, 0 },
    { "mg_hc_cov", "HC3, 40 x 4", setup_infer, NULL, call_hc_cov, 0 },
    { "mg_hc_save / mg_hc_load", "HC2, 20 + 20 rows", setup_infer, NULL, call_hc_image, 0 },
    { "mg_predict", "prediction intervals, 40 rows", setup_infer, NULL, call_predict, 1 },
};
enum { NCASES = sizeof CASES / sizeof CASES[0] };

/* ---- worker: one process, points from `first` on ------------------------- */

static const unsigned char CANARY = 0xA5;

static void say(int fd, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof line - 1)
        n = (int)sizeof line - 1;
    if (write(fd, line, (size_t)n) != n)
        _exit(4);
}

static void prepare(const fcase *fc, fctx *c)
{
    memset(c->out, CANARY, c->nout * sizeof(double));
    if (fc->init)
        fc->init(c);
}

/* Index of the first differing double, or (size_t)-1. */
static size_t first_diff(const double *a, const double *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof(double)) != 0)
            return i;
    return (size_t)-1;
}

static int inputs_intact(const fctx *c, double *const *snap)
{
    for (size_t i = 0; i < c->nin; i++)
        if (memcmp(c->in[i].buf, snap[i], c->in[i].len * sizeof(double)) != 0)
            return 0;
    return 1;
}

/* The first worker of a case computes the reference answer into `ref`
 * (shared with the parent and the later workers), checks that a second call
 * gives the same bits and counts one call's allocations.  A later worker,
 * started after a point ended its predecessor, only warms up (its thread
 * pools and OpenBLAS's buffers are new) and checks it gets the reference. */
static void worker(const fcase *fc, fctx *c, double *const *snap, double *ref, size_t first,
                   int fd)
{
    double *before = malloc(c->nout * sizeof(double));
    if (!before)
        _exit(5);
    prepare(fc, c);
    mg_status s = fc->call(c);
    if (first == 1) {
        if (s != MG_OK) {
            say(fd, "X the unfailed call returned %s\n", mg_strerror(s));
            _exit(0);
        }
        memcpy(ref, c->out, c->nout * sizeof(double));
        prepare(fc, c);
        s = fc->call(c);
    }
    size_t d = first_diff(c->out, ref, c->nout);
    if (s != MG_OK || d != (size_t)-1) {
        say(fd, "X another unfailed call differs (status %s, output double %zu)\n",
            mg_strerror(s), d);
        _exit(0);
    }
    size_t bytes, live;
    if (first == 1) {
        prepare(fc, c);
        mgt_failalloc_arm(0);
        s = fc->call(c);
        mgt_failalloc_disarm();
        live = mgt_failalloc_live(&bytes, NULL);
        say(fd, "C %zu %zu\n", mgt_failalloc_count(), live);
    }

    for (size_t n = first;; n++) {
        prepare(fc, c);
        memcpy(before, c->out, c->nout * sizeof(double));
        mgt_failalloc_trace_fd(fd);
        mgt_failalloc_arm(n);
        s = fc->call(c);
        mgt_failalloc_disarm();
        mgt_failalloc_trace_fd(-1);
        fflush(stdout); /* anything the call printed reaches the parent before "P n" */
        void *site;
        live = mgt_failalloc_live(&bytes, &site);
        const int injected = mgt_failalloc_injected();
        char what[256] = "";
        if (s == MG_OK) {
            d = first_diff(c->out, ref, c->nout);
            if (d != (size_t)-1)
                snprintf(what, sizeof what, "MG_OK but output double %zu is %.17g, not %.17g", d,
                         c->out[d], ref[d]);
        } else if (s == MG_ENOMEM) {
            d = first_diff(c->out, before, c->nout);
            if (d != (size_t)-1)
                snprintf(what, sizeof what, "MG_ENOMEM but output double %zu was written (%.17g)",
                         d, c->out[d]);
        } else {
            snprintf(what, sizeof what, "status %d (%s), not MG_ENOMEM or MG_OK", (int)s,
                     mg_strerror(s));
        }
        if (!what[0] && !inputs_intact(c, snap))
            snprintf(what, sizeof what, "an input was changed");
        if (!what[0] && live)
            snprintf(what, sizeof what, "%zu block(s) (%zu bytes) leaked, one allocated at %p",
                     live, bytes, site);
        if (!injected) {
            /* no n-th allocation: the call ran to the end unfailed */
            say(fd, "D %zu %s\n", n, what[0] ? what : "-");
            _exit(0);
        }
        say(fd, "P %zu %s %s\n", n, what[0] ? "FAIL" : s == MG_OK ? "OK" : "ENOMEM",
            what[0] ? what : "-");
    }
}

/* ---- parent: runs workers, records every point --------------------------- */

typedef struct tally {
    size_t functions, cases, points, enomem, ok, fail, ended, documented;
} tally;

/* Points that end the process and that matgrad does not avoid, stated in
 * docs/reliability.md.  OpenBLAS's threaded level-3 driver (gemm_driver,
 * level3_thread.c) allocates its job array with malloc on every threaded
 * call and calls exit(1) when that fails.
 *   - The dense layer is one dgemm of the caller's sizes: running it on one
 *     OpenBLAS thread in blocks would give up OpenBLAS's threads for every
 *     caller.
 *   - mg_lstsq's blocked QR (dgeqrt) applies each block of reflectors with
 *     dgemm (dlarfb), threaded once rows x 32 x trailing columns exceeds
 *     OpenBLAS's threshold; keeping each dgemm on one thread would mean
 *     folding the rows in blocks of a few hundred, a different QR with its
 *     own apply, and losing the threads' share of the factorisation.
 * Not exercised here: the Cholesky factorisations above order 512
 * (MG__POTF2_MAX, src/internal.h) call dpotrf, which OpenBLAS
 * threads through dsyrk_thread, with the same exit.
 * Each entry: the public function, its case, the OpenBLAS frame that
 * allocated, and the entry point matgrad called (the public function must
 * be the first matgrad frame named after it).  These points are counted
 * and listed, not failed; every other ending is a failure. */
static const struct {
    const char *func, *path, *frame, *entry;
} DOCUMENTED_EXITS[] = {
    { "mg_dense_forward", "256^3: OpenBLAS threads", "(dgemm_thread_", "(cblas_dgemm+" },
    { "mg_dense_backward", "256^3: OpenBLAS threads", "(dgemm_thread_", "(cblas_dgemm+" },
    { "mg_lstsq", "auto -> Cholesky -> QR fallback", "(dgemm_thread_", "(LAPACKE_dgeqrt_work+" },
};

/* 1 if an ending of fc's call with the injected allocation's backtrace
 * chain (innermost first) is one of DOCUMENTED_EXITS: the named OpenBLAS
 * frame, below the named entry point, called from the public function
 * (the next named matgrad frame, append_frame). */
static int documented_exit(const fcase *fc, const char *chain)
{
    for (size_t i = 0; i < sizeof DOCUMENTED_EXITS / sizeof DOCUMENTED_EXITS[0]; i++) {
        if (strcmp(fc->func, DOCUMENTED_EXITS[i].func) != 0 ||
            strcmp(fc->path, DOCUMENTED_EXITS[i].path) != 0)
            continue;
        const char *frame = strstr(chain, DOCUMENTED_EXITS[i].frame);
        const char *entry = frame ? strstr(frame, DOCUMENTED_EXITS[i].entry) : NULL;
        const char *caller = entry ? strstr(entry, " <- ") : NULL;
        char from[96];
        snprintf(from, sizeof from, "(%s+", fc->func);
        if (caller && strncmp(caller + 4 + strcspn(caller + 4, "("), from, strlen(from)) == 0)
            return 1;
    }
    return 0;
}

/* No exit of an OpenMP runtime is documented: matgrad's passes run on
 * its own threads (src/kernels/pool.h), which never end the process, so
 * an exit inside libgomp or libomp is a failure like any other. */

static tally total;
static int failures_printed;

static void report(const fcase *fc, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "FAIL %s [%s]: ", fc->func, fc->path);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    failures_printed++;
}

/* Reads one line from the worker (up to 60 s of silence); 0 at end. */
enum { LINE = 1024 };
static int read_line(int fd, char *buf, size_t cap, size_t *have, char line[LINE], pid_t pid)
{
    for (;;) {
        char *nl = memchr(buf, '\n', *have);
        if (nl) {
            size_t len = (size_t)(nl - buf);
            if (len >= LINE)
                len = LINE - 1;
            memcpy(line, buf, len);
            line[len] = '\0';
            *have -= (size_t)(nl + 1 - buf);
            memmove(buf, nl + 1, *have);
            return 1;
        }
        if (*have == cap) { /* over-long line: cut */
            memcpy(line, buf, LINE - 1);
            line[LINE - 1] = '\0';
            *have = 0;
            return 1;
        }
        struct pollfd p = { fd, POLLIN, 0 };
        int r = poll(&p, 1, 60000);
        if (r == 0) {
            kill(pid, SIGKILL); /* our own worker, hung */
            snprintf(line, LINE, "H");
            return 1;
        }
        ssize_t got = read(fd, buf + *have, cap - *have);
        if (got <= 0) {
            if (*have) { /* last line without a newline */
                const size_t len = *have < LINE ? *have : LINE - 1;
                memcpy(line, buf, len);
                line[len] = '\0';
                *have = 0;
                return 1;
            }
            return 0;
        }
        *have += (size_t)got;
    }
}

/* Appends a backtrace_symbols_fd frame, shortened to "lib(symbol+off)", to
 * the chain; returns 0 once the chain has reached the public function.  In
 * the test executable (which holds matgrad's code too) only frames named
 * mg_*, the public functions (exported: ENABLE_EXPORTS in
 * tests/failalloc.cmake), are kept; static and hidden ones have no name. */
static int append_frame(char *chain, size_t cap, const char *frame)
{
    const char *slash = strrchr(frame, '/');
    const char *start = slash ? slash + 1 : frame;
    const int ours = strncmp(start, "test_fault_injection", 20) == 0;
    if (ours && !strstr(start, "(mg_"))
        return 1;
    const char *bracket = strchr(start, '[');
    size_t len = bracket ? (size_t)(bracket - start) : strlen(start);
    size_t used = strlen(chain);
    if (used + len + 5 < cap) {
        if (used)
            strcat(chain, " <- ");
        strncat(chain, start, len);
    }
    return !ours;
}

/* One case: workers until the call succeeds with no failure injected. */
static void run_case(const fcase *fc)
{
    fctx c;
    memset(&c, 0, sizeof c);
    c.variant = fc->variant;
    fc->setup(&c);
    c.out = malloc(c.nout * sizeof(double));
    double *snap[MAX_IN];
    for (size_t i = 0; i < c.nin; i++)
        snap[i] = mgt_snapshot(&c.in[i]);
    ck_assert_ptr_nonnull(c.out);
    /* the reference answer, written by the first worker */
    double *ref = mmap(NULL, c.nout * sizeof(double), PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ck_assert(ref != MAP_FAILED);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);

    size_t first = 1, counted = 0, points = 0, enomem = 0, ok = 0, fail = 0, ended = 0;
    size_t documented = 0;
    int finished = 0;
    while (!finished) {
        int fds[2];
        ck_assert_int_eq(pipe(fds), 0);
        fflush(NULL);
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            close(fds[0]);
            /* libgomp's and OpenBLAS's last words, and anything a call
             * prints (no public function may print) */
            dup2(fds[1], STDOUT_FILENO);
            dup2(fds[1], STDERR_FILENO);
            worker(fc, &c, snap, ref, first, fds[1]);
            _exit(0);
        }
        close(fds[1]);
        static char buf[1 << 16];
        char line[LINE], chain[2048] = "", words[1024] = "";
        size_t have = 0, injected_at = 0, last_done = first - 1;
        int in_trace = 0, hung = 0, frames = 0, more = 0;
        while (read_line(fds[0], buf, sizeof buf, &have, line, pid)) {
            size_t n;
            char kind[16], rest[900];
            if (in_trace) {
                if (strcmp(line, "F end") == 0)
                    in_trace = 0;
                else if (frames++ >= 3 && more) /* skip the interposer's own frames */
                    more = append_frame(chain, sizeof chain, line);
            } else if (sscanf(line, "F %zu", &n) == 1) {
                injected_at = n;
                in_trace = 1;
                frames = 0;
                more = 1;
                chain[0] = words[0] = '\0';
            } else if (line[0] == 'C' && sscanf(line, "C %zu", &n) == 1) {
                counted = n;
                if (strcmp(line + 2 + strcspn(line + 2, " "), " 0") != 0)
                    report(fc, "the unfailed call leaves blocks live: %s", line);
            } else if (sscanf(line, "P %zu %15s %899[^\n]", &n, kind, rest) == 3) {
                points++;
                last_done = n;
                if (words[0] && strcmp(kind, "FAIL") != 0) {
                    fail++;
                    report(fc, "n = %zu: %s, but the call printed \"%s\"; allocation from %s", n,
                           kind, words, chain);
                } else if (strcmp(kind, "OK") == 0)
                    ok++;
                else if (strcmp(kind, "ENOMEM") == 0)
                    enomem++;
                else {
                    fail++;
                    report(fc, "n = %zu: %s; allocation from %s", n, rest, chain);
                }
                words[0] = '\0';
            } else if (sscanf(line, "D %zu %899[^\n]", &n, rest) == 2) {
                finished = 1;
                if (strcmp(rest, "-") != 0)
                    report(fc, "unfailed call at n = %zu: %s", n, rest);
            } else if (line[0] == 'X') {
                finished = 1;
                fail++;
                report(fc, "%s", line + 2);
            } else if (strcmp(line, "H") == 0) {
                hung = 1;
            } else if (strlen(words) + strlen(line) + 3 < sizeof words) {
                if (words[0])
                    strcat(words, " | ");
                strcat(words, line);
            }
        }
        close(fds[0]);
        int st;
        waitpid(pid, &st, 0);
        if (finished)
            break;
        /* The worker ended (or hung) instead of returning. */
        char how[64];
        if (hung)
            snprintf(how, sizeof how, "hung (killed after 60 s)");
        else if (WIFSIGNALED(st))
            snprintf(how, sizeof how, "killed by signal %d", WTERMSIG(st));
        else
            snprintf(how, sizeof how, "exit(%d)", WEXITSTATUS(st));
        if (injected_at != last_done + 1 || injected_at == 0) {
            fail++;
            report(fc, "the worker ended outside any injected point (after n = %zu): %s; %s",
                   last_done, how, words);
            break;
        }
        points++;
        ended++;
        if (documented_exit(fc, chain)) {
            documented++;
            fprintf(stderr, "documented %s [%s]: n = %zu: the process ended in a dependency: %s, "
                    "saying \"%s\"; allocation from %s\n", fc->func, fc->path, injected_at, how,
                    words, chain);
        } else {
            fail++;
            report(fc, "n = %zu: the process ended: %s, saying \"%s\"; allocation from %s",
                   injected_at, how, words, chain);
        }
        first = injected_at + 1;
    }
    if (points != counted)
        fprintf(stderr, "note %s [%s]: %zu allocations counted, %zu points run\n", fc->func,
                fc->path, counted, points);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("%-18s %-34s %4zu points: %4zu MG_ENOMEM, %4zu MG_OK, %3zu failed, %zu ended "
           "(%zu documented) %.1f s\n",
           fc->func, fc->path, points, enomem, ok, fail, ended, documented,
           (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
    fflush(stdout);
    munmap(ref, c.nout * sizeof(double));
    total.cases++;
    total.points += points;
    total.enomem += enomem;
    total.ok += ok;
    total.fail += fail;
    total.ended += ended;
    total.documented += documented;
    for (size_t i = 0; i < c.nin; i++) {
        mgt_free(&c.in[i]);
        free(snap[i]);
    }
    free(c.out);
}

START_TEST(every_allocation_of_every_function)
{
    /* MGT_FAULT_CASE=text runs only the cases whose "function path" contains
     * text (to study one function; the summary then covers those only). */
    const char *only = getenv("MGT_FAULT_CASE");
    int ran[NCASES] = { 0 };
    rng = mgt_rng_seed(9);
    for (size_t i = 0; i < NCASES; i++) {
        char name[128];
        snprintf(name, sizeof name, "%s %s", CASES[i].func, CASES[i].path);
        if (only && !strstr(name, only))
            continue;
        int seen = 0;
        for (size_t j = 0; j < i; j++)
            seen |= ran[j] && strcmp(CASES[i].func, CASES[j].func) == 0;
        total.functions += !seen;
        ran[i] = 1;
        run_case(&CASES[i]);
    }
    printf("fault injection: %zu functions (%zu cases), %zu injection points: %zu MG_ENOMEM, "
           "%zu MG_OK-correct, %zu failures; %zu ended the process (%zu documented exits of "
           "OpenBLAS)\n",
           total.functions, total.cases, total.points, total.enomem, total.ok, total.fail,
           total.ended, total.documented);
    fflush(stdout);
    ck_assert_msg(total.fail == 0, "%zu of %zu points failed (listed above)", total.fail,
                  total.points);
}
END_TEST

/* The remaining public functions do no allocation, call no BLAS/LAPACK and
 * start no thread (src/core.c, src/act.c, the *_defaults): run them
 * armed and check that they allocate nothing. */
START_TEST(no_allocation)
{
    mgt_rng r = mgt_rng_seed(10);
    mgt_mat X = mgt_random(&r, 9, 4, 1), Y = mgt_alloc(9, 4, 0), D = mgt_alloc(9, 4, 2);
    const mg_act acts[] = { MG_ACT_IDENTITY, MG_ACT_RELU, MG_ACT_SIGMOID,
                            MG_ACT_TANH, MG_ACT_EXP, MG_ACT_SIN };
    mgt_failalloc_arm(1);
    size_t sum = 0;
    sum += strlen(mg_strerror(MG_ENOMEM)) + strlen(matgrad_version());
    mg_matrix v = mg_matrix_view(X.buf, 2, 2);
    mg_matrix w = mg_matrix_view_stride(X.buf, 2, 2, 5);
    mg_matrix b = mg_matrix_block(&X.v, 1, 1, 2, 2);
    sum += (mg_matrix_check(&v) == MG_OK) + (mg_matrix_check(&w) == MG_OK) +
           (mg_matrix_check(&b) == MG_OK);
    int st = 0;
    for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++) {
        st |= (int)mg_act_forward(acts[i], &X.v, &Y.v);
        st |= (int)mg_act_backward(acts[i], &X.v, &Y.v, &D.v);
        sum += strlen(mg_act_name(acts[i]));
    }
    mg_gd_options g = mg_gd_defaults();
    mg_lstsq_options l = mg_lstsq_defaults();
    mgt_failalloc_disarm();
    ck_assert_int_eq(st, MG_OK);
    ck_assert_uint_gt(sum, 0);
    ck_assert_uint_eq(g.epochs, 1000);
    ck_assert_uint_eq(l.max_refine, 20);
    ck_assert_msg(mgt_failalloc_count() == 0, "%zu allocation(s)", mgt_failalloc_count());
    mgt_free(&X);
    mgt_free(&Y);
    mgt_free(&D);
}
END_TEST

/* The fit engine: mg_fit_create allocates every buffer a state will need,
 * so each of its allocations is failed in turn (MG_ENOMEM, *out left NULL,
 * nothing left allocated); after it, a whole fit (accumulate with weights,
 * merge, finish with statistics, a refinement replay split over two
 * states, mg_fit_infer, save, peek, load, reset) runs armed to fail the very first
 * allocation and must make none: the state doubles as a workspace. */
static mg_status engine_round(mg_fit *f, mg_fit *g, const mgt_mat *X, const mgt_mat *Y,
                              const mgt_mat *w, unsigned char *img, size_t cap)
{
    const size_t N = X->v.rows, h = N / 2;
    mg_matrix Xa = mg_matrix_block(&X->v, 0, 0, h, X->v.cols), Xb = mg_matrix_block(&X->v, h, 0, N - h, X->v.cols);
    mg_matrix Ya = mg_matrix_block(&Y->v, 0, 0, h, 1), Yb = mg_matrix_block(&Y->v, h, 0, N - h, 1);
    mg_matrix wa = mg_matrix_block(&w->v, 0, 0, h, 1), wb = mg_matrix_block(&w->v, h, 0, N - h, 1);
    double B[8], se[8], sd, r2;
    mg_matrix Bv = mg_matrix_view(B, X->v.cols + 1, 1), Sv = mg_matrix_view(se, X->v.cols + 1, 1);
    mg_lstsq_result res;
    memset(&res, 0, sizeof res);
    res.std_err = &Sv;
    res.residual_sd = &sd;
    res.r_squared = &r2;
    size_t len = 0, p = 0, k = 0;
    int conv = 0;
    mg_fit_options o;
    MG__TRY(mg_fit_reset(f));
    MG__TRY(mg_fit_reset(g));
    MG__TRY(mg_fit_accumulate(f, &Xa, &Ya, &wa));
    MG__TRY(mg_fit_accumulate(g, &Xb, &Yb, &wb));
    MG__TRY(mg_fit_merge(f, g));
    MG__TRY(mg_fit_finish(f, &Bv, &res));
    MG__TRY(mg_fit_refine_begin(f, &Bv));
    MG__TRY(mg_fit_refine_begin(g, &Bv));
    MG__TRY(mg_fit_refine_accumulate(f, &Xa, &Ya, &wa));
    MG__TRY(mg_fit_refine_accumulate(g, &Xb, &Yb, &wb));
    MG__TRY(mg_fit_refine_merge(f, g));
    MG__TRY(mg_fit_refine_end(f, &Bv, &conv));
    MG__TRY(mg_fit_finish(f, &Bv, &res));
    double ci[16], cov[64], f_value, loglik;
    mg_matrix Lo = mg_matrix_view(ci, X->v.cols + 1, 1), Hi = mg_matrix_view(ci + 8, X->v.cols + 1, 1);
    mg_matrix Cv = mg_matrix_view(cov, X->v.cols + 1, X->v.cols + 1);
    mg_infer inf;
    memset(&inf, 0, sizeof inf);
    inf.coef = &Bv;
    inf.std_err = &Sv;
    inf.conf_low = &Lo;
    inf.conf_high = &Hi;
    inf.cov_unscaled = &Cv;
    inf.f_value = &f_value;
    inf.loglik = &loglik;
    MG__TRY(mg_fit_infer(f, NULL, &inf));
    MG__TRY(mg_fit_save_size(f, &len));
    if (len > cap)
        return MG_EINVAL;
    MG__TRY(mg_fit_save(f, img, cap, &len));
    MG__TRY(mg_fit_peek(img, len, &p, &k, &o));
    MG__TRY(mg_fit_load(g, img, len));
    MG__TRY(mg_fit_shape(g, &p, &k, &o));
    return mg_fit_rows(g, &len, NULL);
}

START_TEST(fit_engine)
{
    enum { N = 300, P = 5 };
    mgt_rng r = mgt_rng_seed(12);
    mgt_mat X = mgt_random(&r, N, P, 1), Y = mgt_random(&r, N, 1, 0), w = mgt_alloc(N, 1, 0);
    for (size_t i = 0; i < N; i++)
        *mg_at(&w.v, i, 0) = (double)(i % 4);
    static unsigned char img[1 << 16];
    for (int kind = MG_FIT_QR; kind <= MG_FIT_GRAM; kind++)
        for (int exact = 0; exact <= 1; exact++) {
            mg_fit_options o = mg_fit_defaults();
            o.kind = (mg_fit_kind)kind;
            o.intercept = 1;
            o.exact = exact;
            size_t points = 0;
            mg_fit *f = NULL, *g = NULL;
            for (size_t n = 1;; n++) {
                mg_fit *t = NULL;
                mgt_failalloc_arm(n);
                const mg_status st = mg_fit_create(P, 1, &o, &t);
                const int injected = mgt_failalloc_injected();
                size_t bytes = 0;
                void *site = NULL;
                const size_t live = mgt_failalloc_live(&bytes, &site);
                mgt_failalloc_disarm();
                if (!injected) {
                    ck_assert_int_eq(st, MG_OK);
                    f = t;
                    break;
                }
                points++;
                ck_assert_msg(st == MG_ENOMEM && t == NULL && live == 0,
                              "mg_fit_create kind %d exact %d: n = %zu: status %d, out %p, "
                              "%zu blocks left", kind, exact, n, (int)st, (void *)t, live);
            }
            ck_assert_int_eq(mg_fit_create(P, 1, &o, &g), MG_OK);
            /* warm-up: the first BLAS/LAPACK calls may set up their buffers */
            ck_assert_int_eq(engine_round(f, g, &X, &Y, &w, img, sizeof img), MG_OK);
            mgt_failalloc_arm(1);
            const mg_status st = engine_round(f, g, &X, &Y, &w, img, sizeof img);
            const size_t count = mgt_failalloc_count();
            mgt_failalloc_disarm();
            ck_assert_msg(st == MG_OK && count == 0,
                          "fit engine kind %d exact %d: status %d, %zu allocation(s)", kind,
                          exact, (int)st, count);
            printf("fit engine, kind %s%s: mg_fit_create %zu injection points (MG_ENOMEM); a "
                   "whole fit after it: 0 allocations\n",
                   kind == MG_FIT_QR ? "QR" : "GRAM", exact ? " + exact" : "", points);
            mg_fit_free(f);
            mg_fit_free(g);
        }
    mgt_free(&X);
    mgt_free(&Y);
    mgt_free(&w);
}
END_TEST

int main(int argc, char **argv)
{
    /* Two threads whatever the environment says (OMP_NUM_THREADS sets
     * matgrad's count), so that the threaded passes run on two threads and
     * the counts are reproducible.  The OpenMP runtime reads the variable
     * when it is loaded: set it and start over. */
    const char *t = getenv("OMP_NUM_THREADS");
    if (argc > 0 && (!t || strcmp(t, "2") != 0)) {
        setenv("OMP_NUM_THREADS", "2", 1);
        execv("/proc/self/exe", argv);
        perror("execv /proc/self/exe");
        return 1;
    }
    Suite *s = suite_create("fault_injection");
    TCase *tc = tcase_create("alloc");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, no_allocation);
    tcase_add_test(tc, fit_engine);
    tcase_add_test(tc, every_allocation_of_every_function);
    suite_add_tcase(s, tc);
    return mgt_run(s);
}
