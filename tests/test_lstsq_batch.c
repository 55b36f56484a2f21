/* SPDX-License-Identifier: BSD-3-Clause */
/* mg_lstsq_batch (lstsq.h) against a loop of mg_lstsq calls.
 *
 * Both return the exact least-squares solution of the double data to
 * within a few ulp (lstsq.h's contract; tests/test_lstsq_exact.c asserts
 * 8 ulp per coefficient, normwise for coefficients near 0), so each
 * coefficient of the batch must be within 16 ulp of the loop's (8 each
 * way): |b - b_ref| <= 16 eps max(|b_ref|, eps ||b_ref||_inf) (the
 * normwise floor is MG__LSQ_STALL_ULPS's measure, lstsq.h).  The residual
 * sd and R^2 come from residuals of those coefficients summed in
 * double-double: relative 16 eps of sd, 16 eps absolute for R^2 near 1.
 * Fits the batch hands to mg_lstsq (rank-deficient) must match bitwise,
 * and the whole batch is bitwise the same for 1 and 3 threads.  Where
 * mg_lstsq itself takes the batch's one-fit kernel (N p^2 <= 1e4), the
 * batch's fits, four at a time in vector lanes or one by one, must match
 * it bitwise too (lanes_match_single_fits). */
#define _GNU_SOURCE /* RTLD_DEFAULT */
#include "mgtest.h"

#include <dlfcn.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { COUNT = 300 };

typedef struct batch_data {
    size_t count, N, p, k, m;
    int ic;
    double *X, *Y, *B, *sd, *r2;
    mg_matrix *Xv, *Yv, *Bv;
    mg_status *st;
} batch_data;

static void make(batch_data *d, size_t count, size_t N, size_t p, size_t k, int ic, uint64_t seed)
{
    memset(d, 0, sizeof *d);
    d->count = count;
    d->N = N;
    d->p = p;
    d->k = k;
    d->ic = ic;
    d->m = p + (size_t)ic;
    d->X = malloc(count * N * p * sizeof *d->X);
    d->Y = malloc(count * N * k * sizeof *d->Y);
    d->B = malloc(count * d->m * k * sizeof *d->B);
    d->sd = malloc(count * k * sizeof *d->sd);
    d->r2 = malloc(count * k * sizeof *d->r2);
    d->Xv = malloc(count * sizeof *d->Xv);
    d->Yv = malloc(count * sizeof *d->Yv);
    d->Bv = malloc(count * sizeof *d->Bv);
    d->st = malloc(count * sizeof *d->st);
    ck_assert(d->X && d->Y && d->B && d->sd && d->r2 && d->Xv && d->Yv && d->Bv && d->st);
    mgt_rng r = mgt_rng_seed(seed);
    for (size_t f = 0; f < count; f++) {
        double *X = d->X + f * N * p, *Y = d->Y + f * N * k;
        /* a condition number that varies from fit to fit, up to ~1e6 */
        const double delta = pow(10.0, -(double)(f % 7));
        for (size_t i = 0; i < N; i++) {
            for (size_t j = 0; j < p; j++)
                X[i * p + j] = mgt_uniform(&r) * ldexp(1.0, (int)(j % 8) * 3);
            if (p >= 2)
                X[i * p + 1] = X[i * p] * 8.0 + delta * mgt_uniform(&r);
            for (size_t c = 0; c < k; c++) {
                double s = ic ? 2.0 : 0.0;
                for (size_t j = 0; j < p; j++)
                    s += (double)(j + c + 1) * X[i * p + j];
                Y[i * k + c] = s + 0.01 * mgt_uniform(&r);
            }
        }
        d->Xv[f] = mg_matrix_view(X, N, p);
        d->Yv[f] = mg_matrix_view(Y, N, k);
        d->Bv[f] = mg_matrix_view(d->B + f * d->m * k, d->m, k);
    }
}

static void release(batch_data *d)
{
    free(d->X); free(d->Y); free(d->B); free(d->sd); free(d->r2);
    free(d->Xv); free(d->Yv); free(d->Bv); free(d->st);
}

/* The batch on `threads` OpenMP threads (the library's OpenMP runtime,
 * found at run time: without OpenMP there is one thread whatever this asks). */
