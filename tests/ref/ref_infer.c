/* SPDX-License-Identifier: BSD-3-Clause */
/* Long-double references for prediction and robust covariances, with the
 * error bounds the tests assert.
 *
 * The bounds are a-priori bounds on the library's double computation from
 * the same double inputs (b, C, sigma, q, X, Y, w), in Higham's model
 * (Accuracy and Stability of Numerical Algorithms, 2nd ed., Sec. 3.1-3.5):
 * a dot product or sum of n terms, in any order, has error at most
 * gamma_n = n u / (1 - n u) times the sum of the terms' magnitudes, and
 * (1 + gamma_a)(1 + gamma_b) <= 1 + gamma_(a+b).  Each bound is stated as
 * a first-order expression with a factor 1.01 for the second-order terms
 * (products of two relative errors, each below 1e-12 here).  The
 * references themselves are computed in long double (unit roundoff 2^-64,
 * 2^11 times below u); their rounding to double adds u |value|, included
 * below.  Nothing here depends on the machine or the BLAS. */
#include "ref_infer.h"

#include "mgtest.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define U ((long double)MGT_U)

static long double gam(double n)
{
    return (long double)mgt_gamma(n);
}

static size_t identified(const mg_matrix *coef, size_t *idx)
{
    size_t mi = 0;
    for (size_t l = 0; l < coef->rows; l++) {
        int all_nan = 1;
        for (size_t j = 0; j < coef->cols; j++)
            all_nan &= isnan(mgt_get(coef, l, j));
        if (!all_nan)
            idx[mi++] = l;
    }
    return mi;
}

/* z_id of a row: entries of [1 x] (intercept) or x at idx. */
static void row_z(int intercept, const double *x, const size_t *idx, size_t mi, long double *z)
{
    for (size_t l = 0; l < mi; l++)
        z[l] = intercept && idx[l] == 0 ? 1.0L : (long double)x[idx[l] - (intercept != 0)];
}

/* ---- the fitted model ---- */

/* In place inverse of the symmetric positive definite G (n x n) by
 * Gauss-Jordan without pivoting (stable enough for a PD matrix in long
 * double); 1 on a non-positive pivot. */
static int invert_pd(long double *G, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        long double piv = G[k * n + k];
        if (!(piv > 0.0L))
            return 1;
        G[k * n + k] = 1.0L;
        for (size_t j = 0; j < n; j++)
            G[k * n + j] /= piv;
        for (size_t i = 0; i < n; i++) {
            if (i == k)
                continue;
            long double f = G[i * n + k];
            G[i * n + k] = 0.0L;
            for (size_t j = 0; j < n; j++)
                G[i * n + j] -= f * G[k * n + j];
        }
    }
    return 0;
}

static double weight(const mg_matrix *w, size_t i)
{
    return w ? mgt_get(w, i, 0) : 1.0;
}

