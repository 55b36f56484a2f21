/* SPDX-License-Identifier: BSD-3-Clause */
/* mg_mpi_lstsq: the accurate fit on MPI ranks (include/matgrad/mpi.h).
 * The single-process engine's steps (fit.h: accumulate, merge, finish,
 * refine), with the merges on the tree of src/mpi/tree.c and rank 0's
 * decisions broadcast in one packet:
 *   [0] status  [1] another refinement pass? / rank  [2] rcond
 *   [3] refine_steps  [4] method  [5] df_residual
 *   [6 ..) B (m x k, row-major), then std_err (m x k), residual_sd,
 *   r_squared, adj_r_squared (k each). */
#include "mpi_internal.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

enum { HEAD = MG__MPI_LSTSQ_HEAD };

mg_mpi_lstsq_options mg_mpi_lstsq_defaults(void)
{
    mg_mpi_lstsq_options o = { 0, 0.0, 20 };
    return o;
}

/* Byte extent of a view (rows - 1) * stride + cols doubles from data. */
static void extent(const double *d, size_t rows, size_t cols, size_t stride, uintptr_t *lo,
                   uintptr_t *hi)
{
    *lo = (uintptr_t)d;
    *hi = (uintptr_t)(d + (rows - 1) * stride + cols);
}

/* The caller's outputs: B, and res's optional ones (usable, m x k or k
 * values, not overlapping each other: each is written as a whole). */
static mg_status check_outputs(const mg_matrix *B, const mg_lstsq_result *res, size_t k)
{
    uintptr_t lo[5], hi[5];
    size_t n = 0;
    extent(B->data, B->rows, B->cols, B->stride, &lo[n], &hi[n]);
    n++;
    if (res && res->std_err) {
        const mg_matrix *E = res->std_err;
        if (mg_matrix_check(E) != MG_OK)
            return MG_EINVAL;
        if (E->rows != B->rows || E->cols != k)
            return MG_EDIM;
        extent(E->data, E->rows, E->cols, E->stride, &lo[n], &hi[n]);
        n++;
    }
    double *const vec[3] = { res ? res->residual_sd : NULL, res ? res->r_squared : NULL,
                             res ? res->adj_r_squared : NULL };
    for (size_t i = 0; i < 3; i++)
        if (vec[i]) {
            extent(vec[i], 1, k, k, &lo[n], &hi[n]);
            n++;
        }
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (lo[i] < hi[j] && lo[j] < hi[i])
                return MG_EINVAL;
    return MG_OK;
}

static mg_status check_args(const mg_matrix *X, const mg_matrix *Y, const mg_matrix *w,
                            const mg_mpi_lstsq_options *o, const mg_matrix *B,
                            const mg_lstsq_result *res, size_t *n)
{
    *n = 0;
    if (!B || mg_matrix_check(B) != MG_OK)
        return MG_EINVAL;
    if (!(o->rank_tol >= 0.0 && o->rank_tol < 1.0))
        return MG_EINVAL;
    const size_t c = o->intercept ? 1u : 0u;
    if (B->rows < c)
        return MG_EINVAL;
    mg_status s = check_outputs(B, res, B->cols);
    if (s != MG_OK)
        return s;
    return mg__mpi_check_rows(X, Y, w, B->rows - c, B->cols, n);
}

/* One refinement pass on every rank; rank 0 takes the step and sets the
 * packet's status and "another pass" flag. */
static mg_status refine_pass(mg__mpi_fit *t, const mg_matrix *X, const mg_matrix *Y,
                             const mg_matrix *w, size_t n, mg_matrix *Bv, size_t *steps,
                             size_t max_refine)
{
    mg_status s = mg_fit_refine_begin(t->fit, Bv);
    if (s == MG_OK && n > 0)
        s = mg_fit_refine_accumulate(t->fit, X, Y, w);
    s = mg__mpi_reduce(t, s, 1);
    if (t->rank != 0)
        return s;
    int converged = 0;
    if (s == MG_OK) {
        s = mg_fit_refine_end(t->fit, Bv, &converged);
        ++*steps;
    }
    if (s == MG_OK && !converged && *steps >= max_refine)
        s = MG_ENOCONV;
    t->pkt[0] = (double)s;
    t->pkt[1] = s == MG_OK && !converged;
    return s;
}

/* Rank 0: the statistics of the final state into the packet. */
static void final_stats(mg__mpi_fit *t, size_t m, size_t k)
{
    double *b = t->pkt + HEAD, *se = b + m * k, *sd = se + m * k, *r2 = sd + k, *adj = r2 + k;
    mg_matrix Bv = mg_matrix_view(b, m, k), Ev = mg_matrix_view(se, m, k);
    mg_lstsq_result r;
    memset(&r, 0, sizeof r);
    r.std_err = &Ev;
    r.residual_sd = sd;
    r.r_squared = r2;
    r.adj_r_squared = adj;
    const mg_status s = mg_fit_finish(t->fit, &Bv, &r);
    t->pkt[0] = (double)s;
    t->pkt[1] = (double)r.rank;
    t->pkt[2] = r.rcond;
    t->pkt[3] = (double)r.refine_steps;
    t->pkt[4] = (double)r.method;
    t->pkt[5] = (double)r.df_residual;
}

