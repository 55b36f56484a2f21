/* Test-only allocation failure injection (failalloc.h).  Counters are
 * atomic: OpenBLAS and OpenMP threads allocate too. */
#define _GNU_SOURCE /* memalign, valloc, pvalloc, dladdr */
#include "failalloc.h"

#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* glibc's allocator under its internal names (exported by libc.so.6). */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t alignment, size_t size);

static atomic_int armed;
static atomic_size_t target, seen;
static atomic_int injected;
/* set between tests, never while armed */
static char spare_name[64];

void mgt_failalloc_arm(size_t n)
{
    atomic_store(&armed, 0);
    atomic_store(&seen, 0);
    atomic_store(&injected, 0);
    atomic_store(&target, n);
    atomic_store(&armed, 1);
}

void mgt_failalloc_disarm(void)
{
    atomic_store(&armed, 0);
}

size_t mgt_failalloc_count(void)
{
    return atomic_load(&seen);
}

int mgt_failalloc_injected(void)
{
    return atomic_load(&injected);
}

void mgt_failalloc_spare(const char *name)
{
    spare_name[0] = '\0';
    if (name) {
        strncpy(spare_name, name, sizeof spare_name - 1);
        spare_name[sizeof spare_name - 1] = '\0';
    }
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

/* 1 if this allocation, called from caller, is the one to fail. */
static int fail_now(void *caller)
{
    if (!atomic_load(&armed) || spared(caller))
        return 0;
    const size_t n = atomic_fetch_add(&seen, 1) + 1;
    if (n != atomic_load(&target))
        return 0;
    atomic_store(&injected, 1);
    return 1;
}

void *malloc(size_t size)
{
    if (fail_now(__builtin_return_address(0))) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
    if (fail_now(__builtin_return_address(0))) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
    /* a failed realloc leaves p allocated, as glibc's does */
    if (fail_now(__builtin_return_address(0))) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_realloc(p, size);
}

void free(void *p)
{
    __libc_free(p);
}

/* alignment: a power of two, at least sizeof(void *) (posix_memalign's
 * contract; EINVAL otherwise). */
int posix_memalign(void **out, size_t alignment, size_t size)
{
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0)
        return EINVAL;
    if (fail_now(__builtin_return_address(0)))
        return ENOMEM;
    void *p = __libc_memalign(alignment, size);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

static void *aligned(void *caller, size_t alignment, size_t size)
{
    if (fail_now(caller)) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size)
{
    return aligned(__builtin_return_address(0), alignment, size);
}

void *memalign(size_t alignment, size_t size)
{
    return aligned(__builtin_return_address(0), alignment, size);
}

void *valloc(size_t size)
{
    return aligned(__builtin_return_address(0), (size_t)sysconf(_SC_PAGESIZE), size);
}

void *pvalloc(size_t size)
{
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    return aligned(__builtin_return_address(0), page, (size + page - 1) / page * page);
}