static mg_status run(batch_data *d, int threads)
{
    void (*set_threads)(int) = NULL;
    int (*get_threads)(void) = NULL;
    *(void **)&set_threads = dlsym(RTLD_DEFAULT, "omp_set_num_threads");
    *(void **)&get_threads = dlsym(RTLD_DEFAULT, "omp_get_max_threads");
    mg_lstsq_options o = mg_lstsq_defaults();
    o.intercept = d->ic;
    const int saved = get_threads ? get_threads() : 1;
    if (set_threads)
        set_threads(threads);
    memset(d->B, 0, d->count * d->m * d->k * sizeof *d->B);
    const mg_status s = mg_lstsq_batch(d->count, d->Xv, d->Yv, d->Bv, &o, d->sd, d->r2, d->st);
    if (set_threads)
        set_threads(saved);
    return s;
}

/* Fit f of the batch against mg_lstsq of the same problem. */
static void check_fit(const batch_data *d, size_t f)
{
    const size_t m = d->m, k = d->k;
    double Bref[128], sd[8], r2[8];
    ck_assert_uint_le(m * k, 128);
    mg_matrix Bv = mg_matrix_view(Bref, m, k);
    mg_lstsq_options o = mg_lstsq_defaults();
    o.intercept = d->ic;
    mg_lstsq_result res;
    memset(&res, 0, sizeof res);
    res.residual_sd = sd;
    res.r_squared = r2;
    const mg_status s = mg_lstsq(&d->Xv[f], &d->Yv[f], &Bv, &o, &res);
    ck_assert_int_eq(d->st[f], s);
    if (s != MG_OK)
        return;
    const double *B = d->B + f * m * k;
    for (size_t c = 0; c < k; c++) {
        double bn = 0.0;
        for (size_t j = 0; j < m; j++)
            bn = fmax(bn, fabs(Bref[j * k + c]));
        for (size_t j = 0; j < m; j++) {
            const double ref = Bref[j * k + c];
            const double tol = 16.0 * DBL_EPSILON * fmax(fabs(ref), DBL_EPSILON * bn);
            ck_assert_msg(fabs(B[j * k + c] - ref) <= tol, "fit %zu b[%zu,%zu] %.17g vs %.17g", f,
                          j, c, B[j * k + c], ref);
        }
        if (isnan(sd[c])) /* df_residual 0: undefined in both */
            ck_assert(isnan(d->sd[f * k + c]));
        else
            ck_assert_double_le(fabs(d->sd[f * k + c] - sd[c]), 16.0 * DBL_EPSILON * sd[c]);
        ck_assert_double_le(fabs(d->r2[f * k + c] - r2[c]), 16.0 * DBL_EPSILON);
    }
}

static void against_loop(size_t N, size_t p, size_t k, int ic, uint64_t seed)
{
    batch_data d;
    make(&d, COUNT, N, p, k, ic, seed);
    ck_assert_int_eq(run(&d, 1), MG_OK);
    for (size_t f = 0; f < d.count; f++)
        check_fit(&d, f);
    release(&d);
}

START_TEST(small_fits) { against_loop(100, 4, 1, 1, 1); }
END_TEST
START_TEST(several_outputs) { against_loop(40, 3, 3, 0, 2); }
END_TEST
START_TEST(square_and_tiny) { against_loop(5, 4, 2, 1, 3); }
END_TEST
/* 40 design columns: still the parallel path */
START_TEST(medium_fits) { against_loop(60, 40, 1, 0, 4); }
END_TEST
/* 70 design columns: beyond the parallel path, every fit through mg_lstsq */
START_TEST(wide_fits) { against_loop(100, 70, 1, 0, 10); }
END_TEST

/* The batch finds its column scales from the design's bits (the largest
 * magnitude of a column, a NaN above every Inf): a non-finite entry
 * anywhere, of either sign, in the lanes or the tail of a column, fails
 * its fit alone; columns of extreme magnitude fit as mg_lstsq fits them. */
