/* SPDX-License-Identifier: BSD-3-Clause */
/* Allocation failures inside mg_lstsq and mg_normal_solve: for n = 1, 2, ...
 * the n-th allocation of the call fails (tests/ref/failalloc.c) until a
 * call runs with none failed.  Every point must return MG_ENOMEM with the
 * outputs untouched, or MG_OK with the exact answer: never MG_OK with a
 * wrong one.  Regression test for issue 9: a failed allocation in the
 * Gram kernel of the Cholesky path (its -1 dropped) returned MG_OK with B
 * 24-71% wrong; LAPACKE's own allocation failures came back as MG_ENOTPD,
 * or were ignored (dpotrs, dlansy, dpocon).
 *
 * Each problem is solved once before the sweep, so that OpenBLAS's
 * buffers and the OpenMP thread pool exist; allocations by the OpenMP
 * runtime itself (libgomp, or clang's libomp) are spared: it ends the
 * process when it cannot allocate a team, even for a region that runs on
 * one thread, a defect of its own that the fault-injection suite over
 * every public function covers, not these. */
#include "failalloc.h"
#include "mgt_exact.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Sweeps stop here at the latest; the calls make a few dozen allocations. */
enum { MAX_POINTS = 5000 };

typedef struct lstsq_case {
    const mgt_exact *e;
    mg_lstsq_method method;
    double tol_b, tol_se; /* normwise error of B; relative error of each se */
    double *se_exact;
} lstsq_case;

/* One call with the n-th allocation failing (n = 0: none); returns 1 if a
 * failure was injected.  Checks the outcome either way. */
static int lstsq_point(const lstsq_case *t, size_t n)
{
    const mgt_exact *e = t->e;
    mgt_mat B = mgt_alloc(e->p, e->k, 1), SE = mgt_alloc(e->p, e->k, 1);
    double rsd[4] = { 44.0, 44.0, 44.0, 44.0 };
    mgt_fill(&B, 42.0);
    mgt_fill(&SE, 43.0);
    double *snapB = mgt_snapshot(&B), *snapSE = mgt_snapshot(&SE);
    mg_lstsq_options o = mg_lstsq_defaults();
    o.intercept = e->intercept;
    o.method = t->method;
    mg_lstsq_result res;
    memset(&res, 0, sizeof res);
    res.rank = 77;
    res.std_err = &SE.v;
    res.residual_sd = rsd;

    mgt_failalloc_arm(n);
    const mg_status s = mg_lstsq(&e->X.v, &e->Y.v, &B.v, &o, &res);
    mgt_failalloc_disarm();
    const int injected = mgt_failalloc_injected();

    if (s == MG_ENOMEM && injected) {
        ck_assert_msg(mgt_unchanged(&B, snapB) && mgt_unchanged(&SE, snapSE) &&
                          rsd[0] == 44.0 && res.rank == 77,
                      "method %d, allocation %zu: outputs written on MG_ENOMEM", (int)t->method,
                      n);
    } else {
        ck_assert_msg(s == MG_OK, "method %d, allocation %zu failed: status %d", (int)t->method,
                      n, (int)s);
        const double err = mgt_exact_err(e, &B.v);
        ck_assert_msg(err <= t->tol_b, "method %d, allocation %zu failed: MG_OK with B error %g",
                      (int)t->method, n, err);
        for (size_t j = 0; j < e->p; j++)
            for (size_t c = 0; c < e->k; c++) {
                const double want = t->se_exact[j * e->k + c];
                ck_assert_msg(fabs(mgt_get(&SE.v, j, c) - want) <= t->tol_se * want,
                              "method %d, allocation %zu failed: MG_OK with se %g, exact %g",
                              (int)t->method, n, mgt_get(&SE.v, j, c), want);
            }
    }
    free(snapB);
    free(snapSE);
    mgt_free(&B);
    mgt_free(&SE);
    return injected;
}

/* Tolerances as in test_status_subnormal.c: B to 64 p eps kappa normwise
 * (refined), se to 64 p eps kappa^2 relative; the Cholesky path's
 * semi-normal refinement converges to the same accuracy. */
