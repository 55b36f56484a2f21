/* SPDX-License-Identifier: BSD-3-Clause */
/* The MPI layer's shared machinery: a private communicator, the ranks'
 * fit states and the fixed binary reduction tree (docs/mpi.md).  Built on
 * matgrad's public API (include/matgrad/fit.h), never src/internal.h,
 * with one exception: mg_mpi_lstsq's Householder path (lstsq_q.c) calls
 * the core library's distributed-QR kernels and refinement loop through
 * the private ABI of src/lstsq/tsqr.h (exported from libmatgrad.so, not
 * installed, for a matgrad_mpi of the same version; docs/architecture.md).
 * Making those block kernels public would freeze an interface that no
 * application needs; keeping them in the core keeps one copy of the
 * numerics, and every message stays here. */
#ifndef MATGRAD_MPI_INTERNAL_H
#define MATGRAD_MPI_INTERNAL_H

#include "matgrad/mpi.h"

#include <stddef.h>

#if defined(__GNUC__)
#define MG__MPI_MUST_USE __attribute__((warn_unused_result))
#define MG__MPI_HIDDEN __attribute__((visibility("hidden")))
#else
#define MG__MPI_MUST_USE
#define MG__MPI_HIDDEN
#endif

/* One collective fit: the duplicate communicator, this rank's state (after
 * the reduction, its subtree's), a state to load a child's image into, and
 * a message buffer (an 8-byte status, then the image). */
typedef struct mg__mpi_fit {
    MPI_Comm comm;
    int rank, size;
    mg_fit *fit, *child;
    unsigned char *buf;
    size_t cap;      /* bytes of buf: the header and the largest image */
    double *pkt;     /* broadcast packet (npkt doubles) */
    size_t npkt;
} mg__mpi_fit;

/* The worse of two statuses: the larger code, so that every rank agrees
 * on one whatever order the statuses meet in. */
static inline mg_status mg__mpi_worse(mg_status a, mg_status b)
{
    return a > b ? a : b;
}

/* Collective.  Duplicates comm; when local == MG_OK, creates the states
 * (p, k, *fo; none when fo == NULL) and the buffers (npkt doubles of
 * packet); then one
 * MPI_Allreduce agrees on the worst status of all ranks and on the nshape
 * values in shape (which must be equal on every rank: MG_EDIM otherwise).
 * Returns the agreed status, the same on every rank; call mg__mpi_close
 * whatever it returns. */
MG__MPI_HIDDEN MG__MPI_MUST_USE mg_status mg__mpi_open(mg__mpi_fit *t, MPI_Comm comm, mg_status local,
                                                      size_t p, size_t k, const mg_fit_options *fo,
                                                      size_t npkt, const double *shape,
                                                      size_t nshape);
MG__MPI_HIDDEN void mg__mpi_close(mg__mpi_fit *t);

/* A rank's place in the fixed binary reduction tree (tree.c, docs/mpi.md),
 * the one definition of its order, for every walk up or down it: the
 * children rank + 2^0, rank + 2^1, ... for each 2^l below the rank's
 * lowest set bit (rank 0: below size) with rank + 2^l < size, merged in
 * that order before the rank sends to its parent, rank minus its lowest
 * set bit (-1 for rank 0, the root).  At most 31 children: the powers of
 * two below INT_MAX. */
enum { MG__MPI_TREE_MAX_CHILDREN = 31 };
typedef struct mg__mpi_node {
    int parent;                              /* -1: the root */
    int nch;                                 /* children, in merge order: */
    int child[MG__MPI_TREE_MAX_CHILDREN];    /* their ranks */
} mg__mpi_node;
MG__MPI_HIDDEN MG__MPI_MUST_USE mg__mpi_node mg__mpi_tree_node(int rank, int size);

/* Collective.  Merges the ranks' states up the tree into rank 0's (refine:
 * the refinement sums, mg_fit_refine_merge; else the sums, mg_fit_merge).
 * s is this rank's status so far; a failed rank still sends its status
 * (without an image) and a parent that fails or receives a failure stops
 * merging but keeps forwarding.  Returns, on rank 0, the worst status of
 * all ranks; on the others, their subtree's (to be replaced by rank 0's
 * broadcast). */
MG__MPI_HIDDEN MG__MPI_MUST_USE mg_status mg__mpi_reduce(mg__mpi_fit *t, mg_status s, int refine);

/* Collective: the packets of every rank summed up the tree (element 0,
 * a status, by its maximum; the others added, children after parent in
 * the tree's fixed order: bitwise the same run to run for a given rank
 * count), then broadcast from rank 0: every rank gets the same sums. */
