/* SPDX-License-Identifier: BSD-3-Clause */
/* The R lm() references of tests/data/r/lm (scripts/ref_lm.R, R 4.2.2)
 * are complete and agree with themselves, before any other suite trusts
 * them: every case loads through tests/ref/rlm_ref.c; every cell of the
 * committed CSV reads (strtod) as the design's double, factors as R's
 * dummies; the records describe that design (names, counts, rows,
 * weights); R's coefficients are within the QR error bound of the 80-digit
 * answer (<case>_exact.txt); and the statistics
 * R printed satisfy the identities that tie them together (vcov and
 * sigma^2 cov_unscaled, t = estimate / SE, confidence half-widths over SE
 * one t quantile, F and R^2 from the same sums, logLik from the residual
 * records, residual quantiles, fitted + residual = response, the trace of
 * the hat matrix, Cook's distance, predictions from the coefficients).  A
 * record written for the wrong coefficient, row, level or weighting breaks
 * one of these by far more than rounding.
 *
 * Tolerances: the files hold R's doubles exactly (%.17g round-trips), so
 * every bound is the rounding of the operations R performed (its source,
 * R 4.2.2's stats sources: lm.R, lm.influence.R, logLik.R, confint.R)
 * plus those of the check itself, stated
 * next to each assertion; u = eps / 2, gamma_n = n u / (1 - n u) for a sum
 * of n terms in any order (Higham, ASNA, Sec. 3.1). */
/* mkstemp, for the loader test's temporary files */
#define _POSIX_C_SOURCE 200809L

#include "mgtest.h"
#include "rlm_ref.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const cases[] = {
    "mtcars",      "airquality",      "iris",        "mtcars_weighted",
    "cars_weighted_zero", "swiss_aliased", "trees_noint", "trees_ones",
    "trees_ones_mean", "constant_target", "perfect_fit", "cars",
    "stackloss_semicolon", "rock_tab", "longley",
};
enum { NCASES = sizeof cases / sizeof cases[0] };

typedef struct fixture {
    const char *name;
    rlm_ref ref;
    rlm_table des, nd; /* nd: the newdata design, when the case predicts */
    int has_new, ic;
    size_t n, nobs, p, nx, rank, ycol;
    long wcol;         /* -1 when unweighted */
} fixture;

static void load_table(const char *name, const char *suffix, rlm_table *t)
{
    char rel[256], err[512];
    snprintf(rel, sizeof rel, "r/lm/%s%s", name, suffix);
    ck_assert_msg(rlm_table_load(mgt_data_path(rel), t, err, sizeof err) == 0, "%s", err);
}

static double scalar(const fixture *f, const char *key)
{
    const rlm_record *r = rlm_ref_find(&f->ref, key, 0, NULL);
    ck_assert_msg(r != NULL, "%s: no '%s' record", f->name, key);
    return r->v[0];
}

static size_t count_value(const fixture *f, const char *key)
{
    const double v = scalar(f, key);
    ck_assert_msg(v >= 0 && v == floor(v) && v < 1e9, "%s: %s = %g", f->name, key, v);
    return (size_t)v;
}

static void load(fixture *f, const char *name)
{
    memset(f, 0, sizeof *f);
    f->name = name;
    char rel[256], err[512];
    snprintf(rel, sizeof rel, "r/lm/%s_ref.txt", name);
    ck_assert_msg(rlm_ref_load(mgt_data_path(rel), &f->ref, err, sizeof err) == 0, "%s", err);
    load_table(name, "_design.csv", &f->des);
    f->has_new = rlm_ref_count(&f->ref, "predict") > 0;
    if (f->has_new)
        load_table(name, "_new_design.csv", &f->nd);
    f->ic = (int)count_value(f, "intercept");
    ck_assert_msg(f->ic <= 1, "%s: intercept %d", name, f->ic);
    ck_assert_uint_ge(f->des.cols, 1);
    f->wcol = rlm_table_col(&f->des, "w");
    /* weights, when present, are the last column, after the response */
    ck_assert(f->wcol < 0 || (size_t)f->wcol == f->des.cols - 1);
    f->ycol = f->des.cols - 1 - (f->wcol >= 0);
    f->nx = f->ycol;
    f->n = count_value(f, "n");
    f->nobs = count_value(f, "nobs");
    f->rank = count_value(f, "rank");
    f->p = rlm_ref_count(&f->ref, "coef");
}

static void unload(fixture *f)
{
    rlm_ref_free(&f->ref);
    rlm_table_free(&f->des);
    rlm_table_free(&f->nd);
}

static double weight(const fixture *f, size_t i)
{
    return f->wcol < 0 ? 1.0 : rlm_table_get(&f->des, i, (size_t)f->wcol);
}

static const rlm_record *coef(const fixture *f, size_t k)
{
    const rlm_record *r = rlm_ref_nth(&f->ref, "coef", k);
    ck_assert(r != NULL);
    return r;
}

static int aliased(const fixture *f, size_t k) { return coef(f, k)->na[0]; }

