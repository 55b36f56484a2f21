/* SPDX-License-Identifier: BSD-3-Clause */
/* Private helpers shared by the modules; not installed. */
#ifndef MATGRAD_INTERNAL_H
#define MATGRAD_INTERNAL_H

#include "matgrad/core.h"

#include <stddef.h>

/* Internal functions whose result must be looked at: a dropped status is how
 * a failed allocation used to turn into MG_OK with a wrong answer. */
#if defined(__GNUC__) || defined(__clang__)
#define MG__MUST_USE __attribute__((warn_unused_result))
#else
#define MG__MUST_USE
#endif

/* The one map from a LAPACKE return value to a status:
 *   0                                -> MG_OK;
 *   LAPACK_WORK_MEMORY_ERROR (-1010),
 *   LAPACK_TRANSPOSE_MEMORY_ERROR (-1011): LAPACKE's own allocation failed -> MG_ENOMEM;
 *   any other info < 0 (an argument LAPACK rejected: a matgrad bug, never the
 *   caller's data)                   -> MG_EINVAL;
 *   info > 0                         -> positive, the routine's own meaning (a zero
 *   pivot of dgetrf is MG_ESINGULAR, a non-positive pivot of dpotrf MG_ENOTPD,
 *   an unconverged dgesdd MG_ENOCONV), chosen by the caller. */
MG__MUST_USE mg_status mg__lapack_status(int info, mg_status positive);

/* The one Cholesky factorisation: M = L L^T in place (M n x n column-major,
 * leading dimension n, lower triangle used); MG_ENOTPD on a non-positive
 * pivot.  Up to order MG__POTF2_MAX it is LAPACK's unblocked dpotf2, not
 * dpotrf: from n^2 >= 10000 OpenBLAS runs dpotrf on its threaded level-3
 * driver (dpotrf_L_parallel -> dsyrk_thread), which calls exit(1) when it
 * cannot allocate its job array; dpotf2 runs on the calling thread and
 * allocates nothing, so a machine out of memory gets MG_ENOMEM elsewhere,
 * not an ended process.  Measured (OpenBLAS 0.3.21, 2 threads, best of
 * repeated runs on a shared machine) dpotf2 takes 0.4-0.5x dpotrf's time at
 * n <= 100, 1.05-1.7x at n = 256 and 512 (at most 6 ms), 1.5-2.2x at 1000:
 * up to 512 the difference is small beside the O(N n^2) Gram pass that
 * comes first.  Above, dpotrf stays, and with it the chance that a failed
 * allocation inside OpenBLAS ends the process (docs/reliability.md). */
enum { MG__POTF2_MAX = 512 };
MG__MUST_USE mg_status mg__cholesky_lower(double *M, int n);

/* 1 if a * b overflows size_t; otherwise stores it in *out and returns 0. */
MG__MUST_USE int mg__mul_overflows(size_t a, size_t b, size_t *out);

/* malloc of a * b doubles; NULL on overflow or failure. */
MG__MUST_USE double *mg__alloc_doubles(size_t a, size_t b);
/* n doubles on cache lines of their own (MG__LINE-byte aligned, the size
 * rounded up to whole lines), for data one thread writes while another
 * reads its neighbour: no line is shared with another allocation.  NULL on
 * overflow or failure; free() releases it. */
enum { MG__LINE = 64 };
MG__MUST_USE double *mg__alloc_lines(size_t n);

/* mg_matrix_check on each of count views; the first failure's status. */
MG__MUST_USE mg_status mg__check_all(const mg_matrix *const *ms, size_t count);

/* 1 if the address ranges spanned by the two views intersect. */
MG__MUST_USE int mg__overlaps(const mg_matrix *a, const mg_matrix *b);

/* 1 if every element of the rows x cols block is finite. */
MG__MUST_USE int mg__all_finite(const double *x, size_t rows, size_t cols, size_t stride);

/* Copies a rows x cols block between (possibly strided) buffers. */
void mg__copy(double *dst, size_t dst_stride, const double *src, size_t src_stride,
              size_t rows, size_t cols);

#define MG__CHECK(expr) do { mg_status mg__s = (expr); if (mg__s != MG_OK) return mg__s; } while (0)

#endif /* MATGRAD_INTERNAL_H */
