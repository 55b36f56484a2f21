/* SPDX-License-Identifier: BSD-3-Clause */
/* rules_scale: the LU rules (mg_grad_inverse, mg_grad_logdet, mg_grad_det,
 * mg_logdet, mg_det) on well-conditioned matrices scaled across the whole
 * double range, subnormal entries included, against exact answers.
 *
 * Two families, both with answers known in closed form:
 *   X = 2^p M, p = -1074 ... 1022, with M a fixed integer matrix of
 *     det -1 (so X is exact in double, subnormal or not, and M^-1 is an
 *     integer matrix): X^-1 = 2^-p M^-1, det X = -2^(3p);
 *   X = s I (3 x 3), s = 10^t for t = -323 ... 308 as stored, and a few
 *     edge values (the smallest subnormal, DBL_MIN, DBL_MAX).
 * The references are formed in long double (15-bit exponent), so a result
 * that over- or underflows in double is still known exactly.
 *
 * Contract checked (rules.h): a gradient or value that is representable in
 * double comes back MG_OK and accurate; one whose largest entry overflows
 * gives MG_ENONFINITE with the output untouched; underflow is gradual (IEEE
 * subnormals, then 0) with MG_OK.  A rescaling of X never changes whether X
 * is judged singular (rcond is scale invariant). */
#include "mgtest.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

enum { N = 3 };
/* |det M| = 1, det M = -1 (a negative sign exercises the sign tracking). */
static const double M[N * N] = { 2, 3, 1, 1, 1, 1, 1, 2, 1 };
static const double MINV[N * N] = { 1, 1, -2, 0, -1, 1, -1, 1, 1 };
/* An arbitrary integer direction for the chain rule through X^-1. */
static const double GY0[N * N] = { 1, -2, 0, 3, 1, -1, 0, 2, 1 };
/* cond_1(M) = ||M||_1 ||M^-1||_1 = 6 * 4 */
static const double KAPPA_M = 24.0;

/* Error bounds (Higham, "Accuracy and Stability of Numerical Algorithms",
 * ch. 9 and 14): LU with partial pivoting is backward stable with
 * |dX| <= gamma_n |L||U|, so a computed inverse has normwise relative error
 * <= c n eps kappa(X), c a small constant (growth is bounded for these 3 x 3
 * matrices); we take c = 8.  The power-of-two scaling that matgrad applies
 * is exact and does not change kappa.  GX = -X^-T GY X^-T goes through two
 * solves (twice the bound) and det(X) X^-T through the det's relative
 * error, itself <= n * (backward error) * kappa; both get 2x.  A result in
 * the subnormal range is rounded to a multiple of DBL_TRUE_MIN; the final
 * scaling may round twice, so each entry may also be off by 2 DBL_TRUE_MIN. */
static double inv_tol(double kappa)
{
    return 8.0 * N * DBL_EPSILON * kappa;
}

static long double max_abs_l(const long double *r)
{
    long double m = 0.0L;
    for (int i = 0; i < N * N; i++)
        m = fmaxl(m, fabsl(r[i]));
    return m;
}

/* Checks a gradient output against the exact R: MG_ENONFINITE and G
 * untouched when R's largest entry is beyond DBL_MAX, MG_OK and
 * max |G - R| <= tol max |R| + 2 DBL_TRUE_MIN otherwise.  Within tol of
 * DBL_MAX either answer is right (the computed value may round across). */
