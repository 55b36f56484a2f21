/* SPDX-License-Identifier: BSD-3-Clause */
/* The command on MPI ranks (fit_mpi.h, docs/mpi.md "The command").
 *
 * One pass, on every rank:
 *   1. the header, read by every rank itself from the file's start (the
 *      same bytes give the same names, separator and column kinds on every
 *      rank: nothing to broadcast);
 *   2. the rank's byte share of the data rows [offset, size): rank r takes
 *      from the first line start at or after offset + r L / N to the first
 *      at or after offset + (r + 1) L / N (L = size - offset), read in one
 *      sequence by a body parser (csv_load.h) into the rank's state, its
 *      refinement sums or its diagnostics accumulator.  The rows that the
 *      header read consumed to decide the column kinds are rank 0's;
 *   3. agreement, whatever happened locally: the first rank with a bad line
 *      (MPI_Allreduce MIN), the line ends of the ranks before each one
 *      (MPI_Exscan) and the row counts (MPI_Allreduce SUM).  A bad line is
 *      reported by the rank that found it, numbered in the file as one
 *      process numbers it, and its exit status goes to every rank;
 *   3b. a file with factors (fit_data.h's held rows), its first pass: each
 *      rank held its share's kept rows; the levels are agreed among the
 *      ranks and every rank fixes the same design, then folds its rows
 *      into its state (below, "Files with factors"); later passes replay
 *      each rank's held rows from memory, then steps 3 and 4;
 *   4. combination: the states merge up src/mpi/tree.c's fixed binary tree
 *      (mg_fit_merge, or mg_fit_refine_merge on a replay) and rank 0's
 *      result goes back to every rank (mg__mpi_share_state); the column
 *      ranges by exact MIN / MAX; a diagnostics pass's quartile counts
 *      and kept rows by fit_diag.c (each rank counting its rows of nonzero
 *      weight from the ranks before it: one process's sample for --plot),
 *      and --robust's HC states up the same tree (fit_diag.c).
 * Gradient descent (--method gd) loads each rank's share into memory the
 * same way (steps 1-3b, no state) and runs mg_mpi_gd_fit on the ranks.
 * The merge order is a function of N only, so the result is bitwise the
 * same run to run for a given N.
 *
 * Quotes: a cut at an LF is a row end only while no '"' came before it in
 * the file.  A rank's body parser stops before the first line holding a
 * '"' (its quote_stop).  When a rank stopped so in the first pass (and no
 * bad line came before), every rank drops what it read, and from then on
 * rank 0 reads all the rows in one sequence, as one process does, while
 * the others hold none: correct, not faster (the parallel reader's rule,
 * fit_chunks.c). */
#define _POSIX_C_SOURCE 200809L
#include "fit_mpi.h"

#include "cli.h"
#include "fit_diag.h"
#include "fit_gd.h"

#ifndef MATGRAD_CLI_MPI

void mgcli_mpi_start(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
}

void mgcli_mpi_stop(void)
{
}

int mgcli_mpi_rank(void)
{
    return 0;
}

int mgcli_mpi_split(void)
{
    return 0;
}

int mgcli_mpi_bcast_rc(int rc)
{
    return rc;
}

/* Never called: mgcli_mpi_split() is 0. */
int mgcli_mpi_read_pass(mgcli_engine *e, mgcli_fit_data *d)
{
    (void)e;
    (void)d;
    return MGCLI_EXIT_FAIL;
}

int mgcli_mpi_load(const mgcli_fit_options *o, mgcli_fit_data *d, size_t *total)
{
    (void)o;
    (void)d;
    *total = 0;
    return MGCLI_EXIT_FAIL;
}

int mgcli_mpi_gd(const mgcli_fit_options *o, mgcli_fit_data *d, size_t total, mgcli_fit_result *r)
{
    (void)o;
    (void)d;
    (void)total;
    (void)r;
    return MGCLI_EXIT_FAIL;
}

#else

#include "mpi_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <mpi.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct {
    int on;                 /* MPI_Init was called */
    MPI_Comm comm;          /* the command's duplicate of MPI_COMM_WORLD */
    int rank, size;
    int out, err, null;     /* ranks > 0: the real stdout, stderr; /dev/null */
    int whole;              /* the file has quotes: rank 0 reads it all */
    size_t nonzero_before;  /* rows of nonzero weight on the ranks before this one */
    size_t held;            /* a file with factors: this rank's held rows (d->n: all ranks') */
} g = { 0, MPI_COMM_NULL, 0, 1, -1, -1, -1, 0, 0, 0 };

/* Bytes read at a time. */
enum { CAP = 1 << 16, PIECE = 1 << 18 };

