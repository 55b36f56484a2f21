/* SPDX-License-Identifier: BSD-3-Clause */
/* mg_hc_*: heteroskedasticity-consistent covariances HC0..HC3 (R's
 * sandwich::vcovHC of a weighted lm) against a naive long-double reference
 * (tests/ref/ref_infer.c), on random designs with and without intercept,
 * weights with zeros, k = 2 outputs (each output's covariance), an aliased
 * column, large and small n (leverages up to near 1), and the rows split
 * into many accumulate calls and merged states.
 *
 * Tolerances: every entry of V within the a-priori rounding bound of the
 * library's computation from the same double inputs (ref_hc, derived at
 * its definition: gamma terms of the residuals, leverages, the meat's sum
 * over n rows and the two products with C, taken through |C| ... |C|).
 * A split or merged pass changes only the order of the sums in the meat
 * (and possibly how the BLAS rounds a block's rows): each result obeys the
 * same bound, so two results differ by at most twice it. */
#define _GNU_SOURCE /* RTLD_DEFAULT */
#include "mgtest.h"
#include "ref_infer.h"

#ifdef MGT_FAILALLOC
#include "failalloc.h"
#endif

#include <dlfcn.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { P = 3, K = 2, PAD = 2 };

typedef struct problem {
    mgt_mat X, Y, w;
    ref_model rm;
    size_t N;
    int weighted;
} problem;

/* Heteroskedastic responses: noise whose scale grows with |x_0|. */
static problem make_problem(uint64_t seed, size_t N, int intercept, int weights, int alias)
{
    mgt_rng r = mgt_rng_seed(seed);
    problem pr = { 0 };
    pr.N = N;
    pr.weighted = weights != 0;
    pr.X = mgt_random(&r, N, P, PAD);
    pr.Y = mgt_alloc(N, K, PAD);
    pr.w = mgt_alloc(N, 1, 1);
    for (size_t i = 0; i < N; i++) {
        double x0 = mgt_get(&pr.X.v, i, 0), x1 = mgt_get(&pr.X.v, i, 1);
        double wi = weights ? 0.25 + (mgt_uniform(&r) + 1.0) : 1.0;
        if (weights == 2 && i % 7 == 2)
            wi = 0.0;
        pr.w.v.data[i * pr.w.v.stride] = wi;
        pr.Y.v.data[i * pr.Y.v.stride] = 1.0 + 2.0 * x0 + (0.2 + fabs(x0)) * mgt_uniform(&r);
        pr.Y.v.data[i * pr.Y.v.stride + 1] = -x1 + (0.1 + x1 * x1) * mgt_uniform(&r);
    }
    unsigned char aliased[P + 1] = { 0 };
    if (alias) {
        /* the last column of X is twice the first: exactly collinear */
        aliased[(size_t)(intercept != 0) + P - 1] = 1;
        for (size_t i = 0; i < N; i++)
            pr.X.v.data[i * pr.X.v.stride + P - 1] = 2.0 * mgt_get(&pr.X.v, i, 0);
    }
    ck_assert_int_eq(
        ref_model_fit(&pr.X.v, intercept, &pr.Y.v, weights ? &pr.w.v : NULL, aliased, &pr.rm), 0);
    return pr;
}

static void free_problem(problem *pr)
{
    mgt_free(&pr->X);
    mgt_free(&pr->Y);
    mgt_free(&pr->w);
    ref_model_free(&pr->rm);
}

static const mg_matrix *wv(const problem *pr)
{
    return pr->weighted ? &pr->w.v : NULL;
}

/* |got - want| <= scale * tol entrywise; NaN exactly where want is NaN. */
static void assert_v(const mg_matrix *V, const double *want, const double *tol, double scale,
                     const char *what)
{
    const size_t m = V->rows;
    for (size_t a = 0; a < m; a++)
        for (size_t b = 0; b < m; b++) {
            double got = mgt_get(V, a, b), wnt = want[a * m + b], t = scale * tol[a * m + b];
            if (isnan(wnt)) {
                ck_assert_msg(isnan(got), "%s: V(%zu, %zu) = %g, want NaN", what, a, b, got);
                continue;
            }
            ck_assert_msg(fabs(got - wnt) <= t,
                          "%s: V(%zu, %zu) = %.17g, want %.17g, |diff| %.3g > bound %.3g", what, a,
                          b, got, wnt, fabs(got - wnt), t);
        }
}

/* Rows i0 .. i0 + n of the problem as views. */
static mg_status feed(mg_hc *hc, const problem *pr, size_t i0, size_t n)
{
    mg_matrix X = mg_matrix_block(&pr->X.v, i0, 0, n, P);
    mg_matrix Y = mg_matrix_block(&pr->Y.v, i0, 0, n, K);
    mg_matrix w = mg_matrix_block(&pr->w.v, i0, 0, n, 1);
    return mg_hc_accumulate(hc, &X, &Y, pr->weighted ? &w : NULL);
}

/* The state of all rows fed in chunks of `chunk`, in `parts` states merged
 * left to right. */
