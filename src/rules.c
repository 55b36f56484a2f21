/* SPDX-License-Identifier: BSD-3-Clause */
/* rules: the explicit trace-trick gradients (a^T X b, a^T exp(X b) and the
 * chain rule through Y = A X B), each a BLAS-2 or BLAS-3 call
 * (docs/derivations.md, "Bilinear form", "a^T exp(Xb)", "Chain rule"). */
#include "matgrad/rules.h"
#include "internal.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* v must be a valid column vector. */
MG__MUST_USE static mg_status check_vector(const mg_matrix *v)
{
    MG__CHECK(mg_matrix_check(v));
    return v->cols == 1 ? MG_OK : MG_EDIM;
}

/* out: valid, rows x cols, overlapping none of the count inputs. */
MG__MUST_USE static mg_status check_output(const mg_matrix *out, size_t rows, size_t cols,
                                           const mg_matrix *const *in, size_t count)
{
    MG__CHECK(mg_matrix_check(out));
    if (out->rows != rows || out->cols != cols)
        return MG_EDIM;
    for (size_t i = 0; i < count; i++)
        if (mg__overlaps(out, in[i]))
            return MG_EINVAL;
    return MG_OK;
}

/* a m x 1, X m x n, b n x 1. */
MG__MUST_USE static mg_status check_form(const mg_matrix *a, const mg_matrix *X, const mg_matrix *b)
{
    MG__CHECK(check_vector(a));
    MG__CHECK(mg_matrix_check(X));
    MG__CHECK(check_vector(b));
    return a->rows == X->rows && b->rows == X->cols ? MG_OK : MG_EDIM;
}

/* G = u v^T for column vectors u (m) and v (n), through dger on a zeroed G
 * (dger accumulates).  u has stride incu. */
static void outer(const double *u, int incu, const mg_matrix *v, mg_matrix *G)
{
    for (size_t i = 0; i < G->rows; i++)
        memset(mg_at(G, i, 0), 0, G->cols * sizeof(double));
    /* G = u v^T */
    cblas_dger(CblasRowMajor, (int)G->rows, (int)G->cols, 1.0, u, incu, v->data, (int)v->stride,
               G->data, (int)G->stride);
}

mg_status mg_grad_bilinear(const mg_matrix *a, const mg_matrix *b, mg_matrix *G)
{
    MG__CHECK(check_vector(a));
    MG__CHECK(check_vector(b));
    const mg_matrix *in[] = { a, b };
    MG__CHECK(check_output(G, a->rows, b->rows, in, 2));
    /* df = a^T dX b = tr((a b^T)^T dX)  =>  G = a b^T   (derivations.md, "Bilinear form") */
    outer(a->data, (int)a->stride, b, G);
    return MG_OK;
}

/* A new vector u = X b (m doubles, contiguous; the caller frees it), or
 * NULL when memory runs out. */
MG__MUST_USE static double *times_vector(const mg_matrix *X, const mg_matrix *b)
{
    double *u = mg__alloc_doubles(X->rows, 1);
    if (!u)
        return NULL;
    /* u = X b */
    cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)X->rows, (int)X->cols, 1.0, X->data,
                (int)X->stride, b->data, (int)b->stride, 0.0, u, 1);
    return u;
}

mg_status mg_grad_a_exp_Xb(const mg_matrix *a, const mg_matrix *X, const mg_matrix *b, mg_matrix *G)
{
    MG__CHECK(check_form(a, X, b));
    const mg_matrix *in[] = { a, X, b };
    MG__CHECK(check_output(G, X->rows, X->cols, in, 3));
    const size_t m = X->rows;
    double *u = times_vector(X, b);
    if (!u)
        return MG_ENOMEM;
    /* u = a .* exp(X b): df = a^T (exp(Xb) .* dX b) = (a .* exp(Xb))^T dX b */
    for (size_t i = 0; i < m; i++)
        u[i] = *mg_at(a, i, 0) * exp(u[i]);
    /* G = (a .* exp(X b)) b^T   (derivations.md, "a^T exp(Xb)") */
    outer(u, 1, b, G);
    free(u);
    return MG_OK;
}

/* f = a^T g(X b) with g the identity or exp, for the two value functions. */
MG__MUST_USE static mg_status form_value(const mg_matrix *a, const mg_matrix *X,
                                         const mg_matrix *b, int use_exp, double *f)
{
    MG__CHECK(check_form(a, X, b));
    if (!f)
        return MG_EINVAL;
    double *u = times_vector(X, b);
    if (!u)
        return MG_ENOMEM;
    if (use_exp)
        for (size_t i = 0; i < X->rows; i++)
            u[i] = exp(u[i]);
    /* f = a^T u */
    *f = cblas_ddot((int)X->rows, a->data, (int)a->stride, u, 1);
    free(u);
    return MG_OK;
}

mg_status mg_bilinear(const mg_matrix *a, const mg_matrix *X, const mg_matrix *b, double *f)
{
    return form_value(a, X, b, 0, f);
}

mg_status mg_a_exp_Xb(const mg_matrix *a, const mg_matrix *X, const mg_matrix *b, double *f)
{
    return form_value(a, X, b, 1, f);
}

mg_status mg_grad_sandwich(const mg_matrix *A, const mg_matrix *GY, const mg_matrix *B, mg_matrix *GX)
{
    const mg_matrix *in[] = { A, GY, B };
    MG__CHECK(mg__check_all(in, 3));
    if (A->rows != GY->rows || B->cols != GY->cols)
        return MG_EDIM;
    const size_t p = A->rows, m = A->cols, n = B->rows, q = B->cols;
    MG__CHECK(check_output(GX, m, n, in, 3));

    /* Multiply-adds of the two orders (in double: the products may exceed
     * size_t only in theory, but a comparison must not wrap). */
    const double left_first = (double)m * (double)q * (double)(p + n);
    const double right_first = (double)p * (double)n * (double)(q + m);
    const int left = left_first <= right_first;
    double *T = left ? mg__alloc_doubles(m, q) : mg__alloc_doubles(p, n);
    if (!T)
        return MG_ENOMEM;

    /* df = tr(GY^T A dX B) = tr((A^T GY B^T)^T dX)  =>  GX = A^T GY B^T   (derivations.md, "Chain rule") */
    if (left) {
        /* T = A^T GY   (m x q) */
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)m, (int)q, (int)p, 1.0,
                    A->data, (int)A->stride, GY->data, (int)GY->stride, 0.0, T, (int)q);
        /* GX = T B^T */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)n, (int)q, 1.0,
                    T, (int)q, B->data, (int)B->stride, 0.0, GX->data, (int)GX->stride);
    } else {
        /* T = GY B^T   (p x n) */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)p, (int)n, (int)q, 1.0,
                    GY->data, (int)GY->stride, B->data, (int)B->stride, 0.0, T, (int)n);
        /* GX = A^T T */
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)m, (int)n, (int)p, 1.0,
                    A->data, (int)A->stride, T, (int)n, 0.0, GX->data, (int)GX->stride);
    }
    free(T);
    return MG_OK;
}
