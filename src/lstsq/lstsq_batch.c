/* SPDX-License-Identifier: BSD-3-Clause */
/* lstsq: many independent fits of one shape (mg_lstsq_batch, lstsq.h).
 *
 * The fits run on matgrad's worker threads (kernels/pool.h), each thread
 * with one workspace allocated before the pass.  Each fit is mg_lstsq's QR path as small loops
 * (lstsq_batch_fit.c; four at a time in vector lanes where the shape and
 * the CPU allow, lstsq_batch_lanes.c, with the same bits), with mg_lstsq's
 * accuracy contract: a full-rank B is
 * the exact least-squares solution of the double data to within a few ulp.
 * Nothing inside the parallel pass calls BLAS or LAPACK: OpenBLAS's
 * level-3 driver can end the process when it cannot allocate, and its
 * threads would compete with ours (docs/reliability.md); at this size the
 * per-call overhead of the level-2 routines also counts.  Fits that path
 * does not prove (rank not proven full, a refinement that does not
 * converge, weights, CHOLESKY or SVD asked for, N < p, more than
 * MG__BATCH_MAX_P columns) are handed to mg_lstsq itself, one after another
 * on the calling thread after the parallel pass: the same answers as a
 * loop of mg_lstsq calls.
 *
 * Determinism: a fit's arithmetic does not depend on which thread runs it,
 * so the results are bitwise the same for any thread count. */
#include "lstsq_batch.h"
#include "kernels/parallel.h"
#include "kernels/pool.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

typedef struct span {
    const char *lo, *hi;
    int out;
} span;

static int span_cmp(const void *a, const void *b)
{
    const span *x = a, *y = b;
    return (x->lo > y->lo) - (x->lo < y->lo);
}

static span span_of(const mg_matrix *m, int out)
{
    const double *end = m->data + (m->rows - 1) * m->stride + m->cols;
    return (span){ (const char *)m->data, (const char *)end, out };
}

/* 1 if s[0..n) is in order of its starts. */
static int sorted(const span *s, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (s[i].lo < s[i - 1].lo)
            return 0;
    return 1;
}

/* Sorts s[0..n), made of runs of the given lengths: when every run is
 * already in order (views laid out one after another, the usual case) they
 * are merged in O(n) into t, else qsort (30000 spans took a tenth of a
 * 10000-fit batch).  Returns the sorted array, s or t. */
static span *sort_runs(span *s, span *t, size_t n, const size_t *len, int runs)
{
    size_t at[8], end[8], pos = 0;
    int in_order = 1;
    for (int r = 0; r < runs; r++) {
        at[r] = pos;
        end[r] = pos + len[r];
        in_order &= sorted(s + pos, len[r]);
        pos += len[r];
    }
    if (!in_order) {
        qsort(s, n, sizeof *s, span_cmp);
        return s;
    }
    for (size_t i = 0; i < n; i++) {
        int best = -1;
        for (int r = 0; r < runs; r++)
            if (at[r] < end[r] && (best < 0 || s[at[r]].lo < s[at[best]].lo))
                best = r;
        t[i] = s[at[best]++];
    }
    return t;
}

/* 1 if some output (a B_i, the statistics arrays) overlaps any other view:
 * sorted by start, an interval overlaps an earlier one exactly when it
 * starts before the furthest end reached so far. */
static MG__MUST_USE int outputs_overlap(const span *s, size_t n)
{
    const char *end_any = NULL, *end_out = NULL;
    for (size_t i = 0; i < n; i++) {
        if ((end_out && s[i].lo < end_out) || (s[i].out && end_any && s[i].lo < end_any))
            return 1;
        if (!end_any || s[i].hi > end_any)
            end_any = s[i].hi;
        if (s[i].out && (!end_out || s[i].hi > end_out))
            end_out = s[i].hi;
    }
    return 0;
}

