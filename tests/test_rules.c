/* SPDX-License-Identifier: BSD-3-Clause */
/* rules: every trace-trick gradient against its naive loop reference and
 * against central differences of the scalar it differentiates, on 1x1,
 * tall, wide and strided shapes; singular, non-finite and bad input. */
#include "mgtest.h"
#include "ref_rules.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

/* ---- scalar functions for the finite differences ------------------------ */

typedef struct ctx {
    const mg_matrix *a, *b, *A, *B, *GY;
} ctx;

static double f_bilinear(const mg_matrix *X, void *p)
{
    ctx *c = p;
    return ref_bilinear(c->a, X, c->b);
}

static double f_a_exp_Xb(const mg_matrix *X, void *p)
{
    ctx *c = p;
    return ref_a_exp_Xb(c->a, X, c->b);
}

static double f_sandwich(const mg_matrix *X, void *p)
{
    ctx *c = p;
    return ref_sandwich_value(c->A, X, c->B, c->GY);
}

static double f_inverse(const mg_matrix *X, void *p)
{
    ctx *c = p;
    return ref_inverse_value(X, c->GY);
}

static double f_logdet(const mg_matrix *X, void *p)
{
    (void)p;
    return (double)logl(fabsl(ref_det(X)));
}

static double f_det(const mg_matrix *X, void *p)
{
    (void)p;
    return (double)ref_det(X);
}

/* sum_ij |A_ij| (|X_ij| + h) |B_..| style magnitudes: M = |a|^T (|X| + h) |b| */
static double mag_bilinear(const mg_matrix *a, const mg_matrix *X, const mg_matrix *b, double h)
{
    long double m = 0.0L;
    for (size_t i = 0; i < X->rows; i++)
        for (size_t j = 0; j < X->cols; j++)
            m += fabsl((long double)mgt_get(a, i, 0)) * (fabs(mgt_get(X, i, j)) + h) *
                 fabs(mgt_get(b, j, 0));
    return (double)m;
}

/* Normwise relative error bound of a central difference of a function
 * that is affine in each entry (no truncation), h = 0.5 on entries in
 * [-1, 1] (x +- h exact: multiples of 2^-52 below 2 in magnitude), whose
 * values are long-double sums rounded to double: each f value within
 * u M + (terms) 2^-64 M of the exact, M bounding |f| at the perturbed
 * points; the quotient (f+ - f-) / 1 adds 2 such errors and its rounding. */
static double fd_affine_tol(double M, double terms, const mg_matrix *G, const mg_matrix *N)
{
    const double gmax = mgt_max_abs(G);
    return (2.0 * (MGT_U + terms * LDBL_EPSILON) * M + MGT_U * gmax) / fmax(mgt_max_abs(N), 1e-300);
}

/* ---- bilinear and a^T exp(Xb) -------------------------------------------- */

typedef struct vshape { size_t m, n, pad; } vshape;
static const vshape VSHAPES[] = {
    { 1, 1, 0 }, { 1, 1, 2 }, { 4, 1, 0 }, { 1, 5, 1 }, { 6, 3, 2 }, { 9, 13, 0 }, { 30, 2, 1 },
};
enum { NVSHAPES = sizeof VSHAPES / sizeof VSHAPES[0] };

/* G = a b^T is one rounded product per entry, as in the reference: equal. */
START_TEST(bilinear_matches_reference_and_fd)
{
    mgt_rng r = mgt_rng_seed(100 + (uint64_t)_i);
    const vshape s = VSHAPES[_i];
    mgt_mat a = mgt_random(&r, s.m, 1, s.pad), b = mgt_random(&r, s.n, 1, s.pad),
            X = mgt_random(&r, s.m, s.n, s.pad);
    mgt_mat G = mgt_alloc(s.m, s.n, s.pad), R = mgt_alloc(s.m, s.n, 0), N = mgt_alloc(s.m, s.n, 0);
    mgt_fill(&G, NAN);
    ck_assert_int_eq(mg_grad_bilinear(&a.v, &b.v, &G.v), MG_OK);
    ref_grad_bilinear(&a.v, &b.v, &R.v);
    ck_assert_double_eq(mgt_rel_err(&G.v, &R.v), 0.0);
    ck_assert(mgt_padding_intact(&G));

    /* f is linear in X: no truncation error (fd_affine_tol). */
    ctx c = { .a = &a.v, .b = &b.v };
    ck_assert_int_eq(mg_fd_gradient(f_bilinear, &c, &X.v, 0.5, &N.v), MG_OK);
    ck_assert_double_le(mgt_rel_err(&G.v, &N.v),
                        fd_affine_tol(mag_bilinear(&a.v, &X.v, &b.v, 0.5), (double)(s.m * s.n), &G.v, &N.v));

    double f = 0.0;
    ck_assert_int_eq(mg_bilinear(&a.v, &X.v, &b.v, &f), MG_OK);
    /* a^T (X b) in double, any order: gamma_{m+n} |a|^T |X| |b|, plus the
     * reference's rounding */
    const double fr = ref_bilinear(&a.v, &X.v, &b.v);
    ck_assert_double_le(fabs(f - fr), mgt_gamma((double)(s.m + s.n)) * mag_bilinear(&a.v, &X.v, &b.v, 0.0) +
                                          MGT_U * fabs(fr));
    mgt_free(&a); mgt_free(&b); mgt_free(&X); mgt_free(&G); mgt_free(&R); mgt_free(&N);
}
END_TEST

