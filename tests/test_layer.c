/* SPDX-License-Identifier: BSD-3-Clause */
/* layer: the dense layer's forward and backward pass against the naive
 * loops of seed 002 and against central differences, NULL outputs, IEEE
 * propagation, and every bad-input status. */
#include "mgtest.h"
#include "ref_rules.h"

#include <math.h>
#include <stdlib.h>

typedef struct shape { size_t m, k, n, pad; } shape;

/* 1x1, tall, wide, single input/output, strided views. */
static const shape SHAPES[] = {
    { 1, 1, 1, 0 }, { 1, 1, 1, 3 }, { 5, 3, 4, 0 },  { 7, 2, 9, 2 },  { 1, 6, 3, 1 },
    { 40, 1, 1, 0 }, { 3, 8, 1, 2 }, { 1, 1, 12, 0 }, { 64, 33, 17, 1 }, { 9, 40, 2, 0 },
    { 300, 70, 90, 1 }, /* large enough for the BLAS's blocked, threaded paths */
};
enum { NSHAPES = sizeof SHAPES / sizeof SHAPES[0] };

typedef struct layer { mgt_mat Z, W, b, dA; } layer;

static layer make_layer(mgt_rng *r, shape s)
{
    layer l = { mgt_random(r, s.m, s.k, s.pad), mgt_random(r, s.k, s.n, s.pad),
                mgt_random(r, 1, s.n, s.pad), mgt_random(r, s.m, s.n, s.pad) };
    return l;
}

static void free_layer(layer *l)
{
    mgt_free(&l->Z);
    mgt_free(&l->W);
    mgt_free(&l->b);
    mgt_free(&l->dA);
}

/* Each entry is a k-, n- or m-term dot product (plus the bias): checked
 * entry by entry against gamma_terms times the sum of the products'
 * magnitudes (mgt_assert_product), the worst case of any dgemm, kernel or
 * thread count, plus the reference's rounding. */

START_TEST(forward_matches_reference)
{
    mgt_rng r = mgt_rng_seed(10 + (uint64_t)_i);
    const shape s = SHAPES[_i];
    layer l = make_layer(&r, s);
    mgt_mat A = mgt_alloc(s.m, s.n, s.pad), Aref = mgt_alloc(s.m, s.n, 0);
    for (int with_bias = 0; with_bias < 2; with_bias++) {
        const mg_matrix *b = with_bias ? &l.b.v : NULL;
        mgt_fill(&A, NAN); /* must be overwritten, never read */
        ck_assert_int_eq(mg_dense_forward(&l.Z.v, &l.W.v, b, &A.v), MG_OK);
        ref_dense_forward(&l.Z.v, &l.W.v, b, &Aref.v);
        mgt_assert_product(&A.v, &Aref.v, &l.Z.v, 0, &l.W.v, 0, b);
        ck_assert(mgt_padding_intact(&A));
    }
    free_layer(&l);
    mgt_free(&A);
    mgt_free(&Aref);
}
END_TEST

START_TEST(backward_matches_reference)
{
    mgt_rng r = mgt_rng_seed(20 + (uint64_t)_i);
    const shape s = SHAPES[_i];
    layer l = make_layer(&r, s);
    mgt_mat dZ = mgt_alloc(s.m, s.k, s.pad), dW = mgt_alloc(s.k, s.n, s.pad),
            db = mgt_alloc(1, s.n, s.pad);
    mgt_mat rZ = mgt_alloc(s.m, s.k, 0), rW = mgt_alloc(s.k, s.n, 0), rb = mgt_alloc(1, s.n, 0);
    mgt_fill(&dZ, NAN);
    mgt_fill(&dW, NAN);
    mgt_fill(&db, NAN);
    ck_assert_int_eq(mg_dense_backward(&l.Z.v, &l.W.v, &l.dA.v, &dZ.v, &dW.v, &db.v), MG_OK);
    ref_dense_backward(&l.Z.v, &l.W.v, &l.dA.v, &rZ.v, &rW.v, &rb.v);
    mgt_mat ones = mgt_alloc(1, s.m, 0);
    mgt_fill(&ones, 1.0);
    mgt_assert_product(&dZ.v, &rZ.v, &l.dA.v, 0, &l.W.v, 1, NULL); /* dA W^T */
    mgt_assert_product(&dW.v, &rW.v, &l.Z.v, 1, &l.dA.v, 0, NULL); /* Z^T dA */
    mgt_assert_product(&db.v, &rb.v, &ones.v, 0, &l.dA.v, 0, NULL); /* 1^T dA */
    mgt_free(&ones);
    ck_assert(mgt_padding_intact(&dZ) && mgt_padding_intact(&dW) && mgt_padding_intact(&db));

    /* Every subset of outputs: the ones asked for are the same bits, the
     * others untouched. */
    double *sZ = mgt_snapshot(&dZ), *sW = mgt_snapshot(&dW), *sb = mgt_snapshot(&db);
    for (int mask = 0; mask < 8; mask++) {
        mgt_mat oZ = mgt_alloc(s.m, s.k, s.pad), oW = mgt_alloc(s.k, s.n, s.pad),
                ob = mgt_alloc(1, s.n, s.pad);
        double *zZ = mgt_snapshot(&oZ), *zW = mgt_snapshot(&oW), *zb = mgt_snapshot(&ob);
        ck_assert_int_eq(mg_dense_backward(&l.Z.v, &l.W.v, &l.dA.v, mask & 1 ? &oZ.v : NULL,
                                           mask & 2 ? &oW.v : NULL, mask & 4 ? &ob.v : NULL), MG_OK);
        ck_assert(mgt_unchanged(&oZ, mask & 1 ? sZ : zZ));
        ck_assert(mgt_unchanged(&oW, mask & 2 ? sW : zW));
        ck_assert(mgt_unchanged(&ob, mask & 4 ? sb : zb));
        free(zZ); free(zW); free(zb);
        mgt_free(&oZ); mgt_free(&oW); mgt_free(&ob);
    }
    free(sZ); free(sW); free(sb);
    free_layer(&l);
    mgt_free(&dZ); mgt_free(&dW); mgt_free(&db);
    mgt_free(&rZ); mgt_free(&rW); mgt_free(&rb);
}
END_TEST

