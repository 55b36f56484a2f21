/* SPDX-License-Identifier: BSD-3-Clause */
/* Weighted least squares against R's lm(weights = ): the semantics of every
 * statistic (coefficients, standard errors, residual standard error with
 * its degrees of freedom, R^2 and adjusted R^2 about the weighted mean,
 * zero weights leaving the degrees of freedom), with and without an
 * intercept, for every method.  The reference values come from
 * scripts/ref_weighted_lm.R (R 4.2.2, committed as tests/data/r/
 * weighted_lm.txt, so CI needs no R).
 *
 * Tolerance: R solves by Householder QR (backward stable: relative forward
 * error of B at most c m kappa eps + kappa^2 eps ||r|| / (||Z|| ||B||)),
 * matgrad to the exact answer rounded; the statistics follow from B, RSS
 * and the factor with the same orders.  tol = 64 m kappa^2 eps covers both
 * with kappa = m / rcond (rcond: the 1-norm estimate of the equilibrated
 * design, which may overstate 1 / kappa_2 by up to sqrt(m) each way).  The
 * test asserts tol < 1e-8: a different convention (a zero weight counted in
 * df, R^2 about zero, an unweighted mean) moves these statistics by percent,
 * not by 1e-8. */
#include "mgtest.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { N = 30, NX = 3 };

typedef struct ref {
    double coef[NX + 1], se[NX + 1], sigma, r2, adjr2;
    size_t df;
} ref;

static double X[N * NX], Y[N], W[N];
static ref with_ic, without_ic;

static void read_values(const char *line, const char *key, double *v, size_t n)
{
    const char *s = line + strlen(key);
    for (size_t i = 0; i < n; i++) {
        char *end;
        v[i] = strtod(s, &end);
        ck_assert_msg(end != s, "bad number in '%s'", line);
        s = end;
    }
}

static void load(void)
{
    const char *path = mgt_data_path("r/weighted_lm.txt");
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char line[512];
    size_t rows = 0;
    while (fgets(line, sizeof line, f)) {
        double v[5];
        if (strncmp(line, "row ", 4) == 0) {
            ck_assert_uint_lt(rows, N);
            read_values(line, "row", v, 5);
            memcpy(X + rows * NX, v, NX * sizeof *v);
            Y[rows] = v[3];
            W[rows] = v[4];
            rows++;
            continue;
        }
        ref *r = strncmp(line, "intercept ", 10) == 0     ? &with_ic
                 : strncmp(line, "nointercept ", 12) == 0 ? &without_ic
                                                          : NULL;
        if (!r)
            continue;
        const size_t m = r == &with_ic ? NX + 1 : NX;
        const char *key = strchr(line, ' ') + 1;
        char field[16];
        ck_assert(sscanf(key, "%15s", field) == 1);
        const char *rest = key + strlen(field);
        if (strcmp(field, "coef") == 0)
            read_values(rest, "", r->coef, m);
        else if (strcmp(field, "se") == 0)
            read_values(rest, "", r->se, m);
        else if (strcmp(field, "sigma") == 0)
            read_values(rest, "", &r->sigma, 1);
        else if (strcmp(field, "r2") == 0)
            read_values(rest, "", &r->r2, 1);
        else if (strcmp(field, "adjr2") == 0)
            read_values(rest, "", &r->adjr2, 1);
        else if (strcmp(field, "df") == 0)
            r->df = (size_t)strtoul(rest, NULL, 10);
    }
    fclose(f);
    ck_assert_uint_eq(rows, N);
}

static void close_to(double got, double want, double tol, const char *what, int ic, int method)
{
    ck_assert_msg(fabs(got - want) <= tol * fabs(want),
                  "intercept %d method %d %s: %.17g, R %.17g (rel %.3g > %.3g)", ic, method, what,
                  got, want, fabs(got - want) / fabs(want), tol);
}

static void check(int ic, const ref *r)
{
    const size_t m = NX + (size_t)ic;
    mg_matrix Xv = mg_matrix_view(X, N, NX), Yv = mg_matrix_view(Y, N, 1),
              Wv = mg_matrix_view(W, N, 1);
    for (int method = MG_LSTSQ_AUTO; method <= MG_LSTSQ_SVD; method++) {
        double B[NX + 1], SE[NX + 1], sd, r2, ar2;
        mg_matrix Bv = mg_matrix_view(B, m, 1), SEv = mg_matrix_view(SE, m, 1);
        mg_lstsq_options o = mg_lstsq_defaults();
        o.intercept = ic;
        o.method = (mg_lstsq_method)method;
        o.weights = &Wv;
        mg_lstsq_result res;
        memset(&res, 0, sizeof res);
        res.std_err = &SEv;
        res.residual_sd = &sd;
        res.r_squared = &r2;
        res.adj_r_squared = &ar2;
        ck_assert_int_eq(mg_lstsq(&Xv, &Yv, &Bv, &o, &res), MG_OK);
        const double kappa = (double)m / res.rcond;
        const double tol = 64.0 * (double)m * kappa * kappa * DBL_EPSILON;
        ck_assert_msg(tol < 1e-8, "tolerance %.3g (kappa %.3g) would not tell conventions apart",
                      tol, kappa);
        ck_assert_uint_eq(res.df_residual, r->df);
        ck_assert_uint_eq(res.rank, m);
        for (size_t j = 0; j < m; j++) {
            close_to(B[j], r->coef[j], tol, "coefficient", ic, method);
            close_to(SE[j], r->se[j], tol, "standard error", ic, method);
        }
        close_to(sd, r->sigma, tol, "residual sd", ic, method);
        close_to(r2, r->r2, tol, "R^2", ic, method);
        close_to(ar2, r->adjr2, tol, "adjusted R^2", ic, method);
    }
}

START_TEST(matches_r_with_intercept)
{
    load();
    check(1, &with_ic);
}
END_TEST

START_TEST(matches_r_without_intercept)
{
    load();
    check(0, &without_ic);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lstsq_weights_r");
    TCase *tc = tcase_create("r");
    tcase_add_test(tc, matches_r_with_intercept);
    tcase_add_test(tc, matches_r_without_intercept);
    suite_add_tcase(s, tc);
    return mgt_run(s);
}
