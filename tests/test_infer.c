/* SPDX-License-Identifier: BSD-3-Clause */
/* mg_fit_infer: every statistic against a long double reference
 * (tests/ref/ref_fit_infer.c) for both kinds, with and without the intercept,
 * weighted (some zero weights) and not, k = 1 and 2; the about-mean rule
 * for a constant column; perfect fits; R's aliased coefficients; refined
 * states; the state's sum of log weights through save/load (version 2, and
 * version-1 images); every error status. */
#include "mgtest.h"
#include "ref_fit_infer.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define EPS DBL_EPSILON

/* A problem: X (N x p), Y (N x k), weights w (N, or all 1). */
typedef struct prob {
    size_t N, p, k;
    double *X, *Y, *w;
    int weighted;
} prob;

/* Well-conditioned random designs: X uniform in [-1, 1) plus column
 * shifts of 0.5 j, Y = X b + c + noise of sd about 0.3 (R^2 well inside
 * (0, 1), so RSS and TSS - RSS are both of the order of ||y||^2). */
static prob make(uint64_t seed, size_t N, size_t p, size_t k, int weighted)
{
    mgt_rng r = mgt_rng_seed(seed);
    prob d = { N, p, k, malloc(N * p * sizeof(double)), malloc(N * k * sizeof(double)),
               malloc(N * sizeof(double)), weighted };
    for (size_t i = 0; i < N; i++) {
        for (size_t j = 0; j < p; j++)
            d.X[i * p + j] = mgt_uniform(&r) + 0.5 * (double)j;
        for (size_t c = 0; c < k; c++) {
            double y = 1.0 + (double)c + 0.5 * mgt_uniform(&r);
            for (size_t j = 0; j < p; j++)
                y += (double)(j + c + 1) * 0.7 * d.X[i * p + j] * (j % 2 ? -1.0 : 1.0);
            d.Y[i * k + c] = y;
        }
        /* weights in {0, 0.5, 1, ..., 2.5}: about one row in six dropped */
        d.w[i] = weighted ? 0.5 * (double)mgt_below(&r, 6) : 1.0;
    }
    return d;
}

static void prob_free(prob *d)
{
    free(d->X); free(d->Y); free(d->w);
}

static mg_fit *fit_of(const prob *d, mg_fit_kind kind, int ic, int exact)
{
    mg_fit_options o = mg_fit_defaults();
    o.kind = kind;
    o.intercept = ic;
    o.exact = exact;
    mg_fit *f = NULL;
    ck_assert_int_eq(mg_fit_create(d->p, d->k, &o, &f), MG_OK);
    /* two blocks: the state's merge of its own accumulations */
    const size_t h = d->N / 2;
    for (size_t part = 0; part < 2; part++) {
        const size_t i0 = part ? h : 0, n = part ? d->N - h : h;
        mg_matrix X = mg_matrix_view(d->X + i0 * d->p, n, d->p);
        mg_matrix Y = mg_matrix_view(d->Y + i0 * d->k, n, d->k);
        mg_matrix w = mg_matrix_view(d->w + i0, n, 1);
        ck_assert_int_eq(mg_fit_accumulate(f, d->p ? &X : NULL, &Y, d->weighted ? &w : NULL),
                         MG_OK);
    }
    return f;
}

/* Caller storage for every output of mg_fit_infer. */
typedef struct outs {
    size_t m, k;
    mgt_mat coef, se, t, p, lo, hi, cov;
    unsigned char al[16];
    double sigma[4], r2[4], ar2[4], F[4], Fp[4], ll[4], aic[4], bic[4];
    int perfect[4];
    mg_infer inf;
} outs;

static void outs_init(outs *o, size_t m, size_t k)
{
    memset(o, 0, sizeof *o);
    o->m = m;
    o->k = k;
    mgt_mat *tabs[6] = { &o->coef, &o->se, &o->t, &o->p, &o->lo, &o->hi };
    for (int i = 0; i < 6; i++)
        *tabs[i] = mgt_alloc(m, k, 1);
    o->cov = mgt_alloc(m, m, 2);
    o->inf.coef = &o->coef.v;
    o->inf.std_err = &o->se.v;
    o->inf.t_value = &o->t.v;
    o->inf.p_value = &o->p.v;
    o->inf.conf_low = &o->lo.v;
    o->inf.conf_high = &o->hi.v;
    o->inf.cov_unscaled = &o->cov.v;
    o->inf.aliased = o->al;
    o->inf.sigma = o->sigma;
    o->inf.r_squared = o->r2;
    o->inf.adj_r_squared = o->ar2;
    o->inf.f_value = o->F;
    o->inf.f_p_value = o->Fp;
    o->inf.loglik = o->ll;
    o->inf.aic = o->aic;
    o->inf.bic = o->bic;
    o->inf.perfect_fit = o->perfect;
}

static void outs_free(outs *o)
{
    mgt_free(&o->coef); mgt_free(&o->se); mgt_free(&o->t); mgt_free(&o->p);
    mgt_free(&o->lo); mgt_free(&o->hi); mgt_free(&o->cov);
}

static double at(const mgt_mat *a, size_t i, size_t j)
{
    return mgt_get(&a->v, i, j);
}

/* |x - ref| <= tol |ref| + abs */
static void near(double x, long double ref, double tol, double abs, const char *what)
{
    const double err = fabs((double)((long double)x - ref));
    ck_assert_msg(err <= tol * fabs((double)ref) + abs, "%s: %.17g vs %.17Lg (err %.3g, tol %.3g)",
                  what, x, ref, err, tol * fabs((double)ref) + abs);
}

/* p-values and intervals: a monotone function g of a statistic s that is
 * known to within s_ref (1 -/+ tol) lies between g at the two ends (the
 * distribution code's own error, 1e-12 relative for df <= 50, aside). */
static void bracket(double got, double a, double b, const char *what)
{
    const double lo = fmin(a, b), hi = fmax(a, b), slack = 1e-12 * hi + 1e-300;
    ck_assert_msg(got >= lo - slack && got <= hi + slack, "%s: %.17g not in [%.17g, %.17g]",
                  what, got, lo, hi);
}

