/* SPDX-License-Identifier: BSD-3-Clause */
/* A consumer of the installed MPI layer: y = 1 + 2x over the ranks, rank r
 * holding the row x = r (the fit needs two ranks or more). */
#include <matgrad/mpi.h>
#include <math.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    double x = rank, y = 1.0 + 2.0 * rank, b[2];
    mg_matrix X = mg_matrix_view(&x, 1, 1), Y = mg_matrix_view(&y, 1, 1), B = mg_matrix_view(b, 2, 1);
    mg_mpi_lstsq_options o = mg_mpi_lstsq_defaults();
    o.intercept = 1;
    const mg_status s = mg_mpi_lstsq(MPI_COMM_WORLD, &X, &Y, NULL, &o, &B, NULL);
    const int ok = s == MG_OK && fabs(b[0] - 1.0) <= 1e-12 && fabs(b[1] - 2.0) <= 1e-12;
    if (rank == 0)
        printf("consumer_mpi: %s, b = [%g %g]\n", mg_strerror(s), b[0], b[1]);
    MPI_Finalize();
    return ok ? 0 : 1;
}
