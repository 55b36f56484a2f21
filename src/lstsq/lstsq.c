/* SPDX-License-Identifier: BSD-3-Clause */
/* lstsq: the public entry point — validation, the choice of solver, the
 * per-output refinement, the statistics, and the copy-out (outputs are
 * written only once everything has succeeded). */
#include "lstsq_batch.h"
#include "lstsq_internal.h"
#include "internal.h"
#include "fit/fit_internal.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Auto takes the Cholesky path only for designs this big (N p^2 flops; below
 * it QR is cheap anyway) ... */
#define MG__AUTO_CHOL_MIN_WORK 1.0e7

mg_lstsq_options mg_lstsq_defaults(void)
{
    mg_lstsq_options o;
    o.intercept = 0;
    o.method = MG_LSTSQ_AUTO;
    o.rank_tol = 0.0;
    o.max_refine = 20;
    o.weights = NULL;
    return o;
}

static MG__MUST_USE mg_status check_args(const mg_matrix *X, const mg_matrix *Y, const mg_matrix *B,
                                         const mg_lstsq_options *o, const mg_lstsq_result *res)
{
    const mg_matrix *all[] = { X, Y, B };
    MG__CHECK(mg__check_all(all, 3));
    if (o->method < MG_LSTSQ_AUTO || o->method > MG_LSTSQ_SVD || !(o->rank_tol >= 0.0) ||
        !(o->rank_tol < 1.0))
        return MG_EINVAL;
    if (X->cols > (size_t)INT_MAX - 1)
        return MG_ENOMEM;
    const size_t p = X->cols + (o->intercept ? 1u : 0u), k = Y->cols;
    if (Y->rows != X->rows || B->rows != p || B->cols != k)
        return MG_EDIM;
    if (mg__overlaps(B, X) || mg__overlaps(B, Y))
        return MG_EINVAL;
    if (o->weights) {
        /* the engine checks the values (finite, >= 0) as it reads them */
        MG__CHECK(mg_matrix_check(o->weights));
        if (o->weights->rows != X->rows || o->weights->cols != 1)
            return MG_EDIM;
        if (mg__overlaps(B, o->weights) || (res && res->std_err && mg__overlaps(res->std_err, o->weights)))
            return MG_EINVAL;
    }
    if (!res)
        return MG_OK;
    if (res->std_err) {
        MG__CHECK(mg_matrix_check(res->std_err));
        if (res->std_err->rows != p || res->std_err->cols != k)
            return MG_EDIM;
        if (mg__overlaps(res->std_err, X) || mg__overlaps(res->std_err, Y) ||
            mg__overlaps(res->std_err, B))
            return MG_EINVAL;
    }
    const double *vec[3] = { res->residual_sd, res->r_squared, res->adj_r_squared };
    for (int v = 0; v < 3; v++) {
        if (!vec[v])
            continue;
        mg_matrix m = mg_matrix_view((double *)vec[v], 1, k);
        if (mg__overlaps(&m, X) || mg__overlaps(&m, Y) || mg__overlaps(&m, B) ||
            (res->std_err && mg__overlaps(&m, res->std_err)))
            return MG_EINVAL;
        for (int w = 0; w < v; w++)
            if (vec[w] && vec[v] < vec[w] + k && vec[w] < vec[v] + k)
                return MG_EINVAL;
    }
    return MG_OK;
}

static void release(mg__lsq *q)
{
    free(q->F); free(q->tau); free(q->s); free(q->Vt); free(q->perm); free(q->T);
    q->F = q->tau = q->s = q->Vt = q->T = NULL;
    q->perm = NULL;
}

/* Results computed into scratch before anything is copied out. */
typedef struct outputs {
    double *Bs;     /* p x k, scaled coordinates, row-major */
    long double *rss; /* k: RSS in long double (no overflow for any finite data) */
    size_t steps;
} outputs;

/* QR or SVD factors (full rank: Bjorck refinement; rank-deficient:
 * minimum-norm solution from the SVD of the unscaled design). */
