/* SPDX-License-Identifier: BSD-3-Clause */
/* Test-only allocation failure injection (failalloc.h).  OpenBLAS and
 * OpenMP threads allocate too: the count and the block table are shared
 * under a spin lock (which never allocates).
 *
 * Built twice (tests/failalloc.cmake): linked into the injection suites,
 * which arm it through failalloc.h, and, with MGT_FAILALLOC_PRELOAD, as a
 * shared library for LD_PRELOAD into a whole process (the matgrad command,
 * tests/cli/alloc_failure.sh), armed at load from the environment:
 *   MGT_FAILALLOC_NTH=n     fail the n-th counted allocation (unset or 0:
 *                           fail none);
 *   MGT_FAILALLOC_SIZE=b    count only allocations of exactly b bytes
 *                           (unset or 0: every size), which picks one
 *                           buffer out of the process's many allocations. */
#define _GNU_SOURCE /* dladdr */
#include "failalloc.h"

#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* glibc's own allocator entry points (exported by libc.so.6 for exactly
 * this use); calling them never re-enters the definitions below. */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t size);
extern void *__libc_valloc(size_t size);
extern void *__libc_pvalloc(size_t size);

/* Blocks handed out while armed: open addressing on the pointer, deleted
 * slots marked TOMB.  64 Ki slots hold far more than one library call's
 * live blocks; if they ever fill up, `overflow` makes every later check
 * report a leak rather than miss one. */
enum { SLOTS = 1 << 16 };
#define TOMB ((void *)1)
typedef struct slot { void *p; size_t size; void *site; } slot;

static slot table[SLOTS];
static size_t live_blocks, overflow;
static atomic_flag lock = ATOMIC_FLAG_INIT;
static atomic_int armed;        /* counting and tracking */
static size_t fail_at, counted; /* under lock */
static atomic_int injected;
static int trace_fd = -1;
/* set before arming, never while armed */
static size_t only_size; /* count only allocations of this size; 0: all */
static int track_blocks = 1; /* remember counted blocks (the leak check) */
/* set between tests, never while armed */
static char spare_name[64];
/* Set while this thread runs the interposer's own code (backtrace may
 * allocate): such allocations pass straight through. */
static _Thread_local int busy;

static void acquire(void)
{
    while (atomic_flag_test_and_set_explicit(&lock, memory_order_acquire))
        ;
}

static void release(void)
{
    atomic_flag_clear_explicit(&lock, memory_order_release);
}

static size_t hash(const void *p)
{
    uintptr_t h = (uintptr_t)p >> 4;
    h ^= h >> 17;
    h *= (uintptr_t)0x9E3779B97F4A7C15ull;
    return (size_t)(h ^ (h >> 29)) & (SLOTS - 1);
}

static void remember(void *p, size_t size, void *site)
{
    size_t i = hash(p);
    for (size_t probe = 0; probe < SLOTS; probe++, i = (i + 1) & (SLOTS - 1))
        if (table[i].p == NULL || table[i].p == TOMB) {
            table[i] = (slot){ p, size, site };
            live_blocks++;
            return;
        }
    overflow++;
}

static void forget(void *p)
{
    size_t i = hash(p);
    for (size_t probe = 0; probe < SLOTS && table[i].p; probe++, i = (i + 1) & (SLOTS - 1))
        if (table[i].p == p) {
            table[i].p = TOMB;
            live_blocks--;
            return;
        }
}

