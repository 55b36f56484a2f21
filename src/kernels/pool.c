/* SPDX-License-Identifier: BSD-3-Clause */
/* matgrad's worker threads (pool.h): why they exist and what they promise
 * is there; this file is the protocol.
 *
 * One pass at a time owns the pool (the busy flag).  The caller publishes
 * the pass (P.cur, a new generation) under the lock and takes slices
 * itself; a worker joins under the lock only while the pass is open and
 * takes slices from the same atomic counter.  When the counter runs out the
 * caller closes the pass (P.cur = NULL, under the lock) and waits only for
 * the workers that joined, each of which is inside one slice at most.  The
 * lock orders every slice's writes before the caller's return. */
#if defined(__linux__)
#define _GNU_SOURCE /* sched_getcpu, sched_setaffinity */
#include <sched.h>
#else
#define _POSIX_C_SOURCE 200809L
#endif
#include "pool.h"
#include "parallel.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

/* How long an idle worker polls for the next pass before it sleeps: long
 * enough to catch the next pass of the same call (a refinement replay
 * follows a small factorisation), short beside the milliseconds GOMP's
 * default spin holds a core.  A sleeping worker costs the next pass a
 * wake-up (some microseconds), and the caller does not wait for it. */
#define MG__POOL_SPIN_NS 50000L

enum { MAX_WORKERS = 63 };

typedef struct job {
    mg__slice_fn fn;
    void *ctx;
    size_t S;
    atomic_size_t next; /* the next slice to take */
    int want;           /* workers 1..want may join */
    atomic_int active;  /* joined (under the lock) and not yet done */
} job;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake, done;
    job *cur;                /* under the lock: the open pass, or NULL */
    atomic_ulong gen;        /* bumped (under the lock) when a pass opens */
    int workers;             /* under the lock: started so far */
    atomic_int busy;         /* a pass owns the pool */
    atomic_int caller_cpu;   /* the CPU the open pass's caller ran on, or -1 */
} P = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0,
        0, 0, -1 };

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static long elapsed_ns(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)(t.tv_sec - t0->tv_sec) * 1000000000L + (t.tv_nsec - t0->tv_nsec);
}

static void run_slices(job *j, int worker)
{
    for (;;) {
        const size_t s = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed);
        if (s >= j->S)
            return;
        j->fn(j->ctx, s, worker);
    }
}

/* What a thread polls for: a new pass (a worker), or the end of the
 * workers' last slices (the caller). */
static int pass_opened(const void *arg)
{
    return atomic_load_explicit(&P.gen, memory_order_acquire) != *(const unsigned long *)arg;
}

static int workers_done(const void *arg)
{
    return atomic_load_explicit(&((const job *)arg)->active, memory_order_acquire) == 0;
}

/* 1 as soon as done(arg), 0 if it is still false after MG__POOL_SPIN_NS. */
static int poll(int (*done)(const void *), const void *arg)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (unsigned i = 1;; i++) {
        if (done(arg))
            return 1;
        if (i % 64 == 0 && elapsed_ns(&t0) > MG__POOL_SPIN_NS)
            return 0;
        cpu_relax();
    }
}

/* Returns once the generation differs from seen: polls, then sleeps.
 * Called without the lock. */
static void wait_for_pass(unsigned long seen)
{
    if (poll(pass_opened, &seen))
        return;
    pthread_mutex_lock(&P.lock);
    while (atomic_load_explicit(&P.gen, memory_order_relaxed) == seen)
        pthread_cond_wait(&P.wake, &P.lock);
    pthread_mutex_unlock(&P.lock);
}

/* Where a worker runs a pass.  A worker woken on the CPU its caller runs
 * on shares that CPU with the caller for the whole pass when every other
 * CPU has a thread of its own, for instance an OpenBLAS worker polling for
 * work after the program's last BLAS call: the scheduler's balancer sees
 * nothing to gain in moving one of two threads to a CPU that already has
 * one, and the pass runs at one thread's speed (bench_threads' back-to-back
 * rows: mg_mse_grad after dgemv at 1e6 x 64 took 1.6-2x its isolated time,
 * docs/performance.md "Threads").  Such a worker
 * leaves that CPU for the pass, by its own affinity without the caller's
 * CPU (where the process may run elsewhere), and takes its own affinity
 * back after: a poller yields its CPU, the caller does not.  Before the
 * worker joins the pass, so the caller never waits for these calls. */
typedef struct placement {
#if defined(__linux__)
    cpu_set_t own;
#endif
    int moved;
} placement;

static void leave_caller_cpu(placement *pl)
{
    pl->moved = 0;
#if defined(__linux__)
    const int cpu = atomic_load_explicit(&P.caller_cpu, memory_order_relaxed);
    if (cpu < 0 || cpu >= CPU_SETSIZE || sched_getcpu() != cpu ||
        sched_getaffinity(0, sizeof pl->own, &pl->own) != 0)
        return;
    cpu_set_t away = pl->own;
    CPU_CLR(cpu, &away);
    pl->moved = CPU_COUNT(&away) > 0 && sched_setaffinity(0, sizeof away, &away) == 0;
#endif
}

