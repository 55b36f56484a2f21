/* SPDX-License-Identifier: BSD-3-Clause */
/* Exact rational least squares (see ref_lstsq.h).  Gauss-Jordan on
 * [Z^T Z | I | Z^T y] over the rationals: no pivoting for size is needed,
 * only a nonzero pivot. */
#include "ref_lstsq.h"

#include <gmp.h>
#include <math.h>
#include <stdlib.h>

static void to_dd(const mpq_t v, double *hi, double *lo)
{
    mpq_t t, h;
    mpq_inits(t, h, NULL);
    *hi = mpq_get_d(v); /* truncated: within an ulp */
    mpq_set_d(h, *hi);
    mpq_sub(t, v, h);
    *lo = mpq_get_d(t);
    mpq_clears(t, h, NULL);
}

int ref_lstsq_exact(const double *Z, size_t ldz, size_t N, size_t p, const double *y, size_t ys,
                    ref_lstsq *out)
{
    const size_t w = 2 * p + 1; /* [A | I | c] */
    mpq_t *M = malloc(p * w * sizeof *M);
    mpq_t *b = malloc(p * sizeof *b);
    mpq_t t, u;
    int singular = 0;

    mpq_inits(t, u, NULL);
    for (size_t i = 0; i < p * w; i++)
        mpq_init(M[i]);
    for (size_t i = 0; i < p; i++)
        mpq_init(b[i]);
    /* A = Z^T Z, c = Z^T y, exactly */
    for (size_t r = 0; r < N; r++) {
        const double *z = Z + r * ldz;
        for (size_t i = 0; i < p; i++) {
            for (size_t j = 0; j < p; j++) {
                mpq_set_d(t, z[i]);
                mpq_set_d(u, z[j]);
                mpq_mul(t, t, u);
                mpq_add(M[i * w + j], M[i * w + j], t);
            }
            mpq_set_d(t, z[i]);
            mpq_set_d(u, y[r * ys]);
            mpq_mul(t, t, u);
            mpq_add(M[i * w + 2 * p], M[i * w + 2 * p], t);
        }
    }
    for (size_t i = 0; i < p; i++)
        mpq_set_ui(M[i * w + p + i], 1, 1);
    for (size_t k = 0; k < p && !singular; k++) {
        size_t piv = k;
        while (piv < p && mpq_sgn(M[piv * w + k]) == 0)
            piv++;
        if (piv == p) {
            singular = 1;
            break;
        }
        if (piv != k)
            for (size_t j = 0; j < w; j++)
                mpq_swap(M[k * w + j], M[piv * w + j]);
        mpq_set(u, M[k * w + k]);
        for (size_t j = 0; j < w; j++)
            mpq_div(M[k * w + j], M[k * w + j], u);
        for (size_t i = 0; i < p; i++) {
            if (i == k || mpq_sgn(M[i * w + k]) == 0)
                continue;
            mpq_set(u, M[i * w + k]);
            for (size_t j = 0; j < w; j++) {
                mpq_mul(t, u, M[k * w + j]);
                mpq_sub(M[i * w + j], M[i * w + j], t);
            }
        }
    }
    if (!singular) {
        for (size_t i = 0; i < p; i++) {
            mpq_set(b[i], M[i * w + 2 * p]);
            to_dd(b[i], &out->b_hi[i], &out->b_lo[i]);
            out->cov[i] = mpq_get_d(M[i * w + p + i]);
        }
        /* rss = sum_r (y_r - z_r b)^2, exactly */
        mpq_t rss;
        mpq_init(rss);
        for (size_t r = 0; r < N; r++) {
            const double *z = Z + r * ldz;
            mpq_set_d(t, y[r * ys]);
            for (size_t i = 0; i < p; i++) {
                mpq_set_d(u, z[i]);
                mpq_mul(u, u, b[i]);
                mpq_sub(t, t, u);
            }
            mpq_mul(t, t, t);
            mpq_add(rss, rss, t);
        }
        out->rss = mpq_get_d(rss);
        /* TSS = sum (y - mean)^2 or sum y^2, exactly; R^2 = 1 - RSS/TSS */
        mpq_t mean, tss;
        mpq_inits(mean, tss, NULL);
        if (out->centered) {
            for (size_t r = 0; r < N; r++) {
                mpq_set_d(t, y[r * ys]);
                mpq_add(mean, mean, t);
            }
            mpq_set_ui(t, (unsigned long)N, 1);
            mpq_div(mean, mean, t);
        }
        for (size_t r = 0; r < N; r++) {
            mpq_set_d(t, y[r * ys]);
            mpq_sub(t, t, mean);
            mpq_mul(t, t, t);
            mpq_add(tss, tss, t);
        }
        if (mpq_sgn(tss) == 0) {
            out->r_squared = NAN;
        } else {
            mpq_div(t, rss, tss);
            mpq_set_ui(u, 1, 1);
            mpq_sub(t, u, t);
            out->r_squared = mpq_get_d(t);
        }
        mpq_clears(mean, tss, rss, NULL);
    }
    for (size_t i = 0; i < p * w; i++)
        mpq_clear(M[i]);
    for (size_t i = 0; i < p; i++)
        mpq_clear(b[i]);
    mpq_clears(t, u, NULL);
    free(M);
    free(b);
    return singular;
}