static int launched(void)
{
    static const char *const vars[] = { "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE",
                                        "PMI_RANK" };
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return 1;
    }
    return 0;
}

/* Ranks above 0: the report and every message common to all ranks come
 * from rank 0 only. */
static void mute(void)
{
    fflush(stdout);
    fflush(stderr);
    g.out = dup(STDOUT_FILENO);
    g.err = dup(STDERR_FILENO);
    g.null = open("/dev/null", O_WRONLY);
    if (g.out < 0 || g.err < 0 || g.null < 0 || dup2(g.null, STDOUT_FILENO) < 0 ||
        dup2(g.null, STDERR_FILENO) < 0) {
        /* duplicated messages are better than none */
        if (g.out >= 0)
            dup2(g.out, STDOUT_FILENO);
        if (g.err >= 0)
            dup2(g.err, STDERR_FILENO);
        g.err = -1;
    }
}

/* A rank's own message (a bad line in its share) on the real stderr. */
static void speak(int on)
{
    if (g.err < 0)
        return;
    fflush(stderr);
    dup2(on ? g.err : g.null, STDERR_FILENO);
}

void mgcli_mpi_start(int *argc, char ***argv)
{
    if (!launched())
        return;
    /* failures here abort the job (MPI_ERRORS_ARE_FATAL) */
    MPI_Init(argc, argv);
    g.on = 1;
    MPI_Comm_dup(MPI_COMM_WORLD, &g.comm);
    MPI_Comm_rank(g.comm, &g.rank);
    MPI_Comm_size(g.comm, &g.size);
    if (g.size > 1 && g.rank > 0)
        mute();
}

void mgcli_mpi_stop(void)
{
    if (!g.on)
        return;
    fflush(stdout);
    fflush(stderr);
    if (g.err >= 0) {
        dup2(g.out, STDOUT_FILENO);
        dup2(g.err, STDERR_FILENO);
    }
    MPI_Comm_free(&g.comm);
    MPI_Finalize();
    g.on = 0;
}

int mgcli_mpi_rank(void)
{
    return g.rank;
}

int mgcli_mpi_split(void)
{
    return g.on && g.size > 1;
}

int mgcli_mpi_bcast_rc(int rc)
{
    if (!mgcli_mpi_split())
        return rc;
    MPI_Bcast(&rc, 1, MPI_INT, 0, g.comm);
    return rc;
}

/* Ranks above 0 drop the rows that the header read consumed. */
static int drop_block(void *ctx, mgcli_fit_data *d, mgcli_csv_error *err)
{
    (void)ctx;
    (void)d;
    (void)err;
    return 0;
}

/* What a rank's reading gave. */
typedef struct share {
    int bad;                /* err holds the first bad line (or failure) */
    int absolute;           /* err's line is the file's (the header's), not the share's */
    int quoted;             /* the share stopped before a line with a '"' */
    int ended;              /* the header read took the whole file */
    int memory;             /* gradient descent's load: rows kept in d, no state */
    size_t lines;           /* line ends read in the share */
    size_t line0;           /* the file's line at the start of the data rows */
    mgcli_csv_error err;
} share;

static void refuse(share *sh, const char *msg)
{
    sh->bad = 1;
    sh->absolute = 1;
    mgcli_csv_fail(&sh->err, 0, "%s", msg);
}

/* Step 1: the header, up to the line that decides the column kinds, into
 * head; *offset: the bytes it took (a line start). */
static void read_header(FILE *f, mgcli_csv *head, off_t *offset, share *sh)
{
    char *buf = malloc(CAP);
    if (!buf) {
        sh->bad = sh->absolute = 1;
        mgcli_csv_fail_nomem(&sh->err, "the read buffer");
        return;
    }
    size_t n;
    int failed = 0;
    while (!failed && !mgcli_csv_decided(head) && (n = fread(buf, 1, CAP, f)) > 0) {
        size_t used = mgcli_csv_feed_header(head, buf, n);
        *offset += (off_t)used;
        if (mgcli_csv_in_body(head))
            break;
        failed = mgcli_csv_feed(head, buf + used, n - used) != 0;
    }
    free(buf);
    if (!failed && ferror(f)) {
        sh->bad = sh->absolute = 1;
        mgcli_csv_fail(&sh->err, 0, "read error: %s", strerror(errno));
    } else if (!failed && !mgcli_csv_decided(head)) {
        /* the end of the file, no row deciding a kind: an error (no rows),
         * or rows that each miss a value, all read here (rank 0's) */
        failed = mgcli_csv_finish(head) != 0;
        sh->ended = 1;
    } else if (!failed && !mgcli_csv_in_body(head)) {
        refuse(sh, "the header line ends with a lone CR: the rows cannot be split among MPI "
                   "ranks; run it with one process");
    }
    if (failed) {
        sh->bad = sh->absolute = 1;
        sh->err = *mgcli_csv_error_of(head);
    }
}

