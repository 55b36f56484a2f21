/* SPDX-License-Identifier: BSD-3-Clause */
/* matgrad mpi: the fit engine (fit.h) on MPI ranks, for rows spread over
 * processes.  Its own library, matgrad_mpi (pkg-config matgrad_mpi, CMake
 * matgrad::matgrad_mpi), on matgrad's public API, plus a private ABI
 * with the libmatgrad of the same version for mg_mpi_lstsq's Householder
 * path (docs/mpi.md, docs/architecture.md).
 *
 * The caller owns MPI: it calls MPI_Init before and MPI_Finalize after,
 * and passes a communicator.  Every function here is collective: every
 * rank of comm calls it, with the same shapes and options; each rank
 * passes its own block of rows (any count, zero included).  A rank with no
 * rows passes Y == NULL (X and w are then ignored).  The functions work on
 * a private duplicate of comm (MPI_Comm_dup), so their messages never meet
 * the caller's.
 *
 * Reduction tree: the ranks' states merge up a fixed binary tree, by rank
 * (at level l = 0, 1, ..., ceil(log2 P) - 1, rank r with r mod 2^(l+1) ==
 * 2^l sends its state, serialized by mg_fit_save, to rank r - 2^l, which
 * loads and merges it after its own).  Each message is one state of
 * O((intercept + p + k)^2) doubles, whatever the row count.  The order of
 * the merges depends only on the rank count P, never on message arrival,
 * so a given split of the rows over P ranks gives bitwise the same result,
 * run to run.
 *
 * Results: every rank returns the same status and, on MG_OK, the same
 * outputs, bitwise (rank 0 computes them and broadcasts them).
 *
 * Errors agree: a rank that meets bad input (a NULL or unusable view, a
 * shape or option that differs between ranks, NaN / Inf, a negative
 * weight) or a failed allocation still takes part in every message; the
 * statuses travel with the states up the tree and rank 0 broadcasts the
 * largest status code seen, which every rank returns.  Nothing deadlocks
 * and the outputs are untouched everywhere on any error.  MPI's own
 * failures go to the communicator's error handler (by default
 * MPI_ERRORS_ARE_FATAL aborts the job); if that handler returns instead,
 * the call returns MG_EIO, and agreement is then not guaranteed. */
#ifndef MATGRAD_MPI_H
#define MATGRAD_MPI_H

#include <mpi.h>

#include "core.h"
#include "fit.h"
#include "linreg.h"
#include "lstsq.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define MG_MPI_API __attribute__((visibility("default")))
#else
#define MG_MPI_API
#endif

typedef struct mg_mpi_lstsq_options {
    int intercept;      /* nonzero: an implicit leading column of ones; B gets a
                           first row (the intercept) */
    double rank_tol;    /* as mg_fit_options.rank_tol (0 = default) */
    size_t max_refine;  /* refinement passes at most (default 20); 0 = the
                           one-pass QR answer (relative error about kappa eps) */
} mg_mpi_lstsq_options;

/* No intercept, rank_tol 0 (default), max_refine 20. */
MG_MPI_API mg_mpi_lstsq_options mg_mpi_lstsq_defaults(void);