static void scale(mgt_mat *M, double k)
{
    for (size_t i = 0; i < M->v.rows; i++)
        for (size_t j = 0; j < M->v.cols; j++)
            *mg_at(&M->v, i, j) *= k;
}

START_TEST(a_exp_Xb_matches_reference_and_fd)
{
    mgt_rng r = mgt_rng_seed(200 + (uint64_t)_i);
    const vshape s = VSHAPES[_i];
    mgt_mat a = mgt_random(&r, s.m, 1, s.pad), b = mgt_random(&r, s.n, 1, s.pad),
            X = mgt_random(&r, s.m, s.n, s.pad);
    scale(&X, 1.0 / (double)s.n); /* |Xb| <= 1: exp(Xb) in [1/e, e] */
    mgt_mat G = mgt_alloc(s.m, s.n, s.pad), R = mgt_alloc(s.m, s.n, 0), N = mgt_alloc(s.m, s.n, 0);
    ck_assert_int_eq(mg_grad_a_exp_Xb(&a.v, &X.v, &b.v, &G.v), MG_OK);
    ref_grad_a_exp_Xb(&a.v, &X.v, &b.v, &R.v);
    /* Entry by entry, relative: v = X b carries an absolute error
     * <= gamma_n (|X| |b|)_i <= gamma_n (|X b| <= 1 here), which exp turns
     * into a relative one (times e^gamma_n ~ 1); exp's libm budget L eps;
     * the products a_i e^v b_j two roundings; the reference one. */
    const double rel = mgt_gamma((double)s.n) * (1.0 + 2.0 * mgt_gamma((double)s.n)) +
                       MGT_LIBM_ULP * DBL_EPSILON + 3.0 * MGT_U;
    for (size_t i = 0; i < s.m; i++)
        for (size_t j = 0; j < s.n; j++)
            ck_assert_double_le(fabs(mgt_get(&G.v, i, j) - mgt_get(&R.v, i, j)),
                                rel * fabs(mgt_get(&R.v, i, j)));
    ck_assert(mgt_padding_intact(&G));

    /* Central difference, h = 1e-5, entry (i, j): truncation h^2 / 6 times
     * the third derivative a_i e^(v_i + t) b_j^3 at some |t| <= h, at most
     * h^2 / 6 e^h |G_ij| (|b_j| <= 1); the f values (long double, rounded)
     * within u F each, F = sum |a_i| e^(|v_i| + h), over 2h: u F / h; the
     * steps x +- h rounded (u (|x| + h)), moving the quotient by
     * |G_ij| 2 u (|x| + h) / h; the quotient's rounding u |G_ij|. */
    ctx c = { .a = &a.v, .b = &b.v };
    ck_assert_int_eq(mg_fd_gradient(f_a_exp_Xb, &c, &X.v, 1e-5, &N.v), MG_OK);
    {
        const double h = 1e-5, gmax = mgt_max_abs(&G.v);
        long double F = 0.0L;
        for (size_t i = 0; i < s.m; i++) {
            long double v = 0.0L;
            for (size_t j = 0; j < s.n; j++)
                v += fabsl((long double)mgt_get(&X.v, i, j) * mgt_get(&b.v, j, 0));
            F += fabsl((long double)mgt_get(&a.v, i, 0)) * expl(v + h);
        }
        const double tol = (h * h / 6.0 * exp(h) * gmax + MGT_U * (double)F / h +
                            gmax * 2.0 * MGT_U * (mgt_max_abs(&X.v) + h) / h + MGT_U * gmax) /
                           mgt_max_abs(&N.v);
        ck_assert_double_le(mgt_rel_err(&G.v, &N.v), tol);
    }

    double f = 0.0;
    ck_assert_int_eq(mg_a_exp_Xb(&a.v, &X.v, &b.v, &f), MG_OK);
    /* f = sum a_i e^(v_i): v_i's error gamma_n (relative in e^v), the libm's
     * L eps, the products and the sum gamma_{m+1}, over sum |a_i| e^(v_i);
     * plus the reference's rounding */
    {
        long double F = 0.0L;
        for (size_t i = 0; i < s.m; i++) {
            long double v = 0.0L;
            for (size_t j = 0; j < s.n; j++)
                v += (long double)mgt_get(&X.v, i, j) * mgt_get(&b.v, j, 0);
            F += fabsl((long double)mgt_get(&a.v, i, 0)) * expl(v);
        }
        const double fr = ref_a_exp_Xb(&a.v, &X.v, &b.v);
        const double tol = (mgt_gamma((double)s.n) * 1.01 + MGT_LIBM_ULP * DBL_EPSILON +
                            mgt_gamma((double)s.m + 1.0)) * (double)F + MGT_U * fabs(fr);
        ck_assert_double_le(fabs(f - fr), tol);
    }
    mgt_free(&a); mgt_free(&b); mgt_free(&X); mgt_free(&G); mgt_free(&R); mgt_free(&N);
}
END_TEST

/* ---- sandwich ------------------------------------------------------------- */

