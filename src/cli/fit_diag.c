/* SPDX-License-Identifier: BSD-3-Clause */
/* The diagnostics pass (see fit_diag.h). */
#include "fit_diag.h"

#include "summary.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int mgcli_diag_init(mgcli_diag_acc *a, const mgcli_fit_result *r, size_t p, int intercept,
                    int hc_type, int keep_plot)
{
    memset(a, 0, sizeof *a);
    a->one = 1.0;
    a->keep_plot = keep_plot;
    /* views of r's arrays (r outlives the pass); B is q x 1 */
    a->B = mg_matrix_view(r->beta, r->q, 1);
    a->C = mg_matrix_view(r->cov, r->q, r->q);
    a->model.p = p;
    a->model.k = 1;
    a->model.intercept = intercept;
    a->model.coef = &a->B;
    a->model.cov_unscaled = &a->C;
    a->model.sigma = &a->one;
    a->model.df_residual = r->df;
    if (hc_type >= 0) {
        a->status = mg_hc_create(&a->model, 0, (mg_hc_type)hc_type, &a->hc);
        if (a->status != MG_OK)
            return -1;
    }
    return 0;
}

/* Room for n more rows in the kept arrays. */
static int grow(mgcli_diag_acc *a, size_t more)
{
    if (a->n + more <= a->cap)
        return 0;
    size_t cap = a->cap ? a->cap : 4096;
    while (cap < a->n + more)
        cap *= 2;
    double *r = realloc(a->resid, cap * sizeof *r);
    if (r)
        a->resid = r;
    int ok = r != NULL;
    if (ok && a->keep_plot) {
        double *f = realloc(a->fitted, cap * sizeof *f);
        if (f)
            a->fitted = f;
        double *h = realloc(a->hat, cap * sizeof *h);
        if (h)
            a->hat = h;
        ok = f && h;
    }
    if (!ok)
        return -1;
    a->cap = cap;
    return 0;
}

int mgcli_diag_block(mgcli_diag_acc *a, const mgcli_fit_data *d, mgcli_csv_error *err)
{
    const size_t nb = d->nb;
    if (nb == 0)
        return 0;
    if (nb > a->blk_cap) {
        free(a->fit_blk);
        free(a->se_blk);
        a->fit_blk = malloc(nb * sizeof *a->fit_blk);
        a->se_blk = malloc(nb * sizeof *a->se_blk);
        if (!a->fit_blk || !a->se_blk) {
            a->blk_cap = 0;
            return mgcli_csv_fail_nomem(err, "the diagnostics pass");
        }
        a->blk_cap = nb;
    }
    if (grow(a, nb) != 0)
        return mgcli_csv_fail_nomem(err, "the residuals");
    mg_matrix X = mg_matrix_view(d->X, nb, d->p), Y = mg_matrix_view(d->y, nb, 1);
    mg_matrix W = mg_matrix_view(d->w, nb, 1), F = mg_matrix_view(a->fit_blk, nb, 1);
    mg_matrix S = mg_matrix_view(a->se_blk, nb, 1);
    const mg_matrix *w = d->w ? &W : NULL;
    /* fitted values z^T b, and with plots se_fit = sqrt(z^T C z) (sigma 1) */
    mg_status s = mg_predict(&a->model, d->p ? &X : NULL, NULL, MG_INTERVAL_NONE, 0.95, &F,
                             a->keep_plot ? &S : NULL, NULL, NULL);
    if (s == MG_OK && a->hc)
        s = mg_hc_accumulate(a->hc, d->p ? &X : NULL, &Y, w);
    if (s != MG_OK) {
        a->status = s;
        return mgcli_csv_fail(err, 0, "diagnostics: %s", mg_strerror(s));
    }
    for (size_t i = 0; i < nb; i++) {
        const double wi = d->w ? d->w[i] : 1.0;
        if (wi == 0.0) {
            a->n_zero++; /* not in the fit (R's lm drops zero weights) */
            continue;
        }
        a->resid[a->n] = sqrt(wi) * (d->y[i] - a->fit_blk[i]);
        if (a->keep_plot) {
            a->fitted[a->n] = a->fit_blk[i];
            a->hat[a->n] = wi * a->se_blk[i] * a->se_blk[i];
        }
        a->n++;
    }
    return 0;
}

int mgcli_diag_finish(mgcli_diag_acc *a, mgcli_fit_result *r)
{
    /* R's summary quantiles are of sqrt(w) e over every row, so a row of
     * zero weight counts as a residual of 0 there (not in the plots) */
    const size_t nq = a->n + a->n_zero;
    double *q = malloc((nq ? nq : 1) * sizeof *q);
    if (!q) {
        a->status = MG_ENOMEM;
        return -1;
    }
    if (a->n)
        memcpy(q, a->resid, a->n * sizeof *q);
    for (size_t i = a->n; i < nq; i++)
        q[i] = 0.0;
    int rc = mgcli_summary_quantiles(q, nq, r->quantiles);
    free(q);
    if (rc != 0) {
        a->status = MG_ENOMEM;
        return -1;
    }
    r->have_quantiles = nq > 0;
    if (a->hc) {
        mg_matrix V = mg_matrix_view(r->vcov, r->q, r->q);
        a->status = mg_hc_finish(a->hc, &V);
        if (a->status != MG_OK)
            return -1;
    }
    free(r->resid);
    free(r->fitted);
    free(r->hat);
    r->resid = a->resid;
    r->fitted = a->fitted;
    r->hat = a->hat;
    r->n_resid = a->n;
    a->resid = a->fitted = a->hat = NULL;
    return 0;
}

void mgcli_diag_free(mgcli_diag_acc *a)
{
    mg_hc_free(a->hc);
    free(a->resid);
    free(a->fitted);
    free(a->hat);
    free(a->fit_blk);
    free(a->se_blk);
    memset(a, 0, sizeof *a);
}
