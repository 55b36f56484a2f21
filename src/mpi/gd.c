/* SPDX-License-Identifier: BSD-3-Clause */
/* The MSE gradient and gradient descent on row-partitioned A and Y
 * (include/matgrad/mpi.h).  The gradient is a sum over rows,
 *     dloss/dW = -(2/N) A^T (Y - A W) = sum_r (n_r / N) G_r,
 *     G_r = -(2/n_r) A_r^T (Y_r - A_r W)   (mg_mse_grad on rank r's rows),
 * so each step sums one packet [status, n_r G_r, n_r loss_r, n_r] of j k + 3
 * doubles up the fixed tree (src/mpi/tree.c) and broadcasts it: every rank
 * takes the same step.  The descent is mg_gd_fit's direct strategy
 * (src/linreg_gd.c): report the loss of W_e, stop at the last epoch or the
 * tolerance, else W_{e+1} = W_e - lr G. */
#include "mpi_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The packet: [0] status, [1 .. jk] n_r G_r, [jk + 1] n_r loss_r, [jk + 2] n_r. */
static void local_terms(mg__mpi_fit *t, const mg_matrix *A, const mg_matrix *Y, size_t n,
                        double *w, size_t j, size_t k)
{
    const size_t jk = j * k;
    memset(t->pkt, 0, t->npkt * sizeof *t->pkt);
    if (n == 0)
        return;
    mg_matrix Wv = mg_matrix_view(w, j, k), Gv = mg_matrix_view(t->pkt + 1, j, k);
    double loss = 0.0;
    const mg_status s = mg_mse_grad(A, &Wv, Y, &Gv, &loss);
    if (s != MG_OK) {
        memset(t->pkt, 0, t->npkt * sizeof *t->pkt);
        t->pkt[0] = (double)s;
        return;
    }
    /* back from the means over n_r rows to sums: the ranks' shares of N */
    for (size_t i = 0; i < jk; i++)
        t->pkt[1 + i] *= (double)n;
    t->pkt[jk + 1] = loss * (double)n;
    t->pkt[jk + 2] = (double)n;
}

/* Every rank's G (jk, contiguous) and loss at w: MG_OK, or the worst
 * status of the ranks, MG_EINVAL when no rank has rows, MG_ENONFINITE when
 * the sums overflow. */
static mg_status global_grad(mg__mpi_fit *t, const mg_matrix *A, const mg_matrix *Y, size_t n,
                             double *w, size_t j, size_t k, double *G, double *loss)
{
    const size_t jk = j * k;
    local_terms(t, A, Y, n, w, j, k);
    mg_status s = mg__mpi_sum(t);
    if (s != MG_OK)
        return s;
    if ((s = (mg_status)t->pkt[0]) != MG_OK)
        return s;
    const double N = t->pkt[jk + 2];
    if (N == 0.0)
        return MG_EINVAL;
    for (size_t i = 0; i < jk; i++)
        G[i] = t->pkt[1 + i] / N;
    *loss = t->pkt[jk + 1] / N;
    int finite = isfinite(*loss);
    for (size_t i = 0; i < jk; i++)
        finite &= isfinite(G[i]) != 0;
    return finite ? MG_OK : MG_ENONFINITE;
}

/* Rank 0's W (j x k) into w on every rank; MG_ENONFINITE if it holds NaN / Inf. */
static mg_status share_w(mg__mpi_fit *t, const mg_matrix *W, double *w, size_t j, size_t k)
{
    if (t->rank == 0) {
        int finite = 1;
        for (size_t i = 0; i < j; i++)
            for (size_t c = 0; c < k; c++) {
                t->pkt[1 + i * k + c] = W->data[i * W->stride + c];
                finite &= isfinite(t->pkt[1 + i * k + c]) != 0;
            }
        t->pkt[0] = finite ? (double)MG_OK : (double)MG_ENONFINITE;
    }
    const mg_status s = mg__mpi_bcast(t, 1 + j * k);
    if (s != MG_OK)
        return s;
    memcpy(w, t->pkt + 1, j * k * sizeof *w);
    return (mg_status)t->pkt[0];
}

static mg_status check_model(const mg_matrix *A, const mg_matrix *W, const mg_matrix *Y, size_t *n)
{
    *n = 0;
    if (!W || mg_matrix_check(W) != MG_OK)
        return MG_EINVAL;
    return mg__mpi_check_rows(A, Y, NULL, W->rows, W->cols, n);
}

