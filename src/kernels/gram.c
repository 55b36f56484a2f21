/* SPDX-License-Identifier: BSD-3-Clause */
/* G += X^T X for a tall X with few columns (docs/accuracy.md, "Cholesky
 * path"): the packed kernel of gram_packed.c over 128-row blocks, the next
 * block prefetched while one is multiplied.  OpenBLAS's dsyrk spends much of
 * its time packing when the output is only p x p and the inner dimension is
 * a million rows.
 *
 * The kernel's AVX2+FMA variant where the CPU has it (cpu.h), its portable
 * variant on other CPUs, other targets and under MATGRAD_SIMD=generic. */
#include "gram.h"
#include "cpu.h"
#include "gram_packed.h"

#include <stdlib.h>

enum { GRAM_ROWS = 128 };

int mg__gram_available(void)
{
    return mg__cpu_has_avx2_fma();
}

mg_status mg__gram_update(const double *X, size_t ldx, size_t nb, size_t nx, double *G, size_t ldg)
{
    double *P = malloc(mg__gram_packed_len(GRAM_ROWS, nx) * sizeof(double));
    if (!P)
        return MG_ENOMEM;
    for (size_t r0 = 0; r0 < nb; r0 += GRAM_ROWS) {
        const size_t rows = nb - r0 < GRAM_ROWS ? nb - r0 : GRAM_ROWS;
        const size_t left = nb - r0 - rows, next = left < GRAM_ROWS ? left : GRAM_ROWS;
        const double *Xb = X + r0 * ldx;
        /* G += X_b^T X_b   (upper triangle; no outputs) */
        mg__gram_packed_block(Xb, ldx, NULL, 0, rows, nx, 0, G, ldg, P,
                                    next ? Xb + rows * ldx : NULL, next);
    }
    free(P);
    return MG_OK;
}
