/* SPDX-License-Identifier: BSD-3-Clause */
/* lstsq: the automatic choice on big designs (N p^2 >= 1e7).  A
 * well-conditioned design takes the Cholesky path with semi-normal
 * refinement; a near-collinear one must fall back to QR.  Both are compared
 * with another refined solution: each is within the limiting accuracy of
 * refinement (ref_refined_bound, which asserts the contraction condition
 * from the design's exact kappa), so they differ by at most twice it.  The
 * statistics (compare()):
 *   - standard errors come from the unrefined factor: sqrt of a diagonal
 *     entry of (Z^T Z)^-1, relative error kappa^2 eps_b / 2 on the Cholesky
 *     path (the Gram matrix's condition) and kappa eps_b from a QR or SVD
 *     factor, plus residual sd's error;
 *   - residual sd = ||r|| / sqrt(df): the refined r moves by at most
 *     ||Z|| ||dx|| plus its double-double evaluation (negligible), relative
 *     to ||r|| (eps_b as in ref_lstsq.h);
 *   - R^2 = 1 - RSS / TSS moves by 2 (RSS / TSS) times rsd's relative
 *     error, plus two roundings. */
#include "mgtest.h"
#include "ref_lstsq.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

enum { N = 40000, NX = 15, K = 3 };

typedef struct fit { mgt_mat B, SE; double rsd[K], r2[K]; mg_lstsq_result res; } fit;

static void run(const mg_matrix *X, const mg_matrix *Y, mg_lstsq_method m, fit *f)
{
    f->B = mgt_alloc(NX + 1, K, 1);
    f->SE = mgt_alloc(NX + 1, K, 0);
    mg_lstsq_options o = mg_lstsq_defaults();
    o.intercept = 1;
    o.method = m;
    f->res = (mg_lstsq_result){ 0 };
    f->res.std_err = &f->SE.v;
    f->res.residual_sd = f->rsd;
    f->res.r_squared = f->r2;
    ck_assert_int_eq(mg_lstsq(X, Y, &f->B.v, &o, &f->res), MG_OK);
    ck_assert(mgt_padding_intact(&f->B));
}

/* X, Y: the data; a was fitted on the normal equations (Cholesky) or not. */
static void compare(const mg_matrix *X, const fit *a, int a_normal, const fit *b)
{
    enum { P = NX + 1 };
    double kappa;
    const double rb = ref_refined_bound(X, 1, a_normal, &kappa), eps_b = REF_C_B * P * MGT_U;
    ck_assert_double_le(mgt_rel_err(&a->B.v, &b->B.v), 2.0 * rb);
    double smax, smin;
    mgt_svals(X, 1, &smax, &smin);
    for (size_t c = 0; c < K; c++) {
        const double bn = mgt_col_norm2(&b->B.v, c), rn = b->rsd[c] * sqrt((double)(N - P));
        /* ||dx|| <= sqrt(p) (2 rb) max|x| <= sqrt(p) 2 rb ||x|| */
        const double rsd_rel = smax * sqrt((double)P) * 2.0 * rb * bn / rn + 2.0 * MGT_U;
        ck_assert_double_le(fabs(a->rsd[c] - b->rsd[c]), rsd_rel * b->rsd[c]);
        const double tss_ratio = (1.0 - b->r2[c]); /* RSS / TSS */
        ck_assert_double_le(fabs(a->r2[c] - b->r2[c]), 2.0 * tss_ratio * rsd_rel + 2.0 * MGT_U);
        const double se_rel = (a_normal ? 0.5 * kappa * kappa * eps_b : kappa * eps_b) + kappa * eps_b +
                              rsd_rel;
        for (size_t j = 0; j < P; j++)
            ck_assert_double_le(fabs(mgt_get(&a->SE.v, j, c) - mgt_get(&b->SE.v, j, c)),
                                se_rel * mgt_get(&b->SE.v, j, c));
    }
    ck_assert_uint_eq(a->res.rank, b->res.rank);
}

static void make(mgt_rng *r, mgt_mat *X, mgt_mat *Y, double collinear)
{
    *X = mgt_random(r, N, NX, 1);
    *Y = mgt_alloc(N, K, 2);
    for (size_t i = 0; i < N; i++) {
        if (collinear > 0.0)
            *mg_at(&X->v, i, 1) = mgt_get(&X->v, i, 0) + collinear * mgt_uniform(r);
        for (size_t c = 0; c < K; c++) {
            double y = 3.0 + 0.1 * mgt_uniform(r);
            for (size_t j = 0; j < NX; j++)
                y += (double)(j + c) * mgt_get(&X->v, i, j);
            *mg_at(&Y->v, i, c) = y;
        }
    }
}

