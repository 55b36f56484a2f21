/* SPDX-License-Identifier: BSD-3-Clause */
/* Streaming numeric CSV loader on libcsv (see csv_load.h for the rules).
 *
 * libcsv reports fields (cb1) and record ends (cb2) but not positions, so
 * the physical line is counted here: CSV_REPALL_NL makes libcsv report every
 * CR and LF outside a field, and line breaks inside quoted fields are
 * counted from the field text.  A CR immediately followed by the LF of the
 * same line end (CRLF) counts once. */
#include "csv_load.h"

#include "csv_number.h"
#include "csv_sep.h"
#include "escape.h"
#include "factor.h"

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
    int idle;             /* libcsv is at the start of a record: the last event was a
                             record ended by an LF (or nothing was parsed yet) */
    int body;             /* made by mgcli_csv_new_body: names borrowed, no header */
    int quote_stop;       /* body parsers: stop at the first '"' (mgcli_csv_quoted) */
    int quoted;
    char sep;             /* the separator in use (0 until decided) */
    char sep_opt;         /* mgcli_csv_set_sep's, 0: detect */
    int sniffing;         /* collecting the header line to count its separators */
    char *sniff;          /* the bytes collected */
    size_t sniff_len, sniff_cap;
    size_t sepcount[MGCLI_SEP_KINDS];   /* separators in the header line */
    int skip0;            /* the first column holds row names (empty first name) */
    size_t nsink;         /* columns the sink sees: ncols - skip0 */
    unsigned char *kind;  /* per sink column: K_AUTO, K_TEXT, K_NUM */
    size_t undecided;     /* columns still K_AUTO */
    char note[224];       /* renamed column names, for the header callback */
};

/* A column's kind: decided by the sink at the header (text), or by its
 * first non-missing cell. */
enum { K_AUTO = 0, K_TEXT = 1, K_NUM = 2 };

/* Header bytes collected for separator detection at most: past this the
 * counts so far decide (a header line this long is a binary file or a
 * lost quote, which the field limit then reports). */
#define SNIFF_MAX ((size_t)4 << 20)

static const unsigned char BOM[3] = { 0xEF, 0xBB, 0xBF };