/* L = sum(dA .* A(Z, W, b)) has gradients dZ, dW, db exactly (the layer is
 * affine in each of them). */
typedef struct fd_ctx { layer *l; int which; mgt_mat *A; } fd_ctx;

static double layer_loss(const mg_matrix *X, void *p)
{
    fd_ctx *c = p;
    const mg_matrix *Z = c->which == 0 ? X : &c->l->Z.v;
    const mg_matrix *W = c->which == 1 ? X : &c->l->W.v;
    const mg_matrix *b = c->which == 2 ? X : &c->l->b.v;
    ck_assert_int_eq(mg_dense_forward(Z, W, b, &c->A->v), MG_OK);
    long double s = 0.0L;
    for (size_t i = 0; i < c->A->v.rows; i++)
        for (size_t j = 0; j < c->A->v.cols; j++)
            s += (long double)mgt_get(&c->A->v, i, j) * mgt_get(&c->l->dA.v, i, j);
    return (double)s;
}

/* L is affine in each variable, so the central difference has no
 * truncation error at any h.  Rounding: each forward entry A_ij is within
 * gamma_{k+1} (|Z| |W| + |b|)_ij of the exact (any dgemm), so each L value
 * within gamma_{k+1} sum |dA| (|Z| |W| + |b|) + (long-double sum, negligible)
 * and its rounding u |L|; x +- h with h = 0.5 and |x| <= 1 is exact (a
 * multiple of 2^-53 plus 0.5 stays representable: |x| + 0.5 < 2), so the
 * quotient's error is 2 dL / (2h) = 2 dL plus its own rounding u |g|.
 * Checked normwise: max |g - g_fd| <= 2 dL + u max |g|, where dL uses
 * |Z|, |W|, |b| enlarged by h (the perturbed point). */
START_TEST(backward_matches_central_differences)
{
    mgt_rng r = mgt_rng_seed(30 + (uint64_t)_i);
    const shape s = SHAPES[_i];
    if (s.m * s.k * s.n > 100000)
        return; /* 2 (mk + kn + n) forward passes: the small shapes suffice */
    layer l = make_layer(&r, s);
    mgt_mat A = mgt_alloc(s.m, s.n, 0);
    mgt_mat dZ = mgt_alloc(s.m, s.k, 0), dW = mgt_alloc(s.k, s.n, 0), db = mgt_alloc(1, s.n, 0);
    ck_assert_int_eq(mg_dense_backward(&l.Z.v, &l.W.v, &l.dA.v, &dZ.v, &dW.v, &db.v), MG_OK);
    long double mag = 0.0L; /* sum |dA| (|Z| + h)(|W| + h) + |b| + h: also bounds |L| */
    for (size_t i = 0; i < s.m; i++)
        for (size_t j = 0; j < s.n; j++) {
            long double e = fabsl((long double)mgt_get(&l.b.v, 0, j)) + 0.5L;
            for (size_t q = 0; q < s.k; q++)
                e += (fabsl((long double)mgt_get(&l.Z.v, i, q)) + 0.5L) *
                     (fabsl((long double)mgt_get(&l.W.v, q, j)) + 0.5L);
            mag += fabsl((long double)mgt_get(&l.dA.v, i, j)) * e;
        }
    const double dL = (mgt_gamma((double)s.k + 1.0) + MGT_U) * (double)mag;
    mgt_mat *vars[] = { &l.Z, &l.W, &l.b };
    mgt_mat *grads[] = { &dZ, &dW, &db };
    for (int w = 0; w < 3; w++) {
        fd_ctx c = { &l, w, &A };
        mgt_mat N = mgt_alloc(grads[w]->v.rows, grads[w]->v.cols, 0);
        ck_assert_int_eq(mg_fd_gradient(layer_loss, &c, &vars[w]->v, 0.5, &N.v), MG_OK);
        const double tol = (2.0 * dL + MGT_U * mgt_max_abs(&grads[w]->v)) /
                           fmax(mgt_max_abs(&N.v), 1e-300);
        ck_assert_double_le(mgt_rel_err(&grads[w]->v, &N.v), tol);
        mgt_free(&N);
    }
    free_layer(&l);
    mgt_free(&A); mgt_free(&dZ); mgt_free(&dW); mgt_free(&db);
}
END_TEST

