/* SPDX-License-Identifier: BSD-3-Clause */
/* matgrad core: matrix views, status codes, messages.
 *
 * A matrix is a non-owning, row-major view: element (i, j) lives at
 * data[i * stride + j].  Vectors are matrices with one column.  Views never
 * allocate or free; the caller owns the memory.
 */
#ifndef MATGRAD_CORE_H
#define MATGRAD_CORE_H

#include "matgrad/version.h"

#include <stddef.h>

/* Marks the public API: the shared library is built with hidden visibility
 * and exports exactly the declarations that carry MG_API. */
#if defined(__GNUC__) || defined(__clang__)
#define MG_API __attribute__((visibility("default")))
#else
#define MG_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mg_matrix {
    double *data;      /* element (i, j) is data[i * stride + j] */
    size_t rows, cols;
    size_t stride;     /* >= cols; lets a view address a sub-block */
} mg_matrix;

typedef enum mg_status {
    MG_OK = 0,
    MG_EINVAL,      /* NULL pointer, zero size, stride < cols, bad option value */
    MG_EDIM,        /* shapes do not conform */
    MG_ENOMEM,      /* allocation failed, or a size computation would overflow */
    MG_ENONFINITE,  /* NaN or Inf where finite input is required */
    MG_ENOTPD,      /* matrix not positive definite (Cholesky failed) */
    MG_ESINGULAR,   /* singular where a full-rank matrix is required */
    MG_ENOCONV,     /* an iteration did not converge */
    MG_EIO,         /* file input/output failed (CLI) */
    MG_EPARSE,      /* malformed text input (CLI) */
    MG_ERANGE       /* finite data beyond the range a computation can represent
                       (e.g. a fit engine column whose magnitude is beyond 2^+-480) */
} mg_status;

/* One-line English message for a status; never NULL (unknown codes get a
 * generic message). */
MG_API const char *mg_strerror(mg_status s);

/* The version of the library linked at run time, "MAJOR.MINOR.PATCH"
 * (MG_VERSION_STRING is the version of the headers compiled against).
 * Named matgrad_, not mg_: CivetWeb and older Mongoose releases export an
 * mg_version() of their own, and one program may link both libraries. */
MG_API const char *matgrad_version(void);

/* A dense view of rows x cols doubles starting at data (stride = cols). */
MG_API mg_matrix mg_matrix_view(double *data, size_t rows, size_t cols);

/* A view with an explicit row stride (stride >= cols for a valid view). */
MG_API mg_matrix mg_matrix_view_stride(double *data, size_t rows, size_t cols, size_t stride);

/* The rows x cols sub-block of m whose top-left element is (i, j).  The
 * result shares m's data and stride.  If the block does not fit inside m the
 * result has data == NULL, which every function rejects with MG_EINVAL. */
MG_API mg_matrix mg_matrix_block(const mg_matrix *m, size_t i, size_t j, size_t rows, size_t cols);

/* MG_OK if m is a usable view: non-NULL, non-NULL data, rows and cols > 0,
 * stride >= cols (MG_EINVAL otherwise); MG_ENOMEM if its extent
 * (rows - 1) * stride + cols overflows size_t or a dimension exceeds the
 * BLAS integer range (INT_MAX). */
MG_API mg_status mg_matrix_check(const mg_matrix *m);

/* Pointer to element (i, j); no bounds check (hot loops use it). */
static inline double *mg_at(const mg_matrix *m, size_t i, size_t j)
{
    return m->data + i * m->stride + j;
}

#ifdef __cplusplus
}
#endif

#endif /* MATGRAD_CORE_H */
