/* SPDX-License-Identifier: BSD-3-Clause */
/* Streaming numeric CSV loader on libcsv (see csv_load.h for the rules).
 *
 * libcsv reports fields (cb1) and record ends (cb2) but not positions, so
 * the physical line is counted here: CSV_REPALL_NL makes libcsv report every
 * CR and LF outside a field, and line breaks inside quoted fields are
 * counted from the field text.  A CR immediately followed by the LF of the
 * same line end (CRLF) counts once. */
#include "csv_load.h"

#include "escape.h"

#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct mgcli_csv {
    struct csv_parser lp;
    mgcli_csv_sink sink;
    mgcli_csv_error err;
    int failed;
    int have_header;
    size_t line;          /* physical line the parser is on */
    size_t rec_line;      /* line where the current record began */
    size_t nfields;       /* fields seen in the current record */
    int pending_cr;       /* the last line end was a CR: a following LF is its pair */
    size_t ncols;         /* header width (0 until the header is read) */
    char **names;         /* header fields (nnames allocated) */
    size_t nnames, names_cap;
    double *values;       /* the current data record */
    size_t rows;
    int bom;              /* bytes of a leading UTF-8 byte order mark matched; -1 once decided */
};

static const unsigned char BOM[3] = { 0xEF, 0xBB, 0xBF };

int mgcli_csv_fail(mgcli_csv_error *err, size_t line, const char *fmt, ...)
{
    va_list ap;
    err->line = line;
    err->out_of_memory = 0;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

int mgcli_csv_fail_nomem(mgcli_csv_error *err, const char *what)
{
    mgcli_csv_fail(err, 0, "%s", what);
    err->out_of_memory = 1;
    return -1;
}

/* libcsv grows its field buffer through this; refusing past the limit turns a
 * runaway field (a binary file, a missing closing quote) into CSV_ENOMEM
 * instead of reading the whole input into memory. */
static void *bounded_realloc(void *ptr, size_t size)
{
    if (size > MGCLI_CSV_MAX_FIELD + 1)
        return NULL;
    return realloc(ptr, size);
}

/* A short rendering of a cell for messages: at most 40 bytes of it, made
 * safe for a terminal (escape.h), "..." when cut. */
static const char *shown(const char *s, size_t len, char out[48])
{
    size_t n = 0, done = mgcli_escape(out, 41, &n, s, len);
    if (done < len)
        memcpy(out + n, "...", 4);
    return out;
}

enum num_status { NUM_OK, NUM_EMPTY, NUM_TEXT, NUM_NONFINITE, NUM_RANGE };

static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* A finite double from the whole of s[0, len), surrounding blanks allowed
 * (a quoted field keeps them).  s[len] must be '\0' (CSV_APPEND_NULL gives
 * that), so strtod reads the field in place; an embedded NUL stops it short
 * of the end and the field counts as text. */
static enum num_status parse_number(const char *s, size_t len, double *out)
{
    const char *stop = s + len;
    while (s < stop && is_blank(*s))
        s++;
    if (s == stop)
        return NUM_EMPTY;
    /* strtod would skip other white space (line breaks in a quoted field) */
    if (*s == '\n' || *s == '\r' || *s == '\v' || *s == '\f')
        return NUM_TEXT;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    int range = errno == ERANGE && fabs(v) == HUGE_VAL;
    if (end == s)
        return NUM_TEXT;
    while (end < stop && is_blank(*end))
        end++;
    if (end != stop)
        return NUM_TEXT;
    if (!isfinite(v))
        return range ? NUM_RANGE : NUM_NONFINITE;
    *out = v;
    return NUM_OK;
}

static int fail(mgcli_csv *p, size_t line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int fail(mgcli_csv *p, size_t line, const char *fmt, ...)
{
    va_list ap;
    p->failed = 1;
    p->err.line = line;
    va_start(ap, fmt);
    vsnprintf(p->err.msg, sizeof p->err.msg, fmt, ap);
    va_end(ap);
    return -1;
}

static int fail_nomem(mgcli_csv *p, const char *what)
{
    p->failed = 1;
    return mgcli_csv_fail_nomem(&p->err, what);
}

static void count_breaks(mgcli_csv *p, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] == '\n' || (s[i] == '\r' && (i + 1 == len || s[i + 1] != '\n')))
            p->line++;
}