static const rlm_record *row_record(const fixture *f, const char *key, size_t i)
{
    char label[32];
    snprintf(label, sizeof label, "%zu", i + 1);
    const char *l[1] = {label};
    const rlm_record *r = rlm_ref_find(&f->ref, key, 1, l);
    ck_assert_msg(r != NULL, "%s: no '%s %s'", f->name, key, label);
    return r;
}

static const rlm_record *pair_record(const fixture *f, const char *key, const char *type,
                                     const char *a, const char *b)
{
    const char *l3[3] = {type, a, b};
    const char *l2[2] = {a, b};
    const rlm_record *r = type ? rlm_ref_find(&f->ref, key, 3, l3) : rlm_ref_find(&f->ref, key, 2, l2);
    ck_assert_msg(r != NULL, "%s: no %s %s %s %s", f->name, key, type ? type : "", a, b);
    return r;
}

/* Sum of the nonzero-weight rows' w e^2 from the records, in long double
 * (error ~ n 2^-64, negligible next to R's gamma_n). */
static long double rss_of(const fixture *f)
{
    long double s = 0;
    for (size_t i = 0; i < f->n; i++) {
        const long double e = row_record(f, "resid", i)->v[0];
        s += weight(f, i) * e * e;
    }
    return s;
}

/* Half-width (hi - lo) / 2 of an interval R computed as centre + q s for
 * q = -t, +t, with the bound on its relative error: the product q s and
 * each sum round once (u each on |lo|, |hi|), and the check's subtraction
 * and halving once more, so relative to hi - lo:
 *   2u + u (|lo| + |hi|) / (hi - lo) + u. */
static double half_width(double lo, double hi, double *relerr)
{
    const double u = MGT_U;
    *relerr = 3 * u + u * (fabs(lo) + fabs(hi)) / (hi - lo);
    return (hi - lo) / 2;
}

/* ------------------------------------------------------------- structure */

START_TEST(records_match_design)
{
    fixture f;
    load(&f, cases[_i]);
    const char *nm = f.name;
    /* one coefficient per design column, "(Intercept)" first when fitted */
    ck_assert_msg(f.p == f.nx + (size_t)f.ic, "%s: %zu coefs, %zu design columns", nm, f.p, f.nx);
    for (size_t k = 0; k < f.p; k++) {
        const char *c = coef(&f, k)->label[0];
        const char *want = f.ic && k == 0 ? "(Intercept)" : f.des.names[k - (size_t)f.ic];
        ck_assert_msg(strcmp(c, want) == 0, "%s: coef %zu is %s, design says %s", nm, k, c, want);
    }
    ck_assert_msg(f.n == f.des.rows, "%s: n %zu, design rows %zu", nm, f.n, f.des.rows);
    (void)count_value(&f, "deleted");
    size_t nz = 0;
    for (size_t i = 0; i < f.n; i++) {
        ck_assert_msg(weight(&f, i) >= 0, "%s: negative weight", nm);
        nz += weight(&f, i) != 0;
    }
    ck_assert_msg(f.nobs == nz, "%s: nobs %zu, nonzero weights %zu", nm, f.nobs, nz);

    /* aliased <-> NA everywhere; the others finite, SE > 0 */
    ck_assert_uint_eq(rlm_ref_count(&f.ref, "aliased"), f.p);
    size_t rank = 0;
    for (size_t k = 0; k < f.p; k++) {
        const rlm_record *c = coef(&f, k), *a = rlm_ref_nth(&f.ref, "aliased", k);
        ck_assert_str_eq(a->label[0], c->label[0]);
        ck_assert_msg(a->v[0] == 0 || a->v[0] == 1, "%s: aliased %g", nm, a->v[0]);
        for (size_t j = 0; j < 4; j++)
            ck_assert_msg(a->v[0] == 1 ? c->na[j] : isfinite(c->v[j]), "%s: coef %s field %zu",
                          nm, c->label[0], j);
        if (a->v[0] == 0) {
            ck_assert_msg(c->v[1] > 0 && c->v[3] >= 0 && c->v[3] <= 1, "%s: coef %s", nm, c->label[0]);
            rank++;
        }
        for (int l = 0; l < 2; l++) {
            const char *lab[2] = {l ? "0.99" : "0.95", c->label[0]};
            const rlm_record *ci = rlm_ref_find(&f.ref, "confint", 2, lab);
            ck_assert_msg(ci != NULL, "%s: no confint %s %s", nm, lab[0], lab[1]);
            ck_assert(a->v[0] == 1 ? ci->na[0] && ci->na[1] : ci->v[0] < ci->v[1]);
        }
    }
    ck_assert_msg(rank == f.rank, "%s: rank %zu, non-aliased %zu", nm, f.rank, rank);
    ck_assert_uint_eq(rlm_ref_count(&f.ref, "confint"), 2 * f.p);
    ck_assert_msg(count_value(&f, "df_residual") == f.nobs - f.rank, "%s: df_residual", nm);

    /* the matrices cover exactly the non-aliased pairs */
    static const char *const hc[] = {"HC0", "HC1", "HC2", "HC3"};
    ck_assert_uint_eq(rlm_ref_count(&f.ref, "vcov"), f.rank * f.rank);
    ck_assert_uint_eq(rlm_ref_count(&f.ref, "cov_unscaled"), f.rank * f.rank);
    ck_assert_uint_eq(rlm_ref_count(&f.ref, "hc"), 4 * f.rank * f.rank);
    for (size_t a = 0; a < f.p; a++)
        for (size_t b = 0; b < f.p; b++) {
            if (aliased(&f, a) || aliased(&f, b))
                continue;
            const char *na = coef(&f, a)->label[0], *nb = coef(&f, b)->label[0];
            ck_assert(isfinite(pair_record(&f, "vcov", NULL, na, nb)->v[0]));
            ck_assert(isfinite(pair_record(&f, "cov_unscaled", NULL, na, nb)->v[0]));
            for (int t = 0; t < 4; t++)
                ck_assert(isfinite(pair_record(&f, "hc", hc[t], na, nb)->v[0]));
        }

    /* F exists iff a slope is estimable; its DF are rank - intercept and df_residual */
    const rlm_record *fs = rlm_ref_find(&f.ref, "fstatistic", 0, NULL);
    ck_assert_msg((fs != NULL) == (f.rank > (size_t)f.ic), "%s: fstatistic presence", nm);
    if (fs) {
        ck_assert(fs->v[1] == (double)(f.rank - (size_t)f.ic));
        ck_assert(fs->v[2] == scalar(&f, "df_residual"));
        const double pv = scalar(&f, "f_pvalue");
        ck_assert(pv >= 0 && pv <= 1);
    }
    const rlm_record *ll = rlm_ref_find(&f.ref, "loglik", 0, NULL);
    ck_assert(ll != NULL && ll->v[1] == (double)(f.rank + 1));

    /* one diagnostic record per design row; hat and Cook's NA exactly for zero weights */
    static const char *const diag[] = {"hat", "cooks", "resid", "fitted"};
    for (int d = 0; d < 4; d++) {
        ck_assert_uint_eq(rlm_ref_count(&f.ref, diag[d]), f.n);
        for (size_t i = 0; i < f.n; i++) {
            const rlm_record *r = row_record(&f, diag[d], i);
            const int dropped = d < 2 && weight(&f, i) == 0;
            ck_assert_msg(dropped ? r->na[0] : isfinite(r->v[0]), "%s: %s %zu", nm, diag[d], i + 1);
        }
    }
    const rlm_record *q = rlm_ref_find(&f.ref, "resid_quantiles", 0, NULL);
    ck_assert(q != NULL);
    for (int j = 1; j < 5; j++)
        ck_assert(q->v[j - 1] <= q->v[j]);

    /* the two degenerate cases carry R's warning; the others none of it */
    const int degenerate = strcmp(nm, "constant_target") == 0 || strcmp(nm, "perfect_fit") == 0;
    int perfect_warning = 0;
    for (size_t i = 0; i < rlm_ref_count(&f.ref, "warning"); i++)
        perfect_warning |= strstr(rlm_ref_nth(&f.ref, "warning", i)->text, "perfect fit") != NULL;
    ck_assert_msg(perfect_warning == degenerate, "%s: perfect-fit warning %d", nm, perfect_warning);
    unload(&f);
}
END_TEST

