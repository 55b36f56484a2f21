/* Allocation-failure injection for tests (never part of the library).
 *
 * failalloc.c defines malloc, calloc, realloc, free, posix_memalign,
 * aligned_alloc, memalign, valloc and pvalloc, forwarding to glibc's
 * __libc_* entry points.  A definition in the executable takes precedence
 * over glibc's for every shared library of the process (matgrad, OpenBLAS,
 * LAPACKE, libgomp), so each of their allocations passes through here.
 *
 * Only link this file into the executables that use it, and never into a
 * sanitizer build: its malloc would replace ASan's allocator.
 *
 * While armed, every allocation from any thread is counted (an allocation
 * made by the interposer's own bookkeeping or by glibc code called from it
 * is not), the n-th one returns NULL with errno = ENOMEM, and every block
 * handed out is remembered until it is freed, so that a leak by the code
 * under test shows up as a live block at disarm time.
 */
#ifndef MGT_FAILALLOC_H
#define MGT_FAILALLOC_H

#include <stddef.h>

/* Starts counting allocations from zero; the n-th from now fails (n >= 1);
 * n = 0 counts and tracks without failing anything. */
void mgt_failalloc_arm(size_t n);
/* Stops counting and failing; the counts stay readable until the next arm. */
void mgt_failalloc_disarm(void);
/* Allocations attempted since the last arm (the failed one included). */
size_t mgt_failalloc_count(void);
/* Nonzero once the armed failure has been injected. */
int mgt_failalloc_injected(void);

/* Blocks allocated since the last arm and not freed; *bytes (if not NULL)
 * receives their total size and *site (if not NULL) the return address of
 * the call that allocated one of them. */
size_t mgt_failalloc_live(size_t *bytes, void **site);
/* When fd >= 0, the injected failure writes "F <n> <caller>" and a
 * backtrace (backtrace_symbols_fd) to fd before returning NULL, so that the
 * point is known even if the process then ends.  -1 turns this off. */
void mgt_failalloc_trace_fd(int fd);

#endif /* MGT_FAILALLOC_H */