static void take_own_cpus_back(const placement *pl)
{
#if defined(__linux__)
    if (pl->moved)
        (void)sched_setaffinity(0, sizeof pl->own, &pl->own);
#else
    (void)pl;
#endif
}

/* The CPU the calling thread runs on, or -1 where that is not known. */
static int current_cpu(void)
{
#if defined(__linux__)
    return sched_getcpu();
#else
    return -1;
#endif
}

static void *worker_main(void *arg)
{
    const int me = (int)(intptr_t)arg;
    unsigned long seen = 0;
    for (;;) {
        wait_for_pass(seen);
        placement pl;
        leave_caller_cpu(&pl);
        pthread_mutex_lock(&P.lock);
        seen = atomic_load_explicit(&P.gen, memory_order_relaxed);
        job *j = P.cur;
        if (j && me <= j->want)
            atomic_fetch_add_explicit(&j->active, 1, memory_order_relaxed);
        else
            j = NULL;
        pthread_mutex_unlock(&P.lock);
        if (j) {
            run_slices(j, me);
            /* the release orders this worker's slices before the caller's
             * return; j may be gone once active reaches 0 */
            if (atomic_fetch_sub_explicit(&j->active, 1, memory_order_release) == 1) {
                pthread_mutex_lock(&P.lock);
                pthread_cond_signal(&P.done);
                pthread_mutex_unlock(&P.lock);
            }
        }
        take_own_cpus_back(&pl);
    }
    return NULL;
}

/* A forked child has none of the parent's threads: it starts afresh. */
static void reset_in_child(void)
{
    pthread_mutex_init(&P.lock, NULL);
    pthread_cond_init(&P.wake, NULL);
    pthread_cond_init(&P.done, NULL);
    P.cur = NULL;
    P.workers = 0;
    atomic_store(&P.busy, 0);
    atomic_store(&P.caller_cpu, -1);
}

static void register_fork_handler(void)
{
    (void)pthread_atfork(NULL, NULL, reset_in_child);
}

/* Starts workers up to n (under the lock); returns how many there are, at
 * most n.  A worker that cannot be started is simply not there.  Workers
 * block every signal: the program's handlers run on its own threads. */
static int start_workers(int n)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    (void)pthread_once(&once, register_fork_handler);
    if (n > MAX_WORKERS)
        n = MAX_WORKERS;
    if (P.workers >= n)
        return n;
    sigset_t all, old;
    sigfillset(&all);
    if (pthread_sigmask(SIG_SETMASK, &all, &old) != 0)
        return P.workers;
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) == 0) {
        if (pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) == 0) {
            while (P.workers < n) {
                pthread_t t;
                if (pthread_create(&t, &attr, worker_main, (void *)(intptr_t)(P.workers + 1)) != 0)
                    break;
                P.workers++;
            }
        }
        pthread_attr_destroy(&attr);
    }
    (void)pthread_sigmask(SIG_SETMASK, &old, NULL);
    return P.workers < n ? P.workers : n;
}

static int in_program_parallel_region(void)
{
#ifdef _OPENMP
    return omp_in_parallel();
#else
    return 0;
#endif
}

static void run_alone(size_t S, mg__slice_fn fn, void *ctx)
{
    for (size_t s = 0; s < S; s++)
        fn(ctx, s, 0);
}

void mg__pool_for(int nthreads, size_t S, mg__slice_fn fn, void *ctx)
{
    const int nt = mg__slice_threads(nthreads, S);
    if (nt <= 1 || in_program_parallel_region() || atomic_exchange(&P.busy, 1)) {
        run_alone(S, fn, ctx);
        return;
    }
    job j = { fn, ctx, S, 0, 0, 0 };
    pthread_mutex_lock(&P.lock);
    j.want = start_workers(nt - 1);
    P.cur = &j;
    atomic_store_explicit(&P.caller_cpu, current_cpu(), memory_order_relaxed);
    atomic_fetch_add_explicit(&P.gen, 1, memory_order_relaxed);
    pthread_mutex_unlock(&P.lock);
    if (j.want > 0)
        pthread_cond_broadcast(&P.wake);
    run_slices(&j, 0);
    pthread_mutex_lock(&P.lock);
    P.cur = NULL; /* closed: no worker joins from now on */
    pthread_mutex_unlock(&P.lock);
    /* the workers still inside a slice: poll (a slice is short), then
     * sleep; a worker that ends the last slice signals under the lock, so
     * the check below and the wait cannot miss it */
    if (!poll(workers_done, &j)) {
        pthread_mutex_lock(&P.lock);
        while (atomic_load_explicit(&j.active, memory_order_acquire) > 0)
            pthread_cond_wait(&P.done, &P.lock);
        pthread_mutex_unlock(&P.lock);
    }
    atomic_store(&P.busy, 0);
}

int mg__pool_workers(void)
{
    pthread_mutex_lock(&P.lock);
    const int n = P.workers;
    pthread_mutex_unlock(&P.lock);
    return n;
}
