/* SPDX-License-Identifier: BSD-3-Clause */
/* `matgrad gradcheck`: every analytic gradient rule of the library against
 * central finite differences (mg_grad_check) on random inputs.
 *
 * Each rule is written as a scalar function f of one variable X whose
 * gradient the rule returns: for a rule that maps an upstream gradient GY of
 * Y = F(X) to GX, f(X) = sum(GY .* F(X)) has gradient GX.  One table row per
 * rule and shape; adding a rule is adding one entry to RULES.
 *
 * Pass/fail: the largest difference between the analytic gradient G and the
 * central difference N, relative to the largest entry of either, is at most
 * 1e-6.  With h = 1e-5 on inputs of order 1 the central difference is off by
 * the truncation h^2 |f'''| / 6 ~ 1e-11 plus the rounding eps |f| / h ~
 * 1e-10 (|f| is at most ~50 here), against gradients whose largest entry is
 * of order 0.1 to 10, so a correct rule shows about 1e-8 or less (the table
 * prints the margin); a wrong sign, factor or transpose gives an error of
 * order 1.  Inputs are kept well conditioned (uniform in [-1, 1]; square
 * matrices shifted by (n + 1) I) so the bound holds. */
#include "cli.h"
#include "table.h"

#include <math.h>
#include <matgrad.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define GC_TOL 1e-6
#define GC_H 1e-5
#define GC_TRY(e) do { mg_status gc_s = (e); if (gc_s != MG_OK) return gc_s; } while (0)

/* splitmix64: a fixed, portable stream so runs are reproducible. */
typedef struct gc_rng { uint64_t s; } gc_rng;

static double uniform(gc_rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0 * 2.0 - 1.0;   /* [-1, 1) */
}

/* All matrices of one check, freed together.  A view gets 1 column of
 * padding (stride > cols) on odd-numbered allocations so strided views are
 * exercised; the padding holds NaN, which would poison any result that read
 * it. */
enum { GC_MAX_MATS = 12 };
typedef struct gc_arena {
    double *mem[GC_MAX_MATS];
    int n;
    gc_rng *rng;
    int out_of_memory;   /* a matrix could not be allocated */
} gc_arena;

static mg_matrix mat(gc_arena *a, size_t rows, size_t cols)
{
    mg_matrix m = { 0 };
    if (a->n == GC_MAX_MATS)
        return m;
    size_t stride = cols + (size_t)(a->n & 1);
    double *d = malloc(rows * stride * sizeof *d);
    if (!d) {
        a->out_of_memory = 1;
        return m;
    }
    a->mem[a->n++] = d;
    for (size_t i = 0; i < rows * stride; i++)
        d[i] = (i % stride < cols) ? uniform(a->rng) : NAN;
    return mg_matrix_view_stride(d, rows, cols, stride);
}

/* X + (n + 1) I: by Gershgorin every eigenvalue is at distance >= 1 from 0
 * (off-diagonal row sums are below n - 1), so det, inverse and log|det| are
 * well conditioned. */
static mg_matrix square_mat(gc_arena *a, size_t n)
{
    mg_matrix m = mat(a, n, n);
    if (m.data)
        for (size_t i = 0; i < n; i++)
            *mg_at(&m, i, i) += (double)n + 1;
    return m;
}

static int all_ok(const mg_matrix *const *ms, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!ms[i]->data)
            return 0;
    return 1;
}

/* sum(W .* M) over two same-shape views */
static double dot(const mg_matrix *W, const mg_matrix *M)
{
    double s = 0;
    for (size_t i = 0; i < M->rows; i++)
        for (size_t j = 0; j < M->cols; j++)
            s += *mg_at(W, i, j) * *mg_at(M, i, j);
    return s;
}

/* ---- the scalar functions ---------------------------------------------- */

typedef struct gc_ctx {
    const mg_matrix *m[4];
    int which;           /* which argument is the variable */
    mg_act act;
} gc_ctx;

static double f_mse(const mg_matrix *W, void *vc)
{
    gc_ctx *c = vc;
    double loss = NAN;
    mg_mse_loss(c->m[0], W, c->m[1], &loss);
    return loss;
}

