/* SPDX-License-Identifier: BSD-3-Clause */
/* The diagnostic plots' trend line (src/cli/lowess.c) against R's lowess()
 * (tests/data/r/lowess.txt, scripts/ref_lowess.R): cars (50 points, tied
 * x) and a 400-point wave with outliers (robustness passes, delta skips).
 * Tolerance: each smoothed value is a weighted mean of at most n values,
 * formed in a different order than R's, with weights that are smooth in
 * the data: an error of a few hundred eps times max |y| per pass, over 4
 * passes; 1e-10 max |y| leaves a wide margin and still catches any
 * difference of algorithm (window, weights, robustness, interpolation),
 * which moves values by 1e-3 or more. */
#include "lowess.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check_case(FILE *f, const char *want)
{
    char name[64];
    size_t n;
    ck_assert_int_eq(fscanf(f, " case %63s %zu", name, &n), 2);
    ck_assert_str_eq(name, want);
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y), *r = malloc(n * sizeof *r),
           *ys = malloc(n * sizeof *ys);
    ck_assert(x && y && r && ys);
    double ymax = 0.0;
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq(fscanf(f, "%lf %lf %lf", &x[i], &y[i], &r[i]), 3);
        ymax = fmax(ymax, fabs(y[i]));
    }
    ck_assert_int_eq(mgcli_lowess(x, y, n, 2.0 / 3.0, 3, 0.01 * (x[n - 1] - x[0]), ys), 0);
    double worst = 0.0;
    for (size_t i = 0; i < n; i++)
        worst = fmax(worst, fabs(ys[i] - r[i]));
    printf("%s: max |lowess - R| = %.3g (max |y| %.3g)\n", name, worst, ymax);
    ck_assert_msg(worst <= 1e-10 * ymax, "%s: lowess differs from R's by %.3g", name, worst);
    free(x);
    free(y);
    free(r);
    free(ys);
}

START_TEST(matches_r)
{
    char path[512];
    snprintf(path, sizeof path, "%s/r/lowess.txt", MG_DATA_DIR);
    FILE *f = fopen(path, "r");
    ck_assert(f);
    char line[256];
    ck_assert(fgets(line, sizeof line, f)); /* the comment */
    check_case(f, "cars");
    check_case(f, "wave");
    fclose(f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli_lowess");
    TCase *tc = tcase_create("lowess");
    tcase_add_test(tc, matches_r);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    const int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
