/* SPDX-License-Identifier: BSD-3-Clause */
/* mg_mpi_lstsq's Householder path: where the engine declines an
 * unweighted full-rank fit (MG_ENOCONV / MG_ENOTPD: kappa too large for
 * its semi-normal steps, e.g. NIST Filip), the ranks do what mg_lstsq does
 * on one process: Householder QR with Q and Bjorck's refinement of the
 * augmented system (docs/mpi.md, "Householder QR with Q on ranks").
 *
 * The numerics are the core library's (src/lstsq/tsqr.h, the private ABI:
 * leaf and node factors, Q^T and Q applied block by block, the
 * double-double residual sums of one rank's rows, the refinement loop
 * itself); this file only moves their vectors along the fixed tree of
 * tree.c (rank r with r mod 2^(l+1) = 2^l sends to r - 2^l at level l):
 *   - R: leaf factors merge up the tree, node by node (dtpqrt);
 *   - per refinement step: the partial sums of g = c - D Z^T r (double-
 *     double pairs) up the tree and g back down by broadcast; Q^T f's top
 *     entries up the tree, rank 0's correction dx and Q [v; 0] down it;
 *   - the sums of y, (y - mean)^2 and the residuals' squares (long double,
 *     sent as exact pairs of doubles) up the tree.
 * Every rank runs the refinement loop on the same p-vectors (g and dx come
 * from rank 0), so every rank takes the same decisions.  A message carries
 * its sender's status first; a solve ends with one Allreduce of the
 * status, so a LAPACK failure on any rank is every rank's. */
#include "mpi_internal.h"
#include "../lstsq/tsqr.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { TAG_Q = 0x6d71 };

/* One collective Householder fit. */
typedef struct qfit {
    MPI_Comm comm;
    int rank, size;
    mg__mpi_node node;   /* this rank's children and parent in the tree */
    mg__tsqr q;
    size_t n, p, N;      /* this rank's rows, coefficients, all rows */
    size_t len;          /* payload doubles of the message buffers */
    size_t cur;          /* payload doubles of the pass under way */
    double *send, *recv; /* 1 + len doubles each: status, payload */
    double *top, *dxu, *hilo, *sums, *ysum; /* p, 2 p, 2 p, 4 k, 2 k */
    double *x, *r, *resid, *loop, *cov, *vdiag, *bs; /* the refinement's vectors */
} qfit;

/* ---- messages along the tree ---- */

static mg_status code_of(double c)
{
    return (c >= 0.0 && c <= (double)MG_ERANGE) ? (mg_status)c : MG_EIO;
}

/* combine(ctx, i, mine, theirs): child i's payload into this rank's. */
typedef mg_status (*combine_fn)(qfit *f, int i, double *mine, double *theirs);

/* Up the tree: each rank merges its children's payloads into mine (len
 * doubles), in the tree's order (mg__mpi_tree_node), then sends to its
 * parent.  Statuses ride in front; a failed subtree is forwarded, not
 * merged.  Returns the worst status of the subtree (rank 0: of every
 * rank). */
static mg_status up(qfit *f, mg_status s, double *mine, size_t len, combine_fn combine)
{
    const mg__mpi_node *nd = &f->node;
    f->cur = len;
    for (int i = 0; i < nd->nch; i++) {
        if (MPI_Recv(f->recv, (int)(len + 1), MPI_DOUBLE, nd->child[i], TAG_Q, f->comm,
                     MPI_STATUS_IGNORE) != MPI_SUCCESS)
            return MG_EIO;
        s = mg__mpi_worse(s, code_of(f->recv[0]));
        if (s == MG_OK)
            s = combine(f, i, mine, f->recv + 1);
    }
    if (nd->parent < 0)
        return s;
    f->send[0] = (double)s;
    memcpy(f->send + 1, mine, len * sizeof *mine);
    if (MPI_Send(f->send, (int)(len + 1), MPI_DOUBLE, nd->parent, TAG_Q, f->comm) != MPI_SUCCESS)
        return MG_EIO;
    return s;
}