/* Every statistic of one state against the reference.
 * Error analysis (u = eps / 2, kappa = kappa(Z) of the equilibrated
 * identified columns, kappa^2 <= ref.kappa2):
 *   - B and C: QR is backward stable, relative error c m kappa eps in B
 *     (+ kappa^2 eps ||r|| / (||Z|| ||B||)); GRAM's normal equations
 *     c m kappa^2 eps.  Both within tb = 64 (m + 1) kappa^2 eps normwise
 *     (c = 64 covers the accumulation over n <= 200 rows, pairwise).
 *   - RSS: QR's trailing entries carry c eps ||y|| absolute error each,
 *     GRAM's moment formula c kappa^2 eps ||y||^2: both within
 *     trss = tb ||y||^2 / RSS relative; TSS within tb ||y||^2 / TSS.
 *   - Derived: sigma (tr / 2), R^2 (RSS / TSS (trss + ttss) absolute), F
 *     ((trss + ttss) (1 + TSS / (TSS - RSS)) relative), logLik (n / 2
 *     trss absolute, plus u |sum log w| from the product of weights).
 *   - t and SE: relative tb + trss.
 * mg_fit_finish itself is tested elsewhere; these bounds check that every
 * statistic is the right formula on the right quantities. */
static void check_against(mg_fit *f, const prob *d, int ic, const unsigned char *drop,
                          int about_mean, const mg_infer_options *opt)
{
    const size_t m = (size_t)ic + d->p, k = d->k;
    outs o;
    outs_init(&o, m, k);
    ck_assert_int_eq(mg_fit_infer(f, opt, &o.inf), MG_OK);
    ref_fit rf = ref_fit_make(d->X, d->p, d->Y, d->k, d->weighted ? d->w : NULL, d->N, d->p, d->k,
                              ic, drop, about_mean);
    ck_assert_uint_eq(o.inf.n, rf.n);
    ck_assert_uint_eq(o.inf.rank, rf.r);
    ck_assert_uint_eq(o.inf.df_residual, rf.n - rf.r);
    ck_assert_int_eq(o.inf.about_mean, about_mean);
    ck_assert_uint_eq(o.inf.df_model, rf.r - (size_t)about_mean);
    const size_t n = rf.n, df = n - rf.r, dfm = rf.r - (size_t)about_mean;
    /* the provisional distribution code is accurate to 1e-12 up to df 50 */
    ck_assert_uint_le(df, 50);
    const double tb = 64.0 * (double)(m + 1) * (double)rf.kappa2 * EPS;
    ck_assert(tb < 1e-10);
    const double level = opt ? opt->level : 0.95;
    const double q = mg_t_quantile(0.5 * (1.0 - level), (double)df, 0);
    for (size_t c = 0; c < k; c++) {
        const long double rss = rf.rss[c], tss = rf.tss[c];
        const double trss = tb * (double)(rf.yy_max / rss), ttss = tb * (double)(rf.yy_max / tss);
        long double bmax = 0.0L;
        for (size_t j = 0; j < m; j++)
            bmax = fmaxl(bmax, fabsl(rf.B[j * k + c]));
        const long double sig = sqrtl(rss / (long double)df);
        near(o.sigma[c], sig, trss, 0.0, "sigma");
        near(o.r2[c], 1.0L - rss / tss, 0.0, (double)(rss / tss) * (trss + ttss), "R^2");
        near(o.ar2[c], 1.0L - (rss / (long double)df) / (tss / (long double)(n - (size_t)about_mean)),
             0.0, (double)(rss / tss) * (trss + ttss) * 2.0, "adjusted R^2");
        if (dfm == 0) {
            /* no model beyond the constant: no F */
            ck_assert(isnan(o.F[c]) && isnan(o.Fp[c]));
        } else {
            const long double Fr = ((tss - rss) / (long double)dfm) / (rss / (long double)df);
            const double tF = (trss + ttss) * (double)(1.0L + tss / (tss - rss));
            near(o.F[c], Fr, tF, 0.0, "F");
            bracket(o.Fp[c], mg_f_cdf((double)Fr * (1.0 + tF), (double)dfm, (double)df, 0),
                    mg_f_cdf((double)Fr * (1.0 - tF), (double)dfm, (double)df, 0), "F p-value");
        }
        const long double llr =
            0.5L * (rf.logw - (long double)n * (logl(2.0L * 3.14159265358979323846264338327950288L) +
                                                1.0L - logl((long double)n) + logl(rss)));
        const double tll = 0.5 * (double)n * trss + 64.0 * EPS * (double)fabsl(rf.logw) + 64.0 * EPS * fabs((double)llr);
        near(o.ll[c], llr, 0.0, tll, "logLik");
        near(o.aic[c], -2.0L * llr + 2.0L * (long double)(rf.r + 1), 0.0, 2.0 * tll + 1e-13, "AIC");
        near(o.bic[c], -2.0L * llr + logl((long double)n) * (long double)(rf.r + 1), 0.0,
             2.0 * tll + 1e-13, "BIC");
        ck_assert_int_eq(o.perfect[c], 0);
        for (size_t j = 0; j < m; j++) {
            if (drop && drop[j]) {
                ck_assert(isnan(at(&o.coef, j, c)) && isnan(at(&o.se, j, c)) &&
                          isnan(at(&o.t, j, c)) && isnan(at(&o.p, j, c)) &&
                          isnan(at(&o.lo, j, c)) && isnan(at(&o.hi, j, c)));
                continue;
            }
            near(at(&o.coef, j, c), rf.B[j * k + c], 0.0, tb * (double)bmax, "coef");
            const long double se = sig * sqrtl(rf.C[j * m + j]);
            near(at(&o.se, j, c), se, tb + trss, 0.0, "std_err");
            const long double t = rf.B[j * k + c] / se;
            /* |t err| <= |b err| / se + |t| (relative SE error) */
            const double tt = tb * (double)(bmax / se) + (tb + trss) * fabs((double)t);
            near(at(&o.t, j, c), t, 0.0, tt, "t");
            const double ta = fabs((double)t);
            bracket(at(&o.p, j, c), 2.0 * mg_t_cdf(ta + tt, (double)df, 0),
                    2.0 * mg_t_cdf(fmax(ta - tt, 0.0), (double)df, 0), "p");
            const double half = q * (double)se, th = tb * (double)bmax + (tb + trss) * half;
            near(at(&o.lo, j, c), rf.B[j * k + c] - half, 0.0, th + 4.0 * EPS * half, "conf_low");
            near(at(&o.hi, j, c), rf.B[j * k + c] + half, 0.0, th + 4.0 * EPS * half, "conf_high");
        }
    }
    for (size_t i = 0; i < m; i++) {
        ck_assert_int_eq(o.al[i], drop ? drop[i] : 0);
        for (size_t j = 0; j < m; j++) {
            if (drop && (drop[i] || drop[j])) {
                ck_assert(isnan(at(&o.cov, i, j)));
                continue;
            }
            /* C = (Z^T W Z)^-1: normwise relative tb */
            const long double ref = rf.C[i * m + j];
            const double scale = sqrt((double)(rf.C[i * m + i] * rf.C[j * m + j]));
            near(at(&o.cov, i, j), ref, 0.0, tb * scale, "cov_unscaled");
        }
    }
    ck_assert(mgt_padding_intact(&o.coef) && mgt_padding_intact(&o.cov));
    ref_fit_free(&rf);
    outs_free(&o);
}

