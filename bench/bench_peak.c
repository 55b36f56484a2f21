/* SPDX-License-Identifier: BSD-3-Clause */
/* bench_peak: the dgemm peak (order 2000, fastest of the runs) with the
 * kernel OpenBLAS picked for this CPU, named in the RESULT line.
 *
 * OpenBLAS picks its kernel from the CPU's identity; on a CPU its version
 * does not know (a newer model, or a hypervisor that hides the model) it
 * falls back to an older one, e.g. "Prescott" (SSE2), whose dgemm is a
 * fraction of what the CPU can do.  A flop-bound kernel of matgrad judged
 * against that peak would look better than it is.  bench/run_all.sh
 * therefore also runs this bench with OPENBLAS_CORETYPE set to the best
 * kernel the CPU's instruction set allows, and the report judges the Gram
 * pass against the faster of the two peaks.
 *
 *   bench_peak [reps]      (default 5) */
#include "bench_common.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    const int reps = argc > 1 ? atoi(argv[1]) : bc_reps(5);
    if (reps < 1)
        return 2;
    const double peak = bc_dgemm_peak(2000, reps);
    if (!(peak > 0.0))
        return 1;
    const char *core = openblas_get_corename();
    char impl[64];
    snprintf(impl, sizeof impl, "openblas_%s", core ? core : "unknown");
    printf("bench_peak: dgemm 2000^3 with OpenBLAS's %s kernel: %.1f GFLOP/s (fastest of %d)\n",
           core ? core : "unknown", peak * 1e-9, reps);
    bc_result("dgemm_peak", impl, 2000, 2000, 2.0 * 8e9 / peak, peak * 1e-9, "GFLOP/s", 1.0);
    return 0;
}