/* Rank 0's status and len doubles of payload to every rank. */
static mg_status bcast(qfit *f, mg_status s, double *payload, size_t len)
{
    f->send[0] = (double)s;
    if (f->rank == 0)
        memcpy(f->send + 1, payload, len * sizeof *payload);
    if (MPI_Bcast(f->send, (int)(len + 1), MPI_DOUBLE, 0, f->comm) != MPI_SUCCESS)
        return MG_EIO;
    memcpy(payload, f->send + 1, len * sizeof *payload);
    return code_of(f->send[0]);
}

/* The worst of every rank's status. */
static mg_status agree(qfit *f, mg_status s)
{
    int v = (int)s;
    if (MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_INT, MPI_MAX, f->comm) != MPI_SUCCESS)
        return MG_EIO;
    return (mg_status)v;
}

/* ---- the payloads' merges ---- */

static mg_status merge_r(qfit *f, int i, double *mine, double *theirs)
{
    (void)i;
    (void)mine; /* mine is f->q.R, updated by the node */
    return mg__tsqr_node(&f->q, theirs);
}

static mg_status merge_qt(qfit *f, int i, double *mine, double *theirs)
{
    /* the child's top is the node's bottom block, dropped afterwards: the
     * correction needs Q [v; 0] only, whose bottoms are zero */
    return mg__tsqr_node_qt(&f->q, (size_t)i, mine, theirs);
}

static mg_status merge_dd(qfit *f, int i, double *mine, double *theirs)
{
    (void)i;
    mg__tsqr_dd_add(mine, theirs, f->p);
    return MG_OK;
}

/* Long double sums travel as exact pairs (hi, lo): hi = fl(s), lo = s - hi
 * (exact: s has 64 significant bits, hi the leading 53). */
static void ld_pack(long double s, double *pair)
{
    pair[0] = (double)s;
    pair[1] = (double)(s - (long double)pair[0]);
}

static long double ld_unpack(const double *pair)
{
    return (long double)pair[0] + (long double)pair[1];
}

static mg_status merge_ld(qfit *f, int i, double *mine, double *theirs)
{
    (void)i;
    for (size_t j = 0; j < f->cur / 2; j++)
        ld_pack(ld_unpack(mine + 2 * j) + ld_unpack(theirs + 2 * j), mine + 2 * j);
    return MG_OK;
}

/* ---- the refinement's operations (tsqr.h, mg__refine_ops) ---- */

static mg_status op_residuals(void *ctx, const double *y, size_t ys, const double *c,
                              const double *x, const double *r, double *fv, double *g,
                              double *bt)
{
    qfit *f = ctx;
    mg__tsqr_residuals(&f->q, y, ys, x, r, fv, bt, g ? f->hilo : NULL);
    if (!g)
        return MG_OK;
    /* g = c - D sum_r Zd_r^T r_r: the ranks' double-double sums merged in
     * the tree's order, rounded once on rank 0, sent to every rank */
    mg_status s = up(f, MG_OK, f->hilo, 2 * f->p, merge_dd);
    if (s == MG_EIO)
        return s;
    if (f->rank == 0 && s == MG_OK)
        mg__tsqr_g(&f->q, c, f->hilo, g);
    return bcast(f, s, g, f->p);
}

/* Q [u; 0] down the tree from this rank's nodes (last merged first), each
 * child getting its block with dx; then this rank's leaf. */
