/* SPDX-License-Identifier: BSD-3-Clause */
/* fit: the in-memory front ends' threads (mg_lstsq, mg_normal_solve,
 * mg_gd_fit).  Rows held in memory are cut into S slices fixed by the
 * shape alone; slice 0 goes into the caller's state, slice s > 0 into a
 * state of its own, and the states merge into the caller's in slice
 * order.  Threads only decide who accumulates which slice, so the result
 * is bitwise the same for any thread count (kernels/parallel.h). */
#include "fit_internal.h"
#include "kernels/parallel.h"
#include "kernels/pool.h"

#include <stdlib.h>
#include <string.h>

/* A slice is worth its own state (and a thread) from this many elements
 * of [X Y] on: the packed Gram kernel's work on 2^18 elements is far more
 * than waking a thread and merging two states. */
#define MG__FIT_SLICE_MIN ((size_t)1 << 18)
/* At most this many slices: enough to balance two to eight threads, few
 * enough that the states' memory (O(q^2) each) and merges stay small. */
#define MG__FIT_SLICES_MAX 16

static size_t slice_count(size_t N, size_t q)
{
    const size_t work = N * q, S = work / MG__FIT_SLICE_MIN;
    return S < 1 ? 1 : S > MG__FIT_SLICES_MAX ? MG__FIT_SLICES_MAX : S;
}

mg_status mg__fit_slices_create(mg_fit *fit, size_t N, mg__fit_slices *sl)
{
    memset(sl, 0, sizeof *sl);
    sl->fit0 = fit;
    sl->N = N;
    sl->S = slice_count(N, fit->m + fit->k);
    if (sl->S == 1)
        return MG_OK;
    sl->st = calloc(sl->S, sizeof *sl->st);
    if (!sl->st)
        return MG_ENOMEM;
    sl->st[0] = fit;
    for (size_t s = 1; s < sl->S; s++) {
        mg_status st = mg_fit_create(fit->p, fit->k, &fit->opt, &sl->st[s]);
        if (st != MG_OK) {
            mg__fit_slices_free(sl);
            return st;
        }
        sl->st[s]->plain = fit->plain;
    }
    return MG_OK;
}

void mg__fit_slices_free(mg__fit_slices *sl)
{
    if (sl->st)
        for (size_t s = 1; s < sl->S; s++)
            mg_fit_free(sl->st[s]);
    free(sl->st);
    sl->st = NULL;
}

/* Rows [i0, i1) of slice s. */
static void slice_rows(const mg__fit_slices *sl, size_t s, size_t *i0, size_t *i1)
{
    *i0 = sl->N * s / sl->S;
    *i1 = sl->N * (s + 1) / sl->S;
}

/* Views of rows [i0, i1) of X (NULL when p == 0), Y and w (NULL: none). */
static void slice_views(const mg_matrix *X, const mg_matrix *Y, const mg_matrix *w, size_t i0,
                        size_t i1, mg_matrix *Xs, mg_matrix *Ys, mg_matrix *ws)
{
    const size_t n = i1 - i0;
    if (X)
        *Xs = mg_matrix_view_stride(X->data + i0 * X->stride, n, X->cols, X->stride);
    *Ys = mg_matrix_view_stride(Y->data + i0 * Y->stride, n, Y->cols, Y->stride);
    if (w)
        *ws = mg_matrix_view_stride(w->data + i0 * w->stride, n, 1, w->stride);
}

/* One step over every slice: accumulate or replay its rows into its own
 * state. */
typedef struct slice_step {
    const mg__fit_slices *sl;
    const mg_matrix *X, *Y, *w;
    int refine;
    mg_status *status;
} slice_step;

static void run_slice(void *ctx, size_t s, int worker)
{
    const slice_step *t = ctx;
    size_t i0, i1;
    mg_matrix Xs, Ys, ws;
    (void)worker;
    slice_rows(t->sl, s, &i0, &i1);
    slice_views(t->X, t->Y, t->w, i0, i1, &Xs, &Ys, &ws);
    mg_fit *st = t->sl->st[s];
    const mg_matrix *x = t->X ? &Xs : NULL, *wv = t->w ? &ws : NULL;
    t->status[s] = t->refine ? mg_fit_refine_accumulate(st, x, &Ys, wv)
                             : mg_fit_accumulate(st, x, &Ys, wv);
}

/* status[s] = the step on slice s, on the pass's threads (pool.h). */
static void run_slices(const mg__fit_slices *sl, const mg_matrix *X, const mg_matrix *Y,
                       const mg_matrix *w, int refine, mg_status *status)
{
    const int nt = mg__pass_threads(sl->N * (sl->st[0]->m + sl->st[0]->k), 2 * MG__FIT_SLICE_MIN);
    slice_step t = { sl, X, Y, w, refine, status };
    mg__pool_for(nt, sl->S, run_slice, &t);
}

static mg_status first_error(const mg_status *status, size_t S)
{
    for (size_t s = 0; s < S; s++)
        if (status[s] != MG_OK)
            return status[s];
    return MG_OK;
}

mg_status mg__fit_slices_accumulate(mg__fit_slices *sl, const mg_matrix *X, const mg_matrix *Y,
                                    const mg_matrix *w)
{
    if (sl->S == 1)
        return mg_fit_accumulate(sl->fit0, X, Y, w);
    mg_status status[MG__FIT_SLICES_MAX];
    run_slices(sl, X, Y, w, 0, status);
    MG__CHECK(first_error(status, sl->S));
    for (size_t s = 1; s < sl->S; s++)
        MG__CHECK(mg_fit_merge(sl->st[0], sl->st[s]));
    return MG_OK;
}

mg_status mg__fit_slices_refine(mg__fit_slices *sl, const mg_matrix *X, const mg_matrix *Y,
                                const mg_matrix *w, const mg_matrix *B)
{
    if (sl->S == 1) {
        MG__CHECK(mg_fit_refine_begin(sl->fit0, B));
        return mg_fit_refine_accumulate(sl->fit0, X, Y, w);
    }
    /* the range check is the whole state's (a slice alone may hold only
     * tiny values of a column) */
    MG__CHECK(mg_fit_refine_begin(sl->st[0], B));
    for (size_t s = 1; s < sl->S; s++)
        mg__fit_refine_start(sl->st[s], B);
    mg_status status[MG__FIT_SLICES_MAX];
    run_slices(sl, X, Y, w, 1, status);
    MG__CHECK(first_error(status, sl->S));
    for (size_t s = 1; s < sl->S; s++)
        MG__CHECK(mg_fit_refine_merge(sl->st[0], sl->st[s]));
    return MG_OK;
}

mg_status mg__normal_state(const mg_matrix *A, const mg_matrix *Y, double ridge, mg_fit **out)
{
    mg_fit_options o = mg_fit_defaults();
    o.kind = MG_FIT_GRAM;
    o.ridge = ridge;
    mg_fit *fit = NULL;
    MG__CHECK(mg_fit_create(A->cols, Y->cols, &o, &fit));
    fit->plain = 1;
    mg__fit_slices sl;
    mg_status s = mg__fit_slices_create(fit, A->rows, &sl);
    if (s == MG_OK) {
        s = mg__fit_slices_accumulate(&sl, A, Y, NULL);
        mg__fit_slices_free(&sl);
    }
    if (s != MG_OK) {
        mg_fit_free(fit);
        return s;
    }
    *out = fit;
    return MG_OK;
}
