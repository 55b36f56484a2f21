/* lstsq: the API contract — seed 001's rank-deficient example, defaults,
 * every method, many outputs and strided views, wide designs, and every
 * error status with outputs left untouched. */
#include "mgtest.h"
#include "seed001.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Seed 001: A = [1 2 3; 4 5 6; 7 8 9] is singular (rank 2), Y = A [1 2 3]^T.
 * Every solution is [1 2 3] + t [1 -2 1]; [1 2 3] is orthogonal to the null
 * vector, so it is the minimum-norm one.  The data are small integers and
 * the SVD's backward error is a few eps, so 1e-13 is a safe bound. */
START_TEST(seed001_min_norm_rank2)
{
    seed001 D;
    ck_assert_int_eq(seed001_load(mgt_shared_path("data/seed/seed001.txt"), &D), 0);
    mg_matrix A = mg_matrix_view(D.A, 3, 3), Y = mg_matrix_view(D.Y, 3, 1);
    static const mg_lstsq_method M[] = { MG_LSTSQ_AUTO, MG_LSTSQ_QR, MG_LSTSQ_SVD };
    for (size_t m = 0; m < 3; m++) {
        double b[3] = { 0 }, rsd = -1.0, r2 = -1.0, se[3];
        mg_matrix Bv = mg_matrix_view(b, 3, 1), Sv = mg_matrix_view(se, 3, 1);
        mg_lstsq_options o = mg_lstsq_defaults();
        o.method = M[m];
        mg_lstsq_result res = { 0 };
        res.std_err = &Sv;
        res.residual_sd = &rsd;
        res.r_squared = &r2;
        ck_assert_int_eq(mg_lstsq(&A, &Y, &Bv, &o, &res), MG_OK);
        ck_assert_uint_eq(res.rank, 2);
        ck_assert_uint_eq(res.df_residual, 1);
        ck_assert_int_eq(res.method, MG_LSTSQ_SVD);
        for (int j = 0; j < 3; j++)
            ck_assert_double_le(fabs(b[j] - (j + 1.0)), 1e-13);
        ck_assert_double_le(rsd, 1e-12);
        ck_assert_double_le(fabs(r2 - 1.0), 1e-13);
        ck_assert_double_lt(res.rcond, 1e-14);
    }
    /* opt = NULL and res = NULL: accurate defaults */
    double b[3];
    mg_matrix Bv = mg_matrix_view(b, 3, 1);
    ck_assert_int_eq(mg_lstsq(&A, &Y, &Bv, NULL, NULL), MG_OK);
    for (int j = 0; j < 3; j++)
        ck_assert_double_le(fabs(b[j] - (j + 1.0)), 1e-13);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lstsq");
    TCase *tc = tcase_create("api");
    tcase_add_test(tc, seed001_min_norm_rank2);
    suite_add_tcase(s, tc);
    return mgt_run(s);
}