typedef struct sshape { size_t p, m, n, q, pad; } sshape;
/* Both multiplication orders occur: left-first when m q (p + n) <= p n (q + m). */
static const sshape SSHAPES[] = {
    { 1, 1, 1, 1, 0 }, { 1, 1, 1, 1, 2 }, { 3, 4, 5, 2, 1 }, { 7, 2, 3, 6, 0 },
    { 2, 9, 1, 8, 0 }, { 5, 5, 5, 5, 3 }, { 1, 6, 7, 1, 0 }, { 30, 3, 4, 2, 1 },
    { 2, 30, 40, 3, 0 }, { 8, 1, 1, 9, 2 },
};
enum { NSSHAPES = sizeof SSHAPES / sizeof SSHAPES[0] };

START_TEST(sandwich_matches_reference_and_fd)
{
    mgt_rng r = mgt_rng_seed(300 + (uint64_t)_i);
    const sshape s = SSHAPES[_i];
    mgt_mat A = mgt_random(&r, s.p, s.m, s.pad), B = mgt_random(&r, s.n, s.q, s.pad),
            GY = mgt_random(&r, s.p, s.q, s.pad), X = mgt_random(&r, s.m, s.n, s.pad);
    mgt_mat G = mgt_alloc(s.m, s.n, s.pad), R = mgt_alloc(s.m, s.n, 0), N = mgt_alloc(s.m, s.n, 0);
    mgt_fill(&G, NAN);
    ck_assert_int_eq(mg_grad_sandwich(&A.v, &GY.v, &B.v, &G.v), MG_OK);
    ref_grad_sandwich(&A.v, &GY.v, &B.v, &R.v);
    /* Two products, in either order: entry by entry within
     * gamma_{p+q} (|A|^T |GY| |B|^T)_ij (Higham, ASNA, Sec. 3.5, applied
     * twice), plus the reference's rounding. */
    {
        mgt_mat aA = mgt_alloc(s.p, s.m, 0), aG = mgt_alloc(s.p, s.q, 0), aB = mgt_alloc(s.n, s.q, 0);
        mgt_mat T = mgt_alloc(s.m, s.q, 0), Mg = mgt_alloc(s.m, s.n, 0);
        for (size_t i = 0; i < s.p; i++) {
            for (size_t j = 0; j < s.m; j++)
                *mg_at(&aA.v, i, j) = fabs(mgt_get(&A.v, i, j));
            for (size_t j = 0; j < s.q; j++)
                *mg_at(&aG.v, i, j) = fabs(mgt_get(&GY.v, i, j));
        }
        for (size_t i = 0; i < s.n; i++)
            for (size_t j = 0; j < s.q; j++)
                *mg_at(&aB.v, i, j) = fabs(mgt_get(&B.v, i, j));
        ref_matmul(&aA.v, 1, &aG.v, 0, &T.v);
        ref_matmul(&T.v, 0, &aB.v, 1, &Mg.v);
        const double g = mgt_gamma((double)(s.p + s.q));
        for (size_t i = 0; i < s.m; i++)
            for (size_t j = 0; j < s.n; j++)
                ck_assert_double_le(fabs(mgt_get(&G.v, i, j) - mgt_get(&R.v, i, j)),
                                    g * (1.0 + MGT_U) * mgt_get(&Mg.v, i, j) +
                                        MGT_U * fabs(mgt_get(&R.v, i, j)));
        mgt_free(&aA); mgt_free(&aG); mgt_free(&aB); mgt_free(&T); mgt_free(&Mg);
    }
    ck_assert(mgt_padding_intact(&G));

    /* f = sum(GY .* (A X B)) is linear in X: exact central differences up
     * to the rounding of f (fd_affine_tol), |f| <= sum |GY| .* (|A| (|X| + h) |B|). */
    ctx c = { .A = &A.v, .B = &B.v, .GY = &GY.v };
    ck_assert_int_eq(mg_fd_gradient(f_sandwich, &c, &X.v, 0.5, &N.v), MG_OK);
    {
        long double M = 0.0L;
        for (size_t i = 0; i < s.p; i++)
            for (size_t j = 0; j < s.q; j++) {
                long double e = 0.0L;
                for (size_t a2 = 0; a2 < s.m; a2++)
                    for (size_t b2 = 0; b2 < s.n; b2++)
                        e += fabsl((long double)mgt_get(&A.v, i, a2)) * (fabs(mgt_get(&X.v, a2, b2)) + 0.5) *
                             fabs(mgt_get(&B.v, b2, j));
                M += fabsl((long double)mgt_get(&GY.v, i, j)) * e;
            }
        ck_assert_double_le(mgt_rel_err(&G.v, &N.v),
                            fd_affine_tol((double)M, (double)(s.p * s.q * s.m * s.n), &G.v, &N.v));
    }
    mgt_free(&A); mgt_free(&B); mgt_free(&GY); mgt_free(&X);
    mgt_free(&G); mgt_free(&R); mgt_free(&N);
}
END_TEST

/* ---- inverse, logdet, det -------------------------------------------------- */

typedef struct qshape { size_t n, pad; int negate; } qshape;
static const qshape QSHAPES[] = {
    { 1, 0, 0 }, { 1, 2, 1 }, { 2, 0, 0 }, { 3, 1, 1 }, { 5, 0, 0 }, { 8, 3, 1 }, { 13, 0, 1 },
    { 40, 1, 0 },
};
enum { NQSHAPES = sizeof QSHAPES / sizeof QSHAPES[0] };

/* Random entries in [-1, 1] plus n on the diagonal: strictly diagonally
 * dominant, so cond_1(X) <= 3 or so; negate flips one row (det < 0). */
