/* Private: one blocked pass over A computing the residual's sum of squares
 * and, optionally, A^T R, for the MSE loss and gradient. */
#ifndef MATGRAD_MSE_PASS_H
#define MATGRAD_MSE_PASS_H

#include "matgrad/core.h"

/* Doubles of scratch mg__mse_pass needs for an N x j A and k outputs. */
size_t mg__mse_scratch_len(size_t N, size_t j, size_t k);

/* With R = Y - A W: *ssq = sum_ij R_ij^2 and, if atr != NULL, atr = A^T R
 * (j x k, contiguous, overwritten).  Shapes must already be checked.
 * scratch holds mg__mse_scratch_len(...) doubles. */
void mg__mse_pass(const mg_matrix *A, const mg_matrix *W, const mg_matrix *Y,
                  double *atr, double *ssq, double *scratch);

#endif /* MATGRAD_MSE_PASS_H */
