/* SPDX-License-Identifier: BSD-3-Clause */
/* Exact quartiles in bounded memory (src/cli/quantiles.c) against sorting:
 * bitwise the same five numbers (an order statistic is a value of the data;
 * the interpolation is the same formula), for sizes around the in-memory
 * threshold and data that stress the narrowing: random, all equal, a few
 * distinct values repeated (bins that never shrink below the collect
 * threshold: narrowing down to single values), sorted, tiny and huge
 * magnitudes of both signs, signed zeros; fed in a different order on each
 * pass. */
#include "quantiles.h"
#include "rformat.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 88172645463325252ULL;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static double unif(void)
{
    return (double)(next() >> 11) * 0x1p-53;
}

static int cmp(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Feeds v in blocks, reversed on odd passes, until done; returns passes. */
static int run(mgcli_qsel *s, const double *v, size_t n, double *rev)
{
    for (size_t i = 0; i < n; i++)
        rev[i] = v[n - 1 - i];
    for (int pass = 0; pass < 8; pass++) {
        const double *src = pass % 2 ? rev : v;
        for (size_t i = 0; i < n; i += 1000)
            ck_assert_int_eq(mgcli_qsel_add(s, src + i, n - i < 1000 ? n - i : 1000), 0);
        int rc = mgcli_qsel_end_pass(s);
        ck_assert_int_ge(rc, 0);
        if (rc == 0)
            return pass + 1;
    }
    ck_abort_msg("no result after 8 passes");
    return 0;
}

static void check(const double *v, size_t n, const char *what)
{
    double *sorted = malloc(n * sizeof *sorted), *rev = malloc(n * sizeof *rev);
    ck_assert(sorted && rev);
    memcpy(sorted, v, n * sizeof *v);
    qsort(sorted, n, sizeof *sorted, cmp);
    mgcli_qsel *s = mgcli_qsel_new(n);
    ck_assert(s);
    const int passes = run(s, v, n, rev);
    double q[5];
    mgcli_qsel_result(s, q);
    static const double probs[5] = { 0.0, 0.25, 0.5, 0.75, 1.0 };
    for (int i = 0; i < 5; i++) {
        const double want = mgcli_rquantile7(sorted, n, probs[i]);
        ck_assert_msg(memcmp(&q[i], &want, sizeof want) == 0 || (q[i] == 0 && want == 0),
                      "%s, n %zu: quantile %g is %.17g, sorting gives %.17g", what, n, probs[i],
                      q[i], want);
    }
    printf("%-28s n %7zu: %d pass%s\n", what, n, passes, passes == 1 ? "" : "es");
    mgcli_qsel_free(s);
    free(sorted);
    free(rev);
}

START_TEST(matches_sorting)
{
    const size_t sizes[] = { 1, 2, 3, 7, 1000, MGCLI_QSEL_KEEP, MGCLI_QSEL_KEEP + 1, 300001 };
    for (size_t z = 0; z < sizeof sizes / sizeof *sizes; z++) {
        const size_t n = sizes[z];
        double *v = malloc(n * sizeof *v);
        ck_assert(v);
        for (size_t i = 0; i < n; i++)
            v[i] = unif() - 0.5;
        check(v, n, "uniform");
        for (size_t i = 0; i < n; i++)
            v[i] = 3.25;
        check(v, n, "all equal");
        for (size_t i = 0; i < n; i++)
            v[i] = (double)(next() % 5) - 2.0; /* -2 .. 2, each ~n/5 times */
        check(v, n, "five values repeated");
        for (size_t i = 0; i < n; i++)
            v[i] = (double)i * 1e-3;
        check(v, n, "sorted");
        for (size_t i = 0; i < n; i++)
            v[i] = ldexp(unif() - 0.5, (int)(next() % 600) - 300);
        check(v, n, "magnitudes 1e-90 .. 1e90");
        for (size_t i = 0; i < n; i++)
            v[i] = (next() % 3 == 0) ? (next() % 2 ? 0.0 : -0.0) : unif() - 0.5;
        check(v, n, "signed zeros");
        free(v);
    }
}
END_TEST

/* A pass that does not see the n values is refused. */
START_TEST(changed_input)
{
    const size_t n = MGCLI_QSEL_KEEP + 10;
    double *v = malloc(n * sizeof *v);
    ck_assert(v);
    for (size_t i = 0; i < n; i++)
        v[i] = unif();
    mgcli_qsel *s = mgcli_qsel_new(n);
    ck_assert(s);
    ck_assert_int_eq(mgcli_qsel_add(s, v, n - 1), 0);
    ck_assert_int_eq(mgcli_qsel_end_pass(s), -1);
    mgcli_qsel_free(s);
    ck_assert_ptr_null(mgcli_qsel_new(0));
    free(v);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli_quantiles");
    TCase *tc = tcase_create("quantiles");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, matches_sorting);
    tcase_add_test(tc, changed_input);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    const int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