/* A file with factors: the uses of its levels forgotten with the rows
 * that had them (dropped). */
static void forget_levels(mgcli_fit_data *d)
{
    for (size_t j = 0; d->held && d->lev && j < d->ncols; j++)
        if (d->lev[j])
            mgcli_levels_unuse(d->lev[j]);
}

/* offset + r L / N without overflow (L = size - offset). */
static off_t share_point(off_t offset, off_t size, int r)
{
    const uint64_t len = (uint64_t)(size - offset), n = (uint64_t)g.size, rr = (uint64_t)r;
    return offset + (off_t)(len / n * rr + len % n * rr / n);
}

/* Step 2: bytes [a, b) of fd through a body parser into d (and so e). */
static void parse_share(mgcli_engine *e, mgcli_fit_data *d, const mgcli_csv *head, int fd,
                        off_t a, off_t b, share *sh)
{
    mgcli_csv_sink sink = mgcli_fit_data_sink(d);
    mgcli_csv *p = mgcli_csv_new_body(head, &sink, !g.whole);
    char *buf = malloc(PIECE);
    if (!p || !buf) {
        mgcli_csv_free(p);
        free(buf);
        sh->bad = 1;
        mgcli_csv_fail_nomem(&sh->err, "the CSV parser");
        return;
    }
    int failed = 0;
    for (off_t pos = a; !failed && pos < b && !mgcli_csv_quoted(p);) {
        const size_t want = b - pos < PIECE ? (size_t)(b - pos) : (size_t)PIECE;
        ssize_t got;
        do
            got = pread(fd, buf, want, pos);
        while (got < 0 && errno == EINTR);
        if (got < 0) {
            sh->bad = 1;
            mgcli_csv_fail(&sh->err, 0, "read error: %s", strerror(errno));
            break;
        }
        if (got == 0)
            break;   /* the file shrank: the row count tells */
        failed = mgcli_csv_feed(p, buf, (size_t)got) != 0;
        pos += got;
    }
    if (!sh->bad && !failed)
        failed = mgcli_csv_finish(p) != 0;
    sh->quoted = mgcli_csv_quoted(p);
    sh->lines = mgcli_csv_line(p) - 1;
    if (!sh->bad && failed) {
        sh->bad = 1;
        sh->err = *mgcli_csv_error_of(p);
    } else if (!sh->bad && !sh->quoted && mgcli_engine_block(e, d, &sh->err) != 0) {
        sh->bad = 1;   /* the last, partial block */
    }
    mgcli_csv_free(p);
    free(buf);
}

/* Steps 1 and 2 on this rank (no message: step 3 decides who speaks). */
static void read_share(mgcli_engine *e, mgcli_fit_data *d, share *sh)
{
    if (g.whole && g.rank > 0)
        return;   /* rank 0 reads every row */
    static const char not_regular[] =
        "not a regular file: MPI ranks split a file by byte ranges, which a pipe or a device "
        "does not have; give a regular file or run one process";
    struct stat st;
    /* a FIFO is refused before it is opened (an open would wait for a writer) */
    if (stat(e->o->file, &st) == 0 && !S_ISREG(st.st_mode)) {
        refuse(sh, not_regular);
        return;
    }
    FILE *f = fopen(e->o->file, "rb");
    if (!f) {
        sh->bad = sh->absolute = 1;
        mgcli_csv_fail(&sh->err, 0, "%s", strerror(errno));
        return;
    }
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        refuse(sh, not_regular);
        return;
    }
    mgcli_csv_sink sink = mgcli_fit_data_sink(d);
    mgcli_csv *head = mgcli_csv_new(&sink);
    off_t offset = 0;
    /* ranks above 0 drop the rows read with the header (rank 0's) */
    const mgcli_block_fn keep = d->on_block;
    if (g.rank > 0)
        d->on_block = drop_block;
    d->nb = 0;
    if (!head) {
        sh->bad = sh->absolute = 1;
        mgcli_csv_fail_nomem(&sh->err, "the CSV parser");
    } else {
        mgcli_csv_set_sep(head, e->o->sep);
        read_header(f, head, &offset, sh);
    }
    d->on_block = keep;
    if (g.rank > 0) {
        d->nb = d->n = d->deleted = 0;
        forget_levels(d);
    }
    /* every rank has a state, rows or none (the tree merges them all); a
     * file with factors has its state once the design is fixed */
    if (!sh->bad && !e->diag && !sh->memory && !d->held &&
        mgcli_engine_state(e, d, &sh->err) != 0)
        sh->bad = sh->absolute = 1;
    if (!sh->bad && !sh->ended) {
        sh->line0 = mgcli_csv_line(head);
        const int fd = fileno(f);
        off_t a = offset, b = st.st_size;
        if (g.whole)
            parse_share(e, d, head, fd, a, b, sh);
        else if (mgcli_line_start(fd, offset, st.st_size, share_point(offset, st.st_size, g.rank),
                             &a, &sh->err) != 0 ||
            (g.rank + 1 < g.size &&
             mgcli_line_start(fd, offset, st.st_size, share_point(offset, st.st_size, g.rank + 1),
                              &b, &sh->err) != 0))
            sh->bad = 1;
        else
            parse_share(e, d, head, fd, a, b, sh);
    }
    mgcli_csv_free(head);
    fclose(f);
    d->nb = 0;
}

