/* SPDX-License-Identifier: BSD-3-Clause */
/* fit engine at the ends of the exponent range: a column of X (or Y)
 * multiplied by 2^s, s from -1060 to +900.  Scaling a column of the design
 * by a power of two is exact, and the least-squares problem's answer then
 * scales exactly: b_j -> 2^-s b_j and its standard error likewise (column j
 * of X), or B, residual sd and standard errors -> 2^s (Y).  So the scaled
 * fit must return the unscaled fit's figures times the power of two, or
 * refuse with a status: never MG_OK with another answer (rank 0, zero or
 * infinite standard errors, a rank loss). */
#include "mgtest.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { N = 40, P = 3, K = 1, M = P + 1 };

typedef struct figures {
    mg_status st;
    size_t rank;
    double B[M], se[M], sd;
} figures;

/* X (N x P) and y: a well-conditioned design and a noisy response. */
static void make(double *X, double *y)
{
    mgt_rng r = mgt_rng_seed(11);
    for (size_t i = 0; i < N; i++) {
        double s = 1.0;
        for (size_t j = 0; j < P; j++) {
            X[i * P + j] = mgt_uniform(&r) + (double)j;
            s += (double)(j + 1) * X[i * P + j];
        }
        y[i] = s + 0.25 * mgt_uniform(&r);
    }
}

static figures run(const double *X, const double *y, mg_fit_kind kind, int ic)
{
    figures out;
    memset(&out, 0, sizeof out);
    mg_fit_options o = mg_fit_defaults();
    o.kind = kind;
    o.intercept = ic;
    mg_fit *f = NULL;
    ck_assert_int_eq(mg_fit_create(P, K, &o, &f), MG_OK);
    mg_matrix Xv = mg_matrix_view((double *)X, N, P), Yv = mg_matrix_view((double *)y, N, K);
    out.st = mg_fit_accumulate(f, &Xv, &Yv, NULL);
    const size_t m = P + (size_t)ic;
    mg_matrix Bv = mg_matrix_view(out.B, m, 1), Sv = mg_matrix_view(out.se, m, 1);
    mg_lstsq_result res;
    memset(&res, 0, sizeof res);
    res.std_err = &Sv;
    res.residual_sd = &out.sd;
    if (out.st == MG_OK)
        out.st = mg_fit_finish(f, &Bv, &res);
    out.rank = res.rank;
    mg_fit_free(f);
    return out;
}

/* |got - want 2^e| within tol relative to the scaled want (got = want 2^e
 * when both are zero). */
static int close_scaled(double got, double want, int e, double tol)
{
    const double w = ldexp(want, e);
    return fabs(got - w) <= tol * fabs(w) || (got == 0.0 && want == 0.0);
}

/* Power-of-two scaling is exact, so the two fits solve the same problem in
 * the same arithmetic up to the exponents; the factorisations equilibrate
 * columns by powers of two, so their roundings agree except where a sum
 * crosses the subnormal range.  The bound allows for that: 64 eps
 * relative, far below any wrong answer (which is off by O(1)). */
static const double TOL = 64.0 * DBL_EPSILON;

static void check(const figures *ref, const figures *got, size_t m, const int *eb, int esd,
                  const char *what)
{
    if (got->st != MG_OK) {
        /* a refusal is allowed; MG_OK with a wrong answer is not */
        ck_assert_msg(got->st == MG_ERANGE || got->st == MG_ENONFINITE || got->st == MG_ENOTPD ||
                          got->st == MG_ENOCONV || got->st == MG_ESINGULAR,
                      "%s: unexpected status %d", what, (int)got->st);
        return;
    }
    ck_assert_msg(got->rank == ref->rank, "%s: rank %zu, want %zu", what, got->rank, ref->rank);
    for (size_t j = 0; j < m; j++) {
        ck_assert_msg(close_scaled(got->B[j], ref->B[j], eb[j], TOL),
                      "%s: b_%zu = %.17g, want %.17g * 2^%d", what, j, got->B[j], ref->B[j], eb[j]);
        ck_assert_msg(close_scaled(got->se[j], ref->se[j], eb[j], TOL),
                      "%s: se_%zu = %.17g, want %.17g * 2^%d", what, j, got->se[j], ref->se[j],
                      eb[j]);
    }
    ck_assert_msg(close_scaled(got->sd, ref->sd, esd, TOL), "%s: sd = %.17g, want %.17g * 2^%d",
                  what, got->sd, ref->sd, esd);
}

static const int SCALES[] = { -1060, -1000, -600, -300, 300, 600, 900 };

