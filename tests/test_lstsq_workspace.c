/* SPDX-License-Identifier: BSD-3-Clause */
/* mg_lstsq_workspace: fits through a workspace are mg_lstsq's, bit for bit
 * (coefficients, every statistic, the status), on shapes that take the
 * small path, that the small path defers (rank-deficient, ill-conditioned),
 * and that take the engine or Householder QR; one workspace serves many
 * fits of new data; bad arguments get their status. */
#include "mgtest.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct shape {
    size_t N, p, k;
    int intercept;
    mg_lstsq_method method;
    int kind; /* 0 random, 1 rank-deficient (a repeated column), 2 kappa ~1e10 */
} shape;

static const shape SHAPES[] = {
    { 20, 2, 1, 0, MG_LSTSQ_AUTO, 0 },     /* small path */
    { 100, 4, 2, 1, MG_LSTSQ_AUTO, 0 },    /* small path, intercept, two outputs */
    { 60, 5, 1, 1, MG_LSTSQ_QR, 1 },       /* small path defers: SVD, minimum norm */
    { 40, 3, 1, 0, MG_LSTSQ_AUTO, 2 },     /* small path, near-collinear */
    { 1000, 10, 1, 1, MG_LSTSQ_AUTO, 0 },  /* above the small path: Householder QR */
    { 3000, 60, 1, 0, MG_LSTSQ_AUTO, 0 },  /* auto -> the engine's normal equations */
    { 50, 4, 1, 0, MG_LSTSQ_SVD, 0 },      /* SVD asked for */
    { 50, 4, 1, 0, MG_LSTSQ_CHOLESKY, 0 }, /* Cholesky asked for */
};

static void fill(const shape *s, mgt_rng *rng, mg_matrix *X, mg_matrix *Y)
{
    for (size_t i = 0; i < s->N; i++) {
        for (size_t j = 0; j < s->p; j++)
            *mg_at(X, i, j) = mgt_uniform(rng);
        if (s->kind == 1 && s->p > 1)
            *mg_at(X, i, s->p - 1) = mgt_get(X, i, 0);
        if (s->kind == 2 && s->p > 1)
            *mg_at(X, i, s->p - 1) = mgt_get(X, i, 0) + 1e-10 * mgt_uniform(rng);
        for (size_t c = 0; c < s->k; c++)
            *mg_at(Y, i, c) = 1.0 + mgt_get(X, i, 0) * (double)(c + 2) + 0.1 * mgt_uniform(rng);
    }
}

typedef struct outs {
    mgt_mat B, SE;
    double sd[4], r2[4], ar2[4];
    mg_lstsq_result res;
    mg_status st;
} outs;

static void outs_init(outs *o, size_t m, size_t k)
{
    memset(o, 0, sizeof *o);
    o->B = mgt_alloc(m, k, 0);
    o->SE = mgt_alloc(m, k, 0);
    o->res.std_err = &o->SE.v;
    o->res.residual_sd = o->sd;
    o->res.r_squared = o->r2;
    o->res.adj_r_squared = o->ar2;
}

/* Bit for bit: B, std_err, sd, R^2, adjusted R^2 and the scalar fields. */
static void same_bits(const outs *a, const outs *b, size_t m, size_t k)
{
    ck_assert_int_eq(a->st, b->st);
    if (a->st != MG_OK)
        return;
    for (size_t j = 0; j < m; j++)
        for (size_t c = 0; c < k; c++) {
            const double x = mgt_get(&a->B.v, j, c), y = mgt_get(&b->B.v, j, c);
            const double u = mgt_get(&a->SE.v, j, c), v = mgt_get(&b->SE.v, j, c);
            ck_assert(memcmp(&x, &y, sizeof x) == 0);
            ck_assert(memcmp(&u, &v, sizeof u) == 0);
        }
    ck_assert(memcmp(a->sd, b->sd, k * sizeof *a->sd) == 0);
    ck_assert(memcmp(a->r2, b->r2, k * sizeof *a->r2) == 0);
    ck_assert(memcmp(a->ar2, b->ar2, k * sizeof *a->ar2) == 0);
    ck_assert_uint_eq(a->res.rank, b->res.rank);
    ck_assert(memcmp(&a->res.rcond, &b->res.rcond, sizeof a->res.rcond) == 0);
    ck_assert_uint_eq(a->res.refine_steps, b->res.refine_steps);
    ck_assert_int_eq(a->res.method, b->res.method);
    ck_assert_uint_eq(a->res.df_residual, b->res.df_residual);
}

START_TEST(fits_are_mg_lstsq_bitwise)
{
    const shape *s = &SHAPES[_i];
    const size_t m = s->p + (size_t)s->intercept;
    mg_lstsq_options o = mg_lstsq_defaults();
    o.intercept = s->intercept;
    o.method = s->method;
    mg_lstsq_workspace *ws = NULL;
    ck_assert_int_eq(mg_lstsq_workspace_create(s->N, s->p, s->k, &o, &ws), MG_OK);
    mgt_rng rng = mgt_rng_seed(100 + (unsigned)_i);
    mgt_mat X = mgt_alloc(s->N, s->p, 1), Y = mgt_alloc(s->N, s->k, 2);
    outs a, b;
    outs_init(&a, m, s->k);
    outs_init(&b, m, s->k);
    /* new data through the same workspace, and a NaN once */
    for (int rep = 0; rep < 4; rep++) {
        fill(s, &rng, &X.v, &Y.v);
        if (rep == 2)
            *mg_at(&Y.v, s->N / 2, 0) = NAN;
        a.st = mg_lstsq(&X.v, &Y.v, &a.B.v, &o, &a.res);
        b.st = mg_lstsq_workspace_fit(ws, &X.v, &Y.v, &b.B.v, &b.res);
        ck_assert_int_eq(a.st, rep == 2 ? MG_ENONFINITE : MG_OK);
        same_bits(&a, &b, m, s->k);
    }
    mg_lstsq_workspace_free(ws);
    mgt_free(&X); mgt_free(&Y);
    mgt_free(&a.B); mgt_free(&a.SE); mgt_free(&b.B); mgt_free(&b.SE);
}
END_TEST

