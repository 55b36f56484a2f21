/* SPDX-License-Identifier: BSD-3-Clause */
/* Designs whose columns are subnormal or whose Gram matrix underflows: the
 * exact answer from every least-squares method, or a status (never MG_OK
 * with a wrong answer) from the normal equations, which cannot represent
 * A^T A.  Regression tests for issue 9: a column of entries 2^-1026 gave
 * rank 0 and B = 0 with MG_OK, one near 1e-310 MG_ENONFINITE (the column
 * scale 2^1025 overflowed). */
#include "mgt_exact.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const mg_lstsq_method METHODS[] = { MG_LSTSQ_AUTO, MG_LSTSQ_QR, MG_LSTSQ_CHOLESKY,
                                           MG_LSTSQ_SVD };
/* Column scales 2^-s for integer entries of at most 4: column maxima
 * 2^-1024 (its equilibrating scale 2^1023 is the largest double power of
 * two), the 2^-1026, 2^-1030 ~ 8.7e-311 (the "near
 * 1e-310"), and 2^-1070, whose scale 2^1069 is far beyond any double. */
static const int SUBNORMAL[] = { 1026, 1028, 1032, 1072 };

/* Fits e with method m and all statistics; checks status, rank, B, the
 * standard errors and the residual sd against the exact solution.
 * Tolerances (kappa = kappa_1 of the equilibrated design, from a QR fit of
 * the integer design, whose entries are ordinary doubles):
 *   B: refined solutions have a normwise forward error of a few eps kappa in
 *      equilibrated coordinates (docs/accuracy.md); 64 p eps kappa.
 *   se: sqrt of [(Z^T Z)^-1]_jj from a triangular factor with normwise
 *      backward error p eps: relative error <= c p eps kappa^2; c = 64.
 *   residual sd: the residual of a refined solution, relative 64 p eps kappa. */
static void check_fit(const mgt_exact *e, mg_lstsq_method m)
{
    const double kappa = mgt_exact_kappa(e), eps = DBL_EPSILON, pp = (double)e->p;
    mgt_mat B = mgt_alloc(e->p, e->k, 1), SE = mgt_alloc(e->p, e->k, 1);
    double *se = malloc(e->p * e->k * sizeof *se), *rsd = malloc(e->k * sizeof *rsd);
    ck_assert(se && rsd);
    mg_lstsq_options o = mg_lstsq_defaults();
    o.intercept = e->intercept;
    o.method = m;
    mg_lstsq_result res;
    memset(&res, 0, sizeof res);
    res.std_err = &SE.v;
    res.residual_sd = rsd;

    const mg_status st = mg_lstsq(&e->X.v, &e->Y.v, &B.v, &o, &res);
    ck_assert_msg(st == MG_OK, "method %d, s %d: status %d", (int)m, e->s, (int)st);
    ck_assert_msg(res.rank == e->p, "method %d, s %d: rank %zu", (int)m, e->s, res.rank);
    const double err = mgt_exact_err(e, &B.v);
    ck_assert_msg(err <= 64.0 * pp * eps * kappa, "method %d, s %d: B error %g, kappa %g", (int)m,
                  e->s, err, kappa);
    mgt_exact_se(e, se);
    for (size_t j = 0; j < e->p; j++)
        for (size_t c = 0; c < e->k; c++) {
            const double got = mgt_get(&SE.v, j, c), want = se[j * e->k + c];
            ck_assert_msg(fabs(got - want) <= 64.0 * pp * eps * kappa * kappa * want,
                          "method %d, s %d: se[%zu][%zu] = %g, exact %g", (int)m, e->s, j, c,
                          got, want);
        }
    for (size_t c = 0; c < e->k; c++) {
        long double ss = 0.0L; /* the exact residual is Y - X b */
        for (size_t i = 0; i < e->N; i++) {
            long double fit = 0.0L;
            for (size_t j = 0; j < e->p; j++) {
                const size_t ic = (size_t)e->intercept;
                const double z = j < ic ? 1.0 : mgt_get(&e->X.v, i, j - ic);
                fit += (long double)e->b[j * e->k + c] * z;
            }
            const long double r = (long double)mgt_get(&e->Y.v, i, c) - fit;
            ss += r * r;
        }
        const double want = (double)sqrtl(ss / (long double)(e->N - e->p));
        ck_assert_msg(fabs(rsd[c] - want) <= 64.0 * pp * eps * kappa * want,
                      "method %d, s %d: residual sd %g, exact %g", (int)m, e->s, rsd[c], want);
    }
    mgt_free(&B);
    mgt_free(&SE);
    free(se);
    free(rsd);
}

/* One column of subnormal entries beside ordinary ones, intercept, two
 * outputs: every method, every scale. */
START_TEST(subnormal_column_every_method)
{
    for (size_t si = 0; si < sizeof SUBNORMAL / sizeof *SUBNORMAL; si++)
        for (size_t m = 0; m < sizeof METHODS / sizeof *METHODS; m++) {
            mgt_exact e = mgt_exact_make(11 + si, 40, 3, 2, 1, 1, SUBNORMAL[si]);
            check_fit(&e, METHODS[m]);
            mgt_exact_free(&e);
        }
}
END_TEST

