/* SPDX-License-Identifier: BSD-3-Clause */
/* Inference for a fitted linear model, with R's conventions (summary.lm,
 * confint, logLik, AIC, BIC, vcov, sandwich::vcovHC, predict.lm):
 *   - mg_fit_infer: every statistic of a finished fit state (fit.h);
 *   - mg_coef_tests: standard errors, t, p and intervals from any
 *     coefficient covariance (the classical one, or a robust one);
 *   - mg_hc_*: heteroskedasticity-consistent covariances HC0..HC3, from one
 *     more pass over the rows (a stream can be replayed block by block, and
 *     partial passes merge, as the fit state's);
 *   - mg_predict: fitted values of new rows with standard errors and
 *     confidence or prediction intervals.
 * The formulas are in docs/derivations.md, "Inference".
 *
 * Notation: Z = [1 X] with the intercept option, X otherwise (n rows of
 * nonzero weight w_i, m = intercept + p columns), B the m x k coefficients,
 * e = Y - Z B, RSS_j = sum_i w_i e_ij^2, C = (Z^T W Z)^-1 over the
 * identified columns ("cov_unscaled"), sigma_j^2 = RSS_j / df_residual. */
#ifndef MATGRAD_INFER_H
#define MATGRAD_INFER_H

#include "core.h"
#include "fit.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mg_infer_options {
    double level;       /* confidence level of conf_low / conf_high, in (0, 1) */
    int r_aliased;      /* nonzero (default): R's convention for a rank-deficient
                           design.  Columns of Z are tested in order; a column is
                           aliased when its distance to the span of the earlier
                           non-aliased columns is <= alias_tol times its norm
                           (R's lm, qr(tol = 1e-7)), both in the weighted metric
                           W^(1/2) Z.  Aliased coefficients are NaN with NaN
                           statistics and aliased[j] = 1; the others are the fit
                           without the aliased columns, from the state's sums
                           (not refined; a GRAM state refuses, MG_ENOTPD, when
                           their Gram matrix is as ill-conditioned as finish
                           refuses a whole design).  How exactly each kind
                           decides near the threshold: docs/inference.md.
                           Zero: the minimum-norm estimates of mg_fit_finish;
                           aliased[] still flags the same columns, and on a
                           rank-deficient design every per-coefficient statistic
                           (std_err, t, p, intervals, cov_unscaled) is NaN (the
                           individual coefficients are not estimable); rank is
                           then the engine's (mg_fit_finish's). */
    double alias_tol;   /* in (0, 1) */
} mg_infer_options;

/* level 0.95, r_aliased 1, alias_tol 1e-7. */
MG_API mg_infer_options mg_infer_defaults(void);

