/* SPDX-License-Identifier: BSD-3-Clause */
/* The fit report: R's summary(lm) (summary.c) for least-squares fits, the
 * estimates alone for gradient descent and ridge, then what matgrad adds
 * (method, rank and condition, log-likelihood, notes and warnings); the
 * --vcov matrix; and the --output CSV with every statistic at 17
 * significant digits. */
#include "fit_report.h"

#include "rformat.h"
#include "summary.h"

#include <csv.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *method_label(mgcli_method m)
{
    static const char *const names[] = { "auto", "normal", "qr", "gd" };
    return names[m];
}

static const char *term_name(const mgcli_fit_data *d, const mgcli_fit_result *r, size_t i)
{
    size_t k = r->q - d->p;   /* 1 with an intercept */
    return i < k ? "(Intercept)" : d->names[i - k];
}

/* The q coefficient names (malloc'd array of borrowed strings), or NULL. */
static const char **term_names(const mgcli_fit_data *d, const mgcli_fit_result *r)
{
    const char **names = malloc((r->q ? r->q : 1) * sizeof *names);
    for (size_t i = 0; names && i < r->q; i++)
        names[i] = term_name(d, r, i);
    return names;
}

/* x in the fewest of 15 or 17 significant digits that read back as x, so
 * a Call line reproduces the fit (0.1 stays 0.1). */
static void real_text(char *buf, size_t size, double x)
{
    snprintf(buf, size, "%.15g", x);
    if (strtod(buf, NULL) != x)
        snprintf(buf, size, "%.17g", x);
}

/* The command line that made the fit, as the summary's Call: every option
 * that changes the estimates or the standard errors (gradient descent's
 * rate and steps, also when they are the defaults, and the ridge penalty
 * included: without them the Call would name another fit). */
static void call_line(char *buf, size_t size, const mgcli_fit_options *o)
{
    char x[32];
    int n = snprintf(buf, size, "matgrad fit %s --target %s%s", o->file, o->target,
                     o->intercept ? " --intercept" : "");
    if (n >= 0 && (size_t)n < size && o->weights)
        n += snprintf(buf + n, size - (size_t)n, " --weights %s", o->weights);
    if (n >= 0 && (size_t)n < size && o->method != MGCLI_AUTO)
        n += snprintf(buf + n, size - (size_t)n, " --method %s", method_label(o->method));
    if (n >= 0 && (size_t)n < size && o->method == MGCLI_GD) {
        real_text(x, sizeof x, o->lr);
        n += snprintf(buf + n, size - (size_t)n, " --lr %s --epochs %zu", x, o->epochs);
    }
    if (n >= 0 && (size_t)n < size && o->ridge > 0) {
        real_text(x, sizeof x, o->ridge);
        n += snprintf(buf + n, size - (size_t)n, " --ridge %s", x);
    }
    if (n >= 0 && (size_t)n < size && o->robust >= 0)
        snprintf(buf + n, size - (size_t)n, " --robust hc%d", o->robust);
}

static void print_gd_convergence(FILE *out, const mgcli_fit_result *r)
{
    const double loss = r->losses[r->epochs_run], best = r->gd_optimum;
    if (!isfinite(best))
        return;
    /* the losses are sums of squares computed to a few hundred eps of
     * relative accuracy: 1e-10 separates "not converged" from rounding */
    const double gap = best > 0 ? (loss - best) / best : loss;
    if (gap <= 1e-10)
        return;
    fprintf(out, "Warning: gradient descent has not converged: its loss %.10g is %.3g%% above "
                 "the least-squares optimum %.10g of the same rows; the estimates are not the "
                 "least-squares ones (use --method auto, or more --epochs or a larger --lr)\n",
            loss, 100.0 * gap, best);
}

/* What every report prints: the call, the estimates, sigma and its df,
 * the rows dropped for missing values. */
static mgcli_summary summary_of(const char *call, const char **names, const mgcli_fit_result *r)
{
    mgcli_summary s = { 0 };
    s.call = call;
    s.m = r->q;
    s.names = names;
    s.coef = r->beta;
    s.sigma = r->residual_sd;
    s.df_residual = r->df;
    s.n_deleted = r->n_deleted;
    return s;
}

static int print_estimates_only(FILE *out, const char *call, const mgcli_fit_data *d,
                                const mgcli_fit_result *r)
{
    const char **names = term_names(d, r);
    if (!names)
        return -1;
    mgcli_summary s = summary_of(call, names, r);
    int rc = mgcli_summary_print_estimates(out, &s);
    free(names);
    if (rc == 0) {
        mgcli_rnum a;
        fprintf(out, "R-squared: %s\n", mgcli_rformat1(mgcli_rsignif(r->r_squared, 4), 7, a));
    }
    return rc;
}

static int print_summary(FILE *out, const char *call, const mgcli_fit_options *o,
                         const mgcli_fit_data *d, const mgcli_fit_result *r)
{
    const char **names = term_names(d, r);
    if (!names)
        return -1;
    char label[32];
    snprintf(label, sizeof label, "%s SE", r->robust ? r->robust : "");
    mgcli_summary s = summary_of(call, names, r);
    s.se = r->se;
    s.t = r->t;
    s.p = r->p;
    s.se_label = r->robust ? label : NULL;
    s.n_aliased = r->n_aliased;
    s.weighted = o->weights != NULL;
    s.have_quantiles = r->have_quantiles;
    memcpy(s.quantiles, r->quantiles, sizeof s.quantiles);
    s.resid = r->resid_all ? r->resid : NULL;
    s.n_resid = r->n_resid;
    s.have_f = r->df_model > 0;
    s.r2 = r->r_squared;
    s.adj_r2 = r->adj_r_squared;
    s.f = r->f;
    s.f_p = r->f_p;
    s.df1 = r->df_model;
    s.df2 = r->df;
    int rc = mgcli_summary_print(out, &s);
    free(names);
    return rc;
}

