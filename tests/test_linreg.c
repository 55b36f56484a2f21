/* SPDX-License-Identifier: BSD-3-Clause */
/* linreg: loss and gradient against the naive reference and central
 * differences, the normal solve against its optimality condition, and every
 * bad-input status. */
#include "mgtest.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef mgt_shape shape;

/* 1x1, tall, wide, k > 1, strided, and sizes that straddle the kernel's row
 * blocks (about 128 KiB of A per block: 16384 / j rows). */
static const shape SHAPES[] = {
    { 1, 1, 1, 0 },   { 1, 1, 1, 3 },    { 50, 3, 1, 0 },   { 4, 9, 1, 0 },
    { 37, 5, 3, 0 },  { 37, 5, 3, 2 },   { 3, 7, 4, 1 },    { 1, 6, 2, 0 },
    { 2000, 8, 1, 5 },{ 2049, 1, 1, 0 }, { 4100, 16, 3, 1 },{ 300, 64, 1, 0 },
};
enum { NSHAPES = sizeof SHAPES / sizeof SHAPES[0] };

typedef mgt_problem problem;

/* Against the long-double reference, within the worst-case bounds of the
 * pass for any summation order (mgt_mse_bounds: gamma_{j+1} per residual,
 * gamma_{N k + 1} for the sum of squares, gamma_N per gradient entry),
 * scaled by 1/N (loss) and 2/N (gradient), plus the roundings of those
 * scalings and of the reference to double (2 u and 3 u relative). */
START_TEST(loss_and_grad_match_reference)
{
    mgt_rng r = mgt_rng_seed(1);
    const shape s = SHAPES[_i];
    problem p = mgt_problem_make(&r, s);
    mgt_mat G = mgt_alloc(s.j, s.k, s.pad), Gref = mgt_alloc(s.j, s.k, 0);
    double loss = -1.0, loss2 = -1.0;

    ck_assert_int_eq(mg_mse_loss(&p.A.v, &p.W.v, &p.Y.v, &loss), MG_OK);
    ck_assert_int_eq(mg_mse_grad(&p.A.v, &p.W.v, &p.Y.v, &G.v, &loss2), MG_OK);
    double want = ref_mse_loss(&p.A.v, &p.W.v, &p.Y.v);
    ref_mse_grad(&p.A.v, &p.W.v, &p.Y.v, &Gref.v);
    double *gb = malloc(s.j * s.k * sizeof *gb);
    ck_assert_ptr_nonnull(gb);
    const double lb = mgt_mse_bounds(&p.A.v, &p.W.v, &p.Y.v, gb) / (double)s.N + 2.0 * MGT_U * want;
    ck_assert_double_le(fabs(loss - want), lb);
    ck_assert_double_le(fabs(loss2 - want), lb);
    for (size_t a = 0; a < s.j; a++)
        for (size_t c = 0; c < s.k; c++) {
            const double g = mgt_get(&G.v, a, c), gr = mgt_get(&Gref.v, a, c);
            ck_assert_double_le(fabs(g - gr), 2.0 / (double)s.N * gb[a * s.k + c] + 3.0 * MGT_U * fabs(gr));
        }
    free(gb);
    ck_assert(mgt_padding_intact(&G));
    /* loss may be NULL */
    ck_assert_int_eq(mg_mse_grad(&p.A.v, &p.W.v, &p.Y.v, &G.v, NULL), MG_OK);
    mgt_problem_free(&p);
    mgt_free(&G);
    mgt_free(&Gref);
}
END_TEST

/* The loss is quadratic in W, so the central difference has no truncation
 * error: what remains is rounding.  Each loss value is within dL of the
 * exact one (mgt_mse_bounds at W, divided by N, plus 2 u L; at W +- h the
 * same to first order, so 1.5 dL covers both); the difference over 2h
 * carries 2 (1.5 dL) / (2h); the steps w0 +- h are rounded (u (|w0| + h)
 * each), which moves the difference quotient by |g| 2 u (|w0| + h) / h; and
 * the quotient itself is rounded (2 u |g|).  Normwise against max |G|. */