/* One state against the reference, at the default level and at 0.8 (the
 * intervals follow the level). */
static void reference_case(int kind, int ic, int wt, size_t k, int exact)
{
    prob d = make(100u + (uint64_t)(8 * kind + 4 * ic + 2 * wt) + k, 52, 3, k, wt);
    mg_fit *f = fit_of(&d, (mg_fit_kind)kind, ic, exact);
    check_against(f, &d, ic, NULL, ic, NULL);
    mg_infer_options o = mg_infer_defaults();
    o.level = 0.8;
    check_against(f, &d, ic, NULL, ic, &o);
    mg_fit_free(f);
    prob_free(&d);
}

/* Every combination of kind, intercept, weights, k and the exact option. */
START_TEST(matches_reference)
{
    for (int kind = MG_FIT_QR; kind <= MG_FIT_GRAM; kind++)
        for (int ic = 0; ic <= 1; ic++)
            for (int wt = 0; wt <= 1; wt++)
                for (size_t k = 1; k <= 2; k++)
                    for (int exact = 0; exact <= 1; exact++)
                        reference_case(kind, ic, wt, k, exact);
}
END_TEST

/* The mean model (p = 0 with the intercept): rank 1, df_model 0, no F. */
START_TEST(mean_model)
{
    for (int kind = MG_FIT_QR; kind <= MG_FIT_GRAM; kind++)
        for (int wt = 0; wt <= 1; wt++) {
            prob d = make(21 + (uint64_t)(2 * kind + wt), 40, 0, 2, wt);
            mg_fit *f = fit_of(&d, (mg_fit_kind)kind, 1, 0);
            check_against(f, &d, 1, NULL, 1, NULL);
            mg_fit_free(f);
            prob_free(&d);
        }
}
END_TEST

/* A full-rank fit gives mg_fit_finish's coefficients bitwise (both kinds,
 * the exact option too), and its sigma, R^2 and adjusted R^2. */
START_TEST(full_rank_is_finish)
{
    for (int kind = MG_FIT_QR; kind <= MG_FIT_GRAM; kind++)
        for (int exact = 0; exact <= 1; exact++) {
            prob d = make(7 + (uint64_t)(2 * kind + exact), 70, 3, 2, 1);
            mg_fit *f = fit_of(&d, (mg_fit_kind)kind, 1, exact);
            mgt_mat B = mgt_alloc(4, 2, 0);
            double sd[2], r2[2], ar2[2];
            mg_lstsq_result res;
            memset(&res, 0, sizeof res);
            res.residual_sd = sd;
            res.r_squared = r2;
            res.adj_r_squared = ar2;
            ck_assert_int_eq(mg_fit_finish(f, &B.v, &res), MG_OK);
            outs o;
            outs_init(&o, 4, 2);
            ck_assert_int_eq(mg_fit_infer(f, NULL, &o.inf), MG_OK);
            for (size_t j = 0; j < 4; j++)
                for (size_t c = 0; c < 2; c++)
                    ck_assert(at(&o.coef, j, c) == at(&B, j, c));
            for (size_t c = 0; c < 2; c++) {
                ck_assert(o.sigma[c] == sd[c]);
                ck_assert(o.r2[c] == r2[c]);
                ck_assert(o.ar2[c] == ar2[c]);
            }
            outs_free(&o);
            mgt_free(&B);
            mg_fit_free(f);
            prob_free(&d);
        }
}
END_TEST

/* A column of ones without the intercept option is an intercept in all
 * but name: R^2, adjusted R^2 and F about the mean (df_model = rank - 1),
 * the same numbers as with the option, and mg_fit_finish's R^2 too.
 * (Before: finish's R^2 about zero, and the command's F about zero.) */
