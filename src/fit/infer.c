/* SPDX-License-Identifier: BSD-3-Clause */
/* fit: every regression statistic of a state, with R's conventions
 * (include/matgrad/infer.h; the formulas are in docs/inference.md).
 *
 * Two ways to the coefficients:
 *   - the engine's: mg_fit_finish's B (refined when the state holds a
 *     refined solution or has the exact option), its RSS and, for a
 *     full-rank factor, C = (Z^T W Z)^-1 from the same factor.  Used when
 *     no column is aliased, and always with r_aliased = 0;
 *   - R's, when r_aliased and some column is aliased (alias.c): the fit on
 *     the identified columns from the state's sums (QR: the triangle with
 *     the aliased columns deleted; GRAM: the Cholesky factor of their
 *     moments, refused below the engine's rcond threshold as finish
 *     refuses a whole design), not refined.
 * Then the summaries (sigma, R^2, adjusted R^2, F, logLik, AIC, BIC,
 * perfect fit) per output, and the coefficient tests through
 * mg_coef_tests with V = sigma_c^2 C.  Everything is formed in the state's
 * scratch and written to the caller's storage only at the end. */
#include "fit_internal.h"
#include "matgrad/dist.h"
#include "matgrad/infer.h"

#include <cblas.h>
#include <float.h>
#include <string.h>

/* R's "essentially perfect fit" factor (summary.lm). */
#define MG__PERFECT_FIT 1e-30
/* log(2 pi) */
#define MG__LOG_2PI 1.8378770664093454835606594728112353

size_t mg__fit_infer_scratch(size_t m, size_t k)
{
    return 6 * m * k + 12 * k + m;
}

/* The results before they are written out (column-major m x k tables). */
typedef struct results {
    size_t m, k, n, rank, df;
    int about_mean;
    int subset;          /* 1: R's fit on the identified columns */
    int tests;           /* 1: C holds (Z^T W Z)^-1 over the identified columns */
    double *B, *se, *t, *p, *lo, *hi;
    double *rss, *tss, *fss, *sd, *r2, *ar2, *F, *Fp, *ll, *aic, *bic, *perfect;
    double *D;           /* p: GRAM scales of the aliasing factor */
    double *C, *A;       /* m x m: C, and scratch (an inverse, then V) */
    unsigned char *alias;
} results;

static void layout(mg_fit *f, results *r)
{
    const size_t m = f->m, k = f->k, mk = m * k;
    double *x = f->inf;
    r->m = m;
    r->k = k;
    double **tables[6] = { &r->B, &r->se, &r->t, &r->p, &r->lo, &r->hi };
    for (int i = 0; i < 6; i++, x += mk)
        *tables[i] = x;
    double **vecs[12] = { &r->rss, &r->tss, &r->fss, &r->sd, &r->r2, &r->ar2,
                          &r->F, &r->Fp, &r->ll, &r->aic, &r->bic, &r->perfect };
    for (int i = 0; i < 12; i++, x += k)
        *vecs[i] = x;
    r->D = x;
    r->alias = f->flags;
    /* m x m buffers the kind's factor does not use: QR keeps R in S (and
     * an SVD in U, Vt), so F is free; GRAM keeps its Cholesky factor in F,
     * and U holds the aliasing factor, so Vt is free */
    r->C = f->opt.kind == MG_FIT_QR ? f->F : f->Vt;
    r->A = f->A;
}

/* ---- argument checks ---------------------------------------------------- */

static mg_status check_options(const mg_infer_options *o)
{
    if (!(o->level > 0.0 && o->level < 1.0) || !(o->alias_tol > 0.0 && o->alias_tol < 1.0))
        return MG_EINVAL;
    return MG_OK;
}

/* The byte range of one output (NULL: none). */
typedef struct span { const char *lo, *hi; } span;