static void check_grad(const char *what, long double key, mg_status st, const mgt_mat *G,
                       const double *before, const long double *R, double tol)
{
    const long double rmax = max_abs_l(R);
    const long double top = (long double)DBL_MAX;
    ck_assert(mgt_padding_intact(G));
    if (rmax > top * (1.0L + tol)) {
        ck_assert_msg(st == MG_ENONFINITE, "%s at %Lg: status %d, overflow expected", what, key, st);
        ck_assert_msg(mgt_unchanged(G, before), "%s at %Lg: output written on error", what, key);
        return;
    }
    if (rmax > top * (1.0L - tol) && st == MG_ENONFINITE)
        return;
    ck_assert_msg(st == MG_OK, "%s at %Lg: status %d (%s)", what, key, st, mg_strerror(st));
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < N; j++) {
            const long double g = mgt_get(&G->v, i, j), r = R[i * N + j];
            ck_assert_msg(fabsl(g - r) <= tol * rmax + 2.0L * DBL_TRUE_MIN,
                          "%s at %Lg: G(%zu,%zu) = %.17Lg, exact %.17Lg", what, key, i, j, g, r);
        }
}

/* The exact answers for X = c A with A = M or I: X^-1 = A^-1 / c. */
typedef struct exact {
    long double logdet, det;            /* log|det X|, det X */
    long double inv_t[N * N];           /* X^-T */
    long double gdet[N * N];            /* det(X) X^-T */
    long double ginv[2][N * N];         /* -X^-T GY X^-T for the two GY below */
    double gy[2][N * N];
} exact;

/* R = -A^T B A^T for 3 x 3 long double matrices (A = X^-T given as X^-T). */
static void sandwich_l(const long double *xit, const double *gy, long double *R)
{
    long double T[N * N];
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            long double s = 0.0L;
            for (int k = 0; k < N; k++)
                s += xit[i * N + k] * gy[k * N + j];
            T[i * N + j] = s;
        }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            long double s = 0.0L;
            for (int k = 0; k < N; k++)
                s += T[i * N + k] * xit[k * N + j];
            R[i * N + j] = -s;
        }
}

/* GY0 and GY0 * 2^q, q chosen so -X^-T GY X^-T stays in range where it can. */
static void fill_gy(exact *e, int q)
{
    if (q < -1070)
        q = -1070;
    if (q > 1018)
        q = 1018;
    for (int i = 0; i < N * N; i++) {
        e->gy[0][i] = GY0[i];
        e->gy[1][i] = ldexp(GY0[i], q);
    }
}

/* Runs all five functions on X (contiguous and through a strided copy)
 * and compares with e. */
static void run_all(const double *x, const exact *e, long double key, double kappa)
{
    const double tol = inv_tol(kappa);
    mgt_mat X = mgt_from(x, N, N, 2), G = mgt_alloc(N, N, 1);
    mgt_fill(&G, 7.0);
    double *g0 = mgt_snapshot(&G);

    check_grad("grad_logdet", key, mg_grad_logdet(&X.v, &G.v), &G, g0, e->inv_t, tol);
    free(g0);
    mgt_fill(&G, 7.0);
    g0 = mgt_snapshot(&G);
    check_grad("grad_det", key, mg_grad_det(&X.v, &G.v), &G, g0, e->gdet, 2.0 * tol);
    for (int t = 0; t < 2; t++) {
        mgt_mat GY = mgt_from(e->gy[t], N, N, 1);
        free(g0);
        mgt_fill(&G, 7.0);
        g0 = mgt_snapshot(&G);
        check_grad(t ? "grad_inverse(GY 2^q)" : "grad_inverse", key,
                   mg_grad_inverse(&X.v, &GY.v, &G.v), &G, g0, e->ginv[t], 2.0 * tol);
        mgt_free(&GY);
    }

    /* log|det X| is finite for every nonsingular finite X; its absolute
     * error is the det's relative error, <= tol, plus the rounding of the
     * result (and of the exponent times log 2), 2 eps |log|det||. */
    double l = 7.0, sg = 0.0;
    mg_status st = mg_logdet(&X.v, &l, &sg);
    ck_assert_msg(st == MG_OK, "logdet at %Lg: status %d", key, st);
    ck_assert_msg(fabsl(l - e->logdet) <= tol + 2.0 * DBL_EPSILON * fabsl(e->logdet),
                  "logdet at %Lg: %.17g, exact %.17Lg", key, l, e->logdet);
    ck_assert_msg(sg == (e->det < 0 ? -1.0 : 1.0), "logdet sign at %Lg: %g", key, sg);

    /* det X: relative error <= tol while normal; gradual underflow below
     * (an absolute 2 DBL_TRUE_MIN); MG_ENONFINITE and untouched beyond
     * DBL_MAX (rules.h: use mg_logdet then). */
    double d = 7.0;
    st = mg_det(&X.v, &d);
    const long double ad = fabsl(e->det), top = (long double)DBL_MAX;
    if (ad > top * (1.0L + tol)) {
        ck_assert_msg(st == MG_ENONFINITE, "det at %Lg: status %d, overflow expected", key, st);
        ck_assert_double_eq(d, 7.0);
    } else if (!(ad > top * (1.0L - tol) && st == MG_ENONFINITE)) {
        ck_assert_msg(st == MG_OK, "det at %Lg: status %d", key, st);
        ck_assert_msg(fabsl(d - e->det) <= tol * ad + 2.0L * DBL_TRUE_MIN,
                      "det at %Lg: %.17g, exact %.17Lg", key, d, e->det);
    }
    free(g0);
    mgt_free(&X);
    mgt_free(&G);
}