static MG__MUST_USE mg_status check_batch(size_t count, const mg_matrix *X, const mg_matrix *Y,
                                          const mg_matrix *B, const mg_lstsq_options *o,
                                          const double *sd, const double *r2)
{
    if (count == 0 || !X || !Y || !B)
        return MG_EINVAL;
    if (o->method < MG_LSTSQ_AUTO || o->method > MG_LSTSQ_SVD || !(o->rank_tol >= 0.0) ||
        !(o->rank_tol < 1.0))
        return MG_EINVAL;
    const size_t N = X[0].rows, px = X[0].cols, k = Y[0].cols;
    for (size_t i = 0; i < count; i++) {
        const mg_matrix *all[] = { &X[i], &Y[i], &B[i] };
        MG__CHECK(mg__check_all(all, 3));
        if (X[i].rows != N || X[i].cols != px || Y[i].rows != N || Y[i].cols != k ||
            B[i].rows != px + (o->intercept ? 1u : 0u) || B[i].cols != k)
            return MG_EDIM;
    }
    if (px > (size_t)INT_MAX - 1 || count > (size_t)-1 / (8 * sizeof(span)))
        return MG_ENOMEM;
    size_t ns = 0, nk;
    if (mg__mul_overflows(count, k, &nk))
        return MG_ENOMEM;
    /* the spans in five runs (X's, Y's, B's, sd, r2), and room to merge them */
    span *s = malloc(2 * (3 * count + 2) * sizeof *s);
    if (!s)
        return MG_ENOMEM;
    for (size_t i = 0; i < count; i++)
        s[ns++] = span_of(&X[i], 0);
    for (size_t i = 0; i < count; i++)
        s[ns++] = span_of(&Y[i], 0);
    for (size_t i = 0; i < count; i++)
        s[ns++] = span_of(&B[i], 1);
    if (sd)
        s[ns++] = (span){ (const char *)sd, (const char *)(sd + nk), 1 };
    if (r2)
        s[ns++] = (span){ (const char *)r2, (const char *)(r2 + nk), 1 };
    const size_t len[5] = { count, count, count, sd ? 1u : 0u, r2 ? 1u : 0u };
    const int bad = outputs_overlap(sort_runs(s, s + 3 * count + 2, ns, len, 5), ns);
    free(s);
    return bad ? MG_EINVAL : MG_OK;
}

/* The parallel path applies: no weights, QR (or auto, whose answer is the
 * same exact solution), a tall design of at most MG__BATCH_MAX_P columns. */
static int fast_path(const mg_lstsq_options *o, size_t N, size_t p)
{
    return !o->weights && (o->method == MG_LSTSQ_AUTO || o->method == MG_LSTSQ_QR) && N >= p &&
           p <= MG__BATCH_MAX_P;
}

typedef struct batch {
    size_t count, k;
    const mg_matrix *X, *Y;
    mg_matrix *B;
    const mg_lstsq_options *o;
    double *sd, *r2;
    mg_status *st;
    unsigned char *defer;
} batch;

static void run_fit(const batch *b, size_t i, mg__batch_ws *w)
{
    const size_t k = b->k;
    const mg__batch_out out = mg__batch_out_make(b->sd ? b->sd + i * k : NULL,
                                                 b->r2 ? b->r2 + i * k : NULL, NULL, NULL, 0);
    b->defer[i] = (unsigned char)mg__batch_fit(&b->X[i], &b->Y[i], &b->B[i], b->o, w, &out,
                                               &b->st[i]);
}

/* Fits go to the threads in chunks of this many (dynamic: which thread
 * runs a fit changes nothing in it); a multiple of MG__LANES. */
#define MG__BATCH_CHUNK 8

/* One thread's workspaces, alone on their cache lines: every fit writes
 * their fields (rcond, steps), and beside another thread's workspace each
 * such write made the other thread's next reads of its own fields miss.
 * lanes: allocated (lanes.Z set) when the batch's shape can take them. */
typedef struct lone_ws {
    _Alignas(MG__LINE) mg__batch_ws w;
    mg__lanes_ws lanes;
} lone_ws;

typedef struct batch_run {
    const batch *b;
    lone_ws *w; /* one workspace per thread */
} batch_run;

/* Fits i .. i + MG__LANES - 1 in the lanes; the ones the lanes leave
 * (anything off their common path) through mg__batch_fit. */
static void run_lanes(const batch *b, size_t i, lone_ws *w)
{
    const size_t k = b->k;
    const mg_matrix *X[MG__LANES], *Y[MG__LANES];
    mg_matrix *B[MG__LANES];
    mg__batch_out out[MG__LANES];
    int done[MG__LANES];
    for (int l = 0; l < MG__LANES; l++) {
        X[l] = &b->X[i + l];
        Y[l] = &b->Y[i + l];
        B[l] = &b->B[i + l];
        out[l] = mg__batch_out_make(b->sd ? b->sd + (i + l) * k : NULL,
                                    b->r2 ? b->r2 + (i + l) * k : NULL, NULL, NULL, 0);
    }
    mg__batch_fit_lanes(X, Y, B, b->o, &w->lanes, out, done);
    for (int l = 0; l < MG__LANES; l++) {
        if (done[l]) {
            b->st[i + l] = MG_OK;
            b->defer[i + l] = 0;
        } else {
            run_fit(b, i + l, &w->w);
        }
    }
}

