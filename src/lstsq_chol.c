/* lstsq: the fast path for big, well-conditioned designs.  One pass forms
 * Z^T Z and Z^T Y together (lstsq_pass.c); Cholesky gives the first
 * solution, and corrected semi-normal equations refine it,
 *     F = Y - Z X  (double-double),   U^T U dX = Z^T F,
 * each step one more pass over X (docs/accuracy.md). */
#include "lstsq_internal.h"
#include "internal.h"
#include "kernels/gram.h"

#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

mg_status mg__lsq_chol(mg__lsq *q, const mg_matrix *Y, double *C)
{
    const size_t p = q->d.p, k = Y->cols;
    double *G = mg__alloc_doubles(p, p);

    if (!G)
        return MG_ENOMEM;
    mg_status s = mg__lsq_gram_pass(&q->d, Y, G, C);
    if (s != MG_OK) {
        free(G);
        return s;
    }
    /* D = 2^-e with sqrt(G_jj) in [2^(e-1), 2^e); D G D and D C are exact */
    for (size_t j = 0; j < p; j++) {
        int e = 0;
        if (G[j * p + j] > 0.0)
            (void)frexp(sqrt(G[j * p + j]), &e);
        q->scale[j] = ldexp(1.0, -e);
    }
    for (size_t i = 0; i < p; i++) {
        for (size_t j = i; j < p; j++)
            G[i * p + j] *= q->scale[i] * q->scale[j];
        for (size_t c = 0; c < k; c++)
            C[i * k + c] *= q->scale[i];
    }
    /* ||Z^T Z||_1, for the condition estimate, before dpotrf overwrites it */
    const double anorm = LAPACKE_dlansy(LAPACK_ROW_MAJOR, '1', 'U', (lapack_int)p, G, (lapack_int)p);
    double rcond = 0.0;
    /* Z^T Z = U^T U */
    if (LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'U', (lapack_int)p, G, (lapack_int)p) != 0) {
        free(G);
        return MG_ENOTPD;
    }
    /* rcond(Z^T Z) ~ 1 / (||Z^T Z||_1 ||(Z^T Z)^-1||_1) = rcond(Z)^2 */
    if (LAPACKE_dpocon(LAPACK_ROW_MAJOR, 'U', (lapack_int)p, G, (lapack_int)p, anorm, &rcond) != 0)
        rcond = 0.0;
    q->kind = MG__LSQ_CHOL;
    q->F = G;
    q->rank = p;
    q->rcond = sqrt(rcond);
    return MG_OK;
}

mg_status mg__lsq_chol_solve(const mg__lsq *q, const mg_matrix *Y, const double *C, double *Xs,
                             long double *rss, size_t *steps)
{
    const size_t p = q->d.p, k = Y->cols;
    const lapack_int pp = (lapack_int)p, kk = (lapack_int)k;
    double *Gc = mg__alloc_doubles(p, k), *dX = mg__alloc_doubles(p, k);
    double *scratch = mg__alloc_doubles(k * p + 2 * k + 2 * p, 1);
    long double *rssF = malloc(k * sizeof *rssF);
    unsigned char *done = calloc(k, 1);

    if (!Gc || !dX || !scratch || !rssF || !done) {
        free(Gc); free(dX); free(scratch); free(rssF); free(done);
        return MG_ENOMEM;
    }
    double *Bt = scratch, *prev = Bt + k * p, *last = prev + k, *col = last + k, *dcol = col + p;
    memcpy(Xs, C, p * k * sizeof *Xs);
    /* X = U^-1 U^-T C   (the normal equations' solution) */
    LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'U', pp, kk, q->F, pp, Xs, kk);
    for (size_t c = 0; c < k; c++) {
        prev[c] = 1.0;
        last[c] = 0.0;
    }
    size_t n = 0, left = k;
    mg_status s = MG_OK;
    for (;;) {
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
        LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'U', pp, kk, q->F, pp, dX, kk);
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