START_TEST(design_extremes)
{
    batch_data d;
    make(&d, 8, 100, 4, 1, 1, 9);
    d.X[1 * 400 + 3 * 4 + 0] = INFINITY;
    d.X[2 * 400 + 99 * 4 + 3] = -INFINITY; /* row 99: past the 8-row lanes */
    d.X[3 * 400 + 50 * 4 + 2] = copysign(NAN, -1.0);
    for (size_t i = 0; i < 100; i++) {
        d.X[4 * 400 + i * 4 + 2] = ldexp(d.X[4 * 400 + i * 4 + 2], -1060); /* subnormal */
        d.X[5 * 400 + i * 4 + 1] = ldexp(d.X[5 * 400 + i * 4 + 1], 1000);
    }
    ck_assert_int_eq(run(&d, 1), MG_ENONFINITE);
    for (size_t f = 1; f <= 3; f++)
        ck_assert_int_eq(d.st[f], MG_ENONFINITE);
    for (size_t f = 0; f < d.count; f++)
        check_fit(&d, f);
    release(&d);
}
END_TEST

/* 1 and 3 threads: bitwise the same B, statistics and statuses. */
START_TEST(threads_identical)
{
    batch_data d;
    make(&d, COUNT, 100, 4, 2, 1, 5);
    /* a few bad problems among them */
    d.X[7 * 100 * 4 + 5] = NAN;
    for (size_t i = 0; i < 100; i++)
        d.X[11 * 100 * 4 + i * 4 + 3] = 0.0; /* a zero column: rank-deficient */
    ck_assert_int_eq(run(&d, 1), MG_ENONFINITE);
    const size_t nb = d.count * d.m * d.k, ns = d.count * d.k;
    double *B1 = malloc(nb * sizeof *B1), *sd1 = malloc(ns * sizeof *sd1);
    double *r21 = malloc(ns * sizeof *r21);
    mg_status *st1 = malloc(d.count * sizeof *st1);
    ck_assert(B1 && sd1 && r21 && st1);
    memcpy(B1, d.B, nb * sizeof *B1);
    memcpy(sd1, d.sd, ns * sizeof *sd1);
    memcpy(r21, d.r2, ns * sizeof *r21);
    memcpy(st1, d.st, d.count * sizeof *st1);
    ck_assert_int_eq(run(&d, 3), MG_ENONFINITE);
    ck_assert_mem_eq(B1, d.B, nb * sizeof *B1);
    ck_assert_mem_eq(sd1, d.sd, ns * sizeof *sd1);
    ck_assert_mem_eq(r21, d.r2, ns * sizeof *r21);
    ck_assert_mem_eq(st1, d.st, d.count * sizeof *st1);
    ck_assert_int_eq(d.st[7], MG_ENONFINITE);
    ck_assert_int_eq(d.st[11], MG_OK);
    /* the rank-deficient fit went through mg_lstsq itself: bitwise equal */
    double Bref[10];
    mg_matrix Bv = mg_matrix_view(Bref, 5, 2);
    mg_lstsq_options o = mg_lstsq_defaults();
    o.intercept = 1;
    ck_assert_int_eq(mg_lstsq(&d.Xv[11], &d.Yv[11], &Bv, &o, NULL), MG_OK);
    ck_assert_mem_eq(Bref, d.B + 11 * 10, sizeof Bref);
    for (size_t f = 0; f < d.count; f++)
        if (f != 7)
            ck_assert_int_eq(d.st[f], MG_OK);
    /* the failed fit's outputs are untouched (run() zeroed B) */
    for (size_t j = 0; j < 10; j++)
        ck_assert(d.B[7 * 10 + j] == 0.0);
    free(B1); free(sd1); free(r21); free(st1);
    release(&d);
}
END_TEST

/* The batch (its fits four at a time in vector lanes where the CPU has
 * AVX2 and FMA, lstsq_batch_lanes.c; one by one otherwise and under
 * MATGRAD_SIMD=generic) against mg_lstsq, which runs the one-fit kernel
 * on designs this small: the same operations in the same order, so the
 * same bits of B, residual sd and R^2, and the same status, including
 * fits among them that leave the lanes' path (a NaN in X, an Inf in y, a
 * zero column, a subnormal or huge column, an exactly fitting y) and a
 * count that leaves fits outside any group of four. */