/* The seed's 2 x 2 example worked by hand: Z = [1 2; 3 4], W = [5 6; 7 8],
 * dL/dA = [1 0; 0 1] gives dZ = dA W^T = W^T = [5 7; 6 8] and
 * dW = Z^T dA = Z^T = [1 3; 2 4], db = [1 1]. */
START_TEST(seed_002_example)
{
    const double z[] = { 1, 2, 3, 4 }, w[] = { 5, 6, 7, 8 }, da[] = { 1, 0, 0, 1 };
    const double want_dz[] = { 5, 7, 6, 8 }, want_dw[] = { 1, 3, 2, 4 };
    mgt_mat Z = mgt_from(z, 2, 2, 0), W = mgt_from(w, 2, 2, 1), dA = mgt_from(da, 2, 2, 0);
    mgt_mat dZ = mgt_alloc(2, 2, 0), dW = mgt_alloc(2, 2, 0), db = mgt_alloc(1, 2, 0);
    ck_assert_int_eq(mg_dense_backward(&Z.v, &W.v, &dA.v, &dZ.v, &dW.v, &db.v), MG_OK);
    for (int i = 0; i < 4; i++) {
        ck_assert_double_eq(dZ.buf[i], want_dz[i]);
        ck_assert_double_eq(dW.buf[i], want_dw[i]);
    }
    ck_assert_double_eq(db.buf[0], 1.0);
    ck_assert_double_eq(db.buf[1], 1.0);
    mgt_free(&Z); mgt_free(&W); mgt_free(&dA);
    mgt_free(&dZ); mgt_free(&dW); mgt_free(&db);
}
END_TEST

/* IEEE: a NaN in dA reaches dZ's row, dW's column and db's entry it feeds. */
START_TEST(nan_propagates)
{
    mgt_rng r = mgt_rng_seed(40);
    layer l = make_layer(&r, (shape){ 6, 3, 4, 1 });
    *mg_at(&l.dA.v, 2, 1) = NAN;
    mgt_mat dZ = mgt_alloc(6, 3, 0), dW = mgt_alloc(3, 4, 0), db = mgt_alloc(1, 4, 0);
    ck_assert_int_eq(mg_dense_backward(&l.Z.v, &l.W.v, &l.dA.v, &dZ.v, &dW.v, &db.v), MG_OK);
    ck_assert(isnan(mgt_get(&dZ.v, 2, 0)) && isfinite(mgt_get(&dZ.v, 1, 0)));
    ck_assert(isnan(mgt_get(&dW.v, 0, 1)) && isfinite(mgt_get(&dW.v, 0, 0)));
    ck_assert(isnan(mgt_get(&db.v, 0, 1)) && isfinite(mgt_get(&db.v, 0, 0)));
    free_layer(&l);
    mgt_free(&dZ); mgt_free(&dW); mgt_free(&db);
}
END_TEST

