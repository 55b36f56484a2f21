/* SPDX-License-Identifier: BSD-3-Clause */
/* lstsq: many independent fits of one shape (mg_lstsq_batch, lstsq.h).
 *
 * Each fit takes mg_lstsq's QR path with LAPACK's unblocked Householder QR
 * (dgeqr2) in place of the blocked one: the same equilibration, the same
 * full-rank proof from the condition estimate, the same Bjorck refinement
 * in double-double (mg__lsq_refine), so the same accuracy contract: a
 * full-rank B is the exact least-squares solution of the double data to
 * within a few ulp.  Every routine called inside the parallel region is
 * level 2 (dgeqr2; dormqr with fewer reflectors than its block size runs
 * the unblocked dorm2r; dtrsv, dgemv, dtrcon) or a plain loop: no OpenBLAS
 * level-3 driver, whose allocation failure would end the process and whose
 * threads would compete with ours (docs/reliability.md).  Fits this path
 * does not prove (rank not proven full, a refinement that does not
 * converge, weights, CHOLESKY or SVD asked for, 32 design columns or more)
 * are handed to mg_lstsq itself, one after another on the calling thread
 * after the parallel region: same answers as a loop of mg_lstsq calls.
 *
 * Determinism: a fit's arithmetic does not depend on which thread runs it,
 * so the results are bitwise the same for any thread count. */
#include "lstsq_internal.h"
#include "fit/fit_internal.h"
#include "kernels/parallel.h"

#include <float.h>
#include <lapacke.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* dormqr applies fewer reflectors than its block size (32) unblocked. */
enum { MG__BATCH_MAX_P = 31 };

/* Per-fit outcome before the serial pass. */
enum { FIT_DONE = 0, FIT_DEFER = 1 };

/* One thread's workspace, allocated once before the parallel region. */
typedef struct ws {
    double *Z, *tau, *scale, *qwork, *scratch, *x, *r, *f, *bt, *Bs, *sd, *r2, *dw;
    int *perm;
    lapack_int *iw;
} ws;

static void ws_free(ws *w)
{
    free(w->Z);
    free(w->perm);
    free(w->iw);
}

static MG__MUST_USE mg_status ws_alloc(ws *w, size_t N, size_t p, size_t k)
{
    memset(w, 0, sizeof *w);
    size_t np;
    if (mg__mul_overflows(N, p, &np) || np > (size_t)-1 / 16 || N > (size_t)INT_MAX)
        return MG_ENOMEM;
    const size_t total = np + p + 2 * p + (N + 3 * p + MG__LSQ_QWORK) +
                         MG__LSQ_REFINE_SCRATCH(N, p) + p + N + N + p + p * k + 2 * k + 3 * p;
    w->Z = mg__alloc_doubles(total, 1);
    w->perm = malloc(p * sizeof *w->perm);
    w->iw = malloc(p * sizeof *w->iw);
    if (!w->Z || !w->perm || !w->iw) {
        ws_free(w);
        return MG_ENOMEM;
    }
    w->tau = w->Z + np;
    w->scale = w->tau + p;
    w->qwork = w->scale + 2 * p;
    w->scratch = w->qwork + N + 3 * p + MG__LSQ_QWORK;
    w->x = w->scratch + MG__LSQ_REFINE_SCRATCH(N, p);
    w->r = w->x + p;
    w->f = w->r + N;
    w->bt = w->f + N;
    w->Bs = w->bt + p;
    w->sd = w->Bs + p * k;
    w->r2 = w->sd + k;
    w->dw = w->r2 + k;
    for (size_t j = 0; j < p; j++)
        w->perm[j] = (int)j;
    return MG_OK;
}

/* Z = Q R unblocked and the condition estimate of R; FIT_DEFER unless it
 * proves full rank (mg__lsq_qr's test). */
