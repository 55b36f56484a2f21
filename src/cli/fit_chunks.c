/* SPDX-License-Identifier: BSD-3-Clause */
/* The streaming fit's parallel reader of a regular file (fit_engine.h).
 *
 * The data rows, bytes [start, size) after the header, are cut into
 * ranges by size alone: range i begins right after the first LF at or
 * after start + i C - 1 (C = mgcli_chunk_bytes()), so every range begins
 * at a line start and the cut depends on the file only.  Each range is
 * parsed by a body parser (csv_load.h) into a fit state of its own on an
 * OpenMP thread; the ranges are then taken in file order (an ordered loop):
 * the first range's state becomes the command's, each later one is merged
 * into it with mg_fit_merge (mg_fit_refine_merge on a replay, whose states
 * all began with the same B).  The sequence of accumulate and merge calls
 * is therefore the same for any number of threads, and so is the result,
 * bitwise (fit.h, "Determinism").
 *
 * Errors: a range's parser stops at its first bad line, which it numbers
 * from 1; taken in order, the first range with an error has the first bad
 * line of the file, and the line ends of the ranges before it turn its
 * number into the file's.  Ranges after it are not used.
 *
 * Quotes: an LF inside a quoted field is not a line start, so a cut is
 * only known to be outside quotes while no '"' came before it.  A range
 * parser stops at a '"'; the rest of the file from that range on is then
 * read in one sequence, by one parser (a file with quoted data fields is
 * read as fast as before, not faster). */
#define _POSIX_C_SOURCE 200809L
#include "fit_diag.h"
#include "fit_engine.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef _OPENMP
#define MGCLI_OMP(x) _Pragma(#x)
#include <omp.h>
#else
#define MGCLI_OMP(x)
#endif

/* Threads for the ranges: OpenMP's count (OMP_NUM_THREADS).  Accumulating
 * and merging states calls no BLAS (the QR kind folds its blocks in plain
 * loops since OpenBLAS's pool made two concurrent dtpqrt callers several
 * times slower), nor does a refinement replay, so every method reads its
 * ranges in parallel.  The ranges and their order do not depend on the
 * thread count, and so the results do not either. */
static int reader_threads(const mgcli_engine *e)
{
    (void)e;
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

/* Bytes read at a time (one buffer per thread). */
enum { PIECE = 1 << 18 };

size_t mgcli_chunk_bytes(void)
{
    const char *s = getenv("MATGRAD_CHUNK_BYTES");
    if (s && *s) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (!*end && !errno && v >= 64 && v <= (1ULL << 30))
            return (size_t)v;
    }
    return (size_t)2 << 20;
}

typedef struct plan {
    int fd;
    off_t start, size;
    off_t chunk;
    long n;   /* ranges */
} plan;

/* What one range gave. */
typedef struct range_out {
    int bad, quoted;
    mgcli_csv_error err;   /* bad: line numbered within the range */
    mg_status status;      /* bad: the engine's failure, or MG_OK */
    size_t rows, lines;    /* data rows kept; line ends read */
    size_t deleted;        /* data rows dropped for a missing value */
} range_out;

/* One thread's parser state, row block and fit state. */
typedef struct worker {
    mgcli_engine e;
    mgcli_diag_acc diag;   /* a diagnostics pass: this thread's quartile counts */
    mgcli_fit_data d;
    char *buf;
    int ready;             /* allocated */
    mgcli_csv_error err;   /* why not */
} worker;

static int read_error(mgcli_csv_error *err, int e)
{
    return mgcli_csv_fail(err, 0, "read error: %s", strerror(e));
}

/* n bytes at off, fewer only at the end of the file; -1 on a read error. */
static ssize_t read_at(int fd, char *buf, size_t n, off_t off)
{
    ssize_t got;
    do
        got = pread(fd, buf, n, off);
    while (got < 0 && errno == EINTR);
    return got;
}

/* Where range i begins (pl->size for a range past the last line start). */
static int range_start(const plan *pl, long i, char *buf, off_t *out, mgcli_csv_error *err)
{
    if (i == 0) {
        *out = pl->start;
        return 0;
    }
    off_t pos = pl->start + (off_t)i * pl->chunk - 1;
    *out = pl->size;
    /* a line is usually far shorter than this: read little at a time */
    const off_t look = 1 << 13;
    while (pos < pl->size) {
        size_t want = pl->size - pos < look ? (size_t)(pl->size - pos) : (size_t)look;
        ssize_t got = read_at(pl->fd, buf, want, pos);
        if (got < 0)
            return read_error(err, errno);
        if (got == 0)
            return 0;   /* the file shrank: the row count tells */
        const char *nl = memchr(buf, '\n', (size_t)got);
        if (nl) {
            *out = pos + (nl - buf) + 1;
            return 0;
        }
        pos += got;
    }
    return 0;
}

