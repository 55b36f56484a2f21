/* SPDX-License-Identifier: BSD-3-Clause */
/* mg_predict: fitted values, standard errors and confidence / prediction
 * intervals (R's predict.lm) against a naive long-double reference
 * (tests/ref/ref_infer.c) on random designs with and without intercept,
 * weighted (zero weights in the fit, positive prediction weights), k = 2
 * outputs, an aliased column, strided views, and more new rows than one
 * block of the library's pass.  Every entry is asserted within the
 * a-priori rounding bound of the library's computation from the same double
 * inputs (derived at ref_predict_row: gamma_m and gamma_2m terms of the
 * magnitudes |z|^T |b| and |z|^T |C| |z|, a few u of the values); the
 * reference rounds to double within u.  Then every error status, with the
 * outputs left untouched. */
#include "mgtest.h"
#include "ref_infer.h"

#ifdef MGT_FAILALLOC
#include "failalloc.h"
#endif

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { NFIT = 40, NNEW = 300, P = 4, K = 2, PAD = 3 };

typedef struct problem {
    mgt_mat X, Y, w;     /* the fit's rows */
    mgt_mat X0, w0;      /* new rows and their prediction weights */
    ref_model rm;
    int intercept;
} problem;

/* Random fit data and model; weights: 0 none, 1 positive, 2 with zeros.
 * alias: column `alias` of Z is aliased (a copy of another column of X), or
 * -1 for none. */
static problem make_problem(uint64_t seed, int intercept, int weights, int alias)
{
    mgt_rng r = mgt_rng_seed(seed);
    problem pr = { 0 };
    pr.intercept = intercept;
    pr.X = mgt_random(&r, NFIT, P, PAD);
    pr.Y = mgt_random(&r, NFIT, K, PAD);
    pr.w = mgt_alloc(NFIT, 1, PAD);
    for (size_t i = 0; i < NFIT; i++) {
        double wi = weights ? 0.25 + 1.5 * (mgt_uniform(&r) + 1.0) : 1.0;
        if (weights == 2 && i % 5 == 3)
            wi = 0.0;
        pr.w.v.data[i * pr.w.v.stride] = wi;
        /* responses with a linear signal: a realistic spread of residuals */
        for (size_t j = 0; j < K; j++)
            pr.Y.v.data[i * pr.Y.v.stride + j] +=
                3.0 * mgt_get(&pr.X.v, i, 0) - (double)j * mgt_get(&pr.X.v, i, 1) + 2.0;
    }
    unsigned char aliased[P + 1] = { 0 };
    if (alias >= 0) {
        aliased[alias] = 1;
        size_t xc = (size_t)alias - (size_t)(intercept != 0), src = xc == 0 ? 1 : 0;
        for (size_t i = 0; i < NFIT; i++)
            pr.X.v.data[i * pr.X.v.stride + xc] = mgt_get(&pr.X.v, i, src);
    }
    ck_assert_int_eq(ref_model_fit(&pr.X.v, intercept, &pr.Y.v, weights ? &pr.w.v : NULL,
                                   aliased, &pr.rm),
                     0);
    pr.X0 = mgt_random(&r, NNEW, P, PAD);
    /* New rows a little outside the fit's range: larger leverages. */
    for (size_t i = 0; i < NNEW; i++)
        pr.X0.v.data[i * pr.X0.v.stride] *= 2.0;
    pr.w0 = mgt_alloc(NNEW, 1, PAD);
    for (size_t i = 0; i < NNEW; i++)
        pr.w0.v.data[i * pr.w0.v.stride] = 0.5 + 0.75 * (mgt_uniform(&r) + 1.0);
    return pr;
}

static void free_problem(problem *pr)
{
    mgt_free(&pr->X);
    mgt_free(&pr->Y);
    mgt_free(&pr->w);
    mgt_free(&pr->X0);
    mgt_free(&pr->w0);
    ref_model_free(&pr->rm);
}

static void assert_close(double got, long double want, double tol, const char *what, size_t i,
                         size_t j)
{
    ck_assert_msg(fabsl((long double)got - want) <= tol,
                  "%s(%zu, %zu) = %.17g, reference %.17Lg, |diff| %.3Lg > bound %.3g", what, i, j,
                  got, want, fabsl((long double)got - want), tol);
}

