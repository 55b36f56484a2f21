/* SPDX-License-Identifier: BSD-3-Clause */
/* The model file of `matgrad fit --save` / `matgrad predict`
 * (src/cli/model_file.c): a model round-trips exactly (doubles bit for
 * bit, names with quotes, backslashes and line breaks), and every damaged
 * file (each line cut or altered) is refused with its line, never read as
 * a different model. */
#define _POSIX_C_SOURCE 200809L
#include "model_file.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *levels[3] = { "setosa", "versi\"color", "virginica" };
static mgcli_model_column cols[2] = {
    { "Sepal\nWidth", 0, NULL },
    { "Spe\\cies", 3, levels },
};
static char *names[4] = { "(Intercept)", "Sepal\nWidth", "Spe\\ciesversi\"color", "Speciesvirginica" };

static mgcli_model sample(double *coef, unsigned char *aliased, double *cov)
{
    const double c[4] = { 2.2513932966, 0.1 / 3.0, NAN, -1e-300 };
    for (size_t i = 0; i < 4; i++) {
        coef[i] = c[i];
        aliased[i] = isnan(c[i]);
        for (size_t j = 0; j < 4; j++)
            cov[i * 4 + j] = (i == 2 || j == 2) ? NAN : 1.0 / (double)(1 + i + j) + 1e-17 * (double)i;
    }
    mgcli_model m = { "Sepal.Length", "w", 1, 146, 0.3068261, 2, cols, 4, names, coef, aliased, cov };
    return m;
}

static char *written(const mgcli_model *m)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert(f);
    ck_assert_int_eq(mgcli_model_write(f, m), 0);
    fclose(f);
    return buf;
}

static int read_text(const char *text, mgcli_model *m, char *err, size_t errlen)
{
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    ck_assert(f);
    int rc = mgcli_model_read(f, m, err, errlen);
    fclose(f);
    return rc;
}

START_TEST(round_trip)
{
    double coef[4], cov[16];
    unsigned char al[4];
    mgcli_model m = sample(coef, al, cov), back;
    char *text = written(&m), err[256];
    ck_assert_msg(read_text(text, &back, err, sizeof err) == 0, "%s", err);
    ck_assert_str_eq(back.target, m.target);
    ck_assert_str_eq(back.weights, m.weights);
    ck_assert_int_eq(back.intercept, 1);
    ck_assert_uint_eq(back.df_residual, 146);
    ck_assert(back.sigma == m.sigma);
    ck_assert_uint_eq(back.ncols, 2);
    ck_assert_str_eq(back.cols[0].name, cols[0].name);
    ck_assert_uint_eq(back.cols[0].nlevels, 0);
    ck_assert_str_eq(back.cols[1].name, cols[1].name);
    ck_assert_uint_eq(back.cols[1].nlevels, 3);
    for (size_t l = 0; l < 3; l++)
        ck_assert_str_eq(back.cols[1].levels[l], levels[l]);
    ck_assert_uint_eq(back.m, 4);
    for (size_t i = 0; i < 4; i++) {
        ck_assert_str_eq(back.names[i], names[i]);
        ck_assert_int_eq(back.aliased[i], al[i]);
        ck_assert(isnan(coef[i]) ? isnan(back.coef[i]) : back.coef[i] == coef[i]);
        for (size_t j = 0; j < 4; j++)
            ck_assert(isnan(cov[i * 4 + j]) ? isnan(back.cov[i * 4 + j])
                                            : back.cov[i * 4 + j] == cov[i * 4 + j]);
    }
    /* the same bytes again */
    char *again = written(&back);
    ck_assert_str_eq(again, text);
    mgcli_model_free(&back);
    free(again);
    free(text);
}
END_TEST

/* Every prefix that ends at a line break short of the whole file is
 * refused (a truncated write never reads as a smaller model). */
START_TEST(truncated)
{
    double coef[4], cov[16];
    unsigned char al[4];
    mgcli_model m = sample(coef, al, cov), back;
    char *text = written(&m), err[256];
    size_t n = strlen(text);
    for (size_t cut = 0; cut + 1 < n; cut++) {
        if (cut && text[cut - 1] != '\n')
            continue;
        char *part = strndup(text, cut);
        ck_assert(part);
        ck_assert_msg(read_text(part, &back, err, sizeof err) != 0, "prefix of %zu bytes read", cut);
        free(part);
    }
    free(text);
}
END_TEST

START_TEST(damaged)
{
    double coef[4], cov[16];
    unsigned char al[4];
    mgcli_model m = sample(coef, al, cov), back;
    char *text = written(&m), err[256];
    static const struct { const char *from, *to, *why; } edits[] = {
        { "matgrad-model 1", "matgrad-model 2", "version" },
        { "matgrad-model 1", "matgrad-mode 1", "magic" },
        { "intercept 1", "intercept 2", "intercept" },
        { "sigma 0.306", "sigma -0.306", "sigma" },
        { "columns 2", "columns 3", "column count" },
        { "factor 3", "factor 4", "level count" },
        { "coefficients 4", "coefficients 5", "coefficient count" },
        { "coef 1 NaN", "coef 0 NaN", "aliased flag" },
        { "coef 0 2.25", "coef 0 x2.25", "number" },
        { "coef 0 2.25", "coef 0 inf", "infinite estimate" },
        { "end", "ends", "end" },
        { "\"(Intercept)\"", "\"(Intercept)", "unterminated name" },
        { "\\n", "\\q", "escape" },
    };
    for (size_t e = 0; e < sizeof edits / sizeof *edits; e++) {
        const char *at = strstr(text, edits[e].from);
        ck_assert_msg(at != NULL, "%s: not in the file", edits[e].why);
        size_t pre = (size_t)(at - text), fl = strlen(edits[e].from), tl = strlen(edits[e].to);
        char *bad = malloc(strlen(text) - fl + tl + 1);
        ck_assert(bad);
        memcpy(bad, text, pre);
        memcpy(bad + pre, edits[e].to, tl);
        strcpy(bad + pre + tl, at + fl);
        err[0] = '\0';
        ck_assert_msg(read_text(bad, &back, err, sizeof err) != 0, "%s: damaged file read", edits[e].why);
        ck_assert_msg(err[0] >= '1' && err[0] <= '9', "%s: message without a line: %s", edits[e].why, err);
        free(bad);
    }
    /* a NaN covariance outside the aliased rows */
    char *cv = strstr(text, "cov ");
    ck_assert(cv);
    char *bad = strdup(text);
    ck_assert(bad);
    memcpy(bad + (cv - text), "cov NaN", 7);
    ck_assert(read_text(bad, &back, err, sizeof err) != 0);
    free(bad);
    free(text);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli_model_file");
    TCase *tc = tcase_create("model_file");
    tcase_add_test(tc, round_trip);
    tcase_add_test(tc, truncated);
    tcase_add_test(tc, damaged);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    const int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