START_TEST(grad_matches_central_differences)
{
    mgt_rng r = mgt_rng_seed(2);
    const shape s = SHAPES[_i];
    if (s.N * s.j > 20000)
        return; /* the FD loop costs 2 j k loss evaluations */
    problem p = mgt_problem_make(&r, s);
    mgt_mat G = mgt_alloc(s.j, s.k, 0), Gfd = mgt_alloc(s.j, s.k, 0);
    const double h = 1e-3;

    ck_assert_int_eq(mg_mse_grad(&p.A.v, &p.W.v, &p.Y.v, &G.v, NULL), MG_OK);
    for (size_t a = 0; a < s.j; a++)
        for (size_t c = 0; c < s.k; c++) {
            double *w = mg_at(&p.W.v, a, c), w0 = *w, up, down;
            *w = w0 + h;
            ck_assert_int_eq(mg_mse_loss(&p.A.v, &p.W.v, &p.Y.v, &up), MG_OK);
            *w = w0 - h;
            ck_assert_int_eq(mg_mse_loss(&p.A.v, &p.W.v, &p.Y.v, &down), MG_OK);
            *w = w0;
            *mg_at(&Gfd.v, a, c) = (up - down) / (2.0 * h);
        }
    const double L = ref_mse_loss(&p.A.v, &p.W.v, &p.Y.v), gmax = mgt_max_abs(&G.v);
    const double dL = mgt_mse_bounds(&p.A.v, &p.W.v, &p.Y.v, NULL) / (double)s.N + 2.0 * MGT_U * L;
    const double tol = (1.5 * dL / h + gmax * 2.0 * MGT_U * (mgt_max_abs(&p.W.v) + h) / h) / gmax +
                       2.0 * MGT_U;
    ck_assert_double_le(mgt_rel_err(&G.v, &Gfd.v), tol);
    mgt_problem_free(&p);
    mgt_free(&G);
    mgt_free(&Gfd);
}
END_TEST

/* At the solution of (A^T A + ridge I) W = A^T Y the ridge objective's
 * gradient A^T (Y - A W) - ridge W vanishes.  The computed W solves
 * (G + ridge I + dG) W = h + dh exactly, with |dG| <= gamma_N |A|^T |A| (the
 * Gram sums) plus Cholesky's gamma_{3j+1} |R^T| |R| (Higham, ASNA, Thm 10.4),
 * both <= (gamma_N + gamma_{3j+1}) (||A||_F^2 + ridge) in 2-norm, and
 * |dh| <= gamma_N |A|^T |Y|.  So the true stationarity residual
 * dG W - dh is entrywise at most that norm times ||W_c|| plus
 * gamma_N (|A|^T |Y|)_ac; evaluating it through mg_mse_grad adds the pass's
 * bound (mgt_mse_bounds) and 3 u of the scalings (N/2, ridge W). */
START_TEST(normal_solve_zeroes_the_gradient)
{
    mgt_rng r = mgt_rng_seed(3);
    const shape s = SHAPES[_i];
    if (s.N < s.j)
        return; /* A^T A is singular: covered by the ENOTPD tests */
    const double ridges[] = { 0.0, 0.5 };
    for (int t = 0; t < 2; t++) {
        problem p = mgt_problem_make(&r, s);
        mgt_mat G = mgt_alloc(s.j, s.k, 0);
        ck_assert_int_eq(mg_normal_solve(&p.A.v, &p.Y.v, ridges[t], &p.W.v), MG_OK);
        ck_assert(mgt_padding_intact(&p.W));
        ck_assert_int_eq(mg_mse_grad(&p.A.v, &p.W.v, &p.Y.v, &G.v, NULL), MG_OK);
        /* mse_grad gives -(2/N) A^T R; the stationarity residual is
         * A^T R - ridge W = -(N/2) G - ridge W. */
        double worst = 0.0, anorm2 = 0.0;
        for (size_t a = 0; a < s.j; a++)
            for (size_t c = 0; c < s.k; c++) {
                double g = -0.5 * (double)s.N * mgt_get(&G.v, a, c) - ridges[t] * mgt_get(&p.W.v, a, c);
                worst = fmax(worst, fabs(g));
            }
        for (size_t i = 0; i < s.N; i++)
            for (size_t a = 0; a < s.j; a++)
                anorm2 += mgt_get(&p.A.v, i, a) * mgt_get(&p.A.v, i, a);
        double *gb = malloc(s.j * s.k * sizeof *gb), wn = 0.0, aty = 0.0, gbmax = 0.0;
        ck_assert_ptr_nonnull(gb);
        (void)mgt_mse_bounds(&p.A.v, &p.W.v, &p.Y.v, gb);
        for (size_t c = 0; c < s.k; c++)
            wn = fmax(wn, mgt_col_norm2(&p.W.v, c));
        for (size_t a = 0; a < s.j; a++)
            for (size_t c = 0; c < s.k; c++) {
                double t = 0.0;
                for (size_t i = 0; i < s.N; i++)
                    t += fabs(mgt_get(&p.A.v, i, a) * mgt_get(&p.Y.v, i, c));
                aty = fmax(aty, t);
                gbmax = fmax(gbmax, gb[a * s.k + c]);
            }
        free(gb);
        const double gN = mgt_gamma((double)s.N), gc = mgt_gamma(3.0 * (double)s.j + 1.0);
        const double bound = (gN + gc) * (anorm2 + ridges[t]) * (1.0 + gN) * wn + gN * aty + gbmax;
        ck_assert_double_le(worst, bound * (1.0 + 3.0 * MGT_U) + 3.0 * MGT_U * worst);
        mgt_problem_free(&p);
        mgt_free(&G);
    }
}
END_TEST