static double f_bilinear(const mg_matrix *X, void *vc)
{
    gc_ctx *c = vc;
    double f = NAN;
    mg_bilinear(c->m[0], X, c->m[1], &f);
    return f;
}

static double f_a_exp_Xb(const mg_matrix *X, void *vc)
{
    gc_ctx *c = vc;
    double f = NAN;
    mg_a_exp_Xb(c->m[0], X, c->m[1], &f);
    return f;
}

/* sum(GY .* (A X B)), naively */
static double f_sandwich(const mg_matrix *X, void *vc)
{
    gc_ctx *c = vc;
    const mg_matrix *A = c->m[0], *GY = c->m[1], *B = c->m[2];
    double s = 0;
    for (size_t i = 0; i < A->rows; i++)
        for (size_t l = 0; l < B->cols; l++) {
            double y = 0;
            for (size_t j = 0; j < X->rows; j++)
                for (size_t k = 0; k < X->cols; k++)
                    y += *mg_at(A, i, j) * *mg_at(X, j, k) * *mg_at(B, k, l);
            s += *mg_at(GY, i, l) * y;
        }
    return s;
}

/* sum(GY .* X^-1), the inverse by Gauss-Jordan elimination with partial
 * pivoting (an independent evaluation: the rule itself uses LAPACK). */
static double f_inverse(const mg_matrix *X, void *vc)
{
    gc_ctx *c = vc;
    size_t n = X->rows;
    double *w = malloc(2 * n * n * sizeof *w);
    if (!w)
        return NAN;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < 2 * n; j++)
            w[i * 2 * n + j] = j < n ? *mg_at(X, i, j) : (j - n == i);
    for (size_t k = 0; k < n; k++) {
        size_t piv = k;
        for (size_t i = k + 1; i < n; i++)
            if (fabs(w[i * 2 * n + k]) > fabs(w[piv * 2 * n + k]))
                piv = i;
        for (size_t j = 0; j < 2 * n; j++) {
            double t = w[k * 2 * n + j];
            w[k * 2 * n + j] = w[piv * 2 * n + j];
            w[piv * 2 * n + j] = t;
        }
        double d = w[k * 2 * n + k];
        for (size_t j = 0; j < 2 * n; j++)
            w[k * 2 * n + j] /= d;
        for (size_t i = 0; i < n; i++)
            if (i != k) {
                double m = w[i * 2 * n + k];
                for (size_t j = 0; j < 2 * n; j++)
                    w[i * 2 * n + j] -= m * w[k * 2 * n + j];
            }
    }
    double s = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            s += *mg_at(c->m[0], i, j) * w[i * 2 * n + n + j];
    free(w);
    return s;
}

static double f_logdet(const mg_matrix *X, void *vc)
{
    (void)vc;
    double l = NAN;
    mg_logdet(X, &l, NULL);
    return l;
}

static double f_det(const mg_matrix *X, void *vc)
{
    (void)vc;
    double d = NAN;
    mg_det(X, &d);
    return d;
}

/* sum(dA .* (Z W + 1 b)) with one of Z, W, b the variable */
static double f_dense(const mg_matrix *V, void *vc)
{
    gc_ctx *c = vc;
    const mg_matrix *Z = c->which == 0 ? V : c->m[0];
    const mg_matrix *W = c->which == 1 ? V : c->m[1];
    const mg_matrix *b = c->which == 2 ? V : c->m[2];
    const mg_matrix *dA = c->m[3];
    double s = 0;
    for (size_t i = 0; i < Z->rows; i++)
        for (size_t j = 0; j < W->cols; j++) {
            double a = *mg_at(b, 0, j);
            for (size_t k = 0; k < Z->cols; k++)
                a += *mg_at(Z, i, k) * *mg_at(W, k, j);
            s += *mg_at(dA, i, j) * a;
        }
    return s;
}

