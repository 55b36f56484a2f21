/* SPDX-License-Identifier: BSD-3-Clause */
/* window: the state and its updates (docs/accuracy.md, "Sliding windows").
 *
 * Every update is a Householder fold of rows onto a triangle
 * (window_fold.c, the fit engine's QR folds for small q): a row enters by one fold
 * into the back's triangle; it leaves by the window moving past its suffix
 * triangle.  When the front runs out, the back's stored rows are re-folded
 * last to first into fresh suffix triangles (the flip), so no row is ever
 * removed from a triangle by subtraction. */
#include "window_internal.h"
#include "fit/fit_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

mg_window_options mg_window_defaults(void)
{
    mg_window_options o;
    memset(&o, 0, sizeof o);
    return o;
}

void mg_window_free(mg_window *win)
{
    if (!win)
        return;
    free(win->rows);
    free(win->suf);
    free(win->run);
    free(win);
}

static double *triangle_at(const mg_window *win, size_t pos)
{
    return win->suf + pos * win->q * win->q;
}

/* Every buffer, all at once (sizes checked against overflow). */
static MG__MUST_USE mg_status allocate(mg_window *win)
{
    const size_t q = win->q, m = win->m, k = win->k;
    size_t qq, sufn, rown;
    if (mg__mul_overflows(q, q, &qq) || mg__mul_overflows(win->W, qq, &sufn) ||
        mg__mul_overflows(win->W, q, &rown) || m > 1u << 20)
        return MG_ENOMEM;
    win->rows = mg__alloc_doubles(rown, 1);
    win->suf = mg__alloc_doubles(sufn, 1);
    /* run, tri, blk (q^2 each), row (q) and the coef scratch */
    win->run = mg__alloc_doubles(3 * qq + q + m * m + m * k + 2 * k + 3 * m, 1);
    if (!win->rows || !win->suf || !win->run)
        return MG_ENOMEM;
    win->tri = win->run + qq;
    win->blk = win->tri + qq;
    win->row = win->blk + qq;
    win->work = win->row + q;
    return MG_OK;
}

mg_status mg_window_create(size_t p, size_t k, size_t W, const mg_window_options *opt,
                           mg_window **out)
{
    const mg_window_options o = opt ? *opt : mg_window_defaults();
    if (!out || k == 0)
        return MG_EINVAL;
    const size_t ic = o.intercept ? 1u : 0u;
    if (p > (size_t)-1 / 4 || k > (size_t)-1 / 4)
        return MG_ENOMEM;
    if (ic + p == 0 || W < ic + p)
        return MG_EINVAL;
    mg_window *win = calloc(1, sizeof *win);
    if (!win)
        return MG_ENOMEM;
    win->p = p;
    win->k = k;
    win->W = W;
    win->ic = ic;
    win->m = ic + p;
    win->q = ic + p + k;
    mg_status s = allocate(win);
    if (s != MG_OK) {
        mg_window_free(win);
        return s;
    }
    s = mg_window_reset(win);
    if (s != MG_OK) {
        mg_window_free(win);
        return s;
    }
    *out = win;
    return MG_OK;
}

mg_status mg_window_reset(mg_window *win)
{
    if (!win)
        return MG_EINVAL;
    win->head = win->n = win->nfront = 0;
    memset(win->run, 0, win->q * win->q * sizeof *win->run);
    return MG_OK;
}

mg_status mg_window_rows(const mg_window *win, size_t *rows)
{
    if (!win || !rows)
        return MG_EINVAL;
    *rows = win->n;
    return MG_OK;
}

static MG__MUST_USE mg_status check_shapes(const mg_window *win, const mg_matrix *x,
                                           const mg_matrix *y)
{
    if (!win || !y || (win->p > 0 && !x))
        return MG_EINVAL;
    MG__CHECK(mg_matrix_check(y));
    if (y->rows != 1 || y->cols != win->k)
        return MG_EDIM;
    if (win->p > 0) {
        MG__CHECK(mg_matrix_check(x));
        if (x->rows != 1 || x->cols != win->p)
            return MG_EDIM;
    }
    return MG_OK;
}

