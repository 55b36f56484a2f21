/* SPDX-License-Identifier: BSD-3-Clause */
/* `matgrad fit --method auto|qr|normal`: a front end of the library's fit
 * engine (include/matgrad/fit.h), in memory independent of the number of
 * rows.
 *
 * The CSV streams through the loader in blocks of BLOCK_ROWS rows, each
 * folded into one engine state and then forgotten:
 *   qr      an MG_FIT_QR state (Householder updates of the triangular
 *           factor of W^(1/2) [1 X y]): one pass;
 *   normal  an MG_FIT_GRAM state (centred moment sums, normal equations,
 *           --ridge): one pass;
 *   auto    the QR state, then, when the input is a regular file that can
 *           be read again, refinement passes: each replays every row into
 *           mg_fit_refine_accumulate (residuals in double-double) and
 *           corrects B, until mg_fit_refine_end reports convergence (the
 *           exact least-squares answer of the file's doubles, rounded) or
 *           MAX_REFINE passes.  Standard input cannot be read twice: there
 *           the one-pass QR answer stands, and the report says so.
 * A file with factor columns is held in memory (fit_data.h) and its rows
 * go to the same engine calls from there, block by block, for every pass.
 * A regular file large enough is read by the parallel reader instead
 * (fit_chunks.c): byte ranges parsed on OpenMP threads into states of
 * their own, merged in file order, for the first pass and the replays
 * alike; the result does not depend on the number of threads.
 * Every statistic of the report comes from the library: mg_fit_finish,
 * mg_fit_infer, and a last diagnostics pass over the rows (fit_diag.c:
 * residual quantiles, plots, --robust) when the input can be read again. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "escape.h"
#include "fit_data.h"
#include "fit_diag.h"
#include "fit_engine.h"
#include "fit_mpi.h"

#include <errno.h>
#include <matgrad.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* 1024 rows of p doubles: large enough that the per-call cost of the
 * engine is amortised, small next to any file worth streaming. */
enum { BLOCK_ROWS = 1024 };

/* Refinement passes at most.  From QR's one-pass answer (relative error
 * about kappa eps) each pass shrinks the error by about kappa^2 eps
 * (fit.h), so one or two passes converge wherever refinement can; the cap
 * only bounds the time spent on a slowly contracting design. */
enum { MAX_REFINE = 4 };

typedef mgcli_engine engine;

int mgcli_engine_ranges(engine *e, size_t p, mgcli_csv_error *err)
{
    if (!e->lo) {
        e->lo = malloc((p ? p : 1) * sizeof *e->lo);
        e->hi = malloc((p ? p : 1) * sizeof *e->hi);
        e->amax = malloc((p + 1) * sizeof *e->amax);
        if (!e->lo || !e->hi || !e->amax)
            return mgcli_csv_fail_nomem(err, "the column ranges");
    }
    mgcli_engine_ranges_clear(e, p);
    return 0;
}

void mgcli_engine_ranges_clear(engine *e, size_t p)
{
    for (size_t j = 0; j < p; j++) {
        e->lo[j] = INFINITY;
        e->hi[j] = -INFINITY;
    }
    for (size_t j = 0; j <= p; j++)
        e->amax[j] = 0.0;
}

void mgcli_engine_ranges_merge(engine *dst, const engine *src, size_t p)
{
    for (size_t j = 0; j < p; j++) {
        dst->lo[j] = fmin(dst->lo[j], src->lo[j]);
        dst->hi[j] = fmax(dst->hi[j], src->hi[j]);
    }
    for (size_t j = 0; j <= p; j++)
        dst->amax[j] = fmax(dst->amax[j], src->amax[j]);
}

