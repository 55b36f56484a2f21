/* SPDX-License-Identifier: BSD-3-Clause */
/* A reference weighted least-squares fit in long double, for the tests of
 * mg_fit_infer (tests/test_infer.c): Householder QR of the weighted design
 * in long double (64-bit significand: for the well-conditioned designs of
 * the tests its own error, about kappa u_ld ~ 1e-18, is far below the
 * double code's), then every quantity of R's summary.lm from it. */
#ifndef REF_FIT_INFER_H
#define REF_FIT_INFER_H

#include <stddef.h>

typedef struct ref_fit {
    size_t m, k, r, n;       /* m = ic + p columns, r used (not dropped), n nonzero rows */
    long double *B;          /* m x k row-major (dropped columns: 0) */
    long double *C;          /* m x m row-major (Z_I^T W Z_I)^-1 (dropped: 0) */
    long double *rss, *tss, *fss;  /* k: residual, total (about_mean), fitted (sum w f^2) */
    long double yy_max;      /* max_c sum w y_c^2 */
    long double kappa2;      /* ||G||_F ||G^-1||_F >= kappa(Z_I)^2 of the equilibrated design */
    long double logw;        /* sum log w over nonzero weights */
} ref_fit;

/* X: N x p (row stride xs), Y: N x k (row stride ys), w: N (NULL: 1), ic:
 * intercept column; drop: m flags of columns left out (NULL: none);
 * about_mean: TSS about the weighted mean. */
ref_fit ref_fit_make(const double *X, size_t xs, const double *Y, size_t ys, const double *w,
                     size_t N, size_t p, size_t k, int ic, const unsigned char *drop,
                     int about_mean);
void ref_fit_free(ref_fit *f);

#endif /* REF_FIT_INFER_H */