static mg_status matrix_span(const mg_matrix *a, size_t rows, size_t cols, span *s)
{
    s->lo = s->hi = NULL;
    if (!a)
        return MG_OK;
    MG__CHECK(mg_matrix_check(a));
    if (a->rows != rows || a->cols != cols)
        return MG_EDIM;
    s->lo = (const char *)a->data;
    s->hi = (const char *)(a->data + (a->rows - 1) * a->stride + a->cols);
    return MG_OK;
}

static void array_span(const void *a, size_t bytes, span *s)
{
    s->lo = a;
    s->hi = a ? (const char *)a + bytes : NULL;
}

static mg_status check_outputs(const mg_fit *f, const mg_infer *o)
{
    const size_t m = f->m, k = f->k;
    span s[17];
    const mg_matrix *tab[6] = { o->coef, o->std_err, o->t_value, o->p_value, o->conf_low,
                                o->conf_high };
    for (int i = 0; i < 6; i++)
        MG__CHECK(matrix_span(tab[i], m, k, &s[i]));
    MG__CHECK(matrix_span(o->cov_unscaled, m, m, &s[6]));
    array_span(o->aliased, m, &s[7]);
    const double *vec[8] = { o->sigma, o->r_squared, o->adj_r_squared, o->f_value,
                             o->f_p_value, o->loglik, o->aic, o->bic };
    for (int i = 0; i < 8; i++)
        array_span(vec[i], k * sizeof(double), &s[8 + i]);
    array_span(o->perfect_fit, k * sizeof(int), &s[16]);
    /* no two outputs share a byte (conservatively: their address ranges) */
    for (int i = 0; i < 17; i++)
        for (int j = 0; j < i; j++)
            if (s[i].lo && s[j].lo && s[i].lo < s[j].hi && s[j].lo < s[i].hi)
                return MG_EINVAL;
    return MG_OK;
}

/* ---- the engine's fit --------------------------------------------------- */

/* sum_i w_i f_i^2 = ||W^(1/2) Z b||^2 for each output (fss: k), the fitted
 * values' sum of squares, as a sum of squares (no cancellation):
 * QR ||R_Z b||^2; GRAM W (b_0 + mu^T b_x)^2 + b_x^T M b_x with the
 * intercept (M centred, positive semidefinite), b^T M b without. */
static void fitted_ss(const mg_fit *f, const double *B, double *fss)
{
    const size_t m = f->m, n = f->n, p = f->p, ic = f->ic;
    for (size_t c = 0; c < f->k; c++) {
        const double *b = B + c * m;
        long double s = 0.0L;
        if (f->opt.kind == MG_FIT_QR) {
            for (size_t i = 0; i < m; i++) {
                long double e = 0.0L;
                for (size_t j = i; j < m; j++)
                    e += (long double)f->S[j * n + i] * b[j];
                s += e * e;
            }
        } else {
            for (size_t j = 0; j < p; j++) {
                long double g = 0.0L;
                for (size_t i = 0; i < p; i++)
                    g += (long double)(i <= j ? f->S[j * n + i] : f->S[i * n + j]) * b[ic + i];
                s += g * b[ic + j];
            }
            if (ic) {
                long double a = b[0];
                for (size_t j = 0; j < p; j++)
                    a += (long double)f->mean[j] * b[1 + j];
                s += (long double)f->wsum * a * a;
            }
        }
        fss[c] = s > 0.0L ? (double)s : 0.0;
    }
}

static mg_status engine_fit(mg_fit *f, results *r)
{
    const size_t m = f->m, k = f->k;
    memcpy(r->B, f->tmp, m * k * sizeof *r->B);
    mg__fit_rss(f, r->B, r->rss);
    fitted_ss(f, r->B, r->fss);
    r->rank = f->rank;
    r->tests = f->fac != MG__FAC_SVD && f->rank == m;
    if (!r->tests)
        return MG_OK;
    if (f->opt.exact) {
        /* refined from the exact sums, as finish's standard errors; the
         * refinement leaves V a little unsymmetric: its symmetric part */
        mg__fit_exact_inverse(f);
        for (size_t j = 0; j < m; j++)
            for (size_t i = 0; i <= j; i++)
                r->C[j * m + i] = r->C[i * m + j] = 0.5 * (f->V[j * m + i] + f->V[i * m + j]);
        return MG_OK;
    }
    return mg__fit_inverse(f, r->C, r->A);
}

