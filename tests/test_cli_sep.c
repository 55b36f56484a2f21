/* SPDX-License-Identifier: BSD-3-Clause */
/* The CSV loader's separator detection (src/cli/csv_sep.c): the header
 * line is found past blank lines, separators inside quotes do not count,
 * the most frequent wins (ties: ',' ';' TAB), and the hint names the
 * separator the header suggests when another is in use. */
#include "mgtest.h"

#include "cli/csv_sep.h"

#include <string.h>

static int scan(const char *s, size_t c[MGCLI_SEP_KINDS])
{
    return mgcli_sep_scan(s, strlen(s), c);
}

START_TEST(counts_the_header_line_only)
{
    size_t c[MGCLI_SEP_KINDS];
    ck_assert_int_eq(scan("a;b;c\n1,2,3,4,5\n", c), 1);
    ck_assert_uint_eq(c[MGCLI_SEP_COMMA], 0);
    ck_assert_uint_eq(c[MGCLI_SEP_SEMICOLON], 2);
    ck_assert_uint_eq(c[MGCLI_SEP_TAB], 0);
    ck_assert_int_eq(mgcli_sep_choose(c), ';');
    /* blank lines (spaces and TABs only) are skipped, CR ends a line */
    ck_assert_int_eq(scan("\n \t \r\n\ta\tb\tc\r1;2", c), 1);
    ck_assert_uint_eq(c[MGCLI_SEP_TAB], 3);
    ck_assert_int_eq(mgcli_sep_choose(c), '\t');
    /* incomplete: the counts of what there is */
    ck_assert_int_eq(scan("a,b;c;d", c), 0);
    ck_assert_uint_eq(c[MGCLI_SEP_COMMA], 1);
    ck_assert_uint_eq(c[MGCLI_SEP_SEMICOLON], 2);
    ck_assert_int_eq(scan("", c), 0);
    ck_assert_int_eq(mgcli_sep_choose(c), ',');
}
END_TEST

START_TEST(quotes_hide_separators_and_line_ends)
{
    size_t c[MGCLI_SEP_KINDS];
    /* "" is a quote inside a quoted field: the state toggles twice */
    ck_assert_int_eq(scan("\"a,b,c\";\"x\"\"y,z\";\"line\nbreak\"\n1,2,3,4,5,6\n", c), 1);
    ck_assert_uint_eq(c[MGCLI_SEP_COMMA], 0);
    ck_assert_uint_eq(c[MGCLI_SEP_SEMICOLON], 2);
    /* an unclosed quote: no line end found */
    ck_assert_int_eq(scan("\"a\nb;c", c), 0);
    ck_assert_uint_eq(c[MGCLI_SEP_SEMICOLON], 0);
}
END_TEST

START_TEST(ties_and_none)
{
    size_t c[MGCLI_SEP_KINDS] = { 0, 0, 0 };
    ck_assert_int_eq(mgcli_sep_choose(c), ',');        /* one column */
    c[MGCLI_SEP_COMMA] = 2, c[MGCLI_SEP_SEMICOLON] = 2, c[MGCLI_SEP_TAB] = 2;
    ck_assert_int_eq(mgcli_sep_choose(c), ',');
    c[MGCLI_SEP_COMMA] = 1;
    ck_assert_int_eq(mgcli_sep_choose(c), ';');
    c[MGCLI_SEP_TAB] = 3;
    ck_assert_int_eq(mgcli_sep_choose(c), '\t');
}
END_TEST

START_TEST(hint_names_the_other_separator)
{
    char buf[72];
    size_t semi[MGCLI_SEP_KINDS] = { 0, 3, 0 }, tab[MGCLI_SEP_KINDS] = { 1, 0, 4 },
           comma[MGCLI_SEP_KINDS] = { 5, 0, 0 }, both[MGCLI_SEP_KINDS] = { 0, 2, 1 };
    ck_assert_str_eq(mgcli_sep_hint(semi, ',', buf, sizeof buf),
                     "(the file looks ';'-separated: try --sep ';')");
    ck_assert_str_eq(mgcli_sep_hint(semi, ';', buf, sizeof buf), "");
    ck_assert_str_eq(mgcli_sep_hint(tab, ',', buf, sizeof buf),
                     "(the file looks tab-separated: try --sep tab)");
    ck_assert_str_eq(mgcli_sep_hint(tab, '\t', buf, sizeof buf), "");
    ck_assert_str_eq(mgcli_sep_hint(comma, ';', buf, sizeof buf), "");   /* commas: no hint */
    ck_assert_str_eq(mgcli_sep_hint(both, ';', buf, sizeof buf),
                     "(the file looks tab-separated: try --sep tab)");
    ck_assert_str_eq(mgcli_sep_hint(both, ',', buf, sizeof buf),
                     "(the file looks ';'-separated: try --sep ';')");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli_sep");
    TCase *tc = tcase_create("cli_sep");
    tcase_add_test(tc, counts_the_header_line_only);
    tcase_add_test(tc, quotes_hide_separators_and_line_ends);
    tcase_add_test(tc, ties_and_none);
    tcase_add_test(tc, hint_names_the_other_separator);
    suite_add_tcase(s, tc);
    return mgt_run(s);
}
