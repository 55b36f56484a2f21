/* SPDX-License-Identifier: BSD-3-Clause */
/* matgrad layer: forward and backward pass of a dense (affine) layer
 * (docs/derivations.md, "Dense layer").
 *
 * Shapes (one row per example, the autograd frameworks' batch-first habit):
 *     Z  m x k   input batch          W  k x n   weights
 *     b  1 x n   bias (or NULL)       A  m x n   output,  A = Z W + 1 b
 * and for the backward pass, given dA = dL/dA (m x n) of a scalar loss L:
 *     dZ = dA W^T   (m x k)     dW = Z^T dA   (k x n)     db = 1^T dA  (1 x n)
 * Every gradient has the shape of its variable (docs/derivations.md,
 * "Conventions and identities used below").
 *
 * Non-finite values follow IEEE arithmetic through the BLAS: a NaN or Inf in
 * an input reaches the outputs it feeds, and no status reports it.
 * Outputs must not overlap any input or each other (MG_EINVAL).
 */
#ifndef MATGRAD_LAYER_H
#define MATGRAD_LAYER_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A = Z W + 1 b (b broadcast over the m rows; b == NULL means no bias).
 * One dgemm: A is pre-filled with the bias rows and dgemm adds Z W. */
MG_API mg_status mg_dense_forward(const mg_matrix *Z, const mg_matrix *W, const mg_matrix *b /* 1 x n or NULL */,
                           mg_matrix *A);

/* dZ = dA W^T, dW = Z^T dA, db = 1^T dA (the column sums of dA).  Any of
 * dZ, dW, db may be NULL to skip that gradient (e.g. dZ for the first
 * layer, db for a layer without bias); with all three NULL the call only
 * validates its inputs and returns MG_OK, like a backward pass that needs
 * no gradient.  Z, W and dA are always required and checked, so shapes are
 * validated the same way whichever outputs are asked for. */
MG_API mg_status mg_dense_backward(const mg_matrix *Z, const mg_matrix *W, const mg_matrix *dA,
                            mg_matrix *dZ, mg_matrix *dW, mg_matrix *db);

#ifdef __cplusplus
}
#endif

#endif /* MATGRAD_LAYER_H */
