/* SPDX-License-Identifier: BSD-3-Clause */
#include "mgtest.h"

#include <float.h>
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

/* One rotation of columns a, b of the N x p long-double matrix U (row
 * stride p) that makes them orthogonal; returns 1 if they were not yet. */
static int jacobi_pair(long double *U, size_t N, size_t p, size_t a, size_t b)
{
    long double al = 0.0L, be = 0.0L, ga = 0.0L;
    for (size_t i = 0; i < N; i++) {
        const long double x = U[i * p + a], y = U[i * p + b];
        al += x * x;
        be += y * y;
        ga += x * y;
    }
    if (ga == 0.0L || fabsl(ga) <= 4.0L * LDBL_EPSILON * sqrtl(al * be))
        return 0;
    const long double zeta = (be - al) / (2.0L * ga);
    const long double t = (zeta >= 0.0L ? 1.0L : -1.0L) / (fabsl(zeta) + sqrtl(1.0L + zeta * zeta));
    const long double c = 1.0L / sqrtl(1.0L + t * t), s = c * t;
    for (size_t i = 0; i < N; i++) {
        const long double x = U[i * p + a], y = U[i * p + b];
        U[i * p + a] = c * x - s * y;
        U[i * p + b] = s * x + c * y;
    }
    return 1;
}

/* Householder QR of the N x p long-double U (row stride p, N >= p) in
 * place, leaving R in its first p rows: same singular values (to a few
 * long-double ulps), and Jacobi then works on p rows instead of N. */
static void householder_r(long double *U, size_t N, size_t p)
{
    for (size_t k = 0; k < p; k++) {
        long double nrm = 0.0L;
        for (size_t i = k; i < N; i++)
            nrm += U[i * p + k] * U[i * p + k];
        nrm = sqrtl(nrm);
        if (nrm == 0.0L)
            continue;
        const long double alpha = U[k * p + k] > 0.0L ? -nrm : nrm;
        U[k * p + k] -= alpha; /* v = x - alpha e1, stored in column k */
        long double vv = 0.0L;
        for (size_t i = k; i < N; i++)
            vv += U[i * p + k] * U[i * p + k];
        for (size_t j = k + 1; j < p; j++) {
            long double d = 0.0L;
            for (size_t i = k; i < N; i++)
                d += U[i * p + k] * U[i * p + j];
            const long double f = 2.0L * d / vv;
            for (size_t i = k; i < N; i++)
                U[i * p + j] -= f * U[i * p + k];
        }
        U[k * p + k] = alpha;
        for (size_t i = k + 1; i < N; i++)
            U[i * p + k] = 0.0L;
    }
}

void mgt_svals(const mg_matrix *X, int intercept, double *smax, double *smin)
{
    const size_t ic = intercept ? 1u : 0u, p = X->cols + ic;
    size_t N = X->rows;
    long double *U = malloc(N * p * sizeof *U);
    ck_assert_ptr_nonnull(U);
    for (size_t i = 0; i < N; i++) {
        if (ic)
            U[i * p] = 1.0L;
        for (size_t j = 0; j < X->cols; j++)
            U[i * p + ic + j] = mgt_get(X, i, j);
    }
    if (N > p) {
        householder_r(U, N, p);
        N = p;
    }
    for (int sweep = 0; sweep < 60; sweep++) {
        int rotated = 0;
        for (size_t a = 0; a + 1 < p; a++)
            for (size_t b = a + 1; b < p; b++)
                rotated |= jacobi_pair(U, N, p, a, b);
        if (!rotated)
            break;
    }
    long double hi = 0.0L, lo = INFINITY;
    for (size_t j = 0; j < p; j++) {
        long double s = 0.0L;
        for (size_t i = 0; i < N; i++)
            s += U[i * p + j] * U[i * p + j];
        hi = fmaxl(hi, sqrtl(s));
        lo = fminl(lo, sqrtl(s));
    }
    free(U);
    *smax = (double)hi;
    *smin = lo <= hi * 8.0L * LDBL_EPSILON ? 0.0 : (double)lo;
}

double mgt_lstsq_fwd_bound(double eps_b, double kappa, double rnorm, double znorm, double bnorm)
{
    const double ke = kappa * eps_b;
    if (!(ke < 0.5))
        return INFINITY;
    return ke / (1.0 - ke) * (2.0 + (kappa + 1.0) * rnorm / (znorm * bnorm));
}