int mgcli_engine_state(engine *e, const mgcli_fit_data *d, mgcli_csv_error *err)
{
    if (e->fit)
        return 0;
    if (d->p == 0)
        return mgcli_csv_fail(err, 0, "no predictor columns besides '%s'", d->target);
    mg_fit_options fo = mg_fit_defaults();
    fo.kind = e->o->method == MGCLI_NORMAL ? MG_FIT_GRAM : MG_FIT_QR;
    fo.intercept = e->o->intercept;
    fo.ridge = e->o->ridge;
    char what[112];
    snprintf(what, sizeof what, "the fit state for %zu columns", d->p + (e->o->intercept ? 2 : 1));
    mg_status s = mg_fit_create(d->p, 1, &fo, &e->fit);
    if (s == MG_ENOMEM)
        return mgcli_csv_fail_nomem(err, what);
    if (s != MG_OK) {
        e->status = s;
        return mgcli_csv_fail(err, 0, "creating the fit state: %s", mg_strerror(s));
    }
    return e->lo ? 0 : mgcli_engine_ranges(e, d->p, err);
}

void mgcli_engine_free(engine *e)
{
    mg_fit_free(e->fit);
    free(e->lo);
    free(e->hi);
    free(e->amax);
    e->fit = NULL;
    e->lo = e->hi = e->amax = NULL;
}

/* The name of a predictor for a message, safe for a terminal (escape.h). */
static void column_name(char *buf, size_t size, const char *name)
{
    size_t used = 0, len = strlen(name);
    if (mgcli_escape(buf, size - 4, &used, name, len) < len)
        strcpy(buf + used, "...");
}

/* Compare and select rather than fmin/fmax calls: the values are finite
 * (the loader's rule), so no NaN needs their care. */
static void track_ranges(engine *e, const mgcli_fit_data *d)
{
    double *restrict lo = e->lo, *restrict hi = e->hi, *restrict amax = e->amax;
    for (size_t i = 0; i < d->nb; i++) {
        if (d->w && d->w[i] == 0)
            continue;
        const double *x = d->X + i * d->p, sw = d->w ? sqrt(d->w[i]) : 1.0;
        for (size_t j = 0; j < d->p; j++) {
            const double v = x[j], a = sw * fabs(v);
            lo[j] = v < lo[j] ? v : lo[j];
            hi[j] = v > hi[j] ? v : hi[j];
            amax[j] = a > amax[j] ? a : amax[j];
        }
        amax[d->p] = sw > amax[d->p] ? sw : amax[d->p];
    }
}

/* The engine refused a column beyond its range (MG_ERANGE, fit.h's
 * MG_FIT_RANGE): name the predictor, or the weights or the target when no
 * predictor is out of range.  Returns the exit status. */
static int name_out_of_range(const engine *e, const mgcli_fit_data *d, const char *what)
{
    const double big = ldexp(1.0, MG_FIT_RANGE), small = ldexp(1.0, -MG_FIT_RANGE);
    for (size_t j = 0; j <= d->p; j++) {
        double a = e->amax[j];
        if (j == d->p && !e->o->intercept)
            break;
        if (a > big || (a > 0 && a < small)) {
            char name[64];
            column_name(name, sizeof name, j < d->p ? d->names[j] : "(Intercept)");
            fprintf(stderr, "matgrad: %s: column '%s' holds values %s %.3g in magnitude%s; the "
                            "fit handles %s about %s: rescale it\n",
                    what, name, a > big ? "up to" : "of at most", a,
                    d->w ? " (times the square root of the weight)" : "",
                    a > big ? "up to" : "down to", a > big ? "3e144" : "3e-145");
            return MGCLI_EXIT_FAIL;
        }
    }
    fprintf(stderr, "matgrad: %s: the target or the weights are beyond the fit's range "
                    "(magnitudes about 3e-145 .. 3e144): rescale them\n", what);
    return MGCLI_EXIT_FAIL;
}

