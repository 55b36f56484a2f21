/* SPDX-License-Identifier: BSD-3-Clause */
/* The field separator of a CSV file, read from its header line.
 *
 * R's read.csv takes ',' and read.csv2 ';'; spreadsheets in locales with a
 * decimal comma export ';', and many tools write TAB.  `matgrad fit --sep
 * auto` picks, from the first non-blank line, the most frequent of ',', ';'
 * and TAB outside double quotes (ties in that order; ',' when none occurs:
 * a one-column file).  The counts also let an error on a file read with
 * another separator say what the header suggests.  Plain C, no libcsv, so
 * that the unit test (tests/test_cli_sep.c) builds it alone. */
#ifndef MATGRAD_CLI_CSV_SEP_H
#define MATGRAD_CLI_CSV_SEP_H

#include <stddef.h>

enum { MGCLI_SEP_COMMA, MGCLI_SEP_SEMICOLON, MGCLI_SEP_TAB, MGCLI_SEP_KINDS };

/* Scans s[0, n) for the header line: blank lines (spaces, TABs, CR, LF
 * only) are passed over, then the line up to its first CR or LF outside
 * quotes.  counts[k] (MGCLI_SEP_*) gets the separators of that line outside
 * quotes.  Returns 1 when the line end was found, 0 when s ends inside the
 * line (counts then cover what there is). */
int mgcli_sep_scan(const char *s, size_t n, size_t counts[MGCLI_SEP_KINDS]);

/* The separator the counts point to: the most frequent, ties in the order
 * ',' ';' TAB, ',' when all are 0. */
char mgcli_sep_choose(const size_t counts[MGCLI_SEP_KINDS]);

/* A hint for an error on a file read with separator `sep` whose header
 * line holds ';' or TAB: "(the file looks ';'-separated: try --sep ';')"
 * into buf; "" when the header suggests nothing else.  Returns buf. */
const char *mgcli_sep_hint(const size_t counts[MGCLI_SEP_KINDS], char sep, char *buf,
                           size_t size);

#endif
