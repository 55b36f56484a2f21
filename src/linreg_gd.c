/* SPDX-License-Identifier: BSD-3-Clause */
/* Gradient descent on the MSE loss with the analytic gradient
 * (docs/derivations.md, "Gradient descent"). */
#include "matgrad/linreg.h"
#include "internal.h"
#include "linreg_internal.h"
#include "kernels/mse_pass.h"
#include "fit/fit_internal.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>

mg_gd_options mg_gd_defaults(void)
{
    mg_gd_options o = { 0.01, 1000, 0.0, NULL, NULL, MG_GD_AUTO };
    return o;
}

mg_status mg_gd_options_check(const mg_gd_options *o)
{
    if (!o)
        return MG_EINVAL;
    if (!(o->learning_rate > 0.0) || !isfinite(o->learning_rate))
        return MG_EINVAL;
    if (!(o->tolerance >= 0.0) || !isfinite(o->tolerance))
        return MG_EINVAL;
    if (o->strategy != MG_GD_AUTO && o->strategy != MG_GD_DIRECT && o->strategy != MG_GD_GRAM)
        return MG_EINVAL;
    return MG_OK;
}

/* The end of epoch e, whatever the strategy: report the loss of W_e, stop
 * after the last epoch or at the tolerance (1), else step (0):
 *     W_{e+1} = W_e - lr * G. */
static MG__MUST_USE int epoch_done(size_t e, double loss, const mg_gd_options *o, double *w,
                                   const double *G, size_t jk)
{
    if (o->on_epoch)
        o->on_epoch(e, loss, o->ctx);
    if (e == o->epochs || loss <= o->tolerance)
        return 1;
    for (size_t i = 0; i < jk; i++)
        w[i] -= o->learning_rate * G[i];
    return 0;
}

/* Runs the descent on the working copy w (j x k, contiguous); *steps gets
 * the number of steps taken.  MG_GD_DIRECT: one pass over A per epoch. */
static MG__MUST_USE mg_status descend_direct(const mg_matrix *A, const mg_matrix *Y, double *w,
                                             size_t k, const mg_gd_options *o, double *G,
                                             double *scratch, size_t *steps)
{
    const size_t jk = A->cols * k;
    mg_matrix Wv = mg_matrix_view(w, A->cols, k);

    for (size_t e = 0;; e++) {
        double loss;
        /* loss(W_e) and G = dloss/dW at W_e, from one pass over A */
        mg_status s = mg__mse_eval(A, &Wv, Y, e < o->epochs ? G : NULL, &loss, scratch);
        if (s != MG_OK)
            return (e == 0) ? s : MG_ENOCONV; /* finite start, then non-finite: diverged */
        if (epoch_done(e, loss, o, w, G, jk)) {
            *steps = e;
            return MG_OK;
        }
    }
}

/* MG_GD_GRAM workspace: G0 = A^T A (upper triangle), and a reference point
 * W_ref with its exact ssq_ref = ||Y - A W_ref||^2 and atr = A^T (Y - A W_ref)
 * from one pass over A. */
typedef struct gram_ws {
    double *G0, *wref, *atr, *D, *H, *scratch;
    double ssq_ref;
} gram_ws;

/* Takes W as the new reference point: one exact pass over A. */
static MG__MUST_USE mg_status gram_refresh(const mg_matrix *A, const mg_matrix *Y, const double *w,
                                           size_t k, gram_ws *g)
{
    const size_t jk = A->cols * k;
    mg_matrix Wv = mg_matrix_view((double *)w, A->cols, k);
    /* ssq_ref = ||Y - A W||^2, atr = A^T (Y - A W) */
    mg__mse_pass(A, &Wv, Y, g->atr, &g->ssq_ref, g->scratch);
    if (!isfinite(g->ssq_ref) || !mg__all_finite(g->atr, 1, jk, jk))
        return MG_ENONFINITE;
    for (size_t i = 0; i < jk; i++)
        g->wref[i] = w[i];
    return MG_OK;
}

/* One pass over A and Y: G0 = A^T A, and W_ref = 0 as the first reference,
 * whose residual is Y itself: atr = A^T Y, ssq_ref = ||Y||^2 -- all read
 * off S = [A Y]^T [A Y].  The loss at the start then comes from the Gram
 * form; if it is below ssq_ref / 4 (a good warm start) the first epoch takes
 * an exact reference pass, as any later one would. */