START_TEST(errors)
{
    mg_lstsq_workspace *ws = (mg_lstsq_workspace *)&ws; /* set to NULL on failure */
    mg_lstsq_options o = mg_lstsq_defaults();
    ck_assert_int_eq(mg_lstsq_workspace_create(10, 2, 1, &o, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_lstsq_workspace_create(0, 2, 1, &o, &ws), MG_EINVAL);
    ck_assert_ptr_null(ws);
    ck_assert_int_eq(mg_lstsq_workspace_create(10, 0, 1, &o, &ws), MG_EINVAL);
    ck_assert_int_eq(mg_lstsq_workspace_create(10, 2, 0, &o, &ws), MG_EINVAL);
    o.method = (mg_lstsq_method)42;
    ck_assert_int_eq(mg_lstsq_workspace_create(10, 2, 1, &o, &ws), MG_EINVAL);
    o = mg_lstsq_defaults();
    o.rank_tol = -1.0;
    ck_assert_int_eq(mg_lstsq_workspace_create(10, 2, 1, &o, &ws), MG_EINVAL);
    /* weights: the engine's path, which has no workspace to keep */
    mgt_mat w = mgt_alloc(10, 1, 0);
    o = mg_lstsq_defaults();
    o.weights = &w.v;
    ck_assert_int_eq(mg_lstsq_workspace_create(10, 2, 1, &o, &ws), MG_EINVAL);
    ck_assert_ptr_null(ws);
    mgt_free(&w);

    /* an intercept alone (p = 0) is a model */
    o = mg_lstsq_defaults();
    o.intercept = 1;
    ck_assert_int_eq(mg_lstsq_workspace_create(10, 0, 1, &o, &ws), MG_OK);
    mg_lstsq_workspace_free(ws);

    ck_assert_int_eq(mg_lstsq_workspace_create(10, 2, 1, NULL, &ws), MG_OK);
    mgt_mat X = mgt_alloc(10, 2, 0), Y = mgt_alloc(10, 1, 0), B = mgt_alloc(2, 1, 0);
    mgt_mat X3 = mgt_alloc(10, 3, 0), B3 = mgt_alloc(3, 1, 0), Y9 = mgt_alloc(9, 1, 0);
    mgt_mat X9 = mgt_alloc(9, 2, 0), Y2 = mgt_alloc(10, 2, 0), B2 = mgt_alloc(2, 2, 0);
    mgt_rng rng = mgt_rng_seed(7);
    for (size_t i = 0; i < 10; i++) {
        *mg_at(&X.v, i, 0) = mgt_uniform(&rng);
        *mg_at(&X.v, i, 1) = mgt_uniform(&rng);
        *mg_at(&Y.v, i, 0) = mgt_uniform(&rng);
    }
    ck_assert_int_eq(mg_lstsq_workspace_fit(NULL, &X.v, &Y.v, &B.v, NULL), MG_EINVAL);
    /* shapes other than the workspace's */
    ck_assert_int_eq(mg_lstsq_workspace_fit(ws, &X3.v, &Y.v, &B3.v, NULL), MG_EDIM);
    ck_assert_int_eq(mg_lstsq_workspace_fit(ws, &X9.v, &Y9.v, &B.v, NULL), MG_EDIM);
    ck_assert_int_eq(mg_lstsq_workspace_fit(ws, &X.v, &Y2.v, &B2.v, NULL), MG_EDIM);
    /* mg_lstsq's own checks: mismatched views, an output over an input */
    ck_assert_int_eq(mg_lstsq_workspace_fit(ws, &X.v, &Y9.v, &B.v, NULL), MG_EDIM);
    mg_matrix over = mg_matrix_view(X.v.data, 2, 1);
    ck_assert_int_eq(mg_lstsq_workspace_fit(ws, &X.v, &Y.v, &over, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_lstsq_workspace_fit(ws, &X.v, &Y.v, &B.v, NULL), MG_OK);
    mg_lstsq_workspace_free(ws);
    mg_lstsq_workspace_free(NULL);
    mgt_free(&X); mgt_free(&Y); mgt_free(&B); mgt_free(&X3); mgt_free(&B3); mgt_free(&Y9);
    mgt_free(&X9); mgt_free(&Y2); mgt_free(&B2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lstsq_workspace");
    TCase *tc = tcase_create("lstsq_workspace");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, fits_are_mg_lstsq_bitwise, 0, (int)(sizeof SHAPES / sizeof SHAPES[0]));
    tcase_add_test(tc, errors);
    suite_add_tcase(s, tc);
    return mgt_run(s);
}
