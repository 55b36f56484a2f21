/* SPDX-License-Identifier: BSD-3-Clause */
/* fit: the exact option, sums [Z Y]^T W [Z Y] in double-double
 * (docs/derivations.md, "One model of a fit").
 *
 * With H = [Z Y]^T W [Z Y] = [G C; C^T S] held to about 106 bits, a
 * refinement step needs no pass over the rows:
 *     Z^T W (Y - Z B) = C - G B,
 * formed in double-double from H and rounded once, is the same gradient a
 * replay would accumulate (the cancellation between C and G B costs at
 * most the bits by which they agree, out of 106), and
 *     RSS_c = S_cc - 2 b_c^T C_c + b_c^T G b_c = S_cc - b_c^T C_c - b_c^T (C_c - G b_c).
 * The correction solve uses the state's factor, as the replayed
 * refinement does (refine.c), with the same contraction and stopping
 * rule, except for its noise floor: the sums carry errors of about
 * c eps^2 |H| (c ~ 2 B + n / B^2 for n rows summed pairwise in blocks of
 * B = MG__FIT_BLOCK), so C - G B is known to about c eps^2 |H| |B| rather
 * than to eps^2 |Z^T| |W R| as in a replay; the solution's error from it,
 * about c eps^2 kappa(Z)^2 (kappa of the unscaled, uncentred design: a
 * column mean of 1e6 counts), is what limits this option.
 * Corrections then stall at that level instead of shrinking to zero; a
 * stall below eps / 8 of max |B| (normwise) is accepted as convergence:
 * every coefficient is then within a few ulp of max |B|, and each one
 * within a few of its own ulps unless it is far smaller than the largest
 * (where the replayed refinement is the accurate tool). */
#include "fit_internal.h"
#include "kernels/cpu.h"

#include <float.h>
#include <string.h>

enum { MG__EXACT_MAX_STEPS = 64 };

/* (hi, lo) += (h2, l2), renormalised so that |lo| <= ulp(hi) / 2: each
 * addition then errs by about eps^2 |hi|, not by eps |lo| with lo growing. */
static inline __attribute__((always_inline)) void dd_acc(double *hi, double *lo, double h2,
                                                         double l2)
{
    double s, e;
    mg__two_sum(*hi, h2, &s, &e);
    e += *lo + l2;
    /* fast TwoSum: |s| >= |e| */
    *hi = s + e;
    *lo = e - (*hi - s);
}

/* One row of weight wi > 0 into level 2: H_ij += a_i (w a_j), i <= j,
 * a = [1 x y]; every product split exactly (FMA). */
static inline __attribute__((always_inline)) void exact_row(mg_fit *f, const double *x,
                                                            const double *y, double wi)
{
    const size_t q = f->q, ic = f->ic, qq = q * q;
    double *a = f->arow, *hh = f->Hhi + 2 * qq, *hl = f->Hlo + 2 * qq;
    if (ic)
        a[0] = 1.0;
    if (f->p)
        memcpy(a + ic, x, f->p * sizeof *a);
    memcpy(a + f->m, y, f->k * sizeof *a);
    for (size_t j = 0; j < q; j++) {
        double wh, wl;
        /* w a_j = wh + wl exactly */
        mg__two_prod(wi, a[j], &wh, &wl);
        double *restrict gh = hh + j * q, *restrict gl = hl + j * q;
        for (size_t i = 0; i <= j; i++) {
            const double ph = a[i] * wh, pl = fma(a[i], wl, fma(a[i], wh, -ph));
            dd_acc(&gh[i], &gl[i], ph, pl);
        }
    }
}

/* Level `from` (1 or 2) added into level from - 1, then zeroed: pairwise
 * summation, so a sum of n rows errs by about (2 B + n / B^2) eps^2 |H|
 * (B = MG__FIT_BLOCK) instead of n eps^2 |H|. */
static void exact_carry(mg_fit *f, size_t from)
{
    const size_t q = f->q, qq = q * q;
    double *sh = f->Hhi + from * qq, *sl = f->Hlo + from * qq;
    double *dh = sh - qq, *dl = sl - qq;
    for (size_t j = 0; j < q; j++)
        for (size_t i = 0; i <= j; i++) {
            dd_acc(&dh[j * q + i], &dl[j * q + i], sh[j * q + i], sl[j * q + i]);
            sh[j * q + i] = sl[j * q + i] = 0.0;
        }
}