START_TEST(constant_column_about_mean)
{
    for (int kind = MG_FIT_QR; kind <= MG_FIT_GRAM; kind++)
        for (int wt = 0; wt <= 1; wt++) {
            prob d = make(31 + (uint64_t)(2 * kind + wt), 52, 2, 1, wt);
            prob e = d;
            e.p = 3;
            e.X = malloc(d.N * 3 * sizeof(double));
            for (size_t i = 0; i < d.N; i++) {
                e.X[i * 3] = 2.0; /* a constant, not 1 */
                e.X[i * 3 + 1] = d.X[i * 2];
                e.X[i * 3 + 2] = d.X[i * 2 + 1];
            }
            mg_fit *fa = fit_of(&d, (mg_fit_kind)kind, 1, 0), *fb = fit_of(&e, (mg_fit_kind)kind, 0, 0);
            outs a, b;
            outs_init(&a, 3, 1);
            outs_init(&b, 3, 1);
            ck_assert_int_eq(mg_fit_infer(fa, NULL, &a.inf), MG_OK);
            ck_assert_int_eq(mg_fit_infer(fb, NULL, &b.inf), MG_OK);
            ck_assert_int_eq(b.inf.about_mean, 1);
            ck_assert_uint_eq(b.inf.df_model, 2);
            ck_assert_uint_eq(b.inf.rank, 3);
            /* the same model: each fit's R^2 and F are within the
             * bounds of check_against (tb ||y||^2 / RSS, tb ||y||^2 / TSS
             * relative for RSS and TSS; the column of twos scales one
             * column, kappa of the equilibrated design does not change),
             * so they agree to twice that */
            ref_fit rf = ref_fit_make(d.X, 2, d.Y, 1, wt ? d.w : NULL, d.N, 2, 1, 1, NULL, 1);
            const double tb = 64.0 * 4.0 * (double)rf.kappa2 * EPS;
            const double tr = tb * (double)(rf.yy_max / rf.rss[0] + rf.yy_max / rf.tss[0]);
            near(b.r2[0], a.r2[0], 0.0, 2.0 * tr * (double)(rf.rss[0] / rf.tss[0]), "R^2");
            near(b.ar2[0], a.ar2[0], 0.0, 4.0 * tr * (double)(rf.rss[0] / rf.tss[0]), "adjusted R^2");
            const double tF = tr * (double)(1.0L + rf.tss[0] / (rf.tss[0] - rf.rss[0]));
            near(b.F[0], a.F[0], 2.0 * tF, 0.0, "F");
            bracket(b.Fp[0], mg_f_cdf(a.F[0] * (1.0 + 2.0 * tF), 2.0, (double)b.inf.df_residual, 0),
                    mg_f_cdf(a.F[0] * (1.0 - 2.0 * tF), 2.0, (double)b.inf.df_residual, 0), "F p");
            ref_fit_free(&rf);
            /* and against the reference, TSS about the mean */
            check_against(fb, &e, 0, NULL, 1, NULL);
            double r2;
            mg_lstsq_result res;
            memset(&res, 0, sizeof res);
            res.r_squared = &r2;
            mgt_mat B = mgt_alloc(3, 1, 0);
            ck_assert_int_eq(mg_fit_finish(fb, &B.v, &res), MG_OK);
            ck_assert(r2 == b.r2[0]);
            mgt_free(&B);
            outs_free(&a);
            outs_free(&b);
            mg_fit_free(fa);
            mg_fit_free(fb);
            free(e.X);
            prob_free(&d);
        }
}
END_TEST

/* A column constant on the rows of nonzero weight only is a constant of
 * the weighted model; one that varies is not. */
START_TEST(constant_column_weighted_rows)
{
    prob d = make(41, 52, 2, 1, 1);
    for (size_t i = 0; i < d.N; i++)
        d.X[i * 2] = d.w[i] > 0.0 ? -3.0 : 5.0;
    mg_fit *f = fit_of(&d, MG_FIT_QR, 0, 0);
    outs o;
    outs_init(&o, 2, 1);
    ck_assert_int_eq(mg_fit_infer(f, NULL, &o.inf), MG_OK);
    ck_assert_int_eq(o.inf.about_mean, 1);
    check_against(f, &d, 0, NULL, 1, NULL);
    mg_fit_free(f);
    d.X[0] = d.w[0] > 0.0 ? -3.5 : 5.0; /* row 0's weight is nonzero in this draw */
    ck_assert(d.w[0] > 0.0);
    f = fit_of(&d, MG_FIT_QR, 0, 0);
    ck_assert_int_eq(mg_fit_infer(f, NULL, &o.inf), MG_OK);
    ck_assert_int_eq(o.inf.about_mean, 0);
    check_against(f, &d, 0, NULL, 0, NULL);
    mg_fit_free(f);
    outs_free(&o);
    prob_free(&d);
}
END_TEST

/* y = c with the intercept, and y = 1 + x1 - 2 x2 (exact in double for
 * the dyadic x of this test): exact fits.  RSS at rounding level, so t, p,
 * F and its p-value are NaN, not ratios of rounding errors (1e16).  At
 * 20000 rows the QR state's RSS of y = 3 is above R's 1e-30 rule
 * (measured sigma^2 / 9 = 1.9e-30 at 1e4 rows): the state's own rounding
 * bound flags it (a regression test of that rule). */