static void header_field(mgcli_csv *p, const char *s, size_t len)
{
    if (p->nfields >= MGCLI_CSV_MAX_COLS) {
        fail(p, p->rec_line, "more than %zu columns in the header", MGCLI_CSV_MAX_COLS);
        return;
    }
    if (p->nnames == p->names_cap) {
        size_t cap = p->names_cap ? 2 * p->names_cap : 16;
        char **n = realloc(p->names, cap * sizeof *n);
        if (!n) {
            fail_nomem(p, "the header's column names");
            return;
        }
        p->names = n;
        p->names_cap = cap;
    }
    char *name = malloc(len + 1);
    if (!name) {
        fail_nomem(p, "the header's column names");
        return;
    }
    if (len)
        memcpy(name, s, len);
    name[len] = '\0';
    p->names[p->nnames++] = name;
}

static void data_field(mgcli_csv *p, size_t field_line, const char *s, size_t len)
{
    if (p->nfields >= p->ncols)
        return;   /* a ragged row: reported with the count at its end */
    char cell[48];
    switch (parse_number(s, len, &p->values[p->nfields])) {
    case NUM_OK:
        return;
    case NUM_EMPTY:
        fail(p, field_line, "empty cell in column '%s' (missing values are not supported)",
             shown(p->names[p->nfields], strlen(p->names[p->nfields]), cell));
        return;
    case NUM_NONFINITE:
        fail(p, field_line, "non-finite value '%s' in column %zu", shown(s, len, cell),
             p->nfields + 1);
        return;
    case NUM_RANGE:
        fail(p, field_line, "number '%s' in column %zu is out of range for a double",
             shown(s, len, cell), p->nfields + 1);
        return;
    case NUM_TEXT:
        fail(p, field_line, "non-numeric value '%s' in column %zu", shown(s, len, cell),
             p->nfields + 1);
        return;
    }
}

static void on_field(void *field, size_t len, void *ctx)
{
    mgcli_csv *p = ctx;
    const char *s = field ? field : "";
    if (p->failed)
        return;
    if (p->nfields == 0)
        p->rec_line = p->line;
    size_t field_line = p->line;
    p->pending_cr = 0;
    if (!p->have_header)
        header_field(p, s, len);
    else
        data_field(p, field_line, s, len);
    p->nfields++;
    count_breaks(p, s, len);
}

static void end_header(mgcli_csv *p)
{
    size_t n = p->nnames, numeric = 0;
    double dummy;
    char cell[48];
    for (size_t j = 0; j < n; j++) {
        size_t len = strlen(p->names[j]);
        if (len == 0) {
            fail(p, p->rec_line, "empty column name in the header (column %zu)", j + 1);
            return;
        }
        if (parse_number(p->names[j], len, &dummy) == NUM_OK)
            numeric++;
    }
    if (numeric == n) {
        fail(p, p->rec_line, "no header row: the first record is all numbers ('%s', ...)",
             shown(p->names[0], strlen(p->names[0]), cell));
        return;
    }
    p->values = malloc(n * sizeof *p->values);
    if (!p->values) {
        fail_nomem(p, "a row of values");
        return;
    }
    p->ncols = n;
    p->have_header = 1;
    if (p->sink.header && p->sink.header(p->sink.ctx, p->rec_line, (const char *const *)p->names, n,
                                       &p->err))
        p->failed = 1;
}

static void end_record(mgcli_csv *p)
{
    if (!p->have_header) {
        end_header(p);
        return;
    }
    if (p->nfields != p->ncols) {
        fail(p, p->rec_line, "expected %zu fields (as in the header), found %zu", p->ncols,
             p->nfields);
        return;
    }
    p->rows++;
    if (p->sink.row && p->sink.row(p->sink.ctx, p->rec_line, p->values, p->ncols, &p->err))
        p->failed = 1;
}

static void on_record(int c, void *ctx)
{
    mgcli_csv *p = ctx;
    if (p->failed)
        return;
    if (p->nfields > 0) {
        end_record(p);
        p->nfields = 0;
    } else if (c == CSV_LF && p->pending_cr) {
        p->pending_cr = 0;   /* the LF of a CRLF line end */
        return;
    }
    if (c == CSV_LF || c == CSV_CR) {
        p->line++;
        p->pending_cr = c == CSV_CR;
    }
}