static void lanes_case(size_t N, size_t p, int ic, unsigned max_refine, uint64_t seed)
{
    enum { FITS = 37 };
    batch_data d;
    make(&d, FITS, N, p, 1, ic, seed);
    d.X[2 * N * p + (N / 2) * p + p - 1] = NAN;
    d.Y[6 * N + N - 1] = INFINITY;
    for (size_t i = 0; i < N; i++) {
        d.X[9 * N * p + i * p + p - 1] = 0.0; /* rank-deficient */
        d.X[13 * N * p + i * p] = ldexp(d.X[13 * N * p + i * p], -1060);
        d.X[14 * N * p + i * p + p - 1] = ldexp(d.X[14 * N * p + i * p + p - 1], 1000);
        d.Y[21 * N + i] = 3.0 * d.X[21 * N * p + i * p]; /* residual 0 */
    }
    mg_lstsq_options o = mg_lstsq_defaults();
    o.intercept = ic;
    o.max_refine = max_refine;
    memset(d.B, 0, FITS * d.m * sizeof *d.B);
    (void)mg_lstsq_batch(FITS, d.Xv, d.Yv, d.Bv, &o, d.sd, d.r2, d.st);
    for (size_t f = 0; f < FITS; f++) {
        double Bref[64] = { 0 }, sd = 0.0, r2 = 0.0;
        ck_assert_uint_le(d.m, 64);
        mg_matrix Bv = mg_matrix_view(Bref, d.m, 1);
        mg_lstsq_result res;
        memset(&res, 0, sizeof res);
        res.residual_sd = &sd;
        res.r_squared = &r2;
        const mg_status s = mg_lstsq(&d.Xv[f], &d.Yv[f], &Bv, &o, &res);
        ck_assert_msg(d.st[f] == s, "N %zu p %zu fit %zu: status %d vs %d", N, p, f, d.st[f], s);
        if (s != MG_OK)
            continue;
        ck_assert_msg(memcmp(Bref, d.B + f * d.m, d.m * sizeof *Bref) == 0,
                      "N %zu p %zu ic %d fit %zu: B differs (b0 %.17g vs %.17g)", N, p, ic, f,
                      d.B[f * d.m], Bref[0]);
        ck_assert_msg(memcmp(&sd, &d.sd[f], sizeof sd) == 0 && memcmp(&r2, &d.r2[f], sizeof r2) == 0,
                      "N %zu p %zu fit %zu: sd %.17g vs %.17g, r2 %.17g vs %.17g", N, p, f,
                      d.sd[f], sd, d.r2[f], r2);
    }
    release(&d);
}

START_TEST(lanes_match_single_fits)
{
    lanes_case(100, 4, 1, 10, 21);
    lanes_case(100, 3, 0, 10, 22);
    lanes_case(37, 6, 1, 10, 23);
    lanes_case(12, 2, 1, 10, 24);
    lanes_case(9, 7, 1, 10, 25);    /* N = p + 1 */
    lanes_case(64, 12, 0, 10, 26);  /* N p^2 = 9216: still the small path */
    lanes_case(100, 4, 1, 1, 27);   /* one refinement step at most */
}
END_TEST