/* ---- R's fit on the identified columns ---------------------------------- */

/* Element (i, j) of the GRAM moments of X (either triangle). */
static double moment_of(const mg_fit *f, size_t i, size_t j)
{
    return i <= j ? f->S[j * f->n + i] : f->S[i * f->n + j];
}

static void nan_fill(double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = NAN;
}

/* QR: the triangle T of the identified columns (alias.c, in blk):
 *   B_I = T_r^-1 t_c,  RSS_c = sum_{i=r}^{r+c} T_{i,r+c}^2,  FSS_c = ||t_c||^2,
 *   C_I = T_r^-1 T_r^-T. */
static mg_status subset_qr(mg_fit *f, results *r, size_t ri)
{
    const size_t m = f->m, k = f->k, q = f->n;
    const double *T = f->blk;
    size_t *idx = f->kept;
    for (size_t j = 0, a = 0; j < m; j++)
        if (!r->alias[j])
            idx[a++] = j;
    double *x = f->tmp;
    for (size_t c = 0; c < k; c++) {
        const double *t = T + (ri + c) * q;
        long double rss = 0.0L, fss = 0.0L;
        for (size_t i = ri; i <= ri + c; i++)
            rss += (long double)t[i] * t[i];
        for (size_t i = 0; i < ri; i++)
            fss += (long double)t[i] * t[i];
        r->rss[c] = (double)rss;
        r->fss[c] = (double)fss;
        memcpy(x + c * m, t, ri * sizeof *x);
    }
    if (ri > 0)
        /* B_I = T_r^-1 [t_1 .. t_k] */
        cblas_dtrsm(CblasColMajor, CblasLeft, CblasUpper, CblasNoTrans, CblasNonUnit, (int)ri,
                    (int)k, 1.0, T, (int)q, x, (int)m);
    nan_fill(r->B, m * k);
    for (size_t c = 0; c < k; c++)
        for (size_t a = 0; a < ri; a++)
            r->B[c * m + idx[a]] = x[c * m + a];
    /* C_I = T_r^-1 T_r^-T   (A = T_r^-1) */
    MG__CHECK(mg__fit_inverse_upper(T, ri, q, r->A, NULL));
    nan_fill(r->C, m * m);
    for (size_t b = 0; b < ri; b++)
        for (size_t a = 0; a <= b; a++) {
            double s = 0.0;
            for (size_t l = b; l < ri; l++)
                s += r->A[l * ri + a] * r->A[l * ri + b];
            r->C[idx[b] * m + idx[a]] = r->C[idx[a] * m + idx[b]] = s;
        }
    r->rank = ri;
    r->tests = 1;
    return MG_OK;
}

/* GRAM: with U the upper factor of G_I = D M_I D (alias.c, in f->U,
 * leading dimension m) over the identified columns I of X:
 *   b_I = D U^-1 U^-T D M_Iy,  b_0 = mean_y - mu_I^T b_I,
 *   RSS = M_yy - 2 b_I^T M_Iy + b_I^T M_I b_I,
 *   C_I = D U^-1 U^-T D (and the intercept's row as mg__fit_inverse). */
/* MG_ENOTPD when the identified columns' scaled Gram matrix G_I = U^T U
 * is below the engine's rcond threshold (factor.c), as finish refuses a
 * whole design. */
