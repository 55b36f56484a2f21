/* SPDX-License-Identifier: BSD-3-Clause */
/* Streaming the CSV into the design matrix, whole or in blocks. */
#include "fit_data.h"

#include "escape.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mgcli_fit_data_init(mgcli_fit_data *d, const char *target, int explicit_intercept)
{
    memset(d, 0, sizeof *d);
    d->target = target;
    d->lead = explicit_intercept ? 1 : 0;
}

void mgcli_fit_data_blocks(mgcli_fit_data *d, size_t block, mgcli_block_fn fn, void *ctx)
{
    d->block = block;
    d->on_block = fn;
    d->block_ctx = ctx;
}

/* "a, b, c" (or the first few and "...") for a message, made safe for a
 * terminal (escape.h). */
static void list_names(char *buf, size_t size, const char *const *names, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t j = 0; j < n; j++) {
        size_t len = strlen(names[j]);
        if (used + (j ? 2 : 0) + 4 > size ||
            mgcli_escape(buf, size - 4, &used, j ? ", " : "", j ? 2 : 0) < (j ? 2u : 0u) ||
            mgcli_escape(buf, size - 4, &used, names[j], len) < len) {
            strcpy(buf + used, "...");
            return;
        }
    }
}

/* The column named `name` into *col: exactly one must exist. */
static int find_column(size_t line, const char *const *names, size_t ncols, const char *name,
                       size_t *col, mgcli_csv_error *err)
{
    size_t found = ncols, count = 0;
    for (size_t j = 0; j < ncols; j++)
        if (!strcmp(names[j], name)) {
            found = j;
            count++;
        }
    if (count == 0) {
        char list[160];
        list_names(list, sizeof list, names, ncols);
        return mgcli_csv_fail(err, line, "no column named '%s' (columns: %s)", name, list);
    }
    if (count > 1)
        return mgcli_csv_fail(err, line, "column name '%s' appears %zu times", name, count);
    *col = found;
    return 0;
}

int mgcli_fit_data_is_predictor(const mgcli_fit_data *d, size_t j)
{
    return j != d->target_col && !(d->weights && j == d->weight_col);
}

/* A block holds at most this many values (8 MB): wide files get fewer
 * rows per block rather than a block that grows with the width. */
#define MAX_BLOCK_VALUES ((size_t)1 << 20)

/* Block mode: X (block x p), y and w, once p is known. */
static int alloc_blocks(mgcli_fit_data *d, mgcli_csv_error *err)
{
    size_t p = d->p ? d->p : 1;
    if (d->block > MAX_BLOCK_VALUES / p)
        d->block = MAX_BLOCK_VALUES / p > 0 ? MAX_BLOCK_VALUES / p : 1;
    size_t b = d->block;
    if (p > SIZE_MAX / sizeof(double) / b)
        return mgcli_csv_fail_nomem(err, "the row block");
    d->X = malloc(b * p * sizeof *d->X);
    d->y = malloc(b * sizeof *d->y);
    d->w = d->weights ? malloc(b * sizeof *d->w) : NULL;
    if (!d->X || !d->y || (d->weights && !d->w)) {
        char what[96];
        snprintf(what, sizeof what, "the row block, %zu rows of %zu columns", b, d->ncols);
        return mgcli_csv_fail_nomem(err, what);
    }
    d->cap = b;
    return 0;
}

int mgcli_fit_data_worker(mgcli_fit_data *w, const mgcli_fit_data *d, mgcli_block_fn fn,
                          void *ctx, mgcli_csv_error *err)
{
    memset(w, 0, sizeof *w);
    w->target = d->target;
    w->weights = d->weights;
    w->lead = d->lead;
    w->target_col = d->target_col;
    w->weight_col = d->weight_col;
    w->ncols = d->ncols;
    w->p = d->p;
    w->stride = d->stride;
    w->replay = 1;
    w->na_fail = d->na_fail;
    w->colnames = d->colnames;
    w->borrowed = 1;
    mgcli_fit_data_blocks(w, d->block, fn, ctx);
    return alloc_blocks(w, err);
}