START_TEST(perfect_fits)
{
    const size_t sizes[2] = { 300, 20000 };
    for (int kind = MG_FIT_QR; kind <= MG_FIT_GRAM; kind++)
        for (int wt = 0; wt <= 1; wt++)
            for (int s = 0; s < 2; s++)
                for (int target = 0; target < 2; target++) {
                    prob d = make(51 + (uint64_t)(4 * kind + 2 * wt + s), sizes[s], 2, 1, wt);
                    for (size_t i = 0; i < d.N; i++) {
                        d.X[2 * i] = ldexp(round(ldexp(d.X[2 * i], 10)), -10);
                        d.X[2 * i + 1] = ldexp(round(ldexp(d.X[2 * i + 1], 10)), -10);
                        d.Y[i] = target ? 1.0 + d.X[2 * i] - 2.0 * d.X[2 * i + 1] : 3.0;
                    }
                    mg_fit *f = fit_of(&d, (mg_fit_kind)kind, 1, 0);
                    outs o;
                    outs_init(&o, 3, 1);
                    ck_assert_int_eq(mg_fit_infer(f, NULL, &o.inf), MG_OK);
                    ck_assert_int_eq(o.perfect[0], 1);
                    ck_assert(isnan(o.F[0]) && isnan(o.Fp[0]));
                    /* y = c about its mean: TSS is 0, within the state's
                     * rounding of it; R^2 and adjusted R^2 are 0/0, NaN
                     * (they used to be 1 - noise/noise) */
                    if (!target)
                        ck_assert(isnan(o.r2[0]) && isnan(o.ar2[0]));
                    /* sigma: QR, the residual norm of a backward-stable
                     * fit of an exact y, at most c n eps max |y| per row
                     * (c = 4, max |y| <= 5); GRAM, the cancellation of
                     * M_yy - b^T M_xy, RSS <= 8 (p + 2)^2 u sum w y^2 */
                    double yy = 0.0;
                    for (size_t i = 0; i < d.N; i++)
                        yy += d.w[i] * d.Y[i] * d.Y[i];
                    const double sb = kind == MG_FIT_QR
                                          ? 4.0 * (double)d.N * EPS * 5.0
                                          : sqrt(8.0 * 16.0 * 0.5 * EPS * yy / (double)o.inf.df_residual);
                    ck_assert_msg(o.sigma[0] <= sb, "sigma %g > %g", o.sigma[0], sb);
                    for (size_t j = 0; j < 3; j++) {
                        ck_assert(isnan(at(&o.t, j, 0)) && isnan(at(&o.p, j, 0)));
                        ck_assert(at(&o.se, j, 0) <=
                                  o.sigma[0] * sqrt(at(&o.cov, j, j)) * (1 + 4 * EPS));
                    }
                    /* the intercept is 3 (or 1): QR to c kappa eps, GRAM to
                     * c kappa^2 eps (kappa ~ 10 with the intercept) */
                    near(at(&o.coef, 0, 0), target ? 1.0L : 3.0L, 0.0,
                         64.0 * 100.0 * 4.0 * EPS * 5.0, "intercept");
                    mg_fit_free(f);
                    outs_free(&o);
                    prob_free(&d);
                }
}
END_TEST

/* The design [x1 x2 x1 x1+2x2]: R flags the later copies (columns 3 and 4
 * of Z with the intercept) and fits the others as if they were absent;
 * their statistics are NaN.  r_aliased = 0: the minimum-norm estimates of
 * mg_fit_finish (QR) with every per-coefficient statistic NaN, or
 * finish's MG_ENOTPD (GRAM). */
START_TEST(aliased_columns)
{
    for (int kind = MG_FIT_QR; kind <= MG_FIT_GRAM; kind++)
        for (int ic = 0; ic <= 1; ic++) {
            prob d = make(61 + (uint64_t)(2 * kind + ic), 54, 2, 2, 1);
            prob e = d;
            e.p = 4;
            e.X = malloc(d.N * 4 * sizeof(double));
            for (size_t i = 0; i < d.N; i++) {
                const double x1 = d.X[i * 2], x2 = d.X[i * 2 + 1];
                e.X[i * 4] = x1;
                e.X[i * 4 + 1] = x2;
                e.X[i * 4 + 2] = x1;
                e.X[i * 4 + 3] = x1 + 2.0 * x2;
            }
            const size_t m = (size_t)ic + 4;
            unsigned char drop[5] = { 0 };
            drop[ic + 2] = drop[ic + 3] = 1;
            mg_fit *f = fit_of(&e, (mg_fit_kind)kind, ic, 0);
            check_against(f, &e, ic, drop, ic, NULL);
            /* the same as the fit without the copies, to its accuracy */
            mg_fit *g = fit_of(&d, (mg_fit_kind)kind, ic, 0);
            outs a, b;
            outs_init(&a, m, 2);
            outs_init(&b, m - 2, 2);
            ck_assert_int_eq(mg_fit_infer(f, NULL, &a.inf), MG_OK);
            ck_assert_int_eq(mg_fit_infer(g, NULL, &b.inf), MG_OK);
            ck_assert_uint_eq(a.inf.rank, b.inf.rank);
            /* both within check_against's bounds of the same exact fit:
             * coefficients to 2 tb max |b|, sigma to 2 tb ||y||^2 / RSS */
            ref_fit rf = ref_fit_make(d.X, 2, d.Y, 2, d.w, d.N, 2, 2, ic, NULL, ic);
            const double tb = 64.0 * (double)(m + 1) * (double)rf.kappa2 * EPS;
            for (size_t c = 0; c < 2; c++) {
                double bmax = 0.0;
                for (size_t j = 0; j < m - 2; j++)
                    bmax = fmax(bmax, fabs(at(&b.coef, j, c)));
                for (size_t j = 0; j < m - 2; j++)
                    near(at(&a.coef, j, c), at(&b.coef, j, c), 0.0, 2.0 * tb * bmax, "coef");
                near(a.sigma[c], b.sigma[c], 2.0 * tb * (double)(rf.yy_max / rf.rss[c]), 0.0,
                     "sigma");
            }
            ref_fit_free(&rf);
            /* r_aliased = 0 */
            mg_infer_options o = mg_infer_defaults();
            o.r_aliased = 0;
            if (kind == MG_FIT_GRAM) {
                ck_assert_int_eq(mg_fit_infer(f, &o, &a.inf), MG_ENOTPD);
            } else {
                mgt_mat B = mgt_alloc(m, 2, 0);
                mg_lstsq_result res;
                memset(&res, 0, sizeof res);
                ck_assert_int_eq(mg_fit_finish(f, &B.v, &res), MG_OK);
                ck_assert_int_eq(mg_fit_infer(f, &o, &a.inf), MG_OK);
                ck_assert_uint_eq(a.inf.rank, res.rank);
                ck_assert_uint_eq(a.inf.rank, m - 2);
                for (size_t j = 0; j < m; j++) {
                    ck_assert_int_eq(a.al[j], drop[j]);
                    for (size_t c = 0; c < 2; c++) {
                        ck_assert(at(&a.coef, j, c) == at(&B, j, c));
                        ck_assert(isnan(at(&a.se, j, c)) && isnan(at(&a.t, j, c)) &&
                                  isnan(at(&a.p, j, c)) && isnan(at(&a.lo, j, c)) &&
                                  isnan(at(&a.hi, j, c)));
                    }
                    for (size_t i = 0; i < m; i++)
                        ck_assert(isnan(at(&a.cov, j, i)));
                }
                mgt_free(&B);
            }
            outs_free(&a);
            outs_free(&b);
            mg_fit_free(f);
            mg_fit_free(g);
            free(e.X);
            prob_free(&d);
        }
}
END_TEST