static double f_act(const mg_matrix *X, void *vc)
{
    gc_ctx *c = vc;
    const mg_matrix *dY = c->m[0];
    mg_matrix Y = *c->m[1];   /* scratch of X's shape */
    if (mg_act_forward(c->act, X, &Y) != MG_OK)
        return NAN;
    return dot(dY, &Y);
}

/* f(X) = sum(x^3) / 3 + sum(sin x): gradient x^2 + cos x, known exactly */
static double f_cubic(const mg_matrix *X, void *vc)
{
    (void)vc;
    double s = 0;
    for (size_t i = 0; i < X->rows; i++)
        for (size_t j = 0; j < X->cols; j++) {
            double x = *mg_at(X, i, j);
            s += x * x * x / 3 + sin(x);
        }
    return s;
}

/* ---- the rules: set up inputs, compute G, compare ------------------------ */

typedef struct gc_shape { size_t r, c, k; } gc_shape;
typedef mg_status (*gc_run)(gc_arena *a, gc_shape s, int variant, double *err);

/* max_ij |G - N|_ij / max_ij max(|G_ij|, |N_ij|), N the central difference:
 * the error relative to the gradient's scale.  (An entrywise relative error
 * would divide the difference quotient's rounding noise by entries that are
 * tiny or zero in exact arithmetic.) */
static mg_status check(mg_scalar_fn f, gc_ctx *c, mg_matrix *X, const mg_matrix *G, double *err)
{
    double *nd = malloc(X->rows * X->cols * sizeof *nd);
    if (!nd)
        return MG_ENOMEM;
    mg_matrix N = mg_matrix_view(nd, X->rows, X->cols);
    mg_status s = mg_fd_gradient(f, c, X, GC_H, &N);
    if (s == MG_OK) {
        double diff = 0, scale = 0;
        for (size_t i = 0; i < X->rows; i++)
            for (size_t j = 0; j < X->cols; j++) {
                double g = *mg_at(G, i, j), n = *mg_at(&N, i, j);
                diff = fmax(diff, fabs(g - n));
                scale = fmax(scale, fmax(fabs(g), fabs(n)));
            }
        *err = isnan(diff) || isnan(scale) ? NAN : scale > 0 ? diff / scale : 0;
    }
    free(nd);
    return s;
}

static mg_status run_mse(gc_arena *a, gc_shape s, int v, double *err)
{
    (void)v;
    mg_matrix A = mat(a, s.r, s.c), W = mat(a, s.c, s.k), Y = mat(a, s.r, s.k), G = mat(a, s.c, s.k);
    const mg_matrix *all[] = { &A, &W, &Y, &G };
    if (!all_ok(all, 4))
        return MG_ENOMEM;
    GC_TRY(mg_mse_grad(&A, &W, &Y, &G, NULL));
    gc_ctx c = { .m = { &A, &Y } };
    return check(f_mse, &c, &W, &G, err);
}

static mg_status run_bilinear(gc_arena *a, gc_shape s, int v, double *err)
{
    (void)v;
    mg_matrix x = mat(a, s.r, 1), y = mat(a, s.c, 1), X = mat(a, s.r, s.c), G = mat(a, s.r, s.c);
    const mg_matrix *all[] = { &x, &y, &X, &G };
    if (!all_ok(all, 4))
        return MG_ENOMEM;
    GC_TRY(mg_grad_bilinear(&x, &y, &G));
    gc_ctx c = { .m = { &x, &y } };
    return check(f_bilinear, &c, &X, &G, err);
}

static mg_status run_a_exp_Xb(gc_arena *a, gc_shape s, int v, double *err)
{
    (void)v;
    mg_matrix x = mat(a, s.r, 1), y = mat(a, s.c, 1), X = mat(a, s.r, s.c), G = mat(a, s.r, s.c);
    const mg_matrix *all[] = { &x, &y, &X, &G };
    if (!all_ok(all, 4))
        return MG_ENOMEM;
    GC_TRY(mg_grad_a_exp_Xb(&x, &X, &y, &G));
    gc_ctx c = { .m = { &x, &y } };
    return check(f_a_exp_Xb, &c, &X, &G, err);
}

