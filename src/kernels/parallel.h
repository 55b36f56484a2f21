/* SPDX-License-Identifier: BSD-3-Clause */
/* Private: how matgrad's passes use OpenMP threads.
 *
 * A pass splits its rows into S slices fixed by the shape alone and adds
 * the slices' partial sums in slice order afterwards, so the thread count
 * never changes a bit of the result: threads only decide who computes which
 * slice, taken as they come (a thread the OS delays holds no one back).
 *
 * The thread count is OpenMP's setting; the threads are matgrad's own
 * (pool.h), which never end the process on a failed allocation (libgomp
 * does, for the team of every region it enters): a worker that cannot be
 * started only means fewer threads.  Without OpenMP (MATGRAD_OPENMP=OFF,
 * or a compiler without it) every pass runs on the calling thread. */
#ifndef MATGRAD_PARALLEL_H
#define MATGRAD_PARALLEL_H

#include <stddef.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* The OpenMP thread count (OMP_NUM_THREADS, omp_set_num_threads); 1
 * without OpenMP.  Reading it allocates nothing. */
static inline int mg__max_threads(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

/* Threads for a pass over `work` elements: one below min_work, where
 * waking threads costs more than they save, else mg__max_threads(). */
static inline int mg__pass_threads(size_t work, size_t min_work)
{
    return work >= min_work ? mg__max_threads() : 1;
}

/* Threads that S slices keep busy: min(nthreads, S), at least one. */
static inline int mg__slice_threads(int nthreads, size_t S)
{
    if (nthreads < 1 || S <= 1)
        return 1;
    return (size_t)nthreads < S ? nthreads : (int)S;
}

/* A pass's slices run through mg__pool_for (pool.h): matgrad's own
 * workers, not an OpenMP region (pool.h says why). */

#endif /* MATGRAD_PARALLEL_H */