/* A near-copy: column 2 = column 1 + 1e-9 noise (distance ~1e-9 ||z||,
 * below 1e-7) is aliased; + 1e-5 noise is not (and the fit uses it). */
START_TEST(alias_tolerance)
{
    for (int kind = MG_FIT_QR; kind <= MG_FIT_GRAM; kind++) {
        const double sizes[2] = { 1e-9, 1e-5 };
        for (int s = 0; s < 2; s++) {
            prob d = make(71 + (uint64_t)kind, 80, 3, 1, 0);
            mgt_rng r = mgt_rng_seed(5);
            for (size_t i = 0; i < d.N; i++)
                d.X[i * 3 + 2] = d.X[i * 3 + 1] + sizes[s] * mgt_uniform(&r);
            mg_fit *f = fit_of(&d, (mg_fit_kind)kind, 1, 0);
            outs o;
            outs_init(&o, 4, 1);
            mg_status st = mg_fit_infer(f, NULL, &o.inf);
            /* 1e-5: kappa ~ 1e5, within QR's reach; GRAM refuses kappa^2 ~ 1e10
             * only beyond rcond 32 (m + 1) eps, which 1e-10 is not */
            ck_assert_int_eq(st, MG_OK);
            ck_assert_int_eq(o.al[3], s == 0);
            ck_assert_uint_eq(o.inf.rank, s == 0 ? 3 : 4);
            mg_fit_free(f);
            outs_free(&o);
            prob_free(&d);
        }
    }
}
END_TEST

/* A refined state: B and RSS are the refinement's. */
START_TEST(refined_state)
{
    for (int kind = MG_FIT_QR; kind <= MG_FIT_GRAM; kind++) {
        prob d = make(81 + (uint64_t)kind, 54, 3, 2, 1);
        mg_fit *f = fit_of(&d, (mg_fit_kind)kind, 1, 0);
        mgt_mat B = mgt_alloc(4, 2, 0);
        ck_assert_int_eq(mg_fit_finish(f, &B.v, NULL), MG_OK);
        mg_matrix X = mg_matrix_view(d.X, d.N, 3), Y = mg_matrix_view(d.Y, d.N, 2),
                  w = mg_matrix_view(d.w, d.N, 1);
        ck_assert_int_eq(mg_fit_refine_begin(f, &B.v), MG_OK);
        ck_assert_int_eq(mg_fit_refine_accumulate(f, &X, &Y, &w), MG_OK);
        ck_assert_int_eq(mg_fit_refine_end(f, &B.v, NULL), MG_OK);
        double sd[2];
        mg_lstsq_result res;
        memset(&res, 0, sizeof res);
        res.residual_sd = sd;
        mgt_mat B2 = mgt_alloc(4, 2, 0);
        ck_assert_int_eq(mg_fit_finish(f, &B2.v, &res), MG_OK);
        outs o;
        outs_init(&o, 4, 2);
        ck_assert_int_eq(mg_fit_infer(f, NULL, &o.inf), MG_OK);
        for (size_t j = 0; j < 4; j++)
            for (size_t c = 0; c < 2; c++)
                ck_assert(at(&o.coef, j, c) == at(&B, j, c));
        for (size_t c = 0; c < 2; c++)
            ck_assert(o.sigma[c] == sd[c]);
        check_against(f, &d, 1, NULL, 1, NULL);
        outs_free(&o);
        mgt_free(&B);
        mgt_free(&B2);
        mg_fit_free(f);
        prob_free(&d);
    }
}
END_TEST

static unsigned char *image(const mg_fit *f, size_t *len)
{
    ck_assert_int_eq(mg_fit_save_size(f, len), MG_OK);
    unsigned char *b = malloc(*len);
    size_t got = 0;
    ck_assert_int_eq(mg_fit_save(f, b, *len, &got), MG_OK);
    ck_assert_uint_eq(got, *len);
    return b;
}

static uint64_t fnv1a(const unsigned char *b, size_t len)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < len; i++) {
        h ^= b[i];
        h *= 0x100000001b3u;
    }
    return h;
}

/* The version-1 image of a state: the version-2 one without its last
 * section (u64 known, f64 sum log w, 2 p f64 ranges), version byte 1,
 * hash recomputed. */
static unsigned char *image_v1(const mg_fit *f, size_t p, size_t *len)
{
    size_t l2;
    unsigned char *b = image(f, &l2);
    const size_t cut = 16 + 16 * p;
    *len = l2 - cut;
    b[8] = 1;
    const uint64_t h = fnv1a(b, *len - 8);
    for (int i = 0; i < 8; i++)
        b[*len - 8 + (size_t)i] = (unsigned char)(h >> (8 * i));
    return b;
}

/* Version 2 keeps sum log w (and the ranges of X): the loaded state's
 * statistics are bitwise the saved one's.  A version-1 image loads with
 * them unknown: logLik, AIC, BIC NaN, TSS about zero without the
 * intercept option, everything else as before. */