/* Without an intercept, the subnormal column first, one output. */
START_TEST(subnormal_column_no_intercept)
{
    for (size_t si = 0; si < sizeof SUBNORMAL / sizeof *SUBNORMAL; si++)
        for (size_t m = 0; m < sizeof METHODS / sizeof *METHODS; m++) {
            mgt_exact e = mgt_exact_make(23 + si, 30, 4, 1, 0, 0, SUBNORMAL[si]);
            check_fit(&e, METHODS[m]);
            mgt_exact_free(&e);
        }
}
END_TEST

/* Every column scaled by 2^-530: the entries are ordinary doubles but
 * their products (~2^-1060) are subnormal, so Z^T Z would hold a few bits
 * of each sum.  The Cholesky path must notice it and leave the fit to QR. */
START_TEST(gram_underflow_every_method)
{
    for (size_t m = 0; m < sizeof METHODS / sizeof *METHODS; m++) {
        mgt_exact e = mgt_exact_make(31, 40, 3, 2, 1, MGT_EXACT_ALL, 530);
        check_fit(&e, METHODS[m]);
        mgt_exact_free(&e);
    }
}
END_TEST

/* A design big enough (N p^2 >= 1e7) for auto to try the Cholesky path
 * first, with a subnormal column. */
START_TEST(subnormal_column_big_auto)
{
    mgt_exact e = mgt_exact_make(41, 20000, 15, 1, 1, 7, 1026);
    mgt_mat B = mgt_alloc(e.p, 1, 0);
    const double kappa = mgt_exact_kappa(&e);
    mg_lstsq_result res;
    memset(&res, 0, sizeof res);
    mg_lstsq_options o = mg_lstsq_defaults();
    o.intercept = 1;
    ck_assert_int_eq(mg_lstsq(&e.X.v, &e.Y.v, &B.v, &o, &res), MG_OK);
    ck_assert_uint_eq(res.rank, e.p);
    /* 64 p eps kappa: as in check_fit */
    ck_assert(mgt_exact_err(&e, &B.v) <= 64.0 * (double)e.p * DBL_EPSILON * kappa);
    mgt_free(&B);
    mgt_exact_free(&e);
}
END_TEST

/* mg_normal_solve cannot represent A^T A when the products of A's entries
 * underflow: a status, W untouched, with or without ridge.  The fit
 * engine's range check names it: every such column has its largest
 * magnitude below 2^-MG_FIT_RANGE (MG_ERANGE). */
static void expect_not_representable(const mgt_exact *e, double ridge)
{
    mgt_mat W = mgt_alloc(e->nx, e->k, 1);
    mgt_fill(&W, 42.0);
    double *snap = mgt_snapshot(&W);
    const mg_status s = mg_normal_solve(&e->X.v, &e->Y.v, ridge, &W.v);
    ck_assert_msg(s == MG_ERANGE, "s %d, ridge %g: status %d", e->s, ridge, (int)s);
    ck_assert(mgt_unchanged(&W, snap));
    free(snap);
    mgt_free(&W);
}

START_TEST(normal_solve_gram_underflow)
{
    /* every product ~2^-1060: a few bits each */
    mgt_exact all = mgt_exact_make(51, 40, 3, 2, 0, MGT_EXACT_ALL, 530);
    expect_not_representable(&all, 0.0);
    expect_not_representable(&all, 1e-300);
    mgt_exact_free(&all);
    for (size_t si = 0; si < sizeof SUBNORMAL / sizeof *SUBNORMAL; si++) {
        mgt_exact one = mgt_exact_make(53 + si, 40, 3, 1, 0, 2, SUBNORMAL[si]);
        expect_not_representable(&one, 0.0);
        expect_not_representable(&one, 0.5);
        mgt_exact_free(&one);
    }
}
END_TEST

/* The control: the same integer problem unscaled is solved, to
 * 64 j eps kappa^2 (the normal equations square the condition number). */
START_TEST(normal_solve_unscaled_control)
{
    mgt_exact e = mgt_exact_make(51, 40, 3, 2, 0, 0, 0);
    mgt_mat W = mgt_alloc(e.nx, e.k, 1);
    const double kappa = mgt_exact_kappa(&e);
    ck_assert_int_eq(mg_normal_solve(&e.X.v, &e.Y.v, 0.0, &W.v), MG_OK);
    ck_assert(mgt_exact_err(&e, &W.v) <= 64.0 * (double)e.p * DBL_EPSILON * kappa * kappa);
    mgt_free(&W);
    mgt_exact_free(&e);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("status_subnormal");
    TCase *tc = tcase_create("subnormal");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, subnormal_column_every_method);
    tcase_add_test(tc, subnormal_column_no_intercept);
    tcase_add_test(tc, gram_underflow_every_method);
    tcase_add_test(tc, subnormal_column_big_auto);
    tcase_add_test(tc, normal_solve_gram_underflow);
    tcase_add_test(tc, normal_solve_unscaled_control);
    suite_add_tcase(s, tc);
    return mgt_run(s);
}
