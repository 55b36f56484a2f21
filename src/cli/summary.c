/* SPDX-License-Identifier: BSD-3-Clause */
/* R's summary(lm) printout: see summary.h.  The layout rules are R's
 * print.summary.lm, printCoefmat and print.default for a character matrix
 * (right-aligned columns one space apart, row names left-aligned, lines
 * wrapped at 80 columns). */
#include "summary.h"

#include "rformat.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { DIGITS = 4, DIG_TST = 3, LINE_WIDTH = 80 }; /* R: max(3, 7 - 3); printCoefmat's dig.tst */

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int mgcli_summary_quantiles(const double *resid, size_t n, double q[5])
{
    if (n == 0) {
        for (int i = 0; i < 5; i++)
            q[i] = NAN;
        return 0;
    }
    double *v = malloc(n * sizeof *v);
    if (!v)
        return -1;
    memcpy(v, resid, n * sizeof *v);
    qsort(v, n, sizeof *v, cmp_double);
    static const double probs[5] = { 0.0, 0.25, 0.5, 0.75, 1.0 };
    for (int i = 0; i < 5; i++)
        q[i] = mgcli_rquantile7(v, n, probs[i]);
    free(v);
    return 0;
}

/* print() of a named numeric vector: names over values, each right-aligned
 * in the widest cell's width and followed by one space, as many per line
 * as fit in 80 columns. */
static int print_named(FILE *out, const char *const *names, const double *x, size_t n)
{
    mgcli_rnum *v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return -1;
    mgcli_rformat(x, n, DIGITS, v);
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        w = strlen(v[i]) > w ? strlen(v[i]) : w;
        w = strlen(names[i]) > w ? strlen(names[i]) : w;
    }
    size_t per = LINE_WIDTH / (w + 1);
    per = per ? per : 1;
    for (size_t i0 = 0; i0 < n; i0 += per) {
        const size_t i1 = i0 + per < n ? i0 + per : n;
        for (size_t i = i0; i < i1; i++)
            fprintf(out, "%*s ", (int)w, names[i]);
        fputc('\n', out);
        for (size_t i = i0; i < i1; i++)
            fprintf(out, "%*s ", (int)w, v[i]);
        fputc('\n', out);
    }
    free(v);
    return 0;
}

static int print_residuals(FILE *out, const mgcli_summary *s)
{
    fprintf(out, "%sResiduals:\n", s->weighted ? "Weighted " : "");
    if (s->df_residual > 5 && s->have_quantiles) {
        static const char *const nam[5] = { "Min", "1Q", "Median", "3Q", "Max" };
        double q[5];
        memcpy(q, s->quantiles, sizeof q);
        mgcli_rzapsmall(q, 5, DIGITS + 1);
        return print_named(out, nam, q, 5);
    }
    if (s->df_residual > 0 && s->resid) {
        char(*nm)[24] = malloc((s->n_resid ? s->n_resid : 1) * sizeof *nm);
        const char **np = malloc((s->n_resid ? s->n_resid : 1) * sizeof *np);
        int rc = -1;
        if (nm && np) {
            for (size_t i = 0; i < s->n_resid; i++) {
                snprintf(nm[i], sizeof nm[i], "%zu", i + 1);
                np[i] = nm[i];
            }
            rc = print_named(out, np, s->resid, s->n_resid);
        }
        free(nm);
        free(np);
        return rc;
    }
    if (s->df_residual == 0)
        fprintf(out, "ALL %zu residuals are 0: no residual degrees of freedom!\n", s->m - s->n_aliased);
    else
        fputs("  (not available: the input cannot be read a second time)\n", out);
    return 0;
}

/* The cells of the coefficient table (printCoefmat): ncol columns of m
 * strings, column-major. */
typedef struct coef_cells {
    size_t m, ncol;
    mgcli_rnum *cell;     /* m * ncol */
    const char *head[5];
} coef_cells;

static mgcli_rnum *cell(coef_cells *c, size_t i, size_t j)
{
    return &c->cell[j * c->m + i];
}

/* Estimate and standard error: rounded to the decimals that show DIGITS
 * significant digits of the smallest nonzero magnitude among them, then
 * formatted together; a nonzero value that came out as zero is formatted
 * alone with one digit less (printCoefmat). */
