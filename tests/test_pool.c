/* SPDX-License-Identifier: BSD-3-Clause */
/* matgrad's worker threads (src/kernels/pool.h): every slice runs exactly
 * once on a valid worker index, whatever the thread count, from nested
 * passes, concurrent callers, a program's OpenMP region and a forked
 * child; and no worker keeps polling once a pass is over. */
#define _GNU_SOURCE
#include "mgtest.h"
#include "../src/kernels/pool.h"

#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

enum { MAX_S = 1000 };

typedef struct count {
    atomic_int hits[MAX_S];
    atomic_int bad_worker; /* slices that saw a worker index out of range */
    int nt;
    size_t S;
    _Atomic double sink; /* keeps the slices' work */
} count;

static void count_init(count *c, int nt, size_t S)
{
    for (size_t s = 0; s < MAX_S; s++)
        atomic_init(&c->hits[s], 0);
    atomic_init(&c->bad_worker, 0);
    c->nt = nt;
    c->S = S;
}

/* Some work per slice, so that workers really take part. */
static void count_slice(void *ctx, size_t s, int worker)
{
    count *c = ctx;
    const int lim = c->nt < (int)c->S ? c->nt : (int)c->S;
    if (worker < 0 || worker >= (lim > 1 ? lim : 1))
        atomic_fetch_add(&c->bad_worker, 1);
    double x = 0.0;
    for (int i = 0; i < 2000; i++)
        x += (double)i * 1e-9;
    atomic_store_explicit(&c->sink, x, memory_order_relaxed);
    atomic_fetch_add(&c->hits[s], 1);
}

/* Every slice once, every worker index in [0, min(nt, S)). */
static int all_once(count *c)
{
    for (size_t s = 0; s < c->S; s++)
        if (atomic_load(&c->hits[s]) != 1)
            return 0;
    return atomic_load(&c->bad_worker) == 0;
}

START_TEST(each_slice_once)
{
    static const size_t S[] = { 1, 2, 3, 7, 16, 100, MAX_S };
    static count c;
    for (int nt = 0; nt <= 6; nt++)
        for (size_t i = 0; i < sizeof S / sizeof S[0]; i++)
            for (int rep = 0; rep < 5; rep++) {
                count_init(&c, nt, S[i]);
                mg__pool_for(nt, S[i], count_slice, &c);
                ck_assert_msg(all_once(&c), "nt %d S %zu", nt, S[i]);
            }
}
END_TEST

/* A pass from inside a slice finds the pool busy and runs alone. */
typedef struct nested {
    count inner[4];
} nested;

static void nested_slice(void *ctx, size_t s, int worker)
{
    nested *n = ctx;
    (void)worker;
    count_init(&n->inner[s], 2, 10);
    mg__pool_for(2, 10, count_slice, &n->inner[s]);
}

START_TEST(nested_pass_runs_alone)
{
    static nested n;
    mg__pool_for(2, 4, nested_slice, &n);
    for (int s = 0; s < 4; s++)
        ck_assert(all_once(&n.inner[s]));
}
END_TEST

/* Several program threads start passes at once. */
static void *caller(void *arg)
{
    (void)arg;
    count *c = malloc(sizeof *c);
    long ok = c != NULL;
    for (int rep = 0; ok && rep < 100; rep++) {
        count_init(c, 3, 37);
        mg__pool_for(3, 37, count_slice, c);
        ok = all_once(c);
    }
    free(c);
    return (void *)ok;
}

START_TEST(concurrent_callers)
{
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, caller, NULL), 0);
    for (int i = 0; i < 4; i++) {
        void *ok = NULL;
        ck_assert_int_eq(pthread_join(t[i], &ok), 0);
        ck_assert(ok != NULL);
    }
}
END_TEST

#ifdef _OPENMP
START_TEST(inside_program_openmp_region)
{
    static count c[2];
    int okay = 1;
#pragma omp parallel num_threads(2) reduction(&& : okay)
    {
        const int me = omp_get_thread_num();
        count_init(&c[me], 2, 50);
        mg__pool_for(2, 50, count_slice, &c[me]);
        okay = all_once(&c[me]);
    }
    ck_assert(okay);
}
END_TEST
#endif

/* A forked child has no workers of its parent: its passes still run. */
START_TEST(pass_in_forked_child)
{
    static count c;
    count_init(&c, 2, 64);
    mg__pool_for(2, 64, count_slice, &c);
    ck_assert(all_once(&c));
    fflush(NULL);
    const pid_t pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        count_init(&c, 2, 64);
        mg__pool_for(2, 64, count_slice, &c);
        _exit(all_once(&c) ? 0 : 1);
    }
    int st = 0;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}