/* One block of rows into the state (pass 1) or its refinement (replay). */
int mgcli_engine_block(void *ctx, mgcli_fit_data *d, mgcli_csv_error *err)
{
    engine *e = ctx;
    if (d->nb == 0)
        return 0;
    if (e->diag)
        return mgcli_diag_block(e->diag, d, err);
    if (mgcli_engine_state(e, d, err) != 0)
        return -1;
    mg_matrix X = mg_matrix_view(d->X, d->nb, d->p), Y = mg_matrix_view(d->y, d->nb, 1);
    mg_matrix W = mg_matrix_view(d->w, d->nb, 1);
    const mg_matrix *w = d->w ? &W : NULL;
    mg_status s;
    if (e->refining) {
        s = mg_fit_refine_accumulate(e->fit, &X, &Y, w);
    } else {
        track_ranges(e, d);
        s = mg_fit_accumulate(e->fit, &X, &Y, w);
    }
    if (s == MG_OK)
        return 0;
    e->status = s;
    return mgcli_csv_fail(err, 0, "%s", mg_strerror(s));
}

/* The message and exit status for an engine failure. */
static int engine_failed(const engine *e, const mgcli_fit_data *d, mg_status s)
{
    int normal = e->o->method == MGCLI_NORMAL;
    const char *what = normal ? "normal equations" : "least squares";
    if (s == MG_ENOMEM)
        return mgcli_out_of_memory(what);
    if (s == MG_ERANGE)
        return name_out_of_range(e, d, what);
    if (normal && s == MG_ENONFINITE) {
        fputs("matgrad: normal equations: the sums of squares overflow (values beyond about "
              "1e154): rescale the data\n", stderr);
        return MGCLI_EXIT_FAIL;
    }
    if (normal && s == MG_ENOTPD) {
        /* a constant column (with the intercept) or a zero column (without)
         * is the usual cause: name it */
        for (size_t j = 0; e->lo && j < d->p; j++)
            if (e->lo[j] == e->hi[j] && (e->o->intercept || e->lo[j] == 0)) {
                char name[64];
                column_name(name, sizeof name, d->names[j]);
                fprintf(stderr, "matgrad: normal equations: column '%s' is %s; try --method qr\n",
                        name, e->o->intercept ? "constant (collinear with the intercept)"
                                              : "all zeros");
                return MGCLI_EXIT_FAIL;
            }
        fputs("matgrad: normal equations: the design is rank-deficient or too ill-conditioned; "
              "try --method qr\n", stderr);
        return MGCLI_EXIT_FAIL;
    }
    fprintf(stderr, "matgrad: %s: %s\n", what, mg_strerror(s));
    return MGCLI_EXIT_FAIL;
}

/* f through p: the header a line at a time; then a regular file whose data
 * rows span two of the parallel reader's ranges or more goes to it
 * (fit_chunks.c), anything else (standard input, a pipe, a small file) is
 * read on in one sequence. */
static int read_input(engine *e, mgcli_fit_data *d, FILE *f, off_t size, mgcli_csv *p,
                      mgcli_csv_error *err)
{
    enum { CAP = 1 << 16 };
    char *buf = malloc(CAP);
    if (!buf)
        return mgcli_csv_fail_nomem(err, "the read buffer");
    off_t offset = 0;
    size_t n;
    int failed = 0;
    while (!failed && !mgcli_csv_decided(p) && (n = fread(buf, 1, CAP, f)) > 0) {
        size_t used = mgcli_csv_feed_header(p, buf, n);
        offset += (off_t)used;
        /* the parallel reader needs every column's kind known and none
         * text: the rows of a file with factors are held in memory, read
         * in one sequence */
        /* a diagnostics pass with --robust or a plot keeps per-row values
         * and floating sums: one sequence (fit_diag.h) */
        if (mgcli_csv_in_body(p) && !d->held && (!e->diag || mgcli_diag_parallel(e->diag)) &&
            !mgcli_csv_has_text(p) && size >= 0 &&
            size - offset >= 2 * (off_t)mgcli_chunk_bytes()) {
            free(buf);
            /* rows kept before the kinds were decided, as one block */
            if (mgcli_engine_block(e, d, err) != 0)
                return -1;
            d->nb = 0;
            return mgcli_read_chunks(e, d, p, fileno(f), offset, size, err);
        }
        failed = mgcli_csv_feed(p, buf + used, n - used) != 0;
    }
    while (!failed && !ferror(f) && (n = fread(buf, 1, CAP, f)) > 0)
        failed = mgcli_csv_feed(p, buf, n) != 0;
    free(buf);
    if (!failed && ferror(f))
        return mgcli_csv_fail(err, 0, "read error: %s", strerror(errno));
    if (failed || mgcli_csv_finish(p) != 0) {
        *err = *mgcli_csv_error_of(p);
        return -1;
    }
    /* the last, partial block */
    return mgcli_engine_block(e, d, err);
}