START_TEST(bad_input)
{
    mgt_rng r = mgt_rng_seed(50);
    layer l = make_layer(&r, (shape){ 5, 3, 4, 0 });
    mgt_mat A = mgt_alloc(5, 4, 0), dZ = mgt_alloc(5, 3, 0), dW = mgt_alloc(3, 4, 0),
            db = mgt_alloc(1, 4, 0), wrong = mgt_alloc(4, 5, 0), bcol = mgt_alloc(4, 1, 0);
    double *sA = mgt_snapshot(&A), *sZ = mgt_snapshot(&dZ), *sW = mgt_snapshot(&dW),
           *sb = mgt_snapshot(&db);
    mg_matrix narrow = l.Z.v;
    narrow.stride = 2;
    mg_matrix Zv = l.Z.v, Wv = l.W.v, dAv = l.dA.v;

    /* forward */
    ck_assert_int_eq(mg_dense_forward(NULL, &Wv, NULL, &A.v), MG_EINVAL);
    ck_assert_int_eq(mg_dense_forward(&Zv, NULL, NULL, &A.v), MG_EINVAL);
    ck_assert_int_eq(mg_dense_forward(&Zv, &Wv, NULL, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_dense_forward(&narrow, &Wv, NULL, &A.v), MG_EINVAL);
    ck_assert_int_eq(mg_dense_forward(&Zv, &Zv, NULL, &A.v), MG_EDIM);
    ck_assert_int_eq(mg_dense_forward(&Zv, &Wv, &bcol.v, &A.v), MG_EDIM);
    ck_assert_int_eq(mg_dense_forward(&Zv, &Wv, &l.b.v, &wrong.v), MG_EDIM);
    ck_assert_int_eq(mg_dense_forward(&Zv, &Wv, &l.b.v, &l.dA.v), MG_OK);
    mg_matrix Aover = mg_matrix_view(l.Z.buf, 5, 4); /* A over Z's buffer */
    ck_assert_int_eq(mg_dense_forward(&Zv, &Wv, NULL, &Aover), MG_EINVAL);
    ck_assert(mgt_unchanged(&A, sA));

    /* backward */
    ck_assert_int_eq(mg_dense_backward(NULL, &Wv, &dAv, &dZ.v, NULL, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_dense_backward(&Zv, NULL, &dAv, &dZ.v, NULL, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_dense_backward(&Zv, &Wv, NULL, &dZ.v, NULL, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_dense_backward(&Zv, &Zv, &dAv, &dZ.v, NULL, NULL), MG_EDIM);
    ck_assert_int_eq(mg_dense_backward(&Zv, &Wv, &wrong.v, &dZ.v, NULL, NULL), MG_EDIM);
    ck_assert_int_eq(mg_dense_backward(&Zv, &Wv, &dAv, &wrong.v, NULL, NULL), MG_EDIM);
    ck_assert_int_eq(mg_dense_backward(&Zv, &Wv, &dAv, NULL, &wrong.v, NULL), MG_EDIM);
    ck_assert_int_eq(mg_dense_backward(&Zv, &Wv, &dAv, NULL, NULL, &bcol.v), MG_EDIM);
    ck_assert_int_eq(mg_dense_backward(&Zv, &Wv, &dAv, NULL, NULL, &narrow), MG_EINVAL);
    /* an output over an input, and two outputs over each other */
    mg_matrix dZover = mg_matrix_view(l.dA.buf, 5, 3);
    ck_assert_int_eq(mg_dense_backward(&Zv, &Wv, &dAv, &dZover, NULL, NULL), MG_EINVAL);
    mg_matrix dZinW = mg_matrix_view(dW.buf, 5, 3);
    ck_assert_int_eq(mg_dense_backward(&Zv, &Wv, &dAv, &dZinW, &dW.v, NULL), MG_EINVAL);
    mg_matrix dbinW = mg_matrix_view(dW.buf + 4, 1, 4);
    ck_assert_int_eq(mg_dense_backward(&Zv, &Wv, &dAv, NULL, &dW.v, &dbinW), MG_EINVAL);
    ck_assert(mgt_unchanged(&dZ, sZ) && mgt_unchanged(&dW, sW) && mgt_unchanged(&db, sb));
    /* nothing asked: a valid no-op */
    ck_assert_int_eq(mg_dense_backward(&Zv, &Wv, &dAv, NULL, NULL, NULL), MG_OK);

    /* sizes beyond the BLAS integer range */
    double x = 1.0;
    mg_matrix huge = mg_matrix_view(&x, (size_t)1 << 40, 1), one = mg_matrix_view(&x, 1, 1);
    ck_assert_int_eq(mg_dense_forward(&huge, &one, NULL, &huge), MG_ENOMEM);
    ck_assert_int_eq(mg_dense_backward(&huge, &one, &huge, NULL, NULL, NULL), MG_ENOMEM);

    free(sA); free(sZ); free(sW); free(sb);
    free_layer(&l);
    mgt_free(&A); mgt_free(&dZ); mgt_free(&dW); mgt_free(&db); mgt_free(&wrong); mgt_free(&bcol);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("layer");
    TCase *tc = tcase_create("layer");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, forward_matches_reference, 0, NSHAPES);
    tcase_add_loop_test(tc, backward_matches_reference, 0, NSHAPES);
    tcase_add_loop_test(tc, backward_matches_central_differences, 0, NSHAPES);
    tcase_add_test(tc, seed_002_example);
    tcase_add_test(tc, nan_propagates);
    tcase_add_test(tc, bad_input);
    suite_add_tcase(s, tc);
    return mgt_run(s);
}
