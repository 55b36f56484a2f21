/* SPDX-License-Identifier: BSD-3-Clause */
/* Predictions of a fitted model for new rows, with standard errors and
 * confidence or prediction intervals (R's predict.lm; docs/derivations.md,
 * "Robust covariances and prediction"):
 *   fit_ij    = z0_i^T b_j                 over the identified columns,
 *   v_i       = z0_i^T C z0_i              (C never inverted),
 *   se_fit_ij = sigma_j sqrt(v_i),
 *   interval  = fit_ij -/+ q sigma_j sqrt(v_i)             (confidence),
 *               fit_ij -/+ q sigma_j sqrt(v_i + 1 / w0_i)  (prediction),
 *   q = qt((1 + level) / 2, df_residual).
 * Also the model checks shared with hc.c (model.h). */
#include "model.h"

#include "matgrad/dist.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- the model's identified part (model.h) ---- */

static int row_all_nan(const mg_matrix *A, size_t i)
{
    for (size_t j = 0; j < A->cols; j++)
        if (!isnan(A->data[i * A->stride + j]))
            return 0;
    return 1;
}

static mg_status check_shapes(const mg_model *model, int need_cov)
{
    if (!model || !model->coef || (need_cov && !model->cov_unscaled))
        return MG_EINVAL;
    if (model->k == 0)
        return MG_EINVAL;
    size_t m = (size_t)(model->intercept != 0) + model->p;
    if (m == 0 || m < model->p)
        return MG_EINVAL;
    MG__CHECK(mg_matrix_check(model->coef));
    if (model->coef->rows != m || model->coef->cols != model->k)
        return MG_EDIM;
    if (model->cov_unscaled) {
        MG__CHECK(mg_matrix_check(model->cov_unscaled));
        if (model->cov_unscaled->rows != m || model->cov_unscaled->cols != m)
            return MG_EDIM;
    }
    return MG_OK;
}

static mg_status check_sigma(const mg_model *model)
{
    if (!model->sigma)
        return MG_OK;
    for (size_t j = 0; j < model->k; j++) {
        double s = model->sigma[j];
        if (s < 0.0)
            return MG_EINVAL;
        if (isinf(s))
            return MG_ENONFINITE;
    }
    return MG_OK;
}

mg_status mg__model_check(const mg_model *model, int need_cov)
{
    MG__CHECK(check_shapes(model, need_cov));
    const mg_matrix *B = model->coef, *C = model->cov_unscaled;
    const size_t m = B->rows;
    for (size_t l = 0; l < m; l++) {
        if (row_all_nan(B, l))
            continue;
        if (!mg__all_finite(B->data + l * B->stride, 1, B->cols, B->stride))
            return MG_ENONFINITE;
        if (!need_cov)
            continue; /* C unused: a NaN C (no standard errors) is no error */
        /* C on identified rows and columns: row l against every identified r. */
        for (size_t r = 0; r < m; r++)
            if (!row_all_nan(B, r) && !isfinite(C->data[l * C->stride + r]))
                return MG_ENONFINITE;
    }
    return MG_OK;
}

size_t mg__model_identified(const mg_model *model, size_t *idx)
{
    size_t m_id = 0;
    for (size_t l = 0; l < model->coef->rows; l++)
        if (!row_all_nan(model->coef, l))
            idx[m_id++] = l;
    return m_id;
}

void mg__gather_sym(const mg_matrix *A, const size_t *idx, size_t m_id, double *dst)
{
    for (size_t a = 0; a < m_id; a++)
        for (size_t b = 0; b < m_id; b++)
            dst[a * m_id + b] = A->data[idx[a] * A->stride + idx[b]];
}

double mg__max_abs_finite(const double *x, size_t rows, size_t cols, size_t stride)
{
    double mx = 0.0;
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) {
            double a = fabs(x[i * stride + j]);
            if (!(a <= DBL_MAX))
                return -1.0;
            mx = a > mx ? a : mx;
        }
    return mx;
}

/* ---- argument checks ---- */

typedef struct pred_args {
    const mg_model *model;
    const mg_matrix *X, *w;
    mg_interval interval;
    double level;
    mg_matrix *out[4]; /* fit, se_fit, lower, upper */
    size_t n;
    int want_se;
} pred_args;

