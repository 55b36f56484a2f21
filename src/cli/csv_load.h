/* SPDX-License-Identifier: BSD-3-Clause */
/* Streaming loader for numeric CSV files with a header row (RFC 4180 quoting,
 * parsed by libcsv in strict mode).
 *
 * The loader is a push parser: feed it bytes in chunks of any size, then
 * finish it.  It never holds more than one record in memory; every complete
 * record is handed to the sink as an array of doubles.  It does no I/O of its
 * own (mgcli_csv_read_stream is the convenience that reads a FILE), so the
 * fuzzer drives exactly the code that `matgrad fit` runs.
 *
 * Rules (docs/cli.md, "Input format"):
 *   - the first non-blank record is the header: column names, at least one
 *     of which is not a number (a file whose first record is all numbers has
 *     no header); an empty first name (R's write.csv) marks a column of row
 *     names, which is skipped: the sink never sees it; repeated names are
 *     renamed as R's make.unique does (x, x.1, x.2);
 *   - the separator is ',', ';' or TAB, or (0, the default) detected from
 *     the header line (csv_sep.h);
 *   - every later record has as many fields as the header;
 *   - a cell that is empty, NA or NaN (blanks around it allowed, quoted or
 *     not) is missing: the sink gets NaN;
 *   - any other cell of a numeric column is a finite decimal number read by
 *     strtod in the C locale; Inf and numbers beyond the double range are
 *     errors;
 *   - a column is read as text when the sink asks for it at the header, or
 *     (when the sink takes text) when its first non-missing cell is not a
 *     number; its cells go to the sink's text callback, which gives the
 *     value to put in the row (a level code).  A text cell in a column that
 *     began with numbers is an error;
 *   - blank lines are skipped; line ends are LF, CRLF or CR; a leading
 *     UTF-8 byte order mark is ignored;
 *   - a field longer than MGCLI_CSV_MAX_FIELD bytes is an error.
 * Messages about a cell name its column.
 * Errors carry the physical line number (1-based) where they were found.
 *
 * Speed: while the parser is at a line start after the header, a whole line
 * of unquoted decimal numbers in numeric columns (LF or CRLF) is read
 * without libcsv and its
 * numbers without strtod where that is exact (csv_number.h); every other
 * line goes through libcsv and strtod, which also word every error.
 */
#ifndef MATGRAD_CLI_CSV_LOAD_H
#define MATGRAD_CLI_CSV_LOAD_H

#include <stddef.h>
#include <stdio.h>

#define MGCLI_CSV_MAX_FIELD ((size_t)1 << 20)   /* bytes in one field */
#define MGCLI_CSV_MAX_COLS  ((size_t)1 << 16)   /* columns in the header */

typedef struct mgcli_csv_error {
    size_t line;        /* 1-based physical line; 0 when no line applies */
    int out_of_memory;  /* an allocation failed: not the input's fault; msg says
                           what was being allocated */
    char msg[256];
    char hint[72];      /* "" or, when the header line suggests another
                           separator, what to try (csv_sep.h) */
} mgcli_csv_error;

/* The header as the sink sees it (the row-name column left out). */
typedef struct mgcli_csv_header {
    const char *const *names;
    size_t ncols;
    unsigned char *as_text;   /* ncols flags, all 0: the sink sets those of
                                 columns to read as text from the first row */
    const char *note;         /* NULL, or a line saying which names were renamed */
} mgcli_csv_header;

/* Where records go.  Each callback returns 0 to continue, or nonzero after
 * calling mgcli_csv_fail() on err to stop the load with that message. */
typedef struct mgcli_csv_sink {
    int (*header)(void *ctx, size_t line, mgcli_csv_header *h, mgcli_csv_error *err);
    /* values[j] is NaN for a missing cell */
    int (*row)(void *ctx, size_t line, const double *values, size_t ncols, mgcli_csv_error *err);
    /* A text cell s[0, len) (blanks around it removed) of column col: its
     * value for the row into *code.  NULL: text cells are errors. */
    int (*text)(void *ctx, size_t line, size_t col, const char *s, size_t len, double *code,
                mgcli_csv_error *err);
    void *ctx;
} mgcli_csv_sink;

