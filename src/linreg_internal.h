/* Private: pieces of linreg shared by its source files. */
#ifndef MATGRAD_LINREG_INTERNAL_H
#define MATGRAD_LINREG_INTERNAL_H

#include "matgrad/core.h"
#include "matgrad/linreg.h"

/* Checks A (N x j), W (j x k), Y (N x k): valid views, conforming shapes. */
mg_status mg__check_model(const mg_matrix *A, const mg_matrix *W, const mg_matrix *Y);

/* loss and (if G != NULL) G = -(2/N) A^T (Y - A W) into G (j x k,
 * contiguous).  MG_ENONFINITE if either is not finite.  scratch holds
 * mg__mse_scratch_len(N, j, k) doubles. */
mg_status mg__mse_eval(const mg_matrix *A, const mg_matrix *W, const mg_matrix *Y,
                       double *G, double *loss, double *scratch);

/* S = [A Y]^T [A Y] (upper triangle, n x n with n = j + k, contiguous), in one
 * pass over A and Y by dsyrk on row blocks: its top-left j x j block is
 * A^T A, its top-right j x k block A^T Y, its bottom-right k x k block Y^T Y.
 * buf holds mg__augmented_block_rows(N, n) * n doubles. */
size_t mg__augmented_block_rows(size_t N, size_t n);
void mg__augmented_gram(const mg_matrix *A, const mg_matrix *Y, double *S, double *buf);

/* 1 if mg_gd_fit runs the Gram strategy for these shapes and options:
 * o->strategy when forced, else the cost model of MG_GD_AUTO. */
int mg__gd_use_gram(size_t N, size_t j, size_t k, const mg_gd_options *o);

#endif /* MATGRAD_LINREG_INTERNAL_H */