int ref_model_fit(const mg_matrix *X, int intercept, const mg_matrix *Y, const mg_matrix *w,
                  const unsigned char *aliased, ref_model *out)
{
    const size_t p = X ? X->cols : 0, k = Y->cols, N = Y->rows, m = (size_t)(intercept != 0) + p;
    size_t *idx = malloc(m * sizeof *idx), mi = 0;
    for (size_t l = 0; l < m; l++)
        if (!aliased[l])
            idx[mi++] = l;
    long double *G = calloc(mi * mi + 1, sizeof *G), *R = calloc(mi * k + 1, sizeof *R);
    long double *Bz = calloc(mi * k + 1, sizeof *Bz), *z = calloc(mi + 1, sizeof *z);
    size_t n = 0;
    for (size_t i = 0; i < N; i++) {
        long double wi = weight(w, i);
        if (wi == 0.0L)
            continue;
        n++;
        row_z(intercept, X ? X->data + i * X->stride : NULL, idx, mi, z);
        for (size_t a = 0; a < mi; a++) {
            for (size_t b = 0; b < mi; b++)
                G[a * mi + b] += wi * z[a] * z[b];
            for (size_t j = 0; j < k; j++)
                R[a * k + j] += wi * z[a] * mgt_get(Y, i, j);
        }
    }
    int bad = invert_pd(G, mi);
    /* B_id = C Z^T W Y */
    for (size_t a = 0; a < mi; a++)
        for (size_t j = 0; j < k; j++)
            for (size_t b = 0; b < mi; b++)
                Bz[a * k + j] += G[a * mi + b] * R[b * k + j];
    memset(out, 0, sizeof *out);
    out->m = m;
    out->n = n;
    out->rank = mi;
    out->coef = malloc(m * k * sizeof *out->coef);
    out->cov = malloc(m * m * sizeof *out->cov);
    out->sigma = malloc(k * sizeof *out->sigma);
    for (size_t l = 0; l < m * k; l++)
        out->coef[l] = NAN;
    for (size_t l = 0; l < m * m; l++)
        out->cov[l] = NAN;
    for (size_t a = 0; a < mi; a++) {
        for (size_t j = 0; j < k; j++)
            out->coef[idx[a] * k + j] = (double)Bz[a * k + j];
        for (size_t b = 0; b < mi; b++)
            out->cov[idx[a] * m + idx[b]] = (double)(0.5L * (G[a * mi + b] + G[b * mi + a]));
    }
    for (size_t j = 0; j < k; j++) {
        long double rss = 0.0L;
        for (size_t i = 0; i < N; i++) {
            row_z(intercept, X ? X->data + i * X->stride : NULL, idx, mi, z);
            long double e = mgt_get(Y, i, j);
            for (size_t a = 0; a < mi; a++)
                e -= z[a] * Bz[a * k + j];
            rss += weight(w, i) * e * e;
        }
        out->sigma[j] = n > mi ? (double)sqrtl(rss / (long double)(n - mi)) : NAN;
    }
    out->views = malloc(2 * sizeof *out->views);
    out->views[0] = mg_matrix_view(out->coef, m, k);
    out->views[1] = mg_matrix_view(out->cov, m, m);
    out->model = (mg_model){ p, k, intercept, &out->views[0], &out->views[1], out->sigma,
                             n > mi ? n - mi : 0 };
    free(idx);
    free(G);
    free(R);
    free(Bz);
    free(z);
    return bad;
}

void ref_model_free(ref_model *rm)
{
    free(rm->coef);
    free(rm->cov);
    free(rm->sigma);
    free(rm->views);
    memset(rm, 0, sizeof *rm);
}

/* ---- prediction ----
 *
 * fit = z^T b over the identified columns: a dot of length m,
 *   |fit^ - fit| <= gamma_m sum_l |z_l b_l|.
 * v = z^T C z from T = z^T C (dots of length m), then T z (length m):
 *   |v^ - v| <= gamma_2m |z|^T |C| |z| =: dv.
 * se = sigma sqrt(max(v^, 0)): |sqrt(v^+) - sqrt(v)| <= min(dv / sqrt(v),
 *   sqrt(dv)) =: dsq (the clamp at 0 moves v^ towards v), then two
 *   roundings (sqrt, times sigma): |se^ - se| <= 1.01 sigma dsq + 2u se.
 * Confidence half-width hw = q sigma sqrt(v) (q sigma, times sqrt: three
 *   roundings): |hw^ - hw| <= 1.01 q sigma dsq + 3u hw.
 * Prediction: t = v + 1 / w0 (two roundings: 1 / w0 and the sum),
 *   |t^ - t| <= dv + 2.01 u t, and with t >= 1 / w0 > 0,
 *   |hw^ - hw| <= 1.01 q sigma |t^ - t| / sqrt(t) + 3u hw.
 * Bounds fit -/+ hw: |lower^ - lower| <= dfit + dhw + u |lower|.
 * Each adds u |value| for the rounding of the long-double reference. */
