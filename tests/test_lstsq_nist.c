/* SPDX-License-Identifier: BSD-3-Clause */
/* lstsq on the NIST StRD linear least-squares suite: all eleven datasets
 * (tests/data/nist), default options.
 *
 * The yardstick is the exact least-squares solution of the same double data
 * (tests/ref/ref_lstsq.c, rational arithmetic): the certified values are
 * for the decimal data, so even an exact solve only reaches an LRE of
 * "ceiling" against them (Filip: about 7.6).  Each figure is checked twice:
 *   - against the exact solve of the double data, within the bounds of a
 *     refined solution derived from the design's exact condition number
 *     (ref_check_lstsq; they fail any unrefined solver on Filip, Longley
 *     or Wampler, which lose 5 to 14 digits);
 *   - against the certified value, by the triangle inequality: at most the
 *     exact solve's own distance from it (the ceiling) plus that bound. */
#include "mgtest.h"
#include "ref_lstsq.h"

#include <math.h>
#include <stdio.h>

typedef struct dataset { const char *name; } dataset;
static const dataset SETS[] = {
    { "Norris" },    { "NoInt1" },   { "NoInt2" },   { "Longley" },
    { "Wampler1" },  { "Pontius" },  { "Wampler2" }, { "Wampler3" },
    { "Wampler4" },  { "Wampler5" }, { "Filip" },
};
enum { NSETS = sizeof SETS / sizeof SETS[0] };

static nist_set S;

static void load(size_t i)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/nist/%s.txt", MG_DATA_DIR, SETS[i].name);
    ck_assert_msg(nist_load(path, &S) == 0, "cannot load %s", path);
}

START_TEST(nist_dataset)
{
    load((size_t)_i);
    double bh[NIST_MAXP], bl[NIST_MAXP], cov[NIST_MAXP];
    ref_lstsq ref = { bh, bl, cov, 0.0, S.intercept, 0.0 };
    ck_assert_int_eq(ref_lstsq_exact(S.Z, S.p, S.N, S.p, S.y, 1, &ref), 0);

    mg_matrix X = mg_matrix_view(S.X, S.N, S.nx), Y = mg_matrix_view(S.y, S.N, 1);
    double B[NIST_MAXP], se[NIST_MAXP], rsd = -1.0, r2 = -1.0, ar2 = -1.0;
    mg_matrix Bv = mg_matrix_view(B, S.p, 1), Sv = mg_matrix_view(se, S.p, 1);
    mg_lstsq_options o = mg_lstsq_defaults();
    o.intercept = S.intercept;
    mg_lstsq_result res = { 0 };
    res.std_err = &Sv;
    res.residual_sd = &rsd;
    res.r_squared = &r2;
    res.adj_r_squared = &ar2;
    ck_assert_int_eq(mg_lstsq(&X, &Y, &Bv, &o, &res), MG_OK);
    ck_assert_uint_eq(res.rank, S.p);
    ck_assert_uint_eq(res.df_residual, S.N - S.p);

    const double df = (double)(S.N - S.p);
    const double rsd_x = sqrt(ref.rss / df), r2_x = ref.r_squared;
    double lre_b = 15, ceil_b = 15, ex_b = 15, lre_sd = 15, ceil_sd = 15, ex_sd = 15;
    for (size_t j = 0; j < S.p; j++) {
        const double sd_x = sqrt(ref.rss / df * cov[j]);
        lre_b = fmin(lre_b, ref_lre(B[j], S.beta[j], 0.0));
        ceil_b = fmin(ceil_b, ref_lre(bh[j] + bl[j], S.beta[j], 0.0));
        ex_b = fmin(ex_b, ref_lre(B[j], bh[j], bl[j]));
        lre_sd = fmin(lre_sd, ref_lre(se[j], S.sd[j], 0.0));
        ceil_sd = fmin(ceil_sd, ref_lre(sd_x, S.sd[j], 0.0));
        if (S.sd[j] != 0.0)
            ex_sd = fmin(ex_sd, ref_lre(se[j], sd_x, 0.0));
    }
    const double lre_rsd = ref_lre(rsd, S.residual_sd, 0.0);
    const double ceil_rsd = ref_lre(rsd_x, S.residual_sd, 0.0);
    const double lre_r2 = ref_lre(r2, S.r_squared, 0.0), ceil_r2 = ref_lre(r2_x, S.r_squared, 0.0);
    printf("%-9s beta %5.2f (ceiling %5.2f, vs exact %5.2f)  sd %5.2f (%5.2f, %5.2f)  "
           "residual sd %5.2f (%5.2f)  R^2 %5.2f (%5.2f)  steps %zu\n",
           S.name, lre_b, ceil_b, ex_b, lre_sd, ceil_sd, ex_sd, lre_rsd, ceil_rsd, lre_r2,
           ceil_r2, res.refine_steps);

    /* against the exact solve, every statistic, derived bounds */
    const lstsq_lre l = ref_check_lstsq(&X, S.intercept, &Y, MG_LSTSQ_AUTO, S.p);
    /* against the certified values: |ours - cert| <= |exact - cert| + |ours - exact| */
    double xmax = 0.0;
    for (size_t j = 0; j < S.p; j++)
        xmax = fmax(xmax, fabs(bh[j]));
    for (size_t j = 0; j < S.p; j++) {
        const double x = bh[j] + bl[j], sd_x = sqrt(ref.rss / df * cov[j]);
        ck_assert_double_le(fabs(B[j] - S.beta[j]),
                            fabs(x - S.beta[j]) + l.tol_b * xmax * (1.0 + MGT_U) + MGT_U * fabs(x));
        const double se_err = ref.rss > 0.0 ? l.tol_se * sd_x : l.rsd_abs * sqrt(cov[j]);
        ck_assert_double_le(fabs(se[j] - S.sd[j]), fabs(sd_x - S.sd[j]) + se_err * (1.0 + MGT_U));
    }
    const double rsd_err = ref.rss > 0.0 ? l.tol_rsd * rsd_x : l.rsd_abs;
    ck_assert_double_le(fabs(rsd - S.residual_sd), fabs(rsd_x - S.residual_sd) + rsd_err * (1.0 + MGT_U));
    ck_assert_double_le(fabs(r2 - S.r_squared), fabs(r2_x - S.r_squared) + l.tol_r2 + 2.0 * MGT_U);
    /* adjusted R^2 = 1 - (1 - R^2) (N - c) / (N - p), c = 1 with an
     * intercept (not certified by NIST: against the exact solution); R^2's
     * error times (N - c) / (N - p), plus three roundings */
    const double dft = (double)(S.N - (size_t)S.intercept);
    const double ar2_x = 1.0 - (1.0 - r2_x) * dft / df;
    ck_assert_double_le(fabs(ar2 - ar2_x), (l.tol_r2 + 2.0 * MGT_U) * dft / df + 3.0 * MGT_U * fmax(1.0, fabs(ar2_x)));
}
END_TEST