static MG__MUST_USE mg_status solve_orthogonal(mg__lsq *q, const mg_matrix *Y,
                                               mg_lstsq_method method, outputs *out)
{
    const size_t N = q->d.N, p = q->d.p, k = Y->cols;
    mg_status s;

    if (!mg__lsq_scales(&q->d, q->scale, q->scale_lo))
        return MG_ENONFINITE; /* a NaN or Inf in X */
    if (method == MG_LSTSQ_SVD) {
        MG__CHECK(mg__lsq_svd(q, 0));
    } else {
        MG__CHECK(mg__lsq_qr(q));
    }
    if (q->rank < p) {
        /* minimum norm is a property of the unscaled coefficients: refactor
         * Zd itself, keeping the rank found on the equilibrated design */
        const size_t rank = q->rank;
        const double rcond = q->rcond;
        release(q);
        for (size_t j = 0; j < p; j++)
            q->scale[j] = q->scale_lo[j] = 1.0;
        if (rank == 0) {
            /* Zd == 0: B = 0 is the minimum-norm solution */
            memset(out->Bs, 0, p * k * sizeof *out->Bs);
            for (size_t c = 0; c < k; c++)
                out->rss[c] = mg__xsumsq(Y->data + c, N, Y->stride, 0.0);
            q->rank = 0;
            q->rcond = 0.0;
            q->kind = MG__LSQ_SVD;
            return MG_OK;
        }
        MG__CHECK(mg__lsq_svd(q, rank));
        q->rcond = rcond;
    }
    double *x = mg__alloc_doubles(p, 1), *r = mg__alloc_doubles(N, 1);
    double *scratch = mg__alloc_doubles(MG__LSQ_REFINE_SCRATCH(N, p), 1);
    double *f = mg__alloc_doubles(N, 1);
    q->work = mg__alloc_doubles(N + 3 * p + MG__LSQ_QWORK, 1);
    s = (x && r && scratch && f && q->work) ? MG_OK : MG_ENOMEM;
    for (size_t c = 0; s == MG_OK && c < k; c++) {
        double delta;
        size_t n = 0;
        /* f: the residual y - Zd b of the returned coefficients */
        s = mg__lsq_refine(q, Y->data + c, Y->stride, NULL, x, r, scratch, &n, &delta, f);
        if (s != MG_OK)
            break;
        if (n > out->steps)
            out->steps = n;
        for (size_t j = 0; j < p; j++)
            out->Bs[j * k + c] = x[j];
        out->rss[c] = mg__xsumsq(f, N, 1, 0.0);
    }
    free(x); free(r); free(scratch); free(f);
    return s; /* q->work stays for the variance refinement */
}

/* 1 if some column of X is constant and nonzero (an explicit intercept);
 * stops at the first differing entry, so it costs a few reads for
 * ordinary columns. */
int mg__lsq_has_constant_column(const mg_matrix *X, int intercept)
{
    if (intercept)
        return 1;
    for (size_t j = 0; j < X->cols; j++) {
        const double v = X->data[j];
        size_t i = 1;
        if (v == 0.0)
            continue;
        while (i < X->rows && X->data[i * X->stride + j] == v)
            i++;
        if (i == X->rows)
            return 1;
    }
    return 0;
}

/* 1 if the factor's variances are refined: a full-rank fit small enough
 * (N p^2) whose factor does not already give them to about 12 digits (a QR
 * with rcond >= MG__LSQ_COV_FACTOR_RCOND does; the SVD path always refines). */
static int cov_needs_refining(const mg__lsq *q)
{
    const double N = (double)q->d.N, p = (double)q->d.p;
    if (q->rank != q->d.p || N * p * p > MG__COV_REFINE_MAX_WORK)
        return 0;
    return !(q->kind == MG__LSQ_QR && q->rcond >= MG__LSQ_COV_FACTOR_RCOND);
}

