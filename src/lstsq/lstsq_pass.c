/* SPDX-License-Identifier: BSD-3-Clause */
/* lstsq: the two passes over a big X of the Cholesky path, each reading X
 * from memory once:
 *   the Gram pass      G = Zd^T Zd,  C = Zd^T Y;
 *   the residual pass  F = Y - Zd B (double-double),  Zd^T F,  ||F_c||^2.
 * Rows are split into a fixed number of slices that depends on N only; each
 * slice has its own partial sums, added in slice order afterwards, so the
 * result is bitwise identical run to run and for any thread count.  With
 * OpenMP the slices run on several cores; without it, one after another.
 * Inside a slice, rows go in blocks small enough to stay in cache between
 * the residual and the product that reads it again. */
#include "lstsq_internal.h"
#include "internal.h"
#include "kernels/gram.h"
#include "kernels/parallel.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

/* Slices of at least 4096 rows, at most 16 of them; blocks of 256 rows
 * (128 KiB of a 64-column X) inside the residual pass. */
enum { SLICE_MIN_ROWS = 4096, MAX_SLICES = 16, PASS_ROWS = 256 };

static MG__MUST_USE size_t n_slices(size_t N)
{
    size_t s = N / SLICE_MIN_ROWS;
    if (s < 1)
        s = 1;
    return s > MAX_SLICES ? MAX_SLICES : s;
}

/* Threads for a pass over N x nx: one below 2^24 elements (128 MiB of X),
 * where waking threads that may find their cores busy costs more than the
 * pass itself saves. */
static MG__MUST_USE int n_threads(size_t N, size_t nx)
{
    return mg__pass_threads(N * nx, (size_t)1 << 24);
}

mg_status mg__lsq_gram_pass(const mg__design *d, const mg_matrix *Y, double *G, double *C)
{
    const mg_matrix *X = d->X;
    const size_t N = d->N, p = d->p, k = Y->cols, nx = X->cols, ic = (size_t)d->intercept;
    const size_t S = n_slices(N), ld = p * p + k * p;
    double *part = mg__alloc_doubles(S, ld); /* per slice: G_s (p x p), C_s^T (k x p) */
    const int nthreads = n_threads(N, nx);

    /* one flag per slice, each written by the thread that runs it */
    unsigned char failed[MAX_SLICES] = { 0 };

    if (!part)
        return MG_ENOMEM;
    MG__FOR_SLICES(nthreads, s, S, {
        const size_t r0 = N * s / S, r1 = N * (s + 1) / S;
        double *Gs = part + s * ld, *Ct = Gs + p * p;
        const double *Xs = X->data + r0 * X->stride;
        memset(Gs, 0, ld * sizeof *Gs);
        /* G_xx += X_s^T X_s   (upper triangle: the packed Gram kernel); it
         * fails only when its packing buffer cannot be allocated */
        failed[s] = mg__gram_update(Xs, X->stride, r1 - r0, nx, Gs + ic * p + ic, p) != MG_OK;
        /* C^T += Y_s^T Zd_s and G_0x += 1^T X_s, row by row (a row of X is
         * in cache for all k outputs) */
        for (size_t i = r0; i < r1; i++) {
            const double *x = X->data + i * X->stride;
            if (ic)
                for (size_t j = 0; j < nx; j++)
                    Gs[1 + j] += x[j];
            for (size_t c = 0; c < k; c++) {
                const double y = Y->data[i * Y->stride + c];
                double *ct = Ct + c * p;
                if (ic)
                    ct[0] += y;
                for (size_t j = 0; j < nx; j++)
                    ct[ic + j] += y * x[j];
            }
        }
    });
    for (size_t s = 0; s < S; s++) {
        if (failed[s]) {
            free(part);
            return MG_ENOMEM;
        }
    }
    /* fixed-order reduction over the slices */
    memset(G, 0, p * p * sizeof *G);
    memset(C, 0, p * k * sizeof *C);
    for (size_t s = 0; s < S; s++) {
        const double *Gs = part + s * ld, *Ct = Gs + p * p;
        for (size_t i = 0; i < p; i++)
            for (size_t j = i; j < p; j++)
                G[i * p + j] += Gs[i * p + j];
        for (size_t j = 0; j < p; j++)
            for (size_t c = 0; c < k; c++)
                C[j * k + c] += Ct[c * p + j];
    }
    if (ic)
        G[0] = (double)N;
    free(part);
    /* NaN/Inf anywhere in X poisons a diagonal entry; in Y, a column of C */
    if (!mg__all_finite(G, p, 1, p + 1) || !mg__all_finite(C, p, k, k))
        return MG_ENONFINITE;
    return MG_OK;
}

mg_status mg__lsq_resid_pass(const mg__design *d, const double *scale, const mg_matrix *Y,
                             const double *Bt, double *Gc, long double *rss)
{
    const mg_matrix *X = d->X;
    const size_t N = d->N, p = d->p, k = Y->cols, nx = X->cols, ic = (size_t)d->intercept;
    const size_t S = n_slices(N), ld = PASS_ROWS * k + k * p;
    double *part = mg__alloc_doubles(S, ld);     /* per slice: F block, G_s^T (k x p) */
    long double *prss = calloc(S * k, sizeof *prss);
    const int nthreads = n_threads(N, nx);

    if (!part || !prss) {
        free(part);
        free(prss);
        return MG_ENOMEM;
    }
    MG__FOR_SLICES(nthreads, s, S, {
        double *Fb = part + s * ld, *Gt = Fb + PASS_ROWS * k;
        memset(Gt, 0, k * p * sizeof *Gt);
        for (size_t r0 = N * s / S, r1 = N * (s + 1) / S; r0 < r1; r0 += PASS_ROWS) {
            const size_t nb = r1 - r0 < PASS_ROWS ? r1 - r0 : PASS_ROWS;
            /* F_b = Y_b - Zd_b B   (double-double, rounded once) */
            mg__xresid(X->data, X->stride, nx, d->intercept, Bt, p, k, Y->data, Y->stride,
                       NULL, 0, Fb, k, r0, r0 + nb);
            for (size_t c = 0; c < k; c++)
                prss[s * k + c] += mg__xsumsq(Fb + c, nb, k, 0.0);
            /* G_s^T += F_b^T Zd_b, the block of X still in cache */
            for (size_t i = 0; i < nb; i++) {
                const double *x = X->data + (r0 + i) * X->stride;
                for (size_t c = 0; c < k; c++) {
                    const double f = Fb[i * k + c];
                    double *gt = Gt + c * p;
                    if (ic)
                        gt[0] += f;
                    for (size_t j = 0; j < nx; j++)
                        gt[ic + j] += f * x[j];
                }
            }
        }
    });
    /* fixed-order reduction; Gc = D Zd^T F */
    for (size_t c = 0; c < k; c++)
        rss[c] = 0.0L;
    memset(Gc, 0, p * k * sizeof *Gc);
    for (size_t s = 0; s < S; s++) {
        const double *Gt = part + s * ld + PASS_ROWS * k;
        for (size_t c = 0; c < k; c++) {
            rss[c] += prss[s * k + c];
            for (size_t j = 0; j < p; j++)
                Gc[j * k + c] += Gt[c * p + j];
        }
    }
    for (size_t j = 0; j < p; j++)
        for (size_t c = 0; c < k; c++)
            Gc[j * k + c] *= scale[j];
    free(part);
    free(prss);
    return MG_OK;
}
