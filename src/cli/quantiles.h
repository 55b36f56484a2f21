/* SPDX-License-Identifier: BSD-3-Clause */
/* Exact quartiles of a stream that can be read again, in bounded memory.
 *
 * R's summary prints the type-7 quantiles (min, 1Q, median, 3Q, max) of the
 * residuals, which are exact order statistics of N values (two per quartile,
 * interpolated).  Holding N residuals would make the command's memory grow
 * with the file, so above MGCLI_QSEL_KEEP values the order statistics are
 * found by narrowing: each value is mapped to its 64-bit order-preserving
 * key; a pass counts the values in 65536 bins of the key's next 16 bits
 * (among those that share the bits found so far), which places every wanted
 * rank in one bin; a later pass either collects a bin's values (when at most
 * MGCLI_QSEL_COLLECT of them) and sorts them, or narrows by 16 more bits.  A
 * bin of all 64 bits is one value.  Typically one extra pass; at most four;
 * memory at most a few MB whatever N is.  Values must be the same, in any
 * order, on every pass. */
#ifndef MATGRAD_CLI_QUANTILES_H
#define MATGRAD_CLI_QUANTILES_H

#include <stddef.h>

#define MGCLI_QSEL_KEEP ((size_t)1 << 16)      /* up to this many: held and sorted */
#define MGCLI_QSEL_COLLECT ((size_t)1 << 17)   /* a bin collected when this small */

typedef struct mgcli_qsel mgcli_qsel;

/* For the quartiles of n values (n >= 1); NULL when out of memory. */
mgcli_qsel *mgcli_qsel_new(size_t n);
/* Values of the current pass.  0, or -1 when out of memory. */
int mgcli_qsel_add(mgcli_qsel *s, const double *v, size_t count);
/* Ends a pass: 0 when every quartile is known, 1 when another pass (the
 * same values again) is needed, -1 when out of memory or when the pass did
 * not see n values (the input changed). */
int mgcli_qsel_end_pass(mgcli_qsel *s);
/* min, 1Q, median, 3Q, max (after mgcli_qsel_end_pass returned 0). */
void mgcli_qsel_result(const mgcli_qsel *s, double q[5]);
void mgcli_qsel_free(mgcli_qsel *s);

/* Parallel passes: a child takes the values of some rows of the current
 * pass (mgcli_qsel_add), and mgcli_qsel_merge moves them into the parent
 * and empties the child for more.  Counts and collected values are exact,
 * so the result does not depend on how the values were split.  NULL / -1
 * when out of memory. */
mgcli_qsel *mgcli_qsel_child(const mgcli_qsel *parent);
int mgcli_qsel_merge(mgcli_qsel *dst, mgcli_qsel *src);

#ifdef MATGRAD_CLI_MPI
#include <mpi.h>
/* Collective: the current pass's values of every rank's s (each made by
 * the same calls, so in the same mode) into every rank's s: counts summed,
 * values gathered in rank order (exact: the result does not depend on the
 * split).  0, or -1 on every rank (out of memory somewhere, or more values
 * than n in all). */
int mgcli_qsel_allreduce(mgcli_qsel *s, MPI_Comm comm);
#endif

#endif
