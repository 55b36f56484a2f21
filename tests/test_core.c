/* SPDX-License-Identifier: BSD-3-Clause */
/* Core: views, blocks, checks and messages. */
#include "mgtest.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

START_TEST(strerror_covers_every_status)
{
    for (int s = MG_OK; s <= MG_EPARSE; s++) {
        const char *msg = mg_strerror((mg_status)s);
        ck_assert_ptr_nonnull(msg);
        ck_assert_uint_gt(strlen(msg), 3);
        for (int t = MG_OK; t < s; t++)
            ck_assert_str_ne(msg, mg_strerror((mg_status)t));
    }
    ck_assert_str_eq(mg_strerror((mg_status)999), "unknown status");
    ck_assert_str_eq(matgrad_version(), MG_VERSION_STRING);
}
END_TEST

START_TEST(views_and_blocks)
{
    double buf[12];
    for (int i = 0; i < 12; i++)
        buf[i] = i;
    mg_matrix m = mg_matrix_view(buf, 3, 4);
    ck_assert_uint_eq(m.stride, 4);
    ck_assert_int_eq(mg_matrix_check(&m), MG_OK);
    mg_matrix b = mg_matrix_block(&m, 1, 2, 2, 2);
    ck_assert_ptr_eq(b.data, buf + 6);
    ck_assert_double_eq(*mg_at(&b, 1, 1), 11.0);
    ck_assert_int_eq(mg_matrix_check(&b), MG_OK);
    /* Blocks that do not fit come back unusable. */
    mg_matrix out = mg_matrix_block(&m, 2, 0, 2, 1);
    ck_assert_ptr_null(out.data);
    ck_assert_int_eq(mg_matrix_check(&out), MG_EINVAL);
    out = mg_matrix_block(&m, 0, 3, 1, 2);
    ck_assert_ptr_null(out.data);
    out = mg_matrix_block(NULL, 0, 0, 1, 1);
    ck_assert_ptr_null(out.data);
}
END_TEST

START_TEST(check_rejects_bad_views)
{
    double x = 0.0;
    mg_matrix m = mg_matrix_view(&x, 1, 1);
    ck_assert_int_eq(mg_matrix_check(NULL), MG_EINVAL);
    m.data = NULL;
    ck_assert_int_eq(mg_matrix_check(&m), MG_EINVAL);
    m = mg_matrix_view(&x, 0, 1);
    ck_assert_int_eq(mg_matrix_check(&m), MG_EINVAL);
    m = mg_matrix_view(&x, 1, 0);
    ck_assert_int_eq(mg_matrix_check(&m), MG_EINVAL);
    m = mg_matrix_view_stride(&x, 2, 3, 2);
    ck_assert_int_eq(mg_matrix_check(&m), MG_EINVAL);
    /* Never dereferenced: the checks reject these before any access. */
    m = mg_matrix_view_stride(&x, (size_t)INT_MAX + 1, 1, 1);
    ck_assert_int_eq(mg_matrix_check(&m), MG_ENOMEM);
    m = mg_matrix_view_stride(&x, 1, 1, (size_t)INT_MAX + 1);
    ck_assert_int_eq(mg_matrix_check(&m), MG_ENOMEM);
    /* (rows - 1) * stride + cols elements of 8 bytes overflow size_t. */
    m = mg_matrix_view_stride(&x, (size_t)INT_MAX, (size_t)INT_MAX, (size_t)INT_MAX);
    if (sizeof(size_t) == 8) {
        /* 2^31 * 2^31 * 8 = 2^65 bytes */
        ck_assert_int_eq(mg_matrix_check(&m), MG_ENOMEM);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("core");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, strerror_covers_every_status);
    tcase_add_test(tc, views_and_blocks);
    tcase_add_test(tc, check_rejects_bad_views);
    suite_add_tcase(s, tc);
    return mgt_run(s);
}