static mg_hc *split_state(const problem *pr, size_t j, mg_hc_type type, size_t chunk, size_t parts)
{
    mg_hc *root = NULL;
    ck_assert_int_eq(mg_hc_create(&pr->rm.model, j, type, &root), MG_OK);
    const size_t per = (pr->N + parts - 1) / parts;
    mg_status st = MG_OK;
    for (size_t p0 = 0; p0 < pr->N; p0 += per) {
        mg_hc *part = root;
        if (p0 > 0)
            ck_assert_int_eq(mg_hc_create(&pr->rm.model, j, type, &part), MG_OK);
        const size_t end = p0 + per < pr->N ? p0 + per : pr->N;
        for (size_t i0 = p0; i0 < end && st == MG_OK; i0 += chunk)
            st = feed(part, pr, i0, end - i0 < chunk ? end - i0 : chunk);
        if (part != root) {
            ck_assert_int_eq(mg_hc_merge(root, part), MG_OK);
            mg_hc_free(part);
        }
    }
    ck_assert_int_eq(st, MG_OK);
    return root;
}

static void check_problem(const problem *pr, const char *name)
{
    const size_t m = pr->rm.m;
    double *want = malloc(m * m * sizeof *want), *tol = malloc(m * m * sizeof *tol);
    mgt_mat V = mgt_alloc(m, m, PAD), V2 = mgt_alloc(m, m, 1);
    for (size_t j = 0; j < K; j++)
        for (int t = MG_HC0; t <= MG_HC3; t++) {
            double hmax = ref_hc(&pr->rm.model, j, (mg_hc_type)t, &pr->X.v, &pr->Y.v, wv(pr),
                                 want, tol);
            /* the bound assumes leverages clear of 1 (by far, here) */
            ck_assert(hmax < 1.0 - 1e-6);
            ck_assert_int_eq(mg_hc_cov(&pr->rm.model, j, (mg_hc_type)t, &pr->X.v, &pr->Y.v,
                                       wv(pr), &V.v),
                             MG_OK);
            assert_v(&V.v, want, tol, 1.0, name);
            ck_assert(mgt_padding_intact(&V));
            /* V is exactly symmetric */
            for (size_t a = 0; a < m; a++)
                for (size_t b = 0; b < a; b++)
                    ck_assert(isnan(mgt_get(&V.v, a, b)) ||
                              mgt_get(&V.v, a, b) == mgt_get(&V.v, b, a));
            const size_t chunks[3][2] = { { 1, 1 }, { 7, 3 }, { 97, 4 } };
            for (int c = 0; c < 3; c++) {
                mg_hc *hc = split_state(pr, j, (mg_hc_type)t, chunks[c][0], chunks[c][1]);
                ck_assert_int_eq(mg_hc_finish(hc, &V2.v), MG_OK);
                mg_hc_free(hc);
                assert_v(&V2.v, want, tol, 1.0, name);
                /* against the one-pass result: twice the bound */
                double *one = mgt_snapshot(&V);
                double *onev = malloc(m * m * sizeof *onev);
                for (size_t a = 0; a < m; a++)
                    for (size_t b = 0; b < m; b++)
                        onev[a * m + b] = one[a * V.v.stride + b];
                assert_v(&V2.v, onev, tol, 2.0, name);
                free(one);
                free(onev);
            }
        }
    mgt_free(&V);
    mgt_free(&V2);
    free(want);
    free(tol);
}

/* intercept x weights (none, positive, with zeros) x alias, at n = 600
 * (several blocks of the pass) and n = 9 (few residual df: leverages of
 * the order of m / n and above, where HC2 and HC3 differ most from HC0). */
START_TEST(random_designs)
{
    const int intercept = _i & 1, weights = (_i >> 1) % 3, alias = (_i / 6) & 1;
    const size_t N = _i < 12 ? 600 : 9;
    problem pr = make_problem(7000 + (uint64_t)_i, N, intercept, weights, alias);
    char name[64];
    snprintf(name, sizeof name, "case %d (N %zu, ic %d, w %d, alias %d)", _i, N, intercept,
             weights, alias);
    check_problem(&pr, name);
    free_problem(&pr);
}
END_TEST

/* Zero weights: a row of weight 0 contributes nothing and is not one of the
 * n rows (HC1's factor): the result equals, bitwise, that of the data
 * without those rows (the pass skips them before forming a block, so the
 * blocks are the same). */
START_TEST(zero_weights_drop_rows)
{
    problem pr = make_problem(99, 200, 1, 2, 0);
    size_t n = 0;
    mgt_mat X = mgt_alloc(200, P, 0), Y = mgt_alloc(200, K, 0), w = mgt_alloc(200, 1, 0);
    for (size_t i = 0; i < 200; i++) {
        if (mgt_get(&pr.w.v, i, 0) == 0.0)
            continue;
        memcpy(X.buf + n * P, pr.X.v.data + i * pr.X.v.stride, P * sizeof(double));
        memcpy(Y.buf + n * K, pr.Y.v.data + i * pr.Y.v.stride, K * sizeof(double));
        w.buf[n++] = mgt_get(&pr.w.v, i, 0);
    }
    ck_assert_uint_lt(n, 200);
    X.v.rows = Y.v.rows = w.v.rows = n;
    const size_t m = pr.rm.m;
    mgt_mat V = mgt_alloc(m, m, 0), V2 = mgt_alloc(m, m, 0);
    for (int t = MG_HC0; t <= MG_HC3; t++) {
        ck_assert_int_eq(mg_hc_cov(&pr.rm.model, 1, (mg_hc_type)t, &pr.X.v, &pr.Y.v, &pr.w.v, &V.v),
                         MG_OK);
        ck_assert_int_eq(mg_hc_cov(&pr.rm.model, 1, (mg_hc_type)t, &X.v, &Y.v, &w.v, &V2.v), MG_OK);
        ck_assert(memcmp(V.buf, V2.buf, m * m * sizeof(double)) == 0);
    }
    mgt_free(&X);
    mgt_free(&Y);
    mgt_free(&w);
    mgt_free(&V);
    mgt_free(&V2);
    free_problem(&pr);
}
END_TEST