static mg_status down(qfit *f, mg_status s, double *dxu, const double *fv, double *dr)
{
    const size_t p = f->p;
    double *dx = dxu, *u = dxu + p;
    if (f->node.parent >= 0) {
        if (MPI_Recv(f->recv, (int)(2 * p + 1), MPI_DOUBLE, f->node.parent, TAG_Q, f->comm,
                     MPI_STATUS_IGNORE) != MPI_SUCCESS)
            return MG_EIO;
        s = code_of(f->recv[0]);
        memcpy(dxu, f->recv + 1, 2 * p * sizeof *dxu);
    }
    for (int i = f->node.nch - 1; i >= 0; i--) {
        double *ub = f->send + 1 + p;
        if (s == MG_OK)
            s = mg__tsqr_node_q(&f->q, (size_t)i, u, ub);
        f->send[0] = (double)s;
        memcpy(f->send + 1, dx, p * sizeof *dx);
        if (MPI_Send(f->send, (int)(2 * p + 1), MPI_DOUBLE, f->node.child[i], TAG_Q, f->comm) !=
            MPI_SUCCESS)
            return MG_EIO;
    }
    if (s == MG_OK)
        s = mg__tsqr_leaf_q(&f->q, fv, u, dr);
    return s;
}

static mg_status op_solve(void *ctx, const double *fv, const double *g, double *dr, double *dx)
{
    qfit *f = ctx;
    const size_t p = f->p;
    double *dxu = f->dxu; /* dx, then this rank's block of Q [v; 0] */
    /* Q^T f: the tops go up the tree */
    mg_status s = mg__tsqr_leaf_qt(&f->q, fv, f->top);
    s = up(f, s, f->top, p, merge_qt);
    if (s == MG_EIO)
        return s;
    if (f->rank == 0 && s == MG_OK)
        mg__tsqr_root_solve(&f->q, f->top, g, dxu, dxu + p);
    s = down(f, s, dxu, fv, dr);
    if (s == MG_EIO)
        return s;
    memcpy(dx, dxu, p * sizeof *dx);
    return agree(f, s);
}

static void op_resid_update(void *ctx, const double *x, const double *bt, double *res,
                            double *delta)
{
    qfit *f = ctx;
    mg__tsqr_resid_update(&f->q, x, bt, res, delta);
}

/* ---- set-up ---- */

static void release(qfit *f)
{
    mg__tsqr_free(&f->q);
    free(f->send); free(f->recv); free(f->top); free(f->x);
}

/* Everything the fit needs, allocated before any message of the fit. */
static mg_status allocate(qfit *f, const mg_matrix *X, int intercept, size_t k, const double *mx)
{
    const size_t n = f->n, p = f->p;
    mg_status s = mg__tsqr_create(&f->q, X, intercept, n, p, (size_t)f->node.nch, mx);
    f->len = p * p > 2 * p ? p * p : 2 * p;
    if (f->len < 4 * k)
        f->len = 4 * k;
    if (s == MG_OK && (p > 46340 || k > (size_t)INT_MAX / 4 - 1))
        s = MG_ENOMEM; /* MPI counts are int: p^2 + 1 and 4 k + 1 doubles */
    f->send = malloc((f->len + 1) * sizeof *f->send);
    f->recv = malloc((f->len + 1) * sizeof *f->recv);
    /* top, dxu (2 p), hilo (2 p), vdiag, bs (p k), sums (4 k), ysum (2 k) */
    f->top = malloc((6 * p + p * k + 6 * k) * sizeof *f->top);
    /* x, r, resid, the loop's and the variances' scratch */
    f->x = malloc((p + 2 * n + MG__REFINE_OPS_SCRATCH(n, p) + MG__COV_REFINE_SCRATCH(n, p) + 1) *
                  sizeof *f->x);
    if (s != MG_OK || !f->send || !f->recv || !f->top || !f->x)
        return s != MG_OK ? s : MG_ENOMEM;
    f->dxu = f->top + p;
    f->hilo = f->dxu + 2 * p;
    f->vdiag = f->hilo + 2 * p;
    f->bs = f->vdiag + p;
    f->sums = f->bs + p * k;
    f->ysum = f->sums + 4 * k;
    f->r = f->x + p;
    f->resid = f->r + n;
    f->loop = f->resid + n;
    f->cov = f->loop + MG__REFINE_OPS_SCRATCH(n, p);
    return MG_OK;
}