/* ------------------------------------------------------------- inference */

START_TEST(inference_identities)
{
    fixture f;
    load(&f, cases[_i]);
    const char *nm = f.name;
    const double u = MGT_U, sigma = scalar(&f, "sigma");

    for (size_t a = 0; a < f.p; a++) {
        if (aliased(&f, a))
            continue;
        const rlm_record *ca = coef(&f, a);
        for (size_t b = 0; b < f.p; b++) {
            if (aliased(&f, b))
                continue;
            const char *la = ca->label[0], *lb = coef(&f, b)->label[0];
            const double v = pair_record(&f, "vcov", NULL, la, lb)->v[0];
            const double cu = pair_record(&f, "cov_unscaled", NULL, la, lb)->v[0];
            /* R: vcov = fl(fl(sigma^2) cu), 2u; the check's sigma * sigma * cu
             * 2u more: 4u < 4 eps */
            ck_assert_msg(fabs(v - sigma * sigma * cu) <= 4 * DBL_EPSILON * fabs(v),
                          "%s: vcov %s %s", nm, la, lb);
        }
        const double est = ca->v[0], se = ca->v[1], t = ca->v[2];
        const double vkk = pair_record(&f, "vcov", NULL, ca->label[0], ca->label[0])->v[0];
        /* R: se = sqrt(fl(cu_kk resvar)), se^2 within 3u of cu_kk resvar;
         * vcov_kk within 4u of it (sigma = sqrt(resvar) rounded, squared,
         * times cu_kk); se * se here u: 8u to first order, 9u with room
         * for the second-order terms */
        ck_assert_msg(fabs(se * se - vkk) <= 9 * u * vkk, "%s: SE^2 %s", nm, ca->label[0]);
        /* t = est / se rounded once in R, once here: 2u, 3u with room */
        ck_assert_msg(fabs(t - est / se) <= 3 * u * fabs(t), "%s: t %s", nm, ca->label[0]);
        /* P(|T| > |t|) falls as |t| grows (same DF): a p-value paired with
         * the wrong t shows as a non-monotone pair (ties allowed: both may
         * round to 0 or 1) */
        for (size_t b = 0; b < f.p; b++) {
            if (aliased(&f, b))
                continue;
            const rlm_record *cb = coef(&f, b);
            if (fabs(ca->v[2]) > fabs(cb->v[2]) * (1 + 8 * u))
                ck_assert_msg(ca->v[3] <= cb->v[3], "%s: p-values of %s, %s", nm, ca->label[0],
                              cb->label[0]);
        }
    }

    /* confint: (hi - lo) / 2 = |qt((1 - level)/2, df)| sqrt(vcov_kk) for
     * every coefficient (R's confint.lm: cf + sqrt(diag(vcov)) %o% qt(a));
     * sqrt(vcov_kk) here is the same correctly rounded sqrt of the same
     * double, so only the half-width's rounding (half_width) and the
     * division (u) separate the ratios of two coefficients. */
    double ratio[2] = {0, 0};
    for (int l = 0; l < 2; l++) {
        double r0 = 0, e0 = 0;
        int have = 0;
        for (size_t k = 0; k < f.p; k++) {
            if (aliased(&f, k))
                continue;
            const char *lab[2] = {l ? "0.99" : "0.95", coef(&f, k)->label[0]};
            const rlm_record *ci = rlm_ref_find(&f.ref, "confint", 2, lab);
            const double ses = sqrt(pair_record(&f, "vcov", NULL, lab[1], lab[1])->v[0]);
            double e;
            const double r = half_width(ci->v[0], ci->v[1], &e) / ses;
            e += u;
            if (!have) {
                r0 = r;
                e0 = e;
                have = 1;
                continue;
            }
            ck_assert_msg(fabs(r - r0) <= (e + e0) * r0, "%s: confint %s %s: %.17g vs %.17g", nm,
                          lab[0], lab[1], r, r0);
        }
        ratio[l] = r0;
    }
    if (f.rank > 0)
        ck_assert_msg(ratio[1] > ratio[0], "%s: 99%% interval not wider than 95%%", nm);

    /* F and R^2 from the same sums: F numdf / dendf = R^2 / (1 - R^2).
     * R: R^2 = mss / (mss + rss) 2u, F = (mss / numdf) / (rss / rdf) 3u;
     * 1 - R^2 carries R^2's 2u error amplified by R^2 / (1 - R^2) <=
     * 1 / (1 - R^2); four operations here: |F - g| <= F u (8 + 2 / (1 - R^2))
     * (no bound when R^2 rounds to 1: perfect_fit). */
    const double r2 = scalar(&f, "r_squared");
    const rlm_record *fs = rlm_ref_find(&f.ref, "fstatistic", 0, NULL);
    if (fs && r2 < 1) {
        const double g = r2 / (1 - r2) * fs->v[2] / fs->v[1];
        ck_assert_msg(fabs(fs->v[0] - g) <= u * fs->v[0] * (8 + 2 / (1 - r2)),
                      "%s: F %.17g vs R^2 %.17g", nm, fs->v[0], g);
    }
    /* adjusted R^2 = 1 - (1 - R^2) (nobs - intercept) / df: R rounds 1 - R^2,
     * the ratio, the product x and 1 - x once each, as does this check:
     * |diff| <= 2 (3u |x| + u |adj|) */
    const double rdf = scalar(&f, "df_residual");
    const double x = (1 - r2) * (((double)f.nobs - f.ic) / rdf), adj = scalar(&f, "adj_r_squared");
    ck_assert_msg(fabs(adj - (1 - x)) <= 2 * (3 * u * fabs(x) + u * fabs(adj)), "%s: adj R^2", nm);

    /* sigma^2 df = sum w e^2 over the residual records.  R: rss a positive
     * sum (gamma_{n+2} with the products), / df and sqrt (2u), squared
     * here and times df (2u): (gamma_{n+2} + 6u) rss. */
    const long double rss = rss_of(&f);
    ck_assert_msg(fabsl(sigma * sigma * rdf - rss) <= (mgt_gamma((double)f.n + 2) + 6 * u) * rss,
                  "%s: sigma^2 df %.17g vs rss %.17Lg", nm, sigma * sigma * rdf, rss);

    /* logLik = (sum log w - N (log 2 pi + 1 - log N + log rss)) / 2 over
     * the N = nobs rows of nonzero weight (R's logLik.lm).  Each term T_i
     * carries the libm's MGT_LIBM_ULP ulp and up to 4 roundings of the
     * sums it enters, and log rss R's gamma_N relative error in rss,
     * absolute after the log, times N: tol = ((L + 4) u + gamma_N) sum |T_i|
     * + N gamma_N. */
    const rlm_record *ll = rlm_ref_find(&f.ref, "loglik", 0, NULL);
    long double slw = 0, aslw = 0;
    for (size_t i = 0; i < f.n; i++)
        if (weight(&f, i) != 0) {
            slw += logl(weight(&f, i));
            aslw += fabsl(logl(weight(&f, i)));
        }
    const long double N = (long double)f.nobs, l2pi = logl(2 * acosl(-1.0L));
    const long double L = (slw - N * (l2pi + 1 - logl(N) + logl(rss))) / 2;
    const long double T = aslw + N * (l2pi + 1 + logl(N) + fabsl(logl(rss)));
    const double gN = mgt_gamma((double)f.nobs);
    ck_assert_msg(fabsl(ll->v[0] - L) <= ((MGT_LIBM_ULP + 4) * u + gN) * T + N * gN,
                  "%s: logLik %.17g vs %.17Lg", nm, ll->v[0], L);
    /* AIC = -2 logLik + 2 df, BIC = -2 logLik + log(nobs) df: one product,
     * one sum (and BIC's log) in R, the same here. */
    const double df = ll->v[1], aic = scalar(&f, "aic"), bic = scalar(&f, "bic");
    const double lnn = log((double)f.nobs);
    ck_assert_msg(fabs(aic - (-2 * ll->v[0] + 2 * df)) <= 4 * u * (fabs(2 * ll->v[0]) + 2 * df + fabs(aic)),
                  "%s: AIC", nm);
    ck_assert_msg(fabs(bic - (-2 * ll->v[0] + lnn * df))
                      <= (2 * MGT_LIBM_ULP + 4) * u * (fabs(2 * ll->v[0]) + lnn * df + fabs(bic)),
                  "%s: BIC", nm);
    unload(&f);
}
END_TEST