/* A second reading must see the columns of the first in the same places. */
static int check_replay(mgcli_fit_data *d, size_t line, size_t target, size_t weight,
                        size_t ncols, mgcli_csv_error *err)
{
    if (ncols != d->ncols || target != d->target_col || (d->weights && weight != d->weight_col))
        return mgcli_csv_fail(err, line, "the header changed while the file was being read");
    return 0;
}

/* The column name j, escaped for a message. */
static const char *shown_col(const mgcli_fit_data *d, size_t j, char *buf, size_t size)
{
    const char *name = d->colnames ? d->colnames[j] : "?";
    size_t used = 0, len = strlen(name);
    if (mgcli_escape(buf, size - 4, &used, name, len) < len)
        strcpy(buf + used, "...");
    return buf;
}

static int start_held(mgcli_fit_data *d, mgcli_csv_error *err)
{
    /* a column turns to text at its first non-missing cell, so every row
     * before had it missing and was dropped: nothing is in X yet */
    if (d->n != 0)
        return mgcli_csv_fail(err, 0, "internal error: a factor column after %zu rows", d->n);
    d->lev = calloc(d->ncols, sizeof *d->lev);
    if (!d->lev)
        return mgcli_csv_fail_nomem(err, "the factor levels");
    d->held = 1;
    return 0;
}

/* --factor's names: each read as text from the first row. */
static int mark_factors(mgcli_fit_data *d, size_t line, mgcli_csv_header *h,
                        mgcli_csv_error *err)
{
    d->by_value = calloc(h->ncols, 1);
    if (!d->by_value)
        return mgcli_csv_fail_nomem(err, "the column names");
    for (const char *s = d->factors; *s;) {
        size_t len = strcspn(s, ",");
        char name[512];
        if (len == 0 || len >= sizeof name)
            return mgcli_csv_fail(err, 0, "--factor: bad column list '%s'", d->factors);
        memcpy(name, s, len);
        name[len] = '\0';
        size_t j;
        if (find_column(line, h->names, h->ncols, name, &j, err))
            return -1;
        if (!mgcli_fit_data_is_predictor(d, j))
            return mgcli_csv_fail(err, 0, "--factor '%s': the %s must be numeric", name,
                                  j == d->target_col ? "target" : "weights column");
        h->as_text[j] = 1;
        d->by_value[j] = 1;
        s += len + (s[len] == ',');
    }
    return d->held ? 0 : start_held(d, err);
}

static int copy_names(mgcli_fit_data *d, const char *const *names, size_t ncols)
{
    d->names = calloc(d->p ? d->p : 1, sizeof *d->names);
    d->colnames = calloc(ncols, sizeof *d->colnames);
    if (!d->names || !d->colnames)
        return -1;
    for (size_t j = 0, k = 0; j < ncols; j++) {
        size_t len = strlen(names[j]) + 1;
        if (!(d->colnames[j] = malloc(len)))
            return -1;
        memcpy(d->colnames[j], names[j], len);
        if (!mgcli_fit_data_is_predictor(d, j))
            continue;
        if (!(d->names[k] = malloc(len)))
            return -1;
        memcpy(d->names[k++], names[j], len);
    }
    return 0;
}

static int on_header(void *ctx, size_t line, mgcli_csv_header *h, mgcli_csv_error *err)
{
    mgcli_fit_data *d = ctx;
    const char *const *names = h->names;
    size_t ncols = h->ncols;
    size_t target = 0, weight = 0;
    if (find_column(line, names, ncols, d->target, &target, err) ||
        (d->weights && find_column(line, names, ncols, d->weights, &weight, err)))
        return -1;
    if (d->replay) {
        if (check_replay(d, line, target, weight, ncols, err) != 0)
            return -1;
        /* --factor's columns are text again (an MPI rank 0 reading a file
         * with quotes again, fit_mpi.c) */
        for (size_t j = 0; d->by_value && j < ncols; j++)
            h->as_text[j] = d->by_value[j];
        return 0;
    }
    if (h->note)
        snprintf(d->note, sizeof d->note, "%s", h->note);
    d->target_col = target;
    d->weight_col = weight;
    d->ncols = ncols;
    d->p = ncols - 1 - (d->weights ? 1 : 0);
    d->stride = d->block ? d->p : d->lead + d->p;
    if (copy_names(d, names, ncols) != 0)
        return mgcli_csv_fail_nomem(err, "the column names");
    if (d->factors && mark_factors(d, line, h, err) != 0)
        return -1;
    return d->block && !d->held ? alloc_blocks(d, err) : 0;
}