END_TEST

/* Threads of this process other than the caller that are running or
 * runnable ('R' in /proc/self/task/T/stat), or -1 when /proc cannot be
 * read. */
static int running_others(void)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -1;
    const long self = (long)gettid();
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || atol(e->d_name) == self)
            continue;
        char path[300], buf[512];
        snprintf(path, sizeof path, "/proc/self/task/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        const size_t got = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[got] = '\0';
        const char *close = strrchr(buf, ')'); /* the state follows "(comm) " */
        if (close && close[1] == ' ' && close[2] == 'R')
            n++;
    }
    closedir(d);
    return n;
}

/* running_others() once it is 0 or <0, or after 10 s of polling every
 * 10 ms (seconds beyond the pool's poll even on a loaded machine). */
static int running_others_after_waiting(void)
{
    int running = -1;
    for (int tries = 0; tries < 1000; tries++) {
        running = running_others();
        if (running <= 0)
            break;
        const struct timespec ten_ms = { 0, 10000000L };
        nanosleep(&ten_ms, NULL);
    }
    return running;
}

/* The pool's promise behind docs/performance.md "Threads": once a pass is
 * over its workers stop polling and sleep (after MG__POOL_SPIN_NS, 50 us),
 * so no matgrad thread holds a core the program's next BLAS call needs.
 * Not a timing assertion: the test waits up to 10 s (seconds beyond the
 * poll even on a loaded machine) for every other thread to be asleep,
 * and fails only if some thread never is. */
START_TEST(workers_sleep_after_a_pass)
{
    static count c;
    count_init(&c, 2, 200);
    mg__pool_for(2, 200, count_slice, &c);
    ck_assert(all_once(&c));
    ck_assert_int_ge(mg__pool_workers(), 1);
    ck_assert_int_eq(running_others_after_waiting(), 0);
}
END_TEST

#ifdef __linux__
/* How many of this process's threads have an affinity other than *want
 * (sched_getaffinity on each task), or -1 when /proc cannot be read. */
static int threads_not_on(const cpu_set_t *want)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        cpu_set_t got;
        if (sched_getaffinity((pid_t)atol(e->d_name), sizeof got, &got) == 0 &&
            !CPU_EQUAL(&got, want))
            n++;
    }
    closedir(d);
    return n;
}

/* A worker that wakes on its caller's CPU leaves it for the pass by its
 * own affinity (src/kernels/pool.c, "Where a worker runs a pass") and
 * must take its own affinity back after: matgrad never leaves a thread
 * restricted.  The caller is pinned to one CPU for 200 passes (its
 * workers, started before, are not), which makes workers wake there and
 * move; afterwards, with the caller's own affinity back, every thread of
 * the process must have the process's affinity again, and every slice
 * must have run once. */
START_TEST(workers_take_their_affinity_back)
{
    cpu_set_t all;
    ck_assert_int_eq(sched_getaffinity(0, sizeof all, &all), 0);
    if (CPU_COUNT(&all) < 2)
        return; /* one CPU: no worker has anywhere to go */
    static count c;
    count_init(&c, 2, 200);
    mg__pool_for(2, 200, count_slice, &c); /* the workers start unpinned */
    ck_assert(all_once(&c));
    cpu_set_t one;
    CPU_ZERO(&one);
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, &all)) {
            CPU_SET(cpu, &one);
            break;
        }
    ck_assert_int_eq(sched_setaffinity(0, sizeof one, &one), 0);
    for (int pass = 0; pass < 200; pass++) {
        count_init(&c, 2, 200);
        mg__pool_for(2, 200, count_slice, &c);
        ck_assert(all_once(&c));
    }
    ck_assert_int_eq(sched_setaffinity(0, sizeof all, &all), 0);
    /* a worker takes its affinity back after its last slice, possibly
     * after the caller returned: wait until all are asleep */
    ck_assert_int_eq(running_others_after_waiting(), 0);
    ck_assert_int_eq(threads_not_on(&all), 0);
}
END_TEST
#endif

int main(void)
{
    Suite *s = suite_create("pool");
    TCase *tc = tcase_create("pool");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, each_slice_once);
    tcase_add_test(tc, nested_pass_runs_alone);
    tcase_add_test(tc, concurrent_callers);
#ifdef _OPENMP
    tcase_add_test(tc, inside_program_openmp_region);
#endif
    tcase_add_test(tc, pass_in_forked_child);
    tcase_add_test(tc, workers_sleep_after_a_pass);
#ifdef __linux__
    tcase_add_test(tc, workers_take_their_affinity_back);
#endif
    suite_add_tcase(s, tc);
    return mgt_run(s);
}