/* The first five with the ceilings stated in tests/data/nist/README.md
 * (what an 80-digit solve reaches), as fixed numbers: guards against the
 * reference and the library drifting together.  With coefficients within
 * rb of the exact ones (normwise, ref_refined_bound; Norris to Wampler1 have
 * p <= 7, rb <= 1.0e-14 relative) and the exact ones at 10^-CEIL of the
 * certified ones, each coefficient is within 10^-CEIL |beta_j| +
 * rb max|beta| of its certified value. */
START_TEST(nist_stated_ceilings)
{
    static const double CEIL[] = { 14.1, 14.7, 15.0, 14.6, 15.0 };
    load((size_t)_i);
    mg_matrix X = mg_matrix_view(S.X, S.N, S.nx), Y = mg_matrix_view(S.y, S.N, 1);
    double B[NIST_MAXP];
    mg_matrix Bv = mg_matrix_view(B, S.p, 1);
    mg_lstsq_options o = mg_lstsq_defaults();
    o.intercept = S.intercept;
    ck_assert_int_eq(mg_lstsq(&X, &Y, &Bv, &o, NULL), MG_OK);
    const double rb = ref_refined_bound(&X, S.intercept, 0, NULL);
    double bmax = 0.0;
    for (size_t j = 0; j < S.p; j++)
        bmax = fmax(bmax, fabs(S.beta[j]));
    /* CEIL is rounded to 0.1 digit: 10^-(CEIL - 0.05) covers it */
    for (size_t j = 0; j < S.p; j++)
        ck_assert_double_le(fabs(B[j] - S.beta[j]),
                            pow(10.0, -(CEIL[_i] - 0.05)) * fabs(S.beta[j]) + rb * bmax * (1.0 + 1e-6));
}
END_TEST

/* Without the intercept option: the ones column passed explicitly, opt =
 * NULL.  The same digits, and R^2 still centered (a constant column). */
START_TEST(nist_explicit_ones_column)
{
    load((size_t)_i);
    if (!S.intercept)
        return;
    mg_matrix Z = mg_matrix_view(S.Z, S.N, S.p), Y = mg_matrix_view(S.y, S.N, 1);
    double B[NIST_MAXP], r2 = -1.0, bh[NIST_MAXP], bl[NIST_MAXP], cov[NIST_MAXP];
    ref_lstsq ref = { bh, bl, cov, 0.0, 1, 0.0 };
    mg_matrix Bv = mg_matrix_view(B, S.p, 1);
    mg_lstsq_result res = { 0 };
    res.r_squared = &r2;
    ck_assert_int_eq(ref_lstsq_exact(S.Z, S.p, S.N, S.p, S.y, 1, &ref), 0);
    ck_assert_int_eq(mg_lstsq(&Z, &Y, &Bv, NULL, &res), MG_OK);
    /* every statistic with the default options, derived bounds (R^2
     * centered: ref_check_lstsq sees the constant column) */
    const lstsq_lre l = ref_check_lstsq(&Z, 0, &Y, MG_LSTSQ_AUTO, S.p);
    /* opt = NULL is the defaults: the same bounds */
    double err = 0.0, xmax = 0.0;
    for (size_t j = 0; j < S.p; j++) {
        err = fmax(err, fabs(B[j] - (bh[j] + bl[j])));
        xmax = fmax(xmax, fabs(bh[j]));
    }
    ck_assert_double_le(err, l.tol_b * xmax * (1.0 + MGT_U));
    ck_assert_double_le(fabs(r2 - ref.r_squared), l.tol_r2);
}
END_TEST