static mg_status gram_subset_rcond(mg_fit *f, const results *r, size_t rx)
{
    const double *D = r->D;
    const size_t *kept = f->kept;
    if (rx == 0)
        return MG_OK;
    /* ||G_I||_1 for the condition estimate */
    double anorm = 0.0;
    for (size_t b = 0; b < rx; b++) {
        double s = 0.0;
        for (size_t a = 0; a < rx; a++)
            s += fabs(moment_of(f, kept[a], kept[b]) * D[kept[a]] * D[kept[b]]);
        anorm = fmax(anorm, s);
    }
    double rc = 0.0;
    /* rc ~ 1 / (||G_I||_1 ||G_I^-1||_1), as the engine's factor */
    MG__CHECK(mg__lapack_status(LAPACKE_dpocon_work(LAPACK_COL_MAJOR, 'U', (lapack_int)rx, f->U,
                                                    (lapack_int)f->m, anorm, &rc, f->lwork,
                                                    f->iwork),
                                MG_EINVAL));
    return rc >= mg__fit_gram_min_rcond(f, rx + f->ic) ? MG_OK : MG_ENOTPD;
}

/* b_I, b_0, RSS and FSS of every output (see subset_gram). */
static void gram_subset_solve(mg_fit *f, results *r, size_t rx)
{
    const size_t m = f->m, k = f->k, p = f->p, n = f->n, ic = f->ic;
    const double *U = f->U, *D = r->D;
    const size_t *kept = f->kept;
    double *x = f->tmp;
    nan_fill(r->B, m * k);
    for (size_t c = 0; c < k; c++) {
        double *b = x + c * m;
        const double *Mxy = f->S + (p + c) * n;
        for (size_t a = 0; a < rx; a++)
            b[a] = D[kept[a]] * Mxy[kept[a]];
    }
    if (rx > 0) {
        /* U^T U x = D M_Iy   (two triangular solves) */
        cblas_dtrsm(CblasColMajor, CblasLeft, CblasUpper, CblasTrans, CblasNonUnit, (int)rx,
                    (int)k, 1.0, U, (int)m, x, (int)m);
        cblas_dtrsm(CblasColMajor, CblasLeft, CblasUpper, CblasNoTrans, CblasNonUnit, (int)rx,
                    (int)k, 1.0, U, (int)m, x, (int)m);
    }
    for (size_t c = 0; c < k; c++) {
        double *b = x + c * m;
        const double *Mxy = f->S + (p + c) * n;
        long double rss = f->S[(p + c) * n + p + c], quad = 0.0L;
        for (size_t a = 0; a < rx; a++)
            b[a] *= D[kept[a]];
        for (size_t a = 0; a < rx; a++) {
            long double g = 0.0L;
            for (size_t e = 0; e < rx; e++)
                g += (long double)moment_of(f, kept[a], kept[e]) * b[e];
            quad += g * b[a];
            rss -= 2.0L * b[a] * Mxy[kept[a]];
        }
        rss += quad;
        r->rss[c] = rss > 0.0L ? (double)rss : 0.0;
        long double fss = quad > 0.0L ? quad : 0.0L;
        for (size_t a = 0; a < rx; a++)
            r->B[c * m + ic + kept[a]] = b[a];
        if (ic) {
            /* b_0 = mean_y - mu_I^T b_I; the fitted values' mean is mean_y */
            double b0 = f->mean[p + c];
            for (size_t a = 0; a < rx; a++)
                b0 -= f->mean[kept[a]] * b[a];
            r->B[c * m] = b0;
            fss += (long double)f->wsum * f->mean[p + c] * f->mean[p + c];
        }
        r->fss[c] = (double)fss;
    }
}

/* C over the identified columns (see subset_gram). */
static mg_status gram_subset_cov(mg_fit *f, results *r, size_t rx)
{
    const size_t m = f->m, ic = f->ic;
    const double *U = f->U, *D = r->D;
    const size_t *kept = f->kept;
    /* C_I: A = U^-1, M_I^-1 = D A A^T D */
    MG__CHECK(mg__fit_inverse_upper(U, rx, m, r->A, NULL));
    nan_fill(r->C, m * m);
    for (size_t b = 0; b < rx; b++)
        for (size_t a = 0; a <= b; a++) {
            double s = 0.0;
            for (size_t l = b; l < rx; l++)
                s += r->A[l * rx + a] * r->A[l * rx + b];
            s *= D[kept[a]] * D[kept[b]];
            r->C[(ic + kept[b]) * m + ic + kept[a]] = r->C[(ic + kept[a]) * m + ic + kept[b]] = s;
        }
    if (ic) {
        /* C_x0 = -M_I^-1 mu_I,  C_00 = 1 / W + mu_I^T M_I^-1 mu_I */
        double qf = 0.0;
        for (size_t b = 0; b < rx; b++) {
            double t = 0.0;
            for (size_t a = 0; a < rx; a++)
                t += r->C[(ic + kept[b]) * m + ic + kept[a]] * f->mean[kept[a]];
            r->C[ic + kept[b]] = r->C[(ic + kept[b]) * m] = -t;
            qf += t * f->mean[kept[b]];
        }
        r->C[0] = 1.0 / f->wsum + qf;
    }
    return MG_OK;
}