static void sweep_lstsq(const mgt_exact *e, mg_lstsq_method method)
{
    const double kappa = mgt_exact_kappa(e), pe = 64.0 * (double)e->p * DBL_EPSILON;
    lstsq_case t = { e, method, pe * kappa, pe * kappa * kappa, NULL };
    t.se_exact = malloc(e->p * e->k * sizeof *t.se_exact);
    ck_assert_ptr_nonnull(t.se_exact);
    mgt_exact_se(e, t.se_exact);
    ck_assert(!lstsq_point(&t, 0)); /* warm-up, and the unarmed answer */
    size_t n = 1;
    while (n < MAX_POINTS && lstsq_point(&t, n))
        n++;
    ck_assert_msg(n < MAX_POINTS, "still failing after %d allocations", MAX_POINTS);
    ck_assert_msg(n > 1, "no allocation to fail: the sweep tested nothing");
    free(t.se_exact);
}

/* Cholesky forced on a small problem: the Gram kernel's buffer, the
 * factorisation and the refinement's every allocation. */
START_TEST(cholesky_forced)
{
    mgt_exact e = mgt_exact_make(61, 50, 3, 2, 1, 0, 0);
    sweep_lstsq(&e, MG_LSTSQ_CHOLESKY);
    mgt_exact_free(&e);
}
END_TEST

/* Auto on a problem big enough (N p^2 >= 1e7) for the Cholesky path, with
 * its several row slices. */
START_TEST(auto_big)
{
    mgt_exact e = mgt_exact_make(62, 20000, 15, 1, 1, 0, 0);
    sweep_lstsq(&e, MG_LSTSQ_AUTO);
    mgt_exact_free(&e);
}
END_TEST

START_TEST(qr_and_svd)
{
    mgt_exact e = mgt_exact_make(63, 40, 4, 2, 1, 0, 0);
    sweep_lstsq(&e, MG_LSTSQ_QR);
    sweep_lstsq(&e, MG_LSTSQ_SVD);
    mgt_exact_free(&e);
}
END_TEST

/* mg_normal_solve: MG_ENOMEM with W untouched, or the exact answer to
 * 64 j eps kappa^2 (the normal equations square the condition number). */
static int normal_point(const mgt_exact *e, double tol, size_t n)
{
    mgt_mat W = mgt_alloc(e->nx, e->k, 1);
    mgt_fill(&W, 42.0);
    double *snap = mgt_snapshot(&W);
    mgt_failalloc_arm(n);
    const mg_status s = mg_normal_solve(&e->X.v, &e->Y.v, 0.0, &W.v);
    mgt_failalloc_disarm();
    const int injected = mgt_failalloc_injected();
    if (s == MG_ENOMEM && injected) {
        ck_assert_msg(mgt_unchanged(&W, snap), "allocation %zu: W written on MG_ENOMEM", n);
    } else {
        ck_assert_msg(s == MG_OK, "allocation %zu failed: status %d", n, (int)s);
        const double err = mgt_exact_err(e, &W.v);
        ck_assert_msg(err <= tol, "allocation %zu failed: MG_OK with W error %g", n, err);
    }
    free(snap);
    mgt_free(&W);
    return injected;
}

START_TEST(normal_solve)
{
    static const size_t PAIRS[] = { 40, 20000 }; /* one slice; several, threaded */
    for (size_t i = 0; i < 2; i++) {
        mgt_exact e = mgt_exact_make(64 + i, PAIRS[i], 6, 3, 0, 0, 0);
        const double kappa = mgt_exact_kappa(&e);
        const double tol = 64.0 * (double)e.p * DBL_EPSILON * kappa * kappa;
        ck_assert(!normal_point(&e, tol, 0));
        size_t n = 1;
        while (n < MAX_POINTS && normal_point(&e, tol, n))
            n++;
        ck_assert(n < MAX_POINTS && n > 1);
        mgt_exact_free(&e);
    }
}
END_TEST

int main(void)
{
    mgt_failalloc_spare("omp");
    Suite *s = suite_create("status_alloc");
    TCase *tc = tcase_create("alloc");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, cholesky_forced);
    tcase_add_test(tc, auto_big);
    tcase_add_test(tc, qr_and_svd);
    tcase_add_test(tc, normal_solve);
    suite_add_tcase(s, tc);
    return mgt_run(s);
}