/* --------------------------------------------------------- diagnostics */

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

START_TEST(diagnostics_identities)
{
    fixture f;
    load(&f, cases[_i]);
    const char *nm = f.name;
    const double u = MGT_U;
    const double rdf = scalar(&f, "df_residual");
    const long double rss = rss_of(&f);

    double *wr = malloc(f.n * sizeof *wr);
    ck_assert(wr != NULL);
    long double hsum = 0;
    for (size_t i = 0; i < f.n; i++) {
        const double y = rlm_table_get(&f.des, i, f.ycol), w = weight(&f, i);
        const double e = row_record(&f, "resid", i)->v[0], fit = row_record(&f, "fitted", i)->v[0];
        /* R: fitted = fl(y - e) (lm.fit, lm.wfit), or e = fl(y - fitted)
         * for a zero-weight row: one rounding, u (|e| + |fitted|); twice
         * that for this long-double check */
        ck_assert_msg(fabsl((long double)y - fit - e) <= 2 * u * (fabs(e) + fabs(fit)),
                      "%s: row %zu: y %.17g, fitted + resid %.17g", nm, i + 1, y, fit + e);
        /* summary.lm's residuals sqrt(w) e: the same two correctly rounded
         * operations as R, so the same doubles */
        wr[i] = sqrt(w) * e;
        if (w == 0)
            continue;
        const double h = row_record(&f, "hat", i)->v[0];
        hsum += h;
        ck_assert_msg(h >= 0 && h <= 1, "%s: hat %zu = %.17g", nm, i + 1, h);
        /* Cook's D = (sqrt(w) e / (sd (1 - h)))^2 h / rank with sd^2 =
         * deviance / df (cooks.distance.lm).  R's deviance is rss to
         * gamma_n; the other operations round once each (about 17u after
         * squaring): (20u + 2 gamma_n) D. */
        const double D = row_record(&f, "cooks", i)->v[0];
        const long double sd = sqrtl(rss / rdf);
        const long double z = wr[i] / (sd * (1 - h));
        const long double Dc = z * z * h / (long double)f.rank;
        const double gn = mgt_gamma((double)f.n);
        ck_assert_msg(fabsl(D - Dc) <= (20 * u + 2 * gn) * Dc, "%s: Cook %zu: %.17g vs %.17Lg", nm,
                      i + 1, D, Dc);
    }
    /* trace of the hat matrix = rank.  R: hat_i = ||Q1^T e_i||^2 with Q1
     * from rank Householder reflectors, orthonormal columns to within
     * gamma_{8 n rank} each (Higham, ASNA, Lemma 19.3, c = 8), so
     * ||Q1||_F^2 within 2 rank gamma_{8 n rank}; the sums of squares add
     * rank gamma_n; R rounds hat > 1 - 10 eps up to 1: 10 eps a row. */
    const double tol = 2 * f.rank * mgt_gamma(8.0 * f.n * f.rank) + f.rank * mgt_gamma((double)f.n)
                       + 20 * u * f.n;
    ck_assert_msg(fabsl(hsum - f.rank) <= tol, "%s: trace(H) = %.17Lg, rank %zu", nm, hsum, f.rank);

    /* residual quantiles as summary.lm prints them: quantile() type 7 of
     * sqrt(w) e over all rows (zero-weight rows give 0).  Min and max are
     * data; the interpolation (1 - h) a + h b rounds 3 times in R, 3 here. */
    qsort(wr, f.n, sizeof *wr, cmp_double);
    const rlm_record *q = rlm_ref_find(&f.ref, "resid_quantiles", 0, NULL);
    for (int j = 0; j < 5; j++) {
        const double idx = (double)(f.n - 1) * (0.25 * j);
        const size_t lo = (size_t)floor(idx), hi = (size_t)ceil(idx);
        const double h = idx - (double)lo;
        const double qc = (1 - h) * wr[lo] + h * wr[hi];
        ck_assert_msg(fabs(q->v[j] - qc) <= 6 * u * (fabs(wr[lo]) + fabs(wr[hi])),
                      "%s: quantile %d: %.17g vs %.17g", nm, j, q->v[j], qc);
    }
    free(wr);
    unload(&f);
}
END_TEST

