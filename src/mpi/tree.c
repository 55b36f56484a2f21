/* SPDX-License-Identifier: BSD-3-Clause */
/* The fixed binary reduction tree of the MPI layer (docs/mpi.md): rank r
 * sends its state to r - 2^l at the level l where r mod 2^(l+1) == 2^l,
 * after merging the states of its own children (r + 1, r + 2, r + 4, ...,
 * in that order; mg__mpi_tree_node).  Depth ceil(log2 P); the merge order
 * is a function of P alone, so the result never depends on which message
 * arrives first. */
#include "mpi_internal.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { TAG = 0x6d67, HEADER = 8 };

/* The largest image a state of this shape saves: the one with the
 * refinement sums, measured on the spare state (an empty state may begin
 * a refinement with any B), which is then emptied again.  A kind that
 * refuses to begin (a ridge) never sends refinement sums: its plain
 * image is the largest. */
static mg_status image_cap(mg_fit *spare, size_t m, size_t k, size_t *cap)
{
    size_t plain = 0, refining = 0;
    if (mg_fit_save_size(spare, &plain) != MG_OK)
        return MG_EINVAL;
    double *zero = calloc(m * k, sizeof *zero);
    if (!zero)
        return MG_ENOMEM;
    mg_matrix B = mg_matrix_view(zero, m, k);
    if (mg_fit_refine_begin(spare, &B) == MG_OK && mg_fit_save_size(spare, &refining) != MG_OK)
        refining = 0;
    free(zero);
    *cap = HEADER + (plain > refining ? plain : refining);
    return mg_fit_reset(spare);
}

static mg_status create(mg__mpi_fit *t, size_t p, size_t k, const mg_fit_options *fo, size_t npkt)
{
    mg_status s = MG_OK;
    if (fo) {
        s = mg_fit_create(p, k, fo, &t->fit);
        if (s == MG_OK)
            s = mg_fit_create(p, k, fo, &t->child);
        const size_t m = p + (fo->intercept ? 1u : 0u);
        if (s == MG_OK)
            s = image_cap(t->child, m, k, &t->cap);
    } else {
        /* no states: the buffer receives a child's packet (mg__mpi_sum) */
        t->cap = npkt * sizeof(double);
    }
    /* MPI counts are int */
    if (s == MG_OK && (t->cap > INT_MAX || npkt > INT_MAX))
        s = MG_ENOMEM;
    if (s == MG_OK) {
        t->buf = malloc(t->cap);
        t->pkt = calloc(npkt, sizeof *t->pkt);
        t->npkt = npkt;
        s = t->buf && t->pkt ? MG_OK : MG_ENOMEM;
    }
    return s;
}

/* One Allreduce (MAX) of [status, shape, -shape]: the worst status, and
 * equal maxima of shape and -shape exactly when every rank sent the same. */
static mg_status agree(mg__mpi_fit *t, mg_status local, const double *shape, size_t nshape)
{
    enum { MAXSHAPE = 8 };
    double v[1 + 2 * MAXSHAPE];
    if (nshape > MAXSHAPE)
        return MG_EINVAL; /* a programming error, the same on every rank */
    v[0] = (double)local;
    for (size_t i = 0; i < nshape; i++) {
        v[1 + i] = local == MG_OK ? shape[i] : 0.0;
        v[1 + nshape + i] = -v[1 + i];
    }
    const int n = (int)(1 + 2 * nshape);
    if (MPI_Allreduce(MPI_IN_PLACE, v, n, MPI_DOUBLE, MPI_MAX, t->comm) != MPI_SUCCESS)
        return MG_EIO;
    if (v[0] != (double)MG_OK)
        return (mg_status)v[0];
    for (size_t i = 0; i < nshape; i++)
        if (v[1 + i] != -v[1 + nshape + i])
            return MG_EDIM;
    return MG_OK;
}

mg_status mg__mpi_open(mg__mpi_fit *t, MPI_Comm comm, mg_status local, size_t p, size_t k,
                       const mg_fit_options *fo, size_t npkt, const double *shape, size_t nshape)
{
    memset(t, 0, sizeof *t);
    t->comm = MPI_COMM_NULL;
    if (MPI_Comm_dup(comm, &t->comm) != MPI_SUCCESS || MPI_Comm_rank(t->comm, &t->rank) != MPI_SUCCESS
        || MPI_Comm_size(t->comm, &t->size) != MPI_SUCCESS)
        return MG_EIO;
    if (local == MG_OK)
        local = create(t, p, k, fo, npkt);
    return agree(t, local, shape, nshape);
}

