/* SPDX-License-Identifier: BSD-3-Clause */
/* An LD_PRELOAD shim for cli_alloc_failure.sh: the MGCLI_FAIL_NTH-th call of
 * malloc, calloc or realloc asking for exactly MGCLI_FAIL_SIZE bytes fails
 * (NULL, errno ENOMEM); every other call goes to the C library.  Matching
 * on the size picks out one buffer (say LAPACKE's p x p transposition
 * copy) among the process's many allocations.  glibc only (__libc_*). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static size_t fail_size;
static long fail_nth, seen;
static int ready;

static int hit(size_t n)
{
    if (!ready) {
        /* getenv does not allocate */
        const char *s = getenv("MGCLI_FAIL_SIZE"), *k = getenv("MGCLI_FAIL_NTH");
        fail_size = s ? strtoull(s, NULL, 10) : 0;
        fail_nth = k ? atol(k) : 0;
        ready = 1;
    }
    if (fail_nth <= 0 || n != fail_size)
        return 0;
    if (__atomic_add_fetch(&seen, 1, __ATOMIC_SEQ_CST) != fail_nth)
        return 0;
    errno = ENOMEM;
    return 1;
}

void *malloc(size_t n) { return hit(n) ? NULL : __libc_malloc(n); }

void *calloc(size_t a, size_t b)
{
    return b && a <= SIZE_MAX / b && hit(a * b) ? NULL : __libc_calloc(a, b);
}

void *realloc(void *p, size_t n) { return hit(n) ? NULL : __libc_realloc(p, n); }
