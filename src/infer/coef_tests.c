/* SPDX-License-Identifier: BSD-3-Clause */
/* Coefficient tests from a covariance: the one place where standard
 * errors, t statistics, their p-values and confidence intervals are formed
 * (mg_fit_infer's classical covariance and the robust ones alike). */
#include "matgrad/dist.h"
#include "matgrad/infer.h"

#include "../internal.h"

#include <math.h>
#include <stddef.h>

mg_infer_options mg_infer_defaults(void)
{
    mg_infer_options o = { 0.95, 1, 1e-7 };
    return o;
}

static mg_status check_column(const mg_matrix *v, size_t m)
{
    if (!v)
        return MG_OK;
    MG__CHECK(mg_matrix_check(v));
    return v->rows == m && v->cols == 1 ? MG_OK : MG_EDIM;
}

static mg_status check_args(const mg_matrix *coef, const mg_matrix *V, double level,
                            const mg_matrix *const out[5])
{
    if (!coef || !V || !(level > 0.0 && level < 1.0))
        return MG_EINVAL;
    MG__CHECK(mg_matrix_check(coef));
    MG__CHECK(mg_matrix_check(V));
    size_t m = coef->rows;
    if (coef->cols != 1 || V->rows != m || V->cols != m)
        return MG_EDIM;
    for (int i = 0; i < 5; i++) {
        MG__CHECK(check_column(out[i], m));
        if (!out[i])
            continue;
        if (mg__overlaps(out[i], coef) || mg__overlaps(out[i], V))
            return MG_EINVAL;
        for (int j = 0; j < i; j++)
            if (out[j] && mg__overlaps(out[i], out[j]))
                return MG_EINVAL;
    }
    /* A variance must be a number >= 0 wherever the coefficient is one. */
    for (size_t i = 0; i < m; i++) {
        double c = coef->data[i * coef->stride], v = V->data[i * V->stride + i];
        if (!isnan(c) && !(v >= 0.0))
            return MG_ENONFINITE;
    }
    return MG_OK;
}

static void put(mg_matrix *v, size_t i, double x)
{
    if (v)
        v->data[i * v->stride] = x;
}

mg_status mg_coef_tests(const mg_matrix *coef, const mg_matrix *V, size_t df, double level,
                        mg_matrix *std_err, mg_matrix *t_value, mg_matrix *p_value,
                        mg_matrix *conf_low, mg_matrix *conf_high)
{
    const mg_matrix *const out[5] = { std_err, t_value, p_value, conf_low, conf_high };
    MG__CHECK(check_args(coef, V, level, out));
    /* q = qt((1 + level) / 2, df), taken from the upper tail (1 - level) / 2
     * so that a level near 1 keeps its digits. */
    double q = df > 0 ? mg_t_quantile(0.5 * (1.0 - level), (double)df, 0) : NAN;
    for (size_t i = 0; i < coef->rows; i++) {
        double c = coef->data[i * coef->stride];
        if (isnan(c)) {
            put(std_err, i, NAN);
            put(t_value, i, NAN);
            put(p_value, i, NAN);
            put(conf_low, i, NAN);
            put(conf_high, i, NAN);
            continue;
        }
        double se = sqrt(V->data[i * V->stride + i]);
        double t = c / se;
        /* p = 2 P[T_df > |t|]: the upper tail directly, no 1 - P cancellation. */
        double p = df > 0 && !isnan(t) ? 2.0 * mg_t_cdf(fabs(t), (double)df, 0) : NAN;
        put(std_err, i, se);
        put(t_value, i, t);
        put(p_value, i, p);
        put(conf_low, i, c - q * se);
        put(conf_high, i, c + q * se);
    }
    return MG_OK;
}
