/* SPDX-License-Identifier: BSD-3-Clause */
/* Gradient descent's parts (fit_solve.c), shared with its run on MPI ranks
 * (fit_mpi.c).  Apart from fit_data.h, which the CSV fuzzer includes
 * without the library's headers. */
#ifndef MATGRAD_CLI_FIT_GD_H
#define MATGRAD_CLI_FIT_GD_H

#include "fit_data.h"

#include <matgrad.h>

/* The descent from r->beta (r->losses allocated for o->epochs + 1) by
 * step, with the options, per-epoch losses and progress of one process
 * (the exit status; *status: step's); RSS = ||y - X b||^2 of n rows of
 * cols values (stride apart); sigma and R^2 of n rows from RSS and TSS. */
typedef mg_status (*mgcli_gd_step)(void *ctx, const mg_gd_options *g, size_t *epochs_run);
int mgcli_gd_run(const mgcli_fit_options *o, mgcli_gd_step step, void *ctx, mgcli_fit_result *r,
                 mg_status *status);
double mgcli_gd_rss(const double *X, size_t stride, size_t n, size_t cols, const double *y,
                    const double *b);
void mgcli_gd_stats(mgcli_fit_result *r, size_t n, double rss, double tss);

#endif
