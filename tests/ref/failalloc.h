/* SPDX-License-Identifier: BSD-3-Clause */
/* Test-only allocation failure injection.
 *
 * failalloc.c defines malloc, calloc, realloc, free, posix_memalign,
 * aligned_alloc, memalign, valloc and pvalloc in the test executable; the
 * library, OpenBLAS and libgomp resolve them there.  Each forwards to
 * glibc's own allocator (__libc_malloc and friends) and, while armed, counts
 * the allocations and fails the n-th one (NULL, or ENOMEM from
 * posix_memalign) exactly once.  free is never failed or counted, but a
 * block counted while armed is remembered until it is freed (leak check).
 *
 * Link it only into executables that ask for it (tests/failalloc.cmake: the
 * object library mgtfailalloc), never into mgtestref: every test would
 * otherwise run on it.  Not usable under ASan, whose allocator it would
 * bypass.
 *
 * Also built as a preloadable shared library armed from the environment
 * (failalloc.c, MGT_FAILALLOC_PRELOAD) for tests of a whole process.
 *
 * Use: one warm-up call of the function under test (so that the BLAS
 * buffers and the OpenMP thread pool already exist), then for n = 1, 2, ...
 * arm(n), call, disarm(), until a call runs without mgt_failalloc_injected(). */
#ifndef MGT_FAILALLOC_H
#define MGT_FAILALLOC_H

#include <stddef.h>

/* Fails the n-th allocation counted from now (n >= 1); n = 0 fails none but
 * still counts.  Resets the count and the injected flag. */
void mgt_failalloc_arm(size_t n);

/* Counts (and fails) only allocations of exactly bytes bytes; 0 (the
 * default): every size.  Set it while disarmed. */
void mgt_failalloc_only_size(size_t bytes);

/* Stops counting and failing (the count and the flag are kept). */
void mgt_failalloc_disarm(void);

/* Allocations seen since the last arm (those after disarm excluded). */
size_t mgt_failalloc_count(void);

/* 1 if the armed failure was injected since the last arm. */
int mgt_failalloc_injected(void);

/* Allocations called from a loaded object whose file name (without the
 * directory) contains name are neither counted nor failed; NULL: none
 * spared.  For tests of one defect that must not end on another: "omp"
 * spares GCC's libgomp and LLVM's libomp, which end the process when they
 * cannot allocate a team.  The name is copied (at most 63 bytes). */
void mgt_failalloc_spare(const char *name);

/* Blocks allocated (and counted) since the last arm and not freed since:
 * a leak by the code under test shows up here after the call returns.
 * *bytes (if not NULL) receives their total size and *site (if not NULL)
 * the return address of the call that allocated one of them. */
size_t mgt_failalloc_live(size_t *bytes, void **site);

/* When fd >= 0, the injected failure writes "F <n> <caller>", one
 * backtrace_symbols_fd frame a line, then "F end" to fd before returning
 * NULL, without allocating: the point and its allocating code are known
 * even if the process then ends.  -1 (the default) turns this off. */
void mgt_failalloc_trace_fd(int fd);

#endif /* MGT_FAILALLOC_H */