/* A text cell: a factor's level (its index) in a predictor column. */
static int on_text(void *ctx, size_t line, size_t col, const char *s, size_t len, double *code,
                   mgcli_csv_error *err)
{
    mgcli_fit_data *d = ctx;
    if (!mgcli_fit_data_is_predictor(d, col)) {
        char name[64], cell[48];
        size_t used = 0, shown = mgcli_escape(cell, 41, &used, s, len);
        if (shown < len)
            strcpy(cell + used, "...");
        return mgcli_csv_fail(err, line, "column '%s': non-numeric value '%s' (the %s must be "
                              "numeric)", shown_col(d, col, name, sizeof name), cell,
                              col == d->target_col ? "target" : "weights column");
    }
    if (!d->held && start_held(d, err) != 0)
        return -1;
    size_t idx;
    if ((!d->lev[col] && !(d->lev[col] = mgcli_levels_new())) ||
        mgcli_levels_add(d->lev[col], s, len, &idx) != 0)
        return mgcli_csv_fail_nomem(err, "the factor levels");
    *code = (double)idx;
    return 0;
}

/* Room for one more row in memory: capacity doubles (realloc of a large
 * block is an mremap on glibc, so growth does not copy or double the
 * peak). */
static int grow(mgcli_fit_data *d)
{
    size_t cap = d->cap ? 2 * d->cap : 1024;
    if (cap < d->cap || cap > SIZE_MAX / sizeof(double) / (d->stride ? d->stride : 1))
        return -1;
    double *X = realloc(d->X, cap * d->stride * sizeof *X);
    if (!X)
        return -1;
    d->X = X;
    double *y = realloc(d->y, cap * sizeof *y);
    if (!y)
        return -1;
    d->y = y;
    if (d->weights) {
        double *w = realloc(d->w, cap * sizeof *w);
        if (!w)
            return -1;
        d->w = w;
    }
    d->cap = cap;
    return 0;
}

/* A kept row of a factor file into H. */
static int hold(mgcli_fit_data *d, const double *v, mgcli_csv_error *err)
{
    if (d->n == d->hcap) {
        size_t cap = d->hcap ? 2 * d->hcap : 1024;
        double *H = cap > SIZE_MAX / sizeof(double) / d->ncols
                        ? NULL : realloc(d->H, cap * d->ncols * sizeof *H);
        if (!H) {
            char what[96];
            snprintf(what, sizeof what, "the rows of a file with factors, after %zu rows of %zu "
                     "columns", d->n, d->ncols);
            return mgcli_csv_fail_nomem(err, what);
        }
        d->H = H;
        d->hcap = cap;
    }
    memcpy(d->H + d->n * d->ncols, v, d->ncols * sizeof *v);
    for (size_t j = 0; j < d->ncols; j++)
        if (d->lev[j])
            mgcli_levels_use(d->lev[j], (size_t)v[j]);
    d->n++;
    return 0;
}

/* A row with a missing cell: dropped (counted), or the error of
 * --na-action fail.  1 when dropped. */
static int missing(mgcli_fit_data *d, size_t line, const double *v, mgcli_csv_error *err)
{
    for (size_t j = 0; j < d->ncols; j++)
        if (isnan(v[j])) {
            char name[64];
            if (d->na_fail)
                return mgcli_csv_fail(err, line, "column '%s': missing value (--na-action fail)",
                                      shown_col(d, j, name, sizeof name));
            d->deleted++;
            return 1;
        }
    return 0;
}