static inline __attribute__((always_inline)) void
exact_rows(mg_fit *f, const mg_matrix *X, const mg_matrix *Y, const mg_matrix *w, size_t N)
{
    for (size_t i = 0; i < N; i++) {
        const double wi = w ? w->data[i * w->stride] : 1.0;
        if (wi == 0.0)
            continue;
        exact_row(f, f->p ? X->data + i * X->stride : NULL, Y->data + i * Y->stride, wi);
        if (++f->n0 == MG__FIT_BLOCK) {
            exact_carry(f, 2);
            f->n0 = 0;
            if (++f->n1 == MG__FIT_BLOCK) {
                exact_carry(f, 1);
                f->n1 = 0;
            }
        }
    }
}

/* Compiled for any x86-64 and for AVX2 + FMA: the same operations, the same
 * bits (see refine.c). */
#ifdef MG__CPU_X86
__attribute__((target("avx2,fma")))
static void exact_rows_fma(mg_fit *f, const mg_matrix *X, const mg_matrix *Y,
                           const mg_matrix *w, size_t N)
{
    exact_rows(f, X, Y, w, N);
}
#endif

static void exact_rows_generic(mg_fit *f, const mg_matrix *X, const mg_matrix *Y,
                               const mg_matrix *w, size_t N)
{
    exact_rows(f, X, Y, w, N);
}

void mg__fit_exact_rows(mg_fit *fit, const mg_matrix *X, const mg_matrix *Y, const mg_matrix *w,
                        size_t N)
{
#ifdef MG__CPU_X86
    if (mg__cpu_has_avx2_fma()) {
        exact_rows_fma(fit, X, Y, w, N);
        return;
    }
#endif
    exact_rows_generic(fit, X, Y, w, N);
}

void mg__fit_exact_total(const mg_fit *fit, size_t i, size_t j, double *hi, double *lo)
{
    const size_t q = fit->q, qq = q * q, at = j * q + i;
    *hi = fit->Hhi[at];
    *lo = fit->Hlo[at];
    dd_acc(hi, lo, fit->Hhi[qq + at], fit->Hlo[qq + at]);
    dd_acc(hi, lo, fit->Hhi[2 * qq + at], fit->Hlo[2 * qq + at]);
}

void mg__fit_exact_merge(mg_fit *dst, const mg_fit *src)
{
    const size_t q = dst->q;
    for (size_t j = 0; j < q; j++)
        for (size_t i = 0; i <= j; i++) {
            double hi, lo;
            mg__fit_exact_total(src, i, j, &hi, &lo);
            dd_acc(&dst->Hhi[j * q + i], &dst->Hlo[j * q + i], hi, lo);
        }
}

/* H_rc as a double-double, either triangle. */
static void h_at(const mg_fit *f, size_t r, size_t c, double *hi, double *lo)
{
    const size_t idx = r <= c ? c * f->q + r : r * f->q + c;
    *hi = f->Hhi[idx];
    *lo = f->Hlo[idx];
}

/* (h, l) -= (gh + gl) b, double-double. */
static void dd_sub_prod(double *h, double *l, double gh, double gl, double b)
{
    double ph, pl;
    mg__two_prod(gh, b, &ph, &pl);
    dd_acc(h, l, -ph, -fma(gl, b, pl));
}

/* u = C - G B (- ridge P B when with_ridge), each rounded once (m x k). */
static void exact_gradient(const mg_fit *f, const double *B, double *u, int with_ridge)
{
    const size_t m = f->m;
    for (size_t c = 0; c < f->k; c++) {
        const double *b = B + c * m;
        for (size_t j = 0; j < m; j++) {
            double h, l, gh, gl;
            h_at(f, j, m + c, &h, &l);
            for (size_t i = 0; i < m; i++) {
                h_at(f, j, i, &gh, &gl);
                dd_sub_prod(&h, &l, gh, gl, b[i]);
            }
            if (with_ridge && f->opt.ridge > 0.0 && j >= f->ic)
                dd_sub_prod(&h, &l, f->opt.ridge, 0.0, b[j]);
            u[c * m + j] = h + l;
        }
    }
}

/* RSS_c = S_cc - b^T C_c - b^T (C_c - G b) into solrss (u: C - G B). */
static void exact_rss(mg_fit *f, const double *B, const double *u)
{
    const size_t m = f->m;
    for (size_t c = 0; c < f->k; c++) {
        const double *b = B + c * m;
        double h, l, ch, cl;
        h_at(f, m + c, m + c, &h, &l);
        for (size_t j = 0; j < m; j++) {
            h_at(f, j, m + c, &ch, &cl);
            dd_sub_prod(&h, &l, ch, cl, b[j]);
            dd_sub_prod(&h, &l, u[c * m + j], 0.0, b[j]);
        }
        const double r = h + l;
        f->solrss[c] = r > 0.0 ? r : 0.0;
    }
}

