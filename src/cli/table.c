/* SPDX-License-Identifier: BSD-3-Clause */
#include "table.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct mgcli_table {
    size_t ncols, nrows, cap;
    char *align;
    char **cells;   /* nrows * ncols strings */
};

mgcli_table *mgcli_table_new(size_t ncols, const char *align)
{
    mgcli_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->ncols = ncols;
    t->align = malloc(ncols);
    if (!t->align) {
        free(t);
        return NULL;
    }
    memcpy(t->align, align, ncols);
    return t;
}

int mgcli_table_row(mgcli_table *t, const char *const *cells)
{
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 8;
        char **c = realloc(t->cells, cap * t->ncols * sizeof *c);
        if (!c)
            return -1;
        t->cells = c;
        t->cap = cap;
    }
    char **row = t->cells + t->nrows * t->ncols;
    for (size_t j = 0; j < t->ncols; j++) {
        size_t n = strlen(cells[j]) + 1;
        if (!(row[j] = malloc(n))) {
            while (j--)
                free(row[j]);
            return -1;
        }
        /* names come from input files: no control characters to a terminal */
        for (size_t i = 0; i + 1 < n; i++)
            row[j][i] = ((unsigned char)cells[j][i] < 0x20 || cells[j][i] == 0x7f) ? '?' : cells[j][i];
        row[j][n - 1] = '\0';
    }
    t->nrows++;
    return 0;
}

void mgcli_table_print(const mgcli_table *t, FILE *out)
{
    size_t width[64] = { 0 };
    size_t nc = t->ncols < 64 ? t->ncols : 64;
    for (size_t i = 0; i < t->nrows; i++)
        for (size_t j = 0; j < nc; j++) {
            size_t n = strlen(t->cells[i * t->ncols + j]);
            if (n > width[j])
                width[j] = n;
        }
    for (size_t i = 0; i < t->nrows; i++) {
        for (size_t j = 0; j < nc; j++) {
            const char *c = t->cells[i * t->ncols + j];
            int w = (int)width[j];
            if (j)
                fputs("  ", out);
            if (t->align[j] == 'l' && j + 1 == nc)
                fputs(c, out);   /* no trailing blanks */
            else if (t->align[j] == 'l')
                fprintf(out, "%-*s", w, c);
            else
                fprintf(out, "%*s", w, c);
        }
        fputc('\n', out);
    }
}

void mgcli_table_free(mgcli_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t->align);
    free(t);
}

const char *mgcli_fmt_g(char *buf, size_t size, int digits, double x)
{
    if (isnan(x))
        snprintf(buf, size, "NA");
    else
        snprintf(buf, size, "%.*g", digits, x);
    return buf;
}