static MG__MUST_USE int factor(mg__lsq *q, ws *w)
{
    const size_t N = q->d.N, p = q->d.p;
    q->scale = w->scale;
    q->scale_lo = w->scale + p;
    mg__lsq_scales(&q->d, q->scale, q->scale_lo);
    mg__lsq_copy_design(&q->d, q->scale, q->scale_lo, w->Z);
    /* Z = Q R   (dgeqr2: Householder QR, one reflector at a time) */
    lapack_int info = LAPACKE_dgeqr2_work(LAPACK_COL_MAJOR, (lapack_int)N, (lapack_int)p, w->Z,
                                          (lapack_int)N, w->tau, w->dw);
    if (mg__lapack_status(info, MG_EINVAL) != MG_OK)
        return FIT_DEFER;
    double rcond = 0.0;
    /* rcond = 1 / (||R||_1 ||R^-1||_1)   (estimate) */
    info = LAPACKE_dtrcon_work(LAPACK_COL_MAJOR, '1', 'U', 'N', (lapack_int)p, w->Z,
                               (lapack_int)N, &rcond, w->dw, w->iw);
    if (mg__lapack_status(info, MG_EINVAL) != MG_OK || !(rcond >= 10.0 * (double)p * q->rank_tol))
        return FIT_DEFER;
    q->kind = MG__LSQ_QR;
    q->F = w->Z;
    q->T = NULL;
    q->tau = w->tau;
    q->perm = w->perm;
    q->rank = p;
    q->rcond = rcond;
    q->work = w->qwork;
    return FIT_DONE;
}

/* Refined x of every output into w->Bs (scaled coordinates) and the
 * statistics into w->sd, w->r2; FIT_DEFER when a refinement fails. */
static MG__MUST_USE int refine_all(const mg__lsq *q, const mg_matrix *Y, ws *w)
{
    const size_t N = q->d.N, p = q->d.p, k = Y->cols;
    const int centred = mg__lsq_has_constant_column(q->d.X, q->d.intercept);
    for (size_t c = 0; c < k; c++) {
        size_t steps = 0;
        double delta = 0.0;
        if (mg__lsq_refine(q, Y->data + c, Y->stride, NULL, w->x, w->r, w->scratch, &steps,
                           &delta) != MG_OK)
            return FIT_DEFER;
        for (size_t j = 0; j < p; j++) {
            w->bt[j] = mg__lsq_scaled(w->scale, w->scale + p, j, w->x[j]);
            w->Bs[j * k + c] = w->bt[j];
        }
        /* RSS of the returned coefficients: f = y - Zd b in double-double */
        mg__xresid(q->d.X->data, q->d.X->stride, q->d.X->cols, q->d.intercept, w->bt, p, 1,
                   Y->data + c, Y->stride, NULL, 0, w->f, 1, 0, N);
        const long double rss = mg__xsumsq(w->f, N, 1, 0.0);
        const long double tss = mg__lsq_tss(Y->data + c, N, Y->stride, NULL, centred);
        double ar2;
        mg__fit_summary(rss, tss, N - p, N - (centred ? 1u : 0u), &w->sd[c], &w->r2[c], &ar2);
    }
    return FIT_DONE;
}

/* One fit on the parallel path: FIT_DONE with its outputs written (or a
 * status in *st), FIT_DEFER for the serial pass. */