/* A failed read: the engine's message, or the loader's. */
static int pass_failed(const engine *e, const mgcli_fit_data *d, const mgcli_csv_error *err)
{
    if (e->status != MG_OK)
        return engine_failed(e, d, e->status);
    return mgcli_fit_load_failed(mgcli_fit_shown(e->o->file), err);
}

int mgcli_engine_pass_failed(const engine *e, const mgcli_fit_data *d, const mgcli_csv_error *err)
{
    return pass_failed(e, d, err);
}

int mgcli_engine_failed(const engine *e, const mgcli_fit_data *d, mg_status s)
{
    return engine_failed(e, d, s);
}

/* The held rows of a file with factors into the state (or its
 * refinement), from memory. */
static int held_pass(engine *e, mgcli_fit_data *d)
{
    mgcli_csv_error err;
    if (mgcli_fit_data_held_blocks(d, &err) != 0)
        return pass_failed(e, d, &err);
    return MGCLI_EXIT_OK;
}

/* One reading of o->file into the state (or its refinement).  *regular:
 * the input is a regular file, which can be read again.  A file with
 * factors is read once: its rows are held, the design is fixed at the
 * end, and every pass replays them from memory. */
static int read_pass(engine *e, mgcli_fit_data *d, int *regular)
{
    if (mgcli_mpi_split()) {
        /* MPI ranks: this rank's byte share (or its held rows, on a replay
         * of a file with factors), then the states combined (fit_mpi.h) */
        if (regular)
            *regular = 1;
        return mgcli_mpi_read_pass(e, d);
    }
    if (d->held && d->replay)
        return held_pass(e, d);
    int rc = MGCLI_EXIT_OK;
    FILE *f = mgcli_fit_open(e->o->file, &rc);
    if (!f)
        return rc;
    struct stat st;
    int reg = f != stdin && fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode);
    if (regular)
        *regular = reg;
    mgcli_csv_sink sink = mgcli_fit_data_sink(d);
    mgcli_csv_error err;
    d->nb = 0;
    mgcli_csv *p = mgcli_csv_new(&sink);
    if (p)
        mgcli_csv_set_sep(p, e->o->sep);
    int bad = p ? read_input(e, d, f, reg ? st.st_size : -1, p, &err)
                : mgcli_csv_fail_nomem(&err, "the CSV parser");
    mgcli_csv_free(p);
    if (f != stdin)
        fclose(f);
    d->nb = 0;
    if (bad)
        return pass_failed(e, d, &err);
    if (d->held &&
        (mgcli_fit_data_design(d, &err) != 0 || mgcli_fit_data_held_blocks(d, &err) != 0))
        return pass_failed(e, d, &err);
    return MGCLI_EXIT_OK;
}

/* Coefficients and statistics from the state into r; *how: the engine's
 * solver (QR, SVD for a rank-deficient QR state, Cholesky for GRAM). */
static mg_status finish(engine *e, mgcli_fit_result *r, mg_lstsq_method *how)
{
    mg_matrix B = mg_matrix_view(r->beta, r->q, 1), SE = mg_matrix_view(r->se, r->q, 1);
    mg_lstsq_result res = { 0 };
    res.std_err = &SE;
    res.residual_sd = &r->residual_sd;
    res.r_squared = &r->r_squared;
    res.adj_r_squared = &r->adj_r_squared;
    mg_status s = mg_fit_finish(e->fit, &B, &res);
    if (s != MG_OK)
        return s;
    r->rank = res.rank;
    r->have_rank = 1;
    r->rcond = res.rcond;
    r->df = res.df_residual;
    r->least_squares = e->o->ridge == 0;
    *how = res.method;
    return MG_OK;
}

