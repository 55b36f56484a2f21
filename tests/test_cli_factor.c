/* SPDX-License-Identifier: BSD-3-Clause */
/* Factor levels and R's make.unique (src/cli/factor.c): levels keep their
 * index of first appearance, unused ones drop out, the order is strcmp's
 * (or by value for --factor on numbers, one level per number, named by its
 * first spelling), and repeated names are renamed as R renames them. */
#include "mgtest.h"

#include "cli/factor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t add(mgcli_levels *l, const char *s)
{
    size_t idx = 99;
    ck_assert_int_eq(mgcli_levels_add(l, s, strlen(s), &idx), 0);
    return idx;
}

START_TEST(levels_by_strcmp)
{
    mgcli_levels *l = mgcli_levels_new();
    ck_assert_ptr_nonnull(l);
    const char *cells[] = { "virginica", "setosa", "versicolor", "setosa", "Setosa", "b" };
    size_t idx[6];
    for (int i = 0; i < 6; i++)
        idx[i] = add(l, cells[i]);
    ck_assert_uint_eq(idx[0], 0);
    ck_assert_uint_eq(idx[1], 1);
    ck_assert_uint_eq(idx[3], 1);   /* seen before: the same index */
    ck_assert_uint_eq(mgcli_levels_count(l), 5);
    /* "b" only in a dropped row: not a level of the fit */
    for (int i = 0; i < 5; i++)
        mgcli_levels_use(l, idx[i]);
    ck_assert_uint_eq(mgcli_levels_order(l, 0), 4);
    /* C locale: upper case before lower case */
    ck_assert_str_eq(mgcli_levels_name(l, 0), "Setosa");
    ck_assert_str_eq(mgcli_levels_name(l, 1), "setosa");
    ck_assert_str_eq(mgcli_levels_name(l, 2), "versicolor");
    ck_assert_str_eq(mgcli_levels_name(l, 3), "virginica");
    ck_assert_uint_eq(mgcli_levels_rank(l, idx[0]), 3);
    ck_assert_uint_eq(mgcli_levels_rank(l, idx[1]), 1);
    ck_assert_uint_eq(mgcli_levels_rank(l, idx[4]), 0);
    ck_assert_uint_eq(mgcli_levels_rank(l, idx[5]), (size_t)-1);
    /* numeric order asked for text: strcmp's order still */
    ck_assert_uint_eq(mgcli_levels_order(l, 1), 4);
    ck_assert_str_eq(mgcli_levels_name(l, 0), "Setosa");
    mgcli_levels_free(l);
}
END_TEST

START_TEST(levels_by_value)
{
    mgcli_levels *l = mgcli_levels_new();
    const char *cells[] = { "10", "9", "8.0", "9.0", "1e1", "-2", "0x10" };
    for (int i = 0; i < 7; i++)
        mgcli_levels_use(l, add(l, cells[i]));
    /* strcmp: -2 0x10 10 1e1 8.0 9 9.0 */
    ck_assert_uint_eq(mgcli_levels_order(l, 0), 7);
    ck_assert_str_eq(mgcli_levels_name(l, 0), "-2");
    ck_assert_str_eq(mgcli_levels_name(l, 2), "10");
    /* by value: -2 < 8 < 9 (= 9.0) < 10 (= 1e1) < 16; first spellings name them */
    ck_assert_uint_eq(mgcli_levels_order(l, 1), 5);
    ck_assert_str_eq(mgcli_levels_name(l, 0), "-2");
    ck_assert_str_eq(mgcli_levels_name(l, 1), "8.0");
    ck_assert_str_eq(mgcli_levels_name(l, 2), "9");
    ck_assert_str_eq(mgcli_levels_name(l, 3), "10");
    ck_assert_str_eq(mgcli_levels_name(l, 4), "0x10");
    ck_assert_uint_eq(mgcli_levels_rank(l, 3), 2);   /* "9.0" is level 9 */
    ck_assert_uint_eq(mgcli_levels_rank(l, 4), 3);   /* "1e1" is level 10 */
    mgcli_levels_free(l);
}
END_TEST

/* The accessors the MPI ranks' agreement uses (fit_mpi.c): names by index,
 * used flags, uses forgotten; two ranks' levels added in rank order to a
 * new set give one process's numbering, so the first spelling of a number
 * (here in a row dropped on rank 0) names its level. */