START_TEST(auto_takes_cholesky_when_well_conditioned)
{
    mgt_rng r = mgt_rng_seed(31);
    mgt_mat X, Y;
    fit a, q;
    make(&r, &X, &Y, 0.0);
    run(&X.v, &Y.v, MG_LSTSQ_AUTO, &a);
    run(&X.v, &Y.v, MG_LSTSQ_QR, &q);
    ck_assert_int_eq(a.res.method, MG_LSTSQ_CHOLESKY);
    ck_assert_uint_ge(a.res.refine_steps, 1);
    ck_assert_int_eq(q.res.method, MG_LSTSQ_QR);
    /* rcond here is the 1-norm estimate for the equilibrated Gram matrix:
     * the estimator bounds ||G^-1||_1 from below, so rcond >= the true
     * 1 / kappa_1(G) >= 1 / (p kappa_2(G)) = 1 / (p kappa^2) */
    double kappa;
    (void)ref_refined_bound(&X.v, 1, 1, &kappa);
    ck_assert_double_ge(a.res.rcond, 1.0 / ((NX + 1.0) * kappa * kappa) * (1.0 - 1e-6));
    compare(&X.v, &a, 1, &q);
    mgt_free(&X); mgt_free(&Y);
    mgt_free(&a.B); mgt_free(&a.SE); mgt_free(&q.B); mgt_free(&q.SE);
}
END_TEST

/* Column 1 = column 0 + 1e-7 noise: kappa(Z) ~ 1e7, kappa^2 eps ~ 1e-2, so
 * the semi-normal equations would converge slowly or not at all. */
START_TEST(auto_falls_back_to_qr_when_ill_conditioned)
{
    mgt_rng r = mgt_rng_seed(32);
    mgt_mat X, Y;
    fit a, s;
    make(&r, &X, &Y, 1e-7);
    run(&X.v, &Y.v, MG_LSTSQ_AUTO, &a);
    run(&X.v, &Y.v, MG_LSTSQ_SVD, &s);
    ck_assert_int_eq(a.res.method, MG_LSTSQ_QR);
    /* the QR path's 1-norm estimate: 1 / (||R||_1 est||R^-1||_1) with est
     * low by a factor e < 5 (rarely above 3, Higham ASNA Sec. 15.3), and
     * kappa_1 >= kappa_2 / p: rcond <= 5 p / kappa (equilibrated design) */
    double kappa;
    (void)ref_refined_bound(&X.v, 1, 0, &kappa);
    ck_assert_double_le(a.res.rcond, 5.0 * (NX + 1.0) / kappa);
    /* both refined: the same answer to the last digits */
    compare(&X.v, &a, 0, &s);
    mgt_free(&X); mgt_free(&Y);
    mgt_free(&a.B); mgt_free(&a.SE); mgt_free(&s.B); mgt_free(&s.SE);
}
END_TEST

/* Data near the ends of the exponent range: X^T X overflows (1e200) or
 * underflows (1e-200) although the least-squares problem is perfectly
 * well posed.  Auto must notice and solve by QR, whose power-of-two
 * equilibration is exact; the coefficients are those of the unscaled data.
 * The scalings are not powers of two, so the scaled data are the unscaled
 * ones times SCALE with one rounding per entry (a normwise relative
 * perturbation u of X and Y, i.e. a backward error u), moving the exact
 * solution by the forward bound f(u) (mgt_lstsq_fwd_bound with the exact
 * kappa); both refined solutions are within ref_refined_bound of their
 * exact ones; the intercept's division by SCALE rounds once more (u). */