static int on_row(void *ctx, size_t line, const double *v, size_t ncols, mgcli_csv_error *err)
{
    mgcli_fit_data *d = ctx;
    int m = missing(d, line, v, err);
    if (m != 0)
        return m < 0 ? -1 : 0;
    /* finite already (the loader's rule); R's lm(weights=) also refuses < 0 */
    if (d->weights && !(v[d->weight_col] >= 0)) {
        char name[64];
        return mgcli_csv_fail(err, line, "column '%s': negative weight %g (weights must be >= 0)",
                              shown_col(d, d->weight_col, name, sizeof name), v[d->weight_col]);
    }
    if (d->held)
        return hold(d, v, err);
    size_t i = d->block ? d->nb : d->n;
    if (!d->block && d->n == d->cap && grow(d) != 0) {
        char what[96];
        snprintf(what, sizeof what, "the design matrix, after %zu rows of %zu columns", d->n,
                 d->stride + 1);
        return mgcli_csv_fail_nomem(err, what);
    }
    double *x = d->X + i * d->stride;
    if (d->lead)
        *x++ = 1.0;
    for (size_t j = 0; j < ncols; j++)
        if (mgcli_fit_data_is_predictor(d, j))
            *x++ = v[j];
    d->y[i] = v[d->target_col];
    if (d->weights)
        d->w[i] = v[d->weight_col];
    d->n++;
    if (d->block && ++d->nb == d->block) {
        if (d->on_block(d->block_ctx, d, err) != 0)
            return -1;
        d->nb = 0;
    }
    return 0;
}

mgcli_csv_sink mgcli_fit_data_sink(mgcli_fit_data *d)
{
    mgcli_csv_sink s = { on_header, on_row, on_text, d };
    return s;
}

/* The first level with a dummy column of factor column j: 1 (the first
 * level is the baseline), or 0 for the first factor of a model without
 * intercept. */
static size_t first_dummy(const mgcli_fit_data *d, size_t j)
{
    return d->no_intercept && j == d->full_col ? 0 : 1;
}

/* Levels ordered, the design's width and names. */
static int design_names(mgcli_fit_data *d, mgcli_csv_error *err)
{
    size_t p = 0;
    char name[64];
    d->full_col = d->ncols;
    for (size_t j = 0; j < d->ncols && d->full_col == d->ncols; j++)
        if (mgcli_fit_data_is_predictor(d, j) && d->lev[j])
            d->full_col = j;
    for (size_t j = 0; j < d->ncols; j++) {
        if (!mgcli_fit_data_is_predictor(d, j))
            continue;
        if (!d->lev[j]) {
            p++;
            continue;
        }
        size_t L = mgcli_levels_order(d->lev[j], d->by_value && d->by_value[j]);
        if (L == (size_t)-1)
            return mgcli_csv_fail_nomem(err, "the factor levels");
        if (L < 2) {
            char level[48];
            const char *l = mgcli_levels_name(d->lev[j], 0);
            size_t used = 0, len = strlen(l);
            if (mgcli_escape(level, 41, &used, l, len) < len)
                strcpy(level + used, "...");
            return mgcli_csv_fail(err, 0, "column '%s' is a factor with one level ('%s') in the "
                                  "rows fitted: a factor needs two or more",
                                  shown_col(d, j, name, sizeof name), level);
        }
        d->nlev[j] = L;
        p += L - first_dummy(d, j);
        if (p > MGCLI_CSV_MAX_COLS)
            return mgcli_csv_fail(err, 0, "column '%s' is a factor with %zu levels: the design "
                                  "would have more than %zu columns",
                                  shown_col(d, j, name, sizeof name), L, MGCLI_CSV_MAX_COLS);
    }
    for (size_t k = 0; k < d->p; k++)
        free(d->names[k]);
    free(d->names);
    d->p = p;
    if (!(d->names = calloc(p ? p : 1, sizeof *d->names)))
        return mgcli_csv_fail_nomem(err, "the column names");
    for (size_t j = 0, k = 0; j < d->ncols; j++) {
        if (!mgcli_fit_data_is_predictor(d, j))
            continue;
        for (size_t r = d->lev[j] ? first_dummy(d, j) : 0; r < (d->lev[j] ? d->nlev[j] : 1);
             r++) {
            const char *a = d->colnames[j], *b = d->lev[j] ? mgcli_levels_name(d->lev[j], r) : "";
            if (!(d->names[k] = malloc(strlen(a) + strlen(b) + 1)))
                return mgcli_csv_fail_nomem(err, "the column names");
            strcat(strcpy(d->names[k++], a), b);
        }
    }
    return 0;
}