static mgt_mat make_square(mgt_rng *r, qshape s)
{
    mgt_mat X = mgt_random(r, s.n, s.n, s.pad);
    for (size_t i = 0; i < s.n; i++)
        *mg_at(&X.v, i, i) += (double)s.n;
    if (s.negate)
        for (size_t j = 0; j < s.n; j++)
            *mg_at(&X.v, 0, j) = -*mg_at(&X.v, 0, j);
    return X;
}

/* Bounds for the LU-based rules, from the exact kappa = kappa_2(X) and
 * s = ||X^-1||_2 (Jacobi, mgt_svals).  Partial-pivoting LU of X is the exact
 * LU of X + dX with |dX| <= gamma_{3n} |L| |U|, and ||L| |U|| <= rho n ||X||
 * in the worst case with growth rho <= 2 for these diagonally dominant
 * matrices (Higham, ASNA, Thms 9.3, 9.9): eps_lu = 2 n gamma_{3n} normwise.
 * Then (first order, Higham Ch. 14):
 *   inverse:  ||X^^-1 - X^-1|| <= eps_lu kappa ||X^-1|| (one more for the
 *             long-double Gauss-Jordan reference: n kappa 2^-63);
 *   det:      |d det / det| <= |tr(X^-1 dX)| + gamma_n <= n kappa eps_lu + gamma_n
 *             (the product of n pivots).
 * Checks are normwise in the Frobenius norm, sqrt(n) converting 2-norm
 * bounds. */
typedef struct lu_bounds { double kappa, s, e_inv, e_det; } lu_bounds;

static lu_bounds lu_bounds_of(const mg_matrix *X)
{
    const double n = (double)X->rows;
    double smax, smin;
    mgt_svals(X, 0, &smax, &smin);
    ck_assert_double_gt(smin, 0.0);
    lu_bounds b = { smax / smin, 1.0 / smin, 0.0, 0.0 };
    const double e_lu = 2.0 * n * mgt_gamma(3.0 * n);
    ck_assert_double_lt(b.kappa * e_lu, 0.5);
    b.e_inv = e_lu * b.kappa / (1.0 - e_lu * b.kappa) + n * b.kappa * LDBL_EPSILON;
    b.e_det = n * b.kappa * e_lu / (1.0 - e_lu * b.kappa) + mgt_gamma(n) + n * b.kappa * LDBL_EPSILON;
    return b;
}

static double frob_rel_err(const mg_matrix *a, const mg_matrix *b)
{
    long double e = 0.0L, r = 0.0L;
    for (size_t i = 0; i < a->rows; i++)
        for (size_t j = 0; j < a->cols; j++) {
            const long double d = (long double)mgt_get(a, i, j) - mgt_get(b, i, j);
            e += d * d;
            r += (long double)mgt_get(b, i, j) * mgt_get(b, i, j);
        }
    return (double)sqrtl(e / r);
}

/* Central differences at h = 1e-5 for the three LU rules, entry (i, j) of
 * X, E = e_i e_j^T (||E||_2 = 1), s' = s / (1 - h s) bounding ||(X + tE)^-1||:
 *   truncation h^2 / 6 |f'''|:  <GY, X^-1>: 6 ||GY||_F s'^4;  log|det|:
 *     2 tr((X^-1 E)^3) <= 2 s'^3;  det: none (affine in each entry);
 *   the f values (long double, rounded: u |f| each) over 2h: u F / h;
 *   the steps x +- h rounded, |x| <= n + 1: the quotient moves by
 *     |g| 2 u (n + 2) / h;  and its own rounding u |g|.
 * Normwise against max |N|. */
static double fd_lu_tol(double trunc, double F, double n, const mg_matrix *G, const mg_matrix *N)
{
    const double h = 1e-5, gmax = mgt_max_abs(G);
    return (h * h / 6.0 * trunc + MGT_U * F / h + gmax * 2.0 * MGT_U * (n + 2.0) / h + MGT_U * gmax) /
           mgt_max_abs(N);
}

START_TEST(inverse_matches_reference_and_fd)
{
    mgt_rng r = mgt_rng_seed(400 + (uint64_t)_i);
    const qshape s = QSHAPES[_i];
    mgt_mat X = make_square(&r, s), GY = mgt_random(&r, s.n, s.n, s.pad);
    mgt_mat G = mgt_alloc(s.n, s.n, s.pad), R = mgt_alloc(s.n, s.n, 0), N = mgt_alloc(s.n, s.n, 0);
    double *x0 = mgt_snapshot(&X);
    mgt_fill(&G, NAN);
    ck_assert_int_eq(mg_grad_inverse(&X.v, &GY.v, &G.v), MG_OK);
    ck_assert(mgt_unchanged(&X, x0));
    ref_grad_inverse(&X.v, &GY.v, &R.v);
    /* G = -X^-T GY X^-T: two inverse factors (e_inv each) and two products
     * (|dC| <= gamma_n |A| |B|, at most n gamma_n ||A||_2 ||B||_2 in the
     * Frobenius norm); ||G||_F >= ||GY||_F / ||X||_2^2 turns the absolute
     * s^2 ||GY||_F into kappa^2 relative. */
    const lu_bounds lb = lu_bounds_of(&X.v);
    const double n = (double)s.n;
    ck_assert_double_le(frob_rel_err(&G.v, &R.v),
                        (2.0 * sqrt(n) * lb.e_inv + 2.0 * n * mgt_gamma(n)) * lb.kappa * lb.kappa + MGT_U);
    ck_assert(mgt_padding_intact(&G));
    if (s.n <= 13) {
        ctx c = { .GY = &GY.v };
        ck_assert_int_eq(mg_fd_gradient(f_inverse, &c, &X.v, 1e-5, &N.v), MG_OK);
        double gf = 0.0;
        for (size_t i = 0; i < s.n; i++)
            gf = hypot(gf, mgt_col_norm2(&GY.v, i));
        const double sp = lb.s / (1.0 - 1e-5 * lb.s);
        ck_assert_double_le(mgt_rel_err(&G.v, &N.v),
                            fd_lu_tol(6.0 * gf * pow(sp, 4.0), gf * sqrt(n) * sp, n, &G.v, &N.v));
    }
    free(x0);
    mgt_free(&X); mgt_free(&GY); mgt_free(&G); mgt_free(&R); mgt_free(&N);
}
END_TEST

