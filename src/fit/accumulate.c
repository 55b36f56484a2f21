/* SPDX-License-Identifier: BSD-3-Clause */
/* fit: folding row blocks into the state (docs/derivations.md, "One model
 * of a fit").
 *
 * QR: rows are copied MG__FIT_BLOCK at a time, weighted by sqrt(w_i), into
 * a column-major block, folded into the triangle by Householder
 * reflections (mg__fit_fold_block).  GRAM: sub-blocks of
 * MG__FIT_BLOCK rows go through the packed Gram kernel (kernels/
 * gram_packed.h): in place when unweighted without the intercept, else as
 * a row-major copy weighted by sqrt(w_i) and, with the intercept, centred
 * on the sub-block's mean in cache (one read of the caller's rows).  The
 * kernel, unlike OpenBLAS's threaded dsyrk, never allocates and never
 * exits the process (docs/reliability.md).  Rows of zero weight contribute
 * nothing and are skipped (but counted, and checked for NaN/Inf like every
 * row). */
#include "fit_internal.h"
#include "kernels/dot8.h"
#include "kernels/gram_packed.h"

#include <string.h>

static double weight(const mg_matrix *w, size_t i)
{
    return w ? w->data[i * w->stride] : 1.0;
}

/* QR: copies rows [i0, i1) of sqrt(w) [1 X Y] into the column-major blk;
 * returns the number of rows copied (those with w > 0). */