double mgt_col_norm2(const mg_matrix *m, size_t c)
{
    long double s = 0.0L;
    for (size_t i = 0; i < m->rows; i++)
        s += (long double)mgt_get(m, i, c) * mgt_get(m, i, c);
    return (double)sqrtl(s);
}

/* gamma_n = n u / (1 - n u): a sum of n terms or a dot product of length n,
 * in any order, blocked or threaded, with or without FMA, is within
 * gamma_n sum |terms| of the exact value (Higham, ASNA, Sec. 3.1). */
double mgt_gamma(double n)
{
    return n * MGT_U / (1.0 - n * MGT_U);
}

/* Worst-case error bounds of the pass's outputs, evaluated from the data in
 * long double (Higham, ASNA, Sec. 3.5):
 *   r_ic = y_ic - sum_t a_it w_tc is computed within
 *     dr_ic = gamma_{j+1} (|y_ic| + sum_t |a_it| |w_tc|);
 *   ssq = sum_ic r^_ic^2: |dssq| <= gamma_{Nk+1} sum r^2 + sum (2 |r| dr + dr^2);
 *   (A^T R)_pc: |d| <= gamma_N sum_i |a_ip| (|r_ic| + dr_ic) + sum_i |a_ip| dr_ic.
 * Bound on each output of atr in atr_bound (j x k contiguous, may be NULL).
 * Rigorous for every summation order the kernels, OpenMP or OpenBLAS may
 * choose, hence for every machine and thread count. */
double mgt_mse_bounds(const mg_matrix *A, const mg_matrix *W, const mg_matrix *Y, double *atr_bound)
{
    const size_t N = A->rows, j = A->cols, k = W->cols;
    const long double gj = mgt_gamma((double)j + 1.0), gN = mgt_gamma((double)N);
    const long double gs = mgt_gamma((double)(N * k) + 1.0);
    long double ssq = 0.0L, extra = 0.0L;
    if (atr_bound)
        for (size_t t = 0; t < j * k; t++)
            atr_bound[t] = 0.0;
    for (size_t i = 0; i < N; i++)
        for (size_t c = 0; c < k; c++) {
            long double r = mgt_get(Y, i, c), mag = fabsl((long double)mgt_get(Y, i, c));
            for (size_t t = 0; t < j; t++) {
                r -= (long double)mgt_get(A, i, t) * mgt_get(W, t, c);
                mag += fabsl((long double)mgt_get(A, i, t) * mgt_get(W, t, c));
            }
            const long double dr = gj * mag;
            ssq += r * r;
            extra += 2.0L * fabsl(r) * dr + dr * dr;
            if (atr_bound)
                for (size_t t = 0; t < j; t++) {
                    const long double a = fabsl((long double)mgt_get(A, i, t));
                    atr_bound[t * k + c] += (double)(gN * a * (fabsl(r) + dr) + a * dr);
                }
        }
    return (double)(gs * ssq + extra);
}

void mgt_assert_product(const mg_matrix *got, const mg_matrix *ref, const mg_matrix *A, int ta,
                        const mg_matrix *B, int tb, const mg_matrix *bias)
{
    const size_t inner = ta ? A->rows : A->cols;
    const double g = mgt_gamma((double)inner + (bias ? 1.0 : 0.0));
    for (size_t i = 0; i < got->rows; i++)
        for (size_t j = 0; j < got->cols; j++) {
            long double mag = bias ? fabsl((long double)mgt_get(bias, 0, j)) : 0.0L;
            for (size_t p = 0; p < inner; p++) {
                const double a = ta ? mgt_get(A, p, i) : mgt_get(A, i, p);
                const double b = tb ? mgt_get(B, j, p) : mgt_get(B, p, j);
                mag += fabsl((long double)a * b);
            }
            const double r = mgt_get(ref, i, j), e = fabs(mgt_get(got, i, j) - r);
            ck_assert_msg(e <= g * (double)mag + MGT_U * fabs(r),
                          "(%zu,%zu): error %.3g > bound %.3g", i, j, e, g * (double)mag + MGT_U * fabs(r));
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