/* One mg_predict call on every new row, checked entry by entry. */
static void check_predict(const problem *pr, mg_interval iv, double level, int use_w0, int want_se)
{
    const mg_model *model = &pr->rm.model;
    mgt_mat fit = mgt_alloc(NNEW, K, PAD), se = mgt_alloc(NNEW, K, 1);
    mgt_mat lo = mgt_alloc(NNEW, K, 2), hi = mgt_alloc(NNEW, K, PAD);
    double *se0 = mgt_snapshot(&se), *lo0 = mgt_snapshot(&lo), *hi0 = mgt_snapshot(&hi);
    const mg_matrix *w0 = use_w0 ? &pr->w0.v : NULL;
    int bounds = iv != MG_INTERVAL_NONE;
    ck_assert_int_eq(mg_predict(model, &pr->X0.v, w0, iv, level, &fit.v, want_se ? &se.v : NULL,
                                bounds ? &lo.v : NULL, bounds ? &hi.v : NULL),
                     MG_OK);
    /* q as the library's contract defines it (mg_t_quantile is tested on
     * its own against R, tests/data/r/distributions.txt). */
    double q = mg_t_quantile(0.5 * (1.0 - level), (double)model->df_residual, 0);
    for (size_t i = 0; i < NNEW; i++) {
        const double *x = pr->X0.v.data + i * pr->X0.v.stride;
        double wi = use_w0 ? mgt_get(w0, i, 0) : 1.0;
        for (size_t j = 0; j < K; j++) {
            ref_pred rp;
            ref_predict_row(model, x, wi, iv, q, j, &rp);
            assert_close(mgt_get(&fit.v, i, j), rp.fit, rp.fit_tol, "fit", i, j);
            if (want_se)
                assert_close(mgt_get(&se.v, i, j), rp.se, rp.se_tol, "se_fit", i, j);
            if (bounds) {
                assert_close(mgt_get(&lo.v, i, j), rp.lower, rp.bound_tol, "lower", i, j);
                assert_close(mgt_get(&hi.v, i, j), rp.upper, rp.bound_tol, "upper", i, j);
            }
        }
    }
    ck_assert(mgt_padding_intact(&fit) && mgt_padding_intact(&se) && mgt_padding_intact(&lo) &&
              mgt_padding_intact(&hi));
    /* what was not asked for is not written */
    ck_assert(want_se || mgt_unchanged(&se, se0));
    ck_assert(bounds || (mgt_unchanged(&lo, lo0) && mgt_unchanged(&hi, hi0)));
    free(se0);
    free(lo0);
    free(hi0);
    mgt_free(&fit);
    mgt_free(&se);
    mgt_free(&lo);
    mgt_free(&hi);
}

/* intercept x weights x alias over the loop index. */
START_TEST(random_designs)
{
    const int intercept = _i & 1, weights = (_i >> 1) % 3, aliased = _i / 6;
    const int alias = aliased ? (intercept ? 3 : 2) : -1;
    problem pr = make_problem(1000 + (uint64_t)_i, intercept, weights, alias);
    ck_assert_uint_eq(pr.rm.rank, (size_t)intercept + P - (size_t)aliased);
    check_predict(&pr, MG_INTERVAL_NONE, 0.95, 0, 0);
    check_predict(&pr, MG_INTERVAL_NONE, 0.95, 0, 1);
    check_predict(&pr, MG_INTERVAL_CONFIDENCE, 0.95, 0, 1);
    check_predict(&pr, MG_INTERVAL_CONFIDENCE, 0.999999, 1, 0);
    check_predict(&pr, MG_INTERVAL_PREDICTION, 0.9, 0, 1);
    check_predict(&pr, MG_INTERVAL_PREDICTION, 0.95, 1, 1);
    free_problem(&pr);
}
END_TEST

/* A hand-checkable model: the mean model (p = 0, X NULL) with coefficient
 * 3, C = 1/4, sigma = 2, df 10: fit 3, se_fit 1, and with R's
 * qt(0.975, 10) = 2.2281388519862739 the 95% confidence interval is
 * 3 -/+ 2.2281388519862739 and the prediction interval for w0 = 4 is
 * 3 -/+ 2.2281388519862739 sqrt(1 + 1) .  Tolerance 1e-11 relative: the
 * provisional t quantile's documented accuracy (~1e-12) with a margin. */
