/* SPDX-License-Identifier: BSD-3-Clause */
/* fit: the state's life cycle (create with every buffer it will need,
 * reset, free) and the argument checks shared by the steps. */
#include "fit_internal.h"
#include "kernels/gram_packed.h"

#include <float.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

mg_fit_options mg_fit_defaults(void)
{
    mg_fit_options o;
    o.kind = MG_FIT_QR;
    o.intercept = 0;
    o.ridge = 0.0;
    o.rank_tol = 0.0;
    o.exact = 0;
    return o;
}

static mg_status check_options(const mg_fit_options *o)
{
    if (o->kind != MG_FIT_QR && o->kind != MG_FIT_GRAM)
        return MG_EINVAL;
    if (!(o->ridge >= 0.0) || !isfinite(o->ridge) || (o->kind == MG_FIT_QR && o->ridge != 0.0))
        return MG_EINVAL;
    if (!(o->rank_tol >= 0.0) || !(o->rank_tol < 1.0))
        return MG_EINVAL;
    return MG_OK;
}

void mg_fit_free(mg_fit *fit)
{
    if (!fit)
        return;
    double *bufs[] = { fit->S, fit->mean, fit->cmax, fit->xmin, fit->xmax, fit->blk, fit->T, fit->tpwork, fit->bS, fit->bmean,
                       fit->D, fit->F, fit->U, fit->s, fit->Vt, fit->A, fit->tau, fit->lwork,
                       fit->rb, fit->ghi, fit->glo, fit->rsshi, fit->rsslo, fit->sol,
                       fit->solrss, fit->tmp, fit->se, fit->stat, fit->Hhi, fit->Hlo,
                       fit->arow, fit->V, fit->sw, fit->P, fit->inf };
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        free(bufs[i]);
    free(fit->iwork);
    free(fit->kept);
    free(fit->flags);
    free(fit);
}

/* The LAPACK workspace finish needs: the larger of dgeqp3's and dgesdd's
 * optimal sizes for an m x m matrix, and dpocon's 3 m. */
static mg_status query_lwork(size_t m, size_t *len)
{
    const lapack_int mm = (lapack_int)m;
    double q1 = 0.0, q2 = 0.0, a = 0.0, s = 0.0, u = 0.0, vt = 0.0, tau = 0.0;
    lapack_int jpvt = 0, iw = 0;
    /* workspace queries (lwork = -1) touch no array */
    MG__CHECK(mg__lapack_status(
        LAPACKE_dgeqp3_work(LAPACK_COL_MAJOR, mm, mm, &a, mm, &jpvt, &tau, &q1, -1), MG_ENOMEM));
    MG__CHECK(mg__lapack_status(LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, 'S', mm, mm, &a, mm, &s, &u,
                                                    mm, &vt, mm, &q2, -1, &iw),
                                MG_ENOMEM));
    double need = fmax(fmax(q1, q2), 3.0 * (double)m);
    if (!(need < (double)INT_MAX))
        return MG_ENOMEM;
    *len = (size_t)need + 1;
    return MG_OK;
}