int mgcli_line_start(int fd, off_t start, off_t size, off_t pos, off_t *out, mgcli_csv_error *err)
{
    if (pos <= start) {
        *out = start;
        return 0;
    }
    char *buf = malloc(1 << 13);
    if (!buf)
        return mgcli_csv_fail_nomem(err, "the read buffer");
    /* range 1 of ranges of pos - start bytes begins where wanted */
    plan pl = { fd, start, size, pos - start, 2 };
    int rc = range_start(&pl, 1, buf, out, err);
    free(buf);
    return rc;
}

static int worker_init(worker *w, const mgcli_engine *e, const mgcli_fit_data *d)
{
    memset(w, 0, sizeof *w);
    w->e.o = e->o;
    w->e.refining = e->refining;
    w->e.B = e->B;
    w->buf = malloc(PIECE);
    if (!w->buf)
        return mgcli_csv_fail_nomem(&w->err, "the read buffer");
    if (e->diag) {
        if (mgcli_diag_child(&w->diag, e->diag) != 0)
            return mgcli_csv_fail_nomem(&w->err, "the residual quartiles");
        w->e.diag = &w->diag;
    }
    if (mgcli_fit_data_worker(&w->d, d, mgcli_engine_block, &w->e, &w->err) != 0 ||
        mgcli_engine_ranges(&w->e, d->p, &w->err) != 0)
        return -1;
    w->ready = 1;
    return 0;
}

static void worker_free(worker *w)
{
    mgcli_diag_free(&w->diag);
    mgcli_engine_free(&w->e);
    mgcli_fit_data_free(&w->d);
    free(w->buf);
}

/* An empty state for the next range: a replay's begins with e->B. */
static int fresh_state(worker *w, mgcli_csv_error *err)
{
    mgcli_engine_ranges_clear(&w->e, w->d.p);
    w->d.nb = 0;
    w->d.n = 0;
    w->d.deleted = 0;
    if (!w->e.fit && !w->e.refining)
        return 0;   /* made at the first block (mgcli_engine_state) */
    mg_status s = MG_OK;
    if (!w->e.fit && mgcli_engine_state(&w->e, &w->d, err) != 0)
        return -1;
    s = mg_fit_reset(w->e.fit);
    if (s == MG_OK && w->e.refining)
        s = mg_fit_refine_begin(w->e.fit, w->e.B);
    if (s == MG_OK)
        return 0;
    w->e.status = s;
    return mgcli_csv_fail(err, 0, "%s", mg_strerror(s));
}

/* Bytes [a, b) through a body parser into w's state. */
static void parse_range(worker *w, const mgcli_csv *head, const plan *pl, off_t a, off_t b,
                        int quote_stop, range_out *out)
{
    w->e.status = MG_OK;
    if (!w->ready) {
        out->bad = 1;
        out->err = w->err;
        return;
    }
    if (fresh_state(w, &out->err) != 0) {
        out->bad = 1;
        out->status = w->e.status;
        return;
    }
    mgcli_csv_sink sink = mgcli_fit_data_sink(&w->d);
    mgcli_csv *p = mgcli_csv_new_body(head, &sink, quote_stop);
    if (!p) {
        out->bad = mgcli_csv_fail_nomem(&out->err, "the CSV parser") != 0;
        return;
    }
    int failed = 0;
    for (off_t pos = a; !failed && pos < b && !mgcli_csv_quoted(p);) {
        size_t want = b - pos < PIECE ? (size_t)(b - pos) : (size_t)PIECE;
        ssize_t got = read_at(pl->fd, w->buf, want, pos);
        if (got <= 0) {
            if (got < 0) {
                read_error(&out->err, errno);
                out->bad = 1;
                mgcli_csv_free(p);
                return;
            }
            break;   /* the file shrank: the row count tells */
        }
        failed = mgcli_csv_feed(p, w->buf, (size_t)got) != 0;
        pos += got;
    }
    if (!failed)
        failed = mgcli_csv_finish(p) != 0;
    out->quoted = mgcli_csv_quoted(p);
    if (failed) {
        out->err = *mgcli_csv_error_of(p);
    } else if (!out->quoted && mgcli_engine_block(&w->e, &w->d, &out->err) != 0) {
        failed = 1;   /* the last, partial block */
    }
    out->bad = failed;
    out->status = w->e.status;
    out->rows = w->d.n;
    out->deleted = w->d.deleted;
    out->lines = mgcli_csv_line(p) - 1;
    mgcli_csv_free(p);
}

/* The command's side of the ordered loop. */
typedef struct reader {
    mgcli_engine *e;
    mgcli_fit_data *d;
    size_t line;      /* the file's line number at the next range's start */
    int stop;         /* an error, or a quote: later ranges are not used */
    long sequence;    /* the range from which the file is read in one sequence, or -1 */
    int bad;
    mgcli_csv_error err;
} reader;

