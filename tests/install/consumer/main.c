/* SPDX-License-Identifier: BSD-3-Clause */
/* A consumer of the installed package: fits y = 1 + 2x exactly. */
#include <matgrad.h>
#include <math.h>
#include <stdio.h>

int main(void)
{
    double a[] = { 1, 0, 1, 1, 1, 2, 1, 3 }, y[] = { 1, 3, 5, 7 }, w[2];
    mg_matrix A = mg_matrix_view(a, 4, 2), Y = mg_matrix_view(y, 4, 1), W = mg_matrix_view(w, 2, 1);
    mg_status s = mg_normal_solve(&A, &Y, 0.0, &W);
    if (s != MG_OK || fabs(w[0] - 1.0) > 1e-12 || fabs(w[1] - 2.0) > 1e-12) {
        fprintf(stderr, "consumer: %s, w = %g %g\n", mg_strerror(s), w[0], w[1]);
        return 1;
    }
    printf("consumer: matgrad %s fitted w = [%g %g]\n", matgrad_version(), w[0], w[1]);
    return 0;
}