START_TEST(mean_model_against_r)
{
    double b = 3.0, c = 0.25, sigma = 2.0, w0v[2] = { 4.0, 4.0 };
    mg_matrix B = mg_matrix_view(&b, 1, 1), C = mg_matrix_view(&c, 1, 1);
    mg_matrix W0 = mg_matrix_view(w0v, 2, 1);
    mg_model model = { 0, 1, 1, &B, &C, &sigma, 10 };
    double f[2], s[2], lo[2], hi[2];
    mg_matrix F = mg_matrix_view(f, 2, 1), S = mg_matrix_view(s, 2, 1);
    mg_matrix L = mg_matrix_view(lo, 2, 1), H = mg_matrix_view(hi, 2, 1);
    const double q = 2.2281388519862739;
    ck_assert_int_eq(mg_predict(&model, NULL, NULL, MG_INTERVAL_CONFIDENCE, 0.95, &F, &S, &L, &H),
                     MG_OK);
    for (int i = 0; i < 2; i++) {
        ck_assert(f[i] == 3.0 && s[i] == 1.0);
        ck_assert(fabs(lo[i] - (3.0 - q)) <= 1e-11 * q && fabs(hi[i] - (3.0 + q)) <= 1e-11 * q);
    }
    ck_assert_int_eq(mg_predict(&model, NULL, &W0, MG_INTERVAL_PREDICTION, 0.95, &F, NULL, &L, &H),
                     MG_OK);
    const double hw = q * sqrt(2.0);
    for (int i = 0; i < 2; i++)
        ck_assert(fabs(lo[i] - (3.0 - hw)) <= 1e-11 * hw && fabs(hi[i] - (3.0 + hw)) <= 1e-11 * hw);
}
END_TEST

/* No identified coefficient: the prediction is 0 with standard error 0;
 * df_residual = 0: se_fit is still defined (sigma given) but q is not, so
 * the bounds are NaN, as R's predict.lm gives. */
START_TEST(degenerate_models)
{
    double b[2] = { NAN, NAN }, c[4] = { NAN, NAN, NAN, NAN }, sigma = 1.5;
    mg_matrix B = mg_matrix_view(b, 2, 1), C = mg_matrix_view(c, 2, 2);
    mg_model model = { 2, 1, 0, &B, &C, &sigma, 5 };
    double x[4] = { 1, 2, 3, 4 }, f[2] = { 7, 7 }, s[2] = { 7, 7 };
    mg_matrix X = mg_matrix_view(x, 2, 2), F = mg_matrix_view(f, 2, 1), S = mg_matrix_view(s, 2, 1);
    ck_assert_int_eq(mg_predict(&model, &X, NULL, MG_INTERVAL_NONE, 0.95, &F, &S, NULL, NULL),
                     MG_OK);
    ck_assert(f[0] == 0.0 && f[1] == 0.0 && s[0] == 0.0 && s[1] == 0.0);

    double b2[2] = { 1.0, 2.0 }, c2[4] = { 1.0, 0.0, 0.0, 1.0 }, lo[2], hi[2];
    mg_matrix B2 = mg_matrix_view(b2, 2, 1), C2 = mg_matrix_view(c2, 2, 2);
    mg_matrix L = mg_matrix_view(lo, 2, 1), H = mg_matrix_view(hi, 2, 1);
    mg_model m0 = { 2, 1, 0, &B2, &C2, &sigma, 0 };
    ck_assert_int_eq(mg_predict(&m0, &X, NULL, MG_INTERVAL_CONFIDENCE, 0.95, &F, &S, &L, &H),
                     MG_OK);
    ck_assert(f[0] == 5.0 && f[1] == 11.0);
    ck_assert(fabs(s[0] - 1.5 * sqrt(5.0)) <= 4 * DBL_EPSILON * s[0]);
    ck_assert(isnan(lo[0]) && isnan(hi[1]));
    /* A NaN sigma (df_residual = 0 in mg_fit_infer) gives NaN se_fit. */
    double nsig = NAN;
    mg_model m1 = { 2, 1, 0, &B2, &C2, &nsig, 0 };
    ck_assert_int_eq(mg_predict(&m1, &X, NULL, MG_INTERVAL_NONE, 0.95, &F, &S, NULL, NULL), MG_OK);
    ck_assert(isnan(s[0]) && isnan(s[1]) && f[1] == 11.0);
}
END_TEST