START_TEST(logdet_and_det_match_reference_and_fd)
{
    mgt_rng r = mgt_rng_seed(500 + (uint64_t)_i);
    const qshape s = QSHAPES[_i];
    mgt_mat X = make_square(&r, s);
    mgt_mat G = mgt_alloc(s.n, s.n, s.pad), R = mgt_alloc(s.n, s.n, 0), N = mgt_alloc(s.n, s.n, 0);

    const lu_bounds lb = lu_bounds_of(&X.v);
    const double n = (double)s.n, sp = lb.s / (1.0 - 1e-5 * lb.s);
    long double d = ref_det(&X.v);
    ck_assert_int_eq(mg_grad_logdet(&X.v, &G.v), MG_OK);
    ref_grad_logdet(&X.v, &R.v);
    /* G = X^-T: e_inv, sqrt(n) for the Frobenius norm, the reference's u */
    ck_assert_double_le(frob_rel_err(&G.v, &R.v), sqrt(n) * lb.e_inv + MGT_U);
    ck_assert(mgt_padding_intact(&G));
    if (s.n <= 13) {
        ck_assert_int_eq(mg_fd_gradient(f_logdet, NULL, &X.v, 1e-5, &N.v), MG_OK);
        ck_assert_double_le(mgt_rel_err(&G.v, &N.v),
                            fd_lu_tol(2.0 * pow(sp, 3.0), fabs((double)logl(fabsl(d))) + 1.0 /* >= 2 h s */, n, &G.v,
                                      &N.v));
    }

    ck_assert_int_eq(mg_grad_det(&X.v, &G.v), MG_OK);
    ref_grad_det(&X.v, &R.v);
    /* G = det(X) X^-T: the det's and the inverse's errors add, plus the
     * product's rounding and the reference's */
    ck_assert_double_le(frob_rel_err(&G.v, &R.v), lb.e_det + sqrt(n) * lb.e_inv + 2.0 * MGT_U);
    if (s.n <= 8) {
        /* det is affine in each entry: no truncation; |det(X +- hE)| <=
         * |det X| (1 + h s) */
        ck_assert_int_eq(mg_fd_gradient(f_det, NULL, &X.v, 1e-5, &N.v), MG_OK);
        ck_assert_double_le(mgt_rel_err(&G.v, &N.v),
                            fd_lu_tol(0.0, fabs((double)d) * (1.0 + 1e-5 * lb.s), n, &G.v, &N.v));
    }

    /* The values.  det: relative e_det plus its rounding.  log|det|: the
     * det's relative error becomes an absolute one; log|det| = sum log|u_kk|
     * adds the libm's L eps and gamma_n relative to sum |log|u_kk||, which is
     * 2 sum log+ |u_kk| - log|det| <= 2 n log(2 (n + 1)) - log|det| (pivots
     * at most rho max|x| = 2 (n + 1)); plus the rounding of l and of the
     * reference. */
    double l = 0.0, sg = 0.0, dv = 0.0;
    ck_assert_int_eq(mg_logdet(&X.v, &l, &sg), MG_OK);
    ck_assert_double_eq(sg, s.negate ? -1.0 : 1.0);
    const double lref = (double)logl(fabsl(d));
    const double slog = 2.0 * n * log(2.0 * (n + 1.0)) - lref;
    ck_assert_double_le(fabs(l - lref), lb.e_det + (MGT_LIBM_ULP * DBL_EPSILON + mgt_gamma(n)) * slog +
                                            2.0 * MGT_U * fabs(lref));
    ck_assert_int_eq(mg_logdet(&X.v, &l, NULL), MG_OK);
    ck_assert_int_eq(mg_det(&X.v, &dv), MG_OK);
    ck_assert_double_le(fabs(dv - (double)d), (lb.e_det + 2.0 * MGT_U) * fabs((double)d));
    mgt_free(&X); mgt_free(&G); mgt_free(&R); mgt_free(&N);
}
END_TEST