static mg_status check_output(const mg_matrix *o, size_t n, size_t k)
{
    if (!o)
        return MG_OK;
    MG__CHECK(mg_matrix_check(o));
    return o->rows == n && o->cols == k ? MG_OK : MG_EDIM;
}

static mg_status check_options(const pred_args *a)
{
    if (!a->model || !a->out[0])
        return MG_EINVAL;
    if (a->interval != MG_INTERVAL_NONE && a->interval != MG_INTERVAL_CONFIDENCE &&
        a->interval != MG_INTERVAL_PREDICTION)
        return MG_EINVAL;
    if (a->interval != MG_INTERVAL_NONE && !(a->level > 0.0 && a->level < 1.0))
        return MG_EINVAL;
    /* A bound without an interval to bound is a caller's mix-up. */
    if (a->interval == MG_INTERVAL_NONE && (a->out[2] || a->out[3]))
        return MG_EINVAL;
    if (a->want_se && (!a->model->cov_unscaled || !a->model->sigma))
        return MG_EINVAL;
    return MG_OK;
}

/* X is n x p; with p == 0 (a mean model) X is NULL and n is fit's rows. */
static mg_status check_shapes_n(pred_args *a)
{
    const mg_model *model = a->model;
    if (model->p > 0) {
        if (!a->X)
            return MG_EINVAL;
        MG__CHECK(mg_matrix_check(a->X));
        if (a->X->cols != model->p)
            return MG_EDIM;
    } else if (a->X) {
        MG__CHECK(mg_matrix_check(a->X));
        return MG_EDIM;
    }
    MG__CHECK(mg_matrix_check(a->out[0]));
    a->n = a->X ? a->X->rows : a->out[0]->rows;
    for (int i = 0; i < 4; i++)
        MG__CHECK(check_output(a->out[i], a->n, model->k));
    if (a->w) {
        MG__CHECK(mg_matrix_check(a->w));
        if (a->w->rows != a->n || a->w->cols != 1)
            return MG_EDIM;
    }
    return MG_OK;
}

static mg_status check_overlaps(const pred_args *a)
{
    const mg_model *model = a->model;
    mg_matrix sig = { 0 };
    if (model->sigma)
        sig = mg_matrix_view((double *)(uintptr_t)model->sigma, 1, model->k);
    const mg_matrix *in[5] = { a->X, a->w, model->coef, model->cov_unscaled,
                               model->sigma ? &sig : NULL };
    for (int i = 0; i < 4; i++) {
        if (!a->out[i])
            continue;
        for (int j = 0; j < i; j++)
            if (a->out[j] && mg__overlaps(a->out[i], a->out[j]))
                return MG_EINVAL;
        for (int j = 0; j < 5; j++)
            if (in[j] && mg__overlaps(a->out[i], in[j]))
                return MG_EINVAL;
    }
    return MG_OK;
}

/* Prediction weights: > 0 and finite (R: a new observation's variance is
 * sigma^2 / w0).  *wmin receives the smallest (1 without weights). */
static mg_status check_weights(const mg_matrix *w, double *wmin)
{
    *wmin = 1.0;
    if (!w)
        return MG_OK;
    for (size_t i = 0; i < w->rows; i++) {
        double v = w->data[i * w->stride];
        if (!(v > 0.0 && v <= DBL_MAX))
            return MG_EINVAL;
        *wmin = v < *wmin ? v : *wmin;
    }
    return MG_OK;
}

static mg_status check_args(pred_args *a)
{
    MG__CHECK(check_options(a));
    MG__CHECK(mg__model_check(a->model, a->want_se));
    if (a->want_se)
        MG__CHECK(check_sigma(a->model));
    MG__CHECK(check_shapes_n(a));
    return check_overlaps(a);
}

/* ---- range: no output can overflow ---- */

/* Magnitude bounds of every intermediate, from zmax = max |z0_il|:
 *   |fit_ij| and its partial sums  <= zmax sum_l |b_lj|,
 *   |(Z0 C)_il|                    <= zmax sum_r |C_rl|,
 *   v_i and its partial sums       <= zmax (zmax sum_rl |C_rl|),
 *   half-width                     <= |q| max_j sigma_j sqrt(v + 1 / w0min).
 * Each partial sum is within a factor (1 + gamma_m) < 2 of its bound, so
 * 4 * bound <= DBL_MAX leaves no overflow anywhere (an Inf or NaN bound
 * fails the test, as it should).  The bounds are of the inputs' own
 * magnitudes: they refuse only data near the top of the double range. */
