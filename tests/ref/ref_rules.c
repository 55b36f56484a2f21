/* SPDX-License-Identifier: BSD-3-Clause */
#include "ref_rules.h"
#include "mgtest.h"

#include <math.h>

void ref_dense_forward(const mg_matrix *Z, const mg_matrix *W, const mg_matrix *b, mg_matrix *A)
{
    for (size_t i = 0; i < Z->rows; i++)
        for (size_t j = 0; j < W->cols; j++) {
            long double s = b ? mgt_get(b, 0, j) : 0.0L;
            for (size_t p = 0; p < Z->cols; p++)
                s += (long double)mgt_get(Z, i, p) * mgt_get(W, p, j);
            *mg_at(A, i, j) = (double)s;
        }
}

void ref_dense_backward(const mg_matrix *Z, const mg_matrix *W, const mg_matrix *dA,
                        mg_matrix *dZ, mg_matrix *dW, mg_matrix *db)
{
    const size_t m = Z->rows, k = Z->cols, n = W->cols;
    for (size_t i = 0; i < m; i++)
        for (size_t p = 0; p < k; p++) {
            long double s = 0.0L;
            for (size_t j = 0; j < n; j++)
                s += (long double)mgt_get(dA, i, j) * mgt_get(W, p, j);
            *mg_at(dZ, i, p) = (double)s;
        }
    for (size_t p = 0; p < k; p++)
        for (size_t j = 0; j < n; j++) {
            long double s = 0.0L;
            for (size_t i = 0; i < m; i++)
                s += (long double)mgt_get(Z, i, p) * mgt_get(dA, i, j);
            *mg_at(dW, p, j) = (double)s;
        }
    for (size_t j = 0; j < n; j++) {
        long double s = 0.0L;
        for (size_t i = 0; i < m; i++)
            s += mgt_get(dA, i, j);
        *mg_at(db, 0, j) = (double)s;
    }
}

static long double row_dot(const mg_matrix *X, size_t i, const mg_matrix *b)
{
    long double s = 0.0L;
    for (size_t j = 0; j < X->cols; j++)
        s += (long double)mgt_get(X, i, j) * mgt_get(b, j, 0);
    return s;
}

double ref_bilinear(const mg_matrix *a, const mg_matrix *X, const mg_matrix *b)
{
    long double s = 0.0L;
    for (size_t i = 0; i < X->rows; i++)
        s += mgt_get(a, i, 0) * row_dot(X, i, b);
    return (double)s;
}

double ref_a_exp_Xb(const mg_matrix *a, const mg_matrix *X, const mg_matrix *b)
{
    long double s = 0.0L;
    for (size_t i = 0; i < X->rows; i++)
        s += mgt_get(a, i, 0) * expl(row_dot(X, i, b));
    return (double)s;
}

void ref_grad_bilinear(const mg_matrix *a, const mg_matrix *b, mg_matrix *G)
{
    for (size_t i = 0; i < a->rows; i++)
        for (size_t j = 0; j < b->rows; j++)
            *mg_at(G, i, j) = mgt_get(a, i, 0) * mgt_get(b, j, 0);
}

void ref_grad_a_exp_Xb(const mg_matrix *a, const mg_matrix *X, const mg_matrix *b, mg_matrix *G)
{
    for (size_t i = 0; i < X->rows; i++) {
        long double u = mgt_get(a, i, 0) * expl(row_dot(X, i, b));
        for (size_t j = 0; j < X->cols; j++)
            *mg_at(G, i, j) = (double)(u * mgt_get(b, j, 0));
    }
}

void ref_grad_sandwich(const mg_matrix *A, const mg_matrix *GY, const mg_matrix *B, mg_matrix *GX)
{
    for (size_t i = 0; i < A->cols; i++)
        for (size_t j = 0; j < B->rows; j++) {
            long double s = 0.0L;
            for (size_t r = 0; r < A->rows; r++)
                for (size_t c = 0; c < B->cols; c++)
                    s += (long double)mgt_get(A, r, i) * mgt_get(GY, r, c) * mgt_get(B, j, c);
            *mg_at(GX, i, j) = (double)s;
        }
}

double ref_sandwich_value(const mg_matrix *A, const mg_matrix *X, const mg_matrix *B, const mg_matrix *GY)
{
    long double s = 0.0L;
    for (size_t r = 0; r < A->rows; r++)
        for (size_t c = 0; c < B->cols; c++) {
            long double y = 0.0L;
            for (size_t i = 0; i < X->rows; i++)
                for (size_t j = 0; j < X->cols; j++)
                    y += (long double)mgt_get(A, r, i) * mgt_get(X, i, j) * mgt_get(B, j, c);
            s += y * mgt_get(GY, r, c);
        }
    return (double)s;
}

