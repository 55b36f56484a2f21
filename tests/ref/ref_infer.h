/* SPDX-License-Identifier: BSD-3-Clause */
/* Naive long-double references for mg_predict and mg_hc_* (R's predict.lm
 * and sandwich::vcovHC of a weighted lm), each with the a-priori bound on
 * the error of the library's double computation (Higham's gamma model:
 * any summation order, blocking, threading or FMA).  The formulas and the
 * bounds are derived next to the definitions (tests/ref/ref_infer.c). */
#ifndef MGTEST_REF_INFER_H
#define MGTEST_REF_INFER_H

#include <matgrad.h>

#include <stddef.h>

/* A model fitted in long double over the identified columns (aliased[l]
 * nonzero: column l of Z left out, its coef row and C row/column NaN):
 * C = (Z_id^T W Z_id)^-1, B_id = C Z_id^T W Y, sigma_j^2 = RSS_j /
 * (n - rank), n the rows of nonzero weight; each rounded to double.  The
 * mg_model `model` points to heap storage only (views[0] = coef, views[1]
 * = C), so the struct may be copied. */
typedef struct ref_model {
    size_t m, n, rank;
    double *coef, *cov, *sigma;
    mg_matrix *views;
    mg_model model;
} ref_model;

/* 0 on success; 1 if Z_id^T W Z_id is not positive definite in long double. */
int ref_model_fit(const mg_matrix *X, int intercept, const mg_matrix *Y, const mg_matrix *w,
                  const unsigned char *aliased, ref_model *out);
void ref_model_free(ref_model *rm);

/* One predicted row (x: the p entries of row i, w0: its weight), output j,
 * with the interval's q as mg_predict forms it; the values in long double
 * and their error bounds (absolute). */
typedef struct ref_pred {
    long double fit, se, lower, upper;
    double fit_tol, se_tol, bound_tol;
} ref_pred;
void ref_predict_row(const mg_model *model, const double *x, double w0, mg_interval iv, double q,
                     size_t j, ref_pred *out);

/* The HC covariance of output j (m x m, NaN where aliased) in long double,
 * rounded into V, and the entrywise error bound into tol (m x m, NaN where
 * aliased).  Rows of X, Y, w as for mg_hc_accumulate.  Returns the largest
 * leverage h_i of a row of nonzero weight (the bound assumes each h_i is
 * farther from 1 than its rounding error). */
double ref_hc(const mg_model *model, size_t j, mg_hc_type type, const mg_matrix *X,
           const mg_matrix *Y, const mg_matrix *w, double *V, double *tol);

#endif /* MGTEST_REF_INFER_H */