/* Step 3's reporter: its message, numbered in the file, on its real
 * stderr; its exit status to every rank. */
static int report(const mgcli_engine *e, const mgcli_fit_data *d, share *sh, int who,
                  uint64_t before)
{
    int rc = MGCLI_EXIT_USAGE;
    if (g.rank == who) {
        if (!sh->bad)
            mgcli_csv_fail(&sh->err, sh->lines + 1,
                           "a quoted field ('\"'): MPI ranks split the rows at line ends, and "
                           "a line end inside quotes cannot be told from a row end; run it "
                           "with one process");
        if (sh->err.line && !sh->absolute)
            sh->err.line += sh->line0 - 1 + (size_t)before;
        speak(1);
        rc = mgcli_engine_pass_failed(e, d, &sh->err);
        speak(0);
    }
    MPI_Bcast(&rc, 1, MPI_INT, who, g.comm);
    return rc;
}

/* Step 4 for the fit states: merged up the tree, rank 0's to every rank
 * (s: this rank's failure so far, agreed before the tree). */
static mg_status combine_states(mgcli_engine *e, const mgcli_fit_data *d, mg_status s)
{
    mgcli_engine spare = { .o = e->o };
    mgcli_csv_error err;
    mg__mpi_fit t;
    memset(&t, 0, sizeof t);
    if (s == MG_OK && mgcli_engine_state(&spare, d, &err) != 0)
        s = spare.status != MG_OK ? spare.status : MG_ENOMEM;
    if (s == MG_OK)
        s = mg__mpi_attach(&t, g.comm, e->fit, spare.fit, d->p + (e->o->intercept ? 1 : 0), 1);
    /* the tree needs every rank's buffer: agree first */
    int64_t worst = (int64_t)s;
    if (MPI_Allreduce(MPI_IN_PLACE, &worst, 1, MPI_INT64_T, MPI_MAX, g.comm) != MPI_SUCCESS)
        worst = MG_EIO;
    s = (mg_status)worst;
    if (s == MG_OK)
        s = mg__mpi_reduce(&t, MG_OK, e->refining);
    if (worst == MG_OK)
        s = mg__mpi_share_state(&t, s);
    mg__mpi_detach(&t);
    mgcli_engine_free(&spare);
    /* the first pass's column ranges (for the engine's messages): exact */
    if (s == MG_OK && !e->refining && d->p > 0 &&
        (MPI_Allreduce(MPI_IN_PLACE, e->lo, (int)d->p, MPI_DOUBLE, MPI_MIN, g.comm) != MPI_SUCCESS ||
         MPI_Allreduce(MPI_IN_PLACE, e->hi, (int)d->p, MPI_DOUBLE, MPI_MAX, g.comm) != MPI_SUCCESS ||
         MPI_Allreduce(MPI_IN_PLACE, e->amax, (int)d->p + 1, MPI_DOUBLE, MPI_MAX, g.comm) !=
             MPI_SUCCESS))
        s = MG_EIO;
    return s;
}

/* Files with factors (d->held).  In the first pass each rank holds its
 * kept rows, a factor's cells as indices into its own levels (numbered in
 * order of first appearance in its share).  Once every rank has read its
 * share without a bad line, the levels are agreed: every rank sends every
 * rank (MPI_Allgatherv) its message,
 *   for each CSV column a byte (1: the column has levels on this rank),
 *   then the level count and, per level in its index order, a byte (1: a
 *   kept row has it), the name's length and its bytes,
 * counts and lengths as uint64_t in the host's byte order (the ranks of
 * one job share it, as for the doubles they send).  Every rank adds the
 * messages' levels to empty ones in rank order, a level used when a kept
 * row of any rank has it: the indices are then the file's order of first
 * appearance and the uses those of the rows kept, as one process numbers
 * and counts them (the rows a rank above 0 reads with the header are rank
 * 0's and already in its message).  mgcli_fit_data_design_all orders the
 * levels by one process's rule and fixes the design, the same on every
 * rank; the held rows' codes are mapped to the agreed indices. */