static MG__MUST_USE mg_status statistics(const mg__lsq *q, const mg_matrix *Y, const outputs *out,
                                         mg_lstsq_result *res, double *se, double *sd, double *r2,
                                         double *ar2)
{
    const size_t N = q->d.N, p = q->d.p, k = Y->cols, df = N - q->rank;
    const int centered = mg__lsq_has_constant_column(q->d.X, q->d.intercept);

    for (size_t c = 0; c < k; c++) {
        /* TSS about the mean (a model with a constant) or about zero */
        const long double tss = mg__lsq_tss(Y->data + c, N, Y->stride, NULL, centered);
        mg__fit_summary(out->rss[c], tss, df, N - (centered ? 1u : 0u), &sd[c], &r2[c], &ar2[c]);
    }
    if (!res->std_err)
        return MG_OK;
    double *v = mg__alloc_doubles(p, 1);
    if (!v)
        return MG_ENOMEM;
    mg_status s = MG_OK;
    if (q->rank == 0) {
        memset(v, 0, p * sizeof *v);
    } else {
        s = mg__lsq_cov_diag(q, v);
        if (s == MG_OK && cov_needs_refining(q))
            s = mg__lsq_cov_refine(q, v);
    }
    /* se = sd d_j sqrt(v_j), in long double: d_j may be up to 2^1074 */
    for (size_t j = 0; s == MG_OK && j < p; j++) {
        const long double dj = (long double)q->scale[j] * q->scale_lo[j];
        for (size_t c = 0; c < k; c++)
            se[j * k + c] = (double)(sd[c] * dj * sqrtl(fmax(v[j], 0.0)));
    }
    free(v);
    return s;
}

static MG__MUST_USE mg_lstsq_method method_of(mg__lsq_kind kind)
{
    return kind == MG__LSQ_QR ? MG_LSTSQ_QR : MG_LSTSQ_SVD;
}

/* The in-memory Householder QR (or SVD) path. */
static MG__MUST_USE mg_status run(mg__lsq *q, const mg_matrix *Y, const mg_lstsq_options *o,
                                  outputs *out)
{
    /* X's entries are checked by the pass that finds its column scales */
    if (!mg__all_finite(Y->data, q->d.N, Y->cols, Y->stride))
        return MG_ENONFINITE;
    return solve_orthogonal(q, Y, o->method == MG_LSTSQ_SVD ? MG_LSTSQ_SVD : MG_LSTSQ_QR, out);
}

/* The engine's kind for a fit, or -1 for the in-memory QR / SVD path:
 * the normal equations for CHOLESKY and for auto on big designs (N p^2
 * flops: below, QR costs little more), the engine's QR for the other
 * weighted fits (the in-memory path has no weights). */
static int engine_kind(const mg_matrix *X, const mg_lstsq_options *o)
{
    const size_t N = X->rows, p = X->cols + (o->intercept ? 1u : 0u);
    const int big = N >= p && (double)N * (double)p * (double)p >= MG__AUTO_CHOL_MIN_WORK;
    if (o->method == MG_LSTSQ_CHOLESKY || (o->method == MG_LSTSQ_AUTO && big))
        return MG_FIT_GRAM;
    return o->weights ? MG_FIT_QR : -1;
}

/* The engine's refusals that another path may still solve: the normal
 * equations too ill-conditioned for their refinement (ENOTPD, ENOCONV),
 * or a column beyond the state's range (ERANGE). */
static int engine_declined(mg_status s)
{
    return s == MG_ENOTPD || s == MG_ENOCONV || s == MG_ERANGE;
}

/* Fits this small (N p^2 flops) take the batch path's kernel, one fit on
 * the calling thread: plain loops with one allocation and no BLAS or
 * LAPACK call, whose fixed costs (argument checks, workspace queries,
 * the condition estimator) dominate below it.  Measured with
 * bench/bench_appsizes (docs/performance.md "Application sizes"). */
#define MG__LSQ_SMALL_MAX_WORK 1.0e4

/* 1 if the fit may take the small path: what the batch path takes
 * (unweighted QR or auto, tall, at most MG__BATCH_MAX_P columns), small. */
static int small_fit(const mg_matrix *X, const mg_lstsq_options *o)
{
    const size_t N = X->rows, p = X->cols + (o->intercept ? 1u : 0u);
    return !o->weights && (o->method == MG_LSTSQ_AUTO || o->method == MG_LSTSQ_QR) && N >= p &&
           p <= MG__BATCH_MAX_P && (double)N * (double)p * (double)p <= MG__LSQ_SMALL_MAX_WORK;
}