int mgcli_fit_print(FILE *out, const mgcli_fit_options *o, const mgcli_fit_data *d,
                    const mgcli_fit_result *r)
{
    char call[512];
    call_line(call, sizeof call, o);
    int rc = r->have_infer ? print_summary(out, call, o, d, r)
                           : print_estimates_only(out, call, d, r);
    if (rc != 0)
        return -1;
    fputc('\n', out);
    fprintf(out, "Method: %s (%s)\n", method_label(o->method), r->method);
    if (o->method == MGCLI_GD)
        fprintf(out, "Gradient descent: %zu epochs, learning rate %g, final loss %.10g\n",
                r->epochs_run, o->lr, r->losses[r->epochs_run]);
    if (o->ridge > 0)
        fprintf(out, "Ridge penalty: %g (intercept not penalised); no standard errors\n",
                o->ridge);
    if (o->weights)
        fprintf(out, "Weights: column '%s' (%zu rows with a nonzero weight)\n", o->weights,
                r->nonzero);
    if (r->have_rank)
        fprintf(out, "Rank: %zu of %zu coefficients; condition estimate: %.3g\n", r->rank, r->q,
                r->rcond > 0 ? 1 / r->rcond : INFINITY);
    if (r->have_infer) {
        fprintf(out, "Log-likelihood: %.10g (df = %zu); AIC: %.10g; BIC: %.10g\n", r->loglik,
                r->rank + 1, r->aic, r->bic);
        if (r->robust)
            fprintf(out, "Standard errors: heteroskedasticity-consistent %s (sandwich::vcovHC)\n",
                    r->robust);
        if (!r->about_mean && r->df_model > 0)
            fputs("R-squared and F are about zero: the model has no intercept\n", out);
        else if (r->about_mean && !o->intercept)
            fputs("R-squared and F are about the mean: a constant column acts as the intercept\n",
                  out);
        if (r->n_aliased)
            fputs("Note: NA coefficients are aliased: their columns are linear combinations of "
                  "earlier ones\n", out);
        if (r->perfect_fit)
            fputs("Warning: essentially perfect fit: the residuals are at rounding level; t "
                  "values, p-values and F are not defined\n", out);
    }
    if (o->method == MGCLI_GD)
        print_gd_convergence(out, r);
    if (r->note)
        fprintf(out, "%s\n", r->note);
    if (o->vcov && r->have_infer) {
        const char **names = term_names(d, r);
        if (!names)
            return -1;
        fprintf(out, "\nCovariance matrix of the coefficients%s%s%s:\n", r->robust ? " (" : "",
                r->robust ? r->robust : "", r->robust ? ")" : "");
        rc = mgcli_summary_print_matrix(out, names, r->q, r->vcov);
        free(names);
    }
    return rc;
}

static void put_field(FILE *out, const char *s)
{
    if (strpbrk(s, ",\"\r\n"))
        csv_fwrite(out, s, strlen(s));
    else
        fputs(s, out);
}

static void put_number(FILE *out, double x)
{
    if (isnan(x))
        fputs(",NA", out);
    else
        fprintf(out, ",%.17g", x);
}

static void put_count(FILE *out, size_t n, int have)
{
    if (have)
        fprintf(out, ",%zu", n);
    else
        fputs(",NA", out);
}

int mgcli_fit_write_csv(FILE *out, const mgcli_fit_options *o, const mgcli_fit_data *d,
                        const mgcli_fit_result *r)
{
    /* one row per coefficient; the model's statistics repeat on every row
     * (one table, each row complete); with --vcov, that row of the
     * covariance matrix */
    fputs("term,estimate,std_error,t_value,p_value,conf_low,conf_high,aliased,sigma,"
          "df_residual,r_squared,adj_r_squared,f_statistic,f_df1,f_df2,f_p_value,loglik,aic,"
          "bic,n,deleted,conf_level",
          out);
    for (size_t j = 0; o->vcov && j < r->q; j++) {
        fputs(",", out);
        char name[512];
        snprintf(name, sizeof name, "vcov_%s", term_name(d, r, j));
        put_field(out, name);
    }
    fputc('\n', out);
    const int inf = r->have_infer;
    for (size_t i = 0; i < r->q; i++) {
        put_field(out, term_name(d, r, i));
        put_number(out, r->beta[i]);
        put_number(out, r->se[i]);
        put_number(out, inf ? r->t[i] : NAN);
        put_number(out, inf ? r->p[i] : NAN);
        put_number(out, inf ? r->lo[i] : NAN);
        put_number(out, inf ? r->hi[i] : NAN);
        fprintf(out, ",%d", inf ? r->aliased[i] != 0 : 0);
        put_number(out, r->residual_sd);
        put_count(out, r->df, 1);
        put_number(out, r->r_squared);
        put_number(out, r->adj_r_squared);
        put_number(out, inf && r->df_model ? r->f : NAN);
        put_count(out, r->df_model, inf && r->df_model);
        put_count(out, r->df, inf && r->df_model);
        put_number(out, inf && r->df_model ? r->f_p : NAN);
        put_number(out, inf ? r->loglik : NAN);
        put_number(out, inf ? r->aic : NAN);
        put_number(out, inf ? r->bic : NAN);
        put_count(out, r->nonzero, 1);
        put_count(out, r->n_deleted, 1);
        put_number(out, inf ? r->level : NAN);
        for (size_t j = 0; o->vcov && j < r->q; j++)
            put_number(out, inf ? r->vcov[i * r->q + j] : NAN);
        fputc('\n', out);
    }
    return ferror(out) ? -1 : 0;
}