/* --------------------------------------------------------- predictions */

START_TEST(prediction_identities)
{
    fixture f;
    load(&f, cases[_i]);
    if (!f.has_new) {
        unload(&f);
        return;
    }
    const char *nm = f.name;
    const double u = MGT_U, sigma = scalar(&f, "sigma");
    ck_assert_uint_eq(f.nd.cols, f.nx);
    for (size_t j = 0; j < f.nx; j++)
        ck_assert_str_eq(f.nd.names[j], f.des.names[j]);
    ck_assert_uint_eq(rlm_ref_count(&f.ref, "predict"), f.nd.rows);

    /* the 95% confint ratio (hi - lo) / (2 SE) of the first estimable
     * coefficient: |qt(0.025, df)|, R's qt computing both tails from the
     * same P = 2 min(p, 1 - p) */
    size_t k0 = 0;
    while (aliased(&f, k0))
        k0++;
    const char *lab[2] = {"0.95", coef(&f, k0)->label[0]};
    const rlm_record *ci = rlm_ref_find(&f.ref, "confint", 2, lab);
    double eq;
    const double qt = half_width(ci->v[0], ci->v[1], &eq)
                      / sqrt(pair_record(&f, "vcov", NULL, lab[1], lab[1])->v[0]);
    eq += u;

    for (size_t i = 0; i < f.nd.rows; i++) {
        const rlm_record *r = row_record(&f, "predict", i);
        /* fit = x^T b over the estimable coefficients (predict.lm drops the
         * aliased ones): R's dot product of p terms, any order: gamma_p */
        long double fit = 0, mag = 0;
        for (size_t k = 0; k < f.p; k++) {
            if (aliased(&f, k))
                continue;
            const double xk = f.ic && k == 0 ? 1.0 : rlm_table_get(&f.nd, i, k - (size_t)f.ic);
            fit += xk * coef(&f, k)->v[0];
            mag += fabsl(xk * coef(&f, k)->v[0]);
        }
        ck_assert_msg(fabsl(r->v[0] - fit) <= mgt_gamma((double)f.p) * mag + u * fabs(r->v[0]),
                      "%s: predict %zu: %.17g vs x'b %.17Lg", nm, i + 1, r->v[0], fit);
        const double se = r->v[1];
        ck_assert(se > 0);
        /* confidence: half-width = |qt| se, the same quantile as confint */
        double ec, ep;
        const double hc = half_width(r->v[2], r->v[3], &ec);
        ck_assert_msg(fabs(hc / se - qt) <= (ec + u + eq) * qt, "%s: predict %zu conf: %.17g vs %.17g",
                      nm, i + 1, hc / se, qt);
        /* prediction: half-width = |qt| sqrt(se^2 + resvar), resvar within
         * 3u of sigma^2: (hp / hc)^2 = 1 + sigma^2 / se^2 to 2 (ec + ep) for
         * the half-widths, 3u for resvar, sqrt and squares 4u, 4 ops here */
        const double hp = half_width(r->v[4], r->v[5], &ep);
        const double lhs = (hp / hc) * (hp / hc), rhs = 1 + (sigma / se) * (sigma / se);
        ck_assert_msg(fabs(lhs - rhs) <= (2 * (ec + ep) + 11 * u) * rhs,
                      "%s: predict %zu pred: %.17g vs %.17g", nm, i + 1, lhs, rhs);
    }
    unload(&f);
}
END_TEST

