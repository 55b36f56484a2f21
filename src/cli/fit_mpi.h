/* SPDX-License-Identifier: BSD-3-Clause */
/* `mpirun -np N matgrad fit FILE.csv ...`: the command on MPI ranks
 * (docs/mpi.md, "The command").
 *
 * The binary decides at start-up whether an MPI launcher started it (its
 * environment: OMPI_COMM_WORLD_SIZE, PMIX_RANK, PMI_SIZE or PMI_RANK);
 * only then does it call MPI_Init.  A plain `matgrad` never touches MPI,
 * and neither does one rank (N = 1 runs the plain command).  With N >= 2
 * every rank runs the same sequence of passes; in each, rank r reads its
 * byte share of the data rows (fit_mpi.c), then the ranks agree on the
 * pass's outcome and combine their states, so that after every pass each
 * rank holds the same state, bitwise: everything after it (finish,
 * refinement steps, inference, quartiles) is computed the same on every
 * rank.  Rank 0 alone prints the report and writes the output files;
 * ranks above 0 have standard output and error on /dev/null except while
 * one of them reports a bad line of its own share.
 *
 * Without MATGRAD_CLI_MPI (MPI not built) these are stubs: one process. */
#ifndef MATGRAD_CLI_FIT_MPI_H
#define MATGRAD_CLI_FIT_MPI_H

#include "fit_engine.h"

/* MPI_Init when launched by an MPI launcher (main, before anything else). */
void mgcli_mpi_start(int *argc, char ***argv);
/* MPI_Finalize (and the standard streams given back) when started. */
void mgcli_mpi_stop(void);
/* This process's rank: 0 without MPI. */
int mgcli_mpi_rank(void);
/* 1 when the command runs on two ranks or more. */
int mgcli_mpi_split(void);
/* Collective when split: rank 0's rc on every rank (else rc). */
int mgcli_mpi_bcast_rc(int rc);
/* Collective: one pass over this rank's share of o->file into e (the
 * first pass, a refinement replay or a diagnostics pass, as for the
 * single-process read), then the agreement and the combination of the
 * ranks' states.  A file with factors: the first pass holds the share's
 * rows, agrees on the levels and fixes the design (d->p, d->names, d->lev
 * the same on every rank); a later pass replays the held rows.  The same
 * exit status on every rank; on failure the message was printed once (by
 * the rank that found a bad line or failed first, else by rank 0). */
int mgcli_mpi_read_pass(mgcli_engine *e, mgcli_fit_data *d);
/* Collective: gradient descent's rows, this rank's share of them in d
 * (memory mode; d->n this rank's, d->deleted all ranks'; a file with
 * factors: the design agreed and built from them), the total into *total;
 * failures as mgcli_mpi_read_pass. */
int mgcli_mpi_load(const mgcli_fit_options *o, mgcli_fit_data *d, size_t *total);
/* Collective: gradient descent on every rank's rows (mg_mpi_gd_fit: one
 * process's trajectory), with the statistics of the one-process run
 * (fit_solve.c) from sums up the tree; d->n becomes the total. */
int mgcli_mpi_gd(const mgcli_fit_options *o, mgcli_fit_data *d, size_t total, mgcli_fit_result *r);

#endif