/* det X over- or underflows while det(X) X^-T is representable. */
START_TEST(det_scaling)
{
    const double big[] = { 1e200, 0, 0, -1e200 }, tiny[] = { 1e-200, 0, 0, 1e-200 };
    mgt_mat B = mgt_from(big, 2, 2, 0), T = mgt_from(tiny, 2, 2, 1), G = mgt_alloc(2, 2, 0);
    double d = 7.0, l = 0.0, sg = 0.0;

    /* det = -1e400 overflows; G = det X^-T = [-1e200 0; 0 1e200] */
    ck_assert_int_eq(mg_det(&B.v, &d), MG_ENONFINITE);
    ck_assert_double_eq(d, 7.0);
    ck_assert_int_eq(mg_logdet(&B.v, &l, &sg), MG_OK);
    /* diagonal, so LU is exact: log|det| = 2 log(1e200) (the double 1e200)
     * within the libm's L eps and the sum's and reference's roundings */
    const double lbig = (double)(2.0L * logl((long double)1e200));
    ck_assert_double_le(fabs(l - lbig), (MGT_LIBM_ULP * DBL_EPSILON + 3.0 * MGT_U) * lbig);
    ck_assert_double_eq(sg, -1.0);
    ck_assert_int_eq(mg_grad_det(&B.v, &G.v), MG_OK);
    /* kappa = 1, n = 2: the general bound (lu_bounds_of) for G = det X^-T */
    const lu_bounds bb = lu_bounds_of(&B.v);
    const double rel2 = bb.e_det + sqrt(2.0) * bb.e_inv + 2.0 * MGT_U;
    ck_assert_double_le(fabs(G.buf[0] + 1e200), rel2 * 1e200);
    ck_assert_double_le(fabs(G.buf[3] - 1e200), rel2 * 1e200);
    ck_assert_double_eq(G.buf[1], 0.0);

    /* det = 1e-400 underflows to 0; G = [1e-200 0; 0 1e-200] */
    ck_assert_int_eq(mg_det(&T.v, &d), MG_OK);
    ck_assert_double_eq(d, 0.0);
    ck_assert_int_eq(mg_grad_det(&T.v, &G.v), MG_OK);
    ck_assert_double_le(fabs(G.buf[0] - 1e-200), rel2 * 1e-200);
    ck_assert_double_le(fabs(G.buf[3] - 1e-200), rel2 * 1e-200);

    /* 3 x 3 of 1e200: G entries are det / 1e200 = 1e400: overflow */
    mgt_mat B3 = mgt_alloc(3, 3, 0), G3 = mgt_alloc(3, 3, 0);
    for (int i = 0; i < 3; i++)
        *mg_at(&B3.v, (size_t)i, (size_t)i) = 1e200;
    double *g0 = mgt_snapshot(&G3);
    ck_assert_int_eq(mg_grad_det(&B3.v, &G3.v), MG_ENONFINITE);
    ck_assert(mgt_unchanged(&G3, g0));
    ck_assert_int_eq(mg_grad_logdet(&B3.v, &G3.v), MG_OK); /* X^-T = 1e-200 I is fine */
    free(g0);
    mgt_free(&B); mgt_free(&T); mgt_free(&G); mgt_free(&B3); mgt_free(&G3);
}
END_TEST

START_TEST(singular_matrices)
{
    /* exactly singular: LU meets a zero pivot */
    const double s2[] = { 1, 2, 2, 4 };
    /* numerically singular: pivot 2^-50, cond_1 ~ 4.5e15 > 1 / (2 eps) */
    const double ns[] = { 1, 1, 1, 1 + 0x1p-50 };
    mgt_mat S = mgt_from(s2, 2, 2, 0), NS = mgt_from(ns, 2, 2, 1), GY = mgt_alloc(2, 2, 0);
    mgt_mat G = mgt_alloc(2, 2, 1);
    mgt_fill(&GY, 1.0);
    double *g0 = mgt_snapshot(&G), d = 7.0, l = 7.0;
    mgt_mat *mats[] = { &S, &NS };
    for (int t = 0; t < 2; t++) {
        ck_assert_int_eq(mg_grad_inverse(&mats[t]->v, &GY.v, &G.v), MG_ESINGULAR);
        ck_assert_int_eq(mg_grad_logdet(&mats[t]->v, &G.v), MG_ESINGULAR);
        ck_assert_int_eq(mg_grad_det(&mats[t]->v, &G.v), MG_ESINGULAR);
        ck_assert(mgt_unchanged(&G, g0));
    }
    /* the values: det of an exactly singular X is 0, its log is not finite */
    ck_assert_int_eq(mg_det(&S.v, &d), MG_OK);
    ck_assert_double_eq(d, 0.0);
    ck_assert_int_eq(mg_logdet(&S.v, &l, NULL), MG_ESINGULAR);
    ck_assert_double_eq(l, 7.0);
    /* the nearly singular one still has a well-defined determinant, 2^-50 */
    ck_assert_int_eq(mg_det(&NS.v, &d), MG_OK);
    ck_assert_double_eq(d, 0x1p-50);
    ck_assert_int_eq(mg_logdet(&NS.v, &l, NULL), MG_OK);
    /* its LU is exact (the one elimination step is (1 + 2^-50) - 1), so
     * log|det| = log 1 + log 2^-50 within the libm's L eps and the sum's
     * and reference's roundings */
    const double l50 = (double)(-50.0L * logl(2.0L));
    ck_assert_double_le(fabs(l - l50), (MGT_LIBM_ULP * DBL_EPSILON + 3.0 * MGT_U) * fabs(l50));
    free(g0);
    mgt_free(&S); mgt_free(&NS); mgt_free(&GY); mgt_free(&G);
}
END_TEST