/* Bytes of this rank's message; SIZE_MAX when it cannot be counted. */
static size_t packed_size(const mgcli_fit_data *d)
{
    size_t size = d->ncols;
    for (size_t j = 0; j < d->ncols; j++) {
        if (!d->lev[j])
            continue;
        size_t n = mgcli_levels_count(d->lev[j]);
        for (size_t i = 0; i <= n; i++) {
            size_t more = i < n ? 9 + strlen(mgcli_levels_at(d->lev[j], i)) : 8;
            if (more > SIZE_MAX - size)
                return SIZE_MAX;
            size += more;
        }
    }
    return size;
}

static void put(unsigned char **p, const void *v, size_t n)
{
    memcpy(*p, v, n);
    *p += n;
}

static void pack(const mgcli_fit_data *d, unsigned char *p)
{
    for (size_t j = 0; j < d->ncols; j++) {
        *p++ = d->lev[j] != NULL;
        if (!d->lev[j])
            continue;
        const uint64_t n = mgcli_levels_count(d->lev[j]);
        put(&p, &n, sizeof n);
        for (size_t i = 0; i < n; i++) {
            const char *name = mgcli_levels_at(d->lev[j], i);
            const uint64_t len = strlen(name);
            *p++ = (unsigned char)mgcli_levels_used(d->lev[j], i);
            put(&p, &len, sizeof len);
            put(&p, name, (size_t)len);
        }
    }
}

typedef struct reader {
    const unsigned char *p, *end;
} reader;

static int get(reader *r, void *v, size_t n)
{
    if ((size_t)(r->end - r->p) < n)
        return -1;
    memcpy(v, r->p, n);
    r->p += n;
    return 0;
}

/* One rank's message into the agreed levels lev[ncols] (made where
 * missing).  0; -1 out of memory; -2 a malformed message. */
static int merge_message(mgcli_levels **lev, size_t ncols, reader *r)
{
    for (size_t j = 0; j < ncols; j++) {
        unsigned char has, used;
        uint64_t n, len;
        if (get(r, &has, 1) != 0)
            return -2;
        if (!has)
            continue;
        if (!lev[j] && !(lev[j] = mgcli_levels_new()))
            return -1;
        if (get(r, &n, sizeof n) != 0)
            return -2;
        for (uint64_t i = 0; i < n; i++) {
            size_t idx;
            if (get(r, &used, 1) != 0 || get(r, &len, sizeof len) != 0 ||
                (uint64_t)(r->end - r->p) < len)
                return -2;
            if (mgcli_levels_add(lev[j], (const char *)r->p, (size_t)len, &idx) != 0)
                return -1;
            r->p += len;
            if (used)
                mgcli_levels_use(lev[j], idx);
        }
    }
    return 0;
}

/* This rank's levels replaced by the agreed ones, its held rows' codes
 * mapped from its indices to theirs (each of its names is among them). */
static int adopt(mgcli_fit_data *d, mgcli_levels **lev)
{
    for (size_t j = 0; j < d->ncols; j++) {
        if (!lev[j])
            continue;
        if (d->lev[j]) {
            const size_t n = mgcli_levels_count(d->lev[j]);
            size_t *map = malloc((n ? n : 1) * sizeof *map);
            if (!map)
                return -1;
            for (size_t i = 0; i < n; i++) {
                const char *name = mgcli_levels_at(d->lev[j], i);
                if (mgcli_levels_add(lev[j], name, strlen(name), &map[i]) != 0) {
                    free(map);
                    return -1;
                }
            }
            for (size_t r = 0; r < d->n; r++) {
                double *code = d->H + r * d->ncols + j;
                *code = (double)map[(size_t)*code];
            }
            free(map);
            mgcli_levels_free(d->lev[j]);
        }
        d->lev[j] = lev[j];
        lev[j] = NULL;
    }
    return 0;
}

/* Every rank's messages (all: counts[r] bytes from displs[r]) into this
 * rank's levels and rows. */
static void merge_levels(mgcli_fit_data *d, const unsigned char *all, const int *counts,
                         const int *displs, share *sh)
{
    mgcli_levels **lev = calloc(d->ncols, sizeof *lev);
    int rc = lev ? 0 : -1;
    for (int r = 0; rc == 0 && r < g.size; r++) {
        reader rd = { all + displs[r], all + displs[r] + counts[r] };
        rc = merge_message(lev, d->ncols, &rd);
        if (rc == 0 && rd.p != rd.end)
            rc = -2;
    }
    if (rc == 0)
        rc = adopt(d, lev);
    for (size_t j = 0; lev && j < d->ncols; j++)
        mgcli_levels_free(lev[j]);
    free(lev);
    if (rc != 0) {
        sh->bad = 1;
        if (rc == -1)
            mgcli_csv_fail_nomem(&sh->err, "the factor levels");
        else
            mgcli_csv_fail(&sh->err, 0, "internal error: a malformed factor level message");
    }
}

