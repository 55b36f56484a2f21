/* SPDX-License-Identifier: BSD-3-Clause */
/* `matgrad fit --method gd`: mg_gd_fit from zero weights on the rows held
 * in memory, loss recorded per epoch.  (The other methods stream through
 * the fit engine: fit_engine.c.) */
#include "cli.h"
#include "fit_data.h"
#include "fit_gd.h"
#include "progress.h"

#include <math.h>
#include <matgrad.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int mgcli_fit_result_alloc(mgcli_fit_result *r, size_t q)
{
    r->q = q;
    r->beta = calloc(q, sizeof *r->beta);
    r->se = malloc(q * sizeof *r->se);
    r->t = malloc(q * sizeof *r->t);
    r->p = malloc(q * sizeof *r->p);
    r->lo = malloc(q * sizeof *r->lo);
    r->hi = malloc(q * sizeof *r->hi);
    r->aliased = calloc(q, 1);
    r->cov = malloc(q * q * sizeof *r->cov);
    r->vcov = malloc(q * q * sizeof *r->vcov);
    if (!r->beta || !r->se || !r->t || !r->p || !r->lo || !r->hi || !r->aliased || !r->cov ||
        !r->vcov)
        return -1;
    for (size_t i = 0; i < q; i++)
        r->se[i] = r->t[i] = r->p[i] = r->lo[i] = r->hi[i] = NAN;
    r->gd_optimum = NAN;
    r->f = r->f_p = r->loglik = r->aic = r->bic = NAN;
    r->rcond = NAN;
    r->residual_sd = NAN;
    r->r_squared = NAN;
    r->adj_r_squared = NAN;
    return 0;
}

static int report_status(mg_status s, const char *what)
{
    switch (s) {
    case MG_ENOCONV:
        fprintf(stderr, "matgrad: %s: the loss diverged; try a smaller --lr\n", what);
        break;
    case MG_ENOMEM:
        return mgcli_out_of_memory(what);
    default:
        fprintf(stderr, "matgrad: %s: %s\n", what, mg_strerror(s));
    }
    return MGCLI_EXIT_FAIL;
}

double mgcli_gd_rss(const double *X, size_t stride, size_t n, size_t cols, const double *y,
                     const double *b)
{
    double rss = 0;
    for (size_t i = 0; i < n; i++) {
        const double *x = X + i * stride;
        double fit = 0;
        for (size_t j = 0; j < cols; j++)
            fit += x[j] * b[j];
        rss += (y[i] - fit) * (y[i] - fit);
    }
    return rss;
}

/* Total sum of squares: about the mean with an intercept, about 0 without
 * (R's convention, as mg_lstsq). */
static double tss_of(const double *y, size_t n, int about_mean)
{
    double mean = 0, tss = 0;
    if (about_mean) {
        for (size_t i = 0; i < n; i++)
            mean += y[i];
        mean /= (double)n;
    }
    for (size_t i = 0; i < n; i++)
        tss += (y[i] - mean) * (y[i] - mean);
    return tss;
}

/* Residual sd on n - q degrees of freedom and R^2 = 1 - RSS/TSS of gradient
 * descent's estimates.  The fit engine cannot give these: its statistics
 * are those of its own (least-squares) solution, not of a given B.  No
 * adjusted R^2 or F: they describe the least-squares fit. */
void mgcli_gd_stats(mgcli_fit_result *r, size_t n, double rss, double tss)
{
    r->df = n > r->q ? n - r->q : 0;
    r->residual_sd = r->df ? sqrt(rss / (double)r->df) : NAN;
    r->r_squared = tss > 0 ? 1 - rss / tss : NAN;
}

/* The loss gradient descent should reach: that of the least-squares
 * solution of the same rows (mg_lstsq, accurate to the data's ceiling), by
 * the same loss function; NaN when it cannot be had (the report then makes
 * no claim about convergence). */