/* What ran, for the report's Method line. */
static void describe(mgcli_fit_result *r, const mgcli_fit_options *o, mg_lstsq_method how,
                     size_t passes)
{
    const char *base = how == MG_LSTSQ_SVD ? "streamed Householder QR, minimum norm (SVD of R)"
                       : how == MG_LSTSQ_QR ? "streamed Householder QR"
                       : o->ridge > 0       ? "streamed normal equations with ridge (Cholesky)"
                                            : "streamed normal equations (Cholesky)";
    if (passes == 0)
        snprintf(r->method_buf, sizeof r->method_buf, "%s", base);
    else
        snprintf(r->method_buf, sizeof r->method_buf, "%s, refined in %zu pass%s over the file",
                 base, passes, passes == 1 ? "" : "es");
    r->method = r->method_buf;
}

/* Refinement passes over the file, B <- B + dB, until converged; *passes:
 * the steps taken (the state keeps the last good B). */
static int refine(engine *e, mgcli_fit_data *d, mgcli_fit_result *r, size_t *passes)
{
    mg_matrix B = mg_matrix_view(r->beta, r->q, 1);
    size_t rows = d->n;
    int converged = 0;
    mg_status s = MG_OK;
    *passes = 0;
    while (!converged && *passes < MAX_REFINE) {
        if ((s = mg_fit_refine_begin(e->fit, &B)) != MG_OK)
            return engine_failed(e, d, s);
        e->refining = 1;
        e->B = &B;
        d->replay = 1;
        size_t deleted = d->deleted;
        if (!d->held)
            d->n = d->deleted = 0;
        int rc = read_pass(e, d, NULL);
        d->deleted = deleted;
        e->refining = 0;
        if (rc != MGCLI_EXIT_OK)
            return rc;
        if (d->n != rows) {
            fprintf(stderr, "matgrad: %s: the file changed while it was being read (%zu rows, "
                            "then %zu)\n", e->o->file, rows, d->n);
            return MGCLI_EXIT_USAGE;
        }
        s = mg_fit_refine_end(e->fit, &B, &converged);
        if (s == MG_ENOCONV) {
            r->note = "Note: refinement stopped: it does not converge on this design (the "
                      "condition is too large for the data's accuracy)";
            return MGCLI_EXIT_OK;
        }
        if (s != MG_OK)
            return engine_failed(e, d, s);
        ++*passes;
    }
    if (!converged)
        r->note = "Note: refinement had not converged after 4 passes over the file";
    return MGCLI_EXIT_OK;
}

static int solve(engine *e, mgcli_fit_data *d, mgcli_fit_result *r, int regular)
{
    size_t nonzero = 0, passes = 0;
    if (mg_fit_rows(e->fit, NULL, &nonzero) != MG_OK || nonzero == 0) {
        fprintf(stderr, "matgrad: %s: every weight is zero: no rows to fit\n",
                mgcli_fit_shown(e->o->file));
        return MGCLI_EXIT_USAGE;
    }
    r->nonzero = nonzero;
    int rc;
    mg_lstsq_method how;
    mg_status s = finish(e, r, &how);
    if (s != MG_OK)
        return engine_failed(e, d, s);
    /* refine auto's full-rank answer (a minimum-norm one is as accurate as
     * the rank decision allows) when the file can be read again */
    if (e->o->method == MGCLI_AUTO && r->rank == r->q) {
        if (!regular) {
            r->note = "Note: the input cannot be read twice (standard input or a pipe): the "
                      "one-pass QR answer, not refined";
        } else {
            rc = refine(e, d, r, &passes);
            if (rc != MGCLI_EXIT_OK)
                return rc;
            /* the refined B and the replayed RSS, and the statistics from them */
            if ((s = finish(e, r, &how)) != MG_OK)
                return engine_failed(e, d, s);
        }
    }
    describe(r, e->o, how, passes);
    return MGCLI_EXIT_OK;
}