/* X = 2^p M. */
static void power_of_two_case(int p)
{
    double x[N * N];
    exact e;
    for (int i = 0; i < N * N; i++)
        x[i] = ldexp(M[i], p);                  /* exact: M's entries are 1, 2, 3 */
    /* X^-T = 2^-p M^-T; det X = -2^(3p); log|det X| = 3p log 2 */
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            e.inv_t[i * N + j] = ldexpl(MINV[j * N + i], -p);
    e.det = -ldexpl(1.0L, 3 * p);
    e.logdet = 3.0L * p * logl(2.0L);
    for (int i = 0; i < N * N; i++)
        e.gdet[i] = e.det * e.inv_t[i];
    fill_gy(&e, 2 * p);
    for (int t = 0; t < 2; t++)
        sandwich_l(e.inv_t, e.gy[t], e.ginv[t]);
    run_all(x, &e, (long double)p, KAPPA_M);
}

/* Every p that keeps X finite, in one process (a forked Check loop test
 * per p costs more than the checks). */
START_TEST(power_of_two_times_dense)
{
    for (int p = -1074; p <= 1022; p++)
        power_of_two_case(p);
}
END_TEST

/* The s values of the s I family. */
static double s_value(int i)
{
    static const double edge[] = { DBL_TRUE_MIN, 3 * DBL_TRUE_MIN, DBL_MIN / 3, DBL_MIN,
                                   DBL_MAX, 0x1p-1000, 0x1.8p+1000 };
    enum { NT = 308 + 323 + 1 };
    if (i < NT)
        return (double)powl(10.0L, (long double)(i - 323));
    return edge[i - NT];
}
enum { NS = 308 + 323 + 1 + 7 };

static void identity_case(double s)
{
    const long double sl = s;
    double x[N * N] = { 0 };
    exact e;
    for (int i = 0; i < N; i++)
        x[i * N + i] = s;
    for (int i = 0; i < N * N; i++)
        e.inv_t[i] = i % (N + 1) == 0 ? 1.0L / sl : 0.0L;
    e.det = sl * sl * sl;
    e.logdet = 3.0L * logl(sl);
    for (int i = 0; i < N * N; i++)
        e.gdet[i] = e.det * e.inv_t[i];
    fill_gy(&e, 2 * ilogb(s));
    for (int t = 0; t < 2; t++)
        sandwich_l(e.inv_t, e.gy[t], e.ginv[t]);
    run_all(x, &e, sl, 1.0);
}

START_TEST(multiple_of_identity)
{
    for (int i = 0; i < NS; i++)
        identity_case(s_value(i));
}
END_TEST

/* A nearly singular X stays singular at every scale, and a perfectly
 * conditioned one is never called singular (rcond is scale invariant,
 * so it must be judged on the scaled matrix). */
