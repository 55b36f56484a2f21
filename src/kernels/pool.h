/* SPDX-License-Identifier: BSD-3-Clause */
/* Private: matgrad's own worker threads, which run the slices of a pass.
 *
 * Why not an OpenMP parallel region: after a region libgomp's idle workers
 * keep spinning (OMP_WAIT_POLICY, GOMP_SPINCOUNT: milliseconds by default),
 * holding the cores that the OpenBLAS call a program makes next needs; and
 * a region's closing barrier waits for every worker of the team, even one
 * the OS has not yet run because another process or OpenBLAS's own polling
 * threads hold its core, so a pass could take longer than on one thread.
 * Both made matgrad's speed depend on environment variables
 * (docs/performance.md, "Threads").  This pool:
 *   - puts its workers to sleep (a condition variable) after a short,
 *     bounded poll (MG__POOL_SPIN_NS) once a pass is done, so no matgrad
 *     thread holds a core after a call returns;
 *   - moves a worker that wakes on its caller's CPU off that CPU for the
 *     pass (its own affinity back after), so the two never share one CPU
 *     while another CPU has only a polling thread (pool.c);
 *   - lets the calling thread take slices too, and ends a pass as soon as
 *     every slice is done: a worker that has not started by then is not
 *     waited for (it finds the pass closed when it runs), so a pass is never
 *     slower than one thread plus the slices the workers already hold.
 *
 * The thread count is still OpenMP's setting (OMP_NUM_THREADS,
 * omp_set_num_threads), read with omp_get_max_threads(); without OpenMP
 * at build time every pass runs on the calling thread.  A pass started
 * while the pool is busy (another thread of the program, or a pass from
 * inside a pass) or from inside the program's own OpenMP parallel region
 * runs on the calling thread alone.  Which thread runs a slice never
 * changes what the slice computes (parallel.h), so none of this changes a
 * bit of any result.  The workers, once started, live in the library's
 * code until the process ends (a forked child starts afresh), so the
 * shared library is linked not to be unloaded (-z nodelete;
 * tests/install/dlclose.c). */
#ifndef MATGRAD_POOL_H
#define MATGRAD_POOL_H

#include <stddef.h>

/* One slice: fn(ctx, s, worker), worker in [0, nthreads): 0 is the
 * calling thread; a worker index is used by one thread at a time. */
typedef void (*mg__slice_fn)(void *ctx, size_t s, int worker);

/* Runs fn(ctx, s, worker) for every s in [0, S), each exactly once, on up
 * to nthreads threads (the caller included), and returns when all are
 * done.  Never fails: when workers cannot be started, or the pool is busy,
 * the caller runs the slices itself. */
void mg__pool_for(int nthreads, size_t S, mg__slice_fn fn, void *ctx);

/* Workers the pool has started so far (tests). */
int mg__pool_workers(void);

#endif /* MATGRAD_POOL_H */