/* The first rank with sh->bad set reports (its message, its status to
 * every rank): 1 and *rc then, 0 when no rank failed. */
static int first_bad(const mgcli_engine *e, const mgcli_fit_data *d, share *sh, int *rc)
{
    int first = sh->bad ? g.rank : g.size;
    if (MPI_Allreduce(MPI_IN_PLACE, &first, 1, MPI_INT, MPI_MIN, g.comm) != MPI_SUCCESS) {
        *rc = mgcli_engine_failed(e, d, MG_EIO);
        return 1;
    }
    if (first == g.size)
        return 0;
    sh->absolute = 1;   /* no line of a share */
    *rc = report(e, d, sh, first, 0);
    return 1;
}

/* The messages of every rank into *all (counts, displs: g.size each, by
 * the caller); every failure agreed.  MGCLI_EXIT_OK or the exit status. */
static int gather_levels(const mgcli_engine *e, const mgcli_fit_data *d, share *sh,
                         unsigned char **all, int *counts, int *displs)
{
    int rc;
    const size_t size = packed_size(d);   /* at least ncols >= 1 */
    unsigned char *mine = size <= INT_MAX ? malloc(size) : NULL;
    if (mine)
        pack(d, mine);
    else if (size <= INT_MAX)
        sh->bad = mgcli_csv_fail_nomem(&sh->err, "the factor levels") != 0;
    else
        sh->bad = mgcli_csv_fail(&sh->err, 0, "too many factor levels to send between MPI "
                                 "ranks (more than %d bytes); run it with one process",
                                 INT_MAX) != 0;
    if (first_bad(e, d, sh, &rc)) {
        free(mine);
        return rc;
    }
    int mysize = (int)size;
    int64_t total = 0;
    if (MPI_Allgather(&mysize, 1, MPI_INT, counts, 1, MPI_INT, g.comm) != MPI_SUCCESS) {
        free(mine);
        return mgcli_engine_failed(e, d, MG_EIO);
    }
    for (int r = 0; r < g.size; r++) {
        displs[r] = total <= INT_MAX ? (int)total : 0;
        total += counts[r];
    }
    /* the same total on every rank: rank 0 reports it */
    if (total > INT_MAX)
        sh->bad = mgcli_csv_fail(&sh->err, 0, "too many factor levels to send between MPI "
                                 "ranks (more than %d bytes); run it with one process",
                                 INT_MAX) != 0;
    else if (!(*all = malloc((size_t)total)))
        sh->bad = mgcli_csv_fail_nomem(&sh->err, "the factor levels of every rank") != 0;
    if (first_bad(e, d, sh, &rc)) {
        free(mine);
        return rc;
    }
    rc = MPI_Allgatherv(mine, mysize, MPI_BYTE, *all, counts, displs, MPI_BYTE, g.comm) ==
                 MPI_SUCCESS
             ? MGCLI_EXIT_OK
             : mgcli_engine_failed(e, d, MG_EIO);
    free(mine);
    return rc;
}

/* The first pass of a file with factors, every share read without a bad
 * line and some row kept: the levels agreed, the design fixed (its width
 * the same on every rank), and (memory: gradient descent's load, which
 * needs no state) the state made and this rank's held rows folded in. */
static int fix_design(mgcli_engine *e, mgcli_fit_data *d, share *sh, int memory)
{
    int *counts = malloc((size_t)g.size * sizeof *counts);
    int *displs = malloc((size_t)g.size * sizeof *displs);
    unsigned char *all = NULL;
    int rc;
    sh->bad = 0;
    if (!counts || !displs)
        sh->bad = mgcli_csv_fail_nomem(&sh->err, "the factor levels") != 0;
    if (!first_bad(e, d, sh, &rc))
        rc = gather_levels(e, d, sh, &all, counts, displs);
    if (rc == MGCLI_EXIT_OK) {
        merge_levels(d, all, counts, displs, sh);
        if (!sh->bad && mgcli_fit_data_design_all(d, &sh->err) != 0)
            sh->bad = 1;
        if (!sh->bad && !memory &&
            (mgcli_engine_state(e, d, &sh->err) != 0 ||
             mgcli_fit_data_held_blocks(d, &sh->err) != 0))
            sh->bad = 1;
        first_bad(e, d, sh, &rc);
    }
    free(counts);
    free(displs);
    free(all);
    return rc;
}

