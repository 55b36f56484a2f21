/* SPDX-License-Identifier: BSD-3-Clause */
/* Exactly solvable least-squares problems (mgt_exact.h). */
#include "mgt_exact.h"
#include "ref_lstsq.h"

#include <math.h>
#include <stdlib.h>

/* 1 if column j of X is the scaled one (or one of them). */
static int scaled(const mgt_exact *e, size_t j)
{
    return e->s > 0 && (e->col == MGT_EXACT_ALL || j == e->col);
}

/* A nonzero multiple of 1/4 in [-4, 4]. */
static double quarter(mgt_rng *r)
{
    const double v = (double)((long)mgt_below(r, 32) - 16) / 4.0;
    return v == 0.0 ? 0.75 : v;
}

mgt_exact mgt_exact_make(uint64_t seed, size_t pairs, size_t nx, size_t k, int intercept,
                         size_t col, int s)
{
    mgt_exact e;
    mgt_rng r = mgt_rng_seed(seed);
    const size_t N = 2 * pairs, ic = intercept ? 1u : 0u, p = nx + ic;
    e.N = N;
    e.nx = nx;
    e.k = k;
    e.p = p;
    e.intercept = intercept;
    e.col = col;
    e.s = s;
    e.t = s > 0 ? 1020 - s : 0;
    e.X = mgt_alloc(N, nx, 1);
    e.I = mgt_alloc(N, nx, 0);
    e.Y = mgt_alloc(N, k, 1);
    e.b = malloc(p * k * sizeof *e.b);
    e.colmax = malloc(p * sizeof *e.colmax);
    double *beta = malloc(p * k * sizeof *beta);
    ck_assert(e.b && e.colmax && beta);
    for (size_t i = 0; i < pairs; i++)
        for (size_t j = 0; j < nx; j++) {
            const double v = (double)((long)mgt_below(&r, 9) - 4);
            *mg_at(&e.I.v, 2 * i, j) = *mg_at(&e.I.v, 2 * i + 1, j) = v;
        }
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < nx; j++)
            *mg_at(&e.X.v, i, j) = ldexp(mgt_get(&e.I.v, i, j), scaled(&e, j) ? -s : 0);
    for (size_t j = 0; j < p * k; j++)
        beta[j] = quarter(&r);
    for (size_t j = 0; j < p; j++) {
        e.colmax[j] = j < ic ? 1.0 : 0.0;
        for (size_t i = 0; j >= ic && i < N; i++)
            e.colmax[j] = fmax(e.colmax[j], fabs(mgt_get(&e.X.v, i, j - ic)));
        for (size_t c = 0; c < k; c++)
            e.b[j * k + c] = ldexp(beta[j * k + c], e.t + (j >= ic && scaled(&e, j - ic) ? s : 0));
    }
    for (size_t c = 0; c < k; c++)
        for (size_t i = 0; i < pairs; i++) {
            const double res = (double)(1 + (long)mgt_below(&r, 3)) * (mgt_below(&r, 2) ? 1 : -1);
            for (size_t h = 0; h < 2; h++) {
                const size_t row = 2 * i + h;
                double y = ic ? beta[c] : 0.0; /* exact: small dyadic sums */
                for (size_t j = 0; j < nx; j++)
                    y += mgt_get(&e.I.v, row, j) * beta[(ic + j) * k + c];
                *mg_at(&e.Y.v, row, c) = ldexp(y + (h ? -res : res), e.t);
            }
        }
    free(beta);
    return e;
}

void mgt_exact_free(mgt_exact *e)
{
    mgt_free(&e->X);
    mgt_free(&e->I);
    mgt_free(&e->Y);
    free(e->b);
    free(e->colmax);
}

double mgt_exact_err(const mgt_exact *e, const mg_matrix *B)
{
    long double err = 0.0L, ref = 0.0L;
    for (size_t j = 0; j < e->p; j++)
        for (size_t c = 0; c < e->k; c++) {
            const long double d = fabsl((long double)mgt_get(B, j, c) - e->b[j * e->k + c]);
            if (!(d <= HUGE_VALL))
                return INFINITY; /* NaN or Inf */
            err = fmaxl(err, d * e->colmax[j]);
            ref = fmaxl(ref, fabsl((long double)e->b[j * e->k + c]) * e->colmax[j]);
        }
    return (double)(err / ref);
}

double mgt_exact_kappa(const mgt_exact *e)
{
    mgt_mat B = mgt_alloc(e->p, 1, 0);
    mgt_mat y = mgt_alloc(e->N, 1, 0);
    for (size_t i = 0; i < e->N; i++)
        *mg_at(&y.v, i, 0) = (double)(i % 7);
    mg_lstsq_options o = mg_lstsq_defaults();
    o.intercept = e->intercept;
    o.method = MG_LSTSQ_QR;
    mg_lstsq_result res = { 0 };
    ck_assert_int_eq(mg_lstsq(&e->I.v, &y.v, &B.v, &o, &res), MG_OK);
    ck_assert_uint_eq(res.rank, e->p);
    ck_assert(res.rcond > 0.0);
    mgt_free(&B);
    mgt_free(&y);
    return 1.0 / res.rcond;
}

void mgt_exact_se(const mgt_exact *e, double *se)
{
    const size_t N = e->N, p = e->p, k = e->k, ic = (size_t)(e->intercept != 0);
    double *Z = malloc(N * p * sizeof *Z), *y = malloc(N * sizeof *y);
    ref_lstsq ref = { malloc(p * sizeof(double)), malloc(p * sizeof(double)),
                      malloc(p * sizeof(double)), 0.0, 0, 0.0 };
    ck_assert(Z && y && ref.b_hi && ref.b_lo && ref.cov);
    for (size_t i = 0; i < N; i++) {
        if (ic)
            Z[i * p] = 1.0;
        for (size_t j = 0; j < e->nx; j++)
            Z[i * p + ic + j] = mgt_get(&e->I.v, i, j);
    }
    for (size_t c = 0; c < k; c++) {
        /* the integer problem: y 2^-t (exact) */
        for (size_t i = 0; i < N; i++)
            y[i] = ldexp(mgt_get(&e->Y.v, i, c), -e->t);
        ck_assert_int_eq(ref_lstsq_exact(Z, p, N, p, y, 1, &ref), 0);
        const long double sd = sqrtl((long double)ref.rss / (long double)(N - p));
        for (size_t j = 0; j < p; j++)
            se[j * k + c] = (double)ldexpl(sd * sqrtl((long double)ref.cov[j]),
                                           e->t + (j >= ic && scaled(e, j - ic) ? e->s : 0));
    }
    free(Z); free(y); free(ref.b_hi); free(ref.b_lo); free(ref.cov);
}
