/* SPDX-License-Identifier: BSD-3-Clause */
/* Naive loop references for the layer, rules and act modules, straight
 * from the seeds' element-by-element formulas, accumulating in long
 * double.  Test-only: never linked into the library. */
#ifndef REF_RULES_H
#define REF_RULES_H

#include <matgrad.h>

/* A = Z W + 1 b (b may be NULL). */
void ref_dense_forward(const mg_matrix *Z, const mg_matrix *W, const mg_matrix *b, mg_matrix *A);
/* dZ_ip = sum_j dA_ij W_pj;  dW_pj = sum_i Z_ip dA_ij;  db_j = sum_i dA_ij. */
void ref_dense_backward(const mg_matrix *Z, const mg_matrix *W, const mg_matrix *dA,
                        mg_matrix *dZ, mg_matrix *dW, mg_matrix *db);

/* sum_ij a_i X_ij b_j and sum_i a_i exp(sum_j X_ij b_j). */
double ref_bilinear(const mg_matrix *a, const mg_matrix *X, const mg_matrix *b);
double ref_a_exp_Xb(const mg_matrix *a, const mg_matrix *X, const mg_matrix *b);
/* G_ij = a_i b_j. */
void ref_grad_bilinear(const mg_matrix *a, const mg_matrix *b, mg_matrix *G);
/* G_ij = a_i exp((X b)_i) b_j. */
void ref_grad_a_exp_Xb(const mg_matrix *a, const mg_matrix *X, const mg_matrix *b, mg_matrix *G);
/* GX_ij = sum_rs A_ri GY_rs B_js. */
void ref_grad_sandwich(const mg_matrix *A, const mg_matrix *GY, const mg_matrix *B, mg_matrix *GX);
/* sum_ij GY_ij (A X B)_ij: the scalar whose X-gradient is the sandwich rule. */
double ref_sandwich_value(const mg_matrix *A, const mg_matrix *X, const mg_matrix *B, const mg_matrix *GY);

/* Xi = X^-1 by Gauss-Jordan with partial pivoting (n <= 64). */
void ref_inverse(const mg_matrix *X, mg_matrix *Xi);
/* det X by Gaussian elimination with partial pivoting, in long double. */
long double ref_det(const mg_matrix *X);
/* GX = -X^-T GY X^-T, i.e. GX_ij = -sum_rs Xi_ri GY_rs Xi_js. */
void ref_grad_inverse(const mg_matrix *X, const mg_matrix *GY, mg_matrix *GX);
/* sum_ij GY_ij (X^-1)_ij: the scalar whose X-gradient is the inverse rule. */
double ref_inverse_value(const mg_matrix *X, const mg_matrix *GY);
/* G_ij = (X^-1)_ji, and det(X) times that. */
void ref_grad_logdet(const mg_matrix *X, mg_matrix *G);
void ref_grad_det(const mg_matrix *X, mg_matrix *G);

/* The activations and their derivatives by their textbook formulas. */
long double ref_act(mg_act f, long double x);
long double ref_act_d(mg_act f, long double x);

#endif /* REF_RULES_H */