/* The accurate least-squares fit of the rows of every rank:
 * minimises sum_i w_i ||Y_i - Z_i B||^2 over all ranks' rows, with
 * Z = [1 X] (intercept) or X.  On each rank X is n x p (NULL allowed when
 * p == 0), Y is n x k, w is n x 1 weights (finite, >= 0) or NULL (all 1),
 * for that rank's n; B is (intercept + p) x k on every rank (its shape
 * gives p and k, and must agree across ranks).
 * How: each rank accumulates an MG_FIT_QR state, the states merge up the
 * tree, rank 0 finishes and broadcasts B; then, while rank 0's state is
 * full rank, refinement passes: every rank replays its rows
 * (mg_fit_refine_begin / refine_accumulate), the refinement sums (double-
 * double) merge up the same tree, rank 0 takes the step (refine_end) and
 * broadcasts B and whether it converged.  The fixed point is the exact
 * least-squares solution of the double data, as mg_fit's single-process
 * refinement: the same accuracy ceiling as one process holding every row
 * (within a few ulp per coefficient where the engine converges).
 * Where the engine declines (MG_ENOCONV / MG_ENOTPD, kappa beyond ~1e6) an
 * unweighted fit whose factor proves full rank, the ranks take mg_lstsq's
 * own path instead: Householder QR with Q, distributed on the same tree
 * (TSQR: each rank's block factored, the triangles merged node by node,
 * Q^T and Q applied block by block), and Bjorck's refinement of the
 * augmented system with double-double residuals summed across ranks;
 * B then lies within a few ulp of the exact solution up to kappa ~1e15
 * (NIST Filip), as mg_lstsq's, and res->method is MG_LSTSQ_QR.  Weighted
 * fits keep the engine's answer or refusal, as mg_lstsq with weights.
 * res (may be NULL) gets mg_fit_finish's fields and the statistics its
 * pointers ask for (std_err, residual_sd, r_squared, adj_r_squared),
 * computed once on rank 0 from the merged state and broadcast.
 * opt == NULL means mg_mpi_lstsq_defaults().
 * Errors: as mg_fit_accumulate / mg_fit_finish / mg_fit_refine_end, plus
 * MG_EINVAL (NULL or unusable B, bad options, B->rows < intercept,
 * rank_tol outside [0, 1)), MG_EDIM (a rank's X, Y or w does not conform,
 * or the ranks' shapes or options differ), MG_ENOCONV (max_refine passes
 * did not converge), MG_ENOMEM, MG_EIO (see above). */
MG_MPI_API mg_status mg_mpi_lstsq(MPI_Comm comm, const mg_matrix *X, const mg_matrix *Y,
                                  const mg_matrix *w, const mg_mpi_lstsq_options *opt,
                                  mg_matrix *B, mg_lstsq_result *res);

/* The fast path: (A^T A + ridge I) W = A^T Y over every rank's rows of A
 * (n x j) and Y (n x k); W is j x k on every rank.  One reduction of the
 * ranks' MG_FIT_GRAM states up the same tree, then rank 0's Cholesky solve
 * (mg_fit_finish), broadcast: the same W on every rank.  No refinement
 * (relative error of order j kappa(A)^2 eps, as mg_normal_solve).
 * ridge must be finite, >= 0 and the same on every rank.  Errors as
 * mg_normal_solve, except that the engine's finish refuses a Gram matrix
 * earlier (MG_ENOTPD when its equilibrated rcond < 32 (j + 1) eps, where
 * mg_normal_solve's limit is j eps); MG_EDIM when shapes differ between
 * ranks; MG_EIO as above. */
MG_MPI_API mg_status mg_mpi_normal_solve(MPI_Comm comm, const mg_matrix *A, const mg_matrix *Y,
                                         double ridge, mg_matrix *W);

/* The MSE gradient over every rank's rows (linreg.h's mg_mse_grad, N the
 * total row count):  G = -(2/N) A^T (Y - A W),  *loss (may be NULL) =
 * (1/N) ||Y - A W||_F^2.  Each rank's mg_mse_grad on its own rows, scaled
 * back to sums (n_r G_r), then one reduction of a j x k + 3 packet up the
 * tree and its broadcast: the same G and loss on every rank, bitwise the
 * same run to run for a given rank count.  W (j x k, rank 0's is used on
 * every rank) and G (j x k) must be given on every rank.  Errors as
 * mg_mse_grad; MG_EINVAL when no rank holds rows; MG_EDIM when shapes
 * differ between ranks. */
MG_MPI_API mg_status mg_mpi_mse_grad(MPI_Comm comm, const mg_matrix *A, const mg_matrix *W,
                                     const mg_matrix *Y, mg_matrix *G, double *loss);

/* Gradient descent on the rows of every rank (linreg.h's mg_gd_fit with
 * the direct strategy: one reduction of the gradient per epoch; the
 * option's strategy is not used).  Every rank starts from rank 0's W, takes
 * the same steps, calls opt->on_epoch (if set) with the same losses, and
 * returns the same W and *epochs_run.  The options must agree across
 * ranks (MG_EDIM otherwise).  Errors as mg_gd_fit, agreed by every rank. */
MG_MPI_API mg_status mg_mpi_gd_fit(MPI_Comm comm, const mg_matrix *A, const mg_matrix *Y,
                                   mg_matrix *W, const mg_gd_options *opt, size_t *epochs_run);

#ifdef __cplusplus
}
#endif

#endif /* MATGRAD_MPI_H */