mgcli_csv *mgcli_csv_new(const mgcli_csv_sink *sink)
{
    mgcli_csv *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    if (csv_init(&p->lp, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL | CSV_APPEND_NULL) != 0) {
        free(p);
        return NULL;
    }
    csv_set_realloc_func(&p->lp, bounded_realloc);
    csv_set_blk_size(&p->lp, 4096);
    if (sink)
        p->sink = *sink;
    p->line = 1;
    p->rec_line = 1;
    return p;
}

static int parser_failed(mgcli_csv *p)
{
    int e = csv_error(&p->lp);
    if (e == CSV_EPARSE)
        return fail(p, p->line, "malformed CSV: a quote inside an unquoted field, or text "
                                "after a closing quote");
    /* bounded_realloc refuses growth past the limit, and libcsv then halves
     * its request down to one byte: a refusal below the limit was the
     * memory running out */
    if (e == CSV_ENOMEM && p->lp.entry_size < MGCLI_CSV_MAX_FIELD)
        return fail_nomem(p, "the field being read");
    if (e == CSV_ENOMEM || e == CSV_ETOOBIG)
        return fail(p, p->line, "field longer than %zu bytes", MGCLI_CSV_MAX_FIELD);
    return fail(p, p->line, "CSV parser error: %s", csv_strerror(e));
}

static int parse(mgcli_csv *p, const void *buf, size_t n)
{
    size_t done = csv_parse(&p->lp, buf, n, on_field, on_record, p);
    if (p->failed)
        return -1;
    if (done != n)
        return parser_failed(p);
    return 0;
}

/* Drops a UTF-8 byte order mark at the very start of the input (spreadsheet
 * exports write one), whatever the chunking; a partial match that turns out
 * not to be a mark is parsed as data. */
static int skip_bom(mgcli_csv *p, const unsigned char **buf, size_t *n)
{
    while (p->bom >= 0 && p->bom < 3 && *n > 0) {
        if (**buf != BOM[p->bom]) {
            int held = p->bom;
            p->bom = -1;
            return held ? parse(p, BOM, (size_t)held) : 0;
        }
        p->bom++;
        (*buf)++;
        (*n)--;
    }
    if (p->bom == 3)
        p->bom = -1;
    return 0;
}

int mgcli_csv_feed(mgcli_csv *p, const void *buf, size_t n)
{
    if (p->failed)
        return -1;
    const unsigned char *b = buf;
    if (skip_bom(p, &b, &n) != 0)
        return -1;
    return n ? parse(p, b, n) : 0;
}

int mgcli_csv_finish(mgcli_csv *p)
{
    if (p->failed)
        return -1;
    if (p->bom > 0) {   /* the input was a proper prefix of the mark */
        int held = p->bom;
        p->bom = -1;
        if (parse(p, BOM, (size_t)held) != 0)
            return -1;
    }
    if (csv_fini(&p->lp, on_field, on_record, p) != 0 && !p->failed)
        return fail(p, p->line, "unterminated quoted field");
    if (p->failed)
        return -1;
    if (!p->have_header)
        return fail(p, 0, "empty file: no header row");
    if (p->rows == 0)
        return fail(p, 0, "no data rows after the header");
    return 0;
}

const mgcli_csv_error *mgcli_csv_error_of(const mgcli_csv *p) { return &p->err; }

size_t mgcli_csv_rows(const mgcli_csv *p) { return p->rows; }

void mgcli_csv_free(mgcli_csv *p)
{
    if (!p)
        return;
    csv_free(&p->lp);
    for (size_t j = 0; j < p->nnames; j++)
        free(p->names[j]);
    free(p->names);
    free(p->values);
    free(p);
}

int mgcli_csv_read_stream(FILE *f, const mgcli_csv_sink *sink, mgcli_csv_error *err)
{
    mgcli_csv *p = mgcli_csv_new(sink);
    if (!p)
        return mgcli_csv_fail_nomem(err, "the CSV parser");
    static const size_t CHUNK = 1 << 16;
    char *buf = malloc(CHUNK);
    int rc = buf ? 0 : mgcli_csv_fail_nomem(&p->err, "the read buffer");
    size_t n;
    while (rc == 0 && (n = fread(buf, 1, CHUNK, f)) > 0)
        rc = mgcli_csv_feed(p, buf, n);
    if (rc == 0 && ferror(f))
        rc = mgcli_csv_fail(&p->err, 0, "read error: %s", strerror(errno));
    if (rc == 0)
        rc = mgcli_csv_finish(p);
    if (rc != 0)
        *err = p->err;
    free(buf);
    mgcli_csv_free(p);
    return rc;
}