START_TEST(errors)
{
    batch_data d;
    make(&d, 4, 10, 2, 1, 0, 6);
    ck_assert_int_eq(mg_lstsq_batch(0, d.Xv, d.Yv, d.Bv, NULL, NULL, NULL, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_lstsq_batch(4, NULL, d.Yv, d.Bv, NULL, NULL, NULL, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_lstsq_batch(4, d.Xv, NULL, d.Bv, NULL, NULL, NULL, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_lstsq_batch(4, d.Xv, d.Yv, NULL, NULL, NULL, NULL, NULL), MG_EINVAL);
    mg_lstsq_options o = mg_lstsq_defaults();
    o.rank_tol = 2.0;
    ck_assert_int_eq(mg_lstsq_batch(4, d.Xv, d.Yv, d.Bv, &o, NULL, NULL, NULL), MG_EINVAL);
    /* one fit of another shape */
    d.Xv[2].rows = 9;
    ck_assert_int_eq(mg_lstsq_batch(4, d.Xv, d.Yv, d.Bv, NULL, NULL, NULL, NULL), MG_EDIM);
    d.Xv[2].rows = 10;
    d.Bv[3].rows = 3;
    ck_assert_int_eq(mg_lstsq_batch(4, d.Xv, d.Yv, d.Bv, NULL, NULL, NULL, NULL), MG_EDIM);
    d.Bv[3].rows = 2;
    /* an output overlapping another fit's input, another output, or the
     * statistics array */
    mg_matrix keep = d.Bv[1];
    d.Bv[1] = mg_matrix_view(d.Y + 3 * 10, 2, 1);
    ck_assert_int_eq(mg_lstsq_batch(4, d.Xv, d.Yv, d.Bv, NULL, NULL, NULL, NULL), MG_EINVAL);
    d.Bv[1] = d.Bv[0];
    ck_assert_int_eq(mg_lstsq_batch(4, d.Xv, d.Yv, d.Bv, NULL, NULL, NULL, NULL), MG_EINVAL);
    d.Bv[1] = keep;
    ck_assert_int_eq(mg_lstsq_batch(4, d.Xv, d.Yv, d.Bv, NULL, d.B + 2, NULL, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_lstsq_batch(4, d.Xv, d.Yv, d.Bv, NULL, d.sd, d.sd + 1, NULL), MG_EINVAL);
    /* outputs given out of address order (the check's sorting path, not
     * its merge of ordered runs): valid, and an overlap still found */
    mg_matrix b0 = d.Bv[0];
    d.Bv[0] = d.Bv[3];
    d.Bv[3] = b0;
    ck_assert_int_eq(mg_lstsq_batch(4, d.Xv, d.Yv, d.Bv, NULL, NULL, NULL, NULL), MG_OK);
    d.Bv[1] = d.Bv[0];
    ck_assert_int_eq(mg_lstsq_batch(4, d.Xv, d.Yv, d.Bv, NULL, NULL, NULL, NULL), MG_EINVAL);
    d.Bv[1] = keep;
    d.Bv[3] = d.Bv[0];
    d.Bv[0] = b0;
    /* inputs may be shared (the same X for every fit) */
    for (size_t f = 1; f < 4; f++)
        d.Xv[f] = d.Xv[0];
    ck_assert_int_eq(mg_lstsq_batch(4, d.Xv, d.Yv, d.Bv, NULL, d.sd, d.r2, d.st), MG_OK);
    /* weights and the other methods: every fit through mg_lstsq */
    double w[10];
    for (int i = 0; i < 10; i++)
        w[i] = 1.0 + i;
    mg_matrix wv = mg_matrix_view(w, 10, 1);
    o = mg_lstsq_defaults();
    o.weights = &wv;
    ck_assert_int_eq(mg_lstsq_batch(4, d.Xv, d.Yv, d.Bv, &o, d.sd, d.r2, d.st), MG_OK);
    double Bref[2];
    mg_matrix Bv = mg_matrix_view(Bref, 2, 1);
    ck_assert_int_eq(mg_lstsq(&d.Xv[2], &d.Yv[2], &Bv, &o, NULL), MG_OK);
    ck_assert_mem_eq(Bref, d.B + 2 * 2, sizeof Bref);
    o = mg_lstsq_defaults();
    o.method = MG_LSTSQ_SVD;
    ck_assert_int_eq(mg_lstsq_batch(4, d.Xv, d.Yv, d.Bv, &o, NULL, NULL, NULL), MG_OK);
    ck_assert_int_eq(mg_lstsq(&d.Xv[3], &d.Yv[3], &Bv, &o, NULL), MG_OK);
    ck_assert_mem_eq(Bref, d.B + 3 * 2, sizeof Bref);
    release(&d);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lstsq_batch");
    TCase *tc = tcase_create("batch");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, small_fits);
    tcase_add_test(tc, several_outputs);
    tcase_add_test(tc, square_and_tiny);
    tcase_add_test(tc, medium_fits);
    tcase_add_test(tc, wide_fits);
    tcase_add_test(tc, design_extremes);
    tcase_add_test(tc, threads_identical);
    tcase_add_test(tc, lanes_match_single_fits);
    tcase_add_test(tc, errors);
    suite_add_tcase(s, tc);
    return mgt_run(s);
}