/* ---- errors ---- */

typedef struct err_fixture {
    double b[6], c[9], sigma[2], x[8], w[4], f[12], s[12], lo[12], hi[12];
    mg_matrix B, C, X, W, F, S, L, H;
    mg_model model;
} err_fixture;

static void fixture(err_fixture *e)
{
    const double b[6] = { 1, 2, 3, 4, 5, 6 }, c[9] = { 2, 0.5, 0, 0.5, 1, 0.25, 0, 0.25, 1 };
    memcpy(e->b, b, sizeof b);
    memcpy(e->c, c, sizeof c);
    e->sigma[0] = 1.0;
    e->sigma[1] = 2.0;
    for (int i = 0; i < 8; i++)
        e->x[i] = 0.5 * i - 1.0;
    /* The outputs' sentinel is a valid weight, sigma and C entry, so that
     * an output passed as one of those fails for the overlap alone. */
    for (int i = 0; i < 12; i++)
        e->f[i] = e->s[i] = e->lo[i] = e->hi[i] = 7.0;
    for (int i = 0; i < 4; i++)
        e->w[i] = 1.0 + i;
    e->B = mg_matrix_view(e->b, 3, 2);
    e->C = mg_matrix_view(e->c, 3, 3);
    e->X = mg_matrix_view(e->x, 4, 2);
    e->W = mg_matrix_view(e->w, 4, 1);
    e->F = mg_matrix_view(e->f, 4, 2);
    e->S = mg_matrix_view(e->s, 4, 2);
    e->L = mg_matrix_view(e->lo, 4, 2);
    e->H = mg_matrix_view(e->hi, 4, 2);
    e->model = (mg_model){ 2, 2, 1, &e->B, &e->C, e->sigma, 10 };
}

static mg_status call(err_fixture *e, mg_interval iv, double level)
{
    return mg_predict(&e->model, &e->X, &e->W, iv, level, &e->F, &e->S, &e->L, &e->H);
}

static void assert_untouched(const err_fixture *e)
{
    for (int i = 0; i < 12; i++)
        ck_assert(e->f[i] == 7.0 && e->s[i] == 7.0 && e->lo[i] == 7.0 && e->hi[i] == 7.0);
}

#define EXPECT(status, stmt)                                                                      \
    do {                                                                                          \
        err_fixture e;                                                                            \
        fixture(&e);                                                                              \
        stmt;                                                                                     \
        ck_assert_int_eq(call(&e, MG_INTERVAL_PREDICTION, 0.95), status);                        \
        assert_untouched(&e);                                                                     \
    } while (0)

START_TEST(fixture_is_valid)
{
    err_fixture e;
    fixture(&e);
    ck_assert_int_eq(call(&e, MG_INTERVAL_PREDICTION, 0.95), MG_OK);
}
END_TEST