typedef struct mg_infer {
    /* Always filled on success: */
    size_t n;            /* rows with nonzero weight */
    size_t rank;         /* identified coefficients, the intercept included */
    size_t df_residual;  /* n - rank */
    size_t df_model;     /* numerator df of the F test: rank - about_mean */
    int about_mean;      /* 1: TSS (R^2, F) about the weighted mean, because of the
                            intercept option or a column of X with one nonzero
                            value on every row of nonzero weight (an intercept in
                            all but name); 0: about zero.  The same convention
                            for R^2, adjusted R^2 and F, and for mg_fit_finish's
                            R^2 (a state loaded from a version-1 image, which
                            lacks the columns' ranges: the intercept option only) */
    double level;        /* the confidence level used */
    /* Optional: point at caller storage (m x k matrices, k or m arrays) to
     * receive these, or leave NULL. */
    mg_matrix *coef;          /* estimates (NaN where aliased) */
    mg_matrix *std_err;       /* sigma_j sqrt(C_ii) */
    mg_matrix *t_value;       /* coef / std_err */
    mg_matrix *p_value;       /* 2 P[T_df > |t|], df = df_residual */
    mg_matrix *conf_low;      /* coef - qt((1 + level) / 2, df) std_err */
    mg_matrix *conf_high;     /* coef + qt((1 + level) / 2, df) std_err */
    mg_matrix *cov_unscaled;  /* m x m: C, NaN rows and columns where aliased;
                                 vcov of output j is sigma_j^2 C */
    unsigned char *aliased;   /* m flags */
    double *sigma;            /* k: residual standard error */
    double *r_squared;        /* k: 1 - RSS / TSS */
    double *adj_r_squared;    /* k: 1 - (RSS / df_residual) / (TSS / (n - about_mean)) */
    double *f_value;          /* k: ((TSS - RSS) / df_model) / (RSS / df_residual) */
    double *f_p_value;        /* k: P[F(df_model, df_residual) > f_value] */
    double *loglik;           /* k: R's logLik.lm: (sum log w_i - n (log(2 pi) + 1
                                 - log n + log RSS)) / 2 over rows of nonzero weight
                                 (+Inf when RSS = 0, as R; NaN, with AIC and BIC,
                                 for a state whose sum log w is unknown: loaded
                                 from, or merged with, a version-1 image) */
    double *aic;              /* k: -2 loglik + 2 (rank + 1) */
    double *bic;              /* k: -2 loglik + log(n) (rank + 1) */
    int *perfect_fit;         /* k: 1 when the residual is at rounding level:
                                 RSS / df_residual < 1e-30 * (sum_i w_i f_i^2 / n)
                                 (f the fitted values, R's "essentially perfect
                                 fit"), or, for a state's own (unrefined) RSS, RSS
                                 below the bound of its rounding error (QR's grows
                                 with the rows, so R's rule alone misses y = c
                                 beyond a few thousand rows; docs/inference.md).
                                 t, p, F and its p are then NaN instead of the
                                 ratios of rounding errors; SE, sigma, R^2 stay */
} mg_infer;

/* Every statistic above from a fit state (after mg_fit_finish's
 * requirements: rows accumulated; a refined solution, if the state holds
 * one, is used with its replayed RSS, and with no aliased column the
 * coefficients are bitwise mg_fit_finish's).  opt == NULL means
 * mg_infer_defaults().  Statistics that are undefined (df_residual = 0,
 * df_model = 0, TSS = 0) are NaN.  Errors: those of mg_fit_finish (with
 * r_aliased and an aliased column, those of the fit on the identified
 * columns: MG_ENOTPD for an ill-conditioned GRAM one); MG_EINVAL for a
 * state with a ridge penalty (no classical inference), bad options, out
 * NULL or overlapping outputs; MG_EDIM for output shapes; MG_ENONFINITE if
 * the coefficients or C overflow.  Outputs are untouched on any error; the
 * state's sums are too (its cached factor and scratch are not).  No
 * allocation. */
MG_API mg_status mg_fit_infer(mg_fit *fit, const mg_infer_options *opt, mg_infer *out);

/* Coefficient tests for one output from a covariance V (m x m, e.g.
 * sigma^2 C or a robust mg_hc_finish result): std_err_i = sqrt(V_ii),
 * t_i = coef_i / std_err_i, p_i = 2 P[T_df > |t_i|], conf = coef -/+
 * qt((1 + level) / 2, df) std_err.  coef is m x 1 (NaN: aliased, all
 * outputs NaN); outputs m x 1, any may be NULL.  df = 0 gives NaN t
 * statistics' p-values and intervals.  MG_EINVAL: level outside (0, 1),
 * coef or V NULL; MG_EDIM: shapes; MG_ENONFINITE: a negative or NaN
 * diagonal of V where coef is a number. */
MG_API mg_status mg_coef_tests(const mg_matrix *coef, const mg_matrix *V, size_t df,
                               double level, mg_matrix *std_err, mg_matrix *t_value,
                               mg_matrix *p_value, mg_matrix *conf_low, mg_matrix *conf_high);

/* A fitted model as mg_fit_infer describes it, for prediction and robust
 * covariances (the caller's storage; nothing is copied). */