static MG__MUST_USE mg_status gram_setup(const mg_matrix *A, const mg_matrix *Y, size_t k,
                                         gram_ws *g)
{
    const size_t j = A->cols;
    mg_fit *fit = NULL;
    /* S = [A Y]^T [A Y]   (G0 = A^T A, atr = A^T Y, Y^T Y), the fit engine's
     * GRAM sums (column-major upper: entry (a, b), a <= b, at S[b n + a]) */
    MG__CHECK(mg__normal_state(A, Y, 0.0, &fit));
    const size_t n = fit->n;
    const double *S = fit->S;
    for (size_t a = 0; a < j; a++)
        for (size_t b = 0; b < j; b++)
            g->G0[a * j + b] = a <= b ? S[b * n + a] : S[a * n + b];
    for (size_t a = 0; a < j; a++)
        for (size_t c = 0; c < k; c++)
            g->atr[a * k + c] = S[(j + c) * n + a];
    g->ssq_ref = 0.0;
    for (size_t c = 0; c < k; c++)
        g->ssq_ref += S[(j + c) * n + j + c];
    for (size_t i = 0; i < j * k; i++)
        g->wref[i] = 0.0;
    mg_fit_free(fit);
    /* NaN/Inf in A reaches a diagonal entry of G0, in Y reaches ||Y||^2 */
    return (isfinite(g->ssq_ref) && mg__all_finite(g->G0, j, 1, j + 1)) ? MG_OK : MG_ENONFINITE;
}

/* Loss and gradient at w from the Gram matrix, O(j^2 k).  With D = W - W_ref
 * and R_ref = Y - A W_ref (docs/performance.md, "Gram-cached descent"):
 *     ||Y - A W||^2 = ssq_ref - 2 <D, A^T R_ref> + <D, G0 D>
 *     dloss/dW      = -(2/N) (A^T R_ref - G0 D).
 * All three terms are bounded by a few times ssq_ref + ||Y - A W||^2, so
 * while the loss stays above a quarter of the reference loss its rounding
 * error is a few eps relative; below that the caller takes a new reference
 * by an exact pass.  (The textbook ||Y||^2 - 2 <W, A^T Y> + <W, G0 W> would
 * lose all digits of a small loss to cancellation.) */
static MG__MUST_USE double gram_eval(const double *w, size_t j, size_t k, double N, gram_ws *g,
                                     double *G)
{
    const size_t jk = j * k;
    double lin = 0.0, quad = 0.0;
    for (size_t i = 0; i < jk; i++)
        g->D[i] = w[i] - g->wref[i];
    /* One dsymv per column of D, not one dsymm: OpenBLAS threads dsymm at
     * any size (even 6 x 3) through its level-3 driver, which calls exit(1)
     * when it cannot allocate its job array; dsymv allocates nothing.  Same
     * O(j^2 k) flops, in level-2 form, on a G0 that stays in cache. */
    for (size_t c = 0; c < k; c++)
        /* H(:, c) = G0 D(:, c)   (columns of row-major j x k: stride k) */
        cblas_dsymv(CblasRowMajor, CblasUpper, (int)j, 1.0, g->G0, (int)j, g->D + c, (int)k, 0.0,
                    g->H + c, (int)k);
    for (size_t i = 0; i < jk; i++) {
        lin += g->D[i] * g->atr[i];
        quad += g->D[i] * g->H[i];
    }
    /* G = -(2/N) (A^T R_ref - G0 D) */
    for (size_t i = 0; i < jk; i++)
        G[i] = -2.0 / N * (g->atr[i] - g->H[i]);
    return g->ssq_ref - 2.0 * lin + quad;
}

/* MG_GD_GRAM: one Gram pass over [A Y] up front, then O(j^2 k) per epoch,
 * plus an exact pass whenever the loss falls below a quarter of the
 * reference loss (a logarithmic number of times). */