/* The small path: *done = 1 with the fit's status (outputs written on
 * MG_OK), or *done = 0 when it cannot prove the answer (rank or condition
 * in doubt, a refinement that does not converge): the general path then
 * solves the fit from the start.  reuse: a workspace of this shape
 * (mg_lstsq_workspace), or NULL for one of its own. */
static MG__MUST_USE mg_status lstsq_small(const mg_matrix *X, const mg_matrix *Y, mg_matrix *B,
                                          const mg_lstsq_options *o, mg_lstsq_result *res,
                                          mg__batch_ws *reuse, int *done)
{
    const size_t N = X->rows, p = X->cols + (o->intercept ? 1u : 0u), k = Y->cols;
    mg__batch_ws own, *w = reuse ? reuse : &own;
    *done = 1;
    if (!reuse)
        MG__CHECK(mg__batch_ws_alloc(&own, N, p, k));
    /* the statistics land in the workspace; copied out on success */
    const mg__batch_out out = mg__batch_out_make(
        NULL, NULL, NULL, res ? res->std_err : NULL,
        res && (res->residual_sd || res->r_squared || res->adj_r_squared));
    mg_status st = MG_OK;
    if (mg__batch_fit(X, Y, B, o, w, &out, &st) == MG__FIT_DEFER) {
        *done = 0;
    } else if (st == MG_OK && res) {
        res->rank = p;
        res->rcond = w->rcond;
        res->refine_steps = w->steps;
        res->method = MG_LSTSQ_QR;
        res->df_residual = N - p;
        mg__fit_result_vectors(res, k, w->sd, w->r2, w->ar2);
    }
    if (!reuse)
        mg__batch_ws_free(&own);
    return st;
}

/* mg_lstsq after its argument checks (o resolved); reuse as lstsq_small's. */
static MG__MUST_USE mg_status lstsq_checked(const mg_matrix *X, const mg_matrix *Y, mg_matrix *B,
                                            const mg_lstsq_options *opt, mg_lstsq_result *res,
                                            mg__batch_ws *reuse)
{
    const mg_lstsq_options o = *opt;
    const int kind = engine_kind(X, &o);
    if (kind >= 0) {
        mg_status s = mg__lsq_engine(X, Y, &o, (mg_fit_kind)kind, B, res);
        /* weighted: auto falls back to the engine's QR, the others report */
        if (o.weights) {
            if (o.method == MG_LSTSQ_AUTO && kind == MG_FIT_GRAM &&
                (s == MG_ENOTPD || s == MG_ENOCONV))
                s = mg__lsq_engine(X, Y, &o, MG_FIT_QR, B, res);
            return s;
        }
        /* unweighted: auto takes Householder QR with Q where the normal
         * equations decline; CHOLESKY only where the Gram matrix cannot hold
         * the columns (the old "overflows or underflows") */
        if (!engine_declined(s) || (o.method == MG_LSTSQ_CHOLESKY && s != MG_ERANGE))
            return s;
    }

    if (small_fit(X, &o)) {
        int done;
        const mg_status s = lstsq_small(X, Y, B, &o, res, reuse, &done);
        if (done)
            return s;
    }

    mg__lsq q;
    memset(&q, 0, sizeof q);
    q.d.X = X;
    q.d.intercept = o.intercept ? 1 : 0;
    q.d.N = X->rows;
    q.d.p = X->cols + (size_t)q.d.intercept;
    q.m = q.d.N < q.d.p ? q.d.N : q.d.p;
    q.rank_tol = o.rank_tol > 0.0 ? o.rank_tol
                                  : (double)(q.d.N > q.d.p ? q.d.N : q.d.p) * DBL_EPSILON;
    q.max_refine = o.max_refine;

    const size_t p = q.d.p, k = Y->cols;
    outputs out = { mg__alloc_doubles(p, k), malloc(k * sizeof(long double)), 0 };
    double *se = mg__alloc_doubles(p, k), *sd = mg__alloc_doubles(k, 1);
    double *r2 = mg__alloc_doubles(k, 1), *ar2 = mg__alloc_doubles(k, 1);
    q.scale = mg__alloc_doubles(p, 2);
    q.scale_lo = q.scale ? q.scale + p : NULL;
    mg_status s = (out.Bs && out.rss && se && sd && r2 && ar2 && q.scale) ? MG_OK : MG_ENOMEM;

    if (s == MG_OK)
        s = run(&q, Y, &o, &out);
    mg_lstsq_result local;
    memset(&local, 0, sizeof local);
    if (s == MG_OK)
        s = statistics(&q, Y, &out, res ? res : &local, se, sd, r2, ar2);
    /* b = D x: exact, D holds powers of two */
    for (size_t j = 0; s == MG_OK && j < p; j++)
        for (size_t c = 0; c < k; c++)
            out.Bs[j * k + c] = mg__lsq_scaled(q.scale, q.scale_lo, j, out.Bs[j * k + c]);
    if (s == MG_OK && !mg__all_finite(out.Bs, p, k, k))
        s = MG_ENONFINITE;
    if (s == MG_OK) {
        mg__copy(B->data, B->stride, out.Bs, k, p, k);
        if (res) {
            res->rank = q.rank;
            res->rcond = q.rcond;
            res->refine_steps = out.steps;
            res->method = method_of(q.kind);
            res->df_residual = q.d.N - q.rank;
            if (res->std_err)
                mg__copy(res->std_err->data, res->std_err->stride, se, k, p, k);
            mg__fit_result_vectors(res, k, sd, r2, ar2);
        }
    }
    release(&q);
    free(q.work);
    free(q.scale); free(out.Bs); free(out.rss); free(se); free(sd); free(r2); free(ar2);
    return s;
}