START_TEST(save_load_keeps_log_weights)
{
    for (int kind = MG_FIT_QR; kind <= MG_FIT_GRAM; kind++) {
        prob d = make(91 + (uint64_t)kind, 50, 2, 1, 1);
        for (size_t i = 0; i < d.N; i++)
            d.X[i * 2] = 4.0; /* a constant column: about the mean */
        mg_fit *f = fit_of(&d, (mg_fit_kind)kind, 0, 0);
        mg_fit_options fo;
        ck_assert_int_eq(mg_fit_shape(f, NULL, NULL, &fo), MG_OK);
        mg_fit *g = NULL, *h = NULL;
        ck_assert_int_eq(mg_fit_create(2, 1, &fo, &g), MG_OK);
        ck_assert_int_eq(mg_fit_create(2, 1, &fo, &h), MG_OK);
        size_t len, len1;
        unsigned char *img = image(f, &len), *img1 = image_v1(f, 2, &len1);
        ck_assert_int_eq(mg_fit_load(g, img, len), MG_OK);
        ck_assert_int_eq(mg_fit_load(h, img1, len1), MG_OK);
        outs a, b, c;
        outs_init(&a, 2, 1);
        outs_init(&b, 2, 1);
        outs_init(&c, 2, 1);
        ck_assert_int_eq(mg_fit_infer(f, NULL, &a.inf), MG_OK);
        ck_assert_int_eq(mg_fit_infer(g, NULL, &b.inf), MG_OK);
        ck_assert_int_eq(mg_fit_infer(h, NULL, &c.inf), MG_OK);
        ck_assert(isfinite(a.ll[0]) && a.ll[0] == b.ll[0] && a.aic[0] == b.aic[0] &&
                  a.bic[0] == b.bic[0]);
        ck_assert(a.r2[0] == b.r2[0] && a.F[0] == b.F[0] && b.inf.about_mean == 1);
        ck_assert(isnan(c.ll[0]) && isnan(c.aic[0]) && isnan(c.bic[0]));
        ck_assert_int_eq(c.inf.about_mean, 0);
        ck_assert(a.sigma[0] == c.sigma[0] && at(&a.coef, 1, 0) == at(&c.coef, 1, 0));
        check_against(g, &d, 0, NULL, 1, NULL);
        /* an unknown sum stays unknown through a merge; a reset forgets it */
        ck_assert_int_eq(mg_fit_merge(g, h), MG_OK);
        ck_assert_int_eq(mg_fit_infer(g, NULL, &b.inf), MG_OK);
        ck_assert(isnan(b.ll[0]) && b.inf.about_mean == 0);
        /* and a version-2 image of it says so */
        free(img);
        img = image(g, &len);
        ck_assert_int_eq(mg_fit_load(h, img, len), MG_OK);
        ck_assert_int_eq(mg_fit_infer(h, NULL, &c.inf), MG_OK);
        ck_assert(isnan(c.ll[0]) && c.inf.about_mean == 0);
        ck_assert_int_eq(mg_fit_reset(g), MG_OK);
        mg_matrix X = mg_matrix_view(d.X, d.N, 2), Y = mg_matrix_view(d.Y, d.N, 1),
                  w = mg_matrix_view(d.w, d.N, 1);
        ck_assert_int_eq(mg_fit_accumulate(g, &X, &Y, &w), MG_OK);
        ck_assert_int_eq(mg_fit_infer(g, NULL, &b.inf), MG_OK);
        ck_assert(isfinite(b.ll[0]) && b.inf.about_mean == 1);
        /* a corrupted extension: min > max */
        free(img);
        img = image(f, &len);
        unsigned char save[8];
        memcpy(save, img + len - 8 - 32, 8);
        memcpy(img + len - 8 - 32, img + len - 8 - 16, 8);
        memcpy(img + len - 8 - 16, save, 8);
        const double x0 = 4.0, x1 = 1e9;
        memcpy(img + len - 8 - 32, &x1, 8);
        memcpy(img + len - 8 - 16, &x0, 8);
        const uint64_t hh = fnv1a(img, len - 8);
        for (int i = 0; i < 8; i++)
            img[len - 8 + (size_t)i] = (unsigned char)(hh >> (8 * i));
        ck_assert_int_eq(mg_fit_load(h, img, len), MG_EPARSE);
        outs_free(&a);
        outs_free(&b);
        outs_free(&c);
        free(img);
        free(img1);
        mg_fit_free(f);
        mg_fit_free(g);
        mg_fit_free(h);
        prob_free(&d);
    }
}
END_TEST

/* Unit weights give sum log w = 0; weights 2^e exactly e log 2 each. */
START_TEST(log_weights_sum)
{
    const size_t N = 3000;
    prob d = make(3, N, 1, 1, 1);
    long double ref = 0.0L;
    for (size_t i = 0; i < N; i++) {
        d.w[i] = i % 7 == 0 ? 0.0 : ldexp(1.0 + (double)(i % 5) / 8.0, (int)(i % 40) - 20);
        if (d.w[i] > 0.0)
            ref += logl(d.w[i]);
    }
    mg_fit *f = fit_of(&d, MG_FIT_QR, 1, 0);
    ref_fit rf = ref_fit_make(d.X, 1, d.Y, 1, d.w, N, 1, 1, 1, NULL, 1);
    outs o;
    outs_init(&o, 2, 1);
    ck_assert_int_eq(mg_fit_infer(f, NULL, &o.inf), MG_OK);
    /* logLik's sum log w part within N u_ld + a few eps of it */
    const long double ll = 0.5L * (ref - (long double)rf.n * (logl(2.0L * 3.14159265358979323846L) +
                                                         1.0L - logl((long double)rf.n) +
                                                         logl(rf.rss[0])));
    near(o.ll[0], ll, 1e-9, 0.0, "logLik");
    ref_fit_free(&rf);
    outs_free(&o);
    mg_fit_free(f);
    prob_free(&d);
}
END_TEST