START_TEST(singularity_is_scale_invariant)
{
    /* cond_1 = (2 + 2^-50)^2 / 2^-50 ~ 4.5e15 > 1 / (2 eps): below the
     * threshold n eps on rcond (rules.h) */
    const int ps[] = { -1024, -1000, -600, -52, 0, 300, 1000, 1022 };
    for (size_t t = 0; t < sizeof ps / sizeof ps[0]; t++) {
        const int p = ps[t];
        const double ns[] = { ldexp(1, p), ldexp(1, p), ldexp(1, p), ldexp(1 + 0x1p-50, p) };
        const double gy[] = { 1, 0, 0, 1 };
        mgt_mat X = mgt_from(ns, 2, 2, 0), GY = mgt_from(gy, 2, 2, 0), G = mgt_alloc(2, 2, 1);
        double *g0 = mgt_snapshot(&G);
        ck_assert_msg(mg_grad_logdet(&X.v, &G.v) == MG_ESINGULAR, "logdet 2^%d", p);
        ck_assert_msg(mg_grad_det(&X.v, &G.v) == MG_ESINGULAR, "det 2^%d", p);
        ck_assert_msg(mg_grad_inverse(&X.v, &GY.v, &G.v) == MG_ESINGULAR, "inverse 2^%d", p);
        ck_assert(mgt_unchanged(&G, g0));
        /* the value is still defined: det = 2^(2p - 50), log|det| = (2p - 50) log 2 */
        double l = 0.0, d = 0.0;
        ck_assert_int_eq(mg_logdet(&X.v, &l, NULL), MG_OK);
        /* absolute error: the det's relative error, n eps kappa ~ 4.5e15 * 4.4e-16
         * ~ 2, is the bound from perturbation theory; the LU of this 2 x 2 is exact
         * (pivot 1, multiplier 1, pivot 2^(p-50) formed without rounding), so only
         * the final rounding remains: 2 eps |log|det|| */
        const double lref = (2.0 * p - 50.0) * log(2.0);
        ck_assert_double_le(fabs(l - lref), 2.0 * DBL_EPSILON * fabs(lref) + 4 * DBL_EPSILON);
        /* exact, 0 when it underflows; beyond DBL_MAX the documented overflow */
        if (2 * p - 50 < DBL_MAX_EXP) {
            ck_assert_int_eq(mg_det(&X.v, &d), MG_OK);
            ck_assert_double_eq(d, ldexp(1, 2 * p - 50));
        } else {
            ck_assert_int_eq(mg_det(&X.v, &d), MG_ENONFINITE);
        }
        free(g0);
        mgt_free(&X); mgt_free(&GY); mgt_free(&G);
    }
}
END_TEST

/* An exactly zero matrix is singular at any scale: the zero test does not
 * divide by a zero norm. */
START_TEST(zero_matrix)
{
    double z[N * N] = { 0 }, d = 7.0, l = 7.0;
    mgt_mat X = mgt_from(z, N, N, 0), G = mgt_alloc(N, N, 0), GY = mgt_from(GY0, N, N, 0);
    ck_assert_int_eq(mg_grad_logdet(&X.v, &G.v), MG_ESINGULAR);
    ck_assert_int_eq(mg_grad_det(&X.v, &G.v), MG_ESINGULAR);
    ck_assert_int_eq(mg_grad_inverse(&X.v, &GY.v, &G.v), MG_ESINGULAR);
    ck_assert_int_eq(mg_logdet(&X.v, &l, NULL), MG_ESINGULAR);
    ck_assert_double_eq(l, 7.0);
    ck_assert_int_eq(mg_det(&X.v, &d), MG_OK);
    ck_assert_double_eq(d, 0.0);
    mgt_free(&X); mgt_free(&G); mgt_free(&GY);
}
END_TEST