/* R up the tree, then rank 0's verdict to every rank: [status, full rank
 * proven, rcond].  Full rank as mg__lsq_qr proves it without pivoting:
 * rcond >= 10 p tol (tol = rank_tol, default max(N, p) eps). */
static mg_status factor(qfit *f, mg_status s, double rank_tol, int *full, double *rcond)
{
    if (s == MG_OK)
        s = mg__tsqr_leaf(&f->q);
    s = up(f, s, f->q.R, f->p * f->p, merge_r);
    if (s == MG_EIO)
        return s;
    double verdict[2] = { 0.0, 0.0 };
    if (f->rank == 0 && s == MG_OK) {
        s = mg__tsqr_rcond(&f->q, &verdict[1]);
        const double tol = rank_tol > 0.0 ? rank_tol
                                          : (double)(f->N > f->p ? f->N : f->p) * DBL_EPSILON;
        verdict[0] = f->N >= f->p && verdict[1] >= 10.0 * (double)f->p * tol;
    }
    s = bcast(f, s, verdict, 2);
    *full = verdict[0] != 0.0;
    *rcond = verdict[1];
    return s;
}

/* 1 if the model has a constant: the intercept, or a column of X constant
 * and nonzero over every rank's rows (mg__lsq_has_constant_column). */
static mg_status centred(qfit *f, const mg_matrix *X, int intercept, int *out)
{
    *out = intercept != 0;
    const size_t nx = f->p - (intercept ? 1u : 0u);
    if (intercept || nx == 0)
        return MG_OK; /* the same on every rank */
    double *v = malloc(3 * nx * sizeof *v);
    /* a failed allocation joins the reduction as "not constant" and a status */
    int ok = v != NULL;
    for (size_t j = 0; ok && j < nx; j++) {
        const double a = f->n ? X->data[j] : -INFINITY; /* rows: X is n x nx */
        int same = 1;
        for (size_t i = 1; i < f->n && same; i++)
            same = X->data[i * X->stride + j] == a;
        v[j] = a;
        v[nx + j] = f->n ? -a : -INFINITY;
        v[2 * nx + j] = same ? 0.0 : 1.0;
    }
    double bad = ok ? 0.0 : 1.0;
    if (MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_DOUBLE, MPI_MAX, f->comm) != MPI_SUCCESS) {
        free(v);
        return MG_EIO;
    }
    if (bad != 0.0) {
        free(v);
        return MG_ENOMEM;
    }
    if (MPI_Allreduce(MPI_IN_PLACE, v, (int)(3 * nx), MPI_DOUBLE, MPI_MAX, f->comm) !=
        MPI_SUCCESS) {
        free(v);
        return MG_EIO;
    }
    for (size_t j = 0; j < nx; j++)
        if (v[2 * nx + j] == 0.0 && v[j] == -v[nx + j] && v[j] != 0.0)
            *out = 1;
    free(v);
    return MG_OK;
}

/* ---- the fit ---- */

static void make_ops(qfit *f, size_t max_refine, double rcond, mg__refine_ops *ops)
{
    ops->n = f->n;
    ops->p = f->p;
    ops->full = 1;
    ops->max_refine = max_refine;
    ops->rho = mg__lsq_rho(f->p, rcond);
    ops->residuals = op_residuals;
    ops->solve = op_solve;
    ops->resid_update = op_resid_update;
    ops->ctx = f;
}

/* Each output refined to the exact solution (scaled coordinates into
 * f->bs, p x k), and the sums of the statistics into f->sums: per output,
 * the pairs of TSS about the mean (or zero) and of RSS, in long double,
 * merged up the tree; rank 0 holds the totals. */
