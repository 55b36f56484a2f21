/* SPDX-License-Identifier: BSD-3-Clause */
/* fit: folding row blocks into the state (docs/derivations.md, "One model
 * of a fit").
 *
 * Rows are copied MG__FIT_BLOCK at a time, weighted by sqrt(w_i), into a
 * column-major block, and the block is folded in with one BLAS-3 / LAPACK
 * call.  Rows of zero weight contribute nothing and are skipped (but
 * counted, and checked for NaN/Inf like every row). */
#include "fit_internal.h"

#include <cblas.h>
#include <string.h>

static double weight(const mg_matrix *w, size_t i)
{
    return w ? w->data[i * w->stride] : 1.0;
}

/* Copies rows [i0, i1) of sqrt(w) [1 X Y] (QR) or sqrt(w) ([X Y] - shift)
 * (GRAM; shift NULL: none) into blk; returns the number of rows copied
 * (those with w > 0). */
static size_t fill(mg_fit *f, const mg_matrix *X, const mg_matrix *Y, const mg_matrix *w,
                   size_t i0, size_t i1, const double *shift)
{
    const size_t mb = f->mb, k = f->k, p = f->p;
    const size_t xoff = f->opt.kind == MG_FIT_QR ? f->ic : 0, yoff = xoff + p;
    size_t r = 0;
    for (size_t i = i0; i < i1; i++) {
        const double wi = weight(w, i);
        if (wi == 0.0)
            continue;
        const double sw = w ? sqrt(wi) : 1.0;
        if (xoff)
            f->blk[r] = sw;
        for (size_t j = 0; j < p; j++)
            f->blk[(xoff + j) * mb + r] =
                sw * (X->data[i * X->stride + j] - (shift ? shift[j] : 0.0));
        for (size_t c = 0; c < k; c++)
            f->blk[(yoff + c) * mb + r] =
                sw * (Y->data[i * Y->stride + c] - (shift ? shift[p + c] : 0.0));
        r++;
    }
    return r;
}

static size_t count_nonzero(const mg_matrix *w, size_t N)
{
    size_t nz = 0;
    for (size_t i = 0; i < N; i++)
        nz += weight(w, i) != 0.0;
    return nz;
}

/* QR: X and Y were checked finite first, so nothing below can fail and the
 * state is only touched by complete, valid updates. */
static mg_status accumulate_qr(mg_fit *f, const mg_matrix *X, const mg_matrix *Y,
                               const mg_matrix *w, size_t N)
{
    const lapack_int n = (lapack_int)f->n;
    for (size_t i0 = 0; i0 < N; i0 += f->mb) {
        const size_t i1 = N - i0 < f->mb ? N : i0 + f->mb;
        const size_t r = fill(f, X, Y, w, i0, i1, NULL);
        if (r == 0)
            continue;
        /* [R; B] = Q [R'; 0]   (R' overwrites R: Householder update of the
         * triangle by the block's rows, dtpqrt with a rectangular B, l = 0) */
        MG__CHECK(mg__lapack_status(
            LAPACKE_dtpqrt_work(LAPACK_COL_MAJOR, (lapack_int)r, n, 0, (lapack_int)f->nb, f->S,
                                n, f->blk, (lapack_int)f->mb, f->T, (lapack_int)f->nb,
                                f->tpwork),
            MG_EINVAL));
    }
    return MG_OK;
}

void mg__fit_gram_merge(size_t n, double *wa, double *ma, double *Sa, double wb,
                        const double *mb, const double *Sb)
{
    if (wb == 0.0)
        return;
    if (Sb)
        for (size_t j = 0; j < n; j++)
            for (size_t i = 0; i <= j; i++)
                Sa[j * n + i] += Sb[j * n + i];
    if (ma && *wa == 0.0) {
        memcpy(ma, mb, n * sizeof *ma);
    } else if (ma) {
        const double w = *wa + wb, t = (*wa / w) * wb;
        /* S = Sa + Sb + (wa wb / w) delta delta^T, delta = mean_b - mean_a
         * (Chan, Golub and LeVeque's pairwise update) */
        for (size_t j = 0; j < n; j++) {
            const double d = mb[j] - ma[j];
            for (size_t i = 0; i <= j; i++)
                Sa[j * n + i] += t * (mb[i] - ma[i]) * d;
        }
        /* mean = mean_a + delta wb / w */
        for (size_t j = 0; j < n; j++)
            ma[j] += (mb[j] - ma[j]) * (wb / w);
    }
    *wa += wb;
}

/* The weighted mean of the block's rows into mu (n), two passes (the
 * second corrects the first's rounding: Bjorck's corrected mean). */
