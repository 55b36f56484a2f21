/* SPDX-License-Identifier: BSD-3-Clause */
/* lstsq: the fast path for big, well-conditioned designs.  One pass forms
 * Z^T Z and Z^T Y together (lstsq_pass.c); Cholesky gives the first
 * solution, and corrected semi-normal equations refine it,
 *     F = Y - Z X  (double-double),   U^T U dX = Z^T F,
 * each step one more pass over X (docs/accuracy.md).
 *
 * The factor U (row-major upper) is, read column-major, the lower factor
 * L = U^T with L L^T = Z^T Z, so every LAPACK call below is column-major
 * 'L' on the same storage: LAPACKE's row-major entry points would allocate
 * transposed copies, and its non-_work ones their own workspace, and a
 * failure there would come back folded into a return value that dlansy
 * cannot even express. */
#include "lstsq_internal.h"
#include "internal.h"
#include "kernels/gram.h"

#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* 1 if column j of the design Zd holds a nonzero entry. */
static MG__MUST_USE int column_nonzero(const mg__design *d, size_t j)
{
    const mg_matrix *X = d->X;
    if (d->intercept && j == 0)
        return 1;
    for (size_t i = 0; i < d->N; i++)
        if (X->data[i * X->stride + j - (size_t)d->intercept] != 0.0)
            return 1;
    return 0;
}

/* The Gram matrix holds every column to working accuracy when each nonzero
 * column's sum of squares G_jj is at least N DBL_MIN: the products that
 * fall below the normal range lose at most DBL_TRUE_MIN / 2 each, N of them
 * at most eps / 2 relative to sqrt(G_ii G_jj).  A column of subnormal
 * entries has G_jj = 0 (every square underflows): not representable, and
 * not the zero column that makes Z^T Z singular either. */
static MG__MUST_USE int gram_underflows(const mg__design *d, const double *G)
{
    const size_t p = d->p;
    const double floor = (double)d->N * DBL_MIN;
    for (size_t j = 0; j < p; j++)
        if (G[j * p + j] < floor && column_nonzero(d, j))
            return 1;
    return 0;
}

/* U^T U = G (G p x p, row-major upper, overwritten by U) and
 * rcond = rcond(G).  work: 3 p doubles, iwork: p. */
static MG__MUST_USE mg_status factor(double *G, size_t p, double *rcond, double *work,
                                     lapack_int *iwork)
{
    const lapack_int pp = (lapack_int)p;
    /* anorm = ||G||_1, for the condition estimate, before dpotrf overwrites G */
    const double anorm = LAPACKE_dlansy_work(LAPACK_COL_MAJOR, '1', 'L', pp, G, pp, work);
    /* G = L L^T, L = U^T; MG_ENOTPD on a non-positive pivot */
    MG__CHECK(mg__cholesky_lower(G, pp));
    /* rcond ~ 1 / (||G||_1 ||G^-1||_1) = rcond(Z)^2 */
    return mg__lapack_status(LAPACKE_dpocon_work(LAPACK_COL_MAJOR, 'L', pp, G, pp, anorm, rcond,
                                                 work, iwork),
                             MG_EINVAL);
}

mg_status mg__lsq_chol(mg__lsq *q, const mg_matrix *Y, double *C)
{
    const size_t p = q->d.p, k = Y->cols;
    double *G = mg__alloc_doubles(p, p), *work = mg__alloc_doubles(3, p);
    lapack_int *iwork = malloc(p * sizeof *iwork);
    mg_status s = (G && work && iwork) ? MG_OK : MG_ENOMEM;

    if (s == MG_OK)
        s = mg__lsq_gram_pass(&q->d, Y, G, C);
    if (s == MG_OK && gram_underflows(&q->d, G))
        s = MG_ENOCONV;
    if (s != MG_OK) {
        free(G); free(work); free(iwork);
        return s;
    }
    /* D = 2^-e with sqrt(G_jj) in [2^(e-1), 2^e); D G D and D C are exact.
     * N DBL_MIN <= G_jj <= DBL_MAX keeps 2^-e within [2^-512, 2^512]. */
    for (size_t j = 0; j < p; j++) {
        /* frexp's exponent: sqrt(G_jj) = m 2^e, m in [1/2, 1) */
        const int e = G[j * p + j] > 0.0 ? ilogb(sqrt(G[j * p + j])) + 1 : 0;
        q->scale[j] = ldexp(1.0, -e);
        q->scale_lo[j] = 1.0;
    }
    for (size_t i = 0; i < p; i++) {
        for (size_t j = i; j < p; j++)
            G[i * p + j] *= q->scale[i] * q->scale[j];
        for (size_t c = 0; c < k; c++)
            C[i * k + c] *= q->scale[i];
    }
    double rcond = 0.0;
    s = factor(G, p, &rcond, work, iwork);
    free(work);
    free(iwork);
    if (s != MG_OK) {
        free(G);
        return s;
    }
    q->kind = MG__LSQ_CHOL;
    q->F = G;
    q->rank = p;
    q->rcond = sqrt(rcond);
    return MG_OK;
}