static mg_status solve_outputs(qfit *f, const mg__refine_ops *ops, const mg_matrix *Y, size_t k,
                               int centre, size_t *steps)
{
    const size_t n = f->n, p = f->p;
    double *sums = f->sums, *ysum = f->ysum;
    *steps = 0;
    for (size_t c = 0; c < k; c++) {
        const double *y = n ? Y->data + c : NULL;
        size_t nst = 0;
        double delta;
        /* resid: y - Zd D x of the returned x, this rank's rows */
        const mg_status s = mg__lsq_refine_ops(ops, y, n ? Y->stride : 1, NULL, f->x, f->r,
                                               f->loop, &nst, &delta, f->resid);
        if (s != MG_OK)
            return s; /* the same on every rank, as the loop's decisions */
        *steps = nst > *steps ? nst : *steps;
        for (size_t j = 0; j < p; j++)
            f->bs[j * k + c] = f->x[j];
        ld_pack(mg__tsqr_sumsq(f->resid, n, 1, 0.0), sums + 4 * c + 2);
    }
    /* TSS as mg__lsq_tss: the mean in long double (a first pass), then the
     * squares of the exactly formed deviations */
    mg_status s = MG_OK;
    for (size_t c = 0; c < k; c++)
        ysum[c] = 0.0;
    if (centre) {
        for (size_t c = 0; c < k; c++)
            ld_pack(mg__tsqr_sum(n ? Y->data + c : NULL, n, n ? Y->stride : 1), ysum + 2 * c);
        s = up(f, MG_OK, ysum, 2 * k, merge_ld);
        if (s == MG_EIO)
            return s;
        for (size_t c = 0; f->rank == 0 && c < k; c++)
            ysum[c] = (double)(ld_unpack(ysum + 2 * c) / (long double)f->N);
        if ((s = bcast(f, s, ysum, k)) != MG_OK)
            return s; /* ysum[c]: output c's mean, on every rank */
    }
    for (size_t c = 0; c < k; c++)
        ld_pack(mg__tsqr_sumsq(n ? Y->data + c : NULL, n, n ? Y->stride : 1, ysum[c]),
                sums + 4 * c);
    return up(f, s, sums, 4 * k, merge_ld);
}

/* The diagonal of (Z^T Z)^-1 into f->vdiag (rank 0's is the one used):
 * from R, refined as mg_lstsq refines it, every rank taking part. */
static mg_status variances(qfit *f, const mg__refine_ops *ops, double rcond)
{
    if (f->rank == 0)
        mg__tsqr_cov_diag(&f->q, f->vdiag);
    else
        memset(f->vdiag, 0, f->p * sizeof *f->vdiag);
    if (!mg__tsqr_cov_needs_refining(f->N, f->p, rcond))
        return MG_OK;
    return mg__lsq_cov_refine_ops(ops, f->q.scale, f->q.scale_lo, f->vdiag, f->cov);
}

/* Rank 0: the packet of mg_mpi_lstsq (lstsq.c) from the merged sums. */
static void fill_packet(qfit *f, double *pkt, size_t k, int centre, double rcond, size_t steps)
{
    const size_t p = f->p, df = f->N - p;
    double *b = pkt + MG__MPI_LSTSQ_HEAD, *se = b + p * k, *sd = se + p * k, *r2 = sd + k,
           *adj = r2 + k;
    for (size_t c = 0; c < k; c++)
        mg__tsqr_summary(ld_unpack(f->sums + 4 * c + 2), ld_unpack(f->sums + 4 * c), df,
                         f->N - (centre ? 1u : 0u), &sd[c], &r2[c], &adj[c]);
    mg_status s = MG_OK;
    for (size_t j = 0; j < p; j++) {
        /* se = sd d_j sqrt(v_j) in long double (d_j may be up to 2^1074);
         * b = D x, exact: D holds powers of two */
        const long double dj = (long double)f->q.scale[j] * f->q.scale_lo[j];
        for (size_t c = 0; c < k; c++) {
            se[j * k + c] = (double)(sd[c] * dj * sqrtl(fmax(f->vdiag[j], 0.0)));
            b[j * k + c] = (f->bs[j * k + c] * f->q.scale[j]) * f->q.scale_lo[j];
            if (!isfinite(b[j * k + c]))
                s = MG_ENONFINITE;
        }
    }
    pkt[0] = (double)s;
    pkt[1] = (double)p;
    pkt[2] = rcond;
    pkt[3] = (double)steps;
    pkt[4] = (double)MG_LSTSQ_QR;
    pkt[5] = (double)df;
}