START_TEST(non_finite_inputs)
{
    const double bad[] = { NAN, INFINITY, -INFINITY };
    for (int b = 0; b < 3; b++) {
        mgt_rng r = mgt_rng_seed(600);
        mgt_mat X = make_square(&r, (qshape){ 4, 1, 0 }), GY = mgt_random(&r, 4, 4, 0);
        mgt_mat G = mgt_alloc(4, 4, 0);
        double *g0 = mgt_snapshot(&G), d = 7.0, l = 7.0;
        /* GY poisoned: X^-T GY X^-T is non-finite */
        *mg_at(&GY.v, 1, 2) = bad[b];
        ck_assert_int_eq(mg_grad_inverse(&X.v, &GY.v, &G.v), MG_ENONFINITE);
        *mg_at(&GY.v, 1, 2) = 0.5;
        *mg_at(&X.v, 3, 1) = bad[b];
        ck_assert_int_eq(mg_grad_inverse(&X.v, &GY.v, &G.v), MG_ENONFINITE);
        ck_assert_int_eq(mg_grad_logdet(&X.v, &G.v), MG_ENONFINITE);
        ck_assert_int_eq(mg_grad_det(&X.v, &G.v), MG_ENONFINITE);
        ck_assert_int_eq(mg_det(&X.v, &d), MG_ENONFINITE);
        ck_assert_int_eq(mg_logdet(&X.v, &l, NULL), MG_ENONFINITE);
        ck_assert(mgt_unchanged(&G, g0));
        ck_assert_double_eq(d, 7.0);
        ck_assert_double_eq(l, 7.0);
        free(g0);
        mgt_free(&X); mgt_free(&GY); mgt_free(&G);
    }
    /* The explicit rules follow IEEE: NaN in b poisons G's column. */
    double one = 1.0, nan_ = NAN, g[1] = { 0 };
    mg_matrix a = mg_matrix_view(&one, 1, 1), bn = mg_matrix_view(&nan_, 1, 1), Gv = mg_matrix_view(g, 1, 1);
    ck_assert_int_eq(mg_grad_bilinear(&a, &bn, &Gv), MG_OK);
    ck_assert(isnan(g[0]));
}
END_TEST