static void copy_out(const double *src, mg_matrix *dst)
{
    for (size_t i = 0; i < dst->rows; i++)
        memcpy(dst->data + i * dst->stride, src + i * dst->cols, dst->cols * sizeof *src);
}

static void write_outputs(const mg__mpi_fit *t, mg_matrix *B, mg_lstsq_result *res)
{
    const size_t m = B->rows, k = B->cols;
    const double *b = t->pkt + HEAD, *se = b + m * k, *sd = se + m * k, *r2 = sd + k, *adj = r2 + k;
    copy_out(b, B);
    if (!res)
        return;
    res->rank = (size_t)t->pkt[1];
    res->rcond = t->pkt[2];
    res->refine_steps = (size_t)t->pkt[3];
    res->method = (mg_lstsq_method)t->pkt[4];
    res->df_residual = (size_t)t->pkt[5];
    if (res->std_err)
        copy_out(se, res->std_err);
    if (res->residual_sd)
        memcpy(res->residual_sd, sd, k * sizeof *sd);
    if (res->r_squared)
        memcpy(res->r_squared, r2, k * sizeof *r2);
    if (res->adj_r_squared)
        memcpy(res->adj_r_squared, adj, k * sizeof *adj);
}

/* After the agreement: accumulate, reduce, finish on rank 0, refinement
 * passes, the statistics; every rank returns rank 0's status. */
static mg_status run(mg__mpi_fit *t, const mg_matrix *X, const mg_matrix *Y, const mg_matrix *w,
                     size_t n, size_t m, size_t k, const mg_mpi_lstsq_options *o)
{
    mg_status s = n > 0 ? mg_fit_accumulate(t->fit, X, Y, w) : MG_OK;
    s = mg__mpi_reduce(t, s, 0);
    mg_matrix Bv = mg_matrix_view(t->pkt + HEAD, m, k);
    if (t->rank == 0) {
        mg_lstsq_result first;
        memset(&first, 0, sizeof first);
        if (s == MG_OK)
            s = mg_fit_finish(t->fit, &Bv, &first);
        t->pkt[0] = (double)s;
        /* a rank-deficient state keeps its minimum-norm answer (the
         * semi-normal steps need a nonsingular factor), as mg_lstsq */
        t->pkt[1] = s == MG_OK && first.rank == m && o->max_refine > 0;
    }
    size_t steps = 0;
    for (;;) {
        if ((s = mg__mpi_bcast(t, HEAD + m * k)) != MG_OK)
            return s;
        s = (mg_status)t->pkt[0];
        if (s != MG_OK || t->pkt[1] == 0.0)
            break;
        if (refine_pass(t, X, Y, w, n, &Bv, &steps, o->max_refine) == MG_EIO)
            return MG_EIO;
    }
    if (s == MG_ENOCONV || s == MG_ENOTPD) {
        /* the semi-normal steps cannot prove this fit: mg_lstsq's
         * Householder QR with Q, on the ranks (lstsq_q.c); every rank
         * knows s from rank 0's packet */
        s = mg__mpi_lstsq_q(t, X, Y, w, n, m, k, o->intercept ? 1 : 0, o->rank_tol,
                            o->max_refine, s);
        if (s != MG_OK)
            return s;
        if ((s = mg__mpi_bcast(t, t->npkt)) != MG_OK)
            return s;
        return (mg_status)t->pkt[0];
    }
    if (s != MG_OK)
        return s;
    if (t->rank == 0)
        final_stats(t, m, k);
    if ((s = mg__mpi_bcast(t, t->npkt)) != MG_OK)
        return s;
    return (mg_status)t->pkt[0];
}

mg_status mg_mpi_lstsq(MPI_Comm comm, const mg_matrix *X, const mg_matrix *Y, const mg_matrix *w,
                       const mg_mpi_lstsq_options *opt, mg_matrix *B, mg_lstsq_result *res)
{
    const mg_mpi_lstsq_options o = opt ? *opt : mg_mpi_lstsq_defaults();
    size_t n = 0;
    mg_status s = check_args(X, Y, w, &o, B, res, &n);
    const size_t c = o.intercept ? 1u : 0u, m = s == MG_OK ? B->rows : 1, k = s == MG_OK ? B->cols : 1;
    mg_fit_options fo = mg_fit_defaults();
    fo.kind = MG_FIT_QR;
    fo.intercept = (int)c;
    fo.rank_tol = o.rank_tol;
    /* the packet: the head, B and std_err (m x k each), three k-vectors */
    const size_t lim = SIZE_MAX / sizeof(double) - HEAD;
    if (s == MG_OK && (lim / k < 3 || m > (lim / k - 3) / 2))
        s = MG_ENOMEM;
    const size_t npkt = s == MG_OK ? HEAD + 2 * m * k + 3 * k : 0;
    /* what every rank must pass alike */
    const double shape[] = { (double)m, (double)k, (double)c, o.rank_tol, (double)o.max_refine };
    mg__mpi_fit t;
    s = mg__mpi_open(&t, comm, s, m - c, k, &fo, npkt, shape, sizeof shape / sizeof shape[0]);
    if (s == MG_OK)
        s = run(&t, X, Y, w, n, m, k, &o);
    if (s == MG_OK)
        write_outputs(&t, B, res);
    mg__mpi_close(&t);
    return s;
}