/* A leverage-one row: with the intercept, a dummy column that is 1 in row 0
 * only fits row 0 exactly (h_0 = 1).  HC2 and HC3 divide by 1 - h_0:
 * MG_ERANGE, also when the row reaches the state through a merge; HC0 and
 * HC1 are defined (row 0's residual is 0: it contributes nothing). */
START_TEST(leverage_one)
{
    enum { N = 12 };
    double x[N * 2], y[N];
    mgt_rng r = mgt_rng_seed(5);
    for (size_t i = 0; i < N; i++) {
        x[2 * i] = i == 0 ? 1.0 : 0.0;
        x[2 * i + 1] = mgt_uniform(&r);
        y[i] = 1.0 + x[2 * i + 1] + 0.3 * mgt_uniform(&r);
    }
    mg_matrix X = mg_matrix_view(x, N, 2), Y = mg_matrix_view(y, N, 1);
    unsigned char aliased[3] = { 0 };
    ref_model rm;
    ck_assert_int_eq(ref_model_fit(&X, 1, &Y, NULL, aliased, &rm), 0);
    double V[9] = { 0 }, want[9], tol[9];
    mg_matrix Vv = mg_matrix_view(V, 3, 3);
    for (int t = MG_HC0; t <= MG_HC3; t++) {
        double hmax = ref_hc(&rm.model, 0, (mg_hc_type)t, &X, &Y, NULL, want, tol);
        ck_assert(fabs(hmax - 1.0) <= 1e-13);
        mg_status st = mg_hc_cov(&rm.model, 0, (mg_hc_type)t, &X, &Y, NULL, &Vv);
        ck_assert_int_eq(st, t >= MG_HC2 ? MG_ERANGE : MG_OK);
    }
    /* through a merge: the flag travels with the state */
    mg_hc *a = NULL, *b = NULL;
    ck_assert_int_eq(mg_hc_create(&rm.model, 0, MG_HC3, &a), MG_OK);
    ck_assert_int_eq(mg_hc_create(&rm.model, 0, MG_HC3, &b), MG_OK);
    mg_matrix X0 = mg_matrix_block(&X, 0, 0, 1, 2), Y0 = mg_matrix_block(&Y, 0, 0, 1, 1);
    mg_matrix X1 = mg_matrix_block(&X, 1, 0, N - 1, 2), Y1 = mg_matrix_block(&Y, 1, 0, N - 1, 1);
    ck_assert_int_eq(mg_hc_accumulate(a, &X1, &Y1, NULL), MG_OK);
    ck_assert_int_eq(mg_hc_accumulate(b, &X0, &Y0, NULL), MG_OK);
    for (int i = 0; i < 9; i++)
        V[i] = 42.0;
    ck_assert_int_eq(mg_hc_finish(a, &Vv), MG_OK); /* without row 0: fine */
    ck_assert_int_eq(mg_hc_merge(a, b), MG_OK);
    double snap[9];
    memcpy(snap, V, sizeof V);
    ck_assert_int_eq(mg_hc_finish(a, &Vv), MG_ERANGE);
    ck_assert(memcmp(snap, V, sizeof V) == 0);
    mg_hc_free(a);
    mg_hc_free(b);
    ref_model_free(&rm);
}
END_TEST

/* ---- errors ---- */

typedef struct fx {
    double b[6], c[9], x[8], y[8], w[4], v[9];
    mg_matrix B, C, X, Y, W, V;
    mg_model model;
} fx;

/* A small model whose C gives every row a leverage below 1 (0.67 at most). */
static void fixture(fx *e)
{
    const double b[6] = { 1, 2, 3, 4, 5, 6 };
    const double c[9] = { 0.02, 0.005, 0, 0.005, 0.01, 0.0025, 0, 0.0025, 0.01 };
    memcpy(e->b, b, sizeof b);
    memcpy(e->c, c, sizeof c);
    for (int i = 0; i < 8; i++)
        e->x[i] = 0.5 * i - 1.0, e->y[i] = 0.25 * i * i;
    for (int i = 0; i < 4; i++)
        e->w[i] = 1.0 + i;
    for (int i = 0; i < 9; i++)
        e->v[i] = 7.0;
    e->B = mg_matrix_view(e->b, 3, 2);
    e->C = mg_matrix_view(e->c, 3, 3);
    e->X = mg_matrix_view(e->x, 4, 2);
    e->Y = mg_matrix_view(e->y, 4, 2);
    e->W = mg_matrix_view(e->w, 4, 1);
    e->V = mg_matrix_view(e->v, 3, 3);
    e->model = (mg_model){ 2, 2, 1, &e->B, &e->C, NULL, 1 };
}

static mg_status run(fx *e, mg_hc_type t, size_t output)
{
    return mg_hc_cov(&e->model, output, t, &e->X, &e->Y, &e->W, &e->V);
}

static int v_untouched(const fx *e)
{
    for (int i = 0; i < 9; i++)
        if (e->v[i] != 7.0)
            return 0;
    return 1;
}