static double optimum_loss(const mg_matrix *X, const mg_matrix *Y, size_t q)
{
    double *b = malloc(q * sizeof *b), loss = NAN;
    if (!b)
        return NAN;
    mg_matrix B = mg_matrix_view(b, q, 1);
    if (mg_lstsq(X, Y, &B, NULL, NULL) != MG_OK || mg_mse_loss(X, &B, Y, &loss) != MG_OK)
        loss = NAN;
    free(b);
    return loss;
}

typedef struct gd_watch {
    double *losses;
    mgcli_progress bar;
} gd_watch;

static void on_epoch(size_t e, double loss, void *ctx)
{
    gd_watch *w = ctx;
    w->losses[e] = loss;
    mgcli_progress_update(&w->bar, e, loss);
}

int mgcli_gd_run(const mgcli_fit_options *o, mgcli_gd_step step, void *ctx, mgcli_fit_result *r,
                 mg_status *status)
{
    gd_watch w = { r->losses, { 0 } };
    mg_gd_options g = mg_gd_defaults();
    g.learning_rate = o->lr;
    g.epochs = o->epochs;
    g.on_epoch = on_epoch;
    g.ctx = &w;
    mgcli_progress_start(&w.bar, o->epochs);
    *status = step(ctx, &g, &r->epochs_run);
    mgcli_progress_end(&w.bar);
    return *status == MG_OK ? MGCLI_EXIT_OK : report_status(*status, "gradient descent");
}

/* One process's descent on the rows in memory. */
typedef struct gd_one {
    const mg_matrix *X, *Y;
    mg_matrix *W;
} gd_one;

static mg_status gd_one_step(void *ctx, const mg_gd_options *g, size_t *epochs_run)
{
    gd_one *one = ctx;
    return mg_gd_fit(one->X, one->Y, one->W, g, epochs_run);
}

static int run_gd(const mgcli_fit_options *o, mgcli_fit_data *d, mgcli_fit_result *r)
{
    if (o->epochs >= SIZE_MAX / sizeof(double) - 1 ||
        !(r->losses = malloc((o->epochs + 1) * sizeof *r->losses)))
        return mgcli_out_of_memory("the loss curve of gradient descent");
    mg_matrix X = mg_matrix_view(d->X, d->n, d->stride);
    mg_matrix Y = mg_matrix_view(d->y, d->n, 1);
    mg_matrix W = mg_matrix_view(r->beta, r->q, 1);   /* starts at zero */
    gd_one one = { &X, &Y, &W };
    mg_status s;
    int rc = mgcli_gd_run(o, gd_one_step, &one, r, &s);
    if (rc != MGCLI_EXIT_OK)
        return rc;
    mgcli_gd_stats(r, d->n, mgcli_gd_rss(d->X, d->stride, d->n, r->q, d->y, r->beta),
                   tss_of(d->y, d->n, o->intercept));
    r->method = "gradient descent";
    r->gd_optimum = optimum_loss(&X, &Y, r->q);
    return MGCLI_EXIT_OK;
}

int mgcli_fit_run(const mgcli_fit_options *o, mgcli_fit_data *d, mgcli_fit_result *r)
{
    if (d->p == 0) {
        fprintf(stderr, "matgrad: %s: no predictor columns besides '%s'\n", o->file, o->target);
        return MGCLI_EXIT_USAGE;
    }
    if (mgcli_fit_result_alloc(r, d->p + (o->intercept ? 1 : 0)) != 0)
        return mgcli_out_of_memory("the coefficients");
    r->nonzero = d->n;
    return run_gd(o, d, r);
}

void mgcli_fit_result_free(mgcli_fit_result *r)
{
    free(r->beta);
    free(r->se);
    free(r->losses);
    free(r->t);
    free(r->p);
    free(r->lo);
    free(r->hi);
    free(r->aliased);
    free(r->cov);
    free(r->vcov);
    free(r->resid);
    free(r->fitted);
    free(r->hat);
    free(r->row);
    memset(r, 0, sizeof *r);
}