double ref_lre(double est, double ref_hi, double ref_lo)
{
    /* est - ref in long double: est and ref_hi agree in their leading bits
     * whenever the LRE is large, so the subtraction is exact */
    const long double err = ((long double)est - ref_hi) - ref_lo;
    const long double ref = (long double)ref_hi + ref_lo;
    const long double rel = ref != 0.0L ? fabsl(err / ref) : fabsl(err);
    if (rel == 0.0L)
        return 15.0;
    const double lre = -(double)log10l(rel);
    return lre > 15.0 ? 15.0 : lre;
}

#include <stdio.h>
#include <string.h>

static size_t parse_list(const char *text, double *out, size_t max)
{
    size_t n = 0;
    char *end;
    for (;;) {
        const double v = strtod(text, &end);
        if (end == text || n == max)
            return n;
        out[n++] = v;
        text = end;
    }
}

int nist_load(const char *path, nist_set *s)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    int degree = -1;
    size_t ncols = 0;

    if (!f)
        return 1;
    memset(s, 0, sizeof *s);
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') {
            char *colon = strchr(line, ':');
            if (!colon)
                continue;
            *colon = '\0';
            const char *key = line + 2, *val = colon + 1;
            if (!strcmp(key, "dataset"))
                sscanf(val, " %31s", s->name);
            else if (!strcmp(key, "model")) {
                if (sscanf(val, " poly %d", &degree) == 1)
                    s->intercept = 1;
                else
                    s->intercept = strstr(val, "linear") != NULL;
            } else if (!strcmp(key, "certified_beta"))
                s->p = parse_list(val, s->beta, NIST_MAXP);
            else if (!strcmp(key, "certified_sd"))
                (void)parse_list(val, s->sd, NIST_MAXP);
            else if (!strcmp(key, "residual_sd"))
                s->residual_sd = strtod(val, NULL);
            else if (!strcmp(key, "r_squared"))
                s->r_squared = strtod(val, NULL);
            continue;
        }
        double v[NIST_MAXP + 1];
        const size_t n = parse_list(line, v, NIST_MAXP + 1);
        if (n < 2 || s->N == NIST_MAXN)
            continue;
        ncols = n - 1;
        s->y[s->N] = v[0];
        double *x = s->X + s->N * NIST_MAXP;
        if (degree >= 0)
            for (int j = 1; j <= degree; j++)
                x[j - 1] = pow(v[1], (double)j);
        else
            memcpy(x, v + 1, ncols * sizeof *x);
        s->N++;
    }
    fclose(f);
    s->nx = s->p - (size_t)s->intercept;
    if (s->N == 0 || s->p == 0 || (degree < 0 && ncols != s->nx))
        return 1;
    /* compact X to stride nx, and Z = [1 X] */
    for (size_t i = 0; i < s->N; i++) {
        double row[NIST_MAXP];
        memcpy(row, s->X + i * NIST_MAXP, s->nx * sizeof *row);
        memcpy(s->X + i * s->nx, row, s->nx * sizeof *row);
    }
    for (size_t i = 0; i < s->N; i++) {
        if (s->intercept)
            s->Z[i * s->p] = 1.0;
        memcpy(s->Z + i * s->p + s->intercept, s->X + i * s->nx, s->nx * sizeof(double));
    }
    return 0;
}