START_TEST(auto_survives_gram_overflow_and_underflow)
{
    static const double SCALE[] = { 1e200, 1e-200 };
    mgt_rng r = mgt_rng_seed(33);
    mgt_mat X, Y;
    fit ref, a;
    make(&r, &X, &Y, 0.0);
    run(&X.v, &Y.v, MG_LSTSQ_QR, &ref);
    double kappa, smax, smin, fs = 0.0;
    const double rb = ref_refined_bound(&X.v, 1, 0, &kappa);
    mgt_svals(&X.v, 1, &smax, &smin);
    for (size_t c = 0; c < K; c++) {
        const double bn = mgt_col_norm2(&ref.B.v, c), rn = ref.rsd[c] * sqrt((double)(N - NX - 1));
        fs = fmax(fs, sqrt((double)(NX + 1)) * mgt_lstsq_fwd_bound(MGT_U, kappa, rn, smax, bn));
    }
    for (size_t s = 0; s < 2; s++) {
        mgt_mat Xs = mgt_alloc(N, NX, 0), Ys = mgt_alloc(N, K, 0);
        for (size_t i = 0; i < N; i++) {
            for (size_t j = 0; j < NX; j++)
                *mg_at(&Xs.v, i, j) = mgt_get(&X.v, i, j) * SCALE[s];
            for (size_t c = 0; c < K; c++)
                *mg_at(&Ys.v, i, c) = mgt_get(&Y.v, i, c) * SCALE[s];
        }
        run(&Xs.v, &Ys.v, MG_LSTSQ_AUTO, &a);
        ck_assert_int_eq(a.res.method, MG_LSTSQ_QR);
        /* the intercept row scales with Y, the slopes do not */
        for (size_t c = 0; c < K; c++)
            *mg_at(&a.B.v, 0, c) /= SCALE[s];
        ck_assert_double_le(mgt_rel_err(&a.B.v, &ref.B.v), fs + 2.0 * rb + MGT_U);
        ck_assert_uint_eq(a.res.rank, NX + 1);
        mgt_free(&Xs); mgt_free(&Ys); mgt_free(&a.B); mgt_free(&a.SE);
    }
    mgt_free(&X); mgt_free(&Y); mgt_free(&ref.B); mgt_free(&ref.SE);
}
END_TEST

/* The Cholesky path's Gram kernel on widths around its 6 x 8 tiles and
 * 8-column panels and row counts around its 128-row blocks, strided X: the
 * refined answer must equal the QR one, both within the limiting accuracy
 * of refinement (ref_refined_bound, contraction asserted from the exact
 * kappa: kappa^2 eps_b < 1/2 for the Cholesky path). */
START_TEST(cholesky_matches_qr_across_widths)
{
    static const size_t NXS[] = { 1, 5, 7, 8, 9, 13, 24, 31 };
    static const size_t NS[] = { 40, 257, 3001 };
    mgt_rng r = mgt_rng_seed(34);
    for (size_t a = 0; a < sizeof NXS / sizeof NXS[0]; a++)
        for (size_t b = 0; b < sizeof NS / sizeof NS[0]; b++) {
            const size_t n = NS[b], nx = NXS[a];
            mgt_mat X = mgt_random(&r, n, nx, 3), Y = mgt_random(&r, n, 2, 1);
            mgt_mat Bc = mgt_alloc(nx + 1, 2, 0), Bq = mgt_alloc(nx + 1, 2, 0);
            mg_lstsq_options o = mg_lstsq_defaults();
            mg_lstsq_result res = { 0 };
            o.intercept = 1;
            o.method = MG_LSTSQ_CHOLESKY;
            ck_assert_int_eq(mg_lstsq(&X.v, &Y.v, &Bc.v, &o, &res), MG_OK);
            ck_assert_int_eq(res.method, MG_LSTSQ_CHOLESKY);
            o.method = MG_LSTSQ_QR;
            ck_assert_int_eq(mg_lstsq(&X.v, &Y.v, &Bq.v, &o, NULL), MG_OK);
            ck_assert_double_le(mgt_rel_err(&Bc.v, &Bq.v), 2.0 * ref_refined_bound(&X.v, 1, 1, NULL));
            mgt_free(&X); mgt_free(&Y); mgt_free(&Bc); mgt_free(&Bq);
        }
}
END_TEST

/* A big design with an exactly repeated column: auto notices from the Gram
 * matrix, falls back, and returns the minimum-norm solution with rank p - 1.
 * Y was made with the column's original values, so its coefficient is noise
 * (~2e-3 for output 0): only what the problem determines is compared.  Let
 * Z' be the design without the copy (p' = p - 1 columns, full rank) and b'
 * its least-squares solution; the minimum-norm B of Z = Z' E (E repeats one
 * row of I) is b' with the repeated coefficient split in halves.  So B is
 * checked against that map of b' (computed by QR), normwise in 2-norms,
 * which covers at once the fitted values, the residual, and the
 * minimum-norm property (no component along the null vector e1 - e2).
 *
 * Bound: E's singular values are 1 and sqrt(2), so the nonzero singular
 * values of Z are those of Z' within sqrt(2): kappa(Z) <= sqrt(2) kappa(Z').
 * Each solver's error is then within the least-squares forward bound f
 * (mgt_lstsq_fwd_bound) with kappa = sqrt(2) kappa(Z'), and the halving map
 * has norm <= 1, so ||B - map(b'^)|| <= 2 f ||b'^|| (to first order).  The
 * normwise backward error taken is eps_b = 4 p u: Householder QR and the
 * SVD's orthogonal reductions apply O(p) reflections to each column, each
 * a few roundings relative to the column's norm (Higham, ASNA Thm 19.13
 * with the realistic sqrt-free constant; the worst-case gamma_{N p} is
 * never approached by random data, and refinement only lowers the error). */
