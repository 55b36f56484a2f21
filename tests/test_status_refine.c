/* SPDX-License-Identifier: BSD-3-Clause */
/* The Cholesky path's refinement must not report convergence when it
 * applied no correction.  Regression test for issue 9: the first
 * correction of a wrong factor (here U / 2, as a Gram slice left at zero
 * by a failed allocation gave) was rejected as "not shrinking", and the
 * convergence test, which looked at the last correction applied, found
 * none and passed the first, wrong solution as converged.  Uses the
 * internal interface (src/lstsq/lstsq_internal.h). */
#include "mgt_exact.h"
#include "../src/lstsq/lstsq_internal.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

START_TEST(no_correction_is_not_convergence)
{
    mgt_exact e = mgt_exact_make(71, 200, 4, 1, 0, 0, 0);
    const size_t p = e.p, k = e.k;
    double *scale = malloc(2 * p * sizeof *scale), *C = malloc(p * k * sizeof *C);
    double *Xs = malloc(p * k * sizeof *Xs);
    long double *rss = malloc(k * sizeof *rss);
    ck_assert(scale && C && Xs && rss);
    mg__lsq q;
    memset(&q, 0, sizeof q);
    q.d.X = &e.X.v;
    q.d.N = e.N;
    q.d.p = p;
    q.m = p;
    q.scale = scale;
    q.scale_lo = scale + p;
    q.rank_tol = (double)e.N * DBL_EPSILON;
    q.max_refine = 20;
    ck_assert_int_eq(mg__lsq_chol(&q, &e.Y.v, C), MG_OK);

    /* the true factor: converged, to 64 p eps kappa normwise (refined) */
    size_t steps = 0;
    ck_assert_int_eq(mg__lsq_chol_solve(&q, &e.Y.v, C, Xs, rss, &steps), MG_OK);
    for (size_t j = 0; j < p; j++)
        Xs[j] *= scale[j]; /* b = D x (k = 1) */
    mg_matrix Bv = mg_matrix_view(Xs, p, 1);
    ck_assert(mgt_exact_err(&e, &Bv) <= 64.0 * (double)p * DBL_EPSILON * mgt_exact_kappa(&e));

    /* U / 2: (U/2)^T (U/2) = Z^T Z / 4, so the first solution is 4 x and its
     * correction -12 x (relative size 3): never applied, never converged */
    for (size_t i = 0; i < p * p; i++)
        q.F[i] *= 0.5;
    ck_assert_int_eq(mg__lsq_chol_solve(&q, &e.Y.v, C, Xs, rss, &steps), MG_ENOCONV);

    free(q.F);
    free(scale); free(C); free(Xs); free(rss);
    mgt_exact_free(&e);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("status_refine");
    TCase *tc = tcase_create("refine");
    tcase_add_test(tc, no_correction_is_not_convergence);
    suite_add_tcase(s, tc);
    return mgt_run(s);
}