#include "mgtest.h"

/* -log10(max_j |b_j - x_j| / max_j |x_j|), capped at 15: the normwise LRE. */
static double lre_norm(const double *b, size_t bs, const double *xh, const double *xl, size_t p)
{
    long double err = 0.0L, mx = 0.0L;
    for (size_t j = 0; j < p; j++) {
        const long double x = (long double)xh[j] + xl[j];
        err = fmaxl(err, fabsl((long double)b[j * bs] - x));
        mx = fmaxl(mx, fabsl(x));
    }
    if (err == 0.0L)
        return 15.0;
    const double l = -(double)log10l(mx > 0.0L ? err / mx : err);
    return l > 15.0 ? 15.0 : l;
}

/* The design as the library factors it: each column scaled by the power of
 * two that brings its largest entry into [1/2, 1) (exact), the ones column
 * too; d[j] receives the scale.  Returns the scaled Z (N x p). */
static mgt_mat equilibrated(const mg_matrix *X, int intercept, double *d)
{
    const size_t N = X->rows, ic = intercept ? 1u : 0u, p = X->cols + ic;
    mgt_mat Z = mgt_alloc(N, p, 0);
    for (size_t i = 0; i < N; i++) {
        if (ic)
            *mg_at(&Z.v, i, 0) = 1.0;
        for (size_t j = 0; j < X->cols; j++)
            *mg_at(&Z.v, i, ic + j) = mgt_get(X, i, j);
    }
    for (size_t j = 0; j < p; j++) {
        double mx = 0.0;
        int e = 0;
        for (size_t i = 0; i < N; i++)
            mx = fmax(mx, fabs(mgt_get(&Z.v, i, j)));
        if (mx > 0.0)
            (void)frexp(mx, &e);
        d[j] = ldexp(1.0, -e);
        for (size_t i = 0; i < N; i++)
            *mg_at(&Z.v, i, j) *= d[j];
    }
    return Z;
}

double ref_refined_bound(const mg_matrix *X, int intercept, int normal_equations, double *kappa)
{
    const size_t p = X->cols + (intercept ? 1u : 0u);
    const double eps_b = REF_C_B * (double)p * MGT_U;
    double *d = malloc(p * sizeof *d), smax, smin;
    ck_assert_ptr_nonnull(d);
    mgt_mat Z = equilibrated(X, intercept, d);
    mgt_svals(&Z.v, 0, &smax, &smin);
    mgt_free(&Z);
    free(d);
    ck_assert_double_gt(smin, 0.0);
    const double k = smax / smin;
    ck_assert_double_le((normal_equations ? k * k : k) * eps_b, 0.5);
    if (kappa)
        *kappa = k;
    return sqrt((double)p) * eps_b * (1.0 + k * k * MGT_U);
}

/* R^2 is centered when the design holds a constant column (documented in
 * lstsq.h), the intercept option or an explicit one. */
static int has_constant_column(const mg_matrix *X)
{
    for (size_t j = 0; j < X->cols; j++) {
        size_t i = 1;
        while (i < X->rows && mgt_get(X, i, j) == mgt_get(X, 0, j))
            i++;
        if (i == X->rows && mgt_get(X, 0, j) != 0.0)
            return 1;
    }
    return 0;
}