static int solve_one(const mg_matrix *X, const mg_matrix *Y, mg_matrix *B,
                     const mg_lstsq_options *o, ws *w, double *sd, double *r2, mg_status *st)
{
    const size_t k = Y->cols;
    *st = MG_OK;
    if (!mg__all_finite(X->data, X->rows, X->cols, X->stride) ||
        !mg__all_finite(Y->data, Y->rows, k, Y->stride)) {
        *st = MG_ENONFINITE;
        return FIT_DONE;
    }
    mg__lsq q;
    memset(&q, 0, sizeof q);
    q.d.X = X;
    q.d.intercept = o->intercept ? 1 : 0;
    q.d.N = X->rows;
    q.d.p = X->cols + (size_t)q.d.intercept;
    q.m = q.d.p;
    q.rank_tol = o->rank_tol > 0.0 ? o->rank_tol
                                   : (double)(q.d.N > q.d.p ? q.d.N : q.d.p) * DBL_EPSILON;
    q.max_refine = o->max_refine;
    if (factor(&q, w) != FIT_DONE || refine_all(&q, Y, w) != FIT_DONE)
        return FIT_DEFER;
    if (!mg__all_finite(w->Bs, q.d.p, k, k)) {
        *st = MG_ENONFINITE;
        return FIT_DONE;
    }
    mg__copy(B->data, B->stride, w->Bs, k, q.d.p, k);
    if (sd)
        memcpy(sd, w->sd, k * sizeof *sd);
    if (r2)
        memcpy(r2, w->r2, k * sizeof *r2);
    return FIT_DONE;
}

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

/* 1 if some output (a B_i, the statistics arrays) overlaps any other view:
 * sorted by start, an interval overlaps an earlier one exactly when it
 * starts before the furthest end reached so far. */
static MG__MUST_USE int outputs_overlap(span *s, size_t n)
{
    qsort(s, n, sizeof *s, span_cmp);
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
    if (px > (size_t)INT_MAX - 1 || count > (size_t)-1 / (3 * sizeof(span) + 2))
        return MG_ENOMEM;
    size_t ns = 0, nk;
    if (mg__mul_overflows(count, k, &nk))
        return MG_ENOMEM;
    span *s = malloc((3 * count + 2) * sizeof *s);
    if (!s)
        return MG_ENOMEM;
    for (size_t i = 0; i < count; i++) {
        s[ns++] = span_of(&X[i], 0);
        s[ns++] = span_of(&Y[i], 0);
        s[ns++] = span_of(&B[i], 1);
    }
    if (sd)
        s[ns++] = (span){ (const char *)sd, (const char *)(sd + nk), 1 };
    if (r2)
        s[ns++] = (span){ (const char *)r2, (const char *)(r2 + nk), 1 };
    const int bad = outputs_overlap(s, ns);
    free(s);
    return bad ? MG_EINVAL : MG_OK;
}

/* The parallel path applies: no weights, QR (or auto, whose answer is the
 * same exact solution), a tall design narrow enough for unblocked dormqr. */
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

static void run_fit(const batch *b, size_t i, ws *w)
{
    const size_t k = b->k;
    b->defer[i] = (unsigned char)solve_one(&b->X[i], &b->Y[i], &b->B[i], b->o, w,
                                           b->sd ? b->sd + i * k : NULL,
                                           b->r2 ? b->r2 + i * k : NULL, &b->st[i]);
}

/* Every fit on the parallel path, on up to nt threads (dynamic chunks:
 * which thread runs a fit changes nothing in it). */
static void run_parallel(const batch *b, ws *w, int nt)
{
#ifdef _OPENMP
    if (nt > 1) {
#pragma omp parallel num_threads(nt)
        {
            ws *mine = &w[omp_get_thread_num()];
#pragma omp for schedule(dynamic, 8)
            for (size_t i = 0; i < b->count; i++)
                run_fit(b, i, mine);
        }
        return;
    }
#endif
    (void)nt;
    for (size_t i = 0; i < b->count; i++)
        run_fit(b, i, w);
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

static MG__MUST_USE mg_status run_batch(batch *b, size_t N, size_t p)
{
    const int nt = mg__slice_threads(mg__max_threads(), b->count);
    ws *w = calloc((size_t)nt, sizeof *w);
    if (!w)
        return MG_ENOMEM;
    mg_status s = MG_OK;
    int made = 0;
    for (; s == MG_OK && made < nt; made++)
        s = ws_alloc(&w[made], N, p, b->k);
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