static double block_mean(mg_fit *f, const mg_matrix *X, const mg_matrix *Y, const mg_matrix *w,
                         size_t i0, size_t i1, double *mu)
{
    const size_t p = f->p, n = f->n;
    double W = 0.0;
    memset(mu, 0, n * sizeof *mu);
    for (int pass = 0; pass < 2; pass++) {
        double *acc = f->T; /* nb x n >= n doubles, unused by GRAM */
        memset(acc, 0, n * sizeof *acc);
        W = 0.0;
        for (size_t i = i0; i < i1; i++) {
            const double wi = weight(w, i);
            if (wi == 0.0)
                continue;
            W += wi;
            for (size_t j = 0; j < p; j++)
                acc[j] += wi * (X->data[i * X->stride + j] - mu[j]);
            for (size_t c = 0; c < f->k; c++)
                acc[p + c] += wi * (Y->data[i * Y->stride + c] - mu[p + c]);
        }
        if (W == 0.0)
            return 0.0;
        for (size_t j = 0; j < n; j++)
            mu[j] += acc[j] / W;
    }
    return W;
}

/* GRAM: the block's sums are formed apart (bw, bmean, bS), checked, and
 * only then merged, so that NaN/Inf is detected from the small result
 * rather than by a second scan of the data. */
static mg_status accumulate_gram(mg_fit *f, const mg_matrix *X, const mg_matrix *Y,
                                 const mg_matrix *w, size_t N)
{
    const size_t n = f->n;
    const int ic = f->opt.intercept;
    double bw = 0.0, *sub = f->tpwork; /* nb x n >= n doubles: a sub-block's mean */
    memset(f->bS, 0, n * n * sizeof *f->bS);
    memset(f->bmean, 0, n * sizeof *f->bmean);
    for (size_t i0 = 0; i0 < N; i0 += f->mb) {
        const size_t i1 = N - i0 < f->mb ? N : i0 + f->mb;
        double W = 0.0;
        if (ic) {
            W = block_mean(f, X, Y, w, i0, i1, sub);
        } else {
            for (size_t i = i0; i < i1; i++)
                W += weight(w, i);
        }
        if (W == 0.0)
            continue;
        const size_t r = fill(f, X, Y, w, i0, i1, ic ? sub : NULL);
        /* S_b += B^T B   (B = sqrt(w) (rows - sub-block mean), or sqrt(w) rows
         * without the intercept; dsyrk, upper triangle) */
        cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, (int)n, (int)r, 1.0, f->blk,
                    (int)f->mb, 1.0, f->bS, (int)n);
        /* the sub-block's mean (its co-moment is already in bS) */
        mg__fit_gram_merge(n, &bw, ic ? f->bmean : NULL, f->bS, W, sub, NULL);
    }
    for (size_t j = 0; j < n; j++) {
        if (!isfinite(f->bmean[j]))
            return MG_ENONFINITE;
        for (size_t i = 0; i <= j; i++)
            if (!isfinite(f->bS[j * n + i]))
                return MG_ENONFINITE;
    }
    if (!isfinite(f->wsum + bw))
        return MG_ENONFINITE;
    mg__fit_gram_merge(n, &f->wsum, ic ? f->mean : NULL, f->S, bw, f->bmean, f->bS);
    return MG_OK;
}

/* Rows of zero weight are not in any sum; check them here so that NaN in
 * a dropped row is still reported as for every row. */
static int zero_weight_rows_finite(const mg_fit *f, const mg_matrix *X, const mg_matrix *Y,
                                   const mg_matrix *w, size_t N)
{
    if (!w)
        return 1;
    for (size_t i = 0; i < N; i++) {
        if (weight(w, i) != 0.0)
            continue;
        if ((f->p > 0 && !mg__all_finite(X->data + i * X->stride, 1, f->p, f->p)) ||
            !mg__all_finite(Y->data + i * Y->stride, 1, f->k, f->k))
            return 0;
    }
    return 1;
}

mg_status mg_fit_accumulate(mg_fit *fit, const mg_matrix *X, const mg_matrix *Y,
                            const mg_matrix *w)
{
    size_t N = 0;
    const int qr = fit && fit->opt.kind == MG_FIT_QR;
    MG__CHECK(mg__fit_check_rows(fit, X, Y, w, qr, &N));
    if (!qr && !zero_weight_rows_finite(fit, X, Y, w, N))
        return MG_ENONFINITE;
    if (qr) {
        double wsum = 0.0;
        for (size_t i = 0; i < N; i++)
            wsum += weight(w, i);
        if (!isfinite(fit->wsum + wsum))
            return MG_ENONFINITE;
        MG__CHECK(accumulate_qr(fit, X, Y, w, N));
        fit->wsum += wsum;
    } else {
        /* merges the block's weight into fit->wsum */
        MG__CHECK(accumulate_gram(fit, X, Y, w, N));
    }
    if (fit->opt.exact)
        mg__fit_exact_rows(fit, X, Y, w, N);
    mg__fit_track_range(fit, X, Y, w, N);
    fit->rows += N;
    fit->nonzero += count_nonzero(w, N);
    mg__fit_invalidate(fit);
    return MG_OK;
}