/* Everything about one fit compared with the exact solution, output by
 * output, each within a derived bound (eps_b = REF_C_B p u, kappa that of
 * the equilibrated design, rb = ref_refined_bound):
 *   - coefficients: max |b - x| <= rb max |x| (refined, ref_lstsq.h);
 *   - residual sd: ||r^ - r|| <= ||Z dx|| <= s_max sqrt(p) rb max|x| (the
 *     refined residual's double-double evaluation adds ~u^2), so relative
 *     rsd_rel = that / ||r|| plus 3 u (the division by df, the square
 *     root, the sum's rounding);
 *   - R^2 = 1 - RSS / TSS: |dR^2| <= 2 (RSS / TSS) rsd_rel + 3 u;
 *   - standard errors sd_j = rsd sqrt(v_j), v = diag (Z^T Z)^-1: on the QR
 *     and SVD paths v is refined as the solution of an augmented system
 *     (src/lstsq/lstsq.c, below its work limit), so column j of the inverse is
 *     within rb of its max norm, which Cauchy-Schwarz (|v_ij| <=
 *     sqrt(v_ii v_jj)) bounds by sqrt(max_i v~_i / v~_j) relative to v_j
 *     (v~ of the equilibrated design); on the Cholesky path v comes from
 *     the Gram factor, kappa^2 eps_b (max_i v~_i / v~_j); then se_rel =
 *     rsd_rel + cov_rel / 2 + 2 u.
 * A zero residual (a certified exact fit) is compared in absolute terms:
 * rsd <= s_max sqrt(p) rb max|x| / sqrt(df). */
lstsq_lre ref_check_lstsq(const mg_matrix *X, int intercept, const mg_matrix *Y,
                          mg_lstsq_method method, size_t want_rank)
{
    const size_t N = X->rows, nx = X->cols, p = nx + (size_t)intercept, k = Y->cols;
    lstsq_lre out = { 15.0, 15.0, 15.0, 15.0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0 };
    mgt_mat B = mgt_alloc(p, k, 2), SE = mgt_alloc(p, k, 1);
    double *Z = malloc(N * p * sizeof *Z), *rsd = malloc(k * sizeof *rsd);
    double *r2 = malloc(k * sizeof *r2), *bh = malloc(p * sizeof *bh);
    double *bl = malloc(p * sizeof *bl), *cov = malloc(p * sizeof *cov), *d = malloc(p * sizeof *d);
    ck_assert(Z && rsd && r2 && bh && bl && cov && d);
    for (size_t i = 0; i < N; i++) {
        if (intercept)
            Z[i * p] = 1.0;
        for (size_t j = 0; j < nx; j++)
            Z[i * p + (size_t)intercept + j] = mgt_get(X, i, j);
    }
    mg_lstsq_options o = mg_lstsq_defaults();
    o.intercept = intercept;
    o.method = method;
    mg_lstsq_result res = { 0 };
    res.std_err = &SE.v;
    res.residual_sd = rsd;
    res.r_squared = r2;
    ck_assert_int_eq(mg_lstsq(X, Y, &B.v, &o, &res), MG_OK);
    ck_assert_uint_eq(res.rank, want_rank);
    ck_assert_uint_eq(res.df_residual, N - want_rank);
    ck_assert(mgt_padding_intact(&B) && mgt_padding_intact(&SE));

    const int chol = res.method == MG_LSTSQ_CHOLESKY;
    const double eps_b = REF_C_B * (double)p * MGT_U;
    double kappa, smax, smin;
    const double rb = ref_refined_bound(X, intercept, chol, &kappa);
    mgt_svals(X, intercept, &smax, &smin);
    mgt_mat Zs = equilibrated(X, intercept, d);
    mgt_free(&Zs);
    for (size_t c = 0; c < k; c++) {
        ref_lstsq ref = { bh, bl, cov, 0.0, intercept || has_constant_column(X), 0.0 };
        ck_assert_int_eq(ref_lstsq_exact(Z, p, N, p, Y->data + c, Y->stride, &ref), 0);
        /* coefficients */
        long double err = 0.0L, xmax = 0.0L;
        for (size_t j = 0; j < p; j++) {
            const long double x = (long double)bh[j] + bl[j];
            err = fmaxl(err, fabsl((long double)mgt_get(&B.v, j, c) - x));
            xmax = fmaxl(xmax, fabsl(x));
        }
        ck_assert_msg(err <= rb * xmax, "method %d output %zu: coefficient error %.3Lg > %.3Lg",
                      (int)method, c, err / xmax, (long double)rb);
        out.b = fmin(out.b, lre_norm(B.v.data + c, B.v.stride, bh, bl, p));
        out.tol_b = rb;
        /* residual sd and R^2 */
        const double df = (double)(N - p), sd = sqrt(ref.rss / df);
        const double dr = smax * sqrt((double)p) * rb * (double)xmax;
        double rsd_rel = INFINITY;
        if (ref.rss > 0.0) {
            rsd_rel = dr / sqrt(ref.rss) + 3.0 * MGT_U;
            ck_assert_double_le(fabs(rsd[c] - sd), rsd_rel * sd);
            out.tol_rsd = fmax(out.tol_rsd, rsd_rel);
            if (!isnan(ref.r_squared)) {
                const double t = 2.0 * (1.0 - ref.r_squared) * rsd_rel + 3.0 * MGT_U;
                ck_assert_double_le(fabs(r2[c] - ref.r_squared), t);
                out.tol_r2 = fmax(out.tol_r2, t);
            }
        } else {
            ck_assert_double_le(rsd[c], dr / sqrt(df));
            out.rsd_abs = fmax(out.rsd_abs, dr / sqrt(df));
        }
        out.rsd = fmin(out.rsd, ref_lre(rsd[c], sd, 0.0));
        out.r2 = fmin(out.r2, ref_lre(r2[c], ref.r_squared, 0.0));
        /* standard errors */
        double vmax = 0.0;
        for (size_t j = 0; j < p; j++)
            vmax = fmax(vmax, cov[j] / (d[j] * d[j]));
        for (size_t j = 0; j < p; j++) {
            const double want = sd * sqrt(cov[j]), vr = vmax / (cov[j] / (d[j] * d[j]));
            out.se = fmin(out.se, ref_lre(mgt_get(&SE.v, j, c), want, 0.0));
            if (ref.rss == 0.0)
                continue;
            const double cov_rel = chol ? kappa * kappa * eps_b * vr : rb * sqrt(vr);
            const double t = rsd_rel + 0.5 * cov_rel + 2.0 * MGT_U;
            ck_assert_double_le(fabs(mgt_get(&SE.v, j, c) - want), t * want);
            out.tol_se = fmax(out.tol_se, t);
        }
    }
    out.method = res.method;
    out.rcond = res.rcond;
    mgt_free(&B);
    mgt_free(&SE);
    free(Z); free(rsd); free(r2); free(bh); free(bl); free(cov); free(d);
    return out;
}