typedef struct mg_model {
    size_t p, k;                    /* predictors (without the intercept), outputs */
    int intercept;                  /* Z = [1 X] */
    const mg_matrix *coef;          /* m x k; a NaN row is an aliased column (it
                                       contributes nothing) */
    const mg_matrix *cov_unscaled;  /* m x m C (NaN rows/columns where aliased), or
                                       NULL when no standard errors are wanted */
    const double *sigma;            /* k residual standard errors: needed only by
                                       mg_predict's se_fit and intervals (HC
                                       never reads them); may be NULL otherwise */
    size_t df_residual;
} mg_model;

typedef enum mg_interval {
    MG_INTERVAL_NONE = 0,
    MG_INTERVAL_CONFIDENCE,   /* for the mean response: fit -/+ q se_fit */
    MG_INTERVAL_PREDICTION    /* for a new observation of weight w0:
                                 fit -/+ q sqrt(se_fit^2 + sigma^2 / w0) */
} mg_interval;

/* Predictions for the n new rows X (n x p): fit = Z0 B (n x k), se_fit_ij =
 * sigma_j sqrt(z0_i^T C z0_i), and with an interval lower / upper with
 * q = qt((1 + level) / 2, df_residual) (R's predict.lm(se.fit = TRUE,
 * interval =, level =, weights = w0)).  Aliased columns (NaN coef rows)
 * are left out, as R does; their rows and columns of C are not read.
 * X is NULL when p == 0 (a mean model; n is then fit's rows).  w: n x 1
 * prediction weights (> 0, finite) or NULL (1), used by the prediction
 * interval only.  se_fit, lower, upper may be NULL; lower and upper only
 * with an interval.  se_fit and intervals need model->cov_unscaled (its
 * lower triangle over the identified columns is read) and sigma; a NaN
 * sigma_j (df_residual = 0) gives NaN se_fit and bounds for output j, and
 * df_residual = 0 gives NaN bounds.  Fitted values alone read neither C nor
 * sigma.  No identified column: fit and se_fit are 0.  Errors: MG_EINVAL
 * (NULL model / X / fit, level outside (0, 1) with an interval, an unknown
 * interval, lower or upper without one, bad weights, an interval or se_fit
 * without a covariance and sigma, a negative sigma_j, outputs overlapping
 * each other or an input), MG_EDIM (shapes, X given with p == 0),
 * MG_ENONFINITE (NaN/Inf in X; a coef row partly NaN or infinite; with
 * standard errors, a non-finite C entry on the identified columns, e.g.
 * mg_fit_infer's r_aliased = 0 on a rank-deficient design, or an infinite
 * sigma_j), MG_ERANGE (finite inputs whose fit, variance or interval would
 * overflow, from bounds on their magnitudes), MG_ENOMEM.  Outputs are
 * untouched on error. */
MG_API mg_status mg_predict(const mg_model *model, const mg_matrix *X, const mg_matrix *w,
                            mg_interval interval, double level, mg_matrix *fit,
                            mg_matrix *se_fit, mg_matrix *lower, mg_matrix *upper);

/* Heteroskedasticity-consistent covariance of one output's coefficients
 * (sandwich::vcovHC of an lm, types HC0..HC3):
 *   V = C (sum_i omega_i z_i z_i^T) C,  omega_i = w_i^2 e_i^2 * a_i,
 *   e_i = y_i - z_i^T b,  h_i = w_i z_i^T C z_i (the leverage),
 *   HC0: a_i = 1;  HC1: a_i = n / (n - rank);  HC2: 1 / (1 - h_i);
 *   HC3: 1 / (1 - h_i)^2,
 * over the identified columns (NaN rows and columns where aliased; C's
 * lower triangle is read), n the rows of nonzero weight: a zero weight
 * drops the row, as lm's degrees of freedom do.  (R's sandwich 3.0.2 on an
 * lm with zero weights scales by all N rows in places and recycles the n
 * hat values against N residuals; on lm(subset = w > 0) it agrees with
 * this.)  Rows are fed as for
 * the fit (any blocking, the same weights); partial states over disjoint
 * rows merge.  V is exactly symmetric.  A row whose leverage is 1 to within
 * its rounding error (1 - h_i <= max(8 eps, gamma_(2m+1) w_i ||z_i||^2
 * || |C| ||_inf), or h_i > 1 for a C that does not belong to the rows)
 * makes HC2 and HC3 undefined: finish returns MG_ERANGE. */