MG__MPI_HIDDEN MG__MPI_MUST_USE mg_status mg__mpi_sum(mg__mpi_fit *t);

/* Collective: rank 0's first n doubles of the packet to every rank. */
MG__MPI_HIDDEN MG__MPI_MUST_USE mg_status mg__mpi_bcast(mg__mpi_fit *t, size_t n);

/* The command's use of the tree (src/cli/fit_mpi.c): t takes comm as it
 * is (no duplicate; the caller owns it), the caller's states fit and spare
 * (spare: same shape and options, its content destroyed) of m
 * coefficients (intercept included) by k targets, and a message buffer for
 * the largest image.  Not collective.  mg__mpi_detach frees the buffer
 * only. */
MG__MPI_HIDDEN MG__MPI_MUST_USE mg_status mg__mpi_attach(mg__mpi_fit *t, MPI_Comm comm, mg_fit *fit,
                                                        mg_fit *spare, size_t m, size_t k);
MG__MPI_HIDDEN void mg__mpi_detach(mg__mpi_fit *t);

/* Collective, after mg__mpi_reduce: rank 0's status s and (when MG_OK)
 * its state's image to every rank, which loads it into t->fit: every rank
 * then holds rank 0's state bitwise.  Returns the agreed status. */
MG__MPI_HIDDEN MG__MPI_MUST_USE mg_status mg__mpi_share_state(mg__mpi_fit *t, mg_status s);

/* The same tree and broadcast for any state with an image (the command's
 * robust covariance, src/cli/fit_diag.c): save writes this rank's state
 * into buf (at most cap bytes; *len), absorb takes an image: a child's to
 * merge into this rank's state (merge = 1), or rank 0's to replace it
 * (merge = 0).  mg__mpi_reduce and mg__mpi_share_state are these with the
 * fit states' operations. */
typedef struct mg__mpi_image {
    mg_status (*save)(void *ctx, unsigned char *buf, size_t cap, size_t *len);
    mg_status (*absorb)(void *ctx, const unsigned char *buf, size_t len, int merge);
    void *ctx;
} mg__mpi_image;
MG__MPI_HIDDEN MG__MPI_MUST_USE mg_status mg__mpi_reduce_image(mg__mpi_fit *t, mg_status s,
                                                              const mg__mpi_image *im);
MG__MPI_HIDDEN MG__MPI_MUST_USE mg_status mg__mpi_share_image(mg__mpi_fit *t, mg_status s,
                                                             const mg__mpi_image *im);
/* Not collective: t takes comm as it is (no states) with a message buffer
 * for images of up to `image` bytes; mg__mpi_detach frees it. */
MG__MPI_HIDDEN MG__MPI_MUST_USE mg_status mg__mpi_attach_image(mg__mpi_fit *t, MPI_Comm comm,
                                                              size_t image);

/* mg_mpi_lstsq's broadcast packet (lstsq.c): [0] status [1] rank
 * [2] rcond [3] refine_steps [4] method [5] df_residual, then B (m x k,
 * row-major), std_err (m x k), residual_sd, r_squared, adj_r_squared. */
#define MG__MPI_LSTSQ_HEAD 6

/* Collective, after the engine's refusal `engine` (MG_ENOCONV or
 * MG_ENOTPD, known to every rank): mg_lstsq's Householder path on the
 * ranks (lstsq_q.c): QR with Q distributed on the tree, Bjorck's
 * refinement, the statistics.  Weighted fits (any rank's w), wide designs
 * and factors whose full rank is not proven return `engine`.  On MG_OK,
 * rank 0's t->pkt holds the packet (its status in pkt[0]), which the
 * caller broadcasts; any other return is the same on every rank. */
MG__MPI_HIDDEN MG__MPI_MUST_USE mg_status mg__mpi_lstsq_q(mg__mpi_fit *t, const mg_matrix *X,
                                                         const mg_matrix *Y, const mg_matrix *w,
                                                         size_t n, size_t m, size_t k,
                                                         int intercept, double rank_tol,
                                                         size_t max_refine, mg_status engine);

/* This rank's rows: Y == NULL means none (*n = 0); else Y n x k, X n x p
 * (NULL when p == 0), w NULL or n x 1. */
MG__MPI_HIDDEN MG__MPI_MUST_USE mg_status mg__mpi_check_rows(const mg_matrix *X, const mg_matrix *Y,
                                                            const mg_matrix *w, size_t p, size_t k,
                                                            size_t *n);

#endif /* MATGRAD_MPI_INTERNAL_H */
