/* SPDX-License-Identifier: BSD-3-Clause */
/* The SIMD dispatch of cpu.h: the CPU's features, unless MATGRAD_SIMD=generic
 * forces the portable variants (or =avx2 caps them at AVX2); found once, then kept in an atomic so that
 * threads racing on the first call store the same answer without a data
 * race. */
#include "cpu.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* FEATURES_KNOWN marks a filled cache (0 means not yet looked up). */
enum { FEATURES_KNOWN = 1, FEATURE_AVX2 = 2, FEATURE_FMA = 4, FEATURE_AVX512 = 8 };

static int detect(void)
{
    const char *simd = getenv("MATGRAD_SIMD");
    int f = FEATURES_KNOWN;

    if (simd && strcmp(simd, "generic") == 0)
        return f;
#ifdef MG__CPU_X86
    __builtin_cpu_init(); /* may run before the constructor that fills the data */
    if (__builtin_cpu_supports("avx2"))
        f |= FEATURE_AVX2;
    if (__builtin_cpu_supports("fma"))
        f |= FEATURE_FMA;
    /* the CPU's flag and the OS's saved state, both checked by libgcc */
    if (__builtin_cpu_supports("avx512f"))
        f |= FEATURE_AVX512;
#endif
    /* the AVX2 variants on a CPU that has AVX-512, as on one without */
    if (simd && strcmp(simd, "avx2") == 0)
        f &= ~FEATURE_AVX512;
    return f;
}

static int features(void)
{
    static atomic_int cache;
    int f = atomic_load_explicit(&cache, memory_order_relaxed);

    if (!f) {
        f = detect();
        atomic_store_explicit(&cache, f, memory_order_relaxed);
    }
    return f;
}

int mg__cpu_has_avx2(void)
{
    return (features() & FEATURE_AVX2) != 0;
}

int mg__cpu_has_avx512(void)
{
    const int want = FEATURE_AVX2 | FEATURE_AVX512;
    return (features() & want) == want;
}

int mg__cpu_has_avx512_fma(void)
{
    const int want = FEATURE_AVX2 | FEATURE_FMA | FEATURE_AVX512;
    return (features() & want) == want;
}

int mg__cpu_has_avx2_fma(void)
{
    const int want = FEATURE_AVX2 | FEATURE_FMA;
    return (features() & want) == want;
}
