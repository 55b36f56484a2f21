/* SPDX-License-Identifier: BSD-3-Clause */
/* lstsq on the fit engine (include/matgrad/fit.h): the normal equations
 * (MG_LSTSQ_CHOLESKY, and auto on big designs) and every weighted fit.
 *
 * The rows are in memory, so the engine's refinement can replay them as
 * often as it needs: accumulate (per-slice states merged in a fixed order,
 * src/fit/slices.c), finish, then corrected semi-normal steps until the
 * engine reports a correction at rounding level (docs/derivations.md, "One
 * model of a fit").  Its fixed point is the exact least-squares solution
 * of the double data; where the factor is too ill-conditioned for the
 * steps to contract, the engine refuses (MG_ENOTPD from finish for GRAM,
 * MG_ENOCONV from a step) and the caller decides (auto: Householder QR
 * with Q, src/lstsq/lstsq_qr.c). */
#include "lstsq_internal.h"
#include "fit/fit_internal.h"

#include <stdlib.h>
#include <string.h>

/* Refinement steps until the engine reports convergence.  MG_ENOCONV
 * when max_refine steps (> 0) did not get there, or a step diverged. */
static mg_status refine(mg__fit_slices *sl, const mg_matrix *X, const mg_matrix *Y,
                        const mg_matrix *w, mg_matrix *B, size_t max_refine)
{
    int converged = 0;
    for (size_t step = 0; step < max_refine && !converged; step++) {
        MG__CHECK(mg__fit_slices_refine(sl, X, Y, w, B));
        MG__CHECK(mg_fit_refine_end(sl->fit0, B, &converged));
    }
    return converged || max_refine == 0 ? MG_OK : MG_ENOCONV;
}

static mg_status fit_rows(mg_fit *fit, const mg_matrix *X, const mg_matrix *Y,
                          const mg_lstsq_options *o, mg_matrix *Bt)
{
    const mg_matrix *w = o->weights, *Xv = X->cols > 0 ? X : NULL;
    mg__fit_slices sl;
    MG__CHECK(mg__fit_slices_create(fit, X->rows, &sl));
    mg_status s = mg__fit_slices_accumulate(&sl, Xv, Y, w);
    mg_lstsq_result first;
    memset(&first, 0, sizeof first);
    if (s == MG_OK)
        s = mg_fit_finish(fit, Bt, &first);
    /* a rank-deficient design: the minimum-norm answer of the factor (the
     * semi-normal steps need a nonsingular one) */
    if (s == MG_OK && first.rank == fit->m)
        s = refine(&sl, Xv, Y, w, Bt, o->max_refine);
    mg__fit_slices_free(&sl);
    return s;
}

mg_status mg__lsq_engine(const mg_matrix *X, const mg_matrix *Y, const mg_lstsq_options *o,
                         mg_fit_kind kind, mg_matrix *B, mg_lstsq_result *res)
{
    mg_fit_options fo = mg_fit_defaults();
    fo.kind = kind;
    fo.intercept = o->intercept ? 1 : 0;
    fo.rank_tol = o->rank_tol;
    const size_t m = X->cols + (size_t)fo.intercept, k = Y->cols;
    mg_fit *fit = NULL;
    MG__CHECK(mg_fit_create(X->cols, k, &fo, &fit));
    double *bt = mg__alloc_doubles(m, k);
    long double *tss = malloc(k * sizeof *tss);
    mg_status s = bt && tss ? MG_OK : MG_ENOMEM;
    mg_matrix Bt = mg_matrix_view(bt, m, k);
    if (s == MG_OK)
        s = fit_rows(fit, X, Y, o, &Bt);
    /* TSS from the rows themselves: exact where the state's would lose
     * digits to a big mean; about the mean by the state's own rule (the
     * intercept, or a column constant and nonzero over the rows of nonzero
     * weight: mg__fit_about_mean), so that mg_lstsq, mg_fit_finish and
     * mg_fit_infer agree */
    size_t const_col;
    const mg__fit_tss ext = { tss, s == MG_OK && mg__fit_about_mean(fit, &const_col) };
    for (size_t c = 0; s == MG_OK && c < k; c++)
        tss[c] = mg__lsq_tss(Y->data + c, Y->rows, Y->stride, o->weights, ext.centred);
    /* the refined (or minimum-norm) solution and its statistics, written
     * only now that everything has succeeded */
    if (s == MG_OK)
        s = mg__fit_finish(fit, B, res, &ext);
    mg_fit_free(fit);
    free(bt);
    free(tss);
    return s;
}
