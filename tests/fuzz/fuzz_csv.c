/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target for the CSV loader: the bytes are a CSV file, fed to the
 * same parser and sink `matgrad fit --target y` uses.  The first byte also
 * picks how the input is cut into chunks (one piece, two pieces at a chosen
 * point, or byte by byte), because the loader must give the same result
 * whatever the chunk boundaries; that result is checked here.
 *
 * The first byte also picks where the data rows are cut in two for the
 * parallel reader's body parsers (src/cli/fit_chunks.c): the header read
 * by one parser, the rows after it by two body parsers cut at a line
 * start, with the reader's rule for quotes (a part that meets a '"' is
 * read again, with the rest of the file, in one sequence).  The rows, or
 * the first error's line and message, must be those of the whole parse. */
#include "csv_load.h"
#include "fit_data.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct outcome {
    int rc;
    size_t rows, line;
    size_t deleted;   /* rows dropped for a missing value */
    char msg[256];
} outcome;

static outcome load(const uint8_t *data, size_t size, int mode, size_t split)
{
    mgcli_fit_data d;
    mgcli_fit_data_init(&d, "y", mode & 1);
    mgcli_csv_sink sink = mgcli_fit_data_sink(&d);
    mgcli_csv *p = mgcli_csv_new(&sink);
    outcome o = { 0 };
    if (!p)
        abort();
    int rc = 0;
    if (mode == 2) {
        for (size_t i = 0; i < size && rc == 0; i++)
            rc = mgcli_csv_feed(p, data + i, 1);
    } else {
        rc = mgcli_csv_feed(p, data, split);
        if (rc == 0)
            rc = mgcli_csv_feed(p, data + split, size - split);
    }
    if (rc == 0)
        rc = mgcli_csv_finish(p);
    o.rc = rc;
    o.rows = d.n;
    if (rc) {
        o.line = mgcli_csv_error_of(p)->line;
        memcpy(o.msg, mgcli_csv_error_of(p)->msg, sizeof o.msg);
    }
    mgcli_csv_free(p);
    mgcli_fit_data_free(&d);
    return o;
}

static int no_block(void *ctx, mgcli_fit_data *d, mgcli_csv_error *err)
{
    (void)ctx;
    (void)d;
    (void)err;
    return 0;
}

/* One body part [a, b) of the data; *quoted when a quote stopped it. */
static int body(const mgcli_csv *head, const mgcli_fit_data *dh, const uint8_t *data, size_t a,
                size_t b, int quote_stop, outcome *o, size_t *lines, int *quoted)
{
    mgcli_fit_data d;
    mgcli_csv_error err;
    if (mgcli_fit_data_worker(&d, dh, no_block, NULL, &err) != 0)
        abort();
    mgcli_csv_sink sink = mgcli_fit_data_sink(&d);
    mgcli_csv *p = mgcli_csv_new_body(head, &sink, quote_stop);
    if (!p)
        abort();
    int rc = mgcli_csv_feed(p, data + a, b - a);
    if (rc == 0)
        rc = mgcli_csv_finish(p);
    *quoted = mgcli_csv_quoted(p);
    o->rc = rc;
    o->rows = d.n;
    o->deleted = d.deleted;
    if (rc) {
        o->line = mgcli_csv_error_of(p)->line;
        memcpy(o->msg, mgcli_csv_error_of(p)->msg, sizeof o->msg);
    }
    *lines = mgcli_csv_line(p) - 1;
    mgcli_csv_free(p);
    mgcli_fit_data_free(&d);
    return rc;
}

/* The whole input as the parallel reader would read it with two parts cut
 * near `cut`; 0 when the header is never complete (nothing to compare). */
static int two_parts(const uint8_t *data, size_t size, size_t cut, outcome *o)
{
    mgcli_fit_data dh;
    mgcli_fit_data_init(&dh, "y", 0);
    mgcli_fit_data_blocks(&dh, 16, no_block, NULL);
    mgcli_csv_sink sink = mgcli_fit_data_sink(&dh);
    mgcli_csv *head = mgcli_csv_new(&sink);
    if (!head)
        abort();
    size_t h = mgcli_csv_feed_header(head, data, size);
    /* as the reader: only once every column's kind is known, none text */
    int ok = mgcli_csv_in_body(head) && !dh.held && !mgcli_csv_has_text(head);
    if (ok) {
        size_t s = cut < h ? h : cut;
        while (s < size && s > h && data[s - 1] != '\n')
            s++;
        size_t line = mgcli_csv_line(head), la = 0, lb = 0;
        int quoted;
        outcome a = { 0 }, b = { 0 };
        body(head, &dh, data, h, s, 1, &a, &la, &quoted);
        if (quoted) {
            body(head, &dh, data, h, size, 0, &a, &la, &quoted);
            s = size;
        }
        if (!a.rc && s < size && body(head, &dh, data, s, size, 1, &b, &lb, &quoted) == 0 &&
            quoted)
            body(head, &dh, data, s, size, 0, &b, &lb, &quoted);
        if (a.rc) {
            *o = a;
            o->line += o->line ? line - 1 : 0;
        } else if (s < size && b.rc) {
            *o = b;
            o->line += o->line ? line + la - 1 : 0;
        } else {
            o->rc = 0;
            o->rows = dh.n + a.rows + b.rows;
            /* the reader's rule: rows all dropped for missing values are
             * rows (the command then says none is complete) */
            if (o->rows == 0 && dh.deleted + a.deleted + b.deleted == 0) {
                o->rc = -1;
                o->line = 0;
                snprintf(o->msg, sizeof o->msg, "no data rows after the header");
            }
        }
    }
    mgcli_csv_free(head);
    mgcli_fit_data_free(&dh);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int mode = size ? data[0] % 3 : 0;
    size_t split = size ? (size_t)data[0] * size / 256 : 0;
    outcome whole = load(data, size, 0, size);
    outcome cut = load(data, size, mode, split);
    /* chunking must not change the outcome (mode 1 only adds the
     * explicit intercept column, which does not change rows or errors) */
    if (whole.rc != cut.rc || whole.rows != cut.rows || whole.line != cut.line ||
        strcmp(whole.msg, cut.msg) != 0)
        abort();
    outcome parts = { 0 };
    if (two_parts(data, size, split, &parts) &&
        (whole.rc != parts.rc || (whole.rc == 0 && whole.rows != parts.rows) ||
         whole.line != parts.line || strcmp(whole.msg, parts.msg) != 0))
        abort();
    return 0;
}
