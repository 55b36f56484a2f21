/* SPDX-License-Identifier: BSD-3-Clause */
/* Private: the one run-time choice between matgrad's SIMD kernel variants
 * and their portable C fallbacks.
 *
 * The AVX2, AVX2+FMA and AVX-512 variants (mse_fused.c, gram_packed.c,
 * xdot.c) are
 * compiled only where MG__CPU_X86 is defined: x86 targets with GCC or Clang,
 * which provide target attributes, <immintrin.h> and __builtin_cpu_supports.
 * Other targets and compilers build the portable variants alone, and the
 * predicates below then return 0.
 *
 * MATGRAD_SIMD=generic in the environment forces the portable variants on
 * any CPU, so that the fallbacks of CPUs without AVX2 can be tested on one
 * that has it, and MATGRAD_SIMD=avx2 the AVX2 ones on a CPU with AVX-512
 * (scripts/test.sh runs the suite both ways).  Any other value, or none,
 * means "what this CPU has".  The variable is read once per process,
 * on the first call, and the answer kept: a kernel asks for every block of
 * rows. */
#ifndef MATGRAD_CPU_H
#define MATGRAD_CPU_H

#include "internal.h"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define MG__CPU_X86 1
#endif

/* 1 if the AVX2 variants may run: the CPU has AVX2 and MATGRAD_SIMD is not
 * "generic". */
MG__MUST_USE int mg__cpu_has_avx2(void);

/* 1 if the AVX2+FMA variants may run: the CPU has AVX2 and FMA and
 * MATGRAD_SIMD is not "generic". */
MG__MUST_USE int mg__cpu_has_avx2_fma(void);

/* 1 if the AVX-512 (foundation) variants may run: the AVX2 ones may, and
 * the CPU and the OS support AVX-512F; _fma: and the CPU has FMA. */
MG__MUST_USE int mg__cpu_has_avx512(void);
MG__MUST_USE int mg__cpu_has_avx512_fma(void);

/* The instruction-set levels of the kernels' variants, for the *_isa entry
 * points that tests use to compare them: the most a call may use (it falls
 * back to the best the CPU has, and MATGRAD_SIMD=generic forces the
 * portable one).  What each level needs is the kernel's to say (the fused
 * MSE kernel uses no FMA; the Gram kernel's levels need FMA). */
enum { MG__ISA_BASE = 0, MG__ISA_AVX2 = 1, MG__ISA_AVX512 = 2, MG__ISA_BEST = 2 };

#endif /* MATGRAD_CPU_H */