typedef struct pred_range {
    double zmax, wmin, q;
} pred_range;

static int fits(double bound)
{
    return 4.0 * bound <= DBL_MAX;
}

static mg_status check_range(const pred_args *a, const double *Bid, const double *Cid,
                             size_t m_id, const pred_range *r)
{
    const mg_model *model = a->model;
    double fb = 0.0;
    for (size_t j = 0; j < model->k; j++) {
        double s = 0.0;
        for (size_t l = 0; l < m_id; l++)
            s += fabs(Bid[l * model->k + j]);
        fb = s > fb ? s : fb;
    }
    if (!fits(r->zmax * fb))
        return MG_ERANGE;
    if (!a->want_se)
        return MG_OK;
    double cs = 0.0, smax = 0.0;
    for (size_t l = 0; l < m_id * m_id; l++)
        cs += fabs(Cid[l]);
    for (size_t j = 0; j < model->k; j++)
        smax = fmax(smax, model->sigma[j]); /* fmax skips a NaN sigma */
    double vb = r->zmax * (r->zmax * cs);
    double extra = a->interval == MG_INTERVAL_PREDICTION ? 1.0 / r->wmin : 0.0;
    double hb = smax * sqrt(vb + extra) * (isnan(r->q) ? 1.0 : fmax(1.0, fabs(r->q)));
    return fits(vb) && fits(hb) && fits(r->zmax * fb + hb) ? MG_OK : MG_ERANGE;
}

/* ---- the computation ---- */

typedef struct pred_work {
    size_t *idx;
    double *Bid, *Cid, *Zb, *t; /* B_id m_id x k, C_id, a block of Z0_id, C z0_i */
    size_t m_id, nb;
} pred_work;

static void work_free(pred_work *wk)
{
    free(wk->idx);
    free(wk->Bid);
    free(wk->Cid);
    free(wk->Zb);
    free(wk->t);
}

/* Sizes are at least 1 so that malloc(0) never reads as a failure. */
static mg_status work_alloc(pred_work *wk, const pred_args *a)
{
    const mg_model *model = a->model;
    size_t m = model->coef->rows;
    memset(wk, 0, sizeof *wk);
    wk->idx = malloc(m * sizeof *wk->idx);
    if (!wk->idx)
        return MG_ENOMEM;
    wk->m_id = mg__model_identified(model, wk->idx);
    size_t mi = wk->m_id ? wk->m_id : 1;
    wk->nb = a->n < MG__INFER_BLOCK ? a->n : MG__INFER_BLOCK;
    wk->Bid = mg__alloc_doubles(mi, model->k);
    wk->Cid = a->want_se ? mg__alloc_doubles(mi, mi) : NULL;
    wk->Zb = mg__alloc_doubles(wk->nb, mi);
    wk->t = a->want_se ? mg__alloc_doubles(mi, 1) : NULL;
    if (!wk->Bid || !wk->Zb || (a->want_se && (!wk->Cid || !wk->t))) {
        work_free(wk);
        return MG_ENOMEM;
    }
    const mg_matrix *B = model->coef;
    for (size_t l = 0; l < wk->m_id; l++)
        memcpy(wk->Bid + l * model->k, B->data + wk->idx[l] * B->stride,
               model->k * sizeof *wk->Bid);
    if (a->want_se)
        mg__gather_sym(model->cov_unscaled, wk->idx, wk->m_id, wk->Cid);
    return MG_OK;
}

static void put(mg_matrix *o, size_t i, size_t j, double v)
{
    if (o)
        o->data[i * o->stride + j] = v;
}

/* se_fit and the interval of row i, from v_i = z0_i^T C z0_i. */
static void row_intervals(const pred_args *a, size_t i, double v, double q)
{
    const mg_model *model = a->model;
    const double w0 = a->w ? a->w->data[i * a->w->stride] : 1.0;
    for (size_t j = 0; j < model->k; j++) {
        const double s = model->sigma[j];
        const double fit = a->out[0]->data[i * a->out[0]->stride + j];
        put(a->out[1], i, j, s * sqrt(v));
        if (a->interval == MG_INTERVAL_NONE)
            continue;
        const double hw =
            q * s * sqrt(a->interval == MG_INTERVAL_PREDICTION ? v + 1.0 / w0 : v);
        put(a->out[2], i, j, fit - hw);
        put(a->out[3], i, j, fit + hw);
    }
}

