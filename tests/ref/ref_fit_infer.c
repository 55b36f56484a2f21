/* SPDX-License-Identifier: BSD-3-Clause */
#include "ref_fit_infer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

ref_fit ref_fit_make(const double *X, size_t xs, const double *Y, size_t ys, const double *w,
                     size_t N, size_t p, size_t k, int ic, const unsigned char *drop,
                     int about_mean)
{
    const size_t m = (size_t)ic + p;
    ref_fit f;
    memset(&f, 0, sizeof f);
    f.m = m;
    f.k = k;
    size_t *col = malloc(m * sizeof *col), r = 0;
    for (size_t j = 0; j < m; j++)
        if (!drop || !drop[j])
            col[r++] = j;
    f.r = r;
    /* A = W^(1/2) [Z_I Y] (n x (r + k), column-major), rows of w > 0 */
    const size_t q = r + k;
    long double *A = calloc(N * q, sizeof *A), *sw = calloc(N, sizeof *sw);
    size_t n = 0;
    long double W = 0.0L, wy[64] = { 0 };
    for (size_t i = 0; i < N; i++) {
        const long double wi = w ? w[i] : 1.0L;
        if (wi == 0.0L)
            continue;
        f.logw += logl(wi);
        W += wi;
        sw[n] = sqrtl(wi);
        for (size_t a = 0; a < r; a++) {
            const size_t j = col[a];
            const long double z = (ic && j == 0) ? 1.0L : X[i * xs + j - (size_t)ic];
            A[a * N + n] = sw[n] * z;
        }
        for (size_t c = 0; c < k; c++) {
            A[(r + c) * N + n] = sw[n] * (long double)Y[i * ys + c];
            wy[c] += wi * (long double)Y[i * ys + c];
        }
        n++;
    }
    f.n = n;
    /* Householder QR of A (n x q) in place: R in the upper triangle */
    for (size_t j = 0; j < q && j < n; j++) {
        long double *a = A + j * N, s = 0.0L;
        for (size_t i = j; i < n; i++)
            s += a[i] * a[i];
        const long double nrm = sqrtl(s), alpha = a[j] > 0 ? -nrm : nrm;
        if (nrm == 0.0L)
            continue;
        a[j] -= alpha;
        long double vn = 0.0L;
        for (size_t i = j; i < n; i++)
            vn += a[i] * a[i];
        for (size_t l = j + 1; l < q; l++) {
            long double *b = A + l * N, d = 0.0L;
            for (size_t i = j; i < n; i++)
                d += a[i] * b[i];
            d = 2.0L * d / vn;
            for (size_t i = j; i < n; i++)
                b[i] -= d * a[i];
        }
        a[j] = alpha;
        for (size_t i = j + 1; i < n; i++)
            a[i] = 0.0L;
    }
    /* B_I = R^-1 qty, RSS from the rest, FSS = ||qty||^2 */
    f.B = calloc(m * k, sizeof *f.B);
    f.C = calloc(m * m, sizeof *f.C);
    f.rss = calloc(k, sizeof *f.rss);
    f.tss = calloc(k, sizeof *f.tss);
    f.fss = calloc(k, sizeof *f.fss);
    long double *Rinv = calloc(r * r, sizeof *Rinv);
    for (size_t j = 0; j < r; j++) {
        Rinv[j * r + j] = 1.0L / A[j * N + j];
        for (size_t i = j; i-- > 0;) {
            long double t = 0.0L;
            for (size_t l = i + 1; l <= j; l++)
                t += A[l * N + i] * Rinv[j * r + l];
            Rinv[j * r + i] = -t / A[i * N + i];
        }
    }
    for (size_t c = 0; c < k; c++) {
        const long double *t = A + (r + c) * N;
        for (size_t i = 0; i < r; i++) {
            long double b = 0.0L;
            for (size_t l = i; l < r; l++)
                b += Rinv[l * r + i] * t[l];
            f.B[col[i] * k + c] = b;
            f.fss[c] += t[i] * t[i];
        }
        for (size_t i = r; i < n && i <= r + c; i++)
            f.rss[c] += t[i] * t[i];
    }
    /* C = R^-1 R^-T */
    for (size_t a = 0; a < r; a++)
        for (size_t b = 0; b < r; b++) {
            long double s = 0.0L;
            for (size_t l = (a > b ? a : b); l < r; l++)
                s += Rinv[l * r + a] * Rinv[l * r + b];
            f.C[col[a] * m + col[b]] = s;
        }
    /* TSS straight from the rows */
    for (size_t c = 0; c < k; c++) {
        const long double mean = about_mean ? wy[c] / W : 0.0L;
        long double t = 0.0L, yy = 0.0L;
        for (size_t i = 0; i < N; i++) {
            const long double wi = w ? w[i] : 1.0L, y = Y[i * ys + c];
            t += wi * (y - mean) * (y - mean);
            yy += wi * y * y;
        }
        f.tss[c] = t;
        if (yy > f.yy_max)
            f.yy_max = yy;
    }
    /* kappa bound of the equilibrated design: G_ab = (R^T R)_ab / sqrt(G_aa G_bb) */
    long double gf = 0.0L, cf = 0.0L;
    for (size_t a = 0; a < r; a++)
        for (size_t b = 0; b < r; b++) {
            long double g = 0.0L, ga = 0.0L, gb = 0.0L;
            for (size_t l = 0; l <= a && l <= b; l++)
                g += A[a * N + l] * A[b * N + l];
            for (size_t l = 0; l <= a; l++)
                ga += A[a * N + l] * A[a * N + l];
            for (size_t l = 0; l <= b; l++)
                gb += A[b * N + l] * A[b * N + l];
            gf += g * g / (ga * gb);
            const long double cab = f.C[col[a] * m + col[b]];
            cf += cab * cab * ga * gb;
        }
    f.kappa2 = sqrtl(gf * cf);
    free(A); free(sw); free(Rinv); free(col);
    return f;
}

void ref_fit_free(ref_fit *f)
{
    free(f->B); free(f->C); free(f->rss); free(f->tss); free(f->fss);
    memset(f, 0, sizeof *f);
}