static mg_status allocate(mg_fit *f)
{
    const size_t n = f->n, m = f->m, k = f->k;
    const int gram = f->opt.kind == MG_FIT_GRAM;
    f->mb = n > MG__FIT_BLOCK ? n : MG__FIT_BLOCK;
    f->nb = n < 32 ? n : 32;
    f->S = mg__alloc_doubles(n, n);
    f->mean = mg__alloc_doubles(n, 1);
    f->cmax = mg__alloc_doubles(f->p + k, 2);
    f->xmin = mg__alloc_doubles(f->p + 1, 2);
    f->xmax = mg__alloc_doubles(f->p + 1, 2);
    f->inf = mg__alloc_doubles(mg__fit_infer_scratch(m, k), 1);
    f->blk = mg__alloc_doubles(f->mb, n);
    f->T = mg__alloc_doubles(f->nb, n);
    f->tpwork = mg__alloc_doubles(f->nb, n);
    f->bS = gram ? mg__alloc_doubles(n, n) : NULL;
    f->sw = gram ? mg__alloc_doubles(f->mb, 1) : NULL;
    /* the packed kernel's buffer for both calls of accumulate.c: rows in
     * place (p columns, k outputs) and rows copied (n columns) */
    const size_t plen_rows = mg__gram_packed_len(f->mb, f->p, k),
                 plen_copy = mg__gram_packed_len(f->mb, n, 0);
    f->P = gram ? mg__alloc_doubles(plen_rows > plen_copy ? plen_rows : plen_copy, 1) : NULL;
    f->bmean = mg__alloc_doubles(n, 1);
    f->D = mg__alloc_doubles(m, 1);
    f->F = mg__alloc_doubles(m, m);
    f->U = mg__alloc_doubles(m, m);
    f->s = mg__alloc_doubles(m, 1);
    f->Vt = mg__alloc_doubles(m, m);
    f->A = mg__alloc_doubles(m, m);
    f->tau = mg__alloc_doubles(m, 1);
    f->rb = mg__alloc_doubles(m, k);
    f->ghi = mg__alloc_doubles(m, k);
    f->glo = mg__alloc_doubles(m, k);
    f->rsshi = mg__alloc_doubles(k, 1);
    f->rsslo = mg__alloc_doubles(k, 1);
    f->sol = mg__alloc_doubles(m, k);
    f->solrss = mg__alloc_doubles(k, 1);
    f->tmp = mg__alloc_doubles(m, k);
    f->se = mg__alloc_doubles(m, k);
    f->stat = mg__alloc_doubles(5, k);
    f->iwork = calloc(8 * m, sizeof *f->iwork);
    f->kept = calloc(m, sizeof *f->kept);
    f->flags = calloc(m, sizeof *f->flags);
    if (f->opt.exact) {
        f->Hhi = mg__alloc_doubles(3 * f->q, f->q);
        f->Hlo = mg__alloc_doubles(3 * f->q, f->q);
        f->arow = mg__alloc_doubles(f->q, 1);
        f->V = mg__alloc_doubles(2 * f->m, f->m);
        if (!f->Hhi || !f->Hlo || !f->arow || !f->V)
            return MG_ENOMEM;
    }
    if (!f->S || !f->mean || !f->cmax || !f->xmin || !f->xmax || !f->inf || !f->blk || !f->T || !f->tpwork ||
        (gram && (!f->bS || !f->sw || !f->P)) || !f->bmean ||
        !f->D || !f->F || !f->U || !f->s || !f->Vt || !f->A || !f->tau || !f->rb || !f->ghi ||
        !f->glo || !f->rsshi || !f->rsslo || !f->sol || !f->solrss || !f->tmp || !f->se || !f->stat || !f->iwork ||
        !f->kept || !f->flags)
        return MG_ENOMEM;
    MG__CHECK(query_lwork(m, &f->lwork_len));
    f->lwork = mg__alloc_doubles(f->lwork_len, 1);
    return f->lwork ? MG_OK : MG_ENOMEM;
}

mg_status mg_fit_create(size_t p, size_t k, const mg_fit_options *opt, mg_fit **out)
{
    const mg_fit_options o = opt ? *opt : mg_fit_defaults();
    if (!out || k == 0)
        return MG_EINVAL;
    MG__CHECK(check_options(&o));
    const size_t ic = o.intercept ? 1u : 0u;
    if (p == 0 && !ic)
        return MG_EINVAL;
    /* every order handed to LAPACK (q, 8 m, m x m, n x n) must fit its int */
    size_t nn;
    if (p > (size_t)INT_MAX / 8 || k > (size_t)INT_MAX / 8 || ic + p + k > (size_t)INT_MAX / 8 ||
        mg__mul_overflows(ic + p + k, ic + p + k, &nn) || nn > (size_t)INT_MAX)
        return MG_ENOMEM;

    mg_fit *f = calloc(1, sizeof *f);
    if (!f)
        return MG_ENOMEM;
    f->opt = o;
    f->opt.intercept = (int)ic;
    f->opt.exact = o.exact ? 1 : 0;
    f->q = ic + p + k;
    f->p = p;
    f->k = k;
    f->ic = ic;
    f->m = ic + p;
    f->n = o.kind == MG_FIT_QR ? ic + p + k : p + k;
    mg_status s = allocate(f);
    if (s != MG_OK) {
        mg_fit_free(f);
        return s;
    }
    (void)mg_fit_reset(f);
    *out = f;
    return MG_OK;
}