static mg_status subset_gram(mg_fit *f, results *r, size_t rx)
{
    MG__CHECK(gram_subset_rcond(f, r, rx));
    gram_subset_solve(f, r, rx);
    MG__CHECK(gram_subset_cov(f, r, rx));
    r->rank = f->ic + rx;
    r->tests = 1;
    return MG_OK;
}

/* ---- summaries and tests ------------------------------------------------ */

/* A bound on the rounding error of an unrefined state's RSS of output c,
 * below which the RSS is not known to any digit (docs/inference.md,
 * "Perfect fit"):
 *   - QR: the trailing entries of y's column carry the rounding of every
 *     fold that touched them: about u ||W^(1/2) y|| per fold, growing like
 *     the square root of their number (so an exact fit's sigma^2 passes
 *     R's 1e-30 of the fitted mean square from a few thousand rows on);
 *     with folds <= n / MG__FIT_BLOCK + 1 and a factor 4 q of margin,
 *     RSS_noise = 16 q (n / MG__FIT_BLOCK + 1) u^2 ||W^(1/2) y||^2;
 *   - GRAM: M_yy - 2 b^T M_xy + b^T M b cancels to RSS from terms of size
 *     M_yy, each moment rounded by about (p + 2) u relative:
 *     RSS_noise = 8 (p + 2)^2 u M_yy;
 *   - refined (replayed or exact-sum) RSS: double-double residuals, R's
 *     rule alone (0). */
static double state_noise(const mg_fit *f, size_t c);

static double rss_noise(const mg_fit *f, const results *r, size_t c)
{
    if (f->solved && !r->subset)
        return 0.0;
    return state_noise(f, c);
}

/* The same bound for any sum of squares of output c taken from the state's
 * sums (RSS unrefined, and TSS always: it is never replayed). */
static double state_noise(const mg_fit *f, size_t c)
{
    const double u = 0.5 * DBL_EPSILON;
    const size_t n = f->n;
    if (f->opt.kind == MG_FIT_QR) {
        const double *y = f->S + (f->m + c) * n;
        long double yy = 0.0L;
        for (size_t i = 0; i <= f->m + c; i++)
            yy += (long double)y[i] * y[i];
        const double folds = (double)(f->nonzero / MG__FIT_BLOCK + 1);
        return 16.0 * (double)f->q * folds * u * u * (double)yy;
    }
    const double p2 = (double)(f->p + 2);
    return 8.0 * p2 * p2 * u * f->S[(f->p + c) * n + f->p + c];
}

/* sigma, R^2, adjusted R^2, F and its p-value, logLik, AIC, BIC and the
 * perfect-fit flag of every output (docs/inference.md). */