void mg__mpi_close(mg__mpi_fit *t)
{
    mg_fit_free(t->fit);
    mg_fit_free(t->child);
    free(t->buf);
    free(t->pkt);
    if (t->comm != MPI_COMM_NULL)
        MPI_Comm_free(&t->comm);
    memset(t, 0, sizeof *t);
}

static mg_status send_state(mg__mpi_fit *t, mg_status s, int dest, const mg__mpi_image *im)
{
    size_t len = 0;
    if (s == MG_OK)
        s = im->save(im->ctx, t->buf + HEADER, t->cap - HEADER, &len);
    if (s != MG_OK)
        len = 0;
    const int64_t code = (int64_t)s;
    memcpy(t->buf, &code, sizeof code);
    if (MPI_Send(t->buf, (int)(HEADER + len), MPI_BYTE, dest, TAG, t->comm) != MPI_SUCCESS)
        return MG_EIO;
    return s;
}

static mg_status recv_merge(mg__mpi_fit *t, mg_status s, int src, const mg__mpi_image *im)
{
    MPI_Status st;
    int count = 0;
    if (MPI_Recv(t->buf, (int)t->cap, MPI_BYTE, src, TAG, t->comm, &st) != MPI_SUCCESS
        || MPI_Get_count(&st, MPI_BYTE, &count) != MPI_SUCCESS || count < HEADER)
        return MG_EIO;
    int64_t code;
    memcpy(&code, t->buf, sizeof code);
    if (code < 0 || code > (int64_t)MG_ERANGE)
        return MG_EIO;
    s = mg__mpi_worse(s, (mg_status)code);
    if (s != MG_OK)
        return s;
    return im->absorb(im->ctx, t->buf + HEADER, (size_t)count - HEADER, 1);
}

/* The fit states' image operations (mg__mpi_reduce, mg__mpi_share_state). */
typedef struct fit_ops {
    mg__mpi_fit *t;
    int refine;
} fit_ops;

static mg_status fit_save(void *ctx, unsigned char *buf, size_t cap, size_t *len)
{
    const fit_ops *f = ctx;
    return mg_fit_save(f->t->fit, buf, cap, len);
}

static mg_status fit_absorb(void *ctx, const unsigned char *buf, size_t len, int merge)
{
    const fit_ops *f = ctx;
    if (!merge)
        return mg_fit_load(f->t->fit, buf, len);
    mg_status s = mg_fit_load(f->t->child, buf, len);
    if (s == MG_OK)
        s = f->refine ? mg_fit_refine_merge(f->t->fit, f->t->child)
                      : mg_fit_merge(f->t->fit, f->t->child);
    return s;
}

mg__mpi_node mg__mpi_tree_node(int rank, int size)
{
    mg__mpi_node nd = { -1, 0, { 0 } };
    for (long step = 1; step < size; step *= 2) {
        if (rank % (2 * step) == step) {
            nd.parent = (int)(rank - step);
            break;
        }
        if (rank + step < size)
            nd.child[nd.nch++] = (int)(rank + step);
    }
    return nd;
}

mg_status mg__mpi_reduce_image(mg__mpi_fit *t, mg_status s, const mg__mpi_image *im)
{
    const mg__mpi_node nd = mg__mpi_tree_node(t->rank, t->size);
    for (int i = 0; i < nd.nch; i++) {
        const mg_status r = recv_merge(t, s, nd.child[i], im);
        if (r == MG_EIO)
            return r; /* the protocol is broken: no agreement possible */
        s = r;
    }
    return nd.parent >= 0 ? send_state(t, s, nd.parent, im) : s;
}

mg_status mg__mpi_reduce(mg__mpi_fit *t, mg_status s, int refine)
{
    fit_ops f = { t, refine };
    const mg__mpi_image im = { fit_save, fit_absorb, &f };
    return mg__mpi_reduce_image(t, s, &im);
}

mg_status mg__mpi_sum(mg__mpi_fit *t)
{
    const int n = (int)t->npkt;
    double *child = (double *)(void *)t->buf;
    const mg__mpi_node nd = mg__mpi_tree_node(t->rank, t->size);
    for (int c = 0; c < nd.nch; c++) {
        if (MPI_Recv(child, n, MPI_DOUBLE, nd.child[c], TAG, t->comm, MPI_STATUS_IGNORE) !=
            MPI_SUCCESS)
            return MG_EIO;
        t->pkt[0] = t->pkt[0] > child[0] ? t->pkt[0] : child[0];
        for (int i = 1; i < n; i++)
            t->pkt[i] += child[i];
    }
    if (nd.parent >= 0 &&
        MPI_Send(t->pkt, n, MPI_DOUBLE, nd.parent, TAG, t->comm) != MPI_SUCCESS)
        return MG_EIO;
    return mg__mpi_bcast(t, t->npkt);
}

