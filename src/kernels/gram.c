/* G += X^T X, blocked for a tall X with few columns (docs/accuracy.md,
 * "Cholesky path").  OpenBLAS's dsyrk spends much of its time packing when
 * the output is only p x p and the inner dimension is a million rows; here
 * a 6 x 8 register tile of G (12 AVX2 accumulators, the shape of the classic
 * Haswell dgemm micro-kernel) streams a row block of X that stays in L2:
 * per row, two 4-wide loads and six broadcasts feed twelve FMAs.
 *
 * Compiled for AVX2+FMA and selected at run time; on other CPUs the caller
 * falls back to dsyrk. */
#include "gram.h"

#include <immintrin.h>

/* Rows per sub-block: 256 rows of 64 doubles are 128 KiB, resident in L2
 * while every tile of G passes over them. */
enum { GRAM_ROWS = 256, MR = 6, NR = 8 };

/* G[I..I+mr, J..J+nr) += X[:, I..I+mr)^T X[:, J..J+nr) over nb rows
 * (mr <= 6, nr <= 8; a partial nr uses masked loads and stores, so nothing
 * outside the columns of X or G is touched). */
__attribute__((target("avx2,fma"), always_inline))
static inline void tile_body(const double *X, size_t ldx, size_t nb, size_t I, size_t mr,
                             size_t J, size_t nr, double *G, size_t ldg, int full)
{
    const __m256i lane = _mm256_setr_epi64x(0, 1, 2, 3);
    const __m256i m0 = _mm256_cmpgt_epi64(_mm256_set1_epi64x((long long)nr), lane);
    const __m256i m1 = _mm256_cmpgt_epi64(_mm256_set1_epi64x((long long)nr - 4), lane);
    __m256d c00 = _mm256_setzero_pd(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
            c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    /* rows of the tile beyond mr repeat the last valid column (never stored) */
    const size_t i1 = I + (mr > 1 ? 1 : 0), i2 = I + (mr > 2 ? 2 : mr - 1),
                 i3 = I + (mr > 3 ? 3 : mr - 1), i4 = I + (mr > 4 ? 4 : mr - 1),
                 i5 = I + (mr > 5 ? 5 : mr - 1);

    for (size_t r = 0; r < nb; r++) {
        const double *x = X + r * ldx;
        const __m256d b0 = full ? _mm256_loadu_pd(x + J) : _mm256_maskload_pd(x + J, m0);
        const __m256d b1 = full ? _mm256_loadu_pd(x + J + 4) : _mm256_maskload_pd(x + J + 4, m1);
        __m256d a = _mm256_broadcast_sd(x + I);
        c00 = _mm256_fmadd_pd(a, b0, c00);
        c01 = _mm256_fmadd_pd(a, b1, c01);
        a = _mm256_broadcast_sd(x + i1);
        c10 = _mm256_fmadd_pd(a, b0, c10);
        c11 = _mm256_fmadd_pd(a, b1, c11);
        a = _mm256_broadcast_sd(x + i2);
        c20 = _mm256_fmadd_pd(a, b0, c20);
        c21 = _mm256_fmadd_pd(a, b1, c21);
        a = _mm256_broadcast_sd(x + i3);
        c30 = _mm256_fmadd_pd(a, b0, c30);
        c31 = _mm256_fmadd_pd(a, b1, c31);
        a = _mm256_broadcast_sd(x + i4);
        c40 = _mm256_fmadd_pd(a, b0, c40);
        c41 = _mm256_fmadd_pd(a, b1, c41);
        a = _mm256_broadcast_sd(x + i5);
        c50 = _mm256_fmadd_pd(a, b0, c50);
        c51 = _mm256_fmadd_pd(a, b1, c51);
    }
    const __m256d acc[MR][2] = { { c00, c01 }, { c10, c11 }, { c20, c21 },
                                 { c30, c31 }, { c40, c41 }, { c50, c51 } };
    for (size_t a = 0; a < mr; a++) {
        double *g = G + (I + a) * ldg + J;
        _mm256_maskstore_pd(g, m0, _mm256_add_pd(_mm256_maskload_pd(g, m0), acc[a][0]));
        _mm256_maskstore_pd(g + 4, m1, _mm256_add_pd(_mm256_maskload_pd(g + 4, m1), acc[a][1]));
    }
}

/* The two instances: full 8-column tiles (plain loads in the hot loop) and
 * the partial last one. */
__attribute__((target("avx2,fma")))
static void tile_full(const double *X, size_t ldx, size_t nb, size_t I, size_t mr, size_t J,
                      double *G, size_t ldg)
{
    tile_body(X, ldx, nb, I, mr, J, NR, G, ldg, 1);
}

__attribute__((target("avx2,fma")))
static void tile_part(const double *X, size_t ldx, size_t nb, size_t I, size_t mr, size_t J,
                      size_t nr, double *G, size_t ldg)
{
    tile_body(X, ldx, nb, I, mr, J, nr, G, ldg, 0);
}

__attribute__((target("avx2,fma")))
static void update(const double *X, size_t ldx, size_t nb, size_t nx, double *G, size_t ldg)
{
    for (size_t r0 = 0; r0 < nb; r0 += GRAM_ROWS) {
        const size_t rows = nb - r0 < GRAM_ROWS ? nb - r0 : GRAM_ROWS;
        const double *Xb = X + r0 * ldx;
        for (size_t I = 0; I < nx; I += MR) {
            const size_t mr = nx - I < MR ? nx - I : MR;
            /* the tiles whose columns reach the diagonal or beyond */
            for (size_t J = (I / NR) * NR; J < nx; J += NR) {
                if (nx - J >= NR)
                    tile_full(Xb, ldx, rows, I, mr, J, G, ldg);
                else
                    tile_part(Xb, ldx, rows, I, mr, J, nx - J, G, ldg);
            }
        }
    }
}

int mg__gram_available(void)
{
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

int mg__gram_update(const double *X, size_t ldx, size_t nb, size_t nx, double *G, size_t ldg)
{
    if (!mg__gram_available())
        return -1;
    update(X, ldx, nb, nx, G, ldg);
    return 0;
}