static void summaries(const mg_fit *f, results *r)
{
    const size_t n = f->nonzero, am = (size_t)r->about_mean;
    const size_t dfm = r->rank > am ? r->rank - am : 0;
    const double ln = log((double)n), npar = (double)r->rank + 1.0;
    for (size_t c = 0; c < r->k; c++) {
        /* a TSS within the state's rounding error of 0 (a constant target
         * with the intercept) is 0: R^2, adjusted R^2 and F are then 0/0,
         * undefined (NaN), not ratios of rounding errors */
        const double rss = r->rss[c], tss = r->tss[c] <= state_noise(f, c) ? 0.0 : r->tss[c];
        mg__fit_summary(rss, tss, r->df, n - am, &r->sd[c], &r->r2[c], &r->ar2[c]);
        /* F = ((TSS - RSS) / df_model) / (RSS / df_residual) */
        double F = NAN, Fp = NAN;
        if (dfm > 0 && r->df > 0 && tss > 0.0) {
            F = (double)(((long double)tss - rss) / (long double)dfm /
                         ((long double)rss / (long double)r->df));
            Fp = mg_f_cdf(F, (double)dfm, (double)r->df, 0);
        }
        /* R's "essentially perfect fit": the residual variance at rounding
         * level beside the fitted values' mean square; or an RSS below the
         * state's own rounding error of it (rss_noise) */
        const int perfect =
            r->df > 0 && (rss / (double)r->df < MG__PERFECT_FIT * (r->fss[c] / (double)n) ||
                          rss <= rss_noise(f, r, c));
        r->perfect[c] = perfect;
        r->F[c] = perfect ? NAN : F;
        r->Fp[c] = perfect ? NAN : Fp;
        /* logLik = (sum log w - n (log(2 pi) + 1 - log n + log RSS)) / 2 */
        const double ll = 0.5 * (f->logw - (double)n * (MG__LOG_2PI + 1.0 - ln + log(rss)));
        r->ll[c] = ll;
        r->aic[c] = -2.0 * ll + 2.0 * npar;
        r->bic[c] = -2.0 * ll + ln * npar;
    }
}

/* std_err, t, p and the intervals of every output: mg_coef_tests with
 * V = sigma_c^2 C (into A); NaN where they are not defined (no C: a
 * rank-deficient design with r_aliased = 0; df_residual = 0), t and p NaN
 * for a perfect fit. */
static mg_status coef_tests(const results *r, double level)
{
    const size_t m = r->m;
    for (size_t c = 0; c < r->k; c++) {
        double *cols[5] = { r->se + c * m, r->t + c * m, r->p + c * m, r->lo + c * m,
                            r->hi + c * m };
        if (!r->tests || r->df == 0) {
            for (int i = 0; i < 5; i++)
                nan_fill(cols[i], m);
            continue;
        }
        const double s2 = r->sd[c] * r->sd[c];
        /* V = sigma^2 C; rounding cannot make a variance negative here (C's
         * diagonal is a sum of squares, or refined from one) but a zero
         * clamp keeps mg_coef_tests' contract whatever happens */
        for (size_t i = 0; i < m * m; i++)
            r->A[i] = s2 * r->C[i];
        for (size_t i = 0; i < m; i++)
            if (r->A[i * m + i] < 0.0)
                r->A[i * m + i] = 0.0;
        mg_matrix coef = mg_matrix_view(r->B + c * m, m, 1), V = mg_matrix_view(r->A, m, m);
        mg_matrix v[5];
        for (int i = 0; i < 5; i++)
            v[i] = mg_matrix_view(cols[i], m, 1);
        MG__CHECK(mg_coef_tests(&coef, &V, r->df, level, &v[0], &v[1], &v[2], &v[3], &v[4]));
        if (r->perfect[c]) {
            nan_fill(cols[1], m);
            nan_fill(cols[2], m);
        }
    }
    return MG_OK;
}

/* 1 if B and C (when formed) are finite on the identified columns: an
 * inverse of a nearly singular triangle could overflow. */
static int identified_finite(const results *r)
{
    const size_t m = r->m;
    for (size_t j = 0; j < m; j++) {
        if (r->subset && r->alias[j])
            continue;
        for (size_t c = 0; c < r->k; c++)
            if (!isfinite(r->B[c * m + j]))
                return 0;
        for (size_t i = 0; r->tests && i < m; i++)
            if (!(r->subset && r->alias[i]) && !isfinite(r->C[j * m + i]))
                return 0;
    }
    return 1;
}

/* ---- output ------------------------------------------------------------- */

