/* SPDX-License-Identifier: BSD-3-Clause */
/* A preload (LD_PRELOAD) for the OMP_NUM_THREADS=1 stage of scripts/test.sh:
 * aborts any process that opens an OpenMP parallel region for one thread.
 * libgomp allocates a thread team for every region it enters, a one-thread
 * one included, and exits the process when that allocation fails.  The
 * library's passes open no region at all (they run on matgrad's own
 * threads, src/kernels/pool.h); the command's parallel reader
 * (src/cli/fit_chunks.c) opens one only for two threads or more; this
 * guard turns a regression of either into a failing test.
 *
 * GCC compiles each `omp parallel` into GOMP_parallel(fn, data, n, flags):
 * n is 1 for num_threads(1) or a false if() clause, and 0 for "the default",
 * which is one thread under OMP_NUM_THREADS=1.  Regions of two threads or
 * more (tests that ask for them explicitly) go on to libgomp. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

typedef void (*gomp_parallel_fn)(void (*)(void *), void *, unsigned, unsigned);

void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags)
{
    static const char msg[] = "omp_guard: a parallel region was opened for one thread "
                              "(see src/kernels/pool.h)\n";
    gomp_parallel_fn real;

    if (num_threads <= 1) {
        (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
        abort();
    }
    *(void **)&real = dlsym(RTLD_NEXT, "GOMP_parallel");
    if (!real)
        abort();
    real(fn, data, num_threads, flags);
}
