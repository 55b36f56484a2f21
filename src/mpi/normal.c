/* SPDX-License-Identifier: BSD-3-Clause */
/* mg_mpi_normal_solve: the normal equations on MPI ranks
 * (include/matgrad/mpi.h).  Each rank's GRAM state (A^T A, A^T Y of its
 * rows, fit.h) merges up the tree of src/mpi/tree.c; rank 0 solves
 * (A^T A + ridge I) W = A^T Y (mg_fit_finish) and broadcasts the packet
 * [status, W (j x k, row-major)]. */
#include "mpi_internal.h"

#include <stdint.h>
#include <string.h>

static mg_status check_args(const mg_matrix *A, const mg_matrix *Y, double ridge,
                            const mg_matrix *W, size_t *n)
{
    *n = 0;
    if (!W || mg_matrix_check(W) != MG_OK)
        return MG_EINVAL;
    if (!(ridge >= 0.0 && ridge <= 1.7976931348623157e308))
        return MG_EINVAL;
    return mg__mpi_check_rows(A, Y, NULL, W->rows, W->cols, n);
}

mg_status mg_mpi_normal_solve(MPI_Comm comm, const mg_matrix *A, const mg_matrix *Y, double ridge,
                              mg_matrix *W)
{
    size_t n = 0;
    mg_status s = check_args(A, Y, ridge, W, &n);
    const size_t j = s == MG_OK ? W->rows : 1, k = s == MG_OK ? W->cols : 1;
    mg_fit_options fo = mg_fit_defaults();
    fo.kind = MG_FIT_GRAM;
    fo.ridge = s == MG_OK ? ridge : 0.0;
    if (s == MG_OK && j > (SIZE_MAX / sizeof(double) - 1) / k)
        s = MG_ENOMEM;
    const size_t npkt = s == MG_OK ? 1 + j * k : 0;
    const double shape[] = { (double)j, (double)k, fo.ridge };
    mg__mpi_fit t;
    s = mg__mpi_open(&t, comm, s, j, k, &fo, npkt, shape, sizeof shape / sizeof shape[0]);
    if (s == MG_OK) {
        s = n > 0 ? mg_fit_accumulate(t.fit, A, Y, NULL) : MG_OK;
        s = mg__mpi_reduce(&t, s, 0);
        if (t.rank == 0) {
            mg_matrix Wv = mg_matrix_view(t.pkt + 1, j, k);
            if (s == MG_OK)
                s = mg_fit_finish(t.fit, &Wv, NULL);
            t.pkt[0] = (double)s;
        }
        s = mg__mpi_bcast(&t, npkt);
        if (s == MG_OK)
            s = (mg_status)t.pkt[0];
    }
    for (size_t i = 0; s == MG_OK && i < j; i++)
        memcpy(W->data + i * W->stride, t.pkt + 1 + i * k, k * sizeof *W->data);
    mg__mpi_close(&t);
    return s;
}
