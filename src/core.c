/* SPDX-License-Identifier: BSD-3-Clause */
/* Core: views, status messages, and the argument checks every module shares. */
#include "matgrad/core.h"
#include "internal.h"

#include <lapack.h>
#include <lapacke.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const char *mg_strerror(mg_status s)
{
    switch (s) {
    case MG_OK:         return "success";
    case MG_EINVAL:     return "invalid argument (NULL pointer, zero size, stride < cols or bad option)";
    case MG_EDIM:       return "matrix shapes do not conform";
    case MG_ENOMEM:     return "out of memory, or a size computation would overflow";
    case MG_ENONFINITE: return "NaN or Inf where finite values are required";
    case MG_ENOTPD:     return "matrix is not (numerically) positive definite";
    case MG_ESINGULAR:  return "matrix is singular";
    case MG_ENOCONV:    return "iteration did not converge (diverged or hit its limit)";
    case MG_EIO:        return "input/output error";
    case MG_EPARSE:     return "malformed input";
    case MG_ERANGE:     return "values beyond the range this computation can represent";
    }
    return "unknown status";
}

mg_status mg__lapack_status(int info, mg_status positive)
{
    if (info == 0)
        return MG_OK;
    if (info == LAPACK_WORK_MEMORY_ERROR || info == LAPACK_TRANSPOSE_MEMORY_ERROR)
        return MG_ENOMEM;
    return info < 0 ? MG_EINVAL : positive;
}

mg_status mg__cholesky_lower(double *M, int n)
{
    const lapack_int nn = n, ld = n > 1 ? n : 1;
    lapack_int info = 0;
    if (n > MG__POTF2_MAX)
        /* M = L L^T   (blocked; OpenBLAS may thread it, see MG__POTF2_MAX) */
        info = LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', nn, M, ld);
    else
        /* M = L L^T   (unblocked, one thread, no allocation) */
        LAPACK_dpotf2("L", &nn, M, &ld, &info);
    return mg__lapack_status(info, MG_ENOTPD);
}

const char *matgrad_version(void)
{
    return MG_VERSION_STRING;
}

mg_matrix mg_matrix_view(double *data, size_t rows, size_t cols)
{
    mg_matrix m = { data, rows, cols, cols };
    return m;
}

mg_matrix mg_matrix_view_stride(double *data, size_t rows, size_t cols, size_t stride)
{
    mg_matrix m = { data, rows, cols, stride };
    return m;
}

mg_matrix mg_matrix_block(const mg_matrix *m, size_t i, size_t j, size_t rows, size_t cols)
{
    mg_matrix b = { NULL, rows, cols, m ? m->stride : 0 };
    if (!m || !m->data || i > m->rows || j > m->cols
        || rows > m->rows - i || cols > m->cols - j)
        return b;
    b.data = m->data + i * m->stride + j;
    return b;
}

mg_status mg_matrix_check(const mg_matrix *m)
{
    if (!m || !m->data || m->rows == 0 || m->cols == 0 || m->stride < m->cols)
        return MG_EINVAL;
    /* BLAS/LAPACK take int dimensions and leading dimensions. */
    if (m->rows > INT_MAX || m->stride > INT_MAX)
        return MG_ENOMEM;
    /* The view spans (rows - 1) * stride + cols elements; that count, in
     * bytes, must be addressable. */
    size_t last;
    if (mg__mul_overflows(m->rows - 1, m->stride, &last) || last > SIZE_MAX - m->cols
        || last + m->cols > SIZE_MAX / sizeof(double))
        return MG_ENOMEM;
    return MG_OK;
}

int mg__mul_overflows(size_t a, size_t b, size_t *out)
{
    if (b != 0 && a > SIZE_MAX / b)
        return 1;
    *out = a * b;
    return 0;
}

double *mg__alloc_doubles(size_t a, size_t b)
{
    size_t n;
    if (mg__mul_overflows(a, b, &n) || n > SIZE_MAX / sizeof(double))
        return NULL;
    return malloc((n ? n : 1) * sizeof(double));
}

double *mg__alloc_lines(size_t n)
{
    if (n > (SIZE_MAX - MG__LINE) / sizeof(double))
        return NULL;
    const size_t bytes = ((n ? n : 1) * sizeof(double) + MG__LINE - 1) / MG__LINE * MG__LINE;
    return aligned_alloc(MG__LINE, bytes);
}

mg_status mg__check_all(const mg_matrix *const *ms, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        mg_status s = mg_matrix_check(ms[i]);
        if (s != MG_OK)
            return s;
    }
    return MG_OK;
}

int mg__overlaps(const mg_matrix *a, const mg_matrix *b)
{
    /* Conservative: compares the address ranges the two views span. */
    const double *a0 = a->data, *a1 = a->data + (a->rows - 1) * a->stride + a->cols;
    const double *b0 = b->data, *b1 = b->data + (b->rows - 1) * b->stride + b->cols;
    return (uintptr_t)a0 < (uintptr_t)b1 && (uintptr_t)b0 < (uintptr_t)a1;
}

int mg__all_finite(const double *x, size_t rows, size_t cols, size_t stride)
{
    /* NaN and Inf are exactly the doubles whose exponent bits are all ones.
     * Integer tests vectorise; a floating-point sum of x * 0 (which keeps
     * NaN/Inf) would be one dependent add per entry, four cycles each. */
    const uint64_t E = UINT64_C(0x7ff0000000000000);
    for (size_t i = 0; i < rows; i++) {
        const double *r = x + i * stride;
        uint64_t bad = 0;
        for (size_t j = 0; j < cols; j++) {
            uint64_t b;
            memcpy(&b, &r[j], sizeof b);
            bad |= (uint64_t)((b & E) == E);
        }
        if (bad)
            return 0;
    }
    return 1;
}

void mg__copy(double *dst, size_t dst_stride, const double *src, size_t src_stride,
              size_t rows, size_t cols)
{
    for (size_t i = 0; i < rows; i++)
        memcpy(dst + i * dst_stride, src + i * src_stride, cols * sizeof(double));
}