typedef enum mg_hc_type { MG_HC0 = 0, MG_HC1, MG_HC2, MG_HC3 } mg_hc_type;
typedef struct mg_hc mg_hc;
/* model needs coef and cov_unscaled (sigma is not read); output < k.  The
 * state copies what it needs (the model may go away).  *out is set only on
 * success.  MG_EINVAL (NULL, output >= k, unknown type), MG_EDIM (shapes),
 * MG_ENONFINITE (a coef row partly NaN or infinite, a non-finite C entry on
 * the identified columns), MG_ENOMEM. */
MG_API mg_status mg_hc_create(const mg_model *model, size_t output, mg_hc_type type,
                              mg_hc **out);
/* NULL is a no-op. */
MG_API void mg_hc_free(mg_hc *hc);
/* Folds N rows (X: N x p, NULL when p == 0; Y: N x k, of which column
 * `output` is read; w: N x 1 or NULL).  MG_EINVAL (NULL state or Y, X NULL
 * with p > 0, a negative weight), MG_EDIM, MG_ENONFINITE (NaN/Inf in X,
 * the output's column of Y or w).  The state is untouched on error. */
MG_API mg_status mg_hc_accumulate(mg_hc *hc, const mg_matrix *X, const mg_matrix *Y,
                                  const mg_matrix *w);
/* dst <- dst + src (disjoint rows).  MG_EINVAL: NULL, dst == src, or not
 * the same model (coefficients, C, aliasing), output and type. */
MG_API mg_status mg_hc_merge(mg_hc *dst, const mg_hc *src);
/* V (m x m).  MG_EINVAL (NULL, no rows), MG_EDIM, MG_ERANGE (a leverage of
 * 1 with HC2 / HC3; HC1 with n <= rank; finite data whose V overflows),
 * MG_ENOMEM.  V is untouched on error. */
MG_API mg_status mg_hc_finish(const mg_hc *hc, mg_matrix *V);
/* A portable byte image of a state, to move partial passes between
 * processes (MPI ranks) or to pause one: little-endian, versioned, with a
 * magic and a checksum, as mg_fit_save's (format: src/infer/hc.c).  The
 * image holds the model (type, output, identified columns, their
 * coefficients and C) and the sums.  It loads into a state created by
 * mg_hc_create for the same model, output and type, whose sums it replaces:
 * bit for bit, so accumulating, merging or finishing after a load gives the
 * bits the saved state would have given.
 *   mg_hc_save_size: the bytes mg_hc_save will write (a function of the
 *     number of identified columns only).  MG_EINVAL: NULL.
 *   mg_hc_save: writes *len bytes into buf.  MG_EINVAL: NULL, or cap below
 *     mg_hc_save_size's.
 *   mg_hc_load: MG_EPARSE for a wrong magic, version, length or checksum
 *     (a truncated or damaged image); MG_EDIM when the image's design has
 *     another p, k or intercept; MG_EINVAL (NULL, or the same design but
 *     another type, output, aliasing, coefficients or C, compared bit for
 *     bit as mg_hc_merge does).  The state is untouched on error.  Never
 *     reads beyond len.
 * None allocates. */
MG_API mg_status mg_hc_save_size(const mg_hc *hc, size_t *size);
MG_API mg_status mg_hc_save(const mg_hc *hc, void *buf, size_t cap, size_t *len);
MG_API mg_status mg_hc_load(mg_hc *hc, const void *buf, size_t len);
/* The whole pass over rows held in memory: create, accumulate, finish;
 * their errors, V untouched. */
MG_API mg_status mg_hc_cov(const mg_model *model, size_t output, mg_hc_type type,
                           const mg_matrix *X, const mg_matrix *Y, const mg_matrix *w,
                           mg_matrix *V);

#ifdef __cplusplus
}
#endif

#endif /* MATGRAD_INFER_H */
