/* SPDX-License-Identifier: BSD-3-Clause */
/* fit: the state of the union of two disjoint row sets
 * (docs/derivations.md, "One model of a fit").
 *
 * QR: stacking the rows' factors, [R_a; R_b] = Q [R; 0] gives R of the
 * union (the rows' Q factors need never be formed: TSQR).  GRAM: the
 * pairwise update of means and co-moments, or the sum of raw moments. */
#include "fit_internal.h"

#include <math.h>
#include <string.h>

mg_status mg__fit_compatible(const mg_fit *a, const mg_fit *b)
{
    if (!a || !b || a == b)
        return MG_EINVAL;
    if (a->p != b->p || a->k != b->k)
        return MG_EDIM;
    if (a->opt.kind != b->opt.kind || a->opt.intercept != b->opt.intercept ||
        a->opt.ridge != b->opt.ridge || a->opt.rank_tol != b->opt.rank_tol ||
        a->opt.exact != b->opt.exact)
        return MG_EINVAL;
    return MG_OK;
}

/* dst R <- R of [dst R; src R]. */
static mg_status merge_qr(mg_fit *dst, const mg_fit *src)
{
    const size_t n = dst->n, mb = dst->mb;
    if (dst->nonzero == 0) {
        /* the empty state's R is zero: the union's R is src's, exactly */
        memcpy(dst->S, src->S, n * n * sizeof *dst->S);
        return MG_OK;
    }
    /* the fold overwrites its block: work on a copy of src's R */
    for (size_t j = 0; j < n; j++)
        for (size_t i = 0; i < n; i++)
            dst->blk[j * mb + i] = i <= j ? src->S[j * n + i] : 0.0;
    /* [R_a; R_b] = Q [R; 0]   (the Householder fold of a block of rows, on
     * R_b's upper triangle only) */
    mg__fit_fold_triangle(dst->S, n, dst->blk, mb);
    return MG_OK;
}

mg_status mg_fit_merge(mg_fit *dst, const mg_fit *src)
{
    MG__CHECK(mg__fit_compatible(dst, src));
    if (src->rows == 0)
        return MG_OK;
    if (src->nonzero > 0) {
        if (dst->opt.kind == MG_FIT_QR) {
            MG__CHECK(merge_qr(dst, src));
            dst->wsum += src->wsum;
        } else {
            mg__fit_gram_merge(dst->n, &dst->wsum, dst->opt.intercept ? dst->mean : NULL, dst->S,
                               src->wsum, src->opt.intercept ? src->mean : NULL, src->S);
        }
    }
    for (size_t j = 0; j < dst->p + dst->k; j++)
        dst->cmax[j] = fmax(dst->cmax[j], src->cmax[j]);
    mg__fit_xrange_merge(dst, src->xmin, src->xmax);
    dst->xknown = dst->xknown && src->xknown;
    dst->logw += src->logw;
    if (dst->opt.exact)
        mg__fit_exact_merge(dst, src);
    dst->rows += src->rows;
    dst->nonzero += src->nonzero;
    mg__fit_invalidate(dst);
    return MG_OK;
}