/* Every statistic of the report from the final state (mg_fit_infer, R's
 * conventions: aliased coefficients NaN); vcov = sigma^2 C. */
static int infer(engine *e, mgcli_fit_data *d, mgcli_fit_result *r)
{
    const size_t q = r->q;
    mg_matrix B = mg_matrix_view(r->beta, q, 1), SE = mg_matrix_view(r->se, q, 1);
    mg_matrix T = mg_matrix_view(r->t, q, 1), P = mg_matrix_view(r->p, q, 1);
    mg_matrix LO = mg_matrix_view(r->lo, q, 1), HI = mg_matrix_view(r->hi, q, 1);
    mg_matrix C = mg_matrix_view(r->cov, q, q);
    mg_infer inf = { 0 };
    inf.coef = &B;
    inf.std_err = &SE;
    inf.t_value = &T;
    inf.p_value = &P;
    inf.conf_low = &LO;
    inf.conf_high = &HI;
    inf.cov_unscaled = &C;
    inf.aliased = r->aliased;
    inf.sigma = &r->residual_sd;
    inf.r_squared = &r->r_squared;
    inf.adj_r_squared = &r->adj_r_squared;
    inf.f_value = &r->f;
    inf.f_p_value = &r->f_p;
    inf.loglik = &r->loglik;
    inf.aic = &r->aic;
    inf.bic = &r->bic;
    inf.perfect_fit = &r->perfect_fit;
    mg_infer_options io = mg_infer_defaults();
    io.level = e->o->level;
    mg_status s = mg_fit_infer(e->fit, &io, &inf);
    if (s != MG_OK)
        return engine_failed(e, d, s);
    r->have_infer = 1;
    r->rank = inf.rank;
    r->df = inf.df_residual;
    r->df_model = inf.df_model;
    r->about_mean = inf.about_mean;
    r->level = inf.level;
    r->n_aliased = 0;
    for (size_t i = 0; i < q; i++)
        r->n_aliased += r->aliased[i] != 0;
    const double s2 = r->residual_sd * r->residual_sd;
    for (size_t i = 0; i < q * q; i++)
        r->vcov[i] = s2 * r->cov[i];
    return MGCLI_EXIT_OK;
}

/* The robust covariance's name, for the report. */
static const char *const HC_NAMES[4] = { "HC0", "HC1", "HC2", "HC3" };

/* One more reading of the rows with the final coefficients: residuals
 * (quantiles), fitted values and leverages (plots), the robust covariance
 * (--robust) and its coefficient tests.  Not possible on standard input:
 * the report then says the residuals are not available. */
/* mg_hc_finish's MG_ERANGE: the robust covariance is not defined for
 * these rows (no column of the data is out of range, which is what
 * engine_failed would say). */
static int robust_undefined(const engine *e)
{
    static const char *const why[] = {
        "the covariance overflows (values beyond about 1e150): rescale the data",
        "no residual degrees of freedom (rows <= coefficients), or the covariance overflows",
        "a row has leverage 1 (HC2 divides by 1 - h), or the covariance overflows; "
        "try --robust hc0",
        "a row has leverage 1 (HC3 divides by (1 - h)^2), or the covariance overflows; "
        "try --robust hc0",
    };
    fprintf(stderr, "matgrad: --robust hc%d: %s\n", e->o->robust, why[e->o->robust & 3]);
    return MGCLI_EXIT_FAIL;
}

