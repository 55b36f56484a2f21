/* SPDX-License-Identifier: BSD-3-Clause */
/* R's regression diagnostic plots (see diagnostics.h), drawn by gnuplot. */
#include "diagnostics.h"

#include "lowess.h"
#include "outfile.h"
#include "plot.h"
#include "rformat.h"

#include <math.h>
#include <matgrad.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mgcli_diag_standardize(const mgcli_diag *d, double *r, double *cook)
{
    for (size_t i = 0; i < d->n; i++) {
        const double h = d->hat[i];
        if (!(h < 1.0) || !(d->sigma > 0.0)) {
            r[i] = cook[i] = NAN;
            continue;
        }
        r[i] = d->resid[i] / (d->sigma * sqrt(1.0 - h));
        cook[i] = r[i] * r[i] * h / ((double)d->rank * (1.0 - h));
    }
}

/* One panel's points (x_i, y_i), the rows where both are numbers, sorted
 * by x (ties by y), with their row numbers, and the LOWESS trend. */
typedef struct panel {
    size_t n;
    double *x, *y, *trend;
    size_t *row;   /* each point's index in the caller's arrays */
} panel;

static const double *sort_key;

static int by_key(const void *a, const void *b)
{
    const size_t i = *(const size_t *)a, j = *(const size_t *)b;
    const double x = sort_key[2 * i], y = sort_key[2 * j];
    if (x != y)
        return (x > y) - (x < y);
    const double u = sort_key[2 * i + 1], v = sort_key[2 * j + 1];
    return (u > v) - (u < v);
}

static void panel_free(panel *p)
{
    free(p->x);
    free(p->y);
    free(p->trend);
    free(p->row);
    memset(p, 0, sizeof *p);
}

static int panel_make(panel *p, const double *x, const double *y, size_t n, int trend)
{
    memset(p, 0, sizeof *p);
    double *xy = malloc(2 * (n ? n : 1) * sizeof *xy);
    size_t *idx = malloc((n ? n : 1) * sizeof *idx);
    p->x = malloc((n ? n : 1) * sizeof *p->x);
    p->y = malloc((n ? n : 1) * sizeof *p->y);
    p->trend = malloc((n ? n : 1) * sizeof *p->trend);
    p->row = malloc((n ? n : 1) * sizeof *p->row);
    int rc = (xy && idx && p->x && p->y && p->trend && p->row) ? 0 : -1;
    size_t m = 0;
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (isfinite(x[i]) && isfinite(y[i])) {
            xy[2 * m] = x[i];
            xy[2 * m + 1] = y[i];
            idx[m] = m;
            p->row[m++] = i; /* the point's index in the caller's arrays */
        }
    if (rc == 0) {
        /* qsort has no context argument: the key is a file-level pointer,
         * set and used only here (the command is single-threaded here) */
        sort_key = xy;
        qsort(idx, m, sizeof *idx, by_key);
        size_t *rows = malloc((m ? m : 1) * sizeof *rows);
        rc = rows ? 0 : -1;
        for (size_t k = 0; rc == 0 && k < m; k++) {
            p->x[k] = xy[2 * idx[k]];
            p->y[k] = xy[2 * idx[k] + 1];
            rows[k] = p->row[idx[k]];
        }
        if (rows)
            memcpy(p->row, rows, m * sizeof *rows);
        free(rows);
        p->n = m;
    }
    if (rc == 0 && trend && m > 0)
        rc = mgcli_lowess(p->x, p->y, m, 2.0 / 3.0, 3, 0.01 * (p->x[m - 1] - p->x[0]), p->trend);
    free(xy);
    free(idx);
    if (rc != 0)
        panel_free(p);
    return rc;
}

/* The rows of the three largest |v| (R labels id.n = 3 points). */
static void extremes(const panel *p, const double *v, size_t out[3], size_t *count)
{
    *count = 0;
    for (size_t k = 0; k < p->n; k++) {
        size_t pos = *count < 3 ? (*count)++ : 3;
        if (pos == 3 && fabs(v[k]) <= fabs(v[out[2]]))
            continue;
        if (pos == 3)
            pos = 2;
        while (pos > 0 && fabs(v[k]) > fabs(v[out[pos - 1]])) {
            out[pos] = out[pos - 1];
            pos--;
        }
        out[pos] = k;
    }
}

static void put_points(FILE *g, const panel *p)
{
    for (size_t k = 0; k < p->n; k++)
        fprintf(g, "%.17g %.17g\n", p->x[k], p->y[k]);
    fputs("e\n", g);
}

