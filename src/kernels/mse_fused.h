/* SPDX-License-Identifier: BSD-3-Clause */
/* Private: the fused one-pass MSE kernel for few outputs (k small).  Each
 * row of A is loaded from memory once and used twice while it sits in
 * registers or L1: first for its residuals r = y - A w, then for its
 * contribution A^T r to the gradient (docs/performance.md, "The MSE
 * gradient: one fused pass"). */
#ifndef MATGRAD_MSE_FUSED_H
#define MATGRAD_MSE_FUSED_H

#include <stddef.h>

/* Most outputs the kernel takes (its residual buffer is sized for them). */
enum { MG__FUSED_MAX_K = 32 };

/* Rows [r0, r1) of the model: A (lda), Y (ldy), wT = W^T (k x j,
 * contiguous).  Adds sum_i r_i^2 to *ssq and, when accT != NULL, adds
 * (A^T R)^T (k x j, contiguous) to accT.  The order of every floating-point
 * operation is fixed by the arguments alone (not by the instruction set
 * chosen at run time), so results are bitwise reproducible on a machine.
 * Requires 1 <= k <= MG__FUSED_MAX_K. */
void mg__mse_fused_rows(const double *A, size_t lda, const double *Y, size_t ldy,
                        const double *wT, size_t j, size_t k, size_t r0, size_t r1,
                        double *accT, double *ssq);

/* The same, on at most the instruction set `isa` (cpu.h's MG__ISA_*; all
 * give bitwise identical results), so tests can compare the variants. */
void mg__mse_fused_rows_isa(const double *A, size_t lda, const double *Y, size_t ldy,
                            const double *wT, size_t j, size_t k, size_t r0, size_t r1,
                            double *accT, double *ssq, int isa);

#endif /* MATGRAD_MSE_FUSED_H */