mg_status mg_lstsq(const mg_matrix *X, const mg_matrix *Y, mg_matrix *B,
                   const mg_lstsq_options *opt, mg_lstsq_result *res)
{
    const mg_lstsq_options o = opt ? *opt : mg_lstsq_defaults();
    MG__CHECK(check_args(X, Y, B, &o, res));
    return lstsq_checked(X, Y, B, &o, res, NULL);
}

struct mg_lstsq_workspace {
    size_t N, p, k;          /* X is N x p (without the intercept column), Y N x k */
    mg_lstsq_options opt;
    int small;               /* the shape takes the small path: w is allocated */
    mg__batch_ws w;
};

mg_status mg_lstsq_workspace_create(size_t N, size_t p, size_t k, const mg_lstsq_options *opt,
                                    mg_lstsq_workspace **out)
{
    if (!out)
        return MG_EINVAL;
    *out = NULL;
    const mg_lstsq_options o = opt ? *opt : mg_lstsq_defaults();
    if (N == 0 || k == 0 || (p == 0 && !o.intercept) || o.weights)
        return MG_EINVAL;
    if (o.method < MG_LSTSQ_AUTO || o.method > MG_LSTSQ_SVD || !(o.rank_tol >= 0.0) ||
        !(o.rank_tol < 1.0))
        return MG_EINVAL;
    if (p > (size_t)INT_MAX - 1)
        return MG_ENOMEM;
    mg_lstsq_workspace *ws = calloc(1, sizeof *ws);
    if (!ws)
        return MG_ENOMEM;
    ws->N = N;
    ws->p = p;
    ws->k = k;
    ws->opt = o;
    /* small_fit reads the shape only */
    const mg_matrix shape = { NULL, N, p, p };
    ws->small = small_fit(&shape, &o);
    if (ws->small && mg__batch_ws_alloc(&ws->w, N, p + (o.intercept ? 1u : 0u), k) != MG_OK) {
        free(ws);
        return MG_ENOMEM;
    }
    *out = ws;
    return MG_OK;
}

mg_status mg_lstsq_workspace_fit(mg_lstsq_workspace *ws, const mg_matrix *X, const mg_matrix *Y,
                                 mg_matrix *B, mg_lstsq_result *res)
{
    if (!ws)
        return MG_EINVAL;
    MG__CHECK(check_args(X, Y, B, &ws->opt, res));
    if (X->rows != ws->N || X->cols != ws->p || Y->cols != ws->k)
        return MG_EDIM;
    return lstsq_checked(X, Y, B, &ws->opt, res, ws->small ? &ws->w : NULL);
}

void mg_lstsq_workspace_free(mg_lstsq_workspace *ws)
{
    if (!ws)
        return;
    if (ws->small)
        mg__batch_ws_free(&ws->w);
    free(ws);
}