/* The pivoted-QR refinement path (Householder vectors and tau rather than
 * stored block factors), on designs where the condition estimate cannot
 * prove full rank.  The tolerance is derived from the exact condition
 * kappa_2 of the design as the library factors it (columns scaled by the
 * powers of two that bring each column's largest entry into [1/2, 1)):
 *   - full rank is kept: for any triangular R, |R_ii| >= sigma_min(R) and
 *     |R_11| <= sigma_max(R), so |R_ii| / |R_11| >= 1 / kappa_2 for every
 *     column order, and the computed R is that of Z + dZ with ||dZ|| <=
 *     eps_b ||Z|| (kappa_2 eps_b <= 1e-4 here): tol = 1 / (2 kappa_2)
 *     leaves a factor 2 for that and for nothing else;
 *   - the estimate cannot prove full rank: the library pivots unless
 *     rcond >= 10 p tol = 5 p / kappa_2.  dtrcon's estimate is
 *     1 / (||R||_1 est||R^-1||_1) with est a lower bound of the norm, low by
 *     a factor e (rarely above 3, Higham ASNA Sec. 15.3), and
 *     kappa_1 >= kappa_2 / p, so rcond <= e p / kappa_2 < 5 p / kappa_2 for
 *     any e < 5.
 * Both hold on any machine: they follow from kappa_2, which is exact. */
START_TEST(nist_pivoted_path)
{
    static const size_t SET[] = { 10, 9, 3, 6 };
    load(SET[_i]);
    double bh[NIST_MAXP], bl[NIST_MAXP], cov[NIST_MAXP], B[NIST_MAXP], Zs[NIST_MAXN * NIST_MAXP];
    ref_lstsq ref = { bh, bl, cov, 0.0, 0, 0.0 };
    ck_assert_int_eq(ref_lstsq_exact(S.Z, S.p, S.N, S.p, S.y, 1, &ref), 0);
    /* the equilibrated design and its exact condition number */
    for (size_t j = 0; j < S.p; j++) {
        double mx = 0.0;
        int e = 0;
        for (size_t i = 0; i < S.N; i++)
            mx = fmax(mx, fabs(S.Z[i * S.p + j]));
        (void)frexp(mx, &e);
        for (size_t i = 0; i < S.N; i++)
            Zs[i * S.p + j] = ldexp(S.Z[i * S.p + j], -e);
    }
    double smax, smin;
    mg_matrix Zv = mg_matrix_view(Zs, S.N, S.p);
    mgt_svals(&Zv, 0, &smax, &smin);
    const double kappa = smax / smin;
    mg_matrix X = mg_matrix_view(S.X, S.N, S.nx), Y = mg_matrix_view(S.y, S.N, 1);
    mg_matrix Bv = mg_matrix_view(B, S.p, 1);
    mg_lstsq_options o = mg_lstsq_defaults();
    o.intercept = S.intercept;
    o.rank_tol = 1.0 / (2.0 * kappa);
    mg_lstsq_result res = { 0 };
    ck_assert_int_eq(mg_lstsq(&X, &Y, &Bv, &o, &res), MG_OK);
    printf("%-9s pivoted path: kappa_2 %.3g  rank_tol %.3g  rcond %.3g (pivots below %.3g)\n",
           S.name, kappa, o.rank_tol, res.rcond, 10.0 * (double)S.p * o.rank_tol);
    ck_assert_uint_eq(res.rank, S.p);
    ck_assert_int_eq(res.method, MG_LSTSQ_QR);
    ck_assert_double_lt(res.rcond, 10.0 * (double)S.p * o.rank_tol);
    /* within the refined bound of the exact solution, normwise */
    const double rb = ref_refined_bound(&X, S.intercept, 0, NULL);
    double err = 0.0, xmax = 0.0;
    for (size_t j = 0; j < S.p; j++) {
        err = fmax(err, fabs(B[j] - (bh[j] + bl[j])));
        xmax = fmax(xmax, fabs(bh[j]));
    }
    ck_assert_double_le(err, rb * xmax * (1.0 + MGT_U));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lstsq_nist");
    TCase *tc = tcase_create("nist");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, nist_dataset, 0, NSETS);
    tcase_add_loop_test(tc, nist_stated_ceilings, 0, 5);
    tcase_add_loop_test(tc, nist_explicit_ones_column, 0, NSETS);
    tcase_add_loop_test(tc, nist_pivoted_path, 0, 4);
    suite_add_tcase(s, tc);
    return mgt_run(s);
}