START_TEST(levels_union_in_rank_order)
{
    mgcli_levels *r0 = mgcli_levels_new(), *r1 = mgcli_levels_new(), *all = mgcli_levels_new();
    ck_assert_ptr_nonnull(r0);
    ck_assert_ptr_nonnull(r1);
    ck_assert_ptr_nonnull(all);
    add(r0, "10.0");                      /* a dropped row: seen, not used */
    mgcli_levels_use(r0, add(r0, "10"));
    mgcli_levels_use(r0, add(r0, "8"));
    mgcli_levels_use(r1, add(r1, "8"));   /* the header read's row: rank 0's, forgotten */
    mgcli_levels_unuse(r1);
    ck_assert_int_eq(mgcli_levels_used(r1, 0), 0);
    mgcli_levels_use(r1, add(r1, "10.0"));
    ck_assert_str_eq(mgcli_levels_at(r0, 0), "10.0");
    ck_assert_int_eq(mgcli_levels_used(r0, 0), 0);
    ck_assert_int_eq(mgcli_levels_used(r0, 1), 1);
    mgcli_levels *ranks[2] = { r0, r1 };
    for (int r = 0; r < 2; r++)
        for (size_t i = 0; i < mgcli_levels_count(ranks[r]); i++) {
            size_t idx = add(all, mgcli_levels_at(ranks[r], i));
            if (mgcli_levels_used(ranks[r], i))
                mgcli_levels_use(all, idx);
        }
    ck_assert_uint_eq(mgcli_levels_count(all), 3);
    ck_assert_uint_eq(mgcli_levels_order(all, 1), 2);
    ck_assert_str_eq(mgcli_levels_name(all, 0), "8");
    ck_assert_str_eq(mgcli_levels_name(all, 1), "10.0");
    mgcli_levels_free(r0);
    mgcli_levels_free(r1);
    mgcli_levels_free(all);
}
END_TEST

START_TEST(many_levels)
{
    /* past the hash table's growth steps: every index found again */
    mgcli_levels *l = mgcli_levels_new();
    char buf[32];
    for (int round = 0; round < 2; round++)
        for (size_t i = 0; i < 5000; i++) {
            snprintf(buf, sizeof buf, "L%zu", i * 7919 % 5000);
            size_t idx = add(l, buf);
            if (round == 0)
                ck_assert_uint_eq(idx, i);
            else
                mgcli_levels_use(l, idx);
        }
    ck_assert_uint_eq(mgcli_levels_count(l), 5000);
    ck_assert_uint_eq(mgcli_levels_order(l, 1), 5000);
    ck_assert_str_eq(mgcli_levels_name(l, 0), "L0");
    ck_assert_str_eq(mgcli_levels_name(l, 1), "L1");
    ck_assert_str_eq(mgcli_levels_name(l, 2), "L10");
    /* an empty level is a level too (the loader never sends one: empty is NA) */
    size_t e = add(l, "");
    ck_assert_uint_eq(e, 5000);
    mgcli_levels_free(l);
}
END_TEST

/* make.unique on a copy of in; compares with want. */
static void check_unique(const char *const *in, const char *const *want, size_t n,
                         size_t renamed_want, size_t first_want)
{
    char **names = malloc(n * sizeof *names);
    for (size_t j = 0; j < n; j++)
        names[j] = strcpy(malloc(strlen(in[j]) + 1), in[j]);
    size_t renamed = 99, first = 99;
    ck_assert_int_eq(mgcli_make_unique(names, n, &renamed, &first), 0);
    for (size_t j = 0; j < n; j++) {
        ck_assert_str_eq(names[j], want[j]);
        free(names[j]);
    }
    free(names);
    ck_assert_uint_eq(renamed, renamed_want);
    ck_assert_uint_eq(first, first_want);
}

START_TEST(make_unique_as_r)
{
    /* R: make.unique(c("x", "x", "x")) is "x" "x.1" "x.2" */
    const char *a[] = { "x", "x", "x" }, *wa[] = { "x", "x.1", "x.2" };
    check_unique(a, wa, 3, 2, 1);
    /* a suffix already taken by a name anywhere is skipped:
     * make.unique(c("x", "x", "y", "x", "x.1")) is "x" "x.2" "y" "x.3" "x.1" */
    const char *b[] = { "x", "x", "y", "x", "x.1" }, *wb[] = { "x", "x.2", "y", "x.3", "x.1" };
    check_unique(b, wb, 5, 2, 1);
    /* make.unique(c("a", "b", "a", "b", "a.1")) is "a" "b" "a.2" "b.1" "a.1" */
    const char *c[] = { "a", "b", "a", "b", "a.1" }, *wc[] = { "a", "b", "a.2", "b.1", "a.1" };
    check_unique(c, wc, 5, 2, 2);
    const char *d[] = { "p", "q" }, *wd[] = { "p", "q" };
    check_unique(d, wd, 2, 0, 2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli_factor");
    TCase *tc = tcase_create("cli_factor");
    tcase_add_test(tc, levels_by_strcmp);
    tcase_add_test(tc, levels_by_value);
    tcase_add_test(tc, levels_union_in_rank_order);
    tcase_add_test(tc, many_levels);
    tcase_add_test(tc, make_unique_as_r);
    suite_add_tcase(s, tc);
    return mgt_run(s);
}
