/* SPDX-License-Identifier: BSD-3-Clause */
/* Private: how matgrad's passes use OpenMP threads.
 *
 * A pass splits its rows into S slices fixed by the shape alone and adds
 * the slices' partial sums in slice order afterwards, so the thread count
 * never changes a bit of the result: threads only decide who computes which
 * slice, taken as they come (a thread the OS delays holds no one back).
 *
 * A parallel region is opened only when it runs two threads or more.
 * libgomp allocates a thread team for every region it enters, a
 * one-thread region and one whose if() clause is false included, and ends
 * the process when that allocation fails; an allocation failure must be a
 * status, never an exit.  One thread therefore runs the slices as a plain
 * loop that calls nothing of OpenMP.  Without OpenMP (MATGRAD_OPENMP=OFF,
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

#define MG__PRAGMA(x) _Pragma(#x)

/* for (size_t s = 0; s < S; s++) BODY, on mg__slice_threads(nthreads, S)
 * threads: a parallel loop (slices taken one at a time) for two or more,
 * a plain loop for one.  BODY is a braced block; it may contain commas. */
#ifdef _OPENMP
#define MG__FOR_SLICES(nthreads, s, S, ...)                                         \
    do {                                                                            \
        const int mg__nt_ = mg__slice_threads((nthreads), (S));                     \
        if (mg__nt_ > 1) {                                                          \
            MG__PRAGMA(omp parallel for num_threads(mg__nt_) schedule(dynamic, 1))  \
            for (size_t s = 0; s < (S); s++)                                        \
                __VA_ARGS__                                                         \
        } else {                                                                    \
            for (size_t s = 0; s < (S); s++)                                        \
                __VA_ARGS__                                                         \
        }                                                                           \
    } while (0)
#else
#define MG__FOR_SLICES(nthreads, s, S, ...)                                         \
    do {                                                                            \
        (void)(nthreads);                                                           \
        for (size_t s = 0; s < (S); s++)                                            \
            __VA_ARGS__                                                             \
    } while (0)
#endif

#endif /* MATGRAD_PARALLEL_H */
