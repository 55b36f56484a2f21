/* lstsq: the fast path for big, well-conditioned designs.  One blocked pass
 * forms Z^T Z (dsyrk) and Z^T Y together; Cholesky gives the first solution,
 * and corrected semi-normal equations refine it,
 *     F = Y - Z X  (double-double),   R^T R dX = Z^T F,
 * each step one more pass over X, with the block of X still in cache when
 * Z_b^T F_b is formed (docs/accuracy.md). */
#include "lstsq_internal.h"
#include "internal.h"

#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Row blocks of about 1 MiB of X: large enough for dsyrk to run near its
 * peak, small enough to stay in cache for the second product. */
enum { CHOL_BLOCK_BYTES = 1 << 20, CHOL_MIN_ROWS = 64 };

static size_t block_rows(const mg__design *d)
{
    const size_t row = (d->X->cols + 1) * sizeof(double);
    size_t b = CHOL_BLOCK_BYTES / row;
    if (b < CHOL_MIN_ROWS)
        b = CHOL_MIN_ROWS;
    return b < d->N ? b : d->N;
}

/* G (p x p upper, row-major) = Zd^T Zd and C (p x k) = Zd^T Y in one pass. */
static mg_status gram(const mg__design *d, const mg_matrix *Y, double *G, double *C)
{
    const mg_matrix *X = d->X;
    const size_t N = d->N, p = d->p, k = Y->cols, nx = X->cols, ic = (size_t)d->intercept;
    const size_t B = block_rows(d);
    double *ones = mg__alloc_doubles(B, 1);

    if (!ones)
        return MG_ENOMEM;
    for (size_t i = 0; i < B; i++)
        ones[i] = 1.0;
    memset(G, 0, p * p * sizeof *G);
    memset(C, 0, p * k * sizeof *C);
    for (size_t r0 = 0; r0 < N; r0 += B) {
        const int nb = (int)(N - r0 < B ? N - r0 : B);
        const double *Xb = X->data + r0 * X->stride, *Yb = Y->data + r0 * Y->stride;
        const int ldx = (int)X->stride, ldy = (int)Y->stride;
        /* G_xx += X_b^T X_b   (upper triangle: half of dgemm's flops) */
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)nx, nb, 1.0, Xb, ldx, 1.0,
                    G + ic * p + ic, (int)p);
        if (k == 1) {
            /* c_x += X_b^T y_b */
            cblas_dgemv(CblasRowMajor, CblasTrans, nb, (int)nx, 1.0, Xb, ldx, Yb, ldy, 1.0,
                        C + ic, 1);
        } else {
            /* C_x += X_b^T Y_b */
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)nx, (int)k, nb, 1.0, Xb,
                        ldx, Yb, ldy, 1.0, C + ic * k, (int)k);
        }
        if (ic) {
            /* G_0x += 1^T X_b,  C_0 += 1^T Y_b   (the intercept's row) */
            cblas_dgemv(CblasRowMajor, CblasTrans, nb, (int)nx, 1.0, Xb, ldx, ones, 1, 1.0,
                        G + 1, 1);
            cblas_dgemv(CblasRowMajor, CblasTrans, nb, (int)k, 1.0, Yb, ldy, ones, 1, 1.0, C,
                        1);
        }
    }
    if (ic)
        G[0] = (double)N;
    free(ones);
    /* NaN/Inf anywhere in X poisons a diagonal entry; in Y, a column of C */
    if (!mg__all_finite(G, p, 1, p + 1) || !mg__all_finite(C, p, k, k))
        return MG_ENONFINITE;
    return MG_OK;
}