static void put_trend(FILE *g, const panel *p)
{
    for (size_t k = 0; k < p->n; k++)
        fprintf(g, "%.17g %.17g\n", p->x[k], p->trend[k]);
    fputs("e\n", g);
}

static void put_labels(FILE *g, const panel *p, const double *by, const size_t *label)
{
    size_t top[3], c;
    extremes(p, by, top, &c);
    for (size_t j = 0; j < c; j++) {
        const size_t i = p->row[top[j]];
        fprintf(g, "%.17g %.17g %zu\n", p->x[top[j]], p->y[top[j]], label ? label[i] : i + 1);
    }
    if (!c)
        fputs("0 0 \"\"\n", g);
    fputs("e\n", g);
}

static const char *const POINTS = "'-' using 1:2 with points pointtype 6 pointsize 0.8 lc rgb 'black' notitle";
static const char *const TREND = "'-' using 1:2 with lines linewidth 1.5 lc rgb 'red' notitle";
static const char *const LABELS = "'-' using 1:2:3 with labels offset 1.2,0 font ',8' notitle";

typedef struct diag_plot {
    const mgcli_diag *d;
    panel fit_res, qq, scale, lev;
    double qq_slope, qq_icpt, hmax;
    double *cook_sorted;   /* Cook's distances in the leverage panel's order */
} diag_plot;

static void write_panels(FILE *g, const char *png, const void *ctx)
{
    const diag_plot *dp = ctx;
    /* noenhanced: names and titles are text, not markup (~ and _ are
     * operators of gnuplot's enhanced mode) */
    fputs("set terminal pngcairo noenhanced size 1000,900 font 'sans,10'\n", g);
    mgcli_plot_setting(g, "output", png);
    if (dp->d->title)
        mgcli_plot_setting(g, "multiplot layout 2,2 title", dp->d->title);
    else
        fputs("set multiplot layout 2,2\n", g);
    fputs("set grid\n", g);

    mgcli_plot_setting(g, "title", "Residuals vs Fitted");
    mgcli_plot_setting(g, "xlabel", "Fitted values");
    mgcli_plot_setting(g, "ylabel", "Residuals");
    fprintf(g, "plot %s, %s, %s, 0 with lines dashtype 3 lc rgb 'gray' notitle\n", POINTS, TREND, LABELS);
    put_points(g, &dp->fit_res);
    put_trend(g, &dp->fit_res);
    put_labels(g, &dp->fit_res, dp->fit_res.y, dp->d->row);

    mgcli_plot_setting(g, "title", "Normal Q-Q");
    mgcli_plot_setting(g, "xlabel", "Theoretical Quantiles");
    mgcli_plot_setting(g, "ylabel", "Standardized residuals");
    fprintf(g, "plot %s, %s, %.17g + %.17g * x with lines dashtype 3 lc rgb 'gray' notitle\n", POINTS,
            LABELS, dp->qq_icpt, dp->qq_slope);
    put_points(g, &dp->qq);
    put_labels(g, &dp->qq, dp->qq.y, dp->d->row);

    mgcli_plot_setting(g, "title", "Scale-Location");
    mgcli_plot_setting(g, "xlabel", "Fitted values");
    mgcli_plot_setting(g, "ylabel", "sqrt(|Standardized residuals|)");
    fprintf(g, "plot %s, %s, %s\n", POINTS, TREND, LABELS);
    put_points(g, &dp->scale);
    put_trend(g, &dp->scale);
    put_labels(g, &dp->scale, dp->scale.y, dp->d->row);

    mgcli_plot_setting(g, "title", "Residuals vs Leverage");
    mgcli_plot_setting(g, "xlabel", "Leverage");
    mgcli_plot_setting(g, "ylabel", "Standardized residuals");
    /* Cook's distance D: r = +-sqrt(D rank (1 - h) / h) */
    const double p = (double)dp->d->rank;
    /* the axes fit the points (R's ylim), the contours are clipped to them */
    double lo = 0.0, hi = 0.0;
    for (size_t k = 0; k < dp->lev.n; k++) {
        lo = fmin(lo, dp->lev.y[k]);
        hi = fmax(hi, dp->lev.y[k]);
    }
    const double pad = 0.075 * (hi - lo > 0 ? hi - lo : 1.0);
    fprintf(g, "set xrange [0:%.17g]\nset yrange [%.17g:%.17g]\n",
            dp->hmax > 0 ? 1.05 * dp->hmax : 1.0, lo - pad, hi + pad);
    fprintf(g, "set samples 200\nc(D,x) = x > 0 ? sqrt(D * %.17g * (1 - x) / x) : 1/0\n", p);
    fputs("set key bottom left\n", g);
    fprintf(g, "plot %s, %s, %s, 0 with lines dashtype 3 lc rgb 'gray' notitle, "
               "c(0.5,x) with lines dashtype 2 lc rgb 'red' title \"Cook's distance 0.5\", "
               "-c(0.5,x) with lines dashtype 2 lc rgb 'red' notitle, "
               "c(1,x) with lines dashtype 4 lc rgb 'red' title \"Cook's distance 1\", "
               "-c(1,x) with lines dashtype 4 lc rgb 'red' notitle\n",
            POINTS, TREND, LABELS);
    put_points(g, &dp->lev);
    put_trend(g, &dp->lev);
    put_labels(g, &dp->lev, dp->cook_sorted, dp->d->row); /* R: the largest Cook's distances */
    fputs("unset multiplot\nunset output\nexit\n", g);
}