static void copy_out(mg_matrix *dst, const double *src)
{
    for (size_t i = 0; i < dst->rows; i++)
        memcpy(dst->data + i * dst->stride, src + i * dst->cols, dst->cols * sizeof *src);
}

/* Opens the collective with jk + 3 doubles of packet and two j x k
 * working copies (w, then G) in *work. */
static mg_status open_gd(mg__mpi_fit *t, MPI_Comm comm, mg_status s, const mg_matrix *W,
                         const double *shape, size_t nshape, double **work)
{
    const size_t j = s == MG_OK ? W->rows : 1, k = s == MG_OK ? W->cols : 1;
    *work = NULL;
    if (s == MG_OK && j > (SIZE_MAX / sizeof(double) - 3) / 2 / k)
        s = MG_ENOMEM;
    if (s == MG_OK && !(*work = malloc(2 * j * k * sizeof **work)))
        s = MG_ENOMEM;
    return mg__mpi_open(t, comm, s, 0, 0, NULL, s == MG_OK ? j * k + 3 : 0, shape, nshape);
}

mg_status mg_mpi_mse_grad(MPI_Comm comm, const mg_matrix *A, const mg_matrix *W, const mg_matrix *Y,
                          mg_matrix *G, double *loss)
{
    size_t n = 0;
    mg_status s = check_model(A, W, Y, &n);
    if (s == MG_OK && (!G || mg_matrix_check(G) != MG_OK))
        s = MG_EINVAL;
    if (s == MG_OK && (G->rows != W->rows || G->cols != W->cols))
        s = MG_EDIM;
    const double shape[] = { s == MG_OK ? (double)W->rows : 0.0, s == MG_OK ? (double)W->cols : 0.0 };
    mg__mpi_fit t;
    double *work = NULL, lv = 0.0;
    s = open_gd(&t, comm, s, W, shape, 2, &work);
    const size_t j = s == MG_OK ? W->rows : 0, k = s == MG_OK ? W->cols : 0;
    if (s == MG_OK)
        s = share_w(&t, W, work, j, k);
    if (s == MG_OK)
        s = global_grad(&t, A, Y, n, work, j, k, work + j * k, &lv);
    if (s == MG_OK) {
        copy_out(G, work + j * k);
        if (loss)
            *loss = lv;
    }
    free(work);
    mg__mpi_close(&t);
    return s;
}

/* The descent on the working copy w, G beside it; *steps: steps taken. */
static mg_status descend(mg__mpi_fit *t, const mg_matrix *A, const mg_matrix *Y, size_t n,
                         double *w, size_t j, size_t k, const mg_gd_options *o, size_t *steps)
{
    double *G = w + j * k;
    for (size_t e = 0;; e++) {
        double loss = 0.0;
        const mg_status s = global_grad(t, A, Y, n, w, j, k, G, &loss);
        if (s == MG_ENONFINITE)
            return e == 0 ? s : MG_ENOCONV; /* finite start, then non-finite: diverged */
        if (s != MG_OK)
            return s;
        if (o->on_epoch)
            o->on_epoch(e, loss, o->ctx);
        if (e == o->epochs || loss <= o->tolerance) {
            *steps = e;
            return MG_OK;
        }
        for (size_t i = 0; i < j * k; i++)
            w[i] -= o->learning_rate * G[i];
    }
}

mg_status mg_mpi_gd_fit(MPI_Comm comm, const mg_matrix *A, const mg_matrix *Y, mg_matrix *W,
                        const mg_gd_options *opt, size_t *epochs_run)
{
    const mg_gd_options o = opt ? *opt : mg_gd_defaults();
    size_t n = 0;
    mg_status s = check_model(A, W, Y, &n);
    if (s == MG_OK)
        s = mg_gd_options_check(&o);
    const double shape[] = { s == MG_OK ? (double)W->rows : 0.0, s == MG_OK ? (double)W->cols : 0.0,
                             o.learning_rate, (double)o.epochs, o.tolerance };
    mg__mpi_fit t;
    double *work = NULL;
    s = open_gd(&t, comm, s, W, shape, sizeof shape / sizeof shape[0], &work);
    const size_t j = s == MG_OK ? W->rows : 0, k = s == MG_OK ? W->cols : 0;
    size_t steps = 0;
    if (s == MG_OK)
        s = share_w(&t, W, work, j, k);
    if (s == MG_OK)
        s = descend(&t, A, Y, n, work, j, k, &o, &steps);
    if (s == MG_OK) {
        copy_out(W, work);
        if (epochs_run)
            *epochs_run = steps;
    }
    free(work);
    mg__mpi_close(&t);
    return s;
}