/* A replay (refinement, diagnostics) of a file with factors: this rank's
 * held rows, from memory. */
static void replay_held(mgcli_fit_data *d, share *sh)
{
    d->n = g.held;
    if (mgcli_fit_data_held_blocks(d, &sh->err) != 0)
        sh->bad = sh->absolute = 1;
}

/* One pass (memory: gradient descent's load, *total its rows). */
static int pass(mgcli_engine *e, mgcli_fit_data *d, int memory, size_t *total)
{
    share sh;
    memset(&sh, 0, sizeof sh);
    sh.memory = memory;
    /* a file with factors whose design is fixed: its rows replay from memory */
    const int replay = d->held && d->nlev;
    /* the diagnostics pass counts the rows of nonzero weight from the
     * file's start: its sample for the plots is one process's */
    if (e->diag && !e->diag->resid_only)
        e->diag->seen = g.nonzero_before;
    if (replay)
        replay_held(d, &sh);
    else
        read_share(e, d, &sh);
    /* step 3: the first bad rank and the first quoted one; the line ends
     * before this rank; the row counts */
    int first[2] = { sh.bad ? g.rank : g.size, sh.quoted ? g.rank : g.size };
    uint64_t lines = sh.lines, before = 0, rows[2] = { d->n, replay ? 0 : d->deleted };
    if (MPI_Allreduce(MPI_IN_PLACE, first, 2, MPI_INT, MPI_MIN, g.comm) != MPI_SUCCESS ||
        MPI_Exscan(&lines, &before, 1, MPI_UINT64_T, MPI_SUM, g.comm) != MPI_SUCCESS ||
        MPI_Allreduce(MPI_IN_PLACE, rows, 2, MPI_UINT64_T, MPI_SUM, g.comm) != MPI_SUCCESS)
        return mgcli_engine_failed(e, d, MG_EIO);
    if (g.rank == 0)
        before = 0;   /* MPI_Exscan leaves rank 0's undefined */
    /* a bad line counts when no quote came before it in the file */
    if (first[0] < g.size && first[0] <= first[1])
        return report(e, d, &sh, first[0], before);
    if (first[1] < g.size && !g.whole && !e->refining && !e->diag) {
        /* quotes, in the first pass: from now on rank 0 reads the file in
         * one sequence, as one process does, and the others have no rows */
        g.whole = 1;
        if (!memory && e->fit) {
            mg_status s = mg_fit_reset(e->fit);
            if (s != MG_OK)
                return mgcli_engine_failed(e, d, s);   /* the same on every rank */
            mgcli_engine_ranges_clear(e, d->p);
        }
        d->n = d->deleted = d->nb = 0;
        forget_levels(d);
        d->replay = 1;   /* the header read again: checked, nothing allocated again */
        return pass(e, d, memory, total);
    }
    if (first[1] < g.size)
        return report(e, d, &sh, first[1], before);   /* the file changed */
    if (!replay)
        d->deleted = (size_t)rows[1];
    if (d->held && !replay) {
        /* the first pass of a file with factors: the levels agreed, the
         * design fixed, the held rows into the state (no rows kept at
         * all: one process's message, no design) */
        int rc = rows[0] ? fix_design(e, d, &sh, memory) : MGCLI_EXIT_OK;
        if (rc != MGCLI_EXIT_OK || (rows[0] == 0 && !memory)) {
            d->n = 0;
            return rc;
        }
    }
    if (memory) {
        *total = (size_t)rows[0];   /* d->n stays this rank's */
        return MGCLI_EXIT_OK;
    }
    if (d->held)
        g.held = d->n;
    d->n = (size_t)rows[0];
    /* step 4 */
    if (e->diag) {
        if (mgcli_diag_allreduce(e->diag, g.comm) != 0)
            return mgcli_engine_failed(e, d, e->diag->status);
        return MGCLI_EXIT_OK;
    }
    /* the first pass: this rank's rows of nonzero weight, for the
     * diagnostics pass's positions */
    mg_status s = MG_OK;
    if (!e->refining) {
        size_t nonzero = 0;
        s = mg_fit_rows(e->fit, NULL, &nonzero);   /* a failure: agreed in combine_states */
        uint64_t mine = nonzero, before_nz = 0;
        if (MPI_Exscan(&mine, &before_nz, 1, MPI_UINT64_T, MPI_SUM, g.comm) != MPI_SUCCESS)
            return mgcli_engine_failed(e, d, MG_EIO);
        g.nonzero_before = g.rank == 0 ? 0 : (size_t)before_nz;
    }
    s = combine_states(e, d, s);
    return s == MG_OK ? MGCLI_EXIT_OK : mgcli_engine_failed(e, d, s);
}