/* Survey, allocation, R; then the outputs and the statistics. */
static mg_status fit(qfit *f, const mg_matrix *X, const mg_matrix *Y, const mg_matrix *w, size_t k,
                     int intercept, double rank_tol, size_t max_refine, mg_status engine,
                     double *pkt)
{
    const size_t p = f->p;
    double *mx = malloc((p + 2) * sizeof *mx);
    /* [weighted, status] first: a rank whose allocation failed still joins */
    double head[2] = { w && f->n > 0, mx ? (double)MG_OK : (double)MG_ENOMEM };
    if (mx && !mg__tsqr_colmax(X, intercept, f->n, p, mx))
        head[1] = (double)MG_ENONFINITE;
    uint64_t N = (uint64_t)f->n;
    mg_status s = MG_OK;
    if (MPI_Allreduce(MPI_IN_PLACE, head, 2, MPI_DOUBLE, MPI_MAX, f->comm) != MPI_SUCCESS ||
        MPI_Allreduce(MPI_IN_PLACE, &N, 1, MPI_UINT64_T, MPI_SUM, f->comm) != MPI_SUCCESS)
        s = MG_EIO;
    f->N = (size_t)N;
    /* weighted fits keep the engine's answer, as mg_lstsq's; so does a
     * wide design (rank-deficient: the engine's minimum-norm answer) */
    if (s == MG_OK && (head[0] != 0.0 || f->N < p))
        s = engine;
    else if (s == MG_OK)
        s = code_of(head[1]);
    if (s == MG_OK &&
        MPI_Allreduce(MPI_IN_PLACE, mx, (int)p, MPI_DOUBLE, MPI_MAX, f->comm) != MPI_SUCCESS)
        s = MG_EIO;
    if (s != MG_OK) {
        free(mx);
        return s;
    }
    s = allocate(f, X, intercept, k, mx);
    free(mx);
    /* every rank holds its buffers before the first message along the tree */
    if ((s = agree(f, s)) != MG_OK)
        return s;
    int full = 0, centre = 0;
    double rcond = 0.0;
    if ((s = factor(f, s, rank_tol, &full, &rcond)) != MG_OK)
        return s;
    if (!full)
        return engine; /* rank in doubt: the engine's refusal stands */
    if ((s = centred(f, X, intercept, &centre)) != MG_OK)
        return s;
    mg__refine_ops ops;
    make_ops(f, max_refine, rcond, &ops);
    size_t steps = 0;
    if ((s = solve_outputs(f, &ops, Y, k, centre, &steps)) != MG_OK)
        return s;
    if ((s = variances(f, &ops, rcond)) != MG_OK)
        return s;
    if (f->rank == 0)
        fill_packet(f, pkt, k, centre, rcond, steps);
    return MG_OK;
}

mg_status mg__mpi_lstsq_q(mg__mpi_fit *t, const mg_matrix *X, const mg_matrix *Y,
                          const mg_matrix *w, size_t n, size_t m, size_t k, int intercept,
                          double rank_tol, size_t max_refine, mg_status engine)
{
    qfit f;
    memset(&f, 0, sizeof f);
    f.comm = t->comm;
    f.rank = t->rank;
    f.size = t->size;
    f.n = n;
    f.p = m;
    f.node = mg__mpi_tree_node(f.rank, f.size);
    const mg_status s = fit(&f, n ? X : NULL, n ? Y : NULL, w, k, intercept, rank_tol,
                            max_refine, engine, t->pkt);
    release(&f);
    return s;
}