static int diagnostics(engine *e, mgcli_fit_data *d, mgcli_fit_result *r, int regular)
{
    if (!regular)
        return MGCLI_EXIT_OK;
    mgcli_diag_acc a;
    if (mgcli_diag_init(&a, r, d->p, e->o->intercept, e->o->robust, e->o->plot != NULL, d->n,
                        r->nonzero) != 0) {
        mg_status s = a.status;
        mgcli_diag_free(&a);
        return engine_failed(e, d, s);
    }
    size_t rows = d->n, deleted = d->deleted;
    e->diag = &a;
    d->replay = 1;
    int rc = MGCLI_EXIT_OK, more = 1;
    size_t passes = 0;
    /* the diagnostics pass, then (many rows) residual passes until the
     * quartiles are exact */
    while (rc == MGCLI_EXIT_OK && more == 1) {
        if (!d->held)
            d->n = d->deleted = 0;
        rc = read_pass(e, d, NULL);
        passes++;
        d->deleted = deleted;
        if (rc == MGCLI_EXIT_OK && d->n != rows) {
            fprintf(stderr, "matgrad: %s: the file changed while it was being read (%zu rows, "
                            "then %zu)\n", e->o->file, rows, d->n);
            rc = MGCLI_EXIT_USAGE;
        }
        if (rc == MGCLI_EXIT_OK && (more = mgcli_diag_end_pass(&a)) < 0)
            rc = engine_failed(e, d, a.status);
    }
    e->diag = NULL;
    if (rc == MGCLI_EXIT_OK) {
        /* the report says what the passes were (scripts/cli_scale.sh counts them) */
        size_t used = strlen(r->method_buf);
        snprintf(r->method_buf + used, sizeof r->method_buf - used, "; residuals in %zu pass%s",
                 passes, passes == 1 ? "" : "es");
        r->method = r->method_buf;
    }
    if (rc == MGCLI_EXIT_OK && mgcli_diag_finish(&a, r) != 0)
        rc = a.status == MG_ERANGE && e->o->robust >= 0 ? robust_undefined(e)
                                                        : engine_failed(e, d, a.status);
    if (rc == MGCLI_EXIT_OK && e->o->robust >= 0) {
        /* the coefficient tests again, on the robust covariance */
        const size_t q = r->q;
        mg_matrix B = mg_matrix_view(r->beta, q, 1), V = mg_matrix_view(r->vcov, q, q);
        mg_matrix SE = mg_matrix_view(r->se, q, 1), T = mg_matrix_view(r->t, q, 1);
        mg_matrix P = mg_matrix_view(r->p, q, 1), LO = mg_matrix_view(r->lo, q, 1);
        mg_matrix HI = mg_matrix_view(r->hi, q, 1);
        mg_status s = mg_coef_tests(&B, &V, r->df, r->level, &SE, &T, &P, &LO, &HI);
        if (s != MG_OK)
            rc = engine_failed(e, d, s);
        r->robust = HC_NAMES[e->o->robust];
    }
    mgcli_diag_free(&a);
    return rc;
}

int mgcli_fit_stream(const mgcli_fit_options *o, mgcli_fit_data *d, mgcli_fit_result *r)
{
    engine e = { .o = o };
    int regular = 0;
    mgcli_fit_data_blocks(d, BLOCK_ROWS, mgcli_engine_block, &e);
    int rc = read_pass(&e, d, &regular);
    regular = regular || d->held;   /* held rows replay from memory */
    if (rc == MGCLI_EXIT_OK && d->n == 0)
        rc = mgcli_fit_no_rows(o, d);
    if (rc == MGCLI_EXIT_OK && mgcli_fit_result_alloc(r, d->p + (o->intercept ? 1 : 0)) != 0)
        rc = mgcli_out_of_memory("the coefficients");
    if (rc == MGCLI_EXIT_OK)
        rc = solve(&e, d, r, regular);
    /* inference: least squares only (a ridge estimate has no classical
     * standard errors) */
    if (rc == MGCLI_EXIT_OK && o->ridge == 0)
        rc = infer(&e, d, r);
    if (rc == MGCLI_EXIT_OK && o->ridge == 0)
        rc = diagnostics(&e, d, r, regular);
    mgcli_engine_free(&e);
    return rc;
}
