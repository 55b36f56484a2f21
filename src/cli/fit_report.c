/* SPDX-License-Identifier: BSD-3-Clause */
/* The fit summary, laid out like R's summary(lm): one row per coefficient
 * with its estimate, standard error and t value, then the residual standard
 * error, R^2, rank and condition estimate. */
#include "fit_report.h"

#include "table.h"

#include <csv.h>
#include <math.h>
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

static double t_value(const mgcli_fit_result *r, size_t i)
{
    return r->se[i] > 0 ? r->beta[i] / r->se[i] : NAN;
}

/* The F statistic of the regression against the intercept-only (or empty)
 * model, (R^2 / (rank - c)) / ((1 - R^2) / df) with c = 1 for an intercept,
 * as R's summary.lm (weighted R^2 with weights).  Computed here because
 * mg_lstsq_result has no F field yet: it belongs in mg_fit_finish beside
 * adj_r_squared (src/fit/finish.c, statistics()).  NaN where undefined. */
static double f_statistic(const mgcli_fit_options *o, const mgcli_fit_result *r)
{
    size_t c = o->intercept ? 1 : 0;
    double r2 = r->r_squared;
    if (r->df == 0 || r->rank <= c || !(r2 < 1))
        return NAN;
    return (r2 / (double)(r->rank - c)) / ((1 - r2) / (double)r->df);
}

/* R's adjusted R^2 (from mg_fit_finish) and the F statistic: statistics of
 * a least-squares fit, so not for ridge or gradient descent. */
static void print_adjusted(FILE *out, const mgcli_fit_options *o, const mgcli_fit_result *r)
{
    if (!r->least_squares || isnan(r->adj_r_squared))
        return;
    char buf[32];
    fprintf(out, "Adjusted R-squared: %s\n", mgcli_fmt_g(buf, sizeof buf, 12, r->adj_r_squared));
    double f = f_statistic(o, r);
    if (!isnan(f))
        fprintf(out, "F-statistic: %.6g on %zu and %zu DF\n", f, r->rank - (o->intercept ? 1 : 0),
                r->df);
}

int mgcli_fit_print(FILE *out, const mgcli_fit_options *o, const mgcli_fit_data *d,
                     const mgcli_fit_result *r)
{
    fprintf(out, "Linear model: %s ~ %s%zu column%s of %s (%zu rows)\n", d->target,
            o->intercept ? "intercept + " : "", d->p, d->p == 1 ? "" : "s",
            strcmp(o->file, "-") ? o->file : "(stdin)", d->n);
    if (o->weights)
        fprintf(out, "Weights: column '%s' (%zu rows with a nonzero weight)\n", o->weights,
                r->nonzero);
    fprintf(out, "Method: %s (%s)\n", method_label(o->method), r->method);
    if (r->note)
        fprintf(out, "%s\n", r->note);
    if (o->method == MGCLI_GD)
        fprintf(out, "Gradient descent: %zu epochs, learning rate %g, final loss %.10g\n",
                r->epochs_run, o->lr, r->losses[r->epochs_run]);
    if (o->ridge > 0)
        fprintf(out, "Ridge penalty: %g (intercept not penalised)\n", o->ridge);

    fputs("\nCoefficients:\n", out);
    mgcli_table *t = mgcli_table_new(4, "lrrr");
    const char *head[4] = { "", "Estimate", "Std. Error", "t value" };
    int ok = t && mgcli_table_row(t, head) == 0;
    for (size_t i = 0; ok && i < r->q; i++) {
        char est[32], se[32], tv[32];
        double tt = t_value(r, i);
        if (isnan(tt))
            strcpy(tv, "NA");
        else
            snprintf(tv, sizeof tv, "%.3f", tt);
        const char *row[4] = { term_name(d, r, i), mgcli_fmt_g(est, sizeof est, 12, r->beta[i]),
                               mgcli_fmt_g(se, sizeof se, 12, r->se[i]), tv };
        ok = mgcli_table_row(t, row) == 0;
    }
    if (ok)
        mgcli_table_print(t, out);
    mgcli_table_free(t);
    if (!ok)
        return -1;

    char buf[32];
    fprintf(out, "\nResidual standard error: %s on %zu degrees of freedom\n",
            mgcli_fmt_g(buf, sizeof buf, 12, r->residual_sd), r->df);
    if (r->n_deleted) fprintf(out, "  (%zu observation%s deleted due to missingness)\n", r->n_deleted, r->n_deleted == 1 ? "" : "s");
    fprintf(out, "R-squared: %s\n", mgcli_fmt_g(buf, sizeof buf, 12, r->r_squared));
    print_adjusted(out, o, r);
    if (r->have_rank)
        fprintf(out, "Rank: %zu of %zu coefficients; condition estimate: %.3g\n", r->rank, r->q,
                r->rcond > 0 ? 1 / r->rcond : INFINITY);
    if (r->have_rank && r->rank < r->q)
        fputs("Note: the design is rank-deficient: the estimates are the minimum-norm\n"
              "solution, and the columns' separate effects are not identifiable.\n",
              out);
    return 0;
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

int mgcli_fit_write_csv(FILE *out, const mgcli_fit_data *d, const mgcli_fit_result *r)
{
    fputs("term,estimate,std_error,t_value\n", out);
    for (size_t i = 0; i < r->q; i++) {
        put_field(out, term_name(d, r, i));
        put_number(out, r->beta[i]);
        put_number(out, r->se[i]);
        put_number(out, t_value(r, i));
        fputc('\n', out);
    }
    return ferror(out) ? -1 : 0;
}
