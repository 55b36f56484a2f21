/* SPDX-License-Identifier: BSD-3-Clause */
/* Streaming the CSV into the design matrix. */
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

static int on_header(void *ctx, size_t line, const char *const *names, size_t ncols,
                     mgcli_csv_error *err)
{
    mgcli_fit_data *d = ctx;
    size_t found = ncols, count = 0;
    for (size_t j = 0; j < ncols; j++)
        if (!strcmp(names[j], d->target)) {
            found = j;
            count++;
        }
    if (count == 0) {
        char list[160];
        list_names(list, sizeof list, names, ncols);
        return mgcli_csv_fail(err, line, "no column named '%s' (columns: %s)", d->target, list);
    }
    if (count > 1)
        return mgcli_csv_fail(err, line, "column name '%s' appears %zu times", d->target, count);
    d->target_col = found;
    d->p = ncols - 1;
    d->stride = d->lead + d->p;
    d->names = calloc(d->p ? d->p : 1, sizeof *d->names);
    if (!d->names)
        return mgcli_csv_fail_nomem(err, "the column names");
    for (size_t j = 0, k = 0; j < ncols; j++) {
        if (j == found)
            continue;
        size_t len = strlen(names[j]) + 1;
        if (!(d->names[k] = malloc(len)))
            return mgcli_csv_fail_nomem(err, "the column names");
        memcpy(d->names[k++], names[j], len);
    }
    return 0;
}

/* Room for one more row: capacity doubles (realloc of a large block is an
 * mremap on glibc, so growth does not copy or double the peak). */
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
    d->cap = cap;
    return 0;
}

static int on_row(void *ctx, size_t line, const double *v, size_t ncols, mgcli_csv_error *err)
{
    mgcli_fit_data *d = ctx;
    if (d->n == d->cap && grow(d) != 0) {
        char what[96];
        snprintf(what, sizeof what, "the design matrix, after %zu rows of %zu columns", d->n,
                 d->stride + 1);
        (void)line;
        return mgcli_csv_fail_nomem(err, what);
    }
    double *x = d->X + d->n * d->stride;
    if (d->lead)
        *x++ = 1.0;
    for (size_t j = 0; j < ncols; j++)
        if (j != d->target_col)
            *x++ = v[j];
    d->y[d->n++] = v[d->target_col];
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
    memset(d, 0, sizeof *d);
}