/* GX = -X^-T GY X^-T representable while GY is near DBL_MAX: X = 4 M and
 * GY = 2^1021 I give GX = -2^1017 M^-T M^-T, entries up to 3 * 2^1017.
 * X scaled into [1/2, 1) is M / 4, whose inverse is 4 M^-1: a first solve
 * X_s^-T GY with GY left unscaled reaches 2 * 4 * 2^1021 = 2^1024 and
 * overflows on the way to a representable answer. */
START_TEST(huge_direction)
{
    double x[N * N], gy[N * N] = { 0 };
    exact e;
    for (int i = 0; i < N * N; i++)
        x[i] = ldexp(M[i], 2);
    for (int i = 0; i < N; i++)
        gy[i * N + i] = 0x1p1021;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            e.inv_t[i * N + j] = ldexpl(MINV[j * N + i], -2);
    sandwich_l(e.inv_t, gy, e.ginv[0]);
    mgt_mat X = mgt_from(x, N, N, 0), GY = mgt_from(gy, N, N, 0), G = mgt_alloc(N, N, 1);
    double *g0 = mgt_snapshot(&G);
    check_grad("grad_inverse(huge GY)", 0x1p1021L, mg_grad_inverse(&X.v, &GY.v, &G.v), &G, g0,
               e.ginv[0], 2.0 * inv_tol(KAPPA_M));
    free(g0);
    mgt_free(&X); mgt_free(&GY); mgt_free(&G);
}
END_TEST

/* mg_det and mg_logdet have no condition test, so they must not lose a
 * row that is tiny next to another: each row is scaled on its own.  For a
 * triangular X, LU is exact (no multiplier is formed from a rounded value)
 * and so is det X = the product of the diagonal. */
START_TEST(values_keep_tiny_rows)
{
    /* det = -2^1023 2^-60 = -2^963 (one swap-free LU, the diagonal) */
    const double d2[] = { 0x1p1023, 0x1p1000, 0, -0x1p-60 };
    /* upper triangular, a subnormal row under a row of norm 2^900: one
     * scale for the whole X would flush 2^-1060 to 0 and call X singular */
    const double t3[] = { 0.5, 0x1p900, -0x1p-1070, 0, 0x1p-1060, 0x1p-1062, 0, 0, 3 };
    mgt_mat A = mgt_from(d2, 2, 2, 1), T = mgt_from(t3, 3, 3, 0);
    double d = 0.0, l = 0.0, sg = 0.0;
    ck_assert_int_eq(mg_det(&A.v, &d), MG_OK);
    ck_assert_double_eq(d, -0x1p963);
    ck_assert_int_eq(mg_logdet(&A.v, &l, &sg), MG_OK);
    /* only the final rounding of 963 log 2 and of the sum: 2 eps |l| */
    ck_assert_double_le(fabs(l - 963.0 * log(2.0)), 2.0 * DBL_EPSILON * 963.0 * log(2.0));
    ck_assert_double_eq(sg, -1.0);
    /* det = 1.5 2^-1060 = 3 2^-1061, a subnormal, exact */
    ck_assert_int_eq(mg_det(&T.v, &d), MG_OK);
    ck_assert_double_eq(d, 3 * 0x1p-1061);
    ck_assert_int_eq(mg_logdet(&T.v, &l, &sg), MG_OK);
    const double lref = log(3.0) - 1061.0 * log(2.0);
    ck_assert_double_le(fabs(l - lref), 4.0 * DBL_EPSILON * fabs(lref));
    ck_assert_double_eq(sg, 1.0);
    mgt_free(&A); mgt_free(&T);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rules_scale");
    TCase *tc = tcase_create("rules_scale");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, power_of_two_times_dense);
    tcase_add_test(tc, multiple_of_identity);
    tcase_add_test(tc, singularity_is_scale_invariant);
    tcase_add_test(tc, zero_matrix);
    tcase_add_test(tc, huge_direction);
    tcase_add_test(tc, values_keep_tiny_rows);
    suite_add_tcase(s, tc);
    return mgt_run(s);
}
