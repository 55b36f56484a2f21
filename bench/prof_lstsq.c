/* SPDX-License-Identifier: BSD-3-Clause */
/* The profiling driver of scripts/profile_appsizes.sh: the default
 * mg_lstsq with standard errors, residual sd and R^2 (bench_appsizes's
 * call) on one N x p problem, repeated, so that a sampling profiler sees
 * where the time of one call goes (docs/performance.md, "Application
 * sizes").  Not a benchmark: it times nothing.
 *
 *   build-bench/bench/prof_lstsq N p calls */
#include "bench_common.h"

#include <matgrad.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: prof_lstsq N p calls\n");
        return 2;
    }
    const size_t N = strtoul(argv[1], NULL, 10), p = strtoul(argv[2], NULL, 10);
    const long calls = strtol(argv[3], NULL, 10);
    double *X = bc_random(N * p, 1), *y = bc_random(N, 2);
    double *B = malloc(p * sizeof *B), *se = malloc(p * sizeof *se), sd, r2;
    if (!X || !y || !B || !se || N < p || p == 0 || calls < 1) {
        fprintf(stderr, "prof_lstsq: bad arguments or out of memory\n");
        return 2;
    }
    mg_matrix Xv = mg_matrix_view(X, N, p), Yv = mg_matrix_view(y, N, 1);
    mg_matrix Bv = mg_matrix_view(B, p, 1), Sv = mg_matrix_view(se, p, 1);
    for (long c = 0; c < calls; c++) {
        mg_lstsq_result res = { 0 };
        res.std_err = &Sv;
        res.residual_sd = &sd;
        res.r_squared = &r2;
        if (mg_lstsq(&Xv, &Yv, &Bv, NULL, &res) != MG_OK) {
            fprintf(stderr, "prof_lstsq: mg_lstsq failed\n");
            return 1;
        }
    }
    printf("%zu x %zu: %ld calls, b_0 = %.17g\n", N, p, calls, B[0]);
    bc_free(X);
    bc_free(y);
    free(B);
    free(se);
    return 0;
}
