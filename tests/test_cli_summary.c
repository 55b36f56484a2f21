/* SPDX-License-Identifier: BSD-3-Clause */
/* The command's summary(lm) printer (src/cli/summary.c, rformat.c) against
 * R's own printout: for every case of tests/data/r/lm, the printer is given
 * R's numbers (<case>_ref.txt) and must print, character for character,
 * what R printed for them (<case>_summary.txt, scripts/ref_lm_print.R),
 * from "Residuals:" to the F statistic.  Formatting only: the numbers the
 * command computes are tested against R elsewhere (test_infer_r). */
#define _POSIX_C_SOURCE 200809L
#include "rformat.h"
#include "rlm_ref.h"
#include "summary.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const CASES[] = {
    "airquality", "cars", "cars_weighted_zero", "constant_target", "iris", "longley",
    "mtcars", "mtcars_weighted", "perfect_fit", "rock_tab", "stackloss_semicolon",
    "swiss_aliased", "trees_noint", "trees_ones", "trees_ones_mean",
};

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    ck_assert(m != NULL);
    int c;
    while ((c = fgetc(f)) != EOF)
        fputc(c, m);
    fclose(f);
    fclose(m);
    return buf;
}

/* The printout from "Residuals:" on, without the trailing newline. */
static char *printed(const mgcli_summary *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    ck_assert(m != NULL);
    ck_assert_int_eq(mgcli_summary_print(m, s), 0);
    fclose(m);
    char *from = strstr(buf, "Residuals:");
    ck_assert(from != NULL);
    while (from > buf && from[-1] != '\n')
        from--; /* "Weighted Residuals:" */
    char *out = strdup(from);
    free(buf);
    size_t n = strlen(out);
    while (n && out[n - 1] == '\n')
        out[--n] = '\0';
    return out;
}

START_TEST(matches_r)
{
    const char *name = CASES[_i];
    char path[512], err[256];
    snprintf(path, sizeof path, "%s/r/lm/%s_ref.txt", MG_DATA_DIR, name);
    rlm_ref ref;
    ck_assert_msg(rlm_ref_load(path, &ref, err, sizeof err) == 0, "%s", err);

    const size_t m = rlm_ref_count(&ref, "coef");
    const char **names = calloc(m, sizeof *names);
    double *v = calloc(4 * m, sizeof *v);
    ck_assert(names && v);
    size_t n_aliased = 0;
    for (size_t i = 0; i < m; i++) {
        const rlm_record *r = rlm_ref_nth(&ref, "coef", i);
        names[i] = r->label[0];
        for (size_t j = 0; j < 4; j++)
            v[j * m + i] = r->v[j];
        n_aliased += isnan(r->v[0]);
    }
    mgcli_summary s = { 0 };
    s.call = "lm";
    s.m = m;
    s.names = names;
    s.coef = v;
    s.se = v + m;
    s.t = v + 2 * m;
    s.p = v + 3 * m;
    s.n_aliased = n_aliased;
    s.sigma = rlm_ref_scalar(&ref, "sigma");
    s.df_residual = (size_t)rlm_ref_scalar(&ref, "df_residual");
    s.n_deleted = (size_t)rlm_ref_scalar(&ref, "deleted");
    s.weighted = strstr(name, "weighted") != NULL;
    const rlm_record *q = rlm_ref_nth(&ref, "resid_quantiles", 0);
    ck_assert(q && q->nv == 5);
    s.have_quantiles = 1;
    memcpy(s.quantiles, q->v, sizeof s.quantiles);
    const size_t nr = rlm_ref_count(&ref, "resid");
    double *resid = calloc(nr ? nr : 1, sizeof *resid);
    ck_assert(resid);
    for (size_t i = 0; i < nr; i++)
        resid[i] = rlm_ref_nth(&ref, "resid", i)->v[0];
    s.resid = resid;
    s.n_resid = nr;
    const rlm_record *f = rlm_ref_nth(&ref, "fstatistic", 0);
    if (f) {
        s.have_f = 1;
        s.f = f->v[0];
        s.df1 = (size_t)f->v[1];
        s.df2 = (size_t)f->v[2];
        s.f_p = rlm_ref_scalar(&ref, "f_pvalue");
        s.r2 = rlm_ref_scalar(&ref, "r_squared");
        s.adj_r2 = rlm_ref_scalar(&ref, "adj_r_squared");
    }
    char *got = printed(&s);
    snprintf(path, sizeof path, "%s/r/lm/%s_summary.txt", MG_DATA_DIR, name);
    char *want = slurp(path);
    size_t n = strlen(want);
    while (n && want[n - 1] == '\n')
        want[--n] = '\0';
    if (strcmp(got, want) != 0)
        printf("%s: printed\n%s\n--- R printed\n%s\n", name, got, want);
    ck_assert_msg(strcmp(got, want) == 0, "%s: the printout differs from R's (see above)", name);
    free(got);
    free(want);
    free(resid);
    free(names);
    free(v);
    rlm_ref_free(&ref);
}
END_TEST

/* R's format() rules on values whose notation or width is decided at an
 * edge (each string is what R 4.2.2 prints for format(x, digits = 4)). */
START_TEST(format_edges)
{
    static const struct { double x; const char *want; } one[] = {
        { 0.0, "0" }, { 1.0, "1" }, { -2.5, "-2.5" }, { 123456.0, "123456" },
        { 1234567.0, "1234567" }, { 0.0001234, "0.0001234" }, { 1.234e-5, "1.234e-05" },
        { 9.99996, "10" }, { 1e15, "1e+15" }, { 123456789012.0, "1.235e+11" },
        { 2.220446049250313e-16, "2.22e-16" },
    };
    for (size_t i = 0; i < sizeof one / sizeof *one; i++) {
        mgcli_rnum s;
        mgcli_rformat1(one[i].x, 4, s);
        ck_assert_msg(strcmp(s, one[i].want) == 0, "format(%.17g, digits = 4): %s, R: %s",
                      one[i].x, s, one[i].want);
    }
    const double vec[3] = { 12.30337, -0.11144, 0.01334 };
    mgcli_rnum out[3];
    mgcli_rformat(vec, 3, 4, out);
    ck_assert_str_eq(out[0], "12.30337");
    ck_assert_str_eq(out[1], "-0.11144");
    ck_assert_str_eq(out[2], "0.01334");
    const double pv[3] = { 1e-20, 0.5181, 3.2e-7 };
    mgcli_rformat_pval(pv, 3, 3, 2.220446049250313e-16, out);
    ck_assert_str_eq(out[0], "< 2e-16");
    ck_assert_str_eq(out[1], "0.518");
    ck_assert_str_eq(out[2], "3.2e-07");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli_summary");
    TCase *tc = tcase_create("summary");
    tcase_add_loop_test(tc, matches_r, 0, (int)(sizeof CASES / sizeof *CASES));
    tcase_add_test(tc, format_edges);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    const int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