START_TEST(bad_input)
{
    mgt_rng r = mgt_rng_seed(700);
    mgt_mat a = mgt_random(&r, 3, 1, 0), b = mgt_random(&r, 4, 1, 0), X = mgt_random(&r, 3, 4, 0),
            G = mgt_alloc(3, 4, 0), Gt = mgt_alloc(4, 3, 0), row = mgt_random(&r, 1, 3, 0);
    mgt_mat Q = make_square(&r, (qshape){ 3, 0, 0 }), GQ = mgt_alloc(3, 3, 0), GY3 = mgt_random(&r, 3, 3, 0);
    double f = 0.0, *g0 = mgt_snapshot(&G);

    ck_assert_int_eq(mg_grad_bilinear(NULL, &b.v, &G.v), MG_EINVAL);
    ck_assert_int_eq(mg_grad_bilinear(&a.v, NULL, &G.v), MG_EINVAL);
    ck_assert_int_eq(mg_grad_bilinear(&a.v, &b.v, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_grad_bilinear(&row.v, &b.v, &G.v), MG_EDIM);
    ck_assert_int_eq(mg_grad_bilinear(&a.v, &b.v, &Gt.v), MG_EDIM);
    mg_matrix over = mg_matrix_view(a.buf, 1, 1); /* G over a */
    mg_matrix a1 = mg_matrix_view(a.buf, 1, 1), b1 = mg_matrix_view(b.buf, 1, 1);
    ck_assert_int_eq(mg_grad_bilinear(&a1, &b1, &over), MG_EINVAL);

    ck_assert_int_eq(mg_grad_a_exp_Xb(&a.v, &X.v, &b.v, &Gt.v), MG_EDIM);
    ck_assert_int_eq(mg_grad_a_exp_Xb(&b.v, &X.v, &b.v, &G.v), MG_EDIM);
    ck_assert_int_eq(mg_grad_a_exp_Xb(&a.v, &X.v, &a.v, &G.v), MG_EDIM);
    ck_assert_int_eq(mg_grad_a_exp_Xb(&a.v, NULL, &b.v, &G.v), MG_EINVAL);
    ck_assert_int_eq(mg_grad_a_exp_Xb(&a.v, &X.v, &b.v, &X.v), MG_EINVAL); /* G is X */
    ck_assert_int_eq(mg_bilinear(&a.v, &X.v, &b.v, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_a_exp_Xb(&a.v, &X.v, &b.v, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_bilinear(&a.v, &Gt.v, &b.v, &f), MG_EDIM);
    ck_assert_int_eq(mg_a_exp_Xb(&a.v, &Gt.v, &b.v, &f), MG_EDIM);
    ck_assert(mgt_unchanged(&G, g0));

    /* sandwich: A 3x4 (p=3, m=4), GY 3x3, B 4x3 -> GX 4x4; mismatches */
    mgt_mat A = mgt_random(&r, 3, 4, 0), B = mgt_random(&r, 4, 3, 0), GX = mgt_alloc(4, 4, 0);
    ck_assert_int_eq(mg_grad_sandwich(&A.v, &GY3.v, &B.v, &GX.v), MG_OK);
    ck_assert_int_eq(mg_grad_sandwich(NULL, &GY3.v, &B.v, &GX.v), MG_EINVAL);
    ck_assert_int_eq(mg_grad_sandwich(&A.v, &GY3.v, &B.v, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_grad_sandwich(&B.v, &GY3.v, &B.v, &GX.v), MG_EDIM);   /* A rows != GY rows */
    ck_assert_int_eq(mg_grad_sandwich(&A.v, &GY3.v, &A.v, &GX.v), MG_EDIM);   /* B cols != GY cols */
    ck_assert_int_eq(mg_grad_sandwich(&A.v, &GY3.v, &B.v, &GQ.v), MG_EDIM);   /* GX not m x n */
    mgt_mat B4 = mgt_random(&r, 3, 3, 0), A4 = mgt_random(&r, 3, 4, 0);
    mg_matrix GXb = mg_matrix_view(A4.buf, 4, 3); /* GX (4 x 3) over A's 12 doubles */
    ck_assert_int_eq(mg_grad_sandwich(&A4.v, &GY3.v, &B4.v, &GXb), MG_EINVAL);

    /* square rules */
    ck_assert_int_eq(mg_grad_inverse(&X.v, &GY3.v, &GQ.v), MG_EDIM);          /* X not square */
    ck_assert_int_eq(mg_grad_inverse(&Q.v, &G.v, &GQ.v), MG_EDIM);            /* GY not n x n */
    ck_assert_int_eq(mg_grad_inverse(&Q.v, &GY3.v, &G.v), MG_EDIM);           /* GX not n x n */
    ck_assert_int_eq(mg_grad_inverse(&Q.v, &GY3.v, &GY3.v), MG_EINVAL);       /* GX is GY */
    ck_assert_int_eq(mg_grad_inverse(&Q.v, &GY3.v, &Q.v), MG_EINVAL);         /* GX is X */
    ck_assert_int_eq(mg_grad_inverse(NULL, &GY3.v, &GQ.v), MG_EINVAL);
    ck_assert_int_eq(mg_grad_logdet(&X.v, &G.v), MG_EDIM);
    ck_assert_int_eq(mg_grad_logdet(&Q.v, &G.v), MG_EDIM);
    ck_assert_int_eq(mg_grad_logdet(&Q.v, &Q.v), MG_EINVAL);
    ck_assert_int_eq(mg_grad_logdet(&Q.v, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_grad_det(&X.v, &G.v), MG_EDIM);
    ck_assert_int_eq(mg_grad_det(&Q.v, &Q.v), MG_EINVAL);
    ck_assert_int_eq(mg_grad_det(NULL, &GQ.v), MG_EINVAL);
    ck_assert_int_eq(mg_det(&X.v, &f), MG_EDIM);
    ck_assert_int_eq(mg_det(&Q.v, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_logdet(&X.v, &f, NULL), MG_EDIM);
    ck_assert_int_eq(mg_logdet(&Q.v, NULL, NULL), MG_EINVAL);

    double x = 1.0;
    mg_matrix huge = mg_matrix_view(&x, (size_t)1 << 40, 1), hsq = mg_matrix_view(&x, (size_t)1 << 40, (size_t)1 << 40);
    mg_matrix one = mg_matrix_view(&x, 1, 1);
    ck_assert_int_eq(mg_grad_bilinear(&huge, &one, &huge), MG_ENOMEM);
    ck_assert_int_eq(mg_grad_a_exp_Xb(&huge, &huge, &one, &huge), MG_ENOMEM);
    ck_assert_int_eq(mg_grad_sandwich(&huge, &huge, &one, &one), MG_ENOMEM);
    ck_assert_int_eq(mg_grad_inverse(&hsq, &hsq, &hsq), MG_ENOMEM);
    ck_assert_int_eq(mg_grad_logdet(&hsq, &hsq), MG_ENOMEM);
    ck_assert_int_eq(mg_grad_det(&hsq, &hsq), MG_ENOMEM);
    ck_assert_int_eq(mg_bilinear(&huge, &hsq, &huge, &f), MG_ENOMEM);
    ck_assert_int_eq(mg_a_exp_Xb(&huge, &hsq, &huge, &f), MG_ENOMEM);
    ck_assert_int_eq(mg_logdet(&hsq, &f, NULL), MG_ENOMEM);
    ck_assert_int_eq(mg_det(&hsq, &f), MG_ENOMEM);

    free(g0);
    mgt_free(&a); mgt_free(&b); mgt_free(&X); mgt_free(&G); mgt_free(&Gt); mgt_free(&row);
    mgt_free(&Q); mgt_free(&GQ); mgt_free(&GY3); mgt_free(&A); mgt_free(&B); mgt_free(&GX);
    mgt_free(&B4); mgt_free(&A4);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rules");
    TCase *tc = tcase_create("rules");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, bilinear_matches_reference_and_fd, 0, NVSHAPES);
    tcase_add_loop_test(tc, a_exp_Xb_matches_reference_and_fd, 0, NVSHAPES);
    tcase_add_loop_test(tc, sandwich_matches_reference_and_fd, 0, NSSHAPES);
    tcase_add_loop_test(tc, inverse_matches_reference_and_fd, 0, NQSHAPES);
    tcase_add_loop_test(tc, logdet_and_det_match_reference_and_fd, 0, NQSHAPES);
    tcase_add_test(tc, det_scaling);
    tcase_add_test(tc, singular_matrices);
    tcase_add_test(tc, non_finite_inputs);
    tcase_add_test(tc, bad_input);
    suite_add_tcase(s, tc);
    return mgt_run(s);
}