int mgcli_csv_fail(mgcli_csv_error *err, size_t line, const char *fmt, ...)
{
    va_list ap;
    err->line = line;
    err->out_of_memory = 0;
    err->hint[0] = '\0';
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
    const char *last = stop;
    while (last > s && is_blank(last[-1]))
        last--;
    if (mgcli_decimal(s, last, out) == MGCLI_DEC_EXACT)
        return NUM_OK;   /* strtod's value (csv_number.h) */
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
    p->err.out_of_memory = 0;
    p->err.hint[0] = '\0';
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

/* A cell that R's read.csv reads as NA (na.strings = "NA"), or NaN (lm
 * drops it as missing too), or an empty one; blanks around it allowed. */
static int is_missing(const char *s, size_t len)
{
    while (len > 0 && is_blank(*s))
        s++, len--;
    while (len > 0 && is_blank(s[len - 1]))
        len--;
    return len == 0 || (len == 2 && !memcmp(s, "NA", 2)) || (len == 3 && !memcmp(s, "NaN", 3));
}

/* The name of sink column j, escaped for a message. */
static const char *col_name(const mgcli_csv *p, size_t j, char out[48])
{
    const char *name = p->names[j + (size_t)p->skip0];
    return shown(name, strlen(name), out);
}

/* A cell of a text column to the sink, which gives its value (a code). */
static void text_cell(mgcli_csv *p, size_t line, size_t j, const char *s, size_t len)
{
    while (len > 0 && is_blank(*s))
        s++, len--;
    while (len > 0 && is_blank(s[len - 1]))
        len--;
    if (p->sink.text(p->sink.ctx, line, j, s, len, &p->values[j], &p->err))
        p->failed = 1;
}

static void decide(mgcli_csv *p, size_t j, unsigned char k)
{
    if (p->kind[j] == K_AUTO) {
        p->kind[j] = k;
        p->undecided--;
    }
}

static void non_numeric(mgcli_csv *p, size_t line, size_t j, const char *s, size_t len)
{
    char name[48], cell[48];
    if (p->kind[j] == K_NUM && p->sink.text)
        fail(p, line, "column '%s': non-numeric value '%s' (the column began with numbers; "
                      "--factor %s reads it as a factor)",
             col_name(p, j, name), shown(s, len, cell), name);
    else
        fail(p, line, "column '%s': non-numeric value '%s'", col_name(p, j, name),
             shown(s, len, cell));
}

static void data_field(mgcli_csv *p, size_t field_line, const char *s, size_t len)
{
    if (p->nfields >= p->ncols || (p->skip0 && p->nfields == 0))
        return;   /* a ragged row (reported with the count at its end), or a row name */
    size_t j = p->nfields - (size_t)p->skip0;
    char name[48], cell[48];
    if (is_missing(s, len)) {
        p->values[j] = NAN;
        return;
    }
    if (p->kind[j] == K_TEXT) {
        text_cell(p, field_line, j, s, len);
        return;
    }
    switch (parse_number(s, len, &p->values[j])) {
    case NUM_OK:
        decide(p, j, K_NUM);
        return;
    case NUM_EMPTY:
    case NUM_TEXT:
        if (p->kind[j] == K_AUTO && p->sink.text) {
            decide(p, j, K_TEXT);
            text_cell(p, field_line, j, s, len);
        } else {
            non_numeric(p, field_line, j, s, len);
        }
        return;
    case NUM_NONFINITE:
        fail(p, field_line, "column '%s': non-finite value '%s'", col_name(p, j, name),
             shown(s, len, cell));
        return;
    case NUM_RANGE:
        fail(p, field_line, "column '%s': number '%s' is out of range for a double",
             col_name(p, j, name), shown(s, len, cell));
        return;
    }
}

static void on_field(void *field, size_t len, void *ctx)
{
    mgcli_csv *p = ctx;
    const char *s = field ? field : "";
    p->idle = 0;
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

/* R's make.unique on the names the sink sees, and a note saying so. */
static int unique_names(mgcli_csv *p)
{
    size_t renamed = 0, first = 0;
    char name[48];
    if (mgcli_make_unique(p->names + p->skip0, p->nsink, &renamed, &first) != 0)
        return fail_nomem(p, "the header's column names");
    if (renamed)
        snprintf(p->note, sizeof p->note,
                 "%zu repeated column name%s renamed as R's make.unique does (the first: "
                 "column %zu is now '%s')", renamed, renamed == 1 ? "" : "s",
                 first + 1 + (size_t)p->skip0, col_name(p, first, name));
    return 0;
}

static void end_header(mgcli_csv *p)
{
    size_t n = p->nnames, numeric = 0;
    double dummy;
    char cell[48];
    /* R's write.csv writes the row names under an empty first name */
    p->skip0 = n > 1 && p->names[0][0] == '\0';
    for (size_t j = (size_t)p->skip0; j < n; j++) {
        size_t len = strlen(p->names[j]);
        if (len == 0) {
            fail(p, p->rec_line, "empty column name in the header (column %zu)", j + 1);
            return;
        }
        if (parse_number(p->names[j], len, &dummy) == NUM_OK)
            numeric++;
    }
    p->nsink = n - (size_t)p->skip0;
    if (numeric == p->nsink) {
        fail(p, p->rec_line, "no header row: the first record is all numbers ('%s', ...)",
             shown(p->names[p->skip0], strlen(p->names[p->skip0]), cell));
        return;
    }
    if (unique_names(p) != 0)
        return;
    p->values = malloc(p->nsink * sizeof *p->values);
    p->kind = calloc(p->nsink, 1);
    if (!p->values || !p->kind) {
        fail_nomem(p, "a row of values");
        return;
    }
    p->ncols = n;
    p->have_header = 1;
    mgcli_csv_header h = { (const char *const *)p->names + p->skip0, p->nsink, p->kind,
                           p->note[0] ? p->note : NULL };
    if (p->sink.header && p->sink.header(p->sink.ctx, p->rec_line, &h, &p->err)) {
        p->failed = 1;
        return;
    }
    p->undecided = 0;
    for (size_t j = 0; j < p->nsink; j++) {
        p->kind[j] = p->kind[j] ? K_TEXT : K_AUTO;
        p->undecided += p->kind[j] == K_AUTO;
    }
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
    if (p->sink.row && p->sink.row(p->sink.ctx, p->rec_line, p->values, p->nsink, &p->err))
        p->failed = 1;
}

static void on_record(int c, void *ctx)
{
    mgcli_csv *p = ctx;
    p->idle = c == CSV_LF;
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
    p->idle = 1;
    p->sniffing = 1;
    return p;
}

void mgcli_csv_set_sep(mgcli_csv *p, char sep) { p->sep_opt = sep; }

/* libcsv's blanks around unquoted fields: spaces and TABs, but not the
 * separator. */
static int space_tab(unsigned char c) { return c == ' ' || c == '\t'; }
static int space_only(unsigned char c) { return c == ' '; }

static void use_sep(mgcli_csv *p, char sep)
{
    p->sep = sep;
    csv_set_delim(&p->lp, (unsigned char)sep);
    csv_set_space_func(&p->lp, sep == '\t' ? space_only : space_tab);
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
    if (n == 0)
        return 0;
    p->idle = 0;
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
static int ingest(mgcli_csv *p, const char *b, size_t n);

static int skip_bom(mgcli_csv *p, const unsigned char **buf, size_t *n)
{
    while (p->bom >= 0 && p->bom < 3 && *n > 0) {
        if (**buf != BOM[p->bom]) {
            int held = p->bom;
            p->bom = -1;
            return held ? ingest(p, (const char *)BOM, (size_t)held) : 0;
        }
        p->bom++;
        (*buf)++;
        (*n)--;
    }
    if (p->bom == 3)
        p->bom = -1;
    return 0;
}

/* The fast path's limit on a line: longer ones (and so any field near
 * MGCLI_CSV_MAX_FIELD) go through libcsv, which enforces the field limit. */
#define FAST_LINE_MAX ((size_t)1 << 16)

/* One field for the fast path: the number in [a, b) (blanks around it
 * allowed) into *v, exactly as parse_number() would read it; 0 when the
 * field is anything but a finite decimal number (then libcsv and
 * parse_number() take the line, and report the error if there is one).
 * b[0] is a ',', a blank, a CR or the LF, none of which can continue a
 * number, so strtod stops at b. */
static int fast_field(const char *a, const char *b, double *v)
{
    while (a < b && is_blank(*a))
        a++;
    while (b > a && is_blank(b[-1]))
        b--;
    switch (mgcli_decimal(a, b, v)) {
    case MGCLI_DEC_EXACT:
        return 1;
    case MGCLI_DEC_STRTOD:
    {
        char *end;
        double x = strtod(a, &end);
        if (end != b || !isfinite(x))
            return 0;
        *v = x;
        return 1;
    }
    default:
        return 0;
    }
}

/* The fast path: the line [s, nl) (nl: its LF), read while libcsv is idle
 * at a record start after the header.  A line of exactly ncols unquoted
 * decimal numbers separated by the separator, ending in LF or CRLF, is what
 * libcsv and on_field/on_record would make of it: one record of those
 * values on this line, one line end.  Anything else (quotes, a CR inside,
 * a blank line, a wrong count, a field that is not a finite number: a
 * missing or text cell too, a very long line) returns 0 untouched, and
 * libcsv reads the line (with the messages of the slow path).  -1 when the sink refused the record. */
static int fast_line(mgcli_csv *p, const char *s, const char *nl)
{
    const char *end = nl;
    if (end > s && end[-1] == '\r')
        end--;
    if ((size_t)(end - s) > FAST_LINE_MAX || end == s)
        return 0;
    size_t j = 0;
    for (const char *a = s;; j++) {
        const char *b = memchr(a, p->sep, (size_t)(end - a));
        if (!b)
            b = end;
        if (j == p->ncols)
            return 0;
        if (p->skip0 && j == 0) {
            /* a row name: skipped, unless libcsv must see it (a quote, a CR) */
            if (memchr(a, '"', (size_t)(b - a)) || memchr(a, '\r', (size_t)(b - a)))
                return 0;
        } else if (p->kind[j - (size_t)p->skip0] == K_TEXT ||
                   !fast_field(a, b, &p->values[j - (size_t)p->skip0])) {
            return 0;   /* text, a missing cell, or an error: libcsv's path */
        }
        if (b == end)
            break;
        a = b + 1;
    }
    if (j + 1 != p->ncols)
        return 0;
    for (size_t c = 0; p->undecided && c < p->nsink; c++)
        decide(p, c, K_NUM);
    p->rec_line = p->line;
    p->rows++;
    if (p->sink.row && p->sink.row(p->sink.ctx, p->rec_line, p->values, p->nsink, &p->err)) {
        p->failed = 1;
        return -1;
    }
    p->line++;
    return 1;
}

/* libcsv is at a record start after the header, no CR pending: the next
 * byte begins a line. */
static int at_line_start(const mgcli_csv *p)
{
    return p->idle && p->have_header && !p->pending_cr && !p->failed;
}

/* Whole lines go through the fast path when libcsv is idle; libcsv is fed
 * up to and including each LF otherwise, so that it is seen idle again as
 * soon as a record ends at a line end (a LF inside a quoted field leaves
 * it busy; input without LFs, CR line ends only, all goes to libcsv). */
static int feed_lines(mgcli_csv *p, const char *b, size_t n)
{
    const char *end = b + n;
    while (b < end) {
        const char *nl = memchr(b, '\n', (size_t)(end - b));
        if (nl && at_line_start(p)) {
            int r = fast_line(p, b, nl);
            if (r < 0)
                return -1;
            if (r > 0) {
                b = nl + 1;
                continue;
            }
        }
        if (p->quote_stop && memchr(b, '"', nl ? (size_t)(nl + 1 - b) : (size_t)(end - b))) {
            p->quoted = 1;
            return 0;
        }
        size_t len = nl ? (size_t)(nl + 1 - b) : (size_t)(end - b);
        if (parse(p, b, len) != 0)
            return -1;
        b += len;
    }
    return 0;
}

/* The header line collected: the separator decided, the bytes parsed. */
static int end_sniff(mgcli_csv *p)
{
    mgcli_sep_scan(p->sniff ? p->sniff : "", p->sniff_len, p->sepcount);
    use_sep(p, p->sep_opt ? p->sep_opt : mgcli_sep_choose(p->sepcount));
    p->sniffing = 0;
    int rc = p->sniff_len ? feed_lines(p, p->sniff, p->sniff_len) : 0;
    free(p->sniff);
    p->sniff = NULL;
    p->sniff_len = p->sniff_cap = 0;
    return rc;
}

/* Bytes after the byte order mark: held until the header line is complete
 * (the separator comes from it), then parsed. */
static int ingest(mgcli_csv *p, const char *b, size_t n)
{
    if (!p->sniffing)
        return feed_lines(p, b, n);
    if (n == 0)
        return 0;
    if (p->sniff_len + n > p->sniff_cap) {
        size_t cap = p->sniff_cap ? p->sniff_cap : 4096;
        while (cap < p->sniff_len + n)
            cap *= 2;
        char *s = realloc(p->sniff, cap);
        if (!s)
            return fail_nomem(p, "the header line");
        p->sniff = s;
        p->sniff_cap = cap;
    }
    memcpy(p->sniff + p->sniff_len, b, n);
    p->sniff_len += n;
    size_t counts[MGCLI_SEP_KINDS];
    if (mgcli_sep_scan(p->sniff, p->sniff_len, counts) || p->sniff_len >= SNIFF_MAX)
        return end_sniff(p);
    return 0;
}

/* An error's hint: the separator the header line suggests, if another. */
static int with_hint(mgcli_csv *p)
{
    if (!p->err.out_of_memory)
        mgcli_sep_hint(p->sepcount, p->sep ? p->sep : ',', p->err.hint, sizeof p->err.hint);
    return -1;
}

int mgcli_csv_feed(mgcli_csv *p, const void *buf, size_t n)
{
    if (p->failed)
        return -1;
    if (p->quoted)
        return 0;
    const unsigned char *b = buf;
    if (skip_bom(p, &b, &n) != 0 || ingest(p, (const char *)b, n) != 0)
        return with_hint(p);
    return 0;
}

size_t mgcli_csv_feed_header(mgcli_csv *p, const void *buf, size_t n)
{
    const char *b = buf, *end = b + n;
    while (b < end && !p->failed && !mgcli_csv_decided(p)) {
        const char *nl = memchr(b, '\n', (size_t)(end - b));
        size_t len = nl ? (size_t)(nl + 1 - b) : (size_t)(end - b);
        if (mgcli_csv_feed(p, b, len) != 0)
            break;
        b += len;
    }
    return (size_t)(b - (const char *)buf);
}

int mgcli_csv_header_read(const mgcli_csv *p) { return p->have_header; }

int mgcli_csv_decided(const mgcli_csv *p) { return p->have_header && p->undecided == 0; }

int mgcli_csv_has_text(const mgcli_csv *p)
{
    for (size_t j = 0; p->have_header && j < p->nsink; j++)
        if (p->kind[j] == K_TEXT)
            return 1;
    return 0;
}

int mgcli_csv_in_body(const mgcli_csv *p)
{
    return at_line_start(p) && p->bom < 0 && !p->sniffing && mgcli_csv_decided(p);
}

mgcli_csv *mgcli_csv_new_body(const mgcli_csv *head, const mgcli_csv_sink *sink, int quote_stop)
{
    mgcli_csv *p = mgcli_csv_new(sink);
    if (!p)
        return NULL;
    p->values = malloc(head->nsink * sizeof *p->values);
    p->kind = malloc(head->nsink);
    if (!p->values || !p->kind) {
        mgcli_csv_free(p);
        return NULL;
    }
    memcpy(p->kind, head->kind, head->nsink);
    p->undecided = head->undecided;
    p->skip0 = head->skip0;
    p->nsink = head->nsink;
    memcpy(p->sepcount, head->sepcount, sizeof p->sepcount);
    p->sniffing = 0;
    use_sep(p, head->sep);
    p->names = head->names;
    p->nnames = head->nnames;
    p->ncols = head->ncols;
    p->have_header = 1;
    p->body = 1;
    p->bom = -1;
    p->idle = 1;
    p->quote_stop = quote_stop;
    return p;
}

int mgcli_csv_quoted(const mgcli_csv *p) { return p->quoted; }

size_t mgcli_csv_line(const mgcli_csv *p) { return p->line; }

static int finish(mgcli_csv *p);

int mgcli_csv_finish(mgcli_csv *p)
{
    return finish(p) ? with_hint(p) : 0;
}

static int finish(mgcli_csv *p)
{
    if (p->failed)
        return -1;
    if (p->bom > 0) {   /* the input was a proper prefix of the mark */
        int held = p->bom;
        p->bom = -1;
        if (ingest(p, (const char *)BOM, (size_t)held) != 0)
            return -1;
    }
    if (p->sniffing && end_sniff(p) != 0)
        return -1;
    if (p->quoted)
        return 0;
    if (csv_fini(&p->lp, on_field, on_record, p) != 0 && !p->failed)
        return fail(p, p->line, "unterminated quoted field");
    if (p->failed)
        return -1;
    if (p->body)
        return 0;
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
    for (size_t j = 0; !p->body && j < p->nnames; j++)
        free(p->names[j]);
    if (!p->body)
        free(p->names);
    free(p->values);
    free(p->kind);
    free(p->sniff);
    free(p);
}

int mgcli_csv_read_stream(FILE *f, const mgcli_csv_sink *sink, char sep, mgcli_csv_error *err)
{
    mgcli_csv *p = mgcli_csv_new(sink);
    if (!p)
        return mgcli_csv_fail_nomem(err, "the CSV parser");
    mgcli_csv_set_sep(p, sep);
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
