/* SPDX-License-Identifier: BSD-3-Clause */
/* Private: pieces of linreg shared by its source files. */
#ifndef MATGRAD_LINREG_INTERNAL_H
#define MATGRAD_LINREG_INTERNAL_H

#include "matgrad/core.h"
#include "matgrad/linreg.h"
#include "internal.h"

/* Checks A (N x j), W (j x k), Y (N x k): valid views, conforming shapes. */
MG__MUST_USE mg_status mg__check_model(const mg_matrix *A, const mg_matrix *W, const mg_matrix *Y);

/* loss and (if G != NULL) G = -(2/N) A^T (Y - A W) into G (j x k,
 * contiguous).  MG_ENONFINITE if either is not finite.  scratch holds
 * mg__mse_scratch_len(N, j, k) doubles. */
MG__MUST_USE mg_status mg__mse_eval(const mg_matrix *A, const mg_matrix *W, const mg_matrix *Y,
                                    double *G, double *loss, double *scratch);

/* 1 if mg_gd_fit runs the Gram strategy for these shapes and options:
 * o->strategy when forced, else the cost model of MG_GD_AUTO. */
MG__MUST_USE int mg__gd_use_gram(size_t N, size_t j, size_t k, const mg_gd_options *o);

#endif /* MATGRAD_LINREG_INTERNAL_H */