static mg_status run_sandwich(gc_arena *a, gc_shape s, int v, double *err)
{
    (void)v;
    /* A (k x r), X (r x c), B (c x k): Y = A X B is k x k */
    mg_matrix A = mat(a, s.k, s.r), X = mat(a, s.r, s.c), B = mat(a, s.c, s.k);
    mg_matrix GY = mat(a, s.k, s.k), G = mat(a, s.r, s.c);
    const mg_matrix *all[] = { &A, &X, &B, &GY, &G };
    if (!all_ok(all, 5))
        return MG_ENOMEM;
    GC_TRY(mg_grad_sandwich(&A, &GY, &B, &G));
    gc_ctx c = { .m = { &A, &GY, &B } };
    return check(f_sandwich, &c, &X, &G, err);
}

static mg_status run_inverse(gc_arena *a, gc_shape s, int v, double *err)
{
    (void)v;
    mg_matrix X = square_mat(a, s.r), GY = mat(a, s.r, s.r), G = mat(a, s.r, s.r);
    const mg_matrix *all[] = { &X, &GY, &G };
    if (!all_ok(all, 3))
        return MG_ENOMEM;
    GC_TRY(mg_grad_inverse(&X, &GY, &G));
    gc_ctx c = { .m = { &GY } };
    return check(f_inverse, &c, &X, &G, err);
}

static mg_status run_logdet(gc_arena *a, gc_shape s, int v, double *err)
{
    mg_matrix X = square_mat(a, s.r), G = mat(a, s.r, s.r);
    const mg_matrix *all[] = { &X, &G };
    if (!all_ok(all, 2))
        return MG_ENOMEM;
    if (v == 1)   /* a negative determinant: log|det| is still smooth */
        for (size_t j = 0; j < s.r; j++)
            *mg_at(&X, 0, j) = -*mg_at(&X, 0, j);
    GC_TRY(mg_grad_logdet(&X, &G));
    gc_ctx c = { .m = { NULL } };
    return check(f_logdet, &c, &X, &G, err);
}

static mg_status run_det(gc_arena *a, gc_shape s, int v, double *err)
{
    (void)v;
    mg_matrix X = square_mat(a, s.r), G = mat(a, s.r, s.r);
    const mg_matrix *all[] = { &X, &G };
    if (!all_ok(all, 2))
        return MG_ENOMEM;
    GC_TRY(mg_grad_det(&X, &G));
    gc_ctx c = { .m = { NULL } };
    return check(f_det, &c, &X, &G, err);
}

/* variant: 0 checks dZ, 1 dW, 2 db.  Z is r x k, W k x c, A r x c. */
static mg_status run_dense(gc_arena *a, gc_shape s, int v, double *err)
{
    mg_matrix Z = mat(a, s.r, s.k), W = mat(a, s.k, s.c), b = mat(a, 1, s.c), dA = mat(a, s.r, s.c);
    mg_matrix dZ = mat(a, s.r, s.k), dW = mat(a, s.k, s.c), db = mat(a, 1, s.c);
    const mg_matrix *all[] = { &Z, &W, &b, &dA, &dZ, &dW, &db };
    if (!all_ok(all, 7))
        return MG_ENOMEM;
    GC_TRY(mg_dense_backward(&Z, &W, &dA, &dZ, &dW, &db));
    gc_ctx c = { .m = { &Z, &W, &b, &dA }, .which = v };
    mg_matrix *var[] = { &Z, &W, &b }, *grad[] = { &dZ, &dW, &db };
    return check(f_dense, &c, var[v], grad[v], err);
}

/* variant: the activation.  ReLU's kink at 0 is kept out of reach of the
 * difference step: entries are pushed to |x| >= 0.1 >> h. */