void ref_predict_row(const mg_model *model, const double *x, double w0, mg_interval iv, double q,
                     size_t j, ref_pred *out)
{
    const size_t m = model->coef->rows;
    size_t *idx = malloc(m * sizeof *idx);
    const size_t mi = identified(model->coef, idx);
    long double *z = calloc(mi + 1, sizeof *z);
    row_z(model->intercept, x, idx, mi, z);
    long double fit = 0.0L, fabs_sum = 0.0L, v = 0.0L, vabs = 0.0L;
    for (size_t a = 0; a < mi; a++) {
        long double b = mgt_get(model->coef, idx[a], j);
        fit += z[a] * b;
        fabs_sum += fabsl(z[a] * b);
        for (size_t c = 0; c < mi; c++) {
            long double C = mgt_get(model->cov_unscaled, idx[a], idx[c]);
            v += z[a] * C * z[c];
            vabs += fabsl(z[a]) * fabsl(C) * fabsl(z[c]);
        }
    }
    const long double sigma = model->sigma ? model->sigma[j] : NAN;
    const long double dfit = gam((double)mi) * fabs_sum + U * fabsl(fit);
    const long double dv = gam(2.0 * (double)mi) * vabs;
    const long double dsq = v > 0.0L ? fminl(dv / sqrtl(v), sqrtl(dv)) : sqrtl(dv);
    out->fit = fit;
    out->fit_tol = (double)dfit;
    out->se = sigma * sqrtl(v);
    out->se_tol = (double)(1.01L * sigma * dsq + 3.0L * U * out->se);
    long double hw = 0.0L, dhw = 0.0L;
    if (iv == MG_INTERVAL_CONFIDENCE) {
        hw = q * out->se;
        dhw = 1.01L * q * sigma * dsq + 4.0L * U * hw;
    } else if (iv == MG_INTERVAL_PREDICTION) {
        long double t = v + 1.0L / w0;
        hw = q * sigma * sqrtl(t);
        dhw = 1.01L * q * sigma * (dv + 2.01L * U * t) / sqrtl(t) + 4.0L * U * hw;
    }
    out->lower = fit - hw;
    out->upper = fit + hw;
    out->bound_tol = (double)(dfit + dhw + 2.0L * U * (fabsl(fit) + hw));
    free(idx);
    free(z);
}

/* ---- robust covariances ----
 *
 * Per row of nonzero weight (z over the identified columns, m of them):
 *   e = y - z^T b, a dot of length m + 1:  de <= gamma_(m+1) (|y| + |z|^T |b|);
 *   h = w z^T C z (T = Z C, then T z, then times w):
 *                                          dh <= gamma_(2m+1) w |z|^T |C| |z|;
 *   g = sqrt(a): 1 (HC0, HC1), 1 / sqrt(1 - h) (HC2), 1 / (1 - h) (HC3), with
 *     relative error dg <= dh / (1 - h - dh) + 3u (1 - h, sqrt, divide);
 *   s = |w e| g:  ds <= 1.01 (w de g + s (dg + 2u)).
 * M = sum_i s_i^2 z_i z_i^T, formed as (s z)(s z)^T (each factor rounded,
 * then the product) and summed over the N rows in any order (blocks, dsyrk,
 * merges): with P_i = |z_i| |z_i|^T,
 *   |M^ - M| <= 1.01 (sum_i 2 s_i ds_i P_i + gamma_(N+3) sum_i s_i^2 P_i)
 *            =: dM,  and |M| <= Mabs := sum_i s_i^2 P_i.
 * V = C M C by two products of inner dimension m:
 *   |V^ - C M^ C| <= gamma_2m |C| (Mabs + dM) |C|,  |C M^ C - V| <= |C| dM |C|;
 * the symmetrising mean and HC1's factor f = n / (n - rank) (rounded) add
 * 3u |V|:  |V^ - V| <= f |C| (dM + gamma_2m (Mabs + dM)) |C| + 4u |V|. */
typedef struct hc_sums {
    long double *M, *Mabs, *dM;
    size_t n;
    double hmax;
} hc_sums;

static long double sqrt_a(mg_hc_type type, long double h)
{
    return type == MG_HC2 ? 1.0L / sqrtl(1.0L - h) : type == MG_HC3 ? 1.0L / (1.0L - h) : 1.0L;
}