/* Every error status, outputs untouched. */
START_TEST(errors)
{
    prob d = make(5, 30, 2, 1, 0);
    mg_fit *f = fit_of(&d, MG_FIT_QR, 1, 0);
    outs o;
    outs_init(&o, 3, 1);
    double *snap = mgt_snapshot(&o.coef);
    mg_infer_options opt = mg_infer_defaults();
    ck_assert_int_eq(mg_fit_infer(NULL, NULL, &o.inf), MG_EINVAL);
    ck_assert_int_eq(mg_fit_infer(f, NULL, NULL), MG_EINVAL);
    opt.level = 1.0;
    ck_assert_int_eq(mg_fit_infer(f, &opt, &o.inf), MG_EINVAL);
    opt.level = 0.95;
    opt.alias_tol = 0.0;
    ck_assert_int_eq(mg_fit_infer(f, &opt, &o.inf), MG_EINVAL);
    opt.alias_tol = NAN;
    ck_assert_int_eq(mg_fit_infer(f, &opt, &o.inf), MG_EINVAL);
    /* shapes */
    mgt_mat bad = mgt_alloc(2, 1, 0), badc = mgt_alloc(3, 2, 0);
    mg_infer x = o.inf;
    x.std_err = &bad.v;
    ck_assert_int_eq(mg_fit_infer(f, NULL, &x), MG_EDIM);
    x = o.inf;
    x.cov_unscaled = &badc.v;
    ck_assert_int_eq(mg_fit_infer(f, NULL, &x), MG_EDIM);
    /* overlapping outputs */
    x = o.inf;
    x.t_value = &o.coef.v;
    ck_assert_int_eq(mg_fit_infer(f, NULL, &x), MG_EINVAL);
    x = o.inf;
    x.aic = x.loglik;
    ck_assert_int_eq(mg_fit_infer(f, NULL, &x), MG_EINVAL);
    x = o.inf;
    x.sigma = o.coef.v.data;
    ck_assert_int_eq(mg_fit_infer(f, NULL, &x), MG_EINVAL);
    mg_matrix bv = { NULL, 3, 1, 1 };
    x = o.inf;
    x.p_value = &bv;
    ck_assert_int_eq(mg_fit_infer(f, NULL, &x), MG_EINVAL);
    ck_assert(mgt_unchanged(&o.coef, snap));
    /* a ridge */
    mg_fit_options fo = mg_fit_defaults();
    fo.kind = MG_FIT_GRAM;
    fo.intercept = 1;
    fo.ridge = 0.5;
    mg_fit *r = NULL;
    ck_assert_int_eq(mg_fit_create(2, 1, &fo, &r), MG_OK);
    mg_matrix X = mg_matrix_view(d.X, d.N, 2), Y = mg_matrix_view(d.Y, d.N, 1);
    ck_assert_int_eq(mg_fit_accumulate(r, &X, &Y, NULL), MG_OK);
    ck_assert_int_eq(mg_fit_infer(r, NULL, &o.inf), MG_EINVAL);
    mg_fit_free(r);
    /* no rows */
    ck_assert_int_eq(mg_fit_reset(f), MG_OK);
    ck_assert_int_eq(mg_fit_infer(f, NULL, &o.inf), MG_EINVAL);
    /* range: a column beyond 2^480 */
    double big[2] = { 1e150, 1.0 }, yb = 1.0;
    mg_matrix Xb = mg_matrix_view(big, 1, 2), Yb = mg_matrix_view(&yb, 1, 1);
    ck_assert_int_eq(mg_fit_accumulate(f, &Xb, &Yb, NULL), MG_OK);
    ck_assert_int_eq(mg_fit_infer(f, NULL, &o.inf), MG_ERANGE);
    ck_assert(mgt_unchanged(&o.coef, snap));
    mg_fit_free(f);
    /* GRAM, r_aliased = 0, a copied column: finish's MG_ENOTPD */
    for (size_t i = 0; i < d.N; i++)
        d.X[i * 2 + 1] = d.X[i * 2];
    f = fit_of(&d, MG_FIT_GRAM, 1, 0);
    opt = mg_infer_defaults();
    opt.r_aliased = 0;
    ck_assert_int_eq(mg_fit_infer(f, &opt, &o.inf), MG_ENOTPD);
    mg_fit_free(f);
    /* the exact option, r_aliased = 0, rank-deficient: finish's status
     * (the minimum-norm solution refined in memory) */
    f = fit_of(&d, MG_FIT_QR, 1, 1);
    mgt_mat B = mgt_alloc(3, 1, 0);
    ck_assert_int_eq(mg_fit_infer(f, &opt, &o.inf), mg_fit_finish(f, &B.v, NULL));
    mgt_free(&B);
    /* with R's convention the same state is fine */
    ck_assert_int_eq(mg_fit_infer(f, NULL, &o.inf), MG_OK);
    ck_assert_int_eq(o.al[2], 1);
    mg_fit_free(f);
    free(snap);
    mgt_free(&bad);
    mgt_free(&badc);
    outs_free(&o);
    prob_free(&d);
}
END_TEST

/* Zero residual degrees of freedom: SE, t, p, intervals, sigma, adjusted
 * R^2 and F NaN; coefficients and C defined. */
START_TEST(saturated)
{
    prob d = make(9, 3, 2, 1, 0);
    mg_fit *f = fit_of(&d, MG_FIT_QR, 1, 0);
    outs o;
    outs_init(&o, 3, 1);
    ck_assert_int_eq(mg_fit_infer(f, NULL, &o.inf), MG_OK);
    ck_assert_uint_eq(o.inf.df_residual, 0);
    ck_assert(isnan(o.sigma[0]) && isnan(o.ar2[0]) && isnan(o.F[0]) && isnan(o.Fp[0]));
    ck_assert_int_eq(o.perfect[0], 0);
    for (size_t j = 0; j < 3; j++) {
        ck_assert(isfinite(at(&o.coef, j, 0)) && isfinite(at(&o.cov, j, j)));
        ck_assert(isnan(at(&o.se, j, 0)) && isnan(at(&o.t, j, 0)) && isnan(at(&o.p, j, 0)) &&
                  isnan(at(&o.lo, j, 0)));
    }
    outs_free(&o);
    mg_fit_free(f);
    prob_free(&d);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("infer");
    TCase *tc = tcase_create("infer");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, matches_reference);
    tcase_add_test(tc, mean_model);
    tcase_add_test(tc, full_rank_is_finish);
    tcase_add_test(tc, constant_column_about_mean);
    tcase_add_test(tc, constant_column_weighted_rows);
    tcase_add_test(tc, perfect_fits);
    tcase_add_test(tc, aliased_columns);
    tcase_add_test(tc, alias_tolerance);
    tcase_add_test(tc, refined_state);
    tcase_add_test(tc, save_load_keeps_log_weights);
    tcase_add_test(tc, log_weights_sum);
    tcase_add_test(tc, errors);
    tcase_add_test(tc, saturated);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    const int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