/* ------------------------------------------------------- exact answers */

/* R's coefficients against the 80-digit answer of the same design
 * (<case>_exact.txt, scripts/ref_lm_exact.py).  R solves by Householder QR
 * (LINPACK dqrdc2) on the rows scaled by sqrt(w) (one rounding an entry):
 * a normwise backward error eps_b = C_B rank u + u with C_B = 4, the
 * realistic constant of Higham, ASNA, Thm 20.3 that tests/test_lstsq.c
 * states for the library's own QR, so the computed coefficients are within
 * mgt_lstsq_fwd_bound(eps_b, kappa, ||r||, ||Z||, ||b||) ||b|| of the
 * exact ones, kappa from the exact singular values of the scaled design
 * Z (mgt_svals).  A file paired with another case's design, columns out of
 * order or a wrong weighting miss by O(||b||). */
enum { C_B = 4 };

START_TEST(r_within_bound_of_exact)
{
    fixture f;
    load(&f, cases[_i]);
    const char *nm = f.name;
    char rel[256], err[512];
    rlm_ref ex;
    snprintf(rel, sizeof rel, "r/lm/%s_exact.txt", nm);
    ck_assert_msg(rlm_ref_load(mgt_data_path(rel), &ex, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(rlm_ref_count(&ex, "coef_exact"), f.p);

    mgt_mat Z = mgt_alloc(f.nobs, f.rank, 0);
    long double dn = 0, bn = 0;
    size_t col = 0;
    for (size_t k = 0; k < f.p; k++) {
        const rlm_record *e = rlm_ref_nth(&ex, "coef_exact", k);
        ck_assert_str_eq(e->label[0], coef(&f, k)->label[0]);
        ck_assert_int_eq(e->na[0], aliased(&f, k));
        if (aliased(&f, k))
            continue;
        const long double d = (long double)coef(&f, k)->v[0] - e->v[0];
        dn += d * d;
        bn += (long double)e->v[0] * e->v[0];
        for (size_t i = 0, r = 0; i < f.n; i++) {
            const double w = weight(&f, i);
            if (w == 0)
                continue;
            const double x = f.ic && k == 0 ? 1.0 : rlm_table_get(&f.des, i, k - (size_t)f.ic);
            Z.v.data[r++ * Z.v.stride + col] = (double)(sqrtl(w) * x);
        }
        col++;
    }
    double smax, smin;
    mgt_svals(&Z.v, 0, &smax, &smin);
    mgt_free(&Z);
    const double rn = scalar(&f, "sigma") * sqrt(scalar(&f, "df_residual"));
    const double eps_b = (C_B * (double)f.rank + 1) * MGT_U;
    const double bound = mgt_lstsq_fwd_bound(eps_b, smax / smin, rn, smax, (double)sqrtl(bn))
                         * (double)sqrtl(bn);
    ck_assert_msg((double)sqrtl(dn) <= bound, "%s: ||b_R - b_exact|| %.3g > bound %.3g", nm,
                  (double)sqrtl(dn), bound);
    rlm_ref_free(&ex);
    unload(&f);
}
END_TEST

/* ------------------------------------------------------- CSV vs design */

/* Splits an R write.csv / write.table line in place at sep, removing the
 * quotes around a field (R's files here quote no separator). */
static size_t split_r_line(char *line, char sep, char **field, size_t max)
{
    size_t n = 0;
    line[strcspn(line, "\r\n")] = '\0';
    for (char *p = line;;) {
        char *end = strchr(p, sep);
        if (end)
            *end = '\0';
        const size_t len = strlen(p);
        if (len >= 2 && p[0] == '"' && p[len - 1] == '"') {
            p[len - 1] = '\0';
            p++;
        }
        ck_assert_uint_lt(n, max);
        field[n++] = p;
        if (!end)
            return n;
        p = end + 1;
    }
}

/* Every cell of <file> read as the command would (strtod of the text) is
 * the design's double, row for row after dropping rows with an NA; a text
 * column is the 0/1 columns <name><level> of R's treatment coding.  The
 * files' first header field is "", followed by the separator. */
static void check_csv(const fixture *f, const char *suffix, const rlm_table *des,
                      size_t want_deleted)
{
    char rel[256];
    snprintf(rel, sizeof rel, "r/lm/%s%s", f->name, suffix);
    FILE *in = fopen(mgt_data_path(rel), "r");
    ck_assert_msg(in != NULL, "cannot open %s", rel);
    enum { MAXF = 32 };
    char head[4096], line[4096], *hf[MAXF], *df[MAXF];
    ck_assert(fgets(head, sizeof head, in) && strchr(head, '\n'));
    ck_assert(strncmp(head, "\"\"", 2) == 0);
    const char sep = head[2];
    const size_t nh = split_r_line(head, sep, hf, MAXF);
    size_t row = 0, deleted = 0, matched = 0;
    while (fgets(line, sizeof line, in)) {
        ck_assert(strchr(line, '\n') != NULL);
        ck_assert_uint_eq(split_r_line(line, sep, df, MAXF), nh);
        int na = 0;
        for (size_t j = 1; j < nh; j++)
            na |= strcmp(df[j], "NA") == 0;
        if (na) {
            deleted++;
            continue;
        }
        ck_assert_uint_lt(row, des->rows);
        for (size_t j = 1; j < nh; j++) {
            char *end;
            const double v = strtod(df[j], &end);
            const long c = rlm_table_col(des, hf[j]);
            if (*df[j] != '\0' && *end == '\0') {
                if (c >= 0) {
                    ck_assert_msg(rlm_table_get(des, row, (size_t)c) == v, "%s: row %zu %s: %s vs %.17g",
                                  rel, row + 1, hf[j], df[j], rlm_table_get(des, row, (size_t)c));
                    matched++;
                }
                continue;
            }
            /* a factor: each dummy <name><level> is 1 exactly on its level */
            const size_t len = strlen(hf[j]);
            for (size_t k = 0; k < des->cols; k++) {
                if (strncmp(des->names[k], hf[j], len) != 0)
                    continue;
                const double want = strcmp(des->names[k] + len, df[j]) == 0;
                ck_assert_msg(rlm_table_get(des, row, k) == want, "%s: row %zu %s", rel, row + 1,
                              des->names[k]);
                matched++;
            }
        }
        row++;
    }
    fclose(in);
    ck_assert_msg(row == des->rows, "%s: %zu complete rows, design %zu", rel, row, des->rows);
    ck_assert_msg(deleted == want_deleted, "%s: %zu rows with NA, R deleted %zu", rel, deleted,
                  want_deleted);
    /* every design cell was matched by one CSV cell */
    ck_assert_msg(matched == des->rows * des->cols, "%s: %zu of %zu design cells from the CSV", rel,
                  matched, des->rows * des->cols);
}

START_TEST(csv_reads_as_design)
{
    fixture f;
    load(&f, cases[_i]);
    check_csv(&f, ".csv", &f.des, count_value(&f, "deleted"));
    if (f.has_new)
        check_csv(&f, "_new.csv", &f.nd, 0);
    unload(&f);
}
END_TEST

/* ------------------------------------------------------------- loader */

/* Writes text to a fresh temporary file; returns its path (static). */
static const char *temp_file(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/rlm_ref_XXXXXX");
    const int fd = mkstemp(path);
    ck_assert(fd >= 0);
    FILE *f = fdopen(fd, "w");
    ck_assert(f != NULL);
    ck_assert(fputs(text, f) >= 0);
    ck_assert(fclose(f) == 0);
    return path;
}

/* A file that drifts from the format fails to load, with a message,
 * instead of being half read; a well-formed one reads exactly. */
START_TEST(loader_rejects_malformed)
{
    static const char *const bad_ref[] = {
        "sigma 1\nsigmas 2\n",          /* unknown key */
        "coef (Intercept) 1 2 3\n",      /* coef needs 4 numbers */
        "confint 0.95 x 1\n",            /* one bound */
        "rank two\n",                    /* not a number */
        "hat 1 0.5x\n",                  /* trailing garbage */
        "vcov a\n",                      /* labels only */
    };
    static const char *const bad_table[] = {
        "a,b\n1,2\n3\n",               /* ragged */
        "a,b\n1,NA\n",                  /* NA in a plain table */
        "a,b\n1,2\n\n3,4\n",            /* blank line inside */
        "a\n1e400\n",                   /* overflow */
    };
    char err[256];
    for (size_t i = 0; i < sizeof bad_ref / sizeof bad_ref[0]; i++) {
        const char *path = temp_file(bad_ref[i]);
        rlm_ref r;
        err[0] = '\0';
        ck_assert_msg(rlm_ref_load(path, &r, err, sizeof err) != 0, "accepted: %s", bad_ref[i]);
        ck_assert(err[0] != '\0');
        remove(path);
    }
    for (size_t i = 0; i < sizeof bad_table / sizeof bad_table[0]; i++) {
        const char *path = temp_file(bad_table[i]);
        rlm_table t;
        err[0] = '\0';
        ck_assert_msg(rlm_table_load(path, &t, err, sizeof err) != 0, "accepted: %s", bad_table[i]);
        ck_assert(err[0] != '\0');
        remove(path);
    }
    rlm_ref r;
    ck_assert(rlm_ref_load("/nonexistent/rlm_ref.txt", &r, err, sizeof err) != 0);

    const char *path = temp_file("# comment\n\nconfint 0.95 (Intercept) -1.5 NA\n"
                                 "warning essentially perfect fit: x\nsigma NaN\n");
    ck_assert_int_eq(rlm_ref_load(path, &r, err, sizeof err), 0);
    remove(path);
    ck_assert_uint_eq(r.nrec, 3);
    const char *lab[2] = {"0.95", "(Intercept)"};
    const rlm_record *c = rlm_ref_find(&r, "confint", 2, lab);
    ck_assert(c != NULL && c->nv == 2 && c->v[0] == -1.5 && !c->na[0] && c->na[1] && isnan(c->v[1]));
    ck_assert(c->line == 3);
    ck_assert_str_eq(rlm_ref_nth(&r, "warning", 0)->text, "essentially perfect fit: x");
    ck_assert(isnan(rlm_ref_scalar(&r, "sigma")) && !rlm_ref_find(&r, "sigma", 0, NULL)->na[0]);
    ck_assert(isnan(rlm_ref_scalar(&r, "rank")));
    rlm_ref_free(&r);

    path = temp_file("x,\"y\"\r\n0.1,-2\r\n3,4e-300\r\n");
    rlm_table t;
    ck_assert_int_eq(rlm_table_load(path, &t, err, sizeof err), 0);
    remove(path);
    ck_assert(t.rows == 2 && t.cols == 2 && rlm_table_col(&t, "y") == 1 && rlm_table_col(&t, "z") == -1);
    ck_assert(rlm_table_get(&t, 0, 0) == 0.1 && rlm_table_get(&t, 1, 1) == 4e-300);
    rlm_table_free(&t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rlm_ref");
    TCase *tc = tcase_create("r_lm");
    tcase_add_test(tc, loader_rejects_malformed);
    tcase_add_loop_test(tc, csv_reads_as_design, 0, NCASES);
    tcase_add_loop_test(tc, records_match_design, 0, NCASES);
    tcase_add_loop_test(tc, inference_identities, 0, NCASES);
    tcase_add_loop_test(tc, diagnostics_identities, 0, NCASES);
    tcase_add_loop_test(tc, prediction_identities, 0, NCASES);
    tcase_add_loop_test(tc, r_within_bound_of_exact, 0, NCASES);
    suite_add_tcase(s, tc);
    return mgt_run(s);
}