#define EXPECT(status, stmt)                                                                      \
    do {                                                                                          \
        fx e;                                                                                     \
        fixture(&e);                                                                              \
        stmt;                                                                                     \
        ck_assert_int_eq(run(&e, MG_HC3, 1), status);                                             \
        ck_assert(v_untouched(&e));                                                               \
    } while (0)

START_TEST(fixture_ok)
{
    fx e;
    fixture(&e);
    for (int t = MG_HC0; t <= MG_HC3; t++)
        ck_assert_int_eq(run(&e, (mg_hc_type)t, 0), MG_OK);
}
END_TEST

START_TEST(create_errors)
{
    fx e;
    fixture(&e);
    mg_hc *hc = (mg_hc *)&e; /* must stay as it is on error */
    ck_assert_int_eq(mg_hc_create(NULL, 0, MG_HC0, &hc), MG_EINVAL);
    ck_assert_int_eq(mg_hc_create(&e.model, 0, MG_HC0, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_hc_create(&e.model, 2, MG_HC0, &hc), MG_EINVAL);
    ck_assert_int_eq(mg_hc_create(&e.model, 0, (mg_hc_type)4, &hc), MG_EINVAL);
    ck_assert_ptr_eq(hc, (mg_hc *)&e);
    EXPECT(MG_EINVAL, e.model.coef = NULL);
    EXPECT(MG_EINVAL, e.model.cov_unscaled = NULL);
    EXPECT(MG_EINVAL, e.model.k = 0);
    EXPECT(MG_EINVAL, e.B.stride = 1);
    EXPECT(MG_EDIM, e.model.p = 1);
    EXPECT(MG_EDIM, e.C.cols = 2);
    EXPECT(MG_ENONFINITE, e.b[1] = NAN);     /* a partly NaN coef row */
    EXPECT(MG_ENONFINITE, e.b[4] = INFINITY);
    EXPECT(MG_ENONFINITE, e.c[8] = NAN);     /* identified C */
    /* an aliased column's C is not read */
    fixture(&e);
    e.b[2] = e.b[3] = NAN;
    e.c[1] = e.c[3] = e.c[4] = e.c[5] = e.c[7] = NAN;
    ck_assert_int_eq(run(&e, MG_HC3, 1), MG_OK);
    ck_assert(isnan(e.v[1]) && isnan(e.v[4]) && isfinite(e.v[0]) && isfinite(e.v[8]));
}
END_TEST

START_TEST(accumulate_errors)
{
    EXPECT(MG_EINVAL, e.X.data = NULL);
    EXPECT(MG_EINVAL, e.w[3] = -1.0);
    EXPECT(MG_EDIM, e.X.rows = 3);
    EXPECT(MG_EDIM, e.X.cols = 1);
    EXPECT(MG_EDIM, e.Y.cols = 1);
    EXPECT(MG_EDIM, e.W.rows = 2);
    EXPECT(MG_ENONFINITE, e.x[7] = NAN);
    EXPECT(MG_ENONFINITE, e.y[3] = INFINITY);  /* output 1's column */
    EXPECT(MG_ENONFINITE, e.w[0] = NAN);
    /* output 0's column is not read for output 1 */
    fx e;
    fixture(&e);
    e.y[2] = NAN;
    ck_assert_int_eq(run(&e, MG_HC3, 1), MG_OK);
    /* NULL state, NULL Y, NULL X with p > 0 */
    fixture(&e);
    ck_assert_int_eq(mg_hc_accumulate(NULL, &e.X, &e.Y, NULL), MG_EINVAL);
    mg_hc *hc = NULL;
    ck_assert_int_eq(mg_hc_create(&e.model, 0, MG_HC1, &hc), MG_OK);
    ck_assert_int_eq(mg_hc_accumulate(hc, &e.X, NULL, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_hc_accumulate(hc, NULL, &e.Y, NULL), MG_EINVAL);
    /* a failed call leaves the state as it was: the rows that follow give
     * bitwise the result of a fresh state */
    mg_matrix X2 = mg_matrix_block(&e.X, 0, 0, 2, 2), Y2 = mg_matrix_block(&e.Y, 0, 0, 2, 2);
    ck_assert_int_eq(mg_hc_accumulate(hc, &e.X, &e.Y, NULL), MG_OK);
    e.x[7] = NAN;
    ck_assert_int_eq(mg_hc_accumulate(hc, &X2, &Y2, NULL), MG_OK);
    ck_assert_int_eq(mg_hc_accumulate(hc, &e.X, &e.Y, NULL), MG_ENONFINITE);
    double v1[9], v2[9];
    mg_matrix V1 = mg_matrix_view(v1, 3, 3), V2 = mg_matrix_view(v2, 3, 3);
    ck_assert_int_eq(mg_hc_finish(hc, &V1), MG_OK);
    mg_hc_free(hc);
    fixture(&e);
    ck_assert_int_eq(mg_hc_create(&e.model, 0, MG_HC1, &hc), MG_OK);
    ck_assert_int_eq(mg_hc_accumulate(hc, &e.X, &e.Y, NULL), MG_OK);
    ck_assert_int_eq(mg_hc_accumulate(hc, &X2, &Y2, NULL), MG_OK);
    ck_assert_int_eq(mg_hc_finish(hc, &V2), MG_OK);
    ck_assert(memcmp(v1, v2, sizeof v1) == 0);
    mg_hc_free(hc);
}
END_TEST

START_TEST(merge_finish_errors)
{
    fx e;
    fixture(&e);
    mg_hc *a = NULL, *b = NULL, *c = NULL, *d = NULL, *f = NULL;
    ck_assert_int_eq(mg_hc_create(&e.model, 0, MG_HC2, &a), MG_OK);
    ck_assert_int_eq(mg_hc_create(&e.model, 1, MG_HC2, &b), MG_OK);  /* other output */
    ck_assert_int_eq(mg_hc_create(&e.model, 0, MG_HC3, &c), MG_OK);  /* other type */
    e.c[0] = 0.03;
    ck_assert_int_eq(mg_hc_create(&e.model, 0, MG_HC2, &d), MG_OK);  /* other C */
    e.c[0] = 0.02;
    e.b[0] = 1.5;
    ck_assert_int_eq(mg_hc_create(&e.model, 0, MG_HC2, &f), MG_OK);  /* other b */
    ck_assert_int_eq(mg_hc_merge(a, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_hc_merge(NULL, a), MG_EINVAL);
    ck_assert_int_eq(mg_hc_merge(a, a), MG_EINVAL);
    ck_assert_int_eq(mg_hc_merge(a, b), MG_EINVAL);
    ck_assert_int_eq(mg_hc_merge(a, c), MG_EINVAL);
    ck_assert_int_eq(mg_hc_merge(a, d), MG_EINVAL);
    ck_assert_int_eq(mg_hc_merge(a, f), MG_EINVAL);
    /* finish: no rows, NULL, shapes */
    ck_assert_int_eq(mg_hc_finish(a, &e.V), MG_EINVAL);
    ck_assert_int_eq(mg_hc_finish(NULL, &e.V), MG_EINVAL);
    ck_assert_int_eq(mg_hc_finish(a, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_hc_accumulate(a, &e.X, &e.Y, &e.W), MG_OK);
    mg_matrix V2 = mg_matrix_view(e.v, 2, 2);
    ck_assert_int_eq(mg_hc_finish(a, &V2), MG_EDIM);
    ck_assert(v_untouched(&e));
    ck_assert_int_eq(mg_hc_finish(a, &e.V), MG_OK);
    mg_hc_free(a);
    mg_hc_free(b);
    mg_hc_free(c);
    mg_hc_free(d);
    mg_hc_free(f);
    mg_hc_free(NULL);
    /* mg_hc_cov's own V checks */
    fixture(&e);
    ck_assert_int_eq(mg_hc_cov(&e.model, 0, MG_HC0, &e.X, &e.Y, NULL, NULL), MG_EINVAL);
    e.V.stride = 2;
    ck_assert_int_eq(run(&e, MG_HC0, 0), MG_EINVAL);
    ck_assert(v_untouched(&e));
}
END_TEST

/* HC1 without residual df (n = rank) and finite data whose meat overflows:
 * MG_ERANGE, V untouched. */
START_TEST(finish_erange)
{
    fx e;
    fixture(&e);
    mg_matrix X3 = mg_matrix_block(&e.X, 0, 0, 3, 2), Y3 = mg_matrix_block(&e.Y, 0, 0, 3, 2);
    ck_assert_int_eq(mg_hc_cov(&e.model, 0, MG_HC1, &X3, &Y3, NULL, &e.V), MG_ERANGE);
    ck_assert(v_untouched(&e));
    ck_assert_int_eq(mg_hc_cov(&e.model, 0, MG_HC0, &X3, &Y3, NULL, &e.V), MG_OK);
    /* w e ~ 1e200 and w ~ 1e300: omega overflows (HC0: no leverage) */
    fixture(&e);
    e.y[3] = 1e200;
    ck_assert_int_eq(run(&e, MG_HC0, 1), MG_ERANGE);
    ck_assert(v_untouched(&e));
    fixture(&e);
    e.w[2] = 1e300;
    ck_assert_int_eq(run(&e, MG_HC0, 1), MG_ERANGE);
    ck_assert(v_untouched(&e));
    /* a leverage above 1 (a C that does not belong to the rows) is refused
     * by HC2 and HC3 as a leverage of 1 */
    fixture(&e);
    e.w[3] = 100.0;
    ck_assert_int_eq(run(&e, MG_HC2, 1), MG_ERANGE);
    ck_assert_int_eq(run(&e, MG_HC0, 1), MG_OK);
}
END_TEST

/* The mean model (p = 0, X NULL): V = C^2 sum w_i^2 e_i^2 a_i, by hand:
 * y = 1, 2, 3, 6, w = 1: mean 3, C = 1/4, e = -2, -1, 0, 3, h_i = 1/4,
 * HC0 = (4 + 1 + 0 + 9) / 16 = 14/16, HC3 = HC0 / (3/4)^2 = 14/9. */
START_TEST(mean_model_by_hand)
{
    double b = 3.0, c = 0.25, y[4] = { 1, 2, 3, 6 }, v = 0.0;
    mg_matrix B = mg_matrix_view(&b, 1, 1), C = mg_matrix_view(&c, 1, 1);
    mg_matrix Y = mg_matrix_view(y, 4, 1), V = mg_matrix_view(&v, 1, 1);
    mg_model model = { 0, 1, 1, &B, &C, NULL, 3 };
    ck_assert_int_eq(mg_hc_cov(&model, 0, MG_HC0, NULL, &Y, NULL, &V), MG_OK);
    ck_assert(v == 14.0 / 16.0);
    ck_assert_int_eq(mg_hc_cov(&model, 0, MG_HC1, NULL, &Y, NULL, &V), MG_OK);
    ck_assert(fabs(v - 14.0 / 12.0) <= 4 * DBL_EPSILON * v);
    ck_assert_int_eq(mg_hc_cov(&model, 0, MG_HC2, NULL, &Y, NULL, &V), MG_OK);
    ck_assert(fabs(v - 14.0 / 12.0) <= 8 * DBL_EPSILON * v);
    ck_assert_int_eq(mg_hc_cov(&model, 0, MG_HC3, NULL, &Y, NULL, &V), MG_OK);
    ck_assert(fabs(v - 14.0 / 9.0) <= 8 * DBL_EPSILON * v);
    /* X given for p = 0 is a shape error */
    double x = 1.0;
    mg_matrix X = mg_matrix_view(&x, 4, 1);
    ck_assert_int_eq(mg_hc_cov(&model, 0, MG_HC0, &X, &Y, NULL, &V), MG_EDIM);
}
END_TEST

#ifdef MGT_FAILALLOC
/* For n = 1, 2, ... the n-th allocation of mg_hc_cov (create, finish)
 * fails until a call runs with none failed: MG_ENOMEM with V untouched, or
 * MG_OK with bitwise the undisturbed answer (warm-up and OpenMP as in
 * test_predict's sweep). */
START_TEST(alloc_failures)
{
    problem pr = make_problem(78, 600, 1, 2, 1);
    const size_t m = pr.rm.m;
    mgt_mat ref = mgt_alloc(m, m, 1), out = mgt_alloc(m, m, 1);
    ck_assert_int_eq(mg_hc_cov(&pr.rm.model, 1, MG_HC3, &pr.X.v, &pr.Y.v, &pr.w.v, &ref.v), MG_OK);
    mgt_failalloc_spare("omp");
    int done = 0;
    for (size_t n = 1; n < 1000 && !done; n++) {
        mgt_fill(&out, 42.0);
        double *snap = mgt_snapshot(&out);
        mgt_failalloc_arm(n);
        mg_status st = mg_hc_cov(&pr.rm.model, 1, MG_HC3, &pr.X.v, &pr.Y.v, &pr.w.v, &out.v);
        mgt_failalloc_disarm();
        if (st == MG_ENOMEM && mgt_failalloc_injected()) {
            ck_assert_msg(mgt_unchanged(&out, snap), "allocation %zu: V written", n);
        } else {
            ck_assert_msg(st == MG_OK, "allocation %zu failed: status %d", n, (int)st);
            ck_assert(memcmp(out.buf, ref.buf, out.len * sizeof(double)) == 0);
            done = !mgt_failalloc_injected();
        }
        free(snap);
        ck_assert_uint_eq(mgt_failalloc_live(NULL, NULL), 0); /* no leak on any path */
    }
    mgt_failalloc_spare(NULL);
    ck_assert(done);
    mgt_free(&ref);
    mgt_free(&out);
    free_problem(&pr);
}
END_TEST
#endif

/* ---- images (mg_hc_save / mg_hc_load) ---- */

/* hc's image in a fresh buffer (*len bytes). */
static unsigned char *image_of(const mg_hc *hc, size_t *len)
{
    size_t size = 0;
    ck_assert_int_eq(mg_hc_save_size(hc, &size), MG_OK);
    unsigned char *img = malloc(size + 1);
    ck_assert_ptr_nonnull(img);
    ck_assert_int_eq(mg_hc_save(hc, img, size, len), MG_OK);
    ck_assert_uint_eq(*len, size);
    return img;
}

/* Feeds rows [i0, i1) in calls of `chunk` rows. */
static void feed_range(mg_hc *hc, const problem *pr, size_t i0, size_t i1, size_t chunk)
{
    for (size_t i = i0; i < i1; i += chunk)
        ck_assert_int_eq(feed(hc, pr, i, i1 - i < chunk ? i1 - i : chunk), MG_OK);
}

/* V of hc, bit for bit comparable (NaN where aliased: compared as bits). */
static void finish_bits(const mg_hc *hc, size_t m, double *V)
{
    mg_matrix v = mg_matrix_view(V, m, m);
    ck_assert_int_eq(mg_hc_finish(hc, &v), MG_OK);
}

/* Saved half-way, loaded into a new state, continued: the same bits as
 * the uninterrupted pass (finish, and a second image); a loaded part
 * merged: the same bits as the original part merged.  Every type, with
 * zero weights and an aliased column in some variants; 700 rows, so that
 * the cut (at a call boundary: the calls, not the rows, end a block)
 * falls inside the accumulator's 256-row blocks. */
START_TEST(image_round_trip)
{
    const int t = _i % 4, variant = _i / 4;
    problem pr = make_problem(900 + (uint64_t)_i, 700, variant != 1, variant == 2 ? 2 : variant,
                              variant == 2);
    const size_t m = pr.rm.m, j = (size_t)variant % K, chunk = 61, cut = 6 * chunk;
    const mg_hc_type type = (mg_hc_type)t;
    double *Va = malloc(m * m * sizeof *Va), *Vb = malloc(m * m * sizeof *Vb);
    mg_hc *a = NULL, *b = NULL, *c = NULL;
    ck_assert_int_eq(mg_hc_create(&pr.rm.model, j, type, &a), MG_OK);
    ck_assert_int_eq(mg_hc_create(&pr.rm.model, j, type, &b), MG_OK);
    ck_assert_int_eq(mg_hc_create(&pr.rm.model, j, type, &c), MG_OK);
    feed_range(a, &pr, 0, pr.N, chunk);
    feed_range(b, &pr, 0, cut, chunk);
    size_t len = 0, len2 = 0;
    unsigned char *img = image_of(b, &len);
    ck_assert_int_eq(mg_hc_load(c, img, len), MG_OK);
    /* the loaded state saves the same image */
    unsigned char *img2 = image_of(c, &len2);
    ck_assert(len2 == len && memcmp(img, img2, len) == 0);
    feed_range(c, &pr, cut, pr.N, chunk);
    finish_bits(a, m, Va);
    finish_bits(c, m, Vb);
    ck_assert(memcmp(Va, Vb, m * m * sizeof *Va) == 0);
    free(img);
    free(img2);
    /* merge: b (rows [0, cut)) with the rest, directly or through an image */
    mg_hc *rest = NULL, *b2 = NULL, *d = NULL;
    ck_assert_int_eq(mg_hc_create(&pr.rm.model, j, type, &rest), MG_OK);
    ck_assert_int_eq(mg_hc_create(&pr.rm.model, j, type, &b2), MG_OK);
    ck_assert_int_eq(mg_hc_create(&pr.rm.model, j, type, &d), MG_OK);
    feed_range(rest, &pr, cut, pr.N, chunk);
    feed_range(b2, &pr, 0, cut, chunk);
    img = image_of(rest, &len);
    ck_assert_int_eq(mg_hc_load(d, img, len), MG_OK);
    ck_assert_int_eq(mg_hc_merge(b, rest), MG_OK);
    ck_assert_int_eq(mg_hc_merge(b2, d), MG_OK);
    finish_bits(b, m, Va);
    finish_bits(b2, m, Vb);
    ck_assert(memcmp(Va, Vb, m * m * sizeof *Va) == 0);
    free(img);
    mg_hc_free(a);
    mg_hc_free(b);
    mg_hc_free(c);
    mg_hc_free(rest);
    mg_hc_free(b2);
    mg_hc_free(d);
    free(Va);
    free(Vb);
    free_problem(&pr);
}
END_TEST

/* A refused load leaves the state as it was: its image is unchanged. */
static void assert_refused(mg_hc *hc, const unsigned char *img, size_t len, mg_status want,
                           const char *what, size_t at)
{
    size_t l0 = 0, l1 = 0;
    unsigned char *before = image_of(hc, &l0);
    mg_status st = mg_hc_load(hc, img, len);
    ck_assert_msg(st == want, "%s %zu: status %d, want %d", what, at, (int)st, (int)want);
    unsigned char *after = image_of(hc, &l1);
    ck_assert_msg(l0 == l1 && memcmp(before, after, l0) == 0, "%s %zu: state changed", what, at);
    free(before);
    free(after);
}

/* Every truncation, every flipped byte (header, model, sums, checksum),
 * trailing bytes: MG_EPARSE, the state untouched.  Another design
 * (intercept, so m): MG_EDIM; another output, type or coefficients:
 * MG_EINVAL.  Save's own errors. */
START_TEST(image_refused)
{
    problem pr = make_problem(950, 300, 1, 2, 0);
    mg_hc *src = NULL, *dst = NULL;
    ck_assert_int_eq(mg_hc_create(&pr.rm.model, 0, MG_HC2, &src), MG_OK);
    ck_assert_int_eq(mg_hc_create(&pr.rm.model, 0, MG_HC2, &dst), MG_OK);
    feed_range(src, &pr, 0, pr.N, 100);
    feed_range(dst, &pr, 0, 50, 100);  /* some sums of its own, to be kept */
    size_t len = 0;
    unsigned char *img = image_of(src, &len);
    unsigned char *bad = malloc(len + 8);
    for (size_t l = 0; l < len; l++)
        assert_refused(dst, img, l, MG_EPARSE, "truncated to", l);
    memcpy(bad, img, len);
    memset(bad + len, 0, 8);
    assert_refused(dst, bad, len + 8, MG_EPARSE, "trailing bytes", 8);
    for (size_t at = 0; at < len; at++) {
        memcpy(bad, img, len);
        bad[at] ^= 0x10;
        assert_refused(dst, bad, len, MG_EPARSE, "byte flipped at", at);
    }
    /* another design: no intercept (m = 3, not 4) */
    problem other = make_problem(951, 300, 0, 2, 0);
    mg_hc *o = NULL;
    ck_assert_int_eq(mg_hc_create(&other.rm.model, 0, MG_HC2, &o), MG_OK);
    assert_refused(o, img, len, MG_EDIM, "no intercept", 0);
    mg_hc_free(o);
    /* the same design, another output, type or coefficient */
    ck_assert_int_eq(mg_hc_create(&pr.rm.model, 1, MG_HC2, &o), MG_OK);
    assert_refused(o, img, len, MG_EINVAL, "output", 1);
    mg_hc_free(o);
    ck_assert_int_eq(mg_hc_create(&pr.rm.model, 0, MG_HC3, &o), MG_OK);
    assert_refused(o, img, len, MG_EINVAL, "type", 3);
    mg_hc_free(o);
    double keep = pr.rm.coef[0];
    pr.rm.coef[0] = nextafter(keep, 0.0);
    ck_assert_int_eq(mg_hc_create(&pr.rm.model, 0, MG_HC2, &o), MG_OK);
    pr.rm.coef[0] = keep;
    assert_refused(o, img, len, MG_EINVAL, "coefficient", 0);
    mg_hc_free(o);
    /* save and load arguments */
    size_t size = 0, got = 7;
    ck_assert_int_eq(mg_hc_save_size(NULL, &size), MG_EINVAL);
    ck_assert_int_eq(mg_hc_save_size(src, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_hc_save(src, bad, len - 1, &got), MG_EINVAL);
    ck_assert_int_eq(mg_hc_save(src, NULL, len, &got), MG_EINVAL);
    ck_assert_int_eq(mg_hc_save(NULL, bad, len, &got), MG_EINVAL);
    ck_assert_int_eq(mg_hc_save(src, bad, len, NULL), MG_EINVAL);
    ck_assert_uint_eq(got, 7);
    ck_assert_int_eq(mg_hc_load(NULL, img, len), MG_EINVAL);
    ck_assert_int_eq(mg_hc_load(dst, NULL, len), MG_EINVAL);
    /* and the intact image loads */
    ck_assert_int_eq(mg_hc_load(dst, img, len), MG_OK);
    free(img);
    free(bad);
    mg_hc_free(src);
    mg_hc_free(dst);
    free_problem(&pr);
    free_problem(&other);
}
END_TEST

/* V does not depend on OpenBLAS's thread count: bit for bit the same on
 * 1, 2 and 3 threads, every type, weighted, m = 8.
 * (OpenBLAS runs dsymv on its threads at every size; the products with
 * the symmetric C and M used it, and V's last bits followed the count, so
 * `mpirun -np 1 matgrad fit --robust`, bound to one core, differed from the
 * plain command.)  openblas_set_num_threads is looked up at run time, as
 * tests/test_kernels.c does; another BLAS: nothing to vary. */
START_TEST(thread_count_bitwise)
{
    void (*set_threads)(int) = NULL;
    int (*get_threads)(void) = NULL;
    /* POSIX's way to store dlsym's result in a function pointer */
    *(void **)&set_threads = dlsym(RTLD_DEFAULT, "openblas_set_num_threads");
    *(void **)&get_threads = dlsym(RTLD_DEFAULT, "openblas_get_num_threads");
    if (!set_threads || !get_threads)
        return;
    const int saved = get_threads();
    /* 7 predictors (m = 8): with dsymv, m = 4 happened to give the same
     * bits on any count here, m = 6 and 8 did not */
    enum { N7 = 2000, P7 = 7 };
    mgt_rng r = mgt_rng_seed(977);
    mgt_mat X = mgt_random(&r, N7, P7, 0), Y = mgt_alloc(N7, 1, 0), w = mgt_alloc(N7, 1, 0);
    for (size_t i = 0; i < N7; i++) {
        const double x0 = mgt_get(&X.v, i, 0);
        w.v.data[i] = 0.5 + (double)(i % 4) * 0.5;
        Y.v.data[i] = 1.0 + x0 - mgt_get(&X.v, i, 3) + (0.2 + fabs(x0)) * mgt_uniform(&r);
    }
    unsigned char aliased[P7 + 1] = { 0 };
    ref_model rm;
    ck_assert_int_eq(ref_model_fit(&X.v, 1, &Y.v, &w.v, aliased, &rm), 0);
    const size_t m = rm.m;
    double *V[3];
    for (int t = MG_HC0; t <= MG_HC3; t++) {
        for (int n = 0; n < 3; n++) {
            set_threads(n + 1);
            V[n] = malloc(m * m * sizeof *V[n]);
            mg_matrix v = mg_matrix_view(V[n], m, m);
            ck_assert_int_eq(mg_hc_cov(&rm.model, 0, (mg_hc_type)t, &X.v, &Y.v, &w.v, &v), MG_OK);
        }
        set_threads(saved);
        for (int n = 1; n < 3; n++)
            ck_assert_msg(memcmp(V[0], V[n], m * m * sizeof *V[0]) == 0,
                          "HC%d: V on %d OpenBLAS threads differs from 1 thread's", t, n + 1);
        for (int n = 0; n < 3; n++)
            free(V[n]);
    }
    set_threads(saved);
    ref_model_free(&rm);
    mgt_free(&X);
    mgt_free(&Y);
    mgt_free(&w);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("hc");
    TCase *t = tcase_create("core");
    tcase_set_timeout(t, 300);
    tcase_add_loop_test(t, random_designs, 0, 24);
    tcase_add_test(t, zero_weights_drop_rows);
    tcase_add_test(t, leverage_one);
    tcase_add_test(t, fixture_ok);
    tcase_add_test(t, create_errors);
    tcase_add_test(t, accumulate_errors);
    tcase_add_test(t, merge_finish_errors);
    tcase_add_test(t, finish_erange);
    tcase_add_test(t, mean_model_by_hand);
    tcase_add_loop_test(t, image_round_trip, 0, 12);
    tcase_add_test(t, image_refused);
    tcase_add_test(t, thread_count_bitwise);
#ifdef MGT_FAILALLOC
    tcase_add_test(t, alloc_failures);
#endif
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return mgt_run(suite());
}