START_TEST(errors_einval)
{
    err_fixture e;
    fixture(&e);
    ck_assert_int_eq(mg_predict(NULL, &e.X, NULL, MG_INTERVAL_NONE, 0.95, &e.F, NULL, NULL, NULL),
                     MG_EINVAL);
    ck_assert_int_eq(
        mg_predict(&e.model, NULL, NULL, MG_INTERVAL_NONE, 0.95, &e.F, NULL, NULL, NULL),
        MG_EINVAL);
    ck_assert_int_eq(mg_predict(&e.model, &e.X, NULL, MG_INTERVAL_NONE, 0.95, NULL, NULL, NULL,
                                NULL),
                     MG_EINVAL);
    /* bounds without an interval */
    ck_assert_int_eq(mg_predict(&e.model, &e.X, NULL, MG_INTERVAL_NONE, 0.95, &e.F, NULL, &e.L,
                                NULL),
                     MG_EINVAL);
    assert_untouched(&e);
    EXPECT(MG_EINVAL, e.model.coef = NULL);
    EXPECT(MG_EINVAL, e.model.cov_unscaled = NULL);
    EXPECT(MG_EINVAL, e.model.sigma = NULL);
    EXPECT(MG_EINVAL, e.model.k = 0);
    EXPECT(MG_EINVAL, (e.model.intercept = 0, e.model.p = 0));
    EXPECT(MG_EINVAL, e.sigma[1] = -1.0);
    EXPECT(MG_EINVAL, e.w[2] = 0.0);
    EXPECT(MG_EINVAL, e.w[2] = -1.0);
    EXPECT(MG_EINVAL, e.w[2] = NAN);
    EXPECT(MG_EINVAL, e.w[2] = INFINITY);
    EXPECT(MG_EINVAL, e.X.stride = 1);
    EXPECT(MG_EINVAL, e.F.data = NULL);
    /* outputs overlapping each other or an input */
    EXPECT(MG_EINVAL, e.S = e.F);
    EXPECT(MG_EINVAL, e.H = mg_matrix_view(e.lo + 1, 4, 2));
    EXPECT(MG_EINVAL, e.F = mg_matrix_view(e.x, 4, 2));
    EXPECT(MG_EINVAL, e.W = mg_matrix_view(e.s + 1, 4, 1));
    EXPECT(MG_EINVAL, e.B = mg_matrix_view(e.lo + 2, 3, 2));
    EXPECT(MG_EINVAL, e.model.sigma = e.hi + 7);
    EXPECT(MG_EINVAL, e.C = mg_matrix_view(e.hi, 3, 3));
    EXPECT(MG_EINVAL, e.C = mg_matrix_view(e.f + 1, 3, 3));
    /* bad level or interval */
    for (int k = 0; k < 5; k++) {
        const double bad[5] = { 0.0, 1.0, -0.5, 1.5, NAN };
        fixture(&e);
        ck_assert_int_eq(call(&e, MG_INTERVAL_CONFIDENCE, bad[k]), MG_EINVAL);
        assert_untouched(&e);
    }
    fixture(&e);
    ck_assert_int_eq(call(&e, (mg_interval)7, 0.95), MG_EINVAL);
    assert_untouched(&e);
    /* a level outside (0, 1) is ignored without an interval */
    ck_assert_int_eq(
        mg_predict(&e.model, &e.X, NULL, MG_INTERVAL_NONE, 2.0, &e.F, &e.S, NULL, NULL), MG_OK);
}
END_TEST

START_TEST(errors_edim)
{
    EXPECT(MG_EDIM, e.X.cols = 1);
    EXPECT(MG_EDIM, e.F.rows = 3);
    EXPECT(MG_EDIM, e.S.cols = 1);
    EXPECT(MG_EDIM, e.L.rows = 2);
    EXPECT(MG_EDIM, e.H.cols = 1);
    EXPECT(MG_EDIM, e.W.rows = 3);
    EXPECT(MG_EDIM, (e.W.cols = 2, e.W.stride = 2, e.W.rows = 2));
    EXPECT(MG_EDIM, e.model.p = 3);
    EXPECT(MG_EDIM, e.model.k = 1);
    EXPECT(MG_EDIM, e.C.rows = 2);
    /* p = 0 takes no X */
    EXPECT(MG_EDIM, (e.model.p = 0, e.B.rows = 1, e.C.rows = e.C.cols = 1, e.C.stride = 3));
}
END_TEST

START_TEST(errors_enonfinite)
{
    EXPECT(MG_ENONFINITE, e.x[5] = NAN);
    EXPECT(MG_ENONFINITE, e.x[0] = -INFINITY);
    EXPECT(MG_ENONFINITE, e.b[3] = NAN);       /* a partly NaN row */
    EXPECT(MG_ENONFINITE, e.b[0] = INFINITY);
    EXPECT(MG_ENONFINITE, e.c[4] = NAN);       /* identified C */
    EXPECT(MG_ENONFINITE, e.c[5] = INFINITY);
    EXPECT(MG_ENONFINITE, e.sigma[0] = INFINITY);
    /* fitted values alone read neither C nor sigma (mg_fit_infer's
     * r_aliased = 0 on a rank-deficient design: NaN C, coefficients) */
    {
        err_fixture e;
        fixture(&e);
        for (int i = 0; i < 9; i++)
            e.c[i] = NAN;
        e.sigma[0] = INFINITY;
        ck_assert_int_eq(
            mg_predict(&e.model, &e.X, NULL, MG_INTERVAL_NONE, 0.95, &e.F, NULL, NULL, NULL),
            MG_OK);
        ck_assert(e.f[0] == 1.0 + 3.0 * e.x[0] + 5.0 * e.x[1]);
    }
    /* an aliased column's C entries are not read: NaN there is fine */
    err_fixture e;
    fixture(&e);
    e.b[2] = e.b[3] = NAN;
    e.c[1] = e.c[3] = e.c[4] = e.c[5] = e.c[7] = NAN;
    ck_assert_int_eq(call(&e, MG_INTERVAL_PREDICTION, 0.95), MG_OK);
}
END_TEST

