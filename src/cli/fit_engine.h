/* SPDX-License-Identifier: BSD-3-Clause */
/* The streaming fit's state (fit_engine.c) and its parallel reader of
 * regular files (fit_chunks.c). */
#ifndef MATGRAD_CLI_FIT_ENGINE_H
#define MATGRAD_CLI_FIT_ENGINE_H

#include "csv_load.h"
#include "fit_data.h"

#include <matgrad.h>
#include <sys/types.h>

/* One fold of rows into a fit state: the command's, or a reader thread's
 * for one byte range of the file. */
typedef struct mgcli_engine {
    const mgcli_fit_options *o;
    mg_fit *fit;
    int refining;
    const mg_matrix *B;  /* refining: the estimate every replay state begins with */
    mg_status status;    /* the engine's failure while streaming, or MG_OK */
    double *lo, *hi;     /* each predictor's range over rows of nonzero weight
                            (pass 1): names a constant column when the normal
                            equations fail */
    double *amax;        /* max |sqrt(w) x| of each predictor, then of the
                            intercept column sqrt(w) (pass 1): names a column
                            out of the engine's range */
    struct mgcli_diag_acc *diag;   /* the diagnostics pass: rows go there */
} mgcli_engine;

/* The fit state for d's columns (and the column ranges), if not made yet. */
int mgcli_engine_state(mgcli_engine *e, const mgcli_fit_data *d, mgcli_csv_error *err);
/* Column ranges allocated and emptied (p predictors). */
int mgcli_engine_ranges(mgcli_engine *e, size_t p, mgcli_csv_error *err);
void mgcli_engine_ranges_clear(mgcli_engine *e, size_t p);
/* dst's ranges widened by src's (exact: min and max). */
void mgcli_engine_ranges_merge(mgcli_engine *dst, const mgcli_engine *src, size_t p);
/* mgcli_block_fn: d's waiting rows into e's state (or its refinement). */
int mgcli_engine_block(void *ctx, mgcli_fit_data *d, mgcli_csv_error *err);
void mgcli_engine_free(mgcli_engine *e);

/* The byte range size a parallel reader thread takes at a time:
 * MATGRAD_CHUNK_BYTES from the environment (a test hook, 64 bytes to
 * 1 GiB), else 2 MiB.  Files whose data rows span fewer than two ranges
 * are read in one sequence. */
size_t mgcli_chunk_bytes(void);

/* Reads the data rows of a regular file, bytes [start, size) of fd, into
 * e (pass 1: e->fit made or merged into; replay: e->fit refining, merged
 * into with mg_fit_refine_merge) and d->n, after head read the header:
 * cut into ranges of mgcli_chunk_bytes() moved to the next line start,
 * each parsed on an OpenMP thread into a state of its own, the states
 * merged in file order (the result does not depend on the thread count).
 * From the first range that holds a '"', the rest of the file is read in
 * one sequence.  0 on success; -1 with *err (the first bad line in file
 * order) and possibly e->status set. */
int mgcli_read_chunks(mgcli_engine *e, mgcli_fit_data *d, const mgcli_csv *head, int fd,
                      off_t start, off_t size, mgcli_csv_error *err);

/* The first line start at or after pos in bytes [start, size) of fd: start
 * itself when pos <= start, size when no LF follows (fit_chunks.c's rule
 * for its ranges).  0, or -1 with *err. */
int mgcli_line_start(int fd, off_t start, off_t size, off_t pos, off_t *out, mgcli_csv_error *err);

/* A failed read pass: the engine's message (e->status) or the loader's
 * (err), on stderr; returns the exit status. */
int mgcli_engine_pass_failed(const mgcli_engine *e, const mgcli_fit_data *d,
                             const mgcli_csv_error *err);
/* The message and exit status for the engine's failure s. */
int mgcli_engine_failed(const mgcli_engine *e, const mgcli_fit_data *d, mg_status s);

#endif
