/* SPDX-License-Identifier: BSD-3-Clause */
/* Aligned text tables: names left-aligned, numbers right-aligned, columns
 * as wide as their widest cell. */
#ifndef MATGRAD_CLI_TABLE_H
#define MATGRAD_CLI_TABLE_H

#include <stdio.h>

typedef struct mgcli_table mgcli_table;

/* ncols columns; align[j] is 'l' or 'r'. NULL if out of memory. */
mgcli_table *mgcli_table_new(size_t ncols, const char *align);

/* Appends one row of ncols cells (copied).  0 or -1 (out of memory). */
int mgcli_table_row(mgcli_table *t, const char *const *cells);

/* Prints every row, the first underlined by nothing: it is the header. */
void mgcli_table_print(const mgcli_table *t, FILE *out);

void mgcli_table_free(mgcli_table *t);

/* "%.*g" into buf, or "NA" for a NaN; returns buf. */
const char *mgcli_fmt_g(char *buf, size_t size, int digits, double x);

#endif