/* Column 1 of X times 2^s: b_1 and its standard error times 2^-s. */
START_TEST(column_of_x_scaled)
{
    double X[N * P], y[N], Xs[N * P];
    make(X, y);
    for (int kind = MG_FIT_QR; kind <= MG_FIT_GRAM; kind++)
        for (int ic = 0; ic <= 1; ic++) {
            const figures ref = run(X, y, (mg_fit_kind)kind, ic);
            ck_assert_int_eq(ref.st, MG_OK);
            const size_t m = P + (size_t)ic;
            for (size_t t = 0; t < sizeof SCALES / sizeof SCALES[0]; t++) {
                const int s = SCALES[t];
                memcpy(Xs, X, sizeof X);
                for (size_t i = 0; i < N; i++)
                    Xs[i * P + 1] = ldexp(X[i * P + 1], s);
                int eb[M] = { 0 };
                eb[(size_t)ic + 1] = -s;
                char what[96];
                snprintf(what, sizeof what, "%s ic %d column 1 * 2^%d",
                         kind == MG_FIT_QR ? "QR" : "GRAM", ic, s);
                const figures got = run(Xs, y, (mg_fit_kind)kind, ic);
                /* inside the documented range (2^+-480) the fit must not refuse */
                if (abs(s) <= 300)
                    ck_assert_msg(got.st == MG_OK, "%s: status %d", what, (int)got.st);
                check(&ref, &got, m, eb, 0, what);
            }
        }
}
END_TEST

/* Column 1 of X replaced by -(x + 1) 2^s, every value negative: the
 * unweighted pass takes a column's largest magnitude from its minimum and
 * maximum, so a column large only in its negative values must be measured
 * by its minimum.  Below 2^-MG_FIT_RANGE the fit must refuse with
 * MG_ERANGE (a magnitude taken as 0 would let it through); above
 * 2^MG_FIT_RANGE with a refusal (MG_ERANGE, or MG_ENONFINITE where GRAM's
 * squares overflow first); inside, b_1 and se_1 are the unscaled fit's
 * times 2^-s, within TOL. */
START_TEST(negative_column_of_x_scaled)
{
    double X[N * P], y[N], Xn[N * P], Xs[N * P];
    make(X, y);
    memcpy(Xn, X, sizeof X);
    for (size_t i = 0; i < N; i++)
        Xn[i * P + 1] = -(X[i * P + 1] + 1.0); /* x + 1 >= 1 */
    static const int S[] = { -600, -300, 300, 600 };
    for (int kind = MG_FIT_QR; kind <= MG_FIT_GRAM; kind++)
        for (int ic = 0; ic <= 1; ic++) {
            const figures ref = run(Xn, y, (mg_fit_kind)kind, ic);
            ck_assert_int_eq(ref.st, MG_OK);
            for (size_t t = 0; t < sizeof S / sizeof S[0]; t++) {
                memcpy(Xs, Xn, sizeof X);
                for (size_t i = 0; i < N; i++)
                    Xs[i * P + 1] = ldexp(Xn[i * P + 1], S[t]);
                const figures got = run(Xs, y, (mg_fit_kind)kind, ic);
                char what[96];
                snprintf(what, sizeof what, "%s ic %d column 1 * -2^%d",
                         kind == MG_FIT_QR ? "QR" : "GRAM", ic, S[t]);
                if (S[t] < -MG_FIT_RANGE) {
                    ck_assert_msg(got.st == MG_ERANGE, "%s: status %d", what, (int)got.st);
                } else if (S[t] > MG_FIT_RANGE) {
                    ck_assert_msg(got.st == MG_ERANGE || got.st == MG_ENONFINITE,
                                  "%s: status %d", what, (int)got.st);
                } else {
                    ck_assert_msg(got.st == MG_OK, "%s: status %d", what, (int)got.st);
                    int eb[M] = { 0 };
                    eb[(size_t)ic + 1] = -S[t];
                    check(&ref, &got, P + (size_t)ic, eb, 0, what);
                }
            }
        }
}
END_TEST

/* y times 2^s: B, standard errors and residual sd times 2^s. */
START_TEST(response_scaled)
{
    double X[N * P], y[N], ys[N];
    make(X, y);
    for (int kind = MG_FIT_QR; kind <= MG_FIT_GRAM; kind++)
        for (int ic = 0; ic <= 1; ic++) {
            const figures ref = run(X, y, (mg_fit_kind)kind, ic);
            const size_t m = P + (size_t)ic;
            for (size_t t = 0; t < sizeof SCALES / sizeof SCALES[0]; t++) {
                const int s = SCALES[t];
                for (size_t i = 0; i < N; i++)
                    ys[i] = ldexp(y[i], s);
                int eb[M];
                for (size_t j = 0; j < M; j++)
                    eb[j] = s;
                char what[96];
                snprintf(what, sizeof what, "%s ic %d y * 2^%d", kind == MG_FIT_QR ? "QR" : "GRAM",
                         ic, s);
                const figures got = run(X, ys, (mg_fit_kind)kind, ic);
                if (abs(s) <= 300)
                    ck_assert_msg(got.st == MG_OK, "%s: status %d", what, (int)got.st);
                check(&ref, &got, m, eb, s, what);
            }
        }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fit_range");
    TCase *tc = tcase_create("range");
    tcase_add_test(tc, column_of_x_scaled);
    tcase_add_test(tc, negative_column_of_x_scaled);
    tcase_add_test(tc, response_scaled);
    suite_add_tcase(s, tc);
    return mgt_run(s);
}