void mg__fit_invalidate(mg_fit *fit)
{
    fit->fac = MG__FAC_NONE;
    fit->refining = 0;
    fit->solved = 0;
    fit->prev_d = 0.0;
    fit->steps = 0;
}

mg_status mg_fit_reset(mg_fit *fit)
{
    if (!fit)
        return MG_EINVAL;
    fit->rows = fit->nonzero = 0;
    fit->wsum = 0.0;
    memset(fit->S, 0, fit->n * fit->n * sizeof *fit->S);
    memset(fit->mean, 0, fit->n * sizeof *fit->mean);
    memset(fit->cmax, 0, (fit->p + fit->k) * sizeof *fit->cmax);
    for (size_t j = 0; j < fit->p; j++) {
        fit->xmin[j] = INFINITY;
        fit->xmax[j] = -INFINITY;
    }
    fit->xknown = 1;
    fit->logw = 0.0;
    if (fit->opt.exact) {
        memset(fit->Hhi, 0, 3 * fit->q * fit->q * sizeof *fit->Hhi);
        memset(fit->Hlo, 0, 3 * fit->q * fit->q * sizeof *fit->Hlo);
        fit->n0 = fit->n1 = 0;
    }
    mg__fit_invalidate(fit);
    return MG_OK;
}

mg_status mg_fit_shape(const mg_fit *fit, size_t *p, size_t *k, mg_fit_options *opt)
{
    if (!fit)
        return MG_EINVAL;
    if (p)
        *p = fit->p;
    if (k)
        *k = fit->k;
    if (opt)
        *opt = fit->opt;
    return MG_OK;
}

mg_status mg_fit_rows(const mg_fit *fit, size_t *rows, size_t *nonzero)
{
    if (!fit)
        return MG_EINVAL;
    if (rows)
        *rows = fit->rows;
    if (nonzero)
        *nonzero = fit->nonzero;
    return MG_OK;
}

mg_status mg__fit_check_rows(const mg_fit *fit, const mg_matrix *X, const mg_matrix *Y,
                             const mg_matrix *w, int check_data, size_t *N)
{
    if (!fit)
        return MG_EINVAL;
    MG__CHECK(mg_matrix_check(Y));
    if (fit->p > 0 || X) {
        MG__CHECK(mg_matrix_check(X));
        if (X->cols != fit->p || X->rows != Y->rows)
            return MG_EDIM;
    }
    if (Y->cols != fit->k)
        return MG_EDIM;
    if (w) {
        MG__CHECK(mg_matrix_check(w));
        if (w->cols != 1 || w->rows != Y->rows)
            return MG_EDIM;
    }
    const size_t n = Y->rows;
    if (w) {
        int negative = 0;
        for (size_t i = 0; i < n; i++) {
            const double wi = w->data[i * w->stride];
            if (!isfinite(wi))
                return MG_ENONFINITE;
            negative |= wi < 0.0;
        }
        if (negative)
            return MG_EINVAL;
    }
    if (check_data && ((X && fit->p > 0 && !mg__all_finite(X->data, n, X->cols, X->stride)) ||
                       !mg__all_finite(Y->data, n, Y->cols, Y->stride)))
        return MG_ENONFINITE;
    *N = n;
    return MG_OK;
}
