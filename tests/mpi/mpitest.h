/* SPDX-License-Identifier: BSD-3-Clause */
/* Checks for the MPI suites (tests/mpi.cmake runs them under mpirun with
 * 1 to 4 ranks).  Check's forking runner does not mix with MPI, so a
 * suite's body runs as one Check test without fork (the shared test
 * helpers of tests/ref use ck_assert, which needs a runner); its own
 * checks (MPIT_CHECK) print rank and place and count, and the process
 * exits non-zero when a check failed on any rank.  A ck_assert that fails
 * inside a helper ends that rank's body; the other ranks then wait in a
 * collective until ctest's timeout fails the test. */
#ifndef MGT_MPITEST_H
#define MGT_MPITEST_H

#include <check.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int mpit_rank, mpit_size, mpit_failures;

#define MPIT_CHECK(cond, ...)                                                           \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            fprintf(stderr, "rank %d/%d: %s:%d: check failed: %s: ", mpit_rank, mpit_size, \
                    __FILE__, __LINE__, #cond);                                          \
            fprintf(stderr, __VA_ARGS__);                                               \
            fputc('\n', stderr);                                                        \
            mpit_failures++;                                                            \
        }                                                                               \
    } while (0)

static inline void mpit_init(int *argc, char ***argv)
{
    MPI_Init(argc, argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &mpit_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &mpit_size);
}

/* Runs test (a Check test function: START_TEST ... END_TEST) without
 * fork, then agrees on the exit status: 1 if any rank failed a check. */
static inline int mpit_run(const TTest *test)
{
    Suite *s = suite_create("mpi");
    TCase *tc = tcase_create("mpi");
    tcase_add_test(tc, test);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_SILENT);
    mpit_failures += srunner_ntests_failed(sr);
    srunner_free(sr);
    int total = 0;
    MPI_Allreduce(&mpit_failures, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (mpit_rank == 0)
        printf("%s: %d failed checks over %d ranks\n", total ? "FAILED" : "passed", total, mpit_size);
    MPI_Finalize();
    return total ? 1 : 0;
}

/* Rows i0 .. i0 + n - 1 of N for this rank: uneven shares 1 : 0 : 3 : 4 :
 * 5 ... (rank 1 holds no rows whenever there are two ranks or more). */
static inline void mpit_split(size_t N, size_t *i0, size_t *n)
{
    size_t total = 0, before = 0;
    for (int r = 0; r < mpit_size; r++) {
        const size_t u = (r == 1) ? 0 : (size_t)r + 1;
        if (r < mpit_rank)
            before += u;
        total += u;
    }
    const size_t mine = mpit_rank == 1 ? 0 : (size_t)mpit_rank + 1;
    *i0 = N * before / total;
    *n = N * (before + mine) / total - *i0;
}

/* 1 when v (n doubles) is bitwise the same on every rank. */
static inline int mpit_same(const double *v, size_t n)
{
    double *all = malloc(n * (size_t)mpit_size * sizeof *all);
    if (!all)
        abort();
    MPI_Allgather(v, (int)n, MPI_DOUBLE, all, (int)n, MPI_DOUBLE, MPI_COMM_WORLD);
    int same = 1;
    for (int r = 1; r < mpit_size; r++)
        same &= memcmp(all, all + (size_t)r * n, n * sizeof *all) == 0;
    free(all);
    return same;
}

#endif /* MGT_MPITEST_H */