static mg_status run_act(gc_arena *a, gc_shape s, int v, double *err)
{
    mg_matrix X = mat(a, s.r, s.c), dY = mat(a, s.r, s.c), Y = mat(a, s.r, s.c), G = mat(a, s.r, s.c);
    const mg_matrix *all[] = { &X, &dY, &Y, &G };
    if (!all_ok(all, 4))
        return MG_ENOMEM;
    for (size_t i = 0; i < s.r; i++)
        for (size_t j = 0; j < s.c; j++) {
            double *x = mg_at(&X, i, j);
            *x = copysign(0.1 + 0.9 * fabs(*x), *x);
        }
    GC_TRY(mg_act_backward((mg_act)v, &X, &dY, &G));
    gc_ctx c = { .m = { &dY, &Y }, .act = (mg_act)v };
    return check(f_act, &c, &X, &G, err);
}

/* mg_fd_gradient itself, against a gradient known in closed form. */
static mg_status run_fd(gc_arena *a, gc_shape s, int v, double *err)
{
    (void)v;
    mg_matrix X = mat(a, s.r, s.c), N = mat(a, s.r, s.c);
    const mg_matrix *all[] = { &X, &N };
    if (!all_ok(all, 2))
        return MG_ENOMEM;
    GC_TRY(mg_fd_gradient(f_cubic, NULL, &X, GC_H, &N));
    double e = 0;
    for (size_t i = 0; i < s.r; i++)
        for (size_t j = 0; j < s.c; j++) {
            double x = *mg_at(&X, i, j), g = x * x + cos(x);
            /* g >= cos 1 > 0.5 on [-1, 1]: a plain relative error */
            e = fmax(e, fabs(*mg_at(&N, i, j) - g) / g);
        }
    *err = e;
    return MG_OK;
}

typedef struct gc_rule {
    const char *name, *variable;
    gc_run run;
    int variant;
    gc_shape shapes[3];
} gc_rule;

static const gc_rule RULES[] = {
    { "mse_grad", "W", run_mse, 0, { { 1, 1, 1 }, { 20, 4, 1 }, { 5, 8, 3 } } },
    { "grad_bilinear", "X", run_bilinear, 0, { { 1, 1, 0 }, { 6, 3, 0 }, { 3, 7, 0 } } },
    { "grad_a_exp_Xb", "X", run_a_exp_Xb, 0, { { 1, 1, 0 }, { 6, 3, 0 }, { 3, 7, 0 } } },
    { "grad_sandwich", "X", run_sandwich, 0, { { 1, 1, 1 }, { 4, 3, 2 }, { 2, 5, 6 } } },
    { "grad_inverse", "X", run_inverse, 0, { { 1, 1, 0 }, { 3, 3, 0 }, { 6, 6, 0 } } },
    { "grad_logdet", "X", run_logdet, 0, { { 1, 1, 0 }, { 3, 3, 0 }, { 6, 6, 0 } } },
    { "grad_logdet (det < 0)", "X", run_logdet, 1, { { 1, 1, 0 }, { 4, 4, 0 }, { 0 } } },
    { "grad_det", "X", run_det, 0, { { 1, 1, 0 }, { 3, 3, 0 }, { 6, 6, 0 } } },
    { "dense_backward", "Z", run_dense, 0, { { 1, 1, 1 }, { 5, 3, 4 }, { 0 } } },
    { "dense_backward", "W", run_dense, 1, { { 1, 1, 1 }, { 5, 3, 4 }, { 0 } } },
    { "dense_backward", "b", run_dense, 2, { { 1, 1, 1 }, { 5, 3, 4 }, { 0 } } },
    { "act_backward identity", "X", run_act, MG_ACT_IDENTITY, { { 1, 1, 0 }, { 4, 5, 0 }, { 0 } } },
    { "act_backward relu", "X", run_act, MG_ACT_RELU, { { 1, 1, 0 }, { 4, 5, 0 }, { 0 } } },
    { "act_backward sigmoid", "X", run_act, MG_ACT_SIGMOID, { { 1, 1, 0 }, { 4, 5, 0 }, { 0 } } },
    { "act_backward tanh", "X", run_act, MG_ACT_TANH, { { 1, 1, 0 }, { 4, 5, 0 }, { 0 } } },
    { "act_backward exp", "X", run_act, MG_ACT_EXP, { { 1, 1, 0 }, { 4, 5, 0 }, { 0 } } },
    { "act_backward sin", "X", run_act, MG_ACT_SIN, { { 1, 1, 0 }, { 4, 5, 0 }, { 0 } } },
    { "fd_gradient", "X", run_fd, 0, { { 1, 1, 0 }, { 4, 5, 0 }, { 0 } } },
};