/* X <- U^-1 U^-T X for X p x k (row-major) through the column-major
 * buffer T (p k doubles). */
static MG__MUST_USE mg_status chol_solve(const double *U, size_t p, double *X, size_t k,
                                         double *T)
{
    for (size_t j = 0; j < p; j++)
        for (size_t c = 0; c < k; c++)
            T[c * p + j] = X[j * k + c];
    /* T = (L L^T)^-1 T = U^-1 U^-T T */
    MG__CHECK(mg__lapack_status(LAPACKE_dpotrs_work(LAPACK_COL_MAJOR, 'L', (lapack_int)p,
                                                    (lapack_int)k, U, (lapack_int)p, T,
                                                    (lapack_int)p),
                                MG_EINVAL));
    for (size_t j = 0; j < p; j++)
        for (size_t c = 0; c < k; c++)
            X[j * k + c] = T[c * p + j];
    return MG_OK;
}

mg_status mg__lsq_chol_solve(const mg__lsq *q, const mg_matrix *Y, const double *C, double *Xs,
                             long double *rss, size_t *steps)
{
    const size_t p = q->d.p, k = Y->cols;
    double *Gc = mg__alloc_doubles(p, k), *dX = mg__alloc_doubles(p, k);
    double *scratch = mg__alloc_doubles(2 * k * p + 2 * k + 2 * p, 1);
    long double *rssF = malloc(k * sizeof *rssF);
    unsigned char *done = calloc(k, 1);

    if (!Gc || !dX || !scratch || !rssF || !done) {
        free(Gc); free(dX); free(scratch); free(rssF); free(done);
        return MG_ENOMEM;
    }
    double *Bt = scratch, *prev = Bt + k * p, *last = prev + k, *col = last + k, *dcol = col + p,
           *T = dcol + p;
    memcpy(Xs, C, p * k * sizeof *Xs);
    /* X = U^-1 U^-T C   (the normal equations' solution) */
    mg_status s = chol_solve(q->F, p, Xs, k, T);
    /* last: the last correction applied; none yet, so nothing is known of
     * the error of X (not "converged") */
    for (size_t c = 0; c < k; c++) {
        prev[c] = 1.0;
        last[c] = INFINITY;
    }
    size_t n = 0, left = k;
    while (s == MG_OK) {
        for (size_t j = 0; j < p; j++)
            for (size_t c = 0; c < k; c++)
                Bt[c * p + j] = q->scale[j] * Xs[j * k + c]; /* b = D x: exact */
        s = mg__lsq_resid_pass(&q->d, q->scale, Y, Bt, Gc, rssF);
        if (s != MG_OK)
            break;
        if (n == q->max_refine) {
            for (size_t c = 0; c < k; c++)
                if (!done[c])
                    rss[c] = rssF[c];
            break;
        }
        memcpy(dX, Gc, p * k * sizeof *dX);
        /* dX = U^-1 U^-T D Zd^T F   (corrected semi-normal equations) */
        s = chol_solve(q->F, p, dX, k, T);
        if (s != MG_OK)
            break;
        n++;
        for (size_t c = 0; c < k; c++) {
            if (done[c])
                continue;
            for (size_t j = 0; j < p; j++) {
                col[j] = Xs[j * k + c];
                dcol[j] = dX[j * k + c];
            }
            const double dlt = mg__lsq_rel_change(dcol, col, p);
            rss[c] = rssF[c];
            if (!(dlt < prev[c])) {
                done[c] = 1; /* no longer shrinking: keep x */
                left--;
                continue;
            }
            long double gdx = 0.0L;
            for (size_t j = 0; j < p; j++) {
                Xs[j * k + c] += dcol[j];
                gdx += Gc[j * k + c] * dcol[j];
            }
            /* ||F - Z dx||^2 = ||F||^2 - g^T dx when dx = (Z^T Z)^-1 g */
            rss[c] = fmaxl(rssF[c] - gdx, 0.0L);
            last[c] = dlt;
            if (dlt == 0.0 || dlt * (dlt / prev[c]) <= 0.25 * DBL_EPSILON) {
                done[c] = 1;
                left--;
            }
            prev[c] = dlt;
        }
        if (left == 0)
            break;
    }
    /* converged when the last correction applied was below sqrt(eps): the
     * error left after it is about its square */
    for (size_t c = 0; s == MG_OK && c < k; c++)
        if (q->max_refine > 0 && !(last[c] <= 1.5e-8))
            s = MG_ENOCONV;
    *steps = n;
    free(Gc); free(dX); free(scratch); free(rssF); free(done);
    return s;
}