static void hc_row(const mg_model *model, size_t j, mg_hc_type type, const size_t *idx, size_t mi,
                   const long double *z, long double y, long double w, hc_sums *s)
{
    long double e = y, eabs = fabsl(y), za = 0.0L, zabs = 0.0L;
    for (size_t a = 0; a < mi; a++) {
        long double b = mgt_get(model->coef, idx[a], j);
        e -= z[a] * b;
        eabs += fabsl(z[a] * b);
        for (size_t c = 0; c < mi; c++) {
            long double C = mgt_get(model->cov_unscaled, idx[a], idx[c]);
            za += z[a] * C * z[c];
            zabs += fabsl(z[a]) * fabsl(C) * fabsl(z[c]);
        }
    }
    const long double h = w * za, dh = gam(2.0 * (double)mi + 1.0) * w * zabs;
    s->hmax = fmax(s->hmax, (double)h);
    const long double de = gam((double)mi + 1.0) * eabs;
    const long double g = sqrt_a(type, h);
    const long double dg = type >= MG_HC2 ? dh / (1.0L - h - dh) + 3.0L * U : 0.0L;
    const long double sv = fabsl(w * e) * g;
    const long double ds = 1.01L * (w * de * g + sv * (dg + 2.0L * U));
    for (size_t a = 0; a < mi; a++)
        for (size_t c = 0; c < mi; c++) {
            s->M[a * mi + c] += sv * sv * z[a] * z[c];
            s->Mabs[a * mi + c] += sv * sv * fabsl(z[a] * z[c]);
            s->dM[a * mi + c] += 2.0L * sv * ds * fabsl(z[a] * z[c]);
        }
    s->n++;
}

/* out = |C| A |C| (abs_c) or C A C, all m x m over the identified columns. */
static void sandwich(const mg_model *model, const size_t *idx, size_t mi, const long double *A,
                     int abs_c, long double *out)
{
    for (size_t a = 0; a < mi; a++)
        for (size_t d = 0; d < mi; d++) {
            long double acc = 0.0L;
            for (size_t b = 0; b < mi; b++)
                for (size_t c = 0; c < mi; c++) {
                    long double C1 = mgt_get(model->cov_unscaled, idx[a], idx[b]);
                    long double C2 = mgt_get(model->cov_unscaled, idx[c], idx[d]);
                    acc += (abs_c ? fabsl(C1) * fabsl(C2) : C1 * C2) * A[b * mi + c];
                }
            out[a * mi + d] = acc;
        }
}

double ref_hc(const mg_model *model, size_t j, mg_hc_type type, const mg_matrix *X,
              const mg_matrix *Y, const mg_matrix *w, double *V, double *tol)
{
    const size_t m = model->coef->rows;
    size_t *idx = malloc(m * sizeof *idx);
    const size_t mi = identified(model->coef, idx), mm = mi * mi + 1;
    hc_sums s = { calloc(mm, sizeof(long double)), calloc(mm, sizeof(long double)),
                  calloc(mm, sizeof(long double)), 0, 0.0 };
    long double *z = calloc(mi + 1, sizeof *z);
    for (size_t i = 0; i < Y->rows; i++) {
        double wi = weight(w, i);
        if (wi == 0.0)
            continue;
        row_z(model->intercept, X ? X->data + i * X->stride : NULL, idx, mi, z);
        hc_row(model, j, type, idx, mi, z, mgt_get(Y, i, j), wi, &s);
    }
    const long double gN = gam((double)s.n + 3.0), g2m = gam(2.0 * (double)mi);
    long double *E = calloc(mm, sizeof *E), *Vl = calloc(mm, sizeof *Vl);
    long double *Vb = calloc(mm, sizeof *Vb);
    for (size_t l = 0; l < mi * mi; l++) {
        s.dM[l] = 1.01L * (s.dM[l] + gN * s.Mabs[l]);
        E[l] = s.dM[l] + g2m * (s.Mabs[l] + s.dM[l]);
    }
    sandwich(model, idx, mi, s.M, 0, Vl);
    sandwich(model, idx, mi, E, 1, Vb);
    const long double f =
        type == MG_HC1 ? (long double)s.n / ((long double)s.n - (long double)mi) : 1.0L;
    for (size_t l = 0; l < m * m; l++)
        V[l] = tol[l] = NAN;
    for (size_t a = 0; a < mi; a++)
        for (size_t c = 0; c < mi; c++) {
            long double v = f * Vl[a * mi + c];
            V[idx[a] * m + idx[c]] = (double)v;
            tol[idx[a] * m + idx[c]] = (double)(f * Vb[a * mi + c] + 4.0L * U * fabsl(v));
        }
    free(idx);
    free(s.M);
    free(s.Mabs);
    free(s.dM);
    free(z);
    free(E);
    free(Vl);
    free(Vb);
    return s.hmax;
}