static void gradcheck_usage(FILE *out)
{
    fputs("usage: matgrad gradcheck [--seed N]\n"
          "\n"
          "Checks every analytic gradient rule of the library against central finite\n"
          "differences (step 1e-5) on random inputs and prints one row per rule and\n"
          "shape.  A rule passes when its largest error, relative to the gradient's\n"
          "largest entry, is at most 1e-6.\n"
          "Exit status: 0 if all pass, 1 if any fails, 2 on a usage error.\n"
          "\n"
          "options:\n"
          "  -s, --seed N   seed of the random inputs (default 1)\n"
          "  -h, --help     show this help\n",
          out);
}

int mgcli_gradcheck(int argc, char **argv)
{
    uint64_t seed = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            gradcheck_usage(stdout);
            return MGCLI_EXIT_OK;
        }
        if ((!strcmp(argv[i], "-s") || !strcmp(argv[i], "--seed")) && i + 1 < argc) {
            unsigned long long v;
            if (mgcli_parse_count(argv[++i], UINT64_MAX, &v) == 0) {
                seed = v;
            } else {
                fprintf(stderr, "matgrad gradcheck: --seed needs a whole number from 0 to "
                                "18446744073709551615, not '%s'\n",
                        argv[i]);
                return MGCLI_EXIT_USAGE;
            }
            continue;
        }
        fprintf(stderr, "matgrad gradcheck: unknown argument '%s'\n"
                        "Try 'matgrad gradcheck --help' for more information.\n", argv[i]);
        return MGCLI_EXIT_USAGE;
    }

    gc_rng rng = { seed };
    mgcli_table *t = mgcli_table_new(5, "llrrl");
    const char *head[5] = { "rule", "variable", "shape", "max rel error", "result" };
    if (!t || mgcli_table_row(t, head) != 0) {
        mgcli_table_free(t);
        return mgcli_out_of_memory("the result table");
    }
    size_t checks = 0, failed = 0;
    for (size_t r = 0; r < sizeof RULES / sizeof *RULES; r++)
        for (size_t k = 0; k < 3 && RULES[r].shapes[k].r; k++) {
            gc_shape s = RULES[r].shapes[k];
            gc_arena a = { { NULL }, 0, &rng, 0 };
            double err = NAN;
            mg_status st = RULES[r].run(&a, s, RULES[r].variant, &err);
            for (int i = 0; i < a.n; i++)
                free(a.mem[i]);
            /* not a failed rule: the check could not be set up */
            if (a.out_of_memory || st == MG_ENOMEM) {
                mgcli_table_free(t);
                return mgcli_out_of_memory("gradcheck's inputs");
            }
            char shape[48], e[32];
            if (s.k)
                snprintf(shape, sizeof shape, "%zux%zu k=%zu", s.r, s.c, s.k);
            else
                snprintf(shape, sizeof shape, "%zux%zu", s.r, s.c);
            int pass = st == MG_OK && err <= GC_TOL;
            if (st != MG_OK)
                snprintf(e, sizeof e, "%s", mg_strerror(st));
            else
                snprintf(e, sizeof e, "%.2e", err);
            const char *row[5] = { RULES[r].name, RULES[r].variable, shape, e,
                                   pass ? "pass" : "FAIL" };
            if (mgcli_table_row(t, row) != 0) {
                mgcli_table_free(t);
                return mgcli_out_of_memory("the result table");
            }
            checks++;
            failed += !pass;
        }
    mgcli_table_print(t, stdout);
    mgcli_table_free(t);
    printf("\n%zu checks, %zu failed (tolerance %.0e, step h = %.0e, seed %llu)\n", checks,
           failed, GC_TOL, GC_H, (unsigned long long)seed);
    return failed ? MGCLI_EXIT_FAIL : MGCLI_EXIT_OK;
}