static int format_coef_se(coef_cells *c, const mgcli_summary *s, int with_se)
{
    const size_t m = s->m, nv = with_se ? 2 * m : m;
    double *v = malloc(nv * sizeof *v);
    mgcli_rnum *f = malloc(nv * sizeof *f);
    if (!v || !f) {
        free(v);
        free(f);
        return -1;
    }
    double amin = INFINITY;
    for (size_t i = 0; i < nv; i++) {
        v[i] = i < m ? s->coef[i] : s->se[i - m];
        const double a = fabs(v[i]);
        if (isfinite(a) && a != 0.0 && a < amin)
            amin = a;
    }
    const int digmin = isfinite(amin) ? 1 + (int)floor(log10(amin)) : 1;
    const int decimals = DIGITS - digmin > 1 ? DIGITS - digmin : 1;
    double *r = malloc(nv * sizeof *r);
    if (!r) {
        free(v);
        free(f);
        return -1;
    }
    for (size_t i = 0; i < nv; i++)
        r[i] = mgcli_rround(v[i], decimals);
    mgcli_rformat(r, nv, DIGITS, f);
    for (size_t i = 0; i < nv; i++) {
        if (isfinite(v[i]) && (v[i] == 0.0) != (strtod(f[i], NULL) == 0.0))
            mgcli_rformat1(v[i], DIGITS - 1, f[i]);
        memcpy(*cell(c, i % m, i / m), f[i], MGCLI_RNUM);
    }
    free(v);
    free(f);
    free(r);
    return 0;
}

static int format_t(coef_cells *c, const mgcli_summary *s, size_t col)
{
    double *r = malloc(s->m * sizeof *r);
    mgcli_rnum *f = malloc(s->m * sizeof *f);
    if (!r || !f) {
        free(r);
        free(f);
        return -1;
    }
    for (size_t i = 0; i < s->m; i++)
        r[i] = mgcli_rround(s->t[i], DIG_TST);
    mgcli_rformat(r, s->m, DIGITS, f);
    for (size_t i = 0; i < s->m; i++)
        memcpy(*cell(c, i, col), f[i], MGCLI_RNUM);
    free(r);
    free(f);
    return 0;
}

/* Significance codes (symnum's cutpoints 0, .001, .01, .05, .1, 1, right
 * closed), padded to a common width; 0 when no p-value is below 0.1 (R
 * then prints no codes). */
static int format_stars(coef_cells *c, const mgcli_summary *s, size_t col)
{
    int any = 0;
    size_t w = 0;
    for (size_t i = 0; i < s->m; i++) {
        const double p = s->p[i];
        const char *st = isnan(p) ? "" : p <= 0.001 ? "***" : p <= 0.01 ? "**" : p <= 0.05 ? "*"
                       : p <= 0.1 ? "." : " ";
        any |= !isnan(p) && p < 0.1;
        snprintf(*cell(c, i, col), MGCLI_RNUM, "%s", st);
        w = strlen(st) > w ? strlen(st) : w;
    }
    for (size_t i = 0; i < s->m; i++) {
        char *x = *cell(c, i, col);
        for (size_t k = strlen(x); k < w; k++)
            x[k] = ' ';
        x[w] = '\0';
    }
    return any;
}

/* print.default of a character matrix: row names left-aligned, columns
 * right-aligned under right-aligned titles, one space apart, wrapped in
 * blocks of columns that fit 80 characters. */
static void print_matrix(FILE *out, coef_cells *c, const char *const *names,
                         const char *const *head, size_t ncol)
{
    size_t wn = 0;
    for (size_t i = 0; i < c->m; i++)
        wn = strlen(names[i]) > wn ? strlen(names[i]) : wn;
    size_t *wc = malloc((ncol ? ncol : 1) * sizeof *wc);
    if (!wc) {
        wn = 0; /* still printed, unaligned, rather than lost */
    }
    for (size_t j = 0; wc && j < ncol; j++) {
        wc[j] = strlen(head[j]);
        for (size_t i = 0; i < c->m; i++)
            wc[j] = strlen(*cell(c, i, j)) > wc[j] ? strlen(*cell(c, i, j)) : wc[j];
    }
    for (size_t j0 = 0; j0 < ncol;) {
        size_t j1 = j0, width = wn;
        while (j1 < ncol && (j1 == j0 || !wc || width + 1 + wc[j1] <= LINE_WIDTH))
            width += 1 + (wc ? wc[j1++] : (j1++, 0));
        fprintf(out, "%*s", (int)wn, "");
        for (size_t j = j0; j < j1; j++)
            fprintf(out, " %*s", wc ? (int)wc[j] : 0, head[j]);
        fputc('\n', out);
        for (size_t i = 0; i < c->m; i++) {
            fprintf(out, "%-*s", (int)wn, names[i]);
            for (size_t j = j0; j < j1; j++)
                fprintf(out, " %*s", wc ? (int)wc[j] : 0, *cell(c, i, j));
            fputc('\n', out);
        }
        j0 = j1;
    }
    free(wc);
}

static void print_cells(FILE *out, coef_cells *c, const char *const *names)
{
    print_matrix(out, c, names, c->head, c->ncol);
}

