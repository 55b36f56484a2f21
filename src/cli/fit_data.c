/* SPDX-License-Identifier: BSD-3-Clause */
/* Streaming the CSV into the design matrix, whole or in blocks. */
#include "fit_data.h"

#include "escape.h"

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

static int is_predictor(const mgcli_fit_data *d, size_t j)
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

static int on_header(void *ctx, size_t line, const char *const *names, size_t ncols,
                     mgcli_csv_error *err)
{
    mgcli_fit_data *d = ctx;
    size_t target = 0, weight = 0;
    if (find_column(line, names, ncols, d->target, &target, err) ||
        (d->weights && find_column(line, names, ncols, d->weights, &weight, err)))
        return -1;
    if (d->replay)
        return check_replay(d, line, target, weight, ncols, err);
    d->target_col = target;
    d->weight_col = weight;
    d->ncols = ncols;
    d->p = ncols - 1 - (d->weights ? 1 : 0);
    d->stride = d->block ? d->p : d->lead + d->p;
    d->names = calloc(d->p ? d->p : 1, sizeof *d->names);
    if (!d->names)
        return mgcli_csv_fail_nomem(err, "the column names");
    for (size_t j = 0, k = 0; j < ncols; j++) {
        if (!is_predictor(d, j))
            continue;
        size_t len = strlen(names[j]) + 1;
        if (!(d->names[k] = malloc(len)))
            return mgcli_csv_fail_nomem(err, "the column names");
        memcpy(d->names[k++], names[j], len);
    }
    return d->block ? alloc_blocks(d, err) : 0;
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

static int on_row(void *ctx, size_t line, const double *v, size_t ncols, mgcli_csv_error *err)
{
    mgcli_fit_data *d = ctx;
    /* finite already (the loader's rule); R's lm(weights=) also refuses < 0 */
    if (d->weights && !(v[d->weight_col] >= 0))
        return mgcli_csv_fail(err, line, "negative weight %g in column '%s' (weights must be >= 0)",
                              v[d->weight_col], d->weights);
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
        if (is_predictor(d, j))
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
    mgcli_csv_sink s = { on_header, on_row, d };
    return s;
}

void mgcli_fit_data_free(mgcli_fit_data *d)
{
    if (d->names)
        for (size_t j = 0; j < d->p; j++)
            free(d->names[j]);
    free(d->names);
    free(d->X);
    free(d->y);
    free(d->w);
    memset(d, 0, sizeof *d);
}