int mgcli_mpi_read_pass(mgcli_engine *e, mgcli_fit_data *d)
{
    return pass(e, d, 0, NULL);
}

int mgcli_mpi_load(const mgcli_fit_options *o, mgcli_fit_data *d, size_t *total)
{
    mgcli_engine e = { .o = o };
    *total = 0;
    return pass(&e, d, 1, total);
}

/* A packet of n - 1 doubles summed over the ranks up the tree (bitwise the
 * same run to run for a given N): v[0 .. n - 1) in and out. */
static mg_status tree_sum(double *v, size_t n)
{
    mg__mpi_fit t;
    mg_status s = mg__mpi_open(&t, g.comm, MG_OK, 0, 0, NULL, n + 1, NULL, 0);
    if (s == MG_OK) {
        memcpy(t.pkt + 1, v, n * sizeof *v);
        s = mg__mpi_sum(&t);
    }
    if (s == MG_OK)
        memcpy(v, t.pkt + 1, n * sizeof *v);
    mg__mpi_close(&t);
    return s;
}

typedef struct gd_ranks {
    const mg_matrix *X, *Y;   /* NULL when this rank has no rows */
    mg_matrix *W;
} gd_ranks;

static mg_status gd_ranks_step(void *ctx, const mg_gd_options *opt, size_t *epochs_run)
{
    gd_ranks *gr = ctx;
    return mg_mpi_gd_fit(g.comm, gr->X, gr->Y, gr->W, opt, epochs_run);
}

int mgcli_mpi_gd(const mgcli_fit_options *o, mgcli_fit_data *d, size_t total, mgcli_fit_result *r)
{
    if (d->p == 0) {
        fprintf(stderr, "matgrad: %s: no predictor columns besides '%s'\n", o->file, o->target);
        return MGCLI_EXIT_USAGE;   /* the same on every rank: the header's */
    }
    const size_t q = d->p + (o->intercept ? 1 : 0);
    int ok = mgcli_fit_result_alloc(r, q) == 0 && o->epochs < SIZE_MAX / sizeof(double) - 1 &&
             (r->losses = malloc((o->epochs + 1) * sizeof *r->losses)) != NULL;
    if (MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, g.comm) != MPI_SUCCESS || !ok)
        return mgcli_out_of_memory("the coefficients and the loss curve of gradient descent");
    mg_matrix X = mg_matrix_view(d->X, d->n, d->stride), Y = mg_matrix_view(d->y, d->n, 1);
    mg_matrix W = mg_matrix_view(r->beta, q, 1);   /* starts at zero */
    gd_ranks gr = { d->n ? &X : NULL, d->n ? &Y : NULL, &W };
    mg_status s;
    /* every rank takes the same steps and sees the same losses (mpi.h) */
    int rc = mgcli_gd_run(o, gd_ranks_step, &gr, r, &s);
    if (rc != MGCLI_EXIT_OK)
        return rc;
    /* RSS and the sum of y, then TSS about the mean (R's convention) */
    double sums[2] = { mgcli_gd_rss(d->X, d->stride, d->n, q, d->y, r->beta), 0.0 };
    for (size_t i = 0; i < d->n; i++)
        sums[1] += d->y[i];
    s = tree_sum(sums, 2);
    const double mean = o->intercept ? sums[1] / (double)total : 0.0;
    double tss = 0.0;
    for (size_t i = 0; i < d->n; i++)
        tss += (d->y[i] - mean) * (d->y[i] - mean);
    if (s == MG_OK)
        s = tree_sum(&tss, 1);
    if (s != MG_OK)
        return s == MG_ENOMEM ? mgcli_out_of_memory("the sums of squares") : MGCLI_EXIT_FAIL;
    mgcli_gd_stats(r, total, sums[0], tss);
    r->method = "gradient descent";
    /* the loss it should reach: the least-squares solution's (mg_mpi_lstsq
     * refines to the exact one), by the same loss function; NaN when it
     * cannot be had, as for one process */
    double *b = malloc(q * sizeof *b), *grad = malloc(q * sizeof *grad), loss = NAN;
    ok = b && grad;
    if (MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, g.comm) == MPI_SUCCESS && ok) {
        mg_matrix B = mg_matrix_view(b, q, 1), G = mg_matrix_view(grad, q, 1);
        if (mg_mpi_lstsq(g.comm, gr.X, gr.Y, NULL, NULL, &B, NULL) != MG_OK ||
            mg_mpi_mse_grad(g.comm, gr.X, &B, gr.Y, &G, &loss) != MG_OK)
            loss = NAN;
    }
    free(b);
    free(grad);
    r->gd_optimum = loss;
    r->nonzero = total;
    d->n = total;   /* the report's row count; the rows are not used again */
    return MGCLI_EXIT_OK;
}

#endif
