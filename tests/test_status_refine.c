/* SPDX-License-Identifier: BSD-3-Clause */
/* The refinement of the normal equations must not report convergence when
 * it applied no correction.  Regression test for issue 9: the first
 * correction of a wrong factor (here U / 2, as a Gram slice left at zero
 * by a failed allocation gave) was rejected as "not shrinking", and the
 * convergence test, which looked at the last correction applied, found
 * none and passed the first, wrong solution as converged.  The factor
 * lives in the fit engine's GRAM state now (mg_lstsq's CHOLESKY method is
 * a front end of it); uses the internal interface (src/fit/fit_internal.h). */
#include "mgt_exact.h"
#include "../src/fit/fit_internal.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A GRAM state of e's rows with its factor U scaled by f before the first
 * solve; returns the first B (p x 1) in b. */
static mg_fit *state_with_factor(const mgt_exact *e, double f, double *b)
{
    mg_fit_options o = mg_fit_defaults();
    o.kind = MG_FIT_GRAM;
    mg_fit *fit = NULL;
    ck_assert_int_eq(mg_fit_create(e->nx, e->k, &o, &fit), MG_OK);
    ck_assert_int_eq(mg_fit_accumulate(fit, &e->X.v, &e->Y.v, NULL), MG_OK);
    ck_assert_int_eq(mg__fit_factor(fit), MG_OK);
    for (size_t i = 0; i < fit->p * fit->p; i++)
        fit->F[i] *= f;
    mg_matrix B = mg_matrix_view(b, e->p, 1);
    ck_assert_int_eq(mg_fit_finish(fit, &B, NULL), MG_OK);
    return fit;
}

/* Up to 20 refinement steps; returns the status of the last, *converged
 * its verdict. */
static mg_status refine(mg_fit *fit, const mgt_exact *e, double *b, int *converged)
{
    mg_matrix B = mg_matrix_view(b, e->p, 1);
    mg_status s = MG_OK;
    *converged = 0;
    for (int step = 0; step < 20 && s == MG_OK && !*converged; step++) {
        ck_assert_int_eq(mg_fit_refine_begin(fit, &B), MG_OK);
        ck_assert_int_eq(mg_fit_refine_accumulate(fit, &e->X.v, &e->Y.v, NULL), MG_OK);
        s = mg_fit_refine_end(fit, &B, converged);
    }
    return s;
}

START_TEST(no_correction_is_not_convergence)
{
    mgt_exact e = mgt_exact_make(71, 200, 4, 1, 0, 0, 0);
    double *b = malloc(e.p * sizeof *b);
    ck_assert(b);
    mg_matrix Bv = mg_matrix_view(b, e.p, 1);
    int converged = 0;

    /* the true factor: converged, to 64 p eps kappa normwise (refined;
     * the fixed point is the exact solution, 8 ulp would do, this bound
     * is the looser one of the original test) */
    mg_fit *fit = state_with_factor(&e, 1.0, b);
    ck_assert_int_eq(refine(fit, &e, b, &converged), MG_OK);
    ck_assert(converged);
    ck_assert(mgt_exact_err(&e, &Bv) <= 64.0 * (double)e.p * DBL_EPSILON * mgt_exact_kappa(&e));
    mg_fit_free(fit);

    /* U / 2: (U/2)^T (U/2) = Z^T Z / 4, so the first solution is 4 x and its
     * correction -12 x (relative size 3): never applied, never converged */
    fit = state_with_factor(&e, 0.5, b);
    ck_assert_int_eq(refine(fit, &e, b, &converged), MG_ENOCONV);
    ck_assert(!converged);
    mg_fit_free(fit);

    free(b);
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