static MG__MUST_USE mg_status descend_gram(const mg_matrix *A, const mg_matrix *Y, double *w,
                                           size_t k, const mg_gd_options *o, double *G, gram_ws *g,
                                           size_t *steps)
{
    const size_t j = A->cols, jk = j * k;
    const double N = (double)A->rows;

    MG__CHECK(gram_setup(A, Y, k, g)); /* non-finite input: MG_ENONFINITE */
    int fresh = 0;
    for (size_t e = 0;; e++) {
        double ssq = g->ssq_ref;
        if (!fresh) {
            ssq = gram_eval(w, j, k, N, g, G);
            if (!(ssq >= 0.25 * g->ssq_ref)) { /* also when NaN */
                if (gram_refresh(A, Y, w, k, g) != MG_OK)
                    return (e == 0) ? MG_ENONFINITE : MG_ENOCONV;
                fresh = 1;
                ssq = g->ssq_ref;
            }
        }
        if (fresh) {
            /* G = -(2/N) A^T R at the reference point itself */
            for (size_t i = 0; i < jk; i++)
                G[i] = -2.0 / N * g->atr[i];
            fresh = 0;
        }
        const double loss = ssq / N;
        if (!isfinite(loss) || !mg__all_finite(G, 1, jk, jk))
            return (e == 0) ? MG_ENONFINITE : MG_ENOCONV; /* later: diverged */
        if (epoch_done(e, loss, o, w, G, jk)) {
            *steps = e;
            return MG_OK;
        }
    }
}

/* MG_GD_AUTO: the Gram strategy when its flops, including the set-up
 * (the Gram pass: N j^2) and an allowance of three exact passes, are fewer than the
 * direct strategy's epochs passes (about 4 N j k flops each; both run near
 * the same flop rate on the measured machine, docs/performance.md). */
int mg__gd_use_gram(size_t N, size_t j, size_t k, const mg_gd_options *o)
{
    if (o->strategy != MG_GD_AUTO)
        return o->strategy == MG_GD_GRAM;
    const double n = (double)N, J = (double)j, K = (double)k, E = (double)o->epochs;
    const double direct = (E + 1.0) * 4.0 * n * J * K;
    const double gram = n * J * J + 3.0 * 4.0 * n * J * K + E * 4.0 * J * J * K;
    return gram < direct;
}

static MG__MUST_USE mg_status run_gram(const mg_matrix *A, const mg_matrix *Y, double *w, size_t k,
                                       const mg_gd_options *o, double *G, size_t *steps)
{
    const size_t N = A->rows, j = A->cols;
    gram_ws g = { mg__alloc_doubles(j, j), mg__alloc_doubles(j, k), mg__alloc_doubles(j, k),
                  mg__alloc_doubles(j, k), mg__alloc_doubles(j, k),
                  mg__alloc_doubles(mg__mse_scratch_len(N, j, k), 1), 0.0 };
    mg_status s = MG_ENOMEM;
    if (g.G0 && g.wref && g.atr && g.D && g.H && g.scratch)
        s = descend_gram(A, Y, w, k, o, G, &g, steps);
    free(g.G0);
    free(g.wref);
    free(g.atr);
    free(g.D);
    free(g.H);
    free(g.scratch);
    return s;
}

mg_status mg_gd_fit(const mg_matrix *A, const mg_matrix *Y, mg_matrix *W,
                    const mg_gd_options *opt, size_t *epochs_run)
{
    const mg_gd_options o = opt ? *opt : mg_gd_defaults();
    MG__CHECK(mg__check_model(A, W, Y));
    MG__CHECK(mg_gd_options_check(&o));
    if (mg__overlaps(W, A) || mg__overlaps(W, Y))
        return MG_EINVAL;
    if (!mg__all_finite(W->data, W->rows, W->cols, W->stride))
        return MG_ENONFINITE;

    const size_t j = A->cols, k = W->cols;
    const int gram = mg__gd_use_gram(A->rows, j, k, &o);
    double *w = mg__alloc_doubles(j, k);
    double *G = mg__alloc_doubles(j, k);
    double *scratch = gram ? NULL : mg__alloc_doubles(mg__mse_scratch_len(A->rows, j, k), 1);
    mg_status s = MG_ENOMEM;
    size_t steps = 0;
    if (w && G && (gram || scratch)) {
        mg__copy(w, k, W->data, W->stride, j, k);
        s = gram ? run_gram(A, Y, w, k, &o, G, &steps)
                 : descend_direct(A, Y, w, k, &o, G, scratch, &steps);
    }
    if (s == MG_OK) {
        mg__copy(W->data, W->stride, w, k, j, k);
        if (epochs_run)
            *epochs_run = steps;
    }
    free(w);
    free(G);
    free(scratch);
    return s;
}