/* v_i for the block's rows, then their se_fit and intervals. */
static void block_intervals(const pred_args *a, const pred_work *wk, size_t i0, size_t nb,
                            double q)
{
    const size_t mi = wk->m_id;
    for (size_t r = 0; r < nb; r++) {
        const double *z = wk->Zb + r * mi;
        double v = 0.0;
        if (mi > 0) {
            /* t = C z0_i   (C symmetric: its lower triangle is read) */
            cblas_dsymv(CblasRowMajor, CblasLower, (int)mi, 1.0, wk->Cid, (int)mi, z, 1, 0.0,
                        wk->t, 1);
            for (size_t l = 0; l < mi; l++)
                v += wk->t[l] * z[l];
        }
        /* C is positive definite, so v >= 0; a negative v is rounding of a
         * v within gamma_2m |z0|^T |C| |z0| of 0, whose square root is at
         * most the error bound's. */
        row_intervals(a, i0 + r, v > 0.0 ? v : 0.0, q);
    }
}

/* Level-2 calls, not dgemm / dsymm: OpenBLAS runs dsymm at any size, and
 * dgemm above a size, on its threaded level-3 driver, which calls exit(1)
 * when it cannot allocate its job array (docs/reliability.md); dgemv and
 * dsymv allocate nothing.  A block's rows stay in cache across the k
 * products and the row-by-row C z0_i. */
static void predict_block(const pred_args *a, const pred_work *wk, size_t i0, size_t nb,
                          double q)
{
    const mg_model *model = a->model;
    const size_t mi = wk->m_id, k = model->k;
    mg_matrix *fit = a->out[0];
    for (size_t r = 0; r < nb; r++)
        mg__gather_z(a->X ? a->X->data + (i0 + r) * a->X->stride : NULL, model->intercept,
                     wk->idx, mi, wk->Zb + r * mi);
    for (size_t j = 0; j < k; j++) {
        double *fj = fit->data + i0 * fit->stride + j;
        if (mi == 0) {
            /* No identified coefficient: the model predicts 0, with no variance. */
            for (size_t r = 0; r < nb; r++)
                fj[r * fit->stride] = 0.0;
            continue;
        }
        /* fit(i0 .. i0 + nb, j) = Z0_id b_j   (b_j: column j of B_id, stride k) */
        cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)nb, (int)mi, 1.0, wk->Zb, (int)mi,
                    wk->Bid + j, (int)k, 0.0, fj, (int)fit->stride);
    }
    if (a->want_se)
        block_intervals(a, wk, i0, nb, q);
}

mg_status mg_predict(const mg_model *model, const mg_matrix *X, const mg_matrix *w,
                     mg_interval interval, double level, mg_matrix *fit, mg_matrix *se_fit,
                     mg_matrix *lower, mg_matrix *upper)
{
    pred_args a = { model, X, w, interval, level, { fit, se_fit, lower, upper }, 0,
                    se_fit != NULL || interval != MG_INTERVAL_NONE };
    MG__CHECK(check_args(&a));
    pred_range r;
    MG__CHECK(check_weights(w, &r.wmin));
    r.zmax = X ? mg__max_abs_finite(X->data, X->rows, X->cols, X->stride) : 0.0;
    if (r.zmax < 0.0)
        return MG_ENONFINITE;
    if (model->intercept)
        r.zmax = fmax(r.zmax, 1.0);
    /* q = qt((1 + level) / 2, df), taken from the upper tail (1 - level) / 2
     * so that a level near 1 keeps its digits; NaN without residual df. */
    r.q = interval != MG_INTERVAL_NONE && model->df_residual > 0
              ? mg_t_quantile(0.5 * (1.0 - level), (double)model->df_residual, 0)
              : NAN;
    pred_work wk;
    MG__CHECK(work_alloc(&wk, &a));
    mg_status st = check_range(&a, wk.Bid, wk.Cid, wk.m_id, &r);
    for (size_t i0 = 0; st == MG_OK && i0 < a.n; i0 += wk.nb)
        predict_block(&a, &wk, i0, a.n - i0 < wk.nb ? a.n - i0 : wk.nb, r.q);
    work_free(&wk);
    return st;
}