mg_status mg__lsq_chol(mg__lsq *q, const mg_matrix *Y, double *C)
{
    const size_t p = q->d.p, k = Y->cols;
    double *G = mg__alloc_doubles(p, p);

    if (!G)
        return MG_ENOMEM;
    mg_status s = gram(&q->d, Y, G, C);
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

/* One pass: F_b = Y_b - Zd_b (D X) in double-double, Gc = D Zd^T F and
 * rss_c = ||F_c||^2.  scratch: B k + k p doubles. */
static void resid_pass(const mg__lsq *q, const mg_matrix *Y, const double *Xs, double *Gc,
                       double *rss, double *scratch)
{
    const mg__design *d = &q->d;
    const mg_matrix *X = d->X;
    const size_t N = d->N, p = d->p, k = Y->cols, nx = X->cols, ic = (size_t)d->intercept;
    const size_t B = block_rows(d);
    double *Fb = scratch, *Bt = Fb + B * k;

    for (size_t j = 0; j < p; j++)
        for (size_t c = 0; c < k; c++)
            Bt[c * p + j] = q->scale[j] * Xs[j * k + c]; /* exact */
    memset(Gc, 0, p * k * sizeof *Gc);
    for (size_t c = 0; c < k; c++)
        rss[c] = 0.0;
    for (size_t r0 = 0; r0 < N; r0 += B) {
        const size_t nb = N - r0 < B ? N - r0 : B;
        const double *Xb = X->data + r0 * X->stride;
        mg__xresid(d, Bt, p, k, Y->data, Y->stride, NULL, 0, Fb, k, r0, r0 + nb);
        for (size_t c = 0; c < k; c++) {
            rss[c] += mg__xsumsq(Fb + c, nb, k, 0.0);
            if (ic)
                Gc[c] += mg__xsum(Fb + c, nb, k);
        }
        if (k == 1) {
            /* g_x += X_b^T f_b */
            cblas_dgemv(CblasRowMajor, CblasTrans, (int)nb, (int)nx, 1.0, Xb, (int)X->stride, Fb,
                        1, 1.0, Gc + ic, 1);
        } else {
            /* G_x += X_b^T F_b */
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)nx, (int)k, (int)nb, 1.0,
                        Xb, (int)X->stride, Fb, (int)k, 1.0, Gc + ic * k, (int)k);
        }
    }
    for (size_t j = 0; j < p; j++)
        for (size_t c = 0; c < k; c++)
            Gc[j * k + c] *= q->scale[j];
}

mg_status mg__lsq_chol_solve(const mg__lsq *q, const mg_matrix *Y, const double *C, double *Xs,
                             double *rss, size_t *steps)
{
    const size_t p = q->d.p, k = Y->cols, B = block_rows(&q->d);
    const lapack_int pp = (lapack_int)p, kk = (lapack_int)k;
    double *Gc = mg__alloc_doubles(p, k), *dX = mg__alloc_doubles(p, k);
    double *scratch = mg__alloc_doubles(B * k + k * p + 4 * k + 2 * p, 1);
    unsigned char *done = calloc(k, 1);

    if (!Gc || !dX || !scratch || !done) {
        free(Gc); free(dX); free(scratch); free(done);
        return MG_ENOMEM;
    }
    double *rssF = scratch + B * k + k * p, *prev = rssF + k, *last = prev + k,
           *col = last + k + k, *dcol = col + p;
    memcpy(Xs, C, p * k * sizeof *Xs);
    /* X = U^-1 U^-T C   (the normal equations' solution) */
    LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'U', pp, kk, q->F, pp, Xs, kk);
    for (size_t c = 0; c < k; c++) {
        prev[c] = 1.0;
        last[c] = 0.0;
    }
    size_t n = 0, left = k;
    for (;;) {
        resid_pass(q, Y, Xs, Gc, rssF, scratch);
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
            double gdx = 0.0;
            for (size_t j = 0; j < p; j++) {
                Xs[j * k + c] += dcol[j];
                gdx += Gc[j * k + c] * dcol[j];
            }
            /* ||F - Z dx||^2 = ||F||^2 - g^T dx when dx = (Z^T Z)^-1 g */
            rss[c] = fmax(rssF[c] - gdx, 0.0);
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
    mg_status s = MG_OK;
    /* converged when the last correction applied was below sqrt(eps): the
     * error left after it is about its square */
    for (size_t c = 0; c < k; c++)
        if (q->max_refine > 0 && !(last[c] <= 1.5e-8))
            s = MG_ENOCONV;
    *steps = n;
    free(Gc); free(dX); free(scratch); free(done);
    return s;
}