static size_t fill(mg_fit *f, const mg_matrix *X, const mg_matrix *Y, const mg_matrix *w,
                   size_t i0, size_t i1)
{
    const size_t mb = f->mb, k = f->k, p = f->p;
    const size_t xoff = f->ic, yoff = xoff + p;
    size_t r = 0;
    for (size_t i = i0; i < i1; i++) {
        const double wi = weight(w, i);
        if (wi == 0.0)
            continue;
        const double sw = w ? sqrt(wi) : 1.0;
        if (xoff)
            f->blk[r] = sw;
        for (size_t j = 0; j < p; j++)
            f->blk[(xoff + j) * mb + r] = sw * X->data[i * X->stride + j];
        for (size_t c = 0; c < k; c++)
            f->blk[(yoff + c) * mb + r] = sw * Y->data[i * Y->stride + c];
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

/* [R; B] = Q [R'; 0] for the n x n upper triangle R (column-major, leading
 * dimension n) and the r x n block B (column-major, leading dimension ldb):
 * one Householder reflection per column j, H_j = I - tau v v^T with v = 1
 * at row j of R and u = B[:, j] / (alpha - beta) in the block, applied to
 * the columns to its right (LAPACK's dtpqrt2 with a rectangular B, l = 0;
 * Golub and Van Loan, Sec. 5.2).  Plain loops, not dtpqrt: OpenBLAS
 * dispatches the small BLAS calls inside dtpqrt to its thread pool, where
 * two states accumulated on two threads contend for its lock (several
 * times slower in the command, docs/cli.md), and allocates in doing so.  B is
 * overwritten.  Backward stable as any Householder QR; the squares cannot
 * overflow for columns within the state's range (MG__FIT_RANGE), and finish
 * refuses a state that holds others before it reads R. */
/* The fold, for a full block (tri = 0) or an upper-triangular one (tri =
 * 1: rows j + 1 and below of B's column j are zero, and stay zero, since
 * reflector j only mixes rows 0..j of the columns to its right). */
static inline void fold(double *restrict R, size_t n, double *restrict B, size_t ldb, size_t r,
                        int tri)
{
    for (size_t j = 0; j < n; j++) {
        double *u = B + j * ldb;
        const size_t rj = tri && j + 1 < r ? j + 1 : r;
        const double xx = mg__dot8(u, u, rj);
        if (xx == 0.0)
            continue; /* H_j = I */
        const double alpha = R[j * n + j], norm = sqrt(alpha * alpha + xx);
        const double beta = alpha >= 0.0 ? -norm : norm;
        const double tau = (beta - alpha) / beta, scale = 1.0 / (alpha - beta);
        for (size_t i = 0; i < rj; i++)
            u[i] *= scale;
        R[j * n + j] = beta;
        for (size_t l = j + 1; l < n; l++) {
            double *b = B + l * ldb;
            /* s = tau v^T [R(j, l); B(:, l)],  [R(j, l); B(:, l)] -= s v */
            const double s = tau * (R[l * n + j] + mg__dot8(u, b, rj));
            R[l * n + j] -= s;
            for (size_t i = 0; i < rj; i++)
                b[i] -= s * u[i];
        }
    }
}

void mg__fit_fold_block(double *restrict R, size_t n, double *restrict B, size_t ldb, size_t r)
{
    fold(R, n, B, ldb, r, 0);
}

void mg__fit_fold_triangle(double *restrict R, size_t n, double *restrict T, size_t ldt)
{
    fold(R, n, T, ldt, n, 1);
}

void mg__fit_fold_row(double *restrict R, size_t n, double *restrict a)
{
    /* fold with r = 1, unrolled: the same operations (a one-term dot8 is
     * the term itself) without the block loops' set-up per column */
    for (size_t j = 0; j < n; j++) {
        const double xx = a[j] * a[j];
        if (xx == 0.0)
            continue;
        const double alpha = R[j * n + j], norm = sqrt(alpha * alpha + xx);
        const double beta = alpha >= 0.0 ? -norm : norm;
        const double tau = (beta - alpha) / beta, u = a[j] * (1.0 / (alpha - beta));
        R[j * n + j] = beta;
        for (size_t l = j + 1; l < n; l++) {
            const double s = tau * (R[l * n + j] + u * a[l]);
            R[l * n + j] -= s;
            a[l] -= s * u;
        }
    }
}

/* QR: X and Y were checked finite first, so nothing below can fail and the
 * state is only touched by complete, valid updates. */
static mg_status accumulate_qr(mg_fit *f, const mg_matrix *X, const mg_matrix *Y,
                               const mg_matrix *w, size_t N)
{
    const size_t n = f->n;
    for (size_t i0 = 0; i0 < N; i0 += f->mb) {
        const size_t i1 = N - i0 < f->mb ? N : i0 + f->mb;
        const size_t r = fill(f, X, Y, w, i0, i1);
        mg__fit_range_rows(f, X, Y, w, i0, i1);
        if (r == 0)
            continue;
        /* [R; B] = Q [R'; 0]   (R' overwrites R) */
        mg__fit_fold_block(f->S, n, f->blk, f->mb, r);
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

/* GRAM: copies rows [i0, i1) of sqrt(w) ([X Y] - c) (c NULL: no shift)
 * into the row-major blk (row stride n), rows of zero weight skipped; their
 * sqrt(w) into f->sw, and *W += w.  Returns the number of rows copied. */
static size_t fill_rows(mg_fit *f, const mg_matrix *X, const mg_matrix *Y, const mg_matrix *w,
                        size_t i0, size_t i1, const double *c, double *W)
{
    const size_t n = f->n, p = f->p, k = f->k;
    size_t r = 0;
    for (size_t i = i0; i < i1; i++) {
        const double wi = weight(w, i);
        if (wi == 0.0)
            continue;
        const double sw = w ? sqrt(wi) : 1.0;
        double *b = f->blk + r * n;
        for (size_t j = 0; j < p; j++)
            b[j] = sw * (X->data[i * X->stride + j] - (c ? c[j] : 0.0));
        for (size_t j = 0; j < k; j++)
            b[p + j] = sw * (Y->data[i * Y->stride + j] - (c ? c[p + j] : 0.0));
        f->sw[r++] = sw;
        *W += wi;
    }
    return r;
}

/* c <- the first row of [X Y] in [i0, i1) with w > 0; 0 if there is none. */
static int first_row(const mg_fit *f, const mg_matrix *X, const mg_matrix *Y, const mg_matrix *w,
                     size_t i0, size_t i1, double *c)
{
    for (size_t i = i0; i < i1; i++) {
        if (weight(w, i) == 0.0)
            continue;
        for (size_t j = 0; j < f->p; j++)
            c[j] = X->data[i * X->stride + j];
        for (size_t j = 0; j < f->k; j++)
            c[f->p + j] = Y->data[i * Y->stride + j];
        return 1;
    }
    return 0;
}

/* The r copied rows of blk hold sqrt(w) (z - c): delta <- the weighted
 * mean of z - c, mu <- c + delta, their weighted mean. */
static void shifted_mean(const mg_fit *f, size_t r, double W, const double *c, double *delta,
                         double *mu)
{
    const size_t n = f->n;
    memset(delta, 0, n * sizeof *delta);
    for (size_t i = 0; i < r; i++)
        for (size_t j = 0; j < n; j++)
            delta[j] += f->sw[i] * f->blk[i * n + j];
    for (size_t j = 0; j < n; j++) {
        delta[j] /= W;
        mu[j] = c[j] + delta[j];
    }
}

/* The copied rows sqrt(w) (z - c) <- sqrt(w) (z - mu), in cache. */
static void recentre(mg_fit *f, size_t r, const double *delta)
{
    const size_t n = f->n;
    for (size_t i = 0; i < r; i++)
        for (size_t j = 0; j < n; j++)
            f->blk[i * n + j] -= f->sw[i] * delta[j];
}

/* S (row-major upper) from co-moments about c to co-moments about the
 * mean mu = c + delta:
 *     sum w (z - c)(z - c)^T = sum w (z - mu)(z - mu)^T + W delta delta^T. */
static void unshift(size_t n, double *S, double W, const double *delta)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = i; j < n; j++)
            S[i * n + j] -= W * delta[i] * delta[j];
}

/* Folds a sub-block's weight wb and mean mb into (wa, ma) and its cross
 * term into S, the co-moments about ma held row-major (upper triangle at
 * [i n + j], i <= j) as the packed kernel writes them; the sub-block's own
 * co-moment is already in S.  The pairwise update of mg__fit_gram_merge. */
static void merge_rowmajor(size_t n, double *wa, double *ma, double *S, double wb,
                           const double *mb)
{
    if (*wa == 0.0) {
        memcpy(ma, mb, n * sizeof *ma);
    } else {
        const double w = *wa + wb, t = (*wa / w) * wb;
        /* S += (wa wb / w) delta delta^T, delta = mean_b - mean_a */
        for (size_t i = 0; i < n; i++) {
            const double d = mb[i] - ma[i];
            for (size_t j = i; j < n; j++)
                S[i * n + j] += t * d * (mb[j] - ma[j]);
        }
        for (size_t j = 0; j < n; j++)
            ma[j] += (mb[j] - ma[j]) * (wb / w);
    }
    *wa += wb;
}

/* The caller's X rows of the sub-block after [i0, i1), as the packed
 * kernel's prefetch sees them: *rows rows of n doubles over the same
 * contiguous span (the kernel prefetches next_rows x j of its own row
 * stride).  The span stops at the last element of the last row, inside X;
 * Y rows interleaved with X (one [X Y] buffer) come along.  NULL: none. */
static const double *next_span(const mg_fit *f, const mg_matrix *X, size_t N, size_t i1,
                               size_t *rows)
{
    const size_t left = N - i1, nr = left < f->mb ? left : f->mb;
    *rows = 0;
    if (nr == 0 || f->p == 0)
        return NULL;
    *rows = ((nr - 1) * X->stride + f->p) / f->n;
    return *rows ? X->data + i1 * X->stride : NULL;
}

/* GRAM: unweighted rows without the intercept go to the kernel in place
 * (no copy), which then also takes X's minima and maxima for the range. */
static int gram_in_place(const mg_fit *f, const mg_matrix *w)
{
    return !w && !f->ic;
}

/* GRAM, one sub-block of rows [i0, i1): its products added to bS (row-major
 * upper), its weight to *bw and, with the intercept, its mean merged into
 * bmean (c: the shift, updated to this sub-block's mean; N: the rows of the
 * call, for the prefetch of the next sub-block).
 *
 * With the intercept the rows are copied about a shift c: the first row of
 * the call for its first sub-block, the previous sub-block's mean after.
 * z - c is then rounded relative to the spread of the rows, not to their
 * size, so a big common mean never enters a product.  The first
 * sub-block is recentred on its own mean in cache (its shift, one row, may
 * be far from it); the others keep the shift and correct their co-moment
 * exactly (unshift), which cancels W_b |delta_b|^2 with delta_b the step
 * from the previous sub-block's mean.  |delta_b|^2 <= 2 |mu_b - mu|^2 +
 * 2 |mu_(b-1) - mu|^2 (mu: the call's mean), so while W_b <= 2 W_(b-1) the
 * cancelled terms sum to at most 6 sum_b W_b |mu_b - mu|^2 <= 6 times the
 * call's co-moment, costing a few units of eps relative to it; a heavier
 * sub-block is recentred in cache like the first (docs/derivations.md,
 * "One model of a fit"). */
static void gram_block(mg_fit *f, const mg_matrix *X, const mg_matrix *Y, const mg_matrix *w,
                       size_t N, size_t i0, size_t i1, double *c, double *bw)
{
    const size_t n = f->n, p = f->p, k = f->k, nr = i1 - i0;
    if (gram_in_place(f, w)) {
        /* rows used in place: no copy */
        const double *A = X->data + i0 * X->stride, *Yb = Y->data + i0 * Y->stride;
        const size_t left = N - i1, next = left < f->mb ? left : f->mb;
        /* bS += [X_b Y_b]^T [X_b Y_b]   (packed kernel, upper triangle) */
        /* (and X's minima and maxima for the range guard, from cache) */
        mg__gram_packed_block(A, X->stride, Yb, Y->stride, nr, p, k, f->bS, n, f->P,
                              next ? A + nr * X->stride : NULL, next, f->xmin + p, f->xmax + p);
        *bw += (double)nr;
        return;
    }
    double W = 0.0, *delta = f->T; /* nb x n >= n doubles, unused by GRAM */
    const int first = f->ic && *bw == 0.0;
    if (first && !first_row(f, X, Y, w, i0, i1, c))
        return;
    const size_t r = fill_rows(f, X, Y, w, i0, i1, f->ic ? c : NULL, &W);
    if (r == 0)
        return;
    if (f->ic)
        shifted_mean(f, r, W, c, delta, c);
    /* see above: a shift from a much lighter sub-block is recentred too */
    const int centre = first || (f->ic && W > 2.0 * f->wprev);
    if (centre)
        recentre(f, r, delta);
    f->wprev = W;
    /* the copy's read of the caller's rows overlaps the multiply only
     * through this prefetch */
    size_t next_rows;
    const double *next = next_span(f, X, N, i1, &next_rows);
    /* bS += B^T B   (B = sqrt(w) (rows - sub-block mean), or sqrt(w) rows
     * without the intercept; packed kernel, upper triangle) */
    mg__gram_packed_block(f->blk, n, NULL, 0, r, n, 0, f->bS, n, f->P, next, next_rows, NULL,
                          NULL);
    if (!f->ic) {
        *bw += W;
        return;
    }
    if (!centre)
        unshift(n, f->bS, W, delta);
    merge_rowmajor(n, bw, f->bmean, f->bS, W, c);
}

/* GRAM: the block's sums are formed apart (bw, bmean, bS), checked, and
 * only then merged, so that NaN/Inf is detected from the small result
 * rather than by a second scan of the data. */
static mg_status accumulate_gram(mg_fit *f, const mg_matrix *X, const mg_matrix *Y,
                                 const mg_matrix *w, size_t N)
{
    const size_t n = f->n;
    const int ic = f->opt.intercept;
    double bw = 0.0, *c = f->tpwork; /* nb x n >= n doubles: the shift */
    memset(f->bS, 0, n * n * sizeof *f->bS);
    memset(f->bmean, 0, n * sizeof *f->bmean);
    for (size_t i0 = 0; i0 < N; i0 += f->mb) {
        const size_t i1 = N - i0 < f->mb ? N : i0 + f->mb;
        gram_block(f, X, Y, w, N, i0, i1, c, &bw);
        /* the range of rows the kernel has just read (in cache; rows used
         * in place: X's minima and maxima came from the kernel); only for
         * finite sums is it meaningful, checked below before it counts */
        if (gram_in_place(f, w))
            mg__fit_range_rows_gram(f, Y, i0, i1);
        else
            mg__fit_range_rows(f, X, Y, w, i0, i1);
    }
    /* row-major upper (the kernel's) to column-major upper (the state's) */
    for (size_t j = 0; j < n; j++)
        for (size_t i = 0; i < j; i++)
            f->bS[j * n + i] = f->bS[i * n + j];
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

/* sum log w_i as log of a product: each w_i = f_i 2^e_i (f_i in [1/2, 1),
 * frexp, exact), the f_i multiplied in long double and renormalised every
 * 1024 factors (their product stays above 2^-1024, far inside long
 * double's range), the exponents summed exactly: one log per call instead
 * of one per row.  Each product rounds by u = 2^-64 relative, so the sum
 * errs by about N u absolutely (1e-12 for 1e7 rows), then one rounding. */
double mg__fit_sum_log_weights(const mg_matrix *w, size_t N)
{
    long double prod = 1.0L;
    long long esum = 0;
    size_t run = 0;
    for (size_t i = 0; i < N; i++) {
        const double wi = weight(w, i);
        if (wi == 0.0)
            continue;
        int e;
        prod *= frexp(wi, &e);
        esum += e;
        if (++run == 1024) {
            prod = frexpl(prod, &e);
            esum += e;
            run = 0;
        }
    }
    return (double)(logl(prod) + (long double)esum * 0.693147180559945309417232121458176568L);
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
    mg__fit_range_begin(fit);
    const double logw = w ? mg__fit_sum_log_weights(w, N) : 0.0;
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
        mg_status s = accumulate_gram(fit, X, Y, w, N);
        /* sums of finite data that overflow: values beyond the state's
         * range (MG_FIT_RANGE), which is a rescaling matter, not NaN */
        if (s == MG_ENONFINITE && (fit->p == 0 || mg__all_finite(X->data, N, fit->p, X->stride)) &&
            mg__all_finite(Y->data, N, fit->k, Y->stride))
            s = MG_ERANGE;
        MG__CHECK(s);
    }
    if (fit->opt.exact)
        mg__fit_exact_rows(fit, X, Y, w, N);
    mg__fit_range_commit(fit);
    fit->logw += logw;
    fit->rows += N;
    fit->nonzero += count_nonzero(w, N);
    mg__fit_invalidate(fit);
    return MG_OK;
}