static void write_str(int fd, const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

/* Reports the injected failure: its index, the caller, and a backtrace,
 * with no allocation (the process may be about to end). */
static void trace(size_t n, void *site)
{
    if (trace_fd < 0)
        return;
    char line[96];
    snprintf(line, sizeof line, "F %zu %p\n", n, site);
    write_str(trace_fd, line);
    void *frames[24];
    int depth = backtrace(frames, 24);
    backtrace_symbols_fd(frames, depth, trace_fd);
    write_str(trace_fd, "F end\n");
}

/* 1 if the code at caller belongs to a spared object: its file name,
 * without the directory, contains spare_name (dladdr does not allocate). */
static int spared(void *caller)
{
    Dl_info info;
    if (!spare_name[0] || !dladdr(caller, &info) || !info.dli_fname)
        return 0;
    const char *base = strrchr(info.dli_fname, '/');
    return strstr(base ? base + 1 : info.dli_fname, spare_name) != NULL;
}

/* 1 if an allocation from site is counted (and its block tracked). */
static int counting(void *site)
{
    return !busy && atomic_load_explicit(&armed, memory_order_acquire) && !spared(site);
}

/* Counts one allocation attempt of size bytes; returns nonzero if it is
 * the one to fail. */
static int should_fail(void *site, size_t size)
{
    if (!counting(site) || (only_size != 0 && size != only_size))
        return 0;
    acquire();
    const size_t n = ++counted;
    const int fail = fail_at != 0 && n == fail_at;
    release();
    if (fail) {
        atomic_store(&injected, 1);
        busy = 1;
        trace(n, site);
        busy = 0;
        errno = ENOMEM;
    }
    return fail;
}

static void *track(void *p, size_t size, void *site)
{
    if (p && track_blocks && counting(site)) {
        acquire();
        remember(p, size, site);
        release();
    }
    return p;
}

static void untrack(void *p)
{
    if (p && track_blocks && !busy && atomic_load_explicit(&armed, memory_order_acquire)) {
        acquire();
        forget(p);
        release();
    }
}

void *malloc(size_t size)
{
    void *site = __builtin_return_address(0);
    return should_fail(site, size) ? NULL : track(__libc_malloc(size), size, site);
}

void *calloc(size_t n, size_t size)
{
    void *site = __builtin_return_address(0);
    /* n * size saturated: an overflowing request matches no size filter */
    const size_t bytes = (size != 0 && n > SIZE_MAX / size) ? SIZE_MAX : n * size;
    return should_fail(site, bytes) ? NULL : track(__libc_calloc(n, size), bytes, site);
}

void *realloc(void *p, size_t size)
{
    void *site = __builtin_return_address(0);
    if (p && size == 0) {
        untrack(p);
        return __libc_realloc(p, 0); /* frees p */
    }
    if (should_fail(site, size))
        return NULL; /* p stays valid, as with a real failure */
    void *q = __libc_realloc(p, size);
    if (q)
        untrack(p);
    return track(q, size, site);
}

void free(void *p)
{
    untrack(p);
    __libc_free(p);
}

void *memalign(size_t align, size_t size)
{
    void *site = __builtin_return_address(0);
    return should_fail(site, size) ? NULL : track(__libc_memalign(align, size), size, site);
}

void *aligned_alloc(size_t align, size_t size)
{
    void *site = __builtin_return_address(0);
    return should_fail(site, size) ? NULL : track(__libc_memalign(align, size), size, site);
}

int posix_memalign(void **out, size_t align, size_t size)
{
    void *site = __builtin_return_address(0);
    if (align % sizeof(void *) != 0 || (align & (align - 1)) != 0)
        return EINVAL;
    if (should_fail(site, size))
        return ENOMEM;
    void *p = track(__libc_memalign(align, size), size, site);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

void *valloc(size_t size)
{
    void *site = __builtin_return_address(0);
    return should_fail(site, size) ? NULL : track(__libc_valloc(size), size, site);
}

void *pvalloc(size_t size)
{
    void *site = __builtin_return_address(0);
    return should_fail(site, size) ? NULL : track(__libc_pvalloc(size), size, site);
}

/* Resets the count, the block table and the flag, and arms for the n-th. */
static void arm_at(size_t n)
{
    acquire();
    memset(table, 0, sizeof table);
    live_blocks = overflow = 0;
    counted = 0;
    fail_at = n;
    atomic_store(&injected, 0);
    release();
    atomic_store_explicit(&armed, 1, memory_order_release);
}

void mgt_failalloc_arm(size_t n)
{
    /* backtrace() loads libgcc's unwinder on first use, which allocates:
     * do that now, outside any counted window. */
    void *frames[2];
    busy = 1;
    (void)backtrace(frames, 2);
    busy = 0;
    arm_at(n);
}

void mgt_failalloc_only_size(size_t bytes)
{
    only_size = bytes;
}

void mgt_failalloc_disarm(void)
{
    atomic_store_explicit(&armed, 0, memory_order_release);
}

size_t mgt_failalloc_count(void)
{
    acquire();
    const size_t n = counted;
    release();
    return n;
}

int mgt_failalloc_injected(void)
{
    return atomic_load(&injected);
}

size_t mgt_failalloc_live(size_t *bytes, void **site)
{
    acquire();
    size_t total = 0;
    void *any = NULL;
    for (size_t i = 0; i < SLOTS; i++)
        if (table[i].p && table[i].p != TOMB) {
            total += table[i].size;
            any = table[i].site;
        }
    const size_t n = live_blocks + overflow;
    release();
    if (bytes)
        *bytes = total;
    if (site)
        *site = any;
    return n;
}

void mgt_failalloc_spare(const char *name)
{
    spare_name[0] = '\0';
    if (name) {
        strncpy(spare_name, name, sizeof spare_name - 1);
        spare_name[sizeof spare_name - 1] = '\0';
    }
}

void mgt_failalloc_trace_fd(int fd)
{
    trace_fd = fd;
}

#ifdef MGT_FAILALLOC_PRELOAD
/* Digits only (getenv and this parse never allocate); anything else: 0. */
static size_t env_count(const char *name)
{
    const char *s = getenv(name);
    size_t v = 0;
    for (; s && *s >= '0' && *s <= '9'; s++)
        v = v * 10 + (size_t)(*s - '0');
    return (s && *s == '\0') ? v : 0;
}

/* Preloaded: armed for the whole process before its main runs.  The block
 * table is not kept: nothing asks for the leak check, and a whole
 * process's allocations would only fill it. */
__attribute__((constructor)) static void arm_from_environment(void)
{
    track_blocks = 0;
    only_size = env_count("MGT_FAILALLOC_SIZE");
    arm_at(env_count("MGT_FAILALLOC_NTH"));
}
#endif