/* Records a formatted message and its line in err; returns -1. */
int mgcli_csv_fail(mgcli_csv_error *err, size_t line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Records an allocation failure (line 0, out_of_memory set, msg = what);
 * returns -1. */
int mgcli_csv_fail_nomem(mgcli_csv_error *err, const char *what);

typedef struct mgcli_csv mgcli_csv;

/* A new parser sending records to sink (copied); NULL if out of memory. */
mgcli_csv *mgcli_csv_new(const mgcli_csv_sink *sink);

/* The separator: ',', ';' or '\t', or 0 (the default) to detect it from
 * the header line.  Before the first feed. */
void mgcli_csv_set_sep(mgcli_csv *p, char sep);

/* Parses n more bytes.  0 on success, -1 on the first error (see
 * mgcli_csv_error_of); after an error further calls do nothing. */
int mgcli_csv_feed(mgcli_csv *p, const void *buf, size_t n);

/* Ends the input: flushes the last record, checks that a header and at
 * least one data row were seen.  0 or -1 as for feed. */
int mgcli_csv_finish(mgcli_csv *p);

/* The error after a -1 return. */
const mgcli_csv_error *mgcli_csv_error_of(const mgcli_csv *p);

/* Data rows delivered so far. */
size_t mgcli_csv_rows(const mgcli_csv *p);

void mgcli_csv_free(mgcli_csv *p);

/* Parallel reading of a regular file (fit_chunks.c) cuts the data rows into
 * byte ranges that start at line starts and parses each with a parser of
 * its own, made from the one that read the header:
 *   mgcli_csv_feed_header  feeds at most the n bytes of buf, a line at a
 *       time (up to each LF), stopping after the line that completes the
 *       header record and decides the kind (number or text) of every
 *       column, or at an error; returns the bytes consumed.  Rows before
 *       that line each have a missing cell in an undecided column;
 *   mgcli_csv_header_read  the header record is complete;
 *   mgcli_csv_decided      ... and every column's kind is known;
 *   mgcli_csv_has_text     some column is read as text;
 *   mgcli_csv_in_body      the header has been read, every kind decided,
 *       and the parser is at the start of a line, outside any record: the next
 *       byte may be parsed by a body parser with the same line count (not
 *       so after a header ended by a lone CR, whose line may hold a row);
 *   mgcli_csv_new_body     a parser for data rows only, with head's columns
 *       (head must outlive it) and lines counted from 1; finish does not
 *       ask for a header or rows; kinds and separator are head's.  With
 *       quote_stop, it stops (without an error) before the first line that
 *       holds a '"' byte, and
 *       mgcli_csv_quoted then says so: a range cut at an LF is only known
 *       to start outside a quoted field while no quote came before it;
 *   mgcli_csv_line         the physical line the parser is on (1 + the line
 *       ends read). */
size_t mgcli_csv_feed_header(mgcli_csv *p, const void *buf, size_t n);
int mgcli_csv_header_read(const mgcli_csv *p);
int mgcli_csv_decided(const mgcli_csv *p);
int mgcli_csv_has_text(const mgcli_csv *p);
int mgcli_csv_in_body(const mgcli_csv *p);
mgcli_csv *mgcli_csv_new_body(const mgcli_csv *head, const mgcli_csv_sink *sink, int quote_stop);
int mgcli_csv_quoted(const mgcli_csv *p);
size_t mgcli_csv_line(const mgcli_csv *p);

/* Reads f to its end in fixed-size chunks through a parser with separator
 * sep (as mgcli_csv_set_sep).  0 on success; -1 with *err filled on a
 * parse, sink or read error. */
int mgcli_csv_read_stream(FILE *f, const mgcli_csv_sink *sink, char sep, mgcli_csv_error *err);

#endif