/* ---- bad input ---------------------------------------------------------- */

START_TEST(bad_views_and_shapes)
{
    mgt_rng r = mgt_rng_seed(4);
    problem p = mgt_problem_make(&r, (shape){ 6, 3, 2, 0 });
    mgt_mat G = mgt_alloc(3, 2, 0), Gbad = mgt_alloc(2, 3, 0);
    double loss = 42.0;
    double *g0 = mgt_snapshot(&G);
    mg_matrix zero_rows = p.A.v, narrow = p.A.v, no_data = p.A.v;
    zero_rows.rows = 0;
    narrow.stride = 2;
    no_data.data = NULL;
    mg_gd_options o = mg_gd_defaults();

    ck_assert_int_eq(mg_mse_loss(NULL, &p.W.v, &p.Y.v, &loss), MG_EINVAL);
    ck_assert_int_eq(mg_mse_loss(&p.A.v, &p.W.v, &p.Y.v, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_mse_loss(&zero_rows, &p.W.v, &p.Y.v, &loss), MG_EINVAL);
    ck_assert_int_eq(mg_mse_loss(&narrow, &p.W.v, &p.Y.v, &loss), MG_EINVAL);
    ck_assert_int_eq(mg_mse_loss(&no_data, &p.W.v, &p.Y.v, &loss), MG_EINVAL);
    ck_assert_int_eq(mg_mse_loss(&p.A.v, &p.W.v, &p.A.v, &loss), MG_EDIM);
    ck_assert_double_eq(loss, 42.0);

    ck_assert_int_eq(mg_mse_grad(&p.A.v, &p.W.v, &p.Y.v, NULL, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_mse_grad(&p.A.v, &p.W.v, &p.Y.v, &Gbad.v, NULL), MG_EDIM);
    ck_assert_int_eq(mg_mse_grad(&p.A.v, &p.Y.v, &p.Y.v, &G.v, NULL), MG_EDIM);
    ck_assert_int_eq(mg_mse_grad(&p.A.v, &p.W.v, &p.Y.v, &p.W.v, NULL), MG_EINVAL); /* G aliases W */
    ck_assert(mgt_unchanged(&G, g0));

    ck_assert_int_eq(mg_normal_solve(&p.A.v, &p.Y.v, 0.0, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_normal_solve(&p.A.v, &p.Y.v, -1.0, &p.W.v), MG_EINVAL);
    ck_assert_int_eq(mg_normal_solve(&p.A.v, &p.Y.v, NAN, &p.W.v), MG_EINVAL);
    ck_assert_int_eq(mg_normal_solve(&p.A.v, &p.Y.v, INFINITY, &p.W.v), MG_EINVAL);
    ck_assert_int_eq(mg_normal_solve(&p.A.v, &p.Y.v, 0.0, &Gbad.v), MG_EDIM);
    ck_assert_int_eq(mg_normal_solve(&p.A.v, &p.A.v, 0.0, &p.W.v), MG_EDIM);

    ck_assert_int_eq(mg_gd_fit(&p.A.v, &p.Y.v, NULL, NULL, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_gd_fit(&p.A.v, &p.Y.v, &Gbad.v, NULL, NULL), MG_EDIM);
    o.learning_rate = -0.1;
    ck_assert_int_eq(mg_gd_fit(&p.A.v, &p.Y.v, &p.W.v, &o, NULL), MG_EINVAL);
    o.learning_rate = NAN;
    ck_assert_int_eq(mg_gd_fit(&p.A.v, &p.Y.v, &p.W.v, &o, NULL), MG_EINVAL);
    o.learning_rate = 0.0;
    ck_assert_int_eq(mg_gd_fit(&p.A.v, &p.Y.v, &p.W.v, &o, NULL), MG_EINVAL);
    o = mg_gd_defaults();
    o.tolerance = -1.0;
    ck_assert_int_eq(mg_gd_fit(&p.A.v, &p.Y.v, &p.W.v, &o, NULL), MG_EINVAL);
    o = mg_gd_defaults();
    o.strategy = (mg_gd_strategy)77;
    ck_assert_int_eq(mg_gd_fit(&p.A.v, &p.Y.v, &p.W.v, &o, NULL), MG_EINVAL);
    /* the same check on its own: each field that mg_gd_fit refuses above */
    ck_assert_int_eq(mg_gd_options_check(NULL), MG_EINVAL);
    o = mg_gd_defaults();
    ck_assert_int_eq(mg_gd_options_check(&o), MG_OK);
    const double bad_rate[] = { -0.1, 0.0, NAN, INFINITY };
    for (size_t i = 0; i < sizeof bad_rate / sizeof bad_rate[0]; i++) {
        o = mg_gd_defaults();
        o.learning_rate = bad_rate[i];
        ck_assert_int_eq(mg_gd_options_check(&o), MG_EINVAL);
    }
    const double bad_tol[] = { -1.0, NAN, INFINITY };
    for (size_t i = 0; i < sizeof bad_tol / sizeof bad_tol[0]; i++) {
        o = mg_gd_defaults();
        o.tolerance = bad_tol[i];
        ck_assert_int_eq(mg_gd_options_check(&o), MG_EINVAL);
    }
    o = mg_gd_defaults();
    o.strategy = (mg_gd_strategy)77;
    ck_assert_int_eq(mg_gd_options_check(&o), MG_EINVAL);

    mgt_free(&G);
    mgt_free(&Gbad);
    free(g0);
    mgt_problem_free(&p);
}
END_TEST

START_TEST(overflowing_sizes)
{
    /* Huge dimensions on a one-element buffer: rejected before any access. */
    double x = 1.0;
    mg_matrix huge = mg_matrix_view(&x, (size_t)1 << 40, 1);
    mg_matrix one = mg_matrix_view(&x, 1, 1);
    double loss;
    ck_assert_int_eq(mg_mse_loss(&huge, &one, &huge, &loss), MG_ENOMEM);
    ck_assert_int_eq(mg_mse_grad(&huge, &one, &huge, &one, NULL), MG_ENOMEM);
    ck_assert_int_eq(mg_normal_solve(&huge, &huge, 0.0, &one), MG_ENOMEM);
    ck_assert_int_eq(mg_gd_fit(&huge, &huge, &one, NULL, NULL), MG_ENOMEM);
}
END_TEST

/* A NaN or Inf at each position of A, W and Y must give MG_ENONFINITE with
 * the outputs untouched, including where the poisoned element meets a zero
 * weight (0 * Inf = NaN must not be skipped). */
START_TEST(non_finite_inputs)
{
    const double bad[] = { NAN, INFINITY, -INFINITY };
    for (int b = 0; b < 3; b++)
        for (int where = 0; where < 3; where++) {
            mgt_rng r = mgt_rng_seed(5);
            problem p = mgt_problem_make(&r, (shape){ 40, 4, 2, 1 });
            mgt_fill(&p.W, 0.0); /* zero weights: the hardest case to propagate */
            mgt_mat *target = where == 0 ? &p.A : where == 1 ? &p.W : &p.Y;
            *mg_at(&target->v, target->v.rows - 1, 1) = bad[b];
            mgt_mat G = mgt_alloc(4, 2, 0), Wout = mgt_alloc(4, 2, 0);
            double *g0 = mgt_snapshot(&G), *w0 = mgt_snapshot(&p.W), *o0 = mgt_snapshot(&Wout);
            double loss = 42.0;
            size_t run = 99;

            ck_assert_int_eq(mg_mse_loss(&p.A.v, &p.W.v, &p.Y.v, &loss), MG_ENONFINITE);
            ck_assert_int_eq(mg_mse_grad(&p.A.v, &p.W.v, &p.Y.v, &G.v, &loss), MG_ENONFINITE);
            ck_assert_double_eq(loss, 42.0);
            ck_assert(mgt_unchanged(&G, g0));
            ck_assert_int_eq(mg_gd_fit(&p.A.v, &p.Y.v, &p.W.v, NULL, &run), MG_ENONFINITE);
            ck_assert(mgt_unchanged(&p.W, w0));
            ck_assert_uint_eq(run, 99);
            if (where != 1) {
                ck_assert_int_eq(mg_normal_solve(&p.A.v, &p.Y.v, 1.0, &Wout.v), MG_ENONFINITE);
                ck_assert(mgt_unchanged(&Wout, o0));
            }
            free(g0);
            free(w0);
            free(o0);
            mgt_free(&G);
            mgt_free(&Wout);
            mgt_problem_free(&p);
        }
}
END_TEST

static void count_epochs(size_t e, double loss, void *ctx)
{
    (void)loss;
    *(size_t *)ctx = e + 1;
}

START_TEST(divergence_is_an_error)
{
    mgt_rng r = mgt_rng_seed(6);
    problem p = mgt_problem_make(&r, (shape){ 30, 4, 1, 0 });
    double *w0 = mgt_snapshot(&p.W);
    size_t run = 7, seen = 0;
    mg_gd_options o = mg_gd_defaults();
    o.learning_rate = 1e3; /* far above 2 / lambda_max: |W| grows geometrically */
    o.epochs = 100000;
    o.on_epoch = count_epochs;
    o.ctx = &seen;
    o.strategy = (mg_gd_strategy)_i;
    ck_assert_int_eq(mg_gd_fit(&p.A.v, &p.Y.v, &p.W.v, &o, &run), MG_ENOCONV);
    ck_assert(mgt_unchanged(&p.W, w0));
    ck_assert_uint_eq(run, 7);
    ck_assert_uint_gt(seen, 10); /* it ran until the loss overflowed */
    free(w0);
    mgt_problem_free(&p);
}
END_TEST

static void gd_drift(const mg_matrix *A, const mg_matrix *Y, const mg_matrix *W0, double lr, size_t E,
                     double *dW, double *dL);

static void record_loss(size_t e, double loss, void *ctx)
{
    double *out = ctx;
    out[e] = loss;
}

START_TEST(gd_tolerance_and_epochs)
{
    mgt_rng r = mgt_rng_seed(7);
    problem p = mgt_problem_make(&r, (shape){ 200, 3, 2, 1 });
    double losses[501] = { 0 };
    size_t run = 0;
    mg_gd_options o = mg_gd_defaults();
    o.learning_rate = 0.5;
    o.epochs = 500;
    o.on_epoch = record_loss;
    o.ctx = losses;
    o.strategy = (mg_gd_strategy)_i;

    /* Zero epochs: W unchanged, loss of the start reported. */
    double *w0 = mgt_snapshot(&p.W);
    o.epochs = 0;
    ck_assert_int_eq(mg_gd_fit(&p.A.v, &p.Y.v, &p.W.v, &o, &run), MG_OK);
    ck_assert_uint_eq(run, 0);
    ck_assert(mgt_unchanged(&p.W, w0));
    /* the pass's worst-case bound (mgt_mse_bounds) / N, plus 2 u for the
     * division and the reference's rounding */
    const double L0 = ref_mse_loss(&p.A.v, &p.W.v, &p.Y.v);
    const double rel0 = mgt_mse_bounds(&p.A.v, &p.W.v, &p.Y.v, NULL) / (200.0 * L0) + 2.0 * MGT_U;
    ck_assert_double_le(fabs(losses[0] - L0), rel0 * L0);

    /* On a quadratic, descent lowers the loss at every step when lr is below
     * 2 / lambda_max of the Hessian (2/N) A^T A; here lambda_max is about
     * 2/3 (uniform [-1, 1] columns have variance 1/3), so lr = 0.5 is safe.
     * Stopping at a tolerance halfway
     * between the start and the minimum takes fewer than all epochs. */
    o.epochs = 500;
    ck_assert_int_eq(mg_gd_fit(&p.A.v, &p.Y.v, &p.W.v, &o, &run), MG_OK);
    ck_assert_uint_eq(run, 500);
    /* Exact arithmetic decreases strictly; once converged, successive losses
     * differ only by their evaluation errors, each within rel L (the pass's
     * worst-case relative bound, evaluated at the start and at the end; the
     * residuals' sizes, hence the bound, change little in between), so a
     * rise is allowed up to 2 rel relative and no further. */
    const double L1 = ref_mse_loss(&p.A.v, &p.W.v, &p.Y.v);
    const double rel = fmax(rel0, mgt_mse_bounds(&p.A.v, &p.W.v, &p.Y.v, NULL) / (200.0 * L1) +
                                      2.0 * MGT_U);
    for (size_t e = 1; e <= 500; e++)
        ck_assert_double_le(losses[e], losses[e - 1] * (1.0 + 2.0 * rel));
    double start = losses[0], end = losses[500];
    memcpy(p.W.buf, w0, p.W.len * sizeof(double));
    o.tolerance = 0.5 * (start + end);
    ck_assert_int_eq(mg_gd_fit(&p.A.v, &p.Y.v, &p.W.v, &o, &run), MG_OK);
    ck_assert_uint_gt(run, 0);
    ck_assert_uint_lt(run, 500);
    ck_assert_double_le(losses[run], o.tolerance);
    ck_assert_double_gt(losses[run - 1], o.tolerance);
    /* the reported loss and the exact loss of the returned W: both within
     * gd_drift's dL[run] of the exact iteration's loss */
    static double dW[501], dL[501];
    const mg_matrix W0 = mg_matrix_view_stride(w0, 3, 2, p.W.v.stride);
    gd_drift(&p.A.v, &p.Y.v, &W0, 0.5, 500, dW, dL);
    ck_assert_double_le(fabs(ref_mse_loss(&p.A.v, &p.W.v, &p.Y.v) - losses[run]), 2.0 * dL[run]);
    free(w0);
    mgt_problem_free(&p);
}
END_TEST


/* ---- how far a run of gradient descent may drift ------------------------- */

/* Bounds for one float64 run of gradient descent (either strategy) against
 * the exact iteration W_{e+1} = W_e - lr g(W_e), g = -(2/N) A^T (Y - A W),
 * simulated in long double (its own error is negligible).  With
 * kappa_a = ||A||_F / s_min(A), ssq_e the exact ||Y - A W_e||^2 (enlarged to
 * (sqrt(ssq_e) + s_max d_e)^2 for the run's own point), Wabs the entrywise
 * largest |W| along the way, and dr = gamma_{j+1} || |Y| + |A| Wabs ||_F
 * (every residual's evaluation error, Higham ASNA Sec. 3.5):
 *   - the loss's evaluation error, for the fused pass and for the Gram form
 *     (ssq_ref - 2 <D, A^T R_ref> + <D, G0 D>, D = W - W_ref, whose reference
 *     keeps ssq_ref <= 4 ssq, so ||A D|| <= 3 sqrt(ssq) and || |A| |D| || <=
 *     3 kappa_a sqrt(ssq)):
 *       dssq <= gamma_G (4 + 12 kappa_a + 9 kappa_a^2) ssq
 *               + (4 + 6 kappa_a) sqrt(ssq) dr + 2 dr^2,
 *     gamma_G = gamma_{Nk + N + 2jk + j + 2} (all the sums involved);
 *   - the gradient's: ||dg|| <= (2/N) ||A||_F (gamma_G (2 + 3 kappa_a)
 *     sqrt(ssq) + (1 + gamma_G) dr); a step adds lr ||dg|| plus the update's
 *     roundings 2 u (||W|| + lr ||g||);
 *   - I - lr H, H = (2/N) A^T A, contracts by rho = max |1 - lr lambda|, so
 *     the drift obeys d_{e+1} <= rho d_e + eps_e;
 *   - a reported loss is within ||g_e|| d_e + ||H|| d_e^2 / 2 + dssq / N of
 *     the exact L(W_e).
 * dW[e] and dL[e] receive d_e and that loss bound, e = 0..E. */
static void gd_drift(const mg_matrix *A, const mg_matrix *Y, const mg_matrix *W0, double lr, size_t E,
                     double *dW, double *dL)
{
    const size_t N = A->rows, j = A->cols, k = Y->cols, jk = j * k;
    long double *w = malloc(jk * sizeof *w), *r = malloc(N * k * sizeof *r);
    double *wabs = calloc(jk, sizeof *wabs), *g = malloc(jk * sizeof *g);
    ck_assert(w && r && wabs && g);
    double smax, smin, af = 0.0;
    mgt_svals(A, 0, &smax, &smin);
    ck_assert_double_gt(smin, 0.0);
    for (size_t i = 0; i < N; i++)
        for (size_t t = 0; t < j; t++)
            af += mgt_get(A, i, t) * mgt_get(A, i, t);
    af = sqrt(af);
    const double ka = af / smin, lmin = 2.0 * smin * smin / (double)N, lmax = 2.0 * smax * smax / (double)N;
    ck_assert_double_lt(lr * lmax, 2.0);
    const double rho = fmax(fabs(1.0 - lr * lmin), fabs(1.0 - lr * lmax));
    const double gG = mgt_gamma((double)(N * k + N + 2 * jk + j + 2)), gj = mgt_gamma((double)j + 1.0);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t t = 0; t < jk; t++)
            w[t] = mgt_get(W0, t / k, t % k);
        double dr = 0.0, d = 0.0;
        if (pass == 1) {
            long double s = 0.0L;
            for (size_t i = 0; i < N; i++)
                for (size_t c = 0; c < k; c++) {
                    long double m = fabsl((long double)mgt_get(Y, i, c));
                    for (size_t t = 0; t < j; t++)
                        m += fabsl((long double)mgt_get(A, i, t)) * wabs[t * k + c] * (1.0L + 1e-6L);
                    s += m * m;
                }
            dr = gj * (double)sqrtl(s);
        }
        for (size_t e = 0; e <= E; e++) {
            long double ssq = 0.0L, gn = 0.0L, wn = 0.0L;
            for (size_t i = 0; i < N; i++)
                for (size_t c = 0; c < k; c++) {
                    long double v = mgt_get(Y, i, c);
                    for (size_t t = 0; t < j; t++)
                        v -= (long double)mgt_get(A, i, t) * w[t * k + c];
                    r[i * k + c] = v;
                    ssq += v * v;
                }
            for (size_t t = 0; t < jk; t++) {
                long double v = 0.0L;
                for (size_t i = 0; i < N; i++)
                    v += (long double)mgt_get(A, i, t / k) * r[i * k + t % k];
                g[t] = (double)(-2.0L / (long double)N * v);
                gn += (long double)g[t] * g[t];
                wn += w[t] * w[t];
                wabs[t] = fmax(wabs[t], fabs((double)w[t]));
            }
            if (pass == 1) {
                const double sq = pow(sqrt((double)ssq) + smax * d, 2.0);
                const double dssq = gG * (4.0 + 12.0 * ka + 9.0 * ka * ka) * sq +
                                    (4.0 + 6.0 * ka) * sqrt(sq) * dr + 2.0 * dr * dr;
                dW[e] = d;
                dL[e] = sqrt((double)gn) * d + 0.5 * lmax * d * d + dssq / (double)N;
                const double dg = 2.0 / (double)N * af * (gG * (2.0 + 3.0 * ka) * sqrt(sq) + (1.0 + gG) * dr);
                d = rho * d + lr * dg + 2.0 * MGT_U * ((double)sqrtl(wn) + lr * (double)sqrtl(gn)) * 1.01;
            }
            for (size_t t = 0; t < jk; t++)
                w[t] -= (long double)lr * g[t];
        }
    }
    free(w); free(r); free(wabs); free(g);
}

static double frob_diff(const mg_matrix *a, const mg_matrix *b)
{
    double s = 0.0;
    for (size_t i = 0; i < a->rows; i++)
        for (size_t j = 0; j < a->cols; j++)
            s += pow(mgt_get(a, i, j) - mgt_get(b, i, j), 2.0);
    return sqrt(s);
}

/* ---- Gram-cached descent ------------------------------------------------ */

typedef struct trace { double loss[2][601]; } trace;

/* MG_GD_GRAM takes the same steps as MG_GD_DIRECT, with the gradient from
 * A^T A instead of a pass over A: both runs stay within gd_drift's bounds of
 * the exact iteration, so their iterates differ by at most 2 dW[e]
 * (Frobenius) and their reported losses by 2 dL[e] at every epoch. */
START_TEST(gram_iterates_match_direct)
{
    static const shape shapes[] = { { 500, 8, 1, 0 }, { 300, 5, 3, 2 }, { 2000, 32, 1, 1 },
                                    { 41, 10, 2, 0 }, { 7, 1, 1, 0 } };
    static const size_t epochs[] = { 0, 1, 7, 100, 600 };
    mgt_rng r = mgt_rng_seed(8);
    const shape s = shapes[_i];
    problem p = mgt_problem_make(&r, s);
    double *w0 = mgt_snapshot(&p.W);
    static trace t;
    static double dW[601], dL[601];
    gd_drift(&p.A.v, &p.Y.v, &p.W.v, 0.3, 600, dW, dL);

    for (size_t e = 0; e < sizeof epochs / sizeof epochs[0]; e++) {
        mgt_mat Wd = mgt_alloc(s.j, s.k, s.pad);
        for (int strat = 0; strat < 2; strat++) {
            mg_gd_options o = mg_gd_defaults();
            o.learning_rate = 0.3;
            o.epochs = epochs[e];
            o.on_epoch = record_loss;
            o.ctx = t.loss[strat];
            o.strategy = strat ? MG_GD_GRAM : MG_GD_DIRECT;
            memcpy(p.W.buf, w0, p.W.len * sizeof(double));
            size_t run = 0;
            ck_assert_int_eq(mg_gd_fit(&p.A.v, &p.Y.v, &p.W.v, &o, &run), MG_OK);
            ck_assert_uint_eq(run, epochs[e]);
            if (!strat)
                memcpy(Wd.buf, p.W.buf, p.W.len * sizeof(double));
        }
        ck_assert_double_le(frob_diff(&p.W.v, &Wd.v), 2.0 * dW[epochs[e]]);
        for (size_t i = 0; i <= epochs[e]; i++)
            ck_assert_double_le(fabs(t.loss[1][i] - t.loss[0][i]), 2.0 * dL[i]);
        mgt_free(&Wd);
    }
    free(w0);
    mgt_problem_free(&p);
}
END_TEST

/* A consistent system (Y = A W_true) drives the loss towards zero.  Each
 * reported loss is within gd_drift's bound dL[e] of the exact iteration's
 * (so the two strategies within 2 dL[e]); the final one is also checked
 * against the exact loss of the returned W: its evaluation error alone
 * (dL's dssq / N at that point).  The bound is relative to the loss itself
 * (the Gram form keeps its reference within a factor 4 of the loss): the
 * textbook Gram loss ||Y||^2 - 2 <W, A^T Y> + <W, A^T A W> would carry
 * eps * loss0 / loss ~ 2e-7 relative and fail. */
START_TEST(gram_loss_stays_accurate_near_zero)
{
    mgt_rng r = mgt_rng_seed(9);
    const size_t N = 200, j = 4, k = 2;
    mgt_mat A = mgt_random(&r, N, j, 1), Wt = mgt_random(&r, j, k, 0), Y = mgt_alloc(N, k, 0);
    mgt_mat W = mgt_alloc(j, k, 0);
    ref_matmul(&A.v, 0, &Wt.v, 0, &Y.v);
    static double losses[2][20001], dW[20001], dL[20001];
    size_t runs[2];
    gd_drift(&A.v, &Y.v, &W.v, 0.5, 20000, dW, dL);
    for (int strat = 0; strat < 2; strat++) {
        mgt_fill(&W, 0.0);
        mg_gd_options o = mg_gd_defaults();
        o.learning_rate = 0.5;
        o.epochs = 20000;
        o.tolerance = 1e-9 * ref_mse_loss(&A.v, &W.v, &Y.v);
        o.on_epoch = record_loss;
        o.ctx = losses[strat];
        o.strategy = strat ? MG_GD_GRAM : MG_GD_DIRECT;
        ck_assert_int_eq(mg_gd_fit(&A.v, &Y.v, &W.v, &o, &runs[strat]), MG_OK);
        ck_assert_uint_lt(runs[strat], 20000);
        double want = ref_mse_loss(&A.v, &W.v, &Y.v);
        ck_assert_double_le(fabs(losses[strat][runs[strat]] - want), 2.0 * dL[runs[strat]]);
    }
    const size_t n = runs[0] < runs[1] ? runs[0] : runs[1];
    for (size_t e = 0; e <= n; e++)
        ck_assert_double_le(fabs(losses[1][e] - losses[0][e]), 2.0 * dL[e]);
    mgt_free(&A);
    mgt_free(&Wt);
    mgt_free(&Y);
    mgt_free(&W);
}
END_TEST

/* A warm start whose loss is far below ||Y||^2 / (4N) (~1e-8 of it): the
 * Gram strategy's first reference W_ref = 0 is too far away, so it must take
 * an exact reference at once (the textbook form would be off by ~eps * 1e8,
 * ~1e-8 relative).  Both strategies within gd_drift's bounds of the exact
 * iteration: iterates within 2 dW, losses within 2 dL at every epoch. */
START_TEST(gram_warm_start)
{
    mgt_rng r = mgt_rng_seed(10);
    const size_t N = 300, j = 6, k = 2;
    mgt_mat A = mgt_random(&r, N, j, 0), Wt = mgt_random(&r, j, k, 0), Y = mgt_alloc(N, k, 1);
    mgt_mat W = mgt_alloc(j, k, 0), Wd = mgt_alloc(j, k, 0);
    ref_matmul(&A.v, 0, &Wt.v, 0, &Y.v);
    for (size_t i = 0; i < N; i++)
        for (size_t c = 0; c < k; c++)
            *mg_at(&Y.v, i, c) += 1e-4 * mgt_uniform(&r);
    static double losses[2][201], dW[201], dL[201];
    gd_drift(&A.v, &Y.v, &Wt.v, 0.3, 200, dW, dL);
    for (int strat = 0; strat < 2; strat++) {
        memcpy(W.buf, Wt.buf, W.len * sizeof(double));
        mg_gd_options o = mg_gd_defaults();
        o.learning_rate = 0.3;
        o.epochs = 200;
        o.on_epoch = record_loss;
        o.ctx = losses[strat];
        o.strategy = strat ? MG_GD_GRAM : MG_GD_DIRECT;
        ck_assert_int_eq(mg_gd_fit(&A.v, &Y.v, &W.v, &o, NULL), MG_OK);
        if (!strat)
            memcpy(Wd.buf, W.buf, W.len * sizeof(double));
    }
    ck_assert_double_le(frob_diff(&W.v, &Wd.v), 2.0 * dW[200]);
    for (size_t e = 0; e <= 200; e++)
        ck_assert_double_le(fabs(losses[1][e] - losses[0][e]), 2.0 * dL[e]);
    mgt_free(&A);
    mgt_free(&Wt);
    mgt_free(&Y);
    mgt_free(&W);
    mgt_free(&Wd);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("linreg");
    TCase *tc = tcase_create("linreg");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, loss_and_grad_match_reference, 0, NSHAPES);
    tcase_add_loop_test(tc, grad_matches_central_differences, 0, NSHAPES);
    tcase_add_loop_test(tc, normal_solve_zeroes_the_gradient, 0, NSHAPES);
    tcase_add_test(tc, bad_views_and_shapes);
    tcase_add_test(tc, overflowing_sizes);
    tcase_add_test(tc, non_finite_inputs);
    tcase_add_loop_test(tc, divergence_is_an_error, MG_GD_AUTO, MG_GD_GRAM + 1);
    tcase_add_loop_test(tc, gd_tolerance_and_epochs, MG_GD_AUTO, MG_GD_GRAM + 1);
    tcase_add_loop_test(tc, gram_iterates_match_direct, 0, 5);
    tcase_add_test(tc, gram_loss_stays_accurate_near_zero);
    tcase_add_test(tc, gram_warm_start);
    suite_add_tcase(s, tc);
    return mgt_run(s);
}
