#include "mgtest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double SENTINEL = -7.77e300;

mgt_rng mgt_rng_seed(uint64_t seed)
{
    mgt_rng r = { seed * 0x9E3779B97F4A7C15ull + 1 };
    return r;
}

static uint64_t next(mgt_rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double mgt_uniform(mgt_rng *r)
{
    return (double)(next(r) >> 11) * (2.0 / 9007199254740992.0) - 1.0;
}

size_t mgt_below(mgt_rng *r, size_t n)
{
    return (size_t)(next(r) % n);
}

mgt_mat mgt_alloc(size_t rows, size_t cols, size_t pad)
{
    mgt_mat m;
    size_t stride = cols + pad;
    m.len = rows * stride;
    m.buf = malloc((m.len ? m.len : 1) * sizeof(double));
    ck_assert_ptr_nonnull(m.buf);
    for (size_t i = 0; i < m.len; i++)
        m.buf[i] = SENTINEL;
    m.v = mg_matrix_view_stride(m.buf, rows, cols, stride);
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++)
            m.buf[i * stride + j] = 0.0;
    return m;
}

mgt_mat mgt_random(mgt_rng *r, size_t rows, size_t cols, size_t pad)
{
    mgt_mat m = mgt_alloc(rows, cols, pad);
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++)
            *mg_at(&m.v, i, j) = mgt_uniform(r);
    return m;
}

mgt_mat mgt_from(const double *values, size_t rows, size_t cols, size_t pad)
{
    mgt_mat m = mgt_alloc(rows, cols, pad);
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++)
            *mg_at(&m.v, i, j) = values[i * cols + j];
    return m;
}

void mgt_fill(mgt_mat *m, double value)
{
    for (size_t i = 0; i < m->v.rows; i++)
        for (size_t j = 0; j < m->v.cols; j++)
            *mg_at(&m->v, i, j) = value;
}

void mgt_free(mgt_mat *m)
{
    free(m->buf);
    m->buf = NULL;
}

int mgt_padding_intact(const mgt_mat *m)
{
    for (size_t i = 0; i < m->v.rows; i++)
        for (size_t j = m->v.cols; j < m->v.stride; j++)
            if (m->buf[i * m->v.stride + j] != SENTINEL)
                return 0;
    return 1;
}

double *mgt_snapshot(const mgt_mat *m)
{
    double *s = malloc((m->len ? m->len : 1) * sizeof(double));
    ck_assert_ptr_nonnull(s);
    memcpy(s, m->buf, m->len * sizeof(double));
    return s;
}

int mgt_unchanged(const mgt_mat *m, const double *snapshot)
{
    /* Bitwise, so NaN snapshots compare too. */
    return memcmp(m->buf, snapshot, m->len * sizeof(double)) == 0;
}

mgt_problem mgt_problem_make(mgt_rng *r, mgt_shape s)
{
    mgt_problem p = { mgt_random(r, s.N, s.j, s.pad), mgt_random(r, s.j, s.k, s.pad),
                      mgt_random(r, s.N, s.k, s.pad) };
    return p;
}

void mgt_problem_free(mgt_problem *p)
{
    mgt_free(&p->A);
    mgt_free(&p->W);
    mgt_free(&p->Y);
}

double mgt_get(const mg_matrix *m, size_t i, size_t j)
{
    return *mg_at(m, i, j);
}

double mgt_max_abs(const mg_matrix *m)
{
    double mx = 0.0;
    for (size_t i = 0; i < m->rows; i++)
        for (size_t j = 0; j < m->cols; j++)
            mx = fmax(mx, fabs(mgt_get(m, i, j)));
    return mx;
}

double mgt_rel_err(const mg_matrix *a, const mg_matrix *b)
{
    ck_assert_uint_eq(a->rows, b->rows);
    ck_assert_uint_eq(a->cols, b->cols);
    double diff = 0.0;
    for (size_t i = 0; i < a->rows; i++)
        for (size_t j = 0; j < a->cols; j++) {
            double d = fabs(mgt_get(a, i, j) - mgt_get(b, i, j));
            if (isnan(d))
                return INFINITY;
            diff = fmax(diff, d);
        }
    return diff / fmax(mgt_max_abs(b), 1e-300);
}

void ref_matmul(const mg_matrix *A, int ta, const mg_matrix *B, int tb, mg_matrix *C)
{
    size_t m = ta ? A->cols : A->rows, inner = ta ? A->rows : A->cols;
    size_t n = tb ? B->rows : B->cols;
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            long double s = 0.0L;
            for (size_t p = 0; p < inner; p++) {
                double a = ta ? mgt_get(A, p, i) : mgt_get(A, i, p);
                double b = tb ? mgt_get(B, j, p) : mgt_get(B, p, j);
                s += (long double)a * b;
            }
            *mg_at(C, i, j) = (double)s;
        }
}

static long double residual(const mg_matrix *A, const mg_matrix *W, const mg_matrix *Y,
                            size_t i, size_t c)
{
    long double s = mgt_get(Y, i, c);
    for (size_t p = 0; p < A->cols; p++)
        s -= (long double)mgt_get(A, i, p) * mgt_get(W, p, c);
    return s;
}

double ref_mse_loss(const mg_matrix *A, const mg_matrix *W, const mg_matrix *Y)
{
    long double s = 0.0L;
    for (size_t i = 0; i < A->rows; i++)
        for (size_t c = 0; c < W->cols; c++) {
            long double r = residual(A, W, Y, i, c);
            s += r * r;
        }
    return (double)(s / A->rows);
}

void ref_mse_grad(const mg_matrix *A, const mg_matrix *W, const mg_matrix *Y, mg_matrix *G)
{
    /* G_pc = -(2/N) sum_i A_ip (Y - A W)_ic, straight from seed 000's sums. */
    for (size_t p = 0; p < A->cols; p++)
        for (size_t c = 0; c < W->cols; c++) {
            long double s = 0.0L;
            for (size_t i = 0; i < A->rows; i++)
                s += (long double)mgt_get(A, i, p) * residual(A, W, Y, i, c);
            *mg_at(G, p, c) = (double)(-2.0L * s / A->rows);
        }
}

const char *mgt_data_path(const char *rel)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", MG_DATA_DIR, rel);
    return buf;
}

int mgt_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