static void put_table(mg_matrix *out, const double *cm, size_t rows, size_t cols)
{
    if (!out)
        return;
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++)
            out->data[i * out->stride + j] = cm[j * rows + i];
}

static void put_vector(double *out, const double *x, size_t k)
{
    if (out)
        memcpy(out, x, k * sizeof *out);
}

static void write_out(const mg_fit *f, const results *r, double level, mg_infer *o)
{
    const size_t m = r->m, k = r->k, am = (size_t)r->about_mean;
    o->n = f->nonzero;
    o->rank = r->rank;
    o->df_residual = r->df;
    o->df_model = r->rank > am ? r->rank - am : 0;
    o->about_mean = r->about_mean;
    o->level = level;
    put_table(o->coef, r->B, m, k);
    put_table(o->std_err, r->se, m, k);
    put_table(o->t_value, r->t, m, k);
    put_table(o->p_value, r->p, m, k);
    put_table(o->conf_low, r->lo, m, k);
    put_table(o->conf_high, r->hi, m, k);
    if (o->cov_unscaled) {
        /* NaN everywhere without C (C is symmetric: either layout) */
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < m; j++)
                o->cov_unscaled->data[i * o->cov_unscaled->stride + j] =
                    r->tests ? r->C[j * m + i] : NAN;
    }
    if (o->aliased)
        memcpy(o->aliased, r->alias, m);
    put_vector(o->sigma, r->sd, k);
    put_vector(o->r_squared, r->r2, k);
    put_vector(o->adj_r_squared, r->ar2, k);
    put_vector(o->f_value, r->F, k);
    put_vector(o->f_p_value, r->Fp, k);
    put_vector(o->loglik, r->ll, k);
    put_vector(o->aic, r->aic, k);
    put_vector(o->bic, r->bic, k);
    for (size_t c = 0; o->perfect_fit && c < k; c++)
        o->perfect_fit[c] = r->perfect[c] != 0.0;
}

mg_status mg_fit_infer(mg_fit *fit, const mg_infer_options *opt, mg_infer *out)
{
    const mg_infer_options o = opt ? *opt : mg_infer_defaults();
    if (!fit || !out)
        return MG_EINVAL;
    MG__CHECK(check_options(&o));
    /* a ridge estimate has no classical standard errors, t or F */
    if (fit->opt.ridge > 0.0)
        return MG_EINVAL;
    MG__CHECK(check_outputs(fit, out));
    MG__CHECK(mg__fit_check_sums(fit));
    results r;
    memset(&r, 0, sizeof r);
    layout(fit, &r);
    const int qr = fit->opt.kind == MG_FIT_QR;
    /* R's test first: it needs only the sums (a GRAM design with an
     * aliased column has no engine factor at all) */
    const size_t ri = mg__fit_alias(fit, o.alias_tol, r.alias, qr ? fit->blk : fit->U, fit->m,
                                    r.D, fit->kept);
    int subset = o.r_aliased && ri < fit->m;
    if (!subset) {
        MG__CHECK(mg__fit_solution(fit));
        /* no column aliased by R's test, yet a rank-deficient factor by the
         * engine's much smaller tolerance cannot happen for GRAM (finish
         * refuses it); for QR, R's fit is the in-order triangle's */
        subset = qr && o.r_aliased && fit->fac == MG__FAC_SVD;
    }
    if (subset)
        MG__CHECK(qr ? subset_qr(fit, &r, ri) : subset_gram(fit, &r, ri - fit->ic));
    else
        MG__CHECK(engine_fit(fit, &r));
    r.subset = subset;
    if (!identified_finite(&r))
        return MG_ENONFINITE;
    size_t col;
    r.about_mean = mg__fit_about_mean(fit, &col);
    for (size_t c = 0; c < fit->k; c++)
        r.tss[c] = (double)mg__fit_state_tss(fit, c);
    r.n = fit->nonzero;
    r.df = r.n > r.rank ? r.n - r.rank : 0;
    summaries(fit, &r);
    MG__CHECK(coef_tests(&r, o.level));
    write_out(fit, &r, o.level, out);
    return MG_OK;
}