START_TEST(auto_big_rank_deficient)
{
    enum { P = NX + 1, PR = NX };
    mgt_rng r = mgt_rng_seed(35);
    mgt_mat X, Y;
    make(&r, &X, &Y, 0.0);
    for (size_t i = 0; i < N; i++)
        *mg_at(&X.v, i, 1) = mgt_get(&X.v, i, 0);
    fit a;
    run(&X.v, &Y.v, MG_LSTSQ_AUTO, &a);
    ck_assert_uint_eq(a.res.rank, NX);
    ck_assert_int_eq(a.res.method, MG_LSTSQ_SVD);

    /* Z' without the copy, its QR fit b' and its singular values */
    mgt_mat Xr = mgt_alloc(N, NX - 1, 0), Br = mgt_alloc(PR, K, 0);
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0, t = 0; j < NX; j++)
            if (j != 1)
                *mg_at(&Xr.v, i, t++) = mgt_get(&X.v, i, j);
    mg_lstsq_options o = mg_lstsq_defaults();
    o.intercept = 1;
    o.method = MG_LSTSQ_QR;
    ck_assert_int_eq(mg_lstsq(&Xr.v, &Y.v, &Br.v, &o, NULL), MG_OK);
    double smax, smin;
    mgt_svals(&Xr.v, 1, &smax, &smin);
    ck_assert_double_gt(smin, 0.0);
    const double kappa = sqrt(2.0) * smax / smin;

    for (size_t c = 0; c < K; c++) {
        /* want = map(b'): rows 0 (intercept), 1 and 2 (the halves), then the rest */
        double want[P], rn = 0.0, err = 0.0, bn = mgt_col_norm2(&Br.v, c);
        want[0] = mgt_get(&Br.v, 0, c);
        want[1] = want[2] = 0.5 * mgt_get(&Br.v, 1, c);
        for (size_t j = 3; j < P; j++)
            want[j] = mgt_get(&Br.v, j - 1, c);
        for (size_t j = 0; j < P; j++)
            err += (mgt_get(&a.B.v, j, c) - want[j]) * (mgt_get(&a.B.v, j, c) - want[j]);
        /* ||r|| of the reduced fit, in long double */
        long double rr = 0.0L;
        for (size_t i = 0; i < N; i++) {
            long double e = (long double)mgt_get(&Y.v, i, c) - mgt_get(&Br.v, 0, c);
            for (size_t j = 1; j < PR; j++)
                e -= (long double)mgt_get(&Xr.v, i, j - 1) * mgt_get(&Br.v, j, c);
            rr += e * e;
        }
        rn = (double)sqrtl(rr);
        const double f = mgt_lstsq_fwd_bound(4.0 * P * MGT_U, kappa, rn, smax, bn);
        ck_assert_msg(sqrt(err) <= 2.0 * f * bn, "output %zu: ||B - map(b')|| = %g > %g (kappa %g)",
                      c, sqrt(err), 2.0 * f * bn, kappa);
        if (getenv("MGT_VERBOSE"))
            printf("auto_big_rank_deficient: output %zu error %.3g bound %.3g kappa %.3g\n", c,
                   sqrt(err), 2.0 * f * bn, kappa);
    }
    mgt_free(&Xr); mgt_free(&Br);
    mgt_free(&X); mgt_free(&Y); mgt_free(&a.B); mgt_free(&a.SE);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lstsq_auto");
    TCase *tc = tcase_create("auto");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, auto_takes_cholesky_when_well_conditioned);
    tcase_add_test(tc, auto_falls_back_to_qr_when_ill_conditioned);
    tcase_add_test(tc, auto_survives_gram_overflow_and_underflow);
    tcase_add_test(tc, cholesky_matches_qr_across_widths);
    tcase_add_test(tc, auto_big_rank_deficient);
    suite_add_tcase(s, tc);
    return mgt_run(s);
}