double ref_fit_lre(const mg_matrix *X, const mg_matrix *Y, const mg_lstsq_options *o)
{
    const size_t N = X->rows, nx = X->cols, p = nx + (o->intercept ? 1u : 0u);
    const size_t ic = o->intercept ? 1u : 0u;
    double *Z = malloc(N * p * sizeof *Z), *b = malloc(p * sizeof *b);
    double *bh = malloc(p * sizeof *bh), *bl = malloc(p * sizeof *bl), *cov = malloc(p * sizeof *cov);
    ck_assert(Z && b && bh && bl && cov);
    for (size_t i = 0; i < N; i++) {
        if (ic)
            Z[i * p] = 1.0;
        for (size_t j = 0; j < nx; j++)
            Z[i * p + ic + j] = mgt_get(X, i, j);
    }
    mg_matrix y = mg_matrix_block(Y, 0, 0, N, 1), B = mg_matrix_view(b, p, 1);
    ref_lstsq ref = { bh, bl, cov, 0.0, 0, 0.0 };
    ck_assert_int_eq(ref_lstsq_exact(Z, p, N, p, y.data, y.stride, &ref), 0);
    ck_assert_int_eq(mg_lstsq(X, &y, &B, o, NULL), MG_OK);
    const double lre = lre_norm(b, 1, bh, bl, p);
    free(Z); free(b); free(bh); free(bl); free(cov);
    return lre;
}