static void run_chunk(void *ctx, size_t c, int worker)
{
    const batch_run *r = ctx;
    lone_ws *w = &r->w[worker];
    const size_t end = (c + 1) * MG__BATCH_CHUNK < r->b->count ? (c + 1) * MG__BATCH_CHUNK
                                                                : r->b->count;
    size_t i = c * MG__BATCH_CHUNK;
    if (w->lanes.Z)
        for (; i + MG__LANES <= end; i += MG__LANES)
            run_lanes(r->b, i, w);
    for (; i < end; i++)
        run_fit(r->b, i, &w->w);
}

/* Every fit on the parallel path, on up to nt threads (pool.h). */
static void run_parallel(const batch *b, lone_ws *w, int nt)
{
    batch_run r = { b, w };
    mg__pool_for(nt, (b->count + MG__BATCH_CHUNK - 1) / MG__BATCH_CHUNK, run_chunk, &r);
}

/* The fits the parallel path did not prove, through mg_lstsq in order. */
static void run_deferred(const batch *b)
{
    const size_t k = b->k;
    for (size_t i = 0; i < b->count; i++) {
        if (!b->defer[i])
            continue;
        mg_lstsq_result res;
        memset(&res, 0, sizeof res);
        res.residual_sd = b->sd ? b->sd + i * k : NULL;
        res.r_squared = b->r2 ? b->r2 + i * k : NULL;
        b->st[i] = mg_lstsq(&b->X[i], &b->Y[i], &b->B[i], b->o, &res);
    }
}

/* Thread t's workspaces; MG_ENOMEM leaves nothing to free.  The lanes'
 * (when use_lanes) are a speed-up only: without memory for them, the
 * thread fits one problem at a time. */
static MG__MUST_USE mg_status ws_alloc(lone_ws *w, size_t N, size_t p, size_t nx, size_t k,
                                       int use_lanes)
{
    memset(&w->lanes, 0, sizeof w->lanes);
    MG__CHECK(mg__batch_ws_alloc(&w->w, N, p, k));
    if (use_lanes && mg__lanes_ws_alloc(&w->lanes, N, p, nx) != MG_OK)
        memset(&w->lanes, 0, sizeof w->lanes);
    return MG_OK;
}

static void ws_free(lone_ws *w)
{
    mg__batch_ws_free(&w->w);
    mg__lanes_ws_free(&w->lanes);
}

static MG__MUST_USE mg_status run_batch(batch *b, size_t N, size_t p)
{
    const int nt = mg__slice_threads(mg__max_threads(), b->count);
    const size_t nx = b->X[0].cols;
    const int use_lanes = mg__lanes_usable(N, p, nx, b->k, b->o);
    /* nt * sizeof *w is a multiple of its alignment, as aligned_alloc asks */
    lone_ws *w = aligned_alloc(_Alignof(lone_ws), (size_t)nt * sizeof *w);
    if (!w)
        return MG_ENOMEM;
    mg_status s = MG_OK;
    int made = 0;
    for (; s == MG_OK && made < nt; made++)
        s = ws_alloc(&w[made], N, p, nx, b->k, use_lanes);
    if (s != MG_OK)
        made--; /* the failed one freed itself */
    if (s == MG_OK)
        run_parallel(b, w, nt);
    for (int t = 0; t < made; t++)
        ws_free(&w[t]);
    free(w);
    return s;
}

mg_status mg_lstsq_batch(size_t count, const mg_matrix *X, const mg_matrix *Y, mg_matrix *B,
                         const mg_lstsq_options *opt, double *residual_sd, double *r_squared,
                         mg_status *status)
{
    const mg_lstsq_options o = opt ? *opt : mg_lstsq_defaults();
    MG__CHECK(check_batch(count, X, Y, B, &o, residual_sd, r_squared));
    const size_t N = X[0].rows, p = X[0].cols + (o.intercept ? 1u : 0u);
    batch b = { count, Y[0].cols, X, Y, B, &o, residual_sd, r_squared,
                status ? status : malloc(count * sizeof(mg_status)), calloc(count, 1) };
    mg_status s = (b.st && b.defer) ? MG_OK : MG_ENOMEM;
    if (s == MG_OK && fast_path(&o, N, p))
        s = run_batch(&b, N, p);
    else if (s == MG_OK)
        memset(b.defer, 1, count);
    if (s == MG_OK)
        run_deferred(&b);
    for (size_t i = 0; s == MG_OK && i < count; i++)
        if (b.st[i] != MG_OK)
            s = b.st[i];
    if (!status)
        free(b.st);
    free(b.defer);
    return s;
}