/* Held row h as a design row x (p values: each factor as its dummies,
 * 1 in the column of its level unless it is the baseline), y and w. */
static void expand(const mgcli_fit_data *d, const double *h, double *x, double *y, double *w)
{
    for (size_t j = 0; j < d->ncols; j++) {
        if (!mgcli_fit_data_is_predictor(d, j))
            continue;
        if (!d->lev[j]) {
            *x++ = h[j];
            continue;
        }
        size_t r = mgcli_levels_rank(d->lev[j], (size_t)h[j]);
        for (size_t k = first_dummy(d, j); k < d->nlev[j]; k++)
            *x++ = r == k ? 1.0 : 0.0;
    }
    *y = h[d->target_col];
    if (w)
        *w = h[d->weight_col];
}

int mgcli_fit_data_design(mgcli_fit_data *d, mgcli_csv_error *err)
{
    if (!d->held || d->n == 0)
        return 0;
    return mgcli_fit_data_design_all(d, err);
}

int mgcli_fit_data_design_all(mgcli_fit_data *d, mgcli_csv_error *err)
{
    if (!(d->nlev = calloc(d->ncols, sizeof *d->nlev)))
        return mgcli_csv_fail_nomem(err, "the factor levels");
    if (design_names(d, err) != 0)
        return -1;
    free(d->X);
    free(d->y);
    free(d->w);
    d->X = d->y = d->w = NULL;
    if (d->block) {
        d->stride = d->p;
        return alloc_blocks(d, err);
    }
    /* memory mode (gradient descent): the whole design, then H is done */
    d->stride = d->lead + d->p;
    const size_t rows = d->n ? d->n : 1;   /* an MPI rank may hold none */
    if (d->stride > SIZE_MAX / sizeof(double) / rows)
        return mgcli_csv_fail_nomem(err, "the design matrix");
    d->X = malloc(rows * d->stride * sizeof *d->X);
    d->y = malloc(rows * sizeof *d->y);
    d->w = d->weights ? malloc(rows * sizeof *d->w) : NULL;
    if (!d->X || !d->y || (d->weights && !d->w))
        return mgcli_csv_fail_nomem(err, "the design matrix");
    d->cap = d->n;
    for (size_t i = 0; i < d->n; i++) {
        double *x = d->X + i * d->stride;
        if (d->lead)
            *x++ = 1.0;
        expand(d, d->H + i * d->ncols, x, d->y + i, d->w ? d->w + i : NULL);
    }
    free(d->H);
    d->H = NULL;
    d->hcap = 0;
    return 0;
}

int mgcli_fit_data_held_blocks(mgcli_fit_data *d, mgcli_csv_error *err)
{
    d->nb = 0;
    for (size_t i = 0; i < d->n; i++) {
        expand(d, d->H + i * d->ncols, d->X + d->nb * d->p, d->y + d->nb,
               d->w ? d->w + d->nb : NULL);
        if (++d->nb == d->block) {
            if (d->on_block(d->block_ctx, d, err) != 0)
                return -1;
            d->nb = 0;
        }
    }
    int rc = d->nb ? d->on_block(d->block_ctx, d, err) : 0;
    d->nb = 0;
    return rc;
}

void mgcli_fit_data_free(mgcli_fit_data *d)
{
    if (d->names)
        for (size_t j = 0; j < d->p; j++)
            free(d->names[j]);
    free(d->names);
    for (size_t j = 0; !d->borrowed && d->colnames && j < d->ncols; j++)
        free(d->colnames[j]);
    if (!d->borrowed)
        free(d->colnames);
    for (size_t j = 0; d->lev && j < d->ncols; j++)
        mgcli_levels_free(d->lev[j]);
    free(d->lev);
    free(d->by_value);
    free(d->nlev);
    free(d->H);
    free(d->X);
    free(d->y);
    free(d->w);
    memset(d, 0, sizeof *d);
}