static void reader_fail(reader *r, const mgcli_csv_error *err, mg_status s)
{
    r->bad = 1;
    r->err = *err;
    if (r->err.line)
        r->err.line += r->line - 1;
    r->e->status = s;
}

/* Range i's state into the command's, in file order. */
static void take(reader *r, worker *w, const range_out *out, long i)
{
    if (out->quoted) {
        r->sequence = i;
        return;
    }
    if (out->bad) {
        reader_fail(r, &out->err, out->status);
        return;
    }
    r->d->n += out->rows;
    r->d->deleted += out->deleted;
    r->line += out->lines;
    if (out->rows == 0)
        return;   /* an empty range, or blank lines: no state to merge */
    mgcli_csv_error err;
    mg_status s = MG_OK;
    if (r->e->diag) {
        /* a diagnostics pass: the range's quartile counts, then empty */
        if (mgcli_diag_merge(r->e->diag, w->e.diag) != 0) {
            mgcli_csv_fail_nomem(&err, "the residual quartiles");
            reader_fail(r, &err, MG_ENOMEM);
        }
        return;
    }
    if (!r->e->lo && mgcli_engine_ranges(r->e, r->d->p, &err) != 0) {
        reader_fail(r, &err, MG_OK);
        return;
    }
    if (r->e->refining) {
        s = mg_fit_refine_merge(r->e->fit, w->e.fit);
    } else if (!r->e->fit) {
        r->e->fit = w->e.fit;   /* the first range's state is the command's */
        w->e.fit = NULL;
    } else {
        s = mg_fit_merge(r->e->fit, w->e.fit);
    }
    if (s != MG_OK) {
        mgcli_csv_fail(&err, 0, "%s", mg_strerror(s));
        reader_fail(r, &err, s);
        return;
    }
    mgcli_engine_ranges_merge(r->e, &w->e, r->d->p);
}

/* Ranges [0, n) in parallel, taken in order. */
static void parallel_ranges(reader *r, const mgcli_csv *head, const plan *pl)
{
    const int threads = reader_threads(r->e);
    (void)threads; /* unused where OpenMP is off (MGCLI_OMP expands to nothing) */
    MGCLI_OMP(omp parallel num_threads(threads) if (pl->n > 1 && threads > 1))
    {
        worker w;
        worker_init(&w, r->e, r->d);
        MGCLI_OMP(omp for ordered schedule(dynamic, 1))
        for (long i = 0; i < pl->n; i++) {
            int stop;
            MGCLI_OMP(omp atomic read)
            stop = r->stop;
            range_out out = { 0 };
            off_t a = 0, b = 0;
            if (!stop) {
                if (!w.ready)
                    out.bad = 1, out.err = w.err;
                else if (range_start(pl, i, w.buf, &a, &out.err) != 0 ||
                         range_start(pl, i + 1, w.buf, &b, &out.err) != 0)
                    out.bad = 1;
                else if (a < b)
                    parse_range(&w, head, pl, a, b, 1, &out);
            }
            MGCLI_OMP(omp ordered)
            {
                if (!r->stop) {
                    take(r, &w, &out, i);
                    MGCLI_OMP(omp atomic write)
                    r->stop = r->bad || r->sequence >= 0;
                }
            }
        }
        worker_free(&w);
    }
}

int mgcli_read_chunks(mgcli_engine *e, mgcli_fit_data *d, const mgcli_csv *head, int fd,
                      off_t start, off_t size, mgcli_csv_error *err)
{
    plan pl = { fd, start, size, (off_t)mgcli_chunk_bytes(), 0 };
    pl.n = (long)((size - start + pl.chunk - 1) / pl.chunk);
    reader r = { e, d, mgcli_csv_line(head), 0, -1, 0, { 0 } };
    parallel_ranges(&r, head, &pl);
    if (!r.bad && r.sequence >= 0) {
        /* from the first range with a quote to the end, in one sequence */
        worker w;
        range_out out = { 0 };
        off_t a = 0;
        if (worker_init(&w, e, d) != 0) {
            out.bad = 1;
            out.err = w.err;
        } else if (range_start(&pl, r.sequence, w.buf, &a, &out.err) != 0) {
            out.bad = 1;
        } else {
            parse_range(&w, head, &pl, a, size, 0, &out);
        }
        take(&r, &w, &out, r.sequence);
        worker_free(&w);
    }
    if (!r.bad && d->n == 0 && d->deleted == 0)
        return mgcli_csv_fail(err, 0, "no data rows after the header");
    if (r.bad)
        *err = r.err;
    return r.bad ? -1 : 0;
}