mg_status mg__fit_exact_solve(mg_fit *fit)
{
    const size_t m = fit->m, k = fit->k, q = fit->q, mk = m * k;
    /* fold the partial levels into the total (the sums do not change) */
    exact_carry(fit, 2);
    exact_carry(fit, 1);
    fit->n0 = fit->n1 = 0;
    for (size_t j = 0; j < q; j++)
        for (size_t i = 0; i <= j; i++)
            if (!isfinite(fit->Hhi[j * q + i] + fit->Hlo[j * q + i]))
                return MG_ENONFINITE;
    if (!mg__fit_contracts(fit))
        return MG_ENOCONV;
    double *B = fit->sol, *dB = fit->tmp;
    memcpy(B, fit->tmp, mk * sizeof *B); /* the factor's solution */
    fit->prev_d = 0.0;
    fit->steps = 0;
    for (int done = 0; !done;) {
        if (fit->steps == MG__EXACT_MAX_STEPS)
            return MG_ENOCONV;
        /* dB = (G + ridge P)^-1 (C - G B - ridge P B) */
        exact_gradient(fit, B, dB, 1);
        mg__fit_normal_solve(fit, dB, k);
        if (!mg__all_finite(dB, k, m, m))
            return MG_ENONFINITE;
        if (!mg__fit_step_ok(fit, dB, B, 1, &done))
            return MG_ENOCONV;
        for (size_t i = 0; i < mk; i++)
            B[i] += dB[i];
        fit->steps++;
    }
    exact_gradient(fit, B, dB, 0);
    exact_rss(fit, B, dB);
    fit->solved = 1;
    return MG_OK;
}

/* max_j |dV_jj| / |V_jj|: the diagonal's relative correction. */
static double diag_change(const double *dV, const double *V, size_t m)
{
    double worst = 0.0;
    for (size_t j = 0; j < m; j++) {
        const double d = fabs(dV[j * m + j]), v = fabs(V[j * m + j]);
        if (d > 0.0)
            worst = fmax(worst, v > 0.0 ? d / v : INFINITY);
    }
    return worst;
}

/* The diagonal of V = (Z^T W Z)^-1 refined like B: V_0 from the factor,
 * then V <- V + F^-1 (I - G V) with the residual I - G V formed in
 * double-double from the exact sums (the columns of V are the solutions
 * of G x = e_j, so they are refined as coefficients are).  Stops when the
 * diagonal's correction is at rounding level, or stops shrinking (then the
 * best V so far is kept: still at least as accurate as the factor's). */
void mg__fit_exact_inverse(mg_fit *f)
{
    const size_t m = f->m;
    double *V = f->V, *dV = f->V + m * m;
    exact_carry(f, 2);
    exact_carry(f, 1);
    f->n0 = f->n1 = 0;
    memset(V, 0, m * m * sizeof *V);
    for (size_t j = 0; j < m; j++)
        V[j * m + j] = 1.0;
    /* V = F^-1 I */
    mg__fit_normal_solve(f, V, m);
    double prev = 0.0;
    for (int it = 0; it < MG__EXACT_MAX_STEPS; it++) {
        for (size_t c = 0; c < m; c++)
            for (size_t j = 0; j < m; j++) {
                /* (I - G V)_jc in double-double, rounded once */
                double h = j == c ? 1.0 : 0.0, l = 0.0, gh, gl;
                for (size_t i = 0; i < m; i++) {
                    h_at(f, j, i, &gh, &gl);
                    dd_sub_prod(&h, &l, gh, gl, V[c * m + i]);
                }
                dV[c * m + j] = h + l;
            }
        mg__fit_normal_solve(f, dV, m);
        const double d = diag_change(dV, V, m);
        if (!mg__all_finite(dV, m, m, m) || (prev > 0.0 && !(d < prev)))
            break;
        for (size_t i = 0; i < m * m; i++)
            V[i] += dV[i];
        if (d <= 2.0 * DBL_EPSILON)
            break;
        prev = d;
    }
}

void mg__fit_exact_variances(mg_fit *f, double *v)
{
    mg__fit_exact_inverse(f);
    for (size_t j = 0; j < f->m; j++)
        v[j] = f->V[j * f->m + j];
}