/* Finite data whose products leave the double range. */
START_TEST(errors_erange)
{
    EXPECT(MG_ERANGE, e.x[2] = 1e307);  /* fit ~ 1e308 */
    EXPECT(MG_ERANGE, e.x[2] = 1e160);  /* v ~ 1e320 */
    EXPECT(MG_ERANGE, e.w[1] = 1e-320); /* sigma^2 / w0 */
    EXPECT(MG_ERANGE, e.sigma[0] = 1e308);
    /* the same without the prediction variance is fine */
    err_fixture e;
    fixture(&e);
    e.w[1] = 1e-300;
    ck_assert_int_eq(call(&e, MG_INTERVAL_CONFIDENCE, 0.95), MG_OK);
}
END_TEST

#ifdef MGT_FAILALLOC
/* For n = 1, 2, ... the n-th allocation of the call fails until a call
 * runs with none failed: each point returns MG_ENOMEM with the outputs
 * untouched, or MG_OK with bitwise the answer of an undisturbed call.  A
 * warm-up call first (OpenBLAS's buffers exist); the OpenMP runtime's
 * allocations are spared (it ends the process when it cannot allocate a
 * team: the fault-injection suite's matter, not this one's). */
START_TEST(alloc_failures)
{
    problem pr = make_problem(77, 1, 1, 1);
    mgt_mat ref[4], out[4];
    for (int i = 0; i < 4; i++) {
        ref[i] = mgt_alloc(NNEW, K, 1);
        out[i] = mgt_alloc(NNEW, K, 1);
    }
    ck_assert_int_eq(mg_predict(&pr.rm.model, &pr.X0.v, &pr.w0.v, MG_INTERVAL_PREDICTION, 0.95,
                                &ref[0].v, &ref[1].v, &ref[2].v, &ref[3].v),
                     MG_OK);
    mgt_failalloc_spare("omp");
    int done = 0;
    for (size_t n = 1; n < 1000 && !done; n++) {
        for (int i = 0; i < 4; i++)
            mgt_fill(&out[i], 42.0);
        double *snap = mgt_snapshot(&out[0]);
        mgt_failalloc_arm(n);
        mg_status st = mg_predict(&pr.rm.model, &pr.X0.v, &pr.w0.v, MG_INTERVAL_PREDICTION,
                                  0.95, &out[0].v, &out[1].v, &out[2].v, &out[3].v);
        mgt_failalloc_disarm();
        if (st == MG_ENOMEM && mgt_failalloc_injected()) {
            for (int i = 0; i < 4; i++)
                ck_assert_msg(mgt_unchanged(&out[i], snap), "allocation %zu: output written", n);
        } else {
            ck_assert_msg(st == MG_OK, "allocation %zu failed: status %d", n, (int)st);
            for (int i = 0; i < 4; i++)
                ck_assert(memcmp(out[i].buf, ref[i].buf, out[i].len * sizeof(double)) == 0);
            done = !mgt_failalloc_injected();
        }
        free(snap);
    }
    mgt_failalloc_spare(NULL);
    ck_assert(done);
    for (int i = 0; i < 4; i++) {
        mgt_free(&ref[i]);
        mgt_free(&out[i]);
    }
    free_problem(&pr);
}
END_TEST
#endif

static Suite *suite(void)
{
    Suite *s = suite_create("predict");
    TCase *t = tcase_create("core");
    tcase_set_timeout(t, 120);
    tcase_add_loop_test(t, random_designs, 0, 12);
    tcase_add_test(t, mean_model_against_r);
    tcase_add_test(t, degenerate_models);
    tcase_add_test(t, fixture_is_valid);
    tcase_add_test(t, errors_einval);
    tcase_add_test(t, errors_edim);
    tcase_add_test(t, errors_enonfinite);
    tcase_add_test(t, errors_erange);
#ifdef MGT_FAILALLOC
    tcase_add_test(t, alloc_failures);
#endif
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return mgt_run(suite());
}