static int print_coefficients(FILE *out, const mgcli_summary *s)
{
    if (s->n_aliased)
        fprintf(out, "\nCoefficients: (%zu not defined because of singularities)\n", s->n_aliased);
    else
        fputs("\nCoefficients:\n", out);
    const int tests = s->se && s->t && s->p;
    coef_cells c = { s->m, tests ? 5 : 1, NULL, { "Estimate", "", "", "", "" } };
    c.cell = calloc(s->m * c.ncol + 1, sizeof *c.cell);
    if (!c.cell || format_coef_se(&c, s, tests) != 0) {
        free(c.cell);
        return -1;
    }
    int stars = 0;
    if (tests) {
        c.head[1] = s->se_label ? s->se_label : "Std. Error";
        c.head[2] = "t value";
        c.head[3] = "Pr(>|t|)";
        mgcli_rnum *pv = malloc(s->m * sizeof *pv);
        if (!pv || format_t(&c, s, 2) != 0) {
            free(pv);
            free(c.cell);
            return -1;
        }
        mgcli_rformat_pval(s->p, s->m, DIG_TST, DBL_EPSILON, pv);
        for (size_t i = 0; i < s->m; i++)
            memcpy(*cell(&c, i, 3), pv[i], MGCLI_RNUM);
        free(pv);
        stars = format_stars(&c, s, 4);
        if (!stars)
            c.ncol = 4;
    }
    for (size_t i = 0; i < s->m; i++)
        if (isnan(s->coef[i]))
            for (size_t j = 0; j < (tests ? 4u : 1u); j++)
                snprintf(*cell(&c, i, j), MGCLI_RNUM, "NA");
    print_cells(out, &c, s->names);
    if (stars)
        fputs("---\nSignif. codes:  0 '***' 0.001 '**' 0.01 '*' 0.05 '.' 0.1 ' ' 1\n", out);
    free(c.cell);
    return 0;
}

/* formatC(x, digits = 4): C's %5.4g (formatC's width defaults to
 * digits + 1); an undefined statistic prints NA. */
static void format_c(mgcli_rnum out, double x)
{
    if (isnan(x))
        snprintf(out, MGCLI_RNUM, "%*s", DIGITS + 1, "NA");
    else
        snprintf(out, MGCLI_RNUM, "%*.*g", DIGITS + 1, DIGITS, x);
}

int mgcli_summary_print(FILE *out, const mgcli_summary *s)
{
    fprintf(out, "\nCall:\n%s\n\n", s->call);
    if (print_residuals(out, s) != 0 || print_coefficients(out, s) != 0)
        return -1;
    mgcli_rnum a, b, c;
    fprintf(out, "\nResidual standard error: %s on %zu degrees of freedom\n",
            mgcli_rformat1(mgcli_rsignif(s->sigma, DIGITS), 7, a), s->df_residual);
    if (s->n_deleted)
        fprintf(out, "  (%zu observation%s deleted due to missingness)\n", s->n_deleted,
                s->n_deleted == 1 ? "" : "s");
    if (s->have_f) {
        double fp = s->f_p;
        mgcli_rnum p;
        mgcli_rformat_pval(&fp, 1, DIGITS, DBL_EPSILON, &p);
        format_c(a, s->r2);
        format_c(b, s->adj_r2);
        format_c(c, s->f);
        fprintf(out, "Multiple R-squared:  %s,\tAdjusted R-squared:  %s \n", a, b);
        fprintf(out, "F-statistic: %s on %zu and %zu DF,  p-value: %s\n", c, s->df1, s->df2, p);
    }
    return 0;
}

int mgcli_summary_print_estimates(FILE *out, const mgcli_summary *s)
{
    fprintf(out, "\nCall:\n%s\n", s->call);
    mgcli_summary e = *s;
    e.se = e.t = e.p = NULL;
    e.n_aliased = 0;
    if (print_coefficients(out, &e) != 0)
        return -1;
    if (s->n_deleted)
        fprintf(out, "  (%zu observation%s deleted due to missingness)\n", s->n_deleted,
                s->n_deleted == 1 ? "" : "s");
    return 0;
}

int mgcli_summary_print_matrix(FILE *out, const char *const *names, size_t m, const double *v)
{
    coef_cells c = { m, 0, NULL, { 0 } };
    c.cell = calloc(m * m + 1, sizeof *c.cell);
    double *col = malloc((m ? m : 1) * sizeof *col);
    const char **head = malloc((m ? m : 1) * sizeof *head);
    if (!c.cell || !col || !head) {
        free(c.cell);
        free(col);
        free(head);
        return -1;
    }
    /* print.default of a numeric matrix: each column formatted on its own
     * at 7 significant digits */
    for (size_t j = 0; j < m; j++) {
        for (size_t i = 0; i < m; i++)
            col[i] = v[i * m + j];
        mgcli_rformat(col, m, 7, &c.cell[j * m]);
        head[j] = names[j];
    }
    print_matrix(out, &c, names, head, m);
    free(c.cell);
    free(col);
    free(head);
    return 0;
}