enum { NMAX = 64 };

/* Gauss-Jordan on [X | I] in long double; returns det X. */
static long double gauss_jordan(const mg_matrix *X, long double inv[NMAX][NMAX])
{
    const size_t n = X->rows;
    static long double a[NMAX][2 * NMAX];
    long double det = 1.0L;
    ck_assert_uint_le(n, NMAX);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < 2 * n; j++)
            a[i][j] = j < n ? (long double)mgt_get(X, i, j) : (j - n == i ? 1.0L : 0.0L);
    for (size_t c = 0; c < n; c++) {
        size_t piv = c;
        for (size_t r = c + 1; r < n; r++)
            if (fabsl(a[r][c]) > fabsl(a[piv][c]))
                piv = r;
        if (piv != c) {
            det = -det;
            for (size_t j = 0; j < 2 * n; j++) {
                long double t = a[c][j];
                a[c][j] = a[piv][j];
                a[piv][j] = t;
            }
        }
        long double p = a[c][c];
        det *= p;
        if (p == 0.0L)
            return 0.0L;
        for (size_t j = 0; j < 2 * n; j++)
            a[c][j] /= p;
        for (size_t r = 0; r < n; r++) {
            if (r == c)
                continue;
            long double f = a[r][c];
            for (size_t j = 0; j < 2 * n; j++)
                a[r][j] -= f * a[c][j];
        }
    }
    if (inv)
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++)
                inv[i][j] = a[i][n + j];
    return det;
}

static long double INV[NMAX][NMAX];

void ref_inverse(const mg_matrix *X, mg_matrix *Xi)
{
    gauss_jordan(X, INV);
    for (size_t i = 0; i < X->rows; i++)
        for (size_t j = 0; j < X->rows; j++)
            *mg_at(Xi, i, j) = (double)INV[i][j];
}

long double ref_det(const mg_matrix *X)
{
    return gauss_jordan(X, NULL);
}

void ref_grad_inverse(const mg_matrix *X, const mg_matrix *GY, mg_matrix *GX)
{
    const size_t n = X->rows;
    gauss_jordan(X, INV);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            long double s = 0.0L;
            for (size_t r = 0; r < n; r++)
                for (size_t c = 0; c < n; c++)
                    s += INV[r][i] * mgt_get(GY, r, c) * INV[j][c];
            *mg_at(GX, i, j) = (double)-s;
        }
}

double ref_inverse_value(const mg_matrix *X, const mg_matrix *GY)
{
    const size_t n = X->rows;
    gauss_jordan(X, INV);
    long double s = 0.0L;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            s += INV[i][j] * mgt_get(GY, i, j);
    return (double)s;
}

void ref_grad_logdet(const mg_matrix *X, mg_matrix *G)
{
    gauss_jordan(X, INV);
    for (size_t i = 0; i < X->rows; i++)
        for (size_t j = 0; j < X->rows; j++)
            *mg_at(G, i, j) = (double)INV[j][i];
}

void ref_grad_det(const mg_matrix *X, mg_matrix *G)
{
    long double det = gauss_jordan(X, INV);
    for (size_t i = 0; i < X->rows; i++)
        for (size_t j = 0; j < X->rows; j++)
            *mg_at(G, i, j) = (double)(det * INV[j][i]);
}

long double ref_act(mg_act f, long double x)
{
    switch (f) {
    case MG_ACT_IDENTITY: return x;
    case MG_ACT_RELU:     return x > 0.0L ? x : 0.0L;
    case MG_ACT_SIGMOID:  return 1.0L / (1.0L + expl(-x));
    case MG_ACT_TANH:     return tanhl(x);
    case MG_ACT_EXP:      return expl(x);
    case MG_ACT_SIN:      return sinl(x);
    }
    return NAN;
}

long double ref_act_d(mg_act f, long double x)
{
    switch (f) {
    case MG_ACT_IDENTITY: return 1.0L;
    case MG_ACT_RELU:     return x > 0.0L ? 1.0L : 0.0L;
    case MG_ACT_SIGMOID: {
        long double e = expl(-x);
        return e / ((1.0L + e) * (1.0L + e));
    }
    case MG_ACT_TANH: {
        long double c = coshl(x);
        return 1.0L / (c * c);
    }
    case MG_ACT_EXP:      return expl(x);
    case MG_ACT_SIN:      return cosl(x);
    }
    return NAN;
}