/* The Q-Q panel: ordered standardized residuals against the normal
 * quantiles of ppoints(n) (a = 3/8 for n <= 10, else 1/2), and the line
 * through the quartiles of both (R's qqline). */
static int qq_panel(diag_plot *dp, const double *r)
{
    const mgcli_diag *d = dp->d;
    double *q = malloc((d->n ? d->n : 1) * sizeof *q);
    if (!q)
        return -1;
    int rc = panel_make(&dp->qq, r, r, d->n, 0);
    if (rc == 0) {
        const size_t n = dp->qq.n;
        const double a = n <= 10 ? 3.0 / 8.0 : 0.5;
        for (size_t k = 0; k < n; k++)
            q[k] = mg_t_quantile(((double)k + 1.0 - a) / ((double)n + 1.0 - 2.0 * a), INFINITY, 1);
        memcpy(dp->qq.y, dp->qq.x, n * sizeof *q); /* sorted residuals */
        memcpy(dp->qq.x, q, n * sizeof *q);
        const double z1 = mg_t_quantile(0.25, INFINITY, 1), z3 = mg_t_quantile(0.75, INFINITY, 1);
        const double y1 = n ? mgcli_rquantile7(dp->qq.y, n, 0.25) : 0.0;
        const double y3 = n ? mgcli_rquantile7(dp->qq.y, n, 0.75) : 0.0;
        dp->qq_slope = (y3 - y1) / (z3 - z1);
        dp->qq_icpt = y1 - dp->qq_slope * z1;
    }
    free(q);
    return rc;
}

int mgcli_plot_diagnostics(mgcli_outfile *out, const mgcli_diag *d)
{
    diag_plot dp;
    memset(&dp, 0, sizeof dp);
    dp.d = d;
    const size_t n = d->n ? d->n : 1;
    double *r = malloc(n * sizeof *r), *cook = malloc(n * sizeof *cook), *s = malloc(n * sizeof *s);
    int rc = (r && cook && s) ? 0 : -1;
    if (rc == 0) {
        mgcli_diag_standardize(d, r, cook);
        for (size_t i = 0; i < d->n; i++) {
            s[i] = sqrt(fabs(r[i]));
            if (isfinite(d->hat[i]) && d->hat[i] > dp.hmax)
                dp.hmax = d->hat[i];
        }
        rc = panel_make(&dp.fit_res, d->fitted, d->resid, d->n, 1);
    }
    if (rc == 0)
        rc = qq_panel(&dp, r);
    if (rc == 0)
        rc = panel_make(&dp.scale, d->fitted, s, d->n, 1);
    if (rc == 0)
        rc = panel_make(&dp.lev, d->hat, r, d->n, 1);
    if (rc == 0) {
        dp.cook_sorted = malloc((dp.lev.n ? dp.lev.n : 1) * sizeof *dp.cook_sorted);
        rc = dp.cook_sorted ? 0 : -1;
        for (size_t k = 0; rc == 0 && k < dp.lev.n; k++)
            dp.cook_sorted[k] = cook[dp.lev.row[k]];
    }
    free(r);
    free(cook);
    free(s);
    if (rc != 0) {
        fputs("matgrad: out of memory for the diagnostic plots\n", stderr);
        mgcli_outfile_discard(out);
    } else {
        rc = mgcli_plot_script(out, write_panels, &dp);
    }
    panel_free(&dp.fit_res);
    panel_free(&dp.qq);
    panel_free(&dp.scale);
    panel_free(&dp.lev);
    free(dp.cook_sorted);
    return rc == 0 ? MGCLI_PLOT_OK : rc < 0 ? MGCLI_PLOT_FAILED : rc;
}