/* a <- the augmented row [1 x y] ([x y] without the intercept). */
static void augment(const mg_window *win, const mg_matrix *x, const mg_matrix *y, double *a)
{
    if (win->ic)
        a[0] = 1.0;
    for (size_t j = 0; j < win->p; j++)
        a[win->ic + j] = x->data[j];
    for (size_t c = 0; c < win->k; c++)
        a[win->m + c] = y->data[c];
}

/* MG_ENONFINITE if a holds a NaN or Inf, else MG_ERANGE if it holds a
 * magnitude above 2^MG_FIT_RANGE (a fold's sum of squares could overflow,
 * fit.h), else MG_OK.  One comparison per entry on the way that passes:
 * |v| <= 2^480 is false for NaN and Inf as well. */
static MG__MUST_USE mg_status check_values(const double *a, size_t q)
{
    static const double big = 0x1p480; /* 2^MG_FIT_RANGE, a constant (no libm call) */
    _Static_assert(MG_FIT_RANGE == 480, "big must be 2^MG_FIT_RANGE");
    int ok = 1;
    for (size_t j = 0; j < q; j++)
        ok &= fabs(a[j]) <= big;
    if (ok)
        return MG_OK;
    for (size_t j = 0; j < q; j++)
        if (!isfinite(a[j]))
            return MG_ENONFINITE;
    return MG_ERANGE;
}

/* (pos + d) mod W for pos < W, d <= W, without a division. */
static size_t ring_add(size_t pos, size_t d, size_t W)
{
    const size_t r = pos + d;
    return r >= W ? r - W : r;
}

/* The back becomes the front: suffix triangles of its rows, last to first
 * (each one the previous plus one row). */
static void flip(mg_window *win)
{
    const size_t q = win->q, W = win->W;
    double *a = win->blk;
    for (size_t i = win->n; i-- > 0;) {
        const size_t pos = ring_add(win->head, i, W);
        double *S = triangle_at(win, pos);
        if (i == win->n - 1) {
            memset(S, 0, q * q * sizeof *S);
            memcpy(a, win->rows + pos * q, q * sizeof *a);
            mg__window_fold_row(S, q, a);
        } else {
            mg__window_extend(S, triangle_at(win, ring_add(pos, 1, W)), win->rows + pos * q, a, q);
        }
    }
    win->nfront = win->n;
    memset(win->run, 0, q * q * sizeof *win->run);
}

mg_status mg_window_push(mg_window *win, const mg_matrix *x, const mg_matrix *y)
{
    MG__CHECK(check_shapes(win, x, y));
    const size_t q = win->q;
    double *a = win->row; /* checked before the window changes */
    augment(win, x, y, a);
    MG__CHECK(check_values(a, q));
    if (win->n == win->W) {
        if (win->nfront == 0)
            flip(win);
        win->head = ring_add(win->head, 1, win->W);
        win->nfront--;
        win->n--;
    }
    memcpy(win->rows + ring_add(win->head, win->n, win->W) * q, a, q * sizeof *a);
    win->n++;
    mg__window_fold_row(win->run, q, a);
    return MG_OK;
}

void mg__window_triangle(mg_window *win)
{
    const size_t q = win->q;
    if (win->nfront == 0) {
        memcpy(win->tri, win->run, q * q * sizeof *win->tri);
        return;
    }
    if (win->nfront == win->n) {
        memcpy(win->tri, triangle_at(win, win->head), q * q * sizeof *win->tri);
        return;
    }
    /* [R_front; R_back] = Q [R; 0]   (TSQR merge, window_fold.c) */
    mg__window_merge(win->tri, triangle_at(win, win->head), win->run, win->blk, q);
}