mg_status mg__mpi_bcast(mg__mpi_fit *t, size_t n)
{
    return MPI_Bcast(t->pkt, (int)n, MPI_DOUBLE, 0, t->comm) == MPI_SUCCESS ? MG_OK : MG_EIO;
}

mg_status mg__mpi_attach(mg__mpi_fit *t, MPI_Comm comm, mg_fit *fit, mg_fit *spare, size_t m,
                         size_t k)
{
    memset(t, 0, sizeof *t);
    t->comm = comm;
    t->fit = fit;
    t->child = spare;
    if (MPI_Comm_rank(comm, &t->rank) != MPI_SUCCESS || MPI_Comm_size(comm, &t->size) != MPI_SUCCESS)
        return MG_EIO;
    mg_status s = image_cap(spare, m, k, &t->cap);
    if (s == MG_OK && t->cap > INT_MAX)
        s = MG_ENOMEM;   /* MPI counts are int */
    if (s == MG_OK && !(t->buf = malloc(t->cap)))
        s = MG_ENOMEM;
    return s;
}

void mg__mpi_detach(mg__mpi_fit *t)
{
    free(t->buf);
    memset(t, 0, sizeof *t);
    t->comm = MPI_COMM_NULL;
}

mg_status mg__mpi_share_state(mg__mpi_fit *t, mg_status s)
{
    fit_ops f = { t, 0 };
    const mg__mpi_image im = { fit_save, fit_absorb, &f };
    return mg__mpi_share_image(t, s, &im);
}

mg_status mg__mpi_share_image(mg__mpi_fit *t, mg_status s, const mg__mpi_image *im)
{
    /* rank 0: [status, image length] then the image; the others load it */
    int64_t head[2] = { (int64_t)s, 0 };
    size_t len = 0;
    if (t->rank == 0 && s == MG_OK) {
        s = im->save(im->ctx, t->buf, t->cap, &len);
        head[0] = (int64_t)s;
        head[1] = (int64_t)len;
    }
    if (MPI_Bcast(head, 2, MPI_INT64_T, 0, t->comm) != MPI_SUCCESS)
        return MG_EIO;
    if (head[0] < 0 || head[0] > (int64_t)MG_ERANGE || head[1] < 0 || (uint64_t)head[1] > t->cap)
        return MG_EIO;
    if (head[0] != (int64_t)MG_OK)
        return (mg_status)head[0];
    if (MPI_Bcast(t->buf, (int)head[1], MPI_BYTE, 0, t->comm) != MPI_SUCCESS)
        return MG_EIO;
    s = t->rank == 0 ? MG_OK : im->absorb(im->ctx, t->buf, (size_t)head[1], 0);
    /* a load that fails on one rank (memory is not involved: the states
     * are made) would leave the ranks apart: agree once more */
    int64_t worst = (int64_t)s;
    if (MPI_Allreduce(MPI_IN_PLACE, &worst, 1, MPI_INT64_T, MPI_MAX, t->comm) != MPI_SUCCESS)
        return MG_EIO;
    return (mg_status)worst;
}

mg_status mg__mpi_attach_image(mg__mpi_fit *t, MPI_Comm comm, size_t image)
{
    memset(t, 0, sizeof *t);
    t->comm = comm;
    if (MPI_Comm_rank(comm, &t->rank) != MPI_SUCCESS || MPI_Comm_size(comm, &t->size) != MPI_SUCCESS)
        return MG_EIO;
    if (image > (size_t)(INT_MAX - HEADER))
        return MG_ENOMEM;   /* MPI counts are int */
    t->cap = HEADER + image;
    return (t->buf = malloc(t->cap)) ? MG_OK : MG_ENOMEM;
}

mg_status mg__mpi_check_rows(const mg_matrix *X, const mg_matrix *Y, const mg_matrix *w, size_t p,
                             size_t k, size_t *n)
{
    *n = 0;
    if (!Y)
        return MG_OK;
    mg_status s = mg_matrix_check(Y);
    if (s != MG_OK)
        return s;
    if (Y->cols != k)
        return MG_EDIM;
    if (p > 0 || X) {
        if (!X)
            return MG_EINVAL;
        if ((s = mg_matrix_check(X)) != MG_OK)
            return s;
        if (X->rows != Y->rows || X->cols != p)
            return MG_EDIM;
    }
    if (w) {
        if ((s = mg_matrix_check(w)) != MG_OK)
            return s;
        if (w->rows != Y->rows || w->cols != 1)
            return MG_EDIM;
    }
    *n = Y->rows;
    return MG_OK;
}
